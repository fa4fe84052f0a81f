#!/usr/bin/env bash
# Installs Debian's headless Chromium, the real browser the web page's
# end-to-end test drives. Idempotent. As root it installs; otherwise it
# prints the command, and fails only under CI=true (elsewhere the test
# skips with this reason).
set -euo pipefail
command -v chromium >/dev/null 2>&1 && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "missing for the web page test: chromium; install with:" >&2
  echo "  sudo apt-get install --no-install-recommends chromium" >&2
  [ "${CI:-}" = true ] && exit 1
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt=(apt-get -o DPkg::Lock::Timeout=600)
"${apt[@]}" update -qq
"${apt[@]}" install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
