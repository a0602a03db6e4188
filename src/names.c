/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * names: NFKC (libunistring), white space folding, ASCII case folding,
 * and lists of names with Chinese and Western separators.
 */
#include "names.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <uninorm.h>
#include <unistr.h>

#include "util.h"

/* White space after NFKC (which already maps U+3000, U+00A0 and the
 * U+2000 spaces to U+0020), plus the invisible ones a paste may carry. */
static bool is_space(ucs4_t c)
{
	return c == ' ' || (c >= '\t' && c <= '\r') || c == 0x85 || c == 0xa0 ||
	       c == 0x1680 || (c >= 0x2000 && c <= 0x200b) || c == 0x2028 ||
	       c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000 || c == 0xfeff;
}

/* NFKC of @s as a malloc'd NUL-terminated string. */
static int nfkc(const char *s, uint8_t **out, size_t *len)
{
	size_t n = 0;
	uint8_t *r;

	if (u8_check((const uint8_t *)s, strlen(s)))
		return -EILSEQ;
	r = u8_normalize(UNINORM_NFKC, (const uint8_t *)s, strlen(s), NULL, &n);
	if (!r)
		return errno ? -errno : -ENOMEM;
	*out = realloc(r, n + 1);
	if (!*out) {
		free(r);
		return -ENOMEM;
	}
	(*out)[n] = '\0';
	*len = n;
	return 0;
}

/* Fold the white space of @in (@len bytes of valid UTF-8) into @out
 * (at least @len + 1 bytes); ASCII letters lowered when @lower. */
static void fold(const uint8_t *in, size_t len, bool lower, char *out)
{
	const uint8_t *p = in, *end = in + len;
	size_t o = 0;
	bool pending = false;	/* white space seen since the last character */
	ucs4_t prev = 0;

	while (p < end) {
		ucs4_t c;
		int k = u8_mbtouc(&c, p, (size_t)(end - p));

		if (is_space(c)) {
			pending = true;
			p += k;
			continue;
		}
		/* one space only between two ASCII characters */
		if (pending && o > 0 && prev < 0x80 && c < 0x80)
			out[o++] = ' ';
		pending = false;
		if (lower && c >= 'A' && c <= 'Z')
			out[o++] = (char)(c - 'A' + 'a');
		else {
			memcpy(out + o, p, (size_t)k);
			o += (size_t)k;
		}
		prev = c;
		p += k;
	}
	out[o] = '\0';
}

static int normalize(const char *s, bool lower, char **out)
{
	uint8_t *n;
	size_t len;
	int rc;

	*out = NULL;
	rc = nfkc(s ? s : "", &n, &len);
	if (rc < 0)
		return rc;
	*out = malloc(len + 1);
	if (!*out) {
		free(n);
		return -ENOMEM;
	}
	fold(n, len, lower, *out);
	free(n);
	return 0;
}

int names_canonical(const char *s, char **out)
{
	return normalize(s, false, out);
}

int names_key(const char *s, char **out)
{
	return normalize(s, true, out);
}

/* The old comparison, for text that is not UTF-8. */
static bool bytes_equal(const char *a, const char *b)
{
	size_t la, lb;

	a += strspn(a, " \t");
	b += strspn(b, " \t");
	la = strlen(a);
	lb = strlen(b);
	while (la && (a[la - 1] == ' ' || a[la - 1] == '\t'))
		la--;
	while (lb && (b[lb - 1] == ' ' || b[lb - 1] == '\t'))
		lb--;
	return la == lb && strncasecmp(a, b, la) == 0;
}

bool names_equal(const char *a, const char *b)
{
	char *ka = NULL, *kb = NULL;
	bool eq;

	a = a ? a : "";
	b = b ? b : "";
	if (names_key(a, &ka) < 0 || names_key(b, &kb) < 0)
		eq = bytes_equal(a, b);
	else
		eq = strcmp(ka, kb) == 0;
	free(ka);
	free(kb);
	return eq;
}

bool names_blank(const char *s)
{
	char *k = NULL;
	bool blank;

	if (!s)
		return true;
	if (names_canonical(s, &k) < 0)
		return strspn(s, " \t") == strlen(s);
	blank = !*k;
	free(k);
	return blank;
}

void names_list_free(char **names, size_t n)
{
	if (!names)
		return;
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* A separator after NFKC: "，" and "；" are "," and ";" by then. */
static size_t separator_len(const char *p)
{
	if (*p == ',' || *p == ';')
		return 1;
	if (strncmp(p, "\xe3\x80\x81", 3) == 0)	/* 、 U+3001 */
		return 3;
	if (strncmp(p, "\xef\xb9\x91", 3) == 0)	/* ﹑ U+FE51 */
		return 3;
	return 0;
}

/* Append the canonical form of @p..@e (if not blank) to the list. */
static int push(const char *p, const char *e, char ***v, size_t *n)
{
	char *piece = strndup(p, (size_t)(e - p)), *c = NULL, **nv;
	int rc;

	if (!piece)
		return -ENOMEM;
	rc = names_canonical(piece, &c);
	free(piece);
	if (rc < 0)
		return rc;
	if (!*c) {
		free(c);
		return 0;
	}
	nv = realloc(*v, (*n + 1) * sizeof(*nv));
	if (!nv) {
		free(c);
		return -ENOMEM;
	}
	nv[(*n)++] = c;
	*v = nv;
	return 0;
}

int names_split(const char *list, char ***out, size_t *n, char **cause)
{
	uint8_t *norm = NULL;
	const char *p, *start;
	char **v = NULL;
	size_t len, cnt = 0;
	int rc;

	*out = NULL;
	*n = 0;
	rc = nfkc(list ? list : "", &norm, &len);
	if (rc == -EILSEQ)
		return util_fail(cause, rc, _("a list of names that is not UTF-8 text"));
	if (rc < 0)
		return util_fail(cause, rc, _("a list of names: %s"), strerror(-rc));
	for (p = start = (const char *)norm;; ) {
		size_t k = *p ? separator_len(p) : 1;

		if (k) {
			rc = push(start, p, &v, &cnt);
			if (rc < 0 || !*p)
				break;
			p += k;
			start = p;
		} else {
			p++;
		}
	}
	free(norm);
	if (rc < 0) {
		names_list_free(v, cnt);
		return util_fail(cause, rc, _("a list of names: %s"), strerror(-rc));
	}
	*out = v;
	*n = cnt;
	return 0;
}
