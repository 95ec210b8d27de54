/**
 * Every Kubernetes object the plan writes (`--out DIR/manifests`) validates against the
 * Kubernetes object schemas (kubernetes-models, generated from the Kubernetes OpenAPI
 * definitions), and the cert-manager objects against cert-manager's CRD schemas.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { manifestsOf, planStack, stackNames } from "../../tools/plan";

type Model = new (o: object) => { validate(): void };

/** The model class of an object: `apiVersion` picks the module, `kind` the export. */
async function modelOf(apiVersion: string, kind: string): Promise<Model> {
    const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
    const mod = group.endsWith("cert-manager.io")
        ? await import(`@kubernetes-models/cert-manager/${group}/${version}`)
        : await import(group ? `kubernetes-models/${group}/${version}` : `kubernetes-models/${version}`);
    const model = (mod as Record<string, Model>)[kind];
    assert.ok(model, `no schema for ${apiVersion} ${kind}`);
    return model;
}

const STACKS = stackNames();

describe("manifests validate against their schemas", () => {
    for (const stack of STACKS) {
        it(`${stack}: every object the plan writes`, async () => {
            const plan = await planStack(stack);
            const manifests = manifestsOf(plan.resources, plan.plainInputs);
            // A burst stack adds machines only; every other stack declares Kubernetes objects.
            assert.equal(manifests.length > 0, !plan.file.values["infra:mode"]?.includes("burst"));
            for (const { file, object } of manifests) {
                const Model = await modelOf(String(object.apiVersion), String(object.kind));
                assert.doesNotThrow(() => new Model(object).validate(), (e: unknown) => `${file}: ${(e as Error).message}`);
            }
        });
    }

    it("the validator rejects a broken object (it is not a no-op)", async () => {
        const StorageClass = await modelOf("storage.k8s.io/v1", "StorageClass");
        assert.throws(() => new StorageClass({ metadata: { name: "x" }, provisioner: 42, reclaimPolicy: "Delete" }).validate(), /provisioner/);
        const ClusterIssuer = await modelOf("cert-manager.io/v1", "ClusterIssuer");
        assert.throws(() => new ClusterIssuer({ metadata: { name: "x" }, spec: { acme: { server: 1 } } }).validate());
    });
});
