/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fakedev: the scripted fake drive of the unit tests (see fakedev.h).
 * TEST DOUBLE: never linked into libcustos or the custos program.
 */
#include "fakedev.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"

#define ST_OK 0x50
#define ST_ERR 0x51
#define ERR_ABRT 0x04
#define SSTAT_BUSY 2

/* One ATA command as the fake sees it. */
struct req {
	const uint8_t *cdb;
	bool ext, ck_cond;
	uint16_t feature, count;
	uint64_t lba;
	uint8_t device, cmd;
	uint8_t *buf;
	size_t len;
};

/* Registers of a reply. */
struct reply {
	uint16_t count;
	uint64_t lba;
	uint8_t device;
	bool error;
	uint8_t reason;		/* LBA(7:0) on abort */
};

/* The section @tag of a libatasmart blob, exactly @want bytes, into @out. */
static int blob_section(const char *path, const char *tag, uint8_t *out, uint32_t want)
{
	FILE *f = fopen(path, "rb");
	uint8_t hdr[8];
	int rc = -ENOENT;

	if (!f)
		return -errno;
	while (fread(hdr, 1, sizeof(hdr), f) == sizeof(hdr)) {
		uint32_t len = (uint32_t)hdr[4] << 24 | (uint32_t)hdr[5] << 16 |
			       (uint32_t)hdr[6] << 8 | hdr[7];

		if (memcmp(hdr, tag, 4) == 0 && len == want) {
			rc = fread(out, 1, want, f) == want ? 0 : -EIO;
			break;
		}
		if (fseek(f, (long)len, SEEK_CUR) < 0)
			break;
	}
	fclose(f);
	return rc;
}

int fakedev_blob_identify(const char *path, uint8_t out[512])
{
	return blob_section(path, "IDFY", out, 512);
}

int fakedev_blob_smart(struct fakedev *f, const char *path)
{
	uint8_t st[4];
	int rc = blob_section(path, "SMDT", f->smart_data, 512);

	if (rc < 0)
		return rc;
	/* SMST: big-endian 1 for good (absent: the status was never read) */
	if (blob_section(path, "SMST", st, 4) == 0)
		f->smart_bad = !(st[0] | st[1] | st[2] | st[3]);
	return 0;
}

/* ---- data store ---------------------------------------------------------- */

static struct fakedev_sector *find_sector(struct fakedev *f, uint64_t lba)
{
	for (unsigned i = 0; i < f->nsectors; i++)
		if (f->sectors[i].lba == lba)
			return &f->sectors[i];
	return NULL;
}

static void fill_sector(const struct fakedev *f, uint64_t lba, uint8_t *buf)
{
	uint64_t x = lba * 0x9e3779b97f4a7c15ull + f->fill_gen * 0xbf58476d1ce4e5b9ull + 1;

	if (f->fill >= 0) {
		memset(buf, f->fill, f->lbsize);
		return;
	}
	for (uint32_t i = 0; i < f->lbsize; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[i] = (uint8_t)x;
	}
}

void fakedev_peek(struct fakedev *f, uint64_t lba, uint8_t *buf)
{
	struct fakedev_sector *s = find_sector(f, lba);

	if (s)
		memcpy(buf, s->data, f->lbsize);
	else
		fill_sector(f, lba, buf);
}

/* Erase the store: unwritten and written sectors read @fill (-1 random). */
static void store_erase(struct fakedev *f, int fill)
{
	if (f->erase_noop)
		return;
	for (unsigned i = 0; i < f->nsectors; i++)
		free(f->sectors[i].data);
	f->nsectors = 0;
	f->fill = fill;
	f->fill_gen++;
}

static int store_rw(void *ctx, bool write, uint64_t lba, void *buf, uint32_t count)
{
	struct fakedev *f = ctx;
	uint8_t *p = buf;

	if (lba + count > f->nblocks)
		return -EIO;
	for (uint32_t i = 0; i < count; i++, p += f->lbsize) {
		struct fakedev_sector *s = find_sector(f, lba + i);

		if (!write) {
			fakedev_peek(f, lba + i, p);
			continue;
		}
		if (!s) {
			if (f->nsectors == FAKEDEV_MAX_SECTORS)
				return -ENOSPC;
			s = &f->sectors[f->nsectors];
			s->data = malloc(f->lbsize);
			if (!s->data)
				return -ENOMEM;
			s->lba = lba + i;
			f->nsectors++;
		}
		memcpy(s->data, p, f->lbsize);
	}
	return 0;
}

static int store_capacity(void *ctx, uint64_t *bytes, uint32_t *lbsize)
{
	struct fakedev *f = ctx;

	*bytes = f->nblocks * f->lbsize;
	*lbsize = f->lbsize;
	return 0;
}

static void fake_sleep(void *ctx, uint32_t ms)
{
	struct fakedev *f = ctx;

	pthread_mutex_lock(&f->lock);
	f->clock_ms += ms;
	pthread_mutex_unlock(&f->lock);
}

/* ---- sense data ---------------------------------------------------------- */

static void sense_descriptor(struct sgio_raw *raw, const struct req *q, const struct reply *r)
{
	uint8_t *s = raw->sense, *d = raw->sense + 8;

	s[0] = 0x72;
	s[1] = 0x01;		/* RECOVERED ERROR */
	s[2] = 0x00;
	s[3] = 0x1d;		/* ATA pass-through information available */
	s[7] = 14;
	d[0] = 0x09;
	d[1] = 0x0c;
	d[2] = q->ext ? 1 : 0;
	d[3] = 0;
	d[4] = (uint8_t)(r->count >> 8);
	d[5] = (uint8_t)r->count;
	d[6] = (uint8_t)(r->lba >> 24);
	d[7] = (uint8_t)r->lba;
	d[8] = (uint8_t)(r->lba >> 32);
	d[9] = (uint8_t)(r->lba >> 8);
	d[10] = (uint8_t)(r->lba >> 40);
	d[11] = (uint8_t)(r->lba >> 16);
	d[12] = r->device;
	d[13] = ST_OK;
	raw->sense_len = 22;
}

/* Fixed format, current Linux layout. */
static void sense_fixed(struct sgio_raw *raw, const struct req *q, const struct reply *r,
			bool error)
{
	uint8_t *s = raw->sense;

	s[0] = 0xf0;
	s[2] = error ? 0x0b : 0x01;
	s[3] = error ? ERR_ABRT : 0;
	s[4] = error ? ST_ERR : ST_OK;
	s[5] = r->device;
	s[6] = (uint8_t)r->count;
	s[7] = 10;
	s[8] = (uint8_t)((q->ext ? 0x80 : 0) | ((r->count >> 8) ? 0x40 : 0) |
			 ((r->lba >> 24) ? 0x20 : 0));
	s[9] = (uint8_t)r->lba;
	s[10] = (uint8_t)(r->lba >> 8);
	s[11] = (uint8_t)(r->lba >> 16);
	s[12] = 0;
	s[13] = error ? 0 : 0x1d;
	raw->sense_len = 18;
}

static int answer(struct fakedev *f, const struct req *q, struct reply *r, struct sgio_raw *raw)
{
	if (!r->device)
		r->device = 0x40;
	if (r->error) {
		r->lba = r->reason;
		r->count = 0;
		raw->status = 0x02;
		raw->driver_status = 0x08;
		sense_fixed(raw, q, r, true);
		return 0;
	}
	if (!q->ck_cond || f->no_success_sense)
		return 0;
	raw->status = 0x02;
	raw->driver_status = 0x08;
	if (f->fixed_sense_always)
		sense_fixed(raw, q, r, false);
	else
		sense_descriptor(raw, q, r);
	return 0;
}

/* ---- ATA security ---------------------------------------------------------- */

static uint16_t word128(const struct fakedev *f)
{
	if (!f->sec_supported)
		return f->id[128];
	return (uint16_t)(1 | f->enabled << 1 | f->locked << 2 | f->frozen << 3 |
			  f->expired << 4 | f->enhanced_ok << 5 | f->level_max << 8);
}

static void put_sectors(uint16_t *w, uint64_t n)
{
	uint64_t n28 = n > 0x0fffffff ? 0x0fffffff : n;

	w[60] = (uint16_t)n28;
	w[61] = (uint16_t)(n28 >> 16);
	for (int i = 0; i < 4; i++)
		w[100 + i] = (uint16_t)(n >> (16 * i));
}

static void do_identify(struct fakedev *f, uint8_t *buf)
{
	uint16_t w[256];
	unsigned sum = 0;

	memcpy(w, f->id, sizeof(w));
	w[128] = word128(f);
	if (f->sec_supported)
		w[85] = (uint16_t)((w[85] & ~0x0002) | (f->enabled ? 2 : 0));
	put_sectors(w, f->current_max + 1);
	for (int i = 0; i < 256; i++) {
		buf[2 * i] = (uint8_t)w[i];
		buf[2 * i + 1] = (uint8_t)(w[i] >> 8);
	}
	if (buf[510] == 0xa5) {
		for (int i = 0; i < 511; i++)
			sum += buf[i];
		buf[511] = (uint8_t)(0x100 - (sum & 0xff));
	}
}

static bool password_ok(struct fakedev *f, const uint8_t *payload)
{
	char pw[33];

	memset(pw, 0, sizeof(pw));
	memcpy(pw, payload + 2, 32);
	if (strcmp(pw, f->user_pw) == 0)
		return true;
	if (--f->attempts <= 0)
		f->expired = true;
	return false;
}

static bool sec_command(struct fakedev *f, const struct req *q)
{
	const uint8_t *p = q->buf;

	if (!f->sec_supported || f->frozen || (q->cmd != 0xf3 && q->len < 512))
		return false;
	switch (q->cmd) {
	case 0xf1:			/* SET PASSWORD (user only here) */
		if (f->locked || (p[0] & 1))
			return false;
		memset(f->user_pw, 0, sizeof(f->user_pw));
		memcpy(f->user_pw, p + 2, 32);
		f->enabled = true;
		f->level_max = p[1] & 1;
		return true;
	case 0xf2:			/* UNLOCK */
		if (f->expired || !password_ok(f, p))
			return false;
		f->locked = false;
		return true;
	case 0xf3:			/* ERASE PREPARE */
		f->prepared = true;
		return true;
	case 0xf6:			/* DISABLE PASSWORD */
		if (f->locked || !f->enabled || !password_ok(f, p))
			return false;
		f->enabled = false;
		memset(f->user_pw, 0, sizeof(f->user_pw));
		return true;
	default:
		return false;
	}
}

static bool erase_unit(struct fakedev *f, const struct req *q, bool prepared)
{
	const uint8_t *p = q->buf;
	bool enhanced = p[0] & 2;

	if (!f->sec_supported || f->frozen || !prepared || !f->enabled || f->expired)
		return false;
	if (enhanced && !f->enhanced_ok)
		return false;
	if (!password_ok(f, p))
		return false;
	store_erase(f, enhanced ? -1 : 0);
	if (f->erase_keeps_password)
		return true;		/* "done", yet the password stays set */
	f->enabled = false;
	f->locked = false;
	memset(f->user_pw, 0, sizeof(f->user_pw));
	return true;
}

/* ---- ATA sanitize ---------------------------------------------------------- */

static void sanitize_advance(struct fakedev *f)
{
	if (!f->san_in_progress)
		return;
	if (f->san_left > 0)
		f->san_left--;
	if (f->san_left > 0)
		return;
	f->san_in_progress = false;
	if (f->san_fail) {
		f->san_failed = true;
		f->san_fail = false;
		return;
	}
	f->san_completed = true;
	if (f->san_kind == 0x14)
		store_erase(f, (int)(f->san_pattern & 0xff));
	else
		store_erase(f, f->san_kind == 0x11 ? -1 : 0);
}

static bool sanitize_start(struct fakedev *f, const struct req *q, struct reply *r)
{
	static const struct { uint16_t feature; uint16_t bit; uint32_t key; } subs[] = {
		{ 0x11, 0x2000, 0x43727970u }, { 0x12, 0x8000, 0x426b4572u },
		{ 0x14, 0x4000, 0 },
	};

	for (size_t i = 0; i < UTIL_ARRAY_SIZE(subs); i++) {
		if (q->feature != subs[i].feature)
			continue;
		r->reason = 0x02;
		if (!(f->id[59] & subs[i].bit))
			return false;
		if (subs[i].key ? (uint32_t)q->lba != subs[i].key : (q->lba >> 32) != 0x4f57)
			return false;
		r->reason = f->san_failed ? 0x01 : f->san_frozen ? 0x03 : 0;
		if (r->reason || f->locked || f->san_in_progress)
			return false;
		f->san_in_progress = true;
		f->san_completed = false;
		f->san_left = f->san_polls;
		f->san_kind = (uint8_t)q->feature;
		f->san_pattern = (uint32_t)q->lba;
		return true;
	}
	r->reason = 0x02;
	return false;
}

static bool sanitize(struct fakedev *f, const struct req *q, struct reply *r)
{
	if (!(f->id[59] & 0x1000))
		return false;
	switch (q->feature) {
	case 0x0000:
		sanitize_advance(f);
		if (f->san_failed && !(q->count & 1)) {
			r->reason = 0x01;
			return false;
		}
		if (q->count & 1)
			f->san_failed = false;
		r->count = (uint16_t)((f->san_completed ? 0x8000 : 0) |
				      (f->san_in_progress ? 0x4000 : 0) |
				      (f->san_frozen ? 0x2000 : 0) |
				      (f->san_antifreeze ? 0x1000 : 0));
		r->lba = f->san_in_progress ?
			 (uint64_t)(f->san_polls - f->san_left) * 0xffff / f->san_polls : 0xffff;
		return true;
	case 0x0020:
		if ((uint32_t)q->lba != 0x46724c6bu || f->san_antifreeze)
			return false;
		f->san_frozen = true;
		return true;
	case 0x0040:
		if ((uint32_t)q->lba != 0x416e7469u)
			return false;
		f->san_antifreeze = true;
		return true;
	default:
		return sanitize_start(f, q, r);
	}
}

/* ---- max address ------------------------------------------------------------ */

static bool set_max(struct fakedev *f, const struct req *q, bool ama)
{
	uint64_t lba = q->ext ? q->lba : (q->lba & 0xffffff) | (uint64_t)(q->device & 0xf) << 24;
	bool nv = q->count & 1;

	if (!ama && f->last_cmd != 0xf8 && f->last_cmd != 0x27)
		return false;		/* SET MAX must follow READ NATIVE MAX */
	if (lba > f->native_max || (nv && f->setmax_nv_done))
		return false;
	f->current_max = lba;
	f->nblocks = lba + 1;
	if (nv || ama)
		f->setmax_nv_done = true;
	return true;
}

static void dco_identify(const struct fakedev *f, uint8_t *buf)
{
	unsigned sum = 0;

	memset(buf, 0, 512);
	buf[0] = 2;
	for (int i = 0; i < 3; i++) {
		buf[6 + 2 * i] = (uint8_t)(f->dco_max >> (16 * i));
		buf[7 + 2 * i] = (uint8_t)(f->dco_max >> (16 * i + 8));
	}
	buf[14] = 0x88;		/* word 7: security + HPA */
	buf[15] = 0x01;		/* 48-bit */
	buf[510] = 0xa5;
	for (int i = 0; i < 511; i++)
		sum += buf[i];
	buf[511] = (uint8_t)(0x100 - (sum & 0xff));
}

static bool max_address(struct fakedev *f, const struct req *q, struct reply *r)
{
	switch (q->cmd) {
	case 0xf8:
		r->lba = f->native_max & 0xffffff;
		r->device = (uint8_t)(0x40 | ((f->native_max >> 24) & 0xf));
		return true;
	case 0x27:
		r->lba = f->native_max;
		return true;
	case 0x78:
		if (q->feature == 0)
			r->lba = f->native_max;
		return q->feature == 0 || (q->feature == 1 && set_max(f, q, true));
	case 0xf9:
		return q->feature == 0 && set_max(f, q, false);
	case 0x37:
		return set_max(f, q, false);
	case 0xb1:
		if (q->feature == 0xc2 && q->len == 512) {
			dco_identify(f, q->buf);
			return true;
		}
		if (q->feature != 0xc0 || f->dco_frozen || f->current_max != f->native_max)
			return false;	/* DCO RESTORE refused while an HPA is set */
		f->native_max = f->current_max = f->dco_max;
		f->nblocks = f->dco_max + 1;
		return true;
	default:
		return false;
	}
}

/* ---- SMART ------------------------------------------------------------------ */

static bool smart(struct fakedev *f, const struct req *q, struct reply *r)
{
	if (f->smart_off || (q->lba & 0xffff00) != 0xc24f00)
		return false;
	switch (q->feature) {
	case 0xda:		/* RETURN STATUS: the signature in LBA mid/high */
		r->lba = f->smart_bad ? 0x2cf400 : 0xc24f00;
		return true;
	case 0xd0:		/* READ DATA */
		if (q->len != 512)
			return false;
		memcpy(q->buf, f->smart_data, 512);
		return true;
	default:
		return false;
	}
}

/* ---- dispatch ---------------------------------------------------------------- */

static void parse_cdb(const uint8_t *c, struct req *q)
{
	q->cdb = c;
	q->ext = c[1] & 1;
	q->ck_cond = c[2] & 0x20;
	q->feature = (uint16_t)((q->ext ? c[3] << 8 : 0) | c[4]);
	q->count = (uint16_t)((q->ext ? c[5] << 8 : 0) | c[6]);
	q->lba = (uint64_t)c[8] | (uint64_t)c[10] << 8 | (uint64_t)c[12] << 16;
	if (q->ext)
		q->lba |= (uint64_t)c[7] << 24 | (uint64_t)c[9] << 32 | (uint64_t)c[11] << 40;
	q->device = c[13];
	q->cmd = c[14];
}

static void record(struct fakedev *f, const struct req *q, uint32_t timeout_ms, enum sgio_dir dir)
{
	struct fakedev_rec *r;

	if (f->nrec == FAKEDEV_MAX_REC)
		return;
	r = &f->rec[f->nrec++];
	memset(r, 0, sizeof(*r));
	memcpy(r->cdb, q->cdb, 16);
	r->timeout_ms = timeout_ms;
	if (dir == SGIO_DIR_OUT && q->buf) {
		r->len = q->len > 512 ? 512 : q->len;
		memcpy(r->data, q->buf, r->len);
	}
}

/* Apply an injected failure; returns true when the command ends here. */
static bool inject(struct fakedev *f, const struct req *q, struct sgio_raw *raw, int *rc)
{
	enum fakedev_fail fail = f->inj_fail;

	if (!fail || q->cmd != f->inj_opcode ||
	    (f->inj_feature >= 0 && q->feature != f->inj_feature))
		return false;
	f->inj_fail = FAKE_FAIL_NONE;
	switch (fail) {
	case FAKE_FAIL_TIMEOUT:
	case FAKE_FAIL_HOST_RESET:
		raw->host_status = fail == FAKE_FAIL_TIMEOUT ? 0x03 : 0x08;
		if (f->enabled)		/* the reset that follows locks the drive */
			f->locked = true;
		f->frozen = f->freeze_on_reset;
		break;
	case FAKE_FAIL_ABORT: {
		struct reply r = { .error = true };

		answer(f, q, &r, raw);
		break;
	}
	case FAKE_FAIL_EMPTY_SENSE:
		raw->status = 0x02;
		raw->driver_status = 0x08;
		break;
	case FAKE_FAIL_REJECT:
		raw->status = 0x02;
		raw->driver_status = 0x08;
		raw->sense[0] = 0x70;	/* no VALID: bytes 8-11 stay zero */
		raw->sense[2] = 0x05;	/* ILLEGAL REQUEST */
		raw->sense[7] = 0x0a;
		raw->sense[12] = 0x20;	/* INVALID COMMAND OPERATION CODE */
		raw->sense_len = 14;
		break;
	default:
		*rc = -EIO;
		break;
	}
	return true;
}

static int fake_ata(void *ctx, const uint8_t cdb[16], enum sgio_dir dir, void *buf, size_t len,
		    uint32_t timeout_ms, struct sgio_raw *raw)
{
	struct fakedev *f = ctx;
	struct reply r;
	struct req q;
	bool ok, prepared = f->prepared;
	int rc = 0;

	memset(raw, 0, sizeof(*raw));
	memset(&r, 0, sizeof(r));
	memset(&q, 0, sizeof(q));
	parse_cdb(cdb, &q);
	q.buf = buf;
	q.len = len;
	record(f, &q, timeout_ms, dir);
	f->prepared = false;
	if (cdb[0] != 0x85 || timeout_ms == 0)
		return -EINVAL;
	if (inject(f, &q, raw, &rc))
		goto out;
	switch (q.cmd) {
	case 0xec:
		ok = len == 512;
		if (ok)
			do_identify(f, buf);
		break;
	case 0xf1: case 0xf2: case 0xf3: case 0xf6:
		ok = sec_command(f, &q);
		break;
	case 0xf4:
		ok = erase_unit(f, &q, prepared);
		break;
	case 0xf5:
		ok = f->sec_supported;
		f->frozen = ok;
		break;
	case 0xb4:
		ok = sanitize(f, &q, &r);
		break;
	case 0xb0:
		ok = smart(f, &q, &r);
		break;
	case 0xe5:			/* CHECK POWER MODE */
		r.count = f->power_mode;
		ok = true;
		break;
	default:
		ok = max_address(f, &q, &r);
		break;
	}
	r.error = !ok;
	answer(f, &q, &r, raw);
out:
	f->last_cmd = q.cmd;
	return rc;
}

/* ---- NVMe ----------------------------------------------------------------------- */

static void put_le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static int nvme_sanitize(struct fakedev *f, struct sgio_nvme_cmd *c)
{
	unsigned act = c->cdw10 & 7;
	uint32_t cap = (uint32_t)f->idctrl[328] | (uint32_t)f->idctrl[329] << 8;

	if ((f->sstat & 7) == SSTAT_BUSY)
		return 0x1d;
	if ((act == 2 && !(cap & 2)) || (act == 3 && !(cap & 4)) || (act == 4 && !(cap & 1)) ||
	    act == 0 || act > 4)
		return 0x02;
	if (act == 1) {
		f->sstat = (uint16_t)(f->sstat & ~7);
		return 0;
	}
	f->nsan_cdw10 = c->cdw10;
	f->nsan_left = f->san_polls;
	f->sstat = SSTAT_BUSY;
	f->sprog = 0;
	return 0;
}

static void nvme_sanitize_advance(struct fakedev *f)
{
	unsigned act = f->nsan_cdw10 & 7;

	if ((f->sstat & 7) != SSTAT_BUSY)
		return;
	if (f->nsan_left > 0 && !f->nsan_stall)
		f->nsan_left--;
	f->sprog = (uint16_t)((f->san_polls - f->nsan_left) * 0xffffu / f->san_polls);
	if (f->nsan_left > 0)
		return;
	f->sprog = 0xffff;
	if (f->san_fail) {
		f->san_fail = false;
		f->sstat = 3;
		return;
	}
	f->sstat = (uint16_t)(1 | 0x100 | (act == 3 ? ((f->nsan_cdw10 >> 4) & 0xf) << 3 : 0));
	store_erase(f, act == 4 ? -1 : 0);
}

/* A running Format advances by one step per Identify Namespace. */
static void format_poll(struct fakedev *f)
{
	if (!f->fmt_running)
		return;
	if (f->fmt_left > 0)
		f->fmt_left--;
	f->idns[32] = (uint8_t)(0x80 | f->fmt_left * 100 / f->fmt_polls);
	if (f->fmt_left == 0)
		pthread_cond_broadcast(&f->cond);
}

/* A long Format: block (lock held by fake_nvme) until the polls ran it down;
 * -ETIMEDOUT after 10 real seconds so a test that never polls fails. */
static int format_wait(struct fakedev *f)
{
	struct timespec until;
	int rc = 0;

	f->fmt_left = f->fmt_polls;
	f->fmt_running = true;
	f->idns[32] = 0x80 | 100;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 10;
	while (f->fmt_left > 0 && rc == 0)
		rc = pthread_cond_timedwait(&f->cond, &f->lock, &until);
	f->fmt_running = false;
	f->idns[32] = 0x80;
	return f->fmt_left > 0 ? -ETIMEDOUT : 0;
}

static int nvme_admin(struct fakedev *f, struct sgio_nvme_cmd *c)
{
	unsigned ses;

	switch (c->opcode) {
	case 0x06:
		if (c->data_len != 4096)
			return 0x02;
		if ((c->cdw10 & 0xff) == 0)
			format_poll(f);
		memcpy(c->data, (c->cdw10 & 0xff) == 1 ? f->idctrl : f->idns, 4096);
		return 0;
	case 0x80:
		ses = (c->cdw10 >> 9) & 7;
		if (ses > 2 || (ses == 2 && !(f->idctrl[524] & 4)) || !(f->idctrl[256] & 2))
			return 0x02;
		if (f->fmt_polls && format_wait(f) < 0)
			return 0x06;	/* Internal Error: nobody polled */
		f->formats++;
		if (ses)
			store_erase(f, ses == 2 ? -1 : 0);
		return 0;
	case 0x84:
		return nvme_sanitize(f, c);
	case 0x02:
		if ((c->cdw10 & 0xff) != 0x81 || c->data_len < 512)
			return 0x02;
		nvme_sanitize_advance(f);
		memset(c->data, 0, c->data_len);
		put_le(c->data, f->sprog, 2);
		put_le((uint8_t *)c->data + 2, f->sstat, 2);
		put_le((uint8_t *)c->data + 4, f->nsan_cdw10, 4);
		for (int i = 0; i < 3; i++)
			put_le((uint8_t *)c->data + 8 + 4 * i, f->nsan_est_s, 4);
		return 0;
	default:
		return 0x01;
	}
}

static int fake_nvme_locked(struct fakedev *f, struct sgio_nvme_cmd *c)
{
	struct fakedev_rec *r;

	if (f->nrec < FAKEDEV_MAX_REC) {
		r = &f->rec[f->nrec++];
		memset(r, 0, sizeof(*r));
		r->nvme = true;
		r->opcode = c->opcode;
		r->nsid = c->nsid;
		r->cdw10 = c->cdw10;
		r->cdw11 = c->cdw11;
		r->timeout_ms = c->timeout_ms;
	}
	if (c->timeout_ms == 0)
		return -EINVAL;
	if (f->inj_fail && c->opcode == f->inj_opcode) {
		enum fakedev_fail fail = f->inj_fail;

		f->inj_fail = FAKE_FAIL_NONE;
		if (fail == FAKE_FAIL_ERRNO)
			return -ENOTTY;
		return fail == FAKE_FAIL_ABORT ? 0x07 : 0x371;
	}
	return nvme_admin(f, c);
}

static int fake_nvme(void *ctx, struct sgio_nvme_cmd *c)
{
	struct fakedev *f = ctx;
	int rc;

	pthread_mutex_lock(&f->lock);
	rc = fake_nvme_locked(f, c);
	pthread_mutex_unlock(&f->lock);
	return rc;
}

/* ---- construction --------------------------------------------------------------- */

static const struct sgio_ops fake_ops = {
	.ata_cmd = fake_ata,
	.nvme_admin = fake_nvme,
	.rw = store_rw,
	.capacity = store_capacity,
	.sleep_ms = fake_sleep,
	.close = NULL,
	.thread_safe = true,	/* NVMe commands and sleeps take f->lock */
};

static struct fakedev *fake_alloc(enum sgio_kind kind)
{
	struct fakedev *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->dev.ops = &fake_ops;
	f->dev.ctx = f;
	f->dev.kind = kind;
	f->dev.rotational = -1;
	util_strlcpy(f->dev.path, "fake", sizeof(f->dev.path));
	f->attempts = 5;
	f->san_polls = 3;
	f->fill = -1;
	f->lbsize = 512;
	f->inj_feature = -1;
	f->nsan_est_s = 0xffffffffu;
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->cond, NULL);
	return f;
}

struct fakedev *fakedev_new_ata(const uint8_t identify[512])
{
	struct fakedev *f = fake_alloc(SGIO_KIND_ATA);
	uint64_t n;
	uint16_t w128;

	if (!f)
		return NULL;
	for (int i = 0; i < 256; i++)
		f->id[i] = (uint16_t)(identify[2 * i] | identify[2 * i + 1] << 8);
	w128 = f->id[128];
	f->sec_supported = (f->id[82] & 2) && (w128 & 1);
	f->enabled = w128 & 2;
	f->locked = w128 & 4;
	f->frozen = w128 & 8;
	f->expired = w128 & 0x10;
	f->enhanced_ok = w128 & 0x20;
	f->level_max = w128 & 0x100;
	n = (uint64_t)f->id[60] | (uint64_t)f->id[61] << 16;
	if ((f->id[83] & 0xc400) == 0x4400)
		n = (uint64_t)f->id[100] | (uint64_t)f->id[101] << 16 | (uint64_t)f->id[102] << 32;
	f->native_max = f->current_max = f->dco_max = n - 1;
	f->nblocks = n;
	f->power_mode = 0xff;
	return f;
}

struct fakedev *fakedev_new_nvme(uint8_t fna, uint32_t sanicap, uint64_t nsze, unsigned lbads)
{
	struct fakedev *f = fake_alloc(SGIO_KIND_NVME);

	if (!f)
		return NULL;
	f->dev.nsid = 1;
	memcpy(f->idctrl + 4, "FAKE0000000000000001", 20);
	memcpy(f->idctrl + 24, "Custos Fake NVMe                        ", 40);
	memcpy(f->idctrl + 64, "1.0     ", 8);
	f->idctrl[256] = 0x02;			/* OACS: Format NVM */
	put_le(f->idctrl + 328, sanicap, 4);
	f->idctrl[524] = fna;
	put_le(f->idns, nsze, 8);
	put_le(f->idns + 8, nsze, 8);
	f->idns[26] = 0;			/* FLBAS: format 0 */
	f->idns[128 + 2] = (uint8_t)lbads;
	f->lbsize = 1u << lbads;
	f->nblocks = nsze;
	return f;
}

void fakedev_free(struct fakedev *f)
{
	if (!f)
		return;
	for (unsigned i = 0; i < f->nsectors; i++)
		free(f->sectors[i].data);
	pthread_cond_destroy(&f->cond);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

void fakedev_inject(struct fakedev *f, uint8_t opcode, int feature, enum fakedev_fail fail)
{
	f->inj_opcode = opcode;
	f->inj_feature = feature;
	f->inj_fail = fail;
}

void fakedev_power_cycle(struct fakedev *f)
{
	f->frozen = false;
	f->locked = f->enabled;
	f->expired = false;
	f->attempts = 5;
	f->setmax_nv_done = false;
	f->san_frozen = false;
	f->san_antifreeze = false;
}

void fakedev_set_word(struct fakedev *f, int word, uint16_t value)
{
	f->id[word] = value;
}

unsigned fakedev_count(const struct fakedev *f, bool nvme, uint8_t opcode)
{
	unsigned n = 0;

	for (unsigned i = 0; i < f->nrec; i++)
		if (f->rec[i].nvme == nvme &&
		    (nvme ? f->rec[i].opcode : f->rec[i].cdb[14]) == opcode)
			n++;
	return n;
}
