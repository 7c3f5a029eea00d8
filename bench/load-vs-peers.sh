#!/usr/bin/env bash
# Side-by-side throughput of `perfgate load`, oha and wrk against the same trivial loopback server.
#
# The server is nginx with one worker pinned to core 0 (a static 2-byte response); each generator is pinned to
# core 1 and runs -c 50 for DURATION seconds (default 10). Prints requests/s and the generator's peak RSS.
#
#   apt-get install -y nginx-light wrk && cargo install --locked oha
#   cargo build --release -p perfgate-cli && bench/load-vs-peers.sh [DURATION]
#
# Everything targets 127.0.0.1; every run is bounded in time.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${1:-10}"
PORT="${PORT:-18089}"
PERFGATE="${PERFGATE:-target/release/perfgate}"
[ -x "$PERFGATE" ] || PERFGATE="${CARGO_TARGET_DIR:-target}/release/perfgate"
work="$(mktemp -d)"
trap 'kill "$(cat "$work/nginx.pid" 2>/dev/null)" 2>/dev/null || true; rm -rf "$work"' EXIT

cat > "$work/nginx.conf" <<CONF
worker_processes 1;
pid $work/nginx.pid;
error_log $work/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$PORT;
    location / { return 200 "ok"; }
  }
}
CONF
taskset -c 0 nginx -c "$work/nginx.conf"
sleep 0.5
url="http://127.0.0.1:$PORT/"

peak_rss_mb() { awk '/Maximum resident set size/ {printf "%.1f", $6/1024}' "$1"; }

printf '%-10s %12s %14s\n' tool "requests/s" "peak RSS (MB)"
if command -v wrk >/dev/null; then
  /usr/bin/time -v -o "$work/wrk.time" taskset -c 1 wrk -t1 -c50 -d"${DURATION}s" "$url" > "$work/wrk.out" 2>&1
  printf '%-10s %12s %14s\n' wrk "$(awk '/Requests\/sec/ {printf "%.0f", $2}' "$work/wrk.out")" "$(peak_rss_mb "$work/wrk.time")"
fi
if command -v oha >/dev/null; then
  /usr/bin/time -v -o "$work/oha.time" taskset -c 1 oha --no-tui -c 50 -z "${DURATION}s" --output-format json "$url" > "$work/oha.json" 2>/dev/null
  printf '%-10s %12s %14s\n' oha "$(python3 -c "import json,sys; print(round(json.load(open('$work/oha.json'))['summary']['requestsPerSec']))")" "$(peak_rss_mb "$work/oha.time")"
fi
/usr/bin/time -v -o "$work/pg.time" taskset -c 1 "$PERFGATE" load --url "$url" -c 50 -d "$DURATION" --workers 1 --json --quiet > "$work/pg.json"
printf '%-10s %12s %14s\n' perfgate "$(python3 -c "import json; print(round(json.load(open('$work/pg.json'))['load']['overall']['throughput_rps']))")" "$(peak_rss_mb "$work/pg.time")"
