/** Builds the platform layer's arguments from the stack config and whatever cluster the stack has. */
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { platformChoices, type StackConfig } from "../infra/config";
import type { NodeLayer } from "../infra/nodes";
import { Platform } from "../infra/platform";

function escapeRegex(s: string): string {
    return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

export function createPlatform(cfg: StackConfig, provider: k8s.Provider, dependsOn: pulumi.Input<pulumi.Resource>[], layer?: NodeLayer): Platform {
    const choices = platformChoices(cfg);
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
    return new Platform(`${cfg.clusterName}-platform`, {
        provider,
        dependsOn,
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
        nodeNameRegex,
        nodeNetworks,
    });
}
