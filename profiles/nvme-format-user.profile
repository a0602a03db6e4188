# custos sanitization profile (see custos-profile(5)).
# Firmware method: the drive erases itself; custos checks the drive's own
# completion evidence and proves the erase with random markers written
# before and required gone after.  NIST categories are per media kind:
# ATA Security Erase is only Clear on flash (SP 800-88 r1 Table A-8), and
# nothing reaches Purge through a USB bridge or on memory cards.
# After SES=1 the contents are indeterminate: verified by markers, not by zeros.
name = nvme-format-user
title = NVMe Format NVM, user data erase (SES=1)
reference = NVMe Format NVM SES=1; NIST SP 800-88 r1 NVMe entry (Purge)
method = nvme-format-user
verify = none
nist.hdd = none
nist.ssd = none
nist.nvme = purge
nist.usb-flash = none
nist.sd-mmc = none
nist.virtual = none
restore-max = no
markers = yes
