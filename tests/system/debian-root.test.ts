/**
 * The system-test harness itself, proven before anything relies on it: a real minimal Debian 12
 * root installs packages from Debian's mirror, has no network at all when asked, runs stubs only
 * where asked, is killed on timeout, and the loopback stand-ins for Docker's and Kubernetes'
 * repositories serve signed packages that the root's real apt installs.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { describe, it } from "node:test";
import { CALLS_LOG, debianRoot, MIRROR, requireRoot, STUB_DIR } from "./debian-root";
import { startLocalRepos } from "./local-repo";

// Fails the whole file, loudly, when not root: a skipped system test would prove nothing.
requireRoot();

const APT_UPDATE = "apt-get update -q -o APT::Update::Error-Mode=any";

describe("a minimal Debian 12 root", () => {
    it("is bare: no curl, gpg or systemd of its own; stubs first on the PATH, everything else real", async () => {
        const root = await debianRoot();
        const r = await root.run(
            [
                ". /etc/os-release; echo \"os=$ID:$VERSION_ID\"",
                "for c in curl gpg; do command -v $c || echo \"no $c\"; done",
                "[ -e /etc/ssl/certs/ca-certificates.crt ] || echo 'no ca-certificates'",
                "echo \"systemctl=$(command -v systemctl) apt-get=$(command -v apt-get) dpkg=$(command -v dpkg)\"",
                "echo \"pid1=$(cat /proc/1/comm)\"",
                "echo 1 > /proc/sys/net/ipv4/ip_forward 2>/dev/null && echo 'proc/sys writable' || echo 'proc/sys read-only'",
                "systemctl enable --now containerd && systemctl is-enabled containerd && systemctl is-active containerd",
                "modprobe overlay && [ -d /sys/module/overlay ] && echo module-loaded",
                "[ -z \"$(swapon --show)\" ] && echo no-swap",
                "diff <(echo a) <(echo a) && echo process-substitution-works",
            ].join("\n"),
            { timeoutMs: 60_000 },
        );
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout, /^os=debian:12$/m);
        assert.match(r.stdout, /^no curl$/m);
        assert.match(r.stdout, /^no gpg$/m);
        assert.match(r.stdout, /^no ca-certificates$/m);
        assert.match(r.stdout, new RegExp(`^systemctl=${STUB_DIR}/systemctl apt-get=/usr/bin/apt-get dpkg=/usr/bin/dpkg$`, "m"));
        assert.match(r.stdout, /^pid1=bash$/m, "the script is PID 1 of its own PID namespace");
        assert.match(r.stdout, /^proc\/sys read-only$/m);
        assert.match(r.stdout, /^module-loaded$/m);
        assert.match(r.stdout, /^no-swap$/m);
        assert.match(r.stdout, /^process-substitution-works$/m);
        assert.deepEqual(r.calls, [
            "systemctl enable --now containerd",
            "systemctl is-enabled containerd",
            "systemctl is-active containerd",
            "modprobe overlay",
            "swapon --show",
        ]);
        assert.equal(root.read(CALLS_LOG).split("\n").filter(Boolean).length, 5, "the log is the root's own file");
    });

    it("installs curl from Debian's mirror for real", async () => {
        const root = await debianRoot();
        const r = await root.run(`set -e\n${APT_UPDATE}\nDEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends curl\ncurl --version`, {
            timeoutMs: 240_000,
        });
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout, /^curl 7\.88\.\d+ /m);
        assert.ok(root.exists("/usr/bin/curl"));
        assert.match(root.read("/var/lib/dpkg/status"), /^Package: curl\nStatus: install ok installed$/m);
    });

    it('with network "none", apt-get update fails and names the mirror', async () => {
        const root = await debianRoot();
        const r = await root.run(APT_UPDATE, { network: "none", timeoutMs: 120_000 });
        assert.notEqual(r.status, 0, "Error-Mode=any turns an unreachable repository into an error");
        assert.match(r.stderr, new RegExp(`Failed to fetch ${MIRROR.replace(/[.]/g, "\\.")}/`));
        // (No retries this time: apt's default three, with back-off, cost seconds and prove nothing here.)
        const plain = await root.run("apt-get update -q -o Acquire::Retries=0", { network: "none", timeoutMs: 120_000 });
        assert.equal(plain.status, 0, "without it apt-get update exits 0 on an unreachable repository (what the scripts must guard against)");
    });

    it("kills a script that runs past its timeout, and everything it started", async () => {
        const root = await debianRoot();
        const started = Date.now();
        const r = await root.run("sleep 300 & (sleep 300; echo late) & wait", { timeoutMs: 2_000 });
        assert.equal(r.timedOut, true);
        assert.equal(r.status, null);
        assert.ok(Date.now() - started < 15_000, `took ${Date.now() - started} ms`);
        // The kernel killed the namespace: no process on this machine still runs in the root.
        const inRoot = () =>
            fs.readdirSync("/proc").filter((p) => {
                try {
                    return /^\d+$/.test(p) && fs.readlinkSync(`/proc/${p}/root`) === root.dir;
                } catch {
                    return false;
                }
            });
        for (let i = 0; i < 20 && inRoot().length > 0; i++) await new Promise((resolve) => setTimeout(resolve, 100));
        assert.deepEqual(inRoot(), []);
    });
});

describe("the loopback stand-ins for download.docker.com and pkgs.k8s.io", () => {
    it("serve signed repositories from which the real apt installs containerd.io and kubeadm=1.35.9-1.1", async () => {
        const repos = await startLocalRepos();
        const root = await debianRoot();
        // The packages' own programs run, not the stubs of the same name.
        root.unstub("kubeadm", "kubectl");
        // A download cut short fails curl, as a flaky network would.
        repos.failNext("/v1.35/deb/Release.key", { truncate: 20 });
        const r = await root.run(
            [
                "set -euo pipefail",
                "export DEBIAN_FRONTEND=noninteractive",
                APT_UPDATE,
                "apt-get install -y -q --no-install-recommends curl gpg ca-certificates",
                "install -d -m 0755 /etc/apt/keyrings",
                'if curl -fsSL "$K8S_REPO/v1.35/deb/Release.key" -o /tmp/cut; then echo "the injected failure did not happen"; exit 9; fi',
                'curl -fsSL "$DOCKER_REPO/debian/gpg" -o /etc/apt/keyrings/docker.asc',
                'curl -fsSL "$K8S_REPO/v1.35/deb/Release.key" | gpg --batch --yes --dearmor -o /etc/apt/keyrings/kubernetes-1.35.gpg',
                'printf "%s" "$SOURCES" > /etc/apt/sources.list.d/infra-test.list',
                APT_UPDATE,
                'apt-get install -y -q "containerd.io=2.1.5-*" kubelet=1.35.9-1.1 kubeadm=1.35.9-1.1 kubectl=1.35.9-1.1',
                "apt-mark hold kubelet kubeadm kubectl",
                "dpkg-query -W -f='${Package} ${Version}\\n' containerd.io kubelet kubeadm kubectl cri-tools",
                "kubeadm init --config /etc/kubernetes/infra/kubeadm-init.yaml",
            ].join("\n"),
            { env: { ...repos.params, SOURCES: repos.sourcesList() }, timeoutMs: 240_000 },
        );
        assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
        assert.match(r.stdout, /^containerd\.io 2\.1\.5-1\ncri-tools 1\.35\.0-1\.1\nkubeadm 1\.35\.9-1\.1\nkubectl 1\.35\.9-1\.1\nkubelet 1\.35\.9-1\.1$/m);
        assert.deepEqual(r.calls, ["kubeadm init --config /etc/kubernetes/infra/kubeadm-init.yaml"]);
        assert.match(root.read("/etc/containerd/config.toml"), /disabled_plugins = \["cri"\]/, "the package's conffile, as the real containerd.io ships it");
        assert.ok(root.exists("/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf"));
        const served = repos.requests.filter((q) => q.status === 200 && !q.fault).map((q) => q.path);
        for (const p of [
            "/download.docker.com/linux/debian/gpg",
            "/download.docker.com/linux/debian/dists/bookworm/InRelease",
            "/pkgs.k8s.io/core:/stable:/v1.35/deb/Release.key",
            "/pkgs.k8s.io/core:/stable:/v1.35/deb/InRelease",
            "/pkgs.k8s.io/core:/stable:/v1.35/deb/kubeadm_1.35.9-1.1_all.deb",
        ]) {
            assert.ok(served.includes(p), `${p} was not served; served: ${served.join(", ")}`);
        }
        assert.ok(repos.requests.some((q) => q.fault?.startsWith("truncated")));
    });

    it('are reachable from a root on the host\'s network, and out of reach with network "none"', async () => {
        const repos = await startLocalRepos();
        const root = await debianRoot();
        // bash's /dev/tcp: no curl needed in the bare root.
        const get = 'exec 3<>"/dev/tcp/127.0.0.1/${URL##*:}"\nprintf "GET /download.docker.com/linux/debian/gpg HTTP/1.0\\r\\n\\r\\n" >&3\nhead -n 1 <&3';
        const reached = await root.run(get, { env: { URL: repos.url }, timeoutMs: 30_000 });
        assert.equal(reached.status, 0, reached.stderr);
        assert.match(reached.stdout, /^HTTP\/1\.1 200 OK/);
        assert.deepEqual(repos.requests, [{ method: "GET", path: "/download.docker.com/linux/debian/gpg", status: 200 }]);
        const cut = await root.run(get, { env: { URL: repos.url }, network: "none", timeoutMs: 30_000 });
        assert.notEqual(cut.status, 0);
        assert.equal(repos.requests.length, 1, "no request arrived from the root without network");
    });
});
