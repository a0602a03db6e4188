#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# One register for the organisation (issue 16): starts its own PostgreSQL
# server (Debian's postgresql, run as user postgres in a mktemp dir, unix
# socket only), sets it up with `custos register init-server --apply`,
# then three stations (three state dirs, three processes at once) record
# into it.  Stops the server on exit.
. "$top_srcdir/tests/lib.sh"
t_init pg
t_need_root
t_need_cmd jq psql sqlite3 openssl
PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
[ -x "$PGBIN/initdb" ] || t_skip "needs PostgreSQL (Debian: postgresql)"
id postgres >/dev/null 2>&1 || t_skip "needs the postgres user"
C=$CUSTOS
N=${PG_EVENTS:-300}
"$C" register init-server >/dev/null 2>&1 || t_skip "custos built without libpq"

PGD=$(mktemp -d /tmp/custos-pgsrv.XXXXXX)
chown postgres: "$PGD"
PORT=5439
pg_stop() {
	runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGD/data" -m immediate stop >/dev/null 2>&1
}
pg_start() {
	runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGD/data" -l "$PGD/log" -w \
		-o "-c listen_addresses='' -c unix_socket_directories='$PGD' -p $PORT -c fsync=on" \
		start >/dev/null || { cat "$PGD/log" >&2; t_fail "cannot start PostgreSQL"; }
}
cleanup_all() {
	pg_stop
	rm -rf "$PGD"
	t_cleanup
}
trap cleanup_all EXIT
runuser -u postgres -- "$PGBIN/initdb" -D "$PGD/data" -U postgres --auth=trust \
	-E UTF8 --locale=C.UTF-8 >/dev/null || t_fail "initdb"
pg_start
SU="host=$PGD port=$PORT dbname=custos user=postgres"
sql() { psql -X -q -v ON_ERROR_STOP=1 -At "host=$PGD port=$PORT dbname=custos user=${2:-postgres}" -c "$1"; }
psql -X -q "host=$PGD port=$PORT dbname=postgres user=postgres" -c "CREATE DATABASE custos" ||
	t_fail "create database"

# --- init-server: print, apply (twice: idempotent), login roles
"$C" register init-server | grep -q "CREATE TABLE IF NOT EXISTS events" || t_fail "init-server prints no schema"
"$C" register init-server --apply "$SU" >/dev/null || t_fail "init-server --apply"
"$C" register init-server --apply "$SU" >/dev/null || t_fail "init-server --apply again"
# a centre set up before the media fields grew (origin_*): --apply adds them
sql "ALTER TABLE media DROP COLUMN origin_register_no" ||
	t_fail "drop columns"
"$C" register init-server --apply "$SU" >/dev/null || t_fail "init-server --apply on an older centre"
[ "$(sql "SELECT count(*) FROM information_schema.columns WHERE table_name = 'media'
	AND column_name = 'origin_register_no'")" = 1 ] ||
	t_fail "init-server --apply did not add the media fields an older centre lacks"
# stations a to d claim their names at their first push (as after a migration),
# e is mapped beforehand by --add-station (which creates its login role)
for s in a b c d; do sql "CREATE ROLE ws_$s LOGIN IN ROLE custos_station" >/dev/null; done
"$C" register init-server --add-station WS-E --login ws_e | grep -q "GRANT custos_station TO ws_e" ||
	t_fail "init-server --add-station prints no grant"
"$C" register init-server --add-station WS-E --login ws_e --apply "$SU" >/dev/null ||
	t_fail "init-server --add-station --apply"
[ "$(sql "SELECT login FROM station_logins WHERE station = 'WS-E'")" = ws_e ] ||
	t_fail "--add-station did not map WS-E to ws_e"
! "$C" register init-server --add-station WS-X --login 'x; DROP TABLE events' >/dev/null 2>&1 ||
	t_fail "init-server --add-station took a bad role name"
sql "CREATE ROLE audit LOGIN IN ROLE custos_auditor" >/dev/null
t_ok "init-server sets up schema, roles and a station's login"

conn() { echo "host=$PGD port=$PORT dbname=custos user=ws_$1"; }
S=$T_TMP/st
for s in a b c; do
	"$C" -d "$S/$s" init --org "Test Court" --station "WS-${s^^}" --register "$(conn $s)" \
		>/dev/null || t_fail "init $s"
	mkdir -p "$S/$s/virtual"
	truncate -s 4M "$S/$s/virtual/m-$s.img"
	"$C" -d "$S/$s" enroll "$S/$s/virtual/m-$s.img" --class secret --asset-tag "TAG-$s" \
		>/dev/null 2>"$T_TMP/enroll.err" || { cat "$T_TMP/enroll.err"; t_fail "enroll at $s"; }
done
"$C" -d "$S/a" -j station | jq -e '.register' >/dev/null || t_fail "station shows no register"

# --- 3 x N custody events at once, each command pushing what it wrote
custody_loop() { # STATION COUNT
	local i
	for ((i = 0; i < $2; i += 2)); do
		"$C" -d "$S/$1" issue "TAG-$1" --to "Holder $1" >/dev/null 2>&1 || return 1
		"$C" -d "$S/$1" return "TAG-$1" >/dev/null 2>&1 || return 1
	done
}
t0=$(date +%s)
pids=""
for s in a b c; do custody_loop $s "$N" & pids="$pids $!"; done
for p in $pids; do wait "$p" || t_fail "a station's custody loop failed"; done
for s in a b c; do
	loc=$(sqlite3 "$S/$s/register.db" "SELECT count(*) FROM events")
	cen=$(sql "SELECT count(*) FROM events WHERE station = 'WS-${s^^}'")
	[ "$loc" = "$cen" ] || t_fail "station $s: $loc local events, $cen central"
	[ "$loc" -ge $((N + 1)) ] || t_fail "station $s: only $loc events"
	"$C" -d "$S/$s" register verify --against >/dev/null || t_fail "verify --against at $s"
done
"$C" -d "$S/a" register verify --central >"$T_TMP/v.out" || { cat "$T_TMP/v.out"; t_fail "central verify"; }
"$C" -d "$S/a" register verify --central --all-signatures >/dev/null || t_fail "central verify --all-signatures"
t_ok "3 x $N custody events at once, 0 lost, verify passes ($(( $(date +%s) - t0 )) s)"

# --- one medium across stations: enrolled at A, sanitized at B
# a medium in a directory of virtual media both stations use (virtual_media_dirs)
SH=$T_TMP/shared
mkdir -p "$SH"
truncate -s 4M "$SH/m-shared.img"
for s in a b; do echo "virtual_media_dirs=$SH" >>"$S/$s/station.conf"; done
"$C" -d "$S/a" enroll "$SH/m-shared.img" --class secret --asset-tag TAG-s >/dev/null ||
	t_fail "enroll the shared medium at A"
# a file's path is local to its machine: B does not take A's row for the
# file at that path (it is received at B by its asset tag below)
t_expect_rc 1 "$C" -d "$S/b" register show "$SH/m-shared.img" >/dev/null 2>"$T_TMP/m2.err"
grep -q "is not in the register" "$T_TMP/m2.err" || { cat "$T_TMP/m2.err"; t_fail "B took A's row by path"; }
"$C" -d "$S/b" -j register list --station WS-A | jq -e 'length == 2' >/dev/null ||
	t_fail "list --station"
"$C" -d "$S/b" -j register find TAG-s | jq -e '.[0].classification == "secret"' >/dev/null ||
	t_fail "find TAG-s across stations"
# the text table: headings above their columns, in English and in Chinese
out=$(LANG=C LC_ALL= LANGUAGE= "$C" -d "$S/b" register list --station WS-A)
grep -qE "^STATION +NO +ASSET +CLASS +STATE +SERIAL +CUSTODIAN$" <<<"$out" ||
	t_fail "central list heading: $out"
grep -qE "^WS-A +M-[0-9]+ +TAG-" <<<"$out" || t_fail "central list rows: $out"
out=$(LC_ALL=C.UTF-8 LANGUAGE=zh_CN "$C" -d "$S/b" register list --station WS-A)
grep -qE "^工作站 +编号 +资产编号 +密级 +状态 +序列号 +责任人$" <<<"$out" ||
	t_fail "central list heading in Chinese: $out"
grep -qE "^WS-A +M-[0-9]+ +TAG-[^ ]+ +秘密 +在库 " <<<"$out" ||
	t_fail "central list rows: class and state not in Chinese: $out"
"$C" -d "$S/b" issue TAG-s --to "Holder B" >/dev/null 2>&1 || t_fail "issue A's medium at B"
"$C" -d "$S/b" return TAG-s >/dev/null || t_fail "return A's medium at B"
# policy with the real classification: secret media may not leave the office
t_expect_rc 3 "$C" -d "$S/b" sanitize --yes --profile zero --destination external-reuse \
	"$SH/m-shared.img" >"$T_TMP/pol.out" 2>&1
grep -q secret "$T_TMP/pol.out" || { cat "$T_TMP/pol.out"; t_fail "policy not with A's class"; }
"$C" -d "$S/b" -j sanitize --yes --profile zero "$SH/m-shared.img" >"$T_TMP/san.json" \
	2>"$T_TMP/san.err" || { cat "$T_TMP/san.err"; t_fail "sanitize at B of A's medium"; }
# the sanitization pushed its own events (register_close)
[ "$(sql "SELECT count(*) FROM events WHERE station = 'WS-B' AND kind = 'sanitized'")" = 1 ] ||
	t_fail "the sanitization at B is not in the central register"
"$C" -d "$S/c" -j register find TAG-s >"$T_TMP/find.json" || t_fail "find after sanitize"
jq -e '[.[0].history[] | .station + ":" + .kind] | index("WS-A:enrolled") != null and
	index("WS-B:sanitized") != null' "$T_TMP/find.json" >/dev/null ||
	{ jq -c '[.[0].history[] | .station + ":" + .kind]' "$T_TMP/find.json"; t_fail "one history"; }
# B received it first: its row there has A's classification
[ "$(sql "SELECT classification || ':' || unregistered FROM media WHERE station = 'WS-B' AND
	backing_file = '$SH/m-shared.img'")" = secret:false ] || t_fail "B's row of A's medium"
t_ok "a medium enrolled at A is recognised and sanitized at B; one history"

# --- a medium enrolled at A handled at B and C by reference: received there,
# one history at the centre, its own classification
"$C" -d "$S/a" enroll --manual --type optical --class top-secret --serial DISC-R \
	--asset-tag TAG-r >/dev/null || t_fail "manual enrol at A"
rno=$("$C" -d "$S/a" -j register show TAG-r | jq -r .register_no)
"$C" -d "$S/b" -j register show "WS-A:$rno" | jq -e '.classification == "top-secret" and
	.id == 0' >/dev/null || t_fail "show WS-A:$rno at B (central)"
"$C" -d "$S/b" issue "WS-A:$rno" --to "Holder B" >/dev/null 2>"$T_TMP/rcv.err" ||
	{ cat "$T_TMP/rcv.err"; t_fail "issue A's medium at B by its register number"; }
grep -q "received" "$T_TMP/rcv.err" || t_fail "no note that B received the medium"
"$C" -d "$S/b" -j register show TAG-r | jq -e '.id > 0 and .classification == "top-secret"
	and .state == "issued" and .holder == "Holder B"' >/dev/null || t_fail "B's received row"
"$C" -d "$S/b" return TAG-r >/dev/null || t_fail "return at B"
"$C" -d "$S/b" register verify >/dev/null || t_fail "B's register verify after receiving"
# C finds it by serial; the newest row (B's) gives its state
"$C" -d "$S/c" -j register show DISC-R | jq -e '.state == "in-stock" and
	.classification == "top-secret"' >/dev/null || t_fail "show DISC-R at C (central)"
"$C" -d "$S/c" destroy DISC-R --method shred --place "Room C" --witness Li --witness Wang \
	--operator "Op C" >/dev/null 2>&1 || t_fail "destroy at C by serial"
"$C" -d "$S/c" register verify >/dev/null || t_fail "C's register verify after receiving"
[ "$(sql "SELECT classification || ':' || state FROM media WHERE station = 'WS-C' AND
	serial = 'DISC-R'")" = top-secret:destroyed ] || t_fail "C's row at the centre"
"$C" -d "$S/a" -j register find "$rno" >"$T_TMP/rfind.json" || t_fail "find $rno"
jq -e '[.[] | select(.station == "WS-A")][0].history | map(.station + ":" + .kind) |
	index("WS-A:enrolled") != null and index("WS-B:received") != null and
	index("WS-B:issued") != null and index("WS-B:returned") != null and
	index("WS-C:received") != null and index("WS-C:destroyed") != null' \
	"$T_TMP/rfind.json" >/dev/null ||
	{ jq -c '.[] | [.station, (.history | map(.station + ":" + .kind))]' "$T_TMP/rfind.json"
	  t_fail "one history across A, B and C"; }
# a register number several stations hold is ambiguous without its station
"$C" -d "$S/e" init --org "Test Court" --station WS-E --register "$(conn e)" >/dev/null ||
	t_fail "init e"
no1=$("$C" -d "$S/a" -j register show TAG-a | jq -r .register_no)
t_expect_rc 1 "$C" -d "$S/e" register show "$no1" >/dev/null 2>"$T_TMP/amb.err"
grep -q "STATION:$no1" "$T_TMP/amb.err" || { cat "$T_TMP/amb.err"; t_fail "ambiguous $no1"; }
"$C" -d "$S/e" -j register show "WS-A:$no1" | jq -e '.asset_tag == "TAG-a"' >/dev/null ||
	t_fail "WS-A:$no1 at E"
t_ok "a medium enrolled at A is handled at B and C by reference: one history, its class"

# --- a device looked up at the centre: by WWN or serial, never by a file's
# path; two media of one serial (junk serials) are refused, not guessed
L=${top_builddir:-.}/tests/pg-lookup
[ -x "$L" ] || t_fail "tests/pg-lookup not built"
out=$("$L" "$(conn e)" usb DISC-R) || t_fail "lookup of DISC-R by serial"
[ "${out#* }" = "top-secret WS-A:$("$C" -d "$S/a" -j register show DISC-R | jq -r .id)" ] ||
	t_fail "lookup of DISC-R: $out (rows of A, B and C are one medium)"
t_expect_rc 2 "$L" "$(conn e)" file "$SH/m-shared.img" >/dev/null 2>&1
for s in a c; do
	"$C" -d "$S/$s" enroll --manual --type usb-flash --class "$([ $s = a ] && echo secret ||
		echo public)" --serial JUNK-0001 >/dev/null || t_fail "enrol JUNK-0001 at $s"
done
t_expect_rc 3 "$L" "$(conn e)" usb JUNK-0001 >/dev/null 2>"$T_TMP/junk.err"
grep -q "matches several media in the central register (stations WS-" "$T_TMP/junk.err" ||
	{ cat "$T_TMP/junk.err"; t_fail "two media of one serial not refused"; }
t_ok "device lookup at the centre: by serial, not by path; one serial of two media refused"

# --- verify --central checks certificate rows: a tampered one is named
cid=$(sql "SELECT id FROM certificates WHERE station = 'WS-B' ORDER BY id LIMIT 1")
[ -n "$cid" ] || t_fail "the sanitization at B pushed no certificate"
"$C" -d "$S/a" -j register verify --central | jq -e '.ok and .certificates >= 1' >/dev/null ||
	t_fail "verify --central does not count certificates"
orig=$(sql "SELECT json FROM certificates WHERE id = '$cid'")
sql "SET session_replication_role = replica; UPDATE certificates SET json =
	jsonb_set(json::jsonb, '{certificate,classification}', '\"public\"')::text
	WHERE id = '$cid'" >/dev/null || t_fail "tamper with a certificate row"
t_expect_rc 1 "$C" -d "$S/a" register verify --central >"$T_TMP/vc.out" 2>&1
grep -q "station WS-B: certificate $cid: INVALID signature" "$T_TMP/vc.out" ||
	{ cat "$T_TMP/vc.out"; t_fail "verify --central does not name station and certificate"; }
sql "SET session_replication_role = replica; UPDATE certificates SET json = \$j\$$orig\$j\$
	WHERE id = '$cid'" >/dev/null || t_fail "restore the certificate row"
"$C" -d "$S/a" register verify --central >/dev/null || t_fail "verify --central after restoring"
t_ok "verify --central checks every certificate row's signature and event"

# --- a key the chain did not introduce signs nothing at the centre either
openssl genpkey -algorithm ed25519 -out "$T_TMP/x.key" 2>/dev/null || t_fail "openssl genpkey"
openssl pkey -in "$T_TMP/x.key" -pubout -out "$T_TMP/x.pub" || t_fail "openssl pkey"
xfpr=$(openssl pkey -pubin -in "$T_TMP/x.pub" -outform DER | sha256sum | cut -c1-64)
sql "INSERT INTO station_keys VALUES ('WS-B', '$xfpr', 'ed25519', \$p\$$(cat "$T_TMP/x.pub")\$p\$, '');
	INSERT INTO certificates SELECT 'FORGED-1', station, media_id, kind, issued_at,
	jsonb_set(json::jsonb, '{signature,key_fingerprint}', to_jsonb('$xfpr'::text))::text,
	event_hash FROM certificates WHERE id = '$cid'" >/dev/null || t_fail "insert key X for WS-B"
t_expect_rc 1 "$C" -d "$S/a" register verify --central >"$T_TMP/vx.out" 2>&1
grep -q "station WS-B: certificate FORGED-1: INVALID: signed by key ${xfpr:0:16}..., which the station's chain never introduced" \
	"$T_TMP/vx.out" || { cat "$T_TMP/vx.out"; t_fail "verify --central trusts a key the chain never introduced"; }
sql "SET session_replication_role = replica; DELETE FROM certificates WHERE id = 'FORGED-1';
	DELETE FROM station_keys WHERE fpr = '$xfpr'" >/dev/null || t_fail "remove key X"
"$C" -d "$S/a" register verify --central >/dev/null || t_fail "verify --central after removing key X"
t_ok "verify --central: only the keys a station's chain introduced verify its certificates"

# --- kill -9 mid-append: nothing committed is lost
for round in 1 2 3; do
	custody_loop c 400 & kp=$!
	sleep 1.$((RANDOM % 10))
	kill -9 $(pgrep -P $kp) $kp 2>/dev/null	# the custos child mid-append, then the loop
	wait $kp 2>/dev/null
done
# a head being written when the process died: its temporary file is rewritten
printf 'torn' >"$S/c/register.head.tmp"
"$C" -d "$S/c" -j register show TAG-c | jq -e '.state' >/dev/null || t_fail "show after kill -9"
if [ "$("$C" -d "$S/c" -j register show TAG-c | jq -r .state)" = issued ]; then
	"$C" -d "$S/c" return TAG-c >/dev/null || t_fail "return over a torn head.tmp"
else
	"$C" -d "$S/c" issue TAG-c --to Dana >/dev/null || t_fail "issue over a torn head.tmp"
fi
grep -q "^seq=$(sqlite3 "$S/c/register.db" "SELECT max(seq) FROM events")\$" "$S/c/register.head" ||
	t_fail "register.head does not name the newest event"
"$C" -d "$S/c" register push >/dev/null || t_fail "push after kill -9"
loc=$(sqlite3 "$S/c/register.db" "SELECT count(*) FROM events")
cen=$(sql "SELECT count(*) FROM events WHERE station = 'WS-C'")
[ "$loc" = "$cen" ] || t_fail "after kill -9: $loc local events, $cen central"
"$C" -d "$S/c" register verify >/dev/null || t_fail "local verify after kill -9"
"$C" -d "$S/c" register verify --central >/dev/null || t_fail "central verify after kill -9"
t_ok "a station killed with kill -9 mid-append loses nothing committed ($loc events)"

# --- the central register unreachable: writes queue locally, unknown media refused
pg_stop
if [ "$("$C" -d "$S/c" -j register show TAG-c | jq -r .state)" = issued ]; then
	"$C" -d "$S/c" return TAG-c >/dev/null 2>"$T_TMP/q.err" || t_fail "return while unreachable"
else
	"$C" -d "$S/c" issue TAG-c --to Dana >/dev/null 2>"$T_TMP/q.err" || t_fail "issue while unreachable"
fi
grep -q "not yet in the central register" "$T_TMP/q.err" || t_fail "no queue warning"
truncate -s 4M "$S/c/virtual/new.img"
t_expect_rc 3 "$C" -d "$S/c" sanitize --yes --profile zero "$S/c/virtual/new.img" \
	>"$T_TMP/u.err" 2>&1
grep -q "central register" "$T_TMP/u.err" || { cat "$T_TMP/u.err" "$T_TMP/q.err"; t_fail "refusal does not say why"; }
t_expect_rc 1 "$C" -d "$S/c" register push 2>/dev/null
pg_start
"$C" -d "$S/c" -j register push | jq -e '.events == 1' >/dev/null || t_fail "queued event not pushed"
"$C" -d "$S/c" -j register push | jq -e '.events == 0' >/dev/null || t_fail "re-push added events"
"$C" -d "$S/c" register verify --against >/dev/null || t_fail "verify --against after queue"
t_ok "unreachable: events queued signed and pushed once; unknown media refused"

# --- rights: a station role cannot rewrite history, the auditor cannot write
! sql "UPDATE events SET kind = 'x' WHERE station = 'WS-A' AND seq = 2" ws_a 2>/dev/null ||
	t_fail "station role updated an event"
! sql "DELETE FROM events WHERE station = 'WS-A'" ws_a 2>/dev/null || t_fail "station role deleted events"
! sql "DELETE FROM event_signatures" ws_a 2>/dev/null || t_fail "station role deleted signatures"
! sql "INSERT INTO stations(name, org, prefix, key_fpr) VALUES ('x', 'x', 'x', 'x')" audit \
	2>/dev/null || t_fail "auditor wrote"
[ "$(sql "SELECT count(*) FROM events WHERE station = 'WS-A'" audit)" -gt 0 ] || t_fail "auditor cannot read"
! sql "INSERT INTO events SELECT station, seq + 1000000, media_id, at, kind, operator, station_name,
	details, prev_hash, hash FROM events WHERE station = 'WS-A' AND seq = 3" ws_a 2>/dev/null ||
	t_fail "an event not extending the chain was accepted"
t_ok "station roles append only (grants, triggers); the auditor reads only"

# --- each station's login writes only its own rows (row-level security)
! sql "INSERT INTO events SELECT 'WS-B', seq + 1, media_id, at, kind, operator, station_name,
	details, hash, hash FROM events WHERE station = 'WS-B' ORDER BY seq DESC LIMIT 1" ws_a \
	2>"$T_TMP/rls.err" || t_fail "A's login appended an event of station B"
grep -q "row-level security" "$T_TMP/rls.err" || { cat "$T_TMP/rls.err"; t_fail "not refused by RLS"; }
! sql "INSERT INTO station_keys SELECT 'WS-B', fpr, key_type, public_pem, valid_from
	FROM station_keys WHERE station = 'WS-A'" ws_a 2>/dev/null || t_fail "A's login added a key for B"
! sql "INSERT INTO event_signatures SELECT 'WS-B', seq, key_fpr || 'x', sig FROM event_signatures
	WHERE station = 'WS-B' AND seq = 1" ws_a 2>/dev/null || t_fail "A's login signed B's event"
! sql "INSERT INTO certificates SELECT id || '-x', 'WS-B', media_id, kind, issued_at, json,
	event_hash FROM certificates WHERE station = 'WS-B' LIMIT 1" ws_a 2>/dev/null ||
	t_fail "A's login added a certificate for B"
! sql "INSERT INTO stations(name, org, prefix, key_fpr) VALUES ('WS-Z', 'x', 'x', 'x')" ws_a \
	2>/dev/null || t_fail "A's login created a station of no login"
sql "UPDATE media SET classification = 'public' WHERE station = 'WS-B'" ws_a >/dev/null
[ "$(sql "SELECT count(*) FROM media WHERE station = 'WS-B' AND classification = 'public'")" = 0 ] ||
	t_fail "A's login changed B's media"
# a station directory named WS-B pushing with A's login is refused
"$C" -d "$S/imp" init --org "Test Court" --station WS-B >/dev/null || t_fail "init imp"
"$C" -d "$S/imp" enroll --manual --type optical --class public --serial IMP-1 >/dev/null ||
	t_fail "enrol at imp"
"$C" -d "$S/imp" station set register "$(conn a)" >/dev/null 2>&1
t_expect_rc 1 "$C" -d "$S/imp" register push >/dev/null 2>"$T_TMP/imp.err"
grep -q "station WS-B belongs to login ws_b, not to ws_a" "$T_TMP/imp.err" ||
	{ cat "$T_TMP/imp.err"; t_fail "a push under another station's name not refused"; }
# a temporary table cannot stand in for station_logins in the function that
# runs as its owner (its search path puts pg_temp last)
! sql "CREATE TEMP TABLE station_logins(station TEXT PRIMARY KEY, login TEXT);
	INSERT INTO pg_temp.station_logins VALUES ('WS-B', 'ws_a');
	SELECT custos_register_station('WS-B', 'evil', 'X', 'ATTACKERKEY')" ws_a 2>/dev/null ||
	t_fail "A's login rewrote B's station row through a temporary table"
[ "$(sql "SELECT org FROM stations WHERE name = 'WS-B'")" != evil ] ||
	t_fail "B's station row was rewritten"
# a name the centre knows but nobody mapped is not claimed by the first pusher
sql "DELETE FROM station_logins WHERE station = 'WS-C'" >/dev/null || t_fail "unmap WS-C"
! sql "SELECT custos_register_station('WS-C', 'x', 'x', 'x')" ws_a 2>"$T_TMP/claim.err" ||
	t_fail "A's login claimed the known, unmapped station WS-C"
grep -q "mapped to no login" "$T_TMP/claim.err" || { cat "$T_TMP/claim.err"; t_fail "claim: no reason"; }
"$C" register init-server --add-station WS-C --login ws_c --apply "$SU" >/dev/null ||
	t_fail "map WS-C again"
"$C" -d "$S/a" register verify --central >/dev/null || t_fail "verify --central after the attempts"
t_ok "a station's login cannot write rows of another station (RLS, pinned search path, no claim of a known name)"

# --- migration: a station's SQLite register pushed with history and signatures
"$C" -d "$S/d" init --org "Test Court" --station WS-D >/dev/null || t_fail "init d"
mkdir -p "$S/d/virtual"; truncate -s 4M "$S/d/virtual/m-d.img"
"$C" -d "$S/d" enroll "$S/d/virtual/m-d.img" --class confidential --asset-tag TAG-d >/dev/null
for i in 1 2 3; do "$C" -d "$S/d" issue TAG-d --to X >/dev/null; "$C" -d "$S/d" return TAG-d >/dev/null; done
# a key dropped into keys/ (not introduced by the chain) is not given to the centre
openssl genpkey -algorithm ed25519 -out "$T_TMP/drop.key" 2>/dev/null || t_fail "openssl genpkey"
openssl pkey -in "$T_TMP/drop.key" -pubout -out "$T_TMP/drop.pub" || t_fail "openssl pkey"
dfpr=$(openssl pkey -pubin -in "$T_TMP/drop.pub" -outform DER | sha256sum | cut -c1-64)
cp "$T_TMP/drop.pub" "$S/d/keys/$dfpr.pub"
printf 'key_type=ed25519\nvalid_from=2026-01-01T00:00:00Z\nvalid_until=\n' >"$S/d/keys/$dfpr.conf"
"$C" -d "$S/d" station set register "$(conn d)" >/dev/null || t_fail "station set register"
loc=$(sqlite3 "$S/d/register.db" "SELECT count(*) FROM events")
"$C" -d "$S/d" -j register push | jq -e ".events == $loc" >/dev/null || t_fail "migration push"
"$C" -d "$S/d" -j register push | jq -e '.events == 0' >/dev/null || t_fail "migration re-push"
"$C" -d "$S/d" register verify --central --all-signatures >/dev/null || t_fail "verify after migration"
[ "$(sql "SELECT count(*) FROM station_keys WHERE station = 'WS-D'")" = 1 ] ||
	t_fail "the centre holds other keys than the chain's: $(sql "SELECT fpr FROM station_keys WHERE station = 'WS-D'")"
[ "$(sql "SELECT count(*) FROM station_keys WHERE fpr = '$dfpr'")" = 0 ] ||
	t_fail "a key dropped into keys/ was pushed to the centre"
t_ok "register push migrates a station's register once ($loc events), and only its chain's keys"

# --- a key rotation: the centre follows the chain from the old key to the new
"$C" -d "$S/d" station rekey >/dev/null 2>&1 || t_fail "rekey at d"
"$C" -d "$S/d" issue TAG-d --to Y >/dev/null && "$C" -d "$S/d" return TAG-d >/dev/null ||
	t_fail "custody after rekey at d"
"$C" -d "$S/d" register push >/dev/null || t_fail "push after rekey"
[ "$(sql "SELECT count(*) FROM events WHERE station = 'WS-D' AND kind = 'key-rotated'")" = 1 ] ||
	t_fail "the key-rotated event is not at the centre"
"$C" -d "$S/d" register verify --central >/dev/null || t_fail "verify --central after rekey"
"$C" -d "$S/d" register verify --central --all-signatures >"$T_TMP/rk.out" 2>&1 ||
	{ cat "$T_TMP/rk.out"; t_fail "verify --central --all-signatures after rekey"; }
# the newest event signed again (as the superuser) by the retired key: refused
old=$(sql "SELECT key_fpr FROM event_signatures WHERE station = 'WS-D' AND seq =
	(SELECT seq FROM events WHERE station = 'WS-D' AND kind = 'key-rotated') ORDER BY key_fpr" |
	grep -vx "$(sql "SELECT key_fpr FROM stations WHERE name = 'WS-D'")")
last=$(sql "SELECT max(seq) FROM events WHERE station = 'WS-D'")
sql "SET session_replication_role = replica; UPDATE event_signatures SET key_fpr = '$old'
	WHERE station = 'WS-D' AND seq = $last" >/dev/null || t_fail "re-sign with the old key"
t_expect_rc 1 "$C" -d "$S/d" register verify --central >"$T_TMP/rk.out" 2>&1
grep -q "station WS-D: event $last is signed by key ${old:0:16}..., which the station's chain did not introduce" \
	"$T_TMP/rk.out" || { cat "$T_TMP/rk.out"; t_fail "a retired key's signature accepted"; }
sql "SET session_replication_role = replica; UPDATE event_signatures SET key_fpr =
	(SELECT key_fpr FROM stations WHERE name = 'WS-D') WHERE station = 'WS-D' AND seq = $last" \
	>/dev/null || t_fail "restore the signature"
"$C" -d "$S/d" register verify --central >/dev/null || t_fail "verify --central after restoring"
t_ok "verify --central follows a key rotation; a retired key signs nothing after it"

# --- views: inventory (CSV, PDF), overdue
"$C" -d "$S/a" register inventory | grep -q "^secret,in-stock,WS-A," || t_fail "inventory csv"
TZ=Asia/Shanghai "$C" -d "$S/a" register inventory --format pdf --output "$T_TMP/inv.pdf" ||
	t_fail "inventory pdf"
head -c 5 "$T_TMP/inv.pdf" | grep -q '%PDF-' || t_fail "inventory pdf is no PDF"
if command -v pdftotext >/dev/null; then
	pdftotext -layout "$T_TMP/inv.pdf" - >"$T_TMP/inv.txt" || t_fail "pdftotext"
	grep -q "秘密 (secret)" "$T_TMP/inv.txt" && grep -q "在库 (in-stock)" "$T_TMP/inv.txt" ||
		t_fail "inventory pdf: values not in Chinese with English: $(cat "$T_TMP/inv.txt")"
	grep -q "制表时间 .*年.*月.*日.*+08:00" "$T_TMP/inv.txt" ||
		t_fail "inventory pdf: not made in local time: $(cat "$T_TMP/inv.txt")"
fi
"$C" -d "$S/a" -j register overdue | jq -e 'length == 0' >/dev/null || t_fail "fresh media overdue"
sql "ALTER TABLE events DISABLE TRIGGER USER; INSERT INTO stations(name, org, prefix, key_fpr)
	VALUES ('WS-OLD', 'x', 'x', 'x'); INSERT INTO media SELECT 'WS-OLD', id, register_no, asset_tag,
	media_type, vendor, model, 'OLD-1', wwn, backing_file, capacity_bytes, classification,
	highest_class, custodian, department, holder, state, note, source, unregistered, created_at,
	updated_at, origin_station, origin_id, origin_register_no FROM media WHERE station = 'WS-D';
	INSERT INTO events VALUES ('WS-OLD', 1, 1,
	'2020-01-01T00:00:00Z', 'enrolled', 'x', 'WS-OLD', '{}', repeat('0', 64), repeat('0', 64));
	ALTER TABLE events ENABLE TRIGGER USER" >/dev/null || t_fail "old medium"
"$C" -d "$S/a" -j register overdue --days 90 | jq -e 'length == 1 and .[0].station == "WS-OLD"' \
	>/dev/null || t_fail "overdue"
out=$(LC_ALL=C.UTF-8 LANGUAGE=zh_CN TZ=Asia/Shanghai "$C" -d "$S/a" register overdue --days 90)
grep -qE "^WS-OLD .* 2020-01-01T08:00:00\+08:00$" <<<"$out" ||
	t_fail "overdue: the last event not in local time: $out"
t_ok "inventory (CSV, PDF) and overdue media"

# --- cross-witnessing: the centre catches a forged event (and WS-OLD's bad hash)
t_expect_rc 1 "$C" -d "$S/a" register verify --central >/dev/null
sql "ALTER TABLE events DISABLE TRIGGER USER; DELETE FROM events WHERE station = 'WS-OLD';
	DELETE FROM media WHERE station = 'WS-OLD'; DELETE FROM stations WHERE name = 'WS-OLD';
	ALTER TABLE events ENABLE TRIGGER USER" >/dev/null
"$C" -d "$S/a" register verify --central >/dev/null || t_fail "verify after cleanup"
cp "$S/a/register.db" "$T_TMP/a-old.db"
"$C" -d "$S/a" issue TAG-a --to Eve >/dev/null 2>&1 || t_fail "issue at a"
# the local file rolled back (its head file too): the centre remembers
cp "$T_TMP/a-old.db" "$S/a/register.db"; rm -f "$S/a/register.db-wal" "$S/a/register.db-shm"
t_expect_rc 1 "$C" -d "$S/a" register verify --against >"$T_TMP/ag.out" 2>&1
grep -q "DISAGREE" "$T_TMP/ag.out" || { cat "$T_TMP/ag.out"; t_fail "rollback not caught by the centre"; }
# an event altered at the centre (by its superuser): the station and verify catch it
sql "ALTER TABLE events DISABLE TRIGGER USER; UPDATE events SET details = '{\"to\":\"Mallory\"}'
	WHERE station = 'WS-B' AND seq = 2; ALTER TABLE events ENABLE TRIGGER USER" >/dev/null
t_expect_rc 1 "$C" -d "$S/b" register verify --central >/dev/null
t_expect_rc 1 "$C" -d "$S/b" register verify --against >/dev/null
t_ok "cross-witnessing: a rolled-back local register and an altered central event are caught"

# --- received once (REVIEW H1): a medium of C handled again at E by its
# reference, and by two processes at E at once, is received there once
"$C" -d "$S/c" enroll --manual --type optical --class secret >/dev/null 2>"$T_TMP/h1.err" ||
	{ cat "$T_TMP/h1.err"; t_fail "manual enrol at C without tag or serial"; }
h1=$("$C" -d "$S/c" -j register list | jq -r 'map(select(.asset_tag == "" and .serial == ""
	and .media_type == "optical")) | max_by(.id) | .register_no')
h1id=$(sqlite3 "$S/c/register.db" "SELECT id FROM media WHERE register_no = '$h1'")
bl() { sqlite3 "$S/e/register.db" "$1"; }
rows0=$(bl "SELECT count(*) FROM media")
"$C" -d "$S/e" issue "WS-C:$h1" --to "Holder 1" >/dev/null 2>&1 || t_fail "issue WS-C:$h1 at E"
"$C" -d "$S/e" return "WS-C:$h1" >/dev/null 2>&1 || t_fail "return WS-C:$h1 at E"
"$C" -d "$S/e" issue "WS-C:$h1" --to "Holder 2" >/dev/null 2>&1 || t_fail "issue WS-C:$h1 again"
# C's number alone, when E's own numbers do not have it
if [ -z "$(bl "SELECT id FROM media WHERE register_no = '$h1'")" ]; then
	"$C" -d "$S/e" return "$h1" >/dev/null 2>&1 || t_fail "return $h1 (C's number) at E"
else
	"$C" -d "$S/e" return "WS-C:$h1" >/dev/null 2>&1 || t_fail "return WS-C:$h1 at E"
fi
[ "$(bl "SELECT count(*) FROM media")" = $((rows0 + 1)) ] || t_fail "E holds C's medium twice"
bid=$(bl "SELECT id FROM media WHERE origin_station = 'WS-C' AND origin_id = $h1id AND
	origin_register_no = '$h1'")
[ -n "$bid" ] || t_fail "E's row does not name its origin WS-C:$h1"
[ "$(bl "SELECT count(*) FROM events WHERE media_id = $bid AND kind = 'received'")" = 1 ] ||
	t_fail "C's medium received more than once at E"
[ "$(bl "SELECT group_concat(kind) FROM events WHERE media_id = $bid ORDER BY seq")" = \
  received,issued,returned,issued,returned ] || t_fail "E's history of WS-C:$h1"
"$C" -d "$S/e" -j register show "WS-C:$h1" | jq -e ".id == $bid and .state == \"in-stock\"" \
	>/dev/null || t_fail "show WS-C:$h1 at E is not its local row"
# C's own medium named STATION:REF at C: its local row, not the centre's copy
"$C" -d "$S/c" -j register show "WS-C:$h1" | jq -e ".id == $h1id" >/dev/null ||
	t_fail "show WS-C:$h1 at C is not its local row"
# two processes at E at once, each by C's reference, before either received it
"$C" -d "$S/c" enroll --manual --type optical --class secret >/dev/null || t_fail "enrol h2"
h2=$("$C" -d "$S/c" -j register list | jq -r 'map(select(.asset_tag == "" and .serial == ""
	and .media_type == "optical")) | max_by(.id) | .register_no')
"$C" -d "$S/e" repair "WS-C:$h2" --to "Vendor 1" >/dev/null 2>&1 & p1=$!
"$C" -d "$S/e" lost "WS-C:$h2" >/dev/null 2>&1 & p2=$!
ok=0
wait $p1 && ok=$((ok + 1))
wait $p2 && ok=$((ok + 1))
[ $ok -ge 1 ] || t_fail "neither action on WS-C:$h2 at E succeeded"
[ "$(bl "SELECT count(*) FROM media WHERE origin_station = 'WS-C' AND
	origin_register_no = '$h2'")" = 1 ] || t_fail "two processes received WS-C:$h2 twice"
[ "$(bl "SELECT count(*) FROM events e JOIN media m ON m.id = e.media_id WHERE
	m.origin_register_no = '$h2' AND e.kind = 'received'")" = 1 ] ||
	t_fail "two received events of WS-C:$h2"
"$C" -d "$S/e" register verify >"$T_TMP/h1v.out" 2>&1 ||
	{ cat "$T_TMP/h1v.out"; t_fail "E's verify"; }
"$C" -d "$S/e" register push >/dev/null 2>&1
"$C" -d "$S/e" register verify --against >/dev/null || t_fail "E's verify --against"
[ "$(sql "SELECT origin_station || ':' || origin_register_no FROM media WHERE station = 'WS-E'
	AND id = $bid")" = "WS-C:$h1" ] || t_fail "the centre's copy of E's row lacks its origin"
t_ok "a medium of C handled at E again and by two processes at once is received once"
