/**
 * The monthly cost of a plan, per pool and in total, from the dated price table in
 * data/prices.json. What the table does not price is listed as unpriced, never counted as zero.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { PlannedResource } from "./engine";
import { topComponent } from "./report";

export const HOURS_PER_MONTH = 730;

export interface PriceTable {
    date: string;
    hetzner: { currency: string; source: string; serverTypesHourly: Record<string, number>; loadBalancersHourly: Record<string, number>; volumePerGbMonth: number | null };
    aws: { currency: string; source: string; regions: Record<string, { instancesHourly: Record<string, number>; gp3PerGbMonth: number; nlbHourly: number }> };
}

export function loadPrices(): PriceTable {
    return JSON.parse(fs.readFileSync(path.resolve(__dirname, "..", "..", "data", "prices.json"), "utf8")) as PriceTable;
}

export interface CostLine {
    /** The component the cost belongs to (a pool, a network). */
    group: string;
    item: string;
    currency: string;
    /** Monthly amount; undefined when the table has no price. */
    monthly?: number;
}

export interface CostReport {
    date: string;
    sources: string[];
    lines: CostLine[];
    /** Totals per currency, of the priced lines. */
    totals: Record<string, number>;
    unpriced: CostLine[];
}

const round = (n: number) => Math.round(n * 100) / 100;

export function estimateCost(resources: readonly PlannedResource[], prices: PriceTable, awsRegion = "eu-central-1"): CostReport {
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const group = (r: PlannedResource) => topComponent(r, byUrn)?.name ?? "stack";
    const lines: CostLine[] = [];
    const region = prices.aws.regions[awsRegion];
    const hz = prices.hetzner;
    for (const r of resources) {
        const i = r.inputs as Record<string, any>;
        if (r.type === "hcloud:index/server:Server") {
            const h = hz.serverTypesHourly[i.serverType];
            lines.push({ group: group(r), item: `server ${i.serverType}`, currency: hz.currency, monthly: h === undefined ? undefined : round(h * HOURS_PER_MONTH) });
        } else if (r.type === "hcloud:index/loadBalancer:LoadBalancer") {
            const h = hz.loadBalancersHourly[i.loadBalancerType];
            lines.push({ group: group(r), item: `load balancer ${i.loadBalancerType}`, currency: hz.currency, monthly: h === undefined ? undefined : round(h * HOURS_PER_MONTH) });
        } else if (r.type === "aws:ec2/instance:Instance" || r.type === "aws:autoscaling/group:Group") {
            const asg = r.type === "aws:autoscaling/group:Group";
            const lt = asg ? resources.find((x) => x.type === "aws:ec2/launchTemplate:LaunchTemplate" && x.parent === r.parent) : undefined;
            const type = asg ? (lt?.inputs as any)?.instanceType : i.instanceType;
            const count = asg ? Number(i.desiredCapacity ?? i.minSize ?? 0) : 1;
            const gb = asg ? Number((lt?.inputs as any)?.blockDeviceMappings?.[0]?.ebs?.volumeSize ?? 0) : Number(i.rootBlockDevice?.volumeSize ?? 0);
            const h = region?.instancesHourly[type];
            const label = asg ? `${count} x instance ${type} (auto scaling group, desired)` : `instance ${type}`;
            lines.push({ group: group(r), item: label, currency: prices.aws.currency, monthly: h === undefined ? undefined : round(count * h * HOURS_PER_MONTH) });
            lines.push({ group: group(r), item: `${count > 1 ? `${count} x ` : ""}gp3 ${gb} GiB`, currency: prices.aws.currency, monthly: region ? round(count * gb * region.gp3PerGbMonth) : undefined });
        } else if (r.type === "aws:lb/loadBalancer:LoadBalancer") {
            lines.push({ group: group(r), item: `network load balancer ${r.name} (hours, without LCUs)`, currency: prices.aws.currency, monthly: region ? round(region.nlbHourly * HOURS_PER_MONTH) : undefined });
        } else if (r.type === "kubernetes:helm.sh/v4:Chart" && JSON.stringify(i.values ?? {}).includes("load-balancer.hetzner.cloud/location")) {
            lines.push({ group: group(r), item: "load balancer lb11 (created by the hcloud cloud controller for ingress)", currency: hz.currency, monthly: hz.loadBalancersHourly.lb11 === undefined ? undefined : round(hz.loadBalancersHourly.lb11 * HOURS_PER_MONTH) });
        }
    }
    const totals: Record<string, number> = {};
    for (const l of lines) if (l.monthly !== undefined) totals[l.currency] = round((totals[l.currency] ?? 0) + l.monthly);
    const sources = [...new Set(lines.map((l) => (l.currency === hz.currency ? hz.source : prices.aws.source)))];
    return { date: prices.date, sources, lines, totals, unpriced: lines.filter((l) => l.monthly === undefined) };
}

export function renderCostLine(c: CostReport): string {
    const totals = Object.entries(c.totals).map(([cur, v]) => `${v.toFixed(2)} ${cur}`).join(" + ") || "0";
    const unpriced = c.unpriced.length ? `; unpriced: ${c.unpriced.map((u) => u.item).join(", ")}` : "";
    return `Cost: ${totals} per month (prices of ${c.date}${unpriced})`;
}

export function renderCost(c: CostReport): string {
    const groups = new Map<string, CostLine[]>();
    for (const l of c.lines) groups.set(l.group, [...(groups.get(l.group) ?? []), l]);
    const rows = [...groups].map(([g, ls]) => {
        const sums = new Map<string, number>();
        for (const l of ls) if (l.monthly !== undefined) sums.set(l.currency, (sums.get(l.currency) ?? 0) + l.monthly);
        const s = [...sums].map(([cur, v]) => `${round(v).toFixed(2)} ${cur}`).join(" + ");
        const un = ls.filter((l) => l.monthly === undefined).length;
        return `    ${g.padEnd(40)} ${s || "-"}${un ? ` (+${un} unpriced)` : ""}`;
    });
    return ["Monthly cost per component:", ...rows, renderCostLine(c), ...c.sources.map((s) => `    source: ${s}`)].join("\n");
}
