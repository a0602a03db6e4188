/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * certpdf-embed: the signed documents inside a PDF.  cairo cannot attach
 * files or write XMP, so certpdf_attach() appends an incremental update to
 * what cairo wrote; cert_pdf_extract() finds the documents again (the
 * attachments through poppler, the Keywords copy in the bytes).
 */
#include "cert.h"
#include "certpdf-private.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <poppler.h>

#include <openssl/evp.h>

#include "util.h"

static const char *jstr_or(const json_t *o, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s && *s ? s : dflt;
}

/* ---- attachment and XMP: an incremental update after cairo's PDF -------- */

/*
 * cairo cannot attach files or write XMP, so render() appends an
 * incremental update (ISO 32000-1, 7.5.6) to what cairo wrote: each signed
 * document as an embedded file (an EmbeddedFiles name tree in the catalog
 * and an /AF entry, as PDF/A-3 does), an XMP metadata stream naming the
 * documents, a new catalog and a cross-reference section for them.
 */

/* The number after the last @key in @data (e.g. "startxref"); -1: none. */
static long long last_number_after(const char *data, size_t len, const char *key)
{
	size_t k = strlen(key);
	long long v = -1;

	for (size_t i = len >= k ? len - k + 1 : 0; i-- > 0;) {
		if (memcmp(data + i, key, k) == 0) {
			char buf[32];
			size_t j = i + k, m = 0;

			while (j < len && (data[j] == ' ' || data[j] == '\r' || data[j] == '\n'))
				j++;
			while (j < len && m + 1 < sizeof(buf) && isdigit((unsigned char)data[j]))
				buf[m++] = data[j++];
			buf[m] = '\0';
			if (m)
				v = atoll(buf);
			break;
		}
	}
	return v;
}

/* The dictionary text of object @num ("<< ... >>" without the closing
 * ">>"), malloc'd; NULL when not found in cairo's simple layout. */
static char *object_dict(const char *data, size_t len, long long num)
{
	char head[32];
	size_t h = (size_t)snprintf(head, sizeof(head), "\n%lld 0 obj", num);

	for (size_t i = 0; i + h < len; i++) {
		if (memcmp(data + i, head, h) == 0) {
			const char *start = data + i + h, *end;
			size_t rest = len - i - h;

			end = memmem(start, rest, "endobj", 6);
			while (end && end > start && end[-1] != '>')
				end--;
			if (!end || end - start < 2 || end[-2] != '>')
				return NULL;
			return strndup(start, (size_t)(end - 2 - start));
		}
	}
	return NULL;
}

static void xml_put(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '&')
			fputs("&amp;", f);
		else if (*s == '<')
			fputs("&lt;", f);
		else if (*s == '>')
			fputs("&gt;", f);
		else if (*s == '"')
			fputs("&quot;", f);
		else
			fputc(*s, f);
	}
}

static char *xmp_packet(json_t *const *docs, size_t n, size_t *len)
{
	const json_t *cert = json_object_get(docs[0], "certificate");
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (!f)
		return NULL;
	fputs("<?xpacket begin=\"\xef\xbb\xbf\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n"
	      "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n"
	      " <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n"
	      "  <rdf:Description rdf:about=\"\"\n"
	      "    xmlns:dc=\"http://purl.org/dc/elements/1.1/\"\n"
	      "    xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\"\n"
	      "    xmlns:pdf=\"http://ns.adobe.com/pdf/1.3/\"\n"
	      "    xmlns:custos=\"" CERT_XMP_NS "\">\n", f);
	fputs("   <dc:format>application/pdf</dc:format>\n   <dc:identifier>", f);
	xml_put(f, jstr_or(cert, "id", ""));
	fputs("</dc:identifier>\n   <dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">", f);
	xml_put(f, jstr_or(cert, "id", ""));
	fputc(' ', f);
	xml_put(f, jstr_or(cert, "title", ""));
	fputs("</rdf:li></rdf:Alt></dc:title>\n   <dc:creator><rdf:Seq><rdf:li>", f);
	xml_put(f, jstr_or(json_object_get(cert, "station"), "organisation", ""));
	fputs("</rdf:li></rdf:Seq></dc:creator>\n   <xmp:CreateDate>", f);
	xml_put(f, jstr_or(cert, "issued", ""));
	fputs("</xmp:CreateDate>\n   <xmp:CreatorTool>" PACKAGE_NAME " " PACKAGE_VERSION
	      "</xmp:CreatorTool>\n   <custos:documents><rdf:Seq>\n", f);
	for (size_t i = 0; i < n; i++) {
		const json_t *c = json_object_get(docs[i], "certificate");

		fputs("    <rdf:li rdf:parseType=\"Resource\"><custos:id>", f);
		xml_put(f, jstr_or(c, "id", ""));
		fputs("</custos:id><custos:kind>", f);
		xml_put(f, jstr_or(c, "kind", ""));
		fputs("</custos:kind><custos:contentSha256>", f);
		xml_put(f, jstr_or(json_object_get(docs[i], "signature"), "content_sha256", ""));
		fputs("</custos:contentSha256></rdf:li>\n", f);
	}
	fputs("   </rdf:Seq></custos:documents>\n  </rdf:Description>\n </rdf:RDF>\n"
	      "</x:xmpmeta>\n<?xpacket end=\"r\"?>", f);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* The attachment's name: certificate.json for one document, <id>.json each
 * for several. */
static char *attachment_name(json_t *const *docs, size_t n, size_t i)
{
	return n == 1 ? strdup(CERT_PDF_ATTACHMENT) :
	       util_asprintf("%s.json", jstr_or(json_object_get(docs[i], "certificate"), "id",
						"x"));
}

static int by_attachment_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct upd {
	FILE *f;
	size_t base;		/* bytes before the update */
	long *off;		/* offset of each new object */
	long long first;	/* number of the first new object */
};

static void obj_begin(struct upd *u, long long num)
{
	u->off[num - u->first] = (long)(u->base + (size_t)ftell(u->f));
	fprintf(u->f, "%lld 0 obj\n", num);
}

static void put_stream(struct upd *u, long long num, const char *dict, const char *data,
		       size_t len)
{
	obj_begin(u, num);
	fprintf(u->f, "<< %s /Length %zu >>\nstream\n", dict, len);
	fwrite(data, 1, len, u->f);
	fputs("\nendstream\nendobj\n", u->f);
}

/* Objects first+2i: the file, first+2i+1: its file specification; then
 * the XMP stream and the new catalog. */
static int write_update(struct upd *u, json_t *const *docs, size_t n, char **names,
			const char *catalog, long long root)
{
	char dict[160];
	long long xmp = u->first + 2 * (long long)n;
	size_t xlen;
	char *x = xmp_packet(docs, n, &xlen);

	if (!x)
		return -ENOMEM;
	fputc('\n', u->f);
	for (size_t i = 0; i < n; i++) {
		char *text = json_dumps(docs[i], JSON_INDENT(2) | JSON_SORT_KEYS);
		long long o = u->first + 2 * (long long)i;

		if (!text) {
			free(x);
			return -ENOMEM;
		}
		snprintf(dict, sizeof(dict), "/Type /EmbeddedFile /Subtype /application#2Fjson "
			 "/Params << /Size %zu >>", strlen(text));
		put_stream(u, o, dict, text, strlen(text));
		free(text);
		obj_begin(u, o + 1);
		fprintf(u->f, "<< /Type /Filespec /F (%s) /UF (%s) /AFRelationship /Data\n"
			"   /Desc (signed custos certificate, see custos-certificate\\(5\\))\n"
			"   /EF << /F %lld 0 R /UF %lld 0 R >> >>\nendobj\n", names[i], names[i],
			o, o);
	}
	put_stream(u, xmp, "/Type /Metadata /Subtype /XML", x, xlen);
	free(x);
	/* the catalog again, with the attachments and the metadata */
	u->off[xmp + 1 - u->first] = (long)(u->base + (size_t)ftell(u->f));
	fprintf(u->f, "%lld 0 obj\n%s   /Metadata %lld 0 R\n   /AF [", root, catalog, xmp);
	for (size_t i = 0; i < n; i++)
		fprintf(u->f, " %lld 0 R", u->first + 2 * (long long)i + 1);
	fputs(" ]\n   /Names << /EmbeddedFiles << /Names [", u->f);
	/* a name tree's names are sorted */
	{
		char **sorted = malloc(n * sizeof(*sorted));

		if (!sorted)
			return -ENOMEM;
		memcpy(sorted, names, n * sizeof(*sorted));
		qsort(sorted, n, sizeof(*sorted), by_attachment_name);
		for (size_t i = 0; i < n; i++)
			for (size_t j = 0; j < n; j++)
				if (sorted[i] == names[j])
					fprintf(u->f, " (%s) %lld 0 R", names[j],
						u->first + 2 * (long long)j + 1);
		free(sorted);
	}
	fputs(" ] >> >>\n>>\nendobj\n", u->f);
	return 0;
}

static int finish_update(struct upd *u, long long n_new, long long root, long long info,
			 long long prev)
{
	long xref = (long)(u->base + (size_t)ftell(u->f));

	fprintf(u->f, "xref\n%lld 1\n%010ld 00000 n \n%lld %lld\n", root,
		u->off[n_new - 1], u->first, n_new - 1);
	for (long long i = 0; i < n_new - 1; i++)
		fprintf(u->f, "%010ld 00000 n \n", u->off[i]);
	fprintf(u->f, "trailer\n<< /Size %lld\n   /Root %lld 0 R\n", u->first + n_new - 1, root);
	if (info > 0)
		fprintf(u->f, "   /Info %lld 0 R\n", info);
	fprintf(u->f, "   /Prev %lld\n>>\nstartxref\n%ld\n%%%%EOF\n", prev, xref);
	return 0;
}

int certpdf_attach(struct pdfbuf *b, json_t *const *docs, size_t n, char **cause)
{
	const char *data = (const char *)b->data;
	long long prev = last_number_after(data, b->len, "startxref");
	long long size = last_number_after(data, b->len, "/Size");
	long long root = last_number_after(data, b->len, "/Root");
	long long info = last_number_after(data, b->len, "/Info");
	char *catalog = root > 0 ? object_dict(data, b->len, root) : NULL, **names;
	struct upd u = { NULL, b->len, NULL, size };
	long long n_new = 2 * (long long)n + 2;	/* counting the catalog */
	char *buf = NULL;
	size_t len = 0;
	int rc = 0;

	if (prev <= 0 || size <= 0 || !catalog || strstr(catalog, "/Names") ||
	    strstr(catalog, "/Metadata") || strstr(catalog, "/AF")) {
		free(catalog);
		return util_fail(cause, -EPROTO, _("cannot attach the certificate: cairo wrote an "
				 "unexpected PDF structure"));
	}
	names = calloc(n, sizeof(*names));
	u.off = calloc((size_t)n_new, sizeof(*u.off));
	u.f = names && u.off ? open_memstream(&buf, &len) : NULL;
	for (size_t i = 0; u.f && i < n; i++)
		if (!(names[i] = attachment_name(docs, n, i)))
			rc = -ENOMEM;
	if (!u.f || rc || write_update(&u, docs, n, names, catalog, root) < 0)
		rc = -ENOMEM;
	if (u.f && rc == 0)
		finish_update(&u, n_new, root, info, prev);
	if (u.f && fclose(u.f) != 0)
		rc = -ENOMEM;
	if (rc == 0 && certpdf_buf_write(b, (unsigned char *)buf, (unsigned int)len) != CAIRO_STATUS_SUCCESS)
		rc = -ENOMEM;
	for (size_t i = 0; names && i < n; i++)
		free(names[i]);
	free(names);
	free(u.off);
	free(buf);
	free(catalog);
	return rc ? util_fail(cause, rc, _("cannot attach the certificate to the PDF")) : 0;
}

/* ---- extraction -------------------------------------------------------- */

static const char *find_tag(const char *data, size_t len)
{
	size_t t = strlen(EMBED_TAG);

	for (size_t i = 0; i + t <= len; i++)
		if (data[i] == 'C' && memcmp(data + i, EMBED_TAG, t) == 0)
			return data + i + t;
	return NULL;
}

static int decode_embedded(const char *b64, size_t n, json_t **docs, char **cause)
{
	unsigned char *raw = malloc(n / 4 * 3 + 1);
	json_error_t err;
	int got;

	if (!raw)
		return util_fail(cause, -ENOMEM, _("out of memory"));
	got = EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)n);
	while (got > 0 && raw[got - 1] == '\0')	/* padding bytes */
		got--;
	*docs = got > 0 ? json_loadb((char *)raw, (size_t)got, JSON_REJECT_DUPLICATES, &err) : NULL;
	free(raw);
	if (!json_is_array(*docs)) {
		json_decref(*docs);
		*docs = NULL;
		return util_fail(cause, -EBADMSG, _("the certificate embedded in the PDF is damaged"));
	}
	return 0;
}

/* The Info /Keywords copy: "CUSTOS-CERT-1 <base64 of a JSON array>". */
static int keywords_docs(const char *data, size_t len, json_t **docs, char **cause)
{
	const char *b64 = find_tag(data, len), *end;

	*docs = NULL;
	if (!b64)
		return util_fail(cause, -ENOENT, _("the PDF carries no custos certificate (a PDF "
				 "printed to file loses it: check its QR code, --qr-image)"));
	for (end = b64; end < data + len && (isalnum((unsigned char)*end) || *end == '+' ||
					     *end == '/' || *end == '='); end++)
		;
	if ((end - b64) % 4 || end == b64)
		return util_fail(cause, -EBADMSG, _("the certificate embedded in the PDF is damaged"));
	return decode_embedded(b64, (size_t)(end - b64), docs, cause);
}

PopplerDocument *certpdf_poppler_open(const char *data, size_t len, char **cause)
{
	GBytes *bytes = g_bytes_new_static(data, len);
	GError *err = NULL;
	PopplerDocument *pd = poppler_document_new_from_bytes(bytes, NULL, &err);

	g_bytes_unref(bytes);
	if (!pd) {
		util_fail(cause, -EBADMSG, _("not a readable PDF: %s"), err ? err->message : "?");
		g_clear_error(&err);
	}
	return pd;
}

static gboolean grow(const gchar *buf, gsize count, gpointer data, GError **error)
{
	GByteArray *a = data;

	(void)error;
	g_byte_array_append(a, (const guint8 *)buf, (guint)count);
	return a->len < (1u << 24);	/* a certificate is far smaller */
}

/* The signed documents attached to the PDF (an empty array: none). */
static int attached_docs(PopplerDocument *pd, json_t **docs, char **cause)
{
	GList *list = poppler_document_get_attachments(pd);
	int rc = 0;

	*docs = json_array();
	for (GList *l = list; l && *docs && rc == 0; l = l->next) {
		PopplerAttachment *a = l->data;
		GByteArray *buf = g_byte_array_new();
		json_t *doc = NULL;

		if (poppler_attachment_save_to_callback(a, grow, buf, NULL))
			doc = json_loadb((const char *)buf->data, buf->len, JSON_REJECT_DUPLICATES,
					 NULL);
		if (json_is_object(json_object_get(doc, "certificate")))
			json_array_append(*docs, doc);
		else if (a->name && g_str_has_suffix(a->name, ".json"))
			rc = util_fail(cause, -EBADMSG, _("the attachment %s is not a certificate "
				       "document"), a->name);
		json_decref(doc);
		g_byte_array_unref(buf);
	}
	g_list_free_full(list, g_object_unref);
	if (!*docs)
		return util_fail(cause, -ENOMEM, _("out of memory"));
	if (rc) {
		json_decref(*docs);
		*docs = NULL;
	}
	return rc;
}

/* The same documents, in any order. */
static bool same_docs(const json_t *a, const json_t *b)
{
	size_t i, j;
	json_t *x, *y;

	if (json_array_size(a) != json_array_size(b))
		return false;
	json_array_foreach((json_t *)a, i, x) {
		bool found = false;

		json_array_foreach((json_t *)b, j, y)
			found = found || json_equal(x, y);
		if (!found)
			return false;
	}
	return true;
}

int cert_pdf_extract(const char *data, size_t len, json_t **docs, char **cause)
{
	PopplerDocument *pd = certpdf_poppler_open(data, len, NULL);
	json_t *att = NULL, *kw = NULL;
	int rc = 0, krc;

	*docs = NULL;
	if (pd)
		rc = attached_docs(pd, &att, cause);
	if (pd)
		g_object_unref(pd);
	if (rc)
		return rc;
	krc = keywords_docs(data, len, &kw, json_array_size(att) ? NULL : cause);
	if (json_array_size(att) == 0) {
		json_decref(att);
		*docs = kw;
		return krc;
	}
	/* Both copies are signed; two that differ mean someone edited one. */
	if ((krc && krc != -ENOENT) || (krc == 0 && !same_docs(att, kw))) {
		json_decref(att);
		json_decref(kw);
		return util_fail(cause, -EBADMSG, _("the PDF's attached certificate and the copy in "
				 "its Keywords differ (or that copy is damaged)"));
	}
	/* the Keywords list is in page order, the attachments by name */
	if (krc == 0) {
		json_decref(att);
		*docs = kw;
		return 0;
	}
	*docs = att;
	return 0;
}
