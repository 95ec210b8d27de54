/** The offline plan as a library: the CLI (`tools/plan.ts`), the tests and the bench share it. */
import * as fs from "node:fs";
import * as path from "node:path";
import { program } from "../../stacks";
import { type CostReport, estimateCost, loadPrices } from "./cost";
import { type PlanInput, type PlanResult, PLAN_ORGANIZATION, runPlan, SECRET } from "./engine";
import type { StackReferenceOutputs } from "./mocks";
import { parseStackFile, PROJECT, readStackFile, type StackFile, StackFileError } from "./stack-file";
import { isConfigError, parseConfig } from "../../infra/config";
import { awaitFindings, type Finding } from "../../infra/policy/await";

export * from "./cost";
export * from "./engine";
export * from "./report";
export * from "./stack-file";
export type { Finding } from "../../infra/policy/await";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");

/** The stacks of the repository: every `Pulumi.<stack>.yaml`, sorted. */
export function stackNames(): string[] {
    return fs
        .readdirSync(REPO_ROOT)
        .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
        .filter((s): s is string => s !== undefined)
        .sort();
}

export function stackFilePath(stack: string): string {
    return path.join(REPO_ROOT, `Pulumi.${stack}.yaml`);
}

export interface StackPlan extends PlanResult {
    file: StackFile;
    cost: CostReport;
    /** What would hang or fail on a real `pulumi up` (await rules, chart facts): none for a sound stack. */
    findings: Finding[];
}

export interface PlanOptions {
    preview?: boolean;
    stackReferences?: Record<string, StackReferenceOutputs>;
    /**
     * The outputs of the stack as deployed (a plan's outputs.json, `--deployed`): what the program's
     * StackReference to its own stack reads, so that a plan shows the rollout from that state.
     * Absent: a stack never deployed.
     */
    deployed?: Record<string, unknown>;
}

/**
 * A burst stack reads its base through a StackReference: offline, the base's outputs come from
 * the plan of the base's stack file in this repository (`org/project/<stack>` -> Pulumi.<stack>.yaml).
 * A base the plan cannot stand in for (no such file, the burst stack itself, a stack that is not a
 * cluster) is a one-line error naming `infra:burst.baseStack` (exit 2), never the program's guess
 * at what a real base without outputs means.
 */
async function baseStackOutputs(stack: string, file: StackFile): Promise<Record<string, StackReferenceOutputs>> {
    let cfg;
    try {
        cfg = parseConfig({ project: PROJECT, stack, values: file.values, secretKeys: new Set(file.secretKeys) });
    } catch (e) {
        // An invalid config: the program's run reports every problem.
        if (isConfigError(e)) return {};
        throw e;
    }
    if (cfg.mode !== "burst" || !cfg.burst) return {};
    const key = "infra:burst.baseStack";
    const baseStack = cfg.burst.baseStack;
    const baseName = baseStack.split("/")[2];
    const basePath = stackFilePath(baseName);
    if (baseName === stack || basePath === file.path)
        throw new StackFileError(`${key}: ${baseStack} names this stack itself: a burst stack's base is the running cluster's stack (infra:mode cluster)`, 2);
    if (!fs.existsSync(basePath))
        throw new StackFileError(
            `${key}: ${baseStack}: the offline plan reads the base's outputs from the plan of its stack file, and ${basePath} does not exist (plan against a stack of this repository)`,
            2,
        );
    const baseFile = readStackFile(basePath);
    const baseMode = baseFile.values["infra:mode"];
    if (baseMode === "burst" || baseMode === "apps-only")
        throw new StackFileError(`${key}: ${baseStack} is ${/^[aeiou]/.test(baseMode) ? "an" : "a"} ${baseMode} stack (${basePath}), not a cluster: a burst stack's base is the running cluster's stack (infra:mode cluster)`, 2);
    let base: StackPlan;
    try {
        base = await planFile(baseName, baseFile, { stackReferences: {} });
    } catch (e) {
        if (!isConfigError(e)) throw e;
        const first = e.problems[0];
        throw new StackFileError(
            `${key}: ${baseStack}: the base stack's file ${basePath} is not a valid config (${e.problems.length} problem(s), the first ${first.path}: ${first.message}); npm run plan -- ${baseName} lists them`,
            2,
        );
    }
    const secretOutputNames = Object.keys(base.outputs).filter((k) => JSON.stringify(base.outputs[k]).includes(`"${SECRET}"`));
    return { [baseStack]: { outputs: base.plainOutputs, secretOutputNames } };
}

/** Plans a parsed stack file under the mock runtime. Throws `ConfigError` for an invalid config. */
export async function planFile(stack: string, file: StackFile, opts: PlanOptions = {}): Promise<StackPlan> {
    const self = opts.deployed ? { [`${PLAN_ORGANIZATION}/${PROJECT}/${stack}`]: { outputs: opts.deployed, secretOutputNames: [] } } : {};
    const stackReferences = { ...(opts.stackReferences ?? (await baseStackOutputs(stack, file))), ...self };
    const input: PlanInput = { stack, values: file.values, secretKeys: file.secretKeys, preview: opts.preview, stackReferences };
    const result = await runPlan(input, program);
    const provides = parseConfig({ project: PROJECT, stack, values: file.values, secretKeys: new Set(file.secretKeys) }).choices.provides;
    const findings = awaitFindings(result.resources, { loadBalancer: provides?.loadBalancer ?? false, ingressClass: provides?.ingressClass });
    return { ...result, file, cost: estimateCost(result.resources, loadPrices(), file.values["aws:region"]), findings };
}

/** Plans `Pulumi.<stack>.yaml`, or `configFile` when given. */
export function planStack(stack: string, configFile?: string, opts: PlanOptions = {}): Promise<StackPlan> {
    return planFile(stack, readStackFile(configFile ?? stackFilePath(stack)), opts);
}

/** Plans a stack file's text (tests of bad input). */
export function planText(stack: string, yamlText: string, opts: PlanOptions = {}): Promise<StackPlan> {
    return planFile(stack, parseStackFile(`Pulumi.${stack}.yaml`, yamlText), opts);
}
export * from "./graph";
export * from "./synthetic";
export * from "./topology";
