/**
 * The bootstrap scripts, run for real under bash against a fake root: every command that could
 * change a machine is a stub on PATH that records its call (and, where a later check reads it,
 * the state it would leave). Fresh node: the expected calls; second run: nothing that changes
 * state; failures propagate.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { asgFirstBootScript, asRoot, composeScript, innerScript, renderBundle, SCRIPTS } from "../../infra/bootstrap/remote";
import { tempDir } from "../helpers";

/** Stub bodies; `$S` is the state directory, `$R` the fake root. Each call is logged first. */
const STUBS: Record<string, string> = {
    "cloud-init": "exit 0",
    swapon: '[ -f "$S/swap-on" ] && echo "/swap.img file 2G 0B -2"; exit 0',
    swapoff: 'rm -f "$S/swap-on"',
    modprobe: 'mkdir -p "$R/sys/module/$1"',
    sysctl: "exit 0",
    curl: 'out=""; while [ $# -gt 0 ]; do [ "$1" = -o ] && out="$2"; shift; done; if [ -n "$out" ]; then echo key > "$out"; else echo key; fi',
    gpg: 'out=""; while [ $# -gt 0 ]; do [ "$1" = -o ] && out="$2"; shift; done; cat > "$out"',
    "apt-get": 'if [ "$1" = install ]; then for a in "$@"; do case "$a" in *=*) echo "${a#*=}" | sed "s/\\*$/1~test/" > "$S/pkg-${a%%=*}";; esac; done; fi',
    "apt-mark": "exit 0",
    "dpkg-query": 'pkg="${@: -1}"; [ -f "$S/pkg-$pkg" ] && cat "$S/pkg-$pkg" | tr -d "\\n"; exit 0',
    rpm: 'pkg="${@: -1}"; [ -f "$S/rpm-$pkg" ] && cat "$S/rpm-$pkg" | tr -d "\\n"; exit 0',
    dnf: 'for a in "$@"; do case "$a" in containerd.io-*|kubelet-*|kubeadm-*|kubectl-*) n="${a%-*}"; [ "$n" = containerd.io-2.1 ] && n=containerd.io; echo "${a##*-}" > "$S/rpm-${a%-[0-9]*}";; esac; done',
    getenforce: 'if [ -f "$S/selinux-permissive" ]; then echo Permissive; else echo Enforcing; fi',
    setenforce: 'touch "$S/selinux-permissive"',
    systemctl: 'case "$1" in is-enabled) [ -f "$S/enabled-${@: -1}" ];; enable) touch "$S/enabled-${@: -1}";; *) exit 0;; esac',
    kubeadm: 'case "$1" in init) [ "${KUBEADM_RC:-0}" = 0 ] && { mkdir -p "$R/etc/kubernetes"; echo conf > "$R/etc/kubernetes/admin.conf"; } || echo "[preflight] error execution phase: port 6443 is in use"; exit "${KUBEADM_RC:-0}";; join) mkdir -p "$R/etc/kubernetes"; echo conf > "$R/etc/kubernetes/kubelet.conf";; esac; exit 0',
    wg: 'case "$1" in syncconf) cat "$3" > "$S/wg-synced";; *) exit 0;; esac',
    "wg-quick": 'echo "stripped $2"',
    ip: '[ -f "$S/wg-up" ]',
    iptables: 'case "$1" in -C) [ -f "$S/imds-locked" ];; -I) touch "$S/imds-locked";; esac',
    kubectl: 'case " $* " in *" get secret "*) [ -f "$S/token-secret" ];; *" apply "*) cat > "$S/applied.yaml";; *" get node "*) [ -f "$S/node-present" ];; *) exit 0;; esac',
};

/** Calls that change a machine (everything but reads and queries). */
const MUTATING = /^(wg syncconf|iptables -I|swapoff|modprobe|sysctl|curl|gpg|apt-get|apt-mark|dnf|setenforce|kubeadm (init|join|config images pull)|kubectl .*\b(apply|drain|delete)\b|systemctl (restart|enable|daemon-reload))/;

interface FakeNode {
    root: string;
    state: string;
    run(script: string, opts?: { stdin?: string; env?: Record<string, string> }): { status: number | null; stdout: string; stderr: string; calls: string[] };
}

function fakeNode(osRelease: string): FakeNode {
    const base = tempDir("node-");
    const root = path.join(base, "root");
    const state = path.join(base, "state");
    const bin = path.join(base, "bin");
    for (const d of [root, state, bin, path.join(root, "etc")]) fs.mkdirSync(d, { recursive: true });
    fs.writeFileSync(path.join(root, "etc/os-release"), osRelease);
    fs.writeFileSync(path.join(root, "etc/fstab"), "UUID=abc / ext4 defaults 0 1\n/swap.img none swap sw 0 0\n");
    fs.writeFileSync(path.join(state, "swap-on"), "");
    const log = path.join(base, "calls.log");
    for (const [name, body] of Object.entries(STUBS)) {
        fs.writeFileSync(path.join(bin, name), `#!/usr/bin/env bash\nS='${state}'; R='${root}'\necho "${name} $*" >> '${log}'\n${body}\n`, { mode: 0o755 });
    }
    return {
        root,
        state,
        run(script, opts = {}) {
            fs.rmSync(log, { force: true });
            const r = spawnSync("bash", ["-c", script], {
                input: opts.stdin ?? "",
                encoding: "utf8",
                env: { PATH: `${bin}:/usr/bin:/bin`, HOME: base, INFRA_ROOT: root, ...opts.env },
            });
            const calls = fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n").filter(Boolean) : [];
            return { status: r.status, stdout: r.stdout, stderr: r.stderr, calls };
        },
    };
}

const UBUNTU = 'ID=ubuntu\nVERSION_ID="24.04"\nVERSION_CODENAME=noble\n';
const ROCKY = 'ID="rocky"\nVERSION_ID="9.4"\n';
const PREPARE = (role = "worker") => composeScript(SCRIPTS.prepare, { K8S_VERSION: "1.35.9", CONTAINERD_VERSION: "2.1.5", NODE_IP: "10.0.1.3", ROLE: role });
const mutating = (calls: string[]) => calls.filter((c) => MUTATING.test(c));

describe("prepare.sh", () => {
    it("on a fresh Ubuntu node: swap off, modules, sysctls, pinned containerd and kubeadm/kubelet/kubectl held", () => {
        const node = fakeNode(UBUNTU);
        const r = node.run(PREPARE());
        assert.equal(r.status, 0, r.stderr);
        // curl | gpg is a pipeline: both run at once, so gpg's place in the log is not fixed.
        const gpg = "gpg --dearmor -o " + path.join(node.root, "etc/apt/keyrings/kubernetes-1.35.gpg");
        assert.ok(r.calls.includes(gpg));
        const calls = mutating(r.calls).filter((c) => c !== gpg);
        assert.deepEqual(calls, [
            "swapoff -a",
            "modprobe overlay",
            "modprobe br_netfilter",
            "sysctl --system",
            "curl -fsSL https://download.docker.com/linux/ubuntu/gpg -o " + path.join(node.root, "etc/apt/keyrings/docker.asc"),
            "curl -fsSL https://pkgs.k8s.io/core:/stable:/v1.35/deb/Release.key",
            "apt-get update -q",
            "apt-get install -y -q --allow-change-held-packages containerd.io=2.1.5-*",
            "apt-mark hold containerd.io",
            "apt-get install -y -q --allow-change-held-packages --allow-downgrades kubelet=1.35.9-1.1 kubeadm=1.35.9-1.1 kubectl=1.35.9-1.1",
            "apt-mark hold kubelet kubeadm kubectl",
            "systemctl restart containerd",
            "systemctl enable --now containerd",
            "systemctl daemon-reload",
            "systemctl enable kubelet",
        ]);
        assert.equal(fs.readFileSync(path.join(node.root, "etc/default/kubelet"), "utf8"), "KUBELET_EXTRA_ARGS=--node-ip=10.0.1.3\n");
        assert.match(fs.readFileSync(path.join(node.root, "etc/containerd/config.toml"), "utf8"), /SystemdCgroup = true/);
        assert.match(fs.readFileSync(path.join(node.root, "etc/fstab"), "utf8"), /^# \/swap\.img none swap/m);
        assert.equal(
            fs.readFileSync(path.join(node.root, "etc/apt/sources.list.d/kubernetes.list"), "utf8"),
            "deb [signed-by=/etc/apt/keyrings/kubernetes-1.35.gpg] https://pkgs.k8s.io/core:/stable:/v1.35/deb/ /\n",
        );
    });

    it("a second run changes nothing", () => {
        const node = fakeNode(UBUNTU);
        assert.equal(node.run(PREPARE("control-plane")).status, 0);
        const again = node.run(PREPARE("control-plane"));
        assert.equal(again.status, 0, again.stderr);
        assert.deepEqual(mutating(again.calls), []);
    });

    it("control planes pre-pull their images, once per version", () => {
        const node = fakeNode(UBUNTU);
        const r = node.run(PREPARE("control-plane"));
        assert.ok(r.calls.includes("kubeadm config images pull --kubernetes-version v1.35.9"));
        assert.ok(!node.run(PREPARE("control-plane")).calls.some((c) => c.startsWith("kubeadm")));
    });

    it("on Rocky Linux 9: dnf with pinned versions, excluded from upgrades, SELinux permissive", () => {
        const node = fakeNode(ROCKY);
        fs.mkdirSync(path.join(node.root, "etc/selinux"), { recursive: true });
        fs.writeFileSync(path.join(node.root, "etc/selinux/config"), "SELINUX=enforcing\n");
        const r = node.run(PREPARE());
        assert.equal(r.status, 0, r.stderr);
        assert.ok(r.calls.includes("setenforce 0"));
        assert.ok(r.calls.includes("dnf install -y -q --disableexcludes=kubernetes kubelet-1.35.9 kubeadm-1.35.9 kubectl-1.35.9"), r.calls.join("\n"));
        assert.ok(r.calls.includes("dnf install -y -q --disableexcludes=docker-ce-stable containerd.io-2.1.5"));
        assert.match(fs.readFileSync(path.join(node.root, "etc/yum.repos.d/kubernetes.repo"), "utf8"), /^exclude=kubelet kubeadm kubectl cri-tools kubernetes-cni$/m);
        assert.equal(fs.readFileSync(path.join(node.root, "etc/selinux/config"), "utf8"), "SELINUX=permissive\n");
        assert.equal(fs.readFileSync(path.join(node.root, "etc/sysconfig/kubelet"), "utf8"), "KUBELET_EXTRA_ARGS=--node-ip=10.0.1.3\n");
        assert.deepEqual(mutating(node.run(PREPARE()).calls), []);
    });

    it("leaves Kubernetes packages alone on a node already in the cluster (upgrades are kubeadm's job)", () => {
        const node = fakeNode(UBUNTU);
        assert.equal(node.run(PREPARE()).status, 0);
        fs.mkdirSync(path.join(node.root, "etc/kubernetes"), { recursive: true });
        fs.writeFileSync(path.join(node.root, "etc/kubernetes/kubelet.conf"), "conf");
        const newer = composeScript(SCRIPTS.prepare, { K8S_VERSION: "1.36.2", CONTAINERD_VERSION: "2.1.5", NODE_IP: "10.0.1.3", ROLE: "worker" });
        const r = node.run(newer);
        assert.equal(r.status, 0, r.stderr);
        assert.ok(!r.calls.some((c) => /^apt-get install .*kubelet/.test(c)), r.calls.join("\n"));
        assert.match(r.stdout, /warning: this node runs kubelet 1\.35\.9-1\.1, not 1\.36\.2; upgrade it with kubeadm upgrade/);
    });

    it("refuses an unsupported OS before touching anything", () => {
        const r = fakeNode('ID=centos\nVERSION_ID="7"\n').run(PREPARE());
        assert.equal(r.status, 1);
        assert.match(r.stderr, /prepare: error: unsupported OS centos 7/);
        assert.deepEqual(mutating(r.calls), []);
    });

    it("stops at the first failing step", () => {
        const node = fakeNode(UBUNTU);
        fs.writeFileSync(path.join(node.root, "../bin/apt-get"), "#!/usr/bin/env bash\nexit 100\n", { mode: 0o755 });
        const r = node.run(PREPARE());
        assert.equal(r.status, 100);
        assert.ok(!r.calls.some((c) => c.startsWith("systemctl")), "nothing after the failed install ran");
    });
});

const bundle = (files: Record<string, string>) => renderBundle(Object.entries(files).map(([p, content]) => ({ path: p, mode: p.endsWith(".key") || p.includes("infra/") ? "0600" : "0644", content })));
const TOKEN = "abcdef.0123456789abcdef";
const INIT_BUNDLE = bundle({
    "/etc/kubernetes/pki/ca.crt": "CA CERT",
    "/etc/kubernetes/pki/ca.key": "CA KEY",
    "/etc/kubernetes/infra/kubeadm-init.yaml": "kind: InitConfiguration\n",
    "/etc/kubernetes/infra/bootstrap-token": TOKEN,
});
const INIT = composeScript(SCRIPTS.init, { TOKEN_TTL: "24h" });

describe("init.sh", () => {
    it("writes the bundle (keys 0600) and runs kubeadm init with the rendered config, printing no token", () => {
        const node = fakeNode(UBUNTU);
        const r = node.run(INIT, { stdin: INIT_BUNDLE });
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(mutating(r.calls), [`kubeadm init --config ${node.root}/etc/kubernetes/infra/kubeadm-init.yaml --skip-token-print`]);
        assert.equal(fs.readFileSync(path.join(node.root, "etc/kubernetes/pki/ca.key"), "utf8"), "CA KEY");
        assert.equal(fs.statSync(path.join(node.root, "etc/kubernetes/pki/ca.key")).mode & 0o777, 0o600);
        assert.equal(fs.statSync(path.join(node.root, "etc/kubernetes/pki/ca.crt")).mode & 0o777, 0o644);
        assert.ok(!r.stdout.includes(TOKEN) && !r.stderr.includes(TOKEN));
        assert.ok(!r.calls.join("\n").includes("0123456789abcdef"), "the token is on no command line");
    });

    it("never runs kubeadm init again on an initialised node", () => {
        const node = fakeNode(UBUNTU);
        node.run(INIT, { stdin: INIT_BUNDLE });
        fs.writeFileSync(path.join(node.state, "token-secret"), "");
        const r = node.run(INIT, { stdin: INIT_BUNDLE });
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(mutating(r.calls), []);
        assert.match(r.stdout, /already initialised; bootstrap token abcdef present/);
    });

    it("on a rotated token: creates it through kubectl's standard input, with its expiry", () => {
        const node = fakeNode(UBUNTU);
        node.run(INIT, { stdin: INIT_BUNDLE });
        const r = node.run(INIT, { stdin: INIT_BUNDLE });
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(mutating(r.calls), [`kubectl --kubeconfig ${node.root}/etc/kubernetes/admin.conf apply -f -`]);
        const applied = fs.readFileSync(path.join(node.state, "applied.yaml"), "utf8");
        assert.match(applied, /name: bootstrap-token-abcdef/);
        assert.match(applied, /token-secret: "0123456789abcdef"/);
        assert.match(applied, /expiration: "\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"/);
    });

    it("propagates a failed kubeadm init with the log's errors", () => {
        const r = fakeNode(UBUNTU).run(INIT, { stdin: INIT_BUNDLE, env: { KUBEADM_RC: "1" } });
        assert.equal(r.status, 1);
        assert.match(r.stderr, /port 6443 is in use/);
        assert.match(r.stderr, /init: error: kubeadm init failed; see \/var\/log\/infra-kubeadm-init\.log on this node/);
    });

    it("refuses bundle paths outside /etc/kubernetes", () => {
        const evil = `/etc/sudoers 0600 ${Buffer.from("x").toString("base64")}\n`;
        const r = fakeNode(UBUNTU).run(INIT, { stdin: evil });
        assert.equal(r.status, 1);
        assert.match(r.stderr, /refusing to write \/etc\/sudoers/);
    });
});

describe("join.sh", () => {
    const JOIN = composeScript(SCRIPTS.join, { ROLE: "worker" });
    const JOIN_BUNDLE = bundle({ "/etc/kubernetes/infra/kubeadm-join.yaml": "kind: JoinConfiguration\n" });
    it("joins with the rendered config, once", () => {
        const node = fakeNode(UBUNTU);
        const r = node.run(JOIN, { stdin: JOIN_BUNDLE });
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(mutating(r.calls), [`kubeadm join --config ${node.root}/etc/kubernetes/infra/kubeadm-join.yaml`]);
        const again = node.run(JOIN, { stdin: JOIN_BUNDLE });
        assert.deepEqual(mutating(again.calls), []);
        assert.match(again.stdout, /join: already joined/);
    });
});

describe("drain.sh", () => {
    const DRAIN = composeScript(SCRIPTS.drain, { NODE_NAME: "acme-dev-workers-2" });
    it("drains, then deletes the node object", () => {
        const node = fakeNode(UBUNTU);
        fs.writeFileSync(path.join(node.state, "node-present"), "");
        const r = node.run(DRAIN);
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(mutating(r.calls), [
            "kubectl drain acme-dev-workers-2 --ignore-daemonsets --delete-emptydir-data --timeout=600s",
            "kubectl delete node acme-dev-workers-2 --wait=true",
        ]);
    });
    it("does nothing for a node that is already gone", () => {
        const r = fakeNode(UBUNTU).run(DRAIN);
        assert.equal(r.status, 0);
        assert.deepEqual(mutating(r.calls), []);
    });
});

describe("the WireGuard mesh (prepare with MESH=1, mesh-peers)", () => {
    const MESH_PREPARE = composeScript(SCRIPTS.prepare, { K8S_VERSION: "1.35.9", CONTAINERD_VERSION: "2.1.5", NODE_IP: "10.200.2.1", ROLE: "worker", MESH: "1" });
    const KEY = "c2VjcmV0LXdpcmVndWFyZC1rZXktMzItYnl0ZXMtISE=";
    const CONF = `[Interface]\nAddress = 10.200.2.1/16\nListenPort = 51820\nPrivateKey = ${KEY}\n`;
    const meshBundle = renderBundle([{ path: "/etc/wireguard/wg0.base.conf", mode: "0600", content: CONF }]);

    it("writes the configuration root-only, brings wg0 up once, and never prints the key", () => {
        const node = fakeNode(UBUNTU);
        fs.writeFileSync(path.join(node.root, "../bin/wg"), "#!/usr/bin/env bash\nexit 0\n", { mode: 0o755 });
        const r = node.run(MESH_PREPARE, { stdin: meshBundle });
        assert.equal(r.status, 0, r.stderr);
        const conf = path.join(node.root, "etc/wireguard/wg0.conf");
        assert.equal(fs.readFileSync(conf, "utf8"), CONF);
        assert.equal(fs.statSync(conf).mode & 0o777, 0o600);
        assert.ok(r.calls.includes("systemctl enable --now wg-quick@wg0"));
        assert.ok(!`${r.stdout}${r.stderr}${r.calls.join("\n")}`.includes(KEY), "the private key appears in no output and no command line");
        fs.writeFileSync(path.join(node.state, "wg-up"), "");
        const again = node.run(MESH_PREPARE, { stdin: meshBundle });
        assert.equal(again.status, 0, again.stderr);
        assert.deepEqual(mutating(again.calls), [], "a second run changes nothing");
        assert.ok(!again.calls.includes("systemctl enable --now wg-quick@wg0"));
    });

    it("mesh-peers adds another stack's peers (kept across prepare runs) and removes them", () => {
        const node = fakeNode(UBUNTU);
        fs.writeFileSync(path.join(node.state, "wg-up"), "");
        node.run(MESH_PREPARE, { stdin: meshBundle });
        const peers = "# acme-prod-burst-burst-1\n[Peer]\nPublicKey = abc=\nAllowedIPs = 10.200.128.1/32\n";
        const add = node.run(composeScript(SCRIPTS.meshPeers, { PEERS_NAME: "acme-prod-burst" }), { stdin: peers });
        assert.equal(add.status, 0, add.stderr);
        const conf = () => fs.readFileSync(path.join(node.root, "etc/wireguard/wg0.conf"), "utf8");
        assert.equal(conf(), CONF + peers);
        assert.ok(add.calls.some((c) => c.startsWith("wg syncconf wg0")));
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
    const script = asgFirstBootScript({ K8S_VERSION: "1.35.9", CONTAINERD_VERSION: "2.1.5", ROLE: "worker", JOIN_CONFIG: "nodeName: __NODE_NAME__\nnodeIp: __NODE_IP__\ntoken: abcdef.0123456789abcdef\n" });

    it("is shellcheck-clean", () => {
        const file = path.join(tempDir("asg-"), "first-boot.sh");
        fs.writeFileSync(file, script);
        const r = spawnSync("shellcheck", ["--shell=bash", file], { encoding: "utf8" });
        assert.equal(r.status, 0, r.stdout);
    });

    it("closes the metadata service to non-root first, prepares, then joins with its own name and address", () => {
        const node = fakeNode(UBUNTU);
        fs.writeFileSync(path.join(node.root, "../bin/curl"), '#!/usr/bin/env bash\ncase "$*" in *local-ipv4*) echo 10.1.16.7;; *api/token*) echo tok;; *) exit 0;; esac\n', { mode: 0o755 });
        fs.writeFileSync(path.join(node.root, "../bin/hostname"), "#!/usr/bin/env bash\necho ip-10-1-16-7\n", { mode: 0o755 });
        const r = node.run(script);
        assert.equal(r.status, 0, r.stderr);
        const calls = mutating(r.calls);
        assert.equal(calls[0], "iptables -I OUTPUT -d 169.254.169.254/32 -m owner ! --uid-owner 0 -j REJECT");
        assert.equal(calls[calls.length - 1], `kubeadm join --config ${node.root}/etc/kubernetes/infra/kubeadm-join.yaml`);
        assert.ok(!r.calls.includes("cloud-init status --wait"), "it runs inside cloud-init: waiting for it would deadlock");
        const join = path.join(node.root, "etc/kubernetes/infra/kubeadm-join.yaml");
        assert.equal(fs.readFileSync(join, "utf8"), "nodeName: ip-10-1-16-7\nnodeIp: 10.1.16.7\ntoken: abcdef.0123456789abcdef\n");
        assert.equal(fs.statSync(join).mode & 0o777, 0o600);
        assert.equal(fs.readFileSync(path.join(node.root, "etc/default/kubelet"), "utf8"), "KUBELET_EXTRA_ARGS=--node-ip=10.1.16.7\n");
        assert.deepEqual(mutating(node.run(script).calls), [], "a reboot changes nothing");
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
