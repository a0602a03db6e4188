/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CUSTOS_SGIO_H
#define CUSTOS_SGIO_H

/*
 * sgio: the transport under firmware erase.  ATA commands travel as
 * ATA PASS-THROUGH(16) CDBs over SG_IO, NVMe admin commands through
 * NVME_IOCTL_ADMIN_CMD.  Everything a device answers goes through one
 * operations table (struct sgio_ops), so tests plug a fake device in
 * (src/fakedev.h) and no test ever reaches a real drive.
 *
 * This layer builds CDBs, checks the SCSI/host/driver status of every
 * reply, and decodes sense data in both formats (descriptor 72h/73h and
 * fixed 70h/71h) into the ATA output registers.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Data direction of one pass-through command. */
enum sgio_dir {
	SGIO_DIR_NONE = 0,
	SGIO_DIR_IN,	/* from the device */
	SGIO_DIR_OUT,	/* to the device */
};

/* ATA PASS-THROUGH PROTOCOL field values used by custos. */
enum sgio_proto {
	SGIO_PROTO_NONDATA = 3,
	SGIO_PROTO_PIO_IN = 4,
	SGIO_PROTO_PIO_OUT = 5,
};

/* What kind of firmware a target speaks. */
enum sgio_kind {
	SGIO_KIND_NONE = 0,	/* file, loop, virtio, ...: no ATA/NVMe firmware */
	SGIO_KIND_ATA,		/* ATA through SAT (libata, or a bridge) */
	SGIO_KIND_NVME,
};

/* ATA task-file registers (input or output).  lba holds 48 bits. */
struct sgio_ata_regs {
	uint16_t feature;	/* input; ERROR in output */
	uint16_t count;
	uint64_t lba;
	uint8_t device;
	uint8_t command;	/* input; STATUS in output */
};

/* One ATA command for sgio_ata(). */
struct sgio_ata_cmd {
	enum sgio_proto proto;
	bool ext;		/* 48-bit command (EXTEND) */
	struct sgio_ata_regs in;
	void *buf;		/* data for PIO in/out, 512-byte blocks */
	size_t len;
	uint32_t timeout_ms;	/* never 0 */
};

/* Decoded sense data. */
struct sgio_sense {
	uint8_t response;	/* 70h..73h, 0 when no sense */
	uint8_t key, asc, ascq;
	bool descriptor;	/* descriptor format */
	bool regs_valid;	/* ATA registers found in the sense */
	bool regs_high_missing;	/* fixed format: COUNT(15:8)/LBA(47:24) were non-zero but absent */
	bool ext;		/* EXTEND bit of the returned registers */
	uint8_t error, status, device;
	uint16_t count;
	uint64_t lba;
	bool progress_valid;
	uint16_t progress;	/* sense-key-specific progress, fraction x 65536 */
};

/* The raw reply of one SG_IO request, as the ops table returns it. */
struct sgio_raw {
	uint8_t status;		/* SCSI status: 00h GOOD, 02h CHECK CONDITION */
	uint8_t host_status;	/* 0 = ok; 03h DID_TIME_OUT, 08h DID_RESET, ... */
	uint8_t driver_status;	/* 0 or 08h DRIVER_SENSE (low nibble) */
	uint8_t sense[64];
	uint8_t sense_len;	/* sb_len_wr */
	int32_t resid;
};

/* Outcome of sgio_ata(): decoded sense and what went wrong, if anything. */
struct sgio_ata_res {
	struct sgio_raw raw;
	struct sgio_sense sense;
	bool transport_failed;	/* host/driver status or ioctl error: device state unknown */
	bool reset_seen;	/* DID_RESET / UA 29h: a reset happened during the command */
	bool timed_out;
	bool aborted;		/* the drive answered ERR with ABRT */
};

/* An NVMe admin command (the 72-byte passthru structure, unpacked). */
struct sgio_nvme_cmd {
	uint8_t opcode;
	uint32_t nsid;
	uint32_t cdw10, cdw11, cdw12, cdw13, cdw14, cdw15;
	void *data;
	uint32_t data_len;
	uint32_t timeout_ms;	/* never 0 */
	uint32_t result;	/* out: completion DW0 */
};

/* NVMe status (from a positive ioctl return). */
#define SGIO_NVME_SC(st) ((st) & 0xff)
#define SGIO_NVME_SCT(st) (((st) >> 8) & 0x7)
#define SGIO_NVME_DNR 0x4000
enum {
	SGIO_NVME_SC_INVALID_OPCODE = 0x01,
	SGIO_NVME_SC_INVALID_FIELD = 0x02,
	SGIO_NVME_SC_SANITIZE_FAILED = 0x1c,
	SGIO_NVME_SC_SANITIZE_IN_PROGRESS = 0x1d,
};

/*
 * The transport seam.  Each function returns 0 or a negative errno of the
 * system call; SCSI/NVMe level outcomes come back in the structures.
 *  ata_cmd:    run one 16-byte CDB with @dir data of @len bytes.
 *  nvme_admin: run one admin command; returns < 0 errno, > 0 NVMe status
 *              (SC 7:0, SCT 10:8, DNR 14), 0 success.
 *  rw:         read or write @count logical blocks at @lba (marker proof).
 *  capacity:   host-visible size in bytes and logical block size.
 *  sleep_ms:   wait between polls (a fake advances a virtual clock).
 *  close:      release the context.
 */
struct sgio_ops {
	int (*ata_cmd)(void *ctx, const uint8_t cdb[16], enum sgio_dir dir, void *buf,
		       size_t len, uint32_t timeout_ms, struct sgio_raw *raw);
	int (*nvme_admin)(void *ctx, struct sgio_nvme_cmd *cmd);
	int (*rw)(void *ctx, bool write, uint64_t lba, void *buf, uint32_t count);
	int (*capacity)(void *ctx, uint64_t *bytes, uint32_t *lbsize);
	void (*sleep_ms)(void *ctx, uint32_t ms);
	void (*close)(void *ctx);
	bool thread_safe;	/* ctx may serve two threads at once (sgio_reopen shares it) */
};

struct sgio_dev {
	const struct sgio_ops *ops;
	void *ctx;
	enum sgio_kind kind;
	bool usb_bridge;	/* reached through a USB bridge */
	bool satl;		/* SCSI host that is not libata (SAS HBA, unknown SATL) */
	int rotational;		/* sysfs queue/rotational: 1, 0, or -1 unknown */
	uint32_t nsid;		/* NVMe namespace of the node opened, 0 if unknown */
	bool borrowed;		/* shares ctx with another handle: sgio_close keeps it */
	char path[256];		/* the name, for messages */
	char opened[64];	/* what the real transport opened: /proc/self/fd/N */
};

/* Open the real device @path (a whole-disk block node).  @rw opens it
 * O_RDWR|O_EXCL|O_DIRECT for an erase, else read-only for a probe.
 * Targets without ATA/NVMe firmware give -EOPNOTSUPP with the cause
 * "not supported: no ATA/NVMe firmware on this target". */
int sgio_open(const char *path, bool rw, struct sgio_dev **out, char **cause);

/* sgio_open() of the block device @anchor holds (an O_PATH descriptor of a
 * guarded disk, see device_anchor()): every fact is read from @anchor and
 * the node is reopened through /proc/self/fd/@anchor, never by @name (used
 * in messages).  With @diskseq not 0 the descriptor opened must have that
 * disk sequence number (BLKGETDISKSEQ), else -EAGAIN: another medium. */
int sgio_open_at(int anchor, const char *name, bool rw, uint64_t diskseq, struct sgio_dev **out,
		 char **cause);
void sgio_close(struct sgio_dev *dev);

/* A second handle on @dev, to poll from another thread while a long
 * command (NVMe Format) blocks on @dev.  The real transport opens the node
 * again read-only (a second file descriptor); a transport whose ops are
 * thread_safe shares its context.  -EOPNOTSUPP otherwise.  Close the
 * handle with sgio_close(). */
int sgio_reopen(struct sgio_dev *dev, struct sgio_dev **out, char **cause);

/* Classify a sysfs device path (the resolved /sys/dev/block/M:m link):
 * sets @kind, @usb and @satl.  Exposed for tests. */
void sgio_classify_syspath(const char *syspath, const char *name, enum sgio_kind *kind,
			   bool *usb, bool *satl);

/* Build the ATA PASS-THROUGH(16) CDB for @cmd. */
void sgio_ata_build_cdb(const struct sgio_ata_cmd *cmd, uint8_t cdb[16]);

/* Decode @len bytes of sense data.  Returns 0, or -ENODATA when empty,
 * -EBADMSG when the response code is unknown or the buffer truncated. */
int sgio_sense_decode(const uint8_t *sb, size_t len, struct sgio_sense *out);

/* Run one ATA command and check its result (SG_IO result order: ioctl,
 * SCSI status, host status, driver status, ATA STATUS ERR/DRQ).
 * Success needs good status, or sense reporting pass-through information
 * (NO SENSE / RECOVERED ERROR, or ASC/ASCQ 00h/1Dh) without ERR/DRQ in the
 * returned STATUS; any other sense key is a failure.
 * Returns 0; -ETIMEDOUT (timeout), -ECONNRESET (reset), -EREMOTEIO
 * (other transport failure), -EIO (ATA error, ABRT, or an error sense
 * key), -EOPNOTSUPP (ILLEGAL REQUEST, ASC 20h/24h: the drive or a bridge
 * rejects the command), -EBADE (bad SCSI or driver status), or the
 * ioctl's errno.  @res (may be NULL) gets details. */
int sgio_ata(struct sgio_dev *dev, const struct sgio_ata_cmd *cmd, struct sgio_ata_res *res,
	     char **cause);

/* Run one NVMe admin command.  Returns 0, a negative errno, or -EIO with
 * the NVMe status in *@status (may be NULL) and a decoded cause. */
int sgio_nvme_admin(struct sgio_dev *dev, struct sgio_nvme_cmd *cmd, int *status, char **cause);

/* Name of an NVMe generic status code ("Invalid Field in Command"). */
const char *sgio_nvme_status_name(int status);

/* Read or write logical blocks through the seam. */
int sgio_rw(struct sgio_dev *dev, bool write, uint64_t lba, void *buf, uint32_t count,
	    char **cause);
int sgio_capacity(struct sgio_dev *dev, uint64_t *bytes, uint32_t *lbsize);
void sgio_sleep_ms(struct sgio_dev *dev, uint32_t ms);

#endif
