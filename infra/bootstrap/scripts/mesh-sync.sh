#!/usr/bin/env bash
# mesh-sync: keeps a node's own WireGuard configuration (its key, its address and its stack's
# peers, on standard input) in step with the stack, after prepare brought wg0 up: peers come and
# go without restarting the interface. A node's mesh address never moves once it is in the
# cluster: it is its kubelet node IP and, on a control plane, the API's and etcd's address.
# Parameters: MESH_ADDRESS (this node's mesh address).
set -euo pipefail
export STEP="mesh-sync"
: "${MESH_ADDRESS:?}"
base=/etc/wireguard/wg0.base.conf
bundle=$(cat)

current=$(grep -m1 -E '^Address = ' "$ROOT$base" 2>/dev/null | sed -E 's/^Address = ([^/]+).*/\1/' || true)
if [ -n "$current" ] && [ "$current" != "$MESH_ADDRESS" ] && in_cluster; then
  fail "this node's mesh address would move from $current to $MESH_ADDRESS (a pool inserted before others, or a machine removed from the middle of a list): a running node's mesh address is its node IP; append pools and machines at the end, or pin the running ones (infra:pools[].meshBlock, infra:pools[].nodes[].meshAddress)"
fi
write_bundle <<<"$bundle"
apply_wg0
log "in step as $MESH_ADDRESS"
