#!/usr/bin/env bash
# Helpers prepended to every bootstrap script. INFRA_ROOT prefixes every path the scripts
# write (empty on real nodes; a fake root in the script tests).
ROOT="${INFRA_ROOT:-}"

log() { printf '%s: %s\n' "${STEP:-bootstrap}" "$*"; }
fail() { printf '%s: error: %s\n' "${STEP:-bootstrap}" "$*" >&2; exit 1; }

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

# assemble_wireguard: wg0.conf = this stack's configuration + the peers other stacks added in
# /etc/wireguard/peers.d. Returns 0 when the file changed.
assemble_wireguard() {
  local peers=()
  for f in "$ROOT"/etc/wireguard/peers.d/*.conf; do [ -f "$f" ] && peers+=("$f"); done
  cat "$ROOT/etc/wireguard/wg0.base.conf" "${peers[@]}" | write_file /etc/wireguard/wg0.conf 0600
}
