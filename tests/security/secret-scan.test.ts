/**
 * The secret scan: every secret the plan knows (the stack file's secrets, generated passwords,
 * tokens, keys, the kubeconfig and join material) must appear in no non-secret input, output,
 * script, manifest outside a Secret, command line or log line of the plan.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { describe, it } from "node:test";
import * as YAML from "yaml";
import { manifestsOf, planStack, planText, REPO_ROOT, scriptsOf, type StackPlan, stackNames } from "../../tools/plan";

const STACKS = stackNames();

/**
 * Every secret the plan knows: the stack file's secrets, what resources generate as secrets
 * (passwords, keys, tokens), the kubeconfig and the join material.
 */
function knownSecrets(plan: StackPlan): string[] {
    const join = (plan.plainOutputs.join ?? {}) as { token?: string; caCertHash?: string };
    const kubeconfig = plan.plainOutputs.kubeconfig;
    return [
        ...new Set([
            ...Object.values(plan.file.placeholders),
            ...plan.secretOutputs,
            ...(typeof kubeconfig === "string" ? [kubeconfig] : []),
            ...[join.token, join.caCertHash].filter((x): x is string => typeof x === "string"),
        ]),
    ].filter((s) => s.length >= 12);
}

/** Everything the plan shows or sends in the clear. */
function visible(plan: StackPlan): { where: string; text: string }[] {
    const manifests = manifestsOf(plan.resources, plan.plainInputs).filter((m) => m.object.kind !== "Secret");
    return [
        { where: "resource inputs", text: JSON.stringify(plan.resources) },
        { where: "stack outputs", text: JSON.stringify(plan.outputs) },
        { where: "log", text: plan.log.join("\n") },
        ...scriptsOf(plan.resources).map((s) => ({ where: `script ${s.file}`, text: s.script })),
        ...manifests.map((m) => ({ where: `manifest ${m.file}`, text: YAML.stringify(m.object) })),
    ];
}

function leaks(plan: StackPlan): string[] {
    const secrets = knownSecrets(plan);
    assert.ok(secrets.length > 0, "the scan knows some secrets");
    const out: string[] = [];
    for (const { where, text } of visible(plan)) for (const s of secrets) if (text.includes(s)) out.push(`${where} holds a secret (${s.slice(0, 6)}…)`);
    return out;
}

describe("secret scan", () => {
    for (const stack of STACKS.filter((s) => s !== "local")) {
        it(`${stack}: no secret in any input, output, script, manifest or log line`, async () => {
            assert.deepEqual(leaks(await planStack(stack)), []);
        });
    }
    it("catches a secret put where it does not belong", async () => {
        const text = fs.readFileSync(`${REPO_ROOT}/Pulumi.dev.yaml`, "utf8");
        const plan0 = await planStack("dev");
        const placeholder = plan0.file.placeholders["infra:registryPassword"];
        // A user pastes the registry password into a plain environment variable whose name does not
        // say "secret" (the config refuses names that do).
        const broken = text.replace("      replicas: 2\n", `      replicas: 2\n      env:\n        DEPLOY_NOTE: ${placeholder}\n`);
        assert.notEqual(broken, text);
        const found = leaks(await planText("dev", broken));
        assert.ok(found.some((f) => f.startsWith("resource inputs")), found.join("\n"));
        assert.ok(found.some((f) => f.startsWith("manifest Deployment-copicloud-backend")), found.join("\n"));
    });
});
