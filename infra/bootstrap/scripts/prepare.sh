#!/usr/bin/env bash
# prepare: everything a node needs before kubeadm, on every node at once. Idempotent: a second
# run finds everything in place and changes nothing.
# Parameters: K8S_VERSION (1.35.9), CONTAINERD_VERSION (2.1.5), NODE_IP, ROLE (control-plane|worker),
# MESH (1: join the WireGuard mesh; its configuration, with the private key, comes on standard input),
# DOCKER_REPO and K8S_REPO (the package repositories' URL prefixes; the tests serve their own),
# API_NAME and API_ADDRESSES (the API endpoint's name and the control planes' mesh addresses),
# NODE_PACKAGES (host packages the add-ons need: nfs-client).
set -euo pipefail
export STEP="prepare"
: "${K8S_VERSION:?}" "${CONTAINERD_VERSION:?}" "${NODE_IP:?}" "${ROLE:?}"
: "${DOCKER_REPO:=https://download.docker.com/linux}" "${K8S_REPO:=https://pkgs.k8s.io/core:/stable:}"
K8S_MINOR="${K8S_VERSION%.*}"
if [ "$NODE_IP" = auto ]; then
  # An auto scaling group instance learns its address from the instance metadata service (IMDSv2).
  NODE_IP=$(imds meta-data/local-ipv4)
fi
export DEBIAN_FRONTEND=noninteractive

# (Not from inside cloud-init itself: an auto scaling group instance runs this at first boot.)
if [ "${IN_CLOUD_INIT:-0}" != 1 ] && command -v cloud-init >/dev/null 2>&1; then
  cloud-init status --wait >/dev/null 2>&1 || [ $? -eq 2 ] || fail "cloud-init did not finish cleanly"
fi
family=$(os_family)

apply_sysctls() { sysctl --system >/dev/null; }
reload_network_manager() { if systemctl is-active --quiet NetworkManager; then systemctl reload NetworkManager; fi; }

# What the rest needs on a minimal image (the kubeadm install guide installs the same first).
if [ "$family" = apt ]; then
  missing=()
  command -v curl >/dev/null 2>&1 || missing+=(curl)
  command -v gpg >/dev/null 2>&1 || missing+=(gpg)
  [ -s "$ROOT/etc/ssl/certs/ca-certificates.crt" ] || missing+=(ca-certificates)
  if [ "${#missing[@]}" -gt 0 ]; then
    log "installing ${missing[*]}"
    apt_update
    apt_install "${missing[@]}"
  fi
elif ! command -v curl >/dev/null 2>&1; then
  dnf install -y -q curl
fi

# The WireGuard mesh first: NODE_IP is the node's mesh address. The key stays in root-only files
# and is never printed; peers other stacks add (burst) live in /etc/wireguard/peers.d.
if [ "${MESH:-0}" = 1 ]; then
  # The first configuration only: afterwards the node's mesh step (mesh-sync) owns it, after the
  # cluster drained the nodes that leave (mesh-leave).
  if [ -f "$ROOT/etc/wireguard/wg0.base.conf" ]; then cat >/dev/null; else write_bundle; fi
  if ! command -v wg >/dev/null 2>&1; then
    log "installing wireguard-tools"
    if [ "$family" = apt ]; then apt_update && apt_install wireguard-tools; else dnf install -y -q wireguard-tools; fi
  fi
  apply_wg0
fi

# The API endpoint's name, where the mesh carries the API: the control planes' mesh addresses,
# one line each (Go's resolver, the kubelet's and kubeadm's, returns them all and dials in turn).
if [ -n "${API_NAME:-}" ]; then
  { grep -v ' # infra: API endpoint$' "$ROOT/etc/hosts" 2>/dev/null || true
    for address in ${API_ADDRESSES:?}; do printf '%s %s # infra: API endpoint\n' "$address" "$API_NAME"; done; } |
    write_file /etc/hosts 0644 || true
fi

# Swap off now and at boot (the kubelet refuses to run with swap by default).
if [ -n "$(swapon --show --noheadings 2>/dev/null || true)" ]; then
  log "turning swap off"
  swapoff -a
fi
if grep -Eq '^[^#].*[[:space:]]swap[[:space:]]' "$ROOT/etc/fstab" 2>/dev/null; then
  sed -i -E 's/^([^#].*[[:space:]]swap[[:space:]].*)$/# \1/' "$ROOT/etc/fstab"
fi

# Kernel modules and sysctls for pod networking.
printf 'overlay\nbr_netfilter\n' | write_file /etc/modules-load.d/kubernetes.conf 0644 || true
for module in overlay br_netfilter; do
  [ -d "$ROOT/sys/module/$module" ] || modprobe "$module"
done
if printf 'net.bridge.bridge-nf-call-iptables = 1\nnet.bridge.bridge-nf-call-ip6tables = 1\nnet.ipv4.ip_forward = 1\n' |
  write_file /etc/sysctl.d/99-kubernetes.conf 0644; then
  pending sysctl
fi
settle sysctl apply_sysctls

# On a node that is already part of a cluster, changing the Kubernetes packages would break the
# version skew rules: upgrades are kubeadm upgrade's job, so the installed version stays.
joined=false
in_cluster && joined=true

if [ "$family" = apt ]; then
  # shellcheck source=/dev/null
  . "$ROOT/etc/os-release"
  repos_changed=false
  # Keys are fetched whole or not at all (fetch): an interrupted download is fetched again.
  [ -s "$ROOT/etc/apt/keyrings/docker.asc" ] || fetch "$DOCKER_REPO/$ID/gpg" /etc/apt/keyrings/docker.asc
  if echo "deb [signed-by=/etc/apt/keyrings/docker.asc] $DOCKER_REPO/$ID $VERSION_CODENAME stable" |
    write_file /etc/apt/sources.list.d/docker.list 0644; then repos_changed=true; fi
  kubernetes_apt_repo "$K8S_MINOR"
  if $KUBERNETES_LIST_CHANGED; then repos_changed=true; fi
  wanted_containerd=false
  [[ "$(installed_version containerd.io)" == "$CONTAINERD_VERSION"-* ]] || wanted_containerd=true
  if $wanted_containerd && $joined; then
    log "warning: this node runs containerd $(installed_version containerd.io), not $CONTAINERD_VERSION; the node's upgrade step replaces it, drained"
    wanted_containerd=false
  fi
  wanted_k8s=false
  [[ "$(installed_version kubeadm)" == "$K8S_VERSION"-* && "$(installed_version kubelet)" == "$K8S_VERSION"-* ]] || wanted_k8s=true
  if $wanted_k8s && $joined; then
    log "warning: this node runs kubelet $(installed_version kubelet), not $K8S_VERSION; the node's upgrade step upgrades it, in the cluster's order"
    wanted_k8s=false
  fi
  if $repos_changed || $wanted_containerd || $wanted_k8s; then apt_update; fi
  if $wanted_containerd; then
    log "installing containerd $CONTAINERD_VERSION"
    apt_install --allow-change-held-packages "containerd.io=$CONTAINERD_VERSION-*"
  fi
  if $wanted_k8s; then
    log "installing kubeadm, kubelet and kubectl $K8S_VERSION"
    apt_install --allow-change-held-packages --allow-downgrades \
      "kubelet=$K8S_VERSION-1.1" "kubeadm=$K8S_VERSION-1.1" "kubectl=$K8S_VERSION-1.1"
  fi
  # Held, whether installed now or by a run that stopped before holding them.
  hold_packages containerd.io kubelet kubeadm kubectl
  kubelet_defaults=/etc/default/kubelet
else
  # SELinux permissive, as kubeadm requires for its static pods.
  if command -v getenforce >/dev/null 2>&1 && [ "$(getenforce)" = Enforcing ]; then
    setenforce 0
    sed -i 's/^SELINUX=enforcing$/SELINUX=permissive/' "$ROOT/etc/selinux/config"
  fi
  # shellcheck disable=SC2016 # $releasever and $basearch are dnf's variables, written literally.
  printf '[docker-ce-stable]\nname=Docker CE\nbaseurl=%s/rhel/$releasever/$basearch/stable\nenabled=1\ngpgcheck=1\ngpgkey=%s/rhel/gpg\nexclude=containerd.io\n' "$DOCKER_REPO" "$DOCKER_REPO" |
    write_file /etc/yum.repos.d/docker-ce.repo 0644 || true
  kubernetes_rpm_repo "$K8S_MINOR"
  if $joined && [ "$(installed_version containerd.io)" != "$CONTAINERD_VERSION" ]; then
    log "warning: this node runs containerd $(installed_version containerd.io), not $CONTAINERD_VERSION; the node's upgrade step replaces it, drained"
  elif [ "$(installed_version containerd.io)" != "$CONTAINERD_VERSION" ]; then
    log "installing containerd $CONTAINERD_VERSION"
    dnf install -y -q --disableexcludes=docker-ce-stable "containerd.io-$CONTAINERD_VERSION"
  fi
  if $joined && [ "$(installed_version kubelet)" != "$K8S_VERSION" ]; then
    log "warning: this node runs kubelet $(installed_version kubelet), not $K8S_VERSION; the node's upgrade step upgrades it, in the cluster's order"
  elif [ "$(installed_version kubeadm)" != "$K8S_VERSION" ] || [ "$(installed_version kubelet)" != "$K8S_VERSION" ]; then
    log "installing kubeadm, kubelet and kubectl $K8S_VERSION"
    dnf install -y -q --disableexcludes=kubernetes "kubelet-$K8S_VERSION" "kubeadm-$K8S_VERSION" "kubectl-$K8S_VERSION"
  fi
  kubelet_defaults=/etc/sysconfig/kubelet
  # firewalld (on by default on Rocky/Alma) blocks the API, etcd, the kubelet and Calico's VXLAN,
  # and opening ports does not fix the pod traffic Calico forwards (Calico's system requirements:
  # disable it). The cloud firewalls and the encrypted mesh guard the nodes instead.
  if systemctl is-active --quiet firewalld; then
    log "warning: stopping and disabling firewalld, which Calico requires off (pod traffic would be dropped)"
    systemctl disable --now firewalld
  fi
fi

# Host packages the platform's add-ons need on every node (NODE_PACKAGES, by role, not by name):
# nfs-client mounts the NFS provisioner's volumes (the kubelet calls mount.nfs on the host).
for wanted in ${NODE_PACKAGES:-}; do
  case "$wanted:$family" in
    nfs-client:apt) package=nfs-common ;;
    nfs-client:*) package=nfs-utils ;;
    *) fail "unknown node package $wanted (known: nfs-client)" ;;
  esac
  # (rpm -q prints "package ... is not installed" on standard output: its status says.)
  if [ "$family" = apt ]; then [ -n "$(installed_version "$package")" ] && continue
  elif rpm -q "$package" >/dev/null 2>&1; then continue; fi
  log "installing $package ($wanted)"
  if [ "$family" = apt ]; then apt_update && apt_install "$package"; else dnf install -y -q "$package"; fi
done

# NetworkManager must leave Calico's and the mesh's interfaces alone (Calico's system requirements).
if [ -d "$ROOT/etc/NetworkManager" ]; then
  if printf '[keyfile]\nunmanaged-devices=interface-name:cali*;interface-name:tunl*;interface-name:vxlan.calico;interface-name:vxlan-v6.calico;interface-name:wireguard.cali;interface-name:wg-v6.cali;interface-name:wg0\n' |
    write_file /etc/NetworkManager/conf.d/calico.conf 0644; then
    pending network-manager
  fi
  settle network-manager reload_network_manager
fi

# containerd with the systemd cgroup driver (a minimal config; everything else stays default).
if printf "version = 3\n\n[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]\n  SystemdCgroup = true\n" |
  write_file /etc/containerd/config.toml 0644; then
  pending containerd
fi
settle containerd systemctl restart containerd
{ systemctl is-enabled --quiet containerd && systemctl is-active --quiet containerd; } || systemctl enable --now containerd
# crictl (for debugging on the node) talks to containerd, not to the deprecated default endpoints.
printf 'runtime-endpoint: unix:///run/containerd/containerd.sock\nimage-endpoint: unix:///run/containerd/containerd.sock\ntimeout: 2\ndebug: false\n' |
  write_file /etc/crictl.yaml 0644 || true

# The kubelet speaks on the node's private address.
if echo "KUBELET_EXTRA_ARGS=--node-ip=$NODE_IP" | write_file "$kubelet_defaults" 0644; then
  pending daemon-reload
fi
settle daemon-reload systemctl daemon-reload
systemctl is-enabled --quiet kubelet || systemctl enable kubelet

# Control planes pull their images now, in parallel with the other nodes' preparation.
# (Not on a node in the cluster: its kubeadm is still the running version's, and the upgrade step
# pulls the new version's images with the new kubeadm.)
if [ "$ROLE" = control-plane ] && ! $joined && [ ! -f "$ROOT/var/lib/infra/images-pulled-$K8S_VERSION" ]; then
  log "pulling control-plane images for v$K8S_VERSION"
  kubeadm config images pull --kubernetes-version "v$K8S_VERSION" >/dev/null
  install -d -m 0755 "$ROOT/var/lib/infra"
  touch "$ROOT/var/lib/infra/images-pulled-$K8S_VERSION"
fi
log "ready: containerd $CONTAINERD_VERSION, kubernetes $K8S_VERSION ($family)"
