/**
 * The day-2 scripts (issue 18) on fake nodes: what a rolling upgrade does on each node and in
 * which order, what it refuses before changing anything (a node newer than the stack, a jump of
 * two minors, an unfinished upgrade to another version, control planes that disagree), a drain
 * that a PodDisruptionBudget blocks, a control plane leaving etcd before its Node object goes,
 * and certificates renewed only inside their window. faults.test.ts runs each script with a
 * failure at every step.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { composeScript, SCRIPTS } from "../../infra/bootstrap/remote";
import { type FakeNode, fakeNode, mutating, UBUNTU } from "./fake-node";

const CP1 = "acme-prod-cp-1";
const WORKER = "acme-prod-workers-1";
const prepare = (role: string, version = "1.35.9") => composeScript(SCRIPTS.prepare, { K8S_VERSION: version, CONTAINERD_VERSION: "2.1.5", NODE_IP: "10.0.1.3", ROLE: role });
const upgrade = (p: Record<string, string> = {}) =>
    composeScript(SCRIPTS.upgradeNode, { K8S_VERSION: "1.36.2", CONTAINERD_VERSION: "2.1.5", NODE_NAME: WORKER, ROLE: "worker", FIRST: "0", ...p });

/** A node at `version` in the cluster (the first control plane with admin.conf and the cluster's node objects). */
function member(role: "control-plane" | "worker", version = "1.35.9"): FakeNode {
    const node = fakeNode(UBUNTU);
    const r = node.run(prepare(role, version));
    assert.equal(r.status, 0, r.stderr);
    node.write(`var/lib/infra/${role === "control-plane" ? "initialised" : "joined"}`, "");
    node.write("etc/kubernetes/kubelet.conf", "kubelet kubeconfig\n", 0o600);
    node.set("control-plane-version", `${version}\n`);
    if (role === "control-plane") node.write("etc/kubernetes/admin.conf", "admin kubeconfig\n", 0o600);
    return node;
}
function nodeObject(node: FakeNode, name: string, kubelet: string, controlPlane = false, self = false): void {
    node.set(`k8s/node-${name}`, "True");
    node.set(`k8s/kubelet-${name}`, `v${kubelet}`);
    node.set(`k8s/runtime-${name}`, "containerd://2.1.5");
    if (controlPlane) node.set(`k8s/cp-${name}`);
    if (self) node.set(`k8s/self-${name}`);
}

describe("upgrade-node.sh", () => {
    it("upgrades the first control plane in kubeadm's order: the new minor's repository, kubeadm, plan, apply, drain, kubelet and kubectl, restart, uncordon", () => {
        const node = member("control-plane");
        nodeObject(node, CP1, "1.35.9", true, true);
        const r = node.run(upgrade({ NODE_NAME: CP1, ROLE: "control-plane", FIRST: "1" }));
        assert.equal(r.status, 0, r.stderr);
        assert.match(node.read("etc/apt/sources.list.d/kubernetes.list"), /\/v1\.36\/deb\//);
        const order = [
            /^apt-get install .* kubeadm=1\.36\.2-1\.1$/,
            /^kubeadm upgrade plan v1\.36\.2$/,
            /^kubeadm upgrade apply v1\.36\.2 --yes$/,
            /^kubectl drain acme-prod-cp-1 --ignore-daemonsets/,
            /^apt-get install .* kubelet=1\.36\.2-1\.1$/,
            /^apt-get install .* kubectl=1\.36\.2-1\.1$/,
            /^systemctl restart kubelet$/,
            /^kubectl uncordon acme-prod-cp-1$/,
        ];
        const at = order.map((re) => r.calls.findIndex((c) => re.test(c)));
        assert.ok(at.every((i) => i >= 0), `missing: ${order.filter((_, i) => at[i] < 0).join(", ")}\n${r.calls.join("\n")}`);
        assert.deepEqual([...at].sort((a, b) => a - b), at, r.calls.join("\n"));
        for (const p of ["kubeadm", "kubelet", "kubectl"]) assert.equal(node.read(`../state/pkg-${p}`).trim(), "1.36.2-1.1");
        assert.deepEqual(node.read("../state/static-pods-version").trim(), "1.36.2");
        assert.ok(node.exists("../state/held-kubelet"), "kubelet held again");
    });

    it("runs kubeadm upgrade node (not apply) on the other nodes, and nothing on a node already at the versions", () => {
        const node = member("worker");
        node.set("control-plane-version", "1.36.2\n");
        const r = node.run(upgrade());
        assert.equal(r.status, 0, r.stderr);
        assert.ok(r.calls.includes("kubeadm upgrade node"), r.calls.join("\n"));
        assert.ok(!r.calls.some((c) => c.startsWith("kubeadm upgrade apply") || c.startsWith("kubectl")), "a worker neither applies nor drains itself");
        const again = node.run(upgrade());
        assert.equal(again.status, 0, again.stderr);
        assert.deepEqual(mutating(again.calls), []);
        assert.match(again.stdout, /already at kubernetes 1\.36\.2, containerd 2\.1\.5/);
    });

    it("does nothing on a node that is not in the cluster yet (prepare installed the target, join follows)", () => {
        const node = fakeNode(UBUNTU);
        assert.equal(node.run(prepare("worker", "1.36.2")).status, 0);
        const r = node.run(upgrade());
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(mutating(r.calls), []);
        assert.match(r.stdout, /not in the cluster yet/);
    });

    const refusals: [string, () => FakeNode, Record<string, string>, RegExp][] = [
        ["a node newer than the stack (a downgrade)", () => member("worker", "1.36.2"), { K8S_VERSION: "1.35.9" }, /runs kubelet 1\.36\.2, newer than infra:kubernetes\.version 1\.35\.9: Kubernetes cannot be downgraded/],
        ["a jump of two minor versions", () => member("worker"), { K8S_VERSION: "1.37.1" }, /kubeadm upgrades one minor version at a time, not to 1\.37\.1; set 1\.36\.x first/],
        [
            "an unfinished upgrade to another version (kubeadm already newer)",
            () => {
                const n = member("worker");
                n.set("pkg-kubeadm", "1.36.2-1.1\n");
                return n;
            },
            { K8S_VERSION: "1.36.1" },
            /kubeadm 1\.36\.2 is installed here for an upgrade to 1\.36\.2 that did not finish: set infra:kubernetes\.version to 1\.36\.2/,
        ],
    ];
    for (const [what, make, params, message] of refusals) {
        it(`refuses ${what}, changing nothing`, () => {
            const node = make();
            const before = node.snapshot();
            const r = node.run(upgrade(params));
            assert.notEqual(r.status, 0);
            assert.match(r.stderr, message);
            assert.deepEqual(mutating(r.calls), []);
            assert.deepEqual(node.snapshot(), before);
        });
    }

    it("refuses, on the first control plane, to upgrade control planes that disagree unless it finishes their upgrade", () => {
        const node = member("control-plane");
        nodeObject(node, CP1, "1.36.2", true);
        nodeObject(node, "acme-prod-cp-2", "1.35.9", true);
        const r = node.run(upgrade({ NODE_NAME: CP1, ROLE: "control-plane", FIRST: "1", K8S_VERSION: "1.36.3" }));
        assert.notEqual(r.status, 0);
        assert.match(r.stderr, /the control planes disagree \(acme-prod-cp-1=v1\.36\.2 acme-prod-cp-2=v1\.35\.9 \): an earlier upgrade stopped half-way; set infra:kubernetes\.version to 1\.36\.2/);
        assert.deepEqual(mutating(r.calls), []);
        // Finishing it (the newest of their versions) goes on.
        const finish = node.run(upgrade({ NODE_NAME: CP1, ROLE: "control-plane", FIRST: "1", K8S_VERSION: "1.36.2" }));
        assert.equal(finish.status, 0, finish.stderr);
    });
});

describe("upgrade-drain.sh and upgrade-uncordon.sh (on the first control plane)", () => {
    const drain = composeScript(SCRIPTS.upgradeDrain, { NODE_NAME: WORKER, K8S_VERSION: "1.36.2", CONTAINERD_VERSION: "2.1.5", DRAIN_TIMEOUT: "120" });
    const uncordon = composeScript(SCRIPTS.upgradeUncordon, { NODE_NAME: WORKER, K8S_VERSION: "1.36.2", CONTAINERD_VERSION: "2.1.5", READY_TIMEOUT: "30" });

    it("stops at a PodDisruptionBudget that allows no eviction, naming the pods, and leaves the node cordoned", () => {
        const cp = member("control-plane");
        nodeObject(cp, WORKER, "1.35.9");
        cp.set(`k8s/pods-${WORKER}`, "shop/db-0\nshop/db-1\n");
        cp.set(`k8s/pdb-blocks-${WORKER}`);
        const r = cp.run(drain);
        assert.notEqual(r.status, 0);
        assert.match(r.stderr, /could not drain acme-prod-workers-1 in 120s; still there \(a PodDisruptionBudget that allows no eviction, or pods that do not end\): shop\/db-0 shop\/db-1/);
        assert.ok(cp.exists(`../state/k8s/cordoned-${WORKER}`), "stays cordoned");
        assert.ok(r.calls.includes(`kubectl drain ${WORKER} --ignore-daemonsets --delete-emptydir-data --timeout=120s`), "kubectl drain evicts (PDBs respected), never --disable-eviction or --force");
    });

    it("drains an older worker and uncordons it once it is back Ready at the new version; leaves an admin's cordon alone", () => {
        const cp = member("control-plane");
        nodeObject(cp, WORKER, "1.35.9");
        assert.equal(cp.run(drain).status, 0);
        assert.equal(cp.read(`../state/k8s/annotation-${WORKER}`), "1.36.2");
        // Still at 1.35.9: the worker's upgrade did not bring it back.
        const early = cp.run(uncordon);
        assert.notEqual(early.status, 0);
        assert.match(early.stderr, /acme-prod-workers-1 reports v1\.35\.9 containerd:\/\/2\.1\.5 after 30s, not kubelet v1\.36\.2 and containerd 2\.1\.5; it stays cordoned/);
        assert.equal(early.calls.filter((c) => c === "sleep 5").length, 6, "polled every 5 s for 30 s");
        cp.set(`k8s/kubelet-${WORKER}`, "v1.36.2");
        const back = cp.run(uncordon);
        assert.equal(back.status, 0, back.stderr);
        assert.ok(!cp.exists(`../state/k8s/cordoned-${WORKER}`) && !cp.exists(`../state/k8s/annotation-${WORKER}`));
        // An admin's cordon (no annotation) stays.
        cp.set(`k8s/cordoned-${WORKER}`);
        const admin = cp.run(uncordon);
        assert.equal(admin.status, 0);
        assert.ok(cp.exists(`../state/k8s/cordoned-${WORKER}`));
    });

    it("does not drain a worker already at both versions, and refuses one newer than the stack", () => {
        const cp = member("control-plane");
        nodeObject(cp, WORKER, "1.36.2");
        const r = cp.run(drain);
        assert.equal(r.status, 0);
        assert.deepEqual(mutating(r.calls), []);
        cp.set(`k8s/kubelet-${WORKER}`, "v1.37.0");
        const newer = cp.run(drain);
        assert.notEqual(newer.status, 0);
        assert.match(newer.stderr, /runs kubelet 1\.37\.0, newer than infra:kubernetes\.version 1\.36\.2: Kubernetes cannot be downgraded/);
    });
});

describe("control-plane-leave.sh", () => {
    it("evicts the control plane's pods, removes its etcd member, then deletes its Node object", () => {
        const cp = member("control-plane");
        nodeObject(cp, "acme-prod-cp-3", "1.35.9", true);
        cp.set("etcd-running");
        cp.set("etcd-members", "8e9e05c52164694d, started, acme-prod-cp-1, https://10.0.1.2:2380, https://10.0.1.2:2379, false\n1f2e3d4c5b6a7980, started, acme-prod-cp-3, https://10.0.1.4:2380, https://10.0.1.4:2379, false\n");
        const r = cp.run(composeScript(SCRIPTS.controlPlaneLeave, { NODE_NAME: "acme-prod-cp-3" }));
        assert.equal(r.status, 0, r.stderr);
        const steps = [/^kubectl drain acme-prod-cp-3 /, /etcdctl .* member remove 1f2e3d4c5b6a7980$/, /^kubectl delete node acme-prod-cp-3 /].map((re) => r.calls.findIndex((c) => re.test(c)));
        assert.ok(steps.every((i, k) => i >= 0 && (k === 0 || i > steps[k - 1])), r.calls.join("\n"));
        assert.doesNotMatch(cp.read("../state/etcd-members"), /acme-prod-cp-3/);
        assert.match(cp.read("../state/etcd-members"), /acme-prod-cp-1/);
    });
});

describe("certs-renew.sh", () => {
    it("renews only within the window, then restarts the control plane's static pods", () => {
        const cp = fakeNode(UBUNTU);
        cp.write("etc/kubernetes/admin.conf", "admin kubeconfig\n", 0o600);
        nodeObject(cp, CP1, "1.35.9", true);
        cp.write("etc/kubernetes/pki/apiserver.crt", "certificate valid for 200 days\n");
        cp.write("etc/kubernetes/manifests/kube-apiserver.yaml", "static pod\n", 0o600);
        const script = composeScript(SCRIPTS.certsRenew, { WINDOW_DAYS: "30", NODE_NAME: CP1 });
        const fresh = cp.run(script);
        assert.equal(fresh.status, 0, fresh.stderr);
        assert.deepEqual(mutating(fresh.calls), []);
        assert.match(fresh.stdout, /certificates expire Nov 22 00:00:00 2027 GMT/);
        cp.write("etc/kubernetes/pki/apiserver.crt", "certificate expiring in 9 days\n");
        const due = cp.run(script);
        assert.equal(due.status, 0, due.stderr);
        assert.ok(due.calls.includes("kubeadm certs renew all"));
        assert.equal(cp.read("etc/kubernetes/pki/apiserver.crt"), "renewed certificate\n");
        assert.equal(cp.read("etc/kubernetes/manifests/kube-apiserver.yaml"), "static pod\n", "the manifest is back");
        assert.ok(due.calls.some((c) => c.startsWith("sleep ")), "the kubelet had time to stop the pods");
    });
});
