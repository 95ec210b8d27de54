/**
 * Node pools under the mock runtime: what each provider creates, with which inputs, names,
 * labels and parents, and that every node has a readiness gate the bootstrap can wait on.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as YAML from "yaml";
import { awsConfig, planConfig, tempDir, withConfig } from "../helpers";

const ADMIN = ["198.51.100.0/24"];

describe("Hetzner pools", async () => {
    const { plan, ofType, named, plain } = await planConfig(
        withConfig((c) => (c["infra:pools"][1].count = 12)),
        "hz",
    );

    it("share one network, subnet, firewall and SSH key under HetznerNetwork", () => {
        const net = named("infra-hz-hetzner");
        assert.equal(net.type, "infra:nodes:HetznerNetwork");
        for (const t of ["hcloud:index/network:Network", "hcloud:index/networkSubnet:NetworkSubnet", "hcloud:index/firewall:Firewall", "hcloud:index/sshKey:SshKey"]) {
            const rs = ofType(t);
            assert.equal(rs.length, 1, t);
            assert.equal(rs[0].parent, net.urn, t);
        }
        assert.equal(named("infra-hz-hetzner-network").inputs.ipRange, "10.0.0.0/16");
        assert.deepEqual(
            { ...named("infra-hz-hetzner-subnet").inputs, networkId: undefined },
            { networkId: undefined, type: "cloud", networkZone: "eu-central", ipRange: "10.0.1.0/24" },
        );
    });

    it("firewall: the port table's admin rules, no world source on 22/6443, nothing for etcd or kubelet", () => {
        const rules = named("infra-hz-hetzner-firewall").inputs.rules as { port?: string; sourceIps: string[] }[];
        assert.deepEqual(rules.map((r) => r.port ?? "icmp"), ["22", "6443", "icmp"]);
        for (const r of rules) assert.deepEqual(r.sourceIps, ADMIN);
    });

    it("opens 22 and 6443 to the world only when the config asks for it", async () => {
        const open = await planConfig(withConfig((c) => (c["infra:ssh"].adminCidrs = ["0.0.0.0/0"])), "hzopen");
        const rules = open.named("infra-hzopen-hetzner-firewall").inputs.rules as { port?: string; sourceIps: string[] }[];
        assert.deepEqual(rules.find((r) => r.port === "22")?.sourceIps, ["0.0.0.0/0"]);
    });

    it("creates count servers per pool, named <cluster>-<pool>-<n>, attached to the network and firewall", () => {
        const servers = ofType("hcloud:index/server:Server");
        assert.deepEqual(servers.map((s) => s.name).sort(), ["infra-hz-cp-1", ...Array.from({ length: 12 }, (_, i) => `infra-hz-workers-${i + 1}`)].sort());
        const s = named("infra-hz-workers-3");
        assert.equal(s.parent, named("infra-hz-workers").urn);
        assert.equal(named("infra-hz-workers").type, "infra:nodes:HetznerPool");
        assert.equal(s.inputs.serverType, "cx23");
        assert.equal(s.inputs.image, "ubuntu-24.04");
        assert.equal(s.inputs.location, "fsn1");
        assert.deepEqual(s.inputs.labels, { cluster: "infra-hz", environment: "dev", "managed-by": "pulumi", pool: "workers", role: "worker" });
        assert.ok(s.dependsOn.includes(named("infra-hz-hetzner-subnet").urn), "attached after its subnet exists");
        assert.ok(s.dependsOn.includes(named("infra-hz-hetzner-firewall").urn));
        assert.ok(s.dependsOn.includes(named("infra-hz-hetzner-ssh-key").urn));
    });

    it("spreads servers over placement groups of at most 10", () => {
        const groups = ofType("hcloud:index/placementGroup:PlacementGroup").filter((g) => g.parent === named("infra-hz-workers").urn);
        assert.deepEqual(groups.map((g) => g.inputs.type), ["spread", "spread"]);
        assert.ok(named("infra-hz-workers-10").dependsOn.includes(groups[0].urn));
        assert.ok(named("infra-hz-workers-11").dependsOn.includes(groups[1].urn));
    });

    it("user data is a secret whose only secret is the server's own host key, the one its connections pin", () => {
        assert.equal(named("infra-hz-cp-1").inputs.userData, "[secret]");
        const ud = String(plain("infra-hz-cp-1").userData);
        assert.match(ud, /^#cloud-config\n/);
        const doc = YAML.parse(ud);
        assert.equal(doc.ssh_deletekeys, true, "the image's own host keys go");
        const { ed25519_private: priv, ed25519_public: pub } = doc.ssh_keys;
        assert.deepEqual(Object.keys(doc.ssh_keys).sort(), ["ed25519_private", "ed25519_public"]);
        assert.match(priv, /^-----BEGIN OPENSSH PRIVATE KEY-----\n[\s\S]+\n-----END OPENSSH PRIVATE KEY-----\n$/, "OpenSSH format, with its trailing newline");
        // The key pair is a pair: ssh-keygen derives the pinned public key from the installed private one.
        const dir = tempDir("hostkey-");
        fs.writeFileSync(path.join(dir, "key"), priv, { mode: 0o600 });
        const derived = execFileSync("ssh-keygen", ["-y", "-f", path.join(dir, "key")], { encoding: "utf8" }).trim().split(" ").slice(0, 2).join(" ");
        assert.equal(derived, pub);
        for (const gate of ["infra-hz-cp-1-ready", "infra-hz-cp-1-prepare"]) assert.equal((plain(gate).connection as Record<string, unknown>).hostKey, pub, `${gate} pins it`);
        // Secret values found in it beside user data documents themselves: only its own host key (both halves).
        const other = plan.secretValues.filter((v) => v.length > 8 && ud.includes(v) && !v.startsWith("#cloud-config") && !priv.includes(v.trim()) && v.trim() !== pub);
        assert.deepEqual(other, [], "no other secret in user data");
        assert.notEqual(String(plain("infra-hz-workers-1").userData), ud, "every server has its own key");
    });

    it("gives every server a readiness gate over SSH with bounded retries, that depends on the server", () => {
        const gates = ofType("command:remote:Command").filter((c) => c.name.endsWith("-ready"));
        assert.equal(gates.length, 13);
        const gate = named("infra-hz-workers-3-ready");
        assert.ok(gate.dependsOn.includes(named("infra-hz-workers-3").urn));
        assert.equal(gate.inputs.connection, "[secret]", "the provider keeps the connection secret");
        const conn = plain("infra-hz-workers-3-ready").connection as Record<string, unknown>;
        assert.equal(conn.user, "root");
        assert.equal(conn.dialErrorLimit, 20);
        assert.equal(conn.perDialTimeout, 10);
        assert.match(String(conn.host), /^203\.0\.113\.\d+$/);
        assert.equal(conn.proxy, undefined);
        assert.match(String(gate.inputs.create), /cloud-init status --wait/);
    });

    it("exports the nodes with public and private addresses", () => {
        const nodes = plan.outputs.nodes as { name: string; privateAddress: string; role: string }[];
        assert.equal(nodes.length, 13);
        assert.equal(nodes[0].role, "control-plane");
        for (const n of nodes) assert.match(n.privateAddress, /^10\.0\.1\.\d+$/);
        assert.equal(new Set(nodes.map((n) => n.privateAddress)).size, 13);
    });
});

describe("AWS pools", async () => {
    const threeZones = () =>
        awsConfig(
            [
                { name: "cp", provider: "aws", role: "control-plane", count: 3, instanceType: "t3.medium" },
                { name: "arm", provider: "aws", role: "worker", count: 1, instanceType: "m7g.large", rootVolumeGb: 100 },
                { name: "burst", provider: "aws", role: "worker", instanceType: "t3.large", autoscaling: { min: 0, desired: 1, max: 4 } },
            ],
            3,
        );
    const { plan, ofType, named, plain } = await planConfig(threeZones(), "aw");

    it("creates the VPC, a public subnet per looked-up zone, gateway, routes and associations", () => {
        assert.equal(named("infra-aw-aws-vpc").inputs.cidrBlock, "10.1.0.0/16");
        const subnets = ofType("aws:ec2/subnet:Subnet");
        assert.deepEqual(subnets.map((s) => [s.inputs.cidrBlock, s.inputs.availabilityZone]), [
            ["10.1.0.0/20", "us-east-1a"],
            ["10.1.16.0/20", "us-east-1b"],
            ["10.1.32.0/20", "us-east-1c"],
        ]);
        assert.ok(plan.lookups.some((l) => l.token === "aws:index/getAvailabilityZones:getAvailabilityZones"));
        assert.equal(ofType("aws:ec2/internetGateway:InternetGateway").length, 1);
        const rt = ofType("aws:ec2/routeTable:RouteTable")[0];
        assert.equal((rt.inputs.routes as { cidrBlock: string }[])[0].cidrBlock, "0.0.0.0/0");
        assert.equal(ofType("aws:ec2/routeTableAssociation:RouteTableAssociation").length, 3);
    });

    it("builds one security group from the port table", () => {
        const sgs = ofType("aws:ec2/securityGroup:SecurityGroup").filter((r) => r.name === "infra-aw-aws-nodes");
        assert.equal(sgs.length, 1);
        const ingress = sgs[0].inputs.ingress as { fromPort: number; self?: boolean; cidrBlocks?: string[] }[];
        assert.deepEqual(ingress.find((r) => r.fromPort === 2379), { protocol: "tcp", fromPort: 2379, toPort: 2380, self: true, description: "etcd between nodes" });
        assert.ok(ingress.every((r) => !(r.cidrBlocks ?? []).includes("0.0.0.0/0")));
    });

    it("looks the Ubuntu AMI up by Canonical's owner and a name pattern, per architecture", () => {
        const amis = plan.lookups.filter((l) => l.token === "aws:ec2/getAmi:getAmi");
        assert.equal(amis.length, 3);
        for (const a of amis) assert.deepEqual(a.args.owners, ["099720109477"]);
        const patterns = amis.map((a) => (a.args.filters as { name: string; values: string[] }[]).find((f) => f.name === "name")!.values[0]);
        assert.ok(patterns.includes("ubuntu/images/hvm-ssd*/ubuntu-noble-24.04-arm64-server-*"), "Graviton gets arm64");
        assert.ok(patterns.includes("ubuntu/images/hvm-ssd*/ubuntu-noble-24.04-amd64-server-*"));
    });

    it("creates instances with encrypted gp3 root volumes, IMDSv2, spread over the subnets", () => {
        const inst = ofType("aws:ec2/instance:Instance");
        assert.deepEqual(inst.map((i) => i.name).sort(), ["infra-aw-arm-1", "infra-aw-cp-1", "infra-aw-cp-2", "infra-aw-cp-3"]);
        const arm = named("infra-aw-arm-1");
        assert.deepEqual(arm.inputs.rootBlockDevice, { volumeType: "gp3", volumeSize: 100, encrypted: true, deleteOnTermination: true });
        assert.equal((arm.inputs.metadataOptions as { httpTokens: string }).httpTokens, "required");
        assert.deepEqual(named("infra-aw-cp-1").inputs.tags, {
            cluster: "infra-aw",
            environment: "dev",
            "managed-by": "pulumi",
            "kubernetes.io/cluster/infra-aw": "owned",
            pool: "cp",
            role: "control-plane",
            Name: "infra-aw-cp-1",
        });
        assert.equal(new Set(["infra-aw-cp-1", "infra-aw-cp-2", "infra-aw-cp-3"].map((n) => named(n).inputs.subnetId)).size, 3);
        assert.deepEqual(named("infra-aw-cp-1").ignoreChanges, ["ami", "userData"]);
    });

    it("an autoscaling pool is a launch template and an auto scaling group, with no fixed nodes", () => {
        const asg = named("infra-aw-burst-asg");
        assert.equal(asg.type, "aws:autoscaling/group:Group");
        assert.deepEqual([asg.inputs.minSize, asg.inputs.desiredCapacity, asg.inputs.maxSize], [0, 1, 4]);
        assert.equal((asg.inputs.vpcZoneIdentifiers as string[]).length, 3);
        assert.ok(asg.dependsOn.includes(named("infra-aw-burst-template").urn));
        const lt = named("infra-aw-burst-template");
        assert.equal(lt.inputs.instanceType, "t3.large");
        assert.ok(!ofType("command:remote:Command").some((c) => c.name.startsWith("infra-aw-burst")));
    });

    it("reaches instances as the AMI's ubuntu user, with a readiness gate each", () => {
        assert.equal(ofType("command:remote:Command").filter((c) => c.name.endsWith("-ready")).length, 4);
        assert.equal((plain("infra-aw-cp-2-ready").connection as { user: string }).user, "ubuntu");
    });

    it("uses an existing VPC and subnets instead of creating them", async () => {
        const c = threeZones();
        c["infra:aws"] = { existingVpc: { vpcId: "vpc-0abc12345def67890", subnetIds: ["subnet-0aaa1111", "subnet-0bbb2222"] } };
        const p = await planConfig(c, "awx");
        assert.equal(p.ofType("aws:ec2/vpc:Vpc").length, 0);
        assert.equal(p.ofType("aws:ec2/subnet:Subnet").length, 0);
        assert.equal(p.ofType("aws:ec2/internetGateway:InternetGateway").length, 0);
        assert.equal(p.ofType("aws:ec2/securityGroup:SecurityGroup")[0].inputs.vpcId, "vpc-0abc12345def67890");
        assert.equal(p.named("infra-awx-cp-2").inputs.subnetId, "subnet-0bbb2222");
    });
});

describe("on-prem pools", async () => {
    const c = withConfig((cfg) => {
        cfg["infra:ssh"].bastion = { host: "bastion.acme.example", user: "ops" };
        cfg["infra:pools"] = [
            {
                name: "cp",
                provider: "vmware",
                role: "control-plane",
                nodes: [{ name: "k8s-cp-1", address: "192.168.18.201", user: "ubuntu" }],
            },
            {
                name: "metal",
                provider: "static",
                role: "worker",
                labels: { "node.acme/disk": "nvme" },
                nodes: [{ name: "metal-1", address: "metal-1.acme.internal", privateAddress: "192.168.18.210", user: "admin", port: 2222 }],
            },
        ];
        delete cfg["hcloud:token"];
    });
    const { plan, named, plain } = await planConfig(c, "op");

    it("creates nothing in a cloud: only a readiness gate per listed machine", () => {
        const pools = new Set([named("infra-op-cp").urn, named("infra-op-metal").urn]);
        assert.equal(plan.resources.filter((r) => /^(hcloud|aws):/.test(r.type)).length, 0);
        assert.deepEqual(
            plan.resources.filter((r) => r.parent && pools.has(r.parent)).map((r) => `${r.type} ${r.name}`).sort(),
            ["command:remote:Command k8s-cp-1-ready", "command:remote:Command metal-1-ready"],
        );
        assert.equal(named("infra-op-cp").type, "infra:nodes:VmwarePool");
        assert.equal(named("infra-op-metal").type, "infra:nodes:StaticPool");
        assert.equal(named("k8s-cp-1-ready").parent, named("infra-op-cp").urn);
    });

    it("reaches each machine as its own user and port, through the bastion, with bounded retries", () => {
        const conn = plain("metal-1-ready").connection as Record<string, unknown>;
        assert.deepEqual(conn, {
            host: "metal-1.acme.internal",
            port: 2222,
            user: "admin",
            privateKey: Object.values(plan.file.placeholders).find((p) => conn.privateKey === p),
            dialErrorLimit: 20,
            perDialTimeout: 10,
            proxy: {
                host: "bastion.acme.example",
                port: 22,
                user: "ops",
                privateKey: conn.privateKey,
                dialErrorLimit: 20,
                perDialTimeout: 10,
            },
        });
        assert.ok(conn.privateKey, "the key is the stack's secret");
    });

    it("uses the private address as the node IP", () => {
        const nodes = plan.outputs.nodes as { name: string; privateAddress: string; publicAddress: string }[];
        assert.deepEqual(nodes.find((n) => n.name === "metal-1"), {
            name: "metal-1",
            pool: "metal",
            provider: "static",
            role: "worker",
            publicAddress: "metal-1.acme.internal",
            privateAddress: "192.168.18.210",
        });
    });
});
