/** Rules on the networks: the nodes' private networks, the mesh between sites, and ranges that must not overlap. */
import * as ipaddr from "ipaddr.js";
import { cidrContains, cidrContainsAddress, cidrsOverlap, rangesOverlap, reservedAddresses } from "../cidr";
import { BURST_POOL_OFFSET, controlPlaneCount, MAX_MESH_NODES_PER_POOL, meshAddresses, nodeNames } from "../names";
import { HETZNER_LOCATIONS, type Settings } from "../schema";
import { clusterRanges, infraKey as P, isOnPrem, type Report, siteOf } from "./common";

/** The private networks the clouds' nodes sit on. */
export function nodeNetworkProblems(s: Settings, add: Report): void {
    // One Hetzner private network per cluster: its subnet lives in one network zone.
    const hetznerPools = s.pools.map((p, i) => [p, i] as const).filter(([p]) => p.provider === "hetzner");
    if (hetznerPools.length > 1) {
        const [first, fi] = hetznerPools[0];
        const zone = first.provider === "hetzner" ? HETZNER_LOCATIONS[first.location].zone : "";
        for (const [p, i] of hetznerPools.slice(1)) {
            if (p.provider === "hetzner" && HETZNER_LOCATIONS[p.location].zone !== zone)
                add(P("pools", i, "location"), `${p.location} is in network zone ${HETZNER_LOCATIONS[p.location].zone}, but infra:pools[${fi}] is in ${zone}: the cluster's Hetzner pools share one private network, in one zone`);
        }
    }
    if (s.pools.some((p) => p.provider === "aws") && !s.aws.existingVpc && Number(s.aws.vpcCidr.split("/")[1]) > 24)
        add(P("aws", "vpcCidr"), `${s.aws.vpcCidr} is too small: use a /16 to /24 (each zone gets 1/16 of it)`);
}

/** Nodes at several sites talk over the mesh: their private networks do not reach each other. */
export function meshProblems(s: Settings, add: Report): void {
    const sites = new Set(s.pools.map(siteOf));
    if (s.mode === "cluster" && sites.size > 1 && !s.mesh.enabled)
        add(P("mesh", "enabled"), `must be true: the nodes sit at ${sites.size} sites (${[...sites].join(", ")}) whose private networks do not reach each other`);
    if (!s.mesh.enabled) return;
    if (Number(s.mesh.cidr.split("/")[1]) > 16) add(P("mesh", "cidr"), `${s.mesh.cidr} must be a /16 or larger (pool p, node n gets .p.(n+1))`);
    s.pools.forEach((p, i) => {
        if (nodeNames("", p).length > MAX_MESH_NODES_PER_POOL) add(P("pools", i), `has more than ${MAX_MESH_NODES_PER_POOL} nodes: a mesh pool holds at most ${MAX_MESH_NODES_PER_POOL} (split it)`);
    });
    meshAddressProblems(s, add);
    meshRangeProblems(s, add);
    if (s.mesh.port === VXLAN_PORT)
        add(P("mesh", "port"), `${VXLAN_PORT} is Calico's VXLAN port (pod traffic between nodes); pick another UDP port, e.g. the default 51820`);
    const endpoint = s.kubernetes?.apiEndpoint;
    if (s.mode === "cluster" && controlPlaneCount(s.pools) > 1 && !endpoint && !s.kubernetes?.virtualIp)
        add(P("kubernetes", "apiEndpoint"), "is required with the mesh and several control planes: a DNS name, which every node resolves to the control planes' mesh addresses (a load balancer on one site's network is out of the other sites' reach)");
    if (s.mode === "cluster" && endpoint && ipaddr.isValid(endpoint) && sites.size > 1)
        add(P("kubernetes", "apiEndpoint"), `${endpoint} is an address on one site's network, out of the other sites' reach: use a DNS name, which every node resolves to the control planes' mesh addresses`);
}

/** Every node's mesh address is inside the mesh and its own (pins and blocks must not collide). */
function meshAddressProblems(s: Settings, add: Report): void {
    const seen = new Map<string, string>();
    for (const a of meshAddresses("", s.pools, s.mesh.cidr, s.mode === "burst" ? BURST_POOL_OFFSET : 0)) {
        const pool = s.pools[a.pool];
        const pinned = isOnPrem(pool) && pool.nodes[a.node].meshAddress !== undefined;
        const at = pinned ? P("pools", a.pool, "nodes", a.node, "meshAddress") : pool.meshBlock !== undefined ? P("pools", a.pool, "meshBlock") : P("pools", a.pool);
        const who = isOnPrem(pool) ? pool.nodes[a.node].name : `node ${a.node + 1} of pool ${pool.name}`;
        if (pinned && !cidrContainsAddress(s.mesh.cidr, a.address)) add(at, `${a.address} is outside the mesh ${s.mesh.cidr}`);
        const other = seen.get(a.address);
        if (other) add(at, `gives ${who} the mesh address ${a.address}, which ${other} has already: pick a free block or address`);
        else seen.set(a.address, who);
    }
}

/** Calico's VXLAN port: the mesh must not take it (and it must not be opened to the world). */
const VXLAN_PORT = 4789;

/** The mesh range must not overlap any other network the nodes use, nor hold a node's own address. */
function meshRangeProblems(s: Settings, add: Report): void {
    const mesh = s.mesh.cidr;
    const others = clusterRanges(s).filter(([path]) => path !== P("mesh", "cidr"));
    if (s.pools.some((p) => p.provider === "hetzner")) others.push([P("hetzner", "networkCidr"), s.hetzner.networkCidr]);
    if (s.pools.some((p) => p.provider === "aws") && !s.aws.existingVpc) others.push([P("aws", "vpcCidr"), s.aws.vpcCidr]);
    for (const [path, range] of others) if (cidrsOverlap(mesh, range)) add(P("mesh", "cidr"), `${mesh} overlaps ${range} (${path}); pick a range of its own`);
    s.pools.forEach((p, i) => {
        if (!isOnPrem(p)) return;
        p.nodes.forEach((n, j) => {
            for (const addr of new Set([n.address, n.privateAddress ?? n.address]))
                if (cidrContainsAddress(mesh, addr)) add(P("mesh", "cidr"), `${mesh} contains node address ${addr} (infra:pools[${i}].nodes[${j}]); pick a range outside the nodes' networks`);
        });
    });
}

/** The pod and service ranges overlap neither each other nor the nodes' networks and addresses. */
export function rangeProblems(s: Settings, add: Report): void {
    const k = s.kubernetes;
    if (!k) return;
    const ranges = [["podCidr", k.podCidr], ["serviceCidr", k.serviceCidr]] as const;
    if (cidrsOverlap(k.podCidr, k.serviceCidr)) add(P("kubernetes", "serviceCidr"), `${k.serviceCidr} overlaps podCidr ${k.podCidr}; pick disjoint ranges`);
    const nodeNets: [string, string][] = [];
    if (s.pools.some((p) => p.provider === "hetzner")) nodeNets.push([P("hetzner", "networkCidr"), s.hetzner.networkCidr]);
    if (s.pools.some((p) => p.provider === "aws")) nodeNets.push([P("aws", "vpcCidr"), s.aws.vpcCidr]);
    for (const [path, net] of nodeNets) {
        for (const [field, c] of ranges) if (cidrsOverlap(c, net)) add(P("kubernetes", field), `${c} overlaps the nodes' private network ${net} (${path})`);
    }
    s.pools.forEach((p, i) => {
        if (!isOnPrem(p)) return;
        p.nodes.forEach((n, j) => {
            const addr = n.privateAddress ?? n.address;
            for (const [field, c] of ranges)
                if (cidrContainsAddress(c, addr))
                    add(P("kubernetes", field), `${c} contains node address ${addr} (infra:pools[${i}].nodes[${j}]); pick a range outside the nodes' network`);
        });
    });
}

/** Several on-prem control planes have no cloud load balancer in front of them. */
export function onPremEndpointProblems(s: Settings, add: Report): void {
    const k = s.kubernetes;
    const onPremCps = s.pools.filter((p) => p.role === "control-plane" && isOnPrem(p));
    if (k && controlPlaneCount(s.pools) > 1 && onPremCps.length > 0 && !k.apiEndpoint && !k.virtualIp)
        add(
            P("kubernetes", "apiEndpoint"),
            "is required for on-prem HA control planes: a DNS name or address in front of every control plane's port 6443, or set infra:kubernetes.virtualIp and kube-vip keeps one alive",
        );
    if (k?.virtualIp) virtualIpProblems(s, k.virtualIp, add);
}

/** The kube-vip address: on the control planes' LAN, free, and reachable by every node. */
function virtualIpProblems(s: Settings, vip: NonNullable<NonNullable<Settings["kubernetes"]>["virtualIp"]>, add: Report): void {
    const at = (f?: string) => (f ? P("kubernetes", "virtualIp", f) : P("kubernetes", "virtualIp"));
    const k = s.kubernetes!;
    const cps = s.pools.filter((p) => p.role === "control-plane");
    if (s.mode !== "cluster") return add(at(), "is for a cluster stack (its control planes run kube-vip)");
    if (cps.some((p) => !isOnPrem(p))) return add(at(), "is for on-prem control planes: Hetzner and AWS control planes get the cloud's load balancer");
    if (k.apiEndpoint && k.apiEndpoint !== vip.address) add(P("kubernetes", "apiEndpoint"), `${k.apiEndpoint} differs from virtualIp.address ${vip.address}: the virtual IP is the endpoint; leave apiEndpoint out`);
    if (new Set(s.pools.map(siteOf)).size > 1)
        add(at(), "is an address on the control planes' LAN, out of the other sites' reach: with nodes at several sites use apiEndpoint, a DNS name every node resolves to the control planes' mesh addresses");
    if (!cidrContainsAddress(vip.network, vip.address)) add(at("address"), `${vip.address} is not inside network ${vip.network}`);
    else if (reservedAddresses(vip.network).includes(vip.address)) add(at("address"), `${vip.address} is the network or broadcast address of ${vip.network}: no host can hold it`);
    for (const p of cps.filter(isOnPrem))
        for (const n of p.nodes) {
            const addr = n.privateAddress ?? n.address;
            if (!cidrContainsAddress(vip.network, addr)) add(at("network"), `${vip.network} does not hold control plane ${n.name}'s address ${addr}: kube-vip moves the address only between machines on one LAN`);
        }
    for (const p of s.pools.filter(isOnPrem))
        for (const n of p.nodes) if ([n.address, n.privateAddress].includes(vip.address)) add(at("address"), `${vip.address} is ${n.name}'s own address: use a free one`);
    for (const [path, range] of clusterRanges(s))
        if (cidrContainsAddress(range, vip.address)) add(at("address"), `${vip.address} is inside ${range} (${path})`);
    s.platform.loadBalancer?.addresses.forEach((spec, i) => {
        if (rangesOverlap(spec, `${vip.address}/32`)) add(at("address"), `${vip.address} is in MetalLB's pool (infra:platform.loadBalancer.addresses[${i}]): the two would answer ARP for it`);
    });
}

export function hetznerSubnetProblems(s: Settings, add: Report): void {
    if (s.pools.some((p) => p.provider === "hetzner") && !cidrContains(s.hetzner.networkCidr, s.hetzner.subnetCidr))
        add(P("hetzner", "subnetCidr"), `${s.hetzner.subnetCidr} must lie inside networkCidr ${s.hetzner.networkCidr}`);
}

/**
 * Addresses the clouds keep for themselves in each subnet: Hetzner the network address, its
 * gateway (the first host) and the broadcast address; AWS the first four and the last. Each load
 * balancer in the network takes one more (Hetzner's for the API and the ingress; AWS's network load
 * balancers one per zone subnet), so two are kept aside per subnet.
 */
const RESERVED = { hetzner: 3, aws: 5 } as const;
const LOAD_BALANCER_ADDRESSES = 2;

/** Whether the nodes fit into the subnets the program creates for them. */
export function subnetCapacityProblems(s: Settings, add: Report): void {
    const hetznerNodes = s.pools.reduce((n, p) => n + (p.provider === "hetzner" ? p.count : 0), 0);
    if (hetznerNodes > 0 && cidrContains(s.hetzner.networkCidr, s.hetzner.subnetCidr)) {
        const room = 2 ** (32 - Number(s.hetzner.subnetCidr.split("/")[1])) - RESERVED.hetzner - LOAD_BALANCER_ADDRESSES;
        if (hetznerNodes > room)
            add(P("hetzner", "subnetCidr"), `${s.hetzner.subnetCidr} has room for ${Math.max(room, 0)} servers, but the Hetzner pools have ${hetznerNodes}: use a larger subnet (a /${32 - Math.ceil(Math.log2(hetznerNodes + RESERVED.hetzner + LOAD_BALANCER_ADDRESSES))} or larger)`);
    }
    // Nodes at most: fixed instances plus each auto scaling group's max. Each pool spreads over the
    // zones from the first one on (instance i in zone i mod zones; groups balance), so the first
    // zone's subnet holds the most: ceil(n / zones) of every pool.
    const zones = s.aws.availabilityZones;
    const awsPools = s.pools.filter((p) => p.provider === "aws");
    const awsNodes = awsPools.reduce((n, p) => n + (p.count ?? 0) + (p.autoscaling?.max ?? 0), 0);
    const busiestZone = awsPools.reduce((n, p) => n + Math.ceil(((p.count ?? 0) + (p.autoscaling?.max ?? 0)) / zones), 0);
    const prefix = Number(s.aws.vpcCidr.split("/")[1]);
    if (awsNodes > 0 && !s.aws.existingVpc && prefix <= 24) {
        // Each zone gets a subnet of 1/16 of the VPC (infra/nodes/aws.ts).
        const perZone = 2 ** (32 - prefix - 4) - RESERVED.aws - LOAD_BALANCER_ADDRESSES;
        if (busiestZone > perZone)
            add(P("aws", "vpcCidr"), `${s.aws.vpcCidr} has room for ${Math.max(perZone, 0)} instances per zone subnet (1/16 of the VPC each), but the AWS pools may put ${busiestZone} in the first of ${zones} zones (${awsNodes} in all, fixed counts plus auto scaling maxima): use a larger VPC or more availabilityZones`);
    }
}
