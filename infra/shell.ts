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

export const SCRIPT_MARK = "INFRA_SCRIPT";

/**
 * The remote command line: the script as bash's argument, as root. The script holds no secret
 * (it is visible to `ps` on the node); the caller's standard input passes through to it.
 */
export function asRoot(script: string, user: string): string {
    const run = user === "root" ? "bash" : "sudo -n bash";
    if (script.split("\n").includes(SCRIPT_MARK)) throw new Error(`a script must not contain the line ${SCRIPT_MARK}`);
    return `${run} -c "$(cat <<'${SCRIPT_MARK}'\n${script.trimEnd()}\n${SCRIPT_MARK}\n)"`;
}

/** The script inside a command line made by `asRoot`, for the plan's `scripts/` files. */
export function innerScript(commandLine: string): string | undefined {
    const m = new RegExp(`<<'${SCRIPT_MARK}'\\n([\\s\\S]*)\\n${SCRIPT_MARK}\\n\\)"$`).exec(commandLine);
    return m ? `${m[1]}\n` : undefined;
}
