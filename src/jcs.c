/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * jcs: RFC 8785 canonical JSON.  See jcs.h.
 */
#include "jcs.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* 2^53: the largest integer every smaller one of which a double holds. */
#define JCS_INT_MAX 9007199254740992LL

/* The UTF-16 code units of @cp: 1 or 2. */
static int utf16(uint32_t cp, uint16_t u[2])
{
	if (cp < 0x10000) {
		u[0] = (uint16_t)cp;
		return 1;
	}
	cp -= 0x10000;
	u[0] = (uint16_t)(0xd800 | (cp >> 10));
	u[1] = (uint16_t)(0xdc00 | (cp & 0x3ff));
	return 2;
}

/* Compare two UTF-8 names by their UTF-16 code units (RFC 8785 3.2.3). */
static int cmp_utf16(const char *a, const char *b)
{
	const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;
	size_t nx = strlen(a), ny = strlen(b);
	uint16_t ux[2], uy[2];
	int ix = 0, iy = 0, cx = 0, cy = 0;

	for (;;) {
		uint32_t cp;
		size_t l;

		if (ix == cx && nx) {
			l = util_utf8_decode(x, nx, &cp);
			if (!l)
				return strcmp((const char *)x, (const char *)y);
			x += l;
			nx -= l;
			cx = utf16(cp, ux);
			ix = 0;
		}
		if (iy == cy && ny) {
			l = util_utf8_decode(y, ny, &cp);
			if (!l)
				return strcmp((const char *)x, (const char *)y);
			y += l;
			ny -= l;
			cy = utf16(cp, uy);
			iy = 0;
		}
		if (ix == cx || iy == cy)	/* one name ended */
			return (ix == cx) - (iy == cy) ? (ix == cx ? -1 : 1) : 0;
		if (ux[ix] != uy[iy])
			return ux[ix] < uy[iy] ? -1 : 1;
		ix++;
		iy++;
	}
}

static int cmp_names(const void *a, const void *b)
{
	return cmp_utf16(*(const char *const *)a, *(const char *const *)b);
}

static int put_string(FILE *f, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;

	fputc('"', f);
	while (n) {
		size_t l = util_utf8_decode(p, n, &cp);

		if (!l)
			return -EINVAL;
		if (cp == '"' || cp == '\\')
			fprintf(f, "\\%c", (int)cp);
		else if (cp == '\b')
			fputs("\\b", f);
		else if (cp == '\t')
			fputs("\\t", f);
		else if (cp == '\n')
			fputs("\\n", f);
		else if (cp == '\f')
			fputs("\\f", f);
		else if (cp == '\r')
			fputs("\\r", f);
		else if (cp < 0x20)
			fprintf(f, "\\u%04x", (unsigned)cp);
		else
			fwrite(p, 1, l, f);
		p += l;
		n -= l;
	}
	fputc('"', f);
	return 0;
}

/* Shortest decimal digits that read back as @d: fills @dig (no dot) and
 * returns the decimal exponent n of RFC 8785 / ECMA-262 7.1.12.1
 * (value = 0.DIGITS x 10^n). */
static int shortest(double d, char dig[24])
{
	char buf[40], *e;
	int exp10 = 0;

	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*e", prec - 1, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	/* buf is "D.DDDDe+XX" or "De+XX" */
	e = strchr(buf, 'e');
	exp10 = atoi(e + 1);
	*e = '\0';
	{
		size_t k = 0;

		for (char *p = buf; *p; p++)
			if (*p >= '0' && *p <= '9')
				dig[k++] = *p;
		while (k > 1 && dig[k - 1] == '0')
			k--;
		dig[k] = '\0';
	}
	return exp10 + 1;
}

int jcs_format_double(double d, char *buf, size_t len)
{
	char dig[24];
	int n, k;

	if (!isfinite(d))
		return -ERANGE;
	if (d == 0) {
		snprintf(buf, len, "0");
		return 0;
	}
	if (d < 0) {
		if (len < 2)
			return -ENOSPC;
		*buf++ = '-';
		len--;
		d = -d;
	}
	n = shortest(d, dig);
	k = (int)strlen(dig);
	if (k <= n && n <= 21)		/* integer: digits and n - k zeros */
		snprintf(buf, len, "%s%.*s", dig, n - k, "000000000000000000000");
	else if (0 < n && n <= 21)	/* 123.45 */
		snprintf(buf, len, "%.*s.%s", n, dig, dig + n);
	else if (-6 < n && n <= 0)	/* 0.000123 */
		snprintf(buf, len, "0.%.*s%s", -n, "000000", dig);
	else				/* 1.5e+300, 1e-7 */
		snprintf(buf, len, "%c%s%se%c%d", dig[0], k > 1 ? "." : "", dig + 1,
			 n - 1 >= 0 ? '+' : '-', abs(n - 1));
	return 0;
}

static int put_value(FILE *f, const json_t *v);

static int put_object(FILE *f, const json_t *v)
{
	size_t n = json_object_size(v), i = 0;
	const char **keys = calloc(n ? n : 1, sizeof(*keys));
	const char *k;
	json_t *m;
	int rc = 0;

	if (!keys)
		return -ENOMEM;
	json_object_foreach((json_t *)v, k, m)
		keys[i++] = k;
	qsort(keys, n, sizeof(*keys), cmp_names);
	fputc('{', f);
	for (i = 0; rc == 0 && i < n; i++) {
		if (i)
			fputc(',', f);
		rc = put_string(f, keys[i], strlen(keys[i]));
		fputc(':', f);
		if (rc == 0)
			rc = put_value(f, json_object_get(v, keys[i]));
	}
	fputc('}', f);
	free(keys);
	return rc;
}

static int put_value(FILE *f, const json_t *v)
{
	char num[40];
	int rc = 0;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return put_object(f, v);
	case JSON_ARRAY:
		fputc('[', f);
		for (size_t i = 0; rc == 0 && i < json_array_size(v); i++) {
			if (i)
				fputc(',', f);
			rc = put_value(f, json_array_get(v, i));
		}
		fputc(']', f);
		return rc;
	case JSON_STRING:
		return put_string(f, json_string_value(v), json_string_length(v));
	case JSON_INTEGER:
		if (json_integer_value(v) > JCS_INT_MAX || json_integer_value(v) < -JCS_INT_MAX)
			return -ERANGE;
		fprintf(f, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return 0;
	case JSON_REAL:
		rc = jcs_format_double(json_real_value(v), num, sizeof(num));
		if (rc == 0)
			fputs(num, f);
		return rc;
	case JSON_TRUE:
		fputs("true", f);
		return 0;
	case JSON_FALSE:
		fputs("false", f);
		return 0;
	case JSON_NULL:
		fputs("null", f);
		return 0;
	}
	return -EINVAL;
}

int jcs_serialize(const json_t *v, char **out, size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	int rc;

	*out = NULL;
	if (!f)
		return -ENOMEM;
	rc = v ? put_value(f, v) : -EINVAL;
	if (fclose(f) != 0 && rc == 0)
		rc = -ENOMEM;
	if (rc) {
		free(buf);
		return rc;
	}
	*out = buf;
	if (len)
		*len = n;
	return 0;
}
