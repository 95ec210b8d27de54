/**
 * The ingress controller behind the `nginx` ingress class (the cluster default), whichever it is:
 * ingress-nginx from its official chart, pinned to its final release (maintenance ended
 * 2026-03-24), or Traefik with its ingress-nginx provider, which serves the same class and
 * annotations. Apps emit standard `Ingress` objects of class `nginx`: switching is one config line.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { type Exposure, INGRESS_CLASS, INGRESS_NODE_PORTS, PLATFORM_NAMESPACES } from "../config";
import { thinComponent } from "../component";
import { installChart } from "./helm";
import { CHART_FACTS, CHARTS, INGRESS_NGINX_END_OF_MAINTENANCE } from "./versions";

export { INGRESS_CLASS } from "../config";
export const INGRESS_NGINX_CONTROLLER = "k8s.io/ingress-nginx";
export const INGRESS_NAMESPACE = PLATFORM_NAMESPACES.ingress;

export interface IngressArgs {
    readonly controller: "ingress-nginx" | "traefik";
    readonly exposure: Exposure;
    readonly provider: k8s.Provider;
    readonly dependsOn: pulumi.Input<pulumi.Resource>[];
    /** Annotations of the LoadBalancer Service (the cloud controller's settings). */
    readonly serviceAnnotations?: Record<string, string>;
    /** The address in front of the node ports (the AWS network load balancer), published as the Ingresses' status. */
    readonly statusAddress?: pulumi.Input<string>;
}

interface Resources {
    requests: { cpu: string; memory: string };
    limits: { memory: string };
}
const RESOURCES: Resources = { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "512Mi" } };

/** ingress-nginx chart values, typed: only what this program sets. */
export interface IngressNginxValues {
    controller: {
        kind: "Deployment" | "DaemonSet";
        replicaCount: number;
        hostNetwork: boolean;
        dnsPolicy?: "ClusterFirstWithHostNet";
        ingressClass: string;
        ingressClassResource: { name: string; enabled: boolean; default: boolean; controllerValue: string };
        service: { enabled: boolean; type: "LoadBalancer" | "NodePort"; annotations: Record<string, string>; nodePorts?: { http: number; https: number } };
        publishService: { enabled: boolean };
        extraArgs: Record<string, pulumi.Input<string>>;
        admissionWebhooks: { enabled: boolean };
        image?: { allowPrivilegeEscalation: boolean };
        resources: Resources;
    };
}

/** Traefik chart values, typed: only what this program sets. */
export interface TraefikValues {
    deployment: { kind: "Deployment" | "DaemonSet"; replicas: number; dnsPolicy?: "ClusterFirstWithHostNet" };
    hostNetwork: boolean;
    updateStrategy?: { type: "RollingUpdate"; rollingUpdate: { maxUnavailable: number; maxSurge: number } };
    podSecurityContext?: { runAsUser: number; runAsGroup: number; runAsNonRoot: boolean };
    securityContext?: { allowPrivilegeEscalation: boolean; readOnlyRootFilesystem: boolean; capabilities: { drop: string[]; add: string[] } };
    providers: {
        kubernetesCRD: { enabled: boolean };
        kubernetesIngress: { enabled: boolean };
        kubernetesIngressNGINX: { enabled: boolean; ingressClass: string; controllerClass: string; publishService: { enabled: boolean }; publishStatusAddress?: pulumi.Input<string> };
    };
    ingressClass: { enabled: boolean; isDefaultClass: boolean };
    ports: { web: { nodePort?: number; port?: number }; websecure: { nodePort?: number; port?: number } };
    service: { enabled: boolean; spec: { type: "LoadBalancer" | "NodePort" }; annotations: Record<string, string> };
    resources: Resources;
}

/**
 * ingress-nginx 4.15.1. The admission webhook is off: its certificate comes from hook Jobs
 * (`admission-webhooks/job-patch/`) that `helm.sh/v4:Chart` never runs, so the controller would wait
 * for a Secret nobody creates and the webhook (failurePolicy Fail, no CA) would refuse every
 * Ingress. On the host network nginx binds 80/443 as uid 101 through its file capability, which
 * needs privilege escalation allowed (the namespace is privileged then anyway).
 */
export function ingressNginxValues(exposure: Exposure, annotations: Record<string, string>, statusAddress?: pulumi.Input<string>): IngressNginxValues {
    const host = exposure === "hostNetwork";
    // --publish-service and --publish-status-address are mutually exclusive (pkg/flags/flags.go).
    const address = exposure !== "loadBalancer" && statusAddress !== undefined;
    return {
        controller: {
            kind: host ? "DaemonSet" : "Deployment",
            replicaCount: 2,
            hostNetwork: host,
            ...(host ? { dnsPolicy: "ClusterFirstWithHostNet" as const } : {}),
            ingressClass: INGRESS_CLASS,
            ingressClassResource: { name: INGRESS_CLASS, enabled: true, default: true, controllerValue: INGRESS_NGINX_CONTROLLER },
            service: {
                enabled: !host,
                type: exposure === "loadBalancer" ? "LoadBalancer" : "NodePort",
                annotations: exposure === "loadBalancer" ? annotations : {},
                ...(exposure === "nodePort" ? { nodePorts: { ...INGRESS_NODE_PORTS } } : {}),
            },
            publishService: { enabled: exposure === "loadBalancer" },
            extraArgs: address ? { "publish-status-address": statusAddress } : {},
            admissionWebhooks: { enabled: false },
            ...(host ? { image: { allowPrivilegeEscalation: true } } : {}),
            resources: RESOURCES,
        },
    };
}

/**
 * Traefik 41.3.0. On the host network the chart refuses `maxUnavailable: 0` (templates/daemonset.yaml)
 * and a pod as uid 65532 with every capability dropped cannot bind 80/443: one pod per node is
 * replaced at a time, and Traefik runs as root with NET_BIND_SERVICE only.
 */
export function traefikValues(exposure: Exposure, annotations: Record<string, string>, statusAddress?: pulumi.Input<string>): TraefikValues {
    const host = exposure === "hostNetwork";
    const address = exposure !== "loadBalancer" && statusAddress !== undefined;
    return {
        deployment: { kind: host ? "DaemonSet" : "Deployment", replicas: 2, ...(host ? { dnsPolicy: "ClusterFirstWithHostNet" as const } : {}) },
        hostNetwork: host,
        ...(host
            ? {
                  updateStrategy: { type: "RollingUpdate" as const, rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
                  podSecurityContext: { runAsUser: 0, runAsGroup: 0, runAsNonRoot: false },
                  securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"], add: ["NET_BIND_SERVICE"] } },
              }
            : {}),
        providers: {
            kubernetesCRD: { enabled: true },
            kubernetesIngress: { enabled: false },
            kubernetesIngressNGINX: {
                enabled: true,
                ingressClass: INGRESS_CLASS,
                controllerClass: INGRESS_NGINX_CONTROLLER,
                publishService: { enabled: exposure === "loadBalancer" },
                ...(address ? { publishStatusAddress: statusAddress } : {}),
            },
        },
        // The chart's own `traefik` class would also claim to be the default.
        ingressClass: { enabled: false, isDefaultClass: false },
        ports:
            exposure === "nodePort"
                ? { web: { nodePort: INGRESS_NODE_PORTS.http }, websecure: { nodePort: INGRESS_NODE_PORTS.https } }
                : host
                  ? { web: { port: 80 }, websecure: { port: 443 } }
                  : { web: {}, websecure: {} },
        service: { enabled: !host, spec: { type: exposure === "loadBalancer" ? "LoadBalancer" : "NodePort" }, annotations: exposure === "loadBalancer" ? annotations : {} },
        resources: RESOURCES,
    };
}

export interface IngressParts {
    readonly chart: k8s.helm.v4.Chart;
    /**
     * The controller writes a status address on its Ingresses, which Pulumi waits for on every
     * Ingress (pulumi-kubernetes await/ingress.go): read from the chart's facts on the values it is
     * installed with, the same facts the plan checks. Where it does not (Traefik on node ports or
     * the host network with no address in front), the apps' Ingresses carry `pulumi.com/skipAwait`.
     */
    readonly publishesStatus: boolean;
    /** The `nginx` class, when the controller's chart does not create it (Traefik). */
    readonly ingressClass?: k8s.networking.v1.IngressClass;
}

export function createIngressController(name: string, args: IngressArgs, parent: pulumi.Resource): IngressParts {
    const annotations = args.serviceAnnotations ?? {};
    // Host networking binds 80/443 on the node: that needs the privileged Pod Security level.
    const podSecurity = args.exposure === "hostNetwork" ? "privileged" : "baseline";
    if (args.controller === "ingress-nginx") {
        void pulumi.log.warn(
            `ingress-nginx reached end of maintenance on ${INGRESS_NGINX_END_OF_MAINTENANCE}: no releases or security fixes since. ` +
                "Set infra:platform.ingress.controller to traefik, which serves the same nginx class and annotations.",
        );
        const values = ingressNginxValues(args.exposure, annotations, args.statusAddress);
        const chart = installChart(`${name}-ingress-nginx`, { ref: CHARTS.ingressNginx, namespace: INGRESS_NAMESPACE, podSecurity, values, provider: args.provider, dependsOn: args.dependsOn }, parent);
        return { chart, publishesStatus: publishesStatus(CHARTS.ingressNginx.chart, values) };
    }
    // Traefik's ingress-nginx provider serves Ingresses of the `nginx` class; the class itself is ours.
    const ingressClass = new k8s.networking.v1.IngressClass(
        `${name}-class`,
        {
            metadata: { name: INGRESS_CLASS, annotations: { "ingressclass.kubernetes.io/is-default-class": "true" }, labels: { "app.kubernetes.io/managed-by": "pulumi" } },
            spec: { controller: INGRESS_NGINX_CONTROLLER },
        },
        { provider: args.provider, parent, dependsOn: args.dependsOn },
    );
    const values = traefikValues(args.exposure, annotations, args.statusAddress);
    const chart = installChart(`${name}-traefik`, { ref: CHARTS.traefik, namespace: INGRESS_NAMESPACE, podSecurity, values, provider: args.provider, dependsOn: [...args.dependsOn, ingressClass] }, parent);
    return { chart, ingressClass, publishesStatus: publishesStatus(CHARTS.traefik.chart, values) };
}

function publishesStatus(chart: string, values: object): boolean {
    return CHART_FACTS[chart].ingress?.(values).publishesStatus ?? false;
}

export class IngressController extends thinComponent("infra:platform:Ingress", createIngressController) {}
