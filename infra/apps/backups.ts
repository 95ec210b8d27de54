/**
 * Database backups: a CronJob dumps the database (database image) and uploads the dump to
 * S3-compatible storage, pruning dumps past the retention (aws-cli image); a suspended CronJob
 * with the same images, secrets and paths restores one (`kubectl create job --from=cronjob/...`).
 * The scripts are real files (infra/apps/scripts/), mounted from a ConfigMap.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { loadScript } from "../shell";
import { IMAGES } from "./images";
import { type AppIdentity, DB_CLIENT_LABEL, labels } from "./labels";
import { containerSecurity, resourceSpec } from "./workload";

export const BACKUP_SCRIPTS = {
    "backup-dump.sh": loadScript(__dirname, "backup-dump.sh"),
    "backup-upload.sh": loadScript(__dirname, "backup-upload.sh"),
    "restore.sh": loadScript(__dirname, "restore.sh"),
} as const;

export interface BackupArgs {
    readonly id: AppIdentity;
    readonly namespace: pulumi.Input<string>;
    readonly engine: "mariadb" | "percona";
    readonly dbHost: string;
    readonly rootSecret: { readonly name: pulumi.Input<string>; readonly key: string };
    readonly schedule: string;
    readonly retentionDays: number;
    readonly bucket: string;
    readonly prefix: string;
    readonly region: string;
    readonly endpoint?: string;
    readonly accessKeyId: pulumi.Output<string>;
    readonly secretAccessKey: pulumi.Output<string>;
    readonly provider: k8s.Provider;
    readonly dependsOn?: pulumi.Resource[];
}

export class DatabaseBackups extends pulumi.ComponentResource {
    readonly backup: k8s.batch.v1.CronJob;
    readonly restore: k8s.batch.v1.CronJob;

    constructor(name: string, a: BackupArgs, opts?: pulumi.ComponentResourceOptions) {
        super("infra:apps:DatabaseBackups", name, {}, opts);
        const child = { provider: a.provider, parent: this, dependsOn: a.dependsOn };
        const lbls = labels(a.id, "database-backup", "backup");
        new k8s.core.v1.Secret(
            `${name}-credentials`,
            { metadata: { name: "backup-credentials", namespace: a.namespace, labels: lbls }, type: "Opaque", stringData: { "access-key-id": a.accessKeyId, "secret-access-key": a.secretAccessKey } },
            child,
        );
        new k8s.core.v1.ConfigMap(`${name}-scripts`, { metadata: { name: "backup-scripts", namespace: a.namespace, labels: lbls }, data: BACKUP_SCRIPTS }, child);

        const dbImage = a.engine === "mariadb" ? IMAGES.mariadb : IMAGES.mysqlClient;
        const storageEnv = [
            { name: "BUCKET", value: a.bucket },
            { name: "PREFIX", value: a.prefix },
            { name: "AWS_DEFAULT_REGION", value: a.region },
            ...(a.endpoint ? [{ name: "ENDPOINT", value: a.endpoint }] : []),
            { name: "AWS_ACCESS_KEY_ID", valueFrom: { secretKeyRef: { name: "backup-credentials", key: "access-key-id" } } },
            { name: "AWS_SECRET_ACCESS_KEY", valueFrom: { secretKeyRef: { name: "backup-credentials", key: "secret-access-key" } } },
            { name: "HOME", value: "/tmp" },
        ];
        const dbEnv = [
            { name: "DB_HOST", value: a.dbHost },
            { name: "MYSQL_PWD", valueFrom: { secretKeyRef: { name: a.rootSecret.name, key: a.rootSecret.key } } },
        ];
        const small = resourceSpec({ cpuRequest: "50m", memoryRequest: "128Mi", cpuLimit: "1", memoryLimit: "512Mi" });
        const mounts = [
            { name: "backup", mountPath: "/backup" },
            { name: "scripts", mountPath: "/scripts", readOnly: true },
        ];
        const step = (stepName: string, image: string, args: string[], env: k8s.types.input.core.v1.EnvVar[], user: number) => ({
            name: stepName,
            image,
            command: ["bash", ...args],
            env,
            resources: small,
            securityContext: { ...containerSecurity(), runAsUser: user },
            volumeMounts: mounts,
        });
        const podSpec = (init: object, main: object) => ({
            metadata: { labels: { ...lbls, [DB_CLIENT_LABEL]: "true" } },
            spec: {
                restartPolicy: "OnFailure",
                securityContext: { runAsNonRoot: true, fsGroup: 999, seccompProfile: { type: "RuntimeDefault" } },
                initContainers: [init],
                containers: [main],
                volumes: [
                    { name: "backup", emptyDir: {} },
                    { name: "scripts", configMap: { name: "backup-scripts", defaultMode: 0o555 } },
                ],
            },
        });
        const jobTemplate = (template: object) => ({ spec: { backoffLimit: 2, activeDeadlineSeconds: 6 * 3600, template } });
        this.backup = new k8s.batch.v1.CronJob(
            `${name}-backup`,
            {
                metadata: { name: "database-backup", namespace: a.namespace, labels: lbls },
                spec: {
                    schedule: a.schedule,
                    timeZone: "Etc/UTC",
                    concurrencyPolicy: "Forbid",
                    successfulJobsHistoryLimit: 3,
                    failedJobsHistoryLimit: 3,
                    jobTemplate: jobTemplate(
                        podSpec(
                            step("dump", dbImage, ["/scripts/backup-dump.sh"], [...dbEnv, { name: "DUMP_TOOL", value: a.engine === "mariadb" ? "mariadb-dump" : "mysqldump" }], 999),
                            step("upload", IMAGES.awsCli, ["/scripts/backup-upload.sh"], [...storageEnv, { name: "RETENTION_DAYS", value: String(a.retentionDays) }], 1000),
                        ),
                    ),
                },
            },
            child,
        );
        this.restore = new k8s.batch.v1.CronJob(
            `${name}-restore`,
            {
                metadata: { name: "database-restore", namespace: a.namespace, labels: labels(a.id, "database-restore", "backup") },
                spec: {
                    // Never runs by itself: `kubectl create job --from=cronjob/database-restore ...`.
                    suspend: true,
                    schedule: "0 0 31 2 *",
                    jobTemplate: jobTemplate(
                        podSpec(
                            step("fetch", IMAGES.awsCli, ["/scripts/restore.sh", "fetch"], storageEnv, 1000),
                            step("load", dbImage, ["/scripts/restore.sh", "load"], [...dbEnv, { name: "CLIENT", value: a.engine === "mariadb" ? "mariadb" : "mysql" }], 999),
                        ),
                    ),
                },
            },
            child,
        );
        this.registerOutputs({});
    }
}
