/**
 * Issue 14, defect 3: a node that leaves the mesh is drained while it still reaches the API over
 * the mesh, and only then dropped as a peer. Pulumi applies updates before deletes, so the drain
 * happens in an update that every peer change waits for (`<cp>-mesh-leave`), not in the delete.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { planStack } from "../../tools/plan";

const depsOn = (plan: Awaited<ReturnType<typeof planStack>>, name: string) => {
    const r = plan.resources.find((x) => x.name === name);
    assert.ok(r, `no resource ${name}`);
    return r!.dependsOn.map((u) => u.split("::").pop()!);
};

describe("prod: peers change only after the nodes that leave were drained", async () => {
    const plan = await planStack("prod");
    const nodes = (plan.plainOutputs.nodes as { name: string; role: string }[]).map((n) => n);
    const leave = plan.resources.find((r) => r.name === "k8s-cp-1-mesh-leave")!;

    it("the leave step runs on the first control plane after init, over this stack's workers", () => {
        assert.deepEqual(depsOn(plan, "k8s-cp-1-mesh-leave"), ["k8s-cp-1-init"]);
        const script = String(plan.plainInputs.get(leave.urn)!.create);
        assert.match(script, /^LIST='cluster'$/m);
        assert.match(script, new RegExp(`^MEMBERS='${nodes.filter((n) => n.role === "worker").map((n) => n.name).join(" ")}'$`, "m"));
    });

    it("every node's mesh step waits for it; prepare no longer changes peers", () => {
        for (const n of nodes) {
            assert.ok(depsOn(plan, `${n.name}-mesh`).includes("k8s-cp-1-mesh-leave"), n.name);
            assert.deepEqual(plan.resources.find((r) => r.name === `${n.name}-prepare`)!.ignoreChanges, ["stdin"]);
        }
    });

    it("joins wait for the control planes' mesh steps: they know a new node's key before it reaches out", () => {
        for (const n of nodes.filter((x) => x.name !== "k8s-cp-1")) for (const cp of ["k8s-cp-1", "k8s-cp-2", "k8s-cp-3"]) assert.ok(depsOn(plan, `${n.name}-join`).includes(`${cp}-mesh`), `${n.name} after ${cp}-mesh`);
    });
});

describe("prod-burst: a burst worker that goes is drained on prod before prod's nodes drop it", async () => {
    const burst = await planStack("prod-burst");
    const prod = await planStack("prod");

    it("the leave step on prod's first control plane lists the burst workers", () => {
        const leave = burst.resources.find((r) => r.name === "k8s-cp-1-acme-prod-burst-mesh-leave")!;
        assert.match(String(burst.plainInputs.get(leave.urn)!.create), /^MEMBERS='acme-prod-burst-burst-1 acme-prod-burst-burst-2'$/m);
        assert.match(String(burst.plainInputs.get(leave.urn)!.create), /^LIST='acme-prod-burst'$/m);
    });

    it("every prod node's peer list of the burst workers waits for it", () => {
        for (const n of prod.plainOutputs.nodes as { name: string }[]) assert.ok(depsOn(burst, `${n.name}-peers-acme-prod-burst`).includes("k8s-cp-1-acme-prod-burst-mesh-leave"), n.name);
    });
});

describe("a pool inserted before the others would move running nodes' mesh addresses", () => {
    it("the plan diff flags every moved node at the top", async () => {
        const { diffPlans, renderDiff } = await import("../../tools/plan/diff");
        const { planText, readStackFile, stackFilePath } = await import("../../tools/plan");
        const YAML = await import("yaml");
        const before = await planStack("prod");
        const doc = YAML.parse(require("node:fs").readFileSync(readStackFile(stackFilePath("prod")).path, "utf8"));
        const pools = doc.config["infra:pools"] as { name: string; provider: string; role: string; nodes?: unknown[] }[];
        pools.unshift({ name: "edge", provider: "static", role: "worker", nodes: [{ name: "k8s-edge-1", address: "192.168.18.230", user: "ubuntu", hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFM0gR4mttgRCjdZKUw53gJXIY1fCbcKXn0nU51HRpSh" }] });
        const after = await planText("prod", YAML.stringify(doc));
        const md = renderDiff(diffPlans(before.resources, after.resources));
        assert.match(md, /> - update `command:remote:Command` \*\*k8s-cp-1-mesh\*\* \(moves the node's mesh address 10\.200\.0\.1 -> 10\.200\.1\.1: refused on a node in the cluster\)/);
    });
});
