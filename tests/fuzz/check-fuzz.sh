#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# make check: build the fuzz targets and run each for a few seconds
# (CUSTOS_FUZZ_SECONDS, default 10); skipped when clang cannot build a
# libFuzzer program (Debian: clang libclang-rt-14-dev).
set -u
: "${top_builddir:=.}"
secs=${CUSTOS_FUZZ_SECONDS:-10}
probe=$(mktemp -d /tmp/custos-fuzz-probe.XXXXXX)
trap 'rm -rf "$probe"' EXIT
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n)\n{ (void)d; (void)n; return 0; }\n' >"$probe/p.c"
if ! command -v clang >/dev/null 2>&1 ||
	! clang -fsanitize=fuzzer,address,undefined -o "$probe/p" "$probe/p.c" >/dev/null 2>&1; then
	echo "SKIP check-fuzz: clang with libFuzzer is not installed"
	exit 77
fi
exec make -C "$top_builddir" fuzz FUZZ_SECONDS="$secs"
