/** How every node is reached over SSH, and the readiness gate the bootstrap waits for. */
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config";
import { loadScript } from "../shell";
import type { SshConnection } from "./types";

/** SSH settings shared by the pools, derived once from the stack config. */
export interface NodeAccess {
    readonly user: string;
    readonly privateKey: pulumi.Output<string>;
    readonly dialErrorLimit: number;
    /** Seconds. */
    readonly perDialTimeout: number;
    readonly bastion?: { readonly host: string; readonly user: string; readonly port: number };
}

export function nodeAccess(cfg: StackConfig): NodeAccess {
    if (!cfg.secrets.sshPrivateKey) throw new Error("infra:sshPrivateKey is required when the stack has nodes");
    return {
        user: cfg.ssh.user,
        privateKey: cfg.secrets.sshPrivateKey,
        dialErrorLimit: cfg.ssh.dialErrorLimit,
        perDialTimeout: cfg.ssh.perDialTimeoutSeconds,
        bastion: cfg.ssh.bastion,
    };
}

/** The connection to one host; through the bastion when `viaBastion` and one is configured. */
export function sshConnection(access: NodeAccess, host: pulumi.Input<string>, opts: { user?: string; port?: number; viaBastion?: boolean } = {}): SshConnection {
    const bounded = { dialErrorLimit: access.dialErrorLimit, perDialTimeout: access.perDialTimeout };
    return {
        host,
        port: opts.port ?? 22,
        user: opts.user ?? access.user,
        privateKey: access.privateKey,
        ...bounded,
        ...(opts.viaBastion && access.bastion
            ? { proxy: { host: access.bastion.host, port: access.bastion.port, user: access.bastion.user, privateKey: access.privateKey, ...bounded } }
            : {}),
    };
}

export const WAIT_READY_SCRIPT = loadScript(__dirname, "wait-ready.sh");

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
