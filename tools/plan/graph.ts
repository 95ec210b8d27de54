/** Figures from a plan's dependency graph: the critical path of remote commands, and their count per node. */
import type { PlannedResource } from "./engine";

const COMMAND = "command:remote:Command";

/**
 * The longest chain of remote commands, following dependencies through any resource in between
 * (a join waits for init through nothing else; a prepare waits for its server's readiness gate).
 * Returns the names along one longest chain, first to last.
 */
export function criticalPath(resources: readonly PlannedResource[]): string[] {
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const memo = new Map<string, string[]>();
    const visiting = new Set<string>();
    const longest = (urn: string): string[] => {
        const cached = memo.get(urn);
        if (cached) return cached;
        if (visiting.has(urn)) throw new Error(`dependency cycle through ${urn}`);
        visiting.add(urn);
        const r = byUrn.get(urn);
        let best: string[] = [];
        for (const d of r?.dependsOn ?? []) {
            const p = longest(d);
            if (p.length > best.length) best = p;
        }
        visiting.delete(urn);
        const path = r?.type === COMMAND ? [...best, r.name] : best;
        memo.set(urn, path);
        return path;
    };
    let best: string[] = [];
    for (const r of resources) {
        const p = longest(r.urn);
        if (p.length > best.length) best = p;
    }
    return best;
}

/** The rolling upgrade's steps (etcd snapshot, upgrade, a worker's drain and uncordon) in the longest chain their dependencies order. */
export function rolloutChain(resources: readonly PlannedResource[]): string[] {
    return criticalPath(resources.filter((r) => /-upgrade(-snapshot|-drain|-uncordon)?$/.test(r.name)));
}

/** How many remote commands target each node, by the node-name prefix of the command's name. */
export function commandsPerNode(resources: readonly PlannedResource[], nodeNames: readonly string[]): Map<string, number> {
    const counts = new Map(nodeNames.map((n) => [n, 0]));
    const sorted = [...nodeNames].sort((a, b) => b.length - a.length);
    for (const r of resources) {
        if (r.type !== COMMAND) continue;
        const node = sorted.find((n) => r.name.startsWith(`${n}-`));
        if (node) counts.set(node, counts.get(node)! + 1);
    }
    return counts;
}
