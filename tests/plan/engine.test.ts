/**
 * The offline plan records what the engine would see. The dependency capture relies on an
 * internal seam of @pulumi/pulumi (the register requests the mock monitor receives); this
 * test pins that behaviour so an SDK upgrade that breaks it fails here, not silently.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as command from "@pulumi/command";
import * as hcloud from "@pulumi/hcloud";
import * as pulumi from "@pulumi/pulumi";
import { runPlan, SECRET } from "../../tools/plan/engine";

async function planOf(program: () => Promise<Record<string, unknown>>) {
    return runPlan({ stack: "seam", values: {}, secretKeys: [] }, program);
}

describe("the plan engine", () => {
    it("records dependencies implied by outputs used as inputs, and explicit ones", async () => {
        const plan = await planOf(async () => {
            const server = new hcloud.Server("s1", { serverType: "cx23", image: "ubuntu-24.04", location: "fsn1" });
            const other = new hcloud.Server("s2", { serverType: "cx23", image: "ubuntu-24.04", location: "fsn1" });
            new command.remote.Command(
                "ready",
                { connection: { host: server.ipv4Address, privateKey: pulumi.secret("k") }, create: "true" },
                { dependsOn: [other] },
            );
            return {};
        });
        const byName = new Map(plan.resources.map((r) => [r.name, r]));
        const ready = byName.get("ready")!;
        assert.deepEqual(ready.dependsOn, [byName.get("s1")!.urn, byName.get("s2")!.urn].sort());
        assert.equal(byName.get("s1")!.parent, byName.get("infra-seam")!.urn);
    });

    it("replaces secret inputs by [secret] and collects their values", async () => {
        const plan = await planOf(async () => {
            new hcloud.Server("s", { serverType: "cx23", image: "ubuntu-24.04", location: "fsn1", userData: pulumi.secret("very-private") });
            return { out: pulumi.secret("shh"), plain: "visible" };
        });
        const s = plan.resources.find((r) => r.name === "s")!;
        assert.equal(s.inputs.userData, SECRET);
        assert.equal(s.inputs.serverType, "cx23");
        assert.ok(!JSON.stringify(plan.resources).includes("very-private"));
        assert.deepEqual(plan.outputs, { out: SECRET, plain: "visible" });
        assert.deepEqual(plan.secretValues, ["shh", "very-private"]);
    });

    it("gives cloud resources realistic outputs, stable across runs", async () => {
        const prog = async () => {
            const s = new hcloud.Server("web-1", { serverType: "cx23", image: "ubuntu-24.04", location: "fsn1" });
            return { ip: s.ipv4Address };
        };
        const a = await planOf(prog);
        const b = await planOf(prog);
        assert.match(String(a.outputs.ip), /^203\.0\.113\.\d{1,3}$/);
        assert.equal(a.outputs.ip, b.outputs.ip);
    });
});
