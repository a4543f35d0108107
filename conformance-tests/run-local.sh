#!/usr/bin/env bash
# Builds urna, starts it on a free port with a fresh SQLite database and
# development PKI, and runs the conformance suite against it.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
cd "$root"
cargo build -q -p urna-cli --bin urna
venv="$here/.venv"
if [ ! -x "$venv/bin/pytest" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q -r "$here/requirements.txt"
fi
work="$(mktemp -d)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
export URNA_SERVER__LISTEN="127.0.0.1:$port" URNA_DATABASE_URL="sqlite://$work/urna.db" URNA_TLS__PKI_DIR="$work/pki" URNA_LOG__LEVEL=warn
"$root/target/debug/urna" --config config/urna.toml serve >"$work/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do
  [ -f "$work/pki/ca.crt" ] && curl -s --cacert "$work/pki/ca.crt" "https://127.0.0.1:$port/health" >/dev/null 2>&1 && break
  sleep 0.2
done
cd "$here"
"$venv/bin/pytest" -q --rootdir "$here" -c "$here/pytest.ini" "$here" \
  --url="https://127.0.0.1:$port" --ca="$work/pki/ca.crt" \
  --cert="$work/pki/stations/058091-PC-0001.crt" --key="$work/pki/stations/058091-PC-0001.key" \
  --istat=058091 --comune=ROMA --sigla=RM || { echo "--- server log"; tail -50 "$work/server.log"; exit 1; }
