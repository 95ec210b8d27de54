/**
 * The Angular frontend: the user's nginx image, with the API base URL passed at run time as a
 * mounted JSON file (one image for every environment).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { labels } from "./labels";
import { WebWorkload, type WebWorkloadArgs } from "./workload";

export interface AngularArgs extends Omit<WebWorkloadArgs, "name" | "component"> {
    /** Base URL of the API, as the browser calls it. */
    readonly apiBaseUrl: string;
    /** Path of the runtime config file inside the image's web root. */
    readonly configPath: string;
}

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
