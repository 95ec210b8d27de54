/** The plan diff on hand-made pairs of plans, and the cost estimate against the price table. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { diffPlans, renderDiff } from "../../tools/plan/diff";
import { estimateCost, loadPrices, planStack, type PlannedResource, SECRET } from "../../tools/plan";
import { plannedResource } from "../helpers";

/** A resource of the Hetzner pool below. */
const res = (name: string, type: string, inputs: Record<string, unknown>, extra: Partial<PlannedResource> = {}): PlannedResource =>
    plannedResource(name, type, inputs, { urn: `urn:pulumi:s::infra::infra:nodes:HetznerPool$${type}::${name}`, parent: "urn:pulumi:s::infra::infra:nodes:HetznerPool::pool", ...extra });
const pool: PlannedResource = { ...res("pool", "infra:nodes:HetznerPool", {}), urn: "urn:pulumi:s::infra::infra:nodes:HetznerPool::pool", custom: false, parent: "urn:pulumi:s::infra::pulumi:pulumi:Stack::infra-s" };
const stack: PlannedResource = { ...res("infra-s", "pulumi:pulumi:Stack", {}), urn: "urn:pulumi:s::infra::pulumi:pulumi:Stack::infra-s", parent: null, custom: false };
const server = (n: string, inputs: Record<string, unknown>, extra: Partial<PlannedResource> = {}) => res(n, "hcloud:index/server:Server", { serverType: "cx23", location: "fsn1", ...inputs }, extra);

describe("plan diff", () => {
    it("added and removed resources", () => {
        const d = diffPlans([stack, pool, server("a", {})], [stack, pool, server("b", {})]);
        assert.deepEqual(d.map((x) => [x.kind, x.resource.name]), [["add", "b"], ["remove", "a"]]);
    });
    it("a change in place lists the input path with old and new values", () => {
        const d = diffPlans([stack, pool, server("a", {})], [stack, pool, server("a", { serverType: "cx33" })]);
        assert.deepEqual(d.map((x) => [x.kind, x.changes]), [["update", [{ path: "serverType", before: "cx23", after: "cx33" }]]]);
        assert.match(renderDiff(d), /- `serverType`: `"cx23"` → `"cx33"`/);
        assert.match(renderDiff(d), /### infra:nodes:HetznerPool pool/);
    });
    it("a change the provider cannot make in place is a replacement", () => {
        const d = diffPlans([stack, pool, server("a", {})], [stack, pool, server("a", { location: "nbg1" })]);
        assert.equal(d[0].kind, "replace");
        assert.equal(d[0].dangerous, false);
    });
    it("ignored changes neither replace nor update, as on a real engine; other changes beside them still show", () => {
        const ignoring = { ignoreChanges: ["image"] };
        const only = diffPlans([stack, pool, server("a", { image: "ubuntu-22.04" }, ignoring)], [stack, pool, server("a", { image: "ubuntu-24.04" }, ignoring)]);
        assert.deepEqual(only.map((x) => [x.kind, x.changes, x.ignored.map((c) => c.path)]), [["ignore", [], ["image"]]]);
        const d = diffPlans([stack, pool, server("a", { image: "ubuntu-22.04" }, ignoring)], [stack, pool, server("a", { image: "ubuntu-24.04", serverType: "cx33" }, ignoring)]);
        assert.deepEqual(d.map((x) => [x.kind, x.changes.map((c) => c.path), x.ignored.map((c) => c.path)]), [["update", ["serverType"], ["image"]]]);
    });
    it("flags the replacement of a control plane's machine (an etcd member) at the top", () => {
        const cp = (location: string) => server("cp-1", { location, labels: { role: "control-plane" } });
        const d = diffPlans([stack, pool, cp("fsn1")], [stack, pool, cp("nbg1")]);
        assert.deepEqual(d.map((x) => [x.kind, x.dangerous]), [["replace", true]]);
        assert.match(renderDiff(d), /^> - replace `hcloud:index\/server:Server` \*\*cp-1\*\*$/m);
        const worker = (location: string) => server("w-1", { location, labels: { role: "worker" } });
        assert.equal(diffPlans([stack, pool, worker("fsn1")], [stack, pool, worker("nbg1")])[0].dangerous, false);
    });
    it("a secret change shows as [secret] on both sides, never the value", () => {
        const before = res("db", "kubernetes:core/v1:Secret", { kind: "Secret", metadata: { name: "db" }, stringData: SECRET, type: "Opaque" });
        const after = res("db", "kubernetes:core/v1:Secret", { kind: "Secret", metadata: { name: "db" }, stringData: SECRET, type: "kubernetes.io/basic-auth" });
        const md = renderDiff(diffPlans([stack, pool, before], [stack, pool, after]));
        assert.match(md, /`type`: `"Opaque"` → `"kubernetes.io\/basic-auth"`/);
        assert.ok(!/stringData/.test(md), "an unchanged secret is not listed");
    });
    it("flags the replacement of a protected or stateful resource at the top", () => {
        const sts = (claim: string) => res("database", "kubernetes:apps/v1:StatefulSet", { kind: "StatefulSet", metadata: { name: "database" }, spec: { volumeClaimTemplates: [{ spec: { storageClassName: claim } }] } }, { protect: true });
        const d = diffPlans([stack, pool, sts("standard")], [stack, pool, sts("retain")]);
        assert.equal(d[0].kind, "replace");
        assert.equal(d[0].dangerous, true);
        const md = renderDiff(d);
        assert.ok(md.indexOf("Warning: stateful or protected") < md.indexOf("###"));
        assert.match(md, /replace `kubernetes:apps\/v1:StatefulSet` \*\*database\*\* \(protected\)/);
    });
    it("prints the cost delta", () => {
        const c = (eur: number) => ({ date: "2026-11-22", sources: [], lines: [], totals: { EUR: eur }, unpriced: [] });
        assert.match(renderDiff([], { before: c(8.76), after: c(17.52) }), /\*\*Cost:\*\* \+8\.76 EUR per month \(8\.76 -> 17\.52 EUR; prices of 2026-11-22\)/);
    });
});

describe("cost estimate", () => {
    it("the dev stack costs the sum of its servers from the price table, with the ingress load balancer unpriced", async () => {
        const plan = await planStack("dev");
        // data/prices.json of 2026-11-22: cx23 at 0.006 EUR an hour, x 730 hours = 4.38 EUR a month; dev has two.
        assert.deepEqual(
            plan.cost.lines.filter((l) => l.monthly !== undefined).map((l) => [l.item, l.currency, l.monthly]),
            [
                ["server cx23", "EUR", 4.38],
                ["server cx23", "EUR", 4.38],
            ],
        );
        assert.deepEqual(plan.cost.totals, { EUR: 8.76 });
        assert.deepEqual(plan.cost.unpriced.map((u) => u.item), ["load balancer lb11 (created by the hcloud cloud controller for ingress)"]);
        assert.equal(plan.cost.date, "2026-11-22");
    });
    it("an instance type the table does not know is listed as unpriced, not zero", () => {
        const r = res("x", "aws:ec2/instance:Instance", { instanceType: "z9.huge", rootBlockDevice: { volumeSize: 10 } });
        const c = estimateCost([stack, pool, r], loadPrices(), "us-east-1");
        assert.deepEqual(c.unpriced.map((u) => u.item), ["instance z9.huge"]);
        assert.equal(c.totals.USD, 0.8, "the volume is priced");
    });
});
