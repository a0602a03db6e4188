# custos sanitization profile (see custos-profile(5)).
# Pass bytes are as implemented by custos; legacy method names describe
# the shape of a method, not compliance with the body that named it.
# One pass of zeros.  NIST SP 800-88 r1 asks for a pattern and its complement
# on USB and memory cards, so this profile claims nothing there.
name = zero
title = Zeros, 1 pass
reference = NIST SP 800-88 r1 Table A-5 (Clear: at least one pass with a fixed value)
method = overwrite
pass = byte 0x00
verify = last
nist.hdd = clear
nist.ssd = clear
nist.nvme = clear
nist.usb-flash = none
nist.sd-mmc = none
nist.virtual = clear
