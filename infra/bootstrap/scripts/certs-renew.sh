#!/usr/bin/env bash
# certs-renew: on a control plane, renews kubeadm's certificates (valid one year; kubeadm upgrade
# also renews them) once the API server's expires within WINDOW_DAYS: `kubeadm certs renew all`,
# then the control-plane static pods restart to load them (their manifests are moved out of
# /etc/kubernetes/manifests and back, as kubeadm's documentation says; a run that failed between
# the two moves them back). Prints when the certificates expire.
# Parameters: WINDOW_DAYS, NODE_NAME.
set -euo pipefail
export STEP="certs-renew"
: "${WINDOW_DAYS:?}" "${NODE_NAME:?}"
CERT=/etc/kubernetes/pki/apiserver.crt
MANIFESTS=/etc/kubernetes/manifests
PAUSED=/etc/kubernetes/infra/paused-manifests

restart_control_plane() {
  local m
  install -d -m 0700 "$ROOT$PAUSED"
  for m in etcd kube-apiserver kube-controller-manager kube-scheduler; do
    if [ -f "$ROOT$MANIFESTS/$m.yaml" ]; then mv -f "$ROOT$MANIFESTS/$m.yaml" "$ROOT$PAUSED/$m.yaml"; fi
  done
  log "control-plane static pods stopped; restarting them with the renewed certificates"
  # The kubelet looks at the manifests every 20 seconds.
  sleep 25
  for m in "$ROOT$PAUSED"/*.yaml; do
    if [ -f "$m" ]; then mv -f "$m" "$ROOT$MANIFESTS/"; fi
  done
  # Back before the next control plane restarts its own (etcd keeps its quorum).
  log "waiting for this control plane's API server"
  KUBECONFIG="$ROOT/etc/kubernetes/admin.conf" kubectl wait --for=condition=Ready "node/$NODE_NAME" --timeout=300s >/dev/null
}

[ -f "$ROOT$CERT" ] || fail "$CERT is missing: this is not an initialised control plane"
if ! openssl x509 -checkend "$((WINDOW_DAYS * 86400))" -noout -in "$ROOT$CERT" >/dev/null; then
  log "the certificates expire within $WINDOW_DAYS days: renewing them"
  pending control-plane-restart
  kubeadm certs renew all >/dev/null
fi
settle control-plane-restart restart_control_plane
log "certificates expire $(openssl x509 -enddate -noout -in "$ROOT$CERT" | cut -d= -f2)"
