/**
 * The one port table every cloud firewall is rendered from. `admin` sources are the configured
 * admin CIDRs (SSH and the API); `nodes` sources are the cluster's own machines.
 */
export type PortSource = "admin" | "nodes" | "world";

export interface PortRule {
    readonly name: string;
    readonly protocol: "tcp" | "udp" | "icmp";
    /** `"22"` or a range `"2379-2380"`; absent for ICMP. */
    readonly port?: string;
    readonly from: readonly PortSource[];
}

export const PORT_TABLE: readonly PortRule[] = [
    { name: "ssh", protocol: "tcp", port: "22", from: ["admin"] },
    { name: "kube-apiserver", protocol: "tcp", port: "6443", from: ["admin", "nodes"] },
    { name: "etcd", protocol: "tcp", port: "2379-2380", from: ["nodes"] },
    { name: "kubelet", protocol: "tcp", port: "10250", from: ["nodes"] },
    { name: "kube-controller-manager", protocol: "tcp", port: "10257", from: ["nodes"] },
    { name: "kube-scheduler", protocol: "tcp", port: "10259", from: ["nodes"] },
    { name: "nodeports", protocol: "tcp", port: "30000-32767", from: ["nodes"] },
    { name: "calico-bgp", protocol: "tcp", port: "179", from: ["nodes"] },
    { name: "calico-vxlan", protocol: "udp", port: "4789", from: ["nodes"] },
    { name: "calico-typha", protocol: "tcp", port: "5473", from: ["nodes"] },
    { name: "icmp", protocol: "icmp", from: ["admin", "nodes"] },
];

export function portRange(rule: PortRule): { from: number; to: number } {
    if (!rule.port) return { from: -1, to: -1 };
    const [a, b] = rule.port.split("-").map(Number);
    return { from: a, to: b ?? a };
}

export interface HetznerRule {
    direction: "in";
    protocol: string;
    port?: string;
    sourceIps: string[];
    description: string;
}

/** WireGuard between sites: nodes behind NAT connect from addresses nobody can list in advance. */
export function meshRule(port: number): PortRule {
    return { name: "wireguard-mesh", protocol: "udp", port: String(port), from: ["world"] };
}

/**
 * Hetzner Cloud firewalls filter only public interfaces; traffic on the private network is not
 * filtered. So node-to-node ports get no rule at all (they stay closed publicly and open on the
 * private network) and only the admin rules open anything, to the admin CIDRs alone.
 */
export function hetznerFirewallRules(adminCidrs: readonly string[], meshPort?: number): HetznerRule[] {
    const admin = adminCidrs.length === 0 ? [] : PORT_TABLE.filter((r) => r.from.includes("admin")).map((r) => ({
        direction: "in" as const,
        protocol: r.protocol,
        ...(r.port ? { port: r.port } : {}),
        sourceIps: [...adminCidrs],
        description: `${r.name} from admin networks`,
    }));
    const mesh = meshPort === undefined ? [] : [{ direction: "in" as const, protocol: "udp", port: String(meshPort), sourceIps: ["0.0.0.0/0", "::/0"], description: "wireguard-mesh from anywhere (encrypted, authenticated by key)" }];
    return [...admin, ...mesh];
}

export interface AwsIngressRule {
    protocol: string;
    fromPort: number;
    toPort: number;
    cidrBlocks?: string[];
    self?: boolean;
    description: string;
}

/** Security group ingress: admin rules from the admin CIDRs, node rules from the group itself. */
export function awsIngressRules(adminCidrs: readonly string[], meshPort?: number): AwsIngressRule[] {
    const out: AwsIngressRule[] = [];
    if (meshPort !== undefined)
        out.push({ protocol: "udp", fromPort: meshPort, toPort: meshPort, cidrBlocks: ["0.0.0.0/0"], description: "wireguard-mesh from anywhere (encrypted, authenticated by key)" });
    for (const r of PORT_TABLE) {
        const { from, to } = portRange(r);
        if (r.from.includes("admin") && adminCidrs.length > 0)
            out.push({ protocol: r.protocol, fromPort: from, toPort: to, cidrBlocks: [...adminCidrs], description: `${r.name} from admin networks` });
        if (r.from.includes("nodes")) out.push({ protocol: r.protocol, fromPort: from, toPort: to, self: true, description: `${r.name} between nodes` });
    }
    return out;
}
