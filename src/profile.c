/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "profile.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

static const char *const method_names[PROFILE_METHOD_COUNT] = {
	[PROFILE_METHOD_OVERWRITE] = "overwrite",
	[PROFILE_METHOD_ATA_SECURE_ERASE] = "ata-secure-erase",
	[PROFILE_METHOD_ATA_ENHANCED_SECURE_ERASE] = "ata-enhanced-secure-erase",
	[PROFILE_METHOD_ATA_SANITIZE_BLOCK] = "ata-sanitize-block",
	[PROFILE_METHOD_ATA_SANITIZE_CRYPTO] = "ata-sanitize-crypto",
	[PROFILE_METHOD_ATA_SANITIZE_OVERWRITE] = "ata-sanitize-overwrite",
	[PROFILE_METHOD_NVME_FORMAT_USER] = "nvme-format-user",
	[PROFILE_METHOD_NVME_FORMAT_CRYPTO] = "nvme-format-crypto",
	[PROFILE_METHOD_NVME_SANITIZE_BLOCK] = "nvme-sanitize-block",
	[PROFILE_METHOD_NVME_SANITIZE_CRYPTO] = "nvme-sanitize-crypto",
	[PROFILE_METHOD_NVME_SANITIZE_OVERWRITE] = "nvme-sanitize-overwrite",
	[PROFILE_METHOD_PURGE] = "purge",
};

static const char *const verify_names[] = { "last", "all", "sample", "none" };
static const char *const nist_names[] = { "none", "clear", "purge" };
static const char *const kind_names[PROFILE_N_KINDS] = {
	"hdd", "ssd", "nvme", "usb-flash", "sd-mmc", "virtual"
};

const char *profile_method_name(enum profile_method m)
{
	return (unsigned)m < PROFILE_METHOD_COUNT ? method_names[m] : "unknown";
}

const char *profile_verify_name(enum profile_verify v)
{
	return (unsigned)v < UTIL_ARRAY_SIZE(verify_names) ? verify_names[v] : "unknown";
}

int profile_verify_parse(const char *s, enum profile_verify *out)
{
	if (strcmp(s, "full") == 0) {
		*out = PROFILE_VERIFY_LAST;
		return 0;
	}
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(verify_names); i++) {
		if (strcmp(s, verify_names[i]) == 0) {
			*out = (enum profile_verify)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *profile_nist_name(enum profile_nist n)
{
	return (unsigned)n < UTIL_ARRAY_SIZE(nist_names) ? nist_names[n] : "unknown";
}

const char *profile_kind_name(size_t kind)
{
	return kind < PROFILE_N_KINDS ? kind_names[kind] : "unknown";
}

int profile_kind_index(const char *kind)
{
	for (size_t i = 0; i < PROFILE_N_KINDS; i++)
		if (strcmp(kind, kind_names[i]) == 0)
			return (int)i;
	return -1;
}

enum profile_nist profile_nist_for(const struct profile *p, const char *media_kind)
{
	int k = media_kind ? profile_kind_index(media_kind) : -1;

	return k < 0 ? PROFILE_NIST_NONE : p->nist[k];
}

void profile_pass_describe(const struct profile_pass *pass, char *buf, size_t len)
{
	size_t used;

	if (pass->kind == PROFILE_PASS_RANDOM || pass->kind == PROFILE_PASS_COMPLEMENT) {
		snprintf(buf, len, "%s", pass->kind == PROFILE_PASS_RANDOM ? "random" : "complement");
		return;
	}
	if (pass->pattern_len == 1) {
		snprintf(buf, len, "byte 0x%02x", pass->pattern[0]);
		return;
	}
	used = (size_t)snprintf(buf, len, "pattern");
	for (size_t i = 0; i < pass->pattern_len && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, " 0x%02x", pass->pattern[i]);
}

/* Parser state for one file. */
struct parse {
	const char *path;
	unsigned line;
	struct profile *p;
	unsigned seen;			/* bits of keys seen (non-repeatable ones) */
	unsigned nist_line[PROFILE_N_KINDS];
	bool markers_set;
	char **cause;
};

static int perr(struct parse *ps, const char *fmt, ...) UTIL_PRINTF(2, 3);
static int perr(struct parse *ps, const char *fmt, ...)
{
	char *msg;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	msg = util_vasprintf(fmt, ap);
	va_end(ap);
	if (ps->line)
		rc = util_fail(ps->cause, -EINVAL, "%s:%u: %s", ps->path, ps->line,
			       msg ? msg : "error");
	else
		rc = util_fail(ps->cause, -EINVAL, "%s: %s", ps->path, msg ? msg : "error");
	free(msg);
	return rc;
}

static int parse_byte(const char *s, uint8_t *out)
{
	size_t n = strlen(s);
	unsigned v = 0;

	if (n < 3 || n > 4 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
		return -EINVAL;
	for (size_t i = 2; i < n; i++) {
		if (!isxdigit((unsigned char)s[i]))
			return -EINVAL;
		v = v * 16 + (unsigned)(isdigit((unsigned char)s[i]) ? s[i] - '0' :
					(tolower((unsigned char)s[i]) - 'a' + 10));
	}
	*out = (uint8_t)v;
	return 0;
}

/* "0xNN 0xNN ..." into @pass; at most @max bytes. */
static int parse_bytes(struct parse *ps, char *list, struct profile_pass *pass, size_t max)
{
	char *save = NULL;

	pass->pattern_len = 0;
	for (char *tok = strtok_r(list, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		if (pass->pattern_len == max)
			return perr(ps, _("pattern longer than %zu bytes"), max);
		if (parse_byte(tok, &pass->pattern[pass->pattern_len]) < 0)
			return perr(ps, _("bad byte '%s' (want 0x00 .. 0xff)"), tok);
		pass->pattern_len++;
	}
	if (!pass->pattern_len)
		return perr(ps, _("pattern needs at least one byte"));
	return 0;
}

static int key_pass(struct parse *ps, char *v)
{
	struct profile_pass pass = { 0 };
	char *arg = v + strcspn(v, " \t");

	if (*arg)
		*arg++ = '\0';
	arg = util_strstrip(arg);
	if (ps->p->n_passes == PROFILE_MAX_PASSES)
		return perr(ps, _("more than %d passes"), PROFILE_MAX_PASSES);
	if (strcmp(v, "random") == 0 || strcmp(v, "complement") == 0) {
		if (*arg)
			return perr(ps, _("'%s' takes no argument"), v);
		pass.kind = v[0] == 'r' ? PROFILE_PASS_RANDOM : PROFILE_PASS_COMPLEMENT;
		if (pass.kind == PROFILE_PASS_COMPLEMENT && ps->p->n_passes == 0)
			return perr(ps, _("complement needs a previous pass"));
	} else if (strcmp(v, "byte") == 0) {
		pass.kind = PROFILE_PASS_PATTERN;
		if (parse_bytes(ps, arg, &pass, 1) < 0)
			return -EINVAL;
	} else if (strcmp(v, "pattern") == 0) {
		pass.kind = PROFILE_PASS_PATTERN;
		if (parse_bytes(ps, arg, &pass, PROFILE_PATTERN_MAX) < 0)
			return -EINVAL;
	} else {
		return perr(ps, _("bad pass '%s' (want byte, pattern, complement or random)"), v);
	}
	ps->p->passes[ps->p->n_passes++] = pass;
	return 0;
}

static int key_text(struct parse *ps, char *dst, size_t size, const char *key, const char *v)
{
	if (!*v)
		return perr(ps, _("%s is empty"), key);
	if (util_strlcpy(dst, v, size) >= size)
		return perr(ps, _("%s longer than %zu characters"), key, size - 1);
	return 0;
}

static int key_method(struct parse *ps, const char *v)
{
	for (size_t i = 0; i < PROFILE_METHOD_COUNT; i++) {
		if (strcmp(v, method_names[i]) == 0) {
			ps->p->method = (enum profile_method)i;
			return 0;
		}
	}
	return perr(ps, _("unknown method '%s'"), v);
}

static int key_bool(struct parse *ps, const char *key, const char *v, bool *out)
{
	if (strcmp(v, "yes") == 0 || strcmp(v, "no") == 0) {
		*out = v[0] == 'y';
		return 0;
	}
	return perr(ps, _("%s must be yes or no, not '%s'"), key, v);
}

static int key_nist(struct parse *ps, const char *kind, const char *v)
{
	int k = profile_kind_index(kind);

	if (k < 0)
		return perr(ps, _("unknown media kind 'nist.%s'"), kind);
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(nist_names); i++) {
		if (strcmp(v, nist_names[i]) == 0) {
			if (ps->nist_line[k])
				return perr(ps, _("nist.%s given twice"), kind);
			ps->p->nist[k] = (enum profile_nist)i;
			ps->nist_line[k] = ps->line;
			return 0;
		}
	}
	return perr(ps, _("nist.%s must be clear, purge or none, not '%s'"), kind, v);
}

enum { K_NAME = 1, K_TITLE = 2, K_REF = 4, K_METHOD = 8, K_VERIFY = 16, K_RESTORE = 32,
       K_MARKERS = 64 };

static const struct {
	const char *key;
	unsigned bit;
} single_keys[] = {
	{ "name", K_NAME }, { "title", K_TITLE }, { "reference", K_REF }, { "method", K_METHOD },
	{ "verify", K_VERIFY }, { "restore-max", K_RESTORE }, { "markers", K_MARKERS },
};

static int key_single(struct parse *ps, unsigned bit, const char *key, char *v)
{
	struct profile *p = ps->p;

	if (ps->seen & bit)
		return perr(ps, _("%s given twice"), key);
	ps->seen |= bit;
	switch (bit) {
	case K_NAME:
		return key_text(ps, p->name, sizeof(p->name), key, v);
	case K_TITLE:
		return key_text(ps, p->title, sizeof(p->title), key, v);
	case K_REF:
		return key_text(ps, p->reference, sizeof(p->reference), key, v);
	case K_METHOD:
		return key_method(ps, v);
	case K_VERIFY:
		if (strcmp(v, "full") == 0 || profile_verify_parse(v, &p->verify) < 0)
			return perr(ps, _("verify must be last, all, sample or none, not '%s'"), v);
		return 0;
	case K_RESTORE:
		return key_bool(ps, key, v, &p->restore_max);
	default:
		ps->markers_set = true;
		return key_bool(ps, key, v, &p->markers);
	}
}

static int parse_line(struct parse *ps, char *line)
{
	char *hash, *eq, *key, *v;

	/* '#' starts a comment at the line start or after white space. */
	for (hash = strchr(line, '#'); hash; hash = strchr(hash + 1, '#')) {
		if (hash == line || isspace((unsigned char)hash[-1])) {
			*hash = '\0';
			break;
		}
	}
	line = util_strstrip(line);
	if (!*line)
		return 0;
	eq = strchr(line, '=');
	if (!eq)
		return perr(ps, _("expected 'key = value'"));
	*eq = '\0';
	key = util_strstrip(line);
	v = util_strstrip(eq + 1);
	if (strcmp(key, "pass") == 0)
		return key_pass(ps, v);
	if (strncmp(key, "nist.", 5) == 0)
		return key_nist(ps, key + 5, v);
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(single_keys); i++)
		if (strcmp(key, single_keys[i].key) == 0)
			return key_single(ps, single_keys[i].bit, key, v);
	return perr(ps, _("unknown key '%s'"), key);
}

/* The file's base name without ".profile" into @buf. */
static void base_name(const char *path, char *buf, size_t len)
{
	const char *slash = strrchr(path, '/');
	size_t n;

	util_strlcpy(buf, slash ? slash + 1 : path, len);
	n = strlen(buf);
	if (n > 8 && strcmp(buf + n - 8, ".profile") == 0)
		buf[n - 8] = '\0';
}

/* Whole-file rules, checked after the last line. */
static int check_profile(struct parse *ps)
{
	struct profile *p = ps->p;
	char base[256];

	ps->line = 0;
	if (!(ps->seen & K_NAME))
		return perr(ps, _("missing required key 'name'"));
	if (!(ps->seen & K_TITLE))
		return perr(ps, _("missing required key 'title'"));
	if (!(ps->seen & K_METHOD))
		return perr(ps, _("missing required key 'method'"));
	base_name(ps->path, base, sizeof(base));
	if (strcmp(base, p->name) != 0)
		return perr(ps, _("name '%s' differs from the file name '%s'"), p->name, base);
	if (p->method == PROFILE_METHOD_OVERWRITE && !p->n_passes)
		return perr(ps, _("method overwrite needs at least one pass"));
	if (p->method != PROFILE_METHOD_OVERWRITE && p->n_passes)
		return perr(ps, _("pass lines are only for method = overwrite"));
	/* NIST SP 800-88: a host overwrite is Clear on every media kind. */
	for (size_t k = 0; k < PROFILE_N_KINDS; k++) {
		if (p->method == PROFILE_METHOD_OVERWRITE && p->nist[k] == PROFILE_NIST_PURGE) {
			ps->line = ps->nist_line[k];
			return perr(ps, _("an overwrite is at most clear on %s; purge refused"),
				    kind_names[k]);
		}
	}
	if (!ps->markers_set)
		p->markers = p->method != PROFILE_METHOD_OVERWRITE;
	return 0;
}

int profile_parse(const char *path, const char *text, struct profile *out, char **cause)
{
	struct parse ps = { .path = path, .p = out, .cause = cause };
	char *copy = strdup(text), *line, *save = NULL;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (!copy)
		return util_fail(cause, -ENOMEM, _("%s: out of memory"), path);
	util_strlcpy(out->source, path, sizeof(out->source));
	/* strtok_r would skip empty lines and miscount: split by hand. */
	for (line = copy; line && rc == 0; line = save) {
		save = strchr(line, '\n');
		if (save)
			*save++ = '\0';
		ps.line++;
		rc = parse_line(&ps, line);
	}
	free(copy);
	return rc ? rc : check_profile(&ps);
}

int profile_load_file(const char *path, struct profile *out, char **cause)
{
	char *text = NULL;
	int rc = util_read_config(path, &text, NULL, cause);

	if (rc < 0)
		return rc;
	rc = profile_parse(path, text, out, cause);
	free(text);
	return rc;
}

/* The search path: up to three directories into @dirs; returns how many. */
static size_t search_dirs(const char *state_dir, char dirs[3][PATH_MAX])
{
	const char *env = getenv("CUSTOS_PROFILE_DIR");
	size_t n = 0;

	if (env && *env)
		util_strlcpy(dirs[n++], env, PATH_MAX);
	if (state_dir && *state_dir)
		snprintf(dirs[n++], PATH_MAX, "%s/profiles", state_dir);
	util_strlcpy(dirs[n++], CUSTOS_DATADIR "/profiles", PATH_MAX);
	return n;
}

static bool valid_name(const char *name)
{
	if (!*name || strlen(name) > 63)
		return false;
	for (const char *c = name; *c; c++)
		if (!isalnum((unsigned char)*c) && *c != '-' && *c != '_' && *c != '.')
			return false;
	return name[0] != '.';
}

int profile_find(const char *name, const char *state_dir, struct profile *out, char **cause)
{
	char dirs[3][PATH_MAX];
	size_t n = search_dirs(state_dir, dirs);

	if (!valid_name(name))
		return util_fail(cause, -EINVAL, _("bad profile name '%s'"), name);
	for (size_t i = 0; i < n; i++) {
		char *path = util_asprintf("%s/%s.profile", dirs[i], name);
		int rc;

		if (!path)
			return util_fail(cause, -ENOMEM, _("out of memory"));
		if (faccessat(AT_FDCWD, path, F_OK, AT_SYMLINK_NOFOLLOW) != 0) {
			free(path);
			continue;
		}
		rc = profile_load_file(path, out, cause);
		free(path);
		return rc;
	}
	return util_fail(cause, -ENOENT, _("no profile named '%s' (see 'custos profiles')"), name);
}

static bool have_name(const struct profile *list, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i].name, name) == 0)
			return true;
	return false;
}

struct list_acc {
	struct profile *v;
	size_t n, cap;
	bool strict;
};

/* Add every NAME.profile of @dir not already listed. */
static int list_dir(const char *dir, struct list_acc *acc, char **cause)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int rc = 0;

	if (!d)
		return 0;
	while (rc == 0 && (e = readdir(d))) {
		size_t len = strlen(e->d_name);
		char *path, *err = NULL;
		struct profile p;

		if (len <= 8 || strcmp(e->d_name + len - 8, ".profile") != 0 || e->d_name[0] == '.')
			continue;
		path = util_asprintf("%s/%s", dir, e->d_name);
		if (!path) {
			rc = util_fail(cause, -ENOMEM, _("out of memory"));
			break;
		}
		rc = profile_load_file(path, &p, &err);
		free(path);
		if (rc < 0 && !acc->strict) {
			util_warn("%s", err);
			rc = 0;
			free(err);
			continue;
		}
		if (rc < 0) {
			if (cause)
				*cause = err;
			else
				free(err);
			break;
		}
		if (have_name(acc->v, acc->n, p.name))
			continue;
		if (acc->n == acc->cap) {
			size_t cap = acc->cap ? acc->cap * 2 : 16;
			struct profile *v = realloc(acc->v, cap * sizeof(*v));

			if (!v) {
				rc = util_fail(cause, -ENOMEM, _("out of memory"));
				break;
			}
			acc->v = v;
			acc->cap = cap;
		}
		acc->v[acc->n++] = p;
	}
	closedir(d);
	return rc;
}

static int cmp_profile(const void *a, const void *b)
{
	return strcmp(((const struct profile *)a)->name, ((const struct profile *)b)->name);
}

int profile_list(const char *state_dir, bool strict, struct profile **out, size_t *n,
		 char **cause)
{
	struct list_acc acc = { .strict = strict };
	char dirs[3][PATH_MAX];
	size_t nd = search_dirs(state_dir, dirs);
	int rc = 0;

	for (size_t i = 0; i < nd && rc == 0; i++)
		rc = list_dir(dirs[i], &acc, cause);
	if (rc < 0) {
		free(acc.v);
		return rc;
	}
	if (acc.n)
		qsort(acc.v, acc.n, sizeof(*acc.v), cmp_profile);
	*out = acc.v;
	*n = acc.n;
	return 0;
}

json_t *profile_to_json(const struct profile *p)
{
	json_t *o = json_object(), *passes = json_array(), *nist = json_object();
	char desc[512];

	if (!o || !passes || !nist) {
		json_decref(o);
		json_decref(passes);
		json_decref(nist);
		return NULL;
	}
	for (size_t i = 0; i < p->n_passes; i++) {
		profile_pass_describe(&p->passes[i], desc, sizeof(desc));
		json_array_append_new(passes, json_string(desc));
	}
	for (size_t k = 0; k < PROFILE_N_KINDS; k++)
		json_object_set_new(nist, kind_names[k], json_string(nist_names[p->nist[k]]));
	json_object_set_new(o, "name", json_string(p->name));
	json_object_set_new(o, "title", json_string(p->title));
	if (p->reference[0])
		json_object_set_new(o, "reference", json_string(p->reference));
	json_object_set_new(o, "method", json_string(profile_method_name(p->method)));
	json_object_set_new(o, "passes", passes);
	json_object_set_new(o, "verify", json_string(profile_verify_name(p->verify)));
	json_object_set_new(o, "nist", nist);
	json_object_set_new(o, "restore_max", json_boolean(p->restore_max));
	json_object_set_new(o, "markers", json_boolean(p->markers));
	json_object_set_new(o, "source", json_string(p->source));
	return o;
}
