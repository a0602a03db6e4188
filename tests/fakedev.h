/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CUSTOS_FAKEDEV_H
#define CUSTOS_FAKEDEV_H

/*
 * fakedev: a TEST DOUBLE behind the sgio seam.  Built only into the unit
 * tests (never into libcustos or the custos program), so no real path can
 * select it.  It parses the real CDBs and NVMe commands, keeps the state a
 * drive keeps (ATA security SEC1-SEC6 with the attempt counter, SANITIZE
 * with progress, HPA/AMA/DCO max addresses, NVMe Format and Sanitize with
 * the sanitize log), answers with real sense data (descriptor format on
 * success, fixed format on errors, as libata does), stores the sectors
 * written to it so marker proofs work, records every command, and injects
 * failures on request.  Polling sleeps advance a virtual clock.
 */

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "sgio.h"

enum fakedev_fail {
	FAKE_FAIL_NONE = 0,
	FAKE_FAIL_TIMEOUT,	/* host DID_TIME_OUT; error handling resets the drive */
	FAKE_FAIL_ABORT,	/* the drive aborts (ERR/ABRT) without doing anything */
	FAKE_FAIL_HOST_RESET,	/* host DID_RESET; the drive was reset */
	FAKE_FAIL_EMPTY_SENSE,	/* CHECK CONDITION with no sense bytes */
	FAKE_FAIL_ERRNO,	/* the ioctl itself fails (EIO / ENOTTY for NVMe) */
	FAKE_FAIL_REJECT,	/* a bridge/HBA rejects the command unseen: fixed sense
				 * without VALID, ILLEGAL REQUEST, ASC 20h (invalid opcode) */
};

struct fakedev_rec {
	bool nvme;
	uint8_t cdb[16];
	uint8_t data[512];	/* data-out payload (ATA) */
	size_t len;
	uint32_t timeout_ms;
	uint8_t opcode;		/* NVMe */
	uint32_t nsid, cdw10, cdw11;
};

#define FAKEDEV_MAX_REC 256
#define FAKEDEV_MAX_SECTORS 128

struct fakedev_sector {
	uint64_t lba;
	uint8_t *data;
};

struct fakedev {
	struct sgio_dev dev;	/* hand &f->dev to the code under test */
	/* ATA */
	uint16_t id[256];
	bool sec_supported, enabled, locked, frozen, expired, enhanced_ok, level_max;
	int attempts;		/* wrong passwords left before the counter expires */
	char user_pw[33];
	bool prepared;		/* ERASE PREPARE came just before */
	uint8_t last_cmd;
	bool san_in_progress, san_completed, san_failed, san_frozen, san_antifreeze;
	bool san_fail;		/* the next sanitize fails at its end */
	unsigned san_polls;	/* status polls a sanitize takes (default 3) */
	unsigned san_left;
	uint8_t san_kind;	/* feature of the running sanitize */
	uint32_t san_pattern;
	uint64_t native_max, current_max, dco_max;
	bool dco_frozen, setmax_nv_done;
	bool fixed_sense_always;	/* a bridge that gives fixed format even on success */
	bool no_success_sense;		/* a bridge that returns empty sense on CK_COND */
	bool erase_noop;		/* reports success, erases nothing */
	bool erase_keeps_password;	/* ERASE UNIT succeeds but security stays enabled */
	bool freeze_on_reset;		/* the BIOS freezes the drive again after a reset */
	uint8_t smart_data[512];	/* SMART READ DATA response (fakedev_blob_smart) */
	bool smart_off;			/* SMART commands are aborted (disabled) */
	bool smart_bad;			/* RETURN STATUS: a threshold is exceeded */
	uint8_t power_mode;		/* CHECK POWER MODE count: FFh active, 00h standby */
	/* NVMe */
	uint8_t idctrl[4096], idns[4096];
	uint16_t sstat, sprog;
	unsigned nsan_left;
	uint32_t nsan_cdw10;
	unsigned formats;
	unsigned fmt_polls;	/* Identify Namespace polls a Format takes (0: instant);
				 * meanwhile Format blocks and FPI counts down */
	unsigned fmt_left;
	bool fmt_running;
	uint32_t nsan_est_s;	/* sanitize log estimates ETO/ETBE/ETCE (FFFFFFFFh: none) */
	bool nsan_stall;	/* a started sanitize never progresses */
	/* NVMe commands may come from two threads (sgio_reopen during Format) */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	/* data */
	uint32_t lbsize;
	uint64_t nblocks;
	struct fakedev_sector sectors[FAKEDEV_MAX_SECTORS];
	unsigned nsectors;
	int fill;		/* byte of unwritten sectors, or -1 pseudo-random */
	unsigned fill_gen;
	/* failure injection: the next command with @inj_opcode (and feature) */
	uint8_t inj_opcode;
	int inj_feature;
	enum fakedev_fail inj_fail;
	/* record */
	struct fakedev_rec rec[FAKEDEV_MAX_REC];
	unsigned nrec;
	uint64_t clock_ms;
};

/* The 512-byte IDENTIFY of a libatasmart blob (tag IDFY). */
int fakedev_blob_identify(const char *path, uint8_t out[512]);

/* Load a blob's SMART READ DATA (SMDT) and RETURN STATUS (SMST) into @f.
 * -ENOENT when the blob has no SMART data. */
int fakedev_blob_smart(struct fakedev *f, const char *path);

/* An ATA drive answering @identify; security state from its word 128. */
struct fakedev *fakedev_new_ata(const uint8_t identify[512]);
/* An NVMe controller with one namespace of @nsze blocks of 2^@lbads bytes. */
struct fakedev *fakedev_new_nvme(uint8_t fna, uint32_t sanicap, uint64_t nsze, unsigned lbads);
void fakedev_free(struct fakedev *f);

void fakedev_inject(struct fakedev *f, uint8_t opcode, int feature, enum fakedev_fail fail);
/* Simulate a power cycle: frozen cleared, enabled drive comes up locked,
 * attempt counter reset, one-per-power-cycle limits reset. */
void fakedev_power_cycle(struct fakedev *f);
/* Set an IDENTIFY word (then the fake answers with it). */
void fakedev_set_word(struct fakedev *f, int word, uint16_t value);
/* Read one logical block from the store (whatever a host read would get). */
void fakedev_peek(struct fakedev *f, uint64_t lba, uint8_t *buf);
/* Count recorded commands with ATA @opcode (or NVMe opcode if @nvme). */
unsigned fakedev_count(const struct fakedev *f, bool nvme, uint8_t opcode);

#endif
