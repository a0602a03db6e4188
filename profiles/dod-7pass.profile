# custos sanitization profile (see custos-profile(5)).
# Pass bytes are as implemented by custos; legacy method names describe
# the shape of a method, not compliance with the body that named it.
# DoD 5220.22-M "ECE" 7 passes (E + C + E): X, ~X, random, Y, Z, ~Z, random.
# The characters X, Y, Z are fixed here as 0x00, 0x96 and 0xFF (tools that
# draw them at random record nothing reproducible).  "ECE" is a vendor
# convention built from the DoD matrix letters.
name = dod-7pass
title = DoD 5220.22-M (ECE), 7 passes
reference = DoD 5220.22-M (1995) matrix items E, C, E, as implemented by custos
method = overwrite
pass = byte 0x00
pass = complement
pass = random
pass = byte 0x96
pass = byte 0xff
pass = complement
pass = random
verify = last
nist.hdd = clear
nist.ssd = clear
nist.nvme = clear
nist.usb-flash = clear
nist.sd-mmc = clear
nist.virtual = clear
