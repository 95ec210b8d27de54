/**
 * `PerconaCluster`: a Percona XtraDB (Galera) cluster through the Percona operator, HAProxy in
 * front, and a Job that creates the app's database and user once the cluster answers. The
 * operator generates the system users' passwords into `<cluster>-secrets`.
 */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { installChart, type PodSecurityLevel } from "../../platform/helm";
import { CHARTS } from "../../platform/versions";
import { IMAGES } from "../images";
import { type AppIdentity, DB_CLIENT_LABEL, labels } from "../labels";
import { containerSecurity, NO_API_TOKEN, resourceSpec, scratch } from "../workload";
import type { Database, DatabaseArgs } from ".";
import { thinComponent } from "../../component";
import { CONNECTION_SECRET, createConnectionSecret, generatedPassword } from "./connection";

export interface PerconaClusterArgs extends DatabaseArgs {
    /** Galera members; odd, for quorum. */
    readonly members: number;
    /** Pod Security level of the app's namespace, which the charts install into. */
    readonly podSecurity: PodSecurityLevel;
}

/** The cluster's name: Helm release and `fullnameOverride`, so objects are `database-*`. */
export const PERCONA_CLUSTER = "database";
/** Clients go through HAProxy, which sends them to a healthy member. */
export const PERCONA_HOST = `${PERCONA_CLUSTER}-haproxy`;
const APP_USER_SECRET = "database-app-user";

/** The chart labels every pod of the cluster (members, HAProxy) with its release. */
export function perconaPodSelector(): Record<string, string> {
    return { "app.kubernetes.io/instance": PERCONA_CLUSTER };
}

/** Members replicate to each other (Galera, SST/IST) and the operator manages them, on ports of their own. */
export function perconaPeers(): k8s.types.input.networking.v1.NetworkPolicyPeer[] {
    return [{ podSelector: { matchLabels: perconaPodSelector() } }, { podSelector: { matchLabels: { "app.kubernetes.io/name": CHARTS.perconaOperator.chart } } }];
}

/**
 * Empty `watchNamespace`: the operator watches its release's namespace only (the chart's default).
 * The chart gives the operator's container no securityContext (`containerSecurityContext: {}`); it
 * gets the restricted profile's (its image runs as uid 2), so it runs in any namespace.
 */
export function perconaOperatorValues(): object {
    return {
        watchNamespace: "",
        containerSecurityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, runAsNonRoot: true, runAsUser: 2, seccompProfile: { type: "RuntimeDefault" } },
    };
}

/**
 * The cluster's pods (members, HAProxy) are the operator's: the PerconaXtraDBCluster resource of
 * 1.20.0 sets their `serviceAccountName` and security contexts (commented out in pxc-db's
 * values.yaml) but has no `automountServiceAccountToken`, so the app's token and read-only rules
 * stop at the pods this program renders itself (the bootstrap Job, the backups).
 */
export function perconaClusterValues(a: Pick<PerconaClusterArgs, "members" | "resources" | "storageClass" | "storageGi">): object {
    return {
        fullnameOverride: PERCONA_CLUSTER,
        pxc: {
            size: a.members,
            resources: resourceSpec(a.resources),
            persistence: { enabled: true, storageClass: a.storageClass, size: `${a.storageGi}Gi` },
            podDisruptionBudget: { maxUnavailable: 1 },
        },
        haproxy: { enabled: true, size: 2 },
        proxysql: { enabled: false },
        // Dumps to object storage are the app's backup CronJob (infra/apps/backups.ts).
        backup: { enabled: false },
    };
}

/**
 * SQL that creates the app's database and user if missing. Names are validated identifiers
 * (config schema) and the password is generated alphanumeric, read from the environment.
 */
export function bootstrapSql(host: string): string {
    return [
        `until mysql -h ${host} -u root -e 'SELECT 1' >/dev/null 2>&1; do echo waiting for the database; sleep 5; done`,
        `mysql -h ${host} -u root -e "CREATE DATABASE IF NOT EXISTS \\\`$APP_DATABASE\\\`; CREATE USER IF NOT EXISTS '$APP_USER'@'%' IDENTIFIED BY '$APP_PASSWORD'; GRANT ALL PRIVILEGES ON \\\`$APP_DATABASE\\\`.* TO '$APP_USER'@'%';"`,
    ].join("\n");
}

/**
 * The Job that creates the app's database and user; passwords come from Secrets in its environment,
 * never the command line. The mysql client writes nothing (no history outside interactive use); its
 * root filesystem is read-only with /tmp an emptyDir, as every app container's.
 */
export function bootstrapJobSpec(a: { readonly id: AppIdentity; readonly database: string; readonly user: string }): k8s.types.input.batch.v1.JobSpec {
    const writable = scratch();
    return {
        backoffLimit: 20,
        template: {
            metadata: { labels: { ...labels(a.id, "database-bootstrap", "database"), [DB_CLIENT_LABEL]: "true" } },
            spec: {
                ...NO_API_TOKEN,
                restartPolicy: "OnFailure",
                securityContext: { runAsNonRoot: true, runAsUser: 999, seccompProfile: { type: "RuntimeDefault" } },
                containers: [
                    {
                        name: "bootstrap",
                        image: IMAGES.mysqlClient,
                        command: ["sh", "-ec", bootstrapSql(PERCONA_HOST)],
                        env: [
                            { name: "MYSQL_PWD", valueFrom: { secretKeyRef: { name: `${PERCONA_CLUSTER}-secrets`, key: "root" } } },
                            { name: "APP_PASSWORD", valueFrom: { secretKeyRef: { name: APP_USER_SECRET, key: "password" } } },
                            { name: "APP_DATABASE", value: a.database },
                            { name: "APP_USER", value: a.user },
                        ],
                        resources: resourceSpec({ cpuRequest: "50m", memoryRequest: "64Mi", cpuLimit: "500m", memoryLimit: "256Mi" }),
                        securityContext: containerSecurity(),
                        volumeMounts: writable.mounts,
                    },
                ],
                volumes: writable.volumes,
            },
        },
    };
}

export function createPerconaCluster(name: string, a: PerconaClusterArgs, parent: pulumi.Resource): Database {
    const appPassword = generatedPassword(name, "app", a.protect, parent);
    const charts = { namespace: a.namespace, podSecurity: a.podSecurity, createNamespace: false, provider: a.provider };
    const operator = installChart(`${name}-operator`, { ...charts, ref: CHARTS.perconaOperator, values: perconaOperatorValues(), dependsOn: a.dependsOn }, parent);
    const cluster = installChart(
        `${name}-cluster`,
        { ...charts, ref: CHARTS.perconaDb, releaseName: PERCONA_CLUSTER, values: perconaClusterValues(a), dependsOn: [operator], protect: a.protect },
        parent,
    );
    const bootstrapSecret = new k8s.core.v1.Secret(
        `${name}-app-user`,
        { metadata: { name: APP_USER_SECRET, namespace: a.namespace, labels: labels(a.id, "database", "database") }, type: "Opaque", stringData: { password: appPassword } },
        { provider: a.provider, parent, dependsOn: a.dependsOn, protect: a.protect },
    );
    const job = new k8s.batch.v1.Job(
        `${name}-bootstrap`,
        { metadata: { name: "database-bootstrap", namespace: a.namespace, labels: labels(a.id, "database-bootstrap", "database") }, spec: bootstrapJobSpec(a) },
        { provider: a.provider, parent, dependsOn: [cluster, bootstrapSecret] },
    );
    createConnectionSecret(name, a, PERCONA_HOST, appPassword, parent);
    return {
        engine: "percona",
        connectionSecret: CONNECTION_SECRET,
        podSelector: perconaPodSelector(),
        peers: perconaPeers(),
        rootSecret: { name: `${PERCONA_CLUSTER}-secrets`, key: "root" },
        host: PERCONA_HOST,
        ready: [cluster, job],
    };
}

export class PerconaCluster extends thinComponent<PerconaClusterArgs, Database>("infra:apps:PerconaCluster", createPerconaCluster) {}
