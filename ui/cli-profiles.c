/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * custos profiles [--json]          list the sanitization profiles
 * custos profiles show NAME         every pass, verification, NIST claims
 */
#include "cli.h"
#include "i18n.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "profile.h"

static void usage(void)
{
	fputs(_("Usage: custos profiles [--json]\n"
	      "       custos profiles show NAME [--json]\n"
	      "\n"
	      "Lists the sanitization profiles found in $CUSTOS_PROFILE_DIR, the state\n"
	      "directory's profiles/ and the installed ones, or shows one pass by pass.\n"), stdout);
}

static void print_nist(const struct profile *p)
{
	printf(_("NIST SP 800-88:"));
	for (size_t k = 0; k < PROFILE_N_KINDS; k++)
		printf(" %s=%s", profile_kind_name(k), profile_nist_name(p->nist[k]));
	printf("\n");
}

static void print_pass(const struct profile *p, size_t i)
{
	const struct profile_pass *pass = &p->passes[i];
	char desc[512];

	profile_pass_describe(pass, desc, sizeof(desc));
	printf(_("  pass %2zu: %s"), i + 1, desc);
	if (pass->kind == PROFILE_PASS_RANDOM)
		printf(_("  (AES-128-CTR keystream, fresh key)"));
	else if (pass->kind == PROFILE_PASS_COMPLEMENT)
		printf(_("  (bitwise NOT of pass %zu's data)"), i);
	printf("\n");
}

static int show(const struct cli_ctx *ctx, const char *name)
{
	struct profile p;
	char *cause = NULL;
	int rc = profile_find(name, ctx->state_dir, &p, &cause);

	if (rc < 0) {
		cli_error("%s", cause ? cause : "cannot read the profile");
		free(cause);
		return rc == -ENOENT ? CLI_EXIT_USAGE : CLI_EXIT_FAIL;
	}
	if (ctx->json)
		return cli_print_json(profile_to_json(&p));
	/* a profile file is anyone's text: no control byte reaches the terminal */
	cli_out("%s: %s\n", p.name, i18n_profile_title(p.title));
	if (p.reference[0])
		cli_out(_("reference: %s\n"), p.reference);
	printf(_("method: %s\n"), profile_method_name(p.method));
	if (p.method == PROFILE_METHOD_OVERWRITE)
		printf(_("passes: %zu\n"), p.n_passes);
	for (size_t i = 0; i < p.n_passes; i++)
		print_pass(&p, i);
	printf(_("verify (default): %s\n"), profile_verify_name(p.verify));
	print_nist(&p);
	if (p.restore_max)
		printf(_("restore-max: yes\n"));
	printf(_("markers: %s\n"), p.markers ? "yes" : "no");
	cli_out(_("file: %s\n"), p.source);
	return CLI_EXIT_OK;
}

/* The headings of the list, translated and fitted to its columns (the
 * rows are ASCII codes, names and counts). */
static void print_header(int w)
{
	const char *passes = C_("profile", "PASSES");
	int pw = util_display_width(passes);

	util_fput_width(stdout, C_("profile", "NAME"), w);
	putchar(' ');
	util_fput_width(stdout, C_("profile", "METHOD"), 25);
	printf(" %*s%s ", pw < 6 ? 6 - pw : 0, "", passes);
	util_fput_width(stdout, C_("profile", "VERIFY"), 7);
	printf(" %s\n", C_("profile", "TITLE"));
}

static int list(const struct cli_ctx *ctx)
{
	struct profile *v = NULL;
	char *cause = NULL;
	size_t n = 0;
	json_t *arr;
	int w = 4;

	if (profile_list(ctx->state_dir, false, &v, &n, &cause) < 0) {
		cli_error("%s", cause ? cause : _("cannot list profiles"));
		free(cause);
		return CLI_EXIT_FAIL;
	}
	if (ctx->json) {
		arr = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, profile_to_json(&v[i]));
		free(v);
		return cli_print_json(json_pack("{s:o}", "profiles", arr));
	}
	for (size_t i = 0; i < n; i++)
		if (strlen(v[i].name) > (size_t)w)
			w = (int)strlen(v[i].name);
	if (util_display_width(C_("profile", "NAME")) > w)
		w = util_display_width(C_("profile", "NAME"));
	print_header(w);
	for (size_t i = 0; i < n; i++)
		cli_out("%-*s %-25s %6zu %-7s %s\n", w, v[i].name, profile_method_name(v[i].method),
			v[i].n_passes, profile_verify_name(v[i].verify),
			i18n_profile_title(v[i].title));
	if (!n)
		cli_warn(_("no profiles found (set CUSTOS_PROFILE_DIR?)"));
	free(v);
	return CLI_EXIT_OK;
}

int cli_profiles(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j': ctx->json = true; break;
		case 'h': usage(); return CLI_EXIT_OK;
		default: return cli_usage_error("profiles", _("bad option"));
		}
	}
	if (optind == argc)
		return list(ctx);
	if (strcmp(argv[optind], "show") == 0 && optind + 2 == argc)
		return show(ctx, argv[optind + 1]);
	if (strcmp(argv[optind], "list") == 0 && optind + 1 == argc)
		return list(ctx);
	return cli_usage_error("profiles", _("expected 'show NAME' or nothing"));
}
