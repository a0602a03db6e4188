#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The station screen in Chinese at 80x24 (LANG=zh_CN.UTF-8, issue 14):
# with a roster it first asks who is at the station and names that person
# as the operator; a loop device is enrolled (the custodian refused when
# not a roster custodian, then picked with F2), wiped, its certificate
# shown and the register browsed, each screen with its Chinese labels;
# the certificate and every event name the roster's operator, never the
# login account.
. "$top_srcdir/tests/lib.sh"
t_init tui-zh
t_need_root
t_need_cmd tmux losetup cmp jq
locale -a 2>/dev/null | grep -qix 'zh_CN\.utf-\?8' ||
	t_skip "no zh_CN.UTF-8 locale (tools/setup generates it)"
[ -n "$CUSTOS_LOCALEDIR" ] || t_skip "CUSTOS_LOCALEDIR is not set"

export LSAN_OPTIONS="suppressions=$top_srcdir/tests/lsan-cert.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
SOCK="custos-tui-zh-$$"
RC_FILE="$T_TMP/tui.rc"
trap 'tmux -L "$SOCK" kill-server 2>/dev/null; t_cleanup' EXIT

. "$top_srcdir/tests/tui-lib.sh"
find_medium() {
	local i
	for ((i = 0; i < ${2:-1} * 2; i++)); do
		keys /
		keys "$1" Enter
		screen | grep -qF "/dev/$1" && return 0
		sleep 0.2
	done
	wait_for "/dev/$1" 1
}

"$CUSTOS" init --org "测试单位" --station ws-zh --prefix WSZH >/dev/null ||
	t_fail "custos init failed"
"$CUSTOS" staff add 王芳 --role operator --title 保密员 >/dev/null || t_fail "staff add"
"$CUSTOS" staff add 刘强 --role validator,witness >/dev/null || t_fail "staff add"
"$CUSTOS" staff add 李四 --role witness >/dev/null || t_fail "staff add"
"$CUSTOS" staff add 赵敏 --role custodian --department 档案室 >/dev/null || t_fail "staff add"

LOOP=$(t_loop 16) || t_skip "no loop device"
N=${LOOP#/dev/}

tm new-session -d -s tui -x 80 -y 24 \
	"env -u CUSTOS_OPERATOR LANG=zh_CN.UTF-8 LC_ALL= TERM=screen \
	CUSTOS_STATE_DIR='$CUSTOS_STATE_DIR' CUSTOS_LOCALEDIR='$CUSTOS_LOCALEDIR' \
	LSAN_OPTIONS='$LSAN_OPTIONS' \
	CUSTOS_PROFILE_DIR='${CUSTOS_PROFILE_DIR:-$top_srcdir/profiles}' \
	'$CUSTOS' tui 2>'$T_TMP/stderr'; echo \$? >'$RC_FILE'; sleep 2" ||
	t_fail "cannot start tmux"

# who is at the station: the roster's operators, before anything else
# (Esc would leave: the key bar says so); nobody acts meanwhile
wait_for "谁在工作站值守"
wait_for "王芳"
wait_for "Esc 离开"
screen | head -1 | grep -qF "操作人：王芳" && t_fail "an operator before anyone was chosen"
keys e
screen | grep -qF "登记介质" && t_fail "the enrol form opened with nobody at the station"
keys Enter
wait_for "操作人：王芳"
wait_for "退出"
t_ok "the operator picked from the roster"

# enrol
find_medium "$N" 10
keys e
wait_for "登记介质"
wait_for "资产编号"
# 王芳 is on the roster, but not as a custodian: refused, the form kept
keys "ZH-1" Tab Right Tab "王芳" Enter
close_notice 按任意键关闭
wait_for "王芳_"
screen | grep -qF "已登记，编号 M-" && t_fail "enrolled with an operator as custodian"
[ "$("$CUSTOS" register list --json | jq length)" = 0 ] || t_fail "enrolled with a wrong custodian"
keys BSpace BSpace F2
wait_for "选择责任人"
wait_for "赵敏"
keys Enter
wait_for "赵敏_"
wait_for "档案室"
keys Enter
wait_for "已登记，编号 M-"
# the list: Chinese headers, the device's whole name, the class in Chinese
wait_for "设备"
wait_for "密级"
screen | grep -F "$N " | grep -qF "内部" || { screen >&2; t_fail "the class is not shown in Chinese"; }
SHOW=$("$CUSTOS" register show ZH-1) || t_fail "ZH-1 is not in the register"
grep -qE "Custodian: +赵敏$" <<<"$SHOW" || { echo "$SHOW" >&2; t_fail "the register does not name 赵敏"; }
t_ok "enrolled (Chinese form), the custodian picked with F2"

# wipe: the dialog's labels, the operator from the roster, F2 picks the validator
find_medium "$N"
keys w
wait_for "消除方案"
wait_for "审核人（第二人）"
keys Tab Tab Tab Tab F2
wait_for "选择审核人"
keys Enter
wait_for "刘强"
keys Tab Tab Tab "$N" Enter
for ((i = 0; i < 600; i++)); do
	ls "$CUSTOS_STATE_DIR"/certs/*.json >/dev/null 2>&1 && break
	sleep 0.1
done
CERT=$(ls "$CUSTOS_STATE_DIR"/certs/*.json 2>/dev/null | head -1)
[ -n "$CERT" ] || { screen >&2; t_fail "no certificate"; }
cmp -s -n $((16 << 20)) "$LOOP" /dev/zero || t_fail "$LOOP is not all zero after the wipe"
tr -d '\n' <"$CERT" | sed 's/: */: /g' | grep -qF '"name": "王芳"' ||
	t_fail "the certificate does not name the roster's operator"
grep -qF "\"name\": \"$(id -un)\"" "$CERT" && t_fail "the certificate names the login account"
t_ok "wiped; the certificate names 王芳"

# the certificate screen
sleep 1
find_medium "$N"
keys c
wait_for "打印"
wait_for "存PDF"
keys Escape
t_ok "certificate screen in Chinese"

# the register browser
keys r
wait_for "台账：密级"
wait_for "登记编号"
wait_for "已消除"
# history: readable text, not JSON
keys h
wait_for "开始消除"
screen >&2
screen | grep -qF '{"' && t_fail "history shows raw JSON"
keys Escape
t_ok "register browser in Chinese"

# destruction: witnesses typed with a full-width comma are two people; an
# unknown one is refused and the form keeps what was typed, the cursor on
# the witnesses; F2 adds a witness from the roster
keys d
wait_for "登记物理销毁"
keys Tab "销毁室" Tab "刘强，张三" Enter
wait_for "张三"
wait_for "按任意键关闭"
keys Escape
wait_for "刘强，张三_"
wait_for "销毁室"
keys BSpace BSpace BSpace F2
wait_for "选择监销人"
keys Down Enter
wait_for "刘强，李四_"
keys Enter
wait_for "销毁已登记，证书"
wait_for "已销毁"
t_ok "destruction form kept on a refusal; witnesses from the roster"
keys Escape
wait_for "退出"

# every event names the operator at the station, never the login account
for ref in $("$CUSTOS" register list --json | jq -r '.[].register_no'); do
	"$CUSTOS" register history "$ref" --json | jq -r '.[].operator'
done >"$T_TMP/actors"
[ -s "$T_TMP/actors" ] || t_fail "no events"
grep -vxF "王芳" "$T_TMP/actors" && t_fail "an event names someone else than 王芳"
t_ok "every event names 王芳"

keys q
for ((i = 0; i < 50; i++)); do [ -s "$RC_FILE" ] && break; sleep 0.1; done
[ "$(cat "$RC_FILE" 2>/dev/null)" = 0 ] || t_fail "custos tui did not exit 0"
t_ok "quit"
