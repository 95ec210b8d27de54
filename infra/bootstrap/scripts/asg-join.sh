#!/usr/bin/env bash
# asg-join: first boot of an auto scaling group instance, run by cloud-init as root. It shuts
# non-root processes out of the instance metadata service (which serves this user data, token
# included; pods cannot reach it: the metadata hop limit is 1), prepares the node (prepare.sh,
# as the prepare_node function) and joins with the join configuration written root-only.
# Parameters: JOIN_CONFIG (kubeadm JoinConfiguration with __NODE_NAME__ and __NODE_IP__), plus prepare's.
set -euo pipefail
export STEP="asg-join"
: "${JOIN_CONFIG:?}"
if in_cluster; then
  log "already joined"
  exit 0
fi
iptables -C OUTPUT -d 169.254.169.254/32 -m owner ! --uid-owner 0 -j REJECT 2>/dev/null ||
  iptables -I OUTPUT -d 169.254.169.254/32 -m owner ! --uid-owner 0 -j REJECT
prepare_node
node_name=$(hostname -s)
printf '%s' "$JOIN_CONFIG" | sed -e "s/__NODE_NAME__/$node_name/g" -e "s/__NODE_IP__/$NODE_IP/g" | write_file /etc/kubernetes/infra/kubeadm-join.yaml 0600 || true
LOG=/var/log/infra-kubeadm-join.log
open_log "$LOG"
if marked join-started; then reset_node; fi
mark join-started
kubeadm join --config "$ROOT/etc/kubernetes/infra/kubeadm-join.yaml" >>"$ROOT/var/log/infra-kubeadm-join.log" 2>&1 || fail "kubeadm join failed; see /var/log/infra-kubeadm-join.log"
mark joined
log "joined as $node_name"
