/**
 * cert-manager from its official chart (CRDs included, and kept if the chart is ever removed),
 * and the cluster issuers: Let's Encrypt staging and production (ACME HTTP-01 through the `nginx`
 * ingress class) when an account e-mail is set, and a self-signed issuer everywhere.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { thinComponent } from "../component";
import { installChart } from "./helm";
import { CHARTS } from "./versions";

export type IssuerName = "letsencrypt-staging" | "letsencrypt-prod" | "selfsigned";

export const ACME_SERVERS: Record<Exclude<IssuerName, "selfsigned">, string> = {
    "letsencrypt-staging": "https://acme-staging-v02.api.letsencrypt.org/directory",
    "letsencrypt-prod": "https://acme-v02.api.letsencrypt.org/directory",
};

export interface CertManagerArgs {
    readonly provider: k8s.Provider;
    readonly dependsOn: pulumi.Input<pulumi.Resource>[];
    /** Let's Encrypt account e-mail; without it only the self-signed issuer exists. */
    readonly email?: string;
}

/** The chart's values, typed: only what this program sets. */
export interface CertManagerValues {
    crds: { enabled: boolean; keep: boolean };
    resources: Resources;
    webhook: { resources: Resources };
    cainjector: { resources: Resources };
}
interface Resources {
    requests: { cpu: string; memory: string };
    limits: { memory: string };
}
const small: Resources = { requests: { cpu: "10m", memory: "64Mi" }, limits: { memory: "256Mi" } };

export function clusterIssuerSpec(name: IssuerName, email?: string): Record<string, unknown> {
    if (name === "selfsigned") return { selfSigned: {} };
    return {
        acme: {
            server: ACME_SERVERS[name],
            email,
            privateKeySecretRef: { name: `${name}-account-key` },
            solvers: [{ http01: { ingress: { ingressClassName: "nginx" } } }],
        },
    };
}

/** Small requests and a memory limit for each of cert-manager's three deployments; the CRDs installed with the chart and kept when it goes. */
export function certManagerValues(): CertManagerValues {
    return { crds: { enabled: true, keep: true }, resources: small, webhook: { resources: small }, cainjector: { resources: small } };
}

/** The issuers that exist: Let's Encrypt's only with an account e-mail. */
export function issuerNames(email?: string): IssuerName[] {
    return email ? ["selfsigned", "letsencrypt-staging", "letsencrypt-prod"] : ["selfsigned"];
}

export interface CertManagerParts {
    readonly chart: k8s.helm.v4.Chart;
    readonly issuers: Map<IssuerName, k8s.apiextensions.CustomResource>;
}

export function createCertManager(name: string, args: CertManagerArgs, parent: pulumi.Resource): CertManagerParts {
    const chart = installChart(`${name}-chart`, { ref: CHARTS.certManager, namespace: "cert-manager", podSecurity: "restricted", values: certManagerValues(), provider: args.provider, dependsOn: args.dependsOn }, parent);
    const issuers = new Map(
        issuerNames(args.email).map((issuer) => [
            issuer,
            // Stable names and inputs: a second `pulumi up` changes nothing, so cert-manager never
            // re-registers the ACME account or re-requests certificates (Let's Encrypt rate limits).
            new k8s.apiextensions.CustomResource(
                `${name}-${issuer}`,
                { apiVersion: "cert-manager.io/v1", kind: "ClusterIssuer", metadata: { name: issuer }, spec: clusterIssuerSpec(issuer, args.email) },
                { provider: args.provider, parent, dependsOn: [chart] },
            ),
        ]),
    );
    return { chart, issuers };
}

export class CertManager extends thinComponent("infra:platform:CertManager", createCertManager) {}
