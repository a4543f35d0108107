#!/usr/bin/env bash
# make bench-subentro: generates (or reuses, in bench-out/) an N-elector data
# set (default 2,000,000) and a tenth of it, loads both into SQLite and into
# PostgreSQL, and prints records/s, wall time and peak RSS of the lists load;
# on PostgreSQL it also times COPY of the same rows into an equivalent table.
# URNA_COMUNI_ARCHIVE names a copy of ANPR_archivio_comuni.csv, ANPR's archive
# of municipalities (not in the repository), for CIAMPINO.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
archive="$(realpath "${URNA_COMUNI_ARCHIVE:?set it to a copy of ANPR_archivio_comuni.csv, the archive of municipalities ANPR publishes}")"
cd "$root"
n="${1:-2000000}"
small=$((n / 10))
pg="${URNA_BENCH_PG:-postgres://postgres@127.0.0.1:5432}"
cargo build -q --release -p urna-cli --bin urna
urna="$root/target/release/urna"
out="$root/bench-out"
mkdir -p "$out"
work="$(mktemp -d)"
trap 'rm -rf "$work"; psql "$pg/postgres" -qAtc "drop database if exists urna_bench_sub with (force)" >/dev/null 2>&1 || true' EXIT

gen() { # $1 = electors -> directory
  local d="$out/ciampino-$1"
  if [ ! -f "$d/subentroListe-058118.xml.gz" ]; then
    URNA_DATABASE_URL="sqlite://$work/gen.db" "$urna" tables import-comuni "$archive" >/dev/null
    URNA_DATABASE_URL="sqlite://$work/gen.db" "$urna" demo generate --comune 058118 --electors "$1" --out "$d" | sed -n 1p >&2
  fi
  echo "$d"
}

load() { # $1 = database URL, $2 = data dir -> prints "seconds rss_kib records"
  export URNA_DATABASE_URL="$1"
  "$urna" tables import-comuni "$archive" >/dev/null
  "$urna" subjects import "$2/subjects-058118.csv" >/dev/null
  "$urna" tables import-constituencies "$2/constituencies-058118.csv" >/dev/null
  "$urna" subentro upload --comune 058118 --sezioni "$2/subentroSezioni-058118.xml.gz" >/dev/null 2>&1
  /usr/bin/time -f "TIME %e %M" -o "$work/time" "$urna" subentro upload --comune 058118 --liste "$2/subentroListe-058118.xml.gz" >"$work/job" 2>/dev/null
  local recs
  recs=$(sed -n 's/^job [0-9]*: \([0-9]*\) records.*/\1/p' "$work/job")
  echo "$(awk '/^TIME/ {print $2, $3}' "$work/time") $recs"
}

report() { # label seconds rss records
  awk -v l="$1" -v s="$2" -v r="$3" -v n="$4" 'BEGIN { printf "%-28s %9d records  %7.1f s  %8.0f records/s  peak RSS %5.0f MB\n", l, n, s, n / s, r / 1024 }'
}

big=$(gen "$n"); little=$(gen "$small")
# BACKENDS="postgres" (or "sqlite") measures one backend only.
backends="${BACKENDS:-sqlite postgres}"
if [[ " $backends " == *" sqlite "* ]]; then
echo "== SQLite"
read -r s1 r1 c1 < <(load "sqlite://$work/small.db" "$little"); report "sqlite $small" "$s1" "$r1" "$c1"
read -r s2 r2 c2 < <(load "sqlite://$work/big.db" "$big"); report "sqlite $n" "$s2" "$r2" "$c2"
awk -v a="$s1" -v b="$s2" 'BEGIN { printf "scaling 10x records: %.1fx time (target <= 11)\n", b / a }'
fi
[[ " $backends " == *" postgres "* ]] || exit 0

echo "== PostgreSQL"
psql "$pg/postgres" -qAtc "drop database if exists urna_bench_sub with (force)" >/dev/null
psql "$pg/postgres" -qAtc "create database urna_bench_sub" >/dev/null
read -r p1 q1 d1 < <(load "$pg/urna_bench_sub" "$little"); report "postgres $small" "$p1" "$q1" "$d1"
psql "$pg/postgres" -qAtc "drop database urna_bench_sub with (force)" >/dev/null
psql "$pg/postgres" -qAtc "create database urna_bench_sub" >/dev/null
read -r p2 q2 d2 < <(load "$pg/urna_bench_sub" "$big"); report "postgres $n" "$p2" "$q2" "$d2"
awk -v a="$p1" -v b="$p2" 'BEGIN { printf "scaling 10x records: %.1fx time (target <= 11)\n", b / a }'
# COPY of the same rows into an equivalent table (same columns and indexes).
db="$pg/urna_bench_sub"
psql "$db" -qAtc "\\copy electors to '$work/electors.csv' csv"
psql "$db" -qAtc "create table electors_copy (like electors including all)"
start=$(date +%s.%N)
psql "$db" -qAtc "\\copy electors_copy from '$work/electors.csv' csv"
end=$(date +%s.%N)
rows=$(psql "$db" -qAtc "select count(*) from electors_copy")
awk -v s="$start" -v e="$end" -v n="$rows" -v t="$p2" -v d="$d2" 'BEGIN { c = e - s; printf "COPY of the same %d rows: %.1f s (%.0f rows/s); urna lists load / COPY throughput = %.2fx (target >= 0.5x)\n", n, c, n / c, (d / t) / (n / c) }'
