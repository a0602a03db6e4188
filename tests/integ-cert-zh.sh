#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# A certificate for a Chinese office (issue 14): issued with
# TZ=Asia/Shanghai it prints times in local time with +08:00 and the
# Chinese date, the values (classification, media type, destination,
# outcome, method, verification) in Chinese with English, and the roster's
# operator and validator with title and phone, never the login account.
. "$top_srcdir/tests/lib.sh"
t_init cert-zh
export LSAN_OPTIONS="suppressions=$top_srcdir/tests/lsan-cert.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
t_need_cmd pdftotext jq
export TZ=Asia/Shanghai
C=$CUSTOS
S=$CUSTOS_STATE_DIR

"$C" init --org "测试单位" --station 保密室-1 --prefix BMS >/dev/null || t_fail "init"
"$C" staff add 王芳 --role operator --title 保密员 --department 办公室 \
	--phone 010-6512-3456 2>/dev/null || t_fail "staff add operator"
"$C" staff add 陈静 --role validator --title 主任 --phone 010-6512-0001 2>/dev/null ||
	t_fail "staff add validator"
mkdir -p "$S/virtual"
head -c $((2 * 1024 * 1024)) /dev/urandom >"$S/virtual/disk.img"
CUSTOS_OPERATOR=王芳 "$C" --json sanitize --yes --profile zero --class secret \
	--destination internal-reuse --validator 陈静 "$S/virtual/disk.img" >"$T_TMP/run.json" ||
	t_fail "sanitize: $(cat "$T_TMP/run.json")"
id=$(jq -r '.results[0].certificate.id // .results[0].certificate' "$T_TMP/run.json")
pdf=$S/certs/$id.pdf
json=$S/certs/$id.json
[ -f "$pdf" ] || t_fail "no PDF for certificate $id"
text=$(pdftotext -layout "$pdf" -) || t_fail "pdftotext"
t_ok "a certificate was issued: $id"

# local time with its offset, the Chinese date; no UTC time
grep -qE '20[0-9]{2}年[0-9]{1,2}月[0-9]{1,2}日 [0-9]{2}:[0-9]{2} \+08:00' <<<"$text" ||
	t_fail "no Chinese date with +08:00 on the PDF: $text"
grep -qE 'T[0-9:]{8}Z' <<<"$text" && t_fail "a UTC time is printed on the PDF"
# the time printed is the Shanghai one, computed here independently
issued=$(jq -r '.certificate.issued' "$json")
want=$(TZ=Asia/Shanghai date -d "$issued" '+%Y年%-m月%-d日 %H:%M +08:00')
grep -qF "签发时间 Issued" <<<"$text" || t_fail "no issued row"
grep -F "签发时间 Issued" <<<"$text" | grep -qF "$want" ||
	t_fail "issued $issued is not printed as $want"
t_ok "times in local time with +08:00 and the Chinese date"

[ "$(grep -c "第 2 页" <<<"$text")" = 0 ] || t_fail "the certificate takes more than a page"
for want in "秘密 (secret)" "虚拟介质 (virtual)" "内部再利用 (internal-reuse)" "已消除 (erased)" \
	"覆写 (overwrite)" "清除 (clear)" "信息消除 (sanitization)" "全盘验证" \
	"镜像文件 (file)" "已验证 verified"; do
	grep -qF -- "$want" <<<"$text" || t_fail "the PDF does not show '$want': $text"
done
t_ok "values in Chinese with English"

for want in 王芳 保密员 010-6512-3456 陈静 主任 010-6512-0001; do
	grep -qF -- "$want" <<<"$text" || t_fail "the PDF does not show '$want'"
done
[ "$(jq -r '.certificate.operator.phone' "$json")" = 010-6512-3456 ] ||
	t_fail "the signed JSON does not carry the operator's phone"
login=$(id -un)
jq -r '.certificate.operator.name, .certificate.validator.name' "$json" |
	grep -qx -- "$login" && t_fail "the login account $login is named on the certificate"
t_ok "the roster's operator and validator with title and phone, not $login"

"$C" cert verify "$pdf" >/dev/null || t_fail "the PDF does not verify (drawn-page check)"
TZ=UTC "$C" cert verify "$pdf" >/dev/null || t_fail "the PDF does not verify in another zone"
t_ok "the PDF verifies, also read in another time zone"
# a destruction: the method in Chinese, witnesses with title and phone
"$C" staff add 刘强 --role witness --title 科员 --phone 13800138000 2>/dev/null ||
	t_fail "staff add witness"
"$C" staff add 周明 --role witness --title 副主任 2>/dev/null || t_fail "staff add witness 2"
"$C" enroll --manual --type hdd --class confidential --serial HD-ZH-1 --operator 王芳 \
	>/dev/null || t_fail "enroll"
"$C" -j destroy HD-ZH-1 --method degauss+shred --place 保密室 --witness 刘强，周明 \
	--operator 王芳 --validator 陈静 >"$T_TMP/destroy.json" || t_fail "destroy"
dpdf=$(jq -r '.certificate.pdf' "$T_TMP/destroy.json")
dtext=$(pdftotext -layout "$dpdf" -) || t_fail "pdftotext (destruction)"
for want in "机密 (confidential)" "机械硬盘 (hdd)" "消磁后粉碎 (degauss+shred)" \
	"销毁 (destruction)" "刘强, 科员, 13800138000" "周明, 副主任" 010-6512-3456; do
	grep -qF -- "$want" <<<"$dtext" || t_fail "the destruction PDF does not show '$want'"
done
grep -qE '销毁时间 Time +20[0-9]{2}年[0-9]{1,2}月[0-9]{1,2}日 [0-9]{2}:[0-9]{2} \+08:00' \
	<<<"$dtext" || t_fail "destruction time not local: $dtext"
"$C" cert verify "$dpdf" >/dev/null || t_fail "the destruction PDF does not verify"
t_ok "a destruction certificate in Chinese with the witnesses' titles and phones"

# register history: readable lines in the reader's language, JSON on request
reg=$(jq -r '.certificate.medium.register_no' "$json")
hist=$(LC_ALL=zh_CN.UTF-8 "$C" register history "$reg") || t_fail "register history"
grep -q '{"' <<<"$hist" && t_fail "history prints JSON: $hist"
width=$(LC_ALL=zh_CN.UTF-8 wc -L <<<"$hist")
[ "$width" -le 80 ] || t_fail "history lines $width columns wide: $hist"
grep -q '+08:00' <<<"$hist" || t_fail "history not in local time: $hist"
if locale -a 2>/dev/null | grep -qi '^zh_CN.utf-\?8$'; then
	grep -q "已消除" <<<"$hist" && grep -q "destination: 内部再利用" <<<"$hist" ||
		t_fail "history not in Chinese: $hist"
fi
LC_ALL=C.UTF-8 "$C" register history "$reg" | grep -q "destination: internal-reuse" ||
	t_fail "history in English"
"$C" --json register history "$reg" | jq -e 'length == 2 and .[1].kind == "sanitized"' \
	>/dev/null || t_fail "register history --json"
t_ok "register history: lines of at most 80 columns, local time, Chinese values; --json"
# the library's own messages in the interface language (a refusal of the
# plan by the policy and by the guard, a device's safety reason, a register
# error) and the table headings, fitted to their columns; English in C
if locale -a 2>/dev/null | grep -qix 'zh_CN\.utf-\?8'; then
	ZH=(env LANG=zh_CN.UTF-8 LC_ALL= LANGUAGE=)
else
	ZH=(env LC_ALL=C.UTF-8 LANGUAGE=zh_CN)
fi
EN=(env LANG=C LC_ALL= LANGUAGE=)
head -c $((1024 * 1024)) /dev/urandom >"$S/virtual/ts.img"
head -c $((1024 * 1024)) /dev/urandom >"$T_TMP/outside.img"	# not a virtual medium
ts() { "$@" sanitize --yes --profile zero --class top-secret --destination internal-reuse \
	--operator 王芳 "$S/virtual/ts.img" 2>&1; }
out=$(ts "${ZH[@]}" "$C") && t_fail "top-secret reuse accepted: $out"
grep -qF "保密策略规则 top-secret-destruction：绝密" <<<"$out" || t_fail "policy refusal: $out"
out=$(ts "${EN[@]}" "$C") && t_fail "top-secret reuse accepted: $out"
grep -qF "policy rule top-secret-destruction: a top-secret" <<<"$out" ||
	t_fail "policy refusal in English: $out"
outside() { "$@" sanitize --yes --profile zero --class secret --destination internal-reuse \
	--operator 王芳 "$T_TMP/outside.img" 2>&1; }
out=$(outside "${ZH[@]}" "$C") && t_fail "a file outside the virtual media sanitized: $out"
grep -qF "不是虚拟介质" <<<"$out" || t_fail "guard refusal: $out"
out=$(outside "${EN[@]}" "$C") && t_fail "a file outside the virtual media sanitized: $out"
grep -qF "not a virtual medium" <<<"$out" || t_fail "guard refusal in English: $out"
cmp -s <(head -c 4096 "$T_TMP/outside.img") <(head -c 4096 /dev/zero) &&
	t_fail "the refused file was written"
t_ok "refusals of the plan in Chinese, and in English in C"

out=$("${ZH[@]}" "$C" devices "$T_TMP/outside.img" 2>&1)
grep -qE "^ +- .*不是虚拟介质" <<<"$out" || t_fail "devices: no Chinese reason: $out"
grep -qE "^路径 +容量 +接口 +型号 +序列号 +状态" <<<"$out" || t_fail "devices heading: $out"
out=$("${EN[@]}" "$C" devices "$T_TMP/outside.img" 2>&1)
grep -qE "^ +- .*not a virtual medium" <<<"$out" || t_fail "devices: no English reason: $out"
grep -qE "^PATH +SIZE +BUS +MODEL +SERIAL +STATUS" <<<"$out" || t_fail "devices heading: $out"
t_ok "a device's safety reason in Chinese, and in English in C"

out=$("${ZH[@]}" "$C" register show NOPE-404 2>&1) && t_fail "register show NOPE-404"
grep -qF "'NOPE-404' 不在台账中" <<<"$out" || t_fail "register error: $out"
out=$("${EN[@]}" "$C" register show NOPE-404 2>&1) && t_fail "register show NOPE-404"
grep -qF "'NOPE-404' is not in the register" <<<"$out" || t_fail "register error in English: $out"
t_ok "a register error in Chinese, and in English in C"

# the profile list's headings: translated, each column where its rows are
hz=$("${ZH[@]}" "$C" profiles | head -n 1)
he=$("${EN[@]}" "$C" profiles | head -n 1)
grep -qE "^名称 +方法 +遍数 +验证 +标题$" <<<"$hz" || t_fail "profiles heading: $hz"
grep -qE "^NAME +METHOD +PASSES +VERIFY +TITLE$" <<<"$he" || t_fail "profiles heading: $he"
for pair in 方法:METHOD 验证:VERIFY 标题:TITLE; do
	z=${hz%%"${pair%%:*}"*}
	e=${he%%"${pair#*:}"*}
	[ "$(printf '%s' "$z" | LC_ALL=C.UTF-8 wc -L)" = "${#e}" ] ||
		t_fail "profiles: ${pair%%:*} not above its column: '$hz' / '$he'"
done
t_ok "table headings in Chinese, aligned by display width; English in C"
exit 0
