#!/usr/bin/env bash
# token: on a control plane, makes sure the bootstrap token on standard input exists, with its
# expiry (kubeadm's bootstrap-token Secret). Joins that run after it find a valid token; the
# program issues a new one on a schedule, and expired ones are deleted by the cluster.
# Parameters: TOKEN_TTL (e.g. 24h, or 0 for a token that does not expire).
set -euo pipefail
export STEP="join-token"
: "${TOKEN_TTL:?}"
export KUBECONFIG="$ROOT/etc/kubernetes/admin.conf"
token=$(cat)
[[ "$token" =~ ^[a-z0-9]{6}\.[a-z0-9]{16}$ ]] || fail "standard input holds no bootstrap token"
id="${token%%.*}"

if kubectl -n kube-system get secret "bootstrap-token-$id" >/dev/null 2>&1; then
  log "bootstrap token $id present"
  exit 0
fi
expiration=""
if [ "$TOKEN_TTL" != 0 ]; then
  expiration="  expiration: \"$(date -u -d "+${TOKEN_TTL%h} hours" +%Y-%m-%dT%H:%M:%SZ)\""
fi
# The secret goes to kubectl on standard input, never as an argument.
printf 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: bootstrap-token-%s\n  namespace: kube-system\ntype: bootstrap.kubernetes.io/token\nstringData:\n  token-id: "%s"\n  token-secret: "%s"\n%s\n  usage-bootstrap-authentication: "true"\n  usage-bootstrap-signing: "true"\n  auth-extra-groups: system:bootstrappers:kubeadm:default-node-token\n' \
  "$id" "$id" "${token#*.}" "$expiration" | kubectl apply -f - >/dev/null
log "created bootstrap token $id (expires: ${TOKEN_TTL/#0/never})"
