# custos sanitization profile (see custos-profile(5)).
# Pass bytes are as implemented by custos; legacy method names describe
# the shape of a method, not compliance with the body that named it.
# BSI VSITR, common form: 00h/FFh alternating for passes 1-6, then AAh.
# (Eraser uses 00h/01h and a random last pass: the sources conflict.)
name = vsitr
title = BSI VSITR, 7 passes
reference = BSI VSITR (Richtlinien zum Geheimschutz), common form, as implemented by custos
method = overwrite
pass = byte 0x00
pass = byte 0xff
pass = byte 0x00
pass = byte 0xff
pass = byte 0x00
pass = byte 0xff
pass = byte 0xaa
verify = last
nist.hdd = clear
nist.ssd = clear
nist.nvme = clear
nist.usb-flash = clear
nist.sd-mmc = clear
nist.virtual = clear
