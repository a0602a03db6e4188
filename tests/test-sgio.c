/* SPDX-License-Identifier: GPL-3.0-or-later */
/* sgio: CDB layout, sense decoding in both formats, result checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sgio.h"

static void hex_to(const char *hex, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v;

		assert_int_equal(sscanf(hex + 3 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

static void expect_cdb(const struct sgio_ata_cmd *c, const char *hex)
{
	uint8_t want[16], got[16];

	hex_to(hex, want, 16);
	sgio_ata_build_cdb(c, got);
	assert_memory_equal(got, want, 16);
}

static struct sgio_ata_cmd mk(enum sgio_proto p, bool ext, uint8_t cmd, uint16_t feature,
			      uint16_t count, uint64_t lba)
{
	struct sgio_ata_cmd c;

	memset(&c, 0, sizeof(c));
	c.proto = p;
	c.ext = ext;
	c.in.command = cmd;
	c.in.feature = feature;
	c.in.count = count;
	c.in.lba = lba;
	c.in.device = 0x40;
	c.timeout_ms = 1000;
	return c;
}

/* The reference CDBs of firmware-erase.md §2.7. */
static void test_cdb_reference(void **state)
{
	struct sgio_ata_cmd c;

	(void)state;
	c = mk(SGIO_PROTO_NONDATA, false, 0xf3, 0, 0, 0);
	expect_cdb(&c, "85 06 20 00 00 00 00 00 00 00 00 00 00 40 F3 00");
	c = mk(SGIO_PROTO_PIO_OUT, false, 0xf4, 0, 1, 0);
	expect_cdb(&c, "85 0A 06 00 00 00 01 00 00 00 00 00 00 40 F4 00");
	c = mk(SGIO_PROTO_PIO_IN, false, 0xb1, 0xc2, 1, 0);
	expect_cdb(&c, "85 08 0E 00 C2 00 01 00 00 00 00 00 00 40 B1 00");
	c = mk(SGIO_PROTO_PIO_IN, false, 0xec, 0, 1, 0);
	expect_cdb(&c, "85 08 0E 00 00 00 01 00 00 00 00 00 00 40 EC 00");
	c = mk(SGIO_PROTO_PIO_IN, true, 0x2f, 0, 1, 0x0630);
	expect_cdb(&c, "85 09 0E 00 00 00 01 00 30 00 06 00 00 40 2F 00");
	c = mk(SGIO_PROTO_NONDATA, false, 0xf8, 0, 0, 0);
	expect_cdb(&c, "85 06 20 00 00 00 00 00 00 00 00 00 00 40 F8 00");
	c = mk(SGIO_PROTO_NONDATA, true, 0x27, 0, 0, 0);
	expect_cdb(&c, "85 07 20 00 00 00 00 00 00 00 00 00 00 40 27 00");
	c = mk(SGIO_PROTO_NONDATA, true, 0xb4, 0x11, 0x10, 0x43727970);
	expect_cdb(&c, "85 07 20 00 11 00 10 43 70 00 79 00 72 40 B4 00");
	c = mk(SGIO_PROTO_NONDATA, true, 0xb4, 0x14, 0x11, 0x4f5700000000ull);
	expect_cdb(&c, "85 07 20 00 14 00 11 00 00 57 00 4F 00 40 B4 00");
}

/* 48-bit fields land in the high-order bytes; 28-bit LBA 27:24 in DEVICE. */
static void test_cdb_48_and_28(void **state)
{
	struct sgio_ata_cmd c;

	(void)state;
	c = mk(SGIO_PROTO_NONDATA, true, 0x37, 0x1234, 0xabcd, 0x0000a1b2c3d4e5f6ull);
	expect_cdb(&c, "85 07 20 12 34 AB CD C3 F6 B2 E5 A1 D4 40 37 00");
	c = mk(SGIO_PROTO_NONDATA, false, 0xf9, 0, 1, 0x0abcdef0);
	expect_cdb(&c, "85 06 20 00 00 00 01 00 F0 00 DE 00 BC 4A F9 00");
}

/* Success with CK_COND: descriptor format, ATA Return descriptor. */
static void test_sense_descriptor(void **state)
{
	uint8_t sb[22];
	struct sgio_sense s;

	(void)state;
	hex_to("72 01 00 1D 00 00 00 0E 09 0C 01 00 80 00 00 FF 00 12 00 00 40 50", sb, 22);
	assert_int_equal(sgio_sense_decode(sb, sizeof(sb), &s), 0);
	assert_true(s.descriptor);
	assert_int_equal(s.key, 1);
	assert_int_equal(s.asc, 0);
	assert_int_equal(s.ascq, 0x1d);
	assert_true(s.regs_valid);
	assert_true(s.ext);
	assert_int_equal(s.count, 0x8000);	/* sanitize completed bit in COUNT(15:8) */
	assert_int_equal(s.lba, 0x12ff);
	assert_int_equal(s.status, 0x50);
	assert_int_equal(s.device, 0x40);
}

/* The ATA descriptor need not come first: walk the list. */
static void test_sense_descriptor_walk(void **state)
{
	uint8_t sb[30];
	struct sgio_sense s;

	(void)state;
	hex_to("72 02 04 1B 00 00 00 16 02 06 00 00 80 40 00 00 "
	       "09 0C 00 04 00 00 00 05 00 00 00 00 40 51", sb, 30);
	assert_int_equal(sgio_sense_decode(sb, sizeof(sb), &s), 0);
	assert_true(s.progress_valid);
	assert_int_equal(s.progress, 0x4000);
	assert_true(s.regs_valid);
	assert_false(s.ext);
	assert_int_equal(s.error, 0x04);
	assert_int_equal(s.status, 0x51);
	assert_int_equal(s.lba, 0x05);
	/* a descriptor claiming more bytes than there are is refused */
	sb[7] = 0x16;
	sb[9] = 0x20;
	assert_int_equal(sgio_sense_decode(sb, sizeof(sb), &s), -EBADMSG);
}

/* Fixed format, current kernel layout (VALID set): an ABRT with reason. */
static void test_sense_fixed_current(void **state)
{
	uint8_t sb[18];
	struct sgio_sense s;

	(void)state;
	hex_to("F0 00 0B 04 51 40 00 0A A0 01 00 00 00 00 00 00 00 00", sb, 18);
	assert_int_equal(sgio_sense_decode(sb, sizeof(sb), &s), 0);
	assert_false(s.descriptor);
	assert_int_equal(s.key, 0x0b);
	assert_true(s.regs_valid);
	assert_int_equal(s.error, 0x04);
	assert_int_equal(s.status, 0x51);
	assert_int_equal(s.lba, 0x01);
	assert_true(s.ext);
	assert_true(s.regs_high_missing);	/* byte 8 bit 5: LBA(47:24) non-zero */
}

/* Fixed format, pre-2024 layout: the captured frozen-drive buffer. */
static void test_sense_fixed_old(void **state)
{
	uint8_t sb[14];
	struct sgio_sense s;

	(void)state;
	hex_to("70 00 05 00 00 00 00 0A 04 51 40 01 21 04", sb, 14);
	assert_int_equal(sgio_sense_decode(sb, sizeof(sb), &s), 0);
	assert_int_equal(s.key, 0x05);
	assert_int_equal(s.asc, 0x21);
	assert_int_equal(s.ascq, 0x04);
	assert_true(s.regs_valid);
	assert_int_equal(s.error, 0x04);
	assert_int_equal(s.status, 0x51);
	assert_int_equal(s.device, 0x40);
	assert_int_equal(s.count, 0x01);
	assert_true(s.regs_high_missing);
}

static void test_sense_bad(void **state)
{
	uint8_t sb[8] = { 0x72, 1, 0, 0x1d, 0, 0, 0, 0 };
	uint8_t junk[4] = { 0x7f, 0, 0, 0 };
	struct sgio_sense s;

	(void)state;
	assert_int_equal(sgio_sense_decode(NULL, 0, &s), -ENODATA);
	assert_int_equal(sgio_sense_decode(sb, 0, &s), -ENODATA);
	assert_int_equal(sgio_sense_decode(sb, 5, &s), -EBADMSG);
	assert_int_equal(sgio_sense_decode(sb, 8, &s), 0);
	assert_false(s.regs_valid);
	assert_int_equal(sgio_sense_decode(junk, 4, &s), -EBADMSG);
	sb[0] = 0x70;
	assert_int_equal(sgio_sense_decode(sb, 8, &s), -EBADMSG);	/* truncated fixed */
}

/* ---- result checks through a canned transport ---- */

static struct sgio_raw canned;
static int canned_rc;

static int canned_ata(void *ctx, const uint8_t cdb[16], enum sgio_dir dir, void *buf, size_t len,
		      uint32_t timeout_ms, struct sgio_raw *raw)
{
	(void)ctx;
	(void)cdb;
	(void)dir;
	(void)buf;
	(void)len;
	assert_int_not_equal(timeout_ms, 0);
	*raw = canned;
	return canned_rc;
}

static int canned_nvme(void *ctx, struct sgio_nvme_cmd *cmd)
{
	(void)ctx;
	cmd->result = 7;
	return canned_rc;
}

static const struct sgio_ops canned_ops = { .ata_cmd = canned_ata, .nvme_admin = canned_nvme };

static int run_canned(struct sgio_ata_res *res, char **cause)
{
	struct sgio_dev dev = { .ops = &canned_ops, .kind = SGIO_KIND_ATA };
	struct sgio_ata_cmd c = mk(SGIO_PROTO_NONDATA, false, 0xf3, 0, 0, 0);

	return sgio_ata(&dev, &c, res, cause);
}

static void test_result_checks(void **state)
{
	struct sgio_ata_res res;
	char *cause = NULL;

	(void)state;
	memset(&canned, 0, sizeof(canned));
	canned_rc = 0;
	assert_int_equal(run_canned(&res, &cause), 0);
	canned_rc = -EPERM;
	assert_int_equal(run_canned(&res, &cause), -EPERM);
	assert_true(res.transport_failed);
	canned_rc = 0;
	canned.status = 0x18;		/* RESERVATION CONFLICT */
	assert_int_equal(run_canned(&res, &cause), -EBADE);
	canned.status = 0;
	canned.host_status = 0x03;
	assert_int_equal(run_canned(&res, &cause), -ETIMEDOUT);
	assert_true(res.timed_out);
	assert_non_null(strstr(cause, "timed out"));
	canned.host_status = 0x08;
	assert_int_equal(run_canned(&res, &cause), -ECONNRESET);
	assert_true(res.reset_seen);
	canned.host_status = 0x07;
	assert_int_equal(run_canned(&res, &cause), -EREMOTEIO);
	canned.host_status = 0;
	canned.driver_status = 0x04;
	assert_int_equal(run_canned(&res, &cause), -EBADE);
	canned.driver_status = 0x08;
	canned.status = 0x02;		/* CHECK CONDITION without sense: unknown */
	assert_int_equal(run_canned(&res, &cause), -EIO);
	assert_non_null(strstr(cause, "without sense"));
	free(cause);
}

static void test_result_sense(void **state)
{
	struct sgio_ata_res res;
	char *cause = NULL;

	(void)state;
	memset(&canned, 0, sizeof(canned));
	canned_rc = 0;
	canned.status = 0x02;
	canned.driver_status = 0x08;
	/* ABRT in fixed format */
	hex_to("F0 00 0B 04 51 40 00 0A 00 00 00 00 00 00 00 00 00 00", canned.sense, 18);
	canned.sense_len = 18;
	assert_int_equal(run_canned(&res, &cause), -EIO);
	assert_true(res.aborted);
	/* unit attention, power on or reset */
	memset(canned.sense, 0, sizeof(canned.sense));
	hex_to("70 00 06 00 00 00 00 0A 00 00 00 00 29 00", canned.sense, 14);
	canned.sense_len = 14;
	assert_int_equal(run_canned(&res, &cause), -ECONNRESET);
	assert_true(res.reset_seen);
	/* ILLEGAL REQUEST without registers (pass-through not supported) */
	hex_to("70 00 05 00 00 00 00 00 00 00 00 00 20 00", canned.sense, 14);
	assert_int_equal(run_canned(&res, &cause), -EOPNOTSUPP);
	/* success with registers */
	hex_to("72 01 00 1D 00 00 00 0E 09 0C 00 00 00 00 00 00 00 00 00 00 40 50", canned.sense,
	       22);
	canned.sense_len = 22;
	assert_int_equal(run_canned(&res, &cause), 0);
	assert_true(res.sense.regs_valid);
	free(cause);
}

/* Run SET PASSWORD (PIO out) against the canned CHECK CONDITION @hex. */
static int run_canned_sense(const char *hex, size_t n, struct sgio_ata_res *res, char **cause)
{
	struct sgio_dev dev = { .ops = &canned_ops, .kind = SGIO_KIND_ATA };
	struct sgio_ata_cmd c = mk(SGIO_PROTO_PIO_OUT, false, 0xf1, 0, 1, 0);
	uint8_t buf[512] = { 0 };

	c.buf = buf;
	c.len = sizeof(buf);
	memset(&canned, 0, sizeof(canned));
	canned_rc = 0;
	canned.status = 0x02;
	canned.driver_status = 0x08;
	hex_to(hex, canned.sense, n);
	canned.sense_len = (uint8_t)n;
	return sgio_ata(&dev, &c, res, cause);
}

/* Fixed sense without VALID from a bridge or HBA that rejects the command
 * (captured): bytes 8-11 are zero, they are no ATA registers, and the
 * command failed.  Only pass-through information (RECOVERED ERROR, or
 * ASC/ASCQ 00h/1Dh) is a success. */
static void test_sense_fixed_reject(void **state)
{
	static const char reject[] = "70 00 05 00 00 00 00 0A 00 00 00 00 20 00";
	struct sgio_ata_res res;
	struct sgio_sense s;
	char *cause = NULL;
	uint8_t sb[14];

	(void)state;
	hex_to(reject, sb, sizeof(sb));
	assert_int_equal(sgio_sense_decode(sb, sizeof(sb), &s), 0);
	assert_int_equal(s.key, 0x05);
	assert_int_equal(s.asc, 0x20);
	assert_false(s.regs_valid);
	/* invalid opcode, invalid field in CDB: not supported */
	assert_int_equal(run_canned_sense(reject, 14, &res, &cause), -EOPNOTSUPP);
	assert_non_null(strstr(cause, "not supported"));
	assert_false(res.sense.regs_valid);
	assert_int_equal(run_canned_sense("70 00 05 00 00 00 00 0A 00 00 00 00 24 00", 14, &res,
					  &cause), -EOPNOTSUPP);
	/* other error keys fail, registers or not */
	assert_int_equal(run_canned_sense("70 00 0B 00 00 00 00 0A 00 00 00 00 00 00", 14, &res,
					  &cause), -EIO);
	assert_int_equal(run_canned_sense("70 00 03 00 00 00 00 0A 00 00 00 00 11 00", 14, &res,
					  &cause), -EIO);
	assert_non_null(strstr(cause, "sense key 3h"));
	/* current layout, ABORTED COMMAND, STATUS without ERR: still a failure */
	assert_int_equal(run_canned_sense("F0 00 0B 00 50 40 00 0A 00 00 00 00 00 00", 14, &res,
					  &cause), -EIO);
	assert_int_equal(run_canned_sense("F0 00 05 00 50 40 00 0A 00 00 00 00 20 00", 14, &res,
					  &cause), -EOPNOTSUPP);
	/* the old-layout frozen-drive capture keeps its registers: ABRT */
	assert_int_equal(run_canned_sense("70 00 05 00 00 00 00 0A 04 51 40 01 21 04", 14, &res,
					  &cause), -EIO);
	assert_true(res.aborted);
	assert_true(res.sense.regs_valid);
	/* pass-through information in fixed format, both layouts: success */
	assert_int_equal(run_canned_sense("70 00 01 00 00 00 00 0A 00 50 40 01 00 1D", 14, &res,
					  &cause), 0);
	assert_true(res.sense.regs_valid);
	assert_int_equal(res.sense.status, 0x50);
	assert_int_equal(run_canned_sense("F0 00 01 00 50 40 00 0A 00 00 00 00 00 1D", 14, &res,
					  &cause), 0);
	assert_int_equal(run_canned_sense("70 00 00 00 00 00 00 0A 00 50 40 00 00 00", 14, &res,
					  &cause), 0);
	/* descriptor format with an error key and a clean STATUS: a failure */
	assert_int_equal(run_canned_sense("72 0B 00 00 00 00 00 0E 09 0C 00 00 00 00 00 00 00 "
					  "00 00 00 40 50", 22, &res, &cause), -EIO);
	free(cause);
}

/* A second handle needs a thread-safe transport (or the real one). */
static void test_reopen_refused(void **state)
{
	struct sgio_dev dev = { .ops = &canned_ops, .kind = SGIO_KIND_NVME };
	struct sgio_dev *second = &dev;
	char *cause = NULL;

	(void)state;
	assert_int_equal(sgio_reopen(&dev, &second, &cause), -EOPNOTSUPP);
	assert_null(second);
	free(cause);
}

static void test_nvme_status(void **state)
{
	struct sgio_dev dev = { .ops = &canned_ops, .kind = SGIO_KIND_NVME };
	struct sgio_nvme_cmd c = { .opcode = 0x80, .timeout_ms = 1000 };
	char *cause = NULL;
	int st;

	(void)state;
	canned_rc = 0;
	assert_int_equal(sgio_nvme_admin(&dev, &c, &st, &cause), 0);
	assert_int_equal(c.result, 7);
	canned_rc = 0x4002;		/* DNR + Invalid Field in Command */
	assert_int_equal(sgio_nvme_admin(&dev, &c, &st, &cause), -EIO);
	assert_int_equal(st, 0x4002);
	assert_non_null(strstr(cause, "Invalid Field in Command"));
	assert_non_null(strstr(cause, "do not retry"));
	canned_rc = 0x1d;
	assert_int_equal(sgio_nvme_admin(&dev, &c, &st, &cause), -EIO);
	assert_string_equal(sgio_nvme_status_name(st), "Sanitize In Progress");
	canned_rc = -ENOTTY;
	assert_int_equal(sgio_nvme_admin(&dev, &c, &st, &cause), -ENOTTY);
	c.timeout_ms = 0;
	assert_int_equal(sgio_nvme_admin(&dev, &c, &st, &cause), -EINVAL);
	dev.kind = SGIO_KIND_ATA;
	c.timeout_ms = 10;
	assert_int_equal(sgio_nvme_admin(&dev, &c, &st, &cause), -EOPNOTSUPP);
	free(cause);
}

static void test_classify(void **state)
{
	enum sgio_kind k;
	bool usb, satl;

	(void)state;
	sgio_classify_syspath("/sys/devices/pci0000:00/0000:00:1f.2/ata1/host0/target0:0:0/"
			      "0:0:0:0/block/sda", "sda", &k, &usb, &satl);
	assert_int_equal(k, SGIO_KIND_ATA);
	assert_false(usb);
	assert_false(satl);
	sgio_classify_syspath("/sys/devices/pci0000:00/0000:00:14.0/usb2/2-1/2-1:1.0/host6/"
			      "target6:0:0/6:0:0:0/block/sdb", "sdb", &k, &usb, &satl);
	assert_int_equal(k, SGIO_KIND_ATA);
	assert_true(usb);
	sgio_classify_syspath("/sys/devices/pci0000:00/0000:00:03.0/host2/port-2:0/end_device-2:0/"
			      "target2:0:0/2:0:0:0/block/sdc", "sdc", &k, &usb, &satl);
	assert_true(satl);
	sgio_classify_syspath("/sys/devices/pci0000:00/0000:00:1d.0/nvme/nvme0/nvme0n1", "nvme0n1",
			      &k, &usb, &satl);
	assert_int_equal(k, SGIO_KIND_NVME);
	sgio_classify_syspath("/sys/devices/virtual/block/loop3", "loop3", &k, &usb, &satl);
	assert_int_equal(k, SGIO_KIND_NONE);
	sgio_classify_syspath("/sys/devices/pci0000:00/0000:00:04.0/virtio1/block/vda", "vda", &k,
			      &usb, &satl);
	assert_int_equal(k, SGIO_KIND_NONE);
	sgio_classify_syspath("/sys/devices/platform/mmc0/mmc0:0001/block/mmcblk0", "mmcblk0", &k,
			      &usb, &satl);
	assert_int_equal(k, SGIO_KIND_NONE);
}

/* Files and character devices never reach the ioctl code. */
static void test_open_refuses(void **state)
{
	char path[] = "/tmp/custos-sgio-XXXXXX";
	struct sgio_dev *dev = NULL;
	char *cause = NULL;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(sgio_open(path, true, &dev, &cause), -EOPNOTSUPP);
	assert_null(dev);
	assert_string_equal(cause, "not supported: no ATA/NVMe firmware on this target");
	unlink(path);
	assert_int_equal(sgio_open("/dev/null", false, &dev, &cause), -ENOTBLK);
	assert_int_equal(sgio_open("/nonexistent/x", false, &dev, &cause), -ENOENT);
	free(cause);
}

/* sgio_open_at() asks the anchor, never the name: a name that now leads
 * elsewhere (or nowhere) changes nothing. */
static void test_open_at_anchor(void **state)
{
	char path[] = "/tmp/custos-sgio-XXXXXX";
	struct sgio_dev *dev = NULL;
	char *cause = NULL;
	int fd = mkstemp(path), anchor;

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	/* a file held, named /dev/null: a file's answer */
	anchor = open(path, O_PATH | O_CLOEXEC);
	assert_true(anchor >= 0);
	assert_int_equal(sgio_open_at(anchor, "/dev/null", true, 0, &dev, &cause), -EOPNOTSUPP);
	assert_null(dev);
	assert_int_equal(close(anchor), 0);
	/* /dev/null held, named by the file or by nothing: a character device's */
	anchor = open("/dev/null", O_PATH | O_CLOEXEC);
	assert_true(anchor >= 0);
	assert_int_equal(sgio_open_at(anchor, path, false, 0, &dev, &cause), -ENOTBLK);
	assert_non_null(strstr(cause, path));		/* the name is for messages */
	assert_int_equal(sgio_open_at(anchor, "/nonexistent/x", false, 0, &dev, &cause),
			 -ENOTBLK);
	assert_int_equal(close(anchor), 0);
	assert_null(dev);
	unlink(path);
	free(cause);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cdb_reference),
		cmocka_unit_test(test_cdb_48_and_28),
		cmocka_unit_test(test_sense_descriptor),
		cmocka_unit_test(test_sense_descriptor_walk),
		cmocka_unit_test(test_sense_fixed_current),
		cmocka_unit_test(test_sense_fixed_old),
		cmocka_unit_test(test_sense_bad),
		cmocka_unit_test(test_result_checks),
		cmocka_unit_test(test_result_sense),
		cmocka_unit_test(test_sense_fixed_reject),
		cmocka_unit_test(test_reopen_refused),
		cmocka_unit_test(test_nvme_status),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_open_refuses),
		cmocka_unit_test(test_open_at_anchor),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
