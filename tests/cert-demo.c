/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cert-demo: test helper for tests/integ-cert.sh.  Issues a certificate for
 * a canned (fake) job through the same cert_issue() call the sanitize job
 * makes, with the station in STATE_DIR, and prints the new id.  It writes
 * no register events and touches no device; it exists so the certificate
 * files can be tested before and apart from a real sanitization.
 *
 *   cert-demo STATE_DIR erased|failed|destruction|sampled [CERT_DIR]
 *   (sampled: erased, verified by reading a sample of an eighth of it)
 *   cert-demo STATE_DIR summary OUT.pdf ID.json...
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cert.h"
#include "station.h"
#include "util.h"

static const struct cert_pass passes[] = {
	{ "random aes-128-ctr seed=5f1c0e7a9b2d4c6e", 67108864, false },
	{ "00", 67108864, true },
};

static const struct cert_range bad[] = { { 1048576, 4096 } };

static void fill(struct cert_input *in, const char *what)
{
	memset(in, 0, sizeof(*in));
	in->kind = strcmp(what, "destruction") ? CERT_KIND_SANITIZATION : CERT_KIND_DESTRUCTION;
	in->operator_ = (struct cert_person){ "李娜", "信息安全员 Security officer" };
	in->validator = (struct cert_person){ "王芳", "保密办主任 Head of security office" };
	in->medium = (struct cert_medium){
		"BM-2026-0042", "ZC-7781", "hdd", "Seagate", "ST1000DM010-2EP102",
		"ZN1ABC23", "0x5000c500a1b2c3d4", "CC43", 67108864, "sata", "机密 confidential",
		"机密 confidential", "张伟", "综合处 General Affairs", "PC-ZW-014 \"old\" <a&b>",
	};
	in->san = (struct cert_sanitization){
		.nist_category = "clear", .method = "overwrite", .profile = "clear-2pass-verify",
		.rule = "NIST SP 800-88r1 Appendix A (organisational rule)",
		.passes = passes, .n_passes = UTIL_ARRAY_SIZE(passes),
		.hidden_areas = "HPA none, DCO none (native max = current max)",
		.verify_mode = "full", .read_path = "O_DIRECT, page cache bypassed",
		.bytes_verified = 67108864, .outcome = strcmp(what, "failed") ? "erased" : "failed",
		.start = 1795000000, .end = 1795000042, .throughput = 3195660,
	};
	if (strcmp(what, "sampled") == 0) {
		in->san.verify_mode = "sampled seed=42 samples=64";
		in->san.bytes_verified = 67108864 / 8;
	}
	if (strcmp(what, "failed") == 0) {
		in->san.errors = 1;
		in->san.bad_ranges = bad;
		in->san.n_bad_ranges = 1;
	}
	in->destruction = (struct cert_destruction){
		"shred (2 mm particles)", "保密室 Room 301", 1795000100,
		{ { "赵强", "监销人 Witness" }, { "陈静", "监销人 Witness" } },
	};
	in->destination = strcmp(what, "destruction") ? "internal-reuse" : "destruction";
	in->event_hash = "9f2c4e0b7a1d3e5f60718293a4b5c6d7e8f90112233445566778899aabbccdd";
	in->notes = "demo certificate for the test suite";
}

static int summary(int argc, char **argv)
{
	struct cert_machine mc = { "Lenovo", "ThinkCentre M720", "PC0XYZ12", "pc-zw-014" };
	json_t **docs = calloc((size_t)argc, sizeof(*docs));
	char *cause = NULL;
	int n = 0, rc = 0;

	for (int i = 4; docs && rc == 0 && i < argc; i++)
		rc = cert_load_file(argv[i], &docs[n++], &cause);
	if (rc == 0)
		rc = cert_pdf_summary(&mc, docs, (size_t)n, argv[3], &cause);
	if (rc)
		fprintf(stderr, "cert-demo: %s\n", cause ? cause : "failed");
	for (int i = 0; i < n; i++)
		json_decref(docs[i]);
	free(docs);
	free(cause);
	return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct cert_issue_opts opts = { 0 };
	struct station *st = NULL;
	struct sign_key *key = NULL;
	struct cert_input in;
	char *cause = NULL, *id = NULL;
	int rc;

	if (argc >= 5 && strcmp(argv[2], "summary") == 0)
		return summary(argc, argv);
	if (argc < 3) {
		fputs("usage: cert-demo STATE_DIR erased|failed|destruction|sampled [CERT_DIR]\n",
		      stderr);
		return 2;
	}
	opts.cert_dir = argc > 3 ? argv[3] : NULL;
	fill(&in, argv[2]);
	rc = station_open(argv[1], &st, &cause);
	if (rc == 0)
		rc = station_load_signing_key(st, &key, &cause);
	if (rc == 0)
		rc = cert_issue(&in, st, key, &opts, NULL, &id, &cause);
	if (rc == 0)
		printf("%s\n", id);
	else
		fprintf(stderr, "cert-demo: %s\n", cause ? cause : "failed");
	free(id);
	free(cause);
	sign_key_free(key);
	station_free(st);
	return rc ? 1 : 0;
}
