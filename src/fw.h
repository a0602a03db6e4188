/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CUSTOS_FW_H
#define CUSTOS_FW_H

/*
 * fw: firmware sanitization as the job sees it.  fw_probe() says what a
 * drive can do (the `firmware` field of `custos devices --json`),
 * fw_check() is the guard that refuses a method before anything is
 * written, and fw_run_dev() performs one method with every safety rule:
 * frozen/expired/USB-bridge refusals, hidden areas detected and (on
 * request) restored, random markers written before and required gone
 * after, and a result whose NIST category is honest for the media kind.
 *
 * Targets without ATA/NVMe firmware (files, loop, virtio) give
 * -EOPNOTSUPP "not supported: no ATA/NVMe firmware on this target".
 */

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "ata.h"
#include "nvme.h"
#include "sgio.h"

/* The firmware methods, named as the profiles' `method` values. */
enum fw_method {
	FW_METHOD_NONE = 0,
	FW_ATA_SECURITY_ERASE,
	FW_ATA_ENHANCED_SECURITY_ERASE,
	FW_ATA_SANITIZE_BLOCK,
	FW_ATA_SANITIZE_CRYPTO,
	FW_ATA_SANITIZE_OVERWRITE,
	FW_NVME_FORMAT_USER,
	FW_NVME_FORMAT_CRYPTO,
	FW_NVME_SANITIZE_BLOCK,
	FW_NVME_SANITIZE_CRYPTO,
	FW_NVME_SANITIZE_OVERWRITE,
	FW_PURGE,		/* the strongest Purge the drive supports (fw_purge_choice) */
	FW_METHOD_COUNT
};

enum fw_nist { FW_NIST_NONE = 0, FW_NIST_CLEAR, FW_NIST_PURGE };

/* "ata-secure-erase", ...; NULL for FW_METHOD_NONE. */
const char *fw_method_name(enum fw_method m);
/* Profile method name to enum; -EINVAL for "overwrite" or unknown names. */
int fw_method_parse(const char *name, enum fw_method *m);
/* Human description of the firmware command ("ATA SANITIZE CRYPTO SCRAMBLE EXT"). */
const char *fw_method_command(enum fw_method m);
const char *fw_nist_name(enum fw_nist n);		/* "none" "clear" "purge" */

/* NIST SP 800-88 category a method reaches on a media kind ("hdd", "ssd",
 * "nvme", "usb-flash", "sd-mmc", "virtual").  ATA Security Erase on flash
 * is Clear; nothing reaches Purge through a USB bridge or on cards. */
enum fw_nist fw_nist_category(enum fw_method m, const char *media_kind);

struct fw_hidden {
	bool checked;		/* detection ran (ATA drives) */
	bool known;		/* every step answered: false means "unknown", never "none" */
	bool hpa, ama, dco;	/* feature sets supported */
	uint32_t sector_size;
	uint64_t current_max;	/* max LBA the host sees (IDENTIFY) */
	uint64_t native_max;	/* READ NATIVE MAX / GET NATIVE MAX */
	uint64_t dco_max;	/* DCO IDENTIFY (when dco_known) */
	bool dco_known;
	uint64_t hidden_sectors;
	bool restore_attempted;
	uint64_t restored_sectors;
	uint64_t still_hidden_sectors;
	char note[256];
};

struct fw_caps {
	enum sgio_kind kind;
	bool usb_bridge;
	bool satl;		/* SCSI host that is not libata: unknown translator */
	char media_kind[16];
	char model[41];
	char serial[21];
	char firmware[9];
	uint64_t sectors;
	uint32_t sector_size;
	bool ata_valid;
	struct ata_identify ata;
	bool san_status_known;	/* ATA SANITIZE STATUS read at probe */
	struct ata_sanitize_status san;
	bool nvme_valid;
	struct nvme_ctrl_info nvme;
	struct nvme_ns_info ns;
	uint32_t nsid;
	struct fw_hidden hidden;
	unsigned methods;	/* bit (1u << m): the drive supports method m */
	enum fw_method purge;	/* fw_purge_choice(), FW_METHOD_NONE if no Purge is possible */
};

/* Probe the real device @path read-only.  -EOPNOTSUPP (with the
 * "not supported" cause) for targets without ATA/NVMe firmware. */
int fw_probe(const char *path, struct fw_caps *caps, char **cause);
/* The same with the media kind device_media_kind() gave (the claim is
 * lowered to flash when IDENTIFY says solid state). */
int fw_probe_as(const char *path, const char *media_kind, struct fw_caps *caps, char **cause);
/* Probe through an open transport (tests hand a fakedev in).  @media_kind
 * may be NULL (then decided from IDENTIFY word 217 / sysfs, flash if in doubt). */
int fw_probe_dev(struct sgio_dev *dev, const char *media_kind, struct fw_caps *caps,
		 char **cause);
json_t *fw_caps_to_json(const struct fw_caps *caps);
/* The `hidden` object of the JSON (null when detection did not run). */
json_t *fw_hidden_to_json(const struct fw_hidden *h);

/* The purge rule (documented in custos-profile(5) and fw.c):
 *   NVMe: Sanitize crypto > Sanitize block > Format SES=2 (FNA bit 2) >
 *         Format SES=1;
 *   ATA:  SANITIZE crypto > SANITIZE block > SANITIZE overwrite (HDD only) >
 *         enhanced SECURITY ERASE (HDD only);
 * only methods that reach Purge on the media kind count; through a USB
 * bridge nothing does.  Methods the drive's current state allows come
 * first; FW_METHOD_NONE when the drive supports none. */
enum fw_method fw_purge_choice(const struct fw_caps *caps);

struct fw_opts {
	const char *state_dir;	/* the ATA password journal lives in <state_dir>/ata-journal */
	const char *media_kind;	/* device_media_kind() of the target, or NULL */
	bool restore_max;	/* restore HPA/AMA/DCO native max before the erase */
	bool allow_usb_bridge;	/* firmware commands through a USB bridge / unknown SATL */
	bool markers;		/* marker proof (default true) */
	unsigned n_markers;	/* 2..32, default 16 */
	unsigned ow_passes;	/* sanitize overwrite passes, default 1 */
	uint32_t ow_pattern;	/* sanitize overwrite pattern, default 0 */
};
void fw_opts_init(struct fw_opts *o);

/* The guard: 0 when @m (FW_PURGE resolved) can run on this drive now,
 * else -EOPNOTSUPP or -EPERM with the reason in *@cause. */
int fw_check(const struct fw_caps *caps, enum fw_method m, const struct fw_opts *o,
	     char **cause);

struct fw_progress {
	const char *phase;	/* "probe" "hidden-areas" "markers" "erase" "verify" */
	double fraction;	/* 0..1 of the phase, < 0 unknown */
	uint32_t eta_s;		/* drive's estimate, 0 unknown */
};
typedef void (*fw_progress_fn)(const struct fw_progress *p, void *data);

#define FW_MAX_MARKERS 32
#define FW_MAX_WARNINGS 8

struct fw_markers {
	bool checked;
	unsigned count;
	unsigned survived;
	uint64_t lba[FW_MAX_MARKERS];
	bool gone[FW_MAX_MARKERS];
};

struct fw_result {
	enum fw_method requested;
	enum fw_method used;
	char media_kind[16];
	enum fw_nist nist;	/* category of the method actually used, for this media */
	bool ok;
	bool touched;		/* something was written or sent: markers or the erase */
	char model[41];
	char serial[21];
	uint64_t sectors;
	uint32_t sector_size;
	int64_t started, finished;
	struct fw_hidden hidden;
	bool hidden_covered;	/* the method also erases hidden areas, or none remain */
	struct fw_markers markers;
	char *detail;		/* completion evidence ("sanitize status: completed ...") */
	char *failure;		/* why it failed */
	char *recovery;		/* a password left on the drive: exact recovery steps */
	char *warnings[FW_MAX_WARNINGS];
	unsigned n_warnings;
};
void fw_result_clear(struct fw_result *r);
json_t *fw_result_to_json(const struct fw_result *r);

/* Run @m on @dev: a drive the caller opened through its anchor
 * (sgio_open_at: O_RDWR|O_EXCL, the medium checked and guarded), never a
 * name.  @cb, @cancel may be NULL; @cancel is honoured up to the moment
 * the erase command is sent (a started firmware erase cannot be stopped).
 * Returns 0 when the erase is proven; negative errno otherwise, with
 * @res filled as far as the run got. */
int fw_run_dev(struct sgio_dev *dev, enum fw_method m, const struct fw_opts *o,
	       fw_progress_fn cb, void *cbdata, const atomic_bool *cancel, struct fw_result *res,
	       char **cause);

/*
 * Hidden areas before an overwrite (no firmware erase): probe read-only
 * (IDENTIFY, READ NATIVE MAX, DCO IDENTIFY) and, with @o->restore_max,
 * restore the native max address as fw_run_dev() does.  Fills @r's identity,
 * hidden (what was hidden, restored, still hidden) and warnings.  0;
 * -EOPNOTSUPP when the target is not an ATA drive (or one behind a bridge
 * without @o->allow_usb_bridge); -EIO when a restore was asked but the
 * hidden areas cannot be determined.  @r is filled either way (free it
 * with fw_result_clear()).  Nothing but SET MAX / DCO RESTORE is written.
 */
int fw_hidden_dev(struct sgio_dev *dev, const struct fw_opts *o, struct fw_result *r,
		  char **cause);

#endif
