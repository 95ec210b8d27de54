/** The node layer's arguments from the stack config: the one place the layer reads it. */
import type { StackConfig } from "../infra/config";
import type { MeshOptions, NodeLayerArgs } from "../infra/nodes";
import { nodeAccess } from "../infra/nodes/access";

export function nodeLayerArgs(cfg: StackConfig, mesh: MeshOptions | undefined): NodeLayerArgs {
    return {
        clusterName: cfg.clusterName,
        environment: cfg.environment,
        pools: cfg.pools,
        access: nodeAccess(cfg.ssh, cfg.secrets.sshPrivateKey),
        admin: { publicKey: cfg.ssh.publicKey ?? "", adminCidrs: cfg.ssh.adminCidrs },
        hetzner: cfg.hetzner,
        aws: cfg.aws,
        ebsCsi: cfg.choices.cloudIntegration === "aws",
        protectControlPlanes: cfg.environment === "prod",
        mesh,
    };
}
