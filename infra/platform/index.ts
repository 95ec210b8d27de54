/**
 * The platform layer: what every cluster needs before an app can be served. It takes the
 * cluster's handle, as its provider and what must be ready first (`ClusterHandle.provider` and
 * `.ready`, passed by stacks/platform.ts), never the nodes: it does not know where the cluster
 * came from.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { installKured } from "./kured";
import type { PlatformChoices, Settings } from "../config";
import { CertManager, type IssuerName } from "./cert-manager";
import { AwsCloud, HetznerCloud } from "./cloud";
import { IngressController } from "./ingress";
import { MetalLb } from "./metallb";
import { MetricsServer } from "./metrics-server";
import { Storage } from "./storage";
import { CHART_FACTS, CHARTS } from "./versions";

export { INGRESS_CLASS } from "./ingress";

export interface PlatformArgs {
    readonly provider: k8s.Provider;
    /** What must exist first (the CNI). */
    readonly dependsOn: pulumi.Input<pulumi.Resource>[];
    readonly settings: Settings["platform"];
    readonly choices: PlatformChoices;
    /** For the Hetzner integration. */
    readonly hetzner?: { readonly token: pulumi.Output<string>; readonly network: pulumi.Input<string>; readonly location: string; readonly podCidr: string; readonly loadBalancerName: string };
    /** For the AWS integration. */
    readonly aws?: { readonly clusterName: string; readonly region: string };
    /** For verified kubelet certificates: which CSRs to approve. */
    readonly nodeNameRegex?: string;
    readonly nodeNetworks?: pulumi.Input<string>[];
    /** The address in front of the ingress node ports (the AWS network load balancer's name). */
    readonly ingressStatusAddress?: pulumi.Input<string>;
}

/** Annotations of the ingress controller's LoadBalancer Service for the Hetzner cloud controller: a named balancer on the private network. */
export function hetznerIngressAnnotations(h: { readonly loadBalancerName: string; readonly location: string }): Record<string, string> {
    return {
        "load-balancer.hetzner.cloud/name": h.loadBalancerName,
        "load-balancer.hetzner.cloud/location": h.location,
        "load-balancer.hetzner.cloud/use-private-ip": "true",
        "load-balancer.hetzner.cloud/uses-proxyprotocol": "false",
    };
}

/**
 * How the ingress controller's Service is exposed. On AWS the program's own network load balancer
 * (infra/platform/aws-ingress.ts) forwards 80/443 to fixed node ports: no AWS cloud controller is
 * needed for a LoadBalancer Service, so the controller listens on node ports.
 */
export function ingressExposure(c: Pick<PlatformChoices, "cloudIntegration" | "exposure">): PlatformChoices["exposure"] {
    return c.cloudIntegration === "aws" && c.exposure === "loadBalancer" ? "nodePort" : c.exposure;
}

export interface PlatformParts {
    readonly issuer?: IssuerName;
    readonly ready: pulumi.Resource[];
    /** A controller writes a status address on the Ingresses of the apps' class (false: Pulumi must not wait for one). */
    readonly ingressPublishesStatus: boolean;
}

/**
 * What the existing cluster is said to run, read (never created or adopted): a preview fails on a
 * cluster that lacks it, and apps wait for it like for anything the platform installs.
 */
function existingObjects(name: string, c: PlatformChoices, provider: k8s.Provider, parent: pulumi.Resource): pulumi.Resource[] {
    const opts = { provider, parent };
    const found: pulumi.Resource[] = [];
    if (c.provisioner === "none" && c.provides?.storageClass && c.databaseClass === c.provides.storageClass)
        found.push(k8s.storage.v1.StorageClass.get(`${name}-existing-${c.provides.storageClass}`, c.provides.storageClass, opts));
    if (!c.install.ingress && c.provides?.ingressClass) found.push(k8s.networking.v1.IngressClass.get(`${name}-existing-${c.provides.ingressClass}`, c.provides.ingressClass, opts));
    return found;
}

/** Host packages the add-ons these choices install need on every node (their chart facts). */
export function platformNodePackages(c: Pick<PlatformChoices, "provisioner">): string[] {
    const charts = c.provisioner === "nfs" ? [CHARTS.nfsProvisioner.chart] : [];
    return [...new Set(charts.flatMap((chart) => CHART_FACTS[chart].nodePackages ?? []))];
}

/** The cloud integration first (storage and load balancers need it), then every add-on on top of it. */
export function createPlatform(name: string, args: PlatformArgs, parent: pulumi.Resource): PlatformParts {
    const child = { parent };
    const { settings: s, choices: c, provider } = args;
    let base = [...args.dependsOn];
    if (c.cloudIntegration === "hetzner") {
        if (!args.hetzner) throw new Error("the Hetzner integration needs the hcloud token and network");
        base = [...base, ...new HetznerCloud(`${name}-hetzner`, { provider, dependsOn: base, ...args.hetzner }, child).ready];
    } else if (c.cloudIntegration === "aws") {
        if (!args.aws) throw new Error("the AWS integration needs the region");
        base = [...base, ...new AwsCloud(`${name}-aws`, { provider, dependsOn: base, clusterName: args.aws.clusterName, region: args.aws.region }, child).ready];
    }
    if (c.install.loadBalancer) {
        if (!s.loadBalancer) throw new Error("MetalLB needs infra:platform.loadBalancer");
        // LoadBalancer Services (the ingress's among them) get their address from MetalLB's pool.
        base = [...base, ...new MetalLb(`${name}-metallb`, { provider, dependsOn: base, addresses: s.loadBalancer.addresses }, child).ready];
    }
    const ready: pulumi.Resource[] = [...existingObjects(name, c, provider, parent)];
    if (c.provisioner !== "none")
        ready.push(...new Storage(`${name}-storage`, { provider, dependsOn: base, provisioner: c.provisioner, classes: s.storage.classes, nfs: s.storage.nfs }, child).classes);
    // A cluster's own controller (k3s' Traefik behind ServiceLB) publishes its LoadBalancer's address.
    let ingressPublishesStatus = c.provides?.loadBalancer ?? false;
    if (c.install.ingress) {
        const serviceAnnotations = c.cloudIntegration === "hetzner" && args.hetzner ? hetznerIngressAnnotations(args.hetzner) : {};
        const ingress = { controller: s.ingress.controller, exposure: ingressExposure(c), provider, dependsOn: base, serviceAnnotations, statusAddress: args.ingressStatusAddress };
        const controller = new IngressController(`${name}-ingress`, ingress, child);
        ready.push(controller.chart);
        ingressPublishesStatus = controller.publishesStatus;
    }
    let issuer: IssuerName | undefined;
    if (s.certManager.enabled) {
        const cm = new CertManager(`${name}-cert-manager`, { provider, dependsOn: base, email: s.certManager.email, ingressClass: c.ingressClass }, child);
        issuer = s.certManager.issuer;
        ready.push(cm.issuers.get(s.certManager.issuer) ?? cm.chart);
    }
    if (c.install.metricsServer) {
        const metrics = { provider, dependsOn: base, kubeletInsecureTls: c.kubeletInsecureTls, nodeNameRegex: args.nodeNameRegex, nodeNetworks: args.nodeNetworks };
        ready.push(new MetricsServer(`${name}-metrics`, metrics, child).chart);
    }
    if (s.kured.enabled) installKured(`${name}-kured`, s.kured, provider, base, parent);
    return { issuer, ready, ingressPublishesStatus };
}

export class Platform extends pulumi.ComponentResource {
    /** The issuer apps request certificates from (absent without cert-manager). */
    readonly issuer?: IssuerName;
    /** The IngressClass apps use: ours, or the one the existing cluster runs. */
    readonly ingressClass: string;
    readonly databaseClass: string;
    /** Resources apps wait for. */
    readonly ready: pulumi.Resource[];
    readonly ingressPublishesStatus: boolean;

    constructor(name: string, args: PlatformArgs, opts?: pulumi.ComponentResourceOptions) {
        super("infra:platform:Platform", name, {}, opts);
        ({ issuer: this.issuer, ready: this.ready, ingressPublishesStatus: this.ingressPublishesStatus } = createPlatform(name, args, this));
        this.databaseClass = args.choices.databaseClass;
        this.ingressClass = args.choices.ingressClass;
        this.registerOutputs({});
    }
}
