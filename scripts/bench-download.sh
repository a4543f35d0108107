#!/usr/bin/env bash
# make bench-download: what a 7002 download costs the server as the file
# grows. A release server on a fresh SQLite store with the demo world runs
# one 4001 extraction of Roma; its file is then replaced by files of each
# size (MB, default 16 and 512: random bytes, which do not compress, as a
# gzip file does not) and each is downloaded with 7002, inline base64 and
# MTOM, over mTLS with a signed request. Prints MB/s, the server's CPU per
# MB and its peak RSS during each download, and the ratios largest/smallest
# (targets: throughput within 1.1x, peak RSS within 1.1x: the file is
# streamed, never held).
#
#   scripts/bench-download.sh [SIZES]      e.g. 16,512
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
sizes="${1:-16,512}"
cargo build -q --release -p urna-cli -p urna-loadgen --bins
work="$(mktemp -d)"
export URNA_LOG__LEVEL=error
export URNA_DATABASE_URL="sqlite://$work/urna.db"
export URNA_EXTRACTION__DIR="$work/extractions" URNA_EXTRACTION__POLL_MS=50
. "$root/scripts/start-server.sh" "$root/target/release/urna"
st="$work/pki/stations/058091-PC-0001"
"$root/target/release/urna-loadgen" --download --download-mb "$sizes" \
  --url "https://127.0.0.1:$port" --ca "$work/pki/ca.crt" --cert "$st.crt" --key "$st.key" \
  --database "$URNA_DATABASE_URL" --server-pid "$pid" --run-id "D$RANDOM"
