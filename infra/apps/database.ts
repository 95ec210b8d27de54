/**
 * The app's database: MariaDB as a StatefulSet, or a Percona XtraDB (Galera) cluster through the
 * Percona operator. Either way the app reads its connection from one Secret (`<db>-connection`:
 * host, port, database, user, password) and never sees a literal password. Data is never lost by
 * accident: volumes come from the platform's database class (Retain in prod), volume claims
 * outlive the workload, and the database's resources are protected in prod.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { IMAGES, PERCONA_CHARTS } from "./images";
import { type AppIdentity, DB_CLIENT_LABEL, labels, selector } from "./labels";
import { containerSecurity, type Resources, resourceSpec } from "./workload";

export const DB_PORT = 3306;

export interface DatabaseArgs {
    readonly id: AppIdentity;
    readonly namespace: pulumi.Input<string>;
    readonly engine: "mariadb" | "percona";
    readonly database: string;
    readonly user: string;
    readonly storageGi: number;
    readonly storageClass: string;
    readonly members: number;
    readonly initSql?: string;
    readonly resources: Resources;
    /** `protect` the database's resources (prod). */
    readonly protect: boolean;
    readonly provider: k8s.Provider;
    readonly dependsOn?: pulumi.Resource[];
}

export class Database extends pulumi.ComponentResource {
    /** Secret with host, port, database, user, password. */
    readonly connectionSecret: string;
    /** Labels of the database's pods (network policies). */
    readonly podSelector: Record<string, string>;
    /** Secret key holding the root password, for dumps. */
    readonly rootSecret: { readonly name: pulumi.Input<string>; readonly key: string };
    /** Host clients connect to. */
    readonly host: string;
    readonly ready: pulumi.Resource[];

    constructor(name: string, a: DatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
        super(a.engine === "mariadb" ? "infra:apps:MariaDb" : "infra:apps:PerconaCluster", name, {}, opts);
        const password = (what: string) =>
            new random.RandomPassword(`${name}-${what}-password`, { length: 32, special: false }, { parent: this, protect: a.protect }).result;
        const appPassword = password("app");
        const child = { provider: a.provider, parent: this, dependsOn: a.dependsOn };
        const kept = { ...child, protect: a.protect };
        this.connectionSecret = "database-connection";
        this.podSelector = selector(a.id, "database");

        if (a.engine === "mariadb") {
            const lbls = labels(a.id, "database", "database");
            const rootPassword = password("root");
            const secret = new k8s.core.v1.Secret(
                `${name}-credentials`,
                { metadata: { name: "database-credentials", namespace: a.namespace, labels: lbls }, type: "Opaque", stringData: { "root-password": rootPassword, password: appPassword } },
                kept,
            );
            this.rootSecret = { name: "database-credentials", key: "root-password" };
            this.host = "database";
            const init = a.initSql
                ? new k8s.core.v1.ConfigMap(`${name}-init`, { metadata: { name: "database-init", namespace: a.namespace, labels: lbls }, data: { "10-init.sql": a.initSql } }, child)
                : undefined;
            const headless = new k8s.core.v1.Service(
                `${name}-svc`,
                { metadata: { name: "database", namespace: a.namespace, labels: lbls }, spec: { clusterIP: "None", selector: this.podSelector, ports: [{ name: "mysql", port: DB_PORT, targetPort: "mysql" }] } },
                child,
            );
            const fromSecret = (key: string) => ({ secretKeyRef: { name: "database-credentials", key } });
            const health = { exec: { command: ["healthcheck.sh", "--connect", "--innodb_initialized"] } };
            const sts = new k8s.apps.v1.StatefulSet(
                name,
                {
                    metadata: { name: "database", namespace: a.namespace, labels: lbls },
                    spec: {
                        serviceName: "database",
                        replicas: 1,
                        selector: { matchLabels: this.podSelector },
                        // Claims outlive the StatefulSet: deleting or recreating the workload keeps the data.
                        persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" },
                        template: {
                            metadata: { labels: lbls },
                            spec: {
                                securityContext: { runAsNonRoot: true, runAsUser: 999, runAsGroup: 999, fsGroup: 999, seccompProfile: { type: "RuntimeDefault" } },
                                containers: [
                                    {
                                        name: "mariadb",
                                        image: IMAGES.mariadb,
                                        ports: [{ name: "mysql", containerPort: DB_PORT }],
                                        env: [
                                            { name: "MARIADB_ROOT_PASSWORD", valueFrom: fromSecret("root-password") },
                                            { name: "MARIADB_DATABASE", value: a.database },
                                            { name: "MARIADB_USER", value: a.user },
                                            { name: "MARIADB_PASSWORD", valueFrom: fromSecret("password") },
                                        ],
                                        readinessProbe: { ...health, periodSeconds: 10, timeoutSeconds: 5 },
                                        livenessProbe: { ...health, initialDelaySeconds: 60, periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 6 },
                                        resources: resourceSpec(a.resources),
                                        securityContext: containerSecurity(),
                                        volumeMounts: [
                                            { name: "data", mountPath: "/var/lib/mysql" },
                                            ...(init ? [{ name: "init", mountPath: "/docker-entrypoint-initdb.d", readOnly: true }] : []),
                                        ],
                                    },
                                ],
                                volumes: init ? [{ name: "init", configMap: { name: "database-init" } }] : [],
                            },
                        },
                        volumeClaimTemplates: [
                            {
                                metadata: { name: "data", labels: lbls },
                                spec: { accessModes: ["ReadWriteOnce"], storageClassName: a.storageClass, resources: { requests: { storage: `${a.storageGi}Gi` } } },
                            },
                        ],
                    },
                },
                { ...kept, dependsOn: [secret, headless, ...(init ? [init] : [])] },
            );
            this.ready = [sts];
        } else {
            // The operator generates the system users' passwords into `<cluster>-secrets`.
            const cluster = "database";
            this.rootSecret = { name: `${cluster}-secrets`, key: "root" };
            this.host = `${cluster}-haproxy`;
            const operator = new k8s.helm.v4.Chart(
                `${name}-operator`,
                { chart: PERCONA_CHARTS.operator.chart, version: PERCONA_CHARTS.operator.version, repositoryOpts: { repo: PERCONA_CHARTS.operator.repo }, namespace: a.namespace, values: { watchNamespace: "" } },
                child,
            );
            const resources = resourceSpec(a.resources);
            const db = new k8s.helm.v4.Chart(
                `${name}-cluster`,
                {
                    chart: PERCONA_CHARTS.db.chart,
                    version: PERCONA_CHARTS.db.version,
                    repositoryOpts: { repo: PERCONA_CHARTS.db.repo },
                    namespace: a.namespace,
                    name: cluster,
                    values: {
                        fullnameOverride: cluster,
                        pxc: {
                            size: a.members,
                            resources,
                            persistence: { enabled: true, storageClass: a.storageClass, size: `${a.storageGi}Gi` },
                            podDisruptionBudget: { maxUnavailable: 1 },
                        },
                        haproxy: { enabled: true, size: 2 },
                        proxysql: { enabled: false },
                        // Dumps to object storage are the app's backup CronJob (infra/apps/backups.ts).
                        backup: { enabled: false },
                    },
                },
                { ...kept, dependsOn: [operator] },
            );
            // The app's database and user, created once the cluster answers; the password comes
            // from Secrets in the pod's environment, never from the command line.
            const bootstrapSecret = new k8s.core.v1.Secret(
                `${name}-app-user`,
                { metadata: { name: "database-app-user", namespace: a.namespace, labels: labels(a.id, "database", "database") }, type: "Opaque", stringData: { password: appPassword } },
                kept,
            );
            const job = new k8s.batch.v1.Job(
                `${name}-bootstrap`,
                {
                    metadata: { name: "database-bootstrap", namespace: a.namespace, labels: labels(a.id, "database-bootstrap", "database") },
                    spec: {
                        backoffLimit: 20,
                        template: {
                            metadata: { labels: { ...labels(a.id, "database-bootstrap", "database"), [DB_CLIENT_LABEL]: "true" } },
                            spec: {
                                restartPolicy: "OnFailure",
                                securityContext: { runAsNonRoot: true, runAsUser: 999, seccompProfile: { type: "RuntimeDefault" } },
                                containers: [
                                    {
                                        name: "bootstrap",
                                        image: IMAGES.mysqlClient,
                                        command: ["sh", "-ec", bootstrapSql(this.host)],
                                        env: [
                                            { name: "MYSQL_PWD", valueFrom: { secretKeyRef: { name: `${cluster}-secrets`, key: "root" } } },
                                            { name: "APP_PASSWORD", valueFrom: { secretKeyRef: { name: "database-app-user", key: "password" } } },
                                            { name: "APP_DATABASE", value: a.database },
                                            { name: "APP_USER", value: a.user },
                                        ],
                                        resources: resourceSpec({ cpuRequest: "50m", memoryRequest: "64Mi", cpuLimit: "500m", memoryLimit: "256Mi" }),
                                        securityContext: containerSecurity(),
                                    },
                                ],
                            },
                        },
                    },
                },
                { ...child, dependsOn: [db, bootstrapSecret] },
            );
            this.ready = [db, job];
        }
        const host = this.host;
        new k8s.core.v1.Secret(
            `${name}-connection`,
            {
                metadata: { name: this.connectionSecret, namespace: a.namespace, labels: labels(a.id, "database", "database") },
                type: "Opaque",
                stringData: { host, port: String(DB_PORT), database: a.database, user: a.user, password: appPassword },
            },
            kept,
        );
        this.registerOutputs({});
    }
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
