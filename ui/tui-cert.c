/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tui-cert: the outcome of the selected medium's job and its certificate
 * (or report): the signed document as text, printed through CUPS (lp),
 * or saved as PDF into a chosen directory, refused when that directory
 * lies on a medium being wiped.
 */
#include "tui.h"
#include "i18n.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cert.h"
#include "register.h"

static const struct tui_field_spec save_spec[] = {
	{ "dir", N_("Directory"), TUI_FIELD_TEXT, true, PATH_MAX - 64, NULL },
};

static struct {
	char id[96];
	char path[PATH_MAX];		/* <id>.json */
	json_t *doc;
	char **lines;			/* the text rendering, one line each */
	size_t n_lines;
	int top;
	struct tui_job_view job;	/* the job's outcome, when there was one */
	bool have_job;
	struct tui_form form;		/* save-as directory */
	bool saving;
	pid_t lp;			/* running lp, 0 if none */
} cv;

static void free_lines(void)
{
	for (size_t i = 0; i < cv.n_lines; i++)
		free(cv.lines[i]);
	free(cv.lines);
	cv.lines = NULL;
	cv.n_lines = 0;
}

static int split_lines(const char *text)
{
	size_t n = 1;

	for (const char *p = text; *p; p++)
		n += *p == '\n';
	cv.lines = calloc(n, sizeof(*cv.lines));
	if (!cv.lines)
		return -ENOMEM;
	while (*text) {
		size_t k = strcspn(text, "\n");

		cv.lines[cv.n_lines] = strndup(text, k);
		if (!cv.lines[cv.n_lines])
			return -ENOMEM;
		cv.n_lines++;
		text += k + (text[k] ? 1 : 0);
	}
	return 0;
}

/* The id of the selected medium's latest certificate: this session's job,
 * else the register's newest for the medium. */
static bool find_id(struct tui_app *app, const struct tui_media_row *row)
{
	struct register_cert *certs = NULL;
	char *cause = NULL;
	size_t n = 0;
	int64_t id;

	if (row->job && row->job->cert_id[0]) {
		util_strlcpy(cv.id, row->job->cert_id, sizeof(cv.id));
		return true;
	}
	id = row->dev && app->reg_ids ? app->reg_ids[row->dev - app->devs] : 0;
	if (id <= 0 || !app->reg ||
	    register_list_certificates(app->reg, id, &certs, &n, &cause) < 0 || n == 0) {
		free(cause);
		return false;
	}
	util_strlcpy(cv.id, certs[n - 1].id, sizeof(cv.id));
	register_certs_free(certs, n);
	return true;
}

static int load(struct tui_app *app, char **cause)
{
	char *dir = util_asprintf("%s/certs", app->state_dir), *path = NULL, *text = NULL;
	int rc;

	if (!dir)
		return util_fail(cause, -ENOMEM, "out of memory");
	rc = cert_find(dir, cv.id, &path, cause);
	if (rc == 0)
		rc = cert_load_file(path, &cv.doc, cause);
	if (rc == 0)
		rc = cert_text(cv.doc, &text, cause);
	if (rc == 0)
		rc = split_lines(text);
	if (path)
		util_strlcpy(cv.path, path, sizeof(cv.path));
	free(text);
	free(path);
	free(dir);
	return rc;
}

static int cert_enter(struct tui_app *app, void *arg)
{
	const struct tui_media_row *row = tui_app_current(app);
	char *cause = NULL;

	(void)arg;
	memset(&cv, 0, sizeof(cv));
	if (!row)
		return -1;
	if (row->job) {
		cv.job = *row->job;
		cv.have_job = true;
		if (row->job->phase == TUI_JOB_RUNNING || row->job->phase == TUI_JOB_STOPPING) {
			tui_app_message(app, false, _("%s: the job is still running"), row->name);
			return -1;
		}
	}
	if (!find_id(app, row)) {
		tui_app_message(app, true, _("%s has no certificate%s%s"), row->name,
				cv.have_job && cv.job.message[0] ? ": " : "", cv.job.message);
		return -1;
	}
	if (load(app, &cause) < 0) {
		tui_app_message(app, true, _("certificate %s: %s"), cv.id, cause ? cause : "unreadable");
		free(cause);
		json_decref(cv.doc);
		free_lines();
		return -1;
	}
	return 0;
}

static void cert_leave(struct tui_app *app)
{
	(void)app;
	if (cv.saving)
		tui_form_free(&cv.form);
	cv.saving = false;
	json_decref(cv.doc);
	cv.doc = NULL;
	free_lines();
}

static void cert_draw(struct tui_app *app, WINDOW *win)
{
	int H = getmaxy(win), W = getmaxx(win), y = 0;
	WINDOW *in;

	werase(win);
	if (cv.have_job)
		tui_putf(app, win, y++, 0, W, cv.job.phase == TUI_JOB_SUCCEEDED ?
			 TUI_STYLE_GOOD : TUI_STYLE_BAD, _("%s: outcome %s%s%s"), cv.job.name,
			 cv.job.outcome, cv.job.message[0] ? " - " : "", cv.job.message);
	tui_putf(app, win, y++, 0, W, TUI_STYLE_HEADER, "%s %s  (%s)",
		 _(cert_doc_kind(cv.doc) ? cert_doc_kind(cv.doc) : "certificate"), cv.id, cv.path);
	for (int i = cv.top; i < (int)cv.n_lines && y < H; i++)
		tui_put(app, win, y++, 0, W, TUI_STYLE_NORMAL, cv.lines[i]);
	if (!cv.saving)
		return;
	in = tui_dialog_box(app, win, 7, 70, _("Save PDF"));
	if (!in)
		return;
	tui_put(app, in, 0, 0, getmaxx(in), TUI_STYLE_GREY,
		_("A directory not on a medium being wiped (e.g. a USB stick)"));
	tui_form_draw(app, &cv.form, in, 2, 12);
	delwin(in);
}

/* True when @dir lies on a medium with a running job. */
static bool on_wiped_medium(struct tui_app *app, const char *dir)
{
	char link[64], target[PATH_MAX];
	struct stat st;
	ssize_t k;

	if (stat(dir, &st) != 0)
		return false;
	snprintf(link, sizeof(link), "/sys/dev/block/%u:%u", major(st.st_dev), minor(st.st_dev));
	k = readlink(link, target, sizeof(target) - 1);
	if (k <= 0)
		return false;
	target[k] = '\0';
	for (size_t i = 0; i < app->n_jobs; i++) {
		const struct tui_job_view *v = &app->job_views[i];
		char disk[80];

		if (v->phase != TUI_JOB_RUNNING && v->phase != TUI_JOB_STOPPING)
			continue;
		snprintf(disk, sizeof(disk), "/%s/", v->name);
		if (strstr(target, disk) || (strlen(target) > strlen(v->name) &&
		    strcmp(target + strlen(target) - strlen(v->name), v->name) == 0))
			return true;
	}
	return false;
}

static unsigned save_pdf(struct tui_app *app)
{
	const char *dir = tui_fields_get(&cv.form.fields, "dir");
	char *path, *cause = NULL;
	int rc;

	if (on_wiped_medium(app, dir)) {
		tui_app_message(app, true, _("%s is on a medium being wiped: choose another"), dir);
		return TUI_HANDLED | TUI_REDRAW;
	}
	path = util_asprintf("%s/%s.pdf", dir, cv.id);
	rc = path ? cert_pdf_write(cv.doc, path, &cause) : -ENOMEM;
	if (rc < 0)
		tui_app_message(app, true, _("not saved: %s"), cause ? cause : strerror(-rc));
	else
		tui_app_message(app, false, _("saved %s"), path);
	free(cause);
	free(path);
	tui_form_free(&cv.form);
	cv.saving = false;
	return TUI_HANDLED | TUI_REDRAW;
}

/* The printing error, with what the operator can do instead. */
static void print_failed(struct tui_app *app, int rc, const char *cause)
{
	tui_app_message(app, true, _("printing %s: %s%s"), cv.id, cause ? cause : strerror(-rc),
			rc == -ENOENT ? _("; save the PDF (s) and print it elsewhere") : "");
}

/* Hand the PDF to lp without waiting; the tick collects its status. */
static unsigned print(struct tui_app *app)
{
	char pdf[PATH_MAX], *cause = NULL;
	size_t n = strlen(cv.path);
	int rc;

	if (cv.lp > 0) {
		tui_app_message(app, false, _("printing is under way"));
		return TUI_HANDLED | TUI_REDRAW;
	}
	snprintf(pdf, sizeof(pdf), "%.*s.pdf", (int)(n > 5 ? n - 5 : n), cv.path);
	if (access(pdf, R_OK) != 0 && cert_pdf_write(cv.doc, pdf, &cause) < 0) {
		tui_app_message(app, true, _("cannot render the PDF: %s"), cause ? cause : "?");
		free(cause);
		return TUI_HANDLED | TUI_REDRAW;
	}
	rc = cert_print_start(getenv("CUSTOS_PRINTER"), cv.id, pdf, &cv.lp, &cause);
	if (rc < 0) {
		cv.lp = 0;
		print_failed(app, rc, cause);
	} else {
		tui_app_message(app, false, _("sent %s to the printer..."), cv.id);
	}
	free(cause);
	return TUI_HANDLED | TUI_REDRAW;
}

static unsigned cert_tick(struct tui_app *app)
{
	char *cause = NULL;
	int status, rc;

	if (cv.lp <= 0 || waitpid(cv.lp, &status, WNOHANG) != cv.lp)
		return 0;
	cv.lp = 0;
	rc = cert_print_status(status, getenv("CUSTOS_PRINTER"), &cause);
	if (rc == 0)
		tui_app_message(app, false, _("%s printed"), cv.id);
	else
		print_failed(app, rc, cause);
	free(cause);
	return TUI_REDRAW;
}

static unsigned open_save(void)
{
	const char *home = getenv("HOME");

	if (tui_form_init(&cv.form, save_spec, UTIL_ARRAY_SIZE(save_spec)) < 0)
		return TUI_HANDLED;
	tui_fields_set(&cv.form.fields, "dir", home && *home ? home : "/tmp");
	cv.saving = true;
	return TUI_HANDLED | TUI_REDRAW;
}

static unsigned cert_key(struct tui_app *app, int key)
{
	if (cv.saving) {
		if (key == 27) {
			tui_form_free(&cv.form);
			cv.saving = false;
			return TUI_HANDLED | TUI_REDRAW;
		}
		if (key == '\r' || key == '\n' || key == (TUI_KEY_FN | KEY_ENTER))
			return tui_form_check(&cv.form) ? save_pdf(app) : TUI_HANDLED | TUI_REDRAW;
		return tui_form_key(&cv.form, key) | TUI_HANDLED;
	}
	switch (key) {
	case TUI_KEY_FN | KEY_UP: case 'k':
		cv.top = cv.top > 0 ? cv.top - 1 : 0;
		return TUI_HANDLED | TUI_REDRAW;
	case TUI_KEY_FN | KEY_DOWN: case 'j':
		cv.top = cv.top + 1 < (int)cv.n_lines ? cv.top + 1 : cv.top;
		return TUI_HANDLED | TUI_REDRAW;
	case TUI_KEY_FN | KEY_NPAGE: case ' ':
		cv.top = cv.top + 10 < (int)cv.n_lines ? cv.top + 10 : cv.top;
		return TUI_HANDLED | TUI_REDRAW;
	case TUI_KEY_FN | KEY_PPAGE:
		cv.top = cv.top > 10 ? cv.top - 10 : 0;
		return TUI_HANDLED | TUI_REDRAW;
	case TUI_FKEY(2): case 'p':
		return print(app);
	case TUI_FKEY(3): case 's':
		return open_save();
	case 27: case 'q': case TUI_FKEY(4):
		return TUI_HANDLED | TUI_CLOSE;
	default:
		return TUI_IGNORED;
	}
}

static const struct tui_keyhelp cert_keys[] = {
	{ "F2", "p", N_("Print"), N_("print the PDF with lp (printer: $CUSTOS_PRINTER or default)") },
	{ "F3", "s", N_("SavePDF"), N_("save the PDF into a directory (e.g. a USB stick)") },
	{ NULL, "Up/Down", N_("Scroll"), N_("scroll the certificate (PgUp, PgDn, Space)") },
	{ "F4", "Esc", N_("Back"), N_("back to the media screen (also q)") },
	{ NULL, NULL, NULL, NULL, false },
};

const struct tui_screen tui_screen_cert = {
	.name = "cert",
	.enter = cert_enter,
	.leave = cert_leave,
	.draw = cert_draw,
	.key = cert_key,
	.tick = cert_tick,
	.keys = cert_keys,
};
