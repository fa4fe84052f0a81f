#!/usr/bin/env bash
# Installs openpyxl (Debian's python3-openpyxl), a second real reader of the
# workbooks: in read-only mode it trusts each sheet's dimension. Idempotent.
# As root it installs; otherwise it prints the command, and fails only under
# CI=true (elsewhere the test that needs it skips).
set -euo pipefail
for py in python3 /usr/bin/python3; do "$py" -c 'import openpyxl' 2>/dev/null && exit 0; done
if [ "$(id -u)" -ne 0 ]; then
  echo "missing for the workbook tests: python3-openpyxl; install with:" >&2
  echo "  sudo apt-get install --no-install-recommends python3-openpyxl" >&2
  [ "${CI:-}" = true ] && exit 1
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt=(apt-get -o DPkg::Lock::Timeout=600)
"${apt[@]}" update -qq
"${apt[@]}" install -y -qq --no-install-recommends python3-openpyxl >/dev/null
