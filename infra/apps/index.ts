/**
 * The application layer: namespace, registry credentials, database, Django backend, Angular
 * frontend, further web workloads, one Ingress for the host, network policies and backups. It
 * takes a `k8s.Provider` and the platform's choices (issuer, database class), nothing else.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Settings } from "../config";
import { AngularFrontend } from "./angular";
import { DatabaseBackups } from "./backups";
import { Database, DB_PORT } from "./database";
import { databaseEnv, DjangoBackend } from "./django";
import { type AppIdentity, DB_CLIENT_LABEL, labels, selector } from "./labels";
import { WebWorkload } from "./workload";

export type AppSettings = NonNullable<Settings["apps"]>;

export interface AppArgs {
    readonly settings: AppSettings;
    readonly environment: string;
    readonly provider: k8s.Provider;
    /** What must exist first (the platform). */
    readonly dependsOn: pulumi.Resource[];
    /** The cluster issuer of the app's certificate (none: plain HTTP). */
    readonly issuer?: string;
    readonly ingressClass: string;
    /** Namespace of the ingress controller, the only source of web traffic. */
    readonly ingressNamespace: string;
    readonly databaseClass: string;
    readonly registryPassword?: pulumi.Output<string>;
    readonly backupCredentials?: { readonly accessKeyId: pulumi.Output<string>; readonly secretAccessKey: pulumi.Output<string> };
    /** Taint key and value burst workers carry; set when the app tolerates them. */
    readonly burstToleration?: k8s.types.input.core.v1.Toleration;
    readonly protectData: boolean;
}

export const REGISTRY_SECRET = "registry-credentials";

/** The `.dockerconfigjson` of a private registry. */
export function dockerConfigJson(server: string, username: string, password: string): string {
    return JSON.stringify({ auths: { [server]: { username, password, auth: Buffer.from(`${username}:${password}`).toString("base64") } } });
}

export class App extends pulumi.ComponentResource {
    readonly namespace: string;
    readonly url: string;
    readonly database?: Database;

    constructor(name: string, a: AppArgs, opts?: pulumi.ComponentResourceOptions) {
        super("infra:apps:App", name, {}, opts);
        const s = a.settings;
        const id: AppIdentity = { partOf: s.namespace, instance: name };
        this.namespace = s.namespace;
        const ns = new k8s.core.v1.Namespace(
            `${name}-ns`,
            { metadata: { name: s.namespace, labels: { "pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/warn": "restricted", "app.kubernetes.io/part-of": s.namespace, "app.kubernetes.io/managed-by": "pulumi" } } },
            { provider: a.provider, parent: this, dependsOn: a.dependsOn },
        );
        const base = { provider: a.provider, dependsOn: [ns] };
        const pullSecrets: string[] = [];
        if (s.registry && a.registryPassword) {
            new k8s.core.v1.Secret(
                `${name}-registry`,
                {
                    metadata: { name: REGISTRY_SECRET, namespace: s.namespace, labels: labels(id, "registry", "registry") },
                    type: "kubernetes.io/dockerconfigjson",
                    stringData: { ".dockerconfigjson": a.registryPassword.apply((p) => dockerConfigJson(s.registry!.server, s.registry!.username, p)) },
                },
                { ...base, parent: this },
            );
            pullSecrets.push(REGISTRY_SECRET);
        }
        const tolerations = a.burstToleration ? [a.burstToleration] : undefined;

        if (s.database) {
            this.database = new Database(
                `${name}-database`,
                {
                    id,
                    namespace: s.namespace,
                    engine: s.database.engine,
                    database: s.database.name,
                    user: s.database.user,
                    storageGi: s.database.storageGi,
                    storageClass: a.databaseClass,
                    members: s.database.members,
                    initSql: s.database.initSql,
                    resources: s.database.resources,
                    protect: a.protectData,
                    ...base,
                },
                { parent: this },
            );
        }
        const common = { id, namespace: s.namespace, imagePullSecrets: pullSecrets, tolerations, provider: a.provider };
        const routes: { path: string; service: string; port: number }[] = [];
        if (s.backend) {
            const b = s.backend;
            const backend = new DjangoBackend(
                `${name}-backend`,
                {
                    ...common,
                    ...b,
                    host: s.host,
                    databaseSecret: this.database?.connectionSecret,
                    dependsOn: [ns, ...(this.database?.ready ?? [])],
                },
                { parent: this },
            );
            for (const path of b.paths) routes.push({ path, service: backend.workload.serviceName, port: b.port });
        }
        for (const w of s.workloads) {
            const db = w.useDatabase && this.database ? this.database : undefined;
            const workload = new WebWorkload(
                `${name}-${w.name}`,
                {
                    ...common,
                    ...w,
                    component: w.name,
                    service: { type: w.service, nodePort: w.nodePort },
                    secretEnv: db ? databaseEnv(db.connectionSecret) : [],
                    extraPodLabels: db ? { [DB_CLIENT_LABEL]: "true" } : {},
                    dependsOn: [ns, ...(db?.ready ?? [])],
                },
                { parent: this },
            );
            if (w.ingressPath) routes.push({ path: w.ingressPath, service: workload.serviceName, port: w.port });
        }
        if (s.frontend) {
            const f = new AngularFrontend(`${name}-frontend`, { ...common, ...s.frontend, dependsOn: [ns] }, { parent: this });
            routes.push({ path: "/", service: f.workload.serviceName, port: s.frontend.port });
        }

        this.url = `${a.issuer ? "https" : "http"}://${s.host}/`;
        if (routes.length > 0) {
            new k8s.networking.v1.Ingress(
                `${name}-ingress`,
                {
                    metadata: {
                        name: "app",
                        namespace: s.namespace,
                        labels: labels(id, "app", "ingress"),
                        annotations: a.issuer ? { "cert-manager.io/cluster-issuer": a.issuer } : {},
                    },
                    spec: {
                        ingressClassName: a.ingressClass,
                        tls: a.issuer ? [{ hosts: [s.host], secretName: "app-tls" }] : undefined,
                        rules: [
                            {
                                host: s.host,
                                http: {
                                    // Longest paths first, so /api wins over /.
                                    paths: [...routes]
                                        .sort((x, y) => y.path.length - x.path.length)
                                        .map((r) => ({ path: r.path, pathType: "Prefix", backend: { service: { name: r.service, port: { number: r.port } } } })),
                                },
                            },
                        ],
                    },
                },
                { ...base, parent: this },
            );
        }
        this.networkPolicies(name, id, a, routes, base);

        if (s.backups && this.database && a.backupCredentials) {
            new DatabaseBackups(
                `${name}-backups`,
                {
                    id,
                    namespace: s.namespace,
                    engine: s.database!.engine,
                    dbHost: this.database.host,
                    rootSecret: this.database.rootSecret,
                    schedule: s.backups.schedule,
                    retentionDays: s.backups.retentionDays,
                    bucket: s.backups.bucket,
                    prefix: `${s.namespace}/${name}`,
                    region: s.backups.region,
                    endpoint: s.backups.endpoint,
                    ...a.backupCredentials,
                    provider: a.provider,
                    dependsOn: [ns, ...this.database.ready],
                },
                { parent: this },
            );
        }
        this.registerOutputs({ url: this.url });
    }

    /**
     * Default deny for ingress in the namespace; web workloads admit the ingress controller only;
     * the database admits its clients only (the backend, its migrations, backups) and its own
     * members (Galera replication).
     */
    private networkPolicies(name: string, id: AppIdentity, a: AppArgs, routes: { service: string; port: number }[], base: { provider: k8s.Provider; dependsOn: pulumi.Resource[] }): void {
        const ns = a.settings.namespace;
        const policy = (policyName: string, spec: k8s.types.input.networking.v1.NetworkPolicySpec) =>
            new k8s.networking.v1.NetworkPolicy(`${name}-${policyName}`, { metadata: { name: policyName, namespace: ns, labels: labels(id, policyName, "network-policy") }, spec }, { ...base, parent: this });
        policy("default-deny-ingress", { podSelector: {}, policyTypes: ["Ingress"] });
        const web = new Map(routes.map((r) => [r.service, r.port]));
        for (const [service, port] of web) {
            policy(`allow-ingress-to-${service}`, {
                podSelector: { matchLabels: selector(id, service) },
                policyTypes: ["Ingress"],
                ingress: [{ from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": a.ingressNamespace } } }], ports: [{ protocol: "TCP", port }] }],
            });
        }
        for (const w of a.settings.workloads.filter((x) => x.service !== "ClusterIP")) {
            // NodePort and LoadBalancer workloads take traffic from outside the cluster by design.
            policy(`allow-external-to-${w.name}`, { podSelector: { matchLabels: selector(id, w.name) }, policyTypes: ["Ingress"], ingress: [{ ports: [{ protocol: "TCP", port: w.port }] }] });
        }
        if (this.database) {
            const members = a.settings.database!.engine === "percona" ? [{ podSelector: { matchLabels: { "app.kubernetes.io/instance": "database" } } }] : [];
            policy("allow-clients-to-database", {
                podSelector: { matchLabels: a.settings.database!.engine === "percona" ? { "app.kubernetes.io/instance": "database" } : this.database.podSelector },
                policyTypes: ["Ingress"],
                ingress: [
                    { from: [{ podSelector: { matchLabels: { [DB_CLIENT_LABEL]: "true" } } }], ports: [{ protocol: "TCP", port: DB_PORT }] },
                    ...(members.length ? [{ from: [...members, { podSelector: { matchLabels: { "app.kubernetes.io/name": "pxc-operator" } } }] }] : []),
                ],
            });
        }
    }
}
