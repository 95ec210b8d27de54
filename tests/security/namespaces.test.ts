/**
 * The application's namespace is its own: never Kubernetes', the CNI's or one the platform
 * installs into, where the app's restricted Pod Security and default-deny policy would land on
 * system pods (or the same Namespace would be declared twice).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { reservedNamespace } from "../../infra/config";
import { planStack, stackNames } from "../../tools/plan";
import { problems, withConfig } from "../helpers";

const appsIn = (namespace: string) =>
    problems(withConfig((c) => (c["infra:apps"] = { namespace, host: "app.example.com", workloads: [{ name: "web", image: "nginx:1.27" }] }))).filter((p) => p.startsWith("infra:apps"));

describe("apps.namespace", () => {
    it("refuses Kubernetes' and the CNI's namespaces and the kube- prefix", () => {
        for (const ns of ["default", "kube-system", "kube-public", "kube-node-lease", "kube-anything", "calico-system", "calico-apiserver"])
            assert.deepEqual(appsIn(ns).length, 1, ns);
        assert.match(appsIn("kube-system")[0], /^infra:apps\.namespace: cannot be kube-system: it belongs to Kubernetes or the CNI; use a namespace of the application's own, such as apps$/);
        assert.match(appsIn("kube-x")[0], /the kube- prefix is reserved/);
    });
    it("refuses the namespaces the platform installs into", () => {
        for (const ns of ["ingress", "cert-manager", "tigera-operator", "nfs-provisioner", "local-path-storage"])
            assert.deepEqual(appsIn(ns), [`infra:apps.namespace: cannot be ${ns}: the platform installs its add-ons there; use a namespace of the application's own, such as apps`]);
    });
    it("accepts an own namespace", () => {
        assert.deepEqual(appsIn("shop"), []);
    });
    it("every namespace a stack file's plan installs into, beside the app's, is reserved (the list cannot fall behind the platform)", async () => {
        for (const stack of stackNames()) {
            const plan = await planStack(stack);
            const apps = plan.file.values["infra:apps"];
            const appNs = apps ? ((JSON.parse(apps) as { namespace?: string }).namespace ?? "apps") : undefined;
            const used = new Set(
                plan.resources
                    .filter((r) => r.type.startsWith("kubernetes:"))
                    .map((r) => { const i = r.inputs as Record<string, any>; return r.type === "kubernetes:core/v1:Namespace" ? i.metadata?.name : (i.namespace ?? i.metadata?.namespace); })
                    .filter((ns): ns is string => typeof ns === "string" && ns !== appNs),
            );
            assert.ok(used.size > 0 || stack === "prod-burst", `${stack} installs nothing?`);
            for (const ns of used) assert.ok(reservedNamespace(ns), `${stack}: ${ns} is used by the platform but not reserved`);
        }
    });
});
