# custos sanitization profile (see custos-profile(5)).
# Firmware method: the drive erases itself; custos checks the drive's own
# completion evidence and proves the erase with random markers written
# before and required gone after.  NIST categories are per media kind:
# ATA Security Erase is only Clear on flash (SP 800-88 r1 Table A-8), and
# nothing reaches Purge through a USB bridge or on memory cards.
# Sanitize also covers hidden areas.
name = ata-sanitize-block
title = ATA SANITIZE block erase
reference = ATA/ACS SANITIZE BLOCK ERASE EXT; NIST SP 800-88 r1 Table A-8, r2 section 3.1.2
method = ata-sanitize-block
verify = none
nist.hdd = purge
nist.ssd = purge
nist.nvme = none
nist.usb-flash = clear
nist.sd-mmc = none
nist.virtual = none
restore-max = no
markers = yes
