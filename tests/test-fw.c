/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fw: the purge rule, NIST honesty, the guard, and full firmware-erase
 * flows against the fake drive (never a real device). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <libintl.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fw-fixtures.h"
#include "fw-job.h"
#include "fw.h"
#include "job.h"
#include "profile.h"
#include "util.h"
#include "loopdev.h"

static char state_dir[64];

static int setup(void **state)
{
	(void)state;
	util_strlcpy(state_dir, "/tmp/custos-fw-XXXXXX", sizeof(state_dir));
	return mkdtemp(state_dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char path[128];

	(void)state;
	snprintf(path, sizeof(path), "%s/ata-journal", state_dir);
	rmdir(path);
	return rmdir(state_dir);
}

static void opts(struct fw_opts *o, const char *kind)
{
	fw_opts_init(o);
	o->state_dir = state_dir;
	o->media_kind = kind;
}

static void test_method_names(void **state)
{
	enum fw_method m;

	(void)state;
	for (int i = 1; i < FW_METHOD_COUNT; i++) {
		assert_int_equal(fw_method_parse(fw_method_name((enum fw_method)i), &m), 0);
		assert_int_equal(m, i);
	}
	assert_int_equal(fw_method_parse("overwrite", &m), -EINVAL);
	assert_int_equal(fw_method_parse("ata-secure-erase", &m), 0);
	assert_int_equal(m, FW_ATA_SECURITY_ERASE);
	assert_null(fw_method_name(FW_METHOD_NONE));
}

static void test_nist_honesty(void **state)
{
	(void)state;
	assert_int_equal(fw_nist_category(FW_ATA_SECURITY_ERASE, "hdd"), FW_NIST_CLEAR);
	assert_int_equal(fw_nist_category(FW_ATA_SECURITY_ERASE, "ssd"), FW_NIST_CLEAR);
	assert_int_equal(fw_nist_category(FW_ATA_ENHANCED_SECURITY_ERASE, "hdd"), FW_NIST_PURGE);
	assert_int_equal(fw_nist_category(FW_ATA_ENHANCED_SECURITY_ERASE, "ssd"), FW_NIST_CLEAR);
	assert_int_equal(fw_nist_category(FW_ATA_SANITIZE_CRYPTO, "ssd"), FW_NIST_PURGE);
	assert_int_equal(fw_nist_category(FW_ATA_SANITIZE_OVERWRITE, "ssd"), FW_NIST_CLEAR);
	assert_int_equal(fw_nist_category(FW_ATA_SANITIZE_OVERWRITE, "hdd"), FW_NIST_PURGE);
	assert_int_equal(fw_nist_category(FW_NVME_FORMAT_USER, "nvme"), FW_NIST_PURGE);
	assert_int_equal(fw_nist_category(FW_NVME_SANITIZE_OVERWRITE, "nvme"), FW_NIST_CLEAR);
	assert_int_equal(fw_nist_category(FW_NVME_SANITIZE_CRYPTO, "hdd"), FW_NIST_NONE);
	for (int m = 1; m < FW_METHOD_COUNT; m++) {
		assert_int_not_equal(fw_nist_category((enum fw_method)m, "usb-flash"),
				     FW_NIST_PURGE);
		assert_int_equal(fw_nist_category((enum fw_method)m, "sd-mmc"), FW_NIST_NONE);
		assert_int_equal(fw_nist_category((enum fw_method)m, "virtual"), FW_NIST_NONE);
	}
	assert_int_equal(fw_nist_category(FW_PURGE, "hdd"), FW_NIST_NONE);	/* resolve first */
	assert_string_equal(fw_nist_name(FW_NIST_PURGE), "purge");
}

/* The shipped firmware profiles claim exactly what fw_run reports. */
static void test_profiles_agree(void **state)
{
	(void)state;
	for (int m = 1; m < FW_METHOD_COUNT; m++) {
		struct profile p;
		char *cause = NULL;
		enum fw_method pm;

		if (!getenv("CUSTOS_PROFILE_DIR"))
			skip();
		assert_int_equal(profile_find(fw_method_name((enum fw_method)m), NULL, &p, &cause),
				 0);
		assert_int_equal(fw_method_parse(profile_method_name(p.method), &pm), 0);
		assert_int_equal(pm, m);
		assert_true(p.markers);
		for (size_t k = 0; k < PROFILE_N_KINDS; k++) {
			const char *kind = profile_kind_name(k);
			bool drive = k < 3;	/* hdd ssd nvme */

			if (m == FW_PURGE)
				assert_int_equal(profile_nist_for(&p, kind),
						 drive ? PROFILE_NIST_PURGE : PROFILE_NIST_NONE);
			else
				assert_int_equal((int)profile_nist_for(&p, kind),
						 (int)fw_nist_category((enum fw_method)m, kind));
		}
		free(cause);
	}
}

static void test_probe_no_firmware(void **state)
{
	char path[] = "/tmp/custos-fw-img-XXXXXX";
	struct fw_caps caps;
	char *cause = NULL;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 1 << 20), 0);
	close(fd);
	assert_int_equal(fw_probe(path, &caps, &cause), -EOPNOTSUPP);
	assert_string_equal(cause, "not supported: no ATA/NVMe firmware on this target");
	assert_int_equal(fw_check(&caps, FW_ATA_SECURITY_ERASE, NULL, &cause), -EOPNOTSUPP);
	unlink(path);
	free(cause);
}

static enum fw_method purge_of(struct fakedev *f, const char *kind)
{
	struct fw_caps caps;
	char *cause = NULL;

	assert_int_equal(fw_probe_dev(&f->dev, kind, &caps, &cause), 0);
	free(cause);
	fakedev_free(f);
	return caps.purge;
}

static void test_purge_choice(void **state)
{
	struct fakedev *f;

	(void)state;
	assert_int_equal(purge_of(fakedev_new_nvme(0x04, 0x3, 4096, 9), NULL),
			 FW_NVME_SANITIZE_CRYPTO);
	assert_int_equal(purge_of(fakedev_new_nvme(0x04, 0x2, 4096, 9), NULL),
			 FW_NVME_SANITIZE_BLOCK);
	assert_int_equal(purge_of(fakedev_new_nvme(0x04, 0x4, 4096, 9), NULL),
			 FW_NVME_FORMAT_CRYPTO);
	assert_int_equal(purge_of(fakedev_new_nvme(0x00, 0x0, 4096, 9), NULL), FW_NVME_FORMAT_USER);
	/* magnetic disk with enhanced erase only: enhanced counts as Purge */
	assert_int_equal(purge_of(fixture_fake("SAMSUNG_HD501LJ--CR100-12"), "hdd"),
			 FW_ATA_ENHANCED_SECURITY_ERASE);
	/* the same drive of unknown rotation counts as flash: no Purge */
	assert_int_equal(purge_of(fixture_fake("SAMSUNG_HD501LJ--CR100-12"), NULL),
			 FW_METHOD_NONE);
	/* an SSD (word 217 = 1) said to be "hdd" is still flash */
	assert_int_equal(purge_of(fixture_fake("INTEL_SSDSA2MH080G1GC--045C8820"), "hdd"),
			 FW_METHOD_NONE);
	f = fixture_fake("INTEL_SSDSA2MH080G1GC--045C8820");
	fakedev_set_word(f, 59, 0xb000);		/* sanitize: crypto + block */
	assert_int_equal(purge_of(f, NULL), FW_ATA_SANITIZE_CRYPTO);
	f = fixture_fake("SAMSUNG_HD501LJ--CR100-12");
	fakedev_set_word(f, 59, 0x5000);		/* sanitize: overwrite only */
	assert_int_equal(purge_of(f, "hdd"), FW_ATA_SANITIZE_OVERWRITE);
	f = fixture_fake("SAMSUNG_HD501LJ--CR100-12");
	f->dev.usb_bridge = true;			/* never Purge through a bridge */
	assert_int_equal(purge_of(f, NULL), FW_METHOD_NONE);
	/* a frozen drive still gets a choice, so the guard can explain why it refuses */
	assert_int_equal(purge_of(fixture_fake("ST9160821AS--3.CLH"), "hdd"),
			 FW_ATA_ENHANCED_SECURITY_ERASE);
}

static void test_caps_json(void **state)
{
	struct fakedev *f = fixture_fake("SAMSUNG_HD501LJ--CR100-12");
	struct fw_caps caps;
	char *cause = NULL;
	json_t *j, *sec;

	(void)state;
	assert_int_equal(fw_probe_dev(&f->dev, "hdd", &caps, &cause), 0);
	j = fw_caps_to_json(&caps);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "transport")), "ata");
	assert_string_equal(json_string_value(json_object_get(j, "serial")), "S0MUJ1NQ110060");
	assert_string_equal(json_string_value(json_object_get(j, "purge")),
			    "ata-enhanced-secure-erase");
	sec = json_object_get(json_object_get(j, "ata"), "security");
	assert_string_equal(json_string_value(json_object_get(sec, "state")), "SEC1");
	assert_int_equal(json_integer_value(json_object_get(sec, "erase_minutes")), 168);
	assert_true(json_is_true(json_object_get(sec, "enhanced_erase")));
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "hidden"),
							      "status")), "none");
	assert_int_equal(json_array_size(json_object_get(j, "methods")), 2);
	json_decref(j);
	fakedev_free(f);
	f = fakedev_new_nvme(0x04, 0x1, 4096, 12);
	assert_int_equal(fw_probe_dev(&f->dev, NULL, &caps, &cause), 0);
	j = fw_caps_to_json(&caps);
	assert_true(json_is_true(json_object_get(json_object_get(json_object_get(j, "nvme"),
								 "format"), "crypto_erase")));
	assert_string_equal(json_string_value(json_object_get(j, "media_kind")), "nvme");
	json_decref(j);
	free(cause);
	fakedev_free(f);
}

/* ---- full flows ---- */

/* The end of a flow test: its result, its cause and its fake drive released. */
static void flow_end(struct fakedev *f, struct fw_result *r, char *cause)
{
	fw_result_clear(r);
	free(cause);
	fakedev_free(f);
}

static void test_flow_enhanced_hdd(void **state)
{
	struct fakedev *f = fixture_fake("SAMSUNG_HD501LJ--CR100-12");
	struct fw_result r;
	struct fw_opts o;
	char *cause = NULL;
	json_t *j;

	(void)state;
	opts(&o, "hdd");
	assert_int_equal(fw_run_dev(&f->dev, FW_PURGE, &o, NULL, NULL, NULL, &r, &cause), 0);
	assert_true(r.ok);
	assert_int_equal(r.used, FW_ATA_ENHANCED_SECURITY_ERASE);
	assert_int_equal(r.nist, FW_NIST_PURGE);
	assert_true(r.markers.checked);
	assert_int_equal(r.markers.count, 16);
	assert_int_equal(r.markers.survived, 0);
	assert_int_equal(r.markers.lba[0], 0);
	assert_int_equal(r.markers.lba[1], 976773168 - 1);
	assert_true(r.hidden.checked && r.hidden.known);
	assert_int_equal(r.hidden.hidden_sectors, 0);
	assert_true(r.hidden_covered);
	assert_false(f->enabled);
	j = fw_result_to_json(&r);
	assert_string_equal(json_string_value(json_object_get(j, "status")), "completed");
	assert_string_equal(json_string_value(json_object_get(j, "nist")), "purge");
	assert_string_equal(json_string_value(json_object_get(j, "method_requested")), "purge");
	assert_string_equal(json_string_value(json_object_get(j, "command")),
			    "ATA SECURITY ERASE UNIT (enhanced)");
	json_decref(j);
	flow_end(f, &r, cause);
}

/* Security erase on flash is Clear, even when the caller says "hdd". */
static void test_flow_ssd_is_clear(void **state)
{
	struct fakedev *f = fixture_fake("INTEL_SSDSA2MH080G1GC--045C8820");
	struct fw_result r;
	struct fw_opts o;
	char *cause = NULL;

	(void)state;
	opts(&o, "hdd");
	assert_int_equal(fw_run_dev(&f->dev, FW_ATA_ENHANCED_SECURITY_ERASE, &o, NULL, NULL, NULL,
				    &r, &cause), 0);
	assert_string_equal(r.media_kind, "ssd");
	assert_int_equal(r.nist, FW_NIST_CLEAR);
	fw_result_clear(&r);
	assert_int_equal(fw_run_dev(&f->dev, FW_PURGE, &o, NULL, NULL, NULL, &r, &cause),
			 -EOPNOTSUPP);
	assert_non_null(strstr(cause, "no Purge-level"));
	flow_end(f, &r, cause);
}

/* Refusals happen before anything is written. */
static void test_flow_refusals(void **state)
{
	struct fakedev *f;
	struct fw_result r;
	struct fw_opts o;
	char *cause = NULL;

	(void)state;
	opts(&o, "hdd");
	f = fixture_fake("ST9160821AS--3.CLH");		/* frozen */
	assert_int_equal(fw_run_dev(&f->dev, FW_PURGE, &o, NULL, NULL, NULL, &r, &cause), -EPERM);
	assert_non_null(strstr(r.failure, "suspend"));
	assert_int_equal(f->nsectors, 0);
	assert_int_equal(fakedev_count(f, false, 0xf1), 0);
	fw_result_clear(&r);
	fakedev_free(f);
	f = fixture_fake("SAMSUNG_HD501LJ--CR100-12");
	f->expired = true;
	assert_int_equal(fw_run_dev(&f->dev, FW_ATA_SECURITY_ERASE, &o, NULL, NULL, NULL, &r,
				    &cause), -EPERM);
	assert_non_null(strstr(cause, "expired"));
	assert_int_equal(f->nsectors, 0);
	fw_result_clear(&r);
	fakedev_free(f);
	f = fixture_fake("FUJITSU_MHZ2160BH_G1--0084000A");
	assert_int_equal(fw_run_dev(&f->dev, FW_ATA_ENHANCED_SECURITY_ERASE, &o, NULL, NULL, NULL,
				    &r, &cause), -EOPNOTSUPP);
	fw_result_clear(&r);
	assert_int_equal(fw_run_dev(&f->dev, FW_NVME_FORMAT_USER, &o, NULL, NULL, NULL, &r, &cause),
			 -EOPNOTSUPP);
	assert_non_null(strstr(cause, "NVMe command"));
	fw_result_clear(&r);
	o.state_dir = NULL;
	assert_int_equal(fw_run_dev(&f->dev, FW_ATA_SECURITY_ERASE, &o, NULL, NULL, NULL, &r,
				    &cause), -EINVAL);
	assert_int_equal(f->nsectors, 0);
	flow_end(f, &r, cause);
}

static void test_flow_usb_bridge(void **state)
{
	struct fakedev *f = fixture_fake("SAMSUNG_HD501LJ--CR100-12");
	struct fw_result r;
	struct fw_opts o;
	char *cause = NULL;

	(void)state;
	opts(&o, NULL);
	f->dev.usb_bridge = true;
	assert_int_equal(fw_run_dev(&f->dev, FW_ATA_SECURITY_ERASE, &o, NULL, NULL, NULL, &r,
				    &cause), -EPERM);
	assert_non_null(strstr(cause, "--allow-usb-bridge"));
	assert_int_equal(f->nsectors, 0);
	fw_result_clear(&r);
	o.allow_usb_bridge = true;
	assert_int_equal(fw_run_dev(&f->dev, FW_ATA_SECURITY_ERASE, &o, NULL, NULL, NULL, &r,
				    &cause), 0);
	assert_string_equal(r.media_kind, "usb-flash");
	assert_int_equal(r.nist, FW_NIST_CLEAR);
	assert_true(r.n_warnings >= 1);
	assert_non_null(strstr(r.warnings[0], "USB bridge"));
	flow_end(f, &r, cause);
}

/* An aborted erase fails the job and leaves no password behind. */
static void test_flow_aborted(void **state)
{
	struct fakedev *f = fixture_fake("SAMSUNG_HD501LJ--CR100-12");
	struct fw_result r;
	struct fw_opts o;
	char *cause = NULL;
	json_t *j;

	(void)state;
	opts(&o, "hdd");
	fakedev_inject(f, 0xf4, -1, FAKE_FAIL_ABORT);
	assert_int_equal(fw_run_dev(&f->dev, FW_ATA_ENHANCED_SECURITY_ERASE, &o, NULL, NULL, NULL,
				    &r, &cause), -EIO);
	assert_false(r.ok);
	assert_false(f->enabled);
	assert_null(r.recovery);
	assert_false(r.markers.checked);
	j = fw_result_to_json(&r);
	assert_string_equal(json_string_value(json_object_get(j, "status")), "failed");
	assert_string_equal(json_string_value(json_object_get(j, "nist")), "none");
	json_decref(j);
	flow_end(f, &r, cause);
}

/* A reset after which the drive is frozen: the result carries the password. */
static void test_flow_reset_left_locked(void **state)
{
	struct fakedev *f = fixture_fake("SAMSUNG_HD501LJ--CR100-12");
	struct ata_erase_report rep;
	struct fw_result r;
	struct fw_opts o;
	char *cause = NULL;

	(void)state;
	opts(&o, "hdd");
	f->freeze_on_reset = true;
	fakedev_inject(f, 0xf4, -1, FAKE_FAIL_HOST_RESET);
	assert_int_equal(fw_run_dev(&f->dev, FW_ATA_SECURITY_ERASE, &o, NULL, NULL, NULL, &r,
				    &cause), -ECONNRESET);
	assert_non_null(r.recovery);
	assert_non_null(strstr(r.recovery, "custos-"));
	assert_non_null(strstr(r.recovery, f->user_pw));
	fakedev_power_cycle(f);
	assert_int_equal(ata_security_recover(&f->dev, state_dir, NULL, &rep, &cause), 0);
	assert_false(f->enabled);
	ata_erase_report_clear(&rep);
	flow_end(f, &r, cause);
}

struct seen {
	double fractions[16];
	uint32_t eta[16];
	unsigned n;
	bool markers, verify;
};

static void on_progress(const struct fw_progress *p, void *data)
{
	struct seen *s = data;

	if (strcmp(p->phase, "erase") == 0 && p->fraction >= 0 && s->n < 16) {
		s->eta[s->n] = p->eta_s;
		s->fractions[s->n++] = p->fraction;
	}
	if (strcmp(p->phase, "markers") == 0)
		s->markers = true;
	if (strcmp(p->phase, "verify") == 0)
		s->verify = true;
}

static void test_flow_sanitize_progress(void **state)
{
	struct fakedev *f = fixture_fake("SAMSUNG_HD501LJ--CR100-12");
	struct seen seen = { .n = 0 };
	struct fw_result r;
	struct fw_opts o;
	char *cause = NULL;

	(void)state;
	opts(&o, "ssd");
	fakedev_set_word(f, 59, 0xf510);
	f->san_polls = 5;
	assert_int_equal(fw_run_dev(&f->dev, FW_PURGE, &o, on_progress, &seen, NULL, &r, &cause),
			 0);
	assert_int_equal(r.used, FW_ATA_SANITIZE_CRYPTO);
	assert_int_equal(r.nist, FW_NIST_PURGE);
	assert_true(seen.markers && seen.verify);
	assert_int_equal(seen.n, 4);
	for (unsigned i = 1; i < seen.n; i++)
		assert_true(seen.fractions[i] > seen.fractions[i - 1]);
	assert_int_equal(f->clock_ms, 4000);		/* polled once a second, virtually */
	assert_non_null(strstr(r.detail, "completed without error"));
	assert_int_equal(r.markers.survived, 0);
	flow_end(f, &r, cause);
}

static void test_flow_sanitize_failure(void **state)
{
	struct fakedev *f = fixture_fake("SAMSUNG_HD501LJ--CR100-12");
	struct fw_result r;
	struct fw_opts o;
	char *cause = NULL;

	(void)state;
	opts(&o, "hdd");
	fakedev_set_word(f, 59, 0xf510);
	f->san_fail = true;
	assert_int_equal(fw_run_dev(&f->dev, FW_ATA_SANITIZE_BLOCK, &o, NULL, NULL, NULL, &r,
				    &cause), -EIO);
	assert_non_null(strstr(r.failure, "failed"));
	assert_false(r.ok);
	fw_result_clear(&r);
	/* a sanitize-frozen drive is refused up front */
	f->san_failed = false;
	f->san_frozen = true;
	assert_int_equal(fw_run_dev(&f->dev, FW_ATA_SANITIZE_BLOCK, &o, NULL, NULL, NULL, &r,
				    &cause), -EPERM);
	assert_non_null(strstr(cause, "sanitize frozen"));
	fw_result_clear(&r);
	/* registers lost in fixed-format sense: state unknown, the job fails */
	f->san_frozen = false;
	f->fixed_sense_always = true;
	assert_true(fw_run_dev(&f->dev, FW_ATA_SANITIZE_CRYPTO, &o, NULL, NULL, NULL, &r,
			       &cause) < 0);
	assert_false(r.ok);
	flow_end(f, &r, cause);
}

static void test_flow_hpa_restore(void **state)
{
	struct fakedev *f = fixture_fake("FUJITSU_MHZ2160BH_G1--0084000A");
	struct fw_result r;
	struct fw_opts o;
	char *cause = NULL;
	json_t *j, *h;

	(void)state;
	opts(&o, "hdd");
	f->current_max = f->native_max - 4096;
	f->nblocks = f->current_max + 1;
	o.restore_max = true;
	assert_int_equal(fw_run_dev(&f->dev, FW_ATA_SECURITY_ERASE, &o, NULL, NULL, NULL, &r,
				    &cause), 0);
	assert_int_equal(r.hidden.hidden_sectors, 4096);
	assert_true(r.hidden.restore_attempted);
	assert_int_equal(r.hidden.restored_sectors, 4096);
	assert_int_equal(r.hidden.still_hidden_sectors, 0);
	assert_true(r.hidden_covered);
	assert_int_equal(f->current_max, f->native_max);
	j = fw_result_to_json(&r);
	h = json_object_get(j, "hidden");
	assert_int_equal(json_integer_value(json_object_get(h, "restored_sectors")), 4096);
	assert_int_equal(json_integer_value(json_object_get(h, "hidden_bytes")), 4096 * 512);
	json_decref(j);
	fw_result_clear(&r);
	fakedev_free(f);

	/* without --restore-max: recorded, warned, and not covered by a normal erase */
	f = fixture_fake("FUJITSU_MHZ2160BH_G1--0084000A");
	f->current_max = f->native_max - 4096;
	f->nblocks = f->current_max + 1;
	o.restore_max = false;
	assert_int_equal(fw_run_dev(&f->dev, FW_ATA_SECURITY_ERASE, &o, NULL, NULL, NULL, &r,
				    &cause), 0);
	assert_int_equal(r.hidden.still_hidden_sectors, 4096);
	assert_false(r.hidden_covered);
	assert_non_null(strstr(r.warnings[0], "stay hidden"));
	fw_result_clear(&r);
	fakedev_free(f);

	/* registers never come back: hidden areas unknown, --restore-max refused */
	f = fixture_fake("FUJITSU_MHZ2160BH_G1--0084000A");
	f->no_success_sense = true;
	o.restore_max = true;
	assert_int_equal(fw_run_dev(&f->dev, FW_ATA_SECURITY_ERASE, &o, NULL, NULL, NULL, &r,
				    &cause), -EIO);
	assert_non_null(strstr(cause, "could not be determined"));
	assert_false(r.hidden.known);
	assert_int_equal(f->nsectors, 0);
	flow_end(f, &r, cause);
}

/* Hidden areas before an overwrite: the probe alone, and what is applicable. */
static void test_overwrite_hidden(void **state)
{
	struct fakedev *f = fixture_fake("FUJITSU_MHZ2160BH_G1--0084000A");
	struct fw_job_hidden h;
	struct device_info dev;
	struct profile p;
	struct fw_result r;
	struct fw_opts o;
	char *cause = NULL, text[320];

	(void)state;
	opts(&o, "hdd");
	f->current_max = f->native_max - 4096;
	f->nblocks = f->current_max + 1;
	assert_int_equal(fw_hidden_dev(&f->dev, &o, &r, &cause), 0);
	assert_int_equal(r.hidden.still_hidden_sectors, 4096);
	assert_false(r.hidden_covered);
	assert_non_null(strstr(r.warnings[0], "the overwrite does not reach them"));
	fw_job_hidden_text(&r, text, sizeof(text));
	assert_non_null(strstr(text, "hidden area of 4096 sectors NOT overwritten "
			       "(no restore-max)"));
	fw_result_clear(&r);
	o.restore_max = true;
	assert_int_equal(fw_hidden_dev(&f->dev, &o, &r, &cause), 0);
	assert_int_equal(r.hidden.restored_sectors, 4096);
	assert_int_equal(f->nsectors, 0);		/* nothing but SET MAX was written */
	fw_result_clear(&r);
	fakedev_free(f);

	/* NVMe has no HPA: not applicable */
	f = fakedev_new_nvme(0x04, 0x3, 4096, 9);
	assert_int_equal(fw_hidden_dev(&f->dev, &o, &r, &cause), -EOPNOTSUPP);
	assert_non_null(strstr(cause, "not applicable"));
	free(cause);
	cause = NULL;
	fw_result_clear(&r);
	fakedev_free(f);

	/* in Chinese: the cause is translated, the note that goes into signed
	 * certificates stays English (it states the fact by its first word) */
	if (getenv("CUSTOS_LOCALEDIR") && setlocale(LC_ALL, "zh_CN.UTF-8")) {
		setenv("LANGUAGE", "zh_CN", 1);
		bindtextdomain("custos", getenv("CUSTOS_LOCALEDIR"));
		f = fakedev_new_nvme(0x04, 0x3, 4096, 9);
		assert_int_equal(fw_hidden_dev(&f->dev, &o, &r, &cause), -EOPNOTSUPP);
		assert_null(strstr(cause, "not applicable"));
		assert_non_null(strstr(cause, "HPA/DCO/AMA"));
		assert_int_equal(strncmp(r.hidden.note, "not applicable: ", 16), 0);
		free(cause);
		cause = NULL;
		fw_result_clear(&r);
		fakedev_free(f);
		unsetenv("LANGUAGE");
		setlocale(LC_ALL, "C");
	}

	/* through the job's bridge: files and loop not applicable, USB not asked */
	assert_int_equal(profile_find("zero", NULL, &p, NULL), 0);
	memset(&dev, 0, sizeof(dev));
	util_strlcpy(dev.path, "/nonexistent/custos-test", sizeof(dev.path));
	memset(&h, 0, sizeof(h));
	fw_opts_init(&h.opts);
	dev.transport = DEVICE_TRANSPORT_VIRTUAL;
	assert_int_equal(fw_job_hidden(&dev, &p, &h, &cause), 0);
	assert_false(h.applicable);
	fw_job_hidden_text(NULL, text, sizeof(text));
	assert_non_null(strstr(text, "not applicable"));
	dev.transport = DEVICE_TRANSPORT_USB;
	assert_int_equal(fw_job_hidden(&dev, &p, &h, &cause), 0);
	assert_true(h.applicable);
	assert_false(h.result.hidden.checked);
	fw_job_hidden_text(&h.result, text, sizeof(text));
	assert_non_null(strstr(text, "not checked: USB/SAS-attached"));
	fw_result_clear(&h.result);
	/* a SATA node that cannot be opened: recorded; with restore-max, refused */
	dev.transport = DEVICE_TRANSPORT_SATA;
	assert_int_equal(fw_job_hidden(&dev, &p, &h, &cause), 0);
	assert_true(h.applicable);
	assert_false(h.result.hidden.checked);
	fw_result_clear(&h.result);
	h.opts.restore_max = true;
	assert_true(fw_job_hidden(&dev, &p, &h, &cause) < 0);
	assert_non_null(strstr(cause, "restore-max cannot be honoured"));
	free(cause);
	fw_result_clear(&h.result);
}

/* A drive that says "done" but keeps the markers fails the job. */
static void test_flow_markers_survive(void **state)
{
	struct fakedev *f = fixture_fake("SAMSUNG_HD501LJ--CR100-12");
	struct fw_result r;
	struct fw_opts o;
	char *cause = NULL;

	(void)state;
	opts(&o, "hdd");
	f->erase_noop = true;
	o.n_markers = 8;
	assert_int_equal(fw_run_dev(&f->dev, FW_ATA_ENHANCED_SECURITY_ERASE, &o, NULL, NULL, NULL,
				    &r, &cause), -EIO);
	assert_false(r.ok);
	assert_true(r.markers.checked);
	assert_int_equal(r.markers.count, 8);
	assert_int_equal(r.markers.survived, 8);
	assert_non_null(strstr(r.failure, "markers"));
	flow_end(f, &r, cause);
}

static void test_flow_nvme(void **state)
{
	struct fakedev *f = fakedev_new_nvme(0x00, 0x3, 1 << 16, 12);
	struct fw_result r;
	struct fw_opts o;
	char *cause = NULL;

	(void)state;
	opts(&o, NULL);
	assert_int_equal(fw_run_dev(&f->dev, FW_PURGE, &o, NULL, NULL, NULL, &r, &cause), 0);
	assert_int_equal(r.used, FW_NVME_SANITIZE_CRYPTO);
	assert_int_equal(r.nist, FW_NIST_PURGE);
	assert_string_equal(r.media_kind, "nvme");
	assert_non_null(strstr(r.detail, "SSTAT 0101h"));
	assert_int_equal(r.markers.lba[1], (1 << 16) - 1);
	assert_false(r.hidden.checked);
	fw_result_clear(&r);
	/* Format SES=2 needs FNA bit 2: refused before any write */
	assert_int_equal(f->nsectors, 0);		/* the sanitize erased the markers */
	assert_int_equal(fw_run_dev(&f->dev, FW_NVME_FORMAT_CRYPTO, &o, NULL, NULL, NULL, &r,
				    &cause), -EOPNOTSUPP);
	assert_int_equal(f->nsectors, 0);
	assert_int_equal(fakedev_count(f, true, 0x80), 0);
	fw_result_clear(&r);
	assert_int_equal(fw_run_dev(&f->dev, FW_NVME_FORMAT_USER, &o, NULL, NULL, NULL, &r, &cause),
			 0);
	assert_int_equal(f->formats, 1);
	fw_result_clear(&r);
	/* a sanitize that fails */
	f->san_fail = true;
	assert_int_equal(fw_run_dev(&f->dev, FW_NVME_SANITIZE_BLOCK, &o, NULL, NULL, NULL, &r,
				    &cause), -EIO);
	assert_non_null(strstr(cause, "SSTAT 0003h"));
	flow_end(f, &r, cause);
}

/* A bridge that rejects ERASE UNIT (ILLEGAL REQUEST, ASC 20h, fixed sense
 * without VALID): with markers off nothing but the command's status
 * speaks for the erase, and it must say "failed": no Purge, and the
 * drive is left without the password. */
static void test_flow_erase_unit_rejected(void **state)
{
	struct fakedev *f = fixture_fake("SAMSUNG_HD501LJ--CR100-12");
	struct fw_result r;
	struct fw_opts o;
	char *cause = NULL;
	json_t *j;

	(void)state;
	opts(&o, "hdd");
	o.markers = false;
	fakedev_inject(f, 0xf4, -1, FAKE_FAIL_REJECT);
	assert_int_equal(fw_run_dev(&f->dev, FW_PURGE, &o, NULL, NULL, NULL, &r, &cause),
			 -EOPNOTSUPP);
	assert_int_equal(r.used, FW_ATA_ENHANCED_SECURITY_ERASE);
	assert_false(r.ok);
	assert_non_null(strstr(r.failure, "not supported"));
	assert_null(r.recovery);
	assert_false(f->enabled);
	assert_false(f->locked);
	assert_int_equal(fakedev_count(f, false, 0xf6), 1);
	j = fw_result_to_json(&r);
	assert_string_equal(json_string_value(json_object_get(j, "status")), "failed");
	assert_string_equal(json_string_value(json_object_get(j, "nist")), "none");
	json_decref(j);
	flow_end(f, &r, cause);
}

/* ERASE UNIT "succeeds" but the password stays set: the job fails. */
static void test_flow_erase_not_sec1(void **state)
{
	struct fakedev *f = fixture_fake("SAMSUNG_HD501LJ--CR100-12");
	struct fw_result r;
	struct fw_opts o;
	char *cause = NULL;

	(void)state;
	opts(&o, "hdd");
	o.markers = false;
	f->erase_keeps_password = true;
	assert_int_equal(fw_run_dev(&f->dev, FW_ATA_ENHANCED_SECURITY_ERASE, &o, NULL, NULL, NULL,
				    &r, &cause), -EIO);
	assert_false(r.ok);
	assert_non_null(strstr(r.failure, "did not return to SEC1"));
	assert_non_null(strstr(r.detail, "back in SEC1: no"));
	assert_false(f->enabled);
	flow_end(f, &r, cause);
}

/* NVMe Format is watched, not blocked on: FPI is polled from a second
 * handle while the format runs on its own thread. */
static void test_flow_nvme_format_progress(void **state)
{
	struct fakedev *f = fakedev_new_nvme(0x00, 0x0, 1 << 16, 12);
	struct seen seen = { .n = 0 };
	struct fw_result r;
	struct fw_opts o;
	char *cause = NULL;

	(void)state;
	opts(&o, NULL);
	f->idns[32] = 0x80;		/* FPI supported, nothing running */
	f->fmt_polls = 4;		/* the format ends after four polls */
	assert_int_equal(fw_run_dev(&f->dev, FW_NVME_FORMAT_USER, &o, on_progress, &seen, NULL,
				    &r, &cause), 0);
	assert_true(r.ok);
	assert_int_equal(f->formats, 1);
	assert_int_equal(r.markers.survived, 0);
	assert_int_equal(seen.n, 3);
	assert_true(seen.fractions[0] > 0.24 && seen.fractions[0] < 0.26);
	assert_true(seen.fractions[1] > 0.49 && seen.fractions[1] < 0.51);
	assert_true(seen.fractions[2] > 0.74 && seen.fractions[2] < 0.76);
	assert_int_equal(seen.eta[1], 10);	/* 25% per 5 s poll, 50% left */
	assert_int_equal(seen.eta[2], 5);
	flow_end(f, &r, cause);
}

/* The sanitize stall limit follows the drive's estimate: max(3 x ETx, 1 h). */
static void test_flow_nvme_sanitize_stall(void **state)
{
	static const uint32_t est[] = { 600, 2400 };
	static const uint64_t limit_s[] = { 3600, 7200 };

	(void)state;
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(est); i++) {
		struct fakedev *f = fakedev_new_nvme(0x00, 0x1, 1 << 16, 12);
		struct seen seen = { .n = 0 };
		struct fw_result r;
		struct fw_opts o;
		char *cause = NULL;

		opts(&o, NULL);
		o.markers = false;
		f->nsan_stall = true;
		f->nsan_est_s = est[i];
		assert_int_equal(fw_run_dev(&f->dev, FW_NVME_SANITIZE_CRYPTO, &o, on_progress,
					    &seen, NULL, &r, &cause), -ETIMEDOUT);
		assert_non_null(strstr(cause, "stalled"));
		assert_true(f->clock_ms > limit_s[i] * 1000);
		assert_true(f->clock_ms <= limit_s[i] * 1000 + 2000);
		assert_true(seen.n > 0);
		assert_int_equal(seen.eta[0], est[i]);	/* nothing done yet */
		fw_result_clear(&r);
		free(cause);
		fakedev_free(f);
	}
}

static void test_flow_cancel(void **state)
{
	struct fakedev *f = fixture_fake("SAMSUNG_HD501LJ--CR100-12");
	atomic_bool cancel = true;
	struct fw_result r;
	struct fw_opts o;
	char *cause = NULL;

	(void)state;
	opts(&o, "hdd");
	assert_int_equal(fw_run_dev(&f->dev, FW_ATA_SECURITY_ERASE, &o, NULL, NULL, &cancel, &r,
				    &cause), -ECANCELED);
	assert_int_equal(f->nsectors, 0);
	assert_int_equal(fakedev_count(f, false, 0xf1), 0);
	flow_end(f, &r, cause);
}

/* The job hook: outcome and progress through the job's types. */
static void test_job_hook(void **state)
{
	struct device_info dev;
	struct wipe_monitor mon;
	struct wipe_result res;
	struct wipe_progress pr;
	struct profile p;
	struct fw_job fj;
	struct fakedev *f;
	char *cause = NULL;

	(void)state;
	if (!getenv("CUSTOS_PROFILE_DIR"))
		skip();
	memset(&dev, 0, sizeof(dev));
	util_strlcpy(dev.path, "fake", sizeof(dev.path));
	dev.transport = DEVICE_TRANSPORT_SATA;
	dev.rotational = true;
	assert_int_equal(profile_find("ata-enhanced-secure-erase", NULL, &p, &cause), 0);
	assert_int_equal(fw_job_method(&p), FW_ATA_ENHANCED_SECURITY_ERASE);
	wipe_monitor_init(&mon);
	memset(&fj, 0, sizeof(fj));
	opts(&fj.opts, NULL);
	memset(&res, 0, sizeof(res));
	f = fixture_fake("SAMSUNG_HD501LJ--CR100-12");
	assert_int_equal(fw_job_run_dev(&f->dev, &dev, &p, &mon, &res, &fj, &cause), 0);
	assert_int_equal(res.outcome, WIPE_OUTCOME_ERASED);
	assert_int_equal(res.size, 976773168ull * 512);
	assert_true(fj.result.ok);
	assert_int_equal(fj.result.nist, FW_NIST_PURGE);
	wipe_monitor_snapshot(&mon, &pr);
	assert_int_equal(pr.phase, WIPE_PHASE_VERIFY);
	fw_result_clear(&fj.result);
	/* markers survive: a result, outcome failed */
	f->erase_noop = true;
	assert_int_equal(fw_job_run_dev(&f->dev, &dev, &p, &mon, &res, &fj, &cause), 0);
	assert_int_equal(res.outcome, WIPE_OUTCOME_FAILED);
	assert_non_null(strstr(res.cause, "markers"));
	fw_result_clear(&fj.result);
	fakedev_free(f);
	/* refused before any write: an error, no result */
	f = fixture_fake("ST9160821AS--3.CLH");
	assert_int_equal(fw_job_run_dev(&f->dev, &dev, &p, &mon, &res, &fj, &cause), -EPERM);
	assert_int_equal(f->nsectors, 0);
	fw_result_clear(&fj.result);
	fakedev_free(f);
	/* overwrite profiles pass the guard untouched */
	assert_int_equal(profile_find("zero", NULL, &p, &cause), 0);
	assert_int_equal(fw_job_guard(&dev, &p, NULL, &cause), 0);
	assert_int_equal(fw_job_method(&p), FW_METHOD_NONE);
	wipe_monitor_destroy(&mon);
	free(cause);
}

/* A disk is taken in the job's preparation, before anything is recorded:
 * anchored, checked to be the medium probed, opened (or tried)
 * exclusively; the firmware guard and the firmware command reach it only
 * through that anchor.  A loop device of the test's own stands in for the
 * disk (described as a SATA drive, so that the job goes to it). */
static void test_job_takes_disk(void **state)
{
	struct device_info d;
	struct profile fw, zero;
	struct job_spec spec;
	struct job *job = NULL;
	struct wipe_monitor mon;
	struct wipe_result res;
	struct fw_job fj;
	struct loopt l;
	char *cause = NULL;
	int held;

	(void)state;
	if (!getenv("CUSTOS_PROFILE_DIR") || !loop_setup(&l))
		skip();
	assert_int_equal(profile_find("ata-enhanced-secure-erase", NULL, &fw, &cause), 0);
	assert_int_equal(profile_find("zero", NULL, &zero, &cause), 0);
	assert_int_equal(device_probe(l.name, &d, &cause), 0);
	if (!device_is_eligible(&d) || !d.diskseq) {
		device_info_clear(&d);
		loop_teardown(&l);
		skip();
	}
	d.transport = DEVICE_TRANSPORT_SATA;
	memset(&spec, 0, sizeof(spec));
	spec.device = &d;

	/* held by another opener: refused in the preparation, both ways */
	held = open(l.name, O_RDONLY | O_EXCL | O_CLOEXEC);
	assert_true(held >= 0);
	spec.profile = &fw;
	assert_int_equal(job_prepare(&spec, &job, &cause), -EBUSY);
	assert_null(job);
	assert_non_null(strstr(cause, "in use"));
	spec.profile = &zero;
	assert_int_equal(job_prepare(&spec, &job, &cause), -EBUSY);
	assert_null(job);
	assert_int_equal(close(held), 0);

	/* free: the firmware guard asks the anchored device (no firmware) */
	spec.profile = &fw;
	assert_int_equal(job_prepare(&spec, &job, &cause), -EOPNOTSUPP);
	assert_non_null(strstr(cause, "no ATA/NVMe firmware"));
	spec.profile = &zero;
	assert_int_equal(job_prepare(&spec, &job, &cause), 0);
	job_free(job);
	job = NULL;

	/* attached again on another file: another medium, for the job and for
	 * the firmware runner on its own, before any command */
	if (loop_reattach(&l, l.b) == 0) {
		spec.profile = &fw;
		assert_int_equal(job_prepare(&spec, &job, &cause), -EAGAIN);
		assert_non_null(strstr(cause, "the medium changed"));
		spec.profile = &zero;
		assert_int_equal(job_prepare(&spec, &job, &cause), -EAGAIN);
		memset(&fj, 0, sizeof(fj));
		opts(&fj.opts, NULL);
		memset(&res, 0, sizeof(res));
		wipe_monitor_init(&mon);
		assert_int_equal(fw_job_run(&d, &fw, &mon, &res, &fj, &cause), -EAGAIN);
		assert_non_null(strstr(cause, "the medium changed"));
		fw_result_clear(&fj.result);
		wipe_monitor_destroy(&mon);
	}
	assert_null(job);
	device_info_clear(&d);
	loop_teardown(&l);
	free(cause);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_method_names),
		cmocka_unit_test(test_nist_honesty),
		cmocka_unit_test(test_profiles_agree),
		cmocka_unit_test(test_probe_no_firmware),
		cmocka_unit_test(test_purge_choice),
		cmocka_unit_test(test_caps_json),
		cmocka_unit_test(test_flow_enhanced_hdd),
		cmocka_unit_test(test_flow_ssd_is_clear),
		cmocka_unit_test(test_flow_refusals),
		cmocka_unit_test(test_flow_usb_bridge),
		cmocka_unit_test(test_flow_aborted),
		cmocka_unit_test(test_flow_reset_left_locked),
		cmocka_unit_test(test_flow_sanitize_progress),
		cmocka_unit_test(test_flow_sanitize_failure),
		cmocka_unit_test(test_flow_hpa_restore),
		cmocka_unit_test(test_overwrite_hidden),
		cmocka_unit_test(test_flow_markers_survive),
		cmocka_unit_test(test_flow_nvme),
		cmocka_unit_test(test_flow_erase_unit_rejected),
		cmocka_unit_test(test_flow_erase_not_sec1),
		cmocka_unit_test(test_flow_nvme_format_progress),
		cmocka_unit_test(test_flow_nvme_sanitize_stall),
		cmocka_unit_test(test_flow_cancel),
		cmocka_unit_test(test_job_hook),
		cmocka_unit_test(test_job_takes_disk),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
