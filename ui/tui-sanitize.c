/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tui-sanitize: the sanitize dialog for the marked media (or the selected
 * one).  Offers only the profiles and destinations the policy allows for
 * every target's classification and kind (as the register records them),
 * shows what will happen, names the operator and an optional validator
 * (a second person) for the certificates, and starts one job per medium
 * once the operator has typed, for each, the last four characters of its
 * serial (the device name for virtual media).
 */
#include "tui-jobs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "finish.h"
#include "fw-job.h"
#include "job.h"
#include "policy.h"
#include "profile.h"
#include "register.h"
#include "station.h"

#define MAX_TARGETS 16
#define F_PROFILE 0
#define F_DEST 1
#define F_VERIFY 2
#define F_OPERATOR 3
#define F_OPERATOR_T 4
#define F_VALIDATOR 5
#define F_VALIDATOR_T 6
#define F_CONFIRM 7	/* first confirmation field */

struct target {
	struct device_info dev;		/* identity only (reasons dropped) */
	bool enrolled;
	unsigned fw_bits;		/* firmware methods the drive supports */
	bool fw_purge;
	char expect[64];		/* what the operator must type */
	char key[16];			/* field key "c0".. */
	char label[96];
};

static const char *const verify_choices[] = {
	"profile default", "full", "all", "sample", "none", NULL
};

static struct {
	struct target t[MAX_TARGETS];
	struct tui_target_class cls[MAX_TARGETS];	/* what the policy needs of each */
	size_t n;
	struct profile *profiles;	/* profiles of the search path */
	size_t n_profiles;
	const char *prof_choices[64];	/* names of the profiles offered */
	size_t prof_index[64];		/* their index in profiles[] */
	const char *dest_choices[POLICY_DEST_COUNT + 1];
	struct tui_field_spec spec[F_CONFIRM + MAX_TARGETS];
	struct tui_form form;
	bool form_on;
	char last_profile[64];
	char refusal[256];		/* why the last medium was not started */
} sz;

/* Who signs, kept for the next dialog of this session. */
static char people[F_CONFIRM - F_OPERATOR][128];

/* Can every target's firmware run @p (always, for overwrite profiles)? */
static bool firmware_can(const struct profile *p)
{
	enum fw_method m = fw_job_method(p);

	if (p->method == PROFILE_METHOD_OVERWRITE)
		return true;
	for (size_t i = 0; i < sz.n; i++) {
		if (m == FW_METHOD_NONE || (m == FW_PURGE && !sz.t[i].fw_purge) ||
		    (m != FW_PURGE && !(sz.t[i].fw_bits & (1u << m))))
			return false;
	}
	return true;
}

/* May @p be used with @dest on every target? */
static bool allowed(const struct tui_app *app, const struct profile *p, enum policy_dest dest)
{
	return tui_model_allowed(app->policy, p, sz.cls, sz.n, dest);
}

static void offer_profiles(const struct tui_app *app)
{
	size_t n = 0;

	for (size_t i = 0; i < sz.n_profiles && n + 1 < UTIL_ARRAY_SIZE(sz.prof_choices); i++) {
		if (firmware_can(&sz.profiles[i]) &&
		    tui_model_offered(app->policy, &sz.profiles[i], sz.cls, sz.n)) {
			sz.prof_index[n] = i;
			sz.prof_choices[n++] = sz.profiles[i].name;
		}
	}
	sz.prof_choices[n] = NULL;
}

static const struct profile *chosen_profile(void)
{
	const char *name = sz.form_on ? tui_fields_get(&sz.form.fields, "profile") : NULL;

	for (size_t i = 0; name && sz.prof_choices[i]; i++)
		if (strcmp(sz.prof_choices[i], name) == 0)
			return &sz.profiles[sz.prof_index[i]];
	return NULL;
}

/* Destinations allowed with the chosen profile; keeps the current one if it still is. */
static void offer_destinations(const struct tui_app *app)
{
	const struct profile *p = chosen_profile();
	char keep[32];
	size_t n = 0;

	util_strlcpy(keep, sz.form.fields.value[F_DEST], sizeof(keep));
	for (int d = 0; p && d < POLICY_DEST_COUNT; d++)
		if (allowed(app, p, (enum policy_dest)d))
			sz.dest_choices[n++] = policy_dest_name((enum policy_dest)d);
	sz.dest_choices[n] = NULL;
	sz.form.fields.choice[F_DEST] = 0;
	util_strlcpy(sz.form.fields.value[F_DEST], n ? sz.dest_choices[0] : "", TUI_FIELD_MAX);
	if (keep[0])
		tui_fields_set(&sz.form.fields, "destination", keep);
	util_strlcpy(sz.last_profile, p ? p->name : "", sizeof(sz.last_profile));
}

/* Fill a target from a row: identity, register level and kind. */
static void add_target(struct tui_app *app, const struct tui_media_row *row)
{
	struct target *t = &sz.t[sz.n];
	struct tui_target_class *c = &sz.cls[sz.n];
	struct register_media m;
	char *cause = NULL;

	memset(t, 0, sizeof(*t));
	t->dev = *row->dev;
	memset(t->dev.reason_text, 0, sizeof(t->dev.reason_text));
	t->dev.n_reasons = 0;
	/* as finish_check() will: the register's levels and media type */
	if (app->reg && register_find_by_device(app->reg, &t->dev, &m, &cause) == 0) {
		t->enrolled = !m.unregistered;
		tui_model_target_class(&t->dev, &m, c);
	} else {
		tui_model_target_class(&t->dev, NULL, c);
	}
	free(cause);
	if (app->fw) {
		t->fw_bits = app->fw[row->dev - app->devs].method_bits;
		t->fw_purge = app->fw[row->dev - app->devs].purge;
	}
	tui_model_confirm_expect(&t->dev, t->expect, sizeof(t->expect));
	snprintf(t->key, sizeof(t->key), "c%zu", sz.n);
	util_strlcpy(t->label, "Confirm ", sizeof(t->label));
	util_strlcpy(t->label + strlen(t->label), row->name, sizeof(t->label) - strlen(t->label));
	sz.n++;
}

/* The targets: every marked medium, else the selected one. */
static int collect(struct tui_app *app)
{
	sz.n = 0;
	for (size_t i = 0; i < app->n_rows && sz.n < MAX_TARGETS; i++)
		if (app->rows[i].marked && app->rows[i].selectable && app->rows[i].dev)
			add_target(app, &app->rows[i]);
	if (sz.n == 0) {
		const struct tui_media_row *row = tui_app_current(app);

		if (!row || !row->dev || !row->selectable) {
			if (row && row->dev)
				tui_app_message(app, true, "%s cannot be wiped: %s", row->name,
						tui_model_unselectable_why(row));
			else
				tui_app_message(app, true, "mark media with Space, or select one, "
						"to wipe");
			return -1;
		}
		add_target(app, row);
	}
	return 0;
}

static int build_form(void)
{
	static const struct tui_field_spec head[F_CONFIRM] = {
		{ "profile", "Profile", TUI_FIELD_CHOICE, true, 0, NULL },
		{ "destination", "Destination", TUI_FIELD_CHOICE, true, 0, NULL },
		{ "verify", "Verification", TUI_FIELD_CHOICE, true, 0, verify_choices },
		{ "operator", "Operator", TUI_FIELD_TEXT, true, 127, NULL },
		{ "operator_title", "Operator title", TUI_FIELD_TEXT, false, 127, NULL },
		{ "validator", "Validator (2nd person)", TUI_FIELD_TEXT, false, 127, NULL },
		{ "validator_title", "Validator title", TUI_FIELD_TEXT, false, 127, NULL },
	};

	memcpy(sz.spec, head, sizeof(head));
	sz.spec[F_PROFILE].choices = sz.prof_choices;
	sz.spec[F_DEST].choices = sz.dest_choices;
	for (size_t i = 0; i < sz.n; i++) {
		struct tui_field_spec *s = &sz.spec[F_CONFIRM + i];

		memset(s, 0, sizeof(*s));
		s->key = sz.t[i].key;
		s->label = sz.t[i].label;
		s->kind = TUI_FIELD_TEXT;
		s->required = true;
		s->max_len = 63;
	}
	if (tui_form_init(&sz.form, sz.spec, F_CONFIRM + sz.n) < 0)
		return -1;
	sz.form_on = true;
	if (!people[0][0])
		util_strlcpy(people[0], station_operator(), sizeof(people[0]));
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(people); i++)
		util_strlcpy(sz.form.fields.value[F_OPERATOR + i], people[i], TUI_FIELD_MAX);
	return 0;
}

static int load_profiles(struct tui_app *app)
{
	char *cause = NULL;

	if (profile_list(app->state_dir, false, &sz.profiles, &sz.n_profiles, &cause) < 0) {
		tui_app_message(app, true, "profiles: %s", cause ? cause : "cannot be read");
		free(cause);
		sz.profiles = NULL;
		sz.n_profiles = 0;
		return -1;
	}
	return 0;
}

static void san_leave(struct tui_app *app)
{
	(void)app;
	if (sz.form_on)
		tui_form_free(&sz.form);
	sz.form_on = false;
	free(sz.profiles);
	sz.profiles = NULL;
	sz.n_profiles = 0;
}

static int san_enter(struct tui_app *app, void *arg)
{
	(void)arg;
	memset(&sz, 0, sizeof(sz));
	if (collect(app) < 0 || load_profiles(app) < 0)
		return -1;
	offer_profiles(app);
	if (!sz.prof_choices[0]) {
		tui_app_message(app, true, "no profile the policy allows can run on %s: "
				"such media go to destruction", sz.n > 1 ? "these media" :
				"this medium");
		san_leave(app);
		return -1;
	}
	if (build_form() < 0) {
		san_leave(app);
		return -1;
	}
	/* "zero" first when offered: the quickest clear */
	tui_fields_set(&sz.form.fields, "profile", "zero");
	offer_destinations(app);
	return 0;
}

/* Rough throughput by transport, for the estimate only. */
static double guess_rate(const struct device_info *d)
{
	switch (d->transport) {
	case DEVICE_TRANSPORT_USB: return 30e6;
	case DEVICE_TRANSPORT_MMC: return 20e6;
	case DEVICE_TRANSPORT_NVME: return 1500e6;
	case DEVICE_TRANSPORT_VIRTUAL:
	case DEVICE_TRANSPORT_FILE: return 500e6;
	default: return d->rotational ? 150e6 : 400e6;
	}
}

static enum profile_verify chosen_verify(const struct profile *p, bool *set)
{
	enum profile_verify v = p->verify;
	const char *s = tui_fields_get(&sz.form.fields, "verify");

	*set = strcmp(s, "profile default") != 0 && profile_verify_parse(s, &v) == 0;
	return *set ? v : p->verify;
}

static void draw_plan(struct tui_app *app, WINDOW *in, int y)
{
	const struct profile *p = chosen_profile();
	int W = getmaxx(in);
	double secs = 0;
	char passes[256] = "", dur[32];
	size_t pos = 0;
	bool set;
	enum profile_verify v;

	if (!p)
		return;
	v = chosen_verify(p, &set);
	for (size_t i = 0; i < p->n_passes && pos + 40 < sizeof(passes); i++) {
		char d[64];

		profile_pass_describe(&p->passes[i], d, sizeof(d));
		pos += (size_t)snprintf(passes + pos, sizeof(passes) - pos, "%s%s", i ? ", " : "", d);
	}
	for (size_t i = 0; i < sz.n; i++) {
		double reads = v == PROFILE_VERIFY_ALL ? (double)p->n_passes :
			       v == PROFILE_VERIFY_LAST ? 1 : v == PROFILE_VERIFY_SAMPLE ? 0.1 : 0;
		double t = (double)sz.t[i].dev.size_bytes * ((double)p->n_passes + reads) /
			   guess_rate(&sz.t[i].dev);

		secs = t > secs ? t : secs;
	}
	util_format_duration((uint64_t)secs + 1, dur, sizeof(dur));
	tui_putf(app, in, y++, 0, W, TUI_STYLE_NORMAL, "%s (%s)", p->title[0] ? p->title :
		 p->name, p->name);
	tui_putf(app, in, y++, 0, W, TUI_STYLE_NORMAL, "%zu pass%s: %s", p->n_passes,
		 p->n_passes == 1 ? "" : "es", passes);
	tui_putf(app, in, y++, 0, W, TUI_STYLE_NORMAL, "Verify %s; NIST SP 800-88 %s; "
		 "all %zu in parallel, about %s", profile_verify_name(v),
		 profile_nist_name(profile_nist_for(p, device_media_kind(&sz.t[0].dev))), sz.n,
		 dur);
	for (size_t i = 0; i < sz.n && y < getmaxy(in); i++)
		if (!sz.t[i].enrolled)
			tui_putf(app, in, y++, 0, W, TUI_STYLE_WARN, "%s is not enrolled: it will "
				 "be recorded as an unregistered medium", sz.t[i].dev.name);
}

static void san_draw(struct tui_app *app, WINDOW *win)
{
	WINDOW *in = tui_dialog_box(app, win, (int)(sz.n + 19), 76, "Sanitize");
	int W, y = 0;
	char names[256] = "";
	size_t pos = 0;

	if (!in)
		return;
	W = getmaxx(in);
	for (size_t i = 0; i < sz.n && pos + 70 < sizeof(names); i++) {
		char size[24];

		util_format_size(sz.t[i].dev.size_bytes, size, sizeof(size));
		pos += (size_t)snprintf(names + pos, sizeof(names) - pos, "%s%s (%s)",
					i ? ", " : "", sz.t[i].dev.name, size);
	}
	tui_putf(app, in, y++, 0, W, TUI_STYLE_HEADER, "ALL DATA WILL BE DESTROYED on %s", names);
	tui_put(app, in, y++, 0, W, TUI_STYLE_GREY, "Confirm by typing each serial's last 4 "
		"characters (virtual media: name)");
	tui_form_draw(app, &sz.form, in, y, 26);
	y += (int)(F_CONFIRM + sz.n) + 3;
	if (y < getmaxy(in))
		draw_plan(app, in, y);
	delwin(in);
}

/* The operator and validator as cert.c will require them. */
static bool people_ok(struct tui_app *app)
{
	const struct tui_fields *f = &sz.form.fields;
	int bad = tui_model_people_check(f->value[F_OPERATOR], f->value[F_VALIDATOR],
					 f->value[F_VALIDATOR_T], &sz.form.error);

	if (bad < 0)
		return true;
	bad = bad == 0 ? F_OPERATOR : bad == 1 ? F_VALIDATOR : F_VALIDATOR_T;
	sz.form.cur = (size_t)bad;
	sz.form.error_field = bad;
	tui_app_message(app, true, "%s %s", sz.spec[bad].label, sz.form.error);
	return false;
}

static bool confirmed(struct tui_app *app)
{
	for (size_t i = 0; i < sz.n; i++) {
		if (!tui_model_confirm_matches(sz.t[i].expect,
					       tui_fields_get(&sz.form.fields, sz.t[i].key))) {
			sz.form.cur = F_CONFIRM + i;
			sz.form.error_field = (int)(F_CONFIRM + i);
			sz.form.error = "does not match: nothing was started";
			tui_app_message(app, true, "confirmation for %s does not match",
					sz.t[i].dev.name);
			return false;
		}
	}
	return true;
}

/* Probe @t again (the guards may have changed), check it against the
 * register and the policy (finish_check: nothing written when refused),
 * then start its job. */
static int start_one(struct tui_app *app, struct target *t, const struct profile *p,
		     enum policy_dest dest, char **cause)
{
	struct device_info fresh;
	struct finish *fin = calloc(1, sizeof(*fin));
	bool firmware = p->method != PROFILE_METHOD_OVERWRITE;
	struct job_spec spec;
	struct job *job = NULL;
	int rc;

	if (!fin)
		return util_fail(cause, -ENOMEM, "out of memory");
	finish_init(fin);
	rc = device_probe(t->dev.path, &fresh, cause);
	if (rc < 0) {
		free(fin);
		return rc;
	}
	if (!device_is_eligible(&fresh)) {
		rc = util_fail(cause, -EBUSY, "%s: %s", fresh.name,
			       fresh.reason_text[0] ? fresh.reason_text[0] : "not eligible");
		goto out;
	}
	util_strlcpy(fin->destination, policy_dest_name(dest), sizeof(fin->destination));
	rc = finish_check(app->policy, app->reg, &fresh, p, fin, cause);
	if (rc < 0)
		goto out;
	fin->state_dir = app->state_dir;
	fin->fw.opts.state_dir = app->state_dir;
	if (firmware && (rc = fw_job_guard(&fresh, p, &fin->fw.opts, cause)) < 0)
		goto out;
	fin->station = app->station;
	util_strlcpy(fin->operator_name, people[0], sizeof(fin->operator_name));
	util_strlcpy(fin->operator_title, people[1], sizeof(fin->operator_title));
	util_strlcpy(fin->validator_name, people[2], sizeof(fin->validator_name));
	util_strlcpy(fin->validator_title, people[3], sizeof(fin->validator_title));
	memset(&spec, 0, sizeof(spec));
	spec.device = &fresh;
	spec.profile = p;
	spec.verify = chosen_verify(p, &spec.verify_set);
	spec.state_dir = app->state_dir;
	spec.operator_name = fin->operator_name;
	spec.destination = fin->destination;
	spec.on_complete = finish_hook;
	spec.firmware = firmware ? fw_job_run : NULL;
	spec.firmware_data = firmware ? &fin->fw : NULL;
	spec.complete_data = fin;
	rc = job_start(&spec, &job, cause);
	if (rc == 0) {
		rc = tui_jobs_add(app, job, fin, &fresh);
		if (rc < 0)
			rc = util_fail(cause, rc, "out of memory for the job list");
		fin = NULL;	/* owned by the job list now (or freed with the job) */
	}
out:
	finish_clear(fin);
	free(fin);
	device_info_clear(&fresh);
	return rc;
}

/* A medium not started: on the message line, and in the dialog at its
 * confirmation field when the dialog stays open. */
static void refused(struct tui_app *app, size_t i, int rc, const char *cause)
{
	util_strlcpy(sz.refusal, cause ? cause : strerror(-rc), sizeof(sz.refusal));
	if (sz.form.error_field < 0) {
		sz.form.cur = F_CONFIRM + i;
		sz.form.error_field = (int)(F_CONFIRM + i);
		sz.form.error = sz.refusal;
	}
	tui_app_message(app, true, "%s not started: %s", sz.t[i].dev.name, sz.refusal);
}

static unsigned start_all(struct tui_app *app)
{
	const struct profile *p = chosen_profile();
	enum policy_dest dest;
	size_t started = 0;

	if (!tui_form_check(&sz.form) || !people_ok(app) || !confirmed(app))
		return TUI_HANDLED | TUI_REDRAW;
	if (!p || policy_dest_parse(tui_fields_get(&sz.form.fields, "destination"), &dest) < 0 ||
	    !allowed(app, p, dest)) {
		tui_app_message(app, true, "the policy does not allow this choice");
		return TUI_HANDLED | TUI_REDRAW;
	}
	if (!app->station) {
		tui_app_message(app, true, "the station is not set up (custos init): sanitizing "
				"issues signed certificates; nothing was written");
		return TUI_HANDLED | TUI_REDRAW;
	}
	sz.form.error_field = -1;
	sz.form.error = NULL;
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(people); i++)
		util_strlcpy(people[i], sz.form.fields.value[F_OPERATOR + i], sizeof(people[i]));
	for (size_t i = 0; i < sz.n; i++) {
		char *cause = NULL;
		int rc = start_one(app, &sz.t[i], p, dest, &cause);

		if (rc < 0)
			refused(app, i, rc, cause);
		else
			started++;
		free(cause);
	}
	if (started == 0)
		return TUI_HANDLED | TUI_REDRAW;	/* the dialog stays, showing why */
	if (started == sz.n)
		tui_app_message(app, false, "%zu job%s started with profile %s", started,
				started == 1 ? "" : "s", p->name);
	tui_app_clear_marks(app);
	return TUI_HANDLED | TUI_CLOSE;
}

static unsigned san_key(struct tui_app *app, int key)
{
	unsigned r;

	switch (key) {
	case 27:
		return TUI_HANDLED | TUI_CLOSE;
	case '\r': case '\n': case TUI_KEY_FN | KEY_ENTER: case TUI_FKEY(3):
		return start_all(app);
	default:
		break;
	}
	r = tui_form_key(&sz.form, key);
	if (strcmp(sz.last_profile, tui_fields_get(&sz.form.fields, "profile")) != 0)
		offer_destinations(app);
	return r | TUI_HANDLED;
}

static const struct tui_keyhelp san_keys[] = {
	{ "F3", "Enter", "Start", "start the jobs (after the typed confirmations)" },
	{ NULL, NULL, "Signers", "operator, optional validator (2nd person)", true },
	{ NULL, "Esc", "Cancel", "close; nothing is written" },
	{ NULL, "Tab", "Next", "next field (Up/Down, Shift-Tab move too)" },
	{ NULL, "Left/Right", "Choose", "change profile, destination, verification" },
	{ NULL, NULL, NULL, NULL, false },
};

const struct tui_screen tui_screen_sanitize = {
	.name = "sanitize",
	.dialog = true,
	.enter = san_enter,
	.leave = san_leave,
	.draw = san_draw,
	.key = san_key,
	.keys = san_keys,
};
