/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unit tests for ui/tui-model.c: text width, media rows, confirmation, forms. */
#include <errno.h>
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sanitize.h"
#include "register.h"
#include "i18n.h"
#include "tui-model.h"
#include "staff.h"
#include "util.h"

static int utf8_locale(void **state)
{
	(void)state;
	if (!setlocale(LC_ALL, "C.UTF-8") && !setlocale(LC_ALL, "en_US.UTF-8"))
		return -1;
	return 0;
}

static void test_width(void **state)
{
	(void)state;
	assert_int_equal(tui_text_width("abc"), 3);
	assert_int_equal(tui_text_width("机密"), 4);
	assert_int_equal(tui_text_width("a\tb"), 3);	/* control shown as '?' */
	assert_int_equal(tui_text_width("\xff"), 1);	/* invalid byte */
	assert_int_equal(tui_text_width(""), 0);
	assert_int_equal(tui_text_width(NULL), 0);
}

static void test_fit(void **state)
{
	char buf[64];

	(void)state;
	assert_int_equal(tui_text_fit("abc", 5, true, buf, sizeof(buf)), 5);
	assert_string_equal(buf, "abc  ");
	assert_int_equal(tui_text_fit("abcdef", 4, true, buf, sizeof(buf)), 4);
	assert_string_equal(buf, "abc\xe2\x80\xa6");
	/* a wide character never straddles the edge: the gap is padded */
	assert_int_equal(tui_text_fit("张三丰", 4, true, buf, sizeof(buf)), 4);
	assert_string_equal(buf, "张\xe2\x80\xa6 ");
	assert_int_equal(tui_text_fit("张三", 4, false, buf, sizeof(buf)), 4);
	assert_string_equal(buf, "张三");
	assert_int_equal(tui_text_fit("a\nb", 3, false, buf, sizeof(buf)), 3);
	assert_string_equal(buf, "a?b");
	/* a small buffer truncates without overflowing */
	tui_text_fit("abcdefgh", 8, true, buf, 4);
	assert_true(strlen(buf) < 4);
}

static void test_cut(void **state)
{
	(void)state;
	assert_int_equal(tui_text_cut("abcdef", 4), 4);
	assert_int_equal(tui_text_cut("abc", 10), 3);
	assert_int_equal(tui_text_cut("张三丰", 5), 6);	/* two characters, 3 bytes each */
	assert_int_equal(tui_text_cut("张三丰", 1), 0);
}

static void test_progress_bar(void **state)
{
	char buf[32];

	(void)state;
	tui_progress_bar(0.5, 12, buf, sizeof(buf));
	assert_string_equal(buf, "[#####.....]");
	tui_progress_bar(2.0, 5, buf, sizeof(buf));
	assert_string_equal(buf, "[###]");
	tui_progress_bar(-1, 4, buf, sizeof(buf));
	assert_string_equal(buf, "[..]");
}

static void make_dev(struct device_info *d, const char *name, const char *serial,
		     enum device_transport t)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->path, sizeof(d->path), "/dev/%s", name);
	util_strlcpy(d->name, name, sizeof(d->name));
	util_strlcpy(d->serial, serial, sizeof(d->serial));
	util_strlcpy(d->model, "Test Disk", sizeof(d->model));
	d->size_bytes = 64ull << 20;
	d->transport = t;
}

static void test_rows(void **state)
{
	struct device_info devs[3];
	struct tui_reg_view regs[3];
	struct tui_job_view jobs[2];
	struct tui_media_row *rows;
	const char *marked[] = { "/dev/sdb", "/dev/sdc" };
	char *reason = (char *)"mounted on /mnt";
	size_t n;

	(void)state;
	memset(regs, 0, sizeof(regs));
	memset(jobs, 0, sizeof(jobs));
	make_dev(&devs[0], "sda", "S1", DEVICE_TRANSPORT_SATA);
	devs[0].reasons = DEVICE_REASON_MOUNTED;
	devs[0].reason_text[0] = reason;
	devs[0].n_reasons = 1;
	make_dev(&devs[1], "sdb", "WD-1234ABCD", DEVICE_TRANSPORT_USB);
	make_dev(&devs[2], "sdc", "X", DEVICE_TRANSPORT_USB);
	regs[1].enrolled = true;
	util_strlcpy(regs[1].register_no, "M-000042", sizeof(regs[1].register_no));
	util_strlcpy(regs[1].classification, "secret", sizeof(regs[1].classification));
	util_strlcpy(jobs[0].path, "/dev/sdc", sizeof(jobs[0].path));
	jobs[0].phase = TUI_JOB_RUNNING;
	util_strlcpy(jobs[1].path, "/dev/sdz", sizeof(jobs[1].path));
	util_strlcpy(jobs[1].name, "sdz", sizeof(jobs[1].name));
	jobs[1].phase = TUI_JOB_FAILED;

	assert_int_equal(tui_model_rows(devs, 3, regs, jobs, 2, marked, 2, &rows, &n), 0);
	assert_int_equal(n, 4);
	/* ineligible: grey, not selectable, reason shown, never marked */
	assert_false(rows[0].selectable);
	assert_int_equal(rows[0].style, TUI_ROW_GREY);
	assert_string_equal(rows[0].status, "mounted on /mnt");
	assert_false(rows[0].marked);
	/* eligible and marked */
	assert_true(rows[1].selectable);
	assert_true(rows[1].marked);
	assert_string_equal(rows[1].reg->register_no, "M-000042");
	/* a running job: not selectable, so its mark is dropped */
	assert_false(rows[2].selectable);
	assert_false(rows[2].marked);
	assert_int_equal(rows[2].style, TUI_ROW_RUNNING);
	assert_ptr_equal(rows[2].job, &jobs[0]);
	/* the job of a vanished device stays, red */
	assert_null(rows[3].dev);
	assert_string_equal(rows[3].name, "sdz");
	assert_int_equal(rows[3].style, TUI_ROW_RED);
	assert_false(rows[3].reg->enrolled);
	free(rows);
}

static void test_lines(void **state)
{
	struct device_info dev;
	struct tui_reg_view reg;
	struct tui_job_view job;
	struct tui_media_row *rows;
	char line[1024];
	size_t n;

	(void)state;
	memset(&reg, 0, sizeof(reg));
	memset(&job, 0, sizeof(job));
	make_dev(&dev, "sdb", "WD-1234ABCD", DEVICE_TRANSPORT_USB);
	reg.enrolled = true;
	util_strlcpy(reg.register_no, "M-000042", sizeof(reg.register_no));
	util_strlcpy(reg.classification, "机密", sizeof(reg.classification));
	util_strlcpy(job.path, "/dev/sdb", sizeof(job.path));
	job.phase = TUI_JOB_RUNNING;
	job.pass = 1;
	job.passes = 3;
	job.percent = 50;
	job.rate_bps = 10 << 20;
	job.eta_s = 125;
	job.errors = 2;
	assert_int_equal(tui_model_rows(&dev, 1, &reg, &job, 1, NULL, 0, &rows, &n), 0);
	for (int cols = 80; cols <= 200; cols += 60) {
		tui_model_header_line(cols, line, sizeof(line));
		assert_int_equal(tui_text_width(line), cols);
		tui_model_row_line(&rows[0], cols, line, sizeof(line));
		assert_int_equal(tui_text_width(line), cols);
		assert_non_null(strstr(line, "机密"));
		assert_non_null(strstr(line, "M-000042"));
		tui_model_status_line(&rows[0], cols, line, sizeof(line));
		assert_int_equal(tui_text_width(line), cols);
		assert_non_null(strstr(line, " 50%"));
		assert_non_null(strstr(line, "pass 1/3"));
		assert_non_null(strstr(line, "10.0 MiB/s"));
		assert_non_null(strstr(line, "ETA 2m05s"));
		assert_non_null(strstr(line, "2 errors"));
	}
	job.phase = TUI_JOB_FAILED;
	util_strlcpy(job.outcome, "failed", sizeof(job.outcome));
	util_strlcpy(job.message, "device removed", sizeof(job.message));
	tui_model_status_line(&rows[0], 80, line, sizeof(line));
	assert_non_null(strstr(line, "FAILED: failed - device removed"));
	job.phase = TUI_JOB_SUCCEEDED;
	util_strlcpy(job.outcome, "erased", sizeof(job.outcome));
	job.message[0] = '\0';
	util_strlcpy(job.cert_id, "WS01-2026-000007", sizeof(job.cert_id));
	tui_model_status_line(&rows[0], 80, line, sizeof(line));
	assert_non_null(strstr(line, "done: erased  certificate WS01-2026-000007"));
	free(rows);
	/* no job: ready, or the reasons of an ineligible medium */
	util_strlcpy(reg.state, "in-stock", sizeof(reg.state));
	util_strlcpy(reg.custodian, "张三", sizeof(reg.custodian));
	assert_int_equal(tui_model_rows(&dev, 1, &reg, NULL, 0, NULL, 0, &rows, &n), 0);
	tui_model_status_line(&rows[0], 80, line, sizeof(line));
	assert_non_null(strstr(line, "ready  (register: in-stock, 张三)"));
	free(rows);
	dev.reasons = DEVICE_REASON_SYSTEM;
	dev.reason_text[0] = (char *)"system disk: holds /";
	dev.n_reasons = 1;
	reg.enrolled = false;
	util_strlcpy(reg.register_no, "U-000003", sizeof(reg.register_no));
	assert_int_equal(tui_model_rows(&dev, 1, &reg, NULL, 0, NULL, 0, &rows, &n), 0);
	tui_model_status_line(&rows[0], 80, line, sizeof(line));
	assert_non_null(strstr(line, "not eligible: system disk: holds /"));
	tui_model_row_line(&rows[0], 80, line, sizeof(line));
	assert_non_null(strstr(line, "U-000003"));	/* an unregistered entry keeps its number */
	assert_non_null(strstr(line, "not enrolled"));
	assert_int_equal(strncmp(line, "   ", 3), 0);	/* no mark box: cannot be selected */
	free(rows);
}

/* The register's refusal (destroyed, awaiting destruction) shows in the
 * row before any dialog, and such a medium cannot be marked. */
static void test_refused_rows(void **state)
{
	struct device_info dev[2];
	struct tui_reg_view reg[2];
	struct tui_job_view job;
	struct tui_media_row *rows;
	const char *marked[] = { "/dev/sdb", "/dev/sdc" };
	char line[512];
	size_t n;

	(void)state;
	memset(reg, 0, sizeof(reg));
	make_dev(&dev[0], "sdb", "S1", DEVICE_TRANSPORT_USB);
	make_dev(&dev[1], "sdc", "S2", DEVICE_TRANSPORT_USB);
	reg[0].enrolled = true;
	util_strlcpy(reg[0].state, "destroyed", sizeof(reg[0].state));
	util_strlcpy(reg[0].refusal, "M-000001 is destroyed: no wipe (lifecycle rule)",
		     sizeof(reg[0].refusal));
	reg[1].enrolled = true;
	util_strlcpy(reg[1].state, TUI_STATE_SANITIZING, sizeof(reg[1].state));
	reg[1].interrupted = true;
	assert_int_equal(tui_model_rows(dev, 2, reg, NULL, 0, marked, 2, &rows, &n), 0);
	assert_false(rows[0].selectable);
	assert_false(rows[0].marked);
	assert_int_equal(rows[0].style, TUI_ROW_GREY);
	assert_string_equal(tui_model_unselectable_why(&rows[0]), reg[0].refusal);
	tui_model_status_line(&rows[0], 80, line, sizeof(line));
	assert_non_null(strstr(line, "M-000001 is destroyed: no wipe"));
	assert_null(strstr(line, "not eligible"));	/* the device itself is fine */
	assert_int_equal(strncmp(line + 4, "M-000001", 8), 0);
	tui_model_row_line(&rows[0], 80, line, sizeof(line));
	assert_int_equal(strncmp(line, "   ", 3), 0);	/* no mark box */
	/* an interrupted run: shown as such, and may be wiped again */
	assert_true(rows[1].selectable);
	assert_true(rows[1].marked);
	assert_int_equal(rows[1].style, TUI_ROW_RED);
	assert_string_equal(tui_model_unselectable_why(&rows[1]), "");
	tui_model_status_line(&rows[1], 80, line, sizeof(line));
	assert_non_null(strstr(line, "INTERRUPTED"));
	free(rows);
	/* a finished job on a medium the register now refuses: the refusal
	 * first, the last outcome after it; it cannot be marked */
	memset(&job, 0, sizeof(job));
	util_strlcpy(job.path, "/dev/sdb", sizeof(job.path));
	job.phase = TUI_JOB_SUCCEEDED;
	util_strlcpy(job.outcome, "erased", sizeof(job.outcome));
	assert_int_equal(tui_model_rows(dev, 1, reg, &job, 1, marked, 1, &rows, &n), 0);
	assert_false(rows[0].selectable);
	assert_false(rows[0].marked);
	tui_model_status_line(&rows[0], 80, line, sizeof(line));
	assert_non_null(strstr(line, "M-000001 is destroyed: no wipe"));
	assert_non_null(strstr(line, "(last wipe: erased)"));
	assert_string_equal(tui_model_unselectable_why(&rows[0]), reg[0].refusal);
	/* a running one: the job is the reason */
	job.phase = TUI_JOB_RUNNING;
	reg[0].refusal[0] = '\0';
	free(rows);
	assert_int_equal(tui_model_rows(dev, 1, reg, &job, 1, marked, 1, &rows, &n), 0);
	assert_string_equal(tui_model_unselectable_why(&rows[0]), "its wipe is running");
	free(rows);
}

/* The run's progress (sanitize.h's one model) as the row shows it: the
 * overall share and ETA, the current pass never past the last. */
static void test_job_progress(void **state)
{
	struct tui_job_view v;
	struct sanitize_progress p;
	struct device_info dev;
	struct tui_reg_view reg;
	struct tui_media_row *rows;
	char line[512];
	size_t n;

	(void)state;
	memset(&v, 0, sizeof(v));
	memset(&p, 0, sizeof(p));
	p.pass = 2;
	p.n_passes = 2;
	p.phase = WIPE_PHASE_WRITE;
	p.percent = 50;
	p.rate = 10;
	p.eta_s = 15;
	tui_model_job_progress(&v, &p, "dod-3pass");
	assert_int_equal(v.pass, 2);
	assert_int_equal(v.passes, 2);
	assert_true(v.percent == 50);
	assert_int_equal(v.eta_s, 15);
	assert_string_equal(v.step, "dod-3pass");
	/* a snapshot past the last pass still shows the last one */
	p.pass = 3;
	p.phase = WIPE_PHASE_VERIFY;
	tui_model_job_progress(&v, &p, "dod-3pass");
	assert_int_equal(v.pass, 2);
	assert_string_equal(v.step, "dod-3pass verify");
	/* unknown ETA, share out of range */
	p.eta_s = UINT64_MAX;
	p.percent = 100.5;
	p.state = SANITIZE_RECORDING;
	tui_model_job_progress(&v, &p, "zero");
	assert_int_equal(v.eta_s, -1);
	assert_true(v.percent == 100);
	assert_string_equal(v.step, "zero recording");
	/* before the first snapshot: starting, not pass 1/0 */
	memset(&p, 0, sizeof(p));
	p.eta_s = UINT64_MAX;
	tui_model_job_progress(&v, &p, "zero");

	memset(&reg, 0, sizeof(reg));
	make_dev(&dev, "sdb", "S1", DEVICE_TRANSPORT_USB);
	util_strlcpy(v.path, "/dev/sdb", sizeof(v.path));
	v.phase = TUI_JOB_RUNNING;
	assert_int_equal(tui_model_rows(&dev, 1, &reg, &v, 1, NULL, 0, &rows, &n), 0);
	tui_model_status_line(&rows[0], 80, line, sizeof(line));
	assert_non_null(strstr(line, "starting zero"));
	assert_null(strstr(line, "/0"));
	assert_non_null(strstr(line, "ETA -"));
	/* the last pass's verification: that pass, at the overall share */
	p.pass = 8;
	p.n_passes = 7;
	p.phase = WIPE_PHASE_VERIFY;
	p.percent = 75.4;
	p.rate = 1 << 20;
	p.eta_s = 100;
	tui_model_job_progress(&v, &p, "dod-7pass");
	tui_model_status_line(&rows[0], 120, line, sizeof(line));
	assert_non_null(strstr(line, " 75%"));
	assert_non_null(strstr(line, "pass 7/7 dod-7pass verify"));
	assert_null(strstr(line, "8/7"));
	assert_non_null(strstr(line, "1.0 MiB/s"));
	assert_non_null(strstr(line, "ETA 1m40s"));
	free(rows);
}

static void test_columns(void **state)
{
	int w[TUI_COL_COUNT], sum;

	(void)state;
	for (int cols = 60; cols < 300; cols += 7) {
		tui_model_columns(cols, w);
		sum = TUI_COL_COUNT - 1;
		for (int i = 0; i < TUI_COL_COUNT; i++) {
			assert_true(w[i] > 0);
			sum += w[i];
		}
		if (cols >= 80)
			assert_int_equal(sum, cols);
	}
}

static void test_confirm(void **state)
{
	struct device_info dev;
	char expect[64];

	(void)state;
	make_dev(&dev, "sdb", "WD-1234ABCD ", DEVICE_TRANSPORT_USB);
	tui_model_confirm_expect(&dev, expect, sizeof(expect));
	assert_string_equal(expect, "ABCD");
	assert_true(tui_model_confirm_matches(expect, "abcd"));
	assert_true(tui_model_confirm_matches(expect, " ABCD "));
	assert_false(tui_model_confirm_matches(expect, "BCD"));
	assert_false(tui_model_confirm_matches(expect, "ABCDE"));
	assert_false(tui_model_confirm_matches(expect, ""));
	assert_false(tui_model_confirm_matches("", ""));
	make_dev(&dev, "loop5", "", DEVICE_TRANSPORT_VIRTUAL);
	tui_model_confirm_expect(&dev, expect, sizeof(expect));
	assert_string_equal(expect, "loop5");
	make_dev(&dev, "sdc", "", DEVICE_TRANSPORT_USB);	/* no serial: its name */
	tui_model_confirm_expect(&dev, expect, sizeof(expect));
	assert_string_equal(expect, "sdc");
	make_dev(&dev, "sdd", "AB", DEVICE_TRANSPORT_SATA);	/* short serial: all of it */
	tui_model_confirm_expect(&dev, expect, sizeof(expect));
	assert_string_equal(expect, "AB");
}

static void test_policy_offer(void **state)
{
	struct policy *pol;
	struct profile zero;
	struct tui_target_class t[2] = {
		{ POLICY_LEVEL_PUBLIC, POLICY_LEVEL_PUBLIC, POLICY_KIND_VIRTUAL, "virtual" },
		{ POLICY_LEVEL_TOP_SECRET, POLICY_LEVEL_TOP_SECRET, POLICY_KIND_VIRTUAL, "virtual" },
	};

	(void)state;
	assert_int_equal(policy_load(NULL, 0, &pol, NULL), 0);
	memset(&zero, 0, sizeof(zero));
	assert_int_equal(profile_parse("zero.profile", "name = zero\n"
				       "title = Zeros\nmethod = overwrite\npass = byte 0x00\n"
				       "verify = last\nnist.hdd = clear\nnist.virtual = clear\n"
				       "nist.usb-flash = none\n", &zero, NULL), 0);
	/* public: reuse allowed */
	assert_true(tui_model_allowed(pol, &zero, t, 1, POLICY_DEST_INTERNAL_REUSE));
	assert_true(tui_model_offered(pol, &zero, t, 1));
	/* top-secret leaves service only by destruction */
	assert_false(tui_model_allowed(pol, &zero, &t[1], 1, POLICY_DEST_INTERNAL_REUSE));
	assert_false(tui_model_allowed(pol, &zero, &t[1], 1, POLICY_DEST_RECYCLING));
	assert_true(tui_model_allowed(pol, &zero, &t[1], 1, POLICY_DEST_DESTRUCTION));
	/* several targets: only what every one of them allows */
	assert_false(tui_model_allowed(pol, &zero, t, 2, POLICY_DEST_INTERNAL_REUSE));
	assert_true(tui_model_allowed(pol, &zero, t, 2, POLICY_DEST_DESTRUCTION));
	/* a profile with no claim for the kind is never offered */
	t[0].media_kind = "usb-flash";
	t[0].kind = POLICY_KIND_USB_FLASH;
	assert_false(tui_model_offered(pol, &zero, t, 1));
	assert_false(tui_model_allowed(pol, &zero, t, 0, POLICY_DEST_DESTRUCTION));
	policy_free(pol);
}

/* The policy sees a medium as finish_check() will: an enrolled one with
 * its registered levels and media type, whatever its device kind. */
static void test_target_class(void **state)
{
	struct device_info dev;
	struct register_media m;
	struct tui_target_class c;
	struct policy *pol;
	struct profile zero;

	(void)state;
	make_dev(&dev, "loop7", "", DEVICE_TRANSPORT_VIRTUAL);
	tui_model_target_class(&dev, NULL, &c);
	assert_int_equal(c.level, SANITIZE_DEFAULT_CLASS);
	assert_int_equal(c.highest, SANITIZE_DEFAULT_CLASS);
	assert_int_equal(c.kind, POLICY_KIND_VIRTUAL);
	assert_string_equal(c.media_kind, "virtual");

	memset(&m, 0, sizeof(m));
	util_strlcpy(m.classification, "secret", sizeof(m.classification));
	util_strlcpy(m.highest_class, "secret", sizeof(m.highest_class));
	util_strlcpy(m.media_type, "nvme", sizeof(m.media_type));
	tui_model_target_class(&dev, &m, &c);
	assert_int_equal(c.level, POLICY_LEVEL_SECRET);
	assert_int_equal(c.highest, POLICY_LEVEL_SECRET);
	assert_int_equal(c.kind, POLICY_KIND_NVME);
	assert_string_equal(c.media_kind, "virtual");	/* the NIST claim: device kind */

	/* the default policy: a secret NVMe medium is not reused after a Clear
	 * (the virtual kind would have allowed it: the reviewer's case) */
	assert_int_equal(policy_load(NULL, 0, &pol, NULL), 0);
	memset(&zero, 0, sizeof(zero));
	assert_int_equal(profile_parse("zero.profile", "name = zero\ntitle = Zeros\n"
				       "method = overwrite\npass = byte 0x00\nverify = last\n"
				       "nist.virtual = clear\n",
				       &zero, NULL), 0);
	assert_false(tui_model_allowed(pol, &zero, &c, 1, POLICY_DEST_INTERNAL_REUSE));
	c.kind = POLICY_KIND_VIRTUAL;
	assert_true(tui_model_allowed(pol, &zero, &c, 1, POLICY_DEST_INTERNAL_REUSE));

	/* an unregistered row, or one without a class: the declared default */
	m.unregistered = true;
	tui_model_target_class(&dev, &m, &c);
	assert_int_equal(c.level, SANITIZE_DEFAULT_CLASS);
	assert_int_equal(c.kind, POLICY_KIND_VIRTUAL);
	m.unregistered = false;
	m.classification[0] = '\0';
	tui_model_target_class(&dev, &m, &c);
	assert_int_equal(c.level, SANITIZE_DEFAULT_CLASS);
	assert_int_equal(c.kind, POLICY_KIND_VIRTUAL);
	/* an unknown media type counts as "other", as in the register */
	util_strlcpy(m.classification, "internal", sizeof(m.classification));
	util_strlcpy(m.media_type, "floppy", sizeof(m.media_type));
	tui_model_target_class(&dev, &m, &c);
	assert_int_equal(c.level, POLICY_LEVEL_INTERNAL);
	assert_int_equal(c.kind, POLICY_KIND_OTHER);
	policy_free(pol);
}

/* --demo lists only the demo station's image files: never a host disk or
 * a loop device (the reviewer's safety finding). */
static void test_demo_only(void **state)
{
	struct device_info *devs = calloc(6, sizeof(*devs));

	(void)state;
	assert_non_null(devs);
	make_dev(&devs[0], "sda", "S1", DEVICE_TRANSPORT_SATA);
	make_dev(&devs[1], "usb-stick-1.img", "", DEVICE_TRANSPORT_FILE);
	snprintf(devs[1].path, sizeof(devs[1].path), "/var/demo/virtual/usb-stick-1.img");
	assert_int_equal(device_add_reason(&devs[1], DEVICE_REASON_READONLY, "read-only"), 0);
	make_dev(&devs[2], "loop3", "", DEVICE_TRANSPORT_VIRTUAL);
	assert_int_equal(device_add_reason(&devs[2], DEVICE_REASON_HELD, "held"), 0);
	make_dev(&devs[3], "sd-card.img", "", DEVICE_TRANSPORT_FILE);
	snprintf(devs[3].path, sizeof(devs[3].path), "/var/demo/virtual/sd-card.img");
	make_dev(&devs[4], "x.img", "", DEVICE_TRANSPORT_FILE);	/* elsewhere */
	snprintf(devs[4].path, sizeof(devs[4].path), "/var/demo/virtual2/x.img");
	make_dev(&devs[5], "y.img", "", DEVICE_TRANSPORT_FILE);	/* below, not in */
	snprintf(devs[5].path, sizeof(devs[5].path), "/var/demo/virtual/sub/y.img");

	assert_int_equal(tui_model_demo_only(devs, 6, "/var/demo/virtual/"), 2);
	assert_string_equal(devs[0].name, "usb-stick-1.img");
	assert_int_equal(devs[0].n_reasons, 1);
	assert_string_equal(devs[1].name, "sd-card.img");
	assert_int_equal(tui_model_demo_only(devs, 2, NULL), 0);
	device_list_free(devs, 0);
}

static const char *const classes[] = { "public", "internal", "secret", NULL };
static const struct tui_field_spec spec[] = {
	{ .key = "asset_tag", .label = "Asset tag", .kind = TUI_FIELD_TEXT, .required = true,
	  .max_len = 8 },
	{ .key = "class", .label = "Class", .kind = TUI_FIELD_CHOICE, .choices = classes },
	{ .key = "custodian", .label = "Custodian", .kind = TUI_FIELD_TEXT, .max_len = 64 },
};

static void test_fields(void **state)
{
	struct tui_fields f;
	const char *msg;

	(void)state;
	assert_int_equal(tui_fields_init(&f, spec, 3), 0);
	assert_string_equal(tui_fields_get(&f, "class"), "public");
	assert_int_equal(tui_fields_validate(&f, &msg), 0);	/* required tag empty */
	assert_string_equal(msg, "must not be empty");
	assert_int_equal(tui_fields_append(&f, 0, "PC-"), 0);
	assert_int_equal(tui_fields_append(&f, 0, "0042"), 0);
	assert_int_equal(tui_fields_append(&f, 0, "99"), -ENOSPC);
	assert_string_equal(tui_fields_get(&f, "asset_tag"), "PC-0042");
	assert_int_equal(tui_fields_validate(&f, &msg), -1);
	tui_fields_cycle(&f, 1, -1);
	assert_string_equal(tui_fields_get(&f, "class"), "secret");
	tui_fields_cycle(&f, 1, 1);
	assert_string_equal(tui_fields_get(&f, "class"), "public");
	assert_int_equal(tui_fields_set(&f, "class", "internal"), 0);
	assert_int_equal(tui_fields_set(&f, "class", "bogus"), -EINVAL);
	assert_int_equal(tui_fields_set(&f, "nope", "x"), -ENOENT);
	/* Chinese text: backspace removes one whole character */
	assert_int_equal(tui_fields_append(&f, 2, "张三"), 0);
	tui_fields_backspace(&f, 2);
	assert_string_equal(tui_fields_get(&f, "custodian"), "张");
	tui_fields_backspace(&f, 2);
	tui_fields_backspace(&f, 2);
	assert_string_equal(tui_fields_get(&f, "custodian"), "");
	/* control characters are refused */
	assert_int_equal(tui_fields_set(&f, "custodian", "a\x1b[2Jb"), 0);
	assert_int_equal(tui_fields_validate(&f, &msg), 2);
	assert_string_equal(msg, "contains characters that cannot be stored");
	tui_fields_free(&f);
}

/* The operator and validator, with the rule certificates apply. */
/* With a roster, the login account is never the operator before anyone
 * is chosen; without one (the demo) the default, else the login. */
static void test_first_operator(void **state)
{
	struct staff *r = calloc(1, sizeof(*r)), empty = { 0 };
	const char *title;

	(void)state;
	assert_non_null(r);
	/* no roster kept: the default, else the login */
	assert_string_equal(tui_model_first_operator(&empty, "王五", "root", &title), "王五");
	assert_string_equal(tui_model_first_operator(&empty, NULL, "root", &title), "root");
	assert_string_equal(tui_model_first_operator(&empty, " ", "root", &title), "root");
	assert_string_equal(title, "");
	/* a roster that cannot be read: nobody */
	assert_string_equal(tui_model_first_operator(NULL, "王五", "root", &title), "");
	assert_int_equal(staff_add(r, "王芳", STAFF_ROLE_OPERATOR, "保密员", NULL, NULL, NULL), 0);
	assert_int_equal(staff_add(r, "刘强", STAFF_ROLE_WITNESS | STAFF_ROLE_CUSTODIAN, NULL,
				   NULL, NULL, NULL), 0);
	/* a roster: nobody until asked, whatever the login */
	assert_string_equal(tui_model_first_operator(r, NULL, "root", &title), "");
	assert_string_equal(tui_model_first_operator(r, NULL, "王芳", &title), "");
	assert_string_equal(tui_model_first_operator(r, "root", "root", &title), "");
	/* a default not in the operator role, or not on the roster: nobody */
	assert_string_equal(tui_model_first_operator(r, "刘强", "root", &title), "");
	assert_string_equal(tui_model_first_operator(r, "张三", "root", &title), "");
	/* a roster operator as default, compared after NFKC and white space
	 * folding, in the roster's spelling with its title */
	assert_string_equal(tui_model_first_operator(r, " 王芳　", "root", &title), "王芳");
	assert_string_equal(title, "保密员");
	staff_free(r);
}

static void test_people(void **state)
{
	const char *msg = NULL;

	(void)state;
	assert_int_equal(tui_model_people_check("张三", "", "", &msg), -1);
	assert_int_equal(tui_model_people_check("张三", "李四", "保密员", &msg), -1);
	assert_int_equal(tui_model_people_check(" ", "李四", "", &msg), 0);
	assert_non_null(msg);
	assert_int_equal(tui_model_people_check("Ann Lee", " ann lee ", "", &msg), 1);
	assert_string_equal(msg, "must be a second person (or left empty)");
	assert_int_equal(tui_model_people_check("Ann Lee", "", "Officer", &msg), 2);
}

/* At 80 columns the device's name and its classification stay whole; the
 * model gives way first (issue 14). */
static void row_80(const char *cls, char *line, size_t len)
{
	struct device_info dev;
	struct tui_reg_view reg;
	struct tui_media_row *rows;
	size_t n;

	make_dev(&dev, "laptop-disk-0001", "S3Z9NB0K123456X", DEVICE_TRANSPORT_SATA);
	util_strlcpy(dev.vendor, "Samsung", sizeof(dev.vendor));
	util_strlcpy(dev.model, "SSD 870 EVO 500GB", sizeof(dev.model));
	memset(&reg, 0, sizeof(reg));
	reg.enrolled = true;
	util_strlcpy(reg.register_no, "M-000042", sizeof(reg.register_no));
	util_strlcpy(reg.classification, cls, sizeof(reg.classification));
	assert_int_equal(tui_model_rows(&dev, 1, &reg, NULL, 0, NULL, 0, &rows, &n), 0);
	tui_model_row_line(&rows[0], 80, line, len);
	assert_int_equal(tui_text_width(line), 80);
	free(rows);
}

static void test_priority_columns(void **state)
{
	char line[512];

	(void)state;
	row_80("confidential", line, sizeof(line));
	assert_non_null(strstr(line, "laptop-disk-0001 "));
	assert_non_null(strstr(line, "confidential"));
	assert_non_null(strstr(line, "M-000042"));
	/* English: codes are shown as the command line prints them */
	assert_string_equal(i18n_value("in-stock"), "in-stock");
	assert_string_equal(i18n_value("no-such-code"), "no-such-code");
}

/* In zh_CN.UTF-8, with the built catalogue: Chinese headers and values,
 * still 80 columns wide. */
static void test_zh(void **state)
{
	const char *dir = getenv("CUSTOS_LOCALEDIR");
	char line[512];

	(void)state;
	if (!dir || !*dir || !setlocale(LC_ALL, "zh_CN.UTF-8"))
		skip();
	setenv("LC_ALL", "zh_CN.UTF-8", 1);
	i18n_init();
	assert_string_equal(i18n_value("top-secret"), "绝密");
	assert_string_equal(i18n_value("awaiting-destruction"), "待销毁");
	assert_string_equal(i18n_value("no-such-code"), "no-such-code");
	tui_model_header_line(80, line, sizeof(line));
	assert_int_equal(tui_text_width(line), 80);
	assert_non_null(strstr(line, "设备"));
	assert_non_null(strstr(line, "密级"));
	row_80("secret", line, sizeof(line));
	assert_non_null(strstr(line, "laptop-disk-0001 "));
	assert_non_null(strstr(line, "秘密"));
	unsetenv("LC_ALL");
	setlocale(LC_ALL, "C.UTF-8");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_width),
		cmocka_unit_test(test_fit),
		cmocka_unit_test(test_cut),
		cmocka_unit_test(test_progress_bar),
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_refused_rows),
		cmocka_unit_test(test_job_progress),
		cmocka_unit_test(test_columns),
		cmocka_unit_test(test_confirm),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_policy_offer),
		cmocka_unit_test(test_target_class),
		cmocka_unit_test(test_demo_only),
		cmocka_unit_test(test_people),
		cmocka_unit_test(test_first_operator),
		cmocka_unit_test(test_priority_columns),
		cmocka_unit_test(test_zh),
	};

	return cmocka_run_group_tests(tests, utf8_locale, NULL);
}
