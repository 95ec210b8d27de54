/**
 * CIDR arithmetic, on ipaddr.js rather than hand-written bit maths: range overlap and
 * containment for validation, and the subnets the node networks are cut into.
 */
import * as ipaddr from "ipaddr.js";

/** An IPv4 address as the number it is. */
const toNumber = (a: ipaddr.IPv4): number => Buffer.from(a.toByteArray()).readUInt32BE(0);

/** Two ranges overlap exactly when the longer-prefixed one lies inside the other. */
export function cidrsOverlap(a: string, b: string): boolean {
    const [na, la] = ipaddr.parseCIDR(a);
    const [nb, lb] = ipaddr.parseCIDR(b);
    return la <= lb ? nb.match(na, la) : na.match(nb, lb);
}

export function cidrContains(outer: string, inner: string): boolean {
    const [no, lo] = ipaddr.parseCIDR(outer);
    const [ni, li] = ipaddr.parseCIDR(inner);
    return lo <= li && ni.match(no, lo);
}

/** False for anything but a plain IPv4 address (a DNS name in a node's address, say). */
export function cidrContainsAddress(range: string, address: string): boolean {
    if (!ipaddr.IPv4.isValidFourPartDecimal(address)) return false;
    return ipaddr.IPv4.parse(address).match(ipaddr.IPv4.parseCIDR(range));
}

/** The `index`-th subnet of `cidr` that is `extraBits` longer, e.g. (10.1.0.0/16, 4, 1) -> 10.1.16.0/20. */
export function subnetOf(cidr: string, extraBits: number, index: number): string {
    const prefix = ipaddr.IPv4.parseCIDR(cidr)[1];
    const newPrefix = prefix + extraBits;
    // AWS subnets are /16 to /28.
    if (newPrefix > 28) throw new Error(`${cidr} is too small for ${2 ** extraBits} subnets`);
    // Host bits set in `cidr` (10.1.2.3/16) are ignored: subnets are counted from the network address.
    const start = toNumber(ipaddr.IPv4.networkAddressFromCIDR(cidr)) + index * 2 ** (32 - newPrefix);
    const bytes = Buffer.alloc(4);
    bytes.writeUInt32BE(start);
    return `${new ipaddr.IPv4([...bytes]).toString()}/${newPrefix}`;
}

/** How many addresses of each family a list of ranges covers together (overlaps counted once). */
export function addressCoverage(cidrs: readonly string[]): { readonly v4: bigint; readonly v6: bigint } {
    const spans = { v4: [] as [bigint, bigint][], v6: [] as [bigint, bigint][] };
    for (const c of cidrs) {
        const [addr, len] = ipaddr.parseCIDR(c);
        const bits = addr.kind() === "ipv4" ? 32 : 128;
        const value = addr.toByteArray().reduce((acc, b) => (acc << 8n) | BigInt(b), 0n);
        const size = 1n << BigInt(bits - len);
        const start = (value / size) * size;
        spans[addr.kind() === "ipv4" ? "v4" : "v6"].push([start, start + size]);
    }
    const total = (list: [bigint, bigint][]) => {
        let sum = 0n;
        let end = -1n;
        for (const [s, e] of list.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
            const from = s > end ? s : end;
            if (e > from) sum += e - from;
            if (e > end) end = e;
        }
        return sum;
    };
    return { v4: total(spans.v4), v6: total(spans.v6) };
}

/**
 * The prefix length at which a set of source ranges counts as "the world": together they cover
 * at least as many addresses as one /8 of their family (0.0.0.0/0, or 0.0.0.0/1 + 128.0.0.0/1,
 * or any other split). No admin network is that large.
 */
export const WORLD_OPEN_PREFIX = 8;

/** Whether these source ranges, together, open a port to the world (see `WORLD_OPEN_PREFIX`). */
export function isWorldOpen(cidrs: readonly string[]): boolean {
    const { v4, v6 } = addressCoverage(cidrs);
    return v4 >= 1n << BigInt(32 - WORLD_OPEN_PREFIX) || v6 >= 1n << BigInt(128 - WORLD_OPEN_PREFIX);
}

/** `first-last` or a CIDR as the numeric [first, last] of its IPv4 addresses; undefined if it is neither (or first > last). */
export function addressRange(spec: string): [number, number] | undefined {
    const dash = spec.split("-");
    if (dash.length === 2) {
        const [a, b] = dash.map((x) => x.trim()).map((x) => (ipaddr.IPv4.isValidFourPartDecimal(x) ? toNumber(ipaddr.IPv4.parse(x)) : undefined));
        return a !== undefined && b !== undefined && a <= b ? [a, b] : undefined;
    }
    if (!/^\d+\.\d+\.\d+\.\d+\/\d{1,2}$/.test(spec) || !ipaddr.isValidCIDR(spec)) return undefined;
    return [toNumber(ipaddr.IPv4.networkAddressFromCIDR(spec)), toNumber(ipaddr.IPv4.broadcastAddressFromCIDR(spec))];
}

/** Whether two address specs (ranges or CIDRs) share an address. */
export function rangesOverlap(a: string, b: string): boolean {
    const [x, y] = [addressRange(a), addressRange(b)];
    return x !== undefined && y !== undefined && x[0] <= y[1] && y[0] <= x[1];
}

/** The network and broadcast addresses of a CIDR (none for /31 and /32), which no host may hold. */
export function reservedAddresses(cidr: string): string[] {
    if (ipaddr.IPv4.parseCIDR(cidr)[1] > 30) return [];
    return [ipaddr.IPv4.networkAddressFromCIDR(cidr).toString(), ipaddr.IPv4.broadcastAddressFromCIDR(cidr).toString()];
}
