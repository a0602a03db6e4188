# custos sanitization profile (see custos-profile(5)).
# Firmware method: the drive erases itself; custos checks the drive's own
# completion evidence and proves the erase with random markers written
# before and required gone after.  NIST categories are per media kind:
# ATA Security Erase is only Clear on flash (SP 800-88 r1 Table A-8), and
# nothing reaches Purge through a USB bridge or on memory cards.
# Overwrite on flash is claimed as Clear only (the lower claim when in doubt).
name = nvme-sanitize-overwrite
title = NVMe Sanitize, overwrite, one pass
reference = NVMe Sanitize SANACT=3; NIST SP 800-88 r2 section 3.1.2
method = nvme-sanitize-overwrite
verify = none
nist.hdd = none
nist.ssd = none
nist.nvme = clear
nist.usb-flash = none
nist.sd-mmc = none
nist.virtual = none
restore-max = no
markers = yes
