/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tui-model: the station screens' content without a terminal (see tui-model.h).
 */
#include "tui-model.h"
#include "i18n.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <wctype.h>

#include "register.h"
#include "staff.h"
#include "util.h"

/* --- text -------------------------------------------------------------- */

/* Decode one character at @s (at most @n bytes).  Sets *@wc ('?' for
 * invalid or control characters) and *@w (its columns); returns bytes used. */
static size_t next_char(const char *s, size_t n, wchar_t *wc, int *w)
{
	mbstate_t st;
	size_t used;

	memset(&st, 0, sizeof(st));
	used = mbrtowc(wc, s, n, &st);
	if (used == (size_t)-1 || used == (size_t)-2 || used == 0) {
		*wc = L'?';
		*w = 1;
		return 1;
	}
	*w = wcwidth(*wc);
	if (*w < 0 || iswcntrl((wint_t)*wc)) {
		*wc = L'?';
		*w = 1;
	}
	return used;
}

/* The same count as util_display_width(): wide 2, invalid and control 1. */
int tui_text_width(const char *s)
{
	return util_display_width(s);
}

size_t tui_text_cut(const char *s, int cols)
{
	size_t n = strlen(s), pos = 0;
	int used = 0;

	while (pos < n) {
		wchar_t wc;
		int w;
		size_t k = next_char(s + pos, n - pos, &wc, &w);

		if (used + w > cols)
			break;
		used += w;
		pos += k;
	}
	return pos;
}

int tui_text_fit(const char *s, int cols, bool pad, char *out, size_t len)
{
	return util_fit_width(s, cols, pad, out, len);
}

void tui_progress_bar(double frac, int width, char *out, size_t len)
{
	int inner = width - 2, full, i;
	size_t pos = 0;

	if (len == 0)
		return;
	if (width < 3 || (size_t)width + 1 > len) {
		out[0] = '\0';
		return;
	}
	if (frac < 0)
		frac = 0;
	if (frac > 1)
		frac = 1;
	full = (int)(frac * inner + 0.5);
	out[pos++] = '[';
	for (i = 0; i < inner; i++)
		out[pos++] = i < full ? '#' : '.';
	out[pos++] = ']';
	out[pos] = '\0';
}

/* --- job progress ----------------------------------------------------- */

void tui_model_job_progress(struct tui_job_view *v, const struct sanitize_progress *p,
			    const char *profile)
{
	const char *what = p->state == SANITIZE_RECORDING ? _("recording") :
			   p->phase == WIPE_PHASE_VERIFY ? _("verify") : "";

	v->passes = p->n_passes;
	v->pass = p->pass < 1 ? 1 : p->pass;
	if (v->passes && v->pass > v->passes)
		v->pass = v->passes;
	v->percent = p->percent < 0 ? 0 : p->percent > 100 ? 100 : p->percent;
	v->rate_bps = p->rate;
	v->eta_s = p->eta_s == UINT64_MAX ? -1 : (int64_t)p->eta_s;
	v->errors = p->errors;
	snprintf(v->step, sizeof(v->step), "%s%s%s", profile ? profile : "",
		 profile && profile[0] && what[0] ? " " : "", what);
}

/* --- media rows -------------------------------------------------------- */

static const struct tui_reg_view no_reg;

static const struct tui_job_view *job_for(const char *path, const struct tui_job_view *jobs,
					  size_t n_jobs)
{
	for (size_t i = 0; i < n_jobs; i++)
		if (strcmp(jobs[i].path, path) == 0)
			return &jobs[i];
	return NULL;
}

static bool is_marked(const char *path, const char *const *marked, size_t n_marked)
{
	for (size_t i = 0; i < n_marked; i++)
		if (marked[i] && strcmp(marked[i], path) == 0)
			return true;
	return false;
}

static bool job_active(const struct tui_job_view *job)
{
	return job && (job->phase == TUI_JOB_RUNNING || job->phase == TUI_JOB_STOPPING);
}

static enum tui_row_style job_style(const struct tui_job_view *job)
{
	switch (job->phase) {
	case TUI_JOB_RUNNING:
	case TUI_JOB_STOPPING:
		return TUI_ROW_RUNNING;
	case TUI_JOB_SUCCEEDED:
		return TUI_ROW_DONE;
	case TUI_JOB_FAILED:
	case TUI_JOB_ABORTED:
		break;
	}
	return TUI_ROW_RED;
}

/* Join every reason of @dev into @out: "mounted on /mnt; in use". */
static void reasons_text(const struct device_info *dev, char *out, size_t len)
{
	size_t pos = 0;

	out[0] = '\0';
	for (size_t i = 0; i < dev->n_reasons && pos + 1 < len; i++) {
		int k = snprintf(out + pos, len - pos, "%s%s", i ? "; " : "",
				 dev->reason_text[i] ? dev->reason_text[i] : "not eligible");
		if (k < 0)
			break;
		pos += (size_t)k;
	}
	if (!out[0] && dev->reasons)
		util_strlcpy(out, _("not eligible"), len);
}

static void fill_device_row(struct tui_media_row *r, const struct device_info *dev,
			    const struct tui_reg_view *reg, const struct tui_job_view *job)
{
	r->dev = dev;
	r->reg = reg ? reg : &no_reg;
	r->job = job;
	util_strlcpy(r->path, dev->path, sizeof(r->path));
	util_strlcpy(r->name, dev->name, sizeof(r->name));
	r->selectable = device_is_eligible(dev) && !job_active(job) && !r->reg->refusal[0];
	if (!device_is_eligible(dev))
		reasons_text(dev, r->status, sizeof(r->status));
	else if (r->reg->refusal[0])	/* the register's word, before any dialog */
		util_strlcpy(r->status, r->reg->refusal, sizeof(r->status));
	else if (r->reg->interrupted)
		util_strlcpy(r->status, _("INTERRUPTED: a sanitization started and never ended "
			     "(resume it, or wipe it again)"), sizeof(r->status));
	else
		util_strlcpy(r->status, N_("ready"), sizeof(r->status));
	if (job)
		r->style = job_style(job);
	else if (!device_is_eligible(dev) || r->reg->refusal[0])
		r->style = TUI_ROW_GREY;
	else if (r->reg->interrupted)
		r->style = TUI_ROW_RED;
	else
		r->style = TUI_ROW_NORMAL;
}

int tui_model_rows(const struct device_info *devs, size_t n_devs,
		   const struct tui_reg_view *regs,
		   const struct tui_job_view *jobs, size_t n_jobs,
		   const char *const *marked, size_t n_marked,
		   struct tui_media_row **out, size_t *n_out)
{
	struct tui_media_row *rows = calloc(n_devs + n_jobs + 1, sizeof(*rows));
	size_t n = 0;

	if (!rows)
		return -ENOMEM;
	for (size_t i = 0; i < n_devs; i++, n++) {
		fill_device_row(&rows[n], &devs[i], regs ? &regs[i] : NULL,
				job_for(devs[i].path, jobs, n_jobs));
		rows[n].marked = rows[n].selectable && is_marked(devs[i].path, marked, n_marked);
	}
	for (size_t j = 0; j < n_jobs; j++) {
		size_t i;

		for (i = 0; i < n_devs && strcmp(devs[i].path, jobs[j].path) != 0; i++)
			;
		if (i < n_devs)
			continue;
		rows[n].reg = &no_reg;
		rows[n].job = &jobs[j];
		util_strlcpy(rows[n].path, jobs[j].path, sizeof(rows[n].path));
		util_strlcpy(rows[n].name, jobs[j].name, sizeof(rows[n].name));
		rows[n].style = job_active(&jobs[j]) ? TUI_ROW_RED : job_style(&jobs[j]);
		n++;
	}
	*out = rows;
	*n_out = n;
	return 0;
}

const char *tui_model_unselectable_why(const struct tui_media_row *row)
{
	if (row->selectable)
		return "";
	if (!row->dev)
		return N_("the device is no longer present");
	if (job_active(row->job))
		return N_("its wipe is running");
	return row->status[0] ? row->status : _("not eligible");
}

/* Minimum width and share of the spare columns of each table column. */
static const struct {
	const char *title;
	int min;
	int weight;
} columns[TUI_COL_COUNT] = {
	[TUI_COL_MARK] = { "", 3, 0 },
	/* the device's name and its classification before anything else:
	 * at 80 columns the model gives way first */
	[TUI_COL_DEVICE] = { N_("DEVICE"), 16, 1 },
	[TUI_COL_MODEL] = { N_("MODEL"), 6, 4 },
	[TUI_COL_SIZE] = { N_("SIZE"), 9, 0 },
	[TUI_COL_BUS] = { N_("BUS"), 7, 0 },
	[TUI_COL_SERIAL] = { N_("SERIAL"), 10, 3 },
	[TUI_COL_REGNO] = { N_("REG.NO"), 9, 1 },
	[TUI_COL_CLASS] = { N_("CLASS"), 12, 1 },
};

void tui_model_columns(int cols, int widths[TUI_COL_COUNT])
{
	int used = 0, spare, weights = 0, given = 0, last = -1;

	for (int i = 0; i < TUI_COL_COUNT; i++) {
		widths[i] = columns[i].min;
		used += columns[i].min + (i ? 1 : 0);
		weights += columns[i].weight;
	}
	spare = cols - used;
	if (spare <= 0) {
		/* narrower than 80: take it from the model column */
		widths[TUI_COL_MODEL] += spare;
		if (widths[TUI_COL_MODEL] < 4)
			widths[TUI_COL_MODEL] = 4;
		return;
	}
	for (int i = 0; i < TUI_COL_COUNT; i++) {
		int add = spare * columns[i].weight / weights;

		widths[i] += add;
		given += add;
		if (columns[i].weight)
			last = i;
	}
	widths[last] += spare - given;
}

/* Append @text fitted into @w columns (and a separating space unless last). */
static void put_cell(char *out, size_t len, size_t *pos, const char *text, int w, bool last)
{
	if (*pos + 1 >= len)
		return;
	tui_text_fit(text, w, true, out + *pos, len - *pos);
	*pos += strlen(out + *pos);
	if (!last && *pos + 2 <= len) {
		out[(*pos)++] = ' ';
		out[*pos] = '\0';
	}
}

void tui_model_header_line(int cols, char *out, size_t len)
{
	int w[TUI_COL_COUNT];
	size_t pos = 0;

	tui_model_columns(cols, w);
	out[0] = '\0';
	for (int i = 0; i < TUI_COL_COUNT; i++)
		put_cell(out, len, &pos, columns[i].title[0] ? _(columns[i].title) : "", w[i],
			 i == TUI_COL_COUNT - 1);
}

static const char *ellipsis(void)
{
	return MB_CUR_MAX > 1 ? "\xe2\x80\xa6" : "~";
}

/* The serial shown in the table: its tail when too long. */
static void serial_cell(const char *serial, int w, char *out, size_t len)
{
	size_t n = strlen(serial);

	if ((int)n > w && w > 1 && n < len) {
		snprintf(out, len, "%s%s", ellipsis(), serial + n - (size_t)(w - 1));
		return;
	}
	util_strlcpy(out, serial, len);
}

void tui_model_row_line(const struct tui_media_row *row, int cols, char *out, size_t len)
{
	const struct device_info *d = row->dev;
	char size[24] = "", serial[160] = "", model[200] = "";
	const char *cls;
	int w[TUI_COL_COUNT];
	size_t pos = 0;

	tui_model_columns(cols, w);
	if (d) {
		util_format_size(d->size_bytes, size, sizeof(size));
		serial_cell(d->serial, w[TUI_COL_SERIAL], serial, sizeof(serial));
		snprintf(model, sizeof(model), "%s%s%s", d->vendor, d->vendor[0] ? " " : "",
			 d->model);
	} else {
		util_strlcpy(model, _("(removed)"), sizeof(model));
	}
	cls = row->reg->enrolled ? i18n_value(row->reg->classification) : _("not enrolled");
	out[0] = '\0';
	put_cell(out, len, &pos, row->marked ? "[x]" : row->selectable ? "[ ]" : "   ",
		 w[TUI_COL_MARK], false);
	put_cell(out, len, &pos, row->name, w[TUI_COL_DEVICE], false);
	put_cell(out, len, &pos, model, w[TUI_COL_MODEL], false);
	put_cell(out, len, &pos, size, w[TUI_COL_SIZE], false);
	put_cell(out, len, &pos, d ? device_transport_name(d->transport) : "", w[TUI_COL_BUS], false);
	put_cell(out, len, &pos, serial, w[TUI_COL_SERIAL], false);
	put_cell(out, len, &pos, row->reg->register_no[0] ? row->reg->register_no : "-",
		 w[TUI_COL_REGNO], false);
	put_cell(out, len, &pos, cls, w[TUI_COL_CLASS], true);
}

static const char *phase_name(enum tui_job_phase p)
{
	switch (p) {
	case TUI_JOB_RUNNING: return N_("running");
	case TUI_JOB_STOPPING: return N_("stopping");
	case TUI_JOB_SUCCEEDED: return N_("done");
	case TUI_JOB_FAILED: return N_("FAILED");
	case TUI_JOB_ABORTED: return N_("aborted");
	}
	return "?";
}

/* "pass 1/3  12.0 MiB/s  ETA 2m05s  0 errors" */
static void job_numbers(const struct tui_job_view *job, char *out, size_t len)
{
	char size[24], rate[32] = "-", eta[24] = "-", pass[48];

	if (job->rate_bps > 0) {
		util_format_size((uint64_t)job->rate_bps, size, sizeof(size));
		snprintf(rate, sizeof(rate), "%s/s", size);
	}
	if (job->eta_s >= 0)
		util_format_duration((uint64_t)job->eta_s, eta, sizeof(eta));
	util_strlcpy(pass, _("starting"), sizeof(pass));
	if (job->passes)
		snprintf(pass, sizeof(pass), _("pass %u/%u"), job->pass < job->passes ? job->pass :
			 job->passes, job->passes);
	snprintf(out, len, ngettext("%s %s  %s  ETA %s  %llu error", "%s %s  %s  ETA %s  %llu errors",
				    (unsigned long)job->errors), pass, job->step, rate, eta,
		 (unsigned long long)job->errors);
}

static void running_line(const struct tui_job_view *job, int cols, char *out, size_t len)
{
	char bar[128], nums[160], text[320];
	double frac = job->percent / 100;
	int bw = cols - 66;

	if (bw > 40)
		bw = 40;
	if (bw < 10)
		bw = 10;
	tui_progress_bar(frac, bw, bar, sizeof(bar));
	job_numbers(job, nums, sizeof(nums));
	snprintf(text, sizeof(text), "  %s %3d%% %s%s", bar, (int)(frac * 100),
		 job->phase == TUI_JOB_STOPPING ? _("stopping ") : "", nums);
	tui_text_fit(text, cols, true, out, len);
}

void tui_model_status_line(const struct tui_media_row *row, int cols, char *out, size_t len)
{
	const struct tui_job_view *job = row->job;
	char text[512];

	if (job && (job->phase == TUI_JOB_RUNNING || job->phase == TUI_JOB_STOPPING) && row->dev) {
		running_line(job, cols, out, len);
		return;
	}
	if (job && row->reg->refusal[0]) {
		/* the register moved on since (destroyed, awaiting destruction...) */
		snprintf(text, sizeof(text), _("    %s  (last wipe: %s%s%s)"), row->reg->refusal,
			 job->outcome[0] ? i18n_value(job->outcome) : _(phase_name(job->phase)),
			 job->cert_id[0] ? ", " : "", job->cert_id);
	} else if (job) {
		snprintf(text, sizeof(text), "    %s%s%s%s%s%s", _(phase_name(job->phase)),
			 !row->dev ? _(" (device removed)") : "",
			 job->outcome[0] ? ": " : "", i18n_value(job->outcome),
			 job->message[0] ? " - " : "", job->message);
		if (job->cert_id[0] && strlen(text) + 16 < sizeof(text))
			snprintf(text + strlen(text), sizeof(text) - strlen(text),
				 _("  certificate %s"), job->cert_id);
	} else {
		snprintf(text, sizeof(text), "    %s%s", row->dev && !device_is_eligible(row->dev) ?
			 _("not eligible: ") : "", _(row->status));
		if (row->reg->central_station[0] && row->reg->enrolled && row->reg->state[0] &&
		    !row->reg->refusal[0])
			snprintf(text + strlen(text), sizeof(text) - strlen(text),
				 _("  (enrolled at station %s: %s%s%s)"), row->reg->central_station,
				 i18n_value(row->reg->state), row->reg->custodian[0] ? ", " : "",
				 row->reg->custodian);
		else if (row->reg->enrolled && row->reg->state[0] && !row->reg->refusal[0])
			snprintf(text + strlen(text), sizeof(text) - strlen(text),
				 _("  (register: %s%s%s)"), i18n_value(row->reg->state),
				 row->reg->custodian[0] ? ", " : "", row->reg->custodian);
	}
	tui_text_fit(text, cols, true, out, len);
}

/* --- the demo station ------------------------------------------------- */

static bool demo_medium(const struct device_info *dev, const char *dir)
{
	size_t n = dir ? strlen(dir) : 0;

	while (n > 1 && dir[n - 1] == '/')
		n--;
	return n && dev->transport == DEVICE_TRANSPORT_FILE && strncmp(dev->path, dir, n) == 0 &&
	       dev->path[n] == '/' && dev->path[n + 1] && !strchr(dev->path + n + 1, '/');
}

size_t tui_model_demo_only(struct device_info *devs, size_t n, const char *virtual_dir)
{
	size_t kept = 0;

	for (size_t i = 0; i < n; i++) {
		if (!demo_medium(&devs[i], virtual_dir)) {
			device_info_clear(&devs[i]);
			continue;
		}
		if (kept != i) {
			devs[kept] = devs[i];
			memset(&devs[i], 0, sizeof(devs[i]));	/* no second owner */
		}
		kept++;
	}
	return kept;
}

/* --- confirmation ------------------------------------------------------ */

void tui_model_confirm_expect(const struct device_info *dev, char *out, size_t len)
{
	char serial[sizeof(dev->serial)];
	size_t n;

	util_strlcpy(serial, dev->serial, sizeof(serial));
	util_strstrip(serial);
	n = strlen(serial);
	if (dev->transport == DEVICE_TRANSPORT_VIRTUAL || dev->transport == DEVICE_TRANSPORT_FILE ||
	    n == 0) {
		util_strlcpy(out, dev->name, len);
		return;
	}
	util_strlcpy(out, n > 4 ? serial + n - 4 : serial, len);
}

bool tui_model_confirm_matches(const char *expect, const char *typed)
{
	size_t a, b;

	if (!expect || !*expect || !typed)
		return false;
	while (isspace((unsigned char)*typed))
		typed++;
	b = strlen(typed);
	while (b > 0 && isspace((unsigned char)typed[b - 1]))
		b--;
	a = strlen(expect);
	return a == b && strncasecmp(expect, typed, a) == 0;
}

/* --- what the policy allows ------------------------------------------ */

static bool policy_nist_of(const struct profile *p, const char *media_kind,
			   enum policy_nist *out)
{
	switch (profile_nist_for(p, media_kind)) {
	case PROFILE_NIST_PURGE:
		*out = POLICY_NIST_PURGE;
		return true;
	case PROFILE_NIST_CLEAR:
		*out = POLICY_NIST_CLEAR;
		return true;
	case PROFILE_NIST_NONE:
		break;
	}
	return false;
}

void tui_model_target_class(const struct device_info *dev, const struct register_media *m,
			    struct tui_target_class *out)
{
	const char *kind = device_media_kind(dev);

	out->media_kind = kind;
	if (m && !m->unregistered && m->classification[0] &&
	    register_media_levels(m, &out->level, &out->highest) == 0)
		kind = m->media_type;
	else
		out->level = out->highest = SANITIZE_DEFAULT_CLASS;
	if (policy_kind_parse(kind, &out->kind) < 0)
		out->kind = POLICY_KIND_OTHER;
}

bool tui_model_allowed(const struct policy *pol, const struct profile *p,
		       const struct tui_target_class *t, size_t n, enum policy_dest dest)
{
	for (size_t i = 0; i < n; i++) {
		enum policy_nist cat;

		if (!policy_nist_of(p, t[i].media_kind, &cat) ||
		    !policy_is_allowed(pol, t[i].level, t[i].highest, t[i].kind, cat, dest))
			return false;
	}
	return n > 0;
}

bool tui_model_offered(const struct policy *pol, const struct profile *p,
		       const struct tui_target_class *t, size_t n)
{
	for (int d = 0; d < POLICY_DEST_COUNT; d++)
		if (tui_model_allowed(pol, p, t, n, (enum policy_dest)d))
			return true;
	return false;
}

/* --- who signs --------------------------------------------------------- */

static bool blank(const char *s);

int tui_model_people_check(const char *operator_name, const char *validator_name,
			   const char *validator_title, const char **msg)
{
	if (blank(operator_name)) {
		*msg = N_("is needed: the certificate names who performed the wipe");
		return 0;
	}
	if (!blank(validator_name) && policy_same_person(operator_name, validator_name)) {
		*msg = N_("must be a second person (or left empty)");
		return 1;
	}
	if (blank(validator_name) && !blank(validator_title)) {
		*msg = N_("needs the validator's name");
		return 2;
	}
	return -1;
}

const char *tui_model_first_operator(const struct staff *roster, const char *def,
				     const char *login, const char **title)
{
	const struct staff_person *p = NULL;

	*title = "";
	if (!roster)
		return "";		/* unreadable: nobody, rather than the login */
	if (roster->n == 0)
		return !blank(def) ? def : login ? login : "";
	if (blank(def) || staff_require(roster, def, STAFF_ROLE_OPERATOR, &p, NULL) < 0 || !p)
		return "";
	*title = p->title ? p->title : "";
	return p->name;
}

/* --- forms ------------------------------------------------------------- */

static size_t n_choices(const struct tui_field_spec *s)
{
	size_t n = 0;

	while (s->choices && s->choices[n])
		n++;
	return n;
}

int tui_fields_init(struct tui_fields *f, const struct tui_field_spec *spec, size_t n)
{
	f->spec = spec;
	f->n = n;
	f->value = calloc(n ? n : 1, sizeof(*f->value));
	f->choice = calloc(n ? n : 1, sizeof(*f->choice));
	if (!f->value || !f->choice) {
		tui_fields_free(f);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		if (spec[i].kind == TUI_FIELD_CHOICE && n_choices(&spec[i]))
			util_strlcpy(f->value[i], spec[i].choices[0], TUI_FIELD_MAX);
	return 0;
}

void tui_fields_free(struct tui_fields *f)
{
	free(f->value);
	free(f->choice);
	f->value = NULL;
	f->choice = NULL;
	f->n = 0;
}

static int field_index(const struct tui_fields *f, const char *key)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->spec[i].key, key) == 0)
			return (int)i;
	return -1;
}

int tui_fields_set(struct tui_fields *f, const char *key, const char *value)
{
	int i = field_index(f, key);
	const struct tui_field_spec *s;

	if (i < 0)
		return -ENOENT;
	s = &f->spec[i];
	if (s->kind == TUI_FIELD_CHOICE) {
		for (size_t c = 0; c < n_choices(s); c++) {
			if (strcmp(s->choices[c], value) == 0) {
				f->choice[i] = c;
				util_strlcpy(f->value[i], value, TUI_FIELD_MAX);
				return 0;
			}
		}
		return -EINVAL;
	}
	if (strlen(value) >= TUI_FIELD_MAX || (s->max_len && strlen(value) > s->max_len))
		return -ENOSPC;
	util_strlcpy(f->value[i], value, TUI_FIELD_MAX);
	return 0;
}

const char *tui_fields_get(const struct tui_fields *f, const char *key)
{
	int i = field_index(f, key);

	return i < 0 ? NULL : f->value[i];
}

void tui_fields_cycle(struct tui_fields *f, size_t i, int dir)
{
	size_t n;

	if (i >= f->n || f->spec[i].kind != TUI_FIELD_CHOICE)
		return;
	n = n_choices(&f->spec[i]);
	if (n == 0)
		return;
	f->choice[i] = (f->choice[i] + n + (dir < 0 ? n - 1 : 1)) % n;
	util_strlcpy(f->value[i], f->spec[i].choices[f->choice[i]], TUI_FIELD_MAX);
}

int tui_fields_append(struct tui_fields *f, size_t i, const char *s)
{
	size_t have, add = strlen(s), max;

	if (i >= f->n || f->spec[i].kind != TUI_FIELD_TEXT)
		return -EINVAL;
	max = f->spec[i].max_len && f->spec[i].max_len < TUI_FIELD_MAX - 1 ?
	      f->spec[i].max_len : TUI_FIELD_MAX - 1;
	have = strlen(f->value[i]);
	if (have + add > max)
		return -ENOSPC;
	memcpy(f->value[i] + have, s, add + 1);
	return 0;
}

void tui_fields_backspace(struct tui_fields *f, size_t i)
{
	size_t n;

	if (i >= f->n || f->spec[i].kind != TUI_FIELD_TEXT)
		return;
	n = strlen(f->value[i]);
	/* step back over UTF-8 continuation bytes to the start of the character */
	while (n > 0 && ((unsigned char)f->value[i][n - 1] & 0xC0) == 0x80)
		n--;
	if (n > 0)
		n--;
	f->value[i][n] = '\0';
}

/* True when @s holds only printable characters (valid UTF-8, no controls). */
static bool printable(const char *s)
{
	size_t n = strlen(s);
	mbstate_t st;

	memset(&st, 0, sizeof(st));
	while (n > 0) {
		wchar_t wc;
		size_t k = mbrtowc(&wc, s, n, &st);

		if (k == (size_t)-1 || k == (size_t)-2 || k == 0 || iswcntrl((wint_t)wc))
			return false;
		s += k;
		n -= k;
	}
	return true;
}

static bool blank(const char *s)
{
	while (s && *s && isspace((unsigned char)*s))
		s++;
	return !s || *s == '\0';
}

static const char *check_field(const struct tui_field_spec *s, const char *v)
{
	if (s->kind == TUI_FIELD_CHOICE) {
		for (size_t c = 0; c < n_choices(s); c++)
			if (strcmp(s->choices[c], v) == 0)
				return NULL;
		return N_("choose one of the listed values");
	}
	if (s->required && blank(v))
		return N_("must not be empty");
	if (!printable(v))
		return N_("contains characters that cannot be stored");
	if (s->max_len && strlen(v) > s->max_len)
		return N_("is too long");
	return NULL;
}

int tui_fields_validate(const struct tui_fields *f, const char **msg)
{
	for (size_t i = 0; i < f->n; i++) {
		const char *why = check_field(&f->spec[i], f->value[i]);

		if (why) {
			*msg = why;
			return (int)i;
		}
	}
	*msg = NULL;
	return -1;
}
