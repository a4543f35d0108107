#!/usr/bin/env bash
# Renders the example electoral certificates (crate urna-cert, example
# `render`): each type (21, 22) in each language set, sealed with a
# throw-away development PKI, and an unsealed preview; then writes the first
# page of each as a 60 dpi greyscale PNG into docs/certificates/ (docs/certificates.md).
#
#   scripts/render-certificates.sh [OUTDIR]    (default: a temporary directory)
#
# The PDFs stay in OUTDIR; only the images are meant to be committed. Needs
# pdftoppm (poppler-utils, installed by scripts/setup.sh test).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
out="${1:-$(mktemp -d)}"
command -v pdftoppm >/dev/null || { echo "pdftoppm not found: run scripts/setup.sh test" >&2; exit 1; }
cargo run -q -p urna-cert --example render -- "$out"
images="$root/docs/certificates"
mkdir -p "$images"
for pdf in "$out"/*.pdf; do
  name="$(basename "$pdf" .pdf)"
  # pdftoppm writes greyscale only as PGM; python3 (standard library) turns it
  # into an 8-bit greyscale PNG, a third of the size of pdftoppm's RGB PNG.
  pdftoppm -r 60 -gray -f 1 -l 1 -singlefile "$pdf" "$out/$name"
  python3 - "$out/$name.pgm" "$images/$name.png" <<'PY'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
magic, width, height, maxval, pixels = data.split(maxsplit=4)
assert magic == b"P5" and maxval == b"255"
w, h = int(width), int(height)
rows = b"".join(b"\x00" + pixels[y * w:(y + 1) * w] for y in range(h))
def chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
png += chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")
open(sys.argv[2], "wb").write(png)
PY
done
echo "PDFs in $out; images in docs/certificates/"
