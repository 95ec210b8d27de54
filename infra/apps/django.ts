/**
 * The Django backend: gunicorn on 8000, `DJANGO_SECRET_KEY` generated and kept in a Secret,
 * `ALLOWED_HOSTS` from the ingress host, database settings from the database's connection Secret,
 * static files collected at start into `STATIC_ROOT`, and migrations as a Job that runs once per
 * image version before the new pods roll out.
 */
import { createHash } from "node:crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { type AppIdentity, DB_CLIENT_LABEL, labels } from "./labels";
import { containerSecurity, resourceSpec, WebWorkload, type WebWorkloadArgs } from "./workload";

export interface DjangoArgs extends Omit<WebWorkloadArgs, "name" | "component" | "command" | "secretEnv"> {
    readonly command: string[];
    readonly host: string;
    readonly staticRoot: string;
    /** Name of the database connection Secret, when the app has a database. */
    readonly databaseSecret?: string;
}

/** The migration Job's name: one per image, so a new version migrates once and an unchanged one never again. */
export function migrationJobName(image: string): string {
    return `backend-migrate-${createHash("sha256").update(image).digest("hex").slice(0, 10)}`;
}

export function databaseEnv(secret: string): k8s.types.input.core.v1.EnvVar[] {
    return [
        ["DB_HOST", "host"],
        ["DB_PORT", "port"],
        ["DB_NAME", "database"],
        ["DB_USER", "user"],
        ["DB_PASSWORD", "password"],
    ].map(([name, key]) => ({ name, valueFrom: { secretKeyRef: { name: secret, key } } }));
}

export class DjangoBackend extends pulumi.ComponentResource {
    readonly workload: WebWorkload;
    readonly migration: k8s.batch.v1.Job;

    constructor(name: string, a: DjangoArgs, opts?: pulumi.ComponentResourceOptions) {
        super("infra:apps:DjangoBackend", name, {}, opts);
        const key = new random.RandomPassword(`${name}-secret-key`, { length: 64, special: false }, { parent: this });
        const secret = new k8s.core.v1.Secret(
            `${name}-django`,
            { metadata: { name: "backend-django", namespace: a.namespace, labels: labels(a.id, "backend", "backend") }, type: "Opaque", stringData: { "secret-key": key.result } },
            { provider: a.provider, parent: this, dependsOn: a.dependsOn },
        );
        const env: k8s.types.input.core.v1.EnvVar[] = [
            { name: "DJANGO_SECRET_KEY", valueFrom: { secretKeyRef: { name: "backend-django", key: "secret-key" } } },
            ...(a.databaseSecret ? databaseEnv(a.databaseSecret) : []),
        ];
        const plain = { ...a.env, ALLOWED_HOSTS: a.host, STATIC_ROOT: a.staticRoot };
        const dbClient: Record<string, string> = a.databaseSecret ? { [DB_CLIENT_LABEL]: "true" } : {};
        // Migrations and collectstatic see exactly the environment the server does.
        const allEnv = [...Object.entries(plain).map(([n, value]) => ({ name: n, value })), ...env];
        this.migration = new k8s.batch.v1.Job(
            `${name}-migrate`,
            {
                metadata: { name: migrationJobName(a.image), namespace: a.namespace, labels: labels(a.id, "backend-migrate", "backend") },
                spec: {
                    backoffLimit: 3,
                    template: {
                        metadata: { labels: { ...labels(a.id, "backend-migrate", "backend"), ...dbClient } },
                        spec: {
                            restartPolicy: "Never",
                            securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
                            imagePullSecrets: a.imagePullSecrets?.map((n) => ({ name: n })),
                            tolerations: a.tolerations,
                            containers: [
                                {
                                    name: "migrate",
                                    image: a.image,
                                    command: ["python", "manage.py", "migrate", "--noinput"],
                                    env: allEnv,
                                    resources: resourceSpec(a.resources),
                                    securityContext: containerSecurity(),
                                },
                            ],
                        },
                    },
                },
            },
            // The Job's name changes with the image, so a new image replaces it (and runs it) first.
            { provider: a.provider, parent: this, dependsOn: [secret, ...(a.dependsOn ?? [])], deleteBeforeReplace: true },
        );
        this.workload = new WebWorkload(
            `${name}-web`,
            {
                ...a,
                name: "backend",
                component: "backend",
                env: plain,
                secretEnv: env,
                extraPodLabels: dbClient,
                initContainers: [
                    {
                        name: "collectstatic",
                        image: a.image,
                        command: ["python", "manage.py", "collectstatic", "--noinput"],
                        env: allEnv,
                        resources: resourceSpec(a.resources),
                        securityContext: containerSecurity(),
                        volumeMounts: [{ name: "static", mountPath: a.staticRoot }],
                    },
                ],
                volumes: [{ name: "static", emptyDir: {} }],
                volumeMounts: [{ name: "static", mountPath: a.staticRoot, readOnly: true }],
                // New pods roll out only after this version's migrations succeeded.
                dependsOn: [this.migration],
            },
            { parent: this },
        );
        this.registerOutputs({});
    }
}

export type { AppIdentity };
