/**
 * The Angular frontend: the user's nginx image, with the API base URL passed at run time as a
 * mounted JSON file (one image for every environment).
 *
 * The root filesystem is read-only; nginx writes its pid file and its temporary files (request
 * bodies, proxied responses) at start and while serving, so those directories are emptyDirs:
 * - nginx-unprivileged moves both to /tmp: its Dockerfile rewrites nginx.conf with
 *   `s,/var/run/nginx.pid,/tmp/nginx.pid,` and adds `client_body_temp_path /tmp/client_temp;` and
 *   the proxy, fastcgi, uwsgi and scgi temp paths under /tmp (nginxinc/docker-nginx-unprivileged,
 *   stable/debian/Dockerfile at 8ead5ce, nginx 1.26.3).
 * - the stock nginx image (seed 000's frontend is built on nginx:1.13.9-alpine), or an image that
 *   replaces nginx.conf, keeps the packaged paths: pid /var/run/nginx.pid (/var/run is a symlink to
 *   /run in the Debian and Alpine bases) and the *_temp directories under /var/cache/nginx.
 * The image's entrypoint scripts tolerate a read-only /etc/nginx: 10-listen-on-ipv6-by-default.sh
 * exits 0 when it cannot touch default.conf ("read-only file system?"); an image with
 * /etc/nginx/templates needs NGINX_ENVSUBST_OUTPUT_DIR pointed at a writable directory, or
 * 20-envsubst-on-templates.sh renders nothing.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { labels } from "./labels";
import { TMP, WebWorkload, type WebWorkloadArgs } from "./workload";

export interface AngularArgs extends Omit<WebWorkloadArgs, "name" | "component"> {
    /** Base URL of the API, as the browser calls it. */
    readonly apiBaseUrl: string;
    /** Path of the runtime config file inside the image's web root. */
    readonly configPath: string;
}

/** What nginx writes: see the header. */
export const NGINX_WRITABLE_PATHS = [TMP, "/var/cache/nginx", "/run"] as const;

export function frontendConfig(apiBaseUrl: string): string {
    return `${JSON.stringify({ apiBaseUrl }, null, 2)}\n`;
}

export interface AngularFrontendResult {
    readonly workload: WebWorkload;
}

export function createAngularFrontend(name: string, a: AngularArgs, parent: pulumi.Resource): AngularFrontendResult {
    const file = a.configPath.slice(a.configPath.lastIndexOf("/") + 1);
    const config = new k8s.core.v1.ConfigMap(
        `${name}-config`,
        { metadata: { name: "frontend-config", namespace: a.namespace, labels: labels(a.id, "frontend", "frontend") }, data: { [file]: frontendConfig(a.apiBaseUrl) } },
        { provider: a.provider, parent, dependsOn: a.dependsOn },
    );
    const workload = new WebWorkload(
        `${name}-web`,
        {
            ...a,
            name: "frontend",
            component: "frontend",
            volumes: [{ name: "config", configMap: { name: "frontend-config" } }],
            // One file over the image's own, so the rest of the web root stays the image's.
            volumeMounts: [{ name: "config", mountPath: a.configPath, subPath: file, readOnly: true }],
            writablePaths: [...NGINX_WRITABLE_PATHS, ...(a.writablePaths ?? [])],
            dependsOn: [config],
        },
        { parent },
    );
    return { workload };
}

export class AngularFrontend extends pulumi.ComponentResource {
    readonly workload: WebWorkload;

    constructor(name: string, a: AngularArgs, opts?: pulumi.ComponentResourceOptions) {
        super("infra:apps:AngularFrontend", name, {}, opts);
        this.workload = createAngularFrontend(name, a, this).workload;
        this.registerOutputs({});
    }
}
