/**
 * Every Kubernetes object the plan writes (`--out DIR/manifests`) validates against the
 * Kubernetes object schemas (kubernetes-models, generated from the Kubernetes OpenAPI
 * definitions), the cert-manager objects against cert-manager's CRD schemas, and MetalLB's against
 * the CRDs of its pinned chart (tests/fixtures/metallb-crds-v0.16.1.yaml).
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import Ajv from "ajv";
import * as YAML from "yaml";
import { describe, it } from "node:test";
import { manifestsOf, planStack, stackNames } from "../../tools/plan";

type Model = new (o: object) => { validate(): void };

/** Models from CRD YAML: the served version's openAPIV3Schema, as the API server checks it (structural, no extra keywords). */
function crdModels(file: string): Record<string, Record<string, Model>> {
    const ajv = new Ajv({ strict: false, allErrors: true });
    const out: Record<string, Record<string, Model>> = {};
    for (const crd of YAML.parseAllDocuments(fs.readFileSync(file, "utf8")).map((d) => d.toJS())) {
        for (const v of crd.spec.versions) {
            const check = ajv.compile(v.schema.openAPIV3Schema);
            const apiVersion = `${crd.spec.group}/${v.name}`;
            out[apiVersion] ??= {};
            out[apiVersion][crd.spec.names.kind] = class {
                constructor(private readonly o: object) {}
                validate() {
                    if (!check(this.o)) throw new Error(ajv.errorsText(check.errors));
                }
            };
        }
    }
    return out;
}
const CRD_MODELS = crdModels(path.join(__dirname, "..", "fixtures", "metallb-crds-v0.16.1.yaml"));

/** The model class of an object: `apiVersion` picks the module, `kind` the export. */
async function modelOf(apiVersion: string, kind: string): Promise<Model> {
    if (CRD_MODELS[apiVersion]) {
        const crd = CRD_MODELS[apiVersion][kind];
        assert.ok(crd, `no schema for ${apiVersion} ${kind}`);
        return crd;
    }
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
