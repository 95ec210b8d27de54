/**
 * An auto scaling group of AWS workers that join the cluster by themselves: a launch template
 * whose user data runs a first-boot script (prepare, then kubeadm join), and the group. Built
 * after the cluster, from its join material: nothing here waits on the instances it starts.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { AwsPoolSettings } from "../config";
import { type AwsNetwork, awsLaunchSpec } from "./aws";
import { renderUserData } from "./user-data";

export interface AwsAutoscalingPoolArgs {
    readonly clusterName: string;
    /** A worker pool with `autoscaling` set. */
    readonly pool: AwsPoolSettings & { readonly autoscaling: NonNullable<AwsPoolSettings["autoscaling"]> };
    readonly network: AwsNetwork;
    /** Runs once at first boot, as root: prepares the instance and joins it (secret: it holds the join token). */
    readonly firstBootScript: pulumi.Input<string>;
}

export function createAutoscalingGroup(name: string, args: AwsAutoscalingPoolArgs, parent: pulumi.Resource): { launchTemplate: aws.ec2.LaunchTemplate; group: aws.autoscaling.Group } {
    const { pool, network } = args;
    const spec = awsLaunchSpec(pool, network, parent);
    const groupName = `${args.clusterName}-${pool.name}`;
    const userData = pulumi.output(args.firstBootScript).apply((script) => Buffer.from(renderUserData({ firstBootScript: script })).toString("base64"));
    const launchTemplate = new aws.ec2.LaunchTemplate(
        `${name}-template`,
        {
            namePrefix: `${groupName}-`,
            imageId: spec.ami,
            instanceType: pool.instanceType,
            keyName: network.keyPair.keyName,
            vpcSecurityGroupIds: [network.securityGroup.id],
            blockDeviceMappings: [{ deviceName: "/dev/sda1", ebs: { ...spec.rootVolume, encrypted: "true", deleteOnTermination: "true" } }],
            metadataOptions: spec.metadataOptions,
            userData,
            updateDefaultVersion: true,
            tagSpecifications: [
                { resourceType: "instance", tags: { ...spec.tags, Name: groupName } },
                { resourceType: "volume", tags: spec.tags },
            ],
            tags: spec.tags,
        },
        { parent },
    );
    const group = new aws.autoscaling.Group(
        `${name}-asg`,
        {
            namePrefix: `${groupName}-`,
            vpcZoneIdentifiers: network.subnetIds,
            minSize: pool.autoscaling.min,
            desiredCapacity: pool.autoscaling.desired,
            maxSize: pool.autoscaling.max,
            launchTemplate: { id: launchTemplate.id, version: "$Latest" },
            healthCheckType: "EC2",
            tags: Object.entries({ ...spec.tags, Name: groupName }).map(([key, value]) => ({ key, value, propagateAtLaunch: true })),
        },
        // The group's size moves with demand (scaling policies, operators): the stack sets only the bounds.
        { parent, ignoreChanges: ["desiredCapacity"] },
    );
    return { launchTemplate, group };
}

export class AwsAutoscalingPool extends pulumi.ComponentResource {
    readonly poolName: string;
    readonly launchTemplate: aws.ec2.LaunchTemplate;
    readonly autoscalingGroup: aws.autoscaling.Group;

    constructor(name: string, args: AwsAutoscalingPoolArgs, opts?: pulumi.ComponentResourceOptions) {
        // Before the split, auto scaling groups were `AwsPool`s: the alias keeps their state.
        super("infra:nodes:AwsAutoscalingPool", name, {}, { ...opts, aliases: [...(opts?.aliases ?? []), { type: "infra:nodes:AwsPool" }] });
        this.poolName = args.pool.name;
        ({ launchTemplate: this.launchTemplate, group: this.autoscalingGroup } = createAutoscalingGroup(name, args, this));
        this.registerOutputs({ autoscalingGroup: this.autoscalingGroup.name });
    }
}
