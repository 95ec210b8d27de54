#!/usr/bin/env bash
# upgrade-node: brings a node that is in the cluster to infra:kubernetes.version and
# infra:kubernetes.containerdVersion, in kubeadm's order (kubeadm-upgrade.md): the target's
# kubeadm from the target minor's repository, then `kubeadm upgrade apply` (the first control
# plane, once for the cluster) or `kubeadm upgrade node` (every other node), then, drained,
# containerd, kubelet and kubectl, the kubelet restarted. A control plane drains itself (it holds
# admin.conf) and is uncordoned once Ready; a worker was drained by the first control plane before
# this step (upgrade-drain) and is uncordoned by it after (upgrade-uncordon).
# Nothing runs on a node already at both versions, or not in the cluster yet (prepare installs the
# target there, and join follows). A node newer than the target, a half-finished upgrade to another
# version, or a jump of more than one minor version is refused before anything changes. Every
# step is idempotent: a run that failed anywhere is finished by the next one.
# Parameters: K8S_VERSION, CONTAINERD_VERSION, NODE_NAME, ROLE (control-plane|worker),
# FIRST (1: the first control plane, which runs `kubeadm upgrade apply`), DRAIN_TIMEOUT (seconds),
# K8S_REPO and DOCKER_REPO (as prepare).
set -euo pipefail
export STEP="upgrade"
: "${K8S_VERSION:?}" "${CONTAINERD_VERSION:?}" "${NODE_NAME:?}" "${ROLE:?}" "${FIRST:=0}" "${DRAIN_TIMEOUT:=300}"
: "${DOCKER_REPO:=https://download.docker.com/linux}" "${K8S_REPO:=https://pkgs.k8s.io/core:/stable:}"
export DEBIAN_FRONTEND=noninteractive
family=$(os_family)
ADMIN="$ROOT/etc/kubernetes/admin.conf"

# Installs PACKAGE at VERSION from the configured repositories (apt: held by `finish`; dnf: the
# repositories exclude the packages from plain updates).
install_at() {
  local package="$1" version="$2"
  if [ "$family" = apt ]; then
    case "$package" in containerd.io) pin="$version-*" ;; *) pin="$version-1.1" ;; esac
    # --force-confold: prepare's containerd config.toml stays (no conffile prompt on a non-terminal).
    apt_install --allow-change-held-packages --allow-downgrades -o Dpkg::Options::=--force-confold "$package=$pin"
  else
    case "$package" in containerd.io) repo=docker-ce-stable ;; *) repo=kubernetes ;; esac
    # --refresh: a new patch release in the same minor's repository, whose metadata dnf keeps for 48 hours.
    dnf install -y -q --refresh --disableexcludes="$repo" "$package-$version"
  fi
}

uncordon_self() {
  log "waiting for $NODE_NAME to report kubelet $K8S_VERSION and be Ready, then uncordoning it"
  wait_for_versions "$NODE_NAME" "$K8S_VERSION" "$CONTAINERD_VERSION" 300
  KUBECONFIG="$ADMIN" kubectl wait --for=condition=Ready "node/$NODE_NAME" --timeout=300s >/dev/null
  KUBECONFIG="$ADMIN" kubectl uncordon "$NODE_NAME" >/dev/null
}
restart_kubelet() {
  systemctl daemon-reload
  systemctl restart kubelet
}

# What every run ends with, also one that finds the versions in place: packages held, and the
# restarts and the uncordon an earlier run asked for (`pending`) before it failed.
finish() {
  if [ "$family" = apt ]; then hold_packages containerd.io kubelet kubeadm kubectl; fi
  settle containerd-restart systemctl restart containerd
  settle kubelet-restart restart_kubelet
  if [ "$ROLE" = control-plane ]; then settle upgrade-uncordon uncordon_self; fi
}

if ! in_cluster; then
  log "not in the cluster yet: prepare installed kubernetes $K8S_VERSION and join adds the node; nothing to upgrade"
  exit 0
fi

kubelet_now=$(installed_release kubelet)
kubeadm_now=$(installed_release kubeadm)
containerd_now=$(installed_release containerd.io)
[ -n "$kubelet_now" ] || fail "kubelet is not installed on this node, which is in the cluster: run prepare first"

# Refusals, before anything changes.
if version_gt "$kubelet_now" "$K8S_VERSION"; then
  fail "this node runs kubelet $kubelet_now, newer than infra:kubernetes.version $K8S_VERSION: Kubernetes cannot be downgraded; set $kubelet_now or newer"
fi
if [ -n "$kubeadm_now" ] && version_gt "$kubeadm_now" "$K8S_VERSION"; then
  fail "kubeadm $kubeadm_now is installed here for an upgrade to $kubeadm_now that did not finish: set infra:kubernetes.version to $kubeadm_now and run pulumi up to finish it"
fi
if [ "$(minor_of "$K8S_VERSION")" -gt "$(($(minor_of "$kubelet_now") + 1))" ]; then
  fail "this node runs kubelet $kubelet_now: kubeadm upgrades one minor version at a time, not to $K8S_VERSION; set 1.$(($(minor_of "$kubelet_now") + 1)).x first"
fi

if [ "$kubelet_now" = "$K8S_VERSION" ] && [ "$kubeadm_now" = "$K8S_VERSION" ] && [ "$(installed_release kubectl)" = "$K8S_VERSION" ] && [ "$containerd_now" = "$CONTAINERD_VERSION" ]; then
  finish
  log "already at kubernetes $K8S_VERSION, containerd $CONTAINERD_VERSION"
  exit 0
fi

# The first control plane checks that the control planes agree (an earlier upgrade that stopped
# half-way leaves them apart): only finishing that upgrade, at the newest of their versions, is
# allowed. Node objects say which kubelet each control plane runs.
if [ "$FIRST" = 1 ]; then
  versions=$(KUBECONFIG="$ADMIN" kubectl get nodes -l node-role.kubernetes.io/control-plane -o 'jsonpath={range .items[*]}{.metadata.name}={.status.nodeInfo.kubeletVersion}{" "}{end}')
  newest=""
  for entry in $versions; do
    v="${entry#*=}"; v="${v#v}"
    if [ -z "$newest" ] || version_gt "$v" "$newest"; then newest="$v"; fi
  done
  distinct=$(for entry in $versions; do echo "${entry#*=}"; done | sort -u | grep -c .)
  if [ "$distinct" -gt 1 ] && [ "$newest" != "$K8S_VERSION" ]; then
    fail "the control planes disagree ($versions): an earlier upgrade stopped half-way; set infra:kubernetes.version to $newest and run pulumi up to finish it before upgrading to $K8S_VERSION"
  fi
fi

# The target minor's repository (pkgs.k8s.io has one per minor), then the target's kubeadm.
minor="${K8S_VERSION%.*}"
if [ "$family" = apt ]; then
  kubernetes_apt_repo "$minor"
  # Always: a new patch release in the same minor's repository needs fresh lists too.
  apt_update
else
  kubernetes_rpm_repo "$minor"
fi
if [ "$kubeadm_now" != "$K8S_VERSION" ]; then
  log "installing kubeadm $K8S_VERSION"
  install_at kubeadm "$K8S_VERSION"
fi

# kubeadm upgrade, once per version (its own markers: a re-run after a later step failed skips it).
if ! marked "upgraded-kubeadm-$K8S_VERSION" && [ "$kubelet_now" != "$K8S_VERSION" ]; then
  LOG=/var/log/infra-kubeadm-upgrade.log
  open_log "$LOG"
  if [ "$FIRST" = 1 ]; then
    log "kubeadm upgrade plan, then apply v$K8S_VERSION (log: $LOG)"
    kubeadm_logged "kubeadm upgrade plan refused v$K8S_VERSION; see $LOG on this node" upgrade plan "v$K8S_VERSION"
    kubeadm_logged "kubeadm upgrade apply v$K8S_VERSION failed; see $LOG on this node (the next run applies again)" upgrade apply "v$K8S_VERSION" --yes
  else
    log "kubeadm upgrade node (log: $LOG)"
    kubeadm_logged "kubeadm upgrade node failed; see $LOG on this node (the next run tries again)" upgrade node
  fi
  mark "upgraded-kubeadm-$K8S_VERSION"
fi

# Drained from here on: a control plane drains itself; a worker was drained before this step.
if [ "$ROLE" = control-plane ]; then
  pending upgrade-uncordon
  log "draining $NODE_NAME"
  KUBECONFIG="$ADMIN" kubectl drain "$NODE_NAME" --ignore-daemonsets --delete-emptydir-data --timeout="${DRAIN_TIMEOUT}s" >/dev/null
fi
if [ "$containerd_now" != "$CONTAINERD_VERSION" ]; then
  log "replacing containerd $containerd_now with $CONTAINERD_VERSION"
  pending containerd-restart
  install_at containerd.io "$CONTAINERD_VERSION"
fi
if [ "$kubelet_now" != "$K8S_VERSION" ] || [ "$(installed_release kubectl)" != "$K8S_VERSION" ]; then
  log "installing kubelet and kubectl $K8S_VERSION"
  pending kubelet-restart
  install_at kubelet "$K8S_VERSION"
  install_at kubectl "$K8S_VERSION"
fi
finish
log "upgraded: kubernetes $K8S_VERSION, containerd $CONTAINERD_VERSION"
