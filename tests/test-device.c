/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "device.h"
#include "util.h"

/* Point discovery at <tree> made by tests/fixtures/mk-sysfs-fixtures.sh. */
static void use_fixture(const char *tree)
{
	static char sys[PATH_MAX], proc[PATH_MAX], udev[PATH_MAX];
	const char *top = getenv("CUSTOS_SYSFS_FIXTURES");
	struct device_roots r;

	if (!top)
		top = "tests/sysfs-fixtures";
	snprintf(sys, sizeof(sys), "%s/%s/sys", top, tree);
	snprintf(proc, sizeof(proc), "%s/%s/proc", top, tree);
	snprintf(udev, sizeof(udev), "%s/%s/no-udev", top, tree);
	r = (struct device_roots){ .sysfs = sys, .proc = proc, .dev = "/dev", .udev_db = udev };
	device_set_roots(&r);
}

/* Discovery over the fixture <tree>: the media it lists (listing must succeed). */
static struct device_info *list_fixture(const char *tree, size_t *n, char **cause)
{
	struct device_info *devs = NULL;

	use_fixture(tree);
	assert_int_equal(device_list(NULL, &devs, n, cause), 0);
	return devs;
}

static const struct device_info *find(const struct device_info *devs, size_t n,
				      const char *name)
{
	static const struct device_info none;

	for (size_t i = 0; i < n; i++)
		if (strcmp(devs[i].name, name) == 0)
			return &devs[i];
	fail_msg("device %s not listed", name);
	return &none;
}

static void assert_reason(const struct device_info *d, size_t i, const char *text)
{
	assert_true(i < d->n_reasons);
	assert_string_equal(d->reason_text[i], text);
}

static void test_machine_disks(void **state)
{
	struct device_info *devs;
	const struct device_info *d;
	char *cause = NULL;
	size_t n = 0;

	(void)state;
	devs = list_fixture("sysfs-machine", &n, &cause);
	assert_null(cause);
	/* dm-0 and md0 are holders, loop2 has nothing attached: not media */
	assert_int_equal(n, 9);
	assert_string_equal(devs[0].name, "loop0");
	assert_string_equal(devs[1].name, "loop3");

	d = find(devs, n, "sda");
	assert_string_equal(d->path, "/dev/sda");
	assert_int_equal(d->transport, DEVICE_TRANSPORT_SATA);
	assert_int_equal(d->size_bytes, 1953525168ull * 512);
	assert_int_equal(d->logical_sector_size, 512);
	assert_int_equal(d->physical_sector_size, 4096);
	assert_true(d->rotational);
	assert_false(d->removable);
	assert_string_equal(d->vendor, "ATA");
	assert_string_equal(d->model, "ST1000DM010-2EP102");
	assert_string_equal(d->serial, "Z9A1B2C3");
	assert_string_equal(d->wwn, "0x5000c500a1b2c3d4");
	assert_string_equal(d->firmware_rev, "CC43");
	assert_string_equal(device_media_kind(d), "hdd");
	assert_true(device_is_eligible(d));
	assert_int_equal(d->n_reasons, 0);
	assert_false(d->smart.available);

	d = find(devs, n, "sdd");
	assert_int_equal(d->transport, DEVICE_TRANSPORT_SATA);
	assert_false(d->rotational);
	assert_string_equal(device_media_kind(d), "ssd");
	assert_string_equal(d->serial, "S3Z9NB0K654321X");
	assert_string_equal(d->wwn, "");	/* a t10 id is no WWN */
	assert_int_equal(d->reasons, DEVICE_REASON_HELD);
	assert_reason(d, 0, "held by md0");
	device_list_free(devs, n);
}

static void test_machine_system_disk(void **state)
{
	struct device_info *devs;
	const struct device_info *d;
	size_t n = 0;

	(void)state;
	devs = list_fixture("sysfs-machine", &n, NULL);
	d = find(devs, n, "nvme0n1");
	assert_int_equal(d->transport, DEVICE_TRANSPORT_NVME);
	assert_string_equal(device_media_kind(d), "nvme");
	assert_string_equal(d->model, "Samsung SSD 970 EVO Plus 500GB");
	assert_string_equal(d->serial, "S4EVNX0N123456A");
	assert_string_equal(d->firmware_rev, "2B2QEXM7");
	assert_string_equal(d->wwn, "eui.0025388b71b2c3d4");
	assert_int_equal(d->size_bytes, 976773168ull * 512);
	assert_int_equal(d->physical_sector_size, 512);
	/* / is on LVM (dm-0) over nvme0n1p3: resolved through the slaves */
	assert_int_equal(d->reasons,
			 DEVICE_REASON_MOUNTED | DEVICE_REASON_HELD | DEVICE_REASON_SYSTEM);
	assert_reason(d, 0, "mounted on /boot (/dev/nvme0n1p2), /boot/efi (/dev/nvme0n1p1)");
	assert_reason(d, 1, "held by dm-0 (via nvme0n1p3)");
	assert_reason(d, 2, "system disk: holds / (/dev/mapper/vg-root)");
	assert_false(device_is_eligible(d));
	device_list_free(devs, n);
}

static void test_machine_removable(void **state)
{
	struct device_info *devs;
	const struct device_info *d;
	size_t n = 0;

	(void)state;
	devs = list_fixture("sysfs-machine", &n, NULL);

	d = find(devs, n, "sdb");	/* USB stick, partition mounted at a path with a space */
	assert_int_equal(d->transport, DEVICE_TRANSPORT_USB);
	assert_true(d->removable);
	assert_string_equal(device_media_kind(d), "usb-flash");
	assert_string_equal(d->vendor, "SanDisk");
	assert_string_equal(d->model, "Cruzer Blade");
	assert_string_equal(d->serial, "4C530001230915117350");
	assert_int_equal(d->reasons, DEVICE_REASON_MOUNTED);
	assert_reason(d, 0, "mounted on /media/stick one (/dev/sdb1)");

	d = find(devs, n, "sdf");	/* empty card reader */
	assert_int_equal(d->transport, DEVICE_TRANSPORT_USB);
	assert_int_equal(d->size_bytes, 0);
	assert_int_equal(d->reasons, DEVICE_REASON_NO_MEDIUM);
	assert_reason(d, 0, "no medium (size 0)");

	d = find(devs, n, "mmcblk0");	/* write-protected SD card */
	assert_int_equal(d->transport, DEVICE_TRANSPORT_MMC);
	assert_string_equal(device_media_kind(d), "sd-mmc");
	assert_string_equal(d->model, "SC32G");
	assert_string_equal(d->serial, "0x1a2b3c4d");
	assert_string_equal(d->firmware_rev, "0x8");
	assert_int_equal(d->reasons, DEVICE_REASON_READONLY);
	assert_reason(d, 0, "read-only (the kernel says ro)");
	device_list_free(devs, n);
}

static void test_machine_sas_swap_loop(void **state)
{
	struct device_info *devs;
	const struct device_info *d;
	size_t n = 0;

	(void)state;
	devs = list_fixture("sysfs-machine", &n, NULL);

	d = find(devs, n, "sdc");	/* btrfs (anonymous device number) and swap */
	assert_int_equal(d->transport, DEVICE_TRANSPORT_SAS);
	assert_string_equal(d->vendor, "SEAGATE");
	assert_string_equal(d->serial, "W0M1XYZ20000E123ABCD");
	assert_string_equal(d->wwn, "0x5000c50012345678");
	assert_int_equal(d->reasons, DEVICE_REASON_MOUNTED | DEVICE_REASON_SWAP);
	assert_reason(d, 0, "mounted on /srv (/dev/sdc1)");
	assert_reason(d, 1, "active swap (/dev/sdc2)");

	d = find(devs, n, "loop0");	/* a second loop device sits on it */
	assert_int_equal(d->transport, DEVICE_TRANSPORT_VIRTUAL);
	assert_string_equal(device_media_kind(d), "virtual");
	assert_string_equal(d->backing_file, "/var/tmp/custos fixture.img");
	assert_int_equal(d->size_bytes, 64ull << 20);
	assert_int_equal(d->reasons, DEVICE_REASON_HELD);
	assert_reason(d, 0, "held by loop3 (a loop device over /dev/loop0)");

	d = find(devs, n, "loop3");
	assert_string_equal(d->backing_file, "/dev/loop0");
	assert_true(device_is_eligible(d));
	device_list_free(devs, n);
}

static void test_live_system(void **state)
{
	struct device_info *devs;
	const struct device_info *d;
	size_t n = 0;

	(void)state;
	devs = list_fixture("sysfs-live", &n, NULL);
	assert_int_equal(n, 3);
	d = find(devs, n, "sda");
	assert_true(device_is_eligible(d));
	assert_string_equal(d->serial, "WD-WX11A1234567");
	d = find(devs, n, "sdb");	/* the boot medium of a live system */
	assert_int_equal(d->reasons, DEVICE_REASON_MOUNTED | DEVICE_REASON_SYSTEM);
	assert_reason(d, 0, "mounted on /run/live/medium (/dev/sdb1)");
	assert_reason(d, 1, "system disk: holds /run/live/medium (/dev/sdb1)");
	d = find(devs, n, "loop0");
	assert_int_equal(d->reasons, DEVICE_REASON_MOUNTED | DEVICE_REASON_READONLY);
	device_list_free(devs, n);
}

/* sysfs-toram with the proc tree @proc and the fixture's own /dev links. */
static struct device_info *list_toram(const char *proc, size_t *n)
{
	static char sys[PATH_MAX], prc[PATH_MAX], dev[PATH_MAX], udev[PATH_MAX];
	const char *top = getenv("CUSTOS_SYSFS_FIXTURES");
	struct device_info *devs = NULL;
	struct device_roots r;
	char *cause = NULL;

	if (!top)
		top = "tests/sysfs-fixtures";
	snprintf(sys, sizeof(sys), "%s/sysfs-toram/sys", top);
	snprintf(prc, sizeof(prc), "%s/sysfs-toram/%s", top, proc);
	snprintf(dev, sizeof(dev), "%s/sysfs-toram/dev", top);
	snprintf(udev, sizeof(udev), "%s/sysfs-toram/no-udev", top);
	r = (struct device_roots){ .sysfs = sys, .proc = prc, .dev = dev, .udev_db = udev };
	device_set_roots(&r);
	assert_int_equal(device_list(NULL, &devs, n, &cause), 0);
	assert_null(cause);
	return devs;
}

/* A live system copied to RAM (toram) no longer mounts its medium: the
 * kernel command line still names it, by UUID or by label; root= by
 * PARTUUID marks an internal disk; GRUB's BOOT_IMAGE=(hd0,gpt2) is ignored. */
static void test_cmdline_boot_medium(void **state)
{
	struct device_info *devs;
	const struct device_info *d;
	size_t n = 0;

	(void)state;
	devs = list_toram("proc", &n);
	assert_int_equal(n, 3);
	assert_true(device_is_eligible(find(devs, n, "sda")));
	assert_true(device_is_eligible(find(devs, n, "sdc")));
	d = find(devs, n, "sdb");
	assert_int_equal(d->reasons, DEVICE_REASON_SYSTEM);
	assert_reason(d, 0, "system disk: boot medium named on the kernel command line "
		      "(live-media=UUID=2024-06-10-12-00-00-00)");
	device_list_free(devs, n);

	devs = list_toram("proc-label", &n);
	d = find(devs, n, "sdb");
	assert_int_equal(d->reasons, DEVICE_REASON_SYSTEM);
	assert_reason(d, 0, "system disk: boot medium named on the kernel command line "
		      "(live-media=LABEL=CUSTOS LIVE)");
	assert_true(device_is_eligible(find(devs, n, "sda")));
	device_list_free(devs, n);

	devs = list_toram("proc-root", &n);
	d = find(devs, n, "sda");
	assert_int_equal(d->reasons, DEVICE_REASON_SYSTEM);
	assert_reason(d, 0, "system disk: boot medium named on the kernel command line "
		      "(root=PARTUUID=1234abcd-02)");
	assert_true(device_is_eligible(find(devs, n, "sdb")));
	assert_true(device_is_eligible(find(devs, n, "sdc")));
	device_list_free(devs, n);
	device_set_roots(NULL);
}

static void put_file(const char *dir, const char *rel, const char *text)
{
	char *path = util_asprintf("%s/%s", dir, rel), *slash;

	assert_non_null(path);
	slash = strrchr(path, '/');
	*slash = '\0';
	assert_int_equal(util_mkdir_p(path, 0755), 0);
	*slash = '/';
	assert_int_equal(util_write_file_atomic(path, text, strlen(text), 0644), 0);
	free(path);
}

/* A tree made at run time: loop5 backs onto an image in the virtual dir. */
struct tmp_tree {
	char dir[64];
	char *img;
};

static int tree_setup(void **state)
{
	static struct tmp_tree t;
	struct device_roots r;
	char *backing, *sys, *proc;
	int fd;

	util_strlcpy(t.dir, "/tmp/custos-test-device-XXXXXX", sizeof(t.dir));
	assert_non_null(mkdtemp(t.dir));
	t.img = util_asprintf("%s/virtual/disk.img", t.dir);
	put_file(t.dir, "virtual/other.img", "x");
	put_file(t.dir, "virtual/notes.txt", "not an image");
	put_file(t.dir, "virtual/.hidden.img", "");
	fd = open(t.img, O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 1 << 20), 0);
	assert_int_equal(util_close(fd), 0);
	backing = util_asprintf("%s\n", t.img);
	put_file(t.dir, "sys/block/loop5/dev", "7:5\n");
	put_file(t.dir, "sys/block/loop5/size", "2048\n");
	put_file(t.dir, "sys/block/loop5/loop/backing_file", backing);
	put_file(t.dir, "sys/block/sdz/dev", "8:400\n");	/* no size: vanishing */
	put_file(t.dir, "proc/self/mountinfo", "");
	free(backing);
	sys = util_asprintf("%s/sys", t.dir);
	proc = util_asprintf("%s/proc", t.dir);
	r = (struct device_roots){ .sysfs = sys, .proc = proc, .dev = "/dev",
				   .udev_db = "/nonexistent" };
	device_set_roots(&r);
	free(sys);
	free(proc);
	*state = &t;
	return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int rm_rf(const char *path)
{
	return nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int tree_teardown(void **state)
{
	struct tmp_tree *t = *state;

	rm_rf(t->dir);
	free(t->img);
	device_set_roots(NULL);
	return 0;
}

static void test_virtual_backing(void **state)
{
	struct tmp_tree *t = *state;
	struct device_info *devs = NULL;
	const struct device_info *d;
	char *vdir = util_asprintf("%s/virtual", t->dir);
	size_t n = 0;

	assert_int_equal(device_list(vdir, &devs, &n, NULL), 0);
	assert_int_equal(n, 3);	/* loop5, disk.img, other.img; sdz vanished */
	d = find(devs, n, "loop5");
	assert_string_equal(d->backing_file, t->img);
	assert_true(device_is_eligible(d));
	d = find(devs, n, "disk.img");
	assert_int_equal(d->transport, DEVICE_TRANSPORT_FILE);
	assert_string_equal(d->path, t->img);
	assert_int_equal(d->size_bytes, 1 << 20);
	assert_int_equal(d->logical_sector_size, 512);
	assert_int_equal(d->physical_sector_size, 4096);
	assert_int_equal(d->reasons, DEVICE_REASON_BACKING);
	assert_reason(d, 0, "backs loop device /dev/loop5");
	d = find(devs, n, "other.img");
	assert_true(device_is_eligible(d));
	assert_int_equal(d->size_bytes, 1);
	device_list_free(devs, n);
	free(vdir);
}

static void test_probe_file(void **state)
{
	struct tmp_tree *t = *state;
	struct device_info d;
	char *cause = NULL, *other;

	assert_int_equal(device_probe(t->img, &d, &cause), 0);
	assert_int_equal(d.reasons, DEVICE_REASON_BACKING);
	assert_string_equal(d.name, "disk.img");
	device_info_clear(&d);

	other = util_asprintf("%s/virtual/other.img", t->dir);
	assert_int_equal(chmod(other, 0444), 0);
	assert_int_equal(device_probe(other, &d, &cause), 0);
	if (geteuid() != 0) {	/* root may write anyway */
		assert_int_equal(d.reasons, DEVICE_REASON_READONLY);
		assert_non_null(strstr(d.reason_text[0], "read-only file"));
	}
	device_info_clear(&d);
	free(other);

	assert_int_equal(device_probe(t->dir, &d, &cause), -ENOTBLK);
	assert_non_null(strstr(cause, t->dir));
	free(cause);
	cause = NULL;
	assert_int_equal(device_probe("/nonexistent/disk.img", &d, &cause), -ENOENT);
	assert_non_null(strstr(cause, "/nonexistent/disk.img"));
	free(cause);
}

static void test_json(void **state)
{
	struct tmp_tree *t = *state;
	struct device_info d;
	json_t *j;

	assert_int_equal(device_probe(t->img, &d, NULL), 0);
	j = device_to_json(&d);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "path")), t->img);
	assert_string_equal(json_string_value(json_object_get(j, "transport")), "file");
	assert_string_equal(json_string_value(json_object_get(j, "media_kind")), "virtual");
	assert_int_equal(json_integer_value(json_object_get(j, "size_bytes")), 1 << 20);
	assert_int_equal(json_integer_value(json_object_get(j, "logical_sector_size")), 512);
	assert_int_equal(json_integer_value(json_object_get(j, "physical_sector_size")), 4096);
	assert_true(json_is_false(json_object_get(j, "eligible")));
	assert_true(json_is_false(json_object_get(j, "rotational")));
	assert_true(json_is_null(json_object_get(j, "smart")));
	assert_true(json_is_null(json_object_get(j, "firmware")));
	assert_true(json_is_null(json_object_get(j, "serial")));
	assert_true(json_is_null(json_object_get(j, "wwn")));
	assert_string_equal(json_string_value(json_object_get(j, "backing_file")), t->img);
	assert_int_equal(json_array_size(json_object_get(j, "reasons")), 1);
	assert_string_equal(json_string_value(json_array_get(json_object_get(j, "reasons"), 0)),
			    "backs loop device /dev/loop5");
	json_decref(j);
	device_info_clear(&d);
}

static void test_smart_json_and_names(void **state)
{
	struct device_info d;
	json_t *j, *sm;

	(void)state;
	memset(&d, 0, sizeof(d));
	util_strlcpy(d.path, "/dev/sdx", sizeof(d.path));
	util_strlcpy(d.name, "sdx", sizeof(d.name));
	d.transport = DEVICE_TRANSPORT_SATA;
	d.smart.available = true;
	d.smart.good = true;
	util_strlcpy(d.smart.overall, "GOOD", sizeof(d.smart.overall));
	d.smart.power_on_hours = 1234;
	d.smart.reallocated_sectors = UINT64_MAX;
	d.smart.temperature_c = 31.0;
	assert_int_equal(device_add_reason(&d, DEVICE_REASON_IN_USE, "in use by %d", 42), 0);
	assert_int_equal(device_add_reason(&d, DEVICE_REASON_IN_USE, "again"), 0);
	assert_int_equal(d.n_reasons, 1);
	j = device_to_json(&d);
	sm = json_object_get(j, "smart");
	assert_string_equal(json_string_value(json_object_get(sm, "overall")), "GOOD");
	assert_true(json_is_true(json_object_get(sm, "good")));
	assert_int_equal(json_integer_value(json_object_get(sm, "power_on_hours")), 1234);
	assert_true(json_is_null(json_object_get(sm, "reallocated_sectors")));
	assert_true(json_real_value(json_object_get(sm, "temperature_c")) > 30.0);
	assert_string_equal(json_string_value(json_array_get(json_object_get(j, "reasons"), 0)),
			    "in use by 42");
	json_decref(j);
	device_info_clear(&d);

	assert_string_equal(device_transport_name(DEVICE_TRANSPORT_NVME), "nvme");
	assert_string_equal(device_transport_name(DEVICE_TRANSPORT_FILE), "file");
	assert_string_equal(device_reason_name(DEVICE_REASON_BACKING), "backing");
	assert_string_equal(device_reason_name(DEVICE_REASON_SYSTEM), "system");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_machine_disks),
		cmocka_unit_test(test_machine_system_disk),
		cmocka_unit_test(test_machine_removable),
		cmocka_unit_test(test_machine_sas_swap_loop),
		cmocka_unit_test(test_live_system),
		cmocka_unit_test(test_cmdline_boot_medium),
		cmocka_unit_test(test_smart_json_and_names),
	};
	const struct CMUnitTest tree_tests[] = {
		cmocka_unit_test(test_virtual_backing),
		cmocka_unit_test(test_probe_file),
		cmocka_unit_test(test_json),
	};
	int rc;

	rc = cmocka_run_group_tests_name("device fixtures", tests, NULL, NULL);
	rc += cmocka_run_group_tests_name("device files", tree_tests, tree_setup, tree_teardown);
	device_set_roots(NULL);
	return rc;
}
