#!/usr/bin/env bash
# Helpers prepended to every bootstrap script. INFRA_ROOT prefixes every path the scripts
# write (empty on real nodes; a fake root in the script tests).
ROOT="${INFRA_ROOT:-}"

log() { printf '%s: %s\n' "${STEP:-bootstrap}" "$*"; }
fail() { printf '%s: error: %s\n' "${STEP:-bootstrap}" "$*" >&2; exit 1; }

# A command that fails stops the script (set -e) with a message naming it, also inside functions;
# the next run starts over and converges (every step below is idempotent).
on_error() {
  printf '%s: error: %s failed (exit %s); the next run retries\n' "${STEP:-bootstrap}" "'$2'" "$1" >&2
  exit "$1"
}
set -E
trap 'on_error "$?" "$BASH_COMMAND"' ERR

# imds PATH: a value of the AWS instance metadata service (IMDSv2, root only on an auto scaling
# group's instances), such as meta-data/local-ipv4.
imds() {
  local token
  token=$(curl -fsS -X PUT -H "X-aws-ec2-metadata-token-ttl-seconds: 60" http://169.254.169.254/latest/api/token)
  curl -fsS -H "X-aws-ec2-metadata-token: $token" "http://169.254.169.254/latest/$1"
}

# Markers of finished steps, written only once a step fully succeeded: files that kubeadm writes
# early (admin.conf and kubelet.conf come from init's third phase) prove nothing.
MARKERS=/var/lib/infra
mark() { install -d -m 0755 "$ROOT$MARKERS" && : >"$ROOT$MARKERS/$1"; }
marked() { [ -f "$ROOT$MARKERS/$1" ]; }

# pending NAME / settle NAME COMMAND...: a change that needs an action (a reload, a restart) is
# remembered until the action succeeded, so an action that failed runs again on the next run
# even though the file that asked for it is already in place.
pending() { mark "pending-$1"; }
settle() {
  local name="$1"
  shift
  if marked "pending-$name"; then
    "$@"
    rm -f "$ROOT$MARKERS/pending-$name"
  fi
}

# in_cluster: kubeadm init or join finished on this node. A node set up by an earlier version of
# this program has no marker: its kubelet.conf counts, as it did then.
in_cluster() {
  if marked initialised || marked joined; then return 0; fi
  [ -f "$ROOT/etc/kubernetes/kubelet.conf" ] && ! marked init-started && ! marked join-started
}

# open_log PATH: a root-only log file; its directory is created if missing, never re-permissioned.
open_log() {
  [ -d "$(dirname "$ROOT$1")" ] || install -d -m 0755 "$(dirname "$ROOT$1")"
  (umask 077 && : >"$ROOT$1")
}

# write_file PATH MODE < content: replaces PATH only when the content differs.
# Returns 0 when it wrote the file, 1 when it was already up to date.
write_file() {
  local path="$ROOT$1" mode="$2" tmp
  install -d -m 0755 "$(dirname "$path")"
  tmp=$(mktemp "$path.XXXXXX")
  cat > "$tmp"
  chmod "$mode" "$tmp"
  if [ -f "$path" ] && cmp -s "$tmp" "$path"; then
    rm -f "$tmp"
    return 1
  fi
  mv -f "$tmp" "$path"
  return 0
}

# write_bundle < "PATH MODE BASE64" lines: the files the program sends on standard input,
# so that keys and tokens never appear on a command line or in a log.
write_bundle() {
  local path mode data
  while read -r path mode data; do
    [ -n "$path" ] || continue
    case "$path" in /etc/kubernetes/* | /etc/wireguard/*) ;; *) fail "refusing to write $path from the bundle" ;; esac
    printf '%s' "$data" | base64 -d | write_file "$path" "$mode" || true
  done
}

# fetch URL PATH: downloads into a temporary file beside PATH, then moves it into place, so a
# failed or cut download never leaves a file that a later run would take for done.
fetch() {
  local url="$1" path="$ROOT$2" tmp
  install -d -m 0755 "$(dirname "$path")"
  tmp=$(mktemp "$path.XXXXXX")
  if ! curl -fsSL --retry 3 --retry-delay 2 --connect-timeout 15 "$url" -o "$tmp" || [ ! -s "$tmp" ]; then
    rm -f "$tmp"
    fail "could not download $url (is the repository reachable from this node?)"
  fi
  chmod 0644 "$tmp"
  mv -f "$tmp" "$path"
}

# fetch_keyring URL PATH: an armored OpenPGP key, stored dearmored for apt's signed-by.
fetch_keyring() {
  local path="$ROOT$2"
  fetch "$1" "$2.asc"
  if ! gpg --batch --yes --dearmor -o "$path.tmp" "$path.asc" || [ ! -s "$path.tmp" ]; then
    rm -f "$path.tmp" "$path.asc"
    fail "$1 is not an OpenPGP key"
  fi
  chmod 0644 "$path.tmp"
  mv -f "$path.tmp" "$path"
  rm -f "$path.asc"
}

# apt_update: fails on any repository that cannot be fetched, naming it (apt itself exits 0 and
# the failure would surface later as "Unable to locate package"). Waits for the lists lock, which
# apt-daily holds on a fresh Ubuntu machine and DPkg::Lock::Timeout does not cover.
apt_update() {
  local out i
  for i in $(seq 1 60); do
    if out=$(apt-get update -q -o APT::Update::Error-Mode=any 2>&1); then return 0; fi
    if grep -Eq 'Could not get lock|Unable to lock' <<<"$out"; then
      [ "$i" -gt 1 ] || log "waiting for another package manager (apt-daily?) to release the apt lock"
      sleep 5
      continue
    fi
    grep -E '^(E|W):' <<<"$out" >&2 || printf '%s\n' "$out" >&2
    fail "apt-get update failed: $(grep -m1 -E '^E:' <<<"$out" || echo "see the messages above")"
  done
  fail "the apt lock was held for 5 minutes"
}

# apt_install ARGS...: waits up to 5 minutes for the dpkg lock.
apt_install() {
  apt-get install -y -q -o DPkg::Lock::Timeout=300 "$@"
}

# reset_node: undoes a kubeadm init or join that did not finish, so that it can run again
# (kubeadm's preflight refuses leftover manifests, kubeconfigs, pki/ca.crt, a running kubelet's
# port and a non-empty /var/lib/etcd). Reset works without an API server and empties the pki and
# etcd directories; the caller writes its bundle again afterwards.
reset_node() {
  log "a previous attempt did not finish: kubeadm reset before trying again"
  kubeadm reset -f --cleanup-tmp-dir >>"$ROOT$LOG" 2>&1 || fail "kubeadm reset failed; see $LOG on this node"
}

# kubeadm_logged MESSAGE ARGS...: kubeadm ARGS, its output appended to $LOG (opened by the caller);
# when it fails, the log's error, preflight and upgrade lines on standard error, then MESSAGE as the
# step's error.
kubeadm_logged() {
  local message="$1"
  shift
  if ! kubeadm "$@" >>"$ROOT$LOG" 2>&1; then
    grep -E 'error|ERROR|\[preflight\]|\[upgrade' "$ROOT$LOG" | tail -n 20 >&2 || true
    fail "$message"
  fi
}

# os_family: apt or dnf, from /etc/os-release; anything else is an error.
os_family() {
  local id version
  # shellcheck source=/dev/null
  id=$(. "$ROOT/etc/os-release" && echo "${ID:-}")
  # shellcheck source=/dev/null
  version=$(. "$ROOT/etc/os-release" && echo "${VERSION_ID:-}")
  case "$id:$version" in
    ubuntu:22.04 | ubuntu:24.04 | debian:12) echo apt ;;
    rocky:9* | almalinux:9*) echo dnf ;;
    *) fail "unsupported OS ${id:-unknown} ${version:-unknown} (supported: Ubuntu 22.04/24.04, Debian 12, Rocky/Alma Linux 9)" ;;
  esac
}

# installed_version PACKAGE: the installed version (apt: 1.35.9-1.1, dnf: 1.35.9), empty when it
# is not installed. Needs `family` (os_family).
installed_version() {
  if [ "${family:?}" = apt ]; then
    dpkg-query -W -f='${Version}' "$1" 2>/dev/null || true
  else
    rpm -q --qf '%{VERSION}' "$1" 2>/dev/null || true
  fi
}

# installed_release PACKAGE: the installed version without the packaging suffix (1.35.9-1.1 ->
# 1.35.9), empty when it is not installed.
installed_release() { local v; v=$(installed_version "$1"); printf '%s\n' "${v%%-*}"; }

# hold_packages PACKAGE...: apt holds them (unattended upgrades and `apt upgrade` leave them).
hold_packages() {
  local held package todo=()
  held=$(apt-mark showhold 2>/dev/null || true)
  for package in "$@"; do grep -qx "$package" <<<"$held" || todo+=("$package"); done
  if [ "${#todo[@]}" -gt 0 ]; then apt-mark hold "${todo[@]}" >/dev/null; fi
}

# version_gt A B: x.y.z A is newer than B.
version_gt() { [ "$1" != "$2" ] && [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | tail -n 1)" = "$1" ]; }
# minor_of 1.35.9 -> 35
minor_of() { local v="${1#v}"; v="${v#*.}"; printf '%s\n' "${v%%.*}"; }

# kubernetes_apt_repo MINOR: pkgs.k8s.io's repository of that minor version (one per minor), its
# key fetched whole or not at all. Sets KUBERNETES_LIST_CHANGED=true when the list changed (apt-get
# update is due): a status to test would run the function where bash ignores set -e.
# shellcheck disable=SC2034 # read by the scripts that call it
kubernetes_apt_repo() {
  KUBERNETES_LIST_CHANGED=false
  [ -s "$ROOT/etc/apt/keyrings/kubernetes-$1.gpg" ] || fetch_keyring "$K8S_REPO/v$1/deb/Release.key" "/etc/apt/keyrings/kubernetes-$1.gpg"
  if echo "deb [signed-by=/etc/apt/keyrings/kubernetes-$1.gpg] $K8S_REPO/v$1/deb/ /" | write_file /etc/apt/sources.list.d/kubernetes.list 0644; then
    KUBERNETES_LIST_CHANGED=true
  fi
}

# kubernetes_rpm_repo MINOR: the same for dnf; the packages are excluded from plain updates.
kubernetes_rpm_repo() {
  printf '[kubernetes]\nname=Kubernetes\nbaseurl=%s/v%s/rpm/\nenabled=1\ngpgcheck=1\ngpgkey=%s/v%s/rpm/repodata/repomd.xml.key\nexclude=kubelet kubeadm kubectl cri-tools kubernetes-cni\n' "$K8S_REPO" "$1" "$K8S_REPO" "$1" |
    write_file /etc/yum.repos.d/kubernetes.repo 0644 || true
}

# assemble_wireguard: wg0.conf = this stack's configuration + the peers other stacks added in
# /etc/wireguard/peers.d. Returns 0 when the file changed.
assemble_wireguard() {
  local peers=()
  for f in "$ROOT"/etc/wireguard/peers.d/*.conf; do [ -f "$f" ] && peers+=("$f"); done
  cat "$ROOT/etc/wireguard/wg0.base.conf" "${peers[@]}" | write_file /etc/wireguard/wg0.conf 0600
}

# sync_wg0: wg0's peers as wg0.conf says, in place. The stripped configuration is taken whole
# first: a failed strip must not sync an empty configuration, which would drop every peer.
sync_wg0() {
  local conf
  conf=$(wg-quick strip wg0)
  [ -n "$conf" ] || fail "wg-quick strip wg0 gave an empty configuration"
  wg syncconf wg0 <(printf '%s\n' "$conf")
}

# bring_up_wg0: wg0 as /etc/wireguard/wg0.conf says: peers synced in place when it is up
# (no restart, no dropped tunnel), started and enabled at boot when it is not.
bring_up_wg0() {
  if ip link show wg0 >/dev/null 2>&1; then
    log "updating the mesh peers"
    sync_wg0
  else
    log "bringing the mesh up"
    systemctl enable --now wg-quick@wg0
  fi
}

# apply_wg0: wg0.conf assembled and applied (and wg0 brought up if it is not running), retried by
# the next run until it succeeded. (Not `apply_wg0 || ...`: bash ignores set -e inside a function
# tested that way.)
apply_wg0() {
  install -d -m 0700 "$ROOT/etc/wireguard/peers.d"
  if assemble_wireguard || ! systemctl is-active --quiet wg-quick@wg0; then pending wg0; fi
  settle wg0 bring_up_wg0
}

# drain_node NAME: evicts a node's pods (evict_node) and deletes its Node object (delete_node).
drain_node() {
  if node_exists "$1"; then
    evict_node "$1"
    delete_node "$1"
  fi
}

# node_get NAME OUTPUT: the Node object as `kubectl get -o OUTPUT` prints it (`name`,
# `jsonpath=...`), in NODE_OUTPUT; returns 1 when the node is not in the cluster. Only "not found"
# means gone: an API server that does not answer must not pass for it (the step fails instead).
node_get() {
  if ! NODE_OUTPUT=$(KUBECONFIG="$ROOT/etc/kubernetes/admin.conf" kubectl get node "$1" -o "$2" 2>&1); then
    case "$NODE_OUTPUT" in *NotFound* | *"not found"*) return 1 ;; esac
    fail "cannot read node $1 from the API server: $NODE_OUTPUT"
  fi
}

# node_exists NAME: the node is in the cluster (node_get).
node_exists() {
  node_get "$1" name && return 0
  log "node $1 is not in the cluster; nothing to drain"
  return 1
}

# evict_node NAME: evicts a node's pods, respecting disruption budgets; on a NotReady node, whose
# pods can never confirm their end, without waiting for them.
evict_node() {
  local node="$1" ready pods
  export KUBECONFIG="$ROOT/etc/kubernetes/admin.conf"
  : "${DRAIN_TIMEOUT:=300}"
  ready=$(kubectl get node "$node" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null || true)
  if [ "$ready" = True ]; then
    log "draining $node"
    kubectl drain "$node" --ignore-daemonsets --delete-emptydir-data --timeout="${DRAIN_TIMEOUT}s"
  else
    log "warning: $node is not Ready (${ready:-Unknown}); its pods cannot confirm their end, so they are not waited for"
    pods=$(kubectl get pods -A --field-selector "spec.nodeName=$node" -o 'jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name}{" "}{end}' 2>/dev/null || true)
    kubectl drain "$node" --ignore-daemonsets --delete-emptydir-data --force --skip-wait-for-delete-timeout=1 --timeout=120s ||
      log "warning: the drain of $node did not finish; deleting the node object anyway"
    log "forced off $node: ${pods:-no pods}"
  fi
}

# wait_for_versions NAME KUBELET CONTAINERD SECONDS: polls the Node object until its kubelet reports
# both versions (every 5 s); fails naming what it reports when SECONDS pass.
wait_for_versions() {
  local info i
  for i in $(seq 1 $(($4 / 5 + 1))); do
    info=$(KUBECONFIG="$ROOT/etc/kubernetes/admin.conf" kubectl get node "$1" -o 'jsonpath={.status.nodeInfo.kubeletVersion} {.status.nodeInfo.containerRuntimeVersion}')
    [ "$info" != "v$2 containerd://$3" ] || return 0
    [ "$i" -gt $(($4 / 5)) ] || sleep 5
  done
  fail "$1 reports ${info:-nothing} after ${4}s, not kubelet v$2 and containerd $3; it stays cordoned"
}

# delete_node NAME: deletes the Node object (the pod garbage collector removes what ran there).
delete_node() {
  KUBECONFIG="$ROOT/etc/kubernetes/admin.conf" kubectl delete node "$1" --wait=true --timeout=120s
  log "removed $1"
}

# etcdctl_local ARGS...: etcdctl inside this control plane's own etcd container (the cluster's
# exact etcd), with the healthcheck client's certificate.
etcdctl_local() {
  local container
  container=$(crictl ps --name '^etcd$' --label io.kubernetes.pod.namespace=kube-system -q | head -n 1)
  [ -n "$container" ] || fail "no etcd container runs on this node"
  crictl exec "$container" etcdctl --endpoints=https://127.0.0.1:2379 \
    --cacert=/etc/kubernetes/pki/etcd/ca.crt \
    --cert=/etc/kubernetes/pki/etcd/healthcheck-client.crt \
    --key=/etc/kubernetes/pki/etcd/healthcheck-client.key "$@"
}
