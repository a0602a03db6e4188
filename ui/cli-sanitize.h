/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Private to custos sanitize: what ui/cli-sanitize.c (options, jobs,
 * results) and ui/cli-batch.c (--all, --dry-run, summary, --power-off,
 * batch resume) share.
 */
#ifndef CUSTOS_CLI_SANITIZE_H
#define CUSTOS_CLI_SANITIZE_H

#include "cli.h"
#include "device.h"
#include "fw.h"
#include "host.h"
#include "profile.h"

struct sanitize_plan;
struct sanitize_run;
struct sanitize_end;
struct policy;
struct register_db;
struct staff;
struct station;
struct wipe_result;

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
	const char *destination;
	bool destination_set;
	const char *cert_dir;
	const char *class_level;
	const char *operator_name;
	const char *operator_title;
	const char *validator_name;
	const char *validator_title;
	char **witnesses;		/* every --witness, split (names_split) */
	size_t n_witnesses;
	bool restore_max;
	bool allow_usb_bridge;
	bool all;
	bool include_loop;
	bool include_usb;
	bool dry_run;
	bool power_off;
	const char **exclude;
	size_t n_exclude;
	const char *fallback;
	const char *source_asset;
};

enum item_state { ITEM_FAILED = 0, ITEM_REFUSED, ITEM_READY, ITEM_RUNNING };

struct item {
	char *path;
	struct device_info dev;
	bool probed;
	struct profile prof;
	bool have_prof;
	char requested[64];		/* the profile asked for, when a fallback was used */
	char *fallback_why;
	bool resume;
	bool verify_set;		/* --resume --all: the checkpoint's mode */
	enum profile_verify verify;
	enum item_state state;
	char *cause;
	struct fw_opts fwo;		/* firmware options (guard, fallback) */
	struct sanitize_plan *plan;	/* the library's plan: every refusal */
	struct sanitize_run *san;	/* started */
	const struct sanitize_end *end;	/* after sanitize_wait() */
	const struct wipe_result *res;
};

struct run {
	struct cli_ctx *ctx;
	const struct sopts *o;
	struct station *st;
	struct policy *pol;
	struct register_db *db;
	struct host_info host;
	char source[256];
	char *cert_dir;
	struct profile base;
	bool have_base;
	int64_t start, end;
	struct item *items;
	size_t n, cap;
	json_t *skipped;		/* --all: disks not selected, with why */
	char *summary_pdf;
	struct staff *roster;		/* the station's people (staff.json) */
};

/* ui/cli-sanitize.c */
struct item *cli_sanitize_add_item(struct run *r, const char *path);
void cli_sanitize_fail(struct item *it, char *cause);
void cli_sanitize_prepare(const struct run *r, struct item *it);
const char *cli_sanitize_item_outcome(const struct item *it);
/* The recording or certificate failure of a run that ended; NULL none. */
const char *cli_sanitize_item_error(const struct item *it);

/* ui/cli-batch.c */
int cli_batch_select_all(struct run *r);
int cli_batch_resume_all(struct run *r);
void cli_batch_print_selection(const struct run *r);
int cli_batch_dry_run(struct run *r);
json_t *cli_batch_run_json(const struct run *r, json_t *results);
void cli_batch_write_summary(struct run *r);
int cli_batch_power_off(void);
void cli_batch_save(const struct run *r);
void cli_batch_load(const struct cli_ctx *ctx, struct sopts *o, json_t **keep);
void cli_batch_clear(const struct run *r);

#endif
