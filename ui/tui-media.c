/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tui-media: the main screen.  Every medium present (two lines each:
 * identity, then state or live progress), ineligible ones greyed with
 * their reason, and a details pane for the selected one: identity, SMART,
 * register entry and its last events.
 */
#include "tui.h"
#include "i18n.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "policy.h"
#include "register.h"

#define HISTORY_MAX 4

/* The selected medium's last register events, cached by register id. */
static struct {
	int64_t id;
	struct register_event *ev;
	size_t n;
	struct register_media media;
	bool have_media;
} details;

static int top_row;	/* first row shown */

/* "/" finds a medium by name, path, serial or register number. */
static struct {
	bool on;
	char text[64];
} find;

static void details_clear(void)
{
	register_events_free(details.ev, details.n);
	details.ev = NULL;
	details.n = 0;
	details.id = 0;
	details.have_media = false;
}

/* Load the register entry and history of @id unless cached. */
static void details_load(struct tui_app *app, int64_t id)
{
	char *cause = NULL;

	if (id == details.id)
		return;
	details_clear();
	if (!app->reg || id <= 0)
		return;
	details.id = id;
	if (register_get(app->reg, id, &details.media, &cause) == 0)
		details.have_media = true;
	free(cause);
	cause = NULL;
	if (register_history(app->reg, id, &details.ev, &details.n, &cause) < 0) {
		details.ev = NULL;
		details.n = 0;
	}
	free(cause);
}

static int64_t current_reg_id(const struct tui_app *app)
{
	const struct tui_media_row *row = tui_app_current(app);

	if (!row || !row->dev)
		return 0;
	return app->reg_ids ? app->reg_ids[row->dev - app->devs] : 0;
}

static enum tui_style row_style(const struct tui_media_row *row)
{
	switch (row->style) {
	case TUI_ROW_GREY: return TUI_STYLE_GREY;
	case TUI_ROW_RUNNING: return TUI_STYLE_RUNNING;
	case TUI_ROW_DONE: return TUI_STYLE_GOOD;
	case TUI_ROW_RED: return TUI_STYLE_BAD;
	case TUI_ROW_NORMAL: break;
	}
	return TUI_STYLE_NORMAL;
}

static int details_height(int H)
{
	return H >= 18 ? H / 3 + 1 : 0;
}

static void draw_rows(struct tui_app *app, WINDOW *win, int list_h)
{
	int W = getmaxx(win), per_page = (list_h - 1) / 2;
	char line[2048];

	tui_model_header_line(W, line, sizeof(line));
	if (find.on)
		snprintf(line, sizeof(line), _("Find (name, serial, register no): %s_"), find.text);
	tui_put(app, win, 0, 0, W, find.on ? TUI_STYLE_FIELD : TUI_STYLE_HEADER, line);
	if (app->n_rows == 0) {
		tui_put(app, win, 2, 2, W - 2, TUI_STYLE_GREY, app->scanning ?
			_("Looking for media...") : _("No media.  Plug a disk or USB stick in."));
		return;
	}
	if (per_page < 1)
		per_page = 1;
	if ((int)app->cursor < top_row)
		top_row = (int)app->cursor;
	if ((int)app->cursor >= top_row + per_page)
		top_row = (int)app->cursor - per_page + 1;
	if (top_row > (int)app->n_rows - per_page)
		top_row = (int)app->n_rows - per_page > 0 ? (int)app->n_rows - per_page : 0;
	for (int i = 0; i < per_page && top_row + i < (int)app->n_rows; i++) {
		const struct tui_media_row *row = &app->rows[top_row + i];
		enum tui_style st = row_style(row);
		bool sel = (size_t)(top_row + i) == app->cursor;

		tui_model_row_line(row, W, line, sizeof(line));
		tui_put(app, win, 1 + 2 * i, 0, W, sel ? TUI_STYLE_SELECTED : st, line);
		if (sel && st != TUI_STYLE_NORMAL) {
			/* keep the row's meaning visible on the cursor line */
			mvwchgat(win, 1 + 2 * i, 0, W, tui_app_attr(app, st) | A_REVERSE,
				 PAIR_NUMBER(tui_app_attr(app, st)), NULL);
		}
		tui_model_status_line(row, W, line, sizeof(line));
		tui_put(app, win, 2 + 2 * i, 0, W, st, line);
	}
}

static void class_text(const char *cls, char *out, size_t len)
{
	enum policy_level l;

	if (cls[0] && policy_level_parse(cls, &l) == 0)
		util_strlcpy(out, i18n_value(policy_level_name(l)), len);
	else
		util_strlcpy(out, cls[0] ? cls : "-", len);
}

static int draw_device_facts(struct tui_app *app, WINDOW *win, int y, int h,
			     const struct device_info *d)
{
	int W = getmaxx(win), y0 = y;
	char size[24];

	util_format_size(d->size_bytes, size, sizeof(size));
	if (y < h)
		tui_putf(app, win, y++, 1, W - 1, TUI_STYLE_NORMAL,
			 _("%s%s%s%sS/N %s  WWN %s  FW %s"), d->vendor, d->vendor[0] ? " " : "",
			 d->model, d->vendor[0] || d->model[0] ? "  " : "",
			 d->serial[0] ? d->serial : "-", d->wwn[0] ? d->wwn : "-",
			 d->firmware_rev[0] ? d->firmware_rev : "-");
	if (y < h)
		tui_putf(app, win, y++, 1, W - 1, TUI_STYLE_NORMAL,
			 _("%s (%llu bytes), sectors %u/%u, %s, %s%s%s%s"), size,
			 (unsigned long long)d->size_bytes, d->logical_sector_size,
			 d->physical_sector_size, device_transport_name(d->transport),
			 i18n_value(device_media_kind(d)), d->removable ? _(", removable") : "",
			 d->backing_file[0] ? _(", file ") : "", d->backing_file);
	if (y < h) {
		if (d->smart.available)
			tui_putf(app, win, y++, 1, W - 1,
				 d->smart.good ? TUI_STYLE_NORMAL : TUI_STYLE_BAD,
				 _("SMART %s, %s"), d->smart.overall,
				 d->smart.good ? _("health good") : _("HEALTH BAD"));
		else
			tui_put(app, win, y++, 1, W - 1, TUI_STYLE_GREY, _("SMART not available"));
	}
	return y - y0;
}

/* A medium another station enrolled, as the central register has it: its
 * first custody action or sanitization here receives it into this
 * station's register (so it is never enrolled twice). */
static int draw_central(struct tui_app *app, WINDOW *win, int y, int h,
			const struct register_media *m)
{
	int W = getmaxx(win), y0 = y;
	char cls[64], hcls[64];

	class_text(m->classification, cls, sizeof(cls));
	class_text(m->highest_class, hcls, sizeof(hcls));
	if (y < h)
		tui_putf(app, win, y++, 1, W - 1, TUI_STYLE_WARN,
			 _("Enrolled at station %s as %s (central register)"), m->central_station,
			 m->register_no);
	if (y < h)
		tui_putf(app, win, y++, 1, W - 1, TUI_STYLE_NORMAL,
			 _("Class %s (highest %s)  state %s  asset %s"), cls, hcls,
			 i18n_value(m->state), m->asset_tag[0] ? m->asset_tag : "-");
	if (y < h)
		tui_putf(app, win, y++, 1, W - 1, TUI_STYLE_NORMAL,
			 _("Custodian %s  department %s%s%s"), m->custodian[0] ? m->custodian : "-",
			 m->department[0] ? m->department : "-", m->holder[0] ? _("  holder ") : "",
			 m->holder);
	if (y < h)
		tui_put(app, win, y++, 1, W - 1, TUI_STYLE_GREY,
			_("Custody (F5/r) or a wipe here first receives it into this station's "
			  "register; its events join its one history."));
	return y - y0;
}

static int draw_register(struct tui_app *app, WINDOW *win, int y, int h,
			 const struct tui_media_row *row)
{
	const struct register_media *m = &details.media;
	int W = getmaxx(win), y0 = y;
	char cls[64];

	if (!details.have_media) {
		if (row->dev && app->central && app->central[row->dev - app->devs].central_station[0])
			return draw_central(app, win, y, h, &app->central[row->dev - app->devs]);
		if (row->reg->central_unknown && y < h) {
			char text[512];

			/* the library's reason names the centre and why it failed */
			snprintf(text, sizeof(text), _(" %s.  No enrolment or wipe until the central "
				 "register answers (F8/g looks again)."), row->reg->refusal);
			y = tui_wrap(app, win, y, TUI_STYLE_BAD, text);
			return y - y0;
		}
		if (y < h)
			tui_put(app, win, y++, 1, W - 1, TUI_STYLE_WARN,
				_("Not enrolled in the register (F2/e to enrol)"));
		return y - y0;
	}
	class_text(m->classification, cls, sizeof(cls));
	if (y < h)
		tui_putf(app, win, y++, 1, W - 1, TUI_STYLE_NORMAL,
			 _("Register %s  %s  class %s  state %s"), m->register_no,
			 m->asset_tag[0] ? m->asset_tag : "-", cls, i18n_value(m->state));
	if (y < h)
		tui_putf(app, win, y++, 1, W - 1, TUI_STYLE_NORMAL,
			 _("Custodian %s  department %s%s%s"), m->custodian[0] ? m->custodian : "-",
			 m->department[0] ? m->department : "-", m->holder[0] ? _("  holder ") : "",
			 m->holder);
	for (size_t i = details.n; i > 0 && y < h && details.n - i < HISTORY_MAX; i--) {
		const struct register_event *e = &details.ev[i - 1];
		char when[UTIL_TIME_LEN], text[512];

		tui_event_text(e->details, text, sizeof(text));
		tui_putf(app, win, y++, 3, W - 3, TUI_STYLE_GREY, "%s  %s  %s  %s",
			 util_time_local_text(e->at, when, sizeof(when)), i18n_value(e->kind),
			 e->operator_name,
			 text);
	}
	return y - y0;
}

static void draw_details(struct tui_app *app, WINDOW *win, int y, int h)
{
	const struct tui_media_row *row = tui_app_current(app);
	int W = getmaxx(win);

	if (!row) {
		tui_put(app, win, y, 0, W, TUI_STYLE_HEADER, "");
		return;
	}
	tui_putf(app, win, y++, 0, W, TUI_STYLE_HEADER, _("Details: %s"), row->path);
	if (row->dev)
		y += draw_device_facts(app, win, y, h, row->dev);
	if (row->dev && app->fw && y < h) {
		const struct tui_fw_view *fw = &app->fw[row->dev - app->devs];

		tui_putf(app, win, y++, 1, W - 1, TUI_STYLE_NORMAL, _("Firmware erase: %s%s%s"),
			 fw->methods, fw->hidden[0] ? "; " : "", fw->hidden);
	}
	if (!row->dev && y < h)
		tui_put(app, win, y++, 1, W - 1, TUI_STYLE_BAD, _("The device is no longer present."));
	details_load(app, current_reg_id(app));
	draw_register(app, win, y, h, row);
}

static void media_draw(struct tui_app *app, WINDOW *win)
{
	int H = getmaxy(win), dh = details_height(H);

	draw_rows(app, win, H - dh);
	if (dh > 0)
		draw_details(app, win, H - dh, H);
}

static unsigned move_cursor(struct tui_app *app, int delta)
{
	long c = (long)app->cursor + delta;

	if (app->n_rows == 0)
		return TUI_HANDLED;
	if (c < 0)
		c = 0;
	if (c >= (long)app->n_rows)
		c = (long)app->n_rows - 1;
	app->cursor = (size_t)c;
	return TUI_HANDLED | TUI_REDRAW;
}

static unsigned toggle_mark(struct tui_app *app)
{
	const struct tui_media_row *row = tui_app_current(app);
	char path[PATH_MAX];

	if (!row)
		return TUI_HANDLED;
	if (!row->selectable) {
		tui_app_message(app, true, _("%s cannot be marked: %s"), row->name,
				tui_model_unselectable_why(row));
		return TUI_HANDLED | TUI_REDRAW;
	}
	util_strlcpy(path, row->path, sizeof(path));
	tui_app_toggle_mark(app, path);	/* rebuilds the rows: @row is gone */
	move_cursor(app, 1);
	return TUI_HANDLED | TUI_REDRAW;
}

/* Mark every medium that may be wiped and is not marked yet. */
static unsigned mark_all(struct tui_app *app)
{
	size_t n = 0;

	for (size_t i = 0; i < app->n_rows; i++) {
		char path[PATH_MAX];

		if (!app->rows[i].selectable || app->rows[i].marked)
			continue;
		util_strlcpy(path, app->rows[i].path, sizeof(path));
		tui_app_toggle_mark(app, path);	/* rebuilds the rows, same order */
		n++;
	}
	tui_app_message(app, false, ngettext("%zu more medium marked", "%zu more media marked", n), n);
	return TUI_HANDLED | TUI_REDRAW;
}

static unsigned open_screen(struct tui_app *app, const struct tui_screen *s)
{
	tui_app_push(app, s, NULL);
	return TUI_HANDLED | TUI_REDRAW;
}

/* The medium F6 asked about, until the operator answers. */
static struct {
	char name[64];
	char path[PATH_MAX];
	char text[512];
} stopping;

static unsigned stop_confirmed(struct tui_app *app)
{
	if (!tui_jobs_stop(app, stopping.path))
		tui_app_message(app, true, _("the job on %s had already ended"), stopping.name);
	else
		tui_app_message(app, false, _("stopping the job on %s..."), stopping.name);
	return TUI_REDRAW;
}

static struct tui_confirm stop_question = {
	.title = N_("Stop the wipe"),
	.text = stopping.text,
	.yes = stop_confirmed,
};

/* F6/x: ask first; a stopped wipe leaves the medium partly overwritten. */
static unsigned stop_job(struct tui_app *app)
{
	const struct tui_media_row *row = tui_app_current(app);

	if (!row || !row->job || row->job->phase != TUI_JOB_RUNNING) {
		tui_app_message(app, true, "%s", row && row->job &&
				row->job->phase == TUI_JOB_STOPPING ? _("the job is already stopping") :
				_("no running job on this medium"));
		return TUI_HANDLED | TUI_REDRAW;
	}
	util_strlcpy(stopping.name, row->name, sizeof(stopping.name));
	util_strlcpy(stopping.path, row->path, sizeof(stopping.path));
	snprintf(stopping.text, sizeof(stopping.text), _("Stop the wipe of %s now?  It will be "
		 "recorded as aborted: the medium stays partly overwritten, with a report and no "
		 "certificate.  A firmware erase already sent to the drive cannot be stopped."),
		 stopping.name);
	tui_app_push(app, &tui_screen_confirm, &stop_question);
	return TUI_HANDLED | TUI_REDRAW;
}

static bool row_is(const struct tui_media_row *row, const char *q)
{
	return strcasecmp(row->name, q) == 0 || strcasecmp(row->path, q) == 0 ||
	       (row->dev && row->dev->serial[0] && strcasecmp(row->dev->serial, q) == 0) ||
	       (row->reg->register_no[0] && strcasecmp(row->reg->register_no, q) == 0);
}

static bool row_matches(const struct tui_media_row *row, const char *q)
{
	return strcasestr(row->name, q) || strcasestr(row->path, q) ||
	       (row->dev && strcasestr(row->dev->serial, q)) ||
	       (row->reg->register_no[0] && strcasestr(row->reg->register_no, q));
}

/* The row named exactly @q (loop1, not loop10), else the first that
 * contains it; -1 for none. */
static long find_row(const struct tui_app *app, const char *q)
{
	for (size_t i = 0; i < app->n_rows; i++)
		if (row_is(&app->rows[i], q))
			return (long)i;
	for (size_t i = 0; i < app->n_rows; i++)
		if (row_matches(&app->rows[i], q))
			return (long)i;
	return -1;
}

/* Typing after "/": Enter jumps to the first match, Esc gives up. */
static unsigned find_key(struct tui_app *app, int key)
{
	size_t n = strlen(find.text);

	if (key == 27 || key == '\r' || key == '\n' || key == (TUI_KEY_FN | KEY_ENTER)) {
		long i = key != 27 && find.text[0] ? find_row(app, find.text) : -1;

		find.on = false;
		if (i >= 0) {
			app->cursor = (size_t)i;
			return TUI_HANDLED | TUI_REDRAW;
		}
		if (key != 27 && find.text[0])
			tui_app_message(app, true, _("no medium matches \"%s\""), find.text);
	} else if (key == 127 || key == '\b' || key == (TUI_KEY_FN | KEY_BACKSPACE)) {
		if (n > 0)
			find.text[n - 1] = '\0';
	} else if (key >= 32 && key < 127 && n + 1 < sizeof(find.text)) {
		find.text[n] = (char)key;
		find.text[n + 1] = '\0';
	}
	return TUI_HANDLED | TUI_REDRAW;
}

/* Switch operator: the roster's operators; without a roster the
 * operator is the station's default (custos staff add starts one). */
static unsigned switch_operator(struct tui_app *app)
{
	if (tui_people_switch(app) == -ENOENT)
		tui_app_message(app, true, _("no roster: the operator is %s (custos staff add "
					     "names the station's people)"), app->operator_name);
	return TUI_HANDLED | TUI_REDRAW;
}

static unsigned media_key(struct tui_app *app, int key)
{
	if (find.on)
		return find_key(app, key);
	switch (key) {
	case '/':
		find.on = true;
		find.text[0] = '\0';
		return TUI_HANDLED | TUI_REDRAW;
	case TUI_KEY_FN | KEY_UP: case 'k': return move_cursor(app, -1);
	case TUI_KEY_FN | KEY_DOWN: case 'j': return move_cursor(app, 1);
	case TUI_KEY_FN | KEY_PPAGE: return move_cursor(app, -5);
	case TUI_KEY_FN | KEY_NPAGE: return move_cursor(app, 5);
	case TUI_KEY_FN | KEY_HOME: return move_cursor(app, -(int)app->n_rows);
	case TUI_KEY_FN | KEY_END: return move_cursor(app, (int)app->n_rows);
	case ' ': return toggle_mark(app);
	case TUI_FKEY(2): case 'e': return open_screen(app, &tui_screen_enroll);
	case TUI_FKEY(3): case 'w': return open_screen(app, &tui_screen_sanitize);
	case TUI_FKEY(4): case 'c': return open_screen(app, &tui_screen_cert);
	case TUI_FKEY(5): case 'r': return open_screen(app, &tui_screen_register);
	case TUI_FKEY(6): case 'x': return stop_job(app);
	case 'a':
		return mark_all(app);
	case TUI_FKEY(7): case 'u':
		tui_app_clear_marks(app);
		return TUI_HANDLED | TUI_REDRAW;
	case TUI_FKEY(8): case 'g':
		details_clear();
		return TUI_HANDLED | TUI_RESCAN | TUI_REDRAW;
	case TUI_FKEY(9): case 'o':
		return switch_operator(app);
	default:
		return TUI_IGNORED;
	}
}

static unsigned media_tick(struct tui_app *app)
{
	(void)app;
	return 0;
}

static void media_leave(struct tui_app *app)
{
	(void)app;
	details_clear();
}

/* Forget the cached history (after the register changed). */
void tui_media_forget(void)
{
	details_clear();
}

static const struct tui_keyhelp media_keys[] = {
	{ "F1", "?", N_("Help"), N_("this list of keys") },
	{ "F2", "e", N_("Enrol"), N_("enter the selected medium into the register") },
	{ "F3", "w", N_("Wipe"), N_("sanitize the marked media (or the selected one)") },
	{ "F4", "c", N_("Cert"), N_("outcome and certificate of the selected medium's job") },
	{ "F5", "r", N_("Reg"), N_("the register browser: filter, history, custody") },
	{ "F6", "x", N_("Stop"), N_("stop the selected medium's job, after asking (outcome aborted)") },
	{ NULL, "Spc", N_("Mark"), N_("mark or unmark the selected medium for wiping"), true },
	{ NULL, "a", N_("Mark all"), N_("mark every medium that may be wiped"), true },
	{ "F7", "u", N_("Unmark"), N_("unmark all media"), true },
	{ "F8", "g", N_("Rescan"), N_("list the media again"), true },
	/* TRANSLATORS: key bar, F9 "switch operator": keep it short */
	{ "F9", "o", N_("Who"),
	  N_("switch operator: who is at the station (the roster's operators)") },
	{ NULL, "/", N_("Find"), N_("go to a medium by name, serial or register number"), true },
	{ NULL, "Up/Down", N_("Move"), N_("select another medium (also j/k, PgUp, PgDn)"), true },
	{ "F10", "q", N_("Quit"), N_("leave (asks first while jobs run)") },
	{ NULL, NULL, NULL, NULL },
};

const struct tui_screen tui_screen_media = {
	.name = "media",
	.draw = media_draw,
	.key = media_key,
	.tick = media_tick,
	.leave = media_leave,
	.keys = media_keys,
};
