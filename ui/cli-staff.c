/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * custos staff add|list|remove: the station roster (src/staff.h), the
 * people the faces accept as operator, validator, witness and custodian.
 */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "staff.h"
#include "station.h"

static void staff_usage(FILE *out)
{
	fputs(_("Usage: custos staff add NAME --role ROLE[,ROLE...] [--title T] [--department D]\n"
		"                          [--phone P]\n"
		"       custos staff list [--role ROLE] [--json]\n"
		"       custos staff remove NAME\n"
		"       custos staff default [NAME | --clear]\n"
		"\n"
		"The station roster (STATE-DIR/staff.json).  Roles: operator (操作人),\n"
		"validator (审核人), witness (监销人), custodian (责任人); --role may be\n"
		"repeated or hold a list.  Once the roster names one person, every\n"
		"--operator, --validator, --witness and `issue --to` must name a person on\n"
		"it in that role.  Names are compared after NFKC normalisation and white\n"
		"space folding (\"张　三\" is \"张三\").  The default operator is\n"
		"$CUSTOS_OPERATOR, else `operator=NAME` in station.conf (set by\n"
		"`staff default NAME`, a roster operator), never the login account.\n"
		"\n"
		"Exit status: 0 done, 1 failure, 2 usage error, 3 the person is (not)\n"
		"on the roster.\n"), out);
}

struct staff_opts {
	bool clear;		/* default --clear */
	unsigned roles;
	const char *title, *department, *phone;
};

static int parse(struct cli_ctx *ctx, int argc, char **argv, struct staff_opts *o)
{
	static const struct option opts[] = {
		{ "role", required_argument, NULL, 'r' },
		{ "title", required_argument, NULL, 't' },
		{ "department", required_argument, NULL, 'D' },
		{ "phone", required_argument, NULL, 'p' },
		{ "clear", no_argument, NULL, 'C' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	unsigned bits;
	int c;

	while ((c = getopt_long(argc, argv, "r:t:D:p:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (staff_roles_parse(optarg, &bits) < 0)
				return cli_usage_error("staff", _("unknown role in '%s' (operator, "
							 "validator, witness, custodian)"), optarg);
			o->roles |= bits;
			break;
		case 't': o->title = optarg; break;
		case 'D': o->department = optarg; break;
		case 'p': o->phone = optarg; break;
		case 'C': o->clear = true; break;
		case 'j': ctx->json = true; break;
		case 'h': staff_usage(stdout); return -1;
		default: return CLI_EXIT_USAGE;
		}
	}
	return 0;
}

static int fail(int rc, char *cause)
{
	cli_error("staff: %s", cause ? cause : strerror(-rc));
	free(cause);
	return rc == -ENOENT || rc == -EEXIST ? CLI_EXIT_REFUSED : rc == -EINVAL ?
	       CLI_EXIT_USAGE : CLI_EXIT_FAIL;
}

static json_t *person_json(const struct staff_person *p)
{
	json_t *r = json_array();

	for (unsigned b = 1; b <= STAFF_ROLE_ALL; b <<= 1)
		if (p->roles & b)
			json_array_append_new(r, json_string(staff_role_name(b)));
	return json_pack("{s:s, s:o, s:s, s:s, s:s}", "name", p->name, "roles", r,
			 "title", p->title, "department", p->department, "phone", p->phone);
}

/* The roles in the interface language: "operator, witness" / "操作人、监销人". */
static void roles_text(unsigned roles, char *buf, size_t len)
{
	static const char *const names[] = {
		N_("operator"), N_("validator"), N_("witness"), N_("custodian"),
	};
	size_t o = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < UTIL_ARRAY_SIZE(names) && o < len; i++)
		if (roles & (1u << i))
			/* TRANSLATORS: the separator of a list of roles */
			o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? _(", ") : "",
					      _(names[i]));
}

static int list(struct cli_ctx *ctx, const struct staff *roster, unsigned role)
{
	json_t *a = ctx->json ? json_array() : NULL;
	char r[64];

	if (!ctx->json && roster->n == 0) {
		printf("%s\n", _("The roster is empty: names are not checked (custos staff add)."));
		return CLI_EXIT_OK;
	}
	if (!ctx->json) {
		util_fput_width(stdout, _("NAME"), 15);
		util_fput_width(stdout, _("ROLES"), 28);
		util_fput_width(stdout, _("TITLE"), 14);
		util_fput_width(stdout, _("DEPARTMENT"), 14);
		printf("%s\n", _("PHONE"));
	}
	for (size_t i = 0; i < roster->n; i++) {
		const struct staff_person *p = &roster->people[i];

		if (role && !(p->roles & role))
			continue;
		if (a) {
			json_array_append_new(a, person_json(p));
			continue;
		}
		roles_text(p->roles, r, sizeof(r));
		util_fput_width(stdout, p->name, 14);
		putchar(' ');
		util_fput_width(stdout, r, 27);
		putchar(' ');
		util_fput_width(stdout, p->title, 13);
		putchar(' ');
		util_fput_width(stdout, p->department, 13);
		printf(" %s\n", p->phone);
	}
	return a ? cli_print_json(a) : CLI_EXIT_OK;
}

/* How many NAMEs @sub takes: 0 or a usage error's exit code. */
static int check_args(const char *sub, int n, const struct staff_opts *o)
{
	if (strcmp(sub, "default") == 0)
		return n > 1 || (n == 1 && o->clear) ?
		       cli_usage_error("staff", "%s", _("default takes one NAME or --clear")) : 0;
	if (strcmp(sub, "list") == 0)
		return n ? cli_usage_error("staff", "%s", _("list takes no NAME")) : 0;
	return n != 1 ? cli_usage_error("staff", _("%s needs one NAME"), sub) : 0;
}

/* staff default [NAME | --clear]: station.conf's operator. */
static int default_operator(struct cli_ctx *ctx, const struct staff *roster, const char *name,
			    bool clear)
{
	const struct staff_person *p = NULL;
	struct station *st = NULL;
	const char *env = getenv("CUSTOS_OPERATOR");
	char *cause = NULL;
	int rc;

	if (!name && !clear) {
		rc = station_open(ctx->state_dir, &st, &cause);
		if (rc < 0)
			return fail(rc, cause);
		printf("%s\n", st->operator_name ? st->operator_name : _("(none)"));
		if (env && *env)
			cli_note(ctx, _("$CUSTOS_OPERATOR (%s) takes precedence here"), env);
		station_free(st);
		return CLI_EXIT_OK;
	}
	if (name) {
		rc = staff_require(roster, name, STAFF_ROLE_OPERATOR, &p, &cause);
		if (rc < 0)
			return fail(rc == -EPERM ? -ENOENT : rc, cause);
	}
	rc = station_set_operator(ctx->state_dir, p ? p->name : name, &cause);
	if (rc < 0)
		return fail(rc, cause);
	if (name)
		cli_note(ctx, _("default operator: %s"), p ? p->name : name);
	return CLI_EXIT_OK;
}

int cli_staff(struct cli_ctx *ctx, int argc, char **argv)
{
	struct staff_opts o = { 0 };
	struct staff *roster = NULL;
	const char *sub, *name = NULL;
	char *cause = NULL;
	int rc, positional;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		staff_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
	}
	sub = argv[1];
	if (strcmp(sub, "add") != 0 && strcmp(sub, "list") != 0 && strcmp(sub, "remove") != 0 &&
	    strcmp(sub, "default") != 0)
		return cli_usage_error("staff", _("unknown subcommand '%s' (add, list, remove, "
						  "default)"), sub);
	rc = parse(ctx, argc - 1, argv + 1, &o);
	if (rc)
		return rc < 0 ? CLI_EXIT_OK : rc;
	positional = argc - 1 - optind;
	rc = check_args(sub, positional, &o);
	if (rc)
		return rc;
	name = positional ? argv[1 + optind] : NULL;
	rc = staff_load(ctx->state_dir, &roster, &cause);
	if (rc < 0)
		return fail(rc, cause);
	if (strcmp(sub, "default") == 0) {
		rc = default_operator(ctx, roster, name, o.clear);
	} else if (strcmp(sub, "list") == 0) {
		rc = list(ctx, roster, o.roles);
	} else if (strcmp(sub, "add") == 0) {
		if (!o.roles) {
			staff_free(roster);
			return cli_usage_error("staff", "%s", _("add needs --role (operator, "
								"validator, witness, custodian)"));
		}
		rc = staff_add(roster, name, o.roles, o.title, o.department, o.phone, &cause);
		if (rc == 0)
			rc = staff_save(roster, &cause);
		rc = rc < 0 ? fail(rc, cause) : CLI_EXIT_OK;
		if (rc == CLI_EXIT_OK)
			cli_note(ctx, _("%s added to the roster"),
				 roster->people[roster->n - 1].name);
	} else {
		rc = staff_remove(roster, name, &cause);
		if (rc == 0)
			rc = staff_save(roster, &cause);
		rc = rc < 0 ? fail(rc, cause) : CLI_EXIT_OK;
	}
	staff_free(roster);
	return rc;
}
