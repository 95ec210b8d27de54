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
        assert.ok("test" in scripts);
    });
});
