/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * custos ata identify DEVICE       firmware-erase capabilities of one drive
 * custos ata unlock DEVICE [--password PW]
 *                                  remove the ATA password an interrupted
 *                                  custos erase left on a drive (journal)
 */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "fw.h"
#include "i18n.h"

static void ata_usage(FILE *out)
{
	fputs(_("Usage: custos ata identify DEVICE [--json]\n"
		"       custos ata unlock DEVICE [--password PW]\n"
		"\n"
		"identify  shows what the drive's firmware offers for sanitization: ATA\n"
		"          security erase (normal/enhanced, estimated times, frozen/locked\n"
		"          state), ATA sanitize modes, NVMe format/sanitize, hidden areas\n"
		"          (HPA/DCO/AMA: current vs native max), and the method 'purge'\n"
		"          would choose.\n"
		"unlock    recovers a drive left locked by an interrupted security erase:\n"
		"          reads the password from the journal in STATE-DIR/ata-journal,\n"
		"          unlocks the drive and disables the password.\n"
		"\n"
		"      --password PW   use PW instead of the journal (user password)\n"
		"  -j, --json          capabilities or result as JSON\n"
		"\n"
		"Exit status: 0 done, 1 failed, 2 usage, 3 refused (no ATA/NVMe firmware on\n"
		"the target, the drive is frozen, or its attempt counter expired).\n"), out);
}

static int exit_for(int rc)
{
	return rc == -EOPNOTSUPP || rc == -EPERM || rc == -ENOTBLK ? CLI_EXIT_REFUSED :
	       CLI_EXIT_FAIL;
}

static const char *yes(bool b)
{
	return b ? _("yes") : _("no");
}

static void print_ata(const struct fw_caps *c)
{
	const struct ata_identify *id = &c->ata;
	const struct fw_hidden *h = &c->hidden;

	if (!id->sec_supported)
		printf(_("  security:      not supported\n"));
	else
		printf(_("  security:      %s%s%s%s%s, enhanced erase %s, level %s\n"
			 "                 erase estimate: normal %u min, enhanced %u min "
			 "(0 = not reported)\n"),
		       id->sec_enabled ? _("password set") : _("no password"),
		       id->sec_locked ? _(", LOCKED") : "", id->sec_frozen ? _(", FROZEN") : "",
		       id->sec_expired ? _(", attempt counter EXPIRED") : "",
		       c->usb_bridge ? _(", behind a USB bridge") : "", yes(id->sec_enhanced),
		       id->sec_level_max ? _("maximum") : _("high"), id->erase_min,
		       id->erase_enh_min);
	if (!id->san_supported)
		printf(_("  sanitize:      not supported\n"));
	else
		printf(_("  sanitize:      crypto %s, block %s, overwrite %s%s\n"),
		       yes(id->san_crypto), yes(id->san_block), yes(id->san_overwrite),
		       c->san_status_known && c->san.frozen ? _(", FROZEN") : "");
	if (!h->known)
		printf(_("  hidden areas:  unknown (%s)\n"), h->note);
	else
		printf(_("  hidden areas:  %llu sectors (max LBA %llu, native %llu%s); HPA %s, "
			 "AMA %s, DCO %s\n"), (unsigned long long)h->hidden_sectors,
		       (unsigned long long)h->current_max, (unsigned long long)h->native_max,
		       h->dco_known ? _(", DCO known") : "", yes(h->hpa), yes(h->ama), yes(h->dco));
}

static void print_nvme(const struct fw_caps *c)
{
	const struct nvme_ctrl_info *n = &c->nvme;

	printf(_("  format:        %s, crypto erase %s%s\n"),
	       n->format_supported ? _("supported") : _("not supported"), yes(n->crypto_erase),
	       n->fmt_all_ns || n->se_all_ns ? _(", applies to ALL namespaces") : "");
	printf(_("  sanitize:      crypto %s, block %s, overwrite %s\n"), yes(n->san_crypto),
	       yes(n->san_block), yes(n->san_overwrite));
}

static void print_caps(const char *path, const struct fw_caps *c)
{
	printf(_("%s: %s, serial %s, firmware %s (%s, %s)\n"), path, c->model, c->serial,
	       c->firmware, c->kind == SGIO_KIND_NVME ? "nvme" : "ata", c->media_kind);
	if (c->kind == SGIO_KIND_ATA)
		print_ata(c);
	else
		print_nvme(c);
	printf(_("  methods:      "));
	for (int m = 1; m < FW_PURGE; m++)
		if (c->methods & (1u << m))
			printf(" %s", fw_method_name((enum fw_method)m));
	printf(_("%s\n  purge:         %s\n"), c->methods ? "" : _(" none"),
	       c->purge ? fw_method_name(c->purge) : _("none (no Purge-level method)"));
}

static int do_identify(struct cli_ctx *ctx, const char *path)
{
	struct fw_caps caps;
	char *cause = NULL;
	int rc;

	rc = fw_probe(path, &caps, &cause);
	if (rc < 0) {
		cli_error("%s: %s", path, cause ? cause : strerror(-rc));
		free(cause);
		return exit_for(rc);
	}
	if (ctx->json)
		return cli_print_json(fw_caps_to_json(&caps));
	print_caps(path, &caps);
	return CLI_EXIT_OK;
}

static json_t *unlock_json(const char *path, const struct ata_erase_report *rep, int rc,
			   const char *cause)
{
	return json_pack("{s:s, s:b, s:s, s:o, s:o}", "device", path, "unlocked", rc == 0,
			 "journal", rep->journal,
			 "error", rc < 0 && cause ? json_string(cause) : json_null(),
			 "recovery", rep->recovery ? json_string(rep->recovery) : json_null());
}

static int do_unlock(struct cli_ctx *ctx, const char *path, const char *password)
{
	struct ata_erase_report rep;
	struct sgio_dev *dev = NULL;
	char *cause = NULL;
	int rc, ret;

	memset(&rep, 0, sizeof(rep));
	rc = sgio_open(path, true, &dev, &cause);
	if (rc == 0 && dev->kind != SGIO_KIND_ATA)
		rc = util_fail(&cause, -EOPNOTSUPP, _("not supported: %s is not an ATA drive "
						      "(ATA security passwords exist only on "
						      "ATA drives)"), path);
	if (rc == 0)
		rc = ata_security_recover(dev, ctx->state_dir, password, &rep, &cause);
	if (ctx->json) {
		ret = cli_print_json(unlock_json(path, &rep, rc, cause));
		if (rc < 0)
			ret = exit_for(rc);
	} else if (rc == 0) {
		printf(_("%s: ATA security disabled; the drive is unlocked and has no "
			 "password\n"), path);
		ret = CLI_EXIT_OK;
	} else {
		cli_error("%s: %s", path, cause ? cause : strerror(-rc));
		if (rep.recovery)
			cli_note(ctx, "%s", rep.recovery);
		ret = exit_for(rc);
	}
	ata_erase_report_clear(&rep);
	sgio_close(dev);
	free(cause);
	return ret;
}

int cli_ata(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "password", required_argument, NULL, 'P' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *password = NULL, *sub;
	int c;

	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		ata_usage(stdout);
		return CLI_EXIT_OK;
	}
	if (argc < 2)
		return cli_usage_error("ata", "%s", _("missing subcommand (identify or unlock)"));
	sub = argv[1];
	optind = 0;
	while ((c = getopt_long(argc - 1, argv + 1, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'P':
			password = optarg;
			break;
		case 'j':
			ctx->json = true;
			break;
		case 'h':
			ata_usage(stdout);
			return CLI_EXIT_OK;
		default:
			return cli_usage_error("ata", "%s", _("bad option"));
		}
	}
	if (optind + 1 != argc - 1)
		return cli_usage_error("ata", _("%s needs exactly one DEVICE"), sub);
	if (strcmp(sub, "identify") == 0 && !password)
		return do_identify(ctx, argv[optind + 1]);
	if (strcmp(sub, "unlock") == 0)
		return do_unlock(ctx, argv[optind + 1], password);
	return cli_usage_error("ata", _("unknown subcommand '%s' (identify or unlock)"), sub);
}
