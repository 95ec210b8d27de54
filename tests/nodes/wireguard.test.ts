/**
 * wireguardPublicKey derives each node's mesh public key from the private key the program keeps
 * secret: its peers only accept the node if the key is exactly what `wg pubkey` would print
 * (X25519 of RFC 7748, base64).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { wireguardPublicKey } from "../../infra/nodes/mesh";

/** The public key of a raw X25519 private key, by openssl (the oracle; .ci/run installs it). */
function opensslPublicKey(privateKey: Buffer): string {
    const pkcs8 = Buffer.concat([Buffer.from("302e020100300506032b656e04220420", "hex"), privateKey]);
    const r = spawnSync("openssl", ["pkey", "-inform", "DER", "-pubout", "-outform", "DER"], { input: pkcs8 });
    assert.equal(r.error, undefined, "openssl must be installed (.ci/run installs it)");
    assert.equal(r.status, 0, String(r.stderr));
    return r.stdout.subarray(-32).toString("base64");
}

describe("wireguardPublicKey", () => {
    // RFC 7748 section 6.1 (Alice's and Bob's key pairs), hex converted to base64.
    const RFC7748: [who: string, privateKey: string, publicKey: string][] = [
        ["Alice", "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=", "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo="],
        ["Bob", "XasIfmJKikt54X+Lg4AO5m87sSkmGLb9HC+LJ/+I4Os=", "3p7bfXt9wbTTW2HC7OQ1Nz+DQ8hbeGdNrfx+FG+IK08="],
    ];
    for (const [who, priv, pub] of RFC7748) {
        it(`RFC 7748 test vector: ${who}`, () => assert.equal(wireguardPublicKey(priv), pub));
    }

    it("agrees with openssl on random keys", () => {
        for (let i = 0; i < 8; i++) {
            const key = randomBytes(32);
            assert.equal(wireguardPublicKey(key.toString("base64")), opensslPublicKey(key), key.toString("base64"));
        }
    });

    it("clamps like `wg`: a key before and after `wg genkey`'s clamping has one public key", () => {
        const raw = Buffer.from("dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=", "base64");
        const clamped = Buffer.from(raw);
        clamped[0] &= 248;
        clamped[31] = (clamped[31] & 127) | 64;
        assert.notDeepEqual(clamped, raw);
        assert.equal(wireguardPublicKey(clamped.toString("base64")), "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=");
    });

    it("prints a 44-character key, as in a WireGuard config", () => {
        assert.match(wireguardPublicKey(randomBytes(32).toString("base64")), /^[A-Za-z0-9+/]{43}=$/);
    });

    it("refuses anything but 32 bytes", () => {
        for (const bad of ["", randomBytes(31).toString("base64"), randomBytes(33).toString("base64"), "not a key"]) {
            assert.throws(() => wireguardPublicKey(bad), /^Error: a WireGuard private key is 32 bytes$/, JSON.stringify(bad));
        }
    });
});
