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
import { describe, it } from "node:test";
import { type MeshInterface, type MeshPeer, renderWireguardConfig, wireguardPublicKey } from "../../infra/nodes/mesh";
import { planStack } from "../../tools/plan";
import { requireRoot } from "./debian-root";
import { formatFailures, type MeshNodeSpec, type PingFailure, type Site, startMesh, type Topology, topologyFromPlan } from "./mesh-net";

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

describe("the WireGuard mesh between real test hosts (wireguard-go in network namespaces)", { timeout: 110_000 }, () => {
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

    it("prod as planned: every node reaches every other node's mesh address over the program's own wg0 configurations", { timeout: 60_000 }, async (t) => {
        const started = Date.now();
        const plan = await planStack("prod");
        const topology = topologyFromPlan(plan);
        t.diagnostic(`planned in ${Date.now() - started} ms: ${topology.nodes.map((n) => `${n.name} (${n.site} ${n.siteAddress}${n.publicAddress ? ` public ${n.publicAddress}` : ""})`).join(", ")}`);
        const net = await startMesh(topology);
        const failures = await net.pingMatrix({ timeoutMs: PING_TIMEOUT_MS });
        t.diagnostic(`${failures.length} of ${topology.nodes.length * (topology.nodes.length - 1)} pairs failed`);
        assert.deepEqual(pairs(failures), [], `prod: ${failures.length} pairs did not connect:\n${formatFailures(failures)}`);
        await net.dispose();
        t.diagnostic(`whole test ${Date.now() - started} ms`);
    });
});
