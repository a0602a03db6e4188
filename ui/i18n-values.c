/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * i18n-values: codes shown in the interface language (ui/i18n-values.h).
 */
#include "i18n-values.h"

#include <stdio.h>
#include <string.h>

#include "i18n.h"

bool i18n_values_zh(void)
{
	/* TRANSLATORS: not shown.  Translate as "values: zh" when the words of
	 * docs/TERMINOLOGY.md (秘密, 在库, ...) are to replace the codes
	 * (secret, in-stock, ...) on the command line and the station screen;
	 * leave it "values: en" to keep the codes. */
	return strcmp(_("values: en"), "values: zh") == 0;
}

const char *i18n_value(enum value_kind k, const char *code, char *buf, unsigned len)
{
	const struct value_name *v;
	size_t n;

	if (!code)
		return "";
	if (!i18n_values_zh())
		return code;
	v = values_find(k, code);
	if (!v)
		return code;
	n = strlen(v->code);
	if (!code[n] || !buf || len == 0)
		return v->zh;
	snprintf(buf, len, "%s%s", v->zh, code + n);
	return buf;
}
