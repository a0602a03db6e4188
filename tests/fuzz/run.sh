#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# run.sh SRCDIR FUZZDIR SECONDS TARGET...: run each fuzz target for SECONDS
# on its seeds (profiles/, tests/fuzz/seeds-cert/, the IDENTIFY fixtures);
# the corpus grows in FUZZDIR/corpus-TARGET, crashes land in
# FUZZDIR/artifacts-TARGET/.  Exit 1 when a target finds a crash.
set -u
src=$1 dir=$2 secs=$3
shift 3
status=0

# the 512 data bytes of each IDENTIFY dump (skdump: tag, length, data)
seeds_ata="$dir/seeds-ata-identify"
mkdir -p "$seeds_ata"
for f in "$src"/tests/fixtures/ata-identify/*--*; do
	[ -f "$f" ] && tail -c +9 "$f" | head -c 512 >"$seeds_ata/$(basename "$f")"
done

for t in "$@"; do
	case $t in
	profile|policy) seeds="$src/profiles" ;;
	cert) seeds="$src/tests/fuzz/seeds-cert" ;;
	ata-identify) seeds=$seeds_ata ;;
	*) seeds="" ;;
	esac
	mkdir -p "$dir/corpus-$t" "$dir/artifacts-$t"
	echo "fuzz-$t: ${secs}s"
	# shellcheck disable=SC2086
	if ! "$dir/fuzz-$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-max_len=65536 -print_final_stats=1 -artifact_prefix="$dir/artifacts-$t/" \
		"$dir/corpus-$t" $seeds >"$dir/fuzz-$t.log" 2>&1; then
		echo "FAIL fuzz-$t: see $dir/fuzz-$t.log and $dir/artifacts-$t/"
		tail -n 40 "$dir/fuzz-$t.log"
		status=1
	else
		grep -E '^stat::number_of_executed_units|^Done' "$dir/fuzz-$t.log" | head -2
	fi
done
exit $status
