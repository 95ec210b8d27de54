/** Apps-only: platform and apps onto an existing cluster (minikube, kind, a managed cluster). */
import * as k8s from "@pulumi/kubernetes";
import type { ClusterHandle } from "../infra/bootstrap/types";
import type { StackConfig } from "../infra/config";

export function existingCluster(cfg: StackConfig): ClusterHandle {
    const provider = new k8s.Provider(`${cfg.clusterName}-existing`, {
        kubeconfig: cfg.secrets.kubeconfig,
        context: cfg.existingCluster?.context,
    });
    return { kubeconfig: cfg.secrets.kubeconfig, provider };
}

export async function appsOnlyStack(cfg: StackConfig): Promise<Record<string, unknown>> {
    existingCluster(cfg);
    return { clusterName: cfg.clusterName, environment: cfg.environment, mode: cfg.mode };
}
