/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * certpdf-check: a PDF's drawn page read back.  QR codes are decoded with
 * zbar (from a PNG scan, or from a 150 dpi rendering of a page by
 * poppler); cert_pdf_check_page() lays the documents out again, reads the
 * text drawn in every cell with poppler and compares it, and every QR
 * code, with the signed data.
 */
#include "cert.h"
#include "certpdf-private.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cairo-pdf.h>
#include <poppler.h>
#include <zbar.h>

#include "util.h"

/* ---- QR codes in images (zbar) ----------------------------------------- */

/* The first QR code in @img whose data starts with "CUSTOS" (malloc'd). */
static int scan_surface(cairo_surface_t *img, char **payload, char **cause)
{
	int w = cairo_image_surface_get_width(img), h = cairo_image_surface_get_height(img);
	int stride = cairo_image_surface_get_stride(img);
	const unsigned char *px = cairo_image_surface_get_data(img);
	zbar_image_scanner_t *sc;
	zbar_image_t *zi;
	unsigned char *gray;

	*payload = NULL;
	if (!px || w <= 0 || h <= 0)
		return util_fail(cause, -EINVAL, _("an empty image"));
	gray = malloc((size_t)w * (size_t)h);
	if (!gray)
		return util_fail(cause, -ENOMEM, _("out of memory"));
	for (int y = 0; y < h; y++) {
		const uint32_t *row = (const uint32_t *)(const void *)(px + (size_t)y * (size_t)stride);

		for (int x = 0; x < w; x++) {
			uint32_t v = row[x];

			gray[(size_t)y * (size_t)w + (size_t)x] = (unsigned char)
				((((v >> 16) & 0xff) * 299 + ((v >> 8) & 0xff) * 587 +
				  (v & 0xff) * 114) / 1000);
		}
	}
	sc = zbar_image_scanner_create();
	zi = zbar_image_create();
	zbar_image_scanner_set_config(sc, 0, ZBAR_CFG_ENABLE, 0);
	zbar_image_scanner_set_config(sc, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1);
	/* the bytes as encoded: no guessing of a character set */
	zbar_image_scanner_set_config(sc, ZBAR_QRCODE, ZBAR_CFG_BINARY, 1);
	zbar_image_set_format(zi, zbar_fourcc('Y', '8', '0', '0'));
	zbar_image_set_size(zi, (unsigned)w, (unsigned)h);
	zbar_image_set_data(zi, gray, (unsigned long)w * (unsigned long)h, zbar_image_free_data);
	if (zbar_scan_image(sc, zi) > 0) {
		for (const zbar_symbol_t *s = zbar_image_first_symbol(zi); s && !*payload;
		     s = zbar_symbol_next(s)) {
			const char *d = zbar_symbol_get_data(s);
			unsigned n = zbar_symbol_get_data_length(s);

			if (d && n >= 7 && memcmp(d, "CUSTOS", 6) == 0)
				*payload = strndup(d, n);
		}
	}
	zbar_image_destroy(zi);
	zbar_image_scanner_destroy(sc);
	return *payload ? 0 : util_fail(cause, -ENOENT, _("no custos QR code found in the image"));
}

/* @src painted over white on an RGB24 surface of its size. */
static cairo_surface_t *flatten(cairo_surface_t *src)
{
	int w = cairo_image_surface_get_width(src), h = cairo_image_surface_get_height(src);
	cairo_surface_t *dst = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
	cairo_t *cr = cairo_create(dst);

	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_paint(cr);
	cairo_set_source_surface(cr, src, 0, 0);
	cairo_paint(cr);
	cairo_destroy(cr);
	cairo_surface_flush(dst);
	return dst;
}

int cert_qr_scan_png(const char *path, char **payload, char **cause)
{
	cairo_surface_t *png = cairo_image_surface_create_from_png(path), *flat;
	int rc;

	*payload = NULL;
	if (cairo_surface_status(png) != CAIRO_STATUS_SUCCESS) {
		rc = util_fail(cause, -EINVAL, _("cannot read %s as a PNG image: %s"), path,
			       cairo_status_to_string(cairo_surface_status(png)));
		cairo_surface_destroy(png);
		return rc;
	}
	flat = flatten(png);
	rc = scan_surface(flat, payload, cause);
	cairo_surface_destroy(flat);
	cairo_surface_destroy(png);
	return rc;
}

/* ---- the drawn page ---------------------------------------------------- */

static cairo_status_t discard(void *closure, const unsigned char *data, unsigned int len)
{
	(void)closure;
	(void)data;
	(void)len;
	return CAIRO_STATUS_SUCCESS;
}

/* Lay the documents out again exactly as render() does, recording where
 * every value goes; returns the number of pages. */
static int relayout(json_t *docs, struct layout *lay, int *pages, char **cause)
{
	size_t n = json_array_size(docs);
	json_t **v = calloc(n ? n : 1, sizeof(*v));
	cairo_surface_t *s;
	int rc;

	if (!v)
		return util_fail(cause, -ENOMEM, _("out of memory"));
	for (size_t i = 0; i < n; i++)
		v[i] = json_array_get(docs, i);
	s = cairo_pdf_surface_create_for_stream(discard, NULL, PAGE_W, PAGE_H);
	rc = certpdf_draw(s, NULL, v, n, lay, cause);
	cairo_surface_finish(s);
	cairo_surface_destroy(s);
	free(v);
	if (rc == 0 && lay->failed)
		rc = util_fail(cause, -ENOMEM, _("out of memory"));
	*pages = lay->n ? lay->spots[lay->n - 1].sheet + 1 : 0;
	return rc;
}

/* @s without white space (pango wraps lines where it likes). */
static char *squeeze(const char *s)
{
	char *out = strdup(s ? s : ""), *o = out;

	for (const char *p = out; out && *p; p++)
		if (!isspace((unsigned char)*p))
			*o++ = *p;
	if (out)
		*o = '\0';
	return out;
}

/* A page's text with the box of every character (poppler). */
struct page_text {
	int sheet;		/* -1: none loaded */
	char *text;
	PopplerRectangle *rects;
	guint n;
};

static void page_text_clear(struct page_text *t)
{
	g_free(t->text);
	g_free(t->rects);
	*t = (struct page_text){ -1, NULL, NULL, 0 };
}

static int page_text_load(PopplerDocument *pd, int sheet, struct page_text *t, char **cause)
{
	PopplerPage *page;

	if (t->sheet == sheet)
		return 0;
	page_text_clear(t);
	page = poppler_document_get_page(pd, sheet);
	if (!page)
		return util_fail(cause, -EBADMSG, _("the PDF has no page %d"), sheet + 1);
	t->text = poppler_page_get_text(page);
	if (!t->text || !poppler_page_get_text_layout(page, &t->rects, &t->n))
		t->n = 0;
	t->sheet = sheet;
	g_object_unref(page);
	return 0;
}

/* The characters whose centre lies inside @sp's cell, white space dropped
 * (pango wraps lines where it likes). */
static char *cell_text(const struct page_text *t, const struct spot *sp)
{
	GString *out = g_string_new(NULL);
	const char *c = t->text;

	for (guint i = 0; c && *c && i < t->n; i++, c = g_utf8_next_char(c)) {
		double cx = (t->rects[i].x1 + t->rects[i].x2) / 2;
		double cy = (t->rects[i].y1 + t->rects[i].y2) / 2;

		if (cx > sp->x && cx < sp->x + sp->w && cy > sp->y && cy < sp->y + sp->h &&
		    !g_unichar_isspace(g_utf8_get_char(c)))
			g_string_append_len(out, c, g_utf8_next_char(c) - c);
	}
	return g_string_free(out, FALSE);
}

/* A forged page's text goes into a message: no terminal controls. */
static void printable(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

static int check_spot(PopplerDocument *pd, struct page_text *t, const struct spot *sp,
		      int offset, char **cause)
{
	char *got, *want;
	int rc = page_text_load(pd, sp->sheet + offset, t, cause);

	if (rc)
		return rc;
	got = cell_text(t, sp);
	want = squeeze(sp->text);
	if (!want) {
		rc = util_fail(cause, -ENOMEM, _("out of memory"));
	} else if (strcmp(got, want) != 0 && sp->label) {
		/* the fixed text is elsewhere: not a page this code drew here */
		rc = util_fail(cause, -EBADMSG, _("the drawn page cannot be checked: its layout "
			       "differs from this program's rendering of the certificate (label "
			       "%s not where expected on page %d: drawn with other fonts or "
			       "another custos version, or rearranged); check the paper by its "
			       "QR code (--qr-image)"), sp->field, sp->sheet + offset + 1);
	} else if (strcmp(got, want) != 0) {
		printable(got);
		rc = util_fail(cause, -EBADMSG, _("the drawn page differs from the signed data: "
			       "page %d shows \"%s\" for %s where the certificate says \"%s\""),
			       sp->sheet + offset + 1, got, sp->field, sp->text);
	}
	g_free(got);
	free(want);
	return rc;
}

/* The QR code drawn on @sheet, decoded from a 150 dpi rendering. */
static int page_qr(PopplerDocument *pd, int sheet, char **payload, char **cause)
{
	PopplerPage *page = poppler_document_get_page(pd, sheet);
	double scale = 150.0 / 72.0;
	cairo_surface_t *img;
	cairo_t *cr;
	int rc;

	*payload = NULL;
	if (!page)
		return util_fail(cause, -EBADMSG, _("the PDF has no page %d"), sheet + 1);
	img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)(PAGE_W * scale),
					 (int)(PAGE_H * scale));
	cr = cairo_create(img);
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_paint(cr);
	cairo_scale(cr, scale, scale);
	poppler_page_render_for_printing(page, cr);
	cairo_destroy(cr);
	cairo_surface_flush(img);
	rc = scan_surface(img, payload, cause);
	cairo_surface_destroy(img);
	g_object_unref(page);
	return rc;
}

/* Every document's QR code is its own payload. */
static int check_qrs(PopplerDocument *pd, json_t *docs, const struct layout *lay, int offset,
		     char **cause)
{
	int sheet = offset;

	for (size_t i = 0; i < json_array_size(docs); i++) {
		const json_t *doc = json_array_get(docs, i);
		char *want = NULL, *got = NULL;
		int rc = cert_qr_payload(doc, &want, cause);

		/* the QR code sits by the signature boxes, on the document's
		 * last page: where its last spot (a signature box) is */
		for (size_t s = 0; s < lay->n; s++)
			if (lay->spots[s].doc == i)
				sheet = lay->spots[s].sheet + offset;
		if (rc == 0)
			rc = page_qr(pd, sheet, &got, cause);
		if (rc == -ENOENT)
			rc = util_fail(cause, -EBADMSG, _("page %d has no readable QR code"), sheet + 1);
		if (rc == 0 && strcmp(want, got) != 0)
			rc = util_fail(cause, -EBADMSG, _("the QR code on page %d is not the one of "
				       "certificate %s"), sheet + 1, cert_doc_id(doc));
		free(want);
		free(got);
		if (rc)
			return rc;
	}
	return 0;
}

int cert_pdf_check_page(const char *data, size_t len, json_t *docs, char **cause)
{
	struct page_text text = { -1, NULL, NULL, 0 };
	struct layout lay = { 0 };
	PopplerDocument *pd;
	int pages = 0, offset, rc;

	pd = certpdf_poppler_open(data, len, cause);
	if (!pd)
		return -EBADMSG;
	rc = relayout(docs, &lay, &pages, cause);
	offset = rc == 0 ? poppler_document_get_n_pages(pd) - pages : 0;
	/* a batch PDF starts with its (unsigned) summary page */
	if (rc == 0 && offset != 0 && offset != 1)
		rc = util_fail(cause, -EBADMSG, _("the PDF has %d pages where its certificates "
			       "take %d"), poppler_document_get_n_pages(pd), pages);
	/* the labels first: a different layout is not a forged value */
	for (size_t i = 0; rc == 0 && i < lay.n; i++)
		if (lay.spots[i].label)
			rc = check_spot(pd, &text, &lay.spots[i], offset, cause);
	for (size_t i = 0; rc == 0 && i < lay.n; i++)
		if (!lay.spots[i].label)
			rc = check_spot(pd, &text, &lay.spots[i], offset, cause);
	page_text_clear(&text);
	if (rc == 0)
		rc = check_qrs(pd, docs, &lay, offset, cause);
	certpdf_layout_free(&lay);
	g_object_unref(pd);
	return rc;
}
