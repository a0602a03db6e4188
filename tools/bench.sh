#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Overwrite engine benchmark (`make bench`): custos against dd on one
# RAM-backed target.  As root the target is a loop device over a file in a
# tmpfs the bench mounts; otherwise the file itself (in $TMPDIR).
#
#   tools/bench.sh [SIZE_MIB]     (default 4096, or $BENCH_SIZE_MIB)
#   BENCH_NWIPE=0                 skip the nwipe comparison (root only)
#
# Ratios are speeds relative to dd (1.00 = as fast as dd; higher is faster).
# The main comparison uses the engine's own phase clocks (write_seconds,
# verify_seconds of the --json result): the I/O work itself.  The wall clock
# of the whole command is shown beside them: it adds process start, device
# checks, the register event, and the signed certificate + PDF of each run.
set -u

SIZE_MIB=${1:-${BENCH_SIZE_MIB:-4096}}
here=$(cd "$(dirname "$0")" && pwd)
: "${CUSTOS:=./custos}"
: "${CUSTOS_PROFILE_DIR:=$here/../profiles}"
export CUSTOS_PROFILE_DIR
[ -x "$CUSTOS" ] || { echo "bench: no custos binary at $CUSTOS" >&2; exit 1; }
[ $((SIZE_MIB % 4)) = 0 ] || { echo "bench: size must be a multiple of 4 MiB" >&2; exit 1; }

# RAM behind the target, in a directory of our own: custos refuses media
# (and loop devices over files) under /dev, /dev/shm included, so as root
# the bench mounts its own tmpfs there; otherwise the file lives in $TMPDIR.
dir=$(mktemp -d "${TMPDIR:-/tmp}/custos-bench.XXXXXX") || exit 1
mounted=""
loop=""
cleanup() {
	if [ -n "$loop" ] && ! losetup -d "$loop" 2>/dev/null; then
		echo "bench: cannot detach $loop (still in use?)" >&2
	fi
	if [ -n "$mounted" ] && ! umount "$dir" 2>/dev/null; then
		umount -l "$dir" 2>/dev/null || echo "bench: $dir is still mounted" >&2
	fi
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
if [ "$(id -u)" = 0 ]; then
	mounted=1
	mount -t tmpfs -o size=$((SIZE_MIB + 64))m,mode=0700 custos-bench "$dir" ||
		{ mounted=""; echo "bench: cannot mount a tmpfs on $dir" >&2; exit 1; }
fi
export CUSTOS_STATE_DIR="$dir/state"
# the target is a virtual medium of the station (or a loop device over one)
img="$dir/state/virtual/disk.img"

# sanitize needs a station (key pair, station.conf): a throwaway one.
"$CUSTOS" init --org "Benchmark" --station BENCH >/dev/null ||
	{ echo "bench: custos init failed" >&2; exit 1; }
mkdir -p "$dir/state/virtual" || exit 1

# Allocate every page of the tmpfs file first, so no run pays for it.
dd if=/dev/zero of="$img" bs=4M count=$((SIZE_MIB / 4)) status=none || exit 1
target="$img"
direct="oflag=direct"
idirect="iflag=direct"
if [ "$(id -u)" = 0 ] && [ -e /dev/loop-control ]; then
	loop=$(losetup --find --show "$img") || { echo "bench: losetup failed" >&2; exit 1; }
	target="$loop"
else
	direct=""	# tmpfs refuses O_DIRECT; custos falls back the same way
	idirect=""
fi

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
mibs() { awk -v s="$1" -v m="$SIZE_MIB" 'BEGIN { printf "%.0f", m / s }'; }
ratio() { awk -v d="$1" -v c="$2" 'BEGIN { printf "%.2f", d / c }'; }

timed() { # NAME CMD... : prints seconds (the caller checks for "FAIL")
	local t0 t1 name=$1
	shift
	t0=$(now)
	"$@" >"$dir/out" 2>"$dir/err" || { echo "bench: $name failed:" >&2; cat "$dir/err" >&2
		echo FAIL; return 1; }
	t1=$(now)
	secs "$t0" "$t1"
}

# --verify none ends "unverified", exit status 1 by design: accept that outcome.
sanitize() {
	"$CUSTOS" --json sanitize --yes "$@" "$target" && return 0
	grep -q '"outcome": "unverified"' "$dir/out"
}

# The engine's own write and verify phase clocks of the last run ("- -"
# when its output was no sanitize --json result).
phases() {
	python3 -c "import json
try:
    r = json.load(open('$dir/out'))['results'][0]
    print('%.3f %.3f' % (r['write_seconds'], r['verify_seconds']))
except Exception:
    print('- -')" 2>/dev/null || echo "- -"
}
smaller() { awk -v a="$1" -v b="$2" 'BEGIN { print (b == "" || b == "-" || (a != "-" && a < b)) ? a : b }'; }

# best NAME CMD... : "WALL WRITE VERIFY", each the smallest of $REPEAT runs
# (the machine is noisy); WRITE and VERIFY are the engine's phase clocks.
REPEAT=${BENCH_REPEAT:-3}
best() {
	local t w v bt="" bw="" bv=""
	for _ in $(seq "$REPEAT"); do
		t=$(timed "$@")
		[ "$t" = FAIL ] && { echo FAIL; return 1; }
		read -r w v < <(phases)
		bt=$(smaller "$t" "$bt")
		bw=$(smaller "$w" "$bw")
		bv=$(smaller "$v" "$bv")
	done
	echo "$bt $bw $bv"
}

load() { cut -d' ' -f1-3 /proc/loadavg; }
echo "custos benchmark: $SIZE_MIB MiB on $target ($(nproc) CPUs, $(uname -r)), best of $REPEAT"
grep -m1 'model name' /proc/cpuinfo | sed 's/^.*: /cpu: /'
load0=$(load)

read -r t_dd _ _ < <(best dd-write dd if=/dev/zero of="$target" bs=4M count=$((SIZE_MIB / 4)) \
	$direct conv=notrunc,fdatasync status=none)
read -r t_ddr _ _ < <(best dd-read dd if="$target" of=/dev/null bs=4M $idirect status=none)
read -r t_zero w_zero _ < <(best zero sanitize --profile zero --verify none)
read -r t_vzero _ _ < <(best verify "$CUSTOS" verify "$target" --expect zero)
read -r t_rand w_rand _ < <(best random sanitize --profile random --verify none)
read -r t_rv w_rv v_rv < <(best random-verify sanitize --profile random --verify full)
for t in "$t_dd" "$t_ddr" "$t_zero" "$t_vzero" "$t_rand" "$t_rv"; do
	[ "$t" = FAIL ] && exit 1
done
read_path=$(python3 -c "import json; print(json.load(open('$dir/out'))['results'][0]['read_path'])" 2>/dev/null)

# row NAME SECONDS REF_SECONDS: seconds, MiB/s and the ratio to the reference.
row() {
	if [ "$1" = - ]; then printf ' %8s %8s %6s' - - -
	else printf ' %8s %8s %6s' "$1" "$(mibs "$1")" "$(ratio "$2" "$1")"; fi
}
line() { # NAME PHASE PHASE_REF WALL WALL_REF
	printf '%-36s' "$1"
	row "$2" "$3"
	printf '   |'
	row "$4" "$5"
	printf '\n'
}
t_ddwr=$(awk -v a="$t_dd" -v b="$t_ddr" 'BEGIN { printf "%.3f", a + b }')
printf '\n%-36s %24s   | %24s\n' "" "engine phase clock" "wall clock, whole command"
printf '%-36s %8s %8s %6s   | %8s %8s %6s\n' run seconds MiB/s "vs dd" seconds MiB/s "vs dd"
line "dd write bs=4M ${direct:-buffered}" "$t_dd" "$t_dd" "$t_dd" "$t_dd"
line "custos zero pass" "$w_zero" "$t_dd" "$t_zero" "$t_dd"
line "custos random pass" "$w_rand" "$t_dd" "$t_rand" "$t_dd"
line "custos random + full verify: write" "$w_rv" "$t_dd" - -
line "custos random + full verify: verify" "$v_rv" "$t_ddr" - -
line "custos random + full verify: both" - - "$t_rv" "$t_ddwr"
line "dd read bs=4M ${idirect:-buffered}" "$t_ddr" "$t_ddr" "$t_ddr" "$t_ddr"
line "custos verify --expect zero" - - "$t_vzero" "$t_ddr"
echo "(dd has no separate phase clock: its wall clock is in both columns; custos verify"
echo " prints no phase clock and writes no certificate.)"
echo "per-run overhead outside the engine (zero pass: wall - write phase):" \
	"$(awk -v a="$t_zero" -v b="$w_zero" 'BEGIN { printf "%.3f s", a - b }')"
echo "verification read path: $read_path"
echo "load average (1/5/15 min): $load0 before, $(load) after"

# Memory and time to first write.
if [ -x /usr/bin/time ]; then
	for bs in 4M 16M; do
		for prof in random zero; do
			/usr/bin/time -f '%M' -o "$dir/rss" "$CUSTOS" sanitize --yes --profile "$prof" \
				--verify full --block-size "$bs" "$target" >/dev/null 2>&1 ||
				{ echo "bench: rss run failed" >&2; exit 1; }
			echo "peak RSS ($prof + full verify, --block-size $bs, /usr/bin/time):" \
				"$(cat "$dir/rss") KiB"
		done
	done
fi
"$CUSTOS" sanitize --yes --profile zero --verify none --stats "$target" 2>&1 >/dev/null |
	sed -n 's/^custos: stats: /custos --stats: /p'
if command -v strace >/dev/null 2>&1; then
	# --seccomp-bpf stops the tracee only at the traced calls (less overhead).
	bpf=""
	strace -f --seccomp-bpf -e trace=execve -o /dev/null true 2>/dev/null && bpf="--seccomp-bpf"
	strace -f $bpf -ttt -e trace=execve,pwrite64 -o "$dir/strace" "$CUSTOS" sanitize --yes \
		--profile zero --verify none "$target" >/dev/null 2>&1
	awk -v how="strace -f $bpf -ttt" '/execve\(/ && !t0 { t0 = $2 } /pwrite64\(/ && !t1 { t1 = $2 }
	     END { if (t0 && t1) printf "first write after exec (%s): %.1f ms\n", how, (t1 - t0) * 1000 }' \
		"$dir/strace"
fi

# nwipe on the same loop device, if installed (root only: it needs a block device).
if [ -n "$loop" ] && [ "${BENCH_NWIPE:-1}" != 0 ] && command -v nwipe >/dev/null 2>&1; then
	case "$loop" in /dev/loop[0-9]*) ;; *) echo "bench: refusing nwipe on $loop" >&2; exit 1 ;; esac
	[ "$(losetup -n -O BACK-FILE "$loop" | sed 's/ *$//')" = "$img" ] ||
		{ echo "bench: $loop is not our loop device; nwipe skipped" >&2; exit 1; }
	nw() { nwipe --autonuke --nogui --nowait --nousb --verify=off --noblank --rounds=1 \
		--logfile="$dir/nwipe.log" "$@" "$loop"; }
	read -r t_nz _ _ < <(best nwipe-zero nw --method=zero)
	read -r t_nr _ _ < <(best nwipe-random nw --method=random --prng=isaac64)
	[ "$t_nz" = FAIL ] || [ "$t_nr" = FAIL ] && exit 1
	echo
	echo "nwipe $(nwipe --version 2>/dev/null | head -1 | awk '{print $NF}'): --autonuke --nogui --verify=off --noblank --rounds=1"
	printf '%-34s %8s %8s %7s\n' "nwipe --method=zero" "$t_nz" "$(mibs "$t_nz")" "$(ratio "$t_dd" "$t_nz")"
	printf '%-34s %8s %8s %7s\n' "nwipe --method=random isaac64" "$t_nr" "$(mibs "$t_nr")" "$(ratio "$t_dd" "$t_nr")"
fi
