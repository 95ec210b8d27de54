/**
 * The node layer: one pool component per configured pool, all yielding `ClusterNode`s. Shared
 * per-provider networking (Hetzner network and firewall, AWS VPC) is created once, and only when
 * a pool of that provider exists.
 */
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { type AwsPoolSettings, platformChoices, type StackConfig } from "../config";
import { nodeAccess } from "./access";
import { AwsNetwork, AwsPool } from "./aws";
import { HetznerNetwork, HetznerPool } from "./hetzner";
import { meshAddress, type MeshPeer, renderWireguardConfig, wireguardPublicKey } from "./mesh";
import { OnpremPool } from "./onprem";
import type { ClusterNode } from "./types";

export * from "./types";
export { AwsNetwork, AwsPool } from "./aws";
export { HetznerNetwork, HetznerPool } from "./hetzner";
export { OnpremPool } from "./onprem";

export interface NodeLayer {
    /** Every node with a known address, control planes first in config order. */
    readonly nodes: ClusterNode[];
    readonly pools: (HetznerPool | AwsPool | OnpremPool)[];
    readonly hetzner?: HetznerNetwork;
    readonly aws?: AwsNetwork;
}

export interface MeshOptions {
    readonly cidr: string;
    readonly port: number;
    /** Pools get mesh blocks from this index (0 for a cluster, 128 for burst stacks). */
    readonly poolOffset: number;
    /** Peers outside this stack (a burst stack's base cluster). */
    readonly extraPeers: pulumi.Input<MeshPeer[]>;
}

export interface NodeLayerOptions {
    /** First-boot join script of an auto scaling group pool's workers (from the bootstrap). */
    readonly joinScript?: (pool: AwsPoolSettings) => pulumi.Input<string>;
    readonly mesh?: MeshOptions;
}

/** The mesh of a cluster stack, from its config. */
export function clusterMesh(cfg: StackConfig): MeshOptions | undefined {
    return cfg.mesh.enabled ? { cidr: cfg.mesh.cidr, port: cfg.mesh.port, poolOffset: 0, extraPeers: [] } : undefined;
}

/** Every node of this stack as a mesh peer (what the stack exports for other stacks). */
export function meshPeers(nodes: readonly ClusterNode[]): pulumi.Output<MeshPeer[]> {
    return pulumi.all(nodes.filter((n) => n.mesh).map((n) => meshPeer(n.name, n.mesh!.address, n.mesh!.publicKey, n.mesh!.endpoint)));
}

function meshPeer(name: string, address: string, publicKey: pulumi.Output<string>, endpoint?: pulumi.Output<string>): pulumi.Output<MeshPeer> {
    return pulumi.all([publicKey, endpoint]).apply(([key, ep]) => ({ name, address, publicKey: key, ...(ep ? { endpoint: ep } : {}) }));
}

function withMesh(pools: (HetznerPool | AwsPool | OnpremPool)[], mesh: MeshOptions): ClusterNode[] {
    const members = pools.flatMap((pool, p) =>
        pool.nodes.map((node, n) => {
            const key = new random.RandomBytes(`${node.name}-wireguard-key`, { length: 32 }, { parent: pool, additionalSecretOutputs: ["base64", "hex"] });
            const onprem = node.provider === "vmware" || node.provider === "static";
            return {
                node,
                address: meshAddress(mesh.cidr, mesh.poolOffset + p, n),
                privateKey: pulumi.secret(key.base64),
                publicKey: key.base64.apply(wireguardPublicKey),
                // On-prem nodes sit behind NAT: peers cannot reach them, they reach out (with keepalives).
                endpoint: onprem ? undefined : pulumi.interpolate`${node.publicAddress}:${mesh.port}`,
                behindNat: onprem,
            };
        }),
    );
    const peers = pulumi.all([
        pulumi.all(members.map((m) => meshPeer(m.node.name, m.address, m.publicKey, m.endpoint))),
        mesh.extraPeers,
    ]);
    return members.map((m) => ({
        ...m.node,
        privateAddress: pulumi.output(m.address),
        mesh: {
            address: m.address,
            publicKey: m.publicKey,
            endpoint: m.endpoint,
            config: pulumi.secret(
                pulumi.all([m.privateKey, peers]).apply(([privateKey, [own, extra]]) =>
                    renderWireguardConfig({ address: m.address, privateKey, port: mesh.port, behindNat: m.behindNat }, [...own.filter((x) => x.name !== m.node.name), ...extra]),
                ),
            ),
        },
    }));
}

export function createNodes(cfg: StackConfig, opts: NodeLayerOptions = {}): NodeLayer {
    const access = nodeAccess(cfg);
    const base = { clusterName: cfg.clusterName, environment: cfg.environment };
    const admin = { publicKey: cfg.ssh.publicKey ?? "", adminCidrs: cfg.ssh.adminCidrs };
    const firstHetzner = cfg.pools.find((p) => p.provider === "hetzner");
    const hetzner =
        firstHetzner?.provider === "hetzner"
            ? new HetznerNetwork(`${cfg.clusterName}-hetzner`, { ...base, ...admin, ...cfg.hetzner, location: firstHetzner.location, meshPort: opts.mesh?.port })
            : undefined;
    const aws = cfg.pools.some((p) => p.provider === "aws")
        ? new AwsNetwork(`${cfg.clusterName}-aws`, { ...base, ...admin, ...cfg.aws, ebsCsi: platformChoices(cfg).cloudIntegration === "aws", meshPort: opts.mesh?.port })
        : undefined;

    const pools = cfg.pools.map((pool) => {
        const name = `${cfg.clusterName}-${pool.name}`;
        switch (pool.provider) {
            case "hetzner":
                return new HetznerPool(name, { ...base, pool, network: hetzner!, access });
            case "aws":
                return new AwsPool(name, { clusterName: cfg.clusterName, pool, network: aws!, access, joinScript: opts.joinScript?.(pool) });
            case "vmware":
            case "static":
                return new OnpremPool(name, { pool, access });
        }
    });
    const nodes = opts.mesh ? withMesh(pools, opts.mesh) : pools.flatMap((p) => p.nodes);
    return { nodes: [...nodes.filter((n) => n.role === "control-plane"), ...nodes.filter((n) => n.role === "worker")], pools, hetzner, aws };
}
