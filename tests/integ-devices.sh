#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# custos devices against loop devices this test creates: a free one is
# eligible with the right size; mounted, swap, held (a loop device over it)
# and a loop's backing file are not, each with its reason.
. "$top_srcdir/tests/lib.sh"
t_init devices
t_need_root
t_need_cmd jq losetup mkfs.ext4 mkswap swapon

# new_loop SIZE_MIB: sets LOOP (t_loop registers it for cleanup).
new_loop() {
	LOOP=$(t_loop "$1")
	[ -b "$LOOP" ] || t_skip "cannot attach a loop device"
}

# json DEV FILTER: the --json description of DEV must satisfy the jq FILTER
json() {
	local out
	out=$("$CUSTOS" --json devices "$1") || t_fail "devices $1 failed"
	echo "$out" | jq -e ".[0] | $2" >/dev/null || t_fail "$1: expected $2, got: $out"
}

# usage errors and bad paths
t_expect_rc 2 "$CUSTOS" devices --no-such-option 2>/dev/null
out=$("$CUSTOS" devices /nonexistent/disk.img 2>&1)
rc=$?
[ "$rc" = 1 ] || t_fail "a missing path: expected exit 1, got $rc"
echo "$out" | grep -q /nonexistent/disk.img || t_fail "the message does not name the path: $out"
out=$("$CUSTOS" devices /dev/null 2>&1) && t_fail "/dev/null was accepted"
echo "$out" | grep -q "neither a block device nor a regular file" || t_fail "bad message: $out"
out=$("$CUSTOS" devices /dev/null 2>/dev/null)
[ -z "$out" ] || t_fail "nothing described, yet stdout has: $out"
out=$("$CUSTOS" --json devices /dev/null 2>/dev/null)
[ -z "$out" ] || t_fail "nothing described, yet --json stdout has: $out"
t_ok "usage errors and bad paths"

new_loop 16
free=$LOOP
json "$free" '.eligible == true and .size_bytes == 16777216 and .transport == "virtual"
	and .reasons == [] and .logical_sector_size == 512 and .smart == null'
img=$(losetup -n -O BACK-FILE "$free" | sed 's/ *$//')
json "$img" ".eligible == false and .transport == \"file\" and
	(.reasons | any(contains(\"backs loop device $free\")))"
t_ok "free loop device eligible; its image file is not (backing)"

# other paths are still reported when one fails
out=$("$CUSTOS" --json devices /nonexistent "$free" 2>/dev/null)
rc=$?
[ "$rc" = 1 ] || t_fail "mixed paths: expected exit 1, got $rc"
echo "$out" | jq -e "length == 1 and .[0].path == \"$free\"" >/dev/null ||
	t_fail "mixed paths: $out"
t_ok "a bad path does not hide the others"

new_loop 16
mnt=$LOOP
mkfs.ext4 -q -F "$mnt" || t_fail "mkfs.ext4 $mnt"
t_mount "$mnt" "$T_TMP/mnt"
json "$mnt" ".eligible == false and
	(.reasons | any(startswith(\"mounted on $T_TMP/mnt\")))"
t_ok "mounted loop device refused"

new_loop 16
swp=$LOOP
mkswap -q "$swp" >/dev/null || t_fail "mkswap $swp"
if swapon "$swp" 2>/dev/null; then
	json "$swp" ".eligible == false and (.reasons | any(. == \"active swap ($swp)\"))"
	swapoff "$swp"
	t_ok "swap loop device refused"
else
	echo "# swapon not permitted here: swap case not run"
fi

# a partitioned loop device (an MBR written by hand): the partition is
# refused as a target, and a mounted partition makes the disk ineligible
img="$T_TMP/parted.img"
truncate -s 16M "$img"
printf '\x00\x00\x02\x00\x83\xff\xff\xff\x00\x08\x00\x00\x00\x78\x00\x00' |
	dd of="$img" bs=1 seek=446 conv=notrunc status=none
printf '\x55\xaa' | dd of="$img" bs=1 seek=510 conv=notrunc status=none
pdisk=$(losetup --find --show -P "$img") || t_skip "cannot attach a partitioned loop device"
echo "$pdisk" >> "$T_TMP/.loops"
for i in 1 2 3 4 5 6 7 8 9 10; do [ -b "${pdisk}p1" ] && break; sleep 0.2; done
if [ -b "${pdisk}p1" ]; then
	out=$("$CUSTOS" devices "${pdisk}p1" 2>&1) || t_fail "a partition is not described"
	echo "$out" | grep -q "partition.*whole disk $pdisk" || t_fail "partition message: $out"
	json "${pdisk}p1" ".eligible == false"
	mkfs.ext4 -q -F "${pdisk}p1" || t_fail "mkfs.ext4 ${pdisk}p1"
	t_mount "${pdisk}p1" "$T_TMP/pmnt"
	json "$pdisk" "(.reasons | any(. == \"mounted on $T_TMP/pmnt (${pdisk}p1)\"))"
	umount "$T_TMP/pmnt" || t_fail "umount"
	t_ok "partition refused as a target; mounted partition shown on its disk"
else
	echo "# no partition device node for $pdisk: partition case not run"
fi

new_loop 16
lower=$LOOP
upper=$(losetup --find --show "$lower") || t_skip "cannot attach a loop over a loop"
echo "$upper" >> "$T_TMP/.loops"
json "$lower" ".eligible == false and
	(.reasons | any(startswith(\"held by ${upper#/dev/}\")))"
json "$upper" ".eligible == true and .backing_file == \"$lower\""
t_ok "a loop device under another loop device is held"

# the listing without arguments has the same facts, and the table fits 80 columns
"$CUSTOS" --json devices | jq -e "any(.[]; .path == \"$free\" and .eligible) and
	any(.[]; .path == \"$mnt\" and (.eligible | not))" >/dev/null || t_fail "listing"
"$CUSTOS" devices >"$T_TMP/table" || t_fail "devices table"
head -1 "$T_TMP/table" | grep -q '^PATH *SIZE *BUS *MODEL *SERIAL *STATUS' || t_fail "header"
grep -v '^    - ' "$T_TMP/table" | awk 'length > 80 && !/^\// { bad = 1 } END { exit bad }' ||
	t_fail "table wider than 80 columns"
t_ok "listing and table"
