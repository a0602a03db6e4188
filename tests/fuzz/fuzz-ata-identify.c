/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer target: ATA IDENTIFY DEVICE data (strings, capacities,
 * security and sanitize words) and the DCO IDENTIFY page, 512 bytes each
 * (shorter inputs are padded with zeroes, longer ones cut). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t buf[512];
	struct ata_identify id;
	struct ata_dco dco;

	memset(buf, 0, sizeof(buf));
	memcpy(buf, data, size < sizeof(buf) ? size : sizeof(buf));
	ata_identify_parse(buf, &id);
	ata_dco_parse(buf, &dco);
	return 0;
}
