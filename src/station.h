/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CUSTOS_STATION_H
#define CUSTOS_STATION_H

/*
 * station: the wiping station's identity and files in its state directory:
 *   station.conf   organisation, station name, certificate prefix, key type
 *   station.key    private key (0600), station.pub public key (PEM)
 *   register.db    the media register (register module)
 *   certs/         certificates (cert module)
 *   virtual/       file-backed virtual media (demo and tests)
 *   jobs/          checkpoints of running sanitizations (wipe module)
 *   profiles/      the station's own profiles (profile module)
 *   staff.json     the roster of people (staff module)
 */

#include <stdbool.h>
#include <stddef.h>

#include "sign.h"

struct station {
	char *state_dir;
	char *org;		/* organisation name (UTF-8) */
	char *name;		/* station name */
	char *prefix;		/* certificate id prefix, e.g. "WS01" */
	enum sign_key_type key_type;
	char fingerprint[65];	/* SHA-256 of the public key, hex */
	char *register_conninfo;	/* key "register": the central PostgreSQL
					 * register (libpq conninfo); NULL: none */
	char *operator_name;	/* station.conf "operator": the default operator, or NULL */
	char *media_dirs;	/* virtual_media_dirs: "/dir:/dir2", or NULL */
};

struct station_init_opts {
	const char *org;
	const char *name;
	const char *prefix;	/* ASCII letters and digits; NULL: derived from an
				 * all-ASCII name (-EINVAL for a name like "保密室-1") */
	enum sign_key_type key_type;
	bool force;		/* replace an existing key pair */
	const char *register_conninfo;	/* NULL: the embedded register only */
};

/* Create the state directory (0700) and its subdirectories, the key pair
 * and station.conf.  -EEXIST (with a cause) when a key exists and !force. */
int station_init(const char *state_dir, const struct station_init_opts *opts, char **cause);

/* Load an initialised station.  -ENOENT when the state directory has no
 * station.conf (cause says to run `custos init`). */
int station_open(const char *state_dir, struct station **out, char **cause);
void station_free(struct station *st);

/* Set (or with @value NULL remove) one key of station.conf, keeping the
 * others; only "register" may be set this way.  -EINVAL for another key or
 * a value that is not one line. */
int station_set(const char *state_dir, const char *key, const char *value, char **cause);

/* Tell the device module which regular files are virtual media: the
 * state directory's virtual/ and the directories named by
 * virtual_media_dirs (device_set_media_dirs).  station_open() does it;
 * station_media_setup() does it for a state directory without opening
 * the station (no readable, valid station.conf: virtual/ alone).  A named
 * directory that device_media_dir_valid() refuses is an error (-EINVAL
 * with a cause). */
int station_apply_media_dirs(const struct station *st, char **cause);
int station_media_setup(const char *state_dir, char **cause);

/* A malloc'd path inside the state directory: station_path(st, "certs"). */
char *station_path(const struct station *st, const char *name);

/* Load the station's private (signing) or public key. */
int station_load_signing_key(const struct station *st, struct sign_key **out, char **cause);
int station_load_public_key(const struct station *st, struct sign_key **out, char **cause);

/* Set (or with @name NULL or "", remove) the default operator, the
 * "operator" line of station.conf, rewriting the file atomically; the
 * other lines are kept.  -EINVAL for a name that is not one line. */
int station_set_operator(const char *state_dir, const char *name, char **cause);

/* The operator's name for events: $CUSTOS_OPERATOR, else the login name,
 * copied into @buf (reentrant).  Resolve it once, in the caller's thread
 * (sanitize_plan() does), and hand the copy to jobs. */
void station_operator_name(char *buf, size_t len);
/* The same in a per-thread buffer (valid until the thread calls it again). */
const char *station_operator(void);

#endif
