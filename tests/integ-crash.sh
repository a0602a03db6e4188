#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# A sanitization is one transaction (issue 12), on a file-backed virtual
# medium in the station's virtual/ directory (root, for the mounts):
# 1. the validator equal to the operator is refused before anything is
#    written and before any number is taken;
# 2. a read-only register and a full certificate directory are refused
#    before the device is written;
# 3. kill -9 at 20 random moments of a run: each time the medium is
#    "sanitizing" (interrupted), register verify reports it (exit 1), and
#    sanitize --resume ends it "sanitized" with the medium fully overwritten.
. "$top_srcdir/tests/lib.sh"
t_init integ-crash
t_need_root
t_need_cmd jq cmp sha256sum mount timeout sqlite3
C=$CUSTOS
V="$CUSTOS_STATE_DIR/virtual"
IMG="$V/crash.img"
SIZE_MIB=32

"$C" init --org "Test Office" --station CR1 >/dev/null || t_fail "custos init"
mkdir -p "$V" "$CUSTOS_STATE_DIR/profiles"
# Six passes ending in zeros, every pass verified: long enough to be
# killed at any point, and "fully overwritten" means all zeros.
cat >"$CUSTOS_STATE_DIR/profiles/crash6.profile" <<'EOF'
name = crash6
title = crash test, 6 passes
method = overwrite
pass = random
pass = byte 0xff
pass = random
pass = byte 0x55
pass = random
pass = byte 0x00
verify = all
nist.virtual = clear
EOF
fill() { head -c $((SIZE_MIB << 20)) /dev/urandom >"$IMG" || t_fail "cannot fill $IMG"; }
sum() { sha256sum <"$IMG"; }
events() { "$C" --json register history "$IMG" 2>/dev/null | jq length; }
certs() { find "$CUSTOS_STATE_DIR/certs" -type f -name '*.json' 2>/dev/null | wc -l; }
zeroed() { cmp -s -n $((SIZE_MIB << 20)) "$IMG" /dev/zero; }
fill

# 1. The validator is the operator: refused by the plan, nothing written,
#    nothing numbered.
before=$(sum)
t_expect_rc 3 "$C" sanitize --yes --profile zero --operator "Li Si" --validator " li si " \
	"$IMG" >"$T_TMP/val.err" 2>&1
grep -q "validator" "$T_TMP/val.err" || t_fail "no reason given: $(cat "$T_TMP/val.err")"
[ "$(sum)" = "$before" ] || t_fail "the validator refusal wrote to the medium"
[ "$("$C" --json register list | jq length)" = 0 ] || t_fail "a register row was created"
[ "$(certs)" = 0 ] || t_fail "a certificate was written"
"$C" --json sanitize --yes --profile zero --operator "Li Si" "$IMG" >"$T_TMP/first.json" ||
	t_fail "the first valid run failed"
jq -e '.results[0] | .outcome == "erased" and .register_no == "U-000001" and
	(.certificate.id | endswith("-000001"))' "$T_TMP/first.json" >/dev/null ||
	t_fail "numbers were taken by the refused run: $(cat "$T_TMP/first.json")"
t_ok "validator = operator refused before any write, no number taken"

# 2. A read-only register (a read-only bind mount of register.db) and a
#    full certificate directory: refused by the plan, the device untouched.
fill
before=$(sum)
n_ev=$(events)
reg="$CUSTOS_STATE_DIR/register.db"
mount --bind "$reg" "$reg" || t_fail "bind mount"
printf '%s\n' "$reg" >>"$T_TMP/.mounts"
mount -o remount,bind,ro "$reg" || t_fail "read-only remount"
t_expect_rc 3 "$C" sanitize --yes --profile zero "$IMG" >"$T_TMP/ro.err" 2>&1
grep -q "register" "$T_TMP/ro.err" || t_fail "read-only register: $(cat "$T_TMP/ro.err")"
umount "$reg" || t_fail "umount"
[ "$(sum)" = "$before" ] || t_fail "the device was written with a read-only register"
[ "$(events)" = "$n_ev" ] || t_fail "an event was written with a read-only register"
mkdir -p "$T_TMP/full"
mount -t tmpfs -o size=1m tmpfs "$T_TMP/full" || t_fail "tmpfs"
printf '%s\n' "$T_TMP/full" >>"$T_TMP/.mounts"
head -c 2M /dev/zero >"$T_TMP/full/filler" 2>/dev/null	# until it is full
t_expect_rc 3 "$C" sanitize --yes --profile zero --cert-dir "$T_TMP/full" "$IMG" \
	>"$T_TMP/full.err" 2>&1
grep -q "certificate directory .*full\|No space" "$T_TMP/full.err" ||
	t_fail "full certificate directory: $(cat "$T_TMP/full.err")"
[ "$(sum)" = "$before" ] || t_fail "the device was written with a full certificate directory"
[ "$(events)" = "$n_ev" ] || t_fail "an event was written with a full certificate directory"
t_ok "read-only register and full certificate directory refused before the device is written"

# 3. kill -9 at random moments.  How long a whole run takes, first.
t0=$(date +%s%N)
"$C" sanitize --yes --profile crash6 "$IMG" >/dev/null 2>&1 || t_fail "baseline run"
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$ms" -ge 50 ] || ms=50
hits=0 tries=0
while [ "$hits" -lt 20 ]; do
	tries=$((tries + 1))
	[ "$tries" -le 80 ] || t_fail "only $hits of $tries kills landed inside a run"
	fill
	delay=$((RANDOM % ms))
	"$C" sanitize --yes --profile crash6 --checkpoint-interval 1 "$IMG" >/dev/null 2>&1 &
	pid=$!
	sleep "$((delay / 1000)).$(printf %03d $((delay % 1000)))"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	state=$("$C" --json register show "$IMG" | jq -r '.state + "/" + (.interrupted|tostring)')
	[ "$state" = "sanitizing/true" ] || continue	# before the start or after the end
	hits=$((hits + 1))
	if "$C" register verify >/dev/null 2>"$T_TMP/verify.err"; then
		t_fail "kill $hits (${delay} ms): register verify passed a sanitizing medium"
	fi
	grep -q "unfinished sanitization" "$T_TMP/verify.err" ||
		t_fail "kill $hits: register verify does not report it: $(cat "$T_TMP/verify.err")"
	"$C" register list | grep -q "interrupted" || t_fail "kill $hits: list does not say so"
	timeout 120 "$C" --json sanitize --yes --resume --profile crash6 "$IMG" \
		>"$T_TMP/resume.json" 2>"$T_TMP/resume.err" ||
		t_fail "kill $hits (${delay} ms): resume: $(cat "$T_TMP/resume.err" "$T_TMP/resume.json")"
	jq -e '.results[0] | .outcome == "erased" and .event == "sanitized" and
		.certificate.id != null' \
		"$T_TMP/resume.json" >/dev/null || t_fail "kill $hits: resume: $(cat "$T_TMP/resume.json")"
	zeroed || t_fail "kill $hits (${delay} ms): the medium is not fully overwritten"
	[ "$("$C" --json register show "$IMG" | jq -r .state)" = sanitized ] ||
		t_fail "kill $hits: not sanitized after the resume"
	"$C" register verify >/dev/null 2>"$T_TMP/verify.err" ||
		t_fail "kill $hits: register verify after the resume: $(cat "$T_TMP/verify.err")"
done
t_ok "kill -9 at $hits random moments ($tries tries, runs of ${ms} ms): sanitizing, reported, resumed to sanitized"

# 3b. A checkpoint left by a run that ended (killed after its end was
#    recorded, before its checkpoint was removed: made here with a copy
#    taken during a run), then a new run killed right after it recorded its
#    start (test hook).  The new run removed the old checkpoint before it
#    was recorded as started, so --resume starts over instead of resuming
#    the old run over what the medium holds now.
if t_has_hooks; then
	P="$T_TMP/pause"
	ckpt() { find "$CUSTOS_STATE_DIR/jobs" -name '*.json' 2>/dev/null; }
	fill
	: >"$P"
	CUSTOS_TEST_PAUSE_BEFORE_VERIFY="$P" "$C" sanitize --yes --profile zero \
		--checkpoint-interval 0 "$IMG" >/dev/null 2>&1 &
	pid=$!
	for _ in $(seq 600); do [ -e "$P.paused" ] && break; sleep 0.1; done
	[ -e "$P.paused" ] || t_fail "stale: the run did not pause before its verification"
	[ "$(ckpt | wc -l)" = 1 ] || t_fail "stale: no checkpoint during the run"
	ck=$(ckpt)
	cp "$ck" "$T_TMP/stale.json"
	rm -f "$P" "$P.paused"
	wait "$pid" || t_fail "stale: the first run failed"
	[ -z "$(ckpt)" ] || t_fail "stale: the finished run kept its checkpoint"
	cp -p "$T_TMP/stale.json" "$ck"
	# --resume of a medium whose run ended: refused before anything is written
	before=$(sum)
	t_expect_rc 3 "$C" sanitize --yes --resume --profile zero "$IMG" >"$T_TMP/st.err" 2>&1
	grep -q "left from a run that has ended" "$T_TMP/st.err" ||
		t_fail "stale: --resume of an ended run: $(cat "$T_TMP/st.err")"
	[ "$(sum)" = "$before" ] || t_fail "stale: --resume of an ended run wrote"
	fill
	: >"$P"
	CUSTOS_TEST_PAUSE_AFTER_START="$P" "$C" sanitize --yes --profile zero "$IMG" \
		>/dev/null 2>&1 &
	pid=$!
	for _ in $(seq 600); do [ -e "$P.paused" ] && break; sleep 0.1; done
	[ -e "$P.paused" ] || t_fail "stale: the new run did not pause after its start"
	[ -z "$(ckpt)" ] || t_fail "stale: the old checkpoint is there once the new run is started"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	rm -f "$P" "$P.paused"
	state=$("$C" --json register show "$IMG" | jq -r '.state + "/" + (.interrupted|tostring)')
	[ "$state" = "sanitizing/true" ] || t_fail "stale: killed after its start: $state"
	timeout 120 "$C" --json sanitize --yes --resume --profile zero "$IMG" \
		>"$T_TMP/resume.json" 2>"$T_TMP/resume.err" ||
		t_fail "stale: resume: $(cat "$T_TMP/resume.err" "$T_TMP/resume.json")"
	jq -e '.results[0] | .outcome == "erased" and .event == "sanitized"' \
		"$T_TMP/resume.json" >/dev/null || t_fail "stale: resume: $(cat "$T_TMP/resume.json")"
	zeroed || t_fail "stale: the medium is not fully overwritten"
	t_ok "a checkpoint left by an ended run is not resumed (--resume refused; the next run's --resume starts over)"
fi

# 4. Killed between writing a certificate's files and recording its row:
#    the file is there, the row is not (made here by deleting the newest
#    row behind custos's back, in a copy).  The next issue records that
#    certificate (signed by this station for an event of its register)
#    instead of failing on its number, and the register verifies again.
O=$T_TMP/orphan
cp -a "$CUSTOS_STATE_DIR" "$O"
last=$(sqlite3 "$O/register.db" "SELECT id FROM certificates ORDER BY rowid DESC LIMIT 1")
sqlite3 "$O/register.db" "DROP TRIGGER certificates_no_delete;
	DELETE FROM certificates WHERE id = '$last'" || t_fail "cannot remove the row"
"$C" -d "$O" register verify >/dev/null 2>&1 && t_fail "a file without its row verified"
fill
cp "$IMG" "$O/virtual/crash.img"
"$C" -d "$O" --json sanitize --yes --profile zero "$O/virtual/crash.img" >"$T_TMP/orphan.json" ||
	t_fail "the issue after an unrecorded certificate failed: $(cat "$T_TMP/orphan.json")"
[ "$(sqlite3 "$O/register.db" "SELECT count(*) FROM certificates WHERE id = '$last'")" = 1 ] ||
	t_fail "the unrecorded certificate $last was not recorded"
"$C" -d "$O" register verify >/dev/null 2>"$T_TMP/verify.err" ||
	t_fail "register verify after recording $last: $(cat "$T_TMP/verify.err")"
t_ok "a certificate file left without its row is recorded by the next issue"
exit 0
