/**
 * Burst: cloud worker pools that join a running cluster, read through a StackReference. Only
 * worker pools are created here; the base stack's state is never touched. Burst workers carry
 * the burst label and, unless switched off, its NoSchedule taint (only workloads that tolerate
 * bursting land there); `BurstWorkers` prepares and joins them with the base's material.
 */
import * as pulumi from "@pulumi/pulumi";
import { BurstWorkers } from "../infra/bootstrap/burst-workers";
import { BURST_POOL_OFFSET, ConfigError, type StackConfig } from "../infra/config";
import { createNodes, meshPeers } from "../infra/nodes";
import { BURST_LABEL, BURST_TAINT } from "../infra/nodes/labels";
import { meshOptions, nodeLayerArgs } from "./nodes";
import { type BaseOutputs, type BurstStackOutputs, checkBase, readOutputs, type StackOutputs } from "./outputs";

async function readBase(cfg: StackConfig): Promise<BaseOutputs> {
    const ref = new pulumi.StackReference(`${cfg.clusterName}-base`, { name: cfg.burst!.baseStack });
    const { clusterName, join, access, mesh, mode } = await readOutputs(ref, ["clusterName", "join", "access", "mesh", "mode"]);
    const checked = checkBase({ baseStack: cfg.burst!.baseStack, clusterName: cfg.clusterName, kubernetesVersion: cfg.kubernetes?.version }, { clusterName, join, access, mesh }, mode);
    if ("problems" in checked) throw new ConfigError(checked.problems);
    return checked.base;
}

/** Burst pools carry the burst label, and its taint unless switched off. */
function withBurstMarks(cfg: StackConfig): StackConfig {
    return {
        ...cfg,
        pools: cfg.pools.map((p) => ({
            ...p,
            labels: { ...p.labels, [BURST_LABEL.key]: BURST_LABEL.value },
            taints: cfg.burst!.taint ? [...p.taints, BURST_TAINT] : p.taints,
        })),
    };
}

export async function burstStack(input: StackConfig): Promise<StackOutputs<BurstStackOutputs>> {
    const cfg = withBurstMarks(input);
    const base = await readBase(cfg);
    // The workers' token is their own (BurstWorkers); the base's endpoint and CA hash pin the cluster.
    const join = { endpoint: pulumi.output(base.join.endpoint), caCertHash: pulumi.secret(base.join.caCertHash) };
    const versions = { version: base.join.kubernetesVersion, containerdVersion: base.join.containerdVersion, apiHosts: base.mesh?.apiHosts ?? undefined, nodePackages: base.join.nodePackages ?? [] };
    const args = nodeLayerArgs(cfg, base.mesh ? meshOptions(cfg, base.mesh, BURST_POOL_OFFSET, base.mesh.peers) : undefined);
    const layer = createNodes(args);
    new BurstWorkers(`${cfg.clusterName}-workers`, {
        clusterName: cfg.clusterName,
        nodes: layer.nodes,
        join,
        versions,
        // The base's nodes sit behind the base's bastion, if it has one.
        access: { ...args.access, bastion: base.access.bastion ?? undefined },
        controlPlane: base.access.controlPlane,
        meshNodes: base.mesh ? base.access.nodes : [],
        peers: base.mesh ? meshPeers(layer.nodes) : undefined,
    });
    return {
        clusterName: cfg.clusterName,
        environment: cfg.environment,
        mode: cfg.mode,
        baseStack: cfg.burst!.baseStack,
        joins: base.join.endpoint,
        kubernetesVersion: base.join.kubernetesVersion,
        nodes: layer.nodes.map((n) => ({ name: n.name, provider: n.provider, pool: n.pool, publicAddress: n.publicAddress, privateAddress: n.privateAddress })),
    };
}
