import * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";

/** One thing wrong with the stack configuration: the key path it concerns and what is allowed. */
export interface ConfigProblem {
    /** Full key path as the user writes it with `pulumi config set --path`, e.g. `infra:pools[0].count`. */
    readonly path: string;
    readonly message: string;
}

/**
 * Every problem found in a stack configuration. A `RunError`, so a real `pulumi up` prints the
 * message without a stack trace; the offline plan recognises it by `isConfigError` and exits 2.
 */
export class ConfigError extends pulumi.RunError {
    readonly isConfigError = true;
    constructor(readonly problems: readonly ConfigProblem[]) {
        super(
            `invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
                problems.map((p) => `  ${p.path}: ${p.message}`).join("\n"),
        );
        this.name = "ConfigError";
    }
}

export function isConfigError(err: unknown): err is ConfigError {
    return typeof err === "object" && err !== null && (err as { isConfigError?: unknown }).isConfigError === true;
}

/** `["infra:pools", 0, "count"]` -> `infra:pools[0].count` */
export function keyPath(segments: readonly PropertyKey[]): string {
    let out = "";
    for (const s of segments) {
        if (typeof s === "number") out += `[${s}]`;
        else out += out === "" ? String(s) : `.${String(s)}`;
    }
    return out;
}

function typeName(value: unknown): string {
    if (value === null) return "null";
    if (Array.isArray(value)) return "a list";
    if (typeof value === "object") return "a map";
    if (typeof value === "string") return "a string";
    if (typeof value === "number") return Number.isInteger(value) ? "a whole number" : "a number";
    if (typeof value === "boolean") return "true/false";
    return typeof value;
}

const EXPECTED: Record<string, string> = {
    object: "a map of keys",
    array: "a list",
    string: "a string",
    number: "a number",
    int: "a whole number",
    boolean: "true or false",
};

/**
 * Turns zod issues into problems with user-facing wording. Values are never echoed: a
 * misplaced secret must not end up in an error message.
 */
export function problemsFromIssues(prefix: readonly PropertyKey[], issues: readonly z.core.$ZodIssue[]): ConfigProblem[] {
    const out: ConfigProblem[] = [];
    for (const iss of issues) {
        const path = [...prefix, ...iss.path];
        const input = (iss as { input?: unknown }).input;
        switch (iss.code) {
            case "unrecognized_keys":
                for (const k of iss.keys) out.push({ path: keyPath([...path, k]), message: `unknown key; ${iss.message}` });
                break;
            case "invalid_type":
                if (input === undefined) out.push({ path: keyPath(path), message: "is required" });
                else if (iss.message.startsWith("Invalid input"))
                    out.push({ path: keyPath(path), message: `must be ${EXPECTED[iss.expected] ?? iss.expected}, got ${typeName(input)}` });
                else out.push({ path: keyPath(path), message: `${iss.message}, got ${typeName(input)}` });
                break;
            case "invalid_value": {
                const allowed = iss.values.map(String).join(", ");
                out.push({
                    path: keyPath(path),
                    message: input === undefined ? `is required; one of: ${allowed}` : iss.message.startsWith("Invalid") ? `must be one of: ${allowed}` : iss.message,
                });
                break;
            }
            case "invalid_union": {
                const disc = (iss as { discriminator?: string }).discriminator;
                const at = disc && path[path.length - 1] !== disc ? [...path, disc] : path;
                out.push({ path: keyPath(at), message: input === undefined ? `is required; ${iss.message}` : iss.message });
                break;
            }
            case "too_small":
            case "too_big": {
                const small = iss.code === "too_small";
                const bound = String(small ? iss.minimum : iss.maximum);
                const word = small ? "least" : "most";
                const generic = iss.message.startsWith(small ? "Too small" : "Too big");
                const unit = iss.origin === "array" ? " item(s)" : iss.origin === "string" ? " character(s)" : "";
                out.push({ path: keyPath(path), message: generic ? `must ${iss.origin === "array" ? "have" : "be"} at ${word} ${bound}${unit}` : iss.message });
                break;
            }
            default:
                out.push({ path: keyPath(path), message: iss.message });
        }
    }
    return out;
}
