/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tui-register: the register browser.  A list of media with filters
 * (classification, state, text search), the history of one medium, and
 * the custody actions: issue, return, destroy with the policy's number of
 * witnesses (one comma-separated field).
 */
#include "tui.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <wchar.h>

#include "cert.h"
#include "names.h"
#include "sanitize.h"
#include "policy.h"
#include "register.h"

static const char *const class_filters[] = {
	NULL, "public", "internal", "secret", "confidential", "top-secret"
};
static const char *const state_filters[] = {
	NULL, "in-stock", "issued", "in-repair", "sanitizing", "sanitized", "awaiting-destruction",
	"scrapped", "destroyed", "lost"
};

enum reg_mode { MODE_LIST, MODE_SEARCH, MODE_HISTORY, MODE_ISSUE, MODE_DESTROY };

static const struct tui_field_spec issue_spec[] = {
	{ "to", "Issue to", TUI_FIELD_TEXT, true, 127, NULL },
};

static const struct tui_field_spec destroy_spec[] = {
	{ "method", "Method", TUI_FIELD_CHOICE, true, 0, register_destroy_method_codes },
	{ "place", "Place", TUI_FIELD_TEXT, true, 127, NULL },
	{ "witnesses", "Witnesses", TUI_FIELD_TEXT, true, 255, NULL },
	{ "note", "Note", TUI_FIELD_TEXT, false, 255, NULL },
};

static struct {
	enum reg_mode mode;
	size_t class_i, state_i;
	char search[128];
	struct register_media *all;	/* as listed by the register */
	size_t n_all;
	size_t *shown;			/* indexes into all[] passing the search */
	size_t n_shown;
	size_t cursor;
	int top;
	struct register_event *ev;	/* history of the selected medium */
	size_t n_ev;
	int hist_top;
	struct tui_form form;		/* issue or destroy */
	bool form_on;
} rb;

static bool contains(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return true;
	return n == 0;
}

static bool matches(const struct register_media *m)
{
	const char *q = rb.search;

	return !q[0] || contains(m->register_no, q) || contains(m->asset_tag, q) ||
	       contains(m->serial, q) || contains(m->custodian, q) ||
	       contains(m->department, q) || contains(m->model, q) || contains(m->holder, q);
}

static void apply_search(void)
{
	rb.n_shown = 0;
	for (size_t i = 0; i < rb.n_all; i++)
		if (matches(&rb.all[i]))
			rb.shown[rb.n_shown++] = i;
	if (rb.cursor >= rb.n_shown)
		rb.cursor = rb.n_shown ? rb.n_shown - 1 : 0;
}

static void reload(struct tui_app *app)
{
	char *cause = NULL;
	int rc;

	free(rb.all);
	free(rb.shown);
	rb.all = NULL;
	rb.shown = NULL;
	rb.n_all = rb.n_shown = 0;
	rc = register_list(app->reg, class_filters[rb.class_i], state_filters[rb.state_i],
			   &rb.all, &rb.n_all, &cause);
	if (rc < 0) {
		tui_app_message(app, true, "%s%s",
				cause && strncmp(cause, "register", 8) == 0 ? "" : "register: ",
				cause ? cause : strerror(-rc));
		free(cause);
		rb.all = NULL;
		rb.n_all = 0;
	}
	rb.shown = calloc(rb.n_all + 1, sizeof(*rb.shown));
	if (!rb.shown)
		rb.n_all = 0;
	apply_search();
}

static const struct register_media *selected(void)
{
	return rb.cursor < rb.n_shown ? &rb.all[rb.shown[rb.cursor]] : NULL;
}

/* The selected medium's register id (0 when the list is empty). */
static int64_t selected_id(void)
{
	const struct register_media *m = selected();

	return m ? m->id : 0;
}

static int reg_enter(struct tui_app *app, void *arg)
{
	(void)arg;
	if (!app->reg) {
		tui_app_message(app, true, "the register is not available");
		return -1;
	}
	rb.mode = MODE_LIST;
	rb.cursor = 0;
	rb.top = 0;
	reload(app);
	return 0;
}

static void close_form(void)
{
	if (rb.form_on)
		tui_form_free(&rb.form);
	rb.form_on = false;
}

static void reg_leave(struct tui_app *app)
{
	(void)app;
	close_form();
	register_events_free(rb.ev, rb.n_ev);
	rb.ev = NULL;
	rb.n_ev = 0;
	free(rb.all);
	free(rb.shown);
	rb.all = NULL;
	rb.shown = NULL;
	rb.n_all = rb.n_shown = 0;
}

static void draw_list(struct tui_app *app, WINDOW *win)
{
	int H = getmaxy(win), W = getmaxx(win), rows = H - 2;

	tui_putf(app, win, 0, 0, W, TUI_STYLE_HEADER,
		 "Register: class %s (f)  state %s (s)  search \"%s\"%s (/)  %zu of %zu",
		 class_filters[rb.class_i] ? class_filters[rb.class_i] : "all",
		 state_filters[rb.state_i] ? state_filters[rb.state_i] : "all", rb.search,
		 rb.mode == MODE_SEARCH ? "_" : "", rb.n_shown, rb.n_all);
	tui_putf(app, win, 1, 0, W, TUI_STYLE_HEADER, "%-9s %-12s %-10s %-12s %-10s %s",
		 "REG.NO", "CLASS", "TYPE", "STATE", "ASSET", "CUSTODIAN / HOLDER / MODEL");
	if ((int)rb.cursor < rb.top)
		rb.top = (int)rb.cursor;
	if ((int)rb.cursor >= rb.top + rows)
		rb.top = (int)rb.cursor - rows + 1;
	for (int i = 0; i < rows && rb.top + i < (int)rb.n_shown; i++) {
		const struct register_media *m = &rb.all[rb.shown[rb.top + i]];
		bool sel = (size_t)(rb.top + i) == rb.cursor;
		char cls[16], asset[16];

		tui_text_fit(m->classification[0] ? m->classification : "-", 12, true, cls,
			     sizeof(cls));
		tui_text_fit(m->asset_tag[0] ? m->asset_tag : "-", 10, true, asset, sizeof(asset));
		tui_putf(app, win, 2 + i, 0, W,
			 sel ? TUI_STYLE_SELECTED :
			 register_state_is_terminal(m->state) ? TUI_STYLE_GREY :
			 strcmp(m->state, TUI_STATE_SANITIZING) == 0 ? TUI_STYLE_WARN : TUI_STYLE_NORMAL,
			 "%-9s %s %-10s %-12s %s %s%s%s  %s %s", m->register_no, cls, m->media_type,
			 m->state, asset, m->custodian, m->holder[0] ? " / " : "", m->holder,
			 m->vendor, m->model);
	}
	if (rb.n_shown == 0)
		tui_put(app, win, 3, 2, W - 2, TUI_STYLE_GREY, "No media match.");
}

static void draw_history(struct tui_app *app, WINDOW *win)
{
	const struct register_media *m = selected();
	int H = getmaxy(win), W = getmaxx(win), y = 0;

	if (!m)
		return;
	tui_putf(app, win, y++, 0, W, TUI_STYLE_HEADER, "History of %s  %s %s  S/N %s",
		 m->register_no, m->vendor, m->model, m->serial);
	tui_putf(app, win, y++, 0, W, TUI_STYLE_NORMAL,
		 "class %s (highest %s)  state %s  custodian %s  department %s",
		 m->classification[0] ? m->classification : "-",
		 m->highest_class[0] ? m->highest_class : "-", m->state, m->custodian,
		 m->department);
	for (int i = rb.hist_top; i < (int)rb.n_ev && y < H; i++) {
		const struct register_event *e = &rb.ev[i];
		char when[UTIL_TIME_LEN];

		tui_putf(app, win, y++, 0, W, TUI_STYLE_NORMAL, "%s %-12s %-12s %s",
			 util_time_local_text(e->at, when, sizeof(when)), e->kind, e->operator_name, e->details ? e->details : "");
	}
}

static void reg_draw(struct tui_app *app, WINDOW *win)
{
	WINDOW *in;

	werase(win);
	if (rb.mode == MODE_HISTORY) {
		draw_history(app, win);
		return;
	}
	draw_list(app, win);
	if (rb.mode != MODE_ISSUE && rb.mode != MODE_DESTROY)
		return;
	in = tui_dialog_box(app, win, rb.mode == MODE_ISSUE ? 8 : 12, 66,
			    rb.mode == MODE_ISSUE ? "Issue medium" : "Record physical destruction");
	if (!in)
		return;
	if (selected())
		tui_putf(app, in, 0, 0, getmaxx(in), TUI_STYLE_NORMAL, "%s  %s %s",
			 selected()->register_no, selected()->vendor, selected()->model);
	if (rb.mode == MODE_DESTROY)
		tui_putf(app, in, 1, 0, getmaxx(in), TUI_STYLE_NORMAL,
			 "Witnesses: %u or more, separated by , or 、, none the operator",
			 policy_witnesses(app->policy));
	tui_form_draw(app, &rb.form, in, 2, 12);
	delwin(in);
}

static void load_history(struct tui_app *app)
{
	char *cause = NULL;

	register_events_free(rb.ev, rb.n_ev);
	rb.ev = NULL;
	rb.n_ev = 0;
	rb.hist_top = 0;
	if (register_history(app->reg, selected_id(), &rb.ev, &rb.n_ev, &cause) < 0) {
		tui_app_message(app, true, "history: %s", cause ? cause : "cannot be read");
		rb.ev = NULL;
		rb.n_ev = 0;
	}
	free(cause);
}

/* Report the result of a custody call and refresh what shows it. */
static unsigned done(struct tui_app *app, int rc, char *cause, const char *what)
{
	if (rc < 0)
		tui_app_message(app, true, "%s refused: %s", what, cause ? cause : strerror(-rc));
	else
		tui_app_message(app, false, "%s recorded", what);
	free(cause);
	reload(app);
	tui_media_forget();
	tui_app_lookup(app);
	return TUI_HANDLED | TUI_REDRAW;
}

static unsigned open_form(const struct tui_field_spec *spec, size_t n, enum reg_mode mode)
{
	if (!selected() || tui_form_init(&rb.form, spec, n) < 0)
		return TUI_HANDLED;
	rb.form_on = true;
	rb.mode = mode;
	return TUI_HANDLED | TUI_REDRAW;
}

static unsigned do_issue(struct tui_app *app)
{
	char *cause = NULL;
	int rc = register_issue(app->reg, selected_id(), tui_fields_get(&rb.form.fields, "to"),
				&cause);

	return done(app, rc, cause, "issue");
}

static unsigned do_destroy(struct tui_app *app)
{
	const struct tui_fields *f = &rb.form.fields;
	char **w = NULL;
	struct register_destruction d = {
		.method = tui_fields_get(f, "method"),
		.place = tui_fields_get(f, "place"),
		.note = tui_fields_get(f, "note"),
	};
	struct sanitize_destroy fd = {
		.state_dir = app->state_dir, .station = app->station, .d = &d,
	};
	struct register_media m;
	char *cause = NULL;
	int rc;

	if (!selected())
		return TUI_HANDLED;
	m = *selected();
	/* "王芳，刘强", "王芳、刘强" and "王芳, 刘强" are two people (names_split) */
	rc = names_split(tui_fields_get(f, "witnesses"), &w, &d.n_witnesses, &cause);
	if (rc < 0)
		return done(app, rc, cause, "destruction");
	d.witnesses = (const char *const *)w;
	rc = sanitize_destroy(app->policy, app->reg, &m, &fd, &cause);
	names_list_free(w, d.n_witnesses);
	if (!fd.recorded)
		return done(app, rc, cause, "destruction");
	done(app, 0, NULL, "destruction");
	if (rc < 0)
		tui_app_message(app, true, "destruction: %s", cause ? cause : strerror(-rc));
	else
		tui_app_message(app, false, "destruction recorded, certificate %s", fd.cert_id);
	free(cause);
	return TUI_HANDLED | TUI_REDRAW;
}

static unsigned form_key(struct tui_app *app, int key)
{
	unsigned r;

	if (key == 27) {
		close_form();
		rb.mode = MODE_LIST;
		return TUI_HANDLED | TUI_REDRAW;
	}
	if (key == '\r' || key == '\n' || key == (TUI_KEY_FN | KEY_ENTER)) {
		if (!tui_form_check(&rb.form))
			return TUI_HANDLED | TUI_REDRAW;
		r = rb.mode == MODE_ISSUE ? do_issue(app) : do_destroy(app);
		close_form();
		rb.mode = MODE_LIST;
		return r;
	}
	return tui_form_key(&rb.form, key) | TUI_HANDLED;
}

static unsigned search_key(struct tui_app *app, int key)
{
	size_t n = strlen(rb.search);

	(void)app;
	if (key == '\r' || key == '\n' || key == 27) {
		if (key == 27)
			rb.search[0] = '\0';
		rb.mode = MODE_LIST;
	} else if (key == 127 || key == '\b' || key == (TUI_KEY_FN | KEY_BACKSPACE)) {
		while (n > 0 && ((unsigned char)rb.search[n - 1] & 0xC0) == 0x80)
			n--;
		rb.search[n ? n - 1 : 0] = '\0';
	} else if (!(key & TUI_KEY_FN) && key >= 32 && n + 5 < sizeof(rb.search)) {
		char mb[8];
		mbstate_t st;
		size_t k;

		memset(&st, 0, sizeof(st));
		k = wcrtomb(mb, (wchar_t)key, &st);
		if (k != (size_t)-1) {
			memcpy(rb.search + n, mb, k);
			rb.search[n + k] = '\0';
		}
	}
	apply_search();
	return TUI_HANDLED | TUI_REDRAW;
}

static unsigned list_move(int delta)
{
	long c = (long)rb.cursor + delta;

	if (c >= (long)rb.n_shown)
		c = (long)rb.n_shown - 1;
	if (c < 0)
		c = 0;
	rb.cursor = (size_t)c;
	return TUI_HANDLED | TUI_REDRAW;
}

static unsigned list_key(struct tui_app *app, int key)
{
	char *cause = NULL;

	switch (key) {
	case TUI_KEY_FN | KEY_UP: case 'k': return list_move(-1);
	case TUI_KEY_FN | KEY_DOWN: case 'j': return list_move(1);
	case TUI_KEY_FN | KEY_PPAGE: return list_move(-10);
	case TUI_KEY_FN | KEY_NPAGE: return list_move(10);
	case 'f':
		rb.class_i = (rb.class_i + 1) % UTIL_ARRAY_SIZE(class_filters);
		reload(app);
		return TUI_HANDLED | TUI_REDRAW;
	case 's':
		rb.state_i = (rb.state_i + 1) % UTIL_ARRAY_SIZE(state_filters);
		reload(app);
		return TUI_HANDLED | TUI_REDRAW;
	case '/':
		rb.mode = MODE_SEARCH;
		return TUI_HANDLED | TUI_REDRAW;
	case '\r': case '\n': case TUI_KEY_FN | KEY_ENTER: case 'h':
		if (!selected())
			return TUI_HANDLED;
		load_history(app);
		rb.mode = MODE_HISTORY;
		return TUI_HANDLED | TUI_REDRAW;
	case TUI_FKEY(2): case 'i':
		return open_form(issue_spec, UTIL_ARRAY_SIZE(issue_spec), MODE_ISSUE);
	case TUI_FKEY(3): case 't':
		if (!selected())
			return TUI_HANDLED;
		return done(app, register_return(app->reg, selected_id(), &cause), cause,
			    "return");
	case TUI_FKEY(4): case 'd':
		return open_form(destroy_spec, UTIL_ARRAY_SIZE(destroy_spec), MODE_DESTROY);
	case 27: case TUI_FKEY(5): case 'q':
		return TUI_HANDLED | TUI_CLOSE;
	default:
		return TUI_IGNORED;
	}
}

static unsigned reg_key(struct tui_app *app, int key)
{
	switch (rb.mode) {
	case MODE_SEARCH:
		return search_key(app, key);
	case MODE_ISSUE:
	case MODE_DESTROY:
		return form_key(app, key);
	case MODE_HISTORY:
		if (key == (TUI_KEY_FN | KEY_DOWN) && rb.hist_top + 1 < (int)rb.n_ev)
			rb.hist_top++;
		else if (key == (TUI_KEY_FN | KEY_UP) && rb.hist_top > 0)
			rb.hist_top--;
		else if (key == 27 || key == 'q' || key == '\r' || key == '\n')
			rb.mode = MODE_LIST;
		return TUI_HANDLED | TUI_REDRAW;
	case MODE_LIST:
		break;
	}
	return list_key(app, key);
}

static const struct tui_keyhelp reg_keys[] = {
	{ "F5", "Esc", "Back", "back to the media screen (also q)" },
	{ NULL, "Enter", "History", "the selected medium's events (also h)" },
	{ "F2", "i", "Issue", "issue the medium to a person" },
	{ "F3", "t", "Return", "record its return (from a person, repair, or found)" },
	{ "F4", "d", "Destroy", "record physical destruction, with the witnesses" },
	{ NULL, "f", "Class", "filter by classification (cycles)", true },
	{ NULL, "s", "State", "filter by state (cycles)", true },
	{ NULL, "/", "Search", "text search: register no, tag, serial, names", true },
	{ NULL, NULL, NULL, NULL, false },
};

const struct tui_screen tui_screen_register = {
	.name = "register",
	.enter = reg_enter,
	.leave = reg_leave,
	.draw = reg_draw,
	.key = reg_key,
	.keys = reg_keys,
};
