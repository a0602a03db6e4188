# SPDX-License-Identifier: GPL-3.0-or-later
# Shared helpers for integration tests.  Source it, then call t_init NAME.
# Exit status 77 tells automake the test was skipped.

set -u

: "${CUSTOS:=${top_builddir:-.}/custos}"
T_TMP=""

t_init() {
	T_NAME=$1
	T_TMP=$(mktemp -d "/tmp/custos-$T_NAME.XXXXXX")
	trap t_cleanup EXIT
	export CUSTOS_STATE_DIR="$T_TMP/state"
}

t_skip() {
	echo "SKIP $T_NAME: $*"
	exit 77
}

t_fail() {
	echo "FAIL $T_NAME: $*" >&2
	exit 1
}

t_ok() {
	echo "ok - $*"
}

t_need_root() {
	[ "$(id -u)" = 0 ] || t_skip "needs root (loop devices)"
}

# The test hooks (CUSTOS_POWEROFF_CMD, CUSTOS_TEST_*) exist only in a
# build configured with --enable-test-hooks (tools/setup check does).
t_has_hooks() {
	"$CUSTOS" --version 2>/dev/null | grep -q "test hooks enabled"
}

t_need_hooks() {
	t_has_hooks || t_skip "needs a build configured with --enable-test-hooks"
}

t_need_cmd() {
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || t_skip "needs $c"
	done
}

# t_loop SIZE_MIB -> prints a new loop device backed by a file in T_TMP.
# It is usually called as dev=$(t_loop 8) || t_skip "no loop device", in a
# subshell, so devices and mounts are registered for cleanup in files.
t_loop() {
	local img dev
	[ -e /dev/loop-control ] || { echo "no loop device support" >&2; return 77; }
	img=$(mktemp "$T_TMP/disk.XXXXXX")
	truncate -s "${1}M" "$img" || { echo "cannot create $img" >&2; return 1; }
	dev=$(losetup --find --show "$img" 2>/dev/null) || { echo "cannot attach a loop device" >&2; return 77; }
	echo "$dev" >> "$T_TMP/.loops"
	echo "$dev"
}

t_mount() { # DEV DIR
	mkdir -p "$2"
	mount "$1" "$2" || t_fail "cannot mount $1"
	printf '%s\n' "$2" >> "$T_TMP/.mounts"
}

t_cleanup() {
	local m d
	if [ -f "$T_TMP/.mounts" ]; then
		tac "$T_TMP/.mounts" | while IFS= read -r m; do
			umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
		done
	fi
	if [ -f "$T_TMP/.loops" ]; then
		tac "$T_TMP/.loops" | while IFS= read -r d; do
			swapoff "$d" 2>/dev/null
			losetup -d "$d" 2>/dev/null
		done
	fi
	[ -n "$T_TMP" ] && rm -rf "$T_TMP"
}

# t_expect_rc WANT CMD... : run CMD, fail unless its exit status is WANT
t_expect_rc() {
	local want=$1 rc
	shift
	"$@"
	rc=$?
	[ "$rc" = "$want" ] || t_fail "expected exit $want, got $rc from: $*"
}
