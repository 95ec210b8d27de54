/**
 * The application layer: namespace, registry credentials, database, Django backend, Angular
 * frontend, further web workloads, one Ingress for the host, network policies and backups. It
 * takes a `k8s.Provider` and the platform's choices (issuer, database class), nothing else.
 * `App` is a thin component over `createApp`; each piece of it is a function of its own, and the
 * objects' specs are pure functions (network-policies.ts, ingress.ts, workload.ts, ...).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Settings } from "../config";
import type { PodSecurityLevel } from "../platform/helm";
import { AngularFrontend } from "./angular";
import { DatabaseBackups } from "./backups";
import { type Database, newDatabase } from "./database";
import { databaseEnv, DjangoBackend } from "./django";
import { appUrl, ingressAnnotations, ingressSpec, type Route } from "./ingress";
import { type AppIdentity, DB_CLIENT_LABEL, labels } from "./labels";
import { networkPolicies } from "./network-policies";
import { WebWorkload } from "./workload";
import { thinComponent } from "../component";

export type AppSettings = NonNullable<Settings["apps"]>;

export interface AppArgs {
    /** The stack's `infra:apps` settings. */
    readonly settings: AppSettings;
    /** The stack's environment (dev, staging, prod...). */
    readonly environment: string;
    /** Provider of the cluster. */
    readonly provider: k8s.Provider;
    /** What must exist first (the platform). */
    readonly dependsOn: pulumi.Resource[];
    /** The cluster issuer of the app's certificate (none: plain HTTP). */
    readonly issuer?: string;
    /** Class of the platform's ingress controller. */
    /**
     * The ingress controller publishes a status address on the Ingress (false: nothing will, and the
     * Ingress carries `pulumi.com/skipAwait`, or Pulumi would wait for one until it times out).
     */
    readonly ingressPublishesStatus: boolean;
    readonly ingressClass: string;
    /** Namespace of the ingress controller, the only source of web traffic. */
    readonly ingressNamespace: string;
    /** Storage class of the database's volumes. */
    readonly databaseClass: string;
    /** Password of the private registry in `settings.registry`. */
    readonly registryPassword?: pulumi.Output<string>;
    /** `infra:appSecrets`: the app's own secrets, a JSON map NAME -> value (secret). */
    readonly appSecrets?: pulumi.Output<string>;
    /** Keys of the backups' bucket; no backups without them. */
    readonly backupCredentials?: { readonly accessKeyId: pulumi.Output<string>; readonly secretAccessKey: pulumi.Output<string> };
    /** Taint key and value burst workers carry; set when the app tolerates them. */
    readonly burstToleration?: k8s.types.input.core.v1.Toleration;
    /** `protect` the database's resources (prod). */
    readonly protectData: boolean;
}

export const REGISTRY_SECRET = "registry-credentials";

/**
 * The app namespace's Pod Security level: restricted, the least the app's own pods need. Percona's
 * pods (pxc-db 1.20.0: no container securityContext, fsGroup only) need baseline, which the
 * namespace then enforces; it still warns at restricted.
 */
export function appPodSecurity(engine: string | undefined): PodSecurityLevel {
    return engine === "percona" ? "baseline" : "restricted";
}

/** The `.dockerconfigjson` of a private registry. */
export function dockerConfigJson(server: string, username: string, password: string): string {
    return JSON.stringify({ auths: { [server]: { username, password, auth: Buffer.from(`${username}:${password}`).toString("base64") } } });
}

export function namespaceLabels(namespace: string, enforce: PodSecurityLevel): Record<string, string> {
    return {
        "pod-security.kubernetes.io/enforce": enforce,
        "pod-security.kubernetes.io/warn": "restricted",
        "app.kubernetes.io/part-of": namespace,
        "app.kubernetes.io/managed-by": "pulumi",
    };
}

/** What the pieces of an app share: who it is, where it runs, and the namespace they wait for. */
interface AppContext {
    readonly name: string;
    readonly args: AppArgs;
    readonly id: AppIdentity;
    readonly ns: k8s.core.v1.Namespace;
    readonly parent: pulumi.Resource;
    /** Options of the app's own objects: after the namespace. */
    readonly child: pulumi.CustomResourceOptions;
}

function createRegistrySecret(c: AppContext): string[] {
    const s = c.args.settings;
    if (!s.registry || !c.args.registryPassword) return [];
    const registry = s.registry;
    new k8s.core.v1.Secret(
        `${c.name}-registry`,
        {
            metadata: { name: REGISTRY_SECRET, namespace: s.namespace, labels: labels(c.id, "registry", "registry") },
            type: "kubernetes.io/dockerconfigjson",
            stringData: { ".dockerconfigjson": c.args.registryPassword.apply((p) => dockerConfigJson(registry.server, registry.username, p)) },
        },
        c.child,
    );
    return [REGISTRY_SECRET];
}

/** The Secret of the app's own secrets (`infra:appSecrets`); workloads read the entries their `secrets` list. */
export const APP_SECRET = "app-secrets";

function createAppSecrets(c: AppContext): k8s.core.v1.Secret | undefined {
    if (!c.args.appSecrets) return undefined;
    return new k8s.core.v1.Secret(
        `${c.name}-app-secrets`,
        {
            metadata: { name: APP_SECRET, namespace: c.args.settings.namespace, labels: labels(c.id, "app-secrets", "app-secrets") },
            type: "Opaque",
            stringData: pulumi.secret(c.args.appSecrets.apply((json) => JSON.parse(json) as Record<string, string>)),
        },
        c.child,
    );
}

/** Environment variables from the app's Secret, one per listed entry. */
export function appSecretEnv(names: readonly string[]): k8s.types.input.core.v1.EnvVar[] {
    return names.map((name) => ({ name, valueFrom: { secretKeyRef: { name: APP_SECRET, key: name } } }));
}

function createAppDatabase(c: AppContext): Database | undefined {
    const s = c.args.settings;
    if (!s.database) return undefined;
    return newDatabase(
        `${c.name}-database`,
        {
            id: c.id,
            namespace: s.namespace,
            engine: s.database.engine,
            database: s.database.name,
            user: s.database.user,
            storageGi: s.database.storageGi,
            storageClass: c.args.databaseClass,
            members: s.database.members,
            initSql: s.database.initSql,
            resources: s.database.resources,
            protect: c.args.protectData,
            podSecurity: appPodSecurity(s.database.engine),
            provider: c.args.provider,
            dependsOn: [c.ns],
        },
        { parent: c.parent },
    );
}

/** The backend, the further workloads and the frontend; returns what the Ingress routes to them. */
function createWebWorkloads(c: AppContext, pullSecrets: string[], db: Database | undefined, appSecrets: k8s.core.v1.Secret | undefined): Route[] {
    const s = c.args.settings;
    const secretsReady = appSecrets ? [appSecrets] : [];
    const common = { id: c.id, namespace: s.namespace, imagePullSecrets: pullSecrets, tolerations: c.args.burstToleration ? [c.args.burstToleration] : undefined, provider: c.args.provider };
    const routes: Route[] = [];
    if (s.backend) {
        const b = s.backend;
        const backend = new DjangoBackend(
            `${c.name}-backend`,
            { ...common, ...b, host: s.host, databaseSecret: db?.connectionSecret, appSecretEnv: appSecretEnv(b.secrets), dependsOn: [c.ns, ...secretsReady, ...(db?.ready ?? [])] },
            { parent: c.parent },
        );
        for (const path of b.paths) routes.push({ path, service: backend.workload.serviceName, port: b.port });
    }
    for (const w of s.workloads) {
        const wdb = w.useDatabase ? db : undefined;
        const workload = new WebWorkload(
            `${c.name}-${w.name}`,
            {
                ...common,
                ...w,
                component: w.name,
                service: { type: w.service, nodePort: w.nodePort },
                secretEnv: [...(wdb ? databaseEnv(wdb.connectionSecret) : []), ...appSecretEnv(w.secrets)],
                extraPodLabels: wdb ? { [DB_CLIENT_LABEL]: "true" } : {},
                dependsOn: [c.ns, ...secretsReady, ...(wdb?.ready ?? [])],
            },
            { parent: c.parent },
        );
        if (w.ingressPath) routes.push({ path: w.ingressPath, service: workload.serviceName, port: w.port });
    }
    if (s.frontend) {
        const f = new AngularFrontend(`${c.name}-frontend`, { ...common, ...s.frontend, secretEnv: appSecretEnv(s.frontend.secrets), dependsOn: [c.ns, ...secretsReady] }, { parent: c.parent });
        routes.push({ path: "/", service: f.workload.serviceName, port: s.frontend.port });
    }
    return routes;
}

function createIngress(c: AppContext, routes: Route[]): void {
    const s = c.args.settings;
    if (routes.length === 0) return;
    new k8s.networking.v1.Ingress(
        `${c.name}-ingress`,
        {
            metadata: { name: "app", namespace: s.namespace, labels: labels(c.id, "app", "ingress"), annotations: ingressAnnotations(c.args.issuer, c.args.ingressPublishesStatus) },
            spec: ingressSpec({ host: s.host, ingressClass: c.args.ingressClass, issuer: c.args.issuer, routes }),
        },
        c.child,
    );
}

function createNetworkPolicies(c: AppContext, routes: Route[], db: Database | undefined): void {
    const s = c.args.settings;
    for (const p of networkPolicies({ id: c.id, ingressNamespace: c.args.ingressNamespace, routes, workloads: s.workloads, database: db })) {
        new k8s.networking.v1.NetworkPolicy(
            `${c.name}-${p.name}`,
            { metadata: { name: p.name, namespace: s.namespace, labels: labels(c.id, p.name, "network-policy") }, spec: p.spec },
            c.child,
        );
    }
}

function createBackups(c: AppContext, db: Database | undefined): void {
    const s = c.args.settings;
    if (!s.backups || !db || !c.args.backupCredentials) return;
    new DatabaseBackups(
        `${c.name}-backups`,
        {
            id: c.id,
            namespace: s.namespace,
            engine: db.engine,
            dbHost: db.host,
            rootSecret: db.rootSecret,
            schedule: s.backups.schedule,
            retentionDays: s.backups.retentionDays,
            bucket: s.backups.bucket,
            prefix: `${s.namespace}/${c.name}`,
            region: s.backups.region,
            endpoint: s.backups.endpoint,
            ...c.args.backupCredentials,
            provider: c.args.provider,
            dependsOn: [c.ns, ...db.ready],
        },
        { parent: c.parent },
    );
}

export interface AppResult {
    readonly namespace: string;
    readonly url: string;
    readonly database?: Database;
}

export function createApp(name: string, a: AppArgs, parent: pulumi.Resource): AppResult {
    const s = a.settings;
    const ns = new k8s.core.v1.Namespace(`${name}-ns`, { metadata: { name: s.namespace, labels: namespaceLabels(s.namespace, appPodSecurity(s.database?.engine)) } }, { provider: a.provider, parent, dependsOn: a.dependsOn });
    const c: AppContext = { name, args: a, id: { partOf: s.namespace, instance: name }, ns, parent, child: { provider: a.provider, dependsOn: [ns], parent } };
    const pullSecrets = createRegistrySecret(c);
    const database = createAppDatabase(c);
    const routes = createWebWorkloads(c, pullSecrets, database, createAppSecrets(c));
    createIngress(c, routes);
    createNetworkPolicies(c, routes, database);
    createBackups(c, database);
    return { namespace: s.namespace, url: appUrl(s.host, a.issuer), database };
}

export class App extends thinComponent("infra:apps:App", createApp, (r) => ({ url: r.url })) {}
