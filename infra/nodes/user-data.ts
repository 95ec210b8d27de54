/**
 * Cloud-init user data for cloud nodes: only what must exist before the first SSH login. No
 * secrets: user data stays readable on the instance (and in the cloud's API) after boot.
 * Packages, the container runtime and Kubernetes are the bootstrap's job, over SSH.
 */
import * as YAML from "yaml";

export interface UserDataArgs {
    /** Host name to set (absent for auto scaling group instances, named by the cloud). */
    readonly hostname?: string;
    /**
     * A script to run once at first boot, as root (the seam for auto scaling group instances
     * that join the cluster by themselves; see infra/bootstrap).
     */
    readonly firstBootScript?: string;
}

export function renderUserData(args: UserDataArgs): string {
    const doc: Record<string, unknown> = {};
    if (args.hostname) Object.assign(doc, { hostname: args.hostname, preserve_hostname: false });
    Object.assign(doc, {
        ssh_pwauth: false,
        package_update: false,
        package_upgrade: false,
        write_files: [
            {
                path: "/etc/ssh/sshd_config.d/10-infra.conf",
                permissions: "0644",
                content: "PasswordAuthentication no\nKbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\n",
            },
            ...(args.firstBootScript
                ? [{ path: "/var/lib/infra/first-boot.sh", permissions: "0700", content: args.firstBootScript }]
                : []),
        ],
    });
    if (args.firstBootScript) doc.runcmd = [["/var/lib/infra/first-boot.sh"]];
    return `#cloud-config\n${YAML.stringify(doc, { lineWidth: 0 })}`;
}
