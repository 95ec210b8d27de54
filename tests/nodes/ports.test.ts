/** The port table and the firewalls rendered from it. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { awsIngressRules, hetznerFirewallRules, PORT_TABLE } from "../../infra/nodes/ports";

const ADMIN = ["198.51.100.0/24"];

describe("the port table", () => {
    it("holds the seed's ports and the CNI's", () => {
        const ports = PORT_TABLE.map((r) => `${r.protocol}/${r.port ?? "-"}`);
        for (const p of ["tcp/22", "tcp/6443", "tcp/2379-2380", "tcp/10250", "tcp/10257", "tcp/10259", "tcp/30000-32767", "udp/4789", "tcp/179", "tcp/5473", "icmp/-"])
            assert.ok(ports.includes(p), p);
    });
    it("opens only SSH, the API and ICMP to admins", () => {
        assert.deepEqual(
            PORT_TABLE.filter((r) => r.from.includes("admin")).map((r) => r.name),
            ["ssh", "kube-apiserver", "icmp"],
        );
    });
});

describe("the Hetzner firewall", () => {
    it("is exactly the admin rules of the table, from the admin CIDRs only", () => {
        assert.deepEqual(hetznerFirewallRules(ADMIN), [
            { direction: "in", protocol: "tcp", port: "22", sourceIps: ADMIN, description: "ssh from admin networks" },
            { direction: "in", protocol: "tcp", port: "6443", sourceIps: ADMIN, description: "kube-apiserver from admin networks" },
            { direction: "in", protocol: "icmp", sourceIps: ADMIN, description: "icmp from admin networks" },
        ]);
    });
    it("never opens etcd, kubelet or the control-plane components publicly", () => {
        const ports = hetznerFirewallRules(["0.0.0.0/0"]).map((r) => r.port);
        for (const p of ["2379-2380", "10250", "10257", "10259"]) assert.ok(!ports.includes(p), p);
    });
    it("opens nothing without admin CIDRs", () => {
        assert.deepEqual(hetznerFirewallRules([]), []);
    });
});

describe("the AWS security group", () => {
    const rules = awsIngressRules(ADMIN);
    it("admits etcd and kubelet only from the nodes themselves", () => {
        for (const port of [2379, 10250]) {
            const r = rules.filter((x) => x.fromPort === port);
            assert.equal(r.length, 1);
            assert.equal(r[0].self, true);
            assert.equal(r[0].cidrBlocks, undefined);
        }
    });
    it("admits SSH and the API from the admin CIDRs, and no world source", () => {
        assert.deepEqual(rules.filter((r) => r.fromPort === 22).map((r) => r.cidrBlocks), [ADMIN]);
        assert.deepEqual(rules.filter((r) => r.fromPort === 6443).map((r) => r.cidrBlocks ?? "self"), [ADMIN, "self"]);
        assert.ok(rules.every((r) => !(r.cidrBlocks ?? []).includes("0.0.0.0/0")));
    });
});
