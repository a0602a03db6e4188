/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CUSTOS_TUI_MODEL_H
#define CUSTOS_TUI_MODEL_H

/*
 * tui-model: what the station screens show, computed without a terminal.
 * Display-width helpers (UTF-8, wide characters), the rows of the media
 * screen built from the device list, register entries and job snapshots,
 * form fields with their validation, and the typed confirmation rule.
 * Nothing here includes curses, so tests/test-tui-model.c covers it all.
 */

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "device.h"
#include "policy.h"
#include "profile.h"
#include "sanitize.h"

struct register_media;

/* --- text -------------------------------------------------------------- */

/* Columns @s occupies on a terminal (wide characters count 2, control
 * characters and invalid bytes 1, as they are shown replaced by '?'). */
int tui_text_width(const char *s);

/* Copy @s into @out so that it occupies at most @cols columns; longer text
 * is cut and ends with an ellipsis; with @pad, spaces fill up to exactly
 * @cols.  Control characters become '?'.  Returns the columns written. */
int tui_text_fit(const char *s, int cols, bool pad, char *out, size_t len);

/* Bytes of @s that fit in @cols columns, whole characters only. */
size_t tui_text_cut(const char *s, int cols);

/* "[#######.......]" of @width columns for @frac in 0..1. */
void tui_progress_bar(double frac, int width, char *out, size_t len);

/* --- the media screen -------------------------------------------------- */

/* A job as the screen sees it (filled from the engine's snapshot). */
enum tui_job_phase {
	TUI_JOB_RUNNING,
	TUI_JOB_STOPPING,	/* cancel requested, not finished yet */
	TUI_JOB_SUCCEEDED,
	TUI_JOB_FAILED,		/* includes a device pulled mid-wipe */
	TUI_JOB_ABORTED,
};

struct tui_job_view {
	char path[PATH_MAX];		/* the device the job writes */
	char name[64];			/* its kernel or file name */
	enum tui_job_phase phase;
	char step[96];			/* profile and phase: "zero", "zero verify", ... */
	unsigned pass, passes;
	double percent;			/* of the whole job: every pass and verification */
	double rate_bps;
	int64_t eta_s;			/* < 0 unknown */
	uint64_t errors;
	char outcome[32];		/* when finished: "erased", "failed", ... */
	char message[160];		/* last error or note */
	char cert_id[64];		/* certificate written, "" if none */
};

/* The register state of a medium whose sanitization started and never ended. */
#define TUI_STATE_SANITIZING "sanitizing"

/* Fill @v's progress from the run's snapshot @p (sanitize.h: the one
 * progress model of both faces) of a run with profile @profile: the
 * overall share and ETA over every pass and the verification, and the
 * current pass, never beyond the last ("pass 3/2" cannot show). */
void tui_model_job_progress(struct tui_job_view *v, const struct sanitize_progress *p,
			    const char *profile);

/* What the register knows of a medium. */
struct tui_reg_view {
	bool enrolled;
	char register_no[32];
	char classification[32];
	char custodian[96];
	char state[32];
	/* Why the register forbids sanitizing it (destroyed, lost, awaiting
	 * destruction, rows that differ from their history); "" when allowed.
	 * Such a medium cannot be marked, and the reason shows at once. */
	char refusal[192];
	bool interrupted;		/* state sanitizing, and no process runs it */
	/* Known only to the central register: the station that enrolled it
	 * (its classification and state above are the centre's); "" else. */
	char central_station[128];
	/* Not in this station's register and the central register could not
	 * say whether another station enrolled it (the reason is @refusal). */
	bool central_unknown;
};

enum tui_row_style {
	TUI_ROW_NORMAL,
	TUI_ROW_GREY,		/* ineligible: cannot be selected */
	TUI_ROW_RUNNING,
	TUI_ROW_DONE,		/* job finished well */
	TUI_ROW_RED,		/* job failed or device vanished */
};

struct tui_media_row {
	const struct device_info *dev;	/* NULL: gone, only its job remains */
	const struct tui_reg_view *reg;	/* never NULL (an empty view if unknown) */
	const struct tui_job_view *job;	/* NULL: no job */
	char path[PATH_MAX];
	char name[64];
	bool selectable;		/* may be marked and sanitized */
	bool marked;
	enum tui_row_style style;
	char status[192];		/* one line: "ready", "in use: ...", "pass 1/1 ..." */
};

/* Build the rows: one per device (regs[i] belongs to devs[i], regs may be
 * NULL), plus one per job whose device is no longer present.  Devices
 * whose path is in @marked (n_marked paths) stay marked if selectable.
 * Returns 0 or -ENOMEM; free *@out with free(). */
int tui_model_rows(const struct device_info *devs, size_t n_devs,
		   const struct tui_reg_view *regs,
		   const struct tui_job_view *jobs, size_t n_jobs,
		   const char *const *marked, size_t n_marked,
		   struct tui_media_row **out, size_t *n_out);

/* Why @row cannot be marked (a running job, the register's refusal, the
 * device's reasons); "" when it can. */
const char *tui_model_unselectable_why(const struct tui_media_row *row);

/* Columns of the media table for a terminal @cols wide. */
enum tui_col { TUI_COL_MARK, TUI_COL_DEVICE, TUI_COL_MODEL, TUI_COL_SIZE, TUI_COL_BUS,
	       TUI_COL_SERIAL, TUI_COL_REGNO, TUI_COL_CLASS, TUI_COL_COUNT };
void tui_model_columns(int cols, int widths[TUI_COL_COUNT]);

/* The header line and the identity line of @row, exactly @cols wide. */
void tui_model_header_line(int cols, char *out, size_t len);
void tui_model_row_line(const struct tui_media_row *row, int cols, char *out, size_t len);

/* The status line under a row: progress bar with pass, rate, ETA and
 * errors for a running job, the outcome of a finished one, else status. */
void tui_model_status_line(const struct tui_media_row *row, int cols, char *out, size_t len);

/* The demo station (`custos tui --demo`) offers only its own virtual
 * media: keep in @devs the image files directly in @virtual_dir, clear
 * every other device (host disks, loop devices) and return how many are
 * left, in their order. */
size_t tui_model_demo_only(struct device_info *devs, size_t n, const char *virtual_dir);

/* --- typed confirmation ------------------------------------------------ */

/* What the operator must type to wipe @dev: the last four characters of
 * its serial, or its name for virtual media and media without a serial. */
void tui_model_confirm_expect(const struct device_info *dev, char *out, size_t len);
/* True when @typed (surrounding spaces ignored, letters in any case) is @expect. */
bool tui_model_confirm_matches(const char *expect, const char *typed);

/* --- what the policy allows ------------------------------------------ */

/* A medium to sanitize, as the policy sees it. */
struct tui_target_class {
	enum policy_level level, highest;	/* public for media never enrolled */
	enum policy_kind kind;
	const char *media_kind;			/* device_media_kind() */
};

/* For the list of profiles the sanitize dialog offers (the plan decides):
 * how sanitize_plan() will see @dev: with its register entry
 * @m (NULL when not in the register), an enrolled and classified medium
 * counts at its registered levels and media type, any other at
 * SANITIZE_DEFAULT_CLASS and its device kind.  The NIST category always
 * follows the device kind (@out->media_kind). */
void tui_model_target_class(const struct device_info *dev, const struct register_media *m,
			    struct tui_target_class *out);

/* May profile @p send every one of the @n targets to @dest?  False too
 * when @p claims no NIST category for a target's kind. */
bool tui_model_allowed(const struct policy *pol, const struct profile *p,
		       const struct tui_target_class *t, size_t n, enum policy_dest dest);
/* May @p be used at all (for some destination)? */
bool tui_model_offered(const struct policy *pol, const struct profile *p,
		       const struct tui_target_class *t, size_t n);

/* --- who signs --------------------------------------------------------- */

/* The people a certificate names, checked with the rule cert.c applies:
 * the validator is optional, but when named must be a second person
 * (policy_same_person()), and a validator's title needs the name.
 * Returns -1 when fine, else which is wrong (0 operator, 1 validator,
 * 2 validator title) with *@msg set (static text). */
int tui_model_people_check(const char *operator_name, const char *validator_name,
			   const char *validator_title, const char **msg);

/* Who acts when the station screen opens, before anyone is asked.
 * @roster NULL (it could not be read): nobody.  An empty roster (no
 * roster kept, the demo): @def, else @login.  A roster naming anyone:
 * @def when it is one of its operators (the roster's spelling, *@title
 * its title), else nobody, and the screen asks; never @login as such.
 * Returns the name, "" for nobody. */
struct staff;
const char *tui_model_first_operator(const struct staff *roster, const char *def,
				     const char *login, const char **title);

/* --- forms ------------------------------------------------------------- */

enum tui_field_kind { TUI_FIELD_TEXT, TUI_FIELD_CHOICE };

struct tui_field_spec {
	const char *key;		/* "asset_tag" */
	const char *label;		/* "Asset tag" */
	enum tui_field_kind kind;
	bool required;
	size_t max_len;			/* bytes, TEXT only (< TUI_FIELD_MAX) */
	const char *const *choices;	/* CHOICE: NULL-terminated list */
};

#define TUI_FIELD_MAX 256

struct tui_fields {
	const struct tui_field_spec *spec;
	size_t n;
	char (*value)[TUI_FIELD_MAX];	/* n values; CHOICE holds the choice text */
	size_t *choice;			/* n choice indexes */
};

/* Allocate values for @n fields of @spec; CHOICE fields start at their first choice. */
int tui_fields_init(struct tui_fields *f, const struct tui_field_spec *spec, size_t n);
void tui_fields_free(struct tui_fields *f);
int tui_fields_set(struct tui_fields *f, const char *key, const char *value);
const char *tui_fields_get(const struct tui_fields *f, const char *key);
/* Next/previous choice of field @i (wraps). */
void tui_fields_cycle(struct tui_fields *f, size_t i, int dir);
/* Append the UTF-8 text @s to TEXT field @i if it fits; -ENOSPC if not. */
int tui_fields_append(struct tui_fields *f, size_t i, const char *s);
/* Remove the last character (not byte) of TEXT field @i. */
void tui_fields_backspace(struct tui_fields *f, size_t i);

/* Check every field: required ones not blank, no control characters,
 * choices among their list.  Returns the index of the first bad field and
 * sets *@msg (static text), or -1 when all are valid. */
int tui_fields_validate(const struct tui_fields *f, const char **msg);

#endif
