/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * custos sanitize DEVICE... | --all [--exclude DEVICE]... --profile NAME [options]
 *
 * sanitize probes every device, refuses the ineligible ones and those the
 * policy forbids (they are never opened for writing), asks for a typed
 * confirmation unless --yes, then runs one job per device concurrently,
 * shows their progress on stderr (a terminal only), and when each job ends
 * records it in the register and issues its certificate.  The plan, the
 * record and the certificate are src/sanitize.c's, the same the station
 * screen uses.  It prints one result per device; a batch (--all, or
 * several devices) also gets a summary PDF of the machine.
 */
#include "cli.h"
#include "i18n.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "cert.h"
#include "device.h"
#include "fw-job.h"
#include "host.h"
#include "job.h"
#include "names.h"
#include "policy.h"
#include "profile.h"
#include "register.h"
#include "sanitize.h"
#include "staff.h"
#include "station.h"
#include "wipe.h"

#include "cli-sanitize.h"

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

static void sanitize_usage(void)
{
	fputs(_("Usage: custos sanitize DEVICE... --profile NAME [options]\n"
	      "       custos sanitize --all [--exclude DEVICE]... --profile NAME [options]\n"
	      "       custos sanitize --resume --all [options]\n"
	      "\n"
	      "Sanitizes each DEVICE (a whole disk, or an image file) with a profile,\n"
	      "verifies it, records it in the register and issues a signed certificate\n"
	      "(a report when it was not erased).  Devices run concurrently, one job each.\n"
	      "The station must be set up first (custos init).\n"
	      "\n"
	      "  -p, --profile NAME     profile to use (see 'custos profiles'); 'purge' picks\n"
	      "                         the strongest firmware Purge of each disk\n"
	      "      --fallback NAME    profile for disks without a Purge (default nist-clear)\n"
	      "      --verify MODE      full (last pass), all, sample or none;\n"
	      "                         default: the profile's\n"
	      "      --destination D    internal-reuse (default), external-reuse, recycling,\n"
	      "                         destruction or manufacturer; checked against policy\n"
	      "      --class LEVEL      classification of media not in the register\n"
	      "                         (default internal; recorded as declared)\n"
	      "      --cert-dir DIR     where certificates go (default <state-dir>/certs)\n"
	      "      --operator NAME    person performing, an operator of the roster (custos\n"
	      "                         staff); default $CUSTOS_OPERATOR, else the station's\n"
	      "                         default (custos staff default); the login account\n"
	      "                         only while the roster is empty\n"
	      "      --operator-title T (default: the roster's title)\n"
	      "      --validator NAME   person validating (a second person, roster validator)\n"
	      "      --validator-title T\n"
	      "      --witness NAME     a witness (roster witness); repeatable, or a list\n"
	      "                         \"王芳，刘强\" (separators , ， 、 ; ；)\n"
	      "      --restore-max      restore hidden areas (HPA/AMA/DCO) to the native maximum\n"
	      "                         first, so an overwrite or a firmware erase reaches them\n"
	      "      --allow-usb-bridge firmware commands through a USB bridge\n"
	      "      --all              every eligible internal disk of this machine (SATA,\n"
	      "                         SAS, NVMe, MMC, virtio); never the system or boot\n"
	      "                         medium, nor mounted, in-use or read-only disks\n"
	      "      --exclude DEVICE   leave DEVICE out of --all (repeatable)\n"
	      "      --include-loop     let --all select loop devices too\n"
	      "      --include-usb      let --all select USB and removable disks too\n"
	      "      --dry-run          print the selection and the plan; write nothing\n"
	      "      --source-asset TAG asset tag of this machine, for the certificates\n"
	      "      --power-off        power the machine off when every disk was erased\n"
	      "                         and verified (exit status 0); not with --verify none\n"
	      "      --resume           continue interrupted runs from their checkpoints\n"
	      "                         (with --all: every checkpoint in <state-dir>/jobs,\n"
	      "                         with the first run's destination, cert dir, class,\n"
	      "                         source asset and persons unless given again)\n"
	      "      --sample-seed N    seed of the --verify sample plan (default random)\n"
	      "      --stats            print peak memory and time to first write on stderr\n"
	      "      --block-size SIZE  I/O block size, 1M..16M (default 4M)\n"
	      "      --checkpoint-interval SECS  checkpoint period (default 5)\n"
	      "  -y, --yes              do not ask for the typed confirmation\n"
	      "  -j, --json             results as JSON on stdout\n"
	      "\n"
	      "Exit status: 0 every device erased and verified; 1 the only device failed,\n"
	      "was aborted or left unverified, or nothing could start (no station, no\n"
	      "eligible disk); 2 usage; 3 a device was refused (guard, policy, not\n"
	      "confirmed) and none failed; 4 some devices failed or were left unverified\n"
	      "(--verify none).\n"), stdout);
}

enum {
	OPT_VERIFY = 256, OPT_RESUME, OPT_SEED, OPT_STATS, OPT_BLOCK, OPT_CKPT, OPT_DEST,
	OPT_CERTDIR, OPT_CLASS, OPT_OPER, OPT_OPER_T, OPT_VALID, OPT_VALID_T, OPT_RESTORE,
	OPT_USB, OPT_ALL, OPT_EXCLUDE, OPT_LOOP, OPT_DRY, OPT_POWER, OPT_FALLBACK, OPT_ASSET,
	OPT_INCL_USB, OPT_WITNESS,
};

static const struct option sanitize_opts[] = {
	{ "profile", required_argument, NULL, 'p' },
	{ "verify", required_argument, NULL, OPT_VERIFY },
	{ "resume", no_argument, NULL, OPT_RESUME },
	{ "sample-seed", required_argument, NULL, OPT_SEED },
	{ "stats", no_argument, NULL, OPT_STATS },
	{ "block-size", required_argument, NULL, OPT_BLOCK },
	{ "checkpoint-interval", required_argument, NULL, OPT_CKPT },
	{ "destination", required_argument, NULL, OPT_DEST },
	{ "cert-dir", required_argument, NULL, OPT_CERTDIR },
	{ "class", required_argument, NULL, OPT_CLASS },
	{ "operator", required_argument, NULL, OPT_OPER },
	{ "operator-title", required_argument, NULL, OPT_OPER_T },
	{ "validator", required_argument, NULL, OPT_VALID },
	{ "validator-title", required_argument, NULL, OPT_VALID_T },
	{ "restore-max", no_argument, NULL, OPT_RESTORE },
	{ "allow-usb-bridge", no_argument, NULL, OPT_USB },
	{ "all", no_argument, NULL, OPT_ALL },
	{ "exclude", required_argument, NULL, OPT_EXCLUDE },
	{ "include-loop", no_argument, NULL, OPT_LOOP },
	{ "include-usb", no_argument, NULL, OPT_INCL_USB },
	{ "witness", required_argument, NULL, OPT_WITNESS },
	{ "dry-run", no_argument, NULL, OPT_DRY },
	{ "power-off", no_argument, NULL, OPT_POWER },
	{ "fallback", required_argument, NULL, OPT_FALLBACK },
	{ "source-asset", required_argument, NULL, OPT_ASSET },
	{ "yes", no_argument, NULL, 'y' },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

/* The names of one --witness ("王芳，刘强" is two), appended to @o. */
static int add_witnesses(struct sopts *o, const char *list)
{
	char **v = NULL, **all, *cause = NULL;
	size_t n = 0;

	if (names_split(list, &v, &n, &cause) < 0) {
		cli_usage_error("sanitize", _("--witness: %s"), cause ? cause : "not UTF-8");
		free(cause);
		return CLI_EXIT_USAGE;
	}
	if (o->n_witnesses + n > SANITIZE_MAX_WITNESSES) {
		names_list_free(v, n);
		return cli_usage_error("sanitize", _("too many witnesses (at most %d)"),
				       SANITIZE_MAX_WITNESSES);
	}
	all = realloc(o->witnesses, (o->n_witnesses + n + 1) * sizeof(*all));
	if (!all) {
		names_list_free(v, n);
		cli_error(_("out of memory"));
		return CLI_EXIT_FAIL;
	}
	memcpy(all + o->n_witnesses, v, n * sizeof(*v));
	o->witnesses = all;
	o->n_witnesses += n;
	free(v);
	return 0;
}

/* Options with a value that is checked here; 1 when @c is not one of them. */
static int parse_value(int c, struct sopts *o)
{
	enum policy_level lvl;
	enum policy_dest dest;
	uint64_t v;

	switch (c) {
	case OPT_VERIFY:
		if (profile_verify_parse(optarg, &o->verify) < 0)
			return cli_usage_error("sanitize", _("bad --verify '%s'"), optarg);
		o->verify_set = true;
		return 0;
	case OPT_SEED:
		if (util_parse_u64(optarg, &o->seed, 0) < 0)
			return cli_usage_error("sanitize", _("bad --sample-seed"));
		o->seed_set = true;
		return 0;
	case OPT_BLOCK:
		if (util_parse_u64(optarg, &v, 1) < 0 || v > (16u << 20))
			return cli_usage_error("sanitize", _("bad --block-size"));
		o->block_size = (uint32_t)v;
		return 0;
	case OPT_CKPT:
		if (util_parse_u64(optarg, &v, 0) < 0 || v > 3600)
			return cli_usage_error("sanitize", _("bad --checkpoint-interval"));
		o->checkpoint_ms = v ? (unsigned)v * 1000 : 1;
		return 0;
	case OPT_DEST:
		if (policy_dest_parse(optarg, &dest) < 0)
			return cli_usage_error("sanitize", _("unknown --destination '%s'"), optarg);
		o->destination = optarg;
		o->destination_set = true;
		return 0;
	case OPT_CLASS:
		if (policy_level_parse(optarg, &lvl) < 0)
			return cli_usage_error("sanitize", _("unknown --class '%s'"), optarg);
		o->class_level = optarg;
		return 0;
	case OPT_WITNESS:
		return add_witnesses(o, optarg);
	}
	return 1;
}

/* Flags and plain strings; 1 when @c is not one of them. */
static int parse_simple(int c, struct cli_ctx *ctx, struct sopts *o)
{
	switch (c) {
	case 'p': o->profile = optarg; break;
	case OPT_RESUME: o->resume = true; break;
	case OPT_STATS: o->stats = true; break;
	case OPT_CERTDIR: o->cert_dir = optarg; break;
	case OPT_OPER: o->operator_name = optarg; break;
	case OPT_OPER_T: o->operator_title = optarg; break;
	case OPT_VALID: o->validator_name = optarg; break;
	case OPT_VALID_T: o->validator_title = optarg; break;
	case OPT_RESTORE: o->restore_max = true; break;
	case OPT_USB: o->allow_usb_bridge = true; break;
	case OPT_ALL: o->all = true; break;
	case OPT_EXCLUDE: o->exclude[o->n_exclude++] = optarg; break;
	case OPT_LOOP: o->include_loop = true; break;
	case OPT_INCL_USB: o->include_usb = true; break;
	case OPT_DRY: o->dry_run = true; break;
	case OPT_POWER: o->power_off = true; break;
	case OPT_FALLBACK: o->fallback = optarg; break;
	case OPT_ASSET: o->source_asset = optarg; break;
	case 'y': ctx->yes = true; break;
	case 'j': ctx->json = true; break;
	default: return 1;
	}
	return 0;
}

static int check_combination(const struct sopts *o, int argc)
{
	bool devices = optind < argc;

	if (o->all && devices)
		return cli_usage_error("sanitize", _("--all selects the disks itself; name no device"));
	if (!o->all && !devices)
		return cli_usage_error("sanitize", _("name at least one device (or --all)"));
	if (!o->all && (o->n_exclude || o->include_loop || o->include_usb))
		return cli_usage_error("sanitize", _("--exclude, --include-loop and --include-usb "
				       "go with --all"));
	if (!o->profile && !(o->resume && o->all))
		return cli_usage_error("sanitize", _("--profile NAME is required"));
	if (o->resume && o->all && (o->n_exclude || o->include_loop || o->include_usb ||
				    o->dry_run))
		return cli_usage_error("sanitize", _("--resume --all takes the disks of the "
				       "checkpoints; no --exclude, --include-loop, --include-usb "
				       "or --dry-run"));
	if (o->power_off && o->verify_set && o->verify == PROFILE_VERIFY_NONE)
		return cli_usage_error("sanitize", _("--power-off needs verified disks; it cannot "
				       "go with --verify none"));
	return 0;
}

static int parse_sanitize(struct cli_ctx *ctx, int argc, char **argv, struct sopts *o)
{
	int c, rc;

	o->exclude = calloc((size_t)argc + 1, sizeof(*o->exclude));
	if (!o->exclude) {
		cli_error(_("out of memory"));
		return CLI_EXIT_FAIL;
	}
	o->destination = policy_dest_name(POLICY_DEST_INTERNAL_REUSE);
	o->fallback = "nist-clear";
	while ((c = getopt_long(argc, argv, "p:yjh", sanitize_opts, NULL)) != -1) {
		if (c == 'h') {
			sanitize_usage();
			return -1;
		}
		rc = parse_value(c, o);
		if (rc == 1)
			rc = parse_simple(c, ctx, o);
		if (rc == 1)
			return cli_usage_error("sanitize", _("bad option"));
		if (rc)
			return rc;
	}
	/* texts that enter the register and the certificate */
	if (cli_check_text("sanitize", "--operator", o->operator_name, 128) ||
	    cli_check_text("sanitize", "--operator-title", o->operator_title, 0) ||
	    cli_check_text("sanitize", "--validator", o->validator_name, 128) ||
	    cli_check_text("sanitize", "--validator-title", o->validator_title, 0) ||
	    cli_check_text("sanitize", "--source-asset", o->source_asset, 64))
		return CLI_EXIT_USAGE;
	return check_combination(o, argc);
}

/* Items --------------------------------------------------------------------- */

struct item *cli_sanitize_add_item(struct run *r, const char *path)
{
	struct item *it;

	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 8;
		struct item *n = realloc(r->items, cap * sizeof(*n));

		if (!n)
			return NULL;
		r->items = n;
		r->cap = cap;
	}
	it = &r->items[r->n];
	memset(it, 0, sizeof(*it));
	it->path = strdup(path);
	if (!it->path)
		return NULL;
	fw_opts_init(&it->fwo);
	r->n++;
	return it;
}

static void free_item(struct item *it)
{
	sanitize_run_free(it->san);
	sanitize_plan_free(it->plan);
	if (it->probed)
		device_info_clear(&it->dev);
	free(it->fallback_why);
	free(it->cause);
	free(it->path);
}

static void refuse(struct item *it, const char *prefix, const char *why)
{
	it->state = ITEM_REFUSED;
	free(it->cause);
	it->cause = util_asprintf("%s%s", prefix, why);
}

void cli_sanitize_fail(struct item *it, char *cause)
{
	it->state = ITEM_FAILED;
	free(it->cause);
	it->cause = cause ? cause : strdup("unknown error");
}

/* Preparation ---------------------------------------------------------------- */

static void fw_options(const struct run *r, struct item *it)
{
	it->fwo.state_dir = r->ctx->state_dir;
	it->fwo.restore_max = r->o->restore_max;
	it->fwo.allow_usb_bridge = r->o->allow_usb_bridge;
}

/* The profile of one item: the one asked for, or for 'purge' on a disk
 * without a Purge, the fallback.  false when the item was refused. */
static bool choose_profile(const struct run *r, struct item *it)
{
	char *why = NULL;
	int rc;

	if (it->have_prof)
		return true;
	it->prof = r->base;
	it->have_prof = true;
	rc = fw_job_guard(&it->dev, &it->prof, &it->fwo, &why);
	if (rc == 0) {
		free(why);
		return true;
	}
	if (r->base.method != PROFILE_METHOD_PURGE) {
		refuse(it, "", why ? why : strerror(-rc));
		free(why);
		return false;
	}
	util_strlcpy(it->requested, r->base.name, sizeof(it->requested));
	it->fallback_why = why;
	why = NULL;
	if (profile_find(r->o->fallback, r->ctx->state_dir, &it->prof, &why) < 0) {
		cli_sanitize_fail(it, why);
		return false;
	}
	rc = fw_job_guard(&it->dev, &it->prof, &it->fwo, &why);
	if (rc < 0) {
		refuse(it, "fallback profile: ", why ? why : strerror(-rc));
		free(why);
		return false;
	}
	return true;
}

/* The request for the library's plan. */
static void make_request(const struct run *r, const struct item *it, struct sanitize_request *rq,
			 char *notes, size_t len)
{
	const struct sopts *o = r->o;

	sanitize_request_init(rq);
	rq->state_dir = r->ctx->state_dir;
	rq->station = r->st;
	rq->policy = r->pol;
	rq->cert_dir = r->cert_dir;
	rq->path = it->path;
	rq->profile = &it->prof;
	rq->destination = o->destination;
	rq->verify_set = it->verify_set || o->verify_set;
	rq->verify = it->verify_set ? it->verify : o->verify;
	rq->resume = o->resume || it->resume;
	rq->declared_class = o->class_level;
	rq->operator_name = o->operator_name;
	rq->operator_title = o->operator_title;
	rq->validator_name = o->validator_name;
	rq->validator_title = o->validator_title;
	for (size_t i = 0; i < o->n_witnesses && i < SANITIZE_MAX_WITNESSES; i++)
		rq->witnesses[rq->n_witnesses++] = o->witnesses[i];
	rq->source_host = r->source;
	rq->fw = it->fwo;
	rq->block_size = o->block_size;
	rq->sample_seed_set = o->seed_set;
	rq->sample_seed = o->seed;
	rq->checkpoint_ms = o->checkpoint_ms;
	notes[0] = '\0';
	if (it->requested[0])
		snprintf(notes, len, "Profile %s was asked for; this disk has no Purge, so the "
			 "fallback %s was used.", it->requested, it->prof.name);
	rq->notes = notes;
}

static void confirm(const struct cli_ctx *ctx, struct item *it)
{
	if (!cli_confirm_typed(ctx, it->plan->summary, it->plan->confirm_text))
		refuse(it, "", "not confirmed");
}

static bool probe(struct item *it)
{
	char *cause = NULL;

	if (it->probed)
		return true;
	if (device_probe(it->path, &it->dev, &cause) < 0) {
		cli_sanitize_fail(it, cause);
		return false;
	}
	it->probed = true;
	return true;
}

/* Probe, guard, choose the profile, check the policy: READY or refused. */
void cli_sanitize_prepare(const struct run *r, struct item *it)
{
	struct sanitize_request rq;
	char *cause = NULL, notes[256];
	int rc;

	if (it->state == ITEM_FAILED && it->cause)
		return;
	if (!probe(it))
		return;
	if (!device_is_eligible(&it->dev)) {
		cli_error(_("%s: refused:"), it->path);
		for (size_t i = 0; i < it->dev.n_reasons; i++)
			fprintf(stderr, "  - %s\n", it->dev.reason_text[i]);
		refuse(it, "", it->dev.n_reasons ? it->dev.reason_text[0] :
		       "not eligible for wiping");
		return;
	}
	fw_options(r, it);
	if (!choose_profile(r, it))
		return;
	sanitize_plan_free(it->plan);
	it->plan = NULL;
	make_request(r, it, &rq, notes, sizeof(notes));
	rc = sanitize_plan(&rq, &it->plan, &cause);
	if (rc == 0) {
		free(cause);
		it->state = ITEM_READY;
		if (it->plan->interrupted && !rq.resume)
			cli_warn(_("%s: %s was left sanitizing by a run that never ended; it is "
				 "recorded as interrupted and started over (--resume would continue "
				 "it)"), it->path, it->plan->register_no);
		return;
	}
	/* a medium that cannot be probed failed; every other refusal came
	 * before anything was written or numbered (exit 3) */
	if (!it->plan || strcmp(it->plan->refusal, "probe") == 0)
		cli_sanitize_fail(it, cause);
	else
		refuse(it, "", cause ? cause : it->plan->reason);
	if (it->plan && strcmp(it->plan->refusal, "probe") != 0)
		free(cause);
}

static void start(struct item *it)
{
	char *cause = NULL;

	if (sanitize_start(it->plan, &it->san, &cause) < 0) {
		if (it->plan->rc < 0) {		/* refused at the open: nothing written */
			refuse(it, "", it->plan->reason);
			free(cause);
			return;
		}
		cli_sanitize_fail(it, cause);	/* says how it was recorded */
		return;
	}
	it->state = ITEM_RUNNING;
}

/* Progress ------------------------------------------------------------------ */

static void progress_line(struct item *it, char *buf, size_t len)
{
	struct sanitize_progress p;
	char line[160];

	sanitize_snapshot(it->san, &p);
	sanitize_progress_text(&p, line, sizeof(line));
	snprintf(buf, len, "%-12s %s", it->plan->dev.name[0] ? it->plan->dev.name : it->path,
		 line);
}

/* On a terminal only: one line per medium, redrawn in place; the last
 * state is drawn once when every job has ended. */
static void show_progress(struct item *items, size_t n, bool redraw)
{
	char line[256];
	size_t shown = 0;

	for (size_t i = 0; i < n; i++) {
		if (items[i].state != ITEM_RUNNING)
			continue;
		progress_line(&items[i], line, sizeof(line));
		fprintf(stderr, "\r\033[K%s\n", line);
		shown++;
	}
	if (redraw && shown)
		fprintf(stderr, "\033[%zuA", shown);
	fflush(stderr);
}

static bool all_done(struct item *items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (items[i].state == ITEM_RUNNING && !sanitize_is_done(items[i].san))
			return false;
	return true;
}

static void watch(struct item *items, size_t n)
{
	bool tty = isatty(STDERR_FILENO);
	uint64_t last = util_mono_ns();
	bool cancelled = false;

	while (!all_done(items, n)) {
		struct timespec ts = { 0, 50000000 };

		nanosleep(&ts, NULL);
		if (got_signal && !cancelled) {
			cli_warn(_("signal %d: stopping every job (outcome interrupted; "
				 "--resume continues them)"), (int)got_signal);
			for (size_t i = 0; i < n; i++)
				if (items[i].state == ITEM_RUNNING)
					sanitize_interrupt(items[i].san);
			cancelled = true;
		}
		if (tty && util_mono_ns() - last >= 250000000ull) {
			show_progress(items, n, true);
			last = util_mono_ns();
		}
	}
}

static void collect(struct item *items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char *cause = NULL;

		if (items[i].state != ITEM_RUNNING)
			continue;
		sanitize_wait(items[i].san, &cause);
		free(cause);
		items[i].end = sanitize_end(items[i].san);
		items[i].res = items[i].end->result;
	}
	if (isatty(STDERR_FILENO))
		show_progress(items, n, false);	/* the last line, once */
}

/* Results ------------------------------------------------------------------- */

const char *cli_sanitize_item_outcome(const struct item *it)
{
	if (it->end && it->end->outcome[0])
		return it->end->outcome;
	if (it->res)
		return wipe_outcome_name(it->res->outcome);
	return it->state == ITEM_REFUSED ? "refused" : "failed";
}

const char *cli_sanitize_item_error(const struct item *it)
{
	return it->end && it->end->error[0] ? it->end->error : NULL;
}

static json_t *cert_json(const struct sanitize_end *e)
{
	if (!e || !e->cert_id[0])
		return json_null();
	return json_pack("{s:s, s:s, s:s, s:s}", "id", e->cert_id, "kind", e->cert_kind,
			 "json", e->cert_json, "pdf", e->cert_pdf);
}

static json_t *item_json(const struct item *it, const struct run *r)
{
	json_t *o = it->san && it->end ? sanitize_end_to_json(it->san) :
		    it->res ? wipe_result_to_json(it->res) : json_object();
	const char *kind = it->probed ? device_media_kind(&it->dev) : "unknown";
	const char *pname = it->have_prof ? it->prof.name : r->have_base ? r->base.name : "";
	const char *hook = cli_sanitize_item_error(it);
	bool erased = it->res && it->res->outcome == WIPE_OUTCOME_ERASED;

	json_object_set_new(o, "device", json_string(it->path));
	json_object_set_new(o, "outcome", json_string(cli_sanitize_item_outcome(it)));
	json_object_set_new(o, "profile", json_string(pname));
	if (!it->res) {
		json_object_set_new(o, "bytes_written", json_integer(0));
		json_object_set_new(o, "bytes_verified", json_integer(0));
		json_object_set_new(o, "errors", json_integer(0));
		json_object_set_new(o, "cause", json_string(it->cause ? it->cause : ""));
	}
	if (it->requested[0]) {
		json_object_set_new(o, "requested_profile", json_string(it->requested));
		json_object_set_new(o, "fallback_reason", json_string(it->fallback_why ?
								       it->fallback_why : ""));
	}
	if (it->probed) {
		json_object_set_new(o, "serial", json_string(it->dev.serial));
		json_object_set_new(o, "model", json_string(it->dev.model));
		json_object_set_new(o, "media_kind", json_string(kind));
	}
	json_object_set_new(o, "nist", json_string(erased && it->have_prof ?
		profile_nist_name(profile_nist_for(&it->prof, kind)) : "none"));
	json_object_set_new(o, "certificate", cert_json(it->end));
	if (it->end && it->end->register_no[0])
		json_object_set_new(o, "register_no", json_string(it->end->register_no));
	if (it->plan && it->plan->declared && it->state != ITEM_REFUSED)
		json_object_set_new(o, "declared_classification",
				    json_string(it->plan->classification));
	if (hook)
		json_object_set_new(o, "certificate_error", json_string(hook));
	if (it->end && it->have_prof && it->prof.method == PROFILE_METHOD_OVERWRITE)
		json_object_set_new(o, "hidden_areas", fw_job_hidden_to_json(it->end->hidden));
	return o;
}

static void print_ranges(const struct wipe_result *r)
{
	size_t show = r->n_bad < 20 ? r->n_bad : 20;

	for (size_t i = 0; i < show; i++)
		printf(_("  %s pass %u: offset %llu length %llu%s%s\n"),
		       wipe_range_kind_name(r->bad[i].kind), r->bad[i].pass,
		       (unsigned long long)r->bad[i].offset, (unsigned long long)r->bad[i].length,
		       r->bad[i].err ? " " : "", r->bad[i].err ? strerror(-r->bad[i].err) : "");
	if (r->n_bad > show || r->bad_dropped)
		printf(_("  ... %zu more ranges\n"), r->n_bad - show + r->bad_dropped);
}

static void item_extra_text(const struct item *it)
{
	const char *hook = cli_sanitize_item_error(it);
	const struct sanitize_end *e = it->end;

	if (it->requested[0])
		printf(_("  profile %s not possible (%s); used %s\n"), it->requested,
		       it->fallback_why ? it->fallback_why : "no Purge", it->prof.name);
	if (e && e->register_no[0])
		printf(_("  register %s: event %s\n"), e->register_no, e->event[0] ? e->event :
		       _("NOT recorded"));
	if (e && e->cert_id[0])
		printf("  %s %s: %s %s\n", strcmp(e->cert_kind, "report") == 0 ?
		       _("report") : _("certificate"), e->cert_id, e->cert_json, e->cert_pdf);
	if (hook)
		printf("  %s\n", hook);
}

static void item_text(const struct item *it)
{
	const struct wipe_result *r = it->res;
	char w[32], v[32], d[32], t[32];

	if (!r) {
		printf("%s: %s: %s\n", it->path, i18n_value(cli_sanitize_item_outcome(it)),
		       it->cause ? it->cause : _("unknown error"));
		return;
	}
	util_format_size(r->bytes_written, w, sizeof(w));
	util_format_size(r->bytes_verified, v, sizeof(v));
	util_format_duration((uint64_t)r->duration, d, sizeof(d));
	util_format_size((uint64_t)r->throughput, t, sizeof(t));
	printf(_("%s: %s (profile %s, %zu passes, %s written, %s verified, verify %s, "
	       "read path %s, %llu errors, %s, %s/s%s)\n"), it->path,
	       i18n_value(wipe_outcome_name(r->outcome)), r->profile, r->n_passes, w, v,
	       i18n_value(profile_verify_name(r->verify)), r->read_path,
	       (unsigned long long)r->errors, d, t, r->resumed ? _(", resumed") : "");
	if (r->sampled)
		printf(_("  sample seed %llu, %llu samples\n"), (unsigned long long)r->sample_seed,
		       (unsigned long long)r->sample_count);
	if (r->cause[0])
		printf(_("  cause: %s\n"), r->cause);
	if (it->end && it->end->hidden) {
		char hidden[320];

		fw_job_hidden_text(it->end->hidden, hidden, sizeof(hidden));
		printf(_("  hidden areas: %s\n"), hidden);
	}
	print_ranges(r);
	item_extra_text(it);
}

static bool item_ok(const struct item *it)
{
	const struct wipe_result *r = it->res;

	/* unverified (--verify none) is not a success: no certificate, no 0 */
	return r && r->outcome == WIPE_OUTCOME_ERASED && !cli_sanitize_item_error(it);
}

static int exit_code(const struct item *items, size_t n)
{
	size_t failed = 0, refused = 0;

	for (size_t i = 0; i < n; i++) {
		if (items[i].state == ITEM_REFUSED)
			refused++;
		else if (!item_ok(&items[i]))
			failed++;
	}
	if (failed)
		return n == 1 ? CLI_EXIT_FAIL : CLI_EXIT_PARTIAL;
	return refused ? CLI_EXIT_REFUSED : CLI_EXIT_OK;
}

static void print_stats(struct item *items, size_t n, uint64_t t0)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) == 0)
		fprintf(stderr, _("custos: stats: peak RSS %ld KiB\n"), ru.ru_maxrss);
	for (size_t i = 0; i < n; i++)
		if (items[i].res && items[i].res->first_write_ns)
			fprintf(stderr, _("custos: stats: %s: first write %.3f ms after start\n"),
				items[i].path, (double)(items[i].res->first_write_ns - t0) / 1e6);
}

static int report(struct run *r)
{
	int rc = exit_code(r->items, r->n);

	if (r->ctx->json) {
		json_t *arr = json_array(), *o;

		for (size_t i = 0; i < r->n; i++)
			json_array_append_new(arr, item_json(&r->items[i], r));
		o = cli_batch_run_json(r, arr);
		if (r->summary_pdf)
			json_object_set_new(o, "summary_pdf", json_string(r->summary_pdf));
		if (r->skipped && json_array_size(r->skipped))
			json_object_set(o, "skipped", r->skipped);
		return cli_print_json(o) ? CLI_EXIT_FAIL : rc;
	}
	for (size_t i = 0; i < r->n; i++)
		item_text(&r->items[i]);
	if (r->summary_pdf)
		printf(_("summary: %s\n"), r->summary_pdf);
	return rc;
}

/* Run ------------------------------------------------------------------------- */

static void set_signals(struct sigaction *old_int, struct sigaction *old_term)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, old_int);
	sigaction(SIGTERM, &sa, old_term);
}

/* One typed confirmation for --all, one per device otherwise. */
static void confirm_all(struct run *r)
{
	size_t ready = 0;
	char *what;
	bool ok;

	for (size_t i = 0; i < r->n; i++)
		ready += r->items[i].state == ITEM_READY;
	if (r->ctx->yes || !ready)
		return;
	if (!r->o->all) {
		for (size_t i = 0; i < r->n; i++)
			if (r->items[i].state == ITEM_READY)
				confirm(r->ctx, &r->items[i]);
		return;
	}
	what = util_asprintf("About to ERASE %zu disk(s) of this machine (listed above).\n"
			     "Everything on them will be destroyed.", ready);
	ok = what && cli_confirm_typed(r->ctx, what, "erase-all");
	free(what);
	for (size_t i = 0; i < r->n && !ok; i++)
		if (r->items[i].state == ITEM_READY)
			refuse(&r->items[i], "", "not confirmed");
}

static int run_all(struct run *r)
{
	struct sigaction old_int, old_term;
	uint64_t t0 = util_mono_ns();
	int rc;

	set_signals(&old_int, &old_term);
	for (size_t i = 0; i < r->n && !got_signal; i++)
		cli_sanitize_prepare(r, &r->items[i]);
	confirm_all(r);
	if (r->o->all && !r->o->resume)
		cli_batch_save(r);
	r->start = util_unix_now();
	for (size_t i = 0; i < r->n; i++) {
		if (r->items[i].state != ITEM_READY)
			continue;
		if (got_signal)
			cli_sanitize_fail(&r->items[i], strdup("interrupted before it started; "
							       "nothing was written"));
		else
			start(&r->items[i]);
	}
	watch(r->items, r->n);
	collect(r->items, r->n);
	r->end = util_unix_now();
	if (r->o->all)
		cli_batch_clear(r);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	for (size_t i = 0; i < r->n && r->ctx->json; i++)
		if (r->items[i].cause && !r->items[i].res && r->items[i].state != ITEM_REFUSED)
			cli_error("%s", r->items[i].cause);
	if (r->o->all || r->n > 1)
		cli_batch_write_summary(r);
	if (r->o->stats)
		print_stats(r->items, r->n, t0);
	rc = report(r);
	if (r->o->power_off && rc == CLI_EXIT_OK) {
		fprintf(stderr, _("custos: every disk erased and verified; powering off\n"));
		if (cli_batch_power_off() < 0)
			rc = CLI_EXIT_FAIL;
	} else if (r->o->power_off) {
		fprintf(stderr, _("custos: not powering off: not every disk was erased and "
			"verified\n"));
	}
	return rc;
}

/* Set up --------------------------------------------------------------------- */

static int open_station(struct run *r)
{
	char *cause = NULL;
	int rc = station_open(r->ctx->state_dir, &r->st, &cause);

	if (rc < 0 && !r->o->dry_run) {
		cli_error("%s", cause ? cause : "the station is not set up");
		cli_error(_("sanitizing issues signed certificates: set this station up first "
			  "with 'custos init --org ORG --station NAME'; nothing was written"));
		free(cause);
		return CLI_EXIT_FAIL;
	}
	free(cause);
	return 0;
}

/* The roster's person named @name in @role; *@p NULL when no roster is
 * kept.  A name not on the roster, or not in the role, is refused with
 * the roster's people listed (exit 3); a blank name is a usage error. */
static int roster_person(const struct run *r, const char *opt, const char *name, unsigned role,
			 const struct staff_person **p)
{
	char *cause = NULL;
	int rc = staff_require(r->roster, name, role, p, &cause);

	if (rc == 0)
		return 0;
	cli_error(_("sanitize: %s: %s"), opt, cause ? cause : strerror(-rc));
	free(cause);
	return rc == -EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_REFUSED;
}

/* The operator named by nobody: the station's default, else (roster
 * kept) a usage error listing the operators; else NULL, and the library
 * takes the login account (a station without a roster, the demo). */
static int default_operator(struct run *r, struct sopts *o)
{
	char *who;

	if (o->operator_name && *o->operator_name)
		return 0;
	o->operator_name = staff_default_operator(r->st);
	if (o->operator_name || !r->roster->n)
		return 0;
	who = staff_describe(r->roster, STAFF_ROLE_OPERATOR);
	cli_error(_("sanitize: who is the operator? give --operator NAME, set $CUSTOS_OPERATOR "
		  "or 'custos staff default NAME'; the roster's operators: %s"), who ? who : "?");
	free(who);
	return CLI_EXIT_USAGE;
}

/* The people of the run, checked against the roster when the station
 * keeps one: operator, validator and witnesses in their roles, names in
 * the roster's spelling, titles from the roster unless given. */
static int resolve_people(struct run *r, struct sopts *o)
{
	const struct staff_person *p = NULL;
	char *cause = NULL;
	int rc = staff_load(r->ctx->state_dir, &r->roster, &cause);

	if (rc < 0) {
		cli_error(_("sanitize: %s"), cause ? cause : strerror(-rc));
		free(cause);
		return CLI_EXIT_FAIL;
	}
	rc = default_operator(r, o);
	if (!rc && o->operator_name)
		rc = roster_person(r, "--operator", o->operator_name, STAFF_ROLE_OPERATOR, &p);
	if (!rc && p) {
		o->operator_name = p->name;
		if (!o->operator_title && p->title[0])
			o->operator_title = p->title;
	}
	p = NULL;
	if (!rc && o->validator_name && *o->validator_name)
		rc = roster_person(r, "--validator", o->validator_name, STAFF_ROLE_VALIDATOR, &p);
	if (!rc && p) {
		o->validator_name = p->name;
		if (!o->validator_title && p->title[0])
			o->validator_title = p->title;
	}
	for (size_t i = 0; !rc && i < o->n_witnesses; i++)
		rc = roster_person(r, "--witness", o->witnesses[i], STAFF_ROLE_WITNESS, &p);
	return rc;
}

static int setup(struct run *r, struct sopts *o)
{
	char *cause = NULL;
	int rc;

	if (o->profile) {
		if (profile_find(o->profile, r->ctx->state_dir, &r->base, &cause) < 0) {
			cli_error("%s", cause ? cause : "cannot read the profile");
			free(cause);
			return CLI_EXIT_USAGE;
		}
		r->have_base = true;
		if (o->power_off && !o->verify_set &&
		    r->base.method == PROFILE_METHOD_OVERWRITE &&
		    r->base.verify == PROFILE_VERIFY_NONE)
			return cli_usage_error("sanitize", _("--power-off needs verified disks; "
					       "profile %s does not verify (give --verify)"),
					       r->base.name);
	}
	rc = open_station(r);
	if (rc == 0)
		rc = resolve_people(r, o);
	if (rc == 0 && policy_load_default(r->ctx->state_dir, &r->pol, &cause) < 0) {
		cli_error(_("policy: %s"), cause ? cause : "cannot load it");
		free(cause);
		rc = CLI_EXIT_FAIL;
	}
	/* the register is the plan's (src/sanitize.c): it checks it can
	 * take the record, and refuses (exit 3) when it cannot */
	host_read(NULL, &r->host);
	if (o->source_asset)
		util_strlcpy(r->host.asset_tag, o->source_asset, sizeof(r->host.asset_tag));
	if (o->all || o->source_asset)
		host_describe(&r->host, r->source, sizeof(r->source));
	r->cert_dir = o->cert_dir ? strdup(o->cert_dir) : NULL;
	return rc;
}

static int gather(struct run *r, int argc, char **argv)
{
	const struct sopts *o = r->o;

	if (o->resume && o->all) {
		if (cli_batch_resume_all(r) < 0)
			return CLI_EXIT_FAIL;
		if (!r->n)
			cli_note(r->ctx, _("no interrupted run to resume in %s/jobs"),
				 r->ctx->state_dir);
		return 0;
	}
	if (o->all) {
		if (cli_batch_select_all(r) < 0)
			return CLI_EXIT_FAIL;
		cli_batch_print_selection(r);
		if (!r->n) {
			cli_error(_("--all found no eligible disk; nothing to do"));
			return CLI_EXIT_FAIL;
		}
		return 0;
	}
	for (int i = optind; i < argc; i++)
		if (!cli_sanitize_add_item(r, argv[i])) {
			cli_error(_("out of memory"));
			return CLI_EXIT_FAIL;
		}
	return 0;
}

static void teardown(struct run *r)
{
	for (size_t i = 0; i < r->n; i++)
		free_item(&r->items[i]);
	free(r->items);
	register_close(r->db);
	policy_free(r->pol);
	station_free(r->st);
	staff_free(r->roster);
	json_decref(r->skipped);
	free(r->cert_dir);
	free(r->summary_pdf);
}

static void free_opts(struct sopts *o)
{
	free(o->exclude);
	names_list_free(o->witnesses, o->n_witnesses);
}

int cli_sanitize(struct cli_ctx *ctx, int argc, char **argv)
{
	struct sopts o = { 0 };
	struct run r = { 0 };
	json_t *batch = NULL;
	int rc = parse_sanitize(ctx, argc, argv, &o);

	if (rc) {
		free_opts(&o);
		return rc < 0 ? CLI_EXIT_OK : rc;
	}
	if (o.resume && o.all)
		cli_batch_load(ctx, &o, &batch);
	r.ctx = ctx;
	r.o = &o;
	r.skipped = json_array();
	got_signal = 0;
	rc = setup(&r, &o);
	if (rc == 0)
		rc = gather(&r, argc, argv);
	if (rc == 0 && r.n)
		rc = o.dry_run ? cli_batch_dry_run(&r) : run_all(&r);
	teardown(&r);
	json_decref(batch);
	free_opts(&o);
	return rc;
}
