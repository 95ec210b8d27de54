#!/usr/bin/env bash
# drain: runs on the first control plane when a worker leaves the stack (scale in, destroy),
# before its machine goes away: evicts its pods (respecting disruption budgets) and deletes
# the node object. A drain that cannot evict fails the step rather than dropping pods.
# Parameters: NODE_NAME.
set -euo pipefail
export STEP="drain"
: "${NODE_NAME:?}"
export KUBECONFIG="$ROOT/etc/kubernetes/admin.conf"

if ! kubectl get node "$NODE_NAME" >/dev/null 2>&1; then
  log "node $NODE_NAME is not in the cluster; nothing to drain"
  exit 0
fi
log "draining $NODE_NAME"
kubectl drain "$NODE_NAME" --ignore-daemonsets --delete-emptydir-data --timeout=600s
kubectl delete node "$NODE_NAME" --wait=true
log "removed $NODE_NAME"
