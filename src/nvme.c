/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * nvme: the NVMe admin commands of firmware erase (Identify, Format NVM,
 * Sanitize, Get Log Page 81h), built and parsed byte for byte.
 */
#include "nvme.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define OPC_GET_LOG 0x02
#define OPC_IDENTIFY 0x06
#define OPC_FORMAT 0x80
#define OPC_SANITIZE 0x84
#define T_ADMIN_MS 30000u

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* Space-padded ASCII field, trimmed. */
static void ascii(const uint8_t *p, size_t n, char *out, size_t len)
{
	size_t i;
	char *s;

	for (i = 0; i < n && i + 1 < len; i++)
		out[i] = (p[i] >= 0x20 && p[i] <= 0x7e) ? (char)p[i] : ' ';
	out[i] = '\0';
	s = util_strstrip(out);
	memmove(out, s, strlen(s) + 1);
}

int nvme_ctrl_parse(const uint8_t *buf, struct nvme_ctrl_info *c)
{
	memset(c, 0, sizeof(*c));
	ascii(buf + 4, 20, c->serial, sizeof(c->serial));
	ascii(buf + 24, 40, c->model, sizeof(c->model));
	ascii(buf + 64, 8, c->firmware, sizeof(c->firmware));
	c->oacs = le16(buf + 256);
	c->format_supported = c->oacs & 0x0002;
	c->sanicap = le32(buf + 328);
	c->san_crypto = c->sanicap & 0x1;
	c->san_block = c->sanicap & 0x2;
	c->san_overwrite = c->sanicap & 0x4;
	c->san_ndi = c->sanicap & (1u << 29);
	c->fna = buf[524];
	c->fmt_all_ns = c->fna & 0x1;
	c->se_all_ns = c->fna & 0x2;
	c->crypto_erase = c->fna & 0x4;
	c->no_nsid_all = c->fna & 0x8;
	return 0;
}

int nvme_ns_parse(const uint8_t *buf, struct nvme_ns_info *ns)
{
	const uint8_t *lbaf;

	memset(ns, 0, sizeof(*ns));
	ns->nsze = le64(buf);
	ns->flbas = buf[26];
	ns->dps = buf[29];
	ns->fpi = buf[32];
	ns->lbaf = (ns->flbas & 0x0f) | ((unsigned)(ns->flbas >> 5) & 0x3) << 4;
	if (ns->lbaf > 63)
		return -EINVAL;
	lbaf = buf + 128 + 4 * ns->lbaf;
	ns->ms = le16(lbaf);
	if (lbaf[2] < 9 || lbaf[2] > 16)
		return -EINVAL;
	ns->lbsize = 1u << lbaf[2];
	return 0;
}

void nvme_sanitize_log_parse(const uint8_t *buf, struct nvme_sanitize_log *log)
{
	log->sprog = le16(buf);
	log->sstat = le16(buf + 2);
	log->scdw10 = le32(buf + 4);
	log->eto = le32(buf + 8);
	log->etbe = le32(buf + 12);
	log->etce = le32(buf + 16);
}

uint32_t nvme_format_cdw10(unsigned lbaf, bool mset, unsigned pi, bool pil, enum nvme_ses ses)
{
	return (lbaf & 0xf) | (mset ? 1u << 4 : 0) | (pi & 0x7) << 5 | (pil ? 1u << 8 : 0) |
	       ((unsigned)ses & 0x7) << 9 | ((lbaf >> 4) & 0x3) << 12;
}

uint32_t nvme_sanitize_cdw10(enum nvme_sanact act, bool ause, unsigned owpass, bool oipbp,
			     bool nodas)
{
	return ((unsigned)act & 0x7) | (ause ? 1u << 3 : 0) | (owpass & 0xf) << 4 |
	       (oipbp ? 1u << 8 : 0) | (nodas ? 1u << 9 : 0);
}

uint32_t nvme_get_log_cdw10(uint8_t lid, uint32_t len, bool rae)
{
	uint32_t numd = len / 4 - 1;

	return lid | (rae ? 1u << 15 : 0) | (numd & 0xffff) << 16;
}

uint32_t nvme_format_timeout_ms(const struct nvme_ns_info *ns)
{
	uint64_t bytes = ns->nsze * ns->lbsize;
	uint64_t s = bytes / (50ull * 1000 * 1000) * 3 / 2;

	if (s < 2 * 3600)
		s = 2 * 3600;
	if (s > 0xffffffffu / 1000)
		s = 0xffffffffu / 1000;
	return (uint32_t)(s * 1000);
}

uint32_t nvme_sanitize_estimate_s(const struct nvme_sanitize_log *log)
{
	uint32_t est;

	switch (log->scdw10 & 7) {
	case NVME_SANACT_BLOCK: est = log->etbe; break;
	case NVME_SANACT_OVERWRITE: est = log->eto; break;
	case NVME_SANACT_CRYPTO: est = log->etce; break;
	default: return 0;
	}
	return est == 0xffffffffu ? 0 : est;
}

uint64_t nvme_sanitize_stall_ms(const struct nvme_sanitize_log *log)
{
	uint64_t est = nvme_sanitize_estimate_s(log);

	if (!est)
		return NVME_STALL_DEFAULT_S * 1000ull;
	return (3 * est > 3600 ? 3 * est : 3600) * 1000ull;
}

static int identify_t(struct sgio_dev *dev, uint32_t nsid, uint8_t cns, uint8_t *buf,
		      uint32_t timeout_ms, char **cause)
{
	struct sgio_nvme_cmd c;

	memset(&c, 0, sizeof(c));
	c.opcode = OPC_IDENTIFY;
	c.nsid = nsid;
	c.cdw10 = cns;
	c.data = buf;
	c.data_len = NVME_ID_LEN;
	c.timeout_ms = timeout_ms;
	return sgio_nvme_admin(dev, &c, NULL, cause);
}

static int identify(struct sgio_dev *dev, uint32_t nsid, uint8_t cns, uint8_t *buf, char **cause)
{
	return identify_t(dev, nsid, cns, buf, T_ADMIN_MS, cause);
}

int nvme_identify_ctrl(struct sgio_dev *dev, struct nvme_ctrl_info *ci, char **cause)
{
	uint8_t *buf = calloc(1, NVME_ID_LEN);
	int rc;

	if (!buf)
		return util_fail(cause, -ENOMEM, _("out of memory"));
	rc = identify(dev, 0, 0x01, buf, cause);
	if (rc == 0)
		rc = nvme_ctrl_parse(buf, ci);
	free(buf);
	return rc;
}

int nvme_identify_ns(struct sgio_dev *dev, uint32_t nsid, struct nvme_ns_info *ns, char **cause)
{
	uint8_t *buf = calloc(1, NVME_ID_LEN);
	int rc;

	if (!buf)
		return util_fail(cause, -ENOMEM, _("out of memory"));
	rc = identify(dev, nsid, 0x00, buf, cause);
	if (rc == 0 && nvme_ns_parse(buf, ns) < 0)
		rc = util_fail(cause, -EIO, _("Identify Namespace %u: unusable LBA format"), nsid);
	free(buf);
	return rc;
}

int nvme_format_progress(struct sgio_dev *dev, uint32_t nsid, const struct nvme_ns_info *ns,
			 unsigned *remaining, char **cause)
{
	uint8_t *buf = calloc(1, NVME_ID_LEN);
	int rc;

	if (!buf)
		return util_fail(cause, -ENOMEM, _("out of memory"));
	/* the format's own timeout: a poll that times out would make the
	 * kernel reset the controller, which aborts the format */
	rc = identify_t(dev, nsid, 0x00, buf, nvme_format_timeout_ms(ns), cause);
	if (rc == 0 && !(buf[32] & 0x80))
		rc = util_fail(cause, -EOPNOTSUPP, _("the namespace reports no format progress"));
	if (rc == 0)
		*remaining = buf[32] & 0x7f;
	free(buf);
	return rc;
}

int nvme_format(struct sgio_dev *dev, uint32_t nsid, const struct nvme_ns_info *ns,
		enum nvme_ses ses, char **cause)
{
	struct sgio_nvme_cmd c;

	if (ses != NVME_SES_USER && ses != NVME_SES_CRYPTO)
		return util_fail(cause, -EINVAL,
				 _("Format without secure erase is not a sanitization"));
	memset(&c, 0, sizeof(c));
	c.opcode = OPC_FORMAT;
	c.nsid = nsid;
	c.cdw10 = nvme_format_cdw10(ns->lbaf, ns->flbas & 0x10, ns->dps & 0x7, ns->dps & 0x8, ses);
	c.timeout_ms = nvme_format_timeout_ms(ns);
	return sgio_nvme_admin(dev, &c, NULL, cause);
}

int nvme_sanitize_start(struct sgio_dev *dev, enum nvme_sanact act, unsigned owpass,
			uint32_t pattern, char **cause)
{
	struct sgio_nvme_cmd c;

	if (act == NVME_SANACT_OVERWRITE && (owpass < 1 || owpass > 16))
		return util_fail(cause, -EINVAL, _("overwrite pass count %u not in 1..16"), owpass);
	memset(&c, 0, sizeof(c));
	c.opcode = OPC_SANITIZE;
	c.cdw10 = nvme_sanitize_cdw10(act, act != NVME_SANACT_EXIT_FAILURE,
				      act == NVME_SANACT_OVERWRITE ? owpass & 0xf : 0, false,
				      false);
	c.cdw11 = act == NVME_SANACT_OVERWRITE ? pattern : 0;
	c.timeout_ms = T_ADMIN_MS;
	return sgio_nvme_admin(dev, &c, NULL, cause);
}

int nvme_sanitize_log(struct sgio_dev *dev, struct nvme_sanitize_log *log, char **cause)
{
	struct sgio_nvme_cmd c;
	uint8_t buf[NVME_LOG_SANITIZE_LEN];
	int rc;

	memset(buf, 0, sizeof(buf));
	memset(&c, 0, sizeof(c));
	c.opcode = OPC_GET_LOG;
	c.nsid = NVME_NSID_ALL;
	c.cdw10 = nvme_get_log_cdw10(0x81, sizeof(buf), true);
	c.data = buf;
	c.data_len = sizeof(buf);
	c.timeout_ms = T_ADMIN_MS;
	rc = sgio_nvme_admin(dev, &c, NULL, cause);
	if (rc == 0)
		nvme_sanitize_log_parse(buf, log);
	return rc;
}
