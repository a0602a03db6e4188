#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The register's benchmarks (make bench-register; figures in docs/PERFORMANCE.md).
#
#   tools/bench-register.sh [N] [path/to/custos]
# How fast `custos register verify` checks a signed register of N events
# (default 100000): every chain hash, every signature row's key, the
# newest signature and the head (the default).  The register is built
# directly (python3 + sqlite3, the newest event signed with openssl), since
# appending 10^5 events one transaction at a time would only measure fsync.
# With PGBENCH_CONNINFO set, the same register is also loaded into that
# central register (its station pushed, then the events copied in bulk)
# and `custos register verify --central` is timed.
#
#   tools/bench-register.sh all BUILDDIR
# Everything: append throughput through the library (one station, three at
# once) into SQLite and into PostgreSQL (each event pushed before the next
# is written), then verify at 10^5 and 10^6 events for both.  Starts its own
# PostgreSQL server (as user postgres, unix socket in a temporary directory).
set -eu
if [ "${1:-}" = all ]; then
	exec bash "$(dirname "$0")/bench-register-all.sh" "${2:-build}"
fi
N=${1:-100000}
C=${2:-build/custos}
T=$(mktemp -d /tmp/custos-bench-register.XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
S=$T/state
"$C" -d "$S" init --org Bench --station BENCH >/dev/null
img=$T/m.img
truncate -s 1M "$img"
"$C" -d "$S" enroll "$img" --class secret >/dev/null
fpr=$("$C" -d "$S" -j station | python3 -c 'import json,sys; print(json.load(sys.stdin)["fingerprint"])')
if [ -n "${PGBENCH_CONNINFO:-}" ]; then	# the station, its key and event 1 pushed
	"$C" -d "$S" station set register "$PGBENCH_CONNINFO" >/dev/null
	"$C" -d "$S" register push >/dev/null
fi

python3 - "$S/register.db" "$N" "$fpr" <<'EOF'
import hashlib, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
n, fpr = int(sys.argv[2]), sys.argv[3]
def h(seq, media, at, kind, op, st, details, prev):
    out = b"custos-event-v1\n"
    for name, val in (("seq", str(seq)), ("media_id", str(media)), ("at", at), ("kind", kind),
                      ("operator", op), ("station", st), ("details", details),
                      ("prev_hash", prev)):
        v = val.encode()
        out += name.encode() + b"=" + str(len(v)).encode() + b":" + v + b"\n"
    return hashlib.sha256(out).hexdigest()
seq, prev = db.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
at, op, st = "2026-01-01T00:00:00Z", "bench", "BENCH"
state = "in-stock"
for seq in range(seq + 1, n + 1):
    if state == "in-stock":
        kind, details, state = "issued", '{"to":"Alice"}', "issued"
    else:
        kind, details, state = "returned", '{"from":"Alice"}', "in-stock"
    hh = h(seq, 1, at, kind, op, st, details, prev)
    cur = db.execute("INSERT INTO events(media_id, seq, at, kind, operator, station, details,"
                     " prev_hash, hash) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?)",
                     (seq, at, kind, op, st, details, prev, hh))
    # every row carries the key; only the newest signature is real (below)
    db.execute("INSERT INTO event_signatures(event_id, key_fpr, sig) VALUES (?, ?, ?)",
               (cur.lastrowid, fpr, "00" * 64))
    prev = hh
db.execute("UPDATE media SET state = ?, holder = ? WHERE id = 1",
           (state, "Alice" if state == "issued" else ""))
db.execute("UPDATE meta SET value = ? WHERE key = 'head_seq'", (str(n),))
db.execute("UPDATE meta SET value = ? WHERE key = 'head_hash'", (prev,))
db.commit()
open(sys.argv[1] + ".stmt", "w").write(
    "custos-register-head-v1\nseq=%d\nhash=%s\n" % (n, prev))
print(prev)
EOF
hash=$(sed -n 's/^hash=//p' "$S/register.db.stmt")
openssl pkeyutl -sign -inkey "$S/station.key" -rawin -in "$S/register.db.stmt" -out "$T/sig"
sig=$(od -An -v -tx1 "$T/sig" | tr -d ' \n')
sqlite3 "$S/register.db" "DROP TRIGGER event_signatures_no_update;
	UPDATE event_signatures SET sig = '$sig' WHERE event_id =
	(SELECT id FROM events WHERE seq = $N)"
# the head file's signature covers its own statement, not the event's
printf 'custos-register-signed-head-v1\nseq=%s\nhash=%s\n' "$N" "$hash" >"$T/head.stmt"
openssl pkeyutl -sign -inkey "$S/station.key" -rawin -in "$T/head.stmt" -out "$T/hsig"
hsig=$(od -An -v -tx1 "$T/hsig" | tr -d ' \n')
printf 'custos-register-head-v1\nseq=%s\nhash=%s\nkey=%s\nsig=%s\n' "$N" "$hash" "$fpr" "$hsig" \
	>"$S/register.head"

run() { # LABEL ARGS...: wall clock and CPU time (the machine may be shared)
	local label=$1 t
	shift
	t=$( { TIMEFORMAT='%R %U %S'; time "$C" -d "$S" register verify "$@" >/dev/null; } 2>&1 )
	echo "$t" | awk -v n="$N" -v l="$label" '{ cpu = $2 + $3;
		printf "%-28s %7d events  wall %6.3f s %8.0f events/s  cpu %6.3f s %8.0f events/s\n",
		l, n, $1, n / $1, cpu, n / cpu }'
}
run "register verify (default)"
run "register verify (default)"
if [ -n "${PGBENCH_CONNINFO:-}" ]; then	# the rest in bulk (triggers off)
	P=$(psql -X -At "$PGBENCH_CONNINFO" -c "SELECT max(seq) FROM events WHERE station = 'BENCH'")
	for q in "events:'BENCH', seq, media_id, at, kind, operator, station, details, prev_hash, hash FROM events" \
		 "event_signatures:'BENCH', e.seq, s.key_fpr, s.sig FROM event_signatures s JOIN events e ON e.id = s.event_id"; do
		sqlite3 -csv "$S/register.db" "SELECT ${q#*:} WHERE seq > $P ORDER BY seq" |
			psql -X -q -v ON_ERROR_STOP=1 "$PGBENCH_CONNINFO" \
				-c "SET session_replication_role = replica" \
				-c "\\copy ${q%%:*} FROM STDIN CSV"
	done
	runc() {
		local label=$1 t
		shift
		t=$( { TIMEFORMAT='%R %U %S'; time "$C" -d "$S" register verify --central "$@" >/dev/null; } 2>&1 )
		echo "$t" | awk -v n="$N" -v l="$label" '{ cpu = $2 + $3;
			printf "%-28s %7d events  wall %6.3f s %8.0f events/s  cpu %6.3f s (client)\n",
			l, n, $1, n / $1, cpu }'
	}
	runc "verify --central (default)"
	runc "verify --central (default)"
fi
echo "(--all-signatures needs a real signature on every event, so it is not measured"
echo " here: it adds one signature verification per event, ~9,500/s per core for Ed25519)"
