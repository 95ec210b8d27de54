/**
 * The plan's await and chart-fact findings: each rule on the case it exists for (what the program
 * did before: the mock runtime planned it, a real `pulumi up` would hang or fail), and every stack
 * file of the repository plans with none.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { awaitFindings, type PlanView } from "../../infra/policy/await";
import { certManagerValues } from "../../infra/platform/cert-manager";
import { ingressNginxValues, traefikValues } from "../../infra/platform/ingress";
import { perconaOperatorValues } from "../../infra/apps/database/percona";
import { CHART_FACTS, CHARTS } from "../../infra/platform/versions";
import { planConfig, validConfig } from "../helpers";
import { planStack, stackNames } from "../../tools/plan";

let n = 0;
function chart(name: string, values: object, extra: Partial<PlanView> & { namespace?: string } = {}): PlanView {
    const ref = Object.values(CHARTS).find((c) => c.chart === name);
    return { urn: `urn:chart-${++n}`, type: "kubernetes:helm.sh/v4:Chart", name: `${name}-${n}`, dependsOn: [], inputs: { chart: name, version: ref?.version ?? CHART_FACTS[name]?.version, namespace: extra.namespace ?? "ingress", values }, ...extra };
}
function object(type: string, inputs: Record<string, any>, extra: Partial<PlanView> = {}): PlanView {
    return { urn: `urn:obj-${++n}`, type: `kubernetes:${type}`, name: `obj-${n}`, dependsOn: [], inputs, ...extra };
}
const namespace = (name: string, level: string) => object("core/v1:Namespace", { metadata: { name, labels: { "pod-security.kubernetes.io/enforce": level } } });
const ingress = (annotations: Record<string, string> = {}) => object("networking.k8s.io/v1:Ingress", { metadata: { name: "app", annotations }, spec: { ingressClassName: "nginx" } });
const rules = (resources: PlanView[], ctx = { loadBalancer: false }) => awaitFindings(resources, ctx).map((f) => `${f.rule}: ${f.message}`);

describe("Helm hooks helm.sh/v4:Chart never runs", () => {
    it("ingress-nginx with its admission webhook (the old values): the hook Jobs that make its certificate", () => {
        const old = { controller: { ...ingressNginxValues("loadBalancer", {}).controller, admissionWebhooks: { enabled: true } } };
        const found = rules([chart("ingress-nginx", old)]);
        assert.equal(found.filter((f) => f.startsWith("helm-hook:")).length, 2, found.join("\n"));
        assert.match(found.join("\n"), /Secret <fullname>-admission/);
        assert.deepEqual(rules([chart("ingress-nginx", ingressNginxValues("loadBalancer", {}))]).filter((f) => f.startsWith("helm-hook")), []);
    });
    it("cert-manager with startupapicheck on (the chart's default): replaced by the program's own Job", () => {
        assert.match(rules([chart("cert-manager", { crds: { enabled: true } }, { namespace: "cert-manager" })]).join("\n"), /helm-hook: cert-manager relies on the Helm hook startupapicheck/);
        assert.deepEqual(rules([chart("cert-manager", certManagerValues(), { namespace: "cert-manager" })]), []);
    });
    it("a chart at a version whose facts nobody read is a finding (Traefik 41.6.0, Calico 3.32.3)", () => {
        const found = rules([{ ...chart("traefik", {}), inputs: { chart: "traefik", version: "41.6.0", namespace: "ingress", values: {} } }]);
        assert.match(found.join("\n"), /chart-facts: chart traefik 41.6.0 has no facts recorded/);
    });
    it("every pinned chart has facts at its pinned version", () => {
        for (const c of Object.values(CHARTS)) assert.equal(CHART_FACTS[c.chart]?.version, c.version, c.chart);
    });
});

describe("Ingress status: Pulumi waits for .status.loadBalancer.ingress", () => {
    it("Traefik on node ports publishes none: the Ingress must skip the wait (prod before)", () => {
        const controller = chart("traefik", traefikValues("nodePort", {}));
        assert.match(rules([controller, ingress()]).join("\n"), /ingress-status: Ingress app \(class nginx\): no controller publishes/);
        assert.deepEqual(rules([controller, ingress({ "pulumi.com/skipAwait": "true" })]), []);
    });
    it("Traefik on the host network publishes none either (no node fallback in its ingress-nginx provider)", () => {
        assert.equal(rules([chart("traefik", traefikValues("hostNetwork", {})), ingress()]).filter((f) => f.startsWith("ingress-status")).length, 1);
    });
    it("a published address (the AWS load balancer) or a LoadBalancer Service is a status", () => {
        const cases: [string, object][] = [
            ["traefik", traefikValues("nodePort", {}, "ing-123.elb.amazonaws.com")],
            ["ingress-nginx", ingressNginxValues("nodePort", {}, "ing-123.elb.amazonaws.com")],
            ["ingress-nginx", ingressNginxValues("hostNetwork", {})],
        ];
        for (const [name, values] of cases) assert.deepEqual(rules([chart(name, values, { namespace: "kube-system" }), ingress()]), [], name);
    });
});

describe("LoadBalancer Services need something that gives them an address", () => {
    it("an ingress controller behind a LoadBalancer Service on a cluster with no implementation", () => {
        const found = rules([chart("traefik", traefikValues("loadBalancer", {}), { namespace: "kube-system" })]);
        assert.match(found.join("\n"), /load-balancer: traefik renders a LoadBalancer Service/);
    });
    it("the Hetzner cloud controller, or an existing cluster that has one (k3s' ServiceLB), implements them", () => {
        const ccm = chart("hcloud-cloud-controller-manager", { networking: { enabled: true } }, { namespace: "kube-system" });
        assert.deepEqual(rules([ccm, chart("traefik", traefikValues("loadBalancer", {}), { namespace: "kube-system" })]), []);
        const svc = object("core/v1:Service", { metadata: { name: "web" }, spec: { type: "LoadBalancer" } });
        assert.equal(rules([svc]).length, 1);
        assert.deepEqual(rules([svc], { loadBalancer: true }), []);
    });
});

describe("Pod Security: a chart's pods against its namespace's level", () => {
    it("pxc-operator 1.20.0 ships no securityContext: refused by a restricted namespace (prod before), admitted with the program's", () => {
        const ns = namespace("copicloud", "restricted");
        assert.match(rules([ns, chart("pxc-operator", { watchNamespace: "" }, { namespace: "copicloud" })]).join("\n"), /pod-security: pxc-operator's pods need Pod Security baseline, namespace copicloud enforces restricted/);
        assert.deepEqual(rules([ns, chart("pxc-operator", perconaOperatorValues(), { namespace: "copicloud" })]), []);
    });
    it("Traefik on the host network needs privileged", () => {
        assert.match(rules([namespace("ingress", "baseline"), chart("traefik", { ...traefikValues("hostNetwork", {}), providers: { kubernetesIngressNGINX: { publishStatusAddress: "x" } } })]).join("\n"), /traefik.s pods need Pod Security privileged, namespace ingress enforces baseline/);
    });
});

describe("CRDs: custom objects wait for the chart that installs their kind", () => {
    it("Calico 3.32's operator chart renders an Installation, whose CRD is in crd.projectcalico.org.v1 only", () => {
        const operator = chart("tigera-operator", {}, { namespace: "tigera-operator" });
        assert.match(rules([operator]).join("\n"), /crd: tigera-operator renders operator.tigera.io objects, and no chart it waits for installs their CRDs/);
        const crds = chart("crd.projectcalico.org.v1", {}, { namespace: "tigera-operator" });
        assert.deepEqual(rules([crds, { ...operator, dependsOn: [crds.urn] }]), []);
    });
    it("a ClusterIssuer that does not wait for cert-manager's chart", () => {
        const cm = chart("cert-manager", certManagerValues(), { namespace: "cert-manager" });
        const issuer = object("cert-manager.io/v1:ClusterIssuer", { metadata: { name: "selfsigned" } });
        assert.match(rules([cm, issuer]).join("\n"), /crd: ClusterIssuer selfsigned \(cert-manager.io\) waits for no chart/);
        assert.deepEqual(rules([cm, { ...issuer, dependsOn: [cm.urn] }]), []);
    });
});

describe("volumes: the class a StatefulSet claims must exist and be served", () => {
    const db = (cls: string) => object("apps/v1:StatefulSet", { metadata: { name: "database" }, spec: { volumeClaimTemplates: [{ spec: { storageClassName: cls } }] } });
    it("a class nobody provisions (the old local stack: the manifest's provisioner came through a ConfigFile it could not see)", () => {
        const cls = object("storage.k8s.io/v1:StorageClass", { metadata: { name: "standard" }, provisioner: "rancher.io/local-path" });
        assert.match(rules([cls, db("standard")]).join("\n"), /volume-class: class standard provisions through rancher.io\/local-path, which nothing in this stack runs/);
        assert.match(rules([db("fast")]).join("\n"), /claims class fast, which neither this stack nor the cluster has/);
    });
    it("the existing cluster's class, read, is served by the cluster", () => {
        const read = object("storage.k8s.io/v1:StorageClass", {}, { read: true, id: "standard" });
        assert.deepEqual(rules([read, db("standard")]), []);
    });
});

describe("every stack file plans with no finding", () => {
    for (const stack of stackNames())
        it(stack, async () => {
            const plan = await planStack(stack);
            assert.deepEqual(plan.findings, []);
        });
    it("with Traefik on the host network too (it used to fail to render and to bind 80/443)", async () => {
        const c = validConfig();
        (c["infra:platform"] as any).ingress = { controller: "traefik", exposure: "hostNetwork" };
        c["infra:apps"] = { namespace: "shop", host: "shop.example.com", backend: { image: "registry.example.com/shop/backend:1.0.0" } };
        const { plan, ofType } = await planConfig(c);
        assert.deepEqual(plan.findings, []);
        const traefik = ofType("kubernetes:helm.sh/v4:Chart").find((r) => r.inputs.chart === "traefik")!;
        const v = traefik.inputs.values as any;
        assert.deepEqual(v.updateStrategy.rollingUpdate, { maxUnavailable: 1, maxSurge: 0 }, "the chart refuses maxUnavailable 0 with hostNetwork");
        assert.deepEqual(v.securityContext.capabilities, { drop: ["ALL"], add: ["NET_BIND_SERVICE"] });
        assert.equal(v.podSecurityContext.runAsUser, 0, "binds 80/443 on the host");
        const app = ofType("kubernetes:networking.k8s.io/v1:Ingress");
        assert.equal(app.length, 1);
        for (const i of app) assert.equal((i.inputs.metadata as any).annotations["pulumi.com/skipAwait"], "true");
    });
});
