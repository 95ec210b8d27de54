/** A whole cluster: nodes, kubeadm bootstrap, platform add-ons and apps. */
import type { StackConfig } from "../infra/config";

export async function clusterStack(cfg: StackConfig): Promise<Record<string, unknown>> {
    return { clusterName: cfg.clusterName, environment: cfg.environment, mode: cfg.mode };
}
