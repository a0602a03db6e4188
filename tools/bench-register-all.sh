#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# make bench-register: append throughput (SQLite; PostgreSQL with each event
# pushed before the next is written), one station and three at once, then
# register verify at 10^5 and 10^6 events for both.  Starts its own
# PostgreSQL server as user postgres on a unix socket in a temporary dir.
#   tools/bench-register-all.sh BUILDDIR
# Sizes: BENCH_APPEND (events per station, default 1000), BENCH_VERIFY
# (default "100000 1000000").
set -eu
B=$(cd "${1:-build}" && pwd)
C=$B/custos
A=$B/tests/bench-register-append
HERE=$(cd "$(dirname "$0")" && pwd)
NA=${BENCH_APPEND:-1000}
PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
T=$(mktemp -d /tmp/custos-bench-reg.XXXXXX)
PGD=$(mktemp -d /tmp/custos-bench-pg.XXXXXX)
chown postgres: "$PGD"
stop() {
	runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGD/data" -m fast stop >/dev/null 2>&1 || true
	rm -rf "$T" "$PGD"
}
trap stop EXIT
runuser -u postgres -- "$PGBIN/initdb" -D "$PGD/data" -U postgres --auth=trust -E UTF8 \
	--locale=C.UTF-8 >/dev/null
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGD/data" -l "$PGD/log" -w \
	-o "-c listen_addresses='' -c unix_socket_directories='$PGD' -p 5440" start >/dev/null
CONN="host=$PGD port=5440 dbname=custos user=postgres"
psql -X -q "host=$PGD port=5440 dbname=postgres user=postgres" -c "CREATE DATABASE custos"
"$C" register init-server --apply "$CONN" >/dev/null

echo "== $(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
# what one fsync costs here now (the floor under every durable append)
"$PGBIN/pg_test_fsync" -s 1 -f "$T/fsync.tmp" 2>/dev/null |
	sed -n 's/^ *\(fdatasync\) *\([0-9.]*\) ops\/sec *\([0-9]*\) usecs\/op/  pg_test_fsync: \1 \3 us/p' |
	head -1
echo "== append: signed custody events through the library, $NA per station"
append() { # LABEL STATIONS [CONNINFO]
	local label=$1 k=$2 i pids="" sum=0 t0 t1
	for ((i = 1; i <= k; i++)); do
		"$C" -d "$T/$label-$i" init --org Bench --station "$label-$i" >/dev/null
	done
	t0=$(date +%s.%N)
	for ((i = 1; i <= k; i++)); do
		"$A" "$T/$label-$i" "$NA" ${3:+"$3"} >"$T/$label-$i.out" & pids="$pids $!"
	done
	for p in $pids; do wait "$p"; done
	t1=$(date +%s.%N)
	for ((i = 1; i <= k; i++)); do
		read -r n s r cpu <"$T/$label-$i.out"
		printf '  %-34s station %d: %5d events %7.2f s %6.0f events/s, CPU %s ms/event\n' \
			"$label" "$i" "$n" "$s" "$r" "$cpu"
	done
	awk -v n=$((NA * k)) -v a="$t0" -v b="$t1" -v l="$label" \
		'BEGIN { printf "  %-34s all: %6d events %7.2f s %6.0f events/s\n", l, n, b - a, n / (b - a) }'
}
append sqlite-1 1
append sqlite-3 3
append pg-1 1 "$CONN"
append pg-3 3 "$CONN"
echo "  (load average now $(cut -d' ' -f1-3 /proc/loadavg))"
"$C" register verify --central "$CONN" --all-signatures

for n in ${BENCH_VERIFY:-100000 1000000}; do
	echo "== verify: $n events (SQLite, then the central register)"
	psql -X -q "$CONN" -c "SET session_replication_role = replica" \
		-c "DELETE FROM event_signatures WHERE station = 'BENCH'" \
		-c "DELETE FROM events WHERE station = 'BENCH'" -c "DELETE FROM media WHERE station = 'BENCH'" \
		-c "DELETE FROM station_keys WHERE station = 'BENCH'" -c "DELETE FROM stations WHERE name = 'BENCH'"
	PGBENCH_CONNINFO=$CONN bash "$HERE/bench-register.sh" "$n" "$C"
done
