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
    const prod = await planStack("prod");
    const staging = await planStack("staging");
    const broken = (plan: StackPlan, edit: (rs: ResourceView[]) => void) => {
        const rs = views(plan);
        edit(rs);
        return checkInvariants(rs, { environment: environmentOf(plan), allowWorldAdmin: false }).map((v) => v.rule);
    };
    const hetznerFirewall = (rs: ResourceView[]) => rs.find((r) => r.type === "hcloud:index/firewall:Firewall")!;

    it("no-world-admin-in-prod: SSH open to the world", () => {
        assert.deepEqual(broken(prod, (rs) => (hetznerFirewall(rs).inputs.rules[0].sourceIps = ["0.0.0.0/0"])), ["no-world-admin-in-prod"]);
        const rs = views(prod);
        hetznerFirewall(rs).inputs.rules[0].sourceIps = ["0.0.0.0/0"];
        assert.deepEqual(checkInvariants(rs, { environment: "prod", allowWorldAdmin: true }), [], "unless explicitly allowed");
    });
    it("etcd-kubelet-never-public: kubelet reachable from a CIDR", () => {
        assert.deepEqual(
            broken(staging, (rs) => rs.find((r) => r.name.endsWith("-aws-nodes"))!.inputs.ingress.push({ protocol: "tcp", fromPort: 10250, toPort: 10250, cidrBlocks: ["10.0.0.0/8"] })),
            ["etcd-kubelet-never-public"],
        );
    });
    it("containers-limited-non-root: a container without limits", () => {
        assert.deepEqual(broken(prod, (rs) => delete rs.find((r) => r.inputs.kind === "Deployment")!.inputs.spec.template.spec.containers[0].resources.limits), ["containers-limited-non-root"]);
    });
    it("no-latest-images: latest in prod", () => {
        assert.deepEqual(broken(prod, (rs) => (rs.find((r) => r.inputs.kind === "Deployment")!.inputs.spec.template.spec.containers[0].image = "nginx:latest")), ["no-latest-images"]);
    });
    it("database-volumes-retained-in-prod and database-protected-in-prod", () => {
        assert.deepEqual(
            broken(prod, (rs) => {
                const db = rs.find((r) => r.inputs.chart === "pxc-db")!;
                db.inputs.values.pxc.persistence.storageClass = "standard";
                (db as { protect: boolean }).protect = false;
            }),
            ["database-volumes-retained-in-prod", "database-protected-in-prod"],
        );
    });
    it("there is a test above for every invariant", () => {
        assert.deepEqual(INVARIANTS.map((i) => i.name), ["no-world-admin-in-prod", "etcd-kubelet-never-public", "containers-limited-non-root", "no-latest-images", "database-volumes-retained-in-prod", "database-protected-in-prod"]);
    });
    it("the config refuses a world-open admin source in prod before any plan", () => {
        assert.deepEqual(
            problems(withConfig((c) => {
                c["infra:environment"] = "prod";
                c["infra:ssh"].adminCidrs = ["0.0.0.0/0"];
            })).filter((p) => p.startsWith("infra:ssh")),
            ["infra:ssh.adminCidrs: opens SSH and the API to the world in prod: list your networks, or set ssh.allowWorldAdmin to true to accept it"],
        );
    });
});
