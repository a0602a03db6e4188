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
t_need_cmd pdftotext pdffonts pdftoppm zbarimg
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
case $qr in "CUSTOS1|$id|"*) ;; *) t_fail "QR payload '$qr'" ;; esac
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
exit 0
