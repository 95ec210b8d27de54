#!/usr/bin/env bash
# Readiness gate of every node: the machine answers over SSH (this script runs), cloud-init has
# finished if the machine has it, and the OS is one the bootstrap supports. Prints one line:
#   ready <id> <version_id>
# Reads nothing secret and changes nothing, so it is safe to run again.
set -euo pipefail

if command -v cloud-init >/dev/null 2>&1; then
  # 0: done; 2: done with recoverable errors (cloud-init >= 23.4); anything else: failed.
  rc=0
  cloud-init status --wait >/dev/null 2>&1 || rc=$?
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 2 ]; then
    echo "cloud-init failed on $(hostname) (exit $rc): see /var/log/cloud-init-output.log" >&2
    exit 1
  fi
fi

# OS_RELEASE_FILE lets the script tests point at a fake root.
os_release="${OS_RELEASE_FILE:-/etc/os-release}"
if [ ! -r "$os_release" ]; then
  echo "unsupported OS on $(hostname): $os_release is missing" >&2
  exit 1
fi
# shellcheck source=/dev/null
id=$(. "$os_release" && echo "${ID:-}")
# shellcheck source=/dev/null
version=$(. "$os_release" && echo "${VERSION_ID:-}")

case "$id:$version" in
  ubuntu:22.04 | ubuntu:24.04 | debian:12 | rocky:9* | almalinux:9*) ;;
  *)
    echo "unsupported OS on $(hostname): ${id:-unknown} ${version:-unknown} (supported: Ubuntu 22.04/24.04, Debian 12, Rocky/Alma Linux 9)" >&2
    exit 1
    ;;
esac
echo "ready $id $version"
