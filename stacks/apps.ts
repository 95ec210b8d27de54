/** Builds the application layer from the stack config, on whatever cluster and platform the stack has. */
import { App } from "../infra/apps";
import { BackupBucket } from "../infra/apps/backup-bucket";
import type { ClusterHandle } from "../infra/bootstrap/types";
import type { StackConfig } from "../infra/config";
import { BURST_TOLERATION } from "../infra/nodes/labels";
import type { Platform } from "../infra/platform";
import { INGRESS_NAMESPACE } from "../infra/platform/ingress";

export function createApps(cfg: StackConfig, cluster: ClusterHandle, platform: Platform): App | undefined {
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
        provider: cluster.provider,
        // The cluster's own readiness (the CNI) too: with every add-on off the platform has nothing to wait for.
        dependsOn: [...cluster.ready, ...platform.ready],
        issuer: platform.issuer,
        ingressClass: platform.ingressClass,
        ingressPublishesStatus: platform.ingressPublishesStatus,
        ingressNamespace: INGRESS_NAMESPACE,
        databaseClass: platform.databaseClass,
        registryPassword: cfg.secrets.registryPassword,
        appSecrets: cfg.secrets.appSecrets,
        backupCredentials:
            cfg.secrets.backupAccessKeyId && cfg.secrets.backupSecretAccessKey
                ? { accessKeyId: cfg.secrets.backupAccessKeyId, secretAccessKey: cfg.secrets.backupSecretAccessKey }
                : undefined,
        burstToleration: s.tolerateBurst ? { ...BURST_TOLERATION } : undefined,
        protectData: cfg.environment === "prod",
    });
}
