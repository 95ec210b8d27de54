/** A whole cluster: nodes, kubeadm bootstrap, platform add-ons and apps. */
import type { StackConfig } from "../infra/config";
import { createNodes } from "../infra/nodes";

export async function clusterStack(cfg: StackConfig): Promise<Record<string, unknown>> {
    const { nodes } = createNodes(cfg);
    return {
        clusterName: cfg.clusterName,
        environment: cfg.environment,
        mode: cfg.mode,
        nodes: nodes.map((n) => ({ name: n.name, role: n.role, provider: n.provider, pool: n.pool, publicAddress: n.publicAddress, privateAddress: n.privateAddress })),
    };
}
