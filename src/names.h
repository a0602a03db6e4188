/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CUSTOS_NAMES_H
#define CUSTOS_NAMES_H

/*
 * names: people's names as a clerk types them.
 *
 * A Chinese input method gives full-width letters, the ideographic space
 * (U+3000) and full-width commas; a name typed twice is rarely typed the
 * same way.  Names are compared on a key:
 *   1. NFKC normalisation (full-width "Ａ" is "A", U+3000 is a space);
 *   2. white space folded: leading and trailing removed, a run between two
 *      ASCII characters becomes one space, and a run next to a non-ASCII
 *      character is removed ("张　三" is "张三", "Li  Ming" is "Li Ming");
 *   3. ASCII letters folded to lower case.
 * Steps 1 and 2 alone give the canonical form kept in the roster and on
 * certificates.
 */

#include <stdbool.h>
#include <stddef.h>

/* The canonical form of @s (malloc'd, may be ""): -EILSEQ for text that
 * is not UTF-8, -ENOMEM. */
int names_canonical(const char *s, char **out);

/* The comparison key of @s (canonical form, ASCII lower case). */
int names_key(const char *s, char **out);

/* Whether @a and @b name the same person.  Two blank names are equal;
 * text that is not UTF-8 is compared byte for byte after trimming ASCII
 * blanks, ignoring ASCII case. */
bool names_equal(const char *a, const char *b);

/* Whether @s is empty or only white space (after NFKC). */
bool names_blank(const char *s);

/*
 * Split a list of names separated by "," "，" "、" ";" "；" (and any
 * character NFKC maps to "," or ";") into canonical names.  Empty entries
 * are dropped.  *@out is a malloc'd array of *@n malloc'd strings, free it
 * with names_list_free().  -EILSEQ (with a cause) for text that is not
 * UTF-8.
 */
int names_split(const char *list, char ***out, size_t *n, char **cause);
void names_list_free(char **names, size_t n);

#endif
