/**
 * What the last completed `pulumi up` of this stack left, read back through a StackReference to
 * the stack itself (its `lifecycle` output), and the rules a change must keep against it. A
 * stack never deployed reads nothing: a new cluster. The offline plan stands in for the
 * deployed stack with `--deployed <plan dir>` (its outputs.json).
 */
import * as pulumi from "@pulumi/pulumi";
import { apiEndpointKind, deployedLifecycle, type Lifecycle, lifecycleProblems, type RolloutPlan, rolloutPlan, type Wanted } from "../infra/bootstrap/lifecycle";
import { now } from "../infra/bootstrap/steps";
import { ConfigError, nodeNames, type StackConfig } from "../infra/config";
import { readOutputs } from "./outputs";

/** `org/project/stack` of the stack this program runs in. */
export function selfStackName(): string {
    return `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`;
}

async function readLifecycle(cfg: StackConfig): Promise<Lifecycle | undefined> {
    const ref = new pulumi.StackReference(`${cfg.clusterName}-deployed`, { name: selfStackName() });
    return deployedLifecycle(await readOutputs(ref, ["lifecycle", "join", "nodes"]), now());
}

/** This stack file's cluster, as the lifecycle describes one (nodes in the node layer's order: control planes first). */
export function wantedLifecycle(cfg: StackConfig): Wanted {
    const k = cfg.kubernetes!;
    const names = (role: string) => cfg.pools.filter((p) => p.role === role).flatMap((p) => nodeNames(cfg.clusterName, p));
    const controlPlanes = names("control-plane");
    return {
        kubernetesVersion: k.version,
        containerdVersion: k.containerdVersion,
        controlPlanes,
        workers: names("worker"),
        apiEndpoint: apiEndpointKind({ virtualIp: k.virtualIp?.address, configured: k.apiEndpoint, controlPlanes }),
        workerBatch: k.upgrade.workerBatch,
    };
}

export interface DayTwo {
    readonly deployed?: Lifecycle;
    readonly wanted: Wanted;
    readonly plan: RolloutPlan;
}

/** Reads the deployed lifecycle and refuses (ConfigError, before any other resource) what kubeadm cannot do to it. */
export async function dayTwo(cfg: StackConfig): Promise<DayTwo> {
    const deployed = await readLifecycle(cfg);
    const wanted = wantedLifecycle(cfg);
    const problems = lifecycleProblems(deployed, wanted);
    if (problems.length) throw new ConfigError(problems);
    return { deployed, wanted, plan: rolloutPlan(deployed, wanted, cfg.kubernetes!.upgrade.certificateRenewalDays, now()) };
}
