/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * values: English and Chinese names of the codes in records and
 * certificates.  The Chinese words are those of docs/TERMINOLOGY.md.
 */
#include "values.h"

#include <string.h>

#include "register.h"
#include "util.h"

static const struct value_name levels[] = {
	{ "public", "public", "公开" },
	{ "internal", "internal", "内部" },
	{ "secret", "secret", "秘密" },
	{ "confidential", "confidential", "机密" },
	{ "top-secret", "top secret", "绝密" },
};

static const struct value_name media[] = {
	{ "hdd", "hard disk", "机械硬盘" },
	{ "ssd", "SSD", "固态硬盘" },
	{ "nvme", "NVMe SSD", "NVMe固态硬盘" },
	{ "usb-flash", "USB flash drive", "U盘" },
	{ "sd-mmc", "SD/MMC card", "存储卡" },
	{ "optical", "optical disc", "光盘" },
	{ "other", "other", "其他" },
	{ "virtual", "virtual medium", "虚拟介质" },
};

static const struct value_name dests[] = {
	{ "internal-reuse", "internal reuse", "内部再利用" },
	{ "external-reuse", "external reuse", "外部再利用" },
	{ "recycling", "recycling", "回收" },
	{ "destruction", "destruction", "销毁" },
	{ "manufacturer", "return to manufacturer", "返厂" },
};

static const struct value_name outcomes[] = {
	{ "erased", "erased", "已消除" },
	{ "failed", "failed", "失败" },
	{ "aborted", "aborted", "中止" },
	{ "interrupted", "interrupted", "中断" },
	{ "unverified", "unverified", "未验证" },
	{ "unknown", "unknown", "结果不明" },
	{ "refused", "refused", "已拒绝" },
};

static const struct value_name states[] = {
	{ "in-stock", "in stock", "在库" },
	{ "issued", "issued", "已发放" },
	{ "in-repair", "in repair", "送修中" },
	{ "sanitizing", "sanitizing", "消除中" },
	{ "interrupted", "sanitization interrupted", "消除中断" },
	{ "sanitized", "sanitized", "已消除" },
	{ "awaiting-destruction", "awaiting destruction", "待销毁" },
	{ "scrapped", "scrapped", "已报废" },
	{ "destroyed", "destroyed", "已销毁" },
	{ "lost", "lost", "已丢失" },
};

static const struct value_name nist[] = {
	{ "clear", "Clear", "清除" },
	{ "purge", "Purge", "净化" },
	{ "destroy", "Destroy", "销毁" },
	{ "none", "none", "无" },
};

static const struct value_name methods[] = {
	{ "overwrite", "overwrite", "覆写" },
	{ "ata-secure-erase", "ATA secure erase", "ATA安全擦除" },
	{ "ata-enhanced-secure-erase", "ATA enhanced secure erase", "ATA增强安全擦除" },
	{ "ata-sanitize-block", "ATA sanitize, block erase", "ATA块擦除" },
	{ "ata-sanitize-crypto", "ATA sanitize, crypto erase", "ATA加密擦除" },
	{ "ata-sanitize-overwrite", "ATA sanitize, overwrite", "ATA固件覆写" },
	{ "nvme-format-user", "NVMe format, user data erase", "NVMe格式化（用户数据擦除）" },
	{ "nvme-format-crypto", "NVMe format, crypto erase", "NVMe格式化（加密擦除）" },
	{ "nvme-sanitize-block", "NVMe sanitize, block erase", "NVMe块擦除" },
	{ "nvme-sanitize-crypto", "NVMe sanitize, crypto erase", "NVMe加密擦除" },
	{ "nvme-sanitize-overwrite", "NVMe sanitize, overwrite", "NVMe固件覆写" },
	{ "purge", "strongest firmware purge", "固件净化（最强方式）" },
};

static const struct value_name kinds[] = {
	{ "sanitization", "sanitization", "信息消除" },
	{ "destruction", "destruction", "销毁" },
	{ "report", "report", "报告" },
};

static const struct value_name verify[] = {
	{ "full", "full", "全盘验证" },
	{ "sampled", "sampled", "抽样验证" },
	{ "firmware-status", "firmware status", "固件状态核验" },
	{ "none", "none", "未验证" },
};

static const struct value_name events[] = {
	{ "enrolled", "enrolled", "登记" },
	{ "issued", "issued", "发放" },
	{ "returned", "returned", "归还" },
	{ "repair", "sent for repair", "送修" },
	{ "repaired", "back from repair", "修复归还" },
	{ "lost", "lost", "丢失" },
	{ "found", "found", "找回" },
	{ "reclassified", "reclassified", "变更密级" },
	{ "sanitize-started", "sanitization started", "开始消除" },
	{ "sanitized", "sanitized", "已消除" },
	{ "not-erased", "not erased", "未消除" },
	{ "destroyed", "destroyed", "已销毁" },
	{ "scrapped", "scrapped", "报废" },
	{ "received", "received from another station", "接收（外站登记）" },
};

static const struct value_name transports[] = {
	{ "sata", "SATA", "SATA接口" },
	{ "sas", "SAS", "SAS接口" },
	{ "usb", "USB", "USB接口" },
	{ "nvme", "NVMe", "NVMe接口" },
	{ "mmc", "SD/MMC", "存储卡接口" },
	{ "virtual", "virtual device", "虚拟设备" },
	{ "file", "image file", "镜像文件" },
	{ "unknown", "unknown", "未知" },
};

static const struct {
	const struct value_name *v;
	size_t n;
} tables[VALUE_N_KINDS] = {
	[VALUE_LEVEL] = { levels, UTIL_ARRAY_SIZE(levels) },
	[VALUE_MEDIA] = { media, UTIL_ARRAY_SIZE(media) },
	[VALUE_DEST] = { dests, UTIL_ARRAY_SIZE(dests) },
	[VALUE_OUTCOME] = { outcomes, UTIL_ARRAY_SIZE(outcomes) },
	[VALUE_STATE] = { states, UTIL_ARRAY_SIZE(states) },
	[VALUE_NIST] = { nist, UTIL_ARRAY_SIZE(nist) },
	[VALUE_METHOD] = { methods, UTIL_ARRAY_SIZE(methods) },
	[VALUE_CERT_KIND] = { kinds, UTIL_ARRAY_SIZE(kinds) },
	[VALUE_VERIFY] = { verify, UTIL_ARRAY_SIZE(verify) },
	[VALUE_EVENT] = { events, UTIL_ARRAY_SIZE(events) },
	[VALUE_TRANSPORT] = { transports, UTIL_ARRAY_SIZE(transports) },
};

/* register_destroy_methods[] has the same fields: one list for every
 * face.  The copy is per thread, valid until the next call. */
static const struct value_name *destroy_find(const char *code)
{
	static _Thread_local struct value_name v;

	for (size_t i = 0; i < register_n_destroy_methods; i++) {
		const struct register_destroy_method *m = &register_destroy_methods[i];

		if (strcmp(m->code, code) == 0) {
			v = (struct value_name){ m->code, m->en, m->zh };
			return &v;
		}
	}
	return NULL;
}

const struct value_name *values_find(enum value_kind k, const char *code)
{
	size_t len;

	if (!code || (unsigned)k >= VALUE_N_KINDS)
		return NULL;
	if (k == VALUE_DESTROY)
		return destroy_find(code);
	len = strcspn(code, " ");
	for (size_t i = 0; i < tables[k].n; i++)
		if (strlen(tables[k].v[i].code) == len &&
		    strncmp(tables[k].v[i].code, code, len) == 0)
			return &tables[k].v[i];
	return NULL;
}

const char *values_zh(enum value_kind k, const char *code)
{
	const struct value_name *v = values_find(k, code);

	return v ? v->zh : NULL;
}

char *values_bilingual(enum value_kind k, const char *code)
{
	const struct value_name *v = values_find(k, code);

	if (!code || !*code)
		return strdup("-");
	if (!v)
		return strdup(code);
	/* "secret (declared, not registered)": the code, then a remark */
	return util_asprintf("%s (%.*s)%s", v->zh, (int)strlen(v->code), code,
			     code + strlen(v->code));
}
