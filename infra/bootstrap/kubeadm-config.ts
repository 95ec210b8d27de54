/**
 * kubeadm configuration (API kubeadm.k8s.io/v1beta4), rendered from the program's settings.
 * Pure: tests snapshot it. It holds the bootstrap token, so it only ever travels as a secret.
 */
import * as YAML from "yaml";
import type { Taint } from "../nodes/types";

export const KUBEADM_API = "kubeadm.k8s.io/v1beta4";
export const CRI_SOCKET = "unix:///run/containerd/containerd.sock";
export const CONTROL_PLANE_TAINT: Taint = { key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" };

export interface NodeRegistrationArgs {
    readonly nodeName: string;
    /** The kubelet defers node addresses to a cloud controller manager (`--cloud-provider=external`). */
    readonly cloudProviderExternal?: boolean;
    /** The node's private address: the kubelet's node IP. */
    readonly nodeIp: string;
    readonly labels: Readonly<Record<string, string>>;
    readonly taints: readonly Taint[];
}

export interface InitConfigArgs extends NodeRegistrationArgs {
    readonly clusterName: string;
    readonly kubernetesVersion: string;
    /** `host:port` every node and client reaches the API at. */
    readonly controlPlaneEndpoint: string;
    /** Extra names and addresses on the API server certificate. */
    readonly certSans: readonly string[];
    readonly podCidr: string;
    readonly serviceCidr: string;
    readonly token: string;
    /** 0: the token never expires. */
    readonly tokenTtlHours: number;
    /** Kubelets request serving certificates from the cluster CA (verified by metrics-server). */
    readonly serverTlsBootstrap: boolean;
    /** The API server encrypts Secrets in etcd with the key in ENCRYPTION_CONFIG_PATH. */
    readonly encryptSecrets: boolean;
}

export const ENCRYPTION_CONFIG_PATH = "/etc/kubernetes/encryption/config.yaml";

/** Secrets (and nothing else) encrypted at rest with AES-CBC; identity reads what predates it. */
export function renderEncryptionConfig(keyBase64: string): string {
    return YAML.stringify({
        apiVersion: "apiserver.config.k8s.io/v1",
        kind: "EncryptionConfiguration",
        resources: [{ resources: ["secrets"], providers: [{ aescbc: { keys: [{ name: "key1", secret: keyBase64 }] } }, { identity: {} }] }],
    });
}

export interface JoinConfigArgs extends NodeRegistrationArgs {
    /** `host:port` of the API. */
    readonly apiServerEndpoint: string;
    readonly token: string;
    /** `sha256:<hex>` pinning the cluster CA. */
    readonly caCertHash: string;
    readonly controlPlane: boolean;
}

function nodeRegistration(a: NodeRegistrationArgs, controlPlane: boolean) {
    const labels = Object.entries(a.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(",");
    const taints = controlPlane ? [CONTROL_PLANE_TAINT, ...a.taints] : [...a.taints];
    return {
        name: a.nodeName,
        criSocket: CRI_SOCKET,
        kubeletExtraArgs: [
            ...(a.cloudProviderExternal ? [{ name: "cloud-provider", value: "external" }] : []),
            { name: "node-ip", value: a.nodeIp },
            ...(labels ? [{ name: "node-labels", value: labels }] : []),
        ],
        taints: taints.map((t) => ({ key: t.key, ...(t.value !== undefined ? { value: t.value } : {}), effect: t.effect })),
    };
}

const kubelet = (serverTlsBootstrap: boolean) => ({
    apiVersion: "kubelet.config.k8s.io/v1beta1",
    kind: "KubeletConfiguration",
    cgroupDriver: "systemd",
    ...(serverTlsBootstrap ? { serverTLSBootstrap: true } : {}),
});

function docs(...objects: object[]): string {
    return objects.map((o) => YAML.stringify(o, { lineWidth: 0 })).join("---\n");
}

export function renderInitConfig(a: InitConfigArgs): string {
    return docs(
        {
            apiVersion: KUBEADM_API,
            kind: "InitConfiguration",
            bootstrapTokens: [
                {
                    token: a.token,
                    description: "infra: node joins",
                    ttl: a.tokenTtlHours === 0 ? "0s" : `${a.tokenTtlHours}h0m0s`,
                    usages: ["signing", "authentication"],
                    groups: ["system:bootstrappers:kubeadm:default-node-token"],
                },
            ],
            localAPIEndpoint: { advertiseAddress: a.nodeIp, bindPort: 6443 },
            nodeRegistration: nodeRegistration(a, true),
        },
        {
            apiVersion: KUBEADM_API,
            kind: "ClusterConfiguration",
            clusterName: a.clusterName,
            kubernetesVersion: `v${a.kubernetesVersion}`,
            controlPlaneEndpoint: a.controlPlaneEndpoint,
            networking: { podSubnet: a.podCidr, serviceSubnet: a.serviceCidr, dnsDomain: "cluster.local" },
            apiServer: {
                certSANs: [...new Set(a.certSans)],
                ...(a.encryptSecrets
                    ? {
                          extraArgs: [{ name: "encryption-provider-config", value: ENCRYPTION_CONFIG_PATH }],
                          extraVolumes: [{ name: "encryption", hostPath: "/etc/kubernetes/encryption", mountPath: "/etc/kubernetes/encryption", readOnly: true, pathType: "DirectoryOrCreate" }],
                      }
                    : {}),
            },
        },
        kubelet(a.serverTlsBootstrap),
    );
}

export function renderJoinConfig(a: JoinConfigArgs): string {
    return docs(
        {
            apiVersion: KUBEADM_API,
            kind: "JoinConfiguration",
            discovery: { bootstrapToken: { apiServerEndpoint: a.apiServerEndpoint, token: a.token, caCertHashes: [a.caCertHash] } },
            nodeRegistration: nodeRegistration(a, a.controlPlane),
            ...(a.controlPlane ? { controlPlane: { localAPIEndpoint: { advertiseAddress: a.nodeIp, bindPort: 6443 } } } : {}),
        },
    );
}
