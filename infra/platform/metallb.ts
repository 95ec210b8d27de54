/**
 * On-prem LoadBalancer Services: MetalLB in L2 mode (read at metallb/metallb v0.16.1,
 * charts/metallb). MetalLB rather than kube-vip's service mode: it is the reference
 * implementation, works with any CNI (Calico's BGP service advertisement is off by default) and
 * kube-proxy in iptables mode as is (strictARP is for IPVS only). One speaker answers ARP for each
 * address; kube-proxy spreads the traffic to the Service's pods, over the mesh to other sites.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { PLATFORM_NAMESPACES } from "../config";
import { thinComponent } from "../component";
import { installChart } from "./helm";
import { CHARTS, type Values } from "./versions";

/** The IPAddressPool and L2Advertisement the program creates (in MetalLB's namespace, which its webhook requires). */
export const METALLB_POOL = "default";

/**
 * L2 only: the chart deploys FRR-K8s by default (`frrk8s.enabled`), BGP machinery L2 does not use.
 * The validating webhook answers only once the controller rotated its certificate, after its
 * readiness probe (a plain ping) already passed: with `Fail` the first pool could be refused on a
 * new cluster (metallb#1610). `Ignore` lets it through; the program validates the pool itself.
 */
export function metallbValues(): Values {
    return { frrk8s: { enabled: false }, speaker: { frr: { enabled: false } }, crds: { validationFailurePolicy: "Ignore" } };
}

/** Node providers whose machines sit on the on-prem LAN, and so may answer ARP for the pool. */
export const ANNOUNCING_PROVIDERS = ["vmware", "static"];

export function addressPoolSpec(addresses: readonly string[]): Record<string, unknown> {
    return { addresses: [...addresses], autoAssign: true };
}

/** Announced only from on-prem nodes: a cloud worker's ARP would answer on a network the pool is not on. */
export function l2AdvertisementSpec(): Record<string, unknown> {
    return { ipAddressPools: [METALLB_POOL], nodeSelectors: [{ matchExpressions: [{ key: "infra.local/provider", operator: "In", values: ANNOUNCING_PROVIDERS }] }] };
}

export interface MetalLbArgs {
    readonly provider: k8s.Provider;
    readonly dependsOn: pulumi.Input<pulumi.Resource>[];
    readonly addresses: readonly string[];
}

export function createMetalLb(name: string, a: MetalLbArgs, parent: pulumi.Resource): { chart: k8s.helm.v4.Chart; ready: pulumi.Resource[] } {
    const namespace = PLATFORM_NAMESPACES.metallb;
    // The speaker runs on the host network with NET_RAW (speaker.yaml): privileged.
    const chart = installChart(`${name}-chart`, { ref: CHARTS.metallb, namespace, podSecurity: "privileged", values: metallbValues(), provider: a.provider, dependsOn: a.dependsOn }, parent);
    const opts = { provider: a.provider, parent, dependsOn: [chart] };
    const labels = { "app.kubernetes.io/managed-by": "pulumi" };
    const pool = new k8s.apiextensions.CustomResource(`${name}-pool`, { apiVersion: "metallb.io/v1beta1", kind: "IPAddressPool", metadata: { name: METALLB_POOL, namespace, labels }, spec: addressPoolSpec(a.addresses) }, opts);
    const l2 = new k8s.apiextensions.CustomResource(`${name}-l2`, { apiVersion: "metallb.io/v1beta1", kind: "L2Advertisement", metadata: { name: METALLB_POOL, namespace, labels }, spec: l2AdvertisementSpec() }, opts);
    return { chart, ready: [pool, l2] };
}

export class MetalLb extends thinComponent("infra:platform:MetalLb", createMetalLb) {}
