/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tui-finish: what happens when one of the station's jobs ends, in the
 * job's own thread (job_spec.on_complete): the sanitization goes into the
 * register (its own connection: SQLite handles are not shared between
 * threads here) and a signed certificate, or a report when the outcome is
 * not "erased", is issued and attached to the medium.
 */
#include "tui-finish.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cert.h"
#include "job.h"
#include "policy.h"
#include "register.h"
#include "station.h"
#include "util.h"
#include "wipe.h"

/* Jobs ending together certify one after the other: PDF rendering
 * (fontconfig, pango) is not something to run twice at once. */
static pthread_mutex_t certify_lock = PTHREAD_MUTEX_INITIALIZER;

void tui_finish_free(struct tui_finish *fin)
{
	if (!fin)
		return;
	fw_result_clear(&fin->fw.result);
	free(fin);
}

/* "55 aa" from "55aa"; "random aes-128-ctr" for random passes. */
static void pass_pattern(const struct wipe_pass_result *p, char *out, size_t len)
{
	size_t pos = 0, n = strlen(p->pattern_hex);

	if (p->random) {
		snprintf(out, len, "random %s%s", p->prng[0] ? p->prng : "aes-128-ctr",
			 p->inverted ? " inverted" : "");
		return;
	}
	out[0] = '\0';
	for (size_t i = 0; i + 1 < n && pos + 4 < len; i += 2) {
		if (pos)
			out[pos++] = ' ';
		out[pos++] = p->pattern_hex[i];
		out[pos++] = p->pattern_hex[i + 1];
		out[pos] = '\0';
	}
}

static void verify_text(const struct wipe_result *res, char *out, size_t len)
{
	switch (res->verify) {
	case PROFILE_VERIFY_LAST:
		util_strlcpy(out, "full", len);
		break;
	case PROFILE_VERIFY_ALL:
		util_strlcpy(out, "full (every pass)", len);
		break;
	case PROFILE_VERIFY_SAMPLE:
		snprintf(out, len, "sampled seed=%llu samples=%llu",
			 (unsigned long long)res->sample_seed, (unsigned long long)res->sample_count);
		break;
	case PROFILE_VERIFY_NONE:
		util_strlcpy(out, "none", len);
		break;
	}
}

/* The register's side: the sanitization event, creating an unregistered
 * entry for a medium that was never enrolled.  Fills @m and @hash. */
static int record(struct tui_finish *fin, struct register_db *db, const struct device_info *dev,
		  const struct profile *profile, const struct wipe_result *res,
		  struct register_media *m, char *hash, char **cause)
{
	json_t *j = wipe_result_to_json(res);
	char *text = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	struct register_sanitization s = {
		.result_json = text,
		.destination = fin->destination,
		.nist_category = profile_nist_name(profile_nist_for(profile, device_media_kind(dev))),
		.profile = profile->name,
	};
	int64_t id = fin->media_id;
	int rc;

	json_decref(j);
	if (!text)
		return util_fail(cause, -ENOMEM, "out of memory");
	rc = register_record_sanitization(db, fin->media_id, dev, &s, &id, hash, cause);
	free(text);
	if (rc == 0)
		rc = register_get(db, id, m, cause);
	return rc;
}

static void fill_medium(struct cert_medium *cm, const struct register_media *m,
			const struct device_info *dev)
{
	cm->register_no = m->register_no;
	cm->asset_tag = m->asset_tag;
	cm->media_type = device_media_kind(dev);
	cm->vendor = dev->vendor;
	cm->model = dev->model;
	cm->serial = dev->serial;
	cm->wwn = dev->wwn;
	cm->firmware = dev->firmware_rev;
	cm->capacity_bytes = dev->size_bytes;
	cm->transport = device_transport_name(dev->transport);
	cm->class_before = m->classification[0] ? m->classification : NULL;
	cm->class_after = m->classification[0] ? m->classification : NULL;
	cm->custodian = m->custodian;
	cm->department = m->department;
}

struct cert_bufs {
	struct cert_pass passes[PROFILE_MAX_PASSES];
	char patterns[PROFILE_MAX_PASSES][160];
	struct cert_range ranges[64];
	char verify[96];
	char hidden[160];
	char markers[96];
};

static void fill_sanitization(struct cert_sanitization *cs, struct cert_bufs *b,
			      const struct profile *profile, const struct wipe_result *res,
			      const struct device_info *dev)
{
	size_t max = UTIL_ARRAY_SIZE(b->ranges), nr = res->n_bad < max ? res->n_bad : max;

	for (size_t i = 0; i < res->n_passes; i++) {
		pass_pattern(&res->passes[i], b->patterns[i], sizeof(b->patterns[i]));
		b->passes[i].pattern = b->patterns[i];
		b->passes[i].bytes = res->passes[i].bytes_written;
		b->passes[i].verified = res->passes[i].verified;
	}
	for (size_t i = 0; i < nr; i++) {
		b->ranges[i].offset = res->bad[i].offset;
		b->ranges[i].length = res->bad[i].length;
	}
	verify_text(res, b->verify, sizeof(b->verify));
	cs->nist_category = profile_nist_name(profile_nist_for(profile, device_media_kind(dev)));
	cs->method = profile_method_name(profile->method);
	cs->profile = profile->name;
	cs->rule = profile->reference[0] ? profile->reference : NULL;
	cs->passes = b->passes;
	cs->n_passes = res->n_passes;
	cs->verify_mode = b->verify;
	cs->read_path = res->read_path;
	cs->bytes_verified = res->bytes_verified;
	cs->outcome = wipe_outcome_name(res->outcome);
	cs->errors = res->errors;
	cs->bad_ranges = b->ranges;
	cs->n_bad_ranges = nr;
	cs->start = res->start;
	cs->end = res->end;
	cs->throughput = (uint64_t)res->throughput;
	cs->resumes = res->resumed;
}

/* Evidence of a firmware method: its command, hidden areas, markers. */
static void fill_firmware(struct cert_sanitization *cs, struct cert_bufs *b,
			  const struct fw_result *fr)
{
	const struct fw_hidden *h = &fr->hidden;

	cs->firmware_command = fw_method_command(fr->used);
	if (h->checked)
		snprintf(b->hidden, sizeof(b->hidden), "%s%s%.100s", !h->known ? "unknown" :
			 h->hidden_sectors ? "hidden sectors found" : "none",
			 h->note[0] ? ": " : "", h->note);
	else
		util_strlcpy(b->hidden, "not checked", sizeof(b->hidden));
	cs->hidden_areas = b->hidden;
	if (fr->markers.checked) {
		snprintf(b->markers, sizeof(b->markers), "%u random markers written before the "
			 "erase, %u survived", fr->markers.count, fr->markers.survived);
		cs->marker_proof = b->markers;
	}
	cs->verify_mode = "firmware-status";
}

/* Sign @in and attach the certificate to medium @m; its id into @id_out. */
static int issue(const char *state_dir, const struct station *st, struct register_db *db,
		 const struct cert_input *in, const struct register_media *m, const char *hash,
		 char *id_out, size_t id_len, char **cause)
{
	struct sign_key *key = NULL;
	struct register_cert c;
	json_t *doc = NULL;
	char *id = NULL, *text = NULL;
	int rc;

	rc = station_load_signing_key(st, &key, cause);
	if (rc == 0) {
		pthread_mutex_lock(&certify_lock);
		rc = cert_issue(in, st, key, NULL, &doc, &id, cause);
		pthread_mutex_unlock(&certify_lock);
	}
	sign_key_free(key);
	if (rc < 0)
		goto out;
	util_strlcpy(id_out, id, id_len);
	text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	memset(&c, 0, sizeof(c));
	util_strlcpy(c.id, id, sizeof(c.id));
	c.media_id = m->id;
	util_strlcpy(c.kind, cert_doc_kind(doc) ? cert_doc_kind(doc) : "report", sizeof(c.kind));
	c.json = text;
	util_strlcpy(c.event_hash, hash, sizeof(c.event_hash));
	snprintf(c.path, sizeof(c.path), "%s/certs/%s.json", state_dir, id);
	rc = text ? register_add_certificate(db, &c, cause) :
		    util_fail(cause, -ENOMEM, "out of memory");
out:
	free(text);
	free(id);
	json_decref(doc);
	return rc;
}

int tui_finish_destruction(const char *state_dir, const struct station *st,
			   struct register_db *db, const struct register_media *m,
			   const struct register_destruction *d, const char *hash, char *id,
			   char **cause)
{
	struct cert_input in;

	if (!st)
		return util_fail(cause, -ENOENT, "no certificate: the station is not set up "
				 "(custos init)");
	memset(&in, 0, sizeof(in));
	in.kind = CERT_KIND_DESTRUCTION;
	in.operator_.name = station_operator();
	in.medium.register_no = m->register_no;
	in.medium.asset_tag = m->asset_tag;
	in.medium.media_type = m->media_type;
	in.medium.vendor = m->vendor;
	in.medium.model = m->model;
	in.medium.serial = m->serial;
	in.medium.wwn = m->wwn;
	in.medium.capacity_bytes = m->capacity_bytes;
	in.medium.class_before = m->classification[0] ? m->classification : NULL;
	in.medium.class_after = in.medium.class_before;
	in.medium.custodian = m->custodian;
	in.medium.department = m->department;
	in.destruction.method = d->method;
	in.destruction.place = d->place;
	in.destruction.time = util_unix_now();
	in.destruction.witnesses[0].name = d->witnesses[0];
	in.destruction.witnesses[1].name = d->witnesses[1];
	in.destination = "destruction";
	in.event_hash = hash;
	in.notes = d->note && *d->note ? d->note : NULL;
	return issue(state_dir, st, db, &in, m, hash, id, 96, cause);
}

/* Issue the certificate (or report) and attach it to the medium. */
static int certify(struct tui_finish *fin, struct register_db *db, const struct device_info *dev,
		   const struct profile *profile, const struct wipe_result *res,
		   const struct register_media *m, const char *hash, char **cause)
{
	struct cert_bufs *b = calloc(1, sizeof(*b));
	struct cert_input in;
	int rc;

	if (!b)
		return util_fail(cause, -ENOMEM, "out of memory");
	memset(&in, 0, sizeof(in));
	in.kind = CERT_KIND_SANITIZATION;
	in.operator_.name = fin->operator_name;
	fill_medium(&in.medium, m, dev);
	fill_sanitization(&in.san, b, profile, res, dev);
	if (profile->method != PROFILE_METHOD_OVERWRITE)
		fill_firmware(&in.san, b, &fin->fw.result);
	in.destination = fin->destination;
	in.event_hash = hash;
	rc = issue(fin->state_dir, fin->station, db, &in, m, hash, fin->cert_id,
		   sizeof(fin->cert_id), cause);
	free(b);
	return rc;
}

int tui_finish_hook(struct job *job, const struct device_info *dev,
		    const struct profile *profile, const struct wipe_result *res, void *data,
		    char **cause)
{
	struct tui_finish *fin = data;
	struct register_db *db = NULL;
	struct register_media m;
	char hash[65] = "", *path;
	int rc;

	(void)job;
	path = util_asprintf("%s/%s", fin->state_dir, REGISTER_FILE);
	if (!path)
		return util_fail(cause, -ENOMEM, "out of memory");
	rc = register_open(path, &db, cause);
	free(path);
	if (rc < 0)
		return rc;
	register_set_actor(db, fin->operator_name, fin->station ? fin->station->name : NULL);
	rc = record(fin, db, dev, profile, res, &m, hash, cause);
	if (rc == 0 && fin->station)
		rc = certify(fin, db, dev, profile, res, &m, hash, cause);
	else if (rc == 0)
		rc = util_fail(cause, -ENOENT, "no certificate: the station is not set up "
			       "(custos init)");
	register_close(db);
	return rc;
}
