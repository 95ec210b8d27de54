/** Builds the platform layer's arguments from the stack config and whatever cluster the stack has. */
import * as pulumi from "@pulumi/pulumi";
import type { ClusterHandle } from "../infra/bootstrap/types";
import type { StackConfig } from "../infra/config";
import type { NodeLayer } from "../infra/nodes";
import { Platform } from "../infra/platform";

function escapeRegex(s: string): string {
    return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * The platform on `cluster`; `layer` is the stack's own nodes, absent on a cluster the program did
 * not build; `ingressAddress` what stands in front of the ingress node ports (the AWS load balancer).
 */
export function platformFor(cfg: StackConfig, cluster: ClusterHandle, layer?: NodeLayer, ingressAddress?: pulumi.Input<string>): Platform {
    const choices = cfg.choices;
    const firstHetzner = cfg.pools.find((p) => p.provider === "hetzner");
    const onprem = layer?.nodes.filter((n) => n.provider === "vmware" || n.provider === "static") ?? [];
    // Serving certificates are approved for the cluster's own node names and networks only.
    const nodeNameRegex = `^(${[`${escapeRegex(cfg.clusterName)}-.+`, ...onprem.map((n) => escapeRegex(n.name))].join("|")})$`;
    const nodeNetworks = [
        ...(cfg.mesh.enabled ? [cfg.mesh.cidr] : []),
        ...(cfg.pools.some((p) => p.provider === "hetzner") ? [cfg.hetzner.networkCidr] : []),
        ...(cfg.pools.some((p) => p.provider === "aws") ? [cfg.aws.vpcCidr] : []),
        ...cfg.pools.flatMap((p) => (p.provider === "vmware" || p.provider === "static" ? p.nodes.map((n) => `${n.privateAddress ?? n.address}/32`) : [])),
    ].filter((n) => /^\d/.test(n));
    // The Hetzner cloud controller adds each server's public IPv4 as an ExternalIP, which the kubelet's
    // serving certificate request then carries too.
    const publicHetzner = choices.cloudIntegration === "hetzner" ? (layer?.nodes.filter((n) => n.provider === "hetzner") ?? []).map((n) => pulumi.interpolate`${n.publicAddress}/32`) : [];
    return new Platform(`${cfg.clusterName}-platform`, {
        provider: cluster.provider,
        dependsOn: [...cluster.ready],
        settings: cfg.platform,
        choices,
        hetzner:
            choices.cloudIntegration === "hetzner" && layer?.hetzner && firstHetzner?.provider === "hetzner"
                ? {
                      token: cfg.hcloudToken!,
                      network: layer.hetzner.network.id,
                      location: firstHetzner.location,
                      podCidr: cfg.kubernetes!.podCidr,
                      loadBalancerName: `${cfg.clusterName}-ingress`,
                  }
                : undefined,
        aws: choices.cloudIntegration === "aws" ? { clusterName: cfg.clusterName, region: cfg.awsRegion! } : undefined,
        nodeNameRegex,
        nodeNetworks: [...nodeNetworks, ...publicHetzner],
        ingressStatusAddress: ingressAddress,
    });
}
