/**
 * Cloud integration: on Hetzner the hcloud cloud controller manager (node addresses, load
 * balancers, private network routes) and the hcloud CSI driver; on AWS the EBS CSI driver (its
 * permissions come from the nodes' instance profile). The Hetzner token reaches the cluster only
 * as a Kubernetes Secret.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { thinComponent } from "../component";
import { type ChartInstall, installChart } from "./helm";
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

/** The cloud controller also routes pod traffic over the private network, so it must know the pods' range. */
export function hcloudCcmValues(podCidr: string): HcloudCcmValues {
    return { networking: { enabled: true, clusterCIDR: podCidr } };
}

/** Storage classes are the platform's own (infra/platform/storage.ts), not the chart's. */
export function hcloudCsiValues(): HcloudCsiValues {
    return { storageClasses: [] };
}

/** Storage classes are the platform's own (infra/platform/storage.ts), not the chart's; two controller replicas. */
export function ebsCsiValues(): EbsCsiValues {
    return { storageClasses: [], controller: { replicaCount: 2 } };
}

export interface CloudParts {
    /** What storage and load balancers wait for. */
    readonly ready: pulumi.Resource[];
}

export function createHetznerCloud(name: string, args: HetznerCloudArgs, parent: pulumi.Resource): CloudParts {
    const secret = new k8s.core.v1.Secret(
        `${name}-hcloud`,
        { metadata: { name: "hcloud", namespace: "kube-system" }, type: "Opaque", stringData: { token: args.token, network: args.network } },
        { provider: args.provider, parent, dependsOn: args.dependsOn },
    );
    const kubeSystem: Omit<ChartInstall, "ref" | "values"> = { namespace: "kube-system", createNamespace: false, podSecurity: "privileged", provider: args.provider, dependsOn: [secret] };
    const ccm = installChart(`${name}-ccm`, { ref: CHARTS.hcloudCcm, values: hcloudCcmValues(args.podCidr), ...kubeSystem }, parent);
    const csi = installChart(`${name}-csi`, { ref: CHARTS.hcloudCsi, values: hcloudCsiValues(), ...kubeSystem }, parent);
    return { ready: [ccm, csi] };
}

export class HetznerCloud extends thinComponent("infra:platform:HetznerCloud", createHetznerCloud) {}

export interface AwsCloudArgs {
    readonly provider: k8s.Provider;
    readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

export function createAwsCloud(name: string, args: AwsCloudArgs, parent: pulumi.Resource): CloudParts {
    const ebs = installChart(
        `${name}-ebs-csi`,
        { ref: CHARTS.awsEbsCsi, namespace: "kube-system", createNamespace: false, podSecurity: "privileged", values: ebsCsiValues(), provider: args.provider, dependsOn: args.dependsOn },
        parent,
    );
    return { ready: [ebs] };
}

export class AwsCloud extends thinComponent("infra:platform:AwsCloud", createAwsCloud) {}
