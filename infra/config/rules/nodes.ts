/** Rules on the pools: what each mode allows, the control planes' quorum and site, unique names, provider limits. */
import { controlPlaneCount, nodeNames } from "../names";
import { HETZNER_LOCATIONS, HETZNER_SERVER_TYPE, type OnpremPoolSettings, type Settings } from "../schema";
import { infraKey as P, isOnPrem, type Report, siteOf } from "./common";

/** EC2 Mac families (mac1, mac2, mac2-m2pro, mac-m4...): macOS only. */
export function isMacInstanceType(instanceType: string): boolean {
    return /^mac\d*(-|$)/.test(instanceType.split(".")[0]);
}

/** What each mode needs and forbids. */
export function modeProblems(s: Settings, add: Report): void {
    const hasNodes = s.pools.length > 0;
    if (s.mode === "cluster" && !s.kubernetes) add(P("kubernetes"), "is required when mode is cluster");
    if (s.mode === "cluster") {
        if (!hasNodes) add(P("pools"), "a cluster needs at least one pool with role control-plane");
        else if (!s.pools.some((p) => p.role === "control-plane"))
            add(P("pools"), "no pool has role control-plane: a worker-only cluster cannot start (use mode burst to add workers to a running cluster)");
        if (s.burst) add(P("burst"), "is only allowed when mode is burst");
    }
    if (s.mode === "burst") {
        if (!s.burst) add(P("burst"), "is required when mode is burst (burst.baseStack names the running cluster's stack)");
        if (!hasNodes) add(P("pools"), "a burst stack needs at least one worker pool");
        if (s.apps) add(P("apps"), "is not used by a burst stack: apps run on the base cluster (set apps.tolerateBurst there)");
        s.pools.forEach((p, i) => {
            if (p.role !== "worker") add(P("pools", i, "role"), "must be worker in a burst stack: burst pools join a running cluster's control plane");
            if (p.provider !== "hetzner" && p.provider !== "aws")
                add(P("pools", i, "provider"), "must be hetzner or aws in a burst stack (cloud workers)");
            if (p.provider === "aws" && p.autoscaling)
                add(
                    P("pools", i, "autoscaling"),
                    "is not for a burst stack: burst workers reach the base over its mesh, which an auto scaling group's instances cannot join (their keys are not known in advance); use count",
                );
        });
    }
    if (s.mode === "apps-only" && hasNodes) add(P("pools"), "must be empty when mode is apps-only (the cluster already exists)");
    if (s.mode !== "apps-only" && s.existingCluster) add(P("existingCluster"), "is only allowed when mode is apps-only");
}

/** etcd's own advice: more than 7 members slows every write and adds no useful tolerance. */
const MAX_CONTROL_PLANES = 7;

/**
 * Label keys a kubelet may set on its own Node through --node-labels: anything outside the
 * kubernetes.io and k8s.io namespaces, these well-known keys, and the [*.]kubelet.kubernetes.io and
 * [*.]node.kubernetes.io namespaces. The kubelet refuses to start with any other kubernetes.io or
 * k8s.io key (k8s.io/kubelet/pkg/apis/well_known_labels.go, IsKubeletLabel). The keys the kubelet
 * sets itself (hostname, os, arch) are left to it.
 */
const KUBELET_SETTABLE_LABELS = new Set(["topology.kubernetes.io/zone", "topology.kubernetes.io/region", "node.kubernetes.io/instance-type"]);
const KUBELET_LABEL_NAMESPACES = ["kubelet.kubernetes.io", "node.kubernetes.io"];
/** Keys the kubelet sets on its own Node (k8s.io/kubelet well_known_labels.go kubeletLabels): not the stack file's to override. */
const KUBELET_OWN_LABELS = new Set([
    "kubernetes.io/hostname",
    "kubernetes.io/os",
    "kubernetes.io/arch",
    "beta.kubernetes.io/os",
    "beta.kubernetes.io/arch",
    "beta.kubernetes.io/instance-type",
    "failure-domain.beta.kubernetes.io/zone",
    "failure-domain.beta.kubernetes.io/region",
]);
export function kubeletRefusesLabel(key: string): boolean {
    const ns = key.includes("/") ? key.slice(0, key.indexOf("/")) : "";
    const under = (domain: string) => ns === domain || ns.endsWith(`.${domain}`);
    if (!under("kubernetes.io") && !under("k8s.io")) return false;
    return !KUBELET_SETTABLE_LABELS.has(key) && !KUBELET_LABEL_NAMESPACES.some(under);
}

/** Node names are host names: one DNS label of at most 63 characters. */
const MAX_NODE_NAME = 63;
/** An auto scaling group's node is `<cluster>-<pool>-<instance id>`; EC2 ids are `i-` and 17 hex digits. */
const EC2_INSTANCE_ID_LENGTH = 19;

/** What the kubelet and the host accept of a pool's labels, taints and node names. */
export function poolNodeProblems(s: Settings, clusterName: string, add: Report): void {
    s.pools.forEach((p, i) => {
        for (const key of Object.keys(p.labels)) {
            if (KUBELET_OWN_LABELS.has(key)) add(P("pools", i, "labels"), `${key}: the kubelet sets this label itself; leave it out`);
            else if (kubeletRefusesLabel(key))
                add(
                    P("pools", i, "labels"),
                    `${key}: the kubelet refuses to set kubernetes.io and k8s.io labels other than ${[...KUBELET_SETTABLE_LABELS].join(", ")} and the node.kubernetes.io/ and kubelet.kubernetes.io/ prefixes (node-role.kubernetes.io/* roles are set by kubeadm on control planes); use a key of your own domain, such as node.acme.com/role`,
                );
        }
        if (p.provider === "aws" && p.autoscaling) {
            const longest = clusterName.length + 1 + p.name.length + 1 + EC2_INSTANCE_ID_LENGTH;
            if (longest > MAX_NODE_NAME)
                add(
                    P("pools", i, "name"),
                    `makes node names of ${longest} characters (<cluster>-${p.name}-<instance id>, the cluster name ${clusterName.length} long): a node name is a host name of at most ${MAX_NODE_NAME}; shorten the pool or cluster name by ${longest - MAX_NODE_NAME}`,
                );
        }
    });
}

/** The control planes form one etcd cluster: an odd number of members, behind one endpoint at one site. */
export function controlPlaneProblems(s: Settings, add: Report): void {
    const cps = controlPlaneCount(s.pools);
    const first = s.pools.findIndex((p) => p.role === "control-plane");
    if (s.mode === "cluster" && cps > 1 && (cps % 2 === 0 || cps > MAX_CONTROL_PLANES)) {
        add(
            P("pools", first, isOnPrem(s.pools[first]) ? "nodes" : "count"),
            cps % 2 === 0
                ? `the cluster has ${cps} control-plane nodes: etcd needs an odd number (1, 3, 5, 7) to keep quorum`
                : `the cluster has ${cps} control-plane nodes: use 1, 3, 5 or 7 (more etcd members only slow every write; add workers instead)`,
        );
    }
    const cpSites = [...new Set(s.pools.filter((p) => p.role === "control-plane").map(siteOf))];
    if (cpSites.length > 1) {
        const i = s.pools.findIndex((p) => p.role === "control-plane" && siteOf(p) !== cpSites[0]);
        add(P("pools", i, "provider"), `control planes must all live at one site; they are spread over ${cpSites.join(" and ")} (workers may be anywhere)`);
    }
}

/** Where each node name and address was first seen, as a key path for the messages. */
interface Seen {
    readonly names: Map<string, string>;
    readonly addresses: Map<string, string>;
}

/** Pool names, node names and node addresses are unique across pools. */
export function uniquenessProblems(s: Settings, clusterName: string, add: Report): void {
    const poolNames = new Map<string, number>();
    const seen: Seen = { names: new Map(), addresses: new Map() };
    s.pools.forEach((p, i) => {
        const first = poolNames.get(p.name);
        if (first !== undefined) {
            add(P("pools", i, "name"), `duplicate pool name "${p.name}" (also infra:pools[${first}].name)`);
            return;
        }
        poolNames.set(p.name, i);
        if (isOnPrem(p)) {
            onPremNodeProblems(p, i, seen, add);
            return;
        }
        for (const n of nodeNames(clusterName, p)) {
            const other = seen.names.get(n);
            if (other) add(P("pools", i, "name"), `node name "${n}" collides with ${other}`);
            else seen.names.set(n, P("pools", i, "name"));
        }
    });
}

function onPremNodeProblems(p: OnpremPoolSettings, i: number, seen: Seen, add: Report): void {
    p.nodes.forEach((n, j) => {
        const here = P("pools", i, "nodes", j);
        const other = seen.names.get(n.name);
        if (other) add(`${here}.name`, `duplicate node name "${n.name}" (also ${other})`);
        else seen.names.set(n.name, `${here}.name`);
        for (const [field, value] of [["address", n.address], ["privateAddress", n.privateAddress]] as const) {
            // A private address equal to the public one is the same machine, not a duplicate.
            if (value === undefined || (field === "privateAddress" && value === n.address)) continue;
            const prev = seen.addresses.get(value);
            if (prev) add(`${here}.${field}`, `duplicate address ${value} (also ${prev})`);
            else seen.addresses.set(value, `${here}.${field}`);
        }
        if (!n.user) add(`${here}.user`, "is required: the SSH user of this machine (e.g. ubuntu)");
    });
}

/** What each cloud offers: Hetzner's server families per location, AWS's fixed or auto scaled pools. */
export function providerProblems(s: Settings, add: Report): void {
    s.pools.forEach((p, i) => {
        if (p.provider === "hetzner") {
            const family = HETZNER_SERVER_TYPE.exec(p.serverType)?.[1] ?? "";
            const offered = HETZNER_LOCATIONS[p.location].families as readonly string[];
            if (!offered.includes(family))
                add(P("pools", i, "serverType"), `${p.serverType} is not offered in ${p.location}; there use one of the families ${offered.join(", ")}`);
        }
        if (p.provider === "aws") {
            if (isMacInstanceType(p.instanceType))
                add(P("pools", i, "instanceType"), `${p.instanceType} is an EC2 Mac instance: it runs only macOS, on a dedicated host, and there is no Ubuntu AMI for it (use e.g. m7i.large, or m7g.large for arm64)`);
            if ((p.count === undefined) === (p.autoscaling === undefined))
                add(P("pools", i), "set exactly one of count (fixed instances) or autoscaling (auto scaling group)");
            if (p.autoscaling) {
                const { min, desired, max } = p.autoscaling;
                if (p.role !== "worker") add(P("pools", i, "autoscaling"), "is for worker pools only: control planes need fixed instances");
                if (min > max) add(P("pools", i, "autoscaling", "min"), `must not exceed max (min ${min} > max ${max})`);
                if (desired < min || desired > max) add(P("pools", i, "autoscaling", "desired"), `must be between min (${min}) and max (${max})`);
            }
        }
    });
}
