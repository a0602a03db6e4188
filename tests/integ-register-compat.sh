#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# A register written by an earlier custos (schema version 4, made by the
# binary before the media field table drove the SQLite schema, binding and
# CSV export; tests/fixtures/register-v4/README) opens, migrates to
# version 5 (the origin of received media), verifies, exports the same CSV
# and JSON (but version 5's keys), keeps every chain hash, takes new events.
. "$top_srcdir/tests/lib.sh"
t_init register-compat
t_need_cmd sqlite3 jq cmp

C=$CUSTOS
FX=$top_srcdir/tests/fixtures/register-v4
S=$CUSTOS_STATE_DIR
export CUSTOS_OPERATOR=Clerk TZ=UTC

mkdir -m 700 "$S" "$S/certs" "$S/keys" || t_fail "mkdir $S"
cp "$FX/register.head" "$FX/station.conf" "$FX/station.pub" "$FX/station.key" "$S/" &&
	cp "$FX"/keys/* "$S/keys/" && cp "$FX"/certs/*.json "$S/certs/" || t_fail "copy fixture"
chmod 600 "$S/station.key"
sqlite3 "$S/register.db" < "$FX/register.sql" || t_fail "load register.sql"
schema_before=$(sqlite3 "$S/register.db" "SELECT sql FROM sqlite_master ORDER BY name")

"$C" register verify >"$T_TMP/verify.out" || { cat "$T_TMP/verify.out"; t_fail "verify"; }
grep -q "16 events" "$T_TMP/verify.out" || t_fail "verify: not the fixture's 16 events"
# migrated to version 5: the origin of media received from the central
# register (three columns and a unique index), nothing else changed
[ "$(sqlite3 "$S/register.db" "PRAGMA user_version")" = 5 ] || t_fail "not migrated to 5"
sqlite3 "$T_TMP/v5.db" < "$FX/register.sql" && sqlite3 "$T_TMP/v5.db" "
	ALTER TABLE media ADD COLUMN origin_station TEXT NOT NULL DEFAULT '';
	ALTER TABLE media ADD COLUMN origin_id INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE media ADD COLUMN origin_register_no TEXT NOT NULL DEFAULT '';
	CREATE UNIQUE INDEX media_origin ON media(origin_station, origin_id) WHERE origin_station != '';" \
	|| t_fail "the expected version 5 schema"
schema_v5=$(sqlite3 "$T_TMP/v5.db" "SELECT sql FROM sqlite_master ORDER BY name")
[ "$(sqlite3 "$S/register.db" "SELECT sql FROM sqlite_master ORDER BY name")" = \
  "$schema_v5" ] || t_fail "opening changed the schema beyond version 5"
t_ok "a version 4 register opens, migrates to 5 and verifies"

# a new register has the schema the earlier custos created (and version 5's
# additions), to the byte
CUSTOS_STATE_DIR=$T_TMP/fresh "$C" init --org "Test Office" --station WS-NEW >/dev/null ||
	t_fail "init a new station"
CUSTOS_STATE_DIR=$T_TMP/fresh "$C" register verify >/dev/null || t_fail "verify a new register"
[ "$(sqlite3 "$T_TMP/fresh/register.db" "SELECT sql FROM sqlite_master ORDER BY name")" = \
  "$schema_v5" ] || t_fail "a new register's schema differs from the earlier one"
t_ok "a new register has the earlier schema"

"$C" register export --format csv --output "$T_TMP/export.csv" || t_fail "csv export"
cmp "$FX/export.csv" "$T_TMP/export.csv" || t_fail "csv export differs from the old one"
"$C" register export --format json | jq -e '.schema_version == 5 and all(.media[];
	.origin_station == "" and .origin_id == 0 and .origin_register_no == "")' >/dev/null ||
	t_fail "json export: version 5, no origin"
"$C" register export --format json | jq 'del(.exported_at) | .schema_version = 4 |
	.media[] |= del(.origin_station, .origin_id, .origin_register_no)' \
	>"$T_TMP/export.json" || t_fail "json export"
cmp "$FX/export.json" "$T_TMP/export.json" || t_fail "json export differs from the old one"
t_ok "CSV and JSON exports as the earlier custos wrote them"

# new events: a custody change, an enrolment (insert), a sanitization of
# an unenrolled medium (insert) and its enrolment in place (update)
"$C" issue T-1 --to Carol >/dev/null || t_fail issue
mkdir -p "$S/virtual" && truncate -s 4M "$S/virtual/new.img" "$S/virtual/u2.img" ||
	t_fail "images"
"$C" enroll "$S/virtual/new.img" --class internal --asset-tag N-1 --note new >/dev/null ||
	t_fail "enrol a new medium"
"$C" sanitize --yes --profile zero "$S/virtual/u2.img" >/dev/null || t_fail "sanitize"
"$C" -j register show "$S/virtual/u2.img" | jq -e '.register_no == "U-000002" and
	.unregistered == true' >/dev/null || t_fail "the unenrolled medium is not U-000002"
"$C" enroll "$S/virtual/u2.img" --class secret --asset-tag U-2 --custodian Wang >/dev/null ||
	t_fail "enrol the unregistered medium"
"$C" -j register show U-2 | jq -e '.register_no == "M-000006" and .asset_tag == "U-2" and
	.unregistered == false and .classification == "secret" and .custodian == "Wang" and
	.state == "in-stock"' >/dev/null || t_fail "the unregistered medium is not enrolled in place"
"$C" register verify >"$T_TMP/verify.out" || { cat "$T_TMP/verify.out"; t_fail "verify after"; }
grep -q "21 events" "$T_TMP/verify.out" || t_fail "verify: not 21 events"
"$C" register export --format json | jq -c '[.media[].history[] | {seq, hash}] | sort_by(.seq)
	| .[:16]' >"$T_TMP/new-hashes" || t_fail "json export after"
jq -c '[.media[].history[] | {seq, hash}] | sort_by(.seq)' "$FX/export.json" \
	>"$T_TMP/old-hashes"
cmp "$T_TMP/old-hashes" "$T_TMP/new-hashes" || t_fail "the old events' hashes changed"
t_ok "new events appended; the old chain hashes are unchanged"
