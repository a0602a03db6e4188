/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cert.h"
#include "jcs.h"
#include "sign.h"
#include "station.h"
#include "util.h"

struct fixture {
	char dir[40];
	struct station st;
	struct sign_key *key;		/* private, signing */
	struct sign_key *pub;
	struct sign_key *other;		/* another station's public key */
	struct sign_key *other_priv;
};

static const struct cert_pass passes[] = {
	{ "ff", 1048576, false }, { "00", 1048576, true },
};

static void fill(struct cert_input *in, const char *outcome)
{
	memset(in, 0, sizeof(*in));
	in->kind = CERT_KIND_SANITIZATION;
	in->operator_ = (struct cert_person){ "李娜", "operator" };
	in->validator = (struct cert_person){ "王芳", "validator" };
	in->medium = (struct cert_medium){ .serial = "SN-1", .register_no = "BM-1",
					   .vendor = "Ven\"dor\\ \n<&>", .custodian = "张伟",
					   .department = "综合处", .capacity_bytes = 1048576 };
	in->san = (struct cert_sanitization){ .nist_category = "clear", .method = "overwrite",
		.profile = "clear-2pass", .passes = passes, .n_passes = 2, .outcome = outcome,
		.verify_mode = "full", .start = 1795000000, .end = 1795000010 };
	in->destination = "internal-reuse";
}

static void load_pair(const char *dir, const char *name, enum sign_key_type t,
		      struct sign_key **priv, struct sign_key **pub)
{
	char *a = util_asprintf("%s/%s.key", dir, name), *b = util_asprintf("%s/%s.pub", dir, name);

	assert_int_equal(sign_generate(t, a, b, NULL), 0);
	assert_int_equal(sign_load_private(a, priv, NULL), 0);
	assert_int_equal(sign_load_public(b, pub, NULL), 0);
	free(a);
	free(b);
}

static char org[] = "单位 Office", prefix[] = "WS01";

static int setup(void **state, enum sign_key_type t)
{
	struct fixture *f = calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/custos-test-cert-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	load_pair(f->dir, "a", t, &f->key, &f->pub);
	load_pair(f->dir, "b", t, &f->other_priv, &f->other);
	f->st.state_dir = f->dir;
	f->st.org = org;
	f->st.name = prefix;
	f->st.prefix = prefix;
	f->st.key_type = t;
	assert_int_equal(sign_fingerprint(f->pub, f->st.fingerprint), 0);
	*state = f;
	return 0;
}

static int setup_ed(void **state)
{
	return setup(state, SIGN_KEY_ED25519);
}

static int setup_sm2(void **state)
{
	return setup(state, SIGN_KEY_SM2);
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(nftw(f->dir, rm_one, 8, FTW_DEPTH | FTW_PHYS), 0);
	sign_key_free(f->key);
	sign_key_free(f->pub);
	sign_key_free(f->other);
	sign_key_free(f->other_priv);
	free(f);
	return 0;
}

static json_t *make_doc(struct fixture *f, const char *outcome)
{
	struct cert_input in;
	json_t *cert, *doc;

	fill(&in, outcome);
	assert_int_equal(cert_build(&in, &f->st, "WS01-2026-000001", 1795000100, &cert, NULL), 0);
	assert_int_equal(cert_sign(cert, f->key, &doc, NULL), 0);
	json_decref(cert);
	return doc;
}

static const char *at(const json_t *o, const char *a, const char *b)
{
	const json_t *x = json_object_get(json_object_get(o, "certificate"), a);

	return json_string_value(b ? json_object_get(x, b) : x);
}

/* ---- building ---------------------------------------------------------- */

static void test_every_field(void **state)
{
	static const char *const top[] = { "schema", "id", "kind", "title", "title_zh", "issued",
		"station", "tool", "guideline", "operator", "validator", "medium", "sanitization",
		"destruction", "destination", "register_event_hash", "notes" };
	static const char *const medium[] = { "register_no", "asset_tag", "media_type", "vendor",
		"model", "serial", "wwn", "firmware", "capacity_bytes", "transport",
		"classification_before", "classification_after", "custodian", "department",
		"source_host" };
	static const char *const san[] = { "nist_category", "nist_category_intended", "method",
		"profile", "rule", "passes", "firmware_command", "hidden_areas", "verification",
		"outcome", "errors", "bad_ranges", "marker_proof", "start", "end",
		"duration_seconds", "throughput_bytes_per_second", "interruptions", "resumes" };
	json_t *doc = make_doc(*state, "erased"), *c = json_object_get(doc, "certificate");

	for (size_t i = 0; i < UTIL_ARRAY_SIZE(top); i++)
		assert_non_null(json_object_get(c, top[i]));
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(medium); i++)
		assert_non_null(json_object_get(json_object_get(c, "medium"), medium[i]));
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(san); i++)
		assert_non_null(json_object_get(json_object_get(c, "sanitization"), san[i]));
	assert_int_equal(json_array_size(json_object_get(json_object_get(c, "sanitization"),
							 "passes")), 2);
	assert_string_equal(at(doc, "sanitization", "start"), "2026-11-18T11:06:40Z");
	json_decref(doc);
}

static void test_escaping_utf8(void **state)
{
	json_t *doc = make_doc(*state, "erased"), *back;
	char *canon;
	size_t len;

	assert_int_equal(cert_canonical(json_object_get(doc, "certificate"), &canon, &len,
					 NULL), 0);
	/* RFC 8785: no raw control characters, non-ASCII written as itself */
	for (size_t i = 0; i < len; i++)
		assert_true((unsigned char)canon[i] >= 0x20);
	assert_non_null(strstr(canon, "\"Ven\\\"dor\\\\ \\n<&>\""));
	assert_non_null(strstr(canon, "\"custodian\":\"张伟\""));
	assert_null(strstr(canon, "\\u"));
	back = json_loads(canon, 0, NULL);
	assert_non_null(back);
	assert_string_equal(json_string_value(json_object_get(json_object_get(back, "medium"),
							      "custodian")), "张伟");
	assert_string_equal(json_string_value(json_object_get(json_object_get(back, "medium"),
							      "vendor")), "Ven\"dor\\ \n<&>");
	json_decref(back);
	free(canon);
	json_decref(doc);
}

static void test_bad_input(void **state)
{
	struct fixture *f = *state;
	struct cert_input in;
	json_t *cert = NULL, *doc = NULL;
	char *cause = NULL;

	fill(&in, "erased");
	in.medium.model = "bad \xff utf8";
	assert_int_equal(cert_build(&in, &f->st, "WS01-2026-000001", 1, &cert, &cause), -EINVAL);
	assert_non_null(strstr(cause, "model"));
	free(cause);
	fill(&in, "erased");
	in.validator.name = "李娜";
	assert_int_equal(cert_build(&in, &f->st, "x", 1, &cert, NULL), -EINVAL);
	in.operator_.name = "Alice Chen";
	in.validator.name = " alice chen";	/* the same person, differently typed */
	assert_int_equal(cert_build(&in, &f->st, "x", 1, &cert, NULL), -EINVAL);
	fill(&in, "erased");
	in.kind = CERT_KIND_DESTRUCTION;
	in.destruction = (struct cert_destruction){ "shred", "room", 1,
		{ { "赵强", NULL }, { "赵强", NULL } } };
	assert_int_equal(cert_build(&in, &f->st, "x", 1, &cert, NULL), -EINVAL);
	in.destruction.witnesses[1].name = NULL;
	assert_int_equal(cert_build(&in, &f->st, "x", 1, &cert, NULL), -EINVAL);
	in.destruction.witnesses[1].name = "陈静";
	/* more witnesses (policy "witnesses N"): all distinct, none the operator */
	in.destruction.witnesses[2].name = " 赵强";
	assert_int_equal(cert_build(&in, &f->st, "x", 1, &cert, NULL), -EINVAL);
	in.destruction.witnesses[2].name = in.operator_.name;
	assert_int_equal(cert_build(&in, &f->st, "x", 1, &cert, NULL), -EINVAL);
	in.destruction.witnesses[2].name = NULL;
	in.destruction.witnesses[3].name = "王五";	/* a gap in the list */
	assert_int_equal(cert_build(&in, &f->st, "x", 1, &cert, NULL), -EINVAL);
	in.destruction.witnesses[2].name = "孙丽";
	assert_int_equal(cert_build(&in, &f->st, "WS01-2026-000001", 1, &cert, NULL), 0);
	assert_int_equal(json_array_size(json_object_get(json_object_get(cert, "destruction"),
							 "witnesses")), 4);
	assert_int_equal(cert_sign(cert, f->key, &doc, NULL), 0);
	assert_int_equal(cert_verify_doc(doc, f->pub, NULL), 0);
	json_decref(doc);
	/* verification keeps the rule: a signed duplicate witness is refused */
	json_object_set_new(json_array_get(json_object_get(json_object_get(cert, "destruction"),
							   "witnesses"), 3),
			    "name", json_string("陈静 "));
	assert_int_equal(cert_sign(cert, f->key, &doc, NULL), 0);
	cause = NULL;
	assert_int_equal(cert_verify_doc(doc, f->pub, &cause), -EBADMSG);
	assert_non_null(strstr(cause, "different people"));
	free(cause);
	cause = NULL;
	json_decref(doc);
	json_decref(cert);
	in.destruction.witnesses[2].name = NULL;
	in.destruction.witnesses[3].name = NULL;
	assert_int_equal(cert_build(&in, &f->st, "WS01-2026-000001", 1, &cert, NULL), 0);
	assert_string_equal(json_string_value(json_object_get(cert, "kind")), "destruction");
	assert_int_equal(json_array_size(json_object_get(json_object_get(cert, "destruction"),
							 "witnesses")), 2);
	json_decref(cert);
}

/* A job whose outcome is not "erased" never yields a certificate of erasure. */
static void test_failure_report(void **state)
{
	static const char *const bad[] = { "failed", "aborted", "unverified", NULL };
	struct fixture *f = *state;

	for (size_t i = 0; i < UTIL_ARRAY_SIZE(bad); i++) {
		json_t *doc = make_doc(f, bad[i]);
		char want[80];

		snprintf(want, sizeof(want), "SANITIZATION REPORT \u2014 NOT ERASED (%s)",
			 bad[i] ? bad[i] : "unknown");
		assert_string_equal(at(doc, "kind", NULL), "report");
		assert_string_equal(at(doc, "title", NULL), want);
		assert_null(strstr(at(doc, "title", NULL), "CERTIFICATE"));
		assert_non_null(strstr(at(doc, "title_zh", NULL), "未消除"));
		assert_true(json_is_null(json_object_get(json_object_get(json_object_get(doc,
			"certificate"), "sanitization"), "nist_category")));
		assert_int_equal(cert_verify_doc(doc, f->pub, NULL), 0);
		json_decref(doc);
	}
	{
		json_t *doc = make_doc(f, "erased");

		assert_string_equal(at(doc, "kind", NULL), "sanitization");
		assert_string_equal(at(doc, "title", NULL), "CERTIFICATE OF SANITIZATION");
		assert_string_equal(at(doc, "sanitization", "nist_category"), "clear");
		json_decref(doc);
	}
}

/* A validly signed "sanitization" for a failed outcome is still rejected. */
static void test_forged_kind_rejected(void **state)
{
	struct fixture *f = *state;
	json_t *doc = make_doc(f, "failed"), *cert, *forged;
	char *cause = NULL;

	cert = json_deep_copy(json_object_get(doc, "certificate"));
	json_object_set_new(cert, "kind", json_string("sanitization"));
	assert_int_equal(cert_sign(cert, f->key, &forged, NULL), 0);
	assert_int_equal(cert_verify_doc(forged, f->pub, &cause), -EBADMSG);
	assert_non_null(strstr(cause, "not erased"));
	free(cause);
	json_decref(forged);
	json_decref(cert);
	json_decref(doc);
}

/* ---- signing and tampering --------------------------------------------- */

static char *doc_text(const json_t *doc, size_t *canon_off, size_t *canon_len)
{
	char *canon, *sig, *text;

	assert_int_equal(cert_canonical(json_object_get(doc, "certificate"), &canon, canon_len,
					 NULL), 0);
	sig = json_dumps(json_object_get(doc, "signature"), JSON_COMPACT);
	text = util_asprintf("{\"certificate\":%s,\"signature\":%s}", canon, sig);
	*canon_off = strlen("{\"certificate\":");
	free(canon);
	free(sig);
	return text;
}

static void test_sign_verify(void **state)
{
	struct fixture *f = *state;
	json_t *doc = make_doc(f, "erased"), *back = NULL;
	char *text = json_dumps(doc, JSON_INDENT(4));

	assert_string_equal(json_string_value(json_object_get(json_object_get(doc, "signature"),
		"algorithm")), f->st.key_type == SIGN_KEY_SM2 ? "sm2-sm3" : "ed25519");
	assert_int_equal(cert_verify(text, strlen(text), f->pub, &back, NULL), 0);
	assert_true(json_equal(back, doc));
	json_decref(back);
	free(text);
	json_decref(doc);
}

static void test_tamper_every_byte(void **state)
{
	struct fixture *f = *state;
	json_t *doc = make_doc(f, "erased");
	size_t off, len;
	char *text = doc_text(doc, &off, &len);

	assert_int_equal(cert_verify(text, strlen(text), f->pub, NULL, NULL), 0);
	for (size_t i = off; i < off + len; i++) {
		text[i] ^= 0x01;
		assert_int_not_equal(cert_verify(text, strlen(text), f->pub, NULL, NULL), 0);
		text[i] ^= 0x01;
	}
	free(text);
	json_decref(doc);
}

static void test_tamper_fields(void **state)
{
	struct fixture *f = *state;
	json_t *doc = make_doc(f, "erased"), *c = json_object_get(doc, "certificate");
	json_t *m = json_object_get(c, "medium");
	char *cause = NULL;

	json_object_set_new(m, "custodian", json_string("张伟 "));
	assert_int_equal(cert_verify_doc(doc, f->pub, &cause), -EBADMSG);
	assert_non_null(strstr(cause, "changed"));
	free(cause);
	json_object_set_new(m, "custodian", json_string("张伟"));
	assert_int_equal(cert_verify_doc(doc, f->pub, NULL), 0);
	json_object_set_new(m, "extra", json_null());
	assert_int_equal(cert_verify_doc(doc, f->pub, NULL), -EBADMSG);
	json_object_del(m, "extra");
	json_object_set_new(doc, "extra", json_true());
	assert_int_equal(cert_verify_doc(doc, f->pub, NULL), -EINVAL);
	json_decref(doc);
}

static void test_swapped_signature(void **state)
{
	struct fixture *f = *state;
	json_t *a = make_doc(f, "erased"), *b = make_doc(f, "failed");
	json_t *sa = json_object_get(json_object_get(a, "signature"), "value");
	json_t *sb = json_object_get(json_object_get(b, "signature"), "value");
	json_t *tmp = json_incref(sa);

	json_object_set(json_object_get(a, "signature"), "value", sb);
	assert_int_equal(cert_verify_doc(a, f->pub, NULL), -EBADMSG);
	/* also carry the digest along: the signature itself must fail */
	json_object_set(json_object_get(a, "signature"), "content_sha256",
			json_object_get(json_object_get(b, "signature"), "content_sha256"));
	assert_int_equal(cert_verify_doc(a, f->pub, NULL), -EBADMSG);
	json_decref(tmp);
	json_decref(a);
	json_decref(b);
}

static void test_other_station_key(void **state)
{
	struct fixture *f = *state;
	json_t *doc = make_doc(f, "erased"), *cert, *by_other;
	char *cause = NULL;

	assert_int_equal(cert_verify_doc(doc, f->other, &cause), -EBADMSG);
	assert_non_null(strstr(cause, "other than the one given"));
	free(cause);
	/* Re-signed by another key, claiming the original fingerprint. */
	cert = json_object_get(doc, "certificate");
	assert_int_equal(cert_sign(cert, f->other_priv, &by_other, NULL), 0);
	json_object_set(json_object_get(by_other, "signature"), "key_fingerprint",
			json_object_get(json_object_get(doc, "signature"), "key_fingerprint"));
	assert_int_equal(cert_verify_doc(by_other, f->pub, NULL), -EBADMSG);
	/* Honestly labelled: valid signature, but not the station's. */
	json_decref(by_other);
	assert_int_equal(cert_sign(cert, f->other_priv, &by_other, NULL), 0);
	assert_int_equal(cert_verify_doc(by_other, f->pub, NULL), -EBADMSG);
	/* And the other key verifies it only if the content names that key. */
	assert_int_equal(cert_verify_doc(by_other, f->other, NULL), -EBADMSG);
	json_decref(by_other);
	json_decref(doc);
}

/* ---- QR, ids, files, PDF ----------------------------------------------- */

static void test_qr(void **state)
{
	struct fixture *f = *state;
	json_t *doc = make_doc(f, "erased");
	char *qr, digest[65], *cause = NULL;

	assert_int_equal(cert_qr_payload(doc, &qr, NULL), 0);
	assert_int_equal(cert_digest(doc, digest, NULL), 0);
	assert_int_equal(strncmp(qr, "CUSTOS2|sanitization|WS01-2026-000001|erased|", 45), 0);
	assert_int_equal(cert_qr_check(doc, qr, NULL), 0);
	qr[30] ^= 1;
	assert_int_equal(cert_qr_check(doc, qr, &cause), -EBADMSG);
	free(cause);
	free(qr);
	json_decref(doc);
}

static int fixed_seq(void *data, int year, uint64_t *seq, char **cause)
{
	(void)cause;
	*(int *)data = year;
	*seq = 41;
	return 0;
}

static void test_ids_and_issue(void **state)
{
	struct fixture *f = *state;
	struct cert_issue_opts o = { .now = 1795000000 };	/* 2026 */
	struct cert_input in;
	char *id = NULL, *path, *cause = NULL;
	json_t *doc = NULL, *loaded;
	int year = 0;

	assert_int_equal(cert_next_id(&f->st, &o, o.now, &id, NULL), 0);
	assert_string_equal(id, "WS01-2026-000001");
	free(id);
	fill(&in, "erased");
	assert_int_equal(cert_issue(&in, &f->st, f->key, &o, &doc, &id, &cause), 0);
	assert_string_equal(id, "WS01-2026-000002");
	path = util_asprintf("%s/certs/%s.pdf", f->dir, id);
	assert_int_equal(access(path, F_OK), 0);
	free(path);
	path = util_asprintf("%s/certs/%s.json", f->dir, id);
	assert_int_equal(cert_load_file(path, &loaded, NULL), 0);
	assert_true(json_equal(loaded, doc));
	assert_int_equal(cert_verify_doc(loaded, f->pub, NULL), 0);
	json_decref(loaded);
	free(path);
	free(id);
	json_decref(doc);
	o.now = 1830000000;	/* 2027: the sequence restarts */
	assert_int_equal(cert_next_id(&f->st, &o, o.now, &id, NULL), 0);
	assert_string_equal(id, "WS01-2027-000001");
	free(id);
	o.next_seq = fixed_seq;
	o.seq_data = &year;
	assert_int_equal(cert_next_id(&f->st, &o, o.now, &id, NULL), 0);
	assert_string_equal(id, "WS01-2027-000041");
	assert_int_equal(year, 2027);
	free(id);
}

/* Ids 000001..000003 are "in the register". */
static bool taken_low(void *data, const char *id)
{
	(*(int *)data)++;
	return strcmp(id + strlen(id) - 6, "000003") <= 0;
}

static void test_id_taken(void **state)
{
	struct fixture *f = *state;
	int calls = 0;
	struct cert_issue_opts o = { .now = 1795000000, .id_taken = taken_low,
				     .taken_data = &calls };
	char *id = NULL;

	assert_int_equal(cert_next_id(&f->st, &o, o.now, &id, NULL), 0);
	assert_string_equal(id, "WS01-2026-000004");
	assert_int_equal(calls, 4);
	free(id);
	o.id_taken = NULL;	/* the skipped sequence numbers stay used */
	assert_int_equal(cert_next_id(&f->st, &o, o.now, &id, NULL), 0);
	assert_string_equal(id, "WS01-2026-000005");
	free(id);
}

static void test_pdf_roundtrip(void **state)
{
	struct fixture *f = *state;
	json_t *doc = make_doc(f, "erased"), *docs;
	unsigned char *pdf;
	size_t len;
	uint64_t t0 = util_mono_ns(), ms;

	assert_int_equal(cert_pdf_render(doc, &pdf, &len, NULL), 0);
	ms = (util_mono_ns() - t0) / 1000000;
	print_message("one page: %zu bytes, %llu ms\n", len, (unsigned long long)ms);
	assert_true(len < 300 * 1024);
	assert_int_equal(memcmp(pdf, "%PDF-", 5), 0);
	assert_int_equal(cert_pdf_extract((char *)pdf, len, &docs, NULL), 0);
	assert_int_equal(json_array_size(docs), 1);
	assert_true(json_equal(json_array_get(docs, 0), doc));
	assert_int_equal(cert_verify_doc(json_array_get(docs, 0), f->pub, NULL), 0);
	json_decref(docs);
	free(pdf);
	json_decref(doc);
}

/* fontconfig's process-lifetime caches are not leaks (see tests/lsan-cert.supp). */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libfontconfig.so\n";
}

/* Gutmann-sized content (35 passes, many bad ranges) still renders. */
static void test_pdf_long(void **state)
{
	struct fixture *f = *state;
	struct cert_pass many[35];
	struct cert_range bad[100];
	struct cert_input in;
	json_t *cert, *doc, *docs;
	unsigned char *pdf;
	size_t len;

	for (size_t i = 0; i < 35; i++)
		many[i] = (struct cert_pass){ "92 49 24", 1ull << 40, i == 34 };
	for (size_t i = 0; i < 100; i++)
		bad[i] = (struct cert_range){ i << 20, 4096 };
	fill(&in, "failed");
	in.san.passes = many;
	in.san.n_passes = 35;
	in.san.bad_ranges = bad;
	in.san.n_bad_ranges = 100;
	in.notes = "备注 notes, long: the quick brown fox jumps over the lazy dog; 张伟 李娜 王芳 "
		   "the quick brown fox jumps over the lazy dog, again and again and again.";
	assert_int_equal(cert_build(&in, &f->st, "WS01-2026-000009", 1, &cert, NULL), 0);
	assert_int_equal(cert_sign(cert, f->key, &doc, NULL), 0);
	assert_int_equal(cert_pdf_render(doc, &pdf, &len, NULL), 0);
	assert_true(len < 2 * 300 * 1024);
	/* two pages: the values of both and the QR code on the second check */
	docs = json_pack("[O]", doc);
	assert_int_equal(cert_pdf_check_page((char *)pdf, len, docs, NULL), 0);
	json_decref(docs);
	free(pdf);
	json_decref(doc);
	json_decref(cert);
}

/* ---- RFC 8785 (format 2) ------------------------------------------------ */

static void jcs_is(const char *json, const char *want)
{
	json_t *v = json_loads(json, JSON_DECODE_ANY, NULL);
	char *out;

	assert_non_null(v);
	assert_int_equal(jcs_serialize(v, &out, NULL), 0);
	assert_string_equal(out, want);
	free(out);
	json_decref(v);
}

static void test_jcs_vectors(void **state)
{
	static const struct { double d; const char *s; } nums[] = {
		{ 0.0, "0" }, { -0.0, "0" }, { 1.0, "1" }, { -1.5, "-1.5" }, { 1e21, "1e+21" },
		{ 1e20, "100000000000000000000" }, { 1e-7, "1e-7" }, { 0.000001, "0.000001" },
		{ 123.456, "123.456" }, { 5e-324, "5e-324" },
		{ 1.7976931348623157e308, "1.7976931348623157e+308" },
		{ 9007199254740992.0, "9007199254740992" },
		{ 295147905179352830000.0, "295147905179352830000" },
		{ 333333333.33333329, "333333333.3333333" }, { 1e30, "1e+30" }, { 0.002, "0.002" },
		{ 1e-27, "1e-27" }, { 4.5, "4.5" },
	};
	json_t *big = json_pack("{s:I}", "n", (json_int_t)9007199254740993LL);
	char buf[40], *out;

	(void)state;
	/* RFC 8785 section 3.2.2 */
	jcs_is("{\"numbers\":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],"
	       "\"string\":\"\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\\"\\/\","
	       "\"literals\":[null,true,false]}",
	       "{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,4.5,0.002,"
	       "1e-27],\"string\":\"€$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}");
	/* RFC 8785 section 3.2.3: sorted by UTF-16 code units */
	jcs_is("{\"\\u20ac\":\"Euro Sign\",\"\\r\":\"Carriage Return\",\"\\ufb33\":\"Hebrew Letter "
	       "Dalet With Dagesh\",\"1\":\"One\",\"\\ud83d\\ude00\":\"Emoji: Grinning Face\","
	       "\"\\u0080\":\"Control\",\"\\u00f6\":\"Latin Small Letter O With Diaeresis\"}",
	       "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\xc2\x80\":\"Control\",\"ö\":\"Latin "
	       "Small Letter O With Diaeresis\",\"€\":\"Euro Sign\",\"😀\":\"Emoji: Grinning "
	       "Face\",\"דּ\":\"Hebrew Letter Dalet With Dagesh\"}");
	/* non-ASCII as itself, DEL and U+2028 unescaped, controls in lower case */
	jcs_is("{\"名\":\"张伟\",\"a\":\"\\u007f\\u2028\\u001f\\b\\t\"}",
	       "{\"a\":\"\x7f\xe2\x80\xa8\\u001f\\b\\t\",\"名\":\"张伟\"}");
	jcs_is("[]", "[]");
	jcs_is("{}", "{}");
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(nums); i++) {
		assert_int_equal(jcs_format_double(nums[i].d, buf, sizeof(buf)), 0);
		assert_string_equal(buf, nums[i].s);
	}
	/* a number JCS cannot carry exactly is refused, not rounded */
	assert_int_equal(jcs_serialize(big, &out, NULL), -ERANGE);
	json_decref(big);
}

/* The certificates issued in format 1 (jansson's form) before RFC 8785. */
static void test_v1_fixtures(void **state)
{
	static const char *const names[] = { "ed25519-sanitization", "ed25519-destruction",
					     "sm2-sanitization", "sm2-destruction" };
	const char *dir = getenv("CUSTOS_FIXTURES");

	(void)state;
	if (!dir)
		skip();
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(names); i++) {
		char *jpath = util_asprintf("%s/cert-v1/%s.json", dir, names[i]);
		char *kpath = util_asprintf("%s/cert-v1/%.*s.pub", dir,
					    (int)strcspn(names[i], "-"), names[i]);
		char *data, *p, *cause = NULL;
		struct sign_key *pub;
		json_t *doc = NULL;
		size_t len;

		assert_int_equal(util_read_file(jpath, &data, &len), 0);
		assert_int_equal(sign_load_public(kpath, &pub, NULL), 0);
		assert_int_equal(cert_verify(data, len, pub, &doc, &cause), 0);
		assert_true(cert_is_v1(json_object_get(doc, "certificate")));
		/* its QR code stays the format-1 one */
		json_decref(doc);
		p = strstr(data, "ZN1ABC23");
		assert_non_null(p);
		p[7] = '4';
		assert_int_equal(cert_verify(data, len, pub, NULL, &cause), -EBADMSG);
		free(cause);
		sign_key_free(pub);
		free(data);
		free(kpath);
		free(jpath);
	}
}

static void test_format2_fields(void **state)
{
	struct fixture *f = *state;
	json_t *doc = make_doc(f, "erased"), *c = json_object_get(doc, "certificate");
	const json_t *clk = json_object_get(c, "clock");
	const char *local = json_string_value(json_object_get(c, "issued_local"));
	size_t n;

	assert_string_equal(json_string_value(json_object_get(c, "schema")), CERT_SCHEMA);
	assert_false(cert_is_v1(c));
	assert_non_null(json_object_get(json_object_get(doc, "signature"), "summary_value"));
	/* adjtimex said something: true, false, or null when it failed */
	assert_true(json_is_boolean(json_object_get(clk, "synchronised")) ||
		    json_is_null(json_object_get(clk, "synchronised")));
	assert_non_null(local);
	n = strlen(local);
	assert_true(n == 25 && (local[19] == '+' || local[19] == '-') && local[22] == ':');
	assert_int_equal(cert_verify_doc(doc, f->pub, NULL), 0);
	/* the summary signature is checked too */
	json_object_set_new(json_object_get(doc, "signature"), "summary_value",
			    json_string(json_string_value(json_object_get(
				json_object_get(doc, "signature"), "value"))));
	assert_int_equal(cert_verify_doc(doc, f->pub, NULL), -EBADMSG);
	json_decref(doc);
}

static void test_sampled(void **state)
{
	struct fixture *f = *state;
	struct cert_input in;
	json_t *cert, *p, *v;
	size_t i;

	fill(&in, "erased");
	in.san.verify_mode = "sampled seed=1 samples=8";
	in.san.bytes_verified = 1048576 / 4;
	assert_int_equal(cert_build(&in, &f->st, "WS01-2026-000001", 1795000100, &cert, NULL), 0);
	json_array_foreach(json_object_get(json_object_get(cert, "sanitization"), "passes"), i, p)
		assert_false(json_is_true(json_object_get(p, "verified")));
	assert_true(json_is_true(json_object_get(json_array_get(json_object_get(
		json_object_get(cert, "sanitization"), "passes"), 1), "verified_by_sampling")));
	v = json_object_get(json_object_get(cert, "sanitization"), "verification");
	assert_true(json_is_true(json_object_get(v, "sampled")));
	assert_string_equal(json_string_value(json_object_get(v, "share_read")), "25.00 %");
	assert_true(cert_verified_by_sampling(cert));
	json_decref(cert);
}

static void test_qr_alone(void **state)
{
	struct fixture *f = *state;
	struct cert_input in;
	json_t *cert, *doc, *fields = NULL;
	char *qr, *cause = NULL, *p;

	fill(&in, "erased");
	in.medium.model = "A|B%C";	/* the separator and the escape round-trip */
	assert_int_equal(cert_build(&in, &f->st, "WS01-2026-000001", 1795000100, &cert, NULL), 0);
	assert_int_equal(cert_sign(cert, f->key, &doc, NULL), 0);
	assert_int_equal(cert_qr_payload(doc, &qr, NULL), 0);
	assert_non_null(strstr(qr, "|A%7CB%25C|"));
	assert_int_equal(cert_qr_verify(qr, f->pub, &fields, &cause), 0);
	assert_string_equal(json_string_value(json_object_get(fields, "model")), "A|B%C");
	assert_string_equal(json_string_value(json_object_get(fields, "serial")), "SN-1");
	assert_string_equal(json_string_value(json_object_get(fields, "destination")),
			    "internal-reuse");
	assert_string_equal(json_string_value(json_object_get(fields, "classification_before")),
			    "");
	assert_int_equal(json_object_size(fields), CERT_QR_NFIELDS);
	json_decref(fields);
	/* another key, a changed field, a format-1 payload */
	assert_int_equal(cert_qr_verify(qr, f->other, &fields, &cause), -EBADMSG);
	assert_non_null(strstr(cause, "another key"));
	free(cause);
	cause = NULL;
	p = strstr(qr, "internal-reuse");
	memcpy(p, "external", 8);
	assert_int_equal(cert_qr_verify(qr, f->pub, &fields, &cause), -EBADMSG);
	assert_null(fields);
	free(cause);
	cause = NULL;
	assert_int_equal(cert_qr_check(doc, qr, NULL), -EBADMSG);
	assert_int_equal(cert_qr_verify("CUSTOS1|X|00|AA==", f->pub, &fields, &cause), -EINVAL);
	free(cause);
	assert_int_equal(cert_qr_verify("CUSTOS2|a|b", f->pub, &fields, NULL), -EBADMSG);
	free(qr);
	json_decref(doc);
	json_decref(cert);
}

/* The PDF carries the document as certificate.json, and its own page and
 * QR code pass the drawn-page check. */
static void test_pdf_attachment(void **state)
{
	struct fixture *f = *state;
	json_t *doc = make_doc(f, "erased"), *docs;
	unsigned char *pdf;
	size_t len;

	assert_int_equal(cert_pdf_render(doc, &pdf, &len, NULL), 0);
	assert_non_null(memmem(pdf, len, "/EmbeddedFiles", 14));
	assert_non_null(memmem(pdf, len, "(certificate.json)", 18));
	assert_non_null(memmem(pdf, len, "<dc:identifier>WS01-2026-000001</dc:identifier>", 47));
	assert_int_equal(cert_pdf_extract((char *)pdf, len, &docs, NULL), 0);
	assert_int_equal(json_array_size(docs), 1);
	assert_true(json_equal(json_array_get(docs, 0), doc));
	assert_int_equal(cert_pdf_check_page((char *)pdf, len, docs, NULL), 0);
	json_decref(docs);
	free(pdf);
	json_decref(doc);
}

#define T(fn, s) cmocka_unit_test_setup_teardown(fn, s, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_every_field, setup_ed),
		T(test_escaping_utf8, setup_ed),
		T(test_bad_input, setup_ed),
		T(test_failure_report, setup_ed),
		T(test_forged_kind_rejected, setup_ed),
		T(test_sign_verify, setup_ed),
		T(test_sign_verify, setup_sm2),
		T(test_tamper_every_byte, setup_ed),
		T(test_tamper_every_byte, setup_sm2),
		T(test_tamper_fields, setup_ed),
		T(test_swapped_signature, setup_ed),
		T(test_swapped_signature, setup_sm2),
		T(test_other_station_key, setup_ed),
		T(test_other_station_key, setup_sm2),
		T(test_qr, setup_ed),
		T(test_ids_and_issue, setup_ed),
		T(test_id_taken, setup_ed),
		T(test_pdf_roundtrip, setup_sm2),
		T(test_pdf_long, setup_ed),
		cmocka_unit_test(test_jcs_vectors),
		cmocka_unit_test(test_v1_fixtures),
		T(test_format2_fields, setup_ed),
		T(test_format2_fields, setup_sm2),
		T(test_sampled, setup_ed),
		T(test_qr_alone, setup_ed),
		T(test_qr_alone, setup_sm2),
		T(test_pdf_attachment, setup_ed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
