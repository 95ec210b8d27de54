#!/usr/bin/env bash
# join: kubeadm join of a worker or an additional control plane, from the join configuration
# (and, for control planes, the shared certificate authorities) on standard input. Skipped once
# the node joined (the `joined` marker); a join that failed half-way is reset and run again. A
# kubelet newer than the cluster's API server is refused before anything changes.
# Parameters: ROLE (control-plane|worker), API_ENDPOINT (host:port of the API server).
set -euo pipefail
export STEP="join"
: "${ROLE:?}" "${API_ENDPOINT:?}"
LOG=/var/log/infra-kubeadm-join.log
bundle=$(cat)

if in_cluster; then
  marked joined || mark joined
  log "already joined"
  exit 0
fi

# The version skew policy: a kubelet must not be newer than the API server. A node added after
# infra:kubernetes.version was raised, before the cluster was upgraded, would be.
cluster=$(curl -fsSk --max-time 10 "https://$API_ENDPOINT/version" 2>/dev/null | grep -oE '"gitVersion": *"v[0-9]+\.[0-9]+\.[0-9]+' | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' || true)
node=$(kubelet --version 2>/dev/null | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' || true)
if [ -n "$cluster" ] && [ -n "$node" ] && [ "$(printf '%s\n%s\n' "$cluster" "$node" | sort -V | tail -n 1)" != "$cluster" ]; then
  fail "this node's kubelet $node is newer than the cluster's API server $cluster: set infra:kubernetes.version to $cluster until the cluster is upgraded"
fi

open_log "$LOG"
if marked join-started; then reset_node; fi
write_bundle <<<"$bundle"
mark join-started
log "running kubeadm join as $ROLE (log: $LOG)"
kubeadm_logged "kubeadm join failed; see $LOG on this node (the next run resets the node and tries again)" join --config "$ROOT/etc/kubernetes/infra/kubeadm-join.yaml"
mark joined
log "joined"
