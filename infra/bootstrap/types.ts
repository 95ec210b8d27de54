/**
 * The cluster contract between whatever provides a cluster (the kubeadm bootstrap, or an existing
 * cluster's kubeconfig) and everything that runs on it. Platform and apps take a `ClusterHandle`
 * whole: they do not know where the cluster came from.
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
    /** Provider built from the kubeconfig; unknown during the first preview of a new cluster. */
    readonly provider: k8s.Provider;
    /** What must exist before anything is deployed on the cluster (the CNI); empty for a cluster that already runs. */
    readonly ready: readonly pulumi.Resource[];
    /** Admin kubeconfig, secret. */
    readonly kubeconfig?: pulumi.Output<string>;
    /** Join material, for a cluster this program bootstrapped. */
    readonly join?: JoinMaterial;
}
