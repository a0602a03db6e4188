/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * station: the station's identity (station.conf), its key pair and the
 * layout of its state directory.  station.conf holds key=value lines:
 *   org, name, prefix, key_type, created (ISO 8601, UTC),
 *   virtual_media_dirs (optional: /dir:/dir2, more places for virtual media)
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

static int make_dirs(const char *state_dir, char **cause)
{
	int rc;

	rc = util_mkdir_p(state_dir, 0700);
	if (rc == 0 && chmod(state_dir, 0700) < 0)
		rc = -errno;
	if (rc < 0)
		return util_fail(cause, rc, "cannot create the state directory %s: %s", state_dir,
				 strerror(-rc));
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(subdirs); i++) {
		char *p = dir_path(state_dir, subdirs[i]);

		rc = p ? util_mkdir_p(p, 0700) : -ENOMEM;
		if (rc < 0) {
			rc = util_fail(cause, rc, "cannot create %s: %s", p ? p : subdirs[i],
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
		rc = util_fail(cause, -ENOMEM, "out of memory");
		goto out;
	}
	rc = util_write_file_atomic(path, text, strlen(text), 0644);
	if (rc < 0)
		rc = util_fail(cause, rc, "cannot write %s: %s", path, strerror(-rc));
out:
	free(path);
	free(text);
	return rc;
}

static int check_opts(const struct station_init_opts *o, char **cause)
{
	if (!valid_value(o->org))
		return util_fail(cause, -EINVAL, "the organisation name must be one non-empty line");
	if (!valid_value(o->name))
		return util_fail(cause, -EINVAL, "the station name must be one non-empty line");
	if (o->prefix) {
		if (!*o->prefix || strlen(o->prefix) > 12)
			return util_fail(cause, -EINVAL, "the prefix must have 1 to 12 characters");
		for (const char *p = o->prefix; *p; p++)
			if (!isascii((unsigned char)*p) ||
			    (!isalnum((unsigned char)*p) && *p != '-' && *p != '_'))
				return util_fail(cause, -EINVAL,
						 "the prefix '%s' may hold only letters, digits, "
						 "'-' and '_'", o->prefix);
	}
	return 0;
}

int station_init(const char *state_dir, const struct station_init_opts *opts, char **cause)
{
	char *key = NULL, *pub = NULL;
	int rc;

	rc = check_opts(opts, cause);
	if (rc < 0)
		return rc;
	key = dir_path(state_dir, KEY_NAME);
	pub = dir_path(state_dir, PUB_NAME);
	if (!key || !pub) {
		rc = util_fail(cause, -ENOMEM, "out of memory");
		goto out;
	}
	if (!opts->force && access(key, F_OK) == 0) {
		rc = util_fail(cause, -EEXIST,
			       "a station key already exists in %s; it is kept (use --force to "
			       "replace it: certificates signed with the old key then verify "
			       "only against the old public key)", state_dir);
		goto out;
	}
	rc = make_dirs(state_dir, cause);
	if (rc == 0)
		rc = sign_generate(opts->key_type, key, pub, cause);
	if (rc == 0)
		rc = write_conf(state_dir, opts, cause);
out:
	free(key);
	free(pub);
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
			return util_fail(cause, rc == -ENOMEM ? rc : -EINVAL, "%s: line %d: %s", path,
					 lineno, rc == -ENOMEM ? "out of memory" :
					 "expected key=value with a known key type");
	}
	if (!st->org || !st->name || !has_type)
		return util_fail(cause, -EINVAL, "%s: org, name and key_type are required", path);
	if (!st->prefix) {
		char prefix[16];

		derive_prefix(st->name, prefix, sizeof(prefix));
		st->prefix = strdup(prefix);
		if (!st->prefix)
			return util_fail(cause, -ENOMEM, "out of memory");
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
		return util_fail(cause, rc, "cannot compute the public key fingerprint");
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
		rc = util_fail(cause, -ENOMEM, "out of memory");
		goto out;
	}
	path = station_path(st, CONF_NAME);
	rc = path ? util_read_file(path, &text, NULL) : -ENOMEM;
	if (rc == -ENOENT) {
		rc = util_fail(cause, rc, "no station is set up in %s: run 'custos init --org NAME "
			       "--station NAME' first", state_dir);
		goto out;
	} else if (rc < 0) {
		rc = util_fail(cause, rc, "cannot read %s: %s", path ? path : CONF_NAME,
			       strerror(-rc));
		goto out;
	}
	rc = parse_conf(st, text, path, cause);
	if (rc == 0)
		rc = load_fingerprint(st, cause);
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
			rc = util_fail(cause, -ENOMEM, "out of memory");
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
		rc = util_fail(cause, -ENOMEM, "out of memory");
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
		return util_fail(cause, -ENOMEM, "out of memory");
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

const char *station_operator(void)
{
	static char name[256];
	const char *env = getenv("CUSTOS_OPERATOR");
	struct passwd *pw;

	if (env && *env)
		return env;
	if (getlogin_r(name, sizeof(name)) == 0 && name[0])
		return name;
	pw = getpwuid(getuid());
	if (pw && pw->pw_name)
		return pw->pw_name;
	return "unknown";
}
