/**
 * What would make a real `pulumi up` hang or fail where the mock runtime sees nothing: the
 * Kubernetes provider's await rules and the facts of each pinned chart (infra/platform/versions.ts),
 * as pure functions over the resources of a plan.
 *
 * The await rules are pulumi-kubernetes' (provider/pkg/await, 4.34.2; docs/real-world.md):
 * - a Service of type LoadBalancer waits for `status.loadBalancer.ingress` (service.go);
 * - an Ingress waits for `status.loadBalancer.ingress` (ingress.go): its controller must publish one;
 * - a StatefulSet waits for every replica ready, a Deployment for its PVCs bound: their volumes'
 *   class must exist and have a provisioner running;
 * - `pulumi.com/skipAwait: "true"` turns any of these off (metadata/overrides.go), as does a
 *   Chart's `skipAwait`.
 * `helm.sh/v4:Chart` renders without hooks (helm/v4/chart.go) and installs charts as a whole: a
 * chart's custom objects need their CRDs from a chart it waits for.
 */
import { SKIP_AWAIT } from "../apps/ingress";
import { CHART_FACTS, type ChartFacts, type PodSecurity, type Values } from "../platform/versions";

export interface PlanView {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly inputs: Record<string, any>;
    readonly dependsOn: readonly string[];
    /** Read from the cluster (`.get`): it exists already. */
    readonly read?: boolean;
    /** What a read looks up: a Kubernetes object's name. */
    readonly id?: string;
}

/** What the existing cluster of an apps-only stack runs (nothing for a cluster the stack builds). */
export interface ClusterContext {
    readonly loadBalancer: boolean;
    readonly ingressClass?: string;
}

export interface Finding {
    readonly rule: "load-balancer" | "ingress-status" | "volume-class" | "helm-hook" | "pod-security" | "crd" | "chart-facts";
    readonly urn: string;
    readonly message: string;
}

const CHART = "kubernetes:helm.sh/v4:Chart";
const LEVELS: PodSecurity[] = ["restricted", "baseline", "privileged"];
const CORE_GROUPS = /^(core|apps|batch|policy|autoscaling|networking\.k8s\.io|storage\.k8s\.io|rbac\.authorization\.k8s\.io|apiextensions\.k8s\.io|yaml|helm\.sh)\//;

interface Chart {
    readonly r: PlanView;
    readonly facts: ChartFacts;
    readonly values: Values;
}

const kindOf = (r: PlanView) => (r.type.startsWith("kubernetes:") ? (r.type.split(":")[2] ?? "") : "");
const groupOf = (r: PlanView) => r.type.split(":")[1] ?? "";
const skipsAwait = (r: PlanView) => r.inputs.metadata?.annotations?.[SKIP_AWAIT] === "true";

function chartsOf(resources: readonly PlanView[], findings: Finding[]): Chart[] {
    const out: Chart[] = [];
    for (const r of resources.filter((x) => x.type === CHART)) {
        const facts = CHART_FACTS[String(r.inputs.chart)];
        if (!facts || facts.version !== r.inputs.version) {
            findings.push({ rule: "chart-facts", urn: r.urn, message: `chart ${r.inputs.chart} ${r.inputs.version} has no facts recorded at that version (infra/platform/versions.ts): read its source for hooks, CRDs and what it needs first` });
            continue;
        }
        out.push({ r, facts, values: (r.inputs.values ?? {}) as Values });
    }
    return out;
}

/** Every URN `r` waits for, directly or through what it waits for. */
function ancestors(r: PlanView, byUrn: ReadonlyMap<string, PlanView>): Set<string> {
    const seen = new Set<string>();
    const todo = [...r.dependsOn];
    while (todo.length) {
        const u = todo.pop()!;
        if (seen.has(u)) continue;
        seen.add(u);
        todo.push(...(byUrn.get(u)?.dependsOn ?? []));
    }
    return seen;
}

function podSecurityOf(ns: string, resources: readonly PlanView[]): PodSecurity {
    const created = resources.find((r) => kindOf(r) === "Namespace" && r.inputs.metadata?.name === ns);
    // A namespace without the label (kube-system, one the cluster had) enforces nothing: privileged.
    return (created?.inputs.metadata?.labels?.["pod-security.kubernetes.io/enforce"] as PodSecurity | undefined) ?? "privileged";
}

function chartFindings(charts: readonly Chart[], resources: readonly PlanView[], byUrn: ReadonlyMap<string, PlanView>, out: Finding[]): void {
    for (const c of charts) {
        for (const h of c.facts.hooks(c.values))
            out.push({ rule: "helm-hook", urn: c.r.urn, message: `${c.r.inputs.chart} relies on the Helm hook ${h.name}, which helm.sh/v4:Chart never runs: ${h.breaks}` });
        const need = c.facts.podSecurity(c.values);
        const ns = String(c.r.inputs.namespace ?? "default");
        const level = podSecurityOf(ns, resources);
        if (LEVELS.indexOf(need) > LEVELS.indexOf(level))
            out.push({ rule: "pod-security", urn: c.r.urn, message: `${c.r.inputs.chart}'s pods need Pod Security ${need}, namespace ${ns} enforces ${level}: they are refused and it never becomes ready` });
        const before = ancestors(c.r, byUrn);
        for (const group of c.facts.usesCrdGroups?.(c.values) ?? [])
            if (!charts.some((o) => before.has(o.r.urn) && o.facts.crdGroups(o.values).includes(group)))
                out.push({ rule: "crd", urn: c.r.urn, message: `${c.r.inputs.chart} renders ${group} objects, and no chart it waits for installs their CRDs` });
    }
}

function customObjectFindings(charts: readonly Chart[], resources: readonly PlanView[], byUrn: ReadonlyMap<string, PlanView>, out: Finding[]): void {
    for (const r of resources) {
        if (!r.type.startsWith("kubernetes:") || r.type === CHART || CORE_GROUPS.test(r.type.slice("kubernetes:".length))) continue;
        const group = groupOf(r).split("/")[0];
        const before = ancestors(r, byUrn);
        if (!charts.some((c) => before.has(c.r.urn) && c.facts.crdGroups(c.values).includes(group)))
            out.push({ rule: "crd", urn: r.urn, message: `${kindOf(r)} ${r.inputs.metadata?.name ?? r.name} (${group}) waits for no chart that installs its CRD: it may be created before its kind exists` });
    }
}

function loadBalancerFindings(charts: readonly Chart[], resources: readonly PlanView[], ctx: ClusterContext, out: Finding[]): void {
    const implemented = ctx.loadBalancer || charts.some((c) => c.facts.implementsLoadBalancer);
    if (implemented) return;
    const why = "nothing in this cluster gives LoadBalancer Services an address, and Pulumi waits for one until it times out";
    for (const c of charts)
        if (c.facts.loadBalancerService?.(c.values) && !c.r.inputs.skipAwait) out.push({ rule: "load-balancer", urn: c.r.urn, message: `${c.r.inputs.chart} renders a LoadBalancer Service: ${why}` });
    for (const r of resources)
        if (kindOf(r) === "Service" && r.inputs.spec?.type === "LoadBalancer" && !skipsAwait(r) && !r.read)
            out.push({ rule: "load-balancer", urn: r.urn, message: `Service ${r.inputs.metadata?.name ?? r.name} is of type LoadBalancer: ${why}` });
}

function ingressFindings(charts: readonly Chart[], resources: readonly PlanView[], ctx: ClusterContext, out: Finding[]): void {
    for (const r of resources) {
        if (kindOf(r) !== "Ingress" || r.read || skipsAwait(r)) continue;
        const cls = r.inputs.spec?.ingressClassName as string | undefined;
        const served = charts.map((c) => c.facts.ingress?.(c.values)).filter((i) => i && (cls === undefined || i.ingressClass === cls));
        const publishes = served.some((i) => i!.publishesStatus) || (cls !== undefined && cls === ctx.ingressClass && ctx.loadBalancer);
        if (!publishes)
            out.push({
                rule: "ingress-status",
                urn: r.urn,
                message: `Ingress ${r.inputs.metadata?.name ?? r.name} (class ${cls ?? "default"}): no controller publishes a status address for it, and Pulumi waits for one until it times out (annotate ${SKIP_AWAIT}: "true", or publish an address)`,
            });
    }
}

function claimClasses(r: PlanView): string[] {
    if (kindOf(r) === "StatefulSet") return (r.inputs.spec?.volumeClaimTemplates ?? []).map((t: any) => t.spec?.storageClassName ?? "");
    if (kindOf(r) === "PersistentVolumeClaim") return [r.inputs.spec?.storageClassName ?? ""];
    return [];
}

function volumeFindings(charts: readonly Chart[], resources: readonly PlanView[], out: Finding[]): void {
    const classes = resources.filter((r) => kindOf(r) === "StorageClass");
    const provisioners = new Set([
        ...charts.flatMap((c) => c.facts.provisioners?.(c.values) ?? []),
        // The local-path manifest (a ConfigGroup) runs rancher.io/local-path.
        ...resources.filter((r) => r.type === "kubernetes:yaml/v2:ConfigGroup" && JSON.stringify(r.inputs.objs ?? []).includes("local-path-provisioner")).map(() => "rancher.io/local-path"),
    ]);
    for (const r of resources) {
        if (skipsAwait(r)) continue;
        for (const name of claimClasses(r)) {
            const cls = classes.find((c) => (name ? c.inputs.metadata?.name === name || (c.read && c.id === name) : c.inputs.metadata?.annotations?.["storageclass.kubernetes.io/is-default-class"] === "true"));
            if (!cls) {
                out.push({ rule: "volume-class", urn: r.urn, message: `${kindOf(r)} ${r.inputs.metadata?.name ?? r.name} claims class ${name || "(default)"}, which neither this stack nor the cluster has: its volumes never bind` });
                continue;
            }
            if (!cls.read && !provisioners.has(cls.inputs.provisioner))
                out.push({ rule: "volume-class", urn: r.urn, message: `class ${name} provisions through ${cls.inputs.provisioner}, which nothing in this stack runs: its volumes never bind` });
        }
    }
}

export function awaitFindings(resources: readonly PlanView[], ctx: ClusterContext): Finding[] {
    const out: Finding[] = [];
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const charts = chartsOf(resources, out);
    chartFindings(charts, resources, byUrn, out);
    customObjectFindings(charts, resources, byUrn, out);
    loadBalancerFindings(charts, resources, ctx, out);
    ingressFindings(charts, resources, ctx, out);
    volumeFindings(charts, resources, out);
    return out;
}
