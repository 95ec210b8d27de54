/**
 * The platform choices that follow from the rest of the config when the stack file does not
 * make them: which cloud integration, how ingress traffic arrives, which volume provisioner.
 * One function, used by validation and by the platform layer alike.
 */
import type { Settings } from "./schema";

/** The node ports the ingress controller listens on when something outside the cluster feeds it (`nodePort` exposure, the AWS network load balancer). */
export const INGRESS_NODE_PORTS = { http: 30080, https: 30443 } as const;

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
}

export function nodeClouds(s: Settings): Set<string> {
    return new Set(s.pools.map((p) => (p.provider === "static" || p.provider === "vmware" ? "onprem" : p.provider)));
}

export function platformChoices(s: Settings): PlatformChoices {
    const clouds = nodeClouds(s);
    const only = clouds.size === 1 ? [...clouds][0] : undefined;
    const cloudIntegration: CloudIntegration =
        s.platform.cloudIntegration ?? (s.mode === "cluster" && (only === "hetzner" || only === "aws") ? only : "none");
    const exposure: Exposure = s.platform.ingress.exposure ?? (cloudIntegration === "none" ? "nodePort" : "loadBalancer");
    const provisioner: Provisioner =
        s.platform.storage.provisioner ?? (cloudIntegration === "hetzner" ? "hcloud-csi" : cloudIntegration === "aws" ? "ebs-csi" : "local-path");
    const classes = s.platform.storage.classes;
    const fallback = s.environment === "prod" ? (classes.find((c) => c.reclaimPolicy === "Retain")?.name ?? "") : (classes.find((c) => c.default)?.name ?? "");
    return {
        cloudIntegration,
        exposure,
        provisioner,
        databaseClass: s.platform.storage.databaseClass ?? fallback,
        kubeletInsecureTls: s.mode === "apps-only" && s.environment !== "prod",
    };
}
