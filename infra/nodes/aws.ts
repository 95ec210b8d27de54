/**
 * AWS: one network per cluster (`AwsNetwork`: VPC, public subnets over the region's zones,
 * internet gateway, routes, security group, key pair) and pools of EC2 instances or an auto
 * scaling group (`AwsPool`).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as ipaddr from "ipaddr.js";
import type { AwsPoolSettings } from "../config";
import { type NodeAccess, readinessGate, sshConnection } from "./access";
import { awsIngressRules } from "./ports";
import type { ClusterNode } from "./types";
import { renderUserData } from "./user-data";

/** Canonical's AWS account, owner of the official Ubuntu AMIs. */
export const CANONICAL_OWNER = "099720109477";
/** The login user of Canonical's Ubuntu AMIs (root login is disabled on them). */
export const UBUNTU_AMI_USER = "ubuntu";
const UBUNTU_CODENAME = { "ubuntu-22.04": "jammy", "ubuntu-24.04": "noble" } as const;

/** Graviton instance families (m7g, t4g, c8gd...) run arm64 images. */
export function architectureOf(instanceType: string): "arm64" | "x86_64" {
    return /^[a-z]+\d+[a-z]*g[a-z]*\./.test(instanceType) && !/^(g|p|inf|trn)\d/.test(instanceType) ? "arm64" : "x86_64";
}

export function ubuntuAmiNamePattern(image: AwsPoolSettings["image"], arch: "arm64" | "x86_64"): string {
    return `ubuntu/images/hvm-ssd*/ubuntu-${UBUNTU_CODENAME[image]}-${image.slice("ubuntu-".length)}-${arch === "arm64" ? "arm64" : "amd64"}-server-*`;
}

/** The `index`-th subnet of `cidr` that is `extraBits` longer, e.g. (10.1.0.0/16, 4, 1) -> 10.1.16.0/20. */
export function subnetOf(cidr: string, extraBits: number, index: number): string {
    const [addr, prefix] = ipaddr.IPv4.parseCIDR(cidr);
    const newPrefix = prefix + extraBits;
    if (newPrefix > 28) throw new Error(`${cidr} is too small for ${2 ** extraBits} subnets`);
    const base = addr.toByteArray().reduce((n, b) => n * 256 + b, 0) & (prefix === 0 ? 0 : ~(2 ** (32 - prefix) - 1));
    const start = (base >>> 0) + index * 2 ** (32 - newPrefix);
    const bytes = [24, 16, 8, 0].map((s) => (start >>> s) & 255);
    return `${bytes.join(".")}/${newPrefix}`;
}

export interface AwsNetworkArgs {
    readonly clusterName: string;
    readonly environment: string;
    readonly vpcCidr: string;
    /** How many of the region's availability zones get a public subnet. */
    readonly availabilityZones: number;
    readonly existingVpc?: { readonly vpcId: string; readonly subnetIds: readonly string[] };
    readonly publicKey: string;
    readonly adminCidrs: readonly string[];
    /** Give nodes an instance profile with the EBS CSI driver's permissions (AWS integration). */
    readonly ebsCsi: boolean;
    /** The mesh's UDP port, when the mesh is on. */
    readonly meshPort?: number;
}

/** AWS's managed policy for the EBS CSI driver. */
export const EBS_CSI_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy";

export class AwsNetwork extends pulumi.ComponentResource {
    readonly vpcId: pulumi.Output<string>;
    readonly subnetIds: pulumi.Output<string>[];
    readonly securityGroup: aws.ec2.SecurityGroup;
    readonly keyPair: aws.ec2.KeyPair;
    readonly tags: Record<string, string>;
    readonly instanceProfile?: aws.iam.InstanceProfile;

    constructor(name: string, args: AwsNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
        super("infra:nodes:AwsNetwork", name, {}, opts);
        const parent = { parent: this };
        this.tags = {
            cluster: args.clusterName,
            environment: args.environment,
            "managed-by": "pulumi",
            [`kubernetes.io/cluster/${args.clusterName}`]: "owned",
        };
        if (args.existingVpc) {
            this.vpcId = pulumi.output(args.existingVpc.vpcId);
            this.subnetIds = args.existingVpc.subnetIds.map((s) => pulumi.output(s));
        } else {
            const vpc = new aws.ec2.Vpc(
                `${name}-vpc`,
                { cidrBlock: args.vpcCidr, enableDnsHostnames: true, enableDnsSupport: true, tags: { ...this.tags, Name: args.clusterName } },
                parent,
            );
            const zones = aws.getAvailabilityZonesOutput({ state: "available" }, parent).names.apply((names) => {
                if (names.length < args.availabilityZones)
                    throw new Error(`infra:aws.availabilityZones asks for ${args.availabilityZones} zones, but the region has ${names.length}`);
                return names.slice(0, args.availabilityZones);
            });
            const igw = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags: { ...this.tags, Name: args.clusterName } }, parent);
            const routes = new aws.ec2.RouteTable(
                `${name}-public`,
                { vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }], tags: { ...this.tags, Name: `${args.clusterName}-public` } },
                parent,
            );
            this.vpcId = vpc.id;
            this.subnetIds = Array.from({ length: args.availabilityZones }, (_, i) => {
                const subnet = new aws.ec2.Subnet(
                    `${name}-public-${i + 1}`,
                    {
                        vpcId: vpc.id,
                        cidrBlock: subnetOf(args.vpcCidr, 4, i),
                        availabilityZone: zones[i],
                        mapPublicIpOnLaunch: true,
                        tags: { ...this.tags, Name: `${args.clusterName}-public-${i + 1}`, "kubernetes.io/role/elb": "1" },
                    },
                    parent,
                );
                new aws.ec2.RouteTableAssociation(`${name}-public-${i + 1}`, { subnetId: subnet.id, routeTableId: routes.id }, parent);
                return subnet.id;
            });
        }
        this.securityGroup = new aws.ec2.SecurityGroup(
            `${name}-nodes`,
            {
                vpcId: this.vpcId,
                description: `Kubernetes nodes of ${args.clusterName}`,
                ingress: awsIngressRules(args.adminCidrs, args.meshPort),
                egress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"], description: "all outbound" }],
                tags: { ...this.tags, Name: `${args.clusterName}-nodes` },
            },
            parent,
        );
        this.keyPair = new aws.ec2.KeyPair(`${name}-key`, { keyName: args.clusterName, publicKey: args.publicKey, tags: this.tags }, parent);
        if (args.ebsCsi) {
            const role = new aws.iam.Role(
                `${name}-node`,
                {
                    namePrefix: `${args.clusterName}-node-`,
                    assumeRolePolicy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }] }),
                    tags: this.tags,
                },
                parent,
            );
            new aws.iam.RolePolicyAttachment(`${name}-node-ebs-csi`, { role: role.name, policyArn: EBS_CSI_POLICY }, parent);
            this.instanceProfile = new aws.iam.InstanceProfile(`${name}-node`, { namePrefix: `${args.clusterName}-node-`, role: role.name, tags: this.tags }, parent);
        }
        this.registerOutputs({ vpcId: this.vpcId, securityGroupId: this.securityGroup.id });
    }
}

export interface AwsPoolArgs {
    readonly clusterName: string;
    readonly pool: AwsPoolSettings;
    readonly network: AwsNetwork;
    readonly access: NodeAccess;
    /**
     * First-boot script of auto scaling group instances, which join the cluster by themselves
     * (provided by the bootstrap). Without it, they only boot.
     */
    readonly joinScript?: pulumi.Input<string>;
}

export class AwsPool extends pulumi.ComponentResource {
    readonly poolName: string;
    readonly instances: aws.ec2.Instance[] = [];
    readonly nodes: ClusterNode[] = [];
    readonly launchTemplate?: aws.ec2.LaunchTemplate;
    readonly autoscalingGroup?: aws.autoscaling.Group;

    constructor(name: string, args: AwsPoolArgs, opts?: pulumi.ComponentResourceOptions) {
        super("infra:nodes:AwsPool", name, {}, opts);
        const { pool, network } = args;
        this.poolName = pool.name;
        const tags = { ...network.tags, pool: pool.name, role: pool.role };
        const arch = architectureOf(pool.instanceType);
        const ami = aws.ec2.getAmiOutput(
            {
                owners: [CANONICAL_OWNER],
                mostRecent: true,
                filters: [
                    { name: "name", values: [ubuntuAmiNamePattern(pool.image, arch)] },
                    { name: "architecture", values: [arch] },
                    { name: "virtualization-type", values: ["hvm"] },
                ],
            },
            { parent: this },
        );
        const rootVolume = { volumeType: "gp3", volumeSize: pool.rootVolumeGb, encrypted: true, deleteOnTermination: true };
        const metadataOptions = { httpTokens: "required", httpEndpoint: "enabled", httpPutResponseHopLimit: 1 };

        if (pool.autoscaling) {
            const userData = pulumi
                .output(args.joinScript)
                .apply((script) => Buffer.from(renderUserData({ firstBootScript: script })).toString("base64"));
            const lt = new aws.ec2.LaunchTemplate(
                `${name}-template`,
                {
                    namePrefix: `${args.clusterName}-${pool.name}-`,
                    imageId: ami.id,
                    instanceType: pool.instanceType,
                    keyName: network.keyPair.keyName,
                    vpcSecurityGroupIds: [network.securityGroup.id],
                    blockDeviceMappings: [{ deviceName: "/dev/sda1", ebs: { ...rootVolume, encrypted: "true", deleteOnTermination: "true" } }],
                    iamInstanceProfile: network.instanceProfile ? { arn: network.instanceProfile.arn } : undefined,
                    metadataOptions,
                    userData,
                    updateDefaultVersion: true,
                    tagSpecifications: [
                        { resourceType: "instance", tags: { ...tags, Name: `${args.clusterName}-${pool.name}` } },
                        { resourceType: "volume", tags },
                    ],
                    tags,
                },
                { parent: this },
            );
            const asg = new aws.autoscaling.Group(
                `${name}-asg`,
                {
                    namePrefix: `${args.clusterName}-${pool.name}-`,
                    vpcZoneIdentifiers: network.subnetIds,
                    minSize: pool.autoscaling.min,
                    desiredCapacity: pool.autoscaling.desired,
                    maxSize: pool.autoscaling.max,
                    launchTemplate: { id: lt.id, version: "$Latest" },
                    healthCheckType: "EC2",
                    tags: Object.entries({ ...tags, Name: `${args.clusterName}-${pool.name}` }).map(([key, value]) => ({ key, value, propagateAtLaunch: true })),
                },
                { parent: this, ignoreChanges: ["desiredCapacity"] },
            );
            this.launchTemplate = lt;
            this.autoscalingGroup = asg;
        } else {
            for (let i = 0; i < (pool.count ?? 0); i++) {
                const nodeName = `${args.clusterName}-${pool.name}-${i + 1}`;
                const instance = new aws.ec2.Instance(
                    nodeName,
                    {
                        ami: ami.id,
                        instanceType: pool.instanceType,
                        subnetId: network.subnetIds[i % network.subnetIds.length],
                        vpcSecurityGroupIds: [network.securityGroup.id],
                        keyName: network.keyPair.keyName,
                        iamInstanceProfile: network.instanceProfile?.name,
                        associatePublicIpAddress: true,
                        rootBlockDevice: rootVolume,
                        metadataOptions,
                        userData: renderUserData({ hostname: nodeName }),
                        tags: { ...tags, Name: nodeName },
                        volumeTags: tags,
                    },
                    // A newer Ubuntu AMI must not replace running nodes; it applies to new ones.
                    { parent: this, ignoreChanges: ["ami", "userData"] },
                );
                const connection = sshConnection(args.access, instance.publicIp, { user: UBUNTU_AMI_USER });
                const ready = readinessGate(nodeName, connection, { parent: this, machineId: instance.id });
                this.instances.push(instance);
                this.nodes.push({
                    name: nodeName,
                    role: pool.role,
                    provider: "aws",
                    pool: pool.name,
                    os: pool.image,
                    publicAddress: instance.publicIp,
                    privateAddress: instance.privateIp,
                    connection,
                    labels: pool.labels,
                    taints: pool.taints,
                    ready,
                });
            }
        }
        this.registerOutputs({ instances: this.instances.map((i) => i.id), autoscalingGroup: this.autoscalingGroup?.name });
    }
}
