/**
 * Checks that span more than one key (counts, overlaps, uniqueness, required secrets). They run
 * once the structure is valid, and return every problem rather than the first.
 */
import * as ipaddr from "ipaddr.js";
import type { ConfigProblem } from "./errors";
import { keyPath } from "./errors";
import { nodeClouds, platformChoices } from "./platform";
import { HETZNER_LOCATIONS, HETZNER_SERVER_TYPE, SECRET_KEYS, type Pool, type SecretKey, type Settings } from "./schema";

/** What the loader knows beside the validated settings. */
export interface ValidationContext {
    /** Secret keys that are set (and stored encrypted). */
    readonly secretsSet: ReadonlySet<SecretKey>;
    /** `hcloud:token` is set and stored encrypted. */
    readonly hcloudToken: "secret" | "plain" | "missing";
    /** `aws:region`, when set. */
    readonly awsRegion?: string;
}

const P = (...segments: PropertyKey[]) => keyPath(["infra:" + String(segments[0]), ...segments.slice(1)]);

export function cidrsOverlap(a: string, b: string): boolean {
    const [na, la] = ipaddr.parseCIDR(a);
    const [nb, lb] = ipaddr.parseCIDR(b);
    return la <= lb ? nb.match(na, la) : na.match(nb, lb);
}

export function cidrContains(outer: string, inner: string): boolean {
    const [no, lo] = ipaddr.parseCIDR(outer);
    const [ni, li] = ipaddr.parseCIDR(inner);
    return lo <= li && ni.match(no, lo);
}

export function cidrContainsAddress(range: string, address: string): boolean {
    if (!ipaddr.IPv4.isValidFourPartDecimal(address)) return false;
    return ipaddr.IPv4.parse(address).match(ipaddr.IPv4.parseCIDR(range));
}

/** Node names in pool order, as the node components will name them. */
export function nodeNames(clusterName: string, pool: Pool): string[] {
    if (pool.provider === "vmware" || pool.provider === "static") return pool.nodes.map((n) => n.name);
    const n = pool.provider === "aws" && pool.autoscaling ? 0 : (pool.count ?? 0);
    return Array.from({ length: n }, (_, i) => `${clusterName}-${pool.name}-${i + 1}`);
}

export function controlPlaneCount(pools: readonly Pool[]): number {
    return pools.filter((p) => p.role === "control-plane").reduce((sum, p) => sum + nodeNames("", p).length, 0);
}

export function semanticProblems(s: Settings, clusterName: string, ctx: ValidationContext): ConfigProblem[] {
    const out: ConfigProblem[] = [];
    const add = (path: string, message: string) => out.push({ path, message });
    const hasNodes = s.pools.length > 0;
    const cloudPools = s.pools.filter((p) => p.provider === "hetzner" || p.provider === "aws");

    // What each mode needs and forbids.
    if (s.mode === "cluster" && !s.kubernetes) add(P("kubernetes"), "is required when mode is cluster");
    if (s.mode === "cluster") {
        if (!hasNodes) add(P("pools"), "a cluster needs at least one pool with role control-plane");
        else if (!s.pools.some((p) => p.role === "control-plane"))
            add(P("pools"), "no pool has role control-plane: a worker-only cluster cannot start (use mode burst to add workers to a running cluster)");
        if (s.burst) add(P("burst"), "is only allowed when mode is burst");
    }
    if (s.mode === "burst") {
        if (!s.burst) add(P("burst"), "is required when mode is burst (burst.baseStack names the running cluster's stack)");
        if (!hasNodes) add(P("pools"), "a burst stack needs at least one worker pool");
        if (s.apps) add(P("apps"), "is not used by a burst stack: apps run on the base cluster (set apps.tolerateBurst there)");
        s.pools.forEach((p, i) => {
            if (p.role !== "worker") add(P("pools", i, "role"), "must be worker in a burst stack: burst pools join a running cluster's control plane");
            if (p.provider !== "hetzner" && p.provider !== "aws")
                add(P("pools", i, "provider"), "must be hetzner or aws in a burst stack (cloud workers)");
        });
    }
    if (s.mode === "apps-only" && hasNodes) add(P("pools"), "must be empty when mode is apps-only (the cluster already exists)");
    if (s.mode !== "apps-only" && s.existingCluster) add(P("existingCluster"), "is only allowed when mode is apps-only");

    // etcd quorum.
    const cps = controlPlaneCount(s.pools);
    if (s.mode === "cluster" && cps > 1 && cps % 2 === 0) {
        const i = s.pools.findIndex((p) => p.role === "control-plane");
        add(
            P("pools", i, s.pools[i].provider === "vmware" || s.pools[i].provider === "static" ? "nodes" : "count"),
            `the cluster has ${cps} control-plane nodes: etcd needs an odd number (1, 3, 5, 7) to keep quorum`,
        );
    }

    // Control planes form one etcd cluster behind one endpoint: one provider (one site).
    const cpProviders = [...new Set(s.pools.filter((p) => p.role === "control-plane").map((p) => (p.provider === "static" ? "vmware" : p.provider)))];
    if (cpProviders.length > 1) {
        const i = s.pools.findIndex((p, j) => p.role === "control-plane" && j > s.pools.findIndex((q) => q.role === "control-plane") && (p.provider === "static" ? "vmware" : p.provider) !== cpProviders[0]);
        add(P("pools", i, "provider"), `control planes must all live at one site; they are spread over ${cpProviders.join(" and ")} (workers may be anywhere)`);
    }

    // Uniqueness across pools.
    const poolNames = new Map<string, number>();
    const names = new Map<string, string>();
    const addresses = new Map<string, string>();
    s.pools.forEach((p, i) => {
        const seen = poolNames.get(p.name);
        if (seen !== undefined) {
            add(P("pools", i, "name"), `duplicate pool name "${p.name}" (also infra:pools[${seen}].name)`);
            return;
        }
        poolNames.set(p.name, i);
        if (p.provider === "vmware" || p.provider === "static") {
            p.nodes.forEach((n, j) => {
                const here = P("pools", i, "nodes", j);
                const other = names.get(n.name);
                if (other) add(`${here}.name`, `duplicate node name "${n.name}" (also ${other})`);
                else names.set(n.name, `${here}.name`);
                for (const [field, value] of [["address", n.address], ["privateAddress", n.privateAddress]] as const) {
                    if (value === undefined || (field === "privateAddress" && value === n.address)) continue;
                    const prev = addresses.get(value);
                    if (prev) add(`${here}.${field}`, `duplicate address ${value} (also ${prev})`);
                    else addresses.set(value, `${here}.${field}`);
                }
                if (!n.user) add(`${here}.user`, "is required: the SSH user of this machine (e.g. ubuntu)");
            });
        } else {
            for (const n of nodeNames(clusterName, p)) {
                const other = names.get(n);
                if (other) add(P("pools", i, "name"), `node name "${n}" collides with ${other}`);
                else names.set(n, P("pools", i, "name"));
            }
        }
    });

    // Provider-specific rules.
    s.pools.forEach((p, i) => {
        if (p.provider === "hetzner") {
            const family = HETZNER_SERVER_TYPE.exec(p.serverType)?.[1] ?? "";
            const offered = HETZNER_LOCATIONS[p.location].families as readonly string[];
            if (!offered.includes(family))
                add(P("pools", i, "serverType"), `${p.serverType} is not offered in ${p.location}; there use one of the families ${offered.join(", ")}`);
        }
        if (p.provider === "aws") {
            if ((p.count === undefined) === (p.autoscaling === undefined))
                add(P("pools", i), "set exactly one of count (fixed instances) or autoscaling (auto scaling group)");
            if (p.autoscaling) {
                const { min, desired, max } = p.autoscaling;
                if (p.role !== "worker") add(P("pools", i, "autoscaling"), "is for worker pools only: control planes need fixed instances");
                if (min > max) add(P("pools", i, "autoscaling", "min"), `must not exceed max (min ${min} > max ${max})`);
                if (desired < min || desired > max) add(P("pools", i, "autoscaling", "desired"), `must be between min (${min}) and max (${max})`);
            }
        }
    });

    // One Hetzner private network per cluster: its subnet lives in one network zone.
    const hetznerPools = s.pools.map((p, i) => [p, i] as const).filter(([p]) => p.provider === "hetzner");
    if (hetznerPools.length > 1) {
        const [first, fi] = hetznerPools[0];
        const zone = first.provider === "hetzner" ? HETZNER_LOCATIONS[first.location].zone : "";
        for (const [p, i] of hetznerPools.slice(1)) {
            if (p.provider === "hetzner" && HETZNER_LOCATIONS[p.location].zone !== zone)
                add(P("pools", i, "location"), `${p.location} is in network zone ${HETZNER_LOCATIONS[p.location].zone}, but infra:pools[${fi}] is in ${zone}: the cluster's Hetzner pools share one private network, in one zone`);
        }
    }
    if (s.pools.some((p) => p.provider === "aws") && !s.aws.existingVpc && Number(s.aws.vpcCidr.split("/")[1]) > 24)
        add(P("aws", "vpcCidr"), `${s.aws.vpcCidr} is too small: use a /16 to /24 (each zone gets 1/16 of it)`);

    // Nodes at several sites talk over the mesh: their private networks do not reach each other.
    const sites = new Set(s.pools.map((p) => (p.provider === "static" ? "vmware" : p.provider)));
    if (s.mode === "cluster" && sites.size > 1 && !s.mesh.enabled)
        add(P("mesh", "enabled"), `must be true: the nodes sit at ${sites.size} sites (${[...sites].join(", ")}) whose private networks do not reach each other`);
    if (s.mesh.enabled) {
        if (Number(s.mesh.cidr.split("/")[1]) > 16) add(P("mesh", "cidr"), `${s.mesh.cidr} must be a /16 or larger (pool p, node n gets .p.(n+1))`);
        s.pools.forEach((p, i) => {
            if (nodeNames("", p).length > 250) add(P("pools", i), "has more than 250 nodes: a mesh pool holds at most 250 (split it)");
        });
        if (s.kubernetes && cidrsOverlap(s.mesh.cidr, s.kubernetes.podCidr)) add(P("mesh", "cidr"), `${s.mesh.cidr} overlaps podCidr ${s.kubernetes.podCidr}`);
        if (s.mode === "cluster" && controlPlaneCount(s.pools) > 1 && !s.kubernetes?.apiEndpoint)
            add(P("kubernetes", "apiEndpoint"), "is required with the mesh and several control planes: a name that resolves to the control planes' mesh addresses (a load balancer on one site's network is out of the other sites' reach)");
    }

    // Networks must not overlap.
    const k = s.kubernetes;
    if (k) {
        if (cidrsOverlap(k.podCidr, k.serviceCidr))
            add(P("kubernetes", "serviceCidr"), `${k.serviceCidr} overlaps podCidr ${k.podCidr}; pick disjoint ranges`);
        const nodeNets: [string, string][] = [];
        if (s.pools.some((p) => p.provider === "hetzner")) nodeNets.push([P("hetzner", "networkCidr"), s.hetzner.networkCidr]);
        if (s.pools.some((p) => p.provider === "aws")) nodeNets.push([P("aws", "vpcCidr"), s.aws.vpcCidr]);
        for (const [path, net] of nodeNets) {
            for (const [field, c] of [["podCidr", k.podCidr], ["serviceCidr", k.serviceCidr]] as const)
                if (cidrsOverlap(c, net)) add(P("kubernetes", field), `${c} overlaps the nodes' private network ${net} (${path})`);
        }
        s.pools.forEach((p, i) => {
            if (p.provider !== "vmware" && p.provider !== "static") return;
            p.nodes.forEach((n, j) => {
                const addr = n.privateAddress ?? n.address;
                for (const [field, c] of [["podCidr", k.podCidr], ["serviceCidr", k.serviceCidr]] as const)
                    if (cidrContainsAddress(c, addr))
                        add(P("kubernetes", field), `${c} contains node address ${addr} (infra:pools[${i}].nodes[${j}]); pick a range outside the nodes' network`);
            });
        });
        const onpremCps = s.pools.filter((p) => p.role === "control-plane" && (p.provider === "vmware" || p.provider === "static"));
        if (cps > 1 && onpremCps.length > 0 && !k.apiEndpoint)
            add(P("kubernetes", "apiEndpoint"), "is required for on-prem HA control planes: a DNS name or virtual IP in front of every control plane's port 6443");
    }
    if (s.pools.some((p) => p.provider === "hetzner") && !cidrContains(s.hetzner.networkCidr, s.hetzner.subnetCidr))
        add(P("hetzner", "subnetCidr"), `${s.hetzner.subnetCidr} must lie inside networkCidr ${s.hetzner.networkCidr}`);

    // Cloud access.
    if (s.environment === "prod" && !s.ssh.allowWorldAdmin && s.ssh.adminCidrs.some((c) => c.endsWith("/0")))
        add(P("ssh", "adminCidrs"), "opens SSH and the API to the world in prod: list your networks, or set ssh.allowWorldAdmin to true to accept it");
    if (cloudPools.length > 0) {
        if (!s.ssh.publicKey) add(P("ssh", "publicKey"), "is required with a cloud pool (it is installed on the servers)");
        if (s.ssh.adminCidrs.length === 0)
            add(P("ssh", "adminCidrs"), "is required with a cloud pool: the sources allowed to reach SSH and the API (e.g. your office's 203.0.113.0/24)");
    }
    if (s.pools.some((p) => p.provider === "hetzner")) {
        if (ctx.hcloudToken === "missing") add("hcloud:token", "is required with a Hetzner pool: pulumi config set --secret hcloud:token <token>");
        if (ctx.hcloudToken === "plain") add("hcloud:token", "must be stored encrypted: pulumi config set --secret hcloud:token <token>");
    }
    if (s.pools.some((p) => p.provider === "aws") && !ctx.awsRegion)
        add("aws:region", "is required with an AWS pool: pulumi config set aws:region eu-central-1");

    // Required secrets.
    const needSecret = (key: SecretKey, why: string) => {
        if (!ctx.secretsSet.has(key)) add(`infra:${key}`, `is required ${why}: pulumi config set --secret infra:${key} ...`);
    };
    if (hasNodes) needSecret("sshPrivateKey", "when the stack has nodes");
    if (s.apps?.registry) needSecret("registryPassword", "with apps.registry");
    if (s.apps?.backups || s.etcdBackups) {
        const why = s.apps?.backups ? "with apps.backups" : "with etcdBackups";
        needSecret("backupAccessKeyId", why);
        needSecret("backupSecretAccessKey", why);
    }
    if (s.etcdBackups && s.mode !== "cluster") add(P("etcdBackups"), "is only for a cluster stack (it snapshots the cluster's own control planes)");

    // Add-ons.
    if (s.mode !== "burst") platformProblems(s, add);
    const cm = s.platform.certManager;
    if (s.mode !== "burst" && cm.enabled && cm.issuer.startsWith("letsencrypt") && !cm.email)
        add(P("platform", "certManager", "email"), `is required for the ${cm.issuer} issuer (Let's Encrypt account e-mail)`);
    if (s.apps) appsProblems(s, add);

    return out;
}

function platformProblems(s: Settings, add: (path: string, message: string) => void): void {
    const choice = platformChoices(s);
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
    const defaults = st.classes.filter((c) => c.default);
    if (defaults.length !== 1)
        add(P("platform", "storage", "classes"), `exactly one class must be the default, found ${defaults.length}${defaults.length ? ` (${defaults.map((c) => c.name).join(", ")})` : ""}`);
    const names = new Set<string>();
    st.classes.forEach((c, i) => {
        if (names.has(c.name)) add(P("platform", "storage", "classes", i, "name"), `duplicate class name "${c.name}"`);
        names.add(c.name);
    });
    if (s.apps?.database && !names.has(choice.databaseClass))
        add(
            P("platform", "storage", "databaseClass"),
            choice.databaseClass
                ? `names no class of platform.storage.classes (${[...names].join(", ")})`
                : "is required in prod when no class has reclaimPolicy Retain: database volumes must survive their claim",
        );
}

/** The tag of an image reference (`registry:5000/team/app:1.2` -> `1.2`), if it has one. */
export function imageTag(ref: string): string | undefined {
    const name = ref.split("@")[0];
    const last = name.slice(name.lastIndexOf("/") + 1);
    return last.includes(":") ? last.slice(last.indexOf(":") + 1) : undefined;
}

const CRON_RANGES: [string, number, number][] = [
    ["minute", 0, 59],
    ["hour", 0, 23],
    ["day of month", 1, 31],
    ["month", 1, 12],
    ["day of week", 0, 7],
];

/** The numbers of a (syntactically valid) cron schedule outside their field's range. */
export function cronRangeProblem(schedule: string): string | undefined {
    const fields = schedule.split(" ");
    for (let i = 0; i < 5; i++) {
        const [name, lo, hi] = CRON_RANGES[i];
        for (const n of fields[i].split(/[,\-/]/).filter((x) => /^\d+$/.test(x)).map(Number)) {
            if (fields[i].includes(`/${n}`) && !fields[i].startsWith(`${n}`)) continue;
            if (n < lo || n > hi) return `${name} ${n} is out of range ${lo}-${hi}`;
        }
    }
    return undefined;
}

function appsProblems(s: Settings, add: (path: string, message: string) => void): void {
    const apps = s.apps!;
    const workloads: [string[], { image: string; replicas: number; minAvailable?: number; autoscaling?: { minReplicas: number; maxReplicas: number }; resources: { cpuRequest?: string } }][] = [
        ...(apps.backend ? [[["apps", "backend"], apps.backend] as [string[], typeof apps.backend]] : []),
        ...(apps.frontend ? [[["apps", "frontend"], apps.frontend] as [string[], typeof apps.frontend]] : []),
        ...apps.workloads.map((w, i) => [["apps", "workloads", String(i)], w] as [string[], typeof w]),
    ];
    for (const [at, w] of workloads) {
        const path = (...more: PropertyKey[]) => P(...at.map((x) => (/^\d+$/.test(x) ? Number(x) : x)), ...more);
        const tag = imageTag(w.image);
        const pinned = w.image.includes("@sha256:") || (tag !== undefined && tag !== "latest");
        if (s.environment === "prod" && !pinned) add(path("image"), `${w.image} has no version: in prod an image needs a tag other than latest, or a digest`);
        const floor = w.autoscaling?.minReplicas ?? w.replicas;
        if (w.minAvailable !== undefined && w.minAvailable >= floor)
            add(path("minAvailable"), `${w.minAvailable} leaves no pod to evict with ${floor} replica(s): drains could never finish; use at most ${Math.max(0, floor - 1)}`);
        if (w.autoscaling) {
            if (!w.resources.cpuRequest) add(path("resources", "cpuRequest"), "is required with autoscaling: the autoscaler scales on CPU use relative to the request");
            if (w.autoscaling.minReplicas > w.autoscaling.maxReplicas)
                add(path("autoscaling", "minReplicas"), `must not exceed maxReplicas (${w.autoscaling.minReplicas} > ${w.autoscaling.maxReplicas})`);
        }
    }
    const names = new Set(["backend", "frontend", "database"]);
    apps.workloads.forEach((w, i) => {
        if (names.has(w.name)) add(P("apps", "workloads", i, "name"), `"${w.name}" is taken (backend, frontend, database and each workload need distinct names)`);
        names.add(w.name);
        if (w.nodePort !== undefined && w.service !== "NodePort") add(P("apps", "workloads", i, "nodePort"), "is only allowed with service NodePort");
        if (w.useDatabase && !apps.database) add(P("apps", "workloads", i, "useDatabase"), "needs apps.database");
    });
    const db = apps.database;
    if (db?.engine === "percona" && db.members % 2 === 0)
        add(P("apps", "database", "members"), `must be odd (1, 3, 5...) for Galera quorum, got ${db.members}`);
    if (db?.engine === "percona" && db.initSql) add(P("apps", "database", "initSql"), "is only supported with engine mariadb");
    if (apps.backups) {
        const problem = cronRangeProblem(apps.backups.schedule);
        if (problem) add(P("apps", "backups", "schedule"), `${problem} (cron: minute hour day-of-month month day-of-week)`);
        if (!db) add(P("apps", "backups"), "needs apps.database: there is nothing to back up");
        if (apps.backups.createBucket && apps.backups.endpoint)
            add(P("apps", "backups", "createBucket"), "creates an AWS S3 bucket: it cannot be combined with an endpoint (create buckets on other storage yourself)");
    }
}

export const SECRET_KEY_NAMES = Object.keys(SECRET_KEYS) as SecretKey[];
