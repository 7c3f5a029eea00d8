#!/usr/bin/env bash
# Side-by-side figures over HTTPS: `perfgate load` and oha against the same nginx, TLS 1.3, HTTP/1.1.
#
# nginx (one worker) is pinned to core 0 with a certificate made here by openssl (a throw-away CA trusted
# through --ca-file / oha --cacert); each generator is pinned to core 1 and runs -c 50 for DURATION seconds
# (default 10). Prints requests/s, the handshakes perfgate recorded apart, and each generator's peak RSS.
# Not a timed test: numbers depend on the machine; run it on an idle one.
#
#   apt-get install -y nginx-light && cargo install --locked oha
#   cargo build --release -p perfgate-cli && scripts/peer_tls.sh [DURATION]
#
# Everything targets 127.0.0.1; every run is bounded in time.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${1:-10}"
PORT="${PORT:-18443}"
PERFGATE="${PERFGATE:-target/release/perfgate}"
[ -x "$PERFGATE" ] || PERFGATE="${CARGO_TARGET_DIR:-target}/release/perfgate"
work="$(mktemp -d)"
trap 'kill "$(cat "$work/nginx.pid" 2>/dev/null)" 2>/dev/null || true; rm -rf "$work"' EXIT

# A CA and a server certificate for localhost / 127.0.0.1.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=peer_tls CA" \
  -keyout "$work/ca.key" -out "$work/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=localhost" \
  -keyout "$work/server.key" -out "$work/server.csr" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' > "$work/san.ext"
openssl x509 -req -in "$work/server.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" -CAcreateserial \
  -days 2 -extfile "$work/san.ext" -out "$work/server.pem" 2>/dev/null

cat > "$work/nginx.conf" <<CONF
worker_processes 1;
pid $work/nginx.pid;
error_log $work/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$PORT ssl;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_certificate $work/server.pem;
    ssl_certificate_key $work/server.key;
    location / { return 200 "ok"; }
  }
}
CONF
taskset -c 0 nginx -c "$work/nginx.conf"
sleep 0.5
url="https://127.0.0.1:$PORT/"

peak_rss_mb() { awk '/Maximum resident set size/ {printf "%.1f", $6/1024}' "$1"; }

printf '%-22s %12s %14s %12s\n' tool "requests/s" "peak RSS (MB)" handshakes
if command -v oha >/dev/null; then
  /usr/bin/time -v -o "$work/oha.time" taskset -c 1 oha --no-tui -c 50 -z "${DURATION}s" \
    --cacert "$work/ca.pem" --output-format json "$url" > "$work/oha.json" 2>/dev/null
  printf '%-22s %12s %14s %12s\n' "oha (https)" \
    "$(python3 -c "import json; print(round(json.load(open('$work/oha.json'))['summary']['requestsPerSec']))")" \
    "$(peak_rss_mb "$work/oha.time")" -
else
  echo "oha not found (cargo install --locked oha): its rows are skipped" >&2
fi
/usr/bin/time -v -o "$work/pg.time" taskset -c 1 "$PERFGATE" load --url "$url" --ca-file "$work/ca.pem" \
  -c 50 -d "$DURATION" --workers 1 --json --quiet --no-gates > "$work/pg.json"
python3 - "$work/pg.json" "$(peak_rss_mb "$work/pg.time")" <<'PY'
import json, sys
rec = json.load(open(sys.argv[1]))
hs = next((o for o in rec["load"]["operations"] if o["operation_name"] == "tls.handshake"), None)
print("%-22s %12d %14s %12s" % ("perfgate (https)", round(rec["load"]["overall"]["throughput_rps"]),
      sys.argv[2], hs["total_requests"] if hs else "-"))
PY
