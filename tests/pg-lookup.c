/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * pg-lookup: the central register's lookup of a device (integ-pg.sh), for
 * identities no test device has:
 *   pg-lookup CONNINFO usb SERIAL [MODEL]
 *   pg-lookup CONNINFO file PATH
 * Prints "STATION CLASSIFICATION ORIGIN_STATION:ORIGIN_ID" and exits 0, or
 * the refusal on stderr and exits 2 (not found), 3 (ambiguous), 1 (other).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "register-central.h"
#include "util.h"

int main(int argc, char **argv)
{
	struct device_info *dev = calloc(1, sizeof(*dev));
	struct register_media m;
	char station[128], *cause = NULL;
	int rc;

	if (!dev || argc < 4 || argc > 5) {
		fprintf(stderr, "usage: pg-lookup CONNINFO usb SERIAL [MODEL] | file PATH\n");
		free(dev);
		return 1;
	}
	if (strcmp(argv[2], "file") == 0) {
		dev->transport = DEVICE_TRANSPORT_FILE;
		util_strlcpy(dev->path, argv[3], sizeof(dev->path));
		util_strlcpy(dev->backing_file, argv[3], sizeof(dev->backing_file));
	} else {
		dev->transport = DEVICE_TRANSPORT_USB;
		util_strlcpy(dev->path, "/dev/sdz", sizeof(dev->path));
		util_strlcpy(dev->serial, argv[3], sizeof(dev->serial));
		if (argc == 5)
			util_strlcpy(dev->model, argv[4], sizeof(dev->model));
	}
	rc = register_central_lookup(argv[1], dev, &m, station, &cause);
	free(dev);
	if (rc < 0) {
		fprintf(stderr, "pg-lookup: %s\n", cause ? cause : strerror(-rc));
		free(cause);
		return rc == -ENOENT ? 2 : rc == -EEXIST ? 3 : 1;
	}
	printf("%s %s %s:%lld\n", station, m.classification, m.central_station,
	       (long long)m.central_id);
	return 0;
}
