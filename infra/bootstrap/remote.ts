/**
 * How bootstrap scripts run on a node: `common.sh` + parameters + the script, as root (through
 * `sudo -n`, which fails at once instead of waiting for a password), with secrets only on
 * standard input as a bundle of files.
 */
import { loadScript, withParams } from "../shell";

export { asRoot, innerScript, SCRIPT_MARK } from "../shell";

const COMMON = loadScript(__dirname, "common.sh").replace(/^#!.*\n/, "");

export const SCRIPTS = {
    prepare: loadScript(__dirname, "prepare.sh"),
    init: loadScript(__dirname, "init.sh"),
    join: loadScript(__dirname, "join.sh"),
    token: loadScript(__dirname, "token.sh"),
    drain: loadScript(__dirname, "drain.sh"),
    meshPeers: loadScript(__dirname, "mesh-peers.sh"),
    meshSync: loadScript(__dirname, "mesh-sync.sh"),
    meshLeave: loadScript(__dirname, "mesh-leave.sh"),
    asgJoin: loadScript(__dirname, "asg-join.sh"),
    etcdBackup: loadScript(__dirname, "etcd-backup.sh"),
    etcdSnapshot: loadScript(__dirname, "etcd-snapshot.sh"),
    etcdRestore: loadScript(__dirname, "etcd-restore.sh"),
    upgradeSnapshot: loadScript(__dirname, "upgrade-snapshot.sh"),
    upgradeNode: loadScript(__dirname, "upgrade-node.sh"),
    upgradeDrain: loadScript(__dirname, "upgrade-drain.sh"),
    upgradeUncordon: loadScript(__dirname, "upgrade-uncordon.sh"),
    certsRenew: loadScript(__dirname, "certs-renew.sh"),
    controlPlaneLeave: loadScript(__dirname, "control-plane-leave.sh"),
} as const;

/** The script that runs on the node: shebang, common helpers, parameters, body. */
export function composeScript(body: string, params: Readonly<Record<string, string | number>>): string {
    const withValues = withParams(body, params);
    const [shebang, ...rest] = withValues.split("\n");
    return [shebang, COMMON.trimEnd(), ...rest].join("\n");
}

/**
 * The first-boot script of an auto scaling group instance: asg-join.sh, with prepare.sh as its
 * `prepare_node` function (the same steps as every other node, NODE_IP found at boot).
 */
export function asgFirstBootScript(params: Readonly<Record<string, string | number>>): string {
    const prepare = SCRIPTS.prepare.replace(/^#!.*\n/, "").replace(/^set -euo pipefail$/m, "");
    const script = composeScript(SCRIPTS.asgJoin, { ...params, NODE_IP: "auto", MESH: "0", IN_CLOUD_INIT: "1" });
    return script.replace(/^prepare_node$/m, () => `prepare_node() {\n${prepare.trimEnd()}\n}\nprepare_node`);
}

export interface BundleFile {
    readonly path: string;
    readonly mode: string;
    readonly content: string;
}

/** Files for `write_bundle`: one `PATH MODE BASE64` line each. */
export function renderBundle(files: readonly BundleFile[]): string {
    return files
        .map((f) => {
            if (!/^\/etc\/(kubernetes|wireguard)\/[A-Za-z0-9._/-]+$/.test(f.path)) throw new Error(`bundle path ${f.path} is outside /etc/kubernetes and /etc/wireguard`);
            if (!/^0[0-7]{3}$/.test(f.mode)) throw new Error(`bundle mode ${f.mode} is not octal`);
            return `${f.path} ${f.mode} ${Buffer.from(f.content).toString("base64")}\n`;
        })
        .join("");
}

/** The files of a bundle made by `renderBundle`, by path (for tests and tools reading plans). */
export function parseBundle(bundle: string): Map<string, string> {
    return new Map(
        bundle
            .split("\n")
            .filter((l) => l !== "")
            .map((l) => l.split(" "))
            .map(([path, , data]) => [path, Buffer.from(data, "base64").toString("utf8")]),
    );
}
