/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CUSTOS_VALUES_H
#define CUSTOS_VALUES_H

/*
 * values: the words for the codes kept in records and certificates
 * (classification levels, media kinds, destinations, outcomes, register
 * states, NIST categories, sanitization and destruction methods,
 * certificate kinds, verification modes), in English and in Chinese, one
 * table for every face (docs/TERMINOLOGY.md).  The certificate prints
 * "秘密 (secret)"; the command line and the station screen pick one
 * language (ui/i18n-values.c).
 */

#include <stddef.h>

enum value_kind {
	VALUE_LEVEL,		/* classification: public, internal, secret, ... */
	VALUE_MEDIA,		/* media type: hdd, ssd, usb-flash, virtual, ... */
	VALUE_DEST,		/* destination: internal-reuse, recycling, ... */
	VALUE_OUTCOME,		/* sanitization outcome: erased, failed, ... */
	VALUE_STATE,		/* register state: in-stock, issued, ... */
	VALUE_NIST,		/* NIST SP 800-88 category: clear, purge, destroy */
	VALUE_METHOD,		/* sanitization method: overwrite, ata-..., nvme-... */
	VALUE_DESTROY,		/* destruction method: register_destroy_methods[] */
	VALUE_CERT_KIND,	/* certificate kind: sanitization, destruction, report */
	VALUE_VERIFY,		/* verification mode: full, sampled ..., none */
	VALUE_EVENT,		/* register event: enrolled, issued, sanitized, ... */
	VALUE_TRANSPORT,	/* interface: sata, usb, nvme, file, ... */
	VALUE_N_KINDS
};

struct value_name {
	const char *code;	/* as stored: "secret" */
	const char *en;		/* English for a reader: "secret" */
	const char *zh;		/* Chinese: "秘密" */
};

/* The names of @code in kind @k, or NULL for an unknown code (or NULL).
 * A code is matched on its first word: a remark may follow it ("sampled
 * seed=1 ...", "secret (declared, not registered)"). */
const struct value_name *values_find(enum value_kind k, const char *code);

/* The Chinese word, or NULL for an unknown code. */
const char *values_zh(enum value_kind k, const char *code);

/* "秘密 (secret)": Chinese with the code as stored, then any remark
 * ("秘密 (secret) (declared, not registered)"); an unknown code is
 * returned as it is, a NULL or empty one as "-".  malloc'd; NULL on
 * ENOMEM. */
char *values_bilingual(enum value_kind k, const char *code);

#endif
