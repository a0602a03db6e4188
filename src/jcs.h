/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CUSTOS_JCS_H
#define CUSTOS_JCS_H

/*
 * jcs: the JSON Canonicalization Scheme of RFC 8785 for jansson values.
 *
 * UTF-8 output, no whitespace, object members sorted by the UTF-16 code
 * units of their names, strings escaped only where JSON requires it
 * (quotation mark, reverse solidus, control characters; \b \t \n \f \r in
 * their short forms, other controls as lower-case \u00xx), non-ASCII
 * written as itself, numbers in the ECMAScript Number-to-String form.
 * Integers beyond 2^53 in magnitude are refused (-ERANGE): JCS numbers are
 * IEEE doubles and such an integer would not survive as itself.  NaN and
 * infinities are refused too.
 */

#include <stddef.h>

#include <jansson.h>

/* The canonical form of @v (malloc'd, NUL-terminated; *@len optional).
 * 0, -ERANGE (a number JCS cannot hold exactly), -EINVAL (invalid UTF-8
 * in a string or name), -ENOMEM. */
int jcs_serialize(const json_t *v, char **out, size_t *len);

/* ECMAScript's Number.prototype.toString for a finite double (buf >= 32). */
int jcs_format_double(double d, char *buf, size_t len);

#endif
