/**
 * The app's database: both engines behind one contract (`newDatabase` picks the component by
 * engine, and either one hands its clients the same connection Secret), MariaDB's StatefulSet,
 * Percona's charts and values, and the Job that creates the app's user on a Percona cluster,
 * its SQL run for real under sh against a stub client.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import * as k8s from "@pulumi/kubernetes";
import { type AnyDatabaseArgs, type Database, newDatabase } from "../../infra/apps/database";
import { mariaDbStatefulSetSpec } from "../../infra/apps/database/mariadb";
import { bootstrapJobSpec, bootstrapSql, perconaClusterValues } from "../../infra/apps/database/percona";
import { DB_CLIENT_LABEL } from "../../infra/apps/labels";
import { runPlan } from "../../tools/plan";

const id = { partOf: "shop", instance: "acme-app" };
const resources = { cpuRequest: "250m", memoryRequest: "512Mi", cpuLimit: "2", memoryLimit: "1Gi" };
const settings = { id, database: "shop", user: "shop_app", storageGi: 50, storageClass: "retain", resources };

describe("newDatabase: one contract, the engine's own component", async () => {
    const dbs: Record<string, Database> = {};
    const plan = await runPlan({ stack: "unit", values: {}, secretKeys: [] }, async () => {
        const provider = new k8s.Provider("k8s", {});
        for (const engine of ["mariadb", "percona"] as const) {
            const a: AnyDatabaseArgs = { ...settings, engine, namespace: `ns-${engine}`, members: 3, protect: true, podSecurity: "restricted", provider };
            dbs[engine] = newDatabase(`db-${engine}`, a);
        }
        return {};
    });
    const inNs = (ns: string) => plan.resources.filter((r) => (r.inputs.metadata as any)?.namespace === ns || r.inputs.namespace === ns);
    const component = (name: string) => plan.resources.find((r) => r.name === name && !r.custom)!;

    const TOKENS = [
        ["mariadb", "db-mariadb", "infra:apps:MariaDb"],
        ["percona", "db-percona", "infra:apps:PerconaCluster"],
    ] as const;
    for (const [engine, name, token] of TOKENS)
        it(`${engine} is an ${token} (the token existing stacks' URNs carry)`, () => {
            assert.equal(component(name).type, token);
            assert.equal(dbs[engine].engine, engine);
        });

    for (const engine of ["mariadb", "percona"])
        it(`${engine}: clients read host, port, database, user and password from the same Secret, pointing at the engine's host`, () => {
            const db = dbs[engine];
            assert.equal(db.connectionSecret, "database-connection");
            const secret = inNs(`ns-${engine}`).find((r) => r.inputs.kind === "Secret" && (r.inputs.metadata as any).name === db.connectionSecret)!;
            const data = (plan.plainInputs.get(secret.urn) as any).stringData;
            assert.deepEqual(Object.keys(data).sort(), ["database", "host", "password", "port", "user"]);
            assert.deepEqual([data.host, data.port, data.database, data.user], [db.host, "3306", "shop", "shop_app"]);
            assert.ok(data.password.length >= 32);
            assert.equal(secret.protect, true);
            assert.ok(db.ready.length > 0, "clients have something to wait for");
        });

    it("neither engine creates the namespace: the App owns it", () => {
        assert.equal(plan.resources.filter((r) => r.type === "kubernetes:core/v1:Namespace").length, 0);
    });

    it("keeps the generated passwords with the data: protected", () => {
        const passwords = plan.resources.filter((r) => r.type === "random:index/randomPassword:RandomPassword");
        assert.deepEqual(passwords.map((r) => r.name).sort(), ["db-mariadb-app-password", "db-mariadb-root-password", "db-percona-app-password"]);
        for (const p of passwords) assert.equal(p.protect, true, p.name);
    });

    it("percona: the operator and the cluster charts, pinned, into the app's namespace, the cluster after the operator and protected", () => {
        const charts = plan.resources.filter((r) => r.type === "kubernetes:helm.sh/v4:Chart");
        const operator = charts.find((c) => c.inputs.chart === "pxc-operator")!;
        const cluster = charts.find((c) => c.inputs.chart === "pxc-db")!;
        for (const c of [operator, cluster]) {
            assert.equal(c.inputs.namespace, "ns-percona");
            assert.match(String(c.inputs.version), /^\d+\.\d+\.\d+$/, "an exact version, never a range");
            assert.deepEqual(c.inputs.repositoryOpts, { repo: "https://percona.github.io/percona-helm-charts/" });
        }
        assert.equal(operator.inputs.version, cluster.inputs.version, "the operator reconciles clusters of its own version");
        // The release name makes the objects `database-*`: the host clients use and the operator's root Secret.
        assert.equal(cluster.inputs.name, "database");
        assert.equal(dbs.percona.host, "database-haproxy");
        assert.deepEqual(dbs.percona.rootSecret, { name: "database-secrets", key: "root" });
        assert.ok(cluster.dependsOn.includes(operator.urn));
        assert.equal(cluster.protect, true);
        assert.notEqual(operator.protect, true, "the operator holds no data");
    });

    it("percona: the app's user is created by a Job that waits for the cluster", () => {
        const job = plan.resources.find((r) => r.inputs.kind === "Job")!;
        const cluster = plan.resources.find((r) => r.inputs.chart === "pxc-db")!;
        assert.ok(job.dependsOn.includes(cluster.urn));
        assert.ok(dbs.percona.ready.length === 2, "clients wait for the cluster and the user");
    });

    it("mariadb: one protected StatefulSet the clients wait for", () => {
        const sts = plan.resources.filter((r) => r.inputs.kind === "StatefulSet");
        assert.equal(sts.length, 1);
        assert.equal(sts[0].protect, true);
        assert.equal(dbs.mariadb.host, "database");
        assert.deepEqual(dbs.mariadb.rootSecret, { name: "database-credentials", key: "root-password" });
    });
});

describe("MariaDB's StatefulSet", () => {
    const INIT = [
        // /tmp and /run/mysqld: emptyDirs under the read-only root filesystem (tests/apps/hardening.test.ts).
        { name: "with init SQL: mounted where the image runs it on first start", withInit: true, mounts: ["/var/lib/mysql", "/docker-entrypoint-initdb.d", "/tmp", "/run/mysqld"], volumes: ["init", "scratch-tmp", "scratch-run-mysqld"] },
        { name: "without init SQL: only the data volume, and scratch space", withInit: false, mounts: ["/var/lib/mysql", "/tmp", "/run/mysqld"], volumes: ["scratch-tmp", "scratch-run-mysqld"] },
    ];
    for (const c of INIT)
        it(c.name, () => {
            const pod = (mariaDbStatefulSetSpec(settings, c.withInit) as any).template.spec;
            assert.deepEqual(pod.containers[0].volumeMounts.map((m: any) => m.mountPath), c.mounts);
            assert.deepEqual(pod.volumes.map((v: any) => v.name), c.volumes);
        });

    it("keeps its volume when the StatefulSet is deleted or scaled down, on the platform's database class", () => {
        const spec = mariaDbStatefulSetSpec(settings, false) as any;
        assert.deepEqual(spec.persistentVolumeClaimRetentionPolicy, { whenDeleted: "Retain", whenScaled: "Retain" });
        assert.deepEqual(spec.volumeClaimTemplates[0].spec.storageClassName, "retain");
        assert.deepEqual(spec.volumeClaimTemplates[0].spec.resources.requests.storage, "50Gi");
    });

    it("runs as the image's mysql user, never root, and takes passwords from its Secret", () => {
        const pod = (mariaDbStatefulSetSpec(settings, false) as any).template.spec;
        assert.deepEqual([pod.securityContext.runAsNonRoot, pod.securityContext.runAsUser, pod.securityContext.fsGroup], [true, 999, 999]);
        for (const e of pod.containers[0].env) if (/PASSWORD/.test(e.name)) assert.ok(e.valueFrom.secretKeyRef, e.name);
    });
});

describe("Percona's values", () => {
    for (const members of [1, 3, 5])
        it(`${members} member(s) on the database class, at most one down at a time`, () => {
            const v = perconaClusterValues({ ...settings, members }) as any;
            assert.equal(v.pxc.size, members);
            assert.deepEqual(v.pxc.persistence, { enabled: true, storageClass: "retain", size: "50Gi" });
            assert.deepEqual(v.pxc.podDisruptionBudget, { maxUnavailable: 1 });
            assert.deepEqual(v.pxc.resources, { requests: { cpu: "250m", memory: "512Mi" }, limits: { cpu: "2", memory: "1Gi" } });
        });

    it("clients go through HAProxy; the chart's own backups are off (the app's backup CronJob dumps it)", () => {
        const v = perconaClusterValues({ ...settings, members: 3 }) as any;
        assert.deepEqual([v.haproxy.enabled, v.proxysql.enabled, v.backup.enabled], [true, false, false]);
        assert.equal(v.fullnameOverride, "database");
    });
});

describe("Percona's bootstrap Job", () => {
    const dirs: string[] = [];
    after(() => {
        for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    });

    it("is a database client that reads every password from a Secret, none on its command", () => {
        const job = bootstrapJobSpec(settings) as any;
        const c = job.template.spec.containers[0];
        assert.equal(job.template.metadata.labels[DB_CLIENT_LABEL], "true");
        const env = new Map((c.env as any[]).map((e) => [e.name, e]));
        assert.deepEqual(env.get("MYSQL_PWD").valueFrom, { secretKeyRef: { name: "database-secrets", key: "root" } });
        assert.ok(env.get("APP_PASSWORD").valueFrom.secretKeyRef);
        assert.deepEqual([env.get("APP_DATABASE").value, env.get("APP_USER").value], ["shop", "shop_app"]);
        assert.doesNotMatch(c.command.join(" "), /IDENTIFIED BY '[^$]/);
    });

    it("creates the database and the user through HAProxy, quoted the way MySQL needs", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pxc-bootstrap-"));
        dirs.push(dir);
        fs.writeFileSync(path.join(dir, "mysql"), `#!/bin/sh\nfor a in "$@"; do printf '%s\\n' "$a"; done >> '${dir}/calls'\necho --- >> '${dir}/calls'\n`, { mode: 0o755 });
        const r = spawnSync("sh", ["-ec", bootstrapSql("database-haproxy")], {
            env: { PATH: `${dir}:${process.env.PATH}`, APP_DATABASE: "shop", APP_USER: "shop_app", APP_PASSWORD: "s3cretPassw0rd" },
            encoding: "utf8",
        });
        assert.equal(r.status, 0, r.stderr);
        const calls = fs.readFileSync(path.join(dir, "calls"), "utf8").split("---\n").filter(Boolean).map((c) => c.trimEnd().split("\n"));
        assert.deepEqual(calls[0], ["-h", "database-haproxy", "-u", "root", "-e", "SELECT 1"], "waits until the cluster answers");
        assert.deepEqual(calls[1], [
            "-h",
            "database-haproxy",
            "-u",
            "root",
            "-e",
            "CREATE DATABASE IF NOT EXISTS `shop`; CREATE USER IF NOT EXISTS 'shop_app'@'%' IDENTIFIED BY 's3cretPassw0rd'; GRANT ALL PRIVILEGES ON `shop`.* TO 'shop_app'@'%';",
        ]);
    });
});
