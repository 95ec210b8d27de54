/** Cloud-init user data: a snapshot, and nothing in it that must stay secret. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as YAML from "yaml";
import { renderUserData } from "../../infra/nodes/user-data";

describe("cloud-init user data", () => {
    it("only hardens SSH and names the host (snapshot)", () => {
        assert.equal(
            renderUserData({ hostname: "acme-dev-cp-1" }),
            [
                "#cloud-config",
                "hostname: acme-dev-cp-1",
                "preserve_hostname: false",
                "ssh_pwauth: false",
                "package_update: false",
                "package_upgrade: false",
                "write_files:",
                "  - path: /etc/ssh/sshd_config.d/10-infra.conf",
                '    permissions: "0644"',
                "    content: |",
                "      PasswordAuthentication no",
                "      KbdInteractiveAuthentication no",
                "      PermitRootLogin prohibit-password",
                "",
            ].join("\n"),
        );
    });
    it("runs a first-boot script as a root-only file (the auto scaling group seam)", () => {
        const doc = YAML.parse(renderUserData({ firstBootScript: "#!/bin/sh\necho join\n" }));
        assert.equal(doc.hostname, undefined);
        const file = doc.write_files.find((f: { path: string }) => f.path === "/var/lib/infra/first-boot.sh");
        assert.equal(file.permissions, "0700");
        assert.equal(file.content, "#!/bin/sh\necho join\n");
        assert.deepEqual(doc.runcmd, [["/var/lib/infra/first-boot.sh"]]);
    });
});
