/**
 * The node contract between the node pools and the kubeadm bootstrap: wherever a machine lives
 * (Hetzner, AWS, a VMware VM, bare metal), the bootstrap sees only a `ClusterNode`.
 */
import type * as command from "@pulumi/command";
import type * as pulumi from "@pulumi/pulumi";

export type NodeRole = "control-plane" | "worker";
export type NodeProvider = "hetzner" | "aws" | "vmware" | "static";

export interface Taint {
    readonly key: string;
    readonly value?: string;
    readonly effect: "NoSchedule" | "PreferNoSchedule" | "NoExecute";
}

/**
 * How the program reaches a node over SSH: the `@pulumi/command` connection, private key
 * as a secret, optional jump host, and bounded dial retries so an unreachable host fails
 * the step instead of hanging.
 */
export type SshConnection = command.types.input.remote.ConnectionArgs & {
    readonly privateKey: pulumi.Output<string>;
    readonly dialErrorLimit: number;
    readonly perDialTimeout: number;
};

export interface ClusterNode {
    /** Kubernetes node name, unique in the cluster. */
    readonly name: string;
    readonly role: NodeRole;
    readonly provider: NodeProvider;
    /** Pool the node belongs to. */
    readonly pool: string;
    /** Image the machine was created from (one of `SUPPORTED_IMAGES`); absent on-prem, where the scripts detect the OS. */
    readonly os?: string;
    /** Address the program and admins reach the node at. */
    readonly publicAddress: pulumi.Output<string>;
    /** Address on the cluster's private network: the kubelet node IP. */
    readonly privateAddress: pulumi.Output<string>;
    readonly connection: SshConnection;
    readonly labels: Readonly<Record<string, string>>;
    readonly taints: readonly Taint[];
    /**
     * Completes once the node answered over SSH and cloud-init (if any) finished. The bootstrap
     * depends on this, never on "server created".
     */
    readonly ready: pulumi.Resource;
}
