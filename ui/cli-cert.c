/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * custos cert list|show|pdf|print|verify: the certificates in the register
 * (<state-dir>/register.db, when there is one) and in the cert directory
 * (<state-dir>/certs unless --cert-dir), rendered as text or PDF, printed
 * through CUPS lp, and verified against the station key and the register.
 */
#include "cli.h"
#include "i18n.h"
#include "i18n-values.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cert.h"
#include "keyring.h"
#include "register.h"
#include "station.h"

struct cert_cli {
	struct cli_ctx *ctx;
	const char *cert_dir;	/* --cert-dir, or NULL for <state-dir>/certs */
	const char *media;	/* list --media REF */
	const char *output;	/* pdf -o FILE */
	const char *printer;	/* print --printer NAME */
	const char *pubkey;	/* verify --pubkey FILE */
	const char *qr;		/* verify --qr-text (--qr) PAYLOAD */
	const char *qr_image;	/* verify --qr-image SCAN.png */
	bool qr_failed;
	char *dir_buf;
	struct register_db *db;	/* the register, when the state dir has one */
	bool db_tried;
	int chain;		/* register chain: 0 unchecked, 1 intact, -1 broken */
	char chain_msg[320];
};

static void usage(FILE *out)
{
	fputs(_("Usage: custos cert list [--media REF]\n"
	      "       custos cert show REF\n"
	      "       custos cert pdf REF [-o FILE]\n"
	      "       custos cert print REF [--printer NAME]\n"
	      "       custos cert verify FILE|REF [--pubkey FILE] [--qr-text PAYLOAD|--qr-image PNG]\n"
	      "       custos cert verify --qr-text PAYLOAD|--qr-image PNG [--pubkey FILE]\n"
	      "\n"
	      "REF is a certificate id, a medium's register number, asset tag or serial\n"
	      "(its latest certificate), or a file.  Ids are looked up in the register,\n"
	      "then in the cert directory.\n"
	      "Options:\n"
	      "  --cert-dir DIR     certificate directory (default STATE-DIR/certs)\n"
	      "  --media REF        list only certificates whose medium has this serial,\n"
	      "                     register number or asset tag\n"
	      "  -o, --output FILE  where `pdf` writes (default ID.pdf here)\n"
	      "  --printer NAME     CUPS destination for `print` (default: the default one)\n"
	      "  --pubkey FILE      verify against this public key (PEM) instead of the\n"
	      "                     station's own\n"
	      "  --qr-text PAYLOAD  check the text scanned from a printed QR code: alone, its\n"
	      "                     signature and fields; with FILE, that it is FILE's (--qr)\n"
	      "  --qr-image PNG     the same, decoding the QR code from a scanned image\n"
	      "\n"
	      "verify exits 0 when every certificate in FILE is valid, a PDF's drawn page\n"
	      "shows the signed values and, when the state directory holds a register, it\n"
	      "matches it; 1 otherwise.  See custos-certificate(5).\n"), out);
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

/* The register, opened on first use; NULL when the state directory has
 * none (an auditor's machine) or it cannot be opened (warned). */
static struct register_db *reg(struct cert_cli *c)
{
	char *path, *cause = NULL;
	struct stat sb;
	int rc;

	if (c->db_tried)
		return c->db;
	c->db_tried = true;
	path = util_asprintf("%s/%s", c->ctx->state_dir, REGISTER_FILE);
	rc = path && stat(path, &sb) == 0 ? register_open(path, &c->db, &cause) : -ENOENT;
	if (rc < 0 && rc != -ENOENT)
		cli_warn(_("cert: register %s: %s"), path, cause ? cause : strerror(-rc));
	free(cause);
	free(path);
	return c->db;
}

/* A stored certificate's document. */
static int stored_doc(const struct register_cert *rc, json_t **doc, char **cause)
{
	json_error_t err;

	*doc = json_loads(rc->json, JSON_REJECT_DUPLICATES, &err);
	if (!*doc || !json_is_object(json_object_get(*doc, "certificate"))) {
		json_decref(*doc);
		*doc = NULL;
		return util_fail(cause, -EBADMSG, _("certificate %s in the register is not a "
				 "certificate document"), rc->id);
	}
	return 0;
}

/* REF in the register: a certificate id, else a medium (its latest
 * certificate).  -ENOENT when the register knows neither. */
static int register_ref(struct cert_cli *c, const char *ref, json_t **doc, char **cause)
{
	struct register_cert *certs = NULL, one;
	struct register_media m;
	size_t n = 0;
	int rc;

	if (!reg(c))
		return -ENOENT;
	rc = register_get_certificate(c->db, ref, &one, NULL);
	if (rc == 0) {
		rc = stored_doc(&one, doc, cause);
		register_cert_clear(&one);
		return rc;
	}
	/* id 0: another station's medium (the central register) */
	if (register_find_ref(c->db, ref, &m, NULL) < 0 || m.id <= 0)
		return -ENOENT;
	rc = register_list_certificates(c->db, m.id, &certs, &n, cause);
	if (rc == 0 && n == 0)
		rc = util_fail(cause, -ENOENT, _("medium %s has no certificate in the register"),
			       m.register_no);
	if (rc == 0)
		rc = stored_doc(&certs[n - 1], doc, cause);
	register_certs_free(certs, n);
	return rc;
}

/* The key that signed @doc, by its fingerprint, among every key this
 * station has had (its keyring), and only one its register's chain
 * introduced: keys/ is a directory, a key dropped into it proves nothing. */
static int doc_key(struct cert_cli *c, const json_t *doc, struct sign_key **key, char **cause)
{
	const char *fpr = json_string_value(json_object_get(json_object_get(doc, "signature"),
							    "key_fingerprint"));
	bool introduced = true;
	int rc;

	fpr = fpr ? fpr : "";
	rc = keyring_find(c->ctx->state_dir, fpr, key, NULL, cause);
	if (rc < 0 || !reg(c))
		return rc;
	rc = register_key_introduced(c->db, fpr, &introduced, cause);
	if (rc == 0 && !introduced)
		rc = util_fail(cause, -EKEYREJECTED, _("signed with key SHA256:%.16s..., "
			       "which is in keys/ but was never introduced by the "
			       "register (not its first key, no key-rotated event names "
			       "it)"), fpr);
	if (rc < 0) {
		sign_key_free(*key);
		*key = NULL;
	}
	return rc;
}

/* A stored certificate is shown or rendered only when its signature holds
 * (a register row or file edited behind custos' back is refused).  A file
 * named by path on a machine without a station cannot be checked here:
 * `cert verify FILE --pubkey PUB` does that. */
static int check_doc(struct cert_cli *c, const json_t *doc, bool by_path, char **cause)
{
	struct sign_key *key = NULL;
	char *why = NULL, *pub = util_asprintf("%s/station.pub", c->ctx->state_dir);
	bool station = pub && access(pub, F_OK) == 0;
	int rc;

	free(pub);
	if (by_path && !station)
		return 0;
	rc = doc_key(c, doc, &key, &why);
	if (rc == 0)
		rc = cert_verify_doc(doc, key, &why);
	sign_key_free(key);
	if (rc < 0)
		util_fail(cause, -EBADMSG, _("refusing certificate %s: INVALID: %s"),
			  cert_doc_id(doc) ? cert_doc_id(doc) : "?", why ? why : strerror(-rc));
	free(why);
	return rc < 0 ? -EBADMSG : 0;
}

/* REF -> a loaded document: a file, the register, the cert directory. */
static int load_ref(struct cert_cli *c, const char *what, const char *ref, json_t **doc)
{
	char *path = NULL, *cause = NULL;
	bool by_path = strchr(ref, '/') || access(ref, F_OK) == 0;
	int rc = -ENOENT;

	*doc = NULL;
	if (!by_path) {
		rc = register_ref(c, ref, doc, &cause);
		if (rc == 0)
			rc = check_doc(c, *doc, false, &cause);
		if (rc == 0 || rc != -ENOENT || cause)
			goto out;
	}
	rc = cert_find(cert_dir(c), ref, &path, &cause);
	if (rc == 0)
		rc = cert_load_file(path, doc, &cause);
	if (rc == 0)
		rc = check_doc(c, *doc, by_path, &cause);
	free(path);
out:
	if (rc && *doc) {
		json_decref(*doc);
		*doc = NULL;
	}
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

struct lister {
	json_t *arr;		/* --json */
	bool header;
	json_t *seen;		/* ids listed from the register */
	char media_no[16];	/* --media REF resolved in the register */
	int64_t media_id;	/* its row (0: not resolved) */
};

/* One row of the certificate list: cells padded by display columns (wide
 * characters count 2); ids, serials and register numbers are printed whole
 * even when longer than their column, the other cells are cut. */
static void print_list_row(const char *const cell[7])
{
	static const int cols[] = { 20, 13, 25, 20, 14, 10 };
	static const bool whole[] = { true, false, false, true, true, false };

	for (size_t i = 0; i < UTIL_ARRAY_SIZE(cols); i++) {
		int w = util_display_width(cell[i]);

		util_fput_width(stdout, cell[i], whole[i] && w > cols[i] ? w : cols[i]);
		putchar(' ');
	}
	cli_out("%s\n", cell[6]);
}

static void list_one(struct lister *l, const json_t *doc, const char *where)
{
	const char *outcome = field(doc, "sanitization", "outcome");
	const char *row[7];
	char when[UTIL_TIME_LEN];

	if (l->arr) {
		json_array_append_new(l->arr, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:b}",
			"id", field(doc, NULL, "id"), "kind", field(doc, NULL, "kind"),
			"issued", field(doc, NULL, "issued"),
			"serial", field(doc, "medium", "serial"),
			"register_no", field(doc, "medium", "register_no"), "outcome", outcome,
			"in_register", strcmp(where, "register") == 0));
		return;
	}
	if (!l->header) {
		const char *head[] = { _("ID"), _("KIND"), _("ISSUED"), _("SERIAL"),
				       _("REGISTER"), _("OUTCOME"), _("STORED") };

		print_list_row(head);
	}
	l->header = true;
	row[0] = field(doc, NULL, "id");
	row[1] = i18n_value_of(VALUE_CERT_KIND, field(doc, NULL, "kind"), NULL, 0);
	row[2] = util_time_local_text(field(doc, NULL, "issued"), when, sizeof(when));
	row[3] = field(doc, "medium", "serial");
	row[4] = field(doc, "medium", "register_no");
	row[5] = i18n_value_of(VALUE_OUTCOME, outcome, NULL, 0);
	/* TRANSLATORS: where a certificate is kept: "register" or "file" */
	row[6] = strcmp(where, "register") == 0 ? _("register") : _("file");
	print_list_row(row);
}

static bool wanted(const struct cert_cli *c, const struct lister *l, const json_t *doc)
{
	if (!c->media)
		return true;
	if (l->media_no[0] && strcmp(field(doc, "medium", "register_no"), l->media_no) == 0)
		return true;
	return media_match(doc, c->media);
}

/* The register's certificates first (they are the record). */
static int list_register(struct cert_cli *c, struct lister *l)
{
	struct register_cert *certs = NULL;
	struct register_media m;
	char *cause = NULL;
	size_t n = 0;
	int rc;

	if (!reg(c))
		return 0;
	if (c->media && register_find_ref(c->db, c->media, &m, NULL) == 0 && m.id > 0) {
		util_strlcpy(l->media_no, m.register_no, sizeof(l->media_no));
		l->media_id = m.id;
	}
	rc = register_list_certificates(c->db, 0, &certs, &n, &cause);
	if (rc < 0)
		return fail("list", cause, rc);
	for (size_t i = 0; i < n; i++) {
		json_t *doc = NULL;

		if (stored_doc(&certs[i], &doc, &cause) == 0) {
			json_object_set_new(l->seen, certs[i].id, json_true());
			/* by row too: a medium enrolled after its sanitization
			 * has certificates naming its earlier U- number */
			if (wanted(c, l, doc) ||
			    (l->media_id > 0 && certs[i].media_id == l->media_id))
				list_one(l, doc, "register");
		} else {
			cli_warn("%s", cause);
			free(cause);
			cause = NULL;
		}
		json_decref(doc);
	}
	register_certs_free(certs, n);
	return 0;
}

/* Then files in the cert directory the register does not hold. */
static int list_dir(struct cert_cli *c, struct lister *l)
{
	struct dirent **ents = NULL;
	int n = scandir(cert_dir(c), &ents, json_file, by_name);

	if (n < 0 && errno != ENOENT) {
		cli_error(_("cert list: %s: %s"), cert_dir(c), strerror(errno));
		return CLI_EXIT_FAIL;
	}
	for (int i = 0; i < n; i++) {
		char *path = util_asprintf("%s/%s", cert_dir(c), ents[i]->d_name), *cause = NULL;
		json_t *doc = NULL;

		if (path && cert_load_file(path, &doc, &cause) == 0 &&
		    !json_object_get(l->seen, field(doc, NULL, "id")) && wanted(c, l, doc))
			list_one(l, doc, "file");
		else if (cause)
			cli_warn("%s: %s", path, cause);
		json_decref(doc);
		free(cause);
		free(path);
		free(ents[i]);
	}
	free(ents);
	return 0;
}

static int cmd_list(struct cert_cli *c)
{
	struct lister l = { .arr = c->ctx->json ? json_array() : NULL, .seen = json_object() };
	int rc = l.seen ? list_register(c, &l) : CLI_EXIT_FAIL;

	if (rc == 0)
		rc = list_dir(c, &l);
	json_decref(l.seen);
	if (rc) {
		json_decref(l.arr);
		return rc;
	}
	return l.arr ? cli_print_json(l.arr) : CLI_EXIT_OK;
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
	cli_out("%s", text);	/* a certificate's text may come from anyone */
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
		cli_out("%s\n", out);
	free(out);
	return rc ? fail("pdf", cause, rc) : CLI_EXIT_OK;
}

/* ---- print ------------------------------------------------------------- */

static int print_file(struct cert_cli *c, const char *id, const char *file)
{
	char *cause = NULL;
	int rc = cert_print(c->printer, id, file, &cause);

	if (rc == 0) {
		cli_note(c->ctx, _("sent %s to %s"), id,
			 c->printer ? c->printer : _("the default printer"));
		return CLI_EXIT_OK;
	}
	if (rc == -ENOENT)
		cli_error(_("cert print: %s; use `custos cert pdf %s` and print the file "
			    "elsewhere"), cause ? cause : strerror(-rc), id);
	else
		cli_error("cert print: %s", cause ? cause : strerror(-rc));
	free(cause);
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
		cli_error(_("cert print: cannot create a temporary file: %s"), strerror(errno));
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

	*key = NULL;
	if (c->pubkey) {
		rc = sign_load_public(c->pubkey, key, &cause);
	} else {
		/* the station's keyring: each document's key by its fingerprint */
		rc = station_open(c->ctx->state_dir, &st, &cause);
		station_free(st);
	}
	return rc ? fail("verify", cause, rc) : CLI_EXIT_OK;
}

/* The PDF's drawn page (its values and QR code) against its signed
 * documents; their signatures are checked by verify_one. */
static bool verify_page(const char *data, size_t len, json_t *docs, const char *file)
{
	char *cause = NULL;
	int rc = cert_pdf_check_page(data, len, docs, &cause);

	if (rc)
		cli_error("cert verify: %s: INVALID: %s", file, cause ? cause : strerror(-rc));
	free(cause);
	return rc == 0;
}

static int load_docs(const char *file, json_t **docs, bool *pdf)
{
	char *data = NULL, *cause = NULL;
	size_t len = 0;
	json_error_t err;
	int rc = util_read_bounded(file, UTIL_DOCUMENT_MAX, &data, &len, &cause);
	bool page_ok = true;

	if (rc) {
		cli_error(_("cert verify: cannot read %s"), cause ? cause : strerror(-rc));
		free(cause);
		return CLI_EXIT_FAIL;
	}
	*pdf = len >= 5 && memcmp(data, "%PDF-", 5) == 0;
	if (*pdf) {
		rc = cert_pdf_extract(data, len, docs, &cause);
		/* the drawn page must show what is signed */
		page_ok = rc || verify_page(data, len, *docs, file);
	} else {
		*docs = json_pack("[o?]", json_loadb(data, len, JSON_REJECT_DUPLICATES, &err));
		if (!*docs || json_is_null(json_array_get(*docs, 0)))
			rc = util_fail(&cause, -EINVAL, _("not valid JSON (line %d: %s)"), err.line,
				       err.text);
	}
	free(data);
	if (rc) {
		json_decref(*docs);
		*docs = NULL;
		cli_error("cert verify: %s: INVALID: %s", file, cause ? cause : strerror(-rc));
	}
	free(cause);
	if (rc == 0 && !page_ok) {
		json_decref(*docs);
		*docs = NULL;
		return CLI_EXIT_FAIL;
	}
	return rc ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

/* The register's chain, checked once per run: 1 intact, -1 broken. */
static int chain_ok(struct cert_cli *c)
{
	struct register_verify_result v;
	char *cause = NULL;

	if (c->chain)
		return c->chain;
	c->chain = -1;
	if (register_verify(c->db, &v, &cause) < 0) {
		snprintf(c->chain_msg, sizeof(c->chain_msg), _("cannot check the register's hash "
			 "chain: %s"), cause ? cause : _("error"));
	} else if (!v.ok) {
		snprintf(c->chain_msg, sizeof(c->chain_msg), _("the register's hash chain is "
			 "broken: %s"), v.message);
	} else {
		snprintf(c->chain_msg, sizeof(c->chain_msg), _("hash chain of %lld events intact"),
			 (long long)v.events);
		c->chain = 1;
	}
	free(cause);
	return c->chain;
}

/* The sequence number of the event with @hash among @media_id's events
 * (0: the whole register); 0 when there is none. */
static int64_t find_event(struct cert_cli *c, int64_t media_id, const char *hash)
{
	struct register_event *ev = NULL;
	int64_t seq = 0;
	size_t n = 0;

	if (strlen(hash) != 64 || register_history(c->db, media_id, &ev, &n, NULL) < 0)
		return 0;
	for (size_t i = 0; i < n && !seq; i++)
		if (strcmp(ev[i].hash, hash) == 0)
			seq = ev[i].seq;
	register_events_free(ev, n);
	return seq;
}

enum reg_match { REG_MATCH, REG_NOT_RECORDED, REG_MISMATCH };

/* The stored copy is the same signed document as @doc. */
static bool same_content(const json_t *doc, const struct register_cert *row, char *msg,
			 size_t sz)
{
	char d1[65] = "", d2[65] = "";
	json_t *stored = NULL;
	bool same;

	if (stored_doc(row, &stored, NULL) < 0) {
		snprintf(msg, sz, _("the register's copy of %s is not a certificate"), row->id);
		return false;
	}
	same = cert_digest(doc, d1, NULL) == 0 && cert_digest(stored, d2, NULL) == 0 &&
	       strcmp(d1, d2) == 0 && json_equal(json_object_get(doc, "signature"),
						 json_object_get(stored, "signature"));
	if (!same)
		snprintf(msg, sz, _("the register holds different content for %s (content "
			 "SHA-256 %.16s... there, %.16s... here)"), row->id, d2, d1);
	json_decref(stored);
	return same;
}

/* The recorded row agrees with @doc: content, event, medium, chain. */
static enum reg_match check_row(struct cert_cli *c, const json_t *doc,
				const struct register_cert *row, char *msg, size_t sz)
{
	const char *eh = field(doc, NULL, "register_event_hash");
	struct register_media m;
	int64_t seq;

	if (!same_content(doc, row, msg, sz))
		return REG_MISMATCH;
	if (strcmp(row->event_hash, eh) != 0) {
		snprintf(msg, sz, _("the register links %s to event %.16s..., the certificate to "
			 "%.16s..."), row->id, row->event_hash, eh);
		return REG_MISMATCH;
	}
	if (row->media_id <= 0 || register_get(c->db, row->media_id, &m, NULL) < 0 ||
	    strcmp(m.register_no, field(doc, "medium", "register_no")) != 0) {
		snprintf(msg, sz, _("%s is not linked to medium %s in the register"), row->id,
			 field(doc, "medium", "register_no"));
		return REG_MISMATCH;
	}
	seq = find_event(c, m.id, eh);
	if (!seq) {
		snprintf(msg, sz, _("its event hash %.16s... is no event of %s"), eh, m.register_no);
		return REG_MISMATCH;
	}
	if (chain_ok(c) < 0) {
		snprintf(msg, sz, "%s", c->chain_msg);
		return REG_MISMATCH;
	}
	snprintf(msg, sz, _("matches (medium %s, event seq %lld; %s)"), m.register_no,
		 (long long)seq, c->chain_msg);
	return REG_MATCH;
}

static enum reg_match register_check(struct cert_cli *c, const json_t *doc, char *msg,
				     size_t sz)
{
	struct register_cert row;
	enum reg_match res;
	int64_t seq;

	if (register_get_certificate(c->db, field(doc, NULL, "id"), &row, NULL) == 0) {
		res = check_row(c, doc, &row, msg, sz);
		register_cert_clear(&row);
		return res;
	}
	seq = find_event(c, 0, field(doc, NULL, "register_event_hash"));
	if (seq) {
		snprintf(msg, sz, _("%s is not in the register, although the event it certifies "
			 "(seq %lld) is"), field(doc, NULL, "id"), (long long)seq);
		return REG_MISMATCH;
	}
	snprintf(msg, sz, "%s", _("not recorded in this register (no event of it here either)"));
	return REG_NOT_RECORDED;
}

static const char *const match_names[] = {
	[REG_MATCH] = "matches", [REG_NOT_RECORDED] = "not-recorded",
	[REG_MISMATCH] = "mismatch",
};

static bool verify_one(struct cert_cli *c, const char *file, const json_t *doc,
		       const struct sign_key *key, json_t *out)
{
	enum reg_match match = REG_NOT_RECORDED;
	char *cause = NULL, msg[512] = "";
	struct sign_key *own = NULL;
	int rc = key ? 0 : doc_key(c, doc, &own, &cause);
	bool checked;

	if (rc == 0)
		rc = cert_verify_doc(doc, key ? key : own, &cause);
	sign_key_free(own);
	checked = rc == 0 && reg(c);

	if (checked)
		match = register_check(c, doc, msg, sizeof(msg));
	if (out)
		json_array_append_new(out, json_pack("{s:s,s:b,s:s?,s:s?,s:s?}", "id",
			field(doc, NULL, "id"), "valid", rc == 0 && match != REG_MISMATCH,
			"error", rc ? cause : NULL,
			"register", checked ? match_names[match] : NULL,
			"register_detail", checked ? msg : NULL));
	else if (rc == 0 && strcmp(field(doc, NULL, "kind"), "destruction") == 0)
		cli_out(_("%s: valid: %s %s, medium %s serial %s, method %s\n"), file,
		       field(doc, NULL, "id"), field(doc, NULL, "title"),
		       field(doc, "medium", "register_no"), field(doc, "medium", "serial"),
		       i18n_value_of(VALUE_DESTROY, field(doc, "destruction", "method"), NULL, 0));
	else if (rc == 0)
		cli_out(_("%s: valid: %s %s (%s), medium serial %s, outcome %s\n"), file,
		       field(doc, NULL, "id"), field(doc, NULL, "title"),
		       i18n_value_of(VALUE_CERT_KIND, field(doc, NULL, "kind"), NULL, 0),
		       field(doc, "medium", "serial"),
		       i18n_value_of(VALUE_OUTCOME, field(doc, "sanitization", "outcome"), NULL, 0));
	if (rc)
		cli_error("cert verify: %s: %s: INVALID: %s", file, field(doc, NULL, "id"),
			  cause ? cause : strerror(-rc));
	else if (match == REG_MISMATCH)
		cli_error(_("cert verify: %s: %s: register: MISMATCH: %s"), file,
			  field(doc, NULL, "id"), msg);
	else if (checked && !out)
		cli_out(_("%s: register: %s\n"), file, msg);
	free(cause);
	return rc == 0 && match != REG_MISMATCH;
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

/* The QR payload of --qr-text, or decoded from --qr-image (malloc'd). */
static int qr_input(struct cert_cli *c, char **payload)
{
	char *cause = NULL;
	int rc;

	if (!c->qr_image) {
		*payload = strdup(c->qr);
		return *payload ? CLI_EXIT_OK : CLI_EXIT_FAIL;
	}
	rc = cert_qr_scan_png(c->qr_image, payload, &cause);
	if (rc) {
		cli_error("cert verify: %s: %s", c->qr_image, cause ? cause : strerror(-rc));
		free(cause);
		return CLI_EXIT_FAIL;
	}
	return CLI_EXIT_OK;
}

/* A scanned QR code checked with nothing but the key: its signed fields. */
static int verify_qr_alone(struct cert_cli *c, const struct sign_key *key, const char *qr)
{
	json_t *fields = NULL;
	char *cause = NULL;
	const char *k;
	json_t *v;
	int rc = cert_qr_verify(qr, key, &fields, &cause);

	if (c->ctx->json) {
		cli_print_json(json_pack("{s:b,s:s?,s:o?}", "valid", rc == 0, "error",
					 rc ? cause : NULL, "fields", fields));
		free(cause);
		return rc ? CLI_EXIT_FAIL : CLI_EXIT_OK;
	}
	if (rc) {
		cli_error("cert verify: QR code: INVALID: %s", cause ? cause : strerror(-rc));
		free(cause);
		return CLI_EXIT_FAIL;
	}
	printf(_("QR code: valid: signed by key %s; compare with the printed page:\n"),
	       json_string_value(json_object_get(fields, "key_id")));
	json_object_foreach(fields, k, v) {
		printf("  %-22s ", k);
		/* signed, but drive firmware strings may hold terminal controls */
		for (const char *p = json_string_value(v); *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				printf("\\x%02x", (unsigned char)*p);
			else
				putchar(*p);
		puts(*json_string_value(v) ? "" : "-");
	}
	json_decref(fields);
	return CLI_EXIT_OK;
}

/* REF that is not a file: a certificate id or medium in the register, or
 * <id>.json in the cert directory. */
static int load_ref_docs(struct cert_cli *c, const char *ref, json_t **docs)
{
	json_t *doc = NULL;
	int rc = load_ref(c, "verify", ref, &doc);

	if (rc)
		return rc;
	*docs = json_pack("[o]", doc);
	return *docs ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

static int cmd_verify(struct cert_cli *c, const char *file)
{
	struct sign_key *key = NULL;
	json_t *docs = NULL, *out = c->ctx->json ? json_array() : NULL;
	bool pdf = false, ok = true;
	char *qr = NULL;
	size_t i;
	int rc = load_pubkey(c, &key);

	if (rc == 0 && (c->qr || c->qr_image))
		rc = qr_input(c, &qr);
	if (rc == 0 && !file) {
		rc = verify_qr_alone(c, key, qr);
		free(qr);
		sign_key_free(key);
		json_decref(out);
		return rc;
	}
	if (rc == 0 && !strchr(file, '/') && access(file, F_OK) != 0)
		rc = load_ref_docs(c, file, &docs);
	else if (rc == 0)
		rc = load_docs(file, &docs, &pdf);
	if (rc) {
		free(qr);
		sign_key_free(key);
		json_decref(out);
		return rc;
	}
	if (qr && !qr_matches_any(qr, docs)) {
		cli_error(_("cert verify: %s: INVALID: the QR payload matches no certificate in it"),
			  file);
		ok = false;
		c->qr_failed = true;
	}
	for (i = 0; !c->qr_failed && i < json_array_size(docs); i++)
		ok = verify_one(c, file, json_array_get(docs, i), key, out) && ok;
	if (ok && pdf && !out)
		printf("%s\n", _("note: the drawn page shows the signed values; paper is checked "
				 "by scanning its QR code (--qr-text, --qr-image)"));
	if (out)
		cli_print_json(json_pack("{s:s,s:b,s:o}", "file", file, "valid", ok,
					 "certificates", out));
	json_decref(docs);
	free(qr);
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
		{ "qr-text",  required_argument, NULL, 'q' },
		{ "qr-image", required_argument, NULL, 'Q' },
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
		case 'Q': c->qr_image = optarg; break;
		case 'h': usage(stdout); return -1;
		default: return cli_usage_error("cert", "%s", _("unknown option"));
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
	if (strcmp(sub, "verify") == 0 && nargs == 0 && (c->qr || c->qr_image))
		return c->qr && c->qr_image ? cli_usage_error("cert", "%s", _("--qr-text or "
							      "--qr-image, not both")) : cmd_verify(c, NULL);
	if (!needs_one)
		return cli_usage_error("cert", _("unknown subcommand or extra arguments: %s"), sub);
	if (nargs != 1)
		return cli_usage_error("cert", _("%s takes exactly one REF or FILE"), sub);
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
	register_close(c.db);
	return rc < 0 ? CLI_EXIT_OK : rc;
}
