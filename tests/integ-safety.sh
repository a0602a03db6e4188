#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Which files custos may write (issue 11): only virtual media.  Each case
# aims custos at a file this test made and proves by checksum that nothing
# was written: files outside the virtual-media directories (one on the
# system disk under /var/tmp), files of the state directory, symbolic and
# hard links, a link swapped between the check and the write, a locked or
# otherwise open image, two runs on one image, a partition.  A directory
# named by virtual_media_dirs works.
. "$top_srcdir/tests/lib.sh"
t_init safety
t_need_root
t_need_cmd flock script sha256sum cmp sqlite3 python3

C=$CUSTOS
S=$CUSTOS_STATE_DIR
V=$S/virtual
"$C" init --org "Test Office" --station SAFE1 >/dev/null || t_fail "custos init"
[ -d "$V" ] || t_fail "init made no virtual/"

sum() { sha256sum "$1" | cut -d' ' -f1; }

# refused FILE WHAT PATTERN: sanitize --yes FILE exits 3 with PATTERN in its
# message, devices FILE shows the reason, FILE keeps its checksum.
refused() {
	local f=$1 what=$2 pat=$3 before out rc
	before=$(sum "$f")
	out=$("$C" -y sanitize --profile zero "$f" 2>&1)
	rc=$?
	[ "$rc" = 3 ] || t_fail "$what: exit $rc, not 3: $out"
	echo "$out" | grep -q -- "$pat" || t_fail "$what: message lacks '$pat': $out"
	[ "$(sum "$f")" = "$before" ] || t_fail "$what: WRITTEN"
	"$C" --json devices "$f" | jq -e '.[0].eligible == false' >/dev/null ||
		t_fail "$what: devices calls it eligible"
	"$C" devices "$f" | grep -q -- "$pat" || t_fail "$what: devices does not say why"
}

random_file() { # FILE SIZE_KIB
	head -c $(($2 * 1024)) /dev/urandom >"$1" || t_fail "cannot create $1"
}

# --- outside every virtual-media directory
VT=$(mktemp -d /var/tmp/custos-safety.XXXXXX) || t_fail "mktemp under /var/tmp"
trap 'rm -rf "$VT"; t_cleanup' EXIT
random_file "$VT/sys.img" 1024
refused "$VT/sys.img" "a file under /var/tmp" "not a virtual medium"
root_disk=$(findmnt -no SOURCE / 2>/dev/null)
if [ "$(stat -c %d "$VT")" = "$(stat -c %d /)" ] && [ -b "$root_disk" ]; then
	"$C" devices "$VT/sys.img" | grep -q "a file on the system disk" ||
		t_fail "a file on the root file system is not called a file on the system disk"
fi
random_file "$T_TMP/outside.img" 1024
refused "$T_TMP/outside.img" "a file outside virtual/" "not a virtual medium"
"$C" devices /etc/passwd | grep -q "a system file under /etc" ||	# O_PATH: never written
	t_fail "devices /etc/passwd does not refuse it"
t_ok "files outside the virtual-media directories refused, nothing written"

# --- the state directory outside virtual/
cp "$S/station.key" "$S/key-copy.img" || t_fail "copy of station.key"
refused "$S/key-copy.img" "a station.key copy" "state directory"
"$C" register verify >/dev/null || t_fail "register verify"	# creates register.db
[ -f "$S/register.db" ] || t_fail "no register.db"
refused "$S/register.db" "the station's register.db" "state directory"
"$C" register verify >/dev/null || t_fail "register.db damaged"
t_ok "files of the state directory refused, nothing written"

# --- links
random_file "$T_TMP/secret" 1024
ln -s "$T_TMP/secret" "$V/link.img"
refused "$V/link.img" "a symlink in virtual/ to a file outside" "the path leads to $T_TMP/secret"
rm "$V/link.img"
ln "$T_TMP/secret" "$V/hard.img" 2>/dev/null || cp "$T_TMP/secret" "$V/hard.img"
if [ "$(stat -c %h "$V/hard.img")" = 2 ]; then
	refused "$V/hard.img" "a hard link in virtual/ to a file outside" "hard links"
fi
rm -f "$V/hard.img"
t_ok "symbolic and hard links to files outside refused"

# --- a link swapped between the check and the write: custos checks, asks
# for the typed confirmation on a terminal (script(1) makes one), the link
# is turned elsewhere meanwhile, then the confirmation is typed.
# swapped TARGET PATTERN: the run must fail with PATTERN, nothing written.
swapped() {
	local target=$1 pat=$2 pid rc b_target b_good
	rm -f "$V/swap.img" "$T_TMP/tty-in"
	ln -s "$V/good.img" "$V/swap.img"
	mkfifo "$T_TMP/tty-in"
	script -qec "'$C' sanitize --profile zero '$V/swap.img'" /dev/null \
		<"$T_TMP/tty-in" >"$T_TMP/swap.out" 2>&1 &
	pid=$!
	exec 3>"$T_TMP/tty-in"
	for _ in $(seq 200); do grep -q "Type 'swap.img'" "$T_TMP/swap.out" && break; sleep 0.05; done
	grep -q "Type 'swap.img'" "$T_TMP/swap.out" ||
		t_fail "no confirmation prompt: $(cat "$T_TMP/swap.out")"
	b_target=$(sum "$target")
	b_good=$(sum "$V/good.img")
	ln -sfn "$target" "$V/swap.img"
	echo swap.img >&3
	exec 3>&-
	wait $pid
	rc=$?
	# refused at the open, before anything is recorded: a guard's exit 3
	[ "$rc" = 3 ] || t_fail "swapped link: exit $rc, not 3: $(cat "$T_TMP/swap.out")"
	grep -q -- "$pat" "$T_TMP/swap.out" ||
		t_fail "swapped link: no reason given: $(cat "$T_TMP/swap.out")"
	[ "$(sum "$target")" = "$b_target" ] || t_fail "swapped link: $target was WRITTEN"
	[ "$(sum "$V/good.img")" = "$b_good" ] || t_fail "swapped link: good.img written"
	rm -f "$V/swap.img"
}
random_file "$V/good.img" 1024
swapped "$T_TMP/secret" "the path leads to $T_TMP/secret"
random_file "$V/another.img" 1024	# a medium too, but not the one confirmed
swapped "$V/another.img" "another file or device than the one checked and confirmed"
t_ok "a link swapped after the check: refused at the open, nothing written"

# --- exclusive use of image files
img=$V/locked.img
random_file "$img" 4096
flock -x "$img" sleep 4 &
holder=$!
ino=$(stat -c %i "$img")
for _ in $(seq 100); do grep -q "FLOCK .*:$ino " /proc/locks && break; sleep 0.05; done
refused "$img" "an image locked with flock -x" "locked (flock) by pid $holder (flock)"
wait $holder
sleep 60 3>>"$img" &
writer=$!
sleep 0.2
refused "$img" "an image open for writing elsewhere" "open for writing by pid $writer (sleep)"
kill $writer; wait $writer 2>/dev/null
t_ok "locked or open image refused, the holder named"

# (the pause before verification is a test hook: --enable-test-hooks)
if t_has_hooks; then
	# two runs on one image: the first holds it (paused before its
	# verification), the second must refuse without writing
	export CUSTOS_TEST_PAUSE_BEFORE_VERIFY="$T_TMP/pause"
	touch "$T_TMP/pause"
	"$C" -y sanitize --profile zero "$img" >"$T_TMP/a.out" 2>&1 &
	a=$!
	for _ in $(seq 400); do [ -e "$T_TMP/pause.paused" ] && break; sleep 0.05; done
	[ -e "$T_TMP/pause.paused" ] || t_fail "the first run never paused"
	cmp -s -n $((4096 * 1024)) "$img" /dev/zero || t_fail "the first run did not write zeros"
	ev_before=$(sqlite3 "$S/register.db" "SELECT count(*) FROM events")
	out=$("$C" -y sanitize --profile one "$img" 2>&1)
	rc=$?
	[ "$rc" = 3 ] || t_fail "second run on a busy image: exit $rc, not 3: $out"
	[ "$(sqlite3 "$S/register.db" "SELECT count(*) FROM events")" = "$ev_before" ] ||
		t_fail "second run on a busy image: the refusal was recorded as a run"
	echo "$out" | grep -q "in use: locked (flock) by pid $a" || t_fail "second run: $out"
	cmp -s -n $((4096 * 1024)) "$img" /dev/zero || t_fail "the second run WROTE"
	rm -f "$T_TMP/pause"
	wait $a || t_fail "the first run failed: $(cat "$T_TMP/a.out")"
	# both started at once: exactly one runs, the image is all of its pattern
	for i in 1 2 3; do
		rm -f "$T_TMP/pause.paused"
		touch "$T_TMP/pause"
		"$C" -y sanitize --profile zero "$img" >"$T_TMP/z.out" 2>&1 &
		z=$!
		"$C" -y sanitize --profile one "$img" >"$T_TMP/o.out" 2>&1 &
		o=$!
		for _ in $(seq 400); do [ -e "$T_TMP/pause.paused" ] && break; sleep 0.05; done
		sleep 0.3	# the loser has refused by now, or is refusing
		rm -f "$T_TMP/pause"
		wait $z; zr=$?
		wait $o; or=$?
		if [ $zr = 0 ] && [ $or != 0 ]; then
			cmp -s "$img" <(head -c $((4096 * 1024)) /dev/zero) || t_fail "try $i: not all zero"
			grep -q "in use" "$T_TMP/o.out" || t_fail "try $i: $(cat "$T_TMP/o.out")"
		elif [ $or = 0 ] && [ $zr != 0 ]; then
			cmp -s "$img" <(head -c $((4096 * 1024)) /dev/zero | tr '\0' '\377') ||
				t_fail "try $i: not all ones"
			grep -q "in use" "$T_TMP/z.out" || t_fail "try $i: $(cat "$T_TMP/z.out")"
		else
			t_fail "try $i: exits $zr and $or: $(cat "$T_TMP/z.out" "$T_TMP/o.out")"
		fi
	done
	unset CUSTOS_TEST_PAUSE_BEFORE_VERIFY
	t_ok "two runs on one image: exactly one runs, the other refuses before writing"
else
	echo "# two runs on one image: not tried (a build without --enable-test-hooks)"
fi

# --- a partition is a guard refusal (exit 3)
if [ -e /dev/loop-control ]; then
	pimg=$T_TMP/parted.img
	truncate -s 16M "$pimg"
	printf '\x00\x00\x02\x00\x83\xff\xff\xff\x00\x08\x00\x00\x00\x78\x00\x00' |
		dd of="$pimg" bs=1 seek=446 conv=notrunc status=none
	printf '\x55\xaa' | dd of="$pimg" bs=1 seek=510 conv=notrunc status=none
	pdisk=$(losetup --find --show -P "$pimg" 2>/dev/null)
	[ -n "$pdisk" ] && echo "$pdisk" >>"$T_TMP/.loops"
	for _ in $(seq 10); do [ -b "${pdisk}p1" ] && break; sleep 0.2; done
	if [ -n "$pdisk" ] && [ -b "${pdisk}p1" ]; then
		refused "${pdisk}p1" "a partition" "a partition"
		t_ok "a partition refused with exit 3"
	else
		echo "# this kernel made no partition node for a loop device: the partition case" \
		     "is covered by test-device (test_partition, sysfs fixture)"
	fi
fi

# --- a directory named by virtual_media_dirs
M=$T_TMP/media
mkdir -m 0700 "$M"
random_file "$M/named.img" 1024
refused "$M/named.img" "a file in a directory not named yet" "not a virtual medium"
cp "$S/station.conf" "$T_TMP/station.conf.orig"
echo "virtual_media_dirs = $T_TMP/nonexistent:$M" >>"$S/station.conf"
"$C" -y sanitize --profile zero "$M/named.img" >/dev/null 2>&1 ||
	t_fail "a file in a named directory: exit $?"
cmp -s "$M/named.img" <(head -c $((1024 * 1024)) /dev/zero) || t_fail "named.img not zeroed"
# a file in it owned by someone else, in a directory others can write
mkdir -m 1777 "$M/drop"
random_file "$M/drop/user.img" 1024
chown 65534:65534 "$M/drop/user.img"
refused "$M/drop/user.img" "a user's file in a world-writable directory" "owned by uid 65534"
# a system directory cannot be named: the station refuses to open
cp "$T_TMP/station.conf.orig" "$S/station.conf"
echo "virtual_media_dirs = /etc" >>"$S/station.conf"
random_file "$V/still.img" 1024
before=$(sum "$V/still.img")
out=$("$C" -y sanitize --profile zero "$V/still.img" 2>&1) && t_fail "a station naming /etc ran"
echo "$out" | grep -q "virtual_media_dirs: /etc" || t_fail "bad virtual_media_dirs: $out"
[ "$(sum "$V/still.img")" = "$before" ] || t_fail "written under a bad station.conf"
cp "$T_TMP/station.conf.orig" "$S/station.conf"
t_ok "virtual_media_dirs: a named directory works; system directories are refused"

# --- a second station of the test's own, for the ways round virtual/:
#     virtual/ a link back into the state directory, a bind mount inside
#     virtual/, a loop device over a file of the state directory
S2=$T_TMP/s2
"$C" -d "$S2" init --org "Test Office" --station SAFE2 >/dev/null || t_fail "custos init s2"
rmdir "$S2/virtual" 2>/dev/null || rm -rf "$S2/virtual"
ln -s "$S2" "$S2/virtual"
before=$(sum "$S2/station.key")
out=$("$C" -d "$S2" -y sanitize --profile zero "$S2/virtual/station.key" 2>&1)
rc=$?
[ "$rc" = 3 ] || t_fail "virtual/ a link to the state dir: exit $rc, not 3: $out"
[ "$(sum "$S2/station.key")" = "$before" ] || t_fail "virtual/ a link: station.key WRITTEN"
rm "$S2/virtual"
mkdir -m 0700 "$S2/virtual"
t_ok "virtual/ must be a real directory: a link back into the state directory is refused"

mkdir "$S2/virtual/bind"
if mount --bind "$S2" "$S2/virtual/bind" 2>/dev/null; then
	before=$(sum "$S2/station.key")
	out=$("$C" -d "$S2" -y sanitize --profile zero "$S2/virtual/bind/station.key" 2>&1)
	rc=$?
	umount "$S2/virtual/bind"
	[ "$rc" = 3 ] || t_fail "a bind mount inside virtual/: exit $rc, not 3: $out"
	[ "$(sum "$S2/station.key")" = "$before" ] || t_fail "bind mount: station.key WRITTEN"
	t_ok "a bind mount inside virtual/ is not a way into the state directory"
else
	echo "# skip: cannot bind-mount here"
fi
rmdir "$S2/virtual/bind"

# A loop device detached here is no longer ours: the cleanup must not detach
# the name again (another program may have attached it meanwhile).
unlist_loop() { sed -i "\\|^$1\$|d" "$T_TMP/.loops"; }

random_file "$S2/data.bin" 1024
loopf=$(losetup --find --show "$S2/data.bin") || t_skip "cannot attach a loop device"
echo "$loopf" >>"$T_TMP/.loops"
before=$(sum "$S2/data.bin")
out=$("$C" -d "$S2" -y sanitize --profile zero "$loopf" 2>&1)
rc=$?
losetup -d "$loopf" && unlist_loop "$loopf"
[ "$rc" = 3 ] || t_fail "a loop device over a state-dir file: exit $rc, not 3: $out"
echo "$out" | grep -q "a loop device over" || t_fail "loop over a state-dir file: $out"
[ "$(sum "$S2/data.bin")" = "$before" ] || t_fail "loop over a state-dir file: WRITTEN"
t_ok "a loop device over a file of the state directory is refused"

# --- a disk changed under its name, or taken by another program, between
# the check and the start: custos asks for the typed confirmation on a
# terminal, ACTION runs meanwhile, then the confirmation is typed.  The run
# must refuse as a guard (exit 3) before anything is recorded.
# at_prompt DEV ACTION -> exit status of custos; output in $T_TMP/prompt.out
at_prompt() {
	local dev=$1 action=$2 pid rc word
	rm -f "$T_TMP/tty-in"
	mkfifo "$T_TMP/tty-in"
	script -qec "'$C' sanitize --profile zero '$dev'" /dev/null \
		<"$T_TMP/tty-in" >"$T_TMP/prompt.out" 2>&1 &
	pid=$!
	exec 3>"$T_TMP/tty-in"
	for _ in $(seq 200); do grep -q "Type '" "$T_TMP/prompt.out" && break; sleep 0.05; done
	word=$(sed -n "s/.*Type '\([^']*\)'.*/\1/p" "$T_TMP/prompt.out" | head -1)
	[ -n "$word" ] || t_fail "no confirmation prompt: $(cat "$T_TMP/prompt.out")"
	$action
	echo "$word" >&3
	exec 3>&-
	wait $pid
	rc=$?
	return $rc
}
events() { sqlite3 "$S/register.db" "SELECT count(*) FROM events"; }

# the loop device detached and attached again, on another file: the same
# name and device number, another medium (a new disk sequence number)
disk=$(t_loop 4) || t_skip "cannot attach a loop device"
first=$(losetup -nO BACK-FILE "$disk" | sed 's/ *$//')
random_file "$first" 4096
random_file "$T_TMP/second.img" 4096
b_first=$(sum "$first")
b_second=$(sum "$T_TMP/second.img")
if [ -r "/sys/class/block/${disk#/dev/}/diskseq" ]; then
	reattach() {
		seq_before=$(cat "/sys/class/block/${disk#/dev/}/diskseq")
		losetup -d "$disk" && unlist_loop "$disk"
		if losetup "$disk" "$T_TMP/second.img" 2>/dev/null; then
			echo "$disk" >>"$T_TMP/.loops"
			reattached=1
		fi
	}
	reattached=
	ev_before=$(events)
	at_prompt "$disk" reattach
	rc=$?
	if [ -n "$reattached" ]; then
		[ "$(cat "/sys/class/block/${disk#/dev/}/diskseq")" != "$seq_before" ] ||
			t_fail "re-attached $disk kept its disk sequence number"
		[ "$rc" = 3 ] || t_fail "a re-attached loop device: exit $rc, not 3: $(cat "$T_TMP/prompt.out")"
		grep -q "the medium changed since it was checked and confirmed" "$T_TMP/prompt.out" ||
			t_fail "a re-attached loop device: $(cat "$T_TMP/prompt.out")"
		[ "$(events)" = "$ev_before" ] || t_fail "a re-attached loop device: the refusal was recorded"
		[ "$(sum "$T_TMP/second.img")" = "$b_second" ] || t_fail "the new medium was WRITTEN"
		[ "$(sum "$first")" = "$b_first" ] || t_fail "the confirmed medium was written"
		t_ok "a loop device re-attached between the check and the start: refused (exit 3), nothing recorded or written"
	else
		echo "# skip: $disk was taken by another program before it could be re-attached"
	fi
else
	echo "# skip: this kernel has no diskseq (Linux < 5.15): identity falls back to serial/WWN/size"
fi

# the loop device opened exclusively by another program after the check
disk=$(t_loop 4) || t_skip "cannot attach a loop device"
back=$(losetup -nO BACK-FILE "$disk" | sed 's/ *$//')
random_file "$back" 4096
b_back=$(sum "$back")
hold() {
	python3 -c 'import os, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_EXCL)
open(sys.argv[2], "w").close()
time.sleep(60)' "$disk" "$T_TMP/held" &
	holder=$!
	for _ in $(seq 100); do [ -e "$T_TMP/held" ] && break; sleep 0.05; done
	[ -e "$T_TMP/held" ] || t_fail "the holder did not open $disk"
}
ev_before=$(events)
at_prompt "$disk" hold
rc=$?
kill "$holder"
wait "$holder" 2>/dev/null
[ "$rc" = 3 ] || t_fail "a loop device held elsewhere: exit $rc, not 3: $(cat "$T_TMP/prompt.out")"
grep -q "in use" "$T_TMP/prompt.out" || t_fail "a held loop device: $(cat "$T_TMP/prompt.out")"
[ "$(events)" = "$ev_before" ] || t_fail "a held loop device: the refusal was recorded"
[ "$(sum "$back")" = "$b_back" ] || t_fail "a held loop device was WRITTEN"
# and once free, the same device is sanitized
"$C" -y sanitize --profile zero "$disk" >"$T_TMP/free.out" 2>&1 ||
	t_fail "the loop device once free: $(cat "$T_TMP/free.out")"
cmp -s "$back" <(head -c $((4096 * 1024)) /dev/zero) || t_fail "the free loop device not zeroed"
t_ok "a loop device held by another program at the start: refused (exit 3), nothing recorded"
