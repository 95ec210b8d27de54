/**
 * Volumes: the provisioner (a cloud CSI driver, an NFS export as in seed 001, or local-path on a
 * single node) and the platform's StorageClasses, exactly one of them the default. Databases use
 * a class whose volumes outlive their claims (reclaimPolicy Retain) in prod.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { parseAllDocuments } from "yaml";
import { PLATFORM_NAMESPACES, type Provisioner } from "../config";
import { thinComponent } from "../component";
import { installChart, namespace } from "./helm";
import { CHARTS, LOCAL_PATH_HELPER_IMAGE, LOCAL_PATH_MANIFEST } from "./versions";

export interface ClassSpec {
    readonly name: string;
    readonly reclaimPolicy: "Delete" | "Retain";
    readonly default: boolean;
}

export interface StorageArgs {
    readonly provider: k8s.Provider;
    readonly dependsOn: pulumi.Input<pulumi.Resource>[];
    readonly provisioner: Exclude<Provisioner, "none">;
    readonly classes: readonly ClassSpec[];
    readonly nfs?: { readonly server: string; readonly path: string };
}

export const NFS_PROVISIONER_NAME = "infra.local/nfs";

/** The CSI or external provisioner name, and the class parameters, per provisioner. */
export const PROVISIONERS: Record<Exclude<Provisioner, "none">, { name: string; parameters: Record<string, string>; bindingMode: string; expansion: boolean }> = {
    "hcloud-csi": { name: "csi.hetzner.cloud", parameters: {}, bindingMode: "WaitForFirstConsumer", expansion: true },
    "ebs-csi": { name: "ebs.csi.aws.com", parameters: { type: "gp3", encrypted: "true" }, bindingMode: "WaitForFirstConsumer", expansion: true },
    nfs: { name: NFS_PROVISIONER_NAME, parameters: { archiveOnDelete: "true" }, bindingMode: "Immediate", expansion: false },
    "local-path": { name: "rancher.io/local-path", parameters: {}, bindingMode: "WaitForFirstConsumer", expansion: false },
};

export interface NfsProvisionerValues {
    nfs: { server: string; path: string };
    storageClass: { create: boolean; provisionerName: string };
    resources: { requests: { cpu: string; memory: string }; limits: { memory: string } };
}

/** The NFS export the volumes live on, served under our provisioner name; the classes are the platform's own. */
export function nfsProvisionerValues(nfs: { readonly server: string; readonly path: string }): NfsProvisionerValues {
    return {
        nfs: { server: nfs.server, path: nfs.path },
        storageClass: { create: false, provisionerName: NFS_PROVISIONER_NAME },
        resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "128Mi" } },
    };
}

export interface StorageParts {
    readonly classes: k8s.storage.v1.StorageClass[];
}

/** The provisioner's own objects, which the classes wait for; none for a CSI driver (the cloud integration installs it). */
function installProvisioner(name: string, args: StorageArgs, parent: pulumi.Resource): pulumi.Resource[] {
    if (args.provisioner === "nfs") {
        if (!args.nfs) throw new Error("the nfs provisioner needs infra:platform.storage.nfs");
        return [installChart(`${name}-nfs`, { ref: CHARTS.nfsProvisioner, namespace: PLATFORM_NAMESPACES.nfs, podSecurity: "privileged", values: nfsProvisionerValues(args.nfs), provider: args.provider, dependsOn: args.dependsOn }, parent)];
    }
    if (args.provisioner === "local-path") {
        const ns = namespace(`${name}-local-path-ns`, LOCAL_PATH_NAMESPACE, "privileged", { provider: args.provider, parent, dependsOn: args.dependsOn });
        return [new k8s.yaml.v2.ConfigGroup(`${name}-local-path`, { objs: localPathObjects() }, { provider: args.provider, parent, dependsOn: [ns] })];
    }
    return [];
}

export const LOCAL_PATH_NAMESPACE = PLATFORM_NAMESPACES.localPath;
type Manifest = { kind: string; metadata: { name: string; namespace?: string }; data?: Record<string, string> };

/**
 * The local-path manifest's objects, less two the platform owns: the Namespace (created with its
 * Pod Security labels; the manifest's own would be a second create of it) and the `local-path`
 * StorageClass (the classes are the stack file's). Its helper pod's image gets a tag.
 */
export function localPathObjects(): Manifest[] {
    const text = fs.readFileSync(path.join(__dirname, "manifests", LOCAL_PATH_MANIFEST), "utf8");
    const objects = parseAllDocuments(text).map((d) => d.toJS() as Manifest);
    return objects
        .filter((o) => o.kind !== "Namespace" && o.kind !== "StorageClass")
        .map((o) => {
            if (o.kind !== "ConfigMap" || !o.data?.["helperPod.yaml"]) return o;
            const helper = o.data["helperPod.yaml"].replace(/image: docker\.io\/library\/busybox$/m, `image: ${LOCAL_PATH_HELPER_IMAGE}`);
            if (!helper.includes(LOCAL_PATH_HELPER_IMAGE)) throw new Error(`${LOCAL_PATH_MANIFEST}: the helper pod's image line is not the one this program pins`);
            return { ...o, data: { ...o.data, "helperPod.yaml": helper } };
        });
}

/** One StorageClass per configured class, on the provisioner's name and parameters. */
export function storageClassSpec(c: ClassSpec, provisioner: Exclude<Provisioner, "none">): k8s.storage.v1.StorageClassArgs {
    const p = PROVISIONERS[provisioner];
    return {
        metadata: {
            name: c.name,
            annotations: { "storageclass.kubernetes.io/is-default-class": String(c.default) },
            labels: { "app.kubernetes.io/managed-by": "pulumi" },
        },
        provisioner: p.name,
        reclaimPolicy: c.reclaimPolicy,
        volumeBindingMode: p.bindingMode,
        allowVolumeExpansion: p.expansion,
        parameters: p.parameters,
    };
}

export function createStorage(name: string, args: StorageArgs, parent: pulumi.Resource): StorageParts {
    const deps = [...args.dependsOn, ...installProvisioner(name, args, parent)];
    const classes = args.classes.map((c) => new k8s.storage.v1.StorageClass(`${name}-${c.name}`, storageClassSpec(c, args.provisioner), { provider: args.provider, parent, dependsOn: deps }));
    return { classes };
}

export class Storage extends thinComponent("infra:platform:Storage", createStorage) {}
