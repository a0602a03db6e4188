/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tui-register: the register browser.  A list of media with filters
 * (classification, state, text search), the history of one medium, and
 * the custody actions: issue, return, destroy with the policy's number of
 * witnesses (one comma-separated field).
 */
#include "tui.h"
#include "i18n.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <wchar.h>

#include "cert.h"
#include "names.h"
#include "sanitize.h"
#include "policy.h"
#include "register.h"
#include "staff.h"

static const char *const class_filters[] = {
	NULL, "public", "internal", "secret", "confidential", "top-secret"
};
static const char *const state_filters[] = {
	NULL, "in-stock", "issued", "in-repair", "sanitizing", "sanitized", "awaiting-destruction",
	"scrapped", "destroyed", "lost"
};

enum reg_mode { MODE_LIST, MODE_SEARCH, MODE_HISTORY, MODE_ISSUE, MODE_DESTROY };

static const struct tui_field_spec issue_spec[] = {
	{ "to", N_("Issue to"), TUI_FIELD_TEXT, true, 127, NULL },
};

static const struct tui_field_spec destroy_spec[] = {
	{ "method", N_("Method"), TUI_FIELD_CHOICE, true, 0, register_destroy_method_codes },
	{ "place", N_("Place"), TUI_FIELD_TEXT, true, 127, NULL },
	{ "witnesses", N_("Witnesses"), TUI_FIELD_TEXT, true, 255, NULL },
	{ "validator", N_("Validator"), TUI_FIELD_TEXT, false, 127, NULL },
	{ "note", N_("Note"), TUI_FIELD_TEXT, false, 255, NULL },
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

static bool passes_filters(const struct register_media *m)
{
	return (!class_filters[rb.class_i] || strcmp(m->classification,
						     class_filters[rb.class_i]) == 0) &&
	       (!state_filters[rb.state_i] || strcmp(m->state, state_filters[rb.state_i]) == 0);
}

/* The media plugged in here that only the central register knows (other
 * stations enrolled them) follow this station's own: custody on one of
 * them receives it here first (receive_selected()). */
static void add_central(struct tui_app *app)
{
	struct register_media *grown;

	for (size_t i = 0; app->central && i < app->n_devs; i++) {
		const struct register_media *c = &app->central[i];
		bool seen = false;

		if (!c->central_station[0] || !passes_filters(c))
			continue;
		for (size_t k = 0; k < rb.n_all && !seen; k++)
			seen = rb.all[k].id <= 0 && rb.all[k].central_id == c->central_id &&
			       strcmp(rb.all[k].central_station, c->central_station) == 0;
		if (seen)
			continue;
		grown = realloc(rb.all, (rb.n_all + 1) * sizeof(*grown));
		if (!grown)
			return;
		rb.all = grown;
		rb.all[rb.n_all++] = *c;
	}
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
		tui_app_message(app, true, _("%s%s"),
				cause && strncmp(cause, "register", 8) == 0 ? "" : "register: ",
				cause ? cause : strerror(-rc));
		free(cause);
		rb.all = NULL;
		rb.n_all = 0;
	}
	add_central(app);
	rb.shown = calloc(rb.n_all + 1, sizeof(*rb.shown));
	if (!rb.shown)
		rb.n_all = 0;
	apply_search();
}

static struct register_media *selected(void)
{
	return rb.cursor < rb.n_shown ? &rb.all[rb.shown[rb.cursor]] : NULL;
}

/* What the note after a custody action adds: "" or how it was received. */
static char received_note[192];

/* Before anything is recorded about a medium only the central register
 * knows: receive it into this station's register (as the CLI does), so
 * the action joins its one history with its real classification.  True
 * when the selected medium is (now) a row of this station's register. */
static bool receive_selected(struct tui_app *app)
{
	struct register_media *m = selected();
	char from[128];

	received_note[0] = '\0';
	if (!m)
		return false;
	if (m->id > 0)
		return true;
	util_strlcpy(from, m->central_station, sizeof(from));
	if (tui_app_receive(app, m) < 0)
		return false;
	snprintf(received_note, sizeof(received_note), _(" (enrolled at station %s: received "
		 "here as %s)"), from, m->register_no);
	return true;
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
		tui_app_message(app, true, _("the register is not available"));
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

/* The register list's columns: widths in terminal columns (double-width
 * text counted twice), the last takes the rest; "awaiting-destruction"
 * fits its column. */
#define LIST_COLS 6
static const int list_widths[LIST_COLS - 1] = { 9, 12, 10, 20, 10 };
static const char *const list_titles[LIST_COLS] = {
	N_("REG.NO"), N_("CLASS"), N_("TYPE"), N_("STATE"), N_("ASSET"),
	N_("CUSTODIAN / HOLDER / MODEL"),
};

static void list_line(struct tui_app *app, WINDOW *win, int y, int W, enum tui_style style,
		      const char *const *cells)
{
	char line[1024], cell[256];
	size_t pos = 0;

	line[0] = '\0';
	for (int i = 0; i < LIST_COLS; i++) {
		const char *t = style == TUI_STYLE_HEADER ? _(cells[i]) : cells[i];

		if (i < LIST_COLS - 1)
			tui_text_fit(t, list_widths[i], true, cell, sizeof(cell));
		else
			util_strlcpy(cell, t, sizeof(cell));
		pos += (size_t)snprintf(line + pos, sizeof(line) - pos, "%s%s", i ? " " : "", cell);
		if (pos >= sizeof(line))
			break;
	}
	tui_put(app, win, y, 0, W, style, line);
}

static void draw_list(struct tui_app *app, WINDOW *win)
{
	int H = getmaxy(win), W = getmaxx(win), rows = H - 2;

	tui_putf(app, win, 0, 0, W, TUI_STYLE_HEADER,
		 _("Register: class %s (f)  state %s (s)  search \"%s\"%s (/)  %zu of %zu"),
		 class_filters[rb.class_i] ? i18n_value(class_filters[rb.class_i]) : _("all"),
		 state_filters[rb.state_i] ? i18n_value(state_filters[rb.state_i]) : _("all"),
		 rb.search,
		 rb.mode == MODE_SEARCH ? "_" : "", rb.n_shown, rb.n_all);
	list_line(app, win, 1, W, TUI_STYLE_HEADER, list_titles);
	if ((int)rb.cursor < rb.top)
		rb.top = (int)rb.cursor;
	if ((int)rb.cursor >= rb.top + rows)
		rb.top = (int)rb.cursor - rows + 1;
	for (int i = 0; i < rows && rb.top + i < (int)rb.n_shown; i++) {
		const struct register_media *m = &rb.all[rb.shown[rb.top + i]];
		bool sel = (size_t)(rb.top + i) == rb.cursor;
		char rest[512];
		const char *cells[LIST_COLS];

		if (m->id <= 0 && m->central_station[0])
			/* "@WS-A": enrolled there (the central register) */
			snprintf(rest, sizeof(rest), "@%s %s%s%s", m->central_station,
				 m->custodian, m->holder[0] ? " / " : "", m->holder);
		else
			snprintf(rest, sizeof(rest), "%s%s%s  %s %s", m->custodian,
				 m->holder[0] ? " / " : "", m->holder, m->vendor, m->model);
		cells[0] = m->register_no;
		cells[1] = m->classification[0] ? i18n_value(m->classification) : "-";
		cells[2] = i18n_value(m->media_type);
		cells[3] = i18n_value(m->state);
		cells[4] = m->asset_tag[0] ? m->asset_tag : "-";
		cells[5] = rest;
		list_line(app, win, 2 + i, W,
			  sel ? TUI_STYLE_SELECTED :
			  register_state_is_terminal(m->state) ? TUI_STYLE_GREY :
			  strcmp(m->state, TUI_STATE_SANITIZING) == 0 ? TUI_STYLE_WARN :
			  TUI_STYLE_NORMAL, cells);
	}
	if (rb.n_shown == 0)
		tui_put(app, win, 3, 2, W - 2, TUI_STYLE_GREY, _("No media match."));
}

static void draw_history(struct tui_app *app, WINDOW *win)
{
	const struct register_media *m = selected();
	int H = getmaxy(win), W = getmaxx(win), y = 0;

	if (!m)
		return;
	tui_putf(app, win, y++, 0, W, TUI_STYLE_HEADER, _("History of %s  %s %s  S/N %s"),
		 m->register_no, m->vendor, m->model, m->serial);
	tui_putf(app, win, y++, 0, W, TUI_STYLE_NORMAL,
		 _("class %s (highest %s)  state %s  custodian %s  department %s"),
		 m->classification[0] ? i18n_value(m->classification) : "-",
		 m->highest_class[0] ? i18n_value(m->highest_class) : "-", i18n_value(m->state),
		 m->custodian,
		 m->department);
	for (int i = rb.hist_top; i < (int)rb.n_ev && y < H; i++) {
		const struct register_event *e = &rb.ev[i];
		char when[UTIL_TIME_LEN];

		char text[512];

		tui_event_text(e->details, text, sizeof(text));
		tui_putf(app, win, y++, 0, W, TUI_STYLE_NORMAL, "%s  %s  %s  %s",
			 util_time_local_text(e->at, when, sizeof(when)), i18n_value(e->kind),
			 e->operator_name,
			 text);
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
	in = tui_dialog_box(app, win, rb.mode == MODE_ISSUE ? 8 : 13, 66,
			    rb.mode == MODE_ISSUE ? _("Issue medium") :
			    _("Record physical destruction"));
	if (!in)
		return;
	if (selected())
		tui_putf(app, in, 0, 0, getmaxx(in), TUI_STYLE_NORMAL, "%s  %s %s",
			 selected()->register_no, selected()->vendor, selected()->model);
	if (rb.mode == MODE_DESTROY)
		tui_putf(app, in, 1, 0, getmaxx(in), TUI_STYLE_NORMAL,
			 _("Witnesses: %u or more, separated by , or 、, none the operator"),
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
		tui_app_message(app, true, _("history: %s"), cause ? cause : "cannot be read");
		rb.ev = NULL;
		rb.n_ev = 0;
	}
	free(cause);
}

/* Report the result of a custody call and refresh what shows it. */
static unsigned done(struct tui_app *app, int rc, char *cause, const char *what)
{
	if (rc < 0)
		tui_app_message(app, true, _("%s refused: %s"), what, cause ? cause : strerror(-rc));
	else
		tui_app_message(app, false, _("%s recorded%s"), what, received_note);
	free(cause);
	received_note[0] = '\0';
	/* a station with a central register sends what it wrote (the
	 * receipt too when the action itself was refused) */
	tui_app_push_central(app);
	reload(app);
	tui_media_forget();
	tui_app_lookup(app);
	return TUI_HANDLED | TUI_REDRAW;
}

static unsigned open_form(struct tui_app *app, const struct tui_field_spec *spec, size_t n,
			  enum reg_mode mode)
{
	if (!selected() || !tui_people_acting(app) || tui_form_init(&rb.form, spec, n) < 0)
		return TUI_HANDLED | TUI_REDRAW;
	rb.form_on = true;
	rb.mode = mode;
	return TUI_HANDLED | TUI_REDRAW;
}

/* A refusal keeps the form as typed, the focus on the field at fault
 * (the field whose key the cause names, else the message line alone). */
static bool form_refused(struct tui_app *app, int rc, char *cause, const char *what,
			 const char *field)
{
	static char why[256];

	util_strlcpy(why, cause ? cause : strerror(-rc), sizeof(why));
	free(cause);
	if (received_note[0])	/* the receipt was recorded: send it */
		tui_app_push_central(app);
	received_note[0] = '\0';
	tui_app_message(app, true, _("%s refused: %s"), what, why);
	rb.form.error = why;
	rb.form.error_field = -1;
	for (size_t i = 0; field && i < rb.form.fields.n; i++)
		if (strcmp(rb.form.fields.spec[i].key, field) == 0) {
			rb.form.cur = i;
			rb.form.error_field = (int)i;
		}
	return false;
}

/* The field a library refusal is about, from its words: in English or
 * in the terms of docs/TERMINOLOGY.md the Chinese messages use. */
static const char *fault_field(const char *cause)
{
	static const struct {
		const char *en, *zh, *field;
	} words[] = {
		{ "witness", "监销人", "witnesses" },
		{ "validator", "审核人", "validator" },
		{ "place", "地点", "place" },
		{ "method", "方式", "method" },
	};

	for (size_t i = 0; cause && i < UTIL_ARRAY_SIZE(words); i++)
		if (strstr(cause, words[i].en) || strstr(cause, words[i].zh))
			return words[i].field;
	return NULL;
}

static bool do_issue(struct tui_app *app)
{
	const char *to = tui_fields_get(&rb.form.fields, "to");
	/* as `custos issue --to`: a roster custodian in the roster's spelling;
	 * media also go to people of other offices (said, not refused) */
	const struct staff_person *p = NULL;
	bool custodian = staff_require(app->roster, to, STAFF_ROLE_CUSTODIAN, &p, NULL) == 0;
	char *cause = NULL;
	int rc;

	if (!p && app->roster)
		p = staff_find(app->roster, to);
	if (!receive_selected(app))
		return false;
	rc = register_issue(app->reg, selected_id(), p ? p->name : to, &cause);
	if (rc < 0)
		return form_refused(app, rc, cause, _("issue"), "to");
	done(app, 0, NULL, _("issue"));
	if (!custodian)
		tui_app_message(app, true, _("issue recorded; %s is not one of the roster's "
					     "custodians (a person of another office?)"),
				p ? p->name : to);
	return true;
}

/* Every witness on the roster as a witness (when one is kept), each in
 * the roster's spelling (into @out, pointing into the roster or @w). */
static int roster_witnesses(struct tui_app *app, char **w, size_t n, const char **out,
			    char **cause)
{
	const struct staff_person *p;

	for (size_t i = 0; i < n; i++) {
		int rc = staff_require(app->roster, w[i], STAFF_ROLE_WITNESS, &p, cause);

		if (rc < 0)
			return rc;
		out[i] = p ? p->name : w[i];
	}
	return 0;
}

/* The destruction's validator (optional): with a roster one of its
 * validators, name and title as it has them. */
static int roster_validator(struct tui_app *app, struct sanitize_destroy *fd, char **cause)
{
	const char *v = tui_fields_get(&rb.form.fields, "validator");
	const struct staff_person *p = NULL;
	int rc;

	if (names_blank(v))
		return 0;
	rc = staff_require(app->roster, v, STAFF_ROLE_VALIDATOR, &p, cause);
	if (rc < 0)
		return rc;
	fd->validator_name = p ? p->name : v;
	fd->validator_title = p && p->title[0] ? p->title : NULL;
	return 0;
}

static bool do_destroy(struct tui_app *app)
{
	const struct tui_fields *f = &rb.form.fields;
	const char *named[CERT_MAX_WITNESSES + 1] = { NULL };
	char **w = NULL;
	struct register_destruction d = {
		.method = tui_fields_get(f, "method"),
		.place = tui_fields_get(f, "place"),
		.note = tui_fields_get(f, "note"),
	};
	/* the person at the station, never the login account */
	struct sanitize_destroy fd = {
		.state_dir = app->state_dir, .station = app->station, .d = &d,
		.operator_name = app->operator_name,
		.operator_title = app->operator_title[0] ? app->operator_title : NULL,
	};
	struct register_media *sel = selected();
	struct register_media m;
	char *cause = NULL;
	int rc;

	if (!sel)
		return true;
	if (!tui_people_acting(app))
		return false;
	m = *sel;
	/* "王芳，刘强", "王芳、刘强" and "王芳, 刘强" are two people (names_split) */
	rc = names_split(tui_fields_get(f, "witnesses"), &w, &d.n_witnesses, &cause);
	if (rc == 0 && d.n_witnesses > CERT_MAX_WITNESSES)
		rc = util_fail(&cause, -EPERM, "rule two-witnesses: at most %d witnesses",
			       CERT_MAX_WITNESSES);
	if (rc == 0)
		rc = roster_witnesses(app, w, d.n_witnesses, named, &cause);
	if (rc < 0) {
		names_list_free(w, d.n_witnesses);
		return form_refused(app, rc, cause, _("destruction"), "witnesses");
	}
	if (roster_validator(app, &fd, &cause) < 0) {
		names_list_free(w, d.n_witnesses);
		return form_refused(app, -EPERM, cause, _("destruction"), "validator");
	}
	d.witnesses = named;
	if (!receive_selected(app)) {
		names_list_free(w, d.n_witnesses);
		return false;
	}
	m = *sel;
	rc = sanitize_destroy(app->policy, app->reg, &m, &fd, &cause);
	names_list_free(w, d.n_witnesses);
	if (!fd.recorded)
		return form_refused(app, rc, cause, _("destruction"), fault_field(cause));
	done(app, 0, NULL, _("destruction"));
	if (rc < 0)
		tui_app_message(app, true, _("destruction: %s"), cause ? cause : strerror(-rc));
	else
		tui_app_message(app, false, _("destruction recorded, certificate %s"), fd.cert_id);
	free(cause);
	return true;
}

/* F2 in the destruction form: a witness from the roster, added to the
 * list, or on the validator's field the validator; in the issue form:
 * the custodian. */
static void person_chosen(struct tui_app *app, const struct staff_person *p, void *data)
{
	const char *key = data;
	char *v;

	(void)app;
	for (size_t i = 0; i < rb.form.fields.n; i++) {
		if (strcmp(rb.form.fields.spec[i].key, key) != 0)
			continue;
		v = rb.form.fields.value[i];
		if (strcmp(key, "witnesses") == 0 && !names_blank(v))
			tui_fields_append(&rb.form.fields, i, "，");
		else
			v[0] = '\0';
		tui_fields_append(&rb.form.fields, i, p->name);
		rb.form.error = NULL;
		rb.form.error_field = -1;
	}
}

static unsigned pick_person(struct tui_app *app)
{
	const char *key = rb.form.fields.spec[rb.form.cur].key;
	int rc = rb.mode != MODE_DESTROY ?
		 tui_people_pick(app, STAFF_ROLE_CUSTODIAN, person_chosen, (void *)"to") :
		 strcmp(key, "validator") == 0 ?
		 tui_people_pick(app, STAFF_ROLE_VALIDATOR, person_chosen, (void *)"validator") :
		 tui_people_pick(app, STAFF_ROLE_WITNESS, person_chosen, (void *)"witnesses");

	if (rc == -ENOENT)
		tui_app_message(app, true, _("no roster: type the names (custos staff add keeps "
					     "the station's people)"));
	return TUI_HANDLED | TUI_REDRAW;
}

static unsigned form_key(struct tui_app *app, int key)
{
	bool ok;

	if (key == 27) {
		close_form();
		rb.mode = MODE_LIST;
		return TUI_HANDLED | TUI_REDRAW;
	}
	if (key == TUI_FKEY(2))
		return pick_person(app);
	if (key == '\r' || key == '\n' || key == (TUI_KEY_FN | KEY_ENTER)) {
		if (!tui_form_check(&rb.form))
			return TUI_HANDLED | TUI_REDRAW;
		ok = rb.mode == MODE_ISSUE ? do_issue(app) : do_destroy(app);
		if (ok) {
			close_form();
			rb.mode = MODE_LIST;
		}
		return TUI_HANDLED | TUI_REDRAW;
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
		if (selected_id() <= 0) {
			/* its history is the central register's */
			tui_app_message(app, false, _("%s was enrolled at station %s: its history is "
					"in the central register ('custos register find %s')"),
					selected()->register_no, selected()->central_station,
					selected()->asset_tag[0] ? selected()->asset_tag :
					selected()->serial);
			return TUI_HANDLED | TUI_REDRAW;
		}
		load_history(app);
		rb.mode = MODE_HISTORY;
		return TUI_HANDLED | TUI_REDRAW;
	case TUI_FKEY(2): case 'i':
		return open_form(app, issue_spec, UTIL_ARRAY_SIZE(issue_spec), MODE_ISSUE);
	case TUI_FKEY(3): case 't':
		if (!selected() || !tui_people_acting(app))
			return TUI_HANDLED | TUI_REDRAW;
		if (!receive_selected(app))
			return TUI_HANDLED | TUI_REDRAW;
		return done(app, register_return(app->reg, selected_id(), &cause), cause,
			    _("return"));
	case TUI_FKEY(4): case 'd':
		return open_form(app, destroy_spec, UTIL_ARRAY_SIZE(destroy_spec), MODE_DESTROY);
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
	{ "F5", "Esc", N_("Back"), N_("back to the media screen (also q)") },
	{ NULL, "Enter", N_("History"), N_("the selected medium's events (also h)") },
	{ "F2", "i", N_("Issue"), N_("issue the medium to a person") },
	{ "F3", "t", N_("Return"), N_("record its return (from a person, repair, or found)") },
	{ "F4", "d", N_("Destroy"), N_("record physical destruction, with the witnesses") },
	{ "F2", NULL, N_("Pick"), N_("in the issue or destruction form: a person from the roster "
				    "(custodian, witness, or on its field the validator)"), true },
	{ NULL, "f", N_("Class"), N_("filter by classification (cycles)"), true },
	{ NULL, "s", N_("State"), N_("filter by state (cycles)"), true },
	{ NULL, "/", N_("Search"), N_("text search: register no, tag, serial, names"), true },
	{ NULL, "@", N_("Station"), N_("@STATION before the names: a medium plugged in here that "
				       "station enrolled (the central register); custody on it "
				       "receives it into this station's register first"), true },
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
