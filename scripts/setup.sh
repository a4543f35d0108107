#!/usr/bin/env bash
# Installs the system packages urna needs on a fresh Debian machine that has
# only Rust. Idempotent: it installs exactly what is missing, nothing when
# everything is there.
#
#   scripts/setup.sh run    what `make run` needs: the build (bindgen's
#                           libclang, libxml2, OpenSSL, SQLite, libpq, pkg-config)
#   scripts/setup.sh test   the above, plus what the tests and the peers need
#                           (default): python3-venv (conformance suite), xmllint,
#                           xmlsec1, a JDK and WSS4J, node and npm, openssl
#                           (the test time-stamping authority), the PostgreSQL
#                           and Redis clients, and the PDF peers of the
#                           electoral certificates: poppler-utils (pdfsig,
#                           pdftoppm), qpdf, zbar-tools (zbarimg); Chromium
#                           and its WebDriver for the browser tests
#                           (chromium, chromium-driver)
#
# As root it runs `apt-get install` of the missing packages; otherwise it
# prints the one command to run and exits non-zero.
set -euo pipefail
profile="${1:-test}"
case "$profile" in run | test) ;; *)
  echo "usage: $0 [run|test]" >&2
  exit 2
  ;;
esac

# Debian package: what it is for.
build_pkgs=(libclang-dev libxml2-dev libssl-dev libsqlite3-dev libpq-dev pkg-config gcc)
test_pkgs=(python3-venv postgresql-client libxml2-utils xmlsec1 libwss4j-java openssl poppler-utils qpdf zbar-tools chromium chromium-driver)

need=()
have() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
for p in "${build_pkgs[@]}"; do have "$p" || need+=("$p"); done
if [ "$profile" = test ]; then
  for p in "${test_pkgs[@]}"; do have "$p" || need+=("$p"); done
  # Checked by command: a JDK or node may come from another repository.
  command -v javac >/dev/null || need+=(openjdk-17-jdk-headless)
  command -v node >/dev/null || need+=(nodejs)
  command -v npm >/dev/null || need+=(npm)
  command -v psql >/dev/null && command -v pg_isready >/dev/null || need+=(postgresql-client)
  command -v redis-cli >/dev/null || need+=(redis-tools)
fi

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
cmd="apt-get update && apt-get install -y --no-install-recommends ${need[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "urna needs these system packages: ${need[*]}" >&2
  echo "run as root:  $cmd" >&2
  exit 1
fi
echo "setup: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
echo "setup: done" >&2
