#!/usr/bin/env bash
# make bench-bulk: the bulk reads of a comune on PostgreSQL — the electoral
# export (`urna export`: subentroSezioni, subentroListe, CSV) and the 4001
# extraction of its women (`urna extract --sesso F`, the engine of the
# background worker: about half the comune written) — in a small
# national store (default 100,000 electors, the exported comune all of it)
# and a large one (default 5,000,000, the exported comune 2,000,000 of them,
# the rest spread over other comuni of the province). Prints, per file,
# records/s and the peak RSS of the process, and the ratio of the rates
# small/large (target: within 1.1x, the cost follows the records written,
# not the store) and the peak RSS (target: at most 256 MB whatever the size).
#
#   scripts/bench-bulk.sh [LARGE] [LARGE_COMUNE] [SMALL]
#
# Generated data are kept in bench-out/ and reused. URNA_COMUNI_ARCHIVE names
# a copy of ANPR's archive of municipalities (ANPR_archivio_comuni.csv).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
archive="$(realpath "${URNA_COMUNI_ARCHIVE:?set it to a copy of ANPR_archivio_comuni.csv, the archive of municipalities ANPR publishes}")"
cd "$root"
large="${1:-5000000}"
large_comune="${2:-2000000}"
small="${3:-100000}"
pg="${URNA_BENCH_PG:-postgres://postgres@127.0.0.1:5432}"
cargo build -q --release -p urna-cli --bins
urna="$root/target/release/urna"
out="$root/bench-out"
mkdir -p "$out"
scratch="$(mktemp -d)"
cleanup() {
  rm -rf "$scratch"
  for s in small large; do psql "$pg/postgres" -qAtc "drop database if exists urna_bench_bulk_$s with (force)" >/dev/null 2>&1 || true; done
}
trap cleanup EXIT
# The comune exported (ROMA), and the comuni that fill the large store.
EXPORTED=058091
FILLERS=(058007 058120 058047 058079 058104 058118)

gen_prefix=bulk
. "$root/scripts/bench-store.sh"

build_store() { # $1 = small|large, $2 = electors in the store, $3 = of the exported comune
  local db="$pg/urna_bench_bulk_$1" rest fillers per started
  psql "$pg/postgres" -qAtc "drop database if exists urna_bench_bulk_$1 with (force)" >/dev/null
  psql "$pg/postgres" -qAtc "create database urna_bench_bulk_$1" >/dev/null
  export URNA_DATABASE_URL="$db"
  started=$(date +%s)
  "$urna" tables import-comuni "$archive" >/dev/null
  load "$EXPORTED" "$(gen "$EXPORTED" "$3")"
  rest=$(($2 - $3))
  if [ "$rest" -gt 0 ]; then
    fillers=$(( rest >= 600000 ? ${#FILLERS[@]} : 1 ))
    per=$((rest / fillers))
    for f in "${FILLERS[@]:0:$fillers}"; do
      load "$f" "$(gen "$f" "$per")"
    done
  fi
  psql "$db" -qAtc "analyze" >/dev/null
  echo "store $1: $(psql "$db" -qAtc 'select count(*) from electors') electors, loaded in $(( $(date +%s) - started )) s" >&2
}

run_export() { # $1 = small|large -> "file records seconds rss_kb" lines
  export URNA_DATABASE_URL="$pg/urna_bench_bulk_$1"
  local d="$scratch/export-$1"
  /usr/bin/time -f "%e %M" -o "$scratch/time-$1" "$urna" export --comune "$EXPORTED" --out "$d" > "$scratch/export-$1.txt"
  cat "$scratch/export-$1.txt" >&2
  echo "  wall $(cut -d' ' -f1 "$scratch/time-$1") s, peak RSS $(( $(cut -d' ' -f2 "$scratch/time-$1") / 1024 )) MB" >&2
}

run_extract() { # $1 = small|large
  export URNA_DATABASE_URL="$pg/urna_bench_bulk_$1"
  /usr/bin/time -f "%e %M" -o "$scratch/xtime-$1" "$urna" extract --comune "$EXPORTED" --sesso F --out "$scratch/extract-$1" > "$scratch/extract-$1.txt"
  cat "$scratch/extract-$1.txt" >&2
  echo "  peak RSS $(( $(cut -d' ' -f2 "$scratch/xtime-$1") / 1024 )) MB" >&2
}

build_store small "$small" "$small"
build_store large "$large" "$large_comune"
echo "== export, small store ($small electors, all of them the comune's)"
run_export small
echo "== export, large store ($large electors, $large_comune of them the comune's)"
run_export large
echo "== extraction of the comune's women, small store"
run_extract small
echo "== extraction of the comune's women, large store"
run_extract large
python3 - "$scratch" <<'PY'
import re, sys
d = sys.argv[1]
def rates(which):
    text = open(f"{d}/export-{which}.txt").read()
    return {m.group(1): (int(m.group(2)), float(m.group(3))) for m in re.finditer(r"/(\w+)-\d+\.\w+(?:\.gz)?: (\d+) records in [\d.]+ s \((\d+)/s\)", text)}
small, large = rates("small"), rates("large")
rss = {w: int(open(f"{d}/time-{w}").read().split()[1]) // 1024 for w in ("small", "large")}
print("== summary (PostgreSQL; targets: rate small/large <= 1.1, peak RSS <= 256 MB)")
for name in ("subentroListe", "elettori"):
    (ns, rs), (nl, rl) = small[name], large[name]
    print(f"export {name:14} small {ns:>9} records {rs:>8.0f}/s   large {nl:>9} records {rl:>8.0f}/s   ratio {rs / rl:.2f}")
print(f"peak RSS: small {rss['small']} MB, large {rss['large']} MB (the whole urna export process, three files)")
def extraction(which):
    m = re.search(r": (\d+) subjects read, (\d+) written in [\d.]+ s \((\d+) read/s, (\d+) written/s\)", open(f"{d}/extract-{which}.txt").read())
    return int(m.group(2)), float(m.group(4)), int(open(f"{d}/xtime-{which}").read().split()[1]) // 1024
(ns, rs, ms), (nl, rl, ml) = extraction("small"), extraction("large")
print(f"extract women    small {ns:>9} records {rs:>8.0f}/s   large {nl:>9} records {rl:>8.0f}/s   ratio {rs / rl:.2f}")
print(f"peak RSS of the extraction: small {ms} MB, large {ml} MB")
PY
