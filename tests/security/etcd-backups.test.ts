/**
 * etcd backups: a snapshot timer on every control plane (prod), and the snapshot and restore
 * scripts run under bash against a fake root with stubs: what the restore puts back is exactly
 * the snapshot etcd wrote, credentials never reach a command line, old snapshots are pruned.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { composeScript, SCRIPTS } from "../../infra/bootstrap/remote";
import { curlCredentials } from "../../infra/bootstrap/steps";
import { planStack } from "../../tools/plan";
import { problems, tempDir, withConfig } from "../helpers";

describe("etcd backup schedule", () => {
    it("prod: every control plane runs the snapshot timer once etcd runs there, credentials only on stdin", async () => {
        const plan = await planStack("prod");
        const named = (n: string) => plan.resources.find((r) => r.name === n)!;
        for (const cp of ["k8s-cp-1", "k8s-cp-2", "k8s-cp-3"]) {
            const r = named(`${cp}-etcd-backup`);
            assert.ok(r.dependsOn.includes(named(cp === "k8s-cp-1" ? "k8s-cp-1-init" : `${cp}-join`).urn));
            assert.equal(r.inputs.stdin, "[secret]");
            const create = String(plan.plainInputs.get(r.urn)!.create);
            assert.match(create, /^INTERVAL_MINUTES='15'$/m);
            assert.match(create, /^RETENTION_DAYS='7'$/m);
            assert.match(create, /^ENDPOINT='https:\/\/fsn1\.your-objectstorage\.com'$/m);
            assert.ok(!create.includes(plan.file.placeholders["infra:backupSecretAccessKey"]));
        }
        assert.equal(plan.resources.filter((r) => r.name.endsWith("-etcd-backup")).length, 3);
    });
    it("needs the storage credentials", () => {
        assert.deepEqual(
            problems(withConfig((c) => (c["infra:etcdBackups"] = { bucket: "acme-etcd" }))),
            [
                "infra:backupAccessKeyId: is required with etcdBackups: pulumi config set --secret infra:backupAccessKeyId ...",
                "infra:backupSecretAccessKey: is required with etcdBackups: pulumi config set --secret infra:backupSecretAccessKey ...",
            ],
        );
    });
    it("accepts only https endpoints of the documented shape, for etcd and the app's dumps", () => {
        const at = (endpoint: string) =>
            problems(withConfig((c) => {
                c["infra:backupAccessKeyId"] = { secure: "v1:a" };
                c["infra:backupSecretAccessKey"] = { secure: "v1:b" };
                c["infra:etcdBackups"] = { bucket: "acme-etcd", endpoint };
                c["infra:apps"] = { host: "app.example.com", database: {}, backups: { bucket: "acme-dumps", endpoint } };
            }));
        for (const ok of ["https://fsn1.your-objectstorage.com", "https://minio.internal:9000", "https://s3.example.com/tenant-1", "https://10.0.0.5:9000"]) assert.deepEqual(at(ok), [], ok);
        for (const hostile of ["https://x/$(touch${IFS}/root/p)", "https://x/`id`", "https://x/a b", "https://x/'q'", 'https://x/"q"', "https://user:pw@x", "https://x/?a=1", "https://x/#f", "https://x/", "ftp://x", "javascript:alert(1)", "file:///etc/passwd", "https://X.example", "https://x\ny", "https://x:99999"]) {
            const ps = at(hostile);
            assert.equal(ps.length, 2, `${hostile}: ${ps.join("; ")}`);
            assert.match(ps[0], /^infra:apps\.backups\.endpoint: must be an https URL of the form https:\/\/<host>\[:<port>\]\[\/<path>\]/);
            assert.match(ps[1], /^infra:etcdBackups\.endpoint: must be an https URL of the form/);
        }
        assert.deepEqual(at("http://minio.internal:9000"), [
            "infra:apps.backups.endpoint: must be an https URL: plain http would send the storage keys in clear",
            "infra:etcdBackups.endpoint: must be an https URL: plain http would send the storage keys in clear",
        ]);
    });
    it("writes curl's credentials file quoted", () => {
        assert.equal(curlCredentials('AK"1', "s\\k"), 'user = "AK\\"1:s\\\\k"\n');
    });
});

const SNAPSHOT = "etcd snapshot bytes \u0000\u0001 v3";

function node() {
    const base = tempDir("etcd-");
    const root = path.join(base, "root");
    const bucket = path.join(base, "bucket");
    const bin = path.join(base, "bin");
    for (const d of [root, bucket, bin, `${root}/var/lib/etcd`, `${root}/etc/kubernetes/manifests`, `${root}/etc/kubernetes/infra/etcd-backup`]) fs.mkdirSync(d, { recursive: true });
    fs.writeFileSync(`${root}/etc/kubernetes/infra/etcd-backup/credentials`, curlCredentials("AKID", "TOPSECRETKEY"));
    fs.writeFileSync(`${root}/etc/kubernetes/infra/etcd-backup/settings.env`, "BUCKET=acme-etcd\nPREFIX=etcd/acme-prod\nREGION=fsn1\nENDPOINT=https://s3.example\nRETENTION_DAYS=7\n");
    fs.writeFileSync(`${root}/etc/kubernetes/manifests/etcd.yaml`, "spec:\n  containers:\n  - command:\n    - etcd\n    - --advertise-client-urls=https://10.200.0.1:2379\n    image: registry.k8s.io/etcd:3.6.5-0\n");
    fs.writeFileSync(`${root}/etc/kubernetes/manifests/kube-apiserver.yaml`, "apiserver\n");
    const log = path.join(base, "calls.log");
    const stub = (name: string, body: string) => fs.writeFileSync(path.join(bin, name), `#!/usr/bin/env bash\necho "${name} $*" >> '${log}'\n${body}\n`, { mode: 0o755 });
    stub("crictl", `case "$1" in ps) echo c0ffee;; exec) printf '%s' ${JSON.stringify(SNAPSHOT).replace(/\\u0000/g, "").replace(/\\u0001/g, "")} > '${root}/var/lib/etcd/infra-snapshot.db';; esac`);
    stub("hostname", "echo k8s-cp-1");
    // curl: -T upload, -o download, -X DELETE, or a listing (S3 ListObjectsV2 XML).
    stub(
        "curl",
        `up=""; out=""; del=""; url=""; while [ $# -gt 0 ]; do case "$1" in -T) up="$2"; shift;; -o) out="$2"; shift;; -X) del="$2"; shift;; -K|--aws-sigv4) shift;; https://*) url="$1";; esac; shift; done
key="\${url#https://s3.example/}"
if [ -n "$up" ]; then mkdir -p "$(dirname '${bucket}'/"$key")"; cp "$up" '${bucket}'/"$key"
elif [ -n "$out" ]; then cp '${bucket}'/"$key" "$out"
elif [ "$del" = DELETE ]; then rm '${bucket}'/"$key"
else echo "<ListBucketResult>"; (cd '${bucket}/acme-etcd' 2>/dev/null && find . -type f | sed 's#^./##' | while read -r k; do echo "<Key>$k</Key>"; done); echo "</ListBucketResult>"; fi`,
    );
    stub("ctr", `args=("$@"); db=""; dir=""; for i in "\${!args[@]}"; do [ "\${args[$i]}" = restore ] && db="\${args[$((i+1))]}"; [ "\${args[$i]}" = --data-dir ] && dir="\${args[$((i+1))]}"; done; mkdir -p "$dir/member/snap"; cp "$db" "$dir/member/snap/db"`);
    const run = (script: string, args: string[] = [], env: Record<string, string> = {}) => {
        fs.rmSync(log, { force: true });
        const r = spawnSync("bash", ["-c", script, "script", ...args], { encoding: "utf8", env: { PATH: `${bin}:/usr/bin:/bin`, INFRA_ROOT: root, ...env } });
        return { ...r, calls: fs.existsSync(log) ? fs.readFileSync(log, "utf8") : "" };
    };
    return { root, bucket, run };
}

describe("etcd snapshot and restore", () => {
    const settings = { BUCKET: "acme-etcd", PREFIX: "etcd/acme-prod", REGION: "fsn1", ENDPOINT: "https://s3.example", RETENTION_DAYS: "7" };
    const expected = SNAPSHOT.replace(/\u0000|\u0001/g, "");

    it("restores exactly the snapshot etcd wrote, from the node's own etcd image", () => {
        const n = node();
        const snap = n.run(SCRIPTS.etcdSnapshot, [], settings);
        assert.equal(snap.status, 0, snap.stderr);
        const stored = fs.readdirSync(path.join(n.bucket, "acme-etcd/etcd/acme-prod"));
        assert.equal(stored.length, 1);
        assert.match(stored[0], /^\d{8}T\d{6}Z-k8s-cp-1\.db\.gz$/);
        assert.ok(!snap.calls.includes("TOPSECRETKEY"), "credentials come from the -K file, not the command line");
        fs.writeFileSync(path.join(n.root, "var/lib/etcd/old-data"), "x");
        const restore = n.run(SCRIPTS.etcdRestore);
        assert.equal(restore.status, 0, restore.stderr);
        assert.equal(fs.readFileSync(path.join(n.root, "var/lib/etcd/member/snap/db"), "utf8"), expected);
        assert.match(restore.calls, /^ctr -n k8s\.io run --rm .* registry\.k8s\.io\/etcd:3\.6\.5-0 infra-etcd-restore etcdutl snapshot restore .* --initial-advertise-peer-urls https:\/\/10\.200\.0\.1:2380$/m);
        assert.ok(fs.existsSync(path.join(n.root, "etc/kubernetes/manifests/etcd.yaml")), "the static pods come back");
        assert.ok(fs.readdirSync(path.join(n.root, "var/lib")).some((d) => d.startsWith("etcd.before-restore.")), "the previous data is kept");
    });

    it("deletes snapshots past the retention, keeps newer ones", () => {
        const n = node();
        const dir = path.join(n.bucket, "acme-etcd/etcd/acme-prod");
        fs.mkdirSync(dir, { recursive: true });
        for (const f of ["20200101T000000Z-k8s-cp-2.db.gz", "20991231T000000Z-k8s-cp-2.db.gz"]) fs.writeFileSync(path.join(dir, f), "x");
        const r = n.run(SCRIPTS.etcdSnapshot, [], settings);
        assert.equal(r.status, 0, r.stderr);
        const left = fs.readdirSync(dir);
        assert.ok(!left.includes("20200101T000000Z-k8s-cp-2.db.gz"));
        assert.ok(left.includes("20991231T000000Z-k8s-cp-2.db.gz"));
        assert.equal(left.length, 2);
    });

    it("restore reads settings.env as data: a command substitution in a value never runs, and the value is refused", () => {
        const n = node();
        const marker = path.join(n.root, "pwned");
        const env = path.join(n.root, "etc/kubernetes/infra/etcd-backup/settings.env");
        for (const hostile of [`https://x/$(touch ${marker})`, `https://x/\`touch ${marker}\``, "https://x'; touch " + marker + "; '"]) {
            fs.writeFileSync(env, `BUCKET=acme-etcd\nPREFIX=etcd/acme-prod\nREGION=fsn1\nENDPOINT=${hostile}\nRETENTION_DAYS=7\n`);
            const r = n.run(SCRIPTS.etcdRestore);
            assert.ok(!fs.existsSync(marker), `${hostile} ran as root`);
            assert.notEqual(r.status, 0);
            assert.match(r.stderr, /etcd-restore: ENDPOINT in .*settings\.env is not an https URL/);
            assert.ok(!r.calls.includes("curl"), "nothing is downloaded from a refused endpoint");
        }
        fs.writeFileSync(env, "BUCKET=acme-etcd\nPREFIX=etcd/acme-prod\nREGION=fsn1\nENDPOINT=https://s3.example\nRETENTION_DAYS=7\nPATH=/nonexistent\n");
        n.run(SCRIPTS.etcdSnapshot, [], settings);
        const r = n.run(SCRIPTS.etcdRestore);
        assert.equal(r.status, 0, `an unknown key (PATH) is ignored, not assigned: ${r.stderr}`);
    });

    it("the installer writes the timer once and enables it; a second run changes nothing", () => {
        const n = node();
        const install = composeScript(SCRIPTS.etcdBackup, { INTERVAL_MINUTES: 15, ...settings });
        fs.writeFileSync(path.join(n.root, "../bin/systemctl"), `#!/usr/bin/env bash\necho "systemctl $*" >> '${path.join(n.root, "../calls.log")}'\ncase "$1" in is-enabled) [ -f '${n.root}/enabled' ];; enable) touch '${n.root}/enabled';; esac\n`, { mode: 0o755 });
        const first = n.run(install);
        assert.equal(first.status, 0, first.stderr);
        assert.match(fs.readFileSync(path.join(n.root, "etc/systemd/system/infra-etcd-backup.timer"), "utf8"), /OnUnitActiveSec=15min/);
        assert.match(first.calls, /systemctl enable --now infra-etcd-backup\.timer/);
        const second = n.run(install);
        assert.equal(second.status, 0, second.stderr);
        assert.ok(!/daemon-reload|enable --now/.test(second.calls), second.calls);
    });
});
