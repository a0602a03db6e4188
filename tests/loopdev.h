/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CUSTOS_TESTS_LOOPDEV_H
#define CUSTOS_TESTS_LOOPDEV_H

/*
 * A loop device of a test's own, over files it made in its own directory
 * (a.img 1 MiB of 'A', b.img 2 MiB of 'B'), attached and re-attached with
 * the loop ioctls.  Only for cmocka tests run as root; never another disk.
 */

#include <fcntl.h>
#include <linux/loop.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

static void loopdev_fill(const char *path, int c, size_t size)
{
	char *buf = malloc(size);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	assert_non_null(buf);
	assert_true(fd >= 0);
	memset(buf, c, size);
	assert_int_equal(write(fd, buf, size), (ssize_t)size);
	assert_int_equal(close(fd), 0);
	free(buf);
}

struct loopt {
	char dir[64], a[96], b[96], name[32];
	int ctl, fd, back;
};

/* Attach @file to the loop device open at @l->fd: 0, or -1 (busy). */
static int loop_attach(struct loopt *l, const char *file)
{
	int back = open(file, O_RDWR | O_CLOEXEC), rc;

	assert_true(back >= 0);
	rc = ioctl(l->fd, LOOP_SET_FD, back);
	assert_int_equal(close(back), 0);
	return rc;
}

/* A free loop device of our own over @l->a; false when none can be had
 * (no loop support, not root, or others took every one we tried). */
static bool loop_setup(struct loopt *l)
{
	snprintf(l->dir, sizeof(l->dir), "/tmp/custos-test-medium-XXXXXX");
	if (geteuid() != 0 || access("/dev/loop-control", W_OK) != 0 || !mkdtemp(l->dir))
		return false;
	snprintf(l->a, sizeof(l->a), "%s/a.img", l->dir);
	snprintf(l->b, sizeof(l->b), "%s/b.img", l->dir);
	loopdev_fill(l->a, 'A', 1u << 20);
	loopdev_fill(l->b, 'B', 2u << 20);
	l->ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	for (int i = 0; l->ctl >= 0 && i < 5; i++) {
		int n = ioctl(l->ctl, LOOP_CTL_GET_FREE);

		if (n < 0)
			break;
		snprintf(l->name, sizeof(l->name), "/dev/loop%d", n);
		l->fd = open(l->name, O_RDWR | O_CLOEXEC);
		if (l->fd >= 0 && loop_attach(l, l->a) == 0)
			return true;
		if (l->fd >= 0)
			close(l->fd);
	}
	if (l->ctl >= 0)
		close(l->ctl);
	unlink(l->a);
	unlink(l->b);
	rmdir(l->dir);
	return false;
}

static void loop_teardown(struct loopt *l)
{
	ioctl(l->fd, LOOP_CLR_FD, 0);
	assert_int_equal(close(l->fd), 0);
	assert_int_equal(close(l->ctl), 0);
	unlink(l->a);
	unlink(l->b);
	rmdir(l->dir);
}

/* Detach (done at the last close) and attach @file under the same name:
 * 0, or -1 when another program took the device meanwhile (then the
 * device is no longer ours: l->fd is /dev/null). */
static int loop_reattach(struct loopt *l, const char *file)
{
	assert_int_equal(ioctl(l->fd, LOOP_CLR_FD, 0), 0);
	assert_int_equal(close(l->fd), 0);
	l->fd = open(l->name, O_RDWR | O_CLOEXEC);
	assert_true(l->fd >= 0);
	if (loop_attach(l, file) == 0)
		return 0;
	assert_int_equal(close(l->fd), 0);
	l->fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	return -1;
}

#endif
