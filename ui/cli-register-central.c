/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The central register commands (issue 16):
 *   custos register init-server [--apply CONNINFO]
 *   custos register init-server --add-station NAME --login ROLE [--apply CONNINFO]
 *   custos register push
 *   custos register verify --central [--all-signatures]
 *   custos register verify --against [CONNINFO]
 *   custos register list --station S | --all-stations
 *   custos register find REF
 *   custos register inventory [--format csv|pdf|json] [--output FILE]
 *   custos register overdue [--days N]
 * CONNINFO defaults to station.conf's "register"; --central CONNINFO too.
 */
#include "cli.h"
#include "i18n.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "register-central.h"
#include "station.h"
#include "util.h"

#define OVERDUE_DAYS 90

struct central_opts {
	const char *conninfo, *station, *format, *output, *apply;
	const char *add_station, *login;
	bool central, against, all, all_stations, all_signatures;
	int days;
};

static int cfail(const char *cmd, int rc, char *cause)
{
	cli_error("register %s: %s", cmd, cause ? cause : strerror(-rc));
	free(cause);
	return rc == -EHOSTUNREACH ? CLI_EXIT_FAIL : rc == -EBADMSG ? CLI_EXIT_FAIL :
	       rc == -EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_FAIL;
}

/* --central, else station.conf's register; *@st loaded when possible. */
static int conninfo_of(struct cli_ctx *ctx, struct central_opts *o, struct station **st,
		       const char *cmd)
{
	char *cause = NULL;
	int rc = station_open(ctx->state_dir, st, &cause);

	if (rc < 0)
		*st = NULL;
	if (!o->conninfo && *st)
		o->conninfo = (*st)->register_conninfo;
	if (!o->conninfo) {
		cli_error(_("register %s: no central register: set one with 'custos station set "
			    "register CONNINFO' or give --central CONNINFO%s%s"), cmd,
			  cause ? " (" : "", cause ? _("station: ") : "");
		if (cause)
			fprintf(stderr, "%s)\n", cause);
		free(cause);
		return CLI_EXIT_USAGE;
	}
	free(cause);
	return CLI_EXIT_OK;
}

/* --add-station NAME --login ROLE: print or apply the station's login. */
static int add_station(struct cli_ctx *ctx, const struct central_opts *o)
{
	char *cause = NULL, *sql;
	int rc;

	if (!o->login)
		return cli_usage_error("register", _("--add-station NAME needs --login ROLE"));
	sql = register_central_add_station_sql(o->add_station, o->login, &cause);
	if (!sql)
		return cfail("init-server", -EINVAL, cause);
	if (!o->apply) {
		rc = fputs(sql, stdout) == EOF ? CLI_EXIT_FAIL : CLI_EXIT_OK;
		free(sql);
		return rc;
	}
	rc = register_central_apply(o->apply, sql, &cause);
	free(sql);
	if (rc < 0)
		return cfail("init-server", rc, cause);
	if (!ctx->json)
		printf(_("station %s writes to the central register as login %s, and no other "
			 "login may write its rows\n"), o->add_station, o->login);
	return CLI_EXIT_OK;
}

static int init_server(struct cli_ctx *ctx, const struct central_opts *o)
{
	const char *sql = register_central_schema_sql();
	char *cause = NULL;
	int rc;

	if (o->add_station)
		return add_station(ctx, o);

	if (!sql)
		return cfail("init-server", -ENOTSUP, util_asprintf(_("this custos was built "
								      "without libpq")));
	if (!o->apply) {
		fputs(sql, stdout);
		return CLI_EXIT_OK;
	}
	rc = register_central_init(o->apply, &cause);
	if (rc < 0)
		return cfail("init-server", rc, cause);
	if (!ctx->json)
		printf(_("central register set up: tables, append-only triggers, row-level "
			 "security, roles custos_station (append) and custos_auditor (read)\n"));
	return CLI_EXIT_OK;
}

static int open_local(struct cli_ctx *ctx, struct station *st, struct register_db **db)
{
	char *cause = NULL;
	int rc = register_open_dir(ctx->state_dir, db, &cause);

	if (rc == 0 && st)
		rc = register_set_actor(*db, station_operator(), st->name);
	if (rc < 0)
		return cfail("push", rc, cause);
	return CLI_EXIT_OK;
}

static int push(struct cli_ctx *ctx, struct central_opts *o)
{
	struct register_push_result res;
	struct register_db *db = NULL;
	struct station *st = NULL;
	char *cause = NULL;
	int rc = conninfo_of(ctx, o, &st, "push");

	if (rc == CLI_EXIT_OK && !st)
		rc = cfail("push", -ENOENT, util_asprintf(_("no station in %s"), ctx->state_dir));
	if (rc == CLI_EXIT_OK)
		rc = open_local(ctx, st, &db);
	if (rc == CLI_EXIT_OK) {
		rc = register_central_push(db, st, o->conninfo, &res, &cause);
		rc = rc < 0 ? cfail("push", rc, cause) : CLI_EXIT_OK;
	}
	if (rc == CLI_EXIT_OK && ctx->json)
		rc = cli_print_json(json_pack("{s:s, s:I, s:I, s:I, s:I, s:I}", "station", st->name,
					      "events", (json_int_t)res.events,
					      "signatures", (json_int_t)res.signatures,
					      "media", (json_int_t)res.media,
					      "certificates", (json_int_t)res.certificates,
					      "central_seq", (json_int_t)res.central_seq));
	else if (rc == CLI_EXIT_OK)
		printf(_("pushed %lld events (%lld signatures, %lld media rows, %lld new "
			 "certificates) of station %s; the central register holds its events 1 "
			 "to %lld\n"), (long long)res.events, (long long)res.signatures,
		       (long long)res.media, (long long)res.certificates, st->name,
		       (long long)res.central_seq);
	register_close(db);
	station_free(st);
	return rc;
}

static int verify_central(struct cli_ctx *ctx, struct central_opts *o)
{
	struct register_central_verify v;
	struct station *st = NULL;
	char *cause = NULL;
	int rc = conninfo_of(ctx, o, &st, "verify");

	if (rc != CLI_EXIT_OK) {
		station_free(st);
		return rc;
	}
	rc = register_central_verify(o->conninfo, o->all_signatures, &v, &cause);
	station_free(st);	/* o->conninfo may be its register */
	if (rc < 0)
		return cfail("verify", rc, cause);
	if (ctx->json) {
		rc = cli_print_json(json_pack("{s:b, s:I, s:I, s:I, s:I, s:s, s:I, s:s}", "ok",
					      v.ok, "stations", (json_int_t)v.stations,
					      "events", (json_int_t)v.events,
					      "signatures", (json_int_t)v.signatures,
					      "certificates", (json_int_t)v.certificates,
					      "station", v.station, "seq", (json_int_t)v.seq,
					      "message", v.message));
		return v.ok ? rc : CLI_EXIT_FAIL;
	}
	if (!v.ok) {
		cli_error(_("register verify: central register TAMPERED or broken: %s"), v.message);
		return CLI_EXIT_FAIL;
	}
	printf(_("central register verified: %lld stations, %lld events, every station's "
		 "hash chain intact, %lld signatures valid (%s)\n"), (long long)v.stations,
	       (long long)v.events, (long long)v.signatures,
	       o->all_signatures ? _("every event") : _("each station's newest event"));
	printf(_("certificates: %lld rows verified (signature and event)\n"),
	       (long long)v.certificates);
	return CLI_EXIT_OK;
}

static int verify_against(struct cli_ctx *ctx, struct central_opts *o)
{
	struct register_against_result a;
	struct register_db *db = NULL;
	struct station *st = NULL;
	char *cause = NULL;
	int rc = conninfo_of(ctx, o, &st, "verify");

	if (rc == CLI_EXIT_OK && !st)
		rc = cfail("verify", -ENOENT, util_asprintf(_("no station in %s"), ctx->state_dir));
	if (rc == CLI_EXIT_OK)
		rc = open_local(ctx, st, &db);
	if (rc == CLI_EXIT_OK) {
		rc = register_central_against(db, st, o->conninfo, &a, &cause);
		rc = rc < 0 ? cfail("verify", rc, cause) : CLI_EXIT_OK;
	}
	if (rc == CLI_EXIT_OK && ctx->json)
		rc = cli_print_json(json_pack("{s:b, s:I, s:I, s:I, s:s}", "ok", a.ok,
					      "local_events", (json_int_t)a.local_events,
					      "central_events", (json_int_t)a.central_events,
					      "queued", (json_int_t)a.queued, "message", a.message));
	else if (rc == CLI_EXIT_OK && !a.ok)
		cli_error(_("register verify: station %s: local and central registers DISAGREE: %s"),
			  st->name, a.message);
	else if (rc == CLI_EXIT_OK)
		printf(_("station %s: the local register (%lld events) agrees with the central "
			 "one (%lld events); %lld events not pushed yet\n"), st->name,
		       (long long)a.local_events, (long long)a.central_events,
		       (long long)a.queued);
	if (rc == CLI_EXIT_OK && !a.ok)
		rc = CLI_EXIT_FAIL;
	register_close(db);
	station_free(st);
	return rc;
}

/* The columns of the media lists, by display width: station names and
 * asset tags may be Chinese (two columns a character). */
static const int media_cols[] = { 12, 9, 12, 10, 20, 12 };

static void print_cells(const char *const cell[7])
{
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(media_cols); i++) {
		util_fput_width(stdout, cell[i] ? cell[i] : "", media_cols[i]);
		putchar(' ');
	}
	util_fput_text(stdout, cell[6] ? cell[6] : "");
	putchar('\n');
}

/* A medium's row; the last column is @last (the custodian, the time of
 * the last event). */
static void print_row(json_t *m, const char *last)
{
	const char *cell[7] = {
		json_string_value(json_object_get(m, "station")),
		json_string_value(json_object_get(m, "register_no")),
		json_string_value(json_object_get(m, "asset_tag")),
		i18n_value(json_string_value(json_object_get(m, "classification"))),
		i18n_value(json_string_value(json_object_get(m, "state"))),
		json_string_value(json_object_get(m, "serial")),
		last,
	};

	print_cells(cell);
}

/* The headings of print_row()'s columns, translated and fitted to them. */
static void print_header(void)
{
	const char *const head[7] = { _("STATION"), C_("register", "NO"), _("ASSET"),
				      _("CLASS"), _("STATE"), _("SERIAL"), _("CUSTODIAN") };

	print_cells(head);
}

static int print_media(struct cli_ctx *ctx, json_t *arr, bool history)
{
	size_t i, k;
	json_t *m, *e;
	char when[40];

	if (ctx->json)
		return cli_print_json(arr);
	print_header();
	json_array_foreach(arr, i, m) {
		print_row(m, json_string_value(json_object_get(m, "custodian")));
		if (!history)
			continue;
		json_array_foreach(json_object_get(m, "history"), k, e)
			printf("    %s  %-10s #%-5lld %-18s %s\n",
			       util_time_local_text(json_string_value(json_object_get(e, "at")),
						    when, sizeof(when)),
			       json_string_value(json_object_get(e, "station")),
			       (long long)json_integer_value(json_object_get(e, "seq")),
			       i18n_value(json_string_value(json_object_get(e, "kind"))),
			       json_string_value(json_object_get(e, "operator")));
	}
	json_decref(arr);
	return CLI_EXIT_OK;
}

static int views(struct cli_ctx *ctx, const char *sub, char **args, struct central_opts *o)
{
	struct station *st = NULL;
	json_t *out = NULL;
	char *cause = NULL, *text = NULL;
	int rc = conninfo_of(ctx, o, &st, sub);

	if (rc != CLI_EXIT_OK)
		return rc;
	if (strcmp(sub, "list") == 0)
		rc = register_central_list(o->conninfo, o->station, &out, &cause);
	else if (strcmp(sub, "find") == 0)
		rc = register_central_find(o->conninfo, args[0], &out, &cause);
	else if (strcmp(sub, "overdue") == 0)
		rc = register_central_overdue(o->conninfo, o->days, &out, &cause);
	else
		rc = register_central_inventory(o->conninfo, &out, &cause);
	if (rc < 0) {
		station_free(st);
		return cfail(sub, rc, cause);
	}
	if (strcmp(sub, "list") == 0 || strcmp(sub, "find") == 0) {
		station_free(st);
		return print_media(ctx, out, strcmp(sub, "find") == 0);
	}
	if (ctx->json || (o->format && strcmp(o->format, "json") == 0)) {
		station_free(st);
		return cli_print_json(out);
	}
	if (strcmp(sub, "overdue") == 0) {
		const char *const head[7] = { _("STATION"), C_("register", "NO"), _("ASSET"),
					      _("CLASS"), _("STATE"), _("SERIAL"), _("LAST EVENT") };
		size_t i;
		json_t *m;
		char when[40];

		printf(_("media without a custody event or check for %d days:\n"), o->days);
		print_cells(head);
		json_array_foreach(out, i, m)
			print_row(m, util_time_local_text(json_string_value(json_object_get(m,
						"last_event")), when, sizeof(when)));
		rc = CLI_EXIT_OK;
	} else if (o->format && strcmp(o->format, "pdf") == 0) {
		if (!o->output)
			rc = cli_usage_error("register inventory", _("--format pdf needs --output FILE"));
		else if ((rc = register_inventory_pdf(out, st ? st->org : "", o->output,
						      &cause)) < 0)
			rc = cfail(sub, rc, cause);
		else
			rc = CLI_EXIT_OK;
	} else if (register_central_inventory_csv(out, &text) < 0) {
		rc = cfail(sub, -ENOMEM, NULL);
	} else if (o->output) {
		rc = util_write_file_atomic(o->output, text, strlen(text), 0640) < 0 ?
		     cfail(sub, -EIO, util_asprintf(_("cannot write %s"), o->output)) : CLI_EXIT_OK;
	} else {
		rc = fputs(text, stdout) == EOF ? CLI_EXIT_FAIL : CLI_EXIT_OK;
	}
	free(text);
	json_decref(out);
	station_free(st);
	return rc;
}

static void central_help(void)
{
	printf("Usage: custos register init-server [--apply CONNINFO]\n"
	       "       custos register init-server --add-station NAME --login ROLE [--apply CONNINFO]\n"
	       "       custos register push [--central CONNINFO]\n"
	       "       custos register verify --central [CONNINFO] [--all-signatures]\n"
	       "       custos register verify --against [CONNINFO]\n"
	       "       custos register list --station NAME | --all-stations\n"
	       "       custos register find REF\n"
	       "       custos register inventory [--format csv|pdf|json] [--output FILE]\n"
	       "       custos register overdue [--days N]   (default %d)\n"
	       "CONNINFO: a libpq connection string; default: station.conf's register.\n",
	       OVERDUE_DAYS);
}

bool cli_register_is_central(int argc, char **argv)
{
	static const char *const subs[] = { "init-server", "push", "find", "inventory",
					    "overdue" };
	const char *sub = NULL;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--central") == 0 || strcmp(argv[i], "--against") == 0 ||
		    strcmp(argv[i], "--station") == 0 || strcmp(argv[i], "--all-stations") == 0 ||
		    strncmp(argv[i], "--central=", 10) == 0 ||
		    strncmp(argv[i], "--station=", 10) == 0)
			return true;
		if (!sub && argv[i][0] != '-')
			sub = argv[i];
	}
	for (size_t i = 0; sub && i < UTIL_ARRAY_SIZE(subs); i++)
		if (strcmp(sub, subs[i]) == 0)
			return true;
	return false;
}

int cli_register_central(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "apply", required_argument, NULL, 'a' },
		{ "add-station", required_argument, NULL, 'N' },
		{ "login", required_argument, NULL, 'L' },
		{ "central", optional_argument, NULL, 'C' },
		{ "against", optional_argument, NULL, 'G' },
		{ "station", required_argument, NULL, 's' },
		{ "all-stations", no_argument, NULL, 'S' },
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "days", required_argument, NULL, 'd' },
		{ "all-signatures", no_argument, NULL, 'A' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct central_opts o = { .days = OVERDUE_DAYS };
	const char *sub;
	int c;

	while ((c = getopt_long(argc, argv, "f:o:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'a': o.apply = optarg; break;
		case 'N': o.add_station = optarg; break;
		case 'L': o.login = optarg; break;
		case 'C': o.central = true; if (optarg) o.conninfo = optarg; break;
		case 'G': o.against = true; if (optarg) o.conninfo = optarg; break;
		case 's': o.station = optarg; break;
		case 'S': o.all_stations = true; break;
		case 'f': o.format = optarg; break;
		case 'o': o.output = optarg; break;
		case 'd': o.days = atoi(optarg); break;
		case 'A': o.all_signatures = true; break;
		case 'j': ctx->json = true; break;
		case 'h': central_help(); return CLI_EXIT_OK;
		default: return CLI_EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return cli_usage_error("register", "expected a subcommand");
	sub = argv[optind++];
	/* "verify --central CONNINFO" with the conninfo as a separate word */
	if ((o.central || o.against) && !o.conninfo && optind < argc &&
	    (strchr(argv[optind], '=') || strncmp(argv[optind], "postgres", 8) == 0))
		o.conninfo = argv[optind++];
	if (o.days <= 0)
		return cli_usage_error("register", "--days takes a positive number of days");
	if (strcmp(sub, "init-server") == 0)
		return init_server(ctx, &o);
	if (strcmp(sub, "push") == 0)
		return push(ctx, &o);
	if (strcmp(sub, "verify") == 0)
		return o.against ? verify_against(ctx, &o) : verify_central(ctx, &o);
	if (strcmp(sub, "find") == 0 && optind + 1 != argc)
		return cli_usage_error("register", "find takes REF (serial, asset tag, WWN, "
				       "register number)");
	if (strcmp(sub, "list") == 0 || strcmp(sub, "find") == 0 ||
	    strcmp(sub, "inventory") == 0 || strcmp(sub, "overdue") == 0)
		return views(ctx, sub, argv + optind, &o);
	return cli_usage_error("register", "unknown subcommand '%s'", sub);
}
