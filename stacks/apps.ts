/** Builds the application layer from the stack config, on whatever cluster and platform the stack has. */
import type * as k8s from "@pulumi/kubernetes";
import { App } from "../infra/apps";
import { BackupBucket } from "../infra/apps/backup-bucket";
import type { StackConfig } from "../infra/config";
import type { Platform } from "../infra/platform";
import { INGRESS_NAMESPACE } from "../infra/platform/ingress";

/** The taint burst workers carry (infra:burst); apps with `tolerateBurst` tolerate it. */
export const BURST_TAINT = { key: "infra.local/burst", value: "true", effect: "NoSchedule" } as const;

export function createApps(cfg: StackConfig, provider: k8s.Provider, platform: Platform): App | undefined {
    const s = cfg.apps;
    if (!s) return undefined;
    if (s.backups?.createBucket)
        new BackupBucket(`${cfg.clusterName}-backups`, {
            bucket: s.backups.bucket,
            region: s.backups.region,
            retentionDays: s.backups.retentionDays,
            tags: { cluster: cfg.clusterName, environment: cfg.environment, "managed-by": "pulumi" },
        });
    return new App(`${cfg.clusterName}-app`, {
        settings: s,
        environment: cfg.environment,
        provider,
        dependsOn: platform.ready,
        issuer: platform.issuer,
        ingressClass: platform.ingressClass,
        ingressNamespace: INGRESS_NAMESPACE,
        databaseClass: platform.databaseClass,
        registryPassword: cfg.secrets.registryPassword,
        backupCredentials:
            cfg.secrets.backupAccessKeyId && cfg.secrets.backupSecretAccessKey
                ? { accessKeyId: cfg.secrets.backupAccessKeyId, secretAccessKey: cfg.secrets.backupSecretAccessKey }
                : undefined,
        burstToleration: s.tolerateBurst ? { key: BURST_TAINT.key, operator: "Equal", value: BURST_TAINT.value, effect: BURST_TAINT.effect } : undefined,
        protectData: cfg.environment === "prod",
    });
}
