/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * certpdf: A4 PDF renderings of certificates with cairo and pango.
 *
 * One page per certificate: bilingual header, the fields of cert_rows() in
 * a ruled two-column grid, an attestation, signature boxes (operator and
 * validator; for a destruction the person destroying, the two witnesses
 * and the validator), and a QR code carrying cert_qr_payload() (format 2:
 * the signed summary).  cairo embeds and subsets the fonts.  The signed
 * documents ride along in the Keywords metadata as "CUSTOS-CERT-1 <base64
 * of a JSON array of documents>" and, appended after cairo's output as an
 * incremental update, as attached files with XMP metadata, so a PDF alone
 * can be verified (cert_pdf_extract).  cert_pdf_check_page() reads the
 * drawn values and QR code back (poppler, zbar) against the signed data.
 * custos-certificate(5) specifies all of it.
 */
#include "cert.h"
#include "certpdf-private.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cairo-pdf.h>
#include <cairo.h>
#include <pango/pangocairo.h>
#include <qrencode.h>

#include <openssl/evp.h>

#include "util.h"
#include "values.h"

#define MARGIN 36.0
#define CONTENT_W (PAGE_W - 2 * MARGIN)
#define LABEL_W 118.0
#define PAD 3.0

cairo_status_t certpdf_buf_write(void *closure, const unsigned char *data, unsigned int len)
{
	struct pdfbuf *b = closure;

	if (b->len + len > b->cap) {
		size_t cap = (b->cap ? b->cap * 2 : 65536) + len;
		unsigned char *p = realloc(b->data, cap);

		if (!p) {
			b->failed = true;
			return CAIRO_STATUS_WRITE_ERROR;
		}
		b->data = p;
		b->cap = cap;
	}
	memcpy(b->data + b->len, data, len);
	b->len += len;
	return CAIRO_STATUS_SUCCESS;
}

/* ---- text helpers ------------------------------------------------------ */

struct pen {
	cairo_t *cr;
	PangoLayout *layout;
	const json_t *doc;	/* the certificate on the current page */
	int page;		/* its page number, from 1 */
	int sheet;		/* page of the PDF, from 0 */
	struct layout *lay;	/* record the values drawn (NULL: don't) */
	size_t doc_index;	/* of p->doc */
};

static void record(struct pen *p, double x, double y, double w, double h, const char *field,
		   const char *text, bool label)
{
	struct layout *l = p->lay;

	if (!l || l->failed)
		return;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		struct spot *s = realloc(l->spots, cap * sizeof(*s));

		if (!s) {
			l->failed = true;
			return;
		}
		l->spots = s;
		l->cap = cap;
	}
	l->spots[l->n] = (struct spot){ p->sheet, x, y, w, h, field, strdup(text), p->doc_index,
					label };
	if (!l->spots[l->n].text)
		l->failed = true;
	else
		l->n++;
}

void certpdf_layout_free(struct layout *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->spots[i].text);
	free(l->spots);
}

static void show_page(struct pen *p)
{
	cairo_show_page(p->cr);
	p->sheet++;
}

static double new_page(struct pen *p);

/* Where the field grid must stop: the footer starts below. */
#define GRID_BOTTOM (PAGE_H - MARGIN - 28)

/* Lay out @text at @size points in @width (0: no wrapping); returns the height. */
static double text_at(struct pen *p, const char *text, double size, bool bold, double x,
		      double y, double width, PangoAlignment align, bool draw)
{
	PangoFontDescription *fd = pango_font_description_new();
	int w, h;

	pango_font_description_set_family(fd, CERT_FONT_FAMILY);
	pango_font_description_set_absolute_size(fd, size * PANGO_SCALE);
	pango_font_description_set_weight(fd, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
	pango_layout_set_font_description(p->layout, fd);
	pango_font_description_free(fd);
	pango_layout_set_width(p->layout, width > 0 ? (int)(width * PANGO_SCALE) : -1);
	pango_layout_set_wrap(p->layout, PANGO_WRAP_WORD_CHAR);
	pango_layout_set_alignment(p->layout, align);
	pango_layout_set_text(p->layout, text, -1);
	pango_layout_get_size(p->layout, &w, &h);
	if (draw) {
		cairo_move_to(p->cr, x, y);
		pango_cairo_show_layout(p->cr, p->layout);
	}
	return (double)h / PANGO_SCALE;
}

static double text_left(struct pen *p, const char *text, double size, bool bold, double x,
			double y, double width)
{
	return text_at(p, text, size, bold, x, y, width, PANGO_ALIGN_LEFT, true);
}

static double text_center(struct pen *p, const char *text, double size, bool bold, double y)
{
	return text_at(p, text, size, bold, MARGIN, y, CONTENT_W, PANGO_ALIGN_CENTER, true);
}

/* Draw @text as text_at() does and record it for the drawn-page check as
 * field @field. */
static double text_rec(struct pen *p, const char *field, const char *text, double size,
		       bool bold, double x, double y, double width, PangoAlignment align)
{
	double h = text_at(p, text, size, bold, x, y, width, align, true);

	record(p, x, y, width, h, field, text, false);
	return h;
}

static void rgb(cairo_t *cr, unsigned int hex)
{
	cairo_set_source_rgb(cr, ((hex >> 16) & 0xff) / 255.0, ((hex >> 8) & 0xff) / 255.0,
			     (hex & 0xff) / 255.0);
}

static void box(cairo_t *cr, double x, double y, double w, double h, unsigned int fill)
{
	cairo_rectangle(cr, x, y, w, h);
	if (fill != 0xffffff) {
		rgb(cr, fill);
		cairo_fill_preserve(cr);
	}
	rgb(cr, 0x606060);
	cairo_set_line_width(cr, 0.5);
	cairo_stroke(cr);
	rgb(cr, 0x000000);
}

static const char *jstr_or(const json_t *o, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s && *s ? s : dflt;
}

/* ---- field grid -------------------------------------------------------- */

#define LABEL_PT 7.2
#define VALUE_PT 8.2

static char *label_of(const struct cert_row *r)
{
	return util_asprintf("%s  %s", r->label_zh, r->label_en);
}

/* More than fits half a line: counted in columns, a Chinese character
 * (three or four UTF-8 bytes) as two. */
static bool wide(const struct cert_row *r)
{
	size_t cols = 0;

	for (const unsigned char *s = (const unsigned char *)r->value; *s; s++)
		if ((*s & 0xc0) != 0x80)
			cols += *s >= 0xe0 ? 2 : 1;
	return cols > 30;
}

/* Height of one cell pair (label + value) at width @vw, drawn when @draw. */
static double cell(struct pen *p, const struct cert_row *r, double x, double y, double vw,
		   double h, bool draw)
{
	char *label = label_of(r);
	double lh, vh;

	if (!label)
		return 0;
	if (draw) {
		box(p->cr, x, y, LABEL_W, h, 0xececec);
		box(p->cr, x + LABEL_W, y, vw, h, 0xffffff);
		record(p, x, y, LABEL_W, h, r->label_en, label, true);
		record(p, x + LABEL_W, y, vw, h, r->label_en, r->value, false);
	}
	lh = text_at(p, label, LABEL_PT, false, x + PAD, y + PAD, LABEL_W - 2 * PAD,
		     PANGO_ALIGN_LEFT, draw);
	vh = text_at(p, r->value, VALUE_PT, false, x + LABEL_W + PAD, y + PAD, vw - 2 * PAD,
		     PANGO_ALIGN_LEFT, draw);
	free(label);
	return (lh > vh ? lh : vh) + 2 * PAD;
}

/* One grid line: a wide row, or two narrow rows side by side.  Returns how
 * many rows it used and advances *@y. */
static size_t grid_line(struct pen *p, const struct cert_row *r, size_t left, double *y)
{
	double half = CONTENT_W / 2, vw = half - LABEL_W, h;

	if (wide(&r[0]) || left < 2 || wide(&r[1]) || r[1].section_en != r[0].section_en) {
		h = cell(p, r, MARGIN, *y, CONTENT_W - LABEL_W, 0, false);
		if (*y + h > GRID_BOTTOM) {
			*y = new_page(p);
		}
		cell(p, r, MARGIN, *y, CONTENT_W - LABEL_W, h, true);
		*y += h;
		return 1;
	}
	h = cell(p, &r[0], MARGIN, *y, vw, 0, false);
	if (cell(p, &r[1], MARGIN + half, *y, vw, 0, false) > h)
		h = cell(p, &r[1], MARGIN + half, *y, vw, 0, false);
	if (*y + h > GRID_BOTTOM) {
		*y = new_page(p);
	}
	cell(p, &r[0], MARGIN, *y, vw, h, true);
	cell(p, &r[1], MARGIN + half, *y, vw, h, true);
	*y += h;
	return 2;
}

static double section_bar(struct pen *p, const struct cert_row *r, double y)
{
	char *t = util_asprintf("%s  %s", r->section_zh, r->section_en);

	box(p->cr, MARGIN, y, CONTENT_W, 14, 0x2b3f5c);
	rgb(p->cr, 0xffffff);
	if (t)
		text_left(p, t, 8.5, true, MARGIN + PAD, y + 1.5, CONTENT_W);
	rgb(p->cr, 0x000000);
	free(t);
	return y + 14;
}

/* Operators sign in the signature boxes, so the grid leaves them out. */
static bool skip_row(const struct cert_row *r)
{
	return strcmp(r->label_en, "Performed by") == 0 || strcmp(r->label_en, "Validated by") == 0;
}

static double grid(struct pen *p, const struct cert_row *rows, size_t n, double y)
{
	const char *sec = NULL;
	size_t i = 0;

	while (i < n) {
		if (skip_row(&rows[i])) {
			i++;
			continue;
		}
		if (rows[i].section_en != sec) {
			sec = rows[i].section_en;
			if (y + 40 > GRID_BOTTOM)	/* no lonely bar at the foot */
				y = new_page(p);
			y = section_bar(p, &rows[i], y + 6);
		}
		/* A pair must not straddle a skipped row. */
		if (i + 1 < n && skip_row(&rows[i + 1]))
			i += grid_line(p, &rows[i], 1, &y);
		else
			i += grid_line(p, &rows[i], n - i, &y);
	}
	return y;
}

/* ---- header, signatures, QR, footer ------------------------------------ */

static bool is_report(const json_t *cert)
{
	return strcmp(jstr_or(cert, "kind", ""), "report") == 0;
}

static double header(struct pen *p, const json_t *cert)
{
	const json_t *st = json_object_get(cert, "station");
	char *no = util_asprintf("编号 No. %s", jstr_or(cert, "id", "-"));
	double y = MARGIN;

	text_rec(p, "Organisation (header)", jstr_or(st, "organisation", ""), 9, true, MARGIN, y,
		 CONTENT_W / 2, PANGO_ALIGN_LEFT);
	if (no)
		text_rec(p, "Certificate no. (header)", no, 9, true, MARGIN + CONTENT_W / 2, y,
			 CONTENT_W / 2, PANGO_ALIGN_RIGHT);
	free(no);
	y += 16;
	cairo_move_to(p->cr, MARGIN, y);
	cairo_line_to(p->cr, MARGIN + CONTENT_W, y);
	cairo_set_line_width(p->cr, 1.2);
	cairo_stroke(p->cr);
	y += 6;
	if (is_report(cert))
		rgb(p->cr, 0xb00000);
	y += text_rec(p, "Title", jstr_or(cert, "title_zh", ""), 17, true, MARGIN, y, CONTENT_W,
		      PANGO_ALIGN_CENTER);
	y += text_rec(p, "Title", jstr_or(cert, "title", ""), 11.5, true, MARGIN, y, CONTENT_W,
		      PANGO_ALIGN_CENTER) + 2;
	if (is_report(cert))
		y += text_rec(p, "Report notice", "本报告不是消除证明，介质仍按原密级管理。  "
			      "This is NOT a certificate of erasure: the medium keeps its "
			      "classification.", 7.5, false, MARGIN, y, CONTENT_W,
			      PANGO_ALIGN_CENTER);
	rgb(p->cr, 0x000000);
	return y;
}

static bool is_v1(const json_t *doc);

struct signer {
	const char *role_zh;
	const char *role_en;
	const json_t *person;
};

static void sign_box(struct pen *p, const struct signer *s, double x, double y, double w,
		     double h)
{
	char *role = util_asprintf("%s  %s", s->role_zh, s->role_en);
	const char *name = jstr_or(s->person, "name", "");
	const char *title = jstr_or(s->person, "title", "");
	const char *phone = jstr_or(s->person, "phone", "");
	char *who = util_asprintf("%s%s%s%s%s", name, *title ? ", " : "", title,
				  *phone ? ", " : "", phone);
	bool v1 = is_v1(p->doc);
	double ly;

	box(p->cr, x, y, w, h, 0xffffff);
	if (role)
		text_left(p, role, 7.5, true, x + PAD, y + PAD, w - 2 * PAD);
	if (who) {
		/* format 2 adds the phone: two lines of a smaller size fit above
		 * the signature lines; format 1 keeps its geometry (the check) */
		double wh = text_left(p, *who ? who : " ", v1 ? 9 : 8, false, x + PAD, y + 15,
				      w - 2 * PAD);

		record(p, x + PAD, y + 14, w - 2 * PAD, wh + 2, s->role_en, who, false);
	}
	for (int i = 0; i < 2; i++) {
		ly = v1 ? y + h - 24 + i * 17 : y + h - 19 + i * 14;
		text_left(p, i ? "日期 Date" : "签字 Signature", 7, false, x + PAD, ly - 10, w);
		cairo_move_to(p->cr, x + 58, ly);
		cairo_line_to(p->cr, x + w - 6, ly);
		cairo_set_line_width(p->cr, 0.5);
		cairo_stroke(p->cr);
	}
	free(role);
	free(who);
}

/* The destroying person, every witness (at least two boxes), the validator. */
#define MAX_SIGNERS (CERT_MAX_WITNESSES + 2)

static size_t signers(const json_t *cert, struct signer out[MAX_SIGNERS])
{
	const json_t *w = json_object_get(json_object_get(cert, "destruction"), "witnesses");
	size_t n = 0, nw = json_array_size(w);

	if (strcmp(jstr_or(cert, "kind", ""), "destruction") == 0) {
		out[n++] = (struct signer){ "销毁人", "Destroyed by",
					    json_object_get(cert, "operator") };
		for (size_t i = 0; i < (nw < 2 ? 2 : nw) && i < CERT_MAX_WITNESSES; i++)
			out[n++] = (struct signer){ "监销人", "Witness", json_array_get(w, i) };
		out[n++] = (struct signer){ "审核人", "Validated by",
					    json_object_get(cert, "validator") };
		return n;
	}
	out[0] = (struct signer){ "操作人", "Performed by", json_object_get(cert, "operator") };
	out[1] = (struct signer){ "审核人", "Validated by", json_object_get(cert, "validator") };
	return 2;
}

/* Format 1's QR code fits 100 pt; format 2's signed summary gets 120 pt,
 * down beside a narrower footer, with modules of 1.44 pt (3 pixels at 150
 * dpi, 6 at 300) while they fit: whole pixels keep a scan or a pdftoppm
 * rendering readable. */
#define QR_SIZE_V1 100.0
#define QR_SIZE_V2 120.0
#define QR_MODULE 1.44
#define SIGN_H 70.0
#define SIGN_PER_ROW 4

/* Rows of signature boxes @doc needs (one up to four signers). */
static size_t sign_rows(const json_t *doc)
{
	struct signer s[MAX_SIGNERS];
	size_t n = signers(json_object_get(doc, "certificate"), s);

	return (n + SIGN_PER_ROW - 1) / SIGN_PER_ROW;
}

static bool is_v1(const json_t *doc)
{
	return cert_is_v1(json_object_get(doc, "certificate"));
}

static double qr_size(const json_t *doc)
{
	return is_v1(doc) ? QR_SIZE_V1 : QR_SIZE_V2;
}

/* The QR code in a @size square at @x, @y (top right-aligned). */
static int draw_qr(cairo_t *cr, const char *payload, double x, double y, double size,
		   bool v1)
{
	QRcode *qr = QRcode_encodeString(payload, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	double m;

	if (!qr)
		return -errno ? -errno : -EINVAL;
	m = size / (qr->width + 8);	/* four modules of quiet zone each side */
	if (!v1 && m > QR_MODULE) {
		m = QR_MODULE;
		x += size - m * (qr->width + 8);
	}
	for (int r = 0; r < qr->width; r++)
		for (int c = 0; c < qr->width; c++)
			if (qr->data[r * qr->width + c] & 1)
				cairo_rectangle(cr, x + (c + 4) * m, y + (r + 4) * m, m, m);
	rgb(cr, 0x000000);
	cairo_fill(cr);
	QRcode_free(qr);
	return 0;
}

static const char *attestation(const json_t *cert)
{
	const char *kind = jstr_or(cert, "kind", "");

	if (strcmp(kind, "report") == 0)
		return "本报告如实记录一次未完成的信息消除。  This report records a "
		       "sanitization that did not complete; the medium must still be handled "
		       "as holding data.";
	if (strcmp(kind, "destruction") == 0)
		return "兹证明上述介质已在监销人见证下按所列方式销毁。  We attest that the medium "
		       "above was destroyed as recorded, in the presence of the witnesses.";
	if (cert_verified_by_sampling(cert))
		return "兹证明上述介质已按所列方法完成信息消除，并经抽样验证（见“验证方式”所列读取比例）。  "
		       "I attest that the medium above was sanitized as recorded here and verified "
		       "by sampling only: the share read is under Verification.";
	return "兹证明上述介质已按所列方法完成信息消除并经验证。  I attest that the medium above "
	       "was sanitized and verified as recorded here.";
}

static int signatures(struct pen *p, const json_t *doc, double y)
{
	const json_t *cert = json_object_get(doc, "certificate");
	struct signer s[MAX_SIGNERS];
	size_t n = signers(cert, s), per = n < SIGN_PER_ROW ? n : SIGN_PER_ROW;
	double qs = qr_size(doc);
	double bw = (CONTENT_W - qs - 6 - (double)(per - 1) * 4) / (double)per, qy;
	char *payload = NULL;
	int rc;

	y += 4;
	box(p->cr, MARGIN, y, CONTENT_W, 14, 0x2b3f5c);
	rgb(p->cr, 0xffffff);
	text_left(p, "签字  Signatures", 8.5, true, MARGIN + PAD, y + 1.5, CONTENT_W);
	rgb(p->cr, 0x000000);
	y += 16;
	qy = y;
	y += text_rec(p, "Attestation", attestation(cert), 7, false, MARGIN, y, CONTENT_W - qs - 6,
		      PANGO_ALIGN_LEFT) + 3;
	for (size_t i = 0; i < n; i++)
		sign_box(p, &s[i], MARGIN + (double)(i % per) * (bw + 4),
			 y + (double)(i / per) * (SIGN_H + 4), bw, SIGN_H);
	rc = cert_qr_payload(doc, &payload, NULL);
	if (rc == 0)
		rc = draw_qr(p->cr, payload, PAGE_W - MARGIN - qs, qy, qs, is_v1(doc));
	free(payload);
	if (rc == 0)
		text_at(p, "扫码核验 Scan to verify", 6.5, false, PAGE_W - MARGIN - qs,
			qy + qs - (is_v1(doc) ? 4 : -0.5), qs, PANGO_ALIGN_CENTER, true);
	return rc;
}

static void footer(struct pen *p)
{
	const json_t *sig = json_object_get(p->doc, "signature");
	const json_t *cert = json_object_get(p->doc, "certificate");
	/* format 1 pages keep their footer: the drawn-page check lays it out again */
	char *t = util_asprintf("%sElectronically signed (%s), station key %s\n"
				"%sContent SHA-256 %s\n"
				"%sVerify: custos cert verify <file.json|file.pdf> "
				"[--pubkey station.pub]        %s  第 %d 页  page %d",
				is_v1(p->doc) ? "" : "电子签名 ", jstr_or(sig, "algorithm", "-"),
				jstr_or(sig, "key_fingerprint", "-"),
				is_v1(p->doc) ? "" : "内容摘要 ", jstr_or(sig, "content_sha256", "-"),
				is_v1(p->doc) ? "" : "核验 ", jstr_or(cert, "id", "-"),
				p->page, p->page);

	if (!t)
		return;
	rgb(p->cr, 0x505050);
	/* format 2: the QR code reaches down beside the footer */
	text_rec(p, "Footer", t, 6.2, false, MARGIN, PAGE_H - MARGIN - 22,
		 is_v1(p->doc) ? CONTENT_W : CONTENT_W - QR_SIZE_V2 - 6, PANGO_ALIGN_LEFT);
	rgb(p->cr, 0x000000);
	free(t);
}

/* Finish this page and start a continuation page; returns where to go on. */
static double new_page(struct pen *p)
{
	char *t;

	footer(p);
	show_page(p);
	p->page++;
	t = util_asprintf("编号 No. %s  (续 continued)",
			  jstr_or(json_object_get(p->doc, "certificate"), "id", "-"));
	if (t)
		text_left(p, t, 9, true, MARGIN, MARGIN, CONTENT_W);
	free(t);
	return MARGIN + 18;
}

/* The space the signature block (@rows rows of boxes) and footer need
 * below the grid. */
#define BOTTOM_RESERVE(rows) (4 + 16 + 24 + (rows) * (SIGN_H + 4) - 4 + 16 + 22 + MARGIN)

static int cert_page(struct pen *p, const json_t *doc, char **cause)
{
	const json_t *cert = json_object_get(doc, "certificate");
	struct cert_row *rows;
	size_t n;
	double y, reserve = BOTTOM_RESERVE((double)sign_rows(doc));
	int rc = cert_rows(doc, &rows, &n, cause);

	if (rc)
		return rc;
	p->doc = doc;
	p->page = 1;
	y = grid(p, rows, n, header(p, cert));
	cert_rows_free(rows, n);
	if (y > PAGE_H - reserve) {
		/* Only extreme content (many passes, long notes) gets here. */
		y = new_page(p);
	}
	/* Signatures sit at the foot of the page, as on a paper form. */
	if (y < PAGE_H - reserve)
		y = PAGE_H - reserve;
	rc = signatures(p, doc, y);
	if (rc)
		return util_fail(cause, rc, _("cannot draw the QR code"));
	footer(p);
	show_page(p);
	return 0;
}

/* ---- summary page ------------------------------------------------------ */

static const char *const summary_cols_zh[] = {
	"序号", "证书编号", "序列号", "型号", "容量", "结果"
};
static const char *const summary_cols_en[] = { "#", "Certificate no.", "Serial", "Model",
					       "Capacity", "Outcome" };
static const double summary_w[] = { 36, 118, 106, 130, 62, 0 /* rest */ };

static void summary_row(struct pen *p, const char *const *cells, double y, double h,
			unsigned int fill, bool bold)
{
	double x = MARGIN;

	for (size_t i = 0; i < UTIL_ARRAY_SIZE(summary_w); i++) {
		double w = summary_w[i] ? summary_w[i] : MARGIN + CONTENT_W - x;

		box(p->cr, x, y, w, h, fill);
		text_left(p, cells[i], 7.5, bold, x + PAD, y + PAD, w - 2 * PAD);
		x += w;
	}
}

static void summary_disk(struct pen *p, const json_t *doc, size_t i, double y)
{
	const json_t *cert = json_object_get(doc, "certificate");
	const json_t *m = json_object_get(cert, "medium");
	const json_t *san = json_object_get(cert, "sanitization");
	bool has_san = json_is_object(san);
	const char *code = has_san ? jstr_or(san, "outcome", "-") : jstr_or(cert, "kind", "-");
	char *zh = cert_is_v1(cert) ? NULL :
		   values_bilingual(has_san ? VALUE_OUTCOME : VALUE_CERT_KIND, code);
	char num[24], cap[32];
	const char *cells[6];

	snprintf(num, sizeof(num), "%zu", i + 1);
	util_format_size((uint64_t)json_integer_value(json_object_get(m, "capacity_bytes")), cap,
			 sizeof(cap));
	cells[0] = num;
	cells[1] = jstr_or(cert, "id", "-");
	cells[2] = jstr_or(m, "serial", "-");
	cells[3] = jstr_or(m, "model", "-");
	cells[4] = cap;
	cells[5] = zh ? zh : code;
	summary_row(p, cells, y, 15, strcmp(code, "erased") && strcmp(code, "destruction")
		    ? 0xf6d5d5 : 0xffffff, false);
	free(zh);
}

/* A disk without a document: refused or failed, in red. */
static void summary_other(struct pen *p, const struct cert_machine_disk *d, size_t i, double y)
{
	char *out = values_bilingual(VALUE_OUTCOME, d->outcome);
	char num[24], cap[32];
	const char *cells[6];

	snprintf(num, sizeof(num), "%zu", i + 1);
	util_format_size(d->capacity_bytes, cap, sizeof(cap));
	cells[0] = num;
	cells[1] = "-";
	cells[2] = d->serial && d->serial[0] ? d->serial : "-";
	cells[3] = d->model && d->model[0] ? d->model : "-";
	cells[4] = d->capacity_bytes ? cap : "-";
	cells[5] = out ? out : "-";
	summary_row(p, cells, y, 15, 0xf6d5d5, false);
	free(out);
}

static char *summary_count(json_t *const *docs, size_t n, size_t others)
{
	size_t good = 0, all = n + others;

	for (size_t i = 0; i < n; i++)
		good += strcmp(cert_doc_kind(docs[i]) ? cert_doc_kind(docs[i]) : "", "report") != 0;
	return util_asprintf("共 %zu 块，%zu 块已消除或销毁，%zu 块未消除。  "
			     "%zu disks: %zu erased or destroyed, %zu NOT erased.",
			     all, good, all - good, all, good, all - good);
}

/* Why each disk without a document got none; returns the new y. */
static double summary_reasons(struct pen *p, const struct cert_machine *mc, size_t first,
			      double y)
{
	for (size_t i = 0; i < mc->n_others && y < PAGE_H - 2 * MARGIN; i++) {
		const struct cert_machine_disk *d = &mc->others[i];
		char *line = util_asprintf("%zu. %s: %s: %s", first + i + 1,
					   d->device ? d->device : "-",
					   d->outcome ? d->outcome : "-",
					   d->reason && d->reason[0] ? d->reason : "-");

		if (line)
			y += text_left(p, line, 7.5, false, MARGIN, y, CONTENT_W) + 2;
		free(line);
	}
	return y;
}

static const char *or_dash(const char *s)
{
	return s && s[0] ? s : "-";
}

static void summary_page(struct pen *p, const struct cert_machine *mc, json_t *const *docs,
			 size_t n)
{
	const json_t *st = n ? json_object_get(json_object_get(docs[0], "certificate"),
					       "station") : NULL;
	char *head = util_asprintf("厂商 Vendor: %s\n型号 Model: %s\n序列号 Serial: %s\n"
				   "资产编号 Asset tag: %s\n主机名 Host: %s\n"
				   "单位 Organisation: %s\n工作站 Station: %s",
				   or_dash(mc->vendor), or_dash(mc->model), or_dash(mc->serial),
				   or_dash(mc->asset_tag), or_dash(mc->hostname),
				   jstr_or(st, "organisation", "-"), jstr_or(st, "name", "-"));
	char *hdr[UTIL_ARRAY_SIZE(summary_cols_zh)], *count;
	double y = MARGIN;

	y += text_center(p, "整机硬盘信息消除汇总", 17, true, y);
	y += text_center(p, "BATCH SANITIZATION SUMMARY", 11.5, true, y) + 10;
	if (head)
		y += text_left(p, head, 9, false, MARGIN, y, CONTENT_W) + 10;
	free(head);
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(hdr); i++)
		hdr[i] = util_asprintf("%s %s", summary_cols_zh[i], summary_cols_en[i]);
	summary_row(p, (const char *const *)hdr, y, 15, 0xececec, true);
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(hdr); i++)
		free(hdr[i]);
	y += 15;
	for (size_t i = 0; i < n && y < PAGE_H - 2 * MARGIN; i++, y += 15)
		summary_disk(p, docs[i], i, y);
	for (size_t i = 0; i < mc->n_others && y < PAGE_H - 2 * MARGIN; i++, y += 15)
		summary_other(p, &mc->others[i], n + i, y);
	count = summary_count(docs, n, mc->n_others);
	y += 8;
	if (count)
		y += text_left(p, count, 8.5, true, MARGIN, y, CONTENT_W) + 6;
	free(count);
	y = summary_reasons(p, mc, n, y);
	if (n)
		text_left(p, "每块硬盘的证书或报告见后续各页。  One certificate or report per "
			  "disk follows.", 7.5, false, MARGIN, y + 6, CONTENT_W);
	show_page(p);
}

/* ---- documents --------------------------------------------------------- */

static char *embed_keywords(json_t *const *docs, size_t n)
{
	json_t *arr = json_array();
	char *json = NULL, *kw = NULL;
	size_t len;

	for (size_t i = 0; arr && i < n; i++)
		json_array_append(arr, docs[i]);
	json = arr ? json_dumps(arr, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII) : NULL;
	json_decref(arr);
	if (!json)
		return NULL;
	len = strlen(json);
	kw = malloc(strlen(EMBED_TAG) + 4 * ((len + 2) / 3) + 1);
	if (kw) {
		memcpy(kw, EMBED_TAG, strlen(EMBED_TAG));
		EVP_EncodeBlock((unsigned char *)kw + strlen(EMBED_TAG), (unsigned char *)json,
				(int)len);
	}
	free(json);
	return kw;
}

static void set_metadata(cairo_surface_t *s, json_t *const *docs, size_t n, const char *kw)
{
	const json_t *cert = n ? json_object_get(docs[0], "certificate") : NULL;
	char *title = util_asprintf("%s %s", jstr_or(cert, "id", ""), jstr_or(cert, "title", ""));

	if (title)
		cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_TITLE, title);
	cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_AUTHOR,
				       jstr_or(json_object_get(cert, "station"), "organisation",
					       ""));
	cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATOR,
				       PACKAGE_NAME " " PACKAGE_VERSION);
	cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_SUBJECT, n > 1 ?
				       "custos certificates" : "custos certificate");
	cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_KEYWORDS, kw);
	free(title);
}

int certpdf_draw(cairo_surface_t *s, const struct cert_machine *mc, json_t *const *docs,
		 size_t n, struct layout *lay, char **cause)
{
	struct pen p = { cairo_create(s), NULL, NULL, 1, 0, lay };
	int rc = 0;

	p.layout = pango_cairo_create_layout(p.cr);
	if (mc)
		summary_page(&p, mc, docs, n);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		p.doc_index = i;
		rc = cert_page(&p, docs[i], cause);
	}
	g_object_unref(p.layout);
	if (rc == 0 && cairo_status(p.cr) != CAIRO_STATUS_SUCCESS)
		rc = util_fail(cause, -EIO, _("cairo: %s"),
			       cairo_status_to_string(cairo_status(p.cr)));
	cairo_destroy(p.cr);
	return rc;
}

static int render(const struct cert_machine *mc, json_t *const *docs, size_t n,
		  struct pdfbuf *out, struct layout *lay, char **cause)
{
	char *kw = embed_keywords(docs, n);
	cairo_surface_t *s;
	int rc;

	if (!kw)
		return util_fail(cause, -ENOMEM, _("cannot serialise the certificates"));
	s = cairo_pdf_surface_create_for_stream(certpdf_buf_write, out, PAGE_W, PAGE_H);
	set_metadata(s, docs, n, kw);
	free(kw);
	rc = certpdf_draw(s, mc, docs, n, lay, cause);
	cairo_surface_finish(s);
	if (rc == 0 && (out->failed || cairo_surface_status(s) != CAIRO_STATUS_SUCCESS))
		rc = util_fail(cause, -EIO, _("cannot produce the PDF: %s"),
			       cairo_status_to_string(cairo_surface_status(s)));
	cairo_surface_destroy(s);
	if (rc == 0 && !lay && n)
		rc = certpdf_attach(out, docs, n, cause);
	return rc;
}

static int check_docs(const struct cert_machine *mc, json_t *const *docs, size_t n,
		      char **cause)
{
	if (n == 0 && !(mc && mc->n_others))
		return util_fail(cause, -EINVAL, _("no certificate to render"));
	for (size_t i = 0; i < n; i++)
		if (!cert_doc_id(docs[i]) || !json_is_object(json_object_get(docs[i], "signature")))
			return util_fail(cause, -EINVAL, _("only signed certificates are rendered"));
	return 0;
}

static int render_many(const struct cert_machine *mc, json_t *const *docs, size_t n,
		       unsigned char **pdf, size_t *len, char **cause)
{
	struct pdfbuf b = { 0 };
	int rc = check_docs(mc, docs, n, cause);

	*pdf = NULL;
	*len = 0;
	if (rc == 0)
		rc = render(mc, docs, n, &b, NULL, cause);
	if (rc) {
		free(b.data);
		return rc;
	}
	*pdf = b.data;
	*len = b.len;
	return 0;
}

int cert_pdf_render(const json_t *doc, unsigned char **pdf, size_t *len, char **cause)
{
	json_t *docs[1] = { (json_t *)doc };

	return render_many(NULL, docs, 1, pdf, len, cause);
}

static int write_out(const char *path, unsigned char *pdf, size_t len, char **cause)
{
	int rc = util_write_file_atomic(path, pdf, len, 0640);

	free(pdf);
	return rc ? util_fail(cause, rc, _("cannot write %s"), path) : 0;
}

int cert_pdf_write(const json_t *doc, const char *path, char **cause)
{
	unsigned char *pdf;
	size_t len;
	int rc = cert_pdf_render(doc, &pdf, &len, cause);

	return rc ? rc : write_out(path, pdf, len, cause);
}

int cert_pdf_summary(const struct cert_machine *machine, json_t *const *docs, size_t n,
		     const char *path, char **cause)
{
	static const struct cert_machine none = { 0 };
	unsigned char *pdf;
	size_t len;
	int rc = render_many(machine ? machine : &none, docs, n, &pdf, &len, cause);

	return rc ? rc : write_out(path, pdf, len, cause);
}

