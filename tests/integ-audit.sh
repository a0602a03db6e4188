#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The certificate as an auditor tries it (issue 13), with tools nobody here
# wrote: tools/verify-certificate (Python + openssl) on fresh Ed25519 and SM2
# certificates and on edited copies, the PDF attachment (pdfdetach, qpdf),
# the QR code from a 150 dpi rendering (zbarimg and --qr-image), a drawn
# page edited with qpdf, a certificate of a key the station never had, and
# the certificates issued in format 1 before the signed form changed.
. "$top_srcdir/tests/lib.sh"
t_init audit
export LSAN_OPTIONS="suppressions=$top_srcdir/tests/lsan-cert.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
t_need_cmd python3 openssl qpdf pdfdetach pdfinfo pdftoppm zbarimg jq
DEMO="$top_builddir/tests/cert-demo"
VC="$top_srcdir/tools/verify-certificate"
FIX="$top_srcdir/tests/fixtures/cert-v1"
[ -x "$DEMO" ] || t_fail "missing $DEMO"

# A drawn-page edit: the letters of one value in the content stream
# (cairo draws Latin text as literal strings in TJ arrays) replaced by
# another value of the same length.
edit_page() { # IN OUT FROM TO
	qpdf --qdf --object-streams=disable "$1" "$T_TMP/qdf.pdf" || t_fail "qpdf --qdf"
	python3 - "$T_TMP/qdf.pdf" "$T_TMP/qdf2.pdf" "$3" "$4" <<'EOF' || t_fail "edit $3"
import re, sys
src, dst, old, new = sys.argv[1], sys.argv[2], sys.argv[3].encode(), sys.argv[4].encode()
data = open(src, "rb").read()
lit = re.compile(rb"\(((?:\\.|[^\\)])*)\)")
done = False
def swap(m):
    global done
    parts = lit.findall(m.group(1))
    joined = b"".join(parts)
    if done or b"\\" in joined or joined.strip() != old:
        return m.group(0)
    done = True
    new_joined, pieces, i = joined.replace(old, new), [], 0
    for p in parts:
        pieces.append(new_joined[i:i + len(p)])
        i += len(p)
    it = iter(pieces)
    return lit.sub(lambda p: b"(" + next(it) + b")", m.group(0))
data = re.sub(rb"\[((?:[^\]\\]|\\.)*)\]\s*TJ", swap, data, flags=re.S)
if not done:
    sys.exit("no TJ array draws %r" % old)
open(dst, "wb").write(data)
EOF
	qpdf --compress-streams=y "$T_TMP/qdf2.pdf" "$2" || t_fail "qpdf recompress"
}

for type in ed25519 sm2; do
	S=$T_TMP/$type
	CUSTOS_STATE_DIR=$S "$CUSTOS" init --org "审计单位 Audit Office" --station WS07 \
		--prefix WS07 --key-type "$type" >/dev/null || t_fail "init $type"
	for what in erased destruction sampled; do
		"$DEMO" "$S" "$what" >/dev/null || t_fail "cert-demo $what ($type)"
	done
	for f in "$S"/certs/*.json "$S"/certs/*.pdf; do
		"$VC" --pubkey "$S/station.pub" "$f" >/dev/null || t_fail "verify-certificate $f"
	done
	json=$S/certs/WS07-$(date -u +%Y)-000001.json
	pdf=${json%.json}.pdf
	jq -e '.certificate.schema == "custos-certificate/2"' "$json" >/dev/null ||
		t_fail "not format 2"
	# edited copies: a value, a key's order does not matter but a byte does
	sed 's/ZN1ABC23/ZN1ABC24/' "$json" >"$T_TMP/e1.json"
	jq '.certificate.destination = "external-reuse"' "$json" >"$T_TMP/e2.json"
	jq '.certificate.medium.custodian = "张伟 "' "$json" >"$T_TMP/e3.json"
	jq '.signature.summary_value = .signature.value' "$json" >"$T_TMP/e4.json"
	for e in e1 e2 e3 e4; do
		t_expect_rc 1 "$VC" --pubkey "$S/station.pub" "$T_TMP/$e.json" 2>/dev/null
		t_expect_rc 1 "$CUSTOS" cert verify --pubkey "$S/station.pub" "$T_TMP/$e.json" \
			2>/dev/null
	done
	# key order and indentation are not signed: a reformatted copy verifies
	jq -S -c . "$json" >"$T_TMP/compact.json"
	"$VC" --pubkey "$S/station.pub" "$T_TMP/compact.json" >/dev/null ||
		t_fail "reformatted JSON rejected by verify-certificate"
	t_ok "$type: verify-certificate passes fresh certificates, fails 4 edits"

	pdfdetach -list "$pdf" | grep -q 'certificate.json' || t_fail "no attachment in $pdf"
	pdfdetach -save 1 -o "$T_TMP/att.json" "$pdf" || t_fail "pdfdetach -save"
	cmp -s <(jq -S . "$T_TMP/att.json") <(jq -S . "$json") ||
		t_fail "the attachment is not the certificate"
	pdfinfo -meta "$pdf" | grep -F "<dc:identifier>$(basename "$json" .json)<" >/dev/null ||
		t_fail "no XMP dc:identifier"
	qpdf --check "$pdf" >/dev/null || t_fail "qpdf --check $pdf"
	# the attached copy edited (qdf leaves the stream uncompressed)
	qpdf --qdf --object-streams=disable "$pdf" "$T_TMP/att-qdf.pdf" || t_fail "qpdf --qdf"
	LC_ALL=C sed 's/"destination": "internal-reuse"/"destination": "external-reuse"/' \
		"$T_TMP/att-qdf.pdf" >"$T_TMP/att-edit.pdf"
	cmp -s "$T_TMP/att-qdf.pdf" "$T_TMP/att-edit.pdf" && t_fail "attachment edit changed nothing"
	t_expect_rc 1 "$VC" --pubkey "$S/station.pub" "$T_TMP/att-edit.pdf" 2>/dev/null
	t_expect_rc 1 "$CUSTOS" cert verify --pubkey "$S/station.pub" "$T_TMP/att-edit.pdf" \
		2>/dev/null
	t_ok "$type: certificate.json attached, XMP names the id, qpdf --check"

	pdftoppm -png -r 150 -f 1 -l 1 "$pdf" "$T_TMP/page" || t_fail "pdftoppm"
	qr=$(zbarimg -q --raw -Sbinary "$T_TMP"/page-1.png 2>/dev/null) || t_fail "zbarimg: no QR"
	case $qr in "CUSTOS2|sanitization|WS07-"*"|erased|审计单位 Audit Office|WS07|"*) ;;
	*) t_fail "QR payload: $qr" ;; esac
	"$VC" --pubkey "$S/station.pub" --qr-text "$qr" | grep 'destination *internal-reuse' >/dev/null ||
		t_fail "verify-certificate --qr-text"
	CUSTOS_STATE_DIR=$T_TMP/nowhere "$CUSTOS" cert verify --pubkey "$S/station.pub" \
		--qr-image "$T_TMP/page-1.png" >"$T_TMP/qr.out" || t_fail "--qr-image"
	grep -q 'serial *ZN1ABC23' "$T_TMP/qr.out" || t_fail "--qr-image fields"
	[ ! -e "$T_TMP/nowhere" ] || t_fail "--qr-image created a state dir"
	CUSTOS_STATE_DIR=$T_TMP/nowhere "$CUSTOS" cert verify --pubkey "$S/station.pub" \
		--qr-text "$qr" >/dev/null || t_fail "--qr-text"
	forged=${qr/internal-reuse/external-reuse}
	[ "$forged" != "$qr" ] || t_fail "QR edit changed nothing"
	t_expect_rc 1 "$CUSTOS" cert verify --pubkey "$S/station.pub" --qr-text "$forged" \
		2>/dev/null
	t_expect_rc 1 "$VC" --pubkey "$S/station.pub" --qr-text "$forged" 2>/dev/null
	CUSTOS_STATE_DIR=$S "$CUSTOS" cert verify "$(basename "$json" .json)" --qr-text "$qr" \
		>/dev/null || t_fail "cert verify ID --qr-text"
	t_ok "$type: QR from pdftoppm -r 150 decodes (zbarimg, --qr-image) and verifies alone"

	edit_page "$pdf" "$T_TMP/forged.pdf" internal-reuse external-reuse
	out=$(CUSTOS_STATE_DIR=$S "$CUSTOS" cert verify "$T_TMP/forged.pdf" 2>&1) &&
		t_fail "a drawn-page edit passed: $out"
	grep -q 'INVALID.*Destination' <<<"$out" || t_fail "the edited field is not named: $out"
	edit_page "$pdf" "$T_TMP/forged2.pdf" overwrite overwrote
	out=$(CUSTOS_STATE_DIR=$S "$CUSTOS" cert verify "$T_TMP/forged2.pdf" 2>&1) &&
		t_fail "a drawn-page edit passed: $out"
	grep -q 'INVALID.*Method' <<<"$out" || t_fail "the edited field is not named: $out"
	edit_page "$pdf" "$T_TMP/forged3.pdf" "CERTIFICATE OF SANITIZATION" \
		"CERTIFICATE OF SANITISATION"
	out=$(CUSTOS_STATE_DIR=$S "$CUSTOS" cert verify "$T_TMP/forged3.pdf" 2>&1) &&
		t_fail "a title edit passed: $out"
	grep -q 'INVALID.*Title' <<<"$out" || t_fail "the title is not named: $out"
	edit_page "$pdf" "$T_TMP/forged4.pdf" Interface Intrfacee
	out=$(CUSTOS_STATE_DIR=$S "$CUSTOS" cert verify "$T_TMP/forged4.pdf" 2>&1) &&
		t_fail "a label edit passed: $out"
	grep -q 'INVALID.*layout differs.*Interface' <<<"$out" ||
		t_fail "a label edit is not reported as another layout: $out"
	# the untouched page survives the same qpdf round trip
	qpdf --qdf --object-streams=disable "$pdf" "$T_TMP/rt.pdf" &&
		qpdf --compress-streams=y "$T_TMP/rt.pdf" "$T_TMP/rt2.pdf" || t_fail "qpdf round trip"
	CUSTOS_STATE_DIR=$S "$CUSTOS" cert verify "$T_TMP/rt2.pdf" >/dev/null ||
		t_fail "an unedited page rewritten by qpdf is rejected"
	"$VC" --pubkey "$S/station.pub" "$T_TMP/rt2.pdf" >/dev/null ||
		t_fail "verify-certificate on a qpdf-rewritten PDF"
	t_ok "$type: drawn-page edits (Destination, Method, Title, a label) are INVALID naming it"
done

# a long summary (SM2 signature, long organisation and station names) still
# decodes from a 150 dpi rendering
L=$T_TMP/long
CUSTOS_STATE_DIR=$L "$CUSTOS" init --key-type sm2 --prefix WSL \
	--org "中华人民共和国某某省某某市某某区人民政府办公室信息中心保密管理科 Information Security Office" \
	--station "WS-LONG-STATION-NAME-01" >/dev/null || t_fail "init long"
lid=$("$DEMO" "$L" sampled) || t_fail "cert-demo long"
pdftoppm -png -r 150 "$L/certs/$lid.pdf" "$T_TMP/long" || t_fail "pdftoppm long"
qr=$(zbarimg -q --raw -Sbinary "$T_TMP"/long-*.png 2>/dev/null) || t_fail "zbarimg: long QR"
[ "$(printf %s "$qr" | wc -c)" -gt 450 ] || t_fail "the long payload is short: $qr"
"$VC" --pubkey "$L/station.pub" --qr-text "$qr" >/dev/null || t_fail "long QR does not verify"
CUSTOS_STATE_DIR=$L "$CUSTOS" cert verify "$L/certs/$lid.pdf" >/dev/null || t_fail "long PDF"
t_ok "a $(printf %s "$qr" | wc -c)-byte SM2 summary decodes from pdftoppm -r 150"

# a key the station never had
A=$T_TMP/ed25519 B=$T_TMP/sm2
out=$(CUSTOS_STATE_DIR=$A "$CUSTOS" cert verify "$B/certs/WS07-$(date -u +%Y)-000001.json" 2>&1) &&
	t_fail "another station's certificate passed"
grep -q 'INVALID.*\(names key\|which this station never had\)' <<<"$out" || t_fail "unclear message: $out"
t_expect_rc 1 "$VC" --pubkey "$A/station.pub" "$B/certs/WS07-$(date -u +%Y)-000001.json" 2>/dev/null
t_ok "a certificate of an unknown key is INVALID with a clear message"

# sampled verification says what it was
js=$A/certs/WS07-$(date -u +%Y)-000003.json
jq -e '[.certificate.sanitization.passes[].verified] | all(. == false)' "$js" >/dev/null ||
	t_fail "a sampled pass says verified"
jq -e '.certificate.sanitization.verification.share_read == "12.50 %"' "$js" >/dev/null ||
	t_fail "no share read"
pdftotext "${js%.json}.pdf" - | tr -d '\n' | grep -q 'verified by sampling' ||
	t_fail "the PDF does not say sampled"
t_ok "a sampled verification is called so, with the share read"

# format 1 (certificates issued before RFC 8785) keeps verifying
for type in ed25519 sm2; do
	for f in "$FIX/$type"-*.json; do
		"$VC" --pubkey "$FIX/$type.pub" "$f" >/dev/null || t_fail "verify-certificate $f"
		CUSTOS_STATE_DIR=$T_TMP/nowhere "$CUSTOS" cert verify --pubkey "$FIX/$type.pub" \
			"$f" >/dev/null || t_fail "custos cert verify $f"
	done
done
"$VC" --pubkey "$FIX/ed25519.pub" "$FIX/ed25519-sanitization.pdf" >/dev/null ||
	t_fail "verify-certificate on a format-1 PDF"
CUSTOS_STATE_DIR=$T_TMP/nowhere "$CUSTOS" cert verify --pubkey "$FIX/ed25519.pub" \
	"$FIX/ed25519-sanitization.pdf" >/dev/null || t_fail "custos on a format-1 PDF"
sed 's/ZN1ABC23/ZN1ABC24/' "$FIX/sm2-sanitization.json" >"$T_TMP/v1e.json"
t_expect_rc 1 "$VC" --pubkey "$FIX/sm2.pub" "$T_TMP/v1e.json" 2>/dev/null
t_ok "format-1 certificates (fixtures) still verify, edited ones do not"
exit 0
