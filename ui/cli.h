/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CUSTOS_CLI_H
#define CUSTOS_CLI_H

/*
 * The command line face: global context, exit codes, and one handler per
 * command (ui/cli-<command>.c), registered in the table in ui/main.c.
 * Handlers return an exit code; they print results on stdout and
 * diagnostics on stderr, and never call exit().
 */

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "util.h"

/* Documented exit codes (docs/custos.8, EXIT STATUS). */
enum cli_exit {
	CLI_EXIT_OK = 0,	/* success */
	CLI_EXIT_FAIL = 1,	/* the operation failed */
	CLI_EXIT_USAGE = 2,	/* bad command line */
	CLI_EXIT_REFUSED = 3,	/* refused by a safety guard or by policy */
	CLI_EXIT_PARTIAL = 4,	/* some items of a multi-item run failed */
};

struct cli_ctx {
	const char *state_dir;	/* --state-dir, CUSTOS_STATE_DIR, or default */
	const char *argv0;
	bool json;		/* --json: machine output on stdout */
	bool yes;		/* --yes: no interactive confirmation */
	int verbose;		/* -v count */
	bool tty;		/* stdin and stdout are terminals */
};

#define CLI_DEFAULT_STATE_DIR "/var/lib/custos"

/* Diagnostics on stderr, prefixed "custos: ". */
void cli_error(const char *fmt, ...) UTIL_PRINTF(1, 2);
void cli_warn(const char *fmt, ...) UTIL_PRINTF(1, 2);
void cli_note(const struct cli_ctx *ctx, const char *fmt, ...) UTIL_PRINTF(2, 3);

/* Print "custos CMD: MSG" and a --help hint; returns CLI_EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) UTIL_PRINTF(2, 3);

/* printf to stdout for text from the register, a certificate, a profile
 * or a device: every control character but '\n' and every invalid byte
 * is replaced by '?' (util_text_safe()). */
void cli_out(const char *fmt, ...) UTIL_PRINTF(1, 2);

/* Text options that enter the register: valid UTF-8 without control
 * characters, shorter than @size bytes (0: no limit).  CLI_EXIT_OK, or a
 * usage error naming @option (printed) and CLI_EXIT_USAGE. */
int cli_check_text(const char *cmd, const char *option, const char *value, size_t size);

/* Print @j (steals the reference) as indented JSON on stdout; returns
 * CLI_EXIT_OK, or CLI_EXIT_FAIL if it could not be written. */
int cli_print_json(json_t *j);

/* Ask the person to type @expect to go on.  Refuses (returns false) without
 * a terminal.  @what describes the action for the prompt. */
bool cli_confirm_typed(const struct cli_ctx *ctx, const char *what, const char *expect);

/* One handler per command. */
typedef int (*cli_handler)(struct cli_ctx *ctx, int argc, char **argv);

struct cli_command {
	const char *name;
	cli_handler run;
	const char *summary;
};

int cli_devices(struct cli_ctx *ctx, int argc, char **argv);
int cli_init(struct cli_ctx *ctx, int argc, char **argv);
int cli_station(struct cli_ctx *ctx, int argc, char **argv);
int cli_demo(struct cli_ctx *ctx, int argc, char **argv);
/* The demo station (identity and virtual media) that `custos demo` and
 * `custos tui --demo` use; switches ctx->state_dir to the demo's own
 * directory when it is the default one.  Prints nothing: 0 or a negative
 * errno with *@cause. */
int cli_demo_prepare(struct cli_ctx *ctx, bool reset, char **cause);
int cli_profiles(struct cli_ctx *ctx, int argc, char **argv);
int cli_sanitize(struct cli_ctx *ctx, int argc, char **argv);
int cli_verify(struct cli_ctx *ctx, int argc, char **argv);
int cli_ata(struct cli_ctx *ctx, int argc, char **argv);
int cli_enroll(struct cli_ctx *ctx, int argc, char **argv);
int cli_issue(struct cli_ctx *ctx, int argc, char **argv);
int cli_return(struct cli_ctx *ctx, int argc, char **argv);
int cli_reclassify(struct cli_ctx *ctx, int argc, char **argv);
int cli_repair(struct cli_ctx *ctx, int argc, char **argv);
int cli_destroy(struct cli_ctx *ctx, int argc, char **argv);
int cli_lost(struct cli_ctx *ctx, int argc, char **argv);
int cli_register(struct cli_ctx *ctx, int argc, char **argv);
int cli_cert(struct cli_ctx *ctx, int argc, char **argv);
int cli_tui(struct cli_ctx *ctx, int argc, char **argv);
int cli_staff(struct cli_ctx *ctx, int argc, char **argv);

/* cli-register-central.c: the central register's subcommands (issue 16) */
bool cli_register_is_central(int argc, char **argv);
int cli_register_central(struct cli_ctx *ctx, int argc, char **argv);

#endif
