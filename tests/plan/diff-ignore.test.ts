/**
 * The plan diff says what a real engine would do: changes a resource's `ignoreChanges` covers
 * (a Hetzner server's image and user data, an AWS instance's AMI and user data) are listed as
 * ignored, never as updates or replacements; ignore paths in Pulumi's syntax; and a Kubernetes
 * object is replaced only where pulumi-kubernetes replaces it (a Job's pod template, not a
 * Deployment's or StatefulSet's, which roll).
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { describe, it } from "node:test";
import YAML from "yaml";
import { planStack, planText, type PlannedResource, readStackFile, stackFilePath } from "../../tools/plan";
import { diffPlans, parsePropertyPath, renderDiff } from "../../tools/plan/diff";
import { plannedResource } from "../helpers";

/** A stack file with every pool's image replaced. */
function withPoolImage(stack: string, image: string): string {
    const doc = YAML.parse(fs.readFileSync(readStackFile(stackFilePath(stack)).path, "utf8"));
    for (const p of doc.config["infra:pools"] as { image?: string }[]) if (p.image) p.image = image;
    return YAML.stringify(doc);
}

const MACHINES = /^(hcloud:index\/server:Server|aws:ec2\/instance:Instance)$/;

describe("a newer OS image in the stack file: running machines keep theirs", () => {
    const CASES = [
        { stack: "dev", type: "hcloud:index/server:Server", ignored: ["image"] },
        { stack: "staging", type: "aws:ec2/instance:Instance", ignored: ["ami"] },
    ];
    for (const c of CASES)
        it(`${c.stack}: ${c.type} lists ${c.ignored.join(", ")} as ignored, neither updated nor replaced`, async () => {
            const before = await planStack(c.stack);
            const after = await planText(c.stack, withPoolImage(c.stack, "ubuntu-22.04"));
            const d = diffPlans(before.resources, after.resources);
            const machines = d.filter((x) => MACHINES.test(x.resource.type));
            assert.ok(machines.length > 0, "the machines are listed");
            for (const m of machines) {
                assert.equal(m.resource.type, c.type);
                assert.deepEqual([m.kind, m.changes, m.ignored.map((x) => x.path)], ["ignore", [], c.ignored], m.resource.name);
                assert.equal(m.dangerous, false);
            }
            const md = renderDiff(d);
            for (const m of machines) assert.match(md, new RegExp(`^- \`=\` ignored \\(ignoreChanges\\) \`${c.type.replace(/[/.]/g, "\\$&")}\` \\*\\*${m.resource.name}\\*\\*$`, "m"));
            assert.match(md, new RegExp(`^  - \`${c.ignored[0]}\`: .* — ignored \\(ignoreChanges\\)$`, "m"));
            assert.match(md, new RegExp(`${machines.length} with changes ignored \\(ignoreChanges\\), which \`pulumi up\` does not apply`));
            assert.ok(!/Warning: stateful or protected/.test(md), "no machine is flagged");
        });
});


describe("ignoreChanges paths in Pulumi's syntax", () => {
    it("parses keys, indexes, quoted keys and wildcards", () => {
        assert.deepEqual(parsePropertyPath("spec.replicas"), ["spec", "replicas"]);
        assert.deepEqual(parsePropertyPath('tags["Name"]'), ["tags", "Name"]);
        assert.deepEqual(parsePropertyPath('metadata.labels["app.kubernetes.io/version"]'), ["metadata", "labels", "app.kubernetes.io/version"]);
        assert.deepEqual(parsePropertyPath("spec.template.spec.containers[*].image"), ["spec", "template", "spec", "containers", "*", "image"]);
        assert.deepEqual(parsePropertyPath("networks[0].ip"), ["networks", 0, "ip"]);
        assert.deepEqual(parsePropertyPath("tags.*"), ["tags", "*"]);
        for (const bad of ["", ".a", "a[", 'a["b"', "a[b]", "a..b"]) assert.equal(parsePropertyPath(bad), undefined, bad);
    });

    const CASES = [
        { name: "a quoted key", ignore: ['tags["Name"]'], before: { tags: { Name: "a", team: "x" } }, after: { tags: { Name: "b", team: "y" } }, changed: ["tags.team"], ignored: ["tags.Name"] },
        {
            name: "a key with dots",
            ignore: ['labels["app.kubernetes.io/version"]'],
            before: { labels: { "app.kubernetes.io/version": "1", role: "w" } },
            after: { labels: { "app.kubernetes.io/version": "2", role: "w" } },
            changed: [],
            ignored: ["labels.app.kubernetes.io/version"],
        },
        {
            name: "every element of a list",
            ignore: ["networks[*].ip"],
            before: { networks: [{ ip: "10.0.1.2", networkId: 1 }, { ip: "10.0.2.2", networkId: 2 }] },
            after: { networks: [{ ip: "10.0.1.3", networkId: 1 }, { ip: "10.0.2.3", networkId: 3 }] },
            changed: ["networks[1].networkId"],
            ignored: ["networks[0].ip", "networks[1].ip"],
        },
        { name: "a whole object", ignore: ["userData"], before: { userData: "#cloud-config\na" }, after: { userData: "#cloud-config\nb" }, changed: [], ignored: ["userData"] },
    ];
    for (const c of CASES)
        it(`ignores ${c.name}`, () => {
            const r = (inputs: Record<string, unknown>) => plannedResource("m", "hcloud:index/server:Server", inputs, { ignoreChanges: c.ignore });
            const d = diffPlans([r(c.before)], [r(c.after)]);
            assert.deepEqual(d.map((x) => [x.changes.map((y) => y.path), x.ignored.map((y) => y.path)]), [[c.changed, c.ignored]]);
            assert.equal(d[0].kind, c.changed.length ? "update" : "ignore");
        });

    it("a long ignored value is shown by its start and length", () => {
        const r = (userData: string) => plannedResource("m", "hcloud:index/server:Server", { userData }, { ignoreChanges: ["userData"] });
        const md = renderDiff(diffPlans([r(`#cloud-config\n${"a".repeat(500)}`)], [r(`#cloud-config\n${"b".repeat(500)}`)]));
        assert.match(md, /- `userData`: `"#cloud-config\\naaaa[a]*…` \(517 characters\) → `"#cloud-config\\nbbbb[b]*…` \(517 characters\) — ignored \(ignoreChanges\)/);
    });
});

describe("Kubernetes objects are replaced where pulumi-kubernetes replaces them", () => {
    const k8s = (kind: string, spec: Record<string, unknown>, extra: Partial<PlannedResource> = {}) =>
        plannedResource(kind.toLowerCase(), `kubernetes:${kind === "Job" ? "batch" : kind === "ConfigMap" ? "core" : "apps"}/v1:${kind}`, { kind, metadata: { name: "x" }, ...spec }, extra);
    const pod = (readOnly: boolean) => ({ template: { spec: { automountServiceAccountToken: !readOnly, containers: [{ name: "c", securityContext: { readOnlyRootFilesystem: readOnly } }] } } });
    const CASES = [
        { name: "a Deployment's pod template rolls", kind: "Deployment", before: { spec: pod(false) }, after: { spec: pod(true) }, expected: "update", dangerous: false },
        { name: "a StatefulSet's pod template rolls", kind: "StatefulSet", before: { spec: pod(false) }, after: { spec: pod(true) }, expected: "update", dangerous: false },
        { name: "a StatefulSet's serviceName replaces it (and its data is at stake)", kind: "StatefulSet", before: { spec: { serviceName: "a" } }, after: { spec: { serviceName: "b" } }, expected: "replace", dangerous: true },
        { name: "a Job's pod template replaces it", kind: "Job", before: { spec: pod(false) }, after: { spec: pod(true) }, expected: "replace", dangerous: false },
        { name: "a Deployment's selector replaces it", kind: "Deployment", before: { spec: { selector: { matchLabels: { a: "1" } } } }, after: { spec: { selector: { matchLabels: { a: "2" } } } }, expected: "replace", dangerous: false },
        { name: "a ConfigMap's data replaces it (immutable on this program's providers)", kind: "ConfigMap", before: { data: { "a.sh": "1" } }, after: { data: { "a.sh": "2" } }, expected: "replace", dangerous: false },
        { name: "labels change in place", kind: "Deployment", before: { metadata: { name: "x", labels: { v: "1" } } }, after: { metadata: { name: "x", labels: { v: "2" } } }, expected: "update", dangerous: false },
    ];
    for (const c of CASES)
        it(c.name, () => {
            const [d] = diffPlans([k8s(c.kind, c.before)], [k8s(c.kind, c.after)]);
            assert.deepEqual([d.kind, d.dangerous], [c.expected, c.dangerous]);
        });

    it("dev: hardening the database's pod template rolls the StatefulSet, with no data-loss warning", async () => {
        const after = (await planStack("dev")).resources;
        const sts = after.find((r) => r.inputs.kind === "StatefulSet")!;
        // The StatefulSet as it was before its containers' root filesystems were read-only.
        const soften = (r: PlannedResource): PlannedResource => {
            if (r !== sts) return r;
            const inputs = structuredClone(r.inputs) as any;
            for (const c of inputs.spec.template.spec.containers) delete c.securityContext.readOnlyRootFilesystem;
            delete inputs.spec.template.spec.automountServiceAccountToken;
            return { ...r, inputs };
        };
        const d = diffPlans(after.map(soften), after);
        assert.deepEqual(
            d.map((x) => [x.kind, x.resource.name, x.dangerous]),
            [["update", sts.name, false]],
        );
        assert.ok(!/Warning: stateful/.test(renderDiff(d)));
    });
});
