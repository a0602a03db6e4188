/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CUSTOS_I18N_H
#define CUSTOS_I18N_H

/*
 * The interface language (GNU gettext, text domain "custos", po/): English
 * is the source language; LC_ALL / LC_MESSAGES / LANG choose the
 * translation.  Mark a string for translation with _("..."), a string in
 * a static table with N_("...") and translate it where it is printed.
 * docs/TERMINOLOGY.md keeps the Chinese terms the same everywhere.
 */

#include <stdbool.h>

/* _() and N_(): the library's definitions (src/util.h), one text domain */
#include "util.h"

/* setlocale(LC_ALL, ""), then the text domain from $CUSTOS_LOCALEDIR
 * (tests, an uninstalled build) or the installed LOCALEDIR. */
void i18n_init(void);

/* Does the locale's character set (nl_langinfo(CODESET)) hold Chinese?
 * Only UTF-8 is accepted: text is stored and printed as UTF-8. */
bool i18n_utf8(void);

/* One sentence for a locale that is not UTF-8 (what is wrong, what to
 * do); translated, but written in ASCII in every language. */
const char *i18n_codeset_warning(void);

/* The command line: when the locale is not UTF-8, watch what is written to
 * stdout, and at the end (i18n_finish()) warn once on stderr if any of it,
 * or any text fitted to a column (util_text_unshowable()), was not ASCII.
 * Not for the station screen, which warns when it opens. */
void i18n_watch_stdout(void);
void i18n_finish(void);

/* Codes in the interface language: i18n_value(), i18n_value_of(). */
#include "i18n-values.h"

/* An installed profile's title in the interface language ("Zeros, 1
 * pass": 全零，1 遍); any other title unchanged. */
const char *i18n_profile_title(const char *title);

#endif
