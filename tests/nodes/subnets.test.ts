/**
 * The AWS network cuts its VPC into one public subnet per availability zone, 1/16 of the VPC each
 * (`subnetOf(vpcCidr, 4, zone)`): for every VPC the config accepts, the zone subnets must be the
 * VPC's own and never overlap. subnetOf's own cases are in tests/config/cidr.test.ts.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as ipaddr from "ipaddr.js";
import { subnetOf } from "../../infra/config";
import { problems, withConfig } from "../helpers";

describe("zone subnets of the AWS VPC", () => {
    it("the config accepts VPCs of /16 to /24 and up to 6 zones", () => {
        const aws = (vpcCidr: string, availabilityZones: number) =>
            withConfig((c) => {
                c["infra:mesh"] = { enabled: true };
                c["aws:region"] = "eu-central-1";
                c["infra:aws"] = { vpcCidr, availabilityZones };
                c["infra:pools"].push({ name: "aws", provider: "aws", role: "worker", count: 1, instanceType: "t3.medium" });
            });
        assert.deepEqual(problems(aws("10.1.0.0/16", 6)), []);
        assert.deepEqual(problems(aws("10.1.0.0/24", 6)), []);
        assert.equal(problems(aws("10.1.0.0/25", 1)).length, 1, "a /25 is refused");
        assert.deepEqual(problems(aws("10.1.0.0/16", 7)), ["infra:aws.availabilityZones: must be at most 6"]);
    });

    it("every accepted VPC gets disjoint zone subnets inside it, on network addresses", () => {
        for (const base of ["10.1.0.0", "172.31.0.0", "192.168.0.0"]) {
            for (let prefix = 16; prefix <= 24; prefix++) {
                const vpc = `${base}/${prefix}`;
                const [vpcNet, vpcBits] = ipaddr.IPv4.parseCIDR(vpc);
                const subnets = Array.from({ length: 6 }, (_, i) => ipaddr.IPv4.parseCIDR(subnetOf(vpc, 4, i)));
                for (const [net, bits] of subnets) {
                    assert.equal(bits, prefix + 4, vpc);
                    assert.ok(net.match(vpcNet, vpcBits), `${net}/${bits} lies inside ${vpc}`);
                    assert.equal(ipaddr.IPv4.networkAddressFromCIDR(`${net}/${bits}`).toString(), net.toString(), `${net}/${bits} is a network address`);
                }
                for (let a = 0; a < subnets.length; a++) {
                    for (let b = a + 1; b < subnets.length; b++) {
                        assert.ok(!subnets[a][0].match(subnets[b]) && !subnets[b][0].match(subnets[a]), `${vpc}: zones ${a + 1} and ${b + 1} overlap`);
                    }
                }
            }
        }
    });

    it("has no sign trouble with addresses whose top bit is set", () => {
        assert.equal(subnetOf("255.255.0.0/16", 4, 15), "255.255.240.0/20");
        assert.equal(subnetOf("200.100.0.0/20", 1, 1), "200.100.8.0/21");
    });
});
