#!/usr/bin/env bash
# upgrade-snapshot: runs on the first control plane before its upgrade step. When the control
# plane is about to move to K8S_VERSION (this node's kubelet is not there yet), etcd is snapshotted
# once for that version into /var/lib/infra/etcd-snapshots (root only) and, where etcd backups are
# configured, the backup unit uploads one to the bucket too. Nothing happens on a cluster already
# at K8S_VERSION (a new cluster, or a change of containerd only).
# Parameters: K8S_VERSION.
set -euo pipefail
export STEP="upgrade-snapshot"
: "${K8S_VERSION:?}"
# shellcheck disable=SC2034 # read by installed_version (common.sh)
family=$(os_family)
kubelet=$(installed_release kubelet)
if [ "$kubelet" = "$K8S_VERSION" ]; then
  log "the control plane runs $K8S_VERSION; no upgrade, no snapshot"
  exit 0
fi
if ! marked "etcd-snapshot-before-$K8S_VERSION"; then
  dir=/var/lib/infra/etcd-snapshots
  install -d -m 0700 "$ROOT$dir"
  log "snapshotting etcd before the upgrade from $kubelet to $K8S_VERSION"
  etcdctl_local snapshot save /var/lib/etcd/infra-before-upgrade.db >/dev/null
  mv -f "$ROOT/var/lib/etcd/infra-before-upgrade.db" "$ROOT$dir/before-v$K8S_VERSION.db"
  chmod 0600 "$ROOT$dir/before-v$K8S_VERSION.db"
  mark "etcd-snapshot-before-$K8S_VERSION"
  pending etcd-upload
fi
# (Started, it runs once: a oneshot unit whose start waits for the upload.)
if [ -f "$ROOT/etc/systemd/system/infra-etcd-backup.service" ]; then
  settle etcd-upload systemctl start infra-etcd-backup.service
else
  rm -f "$ROOT$MARKERS/pending-etcd-upload"
fi
log "etcd snapshot before $K8S_VERSION: /var/lib/infra/etcd-snapshots/before-v$K8S_VERSION.db"
