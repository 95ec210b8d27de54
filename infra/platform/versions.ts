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
    // Traefik v3.7; the ingress-nginx provider (`providers.kubernetesIngressNGINX`) needs chart >= 40.
    traefik: { chart: "traefik", version: "41.6.0", repo: "https://traefik.github.io/charts" },
    certManager: { chart: "cert-manager", version: "v1.21.2", repo: "https://charts.jetstack.io" },
    metricsServer: { chart: "metrics-server", version: "3.13.1", repo: "https://kubernetes-sigs.github.io/metrics-server" },
    kubeletCsrApprover: { chart: "kubelet-csr-approver", version: "1.2.14", repo: "https://postfinance.github.io/kubelet-csr-approver" },
    hcloudCcm: { chart: "hcloud-cloud-controller-manager", version: "1.35.0", repo: "https://charts.hetzner.cloud" },
    hcloudCsi: { chart: "hcloud-csi", version: "2.22.1", repo: "https://charts.hetzner.cloud" },
    awsEbsCsi: { chart: "aws-ebs-csi-driver", version: "2.64.0", repo: "https://kubernetes-sigs.github.io/aws-ebs-csi-driver" },
    nfsProvisioner: { chart: "nfs-subdir-external-provisioner", version: "4.0.18", repo: "https://kubernetes-sigs.github.io/nfs-subdir-external-provisioner" },
    // Percona Operator for MySQL (XtraDB Cluster): the operator, and the cluster it reconciles; one version for both.
    perconaOperator: { chart: "pxc-operator", version: "1.20.0", repo: "https://percona.github.io/percona-helm-charts/" },
    perconaDb: { chart: "pxc-db", version: "1.20.0", repo: "https://percona.github.io/percona-helm-charts/" },
} as const satisfies Record<string, ChartRef>;

/** rancher/local-path-provisioner has no chart repository: its release manifest, pinned by tag. */
export const LOCAL_PATH_VERSION = "v0.0.37";
export const LOCAL_PATH_MANIFEST = `https://raw.githubusercontent.com/rancher/local-path-provisioner/${LOCAL_PATH_VERSION}/deploy/local-path-storage.yaml`;

/** The last ingress-nginx release, and the date its maintenance ended. */
export const INGRESS_NGINX_END_OF_MAINTENANCE = "2026-03-24";
