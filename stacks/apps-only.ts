/** Apps-only: platform and apps onto an existing cluster (minikube, kind, a managed cluster). */
import * as k8s from "@pulumi/kubernetes";
import type { ClusterHandle } from "../infra/bootstrap/types";
import type { StackConfig } from "../infra/config";
import { createApps } from "./apps";
import { createPlatform } from "./platform";

export function existingCluster(cfg: StackConfig): ClusterHandle {
    const provider = new k8s.Provider(`${cfg.clusterName}-existing`, {
        kubeconfig: cfg.secrets.kubeconfig,
        context: cfg.existingCluster?.context,
    });
    return { kubeconfig: cfg.secrets.kubeconfig, provider };
}

export async function appsOnlyStack(cfg: StackConfig): Promise<Record<string, unknown>> {
    const cluster = existingCluster(cfg);
    const platform = createPlatform(cfg, cluster.provider, []);
    const app = createApps(cfg, cluster.provider, platform);
    return { clusterName: cfg.clusterName, environment: cfg.environment, mode: cfg.mode, certificateIssuer: platform.issuer, ...(app ? { appUrl: app.url } : {}) };
}
