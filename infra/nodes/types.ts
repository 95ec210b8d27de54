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
    /** The cloud's id of the machine, when the program created it: a new id is a new machine. */
    readonly machineId?: pulumi.Input<string>;
    readonly labels: Readonly<Record<string, string>>;
    readonly taints: readonly Taint[];
    /** The node's place in the WireGuard mesh, when the cluster has one. */
    readonly mesh?: NodeMesh;
    /**
     * Completes once the node answered over SSH and cloud-init (if any) finished. The bootstrap
     * depends on this, never on "server created".
     */
    readonly ready: pulumi.Resource;
}

export interface NodeMesh {
    /** Mesh address: the kubelet's node IP. */
    readonly address: string;
    readonly publicKey: pulumi.Output<string>;
    /** `host:port` peers reach it at; absent behind NAT. */
    readonly endpoint?: pulumi.Output<string>;
    /** The node's wg0 configuration (its private key and its peers), secret. */
    readonly config: pulumi.Output<string>;
}
