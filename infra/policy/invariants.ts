/**
 * The platform's invariants, as pure functions over the resources of a stack. Two runners use
 * the same functions: the test suite over the offline plan of every stack file, and the policy
 * pack (`policy/`) that a real `pulumi preview --policy-pack policy` enforces.
 */
import { isWorldOpen, WORLD_OPEN_PREFIX } from "../config/cidr";

export interface ResourceView {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly inputs: Record<string, any>;
    readonly protect: boolean;
}

export interface InvariantContext {
    readonly environment: string;
    /** `infra:ssh.allowWorldAdmin`: SSH and the API may be open to the world, even in prod. */
    readonly allowWorldAdmin: boolean;
}

export interface Violation {
    readonly rule: string;
    readonly urn: string;
    readonly message: string;
}

export interface Invariant {
    readonly name: string;
    readonly description: string;
    check(resources: readonly ResourceView[], ctx: InvariantContext): Violation[];
}

const inRange = (port: number, spec: { fromPort?: number; toPort?: number; port?: string }) => {
    if (spec.port !== undefined) {
        const [a, b] = spec.port.split("-").map(Number);
        return port >= a && port <= (b ?? a);
    }
    return spec.fromPort !== undefined && spec.fromPort <= port && port <= (spec.toPort ?? spec.fromPort);
};

/** Every inbound rule with CIDR sources: Hetzner firewall rules and AWS security group ingress. */
function inboundRules(resources: readonly ResourceView[]): { r: ResourceView; rule: any; sources: string[] }[] {
    const out: { r: ResourceView; rule: any; sources: string[] }[] = [];
    for (const r of resources) {
        if (r.type === "hcloud:index/firewall:Firewall") for (const rule of r.inputs.rules ?? []) if (rule.direction === "in") out.push({ r, rule, sources: rule.sourceIps ?? [] });
        if (r.type === "aws:ec2/securityGroup:SecurityGroup") for (const rule of r.inputs.ingress ?? []) out.push({ r, rule, sources: [...(rule.cidrBlocks ?? []), ...(rule.ipv6CidrBlocks ?? [])] });
    }
    return out;
}

const WORKLOAD_KINDS = new Set(["Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"]);
function podSpec(inputs: Record<string, any>): any {
    return inputs.kind === "CronJob" ? inputs.spec?.jobTemplate?.spec?.template?.spec : inputs.spec?.template?.spec;
}
function workloads(resources: readonly ResourceView[]): ResourceView[] {
    return resources.filter((r) => r.type.startsWith("kubernetes:") && WORKLOAD_KINDS.has(r.inputs.kind));
}
function containersOf(r: ResourceView): any[] {
    const spec = podSpec(r.inputs) ?? {};
    return [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
}
const isDatabase = (r: ResourceView) =>
    (r.inputs.kind === "StatefulSet" && r.inputs.metadata?.labels?.["app.kubernetes.io/component"] === "database") ||
    (r.type === "kubernetes:helm.sh/v4:Chart" && r.inputs.chart === "pxc-db");

export const INVARIANTS: readonly Invariant[] = [
    {
        name: "no-world-admin-in-prod",
        description: "In prod, SSH (22) and the API (6443) are not open to the world unless infra:ssh.allowWorldAdmin says so.",
        // The union of every rule of a firewall or security group that opens the port: a range split
        // over several rules (0.0.0.0/1 + 128.0.0.0/1) is as open as 0.0.0.0/0.
        check: (resources, ctx) => {
            if (ctx.environment !== "prod" || ctx.allowWorldAdmin) return [];
            const rules = inboundRules(resources);
            return resources.flatMap((r) =>
                [22, 6443]
                    .filter((port) => isWorldOpen(rules.filter((x) => x.r === r && inRange(port, x.rule)).flatMap((x) => x.sources)))
                    .map((port) => ({ rule: "no-world-admin-in-prod", urn: r.urn, message: `${r.name} opens ${port} to the world (its sources cover a /${WORLD_OPEN_PREFIX} or more)` })),
            );
        },
    },
    {
        name: "etcd-kubelet-never-public",
        description: "etcd (2379-2380) and the kubelet (10250) are never reachable from a CIDR, only between nodes.",
        check: (resources) =>
            inboundRules(resources)
                .filter(({ rule, sources }) => sources.length > 0 && (inRange(2379, rule) || inRange(2380, rule) || inRange(10250, rule)))
                .map(({ r, rule }) => ({ rule: "etcd-kubelet-never-public", urn: r.urn, message: `${r.name} opens ${rule.port ?? `${rule.fromPort}-${rule.toPort}`} to ${JSON.stringify(rule.sourceIps ?? rule.cidrBlocks)}` })),
    },
    {
        name: "containers-limited-non-root",
        description: "Every container declares requests and limits and runs as non-root.",
        check: (resources) =>
            workloads(resources).flatMap((r) => {
                const podNonRoot = podSpec(r.inputs)?.securityContext?.runAsNonRoot === true;
                return containersOf(r)
                    .filter((c) => !c.resources?.requests || !c.resources?.limits || !(podNonRoot || c.securityContext?.runAsNonRoot === true))
                    .map((c) => ({ rule: "containers-limited-non-root", urn: r.urn, message: `${r.inputs.kind} ${r.inputs.metadata?.name} container ${c.name} lacks requests, limits or runAsNonRoot` }));
            }),
    },
    {
        name: "app-pods-hardened",
        description: "The application's pods mount no service account token and every container's root filesystem is read-only.",
        check: (resources) =>
            workloads(resources)
                .filter((r) => r.urn.includes("infra:apps:"))
                .flatMap((r) => {
                    const noToken = podSpec(r.inputs)?.automountServiceAccountToken === false;
                    const writable = containersOf(r).filter((c) => c.securityContext?.readOnlyRootFilesystem !== true).map((c) => c.name);
                    return noToken && writable.length === 0
                        ? []
                        : [{ rule: "app-pods-hardened", urn: r.urn, message: `${r.inputs.kind} ${r.inputs.metadata?.name}: ${noToken ? "" : "mounts a service account token; "}${writable.length ? `writable root in ${writable.join(", ")}` : ""}`.replace(/; $/, "") }];
                }),
    },
    {
        name: "no-latest-images",
        description: "Every image has a tag other than latest, or a digest (prod).",
        check: (resources, ctx) =>
            ctx.environment !== "prod"
                ? []
                : workloads(resources).flatMap((r) =>
                      containersOf(r)
                          .filter((c) => {
                              const image = String(c.image ?? "");
                              const last = image.split("@")[0].split("/").pop() ?? "";
                              return !image.includes("@sha256:") && (!last.includes(":") || last.endsWith(":latest"));
                          })
                          .map((c) => ({ rule: "no-latest-images", urn: r.urn, message: `${r.inputs.metadata?.name}/${c.name} runs ${c.image} without a version` })),
                  ),
    },
    {
        name: "database-volumes-retained-in-prod",
        description: "In prod, database volumes come from a StorageClass with reclaimPolicy Retain.",
        check: (resources, ctx) => {
            if (ctx.environment !== "prod") return [];
            const retained = new Set(resources.filter((r) => r.inputs.kind === "StorageClass" && r.inputs.reclaimPolicy === "Retain").map((r) => r.inputs.metadata?.name));
            return resources.filter(isDatabase).flatMap((r) => {
                const classes = r.inputs.kind === "StatefulSet" ? (r.inputs.spec?.volumeClaimTemplates ?? []).map((t: any) => t.spec?.storageClassName) : [r.inputs.values?.pxc?.persistence?.storageClass];
                return classes.filter((c: string) => !retained.has(c)).map((c: string) => ({ rule: "database-volumes-retained-in-prod", urn: r.urn, message: `${r.name} stores data in class ${c}, which does not retain volumes` }));
            });
        },
    },
    {
        name: "database-protected-in-prod",
        description: "In prod, the database's resources are protected against deletion.",
        check: (resources, ctx) =>
            ctx.environment !== "prod" ? [] : resources.filter((r) => isDatabase(r) && !r.protect).map((r) => ({ rule: "database-protected-in-prod", urn: r.urn, message: `${r.name} is not protected` })),
    },
];

export function checkInvariants(resources: readonly ResourceView[], ctx: InvariantContext): Violation[] {
    return INVARIANTS.flatMap((i) => i.check(resources, ctx));
}
