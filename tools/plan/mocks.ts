/**
 * What the cloud would answer, for the offline plan: ids, addresses and command output that look
 * like the real thing, derived from the resource's name so that two plans of the same config are
 * identical (the plan diff relies on it). Documentation address ranges only (RFC 5737).
 */
import { createHash, createPrivateKey, createPublicKey } from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";

function hashInt(seed: string, mod: number): number {
    return createHash("sha256").update(seed).digest().readUInt32BE(0) % mod;
}
function hex(seed: string, len: number): string {
    let out = "";
    for (let i = 0; out.length < len; i++) out += createHash("sha256").update(`${seed}#${i}`).digest("hex");
    return out.slice(0, len);
}
/** A PEM block of the right shape whose body is not a real certificate (offline, nothing is signed). */
function fakePem(label: string, seed: string): string {
    const body = Buffer.from(`plan:${label}:${seed}:${hex(seed, 64)}`).toString("base64").replace(/(.{64})/g, "$1\n");
    return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}

/** A public address in TEST-NET-3, stable per name. */
export function publicIp(seed: string): string {
    return `203.0.113.${1 + hashInt(`pub:${seed}`, 254)}`;
}

/** Addresses handed out per subnet, in order of registration, like a DHCP-less cloud does. */
class Allocator {
    private next = new Map<string, number>();
    private ranges = new Map<string, string>();
    remember(key: string, cidr: string): void {
        this.ranges.set(key, cidr);
    }
    rangeOf(key: string): string | undefined {
        return this.ranges.get(key);
    }
    address(cidr: string): string {
        const [base] = cidr.split("/");
        const octets = base.split(".").map(Number);
        const n = (this.next.get(cidr) ?? 1) + 1;
        this.next.set(cidr, n);
        const host = octets[3] + n;
        return `${octets[0]}.${octets[1]}.${octets[2] + Math.floor(host / 256)}.${host % 256}`;
    }
}

/** An OpenSSH wire string: length-prefixed bytes. */
function sshString(b: Buffer | string): Buffer {
    const data = typeof b === "string" ? Buffer.from(b) : b;
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    return Buffer.concat([len, data]);
}
const ed25519Blob = (pub: Buffer) => Buffer.concat([sshString("ssh-ed25519"), sshString(pub)]);

/** An unencrypted openssh-key-v1 private key (OpenSSH's PROTOCOL.key), as the tls provider writes it. */
function opensshPrivateKey(priv: Buffer, pub: Buffer, name: string): string {
    const check = createHash("sha256").update(name).digest().subarray(0, 4);
    let section = Buffer.concat([check, check, sshString("ssh-ed25519"), sshString(pub), sshString(Buffer.concat([priv, pub])), sshString("")]);
    for (let i = 1; section.length % 8 !== 0; i++) section = Buffer.concat([section, Buffer.from([i])]);
    const one = Buffer.alloc(4);
    one.writeUInt32BE(1);
    const body = Buffer.concat([Buffer.from("openssh-key-v1\0"), sshString("none"), sshString("none"), sshString(""), one, sshString(ed25519Blob(pub)), sshString(section)]);
    const lines = body.toString("base64").match(/.{1,70}/g)!.join("\n");
    return `-----BEGIN OPENSSH PRIVATE KEY-----\n${lines}\n-----END OPENSSH PRIVATE KEY-----\n`;
}

type State = Record<string, unknown>;
type Outputs = (name: string, inputs: State, alloc: Allocator) => State;

const RESOURCE_OUTPUTS: Record<string, Outputs> = {
    "hcloud:index/server:Server": (name, inputs, alloc) => {
        const nets = (inputs.networks as { ip?: string; networkId?: unknown }[] | undefined) ?? [];
        return {
            ipv4Address: publicIp(name),
            ipv6Address: `2001:db8:${hex(name, 4)}::1`,
            status: "running",
            networks: nets.map((n) => ({ ...n, ip: n.ip ?? alloc.address(alloc.rangeOf(`hcloud-network:${String(n.networkId)}`) ?? "10.0.1.0/24") })),
        };
    },
    "hcloud:index/networkSubnet:NetworkSubnet": (_n, inputs, alloc) => {
        alloc.remember(`hcloud-network:${String(inputs.networkId)}`, String(inputs.ipRange));
        return {};
    },
    "aws:ec2/subnet:Subnet": (name, inputs, alloc) => {
        alloc.remember(`aws-subnet:${ID_PREFIX["aws:ec2/subnet:Subnet"]}${hex(name, 17)}`, String(inputs.cidrBlock));
        return {};
    },
    "hcloud:index/loadBalancer:LoadBalancer": (name) => ({ ipv4: publicIp(name), ipv6: `2001:db8:${hex(name, 4)}::2` }),
    "hcloud:index/sshKey:SshKey": (name) => ({ fingerprint: hex(name, 32).replace(/(..)(?!$)/g, "$1:") }),
    "aws:ec2/instance:Instance": (name, inputs, alloc) => ({
        publicIp: publicIp(name),
        privateIp: inputs.privateIp ?? alloc.address(alloc.rangeOf(`aws-subnet:${String(inputs.subnetId)}`) ?? "10.1.0.0/20"),
        arn: `arn:aws:ec2:eu-central-1:123456789012:instance/i-${hex(name, 17)}`,
        instanceState: "running",
    }),
    "aws:ec2/vpc:Vpc": (name) => ({ arn: `arn:aws:ec2:eu-central-1:123456789012:vpc/vpc-${hex(name, 17)}` }),
    "aws:lb/loadBalancer:LoadBalancer": (name) => ({
        dnsName: `${name}-${hex(name, 8)}.elb.eu-central-1.amazonaws.com`,
        arn: `arn:aws:elasticloadbalancing:eu-central-1:123456789012:loadbalancer/net/${name}/${hex(name, 16)}`,
    }),
    "random:index/randomPassword:RandomPassword": (name, inputs) => ({ result: hex(`pw:${name}`, Number(inputs.length ?? 32)) }),
    "random:index/randomBytes:RandomBytes": (name, inputs) => ({
        base64: Buffer.from(hex(`b:${name}`, Number(inputs.length ?? 32) * 2), "hex").toString("base64"),
        hex: hex(`b:${name}`, Number(inputs.length ?? 32) * 2),
    }),
    // New keepers draw a new value, as the provider does (a replacement).
    "random:index/randomString:RandomString": (name, inputs) => ({ result: hex(inputs.keepers ? `s:${name}:${JSON.stringify(inputs.keepers)}` : `s:${name}`, Number(inputs.length ?? 16)) }),
    "tls:index/privateKey:PrivateKey": (name) => {
        // A real key pair, so that what the program derives from it (the CA hash) is computed for
        // real; Ed25519 from a seed derived from the name, so two plans of a config agree.
        const seed = createHash("sha256").update(`key:${name}`).digest().toString("base64url");
        const privateKey = createPrivateKey({ key: { kty: "OKP", crv: "Ed25519", d: seed, x: "" }, format: "jwk" });
        const publicKey = createPublicKey(privateKey);
        const jwk = privateKey.export({ format: "jwk" });
        const [priv, pub] = [Buffer.from(jwk.d!, "base64url"), Buffer.from(jwk.x!, "base64url")];
        return {
            privateKeyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
            publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
            // As the provider: `ssh-ed25519 <base64>\n` and the openssh-key-v1 PEM (PROTOCOL.key).
            publicKeyOpenssh: `ssh-ed25519 ${ed25519Blob(pub).toString("base64")}\n`,
            privateKeyOpenssh: opensshPrivateKey(priv, pub, name),
        };
    },
    "tls:index/selfSignedCert:SelfSignedCert": (name) => ({ certPem: fakePem("CERTIFICATE", name) }),
    "tls:index/locallySignedCert:LocallySignedCert": (name) => ({ certPem: fakePem("CERTIFICATE", name) }),
    "tls:index/certRequest:CertRequest": (name) => ({ certRequestPem: fakePem("CERTIFICATE REQUEST", name) }),
    "hcloud:index/loadBalancerNetwork:LoadBalancerNetwork": (_n, inputs, alloc) => ({
        ip: inputs.ip ?? alloc.address(alloc.rangeOf(`hcloud-network:${String(inputs.networkId)}`) ?? "10.0.1.0/24"),
    }),
    "command:remote:Command": (name) => ({ stdout: `${name}: done`, stderr: "" }),
    "command:local:Command": (name) => ({ stdout: `${name}: done`, stderr: "" }),
};

const ID_PREFIX: Record<string, string> = {
    "aws:ec2/vpc:Vpc": "vpc-",
    "aws:ec2/subnet:Subnet": "subnet-",
    "aws:ec2/internetGateway:InternetGateway": "igw-",
    "aws:ec2/routeTable:RouteTable": "rtb-",
    "aws:ec2/securityGroup:SecurityGroup": "sg-",
    "aws:ec2/instance:Instance": "i-",
    "aws:ec2/launchTemplate:LaunchTemplate": "lt-",
    "aws:ec2/keyPair:KeyPair": "key-",
};

const CALL_RESULTS: Record<string, (inputs: State, region: string) => State> = {
    "aws:index/getAvailabilityZones:getAvailabilityZones": (_i, region) => ({
        names: ["a", "b", "c"].map((z) => `${region}${z}`),
        zoneIds: ["az1", "az2", "az3"].map((z) => `${region}-${z}`),
        id: region,
    }),
    "aws:ec2/getAmi:getAmi": (inputs) => ({
        id: `ami-${hex(JSON.stringify(inputs.filters ?? ""), 17)}`,
        name: "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20261101",
        architecture: "x86_64",
    }),
    "aws:index/getRegion:getRegion": (_i, region) => ({ name: region, region, id: region }),
    "aws:index/getCallerIdentity:getCallerIdentity": () => ({ accountId: "123456789012", arn: "arn:aws:iam::123456789012:user/plan", userId: "AIDPLAN" }),
};

/** Outputs a base cluster stack exports, as a StackReference would read them (burst stacks). */
export interface StackReferenceOutputs {
    readonly outputs: Record<string, unknown>;
    /** Names of the outputs that are secret. */
    readonly secretOutputNames: string[];
}

export function createMocks(stackReferences: Record<string, StackReferenceOutputs> = {}, awsRegion = "eu-central-1"): pulumi.runtime.Mocks {
    const alloc = new Allocator();
    return {
        newResource(args: pulumi.runtime.MockResourceArgs): { id: string; state: State } {
            if (args.type === "pulumi:pulumi:StackReference") {
                const name = String(args.inputs.name ?? args.name);
                const ref = stackReferences[name];
                return { id: name, state: { ...args.inputs, name, outputs: ref?.outputs ?? {}, secretOutputNames: ref?.secretOutputNames ?? [] } };
            }
            const extra = RESOURCE_OUTPUTS[args.type]?.(args.name, args.inputs, alloc) ?? {};
            const id = args.custom === false ? "" : `${ID_PREFIX[args.type] ?? ""}${ID_PREFIX[args.type] ? hex(args.name, 17) : String(1_000_000 + hashInt(`${args.type}:${args.name}`, 9_000_000))}`;
            return { id, state: { ...args.inputs, ...extra } };
        },
        call(args: pulumi.runtime.MockCallArgs): State {
            const f = CALL_RESULTS[args.token];
            if (!f) throw new Error(`the offline plan has no mock for the function ${args.token}`);
            return f(args.inputs, awsRegion);
        },
    };
}
