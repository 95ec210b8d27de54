/**
 * The admin kubeconfig is revocable and short-lived: its client certificate is in the group kubeadm
 * binds to cluster-admin through RBAC (kubeadm:cluster-admins), not system:masters (which bypasses
 * RBAC and cannot be taken away), valid 90 days and re-issued by any `pulumi up` in the last 30.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ADMIN_CERT } from "../../infra/bootstrap/pki";
import { planStack } from "../../tools/plan";

describe("admin kubeconfig", () => {
    it("prod: a certificate in kubeadm:cluster-admins, 90 days, renewed in the last 30", async () => {
        const plan = await planStack("prod");
        const csr = plan.resources.find((r) => r.type === "tls:index/certRequest:CertRequest" && r.name.endsWith("-admin"))!;
        assert.deepEqual(csr.inputs.subject, { commonName: "infra-admin", organization: "kubeadm:cluster-admins" });
        const cert = plan.resources.find((r) => r.type === "tls:index/locallySignedCert:LocallySignedCert" && r.name.endsWith("-admin"))!;
        assert.equal(cert.inputs.validityPeriodHours, 2160);
        assert.equal(cert.inputs.earlyRenewalHours, 720);
        assert.deepEqual(cert.inputs.allowedUses, ["digital_signature", "key_encipherment", "client_auth"]);
        assert.equal(ADMIN_CERT.group, "kubeadm:cluster-admins");
        assert.ok(!JSON.stringify(plan.resources.map((r) => r.inputs)).includes("system:masters"), "nothing the program issues is in system:masters");
        // A re-issued certificate changes the kubeconfig: with a stable clusterIdentifier the provider is updated, not
        // replaced with everything it made (pulumi-kubernetes DiffConfig).
        const provider = plan.resources.find((r) => r.type === "pulumi:providers:kubernetes" && r.name.endsWith("-k8s"))!;
        assert.equal(provider.inputs.clusterIdentifier, String(plan.outputs.clusterName));
    });
});
