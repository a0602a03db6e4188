/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * register: lookups and recognition (with the history check, and the
 * central register for media enrolled elsewhere) and the verification of
 * the chain, the rows and the certificate numbers, over the storage
 * functions (register-private.h).
 */
#include "register-private.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "register-central.h"
#include "util.h"

static int central_lookup(struct register_db *db, const char *ref,
			  const struct device_info *dev, struct register_media *out, char **cause);

/* A medium received from another station (register_receive()) by the
 * register number it has there: "STATION:REF", or plain REF when no row of
 * this station's own numbering matched. */
static int find_received(struct register_db *db, const char *ref, struct register_media *out,
			 char **cause)
{
	const char *colon = strchr(ref, ':');
	char station[128] = "";

	if (colon && (size_t)(colon - ref) < sizeof(station)) {
		memcpy(station, ref, (size_t)(colon - ref));
		station[colon - ref] = '\0';
		ref = colon + 1;
	}
	/* this station's own number, named with its station */
	if (station[0] && db->home_station && strcmp(station, db->home_station) == 0)
		return register_store_find_ref(db, ref, out, cause);
	return register_store_find_origin_ref(db, station, ref, out, cause);
}

int register_find_ref(struct register_db *db, const char *ref, struct register_media *out,
		      char **cause)
{
	int rc = register_store_find_ref(db, ref, out, cause);

	if (rc == -ENOENT)
		rc = find_received(db, ref, out, cause);
	if (rc == -ENOENT && db->central)
		return central_lookup(db, ref, NULL, out, cause);
	if (rc == -ENOENT)
		util_fail(cause, rc, _("'%s' is not in the register (register number, asset tag, "
			  "serial or device path)"), ref);
	if (rc == 0)
		rc = register_history_check(db, out, cause);
	return rc;
}

/* Not in this station's register: the central one knows it when another
 * station enrolled it (id 0: not in the local register; its real
 * classification and state).  Unreachable: refused, since the medium may
 * well be classified (custos-register(5)).  By @ref, else by @dev. */
static int central_lookup(struct register_db *db, const char *ref,
			  const struct device_info *dev, struct register_media *out, char **cause)
{
	const char *what = ref ? ref : dev->path;
	struct register_media local;
	char station[128], *why = NULL;
	int rc;

	/* one failed connection costs up to its timeout: the station screen
	 * looks up every device, so wait a minute before trying again */
	if (util_unix_now() < db->central_down_until)
		return util_fail(cause, -EHOSTUNREACH, _("%s is not in this station's register and "
				 "the central register was unreachable a moment ago"), what);
	rc = ref ? register_central_lookup_ref(db->central, ref, out, station, &why) :
	     register_central_lookup(db->central, dev, out, station, &why);
	if (rc == -EHOSTUNREACH)
		db->central_down_until = util_unix_now() + 60;

	if ((rc == -ENOENT || rc == -ENOTSUP) && ref) {
		free(why);
		return util_fail(cause, -ENOENT, _("'%s' is not in the register (register number, "
				 "asset tag, serial or device path)"), ref);
	}
	if (rc == -ENOENT || rc == -ENOTSUP) {
		free(why);
		return util_fail(cause, -ENOENT, _("%s is not in the register"), what);
	}
	if (rc == -EEXIST) {
		util_fail(cause, rc, "%s", why ? why : "ambiguous");
		free(why);
		return rc;
	}
	if (rc < 0) {
		util_fail(cause, rc, _("%s is not in this station's register and the central "
			  "register cannot say whether another station enrolled it: %s"), what,
			  why ? why : strerror(-rc));
		free(why);
		return rc;
	}
	free(why);
	/* received here before (by another reference), or enrolled here (the
	 * centre's copy of this station's own row): the local row */
	if (db->home_station && strcmp(out->central_station, db->home_station) == 0) {
		rc = register_store_get(db, out->central_id, &local, NULL);
		/* the same row only if it is the same medium: a register restored
		 * from an older backup reuses ids the centre holds other media at */
		if (rc == 0 && (strcmp(local.register_no, out->register_no) != 0 ||
				strcmp(local.serial, out->serial) != 0 ||
				strcasecmp(local.wwn, out->wwn) != 0))
			return util_fail(cause, -EBADMSG, _("%s: the central register holds this "
					 "station's medium %s as row %lld, but the local row %lld is %s: "
					 "this register differs from its chain at the centre (restored "
					 "from an older backup?); check with 'custos register verify "
					 "--against'"), what, out->register_no,
					 (long long)out->central_id, (long long)local.id,
					 local.register_no);
	} else {
		rc = register_store_find_origin(db, out->central_station, out->central_id, &local,
						cause);
	}
	if (rc == 0) {
		*out = local;
		return register_history_check(db, out, cause);
	}
	if (rc != -ENOENT)
		return rc;
	out->history_differs = false;
	snprintf(out->history_note, sizeof(out->history_note), "enrolled at station %s",
		 station);
	return 0;
}

int register_find_by_device(struct register_db *db, const struct device_info *dev,
			    struct register_media *out, char **cause)
{
	struct register_media id;	/* the identity as the register stores it */
	int rc;

	memset(&id, 0, sizeof(id));
	register_media_from_device(&id, dev);
	rc = register_store_find_device(db, &id, out, cause);
	if (rc == 0)
		return register_history_check(db, out, cause);
	if (rc == -ENOENT && db->central)
		return central_lookup(db, NULL, dev, out, cause);
	if (rc == -ENOENT)
		util_fail(cause, rc, _("%s is not in the register"), dev->path);
	return rc;
}

void register_media_from_device(struct register_media *m, const struct device_info *dev)
{
	/* the same kind the certificate, the firmware layer and the policy use */
	util_strlcpy(m->media_type, device_media_kind(dev), sizeof(m->media_type));
	/* Strings from hardware (and file names) enter the register as valid
	 * UTF-8 without control characters: anything else becomes '?'. */
	util_text_safe(dev->vendor, false, m->vendor, sizeof(m->vendor));
	util_text_safe(dev->model, false, m->model, sizeof(m->model));
	util_text_safe(dev->serial, false, m->serial, sizeof(m->serial));
	util_text_safe(dev->wwn, false, m->wwn, sizeof(m->wwn));
	if (dev->transport == DEVICE_TRANSPORT_VIRTUAL || dev->transport == DEVICE_TRANSPORT_FILE)
		util_text_safe(dev->backing_file, false, m->backing_file,
			       sizeof(m->backing_file));
	m->capacity_bytes = dev->size_bytes;
	util_strlcpy(m->source, "device", sizeof(m->source));
}

static void broken(struct register_verify_result *r, const struct register_event *ev,
		   const char *what, const char *expected, const char *found)
{
	r->ok = false;
	r->event_id = ev ? ev->id : 0;
	r->seq = ev ? ev->seq : 0;
	util_strlcpy(r->what, what, sizeof(r->what));
	util_strlcpy(r->expected, expected, sizeof(r->expected));
	util_strlcpy(r->found, found, sizeof(r->found));
	if (ev)
		snprintf(r->message, sizeof(r->message), "event id %lld (seq %lld): %s: expected "
			 "%s, found %s", (long long)ev->id, (long long)ev->seq, what, expected,
			 found);
	else
		snprintf(r->message, sizeof(r->message), "chain head: %s: expected %s, found %s",
			 what, expected, found);
}

/* Check one event against its predecessor: false when broken. */
static bool check_link(struct register_verify_result *r, const struct register_event *ev,
		       int64_t want_seq, const char *prev)
{
	char a[24], b[24], h[65];

	if (ev->seq != want_seq) {
		snprintf(a, sizeof(a), "%lld", (long long)want_seq);
		snprintf(b, sizeof(b), "%lld", (long long)ev->seq);
		broken(r, ev, "seq", a, b);
		return false;
	}
	if (strcmp(ev->prev_hash, prev) != 0) {
		broken(r, ev, "prev_hash", prev, ev->prev_hash);
		return false;
	}
	if (register_event_hash(ev, h) < 0 || strcmp(h, ev->hash) != 0) {
		broken(r, ev, "hash", h, ev->hash);
		return false;
	}
	return true;
}

static void check_head(struct register_db *db, struct register_verify_result *r,
		       int64_t last_seq, const char *last_hash)
{
	char seq[24], head_seq[24] = "0", head_hash[65] = "";

	snprintf(seq, sizeof(seq), "%lld", (long long)last_seq);
	if (register_store_meta_get(db, "head_seq", head_seq, sizeof(head_seq)) < 0 && last_seq == 0)
		return;
	register_store_meta_get(db, "head_hash", head_hash, sizeof(head_hash));
	if (strcmp(head_seq, seq) != 0)
		broken(r, NULL, "head seq (events at the end removed?)", head_seq, seq);
	else if (strcmp(head_hash, last_hash) != 0)
		broken(r, NULL, "head hash", head_hash, last_hash);
}

/* The media rows against their histories: the first difference into @r. */
static int check_rows(struct register_db *db, struct register_verify_result *r, char **cause)
{
	struct register_mismatch *x = NULL;
	char line[512];
	size_t n = 0;
	int rc = register_verify_media(db, 0, &x, &n, cause);

	if (rc < 0 || n == 0)
		return rc;
	r->mismatches = (int64_t)n;
	if (r->ok) {
		r->ok = false;
		util_strlcpy(r->what, "media", sizeof(r->what));
		util_strlcpy(r->expected, x[0].expected, sizeof(r->expected));
		util_strlcpy(r->found, x[0].found, sizeof(r->found));
		r->event_id = 0;
		r->seq = 0;
		register_mismatch_text(&x[0], line, sizeof(line));
		snprintf(r->message, sizeof(r->message),
			 "media row differs from its history: %.200s", line);
	}
	free(x);
	return 0;
}

/* Every certificate number an event names is in the register. */
static int check_cert_numbers(struct register_db *db, struct register_verify_result *r,
			      char **cause)
{
	char id[sizeof(r->expected)];
	int64_t n = 0, seq = 0;
	int rc = register_store_missing_certs(db, &n, &seq, id, sizeof(id), cause);

	if (rc < 0 || n == 0)
		return rc;
	r->missing_certs = n;
	if (!r->ok)
		return 0;
	r->ok = false;
	r->seq = seq;
	util_strlcpy(r->what, "missing-certificate", sizeof(r->what));
	util_strlcpy(r->expected, id, sizeof(r->expected));
	snprintf(r->message, sizeof(r->message), "event %lld names certificate %.96s, "
		 "which the register does not hold (never issued)",
		 (long long)r->seq, r->expected);
	return 0;
}

static int count_unfinished(struct register_db *db, struct register_verify_result *r,
			    char **cause)
{
	struct register_unfinished *u = NULL;
	size_t n = 0;
	int rc = register_unfinished(db, &u, &n, cause);

	r->unfinished = (int64_t)n;
	free(u);
	return rc;
}

/*
 * SQLite's own check of the file (pages, indexes, free list): corruption
 * that the hash chain cannot see, for instance in a page of the media
 * table.  The first messages go into @r; false when the file is damaged.
 */
static bool check_integrity(struct register_db *db, struct register_verify_result *r)
{
	char msgs[sizeof(r->message)];
	bool ok = register_store_integrity(db, msgs, sizeof(msgs));

	if (ok)
		return true;
	for (char *c = msgs; *c; c++)
		if (*c == '\n')
			*c = ' ';
	r->ok = false;
	util_strlcpy(r->what, "integrity", sizeof(r->what));
	snprintf(r->message, sizeof(r->message), "database file damaged (SQLite integrity "
		 "check): %.180s", msgs);
	return false;
}

int register_verify(struct register_db *db, struct register_verify_result *r, char **cause)
{
	return register_verify_ex(db, NULL, r, cause);
}

struct verify_walk {
	struct register_verify_result *r;
	char prev[65];
};

/* One event of the chain, in seq order: 1 stops at the first break. */
static int verify_event(const struct register_event *ev, void *arg)
{
	struct verify_walk *w = arg;

	if (check_link(w->r, ev, w->r->events + 1, w->prev))
		w->r->events++;
	util_strlcpy(w->prev, ev->hash, sizeof(w->prev));
	return !w->r->ok;
}

int register_verify_ex(struct register_db *db, const struct register_verify_opts *o,
		       struct register_verify_result *r, char **cause)
{
	struct verify_walk w = {
		.r = r, .prev = "0000000000000000000000000000000000000000000000000000000000000000" };
	int rc;

	memset(r, 0, sizeof(*r));
	r->ok = true;
	/* register.head first: it may lag the snapshot, never lead it */
	register_chain_pre_read_head(db);
	/* One read transaction: the events and the head from one snapshot. */
	rc = register_store_read_begin(db, NULL, cause);
	if (rc < 0)
		return rc;
	if (!check_integrity(db, r))
		goto out;
	rc = register_store_each_event(db, verify_event, &w, cause);
	if (rc == 0 && r->ok)
		check_head(db, r, r->events, w.prev);
	if (rc == 0 && r->ok)
		rc = register_chain_verify(db, o, r, cause);
	if (rc == 0)
		rc = check_rows(db, r, cause);
	if (rc == 0)
		rc = check_cert_numbers(db, r, cause);
	if (rc == 0)
		rc = count_unfinished(db, r, cause);
out:
	register_store_read_end(db, true);
	return rc;
}
