/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * i18n: the locale, the gettext text domain, and the warning for a
 * terminal that cannot show Chinese.
 */
#include "i18n.h"

#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "util.h"

#ifndef LOCALEDIR
#define LOCALEDIR "/usr/local/share/locale"
#endif

static bool saw_non_ascii;
static FILE *real_stdout;

void i18n_init(void)
{
	const char *dir = getenv("CUSTOS_LOCALEDIR");

	setlocale(LC_ALL, "");
	bindtextdomain(PACKAGE, dir && *dir ? dir : LOCALEDIR);
	bind_textdomain_codeset(PACKAGE, "UTF-8");
	textdomain(PACKAGE);
}

bool i18n_utf8(void)
{
	const char *cs = nl_langinfo(CODESET);

	return cs && (strcasecmp(cs, "UTF-8") == 0 || strcasecmp(cs, "utf8") == 0);
}

const char *i18n_codeset_warning(void)
{
	/* TRANSLATORS: shown in a locale that cannot show Chinese: keep it ASCII */
	return _("the terminal's locale is not UTF-8, so Chinese names and labels "
		 "cannot be shown (they appear as '?'); set LANG to a UTF-8 locale, "
		 "e.g. LANG=zh_CN.UTF-8 (install it with dpkg-reconfigure locales) or "
		 "LANG=C.UTF-8");
}

static ssize_t watch_write(void *cookie, const char *buf, size_t size)
{
	(void)cookie;
	for (size_t i = 0; i < size && !saw_non_ascii; i++)
		if ((unsigned char)buf[i] >= 0x80)
			saw_non_ascii = true;
	if (util_write_all(STDOUT_FILENO, buf, size) < 0)
		return -1;
	return (ssize_t)size;
}

void i18n_watch_stdout(void)
{
	static const cookie_io_functions_t io = { .write = watch_write };
	FILE *f;

	if (i18n_utf8() || real_stdout)
		return;
	fflush(stdout);
	f = fopencookie(NULL, "w", io);
	if (!f)
		return;
	if (isatty(STDOUT_FILENO))
		setvbuf(f, NULL, _IOLBF, 0);
	real_stdout = stdout;
	stdout = f;
}

void i18n_finish(void)
{
	if (i18n_utf8())
		return;
	if (real_stdout)
		fflush(stdout);
	if (saw_non_ascii || util_text_unshowable())
		fprintf(stderr, "custos: warning: %s\n", i18n_codeset_warning());
}
