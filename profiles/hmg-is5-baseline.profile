# custos sanitization profile (see custos-profile(5)).
# Pass bytes are as implemented by custos; legacy method names describe
# the shape of a method, not compliance with the body that named it.
# HMG IS5 Baseline: one pass of zeros, verified.
name = hmg-is5-baseline
title = HMG IS5 Baseline, 1 pass
reference = HMG Infosec Standard 5, Baseline, as implemented by custos
method = overwrite
pass = byte 0x00
verify = last
nist.hdd = clear
nist.ssd = clear
nist.nvme = clear
nist.usb-flash = none
nist.sd-mmc = none
nist.virtual = clear
