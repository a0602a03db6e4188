/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * custos devices [PATH...]: block devices and virtual media with their
 * identity and the safety facts that decide whether they may be wiped.
 */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "fw.h"
#include "i18n.h"

#define COL_PATH 16

static void devices_usage(FILE *out)
{
	fputs(_("Usage: custos devices [--json] [PATH...]\n"
	      "\n"
	      "Without PATH, lists every whole disk and the virtual media (*.img files)\n"
	      "in STATE-DIR/virtual; with PATHs, describes just those block devices or\n"
	      "image files.  A medium is eligible for wiping only when no safety reason\n"
	      "applies (mounted, swap, held, system disk, read-only, in use, no medium,\n"
	      "partition; for a file: not a virtual medium, placed by another user,\n"
	      "backing a loop device); otherwise every reason is listed.  A regular file\n"
	      "is a virtual medium only inside STATE-DIR/virtual or a directory named by\n"
	      "virtual_media_dirs in station.conf (see custos(8)).\n"
	      "\n"
	      "Options:\n"
	      "  -j, --json   print a JSON array of devices\n"
	      "  -h, --help   this help\n"
	      "\n"
	      "Exit status: 0 success, 1 a PATH could not be described, 2 usage error.\n"), out);
}

/* Copy @s into @out (@width columns), marking a cut with "..". */
static void fit(char *out, size_t len, const char *in, size_t width)
{
	char s[256];	/* model and serial strings come from hardware */
	size_t n = strlen(util_text_safe(in, false, s, sizeof(s)));

	if (width + 1 > len)
		width = len - 1;
	if (n <= width) {
		util_strlcpy(out, s, len);
		return;
	}
	util_strlcpy(out, s, width - 1);
	util_strlcpy(out + width - 2, "..", 3);
}

/* A safety reason's short word for the STATUS column, in the interface
 * language (the code itself, device_reason_name(), stays in --json). */
static const char *reason_word(enum device_reason r)
{
	switch (r) {
	case DEVICE_REASON_MOUNTED: return C_("device status", "mounted");
	case DEVICE_REASON_SWAP: return C_("device status", "swap");
	case DEVICE_REASON_HELD: return C_("device status", "held");
	case DEVICE_REASON_SYSTEM: return C_("device status", "system");
	case DEVICE_REASON_READONLY: return C_("device status", "read-only");
	case DEVICE_REASON_IN_USE: return C_("device status", "in-use");
	case DEVICE_REASON_NO_MEDIUM: return C_("device status", "no-medium");
	case DEVICE_REASON_BACKING: return C_("device status", "backing");
	case DEVICE_REASON_NOT_MEDIUM: return C_("device status", "outside");
	case DEVICE_REASON_UNSAFE: return C_("device status", "unsafe");
	case DEVICE_REASON_PARTITION: return C_("device status", "partition");
	}
	return device_reason_name(r);
}

static void status_text(const struct device_info *d, char *out, size_t len)
{
	enum device_reason first = DEVICE_REASON_MOUNTED;

	if (device_is_eligible(d)) {
		util_strlcpy(out, _("eligible"), len);
		return;
	}
	while (!(d->reasons & first))
		first <<= 1;
	if (d->n_reasons > 1)
		/* TRANSLATORS: not eligible, the first safety reason and how many more */
		snprintf(out, len, _("no:%s+%zu"), reason_word(first), d->n_reasons - 1);
	else
		/* TRANSLATORS: not eligible, for this safety reason */
		snprintf(out, len, _("no:%s"), reason_word(first));
}

/* Firmware capabilities of a real drive (read-only commands); false for
 * files, loop and virtual devices, or when the drive does not answer. */
static bool probe_firmware(const struct device_info *d, struct fw_caps *caps)
{
	if (d->transport == DEVICE_TRANSPORT_FILE || d->transport == DEVICE_TRANSPORT_VIRTUAL)
		return false;
	return fw_probe_as(d->path, device_media_kind(d), caps, NULL) == 0;
}

/* One continuation line: the firmware methods a drive offers, and hidden areas. */
static void print_firmware(const struct fw_caps *caps)
{
	char hidden[32];
	int any = 0;

	printf("    %s", _("firmware:"));
	for (int m = FW_ATA_SECURITY_ERASE; m < FW_PURGE; m++) {
		if (!(caps->methods & (1u << m)))
			continue;
		printf("%s%s", any++ ? ", " : " ", fw_method_name((enum fw_method)m));
	}
	if (!any)
		printf(" %s", _("no firmware erase"));
	if (caps->purge != FW_METHOD_NONE)
		printf(_("; purge = %s"), fw_method_name(caps->purge));
	if (caps->ata_valid && caps->ata.sec_frozen)
		printf("; %s", _("FROZEN"));
	if (caps->hidden.checked && !caps->hidden.known) {
		printf("; %s", _("hidden areas unknown"));
	} else if (caps->hidden.hidden_sectors) {
		util_format_size(caps->hidden.hidden_sectors * caps->hidden.sector_size, hidden,
				 sizeof(hidden));
		printf(_("; HIDDEN %s (HPA/DCO)"), hidden);
	}
	putchar('\n');
}

static void print_row(const struct device_info *d)
{
	struct fw_caps caps;
	char size[16], model[20], serial[16], path[COL_PATH + 1], status[64];
	const char *m = d->model[0] ? d->model : d->vendor;

	util_format_size(d->size_bytes, size, sizeof(size));
	fit(model, sizeof(model), m[0] ? m : "-", 17);
	fit(serial, sizeof(serial), d->serial[0] ? d->serial : "-", 13);
	status_text(d, status, sizeof(status));
	if (strlen(d->path) > COL_PATH) {
		cli_out("%s\n", d->path);
		path[0] = '\0';
	} else {
		util_text_safe(d->path, false, path, sizeof(path));
	}
	printf("%-16s %9s %-7s %-17s %-13s %s\n", path, size, device_transport_name(d->transport),
	       model, serial, status);
	for (size_t i = 0; i < d->n_reasons; i++)
		cli_out("    - %s\n", d->reason_text[i]);
	if (probe_firmware(d, &caps))
		print_firmware(&caps);
}

static json_t *device_json_with_firmware(const struct device_info *d)
{
	json_t *j = device_to_json(d);
	struct fw_caps caps;

	if (j && probe_firmware(d, &caps))
		json_object_set_new(j, "firmware", fw_caps_to_json(&caps));
	return j;
}

static void print_table(const struct device_info *devs, size_t n)
{
	/* columns as print_row() fills them; translated headings fitted to them */
	util_fput_width(stdout, _("PATH"), 17);
	printf("%*s%s ", util_display_width(_("SIZE")) < 9 ? 9 - util_display_width(_("SIZE")) : 0,
	       "", _("SIZE"));
	util_fput_width(stdout, _("BUS"), 8);
	util_fput_width(stdout, _("MODEL"), 18);
	util_fput_width(stdout, _("SERIAL"), 14);
	printf("%s\n", _("STATUS"));
	for (size_t i = 0; i < n; i++)
		print_row(&devs[i]);
	if (n == 0)
		printf("%s\n", _("(no block devices or virtual media found)"));
}

static int print_devices(const struct cli_ctx *ctx, const struct device_info *devs, size_t n)
{
	json_t *arr;

	if (!ctx->json) {
		print_table(devs, n);
		return CLI_EXIT_OK;
	}
	arr = json_array();
	for (size_t i = 0; arr && i < n; i++)
		if (json_array_append_new(arr, device_json_with_firmware(&devs[i])) < 0) {
			json_decref(arr);
			arr = NULL;
		}
	return cli_print_json(arr);
}

/* Describe each named PATH; failures are reported and the rest still shown. */
static int probe_paths(const struct cli_ctx *ctx, int n, char **paths)
{
	struct device_info *devs;
	size_t count = 0;
	int rc = CLI_EXIT_OK, prc;

	devs = calloc((size_t)n, sizeof(*devs));
	if (!devs) {
		cli_error("devices: %s", _("out of memory"));
		return CLI_EXIT_FAIL;
	}
	for (int i = 0; i < n; i++) {
		char *cause = NULL;
		int err = device_probe(paths[i], &devs[count], &cause);

		if (err < 0) {
			cli_error("devices: %s", cause ? cause : strerror(-err));
			free(cause);
			rc = CLI_EXIT_FAIL;
			continue;
		}
		count++;
	}
	/* Nothing could be described: the errors say why, stdout stays empty. */
	prc = count ? print_devices(ctx, devs, count) : CLI_EXIT_OK;
	device_list_free(devs, count);
	return prc != CLI_EXIT_OK ? prc : rc;
}

static int list_all(const struct cli_ctx *ctx)
{
	struct device_info *devs = NULL;
	char *vdir, *cause = NULL;
	size_t n = 0;
	int rc;

	vdir = util_asprintf("%s/virtual", ctx->state_dir);
	if (!vdir) {
		cli_error("devices: %s", _("out of memory"));
		return CLI_EXIT_FAIL;
	}
	rc = device_list(vdir, &devs, &n, &cause);
	free(vdir);
	if (rc < 0) {
		cli_error("devices: %s", cause ? cause : strerror(-rc));
		free(cause);
		return CLI_EXIT_FAIL;
	}
	rc = print_devices(ctx, devs, n);
	device_list_free(devs, n);
	return rc;
}

int cli_devices(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	while ((c = getopt_long(argc, argv, "+jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			ctx->json = true;
			break;
		case 'h':
			devices_usage(stdout);
			return CLI_EXIT_OK;
		default:
			return cli_usage_error("devices", "%s", _("unknown option"));
		}
	}
	if (optind < argc)
		return probe_paths(ctx, argc - optind, argv + optind);
	return list_all(ctx);
}
