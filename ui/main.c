/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * custos: the one program.  Parses the global options, installs the log
 * sink, and hands the rest of the command line to one command's handler.
 */
#include "cli.h"
#include "i18n.h"

#include <getopt.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "device.h"
#include "station.h"

/*
 * Sanitizer builds: fontconfig keeps its configuration and caches for the
 * life of the process (pango and cairo never call FcFini), which
 * LeakSanitizer would report after every PDF.  Only read by LSan.
 */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libfontconfig.so\n";
}

static const struct cli_command commands[] = {
	{ "devices", cli_devices,
	  N_("list block devices and virtual media with their safety facts") },
	{ "init", cli_init,
	  N_("set up this station: state directory, key pair, configuration") },
	{ "station", cli_station,
	  N_("show the station's identity, or print its public key") },
	{ "demo", cli_demo,
	  N_("create a demo station with file-backed virtual media") },
	{ "profiles", cli_profiles,
	  N_("list sanitization profiles, or show one pass by pass") },
	{ "sanitize", cli_sanitize,
	  N_("sanitize media with a profile (overwrite or firmware erase)") },
	{ "verify", cli_verify,
	  N_("check that a medium holds only one byte value") },
	{ "ata", cli_ata,
	  N_("ATA security maintenance (unlock a drive left locked)") },
	{ "enroll", cli_enroll,
	  N_("enter a medium into the register with its classification") },
	{ "issue", cli_issue,
	  N_("issue a registered medium to a custodian") },
	{ "return", cli_return,
	  N_("record a medium's return from a custodian or from repair") },
	{ "reclassify", cli_reclassify,
	  N_("raise a medium's classification") },
	{ "repair", cli_repair,
	  N_("record a medium sent out for repair") },
	{ "destroy", cli_destroy,
	  N_("record physical destruction with its witnesses") },
	{ "lost", cli_lost,
	  N_("record a medium as lost") },
	{ "register", cli_register,
	  N_("list, show, verify, back up and export the media register") },
	{ "cert", cli_cert,
	  N_("list, show, render, print and verify certificates") },
	{ "tui", cli_tui,
	  N_("start the station screen") },
	{ "staff", cli_staff,
	  N_("the station roster: add, list and remove people") },
};

static void usage(FILE *out)
{
	fprintf(out, _("Usage: custos [global options] COMMAND [args]\n"
		       "\n"
		       "Keeps the register of classified storage media, sanitizes them with\n"
		       "verified overwrites or the drive's own erase, and issues signed\n"
		       "certificates.  With no command on a terminal, starts the station screen.\n"
		       "\n"
		       "Global options:\n"
		       "  -d, --state-dir DIR  state directory (default %s, or $CUSTOS_STATE_DIR)\n"
		       "  -j, --json           machine-readable output on stdout\n"
		       "  -y, --yes            confirm destructive actions in advance\n"
		       "  -v, --verbose        more diagnostics on stderr (repeatable)\n"
		       "  -h, --help           this help\n"
		       "  -V, --version        print the version\n"
		       "\n"
		       "Commands:\n"), CLI_DEFAULT_STATE_DIR);
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(commands); i++) {
		fprintf(out, "  ");
		util_fput_width(out, commands[i].name, 11);
		fprintf(out, " %s\n", _(commands[i].summary));
	}
	fputs(_("\n"
		"Exit status: 0 success, 1 failure, 2 usage error, 3 refused by a safety\n"
		"guard or policy, 4 some items of a multi-item run failed.\n"
		"'custos COMMAND --help' describes one command; see custos(8).\n"), out);
}

static void log_to_stderr(enum util_log_level level, const char *msg, void *data)
{
	static const char *const prefix[] = { "error: ", "warning: ", "", "debug: " };

	(void)data;
	fprintf(stderr, "custos: %s%s\n", prefix[level], msg);
}

static const struct cli_command *find_command(const char *name)
{
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(commands); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static int parse_global(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state-dir", required_argument, NULL, 'd' },
		{ "json",      no_argument,       NULL, 'j' },
		{ "yes",       no_argument,       NULL, 'y' },
		{ "verbose",   no_argument,       NULL, 'v' },
		{ "help",      no_argument,       NULL, 'h' },
		{ "version",   no_argument,       NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	while ((c = getopt_long(argc, argv, "+d:jyvhV", opts, NULL)) != -1) {
		switch (c) {
		case 'd': ctx->state_dir = optarg; break;
		case 'j': ctx->json = true; break;
		case 'y': ctx->yes = true; break;
		case 'v': ctx->verbose++; break;
		case 'h': usage(stdout); return -1;
		case 'V':
#ifdef CUSTOS_TEST_HOOKS
			printf("custos %s (test build: test hooks enabled)\n", PACKAGE_VERSION);
#else
			printf("custos %s\n", PACKAGE_VERSION);
#endif
			return -1;
		default: return cli_usage_error(NULL, "bad global option");
		}
	}
	return 0;
}

/* Which regular files are virtual media (station.conf, virtual_media_dirs).
 * A bad setting leaves only STATE-DIR/virtual; opening the station then
 * fails with the same message. */
static void media_setup(const char *state_dir)
{
	char *cause = NULL;

	if (station_media_setup(state_dir, &cause) < 0) {
		cli_warn("%s", cause ? cause : "cannot read the virtual media directories");
		device_set_media_dirs(state_dir, NULL, 0);
	}
	free(cause);
}

int main(int argc, char **argv)
{
	struct cli_ctx ctx = { .argv0 = argv[0] };
	const struct cli_command *cmd;
	const char *env;
	int rc;

	i18n_init();
	env = getenv("CUSTOS_STATE_DIR");
	ctx.state_dir = env && *env ? env : CLI_DEFAULT_STATE_DIR;
	ctx.tty = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
	rc = parse_global(&ctx, argc, argv);
	if (rc)
		return rc < 0 ? CLI_EXIT_OK : rc;
	util_log_set_sink(log_to_stderr, NULL,
			  ctx.verbose >= 2 ? UTIL_LOG_DEBUG :
			  ctx.verbose == 1 ? UTIL_LOG_INFO : UTIL_LOG_WARN);
	media_setup(ctx.state_dir);
	if (optind >= argc) {
		if (ctx.tty) {
			char name[] = "tui";

			char *tui_argv[] = { name, NULL };

			return cli_tui(&ctx, 1, tui_argv);
		}
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	cmd = find_command(argv[optind]);
	if (!cmd)
		return cli_usage_error(NULL, "unknown command '%s'", argv[optind]);
	argc -= optind;
	argv += optind;
	optind = 0;	/* the handler parses its own options from its name on */
	if (cmd->run != cli_tui)
		i18n_watch_stdout();	/* a locale that cannot show Chinese: warn */
	rc = cmd->run(&ctx, argc, argv);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		cli_error("cannot write to standard output");
		return CLI_EXIT_FAIL;
	}
	if (cmd->run != cli_tui)
		i18n_finish();
	return rc;
}
