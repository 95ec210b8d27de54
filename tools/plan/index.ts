/** The offline plan as a library: the CLI (`tools/plan.ts`), the tests and the bench share it. */
import * as fs from "node:fs";
import * as path from "node:path";
import { program } from "../../stacks";
import { type CostReport, estimateCost, loadPrices } from "./cost";
import { type PlanInput, type PlanResult, runPlan, SECRET } from "./engine";
import type { StackReferenceOutputs } from "./mocks";
import { parseStackFile, PROJECT, readStackFile, type StackFile } from "./stack-file";
import { parseConfig } from "../../infra/config";
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
}

/**
 * A burst stack reads its base through a StackReference: offline, the base's outputs come from
 * the plan of the base's stack file in this repository (`org/project/<stack>` -> Pulumi.<stack>.yaml).
 */
async function baseStackOutputs(file: StackFile): Promise<Record<string, StackReferenceOutputs>> {
    const raw = file.values["infra:burst"];
    if (!raw) return {};
    let baseStack: unknown;
    try {
        baseStack = (JSON.parse(raw) as { baseStack?: unknown }).baseStack;
    } catch {
        return {};
    }
    if (typeof baseStack !== "string" || !/^[^/]+\/[^/]+\/[^/]+$/.test(baseStack)) return {};
    const baseName = baseStack.split("/")[2];
    const path = stackFilePath(baseName);
    if (!fs.existsSync(path) || path === file.path) return {};
    const base = await planFile(baseName, readStackFile(path));
    const secretOutputNames = Object.keys(base.outputs).filter((k) => JSON.stringify(base.outputs[k]).includes(`"${SECRET}"`));
    return { [baseStack]: { outputs: base.plainOutputs, secretOutputNames } };
}

/** Plans a parsed stack file under the mock runtime. Throws `ConfigError` for an invalid config. */
export async function planFile(stack: string, file: StackFile, opts: PlanOptions = {}): Promise<StackPlan> {
    const stackReferences = opts.stackReferences ?? (await baseStackOutputs(file));
    const input: PlanInput = { stack, values: file.values, secretKeys: file.secretKeys, ...opts, stackReferences };
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
