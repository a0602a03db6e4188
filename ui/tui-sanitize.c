/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tui-sanitize: the sanitize dialog for the marked media (or the selected
 * one).  Every decision is the library's plan (src/sanitize, the same
 * calls as `custos sanitize`): for the chosen profile the dialog plans
 * each medium and shows which destinations the policy allows for it and
 * the rule that forbids each other one.  Each medium has its own
 * destination, so a batch whose media allow different destinations is
 * split, never forced to the strictest: a medium that may only go to
 * destruction starts "left out" until the operator chooses destruction
 * for it, and committing a medium that was never enrolled to destruction
 * asks a question of its own.  On Enter every medium is planned again
 * with the final choices and the people, the typed confirmations are
 * compared with the plans', and each plan that holds is started.
 * The content scrolls (PgUp/PgDn, and with the focus) on small terminals.
 */
#include "tui-jobs.h"
#include "i18n.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fw-job.h"
#include "names.h"
#include "policy.h"
#include "profile.h"
#include "register.h"
#include "staff.h"
#include "station.h"

#define MAX_TARGETS 16
#define F_PROFILE 0
#define F_VERIFY 1
#define F_OPERATOR 2
#define F_OPERATOR_T 3
#define F_VALIDATOR 4
#define F_VALIDATOR_T 5
#define F_TARGETS 6	/* then per medium: its destination, its confirmation */
#define F_DEST(i) (F_TARGETS + 2 * (i))
#define F_CONFIRM(i) (F_TARGETS + 2 * (i) + 1)

#define LEAVE_OUT N_("leave out")
#define PAD_LINES 400

struct target {
	struct device_info dev;		/* identity only (reasons dropped) */
	bool enrolled;			/* the row's view; the plan's word counts (enrolled()) */
	unsigned fw_bits;		/* firmware methods the drive supports */
	bool fw_purge;
	struct tui_target_class cls;	/* for the profile list only */
	struct sanitize_plan *plan;	/* for the chosen profile; NULL: none could be made */
	char plan_error[256];		/* why, when @plan is NULL */
	char central_station[128];	/* enrolled at that station (central register) */
	const char *dest_choices[POLICY_DEST_COUNT + 2];
	bool dest_chosen;		/* the operator chose the destination (kept) */
	char dest_key[16], confirm_key[16];
	char dest_label[96], confirm_label[96];
};

static const char *const verify_choices[] = {
	N_("profile default"), "full", "all", "sample", "none", NULL
};

static struct {
	struct target t[MAX_TARGETS];
	size_t n;
	struct profile *profiles;	/* profiles of the search path */
	size_t n_profiles;
	const char *prof_choices[64];	/* names of the profiles offered */
	size_t prof_index[64];		/* their index in profiles[] */
	struct tui_field_spec spec[F_TARGETS + 2 * MAX_TARGETS];
	struct tui_form form;
	bool form_on;
	char last_profile[64];
	char last_verify[32];
	size_t last_cur;
	int top;			/* first content line shown */
	bool destroy_ack;		/* the unenrolled-destruction question was answered yes */
	bool start_pending;		/* start on the next tick (after that answer) */
	char refusal[256];		/* why the last medium was not started */
	char question[768];
} sz;

/* Who signs, kept for the next dialog of this session. */
static char people[F_TARGETS - F_OPERATOR][128];

/* Enrolled (an M- entry with its classification), as the plan saw it. */
static bool enrolled(const struct target *t, const struct sanitize_plan *plan)
{
	/* media_id 0 with a register number: another station's medium (the
	 * central register), received here when the run starts */
	return plan ? (plan->media_id > 0 || plan->register_no[0]) && !plan->declared :
		      t->enrolled;
}

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

/* The profiles that can give every medium some destination (the plan
 * decides the rest). */
static void offer_profiles(const struct tui_app *app)
{
	size_t n = 0;

	for (size_t i = 0; i < sz.n_profiles && n + 1 < UTIL_ARRAY_SIZE(sz.prof_choices); i++) {
		bool ok = firmware_can(&sz.profiles[i]);

		for (size_t k = 0; ok && k < sz.n; k++)
			ok = tui_model_offered(app->policy, &sz.profiles[i], &sz.t[k].cls, 1);
		if (ok) {
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

static bool chosen_verify(enum profile_verify *v)
{
	const char *s = tui_fields_get(&sz.form.fields, "verify");

	return s && strcmp(s, "profile default") != 0 && profile_verify_parse(s, v) == 0;
}

/* The destination chosen for target @i; false when it is left out. */
static bool chosen_dest(size_t i, enum policy_dest *d)
{
	return policy_dest_parse(sz.form.fields.value[F_DEST(i)], d) == 0;
}

/* Plan target @t for @p towards @dest (NULL: the library's default) with
 * the dialog's verification and people; NULL (and @t->plan_error) when no
 * plan could be made at all.  A refused plan is returned: it says why. */
static struct sanitize_plan *make_plan(struct tui_app *app, struct target *t,
				       const struct profile *p, const char *dest)
{
	struct sanitize_request rq;
	struct sanitize_plan *plan = NULL;
	char *cause = NULL;

	sanitize_request_init(&rq);
	rq.state_dir = app->state_dir;
	rq.station = app->station;
	rq.policy = app->policy;
	rq.path = t->dev.path;
	rq.profile = p;
	rq.destination = dest;
	rq.verify_set = chosen_verify(&rq.verify);
	rq.operator_name = people[0];
	rq.operator_title = people[1];
	rq.validator_name = people[2];
	rq.validator_title = people[3];
	sanitize_plan(&rq, &plan, &cause);
	if (!plan)
		util_strlcpy(t->plan_error, cause ? cause : "the plan could not be made",
			     sizeof(t->plan_error));
	free(cause);
	return plan;
}

/* The destinations target @t may choose: those its plan allows, then
 * "leave out".  The current choice stays when still allowed; else the
 * first allowed one other than destruction, else "leave out" (the
 * operator commits a medium to destruction only by choosing it). */
static void offer_destinations(size_t i)
{
	struct target *t = &sz.t[i];
	size_t n = 0, f = F_DEST(i);
	char keep[32] = "";

	if (t->dest_chosen)
		util_strlcpy(keep, sz.form.fields.value[f], sizeof(keep));
	for (int d = 0; t->plan && d < POLICY_DEST_COUNT; d++)
		if (t->plan->dests[d].allowed)
			t->dest_choices[n++] = policy_dest_name((enum policy_dest)d);
	t->dest_choices[n++] = LEAVE_OUT;
	t->dest_choices[n] = NULL;
	sz.form.fields.choice[f] = n - 1;
	util_strlcpy(sz.form.fields.value[f], LEAVE_OUT, TUI_FIELD_MAX);
	for (size_t k = 0; k + 1 < n; k++) {
		if (strcmp(t->dest_choices[k], policy_dest_name(POLICY_DEST_DESTRUCTION)) != 0) {
			tui_fields_set(&sz.form.fields, t->dest_key, t->dest_choices[k]);
			break;
		}
	}
	if (keep[0])
		tui_fields_set(&sz.form.fields, t->dest_key, keep);
}

/* Each target's plan for the chosen profile (after a change of profile
 * or verification). */
static void replan(struct tui_app *app)
{
	const struct profile *p = chosen_profile();

	for (size_t i = 0; i < sz.n; i++) {
		struct target *t = &sz.t[i];

		sanitize_plan_free(t->plan);
		t->plan = NULL;
		t->plan_error[0] = '\0';
		if (p)
			t->plan = make_plan(app, t, p, NULL);
		offer_destinations(i);
	}
	util_strlcpy(sz.last_profile, p ? p->name : "", sizeof(sz.last_profile));
	util_strlcpy(sz.last_verify, tui_fields_get(&sz.form.fields, "verify"),
		     sizeof(sz.last_verify));
}

/* Fill a target from a row: identity, register level and kind, firmware. */
static void add_target(struct tui_app *app, const struct tui_media_row *row)
{
	struct target *t = &sz.t[sz.n];
	struct register_media m;
	char *cause = NULL;

	memset(t, 0, sizeof(*t));
	t->dev = *row->dev;
	memset(t->dev.reason_text, 0, sizeof(t->dev.reason_text));
	t->dev.n_reasons = 0;
	t->enrolled = row->reg->enrolled;
	if (app->reg && register_find_by_device(app->reg, &t->dev, &m, &cause) == 0) {
		tui_model_target_class(&t->dev, &m, &t->cls);
		if (m.id <= 0)
			util_strlcpy(t->central_station, m.central_station,
				     sizeof(t->central_station));
	} else
		tui_model_target_class(&t->dev, NULL, &t->cls);
	free(cause);
	if (app->fw) {
		t->fw_bits = app->fw[row->dev - app->devs].method_bits;
		t->fw_purge = app->fw[row->dev - app->devs].purge;
	}
	snprintf(t->dest_key, sizeof(t->dest_key), "d%zu", sz.n);
	snprintf(t->confirm_key, sizeof(t->confirm_key), "c%zu", sz.n);
	snprintf(t->dest_label, sizeof(t->dest_label), _("Destination %s"), row->name);
	snprintf(t->confirm_label, sizeof(t->confirm_label), _("Confirm %s"), row->name);
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
				tui_app_message(app, true, _("%s cannot be wiped: %s"), row->name,
						tui_model_unselectable_why(row));
			else
				tui_app_message(app, true, _("mark media with Space, or select one, "
						"to wipe"));
			return -1;
		}
		add_target(app, row);
	}
	return 0;
}

static int build_form(const struct tui_app *app)
{
	static const struct tui_field_spec head[F_TARGETS] = {
		{ "profile", N_("Profile"), TUI_FIELD_CHOICE, true, 0, NULL },
		{ "verify", N_("Verification"), TUI_FIELD_CHOICE, true, 0, verify_choices },
		{ "operator", N_("Operator"), TUI_FIELD_TEXT, true, 127, NULL },
		{ "operator_title", N_("Operator title"), TUI_FIELD_TEXT, false, 127, NULL },
		{ "validator", N_("Validator (2nd person)"), TUI_FIELD_TEXT, false, 127, NULL },
		{ "validator_title", N_("Validator title"), TUI_FIELD_TEXT, false, 127, NULL },
	};

	memcpy(sz.spec, head, sizeof(head));
	sz.spec[F_PROFILE].choices = sz.prof_choices;
	for (size_t i = 0; i < sz.n; i++) {
		struct tui_field_spec *d = &sz.spec[F_DEST(i)], *c = &sz.spec[F_CONFIRM(i)];

		memset(d, 0, sizeof(*d));
		d->key = sz.t[i].dest_key;
		d->label = sz.t[i].dest_label;
		d->kind = TUI_FIELD_CHOICE;
		d->choices = sz.t[i].dest_choices;
		sz.t[i].dest_choices[0] = LEAVE_OUT;
		memset(c, 0, sizeof(*c));
		c->key = sz.t[i].confirm_key;
		c->label = sz.t[i].confirm_label;
		c->kind = TUI_FIELD_TEXT;
		c->max_len = 63;
	}
	if (tui_form_init(&sz.form, sz.spec, F_TARGETS + 2 * sz.n) < 0)
		return -1;
	sz.form_on = true;
	/* the operator is the person at the station (tui-people.c); a roster
	 * that cannot be read (app->roster NULL) leaves it empty */
	if (app->operator_name[0] || tui_people_kept(app) || !app->roster) {
		util_strlcpy(people[0], app->operator_name, sizeof(people[0]));
		util_strlcpy(people[1], app->operator_title, sizeof(people[1]));
	} else if (!people[0][0]) {
		util_strlcpy(people[0], station_operator(), sizeof(people[0]));
	}
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(people); i++)
		util_strlcpy(sz.form.fields.value[F_OPERATOR + i], people[i], TUI_FIELD_MAX);
	return 0;
}

static int load_profiles(struct tui_app *app)
{
	char *cause = NULL;

	if (profile_list(app->state_dir, false, &sz.profiles, &sz.n_profiles, &cause) < 0) {
		tui_app_message(app, true, _("profiles: %s"), cause ? cause : "cannot be read");
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
	for (size_t i = 0; i < sz.n; i++) {
		sanitize_plan_free(sz.t[i].plan);
		sz.t[i].plan = NULL;
	}
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
	if (!tui_people_acting(app))
		return -1;
	memset(&sz, 0, sizeof(sz));
	if (collect(app) < 0 || load_profiles(app) < 0)
		return -1;
	offer_profiles(app);
	if (!sz.prof_choices[0]) {
		tui_app_message(app, true, _("no profile can run on %s (firmware, or no NIST claim "
				"for the media kind)"), sz.n > 1 ? "all these media" :
				"this medium");
		san_leave(app);
		return -1;
	}
	if (build_form(app) < 0) {
		san_leave(app);
		return -1;
	}
	/* "zero" first when offered: the quickest clear */
	tui_fields_set(&sz.form.fields, "profile", "zero");
	replan(app);
	return 0;
}

/* --- drawing (into a pad, shown through the dialog as far as it fits) --- */

/* "internal-reuse, destruction" of the destinations @plan allows. */
static void allowed_list(const struct sanitize_plan *plan, char *out, size_t len)
{
	size_t pos = 0;

	out[0] = '\0';
	for (int d = 0; d < POLICY_DEST_COUNT && pos + 1 < len; d++) {
		int k;

		if (!plan->dests[d].allowed)
			continue;
		k = snprintf(out + pos, len - pos, "%s%s", pos ? _(", ") : "",
			     i18n_value(policy_dest_name((enum policy_dest)d)));
		if (k < 0)
			break;
		pos += (size_t)k;
	}
	if (!out[0])
		util_strlcpy(out, i18n_value("none"), len);
}

/* One line per distinct rule: "no recycling, manufacturer: policy rule ...". */
static int draw_forbidden(struct tui_app *app, WINDOW *pad, int y,
			  const struct sanitize_plan *plan)
{
	bool done[POLICY_DEST_COUNT] = { false };

	for (int d = 0; d < POLICY_DEST_COUNT; d++) {
		char line[768];
		size_t pos;

		if (plan->dests[d].allowed || done[d])
			continue;
		pos = (size_t)snprintf(line, sizeof(line), _("  no %s"),
				       i18n_value(policy_dest_name((enum policy_dest)d)));
		for (int e = d + 1; e < POLICY_DEST_COUNT && pos + 40 < sizeof(line); e++) {
			if (plan->dests[e].allowed || done[e] ||
			    strcmp(plan->dests[e].rule, plan->dests[d].rule) != 0)
				continue;
			done[e] = true;
			pos += (size_t)snprintf(line + pos, sizeof(line) - pos, "%s%s", _(", "),
						i18n_value(policy_dest_name((enum policy_dest)e)));
		}
		snprintf(line + pos, sizeof(line) - pos, _(": %s"), plan->dests[d].rule[0] ?
			 plan->dests[d].rule : _("not allowed"));
		y = tui_wrap(app, pad, y, TUI_STYLE_GREY, line);
	}
	return y;
}

/* What the plan says of target @i: its register entry, the destinations
 * allowed and why the others are not, and what needs attention. */
static int draw_target(struct tui_app *app, WINDOW *pad, int y, size_t i)
{
	const struct target *t = &sz.t[i];
	const struct sanitize_plan *p = t->plan;
	int W = getmaxx(pad);
	enum policy_dest d;
	bool chosen = chosen_dest(i, &d), others = false;
	char line[768], list[160];

	if (!p) {
		tui_putf(app, pad, y++, 0, W, TUI_STYLE_HEADER, "%s", t->dev.name);
		return tui_wrap(app, pad, y, TUI_STYLE_BAD, t->plan_error);
	}
	tui_putf(app, pad, y++, 0, W, TUI_STYLE_HEADER, "%s  %s  %s%s  %s  %s%s", t->dev.name,
		 p->register_no[0] ? p->register_no : _("not enrolled"),
		 i18n_value(p->classification), p->declared ? _(" (assumed)") : "",
		 i18n_value(p->media_kind), chosen ? "-> " : "",
		 chosen ? i18n_value(policy_dest_name(d)) : _("left out"));
	if (t->central_station[0] && p->media_id <= 0 && enrolled(t, p)) {
		snprintf(line, sizeof(line), _("  enrolled at station %s (central register): "
			 "received into this station's register when the run starts"),
			 t->central_station);
		y = tui_wrap(app, pad, y, TUI_STYLE_NORMAL, line);
	}
	if (p->rc < 0 && strcmp(p->refusal, "policy") != 0) {
		snprintf(line, sizeof(line), _("  REFUSED (%s): %s"), p->refusal, p->reason);
		return tui_wrap(app, pad, y, TUI_STYLE_BAD, line);
	}
	allowed_list(p, list, sizeof(list));
	tui_putf(app, pad, y++, 0, W, TUI_STYLE_NORMAL, _("  allowed with %s: %s"), p->profile.name,
		 list);
	y = draw_forbidden(app, pad, y, p);
	for (int k = 0; k < POLICY_DEST_COUNT; k++)
		others |= p->dests[k].allowed && k != POLICY_DEST_DESTRUCTION;
	if (p->dests[POLICY_DEST_DESTRUCTION].allowed && !others)
		y = tui_wrap(app, pad, y, TUI_STYLE_WARN, _("  only destruction is allowed with this "
			     "profile: choose it for this medium, a stronger profile, or leave "
			     "it out"));
	if (p->interrupted)
		y = tui_wrap(app, pad, y, TUI_STYLE_WARN, _("  an earlier run was interrupted: it "
			     "is recorded as interrupted before this one starts"));
	if (!enrolled(t, p)) {
		snprintf(line, sizeof(line), _("  not enrolled: it will be recorded as an "
			 "unregistered medium%s"), chosen && d == POLICY_DEST_DESTRUCTION ?
			 _("; DESTRUCTION: it can never be enrolled or reused (asked again)") : "");
		y = tui_wrap(app, pad, y, chosen && d == POLICY_DEST_DESTRUCTION ?
			     TUI_STYLE_BAD : TUI_STYLE_WARN, line);
	}
	return y;
}

/* The profile: passes, verification, NIST category, time. */
static int draw_profile(struct tui_app *app, WINDOW *pad, int y)
{
	const struct profile *p = chosen_profile();
	int W = getmaxx(pad);
	char passes[256] = "", dur[32] = "unknown", line[512];
	uint64_t secs = 0;
	size_t pos = 0;
	enum profile_verify v = p ? p->verify : PROFILE_VERIFY_LAST;

	if (!p)
		return y;
	chosen_verify(&v);
	for (size_t i = 0; i < p->n_passes && pos + 40 < sizeof(passes); i++) {
		char d[64];

		profile_pass_describe(&p->passes[i], d, sizeof(d));
		pos += (size_t)snprintf(passes + pos, sizeof(passes) - pos, "%s%s", i ? ", " : "", d);
	}
	for (size_t i = 0; i < sz.n; i++)
		if (sz.t[i].plan && sz.t[i].plan->estimate_s > secs)
			secs = sz.t[i].plan->estimate_s;
	if (secs)
		util_format_duration(secs, dur, sizeof(dur));
	tui_putf(app, pad, y++, 0, W, TUI_STYLE_NORMAL, "%s (%s)", p->title[0] ?
		 i18n_profile_title(p->title) : p->name, p->name);
	snprintf(line, sizeof(line), ngettext("%zu pass: %s; verify %s; all %zu in parallel, "
					      "about %s", "%zu passes: %s; verify %s; all %zu in "
					      "parallel, about %s", p->n_passes),
		 p->n_passes, passes, i18n_value(profile_verify_name(v)), sz.n, dur);
	return tui_wrap(app, pad, y, TUI_STYLE_NORMAL, line);
}

/* Draw the whole content into @pad; the line of the first field into @form_y. */
static int draw_content(struct tui_app *app, WINDOW *pad, int *form_y)
{
	char names[512] = "", line[600];
	size_t pos = 0;
	int y = 0;

	for (size_t i = 0; i < sz.n && pos + 70 < sizeof(names); i++) {
		char size[24];

		util_format_size(sz.t[i].dev.size_bytes, size, sizeof(size));
		pos += (size_t)snprintf(names + pos, sizeof(names) - pos, "%s%s (%s)",
					i ? ", " : "", sz.t[i].dev.name, size);
	}
	snprintf(line, sizeof(line), _("ALL DATA WILL BE DESTROYED on %s"), names);
	y = tui_wrap(app, pad, y, TUI_STYLE_HEADER, line);
	y = tui_wrap(app, pad, y, TUI_STYLE_GREY, _("Confirm by typing each serial's last 4 "
		     "characters (virtual media: name)"));
	*form_y = y;
	tui_form_draw(app, &sz.form, pad, y, 26);
	y += (int)sz.form.fields.n;
	if (sz.form.error && sz.form.error_field >= 0)
		y += 2;		/* the form's error line */
	y = draw_profile(app, pad, y + 1);
	for (size_t i = 0; i < sz.n && y < PAD_LINES - 8; i++)
		y = draw_target(app, pad, y + 1, i);
	return y;
}

static void san_draw(struct tui_app *app, WINDOW *win)
{
	int W = (getmaxx(win) < 76 ? getmaxx(win) : 76) - 4, form_y = 0, total, h, cur_y;
	WINDOW *pad, *in;

	if (W < 20 || !(pad = newpad(PAD_LINES, W)))
		return;
	total = draw_content(app, pad, &form_y);
	in = tui_dialog_box(app, win, total + 2, W + 4, _("Sanitize"));
	if (!in) {
		delwin(pad);
		return;
	}
	h = getmaxy(in);
	/* keep the focused field (and the form's error) in view when it moved */
	cur_y = form_y + (int)sz.form.cur;
	if (sz.form.cur != sz.last_cur) {
		if (cur_y < sz.top + 1)
			sz.top = cur_y - 1;
		if (cur_y + 2 >= sz.top + h)
			sz.top = cur_y + 3 - h;
		sz.last_cur = sz.form.cur;
	}
	if (sz.top > total - h)
		sz.top = total - h;
	if (sz.top < 0)
		sz.top = 0;
	copywin(pad, in, sz.top, 0, 0, 0, h - 1, W - 1, FALSE);
	if (sz.top + h < total)
		tui_put(app, in, h - 1, W - 12, 12, TUI_STYLE_BAR, _(" PgDn more v"));
	if (sz.top > 0)
		tui_put(app, in, 0, W - 12, 12, TUI_STYLE_BAR, _(" PgUp more ^"));
	delwin(in);
	delwin(pad);
}

/* --- starting ---------------------------------------------------------- */

/* With a roster, the operator and a validator are its people in their
 * roles: the first field that is not, with the roster's answer. */
static int roster_check(struct tui_app *app)
{
	static char why[256];
	const struct tui_fields *f = &sz.form.fields;
	const struct staff_person *p;
	char *cause = NULL;
	int bad = -1;

	if (staff_require(app->roster, f->value[F_OPERATOR], STAFF_ROLE_OPERATOR, &p,
			  &cause) < 0)
		bad = F_OPERATOR;
	else if (!names_blank(f->value[F_VALIDATOR]) &&
		 staff_require(app->roster, f->value[F_VALIDATOR], STAFF_ROLE_VALIDATOR, &p,
			       &cause) < 0)
		bad = F_VALIDATOR;
	if (bad < 0)
		return -1;
	util_strlcpy(why, cause ? cause : _("is not on the roster"), sizeof(why));
	free(cause);
	sz.form.error = why;
	return bad;
}

/* The operator and validator as the certificate requires them. */
static bool people_ok(struct tui_app *app)
{
	const struct tui_fields *f = &sz.form.fields;
	int bad = tui_model_people_check(f->value[F_OPERATOR], f->value[F_VALIDATOR],
					 f->value[F_VALIDATOR_T], &sz.form.error);

	if (bad < 0 && tui_people_kept(app)) {
		bad = roster_check(app);
		if (bad >= 0) {
			sz.form.cur = (size_t)bad;
			sz.form.error_field = bad;
			tui_app_message(app, true, _("%s: %s"), _(sz.spec[bad].label), sz.form.error);
			return false;
		}
	}
	if (bad < 0)
		return true;
	bad = bad == 0 ? F_OPERATOR : bad == 1 ? F_VALIDATOR : F_VALIDATOR_T;
	sz.form.cur = (size_t)bad;
	sz.form.error_field = bad;
	tui_app_message(app, true, _("%s %s"), sz.spec[bad].label, sz.form.error);
	return false;
}

/* What the operator must type for target @i: the plan's text. */
static void expected(size_t i, char *out, size_t len)
{
	if (sz.t[i].plan && sz.t[i].plan->confirm_text[0])
		util_strlcpy(out, sz.t[i].plan->confirm_text, len);
	else
		tui_model_confirm_expect(&sz.t[i].dev, out, len);
}

static bool confirmed(struct tui_app *app)
{
	for (size_t i = 0; i < sz.n; i++) {
		enum policy_dest d;
		char expect[128];

		if (!chosen_dest(i, &d))
			continue;
		expected(i, expect, sizeof(expect));
		if (!tui_model_confirm_matches(expect, sz.form.fields.value[F_CONFIRM(i)])) {
			sz.form.cur = F_CONFIRM(i);
			sz.form.error_field = (int)F_CONFIRM(i);
			sz.form.error = "does not match: nothing was started";
			tui_app_message(app, true, _("confirmation for %s does not match"),
					sz.t[i].dev.name);
			return false;
		}
	}
	return true;
}

/* A medium not started: on the message line, and in the dialog at its
 * confirmation field when the dialog stays open. */
static void refused(struct tui_app *app, size_t i, const char *cause)
{
	util_strlcpy(sz.refusal, cause, sizeof(sz.refusal));
	if (sz.form.error_field < 0) {
		sz.form.cur = F_CONFIRM(i);
		sz.form.error_field = (int)F_CONFIRM(i);
		sz.form.error = sz.refusal;
	}
	tui_app_message(app, true, _("%s not started: %s"), sz.t[i].dev.name, sz.refusal);
}

static unsigned start_all(struct tui_app *app);

/* Yes: start on the next tick, once the question is off the stack. */
static unsigned destroy_answered(struct tui_app *app)
{
	(void)app;
	sz.destroy_ack = true;
	sz.start_pending = true;
	return TUI_REDRAW;
}

static struct tui_confirm destroy_question = {
	.title = N_("Destruction of media never enrolled"),
	.text = sz.question,
	.yes = destroy_answered,
};

/* Media never enrolled that go to destruction: ask about them first. */
static bool ask_destruction(struct tui_app *app, struct sanitize_plan **plans)
{
	size_t pos = 0;

	if (sz.destroy_ack)
		return false;
	for (size_t i = 0; i < sz.n && pos + 80 < sizeof(sz.question); i++)
		if (plans[i] && !enrolled(&sz.t[i], plans[i]) &&
		    plans[i]->dest == POLICY_DEST_DESTRUCTION)
			pos += (size_t)snprintf(sz.question + pos, sizeof(sz.question) - pos,
						"%s%s", pos ? ", " : "", sz.t[i].dev.name);
	if (!pos)
		return false;
	snprintf(sz.question + pos, sizeof(sz.question) - pos, _(": never enrolled, sent to "
		 "DESTRUCTION.  It is recorded as unregistered, awaiting destruction, and can "
		 "never be enrolled or reused.  Commit it to destruction?"));
	tui_app_push(app, &tui_screen_confirm, &destroy_question);
	return true;
}

/* Plan every medium again with the final choices (the register, the
 * device and the people may have changed) and start those that hold. */
static unsigned start_all(struct tui_app *app)
{
	const struct profile *p = chosen_profile();
	struct sanitize_plan *plans[MAX_TARGETS] = { NULL };
	size_t started = 0, wanted = 0, failed = 0;
	bool asked;

	if (!tui_form_check(&sz.form) || !people_ok(app) || !confirmed(app) || !p)
		return TUI_HANDLED | TUI_REDRAW;
	sz.form.error_field = -1;
	sz.form.error = NULL;
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(people); i++)
		util_strlcpy(people[i], sz.form.fields.value[F_OPERATOR + i], sizeof(people[i]));
	for (size_t i = 0; i < sz.n; i++) {
		enum policy_dest d;
		char expect[128];

		if (!chosen_dest(i, &d))
			continue;
		wanted++;
		plans[i] = make_plan(app, &sz.t[i], p, policy_dest_name(d));
		if (!plans[i] || plans[i]->rc < 0) {
			refused(app, i, plans[i] ? plans[i]->reason : sz.t[i].plan_error);
			sanitize_plan_free(plans[i]);
			plans[i] = NULL;
			failed++;
			continue;
		}
		/* the fresh plan's confirmation text must still be what was typed */
		util_strlcpy(expect, plans[i]->confirm_text, sizeof(expect));
		if (!tui_model_confirm_matches(expect, sz.form.fields.value[F_CONFIRM(i)])) {
			refused(app, i, "the medium changed: its confirmation text is now different");
			sanitize_plan_free(plans[i]);
			plans[i] = NULL;
			failed++;
		}
	}
	if (wanted == 0) {
		tui_app_message(app, true, _("every medium is left out: choose a destination"));
		return TUI_HANDLED | TUI_REDRAW;
	}
	asked = failed == 0 && ask_destruction(app, plans);
	for (size_t i = 0; i < sz.n; i++) {
		struct sanitize_run *run = NULL;
		char *cause = NULL;

		if (!plans[i])
			continue;
		if (asked || failed) {
			sanitize_plan_free(plans[i]);	/* nothing starts until all hold */
			continue;
		}
		if (sanitize_start(plans[i], &run, &cause) < 0) {
			refused(app, i, cause ? cause : "could not start");
			sanitize_plan_free(plans[i]);
		} else if (tui_jobs_add(app, run, plans[i]) < 0) {
			refused(app, i, "out of memory for the job list (stopped)");
		} else {
			started++;
		}
		free(cause);
	}
	sz.destroy_ack = false;
	if (started == 0)
		return TUI_HANDLED | TUI_REDRAW;	/* the dialog stays, showing why */
	if (started == wanted)
		tui_app_message(app, false, ngettext("%zu job started with profile %s",
						     "%zu jobs started with profile %s", started),
				started, p->name);
	tui_app_clear_marks(app);
	return TUI_HANDLED | TUI_CLOSE;
}

/* F2 on the operator's or the validator's field: the roster's people. */
static void person_chosen(struct tui_app *app, const struct staff_person *p, void *data)
{
	size_t field = (size_t)(uintptr_t)data;

	(void)app;
	util_strlcpy(sz.form.fields.value[field], p->name, TUI_FIELD_MAX);
	util_strlcpy(sz.form.fields.value[field + 1], p->title, TUI_FIELD_MAX);
	sz.form.error_field = -1;
	sz.form.error = NULL;
}

static unsigned pick_person(struct tui_app *app)
{
	size_t cur = sz.form.cur;
	unsigned role;

	if (cur == F_OPERATOR || cur == F_OPERATOR_T)
		cur = F_OPERATOR, role = STAFF_ROLE_OPERATOR;
	else if (cur == F_VALIDATOR || cur == F_VALIDATOR_T)
		cur = F_VALIDATOR, role = STAFF_ROLE_VALIDATOR;
	else
		return TUI_HANDLED;
	if (tui_people_pick(app, role, person_chosen, (void *)(uintptr_t)cur) == -ENOENT)
		tui_app_message(app, true, _("no roster: type the name (custos staff add keeps "
					     "the station's people)"));
	return TUI_HANDLED | TUI_REDRAW;
}

static unsigned san_key(struct tui_app *app, int key)
{
	char before[TUI_FIELD_MAX];
	unsigned r;
	size_t cur;

	switch (key) {
	case 27:
		return TUI_HANDLED | TUI_CLOSE;
	case '\r': case '\n': case TUI_KEY_FN | KEY_ENTER: case TUI_FKEY(3):
		return start_all(app);
	case TUI_KEY_FN | KEY_NPAGE:
		sz.top += 8;
		return TUI_HANDLED | TUI_REDRAW;
	case TUI_KEY_FN | KEY_PPAGE:
		sz.top = sz.top > 8 ? sz.top - 8 : 0;
		return TUI_HANDLED | TUI_REDRAW;
	case TUI_FKEY(2):
		return pick_person(app);
	default:
		break;
	}
	cur = sz.form.cur;
	util_strlcpy(before, sz.form.fields.value[cur], sizeof(before));
	r = tui_form_key(&sz.form, key);
	if (cur >= F_TARGETS && (cur - F_TARGETS) % 2 == 0 &&
	    strcmp(before, sz.form.fields.value[cur]) != 0)
		sz.t[(cur - F_TARGETS) / 2].dest_chosen = true;
	if (strcmp(sz.last_profile, tui_fields_get(&sz.form.fields, "profile")) != 0 ||
	    strcmp(sz.last_verify, tui_fields_get(&sz.form.fields, "verify")) != 0)
		replan(app);
	return r | TUI_HANDLED;
}

static unsigned san_tick(struct tui_app *app)
{
	if (!sz.start_pending)
		return 0;
	sz.start_pending = false;
	return start_all(app);
}

static const struct tui_keyhelp san_keys[] = {
	{ "F3", "Enter", N_("Start"), N_("start the jobs (after the typed confirmations)") },
	{ NULL, NULL, N_("Signers"), N_("operator, optional validator (2nd person)"), true },
	{ "F2", NULL, N_("Pick"), N_("on the operator's or validator's field: choose from the roster") },
	{ NULL, "Esc", N_("Cancel"), N_("close; nothing is written") },
	{ NULL, "Tab", N_("Next"), N_("next field (Up/Down, Shift-Tab move too)") },
	{ NULL, "Left/Right", N_("Choose"), N_("change profile, verification, each destination") },
	{ NULL, "PgDn", N_("Scroll"), N_("scroll the dialog (plans, reasons; PgUp back)") },
	{ NULL, NULL, NULL, NULL, false },
};

const struct tui_screen tui_screen_sanitize = {
	.name = "sanitize",
	.dialog = true,
	.enter = san_enter,
	.leave = san_leave,
	.draw = san_draw,
	.key = san_key,
	.tick = san_tick,
	.keys = san_keys,
};
