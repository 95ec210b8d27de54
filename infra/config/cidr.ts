/**
 * CIDR arithmetic, on ipaddr.js rather than hand-written bit maths: range overlap and
 * containment for validation, and the subnets the node networks are cut into.
 */
import * as ipaddr from "ipaddr.js";

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
    const start = Buffer.from(ipaddr.IPv4.networkAddressFromCIDR(cidr).toByteArray()).readUInt32BE(0) + index * 2 ** (32 - newPrefix);
    const bytes = Buffer.alloc(4);
    bytes.writeUInt32BE(start);
    return `${new ipaddr.IPv4([...bytes]).toString()}/${newPrefix}`;
}
