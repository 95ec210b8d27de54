/**
 * The node layer: one pool component per configured pool, all yielding `ClusterNode`s. Shared
 * per-provider networking (Hetzner network and firewall, AWS VPC) is created once, and only when
 * a pool of that provider exists.
 */
import type * as pulumi from "@pulumi/pulumi";
import { platformChoices, type StackConfig } from "../config";
import { nodeAccess } from "./access";
import { AwsNetwork, AwsPool } from "./aws";
import { HetznerNetwork, HetznerPool } from "./hetzner";
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

export interface NodeLayerOptions {
    /** First-boot join script for auto scaling group workers (from the bootstrap). */
    readonly joinScript?: pulumi.Input<string>;
}

export function createNodes(cfg: StackConfig, opts: NodeLayerOptions = {}): NodeLayer {
    const access = nodeAccess(cfg);
    const base = { clusterName: cfg.clusterName, environment: cfg.environment };
    const admin = { publicKey: cfg.ssh.publicKey ?? "", adminCidrs: cfg.ssh.adminCidrs };
    const firstHetzner = cfg.pools.find((p) => p.provider === "hetzner");
    const hetzner =
        firstHetzner?.provider === "hetzner"
            ? new HetznerNetwork(`${cfg.clusterName}-hetzner`, { ...base, ...admin, ...cfg.hetzner, location: firstHetzner.location })
            : undefined;
    const aws = cfg.pools.some((p) => p.provider === "aws")
        ? new AwsNetwork(`${cfg.clusterName}-aws`, { ...base, ...admin, ...cfg.aws, ebsCsi: platformChoices(cfg).cloudIntegration === "aws" })
        : undefined;

    const pools = cfg.pools.map((pool) => {
        const name = `${cfg.clusterName}-${pool.name}`;
        switch (pool.provider) {
            case "hetzner":
                return new HetznerPool(name, { ...base, pool, network: hetzner!, access });
            case "aws":
                return new AwsPool(name, { clusterName: cfg.clusterName, pool, network: aws!, access, joinScript: opts.joinScript });
            case "vmware":
            case "static":
                return new OnpremPool(name, { pool, access });
        }
    });
    const nodes = pools.flatMap((p) => p.nodes);
    return { nodes: [...nodes.filter((n) => n.role === "control-plane"), ...nodes.filter((n) => n.role === "worker")], pools, hetzner, aws };
}
