#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# custos sanitize / verify on loop devices (root): every shipped overwrite
# profile removes a marker, verification catches a byte changed behind the
# engine's back, resume after kill -9 and after SIGINT completes the wipe,
# refused devices are left untouched.
. "$top_srcdir/tests/lib.sh"
t_init integ-sanitize
t_need_root
t_need_cmd losetup dd grep python3
"$CUSTOS" init --org "Test Office" --station T1 >/dev/null || t_fail "custos init"

MARK="CUSTOS-SECRET-MARKER-0123456789"

mark() { # DEV: the marker at the start, in the middle and in the last sector
	local size
	size=$(blockdev --getsize64 "$1")
	for off in 0 $((size / 2 + 4096 + 17)) $((size - 512)); do
		printf '%s' "$MARK" | dd of="$1" bs=1 seek="$off" conv=notrunc 2>/dev/null ||
			t_fail "cannot mark $1"
	done
	sync
	has_mark "$1" || t_fail "marker not found on $1"
}

has_mark() { # DEV
	dd if="$1" bs=1M iflag=direct 2>/dev/null | grep -aq "$MARK"
}

json_get() { # FILE PYTHON-EXPR (r = results[0])
	python3 -c "import json,sys; d=json.load(open('$1')); r=d['results'][0]; print($2)"
}

dev=$(t_loop 8)

# 1. Every shipped overwrite profile leaves no marker.
for prof in zero one random nist-clear dod-3pass dod-7pass gutmann schneier vsitr \
	    hmg-is5-baseline hmg-is5-enhanced rcmp-ops2 gost; do
	mark "$dev"
	verify=
	case $prof in gutmann|dod-7pass|schneier|vsitr|rcmp-ops2) verify="--verify sample" ;; esac
	# shellcheck disable=SC2086
	"$CUSTOS" --json sanitize --yes --profile "$prof" $verify "$dev" >"$T_TMP/$prof.json" ||
		t_fail "$prof: exit $?"
	[ "$(json_get "$T_TMP/$prof.json" "r['outcome']")" = erased ] || t_fail "$prof: not erased"
	[ "$(json_get "$T_TMP/$prof.json" "r['bytes_written']")" = \
	  "$(( $(json_get "$T_TMP/$prof.json" "len(r['passes'])") * 8 * 1024 * 1024 ))" ] ||
		t_fail "$prof: bytes_written is not passes x size"
	[ "$(json_get "$T_TMP/$prof.json" "r['read_path']")" = direct ] || t_fail "$prof: read path"
	has_mark "$dev" && t_fail "$prof: marker survived"
	t_ok "$prof erased the marker"
done
[ "$(json_get "$T_TMP/gutmann.json" "len(r['passes'])")" = 35 ] || t_fail "gutmann: not 35 passes"
[ "$(json_get "$T_TMP/gutmann.json" "r['verify']")" = sample ] || t_fail "gutmann: not sampled"
json_get "$T_TMP/gutmann.json" "r['sample_seed']" >/dev/null || t_fail "no sample seed"

# 2. custos verify: clean after zero, mismatch offsets on a dirty medium.
"$CUSTOS" sanitize --yes --profile zero "$dev" >/dev/null || t_fail "zero failed"
t_expect_rc 0 "$CUSTOS" verify "$dev" --expect zero
printf 'Z' | dd of="$dev" bs=1 seek=1048580 conv=notrunc 2>/dev/null
sync
out=$("$CUSTOS" verify "$dev" --expect 0x00)
rc=$?
[ $rc = 1 ] || t_fail "verify on a dirty medium: exit $rc"
echo "$out" | grep -q "first at offset 1048580" || t_fail "verify: offset not reported: $out"
t_expect_rc 1 "$CUSTOS" verify "$dev" --expect one
t_ok "verify reports mismatches with offsets"

# 3. A sector changed behind the engine's back between write and verify.
if ! t_has_hooks; then
	echo "skip: the tamper case needs a build with --enable-test-hooks"
else
export CUSTOS_TEST_PAUSE_BEFORE_VERIFY="$T_TMP/pause"
touch "$T_TMP/pause"
"$CUSTOS" --json sanitize --yes --profile random "$dev" >"$T_TMP/tamper.json" &
pid=$!
for _ in $(seq 200); do [ -e "$T_TMP/pause.paused" ] && break; sleep 0.05; done
[ -e "$T_TMP/pause.paused" ] || t_fail "the engine never paused before verifying"
head -c 512 /dev/zero | dd of="$dev" bs=512 seek=4000 oflag=direct conv=notrunc 2>/dev/null ||
	t_fail "cannot tamper"
rm -f "$T_TMP/pause"
wait $pid
rc=$?
unset CUSTOS_TEST_PAUSE_BEFORE_VERIFY
[ $rc = 1 ] || t_fail "tampered medium: exit $rc, want 1"
[ "$(json_get "$T_TMP/tamper.json" "r['outcome']")" = failed ] || t_fail "tamper: not failed"
first=$(json_get "$T_TMP/tamper.json" "r['first_mismatch']")
[ "$first" -ge $((4000 * 512)) ] && [ "$first" -lt $((4001 * 512)) ] ||
	t_fail "tamper: first mismatch $first not in sector 4000"
t_ok "verification caught a sector changed behind the engine's back"
fi

# 4. Resume after kill -9, and after SIGINT (outcome interrupted: resumable).
big=$(t_loop 64)
name=$(basename "$big")
ckpt="$CUSTOS_STATE_DIR/jobs/$name.json"
mark "$big"
"$CUSTOS" sanitize --yes --profile gutmann --checkpoint-interval 1 "$big" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 600); do
	grep -q '"pass":[3-9]' "$ckpt" 2>/dev/null && break
	sleep 0.02
done
kill -9 $pid
wait $pid 2>/dev/null
[ -e "$ckpt" ] || t_fail "no checkpoint after kill -9"
[ "$(stat -c %a "$ckpt")" = 600 ] || t_fail "checkpoint mode is not 0600"
[ "$(stat -c %a "$(dirname "$ckpt")")" = 700 ] || t_fail "jobs directory mode is not 0700"
"$CUSTOS" --json sanitize --yes --resume --profile gutmann "$big" >"$T_TMP/resume.json" ||
	t_fail "resume after kill -9: exit $?"
[ "$(json_get "$T_TMP/resume.json" "r['outcome']")" = erased ] || t_fail "resume: not erased"
[ "$(json_get "$T_TMP/resume.json" "r['resumed']")" = 1 ] || t_fail "resume: not marked resumed"
has_mark "$big" && t_fail "resume: marker survived"
[ -e "$ckpt" ] && t_fail "checkpoint left after completion"
t_ok "resume after kill -9 completed the wipe"

mark "$big"
"$CUSTOS" --json sanitize --yes --profile schneier "$big" >"$T_TMP/int.json" 2>/dev/null &
pid=$!
for _ in $(seq 600); do
	grep -q '"pass":[1-9]' "$ckpt" 2>/dev/null && break
	sleep 0.02
done
kill -INT $pid
wait $pid
rc=$?
[ $rc = 1 ] || t_fail "SIGINT: exit $rc, want 1"
[ "$(json_get "$T_TMP/int.json" "r['outcome']")" = interrupted ] ||
	t_fail "SIGINT: not interrupted"
[ "$(json_get "$T_TMP/int.json" "r['event']")" = not-erased ] || t_fail "SIGINT: no end event"
[ -e "$ckpt" ] || t_fail "SIGINT: the checkpoint to resume from is gone"
"$CUSTOS" --json sanitize --yes --resume --profile schneier "$big" >"$T_TMP/int2.json" ||
	t_fail "resume after SIGINT: exit $?"
[ "$(json_get "$T_TMP/int2.json" "r['resumed']")" = 1 ] || t_fail "SIGINT resume: not resumed"
has_mark "$big" && t_fail "SIGINT resume: marker survived"
t_ok "SIGINT interrupts (recorded), and the run resumes"

# A checkpoint of another profile is refused.
mark "$big"
"$CUSTOS" sanitize --yes --profile schneier "$big" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 600); do grep -q '"pass"' "$ckpt" 2>/dev/null && break; sleep 0.02; done
kill -9 $pid
wait $pid 2>/dev/null
t_expect_rc 1 "$CUSTOS" sanitize --yes --resume --profile zero "$big"
rm -f "$ckpt"

# 5. Refused: a mounted device is never written; no --yes without a terminal.
if command -v mkfs.ext4 >/dev/null 2>&1; then
	fsdev=$(t_loop 16)
	mkfs.ext4 -q -E lazy_itable_init=0,lazy_journal_init=0 "$fsdev" || t_fail "mkfs"
	t_mount "$fsdev" "$T_TMP/mnt"
	echo "$MARK" >"$T_TMP/mnt/secret.txt"
	# Still mounted (the guard applies), but read-only so that ext4's own
	# background writes cannot change the checksum.
	mount -o remount,ro "$T_TMP/mnt" || t_fail "remount read-only"
	before=$(md5sum <"$fsdev")
	t_expect_rc 3 "$CUSTOS" sanitize --yes --profile zero "$fsdev" "$dev"
	[ "$(md5sum <"$fsdev")" = "$before" ] || t_fail "a mounted device was written"
	grep -q "$MARK" "$T_TMP/mnt/secret.txt" || t_fail "mounted file system damaged"
	t_ok "mounted device refused and untouched (exit 3), the other one still ran"
else
	echo "mkfs.ext4 missing: mounted-device check skipped"
fi
mark "$dev"
t_expect_rc 3 "$CUSTOS" sanitize --profile zero "$dev" </dev/null
has_mark "$dev" || t_fail "unconfirmed device was written"
t_ok "no --yes and no terminal: refused"
exit 0
