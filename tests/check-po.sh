#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Translations are complete: the strings of the sources listed in
# po/POTFILES.in, extracted now, merged into every language of po/LINGUAS,
# leave 0 untranslated and 0 fuzzy messages (msgfmt --statistics), and
# every source file that marks strings with _() (N_(), C_()) is listed in POTFILES.in.
. "$top_srcdir/tests/lib.sh"
t_init check-po
: "${MSGFMT:=msgfmt}" "${XGETTEXT:=xgettext}" "${MSGMERGE:=msgmerge}"
t_need_cmd "$MSGFMT" "$XGETTEXT" "$MSGMERGE"
po=$top_srcdir/po

# files that mark strings but are not extracted
for f in $(cd "$top_srcdir" && grep -l -E '\<[CN]?_\("' ui/*.c src/*.c 2>/dev/null); do
	grep -qx "$f" "$po/POTFILES.in" || t_fail "$f marks strings but is not in po/POTFILES.in"
done
t_ok "every file that marks strings is in po/POTFILES.in"

(cd "$top_srcdir" && "$XGETTEXT" --from-code=UTF-8 --language=C --keyword=_ --keyword=N_ --keyword=C_:1c,2 \
	--add-comments=TRANSLATORS: --files-from=po/POTFILES.in -o "$T_TMP/custos.pot") ||
	t_fail "xgettext"
for lang in $(grep -v '^#' "$po/LINGUAS"); do
	"$MSGMERGE" --quiet --no-fuzzy-matching -o "$T_TMP/$lang.po" "$po/$lang.po" \
		"$T_TMP/custos.pot" || t_fail "msgmerge $lang"
	# the file as committed must be well-formed and complete too
	"$MSGFMT" --check -o /dev/null "$po/$lang.po" || t_fail "msgfmt --check $lang.po"
	stats=$(LC_ALL=C "$MSGFMT" --check --statistics -o /dev/null "$T_TMP/$lang.po" 2>&1) ||
		t_fail "msgfmt $lang: $stats"
	case $stats in
	*untranslated* | *fuzzy*)
		missing=$({ msgattrib --untranslated "$T_TMP/$lang.po"
			msgattrib --only-fuzzy "$T_TMP/$lang.po"; } 2>/dev/null |
			grep '^msgid "[^"]' | head -5)
		t_fail "$lang: $stats (run 'make update-po' and translate; e.g. $missing)" ;;
	esac
	t_ok "$lang: $stats"
done
