/** kubeadm's discovery hash: SHA-256 of the CA's DER-encoded SubjectPublicKeyInfo. */
import { createHash, createPublicKey } from "node:crypto";

export function caCertHash(caPublicKeyPem: string): string {
    const der = createPublicKey(caPublicKeyPem).export({ type: "spki", format: "der" });
    return `sha256:${createHash("sha256").update(der).digest("hex")}`;
}
