/** The node layer's arguments from the stack config: the one place the layer reads it. */
import { meshAddresses, type StackConfig } from "../infra/config";
import type { MeshPeer } from "../infra/nodes/mesh";
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
        protectControlPlanes: cfg.environment === "prod",
        mesh,
    };
}

/** The mesh of this stack's nodes: addresses from `meshAddresses` (blocks from `offset`), and the peers of other stacks. */
export function meshOptions(cfg: StackConfig, mesh: { cidr: string; port: number }, offset: number, extraPeers: readonly MeshPeer[]): MeshOptions {
    const addresses = new Map(meshAddresses(cfg.clusterName, cfg.pools, mesh.cidr, offset).map((a) => [a.name, a.address]));
    return { port: mesh.port, addresses, extraPeers: [...extraPeers] };
}
