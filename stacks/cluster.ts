/** A whole cluster: nodes, kubeadm bootstrap, platform add-ons and apps. */
import * as pulumi from "@pulumi/pulumi";
import { type JoinMaterial, KubeadmCluster } from "../infra/bootstrap";
import { asgJoinScript } from "../infra/bootstrap/steps";
import { type AwsPoolSettings, platformChoices, type StackConfig } from "../infra/config";
import { clusterMesh, type ClusterNode, createNodes, meshPeers } from "../infra/nodes";
import { createApiEndpoint, createAwsIngressLoadBalancer } from "../infra/nodes/endpoint";
import { createApps } from "./apps";
import { createPlatform } from "./platform";

/** A node's SSH address without credentials (the key is each stack's own secret). */
function sshTarget(n: ClusterNode) {
    return {
        name: n.name,
        host: n.connection.host,
        port: n.connection.port ?? 22,
        user: n.connection.user ?? "root",
        viaBastion: n.connection.proxy !== undefined,
    };
}

export async function clusterStack(cfg: StackConfig): Promise<Record<string, unknown>> {
    const k = cfg.kubernetes!;
    const choices = platformChoices(cfg);
    const cloudProviderExternal = choices.cloudIntegration === "hetzner";
    // Auto scaling group workers join from their user data, with material the cluster creates
    // below: a promise the cluster resolves (no resource depends on the instances they start).
    let resolveMaterial: (m: JoinMaterial) => void = () => undefined;
    const material = new Promise<JoinMaterial>((resolve) => (resolveMaterial = resolve));
    const joinScript = (pool: AwsPoolSettings) => pulumi.output(material.then((m) => asgJoinScript(m, k, pool, cloudProviderExternal)));
    const layer = createNodes(cfg, { mesh: clusterMesh(cfg), joinScript });
    const endpoint = createApiEndpoint(cfg, layer);
    const ingressLoadBalancer =
        cfg.platform.ingress.enabled && choices.cloudIntegration === "aws" && choices.exposure === "loadBalancer" ? createAwsIngressLoadBalancer(cfg, layer) : undefined;
    const cluster = new KubeadmCluster(cfg.clusterName, {
        clusterName: cfg.clusterName,
        nodes: layer.nodes,
        endpoint,
        kubernetes: k,
        kubelet: { cloudProviderExternal, serverTlsBootstrap: !choices.kubeletInsecureTls },
        etcdBackups: cfg.etcdBackups
            ? {
                  ...cfg.etcdBackups,
                  endpoint: cfg.etcdBackups.endpoint ?? `https://s3.${cfg.etcdBackups.region}.amazonaws.com`,
                  prefix: `etcd/${cfg.clusterName}`,
                  accessKeyId: cfg.secrets.backupAccessKeyId!,
                  secretAccessKey: cfg.secrets.backupSecretAccessKey!,
              }
            : undefined,
    });
    resolveMaterial(cluster.join);
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
        // How a burst stack reaches this cluster's nodes: the first control plane drains burst workers
        // that leave, and every node learns the burst workers' mesh keys. No secret here.
        access: {
            controlPlane: sshTarget(layer.nodes[0]),
            nodes: layer.nodes.map(sshTarget),
            bastion: cfg.ssh.bastion ?? null,
        },
        mesh: cfg.mesh.enabled ? { cidr: cfg.mesh.cidr, port: cfg.mesh.port, peers: meshPeers(layer.nodes) } : null,
    };
}
