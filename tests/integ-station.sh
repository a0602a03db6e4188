#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# custos init, station, station pubkey and demo in a temporary state directory.
. "$top_srcdir/tests/lib.sh"
t_init station
t_need_cmd jq
sd=$CUSTOS_STATE_DIR

out=$("$CUSTOS" station 2>&1) && t_fail "station before init succeeded"
echo "$out" | grep -q "custos init" || t_fail "no hint to run init: $out"
t_expect_rc 2 "$CUSTOS" init --org X 2>/dev/null
t_expect_rc 2 "$CUSTOS" init --org X --station Y --key-type rsa 2>/dev/null
t_expect_rc 2 "$CUSTOS" station --bogus 2>/dev/null
# a Chinese station name gives no prefix: init asks for --prefix, writes nothing
out=$("$CUSTOS" init --org 测试单位 --station 保密室-1 2>&1)
[ $? = 2 ] && grep -q -- "--prefix" <<<"$out" || t_fail "prefix not asked for: $out"
[ ! -e "$sd/station.conf" ] || t_fail "init without a prefix wrote station.conf"
t_expect_rc 2 "$CUSTOS" init --org 测试单位 --station 保密室-1 --prefix "BM-1" 2>/dev/null

"$CUSTOS" init --org "Ministry of Examples" --station "ws1" >/dev/null || t_fail "init"
[ "$(stat -c %a "$sd")" = 700 ] || t_fail "state dir mode $(stat -c %a "$sd")"
[ "$(stat -c %a "$sd/station.key")" = 600 ] || t_fail "key mode"
j=$("$CUSTOS" --json station) || t_fail "station --json"
echo "$j" | jq -e '.org == "Ministry of Examples" and .name == "ws1" and .prefix == "WS1"
	and .key_type == "ed25519" and (.fingerprint | length) == 64' >/dev/null ||
	t_fail "station --json: $j"
fp=$(echo "$j" | jq -r .fingerprint)
"$CUSTOS" station | grep -q "SHA256:$fp" || t_fail "station text lacks the fingerprint"
t_ok "init and station"

# the printed public key is the station's, and its fingerprint matches
"$CUSTOS" station pubkey >"$T_TMP/pub.pem" || t_fail "station pubkey"
grep -q -- "-----BEGIN PUBLIC KEY-----" "$T_TMP/pub.pem" || t_fail "pubkey is not PEM"
if command -v openssl >/dev/null; then
	want=$(openssl pkey -pubin -in "$T_TMP/pub.pem" -outform DER | sha256sum | cut -d' ' -f1)
	[ "$want" = "$fp" ] || t_fail "fingerprint $fp is not SHA-256 of the key ($want)"
fi
t_ok "pubkey"

key=$(sha256sum <"$sd/station.key")
t_expect_rc 3 "$CUSTOS" init --org Other --station ws2 2>/dev/null
[ "$(sha256sum <"$sd/station.key")" = "$key" ] || t_fail "re-init changed the key"
"$CUSTOS" init --org Other --station ws2 --key-type sm2 --force >/dev/null || t_fail "--force"
[ "$(sha256sum <"$sd/station.key")" != "$key" ] || t_fail "--force kept the key"
"$CUSTOS" --json station | jq -e '.key_type == "sm2" and .org == "Other"' >/dev/null ||
	t_fail "station after --force"
t_ok "re-init refused, --force replaces"

# demo in its own state directory, twice (idempotent)
export CUSTOS_STATE_DIR="$T_TMP/demo"
"$CUSTOS" demo >"$T_TMP/demo.out" || t_fail "demo"
grep -q "Demo Office" "$T_TMP/demo.out" || t_fail "demo did not show the station"
for f in usb-stick-1 laptop-disk sd-card; do
	head -c 16 "$CUSTOS_STATE_DIR/virtual/$f.img" | grep -q "CUSTOS DEMO DATA" ||
		t_fail "$f.img lacks the demo marker"
done
"$CUSTOS" demo >/dev/null || t_fail "demo again"
"$CUSTOS" --json devices | jq -e '[.[] | select(.transport == "file")] |
	length == 3 and all(.eligible) and
	any(.path | endswith("/virtual/laptop-disk.img")) and
	(map(.size_bytes) | sort == [33554432, 67108864, 268435456])' >/dev/null ||
	t_fail "devices does not list the 3 demo media as eligible"
t_ok "demo"
