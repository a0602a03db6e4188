/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * sgio: ATA PASS-THROUGH(16) over SG_IO and the NVMe admin ioctl, behind
 * an operations table.  See sgio.h and docs firmware-erase.md §2-§4.
 */
#include "sgio.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <linux/nvme_ioctl.h>
#include <scsi/sg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

#define ATA_STAT_ERR 0x01
#define ATA_STAT_DRQ 0x08
#define ATA_ERR_ABRT 0x04

#define HOST_TIME_OUT 0x03
#define HOST_RESET 0x08
#define DRIVER_TIMEOUT 0x06
#define DRIVER_SENSE 0x08

#define NO_FIRMWARE "not supported: no ATA/NVMe firmware on this target"

void sgio_ata_build_cdb(const struct sgio_ata_cmd *cmd, uint8_t cdb[16])
{
	const struct sgio_ata_regs *r = &cmd->in;
	bool x = cmd->ext;

	memset(cdb, 0, 16);
	cdb[0] = 0x85;
	cdb[1] = (uint8_t)((cmd->proto << 1) | (x ? 1 : 0));
	if (cmd->proto == SGIO_PROTO_NONDATA)
		cdb[2] = 0x20;		/* CK_COND: return the output registers */
	else if (cmd->proto == SGIO_PROTO_PIO_IN)
		cdb[2] = 0x0e;		/* T_DIR | BYT_BLOK | T_LENGTH in COUNT */
	else
		cdb[2] = 0x06;		/* BYT_BLOK | T_LENGTH in COUNT */
	cdb[3] = x ? (uint8_t)(r->feature >> 8) : 0;
	cdb[4] = (uint8_t)r->feature;
	cdb[5] = x ? (uint8_t)(r->count >> 8) : 0;
	cdb[6] = (uint8_t)r->count;
	cdb[7] = x ? (uint8_t)(r->lba >> 24) : 0;
	cdb[8] = (uint8_t)r->lba;
	cdb[9] = x ? (uint8_t)(r->lba >> 32) : 0;
	cdb[10] = (uint8_t)(r->lba >> 8);
	cdb[11] = x ? (uint8_t)(r->lba >> 40) : 0;
	cdb[12] = (uint8_t)(r->lba >> 16);
	cdb[13] = x ? r->device : (uint8_t)(r->device | ((r->lba >> 24) & 0x0f));
	cdb[14] = r->command;
}

/* The ATA Status Return descriptor (type 09h), 14 bytes. */
static void decode_ata_desc(const uint8_t *d, struct sgio_sense *s)
{
	s->regs_valid = true;
	s->ext = d[2] & 1;
	s->error = d[3];
	s->count = (uint16_t)(d[4] << 8 | d[5]);
	s->lba = (uint64_t)d[6] << 24 | d[7] | (uint64_t)d[8] << 32 | (uint64_t)d[9] << 8 |
		 (uint64_t)d[10] << 40 | (uint64_t)d[11] << 16;
	s->device = d[12];
	s->status = d[13];
	if (!s->ext) {
		s->count &= 0xff;
		s->lba &= 0xffffff;
	}
}

static int decode_descriptor(const uint8_t *sb, size_t len, struct sgio_sense *s)
{
	size_t end, i;

	if (len < 8)
		return -EBADMSG;
	s->descriptor = true;
	s->key = sb[1] & 0x0f;
	s->asc = sb[2];
	s->ascq = sb[3];
	end = 8 + (size_t)sb[7];
	if (end > len)
		end = len;
	for (i = 8; i + 2 <= end; i += 2 + (size_t)sb[i + 1]) {
		const uint8_t *d = sb + i;

		if (i + 2 + d[1] > end)
			return -EBADMSG;
		if (d[0] == 0x09 && d[1] >= 0x0c)
			decode_ata_desc(d, s);
		else if (d[0] == 0x02 && d[1] >= 6 && (d[4] & 0x80)) {
			s->progress_valid = true;
			s->progress = (uint16_t)(d[5] << 8 | d[6]);
		}
	}
	return 0;
}

/* Sense that reports a completed pass-through: NO SENSE or RECOVERED
 * ERROR, or ASC/ASCQ 00h/1Dh "ATA pass-through information available". */
static bool sense_is_passthru_info(const struct sgio_sense *s)
{
	return s->key == 0x00 || s->key == 0x01 || (s->asc == 0x00 && s->ascq == 0x1d);
}

/*
 * Fixed format.  Current kernels (VALID bit set) put ERROR, STATUS,
 * DEVICE, COUNT(7:0) in the INFORMATION field (bytes 3-6) and flags plus
 * LBA(23:0) in bytes 8-11.  Kernels before the 2024 fix put ERROR,
 * STATUS, DEVICE, COUNT at bytes 8-11 without VALID; LBA is lost there.
 *
 * Fixed sense is also what bridges and HBAs return when they reject a
 * command themselves (ILLEGAL REQUEST, ASC 20h/24h): then those bytes are
 * no ATA registers at all.  Registers are therefore taken only from sense
 * that reports pass-through information (sense_is_passthru_info), or, with
 * any other sense key, when the bytes carry an ATA error STATUS (ERR set,
 * BSY clear: a drive's own error, as libata reports it).  Either way an
 * error sense key makes the command fail (check_sense); registers found
 * with it only explain the failure.
 */
static int decode_fixed(const uint8_t *sb, size_t len, struct sgio_sense *s)
{
	const uint8_t *r;

	if (len < 14)
		return -EBADMSG;
	s->key = sb[2] & 0x0f;
	s->asc = sb[12];
	s->ascq = sb[13];
	if (len >= 18 && (sb[15] & 0x80) && (s->key == 0x00 || s->key == 0x02)) {
		s->progress_valid = true;
		s->progress = (uint16_t)(sb[16] << 8 | sb[17]);
	}
	if (sb[7] < 6)
		return 0;	/* no room for registers */
	r = (sb[0] & 0x80) ? sb + 3 : sb + 8;	/* ERROR, STATUS in either layout */
	if (!sense_is_passthru_info(s) && ((r[1] & 0x81) != 0x01))
		return 0;	/* a rejection, not ATA registers */
	s->regs_valid = true;
	if (sb[0] & 0x80) {
		s->error = sb[3];
		s->status = sb[4];
		s->device = sb[5];
		s->count = sb[6];
		s->ext = sb[8] & 0x80;
		s->regs_high_missing = (sb[8] & 0x60) != 0;
		s->lba = (uint64_t)sb[9] | (uint64_t)sb[10] << 8 | (uint64_t)sb[11] << 16;
	} else {
		s->error = sb[8];
		s->status = sb[9];
		s->device = sb[10];
		s->count = sb[11];
		s->regs_high_missing = true;	/* LBA is not carried at all */
	}
	return 0;
}

int sgio_sense_decode(const uint8_t *sb, size_t len, struct sgio_sense *out)
{
	uint8_t resp;

	memset(out, 0, sizeof(*out));
	if (!sb || len == 0)
		return -ENODATA;
	resp = sb[0] & 0x7f;
	out->response = resp;
	if (resp == 0x72 || resp == 0x73)
		return decode_descriptor(sb, len, out);
	if (resp == 0x70 || resp == 0x71)
		return decode_fixed(sb, len, out);
	out->response = 0;
	return -EBADMSG;
}

/* Steps 1-4 of the SG_IO result checks: everything below the drive. */
static int check_transport(int rc, struct sgio_ata_res *res, uint8_t op, char **cause)
{
	struct sgio_raw *raw = &res->raw;
	uint8_t ds = raw->driver_status & 0x0f;

	if (rc < 0) {
		res->transport_failed = true;
		return util_fail(cause, rc, _("ATA command %02Xh: SG_IO failed: %s"), op,
				 strerror(-rc));
	}
	if (raw->status != 0x00 && raw->status != 0x02)
		return util_fail(cause, -EBADE, _("ATA command %02Xh: SCSI status %02Xh"), op,
				 raw->status);
	if (raw->host_status || ds == DRIVER_TIMEOUT) {
		res->transport_failed = true;
		if (raw->host_status == HOST_TIME_OUT || ds == DRIVER_TIMEOUT) {
			res->timed_out = true;
			return util_fail(cause, -ETIMEDOUT,
					 _("ATA command %02Xh timed out; drive state unknown"), op);
		}
		if (raw->host_status == HOST_RESET) {
			res->reset_seen = true;
			return util_fail(cause, -ECONNRESET,
					 _("ATA command %02Xh: bus reset during the command"), op);
		}
		return util_fail(cause, -EREMOTEIO, _("ATA command %02Xh: host status %02Xh"), op,
				 raw->host_status);
	}
	if (ds != 0 && ds != DRIVER_SENSE)
		return util_fail(cause, -EBADE, _("ATA command %02Xh: driver status %02Xh"), op,
				 raw->driver_status);
	return 0;
}

/* Step 5: the drive's own verdict, from the sense data. */
static int check_sense(struct sgio_ata_res *res, uint8_t op, char **cause)
{
	struct sgio_sense *s = &res->sense;
	int rc;

	rc = sgio_sense_decode(res->raw.sense, res->raw.sense_len, s);
	if (rc == -ENODATA) {
		if (res->raw.status == 0x02)
			return util_fail(cause, -EIO,
					 _("ATA command %02Xh: check condition without sense data"),
					 op);
		return 0;
	}
	if (rc < 0)
		return util_fail(cause, -EIO, _("ATA command %02Xh: undecodable sense data"), op);
	if (s->key == 0x06 && s->asc == 0x29) {
		res->reset_seen = true;
		return util_fail(cause, -ECONNRESET,
				 _("ATA command %02Xh: unit attention, reset occurred"), op);
	}
	if (s->regs_valid && (s->status & (ATA_STAT_ERR | ATA_STAT_DRQ))) {
		res->aborted = (s->error & ATA_ERR_ABRT) != 0;
		return util_fail(cause, -EIO,
				 _("ATA command %02Xh failed: status %02Xh error %02Xh%s"), op,
				 s->status, s->error, res->aborted ? " (aborted)" : "");
	}
	if (sense_is_passthru_info(s))
		return 0;
	/* any other sense key: the command did not complete, whatever the registers say */
	if (s->key == 0x05 && (s->asc == 0x20 || s->asc == 0x24))
		return util_fail(cause, -EOPNOTSUPP,
				 _("ATA command %02Xh not supported by the drive or the bridge in "
				 "between (ILLEGAL REQUEST, ASC/ASCQ %02Xh/%02Xh)"), op, s->asc,
				 s->ascq);
	return util_fail(cause, -EIO, _("ATA command %02Xh: sense key %Xh, ASC/ASCQ %02Xh/%02Xh"),
			 op, s->key, s->asc, s->ascq);
}

int sgio_ata(struct sgio_dev *dev, const struct sgio_ata_cmd *cmd, struct sgio_ata_res *res,
	     char **cause)
{
	struct sgio_ata_res local;
	enum sgio_dir dir = SGIO_DIR_NONE;
	uint8_t cdb[16];
	int rc;

	if (!res)
		res = &local;
	memset(res, 0, sizeof(*res));
	if (!dev->ops->ata_cmd || dev->kind != SGIO_KIND_ATA)
		return util_fail(cause, -EOPNOTSUPP, "%s", NO_FIRMWARE);
	if (cmd->timeout_ms == 0)
		return util_fail(cause, -EINVAL, _("ATA command without a timeout"));
	if (cmd->proto == SGIO_PROTO_PIO_IN)
		dir = SGIO_DIR_IN;
	else if (cmd->proto == SGIO_PROTO_PIO_OUT)
		dir = SGIO_DIR_OUT;
	sgio_ata_build_cdb(cmd, cdb);
	rc = dev->ops->ata_cmd(dev->ctx, cdb, dir, cmd->buf, dir == SGIO_DIR_NONE ? 0 : cmd->len,
			       cmd->timeout_ms, &res->raw);
	rc = check_transport(rc, res, cmd->in.command, cause);
	if (rc < 0) {
		/* decode anyway: registers may tell what happened */
		(void)sgio_sense_decode(res->raw.sense, res->raw.sense_len, &res->sense);
		return rc;
	}
	return check_sense(res, cmd->in.command, cause);
}

const char *sgio_nvme_status_name(int status)
{
	if (SGIO_NVME_SCT(status) != 0)
		return "command specific or media error";
	switch (SGIO_NVME_SC(status)) {
	case 0x00: return "Successful Completion";
	case SGIO_NVME_SC_INVALID_OPCODE: return "Invalid Command Opcode";
	case SGIO_NVME_SC_INVALID_FIELD: return "Invalid Field in Command";
	case 0x04: return "Data Transfer Error";
	case 0x06: return "Internal Error";
	case 0x07: return "Command Abort Requested";
	case 0x0b: return "Invalid Namespace or Format";
	case SGIO_NVME_SC_SANITIZE_FAILED: return "Sanitize Failed";
	case SGIO_NVME_SC_SANITIZE_IN_PROGRESS: return "Sanitize In Progress";
	default: return "unknown status";
	}
}

int sgio_nvme_admin(struct sgio_dev *dev, struct sgio_nvme_cmd *cmd, int *status, char **cause)
{
	int rc;

	if (status)
		*status = 0;
	if (!dev->ops->nvme_admin || dev->kind != SGIO_KIND_NVME)
		return util_fail(cause, -EOPNOTSUPP, "%s", NO_FIRMWARE);
	if (cmd->timeout_ms == 0)
		return util_fail(cause, -EINVAL, _("NVMe command without a timeout"));
	rc = dev->ops->nvme_admin(dev->ctx, cmd);
	if (rc < 0)
		return util_fail(cause, rc, _("NVMe admin command %02Xh: %s"), cmd->opcode,
				 strerror(-rc));
	if (rc > 0) {
		if (status)
			*status = rc;
		return util_fail(cause, -EIO, _("NVMe admin command %02Xh: %s (SCT %d SC %02Xh%s)"),
				 cmd->opcode, sgio_nvme_status_name(rc), SGIO_NVME_SCT(rc),
				 SGIO_NVME_SC(rc), (rc & SGIO_NVME_DNR) ? ", do not retry" : "");
	}
	return 0;
}

int sgio_rw(struct sgio_dev *dev, bool write, uint64_t lba, void *buf, uint32_t count,
	    char **cause)
{
	int rc;

	if (!dev->ops->rw)
		return util_fail(cause, -EOPNOTSUPP, _("no block I/O on this transport"));
	rc = dev->ops->rw(dev->ctx, write, lba, buf, count);
	if (rc < 0)
		return util_fail(cause, rc, _("%s of LBA %llu failed: %s"), write ? "write" : "read",
				 (unsigned long long)lba, strerror(-rc));
	return 0;
}

int sgio_capacity(struct sgio_dev *dev, uint64_t *bytes, uint32_t *lbsize)
{
	if (!dev->ops->capacity)
		return -EOPNOTSUPP;
	return dev->ops->capacity(dev->ctx, bytes, lbsize);
}

void sgio_sleep_ms(struct sgio_dev *dev, uint32_t ms)
{
	if (dev->ops->sleep_ms)
		dev->ops->sleep_ms(dev->ctx, ms);
}

void sgio_close(struct sgio_dev *dev)
{
	if (!dev)
		return;
	if (dev->ops && dev->ops->close && !dev->borrowed)
		dev->ops->close(dev->ctx);
	free(dev);
}

/* ---- the real transport ------------------------------------------------ */

struct real_ctx {
	int fd;
	uint32_t lbsize;
};

static int real_ata_cmd(void *ctx, const uint8_t cdb[16], enum sgio_dir dir, void *buf,
			size_t len, uint32_t timeout_ms, struct sgio_raw *raw)
{
	struct real_ctx *c = ctx;
	struct sg_io_hdr h;
	uint8_t cmd[16];

	memcpy(cmd, cdb, sizeof(cmd));
	memset(&h, 0, sizeof(h));
	memset(raw, 0, sizeof(*raw));
	h.interface_id = 'S';
	h.dxfer_direction = dir == SGIO_DIR_IN ? SG_DXFER_FROM_DEV :
			    dir == SGIO_DIR_OUT ? SG_DXFER_TO_DEV : SG_DXFER_NONE;
	h.cmd_len = sizeof(cmd);
	h.cmdp = cmd;
	h.mx_sb_len = sizeof(raw->sense);
	h.sbp = raw->sense;
	h.dxfer_len = (unsigned int)len;
	h.dxferp = len ? buf : NULL;
	h.timeout = timeout_ms;
	if (ioctl(c->fd, SG_IO, &h) < 0)
		return -errno;
	raw->status = h.status;
	raw->host_status = (uint8_t)h.host_status;
	raw->driver_status = (uint8_t)h.driver_status;
	raw->sense_len = h.sb_len_wr;
	raw->resid = h.resid;
	return 0;
}

static int real_nvme_admin(void *ctx, struct sgio_nvme_cmd *cmd)
{
	struct real_ctx *c = ctx;
	struct nvme_admin_cmd a;
	int rc;

	memset(&a, 0, sizeof(a));
	a.opcode = cmd->opcode;
	a.nsid = cmd->nsid;
	a.addr = (uint64_t)(uintptr_t)cmd->data;
	a.data_len = cmd->data_len;
	a.cdw10 = cmd->cdw10;
	a.cdw11 = cmd->cdw11;
	a.cdw12 = cmd->cdw12;
	a.cdw13 = cmd->cdw13;
	a.cdw14 = cmd->cdw14;
	a.cdw15 = cmd->cdw15;
	a.timeout_ms = cmd->timeout_ms;
	rc = ioctl(c->fd, NVME_IOCTL_ADMIN_CMD, &a);
	if (rc < 0)
		return -errno;
	cmd->result = a.result;
	return rc;
}

static int real_rw(void *ctx, bool write, uint64_t lba, void *buf, uint32_t count)
{
	struct real_ctx *c = ctx;
	size_t len = (size_t)count * c->lbsize;
	off_t off = (off_t)(lba * c->lbsize);
	ssize_t n;

	n = write ? pwrite(c->fd, buf, len, off) : pread(c->fd, buf, len, off);
	if (n < 0)
		return -errno;
	if ((size_t)n != len)
		return -EIO;
	if (write && fdatasync(c->fd) < 0)
		return -errno;
	return 0;
}

static int real_capacity(void *ctx, uint64_t *bytes, uint32_t *lbsize)
{
	struct real_ctx *c = ctx;
	int ss = 0;

	if (ioctl(c->fd, BLKGETSIZE64, bytes) < 0 || ioctl(c->fd, BLKSSZGET, &ss) < 0)
		return -errno;
	*lbsize = (uint32_t)ss;
	return 0;
}

static void real_sleep_ms(void *ctx, uint32_t ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	(void)ctx;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void real_close(void *ctx)
{
	struct real_ctx *c = ctx;

	if (c->fd >= 0 && util_close(c->fd) < 0)
		util_warn(_("closing the device failed"));
	free(c);
}

static const struct sgio_ops real_ops = {
	.ata_cmd = real_ata_cmd,
	.nvme_admin = real_nvme_admin,
	.rw = real_rw,
	.capacity = real_capacity,
	.sleep_ms = real_sleep_ms,
	.close = real_close,
};

void sgio_classify_syspath(const char *syspath, const char *name, enum sgio_kind *kind,
			   bool *usb, bool *satl)
{
	*kind = SGIO_KIND_NONE;
	*usb = false;
	*satl = false;
	if (strncmp(name, "nvme", 4) == 0) {
		*kind = SGIO_KIND_NVME;
	} else if (strncmp(name, "sd", 2) == 0) {
		*kind = SGIO_KIND_ATA;
		if (strstr(syspath, "/usb"))
			*usb = true;
		else if (!strstr(syspath, "/ata"))
			*satl = true;
	}
	/* loop, ram, virtio (vd*), xvd, md, dm, nbd, mmcblk, sr...: none */
}

static int read_sys_int(const char *dir, const char *file, int *out)
{
	char *p = util_asprintf("%s/%s", dir, file), *s = NULL;
	int rc;

	if (!p)
		return -ENOMEM;
	rc = util_read_file(p, &s, NULL);
	free(p);
	if (rc == 0)
		*out = s[0] == '1';		/* only 0/1 files are read here */
	free(s);
	return rc;
}

/* Classify the block device @st through sysfs. */
static int classify(const struct stat *st, struct sgio_dev *dev, char **cause)
{
	char link[64], *real = NULL, *part;
	const char *name;
	int rc = 0;

	snprintf(link, sizeof(link), "/sys/dev/block/%u:%u", major(st->st_rdev),
		 minor(st->st_rdev));
	real = realpath(link, NULL);
	if (!real)
		return util_fail(cause, -ENODEV, _("%s: not found in sysfs"), dev->path);
	part = util_asprintf("%s/partition", real);
	if (part && access(part, F_OK) == 0)
		rc = util_fail(cause, -ENOTBLK, _("%s is a partition, not a whole disk"), dev->path);
	free(part);
	name = strrchr(real, '/') ? strrchr(real, '/') + 1 : real;
	if (rc == 0) {
		sgio_classify_syspath(real, name, &dev->kind, &dev->usb_bridge, &dev->satl);
		if (read_sys_int(real, "queue/rotational", &dev->rotational) < 0)
			dev->rotational = -1;
		if (dev->kind == SGIO_KIND_NONE)
			rc = util_fail(cause, -EOPNOTSUPP, "%s", NO_FIRMWARE);
	}
	free(real);
	return rc;
}

/* The descriptor opened is still the medium the caller confirmed: the
 * same disk sequence number (@diskseq 0: not known, not checked). */
static int check_diskseq(int fd, const char *name, uint64_t diskseq, char **cause)
{
	uint64_t now = 0;

	if (!diskseq)
		return 0;
#ifdef BLKGETDISKSEQ
	if (ioctl(fd, BLKGETDISKSEQ, &now) < 0)
		now = 0;
#endif
	if (now != diskseq)
		return util_fail(cause, -EAGAIN, _("%s: refused: the medium changed since it was "
				 "checked and confirmed (disk sequence number %llu, now %llu): "
				 "nothing was sent to it"), name, (unsigned long long)diskseq,
				 (unsigned long long)now);
	return 0;
}

int sgio_open_at(int anchor, const char *name, bool rw, uint64_t diskseq, struct sgio_dev **out,
		 char **cause)
{
	struct sgio_dev *dev = calloc(1, sizeof(*dev));
	struct real_ctx *c = calloc(1, sizeof(*c));
	struct stat st;
	int rc, ss = 512;

	*out = NULL;
	if (!dev || !c) {
		rc = util_fail(cause, -ENOMEM, _("out of memory"));
		goto fail;
	}
	c->fd = -1;
	util_strlcpy(dev->path, name, sizeof(dev->path));
	if (fstat(anchor, &st) < 0) {
		rc = util_fail(cause, -errno, "%s: %s", name, strerror(errno));
		goto fail;
	}
	if (S_ISREG(st.st_mode)) {
		rc = util_fail(cause, -EOPNOTSUPP, "%s", NO_FIRMWARE);
		goto fail;
	}
	if (!S_ISBLK(st.st_mode)) {
		rc = util_fail(cause, -ENOTBLK, _("%s is not a block device"), name);
		goto fail;
	}
	rc = classify(&st, dev, cause);
	if (rc < 0)
		goto fail;
	/* the very inode @anchor holds, whatever @name leads to now */
	snprintf(dev->opened, sizeof(dev->opened), "/proc/self/fd/%d", anchor);
	c->fd = open(dev->opened, rw ? O_RDWR | O_EXCL | O_DIRECT | O_CLOEXEC :
				       O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (c->fd < 0) {
		rc = util_fail(cause, -errno, _("cannot open %s: %s"), name, strerror(errno));
		goto fail;
	}
	rc = check_diskseq(c->fd, name, diskseq, cause);
	if (rc < 0)
		goto fail;
	if (ioctl(c->fd, BLKSSZGET, &ss) < 0 || ss <= 0)
		ss = 512;
	c->lbsize = (uint32_t)ss;
	if (dev->kind == SGIO_KIND_NVME) {
		rc = ioctl(c->fd, NVME_IOCTL_ID);
		dev->nsid = rc > 0 ? (uint32_t)rc : 0;
	}
	dev->ops = &real_ops;
	dev->ctx = c;
	*out = dev;
	return 0;
fail:
	if (c && c->fd >= 0)
		(void)util_close(c->fd);
	free(c);
	free(dev);
	return rc;
}

int sgio_open(const char *path, bool rw, struct sgio_dev **out, char **cause)
{
	int fd = open(path, O_PATH | O_CLOEXEC), rc;

	*out = NULL;
	if (fd < 0)
		return util_fail(cause, -errno, "%s: %s", path, strerror(errno));
	rc = sgio_open_at(fd, path, rw, 0, out, cause);
	if (util_close(fd) < 0 && rc == 0) {
		sgio_close(*out);
		*out = NULL;
		rc = util_fail(cause, -EIO, _("%s: close failed"), path);
	}
	return rc;
}

int sgio_reopen(struct sgio_dev *dev, struct sgio_dev **out, char **cause)
{
	struct sgio_dev *copy;

	*out = NULL;
	if (dev->ops == &real_ops)	/* the node the first handle has open */
		return sgio_open_at(((struct real_ctx *)dev->ctx)->fd, dev->path, false, 0, out,
				    cause);
	if (!dev->ops->thread_safe)
		return util_fail(cause, -EOPNOTSUPP, _("no second handle on this transport"));
	copy = malloc(sizeof(*copy));
	if (!copy)
		return util_fail(cause, -ENOMEM, _("out of memory"));
	*copy = *dev;
	copy->borrowed = true;
	*out = copy;
	return 0;
}
