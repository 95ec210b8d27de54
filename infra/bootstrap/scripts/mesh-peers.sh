#!/usr/bin/env bash
# mesh-peers: adds (or, with REMOVE=1, removes) another stack's nodes as WireGuard peers of this
# node: their [Peer] sections arrive on standard input and live in /etc/wireguard/peers.d, which
# prepare keeps across its own runs. Public keys only; nothing secret is read or printed.
# Parameters: PEERS_NAME (the other stack), REMOVE (1 to remove).
set -euo pipefail
export STEP="mesh-peers"
: "${PEERS_NAME:?}"
file="/etc/wireguard/peers.d/$PEERS_NAME.conf"
install -d -m 0700 "$ROOT/etc/wireguard/peers.d"
changed=false
if [ "${REMOVE:-0}" = 1 ]; then
  if [ -f "$ROOT$file" ]; then rm -f "$ROOT$file"; changed=true; fi
else
  if write_file "$file" 0600; then changed=true; fi
fi
if $changed || [ ! -f "$ROOT/etc/wireguard/wg0.conf" ]; then pending "peers-$PEERS_NAME"; fi
if marked "pending-peers-$PEERS_NAME"; then
  assemble_wireguard || true
  settle "peers-$PEERS_NAME" sync_wg0
  log "peers of $PEERS_NAME $([ "${REMOVE:-0}" = 1 ] && echo removed || echo added)"
else
  log "peers of $PEERS_NAME up to date"
fi
