/**
 * prepare.sh for real, in a minimal Debian 12 root (debootstrap), as a node would run it: its
 * prerequisites come from Debian's mirror, containerd and the Kubernetes packages from signed
 * loopback stand-ins for Docker's and Kubernetes' repositories, installed and held by the real
 * apt and dpkg. Only what cannot exist in a chroot is stubbed (systemd, modules, sysctl, swap).
 * Issue 13: minimal images (defect 8), unreachable repositories named (defect 8), a cut key
 * download that must not poison the node (defect 1), and a second run that changes nothing.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { composeScript, SCRIPTS } from "../../infra/bootstrap/remote";
import { type DebianRoot, debianRoot, requireRoot, unusedLoopbackUrl } from "./debian-root";
import { type LocalRepos, startLocalRepos } from "./local-repo";

requireRoot();

const prepare = (repos: { DOCKER_REPO: string; K8S_REPO: string }, role = "worker") =>
    composeScript(SCRIPTS.prepare, { K8S_VERSION: "1.35.9", CONTAINERD_VERSION: "2.1.5", NODE_IP: "10.0.1.3", ROLE: role, ...repos });

/** Stub calls that change a machine (the stubs also answer queries: is-enabled, is-active...). */
const MUTATING = /^(systemctl (enable|disable|restart|reload|daemon-reload|start)|swapoff|modprobe|sysctl --system|kubeadm config images pull)/;

/** Every regular file under the root's /etc and /var/lib/infra, with a hash of its content and its mode. */
function snapshot(root: DebianRoot): Map<string, string> {
    const out = new Map<string, string>();
    const walk = (dir: string) => {
        for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
            const p = path.join(dir, e.name);
            if (e.isDirectory()) walk(p);
            else if (e.isFile()) out.set(p.slice(root.dir.length), `${createHash("sha256").update(fs.readFileSync(p)).digest("hex")} ${(fs.statSync(p).mode & 0o7777).toString(8)}`);
        }
    };
    for (const d of ["/etc", "/var/lib/infra"]) if (root.exists(d)) walk(root.path(d));
    return out;
}

async function preparedNode(repos: LocalRepos): Promise<{ root: DebianRoot; first: Awaited<ReturnType<DebianRoot["run"]>> }> {
    const root = await debianRoot();
    root.write("/var/lib/infra-test/state/swap-on", "");
    root.write("/etc/fstab", "UUID=abc / ext4 defaults 0 1\n/swap.img none swap sw 0 0\n");
    const first = await root.run(prepare(repos.params), { timeoutMs: 300_000 });
    return { root, first };
}

describe("prepare.sh in a real Debian 12 root", () => {
    it("on a minimal image: installs curl, gpg and ca-certificates first, then containerd and kubelet/kubeadm/kubectl, pinned and held", async () => {
        const repos = await startLocalRepos();
        const { root, first } = await preparedNode(repos);
        assert.equal(first.status, 0, `${first.stdout}\n${first.stderr}`);
        assert.match(first.stdout, /^prepare: installing curl gpg ca-certificates$/m);

        const installed = await root.run("dpkg-query -W -f='${Package} ${Version} ${Status}\\n' curl gpg ca-certificates containerd.io kubelet kubeadm kubectl", { timeoutMs: 30_000 });
        // "hold": dpkg's selection state of a held package.
        for (const line of [/^containerd\.io 2\.1\.5-1 hold ok installed$/m, /^kubelet 1\.35\.9-1\.1 hold ok installed$/m, /^kubeadm 1\.35\.9-1\.1 hold ok installed$/m, /^kubectl 1\.35\.9-1\.1 hold ok installed$/m])
            assert.match(installed.stdout, line);
        for (const pkg of ["curl", "gpg", "ca-certificates"]) assert.match(installed.stdout, new RegExp(`^${pkg} \\S+ install ok installed$`, "m"));
        assert.deepEqual((await root.run("apt-mark showhold", { timeoutMs: 30_000 })).stdout.split("\n").filter(Boolean).sort(), ["containerd.io", "kubeadm", "kubectl", "kubelet"]);

        // The keyring apt verifies the Kubernetes repository with: the served key, dearmored.
        const keys = await root.run("gpg --batch --show-keys --with-colons /etc/apt/keyrings/kubernetes-1.35.gpg | grep ^fpr", { timeoutMs: 30_000 });
        assert.match(keys.stdout, new RegExp(repos.fingerprint));
        assert.equal(root.read("/etc/apt/sources.list.d/kubernetes.list"), `deb [signed-by=/etc/apt/keyrings/kubernetes-1.35.gpg] ${repos.k8sRepo}/v1.35/deb/ /\n`);
        assert.equal(root.read("/etc/apt/sources.list.d/docker.list"), `deb [signed-by=/etc/apt/keyrings/docker.asc] ${repos.dockerRepo}/debian bookworm stable\n`);

        assert.equal(root.read("/etc/sysctl.d/99-kubernetes.conf"), "net.bridge.bridge-nf-call-iptables = 1\nnet.bridge.bridge-nf-call-ip6tables = 1\nnet.ipv4.ip_forward = 1\n");
        assert.equal(root.read("/etc/modules-load.d/kubernetes.conf"), "overlay\nbr_netfilter\n");
        // The package's own config.toml (CRI off) is replaced: the kubelet needs the CRI plugin, with systemd cgroups.
        assert.match(root.read("/etc/containerd/config.toml"), /SystemdCgroup = true/);
        assert.doesNotMatch(root.read("/etc/containerd/config.toml"), /disabled_plugins/);
        assert.equal(root.read("/etc/default/kubelet"), "KUBELET_EXTRA_ARGS=--node-ip=10.0.1.3\n");
        assert.match(root.read("/etc/crictl.yaml"), /^runtime-endpoint: unix:\/\/\/run\/containerd\/containerd\.sock$/m);
        assert.match(root.read("/etc/fstab"), /^# \/swap\.img none swap sw 0 0$/m);
        assert.deepEqual(first.calls.filter((c) => MUTATING.test(c)), [
            "swapoff -a",
            "modprobe overlay",
            "modprobe br_netfilter",
            "sysctl --system",
            "systemctl restart containerd",
            "systemctl enable --now containerd",
            "systemctl daemon-reload",
            "systemctl enable kubelet",
        ]);
    });

    it("a second run changes nothing: no download, no package, no file, no service", async () => {
        const repos = await startLocalRepos();
        const { root, first } = await preparedNode(repos);
        assert.equal(first.status, 0, first.stderr);
        const before = snapshot(root);
        const served = repos.requests.length;
        const again = await root.run(prepare(repos.params), { timeoutMs: 120_000 });
        assert.equal(again.status, 0, again.stderr);
        assert.deepEqual(again.calls.filter((c) => MUTATING.test(c)), []);
        assert.equal(repos.requests.length, served, "nothing was downloaded");
        assert.deepEqual(snapshot(root), before);
    });

    it("a cut download of the Kubernetes key fails with the URL and leaves no keyring; the next run converges", async () => {
        const repos = await startLocalRepos();
        // curl retries a server error but not a cut transfer: this one fails the run.
        repos.failNext("/v1.35/deb/Release.key", { truncate: 20 });
        const { root, first } = await preparedNode(repos);
        assert.equal(first.status, 1, first.stdout);
        assert.match(first.stderr, new RegExp(`prepare: error: could not download ${repos.k8sRepo.replace(/[.:/]/g, "\\$&")}/v1\\.35/deb/Release\\.key`));
        const leftovers = (await root.run("ls -A /etc/apt/keyrings", { timeoutMs: 30_000 })).stdout.split("\n").filter(Boolean);
        assert.deepEqual(leftovers, ["docker.asc"], "no partial or empty Kubernetes keyring, no temporary file");
        const again = await root.run(prepare(repos.params), { timeoutMs: 300_000 });
        assert.equal(again.status, 0, `${again.stdout}\n${again.stderr}`);
        const keys = await root.run("gpg --batch --show-keys --with-colons /etc/apt/keyrings/kubernetes-1.35.gpg | grep -c ^fpr", { timeoutMs: 30_000 });
        assert.equal(keys.stdout.trim(), "1");
    });

    it("an unreachable Kubernetes repository: apt's error names the URL instead of a later 'Unable to locate package'", async () => {
        const repos = await startLocalRepos();
        const { root, first } = await preparedNode(repos);
        assert.equal(first.status, 0, first.stderr);
        // The key is in place; the repository itself is gone (a proxy, a firewall, an outage).
        const gone = await unusedLoopbackUrl();
        const r = await root.run(prepare({ DOCKER_REPO: repos.params.DOCKER_REPO, K8S_REPO: gone }), { timeoutMs: 180_000 });
        assert.equal(r.status, 1, r.stdout);
        assert.match(r.stderr, new RegExp(`prepare: error: apt-get update failed: E: Failed to fetch ${gone.replace(/[.:/]/g, "\\$&")}/v1\\.35/deb/`));
        assert.doesNotMatch(`${r.stdout}${r.stderr}`, /Unable to locate package/);
    });

    it("an unreachable Docker repository on a fresh node: the error names its key's URL", async () => {
        const gone = await unusedLoopbackUrl();
        const repos = await startLocalRepos();
        const root = await debianRoot();
        const r = await root.run(prepare({ DOCKER_REPO: gone, K8S_REPO: repos.params.K8S_REPO }), { timeoutMs: 300_000 });
        assert.equal(r.status, 1, r.stdout);
        assert.match(r.stderr, new RegExp(`prepare: error: could not download ${gone.replace(/[.:/]/g, "\\$&")}/debian/gpg`));
        assert.ok(!root.exists("/etc/apt/keyrings/docker.asc"), "no partial key");
    });
});
