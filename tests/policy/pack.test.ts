/**
 * The policy pack starts the way the Pulumi CLI starts it: a Node.js process in the pack's own
 * directory (pulumi-language-nodejs runs analyzer plugins with `cmd.Dir` = the pack directory),
 * where @pulumi/policy reads the pack's package.json for its version before it serves.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as path from "node:path";
import { describe, it } from "node:test";
import { REPO_ROOT } from "../../tools/plan";

describe("policy pack", () => {
    it("starts from its own directory and serves (prints its port)", async () => {
        const child = spawn(process.execPath, ["--import", "tsx", "-e", "require('./index.ts')"], { cwd: path.join(REPO_ROOT, "policy"), stdio: ["ignore", "pipe", "pipe"] });
        let out = "";
        let err = "";
        child.stdout.on("data", (d) => (out += d));
        child.stderr.on("data", (d) => (err += d));
        const port = await new Promise<string>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`no port within 30 s: ${err}`)), 30_000);
            child.stdout.on("data", () => {
                const m = /^(\d+)\s*$/m.exec(out);
                if (m) {
                    clearTimeout(timer);
                    resolve(m[1]);
                }
            });
            child.on("exit", (code) => {
                clearTimeout(timer);
                reject(new Error(`the pack exited (${code}): ${err}`));
            });
        }).finally(() => child.kill());
        assert.ok(Number(port) > 0);
    });
});
