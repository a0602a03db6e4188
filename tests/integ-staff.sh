#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The station roster on the command line: staff add/list/remove, names
# checked for destroy (operator, validator, witnesses), the default
# operator, lists of witnesses typed with a Chinese input method.
. "$top_srcdir/tests/lib.sh"
t_init staff
export LSAN_OPTIONS="suppressions=$top_srcdir/tests/lsan-cert.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
t_need_cmd jq
unset CUSTOS_OPERATOR
C=$CUSTOS
S=$CUSTOS_STATE_DIR

"$C" init --org "测试单位" --station WS-STAFF --prefix WSS >/dev/null || t_fail "init"
"$C" staff list | grep -q "roster is empty" || t_fail "empty roster"
"$C" staff add "王　芳" --role operator --title 保密员 --department 办公室 --phone 010-1234 \
	2>/dev/null || t_fail "staff add"
"$C" staff add 刘强 --role witness 2>/dev/null || t_fail "add witness"
"$C" staff add 周明 --role witness,custodian 2>/dev/null || t_fail "add witness 2"
"$C" staff add 陈静 --role 审核人 --title 主任 2>/dev/null || t_fail "add validator (Chinese role)"
t_expect_rc 3 "$C" staff add 王芳 --role witness
t_expect_rc 2 "$C" staff add 某人
t_expect_rc 2 "$C" staff add 某人 --role boss
[ "$(stat -c %a "$S/staff.json")" = 600 ] || t_fail "staff.json mode"
[ "$("$C" -j staff list | jq -r '.[0].name')" = 王芳 ] || t_fail "canonical name stored"
[ "$("$C" -j staff list --role witness | jq length)" = 2 ] || t_fail "list --role"
"$C" staff list | grep -q "王芳 *operator *保密员 *办公室 *010-1234" || t_fail "list text"
t_ok "staff add/list, duplicates and bad roles refused"

"$C" enroll --manual --type optical --class secret --serial DISC-1 >/dev/null 2>&1 &&
	t_fail "enroll without an operator while a roster is kept"
"$C" enroll --manual --type optical --class secret --serial DISC-1 --operator 王芳 \
	>/dev/null || t_fail "enroll --operator 王芳"
# nobody named: refused, the roster's operators listed
out=$("$C" destroy DISC-1 --method shred --place R1 --witness 刘强 --witness 周明 2>&1)
[ $? = 2 ] || t_fail "destroy without an operator: $out"
grep -q "王芳 (operator)" <<<"$out" || t_fail "operators not listed: $out"
# the login account is no operator
out=$("$C" destroy DISC-1 --method shred --place R1 --witness 刘强 --witness 周明 \
	--operator root 2>&1)
[ $? = 3 ] || t_fail "unknown operator accepted: $out"
grep -q "刘强 (witness); 周明 (witness, custodian)" <<<"$out" ||
	grep -q "王芳 (operator)" <<<"$out" || t_fail "roster not listed: $out"
out=$(CUSTOS_OPERATOR=王芳 "$C" destroy DISC-1 --method shred --place R1 --witness 刘强 \
	--witness 张三 2>&1)
[ $? = 3 ] || t_fail "unknown witness accepted"
grep -q "张三 is not on the station roster as witness" <<<"$out" || t_fail "message: $out"
grep -q "刘强 (witness); 周明 (witness, custodian)" <<<"$out" || t_fail "witnesses: $out"
t_expect_rc 3 env CUSTOS_OPERATOR=王芳 "$C" destroy DISC-1 --method shred --place R1 \
	--witness 刘强 --witness 周明 --validator 刘强
[ "$("$C" -j register show DISC-1 | jq -r .state)" = in-stock ] || t_fail "a refusal wrote"
t_ok "unknown and wrong-role people refused with the roster; nothing written"

# destruction methods: one list (register_destroy_methods), validated, Chinese names accepted
out=$(CUSTOS_OPERATOR=王芳 "$C" destroy DISC-1 --method burn --place R1 --witness 刘强 \
	--witness 周明 2>&1)
[ $? = 2 ] || t_fail "--method burn accepted"
grep -q "one of: shred, disintegrate, incinerate, degauss+shred, pulverize" <<<"$out" ||
	t_fail "methods not listed: $out"
"$C" destroy --help | grep -q "degauss+shred *消磁后粉碎" || t_fail "methods not in --help"

# the station's default operator; witnesses as one Chinese list; roster spelling and titles
t_expect_rc 3 "$C" staff default 刘强
"$C" staff default "王 芳" 2>/dev/null || t_fail "staff default"
[ "$("$C" staff default)" = 王芳 ] || t_fail "staff default shows"
grep -qx "operator=王芳" "$S/station.conf" || t_fail "station.conf operator"
"$C" -j destroy DISC-1 --method 粉碎 --place R1 --witness "刘　强，周明" --validator 陈静 \
	>"$T_TMP/d.json" || t_fail "destroy with the roster"
cj=$(jq -r .certificate.json "$T_TMP/d.json")
jq -e '.certificate.operator.name == "王芳" and .certificate.operator.title == "保密员"' \
	"$cj" >/dev/null || t_fail "operator: $(jq -c .certificate.operator "$cj")"
jq -e '.certificate.validator.name == "陈静" and .certificate.validator.title == "主任"' \
	"$cj" >/dev/null || t_fail "validator: $(jq -c .certificate.validator "$cj")"
jq -e '.certificate.destruction.method == "shred"' "$cj" >/dev/null || t_fail "method code"
jq -e '[.certificate.destruction.witnesses[].name] == ["刘强","周明"]' "$cj" >/dev/null ||
	t_fail "witnesses: $(jq -c .certificate.destruction "$cj")"
"$C" -j register history DISC-1 | jq -e 'last | .operator == "王芳"' >/dev/null ||
	t_fail "register actor"
t_ok "default operator from station.conf, roster spelling and titles on the certificate"

# custodians: a warning only
"$C" enroll --manual --type optical --class internal --serial DISC-2 >/dev/null ||
	t_fail "enroll 2"
out=$("$C" issue DISC-2 --to 外单位某人 2>&1) || t_fail "issue to a person off the roster"
grep -q "warning: issue: 外单位某人 is not on the station roster as custodian" <<<"$out" ||
	t_fail "no warning: $out"
"$C" return DISC-2 >/dev/null || t_fail return
"$C" issue DISC-2 --to "周　明" 2>&1 | grep -q warning && t_fail "warned for a custodian"
[ "$("$C" -j register show DISC-2 | jq -r .holder)" = 周明 ] || t_fail "custodian spelling"
out=$("$C" enroll --manual --type optical --class internal --serial DISC-3 --custodian 外人 2>&1) ||
	t_fail "enroll with a custodian off the roster"
grep -q "warning: enroll: 外人 is not on the station roster as custodian" <<<"$out" ||
	t_fail "enroll: no warning: $out"
"$C" enroll --manual --type optical --class internal --serial DISC-4 --custodian "周　明" \
	>/dev/null 2>&1 || t_fail "enroll with a roster custodian"
[ "$("$C" -j register show DISC-4 | jq -r .custodian)" = 周明 ] || t_fail "enroll spelling"
"$C" staff remove "周 明" 2>/dev/null || t_fail "remove"
t_expect_rc 3 "$C" staff remove 周明
t_ok "custodian warning, remove"

# local time with its offset wherever a person reads it (the register keeps UTC)
export TZ=Asia/Shanghai
"$C" register history DISC-1 | grep -Eq '^[0-9]+ +20[0-9-]{8}T[0-9:]{8}\+08:00 ' ||
	t_fail "history not in local time: $("$C" register history DISC-1 | head -2)"
"$C" -j register history DISC-1 | jq -e 'all(.[]; .at | endswith("Z"))' >/dev/null ||
	t_fail "JSON history keeps UTC"
"$C" register show DISC-1 | grep -Eq 'Enrolled: +20[0-9-]{8}T[0-9:]{8}\+08:00$' ||
	t_fail "show not in local time"
"$C" cert list | grep -Eq "^WSS-[0-9-]+ +destruction +20[0-9-]{8}T[0-9:]{8}\+08:00 " ||
	t_fail "cert list not in local time: $("$C" cert list)"
"$C" register export --format csv --output "$T_TMP/reg.csv" || t_fail "csv export"
grep -q "DISC-1,20[0-9-]*T[0-9:]*+08:00," "$T_TMP/reg.csv" || t_fail "csv not in local time"
TZ=UTC "$C" register history DISC-1 | grep -Eq '^[0-9]+ +20[0-9-]{8}T[0-9:]{8}Z ' ||
	t_fail "UTC is written Z"
unset TZ
t_ok "local time with offset in history, show, cert list and the CSV export"

# a locale that cannot show Chinese: one warning, only when the output has some
out=$(LC_ALL=C "$C" staff list 2>&1 >/dev/null)
[ "$(grep -c "locale is not UTF-8" <<<"$out")" = 1 ] || t_fail "LC_ALL=C: $out"
out=$(LC_ALL=C "$C" -j staff list --role validator 2>&1 >/dev/null)
[ "$(grep -c "locale is not UTF-8" <<<"$out")" = 1 ] || t_fail "LC_ALL=C json: $out"
out=$(LC_ALL=C "$C" station pubkey 2>&1 >/dev/null)
[ -z "$out" ] || t_fail "warned for ASCII output: $out"
out=$(LC_ALL=C.UTF-8 "$C" staff list 2>&1 >/dev/null)
[ -z "$out" ] || t_fail "warned in a UTF-8 locale: $out"
t_ok "non-UTF-8 locale: one warning when Chinese is written"

# the interface language (po/zh_CN.po, built into $CUSTOS_LOCALEDIR)
if [ -n "${CUSTOS_LOCALEDIR:-}" ]; then
	LC_ALL=C.UTF-8 LANGUAGE=zh_CN "$C" --help | grep -q "^用法：custos" ||
		t_fail "no Chinese usage"
	LC_ALL=C.UTF-8 LANGUAGE=zh_CN "$C" staff list | grep -q "^姓名 *角色 *职务" ||
		t_fail "no Chinese table header"
	LC_ALL=C.UTF-8 "$C" --help | grep -q "^Usage: custos" || t_fail "English usage"
	t_ok "zh_CN messages"
fi
