/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "wipe.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "prng.h"
#include "util.h"
#include "wipe-private.h"

static const char *const outcome_names[] = { "erased", "unverified", "failed", "aborted" };
static const char *const phase_names[] = { "idle", "write", "verify", "done" };
static const char *const range_names[] = { "write-error", "read-error", "mismatch" };

const char *wipe_outcome_name(enum wipe_outcome o)
{
	return (unsigned)o < UTIL_ARRAY_SIZE(outcome_names) ? outcome_names[o] : "unknown";
}

const char *wipe_phase_name(enum wipe_phase ph)
{
	return (unsigned)ph < UTIL_ARRAY_SIZE(phase_names) ? phase_names[ph] : "unknown";
}

const char *wipe_range_kind_name(enum wipe_range_kind k)
{
	return (unsigned)k < UTIL_ARRAY_SIZE(range_names) ? range_names[k] : "unknown";
}

void wipe_monitor_init(struct wipe_monitor *m)
{
	memset(m, 0, sizeof(*m));
	pthread_mutex_init(&m->lock, NULL);
	m->progress.eta_s = UINT64_MAX;
	atomic_init(&m->cancel, false);
}

void wipe_monitor_destroy(struct wipe_monitor *m)
{
	pthread_mutex_destroy(&m->lock);
}

void wipe_monitor_snapshot(struct wipe_monitor *m, struct wipe_progress *out)
{
	pthread_mutex_lock(&m->lock);
	*out = m->progress;
	pthread_mutex_unlock(&m->lock);
}

void wipe_monitor_cancel(struct wipe_monitor *m)
{
	atomic_store(&m->cancel, true);
}

void wipe_result_clear(struct wipe_result *res)
{
	free(res->bad);
	res->bad = NULL;
	res->n_bad = 0;
}

void wipe_pattern_fill(const uint8_t *pattern, size_t plen, bool invert, uint64_t offset,
		       uint8_t *buf, size_t len)
{
	size_t phase = (size_t)(offset % plen), done;

	if (plen == 1) {
		memset(buf, invert ? (uint8_t)~pattern[0] : pattern[0], len);
		return;
	}
	/* One period, then double what is filled with memcpy. */
	for (done = 0; done < len && done < plen; done++) {
		uint8_t b = pattern[(phase + done) % plen];

		buf[done] = invert ? (uint8_t)~b : b;
	}
	while (done < len) {
		size_t n = done - done % plen;

		if (n > len - done)
			n = len - done;
		memcpy(buf + done, buf, n);
		done += n;
	}
}

/* Pass data sources ------------------------------------------------------ */

void wipe_src_fill(const struct wipe_src *s, struct prng *prng, uint64_t off, uint8_t *buf,
		   size_t len)
{
	if (!s->random) {
		wipe_pattern_fill(s->pattern, s->plen, false, off, buf, len);
		return;
	}
	prng_fill(prng, off, buf, len);
	if (s->invert) {
		size_t i = 0;

		for (; i + 8 <= len; i += 8) {
			uint64_t v;

			memcpy(&v, buf + i, 8);
			v = ~v;
			memcpy(buf + i, &v, 8);
		}
		for (; i < len; i++)
			buf[i] = (uint8_t)~buf[i];
	}
}

/* Resolve pass @i of the profile into @srcs[i]; random passes get a fresh
 * key unless @keep_key (resume: the key came from the checkpoint). */
int wipe_src_resolve(const struct profile *p, size_t i, struct wipe_src *srcs, bool keep_key)
{
	const struct profile_pass *pass = &p->passes[i];
	struct wipe_src *s = &srcs[i];

	if (pass->kind == PROFILE_PASS_COMPLEMENT) {
		uint8_t key[PRNG_KEY_MAX];

		memcpy(key, s->key, sizeof(key));
		*s = srcs[i - 1];
		if (s->random) {
			s->invert = !s->invert;
		} else {
			for (size_t k = 0; k < s->plen; k++)
				s->pattern[k] = (uint8_t)~s->pattern[k];
		}
		util_wipe_secret(key, sizeof(key));
		return 0;
	}
	if (pass->kind == PROFILE_PASS_PATTERN) {
		memset(s, 0, sizeof(*s));
		memcpy(s->pattern, pass->pattern, pass->pattern_len);
		s->plen = pass->pattern_len;
		return 0;
	}
	s->random = true;
	s->invert = false;
	s->key_len = 16;
	s->plen = 1;
	return keep_key ? 0 : prng_random_key(s->key, s->key_len);
}

/* Sample plan ------------------------------------------------------------ */

static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t rand_below(uint64_t *state, uint64_t n)
{
	return n ? splitmix64(state) % n : 0;
}

int wipe_sample_plan(uint64_t n_sectors, uint64_t seed, struct wipe_range **out, size_t *n)
{
	const uint64_t k = WIPE_SAMPLE_SUBSECTIONS;
	struct wipe_range *r;
	uint64_t state = seed;

	if (n_sectors < 4 * k)
		return -ERANGE;
	r = calloc(2 * k, sizeof(*r));
	if (!r)
		return -ENOMEM;
	for (uint64_t i = 0; i < k; i++) {
		uint64_t start = n_sectors * i / k, len = n_sectors * (i + 1) / k - start;
		uint64_t l = (len + 19) / 20, a, b, t;

		/* Two positions in the space left after removing both
		 * samples, sorted: sample 2 starts @l after the second. */
		a = rand_below(&state, len - 2 * l + 1);
		b = rand_below(&state, len - 2 * l + 1);
		if (a > b) {
			t = a;
			a = b;
			b = t;
		}
		if (i == 0)
			a = 0;
		if (i == k - 1)
			b = len - 2 * l;
		r[2 * i] = (struct wipe_range){ .offset = start + a, .length = l };
		r[2 * i + 1] = (struct wipe_range){ .offset = start + b + l, .length = l };
	}
	*out = r;
	*n = 2 * k;
	return 0;
}

/* Results ---------------------------------------------------------------- */

/* Record a bad range, merged with the previous one when contiguous. */
void wipe_add_range(struct wipe_result *res, enum wipe_range_kind kind, unsigned pass,
		    uint64_t off, uint64_t len, int err)
{
	struct wipe_range *last = res->n_bad ? &res->bad[res->n_bad - 1] : NULL;

	res->bad_bytes += len;
	if (last && last->kind == kind && last->pass == pass && last->err == err &&
	    last->offset + last->length == off) {
		last->length += len;
		return;
	}
	if (res->n_bad == WIPE_MAX_RANGES) {
		res->bad_dropped++;
		return;
	}
	if (!res->bad) {
		res->bad = calloc(WIPE_MAX_RANGES, sizeof(*res->bad));
		if (!res->bad) {
			res->bad_dropped++;
			return;
		}
	}
	res->bad[res->n_bad++] = (struct wipe_range){ off, len, kind, pass, err };
}

static int range_cmp(const void *a, const void *b)
{
	const struct wipe_range *x = a, *y = b;

	if (x->offset != y->offset)
		return x->offset < y->offset ? -1 : 1;
	return x->length < y->length ? -1 : x->length > y->length;
}

void wipe_result_merge_ranges(struct wipe_result *res)
{
	size_t n = 0;
	uint64_t bytes = 0;

	if (!res->n_bad)
		return;
	qsort(res->bad, res->n_bad, sizeof(*res->bad), range_cmp);
	for (size_t i = 0; i < res->n_bad; i++) {
		struct wipe_range *r = &res->bad[i], *last = n ? &res->bad[n - 1] : NULL;

		if (last && r->offset <= last->offset + last->length) {
			uint64_t end = r->offset + r->length;

			if (end > last->offset + last->length)
				last->length = end - last->offset;
			continue;	/* the first kind and pass found are kept */
		}
		res->bad[n++] = *r;
	}
	res->n_bad = n;
	for (size_t i = 0; i < n; i++)
		bytes += res->bad[i].length;
	if (res->bad_dropped)
		return;	/* not every range is known: keep the counts as counted */
	res->bad_bytes = bytes;
	if (res->sector_size)
		res->errors = (bytes + res->sector_size - 1) / res->sector_size;
}

static json_t *pass_json(const struct wipe_pass_result *p)
{
	json_t *o = json_object();

	json_object_set_new(o, "pass", json_string(p->desc));
	if (p->random) {
		json_object_set_new(o, "data", json_string(p->inverted ? "random-inverted" :
							  "random"));
		json_object_set_new(o, "prng", json_string(p->prng));
	} else {
		json_object_set_new(o, "data", json_string("pattern"));
		json_object_set_new(o, "pattern_hex", json_string(p->pattern_hex));
	}
	json_object_set_new(o, "written", json_boolean(p->written));
	json_object_set_new(o, "verified", json_boolean(p->verified));
	json_object_set_new(o, "bytes_written", json_integer((json_int_t)p->bytes_written));
	json_object_set_new(o, "bytes_verified", json_integer((json_int_t)p->bytes_verified));
	return o;
}

static json_t *range_json(const struct wipe_range *r)
{
	return json_pack("{s:I, s:I, s:s, s:i, s:s}", "offset", (json_int_t)r->offset,
			 "length", (json_int_t)r->length, "kind", wipe_range_kind_name(r->kind),
			 "pass", (int)r->pass, "error", r->err ? strerror(-r->err) : "");
}

json_t *wipe_result_to_json(const struct wipe_result *res)
{
	json_t *o = json_object(), *passes = json_array(), *bad = json_array();
	char t[32];

	if (!o || !passes || !bad) {
		json_decref(o);
		json_decref(passes);
		json_decref(bad);
		return NULL;
	}
	for (size_t i = 0; i < res->n_passes; i++)
		json_array_append_new(passes, pass_json(&res->passes[i]));
	for (size_t i = 0; i < res->n_bad; i++)
		json_array_append_new(bad, range_json(&res->bad[i]));
	json_object_set_new(o, "device", json_string(res->device));
	json_object_set_new(o, "outcome", json_string(wipe_outcome_name(res->outcome)));
	json_object_set_new(o, "profile", json_string(res->profile));
	json_object_set_new(o, "size", json_integer((json_int_t)res->size));
	json_object_set_new(o, "sector_size", json_integer(res->sector_size));
	json_object_set_new(o, "bytes_written", json_integer((json_int_t)res->bytes_written));
	json_object_set_new(o, "bytes_verified", json_integer((json_int_t)res->bytes_verified));
	json_object_set_new(o, "errors", json_integer((json_int_t)res->errors));
	json_object_set_new(o, "verify", json_string(profile_verify_name(res->verify)));
	json_object_set_new(o, "read_path", json_string(res->read_path));
	if (res->sampled) {
		char seed[24];

		/* A string: JSON integers are signed and the seed uses 64 bits. */
		snprintf(seed, sizeof(seed), "%llu", (unsigned long long)res->sample_seed);
		json_object_set_new(o, "sample_seed", json_string(seed));
		json_object_set_new(o, "sample_count", json_integer((json_int_t)res->sample_count));
	}
	json_object_set_new(o, "passes", passes);
	json_object_set_new(o, "bad_ranges", bad);
	json_object_set_new(o, "bad_ranges_dropped", json_integer((json_int_t)res->bad_dropped));
	json_object_set_new(o, "bad_bytes", json_integer((json_int_t)res->bad_bytes));
	json_object_set_new(o, "mismatch_bytes", json_integer((json_int_t)res->mismatch_bytes));
	if (res->first_mismatch != UINT64_MAX)
		json_object_set_new(o, "first_mismatch",
				    json_integer((json_int_t)res->first_mismatch));
	util_iso8601(res->start, t, sizeof(t));
	json_object_set_new(o, "start", json_string(t));
	util_iso8601(res->end, t, sizeof(t));
	json_object_set_new(o, "end", json_string(t));
	json_object_set_new(o, "start_unix", json_integer(res->start));
	json_object_set_new(o, "end_unix", json_integer(res->end));
	json_object_set_new(o, "duration_s", json_real(res->duration));
	json_object_set_new(o, "write_seconds", json_real(res->write_seconds));
	json_object_set_new(o, "verify_seconds", json_real(res->verify_seconds));
	json_object_set_new(o, "throughput_bps", json_real(res->throughput));
	json_object_set_new(o, "resumed", json_integer(res->resumed));
	json_object_set_new(o, "interruptions", json_integer(res->interruptions));
	if (res->cause[0])
		json_object_set_new(o, "cause", json_string(res->cause));
	return o;
}
