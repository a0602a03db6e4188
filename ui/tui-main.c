/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * custos tui [--demo]: the station screen.  Opens the station, the
 * register and the policy, then hands over to the screen loop (tui-app.c).
 * With --demo it runs on the demo station and lists only that station's
 * file-backed virtual media, never a real disk or loop device.
 */
#include "tui-jobs.h"
#include "i18n.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy.h"
#include "register.h"
#include "staff.h"
#include "station.h"

static void usage(FILE *out)
{
	fputs(_("Usage: custos tui [--demo]\n"
	      "\n"
	      "The station screen: media appear when plugged in, are enrolled into the\n"
	      "register, wiped several at once with live progress, and leave with a\n"
	      "certificate.  F1 or ? lists the keys.\n"
	      "\n"
	      "Options:\n"
	      "  --demo       start on the demo station (as `custos demo` makes it): only\n"
	      "               its file-backed virtual media are listed, so every screen\n"
	      "               can be tried without touching a real disk\n"
	      "  -h, --help   this help\n"), out);
}

/* The demo station as `custos demo` makes it (the screen shows the rest). */
static int prepare_demo(struct cli_ctx *ctx)
{
	char *cause = NULL;
	int rc = cli_demo_prepare(ctx, false, &cause);

	if (rc < 0) {
		cli_error("tui: demo: %s", cause ? cause : strerror(-rc));
		free(cause);
		return CLI_EXIT_FAIL;
	}
	return CLI_EXIT_OK;
}

/* Installed policy file (or the test tree's), then the station's own. */
static int open_policy(struct tui_app *app)
{
	const char *dir = getenv("CUSTOS_PROFILE_DIR");
	char *paths[2], *cause = NULL;
	int rc;

	paths[0] = util_asprintf("%s/policy.conf", dir && *dir ? dir : CUSTOS_DATADIR "/profiles");
	paths[1] = util_asprintf("%s/policy.conf", app->state_dir);
	rc = policy_load((const char *const *)paths, 2, &app->policy, &cause);
	if (rc < 0) {
		cli_error("tui: %s", cause ? cause : strerror(-rc));
		free(cause);
	}
	free(paths[0]);
	free(paths[1]);
	return rc;
}

/* The operator before anyone is asked: the station's default
 * (staff_default_operator()) when the roster, if kept, lists it as an
 * operator; without a roster the default or the login account (the
 * demo); with a roster and no valid default, or a roster that cannot be
 * read, nobody (the register's actor "unknown", and nothing is written,
 * tui_people_acting()) until the person at the station says who they are
 * (the screen asks first). */
static const char *first_operator(struct tui_app *app)
{
	const char *def = staff_default_operator(app->station), *title = "";
	const char *name;

	tui_people_load(app);	/* app->roster NULL when it cannot be read */
	name = tui_model_first_operator(app->roster, def, station_operator(), &title);
	if (!*name && def && tui_people_kept(app))	/* $CUSTOS_OPERATOR or station.conf */
		tui_app_message(app, true, _("%s is not one of the roster's operators: choose who "
					     "is at the station"), def);
	tui_people_set_operator(app, name, title);
	return app->operator_name;
}

/* Station (may be missing: then nothing can be wiped), register, policy. */
static int open_all(struct tui_app *app)
{
	char *cause = NULL, *path;
	const char *op;
	int rc;

	if (station_open(app->state_dir, &app->station, &cause) < 0) {
		cli_warn("%s: certificates cannot be issued", cause ? cause : "no station");
		free(cause);
		cause = NULL;
		app->station = NULL;
	}
	app->virtual_dir = util_asprintf("%s/virtual", app->state_dir);
	path = util_asprintf("%s/%s", app->state_dir, REGISTER_FILE);
	if (!app->virtual_dir || !path) {
		free(path);
		return -ENOMEM;
	}
	rc = register_open(path, &app->reg, &cause);
	free(path);
	if (rc < 0) {
		cli_error("tui: register: %s%s", cause ? cause : strerror(-rc), app->station ? "" :
			  _(" (set the station up with 'custos init', or try 'custos tui --demo')"));
		free(cause);
		return rc;
	}
	op = first_operator(app);
	register_set_actor(app->reg, op, app->station ? app->station->name : NULL);
	/* writes are signed; without the key (or with a register that does
	 * not match its signed head) the screen still shows the register */
	if (app->station && register_attach_station(app->reg, app->station, op, &cause) < 0) {
		cli_warn("%s: the register cannot be written", cause ? cause : "station key");
		free(cause);
	}
	return open_policy(app);
}

static void close_all(struct tui_app *app)
{
	tui_jobs_free(app);
	tui_app_free_data(app);
	register_close(app->reg);
	staff_free(app->roster);
	policy_free(app->policy);
	station_free(app->station);
	free(app->virtual_dir);
}

static int parse(int argc, char **argv, bool *demo)
{
	static const struct option opts[] = {
		{ "demo", no_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'D': *demo = true; break;
		case 'h': usage(stdout); return -1;
		default: return cli_usage_error("tui", "unknown option");
		}
	}
	if (optind < argc)
		return cli_usage_error("tui", "unexpected argument '%s'", argv[optind]);
	return 0;
}

int cli_tui(struct cli_ctx *ctx, int argc, char **argv)
{
	struct tui_app app;
	bool demo = false;
	int rc = parse(argc, argv, &demo);

	if (rc)
		return rc < 0 ? CLI_EXIT_OK : rc;
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		cli_error("tui: the station screen needs a terminal");
		return CLI_EXIT_USAGE;
	}
	if (demo && prepare_demo(ctx) != CLI_EXIT_OK)
		return CLI_EXIT_FAIL;
	memset(&app, 0, sizeof(app));
	app.ctx = ctx;
	app.state_dir = ctx->state_dir;
	app.demo = demo;
	rc = open_all(&app);
	if (rc == 0 && !i18n_utf8())	/* Chinese would show as '?': say so once */
		tui_app_message(&app, true, "%s", i18n_codeset_warning());
	if (rc == 0)
		rc = tui_app_run(&app);
	close_all(&app);
	return rc < 0 ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}
