# custos sanitization profile (see custos-profile(5)).
# Pass bytes are as implemented by custos; legacy method names describe
# the shape of a method, not compliance with the body that named it.
# One pass of AES-128-CTR keystream (fresh key per pass).  No claim on USB
# and memory cards (one pass only).
name = random
title = Random data, 1 pass
reference = Single pseudorandom pass (AES-128-CTR)
method = overwrite
pass = random
verify = last
nist.hdd = clear
nist.ssd = clear
nist.nvme = clear
nist.usb-flash = none
nist.sd-mmc = none
nist.virtual = clear
