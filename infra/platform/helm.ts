/** One way to install a pinned chart into its own namespace, with Pod Security labels. */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { ChartRef } from "./versions";

export type PodSecurityLevel = "privileged" | "baseline" | "restricted";

export interface ChartInstall {
    readonly ref: ChartRef;
    readonly namespace: string;
    /**
     * Pod Security Admission level the namespace enforces: the least its components need. Applied only
     * when the namespace is created here; otherwise it states what the existing namespace must allow.
     */
    readonly podSecurity: PodSecurityLevel;
    readonly values: object;
    readonly provider: k8s.Provider;
    readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
    /** Create the namespace (false for kube-system, or a namespace another component owns). Defaults to true. */
    readonly createNamespace?: boolean;
    /** Helm release name, when the chart derives object names or labels from it. Defaults to the resource name. */
    readonly releaseName?: string;
    /** `protect` the chart (it holds data). Defaults to the parent's protection. */
    readonly protect?: boolean;
}

export function namespace(name: string, ns: string, podSecurity: PodSecurityLevel, opts: pulumi.CustomResourceOptions): k8s.core.v1.Namespace {
    return new k8s.core.v1.Namespace(
        name,
        {
            metadata: {
                name: ns,
                labels: {
                    "pod-security.kubernetes.io/enforce": podSecurity,
                    "pod-security.kubernetes.io/warn": podSecurity === "privileged" ? "baseline" : "restricted",
                    "app.kubernetes.io/managed-by": "pulumi",
                },
            },
        },
        opts,
    );
}

export function installChart(name: string, c: ChartInstall, parent: pulumi.Resource): k8s.helm.v4.Chart {
    const deps = [...(c.dependsOn ?? [])];
    if (c.createNamespace !== false) deps.push(namespace(`${name}-ns`, c.namespace, c.podSecurity, { provider: c.provider, parent, dependsOn: c.dependsOn }));
    return new k8s.helm.v4.Chart(
        name,
        {
            chart: c.ref.chart,
            version: c.ref.version,
            repositoryOpts: { repo: c.ref.repo },
            namespace: c.namespace,
            ...(c.releaseName !== undefined ? { name: c.releaseName } : {}),
            values: c.values as Record<string, pulumi.Input<unknown>>,
        },
        { provider: c.provider, parent, dependsOn: deps, protect: c.protect },
    );
}
