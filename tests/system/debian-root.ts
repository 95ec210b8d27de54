/**
 * A real, minimal Debian 12 (bookworm) root for system tests: the bootstrap scripts run in it as
 * they would on a fresh machine, with the real apt, dpkg, curl and gpg, so that what the fake-root
 * tests (tests/bootstrap) can only model (a missing curl, apt's exit codes, gpg's keyring files)
 * is exercised for real.
 *
 * - The root is made once by `debootstrap --variant=minbase` from Debian's mirror and cached as a
 *   tarball (about 45 s to build, a few seconds to unpack); each test unpacks a fresh copy.
 * - Scripts run as root under `unshare --mount --pid --fork` + chroot: every mount is made inside
 *   that namespace and disappears with it, and when the script ends or is killed the kernel kills
 *   everything it started (the script is the namespace's PID 1). `network: "none"` adds
 *   `unshare --net`, where no repository, not even Debian's, is reachable.
 * - What cannot exist in a chroot (systemd, kernel modules, sysctls, swap, the network tools,
 *   kubeadm/kubectl talking to a cluster) is a stub in /usr/local/sbin that records its call;
 *   everything else is Debian's real program.
 *
 * It needs root (debootstrap, chroot, mount, unshare): `requireRoot` fails loudly, never skips.
 */
import { spawn, spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after } from "node:test";

export const SUITE = "bookworm";
export const MIRROR = "http://deb.debian.org/debian";

/** Where stubs and the packages of the local repository (local-repo.ts) record their calls, inside the root. */
export const CALLS_LOG = "/var/lib/infra-test/calls.log";
/** Where stubs keep the state a later call reads (an enabled unit, a loaded module, a link that is up), inside the root. */
export const STUB_STATE = "/var/lib/infra-test/state";
/** Where stubs go: before /usr/sbin and /usr/bin on the PATH every script here runs with. */
export const STUB_DIR = "/usr/local/sbin";
const ROOT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/**
 * How the cached root is made. Changing the recipe (or this string) makes every existing cache
 * stale, so a cache never outlives the code that made it.
 */
const RECIPE = `debootstrap --variant=minbase ${SUITE} ROOT ${MIRROR}; rm var/cache/apt/archives/*.deb var/lib/apt/lists/*; v1`;
/** A cache older than this is rebuilt, so the root does not drift too far from the current point release. */
const MAX_CACHE_AGE_MS = 30 * 24 * 3600 * 1000;
const TEMP_PREFIX = "infra-debian-root-";

/**
 * Fails the test file at once when not run as root: a system test that skipped itself would let
 * CI report green without having tried anything.
 */
export function requireRoot(): void {
    if (typeof process.getuid !== "function" || process.getuid() !== 0) {
        throw new Error(
            "tests/system need root (debootstrap, chroot, mount, unshare) and were started as uid " +
                `${typeof process.getuid === "function" ? process.getuid() : "unknown"}: run \`sudo npm run test:system\` ` +
                "(`npm test` runs everything else without root)",
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Host commands: always bounded in time, the whole process group killed on timeout.

export interface HostResult {
    status: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
    /** True when the command was killed because it ran past its timeout. */
    timedOut: boolean;
    ms: number;
}

export interface HostOptions {
    timeoutMs: number;
    input?: string | Buffer;
    cwd?: string;
    env?: NodeJS.ProcessEnv;
}

/** Process groups still running, killed if this process exits first (a crashed test must leave nothing behind). */
const liveGroups = new Set<number>();
/**
 * Cleanups that have not run yet, run synchronously if this process exits first: the `after`
 * hooks are the normal way, this is the net under them (a test file that throws half-way, a hook
 * node:test attached to no test that runs).
 */
const atExit = new Set<() => void>();
process.on("exit", () => {
    for (const pid of liveGroups) killGroup(pid);
    for (const f of atExit) {
        try {
            f();
        } catch {
            // best effort: the next run's sweep removes what is left
        }
    }
});

/** Registers a synchronous cleanup for process exit; returns the function that unregisters it. */
export function onExit(f: () => void): () => void {
    atExit.add(f);
    return () => {
        atExit.delete(f);
    };
}

function killGroup(pid: number): void {
    try {
        process.kill(-pid, "SIGKILL");
    } catch {
        // already gone
    }
}

/** Output kept per stream: enough for any apt run, bounded so a runaway loop cannot exhaust memory. */
const MAX_OUTPUT = 32 * 1024 * 1024;

/**
 * Runs a command without blocking the event loop (the local repository's HTTP server lives in this
 * process and must keep answering), in its own process group so that a timeout kills it and
 * everything it started.
 */
export function runHost(cmd: string, args: readonly string[], opts: HostOptions): Promise<HostResult> {
    const started = Date.now();
    return new Promise((resolve, reject) => {
        // Standard input is a file, not the socket node would make: bash takes a socket on its
        // standard input for an ssh session and would read the host's ~/.bashrc.
        const inputFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "infra-stdin-")), "stdin");
        fs.writeFileSync(inputFile, opts.input ?? "", { mode: 0o600 });
        const inputFd = fs.openSync(inputFile, "r");
        fs.rmSync(path.dirname(inputFile), { recursive: true });
        let child: ReturnType<typeof spawn>;
        try {
            child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, detached: true, stdio: [inputFd, "pipe", "pipe"] });
        } finally {
            fs.closeSync(inputFd);
        }
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        let outBytes = 0;
        let errBytes = 0;
        let timedOut = false;
        child.stdout!.on("data", (b: Buffer) => {
            if ((outBytes += b.length) <= MAX_OUTPUT) out.push(b);
        });
        child.stderr!.on("data", (b: Buffer) => {
            if ((errBytes += b.length) <= MAX_OUTPUT) err.push(b);
        });
        let exit: { status: number | null; signal: NodeJS.Signals | null } | undefined;
        let done = false;
        let grace: NodeJS.Timeout | undefined;
        const finish = () => {
            if (done) return;
            done = true;
            clearTimeout(timer);
            clearTimeout(grace);
            if (child.pid !== undefined) {
                // Anything the command left running in its group goes with it.
                killGroup(child.pid);
                liveGroups.delete(child.pid);
            }
            child.stdout!.destroy();
            child.stderr!.destroy();
            resolve({
                status: exit?.status ?? null,
                signal: exit?.signal ?? null,
                stdout: Buffer.concat(out).toString("utf8"),
                stderr: Buffer.concat(err).toString("utf8"),
                timedOut,
                ms: Date.now() - started,
            });
        };
        child.on("error", (e) => {
            if (done) return;
            done = true;
            clearTimeout(timer);
            if (child.pid !== undefined) liveGroups.delete(child.pid);
            reject(new Error(`${cmd}: ${e.message}`));
        });
        if (child.pid !== undefined) liveGroups.add(child.pid);
        const timer = setTimeout(() => {
            timedOut = true;
            if (child.pid !== undefined) killGroup(child.pid);
            // A daemon that left the group may hold the output pipes open: do not wait for it.
            grace = setTimeout(finish, 2_000);
        }, opts.timeoutMs);
        child.on("exit", (status, signal) => {
            exit = { status, signal };
            // The rest of the output arrives with "close"; a daemon the command started and left
            // holding its pipes must not keep the caller waiting.
            clearTimeout(grace);
            grace = setTimeout(finish, 2_000);
        });
        child.on("close", (status, signal) => {
            exit ??= { status, signal };
            finish();
        });
    });
}

/** `runHost`, throwing with the command's output when it fails: for setup steps that must work. */
export async function mustRun(cmd: string, args: readonly string[], opts: HostOptions): Promise<HostResult> {
    const r = await runHost(cmd, args, opts);
    if (r.status !== 0) {
        const why = r.timedOut ? `timed out after ${opts.timeoutMs} ms` : `exited with ${r.status ?? r.signal}`;
        throw new Error(`${cmd} ${args.join(" ")} ${why}\n${tail(r.stdout)}\n${tail(r.stderr)}`);
    }
    return r;
}

function tail(s: string, lines = 30): string {
    return s.trimEnd().split("\n").slice(-lines).join("\n");
}

/** Whether a command is on root's PATH (sbin included: a user's PATH may lack it, a root shell's does not). */
function hasCommand(name: string): boolean {
    const dirs = [...(process.env.PATH ?? "").split(":"), "/usr/local/sbin", "/usr/sbin", "/sbin"];
    return dirs.some((d) => {
        try {
            fs.accessSync(path.join(d, name), fs.constants.X_OK);
            return true;
        } catch {
            return false;
        }
    });
}

/**
 * Installs the Debian packages that provide missing host commands (command → package). CI's
 * .ci/run installs them up front; this keeps a developer's first `sudo npm run test:system` working
 * too. The package lists are refreshed only when the install fails without them.
 */
export async function ensureHostTools(tools: Readonly<Record<string, string>>): Promise<void> {
    const missing = [...new Set(Object.entries(tools).filter(([cmd]) => !hasCommand(cmd)).map(([, pkg]) => pkg))];
    if (missing.length === 0) return;
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    const install = () => runHost("apt-get", ["install", "-y", "-q", "--no-install-recommends", ...missing], { timeoutMs: 300_000, env });
    if ((await install()).status === 0) return;
    await mustRun("apt-get", ["update", "-q"], { timeoutMs: 300_000, env });
    const r = await install();
    if (r.status !== 0) throw new Error(`could not install ${missing.join(" ")} on this machine:\n${tail(r.stderr)}`);
}

// ---------------------------------------------------------------------------------------------
// Mounts and removal.

/** Mount points at or under `dir` in this process's mount namespace, deepest first. */
function mountsUnder(dir: string): string[] {
    const real = fs.realpathSync(dir);
    return fs
        .readFileSync("/proc/self/mountinfo", "utf8")
        .split("\n")
        .filter(Boolean)
        .map((l) => l.split(" ")[4].replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
        .filter((m) => m === real || m.startsWith(real + "/"))
        .sort((a, b) => b.length - a.length);
}

/**
 * Removes a directory that a root lived in. Mounts normally live only in the namespace of the
 * run that made them; should one have leaked to this namespace (a killed debootstrap, a hand-run
 * experiment), it is unmounted first: `rm -r` through a bind mount of /dev or /proc would delete
 * the host's files. `--one-file-system` refuses to cross any mount that could not be removed.
 */
export async function removeTree(dir: string): Promise<void> {
    if (!fs.existsSync(dir)) return;
    for (const m of mountsUnder(dir)) await runHost("umount", ["-l", m], { timeoutMs: 30_000 });
    const left = mountsUnder(dir);
    if (left.length > 0) throw new Error(`refusing to remove ${dir}: still mounted: ${left.join(", ")}`);
    await mustRun("rm", ["-rf", "--one-file-system", dir], { timeoutMs: 120_000 });
}

/** `removeTree` for the exit handler, which cannot wait for promises. */
export function removeTreeSync(dir: string): void {
    if (!fs.existsSync(dir)) return;
    for (const m of mountsUnder(dir)) spawnSync("umount", ["-l", m], { timeout: 30_000 });
    if (mountsUnder(dir).length === 0) spawnSync("rm", ["-rf", "--one-file-system", dir], { timeout: 120_000 });
}

let swept = false;

/**
 * Removes the temporary roots of earlier test processes that died before their cleanup ran (each
 * root records the PID of the process that made it); a root whose process is alive is left alone.
 */
async function sweepAbandonedRoots(): Promise<void> {
    if (swept) return;
    swept = true;
    for (const name of fs.readdirSync(os.tmpdir())) {
        if (!name.startsWith(TEMP_PREFIX) && !name.startsWith("infra-debootstrap-")) continue;
        const base = path.join(os.tmpdir(), name);
        let owner = 0;
        try {
            owner = Number(fs.readFileSync(path.join(base, "owner.pid"), "utf8"));
        } catch {
            continue; // not made by this harness, or not finished being made
        }
        if (owner === process.pid || isAlive(owner)) continue;
        await removeTree(base).catch(() => undefined);
    }
}

/** The process exists (EPERM: it does, as another user's). */
export function isAlive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch (e) {
        return (e as NodeJS.ErrnoException).code === "EPERM";
    }
}

// ---------------------------------------------------------------------------------------------
// The cached root.

/** Where the root's tarball is kept: $INFRA_TEST_CACHE, else $XDG_CACHE_HOME/infra-test, else /var/cache/infra-test. */
export function cacheDir(): string {
    if (process.env.INFRA_TEST_CACHE) return process.env.INFRA_TEST_CACHE;
    if (process.env.XDG_CACHE_HOME) return path.join(process.env.XDG_CACHE_HOME, "infra-test");
    return "/var/cache/infra-test";
}

interface Stamp {
    recipe: string;
    sha256: string;
    bytes: number;
    created: string;
}

const TARBALL = `${SUITE}-minbase.tar.gz`;
const STAMP = `${SUITE}-minbase.json`;

function sha256File(file: string): Promise<string> {
    return new Promise((resolve, reject) => {
        const h = crypto.createHash("sha256");
        fs.createReadStream(file)
            .on("data", (b) => h.update(b))
            .on("error", reject)
            .on("end", () => resolve(h.digest("hex")));
    });
}

/**
 * Why the cached tarball cannot be used, or undefined when it can. The stamp, written after the
 * tarball, holds the tarball's hash: a half-written, truncated or swapped tarball fails the check.
 */
async function cacheProblem(dir: string): Promise<string | undefined> {
    let stamp: Stamp;
    try {
        stamp = JSON.parse(fs.readFileSync(path.join(dir, STAMP), "utf8")) as Stamp;
    } catch {
        return "no cache";
    }
    if (stamp.recipe !== RECIPE) return "made by another recipe";
    if (!(Date.now() - Date.parse(stamp.created) < MAX_CACHE_AGE_MS)) return `older than ${MAX_CACHE_AGE_MS / 86_400_000} days`;
    const tarball = path.join(dir, TARBALL);
    if (!fs.existsSync(tarball) || fs.statSync(tarball).size !== stamp.bytes) return "tarball missing or of the wrong size";
    if ((await sha256File(tarball)) !== stamp.sha256) return "tarball corrupt (hash mismatch)";
    return undefined;
}

/** Builds the root with debootstrap and stores it as the cached tarball (atomically: a crash leaves the old cache or none). */
async function buildCache(dir: string, why: string): Promise<void> {
    process.stderr.write(`# debian-root: building the ${SUITE} root with debootstrap (${why}) into ${dir}\n`);
    await ensureHostTools({ debootstrap: "debootstrap" });
    fs.mkdirSync(dir, { recursive: true });
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "infra-debootstrap-"));
    fs.writeFileSync(path.join(work, "owner.pid"), String(process.pid));
    const root = path.join(work, "root");
    const tmpTar = path.join(dir, `.${TARBALL}.${process.pid}.tmp`);
    try {
        // In a mount namespace of its own: the /proc and /sys debootstrap mounts in the target go
        // away with it, even when it is killed.
        const r = await runHost(
            "unshare",
            ["--mount", "--propagation", "private", "--pid", "--fork", "--kill-child", "debootstrap", "--variant=minbase", SUITE, root, MIRROR],
            { timeoutMs: 600_000 },
        );
        if (r.status !== 0) {
            const log = path.join(root, "debootstrap/debootstrap.log");
            const detail = fs.existsSync(log) ? tail(fs.readFileSync(log, "utf8")) : tail(r.stderr);
            throw new Error(`debootstrap ${r.timedOut ? "timed out" : `exited with ${r.status}`}:\n${detail}`);
        }
        // The downloaded .debs are not part of an installed system, and a fresh image has no
        // package lists: a script must run apt-get update before it installs anything.
        for (const sub of ["var/cache/apt/archives", "var/lib/apt/lists"]) {
            for (const f of fs.readdirSync(path.join(root, sub))) {
                const p = path.join(root, sub, f);
                if (fs.statSync(p).isFile() && f !== "lock") fs.rmSync(p);
            }
        }
        await mustRun("tar", ["-C", root, "--one-file-system", "--numeric-owner", "-czf", tmpTar, "."], { timeoutMs: 300_000 });
        const stamp: Stamp = { recipe: RECIPE, sha256: await sha256File(tmpTar), bytes: fs.statSync(tmpTar).size, created: new Date().toISOString() };
        fs.renameSync(tmpTar, path.join(dir, TARBALL));
        const tmpStamp = path.join(dir, `.${STAMP}.${process.pid}.tmp`);
        fs.writeFileSync(tmpStamp, JSON.stringify(stamp, null, 2) + "\n");
        fs.renameSync(tmpStamp, path.join(dir, STAMP));
    } finally {
        fs.rmSync(tmpTar, { force: true });
        await removeTree(work);
    }
}

let checkedTarball: Promise<string> | undefined;

/**
 * The cached tarball of the root, built when missing, stale or corrupt. Checked once per test
 * file (its hash takes a fraction of a second); `INFRA_TEST_REBUILD_ROOT=1` forces a rebuild.
 */
export function rootTarball(): Promise<string> {
    checkedTarball ??= (async () => {
        const dir = cacheDir();
        const problem = process.env.INFRA_TEST_REBUILD_ROOT === "1" ? "INFRA_TEST_REBUILD_ROOT=1" : await cacheProblem(dir);
        if (problem !== undefined) await buildCache(dir, problem);
        return path.join(dir, TARBALL);
    })();
    return checkedTarball;
}

// ---------------------------------------------------------------------------------------------
// Stubs.

/**
 * Bodies of the default stubs, run by bash after the call is logged; `$S` is STUB_STATE. They keep
 * just enough state for the checks the scripts make before they act (is-enabled, /sys/module,
 * `ip link show`, `iptables -C`) to see what an earlier call did, as on a machine.
 * cloud-init has no stub: on a minimal root it is absent, which the scripts accept.
 */
export const DEFAULT_STUBS: Readonly<Record<string, string>> = {
    systemctl: [
        'unit="${*: -1}"',
        'case "$1" in',
        '  is-enabled) [ -f "$S/enabled-$unit" ] ;;',
        '  is-active) [ -f "$S/active-$unit" ] ;;',
        '  enable) touch "$S/enabled-$unit"; [ "$2" = --now ] && touch "$S/active-$unit"; exit 0 ;;',
        '  disable) rm -f "$S/enabled-$unit"; [ "$2" = --now ] && rm -f "$S/active-$unit"; exit 0 ;;',
        '  start|restart|reload|reload-or-restart|try-restart) touch "$S/active-$unit" ;;',
        '  stop) rm -f "$S/active-$unit" ;;',
        "  *) exit 0 ;;",
        "esac",
    ].join("\n"),
    // No /sys in the root: a loaded module is a directory there, which is what the scripts check.
    modprobe: 'for m in "$@"; do case "$m" in -*) ;; *) mkdir -p "/sys/module/$m" ;; esac; done',
    // The real sysctl would write the host's kernel settings. `-n KEY` answers from /etc/sysctl.d.
    sysctl: [
        'if [ "$1" = -n ]; then',
        '  v=$(grep -h "^[[:space:]]*$2[[:space:]]*=" /etc/sysctl.d/*.conf 2>/dev/null | tail -n 1 | cut -d= -f2 | tr -d "[:space:]")',
        '  echo "${v:-0}"',
        "fi",
        "exit 0",
    ].join("\n"),
    // The real ones would read the host's /proc/swaps and turn the host's swap off.
    swapon: '[ -f "$S/swap-on" ] && [ "$1" = --show ] && echo "/swap.img file 2G 0B -2"; exit 0',
    swapoff: 'rm -f "$S/swap-on"',
    kubeadm: "exit 0",
    kubectl: "exit 0",
    ip: 'case "$1 $2" in "link show") [ -f "$S/link-$3" ] ;; *) exit 0 ;; esac',
    iptables: 'case "$1" in -C) [ -f "$S/iptables-rule" ] ;; -I|-A) touch "$S/iptables-rule" ;; esac',
    wg: 'case "$1" in syncconf) cat "$3" > "$S/wg-synced" ;; *) exit 0 ;; esac',
    "wg-quick": 'echo "stripped $2"',
};

/** Writes stubs (name → bash body) into the root's STUB_DIR; each records `name args` in CALLS_LOG first. */
export function writeStubs(rootDir: string, stubs: Readonly<Record<string, string>>): void {
    const dir = path.join(rootDir, STUB_DIR);
    fs.mkdirSync(dir, { recursive: true });
    for (const [name, body] of Object.entries(stubs)) {
        if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new Error(`bad stub name ${name}`);
        const script = `#!/bin/bash\n# infra system-test stub (tests/system/debian-root.ts): records its call\nS='${STUB_STATE}'\nmkdir -p "$S"\necho "${name} $*" >> '${CALLS_LOG}'\n${body}\n`;
        fs.writeFileSync(path.join(dir, name), script, { mode: 0o755 });
    }
}

// ---------------------------------------------------------------------------------------------
// A root per test.

export interface RunInRootOptions {
    /** Standard input of the script (the scripts read their secret bundle from it). Default: empty. */
    stdin?: string;
    /** Extra environment variables; the script otherwise gets a clean root login environment. */
    env?: Readonly<Record<string, string>>;
    /** "mirror" (default): the host's network, so Debian's mirror and loopback servers are reachable; "none": a network namespace of its own, where nothing is. */
    network?: "mirror" | "none";
    /** Killed (with everything it started) after this long. Default 300 s. */
    timeoutMs?: number;
}

export interface RootRunResult extends HostResult {
    /** The calls the stubs and the local repository's packages recorded during this run, in order. */
    calls: string[];
}

export interface DebianRoot {
    /** The root's directory on the host. */
    readonly dir: string;
    /** The host path of a path inside the root. */
    path(p: string): string;
    exists(p: string): boolean;
    read(p: string): string;
    write(p: string, content: string, mode?: number): void;
    /** Adds or replaces stubs (name → bash body); see DEFAULT_STUBS. */
    stub(stubs: Readonly<Record<string, string>>): void;
    /** Removes stubs, so the real command (if installed) or none is found. */
    unstub(...names: string[]): void;
    /** Runs a bash script as root inside the root: `runInRoot(this, ...)`. */
    run(script: string, opts?: RunInRootOptions): Promise<RootRunResult>;
    /** Removes the root (also done by the `after` hook registered when it was made). */
    dispose(): Promise<void>;
}

export interface DebianRootOptions {
    /** The stubs to install (name → bash body). Default: DEFAULT_STUBS; `{}` for none. */
    stubs?: Readonly<Record<string, string>>;
}

/**
 * A fresh copy of the cached minimal Debian 12 root in a new temporary directory, removed when
 * the test (or suite) that made it ends. It gets the host's resolv.conf (so Debian's mirror
 * resolves), a policy-rc.d that keeps package scripts from starting services, and the stubs.
 */
export async function debianRoot(opts: DebianRootOptions = {}): Promise<DebianRoot> {
    requireRoot();
    // The hook is registered before the first await: node:test finds the test a hook belongs to
    // from the async context, and after awaiting a promise made in another test (the shared
    // cache check) it would attach the hook elsewhere, or nowhere that runs.
    let base: string | undefined;
    let disposed = false;
    let forget = (): void => undefined;
    const dispose = async () => {
        if (disposed) return;
        disposed = true;
        if (base !== undefined) await removeTree(base);
        forget();
    };
    after(dispose);
    await sweepAbandonedRoots();
    const tarball = await rootTarball();
    base = fs.mkdtempSync(path.join(os.tmpdir(), TEMP_PREFIX));
    const made = base;
    forget = onExit(() => removeTreeSync(made));
    fs.writeFileSync(path.join(base, "owner.pid"), String(process.pid));
    const dir = path.join(base, "root");
    fs.mkdirSync(dir);
    const unpacked = await runHost("tar", ["-C", dir, "--numeric-owner", "-xzf", tarball], { timeoutMs: 300_000 });
    if (unpacked.status !== 0) {
        // The hash matched, so the tarball is as it was written; still, never leave a test with a
        // broken cache: the next test file rebuilds it.
        fs.rmSync(path.join(cacheDir(), STAMP), { force: true });
        throw new Error(`unpacking ${tarball} failed (the cache is discarded and rebuilt on the next run):\n${tail(unpacked.stderr)}`);
    }
    fs.copyFileSync("/etc/resolv.conf", path.join(dir, "etc/resolv.conf"));
    fs.writeFileSync(path.join(dir, "usr/sbin/policy-rc.d"), "#!/bin/sh\n# No services start in a chroot (invoke-rc.d's policy hook).\nexit 101\n", { mode: 0o755 });
    fs.mkdirSync(path.join(dir, STUB_STATE), { recursive: true });
    writeStubs(dir, opts.stubs ?? DEFAULT_STUBS);
    const inRoot = (p: string) => {
        if (!p.startsWith("/")) throw new Error(`${p}: paths in the root are absolute`);
        return path.join(dir, p);
    };
    const root: DebianRoot = {
        dir,
        path: inRoot,
        exists: (p) => fs.existsSync(inRoot(p)),
        read: (p) => fs.readFileSync(inRoot(p), "utf8"),
        write: (p, content, mode = 0o644) => {
            fs.mkdirSync(path.dirname(inRoot(p)), { recursive: true });
            fs.writeFileSync(inRoot(p), content, { mode });
            fs.chmodSync(inRoot(p), mode);
        },
        stub: (stubs) => writeStubs(dir, stubs),
        unstub: (...names) => {
            for (const n of names) fs.rmSync(path.join(dir, STUB_DIR, n), { force: true });
        },
        run: (script, runOpts) => runInRoot(root, script, runOpts),
        dispose,
    };
    return root;
}

/**
 * Sets up the namespace and enters the root; runs under the host's bash as
 * `bash -c SETUP setup ROOT ENV... -- SCRIPT`. /proc is the namespace's own, with /proc/sys and
 * /proc/sysrq-trigger read-only (a stray sysctl must not reach the host's kernel). /dev is a tmpfs
 * with the host's harmless character devices bound in, so it works even where the root's own
 * device nodes would not (a nodev temp directory).
 */
const SETUP = `set -euo pipefail
root="$1"; shift
mount -t proc -o nosuid,nodev,noexec proc "$root/proc"
for p in sys sysrq-trigger; do
  [ -e "$root/proc/$p" ] || continue
  mount --bind "$root/proc/$p" "$root/proc/$p"
  mount -o remount,bind,ro "$root/proc/$p"
done
mount -t tmpfs -o nosuid,mode=0755,size=16m tmpfs "$root/dev"
for d in null zero full random urandom tty; do
  : > "$root/dev/$d"
  mount --bind "/dev/$d" "$root/dev/$d"
done
ln -s /proc/self/fd "$root/dev/fd"
ln -s /proc/self/fd/0 "$root/dev/stdin"
ln -s /proc/self/fd/1 "$root/dev/stdout"
ln -s /proc/self/fd/2 "$root/dev/stderr"
mkdir -m 1777 "$root/dev/shm"
mkdir "$root/dev/pts"
env=()
while [ "$1" != -- ]; do env+=("$1"); shift; done
shift
exec chroot "$root" /usr/bin/env -i "\${env[@]}" /bin/bash -c "$1"
`;

/**
 * Runs a bash script as root inside the root, as the bootstrap runs it on a node (`bash -c SCRIPT`,
 * standard input passed through), under `unshare --mount --pid --fork` + chroot, plus
 * `unshare --net` for network "none". Never blocks the event loop; always bounded by the timeout,
 * after which the whole namespace is killed (`status` null, `timedOut` true).
 */
export async function runInRoot(root: DebianRoot | string, script: string, opts: RunInRootOptions = {}): Promise<RootRunResult> {
    const dir = typeof root === "string" ? root : root.dir;
    const env: Record<string, string> = { PATH: ROOT_PATH, HOME: "/root", USER: "root", LOGNAME: "root", SHELL: "/bin/bash", LANG: "C.UTF-8", ...opts.env };
    for (const k of Object.keys(env)) if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error(`bad environment variable name ${k}`);
    // The script is bash's argument, as on a node; the kernel caps one argument at 128 KiB.
    if (Buffer.byteLength(script) > 120 * 1024) throw new Error("script too long to pass as an argument");
    const log = path.join(dir, CALLS_LOG);
    fs.mkdirSync(path.dirname(log), { recursive: true });
    fs.writeFileSync(log, "");
    const unshare = ["--mount", "--propagation", "private", "--pid", "--fork", "--kill-child", ...(opts.network === "none" ? ["--net"] : [])];
    const args = [...unshare, "/bin/bash", "-c", SETUP, "setup", dir, ...Object.entries(env).map(([k, v]) => `${k}=${v}`), "--", script];
    const r = await runHost("unshare", args, { timeoutMs: opts.timeoutMs ?? 300_000, input: opts.stdin ?? "", env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" } });
    const calls = fs.existsSync(log) ? fs.readFileSync(log, "utf8").split("\n").filter(Boolean) : [];
    return { ...r, calls };
}

/**
 * A loopback URL nothing listens on (a port the kernel just handed out and this process freed):
 * a repository there is refused at once, unlike a name that does not resolve.
 */
export async function unusedLoopbackUrl(): Promise<string> {
    const net = await import("node:net");
    const port = await new Promise<number>((resolve, reject) => {
        const s = net.createServer();
        s.on("error", reject);
        s.listen(0, "127.0.0.1", () => {
            const p = (s.address() as import("node:net").AddressInfo).port;
            s.close(() => resolve(p));
        });
    });
    return `http://127.0.0.1:${port}`;
}
