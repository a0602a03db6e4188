/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CUSTOS_CERTPDF_PRIVATE_H
#define CUSTOS_CERTPDF_PRIVATE_H

/*
 * What the PDF files of cert share: certpdf.c draws, certpdf-embed.c
 * attaches the signed documents and finds them again, certpdf-check.c
 * reads a drawn page and QR codes back.
 */

#include <stdbool.h>
#include <stddef.h>

#include <cairo.h>
#include <jansson.h>

#include "cert.h"

#define PAGE_W 595.28		/* A4 in points */
#define PAGE_H 841.89
#define EMBED_TAG "CUSTOS-CERT-1 "

/* A PDF growing in memory (cairo's stream writes to it). */
struct pdfbuf {
	unsigned char *data;
	size_t len;
	size_t cap;
	bool failed;
};

cairo_status_t certpdf_buf_write(void *closure, const unsigned char *data, unsigned int len);

/* Where a value was drawn: the drawn-page check reads the text back there. */
struct spot {
	int sheet;		/* page of the PDF, from 0 */
	double x, y, w, h;	/* the cell, in points from the top left */
	const char *field;	/* the row's English label (static) */
	char *text;		/* what was drawn (malloc'd) */
	size_t doc;		/* index of the document drawn */
	bool label;		/* a field's label (fixed text), not its value */
};

struct layout {
	struct spot *spots;
	size_t n, cap;
	bool failed;
};

void certpdf_layout_free(struct layout *l);

/* Draw the pages on @s (a summary page first when @mc); record where each
 * value goes in @lay when not NULL. */
int certpdf_draw(cairo_surface_t *s, const struct cert_machine *mc, json_t *const *docs,
		 size_t n, struct layout *lay, char **cause);

/* A poppler document over @len bytes at @data (which must outlive it);
 * NULL with a cause when it is no readable PDF. */
struct _PopplerDocument;
struct _PopplerDocument *certpdf_poppler_open(const char *data, size_t len, char **cause);

/* Append the attachments and XMP metadata to cairo's PDF in @b. */
int certpdf_attach(struct pdfbuf *b, json_t *const *docs, size_t n, char **cause);

#endif
