/** Shell scripts as real files, and the one way values enter them: single-quoted assignments. */
import * as fs from "node:fs";
import * as path from "node:path";

/** Single-quotes a value for POSIX shells; the only safe way a value enters a script. */
export function shq(value: string): string {
    return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Reads a script that ships beside the code (`infra/<layer>/scripts/<name>`). */
export function loadScript(dir: string, name: string): string {
    return fs.readFileSync(path.join(dir, "scripts", name), "utf8");
}

/**
 * A script with its parameters: `NAME='value'` lines after the shebang and the script's header
 * comment, so the body reads them like environment variables. Names are checked; values quoted.
 */
export function withParams(script: string, params: Readonly<Record<string, string | number | boolean>>): string {
    const lines = script.split("\n");
    let at = 0;
    while (at < lines.length && (lines[at].startsWith("#") || lines[at] === "")) at++;
    const assignments = Object.entries(params).map(([k, v]) => {
        if (!/^[A-Z][A-Z0-9_]*$/.test(k)) throw new Error(`script parameter name ${k} must be UPPER_SNAKE_CASE`);
        return `${k}=${shq(String(v))}`;
    });
    return [...lines.slice(0, at), ...assignments, ...lines.slice(at)].join("\n");
}
