#!/usr/bin/env bash
# etcd-restore: restores a snapshot made by etcd-snapshot.sh on THIS control plane (the README's
# procedure runs it on every control plane with the same snapshot; INITIAL_CLUSTER lists them all
# for an HA cluster). Downloads $ENDPOINT/$BUCKET/$PREFIX/$SNAPSHOT (default: the newest), stops
# etcd and the API server (their static pod manifests move aside), restores with etcdutl from the
# node's own etcd image into a fresh data directory, swaps it in, and starts them again.
# Usage (as root, settings from the backup's files): etcd-restore.sh [SNAPSHOT]
set -euo pipefail
ROOT="${INFRA_ROOT:-}"
dir="$ROOT/etc/kubernetes/infra/etcd-backup"
# settings.env is data, never shell: each known KEY=value line is taken as text (a value holding
# `$(...)` stays text), then checked against the shape the program writes.
while IFS= read -r line || [ -n "$line" ]; do
  case "${line%%=*}" in
    BUCKET | PREFIX | REGION | ENDPOINT | RETENTION_DAYS) printf -v "${line%%=*}" '%s' "${line#*=}" ;;
  esac
done < "$dir/settings.env"
setting() {
  [[ "${!1:-}" =~ $2 ]] || { echo "etcd-restore: $1 in $dir/settings.env is not $3" >&2; exit 1; }
}
setting ENDPOINT '^https://[a-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~-]+)*$' "an https URL"
setting BUCKET '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$' "a bucket name"
setting PREFIX '^[a-z0-9][a-z0-9/-]*$' "a key prefix"
setting REGION '^[a-z0-9-]+$' "a region name"
s3() { curl -fsS --aws-sigv4 "aws:amz:$REGION:s3" -K "$dir/credentials" "$@"; }
snapshot="${1:-}"
if [ -z "$snapshot" ]; then
  snapshot=$(s3 "$ENDPOINT/$BUCKET?list-type=2&prefix=$PREFIX/" | grep -o '<Key>[^<]*\.db\.gz</Key>' | sed -e 's/<Key>//' -e 's#</Key>##' -e "s#^$PREFIX/##" | sort | tail -n 1)
fi
[ -n "$snapshot" ] || { echo "etcd-restore: no snapshot in $ENDPOINT/$BUCKET/$PREFIX/" >&2; exit 1; }
work="$ROOT/var/lib/infra/etcd-restore"
rm -rf "$work" && mkdir -p "$work"
s3 -o "$work/snapshot.db.gz" "$ENDPOINT/$BUCKET/$PREFIX/$snapshot"
gunzip -c "$work/snapshot.db.gz" > "$work/snapshot.db"
manifests="$ROOT/etc/kubernetes/manifests"
image=$(sed -n 's/^ *image: *//p' "$manifests/etcd.yaml" | head -n 1)
[ -n "$image" ] || { echo "etcd-restore: no etcd image in $manifests/etcd.yaml" >&2; exit 1; }
ip=$(sed -n 's#^ *- --advertise-client-urls=https://\([^:]*\):.*#\1#p' "$manifests/etcd.yaml" | head -n 1)
node=$(hostname -s)
aside="$ROOT/var/lib/infra/manifests-during-restore"
mkdir -p "$aside"
mv "$manifests/etcd.yaml" "$manifests/kube-apiserver.yaml" "$aside/"
ctr -n k8s.io run --rm --mount "type=bind,src=$work,dst=$work,options=rbind:rw" "$image" infra-etcd-restore \
  etcdutl snapshot restore "$work/snapshot.db" --data-dir "$work/data" --name "$node" \
  --initial-cluster "${INITIAL_CLUSTER:-$node=https://$ip:2380}" --initial-advertise-peer-urls "https://$ip:2380"
mv "$ROOT/var/lib/etcd" "$ROOT/var/lib/etcd.before-restore.$(date -u +%Y%m%dT%H%M%SZ)"
mv "$work/data" "$ROOT/var/lib/etcd"
mv "$aside/etcd.yaml" "$aside/kube-apiserver.yaml" "$manifests/"
echo "etcd-restore: restored $snapshot into /var/lib/etcd (the previous data was kept beside it)"
