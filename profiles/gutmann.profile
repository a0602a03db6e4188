# custos sanitization profile (see custos-profile(5)).
# Pass bytes are as implemented by custos; legacy method names describe
# the shape of a method, not compliance with the body that named it.
# Gutmann's 35 passes: 1-4 random; 5 55h; 6 AAh; 7-9 92 49 24 rotations;
# 10-25 00h, 11h ... FFh; 26-28 92 49 24 rotations; 29-31 6D B6 DB rotations;
# 32-35 random.  Gutmann runs passes 5-31 in random order; custos runs them in
# this fixed order so the certificate lists exactly what was written.
name = gutmann
title = Gutmann, 35 passes
reference = P. Gutmann, Secure Deletion of Data from Magnetic and Solid-State Memory (1996)
method = overwrite
pass = random
pass = random
pass = random
pass = random
pass = byte 0x55
pass = byte 0xaa
pass = pattern 0x92 0x49 0x24
pass = pattern 0x49 0x24 0x92
pass = pattern 0x24 0x92 0x49
pass = byte 0x00
pass = byte 0x11
pass = byte 0x22
pass = byte 0x33
pass = byte 0x44
pass = byte 0x55
pass = byte 0x66
pass = byte 0x77
pass = byte 0x88
pass = byte 0x99
pass = byte 0xaa
pass = byte 0xbb
pass = byte 0xcc
pass = byte 0xdd
pass = byte 0xee
pass = byte 0xff
pass = pattern 0x92 0x49 0x24
pass = pattern 0x49 0x24 0x92
pass = pattern 0x24 0x92 0x49
pass = pattern 0x6d 0xb6 0xdb
pass = pattern 0xb6 0xdb 0x6d
pass = pattern 0xdb 0x6d 0xb6
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
