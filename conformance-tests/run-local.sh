#!/usr/bin/env bash
# Builds urna, starts it on a free port with a fresh SQLite database and
# development PKI, and runs the conformance suite against it.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
cd "$root"
cargo build -q -p urna-cli --bin urna
venv="$here/.venv"
bash "$here/venv.sh"
# The node-soap peer (test_peers.py), when npm is there; CI requires it.
peer="$here/peers/node"
if command -v npm >/dev/null && { [ ! -d "$peer/node_modules" ] || [ "$peer/package-lock.json" -nt "$peer/node_modules/.package-lock.json" ]; }; then
  (cd "$peer" && npm ci --no-audit --no-fund --silent) || echo "note: npm ci failed in $peer; the node-soap peer tests will skip"
fi
work="$(mktemp -d)"
export URNA_DATABASE_URL="sqlite://$work/urna.db" URNA_LOG__LEVEL=warn
. "$root/scripts/start-server.sh" "$root/target/debug/urna"
cd "$here"
"$venv/bin/pytest" -q --rootdir "$here" -c "$here/pytest.ini" "$here" \
  --url="https://127.0.0.1:$port" --ca="$work/pki/ca.crt" \
  --cert="$work/pki/stations/058091-PC-0001.crt" --key="$work/pki/stations/058091-PC-0001.key" \
  --istat=058091 --comune=ROMA --sigla=RM --signer="$root/target/debug/urna" || { echo "--- server log"; tail -50 "$work/server.log"; exit 1; }
