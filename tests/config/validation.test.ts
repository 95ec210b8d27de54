/**
 * Bad input: every invalid config is rejected before any resource exists, with the exact key
 * path and what is allowed.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { SECRET_KEYS, settingsSchema } from "../../infra/config";
import { parseStackFile, StackFileError } from "../../tools/plan/stack-file";
import { parse, problems, validConfig, withConfig } from "../helpers";

const onpremNode = (name: string, address: string, user = "ubuntu") => ({ name, address, user });

const CASES: { name: string; config: ReturnType<typeof validConfig>; expected: string[] }[] = [
    {
        name: "wrong type: count as a string",
        config: withConfig((c) => (c["infra:pools"][0].count = "2")),
        expected: ["infra:pools[0].count: must be a whole number, got a string"],
    },
    {
        name: "zero count",
        config: withConfig((c) => (c["infra:pools"][1].count = 0)),
        expected: ["infra:pools[1].count: must be at least 1"],
    },
    {
        name: "negative count",
        config: withConfig((c) => (c["infra:pools"][1].count = -3)),
        expected: ["infra:pools[1].count: must be at least 1"],
    },
    {
        name: "rolling upgrade settings out of range (issue 18)",
        config: withConfig((c) => (c["infra:kubernetes"].upgrade = { workerBatch: 0, drainTimeoutSeconds: 10, certificateRenewalDays: 1.5 })),
        expected: [
            "infra:kubernetes.upgrade.workerBatch: must be at least 1",
            "infra:kubernetes.upgrade.drainTimeoutSeconds: must be at least 30",
            "infra:kubernetes.upgrade.certificateRenewalDays: must be a whole number of days, got a number",
        ],
    },
    {
        name: "a rolling upgrade batch above 50, and an unknown upgrade key",
        config: withConfig((c) => (c["infra:kubernetes"].upgrade = { workerBatch: 60, batch: 2 })),
        expected: ["infra:kubernetes.upgrade.workerBatch: must be at most 50", "infra:kubernetes.upgrade.batch: unknown key; allowed keys: workerBatch, drainTimeoutSeconds, certificateRenewalDays"],
    },
    {
        name: "unknown provider",
        config: withConfig((c) => (c["infra:pools"][1].provider = "gcp")),
        expected: ["infra:pools[1].provider: must be one of: hetzner, aws, vmware, static"],
    },
    {
        name: "unknown nested key (a typo)",
        config: withConfig((c) => (c["infra:kubernetes"].podCIDR = "10.244.0.0/16")),
        expected: [
            "infra:kubernetes.podCIDR: unknown key; allowed keys: version, podCidr, serviceCidr, cni, calicoVersion, containerdVersion, joinTokenTtlHours, joinTokenRotation, apiEndpoint, upgrade, virtualIp",
        ],
    },
    {
        name: "unknown top-level key",
        config: withConfig((c) => (c["infra:pool"] = [])),
        expected: [
            "infra:pool: unknown key; allowed keys: environment, mode, clusterName, kubernetes, ssh, pools, hetzner, aws, platform, apps, burst, etcdBackups, mesh, existingCluster, sshPrivateKey, registryPassword, backupAccessKeyId, backupSecretAccessKey, kubeconfig, appSecrets",
        ],
    },
    {
        name: "malformed CIDR",
        config: withConfig((c) => (c["infra:kubernetes"].podCidr = "10.244.0.0/33")),
        expected: ["infra:kubernetes.podCidr: must be an IPv4 CIDR such as 10.0.0.0/16"],
    },
    {
        name: "overlapping pod and service CIDRs",
        config: withConfig((c) => Object.assign(c["infra:kubernetes"], { podCidr: "10.96.0.0/16", serviceCidr: "10.96.0.0/12" })),
        expected: ["infra:kubernetes.serviceCidr: 10.96.0.0/12 overlaps podCidr 10.96.0.0/16; pick disjoint ranges"],
    },
    {
        name: "pod CIDR overlapping the nodes' private network",
        config: withConfig((c) => (c["infra:kubernetes"].podCidr = "10.0.128.0/17")),
        expected: ["infra:kubernetes.podCidr: 10.0.128.0/17 overlaps the nodes' private network 10.0.0.0/16 (infra:hetzner.networkCidr)"],
    },
    {
        name: "missing required secret",
        config: withConfig((c) => delete c["infra:sshPrivateKey"]),
        expected: ["infra:sshPrivateKey: is required when the stack has nodes: pulumi config set --secret infra:sshPrivateKey ..."],
    },
    {
        name: "secret stored in plain text",
        config: withConfig((c) => (c["infra:sshPrivateKey"] = "-----BEGIN OPENSSH PRIVATE KEY-----")),
        expected: ["infra:sshPrivateKey: must be stored encrypted: pulumi config set --secret infra:sshPrivateKey ..."],
    },
    {
        name: "a plain setting holding an encrypted value",
        config: withConfig((c) => (c["infra:clusterName"] = { secure: "v1:x" })),
        expected: [
            "infra:clusterName: holds an encrypted value, but it is not a secret setting; secrets have their own keys (infra:sshPrivateKey, infra:registryPassword, infra:backupAccessKeyId, infra:backupSecretAccessKey, infra:kubeconfig, infra:appSecrets)",
        ],
    },
    {
        name: "missing provider token",
        config: withConfig((c) => delete c["hcloud:token"]),
        expected: ["hcloud:token: is required with a Hetzner pool: pulumi config set --secret hcloud:token <token>"],
    },
    {
        name: "duplicate pool names",
        config: withConfig((c) => (c["infra:pools"][1].name = "cp")),
        expected: ['infra:pools[1].name: duplicate pool name "cp" (also infra:pools[0].name)'],
    },
    {
        name: "an even number of control planes above 1",
        config: withConfig((c) => (c["infra:pools"][0].count = 2)),
        expected: ["infra:pools[0].count: the cluster has 2 control-plane nodes: etcd needs an odd number (1, 3, 5, 7) to keep quorum"],
    },
    {
        name: "malformed Kubernetes version",
        config: withConfig((c) => (c["infra:kubernetes"].version = "v1.35")),
        expected: [
            "infra:kubernetes.version: must be a full Kubernetes release `1.<minor>.<patch>` with minor 30 or newer, without a leading v (e.g. 1.34.2)",
        ],
    },
    {
        name: "missing environment",
        config: withConfig((c) => delete c["infra:environment"]),
        expected: ["infra:environment: is required; one of: dev, staging, prod"],
    },
    {
        name: "unknown environment",
        config: withConfig((c) => (c["infra:environment"] = "qa")),
        expected: ["infra:environment: must be one of: dev, staging, prod"],
    },
    {
        name: "worker-only cluster",
        config: withConfig((c) => c["infra:pools"].shift()),
        expected: [
            "infra:pools: no pool has role control-plane: a worker-only cluster cannot start (use mode burst to add workers to a running cluster)",
        ],
    },
    {
        name: "a Hetzner server family not offered at the location",
        config: withConfig((c) => {
            Object.assign(c["infra:pools"][0], { serverType: "cpx22", location: "ash" });
            Object.assign(c["infra:pools"][1], { serverType: "cax21", location: "ash" });
        }),
        expected: ["infra:pools[1].serverType: cax21 is not offered in ash; there use one of the families cpx, ccx"],
    },
    {
        name: "Hetzner pools in different network zones",
        config: withConfig((c) => Object.assign(c["infra:pools"][1], { serverType: "cpx22", location: "hil" })),
        expected: [
            "infra:pools[1].location: hil is in network zone us-west, but infra:pools[0] is in eu-central: the cluster's Hetzner pools share one private network, in one zone",
        ],
    },
    {
        name: "a VPC too small to split over zones",
        config: withConfig((c) => {
            c["infra:mesh"] = { enabled: true };
            c["aws:region"] = "eu-central-1";
            c["infra:aws"] = { vpcCidr: "10.1.0.0/26" };
            c["infra:pools"].push({ name: "aws", provider: "aws", role: "worker", count: 1, instanceType: "t3.medium" });
        }),
        expected: ["infra:aws.vpcCidr: 10.1.0.0/26 is too small: use a /16 to /24 (each zone gets 1/16 of it)"],
    },
    {
        name: "malformed Hetzner server type",
        config: withConfig((c) => (c["infra:pools"][1].serverType = "CX-21")),
        expected: ["infra:pools[1].serverType: must be a Hetzner server type such as cx23, cpx32, cax21 or ccx13"],
    },
    {
        name: "an admin CIDR that is not a CIDR",
        config: withConfig((c) => (c["infra:ssh"].adminCidrs = ["office"])),
        expected: ["infra:ssh.adminCidrs[0]: must be an IPv4 CIDR such as 10.0.0.0/16"],
    },
    {
        name: "cloud pool without admin CIDRs",
        config: withConfig((c) => (c["infra:ssh"].adminCidrs = [])),
        expected: [
            "infra:ssh.adminCidrs: is required with a cloud pool: the sources allowed to reach SSH and the API (e.g. your office's 203.0.113.0/24)",
        ],
    },
    {
        name: "on-prem node without address or user",
        config: withConfig((c) =>
            c["infra:pools"].push({ name: "dmz", provider: "vmware", role: "worker", nodes: [{ name: "w1", address: "192.168.18.202" }, { name: "w2", user: "ubuntu" }] }),
        ),
        expected: ["infra:pools[2].nodes[1].address: is required"],
    },
    {
        name: "on-prem node without user",
        config: withConfig((c) => {
            c["infra:mesh"] = { enabled: true };
            c["infra:pools"].push({ name: "dmz", provider: "static", role: "worker", nodes: [{ name: "w1", address: "192.168.18.202" }] });
        }),
        expected: ["infra:pools[2].nodes[0].user: is required: the SSH user of this machine (e.g. ubuntu)"],
    },
    {
        name: "duplicate node names and addresses across pools",
        config: withConfig((c) => {
            c["infra:mesh"] = { enabled: true };
            c["infra:pools"].push(
                { name: "dmz-a", provider: "vmware", role: "worker", nodes: [onpremNode("w1", "192.168.18.202")] },
                { name: "dmz-b", provider: "static", role: "worker", nodes: [onpremNode("w1", "192.168.18.202")] },
            );
        }),
        expected: [
            'infra:pools[3].nodes[0].name: duplicate node name "w1" (also infra:pools[2].nodes[0].name)',
            "infra:pools[3].nodes[0].address: duplicate address 192.168.18.202 (also infra:pools[2].nodes[0].address)",
        ],
    },
    {
        name: "an auto scaling group with min above max",
        config: withConfig((c) => {
            c["infra:mesh"] = { enabled: true };
            c["aws:region"] = "eu-central-1";
            c["infra:pools"].push({ name: "spot", provider: "aws", role: "worker", instanceType: "t3.medium", autoscaling: { min: 5, desired: 5, max: 2 } });
        }),
        expected: [
            "infra:pools[2].autoscaling.min: must not exceed max (min 5 > max 2)",
            "infra:pools[2].autoscaling.desired: must be between min (5) and max (2)",
        ],
    },
    {
        name: "an EC2 Mac instance type, which no Ubuntu AMI runs on",
        config: withConfig((c) => {
            c["infra:mesh"] = { enabled: true };
            c["aws:region"] = "eu-central-1";
            c["infra:pools"].push({ name: "mac", provider: "aws", role: "worker", count: 1, instanceType: "mac2-m2pro.metal" });
        }),
        expected: ["infra:pools[2].instanceType: mac2-m2pro.metal is an EC2 Mac instance: it runs only macOS, on a dedicated host, and there is no Ubuntu AMI for it (use e.g. m7i.large, or m7g.large for arm64)"],
    },
    {
        name: "an AWS network with zero availability zones",
        config: withConfig((c) => (c["infra:aws"] = { availabilityZones: 0 })),
        expected: ["infra:aws.availabilityZones: must be at least 1"],
    },
    {
        name: "an existing VPC with no subnets",
        config: withConfig((c) => (c["infra:aws"] = { existingVpc: { vpcId: "vpc-0abc12345def67890", subnetIds: [] } })),
        expected: ["infra:aws.existingVpc.subnetIds: must list at least one subnet"],
    },
    {
        name: "an AWS pool without a region",
        config: withConfig((c) => {
            c["infra:mesh"] = { enabled: true };
            c["infra:pools"].push({ name: "aws", provider: "aws", role: "worker", count: 1, instanceType: "t3.medium" });
        }),
        expected: ["aws:region: is required with an AWS pool: pulumi config set aws:region eu-central-1"],
    },
    {
        name: "a Let's Encrypt issuer without an e-mail",
        config: withConfig((c) => (c["infra:platform"] = { certManager: { issuer: "letsencrypt-prod" } })),
        expected: ["infra:platform.certManager.email: is required for the letsencrypt-prod issuer (Let's Encrypt account e-mail)"],
    },
    {
        name: "nodes at several sites without the mesh",
        config: withConfig((c) => c["infra:pools"].push({ name: "dmz", provider: "vmware", role: "worker", nodes: [{ name: "w1", address: "192.168.18.202", user: "ubuntu" }] })),
        expected: ["infra:mesh.enabled: must be true: the nodes sit at 2 sites (hetzner, vmware) whose private networks do not reach each other"],
    },
    {
        name: "the mesh with several control planes and no API endpoint",
        config: withConfig((c) => {
            c["infra:mesh"] = { enabled: true };
            c["infra:pools"][0].count = 3;
        }),
        expected: [
            "infra:kubernetes.apiEndpoint: is required with the mesh and several control planes: a DNS name, which every node resolves to the control planes' mesh addresses (a load balancer on one site's network is out of the other sites' reach)",
        ],
    },
    {
        name: "a mesh range inside the service range, on the Hetzner network, or holding an on-prem node's address",
        config: withConfig((c) => {
            c["infra:mesh"] = { enabled: true, cidr: "10.96.0.0/16" };
            c["infra:pools"].push({ name: "op", provider: "static", role: "worker", nodes: [{ name: "op-1", address: "10.96.3.4", user: "ubuntu" }] });
        }),
        expected: [
            "infra:mesh.cidr: 10.96.0.0/16 overlaps 10.96.0.0/12 (infra:kubernetes.serviceCidr); pick a range of its own",
            "infra:mesh.cidr: 10.96.0.0/16 contains node address 10.96.3.4 (infra:pools[2].nodes[0]); pick a range outside the nodes' networks",
            "infra:kubernetes.serviceCidr: 10.96.0.0/12 contains node address 10.96.3.4 (infra:pools[2].nodes[0]); pick a range outside the nodes' network",
        ],
    },
    {
        name: "mesh pins that collide or leave the mesh",
        config: withConfig((c) => {
            c["infra:mesh"] = { enabled: true };
            c["infra:pools"][1].meshBlock = 0;
            c["infra:pools"].push({ name: "op", provider: "static", role: "worker", nodes: [{ name: "op-1", address: "192.168.18.9", user: "ubuntu", meshAddress: "10.201.0.1" }] });
        }),
        expected: [
            "infra:pools[1].meshBlock: gives node 1 of pool workers the mesh address 10.200.0.1, which node 1 of pool cp has already: pick a free block or address",
            "infra:pools[2].nodes[0].meshAddress: 10.201.0.1 is outside the mesh 10.200.0.0/16",
        ],
    },
    {
        name: "the mesh on the Hetzner network's range, on Calico's VXLAN port",
        config: withConfig((c) => (c["infra:mesh"] = { enabled: true, cidr: "10.0.0.0/16", port: 4789 })),
        expected: [
            "infra:mesh.cidr: 10.0.0.0/16 overlaps 10.0.0.0/16 (infra:hetzner.networkCidr); pick a range of its own",
            "infra:mesh.port: 4789 is Calico's VXLAN port (pod traffic between nodes); pick another UDP port, e.g. the default 51820",
        ],
    },
    {
        name: "an API endpoint address on one site's network with the mesh across sites",
        config: withConfig((c) => {
            c["infra:mesh"] = { enabled: true };
            c["infra:kubernetes"].apiEndpoint = "192.168.18.250";
            c["infra:pools"][0] = { name: "cp", provider: "static", role: "control-plane", nodes: [1, 2, 3].map((i) => ({ name: `cp-${i}`, address: `192.168.18.20${i}`, user: "ubuntu" })) };
        }),
        expected: [
            "infra:kubernetes.apiEndpoint: 192.168.18.250 is an address on one site's network, out of the other sites' reach: use a DNS name, which every node resolves to the control planes' mesh addresses",
        ],
    },
    {
        name: "an NFS provisioner without server and path",
        config: withConfig((c) => (c["infra:platform"].storage = { provisioner: "nfs" })),
        expected: ["infra:platform.storage.nfs: is required for the nfs provisioner: the server and exported path (e.g. { server: 192.168.18.10, path: /srv/k8s })"],
    },
    {
        name: "a cloud integration that matches no pool's provider",
        config: withConfig((c) => (c["infra:platform"].cloudIntegration = "aws")),
        expected: ["infra:platform.cloudIntegration: aws does not match the nodes (hetzner): its cloud controller only knows aws machines, so every pool must be on aws"],
    },
    {
        name: "a cloud integration on a cluster spanning sites",
        config: withConfig((c) => {
            c["infra:mesh"] = { enabled: true };
            c["infra:platform"].cloudIntegration = "hetzner";
            c["infra:pools"].push({ name: "dmz", provider: "vmware", role: "worker", nodes: [{ name: "w1", address: "192.168.18.202", user: "ubuntu" }] });
        }),
        expected: ["infra:platform.cloudIntegration: hetzner does not match the nodes (hetzner, onprem): its cloud controller only knows hetzner machines, so every pool must be on hetzner"],
    },
    {
        name: "two default storage classes",
        config: withConfig(
            (c) =>
                (c["infra:platform"].storage = {
                    classes: [
                        { name: "fast", default: true },
                        { name: "slow", default: true, reclaimPolicy: "Retain" },
                    ],
                }),
        ),
        expected: ["infra:platform.storage.classes: exactly one class must be the default, found 2 (fast, slow)"],
    },
    {
        name: "a load-balancer exposure without a cloud integration",
        config: withConfig((c) => {
            c["infra:platform"].cloudIntegration = "none";
            c["infra:platform"].ingress = { exposure: "loadBalancer" };
        }),
        expected: ["infra:platform.ingress.exposure: loadBalancer needs a cloud integration (hetzner or aws), or on-prem an address pool (infra:platform.loadBalancer); otherwise use nodePort or hostNetwork"],
    },
    {
        name: "an image without a version in prod",
        config: withConfig((c) => {
            c["infra:environment"] = "prod";
            c["infra:apps"] = { host: "app.example.com", backend: { image: "registry.example.com:5000/team/api" }, frontend: { image: "team/web:latest" } };
        }),
        expected: [
            "infra:apps.backend.image: registry.example.com:5000/team/api has no version: in prod an image needs a tag other than latest, or a digest",
            "infra:apps.frontend.image: team/web:latest has no version: in prod an image needs a tag other than latest, or a digest",
        ],
    },
    {
        name: "replicas at or below the disruption budget's minimum",
        config: withConfig((c) => (c["infra:apps"] = { host: "app.example.com", backend: { image: "team/api:1.0", replicas: 2, minAvailable: 2 } })),
        expected: ["infra:apps.backend.minAvailable: 2 leaves no pod to evict with 2 replica(s): drains could never finish; use at most 1"],
    },
    {
        name: "an autoscaler without a CPU request",
        config: withConfig((c) => (c["infra:apps"] = { host: "app.example.com", frontend: { image: "team/web:1.0", autoscaling: { minReplicas: 2, maxReplicas: 5 } } })),
        expected: ["infra:apps.frontend.resources.cpuRequest: is required with autoscaling: the autoscaler scales on CPU use relative to the request"],
    },
    {
        name: "a Percona cluster with an even member count",
        config: withConfig((c) => (c["infra:apps"] = { host: "app.example.com", database: { engine: "percona", members: 4 } })),
        expected: ["infra:apps.database.members: must be odd (1, 3, 5...) for Galera quorum, got 4"],
    },
    {
        name: "a backup schedule that is not cron syntax",
        config: withConfig((c) => {
            c["infra:backupAccessKeyId"] = { secure: "v1:a" };
            c["infra:backupSecretAccessKey"] = { secure: "v1:b" };
            c["infra:apps"] = { host: "app.example.com", database: {}, backups: { bucket: "acme-backups", schedule: "every night" } };
        }),
        expected: ["infra:apps.backups.schedule: must be a cron schedule of five fields, e.g. `0 3 * * *` (minute hour day-of-month month day-of-week)"],
    },
    {
        name: "a backup schedule with a field out of range",
        config: withConfig((c) => {
            c["infra:backupAccessKeyId"] = { secure: "v1:a" };
            c["infra:backupSecretAccessKey"] = { secure: "v1:b" };
            c["infra:apps"] = { host: "app.example.com", database: {}, backups: { bucket: "acme-backups", schedule: "0 25 * * *" } };
        }),
        expected: ["infra:apps.backups.schedule: hour 25 is out of range 0-23 (cron: minute hour day-of-month month day-of-week)"],
    },
    {
        name: "backups without their credentials",
        config: withConfig((c) => (c["infra:apps"] = { host: "app.example.com", database: {}, backups: { bucket: "acme-backups" } })),
        expected: [
            "infra:backupAccessKeyId: is required with apps.backups: pulumi config set --secret infra:backupAccessKeyId ...",
            "infra:backupSecretAccessKey: is required with apps.backups: pulumi config set --secret infra:backupSecretAccessKey ...",
        ],
    },
    {
        name: "an ingress host that is not a DNS name",
        config: withConfig((c) => (c["infra:apps"] = { host: "https://app.example.com/" })),
        expected: ["infra:apps.host: must be a DNS name such as app.example.com"],
    },
    {
        name: "a burst stack with a control-plane pool and no base stack",
        config: withConfig((c) => (c["infra:mode"] = "burst")),
        expected: [
            "infra:burst: is required when mode is burst (burst.baseStack names the running cluster's stack)",
            "infra:pools[0].role: must be worker in a burst stack: burst pools join a running cluster's control plane",
        ],
    },
    {
        name: "a malformed base stack name",
        config: withConfig((c) => (c["infra:burst"] = { baseStack: "prod" })),
        expected: ["infra:burst.baseStack: must be a fully qualified stack name `<organization>/<project>/<stack>` (e.g. acme/infra/prod)"],
    },
    {
        name: "a structured key given as a scalar",
        config: withConfig((c) => (c["infra:pools"] = "cp,workers")),
        expected: ["infra:pools: must be a list, got a string"],
    },
    {
        name: "an HA on-prem control plane without an API endpoint",
        config: withConfig((c) => {
            c["infra:pools"] = [
                { name: "cp", provider: "vmware", role: "control-plane", nodes: [onpremNode("cp1", "192.168.18.201"), onpremNode("cp2", "192.168.18.204"), onpremNode("cp3", "192.168.18.205")] },
            ];
        }),
        expected: [
            "infra:kubernetes.apiEndpoint: is required for on-prem HA control planes: a DNS name or address in front of every control plane's port 6443, or set infra:kubernetes.virtualIp and kube-vip keeps one alive",
        ],
    },
    {
        name: "apps-only with pools",
        config: withConfig((c) => (c["infra:mode"] = "apps-only")),
        expected: ["infra:pools: must be empty when mode is apps-only (the cluster already exists)"],
    },
    {
        name: "an unknown mode",
        config: withConfig((c) => (c["infra:mode"] = "serverless")),
        expected: ["infra:mode: must be one of: cluster, burst, apps-only"],
    },
    {
        name: "a Hetzner subnet outside the Hetzner network",
        config: withConfig((c) => (c["infra:hetzner"] = { networkCidr: "10.0.0.0/16", subnetCidr: "10.9.1.0/24" })),
        expected: ["infra:hetzner.subnetCidr: 10.9.1.0/24 must lie inside networkCidr 10.0.0.0/16"],
    },
    {
        name: "etcd snapshots more often than every 5 minutes",
        config: withConfig((c) => {
            c["infra:backupAccessKeyId"] = { secure: "v1:a" };
            c["infra:backupSecretAccessKey"] = { secure: "v1:b" };
            c["infra:etcdBackups"] = { bucket: "acme-etcd", intervalMinutes: 1 };
        }),
        expected: ["infra:etcdBackups.intervalMinutes: must be at least 5"],
    },
    {
        name: "an existing cluster in a stack that builds its own",
        config: withConfig((c) => (c["infra:existingCluster"] = { context: "kind-dev" })),
        expected: ["infra:existingCluster: is only allowed when mode is apps-only"],
    },
    {
        name: "a private registry without its password",
        config: withConfig((c) => (c["infra:apps"] = { host: "app.example.com", registry: { server: "registry.example.com", username: "ci" }, backend: { image: "registry.example.com/team/api:1.0" } })),
        expected: ["infra:registryPassword: is required with apps.registry: pulumi config set --secret infra:registryPassword ..."],
    },
    {
        name: "a kubeconfig stored in plain text",
        config: withConfig((c) => (c["infra:kubeconfig"] = "apiVersion: v1")),
        expected: ["infra:kubeconfig: must be stored encrypted: pulumi config set --secret infra:kubeconfig ..."],
    },
    {
        name: "app secrets stored in plain text",
        config: withConfig((c) => (c["infra:appSecrets"] = "STRIPE_API_KEY: sk_live_x")),
        expected: ["infra:appSecrets: must be stored encrypted: pulumi config set --secret infra:appSecrets ..."],
    },
];

describe("invalid stack configs are rejected with the key path and what is allowed", () => {
    it("the valid base config has no problems", () => {
        assert.deepEqual(problems(validConfig()), []);
    });
    for (const c of CASES) {
        it(c.name, () => {
            assert.deepEqual(problems(c.config), c.expected);
        });
    }
    it("every setting has a bad-input case reported at its own key", () => {
        const keys = [...Object.keys(settingsSchema.shape), ...Object.keys(SECRET_KEYS)].map((k) => `infra:${k}`);
        const reported = CASES.flatMap((c) => c.expected.map((e) => e.slice(0, e.indexOf(": "))));
        const uncovered = keys.filter((k) => !reported.some((p) => p === k || p.startsWith(`${k}.`) || p.startsWith(`${k}[`)));
        assert.deepEqual(uncovered, []);
    });
});

describe("every problem is reported at once", () => {
    it("lists all structural problems of one config together", () => {
        const found = problems(
            withConfig((c) => {
                c["infra:environment"] = "qa";
                c["infra:pools"][0].count = 0;
                c["infra:kubernetes"].cni = "flannel";
            }),
        );
        assert.deepEqual(found, [
            "infra:environment: must be one of: dev, staging, prod",
            "infra:kubernetes.cni: must be one of: calico",
            "infra:pools[0].count: must be at least 1",
        ]);
    });
    it("never echoes a value in an error (a misplaced secret stays out of logs)", () => {
        const found = problems(
            withConfig((c) => {
                c["infra:ssh"].user = 12345678;
                c["infra:ssh"].publicKey = "hunter2-pasted-by-mistake";
            }),
        );
        assert.deepEqual(found, [
            "infra:ssh.user: must be a string, got a whole number",
            "infra:ssh.publicKey: must be an OpenSSH public key line (ssh-ed25519, ssh-rsa or ecdsa-sha2-*)",
        ]);
        assert.ok(!found.join("\n").includes("hunter2"));
    });
});

describe("stack files that are not configs", () => {
    it("an empty file is a one-line error", () => {
        assert.throws(() => parseStackFile("Pulumi.x.yaml", ""), (e: unknown) => e instanceof StackFileError && e.exitCode === 2 && e.message === "Pulumi.x.yaml: the file is empty; a stack file needs a `config:` map");
    });
    it("YAML that does not parse names the line", () => {
        assert.throws(
            () => parseStackFile("Pulumi.x.yaml", "config:\n  infra:pools: [\n"),
            (e: unknown) => e instanceof StackFileError && e.exitCode === 2 && /^Pulumi\.x\.yaml:3:1: YAML does not parse: /.test(e.message),
        );
    });
    it("a file without a config map", () => {
        assert.throws(() => parseStackFile("Pulumi.x.yaml", "encryptionsalt: abc\n"), /has no `config:` map/);
    });
});

describe("a valid config", () => {
    it("gets its defaults in one place", () => {
        const cfg = parse(validConfig(), "dev");
        assert.equal(cfg.clusterName, "infra-dev");
        assert.equal(cfg.mode, "cluster");
        assert.equal(cfg.kubernetes?.podCidr, "10.244.0.0/16");
        assert.equal(cfg.kubernetes?.serviceCidr, "10.96.0.0/12");
        assert.equal(cfg.ssh.user, "root");
        assert.equal(cfg.ssh.dialErrorLimit, 20);
        assert.equal(cfg.platform.ingress.controller, "traefik");
        assert.deepEqual(cfg.hetzner, { networkCidr: "10.0.0.0/16", subnetCidr: "10.0.1.0/24" });
        assert.equal(cfg.pools[0].provider === "hetzner" && cfg.pools[0].image, "ubuntu-24.04");
    });
    it("reads secure values as Pulumi secrets", async () => {
        const cfg = parse(validConfig());
        assert.ok(cfg.secrets.sshPrivateKey);
        assert.equal(await pulumi.isSecret(cfg.secrets.sshPrivateKey), true);
        assert.equal(await pulumi.isSecret(cfg.hcloudToken!), true);
    });
});
