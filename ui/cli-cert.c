/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * custos cert list|show|pdf|print|verify: the certificates in the cert
 * directory (<state-dir>/certs unless --cert-dir), rendered as text or PDF,
 * printed through CUPS lp, and verified against the station key.
 */
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cert.h"
#include "station.h"

struct cert_cli {
	struct cli_ctx *ctx;
	const char *cert_dir;	/* --cert-dir, or NULL for <state-dir>/certs */
	const char *media;	/* list --media REF */
	const char *output;	/* pdf -o FILE */
	const char *printer;	/* print --printer NAME */
	const char *pubkey;	/* verify --pubkey FILE */
	const char *qr;		/* verify --qr PAYLOAD */
	bool qr_failed;
	char *dir_buf;
};

static void usage(FILE *out)
{
	fputs("Usage: custos cert list [--media REF]\n"
	      "       custos cert show REF\n"
	      "       custos cert pdf REF [-o FILE]\n"
	      "       custos cert print REF [--printer NAME]\n"
	      "       custos cert verify FILE [--pubkey FILE] [--qr PAYLOAD]\n"
	      "\n"
	      "REF is a certificate id (looked up in the cert directory) or a file.\n"
	      "Options:\n"
	      "  --cert-dir DIR     certificate directory (default STATE-DIR/certs)\n"
	      "  --media REF        list only certificates whose medium has this serial,\n"
	      "                     register number or asset tag\n"
	      "  -o, --output FILE  where `pdf` writes (default ID.pdf here)\n"
	      "  --printer NAME     CUPS destination for `print` (default: the default one)\n"
	      "  --pubkey FILE      verify against this public key (PEM) instead of the\n"
	      "                     station's own\n"
	      "  --qr PAYLOAD       also check a payload scanned from the printed QR code\n"
	      "\n"
	      "verify exits 0 when every certificate in FILE is valid, 1 otherwise.\n", out);
}

static const char *cert_dir(struct cert_cli *c)
{
	if (c->cert_dir)
		return c->cert_dir;
	if (!c->dir_buf)
		c->dir_buf = util_asprintf("%s/certs", c->ctx->state_dir);
	return c->dir_buf ? c->dir_buf : ".";
}

static int fail(const char *what, char *cause, int rc)
{
	cli_error("cert %s: %s", what, cause ? cause : strerror(-rc));
	free(cause);
	return CLI_EXIT_FAIL;
}

/* REF -> a loaded document.
 * TODO(register): once the register module offers register_get_certificate(),
 * resolve REF (certificate id, medium register number or serial) there first,
 * and fall back to the cert directory. */
static int load_ref(struct cert_cli *c, const char *what, const char *ref, json_t **doc)
{
	char *path = NULL, *cause = NULL;
	int rc = cert_find(cert_dir(c), ref, &path, &cause);

	if (rc == 0)
		rc = cert_load_file(path, doc, &cause);
	free(path);
	return rc ? fail(what, cause, rc) : CLI_EXIT_OK;
}

/* ---- list -------------------------------------------------------------- */

static const char *field(const json_t *doc, const char *obj, const char *key)
{
	const json_t *cert = json_object_get(doc, "certificate");
	const json_t *o = obj ? json_object_get(cert, obj) : cert;
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "-";
}

static bool media_match(const json_t *doc, const char *ref)
{
	static const char *const keys[] = { "serial", "register_no", "asset_tag" };

	for (size_t i = 0; i < UTIL_ARRAY_SIZE(keys); i++)
		if (strcmp(field(doc, "medium", keys[i]), ref) == 0)
			return true;
	return false;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int json_file(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return d->d_name[0] != '.' && n > 5 && strcmp(d->d_name + n - 5, ".json") == 0;
}

static void list_one(const json_t *doc, json_t *arr, bool *header)
{
	const char *outcome = field(doc, "sanitization", "outcome");

	if (arr) {
		json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}",
			"id", field(doc, NULL, "id"), "kind", field(doc, NULL, "kind"),
			"issued", field(doc, NULL, "issued"),
			"serial", field(doc, "medium", "serial"),
			"register_no", field(doc, "medium", "register_no"), "outcome", outcome));
		return;
	}
	if (!*header)
		printf("%-20s %-13s %-21s %-20s %-14s %s\n", "ID", "KIND", "ISSUED", "SERIAL",
		       "REGISTER", "OUTCOME");
	*header = true;
	printf("%-20s %-13s %-21s %-20s %-14s %s\n", field(doc, NULL, "id"),
	       field(doc, NULL, "kind"), field(doc, NULL, "issued"),
	       field(doc, "medium", "serial"), field(doc, "medium", "register_no"), outcome);
}

static int cmd_list(struct cert_cli *c)
{
	struct dirent **ents = NULL;
	json_t *arr = c->ctx->json ? json_array() : NULL;
	int n = scandir(cert_dir(c), &ents, json_file, by_name);
	bool header = false;

	if (n < 0 && errno != ENOENT) {
		cli_error("cert list: %s: %s", cert_dir(c), strerror(errno));
		json_decref(arr);
		return CLI_EXIT_FAIL;
	}
	for (int i = 0; i < n; i++) {
		char *path = util_asprintf("%s/%s", cert_dir(c), ents[i]->d_name), *cause = NULL;
		json_t *doc = NULL;

		if (path && cert_load_file(path, &doc, &cause) == 0 &&
		    (!c->media || media_match(doc, c->media)))
			list_one(doc, arr, &header);
		else if (cause)
			cli_warn("%s: %s", path, cause);
		json_decref(doc);
		free(cause);
		free(path);
		free(ents[i]);
	}
	free(ents);
	return arr ? cli_print_json(arr) : CLI_EXIT_OK;
}

/* ---- show, pdf --------------------------------------------------------- */

static int cmd_show(struct cert_cli *c, const char *ref)
{
	char *text = NULL, *cause = NULL;
	json_t *doc;
	int rc = load_ref(c, "show", ref, &doc);

	if (rc)
		return rc;
	if (c->ctx->json)
		return cli_print_json(doc);
	rc = cert_text(doc, &text, &cause);
	json_decref(doc);
	if (rc)
		return fail("show", cause, rc);
	fputs(text, stdout);
	free(text);
	return CLI_EXIT_OK;
}

static int cmd_pdf(struct cert_cli *c, const char *ref)
{
	char *out = NULL, *cause = NULL;
	json_t *doc;
	int rc = load_ref(c, "pdf", ref, &doc);

	if (rc)
		return rc;
	out = c->output ? strdup(c->output) : util_asprintf("%s.pdf", field(doc, NULL, "id"));
	rc = out ? cert_pdf_write(doc, out, &cause) : -ENOMEM;
	json_decref(doc);
	if (rc == 0)
		printf("%s\n", out);
	free(out);
	return rc ? fail("pdf", cause, rc) : CLI_EXIT_OK;
}

/* ---- print ------------------------------------------------------------- */

/* Run lp without a shell; returns its exit status, 127 when it is missing. */
static int run_lp(const char *printer, const char *title, const char *file)
{
	const char *argv[8];
	int n = 0, status;
	pid_t pid;

	argv[n++] = "lp";
	if (printer) {
		argv[n++] = "-d";
		argv[n++] = printer;
	}
	argv[n++] = "-t";
	argv[n++] = title;
	argv[n++] = "--";
	argv[n++] = file;
	argv[n] = NULL;
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		execvp("lp", (char *const *)argv);
		_exit(errno == ENOENT ? 127 : 126);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int print_file(struct cert_cli *c, const char *id, const char *file)
{
	int rc = run_lp(c->printer, id, file);

	if (rc == 0) {
		cli_note(c->ctx, "sent %s to %s", id,
			 c->printer ? c->printer : "the default printer");
		return CLI_EXIT_OK;
	}
	if (rc == 127)
		cli_error("cert print: the CUPS client `lp` is not installed (Debian: "
			  "cups-client); use `custos cert pdf %s` and print the file elsewhere",
			  id);
	else if (rc < 0)
		cli_error("cert print: cannot run lp: %s", strerror(-rc));
	else
		cli_error("cert print: lp failed (exit %d): is the CUPS scheduler running and a "
			  "printer%s%s configured?", rc, c->printer ? " " : "",
			  c->printer ? c->printer : "");
	return CLI_EXIT_FAIL;
}

static int cmd_print(struct cert_cli *c, const char *ref)
{
	char tmp[] = "/tmp/custos-cert-XXXXXX.pdf", *cause = NULL;
	json_t *doc;
	int fd, rc = load_ref(c, "print", ref, &doc);

	if (rc)
		return rc;
	fd = mkstemps(tmp, 4);
	if (fd < 0 || util_close(fd) < 0) {
		json_decref(doc);
		cli_error("cert print: cannot create a temporary file: %s", strerror(errno));
		return CLI_EXIT_FAIL;
	}
	rc = cert_pdf_write(doc, tmp, &cause);
	if (rc == 0)
		rc = print_file(c, field(doc, NULL, "id"), tmp);
	else
		rc = fail("print", cause, rc);
	unlink(tmp);
	json_decref(doc);
	return rc;
}

/* ---- verify ------------------------------------------------------------ */

static int load_pubkey(struct cert_cli *c, struct sign_key **key)
{
	struct station *st = NULL;
	char *cause = NULL;
	int rc;

	if (c->pubkey) {
		rc = sign_load_public(c->pubkey, key, &cause);
	} else {
		rc = station_open(c->ctx->state_dir, &st, &cause);
		if (rc == 0)
			rc = station_load_public_key(st, key, &cause);
		station_free(st);
	}
	return rc ? fail("verify", cause, rc) : CLI_EXIT_OK;
}

static int load_docs(const char *file, json_t **docs, bool *pdf)
{
	char *data = NULL, *cause = NULL;
	size_t len = 0;
	json_error_t err;
	int rc = util_read_file(file, &data, &len);

	if (rc) {
		cli_error("cert verify: cannot read %s: %s", file, strerror(-rc));
		return CLI_EXIT_FAIL;
	}
	*pdf = len >= 5 && memcmp(data, "%PDF-", 5) == 0;
	if (*pdf) {
		rc = cert_pdf_extract(data, len, docs, &cause);
	} else {
		*docs = json_pack("[o?]", json_loadb(data, len, JSON_REJECT_DUPLICATES, &err));
		if (!*docs || json_is_null(json_array_get(*docs, 0)))
			rc = util_fail(&cause, -EINVAL, "not valid JSON (line %d: %s)", err.line,
				       err.text);
	}
	free(data);
	if (rc) {
		json_decref(*docs);
		*docs = NULL;
		cli_error("cert verify: %s: INVALID: %s", file, cause ? cause : strerror(-rc));
	}
	free(cause);
	return rc ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

/* TODO(register): when a register is present, also check that each
 * certificate is recorded there with the same digest (register_get_certificate). */
static bool verify_one(struct cert_cli *c, const char *file, const json_t *doc,
		       const struct sign_key *key, json_t *out)
{
	char *cause = NULL;
	int rc = cert_verify_doc(doc, key, &cause);

	if (out)
		json_array_append_new(out, json_pack("{s:s,s:b,s:s?}", "id",
			field(doc, NULL, "id"), "valid", rc == 0, "error", rc ? cause : NULL));
	else if (rc == 0)
		printf("%s: valid: %s %s (%s), medium serial %s, outcome %s\n", file,
		       field(doc, NULL, "id"), field(doc, NULL, "title"), field(doc, NULL, "kind"),
		       field(doc, "medium", "serial"), field(doc, "sanitization", "outcome"));
	if (rc)
		cli_error("cert verify: %s: %s: INVALID: %s", file, field(doc, NULL, "id"),
			  cause ? cause : strerror(-rc));
	free(cause);
	return rc == 0;
}

static bool qr_matches_any(const char *qr, json_t *docs)
{
	size_t i;
	json_t *d;

	json_array_foreach(docs, i, d)
		if (cert_qr_check(d, qr, NULL) == 0)
			return true;
	return false;
}

static int cmd_verify(struct cert_cli *c, const char *file)
{
	struct sign_key *key = NULL;
	json_t *docs = NULL, *out = c->ctx->json ? json_array() : NULL;
	bool pdf = false, ok = true;
	size_t i;
	int rc = load_pubkey(c, &key);

	if (rc == 0)
		rc = load_docs(file, &docs, &pdf);
	if (rc) {
		sign_key_free(key);
		json_decref(out);
		return rc;
	}
	if (c->qr && !qr_matches_any(c->qr, docs)) {
		cli_error("cert verify: %s: INVALID: the QR payload matches no certificate in it",
			  file);
		ok = false;
		c->qr_failed = true;
	}
	for (i = 0; !c->qr_failed && i < json_array_size(docs); i++)
		ok = verify_one(c, file, json_array_get(docs, i), key, out) && ok;
	if (ok && pdf && !out)
		printf("note: this checks the certificate embedded in the PDF; the printed page is "
		       "checked by scanning its QR code (--qr)\n");
	if (out)
		cli_print_json(json_pack("{s:s,s:b,s:o}", "file", file, "valid", ok,
					 "certificates", out));
	json_decref(docs);
	sign_key_free(key);
	return ok ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

/* ---- dispatch ---------------------------------------------------------- */

static int parse(struct cert_cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "cert-dir", required_argument, NULL, 'D' },
		{ "media",    required_argument, NULL, 'm' },
		{ "output",   required_argument, NULL, 'o' },
		{ "printer",  required_argument, NULL, 'P' },
		{ "pubkey",   required_argument, NULL, 'k' },
		{ "qr",       required_argument, NULL, 'q' },
		{ "help",     no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'D': c->cert_dir = optarg; break;
		case 'm': c->media = optarg; break;
		case 'o': c->output = optarg; break;
		case 'P': c->printer = optarg; break;
		case 'k': c->pubkey = optarg; break;
		case 'q': c->qr = optarg; break;
		case 'h': usage(stdout); return -1;
		default: return cli_usage_error("cert", "unknown option");
		}
	}
	return 0;
}

static int dispatch(struct cert_cli *c, const char *sub, int nargs, char **args)
{
	static const char *const one_arg[] = { "show", "pdf", "print", "verify" };
	bool needs_one = false;

	for (size_t i = 0; i < UTIL_ARRAY_SIZE(one_arg); i++)
		needs_one = needs_one || strcmp(sub, one_arg[i]) == 0;
	if (strcmp(sub, "list") == 0 && nargs == 0)
		return cmd_list(c);
	if (!needs_one)
		return cli_usage_error("cert", "unknown subcommand or extra arguments: %s", sub);
	if (nargs != 1)
		return cli_usage_error("cert", "%s takes exactly one REF or FILE", sub);
	if (strcmp(sub, "show") == 0)
		return cmd_show(c, args[0]);
	if (strcmp(sub, "pdf") == 0)
		return cmd_pdf(c, args[0]);
	if (strcmp(sub, "print") == 0)
		return cmd_print(c, args[0]);
	return cmd_verify(c, args[0]);
}

int cli_cert(struct cli_ctx *ctx, int argc, char **argv)
{
	struct cert_cli c = { .ctx = ctx };
	int rc;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
	}
	rc = parse(&c, argc - 1, argv + 1);
	if (rc == 0)
		rc = dispatch(&c, argv[1], argc - 1 - optind, argv + 1 + optind);
	free(c.dir_buf);
	return rc < 0 ? CLI_EXIT_OK : rc;
}
