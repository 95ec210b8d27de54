/**
 * Day 2, as pure functions: what the last completed `pulumi up` left (the stack's own `lifecycle`
 * output, read back through a StackReference to the stack itself), the rules a change must keep
 * (kubeadm upgrades one minor at a time, never down; the API endpoint never moves; the first
 * control plane stays), and what the next up will do about it (a rolling upgrade, a certificate
 * renewal, nodes that join, leave or are replaced), in words for previews and pull requests.
 */
import type { ConfigProblem } from "../config/errors";

/** The cluster a stack file describes. */
export interface Wanted {
    /** Every node runs it. */
    readonly kubernetesVersion: string;
    readonly containerdVersion: string;
    /** In order: the first one ran `kubeadm init`. */
    readonly controlPlanes: readonly string[];
    readonly workers: readonly string[];
    /** Where nodes reach the API server, as kubeadm's `controlPlaneEndpoint` was set (`apiEndpointKind`). */
    readonly apiEndpoint: string;
    /** Workers upgraded at a time (`infra:kubernetes.upgrade.workerBatch`). */
    readonly workerBatch: number;
}

/** What the last completed up left; the stack exports it (`lifecycle`) once every node reached it. */
export interface Lifecycle extends Wanted {
    /** When the control planes' certificates were last issued or renewed, and when they expire (ISO dates). */
    readonly certificates: { readonly renewed: string; readonly expires: string };
}

/** kubeadm's certificates (not the CAs) are valid one year. */
export const CERTIFICATE_DAYS = 365;
const DAY_MS = 86_400_000;

/**
 * The API endpoint as kubeadm's `controlPlaneEndpoint` holds it: the first control plane's own
 * address (one control plane, no endpoint configured), a virtual IP, a configured name, or the
 * program's load balancer. kubeadm cannot move it on a running cluster.
 */
export function apiEndpointKind(e: { readonly virtualIp?: string; readonly configured?: string; readonly controlPlanes: readonly string[] }): string {
    if (e.virtualIp) return `virtual-ip ${e.virtualIp}`;
    if (e.configured) return `name ${e.configured}`;
    if (e.controlPlanes.length === 1) return `node ${e.controlPlanes[0]}`;
    return "load-balancer";
}

function isLifecycle(v: unknown): v is Lifecycle {
    const l = v as Lifecycle;
    return (
        typeof v === "object" &&
        v !== null &&
        typeof l.kubernetesVersion === "string" &&
        typeof l.containerdVersion === "string" &&
        Array.isArray(l.controlPlanes) &&
        Array.isArray(l.workers) &&
        typeof l.apiEndpoint === "string" &&
        typeof l.certificates?.expires === "string"
    );
}

/**
 * The deployed lifecycle from the stack's last outputs: `lifecycle`, or for a stack last deployed
 * before it existed, what its `join` and `nodes` outputs say (certificates from `now`: unknown).
 * Undefined for a stack never deployed.
 */
export function deployedLifecycle(outputs: Readonly<Record<string, unknown>>, now: number): Lifecycle | undefined {
    if (isLifecycle(outputs.lifecycle)) return outputs.lifecycle;
    const join = outputs.join as { kubernetesVersion?: unknown; containerdVersion?: unknown; endpoint?: unknown } | undefined;
    const nodes = outputs.nodes as { name: string; role?: string }[] | undefined;
    if (typeof join?.kubernetesVersion !== "string" || typeof join.containerdVersion !== "string" || !Array.isArray(nodes)) return undefined;
    const controlPlanes = nodes.filter((n) => n.role === "control-plane").map((n) => n.name);
    return {
        kubernetesVersion: join.kubernetesVersion,
        containerdVersion: join.containerdVersion,
        controlPlanes,
        workers: nodes.filter((n) => n.role === "worker").map((n) => n.name),
        // Unknown before this output existed: nothing to compare with.
        apiEndpoint: "",
        // Not known then either; only the batch of the stack file being rolled out counts.
        workerBatch: 1,
        certificates: { renewed: "", expires: new Date(now + CERTIFICATE_DAYS * DAY_MS).toISOString() },
    };
}

const parse = (v: string) => v.split(".").map(Number) as [number, number, number];
/** Negative, zero or positive as a is older, the same or newer than b (`1.<minor>.<patch>`). */
export function compareVersions(a: string, b: string): number {
    const [x, y] = [parse(a), parse(b)];
    return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
}

/** What a change asks of the running cluster that kubeadm cannot do: exit 2 before anything is created. */
export function lifecycleProblems(deployed: Lifecycle | undefined, wanted: Wanted): ConfigProblem[] {
    if (!deployed) return [];
    const problems: ConfigProblem[] = [];
    const [from, to] = [deployed.kubernetesVersion, wanted.kubernetesVersion];
    const version = "infra:kubernetes.version";
    if (compareVersions(to, from) < 0) {
        problems.push({ path: version, message: `${to} is older than ${from}, which the cluster runs: kubeadm cannot downgrade a cluster (set ${from} or newer)` });
    } else if (parse(to)[1] > parse(from)[1] + 1) {
        const next = `1.${parse(from)[1] + 1}`;
        problems.push({
            path: version,
            message: `${to} skips a minor version: the cluster runs ${from}, and kubeadm upgrades one minor version at a time; set the newest ${next}.x first, run pulumi up, then ${to}`,
        });
    }
    if (compareVersions(wanted.containerdVersion, deployed.containerdVersion) < 0) {
        problems.push({ path: "infra:kubernetes.containerdVersion", message: `${wanted.containerdVersion} is older than ${deployed.containerdVersion}, which the nodes run: containerd is not downgraded (set ${deployed.containerdVersion} or newer)` });
    }
    const first = deployed.controlPlanes[0];
    if (first && wanted.controlPlanes[0] !== first) {
        problems.push({
            path: "infra:pools",
            message: `the first control plane ${first} ran kubeadm init and holds the cluster's configuration; it must stay the first control plane (${wanted.controlPlanes[0] ?? "none"} would be): keep its pool and node first`,
        });
    }
    if (deployed.apiEndpoint && deployed.apiEndpoint !== wanted.apiEndpoint) {
        const grow = deployed.apiEndpoint.startsWith("node ") && wanted.controlPlanes.length > 1;
        problems.push({
            path: "infra:kubernetes.apiEndpoint",
            message: grow
                ? `growing from ${deployed.controlPlanes.length} to ${wanted.controlPlanes.length} control planes needs an API endpoint in front of them, and this cluster was initialised with its first control plane's own address (${deployed.apiEndpoint}), which kubeadm cannot move (every certificate, kubeconfig and node names it): a cluster that will grow is built with infra:kubernetes.apiEndpoint (a DNS name) or infra:kubernetes.virtualIp from its first up; keep ${deployed.controlPlanes.length} control plane(s), or build a new cluster`
                : `the API endpoint would move from ${deployed.apiEndpoint} to ${wanted.apiEndpoint}: kubeadm cannot move a running cluster's endpoint (every certificate, kubeconfig and node names it); keep it, or build a new cluster`,
        });
    }
    return problems;
}

export interface RolloutPlan {
    /** A running cluster moves to another Kubernetes or containerd version: the rollout is serialised. */
    readonly upgrading: boolean;
    /** The certificates are within their renewal window (and no upgrade renews them). */
    readonly renewing: boolean;
    /** The certificates after this up. */
    readonly certificates: { readonly renewed: string; readonly expires: string };
}

/** What this up does about versions and certificates, from the deployed lifecycle and the clock. */
export function rolloutPlan(deployed: Lifecycle | undefined, wanted: Pick<Wanted, "kubernetesVersion" | "containerdVersion">, renewalDays: number, now: number): RolloutPlan {
    const fresh = { renewed: new Date(now).toISOString(), expires: new Date(now + CERTIFICATE_DAYS * DAY_MS).toISOString() };
    if (!deployed) return { upgrading: false, renewing: false, certificates: fresh };
    const versionChanges = deployed.kubernetesVersion !== wanted.kubernetesVersion;
    const upgrading = versionChanges || deployed.containerdVersion !== wanted.containerdVersion;
    const due = Date.parse(deployed.certificates.expires) - now < renewalDays * DAY_MS;
    // kubeadm upgrade apply/node renew the certificates (--certificate-renewal defaults to true).
    if (versionChanges) return { upgrading, renewing: false, certificates: fresh };
    if (due) return { upgrading, renewing: true, certificates: fresh };
    return { upgrading, renewing: false, certificates: deployed.certificates };
}

/** Minutes a step takes on a real node, for the rollout's estimate (README: "Upgrades and day-2"). */
export const MINUTES = { snapshot: 1, firstControlPlane: 6, controlPlane: 4, worker: 4, renewal: 1.5 } as const;

/** The modelled duration of a rolling upgrade: control planes one at a time, then workers in batches. */
export function rolloutMinutes(controlPlanes: number, workers: number, batch: number): number {
    if (controlPlanes === 0) return 0;
    return MINUTES.snapshot + MINUTES.firstControlPlane + (controlPlanes - 1) * MINUTES.controlPlane + Math.ceil(workers / Math.max(1, batch)) * MINUTES.worker;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
const pace = (n: number, batch: number) => (n <= 1 || batch <= 1 ? "one at a time" : `${Math.min(batch, n)} at a time`);

/**
 * The rollout in words, before the resource list of a plan diff: what the up after `before` will
 * do to the running cluster. Empty when it does nothing of the kind.
 */
export function describeRollout(before: Lifecycle | undefined, after: Lifecycle | undefined, batch: number): string[] {
    if (!before || !after) return [];
    const lines: string[] = [];
    const keptCps = after.controlPlanes.filter((n) => before.controlPlanes.includes(n));
    const keptWorkers = after.workers.filter((n) => before.workers.includes(n));
    const k8s = before.kubernetesVersion !== after.kubernetesVersion;
    const containerd = before.containerdVersion !== after.containerdVersion;
    if (k8s || containerd) {
        const what = [k8s ? `upgrade ${before.kubernetesVersion} -> ${after.kubernetesVersion}` : "", containerd ? `containerd ${before.containerdVersion} -> ${after.containerdVersion}` : ""].filter(Boolean).join(", ");
        const minutes = k8s
            ? rolloutMinutes(keptCps.length, keptWorkers.length, batch)
            : (keptCps.length + Math.ceil(keptWorkers.length / Math.max(1, batch))) * MINUTES.worker;
        lines.push(
            `${what}: ${k8s ? "snapshot etcd, " : ""}${plural(keptCps.length, "control plane")} one at a time, ${plural(keptWorkers.length, "worker")} ${pace(keptWorkers.length, batch)} (about ${Math.round(minutes)} min)`,
        );
        lines.push(`drains every node in turn (PodDisruptionBudgets respected): ${[...keptCps, ...keptWorkers].join(", ")}`);
    }
    const addedCps = after.controlPlanes.filter((n) => !before.controlPlanes.includes(n));
    const removedCps = before.controlPlanes.filter((n) => !after.controlPlanes.includes(n));
    const addedWorkers = after.workers.filter((n) => !before.workers.includes(n));
    const removedWorkers = before.workers.filter((n) => !after.workers.includes(n));
    if (addedCps.length) lines.push(`control planes join one at a time${k8s ? `, after the control plane runs ${after.kubernetesVersion}` : ""}: ${addedCps.join(", ")} (${before.controlPlanes.length} -> ${after.controlPlanes.length} etcd members)`);
    if (removedCps.length) lines.push(`control planes leave (drained, etcd member removed, then the machine): ${removedCps.join(", ")} (${before.controlPlanes.length} -> ${after.controlPlanes.length} etcd members)`);
    if (addedWorkers.length) lines.push(`workers join${k8s ? ` at ${after.kubernetesVersion}, after the control planes` : ""}: ${addedWorkers.join(", ")}`);
    if (removedWorkers.length) lines.push(`workers leave (drained, then the machine): ${removedWorkers.join(", ")}`);
    if (!k8s && before.certificates.expires !== after.certificates.expires) {
        lines.push(`renew the control planes' certificates (expiring ${before.certificates.expires.slice(0, 10)}), ${plural(after.controlPlanes.length, "control plane")} one at a time: valid until ${after.certificates.expires.slice(0, 10)}`);
    }
    return lines;
}
