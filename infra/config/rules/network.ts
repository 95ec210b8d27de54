/** Rules on the networks: the nodes' private networks, the mesh between sites, and ranges that must not overlap. */
import { cidrContains, cidrContainsAddress, cidrsOverlap } from "../cidr";
import { controlPlaneCount, nodeNames } from "../names";
import { HETZNER_LOCATIONS, type Settings } from "../schema";
import { infraKey as P, isOnPrem, type Report, siteOf } from "./common";

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
        if (nodeNames("", p).length > 250) add(P("pools", i), "has more than 250 nodes: a mesh pool holds at most 250 (split it)");
    });
    if (s.kubernetes && cidrsOverlap(s.mesh.cidr, s.kubernetes.podCidr)) add(P("mesh", "cidr"), `${s.mesh.cidr} overlaps podCidr ${s.kubernetes.podCidr}`);
    if (s.mode === "cluster" && controlPlaneCount(s.pools) > 1 && !s.kubernetes?.apiEndpoint)
        add(P("kubernetes", "apiEndpoint"), "is required with the mesh and several control planes: a name that resolves to the control planes' mesh addresses (a load balancer on one site's network is out of the other sites' reach)");
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
    if (k && controlPlaneCount(s.pools) > 1 && onPremCps.length > 0 && !k.apiEndpoint)
        add(P("kubernetes", "apiEndpoint"), "is required for on-prem HA control planes: a DNS name or virtual IP in front of every control plane's port 6443");
}

export function hetznerSubnetProblems(s: Settings, add: Report): void {
    if (s.pools.some((p) => p.provider === "hetzner") && !cidrContains(s.hetzner.networkCidr, s.hetzner.subnetCidr))
        add(P("hetzner", "subnetCidr"), `${s.hetzner.subnetCidr} must lie inside networkCidr ${s.hetzner.networkCidr}`);
}
