#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Scale benchmark (issue 8): per-disk throughput of one custos job alone
# versus three concurrent jobs (one `custos sanitize` with three devices),
# on loop devices over separate files.  Root only.
#
#   tools/bench-scale.sh [SIZE_MIB]   (default 1024, or $BENCH_SIZE_MIB)
#   BENCH_BACKING=shm|disk            files in /dev/shm (default) or in
#                                     $BENCH_DISK_DIR (default /var/tmp) with
#                                     loop direct I/O (losetup --direct-io=on)
#   BENCH_RUNS=N                      best of N (default 3)
#   BENCH_PROFILES="zero random"      overwrite profiles to measure
#   BENCH_WBPS=BYTES                  throttle each loop device to BYTES/s of
#                                     writes (cgroup v1 blkio, a child cgroup
#                                     this script creates and removes), so each
#                                     disk, not the CPU, is the bottleneck, as
#                                     with real independent disks
#
# Every run is one pass with --verify none, so the figure is write speed.
# Per-disk throughput is the engine's own figure (bytes written / seconds spent
# writing and syncing, from --json).  "ratio" = concurrent per-disk / alone; 1.00 = no slowdown.
set -u

SIZE_MIB=${1:-${BENCH_SIZE_MIB:-1024}}
BACKING=${BENCH_BACKING:-shm}
RUNS=${BENCH_RUNS:-3}
PROFILES=${BENCH_PROFILES:-zero random}
here=$(cd "$(dirname "$0")" && pwd)
: "${CUSTOS:=./custos}"
: "${CUSTOS_PROFILE_DIR:=$here/../profiles}"
export CUSTOS_PROFILE_DIR
[ -x "$CUSTOS" ] || { echo "bench-scale: no custos binary at $CUSTOS" >&2; exit 1; }
[ "$(id -u)" = 0 ] && [ -e /dev/loop-control ] ||
	{ echo "bench-scale: needs root and loop devices" >&2; exit 77; }
command -v jq >/dev/null || { echo "bench-scale: needs jq" >&2; exit 1; }

case $BACKING in
shm) base=/dev/shm; dio=off ;;
disk) base=${BENCH_DISK_DIR:-/var/tmp}; dio=on ;;
*) echo "bench-scale: BENCH_BACKING is shm or disk" >&2; exit 1 ;;
esac
dir=$(mktemp -d "$base/custos-scale.XXXXXX") || exit 1
export CUSTOS_STATE_DIR="$dir/state"
loops=()
cg=""
cleanup() {
	[ -n "$cg" ] && rmdir "$cg" 2>/dev/null
	for l in "${loops[@]}"; do losetup -d "$l" 2>/dev/null; done
	rm -rf "$dir"
}
trap cleanup EXIT

for i in 1 2 3; do
	dd if=/dev/zero of="$dir/d$i.img" bs=4M count=$((SIZE_MIB / 4)) status=none || exit 1
	loops+=("$(losetup --find --show --direct-io=$dio "$dir/d$i.img")") || exit 1
done
"$CUSTOS" init --org bench --station SCALE >/dev/null || exit 1
if [ -n "${BENCH_WBPS:-}" ]; then
	[ -d /sys/fs/cgroup/blkio ] || { echo "bench-scale: no cgroup v1 blkio" >&2; exit 1; }
	cg=/sys/fs/cgroup/blkio/custos-scale-$$
	mkdir "$cg" || exit 1
	for l in "${loops[@]}"; do
		echo "$(lsblk -dno MAJ:MIN "$l" | tr -d ' ') $BENCH_WBPS" \
			>"$cg/blkio.throttle.write_bps_device" || exit 1
	done
fi

# run PROFILE DEV... -> per-device throughput in MB/s, one per line
run() {
	local prof=$1
	shift
	local cmd=("$CUSTOS" --json sanitize --yes --profile "$prof" --verify none "$@")
	if [ -n "$cg" ]; then
		bash -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$cg" "${cmd[@]}" 2>/dev/null
	else
		"${cmd[@]}" 2>/dev/null
	fi |
		jq -r '.results[] | (.bytes_written / .write_seconds / 1e6 | floor)'
}

best() { sort -n | tail -1; }

echo "custos scale benchmark: 3 loop devices of $SIZE_MIB MiB over $BACKING files" \
     "(loop direct-io=$dio${BENCH_WBPS:+, each throttled to $BENCH_WBPS B/s}), best of $RUNS"
echo "machine: $(nproc) CPUs, $(uname -r), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
printf '%-8s %12s %14s %14s %14s %8s\n' profile "alone MB/s" "conc. d1" "conc. d2" "conc. d3" \
	"ratio"
for prof in $PROFILES; do
	alone=$(for _ in $(seq "$RUNS"); do run "$prof" "${loops[0]}"; done | best)
	declare -a c=(0 0 0)
	for _ in $(seq "$RUNS"); do
		mapfile -t r < <(run "$prof" "${loops[@]}")
		for i in 0 1 2; do
			[ "${r[$i]:-0}" -gt "${c[$i]}" ] && c[$i]=${r[$i]}
		done
	done
	worst=$(printf '%s\n' "${c[@]}" | sort -n | head -1)
	printf '%-8s %12s %14s %14s %14s %8s\n' "$prof" "$alone" "${c[0]}" "${c[1]}" "${c[2]}" \
		"$(awk -v a="$alone" -v w="$worst" 'BEGIN { printf "%.2f", a ? w / a : 0 }')"
done
