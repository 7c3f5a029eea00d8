#!/usr/bin/env bash
# Measures what perfgate reaches against the rmcp fixture server (tests/src/bin/mcp-fixture.rs): calls/s
# with 1 and 16 users, per_user and shared sessions, over stdio and Streamable HTTP, and perfgate's own CPU
# per call (the record's runner CPU average over the measured window, × the window, ÷ calls).
#
# Build first: cargo build --release -p perfgate-e2e --bins
# Usage: runner/scripts/mcp-figures.sh [TARGET_DIR] [SECONDS]
set -euo pipefail
target="${1:-${CARGO_TARGET_DIR:-target}}/release"
secs="${2:-5}"
perfgate="$target/perfgate-under-test"
fixture="$target/mcp-fixture"
work="$(mktemp -d)"
trap 'kill "${http_pid:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT

row() { # transport mode users json
  python3 - "$@" <<'PY'
import json, sys
transport, mode, users, path = sys.argv[1:5]
r = json.load(open(path))
load = r["load"]; op = load["operations"][0]
calls = op["total_requests"]; secs = load["duration_seconds"]
cpu = (load["system"].get("runner") or {}).get("cpu_avg_percent", 0.0)
per_call_us = cpu / 100.0 * secs / max(calls, 1) * 1e6
print(f"| {transport} | {mode} | {users} | {calls / secs:,.0f} | {op['latency_ms']['p50']:.3f} | "
      f"{op['latency_ms']['p99']:.3f} | {op['success_rate_percent']:.1f} | {cpu:.0f} | {per_call_us:.1f} |")
PY
}

echo "| transport | session | users | calls/s | p50 ms | p99 ms | success % | perfgate CPU % | perfgate CPU µs/call |"
echo "|---|---|---|---|---|---|---|---|---|"
for mode in per_user shared; do
  for users in 1 16; do
    "$perfgate" load --mcp-stdio "$fixture" --tool noop --session "$mode" -c "$users" -d "$secs" --json \
      >"$work/out.json" 2>/dev/null
    row stdio "$mode" "$users" "$work/out.json"
  done
done
"$fixture" --http 127.0.0.1:0 >"$work/http.txt" 2>/dev/null &
http_pid=$!
for _ in $(seq 50); do grep -q listening "$work/http.txt" 2>/dev/null && break; sleep 0.1; done
url="$(sed -n 's/^listening on //p' "$work/http.txt")"
for mode in per_user shared; do
  for users in 1 16; do
    "$perfgate" load --mcp-url "$url" --tool noop --session "$mode" -c "$users" -d "$secs" --json \
      >"$work/out.json" 2>/dev/null
    row streamable_http "$mode" "$users" "$work/out.json"
  done
done
