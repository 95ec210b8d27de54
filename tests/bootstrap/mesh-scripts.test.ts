/**
 * The mesh's node-side steps under the fake root: the API's name resolves on the node
 * (prepare, API_NAME), nodes that left are drained before peers change (mesh-leave), and a
 * running node's mesh address never moves (mesh-sync).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { composeScript, renderBundle, SCRIPTS } from "../../infra/bootstrap/remote";
import { fakeNode, mutating, UBUNTU } from "./fake-node";

describe("prepare.sh with API_NAME", () => {
    const script = composeScript(SCRIPTS.prepare, {
        K8S_VERSION: "1.35.9",
        CONTAINERD_VERSION: "2.1.5",
        NODE_IP: "10.0.1.3",
        ROLE: "worker",
        API_NAME: "k8s-api.acme.internal",
        API_ADDRESSES: "10.200.0.1 10.200.0.2 10.200.0.3",
    });
    it("maps the API's name to every control plane's mesh address in /etc/hosts, keeping the rest, once", () => {
        const node = fakeNode(UBUNTU);
        node.write("etc/hosts", "127.0.0.1 localhost\n10.200.0.9 k8s-api.acme.internal # infra: API endpoint\n");
        const r = node.run(script);
        assert.equal(r.status, 0, r.stderr);
        assert.equal(
            node.read("etc/hosts"),
            "127.0.0.1 localhost\n10.200.0.1 k8s-api.acme.internal # infra: API endpoint\n10.200.0.2 k8s-api.acme.internal # infra: API endpoint\n10.200.0.3 k8s-api.acme.internal # infra: API endpoint\n",
        );
        const again = node.run(script);
        assert.equal(again.status, 0, again.stderr);
        assert.equal(node.read("etc/hosts").split("\n").filter((l) => l.includes("k8s-api")).length, 3);
    });
});

describe("mesh-leave.sh", () => {
    const leave = (members: string) => composeScript(SCRIPTS.meshLeave, { LIST: "cluster", MEMBERS: members });
    it("drains the nodes that left the member list since the last run, then remembers the new list", () => {
        const node = fakeNode(UBUNTU);
        node.write("etc/kubernetes/admin.conf", "conf");
        for (const n of ["w-1", "w-2"]) node.set(`k8s/node-${n}`, "True");
        assert.equal(node.run(leave("w-1 w-2")).status, 0);
        const r = node.run(leave("w-1"));
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(mutating(r.calls), ["kubectl drain w-2 --ignore-daemonsets --delete-emptydir-data --timeout=300s", "kubectl delete node w-2 --wait=true --timeout=120s"]);
        assert.ok(!r.calls.some((c) => /\bw-1\b/.test(c)), "the nodes that stay are not touched");
        assert.deepEqual(mutating(node.run(leave("w-1")).calls), [], "a second run drains nothing");
    });
});

describe("mesh-sync.sh", () => {
    const conf = (address: string) => renderBundle([{ path: "/etc/wireguard/wg0.base.conf", mode: "0600", content: `[Interface]\nAddress = ${address}/16\nListenPort = 51820\nPrivateKey = a2V5\n` }]);
    it("refuses to move a running node's mesh address, before writing anything", () => {
        const node = fakeNode(UBUNTU);
        assert.equal(node.run(composeScript(SCRIPTS.meshSync, { MESH_ADDRESS: "10.200.0.1" }), { stdin: conf("10.200.0.1") }).status, 0);
        node.write("var/lib/infra/joined", "");
        const r = node.run(composeScript(SCRIPTS.meshSync, { MESH_ADDRESS: "10.200.1.1" }), { stdin: conf("10.200.1.1") });
        assert.equal(r.status, 1);
        assert.match(r.stderr, /mesh-sync: error: this node's mesh address would move from 10\.200\.0\.1 to 10\.200\.1\.1/);
        assert.match(node.read("etc/wireguard/wg0.base.conf"), /^Address = 10\.200\.0\.1\/16$/m);
    });
});
