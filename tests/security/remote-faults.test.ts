/**
 * Remote command faults: every remote command of every stack dials with the stack's bounded
 * retries and per-dial timeout (also through a bastion), so a host that never answers fails its
 * step with a dial error in bounded time, well before the step's own timeout; the step's name
 * names the node it runs on.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { planStack, stackNames } from "../../tools/plan";
import { planConfig, problems, withConfig } from "../helpers";

const STACKS = stackNames().filter((s) => s !== "local");

/** The documented defaults of infra:ssh.dialErrorLimit and infra:ssh.perDialTimeoutSeconds. */
const DEFAULT_DIAL = { dialErrorLimit: 20, perDialTimeout: 10 };
/**
 * How long a step may spend dialing a dead host, in seconds: the readiness gate's create timeout
 * (20 minutes, the shortest of the remote commands'). Within it the step fails with a dial error
 * naming the host, instead of a bare timeout.
 */
const DIAL_BUDGET_SECONDS = 20 * 60;

type Hop = { dialErrorLimit: number; perDialTimeout: number };
/** Worst case: every attempt on every hop (bastion, then target) runs into its timeout. */
const worstCaseDialSeconds = (hops: Hop[]) => hops.reduce((s, h) => s + h.dialErrorLimit * h.perDialTimeout, 0);

describe("remote commands fail in bounded time on an unreachable host", () => {
    for (const stack of STACKS) {
        it(stack, async () => {
            const plan = await planStack(stack);
            const ssh = JSON.parse(plan.file.values["infra:ssh"] ?? "{}") as { dialErrorLimit?: number; perDialTimeoutSeconds?: number };
            const configured = {
                dialErrorLimit: ssh.dialErrorLimit ?? DEFAULT_DIAL.dialErrorLimit,
                perDialTimeout: ssh.perDialTimeoutSeconds ?? DEFAULT_DIAL.perDialTimeout,
            };
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
                const hops = [conn, conn.proxy].filter(Boolean) as Hop[];
                for (const hop of hops) {
                    assert.ok(Number.isInteger(hop.dialErrorLimit) && hop.dialErrorLimit >= 1 && hop.dialErrorLimit <= 100, `${c.name}: dialErrorLimit`);
                    assert.ok(Number.isInteger(hop.perDialTimeout) && hop.perDialTimeout >= 1 && hop.perDialTimeout <= 120, `${c.name}: perDialTimeout`);
                    const { dialErrorLimit, perDialTimeout } = hop;
                    assert.deepEqual({ dialErrorLimit, perDialTimeout }, configured, `${c.name}: the stack's infra:ssh dial settings`);
                }
                const worst = worstCaseDialSeconds(hops);
                assert.ok(worst <= DIAL_BUDGET_SECONDS, `${c.name}: ${worst} s of dialing a dead host exceeds ${DIAL_BUDGET_SECONDS} s`);
                assert.ok([...nodes].some((n) => c.name.startsWith(`${n}-`)), `${c.name} names its node`);
                // A script that hangs on a live host (a stuck apt lock, a wedged kubectl) must not hold the update forever.
                for (const op of ["create", "update", "delete"] as const)
                    if (op === "create" || c.inputs[op] !== undefined) assert.match(String(c.customTimeouts?.[op]), /^\d+m$/, `${c.name}: no ${op} timeout`);
            }
        });
    }
});

describe("the dial bounds are the user's to set, within limits", () => {
    it("tighter settings reach every remote command, through the bastion too", async () => {
        const { plan, plain } = await planConfig(
            withConfig((c) => {
                Object.assign(c["infra:ssh"], { dialErrorLimit: 3, perDialTimeoutSeconds: 5, bastion: { host: "bastion.acme.example", user: "ops" } });
                c["infra:pools"] = [{ name: "cp", provider: "vmware", role: "control-plane", nodes: [{ name: "k8s-cp-1", address: "192.168.18.201", user: "ubuntu" }] }];
                delete c["hcloud:token"];
            }),
            "dial",
        );
        const commands = plan.resources.filter((r) => r.type === "command:remote:Command");
        assert.ok(commands.length >= 3, "readiness gate, prepare, init");
        for (const c of commands) {
            const conn = plain(c.name).connection as Record<string, any>;
            assert.deepEqual([conn.dialErrorLimit, conn.perDialTimeout], [3, 5], c.name);
            assert.deepEqual([conn.proxy?.host, conn.proxy?.dialErrorLimit, conn.proxy?.perDialTimeout], ["bastion.acme.example", 3, 5], c.name);
            assert.equal(worstCaseDialSeconds([conn, conn.proxy]), 30, `${c.name}: 3 attempts of 5 s on each hop`);
        }
    });

    it("the config refuses unbounded or meaningless dial settings, at their key", () => {
        const CASES: [key: string, value: unknown, problem: string][] = [
            ["dialErrorLimit", 0, "infra:ssh.dialErrorLimit: must be at least 1"],
            ["dialErrorLimit", 101, "infra:ssh.dialErrorLimit: must be at most 100"],
            ["dialErrorLimit", 2.5, "infra:ssh.dialErrorLimit: must be a whole number, got a number"],
            ["perDialTimeoutSeconds", 0, "infra:ssh.perDialTimeoutSeconds: must be at least 1"],
            ["perDialTimeoutSeconds", 121, "infra:ssh.perDialTimeoutSeconds: must be at most 120"],
            ["perDialTimeoutSeconds", "10", "infra:ssh.perDialTimeoutSeconds: must be a number, got a string"],
        ];
        for (const [key, value, problem] of CASES) {
            assert.deepEqual(problems(withConfig((c) => (c["infra:ssh"][key] = value))), [problem], `${key} = ${JSON.stringify(value)}`);
        }
    });
});
