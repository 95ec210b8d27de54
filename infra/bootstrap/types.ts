/**
 * The cluster contract between the bootstrap and everything that runs on the cluster. Platform
 * and apps take only the `k8s.Provider`: they do not know where the cluster came from.
 */
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";

/** What a node needs to join the cluster at any later time (burst stacks, auto scaling groups). */
export interface JoinMaterial {
    /** `host:port` of the API server. */
    readonly endpoint: pulumi.Output<string>;
    /** Bootstrap token `[a-z0-9]{6}.[a-z0-9]{16}`, secret. */
    readonly token: pulumi.Output<string>;
    /** `sha256:<hex>` of the cluster CA's public key, secret (it pins the cluster). */
    readonly caCertHash: pulumi.Output<string>;
}

export interface ClusterHandle {
    /** `https://host:6443` of the API server; absent for an ambient kubeconfig. */
    readonly endpoint?: pulumi.Output<string>;
    /** Admin kubeconfig, secret; absent for an ambient kubeconfig. */
    readonly kubeconfig?: pulumi.Output<string>;
    /** Provider built from the kubeconfig; unknown during the first preview of a new cluster. */
    readonly provider: k8s.Provider;
    /** Absent for a cluster the program did not bootstrap (apps-only). */
    readonly join?: JoinMaterial;
    /** Kubernetes release the cluster runs, when known. */
    readonly kubernetesVersion?: string;
}
