#!/usr/bin/env bash
# Installs the real servers whose logs the conformance test reads: Squid,
# Apache and Postfix, with gawk, which counts their fields independently
# of ispacct. Idempotent: it does nothing when they are there. The test
# runs private instances on loopback ports with its own configuration, so
# the system-wide services must not run: they are kept from starting
# during the install and stopped and disabled if they started anyway.
#
# As root it installs; otherwise it prints the command to run, and fails
# only under CI=true (elsewhere the test skips what is missing).
set -euo pipefail

pkgs=()
# Squid with its basic-auth helper that accepts any name.
[ -x /usr/sbin/squid ] && [ -x /usr/lib/squid/basic_fake_auth ] || pkgs+=(squid)
[ -x /usr/sbin/apache2 ] || pkgs+=(apache2)
command -v postfix >/dev/null 2>&1 || [ -x /usr/sbin/postfix ] || pkgs+=(postfix)
command -v gawk >/dev/null 2>&1 || pkgs+=(gawk)
[ ${#pkgs[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "missing for the conformance test: ${pkgs[*]}; install with:" >&2
  echo "  sudo DEBIAN_FRONTEND=noninteractive apt-get install --no-install-recommends ${pkgs[*]}" >&2
  [ "${CI:-}" = true ] && exit 1
  exit 0
fi

export DEBIAN_FRONTEND=noninteractive
# Postfix without a system configuration: the test writes its own.
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections

# Keep invoke-rc.d from starting the services while the packages install.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  trap 'rm -f "$policy"' EXIT
fi

# Another install may hold the dpkg lock (a shared machine): wait for it.
apt=(apt-get -o DPkg::Lock::Timeout=600)
"${apt[@]}" update -qq
"${apt[@]}" install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null

# If a service started regardless (no policy honoured), stop it and keep it
# from starting at boot.
for svc in squid apache2 postfix; do
  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    systemctl disable --now "$svc" >/dev/null 2>&1 || true
  else
    service "$svc" stop >/dev/null 2>&1 || true
    update-rc.d "$svc" disable >/dev/null 2>&1 || true
  fi
done
