/**
 * The plan diff follows renames the way a real engine does: a component whose type changed with
 * an alias (the auto scaling group pools, once `AwsPool`s) keeps its children's state, so the
 * diff shows no removal and no addition; without the alias it would show both.
 */
import assert from "node:assert/strict";
import { before as beforeAll, describe, it } from "node:test";
import { planStack, type PlannedResource } from "../../tools/plan";
import { diffPlans, previousUrns } from "../../tools/plan/diff";

const NEW = "infra:nodes:AwsAutoscalingPool";
const OLD = "infra:nodes:AwsPool";

/** The plan as the program made it before the rename: the old type in every URN, no aliases. */
function beforeRename(plan: readonly PlannedResource[]): PlannedResource[] {
    // A URN names the resource's type after its parent's: `...::<parent type>$<type>::<name>`.
    const rename = (urn: string | null) => urn?.replace(`$${NEW}::`, `$${OLD}::`).replace(`::${NEW}$`, `::${OLD}$`) ?? null;
    return plan.map((r) => ({ ...r, urn: rename(r.urn)!, type: r.type === NEW ? OLD : r.type, parent: rename(r.parent), aliases: [] }));
}

describe("plan diff across an aliased rename (staging's auto scaling group)", () => {
    let after: PlannedResource[];
    beforeAll(async () => {
        after = (await planStack("staging")).resources;
    });

    it("the pool component carries its old type as an alias", () => {
        const pool = after.find((r) => r.type === NEW)!;
        assert.deepEqual(pool.aliases, [{ type: OLD }]);
    });

    it("maps the component and its children to their URNs before the rename", () => {
        const byUrn = new Map(after.map((r) => [r.urn, r]));
        const template = after.find((r) => r.type === "aws:ec2/launchTemplate:LaunchTemplate")!;
        assert.ok(template.urn.includes(`::${NEW}$`), template.urn);
        assert.deepEqual(previousUrns(template, byUrn), [template.urn.replace(`::${NEW}$`, `::${OLD}$`)]);
    });

    it("shows no change where a real engine would change nothing", () => {
        assert.deepEqual(diffPlans(beforeRename(after), after), []);
    });

    it("without the alias the same rename is a removal and an addition of the group", () => {
        const unaliased = after.map((r) => ({ ...r, aliases: [] }));
        const kinds = diffPlans(beforeRename(after), unaliased).map((d) => `${d.kind} ${d.resource.type}`);
        assert.ok(kinds.includes("remove aws:autoscaling/group:Group") && kinds.includes("add aws:autoscaling/group:Group"), kinds.join(", "));
    });
});
