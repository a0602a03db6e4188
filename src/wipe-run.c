/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * wipe_run(): passes, verification, bad-sector isolation, progress.
 *
 * Data flow of a phase: producer threads fill a small ring of aligned
 * buffers (keystream for a random pass, one generator; data read from the
 * medium during verification, two readers so a read is always queued)
 * while this thread writes or compares, so the CPU work overlaps the I/O.
 * Pattern passes need no producer: their block size is a multiple of the
 * pattern, so one prepared block serves every offset.
 */
#include "wipe.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"
#include "wipe-private.h"

/* Ring depth: 3 buffers, fewer for large blocks so the ring never holds
 * more than RING_BYTES.  The ring (random write, verification) and the
 * pattern block (pattern write) are never allocated at the same time, so
 * a job's buffers stay within 32 MiB at the largest block size, 16 MiB. */
#define RING_DEPTH 3
#define RING_BYTES (32u << 20)

/* Verification compares a cache-sized chunk at a time. */
#define VERIFY_CHUNK (64u << 10)

/* Block-sized buffers come straight from mmap (page-aligned, so fit for
 * O_DIRECT) and go straight back: through malloc, glibc's adaptive mmap
 * threshold would keep freed blocks in the job thread's arena, and a
 * many-pass profile alternating pattern blocks and ring buffers would
 * grow far beyond the bound below.
 *
 * Each is mapped at a 2 MiB boundary (the excess around it unmapped again)
 * and asked for transparent huge pages (MADV_HUGEPAGE; systems set to
 * "madvise", the common default, give them only on request): every block
 * is pinned by the kernel for each O_DIRECT transfer and streamed through
 * by AES and memcmp, and with 4 KiB pages the page walks and TLB misses
 * cost a RAM-backed verification about 15 % of its speed.  Only whole
 * huge pages inside the mapping are used, so the memory stays @len. */
#define HUGE_ALIGN (2u << 20)

static uint8_t *block_alloc(size_t len)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t map = (len + page - 1) / page * page;
	uint8_t *p = mmap(NULL, map + HUGE_ALIGN, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	size_t head;

	if (p == MAP_FAILED)
		return NULL;
	head = (HUGE_ALIGN - (uintptr_t)p % HUGE_ALIGN) % HUGE_ALIGN;
	if ((head && munmap(p, head) < 0) || munmap(p + head + map, HUGE_ALIGN - head) < 0)
		util_warn(_("munmap: %s"), strerror(errno));
	p += head;
	/* Advice only: without huge pages the block works the same. */
	(void)madvise(p, len, MADV_HUGEPAGE);
	return p;
}

static void block_free(uint8_t *p, size_t len)
{
	if (p && munmap(p, len) < 0)
		util_warn(_("munmap: %s"), strerror(errno));
}

/* A sequence of (offset, length) chunks over byte ranges. */
struct extents {
	const struct wipe_range *r;
	size_t n;
	size_t i;
	uint64_t pos;			/* within r[i] */
	uint64_t chunk;
};

static bool extents_next(struct extents *e, uint64_t *off, size_t *len)
{
	while (e->i < e->n && e->pos >= e->r[e->i].length) {
		e->i++;
		e->pos = 0;
	}
	if (e->i == e->n)
		return false;
	*off = e->r[e->i].offset + e->pos;
	*len = (size_t)(e->r[e->i].length - e->pos < e->chunk ? e->r[e->i].length - e->pos :
			e->chunk);
	e->pos += *len;
	return true;
}

/* Skip the chunks that start before @off (resume). */
static void extents_seek(struct extents *e, uint64_t off)
{
	struct extents probe = *e;
	uint64_t o;
	size_t l;

	while (extents_next(&probe, &o, &l) && o < off)
		*e = probe;
}

/* The ring ------------------------------------------------------------- */

/*
 * Producers claim slots in order (the next chunk of the extents with the
 * next slot), fill them outside the lock and mark them ready; the consumer
 * takes them in the same order, so blocks are written or compared in
 * offset order whichever producer finishes first.  A random pass has one
 * generator (its prng is per thread).  Verification has READERS reader
 * threads: with one, the device idles from the end of each read until the
 * reader has been woken and has issued the next one, which on a busy CPU
 * (the consumer comparing, the loop or driver thread copying) costs about
 * a third of a RAM-backed device's speed; with two, the next read is
 * already queued when one completes.  (The keystream of a random pass is
 * XORed in by the consumer: doing it in the readers measured slower, as
 * it holds a slot longer and delays the next read.)
 */
#define READERS 2

struct slot {
	uint8_t *buf;
	uint64_t off;
	size_t len;
	int rc;
	bool ready;			/* filled (under the ring's lock) */
};

enum ring_kind { RING_GEN, RING_READ };

struct ring {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct slot slot[RING_DEPTH];
	size_t depth;			/* slots in use: 2..RING_DEPTH */
	size_t head, tail, count;	/* count: claimed and not yet released */
	bool stop, ended;		/* ended: the extents are exhausted */
	size_t running;			/* producer threads not yet returned */
	size_t started;
	pthread_t thread[READERS];
	enum ring_kind kind;
	struct extents ext;
	const struct wipe_src *src;
	struct prng *prng;		/* the generator's (one thread) */
	struct blkio *io;
};

static void ring_fill(struct ring *r, struct slot *s)
{
	if (r->kind == RING_GEN)
		wipe_src_fill(r->src, r->prng, s->off, s->buf, s->len);
	else
		s->rc = blkio_pread(r->io, s->buf, s->len, s->off);
}

/* Claim the next slot and chunk, or NULL when stopped or at the end. */
static struct slot *ring_claim(struct ring *r)
{
	struct slot *s = NULL;

	pthread_mutex_lock(&r->lock);
	while (r->count == r->depth && !r->stop)
		pthread_cond_wait(&r->cond, &r->lock);
	if (!r->stop && !r->ended) {
		s = &r->slot[r->head];
		if (extents_next(&r->ext, &s->off, &s->len)) {
			s->rc = 0;
			s->ready = false;
			r->head = (r->head + 1) % r->depth;
			r->count++;
		} else {
			r->ended = true;
			s = NULL;
		}
	}
	pthread_mutex_unlock(&r->lock);
	return s;
}

static void *ring_main(void *arg)
{
	struct ring *r = arg;
	struct slot *s;

	while ((s = ring_claim(r))) {
		ring_fill(r, s);
		pthread_mutex_lock(&r->lock);
		s->ready = true;
		pthread_cond_broadcast(&r->cond);
		pthread_mutex_unlock(&r->lock);
	}
	pthread_mutex_lock(&r->lock);
	r->running--;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

static void ring_free(struct ring *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	r->stop = true;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
	for (size_t i = 0; i < r->started; i++)
		pthread_join(r->thread[i], NULL);
	for (size_t i = 0; i < RING_DEPTH; i++)
		block_free(r->slot[i].buf, r->ext.chunk);
	prng_free(r->prng);
	pthread_cond_destroy(&r->cond);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

static int ring_new(struct ring **out, enum ring_kind kind, struct wipe_state *st,
		    const struct wipe_src *src, const struct extents *ext)
{
	struct ring *r = calloc(1, sizeof(*r));
	size_t threads = kind == RING_READ ? READERS : 1;

	if (!r)
		return -ENOMEM;
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->cond, NULL);
	r->kind = kind;
	r->ext = *ext;
	r->src = src;
	r->io = st->io;
	r->depth = RING_BYTES / ext->chunk;
	r->depth = r->depth < 2 ? 2 : r->depth > RING_DEPTH ? RING_DEPTH : r->depth;
	for (size_t i = 0; i < r->depth; i++) {
		r->slot[i].buf = block_alloc(ext->chunk);
		if (!r->slot[i].buf)
			goto fail;
	}
	if (kind == RING_GEN && src->random && prng_new(&r->prng, src->key, src->key_len, NULL))
		goto fail;
	r->running = threads;
	for (; r->started < threads; r->started++)
		if (pthread_create(&r->thread[r->started], NULL, ring_main, r))
			goto fail;
	*out = r;
	return 0;
fail:
	r->running = r->started;
	ring_free(r);
	return -ENOMEM;
}

/* The next filled slot in order, or NULL at the end. */
static struct slot *ring_take(struct ring *r)
{
	struct slot *s = NULL;

	pthread_mutex_lock(&r->lock);
	while (!(r->count && r->slot[r->tail].ready) && (r->count || r->running))
		pthread_cond_wait(&r->cond, &r->lock);
	if (r->count)
		s = &r->slot[r->tail];
	pthread_mutex_unlock(&r->lock);
	return s;
}

static void ring_release(struct ring *r)
{
	pthread_mutex_lock(&r->lock);
	r->tail = (r->tail + 1) % r->depth;
	r->count--;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
}

/* Progress, cancel, checkpoints ------------------------------------------ */

static bool cancelled(struct wipe_state *st)
{
	if (!st->cancelled && st->p->monitor && atomic_load(&st->p->monitor->cancel))
		st->cancelled = true;
	return st->cancelled;
}

static void fail(struct wipe_state *st, int err, const char *what, uint64_t off)
{
	if (st->fatal)
		return;
	st->fatal = true;
	st->removed = blkio_err_is_removal(err);
	if (st->removed)
		snprintf(st->res->cause, sizeof(st->res->cause),
			 _("device removed during %s at offset %llu (%s)"), what,
			 (unsigned long long)off, strerror(-err));
	else
		snprintf(st->res->cause, sizeof(st->res->cause), _("%s failed at offset %llu: %s"),
			 what, (unsigned long long)off, strerror(-err));
}

static void publish(struct wipe_state *st)
{
	struct wipe_monitor *m = st->p->monitor;
	struct wipe_progress *pr;

	if (!m)
		return;
	pthread_mutex_lock(&m->lock);
	pr = &m->progress;
	pr->pass = st->pass + 1;
	pr->n_passes = (unsigned)st->n_passes;
	pr->phase = st->phase;
	pr->phase_done = st->phase_done;
	pr->phase_total = st->phase_total;
	pr->done = st->done;
	pr->total = st->total;
	pr->rate = st->rate;
	pr->eta_s = st->rate > 0 && st->total > st->done ?
		(uint64_t)((double)(st->total - st->done) / st->rate) : UINT64_MAX;
	pr->errors = st->res->errors;
	pr->resumed = st->res->resumed;
	pthread_mutex_unlock(&m->lock);
}

static void progress(struct wipe_state *st, uint64_t bytes)
{
	uint64_t now = util_mono_ns();

	st->done += bytes;
	st->phase_done += bytes;
	st->run_bytes += bytes;
	/* Bytes per second over windows of a second, smoothed; across phases. */
	if (now - st->rate_t >= 1000000000ull || (!st->rate && now - st->rate_t >= 100000000ull)) {
		double r = (double)(st->run_bytes - st->rate_bytes) * 1e9 / (double)(now - st->rate_t);

		st->rate = st->rate > 0 ? 0.5 * st->rate + 0.5 * r : r;
		st->rate_t = now;
		st->rate_bytes = st->run_bytes;
	}
	publish(st);
}

static void phase_begin(struct wipe_state *st, enum wipe_phase ph, uint64_t total)
{
	st->phase = ph;
	st->phase_total = total;
	st->phase_done = 0;
	st->phase_t0 = util_mono_ns();
	publish(st);
}

/* Checkpoint when due (@force: now).  A write phase syncs the medium first
 * so the recorded offset is durable.  Returns false on a fatal error. */
static bool checkpoint(struct wipe_state *st, uint64_t next_off, bool force)
{
	unsigned ms = st->p->checkpoint_ms ? st->p->checkpoint_ms : 5000;
	uint64_t now = util_mono_ns();
	int rc;

	if (!st->p->checkpoint_path || st->p->verify_only)
		return true;
	if (!force && now - st->last_ckpt_ns < (uint64_t)ms * 1000000ull)
		return true;
	if (st->phase == WIPE_PHASE_WRITE) {
		rc = blkio_sync(st->io);
		if (rc < 0) {
			fail(st, rc, "fdatasync", next_off);
			return false;
		}
	}
	st->offset = next_off;
	st->last_ckpt_ns = now;
	rc = wipe_checkpoint_save(st);
	if (rc < 0 && !st->ckpt_warned++)
		util_warn(_("%s: cannot write checkpoint %s: %s"), st->io->path,
			  st->p->checkpoint_path, strerror(-rc));
	return true;
}

/* Writing ------------------------------------------------------------------ */

/* After a block was retried sector by sector with @good bytes working:
 * 0 to go on, -ENODEV if the device vanished, -EIO to give up. */
static int gave_up(struct wipe_state *st, size_t good)
{
	if (good) {
		st->failed_blocks = 0;
		return 0;
	}
	if (blkio_present(st->io) < 0)
		return -ENODEV;
	/* A medium that fails every sector of several blocks in a row is
	 * not worth hours of sector retries: fail the job. */
	return ++st->failed_blocks >= 4 ? -EIO : 0;
}

/* Retry a failed block sector by sector; record the sectors that fail.
 * Returns 0 to go on, or a negative errno that ends the run. */
static int isolate_write(struct wipe_state *st, const uint8_t *data, uint64_t off, size_t len)
{
	uint32_t s = st->io->sector_size;
	size_t good = 0;

	for (size_t x = 0; x < len; x += s) {
		size_t n = len - x < s ? len - x : s;
		int rc;

		memcpy(st->bounce, data + x, n);
		rc = blkio_pwrite(st->io, st->bounce, n, off + x);
		if (blkio_err_is_removal(rc))
			return rc;
		if (rc < 0) {
			wipe_add_range(st->res, WIPE_RANGE_WRITE, st->pass + 1, off + x, n, rc);
			st->res->errors++;
		} else {
			good += n;
		}
		if ((x / s) % 1024 == 1023 && cancelled(st))
			return -ECANCELED;
	}
	st->res->bytes_written += good;
	st->res->passes[st->pass].bytes_written += good;
	return gave_up(st, good);
}

static bool isolatable(int err)
{
	return err == -EIO || err == -EREMOTEIO || err == -EILSEQ || err == -ENODATA ||
	       err == -EBADMSG;
}

static bool write_block(struct wipe_state *st, const uint8_t *data, uint64_t off, size_t len)
{
	int rc = blkio_pwrite(st->io, data, len, off);

	if (rc == 0) {
		if (!st->res->first_write_ns)
			st->res->first_write_ns = util_mono_ns();
		st->failed_blocks = 0;
		st->res->bytes_written += len;
		st->res->passes[st->pass].bytes_written += len;
	} else if (isolatable(rc)) {
		rc = isolate_write(st, data, off, len);
	}
	if (rc == -ECANCELED)
		return false;
	if (rc == -EIO && !st->fatal) {
		fail(st, rc, _("writing (every sector of 4 blocks in a row)"), off);
		return false;
	}
	if (rc < 0) {
		fail(st, rc, _("write"), off);
		return false;
	}
	st->next = off + len;
	progress(st, len);
	return checkpoint(st, off + len, false) && !cancelled(st);
}

static void make_extents(struct wipe_state *st, struct extents *e, struct wipe_range *whole)
{
	*whole = (struct wipe_range){ .offset = 0, .length = st->io->size };
	*e = (struct extents){ .r = whole, .n = 1, .chunk = st->block };
	extents_seek(e, st->offset);
}

static int write_pass(struct wipe_state *st)
{
	const struct wipe_src *src = &st->srcs[st->pass];
	struct wipe_range whole;
	struct extents e;
	struct ring *ring = NULL;
	uint8_t *blk;
	uint64_t off;
	size_t len;
	int rc;

	make_extents(st, &e, &whole);
	phase_begin(st, WIPE_PHASE_WRITE, st->io->size);
	st->phase_done = st->offset;
	st->next = st->offset;
	checkpoint(st, st->offset, true);
	if (src->random) {
		rc = ring_new(&ring, RING_GEN, st, src, &e);
		if (rc < 0)
			return rc;
		for (struct slot *s; (s = ring_take(ring)); ring_release(ring))
			if (!write_block(st, s->buf, s->off, s->len))
				break;
		ring_free(ring);
	} else {
		/* One block of the pattern serves every offset; held only while
		 * the pass is written, so it never adds to a ring's memory. */
		blk = block_alloc(st->block + PROFILE_PATTERN_MAX);
		if (!blk)
			return -ENOMEM;
		wipe_src_fill(src, NULL, 0, blk, st->block + PROFILE_PATTERN_MAX);
		while (extents_next(&e, &off, &len))
			if (!write_block(st, blk, off, len))
				break;
		block_free(blk, st->block + PROFILE_PATTERN_MAX);
	}
	if (!st->fatal && !cancelled(st)) {
		rc = blkio_sync(st->io);
		if (rc < 0)
			fail(st, rc, _("fdatasync at the end of the pass"), st->io->size);
		else
			st->res->passes[st->pass].written = true;
	}
	st->res->write_seconds += (double)(util_mono_ns() - st->phase_t0) / 1e9;
	return 0;
}

/* Verification ------------------------------------------------------------ */

static uint64_t count_diff(const uint8_t *a, const uint8_t *b, size_t n)
{
	uint64_t d = 0;

	for (size_t i = 0; i < n; i++)
		d += a[i] != b[i];
	return d;
}

static uint64_t first_diff(const uint8_t *a, const uint8_t *b, size_t n)
{
	size_t i = 0;

	while (i < n && a[i] == b[i])
		i++;
	return i;
}

/* Compare one read block; record mismatching sectors. */
static void compare_block(struct wipe_state *st, const uint8_t *got, const uint8_t *exp,
			  uint64_t off, size_t len)
{
	struct wipe_result *res = st->res;
	uint32_t s = st->io->sector_size;
	uint64_t good = len;

	if (memcmp(got, exp, len) != 0) {
		for (size_t x = 0; x < len; x += s) {
			size_t n = len - x < s ? len - x : s;

			if (memcmp(got + x, exp + x, n) == 0)
				continue;
			if (res->first_mismatch == UINT64_MAX ||
			    off + x + first_diff(got + x, exp + x, n) < res->first_mismatch)
				res->first_mismatch = off + x + first_diff(got + x, exp + x, n);
			res->mismatch_bytes += count_diff(got + x, exp + x, n);
			res->errors++;
			good -= n;
			wipe_add_range(res, WIPE_RANGE_MISMATCH, st->pass + 1, off + x, n, 0);
		}
	}
	res->bytes_verified += good;
	res->passes[st->pass].bytes_verified += good;
}

static void check_block(struct wipe_state *st, uint8_t *got, uint64_t off, size_t len);

static int isolate_read(struct wipe_state *st, uint64_t off, size_t len)
{
	uint32_t s = st->io->sector_size;
	size_t good = 0;

	for (size_t x = 0; x < len; x += s) {
		size_t n = len - x < s ? len - x : s;
		int rc = blkio_pread(st->io, st->bounce, n, off + x);

		if (blkio_err_is_removal(rc))
			return rc;
		if (rc < 0) {
			wipe_add_range(st->res, WIPE_RANGE_READ, st->pass + 1, off + x, n, rc);
			st->res->errors++;
			continue;
		}
		good += n;
		check_block(st, st->bounce, off + x, n);
		if ((x / s) % 1024 == 1023 && cancelled(st))
			return -ECANCELED;
	}
	return gave_up(st, good);
}

/*
 * Check one read block against what the pass wrote, a cache-sized chunk
 * at a time so each chunk is read from memory once.  A random pass is
 * XORed with its keystream first: matching data becomes zeros (ones when
 * inverted).  Each chunk is then compared with st->vbuf, the expected
 * bytes of one chunk (for a random pass: all zeros or all ones), by libc's
 * memcmp (vectorized: about three times as fast as the word loop it
 * replaced); differences go to compare_block() for the sector details.
 */
static void check_block(struct wipe_state *st, uint8_t *got, uint64_t off, size_t len)
{
	const struct wipe_src *src = &st->srcs[st->pass];

	for (size_t x = 0; x < len; x += VERIFY_CHUNK) {
		size_t n = len - x < VERIFY_CHUNK ? len - x : VERIFY_CHUNK;
		const uint8_t *exp = st->vbuf + (src->random ? 0 : (off + x) % src->plen);

		if (st->vprng)
			prng_xor(st->vprng, off + x, got + x, n);
		if (memcmp(got + x, exp, n) == 0) {
			st->res->bytes_verified += n;
			st->res->passes[st->pass].bytes_verified += n;
		} else {
			compare_block(st, got + x, exp, off + x, n);
		}
	}
}

static bool verify_block(struct wipe_state *st, struct slot *r)
{
	int rc = r->rc;

	if (rc == 0)
		check_block(st, r->buf, r->off, r->len);
	else if (isolatable(rc))
		rc = isolate_read(st, r->off, r->len);
	if (rc == -ECANCELED)
		return false;
	if (rc < 0) {
		fail(st, rc, rc == -EIO ? "reading (every sector of 4 blocks in a row)" :
		     "verification read", r->off);
		return false;
	}
	st->next = r->off + r->len;
	progress(st, r->len);
	return checkpoint(st, r->off + r->len, false) && !cancelled(st);
}

/* Test support (see wipe.h): wait while the file named by @var exists. */
void wipe_test_pause(const char *var, struct wipe_monitor *m)
{
#ifdef CUSTOS_TEST_HOOKS
	const char *f = getenv(var);
	char *paused;

	if (!f || !*f || access(f, F_OK) != 0)
		return;
	paused = util_asprintf("%s.paused", f);
	if (!paused || util_write_file_atomic(paused, "", 0, 0600) < 0) {
		free(paused);
		return;
	}
	for (int i = 0; i < 2400 && access(f, F_OK) == 0 && !(m && atomic_load(&m->cancel)); i++)
		usleep(50000);
	free(paused);
#else
	(void)var;	/* a normal build has no test hooks */
	(void)m;
#endif
}

static int verify_loop(struct wipe_state *st, struct extents *e)
{
	const struct wipe_src *src = &st->srcs[st->pass];
	struct ring *rd = NULL;
	struct slot *r;
	int rc = 0;

	if (src->random)
		rc = prng_new(&st->vprng, src->key, src->key_len, NULL);
	if (rc == 0)
		rc = ring_new(&rd, RING_READ, st, src, e);
	while (rc == 0 && (r = ring_take(rd))) {
		if (!verify_block(st, r))
			break;
		ring_release(rd);
	}
	ring_free(rd);
	prng_free(st->vprng);
	st->vprng = NULL;
	return rc;
}

static int verify_pass(struct wipe_state *st, bool sample)
{
	const struct wipe_src *src = &st->srcs[st->pass];
	uint64_t errors = st->res->errors, s = st->io->sector_size;
	struct wipe_range whole, *plan = NULL;
	uint64_t sample_total = 0;
	struct extents e;
	size_t n = 0;
	int rc;

	wipe_test_pause("CUSTOS_TEST_PAUSE_BEFORE_VERIFY", st->p->monitor);
	rc = blkio_drop_cache(st->io);
	if (rc < 0) {
		fail(st, rc, _("flushing the cache before verification"), 0);
		return 0;
	}
	if (sample && wipe_sample_plan(st->io->size / s, st->sample_seed, &plan, &n) == 0) {
		for (size_t i = 0; i < n; i++) {
			plan[i].offset *= s;
			plan[i].length *= s;
			sample_total += plan[i].length;
		}
		e = (struct extents){ .r = plan, .n = n, .chunk = st->block };
		extents_seek(&e, st->offset);
		st->res->sampled = true;
		st->res->sample_seed = st->sample_seed;
		st->res->sample_count = n;
	} else {
		if (sample) {
			util_warn(_("%s: too small to sample; verifying every byte"), st->io->path);
			st->verify = PROFILE_VERIFY_LAST;
		}
		make_extents(st, &e, &whole);
	}
	if (src->random)
		memset(st->vbuf, src->invert ? 0xff : 0x00, VERIFY_CHUNK + PROFILE_PATTERN_MAX);
	else
		wipe_src_fill(src, NULL, 0, st->vbuf, VERIFY_CHUNK + PROFILE_PATTERN_MAX);
	phase_begin(st, WIPE_PHASE_VERIFY, plan ? sample_total : st->io->size);
	st->next = st->offset;
	checkpoint(st, st->offset, true);
	rc = verify_loop(st, &e);
	st->res->verify_seconds += (double)(util_mono_ns() - st->phase_t0) / 1e9;
	free(plan);
	if (rc == 0 && !st->fatal && !cancelled(st) && st->res->errors == errors)
		st->res->passes[st->pass].verified = true;
	return rc;
}

/* The run ------------------------------------------------------------------ */

/* Block size for a pattern of @plen bytes: a multiple of it and of the
 * alignment, near the requested size. */
static uint32_t pass_block(uint32_t base, size_t plen)
{
	uint32_t unit = (uint32_t)plen * BLKIO_ALIGN;

	return base / unit ? base / unit * unit : unit;
}

static void describe_pass(struct wipe_state *st, size_t i)
{
	struct wipe_pass_result *pr = &st->res->passes[i];
	const struct wipe_src *s = &st->srcs[i];

	profile_pass_describe(&st->p->profile->passes[i], pr->desc, sizeof(pr->desc));
	pr->random = s->random;
	pr->inverted = s->invert;
	if (s->random)
		snprintf(pr->prng, sizeof(pr->prng), "%s", prng_name(s->key_len));
	else
		util_hex(s->pattern, s->plen, pr->pattern_hex);
}

static bool verify_after(struct wipe_state *st)
{
	bool last = st->pass + 1 == st->n_passes;

	switch (st->verify) {
	case PROFILE_VERIFY_ALL:
		return true;
	case PROFILE_VERIFY_LAST:
	case PROFILE_VERIFY_SAMPLE:
		return last;
	default:
		return false;
	}
}

static int run_passes(struct wipe_state *st)
{
	int rc = 0;

	/* A resumed run: the passes done before it are certified with their
	 * real patterns (their keys came back with the checkpoint). */
	for (size_t i = 0; i < st->pass && i < st->n_passes; i++)
		describe_pass(st, i);
	for (; st->pass < st->n_passes; st->pass++) {
		/* A pass resumed from a checkpoint keeps its key. */
		rc = wipe_src_resolve(st->p->profile, st->pass, st->srcs,
				      st->phase != WIPE_PHASE_IDLE);
		if (rc < 0)
			return rc;
		describe_pass(st, st->pass);
		st->block = pass_block(st->block_base, st->srcs[st->pass].plen);
		if (st->phase != WIPE_PHASE_VERIFY && !st->p->verify_only) {
			st->phase = WIPE_PHASE_WRITE;
			rc = write_pass(st);
			if (rc < 0 || st->fatal || cancelled(st))
				return rc;
			st->offset = 0;
		}
		if (verify_after(st) || st->p->verify_only) {
			st->phase = WIPE_PHASE_VERIFY;
			rc = verify_pass(st, st->verify == PROFILE_VERIFY_SAMPLE);
			if (rc < 0 || st->fatal || cancelled(st))
				return rc;
		}
		st->phase = WIPE_PHASE_IDLE;
		st->offset = 0;
	}
	return 0;
}

static uint64_t verify_bytes(struct wipe_state *st)
{
	uint64_t size = st->io->size;

	switch (st->verify) {
	case PROFILE_VERIFY_ALL:
		return size * st->n_passes;
	case PROFILE_VERIFY_LAST:
		return size;
	case PROFILE_VERIFY_SAMPLE:
		return size / 10;	/* an estimate for progress only */
	default:
		return 0;
	}
}

static int check_params(const struct wipe_params *p, char **cause)
{
	if (!p->profile || !p->io || p->io->fd < 0)
		return util_fail(cause, -EINVAL, _("wipe: missing profile or target"));
	if (p->profile->method != PROFILE_METHOD_OVERWRITE || !p->profile->n_passes)
		return util_fail(cause, -EINVAL, _("wipe: profile %s is not an overwrite"),
				 p->profile->name);
	if (!p->io->size)
		return util_fail(cause, -EINVAL, _("%s: empty medium"), p->io->path);
	if (p->block_size && (p->block_size < (1u << 20) || p->block_size > (16u << 20) ||
			      p->block_size % BLKIO_ALIGN))
		return util_fail(cause, -EINVAL, _("wipe: block size must be 1..16 MiB, 4 KiB aligned"));
	if (p->resume && !p->checkpoint_path)
		return util_fail(cause, -EINVAL, _("wipe: resume needs a checkpoint"));
	return 0;
}

/*
 * A resumed run: the medium must hold what its checkpoint says was written,
 * checked on one sector: in a verification the pass was all written, so
 * the sector before the offset (or the first); in a write phase the sector
 * before the offset, synced before the checkpoint was.  A checkpoint of
 * another run (one left behind by a run that ended), or a medium written
 * since, is refused: resumed, it would skip passes over data they never
 * covered.  Nothing to check at the start of a write phase; a sector of a
 * recorded bad range, or one that cannot be read, is no evidence either way.
 */
static int check_resumed_medium(struct wipe_state *st, char **cause)
{
	const struct wipe_src *src = &st->srcs[st->pass];
	uint32_t s = st->io->sector_size;
	uint64_t off = st->offset >= s ? st->offset - s : 0;
	uint8_t *exp = NULL;
	struct prng *prng = NULL;
	int rc = 0;

	if (st->p->verify_only || (st->phase != WIPE_PHASE_VERIFY && st->offset < s))
		return 0;
	for (size_t i = 0; i < st->res->n_bad; i++)
		if (st->res->bad[i].offset < off + s &&
		    off < st->res->bad[i].offset + st->res->bad[i].length)
			return 0;
	if (blkio_pread(st->io, st->bounce, s, off) < 0)
		return 0;
	exp = malloc(s);
	if (!exp || (src->random && prng_new(&prng, src->key, src->key_len, NULL) < 0)) {
		rc = util_fail(cause, -ENOMEM, _("wipe: out of memory"));
		goto out;
	}
	wipe_src_fill(src, prng, off, exp, s);
	if (memcmp(exp, st->bounce, s) != 0)
		rc = util_fail(cause, -ESTALE, _("%s: checkpoint %s does not describe this medium"
			       " (offset %llu does not hold pass %u): another run's, or the"
			       " medium was written since; refusing to resume (start over)"),
			       st->io->path, st->p->checkpoint_path, (unsigned long long)off,
			       st->pass + 1);
out:
	prng_free(prng);
	free(exp);
	return rc;
}

static int state_init(struct wipe_state *st, const struct wipe_params *p, struct wipe_result *res,
		      char **cause)
{
	int rc;

	memset(res, 0, sizeof(*res));
	memset(st, 0, sizeof(*st));
	st->p = p;
	st->io = p->io;
	st->res = res;
	st->n_passes = p->verify_only ? 1 : p->profile->n_passes;
	st->verify = p->verify_only ? PROFILE_VERIFY_LAST : p->verify;
	st->block_base = p->block_size ? p->block_size : WIPE_DEFAULT_BLOCK;
	util_strlcpy(res->profile, p->profile->name, sizeof(res->profile));
	util_strlcpy(res->device, p->io->path, sizeof(res->device));
	res->size = p->io->size;
	res->sector_size = p->io->sector_size;
	res->first_mismatch = UINT64_MAX;
	res->start = util_unix_now();
	res->n_passes = st->n_passes;
	st->sample_seed = p->sample_seed;
	if (!p->sample_seed_set && prng_random_key((uint8_t *)&st->sample_seed,
						   sizeof(st->sample_seed)) < 0)
		return util_fail(cause, -EIO, _("wipe: no random seed"));
	/* Fixed-size buffers only: those of a block's size (the pattern
	 * block, the ring) are allocated per phase from st->block, which a
	 * resumed run takes from its checkpoint (the checkpointed offset is
	 * on that run's chunk boundaries). */
	st->bounce = blkio_alloc(BLKIO_ALIGN);	/* probe_size(): sectors <= BLKIO_ALIGN */
	st->vbuf = blkio_alloc(VERIFY_CHUNK + PROFILE_PATTERN_MAX);
	if (!st->bounce || !st->vbuf)
		return util_fail(cause, -ENOMEM, _("wipe: out of memory"));
	if (!p->resume)
		return 0;
	rc = wipe_checkpoint_load(st, cause);
	if (rc == 0)
		rc = check_resumed_medium(st, cause);
	if (rc == 0 && p->block_size && p->block_size != st->block_base)
		util_warn(_("%s: resuming with the interrupted run's block size (%u KiB), not %u KiB"),
			  p->io->path, st->block_base >> 10, p->block_size >> 10);
	return rc;
}

static void state_free(struct wipe_state *st)
{
	free(st->bounce);
	free(st->vbuf);
	util_wipe_secret(st->srcs, sizeof(st->srcs));
}

static void set_outcome(struct wipe_state *st)
{
	struct wipe_result *res = st->res;

	if (st->cancelled && !st->fatal) {
		res->outcome = WIPE_OUTCOME_ABORTED;
		snprintf(res->cause, sizeof(res->cause), "%s", _("cancelled"));
	} else if (st->fatal) {
		res->outcome = WIPE_OUTCOME_FAILED;
	} else if (res->errors || res->n_bad || res->bad_dropped) {
		res->outcome = WIPE_OUTCOME_FAILED;
		snprintf(res->cause, sizeof(res->cause),
			 /* TRANSLATORS: the two %s add an English plural "s" */
			 _("%llu bad or mismatching sector%s in %zu range%s (%llu bytes)"),
			 (unsigned long long)res->errors, res->errors == 1 ? "" : "s",
			 res->n_bad + res->bad_dropped, res->n_bad + res->bad_dropped == 1 ? "" : "s",
			 (unsigned long long)res->bad_bytes);
	} else if (st->verify == PROFILE_VERIFY_NONE && !st->p->verify_only) {
		res->outcome = WIPE_OUTCOME_UNVERIFIED;
	} else {
		res->outcome = WIPE_OUTCOME_ERASED;
	}
}

static void finish(struct wipe_state *st)
{
	struct wipe_result *res = st->res;
	double secs = (double)(util_mono_ns() - st->t0_ns) / 1e9;

	wipe_result_merge_ranges(res);
	set_outcome(st);
	res->verify = st->verify;
	res->block_size = st->block_base;
	blkio_read_path(st->io, res->read_path, sizeof(res->read_path));
	if (!st->io->bytes_read_direct && !st->io->bytes_read_buffered)
		snprintf(res->read_path, sizeof(res->read_path), "none");
	res->end = util_unix_now();
	res->duration = secs;
	res->throughput = secs > 0 ? (double)st->run_bytes / secs : 0;
	st->phase = WIPE_PHASE_DONE;
	publish(st);
	if (!st->p->checkpoint_path || st->p->verify_only || st->p->keep_checkpoint)
		return;
	/* Keep the checkpoint of a run that can go on: cancelled, or its
	 * device vanished (it may come back). */
	if (res->outcome == WIPE_OUTCOME_ABORTED || st->removed)
		return;
	if (unlink(st->p->checkpoint_path) < 0 && errno != ENOENT)
		util_warn(_("cannot remove checkpoint %s: %s"), st->p->checkpoint_path,
			  strerror(errno));
}

int wipe_run(const struct wipe_params *p, struct wipe_result *res, char **cause)
{
	struct wipe_state st;
	int rc = check_params(p, cause);

	if (rc < 0)
		return rc;
	rc = state_init(&st, p, res, cause);
	if (rc < 0)
		goto out;
	st.t0_ns = util_mono_ns();
	st.rate_t = st.t0_ns;
	st.total = (p->verify_only ? 0 : p->io->size * st.n_passes) + verify_bytes(&st);
	st.done = st.pass * p->io->size + st.offset;
	rc = run_passes(&st);
	if (rc < 0) {
		/* Started: a failure now (out of memory for a pass's buffers...)
		 * is the run's outcome, not "could not start". */
		fail(&st, rc, st.phase == WIPE_PHASE_VERIFY ? "preparing the verification" :
		     "preparing the pass", st.next);
		rc = 0;
	}
	/* Cancelled: record where to go on (a write phase syncs first). */
	if (st.cancelled && !st.fatal &&
	    (st.phase == WIPE_PHASE_WRITE || st.phase == WIPE_PHASE_VERIFY))
		checkpoint(&st, st.next, true);
	finish(&st);
out:
	state_free(&st);
	if (rc < 0)
		wipe_result_clear(res);
	return rc;
}
