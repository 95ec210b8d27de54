/**
 * The control-plane virtual IP (issue 17): kube-vip's static pod, rendered by a pure function and
 * validated against the Pod schema; the address validated; the first control plane's init and the
 * control-plane joins carry the pod (super-admin.conf during init, kube-vip#684), and kubeadm's
 * endpoint and certificate SANs are the address.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as YAML from "yaml";
import { KUBE_VIP_IMAGE, KUBE_VIP_MANIFEST, kubeVipPod } from "../../infra/bootstrap/kube-vip";
import { parseBundle } from "../../infra/bootstrap/remote";
import { planStack } from "../../tools/plan";
import { problems, withConfig } from "../helpers";

const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFM0gR4mttgRCjdZKUw53gJXIY1fCbcKXn0nU51HRpSh";

describe("kube-vip's static pod", () => {
    it("validates as a Pod, pinned, ARP for the control plane only, the kubeconfig a file", async () => {
        const { Pod } = (await import("kubernetes-models/v1")) as unknown as { Pod: new (o: object) => { validate(): void } };
        for (const kubeconfig of ["admin.conf", "super-admin.conf"] as const) {
            const pod = kubeVipPod({ address: "192.168.18.200", interface: "ens192", kubeconfig });
            new Pod(pod as object).validate();
            const c = (pod.spec as any).containers[0];
            assert.equal(c.image, KUBE_VIP_IMAGE);
            assert.match(KUBE_VIP_IMAGE, /:v\d+\.\d+\.\d+$/);
            const env = Object.fromEntries(c.env.filter((e: any) => "value" in e).map((e: any) => [e.name, e.value]));
            assert.deepEqual(
                { address: env.address, vip_interface: env.vip_interface, vip_arp: env.vip_arp, cp_enable: env.cp_enable, svc_enable: env.svc_enable, vip_leaderelection: env.vip_leaderelection },
                { address: "192.168.18.200", vip_interface: "ens192", vip_arp: "true", cp_enable: "true", svc_enable: "false", vip_leaderelection: "true" },
            );
            assert.deepEqual((pod.spec as any).volumes, [{ name: "kubeconfig", hostPath: { path: `/etc/kubernetes/${kubeconfig}`, type: "File" } }]);
            assert.deepEqual(c.securityContext.capabilities.add, ["NET_ADMIN", "NET_RAW"]);
        }
    });
});

const ha = (vip: Record<string, unknown>, edit: (c: Record<string, any>) => void = () => {}) =>
    withConfig((c) => {
        delete c["hcloud:token"];
        c["infra:ssh"] = {};
        c["infra:kubernetes"].virtualIp = vip;
        c["infra:platform"] = { storage: { provisioner: "local-path" }, certManager: { enabled: false } };
        c["infra:pools"] = [
            { name: "cp", provider: "vmware", role: "control-plane", nodes: [1, 4, 5].map((n) => ({ name: `cp${n}`, address: `192.168.18.20${n}`, user: "ubuntu", hostKey: HOST_KEY })) },
            { name: "w", provider: "vmware", role: "worker", nodes: [{ name: "w1", address: "192.168.18.202", user: "ubuntu", hostKey: HOST_KEY }] },
        ];
        edit(c);
    });
const VIP = { address: "192.168.18.200", network: "192.168.18.0/24", interface: "ens192" };
const vipProblems = (vip: Record<string, unknown>, edit?: (c: Record<string, any>) => void) => problems(ha(vip, edit)).filter((p) => p.startsWith("infra:kubernetes") || p.startsWith("infra:platform.loadBalancer"));

describe("infra:kubernetes.virtualIp", () => {
    it("three on-prem control planes with a virtual IP plan; without it or an endpoint they are refused", () => {
        assert.deepEqual(problems(ha(VIP)), []);
        assert.deepEqual(
            problems(ha(VIP, (c) => delete c["infra:kubernetes"].virtualIp)).filter((p) => p.startsWith("infra:kubernetes")),
            ["infra:kubernetes.apiEndpoint: is required for on-prem HA control planes: a DNS name or address in front of every control plane's port 6443, or set infra:kubernetes.virtualIp and kube-vip keeps one alive"],
        );
    });
    it("bad addresses, networks and combinations", () => {
        assert.deepEqual(vipProblems({ ...VIP, address: "192.168.19.200" }), ["infra:kubernetes.virtualIp.address: 192.168.19.200 is not inside network 192.168.18.0/24"]);
        assert.deepEqual(vipProblems({ ...VIP, address: "192.168.18.255" }), ["infra:kubernetes.virtualIp.address: 192.168.18.255 is the network or broadcast address of 192.168.18.0/24: no host can hold it"]);
        assert.deepEqual(vipProblems({ ...VIP, address: "192.168.18.204" }), ["infra:kubernetes.virtualIp.address: 192.168.18.204 is cp4's own address: use a free one"]);
        assert.deepEqual(vipProblems({ ...VIP, network: "192.168.18.0/30", address: "192.168.18.2" }), [
            "infra:kubernetes.virtualIp.network: 192.168.18.0/30 does not hold control plane cp1's address 192.168.18.201: kube-vip moves the address only between machines on one LAN",
            "infra:kubernetes.virtualIp.network: 192.168.18.0/30 does not hold control plane cp4's address 192.168.18.204: kube-vip moves the address only between machines on one LAN",
            "infra:kubernetes.virtualIp.network: 192.168.18.0/30 does not hold control plane cp5's address 192.168.18.205: kube-vip moves the address only between machines on one LAN",
        ]);
        assert.deepEqual(vipProblems(VIP, (c) => (c["infra:platform"].loadBalancer = { network: "192.168.18.0/24", addresses: ["192.168.18.198-192.168.18.200"] })), [
            "infra:kubernetes.virtualIp.address: 192.168.18.200 is in MetalLB's pool (infra:platform.loadBalancer.addresses[0]): the two would answer ARP for it",
        ]);
        assert.deepEqual(vipProblems(VIP, (c) => (c["infra:kubernetes"].apiEndpoint = "k8s.acme.example")), [
            "infra:kubernetes.apiEndpoint: k8s.acme.example differs from virtualIp.address 192.168.18.200: the virtual IP is the endpoint; leave apiEndpoint out",
        ]);
        assert.deepEqual(vipProblems({ ...VIP, interface: "eth0; reboot" }), ["infra:kubernetes.virtualIp.interface: must be a network interface name such as eth0 or ens192"]);
    });
    it("refused with cloud control planes (their load balancer) and across sites (out of the other site's reach)", () => {
        assert.deepEqual(
            problems(withConfig((c) => (c["infra:kubernetes"].virtualIp = { address: "10.0.1.200", network: "10.0.1.0/24", interface: "eth0" }))).filter((p) => p.includes("virtualIp")),
            ["infra:kubernetes.virtualIp: is for on-prem control planes: Hetzner and AWS control planes get the cloud's load balancer"],
        );
        const ps = vipProblems(VIP, (c) => {
            c["hcloud:token"] = { secure: "v1:t" };
            c["infra:ssh"] = { publicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH2mBf0Mnq5mhvXg0c8Rlp2b1Q3vVd2Q3pDk0t8pXy3a ops@acme", adminCidrs: ["198.51.100.0/24"] };
            c["infra:mesh"] = { enabled: true };
            c["infra:pools"].push({ name: "cloud", provider: "hetzner", role: "worker", count: 1, serverType: "cx23", location: "fsn1" });
        });
        assert.ok(ps.includes("infra:kubernetes.virtualIp: is an address on the control planes' LAN, out of the other sites' reach: with nodes at several sites use apiEndpoint, a DNS name every node resolves to the control planes' mesh addresses"), ps.join("\n"));
    });
});

describe("the onprem-ha stack file (seed 001 without a cloud)", async () => {
    const plan = await planStack("onprem-ha");
    const bundle = (name: string) => parseBundle(String(plan.plainInputs.get(plan.resources.find((r) => r.name === name)!.urn)!.stdin));
    it("init carries kube-vip with super-admin.conf; kubeadm's endpoint and SANs are the address", () => {
        const files = bundle("k8s-cp-1-init");
        const pod = YAML.parse(files.get(KUBE_VIP_MANIFEST)!);
        assert.equal(pod.spec.volumes[0].hostPath.path, "/etc/kubernetes/super-admin.conf");
        const init = YAML.parseAllDocuments(files.get("/etc/kubernetes/infra/kubeadm-init.yaml")!).map((d) => d.toJS());
        const cluster = init.find((d) => d.kind === "ClusterConfiguration");
        assert.equal(cluster.controlPlaneEndpoint, "192.168.18.200:6443");
        assert.ok(cluster.apiServer.certSANs.includes("192.168.18.200"));
    });
    it("control planes join with kube-vip on admin.conf, through the address; workers carry no kube-vip", () => {
        for (const cp of ["k8s-cp-2", "k8s-cp-3"]) {
            const files = bundle(`${cp}-join`);
            assert.equal(YAML.parse(files.get(KUBE_VIP_MANIFEST)!).spec.volumes[0].hostPath.path, "/etc/kubernetes/admin.conf");
            assert.match(files.get("/etc/kubernetes/infra/kubeadm-join.yaml")!, /apiServerEndpoint: 192\.168\.18\.200:6443/);
        }
        assert.ok(!bundle("k8s-worker-1-join").has(KUBE_VIP_MANIFEST));
        assert.equal(plan.outputs.apiEndpoint, "https://192.168.18.200:6443");
    });
    it("MetalLB gives the ingress 80/443 on the same LAN; NFS volumes; no finding", () => {
        assert.ok(plan.resources.some((r) => r.inputs.chart === "metallb"));
        assert.ok(plan.resources.some((r) => r.inputs.chart === "nfs-subdir-external-provisioner"));
        assert.deepEqual(plan.findings, []);
    });
});
