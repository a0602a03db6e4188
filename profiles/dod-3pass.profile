# custos sanitization profile (see custos-profile(5)).
# Pass bytes are as implemented by custos; legacy method names describe
# the shape of a method, not compliance with the body that named it.
# DoD 5220.22-M (1995) item d: a character, its complement, a random
# character, then verification.  custos uses 0x00 as the character and an
# AES-CTR stream for the random pass (Eraser writes 00h, FFh, random; nwipe
# writes a random byte, its complement, random).
name = dod-3pass
title = DoD 5220.22-M (E), 3 passes
reference = DoD 5220.22-M (1995) chapter 8 matrix item d, as implemented by custos
method = overwrite
pass = byte 0x00
pass = complement
pass = random
verify = last
nist.hdd = clear
nist.ssd = clear
nist.nvme = clear
nist.usb-flash = clear
nist.sd-mmc = clear
nist.virtual = clear
