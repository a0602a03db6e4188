/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fw: capabilities, the purge rule, the guard, and one firmware erase
 * run end to end (hidden areas, marker proof, the command, the evidence).
 */
#include "fw.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "util.h"

#define NO_FIRMWARE "not supported: no ATA/NVMe firmware on this target"
#define DEFAULT_MARKERS 16
#define STALL_MS (6ull * 3600 * 1000)	/* ATA sanitize: no progress for 6 h is a stall */
#define FORMAT_POLL_MS 5000u		/* NVMe Format: FPI poll interval */
#define FORMAT_SLICE_MS 250u		/* ... checking for the end this often */

struct method_info {
	const char *name;
	const char *command;
	enum sgio_kind kind;
};

static const struct method_info methods[FW_METHOD_COUNT] = {
	[FW_METHOD_NONE] = { NULL, "none", SGIO_KIND_NONE },
	[FW_ATA_SECURITY_ERASE] = { "ata-secure-erase", "ATA SECURITY ERASE UNIT (normal)",
				    SGIO_KIND_ATA },
	[FW_ATA_ENHANCED_SECURITY_ERASE] = { "ata-enhanced-secure-erase",
					     "ATA SECURITY ERASE UNIT (enhanced)", SGIO_KIND_ATA },
	[FW_ATA_SANITIZE_BLOCK] = { "ata-sanitize-block", "ATA SANITIZE BLOCK ERASE EXT",
				    SGIO_KIND_ATA },
	[FW_ATA_SANITIZE_CRYPTO] = { "ata-sanitize-crypto", "ATA SANITIZE CRYPTO SCRAMBLE EXT",
				     SGIO_KIND_ATA },
	[FW_ATA_SANITIZE_OVERWRITE] = { "ata-sanitize-overwrite", "ATA SANITIZE OVERWRITE EXT",
					SGIO_KIND_ATA },
	[FW_NVME_FORMAT_USER] = { "nvme-format-user", "NVMe Format NVM, SES=1 (user data erase)",
				  SGIO_KIND_NVME },
	[FW_NVME_FORMAT_CRYPTO] = { "nvme-format-crypto",
				    "NVMe Format NVM, SES=2 (crypto erase)", SGIO_KIND_NVME },
	[FW_NVME_SANITIZE_BLOCK] = { "nvme-sanitize-block", "NVMe Sanitize, block erase",
				     SGIO_KIND_NVME },
	[FW_NVME_SANITIZE_CRYPTO] = { "nvme-sanitize-crypto", "NVMe Sanitize, crypto erase",
				      SGIO_KIND_NVME },
	[FW_NVME_SANITIZE_OVERWRITE] = { "nvme-sanitize-overwrite", "NVMe Sanitize, overwrite",
					 SGIO_KIND_NVME },
	[FW_PURGE] = { "purge", "strongest Purge the drive supports", SGIO_KIND_NONE },
};

const char *fw_method_name(enum fw_method m)
{
	return m < FW_METHOD_COUNT ? methods[m].name : NULL;
}

const char *fw_method_command(enum fw_method m)
{
	return m < FW_METHOD_COUNT ? methods[m].command : "unknown";
}

int fw_method_parse(const char *name, enum fw_method *m)
{
	for (int i = 1; i < FW_METHOD_COUNT; i++) {
		if (strcmp(methods[i].name, name) == 0) {
			*m = (enum fw_method)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *fw_nist_name(enum fw_nist n)
{
	return n == FW_NIST_PURGE ? "purge" : n == FW_NIST_CLEAR ? "clear" : "none";
}

/*
 * NIST SP 800-88 per media kind (standards.md §1, firmware-erase.md §1.2):
 * columns hdd, ssd, nvme, usb-flash.  sd-mmc and virtual media have no
 * ATA/NVMe firmware: none.  A drive reached through a USB bridge is
 * "usb-flash" for the register: at most Clear.  In doubt, the lower claim.
 */
static const enum fw_nist nist_table[FW_METHOD_COUNT][4] = {
#define C FW_NIST_CLEAR
#define P FW_NIST_PURGE
#define N FW_NIST_NONE
	[FW_ATA_SECURITY_ERASE] = { C, C, N, C },
	[FW_ATA_ENHANCED_SECURITY_ERASE] = { P, C, N, C },
	[FW_ATA_SANITIZE_BLOCK] = { P, P, N, C },
	[FW_ATA_SANITIZE_CRYPTO] = { P, P, N, C },
	[FW_ATA_SANITIZE_OVERWRITE] = { P, C, N, C },
	[FW_NVME_FORMAT_USER] = { N, N, P, N },
	[FW_NVME_FORMAT_CRYPTO] = { N, N, P, N },
	[FW_NVME_SANITIZE_BLOCK] = { N, N, P, N },
	[FW_NVME_SANITIZE_CRYPTO] = { N, N, P, N },
	[FW_NVME_SANITIZE_OVERWRITE] = { N, N, C, N },
#undef C
#undef P
#undef N
};

enum fw_nist fw_nist_category(enum fw_method m, const char *kind)
{
	static const char *const kinds[] = { "hdd", "ssd", "nvme", "usb-flash" };

	if (m >= FW_METHOD_COUNT || !kind)
		return FW_NIST_NONE;
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(kinds); i++)
		if (strcmp(kind, kinds[i]) == 0)
			return nist_table[m][i];
	return FW_NIST_NONE;
}

void fw_opts_init(struct fw_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->markers = true;
	o->n_markers = DEFAULT_MARKERS;
	o->ow_passes = 1;
}

/* ---- probe ----------------------------------------------------------------- */

/* Media kind: the caller's, lowered to flash when IDENTIFY says solid state;
 * without one, IDENTIFY word 217, then sysfs, and flash when in doubt. */
static void decide_media(struct fw_caps *c, const char *given, int rotational)
{
	const char *k;

	if (c->kind == SGIO_KIND_NVME)
		k = "nvme";
	else if (c->usb_bridge)
		k = "usb-flash";
	else if (c->ata.rotation == 1)
		k = "ssd";
	else if (c->ata.rotation >= 0x0401)
		k = "hdd";
	else
		k = rotational == 1 ? "hdd" : "ssd";
	if (given && !(strcmp(given, "hdd") == 0 && c->kind == SGIO_KIND_ATA &&
		       c->ata.rotation == 1))
		k = given;
	util_strlcpy(c->media_kind, k, sizeof(c->media_kind));
}

static void probe_hidden(struct sgio_dev *dev, struct fw_caps *c)
{
	struct fw_hidden *h = &c->hidden;
	struct ata_dco dco;
	char *why = NULL;
	uint64_t top;

	memset(h, 0, sizeof(*h));
	h->checked = true;
	h->hpa = c->ata.hpa_supported;
	h->ama = c->ata.ama_supported;
	h->dco = c->ata.dco_supported;
	h->sector_size = c->ata.lbsize;
	h->current_max = c->ata.sectors ? c->ata.sectors - 1 : 0;
	h->native_max = h->current_max;
	h->known = true;
	if ((h->hpa || h->ama) && ata_read_native_max(dev, &c->ata, &h->native_max, &why) < 0) {
		h->known = false;
		h->native_max = h->current_max;
	}
	if (h->known && h->dco) {
		if (ata_dco_identify(dev, &dco, &why) == 0) {
			h->dco_known = true;
			h->dco_max = dco.max_lba;
		} else {
			h->known = false;
		}
	}
	if (why)
		snprintf(h->note, sizeof(h->note), "%s", why);
	free(why);
	top = h->native_max;
	if (h->dco_known && h->dco_max > top)
		top = h->dco_max;
	h->hidden_sectors = top > h->current_max ? top - h->current_max : 0;
	h->still_hidden_sectors = h->hidden_sectors;
}

static void set_method(struct fw_caps *c, enum fw_method m, bool yes)
{
	if (yes)
		c->methods |= 1u << m;
}

static void ata_methods(struct fw_caps *c)
{
	const struct ata_identify *id = &c->ata;

	set_method(c, FW_ATA_SECURITY_ERASE, id->sec_supported);
	set_method(c, FW_ATA_ENHANCED_SECURITY_ERASE, id->sec_supported && id->sec_enhanced);
	set_method(c, FW_ATA_SANITIZE_CRYPTO, id->san_supported && id->san_crypto);
	set_method(c, FW_ATA_SANITIZE_BLOCK, id->san_supported && id->san_block);
	set_method(c, FW_ATA_SANITIZE_OVERWRITE, id->san_supported && id->san_overwrite);
}

static int probe_ata(struct sgio_dev *dev, struct fw_caps *c, char **cause)
{
	int rc = ata_identify(dev, &c->ata, cause);

	if (rc < 0)
		return rc;
	c->ata_valid = true;
	util_strlcpy(c->model, c->ata.model, sizeof(c->model));
	util_strlcpy(c->serial, c->ata.serial, sizeof(c->serial));
	util_strlcpy(c->firmware, c->ata.firmware, sizeof(c->firmware));
	c->sectors = c->ata.sectors;
	c->sector_size = c->ata.lbsize;
	ata_methods(c);
	if (c->ata.san_supported) {
		char *why = NULL;

		c->san_status_known = ata_sanitize_status(dev, false, &c->san, &why) == 0;
		free(why);
	}
	probe_hidden(dev, c);
	return 0;
}

static int probe_nvme(struct sgio_dev *dev, struct fw_caps *c, char **cause)
{
	int rc = nvme_identify_ctrl(dev, &c->nvme, cause);

	c->nsid = dev->nsid ? dev->nsid : 1;
	if (rc == 0)
		rc = nvme_identify_ns(dev, c->nsid, &c->ns, cause);
	if (rc < 0)
		return rc;
	c->nvme_valid = true;
	util_strlcpy(c->model, c->nvme.model, sizeof(c->model));
	util_strlcpy(c->serial, c->nvme.serial, sizeof(c->serial));
	util_strlcpy(c->firmware, c->nvme.firmware, sizeof(c->firmware));
	c->sectors = c->ns.nsze;
	c->sector_size = c->ns.lbsize;
	set_method(c, FW_NVME_FORMAT_USER, c->nvme.format_supported);
	set_method(c, FW_NVME_FORMAT_CRYPTO, c->nvme.format_supported && c->nvme.crypto_erase);
	set_method(c, FW_NVME_SANITIZE_CRYPTO, c->nvme.san_crypto);
	set_method(c, FW_NVME_SANITIZE_BLOCK, c->nvme.san_block);
	set_method(c, FW_NVME_SANITIZE_OVERWRITE, c->nvme.san_overwrite);
	return 0;
}

int fw_probe_dev(struct sgio_dev *dev, const char *media_kind, struct fw_caps *caps,
		 char **cause)
{
	int rc;

	memset(caps, 0, sizeof(*caps));
	caps->kind = dev->kind;
	caps->usb_bridge = dev->usb_bridge;
	caps->satl = dev->satl;
	if (dev->kind == SGIO_KIND_ATA)
		rc = probe_ata(dev, caps, cause);
	else if (dev->kind == SGIO_KIND_NVME)
		rc = probe_nvme(dev, caps, cause);
	else
		rc = util_fail(cause, -EOPNOTSUPP, "%s", NO_FIRMWARE);
	if (rc < 0)
		return rc;
	decide_media(caps, media_kind, dev->rotational);
	caps->purge = fw_purge_choice(caps);
	return 0;
}

int fw_probe_as(const char *path, const char *media_kind, struct fw_caps *caps, char **cause)
{
	struct sgio_dev *dev = NULL;
	int rc;

	memset(caps, 0, sizeof(*caps));
	rc = sgio_open(path, false, &dev, cause);
	if (rc < 0)
		return rc;
	rc = fw_probe_dev(dev, media_kind, caps, cause);
	sgio_close(dev);
	return rc;
}

int fw_probe(const char *path, struct fw_caps *caps, char **cause)
{
	return fw_probe_as(path, NULL, caps, cause);
}

/* ---- the guard and the purge rule -------------------------------------------- */

static int check_ata_security(const struct ata_identify *id, bool enhanced, char **cause)
{
	if (!id->sec_supported)
		return util_fail(cause, -EOPNOTSUPP,
				 _("not supported: the drive has no ATA Security feature set"));
	if (enhanced && !id->sec_enhanced)
		return util_fail(cause, -EOPNOTSUPP, _("not supported: the drive does not offer the "
				 "enhanced security erase"));
	if (id->sec_frozen)
		return util_fail(cause, -EPERM, _("refused: %s"), ata_frozen_help());
	if (id->sec_expired)
		return util_fail(cause, -EPERM, _("refused: the drive's password attempt counter has "
				 "expired; power-cycle the drive and retry"));
	if (id->sec_enabled)
		return util_fail(cause, -EPERM, _("refused: ATA security is already enabled (a "
				 "password is set); if custos left it, run "
				 "'custos ata unlock DEVICE'"));
	return 0;
}

static int check_ata_sanitize(const struct fw_caps *c, char **cause)
{
	if (c->ata.sec_locked)
		return util_fail(cause, -EPERM, _("refused: the drive is security-locked; unlock it "
				 "first ('custos ata unlock DEVICE')"));
	if (c->san_status_known && c->san.frozen)
		return util_fail(cause, -EPERM, _("refused: the drive is in sanitize frozen state "
				 "(set by the BIOS at start-up); power-cycle it (suspend/resume or "
				 "re-plug its power) and retry"));
	return 0;
}

int fw_check(const struct fw_caps *c, enum fw_method m, const struct fw_opts *o, char **cause)
{
	if (c->kind == SGIO_KIND_NONE)
		return util_fail(cause, -EOPNOTSUPP, "%s", NO_FIRMWARE);
	if (m == FW_PURGE)
		m = c->purge;
	if (m == FW_METHOD_NONE || m >= FW_PURGE)
		return util_fail(cause, -EOPNOTSUPP, _("not supported: no Purge-level firmware "
				 "method on this drive (media kind %s)"), c->media_kind);
	if (methods[m].kind != c->kind)
		return util_fail(cause, -EOPNOTSUPP, _("not supported: %s is an %s command and this "
				 "is an %s drive"), methods[m].name,
				 methods[m].kind == SGIO_KIND_ATA ? "ATA" : "NVMe",
				 c->kind == SGIO_KIND_ATA ? "ATA" : "NVMe");
	if ((c->usb_bridge || c->satl) && !(o && o->allow_usb_bridge))
		return util_fail(cause, -EPERM, _("refused: the drive is behind a %s; bridges that "
				 "pass SET PASSWORD but not ERASE UNIT lock drives, and others "
				 "drop command fields. Connect it to a native SATA/NVMe port, "
				 "or override with --allow-usb-bridge"),
				 c->usb_bridge ? "USB bridge" :
				 "SCSI-ATA translator that is not libata");
	if (!(c->methods & (1u << m)))
		return util_fail(cause, -EOPNOTSUPP, _("not supported: the drive does not offer %s"),
				 methods[m].command);
	switch (m) {
	case FW_ATA_SECURITY_ERASE:
		return check_ata_security(&c->ata, false, cause);
	case FW_ATA_ENHANCED_SECURITY_ERASE:
		return check_ata_security(&c->ata, true, cause);
	case FW_ATA_SANITIZE_BLOCK: case FW_ATA_SANITIZE_CRYPTO: case FW_ATA_SANITIZE_OVERWRITE:
		return check_ata_sanitize(c, cause);
	default:
		return 0;
	}
}

enum fw_method fw_purge_choice(const struct fw_caps *c)
{
	static const enum fw_method nvme_order[] = {
		FW_NVME_SANITIZE_CRYPTO, FW_NVME_SANITIZE_BLOCK, FW_NVME_FORMAT_CRYPTO,
		FW_NVME_FORMAT_USER,
	};
	static const enum fw_method ata_order[] = {
		FW_ATA_SANITIZE_CRYPTO, FW_ATA_SANITIZE_BLOCK, FW_ATA_SANITIZE_OVERWRITE,
		FW_ATA_ENHANCED_SECURITY_ERASE,
	};
	const enum fw_method *order = c->kind == SGIO_KIND_NVME ? nvme_order : ata_order;
	enum fw_method first = FW_METHOD_NONE;
	struct fw_opts o;

	fw_opts_init(&o);
	o.allow_usb_bridge = true;	/* the bridge itself is judged by fw_check later */
	if (c->kind == SGIO_KIND_NONE || c->usb_bridge)
		return FW_METHOD_NONE;		/* never an automatic Purge through a bridge */
	for (size_t i = 0; i < 4; i++) {
		enum fw_method m = order[i];

		if (!(c->methods & (1u << m)) ||
		    fw_nist_category(m, c->media_kind) != FW_NIST_PURGE)
			continue;
		if (first == FW_METHOD_NONE)
			first = m;
		if (fw_check(c, m, &o, NULL) == 0)
			return m;
	}
	return first;
}

/* ---- JSON --------------------------------------------------------------------- */

static json_t *minutes_or_null(uint32_t min)
{
	return min ? json_integer(min) : json_null();
}

static const char *sec_state_name(const struct ata_identify *id)
{
	static const char *const names[] = { "", "SEC1", "SEC2", "", "SEC4", "SEC5", "SEC6" };

	return id->sec_supported ? names[ata_sec_state(id)] : "unsupported";
}

static json_t *security_json(const struct ata_identify *id)
{
	return json_pack("{s:b, s:b, s:b, s:b, s:b, s:b, s:s, s:s, s:o, s:o}",
			 "supported", id->sec_supported, "enabled", id->sec_enabled,
			 "locked", id->sec_locked, "frozen", id->sec_frozen,
			 "count_expired", id->sec_expired, "enhanced_erase", id->sec_enhanced,
			 "level", id->sec_level_max ? "maximum" : "high",
			 "state", sec_state_name(id),
			 "erase_minutes", minutes_or_null(id->erase_min),
			 "enhanced_erase_minutes", minutes_or_null(id->erase_enh_min));
}

json_t *fw_hidden_to_json(const struct fw_hidden *h)
{
	if (!h->checked)
		return json_null();
	return json_pack("{s:s, s:b, s:b, s:b, s:I, s:I, s:o, s:I, s:I, s:b, s:I, s:I, s:s}",
			 "status", !h->known ? "unknown" : h->hidden_sectors ? "hidden" : "none",
			 "hpa", h->hpa, "ama", h->ama, "dco", h->dco,
			 "current_max_lba", (json_int_t)h->current_max,
			 "native_max_lba", (json_int_t)h->native_max,
			 "dco_max_lba", h->dco_known ? json_integer((json_int_t)h->dco_max) :
			 json_null(),
			 "hidden_sectors", (json_int_t)h->hidden_sectors,
			 "hidden_bytes", (json_int_t)(h->hidden_sectors * h->sector_size),
			 "restore_attempted", h->restore_attempted,
			 "restored_sectors", (json_int_t)h->restored_sectors,
			 "still_hidden_sectors", (json_int_t)h->still_hidden_sectors,
			 "note", h->note);
}

static json_t *ata_json(const struct fw_caps *c)
{
	const struct ata_identify *id = &c->ata;
	json_t *san = json_pack("{s:b, s:b, s:b, s:b, s:b}", "supported", id->san_supported,
				"crypto", id->san_crypto, "block", id->san_block,
				"overwrite", id->san_overwrite, "antifreeze", id->san_antifreeze);

	if (san && c->san_status_known) {
		json_object_set_new(san, "frozen", json_boolean(c->san.frozen));
		json_object_set_new(san, "in_progress", json_boolean(c->san.in_progress));
		json_object_set_new(san, "failed", json_boolean(c->san.failed));
	}
	return json_pack("{s:o, s:o}", "security", security_json(id), "sanitize", san);
}

static json_t *nvme_json(const struct fw_caps *c)
{
	const struct nvme_ctrl_info *n = &c->nvme;

	return json_pack("{s:{s:b, s:b, s:b, s:b}, s:{s:b, s:b, s:b}, s:I, s:i}",
			 "format", "supported", n->format_supported,
			 "crypto_erase", n->crypto_erase, "all_namespaces", n->fmt_all_ns,
			 "secure_erase_all_namespaces", n->se_all_ns,
			 "sanitize", "crypto", n->san_crypto, "block", n->san_block,
			 "overwrite", n->san_overwrite,
			 "namespace_blocks", (json_int_t)c->ns.nsze, "nsid", (int)c->nsid);
}

json_t *fw_caps_to_json(const struct fw_caps *c)
{
	json_t *j, *list = json_array();

	for (int m = 1; m < FW_PURGE; m++)
		if (c->methods & (1u << m))
			json_array_append_new(list, json_string(methods[m].name));
	j = json_pack("{s:s, s:b, s:s, s:s, s:s, s:s, s:I, s:i, s:o, s:o}",
		      "transport", c->kind == SGIO_KIND_NVME ? "nvme" : "ata",
		      "usb_bridge", c->usb_bridge, "media_kind", c->media_kind,
		      "model", c->model, "serial", c->serial, "firmware", c->firmware,
		      "sectors", (json_int_t)c->sectors, "sector_size", (int)c->sector_size,
		      "methods", list,
		      "purge", c->purge ? json_string(methods[c->purge].name) : json_null());
	if (!j)
		return NULL;
	if (c->kind == SGIO_KIND_ATA) {
		json_object_set_new(j, "ata", ata_json(c));
		json_object_set_new(j, "hidden", fw_hidden_to_json(&c->hidden));
	} else {
		json_object_set_new(j, "nvme", nvme_json(c));
	}
	return j;
}

/* ---- result helpers ------------------------------------------------------------- */

static void warn(struct fw_result *r, const char *fmt, ...) UTIL_PRINTF(2, 3);
static void warn(struct fw_result *r, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = util_vasprintf(fmt, ap);
	va_end(ap);
	if (!msg)
		return;
	util_warn("%s", msg);
	if (r->n_warnings < FW_MAX_WARNINGS)
		r->warnings[r->n_warnings++] = msg;
	else
		free(msg);
}

static void set_str(char **dst, const char *s)
{
	free(*dst);
	*dst = s ? util_asprintf("%s", s) : NULL;
}

void fw_result_clear(struct fw_result *r)
{
	free(r->detail);
	free(r->failure);
	free(r->recovery);
	for (unsigned i = 0; i < r->n_warnings; i++)
		free(r->warnings[i]);
	memset(r, 0, sizeof(*r));
}

static void progress(fw_progress_fn cb, void *data, const char *phase, double frac,
		     uint32_t eta_s)
{
	struct fw_progress p = { .phase = phase, .fraction = frac, .eta_s = eta_s };

	if (cb)
		cb(&p, data);
}

/* ---- hidden areas ------------------------------------------------------------------ */

/* Restore the native max (HPA/AMA, then DCO), then measure again.  An
 * overwrite (@m FW_METHOD_NONE) has the kernel rescan the drive itself. */
static void restore_hidden(struct sgio_dev *dev, struct fw_caps *c, enum fw_method m,
			   struct fw_result *r)
{
	struct fw_hidden *h = &c->hidden;
	uint64_t before = h->current_max;
	char *why = NULL;

	h->restore_attempted = true;
	if (h->native_max > h->current_max &&
	    ata_set_max(dev, &c->ata, h->native_max, true, &why) < 0)
		warn(r, _("restoring the native max address failed: %s (HPA security, or one change "
		     "per power cycle: power-cycle the drive and retry)"), why ? why : "unknown");
	if (h->dco_known && h->dco_max > h->native_max && ata_dco_restore(dev, &why) < 0)
		warn(r, _("DEVICE CONFIGURATION RESTORE failed: %s (DCO frozen, or an HPA is still "
		     "set; power-cycle the drive and retry)"), why ? why : "unknown");
	free(why);
	why = NULL;
	if (ata_identify(dev, &c->ata, &why) == 0) {
		struct fw_hidden old = *h;

		probe_hidden(dev, c);
		h->restore_attempted = true;
		h->restored_sectors = h->current_max > before ? h->current_max - before : 0;
		h->still_hidden_sectors = h->hidden_sectors;
		h->hidden_sectors = old.hidden_sectors;
	} else {
		h->known = false;
		snprintf(h->note, sizeof(h->note), "state after restore unknown: %s",
			 why ? why : "IDENTIFY failed");
	}
	free(why);
	if (h->restored_sectors && m != FW_METHOD_NONE)
		warn(r, _("the restored capacity is seen by the kernel only after a rescan or power "
		     "cycle; host-side reads stay within the old size until then"));
}

/* Sanitize and enhanced erase cover them; a normal erase and an overwrite
 * (FW_METHOD_NONE) do not. */
static bool covers_hidden(enum fw_method m)
{
	return m != FW_ATA_SECURITY_ERASE && m != FW_METHOD_NONE;
}

static int handle_hidden(struct sgio_dev *dev, struct fw_caps *c, enum fw_method m,
			 const struct fw_opts *o, struct fw_result *r, char **cause)
{
	struct fw_hidden *h = &c->hidden;

	if (c->kind != SGIO_KIND_ATA)
		return 0;
	if (!h->known) {
		if (o->restore_max)
			return util_fail(cause, -EIO, _("refused: hidden areas (HPA/DCO/AMA) could "
					 "not be determined (%s), so --restore-max cannot be "
					 "honoured"), h->note[0] ? h->note : "no answer");
		warn(r, _("hidden areas (HPA/DCO/AMA): unknown (%s)"), h->note);
		return 0;
	}
	if (h->hidden_sectors && o->restore_max)
		restore_hidden(dev, c, m, r);
	else if (h->hidden_sectors)
		warn(r, _("%llu sectors are hidden (HPA/DCO/AMA) and stay hidden "
		     "(no --restore-max)%s"),
		     (unsigned long long)h->hidden_sectors,
		     covers_hidden(m) ? "; the method erases them anyway" :
		     m == FW_METHOD_NONE ? "; the overwrite does not reach them" :
		     "; a normal security erase may not reach them");
	return 0;
}

/* ---- marker proof ------------------------------------------------------------------ */

struct markers {
	uint32_t lbsize;
	uint8_t *data;		/* count x lbsize marker bytes */
	uint8_t *io;		/* one aligned block */
};

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static bool lba_taken(const struct fw_markers *m, unsigned n, uint64_t lba)
{
	for (unsigned i = 0; i < n; i++)
		if (m->lba[i] == lba)
			return true;
	return false;
}

/* First, last, and pseudorandom LBAs of a device of @nblocks blocks. */
static void pick_lbas(struct fw_markers *m, unsigned want, uint64_t nblocks, uint64_t seed)
{
	unsigned tries = 0;

	if (want > nblocks)
		want = (unsigned)nblocks;
	m->count = 0;
	if (want == 0)
		return;
	m->lba[m->count++] = 0;
	if (want > 1)
		m->lba[m->count++] = nblocks - 1;
	seed |= 1;
	while (m->count < want && tries++ < 1000) {
		uint64_t lba = xorshift(&seed) % nblocks;

		if (!lba_taken(m, m->count, lba))
			m->lba[m->count++] = lba;
	}
}

static int markers_write(struct sgio_dev *dev, const struct fw_opts *o, struct fw_markers *fm,
			 struct markers *mk, char **cause)
{
	uint64_t bytes = 0, seed = 0;
	unsigned want = o->n_markers ? o->n_markers : DEFAULT_MARKERS;
	int rc;

	rc = sgio_capacity(dev, &bytes, &mk->lbsize);
	if (rc < 0 || mk->lbsize == 0 || bytes / mk->lbsize < 2)
		return util_fail(cause, rc < 0 ? rc : -EIO, _("marker proof: device size unknown"));
	if (want < 2)
		want = 2;
	if (want > FW_MAX_MARKERS)
		want = FW_MAX_MARKERS;
	if (RAND_bytes((unsigned char *)&seed, sizeof(seed)) != 1)
		return util_fail(cause, -EIO, _("marker proof: no random numbers"));
	pick_lbas(fm, want, bytes / mk->lbsize, seed);
	mk->data = malloc((size_t)fm->count * mk->lbsize);
	if (!mk->data || posix_memalign((void **)&mk->io, 4096, mk->lbsize) != 0)
		return util_fail(cause, -ENOMEM, _("out of memory"));
	if (RAND_bytes(mk->data, (int)(fm->count * mk->lbsize)) != 1)
		return util_fail(cause, -EIO, _("marker proof: no random numbers"));
	for (unsigned i = 0; i < fm->count; i++) {
		uint8_t *want_b = mk->data + (size_t)i * mk->lbsize;

		memcpy(mk->io, want_b, mk->lbsize);
		rc = sgio_rw(dev, true, fm->lba[i], mk->io, 1, cause);
		if (rc == 0)
			rc = sgio_rw(dev, false, fm->lba[i], mk->io, 1, cause);
		if (rc < 0)
			return rc;
		if (memcmp(mk->io, want_b, mk->lbsize) != 0)
			return util_fail(cause, -EIO, _("marker proof: the marker at LBA %llu "
					 "does not read back before the erase"),
					 (unsigned long long)fm->lba[i]);
	}
	return 0;
}

static int markers_check(struct sgio_dev *dev, struct fw_markers *fm, struct markers *mk,
			 char **cause)
{
	fm->checked = true;
	fm->survived = 0;
	for (unsigned i = 0; i < fm->count; i++) {
		int rc = sgio_rw(dev, false, fm->lba[i], mk->io, 1, cause);

		if (rc < 0)
			return rc;
		fm->gone[i] = memcmp(mk->io, mk->data + (size_t)i * mk->lbsize, mk->lbsize) != 0;
		if (!fm->gone[i])
			fm->survived++;
	}
	if (fm->survived)
		return util_fail(cause, -EIO, _("the drive reported success but %u of %u markers "
				 "written before the erase are still there: the erase did not "
				 "happen"), fm->survived, fm->count);
	return 0;
}

static void markers_free(struct markers *mk)
{
	free(mk->data);
	free(mk->io);
}

/* ---- the methods ------------------------------------------------------------------- */

static int run_ata_security(struct sgio_dev *dev, const struct fw_caps *c, enum fw_method m,
			    const struct fw_opts *o, struct fw_result *r, fw_progress_fn cb,
			    void *data, char **cause)
{
	bool enh = m == FW_ATA_ENHANCED_SECURITY_ERASE;
	uint32_t est = enh ? c->ata.erase_enh_min : c->ata.erase_min;
	struct ata_erase_report rep;
	int rc;

	progress(cb, data, "erase", -1, est * 60);
	rc = ata_security_erase(dev, o->state_dir, enh, &rep, cause);
	if (rep.recovery)
		set_str(&r->recovery, rep.recovery);
	if (rep.password_set)
		r->detail = util_asprintf("SECURITY ERASE UNIT (%s), timeout %u s; back in SEC1: "
					  "%s; temporary password removed: %s%s", enh ? "enhanced" :
					  "normal", rep.timeout_s, rep.erase_ok ? "yes" : "no",
					  rep.cleaned ? "yes" : "NO",
					  rep.reset_seen ? "; a reset or timeout hit it" : "");
	ata_erase_report_clear(&rep);
	return rc;
}

static int wait_ata_sanitize(struct sgio_dev *dev, bool slow, fw_progress_fn cb, void *data,
			     char **cause)
{
	uint32_t step = slow ? 10000 : 1000;
	struct ata_sanitize_status st;
	uint64_t still = 0;
	int last = -1, rc;

	for (;;) {
		rc = ata_sanitize_status(dev, false, &st, cause);
		if (rc < 0)
			return rc;
		if (st.failed)
			return util_fail(cause, -EIO,
					 _("the drive reports that the sanitize operation failed"));
		if (!st.in_progress)
			return st.completed ? 0 :
			       util_fail(cause, -EIO, _("the sanitize operation is not reported "
					 "as completed without error"));
		progress(cb, data, "erase", st.progress / 65536.0, 0);
		if (st.progress != last) {
			last = st.progress;
			still = 0;
		} else if ((still += step) > STALL_MS) {
			return util_fail(cause, -ETIMEDOUT, _("the sanitize operation stalled "
					 "at %u%% for 6 hours; power-cycle the drive and check "
					 "its sanitize status"), st.progress * 100u / 65536u);
		}
		sgio_sleep_ms(dev, step);
	}
}

static int run_ata_sanitize(struct sgio_dev *dev, enum fw_method m, const struct fw_opts *o,
			    struct fw_result *r, fw_progress_fn cb, void *data, char **cause)
{
	enum ata_sanitize_op op = m == FW_ATA_SANITIZE_CRYPTO ? ATA_SANITIZE_CRYPTO :
				  m == FW_ATA_SANITIZE_BLOCK ? ATA_SANITIZE_BLOCK :
				  ATA_SANITIZE_OVERWRITE;
	struct ata_sanitize_status st;
	char *why = NULL;
	int rc;

	rc = ata_sanitize_status(dev, false, &st, cause);
	if (rc == 0 && st.in_progress) {
		warn(r, _("a sanitize operation was already running; waiting for it to end first"));
		rc = wait_ata_sanitize(dev, true, cb, data, &why);
		if (rc < 0)
			st.failed = true;
		rc = 0;
	}
	if (rc == 0 && st.failed && ata_sanitize_status(dev, true, &st, &why) < 0)
		warn(r, _("the drive stays in sanitize failure mode (%s); reissuing the sanitize"),
		     why ? why : "restricted mode");
	free(why);
	if (rc < 0)
		return rc;
	rc = ata_sanitize_start(dev, op, o->ow_pattern, o->ow_passes ? o->ow_passes : 1, cause);
	if (rc == 0)
		rc = wait_ata_sanitize(dev, op == ATA_SANITIZE_OVERWRITE, cb, data, cause);
	if (rc == 0)
		r->detail = util_asprintf("SANITIZE STATUS EXT: operation completed without error");
	return rc;
}

/* Format NVM runs on its own thread (it blocks for as long as the drive
 * takes); the caller polls FPI on a second handle meanwhile. */
struct format_run {
	struct sgio_dev *dev;
	const struct fw_caps *c;
	enum nvme_ses ses;
	int rc;
	char *cause;
	atomic_bool done;
};

static void *format_thread(void *arg)
{
	struct format_run *f = arg;

	f->rc = nvme_format(f->dev, f->c->nsid, &f->c->ns, f->ses, &f->cause);
	atomic_store(&f->done, true);
	return NULL;
}

/* Until the format thread ends: poll Identify Namespace FPI on @poll every
 * FORMAT_POLL_MS (when the namespace reports it) and publish progress. */
static void format_watch(struct sgio_dev *poll, struct format_run *f, fw_progress_fn cb,
			 void *data)
{
	bool fpi = f->c->ns.fpi & 0x80;
	uint64_t elapsed_ms = 0, t0 = 0;
	unsigned left, left0 = 0;

	while (!atomic_load(&f->done)) {
		/* 0% left before the format began, or as it ends, says nothing */
		if (fpi && nvme_format_progress(poll, f->c->nsid, &f->c->ns, &left, NULL) == 0 &&
		    left > 0 && left <= 100 && !atomic_load(&f->done)) {
			uint64_t eta = 0;

			if (!left0) {
				left0 = left;
				t0 = elapsed_ms;
			} else if (left < left0) {	/* at the rate seen since then */
				eta = (elapsed_ms - t0) / 1000 * left / (left0 - left);
			}
			progress(cb, data, "erase", (100 - left) / 100.0,
				 eta > UINT32_MAX ? UINT32_MAX : (uint32_t)eta);
		}
		for (uint32_t t = 0; t < FORMAT_POLL_MS && !atomic_load(&f->done);
		     t += FORMAT_SLICE_MS) {
			sgio_sleep_ms(poll, FORMAT_SLICE_MS);
			elapsed_ms += FORMAT_SLICE_MS;
		}
	}
}

/* Run the format, watched from this thread when a second handle and a
 * thread can be had, else blocking. */
static int format_polled(struct sgio_dev *dev, const struct fw_caps *c, enum nvme_ses ses,
			 struct fw_result *r, fw_progress_fn cb, void *data, char **cause)
{
	struct format_run f = { .dev = dev, .c = c, .ses = ses };
	struct sgio_dev *poll = NULL;
	char *why = NULL;
	pthread_t th;

	atomic_init(&f.done, false);
	if (sgio_reopen(dev, &poll, &why) == 0 &&
	    pthread_create(&th, NULL, format_thread, &f) == 0) {
		format_watch(poll, &f, cb, data);
		pthread_join(th, NULL);
	} else {
		warn(r, _("format progress cannot be polled (%s); waiting for the format to end"),
		     why ? why : "no thread");
		format_thread(&f);
	}
	sgio_close(poll);
	free(why);
	if (f.rc < 0 && cause) {
		free(*cause);
		*cause = f.cause;
	} else {
		free(f.cause);
	}
	return f.rc;
}

static int run_nvme_format(struct sgio_dev *dev, const struct fw_caps *c, enum fw_method m,
			   struct fw_result *r, fw_progress_fn cb, void *data, char **cause)
{
	enum nvme_ses ses = m == FW_NVME_FORMAT_CRYPTO ? NVME_SES_CRYPTO : NVME_SES_USER;
	struct nvme_ns_info after;
	int rc;

	if (c->nvme.fmt_all_ns || c->nvme.se_all_ns)
		warn(r, _("this controller formats or erases every namespace at once (FNA %02Xh): "
		     "all namespaces on it are erased"), c->nvme.fna);
	progress(cb, data, "erase", -1, 0);
	rc = format_polled(dev, c, ses, r, cb, data, cause);
	if (rc == 0)
		rc = nvme_identify_ns(dev, c->nsid, &after, cause);
	if (rc < 0)
		return rc;
	if (after.lbsize != c->ns.lbsize || after.nsze != c->ns.nsze)
		warn(r, _("the namespace changed shape after the format (%u-byte blocks x %llu)"),
		     after.lbsize, (unsigned long long)after.nsze);
	r->detail = util_asprintf("Format NVM completed, SES=%d, LBA format %u kept, namespace %u",
				  (int)ses, c->ns.lbaf, c->nsid);
	return 0;
}

/* Seconds left of a sanitize by the controller's estimate, 0 unknown. */
static uint32_t sanitize_eta(const struct nvme_sanitize_log *log)
{
	uint64_t est = nvme_sanitize_estimate_s(log);

	return (uint32_t)(est * (65536u - log->sprog) / 65536u);
}

static int wait_nvme_sanitize(struct sgio_dev *dev, bool slow, fw_progress_fn cb, void *data,
			      struct nvme_sanitize_log *log, char **cause)
{
	uint32_t step = slow ? 10000 : 1000;
	uint64_t still = 0, limit;
	int last = -1, rc;

	for (;;) {
		rc = nvme_sanitize_log(dev, log, cause);
		if (rc < 0)
			return rc;
		switch (log->sstat & 7) {
		case NVME_SSTAT_DONE: case NVME_SSTAT_DONE_NODEALLOC:
			return 0;
		case NVME_SSTAT_FAILED:
			return util_fail(cause, -EIO, _("the controller reports that the sanitize "
					 "failed (SSTAT %04Xh)"), log->sstat);
		case NVME_SSTAT_IN_PROGRESS:
			break;
		default:
			return util_fail(cause, -EIO, _("the sanitize log shows no sanitize (SSTAT "
					 "%04Xh)"), log->sstat);
		}
		progress(cb, data, "erase", log->sprog / 65536.0, sanitize_eta(log));
		limit = nvme_sanitize_stall_ms(log);
		if (log->sprog != last) {
			last = log->sprog;
			still = 0;
		} else if ((still += step) > limit) {
			return util_fail(cause, -ETIMEDOUT, _("the sanitize stalled at %u%% "
					 "for %llu minutes (3 x the drive's estimate, at least 1 "
					 "hour; a known firmware fault); power-cycle the drive"),
					 log->sprog * 100u / 65536u,
					 (unsigned long long)(limit / 60000));
		}
		sgio_sleep_ms(dev, step);
	}
}

static int run_nvme_sanitize(struct sgio_dev *dev, enum fw_method m, const struct fw_opts *o,
			     struct fw_result *r, fw_progress_fn cb, void *data, char **cause)
{
	enum nvme_sanact act = m == FW_NVME_SANITIZE_CRYPTO ? NVME_SANACT_CRYPTO :
			       m == FW_NVME_SANITIZE_BLOCK ? NVME_SANACT_BLOCK :
			       NVME_SANACT_OVERWRITE;
	struct nvme_sanitize_log log;
	char *why = NULL;
	int rc;

	rc = nvme_sanitize_log(dev, &log, cause);
	if (rc == 0 && (log.sstat & 7) == NVME_SSTAT_IN_PROGRESS) {
		warn(r, _("a sanitize was already running; waiting for it to end first"));
		(void)wait_nvme_sanitize(dev, true, cb, data, &log, &why);
		free(why);
	}
	if (rc == 0 && (log.sstat & 7) == NVME_SSTAT_FAILED)
		warn(r, _("the previous sanitize failed; reissuing a sanitize"));
	if (rc == 0)
		rc = nvme_sanitize_start(dev, act, o->ow_passes ? o->ow_passes : 1, o->ow_pattern,
					 cause);
	if (rc == 0)
		rc = wait_nvme_sanitize(dev, act == NVME_SANACT_OVERWRITE, cb, data, &log, cause);
	if (rc == 0)
		r->detail = util_asprintf("sanitize log: SSTAT %04Xh (completed%s), global data "
					  "erased: %s", log.sstat,
					  (log.sstat & 7) == 4 ? ", no-deallocate" : "",
					  (log.sstat & 0x100) ? "yes" : "no");
	return rc;
}

static int run_method(struct sgio_dev *dev, const struct fw_caps *c, enum fw_method m,
		      const struct fw_opts *o, struct fw_result *r, fw_progress_fn cb, void *data,
		      char **cause)
{
	switch (m) {
	case FW_ATA_SECURITY_ERASE: case FW_ATA_ENHANCED_SECURITY_ERASE:
		return run_ata_security(dev, c, m, o, r, cb, data, cause);
	case FW_ATA_SANITIZE_BLOCK: case FW_ATA_SANITIZE_CRYPTO: case FW_ATA_SANITIZE_OVERWRITE:
		return run_ata_sanitize(dev, m, o, r, cb, data, cause);
	case FW_NVME_FORMAT_USER: case FW_NVME_FORMAT_CRYPTO:
		return run_nvme_format(dev, c, m, r, cb, data, cause);
	case FW_NVME_SANITIZE_BLOCK: case FW_NVME_SANITIZE_CRYPTO: case FW_NVME_SANITIZE_OVERWRITE:
		return run_nvme_sanitize(dev, m, o, r, cb, data, cause);
	default:
		return util_fail(cause, -EINVAL, _("no firmware method"));
	}
}

/* Everything up to the first write: probe, guard, hidden areas. */
static int prepare(struct sgio_dev *dev, enum fw_method m, const struct fw_opts *o,
		   struct fw_caps *c, struct fw_result *r, char **cause)
{
	int rc;

	rc = fw_probe_dev(dev, o->media_kind, c, cause);
	if (rc < 0)
		return rc;
	r->used = m == FW_PURGE ? c->purge : m;
	util_strlcpy(r->media_kind, c->media_kind, sizeof(r->media_kind));
	util_strlcpy(r->model, c->model, sizeof(r->model));
	util_strlcpy(r->serial, c->serial, sizeof(r->serial));
	r->sectors = c->sectors;
	r->sector_size = c->sector_size;
	rc = fw_check(c, m, o, cause);
	if (rc < 0)
		return rc;
	r->nist = fw_nist_category(r->used, c->media_kind);
	if ((r->used == FW_ATA_SECURITY_ERASE || r->used == FW_ATA_ENHANCED_SECURITY_ERASE) &&
	    !o->state_dir)
		return util_fail(cause, -EINVAL, _("no state directory for the ATA password journal"));
	if (c->usb_bridge || c->satl)
		warn(r, _("firmware commands through a %s, allowed by --allow-usb-bridge: a bridge "
		     "that drops a command can leave the drive locked or not erased"),
		     c->usb_bridge ? "USB bridge" : "non-libata SCSI-ATA translator");
	return handle_hidden(dev, c, r->used, o, r, cause);
}

int fw_run_dev(struct sgio_dev *dev, enum fw_method m, const struct fw_opts *o_in,
	       fw_progress_fn cb, void *data, const atomic_bool *cancel, struct fw_result *r,
	       char **cause)
{
	struct markers mk = { 0 };
	struct fw_opts def;
	const struct fw_opts *o = o_in;
	struct fw_caps c;
	int rc;

	if (!o) {
		fw_opts_init(&def);
		o = &def;
	}
	memset(r, 0, sizeof(*r));
	memset(&c, 0, sizeof(c));
	r->requested = m;
	r->started = util_unix_now();
	progress(cb, data, "probe", -1, 0);
	rc = prepare(dev, m, o, &c, r, cause);
	if (rc == 0 && cancel && atomic_load(cancel))
		rc = util_fail(cause, -ECANCELED, _("cancelled before anything was written"));
	if (rc == 0 && o->markers) {
		r->touched = true;
		progress(cb, data, "markers", -1, 0);
		rc = markers_write(dev, o, &r->markers, &mk, cause);
	} else if (rc == 0) {
		warn(r, _("marker proof disabled by the profile: nothing proves the erase happened "
		     "beyond the drive's own report"));
	}
	if (rc == 0 && cancel && atomic_load(cancel))
		rc = util_fail(cause, -ECANCELED, _("cancelled before the erase command"));
	if (rc == 0) {
		r->touched = true;
		rc = run_method(dev, &c, r->used, o, r, cb, data, cause);
	}
	if (rc == 0 && o->markers) {
		progress(cb, data, "verify", -1, 0);
		rc = markers_check(dev, &r->markers, &mk, cause);
	}
	r->ok = rc == 0;
	r->hidden = c.hidden;
	r->hidden_covered = c.hidden.checked && c.hidden.known &&
			    (covers_hidden(r->used) || c.hidden.still_hidden_sectors == 0);
	r->finished = util_unix_now();
	if (rc < 0 && cause && *cause)
		set_str(&r->failure, *cause);
	markers_free(&mk);
	return rc;
}

/* The host-side identity and the hidden-area record of @c into @r. */
static void hidden_only_result(const struct fw_caps *c, struct fw_result *r)
{
	util_strlcpy(r->media_kind, c->media_kind, sizeof(r->media_kind));
	util_strlcpy(r->model, c->model, sizeof(r->model));
	util_strlcpy(r->serial, c->serial, sizeof(r->serial));
	r->sectors = c->ata_valid ? c->ata.sectors : c->sectors;
	r->sector_size = c->sector_size;
	r->hidden = c->hidden;
	r->hidden_covered = c->hidden.checked && c->hidden.known &&
			    c->hidden.still_hidden_sectors == 0;
	r->finished = util_unix_now();
}

int fw_hidden_dev(struct sgio_dev *dev, const struct fw_opts *o, struct fw_result *r,
		  char **cause)
{
	struct fw_caps c;
	int rc;

	memset(r, 0, sizeof(*r));
	memset(&c, 0, sizeof(c));
	r->started = util_unix_now();
	rc = fw_probe_dev(dev, o->media_kind, &c, cause);
	/* the note goes into signed certificates: English in every locale
	 * (its first word states the fact), the cause in the reader's */
	if (rc == 0 && c.kind != SGIO_KIND_ATA) {
		snprintf(c.hidden.note, sizeof(c.hidden.note), "not applicable: no ATA hidden "
			 "areas (HPA/DCO/AMA) on this target");
		rc = util_fail(cause, -EOPNOTSUPP, _("not applicable: no ATA hidden areas "
			       "(HPA/DCO/AMA) on this target"));
	} else if (rc == 0 && (c.usb_bridge || c.satl) && !o->allow_usb_bridge) {
		snprintf(c.hidden.note, sizeof(c.hidden.note), "not checked: the drive is behind "
			 "a %s (--allow-usb-bridge lets custos ask it)",
			 c.usb_bridge ? "USB bridge" : "non-libata SCSI-ATA translator");
		rc = util_fail(cause, -EOPNOTSUPP, _("not checked: the drive is behind a %s "
			       "(--allow-usb-bridge lets custos ask it)"),
			       c.usb_bridge ? _("USB bridge") : _("non-libata SCSI-ATA translator"));
	}
	if (rc == 0)
		rc = handle_hidden(dev, &c, FW_METHOD_NONE, o, r, cause);
	hidden_only_result(&c, r);
	if (rc < 0 && cause && *cause)
		set_str(&r->failure, *cause);
	return rc;
}

/* ---- result JSON ---------------------------------------------------------------------- */

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *markers_json(const struct fw_markers *m)
{
	json_t *lbas = json_array();

	for (unsigned i = 0; i < m->count; i++)
		json_array_append_new(lbas, json_integer((json_int_t)m->lba[i]));
	return json_pack("{s:b, s:i, s:i, s:o}", "checked", m->checked, "count", (int)m->count,
			 "survived", (int)m->survived, "lbas", lbas);
}

json_t *fw_result_to_json(const struct fw_result *r)
{
	char started[32], finished[32];
	json_t *j, *warnings = json_array();

	util_iso8601(r->started, started, sizeof(started));
	util_iso8601(r->finished, finished, sizeof(finished));
	for (unsigned i = 0; i < r->n_warnings; i++)
		json_array_append_new(warnings, json_string(r->warnings[i]));
	j = json_pack("{s:o, s:o, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:b, "
		      "s:o, s:o}",
		      "method_requested", str_or_null(fw_method_name(r->requested)),
		      "method", str_or_null(fw_method_name(r->used)),
		      "command", fw_method_command(r->used),
		      "media_kind", r->media_kind, "nist", fw_nist_name(r->ok ? r->nist :
								       FW_NIST_NONE),
		      "status", r->ok ? "completed" : "failed",
		      "started", started, "finished", finished,
		      "detail", str_or_null(r->detail), "failure", str_or_null(r->failure),
		      "recovery", str_or_null(r->recovery),
		      "hidden", fw_hidden_to_json(&r->hidden), "hidden_covered", r->hidden_covered,
		      "markers", markers_json(&r->markers), "warnings", warnings);
	if (j && r->serial[0]) {
		json_object_set_new(j, "serial", json_string(r->serial));
		json_object_set_new(j, "model", json_string(r->model));
	}
	return j;
}
