/**
 * `BurstWorkers`: the bootstrap of workers that join a cluster another stack runs. Each worker is
 * prepared and joins with the base's material and versions; the base's first control plane
 * drains it before it goes; with a mesh, every base node learns the workers as peers (and
 * forgets them on destroy) before any of them joins.
 */
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { thinComponent } from "../component";
import { type NodeAccess, type SshTarget, targetConnection } from "../nodes/access";
import { type MeshPeer, renderPeers } from "../nodes/mesh";
import type { ClusterNode } from "../nodes/types";
import { composeScript, SCRIPTS } from "./remote";
import { bootstrapToken, drainGuard, ensureJoinToken, joinNode, meshLeave, meshSync, type PrepareSettings, prepareNode, rootScript } from "./steps";
import type { JoinMaterial } from "./types";

/** Lifetime of the burst workers' bootstrap token; a new one is issued every half of it. */
export const BURST_TOKEN_TTL_HOURS = 24;

export interface BurstWorkersArgs {
    /** The burst stack's cluster name: names the peers file on the base's nodes. */
    readonly clusterName: string;
    /** The workers, from this stack's node layer. */
    readonly nodes: readonly ClusterNode[];
    /** The base's endpoint and CA hash (the workers' token is their own). */
    readonly join: Pick<JoinMaterial, "endpoint" | "caCertHash">;
    /** The base's Kubernetes and containerd versions. */
    readonly versions: PrepareSettings;
    /** This stack's SSH key, with the base's bastion. */
    readonly access: NodeAccess;
    /** The base's first control plane. */
    readonly controlPlane: SshTarget;
    /** Every base node that learns the workers as mesh peers; empty without a mesh. */
    readonly meshNodes: readonly SshTarget[];
    /** The workers as mesh peers. */
    readonly peers?: pulumi.Output<MeshPeer[]>;
}

/** `<base node>-peers-<burst cluster>`: the workers' `[Peer]` sections on one base node. */
function peersOnBaseNode(t: SshTarget, a: BurstWorkersArgs, peers: pulumi.Output<string>, dependsOn: pulumi.Resource[], parent: pulumi.Resource): command.remote.Command {
    const connection = targetConnection(a.access, t);
    const add = rootScript(connection, composeScript(SCRIPTS.meshPeers, { PEERS_NAME: a.clusterName }));
    const remove = rootScript(connection, composeScript(SCRIPTS.meshPeers, { PEERS_NAME: a.clusterName, REMOVE: "1" }));
    return new command.remote.Command(`${t.name}-peers-${a.clusterName}`, { connection, create: add, update: add, delete: remove, stdin: peers }, { parent, dependsOn, customTimeouts: { create: "10m", update: "10m", delete: "10m" } });
}

export function createBurstWorkers(_name: string, a: BurstWorkersArgs, parent: pulumi.Resource): { joins: command.remote.Command[] } {
    // Keepalives: base nodes behind NAT (on-prem) keep their mappings open towards the workers.
    const peers = a.peers?.apply((p) => renderPeers(p, true));
    const controlPlane = targetConnection(a.access, a.controlPlane);
    // Workers that leave are drained before any base node drops them as peers.
    const leave = peers ? [meshLeave(`${a.controlPlane.name}-${a.clusterName}`, controlPlane, a.clusterName, a.nodes.map((n) => n.name), [], parent)] : [];
    const onBase = peers ? a.meshNodes.map((t) => peersOnBaseNode(t, a, peers, leave, parent)) : [];
    // The workers' own token, issued on the base's first control plane when they join: a burst
    // stack does not depend on how recently the base issued its token.
    const token = bootstrapToken(a.clusterName, { ttlHours: BURST_TOKEN_TTL_HOURS, rotation: 0 }, parent);
    const joinToken = ensureJoinToken(`${a.controlPlane.name}-${a.clusterName}`, controlPlane, token, BURST_TOKEN_TTL_HOURS, [], parent);
    const material: JoinMaterial = { ...a.join, token };
    const joins = a.nodes.map((node) => {
        const prepare = prepareNode(node, a.versions, parent);
        if (node.mesh) meshSync(node, [prepare, ...leave], parent);
        const join = joinNode(node, material, { cloudProviderExternal: false }, [prepare, joinToken, ...onBase], parent);
        drainGuard(node.name, controlPlane, join, parent);
        return join;
    });
    return { joins };
}

export class BurstWorkers extends thinComponent("infra:bootstrap:BurstWorkers", createBurstWorkers) {}
