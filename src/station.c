/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * station: the station's identity (station.conf), its key pair and the
 * layout of its state directory.  station.conf holds key=value lines:
 *   org, name, prefix, key_type, created (ISO 8601, UTC), and optionally
 *   register (the libpq conninfo of the central PostgreSQL register),
 *   operator (the default operator's name, see staff_default_operator()),
 *   virtual_media_dirs (/dir:/dir2, more places for virtual media)
 * Blank lines and lines starting with '#' are ignored, as are unknown keys.
 */
#include "station.h"

#include <ctype.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "device.h"
#include "keyring.h"
#include "util.h"

#define CONF_NAME "station.conf"
#define KEY_NAME "station.key"
#define PUB_NAME "station.pub"

static const char *const subdirs[] = { "certs", "virtual", "jobs", "profiles" };

char *station_path(const struct station *st, const char *name)
{
	return util_asprintf("%s/%s", st->state_dir, name);
}

static char *dir_path(const char *dir, const char *name)
{
	return util_asprintf("%s/%s", dir, name);
}

/* A value must be one non-empty line of printable text (UTF-8 allowed). */
static bool valid_value(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

/* "Office 3 West" -> "OFFICE3W": upper-case letters and digits, at most 8. */
static void derive_prefix(const char *name, char *out, size_t len)
{
	size_t n = 0;

	for (; *name && n + 1 < len && n < 8; name++)
		if (isascii((unsigned char)*name) && isalnum((unsigned char)*name))
			out[n++] = (char)toupper((unsigned char)*name);
	out[n] = '\0';
	if (n == 0)
		util_strlcpy(out, "CUSTOS", len);
}

/* Only an all-ASCII name whose prefix starts with a letter gives one:
 * "保密室-1" would give "1", certificates numbered "1-2026-000003". */
static bool name_gives_prefix(const char *name)
{
	char prefix[16];

	for (const char *p = name; *p; p++)
		if (!isascii((unsigned char)*p))
			return false;
	derive_prefix(name, prefix, sizeof(prefix));
	return isalpha((unsigned char)prefix[0]) && strcmp(prefix, "CUSTOS") != 0;
}

static int make_dirs(const char *state_dir, char **cause)
{
	int rc;

	rc = util_mkdir_p(state_dir, 0700);
	if (rc == 0 && chmod(state_dir, 0700) < 0)
		rc = -errno;
	if (rc < 0)
		return util_fail(cause, rc, _("cannot create the state directory %s: %s"), state_dir,
				 strerror(-rc));
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(subdirs); i++) {
		char *p = dir_path(state_dir, subdirs[i]);

		rc = p ? util_mkdir_p(p, 0700) : -ENOMEM;
		if (rc < 0) {
			rc = util_fail(cause, rc, _("cannot create %s: %s"), p ? p : subdirs[i],
				       strerror(-rc));
			free(p);
			return rc;
		}
		free(p);
	}
	return 0;
}

static int write_conf(const char *state_dir, const struct station_init_opts *o, char **cause)
{
	char prefix[16], created[32];
	char *path, *text;
	int rc;

	if (o->prefix)
		util_strlcpy(prefix, o->prefix, sizeof(prefix));
	else
		derive_prefix(o->name, prefix, sizeof(prefix));
	util_iso8601(util_unix_now(), created, sizeof(created));
	path = dir_path(state_dir, CONF_NAME);
	text = util_asprintf("# custos station configuration (written by custos init)\n"
			     "org=%s\nname=%s\nprefix=%s\nkey_type=%s\ncreated=%s\n",
			     o->org, o->name, prefix, sign_key_type_name(o->key_type), created);
	if (!path || !text) {
		rc = util_fail(cause, -ENOMEM, _("out of memory"));
		goto out;
	}
	rc = util_write_file_atomic(path, text, strlen(text), 0644);
	if (rc < 0)
		rc = util_fail(cause, rc, _("cannot write %s: %s"), path, strerror(-rc));
	if (rc == 0 && o->register_conninfo)
		rc = station_set(state_dir, "register", o->register_conninfo, cause);
out:
	free(path);
	free(text);
	return rc;
}

/* station.conf without its "@key=" lines, then "@key=@value" when set. */
static char *conf_with(const char *text, const char *key, const char *value)
{
	size_t klen = strlen(key), cap = strlen(text) + klen + (value ? strlen(value) : 0) + 4;
	char *out = calloc(1, cap), *p = out;
	const char *line = text;

	if (!out)
		return NULL;
	while (*line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) + 1 : strlen(line);
		const char *k = line;

		while (*k == ' ' || *k == '\t')
			k++;
		if (!(strncmp(k, key, klen) == 0 && (k[klen] == '=' || k[klen] == ' '))) {
			memcpy(p, line, len);
			p += len;
			if (!end)
				*p++ = '\n';
		}
		line += len;
	}
	if (value)
		sprintf(p, "%s=%s\n", key, value);
	return out;
}

int station_set(const char *state_dir, const char *key, const char *value, char **cause)
{
	char *path = NULL, *text = NULL, *out = NULL;
	int rc;

	if (strcmp(key, "register") != 0)
		return util_fail(cause, -EINVAL, _("station set: unknown key '%s' (known: register)"),
				 key);
	if (value && (!*value || !valid_value(value)))
		return util_fail(cause, -EINVAL, _("station set: the value must be one non-empty line"));
	path = dir_path(state_dir, CONF_NAME);
	rc = path ? util_read_file(path, &text, NULL) : -ENOMEM;
	if (rc < 0) {
		rc = util_fail(cause, rc, _("cannot read %s: %s"), path ? path : CONF_NAME,
			       strerror(-rc));
		goto out;
	}
	out = conf_with(text, key, value);
	rc = out ? util_write_file_atomic(path, out, strlen(out), 0644) : -ENOMEM;
	if (rc < 0)
		rc = util_fail(cause, rc, _("cannot write %s: %s"), path, strerror(-rc));
out:
	free(path);
	free(text);
	free(out);
	return rc;
}

static int check_opts(const struct station_init_opts *o, char **cause)
{
	if (!valid_value(o->org))
		return util_fail(cause, -EINVAL, _("the organisation name must be one non-empty line"));
	if (!valid_value(o->name))
		return util_fail(cause, -EINVAL, _("the station name must be one non-empty line"));
	if (o->prefix) {
		if (!*o->prefix || strlen(o->prefix) > 12)
			return util_fail(cause, -EINVAL, _("the prefix must have 1 to 12 characters"));
		for (const char *p = o->prefix; *p; p++)
			if (!isascii((unsigned char)*p) || !isalnum((unsigned char)*p))
				return util_fail(cause, -EINVAL, _("the prefix '%s' may hold only ASCII "
						 "letters and digits"), o->prefix);
	} else if (!name_gives_prefix(o->name)) {
		return util_fail(cause, -EINVAL, _("the station name '%s' gives no certificate "
				 "prefix: choose one with --prefix (ASCII letters and digits, "
				 "e.g. --prefix BMS1)"), o->name);
	}
	return 0;
}

/* A first key pair, or (--force over a set-up station) a re-key that keeps
 * the old public key in the keyring and records "key-rotated". */
static int new_key(const char *state_dir, const struct station_init_opts *opts,
		   const char *key, char **cause)
{
	char *conf = dir_path(state_dir, CONF_NAME), *pub = dir_path(state_dir, PUB_NAME);
	bool rekey = opts->force && access(key, F_OK) == 0 && conf && access(conf, F_OK) == 0;
	int rc = conf && pub ? 0 : util_fail(cause, -ENOMEM, _("out of memory"));

	if (rc == 0 && rekey)
		rc = keyring_rekey(state_dir, opts->key_type, station_operator(), NULL, cause);
	else if (rc == 0)
		rc = sign_generate(opts->key_type, key, pub, cause);
	if (rc == 0)
		rc = write_conf(state_dir, opts, cause);
	if (rc == 0 && !rekey)
		rc = keyring_init_station(state_dir, station_operator(), cause);
	free(conf);
	free(pub);
	return rc;
}

int station_init(const char *state_dir, const struct station_init_opts *opts, char **cause)
{
	char *key = NULL;
	int rc;

	rc = check_opts(opts, cause);
	if (rc < 0)
		return rc;
	key = dir_path(state_dir, KEY_NAME);
	if (!key) {
		rc = util_fail(cause, -ENOMEM, _("out of memory"));
		goto out;
	}
	if (!opts->force && access(key, F_OK) == 0) {
		rc = util_fail(cause, -EEXIST,
			       _("a station key already exists in %s; it is kept (use --force, or "
			       "'custos station rekey', to replace it: the old public key stays "
			       "in the keyring, so what it signed keeps verifying)"), state_dir);
		goto out;
	}
	rc = make_dirs(state_dir, cause);
	if (rc == 0)
		rc = new_key(state_dir, opts, key, cause);
out:
	free(key);
	return rc;
}

void station_free(struct station *st)
{
	if (!st)
		return;
	free(st->state_dir);
	free(st->org);
	free(st->name);
	free(st->prefix);
	free(st->register_conninfo);
	free(st->operator_name);
	free(st->media_dirs);
	free(st);
}

/* Store one "key=value" line of station.conf into @st. */
static int conf_line(struct station *st, char *line, bool *has_type)
{
	char *eq = strchr(line, '='), **slot = NULL;

	if (!eq)
		return -EINVAL;
	*eq = '\0';
	util_strstrip(line);
	if (strcmp(line, "org") == 0)
		slot = &st->org;
	else if (strcmp(line, "name") == 0)
		slot = &st->name;
	else if (strcmp(line, "prefix") == 0)
		slot = &st->prefix;
	else if (strcmp(line, "register") == 0)
		slot = &st->register_conninfo;
	else if (strcmp(line, "operator") == 0)
		slot = &st->operator_name;
	else if (strcmp(line, "virtual_media_dirs") == 0)
		slot = &st->media_dirs;
	else if (strcmp(line, "key_type") == 0) {
		*has_type = true;
		return sign_key_type_parse(util_strstrip(eq + 1), &st->key_type);
	}
	if (!slot)
		return 0;	/* created, or a key from a newer version */
	free(*slot);
	*slot = strdup(util_strstrip(eq + 1));
	return *slot ? 0 : -ENOMEM;
}

static int parse_conf(struct station *st, char *text, const char *path, char **cause)
{
	char *save = NULL, *line;
	bool has_type = false;
	int lineno = 0, rc;

	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		if (*util_strstrip(line) == '\0' || *line == '#')
			continue;
		rc = conf_line(st, line, &has_type);
		if (rc < 0)
			return util_fail(cause, rc == -ENOMEM ? rc : -EINVAL, _("%s: line %d: %s"), path,
					 lineno, rc == -ENOMEM ? "out of memory" :
					 "expected key=value with a known key type");
	}
	if (!st->org || !st->name || !has_type)
		return util_fail(cause, -EINVAL, _("%s: org, name and key_type are required"), path);
	if (!st->prefix) {
		char prefix[16];

		derive_prefix(st->name, prefix, sizeof(prefix));
		st->prefix = strdup(prefix);
		if (!st->prefix)
			return util_fail(cause, -ENOMEM, _("out of memory"));
	}
	return 0;
}

static int load_fingerprint(struct station *st, char **cause)
{
	struct sign_key *key = NULL;
	int rc;

	rc = station_load_public_key(st, &key, cause);
	if (rc < 0)
		return rc;
	rc = sign_fingerprint(key, st->fingerprint);
	sign_key_free(key);
	if (rc < 0)
		return util_fail(cause, rc, _("cannot compute the public key fingerprint"));
	return 0;
}

int station_open(const char *state_dir, struct station **out, char **cause)
{
	struct station *st;
	char *path = NULL, *text = NULL;
	int rc;

	*out = NULL;
	st = calloc(1, sizeof(*st));
	if (st)
		st->state_dir = strdup(state_dir);
	if (!st || !st->state_dir) {
		rc = util_fail(cause, -ENOMEM, _("out of memory"));
		goto out;
	}
	path = station_path(st, CONF_NAME);
	rc = path ? util_read_file(path, &text, NULL) : -ENOMEM;
	if (rc == -ENOENT) {
		rc = util_fail(cause, rc, _("no station is set up in %s: run 'custos init --org NAME "
			       "--station NAME' first"), state_dir);
		goto out;
	} else if (rc < 0) {
		rc = util_fail(cause, rc, _("cannot read %s: %s"), path ? path : CONF_NAME,
			       strerror(-rc));
		goto out;
	}
	rc = parse_conf(st, text, path, cause);
	if (rc == 0)
		rc = load_fingerprint(st, cause);
	/* atomic-write temps a killed custos left (a minute old: never a
	 * running writer's) */
	if (rc == 0) {
		char *jobs = util_asprintf("%s/jobs", state_dir);

		util_clean_temps(state_dir, "", 60);
		if (jobs)
			util_clean_temps(jobs, "", 60);
		free(jobs);
	}

	if (rc == 0)
		rc = station_apply_media_dirs(st, cause);
out:
	free(path);
	free(text);
	if (rc < 0)
		station_free(st);
	else
		*out = st;
	return rc;
}

int station_apply_media_dirs(const struct station *st, char **cause)
{
	char *copy = NULL, *save = NULL, *why = NULL, *dir;
	const char **dirs = NULL;
	size_t n = 0;
	int rc = 0;

	if (st->media_dirs) {
		copy = strdup(st->media_dirs);
		dirs = calloc(strlen(st->media_dirs) / 2 + 1, sizeof(*dirs));
		if (!copy || !dirs) {
			rc = util_fail(cause, -ENOMEM, _("out of memory"));
			goto out;
		}
	}
	for (dir = copy ? strtok_r(copy, ":", &save) : NULL; dir && rc == 0;
	     dir = strtok_r(NULL, ":", &save)) {
		dir = util_strstrip(dir);
		if (*dir)
			rc = device_media_dir_valid(dir, &why);
		if (*dir && rc == 0)
			dirs[n++] = dir;
	}
	if (rc < 0)
		rc = util_fail(cause, rc, "%s/%s: %s", st->state_dir, CONF_NAME,
			       why ? why : "bad virtual_media_dirs");
	else if (device_set_media_dirs(st->state_dir, dirs, n) < 0)
		rc = util_fail(cause, -ENOMEM, _("out of memory"));
out:
	free(why);
	free(copy);
	free(dirs);
	return rc;
}

int station_media_setup(const char *state_dir, char **cause)
{
	struct station st = { .state_dir = (char *)state_dir };
	char *path, *text = NULL;
	int rc;

	/* Unreadable or broken: virtual/ alone (station_open says what is wrong). */
	path = dir_path(state_dir, CONF_NAME);
	rc = path ? util_read_file(path, &text, NULL) : -ENOMEM;
	if (rc == 0 && parse_conf(&st, text, path, NULL) == 0)
		rc = station_apply_media_dirs(&st, cause);
	else
		rc = device_set_media_dirs(state_dir, NULL, 0);
	free(st.org);
	free(st.name);
	free(st.prefix);
	free(st.media_dirs);
	free(st.register_conninfo);
	free(st.operator_name);
	free(text);
	free(path);
	return rc;
}

static int load_key(const struct station *st, const char *name, bool private,
		    struct sign_key **out, char **cause)
{
	char *path = station_path(st, name);
	int rc;

	*out = NULL;
	if (!path)
		return util_fail(cause, -ENOMEM, _("out of memory"));
	rc = private ? sign_load_private(path, out, cause) : sign_load_public(path, out, cause);
	free(path);
	return rc;
}

int station_load_signing_key(const struct station *st, struct sign_key **out, char **cause)
{
	return load_key(st, KEY_NAME, true, out, cause);
}

int station_load_public_key(const struct station *st, struct sign_key **out, char **cause)
{
	return load_key(st, PUB_NAME, false, out, cause);
}

void station_operator_name(char *buf, size_t len)
{
	const char *env = getenv("CUSTOS_OPERATOR");
	struct passwd pwd, *pw = NULL;
	char tmp[1024];

	if (env && *env) {
		util_strlcpy(buf, env, len);
		return;
	}
	if (getlogin_r(buf, len) == 0 && buf[0])
		return;
	if (getpwuid_r(getuid(), &pwd, tmp, sizeof(tmp), &pw) == 0 && pw && pw->pw_name) {
		util_strlcpy(buf, pw->pw_name, len);
		return;
	}
	util_strlcpy(buf, "unknown", len);
}

/* station.conf without its "operator" lines, plus "operator=@name". */
static char *conf_with_operator(const char *text, const char *name)
{
	size_t len = strlen(text);
	char *out = malloc(len + (name ? strlen(name) : 0) + 16), *o = out;
	const char *line = text;

	if (!out)
		return NULL;
	while (*line) {
		const char *end = strchr(line, '\n'), *k = line;
		size_t n = end ? (size_t)(end - line + 1) : strlen(line);

		k += strspn(k, " \t");
		if (!(strncmp(k, "operator", 8) == 0 && k[8 + strspn(k + 8, " \t")] == '=')) {
			memcpy(o, line, n);
			o += n;
			if (!end)
				*o++ = '\n';
		}
		line += n;
	}
	if (name && *name)
		o += sprintf(o, "operator=%s\n", name);
	*o = '\0';
	return out;
}

int station_set_operator(const char *state_dir, const char *name, char **cause)
{
	char *path = NULL, *text = NULL, *out = NULL;
	int rc;

	if (name && *name && !valid_value(name))
		return util_fail(cause, -EINVAL, _("the operator's name must be one line of text"));
	path = dir_path(state_dir, CONF_NAME);
	rc = path ? util_read_file(path, &text, NULL) : -ENOMEM;
	if (rc == -ENOENT)
		rc = util_fail(cause, rc, _("no station is set up in %s: run 'custos init' first"),
			       state_dir);
	else if (rc < 0)
		rc = util_fail(cause, rc, _("cannot read %s: %s"), path ? path : CONF_NAME,
			       strerror(-rc));
	if (rc == 0) {
		out = conf_with_operator(text, name);
		rc = out ? util_write_file_atomic(path, out, strlen(out), 0644) : -ENOMEM;
		if (rc < 0)
			rc = util_fail(cause, rc, _("cannot write %s: %s"), path, strerror(-rc));
	}
	free(path);
	free(text);
	free(out);
	return rc;
}

const char *station_operator(void)
{
	/* one buffer per thread: never shared between jobs */
	static _Thread_local char name[256];

	station_operator_name(name, sizeof(name));
	return name;
}
