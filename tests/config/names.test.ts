/** The node-name scheme: one definition, used for the cloud machines' names and for validation's collision checks. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { controlPlaneCount, nodeName, nodeNames, type Pool, poolSchema } from "../../infra/config";
import { problems, withConfig } from "../helpers";

const pool = (p: Record<string, unknown>): Pool => poolSchema.parse(p);
const hetzner = (name: string, role: string, count: number) => pool({ provider: "hetzner", name, role, count, serverType: "cx23", location: "fsn1" });

describe("nodeName", () => {
    const CASES: [string, string, number, string][] = [
        ["prod", "workers", 0, "prod-workers-1"],
        ["prod", "workers", 9, "prod-workers-10"],
        ["infra-dev", "cp", 2, "infra-dev-cp-3"],
    ];
    for (const [cluster, poolName, index, expected] of CASES) {
        it(`counts from 1: (${cluster}, ${poolName}, ${index}) -> ${expected}`, () => assert.equal(nodeName(cluster, poolName, index), expected));
    }
});

describe("nodeNames", () => {
    it("names a cloud pool's machines by cluster, pool and number", () => {
        assert.deepEqual(nodeNames("prod", hetzner("workers", "worker", 3)), ["prod-workers-1", "prod-workers-2", "prod-workers-3"]);
        assert.deepEqual(nodeNames("prod", pool({ provider: "aws", name: "gpu", role: "worker", count: 2, instanceType: "g5.xlarge" })), ["prod-gpu-1", "prod-gpu-2"]);
    });
    it("keeps the names given to on-prem machines", () => {
        const onprem = pool({ provider: "vmware", name: "dmz", role: "worker", nodes: [{ name: "w7", address: "192.168.18.7" }, { name: "w9", address: "192.168.18.9" }] });
        assert.deepEqual(nodeNames("prod", onprem), ["w7", "w9"]);
    });
    it("names no machine of an auto scaling group: AWS names those", () => {
        const asg = pool({ provider: "aws", name: "spot", role: "worker", autoscaling: { min: 1, desired: 2, max: 5 }, instanceType: "t3.medium" });
        assert.deepEqual(nodeNames("prod", asg), []);
    });
});

describe("controlPlaneCount", () => {
    it("counts the control-plane machines of every pool, and no worker", () => {
        const onpremCps = pool({ provider: "static", name: "cp2", role: "control-plane", nodes: [{ name: "a", address: "10.9.0.1" }, { name: "b", address: "10.9.0.2" }] });
        assert.equal(controlPlaneCount([hetzner("cp", "control-plane", 3), hetzner("workers", "worker", 5), onpremCps]), 5);
        assert.equal(controlPlaneCount([hetzner("workers", "worker", 5)]), 0);
    });
});

describe("node names in validation", () => {
    it("rejects an on-prem machine named like a cloud pool's node, naming both", () => {
        const c = withConfig((c) => {
            c["infra:clusterName"] = "x";
            c["infra:pools"].push({ name: "dmz", provider: "static", role: "worker", nodes: [{ name: "x-workers-1", address: "192.168.18.5", user: "ubuntu" }] });
            c["infra:mesh"] = { enabled: true };
        });
        assert.deepEqual(problems(c), ['infra:pools[2].nodes[0].name: duplicate node name "x-workers-1" (also infra:pools[1].name)']);
    });
});

describe("meshAddresses (with the stack file's pins)", () => {
    const { meshAddresses } = require("../../infra/config") as typeof import("../../infra/config");
    const pool = (name: string, extra: Record<string, unknown> = {}) => ({ name, provider: "hetzner", role: "worker", count: 2, serverType: "cx23", location: "fsn1", labels: {}, taints: [], ...extra }) as never;
    const onprem = (name: string, nodes: { name: string; meshAddress?: string }[], extra: Record<string, unknown> = {}) =>
        ({ name, provider: "static", role: "worker", labels: {}, taints: [], nodes: nodes.map((n) => ({ address: "192.168.18.9", port: 22, ...n })), ...extra }) as never;
    const of = (pools: never[], offset = 0) => meshAddresses("c", pools, "10.200.0.0/16", offset).map((a) => `${a.name}=${a.address}`);

    it("pool p, node n: <mesh>.p.(n+1); burst stacks from block 128", () => {
        assert.deepEqual(of([pool("a"), pool("b")]), ["c-a-1=10.200.0.1", "c-a-2=10.200.0.2", "c-b-1=10.200.1.1", "c-b-2=10.200.1.2"]);
        assert.deepEqual(of([pool("a")], 128), ["c-a-1=10.200.128.1", "c-a-2=10.200.128.2"]);
    });
    it("a pool inserted first moves the others, unless they are pinned with meshBlock", () => {
        assert.deepEqual(of([pool("new"), pool("a")]).slice(2), ["c-a-1=10.200.1.1", "c-a-2=10.200.1.2"]);
        assert.deepEqual(of([pool("new", { meshBlock: 1 }), pool("a", { meshBlock: 0 })]).slice(2), ["c-a-1=10.200.0.1", "c-a-2=10.200.0.2"]);
    });
    it("a machine removed from the middle of a list moves the later ones, unless they pin meshAddress", () => {
        assert.deepEqual(of([onprem("op", [{ name: "m1" }, { name: "m3" }])]), ["m1=10.200.0.1", "m3=10.200.0.2"]);
        assert.deepEqual(of([onprem("op", [{ name: "m1" }, { name: "m3", meshAddress: "10.200.0.3" }])]), ["m1=10.200.0.1", "m3=10.200.0.3"]);
    });
});
