# custos sanitization profile (see custos-profile(5)).
# Pass bytes are as implemented by custos; legacy method names describe
# the shape of a method, not compliance with the body that named it.
# RCMP TSSIT OPS-II, common form: six alternating 00h/FFh passes, then a
# random seventh that is verified.
name = rcmp-ops2
title = RCMP TSSIT OPS-II, 7 passes
reference = RCMP TSSIT OPS-II, common form, as implemented by custos
method = overwrite
pass = byte 0x00
pass = byte 0xff
pass = byte 0x00
pass = byte 0xff
pass = byte 0x00
pass = byte 0xff
pass = random
verify = last
nist.hdd = clear
nist.ssd = clear
nist.nvme = clear
nist.usb-flash = clear
nist.sd-mmc = clear
nist.virtual = clear
