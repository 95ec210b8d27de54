/**
 * The platform choices that follow from the rest of the config when the stack file does not
 * make them: which cloud integration, how ingress traffic arrives, which volume provisioner.
 * One function, used by validation and by the platform layer alike.
 */
import type { Settings } from "./schema";

/**
 * Namespaces the platform installs into (the Calico operator also makes calico-system and
 * calico-apiserver), and Kubernetes' own: the application never goes into one of them, where its
 * Pod Security level and default-deny policy would land on system pods.
 */
export const PLATFORM_NAMESPACES = {
    ingress: "ingress",
    certManager: "cert-manager",
    calicoOperator: "tigera-operator",
    nfs: "nfs-provisioner",
    localPath: "local-path-storage",
    metallb: "metallb-system",
    kured: "kured",
} as const;
const SYSTEM_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease", "calico-system", "calico-apiserver"];

/** Why the application may not use this namespace, if it may not. */
export function reservedNamespace(ns: string): string | undefined {
    if (Object.values(PLATFORM_NAMESPACES).includes(ns as never)) return "the platform installs its add-ons there";
    if (SYSTEM_NAMESPACES.includes(ns)) return "it belongs to Kubernetes or the CNI";
    // Kubernetes reserves the kube- prefix for system namespaces.
    if (ns.startsWith("kube-")) return "the kube- prefix is reserved for Kubernetes' own namespaces";
    return undefined;
}

/** The node ports the ingress controller listens on when something outside the cluster feeds it (`nodePort` exposure, the AWS network load balancer). */
export const INGRESS_NODE_PORTS = { http: 30080, https: 30443 } as const;

/**
 * What a distribution's default cluster already runs, read from each one's source
 * (docs/real-world.md): an apps-only stack installs only what is missing. kind v0.32 ships
 * local-path-provisioner with the default class `standard`; minikube v1.38 its hostpath
 * provisioner with `standard`; k3s (and k3d) local-path as `local-path`, Traefik with the default
 * IngressClass `traefik` behind ServiceLB, and metrics-server.
 */
export const DISTRIBUTIONS = {
    kind: { storageClass: "standard", metricsServer: false, loadBalancer: false },
    minikube: { storageClass: "standard", metricsServer: false, loadBalancer: false },
    k3s: { storageClass: "local-path", ingressClass: "traefik", metricsServer: true, loadBalancer: true },
    other: { metricsServer: false, loadBalancer: false },
} as const satisfies Record<string, ClusterProvides>;
export const DISTRIBUTION_NAMES = ["kind", "minikube", "k3s", "other"] as const satisfies readonly (keyof typeof DISTRIBUTIONS)[];

/** What an existing cluster already runs: the platform uses it and never creates or takes over these. */
export interface ClusterProvides {
    /** The default StorageClass. */
    readonly storageClass?: string;
    /** An IngressClass whose controller runs. */
    readonly ingressClass?: string;
    readonly metricsServer: boolean;
    /** LoadBalancer Services get an address. */
    readonly loadBalancer: boolean;
}

/** The distribution's defaults with the stack file's `provides` over them; nothing for a cluster the stack builds. */
export function clusterProvides(s: Settings): ClusterProvides | undefined {
    if (s.mode !== "apps-only") return undefined;
    const e = s.existingCluster ?? { distribution: "other" as const, provides: {} };
    const base: ClusterProvides = DISTRIBUTIONS[e.distribution];
    const p = e.provides;
    return {
        storageClass: p.storageClass ?? base.storageClass,
        ingressClass: p.ingressClass ?? base.ingressClass,
        metricsServer: p.metricsServer ?? base.metricsServer,
        loadBalancer: p.loadBalancer ?? base.loadBalancer,
    };
}

export type CloudIntegration = "hetzner" | "aws" | "none";
export type Exposure = "loadBalancer" | "nodePort" | "hostNetwork";
export type Provisioner = "hcloud-csi" | "ebs-csi" | "nfs" | "local-path" | "none";

export interface PlatformChoices {
    readonly cloudIntegration: CloudIntegration;
    readonly exposure: Exposure;
    readonly provisioner: Provisioner;
    /** Class the database's volumes use. */
    readonly databaseClass: string;
    /** metrics-server skips kubelet certificate checks: only on clusters this program did not bootstrap. */
    readonly kubeletInsecureTls: boolean;
    /** The IngressClass apps use: the controller's the platform installs, or the one the cluster has. */
    readonly ingressClass: string;
    /** Install an ingress controller / metrics-server (not when the cluster has one; storage: `provisioner` none) / MetalLB (on-prem, `platform.loadBalancer`). */
    readonly install: { readonly ingress: boolean; readonly metricsServer: boolean; readonly loadBalancer: boolean };
    /** Something gives LoadBalancer Services an address (the Hetzner cloud controller; an existing cluster's). */
    readonly loadBalancer: boolean;
    /** What the existing cluster of an apps-only stack runs. */
    readonly provides?: ClusterProvides;
}

/** The IngressClass of the controllers this program installs (both serve it). */
export const INGRESS_CLASS = "nginx";

export function nodeClouds(s: Settings): Set<string> {
    return new Set(s.pools.map((p) => (p.provider === "static" || p.provider === "vmware" ? "onprem" : p.provider)));
}

export function platformChoices(s: Settings): PlatformChoices {
    const clouds = nodeClouds(s);
    const only = clouds.size === 1 ? [...clouds][0] : undefined;
    const cloudIntegration: CloudIntegration =
        s.platform.cloudIntegration ?? (s.mode === "cluster" && (only === "hetzner" || only === "aws") ? only : "none");
    // MetalLB, on-prem: only where no cloud integration brings load balancers (validation says so otherwise).
    const metallb = s.mode === "cluster" && cloudIntegration === "none" && s.platform.loadBalancer !== undefined;
    const exposure: Exposure = s.platform.ingress.exposure ?? (cloudIntegration === "none" && !metallb ? "nodePort" : "loadBalancer");
    const provides = clusterProvides(s);
    // On a cluster with a default class, volumes use it unless the stack file names a provisioner.
    const existingClass = s.platform.storage.provisioner === undefined ? provides?.storageClass : undefined;
    const provisioner: Provisioner =
        s.platform.storage.provisioner ?? (existingClass ? "none" : cloudIntegration === "hetzner" ? "hcloud-csi" : cloudIntegration === "aws" ? "ebs-csi" : "local-path");
    const classes = s.platform.storage.classes;
    const fallback = existingClass
        ? existingClass
        : s.environment === "prod"
          ? (classes.find((c) => c.reclaimPolicy === "Retain")?.name ?? "")
          : (classes.find((c) => c.default)?.name ?? "");
    const installIngress = s.platform.ingress.enabled && !provides?.ingressClass;
    return {
        cloudIntegration,
        exposure,
        provisioner,
        databaseClass: s.platform.storage.databaseClass ?? fallback,
        kubeletInsecureTls: s.mode === "apps-only" && s.environment !== "prod",
        ingressClass: provides?.ingressClass ?? INGRESS_CLASS,
        install: { ingress: installIngress, metricsServer: s.platform.metricsServer.enabled && !provides?.metricsServer, loadBalancer: metallb },
        loadBalancer: provides ? provides.loadBalancer : cloudIntegration === "hetzner" || metallb,
        ...(provides ? { provides } : {}),
    };
}
