#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine: installs what is missing
# (Dovecot, PostgreSQL, mutt and Chromium with apt; the package and test deps with pip),
# then pytest. Real servers are started privately by the tests themselves.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v dovecot >/dev/null 2>&1 || need_apt+=(dovecot-imapd dovecot-lmtpd)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_apt+=(postgresql)
command -v mutt >/dev/null 2>&1 || need_apt+=(mutt)
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)
if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
updated=no
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "installing with apt: ${need_apt[*]}"
  $SUDO apt-get update -qq
  updated=yes
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

# Optional: the browser checks (HTML report, web portal) skip without them, so their install may fail.
need_browser=()
command -v chromium >/dev/null 2>&1 || need_browser+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need_browser+=(chromium-driver)
if [ ${#need_browser[@]} -gt 0 ]; then
  echo "installing with apt (optional): ${need_browser[*]}"
  [ "$updated" = yes ] || $SUDO apt-get update -qq || true
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_browser[@]}" >/dev/null \
    || echo "${need_browser[*]} could not be installed: the browser checks will be skipped"
fi

python3 -m pip install -q --disable-pip-version-check -e ".[test]"
# Tests run in parallel workers (pytest-xdist), one per core up to 4; each worker starts
# its own private Dovecot and PostgreSQL. TEST_WORKERS=1 runs them in this one process.
workers="${TEST_WORKERS:-$(nproc 2>/dev/null || echo 1)}"
[ "$workers" -le 4 ] || workers=4
if [ "$workers" -gt 1 ]; then
  exec python3 -m pytest -n "$workers" "$@"
fi
exec python3 -m pytest "$@"
