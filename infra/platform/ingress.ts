/**
 * The ingress controller behind the `nginx` ingress class (the cluster default), whichever it is:
 * ingress-nginx from its official chart, pinned to its final release (maintenance ended
 * 2026-03-24), or Traefik with its ingress-nginx provider, which serves the same class and
 * annotations. Apps emit standard `Ingress` objects of class `nginx`: switching is one config line.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { type Exposure, INGRESS_NODE_PORTS } from "../config";
import { thinComponent } from "../component";
import { installChart } from "./helm";
import { CHARTS, INGRESS_NGINX_END_OF_MAINTENANCE } from "./versions";

export const INGRESS_CLASS = "nginx";
export const INGRESS_NGINX_CONTROLLER = "k8s.io/ingress-nginx";
export const INGRESS_NAMESPACE = "ingress";

export interface IngressArgs {
    readonly controller: "ingress-nginx" | "traefik";
    readonly exposure: Exposure;
    readonly provider: k8s.Provider;
    readonly dependsOn: pulumi.Input<pulumi.Resource>[];
    /** Annotations of the LoadBalancer Service (the cloud controller's settings). */
    readonly serviceAnnotations?: Record<string, string>;
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
        resources: Resources;
    };
}

/** Traefik chart values, typed: only what this program sets. */
export interface TraefikValues {
    deployment: { kind: "Deployment" | "DaemonSet"; replicas: number };
    hostNetwork: boolean;
    providers: {
        kubernetesCRD: { enabled: boolean };
        kubernetesIngress: { enabled: boolean };
        kubernetesIngressNGINX: { enabled: boolean; ingressClass: string; controllerClass: string; publishService: { enabled: boolean } };
    };
    ingressClass: { enabled: boolean; isDefaultClass: boolean };
    ports: { web: { nodePort?: number; port?: number }; websecure: { nodePort?: number; port?: number } };
    service: { enabled: boolean; spec: { type: "LoadBalancer" | "NodePort" }; annotations: Record<string, string> };
    resources: Resources;
}

export function ingressNginxValues(exposure: Exposure, annotations: Record<string, string>): IngressNginxValues {
    const host = exposure === "hostNetwork";
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
            resources: RESOURCES,
        },
    };
}

export function traefikValues(exposure: Exposure, annotations: Record<string, string>): TraefikValues {
    const host = exposure === "hostNetwork";
    return {
        deployment: { kind: host ? "DaemonSet" : "Deployment", replicas: 2 },
        hostNetwork: host,
        providers: {
            kubernetesCRD: { enabled: true },
            kubernetesIngress: { enabled: false },
            kubernetesIngressNGINX: { enabled: true, ingressClass: INGRESS_CLASS, controllerClass: INGRESS_NGINX_CONTROLLER, publishService: { enabled: !host } },
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
        const chart = installChart(`${name}-ingress-nginx`, { ref: CHARTS.ingressNginx, namespace: INGRESS_NAMESPACE, podSecurity, values: ingressNginxValues(args.exposure, annotations), provider: args.provider, dependsOn: args.dependsOn }, parent);
        return { chart };
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
    const chart = installChart(
        `${name}-traefik`,
        { ref: CHARTS.traefik, namespace: INGRESS_NAMESPACE, podSecurity, values: traefikValues(args.exposure, annotations), provider: args.provider, dependsOn: [...args.dependsOn, ingressClass] },
        parent,
    );
    return { chart, ingressClass };
}

export class IngressController extends thinComponent("infra:platform:Ingress", createIngressController) {}
