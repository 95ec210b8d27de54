#!/usr/bin/env bash
# Uploads the dump backup-dump.sh wrote to s3://$BUCKET/$PREFIX/, then deletes dumps older than
# RETENTION_DAYS. Credentials come from the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY).
# Parameters (environment): BUCKET, PREFIX, RETENTION_DAYS, ENDPOINT (optional, S3-compatible
# storage such as Hetzner Object Storage), BACKUP_DIR (default /backup).
set -euo pipefail
: "${BUCKET:?}" "${PREFIX:?}" "${RETENTION_DAYS:?}"
dir="${BACKUP_DIR:-/backup}"
endpoint=()
if [ -n "${ENDPOINT:-}" ]; then endpoint=(--endpoint-url "$ENDPOINT"); fi

name=$(cat "$dir/latest")
aws "${endpoint[@]}" s3 cp "$dir/$name" "s3://$BUCKET/$PREFIX/$name" --only-show-errors
echo "uploaded s3://$BUCKET/$PREFIX/$name"

# Dump names sort by time: every name below the cutoff's is older than the retention.
cutoff="$(date -u -d "-$RETENTION_DAYS days" +%Y%m%dT%H%M%SZ).sql.gz"
aws "${endpoint[@]}" s3 ls "s3://$BUCKET/$PREFIX/" | awk '{print $4}' | while read -r old; do
  case "$old" in *.sql.gz) ;; *) continue ;; esac
  if [[ "$old" < "$cutoff" ]]; then
    aws "${endpoint[@]}" s3 rm "s3://$BUCKET/$PREFIX/$old" --only-show-errors
    echo "deleted $old (older than $RETENTION_DAYS days)"
  fi
done
