/**
 * Stack files the plan must refuse or read exactly as the Pulumi CLI does (go-yaml v3): alias
 * bombs and other YAML that does not load are exit 2 naming the file; merge keys (`<<: *anchor`)
 * load as merges; numbers that are not finite are refused naming the key; a burst stack whose
 * base has no stack file in the repository says so.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { isConfigError } from "../../infra/config";
import { parseStackFile, planText, REPO_ROOT, StackFileError, stackFilePath } from "../../tools/plan";
import { stackYaml, tempDir, validConfig } from "../helpers";

function plan(...args: string[]) {
    const r = spawnSync("npm", ["run", "--silent", "plan", "--", ...args], { cwd: REPO_ROOT, encoding: "utf8" });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr.split("\n").filter((l) => !l.startsWith("npm warn")).join("\n") };
}
function writeTemp(name: string, text: string): string {
    const file = path.join(tempDir("plan-stack-file-"), name);
    fs.writeFileSync(file, text);
    return file;
}
/** The StackFileError `f` throws, or a failed assertion. */
function stackFileError(f: () => unknown): StackFileError {
    try {
        f();
    } catch (e) {
        assert.ok(e instanceof StackFileError, `expected a StackFileError, got ${String(e)}`);
        return e;
    }
    assert.fail("expected a StackFileError, nothing was thrown");
}
/** The `path: message` lines of the ConfigError `f` throws. */
function configProblems(f: () => unknown): string[] {
    try {
        f();
    } catch (e) {
        assert.ok(isConfigError(e), `expected a ConfigError, got ${String(e)}`);
        return e.problems.map((p) => `${p.path}: ${p.message}`);
    }
    assert.fail("expected a ConfigError, nothing was thrown");
}

/** Nine levels of nine aliases each: 9^9 strings if expanded ("billion laughs"). */
const ALIAS_BOMB = [
    "config:",
    '  infra:a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
    ...["b", "c", "d", "e", "f", "g", "h", "i"].map((n, i) => {
        const prev = "abcdefgh"[i];
        return `  infra:${n}: &${n} [${Array(9).fill(`*${prev}`).join(",")}]`;
    }),
    "",
].join("\n");

/** validConfig's stack file, its two pools written with a merge key from an anchored pool. */
const MERGED_POOLS = stackYaml(validConfig()).replace(
    /^ {2}infra:pools:\n(?: {4}.*\n)+/m,
    [
        "  infra:pools:",
        "    - &cp",
        "      name: cp",
        "      provider: hetzner",
        "      role: control-plane",
        "      count: 1",
        "      serverType: cx23",
        "      location: fsn1",
        "    - <<: *cp",
        "      name: workers",
        "      role: worker",
        "",
    ].join("\n"),
);

const burstYaml = (baseStack: string) =>
    fs.readFileSync(stackFilePath("prod-burst"), "utf8").replace(/^( {4}baseStack: ).*$/m, `$1${baseStack}`);

describe("stack files that do not load", () => {
    it("an alias bomb is a one-line error naming the file (exit 2), never an internal failure", () => {
        const e = stackFileError(() => parseStackFile("Pulumi.x.yaml", ALIAS_BOMB));
        assert.equal(e.exitCode, 2);
        assert.match(e.message, /^Pulumi\.x\.yaml: YAML refused: its aliases expand excessively/);
        assert.ok(!e.message.includes("\n"), e.message);
    });

    it("an alias without its anchor names the file, line and column (exit 2)", () => {
        const e = stackFileError(() => parseStackFile("Pulumi.x.yaml", "config:\n  infra:environment: dev\n  infra:ssh: *nothere\n"));
        assert.equal(e.exitCode, 2);
        assert.equal(e.message, "Pulumi.x.yaml:3:14: YAML does not parse: alias *nothere has no anchor &nothere before it");
    });

    it("an alias before its anchor is the same error", () => {
        const e = stackFileError(() => parseStackFile("Pulumi.x.yaml", "config:\n  infra:a: *x\n  infra:b: &x 1\n"));
        assert.equal(e.exitCode, 2);
        assert.match(e.message, /^Pulumi\.x\.yaml:2:12: YAML does not parse: alias \*x has no anchor &x before it$/);
    });

    it("an alias inside its own anchor (a value that contains itself) is exit 2 naming the position, not a stack overflow", () => {
        for (const [text, col] of [
            ["config:\n  infra:a: &a [1, *a]\n", 19],
            ["config:\n  infra:a: &a {x: 1, y: *a}\n", 25],
        ] as const) {
            const e = stackFileError(() => parseStackFile("Pulumi.x.yaml", text));
            assert.equal(e.exitCode, 2);
            assert.equal(e.message, `Pulumi.x.yaml:2:${col}: YAML does not parse: alias *a stands inside its own anchor &a`);
        }
    });

    it("a merge key whose value is not a map is exit 2 naming the file", () => {
        const e = stackFileError(() => parseStackFile("Pulumi.x.yaml", "config:\n  infra:a: &x 1\n  infra:b:\n    <<: *x\n"));
        assert.equal(e.exitCode, 2);
        assert.match(e.message, /^Pulumi\.x\.yaml: YAML does not load: /);
        assert.ok(!e.message.includes("\n"), e.message);
    });

    it("a list or map as a key is exit 2 naming the file and line", () => {
        const e = stackFileError(() => parseStackFile("Pulumi.x.yaml", "config:\n  infra:ssh:\n    ? [a, b]\n    : 1\n"));
        assert.equal(e.exitCode, 2);
        assert.match(e.message, /^Pulumi\.x\.yaml:3:\d+: YAML does not parse: /);
    });

    it("two merge keys in one map are refused, as go-yaml refuses them", () => {
        const text = "config:\n  infra:a: &a {x: 1}\n  infra:b: &b {y: 1}\n  infra:c:\n    <<: *a\n    <<: *b\n";
        const e = stackFileError(() => parseStackFile("Pulumi.x.yaml", text));
        assert.equal(e.exitCode, 2);
        assert.match(e.message, /^Pulumi\.x\.yaml:6:5: YAML does not parse: Map keys must be unique/);
    });
});

describe("merge keys load as the Pulumi CLI loads them", () => {
    it("`<<: *cp` merges the anchored map: the same values as the file written out", () => {
        assert.match(MERGED_POOLS, /<<: \*cp/);
        const merged = parseStackFile("Pulumi.x.yaml", MERGED_POOLS);
        const expanded = parseStackFile("Pulumi.x.yaml", stackYaml(validConfig()));
        assert.deepEqual(JSON.parse(merged.values["infra:pools"]), JSON.parse(expanded.values["infra:pools"]));
        assert.deepEqual({ ...merged.values, "infra:pools": "" }, { ...expanded.values, "infra:pools": "" });
        assert.deepEqual(merged.secretKeys, expanded.secretKeys);
    });

    it("the map's own keys win over merged ones wherever they stand, and earlier merge sources over later ones", () => {
        const text = ["config:", "  infra:a: &a {x: 1, y: 1}", "  infra:b: &b {x: 2, z: 2}", "  infra:c:", "    y: 3", "    <<: [*a, *b]", ""].join("\n");
        assert.deepEqual(JSON.parse(parseStackFile("Pulumi.x.yaml", text).values["infra:c"]), { y: 3, x: 1, z: 2 });
    });

    it("a merged `secure:` value stays a secret", () => {
        const text = ["config:", "  infra:a: &s {secure: v1:abc}", "  infra:sshPrivateKey:", "    <<: *s", ""].join("\n");
        const f = parseStackFile("Pulumi.x.yaml", text);
        assert.ok(f.secretKeys.includes("infra:sshPrivateKey"));
        assert.match(f.values["infra:sshPrivateKey"], /^plan-secret-/);
    });

    it("a stack file with merge keys plans like the one written out", async () => {
        const [merged, expanded] = [await planText("merge", MERGED_POOLS), await planText("merge", stackYaml(validConfig()))];
        assert.deepEqual(
            merged.resources.map((r) => r.urn),
            expanded.resources.map((r) => r.urn),
        );
    });
});

describe("numbers that are not finite", () => {
    const withCount = (count: string) => stackYaml(validConfig()).replace(/^( {6}count: )1$/m, `$1${count}`);

    it("count: 1e400 names the key and says the number is out of range (it is not `null`)", () => {
        assert.match(withCount("1e400"), /count: 1e400/);
        const found = configProblems(() => parseStackFile("Pulumi.x.yaml", withCount("1e400")));
        assert.equal(found.length, 1, found.join("\n"));
        assert.match(found[0], /^infra:pools\[0\]\.count: 1e400 is not a finite number: it is beyond the largest number a 64-bit float holds/);
        assert.doesNotMatch(found[0], /null/);
    });

    it(".inf, -.inf and .nan are refused too, naming each key, wherever they stand", () => {
        const text = ["config:", "  infra:x: -.inf", "  infra:y: [1, .nan]", "  infra:z: {a: {b: .Inf}}", ""].join("\n");
        const found = configProblems(() => parseStackFile("Pulumi.x.yaml", text));
        assert.equal(found.length, 3, found.join("\n"));
        assert.match(found[0], /^infra:x: -\.inf is not a finite number/);
        assert.match(found[1], /^infra:y\[1\]: \.nan is not a number/);
        assert.match(found[2], /^infra:z\.a\.b: \.Inf is not a finite number/);
    });

    it("a value behind an alias is reported under each key that uses it", () => {
        const found = configProblems(() => parseStackFile("Pulumi.x.yaml", "config:\n  infra:a: &big 1e999\n  infra:b: [*big]\n"));
        assert.deepEqual(
            found.map((l) => l.split(":").slice(0, 2).join(":")),
            ["infra:a", "infra:b[0]"],
        );
    });

    it("explicitly tagged values that are not plain data (!!binary, !!set, !!omap, !!timestamp) are refused naming the key", () => {
        const text = ["config:", "  infra:a: !!binary aGVsbG8=", "  infra:b: !!set {x, y}", "  infra:c: !!omap [k: 1]", "  infra:d: !!timestamp 2001-12-14", ""].join("\n");
        const found = configProblems(() => parseStackFile("Pulumi.x.yaml", text));
        assert.deepEqual(
            found.map((l) => /^([^ ]+): .*(!!\w+)/.exec(l)?.slice(1, 3).join(" ")),
            ["infra:a !!binary", "infra:b !!set", "infra:c !!omap", "infra:d !!timestamp"],
        );
    });
});

describe("a burst stack whose base has no stack file", () => {
    it("says the base's file does not exist, naming it and infra:burst.baseStack (exit 2)", async () => {
        await assert.rejects(planText("prod-burst", burstYaml("acme/infra/nosuch")), (e: unknown) => {
            assert.ok(e instanceof StackFileError, String(e));
            assert.equal(e.exitCode, 2);
            assert.equal(
                e.message,
                `infra:burst.baseStack: acme/infra/nosuch: the offline plan reads the base's outputs from the plan of its stack file, and ${stackFilePath("nosuch")} does not exist (plan against a stack of this repository)`,
            );
            return true;
        });
    });

    it("a base that is not a cluster stack says what it is", async () => {
        await assert.rejects(planText("prod-burst", burstYaml("acme/infra/local")), (e: unknown) => {
            assert.ok(e instanceof StackFileError, String(e));
            assert.equal(e.exitCode, 2);
            assert.match(e.message, /^infra:burst\.baseStack: acme\/infra\/local is an apps-only stack \(.*Pulumi\.local\.yaml\), not a cluster: /);
            return true;
        });
    });

    it("a base that is the burst stack itself is refused", async () => {
        await assert.rejects(planText("prod-burst", burstYaml("acme/infra/prod-burst")), (e: unknown) => {
            assert.ok(e instanceof StackFileError, String(e));
            assert.equal(e.exitCode, 2);
            assert.match(e.message, /^infra:burst\.baseStack: acme\/infra\/prod-burst names this stack itself: /);
            return true;
        });
    });

    it("an invalid config is still reported as such, before the base is looked for", async () => {
        const text = burstYaml("acme/infra/nosuch").replace("  infra:environment: prod\n", "  infra:environment: prod\n  infra:colour: blue\n");
        await assert.rejects(planText("prod-burst", text), (e: unknown) => isConfigError(e) && /^ {2}infra:colour: unknown key/m.test(e.message));
    });
});

describe("npm run plan with these stack files", () => {
    it("an alias bomb: exit 2, the file and a one-line reason on stderr, nothing on stdout", () => {
        const file = writeTemp("bomb.yaml", ALIAS_BOMB);
        const r = plan("dev", "--config-file", file);
        assert.equal(r.code, 2, r.stderr);
        assert.equal(r.stdout, "");
        assert.match(r.stderr.trim(), new RegExp(`^plan: ${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: YAML refused: its aliases expand excessively[^\n]*$`));
    });

    it("an alias without its anchor: exit 2 naming the file", () => {
        const file = writeTemp("alias.yaml", stackYaml(validConfig()) + "  infra:clusterName: *nothere\n");
        const r = plan("dev", "--config-file", file);
        assert.equal(r.code, 2, r.stderr);
        assert.match(r.stderr.trim(), /^plan: .*alias\.yaml:\d+:\d+: YAML does not parse: alias \*nothere has no anchor &nothere before it$/);
    });

    it("merge keys: exit 0 and the same plan as the file written out", () => {
        const [merged, expanded] = [plan("dev", "--config-file", writeTemp("merged.yaml", MERGED_POOLS)), plan("dev", "--config-file", writeTemp("expanded.yaml", stackYaml(validConfig())))];
        assert.equal(merged.code, 0, merged.stderr);
        assert.equal(merged.stdout, expanded.stdout);
    });

    it("count: 1e400: exit 2 naming the key", () => {
        const file = writeTemp("inf.yaml", stackYaml(validConfig()).replace(/^( {6}count: )1$/m, "$11e400"));
        const r = plan("dev", "--config-file", file);
        assert.equal(r.code, 2, r.stderr);
        assert.equal(r.stdout, "");
        assert.match(r.stderr, /^ {2}infra:pools\[0\]\.count: 1e400 is not a finite number/m);
        assert.doesNotMatch(r.stderr, /got null/);
    });

    it("a burst stack whose base has no stack file: exit 2 naming the file and the key", () => {
        const file = writeTemp("burst.yaml", burstYaml("acme/infra/nosuch"));
        const r = plan("prod-burst", "--config-file", file);
        assert.equal(r.code, 2, r.stderr);
        assert.equal(r.stdout, "");
        assert.equal(
            r.stderr.trim(),
            `plan: infra:burst.baseStack: acme/infra/nosuch: the offline plan reads the base's outputs from the plan of its stack file, and ${stackFilePath("nosuch")} does not exist (plan against a stack of this repository)`,
        );
    });
});
