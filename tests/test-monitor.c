/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unit tests for src/monitor.c: the polled fingerprint over a fake sysfs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <ftw.h>

#include "monitor.h"
#include "util.h"

struct fixture {
	char root[64];
	char path[256];
	struct monitor *mon;
};

static void put(struct fixture *fx, const char *rel, const char *text)
{
	snprintf(fx->path, sizeof(fx->path), "%s/%s", fx->root, rel);
	assert_int_equal(util_write_file_atomic(fx->path, text, strlen(text), 0644), 0);
}

static void dir(struct fixture *fx, const char *rel)
{
	snprintf(fx->path, sizeof(fx->path), "%s/%s", fx->root, rel);
	assert_int_equal(util_mkdir_p(fx->path, 0755), 0);
}

static void wait_poll(void)
{
	struct timespec ts = { 0, 3 * 1000 * 1000 };

	nanosleep(&ts, NULL);
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	struct monitor_opts opts = { .poll_ms = 1, .no_udev = true };
	char sysfs[128], proc[128], virt[128];

	if (!fx)
		return -1;
	snprintf(fx->root, sizeof(fx->root), "/tmp/custos-monitor.XXXXXX");
	if (!mkdtemp(fx->root))
		return -1;
	dir(fx, "sys/block/loop0/holders");
	put(fx, "sys/block/loop0/size", "0\n");
	dir(fx, "proc/self");
	put(fx, "proc/self/mountinfo", "1 0 8:1 / / rw - ext4 /dev/vda1 rw\n");
	dir(fx, "virtual");
	snprintf(sysfs, sizeof(sysfs), "%s/sys", fx->root);
	snprintf(proc, sizeof(proc), "%s/proc", fx->root);
	snprintf(virt, sizeof(virt), "%s/virtual", fx->root);
	opts.sysfs = sysfs;
	opts.proc = proc;
	opts.virtual_dir = virt;
	if (monitor_open(&opts, &fx->mon, NULL) != 0)
		return -1;
	*state = fx;
	return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	monitor_close(fx->mon);
	nftw(fx->root, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
	free(fx);
	return 0;
}

static void test_first_call(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(monitor_fd(fx->mon), -1);
	assert_false(monitor_has_udev(fx->mon));
	assert_int_equal(monitor_changed(fx->mon), 1);
	wait_poll();
	assert_int_equal(monitor_changed(fx->mon), 0);
}

static void test_changes(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(monitor_changed(fx->mon), 1);
	wait_poll();
	assert_int_equal(monitor_changed(fx->mon), 0);
	/* a loop device attached: its size changes */
	put(fx, "sys/block/loop0/size", "131072\n");
	wait_poll();
	assert_int_equal(monitor_changed(fx->mon), 1);
	wait_poll();
	assert_int_equal(monitor_changed(fx->mon), 0);
	/* a new disk */
	dir(fx, "sys/block/sdb");
	put(fx, "sys/block/sdb/size", "2048\n");
	wait_poll();
	assert_int_equal(monitor_changed(fx->mon), 1);
	/* a mount */
	wait_poll();
	put(fx, "proc/self/mountinfo", "1 0 8:1 / / rw - ext4 /dev/vda1 rw\n"
	    "2 1 8:16 / /mnt rw - vfat /dev/sdb rw\n");
	wait_poll();
	assert_int_equal(monitor_changed(fx->mon), 1);
	/* a virtual medium */
	wait_poll();
	put(fx, "virtual/usb-stick.img", "data");
	wait_poll();
	assert_int_equal(monitor_changed(fx->mon), 1);
	/* a holder appears (dm on top) */
	wait_poll();
	dir(fx, "sys/block/sdb/holders/dm-0");
	wait_poll();
	assert_int_equal(monitor_changed(fx->mon), 1);
	wait_poll();
	assert_int_equal(monitor_changed(fx->mon), 0);
}

static void test_defaults(void **state)
{
	struct monitor *mon;

	(void)state;
	/* the real system: never fails, with or without udev */
	assert_int_equal(monitor_open(NULL, &mon, NULL), 0);
	assert_int_equal(monitor_changed(mon), 1);
	monitor_close(mon);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_first_call, setup, teardown),
		cmocka_unit_test_setup_teardown(test_changes, setup, teardown),
		cmocka_unit_test(test_defaults),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
