/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CUSTOS_WIPE_H
#define CUSTOS_WIPE_H

/*
 * wipe: the overwrite engine.  wipe_run() overwrites one opened target
 * with the passes of a profile in the calling thread (a producer thread
 * generates random data and a reader thread reads ahead during
 * verification), verifies as asked with reads that bypass the cache,
 * isolates failing regions down to the logical sector, checkpoints for
 * resume, and fills a result that never says "erased" unless every
 * addressable sector was written and verified as required.
 *
 * Other threads watch and steer a run only through its struct wipe_monitor.
 */

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "blkio.h"
#include "profile.h"

enum wipe_outcome {
	WIPE_OUTCOME_ERASED = 0,	/* every pass written, verified as the mode requires */
	WIPE_OUTCOME_UNVERIFIED,	/* every pass written and synced; --verify none */
	WIPE_OUTCOME_FAILED,		/* a sector not written/verified, or the run broke */
	WIPE_OUTCOME_ABORTED,		/* cancelled (SIGINT/SIGTERM); resumable */
};

enum wipe_phase { WIPE_PHASE_IDLE = 0, WIPE_PHASE_WRITE, WIPE_PHASE_VERIFY, WIPE_PHASE_DONE };

struct wipe_progress {
	unsigned pass;			/* 1-based pass being worked on; 0 before the first */
	unsigned n_passes;
	enum wipe_phase phase;
	uint64_t phase_done;		/* bytes of this phase done */
	uint64_t phase_total;
	uint64_t done;			/* bytes of all phases (writes + verification reads) */
	uint64_t total;
	double rate;			/* bytes per second in this phase */
	uint64_t eta_s;			/* UINT64_MAX when unknown */
	uint64_t errors;		/* I/O errors and mismatching sectors so far */
	unsigned resumed;
};

/* Shared between the engine and its watchers; all fields behind the API. */
struct wipe_monitor {
	pthread_mutex_t lock;
	struct wipe_progress progress;
	atomic_bool cancel;
};

void wipe_monitor_init(struct wipe_monitor *m);
void wipe_monitor_destroy(struct wipe_monitor *m);
void wipe_monitor_snapshot(struct wipe_monitor *m, struct wipe_progress *out);
void wipe_monitor_cancel(struct wipe_monitor *m);	/* async-signal-safe */

enum wipe_range_kind { WIPE_RANGE_WRITE, WIPE_RANGE_READ, WIPE_RANGE_MISMATCH };

struct wipe_range {
	uint64_t offset;
	uint64_t length;
	enum wipe_range_kind kind;	/* write error, read error, data mismatch */
	unsigned pass;			/* 1-based */
	int err;			/* negative errno (0 for a mismatch) */
};

struct wipe_pass_result {
	char desc[512];			/* the profile's line: "byte 0x00", "random", ... */
	char pattern_hex[2 * PROFILE_PATTERN_MAX + 1];	/* bytes written; "" for random */
	bool random;			/* AES-CTR keystream (inverted when @inverted) */
	bool inverted;
	char prng[16];			/* "aes-128-ctr" for random passes */
	bool written;			/* every block written and fdatasync'ed */
	bool verified;			/* read back (fully or by sample) without a difference */
	uint64_t bytes_written;
	uint64_t bytes_verified;
};

struct wipe_result {
	enum wipe_outcome outcome;
	char profile[64];
	char device[PATH_MAX];
	uint64_t size;
	uint32_t sector_size;
	uint32_t block_size;
	struct wipe_pass_result passes[PROFILE_MAX_PASSES];
	size_t n_passes;
	uint64_t bytes_written;
	uint64_t bytes_verified;
	enum profile_verify verify;
	char read_path[192];		/* how verification reads reached the medium */
	bool sampled;			/* sample mode: @sample_seed and @sample_count are set */
	uint64_t sample_seed;
	uint64_t sample_count;
	struct wipe_range *bad;		/* bad and mismatching ranges, merged */
	size_t n_bad;
	size_t bad_dropped;		/* ranges not kept after WIPE_MAX_RANGES */
	uint64_t bad_bytes;
	uint64_t errors;
	uint64_t mismatch_bytes;	/* bytes that differed from what was written */
	uint64_t first_mismatch;	/* byte offset, UINT64_MAX if none */
	int64_t start;			/* unix seconds */
	int64_t end;
	double duration;		/* seconds of this run (not counting earlier ones) */
	double write_seconds;		/* of which writing (and syncing) */
	double verify_seconds;		/* of which verifying */
	double throughput;		/* bytes (written + verified) per second */
	unsigned resumed;		/* times this wipe was resumed from a checkpoint */
	unsigned interruptions;		/* times a run of it stopped before the end (crash,
					 * stop): counted in the checkpoint */
	uint64_t first_write_ns;	/* util_mono_ns() of the first write; 0 if none */
	char cause[512];		/* why it failed or was aborted; "" otherwise */
};

#define WIPE_MAX_RANGES 4096
#define WIPE_DEFAULT_BLOCK (4u << 20)
#define WIPE_SAMPLE_SUBSECTIONS 1000

struct wipe_params {
	const struct profile *profile;	/* method overwrite */
	enum profile_verify verify;
	struct blkio *io;		/* opened target (BLKIO_WRITE unless @verify_only) */
	struct wipe_monitor *monitor;	/* may be NULL */
	const char *serial;		/* device identity kept in checkpoints */
	const char *backing;		/* loop: its backing file; may be NULL */
	const char *checkpoint_path;	/* NULL: no checkpoints */
	bool resume;			/* continue from @checkpoint_path */
	uint32_t block_size;		/* 0: WIPE_DEFAULT_BLOCK (1 MiB .. 16 MiB) */
	bool sample_seed_set;
	uint64_t sample_seed;
	unsigned checkpoint_ms;		/* 0: every 5 s */
	bool verify_only;		/* read-only check against pass 1 (custos verify) */
	bool keep_checkpoint;		/* the caller removes the checkpoint once the run
					 * is recorded (sanitize.c); else removed at the end */
};

/*
 * Run the wipe.  Returns 0 with @res filled for every outcome, failed and
 * aborted included (a failure after the start, out of memory included, is
 * outcome failed); a negative errno only when it could not start (bad
 * parameters, out of memory before the first write, a checkpoint for
 * another device, -ESTALE for one the medium does not match: a sector
 * before its offset does not hold its pass).  Bad ranges are merged at the end: overlapping or
 * adjacent ranges (a write error and the mismatch of the same sectors)
 * become one, every sector counted once in @errors and @bad_bytes.  Free
 * the result's ranges with wipe_result_clear().
 *
 * Test support (builds configured with --enable-test-hooks only): when
 * the environment variable CUSTOS_TEST_PAUSE_BEFORE_VERIFY
 * names an existing file F, the engine creates F.paused before each
 * verification phase and waits until F is removed (at most 120 s), so a
 * test can change the medium between write and verification.
 */
int wipe_run(const struct wipe_params *p, struct wipe_result *res, char **cause);
/* The pause above, for other points of a run (--enable-test-hooks builds;
 * a no-op otherwise): when the environment variable @var names an existing
 * file F, create F.paused and wait until F is removed (at most 120 s) or
 * @m (may be NULL) is cancelled. */
void wipe_test_pause(const char *var, struct wipe_monitor *m);
void wipe_result_clear(struct wipe_result *res);
/* Merge @res's bad ranges (sorted, overlapping/adjacent ones joined) and
 * recount bad_bytes and, when no range was dropped, errors (sectors). */
void wipe_result_merge_ranges(struct wipe_result *res);

const char *wipe_outcome_name(enum wipe_outcome o);	/* "erased", ... */
const char *wipe_phase_name(enum wipe_phase ph);	/* "write", "verify", ... */
const char *wipe_range_kind_name(enum wipe_range_kind k);

/* The result as JSON (bad ranges, passes with their patterns in hex, ...). */
json_t *wipe_result_to_json(const struct wipe_result *res);

/*
 * NIST SP 800-88 style sample plan over @n_sectors sectors: at least
 * WIPE_SAMPLE_SUBSECTIONS subsections, two pseudorandom non-overlapping
 * samples in each, each at least 5 % of its subsection, the first and
 * last sectors always included.  Ranges are in sectors, sorted.  -ERANGE
 * when the medium is too small to sample (fewer than 4 sectors per
 * subsection): verify it fully instead.
 */
int wipe_sample_plan(uint64_t n_sectors, uint64_t seed, struct wipe_range **out, size_t *n);

/* Fill @buf with the @len bytes of a repeating @pattern that start at
 * byte @offset of the medium (@invert: bitwise NOT). */
void wipe_pattern_fill(const uint8_t *pattern, size_t plen, bool invert, uint64_t offset,
		       uint8_t *buf, size_t len);

#endif
