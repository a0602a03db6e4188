#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Hostile input (issue 11): invalid UTF-8 and control characters in every
# text option are refused with nothing written; NUL bytes, FIFOs, devices
# and oversized files in the profile and policy files; SQLite corruption
# under `register verify`; no raw control byte on the terminal; temporary
# files of a killed run are cleaned.  Files only: no device is touched.
. "$top_srcdir/tests/lib.sh"
t_init input
export LSAN_OPTIONS="suppressions=$top_srcdir/tests/lsan-cert.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
# certificates name a real operator, never the login account
export CUSTOS_OPERATOR=Clerk
t_need_cmd sqlite3 jq sha256sum timeout

C=$CUSTOS
S=$CUSTOS_STATE_DIR
DB=$S/register.db
ESC=$'\033'
BAD_UTF8=$'\xff\xfe'
OVERLONG=$'\xc0\xaf'
CTRL="a${ESC}[31mb"
BEL=$'x\ay'
C1=$'x\xc2\x9by'	# U+009B, the 8-bit CSI

"$C" init --org "Test Office" --station WS-IN >/dev/null || t_fail "custos init"
"$C" enroll --manual --type hdd --class secret --serial IN-1 --asset-tag IN-A1 >/dev/null ||
	t_fail "enroll IN-1"
"$C" enroll --manual --type hdd --class secret --serial IN-2 --asset-tag IN-A2 >/dev/null ||
	t_fail "enroll IN-2"
"$C" issue IN-A2 --to Alice >/dev/null || t_fail "issue IN-A2"

# The register's content (rows and events), independent of WAL checkpoints.
state() { sqlite3 "$DB" .dump | sha256sum; }

# refused WHAT CMD...: exit 2 (usage), the register unchanged, a message.
refused() {
	local what=$1 before after rc
	shift
	before=$(state)
	"$@" >"$T_TMP/out" 2>"$T_TMP/err"
	rc=$?
	after=$(state)
	[ "$rc" = 2 ] || t_fail "$what: exit $rc, want 2 (refused): $(cat "$T_TMP/err")"
	[ "$before" = "$after" ] || t_fail "$what: the register changed"
	grep -Eq "invalid UTF-8|control character|must be UTF-8" "$T_TMP/err" ||
		t_fail "$what: no clear message: $(cat "$T_TMP/err")"
	grep -q "$ESC" "$T_TMP/err" "$T_TMP/out" && t_fail "$what: the message echoes ESC"
	return 0
}

for bad in "$BAD_UTF8" "$OVERLONG" "$CTRL" "$BEL" "$C1"; do
	base=(enroll --manual --type hdd --class internal)
	for opt in --asset-tag --custodian --department --note --serial --vendor --model \
		--operator; do
		refused "enroll $opt" "$C" "${base[@]}" --serial "IN-X" "$opt" "$bad"
	done
	refused "issue --to" "$C" issue IN-A1 --to "$bad"
	refused "issue --operator" "$C" issue IN-A1 --to Bob --operator "$bad"
	refused "return --operator" "$C" return IN-A2 --operator "$bad"
	refused "repair --to" "$C" repair IN-A1 --to "$bad"
	refused "lost --note" "$C" lost IN-A1 --note "$bad"
	refused "reclassify --operator" "$C" reclassify IN-A1 --class confidential --operator "$bad"
	d=(destroy IN-A1 --method shred --place Room --witness W1 --witness W2 --cert-dir "$T_TMP/c")
	for opt in --method --place --witness --note --operator-title --validator \
		--validator-title --operator; do
		refused "destroy $opt" "$C" "${d[@]}" "$opt" "$bad"
	done
	CUSTOS_OPERATOR=$bad "$C" issue IN-A1 --to Bob >/dev/null 2>&1
	[ $? != 0 ] || t_fail "CUSTOS_OPERATOR with bad text was accepted"
done
[ "$("$C" -j register show IN-A1 | jq -r .state)" = in-stock ] || t_fail "IN-A1 moved"
"$C" register verify >/dev/null || t_fail "register verify after the refusals"
t_ok "invalid UTF-8 and control characters refused in every register text option"

# sanitize: the text options of the certificate and the register; the
# image keeps its bytes
img=$S/virtual/in.img
mkdir -p "$S/virtual"
head -c $((4 * 1024 * 1024)) /dev/urandom >"$img"
sum=$(sha256sum <"$img")
for bad in "$BAD_UTF8" "$CTRL"; do
	for opt in --operator --operator-title --validator --validator-title --source-asset; do
		refused "sanitize $opt" "$C" sanitize --yes --profile zero "$img" "$opt" "$bad"
	done
done
[ "$(sha256sum <"$img")" = "$sum" ] || t_fail "a refused sanitize wrote to the image"
t_ok "sanitize refuses bad text before writing"

# a normal build has no test hooks: the pause variable changes nothing
if ! t_has_hooks; then
	: >"$T_TMP/pause"
	CUSTOS_TEST_PAUSE_BEFORE_VERIFY="$T_TMP/pause" timeout 120 \
		"$C" sanitize --yes --profile zero "$img" >/dev/null 2>&1 ||
		t_fail "sanitize with the pause variable set: exit $?"
	[ -e "$T_TMP/pause.paused" ] && t_fail "a normal build obeyed CUSTOS_TEST_PAUSE_BEFORE_VERIFY"
	"$C" --version | grep -q "test" && t_fail "a normal build calls itself a test build"
	rm -f "$T_TMP/pause"
	t_ok "a normal build ignores the test hooks"
fi

# init: no station is made
for opt in --org --station --prefix; do
	args=(--org O --station S)
	t_expect_rc 2 "$C" --state-dir "$T_TMP/st2" init "${args[@]}" "$opt" "$CTRL" 2>/dev/null
	[ -e "$T_TMP/st2/station.conf" ] && t_fail "init $opt: a station was made"
done
t_ok "init refuses bad text"

# --- NUL bytes, FIFOs, devices and big files are not read as policy or profile
printf '# x\0\nminimum internal virtual destroy\n' >"$S/policy.conf"
out=$("$C" sanitize --dry-run --profile zero "$img" 2>&1)
rc=$?
[ $rc != 0 ] || t_fail "a policy with a NUL byte let a dry run through"
echo "$out" | grep -q "policy.conf:1: NUL byte" || t_fail "NUL in policy not named: $out"
rm -f "$S/policy.conf"
t_ok "a NUL byte in the policy is an error naming file:line"

P=$T_TMP/profiles
mkdir -p "$P"
export CUSTOS_PROFILE_DIR=$P
cp "$top_srcdir/profiles/zero.profile" "$P/"
{ printf 'name = nul\ntitle = NUL\nmethod = overwrite\npass = zero\n\0'
  printf 'pass = random\npass = random\n'; } >"$P/nul.profile"
out=$("$C" profiles show nul 2>&1)
[ $? != 0 ] || t_fail "a profile with a NUL byte loaded"
echo "$out" | grep -q "nul.profile:5: NUL byte" || t_fail "NUL in profile not named: $out"
t_expect_rc 2 "$C" sanitize --dry-run --profile nul "$img" 2>/dev/null
mkfifo "$P/fifo.profile"
ln -s /dev/zero "$P/zero-dev.profile"
head -c $((2 * 1024 * 1024)) /dev/zero | tr '\0' '#' >"$P/big.profile"
out=$(timeout 20 "$C" profiles 2>&1)
rc=$?
[ $rc = 124 ] && t_fail "custos profiles hangs on a FIFO"
[ $rc = 0 ] || t_fail "custos profiles: exit $rc: $out"
echo "$out" | grep -q "fifo.profile: not a regular file" || t_fail "FIFO not reported: $out"
echo "$out" | grep -q "zero-dev.profile: not a regular file" || t_fail "/dev/zero not refused"
echo "$out" | grep -q "big.profile: larger than" || t_fail "2 MiB profile not refused: $out"
echo "$out" | grep -q "^zero " || t_fail "the good profile is no longer listed: $out"
out=$(timeout 20 "$C" profiles show zero-dev 2>&1)
rc=$?
[ $rc != 124 ] && [ $rc != 0 ] || t_fail "profiles show of /dev/zero: exit $rc"
echo "$out" | grep -q "not a regular file" || t_fail "profiles show zero-dev: $out"
# certificates to verify or show: never a FIFO or a device
for f in "$P/fifo.profile" /dev/zero; do
	for cmd in "cert verify" "cert show"; do
		out=$(timeout 20 "$C" $cmd "$f" 2>&1)
		rc=$?
		[ $rc != 124 ] && [ $rc != 0 ] || t_fail "$cmd $f: exit $rc"
		echo "$out" | grep -q "not a regular file" || t_fail "$cmd $f: $out"
	done
done
rm -f "$P/fifo.profile" "$P/zero-dev.profile" "$P/big.profile" "$P/nul.profile"
t_ok "NUL bytes, a FIFO, /dev/zero and a 2 MiB file are refused as profiles and certificates"

# --- no raw control byte reaches the terminal
sed "s/^title *=.*/title = Zero ${ESC}[31mRED${ESC}]0;owned\a/" "$top_srcdir/profiles/zero.profile" \
	>"$P/zero.profile"
printf 'name = e\ntitle = E\nbogus%s[2J = 1\n' "$ESC" >"$P/e.profile"
"$C" profiles >"$T_TMP/o" 2>"$T_TMP/e"
"$C" profiles show zero >>"$T_TMP/o" 2>>"$T_TMP/e"
grep -q "Zero ?\[31mRED" "$T_TMP/o" || t_fail "profile title not shown escaped: $(cat "$T_TMP/o")"
grep -q "bogus?\[2J" "$T_TMP/e" || t_fail "parse error not shown escaped: $(cat "$T_TMP/e")"
if grep -q "$ESC" "$T_TMP/o" "$T_TMP/e" || grep -q $'\a' "$T_TMP/o" "$T_TMP/e"; then
	t_fail "control bytes from a profile reached the output"
fi
rm -f "$P/e.profile"
cp "$top_srcdir/profiles/zero.profile" "$P/"
# a row edited behind custos's back
sqlite3 "$DB" "UPDATE media SET custodian = 'Eve' || char(27) || '[2J' || char(7),
	note = char(155) || 'x' WHERE serial = 'IN-1'" || t_fail "sqlite3 update"
"$C" register show IN-A1 >"$T_TMP/o" 2>"$T_TMP/e"
"$C" register list >>"$T_TMP/o" 2>>"$T_TMP/e"
"$C" register history IN-A1 >>"$T_TMP/o" 2>>"$T_TMP/e"
"$C" register verify >>"$T_TMP/o" 2>>"$T_TMP/e"
grep -q "Eve?\[2J?" "$T_TMP/o" || t_fail "register show: custodian not escaped: $(cat "$T_TMP/o")"
if grep -q "$ESC" "$T_TMP/o" "$T_TMP/e" || grep -q $'\a' "$T_TMP/o" "$T_TMP/e"; then
	t_fail "control bytes from the register reached the output"
fi
LC_ALL=C grep -q $'\xc2\x9b' "$T_TMP/o" "$T_TMP/e" && t_fail "a C1 control reached the output"
t_ok "profile titles, parse errors and register rows are escaped"
# put the row back as its history says, for what follows
sqlite3 "$DB" "UPDATE media SET custodian = '', note = '' WHERE serial = 'IN-1'"
"$C" register verify >/dev/null || t_fail "register not restored"

# --- register verify sees SQLite corruption
for i in $(seq 1 40); do
	"$C" enroll --manual --type usb-flash --class internal --serial "FILL-$i" \
		--note "$(printf '%0300d' "$i")" >/dev/null || t_fail "enroll FILL-$i"
done
cp -a "$S" "$T_TMP/copy"
sqlite3 "$T_TMP/copy/register.db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
"$C" --state-dir "$T_TMP/copy" register verify >/dev/null || t_fail "copy does not verify"
size=$(stat -c %s "$T_TMP/copy/register.db")
head -c 3000 /dev/urandom | dd of="$T_TMP/copy/register.db" bs=1 seek=$((size / 2)) \
	conv=notrunc 2>/dev/null
out=$("$C" --state-dir "$T_TMP/copy" register verify 2>&1)
rc=$?
[ $rc = 1 ] || t_fail "register verify on a corrupted file: exit $rc: $out"
echo "$out" | grep -qi "damaged\|malformed\|corrupt" || t_fail "no corruption message: $out"
out=$("$C" --state-dir "$T_TMP/copy" -j register verify 2>/dev/null)
[ "$(echo "$out" | jq -r .ok)" = false ] || t_fail "--json verify says ok: $out"
t_ok "register verify reports a damaged database file"

# --- no doubled prefix
printf 'this is not a database at all, not even close\n%.0s' $(seq 100) >"$T_TMP/copy/register.db"
rm -f "$T_TMP/copy/register.db-wal" "$T_TMP/copy/register.db-shm"
out=$("$C" --state-dir "$T_TMP/copy" register verify 2>&1)
[ $? != 0 ] || t_fail "a garbage register verified"
echo "$out" | grep -q "register: register:" && t_fail "doubled prefix: $out"
t_ok "messages carry one 'register:' prefix"

# --- temporary files a kill left are cleaned on the next start
touch -d '-5 min' "$S/station.conf.tmp.AbC123" "$S/jobs/x.json.tmp.Zz9999"
touch "$S/station.conf.tmp.NEW000"	# could be a running writer's: kept
mkdir -p "$S/certs"
touch "$S/certs/.seq.tmp.Qq1234"
"$C" destroy IN-A1 --method shred --place Room --witness W1 --witness W2 >/dev/null ||
	t_fail "destroy IN-A1"
[ -e "$S/station.conf.tmp.AbC123" ] && t_fail "old state-dir temp not removed"
[ -e "$S/jobs/x.json.tmp.Zz9999" ] && t_fail "old jobs temp not removed"
[ -e "$S/station.conf.tmp.NEW000" ] || t_fail "a fresh temp was removed"
[ -e "$S/certs/.seq.tmp.Qq1234" ] && t_fail ".seq temp not removed"
"$C" register verify >/dev/null || t_fail "register verify at the end"
t_ok "temporary files of a killed run are removed on the next start"
