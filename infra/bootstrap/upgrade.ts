/**
 * The day-2 steps of a cluster's nodes: the rolling upgrade (an etcd snapshot, each node's
 * upgrade step, a worker's drain and uncordon on the first control plane) and certificate renewal
 * (a control plane's departure is `controlPlaneLeave`, beside the other steps that run on delete,
 * in steps.ts). Every step exists from the node's first up, idempotent and a
 * no-op while the node is at the stack's versions; a change of `kubernetes.version` or
 * `containerdVersion` updates them, and their dependencies (`KubeadmCluster`) set the order.
 */
import * as command from "@pulumi/command";
import type * as pulumi from "@pulumi/pulumi";
import type { ClusterNode, SshConnection } from "../nodes/types";
import { composeScript, SCRIPTS } from "./remote";
import { rootScript } from "./steps";

export interface UpgradeSettings {
    readonly version: string;
    readonly containerdVersion: string;
    readonly drainTimeoutSeconds: number;
}

const opts = (parent: pulumi.Resource, dependsOn: pulumi.Input<pulumi.Resource>[], minutes: number): pulumi.CustomResourceOptions => ({
    parent,
    dependsOn,
    customTimeouts: { create: `${minutes}m`, update: `${minutes}m`, delete: `${minutes}m` },
});

/** A command whose create and update run the same idempotent script (again when a trigger changes). */
function step(name: string, connection: SshConnection, script: string, o: pulumi.CustomResourceOptions, triggers?: unknown[]): command.remote.Command {
    const run = rootScript(connection, script);
    return new command.remote.Command(name, { connection, create: run, update: run, ...(triggers ? { triggers } : {}) }, o);
}

/** `<first cp>-upgrade-snapshot`: etcd snapshotted before the first control plane's upgrade step. */
export function upgradeSnapshot(first: ClusterNode, version: string, dependsOn: pulumi.Resource[], parent: pulumi.Resource): command.remote.Command {
    return step(`${first.name}-upgrade-snapshot`, first.connection, composeScript(SCRIPTS.upgradeSnapshot, { K8S_VERSION: version }), opts(parent, dependsOn, 20));
}

/** `<node>-upgrade`: the node at the stack's versions (`kubeadm upgrade apply` on the first control plane). */
export function upgradeNode(node: ClusterNode, s: UpgradeSettings, first: boolean, dependsOn: pulumi.Resource[], parent: pulumi.Resource): command.remote.Command {
    const script = composeScript(SCRIPTS.upgradeNode, {
        K8S_VERSION: s.version,
        CONTAINERD_VERSION: s.containerdVersion,
        NODE_NAME: node.name,
        ROLE: node.role,
        FIRST: first ? "1" : "0",
        DRAIN_TIMEOUT: s.drainTimeoutSeconds,
    });
    return step(`${node.name}-upgrade`, node.connection, script, opts(parent, dependsOn, 45 + Math.ceil(s.drainTimeoutSeconds / 60)));
}

/** `<worker>-upgrade-drain`, on the first control plane: the worker drained when its upgrade step has work to do. */
export function upgradeDrain(node: ClusterNode, controlPlane: SshConnection, s: UpgradeSettings, dependsOn: pulumi.Resource[], parent: pulumi.Resource): command.remote.Command {
    const script = composeScript(SCRIPTS.upgradeDrain, { NODE_NAME: node.name, K8S_VERSION: s.version, CONTAINERD_VERSION: s.containerdVersion, DRAIN_TIMEOUT: s.drainTimeoutSeconds });
    return step(`${node.name}-upgrade-drain`, controlPlane, script, opts(parent, dependsOn, 10 + Math.ceil(s.drainTimeoutSeconds / 60)));
}

/** `<worker>-upgrade-uncordon`, on the first control plane: the drained worker back, Ready at the new version. */
export function upgradeUncordon(node: ClusterNode, controlPlane: SshConnection, s: UpgradeSettings, dependsOn: pulumi.Resource[], parent: pulumi.Resource): command.remote.Command {
    return step(`${node.name}-upgrade-uncordon`, controlPlane, composeScript(SCRIPTS.upgradeUncordon, { NODE_NAME: node.name, K8S_VERSION: s.version, CONTAINERD_VERSION: s.containerdVersion }), opts(parent, dependsOn, 15));
}

/**
 * `<cp>-certs`: kubeadm's certificates renewed within `windowDays` of their expiry. `renewed` (the
 * date the program expects them renewed) changes when a renewal is due, which runs the step.
 */
export function certificateRenewal(node: ClusterNode, windowDays: number, renewed: string, dependsOn: pulumi.Resource[], parent: pulumi.Resource): command.remote.Command {
    return step(`${node.name}-certs`, node.connection, composeScript(SCRIPTS.certsRenew, { WINDOW_DAYS: windowDays, NODE_NAME: node.name }), opts(parent, dependsOn, 15), [renewed]);
}
