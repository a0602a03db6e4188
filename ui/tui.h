/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CUSTOS_TUI_H
#define CUSTOS_TUI_H

/*
 * The station screen (ncursesw).  One file per screen or dialog, each a
 * const struct tui_screen (a table of handlers).  Screens form a stack:
 * the media screen at the bottom, forms and dialogs pushed on top.  Key
 * and tick handlers return reaction flags; drawing happens only in
 * tui_app_run()'s redraw step, bottom screen first.  The loop never blocks:
 * getch times out every TUI_TICK_MS, and each tick polls the device
 * monitor and the jobs' progress snapshots.
 */

#include <curses.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "device.h"
#include "tui-model.h"

#define TUI_TICK_MS 100

/* Keys: characters as their code point, curses keys with TUI_KEY_FN set. */
#define TUI_KEY_FN 0x1000000
#define TUI_FKEY(n) (TUI_KEY_FN | KEY_F(n))
#define TUI_CTRL(c) ((c) & 0x1f)

/* Reactions returned by handlers. */
enum tui_reaction {
	TUI_IGNORED = 0,
	TUI_HANDLED = 1 << 0,	/* the key was used */
	TUI_REDRAW = 1 << 1,	/* draw the screens again */
	TUI_RESCAN = 1 << 2,	/* list devices and the register again */
	TUI_CLOSE = 1 << 3,	/* pop this screen */
	TUI_QUIT = 1 << 4,	/* leave the program (after the quit checks) */
};

enum tui_style {
	TUI_STYLE_NORMAL,
	TUI_STYLE_TITLE,	/* top line */
	TUI_STYLE_BAR,		/* key bar */
	TUI_STYLE_BAR_KEY,	/* a key in the key bar */
	TUI_STYLE_SELECTED,	/* cursor row */
	TUI_STYLE_GREY,		/* ineligible */
	TUI_STYLE_RUNNING,
	TUI_STYLE_GOOD,
	TUI_STYLE_BAD,		/* failed job, error message */
	TUI_STYLE_WARN,
	TUI_STYLE_HEADER,	/* table header, section titles */
	TUI_STYLE_DIALOG,
	TUI_STYLE_FIELD,	/* an input field */
	TUI_STYLE_COUNT
};

struct tui_app;

/* One key of the key bar: "F2/e Enrol". */
struct tui_keyhelp {
	const char *fkey;	/* "F2" or NULL */
	const char *key;	/* "e" */
	const char *label;
	const char *help;	/* longer text for the help screen */
	bool help_only;		/* not in the key bar (no room at 80 columns) */
};

struct tui_screen {
	const char *name;
	bool dialog;		/* drawn as a box over the screen below */
	/* Called when pushed; @arg is what tui_app_push() got.  Non-zero: not pushed. */
	int (*enter)(struct tui_app *app, void *arg);
	void (*leave)(struct tui_app *app);
	void (*draw)(struct tui_app *app, WINDOW *win);
	unsigned (*key)(struct tui_app *app, int key);
	unsigned (*tick)(struct tui_app *app);	/* may be NULL */
	const struct tui_keyhelp *keys;		/* NULL-label-terminated */
};

/* Firmware facts of one listed device (probed with the listing). */
struct tui_fw_view {
	char methods[192];	/* "ata-sanitize-crypto, ...; purge: ..." or why none */
	char hidden[160];	/* hidden areas (HPA/AMA/DCO) */
	unsigned method_bits;	/* fw_caps.methods: bit (1u << enum fw_method) */
	bool purge;		/* a Purge method is possible (FW_PURGE) */
};

/* A job the station runs (ui/tui-jobs.c). */
struct tui_job;

struct tui_app {
	struct cli_ctx *ctx;
	const char *state_dir;
	char *virtual_dir;
	struct station *station;	/* NULL when the station is not set up */
	struct register_db *reg;	/* NULL when the register cannot be opened */
	struct policy *policy;
	struct monitor *monitor;
	bool demo;			/* list only the demo station's virtual media */

	/* the device list and what the media screen shows */
	struct device_info *devs;
	size_t n_devs;
	struct tui_reg_view *regs;	/* one per device */
	int64_t *reg_ids;		/* register id per device, 0 = not enrolled */
	/* per device: its entry in the central register when only the centre
	 * knows it (central_station set; id 0), else zeroed */
	struct register_media *central;
	struct tui_fw_view *fw;		/* one per device */
	struct tui_media_row *rows;
	size_t n_rows;
	size_t cursor;			/* selected row */
	char **marked;			/* paths of marked media */
	size_t n_marked;

	/* running and finished jobs */
	struct tui_job **jobs;
	size_t n_jobs;
	struct tui_job_view *job_views;

	const struct tui_screen *stack[8];
	size_t depth;

	bool colour;
	char message[256];
	bool message_bad;
	bool message_new;		/* not looked at by the loop yet */
	uint64_t message_at;
	bool scanning;
	uint64_t last_scan_ns;

	/* the people (ui/tui-people.c) */
	struct staff *roster;		/* the station roster; empty: names typed */
	char operator_name[128];	/* who is at the station */
	char operator_title[128];
};

/* --- tui-app.c --------------------------------------------------------- */
int tui_app_run(struct tui_app *app);
int tui_app_push(struct tui_app *app, const struct tui_screen *s, void *arg);
/* Show @fmt in the message line (errors in red). */
void tui_app_message(struct tui_app *app, bool bad, const char *fmt, ...) UTIL_PRINTF(3, 4);
attr_t tui_app_attr(const struct tui_app *app, enum tui_style s);
/* Fill line @y of @win from column @x with @text fitted to @cols, in @style. */
void tui_put(struct tui_app *app, WINDOW *win, int y, int x, int cols, enum tui_style style,
	     const char *text);
void tui_putf(struct tui_app *app, WINDOW *win, int y, int x, int cols, enum tui_style style,
	      const char *fmt, ...) UTIL_PRINTF(7, 8);
/* A centred dialog box over the screen of @rows x @cols (clipped); its
 * inner area is returned as a derived window (delete with delwin). */
WINDOW *tui_dialog_box(struct tui_app *app, WINDOW *win, int rows, int cols, const char *title);
/* The row under the cursor, or NULL. */
const struct tui_media_row *tui_app_current(const struct tui_app *app);
/* --- tui-data.c: devices, register entries, rows, marks --------------- */
/* Start listing devices again (in a thread); the rows follow when done. */
void tui_app_rescan(struct tui_app *app);
/* Take a finished device listing, if any: true when the rows changed. */
bool tui_app_scan_poll(struct tui_app *app);
/* Look the register entries of the listed devices up again. */
void tui_app_lookup(struct tui_app *app);
void tui_app_free_data(struct tui_app *app);
/* Rows again from what is known (after jobs moved or marks changed). */
void tui_app_rebuild_rows(struct tui_app *app);
bool tui_app_is_marked(const struct tui_app *app, const char *path);
void tui_app_toggle_mark(struct tui_app *app, const char *path);
void tui_app_clear_marks(struct tui_app *app);
/* A register event's details (JSON) as one readable line: "key value;
 * ...", codes in the interface language. */
void tui_event_text(const char *details, char *out, size_t len);
/* A medium only the central register knows (@m: id 0, central_station
 * set), received into this station's register before anything is
 * recorded about it, as `custos issue` does: @m becomes the local row.
 * 0, or the refusal shown in the message line. */
int tui_app_receive(struct tui_app *app, struct register_media *m);
/* Send what this station recorded to its central register (if it has
 * one); unreachable, say that it stays queued here. */
void tui_app_push_central(struct tui_app *app);

/* --- tui-jobs.c -------------------------------------------------------- */
/* Refresh every job's view from its snapshot; true if any changed. */
bool tui_jobs_poll(struct tui_app *app);
size_t tui_jobs_running(const struct tui_app *app);
/* Ask the job on @path to stop; false when none runs there. */
bool tui_jobs_stop(struct tui_app *app, const char *path);
/* The view of the latest job on @path, or NULL. */
const struct tui_job_view *tui_jobs_view(const struct tui_app *app, const char *path);
/* Stop every running job and wait for them: deliberately (outcome
 * aborted, checkpoint removed), or with @resumable for a shutdown
 * (outcome interrupted, the checkpoint kept for --resume). */
void tui_jobs_stop_all(struct tui_app *app, bool resumable);
void tui_jobs_free(struct tui_app *app);

/* --- tui-people.c: the roster's people -------------------------------- */
struct staff_person;
typedef void (*tui_people_chosen_fn)(struct tui_app *app, const struct staff_person *p,
				     void *data);
/* (Re)read the roster into app->roster. */
int tui_people_load(struct tui_app *app);
/* Whether the station keeps a roster (then names are picked from it). */
bool tui_people_kept(const struct tui_app *app);
/* The operator at the station; also the register's actor. */
void tui_people_set_operator(struct tui_app *app, const char *name, const char *title);
/* Ask who is at the station (the roster's operators).  While nobody is,
 * the question cannot be cancelled: Esc leaves the program. */
int tui_people_ask_operator(struct tui_app *app);
/* "Switch operator": read the roster again, then ask. */
int tui_people_switch(struct tui_app *app);
/* Whether someone is at the station, so that the register may be
 * written; if not, says why and asks (with a roster).  Every dialog
 * that records something calls it first. */
bool tui_people_acting(struct tui_app *app);
/* A list of the roster's people in @role; @chosen gets the one taken.
 * -ENOENT without a roster. */
int tui_people_pick(struct tui_app *app, unsigned role, tui_people_chosen_fn chosen, void *data);
/* "operator", "witness"... in the interface language. */
const char *tui_people_role_label(unsigned role);

/* --- tui-form.c: the form widget -------------------------------------- */
struct tui_form {
	struct tui_fields fields;
	size_t cur;			/* field with the focus */
	const char *error;		/* validation message to show */
	int error_field;
};
int tui_form_init(struct tui_form *form, const struct tui_field_spec *spec, size_t n);
void tui_form_free(struct tui_form *form);
/* Draw the fields from line @y of @win, labels @label_w wide. */
void tui_form_draw(struct tui_app *app, struct tui_form *form, WINDOW *win, int y,
		   int label_w);
/* Editing keys: up/down/tab move, left/right/space cycle choices, text,
 * backspace.  Enter and Escape are left to the caller. */
unsigned tui_form_key(struct tui_form *form, int key);
/* Validate; on failure move the focus to the bad field and return false. */
bool tui_form_check(struct tui_form *form);

/* --- the screens ------------------------------------------------------- */
extern const struct tui_screen tui_screen_media;
extern const struct tui_screen tui_screen_help;
extern const struct tui_screen tui_screen_confirm;	/* arg: struct tui_confirm * */
extern const struct tui_screen tui_screen_notice;	/* arg: the text (copied) */
extern const struct tui_screen tui_screen_enroll;
extern const struct tui_screen tui_screen_sanitize;
extern const struct tui_screen tui_screen_cert;
extern const struct tui_screen tui_screen_people;
extern const struct tui_screen tui_screen_register;

/* Word-wrap @text from line @y of @win; returns the next free line. */
int tui_wrap(struct tui_app *app, WINDOW *win, int y, enum tui_style style, const char *text);

/* The media screen caches the selected medium's history: drop it. */
void tui_media_forget(void);

/* A yes/no question (q with jobs running, ...). */
struct tui_confirm {
	const char *title;
	const char *text;
	unsigned (*yes)(struct tui_app *app);	/* reaction on yes */
};

#endif
