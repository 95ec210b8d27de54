/**
 * `npm run bench` (a benchmark, not a test):
 * 1. wall time of `npm run plan -- <stack>` for every stack file, median of 5, as a user feels it;
 * 2. how the plan scales: synthetic clusters of 10, 100 and 500 workers, planned in-process;
 * 3. the bootstrap's critical path (longest chain of remote commands) for 1+1, 3+3 and 3+500 nodes;
 * 4. a rolling upgrade's modelled duration for 3+3 and 3+50 nodes (minutes per step from
 *    infra/bootstrap/lifecycle.ts), and the chain of steps its plan orders.
 * Exits 1 when a budget is exceeded: the dev stack in 5 s, 500 workers in 20 s, 6 steps (up to 3 control planes).
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { MINUTES, rolloutMinutes } from "../infra/bootstrap/lifecycle";
import { commandsPerNode, criticalPath, planText, REPO_ROOT, rolloutChain, stackNames, syntheticStack } from "./plan";

const RUNS = 5;
const DEV_BUDGET_MS = 5000;
const SCALE_BUDGET_MS = 20000;
// ready, prepare, init, token, join, drain guard; control planes beyond the third add one join each.
const CRITICAL_PATH_BUDGET = 6;

function median(xs: number[]): number {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)];
}

function timeCli(stack: string): number {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, ["--import", "tsx", path.join(REPO_ROOT, "tools/plan/cli.ts"), stack], { cwd: REPO_ROOT, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`plan of ${stack} failed (exit ${r.status}): ${r.stderr.trim().split("\n")[0]}`);
    return performance.now() - t0;
}

async function timeInProcess(text: string, runs: number): Promise<{ ms: number; resources: number }> {
    const times: number[] = [];
    let resources = 0;
    for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        const plan = await planText("bench", text);
        times.push(performance.now() - t0);
        resources = plan.resources.length;
    }
    return { ms: median(times), resources };
}

async function main(): Promise<number> {
    let failed = false;
    const stacks = stackNames();
    console.log(`npm run plan -- <stack>: wall time, median of ${RUNS} runs`);
    for (const stack of stacks) {
        const m = median(Array.from({ length: RUNS }, () => timeCli(stack)));
        const over = stack === "dev" && m > DEV_BUDGET_MS;
        failed ||= over;
        console.log(`  ${stack.padEnd(12)} ${m.toFixed(0).padStart(6)} ms${stack === "dev" ? ` (budget ${DEV_BUDGET_MS} ms: ${over ? "OVER" : "ok"})` : ""}`);
    }

    console.log("\nscaling: the dev stack with N workers, planned in-process, median of 3 (after a warm-up)");
    await timeInProcess(syntheticStack(10), 1);
    const results: Record<number, number> = {};
    for (const n of [10, 100, 500]) {
        const { ms, resources } = await timeInProcess(syntheticStack(n), 3);
        results[n] = ms;
        console.log(`  ${String(n).padStart(4)} workers ${String(resources).padStart(5)} resources ${ms.toFixed(0).padStart(7)} ms  ${(ms / (n + 1)).toFixed(2)} ms/node`);
    }
    const over = results[500] > SCALE_BUDGET_MS;
    failed ||= over;
    console.log(`  t(500)/t(100) = ${(results[500] / results[100]).toFixed(2)} (linear: 5.00); 500 workers: ${over ? "OVER" : "within"} the ${SCALE_BUDGET_MS} ms budget`);

    console.log("\nbootstrap: longest chain of remote commands (critical path) and remote commands per node");
    for (const [cps, workers] of [[1, 1], [3, 3], [3, 500]]) {
        const plan = await planText("bench", syntheticStack(workers, cps));
        const path = criticalPath(plan.resources);
        const nodes = (plan.outputs.nodes as { name: string; role: string }[]).map((n) => n.name);
        const counts = [...commandsPerNode(plan.resources, nodes).values()];
        const tooLong = path.length > CRITICAL_PATH_BUDGET;
        failed ||= tooLong;
        console.log(
            `  ${cps}+${String(workers).padEnd(4)} critical path ${path.length} steps (budget ${CRITICAL_PATH_BUDGET}: ${tooLong ? "OVER" : "ok"}): ${path.map((n) => n.replace(/^.*-(\d+-)?/, "")).join(" -> ")}; commands per node ${Math.min(...counts)}..${Math.max(...counts)}`,
        );
    }

    console.log(`\nrolling upgrade (1.35.9 -> 1.36.2): modelled minutes (snapshot ${MINUTES.snapshot}, first control plane ${MINUTES.firstControlPlane}, each other ${MINUTES.controlPlane}, each worker batch ${MINUTES.worker})`);
    for (const [cps, workers] of [[3, 3], [3, 50]]) {
        const text = syntheticStack(workers, cps);
        const deployed = await planText("bench", text);
        const bumped = await planText("bench", text.replace(/version: 1\.35\.9/, "version: 1.36.2"), { deployed: deployed.plainOutputs });
        const steps = rolloutChain(bumped.resources).length;
        const batches = [1, 5].map((b) => `batch ${b}: about ${rolloutMinutes(cps, workers, b)} min`).join(", ");
        console.log(`  ${cps}+${String(workers).padEnd(4)} ${steps} steps one after another (batch 1); ${batches}`);
    }
    return failed ? 1 : 0;
}

if (require.main === module) main().then((code) => process.exit(code));
