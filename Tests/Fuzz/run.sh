#!/usr/bin/env bash
# Fuzz pass over every reader (issue 16): CIFAR, PNG, JPEG, PPM, 40-bit events, AEDAT 4,
# Prophesee .dat, .npy, safetensors, PyTorch zip + legacy, config JSON, session scripts.
#
#   Tests/Fuzz/run.sh                 # the CI pass: 400 cases per target, seed 1 (5,200 cases)
#   FUZZ_CASES=5000 FUZZ_SEED=7 Tests/Fuzz/run.sh   # a longer local run (README, "Fuzzing")
#
# Workers run batches of cases in-process under a 4 GiB address-space limit and a time limit;
# any crash, hang or memory overrun fails the pass, and the failing inputs are saved under
# fuzz-findings/ (reproduce: rtformer-fuzz case --target T --seed S --index N --out FILE).
# Needs ../shared beside the checkout for the AEDAT 4, Prophesee, PNG and .pth seeds.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${RTFORMER_FUZZ_BIN:-.build/release/rtformer-fuzz}
[ -x "$BIN" ] || swift build -c release --product rtformer-fuzz
# First the runner itself: a trap, an allocation past the limit and a hang must each be caught.
selftest=$("$BIN" run --targets selftest --cases 50 --batch 50 --timeout 3 --out "$(mktemp -d)" 2>&1) \
    && { echo "$selftest"; echo "fuzz: self-test FAILED: the planted failures were not detected"; exit 1; }
echo "$selftest" | grep -q ' 3 failure(s)' || { echo "$selftest"; echo "fuzz: self-test FAILED: expected 3 failures"; exit 1; }
echo "fuzz: self-test ok (a trap, an allocation past the limit and a hang were each caught)"
exec "$BIN" run --cases "${FUZZ_CASES:-400}" --seed "${FUZZ_SEED:-1}" --batch "${FUZZ_BATCH:-50}" \
    --jobs "${FUZZ_JOBS:-2}" --timeout "${FUZZ_TIMEOUT:-60}" --memory-mb "${FUZZ_MEMORY_MB:-4096}" \
    --out "${FUZZ_OUT:-fuzz-findings}" ${FUZZ_TARGETS:+--targets "$FUZZ_TARGETS"}
