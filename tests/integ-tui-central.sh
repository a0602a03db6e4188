#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The station screen with a central register (issue 16, point 3), at 80x24
# in tmux against its own PostgreSQL server (as integ-pg.sh starts it):
# media enrolled at station WS-A (CLI) are plugged in at station WS-B as
# image files in B's virtual/ directory.  B's screen shows A's
# classification and "enrolled at station WS-A", refuses to enrol them
# again, issues one from the register browser (received into B's register
# first: the events land in its one history at the centre), applies A's
# classification to the wipe dialog's policy, and, with the server
# stopped, says why an unknown medium can be neither enrolled nor wiped.
. "$top_srcdir/tests/lib.sh"
t_init tui-central
t_need_root
t_need_cmd tmux jq psql python3
PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
[ -x "$PGBIN/initdb" ] || t_skip "needs PostgreSQL (Debian: postgresql)"
id postgres >/dev/null 2>&1 || t_skip "needs the postgres user"
C=$CUSTOS
"$C" register init-server >/dev/null 2>&1 || t_skip "custos built without libpq"

export LSAN_OPTIONS="suppressions=$top_srcdir/tests/lsan-cert.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
SOCK="custos-tui-central-$$"
RC_FILE="$T_TMP/tui.rc"
PGD=$(mktemp -d /tmp/custos-pgtui.XXXXXX)
chown postgres: "$PGD"
PORT=5440
pg_stop() {
	runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGD/data" -m immediate stop >/dev/null 2>&1
}
cleanup_all() {
	tmux -L "$SOCK" kill-server 2>/dev/null
	pg_stop
	rm -rf "$PGD"
	t_cleanup
}
trap cleanup_all EXIT
runuser -u postgres -- "$PGBIN/initdb" -D "$PGD/data" -U postgres --auth=trust \
	-E UTF8 --locale=C.UTF-8 >/dev/null || t_fail "initdb"
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGD/data" -l "$PGD/log" -w \
	-o "-c listen_addresses='' -c unix_socket_directories='$PGD' -p $PORT" \
	start >/dev/null || { cat "$PGD/log" >&2; t_fail "cannot start PostgreSQL"; }
SU="host=$PGD port=$PORT dbname=custos user=postgres"
sql() { psql -X -q -v ON_ERROR_STOP=1 -At "$SU" -c "$1"; }
psql -X -q "host=$PGD port=$PORT dbname=postgres user=postgres" -c "CREATE DATABASE custos" ||
	t_fail "create database"
"$C" register init-server --apply "$SU" >/dev/null || t_fail "init-server --apply"
for s in a b; do sql "CREATE ROLE ws_$s LOGIN IN ROLE custos_station" >/dev/null; done

A=$T_TMP/st/a
B=$T_TMP/st/b
for s in a b; do
	"$C" -d "$T_TMP/st/$s" init --org "Test Court" --station "WS-${s^^}" \
		--register "host=$PGD port=$PORT dbname=custos user=ws_$s" >/dev/null ||
		t_fail "init $s"
done
# the media are image files, each with its serial number (the extended
# attribute user.custos.serial, as a stick has one): enrolled at A, then
# carried to B (moved into B's virtual/ directory).  The centre recognises
# them by serial, never by a file's path.
mkdir -p "$A/virtual" "$B/virtual"
for m in sec top wip; do
	truncate -s 4M "$A/virtual/m-$m.img"
	python3 -c 'import os, sys; os.setxattr(sys.argv[1], "user.custos.serial", sys.argv[2].encode())' \
		"$A/virtual/m-$m.img" "VSER-$m" || t_skip "no user extended attributes here"
done
"$C" -d "$A" enroll "$A/virtual/m-sec.img" --class secret --asset-tag TAG-S \
	--custodian "Zhang San" >/dev/null 2>"$T_TMP/enroll.err" ||
	{ cat "$T_TMP/enroll.err"; t_fail "enrol m-sec at A"; }
"$C" -d "$A" enroll "$A/virtual/m-top.img" --class top-secret --asset-tag TAG-T \
	>/dev/null 2>"$T_TMP/enroll.err" || { cat "$T_TMP/enroll.err"; t_fail "enrol m-top at A"; }
"$C" -d "$A" enroll "$A/virtual/m-wip.img" --class secret --asset-tag TAG-W \
	>/dev/null 2>"$T_TMP/enroll.err" || { cat "$T_TMP/enroll.err"; t_fail "enrol m-wip at A"; }
"$C" -d "$A" -j register show TAG-S | jq -e '.serial == "VSER-sec"' >/dev/null ||
	t_fail "the image's serial number was not recorded"
mv "$A/virtual/"m-*.img "$B/virtual/" || t_fail "carry the media to B"
NO_S=$("$C" -d "$A" -j register show TAG-S | jq -r .register_no)
[ "$(sqlite3 "$B/register.db" "SELECT count(*) FROM media" 2>/dev/null || echo 0)" = 0 ] ||
	t_fail "B's register is not empty"
t_ok "three media enrolled at WS-A by serial number, carried to WS-B's virtual/"

. "$top_srcdir/tests/tui-lib.sh"
# select the medium named $1 (a file: its details show its path)
find_medium() {
	local i
	for ((i = 0; i < ${2:-5} * 2; i++)); do
		keys /
		keys "$1" Enter
		screen | grep -qE "Details: .*/$1( |$)" && return 0
		sleep 0.2
	done
	wait_for "Details: $B/virtual/$1" 1
}


tm new-session -d -s tui -x 80 -y 24 \
	"env LANG=C.UTF-8 LC_ALL= LANGUAGE= TERM=screen CUSTOS_STATE_DIR='$B' \
	CUSTOS_OPERATOR='Op B' LSAN_OPTIONS='$LSAN_OPTIONS' \
	CUSTOS_PROFILE_DIR='${CUSTOS_PROFILE_DIR:-$top_srcdir/profiles}' \
	'$C' tui 2>'$T_TMP/stderr'; echo \$? >'$RC_FILE'; sleep 2" ||
	t_fail "cannot start tmux"
wait_for "F10/q Quit"
find_medium m-sec.img
wait_for "Enrolled at station WS-A as $NO_S (central register)"
wait_for "Class secret (highest secret)  state in-stock"
wait_for "Custodian Zhang San"
# the row: A's register number and class, and where it was enrolled
screen | grep -qE "m-sec\.img .*$NO_S +secret" || { screen >&2; t_fail "row without A's class"; }
wait_for "(enrolled at station WS-A: in-stock, Zhang San)"
screen | grep -qE "m-sec\.img .*not enrolled" && { screen >&2; t_fail "A's medium shown as not enrolled"; }
t_ok "B's screen shows A's medium with its classification, enrolled at WS-A"

keys e
wait_for "Already enrolled at station WS-A as $NO_S"
wait_for "It is not enrolled again here"
keys Escape
[ "$(sqlite3 "$B/register.db" "SELECT count(*) FROM media")" = 0 ] ||
	t_fail "the enrol dialog wrote to B's register"
t_ok "enrolling it again at B is refused and explained"

# the register browser: A's media plugged in here follow B's own (none)
keys r
wait_for "TAG-S      @WS-A Zhang S"
keys / TAG-S Enter
wait_for "1 of 3"
keys Enter
wait_for "its history is in the central register"
keys i
wait_for "Issue medium"
keys "Holder B" Enter
wait_for "issue recorded (enrolled at station WS-A: received here as M-"
keys Escape
wait_for "F10/q Quit"
# the central register has it in the one history of A's medium
"$C" -d "$A" -j register find TAG-S >"$T_TMP/find.json" || t_fail "register find TAG-S"
jq -e '[.[] | select(.station == "WS-A")][0].history | map(.station + ":" + .kind) |
	index("WS-A:enrolled") != null and index("WS-B:received") != null and
	index("WS-B:issued") != null' "$T_TMP/find.json" >/dev/null ||
	{ jq -c '.[] | [.station, (.history | map(.station + ":" + .kind))]' "$T_TMP/find.json"
	  t_fail "the issue at B is not in the one history"; }
"$C" -d "$B" -j register show TAG-S | jq -e '.id > 0 and .classification == "secret" and
	.state == "issued" and .holder == "Holder B"' >/dev/null || t_fail "B's received row"
[ "$(sql "SELECT count(*) FROM events WHERE station = 'WS-B' AND kind = 'issued'")" = 1 ] ||
	t_fail "the issue was not sent to the central register"
"$C" -d "$B" register verify >/dev/null || t_fail "B's register verify"
t_ok "issue on B's screen: received first, one history at the centre"

# now B's own: the details are its local row and history
find_medium m-sec.img
wait_for "holder Holder B"
wait_for "issued"
# the policy with A's classification: a top-secret medium from A is not
# offered for reuse outside the office at B
find_medium m-top.img
wait_for "Enrolled at station WS-A as"
screen | grep -qE "m-top\.img .* top-secret" || { screen >&2; t_fail "m-top row"; }
keys w
wait_for "ALL DATA WILL BE DESTROYED on m-top.img"
wait_for "m-top.img  M-000002  top-secret  virtual"
screen | grep -q "(assumed)" && { screen >&2; t_fail "the wipe dialog assumed a class"; }
wait_for "allowed with zero: destruction"
screen | grep -F "allowed with" | grep -qE "reuse|recycling|manufacturer" &&
	{ screen >&2; t_fail "top-secret medium offered for reuse"; }
wait_for "enrolled at station WS-A (central register): received"
keys Escape
wait_for "F10/q Quit"
t_ok "the wipe dialog applies A's top-secret class"

# one history at the centre for TAG-$1: the events WS-B recorded ($2...)
central_history() {
	local ref=$1 k
	shift
	"$C" -d "$A" -j register find "$ref" >"$T_TMP/find.json" || t_fail "register find $ref"
	for k in WS-A:enrolled WS-B:received "$@"; do
		jq -e --arg k "$k" '[.[] | select(.station == "WS-A")][0].history |
			map(.station + ":" + .kind) | index($k) != null' "$T_TMP/find.json" \
			>/dev/null || { jq -c '.[] | [.station, (.history | map(.station + ":" +
			.kind))]' "$T_TMP/find.json"; t_fail "$ref: no $k in its one history"; }
	done
}

# destruction of A's top-secret medium from B's register browser
keys r
wait_for "Register:"
keys / Escape / TAG-T Enter
wait_for "1 of 3"
keys d
wait_for "Record physical destruction"
keys Tab "Room B" Tab "Li Si，Wang Wu" Enter
wait_for "destruction recorded, certificate"
keys Escape
wait_for "F10/q Quit"
central_history TAG-T WS-B:destroyed
"$C" -d "$B" -j register show TAG-T | jq -e '.classification == "top-secret" and
	.state == "destroyed"' >/dev/null || t_fail "B's row of TAG-T"
t_ok "destruction on B's screen: received first, one history at the centre"

# a wipe from B's screen of A's medium: the run receives it first
find_medium m-wip.img
wait_for "(enrolled at station WS-A: in-stock)"
keys w
wait_for "ALL DATA WILL BE DESTROYED on m-wip.img"
wait_for "m-wip.img  M-000003  secret  virtual  -> "
keys Tab Tab Tab Tab Tab Tab Tab "m-wip.img" Enter
wait_for "done: erased" 60
central_history TAG-W WS-B:sanitize-started WS-B:sanitized
"$C" -d "$B" -j register show TAG-W | jq -e '.classification == "secret" and
	.state == "sanitized"' >/dev/null || t_fail "B's row of TAG-W"
t_ok "a wipe on B's screen of A's medium joins its one history"

# the central register stopped: an unknown medium is neither enrolled nor
# wiped, and the screen says why (at once, no hang)
pg_stop
truncate -s 4M "$B/virtual/new.img"
keys g
find_medium new.img 10
wait_for "No enrolment or" 15
wait_for "wipe until the central register answers"
screen | grep -qE "register and the central register (was unreachable|cannot say)" ||
	{ screen >&2; t_fail "the reason is not shown"; }
keys w
wait_for "new.img cannot be wiped" 5
close_notice
keys e
wait_for "new.img cannot be enrolled now" 5
close_notice
screen | grep -q "Enrol medium" && { screen >&2; t_fail "enrol form opened"; }
t_ok "central register down: an unknown medium is refused, the screen says why"

keys q
for ((i = 0; i < 100; i++)); do [ -s "$RC_FILE" ] && break; sleep 0.1; done
[ "$(cat "$RC_FILE" 2>/dev/null)" = 0 ] || { cat "$T_TMP/stderr" >&2; t_fail "custos tui exit"; }
t_ok "quit"
