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
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ata.h"
#include "blkio.h"
#include "device-private.h"
#include "util.h"
#include "loopdev.h"

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
	/* t.dir plays the station's state directory: media live in virtual/ */
	assert_int_equal(device_set_media_dirs(t.dir, NULL, 0), 0);
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
	device_set_media_dirs(NULL, NULL, 0);
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
	assert_string_equal(d->serial, "");
	device_list_free(devs, n);

	/* an image's serial number: user.custos.serial, printable ASCII only */
	if (setxattr(t->img, "user.custos.serial", "VS-0001", 7, 0) == 0) {
		char *other = util_asprintf("%s/virtual/other.img", t->dir);

		assert_int_equal(setxattr(other, "user.custos.serial", "bad serial", 10, 0), 0);
		assert_int_equal(device_list(vdir, &devs, &n, NULL), 0);
		assert_string_equal(find(devs, n, "disk.img")->serial, "VS-0001");
		assert_string_equal(find(devs, n, "other.img")->serial, "");
		device_list_free(devs, n);
		assert_int_equal(removexattr(t->img, "user.custos.serial"), 0);
		assert_int_equal(removexattr(other, "user.custos.serial"), 0);
		free(other);
	}
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

/* A file of @size bytes filled with @c at @path. */
static void make_file(const char *path, int c, size_t size)
{
	char *buf = malloc(size);

	assert_non_null(buf);
	memset(buf, c, size);
	assert_int_equal(util_write_file_atomic(path, buf, size, 0644), 0);
	free(buf);
}

/* Does @path hold @size bytes of @c? */
static bool holds(const char *path, int c, size_t size)
{
	char *data = NULL;
	size_t n = 0;
	bool ok;

	assert_int_equal(util_read_file(path, &data, &n), 0);
	ok = n == size;
	for (size_t i = 0; ok && i < n; i++)
		ok = data[i] == (char)c;
	free(data);
	return ok;
}

/* Probe @path: its reasons; the first message into @text. */
static unsigned probe_reasons(const char *path, char *text, size_t len)
{
	struct device_info d;
	char *cause = NULL;
	unsigned r;

	assert_int_equal(device_probe(path, &d, &cause), 0);
	r = d.reasons;
	util_strlcpy(text, d.n_reasons ? d.reason_text[0] : "", len);
	device_info_clear(&d);
	return r;
}

static void test_file_places(void **state)
{
	struct tmp_tree *t = *state;
	char out[64] = "/tmp/custos-test-out-XXXXXX", text[512];
	char *outside, *key, *lnk, *hard, *conf;

	assert_non_null(mkdtemp(out));
	outside = util_asprintf("%s/outside.img", out);
	key = util_asprintf("%s/station.key", t->dir);
	lnk = util_asprintf("%s/virtual/link.img", t->dir);
	hard = util_asprintf("%s/virtual/hard.img", t->dir);
	conf = util_asprintf("%s/virtual/sub/deep.img", t->dir);
	make_file(outside, 'S', 4096);
	make_file(key, 'K', 100);
	put_file(t->dir, "virtual/sub/deep.img", "deep");

	/* outside every media directory */
	assert_int_equal(probe_reasons(outside, text, sizeof(text)), DEVICE_REASON_NOT_MEDIUM);
	assert_non_null(strstr(text, "not a virtual medium"));
	/* the state directory outside virtual/ */
	assert_int_equal(probe_reasons(key, text, sizeof(text)), DEVICE_REASON_NOT_MEDIUM);
	assert_non_null(strstr(text, "state directory"));
	/* virtual/, at any depth */
	assert_int_equal(probe_reasons(conf, text, sizeof(text)), 0);
	/* a symbolic link in virtual/ to a file outside: where it leads counts */
	assert_int_equal(symlink(outside, lnk), 0);
	assert_int_equal(probe_reasons(lnk, text, sizeof(text)), DEVICE_REASON_NOT_MEDIUM);
	assert_non_null(strstr(text, "the path leads to"));
	/* a second name in virtual/ for a file outside */
	assert_int_equal(link(outside, hard), 0);
	assert_int_equal(probe_reasons(hard, text, sizeof(text)), DEVICE_REASON_UNSAFE);
	assert_non_null(strstr(text, "2 hard links"));
	assert_int_equal(unlink(hard), 0);
	/* a directory the administrator named */
	assert_int_equal(device_set_media_dirs(t->dir, (const char *const[]){ out }, 1), 0);
	assert_int_equal(probe_reasons(outside, text, sizeof(text)), 0);
	assert_int_equal(probe_reasons(lnk, text, sizeof(text)), 0);
	/* ... which never opens the state directory */
	assert_int_equal(device_set_media_dirs(t->dir, (const char *const[]){ t->dir }, 1), 0);
	assert_int_equal(probe_reasons(key, text, sizeof(text)), DEVICE_REASON_NOT_MEDIUM);
	/* no station, no named directory: no file is a medium */
	assert_int_equal(device_set_media_dirs(NULL, NULL, 0), 0);
	assert_int_equal(probe_reasons(conf, text, sizeof(text)), DEVICE_REASON_NOT_MEDIUM);
	assert_int_equal(device_set_media_dirs(t->dir, NULL, 0), 0);
	assert_true(holds(outside, 'S', 4096));
	assert_true(holds(key, 'K', 100));

	assert_int_equal(unlink(lnk), 0);
	rm_rf(out);
	free(outside);
	free(key);
	free(lnk);
	free(hard);
	free(conf);
}

static void test_file_owner(void **state)
{
	struct tmp_tree *t = *state;
	char *dir, *img, text[512];

	if (geteuid() != 0)
		skip();	/* chown needs root */
	dir = util_asprintf("%s/virtual/shared", t->dir);
	img = util_asprintf("%s/usb.img", dir);
	assert_int_equal(mkdir(dir, 0777), 0);
	assert_int_equal(chmod(dir, 01777), 0);
	make_file(img, 'U', 512);
	assert_int_equal(probe_reasons(img, text, sizeof(text)), 0);	/* root's own file */
	assert_int_equal(chown(img, 1000, 1000), 0);
	assert_int_equal(probe_reasons(img, text, sizeof(text)), DEVICE_REASON_UNSAFE);
	assert_non_null(strstr(text, "owned by uid 1000"));
	assert_int_equal(chmod(dir, 0755), 0);		/* root's directory, closed */
	assert_int_equal(probe_reasons(img, text, sizeof(text)), 0);
	assert_int_equal(chown(dir, 1000, 1000), 0);	/* the user's own directory */
	assert_int_equal(probe_reasons(img, text, sizeof(text)), DEVICE_REASON_UNSAFE);
	free(img);
	free(dir);
}

static void test_media_dir_valid(void **state)
{
	static const char *const bad[] = {
		"/", "/etc", "/usr", "/boot", "/var", "/var/lib", "/usr/local/images",
		"/etc/custos", "relative/dir", "/home", "/tmp", "/var/", "//",
	};
	char *cause = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(device_media_dir_valid(bad[i], &cause), -EINVAL);
		assert_non_null(strstr(cause, bad[i]));
		free(cause);
		cause = NULL;
	}
	assert_int_equal(device_media_dir_valid("/var/lib/libvirt/images", &cause), 0);
	assert_int_equal(device_media_dir_valid("/srv/media", &cause), 0);
	assert_int_equal(device_media_dir_valid("/tmp/custos-x", &cause), 0);
	assert_null(cause);
}

/* The guard runs on the descriptor: the name may change, the file may not. */
static void test_guard_fd_swap(void **state)
{
	struct tmp_tree *t = *state;
	char out[64] = "/tmp/custos-test-out-XXXXXX";
	char *outside, *good, *link, *moved, *other, *cause = NULL, text[512];
	struct device_info d;
	struct blkio io;
	int fd;

	assert_non_null(mkdtemp(out));
	outside = util_asprintf("%s/secret", out);
	good = util_asprintf("%s/virtual/good.img", t->dir);
	link = util_asprintf("%s/virtual/swap.img", t->dir);
	make_file(outside, 'S', 8192);
	make_file(good, 'G', 8192);

	/* checked while it led into virtual/, swapped before the open */
	assert_int_equal(symlink(good, link), 0);
	assert_int_equal(probe_reasons(link, text, sizeof(text)), 0);
	assert_int_equal(unlink(link), 0);
	assert_int_equal(symlink(outside, link), 0);
	assert_int_equal(blkio_open(&io, link, BLKIO_WRITE, NULL, &cause), -EPERM);
	assert_non_null(strstr(cause, "not a virtual medium"));
	free(cause);
	cause = NULL;
	assert_true(holds(outside, 'S', 8192));

	/* a descriptor keeps its file whatever the name becomes */
	fd = open(good, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	assert_true(fd >= 0);
	moved = util_asprintf("%s/virtual/moved.img", t->dir);
	assert_int_equal(rename(good, moved), 0);
	assert_int_equal(symlink(outside, good), 0);	/* the name now leads outside */
	assert_int_equal(device_guard_fd(fd, good, &cause), 0);
	assert_int_equal(unlink(moved), 0);		/* a file with no name left */
	assert_int_equal(device_guard_fd(fd, good, &cause), -EPERM);
	assert_non_null(strstr(cause, "no name"));
	assert_int_equal(util_close(fd), 0);
	fd = open(outside, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(device_guard_fd(fd, good, &cause), -EPERM);
	assert_non_null(strstr(cause, "not a virtual medium"));
	free(cause);
	cause = NULL;
	assert_int_equal(util_close(fd), 0);
	/* and the name itself is never followed by the open */
	assert_int_equal(blkio_open(&io, good, BLKIO_WRITE, NULL, &cause), -EPERM);
	free(cause);
	cause = NULL;
	assert_true(holds(outside, 'S', 8192));
	free(moved);

	/* a link turned to another virtual medium: not the medium confirmed */
	other = util_asprintf("%s/virtual/other-medium.img", t->dir);
	make_file(good, 'G', 8192);
	make_file(other, 'O', 8192);
	unlink(link);
	assert_int_equal(symlink(good, link), 0);
	assert_int_equal(device_probe(link, &d, &cause), 0);
	assert_true(device_is_eligible(&d));
	assert_int_equal(unlink(link), 0);
	assert_int_equal(symlink(other, link), 0);
	assert_int_equal(blkio_open_device(&io, &d, BLKIO_WRITE, NULL, &cause), -EAGAIN);
	assert_non_null(strstr(cause, "another file or device than the one checked"));
	assert_int_equal(unlink(link), 0);
	assert_int_equal(symlink(good, link), 0);
	assert_int_equal(blkio_open_device(&io, &d, BLKIO_WRITE, NULL, &cause), 0);
	assert_int_equal(blkio_close(&io), 0);
	device_info_clear(&d);
	free(cause);
	cause = NULL;
	assert_true(holds(other, 'O', 8192));
	unlink(other);
	free(other);

	unlink(link);
	unlink(good);
	rm_rf(out);
	free(outside);
	free(good);
	free(link);
}

/* An image file is locked for as long as a writer has it open. */
static void test_file_lock(void **state)
{
	struct tmp_tree *t = *state;
	char *img = util_asprintf("%s/virtual/lock.img", t->dir), *cause = NULL, text[512];
	struct blkio a, b;
	int fd, p[2];
	pid_t pid;
	char c;

	make_file(img, 'L', 65536);
	assert_int_equal(blkio_open(&a, img, BLKIO_WRITE, NULL, &cause), 0);
	assert_int_equal(blkio_open(&b, img, BLKIO_WRITE, NULL, &cause), -EBUSY);
	assert_non_null(strstr(cause, "in use"));
	free(cause);
	cause = NULL;
	assert_int_equal(blkio_open(&b, img, 0, NULL, &cause), 0);	/* reading is fine */
	assert_int_equal(blkio_close(&b), 0);
	assert_int_equal(blkio_close(&a), 0);
	assert_int_equal(blkio_open(&a, img, BLKIO_WRITE, NULL, &cause), 0);
	assert_int_equal(blkio_close(&a), 0);

	/* another process holds flock: named in the probe and the refusal */
	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		fd = open(img, O_RDONLY);
		if (fd < 0 || flock(fd, LOCK_EX) < 0 || write(p[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	assert_int_equal(read(p[0], &c, 1), 1);
	assert_int_equal(probe_reasons(img, text, sizeof(text)), DEVICE_REASON_IN_USE);
	assert_non_null(strstr(text, "locked (flock) by pid"));
	assert_int_equal(blkio_open(&a, img, BLKIO_WRITE, NULL, &cause), -EBUSY);
	assert_non_null(strstr(cause, "locked (flock) by pid"));
	free(cause);
	cause = NULL;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);

	/* another process has it open for writing, no lock at all */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		fd = open(img, O_WRONLY);
		if (fd < 0 || write(p[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	assert_int_equal(read(p[0], &c, 1), 1);
	assert_int_equal(probe_reasons(img, text, sizeof(text)), DEVICE_REASON_IN_USE);
	assert_non_null(strstr(text, "open for writing by pid"));
	assert_int_equal(blkio_open(&a, img, BLKIO_WRITE, NULL, &cause), -EBUSY);
	assert_non_null(strstr(cause, "open for writing by pid"));
	free(cause);
	cause = NULL;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	/* another process holds an OFD read lock (no pid in /proc/locks) */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct flock fl = { .l_type = F_RDLCK, .l_whence = SEEK_SET };

		fd = open(img, O_RDONLY);
		if (fd < 0 || fcntl(fd, F_OFD_SETLK, &fl) < 0 || write(p[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	assert_int_equal(read(p[0], &c, 1), 1);
	assert_int_equal(probe_reasons(img, text, sizeof(text)), DEVICE_REASON_IN_USE);
	assert_non_null(strstr(text, "(a lock)"));
	assert_int_equal(blkio_open(&a, img, BLKIO_WRITE, NULL, &cause), -EBUSY);
	assert_non_null(strstr(cause, "OFD lock refused"));
	assert_non_null(strstr(cause, "by pid"));
	free(cause);
	cause = NULL;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	assert_int_equal(blkio_open(&a, img, BLKIO_WRITE, NULL, &cause), 0);
	assert_int_equal(blkio_close(&a), 0);
	assert_true(holds(img, 'L', 65536));
	close(p[0]);
	close(p[1]);
	unlink(img);
	free(img);
}

/* A partition is a guard refusal, not an error. */
static void test_partition(void **state)
{
	char dir[64] = "/tmp/custos-test-part-XXXXXX", *node, *cause = NULL;
	struct device_info d;
	int fd;

	(void)state;
	if (geteuid() != 0)
		skip();	/* mknod needs root */
	assert_non_null(mkdtemp(dir));
	node = util_asprintf("%s/sdb1", dir);
	/* sdb1 of the fixture machine; O_PATH only: the node is never opened */
	assert_int_equal(mknod(node, S_IFBLK | 0600, makedev(8, 17)), 0);
	use_fixture("sysfs-machine");
	assert_int_equal(device_probe(node, &d, &cause), 0);
	assert_int_equal(d.reasons, DEVICE_REASON_PARTITION);
	assert_string_equal(d.name, "sdb1");
	assert_int_equal(d.size_bytes, 31264768ull * 512);
	assert_reason(&d, 0, "a partition (sdb1 of sdb): name the whole disk /dev/sdb");
	assert_string_equal(device_reason_name(DEVICE_REASON_PARTITION), "partition");
	device_info_clear(&d);
	fd = open(node, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(device_guard_fd(fd, node, &cause), -EPERM);
	assert_non_null(strstr(cause, "a partition"));
	free(cause);
	assert_int_equal(util_close(fd), 0);
	device_set_roots(NULL);
	unlink(node);
	rmdir(dir);
	free(node);
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
	assert_true(json_is_true(json_object_get(sm, "available")));
	assert_true(json_is_null(json_object_get(sm, "source")));	/* not set here */
	assert_string_equal(json_string_value(json_array_get(json_object_get(j, "reasons"), 0)),
			    "in use by 42");
	json_decref(j);
	device_info_clear(&d);

	/* tried and failed: the reason instead of null */
	memset(&d.smart, 0, sizeof(d.smart));
	util_strlcpy(d.smart.unavailable, "libatasmart: read data: Operation not supported; "
		     "SG_IO: SMART RETURN STATUS: aborted", sizeof(d.smart.unavailable));
	j = device_to_json(&d);
	sm = json_object_get(j, "smart");
	assert_true(json_is_false(json_object_get(sm, "available")));
	assert_non_null(strstr(json_string_value(json_object_get(sm, "reason")), "SG_IO: SMART"));
	json_decref(j);

	/* read through custos's own ATA path */
	{
		struct ata_smart a = { .status_known = true, .good = false, .power_on_hours = 556,
				       .reallocated_sectors = 3, .temperature_c = 38 };

		memset(&d.smart, 0, sizeof(d.smart));
		device_smart_from_ata(&d.smart, &a);
		j = device_to_json(&d);
		sm = json_object_get(j, "smart");
		assert_string_equal(json_string_value(json_object_get(sm, "source")), "sg_io");
		assert_string_equal(json_string_value(json_object_get(sm, "overall")), "BAD_STATUS");
		assert_true(json_is_false(json_object_get(sm, "good")));
		assert_int_equal(json_integer_value(json_object_get(sm, "power_on_hours")), 556);
		assert_int_equal(json_integer_value(json_object_get(sm, "reallocated_sectors")), 3);
		assert_true(json_real_value(json_object_get(sm, "temperature_c")) == 38.0);
		json_decref(j);
		memset(&d.smart, 0, sizeof(d.smart));
		a = (struct ata_smart){ .asleep = true };
		device_smart_from_ata(&d.smart, &a);
		assert_false(d.smart.available);
		assert_non_null(strstr(d.smart.unavailable, "asleep"));
	}

	assert_string_equal(device_transport_name(DEVICE_TRANSPORT_NVME), "nvme");
	assert_string_equal(device_transport_name(DEVICE_TRANSPORT_FILE), "file");
	assert_string_equal(device_reason_name(DEVICE_REASON_BACKING), "backing");
	assert_string_equal(device_reason_name(DEVICE_REASON_SYSTEM), "system");
}


/* ---- a real loop device: the medium under a name ------------------------ */

/* A loop device detached and attached again on another file keeps its
 * name and device number: the anchor, the check before the start and the
 * open for writing all see another medium. */
static void test_loop_medium(void **state)
{
	struct device_info d, again;
	struct loopt l;
	struct blkio io;
	char *cause = NULL;
	uint64_t seq;
	int anchor = -1;

	(void)state;
	if (!loop_setup(&l))
		skip();
	device_set_roots(NULL);
	assert_int_equal(device_probe(l.name, &d, &cause), 0);
	if (!d.diskseq) {
		device_info_clear(&d);
		loop_teardown(&l);
		skip();	/* Linux < 5.15 */
	}
	assert_true(device_is_eligible(&d));
	assert_int_equal(device_anchor(&d, &anchor, &cause), 0);
	assert_int_equal(device_check_medium(anchor, &d, &cause), 0);

	/* detached and attached again on another file, under the same name */
	if (loop_reattach(&l, l.b) < 0) {	/* taken by another program meanwhile */
		assert_int_equal(close(anchor), 0);
		device_info_clear(&d);
		loop_teardown(&l);
		skip();
	}
	assert_int_equal(device_check_medium(anchor, &d, &cause), -EAGAIN);
	assert_non_null(strstr(cause, "the medium changed since it was checked and confirmed"));
	free(cause);
	cause = NULL;
	assert_int_equal(close(anchor), 0);
	assert_int_equal(device_anchor(&d, &anchor, &cause), -EAGAIN);
	assert_int_equal(anchor, -1);
	free(cause);
	cause = NULL;
	assert_int_equal(blkio_open_device(&io, &d, BLKIO_WRITE, NULL, &cause), -EAGAIN);
	free(cause);
	cause = NULL;
	assert_true(holds(l.b, 'B', 2u << 20));
	assert_true(holds(l.a, 'A', 1u << 20));

	/* without a sequence number (an older kernel): serial, WWN, backing file, size */
	seq = d.diskseq;
	d.diskseq = 0;
	assert_int_equal(device_check_medium(l.fd, &d, &cause), -EAGAIN);
	assert_non_null(strstr(cause, "serial, WWN, backing file or size differ"));
	free(cause);
	cause = NULL;

	/* probed again, the new medium is the one confirmed */
	assert_int_equal(device_probe(l.name, &again, &cause), 0);
	assert_true(again.diskseq > seq);
	assert_int_equal(device_check_medium(l.fd, &again, &cause), 0);
	again.diskseq = 0;
	assert_int_equal(device_check_medium(l.fd, &again, &cause), 0);
	/* nothing to tell it from another disk of its size by: refused */
	{
		char saved[sizeof(again.backing_file)];

		memcpy(saved, again.backing_file, sizeof(saved));
		again.backing_file[0] = '\0';
		again.serial[0] = again.wwn[0] = '\0';
		assert_int_equal(device_check_medium(l.fd, &again, &cause), -EAGAIN);
		assert_non_null(strstr(cause, "cannot tell it is still the medium"));
		free(cause);
		cause = NULL;
		memcpy(again.backing_file, saved, sizeof(saved));
	}
	device_info_clear(&again);
	device_info_clear(&d);
	loop_teardown(&l);
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
		cmocka_unit_test(test_media_dir_valid),
		cmocka_unit_test(test_partition),
		cmocka_unit_test(test_loop_medium),
	};
	const struct CMUnitTest tree_tests[] = {
		cmocka_unit_test(test_virtual_backing),
		cmocka_unit_test(test_probe_file),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_file_places),
		cmocka_unit_test(test_file_owner),
		cmocka_unit_test(test_guard_fd_swap),
		cmocka_unit_test(test_file_lock),
	};
	int rc;

	rc = cmocka_run_group_tests_name("device fixtures", tests, NULL, NULL);
	rc += cmocka_run_group_tests_name("device files", tree_tests, tree_setup, tree_teardown);
	device_set_roots(NULL);
	return rc;
}
