/**
 * `WebWorkload`: a Deployment + Service with everything a production web workload needs:
 * probes, requests and limits, a non-root restricted security context, spreading over nodes,
 * a PodDisruptionBudget and optionally a CPU autoscaler. Django and Angular specialise it.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { type AppIdentity, labels, selector } from "./labels";

type Env = k8s.types.input.core.v1.EnvVar;

export interface Resources {
    readonly cpuRequest?: string;
    readonly memoryRequest: string;
    readonly cpuLimit: string;
    readonly memoryLimit: string;
}

export interface WebWorkloadArgs {
    readonly id: AppIdentity;
    readonly namespace: pulumi.Input<string>;
    readonly name: string;
    readonly component: string;
    readonly image: string;
    readonly port: number;
    readonly replicas: number;
    readonly healthPath: string;
    readonly resources: Resources;
    readonly autoscaling?: { readonly minReplicas: number; readonly maxReplicas: number; readonly cpuPercent: number };
    /** Pods kept during drains. Defaults to replicas - 1 (no budget with one replica). */
    readonly minAvailable?: number;
    readonly env?: Readonly<Record<string, string>>;
    /** Environment from Secrets (or other sources): never literal secret values. */
    readonly secretEnv?: Env[];
    readonly command?: string[];
    readonly service?: { readonly type: "ClusterIP" | "NodePort" | "LoadBalancer"; readonly nodePort?: number };
    readonly imagePullSecrets?: string[];
    readonly tolerations?: k8s.types.input.core.v1.Toleration[];
    readonly volumes?: k8s.types.input.core.v1.Volume[];
    readonly volumeMounts?: k8s.types.input.core.v1.VolumeMount[];
    readonly initContainers?: k8s.types.input.core.v1.Container[];
    readonly extraPodLabels?: Record<string, string>;
    readonly provider: k8s.Provider;
    readonly dependsOn?: pulumi.Resource[];
}

/** The Pod Security `restricted` profile, non-root; a port below 1024 gets only NET_BIND_SERVICE. */
export function containerSecurity(port?: number): k8s.types.input.core.v1.SecurityContext {
    return {
        runAsNonRoot: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ["ALL"], ...(port !== undefined && port < 1024 ? { add: ["NET_BIND_SERVICE"] } : {}) },
        seccompProfile: { type: "RuntimeDefault" },
    };
}

export function resourceSpec(r: Resources): k8s.types.input.core.v1.ResourceRequirements {
    return {
        requests: { ...(r.cpuRequest ? { cpu: r.cpuRequest } : {}), memory: r.memoryRequest },
        limits: { cpu: r.cpuLimit, memory: r.memoryLimit },
    };
}

export class WebWorkload extends pulumi.ComponentResource {
    readonly deployment: k8s.apps.v1.Deployment;
    readonly service: k8s.core.v1.Service;
    readonly serviceName: string;
    readonly hpa?: k8s.autoscaling.v2.HorizontalPodAutoscaler;
    readonly pdb?: k8s.policy.v1.PodDisruptionBudget;

    constructor(resourceName: string, a: WebWorkloadArgs, opts?: pulumi.ComponentResourceOptions) {
        super("infra:apps:WebWorkload", resourceName, {}, opts);
        const lbls = labels(a.id, a.name, a.component);
        const sel = selector(a.id, a.name);
        const child = { provider: a.provider, parent: this, dependsOn: a.dependsOn };
        const replicas = a.autoscaling?.minReplicas ?? a.replicas;
        const probe = (failureThreshold: number, periodSeconds: number) => ({
            httpGet: { path: a.healthPath, port: "http" },
            periodSeconds,
            timeoutSeconds: 3,
            failureThreshold,
        });
        this.deployment = new k8s.apps.v1.Deployment(
            resourceName,
            {
                metadata: { name: a.name, namespace: a.namespace, labels: lbls },
                spec: {
                    replicas,
                    revisionHistoryLimit: 5,
                    selector: { matchLabels: sel },
                    strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
                    template: {
                        metadata: { labels: { ...lbls, ...a.extraPodLabels } },
                        spec: {
                            securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
                            imagePullSecrets: a.imagePullSecrets?.map((name) => ({ name })),
                            tolerations: a.tolerations,
                            topologySpreadConstraints: [{ maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: sel } }],
                            initContainers: a.initContainers,
                            containers: [
                                {
                                    name: a.component,
                                    image: a.image,
                                    command: a.command,
                                    ports: [{ name: "http", containerPort: a.port, protocol: "TCP" }],
                                    env: [...Object.entries(a.env ?? {}).map(([name, value]) => ({ name, value })), ...(a.secretEnv ?? [])],
                                    readinessProbe: probe(3, 10),
                                    livenessProbe: { ...probe(6, 20), initialDelaySeconds: 10 },
                                    resources: resourceSpec(a.resources),
                                    securityContext: containerSecurity(a.port),
                                    volumeMounts: a.volumeMounts,
                                },
                            ],
                            volumes: a.volumes,
                        },
                    },
                },
            },
            // With an autoscaler the replica count is the autoscaler's; a `pulumi up` must not reset it.
            { ...child, ignoreChanges: a.autoscaling ? ["spec.replicas"] : [] },
        );
        this.serviceName = a.name;
        this.service = new k8s.core.v1.Service(
            `${resourceName}-svc`,
            {
                metadata: { name: a.name, namespace: a.namespace, labels: lbls },
                spec: {
                    type: a.service?.type ?? "ClusterIP",
                    selector: sel,
                    ports: [{ name: "http", port: a.port, targetPort: "http", protocol: "TCP", ...(a.service?.nodePort ? { nodePort: a.service.nodePort } : {}) }],
                },
            },
            child,
        );
        const minAvailable = a.minAvailable ?? replicas - 1;
        if (minAvailable > 0) {
            this.pdb = new k8s.policy.v1.PodDisruptionBudget(
                `${resourceName}-pdb`,
                { metadata: { name: a.name, namespace: a.namespace, labels: lbls }, spec: { minAvailable, selector: { matchLabels: sel } } },
                child,
            );
        }
        if (a.autoscaling) {
            this.hpa = new k8s.autoscaling.v2.HorizontalPodAutoscaler(
                `${resourceName}-hpa`,
                {
                    metadata: { name: a.name, namespace: a.namespace, labels: lbls },
                    spec: {
                        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: a.name },
                        minReplicas: a.autoscaling.minReplicas,
                        maxReplicas: a.autoscaling.maxReplicas,
                        metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: a.autoscaling.cpuPercent } } }],
                    },
                },
                child,
            );
        }
        this.registerOutputs({});
    }
}
