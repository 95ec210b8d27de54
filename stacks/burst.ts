/** Burst: cloud worker pools that join a running cluster read through a StackReference. */
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../infra/config";

export async function burstStack(cfg: StackConfig): Promise<Record<string, unknown>> {
    const base = new pulumi.StackReference(`${cfg.clusterName}-base`, { name: cfg.burst!.baseStack });
    return { clusterName: cfg.clusterName, environment: cfg.environment, mode: cfg.mode, baseStack: base.name };
}
