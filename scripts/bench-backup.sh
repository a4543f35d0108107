#!/usr/bin/env bash
# make bench-backup: what backup and restore cost on a comune of N electors
# (default 2,000,000) on PostgreSQL and on SQLite: `urna backup` while
# nothing else runs (time, size), `urna restore` into an empty store
# (time, including the checks: counts, chain head, the audit chain against
# its signed heads). The restore time is the bulk of the recovery time
# (RTO); the recovery point (RPO) is the backup interval (docs/operations.md).
#
#   scripts/bench-backup.sh [N]
#
# Generated data are kept in bench-out/ and reused. URNA_COMUNI_ARCHIVE names
# a copy of ANPR's archive of municipalities (ANPR_archivio_comuni.csv).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
archive="$(realpath "${URNA_COMUNI_ARCHIVE:?set it to a copy of ANPR_archivio_comuni.csv, the archive of municipalities ANPR publishes}")"
cd "$root"
n="${1:-2000000}"
pg="${URNA_BENCH_PG:-postgres://postgres@127.0.0.1:5432}"
cargo build -q --release -p urna-cli --bins
urna="$root/target/release/urna"
out="$root/bench-out"
mkdir -p "$out"
scratch="$(mktemp -d)"
cleanup() {
  rm -rf "$scratch"
  for d in urna_bench_backup urna_bench_restore; do psql "$pg/postgres" -qAtc "drop database if exists $d with (force)" >/dev/null 2>&1 || true; done
}
trap cleanup EXIT
gen_prefix=bulk
. "$root/scripts/bench-store.sh"
export URNA_TLS__PKI_DIR="$scratch/pki" URNA_LOG__LEVEL=error
"$urna" pki init >/dev/null
data="$(gen 058091 "$n")"
seconds() { python3 -c 'import sys,time; print(f"{time.time()-float(sys.argv[1]):.1f}")' "$1"; }

run() { # $1 = backend label, $2 = store URL, $3 = empty target URL
  export URNA_DATABASE_URL="$2" URNA_AUDIT__HEADS_FILE="$scratch/$1-heads.jsonl"
  local t
  t=$(date +%s.%N)
  "$urna" tables import-comuni "$archive" >/dev/null
  load 058091 "$data"
  "$urna" audit sign-head >/dev/null
  echo "== $1: store of $n electors loaded in $(seconds "$t") s"
  t=$(date +%s.%N)
  "$urna" backup --to "$scratch/$1-backup"
  echo "   backup: $(seconds "$t") s, $(du -sm "$scratch/$1-backup" | cut -f1) MB"
  export URNA_DATABASE_URL="$3" URNA_AUDIT__HEADS_FILE="$scratch/$1-restored-heads.jsonl"
  t=$(date +%s.%N)
  "$urna" restore --from "$scratch/$1-backup"
  echo "   restore (checked): $(seconds "$t") s"
}

for d in urna_bench_backup urna_bench_restore; do
  psql "$pg/postgres" -qAtc "drop database if exists $d with (force)" >/dev/null
  psql "$pg/postgres" -qAtc "create database $d" >/dev/null
done
run postgres "$pg/urna_bench_backup" "$pg/urna_bench_restore"
run sqlite "sqlite://$scratch/urna.db" "sqlite://$scratch/restored.db"
