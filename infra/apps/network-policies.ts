/**
 * The app namespace's network policies, as data: default deny for ingress, egress anywhere but the
 * cloud metadata address; web workloads admit
 * the ingress controller only; NodePort and LoadBalancer workloads admit anyone on their port;
 * the database admits its clients (pods labelled `DB_CLIENT_LABEL`) on its port, and its peers.
 */
import type * as k8s from "@pulumi/kubernetes";
import { type Database, DB_PORT } from "./database";
import { type AppIdentity, DB_CLIENT_LABEL, selector } from "./labels";

type PolicySpec = k8s.types.input.networking.v1.NetworkPolicySpec;

export interface NetworkPolicyInput {
    /** The app the policies belong to (pod selectors). */
    readonly id: AppIdentity;
    /** Namespace of the ingress controller, the only source of web traffic. */
    readonly ingressNamespace: string;
    /** Services the Ingress routes to, with their ports; a service may appear once per path. */
    readonly routes: readonly { readonly service: string; readonly port: number }[];
    /** The app's further workloads and how their Service is exposed. */
    readonly workloads: readonly { readonly name: string; readonly port: number; readonly service: "ClusterIP" | "NodePort" | "LoadBalancer" }[];
    /** The database, when the app has one. */
    readonly database?: Pick<Database, "podSelector" | "peers">;
}

export interface NamedPolicy {
    /** Name of the NetworkPolicy object (and suffix of its resource name). */
    readonly name: string;
    readonly spec: PolicySpec;
}

/**
 * The clouds' instance metadata service (Hetzner's and AWS's). A node's user data there holds its
 * SSH host key; the app's pods may reach anything else (pods in any namespace, the internet).
 */
export const CLOUD_METADATA = "169.254.169.254/32";

export function networkPolicies(p: NetworkPolicyInput): NamedPolicy[] {
    const out: NamedPolicy[] = [
        { name: "default-deny-ingress", spec: { podSelector: {}, policyTypes: ["Ingress"] } },
        {
            name: "deny-egress-to-cloud-metadata",
            spec: { podSelector: {}, policyTypes: ["Egress"], egress: [{ to: [{ namespaceSelector: {} }, { ipBlock: { cidr: "0.0.0.0/0", except: [CLOUD_METADATA] } }] }] },
        },
    ];
    const fromIngress = { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": p.ingressNamespace } } };
    for (const [service, port] of new Map(p.routes.map((r) => [r.service, r.port]))) {
        out.push({
            name: `allow-ingress-to-${service}`,
            spec: { podSelector: { matchLabels: selector(p.id, service) }, policyTypes: ["Ingress"], ingress: [{ from: [fromIngress], ports: [{ protocol: "TCP", port }] }] },
        });
    }
    for (const w of p.workloads.filter((x) => x.service !== "ClusterIP")) {
        // NodePort and LoadBalancer workloads take traffic from outside the cluster by design.
        out.push({ name: `allow-external-to-${w.name}`, spec: { podSelector: { matchLabels: selector(p.id, w.name) }, policyTypes: ["Ingress"], ingress: [{ ports: [{ protocol: "TCP", port: w.port }] }] } });
    }
    if (p.database) out.push({ name: "allow-clients-to-database", spec: databasePolicySpec(p.database) });
    return out;
}

/** Clients reach the database's port only; peers (cluster members, their operator) reach any port. */
export function databasePolicySpec(db: Pick<Database, "podSelector" | "peers">): PolicySpec {
    return {
        podSelector: { matchLabels: db.podSelector },
        policyTypes: ["Ingress"],
        ingress: [{ from: [{ podSelector: { matchLabels: { [DB_CLIENT_LABEL]: "true" } } }], ports: [{ protocol: "TCP", port: DB_PORT }] }, ...(db.peers.length ? [{ from: db.peers }] : [])],
    };
}
