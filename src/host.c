/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "host.h"

#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

#include "util.h"

/* Values firmware vendors leave in unset DMI fields. */
static int is_placeholder(const char *s)
{
	static const char *const junk[] = {
		"To Be Filled By O.E.M.", "To be filled by O.E.M.", "Default string",
		"Not Specified", "Not Applicable", "System Serial Number", "None", "0",
		"0123456789", "Chassis Serial Number", "Asset-1234567890", "No Asset Tag",
	};

	for (size_t i = 0; i < UTIL_ARRAY_SIZE(junk); i++)
		if (strcmp(s, junk[i]) == 0)
			return 1;
	return 0;
}

static void read_attr(const char *dir, const char *name, char *out, size_t len)
{
	char path[512];
	char *data = NULL;

	out[0] = '\0';
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (util_read_file(path, &data, NULL) < 0)
		return;
	util_strlcpy(out, util_strstrip(data), len);
	free(data);
	if (is_placeholder(out))
		out[0] = '\0';
}

void host_read(const char *dmi_dir, struct host_info *out)
{
	const char *dir = dmi_dir ? dmi_dir : "/sys/class/dmi/id";

	memset(out, 0, sizeof(*out));
	read_attr(dir, "sys_vendor", out->vendor, sizeof(out->vendor));
	read_attr(dir, "product_name", out->model, sizeof(out->model));
	read_attr(dir, "product_serial", out->serial, sizeof(out->serial));
	read_attr(dir, "chassis_asset_tag", out->asset_tag, sizeof(out->asset_tag));
	if (gethostname(out->hostname, sizeof(out->hostname) - 1) < 0)
		out->hostname[0] = '\0';
}

json_t *host_to_json(const struct host_info *h)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s}",
			 "hostname", h->hostname, "vendor", h->vendor, "model", h->model,
			 "serial", h->serial, "asset_tag", h->asset_tag);
}

/* Append "<sep><label><value>" to @buf when @value is set; the first part
 * opens the parenthesis, later ones are separated by commas. */
static void append_part(char *buf, size_t len, const char *label, const char *value)
{
	size_t used = strlen(buf);

	if (!value[0] || used >= len)
		return;
	snprintf(buf + used, len - used, "%s%s%s", strchr(buf, '(') ? ", " : " (", label, value);
}

void host_describe(const struct host_info *h, char *buf, size_t len)
{
	char ident[300];
	size_t used;

	snprintf(ident, sizeof(ident), "%s%s%s", h->vendor, h->vendor[0] && h->model[0] ? " " : "",
		 h->model);
	snprintf(buf, len, "%s", h->hostname[0] ? h->hostname : "unknown host");
	append_part(buf, len, "", ident);
	append_part(buf, len, "S/N ", h->serial);
	append_part(buf, len, "asset tag ", h->asset_tag);
	used = strlen(buf);
	if (strchr(buf, '(') && used < len)
		snprintf(buf + used, len - used, ")");
}
