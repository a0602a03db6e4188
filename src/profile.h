/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CUSTOS_PROFILE_H
#define CUSTOS_PROFILE_H

/*
 * profile: sanitization profiles, NAME.profile text files (see
 * custos-profile(5)) read against a key table.  Errors name the place:
 * "FILE:LINE: message".  Profiles are found in $CUSTOS_PROFILE_DIR, then
 * <state-dir>/profiles, then the installed CUSTOS_DATADIR "/profiles"; the
 * first directory that has a name wins.
 */

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

enum profile_method {
	PROFILE_METHOD_OVERWRITE = 0,
	PROFILE_METHOD_ATA_SECURE_ERASE,
	PROFILE_METHOD_ATA_ENHANCED_SECURE_ERASE,
	PROFILE_METHOD_ATA_SANITIZE_BLOCK,
	PROFILE_METHOD_ATA_SANITIZE_CRYPTO,
	PROFILE_METHOD_ATA_SANITIZE_OVERWRITE,
	PROFILE_METHOD_NVME_FORMAT_USER,
	PROFILE_METHOD_NVME_FORMAT_CRYPTO,
	PROFILE_METHOD_NVME_SANITIZE_BLOCK,
	PROFILE_METHOD_NVME_SANITIZE_CRYPTO,
	PROFILE_METHOD_NVME_SANITIZE_OVERWRITE,
	PROFILE_METHOD_PURGE,
	PROFILE_METHOD_COUNT
};

enum profile_pass_kind {
	PROFILE_PASS_PATTERN,		/* "byte 0xNN" or "pattern 0xNN ..." (repeating) */
	PROFILE_PASS_COMPLEMENT,	/* bitwise NOT of the previous pass's data */
	PROFILE_PASS_RANDOM,		/* AES-CTR keystream, fresh key per pass */
};

#define PROFILE_PATTERN_MAX 64

struct profile_pass {
	enum profile_pass_kind kind;
	uint8_t pattern[PROFILE_PATTERN_MAX];
	size_t pattern_len;		/* PATTERN: 1 for "byte" */
};

enum profile_verify {
	PROFILE_VERIFY_LAST = 0,	/* every byte of the last pass (CLI: full) */
	PROFILE_VERIFY_ALL,		/* every byte of every pass */
	PROFILE_VERIFY_SAMPLE,		/* NIST-style stratified sample of the last pass */
	PROFILE_VERIFY_NONE,
};

enum profile_nist { PROFILE_NIST_NONE = 0, PROFILE_NIST_CLEAR, PROFILE_NIST_PURGE };

/* Media kinds, in the order of profile_kind_names(): hdd ssd nvme
 * usb-flash sd-mmc virtual (the names of device_media_kind()). */
#define PROFILE_N_KINDS 6

#define PROFILE_MAX_PASSES 64

struct profile {
	char name[64];
	char title[256];
	char reference[512];
	char source[PATH_MAX];		/* the file it was read from */
	enum profile_method method;
	struct profile_pass passes[PROFILE_MAX_PASSES];
	size_t n_passes;
	enum profile_verify verify;
	enum profile_nist nist[PROFILE_N_KINDS];
	bool restore_max;
	bool markers;
};

/* Parse @text as the profile file @path (used in messages and to check
 * that `name` equals the base name).  Errors: -EINVAL with "PATH:LINE: msg". */
int profile_parse(const char *path, const char *text, struct profile *out, char **cause);
int profile_load_file(const char *path, struct profile *out, char **cause);

/* Find @name in the search path (@state_dir may be NULL). -ENOENT if none. */
int profile_find(const char *name, const char *state_dir, struct profile *out, char **cause);

/* Every profile of the search path, sorted by name, each name once (the
 * first directory wins).  A broken file is skipped with a warning in the
 * log, or makes the call fail when @strict. */
int profile_list(const char *state_dir, bool strict, struct profile **out, size_t *n,
		 char **cause);

const char *profile_method_name(enum profile_method m);
const char *profile_verify_name(enum profile_verify v);	/* last all sample none */
int profile_verify_parse(const char *s, enum profile_verify *out);	/* also "full" */
const char *profile_nist_name(enum profile_nist n);
const char *profile_kind_name(size_t kind);
int profile_kind_index(const char *kind);	/* -1 if unknown */

/* NIST SP 800-88 category the profile claims for @media_kind. */
enum profile_nist profile_nist_for(const struct profile *p, const char *media_kind);

/* "byte 0x00", "pattern 0x92 0x49 0x24", "complement", "random". */
void profile_pass_describe(const struct profile_pass *pass, char *buf, size_t len);

json_t *profile_to_json(const struct profile *p);

#endif
