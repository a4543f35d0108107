#!/usr/bin/env bash
# Security-layer micro-benchmark (part of make bench; alone:
# `bash scripts/bench-wss.sh [DIR]`): urna and WSS4J 1.6
# (conformance-tests/peers/wss4j) verify the same N ANPR-profile requests and
# sign the same N replies, one thread each, in the same run. Both sides use
# the BinarySecurityToken form of KeyInfo (WSS4J 1.6 refuses ANPR's inline
# X509Data). Results in DIR/wss-urna.txt, DIR/wss-wss4j.txt and the ratio
# line in DIR/wss-summary.txt.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
out="${1:-$(mktemp -d)}"
mkdir -p "$out"
# The same build as bench.sh (a no-op there).
cargo build -q --release -p urna-cli -p urna-loadgen --bins
rm -rf "$out/wss-micro"
"$root/target/release/urna-loadgen" --wss-micro "$out/wss-micro" \
  --messages "${WSS_MICRO_MESSAGES:-1000}" --rounds "${WSS_MICRO_ROUNDS:-3}" | tee "$out/wss-urna.txt"
if bash "$root/conformance-tests/peers/wss4j/run.sh" bench "$out/wss-micro" "${WSS_MICRO_ROUNDS:-3}" | tee "$out/wss-wss4j.txt"; then
  python3 - "$out" <<'PY' | tee "$out/wss-summary.txt"
import os, re, sys
out = sys.argv[1]
def result(name):
    text = open(os.path.join(out, name)).read()
    m = re.search(r"^RESULT op=wss-micro side=\w+ (.*)$", text, re.M)
    return {k: float(v) for k, v in (kv.split("=") for kv in m.group(1).split())}
u, w = result("wss-urna.txt"), result("wss-wss4j.txt")
both_u, both_w = u["verify_us"] + u["sign_us"], w["verify_us"] + w["sign_us"]
print(f"security layer, urna vs WSS4J 1.6 (same messages, 1 thread each; target: urna >= 3x):"
      f" verify {u['verify_us']:.0f} vs {w['verify_us']:.0f} µs = {w['verify_us'] / u['verify_us']:.1f}x;"
      f" sign {u['sign_us']:.0f} vs {w['sign_us']:.0f} µs = {w['sign_us'] / u['sign_us']:.1f}x;"
      f" verify + sign {both_u:.0f} vs {both_w:.0f} µs = {both_w / both_u:.1f}x")
PY
else
  rm -f "$out/wss-wss4j.txt" "$out/wss-summary.txt"
  echo "note: the WSS4J peer is not available here (JDK 17 and Debian's libwss4j-java): urna's figures only"
fi
rm -rf "$out/wss-micro"
