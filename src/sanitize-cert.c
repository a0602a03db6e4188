/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * sanitize: the documents.  The certificate (outcome erased) or report of
 * a run's end event, and the destruction certificate: built from the
 * plan, the result and the register row, signed, written into the
 * certificate directory and attached to the medium.  The number is taken
 * from the register (the highest it holds, plus one) only when the
 * document is stored: a document that cannot be written takes no number
 * and leaves no file.
 */
#include "sanitize-private.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "staff.h"
#include "station.h"
#include "util.h"

/* Documents are issued one after the other: PDF rendering (fontconfig,
 * pango) is not something to run twice at once, and the next number is
 * the register's highest plus one. */
static pthread_mutex_t certify_lock = PTHREAD_MUTEX_INITIALIZER;

char *sanitize_cert_dir(const char *state_dir, const char *cert_dir)
{
	return cert_dir ? strdup(cert_dir) : util_asprintf("%s/certs", state_dir);
}

int sanitize_cert_seq(void *data, int year, uint64_t *seq, char **cause)
{
	const struct sanitize_seq *s = data;

	return register_next_cert_seq(s->db, s->prefix, year, seq, cause);
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

void sanitize_verify_text(const struct wipe_result *res, char *out, size_t len)
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

void sanitize_fw_hidden_text(const struct fw_result *fr, char *out, size_t len)
{
	const struct fw_hidden *h = &fr->hidden;

	if (strcmp(fr->media_kind, "nvme") == 0 && !h->checked)
		util_strlcpy(out, "not applicable (NVMe has no HPA/DCO)", len);
	else if (h->checked)
		snprintf(out, len, "%s%s%.100s", !h->known ? "unknown" :
			 h->hidden_sectors ? "hidden sectors found" : "none",
			 h->note[0] ? ": " : "", h->note);
	else
		util_strlcpy(out, "not checked", len);
}

void sanitize_fw_marker_text(const struct fw_result *fr, char *out, size_t len)
{
	out[0] = '\0';
	if (fr->markers.checked)
		snprintf(out, len, "%u random markers written before the erase, %u survived",
			 fr->markers.count, fr->markers.survived);
}

struct cert_bufs {
	struct cert_pass passes[PROFILE_MAX_PASSES];
	char patterns[PROFILE_MAX_PASSES][160];
	struct cert_range ranges[64];
	char verify[96];
	char hidden[320];
	char markers[160];
	char declared[64];
	char notes[1024];
};

static void fill_medium(struct cert_medium *cm, struct cert_bufs *b,
			const struct sanitize_plan *plan, const struct register_media *m,
			const struct device_info *dev)
{
	const char *cls = m->classification[0] ? m->classification : NULL;

	if (!cls && plan->declared) {
		snprintf(b->declared, sizeof(b->declared), "%s (declared, not registered)",
			 plan->classification);
		cls = b->declared;
	}
	cm->register_no = m->register_no;
	cm->asset_tag = m->asset_tag[0] ? m->asset_tag : NULL;
	/* The register's media type is what the policy decided on. */
	cm->media_type = m->media_type[0] && !m->unregistered ? m->media_type
							       : device_media_kind(dev);
	cm->vendor = dev->vendor;
	cm->model = dev->model;
	cm->serial = dev->serial;
	cm->wwn = dev->wwn;
	cm->firmware = dev->firmware_rev;
	cm->capacity_bytes = dev->size_bytes;
	cm->transport = device_transport_name(dev->transport);
	cm->class_before = cls;
	cm->class_after = cls;
	cm->custodian = m->custodian;
	cm->department = m->department;
	cm->source_host = plan->priv->source_host[0] ? plan->priv->source_host : NULL;
}

static void fill_sanitization(struct cert_sanitization *cs, struct cert_bufs *b,
			      const struct sanitize_run *run, const struct wipe_result *res,
			      const char *nist, const char *outcome)
{
	const struct profile *profile = &run->plan->profile;

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
	sanitize_verify_text(res, b->verify, sizeof(b->verify));
	cs->nist_category = nist;
	cs->method = profile_method_name(profile->method);
	cs->profile = profile->name;
	cs->rule = profile->reference[0] ? profile->reference : NULL;
	cs->passes = b->passes;
	cs->n_passes = res->n_passes;
	cs->verify_mode = b->verify;
	cs->read_path = res->read_path;
	cs->bytes_verified = res->bytes_verified;
	cs->outcome = outcome;
	cs->errors = res->errors;
	cs->bad_ranges = b->ranges;
	cs->n_bad_ranges = nr;
	cs->start = res->start;
	cs->end = res->end;
	cs->throughput = (uint64_t)res->throughput;
	cs->resumes = res->resumed;
	cs->interruptions = res->interruptions;
}

/* Evidence of a firmware method: its command, hidden areas, markers. */
static void fill_firmware(struct cert_sanitization *cs, struct cert_bufs *b,
			  const struct fw_result *fr)
{
	cs->firmware_command = fw_method_command(fr->used);
	sanitize_fw_hidden_text(fr, b->hidden, sizeof(b->hidden));
	cs->hidden_areas = b->hidden;
	sanitize_fw_marker_text(fr, b->markers, sizeof(b->markers));
	if (b->markers[0])
		cs->marker_proof = b->markers;
	cs->verify_mode = "firmware-status";
}

/* An overwrite on an ATA drive: what was hidden, restored, still hidden. */
static void fill_hidden_overwrite(struct cert_sanitization *cs, struct cert_bufs *b,
				  const struct fw_result *hid)
{
	fw_job_hidden_text(hid, b->hidden, sizeof(b->hidden));
	cs->hidden_areas = b->hidden;
}

/* The plain statement the notes carry when the overwrite missed sectors
 * the drive hides (or may hide); "" when none. */
static void hidden_warning(const struct fw_result *hid, char *out, size_t len)
{
	const struct fw_hidden *h = hid ? &hid->hidden : NULL;

	out[0] = '\0';
	if (h && h->checked && h->known && h->still_hidden_sectors)
		snprintf(out, len, "Hidden area of %llu sectors (HPA/DCO/AMA) NOT overwritten: "
			 "the overwrite reached only the sectors the drive makes addressable.",
			 (unsigned long long)h->still_hidden_sectors);
	else if (h && h->checked && !h->known)
		snprintf(out, len, "Hidden areas (HPA/DCO/AMA) could not be determined; any "
			 "hidden area was NOT overwritten.");
}

static const char *notes_text(const struct sanitize_plan *plan, const struct fw_result *hid,
			      struct cert_bufs *b)
{
	const char *notes = plan->priv->notes;
	char hw[200];

	hidden_warning(hid, hw, sizeof(hw));
	if (plan->declared)
		snprintf(b->notes, sizeof(b->notes), "%s%sMedium not in the register: "
			 "classification %s declared by the operator.%s%s", notes,
			 notes[0] ? " " : "", plan->classification, hw[0] ? " " : "", hw);
	else
		snprintf(b->notes, sizeof(b->notes), "%s%s%s", notes,
			 notes[0] && hw[0] ? " " : "", hw);
	return b->notes[0] ? b->notes : NULL;
}

/* Attach the signed certificate @doc (@id, in @dir) to medium @m. */
static int attach(const char *dir, struct register_db *db, const json_t *doc, const char *id,
		  int64_t media_id, const char *hash, char **cause)
{
	const char *kind = cert_doc_kind(doc);
	const char *issued = json_string_value(json_object_get(json_object_get(doc,
						"certificate"), "issued"));
	struct register_cert c;
	int rc;

	memset(&c, 0, sizeof(c));
	util_strlcpy(c.id, id, sizeof(c.id));
	c.media_id = media_id;
	util_strlcpy(c.kind, kind ? kind : "report", sizeof(c.kind));
	util_strlcpy(c.issued_at, issued ? issued : "", sizeof(c.issued_at));
	util_strlcpy(c.event_hash, hash, sizeof(c.event_hash));
	snprintf(c.path, sizeof(c.path), "%s/%s.json", dir, id);
	c.json = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	rc = c.json ? register_add_certificate(db, &c, cause) :
		      util_fail(cause, -ENOMEM, _("out of memory"));
	free(c.json);
	return rc;
}

/* Remove what a failed issue wrote (<dir>/<id>.json, .pdf). */
static void remove_doc(const char *dir, const char *id)
{
	static const char *const ext[] = { "json", "pdf" };

	for (size_t i = 0; i < UTIL_ARRAY_SIZE(ext); i++) {
		char *p = util_asprintf("%s/%s.%s", dir, id, ext[i]);

		if (p && unlink(p) < 0 && errno != ENOENT)
			util_warn(_("cannot remove %s: %s"), p, strerror(errno));
		free(p);
	}
}

struct orphan_ctx {
	struct register_db *db;
	const struct sign_key *key;
};

/*
 * <dir>/<id>.json that the register does not hold: the files are written
 * before the row, so an issuer killed in between leaves one.  A document
 * this station signed for an event of its register is recorded now (its
 * number is then taken, no hole, no file without a row); anything else
 * stops the numbering with a cause naming the file, never overwritten.
 */
static int adopt_orphan(void *data, const char *dir, const char *id, char **cause)
{
	const struct orphan_ctx *o = data;
	char *path = util_asprintf("%s/%s.json", dir, id), *why = NULL;
	const char *hash;
	json_t *doc = NULL;
	int64_t media_id = 0;
	int rc;

	if (!path)
		return util_fail(cause, -ENOMEM, _("out of memory"));
	rc = cert_load_file(path, &doc, &why);
	if (rc == 0)
		rc = cert_verify_doc(doc, o->key, &why);
	hash = rc == 0 ? json_string_value(json_object_get(json_object_get(doc, "certificate"),
							   "register_event_hash")) : NULL;
	if (rc == 0 && (!hash || strcmp(cert_doc_id(doc) ? cert_doc_id(doc) : "", id) != 0))
		rc = -EBADMSG;
	if (rc == 0)
		rc = register_event_media(o->db, hash, &media_id, &why);
	if (rc == 0 && register_event_has_cert(o->db, hash))
		rc = util_fail(&why, -EEXIST, _("its event already has a certificate"));
	if (rc == 0)
		rc = attach(dir, o->db, doc, id, media_id, hash, &why);
	if (rc == 0)
		util_info(_("%s: a certificate written by an interrupted run, recorded now"), path);
	else
		rc = util_fail(cause, rc, _("%s is not in the register and cannot be recorded (%s): "
			       "it was not written by this station for an event of its register; "
			       "move it out of the certificate directory"), path,
			       why ? why : strerror(-rc));
	free(why);
	json_decref(doc);
	free(path);
	return rc;
}

/* The years (at most @max) of this station's certificate files in @dir
 * other than @year: "<prefix>-YYYY-NNNNNN.json". */
static size_t other_years(const char *dir, const char *prefix, int year, int *years,
			  size_t max)
{
	size_t plen = strlen(prefix), n = 0;
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d && (e = readdir(d))) {
		const char *name = e->d_name;
		int y = 0;
		size_t i;

		if (strncmp(name, prefix, plen) != 0 || name[plen] != '-' ||
		    strlen(name) != plen + 17 || strcmp(name + plen + 12, ".json") != 0 ||
		    sscanf(name + plen + 1, "%4d-", &y) != 1 || y == year)
			continue;
		for (i = 0; i < n && years[i] != y; i++)
			;
		if (i == n && n < max)
			years[n++] = y;
	}
	if (d)
		closedir(d);
	return n;
}

/*
 * Numbering is per year, so an orphan left by a kill in one year is never
 * met by the numbers of the next (the first issue after New Year takes
 * number 1 of the new year).  For every other year of this station's
 * files in @dir: its next number, when that file exists without a row, is
 * recorded like an orphan of this year.  One that cannot be recorded is
 * left where it is, and register verify reports it.
 */
static void adopt_other_years(struct orphan_ctx *o, const char *dir, const char *prefix,
			      int64_t now)
{
	time_t t = (time_t)now;
	struct tm tm;
	int years[32];
	size_t n;

	if (!gmtime_r(&t, &tm))
		return;
	n = other_years(dir, prefix, tm.tm_year + 1900, years, UTIL_ARRAY_SIZE(years));
	for (size_t i = 0; i < n; i++) {
		for (int tries = 0; tries < 100; tries++) {
			char *id = NULL, *path = NULL, *why = NULL;
			uint64_t seq = 0;
			bool orphan;

			if (register_next_cert_seq(o->db, prefix, years[i], &seq, NULL) < 0)
				break;
			id = util_asprintf("%s-%04d-%06" PRIu64, prefix, years[i], seq);
			path = id ? util_asprintf("%s/%s.json", dir, id) : NULL;
			orphan = path && access(path, F_OK) == 0 && !register_cert_id_taken(o->db, id);
			if (orphan && adopt_orphan(o, dir, id, &why) < 0) {
				util_warn("%s", why ? why : id);
				orphan = false;
			}
			free(why);
			free(path);
			free(id);
			if (!orphan)
				break;
		}
	}
}

/* Sign @in with @key into @dir under the next number the register has
 * not used, and attach it to medium @media_id (event @hash), under one
 * lock.  On failure nothing is left: no file, no row, no number. */
static int sign_into(const char *dir, const struct station *st, const struct sign_key *key,
		     struct register_db *db, const struct cert_input *in, int64_t media_id,
		     const char *hash, json_t **doc, char **id, char **cause)
{
	struct sanitize_seq seq = { .db = db, .prefix = st->prefix };
	struct orphan_ctx orphan = { .db = db, .key = key };
	/* the certificate names the key that signs it: the station may have
	 * been re-keyed since @st was read (a run that started before) */
	struct station signer = *st;
	struct cert_issue_opts opts = {
		.cert_dir = dir, .id_taken = register_cert_id_taken, .taken_data = db,
		.next_seq = sanitize_cert_seq, .seq_data = &seq,
		.orphan = adopt_orphan, .orphan_data = &orphan,
	};
	int rc, lock_fd = -1;

	*id = NULL;
	if (sign_fingerprint(key, signer.fingerprint) < 0)
		return util_fail(cause, -EIO, _("cannot compute the key fingerprint"));
	signer.key_type = sign_key_type_of(key);
	pthread_mutex_lock(&certify_lock);
	/* other processes too: from the number to the record, so none takes
	 * the same number or records this file as left by a killed issuer */
	rc = util_mkdir_p(dir, 0700);
	if (rc < 0)
		util_fail(cause, rc, _("cannot create %s"), dir);
	else
		rc = cert_dir_lock(dir, &lock_fd, cause);
	opts.dir_locked = true;
	if (rc == 0) {
		int64_t now = util_unix_now();

		adopt_other_years(&orphan, dir, st->prefix, now);
		rc = cert_next_id(&signer, &opts, now, id, cause);
	}
	opts.id = *id;
	if (rc == 0)
		rc = cert_issue(in, &signer, key, &opts, doc, NULL, cause);
	if (rc == 0)
		util_test_crash("cert-files-written");
	if (rc == 0)
		rc = attach(dir, db, *doc, *id, media_id, hash, cause);
	if (rc < 0 && *id)
		remove_doc(dir, *id);
	if (lock_fd >= 0)
		util_close(lock_fd);
	pthread_mutex_unlock(&certify_lock);
	if (rc < 0) {
		json_decref(*doc);
		*doc = NULL;
		free(*id);
		*id = NULL;
	}
	return rc;
}

/* Empty register text -> NULL (absent on the certificate). */
static const char *opt_str(const char *s)
{
	return s && *s ? s : NULL;
}

/* The roster's title and phone for the people on a certificate (a title
 * given for this job wins).  Returns the roster, which the certificate's
 * strings point into: staff_free() it after.  No roster: NULL. */
static struct staff *roster_details(const char *state_dir, struct cert_input *in)
{
	struct cert_person *people[2 + CERT_MAX_WITNESSES] = { &in->operator_, &in->validator };
	struct staff *roster = NULL;

	for (size_t i = 0; i < CERT_MAX_WITNESSES; i++)
		people[2 + i] = &in->destruction.witnesses[i];
	if (!state_dir || staff_load(state_dir, &roster, NULL) < 0)
		return NULL;
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(people); i++) {
		const struct staff_person *sp = people[i]->name ?
			staff_find(roster, people[i]->name) : NULL;

		if (!sp)
			continue;
		if (!people[i]->title && sp->title && sp->title[0])
			people[i]->title = sp->title;
		if (!people[i]->phone && sp->phone && sp->phone[0])
			people[i]->phone = sp->phone;
	}
	return roster;
}

/* The destruction certificate's content: the medium as registered, the
 * people, the destruction with every witness. */
static void destroy_input(const struct register_media *m, const struct sanitize_destroy *fd,
			  struct cert_input *in)
{
	const struct register_destruction *d = fd->d;
	struct cert_medium *md = &in->medium;

	memset(in, 0, sizeof(*in));
	in->kind = CERT_KIND_DESTRUCTION;
	in->operator_.name = opt_str(fd->operator_name) ? fd->operator_name : station_operator();
	in->operator_.title = opt_str(fd->operator_title);
	in->validator.name = opt_str(fd->validator_name);
	in->validator.title = opt_str(fd->validator_title);
	md->register_no = m->register_no;
	md->asset_tag = opt_str(m->asset_tag);
	md->media_type = opt_str(m->media_type);
	md->vendor = opt_str(m->vendor);
	md->model = opt_str(m->model);
	md->serial = opt_str(m->serial);
	md->wwn = opt_str(m->wwn);
	md->capacity_bytes = m->capacity_bytes;
	md->class_before = opt_str(m->classification);
	md->class_after = md->class_before;	/* destroyed: never lower */
	md->custodian = opt_str(m->custodian);
	md->department = opt_str(m->department);
	in->destruction.method = d->method;
	in->destruction.place = d->place;
	for (size_t i = 0; i < d->n_witnesses && i < CERT_MAX_WITNESSES; i++)
		in->destruction.witnesses[i].name = d->witnesses[i];
	in->destination = "destruction";
	in->notes = opt_str(d->note);
}

/* Create the certificate directory; its absolute path into
 * fd->cert_dir_out (the path as given when it cannot be resolved). */
static int destroy_cert_dir(struct sanitize_destroy *fd, char **cause)
{
	char *dir = sanitize_cert_dir(fd->state_dir, fd->cert_dir), *abs = NULL;
	int rc;

	if (!dir)
		return util_fail(cause, -ENOMEM, _("out of memory"));
	rc = util_mkdir_p(dir, 0700);
	if (rc < 0) {
		rc = util_fail(cause, rc, _("cannot create %s"), dir);
		goto out;
	}
	abs = realpath(dir, NULL);
	if (util_strlcpy(fd->cert_dir_out, abs ? abs : dir, sizeof(fd->cert_dir_out)) >=
	    sizeof(fd->cert_dir_out))
		rc = util_fail(cause, -ENAMETOOLONG, _("%s: path too long"), dir);
out:
	free(abs);
	free(dir);
	return rc;
}

/* Before anything is written: the witness rule, the certificate's rules on
 * the people (-EPERM), the signing key and the certificate directory. */
static int destroy_precheck(const struct policy *pol, struct sanitize_destroy *fd,
			    const struct cert_input *in, struct sign_key **key, char **cause)
{
	const struct register_destruction *d = fd->d;
	json_t *obj = NULL;
	int rc;

	if (!fd->station)
		return util_fail(cause, -ENOENT, _("no certificate: the station is not set up "
				 "(custos init)"));
	if (d->n_witnesses > CERT_MAX_WITNESSES)
		return util_fail(cause, -EPERM, _("rule two-witnesses: at most %d witnesses"),
				 CERT_MAX_WITNESSES);
	rc = policy_check_destroy(pol, d->witnesses, d->n_witnesses, cause);
	if (rc == 0) {
		rc = cert_build(in, fd->station, "check", util_unix_now(), &obj, cause);
		json_decref(obj);
		if (rc == -EINVAL)
			rc = -EPERM;	/* a rule about the people: refused */
	}
	if (rc == 0)
		rc = station_load_signing_key(fd->station, key, cause);
	if (rc == 0)
		rc = destroy_cert_dir(fd, cause);
	return rc;
}

/* After the event: sign, write and attach the certificate.  A failure
 * says the medium stays recorded as destroyed. */
static int destroy_certify(struct register_db *db, const struct register_media *m,
			   struct sanitize_destroy *fd, struct cert_input *in,
			   const struct sign_key *key, char **cause)
{
	const char *dir = fd->cert_dir_out;
	char *why = NULL, *id = NULL;
	json_t *doc = NULL;
	int rc;

	in->event_hash = fd->hash;
	in->destruction.time = util_unix_now();
	rc = sign_into(dir, fd->station, key, db, in, m->id, fd->hash, &doc, &id, &why);
	if (rc == 0)
		util_strlcpy(fd->cert_id, id, sizeof(fd->cert_id));
	if (rc < 0)
		util_fail(cause, rc, _("%s is recorded as destroyed (event %.16s...), but no "
			  "certificate could be issued: %s"), m->register_no, fd->hash,
			  why ? why : strerror(-rc));
	free(why);
	free(id);
	json_decref(doc);
	return rc;
}

int sanitize_destroy(const struct policy *pol, struct register_db *db,
		   const struct register_media *m, struct sanitize_destroy *fd, char **cause)
{
	struct sign_key *key = NULL;
	struct staff *roster;
	struct cert_input in;
	int rc;

	fd->recorded = false;
	fd->hash[0] = fd->cert_id[0] = fd->cert_dir_out[0] = '\0';
	destroy_input(m, fd, &in);
	roster = roster_details(fd->state_dir, &in);
	rc = destroy_precheck(pol, fd, &in, &key, cause);
	if (rc == 0)
		rc = register_destroy(db, pol, m->id, fd->d, fd->hash, cause);
	if (rc == 0) {
		fd->recorded = true;
		rc = destroy_certify(db, m, fd, &in, key, cause);
	}
	sign_key_free(key);
	staff_free(roster);
	return rc;
}

static void set_outputs(struct sanitize_run *run, const char *dir, const char *id, json_t *doc)
{
	struct sanitize_end *e = &run->end;

	util_strlcpy(e->cert_id, id, sizeof(e->cert_id));
	util_strlcpy(e->cert_kind, cert_doc_kind(doc) ? cert_doc_kind(doc) : "report",
		     sizeof(e->cert_kind));
	snprintf(e->cert_json, sizeof(e->cert_json), "%s/%s.json", dir, id);
	snprintf(e->cert_pdf, sizeof(e->cert_pdf), "%s/%s.pdf", dir, id);
	json_decref(run->doc);
	run->doc = json_incref(doc);
}

int sanitize_certify(struct sanitize_run *run, struct register_db *db,
		     const struct wipe_result *res, const struct fw_result *hid, char **cause)
{
	const struct sanitize_plan *plan = run->plan;
	const struct station *st = plan->priv->station;
	struct cert_bufs *b = calloc(1, sizeof(*b));
	char *dir = sanitize_cert_dir(plan->priv->state_dir, plan->priv->cert_dir), *id = NULL;
	struct sign_key *key = NULL;
	struct staff *roster = NULL;
	struct register_media m;
	json_t *doc = NULL;
	struct cert_input in;
	int rc;

	if (!b || !dir) {
		rc = util_fail(cause, -ENOMEM, _("out of memory"));
		goto out;
	}
	if (!st) {
		rc = util_fail(cause, -ENOENT, _("the station is not set up (custos init)"));
		goto out;
	}
	rc = register_get(db, run->media_id, &m, cause);
	if (rc < 0)
		goto out;
	memset(&in, 0, sizeof(in));
	in.kind = CERT_KIND_SANITIZATION;
	in.operator_.name = plan->operator_name;
	in.operator_.title = plan->operator_title[0] ? plan->operator_title : NULL;
	in.validator.name = plan->validator_name[0] ? plan->validator_name : NULL;
	in.validator.title = plan->validator_title[0] ? plan->validator_title : NULL;
	fill_medium(&in.medium, b, plan, &m, &plan->dev);
	fill_sanitization(&in.san, b, run, res, sanitize_nist_text(run), run->end.outcome);
	if (plan->profile.method != PROFILE_METHOD_OVERWRITE)
		fill_firmware(&in.san, b, &run->fw.result);
	else
		fill_hidden_overwrite(&in.san, b, hid);
	in.destination = plan->destination;
	in.event_hash = run->end.event_hash;
	in.notes = notes_text(plan, hid, b);
	roster = roster_details(plan->priv->state_dir, &in);
	rc = util_mkdir_p(dir, 0700);
	if (rc < 0) {
		rc = util_fail(cause, rc, _("cannot create %s: %s"), dir, strerror(-rc));
		goto out;
	}
	rc = station_load_signing_key(st, &key, cause);
	if (rc == 0)
		rc = sign_into(dir, st, key, db, &in, m.id, run->end.event_hash, &doc, &id, cause);
	if (rc == 0)
		set_outputs(run, dir, id, doc);
out:
	staff_free(roster);
	sign_key_free(key);
	json_decref(doc);
	free(id);
	free(dir);
	free(b);
	return rc;
}
