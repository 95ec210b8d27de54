/**
 * AWS: one network per cluster (`AwsNetwork`: VPC, public subnets over the region's zones,
 * internet gateway, routes, security group, key pair) and pools of fixed EC2 instances
 * (`AwsPool`). Auto scaling groups join by themselves, after the cluster exists: aws-autoscaling.ts.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { type AwsPoolSettings, isMacInstanceType, nodeName, subnetOf } from "../config";
import type { NodeAccess } from "./access";
import { machineNode } from "./node";
import { awsIngressRules } from "./ports";
import type { ClusterNode } from "./types";
import { cloudHostKey } from "./host-key";

/** Canonical's AWS account, owner of the official Ubuntu AMIs. */
export const CANONICAL_OWNER = "099720109477";
/** The login user of Canonical's Ubuntu AMIs (root login is disabled on them). */
export const UBUNTU_AMI_USER = "ubuntu";
const UBUNTU_CODENAME = { "ubuntu-22.04": "jammy", "ubuntu-24.04": "noble" } as const;

/**
 * arm64 families whose names do not follow AWS's naming convention (see `architectureOf`).
 * a1: the first Graviton, named before the convention. p6e-gb200: NVIDIA GB200, whose CPUs are Arm (Grace).
 */
const ARM64_OUTSIDE_CONVENTION: ReadonlySet<string> = new Set(["a1", "p6e-gb200"]);

/**
 * The CPU architecture of an instance type, which picks its Ubuntu AMI. AWS names a family
 * `<class><generation><processor><options>`; the processor letter `g` right after the generation
 * is Graviton (arm64): t4g, m7g, c8gd, c7gn, r8gb, x2gd, im4gn, is4gen, i8ge, hpc7g, and the GPU
 * family g5g, whose class letter is also a g. Families outside the convention are listed above.
 * Everything else is Intel or AMD (x86_64): m7i, c7a, t3, the GPU and accelerator classes g4dn,
 * g6, gr6, p5, inf2, trn2, dl1, and the old cg1 and cc2. Mac families (mac1, mac2, mac2-m2pro,
 * mac-m4...) run only macOS, on dedicated hosts: no Ubuntu AMI exists for them, so they are refused.
 */
export function architectureOf(instanceType: string): "arm64" | "x86_64" {
    const family = instanceType.split(".")[0];
    // Refused by validation first (infra:pools[i].instanceType); this guards direct callers.
    if (isMacInstanceType(instanceType)) throw new Error(`${instanceType} is an EC2 Mac instance: it runs only macOS on a dedicated host, and there is no Ubuntu AMI for it`);
    if (ARM64_OUTSIDE_CONVENTION.has(family)) return "arm64";
    return /^[a-z]+\d+g/.test(family) ? "arm64" : "x86_64";
}

export function ubuntuAmiNamePattern(image: AwsPoolSettings["image"], arch: "arm64" | "x86_64"): string {
    return `ubuntu/images/hvm-ssd*/ubuntu-${UBUNTU_CODENAME[image]}-${image.slice("ubuntu-".length)}-${arch === "arm64" ? "arm64" : "amd64"}-server-*`;
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
    /** The mesh's UDP port, when the mesh is on. */
    readonly meshPort?: number;
}

/** Tags of every AWS resource of the cluster; `kubernetes.io/cluster/<name>` marks what the cluster owns. */
export function awsTags(clusterName: string, environment: string): Record<string, string> {
    return { cluster: clusterName, environment, "managed-by": "pulumi", [`kubernetes.io/cluster/${clusterName}`]: "owned" };
}

interface AwsNetworkParts {
    readonly vpcId: pulumi.Output<string>;
    readonly subnetIds: pulumi.Output<string>[];
    readonly securityGroup: aws.ec2.SecurityGroup;
    readonly keyPair: aws.ec2.KeyPair;
}

/** A VPC with one public subnet per availability zone (1/16 of the VPC each), behind an internet gateway. */
function createVpc(name: string, args: AwsNetworkArgs, tags: Record<string, string>, parent: pulumi.Resource): Pick<AwsNetworkParts, "vpcId" | "subnetIds"> {
    const opts = { parent };
    const vpc = new aws.ec2.Vpc(`${name}-vpc`, { cidrBlock: args.vpcCidr, enableDnsHostnames: true, enableDnsSupport: true, tags: { ...tags, Name: args.clusterName } }, opts);
    const zones = aws.getAvailabilityZonesOutput({ state: "available" }, opts).names.apply((names) => {
        if (names.length < args.availabilityZones)
            throw new Error(`infra:aws.availabilityZones asks for ${args.availabilityZones} zones, but the region has ${names.length}`);
        return names.slice(0, args.availabilityZones);
    });
    const igw = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags: { ...tags, Name: args.clusterName } }, opts);
    const routes = new aws.ec2.RouteTable(
        `${name}-public`,
        { vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }], tags: { ...tags, Name: `${args.clusterName}-public` } },
        opts,
    );
    const subnetIds = Array.from({ length: args.availabilityZones }, (_, i) => {
        const subnet = new aws.ec2.Subnet(
            `${name}-public-${i + 1}`,
            {
                vpcId: vpc.id,
                cidrBlock: subnetOf(args.vpcCidr, 4, i),
                availabilityZone: zones[i],
                mapPublicIpOnLaunch: true,
                tags: { ...tags, Name: `${args.clusterName}-public-${i + 1}`, "kubernetes.io/role/elb": "1" },
            },
            opts,
        );
        new aws.ec2.RouteTableAssociation(`${name}-public-${i + 1}`, { subnetId: subnet.id, routeTableId: routes.id }, opts);
        return subnet.id;
    });
    return { vpcId: vpc.id, subnetIds };
}

export function createAwsNetwork(name: string, args: AwsNetworkArgs, tags: Record<string, string>, parent: pulumi.Resource): AwsNetworkParts {
    const { vpcId, subnetIds } = args.existingVpc
        ? { vpcId: pulumi.output(args.existingVpc.vpcId), subnetIds: args.existingVpc.subnetIds.map((s) => pulumi.output(s)) }
        : createVpc(name, args, tags, parent);
    const securityGroup = new aws.ec2.SecurityGroup(
        `${name}-nodes`,
        {
            vpcId,
            description: `Kubernetes nodes of ${args.clusterName}`,
            ingress: awsIngressRules(args.adminCidrs, args.meshPort),
            egress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"], description: "all outbound" }],
            tags: { ...tags, Name: `${args.clusterName}-nodes` },
        },
        { parent },
    );
    const keyPair = new aws.ec2.KeyPair(`${name}-key`, { keyName: args.clusterName, publicKey: args.publicKey, tags }, { parent });
    // No instance profile: nothing on a node needs AWS credentials (the EBS CSI controller has its own, infra/platform/cloud.ts).
    return { vpcId, subnetIds, securityGroup, keyPair };
}

export class AwsNetwork extends pulumi.ComponentResource implements AwsNetworkParts {
    readonly vpcId: pulumi.Output<string>;
    readonly subnetIds: pulumi.Output<string>[];
    readonly securityGroup: aws.ec2.SecurityGroup;
    readonly keyPair: aws.ec2.KeyPair;
    readonly tags: Record<string, string>;

    constructor(name: string, args: AwsNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
        super("infra:nodes:AwsNetwork", name, {}, opts);
        this.tags = awsTags(args.clusterName, args.environment);
        ({ vpcId: this.vpcId, subnetIds: this.subnetIds, securityGroup: this.securityGroup, keyPair: this.keyPair } = createAwsNetwork(
            name,
            args,
            this.tags,
            this,
        ));
        this.registerOutputs({ vpcId: this.vpcId, securityGroupId: this.securityGroup.id });
    }
}

/** What every machine of a pool is launched from: the pool's Ubuntu AMI for its architecture, an encrypted gp3 root volume, IMDSv2 only. */
export interface AwsLaunchSpec {
    readonly ami: pulumi.Output<string>;
    readonly rootVolume: { readonly volumeType: "gp3"; readonly volumeSize: number; readonly encrypted: true; readonly deleteOnTermination: true };
    readonly metadataOptions: { readonly httpTokens: "required"; readonly httpEndpoint: "enabled"; readonly httpPutResponseHopLimit: 1 };
    readonly tags: Record<string, string>;
}

export function awsLaunchSpec(pool: AwsPoolSettings, network: AwsNetwork, parent: pulumi.Resource): AwsLaunchSpec {
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
        { parent },
    );
    return {
        ami: ami.id,
        rootVolume: { volumeType: "gp3", volumeSize: pool.rootVolumeGb, encrypted: true, deleteOnTermination: true },
        metadataOptions: { httpTokens: "required", httpEndpoint: "enabled", httpPutResponseHopLimit: 1 },
        tags: { ...network.tags, pool: pool.name, role: pool.role },
    };
}

export interface AwsPoolArgs {
    readonly clusterName: string;
    /** A pool of fixed instances (`count`); auto scaling groups are `AwsAutoscalingPool`s. */
    readonly pool: AwsPoolSettings;
    readonly network: AwsNetwork;
    readonly access: NodeAccess;
    /** `protect` control-plane instances (prod): a change that would replace one is refused by the preview. */
    readonly protectControlPlanes?: boolean;
}

export function createAwsInstances(args: AwsPoolArgs, parent: pulumi.Resource): { instances: aws.ec2.Instance[]; nodes: ClusterNode[] } {
    const { pool, network } = args;
    const spec = awsLaunchSpec(pool, network, parent);
    const instances: aws.ec2.Instance[] = [];
    const nodes: ClusterNode[] = [];
    for (let i = 0; i < (pool.count ?? 0); i++) {
        const name = nodeName(args.clusterName, pool.name, i);
        const hostKey = cloudHostKey(name, { hostname: name }, parent);
        const instance = new aws.ec2.Instance(
            name,
            {
                ami: spec.ami,
                instanceType: pool.instanceType,
                subnetId: network.subnetIds[i % network.subnetIds.length],
                vpcSecurityGroupIds: [network.securityGroup.id],
                keyName: network.keyPair.keyName,
                associatePublicIpAddress: true,
                rootBlockDevice: spec.rootVolume,
                metadataOptions: spec.metadataOptions,
                userData: hostKey.userData,
                tags: { ...spec.tags, Name: name },
                volumeTags: spec.tags,
            },
            // A newer Ubuntu AMI must not replace running nodes; it applies to new ones.
            // A replacement takes the node's name in the cluster: the old machine is drained and leaves first.
            { parent, ignoreChanges: ["ami", "userData"], deleteBeforeReplace: true, protect: args.protectControlPlanes === true && pool.role === "control-plane" },
        );
        instances.push(instance);
        nodes.push(
            machineNode(pool, { name, publicAddress: instance.publicIp, privateAddress: instance.privateIp, user: UBUNTU_AMI_USER, machineId: instance.id, os: pool.image, hostKey: hostKey.publicKey, hostPrivateKey: hostKey.privateKey }, args.access, parent),
        );
    }
    return { instances, nodes };
}

export class AwsPool extends pulumi.ComponentResource {
    readonly poolName: string;
    readonly instances: aws.ec2.Instance[];
    readonly nodes: ClusterNode[];

    constructor(name: string, args: AwsPoolArgs, opts?: pulumi.ComponentResourceOptions) {
        super("infra:nodes:AwsPool", name, {}, opts);
        this.poolName = args.pool.name;
        ({ instances: this.instances, nodes: this.nodes } = createAwsInstances(args, this));
        this.registerOutputs({ instances: this.instances.map((i) => i.id) });
    }
}
