/**
 * Cloud integration: on Hetzner the hcloud cloud controller manager (node addresses, load
 * balancers, private network routes) and the hcloud CSI driver; on AWS the EBS CSI driver (its
 * permissions come from the nodes' instance profile). The Hetzner token reaches the cluster only
 * as a Kubernetes Secret.
 */
import * as aws from "@pulumi/aws";
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
    controller: { replicaCount: number; region: string };
    node: { hostNetwork: boolean };
    awsAccessSecret: { name: string; keyId: string; accessKey: string };
}

/** The cloud controller also routes pod traffic over the private network, so it must know the pods' range. */
export function hcloudCcmValues(podCidr: string): HcloudCcmValues {
    return { networking: { enabled: true, clusterCIDR: podCidr } };
}

/** Storage classes are the platform's own (infra/platform/storage.ts), not the chart's. */
export function hcloudCsiValues(): HcloudCsiValues {
    return { storageClasses: [] };
}

/** AWS's managed policy for the EBS CSI driver. */
export const EBS_CSI_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy";
export const EBS_CSI_SECRET = "aws-ebs-csi";

/**
 * The driver (2.64.0) learns its region and instance from the instance metadata service, or from
 * the node's providerID and topology labels, which only an AWS cloud controller sets and none runs
 * here (pkg/cloud/metadata). The nodes keep the metadata hop limit at 1, so no pod reaches the
 * service (an auto scaling group's user data holds the join token):
 * - the node plugin, root on every node, runs on the host network (one hop);
 * - the controller, the only part that calls AWS, is told its region and gets an IAM user's keys
 *   with the driver's policy, from a Secret: no node needs AWS credentials at all.
 * Storage classes are the platform's own (infra/platform/storage.ts), not the chart's.
 */
export function ebsCsiValues(region: string): EbsCsiValues {
    return {
        storageClasses: [],
        controller: { replicaCount: 2, region },
        node: { hostNetwork: true },
        awsAccessSecret: { name: EBS_CSI_SECRET, keyId: "key_id", accessKey: "access_key" },
    };
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
    readonly clusterName: string;
    readonly region: string;
}

export function createAwsCloud(name: string, args: AwsCloudArgs, parent: pulumi.Resource): CloudParts {
    const user = new aws.iam.User(`${name}-ebs-csi`, { name: `${args.clusterName}-ebs-csi`, tags: { cluster: args.clusterName, "managed-by": "pulumi" } }, { parent });
    new aws.iam.UserPolicyAttachment(`${name}-ebs-csi`, { user: user.name, policyArn: EBS_CSI_POLICY }, { parent });
    const key = new aws.iam.AccessKey(`${name}-ebs-csi`, { user: user.name }, { parent, additionalSecretOutputs: ["secret"] });
    const secret = new k8s.core.v1.Secret(
        `${name}-ebs-csi`,
        { metadata: { name: EBS_CSI_SECRET, namespace: "kube-system" }, type: "Opaque", stringData: { key_id: pulumi.secret(key.id), access_key: key.secret } },
        { provider: args.provider, parent, dependsOn: args.dependsOn },
    );
    const ebs = installChart(
        `${name}-ebs-csi`,
        { ref: CHARTS.awsEbsCsi, namespace: "kube-system", createNamespace: false, podSecurity: "privileged", values: ebsCsiValues(args.region), provider: args.provider, dependsOn: [...args.dependsOn, secret] },
        parent,
    );
    return { ready: [ebs] };
}

export class AwsCloud extends thinComponent("infra:platform:AwsCloud", createAwsCloud) {}
