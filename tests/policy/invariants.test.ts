/**
 * The invariants (the same functions the policy pack enforces) over the offline plan of every
 * stack file, and proof that each catches a deliberately broken plan.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkInvariants, INVARIANTS, type ResourceView } from "../../infra/policy/invariants";
import { planStack, type StackPlan, stackNames } from "../../tools/plan";
import { problems, withConfig } from "../helpers";

const STACKS = stackNames();

const environmentOf = (plan: StackPlan) => String(plan.outputs.environment);
const views = (plan: StackPlan): ResourceView[] => plan.resources.map((r) => ({ urn: r.urn, type: r.type, name: r.name, inputs: structuredClone(r.inputs) as Record<string, any>, protect: r.protect }));

describe("every stack file keeps the invariants", () => {
    for (const stack of STACKS) {
        it(stack, async () => {
            const plan = await planStack(stack);
            assert.deepEqual(checkInvariants(views(plan), { environment: environmentOf(plan), allowWorldAdmin: false }), []);
        });
    }
});

describe("each invariant catches a broken plan", async () => {
    const plans = { prod: await planStack("prod"), staging: await planStack("staging") };
    const broken = (plan: StackPlan, edit: (rs: ResourceView[]) => void) => {
        const rs = views(plan);
        edit(rs);
        return checkInvariants(rs, { environment: environmentOf(plan), allowWorldAdmin: false }).map((v) => v.rule);
    };
    const hetznerFirewall = (rs: ResourceView[]) => rs.find((r) => r.type === "hcloud:index/firewall:Firewall")!;
    const deployment = (rs: ResourceView[]) => rs.find((r) => r.inputs.kind === "Deployment")!;
    const container = (rs: ResourceView[]) => deployment(rs).inputs.spec.template.spec.containers[0];
    const percona = (rs: ResourceView[]) => rs.find((r) => r.inputs.chart === "pxc-db")!;

    /** Deliberate breakages of a stack's plan, each of which exactly one invariant must catch. */
    const BREAKAGES: { rule: string; what: string; stack: keyof typeof plans; edit: (rs: ResourceView[]) => void }[] = [
        { rule: "no-world-admin-in-prod", what: "SSH open to the world", stack: "prod", edit: (rs) => (hetznerFirewall(rs).inputs.rules[0].sourceIps = ["0.0.0.0/0"]) },
        { rule: "no-world-admin-in-prod", what: "SSH open to the world as two halves", stack: "prod", edit: (rs) => (hetznerFirewall(rs).inputs.rules[0].sourceIps = ["0.0.0.0/1", "128.0.0.0/1"]) },
        {
            rule: "no-world-admin-in-prod",
            what: "SSH open to the world split over two rules",
            stack: "prod",
            edit: (rs) => {
                const rules = hetznerFirewall(rs).inputs.rules;
                const ssh = rules.find((r: any) => r.port === "22");
                ssh.sourceIps = ["0.0.0.0/1"];
                rules.push({ ...ssh, sourceIps: ["128.0.0.0/1"] });
            },
        },
        { rule: "no-world-admin-in-prod", what: "the API open to every IPv6 source", stack: "prod", edit: (rs) => hetznerFirewall(rs).inputs.rules.push({ direction: "in", protocol: "tcp", port: "6443", sourceIps: ["::/1", "8000::/1"] }) },
        {
            rule: "etcd-kubelet-never-public",
            what: "kubelet reachable from a CIDR",
            stack: "staging",
            edit: (rs) => rs.find((r) => r.name.endsWith("-aws-nodes"))!.inputs.ingress.push({ protocol: "tcp", fromPort: 10250, toPort: 10250, cidrBlocks: ["10.0.0.0/8"] }),
        },
        {
            rule: "etcd-kubelet-never-public",
            what: "etcd reachable from a CIDR",
            stack: "prod",
            edit: (rs) => hetznerFirewall(rs).inputs.rules.push({ direction: "in", protocol: "tcp", port: "2379-2380", sourceIps: ["10.0.0.0/8"] }),
        },
        { rule: "containers-limited-non-root", what: "a container without limits", stack: "prod", edit: (rs) => delete container(rs).resources.limits },
        {
            rule: "containers-limited-non-root",
            what: "a pod that may run as root",
            stack: "prod",
            edit: (rs) => {
                const spec = deployment(rs).inputs.spec.template.spec;
                delete spec.securityContext.runAsNonRoot;
                for (const c of [...(spec.initContainers ?? []), ...spec.containers]) delete c.securityContext?.runAsNonRoot;
            },
        },
        { rule: "app-pods-hardened", what: "an app pod that mounts its token", stack: "staging", edit: (rs) => delete deployment(rs).inputs.spec.template.spec.automountServiceAccountToken },
        { rule: "app-pods-hardened", what: "an app container with a writable root", stack: "prod", edit: (rs) => (container(rs).securityContext.readOnlyRootFilesystem = false) },
        { rule: "no-latest-images", what: "latest in prod", stack: "prod", edit: (rs) => (container(rs).image = "nginx:latest") },
        { rule: "no-latest-images", what: "no tag in prod", stack: "prod", edit: (rs) => (container(rs).image = "registry.acme.example:5000/copicloud/backend") },
        {
            rule: "database-volumes-retained-in-prod",
            what: "database volumes on a Delete class",
            stack: "prod",
            edit: (rs) => (percona(rs).inputs.values.pxc.persistence.storageClass = "standard"),
        },
        { rule: "database-protected-in-prod", what: "the database unprotected", stack: "prod", edit: (rs) => ((percona(rs) as { protect: boolean }).protect = false) },
    ];

    for (const invariant of INVARIANTS) {
        const cases = BREAKAGES.filter((b) => b.rule === invariant.name);
        it(`${invariant.name} has a broken plan to catch`, () => assert.ok(cases.length > 0, `no breakage for ${invariant.name}: add one above`));
        for (const b of cases) {
            it(`${invariant.name}: ${b.what}`, () => assert.deepEqual(broken(plans[b.stack], b.edit), [invariant.name]));
        }
    }
    it("every breakage names an invariant that exists", () => {
        assert.deepEqual(BREAKAGES.filter((b) => !INVARIANTS.some((i) => i.name === b.rule)).map((b) => b.rule), []);
    });
    it("an explicit allowWorldAdmin accepts SSH open to the world in prod", () => {
        const rs = views(plans.prod);
        hetznerFirewall(rs).inputs.rules[0].sourceIps = ["0.0.0.0/0"];
        assert.deepEqual(checkInvariants(rs, { environment: "prod", allowWorldAdmin: true }), []);
    });
    it("the config refuses a world-open admin source in prod before any plan", () => {
        assert.deepEqual(
            problems(withConfig((c) => {
                c["infra:environment"] = "prod";
                c["infra:ssh"].adminCidrs = ["0.0.0.0/0"];
            })).filter((p) => p.startsWith("infra:ssh")),
            ["infra:ssh.adminCidrs: opens SSH and the API to the world in prod (together the ranges cover a /8 or more): list your networks, or set ssh.allowWorldAdmin to true to accept it"],
        );
    });
    it("the config refuses a world-open union of admin sources in prod, and accepts networks smaller than a /8", () => {
        const prod = (cidrs: string[]) =>
            problems(withConfig((c) => {
                c["infra:environment"] = "prod";
                c["infra:ssh"].adminCidrs = cidrs;
            })).filter((p) => p.startsWith("infra:ssh"));
        for (const open of [["0.0.0.0/1", "128.0.0.0/1"], ["0.0.0.0/2", "64.0.0.0/2", "128.0.0.0/2", "192.0.0.0/2"], ["10.0.0.0/9", "10.128.0.0/9"], ["10.0.0.0/8"]])
            assert.equal(prod(open).length, 1, open.join(" + "));
        for (const fine of [["10.0.0.0/9"], ["198.51.100.0/24", "203.0.113.0/24"], ["10.0.0.0/9", "10.0.0.0/10"]]) assert.deepEqual(prod(fine), [], fine.join(" + "));
    });
});
