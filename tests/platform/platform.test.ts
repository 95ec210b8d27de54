/**
 * Platform add-ons per provider, under the mock runtime: charts, versions, namespaces and the
 * values that matter, their order after the CNI, and secrets only inside Secret objects.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseBundle } from "../../infra/bootstrap/remote";
import { planStack, type PlannedResource, SECRET } from "../../tools/plan";

async function stack(name: string) {
    const plan = await planStack(name);
    const byUrn = new Map(plan.resources.map((r) => [r.urn, r]));
    const named = (suffix: string) => {
        const r = plan.resources.find((x) => x.name.endsWith(suffix));
        assert.ok(r, `no resource named *${suffix}`);
        return r;
    };
    const charts = plan.resources.filter((r) => r.type === "kubernetes:helm.sh/v4:Chart");
    const chart = (chartName: string) => {
        const c = charts.find((x) => x.inputs.chart === chartName);
        assert.ok(c, `no ${chartName} chart`);
        return c;
    };
    const dependsOn = (r: PlannedResource, target: string, seen = new Set<string>()): boolean =>
        r.dependsOn.some((d) => d === target || (!seen.has(d) && (seen.add(d), dependsOn(byUrn.get(d)!, target, seen))));
    return { plan, named, chart, charts, dependsOn };
}

const values = (r: PlannedResource) => r.inputs.values as Record<string, any>;

/**
 * Every chart the stacks install, at the version and from the repository it is pinned to: an
 * upgrade is a visible change of this table, the one place this file spells a version.
 */
const PINNED: Record<string, [version: string, repo: string]> = {
    "tigera-operator": ["v3.32.1", "https://docs.tigera.io/calico/charts"],
    "crd.projectcalico.org.v1": ["v3.32.1", "https://docs.tigera.io/calico/charts"],
    "ingress-nginx": ["4.15.1", "https://kubernetes.github.io/ingress-nginx"],
    traefik: ["41.3.0", "https://traefik.github.io/charts"],
    "cert-manager": ["v1.21.2", "https://charts.jetstack.io"],
    "metrics-server": ["3.13.1", "https://kubernetes-sigs.github.io/metrics-server"],
    kured: ["6.1.0", "https://kubereboot.github.io/charts"],
    "kubelet-csr-approver": ["1.2.14", "https://postfinance.github.io/kubelet-csr-approver"],
    "hcloud-cloud-controller-manager": ["1.35.0", "https://charts.hetzner.cloud"],
    "hcloud-csi": ["2.22.1", "https://charts.hetzner.cloud"],
    "aws-ebs-csi-driver": ["2.64.0", "https://kubernetes-sigs.github.io/aws-ebs-csi-driver"],
    "nfs-subdir-external-provisioner": ["4.0.18", "https://kubernetes-sigs.github.io/nfs-subdir-external-provisioner"],
    "pxc-operator": ["1.20.0", "https://percona.github.io/percona-helm-charts/"],
    "pxc-db": ["1.20.0", "https://percona.github.io/percona-helm-charts/"],
};

describe("dev (Hetzner, ingress-nginx as requested)", async () => {
    const { plan, chart, charts, named, dependsOn } = await stack("dev");

    it("ingress-nginx at its final release serves the default nginx class behind a Hetzner load balancer", () => {
        const c = chart("ingress-nginx");
        assert.deepEqual([c.inputs.version, (c.inputs.repositoryOpts as any).repo], PINNED["ingress-nginx"], "the final release");
        assert.equal(c.inputs.namespace, "ingress");
        const ctl = values(c).controller;
        assert.deepEqual(ctl.ingressClassResource, { name: "nginx", enabled: true, default: true, controllerValue: "k8s.io/ingress-nginx" });
        assert.equal(ctl.service.type, "LoadBalancer");
        assert.deepEqual(ctl.service.annotations, {
            "load-balancer.hetzner.cloud/name": "acme-dev-ingress",
            "load-balancer.hetzner.cloud/location": "fsn1",
            "load-balancer.hetzner.cloud/use-private-ip": "true",
            "load-balancer.hetzner.cloud/uses-proxyprotocol": "false",
        });
    });

    it("warns that ingress-nginx is unmaintained", () => {
        assert.ok(plan.log.some((l) => /^warning: .*ingress-nginx reached end of maintenance on 2026-03-24/.test(l)), plan.log.join("\n"));
    });

    it("installs the hcloud cloud controller (private network routes) and CSI driver, the token only in a Secret", () => {
        const ccm = chart("hcloud-cloud-controller-manager");
        assert.deepEqual(values(ccm).networking, { enabled: true, clusterCIDR: "10.244.0.0/16" });
        for (const name of ["hcloud-csi", "hcloud-cloud-controller-manager"]) assert.equal(chart(name).inputs.version, PINNED[name][0], name);
        const secret = named("-hetzner-hcloud");
        assert.equal(secret.inputs.kind, "Secret");
        assert.equal(secret.inputs.stringData, SECRET, "the Kubernetes SDK keeps a Secret's data secret");
        const data = plan.plainInputs.get(secret.urn)!.stringData as Record<string, string>;
        assert.deepEqual(Object.keys(data).sort(), ["network", "token"]);
        assert.equal(data.token, plan.file.placeholders["hcloud:token"], "the stack's hcloud token");
        assert.match(data.network, /^\d+$/, "the private network's id");
        assert.ok(dependsOn(ccm, secret.urn));
    });

    it("kubelets defer to the cloud controller and request verifiable serving certificates", async () => {
        const init = plan.resources.find((r) => r.name.endsWith("-init"))!;
        const stdin = String(plan.plainInputs.get(init.urn)!.stdin);
        const config = parseBundle(stdin).get("/etc/kubernetes/infra/kubeadm-init.yaml")!;
        assert.match(config, /- name: cloud-provider\n\s+value: external/);
        assert.match(config, /serverTLSBootstrap: true/);
    });

    it("metrics-server verifies kubelet certificates; kubelet-csr-approver approves only the cluster's nodes", () => {
        assert.deepEqual(values(chart("metrics-server")).args, []);
        const approver = values(chart("kubelet-csr-approver"));
        assert.equal(approver.providerRegex, "^(acme-dev-.+)$");
        // The private network, and each server's public IPv4: the Hetzner cloud controller adds it as an
        // ExternalIP and the kubelet asks for a certificate with every address (the approver denies any
        // address outside its prefixes).
        const servers = plan.resources.filter((r) => r.type === "hcloud:index/server:Server");
        assert.equal(approver.providerIpPrefixes.length, 1 + servers.length);
        assert.equal(approver.providerIpPrefixes[0], "10.0.0.0/16");
        for (const p of approver.providerIpPrefixes.slice(1)) assert.match(p, /^203\.0\.113\.\d+\/32$/);
        assert.equal(approver.maxExpirationSeconds, "31622400");
    });

    it("cert-manager with its CRDs (kept), and staging, production and self-signed cluster issuers", () => {
        const cm = chart("cert-manager");
        assert.equal(cm.inputs.version, PINNED["cert-manager"][0]);
        assert.deepEqual(values(cm).crds, { enabled: true, keep: true });
        const issuers = plan.resources.filter((r) => r.inputs.kind === "ClusterIssuer");
        assert.deepEqual(issuers.map((i) => (i.inputs.metadata as { name: string }).name).sort(), ["letsencrypt-prod", "letsencrypt-staging", "selfsigned"]);
        const staging = issuers.find((i) => (i.inputs.metadata as { name: string }).name === "letsencrypt-staging")!;
        assert.deepEqual((staging.inputs.spec as any).acme, {
            server: "https://acme-staging-v02.api.letsencrypt.org/directory",
            email: "ops@acme.example",
            privateKeySecretRef: { name: "letsencrypt-staging-account-key" },
            solvers: [{ http01: { ingress: { ingressClassName: "nginx" } } }],
        });
        for (const i of issuers) assert.ok(i.dependsOn.includes(cm.urn), "issuers wait for cert-manager and its CRDs");
        // The chart's startupapicheck is a hook helm.sh/v4:Chart never runs: off, and a plain Job does it.
        assert.deepEqual(values(cm).startupapicheck, { enabled: false });
        const check = plan.resources.find((r) => r.inputs.kind === "Job" && (r.inputs.metadata as any).name === "cert-manager-api-check")!;
        assert.deepEqual((check.inputs.spec as any).template.spec.containers[0].args.slice(0, 2), ["check", "api"]);
        for (const i of issuers) assert.ok(i.dependsOn.includes(check.urn), "issuers wait until cert-manager's webhook serves");
        assert.equal(plan.outputs.certificateIssuer, "letsencrypt-staging");
    });

    it("one default StorageClass on the hcloud CSI driver, and a Retain class for databases", () => {
        const classes = plan.resources.filter((r) => r.inputs.kind === "StorageClass");
        assert.deepEqual(
            classes.map((c) => [(c.inputs.metadata as any).name, c.inputs.provisioner, c.inputs.reclaimPolicy, (c.inputs.metadata as any).annotations["storageclass.kubernetes.io/is-default-class"]]),
            [
                ["standard", "csi.hetzner.cloud", "Delete", "true"],
                ["retain", "csi.hetzner.cloud", "Retain", "false"],
            ],
        );
    });

    it("installs every add-on after the CNI", () => {
        const calico = chart("tigera-operator");
        const crds = chart("crd.projectcalico.org.v1");
        assert.ok(dependsOn(calico, crds.urn), "the operator waits for its CRDs");
        for (const c of charts.filter((x) => x !== calico && x !== crds)) assert.ok(dependsOn(c, calico.urn), `${c.name} waits for Calico`);
    });
});

describe("prod (on-prem + Hetzner workers, Traefik)", async () => {
    const { plan, chart, charts } = await stack("prod");

    it("Traefik's ingress-nginx provider serves the nginx class, the class is ours and the default", () => {
        const t = chart("traefik");
        assert.equal(t.inputs.version, PINNED.traefik[0]);
        assert.ok(Number(String(t.inputs.version).split(".")[0]) >= 40, "chart >= 40 has the ingress-nginx provider");
        const v = values(t);
        // Node ports publish no status (a NodePort Service's is its ClusterIP): the app's Ingress skips the wait.
        assert.deepEqual(v.providers.kubernetesIngressNGINX, { enabled: true, ingressClass: "nginx", controllerClass: "k8s.io/ingress-nginx", publishService: { enabled: false } });
        const app = plan.resources.find((r) => r.inputs.kind === "Ingress")!;
        assert.equal((app.inputs.metadata as any).annotations["pulumi.com/skipAwait"], "true");
        assert.deepEqual(v.ingressClass, { enabled: false, isDefaultClass: false });
        const cls = plan.resources.find((r) => r.inputs.kind === "IngressClass")!;
        assert.deepEqual(cls.inputs.spec, { controller: "k8s.io/ingress-nginx" });
        assert.equal((cls.inputs.metadata as any).annotations["ingressclass.kubernetes.io/is-default-class"], "true");
        assert.ok(!plan.log.some((l) => l.includes("end of maintenance")));
    });

    it("exposes fixed NodePorts 30080/30443 on-prem, as the seeds do", () => {
        const v = values(chart("traefik"));
        assert.equal(v.service.spec.type, "NodePort");
        assert.deepEqual(v.ports, { web: { nodePort: 30080 }, websecure: { nodePort: 30443 } });
    });

    it("provisions volumes from the site's NFS export; databases get the Retain class", () => {
        const nfs = chart("nfs-subdir-external-provisioner");
        assert.deepEqual(values(nfs).nfs, { server: "192.168.18.10", path: "/srv/k8s" });
        assert.equal(values(nfs).storageClass.create, false);
        const classes = plan.resources.filter((r) => r.inputs.kind === "StorageClass");
        assert.ok(classes.every((c) => c.inputs.provisioner === "infra.local/nfs"));
        assert.equal(classes.find((c) => (c.inputs.metadata as any).name === "retain")!.inputs.reclaimPolicy, "Retain");
    });

    it("has no cloud controller (the nodes span two sites)", () => {
        assert.ok(!charts.some((c) => String(c.inputs.chart).startsWith("hcloud")));
        assert.equal(values(chart("metrics-server")).args.length, 0);
        assert.equal(values(chart("kubelet-csr-approver")).providerRegex, "^(acme-prod-.+|k8s-cp-1|k8s-cp-2|k8s-cp-3|k8s-worker-1|k8s-worker-2)$");
    });
});

describe("staging (AWS)", async () => {
    const { plan, chart } = await stack("staging");

    it("installs the EBS CSI driver and gp3, encrypted classes; only the driver's controller holds AWS credentials", () => {
        const ebs = values(chart("aws-ebs-csi-driver"));
        const classes = plan.resources.filter((r) => r.inputs.kind === "StorageClass");
        for (const c of classes) assert.deepEqual([c.inputs.provisioner, c.inputs.parameters], ["ebs.csi.aws.com", { type: "gp3", encrypted: "true" }]);
        const attach = plan.resources.find((r) => r.type === "aws:iam/userPolicyAttachment:UserPolicyAttachment")!;
        assert.equal(attach.inputs.policyArn, "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy");
        const secret = plan.resources.find((r) => r.inputs.kind === "Secret" && (r.inputs.metadata as any).name === ebs.awsAccessSecret.name)!;
        assert.equal((secret.inputs.metadata as any).namespace, "kube-system");
        assert.equal(secret.inputs.stringData, SECRET, "the access key is a secret end to end");
        assert.equal(ebs.controller.region, "us-east-1");
        // The metadata hop limit stays 1 (no pod reads the join token in an auto scaling group's user
        // data); the node plugin reads the instance's identity from the host network.
        assert.equal(ebs.node.hostNetwork, true);
        for (const t of plan.resources.filter((r) => r.type === "aws:ec2/launchTemplate:LaunchTemplate" || r.type === "aws:ec2/instance:Instance")) {
            assert.equal((t.inputs.metadataOptions as any).httpPutResponseHopLimit, 1);
            assert.equal(t.inputs.iamInstanceProfile, undefined, "no node holds AWS credentials");
        }
    });

    it("publishes the network load balancer's name as the Ingresses' status (Pulumi waits for one)", () => {
        const nlb = plan.resources.find((r) => r.type === "aws:lb/loadBalancer:LoadBalancer" && r.name.endsWith("-ingress"))!;
        const address = values(chart("traefik")).providers.kubernetesIngressNGINX.publishStatusAddress;
        assert.match(String(address), /elb\.[a-z0-9-]+\.amazonaws\.com$/);
        assert.ok(chart("traefik").dependsOn.includes(nlb.urn));
        const app = plan.resources.find((r) => r.inputs.kind === "Ingress")!;
        assert.equal((app.inputs.metadata as any).annotations?.["pulumi.com/skipAwait"], undefined);
    });

    it("feeds ingress through a network load balancer onto the node ports of the workers", () => {
        assert.equal(values(chart("traefik")).service.spec.type, "NodePort");
        const listeners = plan.resources.filter((r) => r.type === "aws:lb/listener:Listener" && r.name.includes("-ingress-"));
        assert.deepEqual(listeners.map((l) => l.inputs.port).sort(), [443, 80]);
        const groups = plan.resources.filter((r) => r.type === "aws:lb/targetGroup:TargetGroup" && r.name.includes("-ingress-"));
        assert.deepEqual(groups.map((g) => g.inputs.port).sort(), [30080, 30443]);
        assert.equal(plan.resources.filter((r) => r.type === "aws:autoscaling/attachment:Attachment").length, 2);
        const rule = plan.resources.find((r) => r.type === "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")!;
        assert.deepEqual([rule.inputs.fromPort, rule.inputs.toPort], [30080, 30443]);
        assert.equal(rule.inputs.cidrIpv4, undefined, "node ports only from the load balancer's group");
    });
});

describe("local (apps-only onto an existing kubeconfig)", async () => {
    const { plan, charts } = await stack("local");

    it("on kind: installs ingress, a self-signed issuer only and metrics-server, and uses kind's own storage, with no nodes", () => {
        assert.deepEqual(charts.map((c) => c.inputs.chart).sort(), ["cert-manager", "metrics-server", "traefik"]);
        const issuers = plan.resources.filter((r) => r.inputs.kind === "ClusterIssuer");
        assert.deepEqual(issuers.map((i) => (i.inputs.metadata as any).name), ["selfsigned"]);
        assert.equal(plan.outputs.certificateIssuer, "selfsigned");
        const metrics = charts.find((c) => c.inputs.chart === "metrics-server")!;
        assert.deepEqual(values(metrics).args, ["--kubelet-insecure-tls"], "a laptop cluster's kubelets have self-signed certificates");
        // kind runs local-path-provisioner with its default class `standard`: read, never created.
        assert.ok(!plan.resources.some((r) => r.type.startsWith("kubernetes:yaml/") || (r.inputs.kind === "StorageClass" && !r.read)));
        const standard = plan.resources.find((r) => r.read && r.type === "kubernetes:storage.k8s.io/v1:StorageClass")!;
        assert.equal(standard.id, "standard");
        assert.ok(!plan.resources.some((r) => r.type.startsWith("command:") || r.type.startsWith("hcloud:") || r.type.startsWith("aws:")));
    });
});

describe("secrets in Kubernetes objects", () => {
    for (const name of ["dev", "prod", "staging", "local"]) {
        it(`${name}: a secret value appears only inside a Secret`, async () => {
            const { plan } = await stack(name);
            for (const r of plan.resources.filter((x) => x.type.startsWith("kubernetes:") && x.inputs.kind !== "Secret")) {
                assert.ok(!JSON.stringify(r.inputs).includes(SECRET), `${r.name} holds a secret outside a Secret`);
            }
        });
    }
});

describe("pinned charts", () => {
    const installed = new Set<string>();
    for (const name of ["dev", "prod", "staging", "local"]) {
        it(`${name}: every chart at its pinned version, from its repository`, async () => {
            const { charts } = await stack(name);
            for (const c of charts) {
                const chartName = String(c.inputs.chart);
                assert.ok(chartName in PINNED, `${chartName} is not pinned in this table`);
                assert.deepEqual([c.inputs.version, (c.inputs.repositoryOpts as { repo?: string } | undefined)?.repo], PINNED[chartName], chartName);
                installed.add(chartName);
            }
        });
    }
    it("every pinned chart is installed by some stack", () => {
        assert.deepEqual([...installed].sort(), Object.keys(PINNED).sort());
    });
});
