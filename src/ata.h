/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CUSTOS_ATA_H
#define CUSTOS_ATA_H

/*
 * ata: IDENTIFY DEVICE parsing, the Security feature set (erase with a
 * journalled password and recovery), the SANITIZE feature set, and the
 * hidden-area commands (HPA, AMA, DCO), and SMART health data.  All
 * commands go through sgio.
 * Facts and byte layouts: firmware-erase.md §5, §6, §10.
 */

#include <stdbool.h>
#include <stdint.h>

#include "sgio.h"

#define ATA_SECTOR 512
#define ATA_PASSWORD_MAX 32

struct ata_identify {
	uint16_t w[256];
	char model[41];
	char serial[21];
	char firmware[9];
	bool lba48;
	uint64_t sectors;		/* user-addressable sectors (current max LBA + 1) */
	uint32_t lbsize;		/* logical sector size in bytes */
	uint16_t rotation;		/* word 217: 1 = solid state, > 400h rpm, 0 unknown */
	bool checksum_valid;		/* word 255 carries A5h and a correct checksum */
	/* Security (words 82, 85, 89, 90, 92, 128) */
	bool sec_supported;
	bool sec_enabled;
	bool sec_locked;
	bool sec_frozen;
	bool sec_expired;
	bool sec_enhanced;
	bool sec_level_max;
	uint16_t master_pw_id;
	uint32_t erase_min;		/* normal erase estimate, minutes; 0 = not reported */
	uint32_t erase_enh_min;		/* enhanced erase estimate, minutes */
	/* Sanitize (word 59) */
	bool san_supported;
	bool san_crypto;
	bool san_block;
	bool san_overwrite;
	bool san_antifreeze;
	/* Hidden areas (words 80, 82, 83, 86, 119) */
	bool hpa_supported;
	bool dco_supported;
	bool ama_supported;
	bool acs3;
};

/* Security states of ACS (the host sees SEC1, SEC2, SEC4, SEC5, SEC6). */
enum ata_sec_state { ATA_SEC1 = 1, ATA_SEC2 = 2, ATA_SEC4 = 4, ATA_SEC5 = 5, ATA_SEC6 = 6 };

enum ata_sanitize_op {
	ATA_SANITIZE_CRYPTO,		/* CRYPTO SCRAMBLE EXT */
	ATA_SANITIZE_BLOCK,		/* BLOCK ERASE EXT */
	ATA_SANITIZE_OVERWRITE,		/* OVERWRITE EXT */
};

struct ata_sanitize_status {
	bool completed;		/* COUNT(15) bit 7: completed without error */
	bool in_progress;	/* bit 6 */
	bool frozen;		/* bit 5 */
	bool antifreeze;	/* bit 4 */
	bool failed;		/* the command was aborted with reason 01h */
	uint8_t reason;		/* LBA(7:0) when aborted */
	uint16_t progress;	/* LBA(15:0), fraction x 65536 */
};

struct ata_dco {
	uint64_t max_lba;
	bool valid;		/* signature and checksum correct */
	uint16_t features;	/* word 7 */
};

/* Parse a 512-byte IDENTIFY DEVICE response.  -EINVAL if it is not one. */
int ata_identify_parse(const uint8_t buf[512], struct ata_identify *id);
enum ata_sec_state ata_sec_state(const struct ata_identify *id);

/* Erase-time word (89 or 90) in minutes: 0 not reported, 508 / 65532 = "more than". */
uint32_t ata_erase_time_min(uint16_t word);

/* SECURITY ERASE UNIT timeout in seconds: max(estimate x 1.5 + 60 min,
 * capacity estimate (1 s per 30 MB + 30 min)), at least 2 hours, at most
 * what SG_IO can carry (4294967 s). */
uint32_t ata_erase_timeout_s(const struct ata_identify *id, bool enhanced);

/* 512-byte payloads of SET PASSWORD (user, level High unless @level_max),
 * UNLOCK / DISABLE PASSWORD, and ERASE UNIT. */
void ata_payload_set_password(uint8_t buf[512], const char *pw, bool master, bool level_max,
			      uint16_t master_id);
void ata_payload_password(uint8_t buf[512], const char *pw, bool master);
void ata_payload_erase(uint8_t buf[512], const char *pw, bool master, bool enhanced);

int ata_identify(struct sgio_dev *dev, struct ata_identify *id, char **cause);

/* Single commands (user password, timeouts set here except ERASE UNIT). */
int ata_sec_set_password(struct sgio_dev *dev, const char *pw, char **cause);
int ata_sec_unlock(struct sgio_dev *dev, const char *pw, char **cause);
int ata_sec_disable(struct sgio_dev *dev, const char *pw, char **cause);
int ata_sec_erase_prepare(struct sgio_dev *dev, char **cause);
int ata_sec_erase_unit(struct sgio_dev *dev, const char *pw, bool enhanced, uint32_t timeout_s,
		       struct sgio_ata_res *res, char **cause);

/* SANITIZE STATUS EXT (@clear_failed: CLEAR SANITIZE OPERATION FAILED).
 * A drive in failure state answers ABRT with reason 01h: then 0 is
 * returned with st->failed set.  -EBADMSG when registers came back
 * incomplete (fixed-format sense, COUNT(15:8) missing). */
int ata_sanitize_status(struct sgio_dev *dev, bool clear_failed, struct ata_sanitize_status *st,
			char **cause);
/* Start a sanitize (FAILURE MODE = 1; overwrite: @passes 1-16, @pattern). */
int ata_sanitize_start(struct sgio_dev *dev, enum ata_sanitize_op op, uint32_t pattern,
		       unsigned passes, char **cause);
int ata_sanitize_freeze(struct sgio_dev *dev, bool antifreeze, char **cause);
const char *ata_sanitize_reason(uint8_t reason);

/* Native max LBA: AMA GET NATIVE MAX ADDRESS EXT, else READ NATIVE MAX
 * ADDRESS EXT (48-bit), else READ NATIVE MAX ADDRESS. */
int ata_read_native_max(struct sgio_dev *dev, const struct ata_identify *id, uint64_t *max_lba,
			char **cause);
/* Set the max LBA: AMA SET ACCESSIBLE MAX ADDRESS EXT, or READ NATIVE MAX
 * then SET MAX ADDRESS (EXT) at once, VV = @nonvolatile. */
int ata_set_max(struct sgio_dev *dev, const struct ata_identify *id, uint64_t max_lba,
		bool nonvolatile, char **cause);
int ata_dco_identify(struct sgio_dev *dev, struct ata_dco *dco, char **cause);
int ata_dco_parse(const uint8_t buf[512], struct ata_dco *dco);
int ata_dco_restore(struct sgio_dev *dev, char **cause);

/* ---- SMART (read-only health data) ------------------------------------- */

/* One entry of the SMART READ DATA attribute table (ATA-8 ACS, vendor
 * specific but laid out alike by every drive: 30 entries of 12 bytes). */
struct ata_smart_attr {
	uint8_t id;
	uint16_t flags;
	uint8_t current, worst;
	uint8_t raw[6];		/* little-endian, as the drive sent it */
};

struct ata_smart {
	bool asleep;		/* CHECK POWER MODE said standby: nothing else was read */
	bool status_known;	/* RETURN STATUS gave its signature */
	bool good;		/* ... and no threshold is exceeded */
	struct ata_smart_attr attr[30];
	unsigned n_attr;
	uint64_t power_on_hours;	/* attribute 9, raw bits 0-31; UINT64_MAX unknown */
	uint64_t reallocated_sectors;	/* attribute 5, raw bits 0-31; UINT64_MAX unknown */
	int temperature_c;		/* attribute 194 (else 190), raw byte 0; INT16_MIN unknown */
};

/* Parse a SMART READ DATA response.  -EBADMSG when its checksum is wrong. */
int ata_smart_parse(const uint8_t buf[512], struct ata_smart *out);

/* SMART without waking the drive: CHECK POWER MODE (standby: @out->asleep
 * and nothing more), SMART RETURN STATUS, SMART READ DATA.  Errors as
 * sgio_ata(), prefixed with the command in *@cause. */
int ata_smart_read(struct sgio_dev *dev, struct ata_smart *out, char **cause);

/* ---- security erase with journal and recovery ------------------------- */

struct ata_erase_report {
	bool password_set;	/* custos set a password on the drive */
	bool erase_ok;		/* ERASE UNIT completed and the drive is back in SEC1 */
	bool cleaned;		/* the password custos set is gone again */
	bool left_enabled;	/* a password is (or may be) still set: see recovery */
	bool reset_seen;	/* timeout or reset during the erase */
	uint32_t timeout_s;
	char password[ATA_PASSWORD_MAX + 1];
	char journal[512];	/* path of the journal entry */
	char *recovery;		/* malloc'd: exact steps when left_enabled */
};
void ata_erase_report_clear(struct ata_erase_report *rep);

/* The whole SECURITY ERASE UNIT sequence (firmware-erase.md §5.8): checks,
 * journal (<state_dir>/ata-journal/SERIAL.json, 0600, before SET
 * PASSWORD), SET PASSWORD, ERASE PREPARE + ERASE UNIT, re-IDENTIFY, and
 * recovery after any failure.  0 only if ERASE UNIT succeeded and the
 * IDENTIFY read right after it shows security neither enabled nor locked
 * (SEC1); a "successful" erase that left the password set is -EIO even
 * when custos then removes the password.  Refusals: -EPERM (frozen, count
 * expired, already enabled), -EOPNOTSUPP (no security, enhanced
 * unsupported; also a drive or bridge rejecting a command). */
int ata_security_erase(struct sgio_dev *dev, const char *state_dir, bool enhanced,
		       struct ata_erase_report *rep, char **cause);

/* Recover a drive left with a custos password: read the journal for its
 * serial (or use @password if not NULL), UNLOCK if locked, DISABLE
 * PASSWORD, re-IDENTIFY, and remove the journal entry on success. */
int ata_security_recover(struct sgio_dev *dev, const char *state_dir, const char *password,
			 struct ata_erase_report *rep, char **cause);

/* How to unfreeze a security-frozen drive (the refusal message). */
const char *ata_frozen_help(void);

/* Journal path for a serial number into @buf. */
void ata_journal_path(const char *state_dir, const char *serial, char *buf, size_t len);

#endif
