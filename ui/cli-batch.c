/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The batch side of custos sanitize: --all choosing the disks of this
 * machine (and saying why each other disk was left out), --resume --all
 * finding the interrupted jobs, the --dry-run plan, the machine's summary
 * PDF, the host description in the JSON result, --power-off, and the
 * options a --resume --all takes again from <state-dir>/jobs/.batch.json.
 */
#include "cli.h"
#include "i18n.h"

#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cert.h"
#include "device.h"
#include "sanitize.h"
#include "host.h"
#include "job.h"
#include "profile.h"
#include "wipe.h"

#include "cli-sanitize.h"

/* Assumed sustained write rates for the --dry-run estimate (bytes/s). */
static const struct {
	const char *kind;
	uint64_t rate;
} assumed_rates[] = {
	{ "hdd", 150000000 }, { "ssd", 400000000 }, { "nvme", 1500000000 },
	{ "usb-flash", 20000000 }, { "sd-mmc", 15000000 }, { "virtual", 500000000 },
};

/* --exclude matches the path, the kernel name, or a link to the device
 * (/dev/disk/by-id/...). */
static bool excluded(const struct sopts *o, const struct device_info *d)
{
	for (size_t i = 0; i < o->n_exclude; i++) {
		const char *x = o->exclude[i];
		const char *base = strrchr(x, '/');
		char *real = realpath(x, NULL);
		bool hit = strcmp(x, d->path) == 0 || strcmp(base ? base + 1 : x, d->name) == 0 ||
			   (real && strcmp(real, d->path) == 0);

		free(real);
		if (hit)
			return true;
	}
	return false;
}

/* Test support (--enable-test-hooks builds only): CUSTOS_TEST_ALL_ONLY
 * (colon-separated paths) limits the disks --all may consider, so a test
 * on a shared machine never touches a disk it did not create. */
static bool test_allowed(const char *path)
{
#ifdef CUSTOS_TEST_HOOKS
	const char *only = getenv("CUSTOS_TEST_ALL_ONLY");
	size_t len = strlen(path);

	if (!only)
		return true;
	for (const char *p = only; *p;) {
		const char *end = strchr(p, ':');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		if (n == len && strncmp(p, path, n) == 0)
			return true;
		p += n + (end ? 1 : 0);
	}
	return false;
#else
	(void)path;	/* a normal build has no test hooks */
	return true;
#endif
}

/* A virtual machine's own disks (virtio, Xen): the internal disks of a
 * decommissioned VM. */
static bool vm_disk(const struct device_info *d)
{
	return strncmp(d->name, "vd", 2) == 0 || strncmp(d->name, "xvd", 3) == 0;
}

/* Why --all does not consider @d (NULL: a candidate).  Internal disks are
 * candidates; USB and removable media only with --include-usb, loop devices
 * only with --include-loop; other virtual devices (ram, zram) never. */
static const char *not_candidate(const struct sopts *o, const struct device_info *d)
{
	switch (d->transport) {
	case DEVICE_TRANSPORT_SATA:
	case DEVICE_TRANSPORT_SAS:
	case DEVICE_TRANSPORT_NVME:
	case DEVICE_TRANSPORT_MMC:
	case DEVICE_TRANSPORT_UNKNOWN:
		return d->removable && !o->include_usb ?
		       "removable medium (only with --include-usb)" : NULL;
	case DEVICE_TRANSPORT_USB:
		return o->include_usb ? NULL : "USB disk (only with --include-usb)";
	case DEVICE_TRANSPORT_VIRTUAL:
		if (vm_disk(d))
			return NULL;
		if (strncmp(d->name, "loop", 4) == 0)
			return o->include_loop ? NULL :
			       "loop device (only with --include-loop)";
		return "virtual device (not a disk)";
	default:
		return "not a disk transport";
	}
}

static void skip(struct run *r, const struct device_info *d, const char *why)
{
	json_t *reasons = json_array();

	if (why)
		json_array_append_new(reasons, json_string(why));
	for (size_t i = 0; i < d->n_reasons; i++)
		json_array_append_new(reasons, json_string(d->reason_text[i]));
	json_array_append_new(r->skipped, json_pack("{s:s, s:s, s:s, s:I, s:o}", "device",
						    d->path, "serial", d->serial, "model",
						    d->model, "size_bytes",
						    (json_int_t)d->size_bytes, "reasons", reasons));
}

/* Probe one listed disk; selected ones become items. */
static int select_one(struct run *r, const struct device_info *listed)
{
	struct device_info d;
	struct item *it;
	char *cause = NULL;

	if (excluded(r->o, listed)) {
		skip(r, listed, "excluded (--exclude)");
		return 0;
	}
	if (device_probe(listed->path, &d, &cause) < 0) {
		skip(r, listed, cause ? cause : "cannot probe");
		free(cause);
		return 0;
	}
	if (!device_is_eligible(&d)) {
		skip(r, &d, NULL);
		device_info_clear(&d);
		return 0;
	}
	it = cli_sanitize_add_item(r, d.path);
	if (!it) {
		device_info_clear(&d);
		return -ENOMEM;
	}
	it->dev = d;
	it->probed = true;
	return 0;
}

int cli_batch_select_all(struct run *r)
{
	struct device_info *devs = NULL;
	size_t n = 0;
	char *cause = NULL;
	int rc = device_list(NULL, &devs, &n, &cause);

	if (rc < 0) {
		cli_error(_("cannot list disks: %s"), cause ? cause : strerror(-rc));
		free(cause);
		return rc;
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		const char *why = not_candidate(r->o, &devs[i]);

		if (!test_allowed(devs[i].path))
			continue;
		if (why)
			skip(r, &devs[i], why);
		else
			rc = select_one(r, &devs[i]);
	}
	device_list_free(devs, n);
	if (rc < 0)
		cli_error(_("out of memory"));
	return rc;
}

/* --resume --all: one item per checkpoint in <state-dir>/jobs. */
static int resume_one(struct run *r, const char *file)
{
	json_t *j = json_load_file(file, 0, NULL);
	const char *path = NULL, *prof = NULL, *verify = NULL;
	struct item *it;
	char *cause = NULL;
	int rc = 0;

	if (!j || json_unpack(j, "{s:s, s:s, s:{s:s}}", "profile", &prof, "verify", &verify,
			      "device", "path", &path) < 0) {
		cli_warn(_("%s: not a checkpoint; left alone"), file);
		goto out;
	}
	it = cli_sanitize_add_item(r, path);
	if (!it) {
		rc = -ENOMEM;
		goto out;
	}
	it->resume = true;
	it->verify_set = profile_verify_parse(verify, &it->verify) == 0;
	if (profile_find(prof, r->ctx->state_dir, &it->prof, &cause) < 0)
		cli_sanitize_fail(it, cause);
	else
		it->have_prof = true;
out:
	json_decref(j);
	return rc;
}

int cli_batch_resume_all(struct run *r)
{
	char *dir = util_asprintf("%s/jobs", r->ctx->state_dir);
	DIR *d = dir ? opendir(dir) : NULL;
	struct dirent *e;
	int rc = 0;

	if (!d) {
		free(dir);
		return 0;
	}
	while (rc == 0 && (e = readdir(d))) {
		size_t len = strlen(e->d_name);
		char *file;

		if (e->d_name[0] == '.' || len < 6 || strcmp(e->d_name + len - 5, ".json") != 0)
			continue;
		file = util_asprintf("%s/%s", dir, e->d_name);
		rc = file ? resume_one(r, file) : -ENOMEM;
		free(file);
	}
	closedir(d);
	free(dir);
	return rc;
}

json_t *cli_batch_run_json(const struct run *r, json_t *results)
{
	char start[32], end[32];

	util_iso8601(r->start, start, sizeof(start));
	util_iso8601(r->end, end, sizeof(end));
	return json_pack("{s:o, s:s, s:s, s:o}", "host", host_to_json(&r->host), "start", start,
			 "end", end, "results", results);
}

/* Batch ends: summary PDF, power off --------------------------------------- */

static char *effective_cert_dir(const struct run *r)
{
	return r->cert_dir ? strdup(r->cert_dir) : util_asprintf("%s/certs", r->ctx->state_dir);
}

/* A disk without a certificate or report, for the summary. */
static void summary_other(const struct item *it, struct cert_machine_disk *d)
{
	const char *hook = cli_sanitize_item_error(it);

	d->device = it->path;
	d->serial = it->probed ? it->dev.serial : NULL;
	d->model = it->probed ? it->dev.model : NULL;
	d->capacity_bytes = it->probed ? it->dev.size_bytes : 0;
	d->outcome = cli_sanitize_item_outcome(it);
	d->reason = it->res && it->res->cause[0] ? it->res->cause : it->cause ? it->cause :
		    hook ? hook : "";
}

/* --all: the disks left out, as "not selected" rows; @text[i] owns the
 * joined reasons of row i.  Returns the number of rows. */
static size_t summary_skipped(const struct run *r, struct cert_machine_disk *d, char **text)
{
	size_t i, k, n = 0;
	json_t *s, *why;

	json_array_foreach(r->skipped, i, s) {
		char *joined = NULL, *next;

		json_array_foreach(json_object_get(s, "reasons"), k, why) {
			next = util_asprintf("%s%s%s", joined ? joined : "", joined ? "; " : "",
					     json_string_value(why));
			free(joined);
			joined = next;
		}
		text[n] = joined;
		d[n++] = (struct cert_machine_disk){
			.device = json_string_value(json_object_get(s, "device")),
			.serial = json_string_value(json_object_get(s, "serial")),
			.model = json_string_value(json_object_get(s, "model")),
			.capacity_bytes = (uint64_t)json_integer_value(json_object_get(s,
										  "size_bytes")),
			.outcome = "not selected",
			.reason = joined ? joined : "",
		};
	}
	return n;
}

/* The machine's summary PDF: every disk of the run, those with a
 * certificate or report first, then the others with their reasons, then
 * (--all) the disks left out and why. */
void cli_batch_write_summary(struct run *r)
{
	struct cert_machine m = {
		.vendor = r->host.vendor, .model = r->host.model, .serial = r->host.serial,
		.hostname = r->host.hostname, .asset_tag = r->host.asset_tag,
	};
	json_t **docs = calloc(r->n + 1, sizeof(*docs));
	size_t n_skipped = json_array_size(r->skipped);
	struct cert_machine_disk *others = calloc(r->n + n_skipped + 1, sizeof(*others));
	char **texts = calloc(n_skipped + 1, sizeof(*texts));
	char *dir = effective_cert_dir(r), *cause = NULL, stamp[32];
	struct tm tm;
	time_t now = (time_t)r->start;
	size_t n = 0;

	for (size_t i = 0; docs && others && i < r->n; i++)
		if (r->items[i].end && r->items[i].end->doc)
			docs[n++] = (json_t *)r->items[i].end->doc;
		else
			summary_other(&r->items[i], &others[m.n_others++]);
	if (others && texts)
		m.n_others += summary_skipped(r, others + m.n_others, texts);
	m.others = others;
	if (!docs || !others || !texts || !dir || !(n + m.n_others))
		goto out;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	r->summary_pdf = util_asprintf("%s/summary-%s.pdf", dir, stamp);
	/* two runs in the same second must not overwrite each other's summary */
	for (int k = 2; r->summary_pdf && access(r->summary_pdf, F_OK) == 0 && k < 100; k++) {
		free(r->summary_pdf);
		r->summary_pdf = util_asprintf("%s/summary-%s-%d.pdf", dir, stamp, k);
	}
	if (r->summary_pdf && cert_pdf_summary(&m, docs, n, r->summary_pdf, &cause) < 0) {
		cli_error(_("summary PDF: %s"), cause ? cause : "cannot write it");
		free(r->summary_pdf);
		r->summary_pdf = NULL;
	}
out:
	free(cause);
	free(dir);
	free(docs);
	free(others);
	for (size_t i = 0; texts && i < n_skipped; i++)
		free(texts[i]);
	free(texts);
}

/* Test support (builds configured with --enable-test-hooks only):
 * CUSTOS_POWEROFF_CMD replaces "systemctl poweroff" (words separated by
 * spaces, no shell). */
int cli_batch_power_off(void)
{
#ifdef CUSTOS_TEST_HOOKS
	const char *cmd = getenv("CUSTOS_POWEROFF_CMD");
#else
	const char *cmd = NULL;	/* a normal build has no test hooks */
#endif
	char *copy = strdup(cmd && *cmd ? cmd : "systemctl poweroff"), *argv[16], *save = NULL;
	size_t n = 0;
	int status = 0;
	pid_t pid;

	if (!copy)
		return -ENOMEM;
	for (char *w = strtok_r(copy, " ", &save); w && n + 1 < 16; w = strtok_r(NULL, " ", &save))
		argv[n++] = w;
	argv[n] = NULL;
	fflush(NULL);
	pid = n ? fork() : -1;
	if (pid == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	if (pid > 0 && waitpid(pid, &status, 0) < 0)
		status = -1;
	if (pid < 0 || status != 0)
		cli_error(_("power-off command '%s' failed"), cmd && *cmd ? cmd : "systemctl poweroff");
	free(copy);
	return pid > 0 && status == 0 ? 0 : -1;
}

/* Plan (--dry-run) ------------------------------------------------------------ */

static uint64_t assumed_rate(const char *kind)
{
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(assumed_rates); i++)
		if (strcmp(assumed_rates[i].kind, kind) == 0)
			return assumed_rates[i].rate;
	return 100000000;
}

static uint64_t verify_bytes(const struct item *it, enum profile_verify v)
{
	uint64_t size = it->dev.size_bytes;

	switch (v) {
	case PROFILE_VERIFY_LAST: return size;
	case PROFILE_VERIFY_ALL: return size * it->prof.n_passes;
	case PROFILE_VERIFY_SAMPLE: return size / 10;
	default: return 0;
	}
}

static json_t *plan_json(const struct run *r, const struct item *it)
{
	enum profile_verify v = r->o->verify_set ? r->o->verify : it->prof.verify;
	json_t *o = json_pack("{s:s, s:s}", "device", it->path, "state",
			      it->state == ITEM_READY ? "ready" : cli_sanitize_item_outcome(it));
	bool fw = it->prof.method != PROFILE_METHOD_OVERWRITE;
	uint64_t w, rd, rate;

	if (it->probed) {
		json_object_set_new(o, "media_kind", json_string(device_media_kind(&it->dev)));
		json_object_set_new(o, "size_bytes", json_integer((json_int_t)it->dev.size_bytes));
	}
	if (it->state != ITEM_READY) {
		json_object_set_new(o, "cause", json_string(it->cause ? it->cause : ""));
		return o;
	}
	rate = assumed_rate(device_media_kind(&it->dev));
	w = fw ? 0 : it->dev.size_bytes * it->prof.n_passes;
	rd = fw ? 0 : verify_bytes(it, v);
	json_object_set_new(o, "profile", json_string(it->prof.name));
	json_object_set_new(o, "method", json_string(profile_method_name(it->prof.method)));
	if (it->requested[0])
		json_object_set_new(o, "requested_profile", json_string(it->requested));
	json_object_set_new(o, "passes", json_integer((json_int_t)it->prof.n_passes));
	json_object_set_new(o, "verify", json_string(fw ? "firmware-status" :
						     profile_verify_name(v)));
	json_object_set_new(o, "bytes_to_write", json_integer((json_int_t)w));
	json_object_set_new(o, "bytes_to_read", json_integer((json_int_t)rd));
	json_object_set_new(o, "assumed_rate", json_integer((json_int_t)rate));
	/* the library's estimate (src/sanitize.c), from the same assumed rate */
	json_object_set_new(o, "estimate_s", fw || !it->plan ? json_null() :
			    json_integer((json_int_t)it->plan->estimate_s));
	return o;
}

static void plan_text(const struct json_t *p)
{
	const char *dev = json_string_value(json_object_get(p, "device"));
	const char *state = json_string_value(json_object_get(p, "state"));
	char size[32], est[32];
	unsigned long long mbps;

	if (strcmp(state, "ready") != 0) {
		printf("%s: %s: %s\n", dev, state,
		       json_string_value(json_object_get(p, "cause")));
		return;
	}
	util_format_size((uint64_t)json_integer_value(json_object_get(p, "size_bytes")), size,
			 sizeof(size));
	mbps = (unsigned long long)json_integer_value(json_object_get(p, "assumed_rate")) / 1000000;
	if (json_is_integer(json_object_get(p, "estimate_s")))
		util_format_duration((uint64_t)json_integer_value(json_object_get(p, "estimate_s")),
				     est, sizeof(est));
	else
		util_strlcpy(est, _("set by the drive"), sizeof(est));
	printf(_("%s: %s %s, profile %s%s%s (%s, %lld passes, verify %s), about %s at an "
	       "assumed %llu MB/s\n"), dev, size,
	       i18n_value(json_string_value(json_object_get(p, "media_kind"))),
	       json_string_value(json_object_get(p, "profile")),
	       json_object_get(p, "requested_profile") ? _(" instead of ") : "",
	       json_object_get(p, "requested_profile") ?
	       json_string_value(json_object_get(p, "requested_profile")) : "",
	       json_string_value(json_object_get(p, "method")),
	       (long long)json_integer_value(json_object_get(p, "passes")),
	       i18n_value(json_string_value(json_object_get(p, "verify"))), est, mbps);
}

static void print_skipped_text(const struct run *r, FILE *f)
{
	size_t i;
	json_t *s;

	json_array_foreach(r->skipped, i, s) {
		json_t *reasons = json_object_get(s, "reasons");
		size_t k;
		json_t *why;

		fprintf(f, "  not selected: %s", json_string_value(json_object_get(s, "device")));
		json_array_foreach(reasons, k, why)
			fprintf(f, "%s%s", k ? "; " : ": ", json_string_value(why));
		fputc('\n', f);
	}
}

/* The exit status a run would have: failures (cannot probe, ...) first. */
static int dry_status(const struct run *r)
{
	size_t failed = 0, refused = 0;

	for (size_t i = 0; i < r->n; i++) {
		failed += r->items[i].state == ITEM_FAILED;
		refused += r->items[i].state == ITEM_REFUSED;
	}
	if (failed)
		return r->n == 1 ? CLI_EXIT_FAIL : CLI_EXIT_PARTIAL;
	return refused ? CLI_EXIT_REFUSED : CLI_EXIT_OK;
}

int cli_batch_dry_run(struct run *r)
{
	json_t *plan = json_array(), *p;
	size_t i;

	for (i = 0; i < r->n; i++) {
		cli_sanitize_prepare(r, &r->items[i]);
		json_array_append_new(plan, plan_json(r, &r->items[i]));
	}
	if (r->ctx->json)
		return cli_print_json(json_pack("{s:o, s:b, s:o, s:O}", "host",
						host_to_json(&r->host), "dry_run", 1, "plan",
						plan, "skipped", r->skipped)) ?
		       CLI_EXIT_FAIL : dry_status(r);
	printf(_("Dry run: nothing will be written.\n"));
	json_array_foreach(plan, i, p)
		plan_text(p);
	print_skipped_text(r, stdout);
	json_decref(plan);
	return dry_status(r);
}

/* Batch options ----------------------------------------------------------------
 * What a --resume --all after a power loss needs again from the first --all
 * run, kept in <state-dir>/jobs/.batch.json while checkpoints exist.  Options
 * given to the resuming command win. */

static const struct {
	const char *key;
	size_t off;
} batch_fields[] = {
	{ "destination", offsetof(struct sopts, destination) },
	{ "cert_dir", offsetof(struct sopts, cert_dir) },
	{ "class", offsetof(struct sopts, class_level) },
	{ "source_asset", offsetof(struct sopts, source_asset) },
	{ "operator", offsetof(struct sopts, operator_name) },
	{ "operator_title", offsetof(struct sopts, operator_title) },
	{ "validator", offsetof(struct sopts, validator_name) },
	{ "validator_title", offsetof(struct sopts, validator_title) },
};

static const char **batch_field(const struct sopts *o, size_t i)
{
	return (const char **)((const char *)o + batch_fields[i].off);
}

static char *batch_path(const struct cli_ctx *ctx)
{
	return util_asprintf("%s/jobs/.batch.json", ctx->state_dir);
}

void cli_batch_save(const struct run *r)
{
	char *path = batch_path(r->ctx), *dir = util_asprintf("%s/jobs", r->ctx->state_dir);
	json_t *j = json_object();
	char *text = NULL;

	for (size_t i = 0; j && i < UTIL_ARRAY_SIZE(batch_fields); i++)
		if (*batch_field(r->o, i))
			json_object_set_new(j, batch_fields[i].key,
					    json_string(*batch_field(r->o, i)));
	text = j ? json_dumps(j, JSON_INDENT(2)) : NULL;
	if (!path || !dir || !text || util_mkdir_p(dir, 0700) < 0 ||
	    util_write_file_atomic(path, text, strlen(text), 0600) < 0)
		cli_warn(_("cannot keep the batch options for --resume --all"));
	free(text);
	json_decref(j);
	free(dir);
	free(path);
}

/* Fill the options the command line left unset; *@keep owns the strings. */
void cli_batch_load(const struct cli_ctx *ctx, struct sopts *o, json_t **keep)
{
	char *path = batch_path(ctx);
	json_t *j = path ? json_load_file(path, 0, NULL) : NULL;

	free(path);
	if (!json_is_object(j)) {
		json_decref(j);
		return;
	}
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(batch_fields); i++) {
		const char **f = batch_field(o, i);
		const char *v = json_string_value(json_object_get(j, batch_fields[i].key));
		bool is_dest = f == &o->destination;

		if (v && (is_dest ? !o->destination_set : !*f))
			*f = v;
	}
	*keep = j;
}

/* Drop the batch options once no checkpoint is left. */
void cli_batch_clear(const struct run *r)
{
	char *dir = util_asprintf("%s/jobs", r->ctx->state_dir), *path = batch_path(r->ctx);
	DIR *d = dir ? opendir(dir) : NULL;
	struct dirent *e;
	bool left = false;

	while (d && !left && (e = readdir(d))) {
		size_t len = strlen(e->d_name);

		left = e->d_name[0] != '.' && len > 5 && strcmp(e->d_name + len - 5, ".json") == 0;
	}
	if (d)
		closedir(d);
	if (!left && path)
		unlink(path);
	free(dir);
	free(path);
}

void cli_batch_print_selection(const struct run *r)
{
	char size[32];

	fprintf(stderr, _("custos: --all selected %zu disk(s):\n"), r->n);
	for (size_t i = 0; i < r->n; i++) {
		const struct device_info *d = &r->items[i].dev;

		util_format_size(d->size_bytes, size, sizeof(size));
		fprintf(stderr, "  %s: %s%s%s, %s, %s%s%s\n", d->path, d->vendor,
			d->vendor[0] ? " " : "", d->model[0] ? d->model : "no model", size,
			device_media_kind(d), d->serial[0] ? ", serial " : "", d->serial);
	}
	print_skipped_text(r, stderr);
}
