/**
 * Cloud integration: on Hetzner the hcloud cloud controller manager (node addresses, load
 * balancers, private network routes) and the hcloud CSI driver; on AWS the EBS CSI driver (its
 * permissions come from the nodes' instance profile). The Hetzner token reaches the cluster only
 * as a Kubernetes Secret.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { installChart } from "./helm";
import { CHARTS } from "./versions";

export interface HetznerCloudArgs {
    readonly provider: k8s.Provider;
    readonly dependsOn: pulumi.Input<pulumi.Resource>[];
    readonly token: pulumi.Output<string>;
    /** Name or id of the cluster's private network. */
    readonly network: pulumi.Input<string>;
    readonly podCidr: string;
}

export interface HcloudCcmValues {
    networking: { enabled: boolean; clusterCIDR: string };
}
export interface HcloudCsiValues {
    storageClasses: never[];
}
export interface EbsCsiValues {
    storageClasses: never[];
    controller: { replicaCount: number };
}

export class HetznerCloud extends pulumi.ComponentResource {
    readonly ready: pulumi.Resource[];

    constructor(name: string, args: HetznerCloudArgs, opts?: pulumi.ComponentResourceOptions) {
        super("infra:platform:HetznerCloud", name, {}, opts);
        const secret = new k8s.core.v1.Secret(
            `${name}-hcloud`,
            { metadata: { name: "hcloud", namespace: "kube-system" }, type: "Opaque", stringData: { token: args.token, network: args.network } },
            { provider: args.provider, parent: this, dependsOn: args.dependsOn },
        );
        const ccmValues: HcloudCcmValues = { networking: { enabled: true, clusterCIDR: args.podCidr } };
        const ccm = installChart(`${name}-ccm`, { ref: CHARTS.hcloudCcm, namespace: "kube-system", createNamespace: false, podSecurity: "privileged", values: ccmValues, provider: args.provider, dependsOn: [secret] }, this);
        // Storage classes are the platform's own (infra/platform/storage.ts), not the chart's.
        const csiValues: HcloudCsiValues = { storageClasses: [] };
        const csi = installChart(`${name}-csi`, { ref: CHARTS.hcloudCsi, namespace: "kube-system", createNamespace: false, podSecurity: "privileged", values: csiValues, provider: args.provider, dependsOn: [secret] }, this);
        this.ready = [ccm, csi];
        this.registerOutputs({});
    }
}

export class AwsCloud extends pulumi.ComponentResource {
    readonly ready: pulumi.Resource[];

    constructor(name: string, args: { provider: k8s.Provider; dependsOn: pulumi.Input<pulumi.Resource>[] }, opts?: pulumi.ComponentResourceOptions) {
        super("infra:platform:AwsCloud", name, {}, opts);
        const values: EbsCsiValues = { storageClasses: [], controller: { replicaCount: 2 } };
        this.ready = [installChart(`${name}-ebs-csi`, { ref: CHARTS.awsEbsCsi, namespace: "kube-system", createNamespace: false, podSecurity: "privileged", values, provider: args.provider, dependsOn: args.dependsOn }, this)];
        this.registerOutputs({});
    }
}
