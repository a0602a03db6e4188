#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Certificates end to end: a station issues certificates for canned jobs
# (tests/cert-demo calls cert_issue() exactly as the sanitize job does), and
# the files are checked with poppler and zbar: text, embedded fonts, the QR
# code, verification of JSON and PDF, tampering and a foreign key.
. "$top_srcdir/tests/lib.sh"
t_init cert
# for ASan builds: fontconfig's process-lifetime caches are not leaks
export LSAN_OPTIONS="suppressions=$top_srcdir/tests/lsan-cert.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
t_need_cmd pdftotext pdffonts pdftoppm zbarimg sqlite3 jq
DEMO="$top_builddir/tests/cert-demo"
[ -x "$DEMO" ] || t_fail "missing $DEMO"
S=$CUSTOS_STATE_DIR

"$CUSTOS" init --org "测试单位 Test Office" --station WS01 --prefix WS01 >/dev/null ||
	t_fail "custos init"
id=$("$DEMO" "$S" erased) || t_fail "cert-demo erased"
json=$S/certs/$id.json
pdf=$S/certs/$id.pdf
[ -s "$json" ] && [ -s "$pdf" ] || t_fail "no $id.json/$id.pdf"
case $id in WS01-20[0-9][0-9]-000001) ;; *) t_fail "bad id $id" ;; esac
t_ok "issued $id"

text=$(pdftotext -layout "$pdf" -) || t_fail "pdftotext"
for want in ZN1ABC23 clear-2pass-verify 张伟 "CERTIFICATE OF SANITIZATION" 审核人 "$id"; do
	grep -qF -- "$want" <<<"$text" || t_fail "PDF text lacks '$want'"
done
t_ok "pdftotext finds serial, profile, Chinese custodian"

fonts=$(pdffonts "$pdf" | tail -n +3)
[ -n "$fonts" ] || t_fail "pdffonts lists no font"
awk '$(NF-4) != "yes" { bad = 1 } END { exit bad }' <<<"$fonts" ||
	t_fail "a font is not embedded: $fonts"
size=$(stat -c %s "$pdf")
[ "$size" -lt 307200 ] || t_fail "PDF page is $size bytes"
t_ok "every font embedded, $size bytes"

pdftoppm -png -r 150 -f 1 -l 1 "$pdf" "$T_TMP/page" || t_fail "pdftoppm"
qr=$(zbarimg -q --raw "$T_TMP"/page-1.png 2>/dev/null) || t_fail "zbarimg found no QR code"
case $qr in "CUSTOS2|sanitization|$id|"*) ;; *) t_fail "QR payload '$qr'" ;; esac
"$CUSTOS" cert verify "$json" --qr "$qr" >/dev/null || t_fail "QR payload does not verify"
t_expect_rc 1 "$CUSTOS" cert verify "$json" --qr "${qr%?}x" 2>/dev/null
t_ok "QR decodes to data that verifies"

"$CUSTOS" cert verify "$json" >/dev/null || t_fail "verify JSON"
"$CUSTOS" cert verify "$pdf" >/dev/null || t_fail "verify PDF"
sed 's/ZN1ABC23/ZN1ABC24/' "$json" >"$T_TMP/changed.json"
cmp -s "$json" "$T_TMP/changed.json" && t_fail "sed changed nothing"
t_expect_rc 1 "$CUSTOS" cert verify "$T_TMP/changed.json" 2>/dev/null
sed 's/"erased"/"failed"/' "$json" >"$T_TMP/changed2.json"
t_expect_rc 1 "$CUSTOS" cert verify "$T_TMP/changed2.json" 2>/dev/null
t_ok "changed JSON rejected"

CUSTOS_STATE_DIR=$T_TMP/other "$CUSTOS" init --org Other --station WS99 --prefix WS99 \
	>/dev/null || t_fail "second init"
t_expect_rc 1 "$CUSTOS" cert verify --pubkey "$T_TMP/other/station.pub" "$json" 2>/dev/null
t_expect_rc 1 "$CUSTOS" cert verify --pubkey "$T_TMP/other/station.pub" "$pdf" 2>/dev/null
"$CUSTOS" cert verify --pubkey "$S/station.pub" "$pdf" >/dev/null || t_fail "--pubkey right key"
LC_ALL=C sed 's/CUSTOS-CERT-1 \(....\)/CUSTOS-CERT-1 AAAA/' "$pdf" >"$T_TMP/changed.pdf"
cmp -s "$pdf" "$T_TMP/changed.pdf" && t_fail "PDF tamper changed nothing"
t_expect_rc 1 "$CUSTOS" cert verify "$T_TMP/changed.pdf" 2>/dev/null
t_ok "wrong --pubkey rejected"

id2=$("$DEMO" "$S" failed) || t_fail "cert-demo failed"
pdftotext "$S/certs/$id2.pdf" - | grep -qF "NOT ERASED (failed)" || t_fail "report title"
pdftotext "$S/certs/$id2.pdf" - | grep -qF "CERTIFICATE OF SANITIZATION" && t_fail "report titled certificate"
grep -q '"kind": "report"' "$S/certs/$id2.json" || t_fail "report kind"
"$CUSTOS" cert verify "$S/certs/$id2.json" >/dev/null || t_fail "verify report"
id3=$("$DEMO" "$S" destruction) || t_fail "cert-demo destruction"
text=$(pdftotext "$S/certs/$id3.pdf" -)
for want in "CERTIFICATE OF DESTRUCTION" 监销人 赵强 陈静; do
	grep -qF -- "$want" <<<"$text" || t_fail "destruction PDF lacks '$want'"
done
t_ok "failure report and destruction certificate"

"$CUSTOS" cert list | grep -qF "$id3" || t_fail "cert list"
[ "$("$CUSTOS" cert list --media ZN1ABC23 | grep -c WS01-)" = 3 ] || t_fail "list --media"
[ -z "$("$CUSTOS" cert list --media nothing)" ] || t_fail "list --media nothing"
"$CUSTOS" cert show "$id" | grep -qF 张伟 || t_fail "cert show"
"$CUSTOS" --json cert show "$id" | grep -qF '"signature"' || t_fail "cert show --json"
"$CUSTOS" cert pdf "$id" -o "$T_TMP/again.pdf" >/dev/null || t_fail "cert pdf"
"$CUSTOS" cert verify "$T_TMP/again.pdf" >/dev/null || t_fail "verify re-rendered PDF"
t_expect_rc 1 "$CUSTOS" cert show WS01-1999-000001 2>/dev/null
err=$(PATH=/nonexistent "$CUSTOS" cert print "$id" 2>&1) && t_fail "print without lp succeeded"
grep -q "lp" <<<"$err" || t_fail "print error does not name lp: $err"
t_ok "list, show, pdf, print error"

"$DEMO" "$S" summary "$T_TMP/batch.pdf" "$json" "$S/certs/$id2.json" || t_fail "summary"
text=$(pdftotext "$T_TMP/batch.pdf" -)
for want in "BATCH SANITIZATION SUMMARY" ThinkCentre PC0XYZ12 "$id" "$id2" failed; do
	grep -qF -- "$want" <<<"$text" || t_fail "summary lacks '$want'"
done
[ "$("$CUSTOS" --json cert verify "$T_TMP/batch.pdf" | grep -c '"valid": true')" = 3 ] ||
	t_fail "summary PDF certificates do not all verify"
t_ok "batch summary"

S2=$T_TMP/sm2
CUSTOS_STATE_DIR=$S2 "$CUSTOS" init --org SM --station WS02 --prefix WS02 --key-type sm2 \
	>/dev/null || t_fail "sm2 init"
id4=$("$DEMO" "$S2" erased) || t_fail "cert-demo sm2"
grep -q '"sm2-sm3"' "$S2/certs/$id4.json" || t_fail "sm2 algorithm"
CUSTOS_STATE_DIR=$S2 "$CUSTOS" cert verify "$S2/certs/$id4.pdf" >/dev/null || t_fail "sm2 verify"
t_expect_rc 1 "$CUSTOS" cert verify "$S2/certs/$id4.json" 2>/dev/null
t_ok "SM2 station"

# --- destroy: a registered medium ends in a signed destruction certificate
S3=$T_TMP/reg
export CUSTOS_STATE_DIR=$S3
"$CUSTOS" init --org "Test Office" --station WS03 --prefix WS03 >/dev/null || t_fail "init WS03"
img=$T_TMP/disk.img
truncate -s 8M "$img"
"$CUSTOS" enroll "$img" --class secret --asset-tag D-1 --custodian 王芳 >/dev/null ||
	t_fail "enroll"
"$CUSTOS" enroll --manual --type optical --class internal --serial CD-1 >/dev/null ||
	t_fail "enroll optical"
t_expect_rc 3 "$CUSTOS" destroy D-1 --method shred --place "Room 5" --witness 周明 \
	--witness Keeper --operator Keeper 2>/dev/null
t_expect_rc 3 "$CUSTOS" destroy D-1 --method shred --place "Room 5" --witness 周明 \
	--witness 吴丽 --operator Keeper --validator Keeper 2>/dev/null
[ "$("$CUSTOS" -j register show D-1 | jq -r .state)" = in-stock ] ||
	t_fail "a refused destroy changed the medium"
[ -z "$(ls "$S3/certs" 2>/dev/null | grep -v '^\.')" ] || t_fail "a refused destroy left files"
out=$("$CUSTOS" -j destroy "$img" --method disintegrate --place "Room 5" --witness 周明 \
	--witness 吴丽 --operator Keeper --operator-title Clerk --validator Chief \
	--validator-title "Security officer") || t_fail "destroy"
cid=$(jq -r .certificate.id <<<"$out")
[ "$(jq -r .state <<<"$out")" = destroyed ] || t_fail "destroy --json state"
djson=$S3/certs/$cid.json
dpdf=$S3/certs/$cid.pdf
[ "$(jq -r .certificate.json <<<"$out")" = "$djson" ] || t_fail "destroy --json path"
[ -s "$djson" ] && [ -s "$dpdf" ] || t_fail "no $cid.json/$cid.pdf"
t_ok "destroy issued $cid"

v=$("$CUSTOS" cert verify "$djson") || t_fail "verify destruction certificate"
grep -q "register: matches" <<<"$v" || t_fail "no register match: $v"
"$CUSTOS" cert verify "$dpdf" | grep -q "register: matches" || t_fail "verify PDF register"
"$CUSTOS" -j cert verify "$djson" | jq -e '.certificates[0].register == "matches"' \
	>/dev/null || t_fail "verify --json register"
text=$(pdftotext "$dpdf" -) || t_fail "pdftotext destruction"
for want in 周明 吴丽 disintegrate "CERTIFICATE OF DESTRUCTION" Chief M-000001; do
	grep -qF -- "$want" <<<"$text" || t_fail "destruction PDF lacks '$want'"
done
t_ok "certificate verifies against the register; PDF names method and witnesses"

"$CUSTOS" cert list --media D-1 | grep -qF "$cid" || t_fail "cert list --media D-1"
"$CUSTOS" cert list --media M-000001 | grep -qF "$cid" || t_fail "cert list --media M-000001"
[ -z "$("$CUSTOS" cert list --media CD-1)" ] || t_fail "cert list --media of another medium"
"$CUSTOS" cert show D-1 | grep -qF 吴丽 || t_fail "cert show by medium"
"$CUSTOS" cert show "$cid" | grep -qF disintegrate || t_fail "cert show by id"
ehash=$(jq -r .certificate.register_event_hash "$djson")
"$CUSTOS" -j register history D-1 | jq -e --arg h "$ehash" \
	'[.[] | select(.kind == "destroyed" and .hash == $h)] | length == 1' >/dev/null ||
	t_fail "the certificate's event hash is not the destroyed event"
t_ok "list --media, show by medium, event hash is the destroyed event"

# certificates written to another directory never reuse a registered id
"$CUSTOS" destroy CD-1 --method shred --place "Room 5" --witness 周明 --witness 吴丽 \
	--operator Keeper --cert-dir "$T_TMP/elsewhere" >/dev/null || t_fail "destroy into --cert-dir"
[ "$(ls "$T_TMP/elsewhere"/*.json | wc -l)" = 1 ] || t_fail "--cert-dir files"
[ ! -e "$T_TMP/elsewhere/$cid.json" ] || t_fail "id $cid reused in another directory"
[ "$("$CUSTOS" -j cert list | jq 'length')" = 2 ] || t_fail "cert list from the register"
t_ok "--cert-dir, ids unique in the register"

sqlite3 "$S3/register.db" "UPDATE certificates SET json = replace(json, 'disintegrate',
	'shred') WHERE id = '$cid'" || t_fail "sqlite3 edit"
out=$("$CUSTOS" cert verify "$djson" 2>&1) && t_fail "verify passed a changed register row"
grep -q "register: MISMATCH" <<<"$out" || t_fail "no register mismatch reported: $out"
"$CUSTOS" cert verify --pubkey "$S3/station.pub" "$djson" >/dev/null 2>&1 &&
	t_fail "--pubkey skipped the register present here"
CUSTOS_STATE_DIR=$T_TMP/auditor "$CUSTOS" cert verify --pubkey "$S3/station.pub" "$djson" \
	>/dev/null || t_fail "an auditor without a register"
t_ok "a changed register row is a mismatch; an auditor needs no register"
exit 0
