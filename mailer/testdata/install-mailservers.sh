#!/usr/bin/env bash
# Installs the real mail servers and tools the delivery tests talk to:
# Postfix (SMTP), Dovecot (POP3 and IMAP) and age. Idempotent: it does
# nothing when they are there. The tests run private instances on loopback
# ports with their own configuration, so the system-wide services must not
# run: they are kept from starting during the install and stopped and
# disabled if they started anyway.
#
# As root it installs; otherwise it prints the command to run, and fails
# only under CI=true (elsewhere the tests that need the servers skip).
set -euo pipefail

pkgs=()
command -v postfix >/dev/null 2>&1 || [ -x /usr/sbin/postfix ] || pkgs+=(postfix)
[ -x /usr/sbin/dovecot ] && [ -x /usr/lib/dovecot/pop3 ] || pkgs+=(dovecot-core dovecot-pop3d)
[ -x /usr/lib/dovecot/imap ] || pkgs+=(dovecot-imapd)
command -v age >/dev/null 2>&1 || pkgs+=(age)
[ ${#pkgs[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "missing for the delivery tests: ${pkgs[*]}; install with:" >&2
  echo "  sudo DEBIAN_FRONTEND=noninteractive apt-get install --no-install-recommends ${pkgs[*]}" >&2
  [ "${CI:-}" = true ] && exit 1
  exit 0
fi

export DEBIAN_FRONTEND=noninteractive
# Postfix without a system configuration: the tests write their own.
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
for svc in postfix dovecot; do
  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    systemctl disable --now "$svc" >/dev/null 2>&1 || true
  else
    service "$svc" stop >/dev/null 2>&1 || true
    update-rc.d "$svc" disable >/dev/null 2>&1 || true
  fi
done
