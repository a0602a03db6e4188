# custos sanitization profile (see custos-profile(5)).
# Firmware method: the drive erases itself; custos checks the drive's own
# completion evidence and proves the erase with random markers written
# before and required gone after.  NIST categories are per media kind:
# ATA Security Erase is only Clear on flash (SP 800-88 r1 Table A-8), and
# nothing reaches Purge through a USB bridge or on memory cards.
# Purge on magnetic disks (r1 A-5: consult the manufacturer); Clear on SSDs.
name = ata-enhanced-secure-erase
title = ATA Security Erase Unit (enhanced)
reference = ATA/ACS SECURITY ERASE UNIT, enhanced; NIST SP 800-88 r1 Table A-5 (Purge on HDD), Table A-8 (Clear on flash)
method = ata-enhanced-secure-erase
verify = none
nist.hdd = purge
nist.ssd = clear
nist.nvme = none
nist.usb-flash = clear
nist.sd-mmc = none
nist.virtual = none
restore-max = no
markers = yes
