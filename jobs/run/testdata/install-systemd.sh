#!/usr/bin/env bash
# Installs systemd-analyze, which the unit tests rate the systemd units
# with (systemd-analyze security --offline=yes, systemd 252 and later).
# Idempotent: nothing to do when it is there. As root it installs;
# otherwise it prints the command, and fails only under CI=true (elsewhere
# the test skips).
set -euo pipefail

command -v systemd-analyze >/dev/null 2>&1 && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "missing for the unit tests: systemd; install with:" >&2
  echo "  sudo apt-get install --no-install-recommends systemd" >&2
  [ "${CI:-}" = true ] && exit 1
  exit 0
fi
apt=(apt-get -o DPkg::Lock::Timeout=600)
"${apt[@]}" update -qq
DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y -qq --no-install-recommends systemd >/dev/null
