/** What every node is labelled and tainted with besides its pool's own settings. */
import type { NodeProvider, Taint } from "./types";

/** Labels every node gets besides its pool's (the kubelet sets them when it registers). */
export function nodeLabels(node: { readonly pool: string; readonly provider: NodeProvider; readonly labels: Readonly<Record<string, string>> }): Record<string, string> {
    return { "infra.local/pool": node.pool, "infra.local/provider": node.provider, ...node.labels };
}

/**
 * The label of burst workers, and the key and value of their NoSchedule taint. One fixed fact:
 * the workloads that tolerate it run in the base stack, which a burst stack's settings never reach.
 */
export const BURST_LABEL = { key: "infra.local/burst", value: "true" } as const;

export const BURST_TAINT: Taint = { key: BURST_LABEL.key, value: BURST_LABEL.value, effect: "NoSchedule" };

/** The toleration of `BURST_TAINT`, for workloads allowed on burst workers. */
export const BURST_TOLERATION = { key: BURST_TAINT.key, operator: "Equal", value: BURST_TAINT.value, effect: BURST_TAINT.effect } as const;
