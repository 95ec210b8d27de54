/**
 * cert-manager from its official chart (CRDs included, and kept if the chart is ever removed),
 * and the cluster issuers: Let's Encrypt staging and production (ACME HTTP-01 through the `nginx`
 * ingress class) when an account e-mail is set, and a self-signed issuer everywhere.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { thinComponent } from "../component";
import { PLATFORM_NAMESPACES } from "../config";
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
    /** The class of the ingress that answers ACME HTTP-01 challenges. */
    readonly ingressClass: string;
}

/** The chart's values, typed: only what this program sets. */
export interface CertManagerValues {
    crds: { enabled: boolean; keep: boolean };
    startupapicheck: { enabled: boolean };
    resources: Resources;
    webhook: { resources: Resources };
    cainjector: { resources: Resources };
}
interface Resources {
    requests: { cpu: string; memory: string };
    limits: { memory: string };
}
const small: Resources = { requests: { cpu: "10m", memory: "64Mi" }, limits: { memory: "256Mi" } };

export function clusterIssuerSpec(name: IssuerName, email: string | undefined, ingressClass: string): Record<string, unknown> {
    if (name === "selfsigned") return { selfSigned: {} };
    return {
        acme: {
            server: ACME_SERVERS[name],
            email,
            privateKeySecretRef: { name: `${name}-account-key` },
            solvers: [{ http01: { ingress: { ingressClassName: ingressClass } } }],
        },
    };
}

/**
 * Small requests and a memory limit for each of cert-manager's three deployments; the CRDs installed
 * with the chart and kept when it goes. The chart's startupapicheck is a Helm hook, which
 * `helm.sh/v4:Chart` never runs: it is off, and `apiCheckJob` does its work as a plain Job.
 */
export function certManagerValues(): CertManagerValues {
    return { crds: { enabled: true, keep: true }, startupapicheck: { enabled: false }, resources: small, webhook: { resources: small }, cainjector: { resources: small } };
}

export const CERT_MANAGER_NAMESPACE = PLATFORM_NAMESPACES.certManager;
/** The chart's startupapicheck image, at the chart's version. */
export const API_CHECK_IMAGE = `quay.io/jetstack/cert-manager-startupapicheck:${CHARTS.certManager.version}`;
const API_CHECK = "cert-manager-api-check";

/**
 * What the chart's startupapicheck hook does (templates/startupapicheck-job.yaml): `check api` makes
 * dry-run CertificateRequests until the CRDs are served and the webhook answers with a CA the API
 * server trusts. Pulumi waits for the Job to complete, and the issuers wait for the Job: created
 * earlier, they would hit the webhook before it serves and the update would fail.
 */
export function apiCheckJobSpec(): k8s.types.input.batch.v1.JobSpec {
    return {
        backoffLimit: 4,
        template: {
            metadata: { labels: { "app.kubernetes.io/name": API_CHECK } },
            spec: {
                serviceAccountName: API_CHECK,
                restartPolicy: "OnFailure",
                enableServiceLinks: false,
                securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
                containers: [
                    {
                        name: "check",
                        image: API_CHECK_IMAGE,
                        args: ["check", "api", "--wait=5m", "-v"],
                        env: [{ name: "POD_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } }],
                        securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, readOnlyRootFilesystem: true },
                        resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "64Mi" } },
                    },
                ],
            },
        },
    };
}

function apiCheckJob(name: string, provider: k8s.Provider, chart: pulumi.Resource, parent: pulumi.Resource): k8s.batch.v1.Job {
    const opts = { provider, parent, dependsOn: [chart] };
    const metadata = { name: API_CHECK, namespace: CERT_MANAGER_NAMESPACE, labels: { "app.kubernetes.io/managed-by": "pulumi" } };
    const sa = new k8s.core.v1.ServiceAccount(`${name}-api-check`, { metadata }, opts);
    const role = new k8s.rbac.v1.Role(`${name}-api-check`, { metadata, rules: [{ apiGroups: ["cert-manager.io"], resources: ["certificaterequests"], verbs: ["create"] }] }, opts);
    const binding = new k8s.rbac.v1.RoleBinding(
        `${name}-api-check`,
        { metadata, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: API_CHECK }, subjects: [{ kind: "ServiceAccount", name: API_CHECK, namespace: CERT_MANAGER_NAMESPACE }] },
        opts,
    );
    return new k8s.batch.v1.Job(`${name}-api-check`, { metadata, spec: apiCheckJobSpec() }, { ...opts, dependsOn: [chart, sa, role, binding] });
}

/** The issuers that exist: Let's Encrypt's only with an account e-mail. */
export function issuerNames(email?: string): IssuerName[] {
    return email ? ["selfsigned", "letsencrypt-staging", "letsencrypt-prod"] : ["selfsigned"];
}

export interface CertManagerParts {
    readonly chart: k8s.helm.v4.Chart;
    /** Complete once cert-manager's API and webhook serve. */
    readonly apiCheck: k8s.batch.v1.Job;
    readonly issuers: Map<IssuerName, k8s.apiextensions.CustomResource>;
}

export function createCertManager(name: string, args: CertManagerArgs, parent: pulumi.Resource): CertManagerParts {
    const chart = installChart(`${name}-chart`, { ref: CHARTS.certManager, namespace: CERT_MANAGER_NAMESPACE, podSecurity: "restricted", values: certManagerValues(), provider: args.provider, dependsOn: args.dependsOn }, parent);
    const apiCheck = apiCheckJob(name, args.provider, chart, parent);
    const issuers = new Map(
        issuerNames(args.email).map((issuer) => [
            issuer,
            // Stable names and inputs: a second `pulumi up` changes nothing, so cert-manager never
            // re-registers the ACME account or re-requests certificates (Let's Encrypt rate limits).
            new k8s.apiextensions.CustomResource(
                `${name}-${issuer}`,
                { apiVersion: "cert-manager.io/v1", kind: "ClusterIssuer", metadata: { name: issuer }, spec: clusterIssuerSpec(issuer, args.email, args.ingressClass) },
                { provider: args.provider, parent, dependsOn: [chart, apiCheck] },
            ),
        ]),
    );
    return { chart, apiCheck, issuers };
}

export class CertManager extends thinComponent("infra:platform:CertManager", createCertManager) {}
