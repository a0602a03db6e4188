/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tui-enroll: the enrolment form for the selected medium: asset tag,
 * classification, custodian, department, media type, note.  A medium the
 * register already knows is recognised and shown instead of the form.
 * With a roster the custodian is one of its custodians (F2 lists them; a
 * typed name must be one, compared as names_equal() does).
 */
#include "tui.h"
#include "i18n.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "policy.h"
#include "register.h"
#include "staff.h"

static const char *const class_choices[] = {
	/* codes, shown in the interface language (i18n_value()) */
	"public", "internal", "secret", "confidential", "top-secret",
	NULL
};

static const char *const type_choices[] = {
	"hdd", "ssd", "nvme", "usb-flash", "sd-mmc", "optical", "other", "virtual", NULL
};

/* the indexes of the people's fields in enroll_spec */
#define F_CUSTODIAN 2
#define F_DEPARTMENT 3

static const struct tui_field_spec enroll_spec[] = {
	{ "asset_tag", N_("Asset tag"), TUI_FIELD_TEXT, false, 63, NULL },
	{ "class", N_("Classification"), TUI_FIELD_CHOICE, true, 0, class_choices },
	{ "custodian", N_("Custodian"), TUI_FIELD_TEXT, true, 127, NULL },
	{ "department", N_("Department"), TUI_FIELD_TEXT, false, 127, NULL },
	{ "type", N_("Media type"), TUI_FIELD_CHOICE, true, 0, type_choices },
	{ "note", N_("Note"), TUI_FIELD_TEXT, false, 511, NULL },
};

static struct {
	struct tui_form form;
	struct device_info dev;		/* identity only (no reasons) */
	bool known;			/* already in the register */
	struct register_media media;	/* its entry when known */
} en;

static int enroll_enter(struct tui_app *app, void *arg)
{
	const struct tui_media_row *row = tui_app_current(app);
	char *cause = NULL;
	int rc;

	(void)arg;
	if (!row || !row->dev) {
		tui_app_message(app, true, _("select a medium that is present to enrol it"));
		return -1;
	}
	if (!app->reg) {
		tui_app_message(app, true, _("the register is not available"));
		return -1;
	}
	if (!tui_people_acting(app))
		return -1;
	memset(&en, 0, sizeof(en));
	en.dev = *row->dev;
	memset(en.dev.reason_text, 0, sizeof(en.dev.reason_text));
	en.dev.n_reasons = 0;
	rc = register_find_by_device(app->reg, &en.dev, &en.media, &cause);
	if (rc < 0 && rc != -ENOENT) {
		/* the central register cannot say whether another station
		 * enrolled it: a second enrolment would fork its record */
		tui_app_message(app, true, _("%s cannot be enrolled now: %s"), en.dev.name,
				cause ? cause : strerror(-rc));
		free(cause);
		return -1;
	}
	if (rc == 0 && !en.media.unregistered)
		en.known = true;
	free(cause);
	if (tui_form_init(&en.form, enroll_spec, UTIL_ARRAY_SIZE(enroll_spec)) < 0)
		return -1;
	tui_fields_set(&en.form.fields, "type", device_media_kind(&en.dev));
	return 0;
}

static void enroll_leave(struct tui_app *app)
{
	(void)app;
	tui_form_free(&en.form);
}

static void draw_known(struct tui_app *app, WINDOW *in)
{
	const struct register_media *m = &en.media;
	int W = getmaxx(in), y = 2;

	if (m->central_station[0])
		tui_putf(app, in, y++, 0, W, TUI_STYLE_GOOD,
			 _("Already enrolled at station %s as %s (central register)"),
			 m->central_station, m->register_no);
	else
		tui_putf(app, in, y++, 0, W, TUI_STYLE_GOOD, _("Already enrolled as %s"),
			 m->register_no);
	tui_putf(app, in, y++, 0, W, TUI_STYLE_NORMAL, _("Classification  %s"),
		 m->classification[0] ? i18n_value(m->classification) : "-");
	tui_putf(app, in, y++, 0, W, TUI_STYLE_NORMAL, _("Asset tag       %s"), m->asset_tag);
	tui_putf(app, in, y++, 0, W, TUI_STYLE_NORMAL, _("Custodian       %s"), m->custodian);
	tui_putf(app, in, y++, 0, W, TUI_STYLE_NORMAL, _("Department      %s"), m->department);
	tui_putf(app, in, y++, 0, W, TUI_STYLE_NORMAL, _("State           %s"),
		 i18n_value(m->state));
	tui_putf(app, in, y++, 0, W, TUI_STYLE_NORMAL, _("Enrolled        %s"), m->created_at);
	if (m->central_station[0]) {
		/* one medium, one record: never a second enrolment here */
		tui_wrap(app, in, y + 1, TUI_STYLE_GREY,
			 _("It is not enrolled again here: custody in the register browser (F5/r) "
			   "or a wipe receives it into this station's register, and its events "
			   "join its one history.  Esc closes."));
		return;
	}
	tui_put(app, in, y + 1, 0, W, TUI_STYLE_GREY,
		_("Custody actions are in the register browser (F5/r).  Esc closes."));
}

static void enroll_draw(struct tui_app *app, WINDOW *win)
{
	WINDOW *in = tui_dialog_box(app, win, 16, 72, _("Enrol medium"));
	char size[24];

	if (!in)
		return;
	util_format_size(en.dev.size_bytes, size, sizeof(size));
	tui_putf(app, in, 0, 0, getmaxx(in), TUI_STYLE_NORMAL, "%s  %s %s  %s  S/N %s",
		 en.dev.path, en.dev.vendor, en.dev.model, size,
		 en.dev.serial[0] ? en.dev.serial : "-");
	if (en.known)
		draw_known(app, in);
	else
		tui_form_draw(app, &en.form, in, 2, 16);
	delwin(in);
}

/* The level's code: the choice text up to its first space. */
static void first_word(const char *s, char *out, size_t len)
{
	size_t n = strcspn(s, " ");

	if (n >= len)
		n = len - 1;
	memcpy(out, s, n);
	out[n] = '\0';
}

/* The custodian as the roster spells it (without a roster: as typed);
 * NULL when the roster has no such custodian: the form keeps what was
 * typed, the cursor on the field and the roster's answer under it. */
static const char *roster_custodian(struct tui_app *app)
{
	static char why[256];
	const char *typed = en.form.fields.value[F_CUSTODIAN];
	const struct staff_person *p = NULL;
	char *cause = NULL;

	if (!tui_people_kept(app))
		return typed;
	if (staff_require(app->roster, typed, STAFF_ROLE_CUSTODIAN, &p, &cause) == 0 && p)
		return p->name;
	util_strlcpy(why, cause ? cause : _("is not one of the roster's custodians"),
		     sizeof(why));
	free(cause);
	en.form.cur = F_CUSTODIAN;
	en.form.error_field = F_CUSTODIAN;
	en.form.error = why;
	tui_app_message(app, true, _("%s: %s (F2 lists the roster's custodians)"),
			_(enroll_spec[F_CUSTODIAN].label), why);
	return NULL;
}

static unsigned enroll_save(struct tui_app *app)
{
	struct register_media m;
	const struct tui_fields *f = &en.form.fields;
	const char *custodian;
	char *cause = NULL;
	int rc;

	if (!tui_form_check(&en.form))
		return TUI_HANDLED | TUI_REDRAW;
	custodian = roster_custodian(app);
	if (!custodian)
		return TUI_HANDLED | TUI_REDRAW;
	memset(&m, 0, sizeof(m));
	register_media_from_device(&m, &en.dev);
	util_strlcpy(m.asset_tag, tui_fields_get(f, "asset_tag"), sizeof(m.asset_tag));
	first_word(tui_fields_get(f, "class"), m.classification, sizeof(m.classification));
	util_strlcpy(m.custodian, custodian, sizeof(m.custodian));
	util_strlcpy(m.department, tui_fields_get(f, "department"), sizeof(m.department));
	util_strlcpy(m.media_type, tui_fields_get(f, "type"), sizeof(m.media_type));
	util_strlcpy(m.note, tui_fields_get(f, "note"), sizeof(m.note));
	util_strlcpy(m.source, "device", sizeof(m.source));
	rc = register_enroll(app->reg, &m, &m, &cause);
	if (rc < 0) {
		tui_app_message(app, true, _("not enrolled: %s"), cause ? cause : strerror(-rc));
		free(cause);
		return TUI_HANDLED | TUI_REDRAW;
	}
	tui_app_message(app, false, _("%s enrolled as %s (%s)"), en.dev.name, m.register_no,
			i18n_value(m.classification));
	tui_media_forget();
	tui_app_lookup(app);
	return TUI_HANDLED | TUI_CLOSE;
}

/* F2: a custodian from the roster; the department follows when empty. */
static void custodian_chosen(struct tui_app *app, const struct staff_person *p, void *data)
{
	char *dept = en.form.fields.value[F_DEPARTMENT];

	(void)app;
	(void)data;
	util_strlcpy(en.form.fields.value[F_CUSTODIAN], p->name, TUI_FIELD_MAX);
	if (names_blank(dept) && p->department)
		util_strlcpy(dept, p->department, TUI_FIELD_MAX);
	en.form.cur = F_CUSTODIAN;
	en.form.error_field = -1;
	en.form.error = NULL;
}

static unsigned pick_custodian(struct tui_app *app)
{
	if (en.known)
		return TUI_HANDLED;
	if (tui_people_pick(app, STAFF_ROLE_CUSTODIAN, custodian_chosen, NULL) == -ENOENT)
		tui_app_message(app, true, _("no roster: type the name (custos staff add keeps "
					     "the station's people)"));
	return TUI_HANDLED | TUI_REDRAW;
}

static unsigned enroll_key(struct tui_app *app, int key)
{
	unsigned r;

	switch (key) {
	case 27:
		return TUI_HANDLED | TUI_CLOSE;
	case TUI_FKEY(2):
		return pick_custodian(app);
	case '\r': case '\n': case TUI_KEY_FN | KEY_ENTER: case TUI_FKEY(3):
		return en.known ? TUI_HANDLED | TUI_CLOSE : enroll_save(app);
	default:
		break;
	}
	if (en.known)
		return key == 'q' ? TUI_HANDLED | TUI_CLOSE : TUI_HANDLED;
	r = tui_form_key(&en.form, key);
	if (r & TUI_HANDLED)
		en.form.error_field = -1;
	return r | TUI_HANDLED;
}

static const struct tui_keyhelp enroll_keys[] = {
	{ "F3", "Enter", N_("Save"), N_("check the fields and enrol the medium") },
	{ "F2", NULL, N_("Pick"), N_("the custodian: choose from the roster's custodians") },
	{ NULL, "Esc", N_("Cancel"), N_("close without saving") },
	{ NULL, "Tab", N_("Next"), N_("next field (Up/Down, Shift-Tab move too)") },
	{ NULL, "Left/Right", N_("Choose"), N_("change a choice (Space too)") },
	{ NULL, NULL, NULL, NULL, false },
};

const struct tui_screen tui_screen_enroll = {
	.name = "enroll",
	.dialog = true,
	.enter = enroll_enter,
	.leave = enroll_leave,
	.draw = enroll_draw,
	.key = enroll_key,
	.keys = enroll_keys,
};
