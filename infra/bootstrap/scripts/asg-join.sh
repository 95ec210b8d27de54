#!/usr/bin/env bash
# asg-join: first boot of an auto scaling group instance, run by cloud-init as root. It shuts
# non-root processes out of the instance metadata service (which serves this user data, token
# included; pods cannot reach it: the metadata hop limit is 1), now and at every boot (a unit:
# cloud-init runs this once per instance, and iptables rules do not survive a reboot), prepares
# the node (prepare.sh, as the prepare_node function) and joins with the join configuration written
# root-only, named NAME_PREFIX-<instance id> (the cluster's node names, which kubelet-csr-approver
# approves serving certificates for; `ip-10-1-...` host names are not).
# Parameters: JOIN_CONFIG (kubeadm JoinConfiguration with __NODE_NAME__ and __NODE_IP__), NAME_PREFIX,
# plus prepare's.
set -euo pipefail
export STEP="asg-join"
: "${JOIN_CONFIG:?}"
if in_cluster; then
  log "already joined"
  exit 0
fi
lockdown='iptables -C OUTPUT -d 169.254.169.254/32 -m owner ! --uid-owner 0 -j REJECT 2>/dev/null || iptables -I OUTPUT -d 169.254.169.254/32 -m owner ! --uid-owner 0 -j REJECT'
bash -c "$lockdown"
if printf '[Unit]\nDescription=infra: only root reaches the instance metadata service\nDefaultDependencies=no\nBefore=network-pre.target kubelet.service\nWants=network-pre.target\n\n[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/sh -c %s\n\n[Install]\nWantedBy=multi-user.target\n' "'$lockdown'" |
  write_file /etc/systemd/system/infra-imds-lockdown.service 0644; then
  pending imds-lockdown
fi
settle imds-lockdown systemctl daemon-reload
systemctl is-enabled --quiet infra-imds-lockdown.service || systemctl enable infra-imds-lockdown.service
prepare_node
# (prepare named the step itself: what fails from here is the join.)
export STEP="asg-join"
node_name="${NAME_PREFIX:?}-$(imds meta-data/instance-id)"
printf '%s' "$JOIN_CONFIG" | sed -e "s/__NODE_NAME__/$node_name/g" -e "s/__NODE_IP__/$NODE_IP/g" | write_file /etc/kubernetes/infra/kubeadm-join.yaml 0600 || true
LOG=/var/log/infra-kubeadm-join.log
open_log "$LOG"
if marked join-started; then reset_node; fi
mark join-started
kubeadm join --config "$ROOT/etc/kubernetes/infra/kubeadm-join.yaml" >>"$ROOT/var/log/infra-kubeadm-join.log" 2>&1 || fail "kubeadm join failed; see /var/log/infra-kubeadm-join.log"
mark joined
log "joined as $node_name"
