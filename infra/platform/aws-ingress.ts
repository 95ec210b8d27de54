/**
 * AWS ingress: there is no AWS cloud controller in the cluster, so instead of a LoadBalancer
 * Service the program builds a network load balancer that forwards 80/443 from anywhere to the
 * ingress controller's node ports on every worker (instances and auto scaling groups), in its own
 * security group; the nodes admit the node ports from that group only.
 */
import * as aws from "@pulumi/aws";
import type { AwsNetwork, AwsPool } from "../nodes/aws";
import type { AwsAutoscalingPool } from "../nodes/aws-autoscaling";
import { INGRESS_NODE_PORTS as NODE_PORTS } from "../config/platform";

export interface AwsIngressArgs {
    readonly clusterName: string;
    readonly network: AwsNetwork;
    /** Pools of fixed worker instances. */
    readonly instancePools: readonly AwsPool[];
    readonly autoscalingPools: readonly AwsAutoscalingPool[];
}

export function createAwsIngressLoadBalancer(args: AwsIngressArgs): aws.lb.LoadBalancer {
    const name = `${args.clusterName}-ingress`;
    const { network } = args;
    const parent = { parent: network };
    const sg = new aws.ec2.SecurityGroup(
        name,
        {
            vpcId: network.vpcId,
            description: `Ingress load balancer of ${args.clusterName}`,
            ingress: [80, 443].map((port) => ({ protocol: "tcp", fromPort: port, toPort: port, cidrBlocks: ["0.0.0.0/0"], description: `http(s) from anywhere` })),
            egress: [{ protocol: "tcp", fromPort: NODE_PORTS.http, toPort: NODE_PORTS.https, securityGroups: [network.securityGroup.id], description: "to the ingress node ports" }],
            tags: { ...network.tags, Name: name },
        },
        parent,
    );
    new aws.vpc.SecurityGroupIngressRule(
        `${name}-nodeports`,
        { securityGroupId: network.securityGroup.id, referencedSecurityGroupId: sg.id, ipProtocol: "tcp", fromPort: NODE_PORTS.http, toPort: NODE_PORTS.https, description: "ingress node ports from the ingress load balancer" },
        parent,
    );
    const nlb = new aws.lb.LoadBalancer(name, { namePrefix: "ing-", loadBalancerType: "network", internal: false, subnets: network.subnetIds, securityGroups: [sg.id], tags: { ...network.tags, Name: name } }, parent);
    for (const [portName, port] of [["http", 80], ["https", 443]] as const) {
        const group = new aws.lb.TargetGroup(
            `${name}-${portName}`,
            { namePrefix: "ing-", port: NODE_PORTS[portName], protocol: "TCP", targetType: "instance", vpcId: network.vpcId, preserveClientIp: "false", tags: network.tags },
            parent,
        );
        new aws.lb.Listener(`${name}-${portName}`, { loadBalancerArn: nlb.arn, port, protocol: "TCP", defaultActions: [{ type: "forward", targetGroupArn: group.arn }], tags: network.tags }, parent);
        for (const pool of args.instancePools)
            pool.instances.forEach((instance, i) => new aws.lb.TargetGroupAttachment(`${name}-${portName}-${pool.nodes[i].name}`, { targetGroupArn: group.arn, targetId: instance.id, port: NODE_PORTS[portName] }, parent));
        for (const pool of args.autoscalingPools)
            new aws.autoscaling.Attachment(`${name}-${portName}-${pool.poolName}`, { autoscalingGroupName: pool.autoscalingGroup.name, lbTargetGroupArn: group.arn }, parent);
    }
    return nlb;
}
