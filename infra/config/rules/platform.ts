/** Rules on the add-ons: the cloud integration, storage classes and provisioners, ingress exposure, certificates. */
import { nodeClouds, type PlatformChoices } from "../platform";
import type { Settings } from "../schema";
import { infraKey as P, type Report } from "./common";

export function platformProblems(s: Settings, choice: PlatformChoices, add: Report): void {
    const clouds = [...nodeClouds(s)];
    const integration = s.platform.cloudIntegration;
    if (integration && integration !== "none") {
        if (s.mode !== "cluster") add(P("platform", "cloudIntegration"), `${integration} needs the stack's own nodes (mode cluster); use none here`);
        else if (clouds.length !== 1 || clouds[0] !== integration)
            add(
                P("platform", "cloudIntegration"),
                `${integration} does not match the nodes (${clouds.join(", ") || "none"}): its cloud controller only knows ${integration} machines, so every pool must be on ${integration}`,
            );
    }
    const st = s.platform.storage;
    if (choice.provisioner === "nfs" && !st.nfs) add(P("platform", "storage", "nfs"), "is required for the nfs provisioner: the server and exported path (e.g. { server: 192.168.18.10, path: /srv/k8s })");
    if (choice.provisioner === "hcloud-csi" && choice.cloudIntegration !== "hetzner")
        add(P("platform", "storage", "provisioner"), "hcloud-csi needs cloudIntegration hetzner");
    if (choice.provisioner === "ebs-csi" && choice.cloudIntegration !== "aws") add(P("platform", "storage", "provisioner"), "ebs-csi needs cloudIntegration aws");
    if (choice.exposure === "loadBalancer" && choice.cloudIntegration === "none" && s.mode === "cluster")
        add(P("platform", "ingress", "exposure"), "loadBalancer needs a cloud integration (hetzner or aws); on-prem use nodePort or hostNetwork");
    storageClassProblems(s, choice.databaseClass, add);
}

function storageClassProblems(s: Settings, databaseClass: string, add: Report): void {
    const classes = s.platform.storage.classes;
    const defaults = classes.filter((c) => c.default);
    if (defaults.length !== 1)
        add(P("platform", "storage", "classes"), `exactly one class must be the default, found ${defaults.length}${defaults.length ? ` (${defaults.map((c) => c.name).join(", ")})` : ""}`);
    const names = new Set<string>();
    classes.forEach((c, i) => {
        if (names.has(c.name)) add(P("platform", "storage", "classes", i, "name"), `duplicate class name "${c.name}"`);
        names.add(c.name);
    });
    if (s.apps?.database && !names.has(databaseClass))
        add(
            P("platform", "storage", "databaseClass"),
            databaseClass
                ? `names no class of platform.storage.classes (${[...names].join(", ")})`
                : "is required in prod when no class has reclaimPolicy Retain: database volumes must survive their claim",
        );
}

export function certManagerProblems(s: Settings, add: Report): void {
    const cm = s.platform.certManager;
    if (cm.enabled && cm.issuer.startsWith("letsencrypt") && !cm.email)
        add(P("platform", "certManager", "email"), `is required for the ${cm.issuer} issuer (Let's Encrypt account e-mail)`);
}
