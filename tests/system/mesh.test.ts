/**
 * Issue 14: real WireGuard between real test hosts. Each node is a network namespace running
 * Debian's wireguard-go with the wg0 configuration the program renders; sites are bridges joined
 * only through public addresses (on-prem behind a NAT router). See mesh-net.ts.
 *
 * 1. A hand-written hybrid topology whose configurations follow the rule the issue asks for
 *    (same-site peers by site address, cross-site by public address, on-prem initiating with
 *    keepalive): every pair connects. This proves the harness; a scale-in applied with
 *    `wg syncconf` proves `apply`.
 * 2. The negative control: the same topology with no Endpoint between the two on-prem nodes (what
 *    the program renders today): exactly that pair fails, both ways.
 * 3. `prod` as the program plans it (its own wg0 configurations and keys): every pair must
 *    connect. On today's program the on-prem nodes cannot reach each other (issue 14, defect 1).
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import { describe, it } from "node:test";
import * as YAML from "yaml";
import { type MeshInterface, type MeshPeer, renderWireguardConfig, wireguardPublicKey } from "../../infra/nodes/mesh";
import { planStack, planText, stackFilePath } from "../../tools/plan";
import { requireRoot } from "./debian-root";
import { formatFailures, joinedTopology, type MeshNet, type MeshNodeSpec, type PingFailure, type Site, startMesh, type Topology, topologyFromPlan } from "./mesh-net";

requireRoot();

const PORT = 51820;
/**
 * Each pair keeps trying this long (handshakes included) before it counts as failed. Two nodes
 * with each other's endpoint and a keepalive initiate at the same moment when they come up; the
 * crossed handshakes void each other and WireGuard retries after 5 s (REKEY_TIMEOUT, plus up to
 * 1/3 s of jitter), as between real machines: 15 s leaves room for two such retries.
 */
const PING_TIMEOUT_MS = 15_000;

interface HandNode {
    name: string;
    site: Site;
    siteAddress: string;
    publicAddress?: string;
    mesh: string;
}

const HAND_NODES: readonly HandNode[] = [
    { name: "op-1", site: "onprem", siteAddress: "192.168.18.11", mesh: "10.200.0.1" },
    { name: "op-2", site: "onprem", siteAddress: "192.168.18.12", mesh: "10.200.0.2" },
    { name: "hz-1", site: "hetzner", siteAddress: "10.0.1.2", publicAddress: "198.51.100.21", mesh: "10.200.1.1" },
    { name: "hz-2", site: "hetzner", siteAddress: "10.0.1.3", publicAddress: "198.51.100.22", mesh: "10.200.1.2" },
    { name: "aws-1", site: "aws", siteAddress: "10.1.16.10", publicAddress: "203.0.113.31", mesh: "10.200.2.1" },
];

/** Test keys: 32 random bytes per node, as `wg genkey` makes them. */
const KEYS = new Map(HAND_NODES.map((n) => [n.name, randomBytes(32).toString("base64")]));

/**
 * The endpoint `self` should use for `peer`: its site address on the same site, else its public
 * address; none for a peer behind NAT on another site (it connects out). `omitOnpremPair` drops
 * the endpoint between on-prem nodes, as the program does today.
 */
function endpointFor(self: HandNode, peer: HandNode, omitOnpremPair: boolean): string | undefined {
    if (self.site === peer.site) return omitOnpremPair && self.site === "onprem" ? undefined : `${peer.siteAddress}:${PORT}`;
    return peer.publicAddress ? `${peer.publicAddress}:${PORT}` : undefined;
}

/** The hand-written topology, configurations rendered by the program's own renderWireguardConfig. */
function handTopology(nodes: readonly HandNode[], opts: { omitOnpremPair?: boolean } = {}): Topology {
    return {
        nodes: nodes.map((self): MeshNodeSpec => {
            const iface: MeshInterface = { address: self.mesh, privateKey: KEYS.get(self.name)!, port: PORT, behindNat: self.site === "onprem" };
            const peers: MeshPeer[] = nodes
                .filter((p) => p !== self)
                .map((p) => ({ name: p.name, address: p.mesh, publicKey: wireguardPublicKey(KEYS.get(p.name)!), endpoint: endpointFor(self, p, opts.omitOnpremPair ?? false) }));
            return { name: self.name, site: self.site, siteAddress: self.siteAddress, publicAddress: self.publicAddress, wg0: renderWireguardConfig(iface, peers) };
        }),
    };
}

/** `from -> to` per failing pair: what the assertions compare (readable in the report). */
const pairs = (failures: readonly PingFailure[]): string[] => failures.map((f) => `${f.from} -> ${f.to}`);

/** One line per node: where the test put it. */
const describeNodes = (t: Topology): string =>
    t.nodes.map((n) => `${n.name} (${n.site} ${n.siteAddress}${n.publicAddress ? ` public ${n.publicAddress}` : ""})`).join(", ");

/** Each node's own public key, as its running wg0 reports it. */
async function publicKeys(net: MeshNet): Promise<Map<string, string>> {
    const keys = new Map<string, string>();
    for (const n of net.topology.nodes) {
        const r = await net.exec(n.name, "wg show wg0 public-key", 5_000);
        assert.equal(r.status, 0, `${n.name}: wg show wg0 public-key: ${r.stderr}`);
        keys.set(n.name, r.stdout.trim());
    }
    return keys;
}

/** `Pulumi.prod-burst.yaml` with its one pool's `count: 2` lowered to 1: a burst scale-in. */
function burstStackFileScaledIn(): string {
    const text = fs.readFileSync(stackFilePath("prod-burst"), "utf8");
    const counts = text.match(/^\s+count: 2$/gm) ?? [];
    assert.equal(counts.length, 1, "Pulumi.prod-burst.yaml should have exactly one pool with count: 2");
    return text.replace(/^(\s+)count: 2$/m, "$1count: 1");
}

describe("the WireGuard mesh between real test hosts (wireguard-go in network namespaces)", { timeout: 115_000 }, () => {
    it("harness: a hybrid topology configured by the rule connects every pair; a scale-in applied with wg syncconf keeps the rest connected", { timeout: 50_000 }, async (t) => {
        const started = Date.now();
        const net = await startMesh(handTopology(HAND_NODES));
        t.diagnostic(`up in ${Date.now() - started} ms`);

        // The topology is realistic: another site's private address is unreachable, even from outside the mesh.
        const cross = await net.exec("op-1", "ping -n -q -c 1 -W 1 10.0.1.2", 10_000);
        assert.notEqual(cross.status, 0, "an on-prem node must not reach a Hetzner private address");
        const direct = await net.exec("hz-1", "ping -n -q -c 1 -W 1 192.168.18.11", 10_000);
        assert.notEqual(direct.status, 0, "a Hetzner node must not reach the on-prem LAN");

        const pinged = Date.now();
        const failures = await net.pingMatrix({ timeoutMs: PING_TIMEOUT_MS });
        t.diagnostic(`20 pairs pinged in ${Date.now() - pinged} ms`);
        assert.deepEqual(pairs(failures), [], `pairs that did not connect:\n${formatFailures(failures)}\n${failures.length ? await net.describe() : ""}`);

        // Scale-in: hz-2 leaves; the others get configurations without it (wg syncconf), hz-2's host is gone.
        const rest = HAND_NODES.filter((n) => n.name !== "hz-2");
        const applied = await net.apply(handTopology(rest));
        assert.deepEqual(applied, { moved: [], added: [], removed: ["hz-2"] });
        const gone = wireguardPublicKey(KEYS.get("hz-2")!);
        for (const n of rest) {
            const peers = await net.peers(n.name);
            assert.equal(peers.length, rest.length - 1, `${n.name}: ${peers.join(", ")}`);
            assert.ok(!peers.includes(gone), `${n.name} still has hz-2 as a peer`);
        }
        const after = await net.pingMatrix({ timeoutMs: PING_TIMEOUT_MS });
        assert.deepEqual(pairs(after), [], `after the scale-in, pairs that did not connect:\n${formatFailures(after)}`);

        await net.dispose();
        assert.deepEqual(net.leftovers(), []);
        t.diagnostic(`whole test ${Date.now() - started} ms`);
    });

    it("negative control: with no Endpoint between the two on-prem nodes (today's rendering), exactly that pair fails, both ways", { timeout: 40_000 }, async (t) => {
        const started = Date.now();
        const net = await startMesh(handTopology(HAND_NODES, { omitOnpremPair: true }));
        const failures = await net.pingMatrix({ timeoutMs: PING_TIMEOUT_MS });
        assert.deepEqual(
            pairs(failures),
            ["op-1 -> op-2", "op-2 -> op-1"],
            `${formatFailures(failures)}\n${await net.describe()}`,
        );
        await net.dispose();
        t.diagnostic(`whole test ${Date.now() - started} ms`);
    });

    it("prod as planned: every node reaches every other node's mesh address over the program's own wg0 configurations", { timeout: 75_000 }, async (t) => {
        const started = Date.now();
        const plan = await planStack("prod");
        const topology = topologyFromPlan(plan);
        t.diagnostic(`planned in ${Date.now() - started} ms: ${topology.nodes.map((n) => `${n.name} (${n.site} ${n.siteAddress}${n.publicAddress ? ` public ${n.publicAddress}` : ""})`).join(", ")}`);
        const net = await startMesh(topology);
        const failures = await net.pingMatrix({ timeoutMs: PING_TIMEOUT_MS });
        t.diagnostic(`${failures.length} of ${topology.nodes.length * (topology.nodes.length - 1)} pairs failed`);
        assert.deepEqual(pairs(failures), [], `prod: ${failures.length} pairs did not connect:\n${formatFailures(failures)}`);

        await t.test("a pool inserted first, the running pools pinned with meshBlock: no address moves, every pair connects", { timeout: 25_000 }, async () => {
            const doc = YAML.parse(fs.readFileSync(stackFilePath("prod"), "utf8"));
            const pools = doc.config["infra:pools"] as Record<string, unknown>[];
            pools.forEach((p, i) => (p.meshBlock = i));
            pools.unshift({ name: "edge", provider: "static", role: "worker", meshBlock: pools.length, nodes: [{ name: "k8s-edge-1", address: "192.168.18.230", user: "ubuntu", hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFM0gR4mttgRCjdZKUw53gJXIY1fCbcKXn0nU51HRpSh" }] });
            const next = topologyFromPlan(await planText("prod", YAML.stringify(doc)));
            const applied = await net.apply(next);
            assert.deepEqual(applied, { moved: [], added: ["k8s-edge-1"], removed: [] });
            const after = await net.pingMatrix({ timeoutMs: PING_TIMEOUT_MS });
            assert.deepEqual(pairs(after), [], `after the insertion: ${after.length} pairs did not connect:\n${formatFailures(after)}`);
        });
        await net.dispose();
        t.diagnostic(`whole test ${Date.now() - started} ms`);
    });

    it("prod plus prod-burst joined to it, as planned: every node of both stacks reaches every other; a burst scale-in keeps the rest connected", { timeout: 45_000 }, async (t) => {
        const started = Date.now();
        const [base, burst] = await Promise.all([planStack("prod"), planStack("prod-burst")]);
        const topology = joinedTopology(base, [burst]);
        const burstNodes = topology.nodes.filter((n) => n.site === "aws").map((n) => n.name);
        assert.deepEqual(burstNodes, ["acme-prod-burst-burst-1", "acme-prod-burst-burst-2"]);
        t.diagnostic(`planned in ${Date.now() - started} ms: ${describeNodes(topology)}`);
        // The mesh is created in this test's context: the harness's teardown runs when it ends,
        // after both steps below (node:test's `after` attaches to the test that registers it).
        const net = await startMesh(topology);
        t.diagnostic(`up in ${Date.now() - started} ms`);

        await t.test("joined: every pair of the 9 nodes connects", { timeout: 25_000 }, async () => {
            const pinged = Date.now();
            const failures = await net.pingMatrix({ timeoutMs: PING_TIMEOUT_MS });
            const total = topology.nodes.length * (topology.nodes.length - 1);
            t.diagnostic(`joined: ${failures.length} of ${total} pairs failed, pinged in ${Date.now() - pinged} ms`);
            assert.deepEqual(pairs(failures), [], `prod + prod-burst: ${failures.length} pairs did not connect:\n${formatFailures(failures)}\n${failures.length ? await net.describe() : ""}`);
        });

        await t.test("scale-in (burst count 2 -> 1): the removed worker leaves every peer list, no address moves, the rest still connect", { timeout: 25_000 }, async () => {
            const keys = await publicKeys(net);
            const scaled = Date.now();
            const burstIn = await planText("prod-burst", burstStackFileScaledIn());
            const next = joinedTopology(base, [burstIn]);
            t.diagnostic(`scale-in planned in ${Date.now() - scaled} ms`);
            const applied = await net.apply(next);
            assert.deepEqual(applied, { moved: [], added: [], removed: ["acme-prod-burst-burst-2"] });
            const gone = keys.get("acme-prod-burst-burst-2")!;
            for (const n of next.nodes) {
                const expected = next.nodes.filter((p) => p !== n).map((p) => keys.get(p.name)!).sort();
                const peers = await net.peers(n.name);
                assert.ok(!peers.includes(gone), `${n.name} still has acme-prod-burst-burst-2 (${gone}) as a peer`);
                assert.deepEqual(peers, expected, `${n.name}: its peers should be exactly the other remaining nodes`);
            }
            const pinged = Date.now();
            const failures = await net.pingMatrix({ timeoutMs: PING_TIMEOUT_MS });
            t.diagnostic(`after the scale-in: ${failures.length} of ${next.nodes.length * (next.nodes.length - 1)} pairs failed, pinged in ${Date.now() - pinged} ms`);
            assert.deepEqual(pairs(failures), [], `after the burst scale-in, pairs that did not connect:\n${formatFailures(failures)}\n${failures.length ? await net.describe() : ""}`);
        });

        await net.dispose();
        assert.deepEqual(net.leftovers(), []);
        t.diagnostic(`whole test ${Date.now() - started} ms`);
    });
});
