#!/bin/bash
# Key-press-to-frame-flushed latency of `step` in the explorer, measured by the app itself
# (RTFORMER_TUI_TIMING) while tmux sends the keys.
#
#   RTFORMER_BIN=.build/release/rtformer Tests/tmux/latency.sh [MODEL ...]     (default: tiny S-T-4-384)
#
# For each model: open `rtformer tui --model MODEL` at 120x40, then ROUNDS times press `r` (reset:
# recompute t = 0) and `space` until the last timestep, so every step computes a new timestep.
# CALIBRATE=1 first runs `:calibrate default 10` (seeded weights are otherwise nearly silent,
# which flatters the spike-driven kernels). Prints min / median / max of handle (session command), render, flush and total milliseconds.
set -u
BIN=${RTFORMER_BIN:-.build/release/rtformer}
case "$BIN" in /*) ;; *) BIN="$PWD/$BIN" ;; esac
ROUNDS=${ROUNDS:-5}
MODELS=("$@")
[ ${#MODELS[@]} -gt 0 ] || MODELS=(tiny S-T-4-384)
TMUX_CMD=(tmux -L rtformer-latency)
WORK=$(mktemp -d)
"${TMUX_CMD[@]}" kill-server 2>/dev/null
# A placeholder session keeps the server up between models (it exits when its last session ends).
"${TMUX_CMD[@]}" new-session -d -s keep "sleep 3600"
trap '"${TMUX_CMD[@]}" kill-server 2>/dev/null; rm -rf "$WORK"' EXIT

wait_for() {
    local deadline=$((SECONDS + ${2:-120})) pane
    while [ $SECONDS -le $deadline ]; do
        pane=$("${TMUX_CMD[@]}" capture-pane -p -t lat 2>/dev/null) || break
        grep -qE -- "$1" <<< "$pane" && return 0
        grep -q '^RTFORMER_EXIT=' <<< "$pane" && break
        sleep 0.1
    done
    echo "latency: gave up waiting for /$1/; the pane shows:"
    "${TMUX_CMD[@]}" capture-pane -p -t lat 2>/dev/null | grep -v '^$' | tail -5
    echo "stderr:"; cat "$WORK/stderr" 2>/dev/null
    exit 1
}

for model in "${MODELS[@]}"; do
    log="$WORK/$model.log"
    # One server for all models: a new-session right after kill-server can reach the dying server.
    "${TMUX_CMD[@]}" kill-session -t lat 2>/dev/null
    "${TMUX_CMD[@]}" new-session -d -s lat -x 120 -y 40 \
        "env TERM=xterm-256color RTFORMER_TUI_TIMING='$log' '$BIN' tui --model '$model' 2>'$WORK/stderr'; echo RTFORMER_EXIT=\$?; sleep 5"
    wait_for '│ t 0/[0-9]+ │'
    if [ "${CALIBRATE:-0}" = 1 ]; then  # realistic firing rates for seeded weights
        "${TMUX_CMD[@]}" send-keys -t lat ':calibrate default 10' Enter
        wait_for 'calibrate default 10: .*q closes' 600
        "${TMUX_CMD[@]}" send-keys -t lat q  # close the output overlay
        wait_for 'space \. step'
    fi
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
    echo "== $model$([ "${CALIBRATE:-0}" = 1 ] && echo ' calibrated') (T $T, $ROUNDS rounds, $(grep -c 'commands=step ' "$log") steps)"
    for field in handle_ms render_ms flush_ms total_ms; do
        grep 'commands=step ' "$log" | grep -oE "$field=[0-9.]+" | cut -d= -f2 | sort -g |
            awk -v f="$field" '{ v[NR] = $1 } END { if (NR) printf "  %-10s min %8.2f  median %8.2f  max %8.2f\n", f, v[1], v[int((NR + 1) / 2)], v[NR] }'
    done
done
