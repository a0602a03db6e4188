# SPDX-License-Identifier: GPL-3.0-or-later
# The station screen driven through tmux, for tests/integ-tui*.sh (sourced
# after lib.sh).  The script sets SOCK (its own tmux server) and may set
# TUI_SESSION (the session the screen runs in; default "tui").

: "${TUI_SESSION:=tui}"

tm() { tmux -L "$SOCK" "$@"; }
screen() { tm capture-pane -p -t "$TUI_SESSION" 2>/dev/null; }
keys() { tm send-keys -t "$TUI_SESSION" "$@"; sleep 0.3; }

# wait_for TEXT [SECONDS]: until TEXT is on the screen, else fail showing it
wait_for() {
	local i
	for ((i = 0; i < ${2:-10} * 10; i++)); do
		screen | grep -qF -- "$1" && return 0
		sleep 0.1
	done
	echo "---- screen ----" >&2
	screen >&2
	t_fail "'$1' did not appear"
}

# close_notice [TEXT]: a refusal too long for the message line opens a
# notice whose last line is TEXT ("Any key closes."): close it
close_notice() {
	local i
	for ((i = 0; i < 10; i++)); do
		screen | grep -qF -- "${1:-Any key closes.}" && { keys Escape; return 0; }
		sleep 0.1
	done
}
