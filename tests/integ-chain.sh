#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The signed register (issue 13): forgeries by someone who can write the
# state directory but does not have the station's private key, each tried
# on its own copy of a station: the whole chain rewritten with recomputed
# hashes, the tail deleted with its rows and the stored head fixed, a
# certificate row edited, the register emptied or deleted, a certificate of
# a foreign key; and re-keying, which keeps old certificates valid.
. "$top_srcdir/tests/lib.sh"
t_init chain
export LSAN_OPTIONS="suppressions=$top_srcdir/tests/lsan-cert.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
t_need_cmd sqlite3 jq python3
# a certificate names a real operator, never the login account
export CUSTOS_OPERATOR=Clerk

C=$CUSTOS
S=$CUSTOS_STATE_DIR
"$C" init --org "Test Office" --station WS-CHAIN >/dev/null || t_fail "custos init"

# --- a station with history: two media, a sanitization, custody, a destruction
mkdir -p "$S/virtual"
img=$S/virtual/a.img
truncate -s 4M "$img"
"$C" enroll "$img" --class secret --asset-tag A-1 >/dev/null || t_fail "enroll"
"$C" sanitize --yes --profile zero --destination internal-reuse "$img" >/dev/null 2>&1 ||
	t_fail "sanitize"
"$C" issue A-1 --to Alice >/dev/null || t_fail issue
"$C" return A-1 >/dev/null || t_fail return
"$C" enroll --manual --type optical --class top-secret --serial DISC-1 --asset-tag CD-1 \
	>/dev/null || t_fail "manual enroll"
"$C" destroy CD-1 --method shred --place "Room 1" --witness Li --witness Wang >/dev/null ||
	t_fail destroy
SAN=$(sqlite3 "$S/register.db" "SELECT id FROM certificates WHERE kind = 'sanitization'")
DES=$(sqlite3 "$S/register.db" "SELECT id FROM certificates WHERE kind = 'destruction'")
[ -n "$SAN" ] && [ -n "$DES" ] || t_fail "no certificates in the register"
N=$(sqlite3 "$S/register.db" "SELECT count(*) FROM events")
[ "$(sqlite3 "$S/register.db" "SELECT count(DISTINCT event_id) FROM event_signatures")" = "$N" ] ||
	t_fail "not every event is signed"
"$C" register verify >"$T_TMP/ok.txt" || t_fail "fresh register does not verify"
grep -q "signed head (register.head): event $N" "$T_TMP/ok.txt" || t_fail "head not reported"
grep -q "certificates: 2 stored rows verified, 2 files" "$T_TMP/ok.txt" ||
	t_fail "certificates not checked: $(cat "$T_TMP/ok.txt")"
"$C" -j register verify --all-signatures | jq -e --argjson n "$N" \
	'.ok and .signatures_verified >= $n and .head_seq == $n and .certificates_verified == 2' \
	>/dev/null || t_fail "--all-signatures does not check every signature"
grep -q "^seq=$N$" "$S/register.head" || t_fail "register.head is not at the last event"
t_ok "every event signed; verify checks hashes, head, signatures and certificates"

# fresh copy of the station for one forgery
copy() { rm -rf "$T_TMP/$1"; cp -a "$S" "$T_TMP/$1"; echo "$T_TMP/$1"; }

# REWRITE DB [EDIT]: recompute the whole chain after changing the details of
# the "issued" event (what someone without the key can do), head in the
# database fixed, optionally register.head too (its signature kept).
rewrite() {
	python3 - "$1" "$2" <<'EOF' || t_fail "rewrite script"
import hashlib, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
mode = sys.argv[2]
db.executescript("DROP TRIGGER events_no_update; DROP TRIGGER IF EXISTS event_signatures_no_delete;")
def h(ev, prev):
    out = b"custos-event-v1\n"
    for name, val in (("seq", str(ev[1])), ("media_id", str(ev[2])), ("at", ev[3]),
                      ("kind", ev[4]), ("operator", ev[5]), ("station", ev[6]),
                      ("details", ev[7]), ("prev_hash", prev)):
        v = val.encode()
        out += name.encode() + b"=" + str(len(v)).encode() + b":" + v + b"\n"
    return hashlib.sha256(out).hexdigest()
prev = "0" * 64
rows = db.execute("SELECT id, seq, media_id, at, kind, operator, station, details FROM events"
                  " ORDER BY seq").fetchall()
for r in rows:
    r = list(r)
    if r[4] == "issued":
        r[7] = r[7].replace("Alice", "Mallory")
    new = h(r, prev)
    db.execute("UPDATE events SET details = ?, prev_hash = ?, hash = ? WHERE id = ?",
               (r[7], prev, new, r[0]))
    prev = new
if mode == "unsigned":
    db.execute("DELETE FROM event_signatures")
db.execute("UPDATE meta SET value = ? WHERE key = 'head_hash'", (prev,))
db.commit()
print(prev)
EOF
}

# --- 1. whole-chain rewrite with recomputed hashes
F=$(copy f1)
last=$(rewrite "$F/register.db" keep)
"$C" -d "$F" register history A-1 | grep -q Mallory || t_fail "rewrite did not take"
t_expect_rc 1 "$C" -d "$F" register verify
"$C" -d "$F" register verify 2>&1 | grep -q "TAMPERED: signature" ||
	t_fail "rewrite: not reported as a signature failure"
# with register.head fixed as well (the old signature cannot be redone)
sed -i "s/^hash=.*/hash=$last/" "$F/register.head"
t_expect_rc 1 "$C" -d "$F" register verify
t_expect_rc 3 "$C" -d "$F" issue A-1 --to Bob
# with the signatures deleted, pretending a register from before signing
F=$(copy f1b)
rewrite "$F/register.db" unsigned >/dev/null
t_expect_rc 1 "$C" -d "$F" register verify
rm "$F/register.head"
"$C" -d "$F" register verify 2>&1 | grep -q "register.head is missing" ||
	t_fail "deleted head not reported"
t_expect_rc 1 "$C" -d "$F" register verify
t_ok "whole-chain rewrite with recomputed hashes rejected (signatures, head)"

# --- 2. tail deletion with the medium and certificate rows, stored head fixed
F=$(copy f2)
mid=$(sqlite3 "$F/register.db" "SELECT id FROM media WHERE asset_tag = 'CD-1'")
sqlite3 "$F/register.db" "PRAGMA foreign_keys = OFF; DROP TRIGGER events_no_delete;
	DROP TRIGGER certificates_no_delete; DROP TRIGGER event_signatures_no_delete;
	DELETE FROM event_signatures WHERE event_id IN (SELECT id FROM events WHERE media_id = $mid);
	DELETE FROM events WHERE media_id = $mid; DELETE FROM certificates WHERE media_id = $mid;
	DELETE FROM media WHERE id = $mid;
	UPDATE meta SET value = (SELECT max(seq) FROM events) WHERE key = 'head_seq';
	UPDATE meta SET value = (SELECT hash FROM events ORDER BY seq DESC LIMIT 1)
		WHERE key = 'head_hash';" || t_fail "tail deletion script"
[ "$(sqlite3 "$F/register.db" "SELECT count(*) FROM events")" -lt "$N" ] ||
	t_fail "nothing deleted"
t_expect_rc 1 "$C" -d "$F" register verify
"$C" -d "$F" register verify 2>&1 | grep -q "truncated or rolled back" ||
	t_fail "tail deletion: not reported against the signed head"
t_expect_rc 3 "$C" -d "$F" issue A-1 --to Bob
# register.head rolled back too, made from the new last event's own signature
read -r seq hash key sig < <(sqlite3 -separator ' ' "$F/register.db" "SELECT e.seq, e.hash,
	s.key_fpr, s.sig FROM events e JOIN event_signatures s ON s.event_id = e.id
	ORDER BY e.seq DESC LIMIT 1")
printf 'custos-register-head-v1\nseq=%s\nhash=%s\nkey=%s\nsig=%s\n' "$seq" "$hash" "$key" \
	"$sig" >"$F/register.head"
# an event's signature does not sign a head (its own statement): the rebuilt
# head is a forgery, whatever else was removed
t_expect_rc 1 "$C" -d "$F" register verify
"$C" -d "$F" register verify 2>&1 | grep -q "signature .*does not match" ||
	t_fail "a head rebuilt from an event's signature was not rejected"
t_expect_rc 3 "$C" -d "$F" issue A-1 --to Bob
t_ok "tail deletion with its rows and the head fixed rejected (head, certificate store)"

# --- 3. a certificate row edited
F=$(copy f3)
sqlite3 "$F/register.db" "UPDATE certificates SET json = replace(json, '\"shred\"',
	'\"incinerate\"') WHERE id = '$DES'" || t_fail "update certificate"
sqlite3 "$F/register.db" "SELECT json FROM certificates WHERE id = '$DES'" | grep -q incinerate ||
	t_fail "the edit did not take"
t_expect_rc 1 "$C" -d "$F" register verify
"$C" -d "$F" register verify 2>&1 | grep -q "certificate $DES: INVALID signature" ||
	t_fail "edited row: not reported"
t_expect_rc 1 "$C" -d "$F" cert show "$DES"
"$C" -d "$F" cert show "$DES" 2>&1 | grep -q "refusing certificate $DES: INVALID" ||
	t_fail "cert show: no refusal"
(cd "$T_TMP" && t_expect_rc 1 "$C" -d "$F" cert pdf "$DES" -o "$T_TMP/forged.pdf")
[ -e "$T_TMP/forged.pdf" ] && t_fail "cert pdf rendered the forged row"
"$C" -d "$F" cert show "$SAN" | grep -q "$SAN" || t_fail "an intact certificate is refused"
# a certificate row pointing at another event
F=$(copy f3b)
other=$(sqlite3 "$F/register.db" "SELECT hash FROM events WHERE kind = 'issued'")
sqlite3 "$F/register.db" "UPDATE certificates SET event_hash = '$other' WHERE id = '$SAN'"
t_expect_rc 1 "$C" -d "$F" register verify
t_ok "certificate row edit rejected by verify; cert show and cert pdf refuse it"

# --- 4. the register emptied or deleted
F=$(copy f4)
: >"$F/register.db"
t_expect_rc 1 "$C" -d "$F" register verify
"$C" -d "$F" register verify 2>&1 | grep -q "emptied, deleted, truncated or rolled back" ||
	t_fail "emptied register: wrong message"
t_expect_rc 3 "$C" -d "$F" enroll --manual --type optical --class secret --serial NEW-1
t_expect_rc 3 "$C" -d "$F" sanitize --yes --profile zero "$img"
[ "$(sqlite3 "$F/register.db" "SELECT count(*) FROM media")" = 0 ] ||
	t_fail "a write reached the emptied register"
F=$(copy f4b)
rm -f "$F/register.db" "$F/register.db-wal" "$F/register.db-shm"
t_expect_rc 1 "$C" -d "$F" register verify
t_expect_rc 3 "$C" -d "$F" enroll --manual --type optical --class secret --serial NEW-1
t_expect_rc 3 "$C" -d "$F" station rekey
t_ok "emptied and deleted register: verify fails, writing commands refuse"

# --- 5. a certificate signed by a key this station never had
S2=$T_TMP/foreign
"$C" -d "$S2" init --org "Test Office" --station WS-CHAIN >/dev/null || t_fail "init foreign"
"$C" -d "$S2" enroll --manual --type optical --class secret --serial X-1 >/dev/null
"$C" -d "$S2" destroy X-1 --method shred --place R --witness Li --witness Wang >/dev/null ||
	t_fail "foreign destroy"
fid=$(sqlite3 "$S2/register.db" "SELECT id FROM certificates")
t_expect_rc 1 "$C" cert verify "$S2/certs/$fid.json"
"$C" cert verify "$S2/certs/$fid.json" 2>&1 | grep -q "INVALID: signed by key SHA256:.*which this station never had" ||
	t_fail "foreign key: no clear message"
F=$(copy f5)
cp "$S2/certs/$fid.json" "$F/certs/$DES.json"
t_expect_rc 1 "$C" -d "$F" register verify
"$C" -d "$F" register verify 2>&1 |
	grep -q "certs/$DES.json is not the certificate the register holds" ||
	t_fail "swapped certificate file not reported"
t_expect_rc 1 "$C" -d "$F" cert show "$F/certs/$DES.json"
"$C" -d "$F" cert show "$F/certs/$DES.json" 2>&1 | grep -q "never had" ||
	t_fail "cert show of a foreign certificate: no clear message"
t_ok "certificate of a foreign key INVALID: the station never had that key"

# --- 6. re-keying keeps old certificates valid and records key-rotated
F=$(copy f6)
old=$("$C" -d "$F" -j station | jq -r .fingerprint)
"$C" -d "$F" station rekey --key-type sm2 >/dev/null || t_fail "station rekey"
new=$("$C" -d "$F" -j station | jq -r .fingerprint)
[ "$old" != "$new" ] || t_fail "rekey kept the key"
[ "$(sqlite3 "$F/register.db" "SELECT kind FROM events ORDER BY seq DESC LIMIT 1")" = key-rotated ] ||
	t_fail "no key-rotated event"
sqlite3 "$F/register.db" "SELECT s.key_fpr FROM event_signatures s JOIN events e
	ON e.id = s.event_id WHERE e.kind = 'key-rotated'" | sort >"$T_TMP/rot.txt"
printf '%s\n' "$old" "$new" | sort | cmp -s - "$T_TMP/rot.txt" ||
	t_fail "key-rotated is not signed by the old and the new key"
"$C" -d "$F" -j station keys | jq -e --arg o "$old" --arg n "$new" 'length == 2 and
	.[0].fingerprint == $o and .[0].valid_until != null and .[1].fingerprint == $n and
	.[1].current and .[1].key_type == "sm2"' >/dev/null || t_fail "station keys"
for id in "$SAN" "$DES"; do
	"$C" -d "$F" cert verify "$F/certs/$id.json" >/dev/null || t_fail "old $id INVALID after rekey"
	"$C" -d "$F" cert show "$id" >/dev/null || t_fail "cert show $id after rekey"
done
"$C" -d "$F" issue A-1 --to Carol >/dev/null || t_fail "write after rekey"
"$C" -d "$F" -j register verify --all-signatures | jq -e --arg n "$new" \
	'.ok and .key_rotations == 1 and .key_fingerprint == $n' >/dev/null ||
	t_fail "verify after rekey"
"$C" -d "$F" init --force --org "Test Office" --station WS-CHAIN >/dev/null ||
	t_fail "init --force"
[ "$("$C" -d "$F" -j station keys | jq length)" = 3 ] || t_fail "init --force: keyring"
"$C" -d "$F" register verify >/dev/null || t_fail "verify after init --force"
"$C" -d "$F" cert verify "$F/certs/$DES.json" >/dev/null || t_fail "old cert after init --force"
# a key swapped in without a key-rotated event signed by the old key
F=$(copy f6b)
"$C" -d "$T_TMP/thief" init --org X --station Y >/dev/null
cp "$T_TMP/thief/station.key" "$T_TMP/thief/station.pub" "$F/"
cp "$T_TMP/thief/keys/"*.pub "$F/keys/"
# custos does not sign with a key the register never introduced (an event
# forged with one fails verify: test-register)
CUSTOS_OPERATOR=x "$C" -d "$F" issue A-1 --to Mallory >/dev/null 2>"$T_TMP/swap.err" &&
	t_fail "an event was signed with a key the register never introduced"
grep -q "would not verify" "$T_TMP/swap.err" || t_fail "swapped key: $(cat "$T_TMP/swap.err")"
t_expect_rc 0 "$C" -d "$F" register verify
t_ok "rekey: key-rotated signed by both keys, old certificates valid, keys listed"

# --- 7. --all-signatures: a damaged signature in the middle of the chain
F=$(copy f7)
sqlite3 "$F/register.db" "DROP TRIGGER event_signatures_no_update;
	UPDATE event_signatures SET sig = (SELECT sig FROM event_signatures s2
	WHERE s2.event_id = 1) WHERE event_id = 2"
t_expect_rc 0 "$C" -d "$F" register verify
t_expect_rc 1 "$C" -d "$F" register verify --all-signatures
"$C" -d "$F" register verify --all-signatures 2>&1 | grep -q "event 2: the signature" ||
	t_fail "--all-signatures: wrong event"
t_ok "--all-signatures checks every event's signature"

# --- 8. a register from before signing: verified as it is, adopted by the next write
F=$(copy f8)
sqlite3 "$F/register.db" "DROP TABLE event_signatures" || t_fail "unsign"
rm -rf "$F/register.head" "$F/keys"
"$C" -d "$F" -j register verify | jq -e --argjson n "$N" \
	'.ok and .unsigned_events == $n and .head_seq == -1' >/dev/null ||
	t_fail "unsigned register does not verify as before"
"$C" -d "$F" issue A-1 --to Dora >/dev/null || t_fail "first write to an unsigned register"
[ -f "$F/register.head" ] && [ -d "$F/keys" ] || t_fail "not adopted: no head or keyring"
"$C" -d "$F" -j register verify --all-signatures | jq -e --argjson n "$N" \
	'.ok and .unsigned_events == $n and .head_seq == $n + 1' >/dev/null ||
	t_fail "adopted register does not verify"
"$C" -d "$F" register verify | grep -q "written before custos signed its register" ||
	t_fail "unsigned events not reported"
t_ok "a register from before signing verifies and is adopted by the next write"

# --- a certificate file edited in certs/ (its row intact): the store must
#     be the signed certificates the register holds
F=$(copy f9)
python3 - "$F/certs/$SAN.json" <<'PY' || t_fail "cannot edit the certificate file"
import json, sys
d = json.load(open(sys.argv[1]))
d["certificate"]["outcome"] = "failed" if d["certificate"].get("outcome") != "failed" else "erased"
json.dump(d, open(sys.argv[1], "w"))
PY
t_expect_rc 1 "$C" -d "$F" register verify
"$C" -d "$F" register verify 2>&1 | grep -q "differs from the signed certificate" ||
	t_fail "an edited certificate file was not reported"
t_ok "a certificate file edited in the store is reported"
