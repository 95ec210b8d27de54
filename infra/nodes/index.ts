/**
 * The node layer: one pool component per configured pool, all yielding `ClusterNode`s. Shared
 * per-provider networking (Hetzner network and firewall, AWS VPC) is created once, and only when
 * a pool of that provider exists.
 */
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { AwsPoolSettings, Pool, Settings } from "../config";
import type { NodeAccess } from "./access";
import { AwsNetwork, AwsPool } from "./aws";
import { AwsAutoscalingPool } from "./aws-autoscaling";
import { HetznerNetwork, HetznerPool } from "./hetzner";
import { type MeshPeer, type MeshSite, peersSeenFrom, renderWireguardConfig, type SitedPeer, unreachablePairs, wireguardPublicKey } from "./mesh";
import { type OnpremPool, onpremPool } from "./onprem";
import type { ClusterNode } from "./types";

export * from "./types";
export { AwsNetwork, AwsPool } from "./aws";
export { AwsAutoscalingPool } from "./aws-autoscaling";
export { HetznerNetwork, HetznerPool } from "./hetzner";
export { type OnpremPool, StaticPool, VmwarePool } from "./onprem";

export type MachinePool = HetznerPool | AwsPool | OnpremPool;

export interface NodeLayer {
    /** Every node with a known address, control planes first in config order. */
    readonly nodes: ClusterNode[];
    /** The pools of fixed machines, in config order. */
    readonly pools: MachinePool[];
    readonly hetzner?: HetznerNetwork;
    readonly aws?: AwsNetwork;
}

export interface MeshOptions {
    readonly port: number;
    /** Every node's mesh address, by name (infra/config `meshAddresses`). */
    readonly addresses: ReadonlyMap<string, string>;
    /** Peers outside this stack (a burst stack's base cluster). */
    readonly extraPeers: pulumi.Input<MeshPeer[]>;
}

export interface NodeLayerArgs {
    readonly clusterName: string;
    readonly environment: string;
    /** Every pool of the stack; auto scaling groups are left to `createAutoscalingPools`, after the cluster. */
    readonly pools: readonly Pool[];
    readonly access: NodeAccess;
    /** OpenSSH public key installed on cloud machines, and the sources allowed to reach SSH and the API. */
    readonly admin: { readonly publicKey: string; readonly adminCidrs: readonly string[] };
    readonly hetzner: Settings["hetzner"];
    readonly aws: Settings["aws"];
    /** `protect` the control planes' machines (prod). */
    readonly protectControlPlanes: boolean;
    readonly mesh?: MeshOptions;
}

/** Every node of this stack as a mesh peer (what the stack exports for other stacks). */
export function meshPeers(nodes: readonly ClusterNode[]): pulumi.Output<MeshPeer[]> {
    return pulumi.all(nodes.filter((n) => n.mesh).map((n) => meshPeer(n.name, n.mesh!.address, n.mesh!.publicKey, n.mesh!.endpoint)));
}

function meshPeer(name: string, address: string, publicKey: pulumi.Output<string>, endpoint?: pulumi.Output<string>): pulumi.Output<MeshPeer> {
    return pulumi.all([publicKey, endpoint]).apply(([key, ep]) => ({ name, address, publicKey: key, ...(ep ? { endpoint: ep } : {}) }));
}

/** The mesh site of a node: its provider's private network, or the on-prem LAN. */
export function meshSite(provider: ClusterNode["provider"]): MeshSite {
    return provider === "vmware" || provider === "static" ? "onprem" : provider;
}

/**
 * Each pool's nodes with their mesh address and key. Every
 * node sees its same-site peers at their site address and the others at their public one; nodes
 * behind NAT (on-prem) have no public endpoint: they reach out to the others, with keepalives.
 */
function withMesh(pools: readonly MachinePool[], mesh: MeshOptions): ClusterNode[] {
    const members = pools.flatMap((pool) =>
        pool.nodes.map((node) => {
            const key = new random.RandomBytes(`${node.name}-wireguard-key`, { length: 32 }, { parent: pool, additionalSecretOutputs: ["base64", "hex"] });
            const site = meshSite(node.provider);
            return {
                node,
                site,
                address: mesh.addresses.get(node.name)!,
                privateKey: pulumi.secret(key.base64),
                publicKey: key.base64.apply(wireguardPublicKey),
                siteEndpoint: pulumi.interpolate`${node.privateAddress}:${mesh.port}`,
                publicEndpoint: site === "onprem" ? undefined : pulumi.interpolate`${node.publicAddress}:${mesh.port}`,
            };
        }),
    );
    const unreachable = unreachablePairs(members.map((m) => ({ ...m, name: m.node.name, publicKey: "", siteEndpoint: "", publicEndpoint: m.publicEndpoint ? "x" : undefined })));
    if (unreachable.length) throw new Error(`mesh peers that can never handshake (both behind NAT at different sites): ${unreachable.map((p) => p.join(" and ")).join(", ")}`);
    const sited = pulumi.all(
        members.map((m) =>
            pulumi.all([m.publicKey, m.siteEndpoint, m.publicEndpoint]).apply(([publicKey, siteEndpoint, publicEndpoint]): SitedPeer => ({
                name: m.node.name,
                address: m.address,
                publicKey,
                site: m.site,
                siteEndpoint,
                ...(publicEndpoint ? { publicEndpoint } : {}),
            })),
        ),
    );
    return members.map((m) => ({
        ...m.node,
        privateAddress: pulumi.output(m.address),
        mesh: {
            address: m.address,
            publicKey: m.publicKey,
            endpoint: m.publicEndpoint,
            config: pulumi.secret(
                pulumi.all([m.privateKey, sited, mesh.extraPeers]).apply(([privateKey, all, extra]) =>
                    renderWireguardConfig({ address: m.address, privateKey, port: mesh.port, behindNat: m.site === "onprem" }, [...peersSeenFrom({ name: m.node.name, site: m.site }, all), ...extra]),
                ),
            ),
        },
    }));
}

function isAutoscaling(pool: Pool): pool is AwsPoolSettings & { autoscaling: NonNullable<AwsPoolSettings["autoscaling"]> } {
    return pool.provider === "aws" && pool.autoscaling !== undefined;
}

/** The fixed machines and the networks they sit on: what exists before the cluster does. */
export function createNodes(args: NodeLayerArgs): NodeLayer {
    const base = { clusterName: args.clusterName, environment: args.environment, ...args.admin, meshPort: args.mesh?.port };
    const firstHetzner = args.pools.find((p) => p.provider === "hetzner");
    const hetzner = firstHetzner?.provider === "hetzner" ? new HetznerNetwork(`${args.clusterName}-hetzner`, { ...base, ...args.hetzner, location: firstHetzner.location }) : undefined;
    const aws = args.pools.some((p) => p.provider === "aws") ? new AwsNetwork(`${args.clusterName}-aws`, { ...base, ...args.aws }) : undefined;

    const placed = args.pools.flatMap((pool) => {
        if (isAutoscaling(pool)) return [];
        const name = `${args.clusterName}-${pool.name}`;
        const access = args.access;
        switch (pool.provider) {
            case "hetzner":
                return [new HetznerPool(name, { clusterName: args.clusterName, environment: args.environment, pool, network: hetzner!, access, protectControlPlanes: args.protectControlPlanes })];
            case "aws":
                return [new AwsPool(name, { clusterName: args.clusterName, pool, network: aws!, access, protectControlPlanes: args.protectControlPlanes })];
            case "vmware":
            case "static":
                return [onpremPool(name, { pool, access })];
        }
    });
    const nodes = args.mesh ? withMesh(placed, args.mesh) : placed.flatMap((p) => p.nodes);
    return { nodes: [...nodes.filter((n) => n.role === "control-plane"), ...nodes.filter((n) => n.role === "worker")], pools: placed, hetzner, aws };
}

/**
 * The auto scaling groups of the stack: workers that join by themselves, so they are built once the
 * cluster (or the base cluster of a burst stack) exists, each from its own first-boot script.
 */
export function createAutoscalingPools(
    args: Pick<NodeLayerArgs, "clusterName" | "pools">,
    network: AwsNetwork | undefined,
    firstBootScript: (pool: AwsPoolSettings) => pulumi.Input<string>,
): AwsAutoscalingPool[] {
    return args.pools
        .filter(isAutoscaling)
        .map((pool) => new AwsAutoscalingPool(`${args.clusterName}-${pool.name}`, { clusterName: args.clusterName, pool, network: network!, firstBootScript: firstBootScript(pool) }));
}
