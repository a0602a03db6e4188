/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CUSTOS_HOST_H
#define CUSTOS_HOST_H

/*
 * host: the machine Custos runs on, as a decommissioning record names it:
 * DMI vendor, model, serial and asset tag (/sys/class/dmi/id) and hostname.
 */

#include <jansson.h>

struct host_info {
	char vendor[128];
	char model[128];
	char serial[128];
	char asset_tag[128];	/* DMI chassis asset tag, or --source-asset */
	char hostname[256];
};

/* Read the DMI directory (NULL: /sys/class/dmi/id).  Missing or unreadable
 * attributes (product_serial needs root) are left empty; never fails. */
void host_read(const char *dmi_dir, struct host_info *out);

/* {"vendor", "model", "serial", "asset_tag", "hostname"} */
json_t *host_to_json(const struct host_info *h);

/* A one-line description for a certificate's "source" field:
 * "hostname (vendor model, S/N serial, asset tag)". */
void host_describe(const struct host_info *h, char *buf, size_t len);

#endif
