/** Apps-only: platform and apps onto an existing cluster (minikube, kind, a managed cluster). */
import * as k8s from "@pulumi/kubernetes";
import type { ClusterHandle } from "../infra/bootstrap/types";
import type { StackConfig } from "../infra/config";
import { createApps } from "./apps";
import type { StackOutputs } from "./outputs";
import { platformFor } from "./platform";

/** The cluster behind `infra:kubeconfig`: it already runs, so nothing needs to be ready first. */
export function existingCluster(cfg: StackConfig): ClusterHandle {
    const provider = new k8s.Provider(`${cfg.clusterName}-existing`, { kubeconfig: cfg.secrets.kubeconfig, context: cfg.existingCluster?.context });
    return { provider, ready: [], kubeconfig: cfg.secrets.kubeconfig };
}

export interface AppsOnlyStackOutputs {
    readonly clusterName: string;
    readonly environment: string;
    readonly mode: string;
    readonly certificateIssuer?: string;
    readonly appUrl?: string;
}

export async function appsOnlyStack(cfg: StackConfig): Promise<StackOutputs<AppsOnlyStackOutputs>> {
    const cluster = existingCluster(cfg);
    const platform = platformFor(cfg, cluster);
    const app = createApps(cfg, cluster, platform);
    return { clusterName: cfg.clusterName, environment: cfg.environment, mode: cfg.mode, certificateIssuer: platform.issuer, ...(app ? { appUrl: app.url } : {}) };
}
