#!/usr/bin/env bash
# make bench: release build, a fresh SQLite (or URNA_DATABASE_URL) database,
# 32 mTLS keep-alive connections, unique idOperazioneComune per request.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
cargo build -q --release -p urna-cli -p urna-loadgen --bins
work="$(mktemp -d)"
export URNA_LOG__LEVEL=error
# One station drives the whole load, as a stand-in for many: its quotas and
# its share of the pipeline (server.max_in_flight_per_station, 4 on two
# cores, which costs a single station about a quarter of this throughput)
# out of the way. The isolation run below puts both back.
export URNA_RATE_LIMIT__STATION__PER_SEC=1000000 URNA_RATE_LIMIT__STATION__BURST=1000000
export URNA_RATE_LIMIT__COMUNE__PER_SEC=1000000 URNA_RATE_LIMIT__COMUNE__BURST=1000000
export URNA_SERVER__MAX_IN_FLIGHT_PER_STATION=64
export URNA_DATABASE_URL="${URNA_DATABASE_URL:-sqlite://$work/urna.db}"
. "$root/scripts/start-server.sh" "$root/target/release/urna"
st="$work/pki/stations/058091-PC-0001"
common=(--url "https://127.0.0.1:$port" --ca "$work/pki/ca.crt" --cert "$st.crt" --key "$st.key" --connections 32 --server-pid "$pid" --requests "${BENCH_REQUESTS:-40000}" --run-id "R$RANDOM")
echo "== in-process floor (no HTTP/TLS, one thread)"
"$root/target/release/urna-loadgen" --in-process --requests 20000 --op 5011
"$root/target/release/urna-loadgen" --in-process --requests 20000 --op 3008
echo "== worst-case body past the pre-scan (default limits and body cap)"
"$root/target/release/urna-loadgen" --worst-case | tee "$work/worst.txt"
echo "== crypto floor"
"$root/target/release/urna-loadgen" --crypto-floor | tee "$work/floor.txt"
echo "== security layer: urna and WSS4J on the same messages"
bash "$root/scripts/bench-wss.sh" "$work"
echo "== 5011 section updates (database: ${URNA_DATABASE_URL%%:*})"
"$root/target/release/urna-loadgen" "${common[@]}" --op 5011 | tee "$work/5011.txt"
echo "== 5010 elector moves (9 electors, 12 sections)"
"$root/target/release/urna-loadgen" "${common[@]}" --op 5010 | tee "$work/5010.txt"
echo "== 5010 mix: enrolments, changes of section and cancellations, a third each"
people=$("$root/target/release/urna-loadgen" --print-mix-subjects --requests "${BENCH_REQUESTS:-40000}")
"$root/target/release/urna" --config config/urna.toml demo generate --comune 058091 --electors "$people" --out "$work/roma" | sed -n 1p
"$root/target/release/urna" --config config/urna.toml subjects import "$work/roma/subjects-058091.csv" | sed -n 1p
"$root/target/release/urna-loadgen" "${common[@]}" --op 5010mix | tee "$work/5010mix.txt"
echo "== 3008 single-section reads"
"$root/target/release/urna-loadgen" "${common[@]}" --op 3008 | tee "$work/3008.txt"
echo "== 6001 electoral certificates of the demo electors (each laid out, sealed and stored)"
"$root/target/release/urna-loadgen" "${common[@]}" --op 6001 --requests "${BENCH_CERT_REQUESTS:-3000}" --warmup 300 | tee "$work/6001.txt"
python3 - "$work" <<'PY'
import os, re, sys
work = sys.argv[1]
def result(name):
    text = open(os.path.join(work, name + ".txt")).read()
    m = re.search(r"^RESULT .*rps=(\d+) p50_ms=([\d.]+) p99_ms=([\d.]+)", text, re.M)
    return float(m.group(1)), float(m.group(3))
db = os.environ.get("URNA_DATABASE_URL", "sqlite").split(":")[0]
print(f"== summary (database: {db}; every request signed; targets of the security frame on 2 cores)")
floor = float(re.search(r"^RESULT op=crypto-floor us=([\d.]+)", open(os.path.join(work, "floor.txt")).read(), re.M).group(1))
print(f"crypto floor (1 RSA-2048 sign + 2 verifies): {floor:.0f} µs")
wss = os.path.join(work, "wss-summary.txt")
if os.path.exists(wss):
    print(open(wss).read().strip())
else:
    u = re.search(r"^RESULT op=wss-micro side=urna verify_us=([\d.]+) gate_us=[\d.]+ sign_us=([\d.]+)", open(os.path.join(work, "wss-urna.txt")).read(), re.M)
    print(f"security layer, urna alone (no WSS4J peer here): verify {float(u.group(1)):.0f} µs, sign {float(u.group(2)):.0f} µs")
w = re.search(r"^RESULT op=worst-case typical_us=([\d.]+) worst_us=([\d.]+) worst=(\S+) ratio=([\d.]+)", open(os.path.join(work, "worst.txt")).read(), re.M)
print(f"worst-case accepted body, ms of CPU: {float(w.group(2))/1000:.2f} ({w.group(3)}) = {float(w.group(4)):.2f}x a typical signed 5010 ({float(w.group(1)):.0f} µs; target <= 5)")
sign_us = float(re.search(r"sign_us=([\d.]+)", open(os.path.join(work, "floor.txt")).read()).group(1))
rps, p99 = result("6001")
cpu = float(re.search(r"server CPU: ([\d.]+) µs/request", open(os.path.join(work, "6001.txt")).read()).group(1))
print(f"6001     {rps:7.0f} certificates/s  p99 {p99:6.2f} ms  server CPU {cpu:.0f} µs/certificate = {cpu / sign_us:.2f}x one RSA-2048 signature ({sign_us:.0f} µs; target <= 5)")
for name, target_rps, budget in [("5011", 2000, 25), ("5010", 2000, 25), ("5010mix", 2000, 25), ("3008", None, None)]:
    rps, p99 = result(name)
    text = open(os.path.join(work, name + ".txt")).read()
    cpu = re.search(r"server CPU: ([\d.]+) µs/request", text)
    line = f"{name:8} {rps:7.0f} req/s  p99 {p99:6.2f} ms"
    if cpu:
        line += f"  server CPU {float(cpu.group(1)):.0f} µs/request = {float(cpu.group(1)) / floor:.2f}x the crypto floor (target <= 1.5)"
    if target_rps:
        line += f"; {rps/target_rps:.2f}x of {target_rps} signed req/s; p99 {p99/budget:.2f}x of {budget} ms"
    print(line)
PY
echo "== isolation: one station floods at 10x its quota, another comune reads at 20/s (p99 alone and beside the flood; target ratio <= 1.5)"
isolation() { # $1 = station quota per second; the flood is offered at 10x
  (
    work="$(mktemp -d)"
    unset URNA_SERVER__MAX_IN_FLIGHT_PER_STATION
    export URNA_DATABASE_URL="sqlite://$work/urna.db"
    export URNA_RATE_LIMIT__STATION__PER_SEC="$1" URNA_RATE_LIMIT__STATION__BURST=$(( $1 * 4 ))
    export URNA_RATE_LIMIT__COMUNE__PER_SEC=$(( $1 * 4 )) URNA_RATE_LIMIT__COMUNE__BURST=$(( $1 * 16 ))
    . "$root/scripts/start-server.sh" "$root/target/release/urna"
    st="$work/pki/stations"
    "$root/target/release/urna-loadgen" --isolation --url "https://127.0.0.1:$port" --ca "$work/pki/ca.crt" \
      --cert "$st/015146-PC-0001.crt" --key "$st/015146-PC-0001.key" \
      --flood-cert "$st/058091-PC-0001.crt" --flood-key "$st/058091-PC-0001.key" \
      --flood-rate $(( $1 * 10 )) --light-rate 20 --seconds 15 --run-id "I$RANDOM"
  )
}
echo "-- default station quota (50/s): the quota holds the flood"
isolation 50
echo "-- station quota 2000/s: the flood's admitted part saturates the gate threads"
isolation 2000
