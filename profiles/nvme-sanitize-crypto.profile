# custos sanitization profile (see custos-profile(5)).
# Firmware method: the drive erases itself; custos checks the drive's own
# completion evidence and proves the erase with random markers written
# before and required gone after.  NIST categories are per media kind:
# ATA Security Erase is only Clear on flash (SP 800-88 r1 Table A-8), and
# nothing reaches Purge through a USB bridge or on memory cards.
name = nvme-sanitize-crypto
title = NVMe Sanitize, crypto erase
reference = NVMe Sanitize SANACT=4; NIST SP 800-88 r2 sections 3.1.2, 3.2 (IEEE 2883)
method = nvme-sanitize-crypto
verify = none
nist.hdd = none
nist.ssd = none
nist.nvme = purge
nist.usb-flash = none
nist.sd-mmc = none
nist.virtual = none
restore-max = no
markers = yes
