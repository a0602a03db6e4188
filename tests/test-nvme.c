/* SPDX-License-Identifier: GPL-3.0-or-later */
/* nvme: CDW10 bit packing, Identify parsing, commands through the fake. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fakedev.h"
#include "nvme.h"

static void test_format_cdw10(void **state)
{
	(void)state;
	assert_int_equal(nvme_format_cdw10(0, false, 0, false, NVME_SES_NONE), 0x000);
	assert_int_equal(nvme_format_cdw10(0, false, 0, false, NVME_SES_USER), 0x200);
	assert_int_equal(nvme_format_cdw10(0, false, 0, false, NVME_SES_CRYPTO), 0x400);
	assert_int_equal(nvme_format_cdw10(2, false, 0, false, NVME_SES_USER), 0x202);
	/* LBAF 19 = low 3 + high 1, MSET, PI 5, PIL, SES 1 */
	assert_int_equal(nvme_format_cdw10(19, true, 5, true, NVME_SES_USER), 0x13b3);
}

static void test_sanitize_cdw10(void **state)
{
	(void)state;
	assert_int_equal(nvme_sanitize_cdw10(NVME_SANACT_EXIT_FAILURE, false, 0, false, false),
			 0x1);
	assert_int_equal(nvme_sanitize_cdw10(NVME_SANACT_BLOCK, true, 0, false, false), 0x0a);
	assert_int_equal(nvme_sanitize_cdw10(NVME_SANACT_CRYPTO, true, 0, false, false), 0x0c);
	assert_int_equal(nvme_sanitize_cdw10(NVME_SANACT_OVERWRITE, true, 3, false, false), 0x3b);
	assert_int_equal(nvme_sanitize_cdw10(NVME_SANACT_OVERWRITE, true, 16, true, true), 0x30b);
	assert_int_equal(nvme_get_log_cdw10(0x81, 512, true), 0x007f8081);
	assert_int_equal(nvme_get_log_cdw10(0x81, 4096, false), 0x03ff0081);
}

static void test_identify_parse(void **state)
{
	uint8_t buf[4096];
	struct nvme_ctrl_info c;
	struct nvme_ns_info ns;

	(void)state;
	memset(buf, 0, sizeof(buf));
	memcpy(buf + 4, "S1234567890         ", 20);
	memcpy(buf + 24, "Example NVMe SSD 1TB                    ", 40);
	memcpy(buf + 64, "2B2QEXM7", 8);
	buf[256] = 0x17;		/* OACS: security, format, firmware, ns mgmt */
	buf[328] = 0x07;		/* SANICAP: crypto, block, overwrite */
	buf[331] = 0x20;		/* NDI */
	buf[524] = 0x05;		/* FNA: all namespaces + crypto erase */
	nvme_ctrl_parse(buf, &c);
	assert_string_equal(c.serial, "S1234567890");
	assert_string_equal(c.model, "Example NVMe SSD 1TB");
	assert_string_equal(c.firmware, "2B2QEXM7");
	assert_true(c.format_supported);
	assert_true(c.san_crypto && c.san_block && c.san_overwrite && c.san_ndi);
	assert_true(c.fmt_all_ns);
	assert_false(c.se_all_ns);
	assert_true(c.crypto_erase);
	assert_false(c.no_nsid_all);

	memset(buf, 0, sizeof(buf));
	buf[0] = 0x00;
	buf[1] = 0x10;			/* NSZE 4096 blocks */
	buf[26] = 0x21;			/* FLBAS: format 17 (low 1, high 1) */
	buf[29] = 0x0a;			/* DPS: PI type 2, PIL */
	buf[32] = 0x80;
	buf[128 + 4 * 17 + 0] = 8;	/* MS 8 */
	buf[128 + 4 * 17 + 2] = 12;	/* 4096-byte blocks */
	assert_int_equal(nvme_ns_parse(buf, &ns), 0);
	assert_int_equal(ns.nsze, 4096);
	assert_int_equal(ns.lbaf, 17);
	assert_int_equal(ns.lbsize, 4096);
	assert_int_equal(ns.ms, 8);
	assert_int_equal(ns.fpi, 0x80);
	buf[128 + 4 * 17 + 2] = 0;	/* unusable LBADS */
	assert_int_equal(nvme_ns_parse(buf, &ns), -EINVAL);
}

static void test_format_command(void **state)
{
	struct fakedev *f = fakedev_new_nvme(0x00, 0, 1000000000ull, 9);
	struct nvme_ctrl_info c;
	struct nvme_ns_info ns;
	char *cause = NULL;

	(void)state;
	assert_int_equal(nvme_identify_ctrl(&f->dev, &c, &cause), 0);
	assert_int_equal(f->rec[0].opcode, 0x06);
	assert_int_equal(f->rec[0].cdw10, 1);
	assert_int_equal(nvme_identify_ns(&f->dev, 1, &ns, &cause), 0);
	assert_int_equal(f->rec[1].cdw10, 0);
	assert_int_equal(f->rec[1].nsid, 1);
	assert_int_equal(ns.lbsize, 512);
	/* 512 GB at 50 MB/s x 1.5 */
	assert_int_equal(nvme_format_timeout_ms(&ns), 15360000);
	assert_int_equal(nvme_format(&f->dev, 1, &ns, NVME_SES_USER, &cause), 0);
	assert_int_equal(f->rec[2].opcode, 0x80);
	assert_int_equal(f->rec[2].nsid, 1);
	assert_int_equal(f->rec[2].cdw10, 0x200);
	assert_int_equal(f->rec[2].timeout_ms, 15360000);
	/* SES=2 without FNA bit 2: the controller refuses */
	assert_int_equal(nvme_format(&f->dev, 1, &ns, NVME_SES_CRYPTO, &cause), -EIO);
	assert_int_equal(f->rec[3].cdw10, 0x400);
	assert_non_null(strstr(cause, "Invalid Field in Command"));
	/* SES=0 is never sent */
	assert_int_equal(nvme_format(&f->dev, 1, &ns, NVME_SES_NONE, &cause), -EINVAL);
	assert_int_equal(f->nrec, 4);
	free(cause);
	fakedev_free(f);
}

static void test_sanitize_and_log(void **state)
{
	struct fakedev *f = fakedev_new_nvme(0x04, 0x7, 1 << 20, 12);
	struct nvme_sanitize_log log;
	char *cause = NULL;
	unsigned polls = 0;

	(void)state;
	assert_int_equal(nvme_sanitize_log(&f->dev, &log, &cause), 0);
	assert_int_equal(f->rec[0].opcode, 0x02);
	assert_int_equal(f->rec[0].nsid, 0xffffffff);
	assert_int_equal(f->rec[0].cdw10, 0x007f8081);
	assert_int_equal(log.sstat & 7, NVME_SSTAT_NEVER);
	assert_int_equal(nvme_sanitize_start(&f->dev, NVME_SANACT_OVERWRITE, 2, 0xdeadbeef, &cause),
			 0);
	assert_int_equal(f->rec[1].opcode, 0x84);
	assert_int_equal(f->rec[1].cdw10, 0x2b);
	assert_int_equal(f->rec[1].cdw11, 0xdeadbeef);
	assert_true(f->rec[1].timeout_ms > 0 && f->rec[1].timeout_ms <= 30000);
	/* while it runs a new sanitize is refused with Sanitize In Progress */
	assert_int_equal(nvme_sanitize_start(&f->dev, NVME_SANACT_CRYPTO, 0, 0, &cause), -EIO);
	assert_non_null(strstr(cause, "Sanitize In Progress"));
	do {
		assert_int_equal(nvme_sanitize_log(&f->dev, &log, &cause), 0);
		polls++;
	} while ((log.sstat & 7) == NVME_SSTAT_IN_PROGRESS);
	assert_int_equal(polls, 3);
	assert_int_equal(log.sstat, 0x101 | (2 << 3));
	assert_int_equal(log.scdw10, 0x2b);
	assert_int_equal(log.sprog, 0xffff);
	assert_int_equal(log.eto, 0xffffffffu);
	assert_int_equal(nvme_sanitize_start(&f->dev, NVME_SANACT_OVERWRITE, 0, 0, &cause),
			 -EINVAL);
	free(cause);
	fakedev_free(f);
}

/* Stall limit and ETA from the sanitize log's estimates (§8.7). */
static void test_sanitize_estimates(void **state)
{
	struct nvme_sanitize_log log = { .eto = 100, .etbe = 200, .etce = 600 };

	(void)state;
	log.scdw10 = 0x0c;				/* crypto, AUSE */
	assert_int_equal(nvme_sanitize_estimate_s(&log), 600);
	assert_int_equal(nvme_sanitize_stall_ms(&log), 3600000);	/* 3 x 600 s < 1 h */
	log.scdw10 = 0x0a;				/* block */
	log.etbe = 2400;
	assert_int_equal(nvme_sanitize_estimate_s(&log), 2400);
	assert_int_equal(nvme_sanitize_stall_ms(&log), 7200000);
	log.scdw10 = 0x2b;				/* overwrite */
	assert_int_equal(nvme_sanitize_estimate_s(&log), 100);
	log.eto = 0xffffffffu;				/* not reported */
	assert_int_equal(nvme_sanitize_estimate_s(&log), 0);
	assert_int_equal(nvme_sanitize_stall_ms(&log), 6 * 3600 * 1000);
	log.scdw10 = 0;
	assert_int_equal(nvme_sanitize_estimate_s(&log), 0);
}

/* FPI (Identify Namespace byte 32), read with the format's own timeout. */
static void test_format_progress(void **state)
{
	struct fakedev *f = fakedev_new_nvme(0x00, 0, 1 << 20, 9);
	struct sgio_dev *second = NULL;
	struct nvme_ns_info ns;
	char *cause = NULL;
	unsigned left = 0;

	(void)state;
	assert_int_equal(nvme_identify_ns(&f->dev, 1, &ns, &cause), 0);
	assert_int_equal(nvme_format_progress(&f->dev, 1, &ns, &left, &cause), -EOPNOTSUPP);
	f->idns[32] = 0x80 | 37;
	assert_int_equal(sgio_reopen(&f->dev, &second, &cause), 0);
	assert_true(second->borrowed);
	assert_int_equal(nvme_format_progress(second, 1, &ns, &left, &cause), 0);
	assert_int_equal(left, 37);
	assert_int_equal(f->rec[f->nrec - 1].opcode, 0x06);
	assert_int_equal(f->rec[f->nrec - 1].timeout_ms, nvme_format_timeout_ms(&ns));
	sgio_close(second);			/* the shared fake stays alive */
	assert_int_equal(nvme_format_progress(&f->dev, 1, &ns, &left, &cause), 0);
	free(cause);
	fakedev_free(f);
}

static void test_nvme_errors(void **state)
{
	struct fakedev *f = fakedev_new_nvme(0x00, 0x2, 1 << 20, 9);
	struct nvme_ctrl_info c;
	char *cause = NULL;

	(void)state;
	fakedev_inject(f, 0x06, -1, FAKE_FAIL_ERRNO);
	assert_int_equal(nvme_identify_ctrl(&f->dev, &c, &cause), -ENOTTY);
	/* crypto sanitize not in SANICAP: Invalid Field */
	assert_int_equal(nvme_sanitize_start(&f->dev, NVME_SANACT_CRYPTO, 0, 0, &cause), -EIO);
	assert_int_equal(f->rec[1].cdw10, 0x0c);
	fakedev_inject(f, 0x84, -1, FAKE_FAIL_ABORT);
	assert_int_equal(nvme_sanitize_start(&f->dev, NVME_SANACT_BLOCK, 0, 0, &cause), -EIO);
	assert_non_null(strstr(cause, "Command Abort Requested"));
	free(cause);
	fakedev_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_cdw10),
		cmocka_unit_test(test_sanitize_cdw10),
		cmocka_unit_test(test_identify_parse),
		cmocka_unit_test(test_format_command),
		cmocka_unit_test(test_sanitize_and_log),
		cmocka_unit_test(test_sanitize_estimates),
		cmocka_unit_test(test_format_progress),
		cmocka_unit_test(test_nvme_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
