/**
 * The app's database: MariaDB as a StatefulSet (`MariaDb`), or a Percona XtraDB (Galera) cluster
 * through the Percona operator (`PerconaCluster`). Either way the app and its backups see one
 * contract, `Database`: the app reads its connection from one Secret and never sees a literal
 * password. Data is never lost by accident: volumes come from the platform's database class
 * (Retain in prod), volume claims outlive the workload, and the database's resources are
 * protected in prod.
 */
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { AppIdentity } from "../labels";
import type { Resources } from "../workload";
import { MariaDb, type MariaDbArgs } from "./mariadb";
import { PerconaCluster, type PerconaClusterArgs } from "./percona";

export { bootstrapSql, PerconaCluster, type PerconaClusterArgs } from "./percona";
export { MariaDb, type MariaDbArgs } from "./mariadb";
export { CONNECTION_SECRET, DB_PORT } from "./connection";

export type DatabaseEngine = "mariadb" | "percona";

/** What a client or a tool (the backups, the network policy) knows of a database. */
export interface Database {
    /** The engine, for tools that must speak its dialect (the backups' dump client). */
    readonly engine: DatabaseEngine;
    /** Secret with host, port, database, user, password. */
    readonly connectionSecret: string;
    /** Labels of the database's pods: what the network policy guards. */
    readonly podSelector: Record<string, string>;
    /**
     * Pods besides the clients that reach the database's pods on any port: cluster members
     * replicating to each other and whatever manages them. None for a single server.
     */
    readonly peers: k8s.types.input.networking.v1.NetworkPolicyPeer[];
    /** Secret key holding the root password, for dumps. */
    readonly rootSecret: { readonly name: string; readonly key: string };
    /** Host clients connect to. */
    readonly host: string;
    /** What clients wait for: the database answers and the app's database and user exist. */
    readonly ready: pulumi.Resource[];
}

/** What either engine is built from. */
export interface DatabaseArgs {
    /** The app the database belongs to (labels). */
    readonly id: AppIdentity;
    /** The app's namespace; it exists already (the App creates it). */
    readonly namespace: string;
    /** The app's database, created if missing. */
    readonly database: string;
    /** The app's user, granted everything on the app's database. */
    readonly user: string;
    /** Size of each member's volume. */
    readonly storageGi: number;
    /** Storage class of the volumes: the platform's database class. */
    readonly storageClass: string;
    /** Requests and limits of each database server. */
    readonly resources: Resources;
    /** `protect` the database's resources (prod). */
    readonly protect: boolean;
    /** Provider of the cluster. */
    readonly provider: k8s.Provider;
    /** What must exist first (the namespace). */
    readonly dependsOn?: pulumi.Resource[];
}

/** The settings of either engine, and which one to run. */
export interface AnyDatabaseArgs extends MariaDbArgs, PerconaClusterArgs {
    /** `mariadb`: one server; `percona`: a Galera cluster of `members`. */
    readonly engine: DatabaseEngine;
}

/** The database component of the engine: `infra:apps:MariaDb` or `infra:apps:PerconaCluster`. */
export function newDatabase(name: string, a: AnyDatabaseArgs, opts?: pulumi.ComponentResourceOptions): Database & pulumi.ComponentResource {
    return a.engine === "mariadb" ? new MariaDb(name, a, opts) : new PerconaCluster(name, a, opts);
}
