/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cli.h"

int cli_tui(struct cli_ctx *ctx, int argc, char **argv)
{
	(void)ctx;
	(void)argc;
	(void)argv;
	cli_error("tui: not available in this build yet");
	return CLI_EXIT_FAIL;
}

