/**
 * Where the Kubernetes API is reached. Several control planes need one address in front of
 * them: a Hetzner load balancer on the private network, an AWS network load balancer, or the
 * configured DNS name / virtual IP on-prem. A single control plane is reached directly.
 */
import * as aws from "@pulumi/aws";
import * as hcloud from "@pulumi/hcloud";
import * as pulumi from "@pulumi/pulumi";
import { AwsPool } from "./aws";
import { HetznerPool } from "./hetzner";
import type { NodeLayer } from "./index";

export const API_PORT = 6443;

export interface ApiEndpoint {
    /** Host nodes join through (a private address where there is one). */
    readonly joinHost: pulumi.Output<string>;
    /** Host admins and the program's kubeconfig use. */
    readonly publicHost: pulumi.Output<string>;
    readonly port: number;
    /** Every name and address the API server certificate must carry. */
    readonly certSans: pulumi.Output<string[]>;
    /** What created the endpoint (load balancer parts), for dependencies. */
    readonly resources: pulumi.Resource[];
    /** kube-vip on the control planes keeps the endpoint's address (`infra:kubernetes.virtualIp`). */
    readonly virtualIp?: { readonly address: string; readonly interface: string };
}

export interface ApiEndpointArgs {
    readonly clusterName: string;
    /** `infra:kubernetes.apiEndpoint`: a name or address in front of the control planes that the stack does not create. */
    readonly configured?: string;
    /** `infra:kubernetes.virtualIp`: an address the control planes keep alive themselves (kube-vip). */
    readonly virtualIp?: { readonly address: string; readonly interface: string };
    readonly layer: NodeLayer;
}

export function createApiEndpoint(args: ApiEndpointArgs): ApiEndpoint {
    const { clusterName, layer, configured } = args;
    const cps = layer.nodes.filter((n) => n.role === "control-plane");
    if (cps.length === 0) throw new Error("a cluster needs a control-plane node");
    const nodeSans = pulumi.all(cps.flatMap((n) => [n.publicAddress, n.privateAddress]));
    if (args.virtualIp) {
        const vip = args.virtualIp.address;
        return { joinHost: pulumi.output(vip), publicHost: pulumi.output(vip), port: API_PORT, certSans: nodeSans.apply((s) => [vip, ...s]), resources: [], virtualIp: args.virtualIp };
    }
    if (configured) {
        return { joinHost: pulumi.output(configured), publicHost: pulumi.output(configured), port: API_PORT, certSans: nodeSans.apply((s) => [configured, ...s]), resources: [] };
    }
    if (cps.length === 1) {
        return { joinHost: cps[0].privateAddress, publicHost: cps[0].publicAddress, port: API_PORT, certSans: nodeSans, resources: [] };
    }
    const cpPools = layer.pools.filter((p) => p.nodes.some((n) => n.role === "control-plane"));
    if (cpPools.every((p) => p instanceof HetznerPool)) return hetznerApiLoadBalancer(clusterName, layer, cpPools as HetznerPool[], nodeSans);
    if (cpPools.every((p) => p instanceof AwsPool)) return awsApiLoadBalancer(clusterName, layer, cpPools as AwsPool[], nodeSans);
    throw new Error("infra:kubernetes.apiEndpoint is required for several on-prem control planes");
}

function hetznerApiLoadBalancer(clusterName: string, layer: NodeLayer, pools: HetznerPool[], nodeSans: pulumi.Output<string[]>): ApiEndpoint {
    const name = `${clusterName}-api`;
    const network = layer.hetzner!;
    const lb = new hcloud.LoadBalancer(
        name,
        { name, loadBalancerType: "lb11", location: pools[0].location, algorithm: { type: "round_robin" }, labels: { ...network.labels, role: "api" } },
        { parent: network },
    );
    // Hetzner firewalls do not apply to load balancers: a public interface would open the API to
    // the world. The load balancer serves the nodes on the private network only; admins reach
    // the API at the first control plane's public address, which the firewall restricts.
    const attachment = new hcloud.LoadBalancerNetwork(
        `${name}-network`,
        { loadBalancerId: lb.id.apply(Number), networkId: network.network.id.apply(Number), enablePublicInterface: false },
        { parent: network, dependsOn: [network.subnet] },
    );
    const service = new hcloud.LoadBalancerService(
        `${name}-6443`,
        { loadBalancerId: lb.id, protocol: "tcp", listenPort: API_PORT, destinationPort: API_PORT, healthCheck: { protocol: "tcp", port: API_PORT, interval: 10, timeout: 5, retries: 3 } },
        { parent: network },
    );
    const targets = pools.flatMap((p) =>
        p.servers.map(
            (server, i) =>
                new hcloud.LoadBalancerTarget(
                    `${name}-${p.nodes[i].name}`,
                    { loadBalancerId: lb.id.apply(Number), type: "server", serverId: server.id.apply(Number), usePrivateIp: true },
                    { parent: network, dependsOn: [attachment] },
                ),
        ),
    );
    const cps = layer.nodes.filter((n) => n.role === "control-plane");
    return {
        joinHost: attachment.ip,
        publicHost: cps[0].publicAddress,
        port: API_PORT,
        certSans: pulumi.all([nodeSans, attachment.ip]).apply(([s, priv]) => [priv, ...s]),
        resources: [lb, attachment, service, ...targets],
    };
}

function awsApiLoadBalancer(clusterName: string, layer: NodeLayer, pools: AwsPool[], nodeSans: pulumi.Output<string[]>): ApiEndpoint {
    const name = `${clusterName}-api`;
    const network = layer.aws!;
    const nlb = new aws.lb.LoadBalancer(
        name,
        {
            namePrefix: "k8s-",
            loadBalancerType: "network",
            internal: false,
            subnets: network.subnetIds,
            securityGroups: [network.securityGroup.id],
            tags: { ...network.tags, Name: name },
        },
        { parent: network },
    );
    // Without client-IP preservation a control plane reaching the API through the NLB is not
    // routed back to itself (the NLB hairpin problem); admin sources are checked at the NLB's group.
    const group = new aws.lb.TargetGroup(
        `${name}-6443`,
        {
            namePrefix: "k8s-",
            port: API_PORT,
            protocol: "TCP",
            targetType: "instance",
            vpcId: network.vpcId,
            preserveClientIp: "false",
            healthCheck: { protocol: "TCP", port: String(API_PORT), interval: 10 },
            tags: network.tags,
        },
        { parent: network },
    );
    const listener = new aws.lb.Listener(
        `${name}-6443`,
        { loadBalancerArn: nlb.arn, port: API_PORT, protocol: "TCP", defaultActions: [{ type: "forward", targetGroupArn: group.arn }], tags: network.tags },
        { parent: network },
    );
    const attachments = pools.flatMap((p) =>
        p.instances.map((instance, i) => new aws.lb.TargetGroupAttachment(`${name}-${p.nodes[i].name}`, { targetGroupArn: group.arn, targetId: instance.id, port: API_PORT }, { parent: network })),
    );
    return {
        joinHost: nlb.dnsName,
        publicHost: nlb.dnsName,
        port: API_PORT,
        certSans: pulumi.all([nodeSans, nlb.dnsName]).apply(([s, dns]) => [dns, ...s]),
        resources: [nlb, group, listener, ...attachments],
    };
}
