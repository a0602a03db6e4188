#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# A real sanitization of an enrolled loop device ends in a signed certificate:
# JSON and PDF exist, the PDF names the medium, the profile and the Chinese
# custodian, embeds every font, and its QR code decodes to data that
# verifies against the file and the register.
. "$top_srcdir/tests/lib.sh"
t_init cert-sanitize
t_need_root
t_need_cmd pdftotext pdffonts pdftoppm zbarimg jq

"$CUSTOS" init --org "测试单位 Test Office" --station ws9 >/dev/null || t_fail "init"
dev=$(t_loop 16) || t_skip "no loop device"
printf 'CASE FILE 2026-117 marker\n' | dd of="$dev" bs=4096 conv=sync oflag=direct status=none
"$CUSTOS" enroll "$dev" --class internal --custodian 张伟 --department 办公室 \
	--asset-tag ZC-0042 >/dev/null || t_fail "enroll"
"$CUSTOS" -y --json sanitize "$dev" --profile zero --destination internal-reuse \
	--operator 李娜 --validator 王芳 >"$T_TMP/run.json" || t_fail "sanitize failed"
id=$(jq -r '.results[0].certificate.id // .results[0].certificate' "$T_TMP/run.json")
json=$CUSTOS_STATE_DIR/certs/$id.json
pdf=$CUSTOS_STATE_DIR/certs/$id.pdf
[ -f "$json" ] && [ -f "$pdf" ] || t_fail "certificate $id: missing $json or $pdf"
t_ok "sanitize wrote $id.json and $id.pdf"

grep -q "CASE FILE 2026-117" "$dev" && t_fail "the marker survived the wipe"
text=$(pdftotext "$pdf" -) || t_fail "pdftotext"
for want in "$id" ZC-0042 M-000001 zero 张伟 办公室 李娜 王芳 "CERTIFICATE OF SANITIZATION"; do
	grep -qF -- "$want" <<<"$text" || t_fail "the PDF does not show '$want'"
done
t_ok "the PDF names the medium, profile, custodian and people"

pdffonts "$pdf" | tail -n +3 | awk '$(NF-4) != "yes" { bad = 1 } END { exit bad }' ||
	t_fail "a font is not embedded: $(pdffonts "$pdf")"
t_ok "every font is embedded"

pdftoppm -png -r 150 -f 1 -l 1 "$pdf" "$T_TMP/page" || t_fail "pdftoppm"
qr=$(zbarimg -q --raw "$T_TMP"/page-1.png 2>/dev/null) || t_fail "zbarimg found no QR code"
out=$("$CUSTOS" cert verify "$json" --qr "$qr") || t_fail "QR payload does not verify: $out"
grep -q "register: matches" <<<"$out" || t_fail "not matched against the register: $out"
"$CUSTOS" cert verify "$pdf" >/dev/null || t_fail "the PDF does not verify"
t_ok "QR code decodes to data that verifies; JSON and PDF match the register"

hist=$("$CUSTOS" --json register history ZC-0042) || t_fail "history"
# the start is recorded before the first write; the certificate carries the
# hash of the end event (its number is taken only when it is issued)
jq -e 'map(.kind) == ["enrolled", "sanitize-started", "sanitized"]' <<<"$hist" >/dev/null ||
	t_fail "history does not show the sanitization: $hist"
grep -q "$(jq -r '.[2].hash' <<<"$hist")" "$json" ||
	t_fail "the certificate does not carry the hash of its event"
t_ok "the register history links the certificate"
exit 0
