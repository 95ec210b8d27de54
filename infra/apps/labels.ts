/** The recommended `app.kubernetes.io/*` labels, on every object of the app. */
export interface AppIdentity {
    /** The application (part-of), e.g. the namespace's app. */
    readonly partOf: string;
    /** This stack's instance of it. */
    readonly instance: string;
}

export function labels(id: AppIdentity, name: string, component: string): Record<string, string> {
    return {
        "app.kubernetes.io/name": name,
        "app.kubernetes.io/instance": id.instance,
        "app.kubernetes.io/component": component,
        "app.kubernetes.io/part-of": id.partOf,
        "app.kubernetes.io/managed-by": "pulumi",
    };
}

/** The labels a Service or policy selects a workload's pods by (stable across versions). */
export function selector(id: AppIdentity, name: string): Record<string, string> {
    return { "app.kubernetes.io/name": name, "app.kubernetes.io/instance": id.instance };
}

/** Pods allowed to reach the database carry this label. */
export const DB_CLIENT_LABEL = "infra.local/db-client";
