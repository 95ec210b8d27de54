/**
 * The stack configuration schema: every key a `Pulumi.<stack>.yaml` may set under the `infra:`
 * namespace, its type, its default and what it means. It is the single source of truth: the
 * loader validates against it, defaults are applied by it, and the README's config reference is
 * generated from it (`npm run docs`), with a test that the two agree.
 *
 * Secret settings are separate top-level keys (see `SECRET_KEYS`) so that Pulumi can encrypt
 * exactly them; a structured key that holds a `secure:` value anywhere would turn the whole
 * object into a secret.
 */
import { z } from "zod";
import { addressRange } from "./cidr";
import { DISTRIBUTION_NAMES, INGRESS_NODE_PORTS } from "./platform";

/** Rendered as "allowed keys: a, b" by `errors.ts`, which splits one issue into one line per unknown key. */
function strict<T extends z.ZodRawShape>(shape: T) {
    const allowed = Object.keys(shape).join(", ");
    return z.strictObject(shape, {
        error: (iss) => (iss.code === "unrecognized_keys" ? `allowed keys: ${allowed}` : undefined),
    });
}

const DNS_LABEL = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_NAME = /^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/;

const dnsLabel = (what: string, max = 63) =>
    z
        .string()
        .max(max, { error: `must be at most ${max} characters` })
        .regex(DNS_LABEL, {
            error: `must be a lowercase DNS label (a-z, 0-9 and '-', starting with a letter): ${what}`,
        });

const cidr = () => z.cidrv4({ error: "must be an IPv4 CIDR such as 10.0.0.0/16" });
const ipv4 = () => z.ipv4({ error: "must be an IPv4 address such as 192.168.18.201" });
const hostOrIp = () =>
    z.string().regex(DNS_NAME, { error: "must be an IPv4 address or a DNS name" });

/**
 * An S3-compatible endpoint the storage keys are sent to: `https://<host>[:<port>][/<path>]` and
 * nothing else. The value reaches curl and the AWS CLI as one argument and a systemd environment
 * file as one line, so no character beyond a host name's, a port's and plain path segments' is
 * allowed (no spaces, quotes, `$`, backquotes, user info, query or fragment).
 */
export const HTTPS_ENDPOINT = /^https:\/\/[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*(:[0-9]{1,5})?(\/[A-Za-z0-9._~-]+)*$/;
const httpsEndpoint = () =>
    z
        .string()
        .refine((v) => !/^http:\/\//i.test(v), { error: "must be an https URL: plain http would send the storage keys in clear" })
        .refine((v) => /^http:\/\//i.test(v) || (HTTPS_ENDPOINT.test(v) && Number(/:(\d+)/.exec(v.slice(8))?.[1] ?? 443) <= 65535), {
            error: "must be an https URL of the form https://<host>[:<port>][/<path>] (lowercase host; letters, digits, '.', '_', '~' and '-' in the path), such as https://fsn1.your-objectstorage.com (no trailing slash)",
        });

/**
 * An SSH host public key the program pins: `ssh-ed25519 AAAA...` or `ecdsa-sha2-nistp256 AAAA...`
 * (the line of /etc/ssh/ssh_host_ed25519_key.pub; a trailing comment is dropped). RSA keys cannot
 * be pinned: @pulumi/command offers only the pinned key's own algorithm, which for RSA is SHA-1
 * `ssh-rsa`, refused by OpenSSH 8.8 and later.
 */
const HOST_KEY = /^(ssh-ed25519|ecdsa-sha2-nistp(256|384|521)) AAAA[A-Za-z0-9+/]+={0,3}$/;
export const sshHostKey = () =>
    z
        .string()
        .transform((v) => v.trim().split(/\s+/).slice(0, 2).join(" "))
        .refine((v) => !/^(ssh-rsa|ssh-dss|rsa-sha2-)/.test(v), {
            error: "is an RSA or DSA key, which cannot be pinned (the SSH client would have to offer SHA-1 ssh-rsa, which OpenSSH 8.8+ refuses): give the host's ed25519 key (/etc/ssh/ssh_host_ed25519_key.pub; `ssh-keygen -A` creates it)",
        })
        .refine((v) => /^(ssh-rsa|ssh-dss|rsa-sha2-)/.test(v) || HOST_KEY.test(v), {
            error: "must be an SSH host public key line such as `ssh-ed25519 AAAAC3Nza...` (the content of /etc/ssh/ssh_host_ed25519_key.pub, or one key of `ssh-keyscan -t ed25519 <host>` checked against it)",
        });

/** Pinned component versions; each can be changed per stack in `infra:kubernetes`. */
// 3.32.1: the newest 3.32 release whose source was read (3.32.3, pinned before, was never published).
export const CALICO_VERSION = "3.32.1";
export const CONTAINERD_VERSION = "2.1.5";
/**
 * The newest Kubernetes minor release that exists (1.37 went GA in August 2026; 1.38 is planned
 * for December 2026). A version past it has no packages: raise this when the next minor ships.
 */
export const KUBERNETES_NEWEST_MINOR = 37;

/** The node operating systems the bootstrap scripts support, by image name. */
export const SUPPORTED_IMAGES = ["ubuntu-22.04", "ubuntu-24.04", "debian-12", "rocky-9", "alma-9"] as const;

/** Hetzner Cloud locations, and the server families each one offers (ARM and cost-optimised x86 are EU only). */
export const HETZNER_LOCATIONS = {
    fsn1: { zone: "eu-central", families: ["cx", "cpx", "cax", "ccx"] },
    nbg1: { zone: "eu-central", families: ["cx", "cpx", "cax", "ccx"] },
    hel1: { zone: "eu-central", families: ["cx", "cpx", "cax", "ccx"] },
    ash: { zone: "us-east", families: ["cpx", "ccx"] },
    hil: { zone: "us-west", families: ["cpx", "ccx"] },
    sin: { zone: "ap-southeast", families: ["cpx", "ccx"] },
} as const;
export type HetznerLocation = keyof typeof HETZNER_LOCATIONS;
export const HETZNER_SERVER_TYPE = /^(cx|cpx|cax|ccx)(\d{2})$/;

/** A Kubernetes label value (also a taint's value): at most 63 characters, alphanumeric at both ends. */
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

const taint = strict({
    key: z.string().regex(/^([a-z0-9.-]+\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/, {
        error: "must be a Kubernetes label key such as burst.example.com/spot",
    }).describe("Taint key."),
    value: z
        .string()
        .regex(LABEL_VALUE, { error: "must be at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit (a Kubernetes label value)" })
        .optional()
        .describe("Taint value."),
    effect: z.enum(["NoSchedule", "PreferNoSchedule", "NoExecute"]).describe("Taint effect."),
});

const labels = z
    .record(
        z.string().regex(/^([a-z0-9.-]+\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/, {
            error: "label keys must be Kubernetes label keys",
        }),
        z.string().regex(LABEL_VALUE, {
            error: "label values must be at most 63 alphanumeric, '-', '_' or '.' characters",
        }),
    )
    .default({})
    .describe("Kubernetes labels put on every node of the pool.");

const poolCommon = {
    name: dnsLabel("the pool name", 20).describe("Pool name, unique in the stack; node names are `<clusterName>-<pool>-<n>`."),
    role: z.enum(["control-plane", "worker"]).describe("`control-plane` or `worker`."),
    labels,
    taints: z.array(taint).default([]).describe("Taints put on every node of the pool (`key`, `value`, `effect`)."),
    meshBlock: z
        .number()
        .int()
        .min(0)
        .max(127)
        .optional()
        .describe("With the mesh: the block of the pool's mesh addresses (`<mesh>.<block>.<n>`). Defaults to the pool's place in `infra:pools`; set it to keep running nodes' addresses when a pool is inserted or removed before this one."),
};

const count = z
    .number({ error: "must be a whole number" })
    .int({ error: "must be a whole number" })
    .min(1, { error: "must be at least 1" })
    .max(1000, { error: "must be at most 1000" });

const hetznerPool = strict({
    provider: z.literal("hetzner"),
    ...poolCommon,
    count: count.describe("Number of servers."),
    serverType: z
        .string()
        .regex(HETZNER_SERVER_TYPE, { error: "must be a Hetzner server type such as cx23, cpx32, cax21 or ccx13" })
        .describe("Hetzner server type, e.g. `cx23` (2 vCPU, 4 GB)."),
    image: z.enum(SUPPORTED_IMAGES).default("ubuntu-24.04").describe("Operating system image. Defaults to `ubuntu-24.04`."),
    location: z
        .enum(Object.keys(HETZNER_LOCATIONS) as [HetznerLocation, ...HetznerLocation[]])
        .describe("Hetzner location: fsn1, nbg1, hel1 (EU), ash, hil (US), sin."),
});

const autoscaling = strict({
    min: z.number().int().min(0).describe("Minimum size of the auto scaling group."),
    desired: z.number().int().min(0).describe("Desired size."),
    max: z.number().int().min(1).max(1000).describe("Maximum size."),
});

const awsPool = strict({
    provider: z.literal("aws"),
    ...poolCommon,
    count: count.optional().describe("Number of instances (fixed size). Use either `count` or `autoscaling`."),
    autoscaling: autoscaling
        .optional()
        .describe("A launch template + auto scaling group whose instances join by themselves (workers only)."),
    instanceType: z
        .string()
        .regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, { error: "must be an EC2 instance type such as t3.medium" })
        .describe("EC2 instance type, e.g. `t3.medium`."),
    image: z.enum(["ubuntu-22.04", "ubuntu-24.04"]).default("ubuntu-24.04").describe("Ubuntu release of the AMI (looked up from Canonical's owner id). Defaults to `ubuntu-24.04`."),
    rootVolumeGb: z.number().int().min(20).max(16384).default(50).describe("gp3 root volume size in GiB, encrypted. Defaults to 50."),
});

const staticNode = strict({
    name: dnsLabel("the node name").describe("Node name (becomes the Kubernetes node name)."),
    address: hostOrIp().describe("Address the program reaches the machine at over SSH."),
    privateAddress: ipv4().optional().describe("Address on the cluster's private network (kubelet node IP). Defaults to `address`."),
    user: z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, { error: "must be a Unix user name" }).optional().describe("SSH user for this machine (e.g. ubuntu). Required."),
    port: z.number().int().min(1).max(65535).default(22).describe("SSH port. Defaults to 22."),
    hostKey: sshHostKey()
        .optional()
        .describe("The machine's SSH host public key (`ssh-ed25519 AAAA...`, from /etc/ssh/ssh_host_ed25519_key.pub), pinned on every connection. Required in prod; elsewhere a missing one is a warning and the connection accepts any host key."),
    meshAddress: ipv4()
        .optional()
        .describe("With the mesh: this machine's mesh address. Defaults to `<mesh>.<block>.<place in the list>`; set it to keep a running machine's address when a machine before it is removed."),
});

const onpremPool = <P extends "vmware" | "static">(provider: P) =>
    strict({
        provider: z.literal(provider),
        ...poolCommon,
        nodes: z.array(staticNode).min(1, { error: "must list at least one machine" }).describe("The existing machines of the pool."),
    });

export const poolSchema = z.discriminatedUnion(
    "provider",
    [hetznerPool, awsPool, onpremPool("vmware"), onpremPool("static")],
    { error: "must be one of: hetzner, aws, vmware, static" },
);

const kubernetes = strict({
    version: z
        .string()
        .regex(/^1\.(3[0-9]|[4-9][0-9])\.\d{1,3}$/, {
            error: "must be a full Kubernetes release `1.<minor>.<patch>` with minor 30 or newer, without a leading v (e.g. 1.34.2)",
        })
        .refine((v) => !/^1\.\d+\./.test(v) || Number(v.split(".")[1]) <= KUBERNETES_NEWEST_MINOR, {
            error: `is not released yet: the newest Kubernetes minor is 1.${KUBERNETES_NEWEST_MINOR} (if a newer one has shipped, raise KUBERNETES_NEWEST_MINOR in infra/config/schema.ts)`,
        })
        .describe("Kubernetes release `1.<minor>.<patch>`; kubeadm, kubelet and kubectl are pinned to it."),
    podCidr: cidr().default("10.244.0.0/16").describe("Pod network. Defaults to 10.244.0.0/16."),
    serviceCidr: cidr().default("10.96.0.0/12").describe("Service network. Defaults to 10.96.0.0/12."),
    cni: z.enum(["calico"]).default("calico").describe("Pod network add-on. Defaults to `calico`."),
    calicoVersion: z
        .string()
        .regex(/^3\.\d{2}\.\d{1,2}$/, { error: "must be a Calico release such as 3.32.1" })
        .default(CALICO_VERSION)
        .describe(`Calico release (the tigera-operator chart). Defaults to ${CALICO_VERSION}.`),
    containerdVersion: z
        .string()
        .regex(/^[12]\.\d{1,2}\.\d{1,2}$/, { error: "must be a containerd release such as 2.1.5" })
        .default(CONTAINERD_VERSION)
        .describe(`containerd release, installed from Docker's package repository and held. Defaults to ${CONTAINERD_VERSION}.`),
    joinTokenTtlHours: z
        .number()
        .int({ error: "must be a whole number of hours" })
        .min(0)
        .max(8760)
        .default(24)
        .describe("Lifetime of the bootstrap token nodes join with, in hours; 0 never expires. Defaults to 24."),
    joinTokenRotation: z
        .number()
        .int()
        .min(1)
        .default(1)
        .describe("Bump to issue a new bootstrap token (the old one stays valid until it expires). Defaults to 1."),
    apiEndpoint: hostOrIp()
        .optional()
        .describe("DNS name or virtual IP of the API server for on-prem HA control planes. Cloud control planes get a load balancer instead."),
    upgrade: strict({
        workerBatch: z
            .number()
            .int({ error: "must be a whole number of workers" })
            .min(1)
            .max(50)
            .default(1)
            .describe("Workers drained and upgraded at a time during a rolling upgrade (after every control plane). Defaults to 1."),
        drainTimeoutSeconds: z
            .number()
            .int({ error: "must be a whole number of seconds" })
            .min(30)
            .max(3600)
            .default(300)
            .describe("How long a drain may take (PodDisruptionBudgets are respected) before the rollout stops there, naming the pods left. Defaults to 300."),
        certificateRenewalDays: z
            .number()
            .int({ error: "must be a whole number of days" })
            .min(7)
            .max(180)
            .default(30)
            .describe("kubeadm's certificates (valid one year) are renewed by the first `pulumi up` within this many days of their expiry, one control plane at a time. Defaults to 30."),
    })
        .default({ workerBatch: 1, drainTimeoutSeconds: 300, certificateRenewalDays: 30 })
        .describe("How a change of `version` or `containerdVersion` rolls out, and when certificates are renewed."),
    virtualIp: strict({
        address: ipv4().describe("The address: free on the control planes' LAN, becomes the API endpoint."),
        network: cidr().describe("The control planes' LAN (a CIDR): every control plane's address is in it."),
        interface: z
            .string()
            .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/, { error: "must be a network interface name such as eth0 or ens192" })
            .describe("The control planes' interface on that LAN, e.g. ens192."),
    })
        .optional()
        .describe("On-prem HA without a load balancer of your own: kube-vip (a static pod on each control plane, ARP) keeps this address on one live control plane; it is the API endpoint (set apiEndpoint to it or leave that out)."),
});

const bastion = strict({
    host: hostOrIp().describe("Jump host address."),
    user: z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, { error: "must be a Unix user name" }).default("root").describe("Jump host user. Defaults to root."),
    port: z.number().int().min(1).max(65535).default(22).describe("Jump host SSH port. Defaults to 22."),
    hostKey: sshHostKey()
        .optional()
        .describe("The jump host's SSH host public key (`ssh-ed25519 AAAA...`), pinned. Required in prod; elsewhere a missing one is a warning."),
});

const ssh = strict({
    user: z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, { error: "must be a Unix user name" }).default("root").describe("SSH user for Hetzner nodes. Defaults to root. AWS nodes use the Ubuntu AMI's `ubuntu` user; on-prem nodes their own `user`."),
    publicKey: z
        .string()
        .regex(/^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/=]+( \S.*)?$/, {
            error: "must be an OpenSSH public key line (ssh-ed25519, ssh-rsa or ecdsa-sha2-*)",
        })
        .optional()
        .describe("Public half of `infra:sshPrivateKey`; installed on cloud nodes. Required with a cloud pool."),
    adminCidrs: z
        .array(cidr())
        .default([])
        .describe("Sources allowed to reach SSH (22) and the API (6443) of cloud nodes. Required with a cloud pool."),
    allowWorldAdmin: z.boolean().default(false).describe("Allow 0.0.0.0/0 in adminCidrs in prod (the policy forbids it otherwise). Defaults to false."),
    bastion: bastion.optional().describe("Jump host through which the program reaches on-prem (vmware/static) nodes, e.g. VMs in a DMZ."),
    installHostKeys: z
        .boolean()
        .default(false)
        .describe(
            "Send each cloud node the host key the program pins for it, over a connection that accepts whatever host key answers (trust on first use): for servers created before host keys were pinned, and to rotate a node's key. Turn it on for one `pulumi up`, then off. Defaults to false.",
        ),
    dialErrorLimit: z.number().int().min(1).max(100).default(20).describe("Connection attempts before a remote command fails. Defaults to 20."),
    perDialTimeoutSeconds: z.number().int().min(1).max(120).default(10).describe("Seconds each connection attempt may take. Defaults to 10."),
});

const hetzner = strict({
    networkCidr: cidr().default("10.0.0.0/16").describe("Private network shared by the cluster's Hetzner pools. Defaults to 10.0.0.0/16."),
    subnetCidr: cidr().default("10.0.1.0/24").describe("Subnet of `networkCidr` the servers are attached to. Defaults to 10.0.1.0/24."),
});

const aws = strict({
    vpcCidr: cidr().default("10.1.0.0/16").describe("CIDR of the VPC the program creates. Defaults to 10.1.0.0/16."),
    availabilityZones: z.number().int().min(1, { error: "must be at least 1" }).max(6).default(2).describe("How many of the region's availability zones get a public subnet. Defaults to 2."),
    existingVpc: strict({
        vpcId: z.string().regex(/^vpc-[0-9a-f]{8,17}$/, { error: "must be a VPC id such as vpc-0abc12345def67890" }),
        subnetIds: z
            .array(z.string().regex(/^subnet-[0-9a-f]{8,17}$/, { error: "must be a subnet id such as subnet-0abc1234" }))
            .min(1, { error: "must list at least one subnet" }),
    })
        .optional()
        .describe("Use this VPC and these subnets instead of creating them."),
});

const ingress = strict({
    enabled: z.boolean().default(true).describe("Install an ingress controller. Defaults to true."),
    controller: z
        .enum(["ingress-nginx", "traefik"])
        .default("traefik")
        .describe("`traefik` (maintained, serves the `nginx` class) or `ingress-nginx` (end of maintenance 2026-03-24). Defaults to traefik."),
    exposure: z
        .enum(["loadBalancer", "nodePort", "hostNetwork"])
        .optional()
        .describe(
            `How traffic reaches the controller: a cloud \`loadBalancer\` (Hetzner; on AWS a network load balancer onto the node ports), fixed \`nodePort\`s ${INGRESS_NODE_PORTS.http}/${INGRESS_NODE_PORTS.https}, or \`hostNetwork\` on 80/443. Defaults to loadBalancer with a cloud integration, nodePort otherwise.`,
        ),
});

const certManager = strict({
    enabled: z.boolean().default(true).describe("Install cert-manager and the cluster issuers. Defaults to true."),
    email: z.email({ error: "must be an e-mail address" }).optional().describe("Let's Encrypt account e-mail. Required for the Let's Encrypt issuers."),
    issuer: z
        .enum(["letsencrypt-staging", "letsencrypt-prod", "selfsigned"])
        .default("letsencrypt-staging")
        .describe("Issuer the apps' certificates come from. Defaults to letsencrypt-staging."),
});

const storageClass = strict({
    name: dnsLabel("the storage class name").describe("StorageClass name."),
    reclaimPolicy: z.enum(["Delete", "Retain"]).default("Delete").describe("What happens to a volume when its claim goes. Defaults to Delete."),
    default: z.boolean().default(false).describe("The cluster's default class; exactly one class is."),
});

const DEFAULT_STORAGE_CLASSES = [
    { name: "standard", reclaimPolicy: "Delete" as const, default: true },
    { name: "retain", reclaimPolicy: "Retain" as const, default: false },
];

const storage = strict({
    provisioner: z
        .enum(["hcloud-csi", "ebs-csi", "nfs", "local-path", "none"])
        .optional()
        .describe("Volume provisioner: `hcloud-csi`, `ebs-csi` (with their cloud integration), `nfs` (an existing NFS export), `local-path` (single node, local stacks) or `none` (bring your own). Defaults to the cloud integration's, else local-path."),
    nfs: strict({
        server: hostOrIp().describe("NFS server."),
        path: z.string().regex(/^\/[^\s]*$/, { error: "must be an absolute export path such as /srv/k8s" }).describe("Exported path."),
    })
        .optional()
        .describe("The NFS export, for the nfs provisioner (the seed's nfs-client-provisioner)."),
    classes: z
        .array(storageClass)
        .min(1, { error: "must have at least one class" })
        .default(DEFAULT_STORAGE_CLASSES)
        .describe("StorageClasses of the provisioner. Defaults to `standard` (default, Delete) and `retain` (Retain, for databases)."),
    databaseClass: dnsLabel("a storage class name")
        .optional()
        .describe("Class the database's volumes use. Defaults to `retain` in prod, the default class elsewhere."),
});

const platform = strict({
    cloudIntegration: z
        .enum(["hetzner", "aws", "none"])
        .optional()
        .describe("Cloud controller and CSI driver: `hetzner` (hcloud CCM + CSI) or `aws` (EBS CSI) when every node is on that cloud; `none` otherwise. Defaults to the nodes' cloud when they all share one."),
    ingress: ingress.default(ingress.parse({})),
    certManager: certManager.default(certManager.parse({})),
    metricsServer: strict({ enabled: z.boolean().default(true).describe("Install metrics-server (kubelet certificates verified; serving certificates approved by kubelet-csr-approver). Defaults to true.") })
        .default({ enabled: true }),
    storage: storage.default(storage.parse({})),
    kured: strict({
        enabled: z.boolean().default(false).describe("Install kured (chart pinned): it reboots nodes whose unattended upgrades ask for it (/var/run/reboot-required), one at a time, drained (PodDisruptionBudgets respected), inside the window. Defaults to false."),
        days: z
            .array(z.enum(["mo", "tu", "we", "th", "fr", "sa", "su"], { error: "must be a day: mo, tu, we, th, fr, sa or su" }))
            .min(1)
            .default(["mo", "tu", "we", "th", "fr", "sa", "su"])
            .describe("Days reboots may happen. Defaults to every day."),
        start: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, { error: "must be a time HH:MM (24 hours)" }).default("02:00").describe("Start of the reboot window, HH:MM. Defaults to 02:00."),
        end: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, { error: "must be a time HH:MM (24 hours)" }).default("05:00").describe("End of the reboot window, HH:MM (before start: the window crosses midnight). Defaults to 05:00."),
        timeZone: z
            .string()
            .regex(/^(UTC|[A-Z][A-Za-z_]+(\/[A-Z][A-Za-z_+-]+){1,2})$/, { error: "must be an IANA time zone such as UTC or Europe/Madrid" })
            .default("UTC")
            .describe("Time zone of the window (IANA). Defaults to UTC."),
    })
        .default({ enabled: false, days: ["mo", "tu", "we", "th", "fr", "sa", "su"], start: "02:00", end: "05:00", timeZone: "UTC" })
        .describe("OS patches: an opt-in reboot coordinator for nodes that need a reboot after unattended upgrades."),
    loadBalancer: strict({
        network: cidr().describe("The on-prem nodes' LAN (a CIDR) the addresses are announced on: ARP reaches only that segment."),
        addresses: z
            .array(
                z.string().refine((v) => addressRange(v) !== undefined, {
                    error: "must be an IPv4 CIDR (192.168.18.224/28) or a range of two addresses (192.168.18.240-192.168.18.250, first not after last)",
                }),
            )
            .min(1, { error: "must list at least one range or CIDR" })
            .describe("Addresses LoadBalancer Services get: CIDRs or `first-last` ranges inside `network`, taken by no machine."),
    })
        .optional()
        .describe(
            "On-prem LoadBalancer Services: MetalLB in L2 mode answers ARP for these addresses from an on-prem node (the ingress then gets 80/443 on a real address). Only without a cloud integration, which brings its own load balancers.",
        ),
});

/** Five cron fields: numbers, ranges, lists, steps, `*` (and month/day names). */
const CRON_FIELD = "(\\*|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(\\/[0-9]+)?(,(\\*|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(\\/[0-9]+)?)*";
const CRON = new RegExp(`^${CRON_FIELD}( ${CRON_FIELD}){4}$`);

const IMAGE_REF = /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[\w][\w.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;
const image = () => z.string().regex(IMAGE_REF, { error: "must be a container image reference such as registry.example.com/team/app:1.2.3" });

const QUANTITY_CPU = /^([0-9]+m|[0-9]+(\.[0-9]+)?)$/;
const QUANTITY_MEM = /^[0-9]+(Ki|Mi|Gi|Ti)$/;

const resources = strict({
    cpuRequest: z.string().regex(QUANTITY_CPU, { error: "must be a CPU quantity such as 250m or 1" }).optional().describe("CPU request, e.g. `250m`. Required for autoscaling."),
    memoryRequest: z.string().regex(QUANTITY_MEM, { error: "must be a memory quantity such as 256Mi" }).default("256Mi").describe("Memory request. Defaults to 256Mi."),
    memoryLimit: z.string().regex(QUANTITY_MEM, { error: "must be a memory quantity such as 512Mi" }).default("512Mi").describe("Memory limit. Defaults to 512Mi."),
    cpuLimit: z.string().regex(QUANTITY_CPU, { error: "must be a CPU quantity such as 1" }).default("1").describe("CPU limit. Defaults to 1."),
});

const hpa = strict({
    minReplicas: z.number().int().min(1).describe("Fewest replicas."),
    maxReplicas: z.number().int().min(1).max(100).describe("Most replicas."),
    cpuPercent: z.number().int().min(10).max(100).default(70).describe("Target CPU use, percent of the request. Defaults to 70."),
});

/** An environment variable name (env keys, secrets, infra:appSecrets entries). */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const workloadFields = (port: number, replicas: number) => ({
    image: image().describe("Container image, with a tag or digest (`latest` and untagged images are rejected in prod)."),
    replicas: z.number().int().min(0).max(100).default(replicas).describe(`Replicas (the minimum when autoscaling). Defaults to ${replicas}.`),
    port: z.number().int().min(1).max(65535).default(port).describe(`Container port. Defaults to ${port}.`),
    healthPath: z.string().regex(/^\/[^\s]*$/, { error: "must be an absolute URL path such as /healthz" }).default("/").describe("Path of the readiness and liveness probes. Defaults to `/`."),
    resources: resources.default(resources.parse({})).describe("Requests and limits."),
    autoscaling: hpa.optional().describe("A HorizontalPodAutoscaler on CPU (needs `resources.cpuRequest`)."),
    minAvailable: z.number().int().min(0).optional().describe("PodDisruptionBudget: pods kept during voluntary disruptions (drains). Defaults to replicas - 1, none with one replica."),
    env: z
        .record(z.string().regex(ENV_NAME, { error: "environment variable names are letters, digits and _" }), z.string())
        .default({})
        .describe("Plain environment variables, visible in the Deployment: never secrets (a name that looks like one is refused), nor a name the program sets."),
    writablePaths: z
        .array(z.string().regex(/^\/[A-Za-z0-9._/-]+$/, { error: "must be an absolute path such as /app/media" }))
        .default([])
        .describe("Directories the container writes besides /tmp (each an emptyDir): the root filesystem is read-only. Defaults to none."),
    secrets: z
        .array(z.string().regex(ENV_NAME, { error: "environment variable names are letters, digits and _" }))
        .default([])
        .describe("Names of `infra:appSecrets` entries this workload gets as environment variables (from the Kubernetes Secret app-secrets)."),
});

const webWorkload = strict({
    name: dnsLabel("the workload name", 40).describe("Workload name."),
    ...workloadFields(8080, 1),
    service: z.enum(["ClusterIP", "NodePort", "LoadBalancer"]).default("ClusterIP").describe("Service type. Defaults to ClusterIP."),
    nodePort: z.number().int().min(30000).max(32767).optional().describe("Fixed node port with service NodePort."),
    ingressPath: z.string().regex(/^\/[^\s]*$/, { error: "must be an absolute URL path such as /shop" }).optional().describe("Route this path of the app's host to the workload."),
    useDatabase: z.boolean().default(false).describe("Give the workload the database's connection (DB_HOST, DB_PORT, DB_NAME, DB_USER, DB_PASSWORD from its Secret). Defaults to false."),
});

const backend = strict({
    ...workloadFields(8000, 2),
    healthPath: z.string().regex(/^\/[^\s]*$/, { error: "must be an absolute URL path such as /healthz" }).default("/healthz").describe("Probe path. Defaults to `/healthz`."),
    command: z.array(z.string()).min(1).default(["gunicorn", "--bind", "0.0.0.0:8000", "--workers", "3", "config.wsgi"]).describe("Container command. Defaults to gunicorn on 8000 (`config.wsgi`)."),
    paths: z.array(z.string().regex(/^\/[^\s]*$/, { error: "must be an absolute URL path such as /api" })).min(1).default(["/api", "/admin", "/static"]).describe("Paths of the host routed to the backend. Defaults to /api, /admin, /static."),
    staticRoot: z.string().regex(/^\/[^\s]*$/, { error: "must be an absolute path" }).default("/app/staticfiles").describe("Django STATIC_ROOT: collectstatic fills it at start (serve it with WhiteNoise). Defaults to /app/staticfiles."),
});

const frontend = strict({
    ...workloadFields(8080, 1),
    apiBaseUrl: z.string().regex(/^(https?:\/\/[^\s]+|\/[^\s]*)$/, { error: "must be a URL or an absolute path such as /api" }).default("/api").describe("API base URL the Angular app reads at run time. Defaults to /api."),
    configPath: z.string().regex(/^\/[^\s]+\.json$/, { error: "must be the absolute path of a .json file" }).default("/usr/share/nginx/html/assets/config.json").describe("Where the runtime config file is mounted. Defaults to /usr/share/nginx/html/assets/config.json."),
});

const database = strict({
    engine: z.enum(["mariadb", "percona"]).default("mariadb").describe("`mariadb` (one StatefulSet) or `percona` (XtraDB cluster). Defaults to mariadb."),
    storageGi: z.number().int().min(1).max(16384).default(20).describe("Volume size in GiB per member. Defaults to 20."),
    members: z.number().int().min(1).max(9).default(3).describe("Percona cluster members, odd. Defaults to 3."),
    name: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, { error: "must be a database name (a-z, 0-9, _)" }).default("app").describe("Database of the app. Defaults to app."),
    user: z.string().regex(/^[a-z][a-z0-9_]{0,31}$/, { error: "must be a user name (a-z, 0-9, _)" }).default("app").describe("Database user of the app. Defaults to app."),
    initSql: z.string().optional().describe("SQL run once when the database is first created (mariadb)."),
    resources: resources.default({ cpuRequest: "250m", memoryRequest: "512Mi", memoryLimit: "1Gi", cpuLimit: "2" }).describe("Requests and limits of each member."),
});

const backups = strict({
    schedule: z
        .string()
        .regex(CRON, { error: "must be a cron schedule of five fields, e.g. `0 3 * * *` (minute hour day-of-month month day-of-week)" })
        .default("0 3 * * *")
        .describe("When the dump runs (cron, cluster time zone UTC). Defaults to 03:00 daily."),
    retentionDays: z.number().int().min(1).max(3650).default(14).describe("Dumps older than this are deleted. Defaults to 14."),
    bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { error: "must be an S3 bucket name" }).describe("Bucket the dumps go to."),
    endpoint: httpsEndpoint().optional().describe("S3-compatible https endpoint (e.g. Hetzner Object Storage). Defaults to AWS S3."),
    region: z.string().regex(/^[a-z0-9-]+$/, { error: "must be a region name" }).default("eu-central-1").describe("Bucket region. Defaults to eu-central-1."),
    createBucket: z.boolean().default(false).describe("Create the bucket on AWS (versioned, encrypted, private) with this stack. Defaults to false."),
});

const apps = strict({
    namespace: dnsLabel("the namespace").default("apps").describe("Namespace of the application. Defaults to `apps`."),
    host: z.string().regex(DNS_NAME, { error: "must be a DNS name such as app.example.com" }).describe("Public host name of the application."),
    registry: strict({
        server: z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:[0-9]{1,5})?$/, { error: "must be a registry host such as registry.example.com" }),
        username: z.string().min(1, { error: "must not be empty" }),
    })
        .optional()
        .describe("Private registry; its password is the secret `infra:registryPassword`."),
    backend: backend.optional().describe("Django backend (gunicorn)."),
    frontend: frontend.optional().describe("Angular frontend (nginx; a non-root image such as nginx-unprivileged on 8080)."),
    workloads: z
        .array(webWorkload)
        .default([])
        .describe(
            "Further web workloads (any image), e.g. seed 003's 3 replicas behind a load-balanced Service. Each runs non-root with a read-only root filesystem and no service account token; /tmp is writable, and the `writablePaths` it lists.",
        ),
    database: database.optional().describe("The application's database."),
    backups: backups.optional().describe("Scheduled database dumps to S3-compatible storage; keys are the secrets `infra:backupAccessKeyId` and `infra:backupSecretAccessKey`."),
    tolerateBurst: z.boolean().default(false).describe("Let the app's pods run on burst workers (which carry a NoSchedule taint). Defaults to false."),
});

/**
 * Keys that were settings once, as the user writes them, with what to say instead of "unknown key":
 * why they went and what to do. A stack file written for an older version then says how to move on.
 */
export const REMOVED_SETTINGS: Readonly<Record<string, string>> = {
    "infra:burst.label":
        "is no longer a setting: burst workers are labelled and tainted infra.local/burst=true, which the base's apps tolerate (apps.tolerateBurst); delete the key",
};

const burst = strict({
    baseStack: z
        .string()
        .regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, {
            error: "must be a fully qualified stack name `<organization>/<project>/<stack>` (e.g. acme/infra/prod)",
        })
        .describe("The running cluster's stack whose outputs the burst workers join."),
    // No label setting (REMOVED_SETTINGS): burst workers are labelled infra.local/burst=true (infra/nodes/labels.ts),
    // because the workloads that tolerate them are deployed by the base stack, which a burst stack's settings never reach.
    taint: z
        .boolean()
        .default(true)
        .describe("Taint burst nodes `infra.local/burst=true:NoSchedule` (they are labelled so), so only workloads that tolerate bursting (the base's apps.tolerateBurst) land there. Defaults to true."),
});

const mesh = strict({
    enabled: z.boolean().default(false).describe("An encrypted WireGuard mesh between all nodes; required when nodes sit at several sites. Defaults to false."),
    cidr: cidr().default("10.200.0.0/16").describe("Mesh network (a /16): pool p, node n gets .p.(n+1). Defaults to 10.200.0.0/16."),
    port: z.number().int().min(1024).max(65535).default(51820).describe("WireGuard UDP port, opened in the cloud firewalls. Defaults to 51820."),
});

const etcdBackups = strict({
    intervalMinutes: z.number().int().min(5).max(1440).default(15).describe("Minutes between etcd snapshots. Defaults to 15."),
    retentionDays: z.number().int().min(1).max(3650).default(7).describe("Snapshots older than this are deleted. Defaults to 7."),
    bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { error: "must be an S3 bucket name" }).describe("Bucket the snapshots go to."),
    region: z.string().regex(/^[a-z0-9-]+$/, { error: "must be a region name" }).default("eu-central-1").describe("Bucket region (signing). Defaults to eu-central-1."),
    endpoint: httpsEndpoint().optional().describe("S3-compatible https endpoint (path-style). Defaults to https://s3.<region>.amazonaws.com."),
});

const provides = strict({
    storageClass: dnsLabel("a storage class name")
        .optional()
        .describe("The cluster's default StorageClass: volumes use it and no provisioner or class is installed. Defaults to the distribution's."),
    ingressClass: dnsLabel("an ingress class name")
        .optional()
        .describe("An IngressClass whose controller already runs: apps use it and no controller is installed. Defaults to the distribution's."),
    metricsServer: z.boolean().optional().describe("metrics-server already runs (it owns APIService v1beta1.metrics.k8s.io). Defaults to the distribution's."),
    loadBalancer: z.boolean().optional().describe("LoadBalancer Services get an address (a cloud, ServiceLB, MetalLB). Defaults to the distribution's."),
});

const existingCluster = strict({
    context: z.string().min(1).optional().describe("kubeconfig context to use. Defaults to the current context."),
    distribution: z
        .enum(DISTRIBUTION_NAMES)
        .default("other")
        .describe(
            "What made the cluster, for what it already runs: `kind` (class standard, local-path), `minikube` (class standard), `k3s` (k3s and k3d: class local-path, ingress class traefik, metrics-server, ServiceLB) or `other` (nothing assumed). Defaults to other.",
        ),
    provides: provides.default({}).describe("What the cluster already runs, over the distribution's defaults: the platform installs only what is missing and never takes over these."),
});

/** The plain (non-secret) settings. Each key is `infra:<key>` in the stack file. */
export const settingsSchema = strict({
    environment: z.enum(["dev", "staging", "prod"]).describe("Environment tier; prod turns on the strictest policies."),
    mode: z
        .enum(["cluster", "burst", "apps-only"])
        .default("cluster")
        .describe("What the stack builds: a whole `cluster`, `burst` workers for a running cluster, or `apps-only` on an existing kubeconfig. Defaults to cluster."),
    clusterName: dnsLabel("the cluster name", 30).optional().describe("Prefix of every resource and node name. Defaults to `<project>-<stack>`."),
    kubernetes: kubernetes.optional().describe("Kubernetes settings. Required unless `mode` is apps-only."),
    ssh: ssh.default(ssh.parse({})).describe("How the program reaches nodes over SSH."),
    pools: z.array(poolSchema).default([]).describe("Node pools. Fields marked (provider) apply to that provider only."),
    hetzner: hetzner.default(hetzner.parse({})).describe("Settings shared by the Hetzner pools."),
    aws: aws.default(aws.parse({})).describe("Settings shared by the AWS pools. The region is the provider's `aws:region`."),
    platform: platform.default(platform.parse({})).describe("Platform add-ons."),
    apps: apps.optional().describe("The application (Django backend, Angular frontend, database)."),
    burst: burst.optional().describe("Burst settings. Required when `mode` is burst."),
    etcdBackups: etcdBackups.optional().describe("Scheduled etcd snapshots from every control plane to S3-compatible storage (keys: infra:backupAccessKeyId / infra:backupSecretAccessKey)."),
    mesh: mesh.default(mesh.parse({})).describe("Node-to-node WireGuard mesh across sites (a burst stack uses its base's)."),
    existingCluster: existingCluster.optional().describe("The cluster an apps-only stack deploys to."),
});

/**
 * Secret settings: each its own `infra:<key>`, which must be stored encrypted
 * (`pulumi config set --secret`). They reach the program only as Pulumi secrets.
 */
export const SECRET_KEYS = {
    sshPrivateKey: "Private SSH key (PEM/OpenSSH) for every node. Required when the stack has nodes.",
    registryPassword: "Password or token of `apps.registry`. Required with `apps.registry`.",
    backupAccessKeyId: "Access key id for `apps.backups` and `etcdBackups`. Required with either.",
    backupSecretAccessKey: "Secret access key for `apps.backups` and `etcdBackups`. Required with either.",
    kubeconfig: "kubeconfig of an existing cluster (apps-only). Defaults to the ambient ~/.kube/config.",
    appSecrets:
        "The application's own secrets, a map `NAME: value` set entry by entry with `pulumi config set --secret --path 'infra:appSecrets.NAME' ...`; they go into the Kubernetes Secret app-secrets, and each workload gets the ones its `secrets` lists.",
} as const;
export type SecretKey = keyof typeof SECRET_KEYS;

export type Settings = z.output<typeof settingsSchema>;
export type Pool = z.output<typeof poolSchema>;
export type HetznerPoolSettings = Extract<Pool, { provider: "hetzner" }>;
export type AwsPoolSettings = Extract<Pool, { provider: "aws" }>;
export type OnpremPoolSettings = Extract<Pool, { provider: "vmware" | "static" }>;
export type Provider = Pool["provider"];
