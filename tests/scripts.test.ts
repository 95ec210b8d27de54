/**
 * Every shell script is shellcheck-clean, and each runs as promised under bash against a fake
 * root: stub commands on PATH that record their calls.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { planStack, REPO_ROOT, writePlan } from "../tools/plan";
import { tempDir } from "./helpers";

function scriptFiles(dir: string): string[] {
    const out: string[] = [];
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory() && e.name !== "node_modules") out.push(...scriptFiles(p));
        else if (e.isFile() && e.name.endsWith(".sh")) out.push(p);
    }
    return out;
}

const SCRIPTS = [...scriptFiles(path.join(REPO_ROOT, "infra")), path.join(REPO_ROOT, ".ci/run")];

/** `shell` undefined: the file's own shebang decides, as for anyone who runs shellcheck on it. */
function shellcheck(file: string, shell: string | undefined = "bash"): void {
    const r = spawnSync("shellcheck", ["--severity=style", ...(shell ? [`--shell=${shell}`] : []), file], { encoding: "utf8" });
    assert.equal(r.error, undefined, "shellcheck must be installed (.ci/run installs it)");
    assert.equal(r.status, 0, r.stdout);
}

describe("shellcheck", () => {
    it("finds the scripts", () => assert.ok(SCRIPTS.length > 0));
    for (const file of SCRIPTS) {
        it(`${path.relative(REPO_ROOT, file)} is clean`, () => shellcheck(file));
    }
    for (const stack of ["dev", "prod", "staging"]) {
        it(`every script the ${stack} plan writes (--out DIR/scripts) is clean`, async () => {
            const plan = await planStack(stack);
            const dir = tempDir(`scripts-${stack}-`);
            writePlan(dir, plan);
            const files = fs.readdirSync(path.join(dir, "scripts"));
            assert.ok(files.length > 0);
            for (const f of files) shellcheck(path.join(dir, "scripts", f), undefined);
        });
    }
});

/** A fake root: stub commands that append their argv to calls.log and exit with $<NAME>_RC. */
export function fakeRoot(stubs: string[]): { dir: string; env: NodeJS.ProcessEnv; calls: () => string[] } {
    const dir = tempDir("fakeroot-");
    const bin = path.join(dir, "bin");
    fs.mkdirSync(bin);
    const log = path.join(dir, "calls.log");
    for (const name of stubs) {
        const rcVar = `${name.toUpperCase().replace(/[^A-Z0-9]/g, "_")}_RC`;
        fs.writeFileSync(path.join(bin, name), `#!/usr/bin/env bash\necho "${name} $*" >> "${log}"\nexit "\${${rcVar}:-0}"\n`, { mode: 0o755 });
    }
    return {
        dir,
        env: { PATH: `${bin}:/usr/bin:/bin`, HOME: dir },
        calls: () => (fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n").filter(Boolean) : []),
    };
}

describe("wait-ready.sh (the readiness gate)", () => {
    const script = path.join(REPO_ROOT, "infra/nodes/scripts/wait-ready.sh");
    const run = (osRelease: string, env: NodeJS.ProcessEnv = {}, stubs = ["cloud-init", "hostname"]) => {
        const root = fakeRoot(stubs);
        const file = path.join(root.dir, "os-release");
        fs.writeFileSync(file, osRelease);
        const r = spawnSync("bash", [script], { env: { ...root.env, OS_RELEASE_FILE: file, ...env }, encoding: "utf8" });
        return { ...r, calls: root.calls() };
    };

    for (const [id, version] of [["ubuntu", "22.04"], ["ubuntu", "24.04"], ["debian", "12"], ["rocky", "9.4"], ["almalinux", "9.5"]]) {
        it(`accepts ${id} ${version} once cloud-init is done`, () => {
            const r = run(`ID=${id}\nVERSION_ID="${version}"\n`);
            assert.equal(r.status, 0, r.stderr);
            assert.equal(r.stdout, `ready ${id} ${version}\n`);
            assert.deepEqual(r.calls, ["cloud-init status --wait"]);
        });
    }
    it("accepts cloud-init's 'done with recoverable errors' (exit 2)", () => {
        assert.equal(run('ID=ubuntu\nVERSION_ID="24.04"\n', { CLOUD_INIT_RC: "2" }).status, 0);
    });
    it("fails, naming the host and the log, when cloud-init failed", () => {
        const r = run('ID=ubuntu\nVERSION_ID="24.04"\n', { CLOUD_INIT_RC: "1" });
        assert.equal(r.status, 1);
        assert.match(r.stderr, /^cloud-init failed on .* \(exit 1\): see \/var\/log\/cloud-init-output\.log$/m);
    });
    it("works without cloud-init (bare metal)", () => {
        const r = run('ID=debian\nVERSION_ID="12"\n', {}, ["hostname"]);
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(r.calls, []);
    });
    it("rejects an unsupported OS with the supported list", () => {
        const r = run('ID=centos\nVERSION_ID="7"\n');
        assert.equal(r.status, 1);
        assert.match(r.stderr, /unsupported OS on .*: centos 7 \(supported: Ubuntu 22\.04\/24\.04, Debian 12, Rocky\/Alma Linux 9\)/);
    });
});
