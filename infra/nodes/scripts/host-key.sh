#!/usr/bin/env bash
# host-key: installs the SSH host key the program pins for this node (standard input: the private
# key, OpenSSH format), for servers whose first boot did not (created before host keys were
# pinned) and to rotate a key. Runs only with infra:ssh.installHostKeys, over a connection that
# accepts whatever host key answers. The key is checked before anything is replaced; a node that
# has it already changes nothing. sshd re-reads its host keys on reload (SIGHUP); the connection
# this runs on keeps going.
set -euo pipefail
ROOT="${INFRA_ROOT:-}"
key="$ROOT/etc/ssh/ssh_host_ed25519_key"
tmp=$(mktemp "$key.XXXXXX")
trap 'rm -f "$tmp" "$tmp.pub"' EXIT
cat > "$tmp"
chmod 0600 "$tmp"
ssh-keygen -y -f "$tmp" > "$tmp.pub" 2>/dev/null || { echo "host-key: standard input is not an OpenSSH private key" >&2; exit 1; }
# sha256 of the key sshd was last reloaded with: a reload that failed is retried on the next run.
loaded="$ROOT/var/lib/infra/host-key.loaded"
want=$(sha256sum < "$tmp" | cut -d' ' -f1)
if [ -f "$key" ] && cmp -s "$tmp" "$key" && [ "$(cat "$loaded" 2>/dev/null || true)" = "$want" ]; then
  echo "host-key: already installed"
  exit 0
fi
if ! { [ -f "$key" ] && cmp -s "$tmp" "$key"; }; then
  chmod 0644 "$tmp.pub"
  mv -f "$tmp.pub" "$key.pub"
  mv -f "$tmp" "$key"
  # SELinux (Rocky, Alma): the files get sshd_key_t back.
  if command -v restorecon >/dev/null 2>&1; then restorecon "$key" "$key.pub" || true; fi
fi
systemctl reload ssh 2>/dev/null || systemctl reload sshd
install -d -m 0755 "$(dirname "$loaded")"
printf '%s\n' "$want" > "$loaded"
echo "host-key: installed"
