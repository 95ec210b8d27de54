/**
 * `KubeadmCluster`: turns `ClusterNode`s into a Kubernetes cluster over SSH. Every node is
 * prepared at once; `kubeadm init` runs on the first control plane; every other node joins at
 * once, each depending only on init and its own preparation; Calico goes on through the
 * `k8s.Provider`. The critical path is readiness -> prepare -> init -> join, whatever the size.
 */
import * as command from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ApiEndpoint } from "../nodes/endpoint";
import { kubeVipFile } from "./kube-vip";
import { nodeLabels } from "../nodes/labels";
import type { ClusterNode } from "../nodes/types";
import { installCalico } from "./cni";
import { renderInitConfig } from "./kubeadm-config";
import { renderKubeconfig } from "./kubeconfig";
import { createPki, type ClusterPki, sharedPkiFiles } from "./pki";
import { type BundleFile, composeScript, renderBundle, SCRIPTS } from "./remote";
import { type ApiHosts, bootstrapToken, controlPlaneLeave, drainGuard, ensureJoinToken, machineGuard, etcdBackup, type EtcdBackupSettings, joinNode, meshLeave, meshSync, prepareNode, rootScript } from "./steps";
import type { ClusterHandle, JoinMaterial } from "./types";
import { thinComponent } from "../component";
import { certificateRenewal, upgradeDrain, upgradeNode, upgradeSnapshot, type UpgradeSettings, upgradeUncordon } from "./upgrade";

export * from "./types";
export type { ApiHosts, EtcdBackupSettings } from "./steps";

export interface KubernetesSettings {
    /** `1.<minor>.<patch>` */
    readonly version: string;
    readonly podCidr: string;
    readonly serviceCidr: string;
    readonly containerdVersion: string;
    readonly calicoVersion: string;
    /** 0: never expires. */
    readonly joinTokenTtlHours: number;
    /** Changing it issues a new bootstrap token. */
    readonly joinTokenRotation: number;
}

/** How this up treats the running cluster (infra/bootstrap/lifecycle.ts `rolloutPlan`). */
export interface RolloutSettings {
    /** A running cluster moves to another version: control planes one at a time, then workers in batches. */
    readonly upgrading: boolean;
    /** The certificates are due for renewal: control planes one at a time. */
    readonly renewing: boolean;
    /** When the certificates are (to be) renewed; a new date runs each control plane's renewal step. */
    readonly certificatesRenewed: string;
    readonly workerBatch: number;
    readonly drainTimeoutSeconds: number;
    readonly certificateRenewalDays: number;
}

export interface KubeletOptions {
    /** A cloud controller manager initialises the nodes (Hetzner integration). */
    readonly cloudProviderExternal: boolean;
    /** Serving certificates from the cluster CA, approved by kubelet-csr-approver. */
    readonly serverTlsBootstrap: boolean;
}

export interface KubeadmClusterArgs {
    readonly clusterName: string;
    /** Scheduled etcd snapshots from every control plane. */
    readonly etcdBackups?: EtcdBackupSettings;
    readonly kubelet: KubeletOptions;
    /** Control planes first: the first one runs `kubeadm init`. */
    readonly nodes: readonly ClusterNode[];
    readonly endpoint: ApiEndpoint;
    readonly kubernetes: KubernetesSettings;
    /** The pod network's MTU over the WireGuard mesh; absent: Calico detects it. */
    readonly podMtu?: number;
    /** The API endpoint's name every node resolves to the control planes' mesh addresses. */
    readonly apiHosts?: ApiHosts;
    /** Host packages the platform's add-ons need on every node. */
    readonly nodePackages?: readonly string[];
    readonly rollout: RolloutSettings;
}

export interface KubeadmClusterParts {
    /** `https://host:6443` admins and the program's kubeconfig use. */
    readonly endpoint: pulumi.Output<string>;
    readonly kubeconfig: pulumi.Output<string>;
    readonly provider: k8s.Provider;
    readonly join: JoinMaterial;
    /** Calico: the cluster can run pods once it is there. */
    readonly ready: pulumi.Resource[];
    readonly pki: ClusterPki;
    readonly prepares: Map<string, command.remote.Command>;
    readonly init: command.remote.Command;
    readonly joins: Map<string, command.remote.Command>;
    readonly drains: Map<string, command.remote.Command>;
    /** Each node's upgrade step; workers' drain and uncordon steps; control planes' renewal and leave steps. */
    readonly upgrades: Map<string, command.remote.Command>;
    /** The last step of every node's rollout: the cluster is at the stack's versions once they are done. */
    readonly rolledOut: pulumi.Resource[];
}

interface InitInputs {
    readonly args: KubeadmClusterArgs;
    readonly sharedPki: pulumi.Output<BundleFile[]>;
    readonly token: pulumi.Output<string>;
    readonly joinEndpoint: pulumi.Output<string>;
    readonly prepared: pulumi.Resource;
}

/** `<first>-init`: `kubeadm init` on the first control plane, with the shared PKI and the init configuration on standard input. */
function initFirstControlPlane(first: ClusterNode, i: InitInputs, parent: pulumi.Resource): command.remote.Command {
    const { args } = i;
    const k = args.kubernetes;
    const vip = args.endpoint.virtualIp;
    const files = pulumi.all([i.sharedPki, i.token, first.privateAddress, args.endpoint.certSans, i.joinEndpoint]).apply(([pki, tok, ip, sans, endpoint]): BundleFile[] => [
        ...pki,
        ...(vip ? [kubeVipFile({ ...vip, kubeconfig: "super-admin.conf" })] : []),
        {
            path: "/etc/kubernetes/infra/kubeadm-init.yaml",
            mode: "0600",
            content: renderInitConfig({
                clusterName: args.clusterName,
                kubernetesVersion: k.version,
                controlPlaneEndpoint: endpoint,
                certSans: sans,
                podCidr: k.podCidr,
                serviceCidr: k.serviceCidr,
                token: tok,
                tokenTtlHours: k.joinTokenTtlHours,
                serverTlsBootstrap: args.kubelet.serverTlsBootstrap,
                encryptSecrets: true,
                cloudProviderExternal: args.kubelet.cloudProviderExternal,
                nodeName: first.name,
                nodeIp: ip,
                labels: nodeLabels(first),
                taints: first.taints,
            }),
        },
    ]);
    // `update` never re-runs kubeadm init on an initialised node (it checks that the CA and the
    // endpoint still match), nor on a machine that holds no cluster (a replaced first control
    // plane); there is no delete step that could tear the control plane down.
    const script = (mode: "create" | "update") => rootScript(first.connection, composeScript(SCRIPTS.init, { MODE: mode }));
    return new command.remote.Command(
        `${first.name}-init`,
        { connection: first.connection, create: script("create"), update: script("update"), stdin: pulumi.secret(files.apply(renderBundle)) },
        { parent, dependsOn: [i.prepared, ...args.endpoint.resources], customTimeouts: { create: "20m", update: "10m" } },
    );
}

/**
 * The admin kubeconfig, known only once init has run: a first preview of a new cluster leaves it
 * unknown instead of reaching for a cluster that does not exist yet. It waits on init's id, which
 * stays known when init is updated (its stdout would not: pulumi-go-provider marks every output of
 * a changed command unknown in preview, and an unknown kubeconfig makes pulumi-kubernetes plan to
 * replace the provider and everything it made).
 */
function adminKubeconfig(clusterName: string, server: pulumi.Output<string>, pki: ClusterPki, init: command.remote.Command): pulumi.Output<string> {
    return pulumi.secret(
        pulumi.all([server, pki.ca.certPem, pki.admin.certPem, pki.admin.keyPem, init.id]).apply(([srv, ca, cert, key]) =>
            renderKubeconfig({ clusterName, server: srv, caCertPem: ca, clientCertPem: cert, clientKeyPem: key }),
        ),
    );
}

/**
 * With the mesh: the leave step on the first control plane, then every node's mesh step. Joins
 * wait for the control planes' mesh steps: a control plane must know a new node's key before the
 * node reaches out to it.
 */
function meshSteps(first: ClusterNode, nodes: readonly ClusterNode[], init: pulumi.Resource, prepares: ReadonlyMap<string, pulumi.Resource>, parent: pulumi.Resource) {
    const meshNodes = nodes.filter((n) => n.mesh);
    if (meshNodes.length === 0) return { controlPlanes: [] as pulumi.Resource[] };
    // Workers only: a control plane also holds an etcd member, whose removal is not automated.
    const workers = meshNodes.filter((n) => n.role === "worker").map((n) => n.name);
    const leave = meshLeave(first.name, first.connection, "cluster", workers, [init], parent);
    const steps = meshNodes.map((n) => [n, meshSync(n, [prepares.get(n.name)!, leave], parent)] as const);
    return { controlPlanes: steps.filter(([n]) => n.role === "control-plane").map(([, s]) => s) as pulumi.Resource[] };
}

export function createKubeadmCluster(name: string, args: KubeadmClusterArgs, parent: pulumi.Resource): KubeadmClusterParts {
    const k = args.kubernetes;
    const [first, ...others] = args.nodes;
    if (!first || first.role !== "control-plane") throw new Error("the first node of a cluster must be a control plane");
    const pki = createPki(name, parent);
    const token = bootstrapToken(name, { ttlHours: k.joinTokenTtlHours, rotation: k.joinTokenRotation }, parent);
    const joinEndpoint = pulumi.interpolate`${args.endpoint.joinHost}:${args.endpoint.port}`;
    const join: JoinMaterial = { endpoint: joinEndpoint, token, caCertHash: pki.caCertHash };
    const sharedPki = sharedPkiFiles(pki);

    const prepareSettings = { version: k.version, containerdVersion: k.containerdVersion, apiHosts: args.apiHosts, nodePackages: args.nodePackages };
    const prepares = new Map(args.nodes.map((node) => [node.name, prepareNode(node, prepareSettings, parent)]));
    const init = initFirstControlPlane(first, { args, sharedPki, token, joinEndpoint, prepared: prepares.get(first.name)! }, parent);

    const joinToken = ensureJoinToken(first.name, first.connection, token, k.joinTokenTtlHours, [init], parent);
    const meshed = meshSteps(first, args.nodes, init, prepares, parent);

    // Control planes join one at a time: each adds an etcd member, and etcd takes one new
    // (learner) member at a time. Workers join at once.
    //
    // Day 2 (upgrade.ts): every node has an upgrade step from its first up, a no-op at the
    // stack's versions. While a running cluster moves to other versions (`rollout.upgrading`) the
    // steps are chained in kubeadm's order: an etcd snapshot, the first control plane (`kubeadm
    // upgrade apply`), the others one at a time, then the workers in batches, each drained and
    // uncordoned by the first control plane; nodes added in the same change join after the control
    // planes run the new version. A step that fails stops everything after it; the next up resumes.
    const r = args.rollout;
    const serial = r.upgrading;
    const upgrade: UpgradeSettings = { version: k.version, containerdVersion: k.containerdVersion, drainTimeoutSeconds: r.drainTimeoutSeconds };
    const snapshot = upgradeSnapshot(first, k.version, [init], parent);
    const upgrades = new Map<string, command.remote.Command>([[first.name, upgradeNode(first, upgrade, true, [snapshot, prepares.get(first.name)!], parent)]]);
    let controlPlaneTail: command.remote.Command = upgrades.get(first.name)!;
    const joins = new Map<string, command.remote.Command>();
    const drains = new Map<string, command.remote.Command>();
    const rolledOut: pulumi.Resource[] = [upgrades.get(first.name)!];
    let lastControlPlane: command.remote.Command | undefined;
    let lastLeave: command.remote.Command | undefined;
    let batch: pulumi.Resource[] = [];
    let previousBatch: pulumi.Resource[] = [];
    const workers = others.filter((n) => n.role === "worker");
    for (const node of others) {
        const cp = node.role === "control-plane";
        const prepared = prepares.get(node.name)!;
        const vip = args.endpoint.virtualIp;
        const staticPods = cp && vip ? [kubeVipFile({ ...vip, kubeconfig: "admin.conf" })] : [];
        const opts = { sharedPki: cp ? sharedPki.apply((f) => [...f, ...staticPods]) : undefined, cloudProviderExternal: args.kubelet.cloudProviderExternal };
        const after = [init, joinToken, prepared, ...meshed.controlPlanes, ...(cp && lastControlPlane ? [lastControlPlane] : []), ...(serial ? [controlPlaneTail] : [])];
        const joined = joinNode(node, join, opts, after, parent);
        joins.set(node.name, joined);
        if (cp) {
            lastControlPlane = joined;
            const up = upgradeNode(node, upgrade, false, serial ? [joined, prepared, controlPlaneTail] : [prepared, init], parent);
            upgrades.set(node.name, up);
            rolledOut.push(up);
            controlPlaneTail = up;
            // Chained: control planes leaving together lose their etcd members one at a time.
            lastLeave = controlPlaneLeave(node, first.connection, r.drainTimeoutSeconds, [prepared, ...(lastLeave ? [lastLeave] : [])], parent);
            continue;
        }
        drains.set(node.name, drainGuard(node.name, first.connection, joined, parent));
        if (node.machineId) machineGuard(node.name, first.connection, joined, node.machineId, parent);
        const index = workers.indexOf(node);
        if (index % r.workerBatch === 0) [previousBatch, batch] = [batch, []];
        const drained = upgradeDrain(node, first.connection, upgrade, serial ? [joined, controlPlaneTail, ...previousBatch] : [init], parent);
        const up = upgradeNode(node, upgrade, false, serial ? [drained, joined, prepared] : [drained, prepared], parent);
        const back = upgradeUncordon(node, first.connection, upgrade, [up], parent);
        upgrades.set(node.name, up);
        batch.push(back);
        rolledOut.push(back);
    }
    // Renewal restarts a control plane's static pods: one control plane at a time when it is due.
    let lastRenewal: command.remote.Command | undefined;
    for (const cp of args.nodes.filter((n) => n.role === "control-plane")) {
        const chained = (serial || r.renewing) && lastRenewal ? [lastRenewal] : [];
        lastRenewal = certificateRenewal(cp, r.certificateRenewalDays, r.certificatesRenewed, [upgrades.get(cp.name)!, ...chained], parent);
        rolledOut.push(lastRenewal);
    }
    if (args.etcdBackups) {
        for (const cp of args.nodes.filter((n) => n.role === "control-plane")) etcdBackup(cp, args.etcdBackups, cp === first ? init : joins.get(cp.name)!, parent);
    }

    const endpoint = pulumi.interpolate`https://${args.endpoint.publicHost}:${args.endpoint.port}`;
    const kubeconfig = adminKubeconfig(args.clusterName, endpoint, pki, init);
    // A stable identity: a new admin certificate (re-issued every 60 days) changes the kubeconfig, and
    // with clusterIdentifier unchanged pulumi-kubernetes updates the provider instead of replacing it
    // (provider/pkg/provider/provider.go DiffConfig), even while the new certificate is unknown in preview.
    const provider = new k8s.Provider(`${name}-k8s`, { kubeconfig, clusterIdentifier: args.clusterName, enableServerSideApply: true }, { parent });
    const calico = installCalico(name, { version: k.calicoVersion, podCidr: k.podCidr, mtu: args.podMtu, provider, dependsOn: [init] }, parent);
    return { endpoint, kubeconfig, provider, join, ready: [calico], pki, prepares, init, joins, drains, upgrades, rolledOut };
}

/** A cluster this program bootstrapped: a `ClusterHandle` with its join material. */
export class KubeadmCluster
    extends thinComponent("infra:bootstrap:KubeadmCluster", createKubeadmCluster, (c) => ({ endpoint: c.endpoint, kubeconfig: c.kubeconfig }))
    implements ClusterHandle {}
