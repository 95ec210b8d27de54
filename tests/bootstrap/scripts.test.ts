/**
 * The bootstrap scripts, run for real under bash against a fake node (fake-node.ts): every command
 * that could change a machine is a stub on PATH that records its call and the state it would
 * leave. Fresh node: the expected calls; second run: nothing that changes state; failures
 * propagate. The tests named "(issue 13, defect N)" fail on the scripts before that fixes.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { asgFirstBootScript, asRoot, composeScript, innerScript, renderBundle, SCRIPTS } from "../../infra/bootstrap/remote";
import { tempDir } from "../helpers";
import { DEBIAN, fakeNode, mutating, ROCKY, UBUNTU } from "./fake-node";

const PREPARE = (role = "worker", version = "1.35.9") => composeScript(SCRIPTS.prepare, { K8S_VERSION: version, CONTAINERD_VERSION: "2.1.5", NODE_IP: "10.0.1.3", ROLE: role });
/** Calls with mktemp's random suffix made readable. */
const tidy = (calls: string[]) => calls.map((c) => c.replace(/(\.asc)\.[A-Za-z0-9]{6}(?= |$)/g, "$1.XXXXXX"));
const mode = (node: { root: string }, file: string) => fs.statSync(path.join(node.root, file)).mode & 0o777;

describe("prepare.sh", () => {
    // An Ubuntu control plane and a Rocky Linux worker (SELinux enforcing, firewalld and
    // NetworkManager running), each prepared twice; most tests below read what those runs did.
    const ubuntu = fakeNode(UBUNTU);
    const ubuntuFirst = ubuntu.run(PREPARE("control-plane"));
    const ubuntuPrepared = ubuntu.snapshot();
    const ubuntuSecond = ubuntu.run(PREPARE("control-plane"));
    const rocky = fakeNode(ROCKY);
    rocky.write("etc/selinux/config", "SELINUX=enforcing\n");
    rocky.write("etc/NetworkManager/NetworkManager.conf", "[main]\n");
    for (const unit of ["firewalld", "NetworkManager"]) {
        rocky.set(`enabled-${unit}`);
        rocky.set(`active-${unit}`);
    }
    const rockyFirst = rocky.run(PREPARE());
    const rockySecond = rocky.run(PREPARE());

    it("on a fresh Ubuntu node: swap off, modules, sysctls, pinned containerd and kubeadm/kubelet/kubectl held", () => {
        const r = ubuntuFirst;
        assert.equal(r.status, 0, r.stderr);
        // Ubuntu's packages enable and start containerd and enable the kubelet themselves.
        assert.deepEqual(tidy(mutating(r.calls)), [
            "swapoff -a",
            "modprobe overlay",
            "modprobe br_netfilter",
            "sysctl --system",
            "curl -fsSL --retry 3 --retry-delay 2 --connect-timeout 15 https://download.docker.com/linux/ubuntu/gpg -o /etc/apt/keyrings/docker.asc.XXXXXX",
            "curl -fsSL --retry 3 --retry-delay 2 --connect-timeout 15 https://pkgs.k8s.io/core:/stable:/v1.35/deb/Release.key -o /etc/apt/keyrings/kubernetes-1.35.gpg.asc.XXXXXX",
            "gpg --batch --yes --dearmor -o /etc/apt/keyrings/kubernetes-1.35.gpg.tmp /etc/apt/keyrings/kubernetes-1.35.gpg.asc",
            "apt-get update -q -o APT::Update::Error-Mode=any",
            "apt-get install -y -q -o DPkg::Lock::Timeout=300 --allow-change-held-packages containerd.io=2.1.5-*",
            "apt-get install -y -q -o DPkg::Lock::Timeout=300 --allow-change-held-packages --allow-downgrades kubelet=1.35.9-1.1 kubeadm=1.35.9-1.1 kubectl=1.35.9-1.1",
            "apt-mark hold containerd.io kubelet kubeadm kubectl",
            "systemctl restart containerd",
            "systemctl daemon-reload",
            "kubeadm config images pull --kubernetes-version v1.35.9",
        ]);
        const node = ubuntu;
        assert.equal(node.read("etc/default/kubelet"), "KUBELET_EXTRA_ARGS=--node-ip=10.0.1.3\n");
        assert.match(node.read("etc/containerd/config.toml"), /SystemdCgroup = true/);
        assert.match(node.read("etc/fstab"), /^# \/swap\.img none swap/m);
        assert.equal(node.read("etc/apt/sources.list.d/kubernetes.list"), "deb [signed-by=/etc/apt/keyrings/kubernetes-1.35.gpg] https://pkgs.k8s.io/core:/stable:/v1.35/deb/ /\n");
        assert.deepEqual(fs.readdirSync(path.join(node.root, "etc/apt/keyrings")).sort(), ["docker.asc", "kubernetes-1.35.gpg"], "no temporary files left");
        assert.equal(node.read("etc/apt/keyrings/kubernetes-1.35.gpg"), "dearmored: key of https://pkgs.k8s.io/core:/stable:/v1.35/deb/Release.key\n");
        assert.match(fs.readFileSync(path.join(node.state, "active-containerd"), "utf8"), /SystemdCgroup = true/, "containerd runs with the new configuration");
        assert.ok(!node.exists("etc/NetworkManager"), "no NetworkManager, no configuration for it");
    });

    it("a second run changes nothing", () => {
        assert.equal(ubuntuSecond.status, 0, ubuntuSecond.stderr);
        assert.deepEqual(mutating(ubuntuSecond.calls), []);
        assert.deepEqual(ubuntu.snapshot(), ubuntuPrepared);
    });

    it("control planes pre-pull their images, once per version", () => {
        assert.ok(ubuntuFirst.calls.includes("kubeadm config images pull --kubernetes-version v1.35.9"));
        assert.ok(!ubuntuSecond.calls.some((c) => c.startsWith("kubeadm")));
    });

    it("on Rocky Linux 9: dnf with pinned versions, excluded from upgrades, SELinux permissive", () => {
        const r = rockyFirst;
        assert.equal(r.status, 0, r.stderr);
        assert.ok(r.calls.includes("setenforce 0"));
        assert.ok(r.calls.includes("dnf install -y -q --disableexcludes=kubernetes kubelet-1.35.9 kubeadm-1.35.9 kubectl-1.35.9"), r.calls.join("\n"));
        assert.ok(r.calls.includes("dnf install -y -q --disableexcludes=docker-ce-stable containerd.io-2.1.5"));
        assert.ok(r.calls.includes("systemctl enable --now containerd") && r.calls.includes("systemctl enable kubelet"), "RHEL's packages enable nothing");
        assert.match(rocky.read("etc/yum.repos.d/kubernetes.repo"), /^exclude=kubelet kubeadm kubectl cri-tools kubernetes-cni$/m);
        assert.equal(rocky.read("etc/selinux/config"), "SELINUX=permissive\n");
        assert.equal(rocky.read("etc/sysconfig/kubelet"), "KUBELET_EXTRA_ARGS=--node-ip=10.0.1.3\n");
        assert.equal(rockySecond.status, 0, rockySecond.stderr);
        assert.deepEqual(mutating(rockySecond.calls), []);
    });

    it("on Rocky Linux 9 stops and disables a running firewalld (issue 13, defect 7)", () => {
        assert.ok(rockyFirst.calls.includes("systemctl disable --now firewalld"));
        assert.match(rockyFirst.stdout, /prepare: warning: stopping and disabling firewalld/);
        assert.ok(!fs.existsSync(path.join(rocky.state, "active-firewalld")) && !fs.existsSync(path.join(rocky.state, "enabled-firewalld")));
        assert.ok(!rockySecond.calls.some((c) => c.startsWith("systemctl disable")), "an inactive firewalld is left alone");
    });

    it("tells a running NetworkManager to leave Calico's and the mesh's interfaces alone (issue 13, defect 7)", () => {
        const conf = rocky.read("etc/NetworkManager/conf.d/calico.conf");
        assert.match(conf, /^\[keyfile\]\nunmanaged-devices=interface-name:cali\*;interface-name:tunl\*;interface-name:vxlan\.calico;interface-name:vxlan-v6\.calico;interface-name:wireguard\.cali;interface-name:wg-v6\.cali;interface-name:wg0\n$/);
        assert.ok(rockyFirst.calls.includes("systemctl reload NetworkManager"));
        assert.equal(fs.readFileSync(path.join(rocky.state, "active-NetworkManager"), "utf8"), conf, "NetworkManager runs with it");
        assert.ok(!rockySecond.calls.includes("systemctl reload NetworkManager"), "reloaded once");
    });

    it("points crictl at containerd (issue 13, defect 9)", () => {
        assert.equal(ubuntu.read("etc/crictl.yaml"), "runtime-endpoint: unix:///run/containerd/containerd.sock\nimage-endpoint: unix:///run/containerd/containerd.sock\ntimeout: 2\ndebug: false\n");
        assert.equal(mode(ubuntu, "etc/crictl.yaml"), 0o644);
    });

    it("leaves Kubernetes packages alone on a node already in the cluster (upgrades are kubeadm's job)", () => {
        const node = ubuntu.clone();
        node.write("etc/kubernetes/kubelet.conf", "conf");
        const r = node.run(PREPARE("control-plane", "1.36.2"));
        assert.equal(r.status, 0, r.stderr);
        assert.ok(!r.calls.some((c) => /^apt-get install .*kubelet/.test(c)), r.calls.join("\n"));
        assert.match(r.stdout, /warning: this node runs kubelet 1\.35\.9-1\.1, not 1\.36\.2; the node's upgrade step upgrades it, in the cluster's order/);
    });

    it("leaves containerd alone on a node in the cluster, and pulls no images its kubeadm is too old for (issue 18)", () => {
        const node = ubuntu.clone();
        node.write("etc/kubernetes/kubelet.conf", "conf");
        const r = node.run(composeScript(SCRIPTS.prepare, { K8S_VERSION: "1.36.2", CONTAINERD_VERSION: "2.2.1", NODE_IP: "10.0.1.2", ROLE: "control-plane" }));
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(r.calls.filter((c) => /^apt-get install .*(containerd|kubelet)|^kubeadm config images pull/.test(c)), []);
        assert.match(r.stdout, /warning: this node runs containerd 2\.1\.5-1, not 2\.2\.1; the node's upgrade step replaces it, drained/);
    });

    it("counts a node as in the cluster only once its init or join finished (issue 13, defect 2)", () => {
        // init's kubeconfig phase writes kubelet.conf long before the control plane runs.
        const node = ubuntu.clone();
        node.write("etc/kubernetes/kubelet.conf", "conf");
        node.write("var/lib/infra/init-started", "");
        const r = node.run(PREPARE("control-plane", "1.36.2"));
        assert.equal(r.status, 0, r.stderr);
        assert.ok(r.calls.some((c) => /^apt-get install .*kubelet=1\.36\.2-1\.1/.test(c)), r.calls.join("\n"));
        node.write("var/lib/infra/initialised", "");
        const after = node.run(PREPARE("control-plane", "1.37.0"));
        assert.ok(!after.calls.some((c) => /^apt-get install .*kubelet/.test(c)), "once initialised, the packages stay");
    });

    it("installs the NFS client the NFS provisioner's volumes need (NODE_PACKAGES), per OS, once", () => {
        const script = composeScript(SCRIPTS.prepare, { K8S_VERSION: "1.35.9", CONTAINERD_VERSION: "2.1.5", NODE_IP: "10.0.1.3", ROLE: "worker", NODE_PACKAGES: "nfs-client" });
        for (const [os, install] of [
            [UBUNTU, "apt-get install -y -q -o DPkg::Lock::Timeout=300 nfs-common"],
            [ROCKY, "dnf install -y -q nfs-utils"],
        ] as const) {
            const node = fakeNode(os);
            if (os === ROCKY) node.write("etc/selinux/config", "SELINUX=enforcing\n");
            const first = node.run(script);
            assert.equal(first.status, 0, first.stderr);
            assert.ok(first.calls.includes(install), `${install} in:\n${first.calls.join("\n")}`);
            const second = node.run(script);
            assert.ok(!second.calls.includes(install), "installed once");
        }
        const unknown = fakeNode(UBUNTU).run(composeScript(SCRIPTS.prepare, { K8S_VERSION: "1.35.9", CONTAINERD_VERSION: "2.1.5", NODE_IP: "10.0.1.3", ROLE: "worker", NODE_PACKAGES: "iscsi" }));
        assert.match(unknown.stderr, /prepare: error: unknown node package iscsi \(known: nfs-client\)/);
    });

    it("refuses an unsupported OS before touching anything", () => {
        const r = fakeNode('ID=centos\nVERSION_ID="7"\n').run(PREPARE());
        assert.equal(r.status, 1);
        assert.match(r.stderr, /prepare: error: unsupported OS centos 7/);
        assert.deepEqual(mutating(r.calls), []);
    });

    it("stops at the first failing step", () => {
        const node = fakeNode(UBUNTU);
        node.stub("apt-get", 'echo "E: Sub-process /usr/bin/dpkg returned an error code (1)"; exit 100');
        const r = node.run(PREPARE());
        assert.equal(r.status, 1);
        assert.match(r.stderr, /^prepare: error: apt-get update failed: E: Sub-process/m);
        assert.ok(!r.calls.some((c) => c.startsWith("systemctl")), "nothing after the failed install ran");
    });

    it("a failed key download leaves no keyring, and the next run fetches it (issue 13, defect 1)", () => {
        for (const partial of [false, true]) {
            const node = fakeNode(UBUNTU);
            const r = node.run(PREPARE(), { fault: { at: "curl -fsSL ", nth: 2, partial } });
            assert.equal(r.fired?.includes("https://pkgs.k8s.io/core:/stable:/v1.35/deb/Release.key"), true, r.fired);
            assert.notEqual(r.status, 0);
            assert.match(r.stderr, /^prepare: error: could not download https:\/\/pkgs\.k8s\.io\/core:\/stable:\/v1\.35\/deb\/Release\.key/m);
            assert.deepEqual(fs.readdirSync(path.join(node.root, "etc/apt/keyrings")), ["docker.asc"], "no empty or partial keyring");
            const again = node.run(PREPARE());
            assert.equal(again.status, 0, again.stderr);
            assert.equal(node.read("etc/apt/keyrings/kubernetes-1.35.gpg"), "dearmored: key of https://pkgs.k8s.io/core:/stable:/v1.35/deb/Release.key\n");
        }
    });

    it("a key that gpg cannot read leaves no keyring behind either (issue 13, defect 1)", () => {
        const node = fakeNode(UBUNTU);
        const r = node.run(PREPARE(), { fault: { at: "gpg ", message: "gpg: no valid OpenPGP data found.", rc: 2 } });
        assert.notEqual(r.status, 0);
        assert.match(r.stderr, /^prepare: error: https:\/\/pkgs\.k8s\.io\/core:\/stable:\/v1\.35\/deb\/Release\.key is not an OpenPGP key/m);
        assert.deepEqual(fs.readdirSync(path.join(node.root, "etc/apt/keyrings")), ["docker.asc"]);
        assert.equal(node.run(PREPARE()).status, 0);
    });

    it("on a minimal image, installs curl, gpg and ca-certificates before anything else (issue 13, defect 8)", () => {
        const node = fakeNode(DEBIAN, { missing: ["curl", "gpg", "ca-certificates", "cloud-init"] });
        const r = node.run(PREPARE());
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(mutating(r.calls).slice(0, 3), [
            "apt-get update -q -o APT::Update::Error-Mode=any",
            "apt-get install -y -q -o DPkg::Lock::Timeout=300 curl gpg ca-certificates",
            "swapoff -a",
        ]);
        assert.ok(r.calls.some((c) => c.startsWith("curl -fsSL --retry 3 --retry-delay 2 --connect-timeout 15 https://download.docker.com/linux/debian/gpg -o ")));
        const again = node.run(PREPARE());
        assert.deepEqual(mutating(again.calls), [], "once installed, they are not installed again");
    });

    it("waits while another apt holds the lists lock (apt-daily on first boot) (issue 13, defect 8)", () => {
        const node = fakeNode(UBUNTU);
        const lock = "E: Could not get lock /var/lib/apt/lists/lock. It is held by process 1234 (apt-get)\nE: Unable to lock directory /var/lib/apt/lists/";
        const r = node.run(PREPARE(), { fault: { at: "apt-get update ", message: lock, rc: 100 } });
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout, /prepare: waiting for another package manager \(apt-daily\?\) to release the apt lock/);
        assert.equal(r.calls.filter((c) => c.startsWith("apt-get update")).length, 2);
        assert.ok(r.calls.includes("sleep 5"));
    });

    it("an unreachable repository is an error naming its URL, not a missing package later (issue 13, defect 8)", () => {
        const node = fakeNode(UBUNTU);
        // Keys fetched before; the repository is unreachable now.
        node.write("etc/apt/keyrings/docker.asc", "-----BEGIN PGP PUBLIC KEY BLOCK-----\n");
        node.write("etc/apt/keyrings/kubernetes-1.35.gpg", "keyring");
        node.set("unreachable", "pkgs.k8s.io\n");
        const r = node.run(PREPARE());
        assert.equal(r.status, 1);
        assert.match(r.stderr, /^prepare: error: apt-get update failed: E: Failed to fetch https:\/\/pkgs\.k8s\.io\/core:\/stable:\/v1\.35\/deb\/InRelease/m);
        assert.ok(!r.calls.some((c) => c.startsWith("apt-get install")), "nothing is installed from stale lists");
    });

    it("an unreachable key server is an error naming the URL (issue 13, defect 8)", () => {
        const node = fakeNode(UBUNTU);
        node.set("unreachable", "download.docker.com\n");
        const r = node.run(PREPARE());
        assert.equal(r.status, 1);
        assert.match(r.stderr, /^prepare: error: could not download https:\/\/download\.docker\.com\/linux\/ubuntu\/gpg/m);
        assert.ok(!node.exists("etc/apt/keyrings/docker.asc"));
    });

});

const bundle = (files: Record<string, string>) => renderBundle(Object.entries(files).map(([p, content]) => ({ path: p, mode: p.endsWith(".key") || p.includes("infra/") ? "0600" : "0644", content })));
const TOKEN = "abcdef.0123456789abcdef";
const INIT_CONFIG = "kind: ClusterConfiguration\ncontrolPlaneEndpoint: 10.0.1.2:6443\n";
const INIT_BUNDLE = bundle({
    "/etc/kubernetes/pki/ca.crt": "CA CERT",
    "/etc/kubernetes/pki/ca.key": "CA KEY",
    "/etc/kubernetes/infra/kubeadm-init.yaml": INIT_CONFIG,
    "/etc/kubernetes/infra/bootstrap-token": TOKEN,
});
const INIT = composeScript(SCRIPTS.init, { MODE: "create" });
const INIT_UPDATE = composeScript(SCRIPTS.init, { MODE: "update" });
const KUBEADM_INIT = "kubeadm init --config /etc/kubernetes/infra/kubeadm-init.yaml --skip-token-print";

describe("init.sh", () => {
    it("writes the bundle (keys 0600) and runs kubeadm init with the rendered config, printing no token", () => {
        const node = fakeNode(UBUNTU);
        const r = node.run(INIT, { stdin: INIT_BUNDLE });
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(mutating(r.calls), [KUBEADM_INIT]);
        assert.equal(node.read("etc/kubernetes/pki/ca.key"), "CA KEY");
        assert.equal(mode(node, "etc/kubernetes/pki/ca.key"), 0o600);
        assert.equal(mode(node, "etc/kubernetes/pki/ca.crt"), 0o644);
        assert.ok(!r.stdout.includes(TOKEN) && !r.stderr.includes(TOKEN));
        assert.ok(!r.calls.join("\n").includes("0123456789abcdef"), "the token is on no command line");
        assert.ok(node.exists("var/lib/infra/initialised"));
    });

    it("never runs kubeadm init again on an initialised node, and changes nothing there", () => {
        const node = fakeNode(UBUNTU);
        assert.equal(node.run(INIT, { stdin: INIT_BUNDLE }).status, 0);
        const before = node.snapshot();
        for (const script of [INIT, INIT_UPDATE]) {
            const r = node.run(script, { stdin: INIT_BUNDLE });
            assert.equal(r.status, 0, r.stderr);
            assert.deepEqual(mutating(r.calls), []);
            assert.match(r.stdout, /^init: already initialised$/m);
            assert.deepEqual(node.snapshot(), before);
        }
    });

    it("takes a node initialised by an earlier version (admin.conf, no marker) for initialised", () => {
        const node = fakeNode(UBUNTU);
        node.write("etc/kubernetes/admin.conf", "conf", 0o600);
        node.write("etc/kubernetes/pki/ca.crt", "CA CERT");
        node.write("etc/kubernetes/infra/kubeadm-init.yaml", INIT_CONFIG, 0o600);
        const r = node.run(INIT_UPDATE, { stdin: INIT_BUNDLE });
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(mutating(r.calls), []);
        assert.ok(node.exists("var/lib/infra/initialised"));
    });

    it("propagates a failed kubeadm init with the log's errors", () => {
        const node = fakeNode(UBUNTU);
        node.set("port-6443"); // something else listens on the API server's port
        const r = node.run(INIT, { stdin: INIT_BUNDLE });
        assert.equal(r.status, 1);
        assert.match(r.stderr, /\[ERROR Port-6443\]: Port 6443 is in use/);
        assert.match(r.stderr, /init: error: kubeadm init failed; see \/var\/log\/infra-kubeadm-init\.log on this node/);
    });

    it("refuses bundle paths outside /etc/kubernetes", () => {
        const evil = `/etc/sudoers 0600 ${Buffer.from("x").toString("base64")}\n`;
        const node = fakeNode(UBUNTU);
        const r = node.run(INIT, { stdin: evil });
        assert.equal(r.status, 1);
        assert.match(r.stderr, /refusing to write \/etc\/sudoers/);
        assert.ok(!node.exists("etc/sudoers"));
    });

    it("resets and re-runs an init that failed half-way (issue 13, defect 2)", () => {
        const node = fakeNode(UBUNTU);
        const broken = node.run(INIT, { stdin: INIT_BUNDLE, fault: { at: "kubeadm init ", partial: true } });
        assert.equal(broken.status, 1);
        assert.match(broken.stderr, /the next run resets the node and tries again/);
        assert.ok(node.exists("etc/kubernetes/admin.conf"), "kubeadm wrote admin.conf before it failed");
        const r = node.run(INIT, { stdin: INIT_BUNDLE });
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(mutating(r.calls), ["kubeadm reset -f --cleanup-tmp-dir", KUBEADM_INIT]);
        assert.equal(node.read("etc/kubernetes/pki/ca.crt"), "CA CERT", "the program's CA, written again after reset emptied pki/");
        assert.ok(node.exists("var/lib/infra/initialised"));
        assert.equal(fs.readFileSync(path.join(node.state, "cluster"), "utf8"), "initialised\n");
    });

    it("never overwrites a running cluster's certificate authority (issue 13, defect 9)", () => {
        const node = fakeNode(UBUNTU);
        assert.equal(node.run(INIT, { stdin: INIT_BUNDLE }).status, 0);
        const replaced = bundle({ "/etc/kubernetes/pki/ca.crt": "NEW CA CERT", "/etc/kubernetes/pki/ca.key": "NEW CA KEY", "/etc/kubernetes/infra/kubeadm-init.yaml": INIT_CONFIG });
        const r = node.run(INIT_UPDATE, { stdin: replaced });
        assert.equal(r.status, 1);
        assert.match(r.stderr, /^init: error: the cluster's certificate authority differs from the one the program holds/m);
        assert.equal(node.read("etc/kubernetes/pki/ca.crt"), "CA CERT");
        assert.equal(node.read("etc/kubernetes/pki/ca.key"), "CA KEY");
        assert.deepEqual(mutating(r.calls), []);
    });

    it("refuses to move the API endpoint of a running cluster (1 -> N control planes) (issue 13, defect 9)", () => {
        const node = fakeNode(UBUNTU);
        assert.equal(node.run(INIT, { stdin: INIT_BUNDLE }).status, 0);
        const moved = bundle({ "/etc/kubernetes/pki/ca.crt": "CA CERT", "/etc/kubernetes/pki/ca.key": "CA KEY", "/etc/kubernetes/infra/kubeadm-init.yaml": "kind: ClusterConfiguration\ncontrolPlaneEndpoint: 10.0.1.100:6443\n" });
        const r = node.run(INIT_UPDATE, { stdin: moved });
        assert.equal(r.status, 1);
        assert.match(r.stderr, /^init: error: the API endpoint would move from 10\.0\.1\.2:6443 to 10\.0\.1\.100:6443/m);
        assert.equal(node.read("etc/kubernetes/infra/kubeadm-init.yaml"), INIT_CONFIG);
        assert.deepEqual(mutating(r.calls), []);
    });

    it("refuses to start a new cluster on a replaced first control plane (issue 13, defect 10)", () => {
        const node = fakeNode(UBUNTU);
        const r = node.run(INIT_UPDATE, { stdin: INIT_BUNDLE });
        assert.equal(r.status, 1);
        assert.match(r.stderr, /^init: error: this machine holds no cluster although the first control plane was initialised before/m);
        assert.deepEqual(mutating(r.calls), []);
        assert.ok(!node.exists("etc/kubernetes"), "nothing written");
    });

    it("leaves /var/log's mode alone; the log itself is root-only (issue 13, defect 9)", () => {
        const node = fakeNode(UBUNTU);
        fs.mkdirSync(path.join(node.root, "var/log"), { recursive: true, mode: 0o755 });
        fs.chmodSync(path.join(node.root, "var/log"), 0o755);
        assert.equal(node.run(INIT, { stdin: INIT_BUNDLE }).status, 0);
        assert.equal(mode(node, "var/log"), 0o755);
        assert.equal(mode(node, "var/log/infra-kubeadm-init.log"), 0o600);
    });
});

describe("token.sh", () => {
    const TOKEN_STEP = (ttl = "24h") => composeScript(SCRIPTS.token, { TOKEN_TTL: ttl });
    const controlPlane = () => {
        const node = fakeNode(UBUNTU);
        node.write("etc/kubernetes/admin.conf", "conf", 0o600);
        return node;
    };
    const secret = (node: { state: string }) => fs.readFileSync(path.join(node.state, "k8s/secret-kube-system-bootstrap-token-abcdef"), "utf8");

    it("creates the token through kubectl's standard input, with its expiry", () => {
        const node = controlPlane();
        const r = node.run(TOKEN_STEP(), { stdin: TOKEN });
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(mutating(r.calls), ["kubectl apply -f -"]);
        const applied = secret(node);
        assert.match(applied, /name: bootstrap-token-abcdef/);
        assert.match(applied, /token-secret: "0123456789abcdef"/);
        assert.match(applied, /expiration: "\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"/);
        const expiry = Date.parse(/expiration: "([^"]+)"/.exec(applied)![1]);
        assert.ok(Math.abs(expiry - Date.now() - 24 * 3_600_000) < 600_000, "24 hours from now");
        assert.ok(!`${r.stdout}${r.stderr}${r.calls.join("\n")}`.includes("0123456789abcdef"), "the secret is on no command line and in no output");
    });

    it("does nothing when the token exists", () => {
        const node = controlPlane();
        node.run(TOKEN_STEP(), { stdin: TOKEN });
        const r = node.run(TOKEN_STEP(), { stdin: TOKEN });
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(mutating(r.calls), []);
        assert.match(r.stdout, /bootstrap token abcdef present/);
    });

    it("makes a token that does not expire for TOKEN_TTL=0", () => {
        const node = controlPlane();
        assert.equal(node.run(TOKEN_STEP("0"), { stdin: TOKEN }).status, 0);
        assert.doesNotMatch(secret(node), /expiration/);
    });

    it("refuses standard input that is no bootstrap token", () => {
        const r = controlPlane().run(TOKEN_STEP(), { stdin: "not-a-token" });
        assert.equal(r.status, 1);
        assert.match(r.stderr, /join-token: error: standard input holds no bootstrap token/);
        assert.deepEqual(r.calls, []);
    });
});

describe("join.sh", () => {
    const JOIN = (role = "worker") => composeScript(SCRIPTS.join, { ROLE: role, API_ENDPOINT: "10.0.1.2:6443" });
    const JOIN_BUNDLE = bundle({ "/etc/kubernetes/infra/kubeadm-join.yaml": "kind: JoinConfiguration\n" });
    const KUBEADM_JOIN = "kubeadm join --config /etc/kubernetes/infra/kubeadm-join.yaml";
    /** A prepared node (kubelet `version`) of a cluster that runs `cluster`. */
    const worker = (version = "1.35.9", cluster = "1.35.9") => {
        const node = fakeNode(UBUNTU);
        node.set("pkg-kubelet", `${version}-1.1\n`);
        node.set("cluster-version", cluster);
        return node;
    };

    it("joins with the rendered config, once", () => {
        const node = worker();
        const r = node.run(JOIN(), { stdin: JOIN_BUNDLE });
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(mutating(r.calls), [KUBEADM_JOIN]);
        assert.ok(node.exists("var/lib/infra/joined"));
        const again = node.run(JOIN(), { stdin: JOIN_BUNDLE });
        assert.deepEqual(mutating(again.calls), []);
        assert.match(again.stdout, /join: already joined/);
    });

    it("takes a node joined by an earlier version (kubelet.conf, no marker) for joined", () => {
        const node = worker();
        node.write("etc/kubernetes/kubelet.conf", "conf", 0o600);
        const r = node.run(JOIN(), { stdin: JOIN_BUNDLE });
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(mutating(r.calls), []);
        assert.ok(node.exists("var/lib/infra/joined"));
    });

    it("resets and re-runs a join that failed half-way (issue 13, defect 3)", () => {
        const node = worker();
        const broken = node.run(JOIN(), { stdin: JOIN_BUNDLE, fault: { at: "kubeadm join ", partial: true } });
        assert.equal(broken.status, 1);
        assert.ok(node.exists("etc/kubernetes/pki/ca.crt"), "the failed join left the CA, and the kubelet holding port 10250");
        const r = node.run(JOIN(), { stdin: JOIN_BUNDLE });
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(mutating(r.calls), ["kubeadm reset -f --cleanup-tmp-dir", KUBEADM_JOIN]);
        assert.ok(node.exists("var/lib/infra/joined") && node.exists("etc/kubernetes/kubelet.conf"));
    });

    it("refuses a kubelet newer than the cluster's API server, before changing anything (issue 13, defect 6)", () => {
        const node = worker("1.36.2", "1.35.9");
        const r = node.run(JOIN(), { stdin: JOIN_BUNDLE });
        assert.equal(r.status, 1);
        assert.match(r.stderr, /^join: error: this node's kubelet 1\.36\.2 is newer than the cluster's API server 1\.35\.9: set infra:kubernetes\.version to 1\.35\.9/m);
        assert.ok(r.calls.includes("curl -fsSk --max-time 10 https://10.0.1.2:6443/version"));
        assert.deepEqual(mutating(r.calls), []);
        assert.ok(!node.exists("etc/kubernetes"), "nothing written");
    });

    it("joins with a kubelet as old as or older than the API server", () => {
        for (const version of ["1.35.9", "1.35.2", "1.34.6"]) {
            const r = worker(version, "1.35.9").run(JOIN(), { stdin: JOIN_BUNDLE });
            assert.equal(r.status, 0, `${version}: ${r.stderr}`);
        }
    });

    it("leaves /var/log's mode alone; the log itself is root-only (issue 13, defect 9)", () => {
        const node = worker();
        fs.mkdirSync(path.join(node.root, "var/log"), { recursive: true });
        fs.chmodSync(path.join(node.root, "var/log"), 0o755);
        assert.equal(node.run(JOIN(), { stdin: JOIN_BUNDLE }).status, 0);
        assert.equal(mode(node, "var/log"), 0o755);
        assert.equal(mode(node, "var/log/infra-kubeadm-join.log"), 0o600);
    });
});

describe("drain.sh", () => {
    const NODE = "acme-dev-workers-2";
    const DRAIN = composeScript(SCRIPTS.drain, { NODE_NAME: NODE });
    /** A control plane whose cluster has the node, with its Ready status and pods. */
    const cluster = (ready: string, pods = "default/web-1\nkube-system/calico-node-x\n") => {
        const node = fakeNode(UBUNTU);
        node.write("etc/kubernetes/admin.conf", "conf", 0o600);
        node.set(`k8s/node-${NODE}`, ready);
        node.set(`k8s/pods-${NODE}`, pods);
        return node;
    };

    it("drains a Ready node within the timeout, then deletes the node object", () => {
        const node = cluster("True");
        const r = node.run(DRAIN);
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(mutating(r.calls), [
            `kubectl drain ${NODE} --ignore-daemonsets --delete-emptydir-data --timeout=300s`,
            `kubectl delete node ${NODE} --wait=true --timeout=120s`,
        ]);
        assert.ok(!fs.existsSync(path.join(node.state, `k8s/node-${NODE}`)));
    });

    it("fails, keeping the node, when a Ready node's drain does not finish (pods are not dropped)", () => {
        const node = cluster("True");
        const r = node.run(DRAIN, { fault: { at: "kubectl drain ", message: "error: unable to drain node: global timeout reached: 5m0s" } });
        assert.notEqual(r.status, 0);
        assert.ok(!r.calls.some((c) => c.startsWith("kubectl delete")));
        assert.ok(fs.existsSync(path.join(node.state, `k8s/node-${NODE}`)));
    });

    it("does nothing for a node that is already gone", () => {
        const node = fakeNode(UBUNTU);
        node.write("etc/kubernetes/admin.conf", "conf", 0o600);
        const r = node.run(DRAIN);
        assert.equal(r.status, 0);
        assert.deepEqual(mutating(r.calls), []);
    });

    it("removes a dead (NotReady) worker without waiting for its pods, and reports them (issue 13, defect 5)", () => {
        const node = cluster("Unknown");
        const r = node.run(DRAIN);
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(mutating(r.calls), [
            `kubectl drain ${NODE} --ignore-daemonsets --delete-emptydir-data --force --skip-wait-for-delete-timeout=1 --timeout=120s`,
            `kubectl delete node ${NODE} --wait=true --timeout=120s`,
        ]);
        assert.match(r.stdout, /drain: warning: acme-dev-workers-2 is not Ready \(Unknown\)/);
        assert.match(r.stdout, /drain: forced off acme-dev-workers-2: default\/web-1 kube-system\/calico-node-x/);
        assert.ok(!fs.existsSync(path.join(node.state, `k8s/node-${NODE}`)));
    });

    it("deletes a dead worker's node object even when its drain fails", () => {
        const node = cluster("False");
        const r = node.run(DRAIN, { fault: { at: "kubectl drain " } });
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout, /warning: the drain of acme-dev-workers-2 did not finish; deleting the node object anyway/);
        assert.ok(!fs.existsSync(path.join(node.state, `k8s/node-${NODE}`)));
    });
});

describe("the WireGuard mesh (prepare with MESH=1, mesh-peers)", () => {
    const MESH_PREPARE = composeScript(SCRIPTS.prepare, { K8S_VERSION: "1.35.9", CONTAINERD_VERSION: "2.1.5", NODE_IP: "10.200.2.1", ROLE: "worker", MESH: "1" });
    const KEY = "c2VjcmV0LXdpcmVndWFyZC1rZXktMzItYnl0ZXMtISE=";
    const CONF = `[Interface]\nAddress = 10.200.2.1/16\nListenPort = 51820\nPrivateKey = ${KEY}\n`;
    const meshBundle = renderBundle([{ path: "/etc/wireguard/wg0.base.conf", mode: "0600", content: CONF }]);

    it("writes the configuration root-only, brings wg0 up once, and never prints the key", () => {
        const node = fakeNode(UBUNTU);
        const r = node.run(MESH_PREPARE, { stdin: meshBundle });
        assert.equal(r.status, 0, r.stderr);
        assert.ok(r.calls.includes("apt-get install -y -q -o DPkg::Lock::Timeout=300 wireguard-tools"));
        assert.equal(node.read("etc/wireguard/wg0.conf"), CONF);
        assert.equal(mode(node, "etc/wireguard/wg0.conf"), 0o600);
        assert.ok(r.calls.includes("systemctl enable --now wg-quick@wg0"));
        assert.ok(!`${r.stdout}${r.stderr}${r.calls.join("\n")}`.includes(KEY), "the private key appears in no output and no command line");
        const again = node.run(MESH_PREPARE, { stdin: meshBundle });
        assert.equal(again.status, 0, again.stderr);
        assert.deepEqual(mutating(again.calls), [], "a second run changes nothing");
        assert.ok(!again.calls.includes("systemctl enable --now wg-quick@wg0"));
    });

    it("mesh-peers adds another stack's peers (kept across prepare runs) and removes them", () => {
        const node = fakeNode(UBUNTU, { wireguard: true });
        node.run(MESH_PREPARE, { stdin: meshBundle });
        const peers = "# acme-prod-burst-burst-1\n[Peer]\nPublicKey = abc=\nAllowedIPs = 10.200.128.1/32\n";
        const add = node.run(composeScript(SCRIPTS.meshPeers, { PEERS_NAME: "acme-prod-burst" }), { stdin: peers });
        assert.equal(add.status, 0, add.stderr);
        const conf = () => node.read("etc/wireguard/wg0.conf");
        assert.equal(conf(), CONF + peers);
        assert.ok(add.calls.some((c) => c.startsWith("wg syncconf wg0")));
        assert.match(fs.readFileSync(path.join(node.state, "wg-live"), "utf8"), /PublicKey = abc=/, "the running wg0 has the peers");
        assert.equal(node.run(MESH_PREPARE, { stdin: meshBundle }).status, 0);
        assert.equal(conf(), CONF + peers, "prepare keeps other stacks' peers");
        const again = node.run(composeScript(SCRIPTS.meshPeers, { PEERS_NAME: "acme-prod-burst" }), { stdin: peers });
        assert.deepEqual(mutating(again.calls), []);
        const remove = node.run(composeScript(SCRIPTS.meshPeers, { PEERS_NAME: "acme-prod-burst", REMOVE: "1" }));
        assert.equal(remove.status, 0, remove.stderr);
        assert.equal(conf(), CONF);
    });
});

describe("the first boot of an auto scaling group instance", () => {
    const script = asgFirstBootScript({
        K8S_VERSION: "1.35.9",
        CONTAINERD_VERSION: "2.1.5",
        ROLE: "worker",
        NAME_PREFIX: "acme-staging-workers",
        JOIN_CONFIG: "nodeName: __NODE_NAME__\nnodeIp: __NODE_IP__\ntoken: abcdef.0123456789abcdef\n",
    });

    it("is shellcheck-clean", () => {
        const file = path.join(tempDir("asg-"), "first-boot.sh");
        fs.writeFileSync(file, script);
        const r = spawnSync("shellcheck", ["--shell=bash", file], { encoding: "utf8" });
        assert.equal(r.status, 0, r.stdout);
    });

    it("closes the metadata service to non-root first, prepares, then joins with its own name and address", () => {
        const node = fakeNode(UBUNTU);
        const r = node.run(script);
        assert.equal(r.status, 0, r.stderr);
        const calls = mutating(r.calls);
        assert.equal(calls[0], "iptables -I OUTPUT -d 169.254.169.254/32 -m owner ! --uid-owner 0 -j REJECT");
        assert.equal(calls[calls.length - 1], "kubeadm join --config /etc/kubernetes/infra/kubeadm-join.yaml");
        assert.ok(!r.calls.includes("cloud-init status --wait"), "it runs inside cloud-init: waiting for it would deadlock");
        // The cluster's node names (kubelet-csr-approver approves serving certificates for those), not ip-10-1-16-7.
        assert.equal(node.read("etc/kubernetes/infra/kubeadm-join.yaml"), "nodeName: acme-staging-workers-i-0abc123def4567890\nnodeIp: 10.1.16.7\ntoken: abcdef.0123456789abcdef\n");
        // iptables rules are gone after a reboot, and cloud-init runs this once per instance: a unit puts it back at boot.
        const unit = node.read("etc/systemd/system/infra-imds-lockdown.service");
        assert.match(unit, /^ExecStart=\/bin\/sh -c 'iptables -C OUTPUT -d 169\.254\.169\.254\/32 -m owner ! --uid-owner 0 -j REJECT 2>\/dev\/null \|\| iptables -I OUTPUT -d 169\.254\.169\.254\/32 -m owner ! --uid-owner 0 -j REJECT'$/m);
        assert.match(unit, /^Before=network-pre\.target kubelet\.service$/m);
        assert.ok(r.calls.includes("systemctl enable infra-imds-lockdown.service"), r.calls.join("\n"));
        assert.equal(mode(node, "etc/kubernetes/infra/kubeadm-join.yaml"), 0o600);
        assert.equal(node.read("etc/default/kubelet"), "KUBELET_EXTRA_ARGS=--node-ip=10.1.16.7\n");
        assert.ok(node.exists("var/lib/infra/joined"));
        const reboot = node.run(script);
        assert.deepEqual(mutating(reboot.calls), [], "a reboot changes nothing");
        assert.match(reboot.stdout, /asg-join: already joined/);
    });
});

describe("running as root", () => {
    it("wraps the script for bash (as root) or sudo -n (other users), passing standard input through", () => {
        const script = "#!/usr/bin/env bash\nset -euo pipefail\nread -r line\necho \"got $line\"\n";
        const line = asRoot(script, "root");
        assert.ok(line.startsWith("bash -c "));
        assert.ok(asRoot(script, "ubuntu").startsWith("sudo -n bash -c "));
        assert.equal(innerScript(line), script);
        const r = spawnSync("sh", ["-c", line], { input: "secret-from-stdin\n", encoding: "utf8" });
        assert.equal(r.stdout, "got secret-from-stdin\n");
    });
    it("puts parameters in single quotes, so no value is interpreted by the shell", () => {
        const s = composeScript("#!/usr/bin/env bash\necho \"$NODE_NAME\"\n", { NODE_NAME: "a'; rm -rf / #$(id)" });
        const r = spawnSync("bash", ["-c", s], { encoding: "utf8", env: { PATH: "/usr/bin:/bin" } });
        assert.equal(r.stdout, "a'; rm -rf / #$(id)\n");
    });
});
