/**
 * The node-name scheme, in one place: the node components name their machines with it and
 * validation checks the same names for collisions.
 */
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
