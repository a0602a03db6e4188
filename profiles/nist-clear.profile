# custos sanitization profile (see custos-profile(5)).
# Pass bytes are as implemented by custos; legacy method names describe
# the shape of a method, not compliance with the body that named it.
# NIST SP 800-88 Clear for every media kind: a pattern, then its complement
# (r1's rule for USB and memory cards), leaving zeros.  Verified in full.
name = nist-clear
title = NIST SP 800-88 Clear: pattern and complement, verified
reference = NIST SP 800-88 r1 Appendix A (Clear by overwrite); r2 section 3.1.1
method = overwrite
pass = byte 0xff
pass = complement
verify = last
nist.hdd = clear
nist.ssd = clear
nist.nvme = clear
nist.usb-flash = clear
nist.sd-mmc = clear
nist.virtual = clear
