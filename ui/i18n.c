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

/* code, English label (the msgid); docs/TERMINOLOGY.md has the words */
static const struct {
	const char *code;
	const char *label;
} values[] = {
	/* classification (policy_level_name) */
	{ "public", N_("public") },
	{ "internal", N_("internal") },
	{ "secret", N_("secret") },
	{ "confidential", N_("confidential") },
	{ "top-secret", N_("top secret") },
	/* media types (device_media_kind) */
	{ "hdd", N_("hard disk") },
	{ "ssd", N_("solid-state disk") },
	{ "nvme", N_("NVMe disk") },
	{ "usb-flash", N_("USB flash drive") },
	{ "sd-mmc", N_("SD/MMC card") },
	{ "optical", N_("optical disc") },
	{ "other", N_("other") },
	{ "virtual", N_("virtual") },
	/* destinations (policy_dest_name) */
	{ "internal-reuse", N_("internal reuse") },
	{ "external-reuse", N_("external reuse") },
	{ "recycling", N_("recycling") },
	{ "destruction", N_("destruction") },
	{ "manufacturer", N_("return to manufacturer") },
	/* outcomes */
	{ "erased", N_("erased") },
	{ "failed", N_("failed") },
	{ "aborted", N_("aborted") },
	{ "unverified", N_("unverified") },
	{ "interrupted", N_("interrupted") },
	/* lifecycle states */
	{ "in-stock", N_("in stock") },
	{ "issued", N_("issued") },
	{ "in-repair", N_("in repair") },
	{ "sanitizing", N_("sanitizing") },
	{ "sanitized", N_("sanitized") },
	{ "awaiting-destruction", N_("awaiting destruction") },
	{ "scrapped", N_("scrapped") },
	{ "destroyed", N_("destroyed") },
	{ "lost", N_("lost") },
	/* register event kinds (those not named by their state) */
	{ "enrolled", N_("enrolled") },
	{ "sanitize-started", N_("sanitization started") },
	{ "not-erased", N_("not erased") },
	{ "returned", N_("returned") },
	{ "repair", N_("sent for repair") },
	{ "reclassified", N_("reclassified") },
	{ "certificate-failed", N_("certificate failed") },
	{ "key-rotated", N_("key rotated") },
	/* destruction methods (register_destroy_methods[]) */
	{ "shred", N_("shred") },
	{ "disintegrate", N_("disintegrate") },
	{ "incinerate", N_("incinerate") },
	{ "degauss+shred", N_("degauss, then shred") },
	{ "pulverize", N_("pulverize") },
	/* verification modes (profile) */
	{ "last", N_("last pass") },
	{ "full", N_("last pass") },
	{ "all", N_("every pass") },
	{ "sample", N_("sample") },
	{ "none", N_("none") },
};

const char *i18n_value(const char *code)
{
	if (!code)
		return "";
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		const char *t;

		if (strcmp(values[i].code, code) != 0)
			continue;
		/* untranslated (English): the code itself, as the command
		 * line and the register print it */
		t = _(values[i].label);
		return t == values[i].label ? code : t;
	}
	return code;
}

/* The titles of the installed profiles (profiles/NAME.profile), for the
 * translation; a station's own profiles keep their titles as written. */
static const char *const profile_titles[] = {
	N_("ATA Security Erase Unit (enhanced)"),
	N_("ATA SANITIZE block erase"),
	N_("ATA SANITIZE crypto scramble"),
	N_("ATA SANITIZE overwrite, one pass"),
	N_("ATA Security Erase Unit (normal)"),
	N_("DoD 5220.22-M (E), 3 passes"),
	N_("DoD 5220.22-M (ECE), 7 passes"),
	N_("GOST R 50739-95, 2 passes"),
	N_("Gutmann, 35 passes"),
	N_("HMG IS5 Baseline, 1 pass"),
	N_("HMG IS5 Enhanced, 3 passes"),
	N_("NIST SP 800-88 Clear: pattern and complement, verified"),
	N_("NVMe Format NVM, cryptographic erase (SES=2)"),
	N_("NVMe Format NVM, user data erase (SES=1)"),
	N_("NVMe Sanitize, block erase"),
	N_("NVMe Sanitize, crypto erase"),
	N_("NVMe Sanitize, overwrite, one pass"),
	N_("Ones, 1 pass"),
	N_("Strongest Purge the drive supports"),
	N_("Random data, 1 pass"),
	N_("RCMP TSSIT OPS-II, 7 passes"),
	N_("Schneier, 7 passes"),
	N_("BSI VSITR, 7 passes"),
	N_("Zeros, 1 pass"),
};

const char *i18n_profile_title(const char *title)
{
	if (!title)
		return "";
	for (size_t i = 0; i < sizeof(profile_titles) / sizeof(profile_titles[0]); i++)
		if (strcmp(profile_titles[i], title) == 0)
			return _(profile_titles[i]);
	return title;
}
