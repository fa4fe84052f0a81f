#!/usr/bin/env bash
# Installs what ispacct's make targets need on Debian, when it is missing.
# As root it installs; otherwise it prints the exact command to run.
set -euo pipefail

need_apt() {
  local pkgs=("$@")
  if [ "$(id -u)" -eq 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
  else
    echo "missing: ${pkgs[*]}; install with:" >&2
    echo "  sudo apt-get install --no-install-recommends ${pkgs[*]}" >&2
    exit 1
  fi
}

for what in "$@"; do
  case "$what" in
  postgres)
    if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! { command -v pg_config >/dev/null && [ -x "$(pg_config --bindir)/initdb" ]; }; then
      need_apt postgresql
    fi
    command -v psql >/dev/null || need_apt postgresql-client
    ;;
  *) echo "deps.sh: unknown dependency $what" >&2; exit 2 ;;
  esac
done
