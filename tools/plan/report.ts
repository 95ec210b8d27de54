/** Renders a plan: the resource tree on stdout and the files of `--out DIR`. */
import * as fs from "node:fs";
import * as path from "node:path";
import * as YAML from "yaml";
import { innerScript } from "../../infra/bootstrap/remote";
import { type PlannedLookup, type PlannedResource, type PlanResult, SECRET } from "./engine";

/** The resource tree, like `pulumi preview`: type and name, children indented under parents. */
export function renderTree(resources: readonly PlannedResource[]): string {
    const children = new Map<string | null, PlannedResource[]>();
    const known = new Set(resources.map((r) => r.urn));
    for (const r of resources) {
        const key = r.parent && known.has(r.parent) ? r.parent : null;
        children.set(key, [...(children.get(key) ?? []), r]);
    }
    const rows: [string, string, string][] = [];
    const walk = (parent: string | null, prefix: string) => {
        const list = children.get(parent) ?? [];
        list.forEach((r, i) => {
            const last = i === list.length - 1;
            const branch = parent === null ? "" : last ? "└─ " : "├─ ";
            rows.push([`${prefix}${branch}${r.type}`, r.name, r.read ? " >  " : " +  "]);
            walk(r.urn, parent === null ? prefix : prefix + (last ? "   " : "│  "));
        });
    };
    walk(null, "");
    const width = Math.max(4, ...rows.map(([t]) => [...t].length)) + 2;
    const pad = (s: string) => s + " ".repeat(width - [...s].length);
    // `>`: read, as `pulumi preview` marks it.
    return [`     ${pad("Type")}Name`, ...rows.map(([t, n, op]) => `${op} ${pad(t)}${n}`)].join("\n");
}

/** The component directly under the stack that a resource belongs to (undefined at the top). */
export function topComponent(r: PlannedResource, byUrn: ReadonlyMap<string, PlannedResource>): PlannedResource | undefined {
    let p = r.parent ? byUrn.get(r.parent) : undefined;
    while (p?.parent && byUrn.get(p.parent)?.type !== "pulumi:pulumi:Stack") p = byUrn.get(p.parent);
    return p && p.type !== "pulumi:pulumi:Stack" ? p : undefined;
}

export function summaryLine(resources: readonly PlannedResource[]): string {
    const created = resources.filter((r) => !r.read);
    const custom = created.filter((r) => r.custom).length;
    const reads = resources.length - created.length;
    return `Plan: ${created.length} resources to create (${custom} cloud/cluster resources, ${created.length - custom} components)${reads ? `, ${reads} to read` : ""}`;
}

export function renderLookups(lookups: readonly PlannedLookup[]): string {
    if (lookups.length === 0) return "";
    return ["Lookups (answered by the cloud at deploy time):", ...lookups.map((l) => `    ${l.token}  ${JSON.stringify(l.args)}`)].join("\n");
}

export function renderOutputs(outputs: Record<string, unknown>): string {
    const keys = Object.keys(outputs).sort();
    if (keys.length === 0) return "";
    const w = Math.max(...keys.map((k) => k.length)) + 2;
    return ["Outputs:", ...keys.map((k) => `    ${k.padEnd(w)}${typeof outputs[k] === "string" ? String(outputs[k]) : JSON.stringify(outputs[k])}`)].join("\n");
}

const HELM_OR_YAML = /^kubernetes:(helm\.sh|yaml|kustomize)\//;

/**
 * A Secret's data is secret as a whole in the recorded inputs; in the manifest each key is kept
 * and each value is "[secret]", so the object keeps its shape (and validates).
 */
function secretShaped(r: PlannedResource, plain?: Record<string, unknown>): Record<string, unknown> {
    if (r.inputs.kind !== "Secret" || !plain) return r.inputs;
    const out = { ...r.inputs };
    for (const field of ["data", "stringData"]) {
        const keys = plain[field];
        if (out[field] === SECRET && keys && typeof keys === "object") out[field] = Object.fromEntries(Object.keys(keys).map((k) => [k, SECRET]));
    }
    return out;
}

/** Kubernetes objects the program declares directly (not rendered by a chart). */
export function manifestsOf(resources: readonly PlannedResource[], plainInputs?: ReadonlyMap<string, Record<string, unknown>>): { file: string; object: Record<string, unknown> }[] {
    const out: { file: string; object: Record<string, unknown> }[] = [];
    for (const r of resources) {
        if (!r.type.startsWith("kubernetes:") || HELM_OR_YAML.test(r.type) || r.type.startsWith("pulumi:providers:")) continue;
        const { kind, apiVersion, metadata } = r.inputs as { kind?: string; apiVersion?: string; metadata?: { name?: string; namespace?: string } };
        if (!kind || !apiVersion) continue;
        const ns = metadata?.namespace ? `${metadata.namespace}-` : "";
        out.push({ file: safeName(`${kind}-${ns}${metadata?.name ?? r.name}`) + ".yaml", object: secretShaped(r, plainInputs?.get(r.urn)) });
    }
    return out;
}

/** The shell scripts of every remote command, one per lifecycle step that has one. */
export function scriptsOf(resources: readonly PlannedResource[]): { file: string; script: string }[] {
    const out: { file: string; script: string }[] = [];
    for (const r of resources) {
        if (r.type !== "command:remote:Command" && r.type !== "command:local:Command") continue;
        for (const step of ["create", "update", "delete"] as const) {
            const s = r.inputs[step];
            if (typeof s !== "string" || s === "") continue;
            // Bootstrap steps run their script as root through a wrapper: the file is the script itself.
            // A plain command line (the drain guard's create) runs under the login shell, sh.
            const script = innerScript(s) ?? `#!/bin/sh\n${s.endsWith("\n") ? s : s + "\n"}`;
            out.push({ file: safeName(`${r.name}.${step}`) + ".sh", script });
        }
    }
    return out;
}

function safeName(s: string): string {
    return s.replace(/[^A-Za-z0-9._-]+/g, "_");
}

export function writePlan(dir: string, plan: PlanResult): void {
    fs.rmSync(path.join(dir, "manifests"), { recursive: true, force: true });
    fs.rmSync(path.join(dir, "scripts"), { recursive: true, force: true });
    fs.mkdirSync(path.join(dir, "manifests"), { recursive: true });
    fs.mkdirSync(path.join(dir, "scripts"), { recursive: true });
    fs.writeFileSync(path.join(dir, "resources.json"), JSON.stringify(plan.resources, null, 2) + "\n");
    fs.writeFileSync(path.join(dir, "outputs.json"), JSON.stringify(plan.outputs, null, 2) + "\n");
    fs.writeFileSync(path.join(dir, "lookups.json"), JSON.stringify(plan.lookups, null, 2) + "\n");
    for (const m of manifestsOf(plan.resources, plan.plainInputs)) fs.writeFileSync(path.join(dir, "manifests", m.file), YAML.stringify(m.object));
    for (const s of scriptsOf(plan.resources)) fs.writeFileSync(path.join(dir, "scripts", s.file), s.script, { mode: 0o755 });
}
