#!/usr/bin/env bash
# join: kubeadm join of a worker or an additional control plane, from the join configuration
# (and, for control planes, the shared certificate authorities) on standard input. Skipped on a
# node that already joined.
# Parameters: ROLE (control-plane|worker).
set -euo pipefail
export STEP="join"
: "${ROLE:?}"
LOG="$ROOT/var/log/infra-kubeadm-join.log"

if [ -f "$ROOT/etc/kubernetes/kubelet.conf" ]; then
  log "already joined"
  exit 0
fi
write_bundle
log "running kubeadm join as $ROLE (log: /var/log/infra-kubeadm-join.log)"
install -d -m 0700 "$(dirname "$LOG")"
if ! kubeadm join --config "$ROOT/etc/kubernetes/infra/kubeadm-join.yaml" >"$LOG" 2>&1; then
  grep -E 'error|ERROR|\[preflight\]' "$LOG" | tail -n 20 >&2 || true
  fail "kubeadm join failed; see /var/log/infra-kubeadm-join.log on this node"
fi
chmod 0600 "$LOG"
log "joined"
