/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * custos verify DEVICE --expect zero|one|0xNN [--max N] [--json]
 *
 * Reads the whole medium (O_DIRECT where it can; otherwise after flushing
 * and dropping its cache) and reports whether it holds only that byte.
 */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "blkio.h"
#include "i18n.h"
#include "profile.h"
#include "wipe.h"

static void usage(void)
{
	fputs(_("Usage: custos verify DEVICE --expect zero|one|0xNN [--max N] [--json]\n"
		"\n"
		"Reads every byte of DEVICE, bypassing the cache, and checks that it holds\n"
		"only the expected byte.  Mismatching ranges are listed (the first N,\n"
		"default 10) with their byte offsets.  Exit status 0: clean; 1: a mismatch\n"
		"or read error; 2: bad usage.\n"), stdout);
}

static int parse_expect(const char *s, uint8_t *out)
{
	uint64_t v;

	if (strcmp(s, "zero") == 0 || strcmp(s, "one") == 0) {
		*out = s[0] == 'z' ? 0x00 : 0xff;
		return 0;
	}
	if (strncmp(s, "0x", 2) != 0 || util_parse_u64(s, &v, 0) < 0 || v > 0xff)
		return -EINVAL;
	*out = (uint8_t)v;
	return 0;
}

static void print_text(const struct wipe_result *r, uint8_t byte, size_t max)
{
	size_t show = r->n_bad < max ? r->n_bad : max;
	char size[32];

	util_format_size(r->bytes_verified, size, sizeof(size));
	if (r->outcome == WIPE_OUTCOME_ERASED && !r->n_bad) {
		printf(_("%s: clean: every byte is 0x%02x (%llu bytes read, read path %s)\n"),
		       r->device, byte, (unsigned long long)r->size, r->read_path);
		return;
	}
	printf(_("%s: MISMATCH: %llu bytes differ from 0x%02x in %zu ranges; first at offset "
		 "%llu (read path %s)\n"), r->device, (unsigned long long)r->mismatch_bytes, byte,
	       r->n_bad + r->bad_dropped, (unsigned long long)(r->first_mismatch == UINT64_MAX ?
							     0 : r->first_mismatch), r->read_path);
	for (size_t i = 0; i < show; i++)
		printf(_("  %s: offset %llu length %llu\n"), wipe_range_kind_name(r->bad[i].kind),
		       (unsigned long long)r->bad[i].offset, (unsigned long long)r->bad[i].length);
	if (r->n_bad + r->bad_dropped > show)
		printf(_("  ... %zu more\n"), r->n_bad + r->bad_dropped - show);
	if (r->cause[0])
		printf("  %s\n", r->cause);
}

static json_t *result_json(const struct wipe_result *r, uint8_t byte, size_t max)
{
	json_t *ranges = json_array();
	char hex[8];
	bool clean = r->outcome == WIPE_OUTCOME_ERASED && !r->n_bad;

	for (size_t i = 0; i < r->n_bad && i < max; i++)
		json_array_append_new(ranges, json_pack("{s:s, s:I, s:I}", "kind",
			wipe_range_kind_name(r->bad[i].kind), "offset", (json_int_t)r->bad[i].offset,
			"length", (json_int_t)r->bad[i].length));
	snprintf(hex, sizeof(hex), "0x%02x", byte);
	return json_pack("{s:s, s:s, s:b, s:I, s:I, s:I, s:I, s:o, s:s}", "device", r->device,
			 "expect", hex, "clean", clean, "bytes_read", (json_int_t)r->size,
			 "mismatch_bytes", (json_int_t)r->mismatch_bytes,
			 "mismatch_ranges", (json_int_t)(r->n_bad + r->bad_dropped),
			 "first_mismatch", (json_int_t)(r->first_mismatch == UINT64_MAX ? -1 :
							 (json_int_t)r->first_mismatch),
			 "ranges", ranges, "read_path", r->read_path);
}

static int check(const struct cli_ctx *ctx, const char *path, uint8_t byte, size_t max)
{
	struct profile p = { .name = "verify", .method = PROFILE_METHOD_OVERWRITE, .n_passes = 1 };
	struct wipe_params wp = { .profile = &p, .verify_only = true };
	struct wipe_result res;
	struct blkio io;
	char *cause = NULL;
	int rc;

	p.passes[0] = (struct profile_pass){ .kind = PROFILE_PASS_PATTERN, .pattern = { byte },
					     .pattern_len = 1 };
	if (blkio_open(&io, path, 0, NULL, &cause) < 0) {
		cli_error("%s", cause);
		free(cause);
		return CLI_EXIT_FAIL;
	}
	wp.io = &io;
	rc = wipe_run(&wp, &res, &cause);
	blkio_close(&io);
	if (rc < 0) {
		cli_error("%s", cause ? cause : _("verification failed"));
		free(cause);
		return CLI_EXIT_FAIL;
	}
	rc = res.outcome == WIPE_OUTCOME_ERASED && !res.n_bad ? CLI_EXIT_OK : CLI_EXIT_FAIL;
	if (ctx->json) {
		if (cli_print_json(result_json(&res, byte, max)) != CLI_EXIT_OK)
			rc = CLI_EXIT_FAIL;
	} else {
		print_text(&res, byte, max);
	}
	wipe_result_clear(&res);
	return rc;
}

int cli_verify(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "expect", required_argument, NULL, 'e' },
		{ "max", required_argument, NULL, 'm' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *expect = NULL;
	uint64_t max = 10;
	uint8_t byte;
	int c;

	while ((c = getopt_long(argc, argv, "e:m:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'e': expect = optarg; break;
		case 'm':
			if (util_parse_u64(optarg, &max, 0) < 0)
				return cli_usage_error("verify", "%s", _("bad --max"));
			break;
		case 'j': ctx->json = true; break;
		case 'h': usage(); return CLI_EXIT_OK;
		default: return cli_usage_error("verify", "%s", _("bad option"));
		}
	}
	if (!expect || parse_expect(expect, &byte) < 0)
		return cli_usage_error("verify", "%s",
				       _("--expect zero, one or 0xNN is required"));
	if (optind + 1 != argc)
		return cli_usage_error("verify", "%s", _("name exactly one device"));
	return check(ctx, argv[optind], byte, (size_t)max);
}
