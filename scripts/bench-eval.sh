#!/usr/bin/env bash
# Throughput and memory of `rtformer eval` (issue 13), release build:
#   swift build -c release --product rtformer && scripts/bench-eval.sh
# Prints samples/s (twice per model: the machine may be shared, so compare runs and the load
# average) and peak RSS from /usr/bin/time -v, and checks that peak RSS does not grow with the
# number of samples (36 vs 360 samples of the trained tiny within 8 MB).
# Reference point (issue 13): PyTorch's batch forward of the trained tiny over the same 360
# images takes about 5-12 s on 2 threads, i.e. 30-72 samples/s (unfused only).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${RTFORMER_BIN:-.build/release/rtformer}
SHARED=${RTFORMER_SHARED:-../shared}
DATA=$SHARED/data/digits/digits_test.bin
THREADS=${THREADS:-$(nproc)}
[ -x "$BIN" ] || { echo "bench-eval: build first: swift build -c release --product rtformer" >&2; exit 2; }
[ -f "$DATA" ] || { echo "bench-eval: $DATA not found" >&2; exit 2; }

run() {  # label, then eval arguments; prints samples/s, wall time and peak RSS
    local label=$1; shift
    local log; log=$(mktemp)
    /usr/bin/time -v "$BIN" eval --input "$DATA" --threads "$THREADS" --json "$@" 2>"$log" >"$log.json"
    local rss; rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log")
    python3 - "$log.json" "$label" "$rss" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"{sys.argv[2]:<34} {r['samples']:>4} samples  {r['samples_per_s']:8.1f} samples/s  "
      f"{r['seconds']:6.2f} s  peak RSS {int(sys.argv[3]) / 1024:6.1f} MB  (accuracy {r['accuracy']['unfused']:.4f})")
PY
    RSS=$rss
    rm -f "$log" "$log.json"
}

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); $THREADS worker(s); $(nproc) core(s)"
for i in 1 2; do run "tiny (trained digits), run $i" --weights "$SHARED/data/trained/digits_tiny.safetensors"; done
run "tiny, 36 samples" --weights "$SHARED/data/trained/digits_tiny.safetensors" --limit 36; small=$RSS
run "tiny, 360 samples" --weights "$SHARED/data/trained/digits_tiny.safetensors"; large=$RSS
for i in 1 2; do run "S-T-4-384 (seeded), 72 samples, run $i" --model S-T-4-384 --limit 72; done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
growth=$(( (large - small) / 1024 ))
echo "peak RSS growth 36 -> 360 samples: ${growth} MB"
[ "$growth" -le 8 ] || { echo "bench-eval: memory grows with the number of samples" >&2; exit 1; }
