/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cli.h"

int cli_init(struct cli_ctx *ctx, int argc, char **argv)
{
	(void)ctx;
	(void)argc;
	(void)argv;
	cli_error("init: not available in this build yet");
	return CLI_EXIT_FAIL;
}

int cli_station(struct cli_ctx *ctx, int argc, char **argv)
{
	(void)ctx;
	(void)argc;
	(void)argv;
	cli_error("station: not available in this build yet");
	return CLI_EXIT_FAIL;
}

int cli_demo(struct cli_ctx *ctx, int argc, char **argv)
{
	(void)ctx;
	(void)argc;
	(void)argv;
	cli_error("demo: not available in this build yet");
	return CLI_EXIT_FAIL;
}

