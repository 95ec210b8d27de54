/**
 * The Django backend: gunicorn on 8000, `DJANGO_SECRET_KEY` generated and kept in a Secret,
 * `ALLOWED_HOSTS` from the ingress host, database settings from the database's connection Secret,
 * static files collected at start into `STATIC_ROOT`, and migrations as a Job that runs once per
 * image version before the new pods roll out.
 *
 * Every container's root filesystem is read-only. What they write: collectstatic fills
 * `STATIC_ROOT` (an emptyDir the server then mounts read-only); gunicorn's workers keep their
 * heartbeat file in the temporary directory unless `--worker-tmp-dir` says otherwise
 * (gunicorn/workers/workertmp.py: `tempfile.mkstemp(dir=cfg.worker_tmp_dir)`, default None, so
 * $TMPDIR or /tmp), and Django buffers uploads past FILE_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) in
 * FILE_UPLOAD_TEMP_DIR (default: the temporary directory): an emptyDir at /tmp in each container.
 * `--worker-tmp-dir /dev/shm` also works (the runtime's /dev/shm is a tmpfs of its own). gunicorn
 * >= 25.1 also opens a control socket under $HOME/.gunicorn; where it cannot, it logs a warning and
 * serves on (arbiter.py `_start_control_server`; `--no-control-socket` turns it off).
 */
import { createHash } from "node:crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { type AppIdentity, DB_CLIENT_LABEL, labels } from "./labels";
import { containerSecurity, NO_API_TOKEN, resourceSpec, scratch, WebWorkload, type WebWorkloadArgs } from "./workload";
import { thinComponent } from "../component";

type EnvVar = k8s.types.input.core.v1.EnvVar;

export interface DjangoArgs extends Omit<WebWorkloadArgs, "name" | "component" | "command" | "secretEnv"> {
    /** The server's command (gunicorn). */
    readonly command: string[];
    /** The ingress host: Django's `ALLOWED_HOSTS`. */
    readonly host: string;
    /** Where collectstatic writes and the server reads static files. */
    readonly staticRoot: string;
    /** Name of the database connection Secret, when the app has a database. */
    readonly databaseSecret?: string;
    /** The entries of the app's own Secret the backend gets (`secrets` in its settings). */
    readonly appSecretEnv?: EnvVar[];
}

/** The Secret holding the generated `DJANGO_SECRET_KEY`. */
export const DJANGO_SECRET = "backend-django";

/** The migration Job's name: one per image, so a new version migrates once and an unchanged one never again. */
export function migrationJobName(image: string): string {
    return `backend-migrate-${createHash("sha256").update(image).digest("hex").slice(0, 10)}`;
}

export function databaseEnv(secret: string): EnvVar[] {
    return [
        ["DB_HOST", "host"],
        ["DB_PORT", "port"],
        ["DB_NAME", "database"],
        ["DB_USER", "user"],
        ["DB_PASSWORD", "password"],
    ].map(([name, key]) => ({ name, valueFrom: { secretKeyRef: { name: secret, key } } }));
}

/** The backend's environment: plain values, values from Secrets, and both together. */
export interface DjangoEnv {
    readonly plain: Record<string, string>;
    readonly fromSecrets: EnvVar[];
    /** What migrations and collectstatic see: exactly the server's environment. */
    readonly all: EnvVar[];
    /** Pod labels: the database client label when there is a database. */
    readonly podLabels: Record<string, string>;
}

export function djangoEnv(a: Pick<DjangoArgs, "env" | "host" | "staticRoot" | "databaseSecret" | "appSecretEnv">): DjangoEnv {
    const fromSecrets: EnvVar[] = [
        { name: "DJANGO_SECRET_KEY", valueFrom: { secretKeyRef: { name: DJANGO_SECRET, key: "secret-key" } } },
        ...(a.databaseSecret ? databaseEnv(a.databaseSecret) : []),
        ...(a.appSecretEnv ?? []),
    ];
    const plain = { ...a.env, ALLOWED_HOSTS: a.host, STATIC_ROOT: a.staticRoot };
    return {
        plain,
        fromSecrets,
        all: [...Object.entries(plain).map(([name, value]) => ({ name, value })), ...fromSecrets],
        podLabels: a.databaseSecret ? { [DB_CLIENT_LABEL]: "true" } : {},
    };
}

export function migrationJobSpec(a: Pick<DjangoArgs, "id" | "image" | "resources" | "imagePullSecrets" | "tolerations">, env: DjangoEnv): k8s.types.input.batch.v1.JobSpec {
    const writable = scratch();
    return {
        backoffLimit: 3,
        template: {
            metadata: { labels: { ...labels(a.id, "backend-migrate", "backend"), ...env.podLabels } },
            spec: {
                ...NO_API_TOKEN,
                restartPolicy: "Never",
                securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
                imagePullSecrets: a.imagePullSecrets?.map((n) => ({ name: n })),
                tolerations: a.tolerations,
                containers: [
                    {
                        name: "migrate",
                        image: a.image,
                        command: ["python", "manage.py", "migrate", "--noinput"],
                        env: env.all,
                        resources: resourceSpec(a.resources),
                        securityContext: containerSecurity(),
                        volumeMounts: writable.mounts,
                    },
                ],
                volumes: writable.volumes,
            },
        },
    };
}

/** Collects static files into an emptyDir the server then mounts read-only; /tmp is the pod's (`WebWorkload`'s) emptyDir. */
export function collectstaticContainer(a: Pick<DjangoArgs, "image" | "resources" | "staticRoot">, env: DjangoEnv): k8s.types.input.core.v1.Container {
    return {
        name: "collectstatic",
        image: a.image,
        command: ["python", "manage.py", "collectstatic", "--noinput"],
        env: env.all,
        resources: resourceSpec(a.resources),
        securityContext: containerSecurity(),
        volumeMounts: [{ name: "static", mountPath: a.staticRoot }, ...scratch().mounts],
    };
}

export interface DjangoBackendResult {
    readonly workload: WebWorkload;
    readonly migration: k8s.batch.v1.Job;
}

export function createDjangoBackend(name: string, a: DjangoArgs, parent: pulumi.Resource): DjangoBackendResult {
    const key = new random.RandomPassword(`${name}-secret-key`, { length: 64, special: false }, { parent });
    const secret = new k8s.core.v1.Secret(
        `${name}-django`,
        { metadata: { name: DJANGO_SECRET, namespace: a.namespace, labels: labels(a.id, "backend", "backend") }, type: "Opaque", stringData: { "secret-key": key.result } },
        { provider: a.provider, parent, dependsOn: a.dependsOn },
    );
    const env = djangoEnv(a);
    const migration = new k8s.batch.v1.Job(
        `${name}-migrate`,
        { metadata: { name: migrationJobName(a.image), namespace: a.namespace, labels: labels(a.id, "backend-migrate", "backend") }, spec: migrationJobSpec(a, env) },
        // The Job's name changes with the image, so a new image replaces it (and runs it) first.
        { provider: a.provider, parent, dependsOn: [secret, ...(a.dependsOn ?? [])], deleteBeforeReplace: true },
    );
    const workload = new WebWorkload(
        `${name}-web`,
        {
            ...a,
            name: "backend",
            component: "backend",
            env: env.plain,
            secretEnv: env.fromSecrets,
            extraPodLabels: env.podLabels,
            initContainers: [collectstaticContainer(a, env)],
            volumes: [{ name: "static", emptyDir: {} }],
            volumeMounts: [{ name: "static", mountPath: a.staticRoot, readOnly: true }],
            // New pods roll out only after this version's migrations succeeded.
            dependsOn: [migration],
        },
        { parent },
    );
    return { workload, migration };
}

export class DjangoBackend extends thinComponent("infra:apps:DjangoBackend", createDjangoBackend) {}

export type { AppIdentity };
