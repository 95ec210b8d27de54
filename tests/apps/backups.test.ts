/**
 * The backup and restore scripts, run for real under bash with the database client and the S3
 * CLI replaced by stubs (a directory stands in for the bucket): what the restore loads is exactly
 * what the dump wrote, and dumps past the retention are deleted.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { BACKUP_SCRIPTS } from "../../infra/apps/backups";
import { tempDir } from "../helpers";

const DUMP_SQL = "-- dump\nCREATE DATABASE app;\nINSERT INTO t VALUES (1, 'it''s');\n";

function sandbox() {
    const base = tempDir("backup-");
    const bin = path.join(base, "bin");
    const bucket = path.join(base, "bucket");
    const backup = path.join(base, "backup");
    for (const d of [bin, bucket, backup]) fs.mkdirSync(d);
    const stub = (name: string, body: string) => fs.writeFileSync(path.join(bin, name), `#!/usr/bin/env bash\necho "${name} $*" >> '${base}/calls.log'\n${body}\n`, { mode: 0o755 });
    fs.writeFileSync(path.join(base, "server.sql"), DUMP_SQL);
    stub("mariadb-dump", `cat '${base}/server.sql'`);
    stub("mariadb", `cat > '${base}/loaded.sql'`);
    // aws s3 cp SRC DST | ls PREFIX | rm KEY, with s3://BUCKET/ mapped onto the bucket directory.
    stub(
        "aws",
        `args=(); for a in "$@"; do case "$a" in --only-show-errors) ;; --endpoint-url) skip=1 ;; *) if [ -n "\${skip:-}" ]; then skip=; else args+=("$a"); fi ;; esac; done
set -- "\${args[@]}"
map() { echo "$1" | sed "s#^s3://#${bucket}/#"; }
case "$2" in
  cp) src=$(map "$3"); dst=$(map "$4"); mkdir -p "$(dirname "$dst")"; cp "$src" "$dst" ;;
  ls) for f in "$(map "$3")"*; do [ -f "$f" ] && echo "2026-11-22 03:00:00 1 $(basename "$f")"; done; true ;;
  rm) rm "$(map "$3")" ;;
esac`,
    );
    const scripts = path.join(base, "scripts");
    fs.mkdirSync(scripts);
    for (const [n, s] of Object.entries(BACKUP_SCRIPTS)) fs.writeFileSync(path.join(scripts, n), s);
    const run = (script: string, args: string[], env: Record<string, string>) =>
        spawnSync("bash", [path.join(scripts, script), ...args], {
            encoding: "utf8",
            env: { PATH: `${bin}:/usr/bin:/bin`, BACKUP_DIR: backup, BUCKET: "acme-backups", PREFIX: "app/prod", ENDPOINT: "https://fsn1.your-objectstorage.com", MYSQL_PWD: "root-pw", DB_HOST: "database", ...env },
        });
    return { base, bucket, backup, run, calls: () => fs.readFileSync(path.join(base, "calls.log"), "utf8") };
}

describe("backup and restore", () => {
    it("restores exactly what the dump wrote", () => {
        const s = sandbox();
        const dump = s.run("backup-dump.sh", [], { DUMP_TOOL: "mariadb-dump" });
        assert.equal(dump.status, 0, dump.stderr);
        const upload = s.run("backup-upload.sh", [], { RETENTION_DAYS: "14" });
        assert.equal(upload.status, 0, upload.stderr);
        const stored = fs.readdirSync(path.join(s.bucket, "acme-backups/app/prod"));
        assert.equal(stored.length, 1);
        assert.match(stored[0], /^\d{8}T\d{6}Z\.sql\.gz$/);
        fs.rmSync(s.backup, { recursive: true });
        fs.mkdirSync(s.backup);
        const fetch = s.run("restore.sh", ["fetch"], {});
        assert.equal(fetch.status, 0, fetch.stderr);
        const load = s.run("restore.sh", ["load"], { CLIENT: "mariadb" });
        assert.equal(load.status, 0, load.stderr);
        assert.equal(fs.readFileSync(path.join(s.base, "loaded.sql"), "utf8"), DUMP_SQL);
        assert.match(load.stdout, new RegExp(`restored ${stored[0].replace(/\./g, "\\.")} into database`));
    });

    it("passes the password only through the environment", () => {
        const s = sandbox();
        s.run("backup-dump.sh", [], { DUMP_TOOL: "mariadb-dump" });
        assert.ok(!s.calls().includes("root-pw"));
        assert.match(s.calls(), /^mariadb-dump --host=database --user=root --single-transaction --routines --events --triggers --all-databases$/m);
    });

    it("deletes dumps older than the retention, keeps newer ones", () => {
        const s = sandbox();
        const dir = path.join(s.bucket, "acme-backups/app/prod");
        fs.mkdirSync(dir, { recursive: true });
        for (const old of ["20200101T030000Z.sql.gz", "20991231T030000Z.sql.gz", "notes.txt"]) fs.writeFileSync(path.join(dir, old), "x");
        s.run("backup-dump.sh", [], { DUMP_TOOL: "mariadb-dump" });
        const up = s.run("backup-upload.sh", [], { RETENTION_DAYS: "7" });
        assert.equal(up.status, 0, up.stderr);
        const left = fs.readdirSync(dir).sort();
        assert.ok(!left.includes("20200101T030000Z.sql.gz"), "old dump deleted");
        assert.ok(left.includes("20991231T030000Z.sql.gz") && left.includes("notes.txt"));
        assert.equal(left.length, 3);
    });

    it("restores a named dump, and fails clearly when there is none", () => {
        const s = sandbox();
        const none = s.run("restore.sh", ["fetch"], {});
        assert.equal(none.status, 1);
        assert.match(none.stderr, /restore: no dump in s3:\/\/acme-backups\/app\/prod\//);
        assert.equal(s.run("restore.sh", ["nonsense"], {}).status, 2);
    });

    it("a failing dump fails the job and leaves no partial file to upload", () => {
        const s = sandbox();
        fs.writeFileSync(path.join(s.base, "bin/mariadb-dump"), "#!/usr/bin/env bash\necho 'Access denied' >&2\nexit 2\n", { mode: 0o755 });
        const r = s.run("backup-dump.sh", [], { DUMP_TOOL: "mariadb-dump" });
        assert.notEqual(r.status, 0);
        assert.ok(!fs.existsSync(path.join(s.backup, "latest")));
    });
});
