/**
 * `WebWorkload`: a Deployment + Service with everything a production web workload needs:
 * probes, requests and limits, a non-root restricted security context, spreading over nodes,
 * a PodDisruptionBudget and optionally a CPU autoscaler. Django and Angular specialise it.
 * The specs are pure functions (`deploymentSpec`, `serviceSpec`, ...); `createWebWorkload` turns
 * them into resources.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { type AppIdentity, labels, selector } from "./labels";
import { thinComponent } from "../component";

type Env = k8s.types.input.core.v1.EnvVar;
type Volume = k8s.types.input.core.v1.Volume;
type VolumeMount = k8s.types.input.core.v1.VolumeMount;

export interface Resources {
    /** CPU request; none lets the pod burst on an idle node without reserving a share. */
    readonly cpuRequest?: string;
    /** Memory request. */
    readonly memoryRequest: string;
    /** CPU limit. */
    readonly cpuLimit: string;
    /** Memory limit. */
    readonly memoryLimit: string;
}

/** What a workload's specs are made of: everything but where and how it is created. */
export interface WebWorkloadSpecArgs {
    /** The app the workload belongs to (labels). */
    readonly id: AppIdentity;
    /** Name of the Deployment, Service, budget and autoscaler. */
    readonly name: string;
    /** `app.kubernetes.io/component`, and the container's name. */
    readonly component: string;
    /** Image, pinned by the stack file. */
    readonly image: string;
    /** Container port, named `http`. */
    readonly port: number;
    /** Replicas without an autoscaler. */
    readonly replicas: number;
    /** Path of the HTTP readiness and liveness probes. */
    readonly healthPath: string;
    /** Requests and limits of the container. */
    readonly resources: Resources;
    /** Scale on CPU between min and max replicas; the autoscaler then owns the replica count. */
    readonly autoscaling?: { readonly minReplicas: number; readonly maxReplicas: number; readonly cpuPercent: number };
    /** Pods kept during drains. Defaults to replicas - 1 (no budget with one replica). */
    readonly minAvailable?: number;
    /** Plain environment. */
    readonly env?: Readonly<Record<string, string>>;
    /** Environment from Secrets (or other sources): never literal secret values. */
    readonly secretEnv?: Env[];
    /** Command; defaults to the image's entrypoint. */
    readonly command?: string[];
    /** Service type, and the node port of a NodePort service. Defaults to ClusterIP. */
    readonly service?: { readonly type: "ClusterIP" | "NodePort" | "LoadBalancer"; readonly nodePort?: number };
    /** Names of registry Secrets to pull the image with. */
    readonly imagePullSecrets?: string[];
    /** Taints the pods tolerate (burst workers). */
    readonly tolerations?: k8s.types.input.core.v1.Toleration[];
    /** Pod volumes. */
    readonly volumes?: k8s.types.input.core.v1.Volume[];
    /** Mounts of the main container. */
    readonly volumeMounts?: k8s.types.input.core.v1.VolumeMount[];
    /** Containers that run to completion before the main one. */
    readonly initContainers?: k8s.types.input.core.v1.Container[];
    /** Pod labels beyond the standard ones (e.g. the database client label). */
    readonly extraPodLabels?: Record<string, string>;
    /**
     * Directories the main container writes, each an emptyDir: its root filesystem is read-only.
     * `/tmp` always is one.
     */
    readonly writablePaths?: readonly string[];
}

export interface WebWorkloadArgs extends WebWorkloadSpecArgs {
    /** Namespace of every object. */
    readonly namespace: pulumi.Input<string>;
    /** Provider of the cluster. */
    readonly provider: k8s.Provider;
    /** What must exist first. */
    readonly dependsOn?: pulumi.Resource[];
}

/**
 * The Pod Security `restricted` profile, non-root; a port below 1024 gets only NET_BIND_SERVICE.
 * The root filesystem is read-only: what a container writes goes to a volume (`scratch`, the
 * database's claim), so a compromised process cannot rewrite the image's programs or configuration.
 */
export function containerSecurity(port?: number): k8s.types.input.core.v1.SecurityContext {
    return {
        runAsNonRoot: true,
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ["ALL"], ...(port !== undefined && port < 1024 ? { add: ["NET_BIND_SERVICE"] } : {}) },
        seccompProfile: { type: "RuntimeDefault" },
    };
}

/**
 * No pod of the app talks to the Kubernetes API (web servers, migrations, the database, dumps to
 * object storage), and the program grants the namespace's service accounts no role: pods get no
 * service account token (`automountServiceAccountToken: false` on every pod spec here).
 */
export const NO_API_TOKEN = { automountServiceAccountToken: false } as const;

/** Every container has a writable `/tmp` (Python's and gunicorn's temporary files, aws-cli's HOME, MariaDB's tmpdir). */
export const TMP = "/tmp";

/** The emptyDir of a writable directory, named after its path: containers of a pod that write the same path share it. */
export function scratchVolumeName(path: string): string {
    return `scratch-${path.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") || "root"}`.slice(0, 63).replace(/-$/, "");
}

/** emptyDirs at `/tmp` and `paths`, for containers whose root filesystem is read-only: the pod's volumes and a container's mounts. */
export function scratch(...paths: readonly string[]): { readonly volumes: Volume[]; readonly mounts: VolumeMount[] } {
    const dirs = [...new Set([TMP, ...paths])];
    const names = dirs.map(scratchVolumeName);
    const clash = names.find((n, i) => names.indexOf(n) !== i);
    if (clash) throw new Error(`writable paths ${dirs.filter((d) => scratchVolumeName(d) === clash).join(" and ")} would share the volume ${clash}`);
    return { volumes: names.map((name) => ({ name, emptyDir: {} })), mounts: dirs.map((mountPath, i) => ({ name: names[i], mountPath })) };
}

export function resourceSpec(r: Resources): k8s.types.input.core.v1.ResourceRequirements {
    return {
        requests: { ...(r.cpuRequest ? { cpu: r.cpuRequest } : {}), memory: r.memoryRequest },
        limits: { cpu: r.cpuLimit, memory: r.memoryLimit },
    };
}

/** Replicas the Deployment starts with: the autoscaler's minimum when there is one. */
export function initialReplicas(a: Pick<WebWorkloadSpecArgs, "replicas" | "autoscaling">): number {
    return a.autoscaling?.minReplicas ?? a.replicas;
}

function httpProbe(path: string, failureThreshold: number, periodSeconds: number) {
    return { httpGet: { path, port: "http" }, periodSeconds, timeoutSeconds: 3, failureThreshold };
}

export function deploymentSpec(a: WebWorkloadSpecArgs): k8s.types.input.apps.v1.DeploymentSpec {
    const lbls = labels(a.id, a.name, a.component);
    const sel = selector(a.id, a.name);
    const writable = scratch(...(a.writablePaths ?? []));
    return {
        replicas: initialReplicas(a),
        revisionHistoryLimit: 5,
        selector: { matchLabels: sel },
        // Surge, never take a serving pod away first.
        strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
        template: {
            metadata: { labels: { ...lbls, ...a.extraPodLabels } },
            spec: {
                ...NO_API_TOKEN,
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
                        readinessProbe: httpProbe(a.healthPath, 3, 10),
                        livenessProbe: { ...httpProbe(a.healthPath, 6, 20), initialDelaySeconds: 10 },
                        resources: resourceSpec(a.resources),
                        securityContext: containerSecurity(a.port),
                        volumeMounts: [...(a.volumeMounts ?? []), ...writable.mounts],
                    },
                ],
                volumes: [...(a.volumes ?? []), ...writable.volumes],
            },
        },
    };
}

export function serviceSpec(a: Pick<WebWorkloadSpecArgs, "id" | "name" | "port" | "service">): k8s.types.input.core.v1.ServiceSpec {
    return {
        type: a.service?.type ?? "ClusterIP",
        selector: selector(a.id, a.name),
        ports: [{ name: "http", port: a.port, targetPort: "http", protocol: "TCP", ...(a.service?.nodePort ? { nodePort: a.service.nodePort } : {}) }],
    };
}

/** The budget that keeps pods serving during drains; none when it would allow no drain at all. */
export function disruptionBudgetSpec(a: Pick<WebWorkloadSpecArgs, "id" | "name" | "replicas" | "autoscaling" | "minAvailable">): k8s.types.input.policy.v1.PodDisruptionBudgetSpec | undefined {
    const minAvailable = a.minAvailable ?? initialReplicas(a) - 1;
    return minAvailable > 0 ? { minAvailable, selector: { matchLabels: selector(a.id, a.name) } } : undefined;
}

export function autoscalerSpec(a: Pick<WebWorkloadSpecArgs, "name" | "autoscaling">): k8s.types.input.autoscaling.v2.HorizontalPodAutoscalerSpec | undefined {
    if (!a.autoscaling) return undefined;
    return {
        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: a.name },
        minReplicas: a.autoscaling.minReplicas,
        maxReplicas: a.autoscaling.maxReplicas,
        metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: a.autoscaling.cpuPercent } } }],
    };
}

export interface WebWorkloadResult {
    readonly deployment: k8s.apps.v1.Deployment;
    readonly service: k8s.core.v1.Service;
    readonly serviceName: string;
    readonly hpa?: k8s.autoscaling.v2.HorizontalPodAutoscaler;
    readonly pdb?: k8s.policy.v1.PodDisruptionBudget;
}

export function createWebWorkload(name: string, a: WebWorkloadArgs, parent: pulumi.Resource): WebWorkloadResult {
    const metadata = { name: a.name, namespace: a.namespace, labels: labels(a.id, a.name, a.component) };
    const child = { provider: a.provider, parent, dependsOn: a.dependsOn };
    const deployment = new k8s.apps.v1.Deployment(
        name,
        { metadata, spec: deploymentSpec(a) },
        // With an autoscaler the replica count is the autoscaler's; a `pulumi up` must not reset it.
        { ...child, ignoreChanges: a.autoscaling ? ["spec.replicas"] : [] },
    );
    const service = new k8s.core.v1.Service(`${name}-svc`, { metadata, spec: serviceSpec(a) }, child);
    const budget = disruptionBudgetSpec(a);
    const pdb = budget ? new k8s.policy.v1.PodDisruptionBudget(`${name}-pdb`, { metadata, spec: budget }, child) : undefined;
    const scaling = autoscalerSpec(a);
    const hpa = scaling ? new k8s.autoscaling.v2.HorizontalPodAutoscaler(`${name}-hpa`, { metadata, spec: scaling }, child) : undefined;
    return { deployment, service, serviceName: a.name, hpa, pdb };
}

export class WebWorkload extends thinComponent("infra:apps:WebWorkload", createWebWorkload) {}
