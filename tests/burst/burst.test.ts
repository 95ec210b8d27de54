/**
 * Bursting by switching stacks, under the mock runtime with the base's outputs behind the
 * StackReference (the plan of Pulumi.prod.yaml): only worker pools, joining prod's endpoint with
 * prod's material, one mesh that base and burst agree on, drains on removal, taints.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as YAML from "yaml";
import { parseBundle } from "../../infra/bootstrap/remote";
import { isConfigError } from "../../infra/config";
import { planStack, planText, readStackFile, stackFilePath } from "../../tools/plan";

const bundleFile = (stdin: string, file: string) => parseBundle(stdin).get(file)!;

describe("prod-burst joins prod", async () => {
    const base = await planStack("prod");
    const burst = await planStack("prod-burst");
    const named = (n: string) => burst.resources.find((r) => r.name === n)!;
    const plain = (n: string) => burst.plainInputs.get(named(n).urn) as any;
    const baseJoin = base.plainOutputs.join as any;
    const workers = ["acme-prod-burst-burst-1", "acme-prod-burst-burst-2"];

    it("creates only worker pools: no control plane, init, platform or apps", () => {
        assert.ok(!burst.resources.some((r) => /-init$/.test(r.name) || r.type.startsWith("infra:platform") || r.type.startsWith("infra:apps") || r.type.startsWith("kubernetes:")));
        assert.deepEqual(burst.resources.filter((r) => r.type === "aws:ec2/instance:Instance").map((r) => r.name).sort(), workers);
        assert.ok(burst.resources.some((r) => r.type === "pulumi:pulumi:StackReference" && r.inputs.name === "acme/infra/prod"));
    });

    it("issues the workers' own token on prod's first control plane, whatever the age of prod's", () => {
        const step = named("k8s-cp-1-acme-prod-burst-join-token");
        assert.equal((plain(step.name).connection as { host: string }).host, (base.plainOutputs.access as any).controlPlane.host);
        assert.match(plain(step.name).stdin, /^[a-z0-9]{6}\.[a-z0-9]{16}$/);
        assert.notEqual(plain(step.name).stdin, baseJoin.token);
        assert.equal(step.inputs.stdin, "[secret]");
        for (const w of workers) assert.ok(named(`${w}-join`).dependsOn.includes(step.urn), `${w} joins after the token exists`);
    });

    it("each worker joins prod's endpoint with its token and prod's CA hash, at prod's version, labelled and tainted", () => {
        const token = plain("k8s-cp-1-acme-prod-burst-join-token").stdin;
        for (const w of workers) {
            const join = YAML.parse(bundleFile(plain(`${w}-join`).stdin, "/etc/kubernetes/infra/kubeadm-join.yaml"));
            assert.deepEqual(join.discovery.bootstrapToken, { apiServerEndpoint: baseJoin.endpoint, token, caCertHashes: [baseJoin.caCertHash] });
            assert.equal(join.controlPlane, undefined);
            const args = Object.fromEntries(join.nodeRegistration.kubeletExtraArgs.map((a: any) => [a.name, a.value]));
            assert.match(args["node-labels"], /infra\.local\/burst=true/);
            assert.deepEqual(join.nodeRegistration.taints, [{ key: "infra.local/burst", value: "true", effect: "NoSchedule" }]);
            assert.match(plain(`${w}-prepare`).create, /^K8S_VERSION='1\.35\.9'$/m);
            assert.equal(named(`${w}-join`).inputs.stdin, "[secret]");
        }
    });

    it("base and burst agree on the mesh: every node is a peer of every other, with the right endpoint", () => {
        const basePeers = (base.plainOutputs.mesh as any).peers as { name: string; address: string; publicKey: string; endpoint?: string }[];
        const burstNodes = burst.plainOutputs.nodes as { name: string; privateAddress: string; publicAddress: string }[];
        for (const w of workers) {
            const conf = bundleFile(plain(`${w}-prepare`).stdin, "/etc/wireguard/wg0.base.conf");
            for (const p of basePeers) {
                assert.ok(conf.includes(`PublicKey = ${p.publicKey}\nAllowedIPs = ${p.address}/32`), `${w} lacks base peer ${p.name}`);
                if (p.endpoint) assert.ok(conf.includes(`Endpoint = ${p.endpoint}`), `${w} reaches ${p.name} at its endpoint`);
            }
            const other = workers.find((x) => x !== w)!;
            assert.ok(conf.includes(`# ${other}\n[Peer]`), `${w} peers with ${other}`);
            assert.ok(!conf.includes(`# ${w}\n`), "not its own peer");
        }
        const onBase = burst.resources.filter((r) => r.name.endsWith("-peers-acme-prod-burst"));
        assert.deepEqual(onBase.map((r) => r.name.replace("-peers-acme-prod-burst", "")).sort(), basePeers.map((p) => p.name).sort(), "every base node learns the burst workers");
        const stdin = String(burst.plainInputs.get(onBase[0].urn)!.stdin);
        for (const n of burstNodes) assert.ok(stdin.includes(`AllowedIPs = ${n.privateAddress}/32\nEndpoint = ${n.publicAddress}:51820`));
        assert.match(String(burst.plainInputs.get(onBase[0].urn)!.delete), /^REMOVE='1'$/m, "destroying the burst stack removes the peers");
        for (const w of workers) assert.ok(named(`${w}-join`).dependsOn.some((d) => onBase.some((b) => b.urn === d)), "workers join once the base knows them");
    });

    it("drains each worker from prod's first control plane before its machine goes", () => {
        const cp = (base.plainOutputs.access as any).controlPlane;
        for (const w of workers) {
            const d = plain(`${w}-drain`);
            assert.equal(d.connection.host, cp.host);
            assert.equal(d.connection.proxy.host, "bastion.acme.example", "through prod's bastion");
            assert.match(d.delete, new RegExp(`^NODE_NAME='${w}'$`, "m"));
        }
    });

    it("opens the mesh port on the burst workers' security group", () => {
        const sg = burst.resources.find((r) => r.type === "aws:ec2/securityGroup:SecurityGroup")!;
        assert.ok((sg.inputs.ingress as any[]).some((r) => r.protocol === "udp" && r.fromPort === 51820));
    });
});

describe("apps tolerate burst workers only when asked", () => {
    it("adds the burst toleration to the app's pods with apps.tolerateBurst", async () => {
        const text = readStackFile(stackFilePath("dev"));
        const apps = JSON.parse(text.values["infra:apps"]);
        const yaml = YAML.stringify({ config: { ...Object.fromEntries(Object.entries(text.values).map(([k, v]) => [k, text.secretKeys.includes(k) ? { secure: "v1:x" } : v.startsWith("{") || v.startsWith("[") ? JSON.parse(v) : v])), "infra:apps": { ...apps, tolerateBurst: true } } });
        const plan = await planText("tolerate", yaml);
        const backend = plan.resources.find((r) => r.inputs.kind === "Deployment" && (r.inputs.metadata as any).name === "backend")!;
        assert.deepEqual((backend.inputs.spec as any).template.spec.tolerations, [{ key: "infra.local/burst", operator: "Equal", value: "true", effect: "NoSchedule" }]);
        const dev = await planStack("dev");
        const plainBackend = dev.resources.find((r) => r.inputs.kind === "Deployment" && (r.inputs.metadata as any).name === "backend")!;
        assert.equal((plainBackend.inputs.spec as any).template.spec.tolerations, undefined);
    });
});

describe("burst stacks refuse a base they cannot join", () => {
    const burstYaml = () => {
        const f = readStackFile(stackFilePath("prod-burst"));
        return YAML.parse(require("node:fs").readFileSync(f.path, "utf8"));
    };
    const problems = async (doc: unknown, baseOutputs?: Record<string, unknown>) => {
        try {
            await planText("burst-test", YAML.stringify(doc), baseOutputs ? { stackReferences: { "acme/infra/prod": { outputs: baseOutputs, secretOutputNames: [] } } } : {});
            return [];
        } catch (e) {
            if (!isConfigError(e)) throw e;
            return e.problems.map((p) => `${p.path}: ${p.message}`);
        }
    };

    it("a base stack that exports no join material (an older version)", async () => {
        assert.deepEqual(await problems(burstYaml(), { clusterName: "acme-prod" }), [
            "infra:burst.baseStack: acme/infra/prod exports no join material (output `join`): it was deployed by an older version of this program; run pulumi up on it first",
        ]);
    });

    it("a Kubernetes version different from the base's", async () => {
        const base = await planStack("prod");
        const doc = burstYaml();
        doc.config["infra:kubernetes"] = { version: "1.36.2" };
        assert.deepEqual(await problems(doc, base.plainOutputs), [
            "infra:kubernetes.version: 1.36.2 differs from the base cluster's 1.35.9: burst workers run the base's version (leave it out, or match it)",
        ]);
    });

    it("a missing or malformed base stack name, a control-plane pool", async () => {
        const doc = burstYaml();
        doc.config["infra:burst"].baseStack = "prod";
        doc.config["infra:pools"][0].role = "control-plane";
        assert.deepEqual(await problems(doc, {}), [
            "infra:burst.baseStack: must be a fully qualified stack name `<organization>/<project>/<stack>` (e.g. acme/infra/prod)",
        ]);
        delete doc.config["infra:burst"];
        assert.deepEqual(await problems(doc, {}), [
            "infra:burst: is required when mode is burst (burst.baseStack names the running cluster's stack)",
            "infra:pools[0].role: must be worker in a burst stack: burst pools join a running cluster's control plane",
        ]);
    });

    it("an auto scaling group, whose instances could not join the base's mesh", async () => {
        const doc = burstYaml();
        const pool = doc.config["infra:pools"][0];
        delete pool.count;
        pool.autoscaling = { min: 0, desired: 1, max: 3 };
        assert.deepEqual(await problems(doc, {}), [
            "infra:pools[0].autoscaling: is not for a burst stack: burst workers reach the base over its mesh, which an auto scaling group's instances cannot join (their keys are not known in advance); use count",
        ]);
    });
});
