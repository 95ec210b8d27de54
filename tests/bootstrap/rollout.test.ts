/**
 * Day 2 in the plan (issue 18): a stack planned against its deployed state (`--deployed`, the
 * outputs a StackReference to the stack itself reads) orders a version bump as kubeadm's upgrade
 * (read from the dependencies recorded in resources.json), refuses what kubeadm cannot do with
 * the key named, and orders a replaced worker, a control plane leaving and a 1 -> 3 growth.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { describe, it } from "node:test";
import * as YAML from "yaml";
import { MINUTES, rolloutMinutes } from "../../infra/bootstrap/lifecycle";
import { isConfigError } from "../../infra/config";
import { type PlannedResource, planText, REPO_ROOT, rolloutChain, type StackPlan, syntheticStack } from "../../tools/plan";
import { diffPlans, renderDiff, rolloutSummary } from "../../tools/plan/diff";

type Config = Record<string, any>;
const stackConfig = (stack: string): Config => (YAML.parse(fs.readFileSync(`${REPO_ROOT}/Pulumi.${stack}.yaml`, "utf8")) as { config: Config }).config;
const text = (config: Config) => YAML.stringify({ config });

/** The stack file as deployed, and the changed file planned against that deployment. */
async function change(stack: string, mutate: (c: Config) => void, base: (c: Config) => void = () => undefined): Promise<{ before: StackPlan; after: StackPlan }> {
    const deployedConfig = stackConfig(stack);
    base(deployedConfig);
    const before = await planText(stack, text(deployedConfig));
    const changed = structuredClone(deployedConfig);
    mutate(changed);
    const after = await planText(stack, text(changed), { deployed: before.plainOutputs });
    return { before, after };
}

/** Does `from` wait for `to`, directly or through other resources? */
function waitsFor(resources: readonly PlannedResource[], from: string, to: string): boolean {
    const byName = new Map(resources.map((r) => [r.name, r]));
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const target = byName.get(to)?.urn;
    assert.ok(byName.get(from) && target, `no resource ${byName.get(from) ? to : from}`);
    const seen = new Set<string>();
    const stack = [...byName.get(from)!.dependsOn];
    while (stack.length) {
        const urn = stack.pop()!;
        if (urn === target) return true;
        if (seen.has(urn)) continue;
        seen.add(urn);
        stack.push(...(byUrn.get(urn)?.dependsOn ?? []));
    }
    return false;
}

/** Each step waits for the one before it (the order kubeadm's upgrade takes). */
function assertOrder(resources: readonly PlannedResource[], steps: string[]): void {
    for (let i = 1; i < steps.length; i++) assert.ok(waitsFor(resources, steps[i], steps[i - 1]), `${steps[i]} does not wait for ${steps[i - 1]}`);
}

const bump = (version: string) => (c: Config) => void (c["infra:kubernetes"].version = version);
const names = (plan: StackPlan, role: string) => (plan.outputs.nodes as { name: string; role: string }[]).filter((n) => n.role === role).map((n) => n.name);

async function refused(p: Promise<unknown>): Promise<string> {
    try {
        await p;
    } catch (e) {
        assert.ok(isConfigError(e), String(e));
        return e.message;
    }
    assert.fail("the change was planned, not refused");
}

describe("a version bump of a running cluster plans kubeadm's rolling upgrade", () => {
    for (const stack of ["dev", "prod", "staging"]) {
        it(`${stack}: etcd snapshot, the first control plane, the others one at a time, then the workers one at a time (drain, upgrade, uncordon)`, async () => {
            const { after } = await change(stack, bump("1.36.2"));
            const r = after.resources;
            const [first, ...cps] = names(after, "control-plane");
            const workers = names(after, "worker");
            const snapshot = r.find((x) => x.name.endsWith("-upgrade-snapshot"))!.name;
            const steps = [snapshot, `${first}-upgrade`, ...cps.map((n) => `${n}-upgrade`)];
            for (const w of workers) steps.push(`${w}-upgrade-drain`, `${w}-upgrade`, `${w}-upgrade-uncordon`);
            assertOrder(r, steps);
            // The scripts carry the target version.
            for (const n of [first, ...cps, ...workers]) assert.match(String(r.find((x) => x.name === `${n}-upgrade`)!.inputs.update), /K8S_VERSION='1\.36\.2'/);
            assert.match(String(r.find((x) => x.name === `${first}-upgrade`)!.inputs.update), /FIRST='1'/);
            assert.deepEqual((after.outputs.lifecycle as { kubernetesVersion: string }).kubernetesVersion, "1.36.2");
        });
    }

    it("takes workers in batches of infra:kubernetes.upgrade.workerBatch, and joins new workers only after the control planes", async () => {
        const { after } = await change("prod", (c) => {
            bump("1.36.2")(c);
            c["infra:kubernetes"].upgrade = { workerBatch: 2 };
            c["infra:pools"].find((p: Config) => p.name === "onprem").nodes.push({ name: "k8s-worker-new", address: "192.168.18.230", user: "ubuntu", hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJFycnktVRv7jck1CeePIvy5hDpCV6ZRHjKvAcmKq53r" });
        });
        const workers = names(after, "worker");
        const cps = names(after, "control-plane");
        const [w1, w2, w3] = workers;
        assert.ok(!waitsFor(after.resources, `${w2}-upgrade-drain`, `${w1}-upgrade-uncordon`), "the first two workers go together");
        assert.ok(waitsFor(after.resources, `${w3}-upgrade-drain`, `${w1}-upgrade-uncordon`) && waitsFor(after.resources, `${w3}-upgrade-drain`, `${w2}-upgrade-uncordon`), "the next batch waits for both");
        assert.ok(waitsFor(after.resources, "k8s-worker-new-join", `${cps[cps.length - 1]}-upgrade`), "a new worker joins at the new version after the control planes run it");
    });

    it("orders nothing on a stack that is not upgrading: a new cluster's steps run beside its joins", async () => {
        const { after } = await change("prod", () => undefined);
        const workers = names(after, "worker");
        assert.ok(!waitsFor(after.resources, `${workers[1]}-upgrade-drain`, `${workers[0]}-upgrade-uncordon`));
    });

    it("summarises the rollout in words before the resource list of the diff, with the drains", async () => {
        const { before, after } = await change("prod", bump("1.36.2"));
        const lines = rolloutSummary(before.outputs, after.outputs, diffPlans(before.resources, after.resources));
        assert.match(lines[0], /^upgrade 1\.35\.9 -> 1\.36\.2: snapshot etcd, 3 control planes one at a time, \d+ workers one at a time \(about \d+ min\)$/);
        assert.match(lines[1], /^drains every node in turn \(PodDisruptionBudgets respected\): k8s-cp-1, k8s-cp-2, k8s-cp-3, /);
        // A script's change shows as the lines it changes, not as two whole scripts.
        const md = renderDiff(diffPlans(before.resources, after.resources), undefined, lines);
        assert.ok(md.includes("- `~` update `command:remote:Command` **k8s-cp-2-upgrade**\n  - `create`: script lines `- K8S_VERSION='1.35.9'`, `+ K8S_VERSION='1.36.2'`"), md.slice(0, 3000));
        assert.ok(md.indexOf("**Rollout**") < md.indexOf("### "), "the rollout comes before the resources");
    });
});

describe("what kubeadm cannot do is refused before anything is created (exit 2, key named)", () => {
    it("skipping a minor version", async () => {
        const message = await refused(change("dev", bump("1.37.1")));
        assert.match(message, /infra:kubernetes\.version: 1\.37\.1 skips a minor version: the cluster runs 1\.35\.9, and kubeadm upgrades one minor version at a time; set the newest 1\.36\.x first/);
    });
    it("a downgrade (patch releases may skip, forward only)", async () => {
        assert.match(await refused(change("dev", bump("1.35.8"))), /infra:kubernetes\.version: 1\.35\.8 is older than 1\.35\.9, which the cluster runs: kubeadm cannot downgrade a cluster/);
        const { after } = await change("dev", bump("1.35.12"));
        assert.equal((after.outputs.lifecycle as { kubernetesVersion: string }).kubernetesVersion, "1.35.12");
    });
    it("a containerd downgrade", async () => {
        const message = await refused(change("dev", (c) => void (c["infra:kubernetes"].containerdVersion = "2.0.1")));
        assert.match(message, /infra:kubernetes\.containerdVersion: 2\.0\.1 is older than 2\.1\.5, which the nodes run/);
    });
    it("growing from 1 to 3 control planes when the endpoint is the first control plane's own address", async () => {
        const message = await refused(change("staging", (c) => void (c["infra:pools"].find((p: Config) => p.role === "control-plane").count = 3)));
        assert.match(message, /infra:kubernetes\.apiEndpoint: growing from 1 to 3 control planes needs an API endpoint in front of them, and this cluster was initialised with its first control plane's own address \(node acme-staging-cp-1\)/);
    });
});

describe("node lifecycle", () => {
    it("grows from 1 to 3 control planes when the endpoint was there from the start: each joins after the one before, with a leave step", async () => {
        const hosts = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `k8s-cp-${i + 1}`, address: `192.168.18.${211 + i}`, user: "ubuntu", hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAj453mBq7Vlc+6wpxWydUHf50VxFDeaCnF7BOcITl4Z" }));
        const { before, after } = await change(
            "prod",
            (c) => void (c["infra:pools"][0].nodes = hosts(3)),
            (c) => void (c["infra:pools"][0].nodes = hosts(1)),
        );
        assert.deepEqual(names(before, "control-plane"), ["k8s-cp-1"]);
        assertOrder(after.resources, ["k8s-cp-1-init", "k8s-cp-2-join", "k8s-cp-3-join"]);
        assert.ok(after.resources.some((r) => r.name === "k8s-cp-3-leave"));
        const lines = rolloutSummary(before.outputs, after.outputs, diffPlans(before.resources, after.resources));
        assert.ok(lines.includes("control planes join one at a time: k8s-cp-2, k8s-cp-3 (1 -> 3 etcd members)"), lines.join("\n"));
    });

    it("removing control planes (3 -> 1, etcd keeps an odd count): each leave step (drain, etcd member removal, Node object) goes before its machine, one control plane at a time", async () => {
        const { before, after } = await change("prod", (c) => void c["infra:pools"][0].nodes.splice(1));
        const gone = before.resources.filter((r) => !after.resources.some((a) => a.urn === r.urn)).map((r) => r.name);
        assert.ok(gone.includes("k8s-cp-3-leave") && gone.includes("k8s-cp-3-prepare"), gone.join(", "));
        // Pulumi deletes dependents first: the leave step waits for the node's own steps, so it is deleted before them.
        assert.ok(waitsFor(before.resources, "k8s-cp-3-leave", "k8s-cp-3-prepare"));
        assert.ok(waitsFor(before.resources, "k8s-cp-3-leave", "k8s-cp-2-leave"), "chained: members leave one at a time");
        const leave = before.resources.find((r) => r.name === "k8s-cp-3-leave")!;
        assert.match(String(leave.inputs.delete), /control-plane-leave: runs on the first control plane/);
        assert.match(String(leave.inputs.delete), /NODE_NAME='k8s-cp-3'/);
        const lines = rolloutSummary(before.outputs, after.outputs, diffPlans(before.resources, after.resources));
        assert.ok(lines.includes("control planes leave (drained, etcd member removed, then the machine): k8s-cp-2, k8s-cp-3 (3 -> 1 etcd members)"), lines.join("\n"));
    });

    it("replacing a worker's machine: drained and its Node object deleted before the machine goes, the new one joins under the name", async () => {
        const { before, after } = await change("dev", (c) => void (c["infra:pools"].find((p: Config) => p.role === "worker").location = "nbg1"));
        const server = after.resources.find((r) => r.name === "acme-dev-workers-1" && r.type === "hcloud:index/server:Server")!;
        const guard = after.resources.find((r) => r.name === "acme-dev-workers-1-machine")!;
        const joined = after.resources.find((r) => r.name === "acme-dev-workers-1-join")!;
        // The server is deleted before its replacement is created; the engine first deletes the dependents a
        // replacement replaces: the drain guard and the join, whose triggers are the machine's id.
        assert.ok(server.deleteBeforeReplace && guard.deleteBeforeReplace);
        for (const r of [guard, joined]) {
            assert.ok(r.dependsOn.includes(server.urn), `${r.name} takes the machine's id`);
            assert.ok(Array.isArray(r.inputs.triggers) && (r.inputs.triggers as unknown[]).length === 1, `${r.name} has the machine id as its trigger`);
        }
        assert.match(String(guard.inputs.delete), /drain: runs on the first control plane/);
        // The drain guard existing workers already have keeps its inputs: adding the machine's id there would replace it, and so drain every worker at once on the next up.
        assert.equal(after.resources.find((r) => r.name === "acme-dev-workers-1-drain")!.inputs.triggers, undefined);
        const lines = rolloutSummary(before.outputs, after.outputs, diffPlans(before.resources, after.resources));
        assert.ok(lines.some((l) => l.startsWith("replaces the machine of acme-dev-workers-1: drains it")), lines.join("\n"));
    });
});

describe("certificates", () => {
    it("renews the control planes' certificates one at a time when an up falls within the window, without a version change", async () => {
        const stack = stackConfig("prod");
        const deployed = await planText("prod", text(stack));
        const lifecycle = deployed.plainOutputs.lifecycle as { certificates: { expires: string; renewed: string } };
        // The plan runs at INFRA_NOW (2026-01-01): certificates expiring ten days later are due (window: 30 days).
        const due = { ...deployed.plainOutputs, lifecycle: { ...lifecycle, certificates: { renewed: "2025-01-11T00:00:00.000Z", expires: "2026-01-11T00:00:00.000Z" } } };
        const after = await planText("prod", text(stack), { deployed: due });
        const certs = ["k8s-cp-1", "k8s-cp-2", "k8s-cp-3"].map((n) => after.resources.find((r) => r.name === `${n}-certs`)!);
        for (const c of certs) assert.deepEqual(c.inputs.triggers, ["2026-01-01T00:00:00.000Z"], "a new renewal date runs the step");
        assertOrder(after.resources, certs.map((c) => c.name));
        assert.equal((after.outputs.lifecycle as { certificates: { expires: string } }).certificates.expires, "2027-01-01T00:00:00.000Z");
        const lines = rolloutSummary(due, after.plainOutputs, []);
        assert.ok(lines.includes("renew the control planes' certificates (expiring 2026-01-11), 3 control planes one at a time: valid until 2027-01-01"), lines.join("\n"));
        // Outside the window nothing changes.
        const calm = await planText("prod", text(stack), { deployed: deployed.plainOutputs });
        assert.deepEqual(calm.resources.find((r) => r.name === "k8s-cp-1-certs")!.inputs.triggers, [lifecycle.certificates.renewed]);
    });
});

describe("the rolling upgrade's length (npm run bench)", () => {
    it("chains 1 snapshot, each control plane and three steps per worker; the model adds up the steps' minutes", async () => {
        const text3 = syntheticStack(3, 3);
        const deployed = await planText("bench", text3);
        const bumped = await planText("bench", text3.replace(/version: 1\.35\.9/, "version: 1.36.2"), { deployed: deployed.plainOutputs });
        assert.equal(rolloutChain(bumped.resources).length, 1 + 3 + 3 * 3);
        assert.equal(rolloutMinutes(3, 3, 1), MINUTES.snapshot + MINUTES.firstControlPlane + 2 * MINUTES.controlPlane + 3 * MINUTES.worker);
        assert.equal(rolloutMinutes(3, 50, 5), MINUTES.snapshot + MINUTES.firstControlPlane + 2 * MINUTES.controlPlane + 10 * MINUTES.worker);
    });
});
