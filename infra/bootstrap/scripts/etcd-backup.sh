#!/usr/bin/env bash
# etcd-backup: installs (or updates) a systemd timer on a control plane that snapshots etcd every
# INTERVAL_MINUTES and uploads the compressed snapshot to S3-compatible storage, deleting
# snapshots older than RETENTION_DAYS. The snapshot runs etcdctl inside the node's own etcd
# container (the exact etcd of the cluster); uploads are signed by curl (SigV4), its credentials
# read from a root-only file the program sends on standard input, never from a command line.
# Parameters: INTERVAL_MINUTES, RETENTION_DAYS, BUCKET, PREFIX, REGION, ENDPOINT.
set -euo pipefail
export STEP="etcd-backup"
: "${INTERVAL_MINUTES:?}" "${RETENTION_DAYS:?}" "${BUCKET:?}" "${PREFIX:?}" "${REGION:?}" "${ENDPOINT:?}"
dir=/etc/kubernetes/infra/etcd-backup
write_bundle
changed=false
printf 'BUCKET=%s\nPREFIX=%s\nREGION=%s\nENDPOINT=%s\nRETENTION_DAYS=%s\n' "$BUCKET" "$PREFIX" "$REGION" "$ENDPOINT" "$RETENTION_DAYS" |
  write_file "$dir/settings.env" 0600 && changed=true
printf '[Unit]\nDescription=etcd snapshot to object storage (infra)\nAfter=kubelet.service\n\n[Service]\nType=oneshot\nEnvironmentFile=%s/settings.env\nExecStart=/bin/bash %s/snapshot.sh\n' "$dir" "$dir" |
  write_file /etc/systemd/system/infra-etcd-backup.service 0644 && changed=true
printf '[Unit]\nDescription=etcd snapshot every %s minutes (infra)\n\n[Timer]\nOnBootSec=5min\nOnUnitActiveSec=%smin\nPersistent=true\n\n[Install]\nWantedBy=timers.target\n' "$INTERVAL_MINUTES" "$INTERVAL_MINUTES" |
  write_file /etc/systemd/system/infra-etcd-backup.timer 0644 && changed=true
if $changed; then
  systemctl daemon-reload
  log "etcd snapshots every $INTERVAL_MINUTES minutes to $ENDPOINT/$BUCKET/$PREFIX, kept $RETENTION_DAYS days"
fi
systemctl is-enabled --quiet infra-etcd-backup.timer || systemctl enable --now infra-etcd-backup.timer
