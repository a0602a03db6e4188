# custos sanitization profile (see custos-profile(5)).
# Pass bytes are as implemented by custos; legacy method names describe
# the shape of a method, not compliance with the body that named it.
# Schneier 7 passes: ones (0xFF, as nwipe; Eraser writes 01h), zeros, then
# five random passes.
name = schneier
title = Schneier, 7 passes
reference = B. Schneier, Applied Cryptography (1996), as implemented by custos
method = overwrite
pass = byte 0xff
pass = byte 0x00
pass = random
pass = random
pass = random
pass = random
pass = random
verify = last
nist.hdd = clear
nist.ssd = clear
nist.nvme = clear
nist.usb-flash = clear
nist.sd-mmc = clear
nist.virtual = clear
