/** CIDR arithmetic: the overlap and containment checks validation relies on, and how the AWS VPC is cut into zone subnets. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { addressCoverage, cidrContains, cidrContainsAddress, cidrsOverlap, isWorldOpen, subnetOf } from "../../infra/config";

describe("cidrsOverlap", () => {
    const CASES: [string, string, boolean, string][] = [
        ["10.96.0.0/12", "10.96.0.0/16", true, "a range and a range inside it"],
        ["10.96.0.0/12", "10.111.255.0/24", true, "the last /24 of a /12"],
        ["10.0.0.0/16", "10.0.0.0/16", true, "the same range"],
        ["10.244.0.0/16", "10.96.0.0/12", false, "the kubeadm defaults for pods and services"],
        ["10.0.0.0/24", "10.0.1.0/24", false, "adjacent ranges"],
        ["10.0.0.0/23", "10.0.2.0/23", false, "adjacent ranges of one size"],
        ["10.0.0.0/23", "10.0.1.0/24", true, "the upper half of a /23"],
        ["10.0.0.0/8", "11.0.0.0/8", false, "neighbouring /8s"],
        ["0.0.0.0/0", "203.0.113.0/24", true, "/0 holds every range"],
        ["0.0.0.0/0", "0.0.0.0/0", true, "/0 with itself"],
        ["192.168.18.10/32", "192.168.18.0/24", true, "a single address in its network"],
        ["192.168.18.10/32", "192.168.18.11/32", false, "two single addresses"],
        ["192.168.18.10/32", "192.168.18.10/32", true, "one single address"],
        ["10.0.5.7/16", "10.0.200.0/24", true, "host bits of the shorter range are ignored"],
    ];
    for (const [a, b, expected, name] of CASES) {
        it(`${name}: ${a} and ${b} -> ${expected}, in both orders`, () => {
            assert.equal(cidrsOverlap(a, b), expected);
            assert.equal(cidrsOverlap(b, a), expected);
        });
    }
});

describe("cidrContains", () => {
    const CASES: [string, string, boolean, string][] = [
        ["10.0.0.0/16", "10.0.1.0/24", true, "the default Hetzner subnet in its network"],
        ["10.0.0.0/16", "10.0.0.0/16", true, "a range contains itself"],
        ["10.0.1.0/24", "10.0.0.0/16", false, "a range does not contain a larger one around it"],
        ["10.0.0.0/16", "10.1.0.0/24", false, "a subnet of the neighbouring /16"],
        ["10.0.0.0/16", "10.0.255.0/24", true, "the last /24 of a /16"],
        ["10.0.0.0/24", "10.0.1.0/24", false, "adjacent ranges"],
        ["0.0.0.0/0", "255.255.255.255/32", true, "/0 contains the last address"],
        ["0.0.0.0/0", "0.0.0.0/0", true, "/0 contains itself"],
        ["10.0.0.0/8", "0.0.0.0/0", false, "nothing but /0 contains /0"],
        ["10.0.0.5/32", "10.0.0.5/32", true, "a /32 contains itself"],
        ["10.0.0.5/32", "10.0.0.6/32", false, "a /32 does not contain its neighbour"],
    ];
    for (const [outer, inner, expected, name] of CASES) {
        it(`${name}: ${outer} contains ${inner} -> ${expected}`, () => assert.equal(cidrContains(outer, inner), expected));
    }
});

describe("cidrContainsAddress", () => {
    const CASES: [string, string, boolean, string][] = [
        ["10.244.0.0/16", "10.244.3.7", true, "an address inside"],
        ["10.244.0.0/16", "10.244.0.0", true, "the network address"],
        ["10.244.0.0/16", "10.244.255.255", true, "the broadcast address"],
        ["10.244.0.0/16", "10.245.0.0", false, "the first address after the range"],
        ["10.244.0.0/16", "10.243.255.255", false, "the last address before the range"],
        ["0.0.0.0/0", "203.0.113.9", true, "/0 holds every address"],
        ["192.168.18.10/32", "192.168.18.10", true, "a /32 holds its address"],
        ["192.168.18.10/32", "192.168.18.11", false, "a /32 holds no other"],
        ["10.0.0.0/8", "node1.example.com", false, "a DNS name is no address in a range"],
        ["10.0.0.0/8", "10.0.0.256", false, "an octet above 255"],
        ["10.0.0.0/8", "10.1", false, "a short form inet_aton would accept"],
        ["10.0.0.0/8", "0x0a.0.0.1", false, "a hexadecimal octet"],
        ["10.0.0.0/8", "", false, "an empty string"],
    ];
    for (const [range, address, expected, name] of CASES) {
        it(`${name}: ${range} holds "${address}" -> ${expected}`, () => assert.equal(cidrContainsAddress(range, address), expected));
    }
});

describe("subnetOf", () => {
    const CASES: [string, number, number, string, string][] = [
        ["10.1.0.0/16", 4, 0, "10.1.0.0/20", "the first zone of the default VPC"],
        ["10.1.0.0/16", 4, 1, "10.1.16.0/20", "the second zone"],
        ["10.1.0.0/16", 4, 5, "10.1.80.0/20", "the sixth zone (the most availabilityZones allows)"],
        ["10.1.0.0/16", 4, 15, "10.1.240.0/20", "the last of 16"],
        ["10.1.0.0/24", 4, 0, "10.1.0.0/28", "a /24 cut into /28s"],
        ["10.1.0.0/24", 4, 3, "10.1.0.48/28", "the fourth /28 of a /24"],
        ["10.1.0.0/24", 4, 15, "10.1.0.240/28", "the last /28 of a /24"],
        ["10.1.2.3/16", 4, 2, "10.1.32.0/20", "host bits of the VPC range are ignored"],
        ["172.16.0.0/12", 12, 257, "172.17.1.0/24", "an index past one octet carries into the next"],
        ["0.0.0.0/0", 4, 15, "240.0.0.0/4", "/0"],
        ["10.0.0.0/8", 0, 0, "10.0.0.0/8", "no extra bits: the range itself"],
        ["10.1.0.0/16", 12, 4095, "10.1.255.240/28", "the smallest subnet allowed, the last one"],
    ];
    for (const [cidr, extraBits, index, expected, name] of CASES) {
        it(`${name}: (${cidr}, ${extraBits}, ${index}) -> ${expected}`, () => assert.equal(subnetOf(cidr, extraBits, index), expected));
    }
    it("cuts a VPC into disjoint zone subnets that tile it", () => {
        const subnets = Array.from({ length: 16 }, (_, i) => subnetOf("10.1.0.0/16", 4, i));
        for (const [i, a] of subnets.entries()) {
            assert.ok(cidrContains("10.1.0.0/16", a), a);
            for (const b of subnets.slice(i + 1)) assert.ok(!cidrsOverlap(a, b), `${a} and ${b}`);
        }
    });
    const TOO_SMALL: [string, number, string][] = [
        ["10.1.0.0/25", 4, "10.1.0.0/25 is too small for 16 subnets"],
        ["10.1.0.0/28", 1, "10.1.0.0/28 is too small for 2 subnets"],
        ["10.1.0.0/16", 13, "10.1.0.0/16 is too small for 8192 subnets"],
    ];
    for (const [cidr, extraBits, message] of TOO_SMALL) {
        it(`refuses subnets smaller than AWS's /28: (${cidr}, ${extraBits})`, () => assert.throws(() => subnetOf(cidr, extraBits, 0), { message }));
    }
});

describe("address coverage (the world-open guard)", () => {
    it("counts overlapping ranges once and keeps the families apart", () => {
        assert.deepEqual(addressCoverage(["10.0.0.0/24", "10.0.0.128/25", "10.0.1.0/24"]), { v4: 512n, v6: 0n });
        assert.deepEqual(addressCoverage(["10.0.0.5/24"]), { v4: 256n, v6: 0n }, "host bits are ignored");
        assert.deepEqual(addressCoverage(["::/1", "8000::/1"]), { v4: 0n, v6: 1n << 128n });
    });
    it("a split of the world is the world; anything under a /8 is not", () => {
        assert.ok(isWorldOpen(["0.0.0.0/1", "128.0.0.0/1"]));
        assert.ok(isWorldOpen(["0.0.0.0/0"]));
        assert.ok(isWorldOpen(["10.0.0.0/9", "10.128.0.0/9"]));
        assert.ok(!isWorldOpen(["10.0.0.0/9", "10.0.0.0/9"]));
        assert.ok(!isWorldOpen(["198.51.100.0/24", "2001:db8::/32"]));
    });
});
