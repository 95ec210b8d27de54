/**
 * Replacing a control plane's machine (a new location, server type or image that the cloud cannot
 * apply in place) would take an etcd member, and for the first one the cluster's init, with it:
 * in prod the machines are protected, so the preview refuses such a change before anything runs.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { awsConfig, planConfig, withConfig } from "../helpers";

describe("control-plane machines are protected in prod", () => {
    it("Hetzner: control-plane servers protected in prod, workers not; nothing protected in dev", async () => {
        const prod = await planConfig(withConfig((c) => (c["infra:environment"] = "prod")), "hzprod");
        assert.deepEqual(
            prod.ofType("hcloud:index/server:Server").map((r) => [r.name, r.protect]),
            [
                ["infra-hzprod-cp-1", true],
                ["infra-hzprod-workers-1", false],
            ],
        );
        const dev = await planConfig(withConfig(() => undefined), "hzdev");
        assert.ok(dev.ofType("hcloud:index/server:Server").every((r) => !r.protect));
    });

    it("AWS: control-plane instances protected in prod", async () => {
        const config = awsConfig([
            { name: "cp", provider: "aws", role: "control-plane", count: 1, instanceType: "t3.medium" },
            { name: "w", provider: "aws", role: "worker", count: 1, instanceType: "t3.medium" },
        ]);
        config["infra:environment"] = "prod";
        const { ofType } = await planConfig(config, "awsprod");
        assert.deepEqual(
            ofType("aws:ec2/instance:Instance").map((r) => [r.name, r.protect]),
            [
                ["infra-awsprod-cp-1", true],
                ["infra-awsprod-w-1", false],
            ],
        );
    });
});
