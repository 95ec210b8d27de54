/**
 * kured, opt-in (`infra:platform.kured`): nodes whose unattended upgrades ask for a reboot
 * (/var/run/reboot-required) are cordoned, drained through the eviction API (PodDisruptionBudgets
 * respected: a drain that cannot finish is undone and retried later, `forceReboot` stays off),
 * rebooted and uncordoned, one node at a time (a lock on kured's own DaemonSet), only inside the
 * stack file's window. Read at kubereboot/charts kured-6.1.0: no hooks, no CRDs; the DaemonSet runs
 * privileged with hostPID (nsenter into the host to reboot), so its namespace is privileged; it
 * tolerates the control-plane taint by default, so control planes are patched too. The
 * Kubernetes packages are held (prepare, upgrade): unattended upgrades never move them.
 */
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { PLATFORM_NAMESPACES } from "../config/platform";
import type { Settings } from "../config/schema";
import { installChart } from "./helm";
import { CHARTS } from "./versions";

export type KuredSettings = Settings["platform"]["kured"];

export interface KuredValues {
    configuration: {
        rebootSentinel: string;
        startTime: string;
        endTime: string;
        timeZone: string;
        rebootDays: string[];
        period: string;
        drainTimeout: string;
        concurrency: number;
        forceReboot: boolean;
    };
}

/** The chart's values: the window, a check every 10 minutes, a drain that gives up (and retries) after 15 minutes. */
export function kuredValues(k: KuredSettings): KuredValues {
    return {
        configuration: {
            rebootSentinel: "/var/run/reboot-required",
            startTime: k.start,
            endTime: k.end,
            timeZone: k.timeZone,
            rebootDays: [...k.days],
            period: "10m",
            drainTimeout: "15m",
            concurrency: 1,
            forceReboot: false,
        },
    };
}

export function installKured(name: string, k: KuredSettings, provider: k8s.Provider, dependsOn: pulumi.Input<pulumi.Resource>[], parent: pulumi.Resource): k8s.helm.v4.Chart {
    return installChart(name, { ref: CHARTS.kured, namespace: PLATFORM_NAMESPACES.kured, podSecurity: "privileged", values: kuredValues(k), provider, dependsOn }, parent);
}
