/**
 * The control-plane virtual IP on-prem: kube-vip as a static pod on every control plane (read at
 * kube-vip/kube-vip v1.2.3, `kube-vip manifest pod --controlplane --arp --leaderElection`,
 * pkg/kubevip/config_generator.go). The leader among the control planes holds the address and
 * answers ARP for it; kubeadm's `controlPlaneEndpoint` is the address, so init, the joins and the
 * API server certificate's SANs use it (kubeadm adds the endpoint's host to the SANs). Pure.
 */
import * as YAML from "yaml";
import type { BundleFile } from "./remote";

export const KUBE_VIP_IMAGE = "ghcr.io/kube-vip/kube-vip:v1.2.3";
export const KUBE_VIP_MANIFEST = "/etc/kubernetes/manifests/kube-vip.yaml";

export interface KubeVipArgs {
    readonly address: string;
    /** The control planes' interface on the LAN the address belongs to (kube-vip does not find it by subnet). */
    readonly interface: string;
    /**
     * The kubeconfig it reads. During `kubeadm init` admin.conf has no rights until init itself
     * binds kubeadm:cluster-admins through the API, which it reaches at this very address: the first
     * control plane uses super-admin.conf (kube-vip#684, kube-vip's e2e tests). Joining control planes
     * use admin.conf, which kubeadm writes for them and which the binding already serves.
     */
    readonly kubeconfig: "admin.conf" | "super-admin.conf";
}

export function kubeVipPod(a: KubeVipArgs): Record<string, unknown> {
    const env = (name: string, value: string) => ({ name, value });
    return {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "kube-vip", namespace: "kube-system" },
        spec: {
            containers: [
                {
                    name: "kube-vip",
                    image: KUBE_VIP_IMAGE,
                    imagePullPolicy: "IfNotPresent",
                    args: ["manager"],
                    env: [
                        env("vip_arp", "true"),
                        env("port", "6443"),
                        { name: "vip_nodename", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } },
                        env("vip_interface", a.interface),
                        env("vip_subnet", "32"),
                        env("dns_mode", "first"),
                        env("cp_enable", "true"),
                        env("cp_namespace", "kube-system"),
                        env("svc_enable", "false"),
                        env("vip_leaderelection", "true"),
                        env("vip_leasename", "plndr-cp-lock"),
                        env("vip_leaseduration", "15"),
                        env("vip_renewdeadline", "10"),
                        env("vip_retryperiod", "2"),
                        env("address", a.address),
                    ],
                    securityContext: { capabilities: { add: ["NET_ADMIN", "NET_RAW"], drop: ["ALL"] } },
                    volumeMounts: [{ name: "kubeconfig", mountPath: "/etc/kubernetes/admin.conf" }],
                },
            ],
            // kube-vip talks to the local API server as `kubernetes:6443` (a SAN of its certificate).
            hostAliases: [{ ip: "127.0.0.1", hostnames: ["kubernetes"] }],
            hostNetwork: true,
            // File, not the default: a missing kubeconfig must not become a directory kubeadm then cannot write.
            volumes: [{ name: "kubeconfig", hostPath: { path: `/etc/kubernetes/${a.kubeconfig}`, type: "File" } }],
        },
    };
}

/** The static pod as a bundle file (write_bundle puts it in place before kubeadm runs). */
export function kubeVipFile(a: KubeVipArgs): BundleFile {
    return { path: KUBE_VIP_MANIFEST, mode: "0600", content: YAML.stringify(kubeVipPod(a)) };
}
