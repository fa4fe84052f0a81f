#!/usr/bin/env bash
# Installs LibreOffice Calc without its desktop parts, the real reader the
# workbook tests open the archives' XLSX files with. Idempotent. As root it
# installs; otherwise it prints the command, and fails only under CI=true
# (elsewhere the tests that need it skip).
set -euo pipefail
command -v soffice >/dev/null 2>&1 && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "missing for the workbook tests: libreoffice-calc-nogui; install with:" >&2
  echo "  sudo apt-get install --no-install-recommends libreoffice-calc-nogui" >&2
  [ "${CI:-}" = true ] && exit 1
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt=(apt-get -o DPkg::Lock::Timeout=600)
"${apt[@]}" update -qq
"${apt[@]}" install -y -qq --no-install-recommends libreoffice-calc-nogui >/dev/null
