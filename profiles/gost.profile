# custos sanitization profile (see custos-profile(5)).
# Pass bytes are as implemented by custos; legacy method names describe
# the shape of a method, not compliance with the body that named it.
# GOST R 50739-95, common tool form: zeros, then random.  The standard itself
# was not read.  No claim on USB and memory cards (no complement pass).
name = gost
title = GOST R 50739-95, 2 passes
reference = GOST R 50739-95, common tool form, as implemented by custos
method = overwrite
pass = byte 0x00
pass = random
verify = last
nist.hdd = clear
nist.ssd = clear
nist.nvme = clear
nist.usb-flash = none
nist.sd-mmc = none
nist.virtual = clear
