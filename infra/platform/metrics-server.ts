/**
 * metrics-server from its official chart. On clusters this program bootstraps the kubelets ask
 * for serving certificates signed by the cluster CA (serverTLSBootstrap) and kubelet-csr-approver
 * approves exactly those of our nodes, so metrics-server verifies kubelet certificates: no
 * `--kubelet-insecure-tls` (only for apps-only dev stacks on a laptop cluster).
 */
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { thinComponent } from "../component";
import { installChart } from "./helm";
import { CHARTS } from "./versions";

export interface MetricsServerArgs {
    readonly provider: k8s.Provider;
    readonly dependsOn: pulumi.Input<pulumi.Resource>[];
    /** Skip kubelet certificate checks (laptop clusters only). */
    readonly kubeletInsecureTls: boolean;
    /** Node names whose serving certificates may be approved, as one regular expression. */
    readonly nodeNameRegex?: string;
    /** Networks node addresses may come from: every address in a serving CSR must be in one. */
    readonly nodeNetworks?: pulumi.Input<string>[];
}

export interface MetricsServerValues {
    args: string[];
    resources: { requests: { cpu: string; memory: string }; limits: { memory: string } };
}

export interface CsrApproverValues {
    providerRegex: string;
    providerIpPrefixes: pulumi.Input<string>[];
    bypassDnsResolution: boolean;
    /** A string: the chart `quote`s it, and a number reaches Helm as a float (3.16224e+07), which the approver cannot parse. */
    maxExpirationSeconds: string;
}

export function metricsServerValues(insecure: boolean): MetricsServerValues {
    return {
        // The chart's default arguments already prefer InternalIP (the node IP) for kubelets.
        args: insecure ? ["--kubelet-insecure-tls"] : [],
        resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "256Mi" } },
    };
}

/**
 * kubelet-csr-approver approves a kubelet serving certificate only for one of our node names and
 * addresses in the node networks, valid for at most 366 days, without looking the names up in DNS
 * (our nodes have no DNS records). It denies a request with any address outside the prefixes
 * (`regex_ip_checks.go`), and the kubelet asks for every address of its node, the public ones the
 * Hetzner cloud controller adds (ExternalIP) included: those are in `nodeNetworks` too.
 */
export function csrApproverValues(nodeNameRegex: string, nodeNetworks: pulumi.Input<string>[]): CsrApproverValues {
    return { providerRegex: nodeNameRegex, providerIpPrefixes: nodeNetworks, bypassDnsResolution: true, maxExpirationSeconds: "31622400" };
}

export interface MetricsServerParts {
    readonly chart: k8s.helm.v4.Chart;
}

export function createMetricsServer(name: string, args: MetricsServerArgs, parent: pulumi.Resource): MetricsServerParts {
    const deps = [...args.dependsOn];
    if (!args.kubeletInsecureTls) {
        if (!args.nodeNameRegex || !args.nodeNetworks?.length) throw new Error("verified kubelet certificates need the node names and networks to approve");
        const values = csrApproverValues(args.nodeNameRegex, args.nodeNetworks);
        deps.push(installChart(`${name}-csr-approver`, { ref: CHARTS.kubeletCsrApprover, namespace: "kube-system", createNamespace: false, podSecurity: "restricted", values, provider: args.provider, dependsOn: args.dependsOn }, parent));
    }
    const chart = installChart(
        `${name}-chart`,
        { ref: CHARTS.metricsServer, namespace: "kube-system", createNamespace: false, podSecurity: "restricted", values: metricsServerValues(args.kubeletInsecureTls), provider: args.provider, dependsOn: deps },
        parent,
    );
    return { chart };
}

export class MetricsServer extends thinComponent("infra:platform:MetricsServer", createMetricsServer) {}
