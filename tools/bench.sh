#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Overwrite engine benchmark (`make bench`): custos against dd on one
# RAM-backed target.  As root the target is a loop device over a file in
# /dev/shm; otherwise the file itself.
#
#   tools/bench.sh [SIZE_MIB]     (default 4096, or $BENCH_SIZE_MIB)
#   BENCH_NWIPE=0                 skip the nwipe comparison (root only)
#
# Ratios are speeds relative to dd (1.00 = as fast as dd; higher is faster).
set -u

SIZE_MIB=${1:-${BENCH_SIZE_MIB:-4096}}
here=$(cd "$(dirname "$0")" && pwd)
: "${CUSTOS:=./custos}"
: "${CUSTOS_PROFILE_DIR:=$here/../profiles}"
export CUSTOS_PROFILE_DIR
[ -x "$CUSTOS" ] || { echo "bench: no custos binary at $CUSTOS" >&2; exit 1; }
[ $((SIZE_MIB % 4)) = 0 ] || { echo "bench: size must be a multiple of 4 MiB" >&2; exit 1; }

dir=$(mktemp -d /dev/shm/custos-bench.XXXXXX) || exit 1
export CUSTOS_STATE_DIR="$dir/state"
img="$dir/disk.img"
loop=""
cleanup() {
	[ -n "$loop" ] && losetup -d "$loop" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT

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

sanitize() { "$CUSTOS" --json sanitize --yes "$@" "$target"; }

# best NAME CMD... : the fastest of $REPEAT runs (the machine is noisy)
REPEAT=${BENCH_REPEAT:-3}
best() {
	local t b=""
	for _ in $(seq "$REPEAT"); do
		t=$(timed "$@")
		[ "$t" = FAIL ] && { echo FAIL; return 1; }
		b=$(awk -v a="$t" -v b="$b" 'BEGIN { print (b == "" || a < b) ? a : b }')
	done
	echo "$b"
}

# The engine's own phase times of the last --json run.
phase() { python3 -c "import json; print('%.3f' % json.load(open('$dir/out'))['results'][0]['$1'])"; }

echo "custos benchmark: $SIZE_MIB MiB on $target ($(nproc) CPUs, $(uname -r)), best of $REPEAT"
grep -m1 'model name' /proc/cpuinfo | sed 's/^.*: /cpu: /'

t_dd=$(best dd-write dd if=/dev/zero of="$target" bs=4M count=$((SIZE_MIB / 4)) $direct conv=notrunc,fdatasync status=none)
t_ddr=$(best dd-read dd if="$target" of=/dev/null bs=4M $idirect status=none)
t_zero=$(best zero sanitize --profile zero --verify none)
t_vzero=$(best verify "$CUSTOS" verify "$target" --expect zero)
t_rand=$(best random sanitize --profile random --verify none)
t_rv=$(best random-verify sanitize --profile random --verify full)
e_write=$(phase write_seconds)
e_verify=$(phase verify_seconds)
for t in "$t_dd" "$t_ddr" "$t_zero" "$t_vzero" "$t_rand" "$t_rv"; do
	[ "$t" = FAIL ] && exit 1
done
read_path=$(python3 -c "import json; print(json.load(open('$dir/out'))['results'][0]['read_path'])" 2>/dev/null)

printf '\n%-34s %8s %8s %7s\n' "run" "seconds" "MiB/s" "vs dd"
printf '%-34s %8s %8s %7s\n' "dd write bs=4M ${direct:-buffered}" "$t_dd" "$(mibs "$t_dd")" "1.00"
printf '%-34s %8s %8s %7s\n' "custos zero pass" "$t_zero" "$(mibs "$t_zero")" "$(ratio "$t_dd" "$t_zero")"
printf '%-34s %8s %8s %7s\n' "custos random pass" "$t_rand" "$(mibs "$t_rand")" "$(ratio "$t_dd" "$t_rand")"
printf '%-34s %8s %8s %7s\n' "custos random + full verify" "$t_rv" "$(mibs "$t_rv")" \
	"$(ratio "$(awk -v a="$t_dd" -v b="$t_ddr" 'BEGIN { print a + b }')" "$t_rv")"
printf '%-34s %8s %8s %7s\n' "dd read bs=4M ${idirect:-buffered}" "$t_ddr" "$(mibs "$t_ddr")" "1.00"
printf '%-34s %8s %8s %7s\n' "custos verify --expect zero" "$t_vzero" "$(mibs "$t_vzero")" "$(ratio "$t_ddr" "$t_vzero")"
printf '%-34s %8s %8s %7s\n' "  its write phase (engine clock)" "$e_write" "$(mibs "$e_write")" "$(ratio "$t_dd" "$e_write")"
printf '%-34s %8s %8s %7s\n' "  its verify phase (engine clock)" "$e_verify" "$(mibs "$e_verify")" "$(ratio "$t_ddr" "$e_verify")"
echo "verification read path: $read_path"

# Memory and time to first write.
if [ -x /usr/bin/time ]; then
	/usr/bin/time -f '%M' -o "$dir/rss" "$CUSTOS" sanitize --yes --profile random \
		--verify full "$target" >/dev/null 2>&1
	echo "peak RSS (random + full verify, /usr/bin/time): $(cat "$dir/rss") KiB"
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
	t_nz=$(best nwipe-zero nw --method=zero)
	t_nr=$(best nwipe-random nw --method=random --prng=isaac64)
	echo
	echo "nwipe $(nwipe --version 2>/dev/null | head -1 | awk '{print $NF}'): --autonuke --nogui --verify=off --noblank --rounds=1"
	printf '%-34s %8s %8s %7s\n' "nwipe --method=zero" "$t_nz" "$(mibs "$t_nz")" "$(ratio "$t_dd" "$t_nz")"
	printf '%-34s %8s %8s %7s\n' "nwipe --method=random isaac64" "$t_nr" "$(mibs "$t_nr")" "$(ratio "$t_dd" "$t_nr")"
fi
