#!/usr/bin/env bash
# upgrade-uncordon: runs on the first control plane after a worker's upgrade step. A worker that
# upgrade-drain drained (its annotation) must come back Ready at the stack's versions; then it is
# uncordoned and the annotation removed. A node cordoned by anyone else stays cordoned.
# The node's kubelet reports its new version some seconds after its restart: that is waited for
# first, then Ready (a Ready condition from before the restart proves nothing).
# Parameters: NODE_NAME, K8S_VERSION, CONTAINERD_VERSION, READY_TIMEOUT (seconds).
set -euo pipefail
export STEP="upgrade-uncordon"
: "${NODE_NAME:?}" "${K8S_VERSION:?}" "${CONTAINERD_VERSION:?}" "${READY_TIMEOUT:=300}"
export KUBECONFIG="$ROOT/etc/kubernetes/admin.conf"
ANNOTATION=infra.local/drained-for-upgrade

if ! node_get "$NODE_NAME" "jsonpath={.metadata.annotations.${ANNOTATION//./\\.}}"; then
  log "$NODE_NAME is not in the cluster; nothing to uncordon"
  exit 0
fi
if [ -z "$NODE_OUTPUT" ]; then
  log "$NODE_NAME was not drained for an upgrade; left as it is"
  exit 0
fi
log "waiting up to ${READY_TIMEOUT}s for $NODE_NAME to report kubelet $K8S_VERSION, containerd $CONTAINERD_VERSION and Ready"
wait_for_versions "$NODE_NAME" "$K8S_VERSION" "$CONTAINERD_VERSION" "$READY_TIMEOUT"
kubectl wait --for=condition=Ready "node/$NODE_NAME" --timeout="${READY_TIMEOUT}s" >/dev/null
kubectl uncordon "$NODE_NAME" >/dev/null
kubectl annotate node "$NODE_NAME" "$ANNOTATION-" >/dev/null
log "$NODE_NAME is back: kubelet $K8S_VERSION, uncordoned"
