/**
 * On-prem LoadBalancer Services (issue 17, first part): MetalLB in L2 mode with the stack file's
 * address pool. The pool is validated (inside the on-prem LAN, taken by no node, clear of the pod,
 * service and mesh ranges); the plan installs the chart, then the pool and its L2 announcement from
 * on-prem nodes; the ingress and `service: LoadBalancer` workloads then get real addresses, and
 * the plan has no finding (nothing waits for an address that never comes).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { planStack } from "../../tools/plan";
import { problems, withConfig } from "../helpers";

const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFM0gR4mttgRCjdZKUw53gJXIY1fCbcKXn0nU51HRpSh";
/** Seed 003's shape: one control plane and two workers on existing hosts of 192.168.56.0/24. */
const onprem = (loadBalancer: Record<string, unknown> | undefined, edit: (c: Record<string, any>) => void = () => {}) =>
    withConfig((c) => {
        delete c["hcloud:token"];
        c["infra:ssh"] = {};
        c["infra:pools"] = [
            { name: "cp", provider: "static", role: "control-plane", nodes: [{ name: "m", address: "192.168.56.10", user: "rocky", hostKey: HOST_KEY }] },
            { name: "w", provider: "static", role: "worker", nodes: [{ name: "w1", address: "192.168.56.11", user: "rocky", hostKey: HOST_KEY }, { name: "w2", address: "192.168.56.12", user: "rocky", hostKey: HOST_KEY }] },
        ];
        if (loadBalancer) c["infra:platform"].loadBalancer = loadBalancer;
        edit(c);
    });
const lbProblems = (lb: Record<string, unknown> | undefined, edit?: (c: Record<string, any>) => void) => problems(onprem(lb, edit)).filter((p) => p.startsWith("infra:platform.loadBalancer"));

describe("infra:platform.loadBalancer validation", () => {
    it("a pool on the nodes' LAN, clear of every node, plans", () => {
        assert.deepEqual(problems(onprem({ network: "192.168.56.0/24", addresses: ["192.168.56.240-192.168.56.250", "192.168.56.224/28"] })), []);
    });
    it("entries must be CIDRs or first-last ranges", () => {
        for (const bad of ["192.168.56.250-192.168.56.240", "192.168.56.240-", "192.168.56.300/28", "pool", "192.168.56.240/33"])
            assert.deepEqual(lbProblems({ network: "192.168.56.0/24", addresses: [bad] }), [
                "infra:platform.loadBalancer.addresses[0]: must be an IPv4 CIDR (192.168.18.224/28) or a range of two addresses (192.168.18.240-192.168.18.250, first not after last)",
            ], bad);
    });
    it("outside the network, a node's address, overlapping entries", () => {
        assert.deepEqual(lbProblems({ network: "192.168.56.0/24", addresses: ["192.168.57.10-192.168.57.20", "192.168.56.5-192.168.56.15", "192.168.56.14/31"] }), [
            "infra:platform.loadBalancer.addresses[0]: 192.168.57.10-192.168.57.20 is not inside network 192.168.56.0/24",
            "infra:platform.loadBalancer.addresses[1]: 192.168.56.5-192.168.56.15 holds 192.168.56.10, the address of m",
            "infra:platform.loadBalancer.addresses[1]: 192.168.56.5-192.168.56.15 holds 192.168.56.11, the address of w1",
            "infra:platform.loadBalancer.addresses[1]: 192.168.56.5-192.168.56.15 holds 192.168.56.12, the address of w2",
            "infra:platform.loadBalancer.addresses[2]: 192.168.56.14/31 overlaps infra:platform.loadBalancer.addresses[1] (192.168.56.5-192.168.56.15)",
        ]);
    });
    it("overlapping the pod, service or mesh ranges", () => {
        const ps = lbProblems({ network: "10.0.0.0/8", addresses: ["10.244.0.0/28", "10.96.0.0/28", "10.200.0.0/28"] }, (c) => {
            c["infra:mesh"] = { enabled: true };
            for (const p of c["infra:pools"]) for (const n of p.nodes) n.address = n.address.replace("192.168.56", "10.1.1");
        });
        assert.deepEqual(ps, [
            "infra:platform.loadBalancer.addresses[0]: 10.244.0.0/28 overlaps 10.244.0.0/16 (infra:kubernetes.podCidr)",
            "infra:platform.loadBalancer.addresses[1]: 10.96.0.0/28 overlaps 10.96.0.0/12 (infra:kubernetes.serviceCidr)",
            "infra:platform.loadBalancer.addresses[2]: 10.200.0.0/28 overlaps 10.200.0.0/16 (infra:mesh.cidr)",
        ]);
    });
    it("on-prem control planes only: nothing would announce", () => {
        assert.deepEqual(lbProblems({ network: "192.168.56.0/24", addresses: ["192.168.56.224/28"] }, (c) => (c["infra:pools"] = [c["infra:pools"][0]])), [
            "infra:platform.loadBalancer: needs an on-prem worker: kubeadm labels control planes exclude-from-external-load-balancers, and MetalLB never announces from them",
        ]);
    });
    it("the network's own network and broadcast addresses", () => {
        assert.deepEqual(lbProblems({ network: "192.168.56.0/24", addresses: ["192.168.56.240/28"] }), [
            "infra:platform.loadBalancer.addresses[0]: 192.168.56.240/28 holds 192.168.56.255, the network or broadcast address of 192.168.56.0/24: no host can answer for it",
        ]);
    });
    it("a network no on-prem node is on", () => {
        assert.deepEqual(lbProblems({ network: "192.168.60.0/24", addresses: ["192.168.60.224/28"] }), [
            "infra:platform.loadBalancer.network: 192.168.60.0/24 holds no on-prem node's address: it must be the LAN the on-prem nodes sit on (ARP does not cross routers)",
        ]);
    });
    it("with a cloud integration, or without on-prem nodes", () => {
        assert.deepEqual(
            problems(withConfig((c) => (c["infra:platform"].loadBalancer = { network: "10.0.1.0/24", addresses: ["10.0.1.240/28"] }))).filter((p) => p.startsWith("infra:platform.loadBalancer")),
            ["infra:platform.loadBalancer: is for on-prem clusters: the hetzner integration brings the cloud's load balancers"],
        );
        assert.deepEqual(
            problems(withConfig((c) => {
                c["infra:platform"].cloudIntegration = "none";
                c["infra:platform"].ingress = { exposure: "nodePort" };
                c["infra:platform"].storage = { provisioner: "local-path" };
                c["infra:platform"].loadBalancer = { network: "10.0.1.0/24", addresses: ["10.0.1.240/28"] };
            })).filter((p) => p.startsWith("infra:platform.loadBalancer")),
            ["infra:platform.loadBalancer: needs on-prem nodes (vmware or static pools): they answer ARP for the addresses on their LAN"],
        );
    });
    it("without a pool, a LoadBalancer Service on-prem is still refused, and the message names the pool", () => {
        const ps = problems(onprem(undefined, (c) => (c["infra:apps"] = { host: "web.lab.example", workloads: [{ name: "web", image: "nginx:1.27", service: "LoadBalancer" }] })));
        assert.ok(ps.some((p) => p.startsWith("infra:apps.workloads[0].service: LoadBalancer: nothing in this cluster gives") && p.includes("no on-prem address pool in infra:platform.loadBalancer")), ps.join("\n"));
    });
});

describe("the onprem stack file (seed 003)", async () => {
    const plan = await planStack("onprem");
    const chart = plan.resources.find((r) => r.type === "kubernetes:helm.sh/v4:Chart" && r.inputs.chart === "metallb")!;
    const kind = (k: string) => plan.resources.find((r) => r.type === `kubernetes:metallb.io/v1beta1:${k}`)!;
    it("installs MetalLB 0.16.1 in L2 mode, in a privileged namespace of its own", () => {
        assert.equal(chart.inputs.version, "0.16.1");
        assert.equal(chart.inputs.namespace, "metallb-system");
        assert.deepEqual(chart.inputs.values, { frrk8s: { enabled: false }, speaker: { frr: { enabled: false } }, crds: { validationFailurePolicy: "Ignore" } });
        const ns = plan.resources.find((r) => r.type === "kubernetes:core/v1:Namespace" && (r.inputs.metadata as any)?.name === "metallb-system")!;
        assert.equal((ns.inputs.metadata as any).labels["pod-security.kubernetes.io/enforce"], "privileged");
    });
    it("the pool and its announcement from on-prem nodes, after the chart (their CRDs)", () => {
        assert.deepEqual(kind("IPAddressPool").inputs.spec, { addresses: ["192.168.56.240-192.168.56.250"], autoAssign: true });
        assert.deepEqual((kind("L2Advertisement").inputs.spec as any).nodeSelectors, [{ matchExpressions: [{ key: "infra.local/provider", operator: "In", values: ["vmware", "static"] }] }]);
        for (const k of ["IPAddressPool", "L2Advertisement"]) assert.ok(kind(k).dependsOn.includes(chart.urn), `${k} waits for the chart`);
    });
    it("the ingress gets a LoadBalancer address (not node ports), after the pool; no finding", () => {
        const traefik = plan.resources.find((r) => r.inputs.chart === "traefik")!;
        assert.equal((traefik.inputs.values as any).service?.spec?.type ?? "LoadBalancer", "LoadBalancer");
        assert.ok(traefik.dependsOn.includes(kind("IPAddressPool").urn), "the ingress's Service is created once the pool exists");
        const svc = plan.resources.find((r) => r.type === "kubernetes:core/v1:Service" && (r.inputs.metadata as any)?.name === "go-service")!;
        assert.equal((svc.inputs.spec as any).type, "LoadBalancer");
        assert.deepEqual(plan.findings, []);
    });
});
