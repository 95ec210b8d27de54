/**
 * What every database engine hands its clients: one Secret (`database-connection`: host, port,
 * database, user, password) and generated passwords, so the app never sees a literal password.
 */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { type AppIdentity, labels } from "../labels";

export const DB_PORT = 3306;

/** The Secret clients read their connection from, whatever the engine. */
export const CONNECTION_SECRET = "database-connection";

/** A generated alphanumeric password (safe in SQL and shell without quoting), protected with the data. */
export function generatedPassword(name: string, what: string, protect: boolean, parent: pulumi.Resource): pulumi.Output<string> {
    return new random.RandomPassword(`${name}-${what}-password`, { length: 32, special: false }, { parent, protect }).result;
}

export function connectionData(host: string, database: string, user: string, password: pulumi.Input<string>): Record<string, pulumi.Input<string>> {
    return { host, port: String(DB_PORT), database, user, password };
}

export interface ConnectionSecretArgs {
    /** The app the database belongs to (labels). */
    readonly id: AppIdentity;
    /** Namespace of the Secret: the app's. */
    readonly namespace: string;
    /** The app's database. */
    readonly database: string;
    /** The app's user. */
    readonly user: string;
    /** `protect` the Secret (prod). */
    readonly protect: boolean;
    /** Provider of the cluster. */
    readonly provider: k8s.Provider;
    /** What must exist first. */
    readonly dependsOn?: pulumi.Resource[];
}

export function createConnectionSecret(name: string, a: ConnectionSecretArgs, host: string, password: pulumi.Input<string>, parent: pulumi.Resource): k8s.core.v1.Secret {
    return new k8s.core.v1.Secret(
        `${name}-connection`,
        {
            metadata: { name: CONNECTION_SECRET, namespace: a.namespace, labels: labels(a.id, "database", "database") },
            type: "Opaque",
            stringData: connectionData(host, a.database, a.user, password),
        },
        { provider: a.provider, parent, dependsOn: a.dependsOn, protect: a.protect },
    );
}
