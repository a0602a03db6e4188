/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tui-help: every key of every screen, read from the screens' own key
 * tables so the help cannot disagree with them.
 */
#include "tui.h"

#include "i18n.h"

static const struct {
	const char *title;
	const struct tui_screen *screen;
} sections[] = {
	{ N_("Media (main screen)"), &tui_screen_media },
	{ N_("Enrol form"), &tui_screen_enroll },
	{ N_("Sanitize dialog"), &tui_screen_sanitize },
	{ N_("Certificate"), &tui_screen_cert },
	{ N_("Register browser"), &tui_screen_register },
	{ N_("Help"), &tui_screen_help },
};

static int help_top;

static int help_enter(struct tui_app *app, void *arg)
{
	(void)app;
	(void)arg;
	help_top = 0;
	return 0;
}

/* Draw (or, with @win NULL, count) the help lines from line @first. */
static int help_lines(struct tui_app *app, WINDOW *win, int first)
{
	int y = 0, H = win ? getmaxy(win) : 0, W = win ? getmaxx(win) : 0, n = 0;

	for (size_t s = 0; s < UTIL_ARRAY_SIZE(sections); s++) {
		const struct tui_keyhelp *k = sections[s].screen->keys;

		if (win && n >= first && y < H)
			tui_put(app, win, y++, 0, W, TUI_STYLE_HEADER, _(sections[s].title));
		n++;
		for (; k && k->label; k++, n++) {
			char key[32];

			if (!win || n < first || y >= H)
				continue;
			snprintf(key, sizeof(key), "%s%s%s", k->fkey ? k->fkey : "",
				 k->fkey && k->key ? ", " : "", k->key ? k->key : "");
			/* the screens' key tables are marked N_() in their files */
			tui_put(app, win, y, 2, 14, TUI_STYLE_BAR_KEY, key);
			tui_put(app, win, y, 17, 11, TUI_STYLE_NORMAL, _(k->label));
			tui_put(app, win, y++, 28, W - 28, TUI_STYLE_NORMAL,
				k->help ? _(k->help) : "");
		}
		if (win && n >= first && y < H)
			y++;
		n++;
	}
	return n;
}

static void help_draw(struct tui_app *app, WINDOW *win)
{
	WINDOW *in = tui_dialog_box(app, win, getmaxy(win), getmaxx(win),
				    _("Keys (F-keys and letters do the same)"));

	if (!in)
		return;
	help_lines(app, in, help_top);
	delwin(in);
}

static unsigned help_key(struct tui_app *app, int key)
{
	int total = help_lines(app, NULL, 0);

	switch (key) {
	case TUI_KEY_FN | KEY_UP: case 'k':
		help_top = help_top > 0 ? help_top - 1 : 0;
		return TUI_HANDLED | TUI_REDRAW;
	case TUI_KEY_FN | KEY_DOWN: case 'j': case ' ':
		help_top = help_top + 1 < total ? help_top + 1 : help_top;
		return TUI_HANDLED | TUI_REDRAW;
	case TUI_KEY_FN | KEY_PPAGE:
		help_top = help_top > 10 ? help_top - 10 : 0;
		return TUI_HANDLED | TUI_REDRAW;
	case TUI_KEY_FN | KEY_NPAGE:
		help_top = help_top + 10 < total ? help_top + 10 : help_top;
		return TUI_HANDLED | TUI_REDRAW;
	case 27: case 'q': case TUI_FKEY(1): case TUI_FKEY(10): case '?': case '\r': case '\n':
		return TUI_HANDLED | TUI_CLOSE;
	default:
		return TUI_HANDLED;
	}
}

static const struct tui_keyhelp help_keys[] = {
	{ NULL, "Esc", N_("Close"), N_("close this screen (also q, F1, Enter)") },
	{ NULL, "Up/Down", N_("Scroll"), N_("scroll this list (also PgUp, PgDn, j, k)") },
	{ NULL, "^L", N_("Repaint"), N_("repaint the screen (any screen)"), true },
	{ NULL, NULL, NULL, NULL, false },
};

const struct tui_screen tui_screen_help = {
	.name = "help",
	.dialog = true,
	.enter = help_enter,
	.draw = help_draw,
	.key = help_key,
	.keys = help_keys,
};
