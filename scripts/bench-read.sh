#!/usr/bin/env bash
# make bench-read: the reads of a comune — 3002 by codice fiscale, 3008 one
# section, the comune's summary and one section's summary — on PostgreSQL, in
# a small national store (default 50,000 electors) and a large one (default
# 5,000,000), the read comune the same in both (CIAMPINO, 20,000 electors;
# the rest spread over other comuni of the province). Prints, per read, the
# server's CPU per request and the p99 at 32 connections in each store, and
# their ratio large/small (targets: 3002 and 3008 within 1.1x, summaries
# within 1.5x: the cost follows the comune, not the country). CPU is urna's
# and PostgreSQL's (every postgres process of the machine: run it on a
# machine where nothing else uses the database).
#
#   scripts/bench-read.sh [LARGE] [SMALL]
#
# Generated data are kept in bench-out/ and reused. URNA_COMUNI_ARCHIVE names
# a copy of ANPR's archive of municipalities (ANPR_archivio_comuni.csv).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
archive="$(realpath "${URNA_COMUNI_ARCHIVE:?set it to a copy of ANPR_archivio_comuni.csv, the archive of municipalities ANPR publishes}")"
cd "$root"
large="${1:-5000000}"
small="${2:-50000}"
read_n="${READ_ELECTORS:-20000}"
requests="${BENCH_READ_REQUESTS:-20000}"
pg="${URNA_BENCH_PG:-postgres://postgres@127.0.0.1:5432}"
cargo build -q --release -p urna-cli -p urna-loadgen --bins
urna="$root/target/release/urna"
loadgen="$root/target/release/urna-loadgen"
out="$root/bench-out"
mkdir -p "$out"
scratch="$(mktemp -d)"
cleanup() {
  rm -rf "$scratch"
  for s in small large; do psql "$pg/postgres" -qAtc "drop database if exists urna_bench_read_$s with (force)" >/dev/null 2>&1 || true; done
}
trap cleanup EXIT
# The comune read, and the comuni that fill the store.
READ=058118
FILLERS=(058007 058120 058047 058079 058104)

gen_prefix=read
. "$root/scripts/bench-store.sh"

build_store() { # $1 = small|large, $2 = electors
  local db="$pg/urna_bench_read_$1" rest fillers per started
  psql "$pg/postgres" -qAtc "drop database if exists urna_bench_read_$1 with (force)" >/dev/null
  psql "$pg/postgres" -qAtc "create database urna_bench_read_$1" >/dev/null
  export URNA_DATABASE_URL="$db"
  started=$(date +%s)
  "$urna" tables import-comuni "$archive" >/dev/null
  load "$READ" "$(gen "$READ" "$read_n")"
  rest=$(($2 - read_n))
  fillers=$(( rest >= 1000000 ? ${#FILLERS[@]} : 1 ))
  per=$((rest / fillers))
  for f in "${FILLERS[@]:0:$fillers}"; do
    load "$f" "$(gen "$f" "$per")"
  done
  echo "store $1: $(psql "$db" -qAtc 'select count(*) from electors') electors in $(psql "$db" -qAtc 'select count(distinct gen_comune) from electors') comuni, loaded in $(( $(date +%s) - started )) s" >&2
}

pg_ticks() { # CPU ticks of every PostgreSQL process (the server's reads run there too)
  local t=0 p
  for p in $(pgrep -x postgres); do
    t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || echo 0)))
  done
  echo "$t"
}

run() { # $1 = small|large, $2 = op, $3 = requests, the rest = loadgen arguments
  local size="$1" op="$2" n="$3" before after
  shift 3
  before=$(pg_ticks)
  "$loadgen" "$@" --op "$op" --requests "$n" > "$scratch/$size-$op.txt"
  after=$(pg_ticks)
  echo "db CPU: $(( (after - before) * 10000000 / n / 1000 )) µs/request" >> "$scratch/$size-$op.txt"
}

measure() { # $1 = small|large -> writes $scratch/$1-<op>.txt
  (
    work="$(mktemp -d)"
    export URNA_DATABASE_URL="$pg/urna_bench_read_$1" URNA_DEMO__LOAD=false URNA_LOG__LEVEL=error
    export URNA_RATE_LIMIT__STATION__PER_SEC=1000000 URNA_RATE_LIMIT__STATION__BURST=1000000
    export URNA_RATE_LIMIT__COMUNE__PER_SEC=1000000 URNA_RATE_LIMIT__COMUNE__BURST=1000000
    export URNA_SERVER__MAX_IN_FLIGHT_PER_STATION=64
    . "$root/scripts/start-server.sh" "$urna"
    "$urna" --config config/urna.toml pki station --istat "$READ" --dir "$work/pki" >/dev/null
    st="$work/pki/stations/$READ-PC-0001"
    data="$(gen "$READ" "$read_n")"
    sections=$(( (read_n + 799) / 800 ))
    common=(--url "https://127.0.0.1:$port" --ca "$work/pki/ca.crt" --cert "$st.crt" --key "$st.key"
            --connections 32 --server-pid "$pid" --run-id "R$1$RANDOM"
            --comune "$READ" --comune-name CIAMPINO --sigla RM --sections "$sections")
    run "$1" 3002 "$requests" "${common[@]}" --subjects "$data/subjects-$READ.csv" --warmup 1000
    run "$1" 3008 "$requests" "${common[@]}" --warmup 1000
    run "$1" riepilogo-sezione "$requests" "${common[@]}" --warmup 1000
    run "$1" riepilogo $((requests / 10)) "${common[@]}" --warmup 200
  )
}

echo "== stores (PostgreSQL): $small and $large electors, CIAMPINO ($READ) with $read_n of them"
build_store small "$small"
build_store large "$large"
echo "== reads of CIAMPINO, 32 connections"
measure small
measure large
python3 - "$scratch" "$small" "$large" <<'PY'
import re, sys
d, small, large = sys.argv[1:]
def get(size, op):
    t = open(f"{d}/{size}-{op}.txt").read()
    cpu = float(re.search(r"server CPU: ([\d.]+) µs/request", t).group(1))
    db = float(re.search(r"db CPU: ([\d.]+) µs/request", t).group(1))
    m = re.search(r"^RESULT .*rps=(\d+) p50_ms=([\d.]+) p99_ms=([\d.]+)", t, re.M)
    return cpu, db, float(m.group(3)), int(m.group(1))
print(f"{'read':18} {'store':>10} {'urna µs':>8} {'db µs':>8} {'p99 ms':>8} {'req/s':>7}")
for op, target in [("3002", 1.1), ("3008", 1.1), ("riepilogo-sezione", 1.5), ("riepilogo", 1.5)]:
    s, l = get("small", op), get("large", op)
    for size, v in (("small", s), ("large", l)):
        n = small if size == "small" else large
        print(f"{op:18} {int(n):>10,} {v[0]:>8.0f} {v[1]:>8.0f} {v[2]:>8.2f} {v[3]:>7}")
    print(f"{op:18} ratio large/small: CPU (urna + db) {(l[0] + l[1]) / (s[0] + s[1]):.2f}x, p99 {l[2]/s[2]:.2f}x (target <= {target})")
PY
