/**
 * Config that used to plan but failed or did harm on a real `pulumi up`: each is now exit 2 with
 * its key named (issue 16, item 8), and the values just inside each limit still plan.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { kubeletRefusesLabel } from "../../infra/config/rules/nodes";
import { awsConfig, problems, withConfig } from "../helpers";

const only = (ps: string[], prefix: string) => ps.filter((p) => p.startsWith(prefix));

describe("config that plans but fails at run time", () => {
    it("taint values are label values: no spaces, quotes, $() or newlines", () => {
        for (const value of ["a b", "'q'", '"q"', "$(id)", "`id`", "x\ny", "-lead", "x".repeat(64)]) {
            const ps = problems(withConfig((c) => (c["infra:pools"][1].taints = [{ key: "acme/spot", value, effect: "NoSchedule" }])));
            assert.deepEqual(ps, ["infra:pools[1].taints[0].value: must be at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit (a Kubernetes label value)"], JSON.stringify(value));
        }
        assert.deepEqual(problems(withConfig((c) => (c["infra:pools"][1].taints = [{ key: "acme/spot", value: "x".repeat(63), effect: "NoSchedule" }]))), []);
    });

    it("node labels the kubelet refuses to set itself", () => {
        for (const key of ["node-role.kubernetes.io/worker", "kubernetes.io/role", "example.k8s.io/x", "node-restriction.kubernetes.io/x", "topology.kubernetes.io/rack"]) {
            assert.ok(kubeletRefusesLabel(key), key);
            const ps = problems(withConfig((c) => (c["infra:pools"][1].labels = { [key]: "x" })));
            assert.equal(ps.length, 1, key);
            assert.match(ps[0], new RegExp(`^infra:pools\\[1\\]\\.labels: ${key.replace(/\./g, "\\.")}: the kubelet refuses to set kubernetes\\.io and k8s\\.io labels`));
        }
        for (const key of ["kubernetes.io/hostname", "beta.kubernetes.io/arch", "failure-domain.beta.kubernetes.io/zone"])
            assert.deepEqual(problems(withConfig((c) => (c["infra:pools"][1].labels = { [key]: "x" }))), [`infra:pools[1].labels: ${key}: the kubelet sets this label itself; leave it out`]);
        for (const key of ["node.kubernetes.io/pool", "x.node.kubernetes.io/y", "kubelet.kubernetes.io/z", "topology.kubernetes.io/zone", "node.acme.com/role", "disk"]) {
            assert.ok(!kubeletRefusesLabel(key), key);
            assert.deepEqual(problems(withConfig((c) => (c["infra:pools"][1].labels = { [key]: "x" }))), [], key);
        }
    });

    it("node ports: one Service each, never the ingress controller's", () => {
        const withPorts = (...ports: number[]) =>
            only(problems(withConfig((c) => (c["infra:apps"] = { host: "app.example.com", workloads: ports.map((nodePort, i) => ({ name: `w${i}`, image: "nginx:1.27", service: "NodePort", nodePort })) }))), "infra:apps");
        assert.deepEqual(withPorts(30100, 30100), ["infra:apps.workloads[1].nodePort: 30100 is already infra:apps.workloads[0].nodePort: a node port serves one Service"]);
        assert.deepEqual(withPorts(30080), ["infra:apps.workloads[0].nodePort: 30080 is the ingress controller's (30080 and 30443 are reserved for it): pick another port in 30000-32767"]);
        assert.deepEqual(withPorts(30443).length, 1);
        assert.deepEqual(withPorts(30100, 30101), []);
    });

    it("more nodes than the subnet has addresses", () => {
        assert.deepEqual(only(problems(withConfig((c) => (c["infra:pools"][1].count = 300))), "infra:hetzner"), [
            "infra:hetzner.subnetCidr: 10.0.1.0/24 has room for 251 servers, but the Hetzner pools have 301: use a larger subnet (a /23 or larger)",
        ]);
        assert.deepEqual(problems(withConfig((c) => (c["infra:pools"][1].count = 250))), [], "250 + 1 fit a /24");
        const asg = (max: number, vpcCidr: string) => {
            const c = awsConfig([
                { name: "cp", provider: "aws", role: "control-plane", count: 1, instanceType: "t3.medium" },
                { name: "w", provider: "aws", role: "worker", instanceType: "t3.medium", autoscaling: { min: 1, desired: 1, max } },
            ]);
            c["infra:aws"] = { availabilityZones: 2, vpcCidr };
            return only(problems(c), "infra:aws");
        };
        assert.deepEqual(asg(1000, "10.1.0.0/24"), [
            "infra:aws.vpcCidr: 10.1.0.0/24 has room for 9 instances per zone subnet (1/16 of the VPC each), but the AWS pools may put 501 in the first of 2 zones (1001 in all, fixed counts plus auto scaling maxima): use a larger VPC or more availabilityZones",
        ]);
        assert.deepEqual(asg(1000, "10.1.0.0/16"), []);
        // 1 + 17 = 18 in all would fit two subnets of 9, but the first zone gets 1 + 9 = 10.
        assert.equal(asg(17, "10.1.0.0/24").length, 1, "the busiest zone, not the sum, must fit");
        assert.deepEqual(asg(16, "10.1.0.0/24"), []);
    });

    it("control planes: 1, 3, 5 or 7", () => {
        for (const count of [2, 4, 9, 11]) {
            const ps = problems(withConfig((c) => (c["infra:pools"][0].count = count)));
            assert.equal(ps.length, 1, `${count}`);
            assert.match(ps[0], new RegExp(`^infra:pools\\[0\\]\\.count: the cluster has ${count} control-plane nodes: `));
        }
        for (const count of [3, 5, 7]) assert.deepEqual(only(problems(withConfig((c) => (c["infra:pools"][0].count = count))), "infra:pools"), [], `${count}`);
    });

    it("infra:kubeconfig in a cluster stack is refused, not ignored", () => {
        assert.deepEqual(only(problems(withConfig((c) => (c["infra:kubeconfig"] = { secure: "v1:k" }))), "infra:kubeconfig"), [
            "infra:kubeconfig: is only for an apps-only stack (the cluster it deploys to); a cluster stack makes its own kubeconfig (the stack output kubeconfig): delete the key",
        ]);
    });

    it("a Kubernetes version that is not released", () => {
        assert.deepEqual(problems(withConfig((c) => (c["infra:kubernetes"].version = "1.99.0"))), [
            "infra:kubernetes.version: is not released yet: the newest Kubernetes minor is 1.37 (if a newer one has shipped, raise KUBERNETES_NEWEST_MINOR in infra/config/schema.ts)",
        ]);
        assert.deepEqual(problems(withConfig((c) => (c["infra:kubernetes"].version = "1.37.2"))), []);
    });

    it("names at and over the limits: an auto scaling group's node names fit one host-name label", () => {
        const asgNames = (cluster: string, pool: string) => {
            const c = awsConfig([
                { name: "cp", provider: "aws", role: "control-plane", count: 1, instanceType: "t3.medium" },
                { name: pool, provider: "aws", role: "worker", instanceType: "t3.medium", autoscaling: { min: 1, desired: 1, max: 3 } },
            ]);
            c["infra:clusterName"] = cluster;
            return problems(c);
        };
        // 30 + 1 + 12 + 1 + 19 = 63: at the limit.
        assert.deepEqual(asgNames("a".repeat(30), "b".repeat(12)), []);
        assert.deepEqual(asgNames("a".repeat(30), "b".repeat(20)), [
            "infra:pools[1].name: makes node names of 71 characters (<cluster>-bbbbbbbbbbbbbbbbbbbb-<instance id>, the cluster name 30 long): a node name is a host name of at most 63; shorten the pool or cluster name by 8",
        ]);
    });
});

describe("the keys this issue added reject bad values, naming themselves", () => {
    it("writablePaths, secrets, installHostKeys", () => {
        const app = (w: Record<string, unknown>) =>
            problems(withConfig((c) => (c["infra:apps"] = { host: "app.example.com", workloads: [{ name: "web", image: "nginx:1.27", ...w }] }))).filter((p) => p.startsWith("infra:apps"));
        assert.deepEqual(app({ writablePaths: ["tmp/x", "/a b"] }), [
            "infra:apps.workloads[0].writablePaths[0]: must be an absolute path such as /app/media",
            "infra:apps.workloads[0].writablePaths[1]: must be an absolute path such as /app/media",
        ]);
        assert.deepEqual(app({ secrets: ["A-B"] }), ["infra:apps.workloads[0].secrets[0]: environment variable names are letters, digits and _"]);
        assert.deepEqual(problems(withConfig((c) => (c["infra:ssh"].installHostKeys = "yes"))), ["infra:ssh.installHostKeys: must be true or false, got a string"]);
    });
});
