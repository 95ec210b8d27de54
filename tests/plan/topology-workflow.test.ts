/** The topology picture and the pull-request workflow. */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { XMLValidator } from "fast-xml-parser";
import * as YAML from "yaml";
import { PICTURED_STACKS, topologyPicture } from "../../tools/docs";
import { planStack, REPO_ROOT, renderTopology } from "../../tools/plan";

/** The SVG's text, numeric character references decoded (Graphviz writes `-` as `&#45;`). */
const text = (svg: string) => svg.replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)));

describe("topology.svg", () => {
    for (const stack of ["dev", "prod", "staging", "prod-burst"]) {
        it(`${stack}: well-formed SVG naming every pool`, async () => {
            const plan = await planStack(stack);
            const svg = await renderTopology(plan);
            assert.equal(XMLValidator.validate(svg), true);
            assert.match(svg, /<svg[\s>]/);
            const pools = plan.resources.filter((r) => /^infra:nodes:\w+Pool$/.test(r.type));
            assert.ok(pools.length > 0);
            for (const p of pools) assert.ok(text(svg).includes(`pool ${p.name}`), `${stack}: ${p.name} missing`);
        });
    }
    it("shows the API endpoint and the mesh of prod", async () => {
        const svg = text(await renderTopology(await planStack("prod")));
        assert.ok(svg.includes("https://k8s-api.acme.internal:6443") && svg.includes("WireGuard mesh"));
    });
    it("the README's pictures are up to date (npm run docs)", async () => {
        for (const stack of PICTURED_STACKS) assert.equal(fs.readFileSync(path.join(REPO_ROOT, "docs", `topology-${stack}.svg`), "utf8"), await topologyPicture(stack), stack);
    });
});

describe(".github/workflows/preview.yml", () => {
    const workflow = fs.readFileSync(path.join(REPO_ROOT, ".github/workflows/preview.yml"), "utf8");
    const wf = YAML.parse(workflow);
    it("parses, and runs the offline plan diff on pull requests", () => {
        assert.ok(wf.on.pull_request !== undefined);
        const steps = wf.jobs["offline-plan"].steps.map((s: { run?: string }) => s.run ?? "").join("\n");
        assert.match(steps, /npm run --silent plan -- diff/);
        assert.match(steps, /gh pr comment .* --edit-last --create-if-none/);
    });
    it("references only actions pinned to a full commit", () => {
        const uses = [...workflow.matchAll(/uses:\s*([^\s#]+)/g)].map((m) => m[1]);
        assert.ok(uses.length >= 4);
        for (const u of uses) assert.match(u, /^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/, u);
    });
    it("grants least privilege: read-only by default, pull-request writes only where it comments", () => {
        assert.deepEqual(wf.permissions, { contents: "read" });
        for (const [name, job] of Object.entries(wf.jobs) as [string, { permissions?: Record<string, string> }][]) {
            assert.ok(job.permissions, `${name} states its permissions`);
            for (const [scope, level] of Object.entries(job.permissions)) if (level === "write") assert.equal(scope, "pull-requests", `${name} writes ${scope}`);
        }
    });
    it("deploys dev on push to main; prod only by hand, behind its environment", () => {
        // What each event deploys under which environment: tests/security/workflow.test.ts.
        const deploy = wf.jobs.deploy;
        assert.match(deploy.if, /github\.ref == 'refs\/heads\/main'/);
        assert.match(deploy.if, /github\.event_name == 'push'/);
        assert.match(deploy.environment, /'dev'/);
        assert.match(deploy.environment, /inputs\.stack/);
        assert.ok(wf.on.workflow_dispatch.inputs.stack.options.includes("prod"));
    });
});
