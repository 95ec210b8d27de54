/**
 * The app layer's specs as pure functions, table-driven: who may talk to whom (network policies,
 * evaluated the way Kubernetes does), what the Ingress routes, how a web workload runs and
 * scales, and what its jobs (migrations, backups, restores) do.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type * as k8s from "@pulumi/kubernetes";
import { backupCronJobSpec, type BackupSpecArgs, restoreCronJobSpec } from "../../infra/apps/backups";
import { mariaDbPodSelector, mariaDbStatefulSetSpec } from "../../infra/apps/database/mariadb";
import { perconaPeers, perconaPodSelector } from "../../infra/apps/database/percona";
import { collectstaticContainer, djangoEnv, migrationJobName, migrationJobSpec } from "../../infra/apps/django";
import { appUrl, ingressAnnotations, ingressSpec, type Route } from "../../infra/apps/ingress";
import { DB_CLIENT_LABEL, labels } from "../../infra/apps/labels";
import { type NamedPolicy, networkPolicies, type NetworkPolicyInput } from "../../infra/apps/network-policies";
import { autoscalerSpec, containerSecurity, deploymentSpec, disruptionBudgetSpec, resourceSpec, serviceSpec, type WebWorkloadSpecArgs } from "../../infra/apps/workload";

const id = { partOf: "shop", instance: "acme-app" };
const APP_NS = "shop";
const INGRESS_NS = "ingress";

// ---------------------------------------------------------------------------------------------
// A small NetworkPolicy evaluator: a pod selected by no policy admits everything; a selected pod
// admits a connection when some selecting policy has a rule whose peers and ports both match.

interface Pod {
    readonly namespace: string;
    readonly labels: Record<string, string>;
}
type Peer = k8s.types.input.networking.v1.NetworkPolicyPeer;
type Rule = k8s.types.input.networking.v1.NetworkPolicyIngressRule;

const matches = (selector: Record<string, string> | undefined, l: Record<string, string>) => Object.entries(selector ?? {}).every(([k, v]) => l[k] === v);
const sel = (s: unknown) => (s as { matchLabels?: Record<string, string> } | undefined)?.matchLabels;

function peerMatches(peer: Peer, from: Pod): boolean {
    const nsSel = sel(peer.namespaceSelector);
    const podSel = sel(peer.podSelector);
    const nsOk = peer.namespaceSelector ? matches(nsSel, { "kubernetes.io/metadata.name": from.namespace }) : from.namespace === APP_NS;
    return nsOk && (peer.podSelector ? matches(podSel, from.labels) : true);
}

/** Whether `from` may open a TCP connection to `to` on `port` under the policies of the app namespace. */
function admits(policies: NamedPolicy[], from: Pod, to: Pod, port: number): boolean {
    const selecting = policies.filter((p) => matches(sel(p.spec.podSelector), to.labels));
    if (selecting.length === 0) return true;
    return selecting.some((p) =>
        ((p.spec.ingress ?? []) as Rule[]).some((r) => {
            const peers = (r.from ?? []) as Peer[];
            const ports = (r.ports ?? []) as { port?: number; protocol?: string }[];
            return (peers.length === 0 || peers.some((x) => peerMatches(x, from))) && (ports.length === 0 || ports.some((x) => x.port === port && (x.protocol ?? "TCP") === "TCP"));
        }),
    );
}

const appPod = (name: string, extra: Record<string, string> = {}): Pod => ({ namespace: APP_NS, labels: { ...labels(id, name, name), ...extra } });
const POD = {
    ingressController: { namespace: INGRESS_NS, labels: { "app.kubernetes.io/name": "traefik" } },
    // Traffic from outside the cluster arrives from no namespace a selector could name.
    outside: { namespace: "<outside>", labels: {} },
    otherNamespace: { namespace: "team-b", labels: { [DB_CLIENT_LABEL]: "true" } },
    backend: appPod("backend", { [DB_CLIENT_LABEL]: "true" }),
    frontend: appPod("frontend"),
    api: appPod("api", { [DB_CLIENT_LABEL]: "true" }),
    internal: appPod("internal"),
    mariadb: { namespace: APP_NS, labels: (mariaDbStatefulSetSpec({ id, database: "shop", user: "shop", resources: { memoryRequest: "1Gi", cpuLimit: "1", memoryLimit: "1Gi" }, storageClass: "standard", storageGi: 10 }, false).template as any).metadata.labels },
    pxcMember: { namespace: APP_NS, labels: { "app.kubernetes.io/instance": "database", "app.kubernetes.io/name": "percona-xtradb-cluster", "app.kubernetes.io/component": "pxc" } },
    haproxy: { namespace: APP_NS, labels: { "app.kubernetes.io/instance": "database", "app.kubernetes.io/name": "percona-xtradb-cluster", "app.kubernetes.io/component": "haproxy" } },
    pxcOperator: { namespace: APP_NS, labels: { "app.kubernetes.io/name": "pxc-operator", "app.kubernetes.io/instance": "acme-app-database-operator" } },
} satisfies Record<string, Pod>;

const routes: Route[] = [
    { path: "/api", service: "backend", port: 8000 },
    { path: "/admin", service: "backend", port: 8000 },
    { path: "/", service: "frontend", port: 80 },
];
const workloads: NetworkPolicyInput["workloads"] = [
    { name: "api", port: 8080, service: "NodePort" },
    { name: "lb", port: 9000, service: "LoadBalancer" },
    { name: "internal", port: 7000, service: "ClusterIP" },
];
// What each engine tells the policy; the pods above carry the labels the StatefulSet and the charts give them.
const mariadb = { podSelector: mariaDbPodSelector(id), peers: [] };
const percona = { podSelector: perconaPodSelector(), peers: perconaPeers() };

describe("network policies: who may talk to whom", () => {
    const withMaria = networkPolicies({ id, ingressNamespace: INGRESS_NS, routes, workloads, database: mariadb });
    const withPercona = networkPolicies({ id, ingressNamespace: INGRESS_NS, routes, workloads, database: percona });
    const CASES: [string, NamedPolicy[], Pod, Pod, number, boolean][] = [
        ["the ingress controller reaches the backend on its port", withMaria, POD.ingressController, POD.backend, 8000, true],
        ["the ingress controller reaches the frontend on its port", withMaria, POD.ingressController, POD.frontend, 80, true],
        ["the ingress controller reaches a web pod on no other port", withMaria, POD.ingressController, POD.backend, 9000, false],
        ["pods of the app do not reach each other's web ports", withMaria, POD.frontend, POD.backend, 8000, false],
        ["the outside does not reach the backend directly", withMaria, POD.outside, POD.backend, 8000, false],
        ["a NodePort workload is reachable from outside", withMaria, POD.outside, POD.api, 8080, true],
        ["a LoadBalancer workload is reachable from outside", withMaria, POD.outside, { namespace: APP_NS, labels: labels(id, "lb", "lb") }, 9000, true],
        ["a NodePort workload is reachable on its port only", withMaria, POD.outside, POD.api, 22, false],
        ["a ClusterIP workload is not reachable from outside", withMaria, POD.outside, POD.internal, 7000, false],
        ["the database accepts labelled clients on 3306", withMaria, POD.backend, POD.mariadb, 3306, true],
        ["the database accepts labelled clients on no other port", withMaria, POD.backend, POD.mariadb, 4567, false],
        ["the database refuses unlabelled pods", withMaria, POD.frontend, POD.mariadb, 3306, false],
        ["the database refuses labelled pods of other namespaces", withMaria, POD.otherNamespace, POD.mariadb, 3306, false],
        ["the database refuses the ingress controller", withMaria, POD.ingressController, POD.mariadb, 3306, false],
        ["a single MariaDB has no peers: pods labelled like Galera members are refused", withMaria, POD.pxcMember, POD.mariadb, 4567, false],
        ["percona members may talk to each other (Galera replication)", withPercona, POD.pxcMember, POD.pxcMember, 4567, true],
        ["percona members may transfer state to each other (SST)", withPercona, POD.pxcMember, POD.pxcMember, 4444, true],
        ["the percona operator reaches the members", withPercona, POD.pxcOperator, POD.pxcMember, 33062, true],
        ["HAProxy reaches the members", withPercona, POD.haproxy, POD.pxcMember, 3306, true],
        ["labelled clients reach HAProxy on 3306", withPercona, POD.backend, POD.haproxy, 3306, true],
        ["unlabelled pods do not reach HAProxy", withPercona, POD.frontend, POD.haproxy, 3306, false],
        ["clients do not reach the members' replication port", withPercona, POD.backend, POD.pxcMember, 4567, false],
    ];
    for (const [name, policies, from, to, port, allowed] of CASES) it(name, () => assert.equal(admits(policies, from, to, port), allowed));

    it("denies by default: every pod of the namespace is selected by some policy", () => {
        const p = networkPolicies({ id, ingressNamespace: INGRESS_NS, routes: [], workloads: [] });
        assert.deepEqual(p[0], { name: "default-deny-ingress", spec: { podSelector: {}, policyTypes: ["Ingress"] } });
        assert.deepEqual(p.map((x) => x.name), ["default-deny-ingress", "deny-egress-to-cloud-metadata"], "and egress anywhere but the cloud metadata address (the nodes' host keys)");
        assert.equal(admits(p, POD.backend, POD.frontend, 80), false);
    });

    it("one policy per web service however many paths route to it; none for the database without one", () => {
        const names = networkPolicies({ id, ingressNamespace: INGRESS_NS, routes, workloads: [] }).map((p) => p.name);
        assert.deepEqual(names, ["default-deny-ingress", "deny-egress-to-cloud-metadata", "allow-ingress-to-backend", "allow-ingress-to-frontend"]);
    });
});

describe("the Ingress", () => {
    const CASES = [
        { name: "with an issuer: HTTPS, a certificate from the issuer", issuer: "letsencrypt-prod", url: "https://shop.example/", annotations: { "cert-manager.io/cluster-issuer": "letsencrypt-prod" }, tls: [{ hosts: ["shop.example"], secretName: "app-tls" }] },
        { name: "without an issuer: plain HTTP, no certificate", issuer: undefined, url: "http://shop.example/", annotations: {}, tls: undefined },
    ];
    for (const c of CASES)
        it(c.name, () => {
            assert.equal(appUrl("shop.example", c.issuer), c.url);
            assert.deepEqual(ingressAnnotations(c.issuer, true), c.annotations);
            // No controller publishes a status (Traefik on node ports): Pulumi must not wait for one.
            assert.deepEqual(ingressAnnotations(c.issuer, false), { ...c.annotations, "pulumi.com/skipAwait": "true" });
            const spec = ingressSpec({ host: "shop.example", ingressClass: "nginx", issuer: c.issuer, routes });
            assert.deepEqual(spec.tls, c.tls);
            assert.equal(spec.ingressClassName, "nginx");
        });

    it("routes the longest prefix first, so /api is not swallowed by /", () => {
        const spec = ingressSpec({ host: "shop.example", ingressClass: "nginx", routes: [routes[2], routes[0], { path: "/static", service: "backend", port: 8000 }] }) as any;
        assert.deepEqual(
            spec.rules[0].http.paths.map((p: any) => [p.path, p.pathType, p.backend.service.name, p.backend.service.port.number]),
            [["/static", "Prefix", "backend", 8000], ["/api", "Prefix", "backend", 8000], ["/", "Prefix", "frontend", 80]],
        );
        assert.equal(spec.rules[0].host, "shop.example");
    });
});

const web: WebWorkloadSpecArgs = {
    id,
    name: "api",
    component: "api",
    image: "team/api:1.0",
    port: 8080,
    replicas: 3,
    healthPath: "/healthz",
    resources: { cpuRequest: "100m", memoryRequest: "128Mi", cpuLimit: "1", memoryLimit: "256Mi" },
};

describe("web workloads", () => {
    const SERVICES = [
        { name: "a NodePort workload keeps its fixed node port", service: { type: "NodePort", nodePort: 31000 }, type: "NodePort", nodePort: 31000 },
        { name: "a NodePort workload without a fixed port gets one from the cluster", service: { type: "NodePort" }, type: "NodePort", nodePort: undefined },
        { name: "a LoadBalancer workload gets a load balancer", service: { type: "LoadBalancer" }, type: "LoadBalancer", nodePort: undefined },
        { name: "a workload is cluster-internal by default", service: undefined, type: "ClusterIP", nodePort: undefined },
    ] as const;
    for (const c of SERVICES)
        it(c.name, () => {
            const s = serviceSpec({ ...web, service: c.service }) as any;
            assert.equal(s.type, c.type);
            assert.equal(s.ports[0].nodePort, c.nodePort);
            assert.equal(s.ports[0].targetPort, "http");
            assert.ok(Object.entries(s.selector).every(([k, v]) => (deploymentSpec(web) as any).template.metadata.labels[k] === v), "the service selects the workload's pods");
        });

    const BUDGETS = [
        { name: "one replica: no budget (a drain could never evict it)", args: { replicas: 1 }, minAvailable: undefined },
        { name: "three replicas: two kept during a drain", args: { replicas: 3 }, minAvailable: 2 },
        { name: "an explicit minimum wins", args: { replicas: 3, minAvailable: 1 }, minAvailable: 1 },
        { name: "an autoscaled workload counts from its minimum", args: { replicas: 1, autoscaling: { minReplicas: 4, maxReplicas: 8, cpuPercent: 70 } }, minAvailable: 3 },
    ];
    for (const c of BUDGETS) it(`disruption budget: ${c.name}`, () => assert.equal(disruptionBudgetSpec({ ...web, ...c.args })?.minAvailable, c.minAvailable));

    it("an autoscaler starts the Deployment at its minimum and scales it on CPU; none without autoscaling", () => {
        const autoscaling = { minReplicas: 2, maxReplicas: 10, cpuPercent: 70 };
        assert.equal(deploymentSpec({ ...web, autoscaling }).replicas, 2);
        assert.equal(deploymentSpec(web).replicas, 3);
        const hpa = autoscalerSpec({ ...web, autoscaling }) as any;
        assert.deepEqual(hpa.scaleTargetRef, { apiVersion: "apps/v1", kind: "Deployment", name: "api" });
        assert.deepEqual([hpa.minReplicas, hpa.maxReplicas, hpa.metrics[0].resource.target.averageUtilization], [2, 10, 70]);
        assert.equal(autoscalerSpec(web), undefined);
    });

    const PORTS = [
        { port: 80, add: ["NET_BIND_SERVICE"] },
        { port: 443, add: ["NET_BIND_SERVICE"] },
        { port: 1024, add: undefined },
        { port: 8080, add: undefined },
        { port: undefined, add: undefined },
    ];
    for (const c of PORTS)
        it(`a non-root container on port ${c.port ?? "none"} ${c.add ? "may bind it" : "gets no capability"}`, () => {
            const s = containerSecurity(c.port) as any;
            assert.deepEqual(s.capabilities, { drop: ["ALL"], ...(c.add ? { add: c.add } : {}) });
            assert.equal(s.runAsNonRoot, true);
            assert.equal(s.allowPrivilegeEscalation, false);
        });

    it("requests CPU only when asked, and always limits it", () => {
        assert.deepEqual(resourceSpec({ memoryRequest: "64Mi", cpuLimit: "1", memoryLimit: "128Mi" }), { requests: { memory: "64Mi" }, limits: { cpu: "1", memory: "128Mi" } });
        assert.deepEqual(resourceSpec(web.resources).requests, { cpu: "100m", memory: "128Mi" });
    });

    it("rolls out without taking a serving pod away, spreads over nodes, and probes the health path", () => {
        const d = deploymentSpec({ ...web, tolerations: [{ key: "infra.local/burst", operator: "Equal", value: "true", effect: "NoSchedule" }] }) as any;
        assert.deepEqual(d.strategy.rollingUpdate, { maxUnavailable: 0, maxSurge: 1 });
        assert.equal(d.template.spec.topologySpreadConstraints[0].topologyKey, "kubernetes.io/hostname");
        const c = d.template.spec.containers[0];
        assert.equal(c.readinessProbe.httpGet.path, "/healthz");
        assert.equal(c.livenessProbe.httpGet.path, "/healthz");
        assert.deepEqual(d.template.spec.tolerations, [{ key: "infra.local/burst", operator: "Equal", value: "true", effect: "NoSchedule" }]);
    });

    it("extra pod labels (database access) mark the pods, not the selector, so they can change without a new Deployment", () => {
        const d = deploymentSpec({ ...web, extraPodLabels: { [DB_CLIENT_LABEL]: "true" } }) as any;
        assert.equal(d.template.metadata.labels[DB_CLIENT_LABEL], "true");
        assert.equal(d.selector.matchLabels[DB_CLIENT_LABEL], undefined);
    });

    it("passes plain environment as values and secrets only by reference", () => {
        const d = deploymentSpec({ ...web, env: { MODE: "prod" }, secretEnv: [{ name: "TOKEN", valueFrom: { secretKeyRef: { name: "api", key: "token" } } }] }) as any;
        assert.deepEqual(d.template.spec.containers[0].env, [{ name: "MODE", value: "prod" }, { name: "TOKEN", valueFrom: { secretKeyRef: { name: "api", key: "token" } } }]);
    });
});

describe("Django's jobs", () => {
    const backend = { id, image: "registry.example/shop/backend:1.4.2", resources: web.resources, host: "shop.example", staticRoot: "/app/static", env: { DEBUG: "0" } };

    const NAMES = ["registry.example/shop/backend:1.4.2", "registry.example/shop/backend:1.4.3", "backend@sha256:" + "a".repeat(64), "x"];
    it("names the migration Job per image: stable for an image, different for another, a valid object name", () => {
        const names = NAMES.map(migrationJobName);
        assert.equal(new Set(names).size, NAMES.length);
        // Spelled out (the first 10 digits of `printf %s <image> | sha256sum`): an image keeps its Job's name
        // across runs and versions of this program, so an unchanged image never migrates a second time.
        assert.equal(names[0], "backend-migrate-ffc8d32e19");
        for (const n of names) {
            assert.match(n, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
            assert.ok(n.length <= 63, n);
        }
    });

    const DB = [
        { name: "with a database: the migrations are a database client and get its connection", databaseSecret: "database-connection", client: "true", dbEnv: ["DB_HOST", "DB_PORT", "DB_NAME", "DB_USER", "DB_PASSWORD"] },
        { name: "without a database: no database access", databaseSecret: undefined, client: undefined, dbEnv: [] },
    ];
    for (const c of DB)
        it(c.name, () => {
            const env = djangoEnv({ ...backend, databaseSecret: c.databaseSecret });
            const job = migrationJobSpec(backend, env) as any;
            assert.equal(job.template.metadata.labels[DB_CLIENT_LABEL], c.client);
            assert.deepEqual(
                job.template.spec.containers[0].env.filter((e: any) => e.name.startsWith("DB_")).map((e: any) => e.name),
                c.dbEnv,
            );
        });

    it("migrations and collectstatic see exactly the server's environment, with ALLOWED_HOSTS from the host", () => {
        const env = djangoEnv({ ...backend, databaseSecret: "database-connection" });
        const job = migrationJobSpec(backend, env) as any;
        const cs = collectstaticContainer(backend, env) as any;
        const server = deploymentSpec({ ...web, env: env.plain, secretEnv: env.fromSecrets }) as any;
        assert.deepEqual(job.template.spec.containers[0].env, server.template.spec.containers[0].env);
        assert.deepEqual(cs.env, server.template.spec.containers[0].env);
        const byName = new Map((cs.env as any[]).map((e) => [e.name, e]));
        assert.equal(byName.get("ALLOWED_HOSTS").value, "shop.example");
        assert.equal(byName.get("STATIC_ROOT").value, "/app/static");
        assert.ok(byName.get("DJANGO_SECRET_KEY").valueFrom.secretKeyRef);
    });

    it("a failed migration is not retried by restarting in place, and stops after a few attempts", () => {
        const job = migrationJobSpec(backend, djangoEnv(backend)) as any;
        assert.equal(job.template.spec.restartPolicy, "Never");
        assert.equal(job.backoffLimit, 3);
        assert.deepEqual(job.template.spec.containers[0].command, ["python", "manage.py", "migrate", "--noinput"]);
    });
});

describe("backup and restore jobs", () => {
    const base: Omit<BackupSpecArgs, "engine" | "dbHost" | "rootSecret"> = { id, schedule: "30 2 * * *", retentionDays: 14, bucket: "dumps", prefix: "shop/acme-app", region: "eu-central-1" };
    const ENGINES = [
        { engine: "mariadb", dbHost: "database", rootSecret: { name: "database-credentials", key: "root-password" }, image: "docker.io/library/mariadb:", dump: "mariadb-dump", client: "mariadb" },
        { engine: "percona", dbHost: "database-haproxy", rootSecret: { name: "database-secrets", key: "root" }, image: "docker.io/library/mysql:", dump: "mysqldump", client: "mysql" },
    ] as const;
    const pod = (spec: any) => spec.jobTemplate.spec.template.spec;
    for (const c of ENGINES)
        it(`${c.engine}: dumps with ${c.dump} and restores with ${c.client}, from the same image, as the database's clients`, () => {
            const a = { ...base, ...c };
            const backup = pod(backupCronJobSpec(a));
            const restore = pod(restoreCronJobSpec(a));
            const env = (x: any) => new Map((x.env as any[]).map((e) => [e.name, e]));
            const dump = backup.initContainers[0];
            assert.ok(dump.image.startsWith(c.image), dump.image);
            assert.equal(env(dump).get("DUMP_TOOL").value, c.dump);
            assert.equal(env(dump).get("DB_HOST").value, c.dbHost);
            assert.deepEqual(env(dump).get("MYSQL_PWD").valueFrom, { secretKeyRef: c.rootSecret });
            const load = restore.containers[0];
            assert.equal(load.image, dump.image, "restore loads with the image that dumped");
            assert.equal(env(load).get("CLIENT").value, c.client);
            for (const s of [backupCronJobSpec(a), restoreCronJobSpec(a)]) assert.equal((s as any).jobTemplate.spec.template.metadata.labels[DB_CLIENT_LABEL], "true");
        });

    const ENDPOINTS = [
        { name: "AWS S3: no endpoint", endpoint: undefined, expected: undefined },
        { name: "another S3 provider: its endpoint", endpoint: "https://fsn1.your-objectstorage.com", expected: "https://fsn1.your-objectstorage.com" },
    ];
    for (const c of ENDPOINTS)
        it(`uploads and fetches with ${c.name}`, () => {
            const a = { ...base, ...ENGINES[0], endpoint: c.endpoint };
            for (const container of [pod(backupCronJobSpec(a)).containers[0], pod(restoreCronJobSpec(a)).initContainers[0]]) {
                const env = new Map((container.env as any[]).map((e) => [e.name, e]));
                assert.equal(env.get("ENDPOINT")?.value, c.expected);
                assert.equal(env.get("BUCKET").value, "dumps");
                assert.ok(env.get("AWS_SECRET_ACCESS_KEY").valueFrom.secretKeyRef);
            }
        });

    it("backs up on schedule in UTC, one run at a time, pruning past the retention", () => {
        const s = backupCronJobSpec({ ...base, ...ENGINES[0] }) as any;
        assert.deepEqual([s.schedule, s.timeZone, s.concurrencyPolicy], ["30 2 * * *", "Etc/UTC", "Forbid"]);
        assert.equal(new Map((pod(s).containers[0].env as any[]).map((e) => [e.name, e])).get("RETENTION_DAYS").value, "14");
        assert.deepEqual(pod(s).initContainers[0].command, ["bash", "/scripts/backup-dump.sh"], "the upload starts only after the dump succeeded");
    });

    it("never restores by itself", () => {
        const s = restoreCronJobSpec({ ...base, ...ENGINES[1] }) as any;
        assert.equal(s.suspend, true);
        assert.deepEqual(pod(s).initContainers[0].command, ["bash", "/scripts/restore.sh", "fetch"]);
        assert.deepEqual(pod(s).containers[0].command, ["bash", "/scripts/restore.sh", "load"]);
    });
});
