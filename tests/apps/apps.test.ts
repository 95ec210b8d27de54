/**
 * The application layer under the mock runtime: the seed-000 shape, secrets only by reference,
 * migrations before the rollout, the network flows, the database's protection, labels.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { migrationJobName } from "../../infra/apps/django";
import { planStack, type PlannedResource } from "../../tools/plan";

async function stack(name: string) {
    const plan = await planStack(name);
    // The app's objects: the platform's (cert-manager's API check Job...) live in their own namespaces.
    const k8s = plan.resources.filter((r) => r.type.startsWith("kubernetes:") && !r.type.includes("helm.sh") && r.inputs.kind && r.urn.includes("infra:apps:"));
    const obj = (kind: string, name?: string) => {
        const r = k8s.find((x) => x.inputs.kind === kind && (name === undefined || (x.inputs.metadata as any).name === name));
        assert.ok(r, `no ${kind} ${name ?? ""}`);
        return r;
    };
    const all = (kind: string) => k8s.filter((x) => x.inputs.kind === kind);
    const plain = (r: PlannedResource) => plan.plainInputs.get(r.urn)! as any;
    return { plan, k8s, obj, all, plain };
}

const podSpec = (r: PlannedResource): any => {
    const spec = r.inputs.spec as any;
    return r.inputs.kind === "CronJob" ? spec.jobTemplate.spec.template.spec : spec.template.spec;
};

describe("dev: the seed-000 shape", async () => {
    const { obj, all, plain, plan } = await stack("dev");

    it("2 backend replicas, 1 frontend, MariaDB on a 20Gi volume, images pulled with the registry secret", () => {
        assert.equal((obj("Deployment", "backend").inputs.spec as any).replicas, 2);
        assert.equal((obj("Deployment", "frontend").inputs.spec as any).replicas, 1);
        const sts = obj("StatefulSet", "database");
        const claim = (sts.inputs.spec as any).volumeClaimTemplates[0].spec;
        assert.equal(claim.resources.requests.storage, "20Gi");
        assert.equal(claim.storageClassName, "standard", "dev uses the default class");
        for (const d of ["backend", "frontend"]) assert.deepEqual(podSpec(obj("Deployment", d)).imagePullSecrets, [{ name: "registry-credentials" }]);
        const reg = obj("Secret", "registry-credentials");
        assert.equal(reg.inputs.type, "kubernetes.io/dockerconfigjson");
        const config = JSON.parse(plain(reg).stringData[".dockerconfigjson"]);
        assert.deepEqual(Object.keys(config.auths), ["registry.acme.example"]);
        assert.equal(config.auths["registry.acme.example"].password, plan.file.placeholders["infra:registryPassword"]);
    });

    it("no container holds a literal secret: passwords and keys come from Secrets", () => {
        for (const kind of ["Deployment", "StatefulSet", "Job", "CronJob"]) {
            for (const r of all(kind)) {
                const spec = podSpec(r);
                for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
                    for (const e of c.env ?? []) {
                        if (/PASSWORD|SECRET|TOKEN|_KEY|MYSQL_PWD/.test(e.name)) assert.ok(e.valueFrom?.secretKeyRef, `${r.name}/${c.name} ${e.name} is not from a Secret`);
                        for (const v of plan.secretValues.filter((x) => x.length >= 12)) assert.notEqual(e.value, v, `${r.name}/${c.name} ${e.name} holds a secret`);
                    }
                }
            }
        }
    });

    it("Django: generated secret key, ALLOWED_HOSTS from the host, database settings from the connection Secret", () => {
        const env = podSpec(obj("Deployment", "backend")).containers[0].env as any[];
        const byName = new Map(env.map((e) => [e.name, e]));
        assert.equal(byName.get("ALLOWED_HOSTS").value, "dev.copicloud.acme.example");
        assert.deepEqual(byName.get("DJANGO_SECRET_KEY").valueFrom, { secretKeyRef: { name: "backend-django", key: "secret-key" } });
        for (const [n, key] of [["DB_HOST", "host"], ["DB_NAME", "database"], ["DB_USER", "user"], ["DB_PASSWORD", "password"]])
            assert.deepEqual(byName.get(n).valueFrom, { secretKeyRef: { name: "database-connection", key } });
        const c = podSpec(obj("Deployment", "backend")).containers[0];
        assert.deepEqual(c.command, ["gunicorn", "--bind", "0.0.0.0:8000", "--workers", "3", "config.wsgi"]);
        assert.equal(c.readinessProbe.httpGet.path, "/healthz");
        assert.deepEqual(podSpec(obj("Deployment", "backend")).initContainers[0].command, ["python", "manage.py", "collectstatic", "--noinput"]);
    });

    it("runs migrations as a Job per image version before the new pods roll out", () => {
        const job = obj("Job");
        // backend-migrate-<first 10 hex digits of the image reference's SHA-256>, by `printf %s <image> | sha256sum`.
        assert.equal((job.inputs.metadata as any).name, "backend-migrate-b50891fc62");
        assert.equal(migrationJobName("registry.acme.example/copicloud/backend:1.4.3"), "backend-migrate-37217aa2aa", "a new version migrates in a new Job");
        assert.deepEqual(podSpec(job).containers[0].command, ["python", "manage.py", "migrate", "--noinput"]);
        assert.ok(obj("Deployment", "backend").dependsOn.includes(job.urn), "the rollout waits for the migrations");
    });

    it("passes the Angular app its API base URL at run time, from a mounted file", () => {
        const cm = obj("ConfigMap", "frontend-config");
        assert.deepEqual(JSON.parse((cm.inputs.data as any)["config.json"]), { apiBaseUrl: "/api" });
        const c = podSpec(obj("Deployment", "frontend")).containers[0];
        assert.deepEqual(c.volumeMounts[0], { name: "config", mountPath: "/usr/share/nginx/html/assets/config.json", subPath: "config.json", readOnly: true });
        assert.ok(c.volumeMounts.slice(1).every((m: any) => m.name.startsWith("scratch-")), "besides the config file, only nginx's writable directories");
        assert.deepEqual(c.securityContext.capabilities, { drop: ["ALL"], add: ["NET_BIND_SERVICE"] }, "port 80 as non-root");
    });

    it("routes /api, /admin and /static to the backend and / to the frontend, with TLS from the stack's issuer", () => {
        const ing = obj("Ingress", "app");
        assert.equal((ing.inputs.metadata as any).annotations["cert-manager.io/cluster-issuer"], "letsencrypt-staging");
        const spec = ing.inputs.spec as any;
        assert.equal(spec.ingressClassName, "nginx");
        assert.deepEqual(spec.tls, [{ hosts: ["dev.copicloud.acme.example"], secretName: "app-tls" }]);
        assert.deepEqual(
            spec.rules[0].http.paths.map((p: any) => [p.path, p.backend.service.name]),
            [["/static", "backend"], ["/admin", "backend"], ["/api", "backend"], ["/", "frontend"]],
        );
    });

    it("network policies: default deny; web pods only from the ingress controller; the database only from its clients", () => {
        const np = (n: string) => obj("NetworkPolicy", n).inputs.spec as any;
        assert.deepEqual(np("default-deny-ingress"), { podSelector: {}, policyTypes: ["Ingress"] });
        for (const [svc, port] of [["backend", 8000], ["frontend", 80]] as const)
            assert.deepEqual(np(`allow-ingress-to-${svc}`).ingress, [{ from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress" } } }], ports: [{ protocol: "TCP", port }] }]);
        assert.deepEqual(np("allow-clients-to-database").ingress, [{ from: [{ podSelector: { matchLabels: { "infra.local/db-client": "true" } } }], ports: [{ protocol: "TCP", port: 3306 }] }]);
        const clients = (r: PlannedResource) => (r.inputs.spec as any).template.metadata.labels["infra.local/db-client"];
        assert.equal(clients(obj("Deployment", "backend")), "true");
        assert.equal(clients(obj("Job")), "true");
        assert.equal(clients(obj("Deployment", "frontend")), undefined, "the frontend cannot reach the database");
        assert.deepEqual(np("deny-egress-to-cloud-metadata"), {
            podSelector: {},
            policyTypes: ["Egress"],
            egress: [{ to: [{ namespaceSelector: {} }, { ipBlock: { cidr: "0.0.0.0/0", except: ["169.254.169.254/32"] } }] }],
        });
        assert.equal(all("NetworkPolicy").length, 5);
    });

    it("labels every object with app.kubernetes.io/{name,instance,component,part-of,managed-by}", () => {
        const app = plan.resources.filter((r) => r.type.startsWith("kubernetes:") && (r.inputs.metadata as any)?.namespace === "copicloud");
        assert.ok(app.length > 10);
        for (const r of app) {
            const l = (r.inputs.metadata as any).labels ?? {};
            for (const k of ["name", "instance", "component", "part-of", "managed-by"]) assert.ok(l[`app.kubernetes.io/${k}`], `${r.name} lacks app.kubernetes.io/${k}`);
        }
    });

    it("keeps dev data unprotected but its volume claims outlive the StatefulSet", () => {
        const sts = obj("StatefulSet", "database");
        assert.equal(sts.protect, false);
        assert.deepEqual((sts.inputs.spec as any).persistentVolumeClaimRetentionPolicy, { whenDeleted: "Retain", whenScaled: "Retain" });
    });

    it("runs every app pod non-root under the restricted Pod Security profile", () => {
        const ns = obj("Namespace", "copicloud");
        assert.equal((ns.inputs.metadata as any).labels["pod-security.kubernetes.io/enforce"], "restricted");
        for (const kind of ["Deployment", "StatefulSet", "Job"])
            for (const r of all(kind).filter((x) => (x.inputs.metadata as any).namespace === "copicloud")) {
                const spec = podSpec(r);
                assert.equal(spec.securityContext.runAsNonRoot, true, r.name);
                for (const c of spec.containers) {
                    assert.equal(c.securityContext.allowPrivilegeEscalation, false, `${r.name}/${c.name}`);
                    assert.ok(c.resources.limits.memory && c.resources.requests.memory, `${r.name}/${c.name} requests and limits`);
                }
            }
    });
});

describe("prod: Percona XtraDB, protected data, backups", async () => {
    const { plan, obj } = await stack("prod");
    const charts = plan.resources.filter((r) => r.type === "kubernetes:helm.sh/v4:Chart");

    it("runs a 3-member Percona XtraDB cluster through the operator, on the Retain class, protected", () => {
        const db = charts.find((c) => c.inputs.chart === "pxc-db")!;
        const v = db.inputs.values as any;
        assert.equal(v.pxc.size, 3);
        assert.deepEqual(v.pxc.persistence, { enabled: true, storageClass: "retain", size: "50Gi" });
        assert.equal(db.protect, true);
        assert.ok(charts.some((c) => c.inputs.chart === "pxc-operator"));
        for (const n of ["database-connection", "database-app-user"]) assert.equal(obj("Secret", n).protect, true, n);
        const job = obj("Job", "database-bootstrap");
        assert.ok(job.dependsOn.includes(db.urn));
        const env = podSpec(job).containers[0].env as any[];
        assert.deepEqual(env.find((e) => e.name === "MYSQL_PWD").valueFrom, { secretKeyRef: { name: "database-secrets", key: "root" } });
    });

    it("autoscales the backend on CPU against its request, and keeps a disruption budget", () => {
        const hpa = obj("HorizontalPodAutoscaler", "backend").inputs.spec as any;
        assert.deepEqual([hpa.minReplicas, hpa.maxReplicas, hpa.metrics[0].resource.target.averageUtilization], [3, 10, 70]);
        assert.equal(podSpec(obj("Deployment", "backend")).containers[0].resources.requests.cpu, "250m");
        assert.deepEqual(obj("Deployment", "backend").ignoreChanges, ["spec.replicas"]);
        assert.equal((obj("PodDisruptionBudget", "backend").inputs.spec as any).minAvailable, 2);
    });

    it("dumps the database nightly to object storage, with a suspended restore job beside it", () => {
        const cron = obj("CronJob", "database-backup");
        const spec = cron.inputs.spec as any;
        assert.equal(spec.schedule, "30 2 * * *");
        assert.equal(spec.concurrencyPolicy, "Forbid");
        const pod = podSpec(cron);
        assert.deepEqual(pod.initContainers[0].command, ["bash", "/scripts/backup-dump.sh"]);
        assert.deepEqual(pod.containers[0].command, ["bash", "/scripts/backup-upload.sh"]);
        const env = new Map((pod.containers[0].env as any[]).map((e) => [e.name, e]));
        assert.equal(env.get("ENDPOINT").value, "https://fsn1.your-objectstorage.com");
        assert.equal(env.get("RETENTION_DAYS").value, "30");
        assert.ok(env.get("AWS_SECRET_ACCESS_KEY").valueFrom.secretKeyRef);
        const restore = obj("CronJob", "database-restore");
        assert.equal((restore.inputs.spec as any).suspend, true);
        assert.deepEqual(podSpec(restore).initContainers[0].command, ["bash", "/scripts/restore.sh", "fetch"]);
        assert.deepEqual(podSpec(restore).containers[0].command, ["bash", "/scripts/restore.sh", "load"]);
        assert.equal(podSpec(restore).containers[0].image, pod.initContainers[0].image, "restore loads with the image that dumped");
    });
});

describe("local: seed 004 (an API and a UI on NodePorts, a database with init SQL)", async () => {
    const { obj } = await stack("local");
    it("exposes the API on 31000 and the UI on 30001, the API with the database's connection", () => {
        assert.deepEqual((obj("Service", "api").inputs.spec as any).ports[0].nodePort, 31000);
        assert.deepEqual((obj("Service", "ui").inputs.spec as any).type, "NodePort");
        const env = (podSpec(obj("Deployment", "api")).containers[0].env as any[]).map((e) => e.name);
        assert.ok(env.includes("DB_PASSWORD"));
        assert.match((obj("ConfigMap", "database-init").inputs.data as any)["10-init.sql"], /CREATE TABLE IF NOT EXISTS products/);
    });
});

describe("staging: the backups' bucket on AWS", async () => {
    const { plan } = await stack("staging");
    it("is private, encrypted, versioned, expires old versions after the retention, and is protected", () => {
        const of = (t: string) => plan.resources.find((r) => r.type === t)!;
        const bucket = of("aws:s3/bucket:Bucket");
        assert.deepEqual([bucket.inputs.bucket, bucket.protect], ["acme-staging-db-backups", true]);
        assert.equal(of("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs.restrictPublicBuckets, true);
        assert.deepEqual((of("aws:s3/bucketVersioning:BucketVersioning").inputs.versioningConfiguration as any).status, "Enabled");
        assert.equal((of("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").inputs.rules as any)[0].applyServerSideEncryptionByDefault.sseAlgorithm, "AES256");
        assert.equal((of("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs.rules as any)[0].noncurrentVersionExpiration.noncurrentDays, 7);
    });
});
