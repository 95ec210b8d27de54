/**
 * The plan as a picture: sites and providers, pools with their node counts and roles, the API
 * endpoint, the mesh, the add-ons and the apps. Graphviz compiled to WebAssembly renders it
 * in-process (no system binary).
 */
import { instance } from "@viz-js/viz";
import type { PlanResult } from "./engine";

const SITE: Record<string, string> = {
    "infra:nodes:HetznerPool": "Hetzner Cloud",
    "infra:nodes:AwsPool": "AWS",
    "infra:nodes:AwsAutoscalingPool": "AWS",
    "infra:nodes:VmwarePool": "On-prem (VMware)",
    "infra:nodes:StaticPool": "On-prem (bare metal)",
};

const q = (s: string) => `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;

/** The Graphviz source of a plan's topology. */
export function topologyDot(plan: Pick<PlanResult, "stack" | "resources" | "outputs">): string {
    const nodes = (plan.outputs.nodes as { name: string; role: string; pool: string }[] | undefined) ?? [];
    const pools = plan.resources.filter((r) => SITE[r.type]);
    const bySite = new Map<string, typeof pools>();
    for (const p of pools) bySite.set(SITE[p.type], [...(bySite.get(SITE[p.type]) ?? []), p]);
    const lines = [
        "digraph topology {",
        '  graph [rankdir=LR, fontname="Helvetica", fontsize=11, labeljust=l];',
        '  node [shape=box, style="rounded,filled", fillcolor="#f5f7fa", fontname="Helvetica", fontsize=10];',
        '  edge [color="#7a869a", fontname="Helvetica", fontsize=9];',
        `  label=${q(`stack ${plan.stack}`)};`,
    ];
    let i = 0;
    for (const [site, ps] of bySite) {
        lines.push(`  subgraph cluster_${i++} { label=${q(site)}; style="rounded"; color="#8993a4";`);
        for (const p of ps) {
            const members = nodes.filter((n) => p.name.endsWith(`-${n.pool}`));
            const asg = plan.resources.find((r) => r.type === "aws:autoscaling/group:Group" && r.parent === p.urn);
            const role = members[0]?.role ?? "worker";
            const size = asg ? `auto scaling ${asg.inputs.minSize}..${asg.inputs.maxSize} (desired ${asg.inputs.desiredCapacity})` : `${members.length} node${members.length === 1 ? "" : "s"}`;
            const fill = role === "control-plane" ? "#deebff" : "#e3fcef";
            lines.push(`    ${q(p.urn)} [label=${q(`pool ${p.name}\n${size}, ${role}`)}, fillcolor=${q(fill)}];`);
        }
        lines.push("  }");
    }
    const endpoint = (plan.outputs.apiEndpoint as string | undefined) ?? (plan.outputs.joins as string | undefined);
    if (endpoint) {
        lines.push(`  api [label=${q(`Kubernetes API\n${endpoint}`)}, shape=ellipse, fillcolor="#fffae6"];`);
        for (const p of pools) lines.push(`  ${q(p.urn)} -> api;`);
    }
    const mesh = plan.outputs.mesh as { cidr: string; port: number } | null | undefined;
    if (mesh || plan.resources.some((r) => r.name.endsWith("-wireguard-key"))) {
        lines.push(`  mesh [label=${q(`WireGuard mesh${mesh ? `\n${mesh.cidr}, udp/${mesh.port}` : ""}`)}, shape=hexagon, fillcolor="#eae6ff"];`);
        for (const p of pools) lines.push(`  ${q(p.urn)} -> mesh [dir=none, style=dashed];`);
    }
    if (plan.outputs.baseStack) lines.push(`  base [label=${q(`base cluster\n${String(plan.outputs.baseStack)}`)}, shape=component];`, "  api -> base [style=dotted];");
    const charts = plan.resources.filter((r) => r.type === "kubernetes:helm.sh/v4:Chart").map((r) => `${String(r.inputs.chart)} ${String(r.inputs.version ?? "")}`.trim());
    if (charts.length) {
        lines.push(`  addons [label=${q(`add-ons\n${charts.join("\n")}`)}, fillcolor="#ffffff"];`);
        lines.push(endpoint ? "  api -> addons;" : "");
    }
    const workloads = plan.resources
        .filter((r) => ["Deployment", "StatefulSet", "CronJob"].includes(String(r.inputs.kind)) && String((r.inputs.metadata as { namespace?: string })?.namespace ?? "") !== "kube-system")
        .map((r) => `${String(r.inputs.kind)} ${String((r.inputs.metadata as { name?: string }).name)}`);
    if (workloads.length) {
        const url = plan.outputs.appUrl ? `\n${String(plan.outputs.appUrl)}` : "";
        lines.push(`  apps [label=${q(`apps${url}\n${workloads.join("\n")}`)}, fillcolor="#ffffff"];`);
        lines.push(charts.length ? "  addons -> apps;" : endpoint ? "  api -> apps;" : "");
    }
    lines.push("}");
    return lines.filter((l) => l !== "").join("\n");
}

export async function renderTopology(plan: Pick<PlanResult, "stack" | "resources" | "outputs">): Promise<string> {
    const viz = await instance();
    return viz.renderString(topologyDot(plan), { format: "svg" });
}
