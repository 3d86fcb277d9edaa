#!/bin/bash
# End-to-end test of the terminal explorer, driven through tmux as a user would.
#
#   RTFORMER_BIN=.build/release/rtformer Tests/tmux/e2e.sh
#
# Starts `rtformer` (no arguments: the TUI on the built-in default) in a shell inside tmux on a
# private socket (`tmux -L rtformer-e2e-PID`, 120x40, TERM=xterm-256color), sends keys (step twice,
# toggle the view, open and close help, one Esc too many, `:goto t=0`, `:export png|svg`, the attention pane, the raster and input panes
# (rows toggle, a pin), a layer-by-layer build with `b`/`B`, resize, quit), asserts on `capture-pane -p`,
# and checks that the shell is back with the terminal restored (alternate screen left, tty in
# cooked mode with echo). Then the same for SIGTERM and Ctrl-C (SIGINT), for forced crashes
# (RTFORMER_DEBUG_TRAP: a Swift trap, SIGSEGV, SIGABRT; stty settings compared before and after),
# and the plain REPL when stdin is not a terminal. Exits non-zero on the first failure; always kills its tmux server.
set -u
BIN=${RTFORMER_BIN:-.build/debug/rtformer}
case "$BIN" in /*) ;; *) BIN="$PWD/$BIN" ;; esac
[ -x "$BIN" ] || { echo "e2e: no executable at $BIN (set RTFORMER_BIN)"; exit 2; }
command -v tmux >/dev/null || { echo "e2e: tmux is not installed"; exit 2; }

TMUX_CMD=(tmux -L "rtformer-e2e-$$")   # one server per run: concurrent runs (other checkouts) do not meet
WORK=$(mktemp -d)
CAP="$WORK/capture.txt"
cleanup() { "${TMUX_CMD[@]}" kill-server 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

step=""
fail() {
    echo "e2e: FAIL ($step): $*"
    echo "--- last capture"
    cat "$CAP" 2>/dev/null
    exit 1
}
capture() { "${TMUX_CMD[@]}" capture-pane -p -t e2e > "$CAP"; }
send() { "${TMUX_CMD[@]}" send-keys -t e2e "$@"; }
# wait_for REGEX [SECONDS]: poll the pane until a line matches.
wait_for() {
    local deadline=$((SECONDS + ${2:-20}))
    while [ $SECONDS -le $deadline ]; do
        capture
        grep -qE -- "$1" "$CAP" && return 0
        sleep 0.2
    done
    fail "timed out waiting for /$1/"
}
# wait_gone REGEX [SECONDS]: poll until no line matches.
wait_gone() {
    local deadline=$((SECONDS + ${2:-10}))
    while [ $SECONDS -le $deadline ]; do
        capture
        grep -qE -- "$1" "$CAP" || return 0
        sleep 0.2
    done
    fail "still showing /$1/"
}
expect_restored() {  # the shell prompt is back and the tty is cooked with echo
    send "clear; if stty -a | grep -qE -- '(^| )-(icanon|echo)( |;|\$)'; then echo TTY=raw; else echo TTY=cooked; fi" Enter
    wait_for '^TTY=(raw|cooked)$'
    grep -q '^TTY=cooked$' "$CAP" || fail "terminal left in raw mode"
    grep -q '┏\|━' "$CAP" && fail "explorer frame still on screen"
    return 0
}

"${TMUX_CMD[@]}" kill-server 2>/dev/null
"${TMUX_CMD[@]}" new-session -d -s e2e -x 120 -y 40 \
    "env -u TMUX TERM=xterm-256color PS1='e2e\$ ' bash --norc --noprofile" || { echo "e2e: tmux failed to start"; exit 2; }
"${TMUX_CMD[@]}" set-option -t e2e status off >/dev/null

step="start"
send "'$BIN'; echo RTFORMER_EXIT=\$?" Enter
wait_for '│ t 0/4 │'
# The terminal paints a frame in pieces: wait for each part rather than grepping one capture.
wait_for 'tiny digits' 5             # status line: the default (trained) model
wait_for 'digits-test-10.bin#0 digit 0' 5   # and the bundled test digit with its label
wait_for '1 layers' 5
wait_for '2 membrane' 5
wait_for 'space . step' 5            # hint bar

step="step twice"
send ' '
wait_for '│ t 1/4 │'
send '.'
wait_for '│ t 2/4 │'

step="toggle view"
send 'v'
wait_for '│ deploy │'
wait_for 'membrane · map H · trace H · .* · deploy' 5

step="help"
send '?'                             # ? explains the focused pane first
wait_for '\? layers pane'
wait_for 'Every layer of the model' 5
send '?'                             # ? again: every key
wait_for 'help · keys'
wait_for 'fold: exact ↔ paper' 5
send Escape
wait_gone 'help · keys'
send Escape                          # one Esc too many after a closed pop-up: still running
wait_for 'nothing to close \(q quits\)' 5
wait_for '│ t 2/4 │' 5

step=":goto t=0"
send ':'
wait_for '^:'
send 'goto t=0' Enter
wait_for '│ t 0/4 │'
wait_for 'goto t=0 → t 0/4' 5        # the command's result in the message row

step="export figures"
send ':'
wait_for '^:'
send "export png $WORK/fig.png rates" Enter
wait_for 'wrote the rates figure \(PNG 800x560\)' 10
send ':'
wait_for '^:'
send "export svg $WORK/fig.svg membrane" Enter
wait_for 'wrote the membrane figure \(SVG 800x560\)' 10
[ "$(head -c 8 "$WORK/fig.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "fig.png has no PNG signature"
[ "$(dd if="$WORK/fig.png" bs=1 skip=12 count=12 2>/dev/null | od -An -tx1 | tr -d ' \n')" = 494844520000032000000230 ] \
    || fail "fig.png: IHDR is not first or not 800x560"
python3 -c 'import xml.dom.minidom,sys; d=xml.dom.minidom.parse(sys.argv[1]); assert d.documentElement.tagName=="svg"' "$WORK/fig.svg" \
    || fail "fig.svg does not parse as SVG XML"
grep -q 'membrane potential' "$WORK/fig.svg" || fail "fig.svg has no y-axis label"

step="attention pane"
send '8'
wait_for '8 attention · block\.0 · SDSA · t 0' 10
send Down                            # the focused attention pane moves its token
wait_for 'token 8 \(y 1, x 0\)' 5
send 'n'
wait_for 'head 1/4 c16-31' 5
send '8'
wait_gone '8 attention' 5

step="raster and input panes"
send '3'                              # TSBN and rates off: room for the two new panes
wait_gone '3 TSBN' 5
send '4'
wait_gone '4 rates' 5
send '9'
wait_for '9 raster · patch_embed\.stcore\.lif · c 0'
wait_for 'spike .* silent' 5             # the raster's legend
send '0'
wait_for '0 input · image 32×32'
wait_for 'label 0 digit 0 · top-1' 5
for _ in 1 2 3 4 5; do                # Tab until the raster pane has the focus (heavy frame)
    capture
    grep -q '┏ 9 raster' "$CAP" && break
    send Tab
    sleep 0.3
done
wait_for '┏ 9 raster' 5               # focused: R switches its rows
send 'R'
wait_for 'raster top 32 → raster: the 32 most active' 5
send 'P'
wait_for 'pinned c 0' 5

step="build layer by layer"
send ':'
wait_for '^:'
send 'build' Enter
wait_for 'build started: the input' 10   # two lines: shown in the output overlay
send Escape
wait_gone 'build started: the input' 5
send 'b'
wait_for 'built 2/48: 0 patch_embed\.proj_conv' 10
send 'b'
wait_for 'built 3/48: 2 patch_embed\.proj_lif LIF' 10
wait_for 'built 3/48 · b: next' 5        # the layers pane: the rest dimmed
send 'B'
wait_for '1 layers · 48 · ' 10
send '9'
wait_gone '9 raster' 5
send '0'
wait_gone '0 input' 5
send '3'
wait_for '3 TSBN' 5
send '4'
wait_for '4 rates' 5

step="resize"
"${TMUX_CMD[@]}" resize-window -t e2e -x 80 -y 24
wait_for '│ t 0/4 │'
[ "$(wc -l < "$CAP")" -le 24 ] || fail "pane not resized"
wait_for '3 TSBN' 5
"${TMUX_CMD[@]}" resize-window -t e2e -x 50 -y 12
wait_for 'terminal too small'
"${TMUX_CMD[@]}" resize-window -t e2e -x 120 -y 40
wait_for '4 rates'

step="quit"
send 'q'
wait_for '^RTFORMER_EXIT=0$'
expect_restored

step="SIGTERM"
send "clear; sh -c 'echo \$\$ > $WORK/pid; exec \"$BIN\"'; echo RTFORMER_EXIT=\$?" Enter
wait_for '│ t 0/4 │'
kill -TERM "$(cat "$WORK/pid")"
wait_for '^RTFORMER_EXIT=143$'
expect_restored

step="SIGINT"
# bash abandons the rest of a command line whose command died of SIGINT, so ask for $? afterwards.
send "clear; '$BIN' tui --ascii" Enter
wait_for '\| t 0/4 \|'
wait_for 'space \. step' 5
grep -q '┏\|▀' "$CAP" && fail "--ascii frame contains Unicode"
send C-c
wait_for '^e2e\$ *$'
send "echo RTFORMER_EXIT=\$?" Enter
wait_for '^RTFORMER_EXIT=130$'
expect_restored

# A crash inside the explorer (RTFORMER_DEBUG_TRAP forces one once the frame is drawn): the trap
# handler writes the saved tty modes and the escape sequences back, the process dies of the signal
# (no crash prompt waiting for a key), and the shell gets the same stty settings as before.
for trap in "1:132" "segv:139" "abort:134"; do
    mode=${trap%%:*}; code=${trap##*:}
    step="trap $mode"
    rm -f "$WORK/stty.before" "$WORK/stty.after"
    send "clear; stty -g > $WORK/stty.before; RTFORMER_DEBUG_TRAP=$mode '$BIN'; echo RTFORMER_EXIT=\$?; stty -g > $WORK/stty.after" Enter
    wait_for "^RTFORMER_EXIT=$code\$" 60
    grep -q 'the terminal was restored' "$CAP" || fail "no restore message after the trap"
    [ "$("${TMUX_CMD[@]}" display-message -p -t e2e '#{alternate_on}')" = 0 ] || fail "alternate screen still on"
    for _ in 1 2 3 4 5 6 7 8 9 10; do [ -s "$WORK/stty.after" ] && break; sleep 0.2; done
    cmp -s "$WORK/stty.before" "$WORK/stty.after" || fail "stty settings changed: $(cat "$WORK/stty.before") -> $(cat "$WORK/stty.after")"
    expect_restored
done

step="not a TTY"
printf 'help\nquit\n' | "$BIN" > "$WORK/repl.txt" 2>&1 || { cat "$WORK/repl.txt"; step="not a TTY"; fail "REPL exited non-zero"; }
grep -q '^step \[n\]' "$WORK/repl.txt" || { cp "$WORK/repl.txt" "$CAP"; fail "piped stdin did not get the plain REPL"; }

echo "e2e: ok (start, step x2, view, help, extra Esc, :goto, export png+svg, attention pane, raster+input panes, pin, build b/B, resize 80x24/50x12, quit, SIGTERM, SIGINT, --ascii, trap x3 (SIGILL, SIGSEGV, SIGABRT), no-TTY REPL)"
