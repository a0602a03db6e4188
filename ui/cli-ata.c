/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cli.h"

int cli_ata(struct cli_ctx *ctx, int argc, char **argv)
{
	(void)ctx;
	(void)argc;
	(void)argv;
	cli_error("ata: not available in this build yet");
	return CLI_EXIT_FAIL;
}

