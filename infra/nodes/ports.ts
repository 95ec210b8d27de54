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
    /** Why a port open to the world is safe, for the firewall rule's description. */
    readonly note?: string;
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
    return { name: "wireguard-mesh", protocol: "udp", port: String(port), from: ["world"], note: "encrypted, authenticated by key" };
}

/** The port table plus the mesh's port, when the mesh is on. */
function rulesWith(meshPort: number | undefined): PortRule[] {
    return [...PORT_TABLE, ...(meshPort === undefined ? [] : [meshRule(meshPort)])];
}

function worldDescription(r: PortRule): string {
    return `${r.name} from anywhere${r.note ? ` (${r.note})` : ""}`;
}

/**
 * Hetzner Cloud firewalls filter only public interfaces; traffic on the private network is not
 * filtered. So node-to-node ports get no rule at all (they stay closed publicly and open on the
 * private network): the admin rules open ports to the admin CIDRs, and the world rules (the
 * mesh's authenticated UDP port) to everyone.
 */
export function hetznerFirewallRules(adminCidrs: readonly string[], meshPort?: number): HetznerRule[] {
    const rules = rulesWith(meshPort);
    const rule = (r: PortRule, sourceIps: string[], description: string): HetznerRule => ({ direction: "in", protocol: r.protocol, ...(r.port ? { port: r.port } : {}), sourceIps, description });
    const admin = adminCidrs.length === 0 ? [] : rules.filter((r) => r.from.includes("admin")).map((r) => rule(r, [...adminCidrs], `${r.name} from admin networks`));
    const world = rules.filter((r) => r.from.includes("world")).map((r) => rule(r, ["0.0.0.0/0", "::/0"], worldDescription(r)));
    return [...admin, ...world];
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
    const rules = rulesWith(meshPort);
    const out: AwsIngressRule[] = rules.filter((r) => r.from.includes("world")).map((r) => ({ protocol: r.protocol, fromPort: portRange(r).from, toPort: portRange(r).to, cidrBlocks: ["0.0.0.0/0"], description: worldDescription(r) }));
    for (const r of rules) {
        const { from, to } = portRange(r);
        if (r.from.includes("admin") && adminCidrs.length > 0)
            out.push({ protocol: r.protocol, fromPort: from, toPort: to, cidrBlocks: [...adminCidrs], description: `${r.name} from admin networks` });
        if (r.from.includes("nodes")) out.push({ protocol: r.protocol, fromPort: from, toPort: to, self: true, description: `${r.name} between nodes` });
    }
    return out;
}
