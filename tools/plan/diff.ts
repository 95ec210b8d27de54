/**
 * `npm run plan -- diff A B`: what changes between two offline plans (`--out` directories), as
 * markdown for a pull request: resources added, removed, replaced or changed, with the changed
 * input paths and their old and new values, grouped by component, and the cost delta.
 * Replacements of stateful or protected resources come first. Changes a resource's
 * `ignoreChanges` covers are listed as ignored, never as updates or replacements: a real engine
 * keeps the old value (a newer image or AMI applies to new machines only).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { CostReport } from "./cost";
import type { PlannedResource } from "./engine";
import { topComponent } from "./report";
import { describeRollout, type Lifecycle } from "../../infra/bootstrap/lifecycle";

/** Inputs whose change makes the provider replace the resource (not update it in place). */
const REPLACE_ON: Record<string, string[]> = {
    "hcloud:index/server:Server": ["location", "image", "name"],
    "hcloud:index/network:Network": ["ipRange"],
    "hcloud:index/networkSubnet:NetworkSubnet": ["ipRange", "networkZone", "networkId"],
    "aws:ec2/instance:Instance": ["subnetId", "availabilityZone", "keyName", "ami"],
    "aws:ec2/vpc:Vpc": ["cidrBlock"],
    "aws:ec2/subnet:Subnet": ["cidrBlock", "availabilityZone", "vpcId"],
    "aws:s3/bucket:Bucket": ["bucket"],
    "command:remote:Command": ["triggers"],
    "random:index/randomPassword:RandomPassword": ["length", "special"],
    "random:index/randomString:RandomString": ["length", "keepers"],
    "tls:index/privateKey:PrivateKey": ["algorithm", "rsaBits"],
};
/**
 * Kubernetes objects, by kind: what pulumi-kubernetes replaces rather than patches (`forceNew` in
 * provider/pkg/provider/diff.go: a Job's pod template, but not a Deployment's or a StatefulSet's,
 * which roll; ConfigMap and Secret contents, as this program's providers leave them immutable),
 * and a StorageClass's reclaimPolicy, which the API refuses to update.
 */
const K8S_REPLACE_ON: Record<string, string[]> = {
    "*": ["metadata.name", "metadata.namespace"],
    Deployment: ["spec.selector"],
    DaemonSet: ["spec.selector"],
    StatefulSet: ["spec.podManagementPolicy", "spec.revisionHistoryLimit", "spec.selector", "spec.serviceName", "spec.volumeClaimTemplates"],
    Job: ["spec.completions", "spec.parallelism", "spec.selector", "spec.template"],
    Service: ["spec.clusterIP"],
    PersistentVolumeClaim: ["spec.accessModes", "spec.selector", "spec.storageClassName", "spec.volumeName"],
    StorageClass: ["provisioner", "parameters", "reclaimPolicy"],
    ConfigMap: ["data", "binaryData"],
    Secret: ["type", "stringData", "data"],
    RoleBinding: ["roleRef"],
    ClusterRoleBinding: ["roleRef"],
};
/** Resources that hold data: replacing one loses it. */
const STATEFUL = /StatefulSet|PersistentVolumeClaim|:s3\/bucket|volume:Volume|randomBytes|privateKey:PrivateKey|selfSignedCert|pxc-db/;

/** A control plane's machine holds an etcd member (and the first one the cluster): replacing it is no routine change. */
function controlPlaneMachine(r: PlannedResource): boolean {
    const role = (r.inputs.labels as Record<string, unknown> | undefined)?.role ?? (r.inputs.tags as Record<string, unknown> | undefined)?.role;
    return role === "control-plane" && /^(hcloud:index\/server:Server|aws:ec2\/instance:Instance)$/.test(r.type);
}

function holdsState(r: PlannedResource): boolean {
    return r.protect || STATEFUL.test(r.type) || STATEFUL.test(String(r.inputs.chart ?? "")) || controlPlaneMachine(r);
}

export interface Change {
    path: string;
    before: unknown;
    after: unknown;
}

export interface ResourceDiff {
    /** `ignore`: every change is one `ignoreChanges` covers; the engine changes nothing. */
    kind: "add" | "remove" | "replace" | "update" | "ignore";
    resource: PlannedResource;
    component: string;
    /** What the engine would change. */
    changes: Change[];
    /** Changes the resource's `ignoreChanges` covers: listed for the reviewer, never applied. */
    ignored: Change[];
    /** Replacing or removing it loses data or is blocked by `protect`, or the change is refused on the node. */
    dangerous: boolean;
    /** Why a change that is not a replacement is dangerous. */
    reason?: string;
}

/** A node's mesh address, as its mesh step's script carries it. */
const meshAddressOf = (inputs: Record<string, unknown>) => /^MESH_ADDRESS='([^']+)'$/m.exec(String(inputs.create ?? ""))?.[1];

/** A step of a property path: an object key, or an array index. */
type Segment = string | number;
/** A changed input with its path as steps (keys may hold dots: `labels["app.kubernetes.io/name"]`). */
type Located = Change & { segments: Segment[] };

const showPath = (segments: Segment[]) => segments.map((s, i) => (typeof s === "number" ? `[${s}]` : i === 0 ? s : `.${s}`)).join("");

function flatten(value: unknown, segments: Segment[], out: Map<string, { segments: Segment[]; value: unknown }>): void {
    if (value !== null && typeof value === "object" && !Array.isArray(value) && Object.keys(value).length > 0) {
        for (const [k, v] of Object.entries(value)) flatten(v, [...segments, k], out);
    } else if (Array.isArray(value) && value.length > 0) {
        value.forEach((v, i) => flatten(v, [...segments, i], out));
    } else out.set(showPath(segments), { segments, value });
}

function locatedChanges(a: Record<string, unknown>, b: Record<string, unknown>): Located[] {
    const fa = new Map<string, { segments: Segment[]; value: unknown }>();
    const fb = new Map<string, { segments: Segment[]; value: unknown }>();
    flatten(a, [], fa);
    flatten(b, [], fb);
    const changes: Located[] = [];
    for (const k of [...new Set([...fa.keys(), ...fb.keys()])].sort()) {
        const [x, y] = [fa.get(k), fb.get(k)];
        if (JSON.stringify(x?.value) !== JSON.stringify(y?.value)) changes.push({ path: k, before: x?.value, after: y?.value, segments: (x ?? y)!.segments });
    }
    return changes;
}

export function inputChanges(a: Record<string, unknown>, b: Record<string, unknown>): Change[] {
    return locatedChanges(a, b).map(({ path, before, after }) => ({ path, before, after }));
}

/**
 * A property path as `ignoreChanges` and `replaceOnChanges` take it (Pulumi's syntax: `a.b`,
 * `a[0]`, `a["key.with.dots"]`, `a[*]` or `a.*` for any element or key); undefined when malformed.
 */
export function parsePropertyPath(path: string): (Segment | "*")[] | undefined {
    const out: (Segment | "*")[] = [];
    let i = 0;
    while (i < path.length) {
        if (path[i] === "[") {
            if (path[i + 1] === '"') {
                let key = "";
                let j = i + 2;
                for (; j < path.length && path[j] !== '"'; j++) key += path[j] === "\\" ? path[++j] : path[j];
                if (path[j + 1] !== "]") return undefined;
                out.push(key);
                i = j + 2;
            } else {
                const j = path.indexOf("]", i);
                const inner = path.slice(i + 1, j);
                if (j < 0 || !/^(\*|[0-9]+)$/.test(inner)) return undefined;
                out.push(inner === "*" ? "*" : Number(inner));
                i = j + 1;
            }
        } else {
            if (path[i] === ".") {
                if (out.length === 0) return undefined;
                i++;
            }
            let j = i;
            while (j < path.length && path[j] !== "." && path[j] !== "[") j++;
            if (j === i) return undefined;
            out.push(path.slice(i, j));
            i = j;
        }
    }
    return out.length ? out : undefined;
}

/** Whether a change lies at or under a property path (`*` matches any key or index). */
function covers(pattern: string, change: Located): boolean {
    const p = parsePropertyPath(pattern);
    if (!p) return change.path === pattern || change.path.startsWith(`${pattern}.`) || change.path.startsWith(`${pattern}[`);
    return p.length <= change.segments.length && p.every((s, i) => s === "*" || s === change.segments[i]);
}

function replaces(r: PlannedResource, changes: Located[]): boolean {
    const keys = r.type.startsWith("kubernetes:") ? [...K8S_REPLACE_ON["*"], ...(K8S_REPLACE_ON[String(r.inputs.kind)] ?? [])] : (REPLACE_ON[r.type] ?? []);
    return changes.some((c) => [...keys, ...r.replaceOnChanges].some((k) => covers(k, c)));
}

function componentOf(r: PlannedResource, byUrn: Map<string, PlannedResource>): string {
    const c = topComponent(r, byUrn);
    return c ? `${c.type} ${c.name}` : "stack";
}

/**
 * The URNs a resource may have had before a rename: with each of its own aliases (type or name),
 * and with each type alias of its parent (a URN names its parent's type, not its parent's name).
 * A real engine carries the state across such a rename; so does the diff.
 */
export function previousUrns(r: PlannedResource, byUrn: ReadonlyMap<string, PlannedResource>): string[] {
    const m = /^(urn:pulumi:[^:]*::[^:]*::)(.*)::([^:]*)$/.exec(r.urn);
    if (!m) return [];
    const [, prefix, qualifiedType, name] = m;
    const chain = qualifiedType.split("$");
    const last = chain.length - 1;
    const urn = (types: string[], n: string) => `${prefix}${types.join("$")}::${n}`;
    const own = (r.aliases ?? []).map((a) => urn(chain.map((t, i) => (i === last && a.type ? a.type : t)), a.name ?? name));
    const parent = r.parent ? byUrn.get(r.parent) : undefined;
    const inherited = last > 0 ? (parent?.aliases ?? []).filter((a) => a.type).map((a) => urn([a.type!, ...chain.slice(1)], name)) : [];
    return [...own, ...inherited];
}

export function diffPlans(before: readonly PlannedResource[], after: readonly PlannedResource[]): ResourceDiff[] {
    const a = new Map(before.map((r) => [r.urn, r]));
    const b = new Map(after.map((r) => [r.urn, r]));
    const carried = new Set<string>();
    const out: ResourceDiff[] = [];
    for (const r of after) {
        const was = a.has(r.urn) ? r.urn : previousUrns(r, b).find((u) => a.has(u) && !b.has(u));
        if (was && was !== r.urn) carried.add(was);
        const old = was ? a.get(was) : undefined;
        if (!old) {
            out.push({ kind: "add", resource: r, component: componentOf(r, b), changes: [], ignored: [], dangerous: false });
            continue;
        }
        // What `ignoreChanges` covers (the program's, as the engine reads it), a real engine neither
        // updates nor replaces: it keeps the old value. The diff lists it apart.
        const all = locatedChanges(old.inputs, r.inputs);
        const isIgnored = (c: Located) => r.ignoreChanges.some((k) => covers(k, c));
        const changes = all.filter((c) => !isIgnored(c));
        const ignored = all.filter(isIgnored).map(({ path, before, after }) => ({ path, before, after }));
        if (changes.length === 0) {
            if (ignored.length) out.push({ kind: "ignore", resource: r, component: componentOf(r, b), changes: [], ignored, dangerous: false });
            continue;
        }
        const replace = replaces(r, changes);
        const [address, next] = [meshAddressOf(old.inputs), meshAddressOf(r.inputs)];
        const moved = address !== undefined && next !== undefined && address !== next ? `moves the node's mesh address ${address} -> ${next}: refused on a node in the cluster` : undefined;
        out.push({
            kind: replace ? "replace" : "update",
            resource: r,
            component: componentOf(r, b),
            changes: changes.map(({ path, before, after }) => ({ path, before, after })),
            ignored,
            dangerous: (replace && holdsState(r)) || moved !== undefined,
            ...(moved ? { reason: moved } : {}),
        });
    }
    for (const r of before)
        if (!b.has(r.urn) && !carried.has(r.urn)) out.push({ kind: "remove", resource: r, component: componentOf(r, a), changes: [], ignored: [], dangerous: holdsState(r) });
    return out;
}

const show = (v: unknown) => (v === undefined ? "—" : `\`${JSON.stringify(v)}\``);
/** An ignored value is often a whole user-data script: its start and its length say enough. */
const showShort = (v: unknown) => {
    const s = v === undefined ? undefined : JSON.stringify(v);
    return s === undefined ? "—" : s.length > 80 ? `\`${s.slice(0, 60)}…\` (${s.length} characters)` : `\`${s}\``;
};
/**
 * A change of a long multi-line string (a remote command's script) as the lines it removes and
 * adds, not two whole scripts: a version bump is a few parameter lines.
 */
function scriptLines(before: unknown, after: unknown): string | undefined {
    if (typeof before !== "string" || typeof after !== "string" || !before.includes("\n") || before.length + after.length < 400) return undefined;
    const [b, a] = [before.split("\n"), after.split("\n")];
    const removed = b.filter((l) => !a.includes(l));
    const added = a.filter((l) => !b.includes(l));
    const shown = [...removed.slice(0, 6).map((l) => `\`- ${l.trim()}\``), ...added.slice(0, 6).map((l) => `\`+ ${l.trim()}\``)];
    const more = removed.length + added.length - shown.length;
    return `script lines ${shown.join(", ") || "reordered"}${more > 0 ? ` (and ${more} more)` : ""}`;
}

const SYMBOL = { add: "+", remove: "-", replace: "+-", update: "~", ignore: "=" } as const;
const IGNORED = "ignored (ignoreChanges)";

export function renderDiff(diffs: readonly ResourceDiff[], costs?: { before?: CostReport; after?: CostReport }, rollout: readonly string[] = []): string {
    const lines: string[] = ["## Plan diff", ""];
    if (rollout.length) lines.push("**Rollout** (what `pulumi up` does to the running cluster, in this order):", "", ...rollout.map((l) => `- ${l}`), "");
    const count = (k: ResourceDiff["kind"]) => diffs.filter((d) => d.kind === k).length;
    const withIgnored = diffs.filter((d) => d.ignored.length).length;
    lines.push(
        `${count("add")} to add, ${count("update")} to change, ${count("replace")} to replace, ${count("remove")} to remove.${withIgnored ? ` ${withIgnored} with changes ${IGNORED}, which \`pulumi up\` does not apply.` : ""}`,
        "",
    );
    const danger = diffs.filter((d) => d.dangerous);
    if (danger.length) {
        lines.push("> **Warning: stateful or protected resources, or control-plane machines (etcd members), are replaced or removed (data may be lost, or `pulumi up` will refuse):**");
        for (const d of danger) lines.push(`> - ${d.kind} \`${d.resource.type}\` **${d.resource.name}**${d.resource.protect ? " (protected)" : ""}${d.reason ? ` (${d.reason})` : ""}`);
        lines.push("");
    }
    if (costs?.before && costs.after) {
        const currencies = [...new Set([...Object.keys(costs.before.totals), ...Object.keys(costs.after.totals)])];
        const delta = currencies.map((c) => {
            const d = (costs.after!.totals[c] ?? 0) - (costs.before!.totals[c] ?? 0);
            return `${d >= 0 ? "+" : ""}${d.toFixed(2)} ${c}`;
        });
        lines.push(`**Cost:** ${delta.join(", ") || "no change"} per month (${currencies.map((c) => `${(costs.before!.totals[c] ?? 0).toFixed(2)} -> ${(costs.after!.totals[c] ?? 0).toFixed(2)} ${c}`).join(", ")}; prices of ${costs.after.date})`, "");
    }
    const groups = new Map<string, ResourceDiff[]>();
    for (const d of diffs) groups.set(d.component, [...(groups.get(d.component) ?? []), d]);
    for (const [component, ds] of [...groups].sort(([x], [y]) => x.localeCompare(y))) {
        lines.push(`### ${component}`, "");
        for (const d of ds) {
            lines.push(`- \`${SYMBOL[d.kind]}\` ${d.kind === "ignore" ? IGNORED : d.kind} \`${d.resource.type}\` **${d.resource.name}**`);
            const items = [
                ...d.changes.map((c) => `  - \`${c.path}\`: ${scriptLines(c.before, c.after) ?? `${show(c.before)} → ${show(c.after)}`}`),
                ...d.ignored.map((c) => `  - \`${c.path}\`: ${showShort(c.before)} → ${showShort(c.after)} — ${IGNORED}`),
            ];
            lines.push(...items.slice(0, 20));
            if (items.length > 20) lines.push(`  - … ${items.length - 20} more`);
        }
        lines.push("");
    }
    return lines.join("\n");
}

export function readPlanDir(dir: string): { resources: PlannedResource[]; cost?: CostReport; outputs?: Record<string, unknown> } {
    const resources = JSON.parse(fs.readFileSync(path.join(dir, "resources.json"), "utf8")) as PlannedResource[];
    const read = <T>(file: string): T | undefined => (fs.existsSync(path.join(dir, file)) ? (JSON.parse(fs.readFileSync(path.join(dir, file), "utf8")) as T) : undefined);
    return { resources, cost: read<CostReport>("cost.json"), outputs: read<Record<string, unknown>>("outputs.json") };
}

const MACHINE = /^(hcloud:index\/server:Server|aws:ec2\/instance:Instance)$/;

/**
 * What `pulumi up` will do to the running cluster, in words (infra/bootstrap/lifecycle.ts), from
 * the two plans' `lifecycle` outputs, and every machine the change replaces or resizes in place:
 * each line that drains a node says so.
 */
export function rolloutSummary(before: Record<string, unknown> | undefined, after: Record<string, unknown> | undefined, diffs: readonly ResourceDiff[]): string[] {
    const [b, a] = [before?.lifecycle, after?.lifecycle] as (Lifecycle | undefined)[];
    const lines = describeRollout(b, a, a?.workerBatch ?? 1);
    for (const d of diffs.filter((x) => MACHINE.test(x.resource.type))) {
        const name = d.resource.name;
        if (d.kind === "replace") lines.push(`replaces the machine of ${name}: drains it (a control plane also leaves etcd) before the machine goes, then the new machine joins under the same name`);
        const resized = d.changes.find((c) => c.path === "serverType" || c.path === "instanceType");
        if (d.kind === "update" && resized) lines.push(`resizes ${name} in place (${show(resized.before)} → ${show(resized.after)}): the provider powers the machine off without draining it; drain it first (kubectl drain ${name} --ignore-daemonsets)`);
    }
    return lines;
}
