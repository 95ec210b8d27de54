/**
 * The node-name scheme, in one place: the node components name their machines with it and
 * validation checks the same names for collisions.
 */
import * as ipaddr from "ipaddr.js";
import type { Pool } from "./schema";

/** The name of a cloud pool's node; `index` counts from 0, the name from 1 (`prod-workers-1`). */
export function nodeName(clusterName: string, poolName: string, index: number): string {
    return `${clusterName}-${poolName}-${index + 1}`;
}

/** Node names in pool order, as the node components will name them. */
export function nodeNames(clusterName: string, pool: Pool): string[] {
    if (pool.provider === "vmware" || pool.provider === "static") return pool.nodes.map((n) => n.name);
    // An auto scaling group's instances are named by AWS, not by this program.
    const n = pool.provider === "aws" && pool.autoscaling ? 0 : (pool.count ?? 0);
    return Array.from({ length: n }, (_, i) => nodeName(clusterName, pool.name, i));
}

export function controlPlaneCount(pools: readonly Pool[]): number {
    return pools.filter((p) => p.role === "control-plane").reduce((sum, p) => sum + nodeNames("", p).length, 0);
}

/** Burst stacks' pools take mesh blocks from here, the base's below it: the two never collide. */
export const BURST_POOL_OFFSET = 128;

/** Nodes a mesh pool holds at most: hosts .1 to .250 of its block. */
export const MAX_MESH_NODES_PER_POOL = 250;

/**
 * Every node's mesh address, in one place (validation and the node layer use it alike): pool p's
 * n-th node gets `<mesh /16>.<offset + block>.<n+1>`, where the block is `meshBlock` or the pool's
 * place in the list, unless the node pins its own `meshAddress`. Burst stacks use offset 128.
 */
export function meshAddresses(clusterName: string, pools: readonly Pool[], cidr: string, offset: number): { name: string; address: string; pool: number; node: number }[] {
    const [net] = ipaddr.IPv4.parseCIDR(cidr);
    const [a, b] = net.octets;
    return pools.flatMap((pool, p) => {
        const block = offset + (pool.meshBlock ?? p);
        return nodeNames(clusterName, pool).map((name, n) => {
            const pinned = pool.provider === "vmware" || pool.provider === "static" ? pool.nodes[n].meshAddress : undefined;
            return { name, address: pinned ?? `${a}.${b}.${block}.${n + 1}`, pool: p, node: n };
        });
    });
}
