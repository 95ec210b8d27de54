/**
 * The per-node bootstrap steps, shared by a cluster's own nodes (`KubeadmCluster`) and burst
 * workers joining a running cluster (`BurstWorkers`): prepare, join, and the drain guard.
 */
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { nodeLabels } from "../nodes/labels";
import type { ClusterNode, SshConnection } from "../nodes/types";
import { shq } from "../shell";
import { renderJoinConfig } from "./kubeadm-config";
import { asgFirstBootScript, asRoot, type BundleFile, composeScript, renderBundle, SCRIPTS } from "./remote";
import type { JoinMaterial } from "./types";

export function rootScript(connection: SshConnection, script: pulumi.Input<string>): pulumi.Output<string> {
    return pulumi.all([connection.user, script]).apply(([u, s]) => asRoot(s, u ?? "root"));
}

export interface PrepareSettings {
    readonly version: string;
    readonly containerdVersion: string;
    /**
     * The API endpoint's name and the control planes' mesh addresses it stands for: every node
     * resolves the name through /etc/hosts (where the mesh carries the API, no site's DNS does).
     */
    readonly apiHosts?: ApiHosts;
    /** Host packages the platform's add-ons need (`nfs-client`), by role; prepare.sh names them per OS. */
    readonly nodePackages?: readonly string[];
}

export interface ApiHosts {
    readonly name: string;
    readonly addresses: readonly string[];
}

/** `<node>-prepare`: after the node's readiness gate, in parallel with every other node. */
export function prepareNode(node: ClusterNode, k: PrepareSettings, parent: pulumi.Resource): command.remote.Command {
    const script = node.privateAddress.apply((ip) =>
        composeScript(SCRIPTS.prepare, {
            K8S_VERSION: k.version,
            CONTAINERD_VERSION: k.containerdVersion,
            NODE_IP: ip,
            ROLE: node.role,
            MESH: node.mesh ? "1" : "0",
            ...(k.apiHosts ? { API_NAME: k.apiHosts.name, API_ADDRESSES: k.apiHosts.addresses.join(" ") } : {}),
            ...(k.nodePackages?.length ? { NODE_PACKAGES: k.nodePackages.join(" ") } : {}),
        }),
    );
    // The mesh configuration holds the node's WireGuard private key: standard input only.
    const stdin = node.mesh ? meshBundle(node.mesh) : undefined;
    return new command.remote.Command(
        `${node.name}-prepare`,
        { connection: node.connection, create: rootScript(node.connection, script), stdin },
        // The mesh configuration is prepare's only at first: later peers come through `<node>-mesh`,
        // after the nodes that leave were drained.
        { parent, dependsOn: [node.ready], ignoreChanges: node.mesh ? ["stdin"] : [], customTimeouts: { create: "30m", update: "30m" } },
    );
}

/** The node's own wg0 configuration (its private key inside) as a bundle, secret. */
function meshBundle(mesh: NonNullable<ClusterNode["mesh"]>): pulumi.Output<string> {
    return pulumi.secret(mesh.config.apply((c) => renderBundle([{ path: "/etc/wireguard/wg0.base.conf", mode: "0600", content: c }])));
}

/** `<node>-mesh`: the node's own mesh configuration (key, address, its stack's peers), kept in step with the stack. */
export function meshSync(node: ClusterNode, dependsOn: pulumi.Resource[], parent: pulumi.Resource): command.remote.Command {
    const mesh = node.mesh!;
    const script = rootScript(node.connection, composeScript(SCRIPTS.meshSync, { MESH_ADDRESS: mesh.address }));
    const stdin = meshBundle(mesh);
    return new command.remote.Command(`${node.name}-mesh`, { connection: node.connection, create: script, update: script, stdin }, { parent, dependsOn, customTimeouts: { create: "10m", update: "10m" } });
}

/**
 * `<name>-mesh-leave`, on a control plane: drains the nodes that left `members` since its last run,
 * before any peer list drops them (every mesh step waits for it).
 */
export function meshLeave(name: string, controlPlane: SshConnection, list: string, members: readonly string[], dependsOn: pulumi.Resource[], parent: pulumi.Resource): command.remote.Command {
    const script = rootScript(controlPlane, composeScript(SCRIPTS.meshLeave, { LIST: list, MEMBERS: members.join(" ") }));
    return new command.remote.Command(`${name}-mesh-leave`, { connection: controlPlane, create: script, update: script }, { parent, dependsOn, customTimeouts: { create: "20m", update: "20m" } });
}

export interface JoinOptions {
    /** The shared CAs, for a control plane. */
    readonly sharedPki?: pulumi.Output<BundleFile[]>;
    readonly cloudProviderExternal: boolean;
}

/** `<node>-join`: kubeadm join with the cluster's join material on standard input. */
export function joinNode(node: ClusterNode, material: JoinMaterial, opts: JoinOptions, dependsOn: pulumi.Resource[], parent: pulumi.Resource): command.remote.Command {
    const controlPlane = node.role === "control-plane";
    const files = pulumi
        .all([material.token, material.caCertHash, material.endpoint, node.privateAddress, opts.sharedPki ?? []])
        .apply(([tok, hash, endpoint, ip, pki]): BundleFile[] => [
            ...pki,
            {
                path: "/etc/kubernetes/infra/kubeadm-join.yaml",
                mode: "0600",
                content: renderJoinConfig({
                    apiServerEndpoint: endpoint,
                    token: tok,
                    caCertHash: hash,
                    controlPlane,
                    cloudProviderExternal: opts.cloudProviderExternal,
                    nodeName: node.name,
                    nodeIp: ip,
                    labels: nodeLabels(node),
                    taints: node.taints,
                }),
            },
        ]);
    const script = rootScript(node.connection, material.endpoint.apply((endpoint) => composeScript(SCRIPTS.join, { ROLE: node.role, API_ENDPOINT: endpoint })));
    return new command.remote.Command(
        `${node.name}-join`,
        {
            connection: node.connection,
            create: script,
            update: script,
            stdin: pulumi.secret(files.apply(renderBundle)),
            // A new machine under the same name joins afresh, with the material of the day.
            ...(node.machineId ? { triggers: [node.machineId] } : {}),
        },
        // A joined node never needs its join material again: a new token (issued on a schedule)
        // must not touch every node. A join that failed is created again, with the current token.
        { parent, dependsOn, ignoreChanges: ["stdin"], customTimeouts: { create: "20m", update: "10m" } },
    );
}

/**
 * Which token window `now` falls in: a new bootstrap token is issued in each, half a token's
 * lifetime long, so a join finds a token valid for at least half its lifetime without any manual
 * rotation. A token that never expires is never renewed (window 0).
 */
export function tokenWindow(ttlHours: number, now: number): number {
    return ttlHours === 0 ? 0 : Math.floor(now / ((ttlHours / 2) * 3_600_000));
}

/** The clock token windows are read from; the offline plan pins it (`INFRA_NOW`) so that two plans agree. */
export function now(): number {
    const pinned = process.env.INFRA_NOW;
    return pinned ? Date.parse(pinned) : Date.now();
}

/**
 * A bootstrap token the program knows, `[a-z0-9]{6}.[a-z0-9]{16}`, secret: a new one in each token
 * window (`tokenWindow`) and whenever `rotation` changes.
 */
export function bootstrapToken(name: string, t: { readonly ttlHours: number; readonly rotation: number }, parent: pulumi.Resource): pulumi.Output<string> {
    const keepers = { rotation: String(t.rotation), window: String(tokenWindow(t.ttlHours, now())) };
    const part = (which: string, length: number) => new random.RandomString(`${name}-token-${which}`, { length, special: false, upper: false, keepers }, { parent }).result;
    return pulumi.secret(pulumi.interpolate`${part("id", 6)}.${part("secret", 16)}`);
}

/** `<name>-join-token`: the token exists on the cluster, with its expiry, before any join uses it. */
export function ensureJoinToken(name: string, controlPlane: SshConnection, token: pulumi.Output<string>, ttlHours: number, dependsOn: pulumi.Resource[], parent: pulumi.Resource): command.remote.Command {
    const script = rootScript(controlPlane, composeScript(SCRIPTS.token, { TOKEN_TTL: ttlHours === 0 ? "0" : `${ttlHours}h` }));
    return new command.remote.Command(`${name}-join-token`, { connection: controlPlane, create: script, update: script, stdin: token }, { parent, dependsOn, customTimeouts: { create: "10m", update: "10m" } });
}

/**
 * A step that does nothing when created and runs `script` on a control plane when it is deleted:
 * when its node leaves the stack (Pulumi deletes it before the node's own steps and machine, which
 * it depends on), or, with the node's `machineId` as its trigger, when the machine is replaced
 * (`deleteBeforeReplace`: the engine deletes it, so runs it, before the old machine goes).
 */
function onDelete(
    controlPlane: SshConnection,
    d: { readonly name: string; readonly says: string; readonly script: string; readonly dependsOn: pulumi.Resource[]; readonly deleteMinutes: number; readonly machineId?: pulumi.Input<string> },
    parent: pulumi.Resource,
): command.remote.Command {
    return new command.remote.Command(
        d.name,
        { connection: controlPlane, create: `echo ${shq(d.says)}`, delete: rootScript(controlPlane, d.script), ...(d.machineId ? { triggers: [d.machineId] } : {}) },
        { parent, dependsOn: d.dependsOn, ...(d.machineId ? { deleteBeforeReplace: true } : {}), customTimeouts: { create: "5m", delete: `${d.deleteMinutes}m` } },
    );
}

/**
 * `<worker>-drain`: runs on a control plane when the worker leaves (scale in, destroy): drain,
 * then delete the node object, before the machine (which depends on nothing here) goes away.
 */
export function drainGuard(nodeName: string, controlPlane: SshConnection, join: pulumi.Resource, parent: pulumi.Resource): command.remote.Command {
    const script = composeScript(SCRIPTS.drain, { NODE_NAME: nodeName });
    return onDelete(controlPlane, { name: `${nodeName}-drain`, says: `drains ${nodeName} when it leaves the cluster`, script, dependsOn: [join], deleteMinutes: 15 }, parent);
}

/**
 * `<worker>-machine`: the same drain when the worker's machine is replaced, so that the new machine
 * joins under the node's name. A step of its own, not a trigger on `<worker>-drain`: adding a
 * trigger to that existing step would replace, and so run, every worker's drain at once on the
 * next up.
 */
export function machineGuard(nodeName: string, controlPlane: SshConnection, join: pulumi.Resource, machineId: pulumi.Input<string>, parent: pulumi.Resource): command.remote.Command {
    const script = composeScript(SCRIPTS.drain, { NODE_NAME: nodeName });
    return onDelete(controlPlane, { name: `${nodeName}-machine`, says: `drains ${nodeName} when its machine is replaced`, script, dependsOn: [join], deleteMinutes: 15, machineId }, parent);
}

/**
 * `<cp>-leave`, on the first control plane, for every other control plane: when that control plane
 * leaves the stack or its machine is replaced, its pods are evicted, its etcd member removed and
 * its Node object deleted, before the machine goes.
 */
export function controlPlaneLeave(node: ClusterNode, controlPlane: SshConnection, drainTimeoutSeconds: number, dependsOn: pulumi.Resource[], parent: pulumi.Resource): command.remote.Command {
    const script = composeScript(SCRIPTS.controlPlaneLeave, { NODE_NAME: node.name, DRAIN_TIMEOUT: drainTimeoutSeconds });
    const says = `removes ${node.name}'s etcd member when it leaves the cluster`;
    return onDelete(controlPlane, { name: `${node.name}-leave`, says, script, dependsOn, deleteMinutes: 20 + Math.ceil(drainTimeoutSeconds / 60), machineId: node.machineId }, parent);
}

export interface AsgPool {
    readonly name: string;
    readonly labels: Readonly<Record<string, string>>;
    readonly taints: ClusterNode["taints"];
}

/**
 * The first-boot script of an auto scaling group's instances: prepare, then join with the
 * cluster's material, the node's name and address filled in at boot. Secret (it holds the token).
 */
export function asgJoinScript(clusterName: string, material: JoinMaterial, k: PrepareSettings, pool: AsgPool, cloudProviderExternal: boolean): pulumi.Output<string> {
    return pulumi.secret(
        pulumi.all([material.token, material.caCertHash, material.endpoint]).apply(([token, caCertHash, endpoint]) =>
            asgFirstBootScript({
                K8S_VERSION: k.version,
                CONTAINERD_VERSION: k.containerdVersion,
                ROLE: "worker",
                // <cluster>-<pool>-<instance id>: the cluster's node names, whose serving certificates are approved.
                NAME_PREFIX: `${clusterName}-${pool.name}`,
                ...(k.nodePackages?.length ? { NODE_PACKAGES: k.nodePackages.join(" ") } : {}),
                JOIN_CONFIG: renderJoinConfig({
                    apiServerEndpoint: endpoint,
                    token,
                    caCertHash,
                    controlPlane: false,
                    cloudProviderExternal,
                    nodeName: "__NODE_NAME__",
                    nodeIp: "__NODE_IP__",
                    labels: nodeLabels({ pool: pool.name, provider: "aws", labels: pool.labels }),
                    taints: pool.taints,
                }),
            }),
        ),
    );
}

export interface EtcdBackupSettings {
    readonly intervalMinutes: number;
    readonly retentionDays: number;
    readonly bucket: string;
    readonly region: string;
    readonly endpoint: string;
    readonly prefix: string;
    readonly accessKeyId: pulumi.Output<string>;
    readonly secretAccessKey: pulumi.Output<string>;
}

/** curl's configuration file with the storage credentials (curl -K), root-only on the node. */
export function curlCredentials(accessKeyId: string, secretAccessKey: string): string {
    const q = (s: string) => s.replace(/\\/g, "\\\\").replace(/"/g, '\\"');
    return `user = "${q(accessKeyId)}:${q(secretAccessKey)}"\n`;
}

/** `<cp>-etcd-backup`: the snapshot timer on a control plane, once etcd runs there. */
export function etcdBackup(node: ClusterNode, b: EtcdBackupSettings, after: pulumi.Resource, parent: pulumi.Resource): command.remote.Command {
    const files = pulumi.all([b.accessKeyId, b.secretAccessKey]).apply(([id, key]) =>
        renderBundle([
            { path: "/etc/kubernetes/infra/etcd-backup/credentials", mode: "0600", content: curlCredentials(id, key) },
            { path: "/etc/kubernetes/infra/etcd-backup/snapshot.sh", mode: "0700", content: SCRIPTS.etcdSnapshot },
            { path: "/etc/kubernetes/infra/etcd-backup/restore.sh", mode: "0700", content: SCRIPTS.etcdRestore },
        ]),
    );
    const script = rootScript(
        node.connection,
        composeScript(SCRIPTS.etcdBackup, {
            INTERVAL_MINUTES: b.intervalMinutes,
            RETENTION_DAYS: b.retentionDays,
            BUCKET: b.bucket,
            PREFIX: b.prefix,
            REGION: b.region,
            ENDPOINT: b.endpoint,
        }),
    );
    return new command.remote.Command(
        `${node.name}-etcd-backup`,
        { connection: node.connection, create: script, update: script, stdin: pulumi.secret(files) },
        { parent, dependsOn: [after], customTimeouts: { create: "10m", update: "10m" } },
    );
}
