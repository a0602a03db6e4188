#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The station screen with a roster, in English at 80x24 (issue 14, points
# 4 and 5): the first screen asks who is at the station and cannot be
# dismissed into acting as the login account (Esc leaves, nothing is
# recorded); the enrol form takes its custodian from the roster (F2, or a
# typed name compared after NFKC; an unknown one is refused with the form
# kept and the cursor on the field); the destruction form picks its
# validator from the roster; every event and the certificate name the
# operator at the station, never the login account.
. "$top_srcdir/tests/lib.sh"
t_init tui-roster
t_need_root
t_need_cmd tmux losetup jq

export LSAN_OPTIONS="suppressions=$top_srcdir/tests/lsan-cert.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
SOCK="custos-tui-roster-$$"
RC_FILE="$T_TMP/tui.rc"
LOGIN=$(id -un)
STARTS=0
trap 'tmux -L "$SOCK" kill-server 2>/dev/null; t_cleanup' EXIT

TUI_SESSION=none
. "$top_srcdir/tests/tui-lib.sh"
find_medium() {
	local i
	for ((i = 0; i < ${2:-1} * 2; i++)); do
		keys /
		keys "$1" Enter
		screen | grep -qE "Details: /dev/$1( |$)" && return 0
		sleep 0.2
	done
	wait_for "Details: /dev/$1" 1
}
# start the station screen in a session of its own; $1: extra environment
# (CUSTOS_OPERATOR=...)
start() {
	rm -f "$RC_FILE"
	TUI_SESSION=tui$((++STARTS))
	tm new-session -d -s "$TUI_SESSION" -x 80 -y 24 \
		"env -u CUSTOS_OPERATOR $1 LANG=C.UTF-8 LC_ALL= TERM=screen \
		CUSTOS_STATE_DIR='$CUSTOS_STATE_DIR' LSAN_OPTIONS='$LSAN_OPTIONS' \
		CUSTOS_PROFILE_DIR='${CUSTOS_PROFILE_DIR:-$top_srcdir/profiles}' \
		'$CUSTOS' tui 2>'$T_TMP/stderr'; echo \$? >'$RC_FILE'; sleep 2" ||
		t_fail "cannot start tmux"
}
wait_exit() {
	local i
	for ((i = 0; i < 50; i++)); do [ -s "$RC_FILE" ] && break; sleep 0.1; done
	[ "$(cat "$RC_FILE" 2>/dev/null)" = 0 ] || { cat "$T_TMP/stderr" >&2; t_fail "$1"; }
}

"$CUSTOS" init --org "Test Office" --station ws-roster --prefix WSR >/dev/null ||
	t_fail "custos init failed"
"$CUSTOS" staff add "Wang Fang" --role operator --title "Security officer" \
	--phone 010-1234 >/dev/null || t_fail "staff add"
"$CUSTOS" staff add "Zhou Lan" --role operator >/dev/null || t_fail "staff add"
"$CUSTOS" staff add "Zhao Min" --role custodian --department Registry >/dev/null ||
	t_fail "staff add"
"$CUSTOS" staff add "Chen Jie" --role custodian >/dev/null || t_fail "staff add"
"$CUSTOS" staff add "Liu Qiang" --role witness >/dev/null || t_fail "staff add"
"$CUSTOS" staff add "Li Si" --role witness >/dev/null || t_fail "staff add"
"$CUSTOS" staff add "Sun Li" --role validator --title Chief >/dev/null || t_fail "staff add"

LOOP1=$(t_loop 16) || t_skip "no loop device"
LOOP2=$(t_loop 16) || t_skip "no loop device"
N1=${LOOP1#/dev/} N2=${LOOP2#/dev/}

# the login account as $CUSTOS_OPERATOR is no roster operator: nobody is
# at the station, the question comes first and takes every key; Esc leaves
start "CUSTOS_OPERATOR='$LOGIN'"
wait_for "Who is at the station?"
wait_for "Esc leaves the station screen"
wait_for "Esc Leave"
screen | head -1 | grep -qF "Operator: nobody" || { screen >&2; t_fail "an operator before anyone was chosen"; }
keys e
keys w
screen | grep -qE "Enrol medium|ALL DATA WILL BE DESTROYED" && t_fail "a dialog opened with nobody at the station"
wait_for "Who is at the station?"
keys Escape
wait_exit "Esc at the first question did not leave the station screen cleanly"
[ "$("$CUSTOS" register list --json | jq length)" = 0 ] || t_fail "something was recorded"
t_ok "with a roster the first screen asks who is at the station; Esc leaves, nothing recorded"

start ""
wait_for "Who is at the station?"
wait_for "Zhou Lan"
keys Enter
wait_for "Operator: Wang Fang"
wait_for "F10/q Quit"
# switching: the same list, Esc keeps the operator
keys F9
wait_for "Who is at the station?"
wait_for "Esc cancel"
keys Escape
wait_for "F10/q Quit"
screen | head -1 | grep -qF "Operator: Wang Fang" || t_fail "Esc on F9 changed the operator"
t_ok "the operator picked; F9 asks again, Esc keeps the operator"

# enrol: a custodian who is not on the roster is refused, the form kept
find_medium "$N1" 10
keys e
wait_for "Enrol medium"
keys "R-1" Tab Right Tab "Nobody Here" Enter
close_notice
wait_for "Nobody Here_"
wait_for "R-1"
screen | grep -qF "enrolled as" && t_fail "enrolled with a custodian not on the roster"
[ "$("$CUSTOS" register list --json | jq length)" = 0 ] || t_fail "enrolled with an unknown custodian"
t_ok "a custodian not on the roster is refused, the form kept"

# F2: the roster's custodians; the department follows the person
for ((i = 0; i < 11; i++)); do keys BSpace; done
keys F2
wait_for "Choose the custodian"
wait_for "Chen Jie"
screen | grep -qF "Wang Fang  Security" && t_fail "an operator is offered as custodian"
keys Enter
wait_for "Zhao Min_"
wait_for "Registry"
keys Enter
wait_for "enrolled as M-"
"$CUSTOS" register show R-1 >"$T_TMP/show1" || t_fail "R-1 is not in the register"
grep -qE "Custodian: +Zhao Min$" "$T_TMP/show1" || { cat "$T_TMP/show1" >&2; t_fail "R-1's custodian is not Zhao Min"; }
grep -qE "Department: +Registry$" "$T_TMP/show1" || t_fail "R-1's department is not Registry"
t_ok "F2 picks the custodian from the roster; the register names Zhao Min"

# a typed name in full-width letters is the roster's person (NFKC), and
# the register keeps the roster's spelling
find_medium "$N2" 10
keys e
wait_for "Enrol medium"
keys "R-2" Tab Right Tab "Ｃｈｅｎ　Ｊｉｅ" Enter
wait_for "enrolled as M-"
"$CUSTOS" register show R-2 | grep -qE "Custodian: +Chen Jie$" ||
	t_fail "the full-width custodian is not the roster's Chen Jie"
t_ok "a typed custodian is compared after NFKC"

# the register browser: issue to a roster custodian; destruction with
# witnesses and the validator from the roster, the certificate naming the
# operator at the station
keys r
wait_for "Register:"
# issue (custody handover): F2 lists the roster's custodians
keys / "R-2" Enter
keys i
wait_for "Issue medium"
keys F2
wait_for "Choose the custodian"
keys Down Enter
wait_for "Chen Jie_"
keys Enter
wait_for "issue recorded"
"$CUSTOS" register show R-2 | grep -qE "Holder: +Chen Jie$" || t_fail "R-2 is not issued to Chen Jie"
t_ok "issue: the custodian picked from the roster"
keys / Escape / "R-1" Enter
keys d
wait_for "Record physical destruction"
keys Tab "Room 101" Tab "Liu Qiang，Li Si" Tab F2
wait_for "Choose the validator"
keys Enter
wait_for "Sun Li_"
keys Enter
wait_for "destruction recorded, certificate"
CERT=$(ls "$CUSTOS_STATE_DIR"/certs/*.json 2>/dev/null | head -1)
[ -n "$CERT" ] || t_fail "no destruction certificate"
tr -d '\n' <"$CERT" | sed 's/, *"/, "/g; s/: */: /g' >"$T_TMP/cert"
for who in '"name": "Wang Fang"' '"title": "Security officer"' '"name": "Sun Li"' \
	'"name": "Liu Qiang"' '"name": "Li Si"'; do
	grep -qF "$who" "$T_TMP/cert" || t_fail "the certificate does not hold $who"
done
grep -qF "\"name\": \"$LOGIN\"" "$T_TMP/cert" && t_fail "the certificate names the login account"
t_ok "destruction: the validator from the roster, the certificate names Wang Fang"
keys Escape
wait_for "F10/q Quit"

# every event names the operator at the station
for ref in $("$CUSTOS" register list --json | jq -r '.[].register_no'); do
	"$CUSTOS" register history "$ref" --json | jq -r '.[].operator'
done >"$T_TMP/actors"
[ -s "$T_TMP/actors" ] || t_fail "no events"
grep -vxF "Wang Fang" "$T_TMP/actors" && t_fail "an event names someone else than Wang Fang"
t_ok "every event names Wang Fang, none $LOGIN"

keys q
wait_exit "custos tui did not exit 0"
t_ok "quit"
