/**
 * `npm run plan -- <stack> [--config-file FILE] [--deployed DIR] [--out DIR]`: the real program
 * under Pulumi's mock runtime, no cloud credentials. Prints the resource tree and a `Plan:` line.
 * `--deployed` plans against a deployed state (another plan's `--out` directory): the day-2 rules
 * and the rollout (an upgrade, nodes joining or leaving) are decided from it, as `pulumi up` decides
 * them from the stack's last outputs.
 * Exit codes: 0 planned; 2 invalid configuration (problems on stderr); 3 planned, but a real
 * `pulumi up` would hang or fail (findings on stderr: await rules, Helm hooks, chart facts);
 * 1 anything else.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { isConfigError } from "../../infra/config/errors";
import { diffPlans, readPlanDir, renderDiff, rolloutSummary } from "./diff";
import { renderTopology } from "./topology";
import { planStack, renderCost, renderLookups, renderOutputs, renderTree, StackFileError, summaryLine, writePlan } from "./index";

const USAGE = "usage: npm run plan -- <stack> [--config-file FILE] [--deployed DIR] [--out DIR]\n       npm run plan -- diff <before-dir> <after-dir>";

async function main(argv: string[]): Promise<number> {
    let args;
    try {
        args = parseArgs({
            args: argv,
            allowPositionals: true,
            options: { "config-file": { type: "string" }, deployed: { type: "string" }, out: { type: "string" }, help: { type: "boolean", short: "h" } },
        });
    } catch (e) {
        process.stderr.write(`plan: ${(e as Error).message}\n${USAGE}\n`);
        return 1;
    }
    if (args.values.help) {
        process.stdout.write(`${USAGE}\n`);
        return 0;
    }
    if (args.positionals[0] === "diff") {
        if (args.positionals.length !== 3) {
            process.stderr.write(`plan: diff takes two plan directories\nusage: npm run plan -- diff <before-dir> <after-dir>\n`);
            return 1;
        }
        try {
            const [before, after] = [readPlanDir(args.positionals[1]), readPlanDir(args.positionals[2])];
            const diffs = diffPlans(before.resources, after.resources);
            process.stdout.write(`${renderDiff(diffs, { before: before.cost, after: after.cost }, rolloutSummary(before.outputs, after.outputs, diffs))}\n`);
            return 0;
        } catch (e) {
            process.stderr.write(`plan: diff: ${(e as Error).message.split("\n")[0]}\n`);
            return 1;
        }
    }
    if (args.positionals.length !== 1) {
        process.stderr.write(`plan: expected one stack name\n${USAGE}\n`);
        return 1;
    }
    const stack = args.positionals[0];
    if (!/^[A-Za-z0-9_.-]+$/.test(stack)) {
        process.stderr.write(`plan: "${stack}" is not a stack name (letters, digits, '-', '_', '.')\n`);
        return 1;
    }
    try {
        const deployed = args.values.deployed ? readPlanDir(args.values.deployed).outputs : undefined;
        if (args.values.deployed && !deployed) throw new StackFileError(`--deployed ${args.values.deployed}: no outputs.json there (a plan's --out directory)`, 1);
        const plan = await planStack(stack, args.values["config-file"], { deployed });
        for (const line of plan.log) process.stderr.write(`${line}\n`);
        process.stdout.write(`${renderTree(plan.resources)}\n\n`);
        const lookups = renderLookups(plan.lookups);
        if (lookups) process.stdout.write(`${lookups}\n\n`);
        const outputs = renderOutputs(plan.outputs);
        if (outputs) process.stdout.write(`${outputs}\n\n`);
        process.stdout.write(`${renderCost(plan.cost)}\n\n`);
        process.stdout.write(`${summaryLine(plan.resources)}\n`);
        for (const f of plan.findings) process.stderr.write(`finding [${f.rule}] ${f.urn}\n  ${f.message}\n`);
        if (args.values.out) {
            writePlan(args.values.out, plan);
            fs.writeFileSync(path.join(args.values.out, "cost.json"), `${JSON.stringify(plan.cost, null, 2)}\n`);
            fs.writeFileSync(path.join(args.values.out, "topology.svg"), await renderTopology(plan));
            process.stdout.write(`Wrote ${args.values.out}/resources.json, outputs.json, lookups.json, cost.json, topology.svg, manifests/ and scripts/\n`);
        }
        if (plan.findings.length) {
            process.stderr.write(`plan: ${plan.findings.length} finding(s): a real \`pulumi up\` of this stack would hang or fail\n`);
            return 3;
        }
        return 0;
    } catch (e) {
        if (isConfigError(e)) {
            process.stderr.write(`${e.message}\n`);
            return 2;
        }
        if (e instanceof StackFileError) {
            process.stderr.write(`plan: ${e.message}\n`);
            return e.exitCode;
        }
        const msg = e instanceof Error ? e.message : String(e);
        process.stderr.write(`plan: failed: ${msg.split("\n")[0]}\n`);
        if (process.env.PLAN_DEBUG) process.stderr.write(`${(e as Error).stack ?? ""}\n`);
        return 1;
    }
}

main(process.argv.slice(2)).then((code) => process.exit(code));
