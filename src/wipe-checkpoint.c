/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Checkpoints: <state-dir>/jobs/<id>.json, written atomically (and the
 * medium synced first), 0600 in a 0700 directory because they hold the
 * keys of the random passes.  A resume refuses a checkpoint made for
 * another device or profile.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"
#include "wipe-private.h"

#define CKPT_VERSION 1

static json_t *keys_json(const struct wipe_state *st)
{
	json_t *a = json_array();
	char hex[2 * PRNG_KEY_MAX + 1];

	for (size_t i = 0; i <= st->pass && i < st->n_passes; i++) {
		const struct wipe_src *s = &st->srcs[i];

		hex[0] = '\0';
		if (s->random)
			util_hex(s->key, s->key_len, hex);
		json_array_append_new(a, json_string(hex));
	}
	return a;
}

static json_t *passes_json(const struct wipe_state *st)
{
	json_t *a = json_array();

	for (size_t i = 0; i < st->n_passes; i++) {
		const struct wipe_pass_result *p = &st->res->passes[i];

		json_array_append_new(a, json_pack("{s:b, s:b, s:I, s:I}", "written", p->written,
						   "verified", p->verified, "bytes_written",
						   (json_int_t)p->bytes_written, "bytes_verified",
						   (json_int_t)p->bytes_verified));
	}
	return a;
}

static json_t *ranges_json(const struct wipe_result *res)
{
	json_t *a = json_array();

	for (size_t i = 0; i < res->n_bad; i++) {
		const struct wipe_range *r = &res->bad[i];

		json_array_append_new(a, json_pack("[I, I, i, i, i]", (json_int_t)r->offset,
						   (json_int_t)r->length, (int)r->kind,
						   (int)r->pass, r->err));
	}
	return a;
}

static json_t *ckpt_json(const struct wipe_state *st)
{
	const struct wipe_params *p = st->p;
	const struct wipe_result *res = st->res;

	return json_pack("{s:i, s:s, s:s, s:{s:s, s:s, s:s, s:I}, s:i, s:s, s:I, s:i,"
			 " s:o, s:I, s:I, s:I, s:I, s:I, s:I, s:i, s:i, s:I, s:o, s:o}",
			 "version", CKPT_VERSION, "profile", p->profile->name,
			 "verify", profile_verify_name(st->verify),
			 "device", "path", st->io->path, "serial", p->serial ? p->serial : "",
			 "backing", p->backing ? p->backing : "", "size", (json_int_t)st->io->size,
			 "pass", (int)st->pass, "phase", st->phase == WIPE_PHASE_VERIFY ?
			 "verify" : "write", "offset", (json_int_t)st->offset,
			 "block_size", (int)st->block_base, "keys", keys_json(st),
			 "sample_seed", (json_int_t)st->sample_seed,
			 "bytes_written", (json_int_t)res->bytes_written,
			 "bytes_verified", (json_int_t)res->bytes_verified,
			 "errors", (json_int_t)res->errors,
			 "mismatch_bytes", (json_int_t)res->mismatch_bytes,
			 "first_mismatch", (json_int_t)res->first_mismatch,
			 "resumed", (int)res->resumed, "interruptions", (int)res->interruptions,
			 "started", (json_int_t)res->start,
			 "passes", passes_json(st), "bad", ranges_json(res));
}

static int ensure_dir(const char *path)
{
	char *dir = strdup(path), *slash;
	int rc = 0;

	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		rc = util_mkdir_p(dir, 0700);
		if (rc == 0 && chmod(dir, 0700) < 0)
			rc = -errno;
	}
	free(dir);
	return rc;
}

/* Remove the <checkpoint>.tmp.XXXXXX files a killed writer left behind
 * (they hold pass keys).  Only this job writes its checkpoint, and not
 * while this runs, so no such file is in use. */
static void remove_stale_tmp(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash ? strndup(path, (size_t)(slash - path)) : strdup(".");
	char *prefix = util_asprintf("%s.tmp.", slash ? slash + 1 : path);
	DIR *d = dir && prefix ? opendir(dir[0] ? dir : "/") : NULL;
	size_t plen = prefix ? strlen(prefix) : 0;
	struct dirent *e;

	while (d && (e = readdir(d)))
		if (strncmp(e->d_name, prefix, plen) == 0 && strlen(e->d_name) == plen + 6 &&
		    unlinkat(dirfd(d), e->d_name, 0) < 0 && errno != ENOENT)
			util_warn(_("cannot remove stale checkpoint file %s/%s: %s"), dir,
				  e->d_name, strerror(errno));
	if (d)
		closedir(d);
	free(prefix);
	free(dir);
}

int wipe_checkpoint_save(struct wipe_state *st)
{
	json_t *j = ckpt_json(st);
	char *text;
	int rc;

	if (!j)
		return -ENOMEM;
	text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (!text)
		return -ENOMEM;
	rc = ensure_dir(st->p->checkpoint_path);
	if (rc == 0)
		remove_stale_tmp(st->p->checkpoint_path);
	if (rc == 0)
		rc = util_write_file_atomic(st->p->checkpoint_path, text, strlen(text), 0600);
	util_wipe_secret(text, strlen(text));
	free(text);
	return rc;
}

static int hex_key(const char *hex, uint8_t *key, size_t *len)
{
	size_t n = strlen(hex);

	if (n != 32 && n != 64)
		return -EINVAL;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;

		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -EINVAL;
		key[i] = (uint8_t)v;
	}
	*len = n / 2;
	return 0;
}

/* The device named in the checkpoint must be this one. */
static int check_identity(struct wipe_state *st, json_t *dev, char **cause)
{
	const struct wipe_params *p = st->p;
	const char *path = json_string_value(json_object_get(dev, "path"));
	const char *serial = json_string_value(json_object_get(dev, "serial"));
	const char *backing = json_string_value(json_object_get(dev, "backing"));
	json_int_t size = json_integer_value(json_object_get(dev, "size"));

	if (!path || !serial || !backing)
		return util_fail(cause, -EINVAL, _("%s: checkpoint without device identity"),
				 p->checkpoint_path);
	if (strcmp(path, st->io->path) != 0 || strcmp(serial, p->serial ? p->serial : "") != 0 ||
	    strcmp(backing, p->backing ? p->backing : "") != 0 ||
	    (uint64_t)size != st->io->size)
		return util_fail(cause, -ESTALE,
				 _("%s: checkpoint is for another device (%s, serial '%s', %lld bytes);"
				 " refusing to resume"), p->checkpoint_path, path, serial,
				 (long long)size);
	return 0;
}

static int load_keys(struct wipe_state *st, json_t *keys, char **cause)
{
	size_t i;
	json_t *k;

	if (json_array_size(keys) != st->pass + 1)
		return util_fail(cause, -EINVAL, _("%s: checkpoint keys do not match its pass"),
				 st->p->checkpoint_path);
	json_array_foreach(keys, i, k) {
		const char *hex = json_string_value(k);
		bool random = st->p->profile->passes[i].kind == PROFILE_PASS_RANDOM;

		if (!hex || (random && hex_key(hex, st->srcs[i].key, &st->srcs[i].key_len) < 0))
			return util_fail(cause, -EINVAL, _("%s: bad key for pass %zu"),
					 st->p->checkpoint_path, i + 1);
		if (wipe_src_resolve(st->p->profile, i, st->srcs, true) < 0)
			return -EINVAL;
	}
	return 0;
}

static void load_results(struct wipe_state *st, json_t *j)
{
	struct wipe_result *res = st->res;
	json_t *v;
	size_t i;

	res->bytes_written = (uint64_t)json_integer_value(json_object_get(j, "bytes_written"));
	res->bytes_verified = (uint64_t)json_integer_value(json_object_get(j, "bytes_verified"));
	res->errors = (uint64_t)json_integer_value(json_object_get(j, "errors"));
	res->mismatch_bytes = (uint64_t)json_integer_value(json_object_get(j, "mismatch_bytes"));
	res->first_mismatch = (uint64_t)json_integer_value(json_object_get(j, "first_mismatch"));
	res->resumed = (unsigned)json_integer_value(json_object_get(j, "resumed")) + 1;
	/* this checkpoint exists because the run that wrote it stopped */
	res->interruptions = (unsigned)json_integer_value(json_object_get(j, "interruptions")) + 1;
	res->start = json_integer_value(json_object_get(j, "started"));
	json_array_foreach(json_object_get(j, "passes"), i, v) {
		if (i >= st->n_passes)
			break;
		res->passes[i].written = json_is_true(json_object_get(v, "written"));
		res->passes[i].verified = json_is_true(json_object_get(v, "verified"));
		res->passes[i].bytes_written =
			(uint64_t)json_integer_value(json_object_get(v, "bytes_written"));
		res->passes[i].bytes_verified =
			(uint64_t)json_integer_value(json_object_get(v, "bytes_verified"));
	}
	json_array_foreach(json_object_get(j, "bad"), i, v) {
		wipe_add_range(res, (enum wipe_range_kind)json_integer_value(json_array_get(v, 2)),
			       (unsigned)json_integer_value(json_array_get(v, 3)),
			       (uint64_t)json_integer_value(json_array_get(v, 0)),
			       (uint64_t)json_integer_value(json_array_get(v, 1)),
			       (int)json_integer_value(json_array_get(v, 4)));
	}
}

static int parse_state(struct wipe_state *st, json_t *j, char **cause)
{
	const char *path = st->p->checkpoint_path;
	const char *profile = json_string_value(json_object_get(j, "profile"));
	const char *verify = json_string_value(json_object_get(j, "verify"));
	const char *phase = json_string_value(json_object_get(j, "phase"));
	json_int_t pass = json_integer_value(json_object_get(j, "pass"));
	json_int_t block = json_integer_value(json_object_get(j, "block_size"));
	int rc;

	if (json_integer_value(json_object_get(j, "version")) != CKPT_VERSION || !profile ||
	    !verify || !phase)
		return util_fail(cause, -EINVAL, _("%s: not a checkpoint of this version"), path);
	if (strcmp(profile, st->p->profile->name) != 0)
		return util_fail(cause, -ESTALE, _("%s: checkpoint is for profile '%s', not '%s'"),
				 path, profile, st->p->profile->name);
	rc = check_identity(st, json_object_get(j, "device"), cause);
	if (rc < 0)
		return rc;
	if (profile_verify_parse(verify, &st->verify) < 0 || pass < 0 ||
	    (size_t)pass >= st->n_passes || block < (1 << 20) || block > (16 << 20) ||
	    block % BLKIO_ALIGN)
		return util_fail(cause, -EINVAL, _("%s: damaged checkpoint"), path);
	st->pass = (unsigned)pass;
	st->block_base = (uint32_t)block;
	st->phase = strcmp(phase, "verify") == 0 ? WIPE_PHASE_VERIFY : WIPE_PHASE_WRITE;
	st->offset = (uint64_t)json_integer_value(json_object_get(j, "offset"));
	st->sample_seed = (uint64_t)json_integer_value(json_object_get(j, "sample_seed"));
	if (st->offset > st->io->size)
		return util_fail(cause, -EINVAL, _("%s: damaged checkpoint (offset)"), path);
	rc = load_keys(st, json_object_get(j, "keys"), cause);
	if (rc == 0)
		load_results(st, j);
	return rc;
}

int wipe_checkpoint_load(struct wipe_state *st, char **cause)
{
	const char *path = st->p->checkpoint_path;
	json_error_t jerr;
	char *text = NULL, *err = NULL;
	size_t len = 0;
	json_t *j;
	int rc;

	remove_stale_tmp(path);
	/* a regular file of bounded size without NUL bytes, like every
	 * file a parser reads */
	rc = util_read_config(path, &text, &len, &err);
	if (rc < 0) {
		rc = util_fail(cause, rc == -ENOENT ? -ENOENT : -EINVAL,
			       _("%s: no usable checkpoint to resume from (%s)"), path,
			       err ? err : strerror(-rc));
		free(err);
		return rc;
	}
	j = json_loadb(text, len, 0, &jerr);
	free(text);
	if (!j)
		return util_fail(cause, -EINVAL, _("%s: no usable checkpoint to resume from (%s)"),
				 path, jerr.text);
	rc = parse_state(st, j, cause);
	json_decref(j);
	return rc;
}
