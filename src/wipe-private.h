/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CUSTOS_WIPE_PRIVATE_H
#define CUSTOS_WIPE_PRIVATE_H

/* Internals shared by wipe.c, wipe-run.c and wipe-checkpoint.c. */

#include "prng.h"
#include "wipe.h"

/* What one pass writes: a repeating pattern, or an AES-CTR keystream
 * (inverted for the complement of a random pass). */
struct wipe_src {
	bool random;
	bool invert;
	uint8_t key[PRNG_KEY_MAX];
	size_t key_len;
	uint8_t pattern[PROFILE_PATTERN_MAX];
	size_t plen;
};

void wipe_src_fill(const struct wipe_src *s, struct prng *prng, uint64_t off, uint8_t *buf,
		   size_t len);
int wipe_src_resolve(const struct profile *p, size_t i, struct wipe_src *srcs, bool keep_key);
void wipe_add_range(struct wipe_result *res, enum wipe_range_kind kind, unsigned pass,
		    uint64_t off, uint64_t len, int err);

/* The state of one run. */
struct wipe_state {
	const struct wipe_params *p;
	struct blkio *io;
	struct wipe_result *res;
	struct wipe_src srcs[PROFILE_MAX_PASSES];
	size_t n_passes;
	uint32_t block_base;		/* requested block size */
	uint32_t block;			/* this pass's block: a multiple of its pattern */
	unsigned pass;			/* 0-based pass being worked on */
	enum wipe_phase phase;
	uint64_t offset;		/* where the phase goes on (checkpointed) */
	uint64_t next;			/* the chunk after the last one done */
	uint64_t run_bytes;		/* written + read in this run */
	enum profile_verify verify;
	uint64_t sample_seed;
	uint64_t total, done, phase_total, phase_done;
	uint64_t rate_t, rate_bytes;
	uint64_t phase_t0;
	struct prng *vprng;		/* verification of a random pass */
	double rate;
	uint64_t last_ckpt_ns;
	unsigned ckpt_warned;		/* a failing checkpoint is reported once */
	uint64_t t0_ns;
	unsigned failed_blocks;		/* consecutive blocks with no good sector */
	bool fatal;			/* res->cause says why */
	bool removed;
	bool cancelled;
	uint8_t *bounce;		/* one sector */
	uint8_t *vbuf;			/* expected bytes of a verify chunk (+ one period) */
};

int wipe_checkpoint_save(struct wipe_state *st);
int wipe_checkpoint_load(struct wipe_state *st, char **cause);

#endif
