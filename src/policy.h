/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CUSTOS_POLICY_H
#define CUSTOS_POLICY_H

/*
 * policy: classification levels and the office's rules for them.
 *
 * Levels are fixed and ordered (public < internal < secret < confidential
 * < top-secret).  The rules come from built-in defaults, then each policy
 * file given to policy_load() in turn (the installed profiles/policy.conf,
 * then the station's <state-dir>/policy.conf); see custos-policy(5).
 *
 * Hard rules no file can relax: no-downgrade, release-internal-only
 * (external-reuse and recycling only for media never classified above
 * internal), top-secret-destruction, two-witnesses (at least two).
 * Every refusal returns -EPERM with a cause starting "policy rule NAME: ".
 */

#include <stdbool.h>
#include <stddef.h>

enum policy_level {
	POLICY_LEVEL_PUBLIC = 0,
	POLICY_LEVEL_INTERNAL,
	POLICY_LEVEL_SECRET,
	POLICY_LEVEL_CONFIDENTIAL,
	POLICY_LEVEL_TOP_SECRET,
	POLICY_LEVEL_COUNT
};

enum policy_dest {
	POLICY_DEST_INTERNAL_REUSE = 0,
	POLICY_DEST_EXTERNAL_REUSE,
	POLICY_DEST_RECYCLING,
	POLICY_DEST_DESTRUCTION,
	POLICY_DEST_MANUFACTURER,
	POLICY_DEST_COUNT
};

/* NIST SP 800-88 categories, ordered by strength. */
enum policy_nist {
	POLICY_NIST_CLEAR = 0,
	POLICY_NIST_PURGE,
	POLICY_NIST_DESTROY,
	POLICY_NIST_COUNT
};

/* Media kinds of the register (device_media_kind() plus optical, other). */
enum policy_kind {
	POLICY_KIND_HDD = 0,
	POLICY_KIND_SSD,
	POLICY_KIND_NVME,
	POLICY_KIND_USB_FLASH,
	POLICY_KIND_SD_MMC,
	POLICY_KIND_OPTICAL,
	POLICY_KIND_OTHER,
	POLICY_KIND_VIRTUAL,
	POLICY_KIND_COUNT
};

struct policy;

/* Built-in defaults, then each readable file of @paths in order (a NULL
 * entry or a missing file is skipped; @n entries).  Syntax errors:
 * -EINVAL with "FILE:LINE: message" in *@cause.  A file is read only when
 * it is a regular file of at most UTIL_CONFIG_MAX (1 MiB) bytes without a
 * NUL byte (util_read_config()). */
int policy_load(const char *const *paths, size_t n, struct policy **out, char **cause);
void policy_free(struct policy *pol);
/* The built-in defaults and then @len bytes of policy text named @name in
 * messages (the parser policy_load() uses; a NUL byte is an error). */
int policy_parse_text(const char *name, const char *text, size_t len, struct policy **out,
		      char **cause);

/* The usual pair: $CUSTOS_PROFILE_DIR/policy.conf (default: the installed
 * $(datadir)/custos/profiles/policy.conf), then <@state_dir>/policy.conf. */
int policy_load_default(const char *state_dir, struct policy **out, char **cause);

/* Level names: "secret" / "秘密".  parse accepts either, case-insensitive
 * for the English name; -EINVAL for an unknown name. */
int policy_level_parse(const char *s, enum policy_level *out);
const char *policy_level_name(enum policy_level l);
const char *policy_level_name_zh(enum policy_level l);

int policy_dest_parse(const char *s, enum policy_dest *out);
const char *policy_dest_name(enum policy_dest d);
int policy_nist_parse(const char *s, enum policy_nist *out);	/* clear/purge/destroy */
const char *policy_nist_name(enum policy_nist c);
/* "hdd", "ssd", "nvme", "usb-flash", "sd-mmc", "optical", "other", "virtual". */
int policy_kind_parse(const char *s, enum policy_kind *out);
const char *policy_kind_name(enum policy_kind k);

/* Raising @from to @to: 0, or -EPERM (rule no-downgrade); equal levels are
 * allowed (nothing to change). */
int policy_check_reclassify(const struct policy *pol, enum policy_level from,
			    enum policy_level to, char **cause);

/* May a medium classified @level, once classified @highest (the highest
 * level it ever held; pass @level when unknown), of @kind, sanitized to
 * NIST @cat, go to @dest?  0, or -EPERM naming the rule: release-internal-only,
 * top-secret-destruction, destinations, minimum-sanitization.  A medium
 * going to destruction satisfies every minimum (destruction follows). */
int policy_check_sanitize(const struct policy *pol, enum policy_level level,
			  enum policy_level highest, enum policy_kind kind,
			  enum policy_nist cat, enum policy_dest dest, char **cause);

/* Same decision without a message, for menus (the TUI offers only what
 * is allowed). */
bool policy_is_allowed(const struct policy *pol, enum policy_level level,
		       enum policy_level highest, enum policy_kind kind,
		       enum policy_nist cat, enum policy_dest dest);

/* The weakest category the policy accepts for reuse of @kind at @highest
 * (POLICY_NIST_DESTROY: the medium may only go to destruction). */
enum policy_nist policy_minimum(const struct policy *pol, enum policy_level highest,
				enum policy_kind kind);

/* Destruction witnesses: at least policy_witnesses() (>= 2) distinct,
 * non-empty names (compared case-insensitively, white space trimmed), and
 * every name given another person (no duplicate, no blank; any number
 * above the minimum is fine).  0, or -EPERM (rule two-witnesses). */
int policy_check_destroy(const struct policy *pol, const char *const *witnesses, size_t n,
			 char **cause);
unsigned policy_witnesses(const struct policy *pol);

/* Do two names denote the same person?  names_equal(): NFKC, white space
 * folded, ASCII case ignored ("Alice" and " alice", "张　三" and "张三" are
 * one person).  Used for witnesses, operators and validators alike. */
bool policy_same_person(const char *a, const char *b);

#endif
