/**
 * The bootstrap's resource graph under the mock runtime: what runs where, in which order, and
 * that join material and credentials stay secret.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { criticalPath, planText, SECRET, syntheticStack } from "../../tools/plan";
import { planConfig, withConfig } from "../helpers";

const COMMAND = "command:remote:Command";

describe("kubeadm bootstrap graph (3 control planes + 3 workers on Hetzner)", async () => {
    const plan = await planText("ha", syntheticStack(3, 3));
    const byName = new Map(plan.resources.map((r) => [r.name, r]));
    const get = (n: string) => {
        const r = byName.get(n);
        assert.ok(r, `no resource ${n}`);
        return r;
    };
    const commands = plan.resources.filter((r) => r.type === COMMAND);
    const commandUrns = new Set(commands.map((c) => c.urn));
    const nodes = ["acme-dev-cp-1", "acme-dev-cp-2", "acme-dev-cp-3", "acme-dev-workers-1", "acme-dev-workers-2", "acme-dev-workers-3"];

    it("prepares every node, each after its own readiness gate only", () => {
        for (const n of nodes) {
            const prepare = get(`${n}-prepare`);
            assert.deepEqual(prepare.dependsOn.filter((d) => commandUrns.has(d)), [get(`${n}-ready`).urn]);
        }
    });

    it("runs kubeadm init once, on the first control plane, after its prepare", () => {
        const inits = commands.filter((c) => c.name.endsWith("-init"));
        assert.deepEqual(inits.map((c) => c.name), ["acme-dev-cp-1-init"]);
        assert.deepEqual(inits[0].dependsOn.filter((d) => commandUrns.has(d)), [get("acme-dev-cp-1-prepare").urn]);
    });

    it("issues the join token on the first control plane once init succeeded", () => {
        const token = get("acme-dev-cp-1-join-token");
        assert.deepEqual(token.dependsOn.filter((d) => commandUrns.has(d)), [get("acme-dev-cp-1-init").urn]);
        assert.equal(token.inputs.stdin, SECRET);
        assert.match(plan.plainInputs.get(token.urn)!.create as string, /^TOKEN_TTL='24h'$/m);
    });

    it("joins workers at once, each after init, the token and its own prepare; control planes one at a time (one etcd learner at a time)", () => {
        const base = [get("acme-dev-cp-1-init").urn, get("acme-dev-cp-1-join-token").urn];
        for (const n of nodes.filter((x) => x.includes("-workers-"))) {
            const join = get(`${n}-join`);
            assert.deepEqual(join.dependsOn.filter((d) => commandUrns.has(d)).sort(), [...base, get(`${n}-prepare`).urn].sort());
        }
        assert.deepEqual(get("acme-dev-cp-2-join").dependsOn.filter((d) => commandUrns.has(d)).sort(), [...base, get("acme-dev-cp-2-prepare").urn].sort());
        assert.deepEqual(
            get("acme-dev-cp-3-join").dependsOn.filter((d) => commandUrns.has(d)).sort(),
            [...base, get("acme-dev-cp-3-prepare").urn, get("acme-dev-cp-2-join").urn].sort(),
        );
        assert.equal(byName.get("acme-dev-cp-1-join"), undefined);
    });

    it("a join never re-runs for new join material (a new token is not sent to joined nodes); a new machine joins afresh", () => {
        for (const n of nodes.slice(1)) {
            const join = get(`${n}-join`);
            assert.deepEqual(join.ignoreChanges, ["stdin"]);
            const triggers = plan.plainInputs.get(join.urn)!.triggers as string[];
            assert.ok(triggers.length === 1 && triggers[0] !== "", `${n}: triggered by its machine`);
            assert.deepEqual(triggers, plan.plainInputs.get(get(`${n}-ready`).urn)!.triggers, `${n}: the same machine id as its readiness gate`);
        }
    });

    it("joins control planes as control planes, through the load balancer on the private network", () => {
        const lbNet = get("acme-dev-api-network");
        assert.equal(lbNet.inputs.enablePublicInterface, false, "the API is not opened to the world through the load balancer");
        for (const n of ["acme-dev-cp-2", "acme-dev-cp-3"]) assert.match(plan.plainInputs.get(get(`${n}-join`).urn)!.create as string, /^ROLE='control-plane'$/m);
        assert.match(plan.plainInputs.get(get("acme-dev-workers-1-join").urn)!.create as string, /^ROLE='worker'$/m);
        const targets = plan.resources.filter((r) => r.type === "hcloud:index/loadBalancerTarget:LoadBalancerTarget");
        assert.equal(targets.length, 3);
        for (const t of targets) assert.equal(t.inputs.usePrivateIp, true);
        assert.ok(get("acme-dev-cp-1-init").dependsOn.includes(lbNet.urn));
    });

    it("installs Calico after init, through the cluster's provider", () => {
        const chart = get("acme-dev-calico");
        assert.equal(chart.type, "kubernetes:helm.sh/v4:Chart");
        const ns = get("acme-dev-calico-ns");
        assert.ok(ns.dependsOn.includes(get("acme-dev-cp-1-init").urn));
        assert.ok(chart.dependsOn.includes(ns.urn));
        assert.equal(chart.inputs.chart, "tigera-operator");
        assert.equal(chart.inputs.version, "v3.32.1");
        // Calico 3.32's operator chart has no CRDs: its own chart, same version, goes first.
        const crds = get("acme-dev-calico-crds");
        assert.deepEqual([crds.inputs.chart, crds.inputs.version], ["crd.projectcalico.org.v1", "v3.32.1"]);
        assert.ok(chart.dependsOn.includes(crds.urn), "the operator chart waits for the CRDs");
        assert.equal((chart.inputs.values as { manageCRDs: boolean }).manageCRDs, false, "the CRDs have one owner");
        assert.deepEqual((chart.inputs.repositoryOpts as { repo: string }).repo, "https://docs.tigera.io/calico/charts");
        const pools = (chart.inputs.values as { installation: { calicoNetwork: { ipPools: { cidr: string; encapsulation: string }[] } } }).installation.calicoNetwork.ipPools;
        assert.deepEqual(pools.map((p) => [p.cidr, p.encapsulation]), [["10.244.0.0/16", "VXLAN"]]);
        assert.match(String(chart.provider), /::acme-dev-k8s::/);
    });

    it("drains each worker from the first control plane before it goes", () => {
        for (const n of nodes.slice(3)) {
            const drain = plan.plainInputs.get(get(`${n}-drain`).urn)!;
            assert.match(String(drain.delete), new RegExp(`^NODE_NAME='${n}'$`, "m"));
            assert.match(String(drain.delete), /^drain_node "\$NODE_NAME"$/m);
            assert.match(String(drain.delete), /kubectl drain "\$node" --ignore-daemonsets/);
            assert.equal((drain.connection as { host: string }).host, (plan.plainInputs.get(get("acme-dev-cp-1-init").urn)!.connection as { host: string }).host);
            assert.ok(get(`${n}-drain`).dependsOn.includes(get(`${n}-join`).urn));
        }
        assert.equal(byName.get("acme-dev-cp-2-drain"), undefined);
    });

    it("keeps join material and credentials secret: stdin, kubeconfig, token and CA hash", () => {
        for (const c of commands.filter((x) => /-(init|join)$/.test(x.name))) assert.equal(c.inputs.stdin, SECRET, c.name);
        assert.equal(plan.outputs.kubeconfig, SECRET);
        const join = plan.outputs.join as Record<string, unknown>;
        assert.equal(join.token, SECRET);
        assert.equal(join.caCertHash, SECRET);
        for (const c of commands) {
            for (const step of ["create", "update", "delete"]) {
                const script = String(c.inputs[step] ?? "");
                assert.notEqual(script, SECRET, `${c.name}.${step} must not be secret: it would hide a secret on a command line`);
                for (const v of plan.secretValues.filter((s) => s.length >= 16)) assert.ok(!script.includes(v), `${c.name}.${step} holds a secret`);
            }
        }
    });

    it("has a critical path of ready, prepare, init, then three steps: token, join and drain guard, or a worker's upgrade steps (no-ops on a new cluster, in parallel with its join)", () => {
        const path = criticalPath(plan.resources);
        assert.deepEqual(path.slice(0, 3).map((n) => n.replace(/^acme-dev-/, "")), ["cp-1-ready", "cp-1-prepare", "cp-1-init"], path.join(" -> "));
        assert.equal(path.length, 6, path.join(" -> "));
    });
});

describe("the critical path does not grow with the number of workers", () => {
    it("is the same for 1+1 and 1+40 nodes, and one join longer per extra control plane", async () => {
        const length = async (workers: number, cps: number) => criticalPath((await planText(`s${workers}x${cps}`, syntheticStack(workers, cps))).resources).length;
        const small = await length(1, 1);
        assert.equal(small, 6);
        assert.equal(await length(40, 1), small);
        assert.equal(await length(40, 5), small + 2, "5 control planes: 4 joins one after another");
    });
});

describe("API endpoints", () => {
    it("a single control plane: nodes join at its private address, admins use its public one", async () => {
        const { plan } = await planConfig(withConfig(() => undefined), "one");
        const join = plan.outputs.join as { endpoint: string };
        const nodes = plan.outputs.nodes as { privateAddress: string; publicAddress: string }[];
        assert.equal(join.endpoint, `${nodes[0].privateAddress}:6443`);
        assert.equal(plan.outputs.apiEndpoint, `https://${nodes[0].publicAddress}:6443`);
        assert.equal(plan.resources.filter((r) => r.type.includes("loadBalancer")).length, 0);
    });

    it("on-prem HA: the configured virtual IP or DNS name", async () => {
        const { plan } = await planConfig(
            withConfig((c) => {
                delete c["hcloud:token"];
                c["infra:kubernetes"].apiEndpoint = "k8s-api.acme.internal";
                c["infra:pools"] = [
                    { name: "cp", provider: "vmware", role: "control-plane", nodes: [1, 2, 3].map((i) => ({ name: `cp${i}`, address: `192.168.18.20${i}`, user: "ubuntu" })) },
                ];
            }),
            "onprem",
        );
        assert.equal((plan.outputs.join as { endpoint: string }).endpoint, "k8s-api.acme.internal:6443");
        assert.equal(plan.outputs.apiEndpoint, "https://k8s-api.acme.internal:6443");
    });

    it("AWS HA: a network load balancer on 6443 in front of the control planes", async () => {
        const { ofType, plan } = await planConfig(
            withConfig((c) => {
                delete c["hcloud:token"];
                c["aws:region"] = "eu-central-1";
                c["infra:pools"] = [{ name: "cp", provider: "aws", role: "control-plane", count: 3, instanceType: "t3.medium" }];
            }),
            "awsha",
        );
        const nlb = ofType("aws:lb/loadBalancer:LoadBalancer").filter((r) => r.name === "infra-awsha-api");
        assert.equal(nlb.length, 1);
        assert.equal(nlb[0].inputs.loadBalancerType, "network");
        const tg = ofType("aws:lb/targetGroup:TargetGroup").find((r) => r.name === "infra-awsha-api-6443")!;
        assert.deepEqual([tg.inputs.port, tg.inputs.protocol, tg.inputs.preserveClientIp], [6443, "TCP", "false"]);
        assert.equal(ofType("aws:lb/targetGroupAttachment:TargetGroupAttachment").filter((r) => r.name.startsWith("infra-awsha-api-")).length, 3);
        assert.match(String((plan.outputs.join as { endpoint: string }).endpoint), /\.elb\.eu-central-1\.amazonaws\.com:6443$/);
    });
});
