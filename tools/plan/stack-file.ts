/**
 * Reads a `Pulumi.<stack>.yaml` the way the Pulumi CLI hands it to a program: every config key
 * namespaced, structured values as JSON, and which keys are secret. `secure:` values cannot be
 * decrypted offline, so each becomes a placeholder that is unique per key and recognisable by
 * the secret scans. YAML that does not load (a syntax error, an alias without its anchor, an alias
 * bomb) is a one-line `StackFileError` naming the file; a value the runtime could not hand over as
 * JSON (a number that is not finite, a `!!binary`...) is a `ConfigError` naming each key. Both exit 2.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as YAML from "yaml";
import { ConfigError, type ConfigProblem } from "../../infra/config/errors";

export const PROJECT = "infra";

export interface StackFile {
    readonly path: string;
    /** `namespace:key` -> raw value as the runtime holds it. */
    readonly values: Record<string, string>;
    readonly secretKeys: string[];
    /** Placeholder that stands in for each `secure:` value, by key path. */
    readonly placeholders: Record<string, string>;
}

/** A stack file the plan cannot read: a one-line reason, exit code 2 (the user's input) or 1. */
export class StackFileError extends Error {
    constructor(
        message: string,
        readonly exitCode: 1 | 2,
    ) {
        super(message);
    }
}

export function placeholderFor(keyPath: string, ciphertext: string): string {
    const h = createHash("sha256").update(`${keyPath}\0${ciphertext}`).digest("hex").slice(0, 16);
    return `plan-secret-${h}`;
}

function isSecure(v: unknown): v is { secure: string } {
    return typeof v === "object" && v !== null && !Array.isArray(v) && Object.keys(v).length === 1 && "secure" in v;
}

export function readStackFile(path: string): StackFile {
    let text: string;
    try {
        text = fs.readFileSync(path, "utf8");
    } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        throw new StackFileError(code === "ENOENT" ? `stack file ${path} does not exist` : `cannot read ${path}: ${code ?? String(e)}`, 1);
    }
    return parseStackFile(path, text);
}

/** What `YAML.parseDocument` is told: the YAML the Pulumi CLI reads (go-yaml v3), merge keys included. */
const YAML_OPTIONS = {
    prettyErrors: true,
    // go-yaml refuses a key twice in one map, `<<` included.
    uniqueKeys: true,
    // `<<: *anchor` merges the anchored map, as go-yaml v3 does (the yaml package's default is off for YAML 1.2).
    merge: true,
    // A list or map as a key cannot be a config key or JSON: an error with its line, not a stringified key.
    stringKeys: true,
} as const;

/** The most aliases the plan resolves; more is an alias bomb ("billion laughs"). The yaml package's default. */
const MAX_ALIAS_COUNT = 100;

/** `Pulumi.x.yaml:3:14`: the file, and the 1-based line and column of `offset` in `text`. */
function position(path: string, text: string, offset: number): string {
    const before = text.slice(0, offset);
    const line = before.split("\n").length;
    return `${path}:${line}:${offset - before.lastIndexOf("\n")}`;
}

/**
 * An alias whose anchor does not come before it, or that stands inside its own anchor, as a
 * one-line error with its position; the yaml package finds either only when it builds the value,
 * and then says neither where nor in which file.
 */
function checkAliases(path: string, text: string, doc: YAML.Document.Parsed): void {
    const anchors = new Map<string, YAML.Node>();
    YAML.visit(doc, {
        Node(_key, node, ancestors) {
            if (YAML.isAlias(node)) {
                const target = anchors.get(node.source);
                const where = position(path, text, node.range?.[0] ?? 0);
                if (!target) throw new StackFileError(`${where}: YAML does not parse: alias *${node.source} has no anchor &${node.source} before it`, 2);
                if (ancestors.includes(target)) throw new StackFileError(`${where}: YAML does not parse: alias *${node.source} stands inside its own anchor &${node.source}`, 2);
            } else if (node.anchor) anchors.set(node.anchor, node);
        },
    });
}

/**
 * Numbers that are not finite (`1e400` overflows to Infinity, `.inf`, `.nan`) would reach the
 * program as `null` or a string: each such scalar becomes a symbol here, found by `parseStackFile`
 * under every key that uses it and reported with the text the file holds.
 */
function markNonFinite(doc: YAML.Document.Parsed): Map<symbol, string> {
    const marks = new Map<symbol, string>();
    YAML.visit(doc, {
        Scalar(key, node) {
            if (key !== "key" && typeof node.value === "number" && !Number.isFinite(node.value)) {
                const mark = Symbol("non-finite");
                marks.set(mark, node.source ?? String(node.value));
                node.value = mark;
            }
        },
    });
    return marks;
}

function nonFiniteMessage(source: string): string {
    if (/^[-+]?\.nan$/i.test(source.trim())) return `${source} is not a number; write a finite number`;
    if (/^[-+]?\.inf$/i.test(source.trim())) return `${source} is not a finite number (infinity); write a finite number`;
    return `${source} is not a finite number: it is beyond the largest number a 64-bit float holds (about 1.8e308); write a smaller number`;
}

/** Values an explicit YAML 1.1 tag makes, which neither JSON nor the program's config holds. */
function taggedKind(v: object): string | undefined {
    if (v instanceof Uint8Array) return "!!binary";
    if (v instanceof Set) return "!!set";
    if (v instanceof Map) return "!!omap";
    if (v instanceof Date) return "!!timestamp";
    return undefined;
}

export function parseStackFile(path: string, text: string): StackFile {
    let root: unknown;
    let marks: Map<symbol, string>;
    try {
        const doc = YAML.parseDocument(text, YAML_OPTIONS);
        if (doc.errors.length > 0) {
            const e = doc.errors[0];
            const [line, col] = e.linePos?.[0] ? [e.linePos[0].line, e.linePos[0].col] : [0, 0];
            throw new StackFileError(`${path}:${line}:${col}: YAML does not parse: ${e.message.split("\n")[0]}`, 2);
        }
        checkAliases(path, text, doc);
        marks = markNonFinite(doc);
        root = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (e) {
        if (e instanceof StackFileError) throw e;
        const msg = (e instanceof Error ? e.message : String(e)).split("\n")[0];
        if (/excessive alias count/i.test(msg))
            throw new StackFileError(`${path}: YAML refused: its aliases expand excessively (more than ${MAX_ALIAS_COUNT} copies: an alias bomb?); write the values out or use fewer aliases`, 2);
        if (e instanceof RangeError) throw new StackFileError(`${path}: YAML does not load: it nests too deeply (${msg})`, 2);
        throw new StackFileError(`${path}: YAML does not load: ${msg}`, 2);
    }
    if (root === null || root === undefined) throw new StackFileError(`${path}: the file is empty; a stack file needs a \`config:\` map`, 2);
    if (typeof root !== "object" || Array.isArray(root)) throw new StackFileError(`${path}: the top level must be a map with a \`config:\` key`, 2);
    const config = (root as Record<string, unknown>).config;
    if (config === undefined || config === null) throw new StackFileError(`${path}: has no \`config:\` map`, 2);
    if (typeof config !== "object" || Array.isArray(config)) throw new StackFileError(`${path}: \`config\` must be a map of keys`, 2);

    const values: Record<string, string> = {};
    const secretKeys: string[] = [];
    const placeholders: Record<string, string> = {};
    const problems: ConfigProblem[] = [];
    for (const [rawKey, value] of Object.entries(config as Record<string, unknown>)) {
        // The CLI puts keys without a namespace into the project's.
        const key = rawKey.includes(":") ? rawKey : `${PROJECT}:${rawKey}`;
        let secret = false;
        const replace = (v: unknown, at: string): unknown => {
            if (typeof v === "symbol") {
                problems.push({ path: at, message: nonFiniteMessage(marks.get(v) ?? String(v)) });
                return null;
            }
            if (isSecure(v)) {
                secret = true;
                return (placeholders[at] = placeholderFor(at, String(v.secure)));
            }
            if (Array.isArray(v)) return v.map((x, i) => replace(x, `${at}[${i}]`));
            if (typeof v === "object" && v !== null) {
                const tag = taggedKind(v);
                if (tag) {
                    problems.push({ path: at, message: `a ${tag} value (an explicit YAML tag): the config takes plain strings, numbers, true/false, lists and maps; drop the tag` });
                    return null;
                }
                return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, replace(x, `${at}.${k}`)]));
            }
            return v;
        };
        const plain = replace(value, key);
        values[key] = typeof plain === "string" ? plain : plain === null ? "" : typeof plain === "object" ? JSON.stringify(plain) : String(plain);
        if (secret) secretKeys.push(key);
    }
    // Values the Pulumi runtime could not hand the program as JSON: every one, by key path (exit 2).
    if (problems.length > 0) throw new ConfigError(problems);
    return { path, values, secretKeys, placeholders };
}
