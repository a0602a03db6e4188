#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Batch decommissioning (issue 8) on loop devices (root): --dry-run writes
# nothing, --exclude is honoured, no --yes without a terminal refuses;
# three disks plus a mounted one: the three are wiped, verified, certified
# (one certificate each + a summary PDF), the mounted one is refused and
# untouched (exit 3) and listed as refused in the summary PDF with the asset
# tag; --json has host and results; a policy refusal leaves its medium
# untouched; --power-off only on success (never with --verify none, and an
# unverified batch exits 4); resume after kill -9 leaves no temp files.
#
# CUSTOS_TEST_ALL_ONLY keeps --all to this test's own loop devices.
. "$top_srcdir/tests/lib.sh"
t_init integ-batch
t_need_root
# CUSTOS_TEST_ALL_ONLY keeps --all away from the machine's disks: without
# the hooks the test must not run at all
t_need_hooks
t_need_cmd losetup dd jq sha256sum blockdev mkfs.ext4 grep

MARK="CUSTOS-BATCH-MARKER-42"
C=$CUSTOS

mark() { # DEV
	local size
	size=$(blockdev --getsize64 "$1")
	for off in 0 $((size / 2 + 17)) $((size - 512)); do
		printf '%s' "$MARK" | dd of="$1" bs=1 seek="$off" conv=notrunc 2>/dev/null ||
			t_fail "cannot mark $1"
	done
	sync
}
has_mark() { dd if="$1" bs=1M iflag=direct 2>/dev/null | grep -aq "$MARK"; }
sum() { dd if="$1" bs=1M iflag=direct 2>/dev/null | sha256sum; }

d1=$(t_loop 16) || t_skip "no loop device"
d2=$(t_loop 16) || t_skip "no loop device"
d3=$(t_loop 16) || t_skip "no loop device"
dm=$(t_loop 8) || t_skip "no loop device"
d4=$(t_loop 8) || t_skip "no loop device"
mkfs.ext4 -q -E lazy_itable_init=0,lazy_journal_init=0 "$dm" || t_fail "mkfs"
t_mount "$dm" "$T_TMP/mnt"
echo "$MARK" >"$T_TMP/mnt/keep.txt"
sync
for d in "$d1" "$d2" "$d3" "$d4"; do mark "$d"; done
export CUSTOS_TEST_ALL_ONLY="$d1:$d2:$d3:$dm"
export CUSTOS_POWEROFF_CMD="touch $T_TMP/powered-off"
sums() { for d in "$d1" "$d2" "$d3" "$dm" "$d4"; do sum "$d"; done; }
before=$(sums)

"$C" init --org "Test Office" --station B1 >/dev/null || t_fail "custos init"
"$C" enroll "$d1" --class internal --asset-tag PC42-D1 >/dev/null || t_fail "enroll d1"
"$C" enroll "$d4" --class top-secret --asset-tag TS-1 >/dev/null || t_fail "enroll d4"

# 1. --dry-run: selection and plan, nothing written.
"$C" sanitize --all --include-loop --dry-run --profile dod-3pass >"$T_TMP/dry.txt" 2>&1 ||
	t_fail "dry run: exit $?"
for d in "$d1" "$d2" "$d3"; do
	grep -q "^$d: .*profile dod-3pass.*3 passes.*about" "$T_TMP/dry.txt" ||
		t_fail "dry run does not plan $d"
done
grep -q "not selected: $dm: .*mounted" "$T_TMP/dry.txt" || t_fail "dry run: mounted one not shown"
"$C" --json sanitize --all --include-loop --dry-run --profile purge \
	--exclude "${d3#/dev/}" >"$T_TMP/dry.json" || t_fail "dry run json"
jq -e --arg d1 "$d1" --arg d2 "$d2" --arg d3 "$d3" '
	([.plan[].device] | sort) == ([$d1, $d2] | sort) and
	(.plan | all(.profile == "nist-clear" and .requested_profile == "purge" and
		     .estimate_s >= 1)) and
	(.skipped | map(.device) | index($d3) != null) and (.host | has("hostname"))' \
	"$T_TMP/dry.json" >/dev/null || t_fail "dry run json / --exclude / purge fallback"
[ "$(sums)" = "$before" ] || t_fail "--dry-run wrote something"
t_ok "--dry-run writes nothing; --exclude honoured; purge falls back to nist-clear"

# 2. No --yes and no terminal: refused, nothing written.
t_expect_rc 3 "$C" sanitize --all --include-loop --profile zero </dev/null >/dev/null 2>&1
[ "$(sums)" = "$before" ] || t_fail "unconfirmed batch wrote something"
# Even with nothing erased, the summary lists every disk and why.
if command -v pdftotext >/dev/null; then
	pdftotext -layout "$(ls "$CUSTOS_STATE_DIR"/certs/summary-*.pdf | head -1)" \
		"$T_TMP/none.txt" || t_fail "no summary of an unconfirmed batch"
	grep -q "4 disks: 0 erased" "$T_TMP/none.txt" && grep -q "$d1: refused: not confirmed" \
		"$T_TMP/none.txt" || t_fail "summary of an unconfirmed batch: $(cat "$T_TMP/none.txt")"
fi
t_ok "no --yes without a terminal: refused"

# 3. Policy: a top-secret medium may only be destroyed: refused, untouched.
"$C" sanitize --yes --profile zero "$d4" >"$T_TMP/ts.out" 2>&1
[ $? = 3 ] || t_fail "top-secret internal reuse: wrong exit status"
grep -q "policy rule" "$T_TMP/ts.out" || t_fail "policy refusal names no rule"
"$C" sanitize --yes --profile zero --class secret --destination recycling "$d2" \
	>"$T_TMP/rc.out" 2>&1
[ $? = 3 ] || t_fail "declared secret to recycling: wrong exit status"
[ "$(sums)" = "$before" ] || t_fail "a refused medium was written"
t_ok "policy refusals exit 3 and write nothing"

# 4. Three disks plus a mounted one, named: exit 3, three certificates.
dm_before=$(sum "$dm")
"$C" --json sanitize --yes --profile purge --cert-dir "$T_TMP/certs" --source-asset PC-42 \
	--operator "Li Lei" --validator "Han Meimei" --power-off \
	"$d1" "$d2" "$d3" "$dm" >"$T_TMP/run.json" 2>"$T_TMP/run.err"
rc=$?
[ $rc = 3 ] || { cat "$T_TMP/run.err"; t_fail "named batch: exit $rc, want 3"; }
[ -e "$T_TMP/powered-off" ] && t_fail "powered off although a device was refused"
jq -e --arg dm "$dm" '
	.host.asset_tag == "PC-42" and (.start | test("Z$")) and (.end | test("Z$")) and
	(.results | length) == 4 and
	([.results[] | select(.outcome == "erased")] | length) == 3 and
	(.results | all(has("device") and has("outcome") and has("profile") and
			has("bytes_written") and has("bytes_verified") and has("errors") and
			has("certificate"))) and
	(.results[] | select(.device == $dm) | .outcome == "refused" and .certificate == null) and
	([.results[] | select(.outcome == "erased") |
	  select(.profile == "nist-clear" and .requested_profile == "purge" and
		 .bytes_verified > 0 and (.certificate.id | length) > 0)] | length) == 3' \
	"$T_TMP/run.json" >/dev/null || t_fail "named batch json"
for d in "$d1" "$d2" "$d3"; do has_mark "$d" && t_fail "marker left on $d"; done
[ "$(sum "$dm")" = "$dm_before" ] || t_fail "mounted device was written"
grep -q "$MARK" "$T_TMP/mnt/keep.txt" || t_fail "mounted file system damaged"
[ "$(ls "$T_TMP"/certs/*.json | wc -l)" = 3 ] || t_fail "want 3 certificates"
[ "$(ls "$T_TMP"/certs/*.pdf | grep -vc summary-)" = 3 ] || t_fail "want 3 certificate PDFs"
summary=$(jq -r .summary_pdf "$T_TMP/run.json")
[ -s "$summary" ] || t_fail "no summary PDF"
for id in $(jq -r '.results[].certificate.id // empty' "$T_TMP/run.json"); do
	"$C" cert verify "$T_TMP/certs/$id.json" >/dev/null || t_fail "certificate $id does not verify"
	jq -e '.certificate.medium.source_host | test("PC-42")' "$T_TMP/certs/$id.json" \
		>/dev/null || t_fail "certificate $id does not name the source host"
done
"$C" cert verify "$summary" >/dev/null || t_fail "summary PDF does not verify"
# The summary lists every disk: the refused one too, with its reason, and
# the machine's asset tag.
if command -v pdftotext >/dev/null; then
	pdftotext -layout "$summary" "$T_TMP/summary.txt" || t_fail "pdftotext"
	grep -q "Asset tag: PC-42" "$T_TMP/summary.txt" || t_fail "summary: no asset tag"
	grep -q "4 disks: 3 erased" "$T_TMP/summary.txt" || t_fail "summary: not every disk counted"
	grep -q "4\. $dm: refused: mounted on" "$T_TMP/summary.txt" ||
		t_fail "summary: the mounted disk is not listed as refused with its reason"
	grep -q "refused" "$T_TMP/summary.txt" || t_fail "summary: no refused row"
fi
"$C" --json register history PC42-D1 | jq -e 'map(.kind) | index("sanitized") != null' \
	>/dev/null || t_fail "no sanitized event for the enrolled disk"
t_ok "three wiped and certified, mounted one refused and untouched (exit 3), register updated"

# 4b. Unverified is not success: --power-off refuses --verify none up front;
# a batch left unverified exits 4 and is not powered off.
t_expect_rc 2 "$C" sanitize --yes --profile zero --verify none --power-off "$d1" "$d2" \
	>/dev/null 2>&1
"$C" --json sanitize --yes --profile zero --verify none --cert-dir "$T_TMP/certs-nv" \
	"$d1" "$d2" >"$T_TMP/nv.json" 2>/dev/null
rc=$?
[ $rc = 4 ] || t_fail "unverified batch: exit $rc, want 4"
jq -e '.results | length == 2 and all(.outcome == "unverified")' "$T_TMP/nv.json" >/dev/null ||
	t_fail "unverified batch json"
[ -e "$T_TMP/powered-off" ] && t_fail "powered off after an unverified run"
t_ok "--verify none: --power-off refused (exit 2), unverified batch exits 4"

# 5. --all: the mounted one is not selected; success powers off.
for d in "$d1" "$d2" "$d3"; do mark "$d"; done
"$C" --json sanitize --all --include-loop --yes --profile zero --power-off \
	>"$T_TMP/all.json" 2>"$T_TMP/all.err" || { cat "$T_TMP/all.err"; t_fail "--all: exit $?"; }
grep -q -- "--all selected 3 disk" "$T_TMP/all.err" || t_fail "--all did not print its selection"
jq -e '(.results | length) == 3 and (.results | all(.outcome == "erased"))' \
	"$T_TMP/all.json" >/dev/null || t_fail "--all json"
[ -e "$T_TMP/powered-off" ] || t_fail "--power-off did not run after success"
if command -v pdftotext >/dev/null; then
	pdftotext -layout "$(jq -r .summary_pdf "$T_TMP/all.json")" "$T_TMP/all.txt" ||
		t_fail "pdftotext (--all)"
	grep -q "4\. $dm: not selected: mounted on" "$T_TMP/all.txt" ||
		t_fail "--all summary does not list the mounted disk as not selected"
fi
for d in "$d1" "$d2" "$d3"; do has_mark "$d" && t_fail "--all left a marker on $d"; done
t_ok "--all wipes the eligible disks and powers off on success"

# 6. Resume after kill -9 completes every disk.  The engine's test pause
# (before verification) holds the three jobs so the kill lands mid-run.
for d in "$d1" "$d2" "$d3"; do mark "$d"; done
: >"$T_TMP/pause"
CUSTOS_TEST_PAUSE_BEFORE_VERIFY="$T_TMP/pause" \
	"$C" sanitize --all --include-loop --yes --profile dod-3pass --verify all \
	--checkpoint-interval 1 --cert-dir "$T_TMP/certs2" --source-asset PC-43 \
	>/dev/null 2>"$T_TMP/killed.err" &
pid=$!
# Kill it once every disk has a checkpoint and waits before verifying.
for _ in $(seq 1 300); do
	[ -e "$T_TMP/pause.paused" ] &&
		[ "$(ls "$CUSTOS_STATE_DIR"/jobs/*.json 2>/dev/null | wc -l)" = 3 ] && break
	sleep 0.1
done
kill -9 $pid 2>/dev/null || t_fail "the run ended before it could be killed"
wait $pid 2>/dev/null
rm -f "$T_TMP/pause" "$T_TMP/pause.paused"
[ "$(ls "$CUSTOS_STATE_DIR"/jobs/*.json 2>/dev/null | wc -l)" = 3 ] ||
	t_fail "not every disk left a checkpoint"
# Without a terminal no progress is printed, only results.
grep -q 'progress\|pass [0-9]/' "$T_TMP/killed.err" && t_fail "progress printed on a pipe"
# Every disk is left "sanitizing", and register verify says so.
"$C" register verify >"$T_TMP/verify.out" 2>"$T_TMP/verify.err" &&
	t_fail "register verify passed with three unfinished sanitizations"
[ "$(grep -c 'unfinished sanitization' "$T_TMP/verify.err")" = 3 ] ||
	t_fail "register verify does not list the 3 unfinished runs: $(cat "$T_TMP/verify.err")"
[ -s "$CUSTOS_STATE_DIR/jobs/.batch.json" ] || t_fail "batch options not kept for resume"
# What a kill during a checkpoint write leaves: a temporary file (with keys).
for f in "$CUSTOS_STATE_DIR"/jobs/*.json; do : >"$f.tmp.AbC123"; done
"$C" --json sanitize --resume --all --yes >"$T_TMP/resume.json" 2>"$T_TMP/resume.err" ||
	{ cat "$T_TMP/resume.err"; t_fail "resume --all: exit $?"; }
jq -e --arg dir "$T_TMP/certs2/" '(.results | length) == 3 and .host.asset_tag == "PC-43" and
	(.results | all(.outcome == "erased" and .resumed >= 1 and .profile == "dod-3pass" and
			(.certificate.json | startswith($dir))))' \
	"$T_TMP/resume.json" >/dev/null || t_fail "resume json (batch options kept?)"
[ -e "$CUSTOS_STATE_DIR/jobs/.batch.json" ] && t_fail "batch options left after the resume"
for d in "$d1" "$d2" "$d3"; do has_mark "$d" && t_fail "resumed run left a marker on $d"; done
[ -z "$(ls "$CUSTOS_STATE_DIR"/jobs/*.json 2>/dev/null)" ] || t_fail "checkpoints left"
[ -z "$(ls "$CUSTOS_STATE_DIR"/jobs/*.tmp.* 2>/dev/null)" ] ||
	t_fail "stale checkpoint temp files left: $(ls "$CUSTOS_STATE_DIR"/jobs)"
t_ok "resume --all after kill -9 completes all disks"
exit 0
