/**
 * Bad input, fuzzed: valid stack configs mutated at random (wrong types, out-of-range numbers,
 * missing and unknown keys, odd strings, unicode, shell metacharacters in names and addresses).
 * Every run ends in a valid config or in key-path errors (exit 2): never a crash, never a value
 * with shell metacharacters accepted where it would reach a script.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { ConfigError, isConfigError } from "../../infra/config";
import { type Json, parse, problems, validConfig, withConfig } from "../helpers";

const RUNS = 2000;

/** A richer valid base: on-prem nodes, apps, backups, the mesh. */
function richConfig(): Record<string, Json> {
    return withConfig((c) => {
        c["infra:mesh"] = { enabled: true };
        c["infra:backupAccessKeyId"] = { secure: "v1:a" };
        c["infra:backupSecretAccessKey"] = { secure: "v1:b" };
        c["infra:pools"].push({ name: "dmz", provider: "vmware", role: "worker", nodes: [{ name: "w1", address: "192.168.18.202", user: "ubuntu" }] });
        c["infra:apps"] = {
            host: "app.example.com",
            backend: { image: "team/api:1.0", replicas: 2 },
            frontend: { image: "team/web:1.0" },
            database: { engine: "mariadb", initSql: "CREATE TABLE t (id INT);" },
            backups: { bucket: "acme-backups", schedule: "0 3 * * *" },
        };
    });
}

type Path = (string | number)[];
function paths(value: Json, at: Path = []): Path[] {
    const out: Path[] = [at];
    if (Array.isArray(value)) value.forEach((v, i) => out.push(...paths(v, [...at, i])));
    else if (value !== null && typeof value === "object") for (const [k, v] of Object.entries(value)) if (!(v && typeof v === "object" && "secure" in v)) out.push(...paths(v, [...at, k]));
    return out;
}
function setAt(root: any, path: Path, value: unknown): void {
    const parent = path.slice(0, -1).reduce((o, k) => o?.[k], root);
    if (parent && typeof parent === "object") parent[path[path.length - 1]] = value;
}
function deleteAt(root: any, path: Path): void {
    const parent = path.slice(0, -1).reduce((o, k) => o?.[k], root);
    if (Array.isArray(parent)) parent.splice(Number(path[path.length - 1]), 1);
    else if (parent && typeof parent === "object") delete parent[path[path.length - 1]];
}

const SHELL = ["'; rm -rf / #", "$(id)", "`reboot`", "a b", "x\ny", "a|b", "&&", "\"q\"", "../../etc/passwd"];
const oddString = fc.oneof(fc.constantFrom(...SHELL), fc.string(), fc.string({ unit: "grapheme" }), fc.constantFrom("", " ", "ünïcødé", "😀", "-1", "1e999", "null"));
const oddValue = fc.oneof(oddString, fc.integer({ min: -1e6, max: 1e6 }), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 2 }), fc.constant({}), fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 2 }));

type Mutation = { kind: "set"; pick: number; value: unknown } | { kind: "delete"; pick: number } | { kind: "unknown"; pick: number; key: string };
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
    fc.record({ kind: fc.constant("set" as const), pick: fc.nat(), value: oddValue }),
    fc.record({ kind: fc.constant("delete" as const), pick: fc.nat() }),
    fc.record({ kind: fc.constant("unknown" as const), pick: fc.nat(), key: fc.string({ minLength: 1, maxLength: 8 }) }),
);

function mutate(base: Record<string, Json>, ms: Mutation[]): Record<string, Json> {
    const c = structuredClone(base) as any;
    for (const m of ms) {
        const ps = paths(c).filter((p) => p.length > 0);
        const p = ps[m.pick % ps.length];
        if (m.kind === "set") setAt(c, p, m.value);
        else if (m.kind === "delete") deleteAt(c, p);
        else {
            const target = p.slice(0, -1).reduce((o: any, k) => o?.[k], c);
            if (target && typeof target === "object" && !Array.isArray(target)) target[m.key] = 1;
        }
    }
    return c;
}

/** Fields whose values reach shell scripts (node names, addresses, SSH users, the cluster name). */
const SCRIPT_BOUND = /^infra:(clusterName$|pools\[\d+\]\.(name|nodes\[\d+\]\.(name|address|privateAddress|user))$|ssh\.(user|bastion\.(host|user))$|kubernetes\.(version|apiEndpoint|containerdVersion)$)/;

describe("fuzzed stack configs", () => {
    it(`${RUNS} mutated configs end in a valid config or key-path errors, never a crash`, () => {
        let valid = 0;
        let rejected = 0;
        const started = Date.now();
        fc.assert(
            fc.property(fc.boolean(), fc.array(mutation, { minLength: 1, maxLength: 3 }), (rich, ms) => {
                const config = mutate(rich ? richConfig() : validConfig(), ms);
                let cfg;
                try {
                    cfg = parse(config);
                } catch (e) {
                    assert.ok(isConfigError(e), `not a config error: ${(e as Error)?.stack ?? String(e)}`);
                    const ps = (e as ConfigError).problems;
                    assert.ok(ps.length > 0);
                    for (const p of ps) {
                        assert.match(p.path, /^(infra|hcloud|aws):/, p.path);
                        assert.ok(p.message.length > 0);
                    }
                    rejected++;
                    return;
                }
                valid++;
                // A config that passed keeps shell metacharacters out of every script-bound field.
                const values: [string, unknown][] = [
                    ["infra:clusterName", cfg.clusterName],
                    ["infra:ssh.user", cfg.ssh.user],
                    ["infra:kubernetes.version", cfg.kubernetes?.version],
                    ["infra:kubernetes.apiEndpoint", cfg.kubernetes?.apiEndpoint],
                    ...cfg.pools.flatMap((p, i) => [
                        [`infra:pools[${i}].name`, p.name] as [string, unknown],
                        ...(p.provider === "vmware" || p.provider === "static" ? p.nodes.flatMap((n, j) => [[`infra:pools[${i}].nodes[${j}].address`, n.address], [`infra:pools[${i}].nodes[${j}].user`, n.user]] as [string, unknown][]) : []),
                    ]),
                ];
                for (const [path, v] of values) {
                    assert.ok(SCRIPT_BOUND.test(path));
                    if (typeof v === "string") assert.match(v, /^[A-Za-z0-9._-]+$/, `${path} = ${JSON.stringify(v)} would reach a script`);
                }
            }),
            { numRuns: RUNS, seed: 20261122 },
        );
        const seconds = (Date.now() - started) / 1000;
        console.log(`fuzz: ${RUNS} configs tried (${valid} valid, ${rejected} rejected with key-path errors) in ${seconds.toFixed(1)} s`);
        assert.equal(valid + rejected, RUNS);
        assert.ok(rejected > RUNS / 2, "most mutations are invalid");
        assert.ok(valid > 0, "some mutations stay valid");
        assert.ok(seconds < 60, `${seconds} s`);
    });
});

describe("every key is validated", () => {
    /** A config setting (nearly) every key the schema knows. */
    function fullConfig(): Record<string, Json> {
        return withConfig((c) => {
            c["infra:mode"] = "cluster";
            c["infra:clusterName"] = "acme";
            c["infra:mesh"] = { enabled: true, cidr: "10.200.0.0/16", port: 51820 };
            c["infra:etcdBackups"] = { intervalMinutes: 15, retentionDays: 7, bucket: "acme-etcd", region: "fsn1", endpoint: "https://fsn1.your-objectstorage.com" };
            c["infra:backupAccessKeyId"] = { secure: "v1:a" };
            c["infra:backupSecretAccessKey"] = { secure: "v1:b" };
            c["infra:registryPassword"] = { secure: "v1:c" };
            Object.assign(c["infra:kubernetes"], { podCidr: "10.244.0.0/16", serviceCidr: "10.96.0.0/12", cni: "calico", calicoVersion: "3.32.1", containerdVersion: "2.1.5", joinTokenTtlHours: 24, joinTokenRotation: 1 });
            Object.assign(c["infra:ssh"], { user: "root", dialErrorLimit: 20, perDialTimeoutSeconds: 10, allowWorldAdmin: false, bastion: { host: "bastion.example.com", user: "ops", port: 22 } });
            c["infra:hetzner"] = { networkCidr: "10.0.0.0/16", subnetCidr: "10.0.1.0/24" };
            c["infra:pools"][1].labels = { "node.acme/disk": "ssd" };
            c["infra:pools"][1].taints = [{ key: "acme/spot", value: "true", effect: "NoSchedule" }];
            c["infra:pools"].push({ name: "dmz", provider: "vmware", role: "worker", nodes: [{ name: "w1", address: "192.168.18.202", privateAddress: "192.168.18.202", user: "ubuntu", port: 22 }] });
            c["infra:platform"] = {
                cloudIntegration: "none",
                ingress: { enabled: true, controller: "traefik", exposure: "nodePort" },
                certManager: { enabled: true, email: "ops@example.com", issuer: "letsencrypt-staging" },
                metricsServer: { enabled: true },
                storage: { provisioner: "nfs", nfs: { server: "192.168.18.10", path: "/srv" }, classes: [{ name: "standard", reclaimPolicy: "Delete", default: true }], databaseClass: "standard" },
            };
            const wl = { replicas: 2, port: 8080, healthPath: "/", resources: { cpuRequest: "100m", memoryRequest: "128Mi", memoryLimit: "256Mi", cpuLimit: "1" }, autoscaling: { minReplicas: 2, maxReplicas: 4, cpuPercent: 70 }, minAvailable: 1, env: { A: "b" } };
            c["infra:apps"] = {
                namespace: "apps",
                host: "app.example.com",
                tolerateBurst: false,
                registry: { server: "registry.example.com", username: "deploy" },
                backend: { image: "team/api:1.0", ...wl, command: ["gunicorn"], paths: ["/api"], staticRoot: "/app/static" },
                frontend: { image: "team/web:1.0", ...wl, apiBaseUrl: "/api", configPath: "/usr/share/nginx/html/config.json" },
                workloads: [{ name: "shop", image: "team/shop:1.0", ...wl, service: "NodePort", nodePort: 30100, ingressPath: "/shop", useDatabase: true }],
                database: { engine: "mariadb", storageGi: 20, members: 1, name: "app", user: "app", initSql: "SELECT 1;", resources: { cpuRequest: "100m", memoryRequest: "128Mi", memoryLimit: "256Mi", cpuLimit: "1" } },
                backups: { schedule: "0 3 * * *", retentionDays: 14, bucket: "acme-backups", region: "fsn1", endpoint: "https://fsn1.your-objectstorage.com", createBucket: false },
            };
        });
    }

    it("the full config is valid", () => {
        parse(fullConfig());
    });

    it("each of its keys rejects a value of the wrong type, naming its own path", () => {
        const base = fullConfig();
        const leaves = paths(base).filter((p) => {
            const v = p.reduce((o: any, k) => o?.[k], base);
            return p.length >= 1 && (v === null || typeof v !== "object") && String(p[0]).startsWith("infra:");
        });
        assert.ok(leaves.length > 80, `${leaves.length} keys`);
        for (const p of leaves) {
            const broken = structuredClone(base) as any;
            setAt(broken, p, { wrong: true });
            const keyPath = p.reduce<string>((acc, k) => (typeof k === "number" ? `${acc}[${k}]` : acc ? `${acc}.${k}` : String(k)), "");
            let found: string[] = [];
            try {
                parse(broken);
            } catch (e) {
                if (!isConfigError(e)) throw e;
                found = (e as ConfigError).problems.map((x) => x.path);
            }
            // Top-level scalars arrive as strings (Pulumi config), so a map there is a JSON string: it fails as a whole key.
            assert.ok(found.includes(keyPath) || (p.length === 1 && found.length > 0), `${keyPath}: no error at its own path (got ${found.join(", ") || "none"})`);
        }
    });
});

/**
 * The classes the first fuzzer does not reach by mutation, each with an oracle of its own:
 * second-order shell injection (a value a script writes to a file that another script later
 * reads), world-open unions of admin ranges, and names at and over every length limit.
 */
describe("fuzzed attack classes", () => {
    const CLASS_RUNS = 1000;
    // etcd-restore.sh's own check of settings.env: every endpoint the config accepts must pass it.
    const RESTORE_ENDPOINT = /^https:\/\/[a-z0-9.-]+(:[0-9]{1,5})?(\/[A-Za-z0-9._~-]+)*$/;
    const SHELL_CHARS = /[\s$`'"\\;&|<>(){}*?!#~]/;
    const INJECTIONS = ["$(touch${IFS}/root/p)", "`id`", "'; reboot; '", '"x"', "a b", "x\ny", "$HOME", "\\", "&&true", "|sh", ">f", "#frag", "?q=1", "user:pw@"];
    const endpoint = fc.tuple(fc.constantFrom("https://", "http://", "ftp://", "HTTPS://", "javascript:", "file://", ""), fc.constantFrom("s3.example.com", "minio.internal", "10.0.0.5", "X.example"), fc.constantFrom("", ":9000", ":99999"), fc.array(fc.oneof(fc.constantFrom(...INJECTIONS), fc.stringMatching(/^[a-z0-9]{1,6}$/)), { maxLength: 3 }), fc.constantFrom("", "/"))
        .map(([scheme, host, port, segs, tail]) => `${scheme}${host}${port}${segs.map((s) => `/${s}`).join("")}${tail}`);
    const worldSplit = fc.integer({ min: 0, max: 8 }).map((bits) => Array.from({ length: 2 ** bits }, (_, i) => `${(i * 2 ** (8 - bits)) % 256}.0.0.0/${bits}`));
    const smallNet = fc.tuple(fc.integer({ min: 1, max: 223 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 16, max: 32 })).map(([a, b, len]) => `${a}.${b}.0.0/${len}`);

    it(`${CLASS_RUNS} cases of each class end as their oracle says`, () => {
        let accepted = 0;
        fc.assert(
            fc.property(endpoint, endpoint, fc.oneof(fc.constantFrom(...INJECTIONS), fc.stringMatching(/^[A-Za-z0-9._-]{0,70}$/)), (etcd, dumps, taintValue) => {
                const ps = problems(
                    withConfig((c) => {
                        c["infra:backupAccessKeyId"] = { secure: "v1:a" };
                        c["infra:backupSecretAccessKey"] = { secure: "v1:b" };
                        c["infra:etcdBackups"] = { bucket: "acme-etcd", endpoint: etcd };
                        c["infra:apps"] = { host: "app.example.com", database: {}, backups: { bucket: "acme-dumps", endpoint: dumps } };
                        c["infra:pools"][1].taints = [{ key: "acme/spot", value: taintValue, effect: "NoSchedule" }];
                    }),
                );
                for (const [key, v] of [["infra:etcdBackups.endpoint", etcd], ["infra:apps.backups.endpoint", dumps]] as const) {
                    const refused = ps.some((p) => p.startsWith(`${key}:`));
                    if (!refused) {
                        accepted++;
                        assert.match(v, RESTORE_ENDPOINT, `${key} accepted ${JSON.stringify(v)}, which the restore would refuse`);
                        assert.ok(!SHELL_CHARS.test(v), `${key} accepted ${JSON.stringify(v)}`);
                    } else assert.ok(!RESTORE_ENDPOINT.test(v) || v.length > 0, key);
                }
                const taintRefused = ps.some((p) => p.startsWith("infra:pools[1].taints[0].value:"));
                assert.equal(taintRefused, !/^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/.test(taintValue), `taint value ${JSON.stringify(taintValue)}`);
            }),
            { numRuns: CLASS_RUNS, seed: 20261122 },
        );
        assert.ok(accepted > 0, "some endpoints are valid");

        fc.assert(
            fc.property(fc.oneof(worldSplit.map((c) => ({ world: true, cidrs: c })), fc.array(smallNet, { minLength: 1, maxLength: 8 }).map((c) => ({ world: false, cidrs: c }))), ({ world, cidrs }) => {
                const ps = problems(
                    withConfig((c) => {
                        c["infra:environment"] = "prod";
                        c["infra:ssh"].adminCidrs = cidrs;
                    }),
                ).filter((p) => p.startsWith("infra:ssh.adminCidrs"));
                // A partition of all of IPv4 is the world; at most 8 networks of /16 or smaller are not.
                assert.equal(ps.length > 0, world, cidrs.join(" + "));
            }),
            { numRuns: CLASS_RUNS, seed: 20261123 },
        );

        fc.assert(
            fc.property(fc.integer({ min: 1, max: 34 }), fc.integer({ min: 1, max: 24 }), (clusterLen, poolLen) => {
                const c = withConfig((c) => {
                    delete c["hcloud:token"];
                    c["aws:region"] = "us-east-1";
                    c["infra:clusterName"] = `c${"a".repeat(clusterLen - 1)}`;
                    c["infra:pools"] = [
                        { name: "cp", provider: "aws", role: "control-plane", count: 1, instanceType: "t3.medium" },
                        { name: `p${"b".repeat(poolLen - 1)}`, provider: "aws", role: "worker", instanceType: "t3.medium", autoscaling: { min: 1, desired: 1, max: 3 } },
                    ];
                });
                // The limits: cluster name 30, pool name 20, and `<cluster>-<pool>-i-<17 hex>` one 63-character host name.
                const fits = clusterLen <= 30 && poolLen <= 20 && clusterLen + 1 + poolLen + 1 + 19 <= 63;
                assert.equal(problems(c).length === 0, fits, `cluster ${clusterLen}, pool ${poolLen}`);
            }),
            { numRuns: CLASS_RUNS, seed: 20261124 },
        );
    });
});
