/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The overwrite engine through the blkio seam: an in-memory "block
 * device" whose ops inject short writes, EIO at chosen sectors, removal,
 * cancellation and corruption between write and verification.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blkio.h"
#include "device.h"
#include "prng.h"
#include "profile.h"
#include "util.h"
#include "wipe.h"
#include "wipe-private.h"

#define DEV_SIZE (8u << 20)
#define SECTOR 512u

struct fake {
	pthread_mutex_t lock;
	uint8_t *mem;
	uint64_t size;
	unsigned short_writes;		/* write at most half of each request */
	uint64_t bad[8];		/* sector-aligned offsets that fail writes with EIO */
	size_t n_bad;
	bool all_eio;			/* every write fails (a dead medium) */
	uint64_t bad_read;		/* a sector whose reads fail with EIO; 0: none */
	uint64_t remove_after;		/* bytes written before the device vanishes; 0: never */
	uint64_t remove_after_read;	/* bytes read before it vanishes; 0: never */
	uint64_t read;
	uint64_t written;
	bool removed;
	uint64_t corrupt_at;		/* a read covering this offset sees a flipped byte */
	bool corrupt;
	struct wipe_monitor *cancel_mon;
	uint64_t cancel_after;		/* bytes written before cancel is requested */
	bool fail_sync;
	bool no_direct;			/* open without O_DIRECT, as on old tmpfs */
	unsigned writes, syncs, drops;
};

static struct fake fk;

static bool is_bad(uint64_t off, size_t len)
{
	for (size_t i = 0; i < fk.n_bad; i++)
		if (fk.bad[i] >= off && fk.bad[i] < off + len)
			return true;
	return false;
}

static ssize_t f_pwrite(int fd, const void *buf, size_t len, off_t off, void *data)
{
	ssize_t rc;

	(void)fd;
	(void)data;
	pthread_mutex_lock(&fk.lock);
	fk.writes++;
	if (fk.removed) {
		errno = ENODEV;
		rc = -1;
	} else if (fk.all_eio || is_bad((uint64_t)off, len)) {
		errno = EIO;
		rc = -1;
	} else {
		if (fk.short_writes && len > SECTOR)
			len = len / 2 / SECTOR * SECTOR;
		memcpy(fk.mem + off, buf, len);
		fk.written += len;
		if (fk.remove_after && fk.written >= fk.remove_after)
			fk.removed = true;
		if (fk.cancel_mon && fk.written >= fk.cancel_after)
			wipe_monitor_cancel(fk.cancel_mon);
		rc = (ssize_t)len;
	}
	pthread_mutex_unlock(&fk.lock);
	return rc;
}

static ssize_t f_pread(int fd, void *buf, size_t len, off_t off, void *data)
{
	(void)fd;
	(void)data;
	pthread_mutex_lock(&fk.lock);
	if (fk.removed) {
		pthread_mutex_unlock(&fk.lock);
		errno = ENODEV;
		return -1;
	}
	if (fk.bad_read && fk.bad_read >= (uint64_t)off && fk.bad_read < (uint64_t)off + len) {
		pthread_mutex_unlock(&fk.lock);
		errno = EIO;
		return -1;
	}
	memcpy(buf, fk.mem + off, len);
	fk.read += len;
	if (fk.remove_after_read && fk.read >= fk.remove_after_read)
		fk.removed = true;
	if (fk.corrupt && fk.corrupt_at >= (uint64_t)off && fk.corrupt_at < (uint64_t)off + len)
		((uint8_t *)buf)[fk.corrupt_at - (uint64_t)off] ^= 0x40;
	pthread_mutex_unlock(&fk.lock);
	return (ssize_t)len;
}

static int f_fdatasync(int fd, void *data)
{
	(void)fd;
	(void)data;
	fk.syncs++;
	if (fk.fail_sync || fk.removed) {
		errno = fk.removed ? ENODEV : EIO;
		return -1;
	}
	return 0;
}

static int f_ioctl(int fd, unsigned long req, void *arg, void *data)
{
	(void)fd;
	(void)data;
	if (fk.removed) {
		errno = ENODEV;
		return -1;
	}
	if (req == BLKFLSBUF)
		fk.drops++;
	if (req == BLKGETSIZE64)
		*(uint64_t *)arg = fk.size;
	else if (req == BLKSSZGET)
		*(int *)arg = SECTOR;
	return 0;
}

static int f_fstat(int fd, struct stat *st, void *data)
{
	(void)fd;
	(void)data;
	memset(st, 0, sizeof(*st));
	st->st_mode = S_IFBLK | 0600;
	return 0;
}

static int f_fadvise(int fd, off_t off, off_t len, int advice, void *data)
{
	(void)fd;
	(void)off;
	(void)len;
	(void)advice;
	(void)data;
	return 0;
}

static const struct blkio_ops fake_ops = {
	.pread = f_pread, .pwrite = f_pwrite, .fdatasync = f_fdatasync,
	.ioctl = f_ioctl, .fstat = f_fstat, .fadvise = f_fadvise,
};

static char tmpdir[64];

static int setup(void **state)
{
	(void)state;
	memset(&fk, 0, sizeof(fk));
	pthread_mutex_init(&fk.lock, NULL);
	fk.size = DEV_SIZE;
	fk.mem = malloc(DEV_SIZE);
	memset(fk.mem, 0xee, DEV_SIZE);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/custos-test-wipe-XXXXXX");
	if (!fk.mem || !mkdtemp(tmpdir))
		return -1;
	/* the image files written here are virtual media of this directory */
	return device_set_media_dirs(NULL, (const char *const[]){ tmpdir }, 1);
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	free(fk.mem);
	pthread_mutex_destroy(&fk.lock);
	snprintf(cmd, sizeof(cmd), "%s/jobs/fake.json", tmpdir);
	unlink(cmd);
	snprintf(cmd, sizeof(cmd), "%s/fake.img", tmpdir);
	unlink(cmd);
	snprintf(cmd, sizeof(cmd), "%s/jobs", tmpdir);
	rmdir(cmd);
	rmdir(tmpdir);
	return 0;
}

static void load_profile(struct profile *p, const char *name, const char *passes)
{
	char *path = util_asprintf("/t/%s.profile", name);
	char *text = util_asprintf("name = %s\ntitle = test\nmethod = overwrite\n%s", name, passes);
	char *cause = NULL;

	assert_int_equal(profile_parse(path, text, p, &cause), 0);
	free(path);
	free(text);
}

struct run {
	struct profile prof;
	struct blkio io;
	struct wipe_params p;
	struct wipe_result res;
	struct wipe_monitor mon;
	char ckpt[128];
};

static void run_init(struct run *r, const char *passes, enum profile_verify verify)
{
	char *cause = NULL, path[96];
	int fd;

	memset(r, 0, sizeof(*r));
	load_profile(&r->prof, "t", passes);
	/* the injected ops act on a real, anchored and guarded file of ours */
	snprintf(path, sizeof(path), "%s/fake.img", tmpdir);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(close(fd), 0);
	assert_int_equal(blkio_open(&r->io, path, BLKIO_WRITE |
				    (fk.no_direct ? BLKIO_NO_DIRECT : 0), &fake_ops, &cause), 0);
	assert_int_equal(r->io.size, DEV_SIZE);
	wipe_monitor_init(&r->mon);
	snprintf(r->ckpt, sizeof(r->ckpt), "%s/jobs/fake.json", tmpdir);
	r->p = (struct wipe_params){ .profile = &r->prof, .verify = verify, .io = &r->io,
				     .monitor = &r->mon, .serial = "SER1",
				     .checkpoint_path = r->ckpt, .block_size = 1u << 20 };
}

static int run_go(struct run *r)
{
	char *cause = NULL;
	int rc = wipe_run(&r->p, &r->res, &cause);

	free(cause);
	return rc;
}

static void run_done(struct run *r)
{
	wipe_result_clear(&r->res);
	wipe_monitor_destroy(&r->mon);
	blkio_close(&r->io);
}

static bool all_bytes(uint64_t off, uint64_t len, uint8_t b)
{
	for (uint64_t i = off; i < off + len; i++)
		if (fk.mem[i] != b)
			return false;
	return true;
}

/* Pattern generation ------------------------------------------------------- */

static void test_pattern_fill(void **state)
{
	const uint8_t pat[3] = { 0x92, 0x49, 0x24 };
	uint8_t whole[10007], parts[10007];

	(void)state;
	wipe_pattern_fill(pat, 3, false, 5, whole, sizeof(whole));
	for (size_t i = 0; i < sizeof(whole); i++)
		assert_int_equal(whole[i], pat[(5 + i) % 3]);
	/* Across buffer boundaries at odd offsets: the same bytes. */
	wipe_pattern_fill(pat, 3, false, 5, parts, 4097);
	wipe_pattern_fill(pat, 3, false, 5 + 4097, parts + 4097, 1);
	wipe_pattern_fill(pat, 3, false, 5 + 4098, parts + 4098, sizeof(parts) - 4098);
	assert_memory_equal(whole, parts, sizeof(whole));
	wipe_pattern_fill(pat, 3, true, 5, parts, sizeof(parts));
	for (size_t i = 0; i < sizeof(parts); i++)
		assert_int_equal(parts[i], (uint8_t)~whole[i]);
}

static void test_complement_pattern(void **state)
{
	static const uint8_t want[3] = { 0x6d, 0xb6, 0xdb };
	struct run r;

	(void)state;
	run_init(&r, "pass = pattern 0x92 0x49 0x24\npass = complement\n", PROFILE_VERIFY_LAST);
	assert_int_equal(run_go(&r), 0);
	assert_int_equal(r.res.outcome, WIPE_OUTCOME_ERASED);
	assert_string_equal(r.res.passes[1].pattern_hex, "6db6db");
	for (uint64_t i = 0; i < DEV_SIZE; i += 4099)
		assert_int_equal(fk.mem[i], want[i % 3]);
	assert_int_equal(r.res.bytes_verified, DEV_SIZE);
	run_done(&r);
}

static void test_complement_random(void **state)
{
	struct run r;
	uint8_t *first = malloc(DEV_SIZE);
	size_t same = 0;

	(void)state;
	/* Write a random pass, snapshot it, then random + complement. */
	run_init(&r, "pass = random\npass = complement\n", PROFILE_VERIFY_ALL);
	fk.cancel_mon = &r.mon;
	fk.cancel_after = DEV_SIZE;	/* stop after pass 1 */
	assert_int_equal(run_go(&r), 0);
	assert_int_equal(r.res.outcome, WIPE_OUTCOME_ABORTED);
	memcpy(first, fk.mem, DEV_SIZE);
	wipe_result_clear(&r.res);
	fk.cancel_mon = NULL;
	wipe_monitor_destroy(&r.mon);
	wipe_monitor_init(&r.mon);
	r.p.resume = true;
	assert_int_equal(run_go(&r), 0);
	assert_int_equal(r.res.outcome, WIPE_OUTCOME_ERASED);
	assert_int_equal(r.res.resumed, 1);
	assert_true(r.res.passes[1].random && r.res.passes[1].inverted);
	for (size_t i = 0; i < DEV_SIZE; i++) {
		unsigned got = fk.mem[i], want = first[i] ^ 0xffu;

		same += got != want;
	}
	assert_int_equal(same, 0);
	free(first);
	run_done(&r);
}

/* Sampling ------------------------------------------------------------------ */

static void check_plan(uint64_t n)
{
	struct wipe_range *r = NULL;
	size_t count = 0;
	uint64_t sum = 0;

	assert_int_equal(wipe_sample_plan(n, 42, &r, &count), 0);
	assert_int_equal(count, 2 * WIPE_SAMPLE_SUBSECTIONS);
	assert_int_equal(r[0].offset, 0);
	assert_int_equal(r[count - 1].offset + r[count - 1].length, n);
	for (size_t i = 0; i < count; i++) {
		uint64_t k = i / 2, start = n * k / WIPE_SAMPLE_SUBSECTIONS;
		uint64_t end = n * (k + 1) / WIPE_SAMPLE_SUBSECTIONS;

		assert_true(r[i].length * 20 >= end - start);		/* >= 5 % each */
		assert_true(r[i].offset >= start && r[i].offset + r[i].length <= end);
		if (i)
			assert_true(r[i - 1].offset + r[i - 1].length <= r[i].offset);
		sum += r[i].length;
	}
	assert_true(sum * 10 >= n);					/* >= 10 % */
	free(r);
}

static void test_sample_plan(void **state)
{
	struct wipe_range *a = NULL, *b = NULL;
	size_t na, nb;

	(void)state;
	check_plan(4000);
	check_plan(16384);
	check_plan(1000003);
	check_plan(7814037168ull);		/* a 4 TB disk in 512-byte sectors */
	assert_int_equal(wipe_sample_plan(3999, 1, &a, &na), -ERANGE);
	assert_int_equal(wipe_sample_plan(1 << 20, 1, &a, &na), 0);
	assert_int_equal(wipe_sample_plan(1 << 20, 1, &b, &nb), 0);
	assert_memory_equal(a, b, na * sizeof(*a));		/* the seed reproduces it */
	free(b);
	assert_int_equal(wipe_sample_plan(1 << 20, 2, &b, &nb), 0);
	assert_true(memcmp(a, b, na * sizeof(*a)) != 0);
	free(a);
	free(b);
}

/* The engine ------------------------------------------------------------------ */

static void test_zero_erased(void **state)
{
	struct run r;
	struct wipe_progress pr;

	(void)state;
	fk.no_direct = true;
	run_init(&r, "pass = byte 0x00\n", PROFILE_VERIFY_LAST);
	assert_false(r.io.direct);
	assert_int_equal(run_go(&r), 0);
	assert_int_equal(r.res.outcome, WIPE_OUTCOME_ERASED);
	assert_int_equal(fk.drops, 1);	/* the cache was dropped before verifying */
	assert_true(all_bytes(0, DEV_SIZE, 0));
	assert_int_equal(r.res.bytes_written, DEV_SIZE);
	assert_int_equal(r.res.bytes_verified, DEV_SIZE);
	assert_string_equal(r.res.read_path, "buffered+fdatasync+POSIX_FADV_DONTNEED+BLKFLSBUF");
	assert_int_equal(access(r.ckpt, F_OK), -1);	/* no checkpoint left behind */
	wipe_monitor_snapshot(&r.mon, &pr);
	assert_int_equal(pr.phase, WIPE_PHASE_DONE);
	assert_int_equal(pr.done, pr.total);
	run_done(&r);
}

static void test_sample_mode(void **state)
{
	struct run r;

	(void)state;
	run_init(&r, "pass = random\n", PROFILE_VERIFY_SAMPLE);
	r.p.sample_seed_set = true;
	r.p.sample_seed = 7;
	assert_int_equal(run_go(&r), 0);
	assert_int_equal(r.res.outcome, WIPE_OUTCOME_ERASED);
	assert_true(r.res.sampled);
	assert_int_equal(r.res.sample_seed, 7);
	assert_string_equal(r.res.read_path, "direct");
	assert_true(r.res.bytes_verified * 10 >= DEV_SIZE);
	assert_true(r.res.bytes_verified < DEV_SIZE / 2);
	run_done(&r);
}

static void test_short_writes(void **state)
{
	struct run r;

	(void)state;
	fk.short_writes = 1;
	run_init(&r, "pass = byte 0x5a\n", PROFILE_VERIFY_LAST);
	assert_int_equal(run_go(&r), 0);
	assert_int_equal(r.res.outcome, WIPE_OUTCOME_ERASED);
	assert_true(all_bytes(0, DEV_SIZE, 0x5a));
	assert_true(fk.writes > DEV_SIZE / (1u << 20) * 2);
	run_done(&r);
}

static void test_eio_isolated(void **state)
{
	struct run r;

	(void)state;
	fk.bad[fk.n_bad++] = (1u << 20) + 3 * SECTOR;
	fk.bad[fk.n_bad++] = (5u << 20);
	fk.bad[fk.n_bad++] = (5u << 20) + SECTOR;
	run_init(&r, "pass = byte 0x00\n", PROFILE_VERIFY_LAST);
	assert_int_equal(run_go(&r), 0);
	assert_int_equal(r.res.outcome, WIPE_OUTCOME_FAILED);
	/* Write errors at sector granularity, merged when adjacent. */
	assert_int_equal(r.res.bad[0].kind, WIPE_RANGE_WRITE);
	assert_int_equal(r.res.bad[0].offset, (1u << 20) + 3 * SECTOR);
	assert_int_equal(r.res.bad[0].length, SECTOR);
	assert_int_equal(r.res.bad[0].err, -EIO);
	assert_int_equal(r.res.bad[1].offset, 5u << 20);
	assert_int_equal(r.res.bad[1].length, 2 * SECTOR);
	/* The rest was written, and the verification saw the old data there. */
	assert_true(all_bytes(1u << 20, 3 * SECTOR, 0));
	assert_true(all_bytes((1u << 20) + 4 * SECTOR, SECTOR, 0));
	assert_int_equal(fk.mem[(1u << 20) + 3 * SECTOR], 0xee);
	assert_int_equal(r.res.bytes_written, DEV_SIZE - 3 * SECTOR);
	assert_true(r.res.mismatch_bytes >= 3 * SECTOR);
	/* the write error and the mismatch of the same sectors count once */
	assert_int_equal(r.res.n_bad, 2);
	assert_int_equal(r.res.errors, 3);
	assert_int_equal(r.res.bad_bytes, 3 * SECTOR);
	assert_string_equal(r.res.cause,
			    "3 bad or mismatching sectors in 2 ranges (1536 bytes)");
	run_done(&r);
}

/* One bad sector: written badly, then read back different: "1 range". */
static void test_bad_sector_once(void **state)
{
	struct run r;

	(void)state;
	fk.bad[fk.n_bad++] = 2u << 20;
	run_init(&r, "pass = byte 0x00\n", PROFILE_VERIFY_LAST);
	assert_int_equal(run_go(&r), 0);
	assert_int_equal(r.res.outcome, WIPE_OUTCOME_FAILED);
	assert_int_equal(r.res.n_bad, 1);
	assert_int_equal(r.res.errors, 1);
	assert_string_equal(r.res.cause, "1 bad or mismatching sector in 1 range (512 bytes)");
	run_done(&r);
}

static void test_merge_ranges(void **state)
{
	struct wipe_result res;

	(void)state;
	memset(&res, 0, sizeof(res));
	res.sector_size = 512;
	wipe_add_range(&res, WIPE_RANGE_WRITE, 1, 4096, 8 * 512, -EIO);
	wipe_add_range(&res, WIPE_RANGE_MISMATCH, 1, 4096 + 512, 512, 0);
	wipe_add_range(&res, WIPE_RANGE_READ, 2, 4096 + 7 * 512, 2 * 512, -EIO);
	wipe_add_range(&res, WIPE_RANGE_MISMATCH, 1, 1024, 512, 0);
	wipe_result_merge_ranges(&res);
	assert_int_equal(res.n_bad, 2);
	assert_int_equal(res.bad[0].offset, 1024);
	assert_int_equal(res.bad[1].offset, 4096);
	assert_int_equal(res.bad[1].length, 9 * 512);
	assert_int_equal(res.bad[1].kind, WIPE_RANGE_WRITE);
	assert_int_equal(res.errors, 10);
	assert_int_equal(res.bad_bytes, 10 * 512);
	wipe_result_clear(&res);
}

static void test_read_eio_isolated(void **state)
{
	struct run r;

	(void)state;
	fk.bad_read = (6u << 20) + 5 * SECTOR;
	run_init(&r, "pass = pattern 0x01 0x02\n", PROFILE_VERIFY_LAST);
	assert_int_equal(run_go(&r), 0);
	assert_int_equal(r.res.outcome, WIPE_OUTCOME_FAILED);
	assert_int_equal(r.res.n_bad, 1);
	assert_int_equal(r.res.bad[0].kind, WIPE_RANGE_READ);
	assert_int_equal(r.res.bad[0].offset, fk.bad_read);
	assert_int_equal(r.res.bad[0].length, SECTOR);
	assert_int_equal(r.res.bytes_verified, DEV_SIZE - SECTOR);
	assert_int_equal(r.res.mismatch_bytes, 0);
	run_done(&r);
}

static void test_dead_medium_gives_up(void **state)
{
	struct run r;

	(void)state;
	fk.all_eio = true;
	run_init(&r, "pass = byte 0x00\n", PROFILE_VERIFY_LAST);
	assert_int_equal(run_go(&r), 0);
	assert_int_equal(r.res.outcome, WIPE_OUTCOME_FAILED);
	assert_non_null(strstr(r.res.cause, "4 blocks in a row"));
	assert_int_equal(r.res.n_bad, 1);		/* merged: the first 4 MiB */
	assert_int_equal(r.res.bad[0].length, 4u << 20);
	assert_int_equal(r.res.bytes_written, 0);
	run_done(&r);
}

static void test_removal_fails_fast(void **state)
{
	struct run r;
	uint64_t t0 = util_mono_ns();

	(void)state;
	fk.remove_after = 2u << 20;
	run_init(&r, "pass = random\n", PROFILE_VERIFY_LAST);
	assert_int_equal(run_go(&r), 0);
	assert_int_equal(r.res.outcome, WIPE_OUTCOME_FAILED);
	assert_non_null(strstr(r.res.cause, "removed"));
	assert_true(util_mono_ns() - t0 < 2000000000ull);
	run_done(&r);
}

static void test_sync_failure(void **state)
{
	struct run r;

	(void)state;
	fk.fail_sync = true;
	run_init(&r, "pass = byte 0x00\n", PROFILE_VERIFY_NONE);
	r.p.checkpoint_path = NULL;
	assert_int_equal(run_go(&r), 0);
	assert_int_equal(r.res.outcome, WIPE_OUTCOME_FAILED);
	assert_false(r.res.passes[0].written);
	assert_non_null(strstr(r.res.cause, "fdatasync"));
	run_done(&r);
}

static void test_verify_none_unverified(void **state)
{
	struct run r;

	(void)state;
	run_init(&r, "pass = byte 0x00\n", PROFILE_VERIFY_NONE);
	assert_int_equal(run_go(&r), 0);
	assert_int_equal(r.res.outcome, WIPE_OUTCOME_UNVERIFIED);
	assert_int_equal(r.res.bytes_verified, 0);
	run_done(&r);
}

static void test_mismatch_detected(void **state)
{
	struct run r;

	(void)state;
	fk.corrupt = true;
	fk.corrupt_at = 3 * 1000 * 1000 + 7;
	run_init(&r, "pass = random\n", PROFILE_VERIFY_LAST);
	assert_int_equal(run_go(&r), 0);
	assert_int_equal(r.res.outcome, WIPE_OUTCOME_FAILED);
	assert_int_equal(r.res.first_mismatch, fk.corrupt_at);
	assert_int_equal(r.res.mismatch_bytes, 1);
	assert_int_equal(r.res.n_bad, 1);
	assert_int_equal(r.res.bad[0].kind, WIPE_RANGE_MISMATCH);
	assert_int_equal(r.res.bad[0].offset, fk.corrupt_at / SECTOR * SECTOR);
	run_done(&r);
}

/* Verification reads with two reader threads: results still in offset
 * order and exact (a mismatch in one block, a read error in a later one). */
static void test_verify_mismatch_and_read_error(void **state)
{
	struct run r;

	(void)state;
	fk.corrupt = true;
	fk.corrupt_at = (1u << 20) + 4 * SECTOR + 3;
	fk.bad_read = (5u << 20) + 9 * SECTOR;
	run_init(&r, "pass = random\n", PROFILE_VERIFY_LAST);
	assert_int_equal(run_go(&r), 0);
	assert_int_equal(r.res.outcome, WIPE_OUTCOME_FAILED);
	assert_int_equal(r.res.first_mismatch, fk.corrupt_at);
	assert_int_equal(r.res.mismatch_bytes, 1);
	assert_int_equal(r.res.n_bad, 2);
	assert_int_equal(r.res.bad[0].kind, WIPE_RANGE_MISMATCH);
	assert_int_equal(r.res.bad[0].offset, fk.corrupt_at / SECTOR * SECTOR);
	assert_int_equal(r.res.bad[1].kind, WIPE_RANGE_READ);
	assert_int_equal(r.res.bad[1].offset, fk.bad_read);
	assert_int_equal(r.res.bad[1].length, SECTOR);
	assert_int_equal(r.res.bytes_verified, DEV_SIZE - 2 * SECTOR);
	run_done(&r);
}

/* The device vanishes while both readers are reading: fails fast, says
 * so, counts only what was compared, keeps the checkpoint. */
static void test_removal_during_verify(void **state)
{
	struct run r;
	uint64_t t0 = util_mono_ns();

	(void)state;
	fk.remove_after_read = 3u << 20;
	run_init(&r, "pass = random\n", PROFILE_VERIFY_LAST);
	assert_int_equal(run_go(&r), 0);
	assert_int_equal(r.res.outcome, WIPE_OUTCOME_FAILED);
	assert_non_null(strstr(r.res.cause, "removed during verif"));
	assert_true(r.res.bytes_verified <= 3u << 20);
	assert_int_equal(r.res.bytes_verified % (1u << 20), 0);
	assert_false(r.res.passes[0].verified);
	assert_int_equal(access(r.ckpt, F_OK), 0);
	assert_true(util_mono_ns() - t0 < 2000000000ull);
	run_done(&r);
}

static void test_cancel_and_resume(void **state)
{
	struct run r;
	char *cause = NULL;

	(void)state;
	/* dod-3pass shape; cancel in the middle of the random pass. */
	run_init(&r, "pass = byte 0x00\npass = complement\npass = random\n",
		 PROFILE_VERIFY_LAST);
	r.p.checkpoint_ms = 1;
	fk.cancel_mon = &r.mon;
	fk.cancel_after = 2 * DEV_SIZE + (3u << 20);
	assert_int_equal(run_go(&r), 0);
	assert_int_equal(r.res.outcome, WIPE_OUTCOME_ABORTED);
	assert_int_equal(access(r.ckpt, F_OK), 0);
	wipe_result_clear(&r.res);
	fk.cancel_mon = NULL;
	fk.written = 0;
	wipe_monitor_destroy(&r.mon);
	wipe_monitor_init(&r.mon);

	/* Another device refuses the checkpoint. */
	r.p.resume = true;
	r.p.serial = "OTHER";
	assert_int_equal(wipe_run(&r.p, &r.res, &cause), -ESTALE);
	assert_non_null(strstr(cause, "another device"));
	free(cause);

	r.p.serial = "SER1";
	assert_int_equal(run_go(&r), 0);
	assert_int_equal(r.res.outcome, WIPE_OUTCOME_ERASED);
	assert_int_equal(r.res.resumed, 1);
	assert_int_equal(r.res.interruptions, 1);
	/* the passes done before the interruption keep their real patterns */
	assert_string_equal(r.res.passes[0].pattern_hex, "00");
	assert_string_equal(r.res.passes[1].pattern_hex, "ff");
	assert_true(r.res.passes[2].random);
	assert_string_equal(r.res.passes[2].prng, "aes-128-ctr");
	/* It went on from the checkpoint: less than the rest of the pass rewritten. */
	assert_true(fk.written <= DEV_SIZE - (2u << 20));
	assert_int_equal(r.res.bytes_verified, DEV_SIZE);
	assert_int_equal(access(r.ckpt, F_OK), -1);
	run_done(&r);
}

/* Resume with a smaller --block-size than the interrupted run: the run
 * keeps the checkpoint's block size, and every buffer is sized for it
 * (a pattern pass fills a whole block: ASan catches a buffer sized from
 * this run's parameters). */
static void test_resume_other_block_size(void **state)
{
	static const uint8_t pat[3] = { 0x92, 0x49, 0x24 };
	struct run r;

	(void)state;
	run_init(&r, "pass = byte 0x55\npass = pattern 0x92 0x49 0x24\n", PROFILE_VERIFY_LAST);
	r.p.block_size = 4u << 20;
	r.p.checkpoint_ms = 1;
	fk.cancel_mon = &r.mon;
	fk.cancel_after = DEV_SIZE + (4u << 20);	/* one block into pass 2 */
	assert_int_equal(run_go(&r), 0);
	assert_int_equal(r.res.outcome, WIPE_OUTCOME_ABORTED);
	assert_int_equal(access(r.ckpt, F_OK), 0);
	wipe_result_clear(&r.res);
	fk.cancel_mon = NULL;
	fk.written = 0;
	wipe_monitor_destroy(&r.mon);
	wipe_monitor_init(&r.mon);

	r.p.resume = true;
	r.p.block_size = 1u << 20;
	assert_int_equal(run_go(&r), 0);
	assert_int_equal(r.res.outcome, WIPE_OUTCOME_ERASED);
	assert_int_equal(r.res.resumed, 1);
	assert_int_equal(r.res.block_size, 4u << 20);
	assert_true(fk.written > 0 && fk.written <= DEV_SIZE - (4u << 20) + 12);
	for (uint64_t i = 0; i < DEV_SIZE; i += 4093)
		assert_int_equal(fk.mem[i], pat[i % 3]);
	assert_int_equal(r.res.bytes_verified, DEV_SIZE);
	run_done(&r);
}

/* A regular file (no root needed), with a size O_DIRECT cannot cover. */
static void test_image_file(void **state)
{
	char path[128];
	struct profile prof;
	struct blkio io;
	struct wipe_params p = { .profile = &prof, .verify = PROFILE_VERIFY_LAST, .io = &io };
	struct wipe_result res;
	char *cause = NULL;
	uint8_t buf[4096];
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/img", tmpdir);
	f = fopen(path, "w");
	assert_non_null(f);
	for (int i = 0; i < 1280; i++)
		fwrite("SECRET-MARKER..", 1, 16, f);
	assert_int_equal(fseek(f, (3 << 20) + 1000 - 1, SEEK_SET), 0);
	fputc('X', f);
	assert_int_equal(fclose(f), 0);
	load_profile(&prof, "t", "pass = random\npass = byte 0x00\n");
	assert_int_equal(blkio_open(&io, path, BLKIO_WRITE, NULL, &cause), 0);
	assert_int_equal(io.size, (3 << 20) + 1000);
	assert_int_equal(wipe_run(&p, &res, &cause), 0);
	assert_int_equal(res.outcome, WIPE_OUTCOME_ERASED);
	assert_int_equal(res.bytes_verified, io.size);
	if (io.direct) {
		/* Only the unaligned tail went through the page cache. */
		assert_int_equal(io.bytes_read_direct, 3 << 20);
		assert_int_equal(io.bytes_read_buffered, 1000);
		assert_non_null(strstr(res.read_path, "direct+buffered-tail (1000 bytes "));
	}
	assert_int_equal(blkio_close(&io), 0);
	f = fopen(path, "r");
	assert_non_null(f);
	while (!feof(f)) {
		size_t n = fread(buf, 1, sizeof(buf), f);

		for (size_t i = 0; i < n; i++)
			assert_int_equal(buf[i], 0);
	}
	fclose(f);
	wipe_result_clear(&res);
	unlink(path);
}

/* Injected ops change the I/O, never what is opened: the target is still
 * anchored and guarded, so a file outside the virtual-media directories is
 * refused with them as without them. */
static void test_ops_guarded(void **state)
{
	char dir[] = "/tmp/custos-test-outside-XXXXXX", path[64];
	struct blkio io;
	char *cause = NULL;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/secret.img", dir);
	fk.size = 4096;
	memset(fk.mem, 0x11, 4096);
	assert_int_equal(util_write_file_atomic(path, fk.mem, 4096, 0600), 0);
	assert_int_equal(blkio_open(&io, path, BLKIO_WRITE, &fake_ops, &cause), -EPERM);
	assert_non_null(strstr(cause, "not a virtual medium"));
	free(cause);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pattern_fill, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ops_guarded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_complement_pattern, setup, teardown),
		cmocka_unit_test_setup_teardown(test_complement_random, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sample_plan, setup, teardown),
		cmocka_unit_test_setup_teardown(test_zero_erased, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sample_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_short_writes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eio_isolated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_sector_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_merge_ranges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_eio_isolated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dead_medium_gives_up, setup, teardown),
		cmocka_unit_test_setup_teardown(test_removal_fails_fast, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sync_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_none_unverified, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mismatch_detected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_mismatch_and_read_error, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_removal_during_verify, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel_and_resume, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resume_other_block_size, setup, teardown),
		cmocka_unit_test_setup_teardown(test_image_file, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
