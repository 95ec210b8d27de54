/** The app's one Ingress for its host: routes by path prefix, TLS from a cert-manager issuer when there is one. */
import type * as k8s from "@pulumi/kubernetes";

export interface Route {
    /** Path prefix. */
    readonly path: string;
    /** Service the prefix goes to. */
    readonly service: string;
    /** Port of the service. */
    readonly port: number;
}

export interface AppIngressArgs {
    /** The app's host name. */
    readonly host: string;
    /** Class of the platform's ingress controller. */
    readonly ingressClass: string;
    /** Cluster issuer of the host's certificate; none: plain HTTP. */
    readonly issuer?: string;
    readonly routes: readonly Route[];
}

/** The secret cert-manager writes the host's certificate to. */
export const TLS_SECRET = "app-tls";

export function appUrl(host: string, issuer?: string): string {
    return `${issuer ? "https" : "http"}://${host}/`;
}

/**
 * cert-manager's issuer; and, where no controller publishes a status address, `skipAwait`:
 * pulumi-kubernetes waits for `.status.loadBalancer.ingress` on every Ingress (await/ingress.go).
 */
export function ingressAnnotations(issuer: string | undefined, publishesStatus: boolean): Record<string, string> {
    return { ...(issuer ? { "cert-manager.io/cluster-issuer": issuer } : {}), ...(publishesStatus ? {} : { [SKIP_AWAIT]: "true" }) };
}

/** The annotation that tells pulumi-kubernetes not to wait for an object to become ready (metadata/annotations.go). */
export const SKIP_AWAIT = "pulumi.com/skipAwait";

export function ingressSpec(a: AppIngressArgs): k8s.types.input.networking.v1.IngressSpec {
    return {
        ingressClassName: a.ingressClass,
        tls: a.issuer ? [{ hosts: [a.host], secretName: TLS_SECRET }] : undefined,
        rules: [
            {
                host: a.host,
                http: {
                    // Longest paths first, so /api wins over /.
                    paths: [...a.routes]
                        .sort((x, y) => y.path.length - x.path.length)
                        .map((r) => ({ path: r.path, pathType: "Prefix", backend: { service: { name: r.service, port: { number: r.port } } } })),
                },
            },
        ],
    };
}
