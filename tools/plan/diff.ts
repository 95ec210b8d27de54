/**
 * `npm run plan -- diff A B`: what changes between two offline plans (`--out` directories), as
 * markdown for a pull request: resources added, removed, replaced or changed, with the changed
 * input paths and their old and new values, grouped by component, and the cost delta.
 * Replacements of stateful or protected resources come first.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { CostReport } from "./cost";
import type { PlannedResource } from "./engine";
import { topComponent } from "./report";

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
/** Kubernetes objects: immutable or identity fields. */
const K8S_REPLACE_ON = ["metadata.name", "metadata.namespace", "spec.selector", "spec.volumeClaimTemplates", "spec.template", "provisioner", "parameters", "reclaimPolicy", "spec.clusterIP"];
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
    kind: "add" | "remove" | "replace" | "update";
    resource: PlannedResource;
    component: string;
    changes: Change[];
    /** Replacing or removing it loses data or is blocked by `protect`, or the change is refused on the node. */
    dangerous: boolean;
    /** Why a change that is not a replacement is dangerous. */
    reason?: string;
}

/** A node's mesh address, as its mesh step's script carries it. */
const meshAddressOf = (inputs: Record<string, unknown>) => /^MESH_ADDRESS='([^']+)'$/m.exec(String(inputs.create ?? ""))?.[1];

function flatten(value: unknown, prefix: string, out: Map<string, unknown>): void {
    if (value !== null && typeof value === "object" && !Array.isArray(value) && Object.keys(value).length > 0) {
        for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
    } else if (Array.isArray(value) && value.length > 0) {
        value.forEach((v, i) => flatten(v, `${prefix}[${i}]`, out));
    } else out.set(prefix, value);
}

export function inputChanges(a: Record<string, unknown>, b: Record<string, unknown>): Change[] {
    const fa = new Map<string, unknown>();
    const fb = new Map<string, unknown>();
    flatten(a, "", fa);
    flatten(b, "", fb);
    const changes: Change[] = [];
    for (const k of [...new Set([...fa.keys(), ...fb.keys()])].sort()) {
        if (JSON.stringify(fa.get(k)) !== JSON.stringify(fb.get(k))) changes.push({ path: k, before: fa.get(k), after: fb.get(k) });
    }
    return changes;
}

const under = (path: string, key: string) => path === key || path.startsWith(`${key}.`) || path.startsWith(`${key}[`);

function replaces(r: PlannedResource, changes: Change[]): boolean {
    const keys = r.type.startsWith("kubernetes:") ? K8S_REPLACE_ON : (REPLACE_ON[r.type] ?? []);
    return changes.some((c) => [...keys, ...r.replaceOnChanges].some((k) => under(c.path, k)));
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
            out.push({ kind: "add", resource: r, component: componentOf(r, b), changes: [], dangerous: false });
            continue;
        }
        // What `ignoreChanges` covers, a real engine neither updates nor replaces.
        const changes = inputChanges(old.inputs, r.inputs).filter((c) => !r.ignoreChanges.some((k) => under(c.path, k)));
        if (changes.length === 0) continue;
        const replace = replaces(r, changes);
        const [address, next] = [meshAddressOf(old.inputs), meshAddressOf(r.inputs)];
        const moved = address !== undefined && next !== undefined && address !== next ? `moves the node's mesh address ${address} -> ${next}: refused on a node in the cluster` : undefined;
        out.push({ kind: replace ? "replace" : "update", resource: r, component: componentOf(r, b), changes, dangerous: (replace && holdsState(r)) || moved !== undefined, ...(moved ? { reason: moved } : {}) });
    }
    for (const r of before)
        if (!b.has(r.urn) && !carried.has(r.urn)) out.push({ kind: "remove", resource: r, component: componentOf(r, a), changes: [], dangerous: holdsState(r) });
    return out;
}

const show = (v: unknown) => (v === undefined ? "—" : `\`${JSON.stringify(v)}\``);
const SYMBOL = { add: "+", remove: "-", replace: "+-", update: "~" } as const;

export function renderDiff(diffs: readonly ResourceDiff[], costs?: { before?: CostReport; after?: CostReport }): string {
    const lines: string[] = ["## Plan diff", ""];
    const count = (k: ResourceDiff["kind"]) => diffs.filter((d) => d.kind === k).length;
    lines.push(`${count("add")} to add, ${count("update")} to change, ${count("replace")} to replace, ${count("remove")} to remove.`, "");
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
            lines.push(`- \`${SYMBOL[d.kind]}\` ${d.kind} \`${d.resource.type}\` **${d.resource.name}**`);
            for (const c of d.changes.slice(0, 20)) lines.push(`  - \`${c.path}\`: ${show(c.before)} → ${show(c.after)}`);
            if (d.changes.length > 20) lines.push(`  - … ${d.changes.length - 20} more`);
        }
        lines.push("");
    }
    return lines.join("\n");
}

export function readPlanDir(dir: string): { resources: PlannedResource[]; cost?: CostReport } {
    const resources = JSON.parse(fs.readFileSync(path.join(dir, "resources.json"), "utf8")) as PlannedResource[];
    const costFile = path.join(dir, "cost.json");
    return { resources, cost: fs.existsSync(costFile) ? (JSON.parse(fs.readFileSync(costFile, "utf8")) as CostReport) : undefined };
}
