/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ata: IDENTIFY parsing and the ATA commands of firmware erase, and the
 * security-erase sequence with its journal and recovery.
 */
#include "ata.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "util.h"

#define T_SHORT_MS 15000u	/* IDENTIFY, password commands, max address */
#define T_SANITIZE_MS 30000u	/* sanitize commands return at once */

#define SAN_KEY_CRYPTO 0x43727970u	/* "Cryp" */
#define SAN_KEY_BLOCK 0x426b4572u	/* "BkEr" */
#define SAN_KEY_OVERWRITE 0x4f57u	/* "OW" in LBA(47:32) */
#define SAN_KEY_FREEZE 0x46724c6bu	/* "FrLk" */
#define SAN_KEY_ANTIFREEZE 0x416e7469u	/* "Anti" */

/* Copy an IDENTIFY string (bytes swapped in each word), trimmed. */
static void id_string(const uint8_t *buf, int word, int nwords, char *out, size_t len)
{
	size_t n = 0;
	char *s;

	for (int i = 0; i < nwords && n + 2 < len; i++) {
		out[n++] = (char)buf[2 * (word + i) + 1];
		out[n++] = (char)buf[2 * (word + i)];
	}
	out[n] = '\0';
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)out[i] < 0x20 || (unsigned char)out[i] > 0x7e)
			out[i] = ' ';
	s = util_strstrip(out);
	memmove(out, s, strlen(s) + 1);
}

static bool word_valid(uint16_t w)
{
	return (w & 0xc000) == 0x4000;
}

uint32_t ata_erase_time_min(uint16_t v)
{
	if (v == 0)
		return 0;
	if (v & 0x8000)
		return (v & 0x7fff) == 0x7fff ? 65532 : (uint32_t)(v & 0x7fff) * 2;
	return (v & 0xff) == 0xff ? 508 : (uint32_t)(v & 0xff) * 2;
}

static void parse_security(struct ata_identify *id)
{
	uint16_t w82 = id->w[82], w128 = id->w[128];
	bool feature = w82 != 0xffff && (w82 & 0x0002);

	id->sec_supported = feature && (w128 & 0x0001);
	if (id->sec_supported) {
		id->sec_enabled = w128 & 0x0002;
		id->sec_locked = w128 & 0x0004;
		id->sec_frozen = w128 & 0x0008;
		id->sec_expired = w128 & 0x0010;
		id->sec_enhanced = w128 & 0x0020;
		id->sec_level_max = w128 & 0x0100;
	}
	id->master_pw_id = id->w[92];
	id->erase_min = ata_erase_time_min(id->w[89]);
	id->erase_enh_min = ata_erase_time_min(id->w[90]);
}

static void parse_features(struct ata_identify *id)
{
	const uint16_t *w = id->w;
	bool w82ok = w[82] != 0 && w[82] != 0xffff;
	bool w83ok = word_valid(w[83]);

	if (w[59] & 0x1000) {
		id->san_supported = true;
		id->san_crypto = w[59] & 0x2000;
		id->san_overwrite = w[59] & 0x4000;
		id->san_block = w[59] & 0x8000;
		id->san_antifreeze = w[59] & 0x0400;
	}
	id->acs3 = w[80] != 0xffff && (w[80] & 0x0400);
	id->hpa_supported = w82ok && (w[82] & 0x0400);
	id->dco_supported = (w83ok && (w[83] & 0x0800)) || (word_valid(w[87]) && (w[86] & 0x0800));
	id->ama_supported = id->acs3 && word_valid(w[119]) && (w[119] & 0x0100) &&
			    (w[86] & 0x8000);
	id->lba48 = w83ok && (w[83] & 0x0400);
}

static void parse_geometry(struct ata_identify *id, const uint8_t *buf)
{
	const uint16_t *w = id->w;
	unsigned sum = 0;

	id->sectors = (uint64_t)w[60] | (uint64_t)w[61] << 16;
	if (id->lba48) {
		uint64_t s48 = (uint64_t)w[100] | (uint64_t)w[101] << 16 |
			       (uint64_t)w[102] << 32 | (uint64_t)w[103] << 48;
		if (s48)
			id->sectors = s48;
	}
	id->lbsize = ATA_SECTOR;
	if (word_valid(w[106]) && (w[106] & 0x1000)) {
		uint32_t words = (uint32_t)w[117] | (uint32_t)w[118] << 16;
		if (words >= 256)
			id->lbsize = words * 2;
	}
	id->rotation = w[217];
	for (int i = 0; i < 512; i++)
		sum += buf[i];
	id->checksum_valid = (w[255] & 0xff) == 0xa5 && (sum & 0xff) == 0;
}

int ata_identify_parse(const uint8_t buf[512], struct ata_identify *id)
{
	memset(id, 0, sizeof(*id));
	for (int i = 0; i < 256; i++)
		id->w[i] = (uint16_t)(buf[2 * i] | buf[2 * i + 1] << 8);
	if (id->w[0] & 0x8000)
		return -EINVAL;		/* ATAPI or not an ATA device */
	id_string(buf, 10, 10, id->serial, sizeof(id->serial));
	id_string(buf, 23, 4, id->firmware, sizeof(id->firmware));
	id_string(buf, 27, 20, id->model, sizeof(id->model));
	parse_security(id);
	parse_features(id);
	parse_geometry(id, buf);
	return 0;
}

enum ata_sec_state ata_sec_state(const struct ata_identify *id)
{
	if (!id->sec_enabled)
		return id->sec_frozen ? ATA_SEC2 : ATA_SEC1;
	if (id->sec_locked)
		return ATA_SEC4;
	return id->sec_frozen ? ATA_SEC6 : ATA_SEC5;
}

uint32_t ata_erase_timeout_s(const struct ata_identify *id, bool enhanced)
{
	uint64_t est = enhanced ? id->erase_enh_min : id->erase_min;
	uint64_t cap = id->sectors / 2048 / 30 + 30 * 60;
	uint64_t t = est ? est * 60 * 3 / 2 + 3600 : 0;
	const uint64_t max_s = 0xffffffffu / 1000;	/* SG_IO timeout is ms in 32 bits */

	if (cap > t)
		t = cap;
	if (t < 2 * 3600)
		t = 2 * 3600;
	return (uint32_t)(t > max_s ? max_s : t);
}

/* ---- payloads ----------------------------------------------------------- */

static void put_password(uint8_t buf[512], const char *pw)
{
	size_t n = pw ? strnlen(pw, ATA_PASSWORD_MAX) : 0;

	memcpy(buf + 2, pw, n);
}

void ata_payload_set_password(uint8_t buf[512], const char *pw, bool master, bool level_max,
			      uint16_t master_id)
{
	memset(buf, 0, 512);
	buf[0] = master ? 1 : 0;
	buf[1] = level_max ? 1 : 0;
	put_password(buf, pw);
	if (master) {
		buf[34] = (uint8_t)master_id;
		buf[35] = (uint8_t)(master_id >> 8);
	}
}

void ata_payload_password(uint8_t buf[512], const char *pw, bool master)
{
	memset(buf, 0, 512);
	buf[0] = master ? 1 : 0;
	put_password(buf, pw);
}

void ata_payload_erase(uint8_t buf[512], const char *pw, bool master, bool enhanced)
{
	memset(buf, 0, 512);
	buf[0] = (uint8_t)((master ? 1 : 0) | (enhanced ? 2 : 0));
	put_password(buf, pw);
}

/* ---- commands ----------------------------------------------------------- */

static void cmd_init(struct sgio_ata_cmd *c, enum sgio_proto proto, bool ext, uint8_t command,
		     uint32_t timeout_ms)
{
	memset(c, 0, sizeof(*c));
	c->proto = proto;
	c->ext = ext;
	c->in.command = command;
	c->in.device = 0x40;
	c->timeout_ms = timeout_ms;
}

static void cmd_data(struct sgio_ata_cmd *c, void *buf)
{
	c->in.count = 1;
	c->buf = buf;
	c->len = 512;
}

int ata_identify(struct sgio_dev *dev, struct ata_identify *id, char **cause)
{
	struct sgio_ata_cmd c;
	uint8_t buf[512];
	int rc;

	memset(buf, 0, sizeof(buf));
	cmd_init(&c, SGIO_PROTO_PIO_IN, false, 0xec, T_SHORT_MS);
	cmd_data(&c, buf);
	rc = sgio_ata(dev, &c, NULL, cause);
	if (rc < 0)
		return rc;
	if (ata_identify_parse(buf, id) < 0)
		return util_fail(cause, -EIO, _("IDENTIFY DEVICE returned no ATA identify data"));
	return 0;
}

static int sec_data_cmd(struct sgio_dev *dev, uint8_t command, uint8_t *buf, uint32_t timeout_ms,
			struct sgio_ata_res *res, char **cause)
{
	struct sgio_ata_cmd c;
	int rc;

	cmd_init(&c, SGIO_PROTO_PIO_OUT, false, command, timeout_ms);
	cmd_data(&c, buf);
	rc = sgio_ata(dev, &c, res, cause);
	util_wipe_secret(buf, 512);
	return rc;
}

int ata_sec_set_password(struct sgio_dev *dev, const char *pw, char **cause)
{
	uint8_t buf[512];

	ata_payload_set_password(buf, pw, false, false, 0);
	return sec_data_cmd(dev, 0xf1, buf, T_SHORT_MS, NULL, cause);
}

int ata_sec_unlock(struct sgio_dev *dev, const char *pw, char **cause)
{
	uint8_t buf[512];

	ata_payload_password(buf, pw, false);
	return sec_data_cmd(dev, 0xf2, buf, T_SHORT_MS, NULL, cause);
}

int ata_sec_disable(struct sgio_dev *dev, const char *pw, char **cause)
{
	uint8_t buf[512];

	ata_payload_password(buf, pw, false);
	return sec_data_cmd(dev, 0xf6, buf, T_SHORT_MS, NULL, cause);
}

int ata_sec_erase_prepare(struct sgio_dev *dev, char **cause)
{
	struct sgio_ata_cmd c;

	cmd_init(&c, SGIO_PROTO_NONDATA, false, 0xf3, T_SHORT_MS);
	return sgio_ata(dev, &c, NULL, cause);
}

int ata_sec_erase_unit(struct sgio_dev *dev, const char *pw, bool enhanced, uint32_t timeout_s,
		       struct sgio_ata_res *res, char **cause)
{
	uint8_t buf[512];
	uint64_t ms = (uint64_t)timeout_s * 1000;

	ata_payload_erase(buf, pw, false, enhanced);
	return sec_data_cmd(dev, 0xf4, buf, ms > 0xffffffffu ? 0xffffffffu : (uint32_t)ms, res,
			    cause);
}

/* ---- sanitize ----------------------------------------------------------- */

const char *ata_sanitize_reason(uint8_t reason)
{
	switch (reason) {
	case 0x01: return _("the previous sanitize operation failed");
	case 0x02: return _("unsupported sanitize subcommand");
	case 0x03: return _("the device is in sanitize frozen state");
	case 0x04: return _("antifreeze lock is set");
	default: return _("no information");
	}
}

static int sanitize_cmd(struct sgio_dev *dev, uint16_t feature, uint16_t count, uint64_t lba,
			struct sgio_ata_res *res, char **cause)
{
	struct sgio_ata_cmd c;

	cmd_init(&c, SGIO_PROTO_NONDATA, true, 0xb4, T_SANITIZE_MS);
	c.in.feature = feature;
	c.in.count = count;
	c.in.lba = lba;
	return sgio_ata(dev, &c, res, cause);
}

int ata_sanitize_status(struct sgio_dev *dev, bool clear_failed, struct ata_sanitize_status *st,
			char **cause)
{
	struct sgio_ata_res res;
	uint8_t hi;
	int rc;

	memset(st, 0, sizeof(*st));
	rc = sanitize_cmd(dev, 0x0000, clear_failed ? 1 : 0, 0, &res, cause);
	if (rc == -EIO && res.aborted && res.sense.regs_valid) {
		st->reason = (uint8_t)res.sense.lba;
		st->failed = st->reason == 0x01;
		st->frozen = st->reason == 0x03;
		if (st->failed || st->frozen)
			return 0;
		return util_fail(cause, -EIO, _("SANITIZE STATUS EXT aborted: %s"),
				 ata_sanitize_reason(st->reason));
	}
	if (rc < 0)
		return rc;
	if (!res.sense.regs_valid || res.sense.regs_high_missing || !res.sense.ext)
		return util_fail(cause, -EBADMSG,
				 _("SANITIZE STATUS EXT: the sanitize state registers did not come "
				 "back "
				 "(no descriptor-format sense); state unknown"));
	hi = (uint8_t)(res.sense.count >> 8);
	st->completed = hi & 0x80;
	st->in_progress = hi & 0x40;
	st->frozen = hi & 0x20;
	st->antifreeze = hi & 0x10;
	st->progress = (uint16_t)res.sense.lba;
	return 0;
}

int ata_sanitize_start(struct sgio_dev *dev, enum ata_sanitize_op op, uint32_t pattern,
		       unsigned passes, char **cause)
{
	const uint16_t failure_mode = 0x0010;

	switch (op) {
	case ATA_SANITIZE_CRYPTO:
		return sanitize_cmd(dev, 0x0011, failure_mode, SAN_KEY_CRYPTO, NULL, cause);
	case ATA_SANITIZE_BLOCK:
		return sanitize_cmd(dev, 0x0012, failure_mode, SAN_KEY_BLOCK, NULL, cause);
	case ATA_SANITIZE_OVERWRITE:
		if (passes < 1 || passes > 16)
			return util_fail(cause, -EINVAL, _("overwrite pass count %u not in 1..16"),
					 passes);
		return sanitize_cmd(dev, 0x0014, (uint16_t)(failure_mode | (passes & 0x0f)),
				    (uint64_t)SAN_KEY_OVERWRITE << 32 | pattern, NULL, cause);
	}
	return util_fail(cause, -EINVAL, _("unknown sanitize operation"));
}

int ata_sanitize_freeze(struct sgio_dev *dev, bool antifreeze, char **cause)
{
	if (antifreeze)
		return sanitize_cmd(dev, 0x0040, 0, SAN_KEY_ANTIFREEZE, NULL, cause);
	return sanitize_cmd(dev, 0x0020, 0, SAN_KEY_FREEZE, NULL, cause);
}

/* ---- hidden areas ------------------------------------------------------- */

static int nondata(struct sgio_dev *dev, bool ext, uint8_t command, uint16_t feature,
		   uint16_t count, uint64_t lba, struct sgio_ata_res *res, char **cause)
{
	struct sgio_ata_cmd c;

	cmd_init(&c, SGIO_PROTO_NONDATA, ext, command, T_SHORT_MS);
	c.in.feature = feature;
	c.in.count = count;
	c.in.lba = lba;
	return sgio_ata(dev, &c, res, cause);
}

static int need_regs(const struct sgio_ata_res *res, bool ext, const char *what, char **cause)
{
	if (!res->sense.regs_valid || (ext && res->sense.regs_high_missing))
		return util_fail(cause, -EBADMSG, _("%s: the drive's registers did not come back; "
				 "hidden areas unknown"), what);
	return 0;
}

int ata_read_native_max(struct sgio_dev *dev, const struct ata_identify *id, uint64_t *max_lba,
			char **cause)
{
	struct sgio_ata_res res;
	int rc;

	if (id->ama_supported)
		rc = nondata(dev, true, 0x78, 0x0000, 0, 0, &res, cause);
	else if (id->lba48)
		rc = nondata(dev, true, 0x27, 0, 0, 0, &res, cause);
	else
		rc = nondata(dev, false, 0xf8, 0, 0, 0, &res, cause);
	if (rc < 0)
		return rc;
	rc = need_regs(&res, id->ama_supported || id->lba48, "READ NATIVE MAX ADDRESS", cause);
	if (rc < 0)
		return rc;
	*max_lba = res.sense.lba;
	if (!id->ama_supported && !id->lba48)
		*max_lba = (res.sense.lba & 0xffffff) | (uint64_t)(res.sense.device & 0x0f) << 24;
	return 0;
}

int ata_set_max(struct sgio_dev *dev, const struct ata_identify *id, uint64_t max_lba,
		bool nonvolatile, char **cause)
{
	uint64_t native;
	int rc;

	if (id->ama_supported)
		return nondata(dev, true, 0x78, 0x0001, 0, max_lba, NULL, cause);
	/* SET MAX must follow READ NATIVE MAX immediately */
	rc = ata_read_native_max(dev, id, &native, cause);
	if (rc < 0)
		return rc;
	if (max_lba > native)
		return util_fail(cause, -EINVAL, _("max LBA %llu beyond the native max %llu"),
				 (unsigned long long)max_lba, (unsigned long long)native);
	if (id->lba48)
		return nondata(dev, true, 0x37, 0, nonvolatile ? 1 : 0, max_lba, NULL, cause);
	return nondata(dev, false, 0xf9, 0, nonvolatile ? 1 : 0, max_lba, NULL, cause);
}

int ata_dco_parse(const uint8_t buf[512], struct ata_dco *dco)
{
	unsigned sum = 0;

	memset(dco, 0, sizeof(*dco));
	for (int i = 0; i < 512; i++)
		sum += buf[i];
	dco->valid = buf[510] == 0xa5 && (sum & 0xff) == 0;
	for (int i = 5; i >= 3; i--)
		dco->max_lba = dco->max_lba << 16 | (uint64_t)(buf[2 * i] | buf[2 * i + 1] << 8);
	dco->features = (uint16_t)(buf[14] | buf[15] << 8);
	return dco->valid ? 0 : -EBADMSG;
}

int ata_dco_identify(struct sgio_dev *dev, struct ata_dco *dco, char **cause)
{
	struct sgio_ata_cmd c;
	uint8_t buf[512];
	int rc;

	memset(buf, 0, sizeof(buf));
	cmd_init(&c, SGIO_PROTO_PIO_IN, false, 0xb1, T_SHORT_MS);
	c.in.feature = 0xc2;
	cmd_data(&c, buf);
	rc = sgio_ata(dev, &c, NULL, cause);
	if (rc < 0)
		return rc;
	if (ata_dco_parse(buf, dco) < 0)
		return util_fail(cause, -EBADMSG, _("DCO IDENTIFY: bad signature or checksum"));
	return 0;
}

int ata_dco_restore(struct sgio_dev *dev, char **cause)
{
	return nondata(dev, false, 0xb1, 0xc0, 0, 0, NULL, cause);
}

/* ---- SMART --------------------------------------------------------------- */

#define SMART_CMD 0xb0
#define SMART_KEY 0xc24f00ull		/* LBA mid 4Fh, LBA high C2h */
#define SMART_BAD 0x2cf400ull		/* RETURN STATUS: threshold exceeded */

static uint32_t raw32(const struct ata_smart_attr *a)
{
	return (uint32_t)a->raw[0] | (uint32_t)a->raw[1] << 8 | (uint32_t)a->raw[2] << 16 |
	       (uint32_t)a->raw[3] << 24;
}

int ata_smart_parse(const uint8_t buf[512], struct ata_smart *out)
{
	const struct ata_smart_attr *t190 = NULL;
	uint8_t sum = 0;

	for (int i = 0; i < 512; i++)
		sum = (uint8_t)(sum + buf[i]);
	out->n_attr = 0;
	out->power_on_hours = out->reallocated_sectors = UINT64_MAX;
	out->temperature_c = INT16_MIN;
	if (sum != 0)
		return -EBADMSG;
	for (int i = 0; i < 30; i++) {
		const uint8_t *e = buf + 2 + 12 * i;
		struct ata_smart_attr *a = &out->attr[out->n_attr];

		if (e[0] == 0)
			continue;
		a->id = e[0];
		a->flags = (uint16_t)(e[1] | e[2] << 8);
		a->current = e[3];
		a->worst = e[4];
		memcpy(a->raw, e + 5, 6);
		out->n_attr++;
		if (a->id == 5)
			out->reallocated_sectors = raw32(a);
		else if (a->id == 9)
			out->power_on_hours = raw32(a);
		else if (a->id == 194)
			out->temperature_c = a->raw[0];
		else if (a->id == 190)
			t190 = a;
	}
	if (out->temperature_c == INT16_MIN && t190)
		out->temperature_c = t190->raw[0];
	return 0;
}

/* Put "@what: " before the cause sgio gave. */
static int prefix_cause(char **cause, int rc, const char *what)
{
	char *old;

	if (!cause)
		return rc;
	old = *cause;
	*cause = NULL;
	util_fail(cause, rc, "%s: %s", what, old ? old : strerror(-rc));
	free(old);
	return rc;
}

int ata_smart_read(struct sgio_dev *dev, struct ata_smart *out, char **cause)
{
	struct sgio_ata_res res;
	struct sgio_ata_cmd c;
	uint8_t buf[512];
	uint64_t sig;
	int rc;

	memset(out, 0, sizeof(*out));
	out->power_on_hours = out->reallocated_sectors = UINT64_MAX;
	out->temperature_c = INT16_MIN;
	/* CHECK POWER MODE: COUNT 00h is standby; a failure is no answer. */
	if (nondata(dev, false, 0xe5, 0, 0, 0, &res, NULL) == 0 && res.sense.regs_valid &&
	    (res.sense.count & 0xff) == 0x00) {
		out->asleep = true;
		return 0;
	}
	rc = nondata(dev, false, SMART_CMD, 0xda, 0, SMART_KEY, &res, cause);
	if (rc < 0)
		return prefix_cause(cause, rc, "SMART RETURN STATUS");
	sig = res.sense.lba & 0xffff00;
	out->status_known = res.sense.regs_valid && (sig == SMART_KEY || sig == SMART_BAD);
	out->good = out->status_known && sig == SMART_KEY;
	memset(buf, 0, sizeof(buf));
	cmd_init(&c, SGIO_PROTO_PIO_IN, false, SMART_CMD, T_SHORT_MS);
	c.in.feature = 0xd0;
	c.in.lba = SMART_KEY;
	cmd_data(&c, buf);
	rc = sgio_ata(dev, &c, NULL, cause);
	if (rc < 0)
		return prefix_cause(cause, rc, "SMART READ DATA");
	if (ata_smart_parse(buf, out) < 0)
		return util_fail(cause, -EBADMSG, _("SMART READ DATA: bad checksum"));
	return 0;
}

/* ---- security erase: journal, sequence, recovery ------------------------ */

static const char *const frozen_help = N_(
	"the drive is security-frozen (the BIOS/UEFI sent SECURITY FREEZE LOCK at start-up), "
	"so it refuses every security command. To unfreeze it without a reboot: "
	"(1) suspend the machine to RAM and resume it (systemctl suspend, or "
	"rtcwake -m mem -s 10): the drive loses power and the firmware does not freeze it "
	"again on resume "
	"(s2idle / modern standby may keep the drive powered and not help); or "
	"(2) on an AHCI port with hot-plug, unplug the drive's power cable for a few seconds and "
	"plug it back in while the system runs; or "
	"(3) attach the drive to another machine whose firmware does not freeze drives. "
	"Then check with 'custos ata identify DEVICE' that it is no longer frozen and run the "
	"erase again");

const char *ata_frozen_help(void)
{
	return _(frozen_help);
}

void ata_journal_path(const char *state_dir, const char *serial, char *buf, size_t len)
{
	char safe[64];
	size_t i;

	for (i = 0; serial[i] && i + 1 < sizeof(safe); i++) {
		char ch = serial[i];
		bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			  (ch >= '0' && ch <= '9') || ch == '-' || ch == '.';
		safe[i] = ok ? ch : '_';
	}
	safe[i] = '\0';
	snprintf(buf, len, "%s/ata-journal/%s.json", state_dir, i ? safe : "unknown-serial");
}

static int gen_password(char *pw, size_t len)
{
	uint8_t rnd[8];
	char hex[17];
	FILE *f = fopen("/dev/urandom", "re");
	size_t n = f ? fread(rnd, 1, sizeof(rnd), f) : 0;

	if (f)
		fclose(f);
	if (n != sizeof(rnd))
		return -EIO;
	util_hex(rnd, sizeof(rnd), hex);
	snprintf(pw, len, "custos-%s", hex);
	util_wipe_secret(rnd, sizeof(rnd));
	util_wipe_secret(hex, sizeof(hex));
	return 0;
}

/* Cut @path to its parent in place: "a/b" -> "a", "/a" -> "/", "a" -> ".". */
static void parent_of(char *path)
{
	char *slash = strrchr(path, '/');

	if (!slash) {
		path[0] = '.';
		path[1] = '\0';	/* a component has at least one byte */
	} else {
		slash[slash == path ? 1 : 0] = '\0';
	}
}

/* Create the journal directory durably: the directories mkdir -p makes, and
 * the parent of the topmost one, are fsynced before the first journal file
 * is written, so a crash cannot lose the entry that holds the password. */
static int journal_mkdir(const char *dir)
{
	char *p = util_asprintf("%s", dir);
	unsigned created = 0;
	struct stat st;
	int rc;

	if (!p)
		return -ENOMEM;
	while (created < 64 && stat(p, &st) < 0 && errno == ENOENT &&
	       strcmp(p, ".") != 0 && strcmp(p, "/") != 0) {
		created++;
		parent_of(p);
	}
	rc = util_mkdir_p(dir, 0700);
	util_strlcpy(p, dir, strlen(dir) + 1);
	for (unsigned i = 0; rc == 0 && created > 0 && i <= created; i++) {
		rc = util_sync_dir(p);
		parent_of(p);
	}
	free(p);
	return rc;
}

/* Write the journal entry durably: its directory (journal_mkdir), then the
 * file (atomic write = fsync + rename + fsync of the directory). */
static int journal_write(const char *path, const struct ata_identify *id, const char *pw,
			 bool enhanced, char **cause)
{
	char when[32], *dir = NULL, *slash, *text = NULL;
	json_t *j;
	int rc;

	util_iso8601(util_unix_now(), when, sizeof(when));
	j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b}", "serial", id->serial, "model",
		      id->model, "password", pw, "identifier", "user", "time", when, "operation",
		      "security-erase", "enhanced", enhanced);
	text = j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	dir = util_asprintf("%s", path);
	if (!text || !dir) {
		rc = util_fail(cause, -ENOMEM, _("out of memory"));
		goto out;
	}
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	rc = journal_mkdir(dir);
	if (rc == 0)
		rc = util_write_file_atomic(path, text, strlen(text), 0600);
	if (rc < 0)
		rc = util_fail(cause, rc, _("cannot write the ATA password journal %s: %s; nothing "
			       "was sent to the drive"), path, strerror(-rc));
out:
	if (text)
		util_wipe_secret(text, strlen(text));
	free(text);
	free(dir);
	json_decref(j);
	return rc;
}

static int journal_read(const char *path, const char *serial, char *pw, size_t len, char **cause)
{
	char *text = NULL;
	const char *jpw, *jserial;
	json_t *j = NULL;
	int rc;

	rc = util_read_file(path, &text, NULL);
	if (rc < 0)
		return util_fail(cause, rc, _("no ATA journal entry %s: %s"), path, strerror(-rc));
	j = json_loads(text, 0, NULL);
	jpw = json_string_value(json_object_get(j, "password"));
	jserial = json_string_value(json_object_get(j, "serial"));
	if (!jpw || !jserial || strcmp(jserial, serial) != 0 || strlen(jpw) >= len)
		rc = util_fail(cause, -EBADMSG, _("ATA journal %s is damaged or for another drive"),
			       path);
	else
		util_strlcpy(pw, jpw, len);
	util_wipe_secret(text, strlen(text));
	free(text);
	json_decref(j);
	return rc;
}

static void journal_remove(const char *path)
{
	if (unlink(path) < 0 && errno != ENOENT)
		util_warn(_("cannot remove the ATA journal entry %s: %s"), path, strerror(errno));
}

static int sec_precheck(const struct ata_identify *id, bool enhanced, char **cause)
{
	if (!id->sec_supported)
		return util_fail(cause, -EOPNOTSUPP,
				 _("the drive does not support the ATA Security feature set"));
	if (enhanced && !id->sec_enhanced)
		return util_fail(cause, -EOPNOTSUPP,
				 _("the drive does not support the enhanced security erase"));
	if (id->sec_frozen)
		return util_fail(cause, -EPERM, "%s", frozen_help);
	if (id->sec_expired)
		return util_fail(cause, -EPERM, _("the drive's password attempt counter has expired "
				 "(5 wrong passwords); power-cycle the drive, then retry"));
	if (id->sec_enabled)
		return util_fail(cause, -EPERM, _("ATA security is already enabled on this drive "
				 "(a password custos did not set in this run); if an interrupted "
				 "custos "
				 "erase left it, run 'custos ata unlock DEVICE' first"));
	return 0;
}

/* Remove the user password @pw, per the state found (firmware-erase.md §5.9).
 * Returns 0 when the drive is back in SEC1. */
static int sec_remove_password(struct sgio_dev *dev, const char *pw, char **cause)
{
	struct ata_identify id;
	int rc;

	rc = ata_identify(dev, &id, cause);
	if (rc < 0)
		return rc;
	if (!id.sec_enabled)
		return 0;
	if (id.sec_expired)
		return util_fail(cause, -EPERM, _("the password attempt counter has expired; "
				 "only a power cycle resets it"));
	if (id.sec_frozen)
		return util_fail(cause, -EPERM, _("the drive is frozen, so the password cannot be "
				 "removed until it is power-cycled or re-plugged"));
	if (id.sec_locked && (rc = ata_sec_unlock(dev, pw, cause)) < 0)
		return rc;
	rc = ata_sec_disable(dev, pw, cause);
	if (rc == 0)
		rc = ata_identify(dev, &id, cause);
	if (rc == 0 && id.sec_enabled)
		rc = util_fail(cause, -EIO, _("DISABLE PASSWORD completed but security is still "
			       "enabled (word 128 = %04Xh)"), id.w[128]);
	return rc;
}

static char *recovery_text(const struct ata_erase_report *rep, const char *serial,
			   const char *why)
{
	return util_asprintf(
		"The drive (serial %s) may still hold the ATA user password \"%s\" that custos "
		"set for the erase (journal: %s). Cleanup failed: %s. Recovery: "
		"1. power-cycle or re-plug the drive so it is neither frozen nor busy (a suspend "
		"and resume also works); "
		"2. run 'custos ata unlock DEVICE', which reads the journal, unlocks the drive and "
		"disables the password; "
		"3. without custos, any ATA security tool can do it: SECURITY UNLOCK with the user "
		"password \"%s\", then SECURITY DISABLE PASSWORD with the same password. "
		"Do not try other passwords: after 5 wrong attempts the drive refuses until the "
		"next power cycle.", serial, rep->password, rep->journal, why ? why : "unknown",
		rep->password);
}

/* Remove the password after the erase (if it is still set) and fill @rep. */
static void sec_cleanup(struct sgio_dev *dev, const struct ata_identify *id, bool in_sec1,
			struct ata_erase_report *rep)
{
	char *why = NULL;

	if (in_sec1 || sec_remove_password(dev, rep->password, &why) == 0) {
		rep->cleaned = true;
		journal_remove(rep->journal);
	} else {
		rep->left_enabled = true;
		rep->recovery = recovery_text(rep, id->serial, why);
	}
	free(why);
}

/* After the erase, whatever happened (firmware-erase.md §5.8 steps 9-10):
 * re-read IDENTIFY at once, judge the erase on that state (success only if
 * ERASE UNIT succeeded and security is neither enabled nor locked), then
 * remove the password if it is still set.  Returns @erc, or -EIO. */
static int sec_finish(struct sgio_dev *dev, const struct ata_identify *id, int erc,
		      struct ata_erase_report *rep, char **cause)
{
	struct ata_identify after;
	char *why = NULL;
	bool known, in_sec1;

	known = ata_identify(dev, &after, &why) == 0;
	in_sec1 = known && !after.sec_enabled && !after.sec_locked;
	rep->erase_ok = erc == 0 && in_sec1;
	sec_cleanup(dev, id, in_sec1, rep);
	if (rep->erase_ok || erc != 0) {
		free(why);
		return erc;
	}
	if (!known)
		erc = util_fail(cause, -EIO, _("SECURITY ERASE UNIT reported success but the drive's "
				"state could not be read afterwards (%s); erase not confirmed"),
				why ? why : "IDENTIFY failed");
	else
		erc = util_fail(cause, -EIO, _("SECURITY ERASE UNIT reported success but the drive "
				"did not return to SEC1: security was still %s afterwards "
				"(word 128 = %04Xh); erase not confirmed%s"),
				after.sec_locked ? "locked" : "enabled", after.w[128],
				rep->cleaned ? "; custos removed its temporary password" : "");
	free(why);
	return erc;
}

int ata_security_erase(struct sgio_dev *dev, const char *state_dir, bool enhanced,
		       struct ata_erase_report *rep, char **cause)
{
	struct ata_identify id, now;
	struct sgio_ata_res res;
	int rc;

	memset(rep, 0, sizeof(*rep));
	memset(&res, 0, sizeof(res));
	rc = ata_identify(dev, &id, cause);
	if (rc == 0)
		rc = sec_precheck(&id, enhanced, cause);
	if (rc < 0)
		return rc;
	rep->timeout_s = ata_erase_timeout_s(&id, enhanced);
	if (gen_password(rep->password, sizeof(rep->password)) < 0)
		return util_fail(cause, -EIO, _("cannot generate a password"));
	ata_journal_path(state_dir, id.serial, rep->journal, sizeof(rep->journal));
	rc = journal_write(rep->journal, &id, rep->password, enhanced, cause);
	if (rc < 0)
		return rc;
	rep->password_set = true;
	rc = ata_sec_set_password(dev, rep->password, cause);
	if (rc == 0 && (rc = ata_identify(dev, &now, cause)) == 0 &&
	    ata_sec_state(&now) != ATA_SEC5)
		rc = util_fail(cause, -EIO, _("after SET PASSWORD the drive is not in state SEC5 "
			       "(word 128 = %04Xh); erase not attempted"), now.w[128]);
	if (rc == 0)
		rc = ata_sec_erase_prepare(dev, cause);
	if (rc == 0) {
		rc = ata_sec_erase_unit(dev, rep->password, enhanced, rep->timeout_s, &res, cause);
		rep->reset_seen = res.reset_seen || res.timed_out;
	}
	return sec_finish(dev, &id, rc, rep, cause);
}

int ata_security_recover(struct sgio_dev *dev, const char *state_dir, const char *password,
			 struct ata_erase_report *rep, char **cause)
{
	struct ata_identify id;
	char *why = NULL;
	int rc;

	memset(rep, 0, sizeof(*rep));
	rc = ata_identify(dev, &id, cause);
	if (rc < 0)
		return rc;
	ata_journal_path(state_dir, id.serial, rep->journal, sizeof(rep->journal));
	if (password)
		util_strlcpy(rep->password, password, sizeof(rep->password));
	else if (id.sec_enabled &&
		 (rc = journal_read(rep->journal, id.serial, rep->password,
				    sizeof(rep->password), cause)) < 0)
		return rc;
	if (!id.sec_enabled) {
		rep->cleaned = true;
		journal_remove(rep->journal);
		return 0;
	}
	rc = sec_remove_password(dev, rep->password, &why);
	if (rc == 0) {
		rep->cleaned = true;
		journal_remove(rep->journal);
	} else {
		rep->left_enabled = true;
		rep->recovery = recovery_text(rep, id.serial, why);
		rc = util_fail(cause, rc, "%s", why ? why : _("cannot remove the password"));
	}
	free(why);
	return rc;
}

void ata_erase_report_clear(struct ata_erase_report *rep)
{
	util_wipe_secret(rep->password, sizeof(rep->password));
	free(rep->recovery);
	rep->recovery = NULL;
}
