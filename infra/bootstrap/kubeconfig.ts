/** The admin kubeconfig, rendered from certificates the program issued. Pure. */
import * as YAML from "yaml";

export interface KubeconfigArgs {
    readonly clusterName: string;
    /** `https://host:6443` */
    readonly server: string;
    readonly caCertPem: string;
    readonly clientCertPem: string;
    readonly clientKeyPem: string;
}

const b64 = (s: string) => Buffer.from(s).toString("base64");

export function renderKubeconfig(a: KubeconfigArgs): string {
    const user = `${a.clusterName}-admin`;
    return YAML.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: a.clusterName, cluster: { server: a.server, "certificate-authority-data": b64(a.caCertPem) } }],
        users: [{ name: user, user: { "client-certificate-data": b64(a.clientCertPem), "client-key-data": b64(a.clientKeyPem) } }],
        contexts: [{ name: a.clusterName, context: { cluster: a.clusterName, user } }],
        "current-context": a.clusterName,
    });
}
