#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Key history and the register (review of issue 13):
# 1. station rekey killed at each of its steps: the next writing command
#    finishes it (or removes a key the register never recorded), the
#    station signs with the register's key and everything verifies; an
#    append with a key that is not the register's is refused.
# 2. certificate rows and register.head verify only with keys the register
#    introduced, not with any key dropped into keys/.
# 3. a certificate file left by a kill just before New Year is recorded by
#    the first issue of the new year.
# 4. register.head.lock takes the register file's mode: a second user of a
#    group-shared state dir advances the signed head (also over a
#    register.head.tmp the first user's killed process left).
. "$top_srcdir/tests/lib.sh"
t_init keys
export LSAN_OPTIONS="suppressions=$top_srcdir/tests/lsan-cert.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
t_need_cmd sqlite3 jq python3 openssl
export CUSTOS_OPERATOR=Clerk

C=$CUSTOS
S=$CUSTOS_STATE_DIR
"$C" init --org "Test Office" --station WS-KEYS >/dev/null || t_fail "custos init"
mkdir -p "$S/virtual"
for m in a b c; do
	truncate -s 1M "$S/virtual/$m.img"
	"$C" enroll "$S/virtual/$m.img" --class secret --asset-tag "$m-1" >/dev/null ||
		t_fail "enroll $m"
done
"$C" sanitize --yes --profile zero --destination internal-reuse "$S/virtual/a.img" \
	>/dev/null 2>&1 || t_fail "sanitize"
SAN=$(sqlite3 "$S/register.db" "SELECT id FROM certificates")
[ -n "$SAN" ] || t_fail "no certificate"
"$C" register verify >/dev/null || t_fail "fresh register does not verify"

copy() { rm -rf "$T_TMP/$1"; cp -a "$S" "$T_TMP/$1"; echo "$T_TMP/$1"; }
fpr() { "$C" -d "$1" -j station | jq -r .fingerprint; }
# the fingerprint of a PEM public key (DER SubjectPublicKeyInfo, SHA-256)
pub_fpr() { openssl pkey -pubin -in "$1" -outform DER | sha256sum | cut -d' ' -f1; }
key_fpr() { openssl pkey -in "$1" -pubout -outform DER | sha256sum | cut -d' ' -f1; }

# --- 1. a re-key killed at each step -----------------------------------------
if t_has_hooks; then
	for point in rekey-generated rekey-keyring rekey-recorded rekey-retired \
		     rekey-key-installed; do
		F=$(copy "rk-$point")
		old=$(fpr "$F")
		# (a subshell, so that the shell's "Killed" line goes nowhere)
		(CUSTOS_TEST_CRASH_AT=$point "$C" -d "$F" station rekey >/dev/null; exit $?) 2>/dev/null
		rc=$?
		[ $rc = 137 ] || t_fail "$point: station rekey was not killed there (exit $rc)"
		rot=$(sqlite3 "$F/register.db" "SELECT count(*) FROM events WHERE kind = 'key-rotated'")
		"$C" -d "$F" register verify >/dev/null 2>"$T_TMP/v.err" ||
			t_fail "$point: verify right after the kill: $(cat "$T_TMP/v.err")"
		"$C" -d "$F" issue b-1 --to Alice >/dev/null 2>"$T_TMP/w.err" ||
			t_fail "$point: the next write: $(cat "$T_TMP/w.err")"
		"$C" -d "$F" -j register verify --all-signatures >"$T_TMP/v.json" ||
			t_fail "$point: verify after the next write: $(cat "$T_TMP/v.json")"
		chain=$(jq -r .key_fingerprint "$T_TMP/v.json")
		now=$(key_fpr "$F/station.key")
		[ "$now" = "$chain" ] || t_fail "$point: station.key $now is not the register's $chain"
		[ "$(pub_fpr "$F/station.pub")" = "$now" ] ||
			t_fail "$point: station.pub does not match station.key"
		if [ "$rot" = 1 ]; then
			[ "$now" != "$old" ] || t_fail "$point: key-rotated recorded, old key kept"
		else
			[ "$now" = "$old" ] || t_fail "$point: key changed without key-rotated"
		fi
		[ ! -e "$F/station.key.new" ] && [ ! -e "$F/station.pub.new" ] ||
			t_fail "$point: the new key pair's files were left"
		"$C" -d "$F" -j station keys | jq -e --arg n "$now" --argjson k "$((rot + 1))" \
			'length == $k and (map(select(.valid_until == null)) | length == 1 and
			 .[0].fingerprint == $n and .[0].current)' >/dev/null ||
			t_fail "$point: keyring: $("$C" -d "$F" -j station keys)"
		"$C" -d "$F" cert verify "$F/certs/$SAN.json" >/dev/null ||
			t_fail "$point: the old certificate no longer verifies"
	done
	t_ok "a re-key killed at any step is finished or undone by the next write; all verifies"

	# A sanitization running while the station is re-keyed signs its end
	# event with the new key (not with the retired one it started with).
	F=$(copy running)
	touch "$T_TMP/pause"
	CUSTOS_TEST_PAUSE_BEFORE_VERIFY="$T_TMP/pause" "$C" -d "$F" sanitize --yes --profile zero \
		--destination internal-reuse "$F/virtual/b.img" >"$T_TMP/run.out" 2>&1 &
	pid=$!
	for _ in $(seq 400); do [ -e "$T_TMP/pause.paused" ] && break; sleep 0.05; done
	[ -e "$T_TMP/pause.paused" ] || t_fail "running: the sanitization never paused"
	"$C" -d "$F" station rekey >/dev/null || t_fail "running: station rekey"
	new=$(key_fpr "$F/station.key")
	rm -f "$T_TMP/pause"
	wait $pid || t_fail "running: the sanitization: $(cat "$T_TMP/run.out")"
	[ "$(sqlite3 "$F/register.db" "SELECT s.key_fpr FROM events e JOIN event_signatures s
		ON s.event_id = e.id ORDER BY e.seq DESC LIMIT 1")" = "$new" ] ||
		t_fail "running: the end event is not signed by the new key"
	"$C" -d "$F" register verify --all-signatures >/dev/null 2>"$T_TMP/v.err" ||
		t_fail "running: verify: $(cat "$T_TMP/v.err")"
	t_ok "a process running during a re-key signs its next event with the new key"
else
	echo "SKIP part 1 and 3: needs a build configured with --enable-test-hooks"
fi

# An old key pair put back after a re-key: refused, nothing written.
F=$(copy swap)
cp "$F/station.key" "$T_TMP/old.key"
cp "$F/station.pub" "$T_TMP/old.pub"
"$C" -d "$F" station rekey >/dev/null || t_fail "station rekey"
n=$(sqlite3 "$F/register.db" "SELECT count(*) FROM events")
cp "$T_TMP/old.key" "$F/station.key"
cp "$T_TMP/old.pub" "$F/station.pub"
t_expect_rc 3 "$C" -d "$F" issue b-1 --to Alice
"$C" -d "$F" issue b-1 --to Alice 2>&1 | grep -q "would not verify" ||
	t_fail "the refusal does not say why"
[ "$(sqlite3 "$F/register.db" "SELECT count(*) FROM events")" = "$n" ] ||
	t_fail "an event was written with the retired key"
"$C" -d "$F" register verify --all-signatures >/dev/null || t_fail "verify after the refusal"
t_ok "an append signed by a key that is not the register's current key is refused"

# --- 2. keys dropped into keys/ sign nothing ------------------------------------
F=$(copy thief)
openssl genpkey -algorithm ed25519 -out "$T_TMP/thief.key" 2>/dev/null || t_fail "openssl genpkey"
openssl pkey -in "$T_TMP/thief.key" -pubout -out "$T_TMP/thief.pub" || t_fail "openssl pkey"
TF=$(pub_fpr "$T_TMP/thief.pub")
cp "$T_TMP/thief.pub" "$F/keys/$TF.pub"
printf 'key_type=ed25519\nvalid_from=2026-01-01T00:00:00Z\nvalid_until=\n' >"$F/keys/$TF.conf"
# the stored row re-signed, with other content, by the thief's key
sqlite3 "$F/register.db" "SELECT json FROM certificates WHERE id = '$SAN'" >"$T_TMP/row.json"
python3 - "$top_srcdir/tools/verify-certificate" "$T_TMP/row.json" "$T_TMP/thief.key" "$TF" \
	"$T_TMP/forged.json" <<'EOF' || t_fail "forging script"
import base64, hashlib, importlib.machinery, importlib.util, json, subprocess, sys
loader = importlib.machinery.SourceFileLoader("vc", sys.argv[1])
spec = importlib.util.spec_from_loader("vc", loader)
vc = importlib.util.module_from_spec(spec)
loader.exec_module(vc)
doc = json.load(open(sys.argv[2]))
cert, sig = doc["certificate"], doc["signature"]
cert["destination"] = "external-reuse"
cert["station"]["key_fingerprint"] = sys.argv[4]
def sign(data):
    with open(sys.argv[5] + ".in", "wb") as f:
        f.write(data)
    return base64.b64encode(subprocess.run(
        ["openssl", "pkeyutl", "-sign", "-inkey", sys.argv[3], "-rawin", "-in", sys.argv[5] + ".in"],
        stdout=subprocess.PIPE, check=True).stdout).decode()
canon = vc.jcs(cert).encode()
sig["content_sha256"] = hashlib.sha256(canon).hexdigest()
sig["value"] = sign(canon)
if "summary_value" in sig:
    sig["summary_value"] = sign(vc.summary_body(cert).encode())
sig["key_fingerprint"] = sys.argv[4]
json.dump(doc, open(sys.argv[5], "w"), sort_keys=True, separators=(",", ":"))
EOF
"$top_srcdir/tools/verify-certificate" --pubkey "$T_TMP/thief.pub" "$T_TMP/forged.json" \
	>/dev/null || t_fail "the forged certificate is not even valid with the thief's key"
sqlite3 "$F/register.db" "DROP TRIGGER IF EXISTS certificates_no_update;
	UPDATE certificates SET json = readfile('$T_TMP/forged.json') WHERE id = '$SAN'" ||
	t_fail "cannot edit the row"
cp "$T_TMP/forged.json" "$F/certs/$SAN.json"
t_expect_rc 1 "$C" -d "$F" register verify
"$C" -d "$F" register verify 2>&1 | grep -q "certificate $SAN: INVALID: signed by key SHA256:${TF:0:16}.*never introduced" ||
	t_fail "verify does not name the forged certificate: $("$C" -d "$F" register verify 2>&1)"
# shown, rendered or verified from the station: refused, naming the key
for cmd in "cert show $SAN" "cert pdf $SAN -o $T_TMP/forged.pdf" "cert verify $F/certs/$SAN.json"; do
	# shellcheck disable=SC2086
	if "$C" -d "$F" $cmd >"$T_TMP/cmd.out" 2>&1; then
		t_fail "$cmd accepted the certificate signed by a dropped-in key: $(cat "$T_TMP/cmd.out")"
	fi
	grep -q "SHA256:${TF:0:16}.*never introduced" "$T_TMP/cmd.out" ||
		t_fail "$cmd does not say why: $(cat "$T_TMP/cmd.out")"
done
# The chain vouches for a key only through signatures that verify.  The
# same forgery, plus one of: (a) a signature row naming the thief's key on
# the register's first signed event, with a bogus signature; (b) the same
# with a valid signature by the thief; (c) a key-rotated event to the
# thief's key, signed by the thief and carrying a station key signature
# copied from another event (which does not verify).
first=$(sqlite3 "$F/register.db" "SELECT e.id || ' ' || e.seq || ' ' || e.hash FROM events e
	WHERE EXISTS (SELECT 1 FROM event_signatures s WHERE s.event_id = e.id) ORDER BY e.seq LIMIT 1")
read -r first_id first_seq first_hash <<<"$first"
[ -n "$first_hash" ] || t_fail "no signed event"
# an event signature (hex) by the thief's key over (seq, hash)
thief_sig() {
	printf 'custos-register-head-v1\nseq=%s\nhash=%s\n' "$1" "$2" >"$T_TMP/stmt"
	openssl pkeyutl -sign -inkey "$T_TMP/thief.key" -rawin -in "$T_TMP/stmt" |
		od -An -tx1 -v | tr -d ' \n'
}
rm -rf "$T_TMP/thief-bogus" "$T_TMP/thief-valid" "$T_TMP/thief-rot"
cp -a "$F" "$T_TMP/thief-bogus"
sqlite3 "$T_TMP/thief-bogus/register.db" \
	"INSERT INTO event_signatures VALUES($first_id, '$TF', '00')" || t_fail "insert (a)"
cp -a "$F" "$T_TMP/thief-valid"
sqlite3 "$T_TMP/thief-valid/register.db" "INSERT INTO event_signatures VALUES($first_id, '$TF',
	'$(thief_sig "$first_seq" "$first_hash")')" || t_fail "insert (b)"
cp -a "$F" "$T_TMP/thief-rot"
KF=$(fpr "$T_TMP/thief-rot")
sqlite3 -separator ' ' "$T_TMP/thief-rot/register.db" "SELECT e.seq, e.hash, s.sig FROM events e
	JOIN event_signatures s ON s.event_id = e.id ORDER BY e.seq DESC LIMIT 1" >"$T_TMP/tail"
read -r tseq thash tsig <"$T_TMP/tail"
rseq=$((tseq + 1))
rdet="{\"new_fingerprint\":\"$TF\",\"new_key_type\":\"ed25519\",\"old_fingerprint\":\"$KF\"}"
rhash=$(python3 - "$rseq" "$rdet" "$thash" <<'EOF2'
import hashlib, sys
seq, details, prev = sys.argv[1:4]
fields = [("seq", seq), ("media_id", "0"), ("at", "2026-06-01T00:00:00Z"),
          ("kind", "key-rotated"), ("operator", "Mallory"), ("station", "WS-KEYS"),
          ("details", details), ("prev_hash", prev)]
b = b"custos-event-v1\n"
for k, v in fields:
    v = v.encode()
    b += k.encode() + b"=" + str(len(v)).encode() + b":" + v + b"\n"
print(hashlib.sha256(b).hexdigest())
EOF2
)
sqlite3 "$T_TMP/thief-rot/register.db" "INSERT INTO events(media_id, seq, at, kind, operator,
	station, details, prev_hash, hash) VALUES (0, $rseq, '2026-06-01T00:00:00Z', 'key-rotated',
	'Mallory', 'WS-KEYS', '$rdet', '$thash', '$rhash');
	INSERT INTO event_signatures SELECT id, '$KF', '$tsig' FROM events WHERE seq = $rseq;
	INSERT INTO event_signatures SELECT id, '$TF', '$(thief_sig "$rseq" "$rhash")' FROM events
	WHERE seq = $rseq; UPDATE meta SET value = $rseq WHERE key = 'head_seq';
	UPDATE meta SET value = '$rhash' WHERE key = 'head_hash'" || t_fail "insert (c)"
for G in thief-bogus thief-valid thief-rot; do
	G=$T_TMP/$G
	t_expect_rc 1 "$C" -d "$G" register verify
	for cmd in "cert show $SAN" "cert verify $G/certs/$SAN.json"; do
		# shellcheck disable=SC2086
		if "$C" -d "$G" $cmd >"$T_TMP/cmd.out" 2>&1; then
			t_fail "${G##*/}: $cmd accepted the certificate signed by a dropped-in key"
		fi
		grep -q "key history does not verify" "$T_TMP/cmd.out" ||
			t_fail "${G##*/}: $cmd does not say why: $(cat "$T_TMP/cmd.out")"
	done
done
# (c) names the rotation's station key signature
grep -q "event $rseq: the signature by key SHA256:${KF:0:16}" "$T_TMP/cmd.out" ||
	t_fail "thief-rot: the refusal does not name the rotation: $(cat "$T_TMP/cmd.out")"
# register.head re-signed by the thief's key
F=$(copy thief-head)
cp "$T_TMP/thief.pub" "$F/keys/$TF.pub"
seq=$(sed -n 's/^seq=//p' "$F/register.head")
hash=$(sed -n 's/^hash=//p' "$F/register.head")
printf 'custos-register-signed-head-v1\nseq=%s\nhash=%s\n' "$seq" "$hash" >"$T_TMP/stmt"
sig=$(openssl pkeyutl -sign -inkey "$T_TMP/thief.key" -rawin -in "$T_TMP/stmt" |
	od -An -tx1 -v | tr -d ' \n')
printf 'custos-register-head-v1\nseq=%s\nhash=%s\nkey=%s\nsig=%s\n' "$seq" "$hash" "$TF" "$sig" \
	>"$F/register.head"
t_expect_rc 1 "$C" -d "$F" register verify
"$C" -d "$F" register verify 2>&1 | grep -q "register.head is signed by key SHA256:${TF:0:16}.*never introduced" ||
	t_fail "verify does not name the forged head: $("$C" -d "$F" register verify 2>&1)"
# ... and the register, its head forged, vouches for no key: cert show says why
"$C" -d "$F" cert show "$SAN" >"$T_TMP/cmd.out" 2>&1 &&
	t_fail "cert show accepted a certificate of a register whose head was forged"
grep -q "key history does not verify.*register.head is signed by key SHA256:${TF:0:16}" \
	"$T_TMP/cmd.out" || t_fail "cert show does not name the forged head: $(cat "$T_TMP/cmd.out")"
t_ok "a certificate row or head signed by a key dropped into keys/ fails verify"

# --- 3. an orphan certificate of the year before --------------------------------
if t_has_hooks; then
	F=$(copy year)
	# far from the real clock, and in order with the events before
	eve=$(date -u -d '2030-12-31 23:59:30' +%s)
	newyear=$(date -u -d '2031-01-01 00:00:30' +%s)
	(CUSTOS_TEST_NOW=$eve CUSTOS_TEST_CRASH_AT=cert-files-written "$C" -d "$F" sanitize --yes \
		--profile zero --destination internal-reuse "$F/virtual/b.img" >/dev/null 2>&1
	 exit $?) 2>/dev/null
	rc=$?
	[ $rc = 137 ] || t_fail "year: sanitize was not killed after writing the files (exit $rc)"
	orphan=$(cd "$F/certs" && ls WS*-2030-*.json 2>/dev/null)
	orphan=${orphan%.json}
	[ -n "$orphan" ] || t_fail "year: no certificate file of 2030 left"
	[ "$(sqlite3 "$F/register.db" "SELECT count(*) FROM certificates WHERE id = '$orphan'")" = 0 ] ||
		t_fail "year: $orphan already has a row"
	"$C" -d "$F" register verify >/dev/null 2>&1 && t_fail "year: a file without a row verified"
	CUSTOS_TEST_NOW=$newyear "$C" -d "$F" --json sanitize --yes --profile zero \
		--destination internal-reuse "$F/virtual/c.img" >"$T_TMP/year.json" 2>"$T_TMP/year.err" ||
		t_fail "year: the first issue of 2031: $(cat "$T_TMP/year.json" "$T_TMP/year.err")"
	[ "$(sqlite3 "$F/register.db" "SELECT count(*) FROM certificates WHERE id = '$orphan'")" = 1 ] ||
		t_fail "year: $orphan of 2030 was not recorded by the issue of 2031"
	[ "$(sqlite3 "$F/register.db" "SELECT count(*) FROM certificates WHERE id LIKE '%-2031-000001'")" = 1 ] ||
		t_fail "year: the issue of 2031 is not number 1 of 2031"
	"$C" -d "$F" register verify >/dev/null 2>"$T_TMP/v.err" ||
		t_fail "year: verify after recording $orphan: $(cat "$T_TMP/v.err")"
	t_ok "a certificate left by a kill before New Year is recorded by the first issue after"
	# a file of another year that is not this station's certificate: the
	# issue goes on (warning), verify names the file
	pfx=${orphan%%-*}
	echo '{"certificate": {}}' >"$F/certs/$pfx-2029-000001.json"
	truncate -s 1M "$F/virtual/d.img"
	"$C" -d "$F" enroll "$F/virtual/d.img" --class secret --asset-tag d-1 >/dev/null ||
		t_fail "year: enroll d"
	CUSTOS_TEST_NOW=$newyear "$C" -d "$F" sanitize --yes --profile zero \
		--destination internal-reuse "$F/virtual/d.img" >/dev/null 2>"$T_TMP/foreign.err" ||
		t_fail "year: a foreign file of 2029 stopped the issue: $(cat "$T_TMP/foreign.err")"
	grep -q "$pfx-2029-000001.json is not in the register and cannot be recorded" \
		"$T_TMP/foreign.err" || t_fail "year: no warning about the foreign file"
	"$C" -d "$F" register verify 2>&1 | grep -q "$pfx-2029-000001.json has no row" ||
		t_fail "year: verify does not name the foreign file"
	t_ok "a foreign file of another year is reported, and does not stop certificates"
fi

# --- 4. register.head.lock of a group-shared state dir --------------------------
F=$(copy share)
[ "$(stat -c %a "$F/register.head.lock")" = "$(stat -c %a "$F/register.db")" ] ||
	t_fail "register.head.lock $(stat -c %a "$F/register.head.lock"), register.db $(stat -c %a "$F/register.db")"
if [ "$(id -u)" = 0 ]; then
	G=4243 U=4242
	# shared with group G (what an administrator does), the lock as an
	# earlier custos left it (0600)
	chgrp -R $G "$F"
	chmod g+rwx,g+s "$F" "$F/certs"
	chmod 0660 "$F/register.db"
	chmod 0640 "$F/station.key"
	rm -f "$F/register.db-wal" "$F/register.db-shm"
	chmod 0600 "$F/register.head.lock"
	chmod 0711 "$T_TMP"
	"$C" -d "$F" issue b-1 --to Alice >/dev/null || t_fail "share: issue"
	[ "$(stat -c %a "$F/register.head.lock")" = 660 ] ||
		t_fail "share: register.head.lock is $(stat -c %a "$F/register.head.lock"), not 660 like register.db"
	# a register.head.tmp left by the first user's killed process, and a
	# lock the group may only read (flock needs no more)
	printf 'torn' >"$F/register.head.tmp"
	chmod 0644 "$F/register.head.tmp"
	chmod 0640 "$F/register.head.lock"
	setpriv --reuid=$U --regid=$U --groups=$G env CUSTOS_OPERATOR=Clerk "$C" -d "$F" return b-1 \
		>/dev/null 2>"$T_TMP/share.err" || t_fail "share: the second user: $(cat "$T_TMP/share.err")"
	n=$(sqlite3 "$F/register.db" "SELECT max(seq) FROM events")
	grep -q "^seq=$n$" "$F/register.head" ||
		t_fail "share: the second user's event $n is not the signed head: $(cat "$T_TMP/share.err")"
	[ ! -e "$F/register.head.tmp" ] || t_fail "share: register.head.tmp left"
	[ ! -s "$T_TMP/share.err" ] || t_fail "share: the second user was warned: $(cat "$T_TMP/share.err")"
	"$C" -d "$F" register verify >/dev/null || t_fail "share: verify"
	t_ok "register.head.lock takes register.db's mode; a second user of the group advances the head"
else
	t_ok "register.head.lock has register.db's mode (second user: needs root)"
fi
exit 0
