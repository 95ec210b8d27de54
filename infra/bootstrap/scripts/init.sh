#!/usr/bin/env bash
# init: kubeadm init on the first control plane, from the configuration and certificate
# authorities the program sends on standard input. Never re-initialises: on an initialised
# node it only makes sure the current bootstrap token exists (token rotation).
# Parameters: TOKEN_TTL (e.g. 24h, or 0 for a token that does not expire).
set -euo pipefail
export STEP="init"
: "${TOKEN_TTL:?}"
ADMIN_CONF="$ROOT/etc/kubernetes/admin.conf"
LOG="$ROOT/var/log/infra-kubeadm-init.log"

write_bundle

if [ -f "$ADMIN_CONF" ]; then
  token=$(cat "$ROOT/etc/kubernetes/infra/bootstrap-token")
  id="${token%%.*}"
  if kubectl --kubeconfig "$ADMIN_CONF" -n kube-system get secret "bootstrap-token-$id" >/dev/null 2>&1; then
    log "already initialised; bootstrap token $id present"
    exit 0
  fi
  log "already initialised; creating bootstrap token $id"
  expiration=""
  if [ "$TOKEN_TTL" != 0 ]; then
    expiration="  expiration: \"$(date -u -d "+${TOKEN_TTL%h} hours" +%Y-%m-%dT%H:%M:%SZ)\""
  fi
  # The secret goes to kubectl on standard input, never as an argument.
  printf 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: bootstrap-token-%s\n  namespace: kube-system\ntype: bootstrap.kubernetes.io/token\nstringData:\n  token-id: "%s"\n  token-secret: "%s"\n%s\n  usage-bootstrap-authentication: "true"\n  usage-bootstrap-signing: "true"\n  auth-extra-groups: system:bootstrappers:kubeadm:default-node-token\n' \
    "$id" "$id" "${token#*.}" "$expiration" | kubectl --kubeconfig "$ADMIN_CONF" apply -f - >/dev/null
  exit 0
fi

log "running kubeadm init (log: /var/log/infra-kubeadm-init.log)"
install -d -m 0700 "$(dirname "$LOG")"
if ! kubeadm init --config "$ROOT/etc/kubernetes/infra/kubeadm-init.yaml" --skip-token-print >"$LOG" 2>&1; then
  grep -E 'error|ERROR|\[preflight\]' "$LOG" | tail -n 20 >&2 || true
  fail "kubeadm init failed; see /var/log/infra-kubeadm-init.log on this node"
fi
chmod 0600 "$LOG"
log "initialised"
