/**
 * The outputs a cluster stack publishes: one type for the stack that writes them
 * (stacks/cluster.ts) and the burst stacks that read them (stacks/burst.ts), and the pure check
 * of what a burst stack read from its base.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { Lifecycle } from "../infra/bootstrap/lifecycle";
import type { ConfigProblem } from "../infra/config";
import type { SshTarget } from "../infra/nodes/access";
import type { MeshPeer } from "../infra/nodes/mesh";
import type { NodeProvider, NodeRole } from "../infra/nodes/types";

export interface NodeSummary {
    readonly name: string;
    readonly role?: NodeRole;
    readonly provider: NodeProvider;
    readonly pool: string;
    readonly publicAddress: string;
    readonly privateAddress: string;
}

/** What a node needs to join the cluster, and the versions and networks it must match. Token and CA hash are secrets. */
export interface PublishedJoin {
    readonly endpoint: string;
    readonly token: string;
    readonly caCertHash: string;
    readonly kubernetesVersion: string;
    readonly containerdVersion: string;
    readonly podCidr: string;
    readonly serviceCidr: string;
    /** Host packages the base's add-ons need on every node, burst workers included (absent before this version). */
    readonly nodePackages?: readonly string[];
}

/** How a burst stack reaches the base's nodes: the first control plane drains burst workers that leave, every node learns their mesh keys. */
export interface PublishedAccess {
    readonly controlPlane: SshTarget;
    readonly nodes: readonly SshTarget[];
    readonly bastion: { readonly host: string; readonly user: string; readonly port: number } | null;
}

export interface PublishedMesh {
    readonly cidr: string;
    readonly port: number;
    readonly peers: readonly MeshPeer[];
    /** The API endpoint's name and the control planes' mesh addresses, for nodes to resolve it (absent before this version). */
    readonly apiHosts?: { readonly name: string; readonly addresses: readonly string[] } | null;
}

export interface ClusterStackOutputs {
    readonly clusterName: string;
    readonly environment: string;
    readonly mode: string;
    readonly apiEndpoint: string;
    readonly certificateIssuer?: string;
    readonly appUrl?: string;
    readonly ingressAddress?: string;
    /** Admin kubeconfig, secret. */
    readonly kubeconfig: string;
    readonly nodes: readonly NodeSummary[];
    readonly join: PublishedJoin;
    readonly joinTokenExpires: string;
    readonly access: PublishedAccess;
    readonly mesh: PublishedMesh | null;
    /** What this up left: versions every node runs, the nodes, the endpoint kind, the certificates' dates. */
    readonly lifecycle: Lifecycle;
}

/** What a burst stack publishes. */
export interface BurstStackOutputs {
    readonly clusterName: string;
    readonly environment: string;
    readonly mode: string;
    readonly baseStack: string;
    /** The base's API endpoint the workers joined. */
    readonly joins: string;
    readonly kubernetesVersion: string;
    readonly nodes: readonly NodeSummary[];
}

/** What a burst stack reads of its base. */
export type BaseOutputs = Pick<ClusterStackOutputs, "clusterName" | "join" | "access" | "mesh">;

/** A value as a program returns it: plain, or with outputs at any depth. */
export type Published<T> = pulumi.Input<T> | (T extends object ? { [K in keyof T]: Published<T[K]> } : never);

/** A stack's outputs as its program returns them: each one plain, or with outputs at any depth. */
export type StackOutputs<T> = { [K in keyof T]: Published<T[K]> };

/** What the burst stack asks of its base. */
export interface BurstRequest {
    /** `infra:burst.baseStack`. */
    readonly baseStack: string;
    /** The burst stack's `infra:clusterName`. */
    readonly clusterName: string;
    /** `infra:kubernetes.version` of the burst stack, when it sets one. */
    readonly kubernetesVersion?: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;

/**
 * Checks the outputs read from the base stack (`undefined` where an output is missing): the base
 * must exist and be recent enough, and the burst stack must fit it. Returns the base, typed, or
 * every problem with the key to change.
 */
export function checkBase(
    req: BurstRequest,
    raw: Readonly<Record<keyof BaseOutputs, unknown>>,
    /** The base's `mode` output: a burst or apps-only stack is no base, whatever else it exports. */
    mode?: unknown,
): { base: BaseOutputs } | { problems: ConfigProblem[] } {
    const at = "infra:burst.baseStack";
    const name = req.baseStack;
    if (Object.values(raw).every((v) => v === undefined) && mode === undefined)
        return { problems: [{ path: at, message: `${name} has no outputs: it does not exist, is not readable with your Pulumi login, or was never deployed (run pulumi up on it first)` }] };
    if (typeof mode === "string" && mode !== "cluster")
        return { problems: [{ path: at, message: `${name} is a ${mode} stack, not a cluster: infra:burst.baseStack names the running cluster's stack` }] };
    const { join, access } = raw;
    if (!isObject(join) || !("token" in join) || !("caCertHash" in join))
        return { problems: [{ path: at, message: `${name} exports no join material (output \`join\`): it was deployed by an older version of this program; run pulumi up on it first` }] };
    if (!access) return { problems: [{ path: at, message: `${name} exports no node access (output \`access\`): run pulumi up on it with this version first` }] };
    const base = raw as unknown as BaseOutputs;
    const problems: ConfigProblem[] = [];
    if (req.kubernetesVersion && req.kubernetesVersion !== base.join.kubernetesVersion)
        problems.push({
            path: "infra:kubernetes.version",
            message: `${req.kubernetesVersion} differs from the base cluster's ${base.join.kubernetesVersion}: burst workers run the base's version (leave it out, or match it)`,
        });
    if (!req.clusterName.startsWith(`${base.clusterName}-`))
        problems.push({
            path: "infra:clusterName",
            message: `must start with the base cluster's name and a dash (e.g. ${base.clusterName}-burst): the base approves kubelet certificates by node name`,
        });
    if (!base.mesh)
        problems.push({
            path: "infra:burst.baseStack",
            message: `${name} has no mesh (infra:mesh.enabled on the base): burst workers sit on a network of their own and reach the base's API only over the mesh; enable it on the base first`,
        });
    return problems.length ? { problems } : { base };
}

/** Outputs of a stack a StackReference reads, by name, secret or not (absent ones undefined). */
export async function readOutputs<K extends string>(ref: pulumi.StackReference, keys: readonly K[]): Promise<Record<K, unknown>> {
    const values = await Promise.all(
        keys.map(async (key) => {
            const d = await ref.getOutputDetails(key);
            return (d.value ?? d.secretValue) as unknown;
        }),
    );
    return Object.fromEntries(keys.map((k, i) => [k, values[i]])) as Record<K, unknown>;
}
