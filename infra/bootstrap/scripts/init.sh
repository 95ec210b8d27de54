#!/usr/bin/env bash
# init: kubeadm init on the first control plane, from the configuration and certificate
# authorities the program sends on standard input. Never re-initialises a cluster: once init
# succeeded (the `initialised` marker), a run only checks that the program still describes the
# cluster this node runs. An init that failed half-way is reset and run again.
# Parameters: MODE (create: the first run of this step; update: the step existed before).
set -euo pipefail
export STEP="init"
: "${MODE:?}"
LOG=/var/log/infra-kubeadm-init.log
CA=/etc/kubernetes/pki/ca.crt
INIT_CONFIG=/etc/kubernetes/infra/kubeadm-init.yaml
bundle=$(cat)

# The file a bundle would write at PATH.
bundled() { awk -v p="$1" '$1 == p { print $3 }' <<<"$bundle" | base64 -d; }

if ! marked initialised && ! marked init-started && [ -f "$ROOT/etc/kubernetes/admin.conf" ]; then
  # Initialised by an earlier version of this program, which left no marker.
  mark initialised
fi

if marked initialised; then
  # The live certificate authority is the cluster's identity: a different one from the program
  # (its CA resources were replaced) would cut every node and kubeconfig off; never overwrite it.
  if ! bundled "$CA" | cmp -s - "$ROOT$CA"; then
    fail "the cluster's certificate authority differs from the one the program holds (were its CA resources replaced?): refusing to overwrite a running cluster's CA"
  fi
  live=$(grep -m1 -E '^ *controlPlaneEndpoint:' "$ROOT$INIT_CONFIG" | awk '{ print $2 }' || true)
  wanted=$(bundled "$INIT_CONFIG" | grep -m1 -E '^ *controlPlaneEndpoint:' | awk '{ print $2 }' || true)
  if [ "$live" != "$wanted" ]; then
    fail "the API endpoint would move from $live to $wanted (a change of infra:kubernetes.apiEndpoint or of the number of control planes): kubeadm cannot move a running cluster; keep the endpoint, or build a new cluster"
  fi
  log "already initialised"
  exit 0
fi

if [ "$MODE" = update ] && ! marked init-started; then
  # This step ran before, yet the machine holds no cluster: it was replaced or wiped. A fresh
  # kubeadm init here would start an empty cluster under the running cluster's name and endpoint.
  fail "this machine holds no cluster although the first control plane was initialised before (was the machine replaced, e.g. by a change of its location, server type or image?): refusing to start a new, empty cluster; restore the machine or its etcd snapshot"
fi

open_log "$LOG"
if marked init-started; then reset_node; fi
write_bundle <<<"$bundle"
mark init-started
log "running kubeadm init (log: $LOG)"
kubeadm_logged "kubeadm init failed; see $LOG on this node (the next run resets the node and tries again)" init --config "$ROOT$INIT_CONFIG" --skip-token-print
mark initialised
log "initialised"
