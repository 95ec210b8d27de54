#!/usr/bin/env bash
# upgrade-drain: runs on the first control plane before a worker's upgrade step. A worker that runs
# an older kubelet or containerd than the stack says is cordoned, marked as drained for this
# upgrade (an annotation, so that upgrade-uncordon undoes only this cordon, never an admin's),
# and drained, respecting PodDisruptionBudgets. A drain that does not finish in DRAIN_TIMEOUT
# fails the step with the pods that could not be evicted; the node stays cordoned, and the next
# run drains again. A worker not in the cluster yet, or already at both versions, is left alone.
# Parameters: NODE_NAME, K8S_VERSION, CONTAINERD_VERSION, DRAIN_TIMEOUT (seconds).
set -euo pipefail
export STEP="upgrade-drain"
: "${NODE_NAME:?}" "${K8S_VERSION:?}" "${CONTAINERD_VERSION:?}" "${DRAIN_TIMEOUT:=300}"
export KUBECONFIG="$ROOT/etc/kubernetes/admin.conf"
ANNOTATION=infra.local/drained-for-upgrade

if ! node_get "$NODE_NAME" 'jsonpath={.status.nodeInfo.kubeletVersion} {.status.nodeInfo.containerRuntimeVersion}'; then
  log "$NODE_NAME is not in the cluster yet; nothing to drain"
  exit 0
fi
read -r kubelet runtime <<<"$NODE_OUTPUT"
kubelet="${kubelet#v}"
runtime="${runtime#containerd://}"
if version_gt "$kubelet" "$K8S_VERSION"; then
  fail "$NODE_NAME runs kubelet $kubelet, newer than infra:kubernetes.version $K8S_VERSION: Kubernetes cannot be downgraded"
fi
if [ "$kubelet" = "$K8S_VERSION" ] && [ "$runtime" = "$CONTAINERD_VERSION" ]; then
  log "$NODE_NAME already runs kubernetes $K8S_VERSION and containerd $CONTAINERD_VERSION; not drained"
  exit 0
fi

# Drained once per target (a marker on this control plane): the step runs again only after it failed.
done_marker="upgrade-drained-$NODE_NAME-$K8S_VERSION-$CONTAINERD_VERSION"
if marked "$done_marker"; then
  log "$NODE_NAME was drained for this upgrade already"
  exit 0
fi
log "draining $NODE_NAME (kubelet $kubelet -> $K8S_VERSION, containerd $runtime -> $CONTAINERD_VERSION)"
kubectl annotate node "$NODE_NAME" --overwrite "$ANNOTATION=$K8S_VERSION" >/dev/null
if ! kubectl drain "$NODE_NAME" --ignore-daemonsets --delete-emptydir-data --timeout="${DRAIN_TIMEOUT}s" >/dev/null; then
  left=$(kubectl get pods -A --field-selector "spec.nodeName=$NODE_NAME" -o 'jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name}{" "}{end}' 2>/dev/null || true)
  fail "could not drain $NODE_NAME in ${DRAIN_TIMEOUT}s; still there (a PodDisruptionBudget that allows no eviction, or pods that do not end): ${left:-unknown}. The node stays cordoned; the next pulumi up drains it again"
fi
mark "$done_marker"
log "drained $NODE_NAME"
