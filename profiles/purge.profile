# custos sanitization profile (see custos-profile(5)).
# Firmware method: the drive erases itself; custos checks the drive's own
# completion evidence and proves the erase with random markers written
# before and required gone after.  NIST categories are per media kind:
# ATA Security Erase is only Clear on flash (SP 800-88 r1 Table A-8), and
# nothing reaches Purge through a USB bridge or on memory cards.
# Chooses, per drive: NVMe Sanitize crypto > block > Format SES=2 > SES=1;
# ATA SANITIZE crypto > block > overwrite (HDD only) > enhanced Security
# Erase (HDD only).  Refused when the drive offers no Purge for its media kind.
name = purge
title = Strongest Purge the drive supports
reference = NIST SP 800-88 Purge; custos purge rule (custos-profile(5))
method = purge
verify = none
nist.hdd = purge
nist.ssd = purge
nist.nvme = purge
nist.usb-flash = none
nist.sd-mmc = none
nist.virtual = none
restore-max = no
markers = yes
