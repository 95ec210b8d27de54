// `npx pulumi preview --policy-pack policy`: the invariants the test suite checks on the offline
// plan, enforced on the real resources. Policy config `environment` (default: the stack's name
// contains "prod") and `allowWorldAdmin` match the stack's infra:environment and infra:ssh.
import { PolicyPack } from "@pulumi/policy";
import { INVARIANTS } from "../infra/policy/invariants";

new PolicyPack("infra-invariants", {
    policies: INVARIANTS.map((invariant) => ({
        name: invariant.name,
        description: invariant.description,
        enforcementLevel: "mandatory" as const,
        configSchema: { properties: { environment: { type: "string" as const }, allowWorldAdmin: { type: "boolean" as const } } },
        validateStack: (args, reportViolation) => {
            const config = args.getConfig<{ environment?: string; allowWorldAdmin?: boolean }>();
            const environment = config.environment ?? (/prod/.test(process.env.PULUMI_NODEJS_STACK ?? process.env.PULUMI_STACK ?? "") ? "prod" : "dev");
            const resources = args.resources.map((r) => ({ urn: r.urn, type: r.type, name: r.name, inputs: r.props, protect: r.opts.protect ?? false }));
            for (const v of invariant.check(resources, { environment, allowWorldAdmin: config.allowWorldAdmin ?? false })) reportViolation(v.message, v.urn);
        },
    })),
});
