#!/usr/bin/env bash
# Restores a dump made by backup-dump.sh and backup-upload.sh, in two steps run by the suspended
# `database-restore` CronJob (same images, secrets and paths as the backup):
#   restore.sh fetch   (aws-cli image) downloads s3://$BUCKET/$PREFIX/$DUMP, or the newest dump, to $BACKUP_DIR
#   restore.sh load    (database image) streams it through gunzip into the database server
# Credentials come from the environment (AWS keys, MYSQL_PWD), never the command line.
# Parameters (environment): fetch: BUCKET, PREFIX, DUMP (optional), ENDPOINT (optional);
# load: DB_HOST, CLIENT (mariadb or mysql); both: BACKUP_DIR (default /backup).
set -euo pipefail
dir="${BACKUP_DIR:-/backup}"
case "${1:-}" in
  fetch)
    : "${BUCKET:?}" "${PREFIX:?}"
    endpoint=()
    if [ -n "${ENDPOINT:-}" ]; then endpoint=(--endpoint-url "$ENDPOINT"); fi
    dump="${DUMP:-}"
    if [ -z "$dump" ]; then
      dump=$(aws "${endpoint[@]}" s3 ls "s3://$BUCKET/$PREFIX/" | awk '{print $4}' | grep -E '\.sql\.gz$' | sort | tail -n 1 || true)
    fi
    [ -n "$dump" ] || { echo "restore: no dump in s3://$BUCKET/$PREFIX/" >&2; exit 1; }
    aws "${endpoint[@]}" s3 cp "s3://$BUCKET/$PREFIX/$dump" "$dir/restore.sql.gz" --only-show-errors
    echo "$dump" > "$dir/restore.name"
    echo "fetched $dump"
    ;;
  load)
    : "${DB_HOST:?}" "${CLIENT:?}" "${MYSQL_PWD:?}"
    gunzip -c "$dir/restore.sql.gz" | "$CLIENT" --host="$DB_HOST" --user=root
    echo "restored $(cat "$dir/restore.name") into $DB_HOST"
    ;;
  *)
    echo "usage: restore.sh fetch|load" >&2
    exit 2
    ;;
esac
