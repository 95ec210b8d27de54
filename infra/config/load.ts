/**
 * Reads the stack configuration from the Pulumi runtime, validates all of it and returns it
 * typed, with defaults applied and secrets wrapped as Pulumi secrets. Nothing is registered
 * before this returns; every problem is reported at once as a `ConfigError`.
 */
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, type ConfigProblem, problemsFromIssues } from "./errors";
import { type PlatformChoices, platformChoices } from "./platform";
import { ENV_NAME, REMOVED_SETTINGS, SECRET_KEYS, settingsSchema, type SecretKey, type Settings } from "./schema";
import { SECRET_KEY_NAMES, semanticProblems, type ValidationContext } from "./validate";

export const NAMESPACE = "infra";

/** The configuration as the runtime holds it: `namespace:key` -> raw string, and which keys are secret. */
export interface RawConfig {
    readonly project: string;
    readonly stack: string;
    readonly values: Readonly<Record<string, string>>;
    readonly secretKeys: ReadonlySet<string>;
}

export interface StackConfig extends Settings {
    readonly project: string;
    readonly stack: string;
    /** `infra:clusterName`, or `<project>-<stack>` made into a DNS label. */
    readonly clusterName: string;
    /** Secret settings that are set, as Pulumi secrets. */
    readonly secrets: { readonly [K in SecretKey]?: pulumi.Output<string> };
    /** `hcloud:token` as a secret, when set (the Hetzner cloud controller needs it in-cluster). */
    readonly hcloudToken?: pulumi.Output<string>;
    readonly awsRegion?: string;
    /** Cloud integration, ingress exposure and storage, as the stack file sets them or as they follow from the nodes. */
    readonly choices: PlatformChoices;
    /** What the config allows but should not do (a host key not pinned outside prod): the program logs each. */
    readonly warnings: readonly ConfigProblem[];
}

/** Reads the raw configuration of the running program (real engine or mocks). */
export function readRawConfig(): RawConfig {
    const values = pulumi.runtime.allConfig();
    // `isConfigSecret` is exported by the SDK's runtime but not declared in its typings.
    const isSecret = (pulumi.runtime as unknown as { isConfigSecret(k: string): boolean }).isConfigSecret;
    return {
        project: pulumi.getProject(),
        stack: pulumi.getStack(),
        values,
        secretKeys: new Set(Object.keys(values).filter((k) => isSecret(k))),
    };
}

function decode(key: string, raw: string, problems: ConfigProblem[]): unknown {
    const t = raw.trim();
    if (!t.startsWith("{") && !t.startsWith("[")) return raw;
    try {
        return JSON.parse(t);
    } catch {
        problems.push({ path: key, message: "is not valid structured configuration (expected a YAML map or list)" });
        return undefined;
    }
}

export function defaultClusterName(project: string, stack: string): string {
    const name = `${project}-${stack}`
        .toLowerCase()
        .replace(/[^a-z0-9-]+/g, "-")
        .replace(/^[^a-z]+/, "")
        .slice(0, 30)
        .replace(/-+$/, "");
    return name || "cluster";
}

/** Validates a raw configuration; throws `ConfigError` listing every problem. */
export function parseConfig(raw: RawConfig): StackConfig {
    const problems: ConfigProblem[] = [];
    const settingsKeys = Object.keys(settingsSchema.shape);
    const allowed = [...settingsKeys, ...SECRET_KEY_NAMES];
    const data: Record<string, unknown> = {};
    const secretValues: Partial<Record<SecretKey, string>> = {};
    const appSecrets: string[] = [];

    for (const [fullKey, value] of Object.entries(raw.values)) {
        const [ns, key] = [fullKey.slice(0, fullKey.indexOf(":")), fullKey.slice(fullKey.indexOf(":") + 1)];
        if (ns !== NAMESPACE) continue;
        const isSecret = raw.secretKeys.has(fullKey);
        if (key in SECRET_KEYS) {
            if (!isSecret)
                problems.push({ path: fullKey, message: `must be stored encrypted: pulumi config set --secret ${fullKey} ...` });
            else if (value.trim() === "") problems.push({ path: fullKey, message: "must not be empty" });
            else if (key === "appSecrets") {
                const names = appSecretNames(fullKey, value, problems);
                if (names) {
                    secretValues.appSecrets = value;
                    appSecrets.push(...names);
                }
            } else secretValues[key as SecretKey] = value;
        } else if (settingsKeys.includes(key)) {
            if (isSecret)
                problems.push({
                    path: fullKey,
                    message: `holds an encrypted value, but it is not a secret setting; secrets have their own keys (${SECRET_KEY_NAMES.map((k) => `${NAMESPACE}:${k}`).join(", ")})`,
                });
            else data[key] = decode(fullKey, value, problems);
        } else {
            problems.push({ path: fullKey, message: `unknown key; allowed keys: ${allowed.join(", ")}` });
        }
    }

    const parsed = settingsSchema.safeParse(data, { reportInput: true });
    if (!parsed.success) problems.push(...problemsFromIssues([], parsed.error.issues).map(prefixed));
    if (problems.length > 0) throw new ConfigError(problems.map(explainRemoved));
    const settings = parsed.data!;

    const clusterName = settings.clusterName ?? defaultClusterName(raw.project, raw.stack);
    const hcloudKey = "hcloud:token";
    const hcloudRaw = raw.values[hcloudKey];
    const ctx: ValidationContext = {
        secretsSet: new Set(Object.keys(secretValues) as SecretKey[]),
        hcloudToken: hcloudRaw === undefined || hcloudRaw === "" ? "missing" : raw.secretKeys.has(hcloudKey) ? "secret" : "plain",
        awsRegion: raw.values["aws:region"] || undefined,
        choices: platformChoices(settings),
        appSecrets,
        plainProviderSecrets: PROVIDER_SECRETS.filter((k) => (raw.values[k] ?? "") !== "" && !raw.secretKeys.has(k)),
    };
    const warnings: ConfigProblem[] = [];
    const semantic = semanticProblems(settings, clusterName, ctx, (path, message) => warnings.push({ path, message }));
    if (semantic.length > 0) throw new ConfigError(semantic);

    const secrets: { [K in SecretKey]?: pulumi.Output<string> } = {};
    for (const [k, v] of Object.entries(secretValues)) secrets[k as SecretKey] = pulumi.secret(v);
    return {
        ...settings,
        project: raw.project,
        stack: raw.stack,
        clusterName,
        secrets,
        hcloudToken: ctx.hcloudToken === "secret" ? pulumi.secret(hcloudRaw!) : undefined,
        awsRegion: ctx.awsRegion,
        choices: ctx.choices,
        warnings,
    };
}

/** Provider settings that are credentials: stored encrypted or not at all (they may come from the environment). */
const PROVIDER_SECRETS = ["aws:accessKey", "aws:secretKey", "aws:token"];

/** The entry names of `infra:appSecrets` (a map of environment variable names to strings), or undefined with the problems. */
function appSecretNames(key: string, raw: string, problems: ConfigProblem[]): string[] | undefined {
    let map: unknown;
    try {
        map = JSON.parse(raw);
    } catch {
        map = undefined;
    }
    if (typeof map !== "object" || map === null || Array.isArray(map)) {
        problems.push({ path: key, message: `must be a map of NAME: value, set entry by entry: pulumi config set --secret --path '${key}.NAME' ...` });
        return undefined;
    }
    const bad = Object.entries(map).filter(([name, v]) => !ENV_NAME.test(name) || typeof v !== "string");
    for (const [name, v] of bad)
        problems.push({ path: `${key}.${name}`, message: typeof v !== "string" ? "must be a string value" : "entry names are environment variable names (letters, digits and _)" });
    return bad.length ? undefined : Object.keys(map);
}

/** A removed setting is reported with why it went, not as just another unknown key. */
function explainRemoved(p: ConfigProblem): ConfigProblem {
    const why = Object.hasOwn(REMOVED_SETTINGS, p.path) ? REMOVED_SETTINGS[p.path] : undefined;
    return why !== undefined && p.message.startsWith("unknown key") ? { path: p.path, message: why } : p;
}

/** zod paths start at the settings object; the user's keys start with `infra:`. */
function prefixed(p: ConfigProblem): ConfigProblem {
    return { path: p.path === "" ? `${NAMESPACE}:` : `${NAMESPACE}:${p.path}`, message: p.message };
}

export function loadConfig(): StackConfig {
    return parseConfig(readRawConfig());
}
