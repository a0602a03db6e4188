#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# custos ata refuses cleanly on targets without ATA/NVMe firmware: a file
# and (as root) a loop device.  No real drive is ever touched.
. "$top_srcdir/tests/lib.sh"
t_init ata

want="not supported: no ATA/NVMe firmware on this target"

check_refused() { # TARGET SUBCOMMAND
	local out rc
	out=$("$CUSTOS" ata "$2" "$1" 2>&1)
	rc=$?
	[ "$rc" = 3 ] || t_fail "ata $2 $1: exit $rc, expected 3 ($out)"
	case $out in
	*"$want"*) ;;
	*) t_fail "ata $2 $1: unexpected message: $out" ;;
	esac
	t_ok "ata $2 refuses $1"
}

img="$T_TMP/disk.img"
truncate -s 8M "$img" || t_fail "cannot create $img"
check_refused "$img" identify
check_refused "$img" unlock
t_expect_rc 2 "$CUSTOS" ata identify
t_expect_rc 2 "$CUSTOS" ata frobnicate "$img"
t_expect_rc 0 "$CUSTOS" ata --help >/dev/null

t_need_root
dev=$(t_loop 8)
check_refused "$dev" identify
check_refused "$dev" unlock
out=$("$CUSTOS" --json ata identify "$dev" 2>&1)
[ $? = 3 ] || t_fail "--json ata identify $dev should be refused"
exit 0
