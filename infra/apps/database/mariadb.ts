/**
 * `MariaDb`: one MariaDB server as a StatefulSet behind a headless Service, its root and app
 * passwords generated into a Secret, optional init SQL run once when the volume is first used.
 *
 * The root filesystem is read-only. What the image (IMAGES.mariadb, 11.4.12) writes, from
 * MariaDB/mariadb-docker at c3bba22 ("MariaDB Q2 2026 corrective release", 11.4/ pins 11.4.12):
 * - the data directory /var/lib/mysql (the claim): the entrypoint, run as non-root, only
 *   `mkdir -p "$DATADIR"` (docker_create_db_directories); first-start initialisation
 *   (mariadb-install-db, .my-healthcheck.cnf), the upgrade's backup and mariadb_upgrade_info all go
 *   there, and healthcheck.sh only reads $datadir/.my-healthcheck.cnf;
 * - /run/mysqld, the socket (the init's temporary server and the server itself) and the pid file:
 *   11.4/Dockerfile creates it with mode 1777 "used for socket and lock files", and the packaged
 *   50-server.cnf sets `pid-file = /run/mysqld/mysqld.pid` (MariaDB/server,
 *   debian/additions/mariadb.conf.d/50-server.cnf);
 * - /tmp, the server's tmpdir (50-server.cnf leaves `#tmpdir = /tmp`, the default): on-disk
 *   temporary tables and sort files.
 * Errors are logged to stderr, not a file.
 */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { IMAGES } from "../images";
import { type AppIdentity, labels, selector } from "../labels";
import { containerSecurity, NO_API_TOKEN, resourceSpec, scratch } from "../workload";
import type { Database, DatabaseArgs } from ".";
import { thinComponent } from "../../component";
import { CONNECTION_SECRET, createConnectionSecret, DB_PORT, generatedPassword } from "./connection";

export interface MariaDbArgs extends DatabaseArgs {
    /** SQL run once when the database is first created. */
    readonly initSql?: string;
}

/** Name of the StatefulSet and of the headless Service: the host clients connect to. */
export const MARIADB_HOST = "database";
const CREDENTIALS = "database-credentials";
const INIT = "database-init";
/** The server's data directory, on the claim. */
export const MARIADB_DATA_DIR = "/var/lib/mysql";
/** Socket and pid file (see the header). */
export const MARIADB_RUN_DIR = "/run/mysqld";
const writable = () => scratch(MARIADB_RUN_DIR);

export function mariaDbPodSelector(id: AppIdentity): Record<string, string> {
    return selector(id, MARIADB_HOST);
}

export function mariaDbServiceSpec(id: AppIdentity): k8s.types.input.core.v1.ServiceSpec {
    return { clusterIP: "None", selector: mariaDbPodSelector(id), ports: [{ name: "mysql", port: DB_PORT, targetPort: "mysql" }] };
}

function mariaDbContainer(a: Pick<MariaDbArgs, "database" | "user" | "resources">, withInit: boolean): k8s.types.input.core.v1.Container {
    const fromSecret = (key: string) => ({ secretKeyRef: { name: CREDENTIALS, key } });
    const health = { exec: { command: ["healthcheck.sh", "--connect", "--innodb_initialized"] } };
    return {
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
        // A large InnoDB recovery must not get the server killed half way.
        livenessProbe: { ...health, initialDelaySeconds: 60, periodSeconds: 20, timeoutSeconds: 5, failureThreshold: 6 },
        resources: resourceSpec(a.resources),
        securityContext: containerSecurity(),
        volumeMounts: [
            { name: "data", mountPath: MARIADB_DATA_DIR },
            ...(withInit ? [{ name: "init", mountPath: "/docker-entrypoint-initdb.d", readOnly: true }] : []),
            ...writable().mounts,
        ],
    };
}

/** The server's StatefulSet; `withInit` mounts the init SQL where the image runs it on first start. */
export function mariaDbStatefulSetSpec(a: Pick<MariaDbArgs, "id" | "database" | "user" | "resources" | "storageClass" | "storageGi">, withInit: boolean): k8s.types.input.apps.v1.StatefulSetSpec {
    const lbls = labels(a.id, "database", "database");
    return {
        serviceName: MARIADB_HOST,
        replicas: 1,
        selector: { matchLabels: mariaDbPodSelector(a.id) },
        // Claims outlive the StatefulSet: deleting or recreating the workload keeps the data.
        persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" },
        template: {
            metadata: { labels: lbls },
            spec: {
                ...NO_API_TOKEN,
                // The image's mysql user owns the data directory.
                securityContext: { runAsNonRoot: true, runAsUser: 999, runAsGroup: 999, fsGroup: 999, seccompProfile: { type: "RuntimeDefault" } },
                containers: [mariaDbContainer(a, withInit)],
                volumes: [...(withInit ? [{ name: "init", configMap: { name: INIT } }] : []), ...writable().volumes],
            },
        },
        volumeClaimTemplates: [
            {
                metadata: { name: "data", labels: lbls },
                spec: { accessModes: ["ReadWriteOnce"], storageClassName: a.storageClass, resources: { requests: { storage: `${a.storageGi}Gi` } } },
            },
        ],
    };
}

export function createMariaDb(name: string, a: MariaDbArgs, parent: pulumi.Resource): Database {
    const appPassword = generatedPassword(name, "app", a.protect, parent);
    const lbls = labels(a.id, "database", "database");
    const child = { provider: a.provider, parent, dependsOn: a.dependsOn };
    const kept = { ...child, protect: a.protect };
    const rootPassword = generatedPassword(name, "root", a.protect, parent);
    const secret = new k8s.core.v1.Secret(
        `${name}-credentials`,
        { metadata: { name: CREDENTIALS, namespace: a.namespace, labels: lbls }, type: "Opaque", stringData: { "root-password": rootPassword, password: appPassword } },
        kept,
    );
    const init = a.initSql ? new k8s.core.v1.ConfigMap(`${name}-init`, { metadata: { name: INIT, namespace: a.namespace, labels: lbls }, data: { "10-init.sql": a.initSql } }, child) : undefined;
    const headless = new k8s.core.v1.Service(`${name}-svc`, { metadata: { name: MARIADB_HOST, namespace: a.namespace, labels: lbls }, spec: mariaDbServiceSpec(a.id) }, child);
    const sts = new k8s.apps.v1.StatefulSet(
        name,
        { metadata: { name: MARIADB_HOST, namespace: a.namespace, labels: lbls }, spec: mariaDbStatefulSetSpec(a, init !== undefined) },
        { ...kept, dependsOn: [secret, headless, ...(init ? [init] : [])] },
    );
    createConnectionSecret(name, a, MARIADB_HOST, appPassword, parent);
    return {
        engine: "mariadb",
        connectionSecret: CONNECTION_SECRET,
        podSelector: mariaDbPodSelector(a.id),
        peers: [],
        rootSecret: { name: CREDENTIALS, key: "root-password" },
        host: MARIADB_HOST,
        ready: [sts],
    };
}

export class MariaDb extends thinComponent<MariaDbArgs, Database>("infra:apps:MariaDb", createMariaDb) {}
