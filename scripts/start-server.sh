# Sourced by run-local.sh and bench.sh: starts urna ($1 = binary) on a free
# port with a fresh development PKI under $work, waits until it answers, and
# sets $port and $pid. The caller sets $work and the database URL.
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
export URNA_SERVER__LISTEN="127.0.0.1:$port" URNA_TLS__PKI_DIR="$work/pki"
export URNA_AUDIT__HEADS_FILE="$work/audit-heads.jsonl"
"$1" --config config/urna.toml serve >"$work/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 150); do
  [ -f "$work/pki/ca.crt" ] && curl -s --cacert "$work/pki/ca.crt" "https://127.0.0.1:$port/health" >/dev/null 2>&1 && break
  sleep 0.2
done
