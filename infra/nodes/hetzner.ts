/**
 * Hetzner Cloud: one network, firewall and SSH key per cluster (`HetznerNetwork`), and any
 * number of server pools (`HetznerPool`) attached to them.
 */
import * as hcloud from "@pulumi/hcloud";
import * as pulumi from "@pulumi/pulumi";
import { HETZNER_LOCATIONS, type HetznerLocation, type HetznerPoolSettings, nodeName } from "../config";
import type { NodeAccess } from "./access";
import { machineNode } from "./node";
import { hetznerFirewallRules } from "./ports";
import type { ClusterNode } from "./types";
import { renderUserData } from "./user-data";

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

export class HetznerNetwork extends pulumi.ComponentResource {
    readonly network: hcloud.Network;
    readonly subnet: hcloud.NetworkSubnet;
    readonly firewall: hcloud.Firewall;
    readonly sshKey: hcloud.SshKey;
    readonly labels: Record<string, string>;

    constructor(name: string, args: HetznerNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
        super("infra:nodes:HetznerNetwork", name, {}, opts);
        const parent = { parent: this };
        this.labels = { cluster: args.clusterName, environment: args.environment, "managed-by": "pulumi" };
        this.network = new hcloud.Network(`${name}-network`, { name: args.clusterName, ipRange: args.networkCidr, labels: this.labels }, parent);
        this.subnet = new hcloud.NetworkSubnet(
            `${name}-subnet`,
            {
                networkId: this.network.id.apply(Number),
                type: "cloud",
                networkZone: HETZNER_LOCATIONS[args.location].zone,
                ipRange: args.subnetCidr,
            },
            parent,
        );
        this.firewall = new hcloud.Firewall(
            `${name}-firewall`,
            { name: args.clusterName, rules: hetznerFirewallRules(args.adminCidrs, args.meshPort), labels: this.labels },
            parent,
        );
        this.sshKey = new hcloud.SshKey(`${name}-ssh-key`, { name: args.clusterName, publicKey: args.publicKey, labels: this.labels }, parent);
        this.registerOutputs({ networkId: this.network.id, firewallId: this.firewall.id });
    }
}

export interface HetznerPoolArgs {
    readonly clusterName: string;
    readonly environment: string;
    readonly pool: HetznerPoolSettings;
    readonly network: HetznerNetwork;
    readonly access: NodeAccess;
}

export class HetznerPool extends pulumi.ComponentResource {
    readonly location: HetznerLocation;
    readonly servers: hcloud.Server[];
    readonly placementGroups: hcloud.PlacementGroup[];
    readonly nodes: ClusterNode[];

    constructor(name: string, args: HetznerPoolArgs, opts?: pulumi.ComponentResourceOptions) {
        super("infra:nodes:HetznerPool", name, {}, opts);
        const { pool, network } = args;
        this.location = pool.location;
        const labels = { ...network.labels, pool: pool.name, role: pool.role };
        this.placementGroups = Array.from(
            { length: Math.ceil(pool.count / PLACEMENT_GROUP_SIZE) },
            (_, g) => new hcloud.PlacementGroup(`${name}-spread-${g + 1}`, { name: `${args.clusterName}-${pool.name}-${g + 1}`, type: "spread", labels }, { parent: this }),
        );
        this.servers = [];
        this.nodes = [];
        for (let i = 0; i < pool.count; i++) {
            const serverName = nodeName(args.clusterName, pool.name, i);
            const server = new hcloud.Server(
                serverName,
                {
                    name: serverName,
                    serverType: pool.serverType,
                    image: pool.image,
                    location: pool.location,
                    sshKeys: [network.sshKey.id],
                    firewallIds: [network.firewall.id.apply(Number)],
                    placementGroupId: this.placementGroups[Math.floor(i / PLACEMENT_GROUP_SIZE)].id.apply(Number),
                    networks: [{ networkId: network.network.id.apply(Number) }],
                    publicNets: [{ ipv4Enabled: true, ipv6Enabled: true }],
                    userData: renderUserData({ hostname: serverName }),
                    labels,
                },
                // A server must not be attached before its subnet exists; user data only matters at first boot.
                { parent: this, dependsOn: [network.subnet], ignoreChanges: ["userData", "image"] },
            );
            this.servers.push(server);
            const privateAddress = server.networks.apply((n) => n?.[0]?.ip ?? "");
            this.nodes.push(machineNode(pool, { name: serverName, publicAddress: server.ipv4Address, privateAddress, machineId: server.id, os: pool.image }, args.access, this));
        }
        this.registerOutputs({ servers: this.servers.map((s) => s.id) });
    }
}
