/**
 * The app's pods under the mock runtime, in every stack shape (dev: Django, Angular, MariaDB;
 * local: further workloads, MariaDB with init SQL; prod: Percona, backups; staging: MariaDB
 * backups): no service account token, a read-only root filesystem in every container, and a
 * writable volume at every path a container writes.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { NGINX_WRITABLE_PATHS } from "../../infra/apps/angular";
import { BACKUP_SCRIPTS } from "../../infra/apps/backups";
import { MARIADB_DATA_DIR, MARIADB_RUN_DIR } from "../../infra/apps/database/mariadb";
import { deploymentSpec, scratch, scratchVolumeName, type WebWorkloadSpecArgs } from "../../infra/apps/workload";
import { planStack, type PlannedResource } from "../../tools/plan";

const STACKS = ["dev", "local", "prod", "staging"];
const WORKLOAD_KINDS = new Set(["Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"]);

interface AppPod {
    readonly stack: string;
    readonly object: string;
    readonly spec: any;
    /** Volume claim templates of a StatefulSet: writable volumes the pod gets besides its own. */
    readonly claims: Set<string>;
}

/** The workloads this program renders into the app's namespace (the Percona charts' pods are the operator's). */
function appPods(stack: string, resources: readonly PlannedResource[]): AppPod[] {
    return resources
        .filter((r) => r.type.startsWith("kubernetes:") && !r.type.includes("helm.sh") && r.urn.includes("infra:apps:") && WORKLOAD_KINDS.has(r.inputs.kind as string))
        .map((r) => {
            const spec = r.inputs.spec as any;
            return {
                stack,
                object: `${r.inputs.kind} ${(r.inputs.metadata as any).name}`,
                spec: r.inputs.kind === "CronJob" ? spec.jobTemplate.spec.template.spec : spec.template.spec,
                claims: new Set<string>((spec.volumeClaimTemplates ?? []).map((t: any) => t.metadata.name)),
            };
        });
}

const containers = (p: AppPod): any[] => [...(p.spec.initContainers ?? []), ...p.spec.containers];
const env = (c: any, name: string): string | undefined => (c.env ?? []).find((e: any) => e.name === name)?.value;

/** Whether `path` lies on a volume the container may write: an emptyDir of the pod or a claim, mounted read-write. */
function writable(p: AppPod, c: any, path: string): boolean {
    return (c.volumeMounts ?? []).some((m: any) => {
        if (!(path === m.mountPath || path.startsWith(`${m.mountPath.replace(/\/$/, "")}/`)) || m.readOnly) return false;
        const v = (p.spec.volumes ?? []).find((x: any) => x.name === m.name);
        return v?.emptyDir !== undefined || v?.persistentVolumeClaim !== undefined || p.claims.has(m.name);
    });
}

// The backup scripts write where BACKUP_DIR points, /backup unless set: read from the scripts themselves.
const scriptDirs = Object.values(BACKUP_SCRIPTS).map((s) => /dir="\$\{BACKUP_DIR:-([^}]+)\}"/.exec(s)?.[1]);

/**
 * What each container writes besides /tmp (which every one of them may: temporary files, gunicorn's
 * heartbeat, MariaDB's tmpdir): paths the program knows from the images (see the comments beside
 * the specs) or tells the container itself (STATIC_ROOT, HOME, BACKUP_DIR).
 */
const WRITES: Record<string, (c: any) => string[]> = {
    backend: () => [],
    migrate: () => [],
    collectstatic: (c) => [env(c, "STATIC_ROOT")!],
    frontend: () => [...NGINX_WRITABLE_PATHS],
    mariadb: () => [MARIADB_DATA_DIR, MARIADB_RUN_DIR],
    dump: (c) => [env(c, "BACKUP_DIR") ?? scriptDirs[0]!],
    upload: (c) => [env(c, "BACKUP_DIR") ?? scriptDirs[1]!, env(c, "HOME")!],
    fetch: (c) => [env(c, "BACKUP_DIR") ?? scriptDirs[2]!, env(c, "HOME")!],
    load: (c) => [env(c, "BACKUP_DIR") ?? scriptDirs[2]!],
    bootstrap: () => [],
};
// The local stack's further workloads: any image, so /tmp only (the schema documents it).
const USER_WORKLOADS = ["api", "ui"];

describe("app pods: no API token, read-only root filesystems, writable volumes where they write", () => {
    let pods: AppPod[] = [];
    before(async () => {
        for (const s of STACKS) pods = pods.concat(appPods(s, (await planStack(s)).resources));
    });

    it("the scripts' dump directory is read from the scripts", () => assert.deepEqual(scriptDirs, ["/backup", "/backup", "/backup"]));

    it("covers every kind of app container in some stack", () => {
        const seen = new Set(pods.flatMap((p) => containers(p).map((c) => c.name)));
        for (const name of [...Object.keys(WRITES), ...USER_WORKLOADS]) assert.ok(seen.has(name), `no stack runs a ${name} container`);
        for (const name of seen) assert.ok(name in WRITES || USER_WORKLOADS.includes(name), `${name}: what does it write? (add it to WRITES)`);
    });

    it("no app pod mounts a service account token", () => {
        for (const p of pods) assert.equal(p.spec.automountServiceAccountToken, false, `${p.stack}: ${p.object}`);
    });

    it("every container's root filesystem is read-only", () => {
        for (const p of pods) for (const c of containers(p)) assert.equal(c.securityContext?.readOnlyRootFilesystem, true, `${p.stack}: ${p.object}/${c.name}`);
    });

    it("every path a container writes is a writable volume: /tmp everywhere, and each one's own", () => {
        for (const p of pods)
            for (const c of containers(p))
                for (const path of ["/tmp", ...(WRITES[c.name]?.(c) ?? [])]) assert.ok(writable(p, c, path), `${p.stack}: ${p.object}/${c.name} writes ${path}, which is no writable volume`);
    });

    it("every mount names a volume of the pod (or a claim of the StatefulSet)", () => {
        for (const p of pods) {
            const volumes = new Set<string>([...(p.spec.volumes ?? []).map((v: any) => v.name), ...p.claims]);
            for (const c of containers(p)) for (const m of c.volumeMounts ?? []) assert.ok(volumes.has(m.name), `${p.stack}: ${p.object}/${c.name} mounts ${m.name}, which the pod lacks`);
        }
    });

    it("the server only reads the static files collectstatic wrote", () => {
        for (const p of pods.filter((x) => x.object === "Deployment backend")) {
            const server = p.spec.containers[0];
            const root = env(p.spec.initContainers[0], "STATIC_ROOT");
            assert.deepEqual(
                server.volumeMounts.filter((m: any) => m.mountPath === root).map((m: any) => m.readOnly),
                [true],
                p.stack,
            );
        }
    });
});

describe("scratch volumes", () => {
    it("/tmp always, first, and each path once; named after the path", () => {
        const s = scratch("/run/mysqld", "/tmp", "/run/mysqld");
        assert.deepEqual(s.mounts, [
            { name: "scratch-tmp", mountPath: "/tmp" },
            { name: "scratch-run-mysqld", mountPath: "/run/mysqld" },
        ]);
        assert.deepEqual(s.volumes, [
            { name: "scratch-tmp", emptyDir: {} },
            { name: "scratch-run-mysqld", emptyDir: {} },
        ]);
    });

    it("volume names are DNS labels of at most 63 characters", () => {
        for (const p of ["/tmp", "/var/cache/nginx", "/", "/Data_Dir/", `/${"x".repeat(80)}`]) assert.match(scratchVolumeName(p), /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, p);
    });

    it("two paths that would share a volume are refused", () => {
        assert.throws(() => scratch("/var/cache", "/var_cache"), /would share the volume scratch-var-cache/);
    });

    const web: WebWorkloadSpecArgs = {
        id: { partOf: "shop", instance: "acme-app" },
        name: "api",
        component: "api",
        image: "team/api:1.0",
        port: 8080,
        replicas: 1,
        healthPath: "/",
        resources: { memoryRequest: "64Mi", cpuLimit: "1", memoryLimit: "128Mi" },
    };
    it("a web workload of any image: no token, a read-only root, /tmp writable, and the paths it is given", () => {
        const pod = (deploymentSpec({ ...web, writablePaths: ["/var/cache/app"] }) as any).template.spec;
        assert.equal(pod.automountServiceAccountToken, false);
        assert.equal(pod.containers[0].securityContext.readOnlyRootFilesystem, true);
        assert.deepEqual(pod.containers[0].volumeMounts.map((m: any) => m.mountPath), ["/tmp", "/var/cache/app"]);
        assert.deepEqual((deploymentSpec(web) as any).template.spec.volumes, [{ name: "scratch-tmp", emptyDir: {} }]);
    });
});
