/**
 * Every chart and image the platform installs, pinned. An upgrade is a change here (reviewed in
 * a pull request, visible in the plan diff), never a floating tag.
 */
export interface ChartRef {
    readonly chart: string;
    readonly version: string;
    readonly repo: string;
}

// Checked against each project's releases on 2026-11-22 (the newest release we could confirm).
export const CHARTS = {
    // The final ingress-nginx release (controller v1.15.1).
    ingressNginx: { chart: "ingress-nginx", version: "4.15.1", repo: "https://kubernetes.github.io/ingress-nginx" },
    // Traefik v3.7.11; the ingress-nginx provider (`providers.kubernetesIngressNGINX`) needs chart >= 40.
    // 41.3.0 is the newest release whose source was read (41.6.0, pinned before, was never confirmed).
    traefik: { chart: "traefik", version: "41.3.0", repo: "https://traefik.github.io/charts" },
    certManager: { chart: "cert-manager", version: "v1.21.2", repo: "https://charts.jetstack.io" },
    metricsServer: { chart: "metrics-server", version: "3.13.1", repo: "https://kubernetes-sigs.github.io/metrics-server" },
    kubeletCsrApprover: { chart: "kubelet-csr-approver", version: "1.2.14", repo: "https://postfinance.github.io/kubelet-csr-approver" },
    hcloudCcm: { chart: "hcloud-cloud-controller-manager", version: "1.35.0", repo: "https://charts.hetzner.cloud" },
    hcloudCsi: { chart: "hcloud-csi", version: "2.22.1", repo: "https://charts.hetzner.cloud" },
    awsEbsCsi: { chart: "aws-ebs-csi-driver", version: "2.64.0", repo: "https://kubernetes-sigs.github.io/aws-ebs-csi-driver" },
    nfsProvisioner: { chart: "nfs-subdir-external-provisioner", version: "4.0.18", repo: "https://kubernetes-sigs.github.io/nfs-subdir-external-provisioner" },
    // Percona Operator for MySQL (XtraDB Cluster): the operator, and the cluster it reconciles; one version for both.
    // L2 mode only (FRR-K8s off); read at metallb/metallb v0.16.1 charts/metallb.
    metallb: { chart: "metallb", version: "0.16.1", repo: "https://metallb.github.io/metallb" },
    // kured 1.23.0 (the chart's appVersion; ghcr.io/kubereboot/kured); no hooks, no CRDs (kubereboot/charts kured-6.1.0).
    kured: { chart: "kured", version: "6.1.0", repo: "https://kubereboot.github.io/charts" },
    perconaOperator: { chart: "pxc-operator", version: "1.20.0", repo: "https://percona.github.io/percona-helm-charts/" },
    perconaDb: { chart: "pxc-db", version: "1.20.0", repo: "https://percona.github.io/percona-helm-charts/" },
} as const satisfies Record<string, ChartRef>;

/**
 * rancher/local-path-provisioner has no chart repository: its release manifest, vendored verbatim
 * from the tag (infra/platform/manifests/), so the plan sees every object it creates.
 */
export const LOCAL_PATH_VERSION = "v0.0.37";
export const LOCAL_PATH_MANIFEST = `local-path-storage-${LOCAL_PATH_VERSION}.yaml`;
/** The manifest's helper pod (it creates and removes volume directories) names busybox without a tag. */
export const LOCAL_PATH_HELPER_IMAGE = "docker.io/library/busybox:1.37.0";

/** The last ingress-nginx release, and the date its maintenance ended. */
export const INGRESS_NGINX_END_OF_MAINTENANCE = "2026-03-24";

/**
 * What the offline plan cannot see in a chart's inputs, read from each chart's source at its pinned
 * version (docs/real-world.md has the files): `helm.sh/v4:Chart` renders without Helm hooks
 * (pulumi-kubernetes provider/pkg/provider/helm/v4/chart.go: `DisableHooks = true`), so a hook the
 * chart relies on must be turned off and replaced; the Pod Security level its pods need; what it
 * needs on the nodes; the LoadBalancer Services and Ingress status it produces.
 */
export type Values = Record<string, any>;
export type PodSecurity = "privileged" | "baseline" | "restricted";

export interface ChartFacts {
    readonly version: string;
    /** Repository and tag the facts were read at. */
    readonly source: string;
    /** Install and upgrade hooks these values enable, and what breaks without them. */
    readonly hooks: (v: Values) => readonly { readonly name: string; readonly breaks: string }[];
    /** Delete hooks (never run by `helm.sh/v4:Chart` either), recorded for docs/real-world.md. */
    readonly deleteHooks?: readonly string[];
    /** API groups whose CRDs the chart installs (custom objects of those groups wait for it). */
    readonly crdGroups: (v: Values) => readonly string[];
    /** API groups of the custom objects it renders itself, whose CRDs must come from a chart it waits for. */
    readonly usesCrdGroups?: (v: Values) => readonly string[];
    /** The least Pod Security level its pods run under, with these values. */
    readonly podSecurity: (v: Values) => PodSecurity;
    /** Host packages its pods need on every node (prepare.sh's NODE_PACKAGES). */
    readonly nodePackages?: readonly string[];
    /** It renders a Service of type LoadBalancer. */
    readonly loadBalancerService?: (v: Values) => boolean;
    /** It gives LoadBalancer Services an address (a cloud controller). */
    readonly implementsLoadBalancer?: boolean;
    /** The IngressClass it serves, and whether it writes a status address on those Ingresses. */
    readonly ingress?: (v: Values) => { readonly ingressClass: string; readonly publishesStatus: boolean };
    /** Volume provisioner names it serves. */
    readonly provisioners?: (v: Values) => readonly string[];
    /** Objects with fixed names it creates, whatever the release (what an existing cluster may already have). */
    readonly fixedObjects?: (v: Values) => readonly { readonly kind: string; readonly name: string }[];
}

const off = (x: unknown) => x === false;
const none = () => [];

export const CHART_FACTS: Record<string, ChartFacts> = {
    "ingress-nginx": {
        version: "4.15.1",
        source: "kubernetes/ingress-nginx@helm-chart-4.15.1 charts/ingress-nginx",
        hooks: (v) =>
            off(v.controller?.admissionWebhooks?.enabled) || off(v.controller?.admissionWebhooks?.patch?.enabled) || v.controller?.admissionWebhooks?.certManager?.enabled
                ? []
                : [
                      { name: "admission-webhooks/job-patch/job-createSecret.yaml (pre-install)", breaks: "the controller mounts Secret <fullname>-admission, which nobody creates: its pods never start" },
                      { name: "admission-webhooks/job-patch/job-patchWebhook.yaml (post-install)", breaks: "the webhook (failurePolicy Fail) has no CA: every Ingress create is refused" },
                  ],
        crdGroups: none,
        podSecurity: (v) => (v.controller?.hostNetwork ? "privileged" : "restricted"),
        loadBalancerService: (v) => !off(v.controller?.service?.enabled) && (v.controller?.service?.type ?? "LoadBalancer") === "LoadBalancer",
        ingress: (v) => ({
            ingressClass: v.controller?.ingressClassResource?.name ?? "nginx",
            // internal/ingress/status/status.go: --publish-status-address, else --publish-service, else the nodes' addresses.
            publishesStatus:
                Boolean(v.controller?.extraArgs?.["publish-status-address"]) ||
                (!off(v.controller?.publishService?.enabled) && !off(v.controller?.service?.enabled) && (v.controller?.service?.type ?? "LoadBalancer") === "LoadBalancer") ||
                Boolean(v.controller?.hostNetwork),
        }),
        fixedObjects: (v) => (v.controller?.ingressClassResource?.enabled === false ? [] : [{ kind: "IngressClass", name: v.controller?.ingressClassResource?.name ?? "nginx" }]),
    },
    traefik: {
        version: "41.3.0",
        source: "traefik/traefik-helm-chart@v41.3.0 traefik",
        hooks: none,
        crdGroups: () => ["traefik.io", "hub.traefik.io"],
        podSecurity: (v) => (v.hostNetwork ? "privileged" : "restricted"),
        loadBalancerService: (v) => !off(v.service?.enabled) && (v.service?.spec?.type ?? "LoadBalancer") === "LoadBalancer",
        ingress: (v) => {
            const p = v.providers?.kubernetesIngressNGINX ?? {};
            // pkg/provider/kubernetes/ingress-nginx: publishStatusAddress, else the published Service's
            // LoadBalancer address; no node fallback.
            const viaService = Boolean(p.publishService?.enabled) && !off(v.service?.enabled) && (v.service?.spec?.type ?? "LoadBalancer") === "LoadBalancer";
            return { ingressClass: p.ingressClass ?? "nginx", publishesStatus: Boolean(p.publishStatusAddress) || viaService };
        },
        fixedObjects: () => [{ kind: "CustomResourceDefinition", name: "ingressroutes.traefik.io" }],
    },
    "cert-manager": {
        version: "v1.21.2",
        source: "cert-manager/cert-manager@v1.21.1 deploy/charts/cert-manager (v1.21.2 changes no template)",
        hooks: (v) =>
            off(v.startupapicheck?.enabled) ? [] : [{ name: "startupapicheck-job.yaml (post-install)", breaks: "issuers are created before the webhook serves and fail" }],
        crdGroups: (v) => (v.crds?.enabled || v.installCRDs ? ["cert-manager.io", "acme.cert-manager.io"] : []),
        podSecurity: () => "restricted",
        fixedObjects: (v) => (v.crds?.enabled ? [{ kind: "CustomResourceDefinition", name: "certificates.cert-manager.io" }] : []),
    },
    "metrics-server": {
        version: "3.13.1",
        source: "kubernetes-sigs/metrics-server@metrics-server-helm-chart-3.13.1 charts/metrics-server",
        hooks: none,
        crdGroups: none,
        podSecurity: () => "restricted",
        fixedObjects: () => [{ kind: "APIService", name: "v1beta1.metrics.k8s.io" }],
    },
    metallb: {
        version: "0.16.1",
        source: "metallb/metallb@v0.16.1 charts/metallb (and charts/crds, the bundled frr-k8s 0.0.25)",
        // No helm.sh/hook anywhere; the webhook's certificate and caBundle come from the controller at run time.
        hooks: none,
        // The CRDs are templates of the crds subchart (no crds/ directory): rendered with crds.enabled.
        crdGroups: (v) => (off(v.crds?.enabled) ? [] : ["metallb.io"]),
        // speaker: hostNetwork and NET_RAW.
        podSecurity: () => "privileged",
        implementsLoadBalancer: true,
        fixedObjects: () => [{ kind: "ValidatingWebhookConfiguration", name: "metallb-webhook-configuration" }],
    },
    kured: {
        version: "6.1.0",
        source: "kubereboot/charts@kured-6.1.0 charts/kured (image ghcr.io/kubereboot/kured:1.23.0, the appVersion)",
        // No helm.sh/hook, no crds/ directory, no Job: a DaemonSet, its RBAC and ServiceAccount.
        hooks: none,
        crdGroups: none,
        // hostPID and a privileged container (nsenter into the host's mount namespace to reboot), a hostPath for the sentinel.
        podSecurity: () => "privileged",
    },
    "kubelet-csr-approver": {
        version: "1.2.14",
        source: "postfinance/kubelet-csr-approver@v1.2.14 charts/kubelet-csr-approver",
        hooks: none,
        crdGroups: none,
        podSecurity: () => "restricted",
    },
    "hcloud-cloud-controller-manager": {
        version: "1.35.0",
        source: "hetznercloud/hcloud-cloud-controller-manager@v1.35.0 chart",
        hooks: none,
        crdGroups: none,
        // templates/deployment.yaml: hostNetwork with networking enabled.
        podSecurity: (v) => (v.networking?.enabled ? "privileged" : "restricted"),
        implementsLoadBalancer: true,
    },
    "hcloud-csi": {
        version: "2.22.1",
        source: "hetznercloud/csi-driver@v2.22.1 chart",
        hooks: none,
        crdGroups: none,
        podSecurity: () => "privileged",
        provisioners: () => ["csi.hetzner.cloud"],
    },
    "aws-ebs-csi-driver": {
        version: "2.64.0",
        source: "kubernetes-sigs/aws-ebs-csi-driver@helm-chart-aws-ebs-csi-driver-2.64.0 charts/aws-ebs-csi-driver",
        hooks: none,
        crdGroups: none,
        podSecurity: () => "privileged",
        provisioners: () => ["ebs.csi.aws.com"],
    },
    "nfs-subdir-external-provisioner": {
        version: "4.0.18",
        source: "kubernetes-sigs/nfs-subdir-external-provisioner@nfs-subdir-external-provisioner-4.0.18 charts/nfs-subdir-external-provisioner",
        hooks: none,
        crdGroups: none,
        podSecurity: () => "baseline",
        // The kubelet mounts the export (mount.nfs) for the provisioner and every volume.
        nodePackages: ["nfs-client"],
        provisioners: (v) => [v.storageClass?.provisionerName ?? "cluster.local/nfs-subdir-external-provisioner"],
    },
    "pxc-operator": {
        version: "1.20.0",
        source: "percona/percona-helm-charts@pxc-operator-1.20.0 charts/pxc-operator",
        hooks: none,
        crdGroups: () => ["pxc.percona.com"],
        // templates/deployment.yaml: no securityContext unless containerSecurityContext is set.
        podSecurity: (v) => (v.containerSecurityContext?.runAsNonRoot && v.containerSecurityContext?.seccompProfile ? "restricted" : "baseline"),
    },
    "pxc-db": {
        version: "1.20.0",
        source: "percona/percona-helm-charts@pxc-db-1.20.0 charts/pxc-db",
        hooks: none,
        crdGroups: none,
        podSecurity: () => "baseline",
    },
    "tigera-operator": {
        version: "v3.32.1",
        source: "projectcalico/calico@v3.32.1 charts/tigera-operator",
        hooks: none,
        deleteHooks: ["tigera-operator/00-uninstall.yaml (pre-delete): removes the Installation before the operator goes"],
        // Since 3.32 the CRDs are in crd.projectcalico.org.v1 (the chart's README); it renders an
        // Installation and an APIServer (templates/crs/custom-resources.yaml).
        crdGroups: none,
        usesCrdGroups: () => ["operator.tigera.io"],
        podSecurity: () => "privileged",
    },
    "crd.projectcalico.org.v1": {
        version: "v3.32.1",
        source: "projectcalico/calico@v3.32.1 charts/crd.projectcalico.org.v1",
        hooks: none,
        crdGroups: () => ["crd.projectcalico.org", "operator.tigera.io"],
        podSecurity: () => "restricted",
    },
};
