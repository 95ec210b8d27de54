#!/usr/bin/env bash
# Dumps every database of the app's database server, compressed, into /backup, named by the
# time it started (UTC), e.g. /backup/20261122T030000Z.sql.gz. The root password comes from the
# environment (MYSQL_PWD), never the command line.
# Parameters (environment): DB_HOST, DUMP_TOOL (mariadb-dump or mysqldump), BACKUP_DIR (default /backup).
set -euo pipefail
: "${DB_HOST:?}" "${DUMP_TOOL:?}" "${MYSQL_PWD:?}"
dir="${BACKUP_DIR:-/backup}"
name="$(date -u +%Y%m%dT%H%M%SZ).sql.gz"
"$DUMP_TOOL" --host="$DB_HOST" --user=root --single-transaction --routines --events --triggers --all-databases | gzip -c > "$dir/$name.partial"
mv "$dir/$name.partial" "$dir/$name"
echo "$name" > "$dir/latest"
echo "dumped $name ($(wc -c < "$dir/$name") bytes)"
