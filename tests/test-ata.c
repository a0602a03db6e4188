/* SPDX-License-Identifier: GPL-3.0-or-later */
/* ata: IDENTIFY of every fixture, timeouts, payloads and CDBs byte for
 * byte, the security-erase sequence against the fake drive, and SMART
 * read through ATA PASS-THROUGH compared with libatasmart's reading of the
 * same dumps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atasmart.h>

#include "ata.h"
#include "fw-fixtures.h"
#include "util.h"

/* Every fsync() of a directory, in order: libcustos is linked statically,
 * so this definition stands in for the C library's in the code under test. */
static char fsynced_dirs[32][PATH_MAX];
static unsigned n_fsynced_dirs;

int fsync(int fd)
{
	char link[64], path[PATH_MAX];
	struct stat st;
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	if (n > 0 && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode) && n_fsynced_dirs < 32) {
		path[n] = '\0';
		util_strlcpy(fsynced_dirs[n_fsynced_dirs++], path, PATH_MAX);
	}
	return (int)syscall(SYS_fsync, fd);
}

static bool dir_fsynced(const char *dir)
{
	char real[PATH_MAX];

	if (!realpath(dir, real))
		return false;
	for (unsigned i = 0; i < n_fsynced_dirs; i++)
		if (strcmp(fsynced_dirs[i], real) == 0)
			return true;
	return false;
}

struct fixture_truth {
	const char *name, *model, *serial, *firmware;
	uint16_t w128;
	uint64_t sectors;
	bool lba48, dco;
	uint32_t erase_min, erase_enh_min;
	uint16_t rotation;
};

/* Values read from the fixtures themselves (IDENTIFY words). */
static const struct fixture_truth truth[] = {
	{ "FUJITSU_MHY2120BH--0084000D", "FUJITSU MHY2120BH", "K434T81257SL", "0084000D",
	  0x0009, 234441648, true, true, 120, 0, 0 },
	{ "FUJITSU_MHY2120BH--0085000B", "FUJITSU MHY2120BH", "K430T7C2F50K", "0085000B",
	  0x0009, 234441648, true, true, 120, 0, 0 },
	{ "FUJITSU_MHY2250BH--0085000B", "FUJITSU MHY2250BH", "K432T81269H2", "0085000B",
	  0x0009, 488397168, true, true, 250, 0, 0 },
	{ "FUJITSU_MHZ2160BH_G1--0084000A", "FUJITSU MHZ2160BH G1", "K60WT8828LCB", "0084000A",
	  0x0001, 312581808, true, true, 160, 0, 0 },
	{ "INTEL_SSDSA2CW120G3--4PC10302", "INTEL SSDSA2CW120G3", "CVPR109301UZ120LGN",
	  "4PC10302", 0x012b, 234441648, true, true, 2, 2, 1 },
	{ "INTEL_SSDSA2MH080G1GC--045C8820", "INTEL SSDSA2MH080G1GC", "CVEM842101HD080DGN",
	  "045C8820", 0x0021, 156301488, true, true, 2, 2, 1 },
	{ "MCCOE64GEMPP--2.9.09", "MCCOE64GEMPP", "SE808N0608", "2.9.09", 0x0001, 117231408,
	  false, true, 2, 0, 0 },
	{ "Maxtor_96147H8--BAC51KJ0", "Maxtor 96147H8", "N80BR8EC", "BAC51KJ0", 0x0000,
	  120060864, false, false, 0, 0, 0 },
	{ "Maxtor_96147H8--BAC51KJ0--2", "Maxtor 96147H8", "N80BR8EC", "BAC51KJ0", 0x0000,
	  120060864, false, false, 0, 0, 0 },
	{ "SAMSUNG_HD501LJ--CR100-12", "SAMSUNG HD501LJ", "S0MUJ1NQ110060", "CR100-12", 0x0021,
	  976773168, true, true, 168, 168, 0 },
	{ "SAMSUNG_MMCQE28G8MUP--0VA_VAM08L1Q", "SAMSUNG MMCQE28G8MUP-0VA", "SE837A6888",
	  "VAM08L1Q", 0x0029, 250069680, true, true, 6, 6, 1 },
	{ "SAMSUNG_MP0804H--UE100-14", "SAMSUNG MP0804H", "S042J10XC22323", "UE100-14", 0x0021,
	  156368016, true, true, 88, 88, 0 },
	{ "ST320410A--3.39", "ST320410A", "5FB3QF34", "3.39", 0x0001, 39100223, false, true, 0, 0,
	  0 },
	{ "ST9100821AS--3.CME", "ST9100821AS", "5NJ0R13A", "3.CME", 0x0021, 195371568, true, true,
	  42, 42, 0 },
	{ "ST9160821AS--3.CLH", "ST9160821AS", "5MAC2QTA", "3.CLH", 0x0029, 312581808, true, true,
	  88, 88, 0 },
	{ "TOSHIBA_MK1651GSY--38IGT0G5T", "TOSHIBA MK1651GSY", "38IGT0G5T", "LD001D", 0x0009,
	  312581808, true, true, 68, 0, 0 },
	{ "WDC_WD2500JB--00REA0-20.00K20", "WDC WD2500JB-00REA0", "WD-WMANK4051741", "20.00K20",
	  0x0001, 488397168, true, true, 0, 0, 0 },
	{ "WDC_WD2500JS-75NCB3--10.02E04", "WDC WD2500JS-75NCB3", "WD-WCANKH572006", "10.02E04",
	  0x0001, 488281250, true, true, 0, 0, 0 },
	{ "WDC_WD5000AAKS--00TMA0-12.01C01", "WDC WD5000AAKS-00TMA0", "WD-WCAPW0493929",
	  "12.01C01", 0x0001, 976773168, true, true, 122, 0, 0 },
};

static void test_identify_every_fixture(void **state)
{
	(void)state;
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(truth); i++) {
		const struct fixture_truth *t = &truth[i];
		struct ata_identify id;
		uint8_t buf[512];

		fixture_identify(t->name, buf);
		assert_int_equal(ata_identify_parse(buf, &id), 0);
		assert_string_equal(id.model, t->model);
		assert_string_equal(id.serial, t->serial);
		assert_string_equal(id.firmware, t->firmware);
		assert_int_equal(id.w[128], t->w128);
		assert_int_equal(id.sectors, t->sectors);
		assert_int_equal(id.lba48, t->lba48);
		assert_int_equal(id.dco_supported, t->dco);
		assert_true(id.hpa_supported);
		assert_false(id.ama_supported);
		assert_false(id.san_supported);		/* none of these drives has SANITIZE */
		assert_int_equal(id.erase_min, t->erase_min);
		assert_int_equal(id.erase_enh_min, t->erase_enh_min);
		assert_int_equal(id.rotation, t->rotation);
		assert_int_equal(id.lbsize, 512);
		assert_true(id.checksum_valid);
		/* word 128 decoded */
		assert_int_equal(id.sec_supported, (t->w128 & 1) != 0);
		assert_int_equal(id.sec_enabled, (t->w128 & 2) != 0);
		assert_int_equal(id.sec_locked, (t->w128 & 4) != 0);
		assert_int_equal(id.sec_frozen, (t->w128 & 8) != 0);
		assert_int_equal(id.sec_expired, (t->w128 & 0x10) != 0);
		assert_int_equal(id.sec_enhanced, (t->w128 & 0x20) != 0);
		assert_int_equal(id.sec_level_max, (t->w128 & 0x100) != 0);
	}
}

static void test_security_states(void **state)
{
	struct ata_identify id;
	uint8_t buf[512];

	(void)state;
	fixture_identify("INTEL_SSDSA2CW120G3--4PC10302", buf);
	ata_identify_parse(buf, &id);
	assert_int_equal(ata_sec_state(&id), ATA_SEC6);	/* enabled + frozen */
	fixture_identify("FUJITSU_MHY2120BH--0084000D", buf);
	ata_identify_parse(buf, &id);
	assert_int_equal(ata_sec_state(&id), ATA_SEC2);
	fixture_identify("SAMSUNG_HD501LJ--CR100-12", buf);
	ata_identify_parse(buf, &id);
	assert_int_equal(ata_sec_state(&id), ATA_SEC1);
	fixture_identify("Maxtor_96147H8--BAC51KJ0", buf);
	ata_identify_parse(buf, &id);
	assert_false(id.sec_supported);
	buf[1] = 0x80;		/* word 0 bit 15: not an ATA device */
	assert_int_equal(ata_identify_parse(buf, &id), -EINVAL);
}

static void test_erase_time_and_timeout(void **state)
{
	struct ata_identify id;
	uint8_t buf[512];

	(void)state;
	assert_int_equal(ata_erase_time_min(0x0000), 0);
	assert_int_equal(ata_erase_time_min(0x003c), 120);
	assert_int_equal(ata_erase_time_min(0x00ff), 508);
	assert_int_equal(ata_erase_time_min(0x8064), 200);
	assert_int_equal(ata_erase_time_min(0xffff), 65532);
	fixture_identify("FUJITSU_MHY2120BH--0084000D", buf);
	ata_identify_parse(buf, &id);
	/* 120 min x 1.5 + 60 min beats the capacity estimate (5615 s) */
	assert_int_equal(ata_erase_timeout_s(&id, false), 14400);
	fixture_identify("INTEL_SSDSA2CW120G3--4PC10302", buf);
	ata_identify_parse(buf, &id);
	assert_int_equal(ata_erase_timeout_s(&id, true), 7200);	/* floor of 2 hours */
	id.erase_min = ata_erase_time_min(0x00ff);
	assert_int_equal(ata_erase_timeout_s(&id, false), 49320);
	id.erase_min = ata_erase_time_min(0xffff);
	assert_int_equal(ata_erase_timeout_s(&id, false), 4294967);	/* SG_IO limit */
	id.erase_min = 0;
	id.sectors = 10000000000ull;		/* 5 TB, no estimate: 1 s per 30 MB */
	assert_int_equal(ata_erase_timeout_s(&id, false), 162760 + 1800);
}

static void test_payloads(void **state)
{
	uint8_t buf[512], want[512];

	(void)state;
	memset(want, 0, sizeof(want));
	memcpy(want + 2, "secret", 6);
	ata_payload_set_password(buf, "secret", false, false, 0);
	assert_memory_equal(buf, want, 512);
	ata_payload_password(buf, "secret", false);
	assert_memory_equal(buf, want, 512);
	want[0] = 0x02;				/* enhanced */
	ata_payload_erase(buf, "secret", false, true);
	assert_memory_equal(buf, want, 512);
	want[0] = 0x00;
	ata_payload_erase(buf, "secret", false, false);
	assert_memory_equal(buf, want, 512);
	ata_payload_set_password(buf, "m", true, true, 0xfffe);
	assert_int_equal(buf[0], 1);
	assert_int_equal(buf[1], 1);
	assert_int_equal(buf[2], 'm');
	assert_int_equal(buf[34], 0xfe);
	assert_int_equal(buf[35], 0xff);
	/* 32 characters fill the field exactly, longer ones are cut */
	ata_payload_password(buf, "0123456789abcdef0123456789abcdefXYZ", false);
	assert_int_equal(buf[33], 'f');
	assert_int_equal(buf[34], 0);
}

static void expect_rec(const struct fakedev *f, unsigned i, const char *hex)
{
	uint8_t want[16];

	assert_true(i < f->nrec);
	hex_bytes(hex, want, 16);
	assert_memory_equal(f->rec[i].cdb, want, 16);
}

static void test_security_cdbs(void **state)
{
	struct fakedev *f = fixture_fake("SAMSUNG_HD501LJ--CR100-12");
	uint8_t want[512];
	char *cause = NULL;

	(void)state;
	assert_int_equal(ata_sec_set_password(&f->dev, "pw1", &cause), 0);
	expect_rec(f, 0, "85 0A 06 00 00 00 01 00 00 00 00 00 00 40 F1 00");
	memset(want, 0, sizeof(want));
	memcpy(want + 2, "pw1", 3);
	assert_int_equal(f->rec[0].len, 512);
	assert_memory_equal(f->rec[0].data, want, 512);
	assert_int_equal(f->rec[0].timeout_ms, 15000);
	assert_int_equal(ata_sec_erase_prepare(&f->dev, &cause), 0);
	expect_rec(f, 1, "85 06 20 00 00 00 00 00 00 00 00 00 00 40 F3 00");
	assert_int_equal(ata_sec_erase_unit(&f->dev, "pw1", true, 7200, NULL, &cause), 0);
	expect_rec(f, 2, "85 0A 06 00 00 00 01 00 00 00 00 00 00 40 F4 00");
	want[0] = 0x02;
	assert_memory_equal(f->rec[2].data, want, 512);
	assert_int_equal(f->rec[2].timeout_ms, 7200000);
	assert_false(f->enabled);
	assert_int_equal(ata_sec_set_password(&f->dev, "pw1", &cause), 0);
	fakedev_power_cycle(f);
	assert_true(f->locked);
	assert_int_equal(ata_sec_unlock(&f->dev, "pw1", &cause), 0);
	expect_rec(f, 4, "85 0A 06 00 00 00 01 00 00 00 00 00 00 40 F2 00");
	want[0] = 0;
	assert_memory_equal(f->rec[4].data, want, 512);
	assert_int_equal(ata_sec_disable(&f->dev, "pw1", &cause), 0);
	expect_rec(f, 5, "85 0A 06 00 00 00 01 00 00 00 00 00 00 40 F6 00");
	assert_memory_equal(f->rec[5].data, want, 512);
	assert_false(f->enabled);
	/* normal erase payload: byte 0 = 0 */
	assert_int_equal(ata_sec_set_password(&f->dev, "pw1", &cause), 0);
	assert_int_equal(ata_sec_erase_prepare(&f->dev, &cause), 0);
	assert_int_equal(ata_sec_erase_unit(&f->dev, "pw1", false, 7200, NULL, &cause), 0);
	assert_int_equal(f->rec[8].data[0], 0x00);
	free(cause);
	fakedev_free(f);
}

static void test_sanitize_cdbs(void **state)
{
	struct fakedev *f = fixture_fake("SAMSUNG_HD501LJ--CR100-12");
	struct ata_sanitize_status st;
	char *cause = NULL;

	(void)state;
	fakedev_set_word(f, 59, 0xf510);	/* SANITIZE: crypto, overwrite, block, antifreeze */
	assert_int_equal(ata_sanitize_status(&f->dev, false, &st, &cause), 0);
	expect_rec(f, 0, "85 07 20 00 00 00 00 00 00 00 00 00 00 40 B4 00");
	assert_false(st.in_progress);
	assert_int_equal(ata_sanitize_status(&f->dev, true, &st, &cause), 0);
	expect_rec(f, 1, "85 07 20 00 00 00 01 00 00 00 00 00 00 40 B4 00");
	assert_int_equal(ata_sanitize_start(&f->dev, ATA_SANITIZE_CRYPTO, 0, 0, &cause), 0);
	expect_rec(f, 2, "85 07 20 00 11 00 10 43 70 00 79 00 72 40 B4 00");
	assert_int_equal(f->rec[2].timeout_ms, 30000);
	assert_int_equal(ata_sanitize_status(&f->dev, false, &st, &cause), 0);
	assert_true(st.in_progress);
	assert_true(st.progress > 0);
	/* a second sanitize while one runs is aborted */
	assert_int_equal(ata_sanitize_start(&f->dev, ATA_SANITIZE_BLOCK, 0, 0, &cause), -EIO);
	expect_rec(f, 4, "85 07 20 00 12 00 10 42 72 00 45 00 6B 40 B4 00");
	assert_int_equal(ata_sanitize_start(&f->dev, ATA_SANITIZE_OVERWRITE, 0, 1, &cause), -EIO);
	expect_rec(f, 5, "85 07 20 00 14 00 11 00 00 57 00 4F 00 40 B4 00");
	assert_int_equal(ata_sanitize_start(&f->dev, ATA_SANITIZE_OVERWRITE, 0x11223344, 16,
					    &cause), -EIO);
	expect_rec(f, 6, "85 07 20 00 14 00 10 11 44 57 33 4F 22 40 B4 00");	/* 16 -> 0 */
	assert_int_equal(ata_sanitize_start(&f->dev, ATA_SANITIZE_OVERWRITE, 0, 17, &cause),
			 -EINVAL);
	assert_int_equal(ata_sanitize_freeze(&f->dev, false, &cause), 0);
	expect_rec(f, 7, "85 07 20 00 20 00 00 46 6B 00 4C 00 72 40 B4 00");
	assert_int_equal(ata_sanitize_freeze(&f->dev, true, &cause), 0);
	expect_rec(f, 8, "85 07 20 00 40 00 00 41 69 00 74 00 6E 40 B4 00");
	assert_string_equal(ata_sanitize_reason(3), "the device is in sanitize frozen state");
	free(cause);
	fakedev_free(f);
}

/* Without descriptor-format sense the sanitize state is unknown, not "idle". */
static void test_sanitize_fixed_sense_unknown(void **state)
{
	struct fakedev *f = fixture_fake("SAMSUNG_HD501LJ--CR100-12");
	struct ata_sanitize_status st;
	char *cause = NULL;

	(void)state;
	fakedev_set_word(f, 59, 0xf510);
	f->fixed_sense_always = true;
	assert_int_equal(ata_sanitize_start(&f->dev, ATA_SANITIZE_CRYPTO, 0, 0, &cause), 0);
	assert_int_equal(ata_sanitize_status(&f->dev, false, &st, &cause), -EBADMSG);
	assert_non_null(strstr(cause, "unknown"));
	/* a failed sanitize answers ABRT with reason 01h in fixed format */
	f->fixed_sense_always = false;
	f->san_fail = true;
	while (ata_sanitize_status(&f->dev, false, &st, &cause) == 0 && st.in_progress)
		;
	assert_true(st.failed);
	assert_int_equal(st.reason, 1);
	free(cause);
	fakedev_free(f);
}

static void test_hpa_48(void **state)
{
	struct fakedev *f = fixture_fake("FUJITSU_MHY2120BH--0084000D");
	struct ata_identify id;
	uint64_t native = 0;
	char *cause = NULL;

	(void)state;
	f->current_max = f->native_max - 1000;
	f->nblocks = f->current_max + 1;
	assert_int_equal(ata_identify(&f->dev, &id, &cause), 0);
	assert_int_equal(id.sectors, 234441648 - 1000);
	assert_int_equal(ata_read_native_max(&f->dev, &id, &native, &cause), 0);
	expect_rec(f, 1, "85 07 20 00 00 00 00 00 00 00 00 00 00 40 27 00");
	assert_int_equal(native, 234441647);
	/* a SET MAX not right after READ NATIVE MAX is refused by the drive */
	assert_int_equal(ata_set_max(&f->dev, &id, native, true, &cause), 0);
	expect_rec(f, 2, "85 07 20 00 00 00 00 00 00 00 00 00 00 40 27 00");
	expect_rec(f, 3, "85 07 20 00 00 00 01 0D AF 00 4B 00 F9 40 37 00");
	assert_int_equal(f->current_max, native);
	/* only one non-volatile change per power cycle */
	assert_int_equal(ata_set_max(&f->dev, &id, native - 5, true, &cause), -EIO);
	assert_int_equal(ata_set_max(&f->dev, &id, native + 1, false, &cause), -EINVAL);
	free(cause);
	fakedev_free(f);
}

static void test_hpa_28_ama_dco(void **state)
{
	struct fakedev *f = fixture_fake("ST320410A--3.39");
	struct ata_identify id;
	struct ata_dco dco;
	uint64_t native = 0;
	char *cause = NULL;

	(void)state;
	assert_int_equal(ata_identify(&f->dev, &id, &cause), 0);
	assert_false(id.lba48);
	assert_int_equal(ata_set_max(&f->dev, &id, 39100222, true, &cause), 0);
	expect_rec(f, 1, "85 06 20 00 00 00 00 00 00 00 00 00 00 40 F8 00");
	expect_rec(f, 2, "85 06 20 00 00 00 01 00 3E 00 9F 00 54 42 F9 00");
	fakedev_free(f);

	f = fixture_fake("FUJITSU_MHY2120BH--0084000D");
	fakedev_set_word(f, 80, 0x05f8);	/* ACS-3 */
	fakedev_set_word(f, 119, 0x411d);	/* AMA supported */
	assert_int_equal(ata_identify(&f->dev, &id, &cause), 0);
	assert_true(id.ama_supported);
	assert_int_equal(ata_read_native_max(&f->dev, &id, &native, &cause), 0);
	expect_rec(f, 1, "85 07 20 00 00 00 00 00 00 00 00 00 00 40 78 00");
	assert_int_equal(ata_set_max(&f->dev, &id, 0x1000, true, &cause), 0);
	expect_rec(f, 2, "85 07 20 00 01 00 00 00 00 00 10 00 00 40 78 00");
	assert_int_equal(f->current_max, 0x1000);
	/* DCO: refused while a max is set below native, fine once restored */
	f->dco_max = f->native_max + 2048;
	assert_int_equal(ata_dco_identify(&f->dev, &dco, &cause), 0);
	expect_rec(f, 3, "85 08 0E 00 C2 00 01 00 00 00 00 00 00 40 B1 00");
	assert_true(dco.valid);
	assert_int_equal(dco.max_lba, f->native_max + 2048);
	assert_int_equal(ata_dco_restore(&f->dev, &cause), -EIO);
	expect_rec(f, 4, "85 06 20 00 C0 00 00 00 00 00 00 00 00 40 B1 00");
	f->current_max = f->native_max;
	assert_int_equal(ata_dco_restore(&f->dev, &cause), 0);
	assert_int_equal(f->native_max, f->dco_max);
	free(cause);
	fakedev_free(f);
}

/* ---- the security-erase sequence ---- */

static char *mkstate(void)
{
	char tmpl[] = "/tmp/custos-ata-XXXXXX";
	char *d = mkdtemp(tmpl);

	assert_non_null(d);
	return strdup(d);
}

static void rmstate(char *dir, const char *serial)
{
	char path[600];

	ata_journal_path(dir, serial, path, sizeof(path));
	unlink(path);
	snprintf(path, sizeof(path), "%s/ata-journal", dir);
	rmdir(path);
	rmdir(dir);
	free(dir);
}

static bool journal_exists(const char *dir, const char *serial)
{
	char path[600];

	ata_journal_path(dir, serial, path, sizeof(path));
	return access(path, F_OK) == 0;
}

static void test_erase_success(void **state)
{
	struct fakedev *f = fixture_fake("SAMSUNG_HD501LJ--CR100-12");
	struct ata_erase_report rep;
	char *dir = mkstate(), *cause = NULL;
	unsigned prep = 0;

	(void)state;
	assert_int_equal(ata_security_erase(&f->dev, dir, true, &rep, &cause), 0);
	assert_true(rep.erase_ok);
	assert_true(rep.cleaned);
	assert_false(rep.left_enabled);
	assert_int_equal(rep.timeout_s, 168 * 90 + 3600);
	assert_false(f->enabled);
	assert_false(journal_exists(dir, "S0MUJ1NQ110060"));
	/* ERASE UNIT comes immediately after ERASE PREPARE */
	for (unsigned i = 0; i < f->nrec; i++)
		if (f->rec[i].cdb[14] == 0xf3)
			prep = i;
	assert_int_equal(f->rec[prep + 1].cdb[14], 0xf4);
	assert_int_equal(f->rec[prep + 1].timeout_ms, rep.timeout_s * 1000u);
	assert_int_equal(fakedev_count(f, false, 0xf1), 1);
	/* IDENTIFY right after ERASE UNIT; back in SEC1, nothing to disable */
	assert_int_equal(f->rec[prep + 2].cdb[14], 0xec);
	assert_int_equal(fakedev_count(f, false, 0xf6), 0);
	ata_erase_report_clear(&rep);
	rmstate(dir, "S0MUJ1NQ110060");
	free(cause);
	fakedev_free(f);
}

/* ERASE UNIT answers good status but the drive keeps the password (not
 * SEC1): the erase is not confirmed, even though custos then removes the
 * password it set (firmware-erase.md §5.4, §5.8 step 10). */
static void test_erase_not_back_in_sec1(void **state)
{
	struct fakedev *f = fixture_fake("SAMSUNG_HD501LJ--CR100-12");
	struct ata_erase_report rep;
	char *dir = mkstate(), *cause = NULL;
	unsigned unit = 0;

	(void)state;
	f->erase_keeps_password = true;
	assert_int_equal(ata_security_erase(&f->dev, dir, true, &rep, &cause), -EIO);
	assert_non_null(strstr(cause, "did not return to SEC1"));
	assert_non_null(strstr(cause, "removed its temporary password"));
	assert_false(rep.erase_ok);
	assert_true(rep.cleaned);
	assert_false(rep.left_enabled);
	assert_null(rep.recovery);
	assert_false(f->enabled);
	assert_int_equal(fakedev_count(f, false, 0xf6), 1);
	assert_false(journal_exists(dir, "S0MUJ1NQ110060"));
	for (unsigned i = 0; i < f->nrec; i++)
		if (f->rec[i].cdb[14] == 0xf4)
			unit = i;
	assert_int_equal(f->rec[unit + 1].cdb[14], 0xec);
	ata_erase_report_clear(&rep);
	rmstate(dir, "S0MUJ1NQ110060");
	free(cause);
	fakedev_free(f);
}

/* A bridge rejecting ERASE UNIT (ILLEGAL REQUEST, fixed sense without
 * VALID) is a failure, and the password is removed again. */
static void test_erase_unit_rejected(void **state)
{
	struct fakedev *f = fixture_fake("SAMSUNG_HD501LJ--CR100-12");
	struct ata_erase_report rep;
	char *dir = mkstate(), *cause = NULL;

	(void)state;
	fakedev_inject(f, 0xf4, -1, FAKE_FAIL_REJECT);
	assert_int_equal(ata_security_erase(&f->dev, dir, true, &rep, &cause), -EOPNOTSUPP);
	assert_non_null(strstr(cause, "not supported"));
	assert_false(rep.erase_ok);
	assert_true(rep.cleaned);
	assert_false(f->enabled);
	assert_false(f->locked);
	assert_int_equal(fakedev_count(f, false, 0xf6), 1);
	ata_erase_report_clear(&rep);
	rmstate(dir, "S0MUJ1NQ110060");
	free(cause);
	fakedev_free(f);
}

/* The first journal entry creates its directories durably: each new
 * directory and the parent of the topmost one are fsynced. */
static void test_journal_dir_durable(void **state)
{
	struct fakedev *f = fixture_fake("SAMSUNG_HD501LJ--CR100-12");
	struct ata_erase_report rep;
	char *dir = mkstate(), *cause = NULL, sub[600], jdir[640];

	(void)state;
	snprintf(sub, sizeof(sub), "%s/state", dir);
	snprintf(jdir, sizeof(jdir), "%s/ata-journal", sub);
	n_fsynced_dirs = 0;
	assert_int_equal(ata_security_erase(&f->dev, sub, false, &rep, &cause), 0);
	assert_true(dir_fsynced(jdir));
	assert_true(dir_fsynced(sub));
	assert_true(dir_fsynced(dir));
	ata_erase_report_clear(&rep);
	assert_int_equal(rmdir(jdir), 0);
	assert_int_equal(rmdir(sub), 0);
	rmstate(dir, "S0MUJ1NQ110060");
	free(cause);
	fakedev_free(f);
}

/* The journal is written before SET PASSWORD: without it, nothing is sent. */
static void test_erase_journal_first(void **state)
{
	struct fakedev *f = fixture_fake("SAMSUNG_HD501LJ--CR100-12");
	struct ata_erase_report rep;
	char *cause = NULL;

	(void)state;
	assert_true(ata_security_erase(&f->dev, "/proc/custos-nowhere", false, &rep, &cause) < 0);
	assert_non_null(strstr(cause, "journal"));
	assert_int_equal(fakedev_count(f, false, 0xf1), 0);
	assert_int_equal(fakedev_count(f, false, 0xf4), 0);
	ata_erase_report_clear(&rep);
	free(cause);
	fakedev_free(f);
}

static void test_erase_refusals(void **state)
{
	struct ata_erase_report rep;
	struct fakedev *f;
	char *dir = mkstate(), *cause = NULL;

	(void)state;
	f = fixture_fake("FUJITSU_MHY2120BH--0084000D");		/* frozen */
	assert_int_equal(ata_security_erase(&f->dev, dir, false, &rep, &cause), -EPERM);
	assert_non_null(strstr(cause, "frozen"));
	assert_non_null(strstr(cause, "suspend"));
	assert_non_null(strstr(cause, "unplug"));
	assert_int_equal(fakedev_count(f, false, 0xf1), 0);
	fakedev_free(f);
	f = fixture_fake("FUJITSU_MHZ2160BH_G1--0084000A");	/* no enhanced erase */
	assert_int_equal(ata_security_erase(&f->dev, dir, true, &rep, &cause), -EOPNOTSUPP);
	assert_non_null(strstr(cause, "enhanced"));
	fakedev_free(f);
	f = fixture_fake("SAMSUNG_HD501LJ--CR100-12");
	f->expired = true;
	assert_int_equal(ata_security_erase(&f->dev, dir, false, &rep, &cause), -EPERM);
	assert_non_null(strstr(cause, "expired"));
	f->expired = false;
	f->enabled = true;
	assert_int_equal(ata_security_erase(&f->dev, dir, false, &rep, &cause), -EPERM);
	assert_non_null(strstr(cause, "already enabled"));
	assert_int_equal(fakedev_count(f, false, 0xf1), 0);
	fakedev_free(f);
	f = fixture_fake("Maxtor_96147H8--BAC51KJ0");
	assert_int_equal(ata_security_erase(&f->dev, dir, false, &rep, &cause), -EOPNOTSUPP);
	fakedev_free(f);
	rmstate(dir, "x");
	free(cause);
}

/* An erase aborted midway: the password custos set is removed afterwards. */
static void test_erase_aborted(void **state)
{
	struct fakedev *f = fixture_fake("SAMSUNG_HD501LJ--CR100-12");
	struct ata_erase_report rep;
	char *dir = mkstate(), *cause = NULL;

	(void)state;
	fakedev_inject(f, 0xf4, -1, FAKE_FAIL_ABORT);
	assert_int_equal(ata_security_erase(&f->dev, dir, false, &rep, &cause), -EIO);
	assert_non_null(strstr(cause, "aborted"));
	assert_false(rep.erase_ok);
	assert_true(rep.cleaned);
	assert_false(f->enabled);
	assert_int_equal(fakedev_count(f, false, 0xf6), 1);
	assert_false(journal_exists(dir, "S0MUJ1NQ110060"));
	ata_erase_report_clear(&rep);
	rmstate(dir, "S0MUJ1NQ110060");
	free(cause);
	fakedev_free(f);
}

/* A reset or a timeout locks the drive: UNLOCK, then DISABLE PASSWORD. */
static void test_erase_reset_and_timeout(void **state)
{
	static const enum fakedev_fail fails[] = { FAKE_FAIL_HOST_RESET, FAKE_FAIL_TIMEOUT,
						   FAKE_FAIL_EMPTY_SENSE };
	static const int want[] = { -ECONNRESET, -ETIMEDOUT, -EIO };

	(void)state;
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(fails); i++) {
		struct fakedev *f = fixture_fake("SAMSUNG_HD501LJ--CR100-12");
		struct ata_erase_report rep;
		char *dir = mkstate(), *cause = NULL;

		fakedev_inject(f, 0xf4, -1, fails[i]);
		assert_int_equal(ata_security_erase(&f->dev, dir, true, &rep, &cause), want[i]);
		assert_false(rep.erase_ok);
		assert_true(rep.cleaned);
		assert_false(f->enabled);
		assert_false(f->locked);
		assert_int_equal(fakedev_count(f, false, 0xf2),
				 fails[i] == FAKE_FAIL_EMPTY_SENSE ? 0 : 1);
		assert_int_equal(rep.reset_seen, fails[i] != FAKE_FAIL_EMPTY_SENSE);
		ata_erase_report_clear(&rep);
		rmstate(dir, "S0MUJ1NQ110060");
		free(cause);
		fakedev_free(f);
	}
}

/* Reset, and the drive comes back frozen: the person gets the password and
 * the steps; after a power cycle `ata unlock` recovers with the journal. */
static void test_erase_left_locked_then_recover(void **state)
{
	struct fakedev *f = fixture_fake("SAMSUNG_HD501LJ--CR100-12");
	struct ata_erase_report rep, rec;
	char *dir = mkstate(), *cause = NULL, path[600], *text = NULL;
	struct stat st;

	(void)state;
	f->freeze_on_reset = true;
	fakedev_inject(f, 0xf4, -1, FAKE_FAIL_HOST_RESET);
	assert_int_equal(ata_security_erase(&f->dev, dir, false, &rep, &cause), -ECONNRESET);
	assert_true(rep.left_enabled);
	assert_false(rep.cleaned);
	assert_non_null(rep.recovery);
	assert_non_null(strstr(rep.recovery, rep.password));
	assert_non_null(strstr(rep.recovery, "custos ata unlock"));
	assert_non_null(strstr(rep.recovery, "SECURITY UNLOCK"));
	assert_true(f->enabled && f->locked && f->frozen);
	ata_journal_path(dir, "S0MUJ1NQ110060", path, sizeof(path));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(util_read_file(path, &text, NULL), 0);
	assert_non_null(strstr(text, rep.password));
	assert_non_null(strstr(text, "S0MUJ1NQ110060"));
	free(text);
	/* still frozen: recovery refuses and keeps the journal */
	assert_int_equal(ata_security_recover(&f->dev, dir, NULL, &rec, &cause), -EPERM);
	assert_true(journal_exists(dir, "S0MUJ1NQ110060"));
	ata_erase_report_clear(&rec);
	fakedev_power_cycle(f);
	assert_int_equal(ata_security_recover(&f->dev, dir, NULL, &rec, &cause), 0);
	assert_true(rec.cleaned);
	assert_false(f->enabled);
	assert_false(journal_exists(dir, "S0MUJ1NQ110060"));
	ata_erase_report_clear(&rec);
	ata_erase_report_clear(&rep);
	rmstate(dir, "S0MUJ1NQ110060");
	free(cause);
	fakedev_free(f);
}

/* Wrong passwords count down to an expired counter; then nothing is tried. */
static void test_recover_wrong_password(void **state)
{
	struct fakedev *f = fixture_fake("SAMSUNG_HD501LJ--CR100-12");
	struct ata_erase_report rec;
	char *dir = mkstate(), *cause = NULL;

	(void)state;
	assert_int_equal(ata_sec_set_password(&f->dev, "right", &cause), 0);
	fakedev_power_cycle(f);
	assert_int_equal(ata_security_recover(&f->dev, dir, NULL, &rec, &cause), -ENOENT);
	ata_erase_report_clear(&rec);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(ata_security_recover(&f->dev, dir, "wrong", &rec, &cause), -EIO);
		ata_erase_report_clear(&rec);
	}
	assert_true(f->expired);
	assert_int_equal(ata_security_recover(&f->dev, dir, "right", &rec, &cause), -EPERM);
	assert_non_null(strstr(cause, "expired"));
	ata_erase_report_clear(&rec);
	fakedev_power_cycle(f);
	assert_int_equal(ata_security_recover(&f->dev, dir, "right", &rec, &cause), 0);
	assert_false(f->enabled);
	ata_erase_report_clear(&rec);
	rmstate(dir, "S0MUJ1NQ110060");
	free(cause);
	fakedev_free(f);
}

/* ---- SMART through the project's own ATA path ---------------------------- */

static char *fixture_path(const char *name)
{
	const char *dir = getenv("CUSTOS_FIXTURES");

	return util_asprintf("%s/ata-identify/%s", dir ? dir : "tests/fixtures", name);
}

struct sk_seen {
	const struct ata_smart *mine;
	unsigned n;
};

/* Every attribute libatasmart parses is one of ours, byte for byte. */
static void sk_attr(SkDisk *d, const SkSmartAttributeParsedData *a, void *data)
{
	struct sk_seen *seen = data;
	const struct ata_smart_attr *m = NULL;

	(void)d;
	for (unsigned i = 0; i < seen->mine->n_attr; i++)
		if (seen->mine->attr[i].id == a->id)
			m = &seen->mine->attr[i];
	assert_non_null(m);
	assert_memory_equal(m->raw, a->raw, 6);
	if (a->current_value_valid)
		assert_int_equal(m->current, a->current_value);
	if (a->worst_value_valid)
		assert_int_equal(m->worst, a->worst_value);
	seen->n++;
}

/* libatasmart reads the same blob: status and attributes must agree. */
static void compare_with_libatasmart(const char *path, const struct ata_smart *mine)
{
	struct sk_seen seen = { mine, 0 };
	char *blob = NULL;
	SkBool good = 0;
	size_t len = 0;
	SkDisk *d;

	assert_int_equal(util_read_file(path, &blob, &len), 0);
	assert_int_equal(sk_disk_open(NULL, &d), 0);
	assert_int_equal(sk_disk_set_blob(d, blob, len), 0);
	if (sk_disk_smart_status(d, &good) == 0) {
		assert_true(mine->status_known);
		assert_int_equal(mine->good, good);
	}
	assert_int_equal(sk_disk_smart_parse_attributes(d, sk_attr, &seen), 0);
	assert_int_equal(seen.n, mine->n_attr);
	sk_disk_free(d);
	free(blob);
}

static void test_smart_every_fixture(void **state)
{
	(void)state;
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(truth); i++) {
		struct fakedev *f = fixture_fake(truth[i].name);
		char *path = fixture_path(truth[i].name), *cause = NULL;
		struct ata_smart a;

		assert_int_equal(fakedev_blob_smart(f, path), 0);
		assert_int_equal(ata_smart_read(&f->dev, &a, &cause), 0);
		assert_false(a.asleep);
		assert_true(a.n_attr > 0);
		compare_with_libatasmart(path, &a);
		/* CHECK POWER MODE, RETURN STATUS, READ DATA: the CDBs byte for byte */
		assert_int_equal(f->nrec, 3);
		expect_rec(f, 0, "85 06 20 00 00 00 00 00 00 00 00 00 00 40 E5 00");
		expect_rec(f, 1, "85 06 20 00 DA 00 00 00 00 00 4F 00 C2 40 B0 00");
		expect_rec(f, 2, "85 08 0E 00 D0 00 01 00 00 00 4F 00 C2 40 B0 00");
		free(path);
		fakedev_free(f);
	}
}

/* Values read from the fixtures' SMART tables (attributes 5, 9, 194, 190). */
static void test_smart_values(void **state)
{
	static const struct {
		const char *name;
		bool status_known, good;
		uint64_t hours, realloc;
		int temp;
	} want[] = {
		{ "FUJITSU_MHY2120BH--0084000D", true, true, 0x08a0, 0, 28 },
		{ "ST9160821AS--3.CLH", true, true, 0x022c, 0, 38 },	/* raw 9 has more above */
		{ "SAMSUNG_HD501LJ--CR100-12", true, true, 0x1c9e, 1, 47 },
		{ "MCCOE64GEMPP--2.9.09", true, true, 1, 0x245000, 0 },	/* 190 only */
		{ "Maxtor_96147H8--BAC51KJ0--2", true, false, 0x021254, 0x45, INT16_MIN },
		{ "SAMSUNG_MMCQE28G8MUP--0VA_VAM08L1Q", true, true, 0x0971, UINT64_MAX, INT16_MIN },
	};

	(void)state;
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(want); i++) {
		struct fakedev *f = fixture_fake(want[i].name);
		char *path = fixture_path(want[i].name), *cause = NULL;
		struct ata_smart a;

		assert_int_equal(fakedev_blob_smart(f, path), 0);
		assert_int_equal(ata_smart_read(&f->dev, &a, &cause), 0);
		assert_int_equal(a.status_known, want[i].status_known);
		assert_int_equal(a.good, want[i].good);
		assert_int_equal(a.power_on_hours, want[i].hours);
		assert_int_equal(a.reallocated_sectors, want[i].realloc);
		assert_int_equal(a.temperature_c, want[i].temp);
		free(path);
		fakedev_free(f);
	}
}

static void test_smart_asleep_off_corrupt(void **state)
{
	struct fakedev *f = fixture_fake("ST320410A--3.39");
	char *path = fixture_path("ST320410A--3.39"), *cause = NULL;
	struct ata_smart a;

	(void)state;
	assert_int_equal(fakedev_blob_smart(f, path), 0);
	f->power_mode = 0x00;			/* standby: not woken */
	assert_int_equal(ata_smart_read(&f->dev, &a, &cause), 0);
	assert_true(a.asleep);
	assert_int_equal(f->nrec, 1);
	assert_int_equal(fakedev_count(f, false, 0xb0), 0);
	f->power_mode = 0xff;
	f->smart_off = true;			/* SMART disabled: aborted, said */
	assert_int_equal(ata_smart_read(&f->dev, &a, &cause), -EIO);
	assert_non_null(strstr(cause, "SMART RETURN STATUS: "));
	f->smart_off = false;
	f->smart_data[100] ^= 0x55;		/* damaged in transit */
	assert_int_equal(ata_smart_read(&f->dev, &a, &cause), -EBADMSG);
	assert_non_null(strstr(cause, "SMART READ DATA: bad checksum"));
	free(cause);
	free(path);
	fakedev_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identify_every_fixture),
		cmocka_unit_test(test_security_states),
		cmocka_unit_test(test_erase_time_and_timeout),
		cmocka_unit_test(test_payloads),
		cmocka_unit_test(test_security_cdbs),
		cmocka_unit_test(test_sanitize_cdbs),
		cmocka_unit_test(test_sanitize_fixed_sense_unknown),
		cmocka_unit_test(test_hpa_48),
		cmocka_unit_test(test_hpa_28_ama_dco),
		cmocka_unit_test(test_erase_success),
		cmocka_unit_test(test_erase_journal_first),
		cmocka_unit_test(test_erase_not_back_in_sec1),
		cmocka_unit_test(test_erase_unit_rejected),
		cmocka_unit_test(test_journal_dir_durable),
		cmocka_unit_test(test_erase_refusals),
		cmocka_unit_test(test_erase_aborted),
		cmocka_unit_test(test_erase_reset_and_timeout),
		cmocka_unit_test(test_erase_left_locked_then_recover),
		cmocka_unit_test(test_recover_wrong_password),
		cmocka_unit_test(test_smart_every_fixture),
		cmocka_unit_test(test_smart_values),
		cmocka_unit_test(test_smart_asleep_off_corrupt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
