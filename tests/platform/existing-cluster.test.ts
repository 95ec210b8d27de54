/**
 * Apps-only stacks on the clusters users point them at: planned against what a default kind,
 * minikube and k3s (k3d) cluster already contains (tests/fixtures/existing-clusters.json, read
 * from their sources), they create none of those objects: creating an existing object fails with
 * AlreadyExists (pulumi-kubernetes creates with a plain POST since 4.29), and adopting one would
 * take it from its owner.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import * as YAML from "yaml";
import { localPathObjects } from "../../infra/platform/storage";
import { CHART_FACTS } from "../../infra/platform/versions";
import { planText, type PlannedResource, stackFilePath } from "../../tools/plan";
import { problems, type Json } from "../helpers";

interface Existing {
    readonly context: string;
    readonly defaultStorageClass: string;
    readonly objects: readonly { kind: string; name: string; namespace?: string }[];
}
const FIXTURE = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "fixtures", "existing-clusters.json"), "utf8")) as Record<string, Existing>;
const CLUSTER_SCOPED = new Set(["Namespace", "ClusterRole", "ClusterRoleBinding", "StorageClass", "IngressClass", "APIService", "CustomResourceDefinition"]);

/** What a plan creates in the cluster, as kind/namespace/name: objects, the manifests' objects, the charts' fixed names. */
function created(resources: readonly PlannedResource[]): string[] {
    const key = (kind: string, name: string, ns?: string) => `${kind}/${CLUSTER_SCOPED.has(kind) ? "" : (ns ?? "default")}/${name}`;
    const out: string[] = [];
    for (const r of resources) {
        if (r.read || !r.type.startsWith("kubernetes:")) continue;
        const kind = r.type.split(":")[2];
        const md = r.inputs.metadata as { name?: string; namespace?: string } | undefined;
        if (r.type === "kubernetes:helm.sh/v4:Chart") {
            const facts = CHART_FACTS[String(r.inputs.chart)];
            for (const o of facts?.fixedObjects?.((r.inputs.values ?? {}) as object) ?? []) out.push(key(o.kind, o.name));
        } else if (r.type === "kubernetes:yaml/v2:ConfigGroup") {
            for (const o of (r.inputs.objs ?? []) as { kind: string; metadata: { name: string; namespace?: string } }[]) out.push(key(o.kind, o.metadata.name, o.metadata.namespace));
        } else if (md?.name) out.push(key(kind, md.name, md.namespace));
    }
    return out;
}

async function planOn(distribution: string, context: string) {
    const file = YAML.parse(fs.readFileSync(stackFilePath("local"), "utf8"));
    file.config["infra:existingCluster"] = { context, distribution };
    return planText("local", YAML.stringify(file));
}

describe("apps-only on the clusters users have", () => {
    for (const [distribution, existing] of Object.entries(FIXTURE).filter(([k]) => !k.startsWith("_"))) {
        it(`${distribution}: creates none of the objects a default cluster has, and puts the database on its class ${existing.defaultStorageClass}`, async () => {
            const plan = await planOn(distribution, existing.context);
            const mine = new Set(created(plan.resources));
            const clashes = existing.objects.map((o) => `${o.kind}/${CLUSTER_SCOPED.has(o.kind) ? "" : (o.namespace ?? "default")}/${o.name}`).filter((k) => mine.has(k));
            assert.deepEqual(clashes, []);
            const defaults = plan.resources.filter((r) => !r.read && r.inputs.kind === "StorageClass" && (r.inputs.metadata as any).annotations?.["storageclass.kubernetes.io/is-default-class"] === "true");
            assert.deepEqual(defaults, [], "a second default class");
            const db = plan.resources.find((r) => r.inputs.kind === "StatefulSet")!;
            assert.equal((db.inputs.spec as any).volumeClaimTemplates[0].spec.storageClassName, existing.defaultStorageClass);
            assert.deepEqual(plan.findings, []);
        });
    }

    it("k3s: its Traefik, metrics-server and ServiceLB are used, not installed again", async () => {
        const plan = await planOn("k3s", "k3d-k3s-default");
        const charts = plan.resources.filter((r) => r.type === "kubernetes:helm.sh/v4:Chart").map((r) => r.inputs.chart);
        assert.deepEqual(charts, ["cert-manager"]);
        const ingress = plan.resources.find((r) => r.inputs.kind === "Ingress")!;
        assert.equal((ingress.inputs.spec as any).ingressClassName, "traefik");
        assert.equal((ingress.inputs.metadata as any).annotations?.["pulumi.com/skipAwait"], undefined, "ServiceLB gives Traefik's Service an address, which it publishes");
        const issuer = plan.resources.find((r) => r.inputs.kind === "ClusterIssuer")!;
        assert.ok(issuer);
        assert.ok(plan.resources.some((r) => r.read && r.id === "traefik"), "the class is read: a cluster without it fails the preview");
    });

    it("the local-path manifest, where the platform installs it, leaves out the Namespace it creates itself and the class it does not want", () => {
        const kinds = localPathObjects().map((o) => o.kind);
        assert.ok(!kinds.includes("Namespace") && !kinds.includes("StorageClass"), kinds.join(", "));
        assert.ok(kinds.includes("Deployment"));
        const cm = localPathObjects().find((o) => o.kind === "ConfigMap")!;
        assert.match(cm.data!["helperPod.yaml"], /image: docker\.io\/library\/busybox:\d+\.\d+\.\d+$/m, "the helper image is pinned");
    });

    it("validates infra:existingCluster.distribution and .provides, naming the key and what is allowed", () => {
        const base: Record<string, Json> = { "infra:environment": "dev", "infra:mode": "apps-only" };
        assert.deepEqual(problems({ ...base, "infra:existingCluster": { distribution: "rancher" } }), ["infra:existingCluster.distribution: must be one of: kind, minikube, k3s, other"]);
        assert.deepEqual(problems({ ...base, "infra:existingCluster": { provides: { storageClass: "Fast_SSD", loadBalancer: "yes", ingress: "x" } } }), [
            "infra:existingCluster.provides.storageClass: must be a lowercase DNS label (a-z, 0-9 and '-', starting with a letter): a storage class name",
            "infra:existingCluster.provides.loadBalancer: must be true or false, got a string",
            "infra:existingCluster.provides.ingress: unknown key; allowed keys: storageClass, ingressClass, metricsServer, loadBalancer",
        ]);
    });

    it("refuses what cannot work on them, naming the key", () => {
        const base = (): Record<string, Json> => ({ "infra:environment": "dev", "infra:mode": "apps-only", "infra:existingCluster": { distribution: "kind" } });
        const withExposure = { ...base(), "infra:platform": { ingress: { exposure: "loadBalancer" } } };
        assert.match(problems(withExposure).join("\n"), /infra:platform\.ingress\.exposure: loadBalancer needs a cluster that gives LoadBalancer Services an address/);
        const localPath = { ...base(), "infra:platform": { storage: { provisioner: "local-path", classes: [{ name: "fast", default: false }] } } };
        assert.match(problems(localPath).join("\n"), /infra:platform\.storage\.provisioner: local-path: kind already runs local-path-provisioner/);
        const second = { ...base(), "infra:platform": { storage: { provisioner: "nfs", nfs: { server: "10.0.0.5", path: "/srv" }, classes: [{ name: "standard", default: true }] } } };
        const found = problems(second).join("\n");
        assert.match(found, /infra:platform\.storage\.classes: the cluster's class standard is already the default/);
        assert.match(found, /infra:platform\.storage\.classes\[0\]\.name: "standard" is the cluster's own class/);
        const lb = { ...base(), "infra:apps": { namespace: "shop", host: "shop.example.com", workloads: [{ name: "web", image: "nginx:1.27.0", service: "LoadBalancer" }] } };
        assert.match(problems(lb).join("\n"), /infra:apps\.workloads\[0\]\.service: LoadBalancer: nothing in this cluster gives LoadBalancer Services an address/);
        const k3s = { ...lb, "infra:existingCluster": { distribution: "k3s" } };
        assert.deepEqual(problems(k3s).filter((p) => p.includes("service")), [], "k3s' ServiceLB gives them one");
    });
});
