/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tui-data: what the media screen shows.  Devices are listed in a thread
 * (SMART reads and slow USB bridges must not freeze the screen); the loop
 * picks the result up on a tick, looks each medium up in the register and
 * builds the rows with the jobs' views.  On the demo station only its own
 * virtual media are listed: no real disk or loop device can be marked.
 */
#include "tui.h"
#include "i18n.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "fw.h"
#include "register.h"
#include "sanitize.h"
#include "station.h"

/* The one listing in flight (one station screen per process). */
static struct {
	pthread_t thread;
	bool running;		/* a thread exists and was not joined */
	bool again;		/* another change came while it ran */
	int done;		/* set by the thread (atomic) */
	const char *virtual_dir;
	bool demo;		/* only the demo station's virtual media */
	struct device_info *devs;
	struct tui_fw_view *fw;
	size_t n;
	int rc;
	char *cause;
} scan;

static void fw_methods(const struct fw_caps *caps, char *out, size_t len)
{
	size_t pos = 0;

	out[0] = '\0';
	for (int m = 1; m < FW_METHOD_COUNT && pos + 1 < len; m++) {
		int k;

		if (!(caps->methods & (1u << m)) || m == FW_PURGE)
			continue;
		k = snprintf(out + pos, len - pos, "%s%s", pos ? ", " : "",
			     fw_method_name((enum fw_method)m));
		if (k < 0)
			break;
		pos += (size_t)k;
	}
	if (pos + 1 < len)
		snprintf(out + pos, len - pos, _("%spurge: %s"), pos ? "; " : "none; ",
			 caps->purge ? fw_method_name(caps->purge) : "none possible");
}

static void fw_hidden_text(const struct fw_hidden *h, char *out, size_t len)
{
	if (!h->checked)
		snprintf(out, len, _("hidden areas: not checked (not ATA)"));
	else if (!h->known)
		snprintf(out, len, _("hidden areas: unknown%s%.100s"), h->note[0] ? " - " : "", h->note);
	else if (h->hidden_sectors)
		snprintf(out, len, _("hidden areas: %llu sectors hidden (HPA/AMA/DCO)"),
			 (unsigned long long)h->hidden_sectors);
	else
		snprintf(out, len, _("hidden areas: none"));
}

/* Firmware capabilities of @dev (read-only probe; files and loops have none). */
static void probe_fw(const struct device_info *dev, struct tui_fw_view *v)
{
	struct fw_caps caps;
	char *cause = NULL;

	if (dev->transport == DEVICE_TRANSPORT_FILE || dev->transport == DEVICE_TRANSPORT_VIRTUAL ||
	    dev->size_bytes == 0) {
		util_strlcpy(v->methods, _("none (no ATA/NVMe firmware)"), sizeof(v->methods));
		return;
	}
	if (fw_probe(dev->path, &caps, &cause) < 0) {
		snprintf(v->methods, sizeof(v->methods), "%s", cause ? cause : "cannot probe");
		free(cause);
		return;
	}
	fw_methods(&caps, v->methods, sizeof(v->methods));
	v->method_bits = caps.methods;
	v->purge = caps.purge != FW_METHOD_NONE;
	fw_hidden_text(&caps.hidden, v->hidden, sizeof(v->hidden));
}

static void *scan_thread(void *arg)
{
	(void)arg;
	scan.rc = device_list(scan.virtual_dir, &scan.devs, &scan.n, &scan.cause);
	if (scan.rc == 0 && scan.demo)
		scan.n = tui_model_demo_only(scan.devs, scan.n, scan.virtual_dir);
	if (scan.rc == 0) {
		scan.fw = calloc(scan.n + 1, sizeof(*scan.fw));
		for (size_t i = 0; scan.fw && i < scan.n; i++)
			probe_fw(&scan.devs[i], &scan.fw[i]);
	}
	__atomic_store_n(&scan.done, 1, __ATOMIC_RELEASE);
	return NULL;
}

void tui_app_rescan(struct tui_app *app)
{
	if (scan.running) {
		scan.again = true;
		return;
	}
	scan.virtual_dir = app->virtual_dir;
	scan.demo = app->demo;
	scan.devs = NULL;
	scan.fw = NULL;
	scan.n = 0;
	scan.cause = NULL;
	scan.done = 0;
	scan.again = false;
	if (pthread_create(&scan.thread, NULL, scan_thread, NULL) != 0) {
		tui_app_message(app, true, _("cannot list devices: out of resources"));
		return;
	}
	scan.running = true;
	app->scanning = true;
}

/* Fill @v from the register's entry for @dev; its id into *@id (0: none).
 * A medium only the central register knows goes into *@central. */
static void lookup_one(struct tui_app *app, const struct device_info *dev,
		       struct tui_reg_view *v, int64_t *id, struct register_media *central)
{
	struct register_media m;
	char *cause = NULL;
	int rc;

	memset(v, 0, sizeof(*v));
	*id = 0;
	if (!app->reg)
		return;
	rc = register_find_by_device(app->reg, dev, &m, &cause);
	if (rc < 0 && rc != -ENOENT && app->station && app->station->register_conninfo) {
		/* the centre could not say: the library refuses to wipe it (it
		 * may well be classified), so the row says why at once */
		v->central_unknown = true;
		snprintf(v->refusal, sizeof(v->refusal), "%s", cause ? cause :
			 _("the central register cannot be reached"));
	}
	if (rc < 0) {
		free(cause);
		return;
	}
	*id = m.id;
	if (m.id <= 0 && m.central_station[0]) {
		*central = m;
		util_strlcpy(v->central_station, m.central_station, sizeof(v->central_station));
	}
	v->enrolled = !m.unregistered;
	util_strlcpy(v->register_no, m.register_no, sizeof(v->register_no));
	util_strlcpy(v->classification, m.classification, sizeof(v->classification));
	util_strlcpy(v->custodian, m.custodian, sizeof(v->custodian));
	util_strlcpy(v->state, m.state, sizeof(v->state));
	/* sanitizing and no process on it: a run that never ended */
	v->interrupted = m.id > 0 && strcmp(m.state, TUI_STATE_SANITIZING) == 0 &&
			 !sanitize_medium_running(app->state_dir, m.id);
	/* the register's lifecycle rule, asked now: the refusal shows at once */
	if (register_check_sanitize_state(&m, &cause) < 0) {
		if (m.history_differs)
			snprintf(v->refusal, sizeof(v->refusal), "%s", cause ? cause :
				 _("the register's row differs from its history"));
		else
			snprintf(v->refusal, sizeof(v->refusal), _("%s is %s: no wipe (lifecycle rule)"),
				 m.register_no, m.state);
	}
	free(cause);
}

void tui_app_lookup(struct tui_app *app)
{
	struct tui_reg_view *regs = calloc(app->n_devs + 1, sizeof(*regs));
	int64_t *ids = calloc(app->n_devs + 1, sizeof(*ids));
	struct register_media *central = calloc(app->n_devs + 1, sizeof(*central));

	if (!regs || !ids || !central) {
		free(regs);
		free(ids);
		free(central);
		tui_app_message(app, true, _("out of memory"));
		return;
	}
	for (size_t i = 0; i < app->n_devs; i++)
		lookup_one(app, &app->devs[i], &regs[i], &ids[i], &central[i]);
	free(app->regs);
	free(app->reg_ids);
	free(app->central);
	app->regs = regs;
	app->reg_ids = ids;
	app->central = central;
	tui_app_rebuild_rows(app);
}

int tui_app_receive(struct tui_app *app, struct register_media *m)
{
	char from[128], no[16], *cause = NULL;
	int rc;

	util_strlcpy(from, m->central_station, sizeof(from));
	util_strlcpy(no, m->register_no, sizeof(no));
	rc = register_receive(app->reg, m, &cause);
	if (rc < 0)
		tui_app_message(app, true, _("%s (enrolled at station %s) cannot be received into "
				"this station's register: %s"), no, from,
				cause ? cause : strerror(-rc));
	else
		tui_app_message(app, false, _("%s: enrolled at station %s, received into this "
				"station's register as %s"), no, from, m->register_no);
	free(cause);
	return rc;
}

void tui_app_push_central(struct tui_app *app)
{
	char *cause = NULL;

	if (!app->reg || !app->station || !app->station->register_conninfo)
		return;
	if (register_sync_central(app->reg, &cause) < 0)
		tui_app_message(app, true, _("recorded in this station's register; not yet in the "
				"central register (%s): it is sent with the next record, or by "
				"'custos register push'"), cause ? cause : _("unreachable"));
	free(cause);
}

bool tui_app_scan_poll(struct tui_app *app)
{
	if (!scan.running || !__atomic_load_n(&scan.done, __ATOMIC_ACQUIRE))
		return false;
	pthread_join(scan.thread, NULL);
	scan.running = false;
	app->scanning = false;
	if (scan.rc < 0) {
		tui_app_message(app, true, _("cannot list devices: %s"),
				scan.cause ? scan.cause : strerror(-scan.rc));
		free(scan.cause);
	} else {
		device_list_free(app->devs, app->n_devs);
		free(app->fw);
		app->devs = scan.devs;
		app->fw = scan.fw;
		app->n_devs = scan.n;
		tui_app_lookup(app);
	}
	if (scan.again)
		tui_app_rescan(app);
	return true;
}

void tui_app_rebuild_rows(struct tui_app *app)
{
	struct tui_media_row *rows;
	size_t n, keep = app->cursor;
	char path[PATH_MAX] = "";

	if (app->cursor < app->n_rows)
		util_strlcpy(path, app->rows[app->cursor].path, sizeof(path));
	if (tui_model_rows(app->devs, app->n_devs, app->regs, app->job_views, app->n_jobs,
			   (const char *const *)app->marked, app->n_marked, &rows, &n) < 0) {
		tui_app_message(app, true, _("out of memory"));
		return;
	}
	free(app->rows);
	app->rows = rows;
	app->n_rows = n;
	/* keep the cursor on the same medium when it is still there */
	for (size_t i = 0; i < n; i++)
		if (path[0] && strcmp(rows[i].path, path) == 0)
			keep = i;
	app->cursor = n == 0 ? 0 : keep < n ? keep : n - 1;
}

const struct tui_media_row *tui_app_current(const struct tui_app *app)
{
	return app->cursor < app->n_rows ? &app->rows[app->cursor] : NULL;
}

bool tui_app_is_marked(const struct tui_app *app, const char *path)
{
	for (size_t i = 0; i < app->n_marked; i++)
		if (strcmp(app->marked[i], path) == 0)
			return true;
	return false;
}

void tui_app_toggle_mark(struct tui_app *app, const char *path)
{
	char **grown, *copy;

	for (size_t i = 0; i < app->n_marked; i++) {
		if (strcmp(app->marked[i], path) == 0) {
			free(app->marked[i]);
			app->marked[i] = app->marked[--app->n_marked];
			tui_app_rebuild_rows(app);
			return;
		}
	}
	grown = realloc(app->marked, (app->n_marked + 1) * sizeof(*grown));
	copy = strdup(path);
	if (!grown || !copy) {
		free(copy);
		if (grown)
			app->marked = grown;
		return;
	}
	app->marked = grown;
	app->marked[app->n_marked++] = copy;
	tui_app_rebuild_rows(app);
}

void tui_app_clear_marks(struct tui_app *app)
{
	for (size_t i = 0; i < app->n_marked; i++)
		free(app->marked[i]);
	free(app->marked);
	app->marked = NULL;
	app->n_marked = 0;
	tui_app_rebuild_rows(app);
}

void tui_app_free_data(struct tui_app *app)
{
	if (scan.running) {
		pthread_join(scan.thread, NULL);
		scan.running = false;
		device_list_free(scan.devs, scan.n);
		free(scan.fw);
		free(scan.cause);
	}
	device_list_free(app->devs, app->n_devs);
	free(app->fw);
	app->fw = NULL;
	app->devs = NULL;
	app->n_devs = 0;
	free(app->regs);
	free(app->reg_ids);
	free(app->central);
	free(app->rows);
	app->regs = NULL;
	app->reg_ids = NULL;
	app->central = NULL;
	app->rows = NULL;
	app->n_rows = 0;
	for (size_t i = 0; i < app->n_marked; i++)
		free(app->marked[i]);
	free(app->marked);
	app->marked = NULL;
	app->n_marked = 0;
}

/* --- events as text ---------------------------------------------------- */

/* Append "key value" pairs of @o (nested objects flattened, arrays
 * joined with "、"), codes in the interface language. */
static void event_pairs(json_t *o, char *out, size_t len, size_t *pos)
{
	const char *key;
	json_t *v;

	json_object_foreach(o, key, v) {
		char val[160] = "";

		if (*pos + 4 >= len)
			return;
		if (json_is_object(v)) {
			event_pairs(v, out, len, pos);
			continue;
		}
		if (json_is_string(v)) {
			util_strlcpy(val, i18n_value(json_string_value(v)), sizeof(val));
		} else if (json_is_array(v)) {
			size_t i;
			json_t *e;

			json_array_foreach(v, i, e) {
				size_t n = strlen(val);

				snprintf(val + n, sizeof(val) - n, "%s%s", i ? "、" : "",
					 json_is_string(e) ? json_string_value(e) : "");
			}
		} else if (json_is_integer(v)) {
			snprintf(val, sizeof(val), "%lld", (long long)json_integer_value(v));
		} else if (json_is_true(v) || json_is_false(v)) {
			util_strlcpy(val, json_is_true(v) ? _("yes") : _("no"), sizeof(val));
		} else {
			continue;
		}
		if (!val[0])
			continue;
		*pos += (size_t)snprintf(out + *pos, len - *pos, "%s%s %s", *pos ? "; " : "",
					 key, val);
		if (*pos >= len)
			*pos = len - 1;
	}
}

void tui_event_text(const char *details, char *out, size_t len)
{
	json_t *j = details && *details ? json_loads(details, 0, NULL) : NULL;
	size_t pos = 0;

	out[0] = '\0';
	if (!j) {
		util_strlcpy(out, details ? details : "", len);
		return;
	}
	if (json_is_object(j))
		event_pairs(j, out, len, &pos);
	json_decref(j);
}
