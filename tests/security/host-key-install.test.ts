/**
 * `infra:ssh.installHostKeys`: cloud nodes get the host key the program pins over an unpinned
 * connection first (servers created before pinning; rotation). host-key.sh runs against a fake
 * root with the real ssh-keygen and a recording systemctl: it checks the key before replacing
 * anything, changes nothing on a node that has it, and converges after a failed reload.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { HOST_KEY_SCRIPT } from "../../infra/nodes/access";
import { planConfig, tempDir, withConfig } from "../helpers";

describe("installHostKeys in the plan", () => {
    it("off (the default): no install step, every connection pinned", async () => {
        const { plan } = await planConfig(withConfig(() => {}));
        assert.equal(plan.resources.filter((r) => r.name.endsWith("-host-key-install")).length, 0);
    });
    it("on: each cloud node gets its key over an unpinned connection before its readiness gate, and the up warns", async () => {
        const { plan, named, plain } = await planConfig(withConfig((c) => (c["infra:ssh"].installHostKeys = true)));
        const installs = plan.resources.filter((r) => r.name.endsWith("-host-key-install"));
        assert.equal(installs.length, 2);
        for (const node of ["infra-test-cp-1", "infra-test-workers-1"]) {
            const install = named(`${node}-host-key-install`);
            assert.equal(install.inputs.stdin, "[secret]");
            const conn = plain(`${node}-host-key-install`).connection as Record<string, unknown>;
            assert.equal(conn.hostKey, undefined, "the node does not have the key yet");
            assert.match(String(plain(`${node}-host-key-install`).stdin), /^-----BEGIN OPENSSH PRIVATE KEY-----/);
            assert.ok(named(`${node}-ready`).dependsOn.includes(install.urn), "the pinned gate waits for it");
            assert.match(String((plain(`${node}-ready`).connection as Record<string, unknown>).hostKey), /^ssh-ed25519 /);
        }
        assert.ok(plan.log.some((l) => l.includes("infra:ssh.installHostKeys: is on")), plan.log.join("\n"));
    });
});

function node() {
    const base = tempDir("hostkey-");
    const root = path.join(base, "root");
    const bin = path.join(base, "bin");
    fs.mkdirSync(path.join(root, "etc/ssh"), { recursive: true });
    fs.mkdirSync(bin);
    const log = path.join(base, "calls.log");
    const failOnce = path.join(base, "fail-reload");
    fs.writeFileSync(path.join(bin, "systemctl"), `#!/usr/bin/env bash\necho "systemctl $*" >> '${log}'\nif [ -f '${failOnce}' ]; then exit 1; fi\n`, { mode: 0o755 });
    const keygen = (name: string) => {
        execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "", "-f", path.join(base, name)]);
        return { priv: fs.readFileSync(path.join(base, name), "utf8"), pub: fs.readFileSync(path.join(base, `${name}.pub`), "utf8").trim() };
    };
    const run = (stdin: string) => {
        fs.rmSync(log, { force: true });
        const r = spawnSync("bash", ["-c", HOST_KEY_SCRIPT], { input: stdin, encoding: "utf8", env: { PATH: `${bin}:/usr/bin:/bin`, INFRA_ROOT: root } });
        return { ...r, calls: fs.existsSync(log) ? fs.readFileSync(log, "utf8") : "" };
    };
    const installed = () => fs.readFileSync(path.join(root, "etc/ssh/ssh_host_ed25519_key"), "utf8");
    const installedPub = () => fs.readFileSync(path.join(root, "etc/ssh/ssh_host_ed25519_key.pub"), "utf8").trim();
    return { root, run, keygen, installed, installedPub, failReloads: (on: boolean) => (on ? fs.writeFileSync(failOnce, "") : fs.rmSync(failOnce, { force: true })) };
}

describe("host-key.sh", () => {
    it("replaces the image's key with the pinned one and reloads sshd; a second run changes nothing", () => {
        const n = node();
        const image = n.keygen("image");
        fs.writeFileSync(path.join(n.root, "etc/ssh/ssh_host_ed25519_key"), image.priv, { mode: 0o600 });
        const pinned = n.keygen("pinned");
        const first = n.run(pinned.priv);
        assert.equal(first.status, 0, first.stderr);
        assert.equal(n.installed(), pinned.priv);
        assert.equal(n.installedPub(), pinned.pub);
        assert.equal(fs.statSync(path.join(n.root, "etc/ssh/ssh_host_ed25519_key")).mode & 0o777, 0o600);
        assert.match(first.calls, /^systemctl reload ssh$/m);
        const second = n.run(pinned.priv);
        assert.equal(second.status, 0, second.stderr);
        assert.match(second.stdout, /already installed/);
        assert.equal(second.calls, "", "no reload");
    });
    it("refuses what is not a private key and leaves the node's key alone", () => {
        const n = node();
        const image = n.keygen("image");
        fs.writeFileSync(path.join(n.root, "etc/ssh/ssh_host_ed25519_key"), image.priv, { mode: 0o600 });
        const r = n.run("not a key\n$(touch /tmp/x)\n");
        assert.notEqual(r.status, 0);
        assert.match(r.stderr, /host-key: standard input is not an OpenSSH private key/);
        assert.equal(n.installed(), image.priv);
        assert.deepEqual(fs.readdirSync(path.join(n.root, "etc/ssh")).sort(), ["ssh_host_ed25519_key"], "no temporary file left");
    });
    it("a failed reload is retried by the next run (the key was in place, sshd had not loaded it)", () => {
        const n = node();
        const pinned = n.keygen("pinned");
        n.failReloads(true);
        const failed = n.run(pinned.priv);
        assert.notEqual(failed.status, 0);
        n.failReloads(false);
        const again = n.run(pinned.priv);
        assert.equal(again.status, 0, again.stderr);
        assert.match(again.calls, /systemctl reload/);
        assert.equal(n.run(pinned.priv).calls, "", "then nothing");
    });
});
