#!/usr/bin/env bash
# Runs the libFuzzer targets under Fuzz/ (built with -sanitize=fuzzer,address into .build-fuzz),
# each for SECONDS, starting from Fuzz/corpus/<target> and the corpus earlier runs grew in
# .build-fuzz/corpus/<target>. A crash stops with the failing input saved under
# .build-fuzz/artifacts/; add it to Fuzz/corpus/<target> and a test once fixed.
#
# Usage: scripts/fuzz.sh [seconds=60] [target ...]   (default: every target)
#        FUZZ_RUNS=N scripts/fuzz.sh [target ...]   N inputs each from a fixed seed and the
#        committed corpus only: repeatable, for `make test`
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "${FUZZ_RUNS:-}" ]; then
  seconds=0
else
  seconds="${1:-60}"
  shift || true
fi
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(FuzzTopics FuzzACL FuzzConfig FuzzBrokerRequest FuzzExchange)
scratch=.build-fuzz
flags=(--scratch-path "$scratch" -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library)
for target in "${targets[@]}"; do
  MQTT_AUTHD_FUZZ=1 swift build "${flags[@]}" --product "$target" 2>&1 | grep -E "error|Build complete" || true
done
binaries="$(MQTT_AUTHD_FUZZ=1 swift build "${flags[@]}" --show-bin-path)"
mkdir -p "$scratch/artifacts"
summary=()
for target in "${targets[@]}"; do
  log="$scratch/$target.log"
  if [ -n "${FUZZ_RUNS:-}" ]; then
    # A fresh corpus folder each time, so that earlier runs cannot change this one.
    corpus="$scratch/corpus-fixed/$target"
    rm -rf "$corpus"
    limit=(-runs="$FUZZ_RUNS" -seed=1)
    echo "== $target: $FUZZ_RUNS inputs"
  else
    corpus="$scratch/corpus/$target"
    limit=(-max_total_time="$seconds")
    echo "== $target: ${seconds}s"
  fi
  mkdir -p "$corpus"
  # Swift's own backtracer would report itself to ASan after a failed precondition: let
  # libFuzzer report the crash instead.
  if ! SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0 "$binaries/$target" "$corpus" "Fuzz/corpus/$target" \
      "${limit[@]}" -max_len=65536 -timeout=10 -rss_limit_mb=4096 \
      -artifact_prefix="$scratch/artifacts/$target-" -print_final_stats=1 > "$log" 2>&1; then
    tail -40 "$log"
    echo "$target: FAILED; the input is under $scratch/artifacts/" >&2
    exit 1
  fi
  runs="$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo '?')"
  elapsed="$(grep -oE 'Done [0-9]+ runs in [0-9]+ second' "$log" | grep -oE '[0-9]+ second' | grep -oE '[0-9]+' || echo "$seconds")"
  summary+=("$target: $runs executions in ${elapsed}s, no crash")
done
printf '%s\n' "${summary[@]}"
