/**
 * The chart values and specs the platform builds, as pure functions: what each config choice
 * means for the cluster (how ingress traffic arrives, which class is served, how kubelets are
 * trusted, how pods are networked, where certificates come from, where volumes live).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { calicoValues } from "../../infra/bootstrap/cni";
import type { Exposure } from "../../infra/config";
import { certManagerValues, clusterIssuerSpec, issuerNames } from "../../infra/platform/cert-manager";
import { ebsCsiValues, hcloudCcmValues, hcloudCsiValues } from "../../infra/platform/cloud";
import { ingressNginxValues, traefikValues } from "../../infra/platform/ingress";
import { csrApproverValues, metricsServerValues } from "../../infra/platform/metrics-server";
import { type ClassSpec, nfsProvisionerValues, storageClassSpec } from "../../infra/platform/storage";

const HCLOUD_LB = { "load-balancer.hetzner.cloud/name": "acme-dev-ingress", "load-balancer.hetzner.cloud/location": "fsn1" };

/** What a user sees of each exposure, whichever controller serves it. */
const EXPOSURES: {
    exposure: Exposure;
    what: string;
    kind: "Deployment" | "DaemonSet";
    hostNetwork: boolean;
    service: false | { type: "LoadBalancer" | "NodePort"; annotations: Record<string, string> };
    nodePorts?: [number, number];
}[] = [
    {
        exposure: "loadBalancer",
        what: "a LoadBalancer Service carrying the cloud controller's annotations, in front of 2 replicas",
        kind: "Deployment",
        hostNetwork: false,
        service: { type: "LoadBalancer", annotations: HCLOUD_LB },
    },
    {
        exposure: "nodePort",
        what: "fixed node ports 30080/30443 on every node (the on-prem seeds' ports), no cloud annotations",
        kind: "Deployment",
        hostNetwork: false,
        service: { type: "NodePort", annotations: {} },
        nodePorts: [30080, 30443],
    },
    {
        exposure: "hostNetwork",
        what: "the controller on the host network of every node as a DaemonSet, on 80/443, with no Service",
        kind: "DaemonSet",
        hostNetwork: true,
        service: false,
    },
];

describe("ingress-nginx values per exposure", () => {
    for (const e of EXPOSURES) {
        it(`${e.exposure}: ${e.what}`, () => {
            const c = ingressNginxValues(e.exposure, HCLOUD_LB).controller;
            assert.equal(c.kind, e.kind);
            assert.equal(c.hostNetwork, e.hostNetwork);
            // On the host network, pods still resolve cluster names only with this DNS policy.
            assert.equal(c.dnsPolicy, e.hostNetwork ? "ClusterFirstWithHostNet" : undefined);
            assert.equal(c.service.enabled, e.service !== false);
            if (e.service) {
                assert.equal(c.service.type, e.service.type);
                assert.deepEqual(c.service.annotations, e.service.annotations);
            }
            assert.deepEqual(c.service.nodePorts, e.nodePorts && { http: e.nodePorts[0], https: e.nodePorts[1] });
        });
    }

    it("serves the nginx class as the cluster default, with 2 replicas and a memory limit", () => {
        for (const e of EXPOSURES) {
            const c = ingressNginxValues(e.exposure, {}).controller;
            assert.equal(c.ingressClass, "nginx");
            assert.deepEqual(c.ingressClassResource, { name: "nginx", enabled: true, default: true, controllerValue: "k8s.io/ingress-nginx" });
            assert.equal(c.replicaCount, 2);
            assert.equal(c.resources.limits.memory, "512Mi");
        }
    });
});

describe("Traefik values per exposure", () => {
    for (const e of EXPOSURES) {
        it(`${e.exposure}: ${e.what}`, () => {
            const v = traefikValues(e.exposure, HCLOUD_LB);
            assert.equal(v.deployment.kind, e.kind);
            assert.equal(v.hostNetwork, e.hostNetwork);
            assert.equal(v.service.enabled, e.service !== false);
            if (e.service) {
                assert.equal(v.service.spec.type, e.service.type);
                assert.deepEqual(v.service.annotations, e.service.annotations);
            }
            const ports = e.nodePorts
                ? { web: { nodePort: e.nodePorts[0] }, websecure: { nodePort: e.nodePorts[1] } }
                : e.hostNetwork
                  ? { web: { port: 80 }, websecure: { port: 443 } }
                  : { web: {}, websecure: {} };
            assert.deepEqual(v.ports, ports);
            // Ingress status gets a LoadBalancer Service's address; a NodePort Service's would be its ClusterIP.
            assert.equal(v.providers.kubernetesIngressNGINX.publishService.enabled, e.exposure === "loadBalancer");
        });
    }

    it("serves Ingresses of the nginx class with their annotations, and claims no class of its own", () => {
        for (const e of EXPOSURES) {
            const v = traefikValues(e.exposure, {});
            assert.deepEqual({ ...v.providers.kubernetesIngressNGINX, publishService: undefined }, {
                enabled: true,
                ingressClass: "nginx",
                controllerClass: "k8s.io/ingress-nginx",
                publishService: undefined,
            });
            assert.deepEqual(v.providers.kubernetesIngress, { enabled: false }, "the plain Ingress provider would serve other classes too");
            assert.deepEqual(v.ingressClass, { enabled: false, isDefaultClass: false }, "the chart's traefik class would also claim to be the default");
            assert.equal(v.deployment.replicas, 2);
        }
    });
});

describe("switching the controller is one config line", () => {
    for (const e of EXPOSURES) {
        it(`${e.exposure}: both controllers run the same way and are reached the same way`, () => {
            const n = ingressNginxValues(e.exposure, HCLOUD_LB).controller;
            const t = traefikValues(e.exposure, HCLOUD_LB);
            assert.deepEqual([t.deployment.kind, t.hostNetwork, t.service.enabled, t.service.spec.type], [n.kind, n.hostNetwork, n.service.enabled, n.service.type]);
            assert.deepEqual(t.service.annotations, n.service.annotations);
            assert.deepEqual([t.ports.web.nodePort, t.ports.websecure.nodePort], [n.service.nodePorts?.http, n.service.nodePorts?.https]);
        });
    }
});

describe("metrics-server values", () => {
    const CASES: [insecure: boolean, args: string[], why: string][] = [
        [false, [], "verifies kubelet serving certificates (signed by the cluster CA): no --kubelet-insecure-tls"],
        [true, ["--kubelet-insecure-tls"], "skips the check on a laptop cluster, whose kubelets have self-signed certificates"],
    ];
    for (const [insecure, args, why] of CASES) {
        it(why, () => {
            const v = metricsServerValues(insecure);
            assert.deepEqual(v.args, args);
            assert.deepEqual(v.resources, { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "256Mi" } });
        });
    }
});

describe("Calico values", () => {
    for (const podCidr of ["10.244.0.0/16", "192.168.0.0/16", "172.20.0.0/14"]) {
        it(`pods of ${podCidr}: one VXLAN pool over every node, no BGP, NAT to the outside, node address from the kubelet`, () => {
            const { cni, calicoNetwork: net } = calicoValues(podCidr).installation;
            assert.deepEqual(cni, { type: "Calico" });
            // IP-in-IP is filtered by Hetzner's and AWS's networks; VXLAN is plain UDP.
            assert.deepEqual(net.ipPools, [{ cidr: podCidr, encapsulation: "VXLAN", natOutgoing: "Enabled", blockSize: 26, nodeSelector: "all()" }]);
            assert.equal(net.bgp, "Disabled");
            assert.deepEqual(net.nodeAddressAutodetectionV4, { kubernetes: "NodeInternalIP" });
            assert.deepEqual(Object.keys(net).sort(), ["bgp", "ipPools", "nodeAddressAutodetectionV4"]);
        });
    }
});

describe("cert-manager cluster issuers", () => {
    it("selfsigned needs nothing", () => {
        assert.deepEqual(clusterIssuerSpec("selfsigned", undefined, "nginx"), { selfSigned: {} });
        assert.deepEqual(clusterIssuerSpec("selfsigned", "ops@example.com", "nginx"), { selfSigned: {} });
    });

    const ACME: [issuer: "letsencrypt-staging" | "letsencrypt-prod", server: string][] = [
        ["letsencrypt-staging", "https://acme-staging-v02.api.letsencrypt.org/directory"],
        ["letsencrypt-prod", "https://acme-v02.api.letsencrypt.org/directory"],
    ];
    for (const [issuer, server] of ACME) {
        it(`${issuer}: Let's Encrypt's ${server}, HTTP-01 through the apps' ingress class, its own account key`, () => {
            assert.deepEqual(clusterIssuerSpec(issuer, "ops@example.com", "nginx"), {
                acme: {
                    server,
                    email: "ops@example.com",
                    privateKeySecretRef: { name: `${issuer}-account-key` },
                    solvers: [{ http01: { ingress: { ingressClassName: "nginx" } } }],
                },
            });
            // On a cluster whose own controller serves another class (k3s: traefik), the challenge goes there.
            assert.deepEqual((clusterIssuerSpec(issuer, "ops@example.com", "traefik").acme as { solvers: unknown }).solvers, [{ http01: { ingress: { ingressClassName: "traefik" } } }]);
        });
    }
});

describe("cert-manager values", () => {
    const v = certManagerValues();
    it("installs the CRDs with the chart and keeps them if the chart goes, so Certificates and their Secrets survive", () => {
        assert.deepEqual(v.crds, { enabled: true, keep: true });
    });
    const PARTS: [part: string, resources: { requests: { cpu: string; memory: string }; limits: { memory: string } }][] = [
        ["controller", v.resources],
        ["webhook", v.webhook.resources],
        ["cainjector", v.cainjector.resources],
    ];
    for (const [part, resources] of PARTS)
        it(`the ${part} requests a small share and is held to a memory limit`, () => {
            assert.deepEqual(resources, { requests: { cpu: "10m", memory: "64Mi" }, limits: { memory: "256Mi" } });
        });

    const ISSUERS: [email: string | undefined, issuers: string[], why: string][] = [
        ["ops@example.com", ["selfsigned", "letsencrypt-staging", "letsencrypt-prod"], "with an account e-mail: Let's Encrypt staging and production, and self-signed"],
        [undefined, ["selfsigned"], "without one: only self-signed (Let's Encrypt needs an account e-mail)"],
    ];
    for (const [email, issuers, why] of ISSUERS) it(why, () => assert.deepEqual(issuerNames(email), issuers));
});

describe("Hetzner cloud controller and CSI values", () => {
    for (const podCidr of ["10.244.0.0/16", "192.168.0.0/16", "172.20.0.0/14"])
        it(`pods of ${podCidr}: the controller routes them over the private network`, () => {
            assert.deepEqual(hcloudCcmValues(podCidr), { networking: { enabled: true, clusterCIDR: podCidr } });
        });
    it("the CSI driver brings no storage class: the platform's own classes are the only ones, one of them the default", () => {
        assert.deepEqual(hcloudCsiValues().storageClasses, []);
    });
});

describe("EBS CSI values", () => {
    it("brings no storage class (the platform's own are gp3 and encrypted) and runs two controllers", () => {
        assert.deepEqual(ebsCsiValues("us-east-1").storageClasses, []);
        assert.equal(ebsCsiValues("us-east-1").controller.replicaCount, 2);
    });
    // The nodes' metadata hop limit is 1: a pod on the pod network never reaches the metadata service,
    // and no AWS cloud controller sets the providerID the driver could read instead.
    for (const region of ["us-east-1", "eu-central-1"])
        it(`${region}: the controller is told its region and reads its keys from a Secret; the node plugin reaches the metadata service from the host network`, () => {
            const v = ebsCsiValues(region);
            assert.equal(v.controller.region, region);
            assert.deepEqual(v.awsAccessSecret, { name: "aws-ebs-csi", keyId: "key_id", accessKey: "access_key" });
            assert.equal(v.node.hostNetwork, true);
        });
});

describe("kubelet-csr-approver values", () => {
    const CASES: [regex: string, networks: string[], what: string][] = [
        ["^(acme-dev-.+)$", ["10.0.0.0/16"], "a Hetzner cluster: its node names, its private network"],
        ["^(acme-prod-.+|k8s-cp-1|k8s-worker-1)$", ["10.200.0.0/16", "192.168.18.11/32", "192.168.18.21/32"], "a mesh over on-prem machines: their names and addresses too"],
    ];
    for (const [regex, networks, what] of CASES)
        it(`${what}: approves only those names and addresses, without DNS, for at most 366 days`, () => {
            const v = csrApproverValues(regex, networks);
            assert.equal(v.providerRegex, regex);
            assert.deepEqual(v.providerIpPrefixes, networks);
            // The nodes have no DNS records: a lookup would refuse every certificate.
            assert.equal(v.bypassDnsResolution, true);
            // A decimal integer string: the chart quotes it into MAX_EXPIRATION_SEC, which the approver
            // parses as an int; a JS number reaches Helm as a float64 and renders as 3.16224e+07.
            assert.match(v.maxExpirationSeconds, /^[1-9][0-9]*$/);
            assert.ok(Number(v.maxExpirationSeconds) <= 366 * 24 * 3600, v.maxExpirationSeconds);
        });
});

describe("NFS provisioner values", () => {
    const EXPORTS = [
        { server: "192.168.18.10", path: "/srv/k8s" },
        { server: "nas.example.internal", path: "/export/volumes" },
    ];
    for (const nfs of EXPORTS)
        it(`${nfs.server}:${nfs.path}: volumes on that export, served under the name the platform's classes ask for`, () => {
            const v = nfsProvisionerValues(nfs);
            assert.deepEqual(v.nfs, nfs);
            assert.equal(v.storageClass.create, false, "the chart's own class would be a second one");
            assert.equal(v.storageClass.provisionerName, storageClassSpec({ name: "standard", reclaimPolicy: "Delete", default: true }, "nfs").provisioner);
            assert.equal(v.resources.limits.memory, "128Mi");
        });
});

describe("StorageClasses per provisioner", () => {
    const CASES: [provisioner: "hcloud-csi" | "ebs-csi" | "nfs" | "local-path", name: string, binding: string, expansion: boolean, parameters: Record<string, string>][] = [
        // Zonal volumes: bound where the pod is scheduled, not where the claim happens to be made.
        ["hcloud-csi", "csi.hetzner.cloud", "WaitForFirstConsumer", true, {}],
        ["ebs-csi", "ebs.csi.aws.com", "WaitForFirstConsumer", true, { type: "gp3", encrypted: "true" }],
        // An export reachable from every node: bound at once; deleted volumes are archived, not erased.
        ["nfs", "infra.local/nfs", "Immediate", false, { archiveOnDelete: "true" }],
        // A directory on the node the pod runs on.
        ["local-path", "rancher.io/local-path", "WaitForFirstConsumer", false, {}],
    ];
    const CLASSES: ClassSpec[] = [
        { name: "standard", reclaimPolicy: "Delete", default: true },
        { name: "retain", reclaimPolicy: "Retain", default: false },
    ];
    for (const [provisioner, name, binding, expansion, parameters] of CASES)
        it(`${provisioner}: ${name}, ${binding}, ${expansion ? "expandable" : "fixed size"}`, () => {
            for (const c of CLASSES) {
                const spec = storageClassSpec(c, provisioner) as any;
                assert.deepEqual([spec.provisioner, spec.volumeBindingMode, spec.allowVolumeExpansion, spec.parameters], [name, binding, expansion, parameters]);
                assert.equal(spec.metadata.name, c.name);
                assert.equal(spec.reclaimPolicy, c.reclaimPolicy, "a Retain class keeps a database's volume when its claim goes");
                assert.equal(spec.metadata.annotations["storageclass.kubernetes.io/is-default-class"], String(c.default), "claims without a class get the default one");
            }
        });
});
