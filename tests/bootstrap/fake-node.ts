/**
 * A fake node for the bootstrap scripts: they run for real under bash, with every path they write
 * under a fake root (INFRA_ROOT) and every program that could change a machine replaced by a stub
 * on PATH. A stub logs its call, then acts on the node's state the way the real program would, as
 * far as a later check of the scripts (or of a test) can see it: packages and their holds, units
 * enabled, running and the configuration they run with, the live WireGuard configuration, the
 * files kubeadm writes phase by phase and what its preflight refuses, the objects kubectl sees.
 *
 * The scripts get no other program: PATH holds the stubs and a short list of text and file
 * utilities (UTILITIES), so a script that starts calling anything else fails here until that
 * call gets a stub (and, in faults.test.ts, a fault case).
 *
 * Fault injection: `run(script, { fault: { at } })` makes the first call whose line starts with
 * `at` (or its `nth` such call) fail, once: it exits non-zero without doing anything, or, with
 * `partial`, after part of its work (a cut download, a kubeadm init that dies in
 * wait-control-plane, a join whose TLS bootstrap times out, a unit enabled whose start failed).
 */
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { tempDir } from "../helpers";

export const UBUNTU = 'ID=ubuntu\nVERSION_ID="24.04"\nVERSION_CODENAME=noble\n';
export const DEBIAN = 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n';
export const ROCKY = 'ID="rocky"\nVERSION_ID="9.4"\n';

/** The real programs a script may use: text and file utilities that only touch the paths they are given. */
const UTILITIES = ["awk", "base64", "bash", "cat", "chmod", "cmp", "cut", "date", "dirname", "grep", "head", "install", "mkdir", "mktemp", "mv", "rm", "sed", "seq", "sort", "tail", "touch", "tr"];

/** Programs a minimal image may lack; the others are always there. apt-get/dnf install links them in. */
const OPTIONAL = ["cloud-init", "curl", "gpg", "wg", "wg-quick"];

/** A raw template for bash, where `\${` stands for bash's `${` (which a JS template would interpolate). */
const sh = (s: TemplateStringsArray): string => s.raw.join("").replace(/\\\$\{/g, "${");

/**
 * Stub bodies (bash). `$R` is the fake root, `$S` the state directory, `$NAME` the program; the
 * call is logged and the fault check done before the body (`main`) runs (LIB). A `partial`
 * function, defined in `setup`, is what a failure half-way leaves behind (FAIL_PARTIAL=1); it
 * exits itself.
 */
type Stub = string | { readonly setup: string; readonly main: string };
const STUBS: Record<string, Stub> = {
    "cloud-init": "exit 0",
    swapon: '[ -f "$S/swap-on" ] && echo "/swap.img file 2G 0B -2"; exit 0',
    swapoff: 'rm -f "$S/swap-on"',
    modprobe: 'mkdir -p "$R/sys/module/$1"',
    // The values the kernel runs with: what the sysctl.d files said when they were last applied.
    sysctl: '[ "$1" = --system ] && cat "$R"/etc/sysctl.d/*.conf > "$S/sysctl-applied" 2>/dev/null; exit 0',
    curl: {
        setup: sh`
out=""; url=""; prev=""
for a in "$@"; do [ "$prev" = -o ] && out="$a"; case "$a" in http://* | https://*) url="$a" ;; esac; prev="$a"; done
partial() {
  [ -z "$out" ] || printf -- '-----BEGIN PGP PUBLIC KEY BLOCK-----\n' >"$out"
  echo "curl: (18) transfer closed with outstanding read data remaining" >&2
  exit 18
}
unreachable() { local host="\${url#*://}"; host="\${host%%/*}"; [ -f "$S/unreachable" ] && grep -qxF "$host" "$S/unreachable"; }
body() {
  if unreachable; then echo "curl: (6) Could not resolve host: \${url#*://}" >&2; exit 6; fi
  case "$url" in
    */latest/api/token) echo imds-token ;;
    */meta-data/local-ipv4) echo 10.1.16.7 ;;
    */meta-data/instance-id) echo i-0abc123def4567890 ;;
    */version)
      [ -f "$S/cluster-version" ] || { echo "curl: (7) Failed to connect to the API server" >&2; exit 7; }
      printf '{\n  "major": "1",\n  "gitVersion": "v%s",\n  "platform": "linux/amd64"\n}\n' "$(cat "$S/cluster-version")" ;;
    *) printf -- '-----BEGIN PGP PUBLIC KEY BLOCK-----\nkey of %s\n-----END PGP PUBLIC KEY BLOCK-----\n' "$url" ;;
  esac
}`,
        main: 'if [ -n "$out" ]; then body >"$out"; else body; fi',
    },
    // Like gpg 2.2: the output file is created before the input is read, so bad input leaves it
    // empty; an existing output file is overwritten only with --yes.
    gpg: sh`
out=""; yes=false; prev=""
for a in "$@"; do [ "$prev" = -o ] && out="$a"; [ "$a" = --yes ] && yes=true; prev="$a"; done
input="\${*: -1}"; [ "$input" != "$out" ] && [ -f "$input" ] || input=/dev/stdin
if [ -e "$out" ] && ! $yes; then echo "gpg: cannot open '/dev/tty': No such device or address" >&2; exit 2; fi
: >"$out"
data=$(cat "$input")
grep -q -- '-----END PGP PUBLIC KEY BLOCK-----' <<<"$data" || { echo "gpg: no valid OpenPGP data found." >&2; exit 2; }
printf 'dearmored: %s\n' "$(sed -n 2p <<<"$data")" >"$out"`,
    // Repositories: a list line is usable once an update fetched it, which needs its signed-by
    // keyring; without APT::Update::Error-Mode=any an unusable repository is only a warning (exit 0).
    "apt-get": sh`
sub=""; pkgs=(); skip=false; opts=" $* "
for a in "$@"; do
  if $skip; then skip=false; continue; fi
  case "$a" in -o) skip=true ;; -*) ;; *) if [ -z "$sub" ]; then sub="$a"; else pkgs+=("$a"); fi ;; esac
done
# NAME=VERSION, a trailing * matching the first build (containerd.io=2.1.5-* installs 2.1.5-1).
version_of() { version="1.0"; [[ "$1" != *=* ]] || version="\${1#*=}"; [[ "$version" != *"*" ]] || version="\${version%"*"}1"; }
case "$sub" in
  update)
    lists="distro"; bad=0
    for f in "$R"/etc/apt/sources.list.d/*.list; do
      [ -f "$f" ] || continue
      while read -r line; do
        [ -n "$line" ] || continue
        key=""; [[ "$line" =~ signed-by=([^]\ ]+) ]] && key="\${BASH_REMATCH[1]}"
        read -r _ _ url _ <<<"$line"
        host="\${url#*://}"; host="\${host%%/*}"
        if [ -f "$S/unreachable" ] && grep -qxF "$host" "$S/unreachable"; then
          # What apt 2.6 prints; with APT::Update::Error-Mode=any the W: lines are E: lines.
          w=W; [[ "$opts" != *" APT::Update::Error-Mode=any "* ]] || w=E
          echo "Err:1 $url InRelease"
          echo "  Could not resolve '$host'"
          echo "$w: Failed to fetch \${url%/}/InRelease  Could not resolve '$host'"
          echo "$w: Some index files failed to download. They have been ignored, or old ones used instead."
          bad=1
        elif [ -n "$key" ] && [ ! -s "$R$key" ]; then
          echo "W: GPG error: $url InRelease: The following signatures couldn't be verified because the public key is not available"
          echo "E: The repository '$url InRelease' is not signed."
          bad=1
        else
          lists="$lists"$'\n'"$line"
        fi
      done <"$f"
    done
    printf '%s\n' "$lists" >"$S/apt-lists"
    if [ "$bad" = 1 ]; then [[ "$opts" == *" APT::Update::Error-Mode=any "* ]] && exit 100; fi
    exit 0 ;;
  install)
    lists=""; [ ! -f "$S/apt-lists" ] || lists=$(<"$S/apt-lists")
    for p in "\${pkgs[@]}"; do
      name="\${p%%=*}"; version_of "$p"
      case "$name" in
        containerd.io) want="download.docker.com" ;;
        kubelet | kubeadm | kubectl) [[ "$version" =~ ^([0-9]+\.[0-9]+)\. ]]; want="/v\${BASH_REMATCH[1]}/deb/" ;;
        *) want="distro" ;;
      esac
      [[ "$lists" == *"$want"* ]] || { echo "E: Unable to locate package $name"; exit 100; }
      if [ -f "$S/held-$name" ] && [ "$(<"$S/pkg-$name")" != "$version" ] && [[ "$opts" != *" --allow-change-held-packages "* ]]; then
        echo "E: Held packages were changed and -y was used without --allow-change-held-packages."; exit 100
      fi
    done
    for p in "\${pkgs[@]}"; do
      name="\${p%%=*}"; version_of "$p"
      echo "$version" >"$S/pkg-$name"
      case "$name" in
        curl | gpg) ln -sf "$FAKE_STUBS/$name" "$FAKE_NODE_BIN/$name" ;;
        wireguard-tools) ln -sf "$FAKE_STUBS/wg" "$FAKE_NODE_BIN/wg"; ln -sf "$FAKE_STUBS/wg-quick" "$FAKE_NODE_BIN/wg-quick" ;;
        ca-certificates) mkdir -p "$R/etc/ssl/certs"; echo "CA bundle" >"$R/etc/ssl/certs/ca-certificates.crt" ;;
        # Debian's packages enable and start their services (RHEL's do not).
        containerd.io) : >"$S/enabled-containerd"; cat "$R/etc/containerd/config.toml" >"$S/active-containerd" 2>/dev/null || echo "(default configuration)" >"$S/active-containerd" ;;
        kubelet) : >"$S/enabled-kubelet" ;;
      esac
    done ;;
  *) echo "E: Invalid operation $sub"; exit 100 ;;
esac`,
    "apt-mark": sh`
case "$1" in
  hold) shift; for p in "$@"; do : >"$S/held-$p"; done ;;
  unhold) shift; for p in "$@"; do rm -f "$S/held-$p"; done ;;
  showhold) for f in "$S"/held-*; do [ ! -e "$f" ] || echo "\${f##*/held-}"; done ;;
  *) echo "E: Invalid operation $1" >&2; exit 100 ;;
esac`,
    "dpkg-query": 'p="${*: -1}"; [ -f "$S/pkg-$p" ] || { echo "dpkg-query: no packages found matching $p" >&2; exit 1; }; printf %s "$(<"$S/pkg-$p")"',
    rpm: 'p="${*: -1}"; [ -f "$S/rpm-$p" ] || { echo "package $p is not installed"; exit 1; }; printf %s "$(<"$S/rpm-$p")"',
    // Pinned versions are NAME-VERSION; the kubernetes repository excludes its packages unless
    // --disableexcludes=kubernetes, the docker one containerd.io unless --disableexcludes=docker-ce-stable.
    dnf: sh`
[ "$1" = install ] || { echo "Error: unknown command $1" >&2; exit 1; }
opts=" $* "; pkgs=()
for a in "\${@:2}"; do case "$a" in -*) ;; *) pkgs+=("$a") ;; esac; done
for p in "\${pkgs[@]}"; do
  name="$p"; version="1.0"
  if [[ "$p" =~ ^(.*)-([0-9][0-9.]*)$ ]]; then name="\${BASH_REMATCH[1]}"; version="\${BASH_REMATCH[2]}"; fi
  case "$name" in
    containerd.io) [ -f "$R/etc/yum.repos.d/docker-ce.repo" ] && [[ "$opts" == *" --disableexcludes=docker-ce-stable "* ]] || { echo "Error: Unable to find a match: $p" >&2; exit 1; } ;;
    kubelet | kubeadm | kubectl) [ -f "$R/etc/yum.repos.d/kubernetes.repo" ] && [[ "$opts" == *" --disableexcludes=kubernetes "* ]] || { echo "Error: Unable to find a match: $p" >&2; exit 1; } ;;
  esac
done
for p in "\${pkgs[@]}"; do
  name="$p"; version="1.0"
  if [[ "$p" =~ ^(.*)-([0-9][0-9.]*)$ ]]; then name="\${BASH_REMATCH[1]}"; version="\${BASH_REMATCH[2]}"; fi
  echo "$version" >"$S/rpm-$name"
  case "$name" in
    curl) ln -sf "$FAKE_STUBS/curl" "$FAKE_NODE_BIN/curl" ;;
    wireguard-tools) ln -sf "$FAKE_STUBS/wg" "$FAKE_NODE_BIN/wg"; ln -sf "$FAKE_STUBS/wg-quick" "$FAKE_NODE_BIN/wg-quick" ;;
  esac
done`,
    getenforce: 'if [ -f "$S/selinux-permissive" ]; then echo Permissive; else echo Enforcing; fi',
    setenforce: ': >"$S/selinux-permissive"',
    // active-UNIT holds the configuration the unit runs with: what its files said when it last
    // (re)started or reloaded.
    systemctl: {
        setup: sh`
now=false; args=()
for a in "$@"; do case "$a" in --now) now=true ;; -*) ;; *) args+=("$a") ;; esac; done
verb="\${args[0]}"; unit="\${args[1]:-}"
running_config() {
  case "$1" in
    containerd) cat "$R/etc/containerd/config.toml" 2>/dev/null || echo "(default configuration)" ;;
    NetworkManager) cat "$R"/etc/NetworkManager/conf.d/*.conf 2>/dev/null || true ;;
    wg-quick@wg0) cat "$R/etc/wireguard/wg0.conf" ;;
    kubelet) cat "$R/etc/default/kubelet" "$R/etc/sysconfig/kubelet" 2>/dev/null || true ;;
  esac
}
start() {
  running_config "$1" >"$S/active-$1"
  # What the node's own Node object reports once the kubelet (re)started: the installed versions.
  if [ "$1" = kubelet ]; then
    v=$(cat "$S/pkg-kubelet" "$S/rpm-kubelet" 2>/dev/null | head -n 1); echo "\${v%%-*}" >"$S/kubelet-reports"
    c=$(cat "$S/pkg-containerd.io" "$S/rpm-containerd.io" 2>/dev/null | head -n 1); echo "\${c%%-*}" >"$S/runtime-reports"
  fi
  if [ "$1" = wg-quick@wg0 ]; then grep -v -E '^(Address|DNS|MTU|Table|SaveConfig) *=' "$R/etc/wireguard/wg0.conf" >"$S/wg-live"; fi
}
stop() { rm -f "$S/active-$1"; [ "$1" != wg-quick@wg0 ] || rm -f "$S/wg-live"; }
partial() {
  if [ "$verb" = enable ] && $now; then : >"$S/enabled-$unit"; fi
  echo "Job for $unit.service failed because the control process exited with error code." >&2
  exit 1
}`,
        main: sh`
case "$verb" in
  is-active) [ -f "$S/active-$unit" ] ;;
  is-enabled) [ -f "$S/enabled-$unit" ] ;;
  enable) : >"$S/enabled-$unit"; if $now && [ ! -f "$S/active-$unit" ]; then start "$unit"; fi ;;
  disable) rm -f "$S/enabled-$unit"; if $now; then stop "$unit"; fi ;;
  start) [ -f "$S/active-$unit" ] || start "$unit" ;;
  stop) stop "$unit" ;;
  restart) start "$unit" ;;
  reload) [ -f "$S/active-$unit" ] || { echo "Unit $unit.service cannot be reloaded because it is inactive." >&2; exit 1; }; start "$unit" ;;
  daemon-reload) ;;
  *) echo "Unknown command verb $verb." >&2; exit 1 ;;
esac`,
    },
    kubelet: 'v=$(cat "$S/pkg-kubelet" "$S/rpm-kubelet" 2>/dev/null | head -n 1); [ -n "$v" ] || { echo "kubelet: not installed" >&2; exit 127; }; echo "Kubernetes v${v%%-*}"',
    // kubeadm, phase by phase (cmd/kubeadm/app/cmd/{init,join,reset}.go), with the preflight
    // checks that refuse what an earlier attempt left behind.
    kubeadm: {
        setup: sh`
sub="$1"
conf=""; prev=""; for a in "$@"; do [ "$prev" = --config ] && conf="$a"; prev="$a"; done
K="$R/etc/kubernetes"
preflight() {
  errs=()
  for f in "$@"; do [ ! -e "$R$f" ] || errs+=("[ERROR FileAvailable-\${f//\//-}]: $f already exists"); done
  for p in 6443 10250; do [ ! -f "$S/port-$p" ] || errs+=("[ERROR Port-$p]: Port $p is in use"); done
  if [ "\${#errs[@]}" -gt 0 ]; then
    echo "[preflight] Running pre-flight checks"
    echo "error execution phase preflight: [preflight] Some fatal errors occurred:"
    printf '\t%s\n' "\${errs[@]}"
    exit 1
  fi
}
put() { mkdir -p "$(dirname "$K/$1")"; [ -n "$2" ] && [ -f "$K/$1" ] || echo "$1 written by kubeadm $sub" >"$K/$1"; chmod "\${3:-0600}" "$K/$1"; }
control_plane_files() {
  for c in ca apiserver apiserver-kubelet-client front-proxy-ca front-proxy-client sa etcd/ca etcd/server etcd/peer; do put "pki/$c.crt" keep 0644; put "pki/$c.key" keep; done
  for c in admin super-admin controller-manager scheduler; do put "$c.conf"; done
  for m in etcd kube-apiserver kube-controller-manager kube-scheduler; do put "manifests/$m.yaml"; done
  mkdir -p "$R/var/lib/etcd/member"; echo snapshot >"$R/var/lib/etcd/member/snap"
}
kubelet_start() {
  mkdir -p "$R/var/lib/kubelet"; echo config >"$R/var/lib/kubelet/config.yaml"; echo flags >"$R/var/lib/kubelet/kubeadm-flags.env"
  : >"$S/active-kubelet"; : >"$S/port-10250"
}
partial() {
  case "$sub" in
    init)
      control_plane_files; put kubelet.conf; kubelet_start
      echo "[wait-control-plane] Waiting for the kubelet to boot up the control plane as static Pods"
      echo "error execution phase wait-control-plane: could not initialize a Kubernetes cluster" ;;
    join)
      grep -q '^controlPlane:' "$conf" && control_plane_files
      put pki/ca.crt keep 0644; kubelet_start
      echo "error execution phase kubelet-wait-bootstrap: timed out waiting for the condition" ;;
    *) echo "$NAME $sub: failed half-way" ;;
  esac
  exit 1
}`,
        main: sh`
case "$sub" in
  config) [ "$2 $3" = "images pull" ] && : >"$S/images-$5" ;;
  # upgrade: what the cluster's control plane runs ($S/control-plane-version); apply refuses a
  # target newer than this kubeadm (policy.go), node takes the version apply stored in the cluster.
  upgrade)
    kubeadm_version=$(cat "$S/pkg-kubeadm" 2>/dev/null); kubeadm_version="\${kubeadm_version%%-*}"
    case "$2" in
      plan) [ -f "$K/admin.conf" ] || { echo "couldn't create a Kubernetes client from file admin.conf"; exit 1; } ;;
      apply)
        target="\${3#v}"
        [ "$target" = "$kubeadm_version" ] || { echo "[upgrade/version] FATAL: the version argument is invalid due to these errors: Specified version to upgrade to \"v$target\" is higher than the kubeadm version \"v$kubeadm_version\""; exit 1; }
        [[ " $* " == *" --yes "* ]] || { echo "won't proceed; the user didn't answer (Y|y) in order to continue"; exit 1; }
        echo "$target" >"$S/control-plane-version"; echo "$target" >"$S/static-pods-version" ;;
      node)
        [ -f "$S/control-plane-version" ] || { echo "unable to fetch the kubeadm-config ConfigMap"; exit 1; }
        echo "$(cat "$S/control-plane-version")" >"$S/static-pods-version" ;;
    esac ;;
  certs)
    [ "$2 $3" = "renew all" ] || { echo "unknown command \"$2\" for \"kubeadm certs\"" >&2; exit 1; }
    echo "renewed certificate" >"$K/pki/apiserver.crt" ;;
  init)
    [ -f "$conf" ] || { echo "open $conf: no such file or directory"; exit 1; }
    preflight /etc/kubernetes/manifests/kube-apiserver.yaml /etc/kubernetes/manifests/etcd.yaml /var/lib/etcd/member
    control_plane_files; put kubelet.conf; kubelet_start
    : >"$S/port-6443"; echo initialised >"$S/cluster" ;;
  join)
    [ -f "$conf" ] || { echo "open $conf: no such file or directory"; exit 1; }
    if grep -q '^controlPlane:' "$conf"; then
      preflight /etc/kubernetes/kubelet.conf /etc/kubernetes/bootstrap-kubelet.conf /etc/kubernetes/manifests/kube-apiserver.yaml /var/lib/etcd/member
      control_plane_files; : >"$S/port-6443"
    else
      preflight /etc/kubernetes/kubelet.conf /etc/kubernetes/bootstrap-kubelet.conf /etc/kubernetes/pki/ca.crt
    fi
    put pki/ca.crt keep 0644; kubelet_start; put kubelet.conf ;;
  reset)
    rm -rf "$K"/manifests/* "$K"/pki/* "$R"/var/lib/kubelet/* "$R"/var/lib/etcd/*
    for c in admin super-admin kubelet bootstrap-kubelet controller-manager scheduler; do rm -f "$K/$c.conf"; done
    [[ " $* " != *" --cleanup-tmp-dir "* ]] || rm -rf "$K/tmp"
    rm -f "$S/active-kubelet" "$S"/port-* "$S/cluster" ;;
  *) echo "unknown command \"$sub\" for \"kubeadm\"" >&2; exit 1 ;;
esac`,
    },
    // Cluster objects are files under $S/k8s: node-NAME (its Ready status), pods-NODE (the pods
    // on it), secret-NAMESPACE-NAME. Without a kubeconfig kubectl reaches no cluster.
    kubectl: sh`
kubeconfig="\${KUBECONFIG:-}"; prev=""; for a in "$@"; do [ "$prev" != --kubeconfig ] || kubeconfig="$a"; prev="$a"; done
[ -f "$kubeconfig" ] || { echo "The connection to the server localhost:8080 was refused - did you specify the right host or port?" >&2; exit 1; }
ns=default; out=""; selector=""; args=(); opts=" $* "; skip=""
for a in "$@"; do
  if [ -n "$skip" ]; then case "$skip" in -n) ns="$a" ;; -o) out="$a" ;; --field-selector) selector="$a" ;; esac; skip=""; continue; fi
  case "$a" in -n | -o | --field-selector | -f | --kubeconfig) skip="$a" ;; -*) ;; *) args+=("$a") ;; esac
done
[ -d "$S/k8s" ] || mkdir "$S/k8s"
notfound() { echo "Error from server (NotFound): $1 \"$2\" not found" >&2; exit 1; }
# The node this stub runs on (k8s/self-NAME) reports what its kubelet last started with.
kubelet_of() { if [ -f "$S/k8s/self-$1" ] && [ -f "$S/kubelet-reports" ]; then echo "v$(cat "$S/kubelet-reports")"; else cat "$S/k8s/kubelet-$1"; fi; }
runtime_of() { if [ -f "$S/k8s/self-$1" ] && [ -f "$S/runtime-reports" ]; then echo "containerd://$(cat "$S/runtime-reports")"; else cat "$S/k8s/runtime-$1"; fi; }
case "\${args[0]}" in
  get)
    case "\${args[1]}" in
      secret) [ -f "$S/k8s/secret-$ns-\${args[2]}" ] || notfound secrets "\${args[2]}" ;;
      node)
        n="\${args[2]}"; [ -f "$S/k8s/node-$n" ] || notfound nodes "$n"
        case "$out" in
          "") ;;
          name) echo "node/$n" ;;
          *nodeInfo.kubeletVersion*nodeInfo.containerRuntimeVersion*) printf '%s %s' "$(kubelet_of "$n")" "$(runtime_of "$n")" ;;
          *nodeInfo.kubeletVersion*) printf %s "$(kubelet_of "$n")" ;;
          *annotations*) [ ! -f "$S/k8s/annotation-$n" ] || printf %s "$(<"$S/k8s/annotation-$n")" ;;
          *) printf %s "$(<"$S/k8s/node-$n")" ;;
        esac ;;
      nodes)
        # -l node-role.kubernetes.io/control-plane: NAME=VERSION of each control plane.
        for f in "$S"/k8s/cp-*; do [ -e "$f" ] || continue; n="\${f##*/cp-}"; printf '%s=%s ' "$n" "$(kubelet_of "$n")"; done ;;
      pods) n="\${selector#spec.nodeName=}"; [ ! -f "$S/k8s/pods-$n" ] || tr '\n' ' ' <"$S/k8s/pods-$n" ;;
    esac ;;
  apply)
    doc=$(cat); name=$(sed -n 's/^  name: *//p' <<<"$doc" | head -n 1); n=$(sed -n 's/^  namespace: *//p' <<<"$doc" | head -n 1)
    printf '%s\n' "$doc" >"$S/k8s/secret-\${n:-default}-$name" ;;
  drain)
    node="\${args[1]}"; [ -f "$S/k8s/node-$node" ] || notfound nodes "$node"
    : >"$S/k8s/cordoned-$node"
    if [ -f "$S/k8s/pdb-blocks-$node" ]; then
      echo "error when evicting pods/\"$(head -n 1 "$S/k8s/pods-$node")\" (will retry after 5s): Cannot evict pod as it would violate the pod's disruption budget." >&2
      echo "error: unable to drain node \"$node\" due to error: global timeout reached: $(sed -n 's/.*--timeout=\([^ ]*\).*/\1/p' <<<"$opts")" >&2; exit 1
    elif [ "$(cat "$S/k8s/node-$node")" = True ]; then rm -f "$S/k8s/pods-$node"
    elif [[ "$opts" != *" --skip-wait-for-delete-timeout="* ]] && [ -s "$S/k8s/pods-$node" ]; then
      echo "error: unable to drain node \"$node\" due to error: global timeout reached" >&2; exit 1
    fi ;;
  annotate)
    node="\${args[2]}"; [ -f "$S/k8s/node-$node" ] || notfound nodes "$node"
    case "\${args[3]}" in *-) rm -f "$S/k8s/annotation-$node" ;; *=*) printf %s "\${args[3]#*=}" >"$S/k8s/annotation-$node" ;; esac ;;
  uncordon) [ -f "$S/k8s/node-\${args[1]}" ] || notfound nodes "\${args[1]}"; rm -f "$S/k8s/cordoned-\${args[1]}" ;;
  wait)
    node="\${args[1]#node/}"; [ -f "$S/k8s/node-$node" ] || notfound nodes "$node"
    [ "$(cat "$S/k8s/node-$node")" = True ] || { echo "error: timed out waiting for the condition on nodes/$node" >&2; exit 1; } ;;
  delete)
    # The pod garbage collector removes the pods of a node that no longer exists.
    [ -f "$S/k8s/node-\${args[2]}" ] || notfound nodes "\${args[2]}"
    rm -f "$S/k8s/node-\${args[2]}" "$S/k8s/pods-\${args[2]}" "$S/k8s/cordoned-\${args[2]}" ;;
  *) echo "unknown verb \${args[0]}" >&2; exit 1 ;;
esac`,
    // etcd in its container: members in $S/etcd-members (`member list -w simple` lines), a snapshot
    // written where etcdctl is told (the container's /var/lib/etcd is the host's).
    crictl: sh`
case "$1" in
  ps) [ ! -f "$S/etcd-running" ] || echo 3f1c0ffee ;;
  exec)
    shift 2; args=(); for a in "$@"; do case "$a" in --*) ;; *) args+=("$a") ;; esac; done
    case "\${args[1]} \${args[2]:-}" in
      "member list") cat "$S/etcd-members" ;;
      "member remove") grep -q "^\${args[3]}, " "$S/etcd-members" || { echo "Error: etcdserver: member not found" >&2; exit 1; }
        grep -v "^\${args[3]}, " "$S/etcd-members" >"$S/etcd-members.new" || true; mv "$S/etcd-members.new" "$S/etcd-members"
        printf 'Member %s removed from cluster 5a0c0ffee\n' "\${args[3]}" ;;
      "snapshot save") mkdir -p "$(dirname "$R\${args[3]}")"; echo "etcd snapshot" >"$R\${args[3]}" ;;
      *) echo "etcdctl: unknown command" >&2; exit 1 ;;
    esac ;;
  *) echo "crictl: unknown command $1" >&2; exit 1 ;;
esac`,
    // A certificate "expiring" within any window says so in its content.
    openssl: sh`
in=""; prev=""; for a in "$@"; do [ "$prev" = -in ] && in="$a"; prev="$a"; done
case " $* " in
  *" -checkend "*) ! grep -q expiring "$in" ;;
  *" -enddate "*) if grep -q expiring "$in"; then echo "notAfter=Dec  1 00:00:00 2026 GMT"; else echo "notAfter=Nov 22 00:00:00 2027 GMT"; fi ;;
esac`,
    wg: 'case "$1" in syncconf) cat "$3" >"$S/wg-live" ;; *) exit 0 ;; esac',
    "wg-quick": 'case "$1" in strip) grep -v -E "^(Address|DNS|MTU|Table|SaveConfig) *=" "$R/etc/wireguard/$2.conf" ;; *) exit 0 ;; esac',
    ip: '[ "$1 $2 $3" = "link show wg0" ] && [ -f "$S/wg-live" ]',
    iptables: 'case "$1" in -C) [ -f "$S/imds-locked" ] ;; -I) : >"$S/imds-locked" ;; esac',
    hostname: "echo ip-10-1-16-7",
    sleep: "exit 0",
};

/** What every stub runs first: log the call (with the fake root taken out), then the fault check. */
const LIB = sh`
call="$NAME\${*:+ $*}"; call="\${call//"$R"/}"
printf '%s\n' "$call" >>"$FAKE_LOG"
if [ -n "\${FAIL_AT:-}" ] && [[ "$call" == "$FAIL_AT"* ]] && [ ! -e "$FAKE_FAULT/fired" ]; then
  seen=$(($(cat "$FAKE_FAULT/seen" 2>/dev/null || echo 0) + 1))
  echo "$seen" >"$FAKE_FAULT/seen"
  if [ "$seen" -ge "\${FAIL_NTH:-1}" ]; then
    printf '%s\n' "$call" >"$FAKE_FAULT/fired"
    if [ "\${FAIL_PARTIAL:-0}" = 1 ] && declare -F partial >/dev/null; then partial "$@"; fi
    printf '%b\n' "\${FAIL_MSG:-$NAME: injected failure}" >&2
    exit "\${FAIL_RC:-1}"
  fi
fi
`;

function which(cmd: string): string {
    for (const dir of ["/usr/bin", "/bin", "/usr/sbin", "/sbin"]) {
        const p = path.join(dir, cmd);
        if (fs.existsSync(p)) return fs.realpathSync(p);
    }
    throw new Error(`${cmd} is not installed`);
}
const BASH = which("bash");

/** The stubs and utilities, shared by every node of a test file (removed at its end). */
const SHARED = (() => {
    const dir = tempDir("fake-node-bin-");
    const stubs = path.join(dir, "stubs");
    const bin = path.join(dir, "bin");
    const utilities = path.join(dir, "utilities");
    for (const d of [stubs, bin, utilities]) fs.mkdirSync(d);
    fs.writeFileSync(path.join(dir, "lib.sh"), LIB);
    for (const [name, stub] of Object.entries(STUBS)) {
        fs.writeFileSync(path.join(stubs, name), stubFile(name, stub, dir), { mode: 0o755 });
        if (!OPTIONAL.includes(name)) fs.symlinkSync(path.join(stubs, name), path.join(bin, name));
    }
    for (const u of UTILITIES) fs.symlinkSync(which(u), path.join(utilities, u));
    return { dir, stubs, bin, utilities };
})();

/** A stub: its setup (argument parsing, functions; no effect), the shared call log and fault check, its body. */
function stubFile(name: string, stub: Stub, shared = SHARED.dir): string {
    const { setup, main } = typeof stub === "string" ? { setup: "", main: stub } : stub;
    return `#!${BASH}\nNAME='${name}'; R="$FAKE_ROOT"; S="$FAKE_STATE"; PATH=/usr/bin:/bin\n${setup}\n. '${shared}/lib.sh'\n${main}\n`;
}

export interface Fault {
    /** The first call whose line (fake root taken out) starts with this fails... */
    readonly at: string;
    /** ...or the nth such call (1-based). */
    readonly nth?: number;
    /** It fails half-way (the stub's `partial`) instead of before doing anything. */
    readonly partial?: boolean;
    /** What it prints on standard error (printf %b), instead of "NAME: injected failure". */
    readonly message?: string;
    readonly rc?: number;
}

export interface RunResult {
    readonly status: number | null;
    readonly stdout: string;
    readonly stderr: string;
    /** The stubs' calls, in order, with the fake root taken out of their arguments. */
    readonly calls: string[];
    /** The call the fault hit, if it did. */
    readonly fired?: string;
}

export interface RunOptions {
    readonly stdin?: string;
    readonly env?: Record<string, string>;
    readonly fault?: Fault;
}

export interface FakeNode {
    readonly base: string;
    readonly root: string;
    readonly state: string;
    run(script: string, opts?: RunOptions): RunResult;
    /** `run`, without blocking the test runner (for tests that run concurrently). */
    runAsync(script: string, opts?: RunOptions): Promise<RunResult>;
    /** Replaces a program for this node only (the body runs after the call is logged). */
    stub(name: string, body: string): void;
    /** Writes a file under the fake root (directories created). */
    write(file: string, content: string, mode?: number): void;
    read(file: string): string;
    exists(file: string): boolean;
    /** Sets a state flag (`$S/NAME`) a stub reads. */
    set(flag: string, content?: string): void;
    /** Every file, directory and symlink under the fake root and the state, with its mode and content, and the programs installed. */
    snapshot(): Record<string, string>;
    /** A new node in the same state (root, state, installed programs). */
    clone(): FakeNode;
}

export interface NodeOptions {
    /** What the image lacks: any of cloud-init, curl, gpg, ca-certificates. */
    readonly missing?: readonly string[];
    /** wireguard-tools installed (minimal images and fresh cloud images have none). */
    readonly wireguard?: boolean;
}

/**
 * A fresh node: the given /etc/os-release, swap on (and in fstab), curl, gpg, ca-certificates and
 * cloud-init present unless `missing`, apt's distribution lists fetched unless curl is missing
 * (a minimal image has neither).
 */
export function fakeNode(osRelease: string, opts: NodeOptions = {}): FakeNode {
    const node = emptyNode();
    node.write("etc/os-release", osRelease);
    node.write("etc/fstab", "UUID=abc / ext4 defaults 0 1\n/swap.img none swap sw 0 0\n");
    node.set("swap-on");
    const missing = new Set(opts.missing ?? []);
    const link = (name: string) => fs.symlinkSync(path.join(SHARED.stubs, name), path.join(node.base, "bin", name));
    for (const name of ["cloud-init", "curl", "gpg"]) if (!missing.has(name)) link(name);
    if (opts.wireguard) ["wg", "wg-quick"].forEach(link);
    if (!missing.has("ca-certificates")) node.write("etc/ssl/certs/ca-certificates.crt", "CA bundle\n");
    if (!missing.has("curl")) node.set("apt-lists", "distro\n");
    return node;
}

function emptyNode(): FakeNode {
    const base = tempDir("node-");
    const root = path.join(base, "root");
    const state = path.join(base, "state");
    const bin = path.join(base, "bin");
    const fault = path.join(base, "fault");
    const log = path.join(base, "calls.log");
    for (const d of [root, state, bin, fault]) fs.mkdirSync(d, { recursive: true });
    /** Clears the call log and the fault's state; the environment of a run. */
    const prepareRun = (o: RunOptions): NodeJS.ProcessEnv => {
        fs.rmSync(log, { force: true });
        fs.rmSync(fault, { recursive: true, force: true });
        fs.mkdirSync(fault);
        const f = o.fault;
        return {
            PATH: `${bin}:${SHARED.bin}:${SHARED.utilities}`,
            HOME: base,
            LANG: "C.UTF-8",
            INFRA_ROOT: root,
            FAKE_ROOT: root,
            FAKE_STATE: state,
            FAKE_LOG: log,
            FAKE_FAULT: fault,
            FAKE_STUBS: SHARED.stubs,
            FAKE_NODE_BIN: bin,
            ...o.env,
            ...(f
                ? {
                      FAIL_AT: f.at,
                      FAIL_NTH: String(f.nth ?? 1),
                      FAIL_PARTIAL: f.partial ? "1" : "0",
                      ...(f.message !== undefined ? { FAIL_MSG: f.message } : {}),
                      ...(f.rc !== undefined ? { FAIL_RC: String(f.rc) } : {}),
                  }
                : {}),
        };
    };
    const result = (status: number | null, stdout: string, stderr: string): RunResult => {
        const calls = fs.existsSync(log) ? fs.readFileSync(log, "utf8").split("\n").filter(Boolean) : [];
        const firedFile = path.join(fault, "fired");
        const fired = fs.existsSync(firedFile) ? fs.readFileSync(firedFile, "utf8").trim() : undefined;
        return { status, stdout, stderr, calls, fired };
    };
    const node: FakeNode = {
        base,
        root,
        state,
        write(file, content, mode = 0o644) {
            const p = path.join(root, file);
            fs.mkdirSync(path.dirname(p), { recursive: true });
            fs.writeFileSync(p, content, { mode });
            fs.chmodSync(p, mode);
        },
        read: (file) => fs.readFileSync(path.join(root, file), "utf8"),
        exists: (file) => fs.existsSync(path.join(root, file)),
        set(flag, content = "") {
            fs.mkdirSync(path.dirname(path.join(state, flag)), { recursive: true });
            fs.writeFileSync(path.join(state, flag), content);
        },
        stub(name, body) {
            fs.rmSync(path.join(bin, name), { force: true });
            fs.writeFileSync(path.join(bin, name), stubFile(name, body), { mode: 0o755 });
        },
        run(script, o = {}) {
            const r = spawnSync(BASH, ["-c", script], { input: o.stdin ?? "", encoding: "utf8", env: prepareRun(o) });
            return result(r.status, r.stdout, r.stderr);
        },
        runAsync(script, o = {}) {
            return new Promise((resolve, reject) => {
                const child = spawn(BASH, ["-c", script], { env: prepareRun(o) });
                let stdout = "";
                let stderr = "";
                child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
                child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
                child.on("error", reject);
                child.on("close", (status) => resolve(result(status, stdout, stderr)));
                child.stdin.on("error", () => undefined); // a script that does not read its input
                child.stdin.end(o.stdin ?? "");
            });
        },
        snapshot() {
            const out: Record<string, string> = {};
            walk(root, "", out);
            walk(state, "(state)/", out);
            walk(bin, "(installed)/", out);
            return out;
        },
        clone() {
            const copy = emptyNode();
            for (const d of ["root", "state", "bin"]) fs.cpSync(path.join(base, d), path.join(copy.base, d), { recursive: true, verbatimSymlinks: true });
            return copy;
        },
    };
    return node;
}

/** Logs are per run: only their mode counts. Timestamps (a token's expiry) are the clock's. */
function walk(dir: string, prefix: string, out: Record<string, string>): void {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
        const p = path.join(dir, e.name);
        const key = prefix + e.name;
        const st = fs.lstatSync(p);
        const mode = (st.mode & 0o7777).toString(8);
        if (e.isSymbolicLink()) out[key] = `-> ${fs.readlinkSync(p)}`;
        else if (e.isDirectory()) {
            out[`${key}/`] = `dir ${mode}`;
            walk(p, `${key}/`, out);
        } else if (/^var\/log\//.test(key)) out[key] = `file ${mode} (a log)`;
        else out[key] = `file ${mode} ${fs.readFileSync(p, "utf8").replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/g, "<time>")}`;
    }
}

/** Calls that change a machine (everything but reads and queries). */
export const MUTATING =
    /^(wg syncconf|iptables -I|swapoff|modprobe|sysctl|curl .* -o |gpg .*--dearmor|apt-get|apt-mark (hold|unhold)|dnf|setenforce|kubeadm (init|join|reset|config images pull|upgrade (apply|node)|certs renew)|kubectl .*\b(apply|drain|delete|annotate|uncordon)\b|crictl exec .*(member remove|snapshot save)|systemctl (restart|reload|enable|disable|start|stop|daemon-reload))/;
export const mutating = (calls: readonly string[]): string[] => calls.filter((c) => MUTATING.test(c));
