# Sourced by the benchmarks that build PostgreSQL stores from generated
# comuni (bench-read.sh, bench-bulk.sh). Needs: $urna, $archive, $out,
# $scratch, and $gen_prefix (the name of the cached data directories).

gen() { # $1 = ISTAT, $2 = electors -> directory (generated once, kept in $out)
  local d="$out/$gen_prefix-$1-$2"
  if [ ! -f "$d/subentroListe-$1.xml.gz" ]; then
    URNA_DATABASE_URL="sqlite://$scratch/gen.db" "$urna" tables import-comuni "$archive" >/dev/null
    URNA_DATABASE_URL="sqlite://$scratch/gen.db" "$urna" demo generate --comune "$1" --electors "$2" --out "$d" | sed -n 1p >&2
  fi
  echo "$d"
}

load() { # $1 = ISTAT, $2 = data dir (URNA_DATABASE_URL set)
  "$urna" subjects import "$2/subjects-$1.csv" >/dev/null
  "$urna" tables import-constituencies "$2/constituencies-$1.csv" >/dev/null
  "$urna" subentro upload --comune "$1" --sezioni "$2/subentroSezioni-$1.xml.gz" >/dev/null 2>&1
  "$urna" subentro upload --comune "$1" --liste "$2/subentroListe-$1.xml.gz" >/dev/null 2>&1
}
