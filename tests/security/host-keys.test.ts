/**
 * Pinned SSH host keys: every remote command's connection (and its bastion hop) names the host
 * key it accepts. Cloud nodes get a key the program generated (tests/nodes/pools.test.ts checks it
 * is the one their user data installs); on-prem machines and the bastion give theirs in the stack
 * file, required in prod and a warning elsewhere.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { planStack } from "../../tools/plan";
import { planConfig, problems, withConfig } from "../helpers";

const ED = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFM0gR4mttgRCjdZKUw53gJXIY1fCbcKXn0nU51HRpSh";
const onprem = (hostKey?: string, environment = "dev") =>
    withConfig((c) => {
        c["infra:environment"] = environment;
        c["infra:mesh"] = { enabled: true };
        c["infra:pools"].push({ name: "dmz", provider: "vmware", role: "worker", nodes: [{ name: "w1", address: "192.168.18.202", user: "ubuntu", ...(hostKey ? { hostKey } : {}) }] });
    });

describe("SSH host keys", () => {
    it("accepts an ed25519 or ECDSA key line and drops its comment", async () => {
        assert.deepEqual(problems(onprem(`${ED} root@w1`)), []);
        assert.deepEqual(problems(onprem("ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBE= root@w1")), []);
        const { plain } = await planConfig(onprem(`${ED} root@w1`));
        assert.equal((plain("w1-ready").connection as Record<string, unknown>).hostKey, ED);
    });
    it("refuses RSA keys (cannot be pinned) and anything that is not a key line", () => {
        assert.deepEqual(problems(onprem("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ== root@w1")), [
            "infra:pools[2].nodes[0].hostKey: is an RSA or DSA key, which cannot be pinned (the SSH client would have to offer SHA-1 ssh-rsa, which OpenSSH 8.8+ refuses): give the host's ed25519 key (/etc/ssh/ssh_host_ed25519_key.pub; `ssh-keygen -A` creates it)",
        ]);
        for (const bad of ["SHA256:abcdef", "ssh-ed25519", "ssh-ed25519 $(id)", "192.168.18.202 ssh-ed25519 AAAA x y\nz"]) {
            const ps = problems(onprem(bad));
            assert.equal(ps.length, 1, bad);
            assert.match(ps[0], /^infra:pools\[2\]\.nodes\[0\]\.hostKey: must be an SSH host public key line such as `ssh-ed25519 AAAAC3Nza\.\.\.`/);
        }
    });
    it("a missing on-prem or bastion host key is an error in prod", () => {
        const ps = problems(
            withConfig((c) => {
                c["infra:environment"] = "prod";
                c["infra:mesh"] = { enabled: true };
                c["infra:ssh"].bastion = { host: "bastion.example.com", user: "ops" };
                c["infra:pools"].push({ name: "dmz", provider: "vmware", role: "worker", nodes: [{ name: "w1", address: "192.168.18.202", user: "ubuntu" }] });
            }),
        ).filter((p) => p.includes("hostKey"));
        assert.deepEqual(ps, [
            "infra:pools[2].nodes[0].hostKey: is required in prod: the program sends secrets (keys, tokens) over this connection and would accept any host that answers at the address (give /etc/ssh/ssh_host_ed25519_key.pub of w1)",
            "infra:ssh.bastion.hostKey: is required in prod: the program sends secrets (keys, tokens) over this connection and would accept any host that answers at the address (give /etc/ssh/ssh_host_ed25519_key.pub of bastion.example.com)",
        ]);
    });
    it("elsewhere it is a warning the program logs, and that connection accepts any host key", async () => {
        assert.deepEqual(problems(onprem()), []);
        const { plan, plain } = await planConfig(onprem());
        assert.ok(plan.log.some((l) => l.includes("infra:pools[2].nodes[0].hostKey: is not set: the program sends secrets")), plan.log.join("\n"));
        assert.equal((plain("w1-ready").connection as Record<string, unknown>).hostKey, undefined);
    });
    it("prod: every remote command pins its host key, and the bastion's on the hop", async () => {
        const plan = await planStack("prod");
        const commands = plan.resources.filter((r) => r.type === "command:remote:Command");
        assert.ok(commands.length > 30);
        for (const r of commands) {
            const conn = plan.plainInputs.get(r.urn)!.connection as { hostKey?: string; proxy?: { hostKey?: string } };
            assert.match(String(conn.hostKey), /^ssh-ed25519 AAAA[A-Za-z0-9+/]+=*$/, `${r.name} pins no host key`);
            if (conn.proxy) assert.match(String(conn.proxy.hostKey), /^ssh-ed25519 AAAA/, `${r.name}: the bastion hop pins no host key`);
        }
        assert.ok(commands.some((r) => (plan.plainInputs.get(r.urn)!.connection as { proxy?: unknown }).proxy), "some go through the bastion");
    });
    it("prod-burst: the commands on prod's nodes pin the host keys prod publishes", async () => {
        const plan = await planStack("prod-burst");
        const commands = plan.resources.filter((r) => r.type === "command:remote:Command");
        assert.ok(commands.length > 0);
        for (const r of commands) assert.match(String((plan.plainInputs.get(r.urn)!.connection as { hostKey?: string }).hostKey), /^ssh-ed25519 AAAA/, `${r.name} pins no host key`);
    });
});
