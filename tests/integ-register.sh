#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The media register end to end: enrolment, recognition, custody, refusals,
# the hash chain under tampering, parallel writers and kill -9, backup and
# export.  File-backed media need no root; the loop-device part does.
. "$top_srcdir/tests/lib.sh"
t_init register
# destroy renders a certificate PDF; for ASan builds: fontconfig's
# process-lifetime caches are not leaks
export LSAN_OPTIONS="suppressions=$top_srcdir/tests/lsan-cert.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
t_need_cmd sqlite3 jq

C=$CUSTOS
# certificates name a person, never the login account (no roster kept here)
export CUSTOS_OPERATOR=Clerk
DB=$CUSTOS_STATE_DIR/register.db

"$C" init --org "Test Office" --station WS-REG >/dev/null || t_fail "custos init"

# --- enrol a file-backed virtual medium, recognise it, refuse a second enrolment
img=$T_TMP/stick.img
truncate -s 8M "$img"
"$C" enroll "$img" --class secret --asset-tag T-1 --custodian "张三" --department "Office 3" \
	>/dev/null || t_fail "enroll $img"
t_expect_rc 1 "$C" enroll "$img" --class secret
no=$("$C" -j register show "$img" | jq -r .register_no)
[ "$no" = M-000001 ] || t_fail "file not recognised by its path: got '$no'"
t_ok "enrol and recognise a virtual medium"

# --- custody round trips
"$C" issue T-1 --to Alice >/dev/null || t_fail issue
t_expect_rc 3 "$C" issue T-1 --to Bob
"$C" return M-000001 >/dev/null || t_fail return
"$C" repair T-1 --to "Vendor Co" >/dev/null || t_fail repair
"$C" return T-1 >/dev/null || t_fail "return from repair"
"$C" reclassify T-1 --class confidential >/dev/null || t_fail "reclassify up"
before=$("$C" -j register show T-1)
events_before=$("$C" -j register history T-1 | jq length)
t_expect_rc 3 "$C" reclassify T-1 --class internal
"$C" reclassify T-1 --class internal 2>&1 | grep -q "policy rule no-downgrade" ||
	t_fail "refusal does not name the rule"
[ "$("$C" -j register show T-1)" = "$before" ] || t_fail "refused reclassify changed the row"
[ "$("$C" -j register history T-1 | jq length)" = "$events_before" ] ||
	t_fail "refused reclassify wrote an event"
"$C" -j register history T-1 | jq -e 'length == 6 and
	([.[].kind] == ["enrolled","issued","returned","repair","repaired","reclassified"]) and
	all(.[]; has("at") and has("kind") and has("operator") and has("details") and has("hash"))' \
	>/dev/null || t_fail "history --json shape"
"$C" register list --json | jq -e '.[0] | .register_no == "M-000001" and .asset_tag == "T-1"
	and .media_type == "virtual" and has("serial") and .classification == "confidential"
	and .custodian == "张三" and .state == "in-stock"' >/dev/null || t_fail "list --json shape"
t_ok "custody round trips; downgrade refused with exit 3, row untouched"

# --- manual enrolment, destruction with witnesses, terminal state
"$C" enroll --manual --type optical --class top-secret --serial DISC-7 --asset-tag CD-7 \
	>/dev/null || t_fail "manual enroll"
t_expect_rc 3 "$C" destroy CD-7 --method shred --place "Room 101" --witness Li --witness " li "
# names are compared after NFKC and white space folding: one person, twice
t_expect_rc 3 "$C" destroy CD-7 --method shred --place "Room 101" --witness "张　三，张三"
t_expect_rc 2 "$C" destroy CD-7 --witness Li --witness Wang
"$C" destroy DISC-7 --method shred --place "Room 101" --witness Li --witness Wang >/dev/null ||
	t_fail destroy
"$C" cert list --media CD-7 | grep -q "destruction .*register" ||
	t_fail "no destruction certificate"
t_expect_rc 3 "$C" issue CD-7 --to Alice
[ "$("$C" -j register list --state destroyed | jq length)" = 1 ] || t_fail "list --state"
"$C" register verify >/dev/null || t_fail "verify after custody"
t_ok "manual enrolment and destruction"

# --- two processes writing events at once lose none
truncate -s 8M "$T_TMP/a.img" "$T_TMP/b.img"
"$C" enroll "$T_TMP/a.img" --class internal --asset-tag P-A >/dev/null || t_fail "enroll a"
"$C" enroll "$T_TMP/b.img" --class internal --asset-tag P-B >/dev/null || t_fail "enroll b"
loops() {
	for _ in $(seq 1 25); do
		"$C" issue "$1" --to Alice >/dev/null || exit 1
		"$C" return "$1" >/dev/null || exit 1
	done
}
loops P-A & pa=$!
loops P-B & pb=$!
wait $pa || t_fail "writer A failed"
wait $pb || t_fail "writer B failed"
for t in P-A P-B; do
	n=$("$C" -j register history $t | jq length)
	[ "$n" = 51 ] || t_fail "$t: $n events instead of 51"
done
"$C" register verify >/dev/null || t_fail "verify after parallel writers"
t_ok "parallel writers lose nothing"

# --- kill -9 during a write loop leaves a register that verifies
for delay in 0.7 1.1 1.3; do
	(
		while :; do
			"$C" issue P-A --to Bob >/dev/null 2>&1 & echo $! > "$T_TMP/writer.pid"
			wait
			"$C" return P-A >/dev/null 2>&1 & echo $! > "$T_TMP/writer.pid"
			wait
		done
	) &
	loop=$!
	sleep $delay
	kill -STOP $loop
	# only our own writer: the loop's child (its pid cannot be reused while
	# the stopped loop has not reaped it)
	w=$(cat "$T_TMP/writer.pid")
	[ "$(awk '{print $4}' "/proc/$w/stat" 2>/dev/null)" = "$loop" ] && kill -9 "$w"
	kill -9 $loop
	wait $loop 2>/dev/null
	"$C" register verify >/dev/null || t_fail "verify after kill -9"
	# whatever state the medium was left in, it can go on
	"$C" return P-A >/dev/null 2>&1
	"$C" issue P-A --to Carol >/dev/null || t_fail "register unusable after kill -9"
	"$C" return P-A >/dev/null || t_fail "register unusable after kill -9"
done
t_ok "kill -9 during writes"

# --- backup and exports
"$C" register backup "$T_TMP/backup.db" >/dev/null || t_fail backup
[ "$(sqlite3 "$T_TMP/backup.db" 'PRAGMA integrity_check')" = ok ] || t_fail "backup integrity"
[ "$(sqlite3 "$T_TMP/backup.db" 'SELECT count(*) FROM media')" = 4 ] || t_fail "backup content"
restore=$T_TMP/restore
mkdir -p "$restore" && cp "$T_TMP/backup.db" "$restore/register.db"
# the signatures verify with the keyring, the end with the signed head
cp -r "$CUSTOS_STATE_DIR/keys" "$CUSTOS_STATE_DIR/register.head" "$restore/"
"$C" -d "$restore" register verify >/dev/null || t_fail "backup verifies"
"$C" register export --format json | jq -e '.media | length == 4 and
	(.[0].history | length == 6)' >/dev/null || t_fail "json export"
"$C" register export --format csv --output "$T_TMP/reg.csv" || t_fail "csv export"
head -1 "$T_TMP/reg.csv" | grep -q $'^\xef\xbb\xbf介质类型 Media type,编号 Register No.,使用处室' ||
	t_fail "csv header (with the UTF-8 BOM)"
head -1 "$T_TMP/reg.csv" | grep -q ',报废原因 Reason retired,使用人签字 User.s signature,' ||
	t_fail "csv header: the form's columns"
[ "$(wc -l < "$T_TMP/reg.csv")" = 5 ] || t_fail "csv rows"
grep -q '^virtual,M-000001,Office 3,张三,机密,' "$T_TMP/reg.csv" || t_fail "csv row"
grep -q '^optical,M-000002,.*,"销毁 destroyed: shred, Room 101",,,,' "$T_TMP/reg.csv" ||
	t_fail "csv: reason of the destroyed medium"
"$C" register history T-1 | grep -q "WS-REG" || t_fail "history text without the station"
t_ok "backup, csv and json export"

# --- a medium sanitized before enrolment is enrolled in place, history kept
S3=$T_TMP/state-unreg
"$C" -d "$S3" init --org "Test Office" --station WS-REG >/dev/null || t_fail "init $S3"
u=$S3/virtual/unreg.img		# files are wiped only as virtual media
truncate -s 8M "$u"
"$C" -d "$S3" enroll --manual --type optical --class internal --serial D-1 >/dev/null ||
	t_fail "enroll D-1"
"$C" -d "$S3" -y sanitize --profile zero "$u" >/dev/null 2>&1 || t_fail "sanitize unenrolled"
"$C" -d "$S3" -j register show "$u" | jq -e '.register_no == "U-000001" and .unregistered' \
	>/dev/null || t_fail "no unregistered row after sanitize"
"$C" -d "$S3" enroll "$u" --class secret --asset-tag U-1 --custodian "张伟" >/dev/null ||
	t_fail "enroll of a medium sanitized while unregistered"
"$C" -d "$S3" -j register show U-1 | jq -e '.register_no == "M-000002" and
	(.unregistered | not) and .classification == "secret" and .custodian == "张伟" and
	.state == "in-stock"' >/dev/null || t_fail "converted row: $("$C" -d "$S3" -j register show U-1)"
"$C" -d "$S3" -j register history U-1 | jq -e '[.[].kind] == ["sanitize-started","sanitized","enrolled"]' \
	>/dev/null || t_fail "history of the converted medium"
"$C" -d "$S3" register history U-1 | grep -q "sanitized" || t_fail "history text"
[ "$("$C" -d "$S3" -j register list | jq length)" = 2 ] || t_fail "conversion added a row"
"$C" -d "$S3" cert list --media U-1 | grep -q "sanitization .*U-000001" ||
	t_fail "the sanitization certificate is not listed for the enrolled medium"
t_expect_rc 1 "$C" -d "$S3" enroll "$u" --class secret
"$C" -d "$S3" register verify >/dev/null || t_fail "verify after converting"
t_ok "medium sanitized before enrolment enrolled in place"

# --- sanitized for destruction: never back into service
S4=$T_TMP/state-destr
DB4=$S4/register.db
"$C" -d "$S4" init --org "Test Office" --station WS-REG >/dev/null || t_fail "init $S4"
ts=$S4/virtual/ts.img
truncate -s 8M "$ts"
"$C" -d "$S4" enroll "$ts" --class top-secret --asset-tag TS-1 >/dev/null || t_fail "enroll TS-1"
"$C" -d "$S4" -y sanitize --profile zero --destination destruction "$ts" >/dev/null 2>&1 ||
	t_fail "sanitize for destruction"
[ "$("$C" -d "$S4" -j register show TS-1 | jq -r .state)" = awaiting-destruction ] ||
	t_fail "state after sanitizing for destruction"
t_expect_rc 3 "$C" -d "$S4" issue TS-1 --to Alice
"$C" -d "$S4" issue TS-1 --to Alice 2>&1 | grep -q "lifecycle rule" ||
	t_fail "issue refusal does not name the lifecycle rule"
[ "$("$C" -d "$S4" -j register list --state awaiting-destruction | jq length)" = 1 ] ||
	t_fail "list --state awaiting-destruction"
t_ok "sanitized for destruction: issue refused (exit 3, lifecycle rule)"

# --- witnesses: the policy's number, any number of --witness
echo "witnesses 3" > "$S4/policy.conf"
t_expect_rc 3 "$C" -d "$S4" destroy TS-1 --method shred --place "Room 9" --witness Li
out=$("$C" -d "$S4" destroy TS-1 --method shred --place "Room 9" --witness Li --witness Wang 2>&1)
[ $? = 3 ] || t_fail "two witnesses with 'witnesses 3' not refused with exit 3"
echo "$out" | grep -q "policy rule two-witnesses" || t_fail "refusal does not name the rule: $out"
t_expect_rc 3 "$C" -d "$S4" destroy TS-1 --method shred --place "Room 9" --witness Li \
	--witness Wang --witness " li"
[ "$("$C" -d "$S4" -j register show TS-1 | jq -r .state)" = awaiting-destruction ] ||
	t_fail "a refused destroy changed the state"
"$C" -d "$S4" -j destroy TS-1 --method shred --place "Room 9" --witness Li \
	--witness "Wang、 Zhao" >"$T_TMP/destroy.json" || t_fail "destroy with three witnesses"
cj=$(jq -r .certificate.json "$T_TMP/destroy.json")
jq -e '[.certificate.destruction.witnesses[].name] == ["Li","Wang","Zhao"]' "$cj" >/dev/null ||
	t_fail "certificate witnesses: $(jq -c .certificate.destruction "$cj")"
"$C" -d "$S4" cert verify "$cj" >/dev/null || t_fail "certificate with three witnesses verifies"
if command -v pdftotext >/dev/null; then
	pdftotext "${cj%.json}.pdf" - | grep -q Zhao || t_fail "third witness not on the PDF"
	[ "$(pdfinfo "${cj%.json}.pdf" | awk '/^Pages:/ {print $2}')" = 1 ] ||
		t_fail "the PDF does not fit one page"
fi
[ "$("$C" -d "$S4" -j register show TS-1 | jq -r .state)" = destroyed ] || t_fail "not destroyed"
t_ok "destruction with the policy's three witnesses; certificate lists them"

# --- tampering with the media table is caught, and the row is not trusted
img5=$S4/virtual/m5.img
truncate -s 8M "$img5"
"$C" -d "$S4" enroll "$img5" --class confidential --asset-tag C-5 --custodian "王五" >/dev/null ||
	t_fail "enroll C-5"
"$C" -d "$S4" register verify >/dev/null || t_fail "verify before tampering"
sqlite3 "$DB4" "UPDATE media SET classification='public', highest_class='public'
	WHERE asset_tag='C-5'" || t_fail "sqlite3 edit of media"
out=$("$C" -d "$S4" register verify 2>&1) && t_fail "verify passed an edited media row"
echo "$out" | grep -q 'M-000002: classification: expected from history "confidential", found "public"' ||
	t_fail "verify does not name the row and field: $out"
echo "$out" | grep -q 'M-000002: highest_class' || t_fail "verify does not list every field: $out"
"$C" -d "$S4" -j register verify | jq -e '.ok == false and (.media_mismatches | length == 2)' \
	>/dev/null || t_fail "verify --json media mismatches"
out=$("$C" -d "$S4" -y sanitize --profile zero --destination external-reuse "$img5" 2>&1)
rc=$?
[ $rc = 3 ] || t_fail "sanitize of a tampered medium: exit $rc, not 3: $out"
echo "$out" | grep -q "integrity" || t_fail "sanitize refusal does not name the rule: $out"
t_expect_rc 3 "$C" -d "$S4" issue C-5 --to Bob
"$C" -d "$S4" register show C-5 | grep -q "WARNING" || t_fail "show does not warn"
sqlite3 "$DB4" "UPDATE media SET classification='confidential', highest_class='confidential'
	WHERE asset_tag='C-5'" || t_fail "sqlite3 restore"
"$C" -d "$S4" register verify >/dev/null || t_fail "verify after restoring the row"
"$C" -d "$S4" issue C-5 --to Bob >/dev/null || t_fail "issue after restoring the row"
t_ok "media row edits detected per field; tampered row refused (rule integrity)"

# --- tampering: an event edited behind the register's back is caught
sqlite3 "$DB" "DROP TRIGGER events_no_update;
	UPDATE events SET details = replace(details, 'Alice', 'Alicx') WHERE seq = 2;" ||
	t_fail "sqlite3 edit"
out=$("$C" register verify 2>&1) && t_fail "verify passed a tampered register"
echo "$out" | grep -q "event id 2 (seq 2): hash" || t_fail "verify does not name the link: $out"
"$C" -j register verify | jq -e '.ok == false and .seq == 2' >/dev/null ||
	t_fail "verify --json on a broken chain"
t_ok "tampering detected at seq 2"

# --- an image file's serial number names virtual media only: an image
# claiming a stick's serial does not take the stick's record
S3=$T_TMP/state3
"$C" -d "$S3" init --org "Test Office" --station WS-SER >/dev/null || t_fail "init state3"
mkdir -p "$S3/virtual"
"$C" -d "$S3" enroll --manual --type usb-flash --class secret --serial STICK-0001 >/dev/null ||
	t_fail "enrol the stick"
truncate -s 4M "$S3/virtual/fake.img" "$S3/virtual/real.img"
if python3 -c 'import os, sys; [os.setxattr(f, "user.custos.serial", s.encode()) for f, s in
		zip(sys.argv[1::2], sys.argv[2::2])]' \
		"$S3/virtual/fake.img" STICK-0001 "$S3/virtual/real.img" VIMG-0001 2>/dev/null; then
	t_expect_rc 1 "$C" -d "$S3" register show "$S3/virtual/fake.img"
	"$C" -d "$S3" enroll "$S3/virtual/real.img" --class internal >/dev/null ||
		t_fail "enrol the image"
	"$C" -d "$S3" -j register show "$S3/virtual/real.img" |
		jq -e '.serial == "VIMG-0001" and .media_type == "virtual"' >/dev/null ||
		t_fail "the image's serial number was not recorded"
	[ "$("$C" -d "$S3" -j register show STICK-0001 | jq -r .media_type)" = usb-flash ] ||
		t_fail "the stick's record changed"
	t_ok "an image's serial number names virtual media only"
fi

# --- a loop device: enrol, detach, re-attach the same file, recognised
if [ "$(id -u)" != 0 ] || [ ! -e /dev/loop-control ]; then
	echo "loop part skipped (needs root and loop devices)"
	exit 0
fi
loopimg=$T_TMP/loop.img
truncate -s 16M "$loopimg"
dev=$(losetup --find --show "$loopimg" 2>/dev/null) || { echo "no loop device"; exit 0; }
CUSTOS_STATE_DIR=$T_TMP/state2
export CUSTOS_STATE_DIR
"$C" init --org "Test Office" --station WS-REG >/dev/null || { losetup -d "$dev"; t_fail init2; }
"$C" enroll "$dev" --class secret --asset-tag L-1 >/dev/null
rc=$?
losetup -d "$dev"
[ $rc = 0 ] || t_fail "enroll $dev"
dev=$(losetup --find --show "$loopimg") || t_fail "re-attach"
no=$("$C" -j register show "$dev" | jq -r .register_no)
t_expect_rc 1 "$C" enroll "$dev" --class secret
losetup -d "$dev"
[ "$no" = M-000001 ] || t_fail "loop device not recognised after re-plug: '$no'"
t_ok "loop device recognised by its backing file after re-plug"
