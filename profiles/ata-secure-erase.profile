# custos sanitization profile (see custos-profile(5)).
# Firmware method: the drive erases itself; custos checks the drive's own
# completion evidence and proves the erase with random markers written
# before and required gone after.  NIST categories are per media kind:
# ATA Security Erase is only Clear on flash (SP 800-88 r1 Table A-8), and
# nothing reaches Purge through a USB bridge or on memory cards.
# A normal erase may not reach HPA/DCO/AMA areas: hidden areas are restored first.
# NIST r1 lists only the enhanced erase as Purge on magnetic disks.
name = ata-secure-erase
title = ATA Security Erase Unit (normal)
reference = ATA/ACS SECURITY ERASE UNIT; NIST SP 800-88 r1 Tables A-5, A-8 (Clear)
method = ata-secure-erase
verify = none
nist.hdd = clear
nist.ssd = clear
nist.nvme = none
nist.usb-flash = clear
nist.sd-mmc = none
nist.virtual = none
restore-max = yes
markers = yes
