/**
 * `KubeadmCluster`: turns `ClusterNode`s into a Kubernetes cluster over SSH. Every node is
 * prepared at once; `kubeadm init` runs on the first control plane; every other node joins at
 * once, each depending only on init and its own preparation; Calico goes on through the
 * `k8s.Provider`. The critical path is readiness -> prepare -> init -> join, whatever the size.
 */
import * as command from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { ApiEndpoint } from "../nodes/endpoint";
import type { ClusterNode } from "../nodes/types";
import { installCalico } from "./cni";
import { renderInitConfig } from "./kubeadm-config";
import { renderKubeconfig } from "./kubeconfig";
import { createPki, type ClusterPki, sharedPkiFiles } from "./pki";
import { type BundleFile, composeScript, renderBundle, SCRIPTS } from "./remote";
import { drainGuard, etcdBackup, type EtcdBackupSettings, joinNode, nodeLabels, prepareNode, rootScript } from "./steps";
import type { ClusterHandle, JoinMaterial } from "./types";

export * from "./types";

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
}

export { nodeLabels } from "./steps";

export class KubeadmCluster extends pulumi.ComponentResource implements ClusterHandle {
    readonly endpoint: pulumi.Output<string>;
    readonly kubeconfig: pulumi.Output<string>;
    readonly provider: k8s.Provider;
    readonly join: JoinMaterial;
    readonly kubernetesVersion: string;
    readonly ready: pulumi.Resource;
    readonly pki: ClusterPki;
    readonly prepares: Map<string, command.remote.Command>;
    readonly init: command.remote.Command;
    readonly joins: Map<string, command.remote.Command>;
    readonly drains: Map<string, command.remote.Command>;

    constructor(name: string, args: KubeadmClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("infra:bootstrap:KubeadmCluster", name, {}, opts);
        const k = args.kubernetes;
        const [first, ...others] = args.nodes;
        if (!first || first.role !== "control-plane") throw new Error("the first node of a cluster must be a control plane");
        this.kubernetesVersion = k.version;
        this.pki = createPki(name, this);

        // A bootstrap token the program knows: `[a-z0-9]{6}.[a-z0-9]{16}`.
        const tokenPart = (part: string, length: number) =>
            new random.RandomString(`${name}-token-${part}`, { length, special: false, upper: false, keepers: { rotation: String(k.joinTokenRotation) } }, { parent: this });
        const token = pulumi.secret(pulumi.interpolate`${tokenPart("id", 6).result}.${tokenPart("secret", 16).result}`);
        const joinEndpoint = pulumi.interpolate`${args.endpoint.joinHost}:${args.endpoint.port}`;
        this.join = { endpoint: joinEndpoint, token, caCertHash: this.pki.caCertHash };
        const sharedPki = sharedPkiFiles(this.pki);

        this.prepares = new Map(args.nodes.map((node) => [node.name, prepareNode(node, k, this)]));

        const initFiles = pulumi
            .all([sharedPki, token, first.privateAddress, args.endpoint.certSans, joinEndpoint])
            .apply(([pki, tok, ip, sans, endpoint]): BundleFile[] => [
                ...pki,
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
                { path: "/etc/kubernetes/infra/bootstrap-token", mode: "0600", content: tok },
            ]);
        // `update` is the same idempotent script: a changed input never re-runs kubeadm init on an
        // initialised node, and there is no delete step that could tear the control plane down.
        const initScript = rootScript(first.connection, composeScript(SCRIPTS.init, { TOKEN_TTL: k.joinTokenTtlHours === 0 ? "0" : `${k.joinTokenTtlHours}h` }));
        this.init = new command.remote.Command(
            `${first.name}-init`,
            { connection: first.connection, create: initScript, update: initScript, stdin: pulumi.secret(initFiles.apply(renderBundle)) },
            { parent: this, dependsOn: [this.prepares.get(first.name)!, ...args.endpoint.resources], customTimeouts: { create: "20m", update: "10m" } },
        );

        this.joins = new Map();
        this.drains = new Map();
        for (const node of others) {
            const join = joinNode(node, this.join, { sharedPki: node.role === "control-plane" ? sharedPki : undefined, cloudProviderExternal: args.kubelet.cloudProviderExternal }, [this.init, this.prepares.get(node.name)!], this);
            this.joins.set(node.name, join);
            if (node.role === "worker") this.drains.set(node.name, drainGuard(node.name, first.connection, join, this));
        }

        if (args.etcdBackups) {
            for (const cp of args.nodes.filter((n) => n.role === "control-plane")) etcdBackup(cp, args.etcdBackups, cp === first ? this.init : this.joins.get(cp.name)!, this);
        }

        const server = pulumi.interpolate`https://${args.endpoint.publicHost}:${args.endpoint.port}`;
        this.endpoint = server;
        // Known only once init has run: a first preview of a new cluster leaves the provider unknown
        // instead of reaching for a cluster that does not exist yet.
        this.kubeconfig = pulumi.secret(
            pulumi.all([server, this.pki.ca.certPem, this.pki.admin.certPem, this.pki.admin.keyPem, this.init.stdout]).apply(([srv, ca, cert, key]) =>
                renderKubeconfig({ clusterName: args.clusterName, server: srv, caCertPem: ca, clientCertPem: cert, clientKeyPem: key }),
            ),
        );
        this.provider = new k8s.Provider(`${name}-k8s`, { kubeconfig: this.kubeconfig, enableServerSideApply: true }, { parent: this });
        this.ready = installCalico(name, { version: k.calicoVersion, podCidr: k.podCidr, provider: this.provider, dependsOn: [this.init] }, this);
        this.registerOutputs({ endpoint: this.endpoint, kubeconfig: this.kubeconfig });
    }
}

