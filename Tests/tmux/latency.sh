#!/bin/bash
# Key-press-to-frame-flushed latency of `step` in the explorer, measured by the app itself
# (RTFORMER_TUI_TIMING) while tmux sends the keys.
#
#   RTFORMER_BIN=.build/release/rtformer Tests/tmux/latency.sh [MODEL ...]     (default: tiny S-T-4-384)
#
# For each model: open `rtformer tui --model MODEL` at 120x40, then ROUNDS times press `r` (reset:
# recompute t = 0) and `space` until the last timestep, so every step computes a new timestep.
# Prints min / median / max of handle (session command), render, flush and total milliseconds.
set -u
BIN=${RTFORMER_BIN:-.build/release/rtformer}
case "$BIN" in /*) ;; *) BIN="$PWD/$BIN" ;; esac
ROUNDS=${ROUNDS:-5}
MODELS=("$@")
[ ${#MODELS[@]} -gt 0 ] || MODELS=(tiny S-T-4-384)
TMUX_CMD=(tmux -L rtformer-latency)
WORK=$(mktemp -d)
trap '"${TMUX_CMD[@]}" kill-server 2>/dev/null; rm -rf "$WORK"' EXIT

wait_for() {
    local deadline=$((SECONDS + ${2:-120}))
    while [ $SECONDS -le $deadline ]; do
        "${TMUX_CMD[@]}" capture-pane -p -t lat | grep -qE -- "$1" && return 0
        sleep 0.1
    done
    echo "latency: timed out waiting for /$1/"; exit 1
}

for model in "${MODELS[@]}"; do
    log="$WORK/$model.log"
    "${TMUX_CMD[@]}" kill-server 2>/dev/null
    "${TMUX_CMD[@]}" new-session -d -s lat -x 120 -y 40 \
        "env TERM=xterm-256color RTFORMER_TUI_TIMING='$log' '$BIN' tui --model '$model'; sleep 5"
    wait_for '│ t 0/[0-9]+ │'
    T=$("${TMUX_CMD[@]}" capture-pane -p -t lat | grep -oE '│ t 0/[0-9]+ │' | head -1 | grep -oE '/[0-9]+' | tr -d /)
    for _ in $(seq "$ROUNDS"); do
        "${TMUX_CMD[@]}" send-keys -t lat r
        wait_for '│ t 0/'
        for t in $(seq 1 $((T - 1))); do
            "${TMUX_CMD[@]}" send-keys -t lat ' '
            wait_for "│ t $t/"
        done
    done
    "${TMUX_CMD[@]}" send-keys -t lat q
    sleep 0.5
    echo "== $model (T $T, $ROUNDS rounds, $(grep -c 'commands=step ' "$log") steps)"
    for field in handle_ms render_ms flush_ms total_ms; do
        grep 'commands=step ' "$log" | grep -oE "$field=[0-9.]+" | cut -d= -f2 | sort -g |
            awk -v f="$field" '{ v[NR] = $1 } END { if (NR) printf "  %-10s min %8.2f  median %8.2f  max %8.2f\n", f, v[1], v[int((NR + 1) / 2)], v[NR] }'
    done
done
