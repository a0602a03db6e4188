/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tui-form: a small form widget over struct tui_fields: one line per
 * field, a label and its value; text fields take UTF-8 input, choice
 * fields cycle with Left/Right or Space.
 */
#include "tui.h"
#include "i18n.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

int tui_form_init(struct tui_form *form, const struct tui_field_spec *spec, size_t n)
{
	memset(form, 0, sizeof(*form));
	form->error_field = -1;
	return tui_fields_init(&form->fields, spec, n);
}

void tui_form_free(struct tui_form *form)
{
	tui_fields_free(&form->fields);
}

void tui_form_draw(struct tui_app *app, struct tui_form *form, WINDOW *win, int y, int label_w)
{
	int W = getmaxx(win), vw = W - label_w - 1, room = getmaxy(win) - y - 2;
	size_t first = 0;

	/* more fields than lines: keep the focused one in view */
	if (room > 0 && form->fields.n > (size_t)room && form->cur >= (size_t)room)
		first = form->cur - (size_t)room + 1;
	for (size_t i = first; i < form->fields.n && y < getmaxy(win); i++, y++) {
		const struct tui_field_spec *s = &form->fields.spec[i];
		bool focus = i == form->cur;
		char text[TUI_FIELD_MAX + 16];

		tui_putf(app, win, y, 0, label_w, (int)i == form->error_field ? TUI_STYLE_BAD :
			 focus ? TUI_STYLE_HEADER : TUI_STYLE_NORMAL, "%s%s", _(s->label),
			 s->required ? " *" : "");
		if (s->kind == TUI_FIELD_CHOICE)
			snprintf(text, sizeof(text), "< %s >",
				 _(i18n_value(form->fields.value[i])));
		else
			snprintf(text, sizeof(text), "%s%s", form->fields.value[i], focus ? "_" : "");
		if (s->kind == TUI_FIELD_TEXT && tui_text_width(text) > vw) {
			/* show the end of a long value, where the typing happens */
			const char *t = text;

			while (*t && tui_text_width(t) > vw)
				t++;
			while (((unsigned char)*t & 0xC0) == 0x80)
				t++;
			tui_put(app, win, y, label_w + 1, vw,
				focus ? TUI_STYLE_FIELD : TUI_STYLE_NORMAL, t);
			continue;
		}
		tui_put(app, win, y, label_w + 1, vw, focus ? TUI_STYLE_FIELD : TUI_STYLE_NORMAL,
			text);
	}
	if (form->error && form->error_field >= 0 && y + 1 < getmaxy(win))
		tui_putf(app, win, y + 1, 0, W, TUI_STYLE_BAD, "%s %s",
			 _(form->fields.spec[form->error_field].label), _(form->error));
}

static unsigned form_move(struct tui_form *form, int dir)
{
	size_t n = form->fields.n;

	if (n)
		form->cur = (form->cur + n + (dir < 0 ? n - 1 : 1)) % n;
	return TUI_HANDLED | TUI_REDRAW;
}

/* Append the typed character @key to the focused text field. */
static unsigned form_type(struct tui_form *form, int key)
{
	char mb[MB_LEN_MAX + 1];
	mbstate_t st;
	size_t k;

	/* C1 control characters (U+0080-U+009F) never enter a field */
	if (key >= 0x80 && key <= 0x9f) {
		beep();
		return TUI_HANDLED;
	}
	memset(&st, 0, sizeof(st));
	k = wcrtomb(mb, (wchar_t)key, &st);
	if (k == (size_t)-1)
		return TUI_HANDLED;
	mb[k] = '\0';
	if (tui_fields_append(&form->fields, form->cur, mb) == -ENOSPC)
		beep();
	return TUI_HANDLED | TUI_REDRAW;
}

unsigned tui_form_key(struct tui_form *form, int key)
{
	const struct tui_field_spec *s;

	if (form->fields.n == 0)
		return TUI_IGNORED;
	s = &form->fields.spec[form->cur];
	switch (key) {
	case TUI_KEY_FN | KEY_UP:
	case TUI_KEY_FN | KEY_BTAB:
		return form_move(form, -1);
	case TUI_KEY_FN | KEY_DOWN:
	case '\t':
		return form_move(form, 1);
	case TUI_KEY_FN | KEY_LEFT:
		tui_fields_cycle(&form->fields, form->cur, -1);
		return TUI_HANDLED | TUI_REDRAW;
	case TUI_KEY_FN | KEY_RIGHT:
		tui_fields_cycle(&form->fields, form->cur, 1);
		return TUI_HANDLED | TUI_REDRAW;
	case TUI_KEY_FN | KEY_BACKSPACE:
	case 127:
	case '\b':
		tui_fields_backspace(&form->fields, form->cur);
		return TUI_HANDLED | TUI_REDRAW;
	default:
		break;
	}
	if ((key & TUI_KEY_FN) || key < 32 || key == 127)
		return TUI_IGNORED;
	if (s->kind == TUI_FIELD_CHOICE) {
		if (key == ' ')
			tui_fields_cycle(&form->fields, form->cur, 1);
		return TUI_HANDLED | TUI_REDRAW;
	}
	return form_type(form, key);
}

/* The first text field that is not valid UTF-8 without control
 * characters (pasted or typed in a foreign locale), or -1. */
static int first_bad_text(const struct tui_form *form)
{
	for (size_t i = 0; i < form->fields.n; i++)
		if (form->fields.spec[i].kind == TUI_FIELD_TEXT &&
		    !util_text_valid(form->fields.value[i], NULL))
			return (int)i;
	return -1;
}

bool tui_form_check(struct tui_form *form)
{
	int bad = tui_fields_validate(&form->fields, &form->error);

	/* what was typed stays in the field, for the person to correct */
	if (bad < 0) {
		bad = first_bad_text(form);
		if (bad >= 0)
			form->error = N_("holds invalid UTF-8 or a control character: correct it");
	}
	form->error_field = bad;
	if (bad < 0)
		return true;
	form->cur = (size_t)bad;
	return false;
}
