/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CUSTOS_REGISTER_CENTRAL_H
#define CUSTOS_REGISTER_CENTRAL_H

/*
 * register-central: the organisation's register on PostgreSQL (libpq,
 * register-pg.c; custos-register(5) "CENTRAL REGISTER").
 *
 * Every station keeps writing its own signed chain into its embedded
 * register (register.db): that file is the station's signed queue.  The
 * central register holds every station's chain side by side, keyed by
 * (station, seq): per-station chains, so stations append at once without a
 * global lock and each chain keeps its own signed head.  A push copies the
 * events the centre does not hold yet (with their signatures, the media
 * rows they changed and the certificates), in one transaction under a lock
 * of that station only; the server's triggers refuse an event that does not
 * extend the station's chain (seq and prev_hash), and any UPDATE or DELETE
 * of history.  Re-pushing adds nothing twice.
 *
 * Without libpq (configure --without-libpq) every function returns
 * -ENOTSUP with a cause saying so.
 */

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "register.h"

struct station;

/* The SQL that sets up a central register: tables, triggers, the roles
 * custos_station (append) and custos_auditor (read).  Static text. */
const char *register_central_schema_sql(void);
/* Run it on @conninfo (as a superuser or the database owner). */
int register_central_init(const char *conninfo, char **cause);
/* The SQL that lets the login role @login (created when missing, member of
 * custos_station) write the rows of station @station, and only those
 * (row-level security on the station column); malloc'd, NULL and *@cause
 * for a bad name. */
char *register_central_add_station_sql(const char *station, const char *login, char **cause);
/* Run @sql in one transaction on @conninfo. */
int register_central_apply(const char *conninfo, const char *sql, char **cause);

struct register_push_result {
	int64_t events;			/* events sent now */
	int64_t signatures;
	int64_t media;			/* media rows sent */
	int64_t certificates;		/* certificates new to the centre */
	int64_t central_seq;		/* the station's newest seq at the centre after */
};
/* A connection kept open for many pushes (one station appending in a loop). */
struct register_central;
int register_central_open(const char *conninfo, struct register_central **out, char **cause);
void register_central_close(struct register_central *c);
/* register_central_push() on an open connection.  After a push, the next
 * one on the connection is a single round trip (the events extend where
 * the last push left the station's chain; if another process pushed
 * meanwhile the server refuses them and the push is redone the checked
 * way).  Returns once the centre committed the events. */
int register_central_push_to(struct register_central *c, struct register_db *db,
			     const struct station *st, struct register_push_result *res,
			     char **cause);

/* Send the events of @db the centre lacks (station @st).  -EHOSTUNREACH
 * when the server cannot be reached (nothing changed; the events stay
 * queued in @db), -EBADMSG when the two disagree (a rewritten or truncated
 * local register, or a centre holding events the station does not). */
int register_central_push(struct register_db *db, const struct station *st, const char *conninfo,
			  struct register_push_result *res, char **cause);

struct register_central_verify {
	bool ok;
	int64_t stations;
	int64_t events;
	int64_t signatures;		/* verified */
	int64_t certificates;		/* certificate rows verified */
	char station[128];		/* the first broken chain */
	int64_t seq;
	char message[512];
};
/* Every station's chain: seq from 1 without gap, every hash, every
 * prev_hash, and the signature of each station's newest event (all
 * signatures with @all) by a key the centre holds for that station; every
 * certificate row: its document's signature by such a key, and the event
 * of the station's chain it names (kind, medium, certificate id). */
int register_central_verify(const char *conninfo, bool all, struct register_central_verify *res,
			    char **cause);

struct register_against_result {
	bool ok;
	int64_t local_events;
	int64_t central_events;
	int64_t queued;			/* local events not pushed yet (not an error) */
	char message[512];		/* the first disagreement */
};
/* Compare the local chain of station @st with its chain at the centre:
 * a local register rewritten or truncated, or a centre that lost or
 * changed events of the station, makes !ok. */
int register_central_against(struct register_db *db, const struct station *st,
			     const char *conninfo, struct register_against_result *res,
			     char **cause);

/* Views (JSON arrays of objects, *@out new reference). */
/* Media rows of station @station (NULL: all), each with "station". */
int register_central_list(const char *conninfo, const char *station, json_t **out, char **cause);
/* Media whose register number, asset tag, serial or WWN is @ref, at any
 * station, each with its "history" (events of every row of the same
 * medium, by time). */
int register_central_find(const char *conninfo, const char *ref, json_t **out, char **cause);
/* Counts by classification, state and station. */
int register_central_inventory(const char *conninfo, json_t **out, char **cause);
/* Media in service whose newest event is older than @days days. */
int register_central_overdue(const char *conninfo, int days, json_t **out, char **cause);

/* The medium @dev as the centre knows it (same identity rules as
 * register_find_by_device(): WWN, serial + model, backing file), enrolled
 * at any station: @out gets its row with id 0 (not in the local register),
 * @station (128 bytes) the station holding it (its newest row when several
 * stations hold it).  -ENOENT, -EHOSTUNREACH. */
int register_central_lookup(const char *conninfo, const struct device_info *dev,
			    struct register_media *out, char *station, char **cause);
/* The same for a reference: register number, asset tag, serial or WWN,
 * "STATION:REF" for a register number of that station.  central_station and
 * central_id of @out name the row the medium was first enrolled as (a row
 * received from another station names its origin).  -EEXIST when @ref
 * names several media. */
int register_central_lookup_ref(const char *conninfo, const char *ref,
				struct register_media *out, char *station, char **cause);

/* The inventory as CSV (bilingual header), malloc'd. */
int register_central_inventory_csv(json_t *inv, char **text);
/* The inventory as a PDF (register-pdf.c). */
int register_inventory_pdf(json_t *inv, const char *org, const char *path, char **cause);

#endif
