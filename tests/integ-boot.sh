#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The Custos boot medium (issue 15), end to end in QEMU (software
# emulation unless CUSTOS_BOOT_ACCEL says otherwise): tools/mkimage builds
# custos-boot.img (or reuses the one built from the same sources); a copy
# boots with custos-boot.conf asking for custos.auto=zero, poweroff=1 and a
# new station, with two disks of random data (SATA on AHCI, NVMe) and the
# stick itself on virtio, so that only the boot-medium guard keeps --all
# off it.  After the power-off, on the host: both disks are all zeros, the
# data partition (read with mtools) holds one valid certificate per disk,
# the summary PDF and the run's log, the stick was listed as not selected
# (system disk), and `custos register verify` passes on the stick's
# station.  A second boot, through UEFI (OVMF) this time, against a fresh
# disk adds to the same register.  A third boot (BIOS) measures the time to
# the station screen (on the serial console: tty=ttyS0 in custos-boot.conf),
# which lists the disks.  A fourth, unattended with no disk to erase, must
# stay on with the reason on the screen.
#
# Run by `tools/setup check-image` (and .ci/run), not by make check: the
# image needs mmdebstrap and the Debian mirror, and the boots take minutes.
. "$top_srcdir/tests/lib.sh"
t_init integ-boot
qpid=""
trap '[ -n "$qpid" ] && kill "$qpid" 2>/dev/null; t_cleanup' EXIT
t_need_root
t_need_cmd qemu-system-x86_64 mmdebstrap mcopy mdir partx sgdisk cmp jq timeout pdftotext grep
OVMF=/usr/share/OVMF/OVMF_CODE_4M.fd
[ -f "$OVMF" ] || t_skip "needs $OVMF (package ovmf)"

C=$CUSTOS
build=${top_builddir:-$(dirname "$C")}
accel=${CUSTOS_BOOT_ACCEL:-tcg}
limit=${CUSTOS_BOOT_TIMEOUT:-900}
t0=$(date +%s)
elapsed() { echo $(($(date +%s) - t0)); }

"$top_srcdir/tools/mkimage" -b "$build" -o "$build/custos-boot.img" || t_fail "mkimage failed"
size=$(stat -c %s "$build/custos-boot.img")
[ "$size" -le $((512 * 1048576)) ] || t_fail "image is $size bytes, more than 512 MiB"
t_ok "image: $((size / 1048576)) MiB, ready after $(elapsed) s"

stick=$T_TMP/stick.img
cp --sparse=always "$build/custos-boot.img" "$stick"
off=$(partx -g -o START -n 4 "$stick" | tr -d ' ')
[ -n "$off" ] || t_fail "no data partition in the image"
data="$stick@@$((off * 512))"
mdir -i "$data" ::/custos-boot.conf >/dev/null || t_fail "no custos-boot.conf on the data partition"

conf() { # KEY=VALUE... : the stick's custos-boot.conf
	printf '%s\n' "$@" > "$T_TMP/custos-boot.conf"
	mcopy -o -i "$data" "$T_TMP/custos-boot.conf" ::/custos-boot.conf || t_fail "mcopy"
}
disk() { # NAME: 32 MiB of random data
	dd if=/dev/urandom of="$T_TMP/$1.img" bs=1M count=32 status=none || t_fail "dd"
}
zero() { # NAME
	cmp -s -n $((32 * 1048576)) "$T_TMP/$1.img" /dev/zero
}
qemu() { # LOG DISK-ARGS...: boot the stick; returns qemu's status (124: timeout)
	local log=$1
	shift
	# In the background (QEMU_EXEC=exec): $! is timeout itself, which
	# passes a kill on to QEMU.
	${QEMU_EXEC:-} timeout "$limit" qemu-system-x86_64 -accel "$accel" -m 1024 -smp 1 -nographic \
		-no-reboot -drive "file=$stick,format=raw,if=none,id=stick" \
		-device virtio-blk-pci,drive=stick,bootindex=0 "$@" </dev/null >"$log" 2>&1
}
sata() { echo -device ahci,id=ahci -drive "file=$T_TMP/$1.img,format=raw,if=none,id=$1" \
	-device "ide-hd,drive=$1,bus=ahci.0,serial=$2"; }
nvme() { echo -drive "file=$T_TMP/$1.img,format=raw,if=none,id=$1" -device "nvme,drive=$1,serial=$2"; }
fetch() { # copy the data partition out into $T_TMP/data
	rm -rf "$T_TMP/data"
	mkdir -p "$T_TMP/data"
	mcopy -s -n -i "$data" ::/ "$T_TMP/data/" || t_fail "mcopy of the data partition"
	S=$T_TMP/data/station
	[ -d "$S" ] || t_fail "no station on the data partition"
	chmod 700 "$S"
	chmod 600 "$S/station.key"
}
uefi() { # firmware arguments for a UEFI boot
	cp /usr/share/OVMF/OVMF_VARS_4M.fd "$T_TMP/vars.fd"
	echo -drive "if=pflash,format=raw,readonly=on,file=$OVMF" \
		-drive "if=pflash,format=raw,file=$T_TMP/vars.fd"
}
timeline() { # LOG: the init's steps, in seconds since the kernel started
	tr -d '\r' < "$1" | grep -ao '\[[0-9.]*\] custos-boot: [^[]*' | sed 's/^/    /'
}
boot_log() { # LOG: what the boot printed, for a failure
	tr -d '\r' < "$1" | grep -a 'custos' | tail -n 40 >&2
}
valid_cert() { # SERIAL: one valid certificate of it in the station's certs
	local n=0 f
	for f in "$S"/certs/*.json; do
		"$C" --state-dir "$S" cert verify "$f" > "$T_TMP/verify.out" 2>&1 || continue
		grep -q "valid: .*CERTIFICATE OF SANITIZATION.*medium serial $1, outcome erased" \
			"$T_TMP/verify.out" && n=$((n + 1))
	done
	[ "$n" = 1 ] || t_fail "$n valid certificates for $1 (want 1)"
}

# ---- boot 1: unattended, new station, two disks --------------------------

disk sata1
disk nvme1
conf "auto=zero" "poweroff=1" "org=Test Office / 测试单位" "station=stick" "tty=ttyS0"
b=$(date +%s)
# shellcheck disable=SC2046
qemu "$T_TMP/boot1.log" $(sata sata1 CUSTOSSATA1) $(nvme nvme1 CUSTOSNVME1)
rc=$?
[ "$rc" = 0 ] || { boot_log "$T_TMP/boot1.log"; t_fail "boot 1: qemu status $rc (124: no power-off in $limit s)"; }
grep -aq 'reboot: Power down' "$T_TMP/boot1.log" || { boot_log "$T_TMP/boot1.log"; t_fail "boot 1 did not power off"; }
timeline "$T_TMP/boot1.log"
t_ok "boot 1 (unattended, 2 disks) powered off after $(($(date +%s) - b)) s"
zero sata1 || t_fail "the SATA disk is not all zeros"
zero nvme1 || t_fail "the NVMe disk is not all zeros"
t_ok "both disks are all zeros"

fetch
valid_cert CUSTOSSATA1
valid_cert CUSTOSNVME1
t_ok "one valid certificate per disk on the data partition"
ls "$S"/certs/summary-*.pdf >/dev/null 2>&1 || t_fail "no summary PDF"
pdftotext "$(ls "$S"/certs/summary-*.pdf | head -n 1)" - > "$T_TMP/summary.txt" ||
	t_fail "summary PDF unreadable"
grep -q CUSTOSSATA1 "$T_TMP/summary.txt" && grep -q CUSTOSNVME1 "$T_TMP/summary.txt" ||
	t_fail "the summary PDF does not list both disks"
run=$(ls "$T_TMP"/data/runs/run-*.txt | head -n 1)
[ "$(grep -c '^/dev/[a-z0-9]*: erased' "$run")" = 2 ] ||
	t_fail "the run's log on the stick does not have two erased disks"
grep -q '^  not selected: /dev/vda: .*system disk' "$run" ||
	t_fail "the stick (/dev/vda) was not left out as the system disk"
grep -qi 'not selected' "$T_TMP/summary.txt" ||
	t_fail "the summary PDF does not list the disk left out"
t_ok "summary PDF and run log on the data partition; the stick was left out (system disk)"
"$C" --state-dir "$S" register verify >/dev/null || t_fail "register verify failed after boot 1"
events1=$("$C" --state-dir "$S" --json register verify | jq .events)
t_ok "register verify passes on the stick's station ($events1 events)"

# ---- boot 2: the same stick, a fresh disk, UEFI -------------------------------

disk nvme2
b=$(date +%s)
# shellcheck disable=SC2046
qemu "$T_TMP/boot2.log" $(uefi) $(nvme nvme2 CUSTOSNVME2)
rc=$?
[ "$rc" = 0 ] && grep -aq 'reboot: Power down' "$T_TMP/boot2.log" ||
	{ boot_log "$T_TMP/boot2.log"; t_fail "boot 2: qemu status $rc, no power-off"; }
zero nvme2 || t_fail "boot 2: the disk is not all zeros"
fetch
valid_cert CUSTOSNVME2
"$C" --state-dir "$S" register verify >/dev/null || t_fail "register verify failed after boot 2"
events2=$("$C" --state-dir "$S" --json register verify | jq .events)
[ "$events2" -gt "$events1" ] || t_fail "the register did not grow ($events1 -> $events2 events)"
grep -aq 'BdsDxe: starting' "$T_TMP/boot2.log" || t_fail "boot 2 did not go through UEFI"
t_ok "boot 2 (UEFI) powered off after $(($(date +%s) - b)) s; same register, $events1 -> $events2 events"

# ---- boot 3: the station screen, timed ----------------------------------

disk sata3
conf "tty=ttyS0"
: > "$T_TMP/boot3.log"
b=$(date +%s%N)
# shellcheck disable=SC2046
QEMU_EXEC="exec" qemu "$T_TMP/boot3.log" $(sata sata3 CUSTOSSATA3) &
qpid=$!
seen=""
for _ in $(seq 1 $((limit * 2))); do
	if tr -d '\r' < "$T_TMP/boot3.log" | grep -aq 'CUSTOSSATA3'; then
		seen=$((($(date +%s%N) - b) / 100000000))
		break
	fi
	kill -0 "$qpid" 2>/dev/null || break
	sleep 0.5
done
kill "$qpid" 2>/dev/null
wait "$qpid" 2>/dev/null
[ -n "$seen" ] || { boot_log "$T_TMP/boot3.log"; t_fail "the station screen did not list the disk"; }
grep -aq 'Custos - stick' "$T_TMP/boot3.log" || t_fail "the station screen does not name the stick's station"
zero sata3 && t_fail "the station screen wiped a disk"
timeline "$T_TMP/boot3.log"
t_ok "station screen (listing the SATA disk) $((seen / 10)).$((seen % 10)) s after power-on ($accel; target < 60 s)"
# ---- boot 4: unattended with no disk to erase: stays on, says why ----------

conf "auto=zero" "poweroff=1" "tty=ttyS0"
: > "$T_TMP/boot4.log"
QEMU_EXEC="exec" qemu "$T_TMP/boot4.log" &
qpid=$!
said=""
for _ in $(seq 1 $((limit * 2))); do
	if tr -d '\r' < "$T_TMP/boot4.log" | grep -aq 'NOT every disk was erased'; then
		said=1
		break
	fi
	kill -0 "$qpid" 2>/dev/null || break
	sleep 0.5
done
sleep 10	# the power-off would come 5 s after a success
kill -0 "$qpid" 2>/dev/null && running=1 || running=""
kill "$qpid" 2>/dev/null
wait "$qpid" 2>/dev/null
[ -n "$said" ] || { boot_log "$T_TMP/boot4.log"; t_fail "boot 4 did not report the failure"; }
[ -n "$running" ] || t_fail "boot 4 powered off after a failed run"
grep -aq 'reboot: Power down' "$T_TMP/boot4.log" && t_fail "boot 4 powered off"
tr -d '\r' < "$T_TMP/boot4.log" | grep -aq 'no eligible disk\|no disk' ||
	{ boot_log "$T_TMP/boot4.log"; t_fail "boot 4 did not show the reason"; }
t_ok "boot 4 (unattended, nothing to erase) stays on with the reason on screen"
t_ok "integ-boot: $(elapsed) s in all"
