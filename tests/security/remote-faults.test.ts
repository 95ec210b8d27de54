/**
 * Remote command faults: every remote command of every stack dials with bounded retries and a
 * bounded per-dial timeout (also through a bastion), so a host that never answers fails its step
 * in bounded time; the step's name names the node it runs on.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { planStack, stackNames } from "../../tools/plan";

const STACKS = stackNames().filter((s) => s !== "local");

describe("remote commands fail in bounded time on an unreachable host", () => {
    for (const stack of STACKS) {
        it(stack, async () => {
            const plan = await planStack(stack);
            const nodes = new Set([
                ...((plan.plainOutputs.nodes as { name: string }[]) ?? []).map((n) => n.name),
                ...(((plan.plainOutputs.access as any)?.nodes ?? []) as { name: string }[]).map((n) => n.name),
            ]);
            // A burst stack also runs steps on its base's nodes.
            if (typeof plan.outputs.baseStack === "string") {
                const base = await planStack(plan.outputs.baseStack.split("/")[2]);
                for (const n of (base.plainOutputs.access as any).nodes as { name: string }[]) nodes.add(n.name);
            }
            const commands = plan.resources.filter((r) => r.type === "command:remote:Command");
            assert.ok(commands.length > 0);
            for (const c of commands) {
                const conn = plan.plainInputs.get(c.urn)!.connection as Record<string, any>;
                for (const hop of [conn, conn.proxy].filter(Boolean)) {
                    assert.ok(Number.isInteger(hop.dialErrorLimit) && hop.dialErrorLimit >= 1 && hop.dialErrorLimit <= 100, `${c.name}: dialErrorLimit`);
                    assert.ok(Number.isInteger(hop.perDialTimeout) && hop.perDialTimeout >= 1 && hop.perDialTimeout <= 120, `${c.name}: perDialTimeout`);
                    assert.ok(hop.dialErrorLimit * hop.perDialTimeout <= 100 * 120);
                }
                assert.ok([...nodes].some((n) => c.name.startsWith(`${n}-`)), `${c.name} names its node`);
            }
        });
    }
});
