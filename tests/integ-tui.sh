#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The station screen end to end, driven through tmux: a loop device is
# listed, a second one plugged in appears, is enrolled, wiped with the
# zero profile (typed confirmation), its outcome and certificate are
# shown (operator and validator named in the dialog; a printing error
# explained), a medium the register no longer allows is refused, and the
# program quits cleanly.  A mixed batch (a secret USB stick, a
# confidential SD card, a medium never enrolled) shows each medium's
# destinations and the rules against the others, is split rather than
# forced to destruction, and asks before an unenrolled medium goes to
# destruction; destroyed media cannot be marked; F6 asks before stopping.
# Then --demo: only the demo station's virtual media are offered, never
# the test's loop devices.
. "$top_srcdir/tests/lib.sh"
t_init tui
t_need_root
t_need_cmd tmux losetup cmp jq

# fontconfig (PDF rendering) keeps its caches for the life of the process
export LSAN_OPTIONS="suppressions=$top_srcdir/tests/lsan-cert.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"

SOCK="custos-tui-$$"
RC_FILE="$T_TMP/tui.rc"
trap 'tmux -L "$SOCK" kill-server 2>/dev/null; t_cleanup' EXIT

. "$top_srcdir/tests/tui-lib.sh"

# from the sanitize dialog's first field to the first confirmation field
# (profile, verification, operator, operator title, validator, validator
# title, the first medium's destination); each medium then has its
# destination and its confirmation
to_confirm() { keys Tab Tab Tab Tab Tab Tab Tab; }
# the whole sanitize dialog, scrolled through with PgDn (it may not fit)
dialog_text() {
	local i
	keys PPage PPage PPage PPage
	for ((i = 0; i < 8; i++)); do
		screen
		keys NPage
	done
	keys PPage PPage PPage PPage PPage PPage PPage PPage
}

# go to the medium named $1 with the media screen's find key (the list may
# hold more media than fit: other tests' loop devices); retried for
# [SECONDS], as a medium just plugged in appears within the poll interval
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

"$CUSTOS" init --org "Test Office 测试单位" --station ws-test >/dev/null ||
	t_fail "custos init failed"

LOOP1=$(t_loop 16) || t_skip "no loop device"
N1=${LOOP1#/dev/}

# a stand-in for CUPS's lp that fails as lp does without a scheduler
mkdir -p "$T_TMP/bin"
printf '#!/bin/sh\necho "lp: Error - Scheduler Not Running." >&2\nexit 1\n' >"$T_TMP/bin/lp"
chmod +x "$T_TMP/bin/lp"

tm new-session -d -s tui -x 80 -y 24 \
	"env LANG=C.UTF-8 TERM=screen CUSTOS_STATE_DIR='$CUSTOS_STATE_DIR' \
	PATH='$T_TMP/bin:$PATH' CUSTOS_OPERATOR='王五' \
	LSAN_OPTIONS='$LSAN_OPTIONS' \
	CUSTOS_PROFILE_DIR='${CUSTOS_PROFILE_DIR:-$top_srcdir/profiles}' \
	'$CUSTOS' tui 2>'$T_TMP/stderr'; echo \$? >'$RC_FILE'; sleep 2" ||
	t_fail "cannot start tmux"

wait_for "F10/q Quit"
find_medium "$N1" 5
wait_for "$N1 "
t_ok "first loop device listed"

# plug a second medium in: the monitor must notice it without a key press
LOOP2=$(t_loop 16) || t_skip "no loop device"
N2=${LOOP2#/dev/}
printf 'CUSTOS TUI TEST MARKER' | dd of="$LOOP2" conv=notrunc status=none ||
	t_fail "cannot write the marker"
find_medium "$N2" 10
wait_for "$N2 "
t_ok "second loop device appeared"

# enrol it: asset tag, class internal, a Chinese custodian
find_medium "$N2"
keys e
wait_for "Enrol medium"
keys "TUI-TEST-1" Tab Right Tab "测试员" Tab "保密办"
keys Enter
wait_for "enrolled as M-"
wait_for "internal"
wait_for "测试员"
t_ok "enrolled"

# the operator is the station's; a validator must be a second person
find_medium "$N2"
keys w
wait_for "ALL DATA WILL BE DESTROYED on $N2"
wait_for "< zero >"
wait_for "王五"
keys Tab Tab Tab Tab " 王五 " Tab Tab Tab "nope" Enter
wait_for "must be a second person"
screen | grep -q "1 job running" && t_fail "a job started with the operator as validator"
for ((i = 0; i < 4; i++)); do keys BSpace; done
keys "李四" Tab "保密员"
t_ok "validator checked against the operator"

# a wrong confirmation starts nothing
keys Tab Enter
wait_for "does not match"
screen | grep -q "1 job running" && t_fail "a job started without confirmation"
head -c 22 "$LOOP2" | grep -q "CUSTOS TUI TEST MARKER" || t_fail "the medium was touched"
t_ok "wrong confirmation refused"

# the right one: the device name of a virtual (loop) medium
keys BSpace BSpace BSpace BSpace
keys "$N2" Enter
wait_for "done: erased" 60
wait_for "certificate " 5
cmp -s -n $((16 << 20)) "$LOOP2" /dev/zero || t_fail "$LOOP2 is not all zero after the wipe"
t_ok "wiped with the zero profile"
CERT_JSON=$(ls "$CUSTOS_STATE_DIR"/certs/*.json 2>/dev/null | head -1)
[ -n "$CERT_JSON" ] || t_fail "no certificate file"
for who in '"name": "王五"' '"name": "李四"' '"title": "保密员"'; do
	tr -d '\n' <"$CERT_JSON" | sed 's/, *"/, "/g; s/: */: /g' | grep -qF "$who" ||
		t_fail "the certificate does not hold $who"
done
t_ok "operator and validator on the certificate"

# the certificate of the selected medium
find_medium "$N2"
keys c
wait_for "outcome erased"
wait_for "CERTIFICATE OF SANITIZATION"
screen | grep -qE -- "-20[0-9]{2}-[0-9]{6}" || t_fail "no certificate number shown"
ls "$CUSTOS_STATE_DIR"/certs/*.json >/dev/null 2>&1 || t_fail "no certificate file"
t_ok "certificate shown"

# printing when CUPS cannot: the cause and what to check, not an lp status
keys p
wait_for "Any key closes." 10
wait_for "CUPS scheduler running"
keys Escape
t_ok "printing error explained"

keys Escape
wait_for "F10/q Quit"

# the register is checked again when the job would start (finish_check): a
# medium marked lost meanwhile (here by the CLI, while the dialog is open)
# is refused in the dialog and left untouched
printf 'CUSTOS TUI REFUSAL MARKER' | dd of="$LOOP2" conv=notrunc status=none ||
	t_fail "cannot write the marker"
find_medium "$N2"
keys w
wait_for "ALL DATA WILL BE DESTROYED on $N2"
"$CUSTOS" -y lost TUI-TEST-1 --note "tui test" >/dev/null || t_fail "custos lost failed"
to_confirm
keys "$N2" Enter
# the whole refusal in the error notice (too long for the message line)
wait_for "Any key closes."
wait_for "lifecycle rule"
screen | grep -q "is lost" || t_fail "the refusal does not say the medium is lost"
keys Escape
# then the dialog, still open, shows it at the medium's confirmation
wait_for "ALL DATA WILL BE DESTROYED on $N2"
wait_for "Confirm $N2 lifecycle rule"
wait_for "$N2 not started"
screen | grep -q "1 job running" && t_fail "a job started on a lost medium"
head -c 25 "$LOOP2" | grep -q "CUSTOS TUI REFUSAL MARKER" || t_fail "the refused medium was touched"
keys Escape
wait_for "F10/q Quit"
t_ok "a lost medium is refused before anything is written"

# two media wiped together, one failing (its backing file lives on a full
# tmpfs): that job turns red, the other one completes
mkdir -p "$T_TMP/small"
mount -t tmpfs -o size=4m tmpfs "$T_TMP/small" || t_fail "cannot mount a tmpfs"
printf '%s\n' "$T_TMP/small" >> "$T_TMP/.mounts"
truncate -s 16M "$T_TMP/small/bad.img"
LOOP3=$(losetup --find --show "$T_TMP/small/bad.img") || t_skip "cannot attach a loop device"
echo "$LOOP3" >> "$T_TMP/.loops"
N3=${LOOP3#/dev/}
LOOP4=$(t_loop 16) || t_skip "no loop device"
N4=${LOOP4#/dev/}
find_medium "$N3" 10
keys Space
find_medium "$N4" 10
keys Space
keys w
wait_for "ALL DATA WILL BE DESTROYED on"
# the confirmation fields follow the list's order
TARGETS=$(screen | grep -o "Confirm loop[0-9]*" | cut -d' ' -f2)
WANT=$(printf '%s\n' "$N3" "$N4" | sort | tr '\n' ' ')
[ "$(echo "$TARGETS" | sort | tr '\n' ' ')" = "$WANT" ] ||
	t_fail "the dialog does not list exactly $N3 and $N4: $TARGETS"
to_confirm
for n in $TARGETS; do
	keys "$n" Tab Tab
done
keys Enter
# status line under the medium's row
status_of() { screen | grep -A1 -E "^.{4}$1 " | tail -1; }
# wait_status NAME TEXT: until the status of medium NAME shows TEXT (60 s)
wait_status() {
	local i
	for ((i = 0; i < 100; i++)); do
		find_medium "$1" 1 >/dev/null
		status_of "$1" | grep -qF -- "$2" && return 0
		sleep 0.2
	done
	screen >&2
	t_fail "the status of $1 does not show '$2'"
}
wait_status "$N3" "FAILED"
status_of "$N3" | grep -q "No space left on device" || t_fail "no cause shown for $N3"
wait_status "$N4" "done: erased"
cmp -s -n $((16 << 20)) "$LOOP4" /dev/zero || t_fail "$LOOP4 is not all zero"
t_ok "a failing medium turns red, the other completes"

# A mixed batch: a secret USB stick and a confidential SD card (their
# kinds as the register records them) and a medium never enrolled, marked
# together.  With the zero profile (a Clear) the policy lets the first two
# go only to destruction, the third anywhere: the dialog shows that per
# medium with the rules, and nothing is forced to destruction.
LOOP5=$(t_loop 16) || t_skip "no loop device"
LOOP6=$(t_loop 16) || t_skip "no loop device"
LOOP7=$(t_loop 16) || t_skip "no loop device"
N5=${LOOP5#/dev/} N6=${LOOP6#/dev/} N7=${LOOP7#/dev/}
"$CUSTOS" enroll "$LOOP5" --class secret --type usb-flash --asset-tag MIX-USB >/dev/null ||
	t_fail "cannot enrol $LOOP5"
"$CUSTOS" enroll "$LOOP6" --class confidential --type sd-mmc --asset-tag MIX-SD >/dev/null ||
	t_fail "cannot enrol $LOOP6"
for d in "$LOOP5" "$LOOP6" "$LOOP7"; do
	printf 'CUSTOS MIXED MARKER' | dd of="$d" conv=notrunc status=none ||
		t_fail "cannot write the marker"
done
keys g
for n in "$N5" "$N6" "$N7"; do
	find_medium "$n" 10
	keys Space
done
keys w
wait_for "ALL DATA WILL BE DESTROYED on"
TEXT=$(dialog_text)
for n in "$N5" "$N6" "$N7"; do
	grep -qF "Destination $n" <<<"$TEXT" || { echo "$TEXT" >&2; t_fail "no destination for $n"; }
done
# each medium: what its plan allows, and the rule against the rest
grep -A1 -E "$N5 +M-[0-9]+ +secret +virtual" <<<"$TEXT" |
	grep -qF "allowed with zero: destruction" ||
	{ echo "$TEXT" >&2; t_fail "$N5 (secret USB) does not show destruction as its only destination"; }
grep -A1 -E "$N6 +M-[0-9]+ +confidential +virtual" <<<"$TEXT" |
	grep -qF "allowed with zero: destruction" ||
	{ echo "$TEXT" >&2; t_fail "$N6 (confidential SD) does not show destruction only"; }
grep -A1 -E "$N7 +not enrolled +internal \(assumed\)" <<<"$TEXT" |
	grep -qF "allowed with zero: internal-reuse, external-reuse" ||
	{ echo "$TEXT" >&2; t_fail "$N7 (not enrolled) does not show its own destinations"; }
[ "$(grep -c "  no internal-reuse" <<<"$TEXT")" -ge 2 ] ||
	{ echo "$TEXT" >&2; t_fail "no rule shown against internal-reuse"; }
grep -q "only destruction is allowed" <<<"$TEXT" || t_fail "the dialog does not say why"
# nothing chosen for them: the two that may only be destroyed are left
# out, the unenrolled one goes to internal reuse
grep -qE "Destination $N5 +< leave out >" <<<"$TEXT" || t_fail "$N5 is not left out"
grep -qE "Destination $N6 +< leave out >" <<<"$TEXT" || t_fail "$N6 is not left out"
grep -qE "Destination $N7 +< internal-reuse >" <<<"$TEXT" ||
	t_fail "$N7 is not offered internal reuse"
t_ok "mixed batch: per-medium destinations and reasons, nothing forced to destruction"

# choose $1 for the choice field in focus whose line shows $2 (Left cycles)
choose() {
	local i
	for ((i = 0; i < 30; i++)); do
		screen | grep -qE -- "$2 +< $1 >" && return 0
		keys Left
	done
	screen >&2
	t_fail "cannot choose $1 for $2"
}

# the unenrolled medium sent to destruction: its own question; no = nothing starts
# (fields: 6 heads, then destination and confirmation of $N5, $N6, $N7)
to_confirm
keys Tab Tab Tab               # $N7's destination
choose destruction "Destination $N7"
keys Tab "$N7" Enter
wait_for "never enrolled, sent to DESTRUCTION"
keys n
wait_for "ALL DATA WILL BE DESTROYED on"
sleep 1
screen | grep -qE "[1-9][0-9]* jobs? running" && t_fail "a job started although the question was answered no"
for d in "$LOOP5" "$LOOP6" "$LOOP7"; do
	head -c 19 "$d" | grep -q "CUSTOS MIXED MARKER" || t_fail "$d was touched"
done
t_ok "an unenrolled medium is not committed to destruction without its own question"

# the split: $N5 to destruction (chosen), $N6 left out, $N7 to internal reuse
keys Escape
wait_for "F10/q Quit"
keys w
wait_for "ALL DATA WILL BE DESTROYED on"
to_confirm
keys BTab                      # $N5's destination
choose destruction "Destination $N5"
keys Tab "$N5" Tab Tab Tab     # $N7's destination, left at internal reuse
screen | grep -qE "Destination $N7 +< internal-reuse >" || t_fail "$N7 is not at internal reuse"
keys Tab "$N7" Enter
# $N5 was erased and now awaits destruction: the register's word shows
wait_status "$N5" "is awaiting-destruction: no wipe"
status_of "$N5" | grep -q "last wipe: era" || t_fail "$N5 does not show its last wipe"
wait_status "$N7" "done: erased"
head -c 19 "$LOOP6" | grep -q "CUSTOS MIXED MARKER" || t_fail "$LOOP6 (left out) was touched"
"$CUSTOS" register show MIX-USB | grep -q "awaiting-destruction" ||
	t_fail "$N5 is not awaiting destruction"
"$CUSTOS" register list | grep "^U-" | grep -q "awaiting-destruction" &&
	t_fail "the unenrolled medium was committed to destruction"
t_ok "the batch is split by destination"

# media the register forbids cannot be marked: the reason shows at once
"$CUSTOS" -y destroy MIX-USB --method shred --place office --witness 甲 --witness 乙 \
	--operator 王五 >/dev/null || t_fail "custos destroy failed"
keys g
find_medium "$N5" 5
for ((i = 0; i < 20; i++)); do
	status_of "$N5" | grep -q "M-[0-9]* is destroyed: no wipe" && break
	sleep 0.2
done
status_of "$N5" | grep -q "M-[0-9]* is destroyed: no wipe" ||
	{ screen >&2; t_fail "$N5 does not show it is destroyed"; }
keys Space
wait_for "$N5 cannot be marked: M-"
screen | grep -qE "^\[x\] +$N5 " && t_fail "a destroyed medium was marked"
keys w
wait_for "$N5 cannot be wiped"
screen | grep -q "ALL DATA WILL BE DESTROYED" && t_fail "the dialog opened for a destroyed medium"
t_ok "a destroyed medium cannot be marked, and says so at once"

# a run killed mid-wipe (kill -9 of the command line) leaves its medium
# sanitizing: the screen shows it as interrupted, and it may be wiped again
LOOP9=$(t_loop 2048) || t_skip "no loop device"
N9=${LOOP9#/dev/}
"$CUSTOS" -y sanitize "$LOOP9" --profile dod-7pass --operator 王五 >/dev/null 2>&1 &
CLI_PID=$!
for ((i = 0; i < 100; i++)); do
	"$CUSTOS" register list 2>/dev/null | grep -q "sanitizing" && break
	sleep 0.1
done
sleep 0.5
kill -9 "$CLI_PID" 2>/dev/null
wait "$CLI_PID" 2>/dev/null
"$CUSTOS" register list | grep -q "interrupted" || { "$CUSTOS" register list >&2
	t_fail "the killed run is not listed as interrupted"; }
keys g
wait_status "$N9" "INTERRUPTED"
find_medium "$N9"
screen | grep -qE "^\[ \] +$N9 " || { screen >&2; t_fail "an interrupted medium cannot be marked"; }
t_ok "a medium whose run was killed shows as interrupted"

# F6 asks before stopping a wipe; no keeps it running, yes stops it (aborted)
LOOP8=$(t_loop 2048) || t_skip "no loop device"
N8=${LOOP8#/dev/}
find_medium "$N8" 10
keys w
wait_for "ALL DATA WILL BE DESTROYED on $N8"
choose dod-7pass "Profile \\*"   # seven passes over 2 GiB: it runs long enough
to_confirm
keys "$N8" Enter
wait_status "$N8" "pass "
keys x
wait_for "Stop the wipe of $N8 now?"
keys n
sleep 0.5
status_of "$N8" | grep -q "pass " || { screen >&2; t_fail "the wipe stopped on no"; }
keys x
wait_for "Stop the wipe of $N8 now?"
keys y
wait_status "$N8" "aborted"
IMG8=$(losetup -nO BACK-FILE "$LOOP8" | sed 's/ *$//')
REF8=$("$CUSTOS" register list --json |
	jq -r --arg f "$IMG8" '.[] | select(.backing_file == $f) | .register_no')
[ -n "$REF8" ] || t_fail "the stopped run of $N8 is not in the register"
"$CUSTOS" register history "$REF8" >"$T_TMP/history8" || t_fail "no history for $REF8"
grep -q "sanitize-started" "$T_TMP/history8" && grep -A1 "not-erased" "$T_TMP/history8" |
	grep -q "outcome: aborted" || { cat "$T_TMP/history8" >&2; t_fail "the stop is not recorded aborted"; }
t_ok "F6 asks before stopping; a stop is recorded aborted"

keys q
for ((i = 0; i < 50; i++)); do
	[ -s "$RC_FILE" ] && break
	sleep 0.1
done
[ -s "$RC_FILE" ] || t_fail "custos tui did not quit"
if [ "$(cat "$RC_FILE")" != 0 ]; then
	cat "$T_TMP/stderr" >&2
	t_fail "custos tui exited with $(cat "$RC_FILE")"
fi
t_ok "quit"

# --demo: the demo station's virtual media only; the loop devices this
# test attached (eligible, and listed above) are not offered at all
DEMO_DIR="$T_TMP/demo-state"
rm -f "$RC_FILE"
tm new-session -d -s demo -x 80 -y 24 \
	"env LANG=C.UTF-8 TERM=screen CUSTOS_STATE_DIR='$DEMO_DIR' \
	LSAN_OPTIONS='$LSAN_OPTIONS' \
	CUSTOS_PROFILE_DIR='${CUSTOS_PROFILE_DIR:-$top_srcdir/profiles}' \
	'$CUSTOS' tui --demo 2>'$T_TMP/stderr'; echo \$? >'$RC_FILE'; sleep 2" ||
	t_fail "cannot start tmux"
TUI_SESSION=demo
wait_for "[DEMO]"
for f in usb-stick-1 laptop-disk sd-card.img; do
	wait_for "$f"
done
sleep 1	# a second listing (the monitor's) changes nothing
screen | grep -q "loop[0-9]" && { screen >&2; t_fail "--demo lists a loop device"; }
for n in "$N1" "$N4"; do
	keys / "$n" Enter
	wait_for "no medium matches \"$n\""
done
[ "$(screen | grep -cE '^\[.\] ')" = 3 ] || { screen >&2; t_fail "--demo lists more than its media"; }
t_ok "--demo offers only the demo station's virtual media"

keys q
for ((i = 0; i < 50; i++)); do
	[ -s "$RC_FILE" ] && break
	sleep 0.1
done
[ "$(cat "$RC_FILE" 2>/dev/null)" = 0 ] || { cat "$T_TMP/stderr" >&2; t_fail "--demo did not quit"; }
exit 0
