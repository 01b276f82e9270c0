#!/usr/bin/env bash
# Install the Debian packages Kaari needs when they are missing. `base`: what `make run` needs;
# `test`: also what the test suite needs (Chromium for the browser tests; libfaketime to run the
# date-sensitive tests just after midnight in Finland); `postgres`: pg_dump/pg_restore for
# `kaari backup`/`kaari restore` on PostgreSQL (the tests need them too). They must be of the server's major
# version or newer: PG_MAJOR=16 picks postgresql-client-16; unset, Debian's own (its server's version).
set -euo pipefail

want=()
need() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed" || want+=("$1"); }

python3 -c 'import ensurepip, venv' 2>/dev/null || need python3-venv
command -v npm >/dev/null 2>&1 || need npm
if [ "${1:-base}" = "test" ]; then
  [ -x /usr/bin/chromium ] || need chromium
  need libfaketime
fi
if [ "${1:-base}" = "test" ] || [ "${1:-base}" = "postgres" ]; then
  command -v pg_dump >/dev/null 2>&1 || need "postgresql-client${PG_MAJOR:+-$PG_MAJOR}"
fi

[ ${#want[@]} -eq 0 ] && exit 0
echo "Installing Debian packages: ${want[*]}"
if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${want[@]}"
