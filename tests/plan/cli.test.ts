/** The `npm run plan` command as users and CI run it: output, files and exit codes. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { readStackFile, REPO_ROOT, stackFilePath } from "../../tools/plan";
import { stackYaml, tempDir, validConfig, withConfig } from "../helpers";

function plan(...args: string[]) {
    const r = spawnSync("npm", ["run", "--silent", "plan", "--", ...args], { cwd: REPO_ROOT, encoding: "utf8" });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr.split("\n").filter((l) => !l.startsWith("npm warn")).join("\n") };
}
const tmp = () => tempDir("plan-test-");

describe("npm run plan", () => {
    it("plans dev: prints the tree and a Plan: line, writes resources.json without secrets", () => {
        const out = tmp();
        const r = plan("dev", "--out", out);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /^ \+ {3}pulumi:pulumi:Stack +infra-dev$/m);
        assert.match(r.stdout, /^Plan: \d+ resources to create/m);
        const resources = JSON.parse(fs.readFileSync(path.join(out, "resources.json"), "utf8")) as Record<string, unknown>[];
        assert.ok(resources.length > 0);
        for (const e of resources) {
            for (const field of ["urn", "type", "name", "parent", "dependsOn", "inputs"]) assert.ok(field in e, `entry lacks ${field}`);
            assert.ok(Array.isArray(e.dependsOn));
        }
        const written = fs.readFileSync(path.join(out, "resources.json"), "utf8") + fs.readFileSync(path.join(out, "outputs.json"), "utf8");
        const file = readStackFile(stackFilePath("dev"));
        for (const [key, placeholder] of Object.entries(file.placeholders)) assert.ok(!written.includes(placeholder), `${key} leaked`);
        for (const cipher of ["REPLACE-ME-ssh-private-key", "REPLACE-ME-hcloud-token"]) assert.ok(!written.includes(cipher));
        assert.ok(fs.statSync(path.join(out, "manifests")).isDirectory());
        assert.ok(fs.statSync(path.join(out, "scripts")).isDirectory());
    });

    it("exits 2 and names the key for a config with a wrong key; nothing on stdout", () => {
        const dir = tmp();
        const bad = path.join(dir, "bad.yaml");
        fs.writeFileSync(bad, stackYaml(withConfig((c) => (c["infra:kubernetes"].verison = "1.35.9"))));
        const r = plan("dev", "--config-file", bad);
        assert.equal(r.code, 2);
        assert.equal(r.stdout, "");
        assert.match(r.stderr, /^ {2}infra:kubernetes\.verison: unknown key; allowed keys: version, /m);
        assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/, "no stack trace");
    });

    it("exits 3 with the findings on stderr when a real `pulumi up` would fail: a Calico release whose chart facts nobody read", () => {
        const dir = tmp();
        const file = path.join(dir, "calico.yaml");
        fs.writeFileSync(file, stackYaml(withConfig((c) => (c["infra:kubernetes"].calicoVersion = "3.31.4"))));
        const r = plan("dev", "--config-file", file);
        assert.equal(r.code, 3, r.stderr);
        assert.match(r.stdout, /^Plan: \d+ resources to create/m);
        assert.match(r.stderr, /^finding \[chart-facts\] urn:pulumi:dev::infra::.*::infra-dev-calico\n {2}chart tigera-operator v3\.31\.4 has no facts recorded at that version/m);
        assert.match(r.stderr, /^plan: 2 finding\(s\): a real `pulumi up` of this stack would hang or fail$/m);
    });

    it("exits 1 with a one-line reason for a missing stack file", () => {
        const r = plan("nosuchstack");
        assert.equal(r.code, 1);
        assert.equal(r.stderr.trim(), `plan: stack file ${path.join(REPO_ROOT, "Pulumi.nosuchstack.yaml")} does not exist`);
    });

    it("exits 2 for YAML that does not parse", () => {
        const dir = tmp();
        const bad = path.join(dir, "broken.yaml");
        fs.writeFileSync(bad, stackYaml(validConfig()) + "  - [unclosed\n");
        const r = plan("dev", "--config-file", bad);
        assert.equal(r.code, 2);
        assert.match(r.stderr.trim(), /^plan: .*broken\.yaml:\d+:\d+: YAML does not parse: /);
    });
});

describe("the README's upgrade preview (Upgrades and day-2)", () => {
    it("runs as written and prints the rollout the README shows", () => {
        const readme = fs.readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");
        const section = readme.slice(readme.indexOf("## Upgrades and day-2"));
        const commands = /```sh\n([\s\S]*?)```/.exec(section)![1];
        const shown = /```text\n([\s\S]*?)```/.exec(section)![1];
        const dir = tmp();
        const r = spawnSync("bash", ["-euo", "pipefail", "-c", commands.replaceAll("/tmp/", `${dir}/`)], { cwd: REPO_ROOT, encoding: "utf8" });
        assert.equal(r.status, 0, r.stderr);
        for (const line of shown.split("\n").filter(Boolean)) assert.ok(r.stdout.includes(line.replace(/, \.\.\.$/, "")), `the diff does not print: ${line}\n${r.stdout.slice(0, 2000)}`);
    });
});
