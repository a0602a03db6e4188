/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tui-confirm: a yes/no question over the current screen. */
#include "tui.h"
#include "i18n.h"

#include <string.h>

static const struct tui_confirm *question;

static int confirm_enter(struct tui_app *app, void *arg)
{
	(void)app;
	question = arg;
	return question ? 0 : -1;
}

/* Word-wrap @text into @win from line @y; returns the next free line. */
int tui_wrap(struct tui_app *app, WINDOW *win, int y, enum tui_style style, const char *text)
{
	int W = getmaxx(win);
	char line[512];

	while (*text && y < getmaxy(win)) {
		size_t n = strlen(text), cut = n;

		if (tui_text_width(text) > W) {
			/* the last space before the edge, else a hard cut */
			size_t k = tui_text_cut(text, W);

			cut = k;
			if (text[k] != ' ')
				while (cut > 0 && text[cut - 1] != ' ')
					cut--;
			if (cut == 0)
				cut = k ? k : 1;
		}
		if (cut >= sizeof(line))
			cut = sizeof(line) - 1;
		memcpy(line, text, cut);
		line[cut] = '\0';
		tui_put(app, win, y++, 0, W, style, line);
		text += cut;
		while (*text == ' ')
			text++;
	}
	return y;
}

static void confirm_draw(struct tui_app *app, WINDOW *win)
{
	WINDOW *in = tui_dialog_box(app, win, 9, 64, _(question->title));
	int y;

	if (!in)
		return;
	y = tui_wrap(app, in, 0, TUI_STYLE_NORMAL, _(question->text));
	tui_put(app, in, y + 1, 0, getmaxx(in), TUI_STYLE_WARN, _("y = yes,  n or Esc = no"));
	delwin(in);
}

static unsigned confirm_key(struct tui_app *app, int key)
{
	switch (key) {
	case 'y': case 'Y':
		return TUI_HANDLED | TUI_CLOSE | question->yes(app);
	case 'n': case 'N': case 27: case 'q':
		return TUI_HANDLED | TUI_CLOSE;
	default:
		return TUI_HANDLED;
	}
}

static const struct tui_keyhelp confirm_keys[] = {
	{ NULL, "y", N_("Yes"), N_("answer yes") },
	{ NULL, "n", N_("No"), N_("answer no (also Esc)") },
	{ NULL, NULL, NULL, NULL, false },
};

const struct tui_screen tui_screen_confirm = {
	.name = "confirm",
	.dialog = true,
	.enter = confirm_enter,
	.draw = confirm_draw,
	.key = confirm_key,
	.keys = confirm_keys,
};

/* --- notice: a message too long for the message line ------------------ */

static char notice[256];

static int notice_enter(struct tui_app *app, void *arg)
{
	(void)app;
	util_strlcpy(notice, arg, sizeof(notice));
	return 0;
}

static void notice_draw(struct tui_app *app, WINDOW *win)
{
	WINDOW *in = tui_dialog_box(app, win, 9, 64, _("Error"));
	int y;

	if (!in)
		return;
	y = tui_wrap(app, in, 0, TUI_STYLE_BAD, notice);
	tui_put(app, in, y + 1, 0, getmaxx(in), TUI_STYLE_GREY, _("Any key closes."));
	delwin(in);
}

static unsigned notice_key(struct tui_app *app, int key)
{
	(void)app;
	(void)key;
	return TUI_HANDLED | TUI_CLOSE;
}

static const struct tui_keyhelp notice_keys[] = {
	{ NULL, "any key", N_("Close"), N_("close the message") },
	{ NULL, NULL, NULL, NULL, false },
};

const struct tui_screen tui_screen_notice = {
	.name = "notice",
	.dialog = true,
	.enter = notice_enter,
	.draw = notice_draw,
	.key = notice_key,
	.keys = notice_keys,
};
