/**
 * Burst: cloud worker pools that join a running cluster, read through a StackReference. Only
 * worker pools are created here; the base stack's state is never touched. Burst workers carry a
 * label and a NoSchedule taint (only workloads that tolerate bursting land there), join with the
 * base's material and versions, are drained from the base's first control plane before they go,
 * and, when the base has a mesh, join it: the base's nodes learn their keys from this stack.
 */
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import type { JoinMaterial } from "../infra/bootstrap";
import { composeScript, SCRIPTS } from "../infra/bootstrap/remote";
import { asgJoinScript, drainGuard, joinNode, prepareNode, rootScript } from "../infra/bootstrap/steps";
import { type AwsPoolSettings, ConfigError, type StackConfig } from "../infra/config";
import { createNodes, meshPeers } from "../infra/nodes";
import { nodeAccess, sshConnection } from "../infra/nodes/access";
import { BURST_POOL_OFFSET, type MeshPeer, renderPeers } from "../infra/nodes/mesh";
import type { SshConnection } from "../infra/nodes/types";

/** What a base cluster stack exports for burst stacks (see stacks/cluster.ts). */
export interface BaseOutputs {
    clusterName: string;
    join: { endpoint: string; token: string; caCertHash: string; kubernetesVersion: string; containerdVersion: string; podCidr: string; serviceCidr: string };
    access: { controlPlane: SshTarget; nodes: SshTarget[]; bastion: { host: string; user: string; port: number } | null };
    mesh: { cidr: string; port: number; peers: MeshPeer[] } | null;
}
interface SshTarget {
    name: string;
    host: string;
    port: number;
    user: string;
    viaBastion: boolean;
}

/** The component the burst workers' bootstrap steps belong to. */
class BurstWorkers extends pulumi.ComponentResource {
    constructor(name: string) {
        super("infra:bootstrap:BurstWorkers", name, {});
    }
    done(): void {
        this.registerOutputs({});
    }
}

async function readBase(cfg: StackConfig, ref: pulumi.StackReference): Promise<BaseOutputs> {
    const name = cfg.burst!.baseStack;
    const get = async (key: string) => {
        const d = await ref.getOutputDetails(key);
        return (d.value ?? d.secretValue) as unknown;
    };
    const [clusterName, join, access, mesh] = await Promise.all([get("clusterName"), get("join"), get("access"), get("mesh")]);
    const problems = [];
    if (!join || typeof join !== "object" || !("token" in join) || !("caCertHash" in join))
        problems.push({ path: "infra:burst.baseStack", message: `${name} exports no join material (output \`join\`): it was deployed by an older version of this program; run pulumi up on it first` });
    else if (!access) problems.push({ path: "infra:burst.baseStack", message: `${name} exports no node access (output \`access\`): run pulumi up on it with this version first` });
    if (problems.length) throw new ConfigError(problems);
    const base = { clusterName, join, access, mesh } as BaseOutputs;
    if (cfg.kubernetes && cfg.kubernetes.version !== base.join.kubernetesVersion)
        problems.push({ path: "infra:kubernetes.version", message: `${cfg.kubernetes.version} differs from the base cluster's ${base.join.kubernetesVersion}: burst workers run the base's version (leave it out, or match it)` });
    if (!cfg.clusterName.startsWith(`${base.clusterName}-`))
        problems.push({ path: "infra:clusterName", message: `must start with the base cluster's name and a dash (e.g. ${base.clusterName}-burst): the base approves kubelet certificates by node name` });
    if (base.mesh && cfg.pools.some((p) => p.provider === "aws" && p.autoscaling))
        problems.push({ path: "infra:pools", message: "auto scaling groups cannot join the base's mesh (their peers are not known in advance): use fixed instances (count)" });
    if (problems.length) throw new ConfigError(problems);
    return base;
}

/** Burst pools carry the burst label, and the taint unless switched off. */
function burstConfig(cfg: StackConfig): StackConfig {
    const [key, value] = cfg.burst!.label.split("=");
    return {
        ...cfg,
        pools: cfg.pools.map((p) => ({
            ...p,
            labels: { ...p.labels, [key]: value },
            taints: cfg.burst!.taint ? [...p.taints, { key, value, effect: "NoSchedule" as const }] : p.taints,
        })),
    };
}

export async function burstStack(input: StackConfig): Promise<Record<string, unknown>> {
    const cfg = burstConfig(input);
    const ref = new pulumi.StackReference(`${cfg.clusterName}-base`, { name: cfg.burst!.baseStack });
    const base = await readBase(cfg, ref);
    const material: JoinMaterial = {
        endpoint: pulumi.output(base.join.endpoint),
        token: pulumi.secret(base.join.token),
        caCertHash: pulumi.secret(base.join.caCertHash),
    };
    const k = { version: base.join.kubernetesVersion, containerdVersion: base.join.containerdVersion };
    const layer = createNodes(cfg, {
        mesh: base.mesh ? { cidr: base.mesh.cidr, port: base.mesh.port, poolOffset: BURST_POOL_OFFSET, extraPeers: base.mesh.peers } : undefined,
        joinScript: (pool: AwsPoolSettings) => asgJoinScript(material, k, pool, false),
    });

    const access = nodeAccess(cfg);
    const viaBase = (t: SshTarget): SshConnection =>
        sshConnection({ ...access, bastion: base.access.bastion ?? undefined }, t.host, { user: t.user, port: t.port, viaBastion: t.viaBastion });
    const parent = new BurstWorkers(`${cfg.clusterName}-workers`);
    const controlPlane = viaBase(base.access.controlPlane);

    // The base's nodes learn this stack's workers as mesh peers (and forget them on destroy).
    const peersOnBase: pulumi.Resource[] = [];
    if (base.mesh) {
        const peers = meshPeers(layer.nodes).apply((p) => renderPeers(p, false));
        for (const t of base.access.nodes) {
            const conn = viaBase(t);
            const add = rootScript(conn, composeScript(SCRIPTS.meshPeers, { PEERS_NAME: cfg.clusterName }));
            peersOnBase.push(
                new command.remote.Command(
                    `${t.name}-peers-${cfg.clusterName}`,
                    {
                        connection: conn,
                        create: add,
                        update: add,
                        delete: rootScript(conn, composeScript(SCRIPTS.meshPeers, { PEERS_NAME: cfg.clusterName, REMOVE: "1" })),
                        stdin: peers,
                    },
                    { parent },
                ),
            );
        }
    }
    for (const node of layer.nodes) {
        const prepare = prepareNode(node, k, parent);
        const join = joinNode(node, material, { cloudProviderExternal: false }, [prepare, ...peersOnBase], parent);
        drainGuard(node.name, controlPlane, join, parent);
    }
    parent.done();
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
