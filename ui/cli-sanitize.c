/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * custos sanitize DEVICE... --profile NAME [--verify MODE] [--resume]
 * custos verify DEVICE --expect zero|one|0xNN
 *
 * sanitize probes every device, refuses the ineligible ones (they are
 * never opened for writing), asks for a typed confirmation per device
 * unless --yes, then runs one job per device concurrently, shows their
 * progress on stderr and prints one result per device.
 */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "blkio.h"
#include "device.h"
#include "job.h"
#include "profile.h"
#include "wipe.h"

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

struct sopts {
	const char *profile;
	enum profile_verify verify;
	bool verify_set;
	bool resume;
	bool stats;
	uint32_t block_size;
	bool seed_set;
	uint64_t seed;
	unsigned checkpoint_ms;
};

enum item_state { ITEM_FAILED = 0, ITEM_REFUSED, ITEM_READY, ITEM_RUNNING };

struct item {
	const char *path;
	struct device_info dev;
	bool probed;
	enum item_state state;
	char *cause;
	struct job *job;
	const struct wipe_result *res;
};

static void sanitize_usage(void)
{
	fputs("Usage: custos sanitize DEVICE... --profile NAME [options]\n"
	      "\n"
	      "Overwrites each DEVICE (a whole disk, or an image file) with the passes of\n"
	      "a profile and verifies it.  Devices run concurrently, one job each.\n"
	      "\n"
	      "  -p, --profile NAME     profile to use (see 'custos profiles')\n"
	      "      --verify MODE      full (last pass), all, sample or none;\n"
	      "                         default: the profile's\n"
	      "      --resume           continue an interrupted run from its checkpoint\n"
	      "      --sample-seed N    seed of the --verify sample plan (default random)\n"
	      "      --stats            print peak memory and time to first write on stderr\n"
	      "      --block-size SIZE  I/O block size, 1M..16M (default 4M)\n"
	      "      --checkpoint-interval SECS  checkpoint period (default 5)\n"
	      "  -y, --yes              do not ask for the typed confirmation\n"
	      "  -j, --json             results as JSON on stdout\n"
	      "\n"
	      "Exit status: 0 every device erased (or written, with --verify none),\n"
	      "1 the device failed or was aborted, 3 refused (not eligible, or not\n"
	      "confirmed), 4 some devices of several failed.\n", stdout);
}

static int parse_sanitize(struct cli_ctx *ctx, int argc, char **argv, struct sopts *o)
{
	static const struct option opts[] = {
		{ "profile", required_argument, NULL, 'p' },
		{ "verify", required_argument, NULL, 'V' },
		{ "resume", no_argument, NULL, 'r' },
		{ "sample-seed", required_argument, NULL, 'S' },
		{ "stats", no_argument, NULL, 's' },
		{ "block-size", required_argument, NULL, 'B' },
		{ "checkpoint-interval", required_argument, NULL, 'C' },
		{ "yes", no_argument, NULL, 'y' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	uint64_t v;
	int c;

	while ((c = getopt_long(argc, argv, "p:yjh", opts, NULL)) != -1) {
		switch (c) {
		case 'p': o->profile = optarg; break;
		case 'V':
			if (profile_verify_parse(optarg, &o->verify) < 0)
				return cli_usage_error("sanitize", "bad --verify '%s'", optarg);
			o->verify_set = true;
			break;
		case 'r': o->resume = true; break;
		case 'S':
			if (util_parse_u64(optarg, &o->seed, 0) < 0)
				return cli_usage_error("sanitize", "bad --sample-seed");
			o->seed_set = true;
			break;
		case 's': o->stats = true; break;
		case 'B':
			if (util_parse_u64(optarg, &v, 1) < 0 || v > (16u << 20))
				return cli_usage_error("sanitize", "bad --block-size");
			o->block_size = (uint32_t)v;
			break;
		case 'C':
			if (util_parse_u64(optarg, &v, 0) < 0 || v > 3600)
				return cli_usage_error("sanitize", "bad --checkpoint-interval");
			o->checkpoint_ms = v ? (unsigned)v * 1000 : 1;
			break;
		case 'y': ctx->yes = true; break;
		case 'j': ctx->json = true; break;
		case 'h': sanitize_usage(); return -1;
		default: return cli_usage_error("sanitize", "bad option");
		}
	}
	if (!o->profile)
		return cli_usage_error("sanitize", "--profile NAME is required");
	if (optind >= argc)
		return cli_usage_error("sanitize", "name at least one device");
	return 0;
}

/* What the person types to confirm: the serial, or the name of virtual media. */
static const char *confirm_word(const struct device_info *dev)
{
	if (dev->serial[0] && strcmp(device_media_kind(dev), "virtual") != 0)
		return dev->serial;
	return dev->name[0] ? dev->name : dev->path;
}

static void refuse(struct item *it, const char *why)
{
	it->state = ITEM_REFUSED;
	it->cause = strdup(why);
}

/* Probe, guard and confirm one device. */
static void prepare(const struct cli_ctx *ctx, struct item *it, const struct profile *p)
{
	char size[32], *what;
	int rc = device_probe(it->path, &it->dev, &it->cause);

	if (rc < 0) {
		it->state = ITEM_FAILED;
		return;
	}
	it->probed = true;
	if (!device_is_eligible(&it->dev)) {
		cli_error("%s: refused:", it->path);
		for (size_t i = 0; i < it->dev.n_reasons; i++)
			fprintf(stderr, "  - %s\n", it->dev.reason_text[i]);
		refuse(it, "not eligible for wiping");
		return;
	}
	it->state = ITEM_READY;
	if (ctx->yes)
		return;
	util_format_size(it->dev.size_bytes, size, sizeof(size));
	what = util_asprintf("About to ERASE %s: %s%s%s%s%s, %s, %s.\n"
			     "Everything on it will be destroyed (profile %s).", it->path,
			     it->dev.vendor, it->dev.vendor[0] ? " " : "",
			     it->dev.model[0] ? it->dev.model : "no model",
			     it->dev.serial[0] ? ", serial " : "", it->dev.serial, size,
			     device_media_kind(&it->dev), p->name);
	if (!what || !cli_confirm_typed(ctx, what, confirm_word(&it->dev)))
		refuse(it, "not confirmed");
	free(what);
}

static void start(const struct cli_ctx *ctx, const struct sopts *o, struct item *it,
		  const struct profile *p)
{
	struct job_spec spec = {
		.device = &it->dev,
		.profile = p,
		.verify_set = o->verify_set,
		.verify = o->verify,
		.state_dir = ctx->state_dir,
		.resume = o->resume,
		.block_size = o->block_size,
		.sample_seed_set = o->seed_set,
		.sample_seed = o->seed,
		.checkpoint_ms = o->checkpoint_ms,
	};

	char *ckpt = job_checkpoint_path(ctx->state_dir, &it->dev);

	if (!o->resume && ckpt && access(ckpt, F_OK) == 0)
		cli_warn("%s: an interrupted run left a checkpoint; starting over"
			 " (--resume would continue it)", it->path);
	free(ckpt);
	if (job_start(&spec, &it->job, &it->cause) < 0) {
		it->state = ITEM_FAILED;
		return;
	}
	it->state = ITEM_RUNNING;
}

/* Progress ------------------------------------------------------------------ */

static void progress_line(struct item *it, char *buf, size_t len)
{
	struct job_snapshot s;
	char done[32], total[32], rate[32], eta[32] = "?";
	double pct;

	job_snapshot(it->job, &s);
	util_format_size(s.progress.phase_done, done, sizeof(done));
	util_format_size(s.progress.phase_total, total, sizeof(total));
	util_format_size((uint64_t)s.progress.rate, rate, sizeof(rate));
	if (s.progress.eta_s != UINT64_MAX)
		util_format_duration(s.progress.eta_s, eta, sizeof(eta));
	pct = s.progress.phase_total ?
		100.0 * (double)s.progress.phase_done / (double)s.progress.phase_total : 0;
	snprintf(buf, len, "%-12s pass %u/%u %-6s %5.1f%% %s/%s %s/s ETA %s errors %llu%s",
		 s.name, s.progress.pass, s.progress.n_passes, wipe_phase_name(s.progress.phase),
		 pct, done, total, rate, eta, (unsigned long long)s.progress.errors,
		 s.state == JOB_STATE_DONE ? " (done)" : "");
}

static void show_progress(struct item *items, size_t n, bool tty, bool redraw)
{
	char line[256];
	size_t shown = 0;

	for (size_t i = 0; i < n; i++) {
		if (items[i].state != ITEM_RUNNING)
			continue;
		progress_line(&items[i], line, sizeof(line));
		fprintf(stderr, tty ? "\r\033[K%s\n" : "%s\n", line);
		shown++;
	}
	if (tty && redraw && shown)
		fprintf(stderr, "\033[%zuA", shown);
	fflush(stderr);
}

static bool all_done(struct item *items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (items[i].state == ITEM_RUNNING && !job_is_done(items[i].job))
			return false;
	return true;
}

static void watch(struct item *items, size_t n)
{
	bool tty = isatty(STDERR_FILENO);
	uint64_t every = tty ? 250000000ull : 10000000000ull, last = util_mono_ns();
	bool cancelled = false;

	while (!all_done(items, n)) {
		struct timespec ts = { 0, 50000000 };

		nanosleep(&ts, NULL);
		if (got_signal && !cancelled) {
			cli_warn("signal %d: stopping every job (outcome aborted)", (int)got_signal);
			for (size_t i = 0; i < n; i++)
				if (items[i].state == ITEM_RUNNING)
					job_cancel(items[i].job);
			cancelled = true;
		}
		if (util_mono_ns() - last >= every) {
			show_progress(items, n, tty, true);
			last = util_mono_ns();
		}
	}
	if (tty)
		show_progress(items, n, tty, false);
}

/* Results ------------------------------------------------------------------- */

static json_t *item_json(struct item *it, const struct profile *p)
{
	json_t *o = it->res ? wipe_result_to_json(it->res) : json_object();
	const char *kind = it->probed ? device_media_kind(&it->dev) : "unknown";
	bool erased = it->res && it->res->outcome == WIPE_OUTCOME_ERASED;

	json_object_set_new(o, "device", json_string(it->path));
	if (!it->res) {
		json_object_set_new(o, "outcome", json_string(it->state == ITEM_REFUSED ?
							      "refused" : "failed"));
		json_object_set_new(o, "profile", json_string(p->name));
		json_object_set_new(o, "bytes_written", json_integer(0));
		json_object_set_new(o, "bytes_verified", json_integer(0));
		json_object_set_new(o, "errors", json_integer(0));
		json_object_set_new(o, "cause", json_string(it->cause ? it->cause : ""));
	}
	if (it->probed) {
		json_object_set_new(o, "serial", json_string(it->dev.serial));
		json_object_set_new(o, "model", json_string(it->dev.model));
		json_object_set_new(o, "media_kind", json_string(kind));
	}
	json_object_set_new(o, "nist", json_string(erased ?
		profile_nist_name(profile_nist_for(p, kind)) : "none"));
	return o;
}

static void print_ranges(const struct wipe_result *r)
{
	size_t show = r->n_bad < 20 ? r->n_bad : 20;

	for (size_t i = 0; i < show; i++)
		printf("  %s pass %u: offset %llu length %llu%s%s\n",
		       wipe_range_kind_name(r->bad[i].kind), r->bad[i].pass,
		       (unsigned long long)r->bad[i].offset, (unsigned long long)r->bad[i].length,
		       r->bad[i].err ? " " : "", r->bad[i].err ? strerror(-r->bad[i].err) : "");
	if (r->n_bad > show || r->bad_dropped)
		printf("  ... %zu more ranges\n", r->n_bad - show + r->bad_dropped);
}

static void item_text(struct item *it)
{
	const struct wipe_result *r = it->res;
	char w[32], v[32], d[32], t[32];

	if (!r) {
		printf("%s: %s: %s\n", it->path, it->state == ITEM_REFUSED ? "refused" : "failed",
		       it->cause ? it->cause : "unknown error");
		return;
	}
	util_format_size(r->bytes_written, w, sizeof(w));
	util_format_size(r->bytes_verified, v, sizeof(v));
	util_format_duration((uint64_t)r->duration, d, sizeof(d));
	util_format_size((uint64_t)r->throughput, t, sizeof(t));
	printf("%s: %s (profile %s, %zu passes, %s written, %s verified, verify %s, "
	       "read path %s, %llu errors, %s, %s/s%s)\n", it->path, wipe_outcome_name(r->outcome),
	       r->profile, r->n_passes, w, v, profile_verify_name(r->verify), r->read_path,
	       (unsigned long long)r->errors, d, t, r->resumed ? ", resumed" : "");
	if (r->sampled)
		printf("  sample seed %llu, %llu samples\n", (unsigned long long)r->sample_seed,
		       (unsigned long long)r->sample_count);
	if (r->cause[0])
		printf("  cause: %s\n", r->cause);
	print_ranges(r);
}

static int exit_code(struct item *items, size_t n)
{
	size_t failed = 0, refused = 0;

	for (size_t i = 0; i < n; i++) {
		const struct wipe_result *r = items[i].res;

		if (items[i].state == ITEM_REFUSED)
			refused++;
		else if (!r || (r->outcome != WIPE_OUTCOME_ERASED &&
				r->outcome != WIPE_OUTCOME_UNVERIFIED))
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
		fprintf(stderr, "custos: stats: peak RSS %ld KiB\n", ru.ru_maxrss);
	for (size_t i = 0; i < n; i++)
		if (items[i].res && items[i].res->first_write_ns)
			fprintf(stderr, "custos: stats: %s: first write %.3f ms after start\n",
				items[i].path, (double)(items[i].res->first_write_ns - t0) / 1e6);
}

static int report(const struct cli_ctx *ctx, struct item *items, size_t n,
		  const struct profile *p)
{
	int rc = exit_code(items, n);

	if (ctx->json) {
		json_t *arr = json_array();

		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, item_json(&items[i], p));
		return cli_print_json(json_pack("{s:o}", "results", arr)) ? CLI_EXIT_FAIL : rc;
	}
	for (size_t i = 0; i < n; i++)
		item_text(&items[i]);
	return rc;
}

static void collect(struct item *items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char *cause = NULL;

		if (items[i].state != ITEM_RUNNING)
			continue;
		if (job_wait(items[i].job, &items[i].res, &cause) < 0) {
			free(items[i].cause);
			items[i].cause = cause;
		}
	}
}

static void cleanup(struct item *items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		job_free(items[i].job);
		if (items[i].probed)
			device_info_clear(&items[i].dev);
		free(items[i].cause);
	}
	free(items);
}

static void set_signals(struct sigaction *old_int, struct sigaction *old_term)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, old_int);
	sigaction(SIGTERM, &sa, old_term);
}

static int run_all(struct cli_ctx *ctx, const struct sopts *o, struct item *items, size_t n,
		   const struct profile *p)
{
	struct sigaction old_int, old_term;
	uint64_t t0 = util_mono_ns();
	int rc;

	set_signals(&old_int, &old_term);
	for (size_t i = 0; i < n && !got_signal; i++)
		prepare(ctx, &items[i], p);
	for (size_t i = 0; i < n; i++) {
		if (items[i].state != ITEM_READY)
			continue;
		if (got_signal)
			items[i].cause = strdup("interrupted before it started; nothing was written");
		else
			start(ctx, o, &items[i], p);
	}
	watch(items, n);
	collect(items, n);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	for (size_t i = 0; i < n && ctx->json; i++)
		if (items[i].cause && !items[i].res && items[i].state != ITEM_REFUSED)
			cli_error("%s", items[i].cause);
	if (o->stats)
		print_stats(items, n, t0);
	rc = report(ctx, items, n, p);
	return rc;
}

int cli_sanitize(struct cli_ctx *ctx, int argc, char **argv)
{
	struct sopts o = { 0 };
	struct profile p;
	struct item *items;
	char *cause = NULL;
	size_t n;
	int rc = parse_sanitize(ctx, argc, argv, &o);

	if (rc)
		return rc < 0 ? CLI_EXIT_OK : rc;
	if (profile_find(o.profile, ctx->state_dir, &p, &cause) < 0) {
		cli_error("%s", cause ? cause : "cannot read the profile");
		free(cause);
		return CLI_EXIT_USAGE;
	}
	n = (size_t)(argc - optind);
	items = calloc(n, sizeof(*items));
	if (!items) {
		cli_error("out of memory");
		return CLI_EXIT_FAIL;
	}
	for (size_t i = 0; i < n; i++)
		items[i].path = argv[optind + (int)i];
	got_signal = 0;
	rc = run_all(ctx, &o, items, n, &p);
	cleanup(items, n);
	return rc;
}
