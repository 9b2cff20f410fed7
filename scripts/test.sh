#!/usr/bin/env bash
# Runs the test suite on a fresh machine: installs each missing piece on its own (Dovecot's IMAP
# and LMTP servers, PostgreSQL, mutt, openssl and Chromium with apt; the package and its test
# dependencies with pip), then pytest. Real servers are started privately by the tests themselves.
#
#   bash scripts/test.sh            the whole suite
#   bash scripts/test.sh --fast     the unit tests only (no servers, no gateway processes)
# Other arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

fast=no
args=()
for arg in "$@"; do
  case "$arg" in
    --fast) fast=yes ;;
    *) args+=("$arg") ;;
  esac
done

if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
updated=no
apt_install() {  # apt_install required|optional PACKAGE...
  local kind=$1; shift
  echo "installing with apt ($kind): $*"
  if [ "$updated" = no ]; then
    $SUDO apt-get update -qq || [ "$kind" = optional ]
    updated=yes
  fi
  if ! DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null; then
    [ "$kind" = optional ] || { echo "apt could not install $*" >&2; exit 1; }
    echo "$* could not be installed: the tests that need them will be skipped"
  fi
}

if [ "$fast" = no ]; then
  # Each piece is checked by the file it provides: Dovecot's IMAP and LMTP servers are separate
  # Debian packages, and a machine may have one without the other.
  need=()
  dovecot_libexec=/usr/lib/dovecot
  command -v dovecot >/dev/null 2>&1 || need+=(dovecot-core)
  [ -x "$dovecot_libexec/imap" ] || need+=(dovecot-imapd)
  [ -x "$dovecot_libexec/lmtp" ] || need+=(dovecot-lmtpd)
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || need+=(postgresql)
  command -v mutt >/dev/null 2>&1 || need+=(mutt)
  command -v openssl >/dev/null 2>&1 || need+=(openssl)
  [ ${#need[@]} -eq 0 ] || apt_install required "${need[@]}"

  # Optional: the browser checks (HTML report, web portal) skip without them.
  browser=()
  command -v chromium >/dev/null 2>&1 || browser+=(chromium)
  command -v chromedriver >/dev/null 2>&1 || browser+=(chromium-driver)
  [ ${#browser[@]} -eq 0 ] || apt_install optional "${browser[@]}"
fi

# Python: only the requirements that are absent or outside their range (no network call otherwise).
mapfile -t pip_missing < <(python3 scripts/missing_requirements.py test)
if [ ${#pip_missing[@]} -gt 0 ]; then
  echo "installing with pip: ${pip_missing[*]}"
  python3 -m pip install -q --disable-pip-version-check "${pip_missing[@]}"
fi
# The tests and the gateway processes they start run this checkout, whatever else is installed.
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
# The suite starts hundreds of `gateway` processes: with bytecode cached (outside the checkout,
# which stays clean) none of them compiles the package again (about a quarter of a CLI's start).
unset PYTHONDONTWRITEBYTECODE
export PYTHONPYCACHEPREFIX="${PYTHONPYCACHEPREFIX:-${TMPDIR:-/tmp}/care-gateway-pycache}"

[ "$fast" = no ] || args=(-m "not slow" "${args[@]}")
# Tests run in parallel workers (pytest-xdist), one per core up to 4; each worker starts
# its own private Dovecot and PostgreSQL. TEST_WORKERS=1 runs them in this one process.
workers="${TEST_WORKERS:-$(nproc 2>/dev/null || echo 1)}"
[ "$workers" -le 4 ] || workers=4
if [ "$workers" -gt 1 ]; then
  exec python3 -m pytest -n "$workers" "${args[@]}"
fi
exec python3 -m pytest "${args[@]}"
