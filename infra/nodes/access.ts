/** How every node is reached over SSH, and the readiness gate the bootstrap waits for. */
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import type { Settings } from "../config";
import { asRoot, loadScript } from "../shell";
import type { ClusterNode, SshConnection } from "./types";

/** SSH settings shared by the pools, derived once from the stack config. */
export interface NodeAccess {
    readonly user: string;
    readonly privateKey: pulumi.Output<string>;
    readonly dialErrorLimit: number;
    /** Seconds. */
    readonly perDialTimeout: number;
    readonly bastion?: { readonly host: string; readonly user: string; readonly port: number; readonly hostKey?: string };
    /** `infra:ssh.installHostKeys`: cloud nodes get their pinned host key over an unpinned connection first. */
    readonly installHostKeys?: boolean;
}

/** The stack's SSH settings with its private key (`infra:sshPrivateKey`, validated to be set when there are nodes). */
export function nodeAccess(ssh: Settings["ssh"], privateKey: pulumi.Output<string> | undefined): NodeAccess {
    if (!privateKey) throw new Error("infra:sshPrivateKey is required when the stack has nodes");
    return { user: ssh.user, privateKey, dialErrorLimit: ssh.dialErrorLimit, perDialTimeout: ssh.perDialTimeoutSeconds, bastion: ssh.bastion, installHostKeys: ssh.installHostKeys };
}

/**
 * The connection to one host; through the bastion when `viaBastion` and one is configured. With a
 * `hostKey` (and the bastion's), @pulumi/command offers only that key's algorithm and accepts only
 * that key (pulumi-command v1.2.1 remote/connection.go: FixedHostKey, HostKeyAlgorithms); without
 * one it accepts any host key.
 */
export function sshConnection(
    access: NodeAccess,
    host: pulumi.Input<string>,
    opts: { user?: string; port?: number; viaBastion?: boolean; hostKey?: pulumi.Input<string> } = {},
): SshConnection {
    const bounded = { dialErrorLimit: access.dialErrorLimit, perDialTimeout: access.perDialTimeout };
    const b = access.bastion;
    return {
        host,
        port: opts.port ?? 22,
        user: opts.user ?? access.user,
        privateKey: access.privateKey,
        ...(opts.hostKey !== undefined ? { hostKey: opts.hostKey } : {}),
        ...bounded,
        ...(opts.viaBastion && b
            ? { proxy: { host: b.host, port: b.port, user: b.user, privateKey: access.privateKey, ...(b.hostKey ? { hostKey: b.hostKey } : {}), ...bounded } }
            : {}),
    };
}

/** How another stack reaches a node over SSH: its address and user, never a credential (the key is each stack's own secret). */
export interface SshTarget {
    readonly name: string;
    readonly host: string;
    readonly port: number;
    readonly user: string;
    readonly viaBastion: boolean;
    /** The host key the connection pins; absent for a machine whose key the stack file does not give (and from bases older than pinning). */
    readonly hostKey?: string;
}

/** A node's SSH target as a stack publishes it. */
export function sshTarget(node: ClusterNode): { [K in keyof SshTarget]: pulumi.Input<SshTarget[K]> } {
    const c = node.connection;
    return { name: node.name, host: c.host, port: c.port ?? 22, user: c.user ?? "root", viaBastion: c.proxy !== undefined, ...(c.hostKey !== undefined ? { hostKey: c.hostKey } : {}) };
}

/** The connection to a target another stack published, with this stack's key and bastion settings. */
export function targetConnection(access: NodeAccess, t: SshTarget): SshConnection {
    return sshConnection(access, t.host, { user: t.user, port: t.port, viaBastion: t.viaBastion, ...(t.hostKey ? { hostKey: t.hostKey } : {}) });
}

export const WAIT_READY_SCRIPT = loadScript(__dirname, "wait-ready.sh");
export const HOST_KEY_SCRIPT = loadScript(__dirname, "host-key.sh");

/**
 * `<node>-host-key-install`: the node's pinned host key sent over SSH (see host-key.sh), on a
 * connection without the pin (the node does not have the key yet). Only with `installHostKeys`.
 */
export function hostKeyInstall(nodeName: string, pinned: SshConnection, privateKey: pulumi.Output<string>, opts: { parent: pulumi.Resource; machineId?: pulumi.Input<string> }): command.remote.Command {
    const { hostKey: _pin, ...connection } = pinned;
    const script = pulumi.output(connection.user).apply((u) => asRoot(HOST_KEY_SCRIPT, u ?? "root"));
    return new command.remote.Command(
        `${nodeName}-host-key-install`,
        { connection, create: script, update: script, stdin: pulumi.secret(privateKey), triggers: opts.machineId ? [opts.machineId] : [] },
        { parent: opts.parent, customTimeouts: { create: "10m", update: "10m" } },
    );
}

/**
 * The node's readiness gate: a remote command that succeeds once the host answers over SSH,
 * cloud-init finished and the OS is supported. Re-runs when `machineId` changes (a new machine).
 */
export function readinessGate(
    nodeName: string,
    connection: SshConnection,
    opts: { parent: pulumi.Resource; machineId?: pulumi.Input<string>; dependsOn?: pulumi.Input<pulumi.Resource>[] },
): command.remote.Command {
    return new command.remote.Command(
        `${nodeName}-ready`,
        {
            connection,
            create: WAIT_READY_SCRIPT,
            triggers: opts.machineId ? [opts.machineId] : [],
        },
        { parent: opts.parent, dependsOn: opts.dependsOn, customTimeouts: { create: "20m" } },
    );
}
