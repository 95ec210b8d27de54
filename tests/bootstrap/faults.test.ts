/**
 * Fault injection (issue 13): every external call a bootstrap script makes can fail once, and a
 * run that failed there must say so (`<step>: error: ...` on standard error) and leave the node
 * where a plain re-run converges to the state an uninterrupted run reaches, after which a further
 * run changes nothing. That third run is the uninterrupted run's second one: the scripts are
 * deterministic in what they can read (the fake root, the stubs' state, the programs installed,
 * standard input), the snapshot holds all of it, and a re-run that ends in the same snapshot is
 * followed by the same run (checked once per scenario, in "a second run changes nothing").
 *
 * The failure points are not listed by hand: each scenario runs once uninterrupted, and every call
 * it made becomes a failure point, or is accounted for in CALLS as an answer (a query whose
 * non-zero exit is a normal result). A call the table does not know fails the coverage test, so a
 * new external call needs its entry here; a program without a stub fails even earlier (the fake
 * node has no other programs on PATH).
 *
 * A stub's injected failure never says "error:" itself: the message must be the script's own
 * (`<step>: error: ...`), naming what failed. A "tolerated" failure is one the script is meant to
 * survive: the run succeeds with a warning, and ends where an uninterrupted run ends.
 *
 * A failure point is a call reached from the call before it: scenarios of one script share the
 * points they have in common (swapoff after swapon, with or without the mesh, is one point), and
 * the first scenario that reaches a point runs it, unless a scenario says that the state a failure
 * leaves differs there (`ownPoints`). A failure half-way (CallRule.partial) is one more point per
 * rule and script: both downloads go through one `fetch`, both `enable --now` through systemd.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { asgFirstBootScript, composeScript, renderBundle, SCRIPTS } from "../../infra/bootstrap/remote";
import { type FakeNode, fakeNode, mutating, type NodeOptions, ROCKY, UBUNTU } from "./fake-node";

type Kind = "fault" | "tolerated" | "answer";

interface CallRule {
    /** A prefix of the call line (root taken out), or a pattern for it. */
    readonly call: string | RegExp;
    /** fault: the run fails with `<step>: error:`; tolerated: the run goes on with a warning; answer: never injected. */
    readonly kind: Kind;
    /** Why a failure is an answer or tolerated. */
    readonly why?: string;
    /** What a failure half-way leaves behind (the stub's `partial`): a second failure point. */
    readonly partial?: string;
}

/** Every external call the scripts below make. The first rule that matches a call applies. */
const CALLS: readonly CallRule[] = [
    { call: "cloud-init status --wait", kind: "fault" },
    { call: "swapon --show", kind: "answer", why: "a query: no output means no swap is on" },
    { call: "swapoff -a", kind: "fault" },
    { call: "modprobe ", kind: "fault" },
    { call: "sysctl --system", kind: "fault" },
    { call: "curl -fsSL ", kind: "fault", partial: "a download cut off half-way" },
    { call: "curl -fsS -X PUT ", kind: "fault" },
    { call: "curl -fsS -H ", kind: "fault" },
    { call: "iptables -C ", kind: "answer", why: "a query: non-zero means the metadata rule is not in place, so it is inserted" },
    { call: "iptables -I ", kind: "fault" },
    { call: "curl -fsSk ", kind: "answer", why: "join's look at the API server's version is best effort: when it cannot be read, kubeadm join's own discovery reports the unreachable API server" },
    { call: "gpg --batch --yes --dearmor ", kind: "fault" },
    { call: "dpkg-query -W ", kind: "answer", why: "a query: exit 1 means the package is not installed, which the script then installs" },
    { call: "rpm -q ", kind: "answer", why: "a query: exit 1 means the package is not installed, which the script then installs" },
    { call: "apt-get update ", kind: "fault" },
    { call: "apt-get install ", kind: "fault" },
    { call: "apt-mark showhold", kind: "answer", why: "a query: the packages not listed are held next" },
    { call: "apt-mark hold ", kind: "fault" },
    { call: "dnf install ", kind: "fault" },
    { call: "getenforce", kind: "answer", why: "a query: its output is compared with Enforcing" },
    { call: "setenforce 0", kind: "fault" },
    { call: "systemctl is-active ", kind: "answer", why: "a query: non-zero means the unit is not running" },
    { call: "systemctl is-enabled ", kind: "answer", why: "a query: non-zero means the unit is not enabled" },
    { call: "systemctl enable --now ", kind: "fault", partial: "the unit enabled, but its start failed" },
    { call: "systemctl enable ", kind: "fault" },
    { call: "systemctl disable --now ", kind: "fault" },
    { call: "systemctl restart ", kind: "fault" },
    { call: "systemctl reload ", kind: "fault" },
    { call: "systemctl daemon-reload", kind: "fault" },
    { call: "ip link show wg0", kind: "answer", why: "a query: non-zero means wg0 is not up yet, so the script brings it up" },
    { call: "wg-quick strip ", kind: "fault" },
    { call: "wg syncconf ", kind: "fault" },
    { call: "kubeadm config images pull ", kind: "fault" },
    { call: "kubeadm init ", kind: "fault", partial: "kubeconfigs, manifests, etcd data and a running kubelet, from an init that died in wait-control-plane" },
    { call: "kubeadm join ", kind: "fault", partial: "pki/ca.crt and a running kubelet holding port 10250, from a join whose TLS bootstrap timed out" },
    { call: "kubeadm reset ", kind: "fault" },
    { call: "kubelet --version", kind: "answer", why: "a query for the skew check, which needs both versions: without the kubelet's, kubeadm join's own checks apply" },
    { call: "kubectl -n kube-system get secret ", kind: "answer", why: "a query: NotFound means the token is created next" },
    { call: "kubectl apply -f -", kind: "fault" },
    // Day 2 (issue 18): the rolling upgrade, certificate renewal, a control plane leaving.
    { call: "kubectl get nodes -l ", kind: "fault" },
    { call: /^kubectl get node \S+ -o jsonpath=\{\.(status\.nodeInfo|metadata\.annotations)/, kind: "fault" },
    { call: "kubectl annotate node ", kind: "fault" },
    { call: "kubectl uncordon ", kind: "fault" },
    { call: "kubectl wait ", kind: "fault" },
    { call: "kubeadm upgrade plan ", kind: "fault" },
    { call: "kubeadm upgrade apply ", kind: "fault" },
    { call: "kubeadm upgrade node", kind: "fault" },
    { call: "kubeadm certs renew all", kind: "fault" },
    { call: "crictl ps ", kind: "fault" },
    { call: "crictl exec ", kind: "fault" },
    { call: "openssl x509 -checkend ", kind: "answer", why: "a query: non-zero means the certificate expires within the window, and it is renewed (a renewal too many is harmless)" },
    { call: "openssl x509 -enddate ", kind: "answer", why: "only the expiry date the last log line prints" },
    { call: "systemctl start ", kind: "fault" },
    { call: "sleep ", kind: "fault" },
    // Only NotFound (the stub's answer for an absent node) means "already left": any other failure
    // (an API server that does not answer) fails the step, which the next run retries.
    { call: /^kubectl get node \S+ -o name$/, kind: "fault" },
    { call: /^kubectl get node \S+ -o /, kind: "answer", why: "a query: anything but True is a node that cannot confirm its pods' end" },
    { call: "kubectl get pods ", kind: "answer", why: "only what the report of forced pods lists" },
    { call: /^kubectl drain \S+ .*--force /, kind: "tolerated", why: "a NotReady node cannot confirm any eviction: its Node object is deleted anyway (with a warning), and the pod garbage collector removes its pods" },
    { call: "kubectl drain ", kind: "fault" },
    { call: "kubectl delete node ", kind: "fault" },
];

const ruleOf = (call: string): CallRule | undefined => CALLS.find((r) => (typeof r.call === "string" ? call.startsWith(r.call) : r.call.test(call)));
const label = (r: CallRule) => (typeof r.call === "string" ? r.call.trim() : String(r.call));

/** The stable part of a call line: up to a temporary file's name (mktemp's random suffix) or a pipe's. */
function stablePrefix(call: string): string {
    const words = call.split(" ");
    const at = words.findIndex((w) => /\.[A-Za-z0-9]{6}$/.test(w) || w.startsWith("/dev/fd/"));
    return at < 0 ? call : `${words.slice(0, at).join(" ")} `;
}

interface Scenario {
    readonly name: string;
    /** The STEP name the script's own errors start with. */
    readonly step: string;
    readonly script: string;
    readonly os: string;
    readonly node?: NodeOptions;
    readonly stdin?: string;
    /** Brings a fresh node to the scenario's starting point. */
    readonly setup?: (node: FakeNode) => void;
    /** Inject at every failure point, also those an earlier scenario of the script ran. */
    readonly ownPoints?: boolean;
}

const prepare = (params: Record<string, string> = {}) =>
    composeScript(SCRIPTS.prepare, { K8S_VERSION: "1.35.9", CONTAINERD_VERSION: "2.1.5", NODE_IP: "10.0.1.3", ROLE: "worker", ...params });
const bundle = (files: Record<string, string>) =>
    renderBundle(Object.entries(files).map(([p, content]) => ({ path: p, mode: p.endsWith(".crt") ? "0644" : "0600", content })));
const MESH_CONF = "[Interface]\nAddress = 10.200.2.1/16\nListenPort = 51820\nPrivateKey = c2VjcmV0LXdpcmVndWFyZC1rZXktMzItYnl0ZXMtISE=\n";
const PEER = "[Peer]\nPublicKey = cGVlci1wdWJsaWMta2V5LTMyLWJ5dGVzLS0tLS0tLS0=\nAllowedIPs = 10.200.1.1/32\nEndpoint = 203.0.113.10:51820\n";
const meshBundle = (conf: string) => renderBundle([{ path: "/etc/wireguard/wg0.base.conf", mode: "0600", content: conf }]);
const INIT_BUNDLE = bundle({
    "/etc/kubernetes/pki/ca.crt": "CA CERT",
    "/etc/kubernetes/pki/ca.key": "CA KEY",
    "/etc/kubernetes/infra/kubeadm-init.yaml": "kind: ClusterConfiguration\ncontrolPlaneEndpoint: 10.0.1.2:6443\n",
});
const INIT = composeScript(SCRIPTS.init, { MODE: "create" });
const WORKER_JOIN = bundle({ "/etc/kubernetes/infra/kubeadm-join.yaml": "kind: JoinConfiguration\n" });
const CONTROL_PLANE_JOIN = bundle({
    "/etc/kubernetes/pki/ca.crt": "CA CERT",
    "/etc/kubernetes/pki/ca.key": "CA KEY",
    "/etc/kubernetes/infra/kubeadm-join.yaml": "kind: JoinConfiguration\ncontrolPlane:\n  localAPIEndpoint: {}\n",
});
const join = (role: string) => composeScript(SCRIPTS.join, { ROLE: role, API_ENDPOINT: "10.0.1.2:6443" });
const NODE = "acme-dev-workers-2";
const DRAIN = composeScript(SCRIPTS.drain, { NODE_NAME: NODE });
const TOKEN = composeScript(SCRIPTS.token, { TOKEN_TTL: "24h" });

/** A node that ran prepare (kubelet 1.35.9 installed) in a cluster that runs 1.35.9. */
function prepared(node: FakeNode): void {
    node.set("pkg-kubelet", "1.35.9-1.1\n");
    node.set("cluster-version", "1.35.9");
}
/** A node that ran prepare with MESH=1: wg0 up with its own configuration. */
function inTheMesh(node: FakeNode): void {
    const r = node.run(prepare({ MESH: "1", NODE_IP: "10.200.2.1" }), { stdin: meshBundle(MESH_CONF) });
    assert.equal(r.status, 0, r.stderr);
}
function controlPlane(node: FakeNode): void {
    node.write("etc/kubernetes/admin.conf", "admin kubeconfig\n", 0o600);
}

const CP1 = "acme-dev-cp-1";
const CP3 = "acme-dev-cp-3";
const upgrade = (params: Record<string, string>) =>
    composeScript(SCRIPTS.upgradeNode, { K8S_VERSION: "1.36.2", CONTAINERD_VERSION: "2.1.5", NODE_NAME: NODE, ROLE: "worker", FIRST: "0", ...params });
/** A node object as the API server shows it: Ready, its kubelet and runtime, a control plane or not. */
function nodeObject(node: FakeNode, name: string, o: { kubelet?: string; runtime?: string; controlPlane?: boolean; ready?: string; self?: boolean } = {}): void {
    node.set(`k8s/node-${name}`, o.ready ?? "True");
    node.set(`k8s/kubelet-${name}`, `v${o.kubelet ?? "1.35.9"}`);
    node.set(`k8s/runtime-${name}`, `containerd://${o.runtime ?? "2.1.5"}`);
    if (o.controlPlane) node.set(`k8s/cp-${name}`);
    if (o.self) node.set(`k8s/self-${name}`);
}
/** A node prepared at 1.35.9 / containerd 2.1.5 that joined (or, as the first control plane, initialised) the cluster. */
function inCluster(role: "control-plane" | "worker", opts: { first?: boolean; applied?: string } = {}) {
    return (node: FakeNode): void => {
        const r = node.run(prepare({ ROLE: role }));
        assert.equal(r.status, 0, r.stderr);
        node.write(`var/lib/infra/${opts.first ? "initialised" : "joined"}`, "");
        node.write("etc/kubernetes/kubelet.conf", "kubelet kubeconfig\n", 0o600);
        if (role === "control-plane") controlPlane(node);
        node.set("control-plane-version", `${opts.applied ?? "1.35.9"}\n`);
    };
}

const SCENARIOS: readonly Scenario[] = [
    {
        name: "prepare.sh, Ubuntu 24.04 control plane from a minimal image (no curl, gpg or ca-certificates yet)",
        step: "prepare",
        script: prepare({ ROLE: "control-plane" }),
        os: UBUNTU,
        node: { missing: ["curl", "gpg", "ca-certificates"] },
    },
    {
        name: "prepare.sh, Rocky Linux 9 (SELinux enforcing, firewalld and NetworkManager running)",
        step: "prepare",
        script: prepare(),
        os: ROCKY,
        setup: (node) => {
            node.write("etc/selinux/config", "SELINUX=enforcing\n");
            node.write("etc/NetworkManager/NetworkManager.conf", "[main]\n");
            for (const unit of ["firewalld", "NetworkManager"]) {
                node.set(`enabled-${unit}`);
                node.set(`active-${unit}`, "(default configuration)\n");
            }
        },
    },
    { name: "prepare.sh, Ubuntu 24.04 with the NFS client (NODE_PACKAGES)", step: "prepare", script: prepare({ NODE_PACKAGES: "nfs-client" }), os: UBUNTU },
    {
        name: "prepare.sh, Rocky Linux 9 with the NFS client (NODE_PACKAGES)",
        step: "prepare",
        script: prepare({ NODE_PACKAGES: "nfs-client" }),
        os: ROCKY,
        setup: (node) => node.write("etc/selinux/config", "SELINUX=enforcing\n"),
    },
    {
        // Inside cloud-init: the metadata lockdown and its unit, prepare (its own messages), the join.
        name: "asg-join.sh, the first boot of an auto scaling group instance",
        step: "(asg-join|prepare)",
        script: asgFirstBootScript({
            K8S_VERSION: "1.35.9",
            CONTAINERD_VERSION: "2.1.5",
            ROLE: "worker",
            NAME_PREFIX: "acme-staging-workers",
            NODE_PACKAGES: "nfs-client",
            JOIN_CONFIG: "kind: JoinConfiguration\nnodeRegistration:\n  name: __NODE_NAME__\n",
        }),
        os: UBUNTU,
    },
    { name: "prepare.sh, Ubuntu 24.04 joining the mesh (MESH=1, no wireguard-tools yet)", step: "prepare", script: prepare({ MESH: "1", NODE_IP: "10.200.2.1" }), os: UBUNTU, stdin: meshBundle(MESH_CONF) },
    {
        name: "mesh-sync.sh, a new peer for a node in the mesh (wg0 up: wg syncconf)",
        step: "mesh-sync",
        script: composeScript(SCRIPTS.meshSync, { MESH_ADDRESS: "10.200.2.1" }),
        os: UBUNTU,
        node: { wireguard: true },
        stdin: meshBundle(MESH_CONF + PEER),
        setup: inTheMesh,
    },
    {
        name: "mesh-peers.sh, another stack's peers",
        step: "mesh-peers",
        script: composeScript(SCRIPTS.meshPeers, { PEERS_NAME: "acme-prod-burst" }),
        os: UBUNTU,
        node: { wireguard: true },
        stdin: `# acme-prod-burst-burst-1\n${PEER}`,
        setup: inTheMesh,
    },
    { name: "init.sh, first control plane", step: "init", script: INIT, os: UBUNTU, stdin: INIT_BUNDLE, setup: prepared },
    {
        name: "init.sh, after an init that died half-way",
        step: "init",
        script: INIT,
        os: UBUNTU,
        stdin: INIT_BUNDLE,
        setup: (node) => {
            prepared(node);
            assert.notEqual(node.run(INIT, { stdin: INIT_BUNDLE, fault: { at: "kubeadm init ", partial: true } }).status, 0);
        },
    },
    { name: "join.sh, worker", step: "join", script: join("worker"), os: UBUNTU, stdin: WORKER_JOIN, setup: prepared },
    // A control plane's failed join leaves manifests and etcd data too.
    { name: "join.sh, control plane", step: "join", script: join("control-plane"), os: UBUNTU, stdin: CONTROL_PLANE_JOIN, setup: prepared, ownPoints: true },
    {
        name: "join.sh, worker, after a join that died half-way",
        step: "join",
        script: join("worker"),
        os: UBUNTU,
        stdin: WORKER_JOIN,
        setup: (node) => {
            prepared(node);
            assert.notEqual(node.run(join("worker"), { stdin: WORKER_JOIN, fault: { at: "kubeadm join ", partial: true } }).status, 0);
        },
    },
    { name: "token.sh, a new token", step: "join-token", script: TOKEN, os: UBUNTU, stdin: "abcdef.0123456789abcdef", setup: controlPlane },
    {
        name: "drain.sh, a Ready worker",
        step: "drain",
        script: DRAIN,
        os: UBUNTU,
        setup: (node) => {
            controlPlane(node);
            node.set(`k8s/node-${NODE}`, "True");
            node.set(`k8s/pods-${NODE}`, "default/web-1\ndefault/web-2\n");
        },
    },
    {
        name: "drain.sh, a worker that is gone (NotReady)",
        step: "drain",
        script: DRAIN,
        os: UBUNTU,
        setup: (node) => {
            controlPlane(node);
            node.set(`k8s/node-${NODE}`, "Unknown");
            node.set(`k8s/pods-${NODE}`, "default/web-1\n");
        },
    },
    {
        name: "upgrade-node.sh, the first control plane 1.35.9 -> 1.36.2 (kubeadm upgrade apply, drained, kubelet restarted)",
        step: "upgrade",
        script: upgrade({ NODE_NAME: CP1, ROLE: "control-plane", FIRST: "1" }),
        os: UBUNTU,
        setup: (node) => {
            inCluster("control-plane", { first: true })(node);
            nodeObject(node, CP1, { controlPlane: true, self: true });
            nodeObject(node, "acme-dev-cp-2", { controlPlane: true });
        },
    },
    {
        name: "upgrade-node.sh, another control plane (kubeadm upgrade node)",
        step: "upgrade",
        script: upgrade({ NODE_NAME: "acme-dev-cp-2", ROLE: "control-plane" }),
        os: UBUNTU,
        setup: (node) => {
            inCluster("control-plane", { applied: "1.36.2" })(node);
            nodeObject(node, "acme-dev-cp-2", { controlPlane: true, self: true });
        },
    },
    { name: "upgrade-node.sh, a worker (drained before, by the first control plane)", step: "upgrade", script: upgrade({}), os: UBUNTU, setup: inCluster("worker", { applied: "1.36.2" }) },
    {
        name: "upgrade-node.sh, containerd 2.1.5 -> 2.2.1 on a worker at the same Kubernetes version",
        step: "upgrade",
        script: upgrade({ K8S_VERSION: "1.35.9", CONTAINERD_VERSION: "2.2.1" }),
        os: UBUNTU,
        setup: inCluster("worker"),
        ownPoints: true,
    },
    {
        name: "upgrade-node.sh, a Rocky Linux 9 worker",
        step: "upgrade",
        script: upgrade({}),
        os: ROCKY,
        setup: (node) => {
            node.write("etc/selinux/config", "SELINUX=enforcing\n");
            inCluster("worker", { applied: "1.36.2" })(node);
        },
    },
    {
        name: "upgrade-drain.sh, a worker at 1.35.9 with pods",
        step: "upgrade-drain",
        script: composeScript(SCRIPTS.upgradeDrain, { NODE_NAME: NODE, K8S_VERSION: "1.36.2", CONTAINERD_VERSION: "2.1.5" }),
        os: UBUNTU,
        setup: (node) => {
            controlPlane(node);
            nodeObject(node, NODE);
            node.set(`k8s/pods-${NODE}`, "default/web-1\n");
        },
    },
    {
        name: "upgrade-uncordon.sh, a worker back at 1.36.2",
        step: "upgrade-uncordon",
        script: composeScript(SCRIPTS.upgradeUncordon, { NODE_NAME: NODE, K8S_VERSION: "1.36.2", CONTAINERD_VERSION: "2.1.5" }),
        os: UBUNTU,
        setup: (node) => {
            controlPlane(node);
            nodeObject(node, NODE, { kubelet: "1.36.2" });
            node.set(`k8s/annotation-${NODE}`, "1.36.2");
            node.set(`k8s/cordoned-${NODE}`);
        },
    },
    {
        name: "upgrade-snapshot.sh, before the control plane moves to 1.36.2 (etcd backups configured)",
        step: "upgrade-snapshot",
        script: composeScript(SCRIPTS.upgradeSnapshot, { K8S_VERSION: "1.36.2" }),
        os: UBUNTU,
        setup: (node) => {
            inCluster("control-plane", { first: true })(node);
            node.set("etcd-running");
            node.write("etc/systemd/system/infra-etcd-backup.service", "[Service]\nType=oneshot\n");
        },
    },
    {
        name: "certs-renew.sh, certificates within the window",
        step: "certs-renew",
        script: composeScript(SCRIPTS.certsRenew, { WINDOW_DAYS: "30", NODE_NAME: CP1 }),
        os: UBUNTU,
        setup: (node) => {
            controlPlane(node);
            nodeObject(node, CP1, { controlPlane: true });
            node.write("etc/kubernetes/pki/apiserver.crt", "certificate expiring in 9 days\n");
            for (const m of ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"]) node.write(`etc/kubernetes/manifests/${m}.yaml`, `${m} static pod\n`, 0o600);
        },
    },
    {
        name: "control-plane-leave.sh, a Ready control plane with an etcd member",
        step: "control-plane-leave",
        script: composeScript(SCRIPTS.controlPlaneLeave, { NODE_NAME: CP3 }),
        os: UBUNTU,
        setup: (node) => {
            controlPlane(node);
            nodeObject(node, CP3, { controlPlane: true });
            node.set(`k8s/pods-${CP3}`, "kube-system/coredns-1\n");
            node.set("etcd-running");
            node.set("etcd-members", `8e9e05c52164694d, started, ${CP1}, https://10.0.1.2:2380, https://10.0.1.2:2379, false\n1f2e3d4c5b6a7980, started, ${CP3}, https://10.0.1.4:2380, https://10.0.1.4:2379, false\n`);
        },
    },
];

interface FailurePoint {
    /** What identifies the point across the scenarios of a script. */
    readonly key: string;
    readonly at: string;
    readonly nth: number;
    readonly call: string;
    readonly rule: CallRule;
    readonly partial: boolean;
}

/** Every fault or tolerated call of an uninterrupted run (each occurrence), and its half-way variant. */
function failurePoints(calls: readonly string[]): FailurePoint[] {
    const points: FailurePoint[] = [];
    calls.forEach((call, i) => {
        const rule = ruleOf(call);
        if (!rule || rule.kind === "answer") return;
        const at = stablePrefix(call);
        const nth = calls.slice(0, i + 1).filter((c) => c.startsWith(at)).length;
        const key = `${i > 0 ? stablePrefix(calls[i - 1]) : "(first call)"} -> ${at}`;
        points.push({ key, at, nth, call, rule, partial: false });
        if (rule.partial) points.push({ key: `${label(rule)} (half-way)`, at, nth, call, rule, partial: true });
    });
    return points;
}

const failed = (r: { status: number | null; stdout: string; stderr: string }) => `exit ${r.status}\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`;

/** Scenario name -> the calls its uninterrupted run made (filled as the scenarios run). */
const seen = new Map<string, string[]>();
/** Script (step) -> the failure points a scenario ran. */
const covered = new Map<string, Set<string>>();

for (const s of SCENARIOS) {
    describe(s.name, { concurrency: 2 }, () => {
        // The starting point, once: every run below starts from a copy of it.
        const start = fakeNode(s.os, s.node);
        s.setup?.(start);
        const reference = start.clone();
        const first = reference.run(s.script, { stdin: s.stdin });
        const end = reference.snapshot();
        seen.set(s.name, first.calls);

        it("runs uninterrupted, and a second run changes nothing", () => {
            assert.equal(first.status, 0, failed(first));
            const again = reference.run(s.script, { stdin: s.stdin });
            assert.equal(again.status, 0, failed(again));
            assert.deepEqual(mutating(again.calls), []);
            assert.deepEqual(reference.snapshot(), end);
        });

        it("makes no call that the fault table does not account for", () => {
            const unknown = first.calls.filter((c) => !ruleOf(c));
            assert.deepEqual(unknown, [], "add these calls to CALLS (a fault, or an answer with the reason)");
        });

        const done = covered.get(s.step) ?? covered.set(s.step, new Set()).get(s.step)!;
        for (const p of failurePoints(first.calls)) {
            if (done.has(p.key) && !s.ownPoints) continue;
            done.add(p.key);
            const title = `${p.rule.kind === "tolerated" ? "tolerates" : "recovers from"} a failure of \`${p.call.replace(/(\.[A-Za-z0-9]{6})(?= |$)/g, ".XXXXXX")}\`${p.nth > 1 ? ` (call ${p.nth} of its kind)` : ""}${p.partial ? ` half-way (${p.rule.partial})` : ""}`;
            it(title, async () => {
                const node = start.clone();
                const broken = await node.runAsync(s.script, { stdin: s.stdin, fault: { at: p.at, nth: p.nth, partial: p.partial } });
                assert.ok(broken.fired?.startsWith(p.at), `the fault hit ${broken.fired ?? "nothing"}`);
                if (p.rule.kind === "fault") {
                    assert.notEqual(broken.status, 0, failed(broken));
                    assert.match(broken.stderr, new RegExp(`^${s.step}: error: `, "m"), `no clear message: ${failed(broken)}`);
                } else {
                    assert.equal(broken.status, 0, failed(broken));
                    assert.match(broken.stdout + broken.stderr, new RegExp(`^${s.step}: warning: `, "m"));
                }
                const rerun = await node.runAsync(s.script, { stdin: s.stdin });
                assert.equal(rerun.status, 0, `the re-run failed: ${failed(rerun)}`);
                assert.deepEqual(node.snapshot(), end, "the re-run ends where an uninterrupted run ends");
            });
        }
    });
}

describe("the fault table", () => {
    it("has no rule that no scenario needs", () => {
        const used = new Set<CallRule>();
        for (const calls of seen.values()) for (const c of calls) used.add(ruleOf(c)!);
        assert.deepEqual(CALLS.filter((r) => !used.has(r)).map(label), []);
    });
    it("gives every answer and every tolerated failure its reason", () => {
        assert.deepEqual(CALLS.filter((r) => r.kind !== "fault" && !r.why).map(label), []);
    });
});
