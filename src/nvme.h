/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CUSTOS_NVME_H
#define CUSTOS_NVME_H

/*
 * nvme: Identify Controller / Namespace parsing, Format NVM with Secure
 * Erase Settings, Sanitize, and the Sanitize Status log (LID 81h).
 * Byte layouts: firmware-erase.md §7, §8.
 */

#include <stdbool.h>
#include <stdint.h>

#include "sgio.h"

#define NVME_ID_LEN 4096
#define NVME_LOG_SANITIZE_LEN 512
#define NVME_NSID_ALL 0xffffffffu

enum nvme_ses { NVME_SES_NONE = 0, NVME_SES_USER = 1, NVME_SES_CRYPTO = 2 };
enum nvme_sanact {
	NVME_SANACT_EXIT_FAILURE = 1,
	NVME_SANACT_BLOCK = 2,
	NVME_SANACT_OVERWRITE = 3,
	NVME_SANACT_CRYPTO = 4,
};

struct nvme_ctrl_info {
	char model[41];
	char serial[21];
	char firmware[9];
	uint16_t oacs;
	bool format_supported;	/* OACS bit 1 */
	uint8_t fna;
	bool fmt_all_ns;	/* FNA bit 0: a format affects every namespace */
	bool se_all_ns;		/* FNA bit 1: a secure erase affects every namespace */
	bool crypto_erase;	/* FNA bit 2: Format with SES=2 supported */
	bool no_nsid_all;	/* FNA bit 3: NSID FFFFFFFFh not allowed for Format */
	uint32_t sanicap;
	bool san_crypto, san_block, san_overwrite;
	bool san_ndi;		/* no-deallocate inhibited */
};

struct nvme_ns_info {
	uint64_t nsze;		/* size in logical blocks */
	uint8_t flbas;
	uint8_t dps;
	uint8_t fpi;
	unsigned lbaf;		/* format index in use */
	uint32_t lbsize;
	uint16_t ms;		/* metadata bytes per block */
};

struct nvme_sanitize_log {
	uint16_t sprog;		/* fraction x 65536; FFFFh when none runs */
	uint16_t sstat;
	uint32_t scdw10;
	uint32_t eto, etbe, etce;	/* estimates in seconds, FFFFFFFFh = not reported */
};

/* SSTAT bits 2:0 */
enum {
	NVME_SSTAT_NEVER = 0,
	NVME_SSTAT_DONE = 1,
	NVME_SSTAT_IN_PROGRESS = 2,
	NVME_SSTAT_FAILED = 3,
	NVME_SSTAT_DONE_NODEALLOC = 4,
};

int nvme_ctrl_parse(const uint8_t *buf, struct nvme_ctrl_info *c);
int nvme_ns_parse(const uint8_t *buf, struct nvme_ns_info *ns);
void nvme_sanitize_log_parse(const uint8_t *buf, struct nvme_sanitize_log *log);

/* CDW10 builders (firmware-erase.md §7.2, §8.1, §8.3). */
uint32_t nvme_format_cdw10(unsigned lbaf, bool mset, unsigned pi, bool pil, enum nvme_ses ses);
uint32_t nvme_sanitize_cdw10(enum nvme_sanact act, bool ause, unsigned owpass, bool oipbp,
			     bool nodas);
uint32_t nvme_get_log_cdw10(uint8_t lid, uint32_t len, bool rae);

/* Format timeout for a namespace, in ms: the size at 50 MB/s x 1.5, at
 * least 2 hours (never the kernel's 60 s default). */
uint32_t nvme_format_timeout_ms(const struct nvme_ns_info *ns);

int nvme_identify_ctrl(struct sgio_dev *dev, struct nvme_ctrl_info *c, char **cause);
int nvme_identify_ns(struct sgio_dev *dev, uint32_t nsid, struct nvme_ns_info *ns, char **cause);
/* Format NVM keeping the current LBA format; @ses must be USER or CRYPTO
 * (SES=0 is never a sanitization and is refused). */
int nvme_format(struct sgio_dev *dev, uint32_t nsid, const struct nvme_ns_info *ns,
		enum nvme_ses ses, char **cause);
/* Start a sanitize (AUSE=1; overwrite: @owpass 1-16 passes of @pattern). */
int nvme_sanitize_start(struct sgio_dev *dev, enum nvme_sanact act, unsigned owpass,
			uint32_t pattern, char **cause);
int nvme_sanitize_log(struct sgio_dev *dev, struct nvme_sanitize_log *log, char **cause);

/* Format progress from Identify Namespace FPI (byte 32): *@remaining =
 * percent still to do.  Meant for a second handle (sgio_reopen) while
 * nvme_format() blocks on the first; the Identify carries the format's
 * own timeout.  -EOPNOTSUPP when FPI bit 7 (supported) is clear. */
int nvme_format_progress(struct sgio_dev *dev, uint32_t nsid, const struct nvme_ns_info *ns,
			 unsigned *remaining, char **cause);

/* The controller's estimate in seconds for the sanitize action the log
 * describes (SCDW10: block ETBE, overwrite ETO, crypto ETCE); 0 when
 * not reported (FFFFFFFFh). */
uint32_t nvme_sanitize_estimate_s(const struct nvme_sanitize_log *log);
/* Stall limit for that sanitize: SPROG unchanged for max(3 x estimate,
 * 1 h) (firmware-erase.md §8.7); NVME_STALL_DEFAULT_S without an estimate. */
#define NVME_STALL_DEFAULT_S (6u * 3600)
uint64_t nvme_sanitize_stall_ms(const struct nvme_sanitize_log *log);

#endif
