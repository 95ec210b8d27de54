#!/usr/bin/env bash
# mesh-leave: runs on the first control plane before any node's mesh peers change. Nodes that
# left this stack's member list since the last run are drained and their Node objects deleted
# now, while they still reach the API over the mesh; only then do the other nodes drop them as
# peers (their mesh steps wait for this one). The drain guard that runs when a machine goes
# finds the node already gone.
# Parameters: LIST (which stack's members), MEMBERS (the node names, space-separated), DRAIN_TIMEOUT.
set -euo pipefail
export STEP="mesh-leave"
: "${LIST:?}" "${MEMBERS?}"
state="$MARKERS/mesh-members-$LIST"
if [ -f "$ROOT$state" ]; then
  read -r -a previous <"$ROOT$state" || true
  for node in "${previous[@]}"; do
    case " $MEMBERS " in *" $node "*) ;; *) drain_node "$node" ;; esac
  done
fi
install -d -m 0755 "$ROOT$MARKERS"
printf '%s\n' "$MEMBERS" | write_file "$state" 0644 || true
log "members of $LIST: $MEMBERS"
