/**
 * Reads a `Pulumi.<stack>.yaml` the way the Pulumi CLI hands it to a program: every config key
 * namespaced, structured values as JSON, and which keys are secret. `secure:` values cannot be
 * decrypted offline, so each becomes a placeholder that is unique per key and recognisable by
 * the secret scans.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as YAML from "yaml";

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

export function parseStackFile(path: string, text: string): StackFile {
    const doc = YAML.parseDocument(text, { prettyErrors: true, uniqueKeys: true });
    if (doc.errors.length > 0) {
        const e = doc.errors[0];
        const [line, col] = e.linePos?.[0] ? [e.linePos[0].line, e.linePos[0].col] : [0, 0];
        throw new StackFileError(`${path}:${line}:${col}: YAML does not parse: ${e.message.split("\n")[0]}`, 2);
    }
    const root: unknown = doc.toJS();
    if (root === null || root === undefined) throw new StackFileError(`${path}: the file is empty; a stack file needs a \`config:\` map`, 2);
    if (typeof root !== "object" || Array.isArray(root)) throw new StackFileError(`${path}: the top level must be a map with a \`config:\` key`, 2);
    const config = (root as Record<string, unknown>).config;
    if (config === undefined || config === null) throw new StackFileError(`${path}: has no \`config:\` map`, 2);
    if (typeof config !== "object" || Array.isArray(config)) throw new StackFileError(`${path}: \`config\` must be a map of keys`, 2);

    const values: Record<string, string> = {};
    const secretKeys: string[] = [];
    const placeholders: Record<string, string> = {};
    for (const [rawKey, value] of Object.entries(config as Record<string, unknown>)) {
        // The CLI puts keys without a namespace into the project's.
        const key = rawKey.includes(":") ? rawKey : `${PROJECT}:${rawKey}`;
        let secret = false;
        const replace = (v: unknown, at: string): unknown => {
            if (isSecure(v)) {
                secret = true;
                return (placeholders[at] = placeholderFor(at, String(v.secure)));
            }
            if (Array.isArray(v)) return v.map((x, i) => replace(x, `${at}[${i}]`));
            if (typeof v === "object" && v !== null)
                return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, replace(x, `${at}.${k}`)]));
            return v;
        };
        const plain = replace(value, key);
        values[key] = typeof plain === "string" ? plain : plain === null ? "" : typeof plain === "object" ? JSON.stringify(plain) : String(plain);
        if (secret) secretKeys.push(key);
    }
    return { path, values, secretKeys, placeholders };
}
