/**
 * The one place a machine becomes a `ClusterNode`: its SSH connection, its readiness gate, and
 * what it takes from its pool (role, provider, labels, taints). Every pool component calls it.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { Pool } from "../config";
import { hostKeyInstall, type NodeAccess, readinessGate, sshConnection } from "./access";
import type { ClusterNode } from "./types";

export interface Machine {
    /** Kubernetes node name. */
    readonly name: string;
    /** Address the program and admins reach the machine at (the SSH host). */
    readonly publicAddress: pulumi.Output<string>;
    /** Address on the cluster's private network: the kubelet node IP. */
    readonly privateAddress: pulumi.Output<string>;
    /** SSH user and port, when not the access defaults. */
    readonly user?: string;
    readonly port?: number;
    /** Reached through the bastion, when one is configured (on-prem machines). */
    readonly viaBastion?: boolean;
    /** The cloud's id of the machine: a new machine re-runs the readiness gate. */
    readonly machineId?: pulumi.Input<string>;
    /** Image the machine was created from; absent on-prem. */
    readonly os?: string;
    /** The SSH host key every connection to the machine pins (see host-key.ts). */
    readonly hostKey?: pulumi.Input<string>;
    /** Its private half, when the program generated it (cloud nodes): sent with `installHostKeys`. */
    readonly hostPrivateKey?: pulumi.Output<string>;
}

export function machineNode(pool: Pool, m: Machine, access: NodeAccess, parent: pulumi.Resource): ClusterNode {
    const connection = sshConnection(access, m.publicAddress, { user: m.user, port: m.port, viaBastion: m.viaBastion, hostKey: m.hostKey });
    return {
        name: m.name,
        role: pool.role,
        provider: pool.provider,
        pool: pool.name,
        ...(m.os ? { os: m.os } : {}),
        publicAddress: m.publicAddress,
        privateAddress: m.privateAddress,
        connection,
        ...(m.machineId ? { machineId: m.machineId } : {}),
        labels: pool.labels,
        taints: pool.taints,
        ready: readinessGate(m.name, connection, {
            parent,
            machineId: m.machineId,
            dependsOn: access.installHostKeys && m.hostPrivateKey ? [hostKeyInstall(m.name, connection, m.hostPrivateKey, { parent, machineId: m.machineId })] : [],
        }),
    };
}
