/**
 * Hetzner Cloud: one network, firewall and SSH key per cluster (`HetznerNetwork`), and any
 * number of server pools (`HetznerPool`) attached to them.
 */
import * as hcloud from "@pulumi/hcloud";
import * as pulumi from "@pulumi/pulumi";
import { HETZNER_LOCATIONS, type HetznerLocation, type HetznerPoolSettings, nodeName } from "../config";
import { thinComponent } from "../component";
import type { NodeAccess } from "./access";
import { machineNode } from "./node";
import { hetznerFirewallRules } from "./ports";
import type { ClusterNode } from "./types";
import { cloudHostKey } from "./host-key";

/** Hetzner spread placement groups hold at most 10 servers. */
export const PLACEMENT_GROUP_SIZE = 10;

export interface HetznerNetworkArgs {
    readonly clusterName: string;
    readonly environment: string;
    /** Private network of the cluster, e.g. 10.0.0.0/16. */
    readonly networkCidr: string;
    /** Subnet the servers are attached to, inside `networkCidr`. */
    readonly subnetCidr: string;
    /** Location of the pools: it decides the subnet's network zone. */
    readonly location: HetznerLocation;
    /** OpenSSH public key installed on every server. */
    readonly publicKey: string;
    /** Sources allowed to reach SSH and the API. */
    readonly adminCidrs: readonly string[];
    /** The mesh's UDP port, when the mesh is on. */
    readonly meshPort?: number;
}

export interface HetznerNetworkParts {
    readonly network: hcloud.Network;
    readonly subnet: hcloud.NetworkSubnet;
    readonly firewall: hcloud.Firewall;
    readonly sshKey: hcloud.SshKey;
    /** Labels of every Hetzner resource of the cluster. */
    readonly labels: Record<string, string>;
}

export function createHetznerNetwork(name: string, args: HetznerNetworkArgs, parent: pulumi.Resource): HetznerNetworkParts {
    const child = { parent };
    const labels = { cluster: args.clusterName, environment: args.environment, "managed-by": "pulumi" };
    const network = new hcloud.Network(`${name}-network`, { name: args.clusterName, ipRange: args.networkCidr, labels }, child);
    const subnet = new hcloud.NetworkSubnet(
        `${name}-subnet`,
        {
            networkId: network.id.apply(Number),
            type: "cloud",
            networkZone: HETZNER_LOCATIONS[args.location].zone,
            ipRange: args.subnetCidr,
        },
        child,
    );
    const firewall = new hcloud.Firewall(`${name}-firewall`, { name: args.clusterName, rules: hetznerFirewallRules(args.adminCidrs, args.meshPort), labels }, child);
    const sshKey = new hcloud.SshKey(`${name}-ssh-key`, { name: args.clusterName, publicKey: args.publicKey, labels }, child);
    return { network, subnet, firewall, sshKey, labels };
}

export class HetznerNetwork extends thinComponent("infra:nodes:HetznerNetwork", createHetznerNetwork, (n) => ({ networkId: n.network.id, firewallId: n.firewall.id })) {}

export interface HetznerPoolArgs {
    readonly clusterName: string;
    readonly environment: string;
    readonly pool: HetznerPoolSettings;
    readonly network: HetznerNetworkParts;
    readonly access: NodeAccess;
    /** `protect` control-plane servers (prod): a change that would replace one is refused by the preview. */
    readonly protectControlPlanes?: boolean;
}

export interface HetznerPoolParts {
    readonly location: HetznerLocation;
    readonly servers: hcloud.Server[];
    readonly placementGroups: hcloud.PlacementGroup[];
    readonly nodes: ClusterNode[];
}

export function createHetznerPool(name: string, args: HetznerPoolArgs, parent: pulumi.Resource): HetznerPoolParts {
    const { pool, network } = args;
    const labels = { ...network.labels, pool: pool.name, role: pool.role };
    const placementGroups = Array.from(
        { length: Math.ceil(pool.count / PLACEMENT_GROUP_SIZE) },
        (_, g) => new hcloud.PlacementGroup(`${name}-spread-${g + 1}`, { name: `${args.clusterName}-${pool.name}-${g + 1}`, type: "spread", labels }, { parent }),
    );
    const servers: hcloud.Server[] = [];
    const nodes: ClusterNode[] = [];
    for (let i = 0; i < pool.count; i++) {
        const serverName = nodeName(args.clusterName, pool.name, i);
        const hostKey = cloudHostKey(serverName, { hostname: serverName }, parent);
        const server = new hcloud.Server(
            serverName,
            {
                name: serverName,
                serverType: pool.serverType,
                image: pool.image,
                location: pool.location,
                sshKeys: [network.sshKey.id],
                firewallIds: [network.firewall.id.apply(Number)],
                placementGroupId: placementGroups[Math.floor(i / PLACEMENT_GROUP_SIZE)].id.apply(Number),
                networks: [{ networkId: network.network.id.apply(Number) }],
                publicNets: [{ ipv4Enabled: true, ipv6Enabled: true }],
                userData: hostKey.userData,
                labels,
            },
            // A server must not be attached before its subnet exists; user data only matters at first boot.
            {
                parent,
                dependsOn: [network.subnet],
                ignoreChanges: ["userData", "image"],
                // The new machine takes the node's name in the cluster: the old one is drained and
                // leaves (its drain or leave step) and goes before the new one is created.
                deleteBeforeReplace: true,
                // A control plane holds an etcd member, and the first one the cluster: never replaced by accident.
                protect: args.protectControlPlanes === true && pool.role === "control-plane",
            },
        );
        servers.push(server);
        const privateAddress = server.networks.apply((n) => n?.[0]?.ip ?? "");
        nodes.push(machineNode(pool, { name: serverName, publicAddress: server.ipv4Address, privateAddress, machineId: server.id, os: pool.image, hostKey: hostKey.publicKey, hostPrivateKey: hostKey.privateKey }, args.access, parent));
    }
    return { location: pool.location, servers, placementGroups, nodes };
}

export class HetznerPool extends thinComponent("infra:nodes:HetznerPool", createHetznerPool, (p) => ({ servers: p.servers.map((s) => s.id) })) {}
