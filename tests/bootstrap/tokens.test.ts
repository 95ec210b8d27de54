/**
 * Join tokens without manual rotation (issue 13, defect 4): a new bootstrap token in every
 * window of half its lifetime, so a join on any later `pulumi up` (a new worker on day ten, a
 * retried join, a burst stack) finds a valid one; joined nodes are not touched by a new token.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { tokenWindow } from "../../infra/bootstrap/steps";
import { planText } from "../../tools/plan";
import { stackYaml, withConfig } from "../helpers";

const HOUR = 3_600_000;
const T0 = Date.parse("2026-03-01T06:00:00Z");

async function planAt(time: number, config = withConfig(() => undefined)) {
    const saved = process.env.INFRA_NOW;
    process.env.INFRA_NOW = new Date(time).toISOString();
    try {
        const plan = await planText("tok", stackYaml(config));
        const join = plan.plainOutputs.join as { token: string };
        const step = plan.resources.find((r) => r.name.endsWith("-join-token"))!;
        return { plan, token: join.token, stepToken: plan.plainInputs.get(step.urn)!.stdin as string };
    } finally {
        if (saved === undefined) delete process.env.INFRA_NOW;
        else process.env.INFRA_NOW = saved;
    }
}

describe("tokenWindow", () => {
    const cases: [string, number, number, boolean][] = [
        ["the same token within half its lifetime", 24, 11 * HOUR, true],
        ["a new token once half its lifetime passed", 24, 13 * HOUR, false],
        ["a 2-hour token is renewed every hour", 2, 61 * 60_000, false],
        ["a token that never expires is never renewed", 0, 10_000 * HOUR, true],
    ];
    for (const [name, ttl, later, same] of cases)
        it(name, () => {
            // From the start of a window, so that `later` alone decides.
            const start = ttl === 0 ? T0 : Math.ceil(T0 / ((ttl / 2) * HOUR)) * (ttl / 2) * HOUR;
            assert.equal(tokenWindow(ttl, start) === tokenWindow(ttl, start + later), same);
        });
});

describe("a join on a later pulumi up gets a valid token", async () => {
    const first = await planAt(T0);
    const sameDay = await planAt(T0 + 1 * HOUR);
    const nextDay = await planAt(T0 + 25 * HOUR);

    it("a plan a day later issues a new token, and the first control plane creates it before any join", () => {
        assert.notEqual(nextDay.token, first.token);
        assert.equal(nextDay.stepToken, nextDay.token);
        assert.match(nextDay.token, /^[a-z0-9]{6}\.[a-z0-9]{16}$/);
    });

    it("an hour later the token is the same (nothing to do)", () => {
        assert.equal(sameDay.token, first.token);
    });

    it("joined nodes are not touched by a new token: the joins ignore their join material", () => {
        for (const r of nextDay.plan.resources.filter((x) => x.name.endsWith("-join") && x.type === "command:remote:Command")) assert.deepEqual(r.ignoreChanges, ["stdin"], r.name);
    });

    it("a token that never expires (joinTokenTtlHours: 0) is never renewed", async () => {
        const config = withConfig((c) => (c["infra:kubernetes"].joinTokenTtlHours = 0));
        assert.equal((await planAt(T0, config)).token, (await planAt(T0 + 1000 * HOUR, config)).token);
    });
});
