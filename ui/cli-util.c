/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cli.h"
#include "i18n.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Diagnostics quote register data, file contents and device strings:
 * every control character (but the line breaks of the message) becomes
 * '?' before it reaches the terminal. */
static void vput_safe(const char *fmt, va_list ap)
{
	char *msg = util_vasprintf(fmt, ap), *safe = util_text_safe_dup(msg, true);

	fputs(safe ? safe : "(out of memory)", stderr);
	free(safe);
	free(msg);
}

static void vmsg(const char *prefix, const char *fmt, va_list ap)
{
	fprintf(stderr, "custos: %s", prefix);
	vput_safe(fmt, ap);
	fputc('\n', stderr);
}

void cli_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
}

void cli_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("warning: ", fmt, ap);
	va_end(ap);
}

void cli_note(const struct cli_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	(void)ctx;
	va_start(ap, fmt);
	vput_safe(fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "custos%s%s: ", cmd ? " " : "", cmd ? cmd : "");
	va_start(ap, fmt);
	vput_safe(fmt, ap);
	va_end(ap);
	fprintf(stderr, _("\nTry 'custos %s%s--help' for more information.\n"),
		cmd ? cmd : "", cmd ? " " : "");
	return CLI_EXIT_USAGE;
}

void cli_out(const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = util_vasprintf(fmt, ap);
	va_end(ap);
	if (!msg)
		return;
	fputs(util_text_safe(msg, true, msg, strlen(msg) + 1), stdout);
	free(msg);
}

int cli_check_text(const char *cmd, const char *option, const char *value, size_t size)
{
	char *cause = NULL;
	int rc;

	if (util_text_check(option, value, &cause) < 0) {
		rc = cli_usage_error(cmd, _("%s (text must be UTF-8 without control characters)"),
				     cause ? cause : option);
		free(cause);
		return rc;
	}
	if (value && size && strlen(value) >= size)
		return cli_usage_error(cmd, _("%s: longer than %zu bytes"), option, size - 1);
	return CLI_EXIT_OK;
}

int cli_print_json(json_t *j)
{
	int rc;

	if (!j) {
		cli_error(_("out of memory while building JSON output"));
		return CLI_EXIT_FAIL;
	}
	rc = json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(j);
	if (rc == 0)
		rc = fputc('\n', stdout) == EOF ? -1 : 0;
	if (rc == 0 && fflush(stdout) == 0)
		return CLI_EXIT_OK;
	cli_error(_("cannot write JSON to standard output"));
	return CLI_EXIT_FAIL;
}

bool cli_confirm_typed(const struct cli_ctx *ctx, const char *what, const char *expect)
{
	char line[256];
	FILE *tty;
	bool ok = false;

	if (!isatty(STDIN_FILENO)) {
		cli_error(_("%s: no terminal to confirm on; use --yes to confirm in advance"), what);
		return false;
	}
	tty = stderr;
	fprintf(tty, _("%s\nType '%s' to confirm, anything else cancels: "), what, expect);
	fflush(tty);
	if (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\r\n")] = '\0';
		ok = strcmp(util_strstrip(line), expect) == 0;
	}
	if (!ok)
		fprintf(tty, _("Not confirmed; nothing was written.\n"));
	(void)ctx;
	return ok;
}
