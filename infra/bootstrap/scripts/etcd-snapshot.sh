#!/usr/bin/env bash
# etcd-snapshot: one snapshot of etcd, compressed, uploaded to $ENDPOINT/$BUCKET/$PREFIX/
# as <UTC time>-<node>.db.gz, then snapshots older than RETENTION_DAYS deleted. Run by the
# infra-etcd-backup timer (settings from its EnvironmentFile). Also `etcd-restore.sh`'s source.
set -euo pipefail
ROOT="${INFRA_ROOT:-}"
dir="$ROOT/etc/kubernetes/infra/etcd-backup"
: "${BUCKET:?}" "${PREFIX:?}" "${REGION:?}" "${ENDPOINT:?}" "${RETENTION_DAYS:?}"
s3() { curl -fsS --aws-sigv4 "aws:amz:$REGION:s3" -K "$dir/credentials" "$@"; }

container=$(crictl ps --name etcd -q | head -n 1)
[ -n "$container" ] || { echo "etcd-snapshot: no etcd container on this node" >&2; exit 1; }
# /var/lib/etcd is the container's data directory, mounted from the host.
crictl exec "$container" etcdctl --endpoints=https://127.0.0.1:2379 \
  --cacert=/etc/kubernetes/pki/etcd/ca.crt \
  --cert=/etc/kubernetes/pki/etcd/healthcheck-client.crt \
  --key=/etc/kubernetes/pki/etcd/healthcheck-client.key \
  snapshot save /var/lib/etcd/infra-snapshot.db >/dev/null
name="$(date -u +%Y%m%dT%H%M%SZ)-$(hostname -s).db.gz"
gzip -c "$ROOT/var/lib/etcd/infra-snapshot.db" > "$ROOT/var/lib/etcd/infra-snapshot.db.gz"
s3 -T "$ROOT/var/lib/etcd/infra-snapshot.db.gz" "$ENDPOINT/$BUCKET/$PREFIX/$name"
rm -f "$ROOT/var/lib/etcd/infra-snapshot.db" "$ROOT/var/lib/etcd/infra-snapshot.db.gz"
echo "etcd-snapshot: uploaded $name"

# Names sort by time: every key below the cutoff's is older than the retention.
cutoff="$PREFIX/$(date -u -d "-$RETENTION_DAYS days" +%Y%m%dT%H%M%SZ)"
s3 "$ENDPOINT/$BUCKET?list-type=2&prefix=$PREFIX/" | grep -o '<Key>[^<]*</Key>' | sed -e 's/<Key>//' -e 's#</Key>##' | while read -r key; do
  if [[ "$key" == *.db.gz && "$key" < "$cutoff" ]]; then
    s3 -X DELETE "$ENDPOINT/$BUCKET/$key"
    echo "etcd-snapshot: deleted $key (older than $RETENTION_DAYS days)"
  fi
done
