/**
 * The platform layer: what every cluster needs before an app can be served. It takes the
 * cluster's handle, as its provider and what must be ready first (`ClusterHandle.provider` and
 * `.ready`, passed by stacks/platform.ts), never the nodes: it does not know where the cluster
 * came from.
 */
import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { PlatformChoices, Settings } from "../config";
import { CertManager, type IssuerName } from "./cert-manager";
import { AwsCloud, HetznerCloud } from "./cloud";
import { IngressController, INGRESS_CLASS } from "./ingress";
import { MetricsServer } from "./metrics-server";
import { Storage } from "./storage";

export { INGRESS_CLASS } from "./ingress";

export interface PlatformArgs {
    readonly provider: k8s.Provider;
    /** What must exist first (the CNI). */
    readonly dependsOn: pulumi.Input<pulumi.Resource>[];
    readonly settings: Settings["platform"];
    readonly choices: PlatformChoices;
    /** For the Hetzner integration. */
    readonly hetzner?: { readonly token: pulumi.Output<string>; readonly network: pulumi.Input<string>; readonly location: string; readonly podCidr: string; readonly loadBalancerName: string };
    /** For verified kubelet certificates: which CSRs to approve. */
    readonly nodeNameRegex?: string;
    readonly nodeNetworks?: string[];
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
        base = [...base, ...new AwsCloud(`${name}-aws`, { provider, dependsOn: base }, child).ready];
    }
    const ready: pulumi.Resource[] = [];
    if (c.provisioner !== "none")
        ready.push(...new Storage(`${name}-storage`, { provider, dependsOn: base, provisioner: c.provisioner, classes: s.storage.classes, nfs: s.storage.nfs }, child).classes);
    if (s.ingress.enabled) {
        const serviceAnnotations = c.cloudIntegration === "hetzner" && args.hetzner ? hetznerIngressAnnotations(args.hetzner) : {};
        ready.push(new IngressController(`${name}-ingress`, { controller: s.ingress.controller, exposure: ingressExposure(c), provider, dependsOn: base, serviceAnnotations }, child).chart);
    }
    let issuer: IssuerName | undefined;
    if (s.certManager.enabled) {
        const cm = new CertManager(`${name}-cert-manager`, { provider, dependsOn: base, email: s.certManager.email }, child);
        issuer = s.certManager.issuer;
        ready.push(cm.issuers.get(s.certManager.issuer) ?? cm.chart);
    }
    if (s.metricsServer.enabled) {
        const metrics = { provider, dependsOn: base, kubeletInsecureTls: c.kubeletInsecureTls, nodeNameRegex: args.nodeNameRegex, nodeNetworks: args.nodeNetworks };
        ready.push(new MetricsServer(`${name}-metrics`, metrics, child).chart);
    }
    return { issuer, ready };
}

export class Platform extends pulumi.ComponentResource {
    /** The issuer apps request certificates from (absent without cert-manager). */
    readonly issuer?: IssuerName;
    readonly ingressClass = INGRESS_CLASS;
    readonly databaseClass: string;
    /** Resources apps wait for. */
    readonly ready: pulumi.Resource[];

    constructor(name: string, args: PlatformArgs, opts?: pulumi.ComponentResourceOptions) {
        super("infra:platform:Platform", name, {}, opts);
        ({ issuer: this.issuer, ready: this.ready } = createPlatform(name, args, this));
        this.databaseClass = args.choices.databaseClass;
        this.registerOutputs({});
    }
}
