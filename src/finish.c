/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * finish: the policy check before a sanitization and, in the job's own
 * thread when it ends, the register event and the certificate (or report)
 * attached to the medium.  Shared by the CLI and the station screen.
 */
#include "finish.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cert.h"
#include "job.h"
#include "register.h"
#include "station.h"
#include "util.h"

/* Jobs ending together certify one after the other: PDF rendering
 * (fontconfig, pango) is not something to run twice at once. */
static pthread_mutex_t certify_lock = PTHREAD_MUTEX_INITIALIZER;

void finish_init(struct finish *fin)
{
	memset(fin, 0, sizeof(*fin));
	fw_opts_init(&fin->fw.opts);
	util_strlcpy(fin->destination, policy_dest_name(POLICY_DEST_INTERNAL_REUSE),
		     sizeof(fin->destination));
}

void finish_clear(struct finish *fin)
{
	if (!fin)
		return;
	fw_result_clear(&fin->fw.result);
	json_decref(fin->doc);
	fin->doc = NULL;
}

int finish_nist(const struct profile *p, const struct device_info *dev, enum policy_nist *out)
{
	switch (profile_nist_for(p, device_media_kind(dev))) {
	case PROFILE_NIST_CLEAR:
		*out = POLICY_NIST_CLEAR;
		return 0;
	case PROFILE_NIST_PURGE:
		*out = POLICY_NIST_PURGE;
		return 0;
	default:
		return -EINVAL;
	}
}

/* The policy decision for a level the register does not hold. */
static int check_declared(const struct policy *pol, const struct device_info *dev,
			  struct finish *fin, enum policy_nist cat, enum policy_dest dest,
			  char **cause)
{
	enum policy_level level = FINISH_DEFAULT_CLASS;
	enum policy_kind kind;

	if (!fin->declared_class[0])
		util_strlcpy(fin->declared_class, policy_level_name(level),
			     sizeof(fin->declared_class));
	else if (policy_level_parse(fin->declared_class, &level) < 0)
		return util_fail(cause, -EINVAL, "unknown classification '%s'", fin->declared_class);
	util_strlcpy(fin->declared_class, policy_level_name(level), sizeof(fin->declared_class));
	if (policy_kind_parse(device_media_kind(dev), &kind) < 0)
		kind = POLICY_KIND_OTHER;
	return policy_check_sanitize(pol, level, level, kind, cat, dest, cause);
}

int finish_check(const struct policy *pol, struct register_db *db, const struct device_info *dev,
		 const struct profile *p, struct finish *fin, char **cause)
{
	struct register_media m;
	enum policy_nist cat = POLICY_NIST_CLEAR;
	enum policy_dest dest;
	int rc = -ENOENT;

	if (policy_dest_parse(fin->destination, &dest) < 0)
		return util_fail(cause, -EINVAL, "unknown destination '%s'", fin->destination);
	if (finish_nist(p, dev, &cat) < 0 && dest != POLICY_DEST_DESTRUCTION)
		return util_fail(cause, -EPERM, "policy rule minimum-sanitization: profile %s "
				 "reaches no NIST category on %s media", p->name,
				 device_media_kind(dev));
	fin->media_id = 0;
	if (db)
		rc = register_find_by_device(db, dev, &m, cause);
	if (rc < 0 && rc != -ENOENT)
		return rc;
	if (rc == -ENOENT) {
		free(*cause);
		*cause = NULL;
		return check_declared(pol, dev, fin, cat, dest, cause);
	}
	fin->media_id = m.id;
	rc = register_check_sanitize_state(&m, cause);
	if (rc < 0)
		return rc;
	if (m.unregistered || !m.classification[0])
		return check_declared(pol, dev, fin, cat, dest, cause);
	fin->declared_class[0] = '\0';
	return register_policy_check_sanitize(pol, &m, cat, dest, cause);
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

/* The category the certificate states: for a firmware method, the one the
 * method actually used reaches on this media. */
static const char *nist_text(const struct finish *fin, const struct profile *profile,
			     const struct device_info *dev)
{
	const struct fw_result *fr = &fin->fw.result;

	if (profile->method != PROFILE_METHOD_OVERWRITE && fr->used != FW_METHOD_NONE &&
	    fr->nist != FW_NIST_NONE)
		return fw_nist_name(fr->nist);
	return profile_nist_name(profile_nist_for(profile, device_media_kind(dev)));
}

/* The result JSON kept in the register event, with what the record adds
 * (an overwrite's hidden areas: @hid, NULL when not applicable). */
static char *result_text(const struct finish *fin, const struct profile *profile,
			 const struct wipe_result *res, const struct fw_result *hid)
{
	json_t *j = wipe_result_to_json(res);
	char *text;

	if (!j)
		return NULL;
	if (profile->method == PROFILE_METHOD_OVERWRITE)
		json_object_set_new(j, "hidden_areas", fw_job_hidden_to_json(hid));
	if (fin->declared_class[0])
		json_object_set_new(j, "declared_classification", json_string(fin->declared_class));
	if (fin->source_host[0])
		json_object_set_new(j, "source_host", json_string(fin->source_host));
	text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	return text;
}

/* The register's side: the sanitization event, creating an unregistered
 * entry for a medium that was never enrolled.  Fills @m and @hash. */
static int record(struct finish *fin, struct register_db *db, const struct device_info *dev,
		  const struct profile *profile, const struct wipe_result *res,
		  const struct fw_result *hid, const char *cert_id, struct register_media *m,
		  char *hash, char **cause)
{
	char *text = result_text(fin, profile, res, hid);
	struct register_sanitization s = {
		.result_json = text,
		.certificate_id = cert_id,
		.destination = fin->destination,
		.nist_category = nist_text(fin, profile, dev),
		.profile = profile->name,
	};
	int64_t id = fin->media_id;
	int rc;

	if (!text)
		return util_fail(cause, -ENOMEM, "out of memory");
	rc = register_record_sanitization(db, fin->media_id, dev, &s, &id, hash, cause);
	free(text);
	if (rc == 0)
		rc = register_get(db, id, m, cause);
	if (rc == 0)
		util_strlcpy(fin->register_no, m->register_no, sizeof(fin->register_no));
	return rc;
}

struct cert_bufs {
	struct cert_pass passes[PROFILE_MAX_PASSES];
	char patterns[PROFILE_MAX_PASSES][160];
	struct cert_range ranges[64];
	char verify[96];
	char hidden[320];
	char markers[96];
	char declared[64];
	char notes[512];
};

static void fill_medium(struct cert_medium *cm, struct cert_bufs *b, const struct finish *fin,
			const struct register_media *m, const struct device_info *dev)
{
	const char *cls = m->classification[0] ? m->classification : NULL;

	if (!cls && fin->declared_class[0]) {
		snprintf(b->declared, sizeof(b->declared), "%s (declared, not registered)",
			 fin->declared_class);
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
	cm->source_host = fin->source_host[0] ? fin->source_host : NULL;
}

static void fill_sanitization(struct cert_sanitization *cs, struct cert_bufs *b,
			      const struct finish *fin, const struct profile *profile,
			      const struct wipe_result *res, const struct device_info *dev)
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
	cs->nist_category = nist_text(fin, profile, dev);
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

static const char *notes_text(const struct finish *fin, const struct fw_result *hid,
			      struct cert_bufs *b)
{
	char hw[200];

	hidden_warning(hid, hw, sizeof(hw));
	if (fin->declared_class[0])
		snprintf(b->notes, sizeof(b->notes), "%s%sMedium not in the register: "
			 "classification %s declared by the operator.%s%s", fin->notes,
			 fin->notes[0] ? " " : "", fin->declared_class, hw[0] ? " " : "", hw);
	else
		snprintf(b->notes, sizeof(b->notes), "%s%s%s", fin->notes,
			 fin->notes[0] && hw[0] ? " " : "", hw);
	return b->notes[0] ? b->notes : NULL;
}

static char *cert_dir_of(const char *state_dir, const char *cert_dir)
{
	return cert_dir ? strdup(cert_dir) : util_asprintf("%s/certs", state_dir);
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
		      util_fail(cause, -ENOMEM, "out of memory");
	free(c.json);
	return rc;
}

/* Sign @in with @key into @dir (the id @reserved, or the next). */
static int sign_into(const char *dir, const struct station *st, const struct sign_key *key,
		     struct register_db *db, const struct cert_input *in, const char *reserved,
		     json_t **doc, char **id, char **cause)
{
	struct cert_issue_opts opts = {
		.cert_dir = dir, .id_taken = register_cert_id_taken, .taken_data = db,
		.id = reserved,
	};
	int rc;

	pthread_mutex_lock(&certify_lock);
	rc = cert_issue(in, st, key, &opts, doc, id, cause);
	pthread_mutex_unlock(&certify_lock);
	return rc;
}

/* Sign @in into @dir and attach the certificate to medium @m. */
static int issue(const char *dir, const struct station *st, struct register_db *db,
		 const struct cert_input *in, const struct register_media *m, const char *hash,
		 const char *reserved, json_t **doc, char **id, char **cause)
{
	struct sign_key *key = NULL;
	int rc;

	rc = station_load_signing_key(st, &key, cause);
	if (rc == 0)
		rc = sign_into(dir, st, key, db, in, reserved, doc, id, cause);
	sign_key_free(key);
	if (rc == 0)
		rc = attach(dir, db, *doc, *id, m->id, hash, cause);
	return rc;
}

/* Empty register text -> NULL (absent on the certificate). */
static const char *opt_str(const char *s)
{
	return s && *s ? s : NULL;
}

/* The destruction certificate's content: the medium as registered, the
 * people, the destruction with every witness. */
static void destroy_input(const struct register_media *m, const struct finish_destroy *fd,
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
static int destroy_cert_dir(struct finish_destroy *fd, char **cause)
{
	char *dir = cert_dir_of(fd->state_dir, fd->cert_dir), *abs = NULL;
	int rc;

	if (!dir)
		return util_fail(cause, -ENOMEM, "out of memory");
	rc = util_mkdir_p(dir, 0700);
	if (rc < 0) {
		rc = util_fail(cause, rc, "cannot create %s", dir);
		goto out;
	}
	abs = realpath(dir, NULL);
	if (util_strlcpy(fd->cert_dir_out, abs ? abs : dir, sizeof(fd->cert_dir_out)) >=
	    sizeof(fd->cert_dir_out))
		rc = util_fail(cause, -ENAMETOOLONG, "%s: path too long", dir);
out:
	free(abs);
	free(dir);
	return rc;
}

/* Before anything is written: the witness rule, the certificate's rules on
 * the people (-EPERM), the signing key and the certificate directory. */
static int destroy_precheck(const struct policy *pol, struct finish_destroy *fd,
			    const struct cert_input *in, struct sign_key **key, char **cause)
{
	const struct register_destruction *d = fd->d;
	json_t *obj = NULL;
	int rc;

	if (!fd->station)
		return util_fail(cause, -ENOENT, "no certificate: the station is not set up "
				 "(custos init)");
	if (d->n_witnesses > CERT_MAX_WITNESSES)
		return util_fail(cause, -EPERM, "rule two-witnesses: at most %d witnesses",
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
			   struct finish_destroy *fd, struct cert_input *in,
			   const struct sign_key *key, char **cause)
{
	const char *dir = fd->cert_dir_out;
	char *why = NULL, *id = NULL;
	json_t *doc = NULL;
	int rc;

	in->event_hash = fd->hash;
	in->destruction.time = util_unix_now();
	rc = sign_into(dir, fd->station, key, db, in, NULL, &doc, &id, &why);
	if (rc == 0) {
		util_strlcpy(fd->cert_id, id, sizeof(fd->cert_id));
		rc = attach(dir, db, doc, id, m->id, fd->hash, &why);
	}
	if (rc < 0 && id)
		util_fail(cause, rc, "%s is recorded as destroyed (event %.16s...) and "
			  "certificate %s is in %s, but the register could not store it: %s",
			  m->register_no, fd->hash, id, dir, why ? why : strerror(-rc));
	else if (rc < 0)
		util_fail(cause, rc, "%s is recorded as destroyed (event %.16s...), but no "
			  "certificate could be issued: %s", m->register_no, fd->hash,
			  why ? why : strerror(-rc));
	free(why);
	free(id);
	json_decref(doc);
	return rc;
}

int finish_destroy(const struct policy *pol, struct register_db *db,
		   const struct register_media *m, struct finish_destroy *fd, char **cause)
{
	struct sign_key *key = NULL;
	struct cert_input in;
	int rc;

	fd->recorded = false;
	fd->hash[0] = fd->cert_id[0] = fd->cert_dir_out[0] = '\0';
	destroy_input(m, fd, &in);
	rc = destroy_precheck(pol, fd, &in, &key, cause);
	if (rc == 0)
		rc = register_destroy(db, pol, m->id, fd->d, fd->hash, cause);
	if (rc == 0) {
		fd->recorded = true;
		rc = destroy_certify(db, m, fd, &in, key, cause);
	}
	sign_key_free(key);
	return rc;
}

static void set_outputs(struct finish *fin, const char *dir, const char *id, json_t *doc)
{
	util_strlcpy(fin->cert_id, id, sizeof(fin->cert_id));
	util_strlcpy(fin->cert_kind, cert_doc_kind(doc) ? cert_doc_kind(doc) : "report",
		     sizeof(fin->cert_kind));
	snprintf(fin->cert_json, sizeof(fin->cert_json), "%s/%s.json", dir, id);
	snprintf(fin->cert_pdf, sizeof(fin->cert_pdf), "%s/%s.pdf", dir, id);
	json_decref(fin->doc);
	fin->doc = json_incref(doc);
}

/* Take the next certificate id for this job (durably: it is never reused). */
static int reserve_id(struct finish *fin, struct register_db *db, char **id, char **cause)
{
	char *dir = cert_dir_of(fin->state_dir, fin->cert_dir);
	struct cert_issue_opts opts = {
		.cert_dir = dir, .id_taken = register_cert_id_taken, .taken_data = db,
	};
	int rc;

	if (!dir)
		return util_fail(cause, -ENOMEM, "out of memory");
	pthread_mutex_lock(&certify_lock);
	rc = cert_next_id(fin->station, &opts, util_unix_now(), id, cause);
	pthread_mutex_unlock(&certify_lock);
	free(dir);
	return rc;
}

/* Issue the certificate (or report) and attach it to the medium. */
static int certify(struct finish *fin, struct register_db *db, const struct device_info *dev,
		   const struct profile *profile, const struct wipe_result *res,
		   const struct fw_result *hid, const char *cert_id,
		   const struct register_media *m, const char *hash, char **cause)
{
	struct cert_bufs *b = calloc(1, sizeof(*b));
	char *dir = cert_dir_of(fin->state_dir, fin->cert_dir), *id = NULL;
	json_t *doc = NULL;
	struct cert_input in;
	int rc = -ENOMEM;

	if (!b || !dir) {
		rc = util_fail(cause, -ENOMEM, "out of memory");
		goto out;
	}
	memset(&in, 0, sizeof(in));
	in.kind = CERT_KIND_SANITIZATION;
	in.operator_.name = fin->operator_name[0] ? fin->operator_name : station_operator();
	in.operator_.title = fin->operator_title[0] ? fin->operator_title : NULL;
	in.validator.name = fin->validator_name[0] ? fin->validator_name : NULL;
	in.validator.title = fin->validator_title[0] ? fin->validator_title : NULL;
	fill_medium(&in.medium, b, fin, m, dev);
	fill_sanitization(&in.san, b, fin, profile, res, dev);
	if (profile->method != PROFILE_METHOD_OVERWRITE)
		fill_firmware(&in.san, b, &fin->fw.result);
	else
		fill_hidden_overwrite(&in.san, b, hid);
	in.destination = fin->destination;
	in.event_hash = hash;
	in.notes = notes_text(fin, hid, b);
	rc = issue(dir, fin->station, db, &in, m, hash, cert_id, &doc, &id, cause);
	if (rc == 0)
		set_outputs(fin, dir, id, doc);
out:
	json_decref(doc);
	free(id);
	free(dir);
	free(b);
	return rc;
}

int finish_hook(struct job *job, const struct device_info *dev, const struct profile *profile,
		const struct wipe_result *res, void *data, char **cause)
{
	struct finish *fin = data;
	struct register_db *db = NULL;
	struct register_media m;
	const char *op = fin->operator_name[0] ? fin->operator_name : station_operator();
	char hash[65] = "", *cert_id = NULL;
	/* an overwrite's hidden areas; a firmware job's are in fin->fw.result */
	const struct fw_result *hid = profile->method == PROFILE_METHOD_OVERWRITE ?
				      job_hidden_areas(job) : NULL;
	int rc;

	if (!fin->station)
		return util_fail(cause, -ENOENT, "no certificate: the station is not set up "
				 "(custos init)");
	rc = register_open_dir(fin->state_dir, &db, cause);
	if (rc < 0)
		return rc;
	rc = register_attach_station(db, fin->station, op, cause);
	if (rc < 0) {
		register_close(db);
		return rc;
	}
	/* The id is reserved first so the register event can name its
	 * certificate, and the certificate carry the event's hash. */
	rc = reserve_id(fin, db, &cert_id, cause);
	if (rc == 0)
		rc = record(fin, db, dev, profile, res, hid, cert_id, &m, hash, cause);
	if (rc == 0)
		rc = certify(fin, db, dev, profile, res, hid, cert_id, &m, hash, cause);
	register_close(db);
	free(cert_id);
	return rc;
}
