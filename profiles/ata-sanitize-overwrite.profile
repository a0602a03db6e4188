# custos sanitization profile (see custos-profile(5)).
# Firmware method: the drive erases itself; custos checks the drive's own
# completion evidence and proves the erase with random markers written
# before and required gone after.  NIST categories are per media kind:
# ATA Security Erase is only Clear on flash (SP 800-88 r1 Table A-8), and
# nothing reaches Purge through a USB bridge or on memory cards.
# Purge on magnetic disks only: r1 does not list it for flash, so Clear there.
name = ata-sanitize-overwrite
title = ATA SANITIZE overwrite, one pass
reference = ATA/ACS SANITIZE OVERWRITE EXT; NIST SP 800-88 r1 Table A-5 (Purge on HDD)
method = ata-sanitize-overwrite
verify = none
nist.hdd = purge
nist.ssd = clear
nist.nvme = none
nist.usb-flash = clear
nist.sd-mmc = none
nist.virtual = none
restore-max = no
markers = yes
