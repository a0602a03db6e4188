#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# custos sanitize / verify on regular image files (no root needed).
. "$top_srcdir/tests/lib.sh"
t_init integ-sanitize-file
t_need_cmd dd grep python3

# Sanitizing issues signed certificates: without a station it is refused
# before anything is written.
printf 'KEEP-ME' >"$T_TMP/pre.img"
truncate -s 1M "$T_TMP/pre.img"
"$CUSTOS" sanitize --yes --profile zero "$T_TMP/pre.img" >"$T_TMP/pre.out" 2>&1
[ $? = 1 ] || t_fail "sanitize without a station: wrong exit status"
grep -q "custos init" "$T_TMP/pre.out" || t_fail "no hint to run custos init"
grep -aq KEEP-ME "$T_TMP/pre.img" || t_fail "written without a station"
t_ok "no station: refused before writing"
"$CUSTOS" init --org "Test Office" --station T1 >/dev/null || t_fail "custos init"

MARK="CUSTOS-SECRET-MARKER-0123456789"
# Regular files are wiped only as virtual media: in STATE-DIR/virtual.
img="$CUSTOS_STATE_DIR/virtual/disk.img"
img2="$CUSTOS_STATE_DIR/virtual/second.img"

# An image whose size is no multiple of 4096: the tail goes through the
# buffered path, the rest O_DIRECT.
make_img() { # FILE
	head -c $((8 * 1024 * 1024 + 1000)) /dev/urandom >"$1"
	for off in 0 4242424 $((8 * 1024 * 1024 + 1000 - 40)); do
		printf '%s' "$MARK" | dd of="$1" bs=1 seek=$off conv=notrunc 2>/dev/null
	done
	grep -aq "$MARK" "$1" || t_fail "no marker in $1"
}

json_get() { # FILE INDEX PYTHON-EXPR
	python3 -c "import json; r=json.load(open('$1'))['results'][$2]; print($3)"
}

make_img "$img"
make_img "$img2"
"$CUSTOS" --json sanitize --yes --profile dod-3pass "$img" "$img2" >"$T_TMP/out.json" ||
	t_fail "sanitize of two files: exit $?"
for i in 0 1; do
	[ "$(json_get "$T_TMP/out.json" $i "r['outcome']")" = erased ] || t_fail "file $i not erased"
	[ "$(json_get "$T_TMP/out.json" $i "r['bytes_verified']")" = $((8 * 1024 * 1024 + 1000)) ] ||
		t_fail "file $i: not fully verified"
	[ "$(json_get "$T_TMP/out.json" $i "[p['pattern_hex'] for p in r['passes'][:2]]")" = \
	  "['00', 'ff']" ] || t_fail "file $i: pass patterns"
done
grep -aq "$MARK" "$img" "$img2" && t_fail "marker survived"
t_ok "two image files erased concurrently"

"$CUSTOS" sanitize --yes --profile zero "$img" >/dev/null || t_fail "zero: exit $?"
t_expect_rc 0 "$CUSTOS" verify "$img" --expect zero
printf 'Q' | dd of="$img" bs=1 seek=777777 conv=notrunc 2>/dev/null
"$CUSTOS" --json verify "$img" --expect zero >"$T_TMP/v.json"
[ $? = 1 ] || t_fail "verify of a dirty file did not fail"
python3 -c "import json; d=json.load(open('$T_TMP/v.json')); assert d['first_mismatch']==777777 and d['mismatch_bytes']==1" ||
	t_fail "verify: wrong mismatch report"
t_ok "verify finds the changed byte"

# A byte changed between the write and the verification is caught.
if ! t_has_hooks; then
	echo "skip: the tamper case needs a build with --enable-test-hooks"
else
export CUSTOS_TEST_PAUSE_BEFORE_VERIFY="$T_TMP/pause"
touch "$T_TMP/pause"
"$CUSTOS" --json sanitize --yes --profile one "$img" >"$T_TMP/t.json" &
pid=$!
for _ in $(seq 200); do [ -e "$T_TMP/pause.paused" ] && break; sleep 0.05; done
[ -e "$T_TMP/pause.paused" ] || t_fail "the engine never paused"
printf 'A' | dd of="$img" bs=1 seek=5555555 conv=notrunc 2>/dev/null
rm -f "$T_TMP/pause"
wait $pid
[ $? = 1 ] || t_fail "tampered file: wrong exit status"
unset CUSTOS_TEST_PAUSE_BEFORE_VERIFY
[ "$(json_get "$T_TMP/t.json" 0 "r['first_mismatch']")" = 5555555 ] || t_fail "tamper offset"
t_ok "a change behind the engine's back fails the run"
fi

# Mixed run: one missing device -> exit 4; single failure -> exit 1.
t_expect_rc 4 "$CUSTOS" sanitize --yes --profile zero "$img" "$CUSTOS_STATE_DIR/virtual/missing.img"
t_expect_rc 1 "$CUSTOS" sanitize --yes --profile zero "$CUSTOS_STATE_DIR/virtual/missing.img"

# No --yes without a terminal: refused, untouched.
make_img "$img"
t_expect_rc 3 "$CUSTOS" sanitize --profile zero "$img" </dev/null
grep -aq "$MARK" "$img" || t_fail "unconfirmed file was written"

# A firmware method on a file is not supported, and nothing is written.
mkdir "$T_TMP/profiles"
cat >"$T_TMP/profiles/fw.profile" <<'PROF'
name = fw
title = firmware test
method = ata-secure-erase
PROF
CUSTOS_PROFILE_DIR="$T_TMP/profiles" "$CUSTOS" sanitize --yes --profile fw "$img" \
	>"$T_TMP/fw.out" 2>&1
[ $? = 3 ] || t_fail "firmware on a file: wrong exit status (refused: 3)"
grep -q "not supported: no ATA/NVMe firmware on this target" "$T_TMP/fw.out" ||
	t_fail "firmware on a file: wrong message"
grep -aq "$MARK" "$img" || t_fail "firmware attempt wrote the file"

# Profiles.
"$CUSTOS" profiles | grep -q "^gutmann " || t_fail "profiles: no gutmann"
[ "$("$CUSTOS" profiles show gutmann | grep -c '^  pass ')" = 35 ] || t_fail "gutmann passes"
"$CUSTOS" --json profiles show dod-3pass | python3 -c \
	"import json,sys; p=json.load(sys.stdin); assert p['passes']==['byte 0x00','complement','random']" ||
	t_fail "profiles show --json"
t_expect_rc 2 "$CUSTOS" profiles show no-such
t_ok "refusals, firmware and profiles"
exit 0
