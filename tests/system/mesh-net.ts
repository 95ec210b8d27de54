/**
 * Real WireGuard between test hosts (issue 14): a mesh topology (the nodes, their sites and the
 * wg0 configuration each would get) realized with network namespaces on this machine, wg0 brought
 * up by Debian's userspace wireguard-go, and every node pinging every other node's mesh address.
 *
 * What is built, all of it inside namespaces this harness creates (nothing is added to the host's
 * own network namespace; every name starts with `imesh-<pid>-`):
 * - a "switch" namespace holding one bridge per site (the on-prem LAN, the Hetzner private
 *   network, the AWS VPC) and one "public internet" bridge;
 * - one namespace per node: `site0` on its site's bridge with its site address; a cloud node with
 *   a public address also has `pub0` on the public bridge with that address (/32) and its default
 *   route there; an on-prem node's default route is the NAT router;
 * - for on-prem, a NAT router namespace: `lan0` on the LAN (the gateway), `pub0` on the public
 *   bridge with the site's public NAT address, MASQUERADE for the LAN, DNAT for forwarded ports,
 *   no other way in (no hairpin NAT either);
 * - nothing is routed between site networks: a private address of another site is unreachable
 *   (unreachable routes for RFC 1918 ranges besides the node's own network, and arp_ignore=1 so
 *   that no namespace answers ARP on the public bridge for an address it has elsewhere), so a
 *   node reaches another site only through the public addresses the configurations name.
 *
 * wg0 is brought up the way a node's script does it (`wg-quick up`, which falls back to
 * wireguard-go where the kernel has no module): `wireguard-go wg0`, `wg setconf wg0 <(wg-quick strip
 * wg0.conf)`, the Address added, the MTU (the configuration's, else 1420), up, a route for each AllowedIPs not already covered.
 * Each node's wireguard-go runs in its own mount namespace with a private tmpfs on /run, so every
 * node has its own /var/run/wireguard (the UAPI sockets); `wg` and `ip` for a node run in the same
 * mount and network namespaces (`nsenter -t <pid> -m -n`). `apply` then does what the program's
 * later runs do on a running node: `wg syncconf wg0 <(wg-quick strip wg0.conf)`.
 *
 * Usage:
 *   const net = await startMesh({ nodes, sites });   // registers its teardown with node:test's `after`
 *   const failures = await net.pingMatrix({ timeoutMs: 10_000 });   // [] when every pair connects
 *   await net.apply(nextTopology);   // scale-in / insertion: syncconf, nodes removed / added
 *   await net.dispose();   // or let the `after` hook do it
 * or `pingMatrix(topology, opts)`: realize, ping, tear down.
 *
 * Needs root, iproute2, iptables, wireguard-go and wireguard-tools (installed with apt-get when
 * missing), /dev/net/tun and `ip netns`. Every command is bounded in time.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after } from "node:test";
import * as ipaddr from "ipaddr.js";
import { parseBundle } from "../../infra/bootstrap/remote";
import type { StackPlan } from "../../tools/plan";
import { ensureHostTools, type HostResult, isAlive, mustRun, onExit, runHost } from "./debian-root";

export type Site = "onprem" | "hetzner" | "aws";

export interface MeshNodeSpec {
    readonly name: string;
    readonly site: Site;
    /** The node's address on its site's network (on-prem LAN, Hetzner private network, AWS VPC). */
    readonly siteAddress: string;
    /** Cloud nodes: the public IPv4 address. Absent for on-prem nodes behind NAT. */
    readonly publicAddress?: string;
    /** The node's wg0 configuration, wg-quick style ([Interface] Address, ListenPort, PrivateKey; [Peer]s). */
    readonly wg0: string;
}

export interface SiteOptions {
    readonly onprem?: {
        /** The on-prem site's public address (its NAT router's); defaults to a free 203.0.113.x address. */
        readonly natPublicAddress?: string;
        /** Ports of the public NAT address forwarded (UDP) to a node's WireGuard port, by node name. */
        readonly forwardedPorts?: Readonly<Record<string, number>>;
    };
}

export interface Topology {
    readonly nodes: readonly MeshNodeSpec[];
    readonly sites?: SiteOptions;
}

/** A pair that did not connect: `from` never got an answer from `to`'s mesh address. */
export interface PingFailure {
    readonly from: string;
    readonly to: string;
    readonly address: string;
}

export interface PingOptions {
    /** How long each pair keeps trying (handshakes included). Default 10 s. */
    readonly timeoutMs?: number;
}

export interface ApplyResult {
    /** Nodes whose wg0 Address changed: like a node's script (`wg syncconf`), the running interface keeps its old address. */
    readonly moved: string[];
    readonly added: string[];
    readonly removed: string[];
}

export interface MeshNet {
    /** The topology as last applied. */
    readonly topology: Topology;
    /** Mesh address (from wg0's Address) by node name. */
    meshAddress(node: string): string;
    /** Pings every node's mesh address from every other node, concurrently; returns the pairs that failed. */
    pingMatrix(opts?: PingOptions): Promise<PingFailure[]>;
    /** Applies a new topology to the running nodes: `wg syncconf` on those kept, removed nodes' hosts gone, new ones started. */
    apply(topology: Topology): Promise<ApplyResult>;
    /** Runs a bash script in a node's mount and network namespaces (where `wg` and `ip` see its wg0). */
    exec(node: string, script: string, timeoutMs?: number): Promise<HostResult>;
    /** The public keys of a node's current wg0 peers. */
    peers(node: string): Promise<string[]>;
    /** `wg show` of every node and the end of its wireguard-go log: for a failing test's message. */
    describe(): Promise<string>;
    /** Kills every process and deletes every namespace this net made; idempotent. */
    dispose(): Promise<void>;
    /** Namespaces and processes of this net still present (empty after `dispose`). */
    leftovers(): string[];
}

/** wg0's MTU when its configuration sets none: what wg-quick picks on 1500-byte links (1500 - 80). */
export const MESH_MTU = 1420;
/** The tools the harness runs, by the Debian package that provides them. */
export const MESH_HOST_TOOLS: Readonly<Record<string, string>> = {
    "wireguard-go": "wireguard-go",
    wg: "wireguard-tools",
    "wg-quick": "wireguard-tools",
    ip: "iproute2",
    iptables: "iptables",
    ping: "iputils-ping",
    nsenter: "util-linux",
    unshare: "util-linux",
};

const PATH_ENV = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const NS_PREFIX = "imesh-";
const TEMP_PREFIX = "infra-mesh-";
const DOC_RANGES = ["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"];
const PRIVATE_RANGES = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"];

// ---------------------------------------------------------------------------------------------
// Addresses and configurations.

function inRanges(address: string, ranges: readonly string[]): boolean {
    if (!ipaddr.IPv4.isValidFourPartDecimal(address)) return false;
    const a = ipaddr.IPv4.parse(address);
    return ranges.some((r) => a.match(ipaddr.IPv4.parseCIDR(r)));
}

function toInt(address: string): number {
    return ipaddr.IPv4.parse(address).octets.reduce((n, o) => n * 256 + o, 0);
}

function fromInt(n: number): string {
    return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
}

export interface WgConfig {
    /** [Interface] Address entries, CIDR notation. */
    readonly addresses: string[];
    readonly listenPort?: number;
    /** [Interface] MTU, when set (wg-quick's default is the route's MTU less 80: 1420 here). */
    readonly mtu?: number;
    readonly peers: { publicKey?: string; allowedIps: string[]; endpoint?: string }[];
}

/** Parses a wg-quick configuration (keys are case-insensitive, `#` starts a comment). */
export function parseWgConfig(text: string): WgConfig {
    const addresses: string[] = [];
    let listenPort: number | undefined;
    let mtu: number | undefined;
    const peers: { publicKey?: string; allowedIps: string[]; endpoint?: string }[] = [];
    let section = "";
    for (const raw of text.split("\n")) {
        const line = raw.replace(/#.*/, "").trim();
        if (line === "") continue;
        const header = /^\[(\w+)\]$/.exec(line);
        if (header) {
            section = header[1].toLowerCase();
            if (section === "peer") peers.push({ allowedIps: [] });
            continue;
        }
        const kv = /^([A-Za-z]+)\s*=\s*(.*)$/.exec(line);
        if (!kv) throw new Error(`wg0: cannot parse the line ${JSON.stringify(raw)}`);
        const key = kv[1].toLowerCase();
        const list = kv[2].split(",").map((s) => s.trim()).filter(Boolean);
        if (section === "interface" && key === "address") addresses.push(...list);
        else if (section === "interface" && key === "listenport") listenPort = Number(kv[2]);
        else if (section === "interface" && key === "mtu") mtu = Number(kv[2]);
        else if (section === "peer" && key === "allowedips") peers[peers.length - 1].allowedIps.push(...list);
        else if (section === "peer" && key === "publickey") peers[peers.length - 1].publicKey = kv[2];
        else if (section === "peer" && key === "endpoint") peers[peers.length - 1].endpoint = kv[2];
    }
    return { addresses, listenPort, mtu, peers };
}

/** A node's mesh address: the first IPv4 Address of its wg0, without the prefix. */
export function meshAddressOf(wg0: string): string {
    const a = parseWgConfig(wg0).addresses.find((x) => ipaddr.IPv4.isValidFourPartDecimal(x.split("/")[0]));
    if (!a) throw new Error("wg0 has no IPv4 Address");
    return a.split("/")[0];
}

/** The smallest network (no smaller than a /24) holding every address. */
function siteNetwork(addresses: readonly string[]): { network: string; prefix: number } {
    for (let prefix = 24; prefix >= 8; prefix--) {
        const mask = 2 ** 32 - 2 ** (32 - prefix);
        const nets = new Set(addresses.map((a) => (toInt(a) & mask) >>> 0));
        if (nets.size === 1) return { network: fromInt([...nets][0]), prefix };
    }
    throw new Error(`the addresses ${addresses.join(", ")} do not share a network`);
}

/** The first address of a network that no node uses: the on-prem router's LAN leg. */
function freeHost(net: { network: string; prefix: number }, used: ReadonlySet<string>): string {
    const base = toInt(net.network);
    for (let i = 1; i < 2 ** (32 - net.prefix) - 1; i++) if (!used.has(fromInt(base + i))) return fromInt(base + i);
    throw new Error(`no free address in ${net.network}/${net.prefix} for the NAT router`);
}

interface Validated {
    natPublicAddress?: string;
    forwardedPorts: Record<string, number>;
    mesh: Map<string, string>;
    listenPorts: Map<string, number>;
}

/** Refuses a topology the harness could not realize faithfully, or whose traffic could leave the namespaces' documentation/private ranges. */
function validate(t: Topology): Validated {
    const names = new Set<string>();
    const mesh = new Map<string, string>();
    const listenPorts = new Map<string, number>();
    const publics = new Set<string>();
    for (const n of t.nodes) {
        if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(n.name)) throw new Error(`node name ${JSON.stringify(n.name)}`);
        if (names.has(n.name)) throw new Error(`node ${n.name} twice`);
        names.add(n.name);
        if (!["onprem", "hetzner", "aws"].includes(n.site)) throw new Error(`${n.name}: unknown site ${String(n.site)}`);
        if (!inRanges(n.siteAddress, [...PRIVATE_RANGES, ...DOC_RANGES])) throw new Error(`${n.name}: site address ${n.siteAddress} must be a private or documentation IPv4 address`);
        if (n.publicAddress !== undefined) {
            if (!inRanges(n.publicAddress, DOC_RANGES)) throw new Error(`${n.name}: public address ${n.publicAddress} must be in a documentation range (${DOC_RANGES.join(", ")})`);
            if (publics.has(n.publicAddress)) throw new Error(`public address ${n.publicAddress} twice`);
            publics.add(n.publicAddress);
        }
        const address = meshAddressOf(n.wg0);
        if (!inRanges(address, [...PRIVATE_RANGES, ...DOC_RANGES])) throw new Error(`${n.name}: mesh address ${address} must be private`);
        if ([...mesh.values()].includes(address)) throw new Error(`${n.name}: mesh address ${address} is another node's too`);
        mesh.set(n.name, address);
        listenPorts.set(n.name, parseWgConfig(n.wg0).listenPort ?? 51820);
    }
    for (const site of new Set(t.nodes.map((n) => n.site))) {
        const addrs = t.nodes.filter((n) => n.site === site).map((n) => n.siteAddress);
        if (new Set(addrs).size !== addrs.length) throw new Error(`site ${site}: two nodes share a site address`);
        siteNetwork(addrs);
    }
    const onprem = t.sites?.onprem;
    const forwardedPorts = { ...(onprem?.forwardedPorts ?? {}) };
    for (const [name, port] of Object.entries(forwardedPorts)) {
        if (!t.nodes.some((n) => n.name === name && n.site === "onprem")) throw new Error(`forwardedPorts: ${name} is not an on-prem node`);
        if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`forwardedPorts: ${name}: port ${port}`);
    }
    let natPublicAddress: string | undefined;
    if (t.nodes.some((n) => n.site === "onprem")) {
        natPublicAddress = onprem?.natPublicAddress;
        if (natPublicAddress === undefined) {
            for (let i = 254; i > 0 && natPublicAddress === undefined; i--) if (!publics.has(`203.0.113.${i}`)) natPublicAddress = `203.0.113.${i}`;
        }
        if (natPublicAddress === undefined || !inRanges(natPublicAddress, DOC_RANGES)) throw new Error(`on-prem NAT address ${natPublicAddress} must be in a documentation range`);
        if (publics.has(natPublicAddress)) throw new Error(`on-prem NAT address ${natPublicAddress} is a node's public address too`);
    }
    return { natPublicAddress, forwardedPorts, mesh, listenPorts };
}

// ---------------------------------------------------------------------------------------------
// Processes and namespaces: everything made is remembered, for `dispose` and for process exit.

/** Namespaces (`ip netns` names) and process groups of every live net, torn down if this process exits first. */
const liveNamespaces = new Set<string>();
const liveGroups = new Set<number>();
let exitHookSet = false;

function killGroup(pid: number, signal: NodeJS.Signals = "SIGKILL"): void {
    try {
        process.kill(-pid, signal);
    } catch {
        // already gone
    }
}

function ensureExitHook(): void {
    if (exitHookSet) return;
    exitHookSet = true;
    onExit(() => {
        for (const pid of liveGroups) killGroup(pid);
        for (const ns of liveNamespaces) spawnSync("ip", ["netns", "delete", ns], { timeout: 10_000 });
    });
}

/** Namespaces and temp dirs left by earlier test processes that died before their cleanup (their PID is in the name). */
async function sweepAbandoned(): Promise<void> {
    const list = await runHost("ip", ["netns", "list"], { timeoutMs: 10_000 });
    for (const line of list.stdout.split("\n")) {
        const name = line.split(" ")[0];
        const m = new RegExp(`^${NS_PREFIX}(\\d+)-`).exec(name);
        if (!m || Number(m[1]) === process.pid || isAlive(Number(m[1]))) continue;
        const pids = await runHost("ip", ["netns", "pids", name], { timeoutMs: 10_000 });
        for (const p of pids.stdout.split("\n").filter(Boolean)) {
            try {
                process.kill(Number(p), "SIGKILL");
            } catch {
                // gone
            }
        }
        await runHost("ip", ["netns", "delete", name], { timeoutMs: 10_000 });
    }
    for (const name of fs.readdirSync(os.tmpdir())) {
        const m = new RegExp(`^${TEMP_PREFIX}(\\d+)-`).exec(name);
        if (!m || Number(m[1]) === process.pid || isAlive(Number(m[1]))) continue;
        fs.rmSync(path.join(os.tmpdir(), name), { recursive: true, force: true });
    }
}

function tail(s: string, lines = 20): string {
    return s.trimEnd().split("\n").slice(-lines).join("\n");
}

/** Runs a bash script on the host (where `ip -n`, `ip netns exec` and `nsenter` reach the namespaces), failing loudly. */
function sh(script: string, args: readonly string[] = [], timeoutMs = 30_000): Promise<HostResult> {
    return mustRun("bash", ["-c", `set -euo pipefail\n${script}`, "bash", ...args], { timeoutMs, env: { PATH: PATH_ENV, LC_ALL: "C" } });
}

/** What a node's wireguard-go runs as: a private /run (hence its own /var/run/wireguard), then wireguard-go in the foreground. */
const NODE_MAIN = `set -e
run=$(readlink -f /var/run)
mount -t tmpfs -o size=1m,mode=0755 tmpfs "$run"
mkdir -m 0700 "$run/wireguard"
exec wireguard-go -f wg0`;

/** `wg-quick up`'s steps on a wg0 that wireguard-go made. Arguments: config file, MTU, addresses (space-separated), AllowedIPs... */
const NODE_UP = `set -euo pipefail
conf=$1; mtu=$2; addresses=$3; shift 3
wg setconf wg0 <(wg-quick strip "$conf")
for a in $addresses; do ip -4 address add "$a" dev wg0; done
ip link set mtu "$mtu" up dev wg0
for a in "$@"; do
  [[ -n $(ip -4 route show dev wg0 match "$a" 2>/dev/null) ]] || ip -4 route add "$a" dev wg0
done`;

/** What prepare.sh and mesh-peers.sh do to a running wg0 whose configuration changed. Argument: config file. */
const NODE_SYNC = `set -euo pipefail
wg syncconf wg0 <(wg-quick strip "$1")`;

/** From one node, each target address pinged until it answers or the deadline (epoch ms) passes; prints `ok ADDR` or `fail ADDR`. */
const PING_ALL = `deadline=$1; shift
now_ms() { local t=\${EPOCHREALTIME/./}; echo $((t / 1000)); }
for a in "$@"; do
  (
    while :; do
      if ping -n -q -c 1 -W 1 "$a" >/dev/null 2>&1; then echo "ok $a"; exit 0; fi
      if (( $(now_ms) >= deadline )); then echo "fail $a"; exit 0; fi
      sleep 0.2
    done
  ) &
done
wait`;

interface NodeState {
    spec: MeshNodeSpec;
    ns: string;
    index: number;
    dir: string;
    conf: string;
    log: string;
    child: ChildProcess;
    pid: number;
    exited?: string;
    address: string;
}

let netSeq = 0;

class Net implements MeshNet {
    topology: Topology;
    private readonly id: string;
    private readonly tmp: string;
    private readonly sw: string;
    private readonly nat: string;
    private natState?: { lanAddress: string; publicAddress: string; lan: { network: string; prefix: number } };
    private readonly bridges = new Map<string, string>();
    private readonly nodes = new Map<string, NodeState>();
    private readonly namespaces = new Set<string>();
    /** Every wireguard-go this net started, by PID: `leftovers` checks none outlived `dispose`. */
    private readonly started = new Map<number, string>();
    private nodeSeq = 0;
    private disposed = false;
    private readonly forgetTmp: () => void;

    constructor(topology: Topology) {
        this.topology = topology;
        this.id = `${NS_PREFIX}${process.pid}-${++netSeq}`;
        this.sw = `${this.id}-sw`;
        this.nat = `${this.id}-nat`;
        this.tmp = fs.mkdtempSync(path.join(os.tmpdir(), `${TEMP_PREFIX}${process.pid}-`));
        const tmp = this.tmp;
        this.forgetTmp = onExit(() => fs.rmSync(tmp, { recursive: true, force: true }));
    }

    meshAddress(node: string): string {
        return this.node(node).address;
    }

    private node(name: string): NodeState {
        const n = this.nodes.get(name);
        if (!n) throw new Error(`no node ${name} in the mesh`);
        return n;
    }

    private async addNamespace(ns: string): Promise<void> {
        this.namespaces.add(ns);
        liveNamespaces.add(ns);
        await sh(`ip netns add "$1"\nip -n "$1" link set lo up\nnsenter --net="/run/netns/$1" sh -c 'echo 1 > /proc/sys/net/ipv4/conf/all/arp_ignore'`, [ns]);
    }

    private async bridge(key: string): Promise<string> {
        let br = this.bridges.get(key);
        if (br) return br;
        br = `br${this.bridges.size}`;
        this.bridges.set(key, br);
        await sh(`ip -n "$1" link add "$2" type bridge\nip -n "$1" link set "$2" up`, [this.sw, br]);
        return br;
    }

    /** A veth between a namespace (named `inner` there) and a bridge of the switch. */
    private async plug(ns: string, inner: string, outer: string, bridgeKey: string): Promise<void> {
        const br = await this.bridge(bridgeKey);
        await sh(`ip link add "$2" netns "$1" type veth peer name "$3" netns "$4"\nip -n "$4" link set "$3" master "$5" up\nip -n "$1" link set "$2" up`, [ns, inner, outer, this.sw, br]);
    }

    /** Unreachable routes for the private ranges: only the node's own network (more specific) and the mesh (wg0) are reachable privately. */
    private async isolate(ns: string): Promise<void> {
        await sh(PRIVATE_RANGES.map((r) => `ip -n "$1" route add unreachable ${r}`).join("\n"), [ns]);
    }

    async start(): Promise<void> {
        await this.addNamespace(this.sw);
        await this.realize(this.topology, validate(this.topology));
    }

    private async realize(t: Topology, v: Validated): Promise<string[]> {
        if (v.natPublicAddress !== undefined) await this.ensureNat(t, v);
        const added: string[] = [];
        for (const n of t.nodes) {
            if (this.nodes.has(n.name)) continue;
            await this.addHost(n, t);
            added.push(n.name);
        }
        // Every new host exists before any wg0 is configured, and all are configured at once: an
        // initiation sent to a host that does not exist yet is lost and WireGuard retries only 5 s
        // later, so building them one after the other made the first handshakes (and the test's
        // timing) depend on the order of creation.
        await Promise.all(added.map((name) => this.upWg0(this.node(name))));
        return added;
    }

    private async ensureNat(t: Topology, v: Validated): Promise<void> {
        const onprem = t.nodes.filter((n) => n.site === "onprem");
        if (!this.natState) {
            const lan = siteNetwork(onprem.map((n) => n.siteAddress));
            const lanAddress = freeHost(lan, new Set(onprem.map((n) => n.siteAddress)));
            const publicAddress = v.natPublicAddress!;
            await this.addNamespace(this.nat);
            await this.plug(this.nat, "lan0", "natl", "site:onprem");
            await this.plug(this.nat, "pub0", "natp", "public");
            await sh(
                `ip -n "$1" address add "$2/$3" dev lan0
ip -n "$1" address add "$4/32" dev pub0
ip -n "$1" route add default dev pub0 src "$4"
nsenter --net="/run/netns/$1" sh -c 'echo 1 > /proc/sys/net/ipv4/ip_forward'
ip netns exec "$1" iptables -t nat -A POSTROUTING -o pub0 -s "$5/$3" -j MASQUERADE
ip netns exec "$1" iptables -A FORWARD -i lan0 -o pub0 -j ACCEPT
ip netns exec "$1" iptables -A FORWARD -i pub0 -o lan0 -m conntrack --ctstate ESTABLISHED,RELATED,DNAT -j ACCEPT
ip netns exec "$1" iptables -P FORWARD DROP`,
                [this.nat, lanAddress, String(lan.prefix), publicAddress, lan.network],
            );
            await this.isolate(this.nat);
            this.natState = { lanAddress, publicAddress, lan };
        } else {
            if (v.natPublicAddress !== this.natState.publicAddress && t.sites?.onprem?.natPublicAddress !== undefined)
                throw new Error("apply: the on-prem NAT address cannot change on a running net");
            for (const n of onprem)
                if (!this.nodes.has(n.name) && !ipaddr.IPv4.parse(n.siteAddress).match(ipaddr.IPv4.parseCIDR(`${this.natState.lan.network}/${this.natState.lan.prefix}`)))
                    throw new Error(`apply: ${n.name}'s address ${n.siteAddress} is outside the running on-prem LAN`);
        }
        // Forwarded ports, rewritten whole: the nodes of the topology being applied.
        const rules = Object.entries(v.forwardedPorts).map(([name, port]) => {
            const node = t.nodes.find((n) => n.name === name)!;
            return `ip netns exec "$1" iptables -t nat -A PREROUTING -i pub0 -d "$2" -p udp --dport ${port} -j DNAT --to-destination ${node.siteAddress}:${v.listenPorts.get(name)}`;
        });
        await sh([`ip netns exec "$1" iptables -t nat -F PREROUTING`, ...rules].join("\n"), [this.nat, this.natState.publicAddress]);
    }

    /** A node's namespace, its legs on the site and public bridges, its routes, and its wireguard-go with an unconfigured wg0. */
    private async addHost(spec: MeshNodeSpec, t: Topology): Promise<void> {
        const index = ++this.nodeSeq;
        const ns = `${this.id}-n${index}`;
        const dir = path.join(this.tmp, `n${index}`);
        fs.mkdirSync(dir, { mode: 0o700 });
        const conf = path.join(dir, "wg0.conf");
        fs.writeFileSync(conf, spec.wg0, { mode: 0o600 });
        const log = path.join(dir, "wireguard-go.log");
        await this.addNamespace(ns);
        const siteNet = siteNetwork(t.nodes.filter((n) => n.site === spec.site).map((n) => n.siteAddress));
        await this.plug(ns, "site0", `n${index}s`, `site:${spec.site}`);
        await sh(`ip -n "$1" address add "$2/$3" dev site0`, [ns, spec.siteAddress, String(siteNet.prefix)]);
        await this.isolate(ns);
        if (spec.publicAddress !== undefined) {
            await this.plug(ns, "pub0", `n${index}p`, "public");
            await sh(`ip -n "$1" address add "$2/32" dev pub0\nip -n "$1" route add default dev pub0 src "$2"`, [ns, spec.publicAddress]);
        } else if (spec.site === "onprem" && this.natState) {
            await sh(`ip -n "$1" route add default via "$2" dev site0`, [ns, this.natState.lanAddress]);
        }

        const out = fs.openSync(log, "a");
        let child: ChildProcess;
        try {
            child = spawn("ip", ["netns", "exec", ns, "unshare", "--mount", "--propagation", "private", "sh", "-c", NODE_MAIN], {
                detached: true,
                stdio: ["ignore", out, out],
                env: { PATH: PATH_ENV, LC_ALL: "C", WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD: "1", LOG_LEVEL: "verbose" },
            });
        } finally {
            fs.closeSync(out);
        }
        if (child.pid === undefined) throw new Error(`${spec.name}: could not start wireguard-go`);
        const pid = child.pid;
        liveGroups.add(pid);
        this.started.set(pid, spec.name);
        const state: NodeState = { spec, ns, index, dir, conf, log, child, pid, address: meshAddressOf(spec.wg0) };
        child.on("exit", (code, signal) => {
            state.exited = `exited with ${code ?? signal}`;
            liveGroups.delete(pid);
        });
        child.on("error", (e) => {
            state.exited = e.message;
            liveGroups.delete(pid);
        });
        this.nodes.set(spec.name, state);

        // The UAPI socket appears once wireguard-go has made wg0 (a few ms).
        const deadline = Date.now() + 10_000;
        for (;;) {
            if (state.exited) throw new Error(`${spec.name}: wireguard-go ${state.exited}:\n${tail(fs.readFileSync(log, "utf8"))}`);
            const r = await runHost("nsenter", ["-t", String(pid), "-m", "-n", "wg", "show", "wg0", "listen-port"], { timeoutMs: 5_000, env: { PATH: PATH_ENV } });
            if (r.status === 0) break;
            if (Date.now() > deadline) throw new Error(`${spec.name}: wg0 did not appear in 10 s:\n${r.stderr}\n${tail(fs.readFileSync(log, "utf8"))}`);
            await new Promise((res) => setTimeout(res, 50));
        }
    }

    /** wg-quick up's steps on the node's wg0: its configuration (wg-quick strip), addresses, MTU, up, routes. */
    private async upWg0(state: NodeState): Promise<void> {
        const wg = parseWgConfig(state.spec.wg0);
        const allowed = wg.peers.flatMap((p) => p.allowedIps).filter((a) => ipaddr.IPv4.isValidFourPartDecimal(a.split("/")[0]));
        await this.nsenter(state, NODE_UP, [state.conf, String(wg.mtu ?? MESH_MTU), wg.addresses.filter((a) => ipaddr.IPv4.isValidFourPartDecimal(a.split("/")[0])).join(" "), ...allowed]);
    }

    private nsenter(n: NodeState, script: string, args: readonly string[] = [], timeoutMs = 30_000): Promise<HostResult> {
        return mustRun("nsenter", ["-t", String(n.pid), "-m", "-n", "bash", "-c", script, "bash", ...args], { timeoutMs, env: { PATH: PATH_ENV, LC_ALL: "C" } });
    }

    exec(node: string, script: string, timeoutMs = 30_000): Promise<HostResult> {
        const n = this.node(node);
        return runHost("nsenter", ["-t", String(n.pid), "-m", "-n", "bash", "-c", script], { timeoutMs, env: { PATH: PATH_ENV, LC_ALL: "C" } });
    }

    async peers(node: string): Promise<string[]> {
        const r = await this.nsenter(this.node(node), "wg show wg0 peers");
        return r.stdout.split("\n").filter(Boolean).sort();
    }

    async pingMatrix(opts: PingOptions = {}): Promise<PingFailure[]> {
        const timeoutMs = opts.timeoutMs ?? 10_000;
        const deadline = Date.now() + timeoutMs;
        const all = [...this.nodes.values()];
        const byAddress = new Map(all.map((n) => [n.address, n.spec.name]));
        const failures: PingFailure[] = [];
        await Promise.all(
            all.map(async (from) => {
                const targets = all.filter((n) => n !== from).map((n) => n.address);
                const r = await runHost("nsenter", [`--net=/run/netns/${from.ns}`, "bash", "-c", PING_ALL, "bash", String(deadline), ...targets], {
                    timeoutMs: timeoutMs + 15_000,
                    env: { PATH: PATH_ENV, LC_ALL: "C" },
                });
                const ok = new Set(r.stdout.split("\n").filter((l) => l.startsWith("ok ")).map((l) => l.slice(3)));
                for (const address of targets) if (!ok.has(address)) failures.push({ from: from.spec.name, to: byAddress.get(address)!, address });
            }),
        );
        return failures.sort((a, b) => a.from.localeCompare(b.from) || a.to.localeCompare(b.to));
    }

    async apply(t: Topology): Promise<ApplyResult> {
        const v = validate(t);
        const next = new Map(t.nodes.map((n) => [n.name, n]));
        for (const [name, state] of this.nodes) {
            const n = next.get(name);
            if (n && (n.site !== state.spec.site || n.siteAddress !== state.spec.siteAddress || n.publicAddress !== state.spec.publicAddress))
                throw new Error(`apply: ${name} moved to another site or address; the harness changes configurations, not machines`);
        }
        const removed = [...this.nodes.keys()].filter((name) => !next.has(name));
        const added = await this.realize(t, v);
        const moved: string[] = [];
        for (const [name, state] of this.nodes) {
            const n = next.get(name);
            if (!n || added.includes(name)) continue;
            if (meshAddressOf(n.wg0) !== state.address) moved.push(name);
            fs.writeFileSync(state.conf, n.wg0, { mode: 0o600 });
            await this.nsenter(state, NODE_SYNC, [state.conf]);
            state.spec = n;
        }
        for (const name of removed) await this.removeNode(name);
        this.topology = t;
        return { moved, added, removed };
    }

    private async stopProcess(n: NodeState): Promise<void> {
        if (n.exited) return;
        const gone = new Promise<void>((res) => n.child.once("exit", () => res()));
        killGroup(n.pid, "SIGTERM");
        const timer = new Promise<void>((res) => setTimeout(res, 3_000).unref());
        await Promise.race([gone, timer]);
        if (!n.exited) {
            killGroup(n.pid, "SIGKILL");
            await Promise.race([gone, new Promise<void>((res) => setTimeout(res, 3_000).unref())]);
        }
        liveGroups.delete(n.pid);
    }

    private async deleteNamespace(ns: string): Promise<void> {
        await runHost("ip", ["netns", "delete", ns], { timeoutMs: 10_000 });
        this.namespaces.delete(ns);
        liveNamespaces.delete(ns);
    }

    private async removeNode(name: string): Promise<void> {
        const n = this.node(name);
        await this.stopProcess(n);
        await this.deleteNamespace(n.ns);
        fs.rmSync(n.dir, { recursive: true, force: true });
        this.nodes.delete(name);
    }

    async describe(): Promise<string> {
        const parts: string[] = [];
        for (const [name, n] of this.nodes) {
            const show = n.exited ? { stdout: "", stderr: `wireguard-go ${n.exited}` } : await this.exec(name, "wg show wg0; ip -4 route", 5_000);
            const log = fs.existsSync(n.log) ? tail(fs.readFileSync(n.log, "utf8"), 8) : "";
            parts.push(`== ${name} (${n.spec.site}, ${n.spec.siteAddress}${n.spec.publicAddress ? `, public ${n.spec.publicAddress}` : ""}, mesh ${n.address})\n${show.stdout}${show.stderr}\n-- wireguard-go log (end)\n${log}`);
        }
        return parts.join("\n");
    }

    async dispose(): Promise<void> {
        if (this.disposed) return;
        this.disposed = true;
        await Promise.all([...this.nodes.values()].map((n) => this.stopProcess(n)));
        for (const ns of [...this.namespaces].reverse()) await this.deleteNamespace(ns);
        this.nodes.clear();
        fs.rmSync(this.tmp, { recursive: true, force: true });
        this.forgetTmp();
    }

    leftovers(): string[] {
        const out: string[] = [];
        const listed = spawnSync("ip", ["netns", "list"], { encoding: "utf8", timeout: 10_000 }).stdout ?? "";
        for (const line of listed.split("\n")) if (line.startsWith(`${this.id}-`)) out.push(`netns ${line.split(" ")[0]}`);
        for (const [pid, name] of this.started) if (liveGroups.has(pid) || isAlive(pid)) out.push(`process ${pid} (${name}'s wireguard-go)`);
        if (fs.existsSync(this.tmp)) out.push(`directory ${this.tmp}`);
        return out;
    }
}

/**
 * Realizes a topology: namespaces, bridges, the NAT router and every node's wg0 up. The teardown is
 * registered (node:test `after`, and process exit) before anything is made.
 */
export async function startMesh(topology: Topology): Promise<MeshNet> {
    if (typeof process.getuid !== "function" || process.getuid() !== 0) throw new Error("the mesh harness needs root (ip netns, wireguard-go, iptables)");
    validate(topology);
    ensureExitHook();
    const net = new Net(topology);
    after(() => net.dispose());
    await ensureHostTools(MESH_HOST_TOOLS);
    await sweepAbandoned();
    try {
        await net.start();
    } catch (e) {
        await net.dispose();
        throw e;
    }
    return net;
}

/** Realizes a topology, pings every pair, tears it down: the failing pairs. */
export async function pingMatrix(topology: Topology | MeshNet, opts: PingOptions = {}): Promise<PingFailure[]> {
    if ("pingMatrix" in topology) return topology.pingMatrix(opts);
    const net = await startMesh(topology);
    try {
        return await net.pingMatrix(opts);
    } finally {
        await net.dispose();
    }
}

/** One line per failing pair, for assertion messages. */
export function formatFailures(failures: readonly PingFailure[]): string {
    return failures.map((f) => `${f.from} -> ${f.to} (${f.address})`).join("\n");
}

// ---------------------------------------------------------------------------------------------
// A stack's plan as a topology.

/** The offline plan's mock ids and addresses (tools/plan/mocks.ts), recomputed: its resources' outputs are not in the plan result. */
function mockHex(seed: string, len: number): string {
    let out = "";
    for (let i = 0; out.length < len; i++) out += createHash("sha256").update(`${seed}#${i}`).digest("hex");
    return out.slice(0, len);
}

/**
 * The private-network addresses the offline plan's mocks hand the cloud machines: an explicit
 * address in the inputs, else the next address of the machine's subnet in order of registration
 * (as tools/plan/mocks.ts allocates them: the subnet's base + 2, + 3...). Keyed by resource name.
 */
export function cloudPrivateAddresses(plan: StackPlan): Map<string, string> {
    const ranges = new Map<string, string>();
    const next = new Map<string, number>();
    const allocate = (cidr: string): string => {
        const n = (next.get(cidr) ?? 1) + 1;
        next.set(cidr, n);
        return fromInt(toInt(cidr.split("/")[0]) + n);
    };
    const out = new Map<string, string>();
    const byUrn = new Map(plan.resources.map((r) => [r.urn, r]));
    for (const [urn, inputs] of plan.plainInputs) {
        const r = byUrn.get(urn);
        if (!r) continue;
        switch (r.type) {
            case "hcloud:index/networkSubnet:NetworkSubnet":
                ranges.set(`hcloud-network:${String(inputs.networkId)}`, String(inputs.ipRange));
                break;
            case "aws:ec2/subnet:Subnet":
                ranges.set(`aws-subnet:subnet-${mockHex(r.name, 17)}`, String(inputs.cidrBlock));
                break;
            case "hcloud:index/server:Server": {
                const nets = (inputs.networks as { ip?: string; networkId?: unknown }[] | undefined) ?? [];
                const ips = nets.map((n) => n.ip ?? allocate(ranges.get(`hcloud-network:${String(n.networkId)}`) ?? "10.0.1.0/24"));
                if (ips.length > 0) out.set(r.name, ips[0]);
                break;
            }
            case "hcloud:index/loadBalancerNetwork:LoadBalancerNetwork":
                if (inputs.ip === undefined) allocate(ranges.get(`hcloud-network:${String(inputs.networkId)}`) ?? "10.0.1.0/24");
                break;
            case "aws:ec2/instance:Instance":
                out.set(r.name, typeof inputs.privateIp === "string" ? inputs.privateIp : allocate(ranges.get(`aws-subnet:${String(inputs.subnetId)}`) ?? "10.1.0.0/20"));
                break;
        }
    }
    return out;
}

/** A planned command's `stdin` (plain inputs), or undefined when the plan has no such command. */
function commandStdin(plan: StackPlan, name: string): string | undefined {
    const r = plan.resources.find((x) => x.type === "command:remote:Command" && x.name === name);
    if (!r) return undefined;
    const stdin = plan.plainInputs.get(r.urn)?.stdin;
    if (typeof stdin !== "string") throw new Error(`${plan.stack}: ${name} has no plain stdin`);
    return stdin;
}

/**
 * A node's own wg0 configuration (/etc/wireguard/wg0.base.conf): from its `<node>-mesh` command
 * when it has one (the step that runs again on a running node when the configuration changes, and
 * the last to write it on creation), else from `<node>-prepare`.
 */
function baseWg0(plan: StackPlan, node: string): string {
    for (const step of ["mesh", "prepare"]) {
        const stdin = commandStdin(plan, `${node}-${step}`);
        if (stdin === undefined) continue;
        const wg0 = parseBundle(stdin).get("/etc/wireguard/wg0.base.conf");
        if (wg0 === undefined) throw new Error(`${plan.stack}: ${node}-${step} writes no /etc/wireguard/wg0.base.conf (no mesh?)`);
        return wg0;
    }
    throw new Error(`${plan.stack}: no ${node}-mesh or ${node}-prepare command`);
}

/**
 * A base stack with burst stacks joined to it, as the nodes would have it:
 * - a burst node: as `topologyFromPlan` of its own stack (its wg0 names the base's nodes as peers);
 * - a base node: its wg0 is what common.sh `assemble_wireguard` makes, `cat wg0.base.conf
 *   peers.d/*.conf`: its own configuration, then, per burst stack in file-name order, the [Peer]
 *   sections that stack's `<node>-peers-<burst cluster>` command (mesh-peers.sh) writes to
 *   /etc/wireguard/peers.d/<burst cluster>.conf from its stdin.
 * Refuses a burst plan that misses a base node's peers command, or has one for a node the base does not have.
 */
export function joinedTopology(base: StackPlan, bursts: readonly StackPlan[], sites?: SiteOptions): Topology {
    const baseTopology = topologyFromPlan(base, sites);
    const baseNames = new Set(baseTopology.nodes.map((n) => n.name));
    const peersOf = new Map<string, { file: string; text: string }[]>([...baseNames].map((n) => [n, []]));
    for (const burst of bursts) {
        const cluster = burst.plainOutputs.clusterName ?? burst.file.values["infra:clusterName"];
        if (typeof cluster !== "string" || cluster === "") throw new Error(`${burst.stack}: no cluster name in the plan's outputs`);
        const suffix = `-peers-${cluster}`;
        for (const r of burst.resources) {
            if (r.type !== "command:remote:Command" || !r.name.endsWith(suffix)) continue;
            const node = r.name.slice(0, -suffix.length);
            if (!baseNames.has(node)) throw new Error(`${burst.stack}: ${r.name} adds peers to ${node}, which is no node of ${base.stack}`);
        }
        for (const node of baseNames) {
            const stdin = commandStdin(burst, `${node}${suffix}`);
            if (stdin === undefined) throw new Error(`${burst.stack}: no ${node}${suffix} command: ${node} would not know the burst nodes`);
            peersOf.get(node)!.push({ file: `${cluster}.conf`, text: stdin });
        }
    }
    const nodes = baseTopology.nodes.map((n): MeshNodeSpec => {
        const files = peersOf.get(n.name)!.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
        return { ...n, wg0: n.wg0 + files.map((f) => f.text).join("") };
    });
    for (const burst of bursts) nodes.push(...topologyFromPlan(burst).nodes);
    return { nodes, sites: baseTopology.sites };
}

const SITE_OF_PROVIDER: Readonly<Record<string, Site>> = { vmware: "onprem", static: "onprem", hetzner: "hetzner", aws: "aws" };

interface PlannedNode {
    name: string;
    provider: string;
    privateAddress: string;
    publicAddress: string;
}

/**
 * The topology a stack's plan describes: each node's wg0 from its `<node>-mesh` (else
 * `<node>-prepare`) command's bundle (/etc/wireguard/wg0.base.conf, the program's own rendering with the plan's keys), its site
 * from its provider, its site address from the stack file (on-prem: privateAddress, else address)
 * or from the mocks (cloud private networks), its public address from the plan's outputs (cloud).
 */
export function topologyFromPlan(plan: StackPlan, sites?: SiteOptions): Topology {
    const planned = plan.plainOutputs.nodes as PlannedNode[] | undefined;
    if (!Array.isArray(planned) || planned.length === 0) throw new Error(`${plan.stack}: the plan outputs no nodes`);
    const pools = JSON.parse(plan.file.values["infra:pools"] ?? "[]") as { provider: string; nodes?: { name: string; address: string; privateAddress?: string }[] }[];
    const onpremAddress = new Map(pools.flatMap((p) => p.nodes ?? []).map((n) => [n.name, n.privateAddress ?? n.address]));
    const cloudAddress = cloudPrivateAddresses(plan);
    const nodes = planned.map((n): MeshNodeSpec => {
        const wg0 = baseWg0(plan, n.name);
        const site = SITE_OF_PROVIDER[n.provider];
        if (!site) throw new Error(`${plan.stack}: ${n.name}: unknown provider ${n.provider}`);
        if (site === "onprem") {
            const siteAddress = onpremAddress.get(n.name);
            if (!siteAddress) throw new Error(`${plan.stack}: ${n.name} is in no on-prem pool of the stack file`);
            return { name: n.name, site, siteAddress, wg0 };
        }
        const siteAddress = cloudAddress.get(n.name);
        if (!siteAddress) throw new Error(`${plan.stack}: no private-network address for ${n.name}`);
        return { name: n.name, site, siteAddress, publicAddress: n.publicAddress, wg0 };
    });
    return { nodes, sites };
}
