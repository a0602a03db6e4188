#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# custos sanitize and the station roster (issue 14): --operator,
# --validator and --witness name roster people in their roles (unknown
# names refused, exit 3, the roster listed; nobody named, exit 2);
# $CUSTOS_OPERATOR or the station's default supplies the operator, in the
# roster's spelling and with its title; the login account is taken only
# while no roster and no default exist.  Image files only (no root).
. "$top_srcdir/tests/lib.sh"
t_init integ-sanitize-people
t_need_cmd python3
unset CUSTOS_OPERATOR

"$CUSTOS" init --org "Test Office" --station P1 >/dev/null || t_fail "custos init"
# a file is a target only as a virtual medium, in the station's virtual/
mkdir -p "$CUSTOS_STATE_DIR/virtual"
img="$CUSTOS_STATE_DIR/virtual/disk.img"
truncate -s 1M "$img"
san() { "$CUSTOS" sanitize --yes --profile zero "$@" "$img"; }
# the operator (name, title) of the newest certificate
cert_op() {
	python3 - "$CUSTOS_STATE_DIR/certs" <<'PY'
import glob, json, os, sys
f = max(glob.glob(sys.argv[1] + "/*.json"), key=os.path.getmtime)
c = json.load(open(f))["certificate"]
print(c["operator"]["name"], c["operator"].get("title") or "-",
      (c.get("validator") or {}).get("name") or "-")
PY
}

# no roster, no default: the login account (the demo's behaviour)
san >/dev/null 2>&1 || t_fail "sanitize without a roster: exit $?"
[ "$(cert_op)" = "$(id -un) - -" ] || t_fail "no roster: operator is $(cert_op)"
t_ok "no roster and no default: the login account"

"$CUSTOS" staff add 王芳 --role operator --title 保密员 >/dev/null || t_fail "staff add"
"$CUSTOS" staff add 刘强 --role validator,witness >/dev/null || t_fail "staff add"
n_certs() { ls "$CUSTOS_STATE_DIR"/certs/*.json | wc -l; }
before=$(n_certs)

san >"$T_TMP/o1" 2>&1
[ $? = 2 ] || t_fail "nobody named with a roster: exit not 2"
grep -q "王芳" "$T_TMP/o1" || t_fail "the roster's operators are not listed"
san --operator root >"$T_TMP/o2" 2>&1
[ $? = 3 ] || t_fail "--operator root: exit not 3"
grep -q "王芳" "$T_TMP/o2" || t_fail "--operator root: the roster is not listed"
san --operator 刘强 >"$T_TMP/o3" 2>&1
[ $? = 3 ] || t_fail "a validator as operator: exit not 3"
san --operator 王芳 --validator 王芳 >/dev/null 2>&1
[ $? = 3 ] || t_fail "the operator as validator: exit not 3"
san --operator 王芳 --witness '刘强，张三' >"$T_TMP/o4" 2>&1
[ $? = 3 ] || t_fail "an unknown witness: exit not 3"
grep -q "张三" "$T_TMP/o4" || t_fail "the unknown witness is not named"
[ "$(n_certs)" = "$before" ] || t_fail "a refused run left a certificate"
t_ok "unknown names and wrong roles refused (exit 3), nobody named exit 2"

# $CUSTOS_OPERATOR, typed with an ideographic space: the roster's spelling and title
CUSTOS_OPERATOR='王　芳' san --validator 刘强 --witness 刘强 >/dev/null 2>&1
[ $? = 3 ] || t_fail "the validator as witness: exit not 3"
CUSTOS_OPERATOR='王　芳' san --validator 刘强 >/dev/null 2>&1 || t_fail "CUSTOS_OPERATOR: exit $?"
[ "$(cert_op)" = "王芳 保密员 刘强" ] || t_fail "CUSTOS_OPERATOR: certificate says $(cert_op)"
t_ok "\$CUSTOS_OPERATOR: the roster's name and title on the certificate"

# the station's default operator
"$CUSTOS" staff default 王芳 >/dev/null || t_fail "staff default"
san >/dev/null 2>&1 || t_fail "default operator: exit $?"
[ "$(cert_op)" = "王芳 保密员 -" ] || t_fail "default operator: certificate says $(cert_op)"
login_certs=$(python3 - "$CUSTOS_STATE_DIR/certs" "$(id -un)" <<'PY'
import glob, json, sys
print(sum(json.load(open(f))["certificate"]["operator"]["name"] == sys.argv[2]
          for f in glob.glob(sys.argv[1] + "/*.json")))
PY
)
[ "$login_certs" = 1 ] || t_fail "$login_certs certificates name the login account (1 expected)"
t_ok "the station's default operator"
