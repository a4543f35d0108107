#!/usr/bin/env bash
# Measures a takeover load: generates N electors (default 200000) for CIAMPINO
# and loads subjects, sections and lists into a fresh database
# (URNA_DATABASE_URL, default a temporary SQLite file), printing records/s,
# wall time and the peak RSS of the upload process. CIAMPINO comes from
# ANPR's archive of municipalities: URNA_COMUNI_ARCHIVE names a copy of
# ANPR_archivio_comuni.csv (not in the repository).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
n="${1:-200000}"
archive="$(realpath "${URNA_COMUNI_ARCHIVE:?set it to a copy of ANPR_archivio_comuni.csv, the archive of municipalities ANPR publishes}")"
cargo build -q --release -p urna-cli --bin urna
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export URNA_DATABASE_URL="${URNA_DATABASE_URL:-sqlite://$work/urna.db}"
urna="$root/target/release/urna"
"$urna" tables import-comuni "$archive" >/dev/null
"$urna" demo generate --comune 058118 --electors "$n" --out "$work/gen" | sed -n 1p
"$urna" subjects import "$work/gen/subjects-058118.csv" | sed -n 1p
"$urna" tables import-constituencies "$work/gen/constituencies-058118.csv" >/dev/null
"$urna" subentro upload --comune 058118 --sezioni "$work/gen/subentroSezioni-058118.xml.gz" 2>/dev/null
/usr/bin/time -f "peak RSS %M KiB, wall %e s" "$urna" subentro upload --comune 058118 --liste "$work/gen/subentroListe-058118.xml.gz" 2>&1 | grep -v '^\s*[0-9]* records,' | tr '\r' '\n' | grep -E "job|peak"
