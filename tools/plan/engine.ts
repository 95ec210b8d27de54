/**
 * Runs the real program (`stacks/program`) under Pulumi's mock runtime and records what it
 * registers, as the engine would see it: type, name, parent, options, dependencies (explicit
 * and implied by outputs used as inputs) and inputs, with secret values replaced by "[secret]".
 *
 * The dependencies come from the register requests the mock monitor receives
 * (`getDependenciesList`), an internal seam of @pulumi/pulumi: the SDK is pinned and
 * `tests/plan/engine.test.ts` covers the seam.
 */
import * as pulumi from "@pulumi/pulumi";
import { createMocks, type StackReferenceOutputs } from "./mocks";
import { PROJECT } from "./stack-file";

export const SECRET = "[secret]";
export const UNKNOWN = "[unknown]";
// The wire encoding's markers, as the pinned SDK defines them.
const { specialSigKey: SIG_KEY, specialSecretSig: SIG_SECRET, specialResourceSig: SIG_RESOURCE, specialOutputValueSig: SIG_OUTPUT, unknownValue: UNKNOWN_VALUE } = pulumi.runtime;

export interface PlannedResource {
    urn: string;
    type: string;
    name: string;
    /** Parent URN, or null for the stack itself. */
    parent: string | null;
    custom: boolean;
    /** URNs this resource waits for: explicit `dependsOn` and those whose outputs it takes as inputs. */
    dependsOn: string[];
    /** Inputs as the provider would receive them; every secret value is "[secret]". */
    inputs: Record<string, unknown>;
    protect: boolean;
    retainOnDelete: boolean;
    deleteBeforeReplace: boolean;
    replaceOnChanges: string[];
    ignoreChanges: string[];
    additionalSecretOutputs: string[];
    /** Provider reference (`urn::id`), when one was given. */
    provider: string | null;
    /** The type or name the resource had before a rename (`aliases`): a real engine keeps its state. */
    aliases?: { type?: string; name?: string }[];
    /** Read from the cloud or cluster (`.get`), never created, changed or deleted. */
    read?: boolean;
    /** The id a read looks up (the object's name, for Kubernetes). */
    id?: string;
    /** `customTimeouts` the resource sets (create, update, delete), when any. */
    customTimeouts?: { create?: string; update?: string; delete?: string };
}

/** The options of a resource the program gave none: what a read records, and where hand-made planned resources (tests) start. */
export function noOptions(): Pick<PlannedResource, "protect" | "retainOnDelete" | "deleteBeforeReplace" | "replaceOnChanges" | "ignoreChanges" | "additionalSecretOutputs"> {
    return { protect: false, retainOnDelete: false, deleteBeforeReplace: false, replaceOnChanges: [], ignoreChanges: [], additionalSecretOutputs: [] };
}

/** A provider function the program called (an AMI or zone lookup): what a real run asks the cloud. */
export interface PlannedLookup {
    token: string;
    args: Record<string, unknown>;
}

export interface PlanResult {
    stack: string;
    resources: PlannedResource[];
    lookups: PlannedLookup[];
    /** Stack outputs, secrets replaced by "[secret]". */
    outputs: Record<string, unknown>;
    /** In memory only: stack outputs with secrets unwrapped (what a StackReference would read). */
    plainOutputs: Record<string, unknown>;
    /**
     * In memory only, for tests: each resource's inputs with secrets unwrapped (never written
     * by `--out`), to check settings inside inputs a provider marks secret wholesale (a remote
     * command's `connection`).
     */
    plainInputs: Map<string, Record<string, unknown>>;
    /** Values resources produce as secret outputs (generated passwords, keys, tokens). */
    secretOutputs: string[];
    /** Every plain value the program handled as a secret (for the secret scans). */
    secretValues: string[];
    /** Lines the program logged (warnings, info), in order. */
    log: string[];
}

export interface PlanInput {
    stack: string;
    values: Record<string, string>;
    secretKeys: string[];
    preview?: boolean;
    stackReferences?: Record<string, StackReferenceOutputs>;
}

type StructLike = { toJavaScript(): Record<string, unknown> } | undefined;

/**
 * Replaces Pulumi's wire markers: secrets by "[secret]" (collecting their values) or, with
 * `reveal`, by their plain value; references by their URN.
 */
export function sanitize(value: unknown, secrets: Set<string>, reveal = false): unknown {
    if (value === UNKNOWN_VALUE) return UNKNOWN;
    if (Array.isArray(value)) return value.map((v) => sanitize(v, secrets, reveal));
    if (value === null || typeof value !== "object") return value;
    const obj = value as Record<string, unknown>;
    switch (obj[SIG_KEY]) {
        case SIG_SECRET:
            collect(obj.value, secrets);
            return reveal ? sanitize(obj.value, secrets, reveal) : SECRET;
        case SIG_RESOURCE:
            return obj.urn;
        case SIG_OUTPUT:
            if (obj.secret) {
                collect(obj.value, secrets);
                if (!reveal) return SECRET;
            }
            return "value" in obj ? sanitize(obj.value, secrets, reveal) : UNKNOWN;
    }
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, sanitize(v, secrets, reveal)]));
}

function collect(value: unknown, into: Set<string>): void {
    if (typeof value === "string" && value !== "") into.add(value);
    else if (Array.isArray(value)) value.forEach((v) => collect(v, into));
    else if (value && typeof value === "object") Object.values(value).forEach((v) => collect(v, into));
}

/** The mock runtime is process-wide: plans in one process run one after another. */
let queue: Promise<unknown> = Promise.resolve();

export function runPlan(input: PlanInput, program: () => Promise<object>): Promise<PlanResult> {
    const run = queue.then(() => planOnce(input, program));
    queue = run.catch(() => undefined);
    return run;
}

/** The organization a plan runs in: the DIY backend's constant (a StackReference to the stack itself reads `organization/<project>/<stack>`). */
export const PLAN_ORGANIZATION = "organization";

/** The time a plan runs at, unless INFRA_NOW says otherwise: two plans of one config agree whenever they run (the join token's window is read from the clock). */
export const PLAN_NOW = "2026-01-01T00:00:00Z";

async function planOnce(input: PlanInput, program: () => Promise<object>): Promise<PlanResult> {
    process.env.INFRA_NOW ??= PLAN_NOW;
    const secrets = new Set<string>();
    const resources: PlannedResource[] = [];
    const lookups: PlannedLookup[] = [];
    const plainInputs = new Map<string, Record<string, unknown>>();
    const secretOutputs = new Set<string>();
    const log: string[] = [];
    let outputs: Record<string, unknown> = {};
    let plainOutputs: Record<string, unknown> = {};
    const consoleMethods = ["log", "info", "warn", "error"] as const;
    const saved = consoleMethods.map((m) => console[m]);
    // The SDK captures a stack trace for every promise and resource; formatting them (through
    // source maps, under tsx) is most of a plan's time. A plan needs none unless debugging.
    const savedStackLimit = Error.stackTraceLimit;
    const savedSourceMaps = process.sourceMapsEnabled;
    if (!process.env.PLAN_DEBUG) {
        Error.stackTraceLimit = 0;
        process.setSourceMapsEnabled(false);
    }
    try {
        pulumi.runtime.setAllConfig(input.values, input.secretKeys);
        await pulumi.runtime.setMocks(createMocks(input.stackReferences, input.values["aws:region"]), PROJECT, input.stack, input.preview ?? false, PLAN_ORGANIZATION);
        const monitor = (pulumi.runtime as unknown as { getMonitor(): Record<string, (...a: unknown[]) => unknown> }).getMonitor();
        wrapMonitor(monitor, secrets, resources, lookups, plainInputs, secretOutputs, (urn, o, plain) => {
            if (urn.endsWith(`::pulumi:pulumi:Stack::${PROJECT}-${input.stack}`)) {
                outputs = o;
                plainOutputs = plain;
            }
        });
        for (const m of consoleMethods) console[m] = (...args: unknown[]) => void log.push(args.map(String).join(" "));
        // A program that throws (an invalid config) must not reject the stack's own promises: the
        // SDK derives several from them that nobody awaits. The error is rethrown once all settled.
        let failure: { error: unknown } | undefined;
        await pulumi.runtime.runInPulumiStack(async () => {
            try {
                return await program();
            } catch (error) {
                failure = { error };
                return {};
            }
        });
        await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
        if (failure) throw failure.error;
    } finally {
        consoleMethods.forEach((m, i) => (console[m] = saved[i]));
        Error.stackTraceLimit = savedStackLimit;
        process.setSourceMapsEnabled(savedSourceMaps);
    }
    return { stack: input.stack, resources, lookups, plainInputs, outputs, plainOutputs, secretOutputs: [...secretOutputs].sort(), secretValues: [...secrets].sort(), log };
}

type Callback = (err: unknown, resp?: { getUrn(): string; getObject?(): StructLike }) => void;
interface RegisterRequest {
    getType(): string;
    getName(): string;
    getParent(): string;
    getCustom(): boolean;
    getObject(): StructLike;
    getProtect(): boolean | undefined;
    getDependenciesList(): string[];
    getProvider(): string;
    getDeletebeforereplace(): boolean;
    getIgnorechangesList(): string[];
    getAdditionalsecretoutputsList(): string[];
    getReplaceonchangesList(): string[];
    getRetainondelete(): boolean | undefined;
    getPropertydependenciesMap(): { forEach(f: (v: { getUrnsList(): string[] }, k: string) => void): void };
    getAliasesList(): { getSpec(): { getName(): string; getType(): string } | undefined }[];
    getCustomtimeouts(): { getCreate(): string; getUpdate(): string; getDelete(): string } | undefined;
}
interface ReadRequest {
    getId(): string;
    getType(): string;
    getName(): string;
    getParent(): string;
    getProperties(): StructLike;
    getDependenciesList(): string[];
    getProvider(): string;
}

function customTimeouts(r: RegisterRequest): Pick<PlannedResource, "customTimeouts"> {
    const t = r.getCustomtimeouts();
    if (!t) return {};
    const set = Object.entries({ create: t.getCreate(), update: t.getUpdate(), delete: t.getDelete() }).filter(([, v]) => v);
    return set.length ? { customTimeouts: Object.fromEntries(set) } : {};
}

function wrapMonitor(
    monitor: Record<string, (...a: unknown[]) => unknown>,
    secrets: Set<string>,
    out: PlannedResource[],
    lookups: PlannedLookup[],
    plainInputs: Map<string, Record<string, unknown>>,
    secretOutputs: Set<string>,
    onOutputs: (urn: string, outputs: Record<string, unknown>, plain: Record<string, unknown>) => void,
): void {
    const invoke = monitor.invoke.bind(monitor);
    monitor.invoke = (req: unknown, cb: unknown) => {
        const r = req as { getTok(): string; getArgs(): StructLike };
        lookups.push({ token: r.getTok(), args: sanitize(r.getArgs()?.toJavaScript() ?? {}, secrets) as Record<string, unknown> });
        return invoke(req, cb);
    };
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: unknown, cb: unknown) => {
        const r = req as RegisterRequest;
        return register(req, (err: unknown, resp?: { getUrn(): string; getObject?(): StructLike }) => {
            if (!err && resp) {
                const state = resp.getObject?.()?.toJavaScript() ?? {};
                // Secrets a resource generates. A remote command's connection and a Kubernetes Secret's
                // data are secret wholesale; the secrets in them come from elsewhere, already known.
                if (r.getType() !== "kubernetes:core/v1:Secret")
                    for (const key of r.getAdditionalsecretoutputsList()) if (key !== "connection") collect(sanitize(state[key], new Set(), true), secretOutputs);
                plainInputs.set(resp.getUrn(), sanitize(r.getObject()?.toJavaScript() ?? {}, secrets, true) as Record<string, unknown>);
                const deps = new Set(r.getDependenciesList());
                r.getPropertydependenciesMap().forEach((v) => v.getUrnsList().forEach((u) => deps.add(u)));
                out.push({
                    urn: resp.getUrn(),
                    type: r.getType(),
                    name: r.getName(),
                    parent: r.getParent() || null,
                    custom: r.getCustom(),
                    dependsOn: [...deps].sort(),
                    inputs: sanitize(r.getObject()?.toJavaScript() ?? {}, secrets) as Record<string, unknown>,
                    protect: r.getProtect() ?? false,
                    retainOnDelete: r.getRetainondelete() ?? false,
                    deleteBeforeReplace: r.getDeletebeforereplace(),
                    replaceOnChanges: r.getReplaceonchangesList(),
                    ignoreChanges: r.getIgnorechangesList(),
                    additionalSecretOutputs: r.getAdditionalsecretoutputsList(),
                    provider: r.getProvider() || null,
                    aliases: r
                        .getAliasesList()
                        .map((a) => a.getSpec())
                        .filter((a) => a !== undefined)
                        .map((a) => ({ ...(a.getType() ? { type: a.getType() } : {}), ...(a.getName() ? { name: a.getName() } : {}) })),
                    ...customTimeouts(r),
                });
            }
            (cb as Callback)(err, resp);
        });
    };
    const read = monitor.readResource.bind(monitor);
    monitor.readResource = (req: unknown, cb: unknown) => {
        const r = req as ReadRequest;
        return read(req, (err: unknown, resp?: { getUrn(): string }) => {
            if (!err && resp) {
                out.push({
                    urn: resp.getUrn(),
                    type: r.getType(),
                    name: r.getName(),
                    parent: r.getParent() || null,
                    custom: true,
                    dependsOn: [...r.getDependenciesList()].sort(),
                    inputs: sanitize(r.getProperties()?.toJavaScript() ?? {}, secrets) as Record<string, unknown>,
                    ...noOptions(),
                    provider: r.getProvider() || null,
                    read: true,
                    id: r.getId(),
                });
            }
            (cb as Callback)(err, resp);
        });
    };
    const registerOutputs = monitor.registerResourceOutputs.bind(monitor);
    monitor.registerResourceOutputs = (req: unknown, cb: unknown) => {
        const r = req as { getUrn(): string; getOutputs(): StructLike };
        const raw = r.getOutputs()?.toJavaScript() ?? {};
        onOutputs(r.getUrn(), sanitize(raw, secrets) as Record<string, unknown>, sanitize(raw, new Set(), true) as Record<string, unknown>);
        return registerOutputs(req, cb);
    };
}
