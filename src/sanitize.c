/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * sanitize: the plan.  Everything that can refuse a sanitization is
 * decided here, before anything is written or any number taken: the probe
 * and the device's safety reasons, the register (lifecycle, integrity),
 * the policy for every destination, the people, the firmware guard, the
 * signing key, and whether the register and the certificate directory can
 * take the record.  Start, progress and the end are in sanitize-run.c.
 */
#include "sanitize-private.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "staff.h"
#include "station.h"
#include "util.h"

/* What the register or the certificate directory must have free before a
 * run starts: an event, a signed JSON and its PDF, with room to spare. */
#define SANITIZE_MIN_FREE (8ull << 20)

void sanitize_request_init(struct sanitize_request *rq)
{
	memset(rq, 0, sizeof(*rq));
	fw_opts_init(&rq->fw);
}

int sanitize_nist(const struct profile *p, const struct device_info *dev,
		  enum policy_nist *out)
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

/* Refuse the plan: rc, class and the reason (printf). */
static int refuse(struct sanitize_plan *plan, int rc, const char *what, const char *fmt, ...)
	UTIL_PRINTF(4, 5);

static int refuse(struct sanitize_plan *plan, int rc, const char *what, const char *fmt, ...)
{
	va_list ap;

	if (plan->rc < 0)
		return plan->rc;	/* the first refusal stands */
	plan->rc = rc;
	util_strlcpy(plan->refusal, what, sizeof(plan->refusal));
	va_start(ap, fmt);
	vsnprintf(plan->reason, sizeof(plan->reason), fmt, ap);
	va_end(ap);
	return rc;
}

/* Refuse with a library call's cause (consumed). */
static int refuse_cause(struct sanitize_plan *plan, int rc, const char *what, char *cause)
{
	refuse(plan, rc, what, "%s", cause ? cause : strerror(-rc));
	free(cause);
	return rc;
}

static bool blank(const char *s)
{
	if (!s)
		return true;
	for (; *s; s++)
		if (*s != ' ' && *s != '\t')
			return false;
	return true;
}

/* The operator when the request names none: the station's default
 * (staff_default_operator(): $CUSTOS_OPERATOR, station.conf), else, only
 * while the station keeps no roster, the login account (the demo and a
 * station not yet staffed); with a roster, nobody ("" is refused as a
 * missing operator): a certificate never names a login account then. */
static void default_operator(const struct sanitize_request *rq, char *op, size_t len)
{
	const char *def = staff_default_operator(rq->station);
	struct staff *roster = NULL;

	op[0] = '\0';
	if (def) {
		util_strlcpy(op, def, len);
		return;
	}
	if (staff_load(rq->state_dir, &roster, NULL) == 0 && roster->n == 0)
		station_operator_name(op, len);
	staff_free(roster);
}

static void copy_request(struct sanitize_plan *plan, const struct sanitize_request *rq)
{
	struct sanitize_plan_priv *pv = plan->priv;
	char op[128];

	util_strlcpy(pv->state_dir, rq->state_dir, sizeof(pv->state_dir));
	if (rq->cert_dir)
		util_strlcpy(pv->cert_dir, rq->cert_dir, sizeof(pv->cert_dir));
	else
		snprintf(pv->cert_dir, sizeof(pv->cert_dir), "%s/certs", rq->state_dir);
	pv->station = rq->station;
	pv->policy = rq->policy;
	util_strlcpy(pv->source_host, rq->source_host ? rq->source_host : "",
		     sizeof(pv->source_host));
	util_strlcpy(pv->notes, rq->notes ? rq->notes : "", sizeof(pv->notes));
	pv->fw = rq->fw;
	pv->fw.state_dir = pv->state_dir;
	pv->verify_set = rq->verify_set;
	pv->block_size = rq->block_size;
	pv->sample_seed_set = rq->sample_seed_set;
	pv->sample_seed = rq->sample_seed;
	pv->checkpoint_ms = rq->checkpoint_ms;
	pv->io_ops = rq->io_ops;
	pv->hidden_sgio = rq->hidden_sgio;
	pv->rescan = rq->rescan;
	pv->rescan_data = rq->rescan_data;
	plan->profile = *rq->profile;
	plan->verify = rq->verify_set ? rq->verify : rq->profile->verify;
	plan->resume = rq->resume;
	/* the operator, once, in the caller's thread; jobs get the copy */
	if (blank(rq->operator_name))
		default_operator(rq, op, sizeof(op));
	else
		util_strlcpy(op, rq->operator_name, sizeof(op));
	util_strlcpy(plan->operator_name, op, sizeof(plan->operator_name));
	util_strlcpy(plan->operator_title, rq->operator_title ? rq->operator_title : "",
		     sizeof(plan->operator_title));
	util_strlcpy(plan->validator_name, rq->validator_name ? rq->validator_name : "",
		     sizeof(plan->validator_name));
	util_strlcpy(plan->validator_title, rq->validator_title ? rq->validator_title : "",
		     sizeof(plan->validator_title));
	for (size_t i = 0; i < rq->n_witnesses && i < SANITIZE_MAX_WITNESSES; i++)
		if (!blank(rq->witnesses[i]))
			util_strlcpy(plan->witnesses[plan->n_witnesses++], rq->witnesses[i],
				     sizeof(plan->witnesses[0]));
	util_strlcpy(plan->method, profile_method_name(rq->profile->method),
		     sizeof(plan->method));
	plan->passes = rq->profile->method == PROFILE_METHOD_OVERWRITE ?
		       (unsigned)rq->profile->n_passes : 1;
}

/* The request's own values: destination, declared level, witnesses. */
static int check_input(struct sanitize_plan *plan, const struct sanitize_request *rq)
{
	struct sanitize_plan_priv *pv = plan->priv;
	const char *dest = rq->destination ? rq->destination : "internal-reuse";
	enum policy_level l = SANITIZE_DEFAULT_CLASS;

	if (policy_dest_parse(dest, &plan->dest) < 0)
		return refuse(plan, -EINVAL, "input", _("unknown destination '%s'"), dest);
	util_strlcpy(plan->destination, policy_dest_name(plan->dest), sizeof(plan->destination));
	if (!blank(rq->declared_class) && policy_level_parse(rq->declared_class, &l) < 0)
		return refuse(plan, -EINVAL, "input", _("unknown classification '%s'"),
			      rq->declared_class);
	util_strlcpy(pv->declared_class, policy_level_name(l), sizeof(pv->declared_class));
	if (rq->n_witnesses > SANITIZE_MAX_WITNESSES)
		return refuse(plan, -EINVAL, "input", _("at most %d witnesses"),
			      SANITIZE_MAX_WITNESSES);
	if (!plan->operator_name[0])
		return refuse(plan, -EPERM, "people", _("the operator's name is missing: the "
			      "station keeps a roster; name one of its operators (--operator, "
			      "CUSTOS_OPERATOR or 'custos staff default')"));
	return 0;
}

/* Operator, validator and witnesses are distinct people
 * (policy_same_person(): Unicode and white space folded). */
static int check_people(struct sanitize_plan *plan)
{
	const char *op = plan->operator_name, *val = plan->validator_name;

	if (!blank(val) && policy_same_person(op, val))
		return refuse(plan, -EPERM, "people", _("the validator (%s) is the operator (%s): "
			      "a second person must validate"), val, op);
	if (blank(val) && !blank(plan->validator_title))
		return refuse(plan, -EPERM, "people", _("a validator title (%s) without a "
			      "validator's name"), plan->validator_title);
	for (size_t i = 0; i < plan->n_witnesses; i++) {
		const char *w = plan->witnesses[i];

		if (policy_same_person(w, op))
			return refuse(plan, -EPERM, "people", _("witness %s is the operator"), w);
		if (!blank(val) && policy_same_person(w, val))
			return refuse(plan, -EPERM, "people", _("witness %s is the validator"), w);
		for (size_t j = 0; j < i; j++)
			if (policy_same_person(w, plan->witnesses[j]))
				return refuse(plan, -EPERM, "people", _("witness %s is named twice"),
					      w);
	}
	return 0;
}

static int probe(struct sanitize_plan *plan, const char *path)
{
	char *cause = NULL;
	int rc = device_probe(path, &plan->dev, &cause);

	if (rc < 0)
		return refuse_cause(plan, rc, "probe", cause);
	util_strlcpy(plan->media_kind, device_media_kind(&plan->dev), sizeof(plan->media_kind));
	if (!device_is_eligible(&plan->dev))
		return refuse(plan, -EPERM, "safety", "%s: %s", path, plan->dev.n_reasons ?
			      plan->dev.reason_text[0] : "not eligible for wiping");
	return 0;
}

/* The register's view: lookup, lifecycle, integrity, the level to decide on. */
static int lookup(struct sanitize_plan *plan, struct register_db *db)
{
	struct sanitize_plan_priv *pv = plan->priv;
	struct register_media *m = &pv->m;
	char *cause = NULL;
	int rc = register_find_by_device(db, &plan->dev, m, &cause);

	if (policy_kind_parse(plan->media_kind, &pv->kind) < 0)
		pv->kind = POLICY_KIND_OTHER;
	policy_level_parse(pv->declared_class, &pv->level);
	pv->highest = pv->level;
	plan->declared = true;
	util_strlcpy(plan->classification, pv->declared_class, sizeof(plan->classification));
	if (rc == -ENOENT) {
		free(cause);
		return 0;
	}
	if (rc < 0)
		return refuse_cause(plan, rc, "register", cause);
	pv->in_register = true;
	plan->media_id = m->id;
	util_strlcpy(plan->register_no, m->register_no, sizeof(plan->register_no));
	util_strlcpy(plan->state, m->state, sizeof(plan->state));
	plan->interrupted = strcmp(m->state, "sanitizing") == 0;
	rc = register_check_integrity(m, &cause);
	if (rc < 0)
		return refuse_cause(plan, rc, "integrity", cause);
	/* awaiting-destruction depends on the destination: check_policy() */
	if (strcmp(m->state, "awaiting-destruction") != 0) {
		rc = register_check_sanitize_state(m, &cause);
		if (rc < 0)
			return refuse_cause(plan, rc, "lifecycle", cause);
	}
	if (m->unregistered || !m->classification[0])
		return 0;
	if (register_media_levels(m, &pv->level, &pv->highest) < 0)
		return refuse(plan, -EPERM, "integrity", _("%s: its classification cannot be read"),
			      m->register_no);
	plan->declared = false;
	util_strlcpy(plan->classification, m->classification, sizeof(plan->classification));
	if (m->media_type[0] && !m->unregistered && policy_kind_parse(m->media_type, &pv->kind) < 0)
		pv->kind = POLICY_KIND_OTHER;
	return 0;
}

/* The policy for @d (fills plan->dests[d]); 0 or -EPERM. */
static int policy_for(struct sanitize_plan *plan, enum policy_dest d)
{
	struct sanitize_plan_priv *pv = plan->priv;
	struct sanitize_dest *sd = &plan->dests[d];
	char *cause = NULL;
	int rc;

	sd->dest = d;
	sd->allowed = false;
	sd->rule[0] = '\0';
	if (pv->in_register && strcmp(pv->m.state, "awaiting-destruction") == 0 &&
	    d != POLICY_DEST_DESTRUCTION) {
		snprintf(sd->rule, sizeof(sd->rule), "lifecycle rule: %s was sanitized for "
			 "destruction (awaiting-destruction): only destruction may follow",
			 pv->m.register_no);
		return -EPERM;
	}
	if (!pv->have_cat && d != POLICY_DEST_DESTRUCTION) {
		snprintf(sd->rule, sizeof(sd->rule), "policy rule minimum-sanitization: profile "
			 "%s reaches no NIST category on %s media", plan->profile.name,
			 plan->media_kind);
		return -EPERM;
	}
	rc = policy_check_sanitize(pv->policy, pv->level, pv->highest, pv->kind,
				   pv->have_cat ? pv->cat : POLICY_NIST_CLEAR, d, &cause);
	if (rc == 0)
		sd->allowed = true;
	else
		util_strlcpy(sd->rule, cause ? cause : strerror(-rc), sizeof(sd->rule));
	free(cause);
	return rc < 0 ? -EPERM : 0;
}

/* The chosen destination's verdict, the last check of the plan (so that a
 * face may change the destination without planning again). */
static int dest_verdict(struct sanitize_plan *plan)
{
	const struct sanitize_dest *sd = &plan->dests[plan->dest];

	plan->priv->dest_refused = !sd->allowed;
	if (sd->allowed)
		return 0;
	return refuse(plan, -EPERM, strncmp(sd->rule, "lifecycle", 9) == 0 ? "lifecycle" :
		      "policy", "%s", sd->rule);
}

/* Every destination's verdict for this medium and profile. */
static void check_policy(struct sanitize_plan *plan)
{
	struct sanitize_plan_priv *pv = plan->priv;

	pv->have_cat = sanitize_nist(&plan->profile, &plan->dev, &pv->cat) == 0;
	util_strlcpy(plan->nist, pv->have_cat ? policy_nist_name(pv->cat) : "none",
		     sizeof(plan->nist));
	for (int d = 0; d < POLICY_DEST_COUNT; d++)
		policy_for(plan, (enum policy_dest)d);
}

static int check_firmware(struct sanitize_plan *plan)
{
	char *cause = NULL;
	int rc;

	if (plan->profile.method == PROFILE_METHOD_OVERWRITE)
		return 0;
	rc = fw_job_guard(&plan->dev, &plan->profile, &plan->priv->fw, &cause);
	return rc < 0 ? refuse_cause(plan, rc, "firmware", cause) : 0;
}

/* Did the medium's last run end "interrupted" (SIGINT/SIGTERM, its
 * checkpoint kept on purpose)?  A run whose end says erased or failed left
 * no checkpoint to resume: one still there was left by a kill between the
 * end and its removal. */
static bool last_run_interrupted(const struct sanitize_plan *plan, struct register_db *db)
{
	struct register_event *ev = NULL;
	const char *outcome = NULL;
	json_t *d = NULL;
	size_t n = 0;
	bool yes = false;

	if (plan->media_id <= 0 || register_history(db, plan->media_id, &ev, &n, NULL) < 0)
		return false;
	for (size_t i = n; i-- > 0;) {
		if (strcmp(ev[i].kind, "sanitized") != 0 && strcmp(ev[i].kind, "not-erased") != 0)
			continue;
		d = json_loads(ev[i].details ? ev[i].details : "", 0, NULL);
		outcome = json_string_value(json_object_get(json_object_get(d, "result"),
							    "outcome"));
		yes = outcome && strcmp(outcome, "interrupted") == 0;
		json_decref(d);
		break;
	}
	register_events_free(ev, n);
	return yes;
}

/* A checkpoint to resume: it must exist (overwrite only) and belong to the
 * medium's unfinished or interrupted run. */
static int check_resume(struct sanitize_plan *plan, struct register_db *db)
{
	char *path;
	json_t *j;

	if (!plan->resume)
		return 0;
	if (plan->profile.method != PROFILE_METHOD_OVERWRITE)
		return refuse(plan, -EINVAL, "resume", _("only an overwrite can be resumed; "
			      "start the firmware method again"));
	path = job_checkpoint_path(plan->priv->state_dir, &plan->dev);
	if (!path)
		return refuse(plan, -ENOMEM, "resume", _("out of memory"));
	j = json_load_file(path, 0, NULL);
	if (!j && plan->interrupted) {
		/* killed before its first checkpoint: nothing to continue, so the
		 * run starts over (the interrupted one is recorded as such) */
		plan->resume = false;
		util_strlcpy(plan->summary + strlen(plan->summary), _("\nThe interrupted run left "
			     "no checkpoint: it starts over."),
			     sizeof(plan->summary) - strlen(plan->summary));
		free(path);
		return 0;
	}
	if (j && !plan->interrupted && !last_run_interrupted(plan, db)) {
		/* left by a run killed after its end was recorded: resuming it
		 * would re-run a finished pass over whatever is there now */
		json_decref(j);
		refuse(plan, -ESTALE, "resume", _("%s: the checkpoint %s is left from a run that "
		       "has ended (the register has no unfinished sanitization of this medium): "
		       "nothing to resume; start a new run"), plan->dev.path, path);
		free(path);
		return plan->rc;
	}
	if (!j) {
		refuse(plan, -ENOENT, "resume", _("%s: no checkpoint to resume (%s)"), plan->dev.path,
		       path);
		free(path);
		return plan->rc;
	}
	plan->resume_pass = (unsigned)json_integer_value(json_object_get(j, "pass")) + 1;
	json_decref(j);
	free(path);
	return 0;
}

/* The directory @dir can take a file now: writable, room, a probe file
 * written, synced and removed.  @what names it in the reason. */
static int check_dir(struct sanitize_plan *plan, const char *dir, const char *cls,
		     const char *what)
{
	struct statvfs vfs;
	struct stat st;
	char *probe = NULL;
	char buf[4096];
	int rc = util_mkdir_p(dir, 0700), fd;

	if (rc < 0)
		return refuse(plan, rc, cls, _("%s %s cannot be created: %s"), what, dir,
			      strerror(-rc));
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return refuse(plan, -ENOTDIR, cls, _("%s %s is not a directory"), what, dir);
	if (access(dir, W_OK | X_OK) < 0)
		return refuse(plan, -errno == -EACCES ? -EROFS : -errno, cls,
			      _("%s %s is not writable: %s"), what, dir, strerror(errno));
	if (statvfs(dir, &vfs) == 0 && (vfs.f_flag & ST_RDONLY))
		return refuse(plan, -EROFS, cls, _("%s %s is on a read-only file system"), what, dir);
	if (statvfs(dir, &vfs) == 0 && (uint64_t)vfs.f_bavail * vfs.f_frsize < SANITIZE_MIN_FREE)
		return refuse(plan, -ENOSPC, cls, _("%s %s is full (%llu KiB free, %llu KiB "
			      "needed)"), what, dir,
			      (unsigned long long)((uint64_t)vfs.f_bavail * vfs.f_frsize >> 10),
			      SANITIZE_MIN_FREE >> 10);
	probe = util_asprintf("%s/.custos-write-probe.%ld", dir, (long)getpid());
	if (!probe)
		return refuse(plan, -ENOMEM, cls, _("out of memory"));
	memset(buf, 0, sizeof(buf));
	fd = open(probe, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	rc = fd < 0 ? -errno : 0;
	if (rc == 0 && write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
		rc = errno ? -errno : -ENOSPC;
	if (rc == 0 && fsync(fd) < 0)
		rc = -errno;
	if (fd >= 0 && close(fd) < 0 && rc == 0)
		rc = -errno;
	if (fd >= 0)
		unlink(probe);
	free(probe);
	if (rc < 0)
		return refuse(plan, rc, cls, _("%s %s cannot take a file: %s"), what, dir,
			      strerror(-rc));
	return 0;
}

/* The register can take the record: its file and directory writable, room,
 * and a write transaction (rolled back). */
static int check_register(struct sanitize_plan *plan, struct register_db *db)
{
	char path[PATH_MAX + 16];
	char *cause = NULL;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", plan->priv->state_dir, REGISTER_FILE);
	if (access(path, W_OK) < 0)
		return refuse(plan, -EROFS, "register", _("the register %s is not writable: %s"),
			      path, strerror(errno));
	rc = check_dir(plan, plan->priv->state_dir, "register", _("the register's directory"));
	if (rc < 0)
		return rc;
	rc = register_probe_write(db, &cause);
	if (rc < 0)
		return refuse(plan, rc, "register", _("the register %s cannot take a record: %s"),
			      path, cause ? cause : strerror(-rc));
	free(cause);
	cause = NULL;
	/* a register that no longer matches its signed head (emptied,
	 * truncated, rolled back, rewritten) takes no record */
	rc = register_check_head(db, &cause);
	if (rc < 0) {
		refuse(plan, rc, "register", _("the register %s does not match its signed head: %s"),
		       path, cause ? cause : strerror(-rc));
		free(cause);
		return rc;
	}
	return 0;
}

static int check_certs(struct sanitize_plan *plan)
{
	struct sign_key *key = NULL;
	char *cause = NULL;
	int rc;

	if (!plan->priv->station)
		return refuse(plan, -ENOENT, "station", _("the station is not set up (custos init): "
			      "sanitizing issues signed certificates; nothing was written"));
	rc = station_load_signing_key(plan->priv->station, &key, &cause);
	sign_key_free(key);
	if (rc < 0)
		return refuse_cause(plan, rc, "certs", cause);
	return check_dir(plan, plan->priv->cert_dir, "certs", _("the certificate directory"));
}

/* What the person types: the serial, or the name of virtual media. */
static void describe(struct sanitize_plan *plan)
{
	const struct device_info *d = &plan->dev;
	char size[32];

	if (d->serial[0] && strcmp(plan->media_kind, "virtual") != 0)
		util_strlcpy(plan->confirm_text, d->serial, sizeof(plan->confirm_text));
	else
		util_strlcpy(plan->confirm_text, d->name[0] ? d->name : d->path,
			     sizeof(plan->confirm_text));
	util_format_size(d->size_bytes, size, sizeof(size));
	snprintf(plan->summary, sizeof(plan->summary),
		 "About to ERASE %.120s: %.40s%s%.60s%s%.60s, %s, %s.\nEverything on it will be destroyed "
		 "(profile %.40s, destination %s).", d->path, d->vendor, d->vendor[0] ? " " : "",
		 d->model[0] ? d->model : "no model", d->serial[0] ? ", serial " : "", d->serial,
		 size, plan->media_kind, plan->profile.name, plan->destination);
}

/* Bytes per second assumed for an estimate, by media kind (the figures
 * `sanitize --dry-run` states; the run reports its real rate). */
static double assumed_rate(const char *kind)
{
	static const struct { const char *kind; double rate; } rates[] = {
		{ "hdd", 150e6 }, { "ssd", 400e6 }, { "nvme", 1500e6 }, { "usb-flash", 20e6 },
		{ "sd-mmc", 15e6 }, { "virtual", 500e6 },
	};

	for (size_t i = 0; i < UTIL_ARRAY_SIZE(rates); i++)
		if (strcmp(rates[i].kind, kind) == 0)
			return rates[i].rate;
	return 100e6;
}

static void estimate(struct sanitize_plan *plan)
{
	uint64_t size = plan->dev.size_bytes;
	double bytes;

	if (plan->profile.method != PROFILE_METHOD_OVERWRITE) {
		plan->estimate_s = 0;	/* the drive's own estimate comes with the run */
		return;
	}
	bytes = (double)size * plan->passes;
	if (plan->verify == PROFILE_VERIFY_ALL)
		bytes += (double)size * plan->passes;
	else if (plan->verify == PROFILE_VERIFY_LAST)
		bytes += (double)size;
	else if (plan->verify == PROFILE_VERIFY_SAMPLE)
		bytes += (double)size / 10;
	plan->estimate_s = (uint64_t)(bytes / assumed_rate(plan->media_kind)) + 1;
}

/* Every check, in order; the first refusal stands (plan->rc). */
static void decide(struct sanitize_plan *plan, const struct sanitize_request *rq)
{
	struct register_db *db = NULL;
	char *cause = NULL;
	int rc;

	if (check_input(plan, rq) < 0 || probe(plan, rq->path) < 0)
		return;
	describe(plan);
	estimate(plan);
	rc = register_open_dir(plan->priv->state_dir, &db, &cause);
	if (rc < 0) {
		refuse_cause(plan, rc, "register", cause);
		return;
	}
	if (lookup(plan, db) == 0) {
		check_policy(plan);
		if (check_people(plan) == 0 && check_resume(plan, db) == 0 &&
		    check_firmware(plan) == 0 && check_certs(plan) == 0 &&
		    check_register(plan, db) == 0)
			dest_verdict(plan);
	}
	register_close(db);
}

int sanitize_plan(const struct sanitize_request *rq, struct sanitize_plan **out, char **cause)
{
	struct sanitize_plan *plan;

	*out = NULL;
	if (!rq || !rq->state_dir || !rq->policy || !rq->path || !rq->profile)
		return util_fail(cause, -EINVAL, _("sanitize: state directory, policy, target and "
				 "profile are required"));
	plan = calloc(1, sizeof(*plan));
	if (plan)
		plan->priv = calloc(1, sizeof(*plan->priv));
	if (!plan || !plan->priv) {
		free(plan);
		return util_fail(cause, -ENOMEM, _("out of memory"));
	}
	copy_request(plan, rq);
	decide(plan, rq);
	*out = plan;
	if (plan->rc < 0)
		return util_fail(cause, plan->rc, "%s", plan->reason);
	return 0;
}

void sanitize_plan_free(struct sanitize_plan *plan)
{
	if (!plan)
		return;
	device_info_clear(&plan->dev);
	free(plan->priv);
	free(plan);
}

int sanitize_plan_set_destination(struct sanitize_plan *plan, const char *destination,
				  char **cause)
{
	enum policy_dest d;

	if (!destination || policy_dest_parse(destination, &d) < 0)
		return util_fail(cause, -EINVAL, _("unknown destination '%s'"),
				 destination ? destination : "");
	/* refused before the destination was considered: stays refused */
	if (plan->rc < 0 && !plan->priv->dest_refused)
		return util_fail(cause, plan->rc, "%s", plan->reason);
	plan->dest = d;
	util_strlcpy(plan->destination, policy_dest_name(d), sizeof(plan->destination));
	describe(plan);
	plan->rc = 0;
	plan->refusal[0] = plan->reason[0] = '\0';
	if (dest_verdict(plan) < 0)
		return util_fail(cause, plan->rc, "%s", plan->reason);
	return 0;
}

const char *sanitize_dest_text(const struct sanitize_plan *plan, enum policy_dest d)
{
	if ((unsigned)d >= POLICY_DEST_COUNT)
		return "unknown destination";
	return plan->dests[d].allowed ? "allowed" : plan->dests[d].rule;
}
