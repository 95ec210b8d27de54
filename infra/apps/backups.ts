/**
 * Database backups: a CronJob dumps the database (database image) and uploads the dump to
 * S3-compatible storage, pruning dumps past the retention (aws-cli image); a suspended CronJob
 * with the same images, secrets and paths restores one (`kubectl create job --from=cronjob/...`).
 * The scripts are real files (infra/apps/scripts/), mounted from a ConfigMap.
 *
 * Root filesystems are read-only. The steps write the dump directory (/backup, an emptyDir the two
 * steps of a job share: the dump and its `latest` name, the fetched dump) and /tmp (aws-cli's HOME,
 * `storageEnv`); the clients write nothing else (mariadb-dump and mysqldump stream to gzip, the
 * load streams from gunzip).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { loadScript } from "../shell";
import type { DatabaseEngine } from "./database";
import { IMAGES } from "./images";
import { type AppIdentity, DB_CLIENT_LABEL, labels } from "./labels";
import { containerSecurity, NO_API_TOKEN, resourceSpec, scratch, TMP } from "./workload";
import { thinComponent } from "../component";

type EnvVar = k8s.types.input.core.v1.EnvVar;
type CronJobSpec = k8s.types.input.batch.v1.CronJobSpec;

export const BACKUP_SCRIPTS = {
    "backup-dump.sh": loadScript(__dirname, "backup-dump.sh"),
    "backup-upload.sh": loadScript(__dirname, "backup-upload.sh"),
    "restore.sh": loadScript(__dirname, "restore.sh"),
} as const;

/** Each engine is dumped and loaded with its own client, from the image that carries it. */
export const DB_TOOLS = {
    mariadb: { image: IMAGES.mariadb, dump: "mariadb-dump", client: "mariadb" },
    percona: { image: IMAGES.mysqlClient, dump: "mysqldump", client: "mysql" },
} as const satisfies Record<DatabaseEngine, { image: string; dump: string; client: string }>;

const CREDENTIALS = "backup-credentials";
/** Where the scripts read and write dumps (their BACKUP_DIR default). */
export const BACKUP_DIR = "/backup";
const SCRIPTS = "backup-scripts";
// The database images run as mysql (999), aws-cli as any non-root user.
const DB_USER = 999;
const CLI_USER = 1000;

/** What the backup and restore jobs are made of. */
export interface BackupSpecArgs {
    /** The app the jobs belong to (labels). */
    readonly id: AppIdentity;
    /** Engine of the database: picks the dump and load client. */
    readonly engine: DatabaseEngine;
    /** Host of the database. */
    readonly dbHost: string;
    /** Secret key holding the database's root password. */
    readonly rootSecret: { readonly name: pulumi.Input<string>; readonly key: string };
    /** Cron schedule of the dumps, in UTC. */
    readonly schedule: string;
    /** Dumps older than this are deleted after each upload. */
    readonly retentionDays: number;
    /** Bucket of the dumps. */
    readonly bucket: string;
    /** Key prefix of this app's dumps in the bucket. */
    readonly prefix: string;
    /** Region of the bucket. */
    readonly region: string;
    /** S3 endpoint of a provider other than AWS. */
    readonly endpoint?: string;
}

export interface BackupArgs extends BackupSpecArgs {
    /** Namespace of the jobs: the app's. */
    readonly namespace: pulumi.Input<string>;
    /** Access key of the bucket. */
    readonly accessKeyId: pulumi.Output<string>;
    /** Secret key of the bucket. */
    readonly secretAccessKey: pulumi.Output<string>;
    /** Provider of the cluster. */
    readonly provider: k8s.Provider;
    /** What must exist first (the namespace, the database). */
    readonly dependsOn?: pulumi.Resource[];
}

export function storageEnv(a: Pick<BackupSpecArgs, "bucket" | "prefix" | "region" | "endpoint">): EnvVar[] {
    return [
        { name: "BUCKET", value: a.bucket },
        { name: "PREFIX", value: a.prefix },
        { name: "AWS_DEFAULT_REGION", value: a.region },
        ...(a.endpoint ? [{ name: "ENDPOINT", value: a.endpoint }] : []),
        { name: "AWS_ACCESS_KEY_ID", valueFrom: { secretKeyRef: { name: CREDENTIALS, key: "access-key-id" } } },
        { name: "AWS_SECRET_ACCESS_KEY", valueFrom: { secretKeyRef: { name: CREDENTIALS, key: "secret-access-key" } } },
        // aws-cli writes its cache under HOME; the image's is not writable by a non-root user, and the root filesystem is read-only.
        { name: "HOME", value: TMP },
    ];
}

function dbEnv(a: Pick<BackupSpecArgs, "dbHost" | "rootSecret">): EnvVar[] {
    return [
        { name: "DB_HOST", value: a.dbHost },
        { name: "MYSQL_PWD", valueFrom: { secretKeyRef: { name: a.rootSecret.name, key: a.rootSecret.key } } },
    ];
}

/** One step of a job: a script from the ConfigMap, sharing the dump directory with the other step. */
function step(name: string, image: string, args: string[], env: EnvVar[], user: number): k8s.types.input.core.v1.Container {
    return {
        name,
        image,
        command: ["bash", ...args],
        env,
        resources: resourceSpec({ cpuRequest: "50m", memoryRequest: "128Mi", cpuLimit: "1", memoryLimit: "512Mi" }),
        securityContext: { ...containerSecurity(), runAsUser: user },
        volumeMounts: [
            { name: "backup", mountPath: BACKUP_DIR },
            { name: "scripts", mountPath: "/scripts", readOnly: true },
            ...scratch().mounts,
        ],
    };
}

/** The first step runs as an init container, so the second starts only once it succeeded. */
function jobTemplate(id: AppIdentity, first: k8s.types.input.core.v1.Container, second: k8s.types.input.core.v1.Container): k8s.types.input.batch.v1.JobTemplateSpec {
    return {
        spec: {
            backoffLimit: 2,
            activeDeadlineSeconds: 6 * 3600,
            template: {
                metadata: { labels: { ...labels(id, "database-backup", "backup"), [DB_CLIENT_LABEL]: "true" } },
                spec: {
                    ...NO_API_TOKEN,
                    restartPolicy: "OnFailure",
                    securityContext: { runAsNonRoot: true, fsGroup: DB_USER, seccompProfile: { type: "RuntimeDefault" } },
                    initContainers: [first],
                    containers: [second],
                    volumes: [
                        { name: "backup", emptyDir: {} },
                        { name: "scripts", configMap: { name: SCRIPTS, defaultMode: 0o555 } },
                        ...scratch().volumes,
                    ],
                },
            },
        },
    };
}

export function backupCronJobSpec(a: BackupSpecArgs): CronJobSpec {
    const tools = DB_TOOLS[a.engine];
    return {
        schedule: a.schedule,
        timeZone: "Etc/UTC",
        concurrencyPolicy: "Forbid",
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 3,
        jobTemplate: jobTemplate(
            a.id,
            step("dump", tools.image, ["/scripts/backup-dump.sh"], [...dbEnv(a), { name: "DUMP_TOOL", value: tools.dump }], DB_USER),
            step("upload", IMAGES.awsCli, ["/scripts/backup-upload.sh"], [...storageEnv(a), { name: "RETENTION_DAYS", value: String(a.retentionDays) }], CLI_USER),
        ),
    };
}

export function restoreCronJobSpec(a: BackupSpecArgs): CronJobSpec {
    const tools = DB_TOOLS[a.engine];
    return {
        // Never runs by itself: `kubectl create job --from=cronjob/database-restore ...`.
        suspend: true,
        schedule: "0 0 31 2 *",
        jobTemplate: jobTemplate(
            a.id,
            step("fetch", IMAGES.awsCli, ["/scripts/restore.sh", "fetch"], storageEnv(a), CLI_USER),
            step("load", tools.image, ["/scripts/restore.sh", "load"], [...dbEnv(a), { name: "CLIENT", value: tools.client }], DB_USER),
        ),
    };
}

export interface DatabaseBackupsResult {
    readonly backup: k8s.batch.v1.CronJob;
    readonly restore: k8s.batch.v1.CronJob;
}

export function createDatabaseBackups(name: string, a: BackupArgs, parent: pulumi.Resource): DatabaseBackupsResult {
    const child = { provider: a.provider, parent, dependsOn: a.dependsOn };
    const lbls = labels(a.id, "database-backup", "backup");
    new k8s.core.v1.Secret(
        `${name}-credentials`,
        { metadata: { name: CREDENTIALS, namespace: a.namespace, labels: lbls }, type: "Opaque", stringData: { "access-key-id": a.accessKeyId, "secret-access-key": a.secretAccessKey } },
        child,
    );
    new k8s.core.v1.ConfigMap(`${name}-scripts`, { metadata: { name: SCRIPTS, namespace: a.namespace, labels: lbls }, data: BACKUP_SCRIPTS }, child);
    const backup = new k8s.batch.v1.CronJob(`${name}-backup`, { metadata: { name: "database-backup", namespace: a.namespace, labels: lbls }, spec: backupCronJobSpec(a) }, child);
    const restore = new k8s.batch.v1.CronJob(
        `${name}-restore`,
        { metadata: { name: "database-restore", namespace: a.namespace, labels: labels(a.id, "database-restore", "backup") }, spec: restoreCronJobSpec(a) },
        child,
    );
    return { backup, restore };
}

export class DatabaseBackups extends thinComponent("infra:apps:DatabaseBackups", createDatabaseBackups) {}
