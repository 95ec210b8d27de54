/**
 * Stand-ins for download.docker.com and pkgs.k8s.io, served on loopback from this test process:
 * tiny dummy .deb packages in signed repositories laid out like the real ones, so that the real apt
 * flow (key download, signed-by, `apt-get update`, pinned installs, holds) runs in a Debian root
 * without reaching the internet, which this machine cannot.
 *
 * - Docker: a dists/ repository, `deb [signed-by=...] <DOCKER_REPO>/debian bookworm stable`, its
 *   key armored at `<DOCKER_REPO>/debian/gpg`.
 * - Kubernetes: a flat repository per minor, `deb [signed-by=...] <K8S_REPO>/v1.35/deb/ /`, its
 *   key armored at `<K8S_REPO>/v1.35/deb/Release.key` (the scripts dearmor it).
 * Both are signed (InRelease and Release.gpg) with a throwaway key made for the occasion.
 *
 * `failNext` makes the server fail chosen requests (an error status, or a body cut short), for the
 * transient-failure tests; `requests` records what was asked for.
 */
import { spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { after } from "node:test";
import * as zlib from "node:zlib";
import { CALLS_LOG, ensureHostTools, mustRun, onExit, removeTree, removeTreeSync, runHost, SUITE } from "./debian-root";

export interface DebFile {
    readonly content: string;
    readonly mode?: number;
}

export interface DebPackage {
    readonly name: string;
    readonly version: string;
    readonly depends?: readonly string[];
    /** Files by absolute path; those under /etc become conffiles, as debhelper makes them. */
    readonly files: Readonly<Record<string, DebFile>>;
}

/**
 * A program that records its call in CALLS_LOG like the root's stubs do (so a test sees that the
 * package's program ran), then runs `body`.
 */
export function recorder(name: string, body = "exit 0"): DebFile {
    return { mode: 0o755, content: `#!/bin/sh\n# dummy ${name} from the infra system tests' local repository\nmkdir -p '${path.posix.dirname(CALLS_LOG)}'\necho "${name} $*" >> '${CALLS_LOG}'\n${body}\n` };
}

/**
 * containerd.io as Docker ships it, in miniature. Its /etc/containerd/config.toml is a conffile
 * that disables the CRI plugin, like the real package's: the scripts must replace it, and dpkg's
 * conffile handling then applies on reinstalls.
 */
export function dockerPackages(containerdVersion = "2.1.5-1"): DebPackage[] {
    return [
        {
            name: "containerd.io",
            version: containerdVersion,
            files: {
                "/usr/bin/containerd": recorder("containerd", `[ "$1" = --version ] && echo "containerd containerd.io ${containerdVersion.replace(/-.*/, "")}"; exit 0`),
                "/usr/bin/ctr": recorder("ctr"),
                "/usr/lib/systemd/system/containerd.service": {
                    content: "[Unit]\nDescription=containerd container runtime\nAfter=network.target\n\n[Service]\nExecStart=/usr/bin/containerd\n\n[Install]\nWantedBy=multi-user.target\n",
                },
                "/etc/containerd/config.toml": { content: '#   As shipped by containerd.io (dummy): the CRI plugin is off.\n\ndisabled_plugins = ["cri"]\n' },
            },
        },
    ];
}

/** kubelet, kubeadm, kubectl (`<version>-1.1`, pkgs.k8s.io's revision) and cri-tools, as on pkgs.k8s.io, in miniature. */
export function kubernetesPackages(version = "1.35.9", criToolsVersion = "1.35.0-1.1"): DebPackage[] {
    const full = `${version}-1.1`;
    return [
        {
            name: "kubelet",
            version: full,
            files: {
                "/usr/bin/kubelet": recorder("kubelet", `[ "$1" = --version ] && echo "Kubernetes v${version}"; exit 0`),
                "/usr/lib/systemd/system/kubelet.service": {
                    content:
                        "[Unit]\nDescription=kubelet: The Kubernetes Node Agent\nWants=network-online.target\nAfter=network-online.target\n\n" +
                        "[Service]\nExecStart=/usr/bin/kubelet\nRestart=always\nStartLimitInterval=0\nRestartSec=10\n\n[Install]\nWantedBy=multi-user.target\n",
                },
            },
        },
        {
            name: "kubeadm",
            version: full,
            depends: ["cri-tools"],
            files: {
                "/usr/bin/kubeadm": recorder("kubeadm", `[ "$1" = version ] && echo "v${version}"; exit 0`),
                "/usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf": {
                    content:
                        "[Service]\n" +
                        'Environment="KUBELET_KUBECONFIG_ARGS=--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf"\n' +
                        'Environment="KUBELET_CONFIG_ARGS=--config=/var/lib/kubelet/config.yaml"\n' +
                        "EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env\nEnvironmentFile=-/etc/default/kubelet\nExecStart=\n" +
                        "ExecStart=/usr/bin/kubelet $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS\n",
                },
            },
        },
        { name: "kubectl", version: full, files: { "/usr/bin/kubectl": recorder("kubectl") } },
        { name: "cri-tools", version: criToolsVersion, files: { "/usr/bin/crictl": recorder("crictl") } },
    ];
}

export interface LocalReposOptions {
    /** Packages of the Docker repository. Default: `dockerPackages()`. */
    docker?: readonly DebPackage[];
    /** Packages per Kubernetes minor ("1.35" → `<K8S_REPO>/v1.35/deb/`). Default: 1.35 with `kubernetesPackages()`. */
    kubernetes?: Readonly<Record<string, readonly DebPackage[]>>;
}

/** A way to fail the next requests whose path matches. Default: status 503. */
export type Fault = { times?: number; status?: number } | { times?: number; truncate: number };

export interface RepoRequest {
    method: string;
    /** The decoded path, e.g. `/pkgs.k8s.io/core:/stable:/v1.35/deb/InRelease`. */
    path: string;
    status: number;
    /** Set when a fault answered the request. */
    fault?: string;
}

export interface LocalRepos {
    /** `http://127.0.0.1:PORT` */
    readonly url: string;
    /** Replaces `https://download.docker.com/linux`. */
    readonly dockerRepo: string;
    /** Replaces `https://pkgs.k8s.io/core:/stable:`. */
    readonly k8sRepo: string;
    /** The parameters prepare.sh takes for the repositories: `{ DOCKER_REPO, K8S_REPO }`. */
    readonly params: { DOCKER_REPO: string; K8S_REPO: string };
    /** The signing key, armored (what both key URLs serve). */
    readonly armoredKey: string;
    readonly fingerprint: string;
    /** The directory served. */
    readonly dir: string;
    /** Every request so far, in order. */
    readonly requests: RepoRequest[];
    /** The apt sources lines for both repositories, with the keyring paths prepare.sh uses. */
    sourcesList(minor?: string): string;
    /** Fails the next `fault.times` (default 1) requests whose path contains `match` (or matches it). */
    failNext(match: string | RegExp, fault?: Fault): void;
    close(): Promise<void>;
}

const HOST_TOOLS = { "dpkg-deb": "dpkg", "dpkg-scanpackages": "dpkg-dev", gpg: "gnupg", gpgconf: "gnupg" };

/** A date as apt reads it in a Release file. */
function releaseDate(d = new Date()): string {
    return d.toUTCString().replace("GMT", "UTC");
}

/** Release file: the fields apt uses, and the SHA256 of each index below `dir`. */
function releaseFile(dir: string, fields: Record<string, string>, indexes: readonly string[]): string {
    const sums = indexes.map((rel) => {
        const data = fs.readFileSync(path.join(dir, rel));
        return ` ${crypto.createHash("sha256").update(data).digest("hex")} ${data.length} ${rel}`;
    });
    return (
        Object.entries({ ...fields, Date: releaseDate() })
            .map(([k, v]) => `${k}: ${v}`)
            .join("\n") + `\nSHA256:\n${sums.join("\n")}\n`
    );
}

async function buildDeb(pkg: DebPackage, outDir: string, work: string): Promise<void> {
    const tree = fs.mkdtempSync(path.join(work, "pkg-"));
    const conffiles: string[] = [];
    for (const [p, f] of Object.entries(pkg.files)) {
        if (!p.startsWith("/")) throw new Error(`${pkg.name}: ${p} is not absolute`);
        const target = path.join(tree, p);
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.writeFileSync(target, f.content);
        fs.chmodSync(target, f.mode ?? 0o644);
        if (p.startsWith("/etc/")) conffiles.push(p);
    }
    fs.mkdirSync(path.join(tree, "DEBIAN"));
    const control = [
        `Package: ${pkg.name}`,
        `Version: ${pkg.version}`,
        "Architecture: all",
        "Maintainer: infra system tests <tests@infra-test.invalid>",
        ...(pkg.depends?.length ? [`Depends: ${pkg.depends.join(", ")}`] : []),
        "Section: admin",
        "Priority: optional",
        `Description: dummy ${pkg.name} for the infra system tests`,
        " Records its calls instead of doing anything.",
    ];
    fs.writeFileSync(path.join(tree, "DEBIAN/control"), control.join("\n") + "\n");
    if (conffiles.length > 0) fs.writeFileSync(path.join(tree, "DEBIAN/conffiles"), conffiles.join("\n") + "\n");
    fs.mkdirSync(outDir, { recursive: true });
    await mustRun("dpkg-deb", ["--root-owner-group", "-Zgzip", "--build", tree, path.join(outDir, `${pkg.name}_${pkg.version}_all.deb`)], { timeoutMs: 60_000 });
}

/** Writes Packages and Packages.gz for the .debs under `cwd/scanDir`, with paths relative to `cwd`. */
async function writeIndex(cwd: string, scanDir: string, indexDir: string): Promise<void> {
    const r = await mustRun("dpkg-scanpackages", ["--multiversion", scanDir, "/dev/null"], { cwd, timeoutMs: 60_000 });
    fs.mkdirSync(indexDir, { recursive: true });
    fs.writeFileSync(path.join(indexDir, "Packages"), r.stdout);
    fs.writeFileSync(path.join(indexDir, "Packages.gz"), zlib.gzipSync(r.stdout));
}

/** A throwaway signing key in its own GNUPGHOME, with no passphrase (`stopAgent` ends the agent it starts). */
async function signingKey(home: string) {
    fs.mkdirSync(home, { mode: 0o700 });
    const gpg = (args: string[], input?: string) =>
        mustRun("gpg", ["--homedir", home, "--batch", "--yes", "--pinentry-mode", "loopback", "--passphrase", "", ...args], { timeoutMs: 60_000, input });
    await gpg(["--quick-gen-key", "infra system tests repository <repo@infra-test.invalid>", "ed25519", "sign", "never"]);
    const listed = await gpg(["--with-colons", "--list-secret-keys"]);
    const fingerprint = /^fpr:+([0-9A-F]+):/m.exec(listed.stdout)?.[1];
    if (!fingerprint) throw new Error(`no fingerprint in:\n${listed.stdout}`);
    const armoredKey = (await gpg(["--armor", "--export", fingerprint])).stdout;
    return {
        fingerprint,
        armoredKey,
        /** Writes InRelease (clearsigned) and Release.gpg (detached) next to `release`. */
        async sign(release: string) {
            const dir = path.dirname(release);
            await gpg(["--local-user", fingerprint, "--digest-algo", "SHA512", "--clearsign", "-o", path.join(dir, "InRelease"), release]);
            await gpg(["--local-user", fingerprint, "--digest-algo", "SHA512", "--armor", "--detach-sign", "-o", path.join(dir, "Release.gpg"), release]);
        },
    };
}

/** Stops the gpg-agent (and any other daemon) gpg started for a GNUPGHOME. */
async function stopAgent(home: string): Promise<void> {
    if (fs.existsSync(home)) await runHost("gpgconf", ["--homedir", home, "--kill", "all"], { timeoutMs: 30_000 });
}

/**
 * Builds both repositories in a temporary directory and serves them on 127.0.0.1 (a port the
 * kernel picks) until the test or suite that started them ends. Roots run with network "mirror"
 * share this machine's loopback and reach it; with network "none" they do not.
 */
export async function startLocalRepos(opts: LocalReposOptions = {}): Promise<LocalRepos> {
    // Registered before the first await, for the reason given in debianRoot.
    const closers: (() => Promise<void>)[] = [];
    let closed = false;
    const close = async () => {
        if (closed) return;
        closed = true;
        for (const c of closers.reverse()) await c();
    };
    after(close);
    await ensureHostTools(HOST_TOOLS);
    const base = fs.mkdtempSync(path.join(os.tmpdir(), "infra-local-repo-"));
    const gnupg = path.join(base, "gnupg");
    const forget = onExit(() => {
        if (fs.existsSync(gnupg)) spawnSync("gpgconf", ["--homedir", gnupg, "--kill", "all"], { timeout: 30_000 });
        removeTreeSync(base);
    });
    closers.push(async () => {
        await removeTree(base);
        forget();
    });
    const dir = path.join(base, "www");
    const work = path.join(base, "work");
    fs.mkdirSync(work, { recursive: true });
    const arch = (await mustRun("dpkg", ["--print-architecture"], { timeoutMs: 10_000 })).stdout.trim();
    // Registered before the key exists: a failure half-way must not leave its gpg-agent behind.
    closers.push(() => stopAgent(gnupg));
    const key = await signingKey(gnupg);

    // Docker: <prefix>/debian/{gpg,dists/bookworm/...,pool/...}
    const docker = path.join(dir, "download.docker.com/linux/debian");
    for (const pkg of opts.docker ?? dockerPackages()) await buildDeb(pkg, path.join(docker, "pool/stable", pkg.name[0]), work);
    await writeIndex(docker, "pool", path.join(docker, `dists/${SUITE}/stable/binary-${arch}`));
    const dockerDist = path.join(docker, "dists", SUITE);
    fs.writeFileSync(
        path.join(dockerDist, "Release"),
        releaseFile(
            dockerDist,
            { Origin: "Docker", Label: "Docker CE", Suite: SUITE, Codename: SUITE, Architectures: arch, Components: "stable", Description: "Docker CE packages for Debian (infra system tests' stand-in)" },
            [`stable/binary-${arch}/Packages`, `stable/binary-${arch}/Packages.gz`],
        ),
    );
    await key.sign(path.join(dockerDist, "Release"));
    fs.writeFileSync(path.join(docker, "gpg"), key.armoredKey);

    // Kubernetes: <prefix>/v1.35/deb/{Release.key,InRelease,Packages,*.deb}, one flat repository per minor.
    for (const [minor, pkgs] of Object.entries(opts.kubernetes ?? { "1.35": kubernetesPackages() })) {
        const flat = path.join(dir, `pkgs.k8s.io/core:/stable:/v${minor}/deb`);
        for (const pkg of pkgs) await buildDeb(pkg, flat, work);
        await writeIndex(flat, ".", flat);
        const label = `isv:kubernetes:core:stable:v${minor}`;
        fs.writeFileSync(
            path.join(flat, "Release"),
            releaseFile(flat, { Origin: `obs://build.opensuse.org/${label}/deb`, Label: label, Architectures: arch, Description: "Kubernetes packages (infra system tests' stand-in)" }, [
                "Packages",
                "Packages.gz",
            ]),
        );
        await key.sign(path.join(flat, "Release"));
        fs.writeFileSync(path.join(flat, "Release.key"), key.armoredKey);
    }
    // The key is not needed once everything is signed.
    await stopAgent(gnupg);

    const requests: RepoRequest[] = [];
    const faults: { match: string | RegExp; fault: Fault; left: number }[] = [];
    const server = http.createServer((req, res) => {
        let rel: string;
        try {
            rel = decodeURIComponent(new URL(req.url ?? "/", "http://localhost").pathname);
        } catch {
            rel = "/";
        }
        const record = (status: number, fault?: string) => requests.push({ method: req.method ?? "GET", path: rel, status, ...(fault ? { fault } : {}) });
        const file = path.resolve(dir, "." + rel);
        const stat = file.startsWith(dir + path.sep) && fs.existsSync(file) ? fs.statSync(file) : undefined;
        if (req.method !== "GET" && req.method !== "HEAD") {
            record(405);
            res.writeHead(405).end();
            return;
        }
        const f = faults.find((x) => x.left > 0 && (typeof x.match === "string" ? rel.includes(x.match) : x.match.test(rel)));
        if (f) {
            f.left--;
            if ("truncate" in f.fault && stat?.isFile()) {
                // A download cut short: the full length is announced, fewer bytes arrive, the connection drops.
                const data = fs.readFileSync(file);
                record(200, `truncated after ${f.fault.truncate} bytes`);
                res.writeHead(200, { "Content-Length": data.length, "Content-Type": "application/octet-stream" });
                res.write(data.subarray(0, f.fault.truncate), () => res.destroy());
                return;
            }
            const status = "status" in f.fault && f.fault.status !== undefined ? f.fault.status : 503;
            record(status, `status ${status}`);
            res.writeHead(status, { "Content-Type": "text/plain" }).end(`injected failure (${status})\n`);
            return;
        }
        if (!stat?.isFile()) {
            record(404);
            res.writeHead(404, { "Content-Type": "text/plain" }).end("not found\n");
            return;
        }
        record(200);
        res.writeHead(200, { "Content-Length": stat.size, "Content-Type": "application/octet-stream", "Last-Modified": stat.mtime.toUTCString() });
        if (req.method === "HEAD") res.end();
        else fs.createReadStream(file).pipe(res);
    });
    // Nothing a test does should wait long on this server: a stalled connection is cut.
    server.requestTimeout = 60_000;
    server.headersTimeout = 30_000;
    await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => resolve());
    });
    closers.push(
        () =>
            new Promise<void>((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    );
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const dockerRepo = `${url}/download.docker.com/linux`;
    const k8sRepo = `${url}/pkgs.k8s.io/core:/stable:`;
    return {
        url,
        dockerRepo,
        k8sRepo,
        params: { DOCKER_REPO: dockerRepo, K8S_REPO: k8sRepo },
        armoredKey: key.armoredKey,
        fingerprint: key.fingerprint,
        dir,
        requests,
        sourcesList: (minor = "1.35") =>
            `deb [signed-by=/etc/apt/keyrings/docker.asc] ${dockerRepo}/debian ${SUITE} stable\n` +
            `deb [signed-by=/etc/apt/keyrings/kubernetes-${minor}.gpg] ${k8sRepo}/v${minor}/deb/ /\n`,
        failNext(match, fault = {}) {
            faults.push({ match, fault, left: fault.times ?? 1 });
        },
        close,
    };
}
