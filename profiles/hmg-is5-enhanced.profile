# custos sanitization profile (see custos-profile(5)).
# Pass bytes are as implemented by custos; legacy method names describe
# the shape of a method, not compliance with the body that named it.
# HMG IS5 Enhanced: zeros, ones (0xFF), random; verified (nwipe's form).
name = hmg-is5-enhanced
title = HMG IS5 Enhanced, 3 passes
reference = HMG Infosec Standard 5, Enhanced, as implemented by custos
method = overwrite
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
