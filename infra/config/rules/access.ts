/** Rules on access: who may reach SSH and the API, the clouds' credentials, and the secrets the stack needs. */
import { isWorldOpen, WORLD_OPEN_PREFIX } from "../cidr";
import type { SecretKey, Settings } from "../schema";
import type { ValidationContext } from "../validate";
import { infraKey as P, type Report } from "./common";

export function cloudAccessProblems(s: Settings, ctx: ValidationContext, add: Report): void {
    if (s.environment === "prod" && !s.ssh.allowWorldAdmin && isWorldOpen(s.ssh.adminCidrs))
        add(
            P("ssh", "adminCidrs"),
            `opens SSH and the API to the world in prod (together the ranges cover a /${WORLD_OPEN_PREFIX} or more): list your networks, or set ssh.allowWorldAdmin to true to accept it`,
        );
    if (s.pools.some((p) => p.provider === "hetzner" || p.provider === "aws")) {
        if (!s.ssh.publicKey) add(P("ssh", "publicKey"), "is required with a cloud pool (it is installed on the servers)");
        if (s.ssh.adminCidrs.length === 0)
            add(P("ssh", "adminCidrs"), "is required with a cloud pool: the sources allowed to reach SSH and the API (e.g. your office's 203.0.113.0/24)");
    }
    if (s.pools.some((p) => p.provider === "hetzner")) {
        if (ctx.hcloudToken === "missing") add("hcloud:token", "is required with a Hetzner pool: pulumi config set --secret hcloud:token <token>");
        if (ctx.hcloudToken === "plain") add("hcloud:token", "must be stored encrypted: pulumi config set --secret hcloud:token <token>");
    }
    for (const key of ctx.plainProviderSecrets) add(key, `must be stored encrypted: pulumi config set --secret ${key} ... (or leave it out and use the environment's AWS credentials)`);
    if (s.pools.some((p) => p.provider === "aws") && !ctx.awsRegion) add("aws:region", "is required with an AWS pool: pulumi config set aws:region eu-central-1");
}

/**
 * Host keys the program cannot pin because the stack file does not give them: on-prem machines and
 * the bastion (cloud nodes get theirs from the program). An error in prod, a warning elsewhere.
 */
export function hostKeyProblems(s: Settings, report: { error: Report; warn: Report }): void {
    const add = s.environment === "prod" ? report.error : report.warn;
    const why = "the program sends secrets (keys, tokens) over this connection and would accept any host that answers at the address";
    s.pools.forEach((p, i) => {
        if (p.provider !== "vmware" && p.provider !== "static") return;
        p.nodes.forEach((n, j) => {
            if (!n.hostKey) add(P("pools", i, "nodes", j, "hostKey"), `is ${s.environment === "prod" ? "required in prod" : "not set"}: ${why} (give /etc/ssh/ssh_host_ed25519_key.pub of ${n.name})`);
        });
    });
    if (s.ssh.installHostKeys && s.pools.some((p) => p.provider === "hetzner" || p.provider === "aws"))
        report.warn(P("ssh", "installHostKeys"), "is on: this up sends every cloud node its host key over a connection that accepts any host key; turn it off once the nodes have theirs");
    if (s.ssh.bastion && !s.ssh.bastion.hostKey) add(P("ssh", "bastion", "hostKey"), `is ${s.environment === "prod" ? "required in prod" : "not set"}: ${why} (give /etc/ssh/ssh_host_ed25519_key.pub of ${s.ssh.bastion.host})`);
}

/** The secrets the stack's features need, and the backups of etcd, which only a cluster stack has. */
export function secretProblems(s: Settings, ctx: ValidationContext, add: Report): void {
    const needSecret = (key: SecretKey, why: string) => {
        if (!ctx.secretsSet.has(key)) add(`infra:${key}`, `is required ${why}: pulumi config set --secret infra:${key} ...`);
    };
    if (s.pools.length > 0) needSecret("sshPrivateKey", "when the stack has nodes");
    if (s.apps?.registry) needSecret("registryPassword", "with apps.registry");
    if (s.apps?.backups || s.etcdBackups) {
        const why = s.apps?.backups ? "with apps.backups" : "with etcdBackups";
        needSecret("backupAccessKeyId", why);
        needSecret("backupSecretAccessKey", why);
    }
    if (ctx.secretsSet.has("kubeconfig") && s.mode !== "apps-only")
        add("infra:kubeconfig", `is only for an apps-only stack (the cluster it deploys to); a ${s.mode} stack ${s.mode === "cluster" ? "makes its own kubeconfig (the stack output kubeconfig)" : "joins its base's cluster"}: delete the key`);
    if (ctx.secretsSet.has("appSecrets") && !s.apps) add("infra:appSecrets", "is only used with infra:apps (the workloads that list its entries in their secrets)");
    if (s.etcdBackups && s.mode !== "cluster") add(P("etcdBackups"), "is only for a cluster stack (it snapshots the cluster's own control planes)");
}
