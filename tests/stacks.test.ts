/** Every stack file in the repository plans, and its plan keeps the promises of the README. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { planStack, renderTree, stackNames, summaryLine } from "../tools/plan";

const STACKS = stackNames();

describe("every Pulumi.<stack>.yaml plans", () => {
    it("the repository has the dev and prod examples", () => {
        assert.ok(STACKS.includes("dev") && STACKS.includes("prod"), STACKS.join(", "));
    });
    for (const stack of STACKS) {
        it(`${stack} plans, and no secret from its stack file reaches the plan in plain text`, async () => {
            const plan = await planStack(stack);
            const tree = renderTree(plan.resources);
            assert.match(tree.split("\n")[1], new RegExp(`pulumi:pulumi:Stack\\s+infra-${stack}$`));
            assert.match(summaryLine(plan.resources), new RegExp(`^Plan: ${plan.resources.filter((r) => !r.read).length} resources to create`));
            const placeholders = Object.values(plan.file.placeholders);
            assert.ok(placeholders.length > 0 || stack === "local", "stack files with nodes carry secrets");
            const visible = JSON.stringify({ resources: plan.resources, outputs: plan.outputs, log: plan.log });
            for (const p of placeholders) assert.ok(!visible.includes(p), `secret placeholder ${p} is visible in the plan`);
            for (const r of plan.resources) {
                assert.ok(r.urn.startsWith(`urn:pulumi:${stack}::infra::`), r.urn);
                if (r.type !== "pulumi:pulumi:Stack") assert.ok(plan.resources.some((p) => p.urn === r.parent), `${r.urn} has a known parent`);
                for (const d of r.dependsOn) assert.ok(plan.resources.some((p) => p.urn === d), `${r.urn} depends on unknown ${d}`);
            }
        });
    }
});
