/**
 * The platform layer: what every cluster needs before an app can be served. It takes a
 * `k8s.Provider`, never a cluster: it does not know where the cluster came from.
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

export class Platform extends pulumi.ComponentResource {
    /** The issuer apps request certificates from (absent without cert-manager). */
    readonly issuer?: IssuerName;
    readonly ingressClass = INGRESS_CLASS;
    readonly databaseClass: string;
    /** Resources apps wait for. */
    readonly ready: pulumi.Resource[] = [];

    constructor(name: string, args: PlatformArgs, opts?: pulumi.ComponentResourceOptions) {
        super("infra:platform:Platform", name, {}, opts);
        const child = { parent: this };
        const { settings: s, choices: c, provider } = args;
        let base = [...args.dependsOn];
        if (c.cloudIntegration === "hetzner") {
            if (!args.hetzner) throw new Error("the Hetzner integration needs the hcloud token and network");
            base = [...base, ...new HetznerCloud(`${name}-hetzner`, { provider, dependsOn: base, ...args.hetzner }, child).ready];
        } else if (c.cloudIntegration === "aws") {
            base = [...base, ...new AwsCloud(`${name}-aws`, { provider, dependsOn: base }, child).ready];
        }
        if (c.provisioner !== "none") {
            this.ready.push(...new Storage(`${name}-storage`, { provider, dependsOn: base, provisioner: c.provisioner, classes: s.storage.classes, nfs: s.storage.nfs }, child).classes);
        }
        if (s.ingress.enabled) {
            const annotations: Record<string, string> =
                c.cloudIntegration === "hetzner" && args.hetzner
                    ? {
                          "load-balancer.hetzner.cloud/name": args.hetzner.loadBalancerName,
                          "load-balancer.hetzner.cloud/location": args.hetzner.location,
                          "load-balancer.hetzner.cloud/use-private-ip": "true",
                          "load-balancer.hetzner.cloud/uses-proxyprotocol": "false",
                      }
                    : {};
            // On AWS the program's own network load balancer (infra/nodes/endpoint.ts) forwards 80/443 to
            // fixed node ports: no AWS cloud controller is needed for a LoadBalancer Service.
            const exposure = c.cloudIntegration === "aws" && c.exposure === "loadBalancer" ? "nodePort" : c.exposure;
            this.ready.push(new IngressController(`${name}-ingress`, { controller: s.ingress.controller, exposure, provider, dependsOn: base, serviceAnnotations: annotations }, child).chart);
        }
        if (s.certManager.enabled) {
            const cm = new CertManager(`${name}-cert-manager`, { provider, dependsOn: base, email: s.certManager.email }, child);
            this.issuer = s.certManager.issuer;
            this.ready.push(cm.issuers.get(s.certManager.issuer) ?? cm.chart);
        }
        if (s.metricsServer.enabled) {
            this.ready.push(
                new MetricsServer(`${name}-metrics`, { provider, dependsOn: base, kubeletInsecureTls: c.kubeletInsecureTls, nodeNameRegex: args.nodeNameRegex, nodeNetworks: args.nodeNetworks }, child).chart,
            );
        }
        this.databaseClass = c.databaseClass;
        this.registerOutputs({});
    }
}
