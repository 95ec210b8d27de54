/**
 * Issue 14: a mesh whose every pair can handshake. Same-site peers meet at their site addresses
 * (the on-prem LAN, a cloud's private network), other sites at public addresses; nodes behind NAT
 * reach out with keepalives. The pod network's MTU fits inside wg0's, and the API's name resolves
 * on every node to the control planes' mesh addresses.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as YAML from "yaml";
import { calicoValues } from "../../infra/bootstrap/cni";
import { parseBundle } from "../../infra/bootstrap/remote";
import { MESH_MTU, peersSeenFrom, POD_MTU_OVER_MESH, renderWireguardConfig, type SitedPeer, unreachablePairs } from "../../infra/nodes/mesh";
import { planStack } from "../../tools/plan";

const peer = (name: string, site: SitedPeer["site"], siteEndpoint: string, publicEndpoint?: string): SitedPeer => ({
    name,
    address: `10.200.0.${name.length}`,
    publicKey: `${name}=`,
    site,
    siteEndpoint,
    ...(publicEndpoint ? { publicEndpoint } : {}),
});
const members = [
    peer("op-a", "onprem", "192.168.18.201:51820"),
    peer("op-b", "onprem", "192.168.18.202:51820"),
    peer("hz-a", "hetzner", "10.0.1.2:51820", "198.51.100.2:51820"),
    peer("hz-b", "hetzner", "10.0.1.3:51820", "198.51.100.3:51820"),
    peer("aws-a", "aws", "10.1.16.4:51820", "203.0.113.4:51820"),
];

describe("peersSeenFrom", () => {
    const endpoints = (self: string) => Object.fromEntries(peersSeenFrom({ name: self, site: members.find((m) => m.name === self)!.site }, members).map((p) => [p.name, p.endpoint ?? null]));
    it("on-prem: other on-prem nodes on the LAN, cloud nodes at their public addresses", () =>
        assert.deepEqual(endpoints("op-a"), { "op-b": "192.168.18.202:51820", "hz-a": "198.51.100.2:51820", "hz-b": "198.51.100.3:51820", "aws-a": "203.0.113.4:51820" }));
    it("Hetzner: the other Hetzner node on the private network, AWS at its public address, on-prem nodes unknown (they reach out)", () =>
        assert.deepEqual(endpoints("hz-a"), { "op-a": null, "op-b": null, "hz-b": "10.0.1.3:51820", "aws-a": "203.0.113.4:51820" }));
    it("AWS: every other cloud node at its public address", () => assert.deepEqual(endpoints("aws-a"), { "op-a": null, "op-b": null, "hz-a": "198.51.100.2:51820", "hz-b": "198.51.100.3:51820" }));
});

describe("unreachablePairs", () => {
    it("none for one NAT site and the clouds", () => assert.deepEqual(unreachablePairs(members), []));
    it("two sites behind NAT can never handshake", () => {
        const other = peer("branch-a", "aws", "10.9.0.2:51820");
        assert.deepEqual(unreachablePairs([members[0], other]), [["op-a", "branch-a"]]);
    });
});

describe("MTU", () => {
    it("wg0 is set to 1420 and pods over the mesh to 1370 (VXLAN's 50 bytes less)", () => {
        assert.equal(MESH_MTU, 1420);
        assert.equal(POD_MTU_OVER_MESH, 1370);
        assert.match(renderWireguardConfig({ address: "10.200.0.1", privateKey: "k=", port: 51820, behindNat: false }, []), /^MTU = 1420$/m);
        assert.equal(calicoValues("10.244.0.0/16", POD_MTU_OVER_MESH).installation.calicoNetwork.mtu, 1370);
        assert.equal(calicoValues("10.244.0.0/16").installation.calicoNetwork.mtu, undefined, "without the mesh Calico detects it");
    });
});

describe("prod: every pair of nodes can handshake", async () => {
    const plan = await planStack("prod");
    const nodes = plan.plainOutputs.nodes as { name: string; provider: string; publicAddress: string }[];
    const configOf = (name: string) => {
        const prepare = plan.resources.find((r) => r.name === `${name}-prepare`)!;
        return parseBundle(String(plan.plainInputs.get(prepare.urn)!.stdin)).get("/etc/wireguard/wg0.base.conf")!;
    };
    const endpointOf = (config: string, peerName: string) => new RegExp(`# ${peerName}\\n\\[Peer\\][^#]*?Endpoint = (\\S+)`).exec(config)?.[1] ?? null;

    it("each on-prem node has an endpoint for every other node: the LAN for on-prem peers", () => {
        const onprem = nodes.filter((n) => n.provider === "vmware" || n.provider === "static");
        assert.ok(onprem.length >= 2);
        for (const a of onprem)
            for (const b of nodes.filter((x) => x.name !== a.name)) {
                const ep = endpointOf(configOf(a.name), b.name);
                assert.ok(ep, `${a.name} knows where ${b.name} is`);
                if (onprem.includes(b)) assert.match(ep!, /^192\.168\.18\.\d+:51820$/, `${a.name} -> ${b.name} on the LAN`);
                else assert.equal(ep, `${b.publicAddress}:51820`);
            }
    });

    it("the pod network's MTU fits the mesh", () => {
        const calico = plan.resources.find((r) => r.inputs.chart === "tigera-operator")!;
        assert.equal((calico.inputs.values as any).installation.calicoNetwork.mtu, 1370);
    });

    it("every node resolves the API's name to the control planes' mesh addresses; burst workers too", async () => {
        for (const n of nodes) {
            const prepare = plan.resources.find((r) => r.name === `${n.name}-prepare`)!;
            const script = String(plan.plainInputs.get(prepare.urn)!.create);
            assert.match(script, /^API_NAME='k8s-api\.acme\.internal'$/m, n.name);
            assert.match(script, /^API_ADDRESSES='10\.200\.0\.1 10\.200\.0\.2 10\.200\.0\.3'$/m, n.name);
        }
        const burst = await planStack("prod-burst");
        for (const r of burst.resources.filter((x) => x.name.endsWith("-prepare")))
            assert.match(String(burst.plainInputs.get(r.urn)!.create), /^API_ADDRESSES='10\.200\.0\.1 10\.200\.0\.2 10\.200\.0\.3'$/m, r.name);
        const join = burst.resources.find((r) => r.name.endsWith("-join"))!;
        assert.match(YAML.parse(parseBundle(String(burst.plainInputs.get(join.urn)!.stdin)).get("/etc/kubernetes/infra/kubeadm-join.yaml")!).discovery.bootstrapToken.apiServerEndpoint, /^k8s-api\.acme\.internal:6443$/);
    });
});
