# custos sanitization profile (see custos-profile(5)).
# Pass bytes are as implemented by custos; legacy method names describe
# the shape of a method, not compliance with the body that named it.
# One pass of ones (0xFF).  No claim on USB and memory cards (one pass only).
name = one
title = Ones, 1 pass
reference = Single fixed-value pass (0xFF)
method = overwrite
pass = byte 0xff
verify = last
nist.hdd = clear
nist.ssd = clear
nist.nvme = clear
nist.usb-flash = none
nist.sd-mmc = none
nist.virtual = clear
