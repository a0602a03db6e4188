/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cli.h"

int cli_enroll(struct cli_ctx *ctx, int argc, char **argv)
{
	(void)ctx;
	(void)argc;
	(void)argv;
	cli_error("enroll: not available in this build yet");
	return CLI_EXIT_FAIL;
}

int cli_issue(struct cli_ctx *ctx, int argc, char **argv)
{
	(void)ctx;
	(void)argc;
	(void)argv;
	cli_error("issue: not available in this build yet");
	return CLI_EXIT_FAIL;
}

int cli_return(struct cli_ctx *ctx, int argc, char **argv)
{
	(void)ctx;
	(void)argc;
	(void)argv;
	cli_error("return: not available in this build yet");
	return CLI_EXIT_FAIL;
}

int cli_reclassify(struct cli_ctx *ctx, int argc, char **argv)
{
	(void)ctx;
	(void)argc;
	(void)argv;
	cli_error("reclassify: not available in this build yet");
	return CLI_EXIT_FAIL;
}

int cli_repair(struct cli_ctx *ctx, int argc, char **argv)
{
	(void)ctx;
	(void)argc;
	(void)argv;
	cli_error("repair: not available in this build yet");
	return CLI_EXIT_FAIL;
}

int cli_destroy(struct cli_ctx *ctx, int argc, char **argv)
{
	(void)ctx;
	(void)argc;
	(void)argv;
	cli_error("destroy: not available in this build yet");
	return CLI_EXIT_FAIL;
}

int cli_lost(struct cli_ctx *ctx, int argc, char **argv)
{
	(void)ctx;
	(void)argc;
	(void)argv;
	cli_error("lost: not available in this build yet");
	return CLI_EXIT_FAIL;
}

int cli_register(struct cli_ctx *ctx, int argc, char **argv)
{
	(void)ctx;
	(void)argc;
	(void)argv;
	cli_error("register: not available in this build yet");
	return CLI_EXIT_FAIL;
}

