#!/usr/bin/env bash
# drain: runs on the first control plane when a worker leaves the stack (scale in, destroy),
# before its machine goes away: evicts its pods, respecting disruption budgets, then deletes the
# node object. On a Ready node a drain that cannot finish in DRAIN_TIMEOUT fails the step rather
# than dropping pods. On a node that is NotReady or unreachable nothing can confirm a pod's end:
# the drain does not wait for that, the node object is deleted, and the cluster's pod garbage
# collector removes what ran there; what was forced is reported.
# Parameters: NODE_NAME, DRAIN_TIMEOUT (seconds; defaults to 300).
set -euo pipefail
export STEP="drain"
: "${NODE_NAME:?}" "${DRAIN_TIMEOUT:=300}"
export KUBECONFIG="$ROOT/etc/kubernetes/admin.conf"

if ! kubectl get node "$NODE_NAME" >/dev/null 2>&1; then
  log "node $NODE_NAME is not in the cluster; nothing to drain"
  exit 0
fi
ready=$(kubectl get node "$NODE_NAME" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null || true)
if [ "$ready" = True ]; then
  log "draining $NODE_NAME"
  kubectl drain "$NODE_NAME" --ignore-daemonsets --delete-emptydir-data --timeout="${DRAIN_TIMEOUT}s"
else
  log "warning: $NODE_NAME is not Ready (${ready:-Unknown}); its pods cannot confirm their end, so they are not waited for"
  pods=$(kubectl get pods -A --field-selector "spec.nodeName=$NODE_NAME" -o 'jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name}{" "}{end}' 2>/dev/null || true)
  kubectl drain "$NODE_NAME" --ignore-daemonsets --delete-emptydir-data --force --skip-wait-for-delete-timeout=1 --timeout=120s ||
    log "warning: the drain of $NODE_NAME did not finish; deleting the node object anyway"
  log "forced off $NODE_NAME: ${pods:-no pods}"
fi
kubectl delete node "$NODE_NAME" --wait=true --timeout=120s
log "removed $NODE_NAME"
