/** Rules on the add-ons: the cloud integration, storage classes and provisioners, ingress exposure, certificates. */
import { addressRange, cidrContainsAddress, rangesOverlap, reservedAddresses } from "../cidr";
import { nodeClouds, type PlatformChoices } from "../platform";
import type { Settings } from "../schema";
import { clusterRanges, infraKey as P, isOnPrem, type Report } from "./common";

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
    // Pulumi waits for a LoadBalancer Service's address (pulumi-kubernetes await, service.go): with
    // nothing to give one, `pulumi up` would wait until it times out.
    if (choice.install.ingress && choice.exposure === "loadBalancer" && !choice.loadBalancer && choice.cloudIntegration !== "aws")
        add(
            P("platform", "ingress", "exposure"),
            s.mode === "apps-only"
                ? "loadBalancer needs a cluster that gives LoadBalancer Services an address (set infra:existingCluster.provides.loadBalancer: true if it does); otherwise use nodePort or hostNetwork"
                : "loadBalancer needs a cloud integration (hetzner or aws), or on-prem an address pool (infra:platform.loadBalancer); otherwise use nodePort or hostNetwork",
        );
    s.apps?.workloads.forEach((w, i) => {
        if (w.service === "LoadBalancer" && !choice.loadBalancer)
            add(
                P("apps", "workloads", i, "service"),
                `LoadBalancer: nothing in this cluster gives LoadBalancer Services an address (${noLoadBalancerReason(s, choice)}), so \`pulumi up\` would wait for one until it times out; use NodePort or an ingressPath`,
            );
    });
    storageClassProblems(s, choice, add);
    loadBalancerPoolProblems(s, choice, add);
    // kured reboots the nodes this stack prepared (their unattended upgrades write the sentinel).
    if (s.platform.kured.enabled && s.mode !== "cluster")
        add(P("platform", "kured", "enabled"), s.mode === "apps-only" ? "reboots nodes this stack builds; an existing cluster's nodes are patched by whoever runs them" : "is the base cluster's setting");
}

/** The on-prem address pool: announced by ARP from on-prem nodes, so on their LAN and taken by nothing else. */
function loadBalancerPoolProblems(s: Settings, choice: PlatformChoices, add: Report): void {
    const lb = s.platform.loadBalancer;
    if (!lb) return;
    const at = P("platform", "loadBalancer");
    if (s.mode !== "cluster") return add(at, s.mode === "apps-only" ? "is for a cluster this stack builds; an existing cluster says infra:existingCluster.provides.loadBalancer" : "is the base cluster's setting");
    if (choice.cloudIntegration !== "none") return add(at, `is for on-prem clusters: the ${choice.cloudIntegration} integration brings the cloud's load balancers`);
    const onprem = s.pools.filter(isOnPrem).flatMap((p) => p.nodes.map((n) => ({ name: n.name, addresses: [...new Set([n.address, n.privateAddress ?? n.address])] })));
    if (onprem.length === 0) return add(at, "needs on-prem nodes (vmware or static pools): they answer ARP for the addresses on their LAN");
    // kubeadm labels control planes node.kubernetes.io/exclude-from-external-load-balancers, which MetalLB's speakers honour.
    if (!s.pools.some((p) => isOnPrem(p) && p.role === "worker"))
        add(at, "needs an on-prem worker: kubeadm labels control planes exclude-from-external-load-balancers, and MetalLB never announces from them");
    if (!onprem.some((n) => n.addresses.some((a) => cidrContainsAddress(lb.network, a))))
        add(P("platform", "loadBalancer", "network"), `${lb.network} holds no on-prem node's address: it must be the LAN the on-prem nodes sit on (ARP does not cross routers)`);
    const others = clusterRanges(s);
    lb.addresses.forEach((spec, i) => {
        const here = P("platform", "loadBalancer", "addresses", i);
        const [first, last] = addressRange(spec)!;
        const net = addressRange(lb.network)!;
        if (first < net[0] || last > net[1]) add(here, `${spec} is not inside network ${lb.network}`);
        else for (const a of reservedAddresses(lb.network)) if (rangesOverlap(spec, `${a}/32`)) add(here, `${spec} holds ${a}, the network or broadcast address of ${lb.network}: no host can answer for it`);
        for (const [path, range] of others) if (rangesOverlap(spec, range)) add(here, `${spec} overlaps ${range} (${path})`);
        for (const n of onprem) for (const a of n.addresses) if (rangesOverlap(spec, `${a}/32`)) add(here, `${spec} holds ${a}, the address of ${n.name}`);
        lb.addresses.slice(0, i).forEach((other, j) => {
            if (rangesOverlap(spec, other)) add(here, `${spec} overlaps infra:platform.loadBalancer.addresses[${j}] (${other})`);
        });
    });
}

function noLoadBalancerReason(s: Settings, choice: PlatformChoices): string {
    if (s.mode === "apps-only") return "set infra:existingCluster.provides.loadBalancer: true if it does";
    if (choice.cloudIntegration === "aws") return "no AWS cloud controller runs; the ingress has its own network load balancer";
    return "no cloud integration, and no on-prem address pool in infra:platform.loadBalancer";
}

function storageClassProblems(s: Settings, choice: PlatformChoices, add: Report): void {
    const { databaseClass } = choice;
    const existing = choice.provides?.storageClass;
    if (choice.provisioner === "none") {
        // No class is created: the database uses the cluster's own.
        if (s.apps?.database && !databaseClass)
            add(P("platform", "storage", "databaseClass"), "is required with provisioner none: the existing StorageClass database volumes use");
        return;
    }
    const classes = s.platform.storage.classes;
    const defaults = classes.filter((c) => c.default);
    if (existing) {
        // The cluster has its default class: ours must neither take its name nor be a second default.
        if (defaults.length) add(P("platform", "storage", "classes"), `the cluster's class ${existing} is already the default: set default: false on ${defaults.map((c) => c.name).join(", ")}`);
        classes.forEach((c, i) => {
            if (c.name === existing) add(P("platform", "storage", "classes", i, "name"), `"${c.name}" is the cluster's own class; choose another name`);
        });
    } else if (defaults.length !== 1)
        add(P("platform", "storage", "classes"), `exactly one class must be the default, found ${defaults.length}${defaults.length ? ` (${defaults.map((c) => c.name).join(", ")})` : ""}`);
    if (existing && s.platform.storage.provisioner === "local-path" && s.existingCluster?.distribution !== "other" && s.existingCluster?.distribution !== "minikube")
        add(P("platform", "storage", "provisioner"), `local-path: ${s.existingCluster?.distribution} already runs local-path-provisioner (class ${existing}); leave provisioner unset to use it`);
    const names = new Set<string>(existing ? [existing] : []);
    classes.forEach((c, i) => {
        if (names.has(c.name) && c.name !== existing) add(P("platform", "storage", "classes", i, "name"), `duplicate class name "${c.name}"`);
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
