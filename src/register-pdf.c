/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * register-pdf: the inventory of the central register (counts of media by
 * classification, state and station) as an A4 PDF for the quarterly
 * confidentiality review, drawn with cairo and pango like certpdf.c.
 */
#include "register-central.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cairo-pdf.h>
#include <cairo.h>
#include <pango/pangocairo.h>

#include "util.h"
#include "values.h"

#define INV_FONT "WenQuanYi Micro Hei, Noto Sans CJK SC, sans-serif"
#define PAGE_W 595.28		/* A4 in points */
#define PAGE_H 841.89
#define MARGIN 56.0
#define ROW_H 18.0

struct pen {
	cairo_t *cr;
	PangoLayout *layout;
};

static void text_at(struct pen *p, const char *text, double size, bool bold, double x, double y)
{
	PangoFontDescription *fd = pango_font_description_new();

	pango_font_description_set_family(fd, INV_FONT);
	pango_font_description_set_absolute_size(fd, size * PANGO_SCALE);
	pango_font_description_set_weight(fd, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
	pango_layout_set_font_description(p->layout, fd);
	pango_font_description_free(fd);
	pango_layout_set_text(p->layout, text, -1);
	cairo_move_to(p->cr, x, y);
	pango_cairo_show_layout(p->cr, p->layout);
}

static const double col_x[4] = { MARGIN, MARGIN + 130, MARGIN + 290, MARGIN + 420 };

static void header_row(struct pen *p, double y)
{
	static const char *const head[4] = { "密级 Classification", "状态 State",
					     "工作站 Station", "数量 Media" };

	for (int i = 0; i < 4; i++)
		text_at(p, head[i], 10, true, col_x[i], y);
	cairo_move_to(p->cr, MARGIN, y + ROW_H - 2);
	cairo_line_to(p->cr, PAGE_W - MARGIN, y + ROW_H - 2);
	cairo_set_line_width(p->cr, 0.5);
	cairo_stroke(p->cr);
}

static void draw(struct pen *p, json_t *inv, const char *org)
{
	char title[256], when[40], when_zh[64], stamp[160], total[64];
	int64_t now = util_unix_now();
	json_int_t sum = 0;
	double y = MARGIN;
	size_t i;
	json_t *o;

	util_time_local_zh(now, when_zh, sizeof(when_zh));
	util_time_local(now, when, sizeof(when));
	snprintf(title, sizeof(title), "%s 涉密载体清查表 Media inventory", org ? org : "");
	text_at(p, title, 16, true, MARGIN, y);
	y += 26;
	snprintf(stamp, sizeof(stamp), "制表时间 Made %s (%s)", when_zh, when);
	text_at(p, stamp, 9, false, MARGIN, y);
	y += 24;
	header_row(p, y);
	y += ROW_H + 2;
	json_array_foreach(inv, i, o) {
		const char *f[4] = { "classification", "state", "station", "media" };

		if (y > PAGE_H - MARGIN - ROW_H) {
			cairo_show_page(p->cr);
			y = MARGIN;
			header_row(p, y);
			y += ROW_H + 2;
		}
		for (int k = 0; k < 4; k++) {
			const char *v = json_string_value(json_object_get(o, f[k]));
			/* codes in Chinese with the English, as on certificates */
			char *both = k < 2 ? values_bilingual(k == 0 ? VALUE_LEVEL : VALUE_STATE, v) :
				     NULL;

			text_at(p, both ? both : v && *v ? v : "-", k < 2 ? 9 : 10, false, col_x[k], y);
			free(both);
		}
		sum += strtoll(json_string_value(json_object_get(o, "media")) ?: "0", NULL, 10);
		y += ROW_H;
	}
	snprintf(total, sizeof(total), "合计 Total: %lld", (long long)sum);
	text_at(p, total, 11, true, col_x[3] - 60, y + 8);
}

int register_inventory_pdf(json_t *inv, const char *org, const char *path, char **cause)
{
	cairo_surface_t *s = cairo_pdf_surface_create(path, PAGE_W, PAGE_H);
	struct pen p = { NULL, NULL };
	cairo_status_t st;

	if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
		cairo_surface_destroy(s);
		return util_fail(cause, -EIO, _("cannot create %s"), path);
	}
	p.cr = cairo_create(s);
	p.layout = pango_cairo_create_layout(p.cr);
	cairo_set_source_rgb(p.cr, 0, 0, 0);
	draw(&p, inv, org);
	cairo_show_page(p.cr);
	g_object_unref(p.layout);
	cairo_destroy(p.cr);
	cairo_surface_finish(s);
	st = cairo_surface_status(s);
	cairo_surface_destroy(s);
	if (st != CAIRO_STATUS_SUCCESS)
		return util_fail(cause, -EIO, _("cannot write %s: %s"), path,
				 cairo_status_to_string(st));
	return 0;
}
