/**
 * Secrets stay secrets: provider credentials only encrypted, no secret-looking or program-owned
 * names in plain env (which lands in Deployment and Job specs), and the app's own secrets from
 * `infra:appSecrets` (Pulumi secrets) into the Kubernetes Secret app-secrets, to the workloads
 * that list them.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { awsConfig, planConfig, problems, withConfig } from "../helpers";

const apps = (backend: Record<string, unknown>, extra: (c: Record<string, any>) => void = () => {}) =>
    withConfig((c) => {
        c["infra:apps"] = { host: "app.example.com", backend: { image: "team/api:1.0", ...backend }, database: {} };
        extra(c);
    });
const appProblems = (config: Record<string, any>) => problems(config).filter((p) => p.startsWith("infra:apps") || p.startsWith("infra:appSecrets"));

describe("plain secrets are refused", () => {
    it("AWS credentials in plain text", () => {
        const c = awsConfig([{ name: "cp", provider: "aws", role: "control-plane", count: 1, instanceType: "t3.medium" }]);
        c["aws:secretKey"] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
        c["aws:accessKey"] = "AKIAIOSFODNN7EXAMPLE";
        assert.deepEqual(problems(c).filter((p) => p.startsWith("aws:")), [
            "aws:accessKey: must be stored encrypted: pulumi config set --secret aws:accessKey ... (or leave it out and use the environment's AWS credentials)",
            "aws:secretKey: must be stored encrypted: pulumi config set --secret aws:secretKey ... (or leave it out and use the environment's AWS credentials)",
        ]);
        c["aws:secretKey"] = { secure: "v1:x" };
        c["aws:accessKey"] = { secure: "v1:y" };
        assert.deepEqual(problems(c).filter((p) => p.startsWith("aws:")), []);
    });
    it("secret-looking names in plain env", () => {
        for (const name of ["DJANGO_SECRET", "SMTP_PASSWORD", "GITHUB_TOKEN", "STRIPE_API_KEY", "AWS_ACCESS_KEY_ID", "db_passwd"]) {
            assert.deepEqual(appProblems(apps({ env: { [name]: "x" } })), [
                `infra:apps.backend.env.${name}: looks like a secret, and plain env lands in the Deployment's spec: set it with pulumi config set --secret --path 'infra:appSecrets.${name}' ... and list "${name}" in secrets`,
            ]);
        }
        assert.deepEqual(appProblems(apps({ env: { DEBUG: "0", LOG_LEVEL: "info" } })), []);
    });
    it("plain env that would shadow what the program fills from Secrets", () => {
        for (const name of ["DB_HOST", "DB_USER", "ALLOWED_HOSTS"])
            assert.deepEqual(appProblems(apps({ env: { [name]: "x" } })), [`infra:apps.backend.env.${name}: is set by the program (DJANGO_SECRET_KEY, ALLOWED_HOSTS, STATIC_ROOT, DB_HOST, DB_PORT, DB_NAME, DB_USER, DB_PASSWORD): remove it`]);
    });
});

describe("infra:appSecrets", () => {
    const withSecrets = (backend: Record<string, unknown>) => apps(backend, (c) => (c["infra:appSecrets"] = { STRIPE_API_KEY: { secure: "v1:stripe" }, SMTP_PASSWORD: { secure: "v1:smtp" } }));
    it("reaches the workloads that list its entries, from the Secret app-secrets, never their spec", async () => {
        const { plan, named, plain } = await planConfig(withSecrets({ secrets: ["STRIPE_API_KEY"] }));
        const secret = plan.resources.find((r) => r.type === "kubernetes:core/v1:Secret" && (r.inputs.metadata as { name?: string })?.name === "app-secrets")!;
        assert.ok(secret, "the Secret app-secrets");
        assert.equal(secret.inputs.stringData, "[secret]");
        assert.deepEqual(Object.keys(plan.plainInputs.get(secret.urn)!.stringData as object).sort(), ["SMTP_PASSWORD", "STRIPE_API_KEY"]);
        const deployment = plan.resources.find((r) => r.inputs.kind === "Deployment" && (r.inputs.metadata as { name?: string })?.name === "backend")!;
        const env = (plan.plainInputs.get(deployment.urn)!.spec as any).template.spec.containers[0].env as { name: string; value?: string; valueFrom?: any }[];
        assert.deepEqual(env.find((e) => e.name === "STRIPE_API_KEY"), { name: "STRIPE_API_KEY", valueFrom: { secretKeyRef: { name: "app-secrets", key: "STRIPE_API_KEY" } } });
        assert.ok(!env.some((e) => e.name === "SMTP_PASSWORD"), "only the listed entries");
        assert.ok(deployment.dependsOn.includes(secret.urn) || plan.resources.some((r) => r.dependsOn.includes(secret.urn)), "workloads wait for the Secret");
        const text = JSON.stringify(plan.resources.filter((r) => r.urn !== secret.urn).map((r) => plan.plainInputs.get(r.urn)));
        for (const v of ["v1:stripe", "v1:smtp", plan.file.placeholders["infra:appSecrets.STRIPE_API_KEY"]].filter(Boolean)) assert.ok(!text.includes(v as string), "no secret value in another object");
        void named;
        void plain;
    });
    it("a listed name must be an entry, and not one the program sets", () => {
        assert.deepEqual(appProblems(withSecrets({ secrets: ["NOPE", "DB_PASSWORD"] })), [
            "infra:apps.backend.secrets[0]: NOPE is not an entry of infra:appSecrets: pulumi config set --secret --path 'infra:appSecrets.NOPE' ...",
            "infra:apps.backend.secrets[1]: DB_PASSWORD is set by the program: pick another name",
        ]);
    });
    it("must be stored encrypted, a map of names to strings, and used with apps", () => {
        assert.deepEqual(appProblems(apps({}, (c) => (c["infra:appSecrets"] = { A: "plain" }))), ["infra:appSecrets: must be stored encrypted: pulumi config set --secret infra:appSecrets ..."]);
        assert.deepEqual(appProblems(apps({}, (c) => (c["infra:appSecrets"] = { "bad-name": { secure: "v1:x" } }))), ["infra:appSecrets.bad-name: entry names are environment variable names (letters, digits and _)"]);
        assert.deepEqual(problems(withConfig((c) => (c["infra:appSecrets"] = { A: { secure: "v1:x" } }))), ["infra:appSecrets: is only used with infra:apps (the workloads that list its entries in their secrets)"]);
    });
});
