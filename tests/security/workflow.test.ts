/**
 * The credentials of `.github/workflows/preview.yml`: cloud and Pulumi secrets only in jobs that
 * name a GitHub environment (so they come from that environment, behind its reviewers), prod's
 * stacks only under `prod`, never for a fork's pull request, and the policy pack on every real
 * preview and up. The workflow's expressions are evaluated for each event it runs on (a small
 * evaluator of the GitHub expression syntax the file uses), so the checks follow what GitHub
 * would do, not how the file happens to be spelled.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import * as YAML from "yaml";
import { INVARIANTS } from "../../infra/policy/invariants";
import { REPO_ROOT } from "../../tools/plan";

type Value = string | number | boolean | null | undefined | Record<string, unknown>;
type Context = Record<string, unknown>;

const truthy = (v: Value) => !(v === false || v === 0 || v === "" || v === null || v === undefined);

/** Evaluates a GitHub Actions expression (`==`, `!=`, `!`, `&&`, `||`, parentheses, literals, context paths, startsWith/endsWith/contains). */
function evaluate(expression: string, ctx: Context): Value {
    const tokens = expression.match(/'(?:[^']|'')*'|==|!=|&&|\|\||[!()]|,|[A-Za-z_][\w.-]*|\d+(?:\.\d+)?|\S/g) ?? [];
    let i = 0;
    const peek = () => tokens[i];
    const next = () => tokens[i++];
    const loose = (a: Value, b: Value) => (typeof a === "string" && typeof b === "string" ? a.toLowerCase() === b.toLowerCase() : a === b);
    const FUNCTIONS: Record<string, (...args: Value[]) => Value> = {
        startswith: (a, b) => String(a ?? "").toLowerCase().startsWith(String(b ?? "").toLowerCase()),
        endswith: (a, b) => String(a ?? "").toLowerCase().endsWith(String(b ?? "").toLowerCase()),
        contains: (a, b) => (Array.isArray(a) ? a.some((x) => loose(x, b)) : String(a ?? "").toLowerCase().includes(String(b ?? "").toLowerCase())),
    };
    const primary = (): Value => {
        const t = next();
        if (t === undefined) throw new Error(`unexpected end of ${expression}`);
        if (t === "(") {
            const v = or();
            assert.equal(next(), ")", expression);
            return v;
        }
        if (t === "!") return !truthy(primary());
        if (t.startsWith("'")) return t.slice(1, -1).replace(/''/g, "'");
        if (/^\d/.test(t)) return Number(t);
        if (t === "true" || t === "false") return t === "true";
        if (t === "null") return null;
        if (peek() === "(") {
            const fn = FUNCTIONS[t.toLowerCase()];
            if (!fn) throw new Error(`function ${t} not supported by this test's evaluator (${expression})`);
            next();
            const args: Value[] = [];
            while (peek() !== ")") {
                args.push(or());
                if (peek() === ",") next();
            }
            next();
            return fn(...args);
        }
        return t.split(".").reduce<unknown>((v, key) => (v !== null && typeof v === "object" ? (v as Record<string, unknown>)[key] : undefined), ctx) as Value;
    };
    const comparison = (): Value => {
        let v = primary();
        while (peek() === "==" || peek() === "!=") {
            const op = next();
            const w = primary();
            v = op === "==" ? loose(v, w) : !loose(v, w);
        }
        return v;
    };
    const and = (): Value => {
        let v = comparison();
        while (peek() === "&&") {
            next();
            const w = comparison();
            v = truthy(v) ? w : v;
        }
        return v;
    };
    const or = (): Value => {
        let v = and();
        while (peek() === "||") {
            next();
            const w = and();
            v = truthy(v) ? v : w;
        }
        return v;
    };
    const v = or();
    assert.equal(i, tokens.length, `could not parse ${expression}`);
    return v;
}

/** A workflow value as GitHub renders it: `${{ }}` parts evaluated (a lone expression keeps its type). */
function render(value: unknown, ctx: Context): Value {
    if (typeof value !== "string") return value as Value;
    const lone = /^\s*\$\{\{(.*)\}\}\s*$/s.exec(value);
    if (lone && !lone[1].includes("}}")) return evaluate(lone[1], ctx);
    return value.replace(/\$\{\{(.*?)\}\}/gs, (_, e: string) => String(evaluate(e, ctx) ?? ""));
}
/** A job's or step's `if:` (an expression with or without `${{ }}`; absent means it runs). */
const runs = (cond: unknown, ctx: Context) => cond === undefined || truthy(String(cond).includes("${{") ? render(cond, ctx) : evaluate(String(cond), ctx));

interface Step {
    name?: string;
    uses?: string;
    run?: string;
    if?: string;
    env?: Record<string, string>;
    with?: Record<string, unknown>;
}
interface Job {
    if?: string;
    environment?: string | { name: string };
    env?: Record<string, string>;
    strategy?: { matrix?: Record<string, unknown> };
    steps: Step[];
}

/** The matrix entries of a job (the cross product of its axes, then `include`), or one empty entry. */
function matrixOf(job: Job): Record<string, unknown>[] {
    const m = job.strategy?.matrix;
    if (!m) return [{}];
    let entries: Record<string, unknown>[] = [{}];
    for (const [axis, values] of Object.entries(m)) {
        if (axis === "include" || axis === "exclude") continue;
        entries = entries.flatMap((e) => (values as unknown[]).map((v) => ({ ...e, [axis]: v })));
    }
    const include = (m.include ?? []) as Record<string, unknown>[];
    if (include.length > 0) entries = Object.keys(entries[0]).length === 0 ? include : [...entries, ...include];
    return entries;
}

const REPO = "acme/infra";
const base = (event: string, ref: string, extra: Record<string, unknown> = {}): Context => ({
    github: { event_name: event, ref, repository: REPO, token: "***", event: extra.event ?? {}, workflow: "preview" },
    inputs: extra.inputs ?? {},
    runner: { temp: "/tmp/runner" },
    secrets: {},
});
const pr = (headRepo: string) => base("pull_request", "refs/pull/7/merge", { event: { pull_request: { number: 7, head: { repo: { full_name: headRepo } }, base: { sha: "0".repeat(40) } } } });
const push = (ref: string) => base("push", ref);
const dispatch = (ref: string, stack: string) => base("workflow_dispatch", ref, { inputs: { stack } });

/** The GitHub environment a stack's credentials live in: prod's stacks (prod-burst deploys into prod's accounts) under `prod`. */
const ENVIRONMENT_OF: Record<string, string> = { dev: "dev", staging: "staging", prod: "prod", "prod-burst": "prod" };
const KNOWN_ENVIRONMENTS = new Set(Object.values(ENVIRONMENT_OF));

const environmentName = (job: Job, ctx: Context) => {
    const env = job.environment;
    return env === undefined ? undefined : String(render(typeof env === "string" ? env : env.name, ctx) ?? "");
};
const usesSecrets = (x: unknown) => /\bsecrets\./.test(JSON.stringify(x ?? {}));
const isPulumi = (s: Step) => s.uses?.startsWith("pulumi/actions@") === true;
const realCommand = (s: Step) => isPulumi(s) && ["preview", "up", "update"].includes(String(s.with?.command));

function checkWorkflow(text: string) {
    const wf = YAML.parse(text) as { on: Record<string, any>; env?: Record<string, string>; jobs: Record<string, Job> };
    const jobs = Object.entries(wf.jobs);
    const secretJobs = jobs.filter(([, job]) => usesSecrets(job));
    const dispatchStacks = (wf.on.workflow_dispatch?.inputs?.stack?.options ?? []) as string[];
    /** Every event the workflow runs on, with a name for messages. */
    const events: [string, Context][] = [
        ["same-repository pull request", pr(REPO)],
        ["fork pull request", pr("mallory/infra")],
        ["push to main", push("refs/heads/main")],
        ...dispatchStacks.flatMap((s): [string, Context][] => [
            [`dispatch of ${s} on main`, dispatch("refs/heads/main", s)],
            [`dispatch of ${s} on a branch`, dispatch("refs/heads/feature", s)],
        ]),
    ];
    /** Each (event, job, matrix entry) that runs, with its context. */
    const runsOf = (job: Job) =>
        events.flatMap(([what, ctx]) => matrixOf(job).map((matrix) => ({ what, ctx: { ...ctx, matrix } as Context }))).filter(({ ctx }) => runs(job.if, ctx));
    return { wf, jobs, secretJobs, runsOf };
}

const WORKFLOW = path.join(REPO_ROOT, ".github/workflows/preview.yml");

describe(".github/workflows/preview.yml: credentials", () => {
    const { wf, jobs, secretJobs, runsOf } = checkWorkflow(fs.readFileSync(WORKFLOW, "utf8"));

    it("never triggers on pull_request_target or workflow_run (a fork's code with the base's secrets)", () => {
        assert.equal(wf.on.pull_request_target, undefined);
        assert.equal(wf.on.workflow_run, undefined);
        assert.ok(!usesSecrets(wf.env), "no secret in the workflow-wide env");
    });

    it("some job holds the Pulumi token (else the rest proves nothing)", () => {
        assert.ok(secretJobs.some(([, job]) => /secrets\.PULUMI_ACCESS_TOKEN/.test(JSON.stringify(job))));
    });

    it("every job that references a secret names a known environment, on every event it runs on", () => {
        for (const [name, job] of jobs) {
            if (!usesSecrets(job)) continue;
            assert.ok(job.environment !== undefined, `${name} references secrets without an environment (they would be repository secrets, open to every branch)`);
            for (const { what, ctx } of runsOf(job)) {
                const env = environmentName(job, ctx);
                assert.ok(env && KNOWN_ENVIRONMENTS.has(env), `${name} on ${what} (${JSON.stringify(ctx.matrix)}): environment ${JSON.stringify(env)} is not one of ${[...KNOWN_ENVIRONMENTS].join(", ")} (GitHub would create it without reviewers)`);
            }
        }
    });

    it("secrets go to the steps that use them, not to the whole job (install scripts and tests never see them)", () => {
        for (const [name, job] of secretJobs) assert.ok(!usesSecrets(job.env), `${name}: secrets in the job's env`);
    });

    it("a fork's pull request runs no job that holds secrets", () => {
        for (const [name, job] of secretJobs) {
            const fork = runsOf(job).filter(({ what }) => what === "fork pull request");
            assert.deepEqual(fork, [], `${name} runs for a fork's pull request`);
        }
    });

    it("a pull request's real preview of each stack runs under that stack's environment (prod and prod-burst: prod)", () => {
        const previews = new Map<string, string>();
        for (const [name, job] of jobs) {
            for (const { what, ctx } of runsOf(job).filter(({ what }) => what === "same-repository pull request")) {
                for (const step of job.steps.filter((s) => isPulumi(s) && s.with?.command === "preview")) {
                    const stack = String(render(step.with?.["stack-name"], ctx));
                    const env = environmentName(job, ctx);
                    assert.equal(env, ENVIRONMENT_OF[stack], `${name} on ${what}: preview of ${stack} under environment ${JSON.stringify(env)}`);
                    previews.set(stack, env!);
                }
            }
        }
        for (const stack of ["prod", "prod-burst"]) assert.equal(previews.get(stack), "prod", `${stack} is previewed on pull requests, under prod`);
    });

    it("deploys only from main: dev on push, each dispatched stack under its environment", () => {
        const ups: string[] = [];
        for (const [name, job] of jobs) {
            for (const { what, ctx } of runsOf(job)) {
                for (const step of job.steps.filter((s) => isPulumi(s) && ["up", "update", "destroy", "refresh"].includes(String(s.with?.command)))) {
                    assert.equal((ctx.github as { ref: string }).ref, "refs/heads/main", `${name} runs ${step.with?.command} on ${what}`);
                    assert.ok(!what.includes("pull request"), `${name} runs ${step.with?.command} on ${what}`);
                    const stack = String(render(step.with?.["stack-name"], ctx));
                    assert.equal(environmentName(job, ctx), ENVIRONMENT_OF[stack], `${name} on ${what}: ${step.with?.command} of ${stack}`);
                    ups.push(`${what}: ${stack}`);
                }
            }
        }
        assert.ok(ups.includes("push to main: dev"), ups.join("; "));
        assert.ok(ups.includes("dispatch of prod on main: prod"), ups.join("; "));
    });

    it("every real preview and up passes the policy pack (a directory with PulumiPolicy.yaml) and its config", () => {
        const steps = jobs.flatMap(([name, job]) => job.steps.filter(realCommand).map((s) => ({ name, step: s })));
        assert.ok(steps.length >= 2);
        for (const { name, step } of steps) {
            const packs = String(step.with?.policyPacks ?? "").split(/[,\n]/).map((s) => s.trim()).filter(Boolean);
            const configs = String(step.with?.policyPackConfigs ?? "").split(/[,\n]/).map((s) => s.trim()).filter(Boolean);
            assert.ok(packs.length > 0, `${name}: pulumi ${step.with?.command} without policyPacks`);
            for (const pack of packs) assert.ok(fs.existsSync(path.join(REPO_ROOT, pack, "PulumiPolicy.yaml")), `${name}: ${pack}/PulumiPolicy.yaml missing`);
            assert.ok(packs.includes("policy"), `${name}: the repository's pack (policy/) is not among ${packs.join(", ")}`);
            assert.equal(configs.length, packs.length, `${name}: one policyPackConfigs file per pack`);
        }
    });

    it("the policy config of every real preview and up is the stack file's environment, for every invariant", () => {
        const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "policy-config-"));
        const done = new Set<string>();
        try {
            for (const [name, job] of jobs) {
                for (const { what, ctx } of runsOf(job)) {
                    const steps = job.steps.filter((s) => runs(s.if, { ...ctx, steps: { creds: { outputs: { present: "true" } } } }));
                    for (const [index, step] of steps.entries()) {
                        if (!realCommand(step)) continue;
                        const stack = String(render(step.with?.["stack-name"], ctx));
                        const file = String(render(step.with?.policyPackConfigs, { ...ctx, runner: { temp: tmp } }));
                        // The earlier step of the same run that writes that file, run as the workflow would.
                        const writer = steps.slice(0, index).find((s) => s.run?.includes(path.basename(file)));
                        assert.ok(writer, `${name} on ${what}: no step writes ${path.basename(file)}`);
                        const env = Object.fromEntries(Object.entries(writer.env ?? {}).map(([k, v]) => [k, String(render(v, ctx))]));
                        const key = `${writer.run}\0${JSON.stringify(env)}`;
                        if (done.has(key)) continue;
                        done.add(key);
                        fs.rmSync(file, { force: true });
                        execFileSync("bash", ["-e", "-c", writer.run!], { cwd: REPO_ROOT, env: { ...process.env, ...env, RUNNER_TEMP: tmp }, stdio: "pipe" });
                        const config = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, { environment: string; allowWorldAdmin: boolean }>;
                        const stackConfig = YAML.parse(fs.readFileSync(path.join(REPO_ROOT, `Pulumi.${stack}.yaml`), "utf8")).config;
                        const expected = { environment: stackConfig["infra:environment"], allowWorldAdmin: stackConfig["infra:ssh"]?.allowWorldAdmin === true };
                        assert.deepEqual(Object.keys(config).sort(), INVARIANTS.map((inv) => inv.name).sort(), `${name} on ${what}: every invariant configured`);
                        for (const [policy, props] of Object.entries(config)) assert.deepEqual(props, expected, `${name} on ${what}: ${policy} for ${stack}`);
                    }
                }
            }
            assert.ok(done.size > 0, "no policy config was written");
        } finally {
            fs.rmSync(tmp, { recursive: true, force: true });
        }
    });
});

describe("the evaluator reads expressions as GitHub does", () => {
    const ctx = { github: { event_name: "workflow_dispatch", ref: "refs/heads/main" }, inputs: { stack: "prod-burst" } };
    it("&& binds tighter than ||, and returns its operand", () => {
        assert.equal(evaluate("github.event_name != 'workflow_dispatch' && 'dev' || inputs.stack == 'prod-burst' && 'prod' || inputs.stack", ctx), "prod");
        assert.equal(evaluate("github.event_name == 'workflow_dispatch' && inputs.stack || 'dev'", ctx), "prod-burst");
        assert.equal(evaluate("github.event_name == 'push' && inputs.stack || 'dev'", ctx), "dev");
    });
    it("compares strings case-insensitively; missing paths are null-ish; functions", () => {
        assert.equal(evaluate("github.ref == 'REFS/HEADS/MAIN'", ctx), true);
        assert.equal(evaluate("github.event.pull_request.head.repo.full_name == 'x'", ctx), false);
        assert.equal(evaluate("startsWith(inputs.stack, 'prod') && !(github.ref != 'refs/heads/main')", ctx), true);
        assert.equal(render("${{ inputs.stack }}-x", ctx), "prod-burst-x");
    });
});
