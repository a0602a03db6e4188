/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tui-people: the people of the station roster (staff.json) on the screen.
 * Who is at the station (asked when the screen opens, and by "switch
 * operator"), and a picker the dialogs open on a person's field.  With an
 * empty roster nobody is asked: the station's default operator, or the
 * login account, stays the operator, and names are typed.
 */
#include "tui.h"
#include "i18n.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "register.h"
#include "staff.h"
#include "station.h"

static const struct tui_screen people_first;

static struct {
	unsigned role;
	size_t cur;
	size_t idx[256];		/* roster indexes of the people in the role */
	size_t n;
	tui_people_chosen_fn chosen;
	void *data;
	bool must;		/* nobody at the station yet: no way around it */
} pk;

int tui_people_load(struct tui_app *app)
{
	char *cause = NULL;
	int rc;

	staff_free(app->roster);
	app->roster = NULL;
	rc = staff_load(app->state_dir, &app->roster, &cause);
	if (rc < 0) {
		tui_app_message(app, true, _("roster: %s"), cause ? cause : strerror(-rc));
		free(cause);
	}
	return rc;
}

bool tui_people_kept(const struct tui_app *app)
{
	return app->roster && app->roster->n > 0;
}

void tui_people_set_operator(struct tui_app *app, const char *name, const char *title)
{
	util_strlcpy(app->operator_name, name ? name : "", sizeof(app->operator_name));
	util_strlcpy(app->operator_title, title ? title : "", sizeof(app->operator_title));
	/* nobody: the register's actor is "unknown" (and nothing is written,
	 * tui_people_acting()), never the login account */
	if (app->reg)
		register_set_actor(app->reg, app->operator_name,
				   app->station ? app->station->name : NULL);
}

const char *tui_people_role_label(unsigned role)
{
	switch (role) {
	case STAFF_ROLE_OPERATOR: return _("operator");
	case STAFF_ROLE_VALIDATOR: return _("validator");
	case STAFF_ROLE_WITNESS: return _("witness");
	case STAFF_ROLE_CUSTODIAN: return _("custodian");
	default: return _("person");
	}
}

static int pick(struct tui_app *app, unsigned role, tui_people_chosen_fn chosen, void *data,
		bool must)
{
	if (!tui_people_kept(app))
		return -ENOENT;
	pk.role = role;
	pk.chosen = chosen;
	pk.data = data;
	pk.must = must;
	return tui_app_push(app, must ? &people_first : &tui_screen_people, NULL);
}

int tui_people_pick(struct tui_app *app, unsigned role, tui_people_chosen_fn chosen, void *data)
{
	return pick(app, role, chosen, data, false);
}

static void operator_chosen(struct tui_app *app, const struct staff_person *p, void *data)
{
	(void)data;
	tui_people_set_operator(app, p->name, p->title);
	tui_app_message(app, false, _("operator at the station: %s"), p->name);
}

int tui_people_ask_operator(struct tui_app *app)
{
	return pick(app, STAFF_ROLE_OPERATOR, operator_chosen, NULL, !app->operator_name[0]);
}

int tui_people_switch(struct tui_app *app)
{
	/* people added or removed meanwhile (custos staff add) */
	if (tui_people_load(app) < 0) {
		tui_people_set_operator(app, "", NULL);
		return -EIO;
	}
	if (app->operator_name[0] && !staff_find(app->roster, app->operator_name) &&
	    tui_people_kept(app))
		tui_people_set_operator(app, "", NULL);	/* taken off the roster */
	return tui_people_ask_operator(app);
}

bool tui_people_acting(struct tui_app *app)
{
	if (app->operator_name[0])
		return true;
	if (!app->roster) {
		tui_app_message(app, true, _("nothing can be recorded: the roster cannot be read "
					     "(custos staff list says why)"));
		return false;
	}
	if (tui_people_ask_operator(app) == 0)
		tui_app_message(app, true, _("who is at the station? Choose the operator first"));
	else if (tui_people_kept(app))
		tui_app_message(app, true, _("nothing can be recorded: the roster has no operator "
					     "(custos staff add NAME --role operator)"));
	else
		tui_app_message(app, true, _("nothing can be recorded: nobody is named as "
					     "operator"));
	return false;
}

static int people_enter(struct tui_app *app, void *arg)
{
	(void)arg;
	pk.n = 0;
	pk.cur = 0;
	for (size_t i = 0; app->roster && i < app->roster->n && pk.n < UTIL_ARRAY_SIZE(pk.idx); i++)
		if (app->roster->people[i].roles & pk.role)
			pk.idx[pk.n++] = i;
	if (!pk.n) {
		tui_app_message(app, true, _("the roster has no %s (custos staff add)"),
				tui_people_role_label(pk.role));
		return -1;
	}
	return 0;
}

static void people_draw(struct tui_app *app, WINDOW *win)
{
	bool station = pk.role == STAFF_ROLE_OPERATOR && pk.chosen == operator_chosen;
	char title[128];
	WINDOW *in;
	int H, first = 0;

	snprintf(title, sizeof(title), station ? _("Who is at the station?") : _("Choose the %s"),
		 tui_people_role_label(pk.role));
	in = tui_dialog_box(app, win, 16, 66, title);
	if (!in)
		return;
	H = getmaxy(in) - 2;
	if (H > 0 && (int)pk.cur >= H)
		first = (int)pk.cur - H + 1;
	for (int y = 0; y < H && first + y < (int)pk.n; y++) {
		const struct staff_person *p = &app->roster->people[pk.idx[first + y]];

		tui_putf(app, in, y, 0, getmaxx(in), (size_t)(first + y) == pk.cur ?
			 TUI_STYLE_SELECTED : TUI_STYLE_NORMAL, " %s  %s  %s", p->name, p->title,
			 p->department);
	}
	tui_put(app, in, getmaxy(in) - 1, 0, getmaxx(in), TUI_STYLE_GREY, pk.must ?
		_("Up/Down choose, Enter take; Esc leaves the station screen") :
		_("Up/Down choose, Enter take, Esc cancel"));
	delwin(in);
}

static unsigned people_key(struct tui_app *app, int key)
{
	switch (key) {
	case TUI_KEY_FN | KEY_UP: case 'k':
		pk.cur = pk.cur ? pk.cur - 1 : pk.n - 1;
		return TUI_HANDLED | TUI_REDRAW;
	case TUI_KEY_FN | KEY_DOWN: case 'j':
		pk.cur = (pk.cur + 1) % pk.n;
		return TUI_HANDLED | TUI_REDRAW;
	case '\r': case '\n': case TUI_KEY_FN | KEY_ENTER:
		pk.chosen(app, &app->roster->people[pk.idx[pk.cur]], pk.data);
		return TUI_HANDLED | TUI_CLOSE | TUI_REDRAW;
	case 27: case 'q': case TUI_FKEY(10):
		/* nobody at the station yet: leave rather than act as nobody */
		if (pk.must)
			return TUI_HANDLED | TUI_QUIT;
		return TUI_HANDLED | TUI_CLOSE | TUI_REDRAW;
	default:
		return TUI_HANDLED;
	}
}

static const struct tui_keyhelp people_keys[] = {
	{ NULL, "Enter", N_("Take"), N_("take the selected person") },
	{ NULL, "Esc", N_("Cancel"), N_("close the list, nobody taken") },
	{ NULL, NULL, NULL, NULL, false },
};

const struct tui_screen tui_screen_people = {
	.name = "people",
	.dialog = true,
	.enter = people_enter,
	.draw = people_draw,
	.key = people_key,
	.keys = people_keys,
};

/* Who is at the station, before anyone is: the same list, no cancelling. */
static const struct tui_keyhelp people_first_keys[] = {
	{ NULL, "Enter", N_("Take"), N_("take the selected person as the operator") },
	{ NULL, "Esc", N_("Leave"), N_("leave the station screen: nothing is recorded until "
				     "someone is at the station") },
	{ NULL, NULL, NULL, NULL, false },
};

static const struct tui_screen people_first = {
	.name = "people-first",
	.dialog = true,
	.enter = people_enter,
	.draw = people_draw,
	.key = people_key,
	.keys = people_first_keys,
};
