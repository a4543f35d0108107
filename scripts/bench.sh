#!/usr/bin/env bash
# make bench: release build, a fresh SQLite (or URNA_DATABASE_URL) database,
# 32 mTLS keep-alive connections, unique idOperazioneComune per request.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
cargo build -q --release -p urna-cli -p urna-loadgen --bins
work="$(mktemp -d)"
export URNA_LOG__LEVEL=error
export URNA_DATABASE_URL="${URNA_DATABASE_URL:-sqlite://$work/urna.db}"
. "$root/scripts/start-server.sh" "$root/target/release/urna"
st="$work/pki/stations/058091-PC-0001"
common=(--url "https://127.0.0.1:$port" --ca "$work/pki/ca.crt" --cert "$st.crt" --key "$st.key" --connections 32 --server-pid "$pid" --requests "${BENCH_REQUESTS:-40000}" --run-id "R$RANDOM")
echo "== in-process floor (no HTTP/TLS, one thread)"
"$root/target/release/urna-loadgen" --in-process --requests 20000 --op 5011
"$root/target/release/urna-loadgen" --in-process --requests 20000 --op 3008
echo "== 5011 section updates (database: ${URNA_DATABASE_URL%%:*})"
"$root/target/release/urna-loadgen" "${common[@]}" --op 5011 | tee "$work/5011.txt"
echo "== 5010 elector moves (9 electors, 12 sections)"
"$root/target/release/urna-loadgen" "${common[@]}" --op 5010 | tee "$work/5010.txt"
echo "== 3008 single-section reads"
"$root/target/release/urna-loadgen" "${common[@]}" --op 3008 | tee "$work/3008.txt"
rps=$(sed -n 's/^RESULT .*rps=\([0-9]*\).*/\1/p' "$work/5011.txt")
p99=$(sed -n 's/^RESULT .*p99_ms=\([0-9.]*\).*/\1/p' "$work/5011.txt")
python3 - "$rps" "$p99" <<'PY'
import sys
rps, p99 = float(sys.argv[1]), float(sys.argv[2])
import os
db = os.environ.get("URNA_DATABASE_URL", "sqlite").split(":")[0]
print(f"== against the targets (set for SQLite on 2 cores; this run: {db}): throughput {rps:.0f}/5000 req/s = {rps/5000:.2f}x; p99 {p99:.2f}/10 ms = {p99/10:.2f}x of the budget")
PY
