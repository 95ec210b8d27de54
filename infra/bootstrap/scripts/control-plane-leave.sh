#!/usr/bin/env bash
# control-plane-leave: runs on the first control plane when another control plane leaves the stack
# (scale in, or the machine is replaced), before its machine goes away: its pods are evicted
# (respecting disruption budgets), its etcd member is removed while the remaining members still
# form a quorum, then its Node object is deleted. A member or node already gone is skipped, so a
# run that failed half-way is finished by the next one.
# Parameters: NODE_NAME, DRAIN_TIMEOUT (seconds).
set -euo pipefail
export STEP="control-plane-leave"
: "${NODE_NAME:?}" "${DRAIN_TIMEOUT:=300}"
in_node=false
if node_exists "$NODE_NAME"; then
  in_node=true
  evict_node "$NODE_NAME"
fi
# `member list` prints: ID, STATUS, NAME, PEER ADDRS, CLIENT ADDRS, IS LEARNER.
members=$(etcdctl_local member list)
id=$(awk -F', ' -v n="$NODE_NAME" '$3 == n { print $1 }' <<<"$members")
if [ -n "$id" ]; then
  log "removing the etcd member of $NODE_NAME ($id)"
  etcdctl_local member remove "$id" >/dev/null
else
  log "$NODE_NAME has no etcd member (already removed)"
fi
if $in_node; then delete_node "$NODE_NAME"; fi
log "$NODE_NAME left the control plane"
