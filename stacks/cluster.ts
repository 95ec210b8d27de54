/** A whole cluster: nodes, kubeadm bootstrap, platform add-ons and apps. */
import * as pulumi from "@pulumi/pulumi";
import { KubeadmCluster } from "../infra/bootstrap";
import { platformChoices, type StackConfig } from "../infra/config";
import { createNodes } from "../infra/nodes";
import { createApiEndpoint, createAwsIngressLoadBalancer } from "../infra/nodes/endpoint";
import { createApps } from "./apps";
import { createPlatform } from "./platform";

export async function clusterStack(cfg: StackConfig): Promise<Record<string, unknown>> {
    const k = cfg.kubernetes!;
    const layer = createNodes(cfg);
    const endpoint = createApiEndpoint(cfg, layer);
    const choices = platformChoices(cfg);
    const ingressLoadBalancer =
        cfg.platform.ingress.enabled && choices.cloudIntegration === "aws" && choices.exposure === "loadBalancer" ? createAwsIngressLoadBalancer(cfg, layer) : undefined;
    const cluster = new KubeadmCluster(cfg.clusterName, {
        clusterName: cfg.clusterName,
        nodes: layer.nodes,
        endpoint,
        kubernetes: k,
        kubelet: { cloudProviderExternal: choices.cloudIntegration === "hetzner", serverTlsBootstrap: !choices.kubeletInsecureTls },
    });
    const platform = createPlatform(cfg, cluster.provider, [cluster.ready], layer);
    const app = createApps(cfg, cluster.provider, platform);
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
        },
        joinTokenExpires: k.joinTokenTtlHours === 0 ? "never" : pulumi.output(`${k.joinTokenTtlHours}h after it was issued`),
    };
}
