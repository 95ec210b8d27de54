/** The README's config reference is generated from the schema; this fails when it is stale. */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { settingsSchema, SECRET_KEYS } from "../infra/config/schema";
import { renderReference, updateReadme } from "../tools/docs";
import { REPO_ROOT } from "../tools/plan";

const readme = fs.readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");

describe("README config reference", () => {
    it("is up to date with infra/config/schema.ts (run `npm run docs` to refresh)", () => {
        assert.equal(updateReadme(readme), readme);
    });
    it("documents every top-level and secret key", () => {
        const ref = renderReference();
        for (const k of [...Object.keys(settingsSchema.shape), ...Object.keys(SECRET_KEYS)]) assert.ok(ref.includes(`\`infra:${k}\``), k);
    });
    it("the commands it promises exist as npm scripts", () => {
        const scripts = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")).scripts as Record<string, string>;
        for (const m of readme.matchAll(/npm run (\w+)/g)) assert.ok(m[1] in scripts, `npm run ${m[1]}`);
    });
    it("its test command is the one CI runs, and it typechecks first as it says", () => {
        const start = readme.indexOf("\n## Tests\n");
        assert.ok(start >= 0, "the README has a Tests section");
        const section = readme.slice(start + 1, readme.indexOf("\n## ", start + 1));
        const commands = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) => m[1].split("\n").map((l) => l.replace(/#.*/, "").trim()).filter(Boolean));
        assert.deepEqual(commands, ["npm test", "sudo npm run test:system"]);
        assert.match(section, /^`npm test` typechecks, then runs the test suite/m);
        const scripts = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")).scripts as Record<string, string>;
        assert.match(scripts.test, /^npm run typecheck && node --import tsx --test /, "npm test typechecks, then runs node's test runner");
        // .ci/run, as the README describes it: npm ci, then the README's test commands, the system tests last (CI runs as root).
        const ci = fs.readFileSync(path.join(REPO_ROOT, ".ci/run"), "utf8").split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
        assert.equal(ci[ci.length - 1], "npm run test:system");
        assert.ok(ci.indexOf("npm test") > 0 && ci.indexOf("npm test") < ci.length - 1, "npm test runs before the system tests");
        assert.match(scripts["test:system"], /^node --import tsx --test .*tests\/system/, "the system tests are their own script");
        assert.match(scripts.test, /-not -path "tests\/system\/\*"/, "npm test leaves the system tests (root) out");
        assert.ok(ci.some((l) => /^npm ci( |$)/.test(l)), ".ci/run installs the lockfile's packages first");
        // The workflow that deploys runs the same command before `pulumi up`.
        const workflow = fs.readFileSync(path.join(REPO_ROOT, ".github/workflows/preview.yml"), "utf8");
        const steps = [...workflow.matchAll(/^\s*- run: (.+)$/gm)].map((m) => m[1].trim());
        assert.ok(steps.includes("npm test"), "the deploy job runs npm test");
        assert.ok(workflow.indexOf("- run: npm test") < workflow.indexOf("command: up"), "before pulumi up");
    });
});
