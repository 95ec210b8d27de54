/**
 * A whole cluster, in one forward pass: the fixed machines and their networks, the API endpoint,
 * the kubeadm bootstrap, then the workers that join by themselves (auto scaling groups, from the
 * cluster's join material), the platform add-ons and the apps.
 */
import * as pulumi from "@pulumi/pulumi";
import * as ipaddr from "ipaddr.js";
import { type ApiHosts, type EtcdBackupSettings, KubeadmCluster } from "../infra/bootstrap";
import { asgJoinScript } from "../infra/bootstrap/steps";
import type { StackConfig } from "../infra/config";
import { AwsPool, createAutoscalingPools, createNodes, meshPeers, type NodeLayer } from "../infra/nodes";
import { sshTarget } from "../infra/nodes/access";
import type { AwsAutoscalingPool } from "../infra/nodes/aws-autoscaling";
import { createApiEndpoint } from "../infra/nodes/endpoint";
import { POD_MTU_OVER_MESH } from "../infra/nodes/mesh";
import { platformNodePackages } from "../infra/platform";
import { createAwsIngressLoadBalancer } from "../infra/platform/aws-ingress";
import { createApps } from "./apps";
import { meshOptions, nodeLayerArgs } from "./nodes";
import type { ClusterStackOutputs, StackOutputs } from "./outputs";
import { platformFor } from "./platform";
import { dayTwo } from "./deployed";

function etcdBackupSettings(cfg: StackConfig): EtcdBackupSettings | undefined {
    const b = cfg.etcdBackups;
    if (!b) return undefined;
    return {
        ...b,
        endpoint: b.endpoint ?? `https://s3.${b.region}.amazonaws.com`,
        prefix: `etcd/${cfg.clusterName}`,
        accessKeyId: cfg.secrets.backupAccessKeyId!,
        secretAccessKey: cfg.secrets.backupSecretAccessKey!,
    };
}

/**
 * With the mesh, the API is reached at the control planes' mesh addresses: a DNS name as
 * `kubernetes.apiEndpoint` is made to resolve to them on every node (no site's DNS can).
 */
function meshApiHosts(cfg: StackConfig, layer: NodeLayer): ApiHosts | undefined {
    const name = cfg.kubernetes?.apiEndpoint;
    if (!cfg.mesh.enabled || !name || ipaddr.isValid(name)) return undefined;
    return { name, addresses: layer.nodes.filter((n) => n.role === "control-plane").map((n) => n.mesh!.address) };
}

/** On AWS the program's own network load balancer feeds the ingress controller's node ports (there is no AWS cloud controller). */
function awsIngress(cfg: StackConfig, layer: NodeLayer, autoscaling: AwsAutoscalingPool[]) {
    const c = cfg.choices;
    if (!cfg.platform.ingress.enabled || c.cloudIntegration !== "aws" || c.exposure !== "loadBalancer") return undefined;
    const instancePools = layer.pools.filter((p): p is AwsPool => p instanceof AwsPool && p.nodes.every((n) => n.role === "worker"));
    return createAwsIngressLoadBalancer({ clusterName: cfg.clusterName, network: layer.aws!, instancePools, autoscalingPools: autoscaling });
}

export async function clusterStack(cfg: StackConfig): Promise<StackOutputs<ClusterStackOutputs>> {
    const k = cfg.kubernetes!;
    // What the last up left, and what kubeadm cannot do to it: refused before anything is created.
    const day2 = await dayTwo(cfg);
    const cloudProviderExternal = cfg.choices.cloudIntegration === "hetzner";
    const layer = createNodes(nodeLayerArgs(cfg, cfg.mesh.enabled ? meshOptions(cfg, cfg.mesh, 0, []) : undefined));
    const endpoint = createApiEndpoint({ clusterName: cfg.clusterName, configured: k.apiEndpoint, virtualIp: k.virtualIp, layer });
    const apiHosts = meshApiHosts(cfg, layer);
    const nodePackages = platformNodePackages(cfg.choices);
    const cluster = new KubeadmCluster(cfg.clusterName, {
        clusterName: cfg.clusterName,
        nodes: layer.nodes,
        endpoint,
        kubernetes: k,
        kubelet: { cloudProviderExternal, serverTlsBootstrap: !cfg.choices.kubeletInsecureTls },
        etcdBackups: etcdBackupSettings(cfg),
        podMtu: cfg.mesh.enabled ? POD_MTU_OVER_MESH : undefined,
        apiHosts,
        nodePackages,
        rollout: {
            upgrading: day2.plan.upgrading,
            renewing: day2.plan.renewing,
            certificatesRenewed: day2.plan.certificates.renewed,
            ...k.upgrade,
        },
    });
    const autoscaling = createAutoscalingPools(cfg, layer.aws, (pool) => asgJoinScript(cfg.clusterName, cluster.join, { ...k, nodePackages }, pool, cloudProviderExternal));
    const ingressLoadBalancer = awsIngress(cfg, layer, autoscaling);
    const platform = platformFor(cfg, cluster, layer, ingressLoadBalancer?.dnsName);
    const app = createApps(cfg, cluster, platform);
    return {
        clusterName: cfg.clusterName,
        environment: cfg.environment,
        mode: cfg.mode,
        apiEndpoint: cluster.endpoint,
        certificateIssuer: platform.issuer,
        ...(app ? { appUrl: app.url } : {}),
        ...(ingressLoadBalancer ? { ingressAddress: ingressLoadBalancer.dnsName } : {}),
        kubeconfig: cluster.kubeconfig,
        nodes: layer.nodes.map((n) => ({ name: n.name, role: n.role, provider: n.provider, pool: n.pool, publicAddress: n.publicAddress, privateAddress: n.privateAddress })),
        // What a burst stack needs to join this cluster (see stacks/burst.ts); secrets stay secret.
        join: {
            endpoint: cluster.join.endpoint,
            token: cluster.join.token,
            caCertHash: cluster.join.caCertHash,
            kubernetesVersion: k.version,
            containerdVersion: k.containerdVersion,
            podCidr: k.podCidr,
            serviceCidr: k.serviceCidr,
            nodePackages,
        },
        joinTokenExpires: k.joinTokenTtlHours === 0 ? "never" : pulumi.output(`${k.joinTokenTtlHours}h after it was issued`),
        access: { controlPlane: sshTarget(layer.nodes[0]), nodes: layer.nodes.map(sshTarget), bastion: cfg.ssh.bastion ?? null },
        mesh: cfg.mesh.enabled ? { cidr: cfg.mesh.cidr, port: cfg.mesh.port, peers: meshPeers(layer.nodes), apiHosts: apiHosts ?? null } : null,
        // Known once every node's rollout step finished: a failed up leaves the last one in place,
        // and the next up (and its preview) compares the stack file with it (stacks/deployed.ts).
        lifecycle: pulumi.all(cluster.rolledOut.map((r) => (r as pulumi.CustomResource).id)).apply(() => ({ ...day2.wanted, certificates: day2.plan.certificates })),
    };
}
