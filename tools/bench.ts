/**
 * `npm run bench`: wall time of `npm run plan -- <stack>` for every stack file, median of 5
 * runs, as a user would feel it (process start, TypeScript, the program under mocks).
 * A benchmark, not a test: it prints figures and fails only if the dev stack exceeds 5 s.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO_ROOT } from "./plan";

const RUNS = 5;
const DEV_BUDGET_MS = 5000;

function median(xs: number[]): number {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)];
}

function timePlan(stack: string): number {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, ["--import", "tsx", path.join(REPO_ROOT, "tools/plan/cli.ts"), stack], { cwd: REPO_ROOT, encoding: "utf8" });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 0) throw new Error(`plan of ${stack} failed (exit ${r.status}): ${r.stderr.trim().split("\n")[0]}`);
    return ms;
}

const stacks = fs
    .readdirSync(REPO_ROOT)
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();

let failed = false;
console.log(`plan wall time, median of ${RUNS} runs`);
for (const stack of stacks) {
    const times = Array.from({ length: RUNS }, () => timePlan(stack));
    const m = median(times);
    const budget = stack === "dev" ? ` (budget ${DEV_BUDGET_MS} ms: ${m <= DEV_BUDGET_MS ? "ok" : "OVER"})` : "";
    if (stack === "dev" && m > DEV_BUDGET_MS) failed = true;
    console.log(`  ${stack.padEnd(12)} ${m.toFixed(0).padStart(6)} ms${budget}`);
}
process.exit(failed ? 1 : 0);
