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

/** The control planes form one etcd cluster: an odd number of members, behind one endpoint at one site. */
export function controlPlaneProblems(s: Settings, add: Report): void {
    const cps = controlPlaneCount(s.pools);
    const first = s.pools.findIndex((p) => p.role === "control-plane");
    if (s.mode === "cluster" && cps > 1 && cps % 2 === 0) {
        add(
            P("pools", first, isOnPrem(s.pools[first]) ? "nodes" : "count"),
            `the cluster has ${cps} control-plane nodes: etcd needs an odd number (1, 3, 5, 7) to keep quorum`,
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
