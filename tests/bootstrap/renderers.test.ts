/**
 * Pure renderers of the bootstrap: kubeadm configuration (snapshots of the dev and prod stacks,
 * as the nodes receive them), the CA hash (checked against openssl, as kubeadm's docs compute
 * it), the kubeconfig and the bundle format.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import * as YAML from "yaml";
import { caCertHash } from "../../infra/bootstrap/ca-hash";
import { renderKubeconfig } from "../../infra/bootstrap/kubeconfig";
import { parseBundle, renderBundle } from "../../infra/bootstrap/remote";
import { planStack } from "../../tools/plan";

const SNAPSHOTS = path.join(__dirname, "snapshots");

/** Compares with the stored snapshot; `UPDATE_SNAPSHOTS=1 npm test` rewrites it. */
function matchSnapshot(name: string, actual: string): void {
    const file = path.join(SNAPSHOTS, name);
    if (process.env.UPDATE_SNAPSHOTS === "1") fs.writeFileSync(file, actual);
    assert.ok(fs.existsSync(file), `no snapshot ${name} yet: run UPDATE_SNAPSHOTS=1 npm test and review it`);
    assert.equal(actual, fs.readFileSync(file, "utf8"), `snapshot ${name} differs (UPDATE_SNAPSHOTS=1 to accept)`);
}

const bundleFiles = parseBundle;

describe("kubeadm configuration of the example stacks", () => {
    for (const stack of ["dev", "prod"]) {
        it(`${stack}: init configuration (snapshot)`, async () => {
            const plan = await planStack(stack);
            const init = plan.resources.find((r) => r.name.endsWith("-init"))!;
            const files = bundleFiles(String(plan.plainInputs.get(init.urn)!.stdin));
            const config = files.get("/etc/kubernetes/infra/kubeadm-init.yaml")!;
            matchSnapshot(`${stack}-kubeadm-init.yaml`, config);
            const [initCfg, clusterCfg, kubelet] = YAML.parseAllDocuments(config).map((d) => d.toJS());
            assert.equal(initCfg.kind, "InitConfiguration");
            assert.equal(clusterCfg.kubernetesVersion, "v1.35.9");
            assert.equal(clusterCfg.networking.podSubnet, "10.244.0.0/16");
            assert.equal(kubelet.cgroupDriver, "systemd");
            // init's token is the one the join-token step keeps on the cluster (no other copy on disk).
            const tokenStep = plan.resources.find((r) => r.name.endsWith("-join-token"))!;
            assert.equal(initCfg.bootstrapTokens[0].token, plan.plainInputs.get(tokenStep.urn)!.stdin);
            assert.equal(files.get("/etc/kubernetes/infra/bootstrap-token"), undefined);
            for (const f of ["ca.crt", "ca.key", "sa.key", "sa.pub", "front-proxy-ca.crt", "front-proxy-ca.key", "etcd/ca.crt", "etcd/ca.key"])
                assert.ok(files.has(`/etc/kubernetes/pki/${f}`), f);
        });
    }

    it("prod: HA behind the configured endpoint, certificate SANs for every control plane", async () => {
        const plan = await planStack("prod");
        const init = plan.resources.find((r) => r.name === "k8s-cp-1-init")!;
        const config = bundleFiles(String(plan.plainInputs.get(init.urn)!.stdin)).get("/etc/kubernetes/infra/kubeadm-init.yaml")!;
        const cluster = YAML.parseAllDocuments(config)[1].toJS();
        assert.equal(cluster.controlPlaneEndpoint, "k8s-api.acme.internal:6443");
        // Each control plane by its site address and its mesh address.
        assert.deepEqual(cluster.apiServer.certSANs, ["k8s-api.acme.internal", "192.168.18.201", "10.200.0.1", "192.168.18.204", "10.200.0.2", "192.168.18.205", "10.200.0.3"]);
        const join = plan.resources.find((r) => r.name === "k8s-cp-2-join")!;
        const joinFiles = bundleFiles(String(plan.plainInputs.get(join.urn)!.stdin));
        const joinCfg = YAML.parse(joinFiles.get("/etc/kubernetes/infra/kubeadm-join.yaml")!);
        assert.equal(joinCfg.discovery.bootstrapToken.apiServerEndpoint, "k8s-api.acme.internal:6443");
        assert.match(joinCfg.discovery.bootstrapToken.caCertHashes[0], /^sha256:[0-9a-f]{64}$/);
        assert.deepEqual(joinCfg.controlPlane, { localAPIEndpoint: { advertiseAddress: "10.200.0.2", bindPort: 6443 } }, "control planes talk over the mesh");
        assert.ok(joinFiles.has("/etc/kubernetes/pki/ca.key"), "control planes get the shared CAs");
        const worker = plan.resources.find((r) => r.name === "k8s-worker-1-join")!;
        const workerFiles = bundleFiles(String(plan.plainInputs.get(worker.urn)!.stdin));
        assert.deepEqual([...workerFiles.keys()], ["/etc/kubernetes/infra/kubeadm-join.yaml"], "workers get no CA key");
        matchSnapshot("prod-kubeadm-join-worker.yaml", workerFiles.get("/etc/kubernetes/infra/kubeadm-join.yaml")!.replace(/sha256:[0-9a-f]{64}/, "sha256:<ca hash>"));
    });
});

describe("Secrets encrypted at rest in etcd", () => {
    it("the API server reads an encryption configuration whose key the program generated and keeps secret", async () => {
        const plan = await planStack("dev");
        const init = plan.resources.find((r) => r.name.endsWith("-init"))!;
        const files = bundleFiles(String(plan.plainInputs.get(init.urn)!.stdin));
        const cluster = YAML.parseAllDocuments(files.get("/etc/kubernetes/infra/kubeadm-init.yaml")!)[1].toJS();
        assert.deepEqual(cluster.apiServer.extraArgs, [{ name: "encryption-provider-config", value: "/etc/kubernetes/encryption/config.yaml" }]);
        assert.equal(cluster.apiServer.extraVolumes[0].hostPath, "/etc/kubernetes/encryption");
        const enc = YAML.parse(files.get("/etc/kubernetes/encryption/config.yaml")!);
        assert.equal(enc.kind, "EncryptionConfiguration");
        assert.deepEqual(enc.resources[0].resources, ["secrets"]);
        const key = enc.resources[0].providers[0].aescbc.keys[0].secret as string;
        assert.equal(Buffer.from(key, "base64").length, 32, "an AES-256 key");
        assert.deepEqual(enc.resources[0].providers[1], { identity: {} }, "Secrets written before encryption stay readable");
        assert.equal(init.inputs.stdin, "[secret]", "it travels only in the secret bundle");
        const keyResource = plan.resources.find((r) => r.type === "random:index/randomBytes:RandomBytes" && r.name.endsWith("-etcd-encryption-key"))!;
        assert.ok(keyResource.additionalSecretOutputs.includes("base64"), "the generated key is a secret output");
        assert.ok(!JSON.stringify(plan.resources).includes(key), "and visible nowhere in the plan");
    });
});

describe("the CA hash", () => {
    it("equals openssl's SHA-256 of the DER public key, as kubeadm documents it", () => {
        for (const type of ["rsa", "ec"] as const) {
            const { publicKey } = type === "rsa" ? generateKeyPairSync("rsa", { modulusLength: 2048 }) : generateKeyPairSync("ec", { namedCurve: "P-256" });
            const pem = publicKey.export({ type: "spki", format: "pem" }).toString();
            const der = execFileSync("openssl", ["pkey", "-pubin", "-outform", "der"], { input: pem });
            const expected = execFileSync("openssl", ["dgst", "-sha256", "-hex"], { input: der }).toString().trim().split(" ").pop();
            assert.equal(caCertHash(pem), `sha256:${expected}`);
        }
    });
});

describe("the admin kubeconfig", () => {
    it("points at the server and embeds the CA and client credentials", () => {
        const k = YAML.parse(renderKubeconfig({ clusterName: "acme", server: "https://203.0.113.5:6443", caCertPem: "CA", clientCertPem: "CERT", clientKeyPem: "KEY" }));
        assert.equal(k["current-context"], "acme");
        assert.equal(k.clusters[0].cluster.server, "https://203.0.113.5:6443");
        assert.equal(Buffer.from(k.clusters[0].cluster["certificate-authority-data"], "base64").toString(), "CA");
        assert.equal(Buffer.from(k.users[0].user["client-key-data"], "base64").toString(), "KEY");
        assert.deepEqual(k.contexts[0], { name: "acme", context: { cluster: "acme", user: "acme-admin" } });
    });
});

describe("the secret bundle", () => {
    it("is one PATH MODE BASE64 line per file", () => {
        assert.equal(renderBundle([{ path: "/etc/kubernetes/a", mode: "0600", content: "x y\n" }]), `/etc/kubernetes/a 0600 ${Buffer.from("x y\n").toString("base64")}\n`);
    });
    it("refuses paths outside /etc/kubernetes and odd modes", () => {
        assert.throws(() => renderBundle([{ path: "/root/.ssh/authorized_keys", mode: "0600", content: "" }]), /outside \/etc\/kubernetes/);
        assert.throws(() => renderBundle([{ path: "/etc/kubernetes/a b", mode: "0600", content: "" }]), /outside \/etc\/kubernetes/);
        assert.throws(() => renderBundle([{ path: "/etc/kubernetes/a", mode: "777", content: "" }]), /not octal/);
    });
});
