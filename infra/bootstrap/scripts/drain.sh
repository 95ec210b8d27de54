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
drain_node "$NODE_NAME"
