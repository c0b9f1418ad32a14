#!/usr/bin/env bash
# Runs the libFuzzer targets under Fuzz/ (built with -sanitize=fuzzer,address into .build-fuzz),
# each for SECONDS, starting from Fuzz/corpus/<target> and the corpus earlier runs grew in
# .build-fuzz/corpus/<target>. A crash stops with the failing input saved under
# .build-fuzz/artifacts/; add it to Fuzz/corpus/<target> and a test once fixed.
#
# Usage: scripts/fuzz.sh [seconds=60] [target ...]   (default: every target)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(FuzzTopics FuzzACL FuzzConfig FuzzBrokerRequest FuzzExchange)
scratch=.build-fuzz
flags=(--scratch-path "$scratch" -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library)
for target in "${targets[@]}"; do
  MQTT_AUTHD_FUZZ=1 swift build "${flags[@]}" --product "$target" 2>&1 | grep -E "error|warning: unre|Compiling $target|Build complete" || true
done
binaries="$(MQTT_AUTHD_FUZZ=1 swift build "${flags[@]}" --show-bin-path)"
mkdir -p "$scratch/artifacts"
summary=()
for target in "${targets[@]}"; do
  corpus="$scratch/corpus/$target"
  mkdir -p "$corpus"
  log="$scratch/$target.log"
  echo "== $target: ${seconds}s"
  if ! ASAN_OPTIONS=detect_leaks=0 "$binaries/$target" "$corpus" "Fuzz/corpus/$target" \
      -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=4096 \
      -artifact_prefix="$scratch/artifacts/$target-" -print_final_stats=1 > "$log" 2>&1; then
    tail -40 "$log"
    echo "$target: FAILED; the input is under $scratch/artifacts/" >&2
    exit 1
  fi
  runs="$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo '?')"
  summary+=("$target: $runs executions in ${seconds}s, no crash")
done
printf '%s\n' "${summary[@]}"
