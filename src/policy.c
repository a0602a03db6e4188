/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * policy: classification levels and the rules that follow from them,
 * read from built-in defaults and policy files (custos-policy(5)).
 */
#include "policy.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "names.h"
#include "util.h"

#define POLICY_MIN_WITNESSES 2
#define POLICY_MAX_WITNESSES 16

struct policy {
	bool dest[POLICY_LEVEL_COUNT][POLICY_DEST_COUNT];
	enum policy_nist min[POLICY_LEVEL_COUNT][POLICY_KIND_COUNT];
	unsigned witnesses;
};

static const char *const level_en[POLICY_LEVEL_COUNT] = {
	"public", "internal", "secret", "confidential", "top-secret",
};

static const char *const level_zh[POLICY_LEVEL_COUNT] = {
	"公开", "内部", "秘密", "机密", "绝密",
};

static const char *const dest_names[POLICY_DEST_COUNT] = {
	"internal-reuse", "external-reuse", "recycling", "destruction", "manufacturer",
};

static const char *const nist_names[POLICY_NIST_COUNT] = { "clear", "purge", "destroy" };

static const char *const kind_names[POLICY_KIND_COUNT] = {
	"hdd", "ssd", "nvme", "usb-flash", "sd-mmc", "optical", "other", "virtual",
};

/* Look @s up in @names (case-insensitive); index or -EINVAL. */
static int name_index(const char *const *names, size_t n, const char *s)
{
	if (!s)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(names[i], s) == 0)
			return (int)i;
	return -EINVAL;
}

int policy_level_parse(const char *s, enum policy_level *out)
{
	int i = name_index(level_en, POLICY_LEVEL_COUNT, s);

	if (i < 0 && s) {
		for (size_t k = 0; k < POLICY_LEVEL_COUNT; k++)
			if (strcmp(level_zh[k], s) == 0)
				i = (int)k;
	}
	if (i < 0)
		return -EINVAL;
	*out = (enum policy_level)i;
	return 0;
}

const char *policy_level_name(enum policy_level l)
{
	return (unsigned)l < POLICY_LEVEL_COUNT ? level_en[l] : "unknown";
}

const char *policy_level_name_zh(enum policy_level l)
{
	return (unsigned)l < POLICY_LEVEL_COUNT ? level_zh[l] : "未知";
}

int policy_dest_parse(const char *s, enum policy_dest *out)
{
	int i = name_index(dest_names, POLICY_DEST_COUNT, s);

	if (i < 0)
		return i;
	*out = (enum policy_dest)i;
	return 0;
}

const char *policy_dest_name(enum policy_dest d)
{
	return (unsigned)d < POLICY_DEST_COUNT ? dest_names[d] : "unknown";
}

int policy_nist_parse(const char *s, enum policy_nist *out)
{
	int i = name_index(nist_names, POLICY_NIST_COUNT, s);

	if (i < 0)
		return i;
	*out = (enum policy_nist)i;
	return 0;
}

const char *policy_nist_name(enum policy_nist c)
{
	return (unsigned)c < POLICY_NIST_COUNT ? nist_names[c] : "unknown";
}

int policy_kind_parse(const char *s, enum policy_kind *out)
{
	int i = name_index(kind_names, POLICY_KIND_COUNT, s);

	if (i < 0)
		return i;
	*out = (enum policy_kind)i;
	return 0;
}

const char *policy_kind_name(enum policy_kind k)
{
	return (unsigned)k < POLICY_KIND_COUNT ? kind_names[k] : "unknown";
}

static bool kind_is_flash(enum policy_kind k)
{
	return k == POLICY_KIND_SSD || k == POLICY_KIND_NVME || k == POLICY_KIND_USB_FLASH ||
	       k == POLICY_KIND_SD_MMC || k == POLICY_KIND_OTHER;
}

/* The defaults: the same rules profiles/policy.conf spells out. */
static void policy_defaults(struct policy *pol)
{
	for (int l = 0; l < POLICY_LEVEL_COUNT; l++) {
		for (int d = 0; d < POLICY_DEST_COUNT; d++)
			pol->dest[l][d] = l <= POLICY_LEVEL_INTERNAL ||
					  d == POLICY_DEST_DESTRUCTION ||
					  (l < POLICY_LEVEL_TOP_SECRET &&
					   d == POLICY_DEST_INTERNAL_REUSE);
		for (int k = 0; k < POLICY_KIND_COUNT; k++) {
			enum policy_nist c = POLICY_NIST_CLEAR;

			if (k == POLICY_KIND_OPTICAL && l >= POLICY_LEVEL_INTERNAL)
				c = POLICY_NIST_DESTROY;
			else if (l == POLICY_LEVEL_SECRET && kind_is_flash((enum policy_kind)k))
				c = POLICY_NIST_PURGE;
			else if (l == POLICY_LEVEL_CONFIDENTIAL)
				c = (k == POLICY_KIND_USB_FLASH || k == POLICY_KIND_SD_MMC) ?
					    POLICY_NIST_DESTROY : POLICY_NIST_PURGE;
			else if (l == POLICY_LEVEL_TOP_SECRET)
				c = POLICY_NIST_DESTROY;
			pol->min[l][k] = c;
		}
	}
	pol->witnesses = POLICY_MIN_WITNESSES;
}

/* One parsing context: the file name and line for messages. */
struct policy_parse {
	struct policy *pol;
	const char *file;
	unsigned line;
	char **cause;
};

static int parse_fail(struct policy_parse *p, const char *fmt, ...) UTIL_PRINTF(2, 3);

static int parse_fail(struct policy_parse *p, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = util_vasprintf(fmt, ap);
	va_end(ap);
	util_fail(p->cause, -EINVAL, "%s:%u: %s", p->file, p->line, msg ? msg : fmt);
	free(msg);
	return -EINVAL;
}

static int parse_level(struct policy_parse *p, const char *s, enum policy_level *out)
{
	if (!s)
		return parse_fail(p, _("missing classification level"));
	if (policy_level_parse(s, out) < 0)
		return parse_fail(p, _("unknown classification level '%s'"), s);
	return 0;
}

/* "destinations LEVEL DEST..." replaces the list of LEVEL. */
static int parse_destinations(struct policy_parse *p, char **tok, size_t n)
{
	bool allow[POLICY_DEST_COUNT] = { false };
	enum policy_level l = POLICY_LEVEL_PUBLIC;
	enum policy_dest d;
	int rc = parse_level(p, n > 1 ? tok[1] : NULL, &l);

	if (rc < 0)
		return rc;
	for (size_t i = 2; i < n; i++) {
		if (policy_dest_parse(tok[i], &d) < 0)
			return parse_fail(p, _("unknown destination '%s'"), tok[i]);
		if (l > POLICY_LEVEL_INTERNAL &&
		    (d == POLICY_DEST_EXTERNAL_REUSE || d == POLICY_DEST_RECYCLING))
			return parse_fail(p, _("rule release-internal-only cannot be relaxed: "
					  "%s only for media never above internal"), tok[i]);
		if (l == POLICY_LEVEL_TOP_SECRET && d != POLICY_DEST_DESTRUCTION)
			return parse_fail(p, _("rule top-secret-destruction cannot be relaxed: "
					  "'%s' for top-secret media"), tok[i]);
		allow[d] = true;
	}
	memcpy(p->pol->dest[l], allow, sizeof(allow));
	return 0;
}

/* "minimum LEVEL KIND|flash|all CATEGORY". */
static int parse_minimum(struct policy_parse *p, char **tok, size_t n)
{
	enum policy_level l = POLICY_LEVEL_PUBLIC;
	enum policy_kind k = POLICY_KIND_HDD;
	enum policy_nist c;
	bool flash = false, all = false;
	int rc;

	if (n != 4)
		return parse_fail(p, _("usage: minimum LEVEL KIND CATEGORY"));
	rc = parse_level(p, tok[1], &l);
	if (rc < 0)
		return rc;
	flash = strcasecmp(tok[2], "flash") == 0;
	all = strcasecmp(tok[2], "all") == 0 || strcmp(tok[2], "*") == 0;
	if (!flash && !all && policy_kind_parse(tok[2], &k) < 0)
		return parse_fail(p, _("unknown media kind '%s'"), tok[2]);
	if (policy_nist_parse(tok[3], &c) < 0)
		return parse_fail(p, _("unknown NIST category '%s' (clear, purge, destroy)"), tok[3]);
	for (int i = 0; i < POLICY_KIND_COUNT; i++)
		if (all || (flash && kind_is_flash((enum policy_kind)i)) ||
		    (!all && !flash && i == (int)k))
			p->pol->min[l][i] = c;
	return 0;
}

static int parse_witnesses(struct policy_parse *p, char **tok, size_t n)
{
	uint64_t v;

	if (n != 2 || util_parse_u64(tok[1], &v, 0) < 0)
		return parse_fail(p, _("usage: witnesses NUMBER"));
	if (v < POLICY_MIN_WITNESSES)
		return parse_fail(p, _("rule two-witnesses cannot be relaxed: %s is below 2"), tok[1]);
	if (v > POLICY_MAX_WITNESSES)
		return parse_fail(p, _("witnesses %s: at most 16"), tok[1]);
	p->pol->witnesses = (unsigned)v;
	return 0;
}

/* Split @line in place on white space; returns the token count. */
static size_t split(char *line, char **tok, size_t max)
{
	size_t n = 0;
	char *save = NULL;

	for (char *t = strtok_r(line, " \t\r\n", &save); t && n < max;
	     t = strtok_r(NULL, " \t\r\n", &save))
		tok[n++] = t;
	return n;
}

static int parse_line(struct policy_parse *p, char *line)
{
	char *tok[16];
	char *hash = strchr(line, '#');
	size_t n;

	if (hash)
		*hash = '\0';
	n = split(line, tok, UTIL_ARRAY_SIZE(tok));
	if (n == 0)
		return 0;
	if (strcmp(tok[0], "destinations") == 0)
		return parse_destinations(p, tok, n);
	if (strcmp(tok[0], "minimum") == 0)
		return parse_minimum(p, tok, n);
	if (strcmp(tok[0], "witnesses") == 0)
		return parse_witnesses(p, tok, n);
	return parse_fail(p, _("unknown directive '%s'"), tok[0]);
}

/* Parse @data (NUL-terminated, no NUL inside) into @pol. */
static int parse_text(struct policy *pol, const char *name, char *data, char **cause)
{
	struct policy_parse p = { .pol = pol, .file = name, .line = 0, .cause = cause };
	char *save = NULL, *line;
	int rc = 0;

	/* strtok_r would skip empty lines and miscount: walk by hand. */
	for (line = data; line && rc == 0; line = save) {
		save = strchr(line, '\n');
		if (save)
			*save++ = '\0';
		p.line++;
		rc = parse_line(&p, line);
	}
	return rc;
}

static int policy_parse_file(struct policy *pol, const char *path, char **cause)
{
	char *data = NULL;
	int rc = util_read_config(path, &data, NULL, cause);

	if (rc == -ENOENT) {
		if (cause) {
			free(*cause);
			*cause = NULL;
		}
		return 0;
	}
	if (rc < 0)
		return rc;
	rc = parse_text(pol, path, data, cause);
	free(data);
	return rc;
}

int policy_parse_text(const char *name, const char *text, size_t len, struct policy **out,
		      char **cause)
{
	struct policy *pol;
	char *copy;
	int rc = util_check_config_text(name, text, len, UTIL_CONFIG_MAX, cause);

	if (rc < 0)
		return rc;
	pol = calloc(1, sizeof(*pol));
	copy = malloc(len + 1);
	if (!pol || !copy) {
		free(pol);
		free(copy);
		return util_fail(cause, -ENOMEM, _("out of memory"));
	}
	memcpy(copy, text, len);
	copy[len] = '\0';
	policy_defaults(pol);
	rc = parse_text(pol, name, copy, cause);
	free(copy);
	if (rc < 0) {
		free(pol);
		return rc;
	}
	*out = pol;
	return 0;
}

int policy_load(const char *const *paths, size_t n, struct policy **out, char **cause)
{
	struct policy *pol = calloc(1, sizeof(*pol));
	int rc = 0;

	if (!pol)
		return util_fail(cause, -ENOMEM, _("out of memory"));
	policy_defaults(pol);
	for (size_t i = 0; i < n && rc == 0; i++)
		if (paths[i])
			rc = policy_parse_file(pol, paths[i], cause);
	if (rc < 0) {
		free(pol);
		return rc;
	}
	*out = pol;
	return 0;
}

int policy_load_default(const char *state_dir, struct policy **out, char **cause)
{
	const char *dir = getenv("CUSTOS_PROFILE_DIR");
	char *paths[2];
	int rc = -ENOMEM;

	paths[0] = util_asprintf("%s/policy.conf", dir && *dir ? dir : CUSTOS_DATADIR "/profiles");
	paths[1] = state_dir ? util_asprintf("%s/policy.conf", state_dir) : NULL;
	if (paths[0] && (paths[1] || !state_dir))
		rc = policy_load((const char *const *)paths, 2, out, cause);
	else
		util_fail(cause, rc, _("out of memory"));
	free(paths[0]);
	free(paths[1]);
	return rc;
}

void policy_free(struct policy *pol)
{
	free(pol);
}

int policy_check_reclassify(const struct policy *pol, enum policy_level from,
			    enum policy_level to, char **cause)
{
	(void)pol;
	if (to < from)
		return util_fail(cause, -EPERM,
				 _("policy rule no-downgrade: a %s (%s) medium cannot be "
				 "reclassified down to %s (%s)"), level_en[from], level_zh[from],
				 level_en[to], level_zh[to]);
	return 0;
}

enum policy_nist policy_minimum(const struct policy *pol, enum policy_level highest,
				enum policy_kind kind)
{
	if ((unsigned)highest >= POLICY_LEVEL_COUNT || (unsigned)kind >= POLICY_KIND_COUNT)
		return POLICY_NIST_DESTROY;
	return pol->min[highest][kind];
}

int policy_check_sanitize(const struct policy *pol, enum policy_level level,
			  enum policy_level highest, enum policy_kind kind,
			  enum policy_nist cat, enum policy_dest dest, char **cause)
{
	enum policy_level h = highest > level ? highest : level;
	enum policy_nist need;

	if ((unsigned)h >= POLICY_LEVEL_COUNT || (unsigned)dest >= POLICY_DEST_COUNT ||
	    (unsigned)kind >= POLICY_KIND_COUNT || (unsigned)cat >= POLICY_NIST_COUNT)
		return util_fail(cause, -EINVAL, _("policy: value out of range"));
	if (h == POLICY_LEVEL_TOP_SECRET && dest != POLICY_DEST_DESTRUCTION)
		return util_fail(cause, -EPERM, _("policy rule top-secret-destruction: a top-secret "
				 "(绝密) medium leaves service only by physical destruction, not %s"),
				 dest_names[dest]);
	if (h > POLICY_LEVEL_INTERNAL &&
	    (dest == POLICY_DEST_EXTERNAL_REUSE || dest == POLICY_DEST_RECYCLING))
		return util_fail(cause, -EPERM, _("policy rule release-internal-only: %s is only for "
				 "media never classified above internal; this one was %s (%s)"),
				 dest_names[dest], level_en[h], level_zh[h]);
	if (!pol->dest[h][dest])
		return util_fail(cause, -EPERM, _("policy rule destinations: %s (%s) media may not "
				 "go to %s"), level_en[h], level_zh[h], dest_names[dest]);
	need = pol->min[h][kind];
	if (dest != POLICY_DEST_DESTRUCTION && cat < need)
		return util_fail(cause, -EPERM, _("policy rule minimum-sanitization: "
				 "%s (%s) %s media need %s%s; %s is not enough"), level_en[h], level_zh[h],
				 kind_names[kind], nist_names[need],
				 need == POLICY_NIST_DESTROY ? " (destination destruction)" :
				 " or destination destruction", nist_names[cat]);
	return 0;
}

bool policy_is_allowed(const struct policy *pol, enum policy_level level,
		       enum policy_level highest, enum policy_kind kind,
		       enum policy_nist cat, enum policy_dest dest)
{
	return policy_check_sanitize(pol, level, highest, kind, cat, dest, NULL) == 0;
}

unsigned policy_witnesses(const struct policy *pol)
{
	return pol ? pol->witnesses : POLICY_MIN_WITNESSES;
}

/* Compare two names as names_equal() does: NFKC, white space folded, ASCII
 * case ignored ("张　三" is "张三"). */
bool policy_same_person(const char *a, const char *b)
{
	return names_equal(a, b);
}

static bool is_blank(const char *s)
{
	return names_blank(s);
}

int policy_check_destroy(const struct policy *pol, const char *const *witnesses, size_t n,
			 char **cause)
{
	unsigned need = policy_witnesses(pol), distinct = 0;
	const char *twice = NULL;

	for (size_t i = 0; i < n; i++) {
		bool dup = is_blank(witnesses[i]);

		for (size_t j = 0; j < i && !dup; j++)
			dup = !is_blank(witnesses[j]) && policy_same_person(witnesses[i], witnesses[j]);
		if (!dup)
			distinct++;
		else if (!twice && !is_blank(witnesses[i]))
			twice = witnesses[i];
	}
	if (distinct < need)
		return util_fail(cause, -EPERM, _("policy rule two-witnesses: destruction needs %u "
				 "distinct witnesses (监销人), %u given"), need, distinct);
	/* every name given must be another person: the certificate lists them all */
	if (twice)
		return util_fail(cause, -EPERM, _("policy rule two-witnesses: the witnesses must be "
				 "distinct people, '%s' is named twice"), twice);
	if (distinct < n)
		return util_fail(cause, -EPERM, _("policy rule two-witnesses: a witness without a "
				 "name"));
	return 0;
}
