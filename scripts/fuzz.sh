#!/usr/bin/env bash
# Runs every fuzz target in fuzz/ for a bounded time: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
# (default 60 s, all targets). Needs the nightly toolchain and cargo-fuzz (`cargo install --locked cargo-fuzz`).
# PERFGATE_FUZZ_PREBUILT=1 runs the binaries of an earlier `cargo +nightly fuzz build` as they are (a long run
# while the tree is being edited would otherwise rebuild before each target).
# Prints each target's execs/s and coverage; exits 1 if any target found a crash. A crash input is left in
# fuzz/artifacts/<target>/: fix it, then keep it as fuzz/regressions/<target>/<what-it-does> so
# reports/tests/fuzz_regressions.rs replays it under `cargo test`.
set -uo pipefail
cd "$(dirname "$0")/../fuzz"

secs="${1:-60}"
shift || true
targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then
  mapfile -t targets < <(cargo +nightly fuzz list)
fi

failed=()
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t"
  log="$(mktemp)"
  echo "fuzz: $t for ${secs} s"
  # Seeds: the regression inputs and seeds/<target>/ (a fresh corpus directory keeps what the run finds).
  seeds=("regressions/$t")
  [ -d "seeds/$t" ] && seeds+=("seeds/$t")
  flags=(-max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1)
  if [ "${PERFGATE_FUZZ_PREBUILT:-}" = 1 ]; then
    # The binaries `cargo fuzz build` made before: editing the tree meanwhile rebuilds nothing.
    mkdir -p "artifacts/$t"
    "target/x86_64-unknown-linux-gnu/release/$t" -artifact_prefix="artifacts/$t/" "${flags[@]}" \
      "corpus/$t" "${seeds[@]}" > "$log" 2>&1
  else
    cargo +nightly fuzz run "$t" "corpus/$t" "${seeds[@]}" -- "${flags[@]}" > "$log" 2>&1
  fi
  rc=$?
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
  rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)"
  cov="$(grep -o 'cov: [0-9]*' "$log" | tail -1)"
  ft="$(grep -o 'ft: [0-9]*' "$log" | tail -1)"
  echo "fuzz: $t: ${execs:-?} execs, ${rate:-?} execs/s, ${cov:-cov: ?}, ${ft:-ft: ?}, exit $rc"
  if [ "$rc" -ne 0 ]; then
    failed+=("$t")
    tail -40 "$log"
  fi
  rm -f "$log"
done

if [ "${#failed[@]}" -gt 0 ]; then
  echo "fuzz: crashes in ${failed[*]} (inputs in fuzz/artifacts/)"
  exit 1
fi
echo "fuzz: no crash in ${#targets[@]} target(s)"
