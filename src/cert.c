/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cert: the certificate as data.  Builds the JSON object from a job's
 * facts, serialises it canonically, signs and verifies it, numbers it, and
 * writes <id>.json and <id>.pdf atomically.  See cert.h for the format.
 */
#include "cert.h"
#include "jcs.h"
#include "policy.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/timex.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "util.h"
#include "values.h"

#define CERT_FILE_MODE 0640

/* ---- building ---------------------------------------------------------- */

/* Collects the first error while an object is assembled. */
struct jb {
	int err;
	const char *key;
};

static void jb_set(struct jb *b, json_t *obj, const char *key, json_t *val)
{
	if (!obj || !val) {
		json_decref(val);
		if (!b->err) {
			b->err = -EINVAL;
			b->key = key;
		}
		return;
	}
	if (json_object_set_new(obj, key, val) && !b->err) {
		b->err = -ENOMEM;
		b->key = key;
	}
}

/* NULL becomes null; invalid UTF-8 fails (json_string returns NULL). */
static json_t *jstr(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* A JSON string from a malloc'd C string, which it frees. */
static json_t *jtake(char *s)
{
	json_t *j = s ? json_string(s) : NULL;

	free(s);
	return j;
}

static json_t *jint(uint64_t v)
{
	return v > INT64_MAX ? NULL : json_integer((json_int_t)v);
}

static json_t *jtime(int64_t t)
{
	char buf[32];

	if (t <= 0)
		return json_null();
	util_iso8601(t, buf, sizeof(buf));
	return json_string(buf);
}

static json_t *person_json(struct jb *b, const struct cert_person *p)
{
	json_t *o = json_object();

	jb_set(b, o, "name", jstr(p->name));
	jb_set(b, o, "title", jstr(p->title));
	jb_set(b, o, "phone", jstr(p->phone));
	return o;
}

static json_t *medium_json(struct jb *b, const struct cert_medium *m)
{
	json_t *o = json_object();

	jb_set(b, o, "register_no", jstr(m->register_no));
	jb_set(b, o, "asset_tag", jstr(m->asset_tag));
	jb_set(b, o, "media_type", jstr(m->media_type));
	jb_set(b, o, "vendor", jstr(m->vendor));
	jb_set(b, o, "model", jstr(m->model));
	jb_set(b, o, "serial", jstr(m->serial));
	jb_set(b, o, "wwn", jstr(m->wwn));
	jb_set(b, o, "firmware", jstr(m->firmware));
	jb_set(b, o, "capacity_bytes", jint(m->capacity_bytes));
	jb_set(b, o, "transport", jstr(m->transport));
	jb_set(b, o, "classification_before", jstr(m->class_before));
	jb_set(b, o, "classification_after", jstr(m->class_after));
	jb_set(b, o, "custodian", jstr(m->custodian));
	jb_set(b, o, "department", jstr(m->department));
	jb_set(b, o, "source_host", jstr(m->source_host));
	return o;
}

/* A verification that read a sample of the medium, not all of it. */
static bool sampled_mode(const char *mode)
{
	return mode && strncmp(mode, "sampled", 7) == 0;
}

static json_t *passes_json(struct jb *b, const struct cert_sanitization *s)
{
	bool sampled = sampled_mode(s->verify_mode);
	json_t *a = json_array();

	for (size_t i = 0; a && i < s->n_passes; i++) {
		json_t *p = json_object();

		jb_set(b, p, "n", jint(i + 1));
		jb_set(b, p, "pattern", jstr(s->passes[i].pattern));
		jb_set(b, p, "bytes", jint(s->passes[i].bytes));
		/* A sampled read-back is not a verification of the pass:
		 * say what it was (issue 12). */
		jb_set(b, p, "verified", json_boolean(s->passes[i].verified && !sampled));
		if (sampled && s->passes[i].verified)
			jb_set(b, p, "verified_by_sampling", json_true());
		if (!p || json_array_append_new(a, p))
			b->err = b->err ? b->err : -ENOMEM;
	}
	return a;
}

static json_t *ranges_json(struct jb *b, const struct cert_sanitization *s)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < s->n_bad_ranges; i++) {
		json_t *r = json_object();

		jb_set(b, r, "offset", jint(s->bad_ranges[i].offset));
		jb_set(b, r, "length", jint(s->bad_ranges[i].length));
		if (!r || json_array_append_new(a, r))
			b->err = b->err ? b->err : -ENOMEM;
	}
	return a;
}

static bool is_erased(const struct cert_sanitization *s)
{
	return s->outcome && strcmp(s->outcome, "erased") == 0;
}

/* The share of the medium a verification read, "12.34 %" (NULL: unknown). */
static json_t *share_json(uint64_t verified, uint64_t capacity)
{
	unsigned long long hundredths;

	if (!capacity)
		return json_null();
	if (verified > capacity)
		verified = capacity;
	hundredths = (unsigned long long)(verified / (double)capacity * 10000.0);
	return jtake(util_asprintf("%llu.%02llu %%", hundredths / 100, hundredths % 100));
}

static json_t *san_json(struct jb *b, const struct cert_sanitization *s, uint64_t capacity)
{
	json_t *o = json_object(), *v = json_object();
	int64_t dur = s->end > s->start && s->start > 0 ? s->end - s->start : 0;

	/* A job that did not erase reaches no NIST category. */
	jb_set(b, o, "nist_category", jstr(is_erased(s) ? s->nist_category : NULL));
	jb_set(b, o, "nist_category_intended", jstr(s->nist_category));
	jb_set(b, o, "method", jstr(s->method));
	jb_set(b, o, "profile", jstr(s->profile));
	jb_set(b, o, "rule", jstr(s->rule));
	jb_set(b, o, "passes", passes_json(b, s));
	jb_set(b, o, "firmware_command", jstr(s->firmware_command));
	jb_set(b, o, "hidden_areas", jstr(s->hidden_areas));
	jb_set(b, v, "mode", jstr(s->verify_mode));
	jb_set(b, v, "read_path", jstr(s->read_path));
	jb_set(b, v, "bytes_verified", jint(s->bytes_verified));
	jb_set(b, v, "sampled", json_boolean(sampled_mode(s->verify_mode)));
	jb_set(b, v, "share_read", share_json(s->bytes_verified, capacity));
	jb_set(b, o, "verification", v);
	jb_set(b, o, "outcome", jstr(s->outcome ? s->outcome : "unknown"));
	jb_set(b, o, "errors", jint(s->errors));
	jb_set(b, o, "bad_ranges", ranges_json(b, s));
	jb_set(b, o, "marker_proof", jstr(s->marker_proof));
	jb_set(b, o, "start", jtime(s->start));
	jb_set(b, o, "end", jtime(s->end));
	jb_set(b, o, "duration_seconds", jint((uint64_t)dur));
	jb_set(b, o, "throughput_bytes_per_second", jint(s->throughput));
	jb_set(b, o, "interruptions", jint(s->interruptions));
	jb_set(b, o, "resumes", jint(s->resumes));
	return o;
}

static json_t *destruction_json(struct jb *b, const struct cert_destruction *d)
{
	json_t *o = json_object(), *w = json_array();

	jb_set(b, o, "nist_category", json_string("destroy"));
	jb_set(b, o, "method", jstr(d->method));
	jb_set(b, o, "place", jstr(d->place));
	jb_set(b, o, "time", jtime(d->time));
	for (size_t i = 0; w && i < cert_witnesses(d); i++)
		if (json_array_append_new(w, person_json(b, &d->witnesses[i])))
			b->err = b->err ? b->err : -ENOMEM;
	jb_set(b, o, "witnesses", w);
	return o;
}

struct title {
	const char *key;
	const char *zh;
};

static const struct title outcome_zh[] = {
	{ "failed", "失败" }, { "aborted", "中止" }, { "unverified", "未验证" },
	{ "unknown", "结果不明" },
};

static const char *outcome_name_zh(const char *outcome)
{
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(outcome_zh); i++)
		if (strcmp(outcome_zh[i].key, outcome) == 0)
			return outcome_zh[i].zh;
	return outcome;
}

static void titles(struct jb *b, json_t *o, enum cert_kind kind, const char *outcome)
{
	if (kind == CERT_KIND_DESTRUCTION) {
		jb_set(b, o, "title", json_string("CERTIFICATE OF DESTRUCTION"));
		jb_set(b, o, "title_zh", json_string("涉密载体销毁证明"));
	} else if (kind == CERT_KIND_SANITIZATION) {
		jb_set(b, o, "title", json_string("CERTIFICATE OF SANITIZATION"));
		jb_set(b, o, "title_zh", json_string("存储介质信息消除证明"));
	} else {
		jb_set(b, o, "title",
		       jtake(util_asprintf("SANITIZATION REPORT \u2014 NOT ERASED (%s)", outcome)));
		jb_set(b, o, "title_zh", jtake(util_asprintf("信息消除报告 \u2014 未消除（%s）",
							     outcome_name_zh(outcome))));
	}
}

static bool empty(const char *s)
{
	return !s || !*s;
}

static bool same_person(const struct cert_person *a, const struct cert_person *b)
{
	return !empty(a->name) && !empty(b->name) && policy_same_person(a->name, b->name);
}

size_t cert_witnesses(const struct cert_destruction *d)
{
	size_t n = 0;

	while (n < CERT_MAX_WITNESSES && !empty(d->witnesses[n].name))
		n++;
	return n;
}

/* The destruction rule on names, shared by issuing and verifying: at least
 * two witnesses, distinct, none of them @operator_name. */
static int check_witness_names(const char *const *w, size_t n, const char *operator_name,
			       int err, char **cause)
{
	if (n < 2)
		return util_fail(cause, err, _("a destruction needs two witnesses"));
	for (size_t i = 0; i < n; i++) {
		if (!empty(operator_name) && policy_same_person(w[i], operator_name))
			return util_fail(cause, err, _("a witness cannot be the person destroying"));
		for (size_t j = 0; j < i; j++)
			if (policy_same_person(w[i], w[j]))
				return util_fail(cause, err, _("the witnesses must be different "
						 "people (%s is named twice)"), w[i]);
	}
	return 0;
}

static int check_destruction(const struct cert_input *in, char **cause)
{
	const struct cert_destruction *d = &in->destruction;
	const char *names[CERT_MAX_WITNESSES];
	size_t n = cert_witnesses(d);

	if (empty(d->method) || empty(d->place))
		return util_fail(cause, -EINVAL, _("a destruction needs its method and place"));
	for (size_t i = n; i < CERT_MAX_WITNESSES; i++)
		if (!empty(d->witnesses[i].name))
			return util_fail(cause, -EINVAL, _("witness %zu has no name"), n + 1);
	for (size_t i = 0; i < n; i++)
		names[i] = d->witnesses[i].name;
	return check_witness_names(names, n, in->operator_.name, -EINVAL, cause);
}

static int check_input(const struct cert_input *in, char **cause)
{
	const struct cert_medium *m = &in->medium;

	if (in->kind != CERT_KIND_SANITIZATION && in->kind != CERT_KIND_DESTRUCTION)
		return util_fail(cause, -EINVAL,
				 _("a certificate is for a sanitization or a destruction"));
	if (empty(in->operator_.name))
		return util_fail(cause, -EINVAL, _("the certificate needs the operator's name"));
	if (same_person(&in->operator_, &in->validator))
		return util_fail(cause, -EINVAL, _("the validator must be a second person"));
	if (empty(m->serial) && empty(m->register_no) && empty(m->asset_tag))
		return util_fail(cause, -EINVAL,
				 _("the medium needs a serial, register number or asset tag"));
	if (in->kind == CERT_KIND_DESTRUCTION)
		return check_destruction(in, cause);
	if (empty(in->san.method) || empty(in->san.profile))
		return util_fail(cause, -EINVAL, _("a sanitization needs its method and profile"));
	if (is_erased(&in->san) && empty(in->san.nist_category))
		return util_fail(cause, -EINVAL, _("an erasure needs its NIST category"));
	return 0;
}

static enum cert_kind effective_kind(const struct cert_input *in)
{
	if (in->kind == CERT_KIND_SANITIZATION && !is_erased(&in->san))
		return CERT_KIND_REPORT;
	return in->kind;
}

static const char *const kind_names[] = {
	[CERT_KIND_SANITIZATION] = "sanitization",
	[CERT_KIND_DESTRUCTION] = "destruction",
	[CERT_KIND_REPORT] = "report",
};

static json_t *station_json(struct jb *b, const struct station *st)
{
	json_t *o = json_object();

	jb_set(b, o, "organisation", jstr(st->org));
	jb_set(b, o, "name", jstr(st->name));
	jb_set(b, o, "prefix", jstr(st->prefix));
	jb_set(b, o, "key_fingerprint", jstr(st->fingerprint));
	return o;
}

/* Local time with its UTC offset, "2026-12-04T20:11:00+08:00". */
static json_t *jlocal(int64_t t)
{
	time_t tt = (time_t)t;
	char buf[48];
	struct tm tm;
	long off;

	if (t <= 0 || !localtime_r(&tt, &tm))
		return json_null();
	off = tm.tm_gmtoff;
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	return jtake(util_asprintf("%s%c%02ld:%02ld", buf, off < 0 ? '-' : '+',
				   labs(off) / 3600, labs(off) % 3600 / 60));
}

/* Whether the kernel believed its clock synchronised when the certificate
 * was issued (adjtimex(2): TIME_ERROR or STA_UNSYNC mean it did not).  An
 * offline station has no trusted time stamp: this says how far to trust
 * "issued". */
static json_t *clock_json(struct jb *b)
{
	struct timex tx = { 0 };
	int state = adjtimex(&tx);
	json_t *o = json_object();

	jb_set(b, o, "source", json_string("adjtimex"));
	if (state < 0) {
		jb_set(b, o, "synchronised", json_null());
		return o;
	}
	jb_set(b, o, "synchronised",
	       json_boolean(state != TIME_ERROR && !(tx.status & STA_UNSYNC)));
	jb_set(b, o, "max_error_us", json_integer(tx.maxerror));
	jb_set(b, o, "estimated_error_us", json_integer(tx.esterror));
	return o;
}

static void build_body(struct jb *b, json_t *o, const struct cert_input *in,
		       const struct station *st)
{
	json_t *tool = json_object();
	bool destr = in->kind == CERT_KIND_DESTRUCTION;

	jb_set(b, o, "station", station_json(b, st));
	jb_set(b, tool, "name", json_string(PACKAGE_NAME));
	jb_set(b, tool, "version", json_string(PACKAGE_VERSION));
	jb_set(b, o, "tool", tool);
	jb_set(b, o, "guideline", json_string("NIST SP 800-88r2; Appendix G fields of r1"));
	jb_set(b, o, "operator", person_json(b, &in->operator_));
	jb_set(b, o, "validator", person_json(b, &in->validator));
	jb_set(b, o, "medium", medium_json(b, &in->medium));
	jb_set(b, o, "sanitization", destr ? json_null() :
	       san_json(b, &in->san, in->medium.capacity_bytes));
	jb_set(b, o, "destruction", destr ? destruction_json(b, &in->destruction) : json_null());
	jb_set(b, o, "destination", jstr(in->destination));
	jb_set(b, o, "register_event_hash", jstr(in->event_hash));
	jb_set(b, o, "notes", jstr(in->notes));
}

int cert_build(const struct cert_input *in, const struct station *st, const char *id,
	       int64_t issued, json_t **out, char **cause)
{
	struct jb b = { 0 };
	enum cert_kind kind;
	json_t *o;
	int rc;

	*out = NULL;
	rc = check_input(in, cause);
	if (rc)
		return rc;
	kind = effective_kind(in);
	o = json_object();
	jb_set(&b, o, "schema", json_string(CERT_SCHEMA));
	jb_set(&b, o, "id", jstr(id));
	jb_set(&b, o, "kind", json_string(kind_names[kind]));
	titles(&b, o, kind, in->san.outcome ? in->san.outcome : "unknown");
	jb_set(&b, o, "issued", jtime(issued));
	jb_set(&b, o, "issued_local", jlocal(issued));
	jb_set(&b, o, "clock", clock_json(&b));
	build_body(&b, o, in, st);
	if (b.err) {
		json_decref(o);
		if (b.err == -EINVAL)
			return util_fail(cause, b.err, _("certificate field \"%s\": not valid UTF-8 "
					 "or out of range"), b.key ? b.key : "?");
		return util_fail(cause, b.err, _("out of memory building the certificate"));
	}
	*out = o;
	return 0;
}

/* ---- canonical form, digest, base64 ------------------------------------ */

/* Format 1's canonical form: jansson's compact, sorted, ASCII-only dump. */
#define CANON_V1_FLAGS (JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII)

bool cert_is_v1(const json_t *cert)
{
	const char *schema = json_string_value(json_object_get(cert, "schema"));

	return schema && strcmp(schema, CERT_SCHEMA_V1) == 0;
}

int cert_canonical(const json_t *cert, char **out, size_t *len, char **cause)
{
	char *s;
	int rc;

	*out = NULL;
	if (!json_is_object(cert))
		return util_fail(cause, -EINVAL, _("the certificate is not a JSON object"));
	if (!cert_is_v1(cert)) {
		rc = jcs_serialize(cert, out, len);
		if (rc == -ERANGE)
			return util_fail(cause, rc, _("the certificate holds a number JSON "
					 "canonicalization (RFC 8785) cannot represent exactly"));
		if (rc)
			return util_fail(cause, rc, _("cannot serialise the certificate"));
		return 0;
	}
	s = json_dumps(cert, CANON_V1_FLAGS);
	if (!s)
		return util_fail(cause, -ENOMEM, _("cannot serialise the certificate"));
	*out = s;
	if (len)
		*len = strlen(s);
	return 0;
}

static int sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
		return -EIO;
	util_hex(md, 32, out);
	return 0;
}

static char *b64_encode(const unsigned char *data, size_t len)
{
	char *out = malloc(4 * ((len + 2) / 3) + 1);

	if (out)
		EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	return out;
}

/* Strict base64: only the canonical encoding of some bytes is accepted. */
static int b64_decode(const char *s, unsigned char **out, size_t *len)
{
	size_t n = strlen(s), pad = 0;
	unsigned char *buf;
	char *again;
	int got;

	*out = NULL;
	if (n == 0 || n % 4 || n > 1 << 20)
		return -EINVAL;
	buf = malloc(n / 4 * 3 + 1);
	if (!buf)
		return -ENOMEM;
	got = EVP_DecodeBlock(buf, (const unsigned char *)s, (int)n);
	pad = (s[n - 1] == '=') + (s[n - 2] == '=');
	if (got < 0 || (size_t)got < pad) {
		free(buf);
		return -EINVAL;
	}
	*len = (size_t)got - pad;
	again = b64_encode(buf, *len);
	if (!again || strcmp(again, s) != 0) {
		free(again);
		free(buf);
		return -EINVAL;
	}
	free(again);
	*out = buf;
	return 0;
}

/* ---- signing ----------------------------------------------------------- */

static const char *algorithm_name(enum sign_key_type t)
{
	return t == SIGN_KEY_SM2 ? "sm2-sm3" : "ed25519";
}

static const char *str_at(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* ---- the signed summary (QR code of format 2) ---------------------------- */

static const char *const qr_names[CERT_QR_NFIELDS] = {
	"kind", "id", "outcome", "organisation", "station", "asset_tag", "serial", "model",
	"capacity_bytes", "classification_before", "classification_after", "method",
	"verification", "destination", "date", "operator", "key_id",
};

const char *cert_qr_field_name(size_t i)
{
	return i < CERT_QR_NFIELDS ? qr_names[i] : NULL;
}

/* Percent-encode what would break the record: '%', '|', CR, LF. */
static void qr_esc(FILE *f, const char *v)
{
	for (; v && *v; v++) {
		if (*v == '%' || *v == '|' || *v == '\r' || *v == '\n')
			fprintf(f, "%%%02X", (unsigned char)*v);
		else
			fputc(*v, f);
	}
}

static void qr_put(FILE *f, const char *v)
{
	fputc('|', f);
	qr_esc(f, v);
}

/* The witnesses of a destruction as "A; B". */
static void qr_witnesses(FILE *f, const json_t *w)
{
	fputs("|witnesses: ", f);
	for (size_t i = 0; i < json_array_size(w); i++) {
		const char *n = str_at(json_array_get(w, i), "name");

		fputs(i ? "; " : "", f);
		qr_esc(f, n ? n : "?");
	}
}

bool cert_verified_by_sampling(const json_t *cert)
{
	return sampled_mode(str_at(json_object_get(json_object_get(cert, "sanitization"),
						   "verification"), "mode"));
}

/* The verification as the summary states it: the mode, and for a sampled
 * one the share read. */
static char *verification_text(const json_t *ver)
{
	const char *mode = str_at(ver, "mode"), *share = str_at(ver, "share_read");

	if (sampled_mode(mode))
		return util_asprintf("%s (verified by sampling, %s read)", mode,
				     share ? share : "share unknown");
	return strdup(mode ? mode : "");
}

int cert_summary_body(const json_t *cert, char **out, size_t *len, char **cause)
{
	const json_t *st = json_object_get(cert, "station"), *m = json_object_get(cert, "medium");
	const json_t *san = json_object_get(cert, "sanitization");
	const json_t *de = json_object_get(cert, "destruction");
	const char *fpr = str_at(st, "key_fingerprint");
	bool destr = json_is_object(de);
	char num[24], *ver = NULL, keyid[17] = "";
	size_t n = 0;
	FILE *f;

	*out = NULL;
	if (!json_is_object(cert) || !str_at(cert, "id"))
		return util_fail(cause, -EINVAL, _("not a certificate"));
	if (fpr)
		util_strlcpy(keyid, fpr, sizeof(keyid));
	f = open_memstream(out, &n);
	if (!f)
		return util_fail(cause, -ENOMEM, _("out of memory"));
	fputs(CERT_QR2_PREFIX, f);
	qr_put(f, str_at(cert, "kind"));
	qr_put(f, str_at(cert, "id"));
	qr_put(f, destr ? "destroyed" : str_at(san, "outcome"));
	qr_put(f, str_at(st, "organisation"));
	qr_put(f, str_at(st, "name"));
	qr_put(f, str_at(m, "asset_tag"));
	qr_put(f, str_at(m, "serial"));
	qr_put(f, str_at(m, "model"));
	snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
		 json_integer_value(json_object_get(m, "capacity_bytes")));
	qr_put(f, num);
	qr_put(f, str_at(m, "classification_before"));
	qr_put(f, str_at(m, "classification_after"));
	qr_put(f, str_at(destr ? de : san, "method"));
	if (destr) {
		qr_witnesses(f, json_object_get(de, "witnesses"));
	} else {
		ver = verification_text(json_object_get(san, "verification"));
		qr_put(f, ver);
	}
	qr_put(f, str_at(cert, "destination"));
	qr_put(f, str_at(cert, "issued_local") ? str_at(cert, "issued_local") :
	       str_at(cert, "issued"));
	qr_put(f, str_at(json_object_get(cert, "operator"), "name"));
	qr_put(f, keyid);
	free(ver);
	if (fclose(f) != 0) {
		free(*out);
		*out = NULL;
		return util_fail(cause, -ENOMEM, _("out of memory"));
	}
	if (len)
		*len = n;
	return 0;
}

/* The summary's signature (base64), made with @key. */
static char *summary_sign(const json_t *cert, const struct sign_key *key)
{
	unsigned char *sig = NULL;
	size_t len, siglen;
	char *body, *b64 = NULL;

	if (cert_summary_body(cert, &body, &len, NULL) < 0)
		return NULL;
	if (sign_data(key, body, len, &sig, &siglen) == 0)
		b64 = b64_encode(sig, siglen);
	free(sig);
	free(body);
	return b64;
}

static int summary_check(const json_t *cert, const char *b64, const struct sign_key *pub,
			 char **cause)
{
	unsigned char *sig = NULL;
	size_t len, siglen;
	char *body;
	int rc = cert_summary_body(cert, &body, &len, cause);

	if (rc)
		return rc;
	if (!b64 || b64_decode(b64, &sig, &siglen) < 0)
		rc = util_fail(cause, -EBADMSG, _("the summary signature is missing or not base64"));
	else if (sign_verify(pub, body, len, sig, siglen) != 0)
		rc = util_fail(cause, -EBADMSG, _("the summary (QR code) signature does not "
			       "verify"));
	free(sig);
	free(body);
	return rc;
}

static char *qr_unescape(const char *s, size_t n)
{
	char *out = malloc(n + 1), *o = out;

	for (size_t i = 0; out && i < n; i++) {
		unsigned int c;

		if (s[i] == '%' && i + 2 < n && isxdigit((unsigned char)s[i + 1]) &&
		    isxdigit((unsigned char)s[i + 2]) && sscanf(s + i + 1, "%2X", &c) == 1) {
			*o++ = (char)c;
			i += 2;
		} else {
			*o++ = s[i];
		}
	}
	if (out)
		*o = '\0';
	return out;
}

/* Split the body into its fields (unescaped) as an object in order. */
static int qr_fields(const char *body, json_t **fields, char **cause)
{
	const char *p = body + strlen(CERT_QR2_PREFIX);
	json_t *o = json_object();
	size_t i = 0;

	while (o && *p == '|' && i < CERT_QR_NFIELDS) {
		size_t n = strcspn(p + 1, "|");
		char *v = qr_unescape(p + 1, n);
		json_t *js = v ? json_string(v) : NULL;	/* NULL: not UTF-8 */

		free(v);
		if (!js || json_object_set_new(o, qr_names[i++], js)) {
			json_decref(o);
			return util_fail(cause, -EBADMSG, _("the QR payload is not valid UTF-8"));
		}
		p += n + 1;
	}
	if (!o || i != CERT_QR_NFIELDS || *p) {
		json_decref(o);
		return util_fail(cause, -EBADMSG, _("the QR payload does not have the %d fields "
				 "of a custos summary"), CERT_QR_NFIELDS);
	}
	*fields = o;
	return 0;
}

int cert_qr_verify(const char *payload, const struct sign_key *pub, json_t **fields,
		   char **cause)
{
	size_t n = strlen(payload);
	char *body = NULL, *bar, fpr[65];
	const char *keyid;
	unsigned char *sig = NULL;
	size_t siglen;
	json_t *f = NULL;
	int rc;

	*fields = NULL;
	while (n && (payload[n - 1] == '\n' || payload[n - 1] == '\r'))
		n--;
	if (n > 7 && strncmp(payload, CERT_QR_PREFIX "|", 8) == 0)
		return util_fail(cause, -EINVAL, _("a format-1 QR code holds only the id, digest and "
				 "signature: check it against its certificate (cert verify FILE "
				 "--qr-text PAYLOAD)"));
	if (n < 9 || strncmp(payload, CERT_QR2_PREFIX "|", 8) != 0)
		return util_fail(cause, -EINVAL, _("not a custos QR code (it does not start with %s)"),
				 CERT_QR2_PREFIX);
	body = strndup(payload, n);
	if (!body)
		return util_fail(cause, -ENOMEM, _("out of memory"));
	bar = strrchr(body, '|');
	*bar = '\0';
	rc = qr_fields(body, &f, cause);
	if (rc)
		goto out;
	keyid = json_string_value(json_object_get(f, "key_id"));
	if (sign_fingerprint(pub, fpr) < 0) {
		rc = util_fail(cause, -EIO, _("cannot compute the key fingerprint"));
		goto out;
	}
	if (strlen(keyid) != 16 || strncmp(fpr, keyid, 16) != 0) {
		rc = util_fail(cause, -EBADMSG, _("signed by another key: key id %s, this key is "
			       "%.16s"), keyid, fpr);
		goto out;
	}
	if (b64_decode(bar + 1, &sig, &siglen) < 0 ||
	    sign_verify(pub, body, strlen(body), sig, siglen) != 0) {
		rc = util_fail(cause, -EBADMSG, _("the QR code's signature does not verify: "
			       "its content was changed or it was not signed by this key"));
		goto out;
	}
	*fields = f;
	f = NULL;
out:
	json_decref(f);
	free(sig);
	free(body);
	return rc;
}

static json_t *signature_json(const struct sign_key *key, const char *digest,
			      const unsigned char *sig, size_t siglen)
{
	char fpr[65], *b64 = b64_encode(sig, siglen);
	struct jb b = { 0 };
	json_t *o = json_object();

	if (sign_fingerprint(key, fpr) < 0 || !b64) {
		free(b64);
		json_decref(o);
		return NULL;
	}
	jb_set(&b, o, "algorithm", json_string(algorithm_name(sign_key_type_of(key))));
	jb_set(&b, o, "key_fingerprint", json_string(fpr));
	jb_set(&b, o, "content_sha256", json_string(digest));
	jb_set(&b, o, "value", json_string(b64));
	free(b64);
	if (b.err) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int cert_sign(const json_t *cert, const struct sign_key *key, json_t **doc, char **cause)
{
	unsigned char *sig = NULL;
	size_t len, siglen = 0;
	char *canon = NULL, digest[65];
	json_t *sigobj = NULL;
	int rc;

	*doc = NULL;
	rc = cert_canonical(cert, &canon, &len, cause);
	if (rc)
		return rc;
	if (sha256_hex(canon, len, digest) < 0 || sign_data(key, canon, len, &sig, &siglen) < 0) {
		rc = util_fail(cause, -EIO, _("cannot sign the certificate"));
		goto out;
	}
	sigobj = signature_json(key, digest, sig, siglen);
	if (sigobj && !cert_is_v1(cert)) {
		char *sum = summary_sign(cert, key);

		if (!sum || json_object_set_new(sigobj, "summary_value", json_string(sum))) {
			json_decref(sigobj);
			sigobj = NULL;
		}
		free(sum);
	}
	*doc = sigobj ? json_pack("{s:O,s:o}", "certificate", (json_t *)cert,
			       "signature", sigobj) : NULL;
	if (!*doc)
		rc = util_fail(cause, -ENOMEM, _("cannot assemble the signed certificate"));
out:
	free(sig);
	free(canon);
	return rc;
}

/* ---- verification ------------------------------------------------------ */

static bool only_keys(const json_t *obj, const char *const *keys, size_t n)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)obj, k, v) {
		size_t i;

		for (i = 0; i < n && strcmp(keys[i], k) != 0; i++)
			;
		if (i == n)
			return false;
	}
	return json_object_size(obj) == n;
}

static int check_shape(const json_t *doc, char **cause)
{
	static const char *const top[] = { "certificate", "signature" };
	/* format 2 adds the signature of the summary (the QR code) */
	static const char *const sig[] = { "algorithm", "key_fingerprint", "content_sha256",
					   "value", "summary_value" };
	const json_t *s = json_object_get(doc, "signature");
	size_t nsig = UTIL_ARRAY_SIZE(sig);

	if (!json_is_object(doc) || !only_keys(doc, top, UTIL_ARRAY_SIZE(top)) ||
	    !json_is_object(json_object_get(doc, "certificate")))
		return util_fail(cause, -EINVAL, _("not a custos certificate document"));
	if (cert_is_v1(json_object_get(doc, "certificate")))
		nsig--;
	if (!json_is_object(s) || !only_keys(s, sig, nsig))
		return util_fail(cause, -EINVAL, _("the signature block is malformed"));
	for (size_t i = 0; i < nsig; i++)
		if (!str_at(s, sig[i]))
			return util_fail(cause, -EINVAL, _("signature.%s is missing"), sig[i]);
	return 0;
}

static bool id_well_formed(const char *id, const char *prefix)
{
	size_t p = prefix ? strlen(prefix) : 0;

	if (!id || !prefix || strncmp(id, prefix, p) != 0 || id[p] != '-')
		return false;
	id += p + 1;
	for (int i = 0; i < 11; i++) {
		bool digit = id[i] >= '0' && id[i] <= '9';

		if (i == 4 ? id[i] != '-' : !digit)
			return false;
	}
	return id[11] == '\0';
}

/* A signed destruction: two or more distinct witnesses, none the operator. */
static int check_signed_witnesses(const json_t *cert, char **cause)
{
	const json_t *w = json_object_get(json_object_get(cert, "destruction"), "witnesses");
	const char *names[CERT_MAX_WITNESSES];
	size_t n = json_array_size(w);

	if (n > CERT_MAX_WITNESSES)
		return util_fail(cause, -EBADMSG, _("a destruction with more than %d witnesses"),
				 CERT_MAX_WITNESSES);
	for (size_t i = 0; i < n; i++) {
		names[i] = str_at(json_array_get(w, i), "name");
		if (empty(names[i]))
			return util_fail(cause, -EBADMSG, _("a destruction witness without a name"));
	}
	return check_witness_names(names, n, str_at(json_object_get(cert, "operator"), "name"),
				   -EBADMSG, cause);
}

/* The rules a signed certificate must also satisfy: the schema, the id,
 * and that only an erased medium gets a certificate of sanitization. */
static int check_content(const json_t *cert, const char *fpr, char **cause)
{
	const json_t *st = json_object_get(cert, "station");
	const json_t *san = json_object_get(cert, "sanitization");
	const char *kind = str_at(cert, "kind"), *outcome = str_at(san, "outcome");
	const char *schema = str_at(cert, "schema");

	if (!schema || (strcmp(schema, CERT_SCHEMA) != 0 && strcmp(schema, CERT_SCHEMA_V1) != 0))
		return util_fail(cause, -EBADMSG, _("unknown certificate schema"));
	if (!id_well_formed(str_at(cert, "id"), str_at(st, "prefix")))
		return util_fail(cause, -EBADMSG, _("malformed certificate id"));
	if (!str_at(st, "key_fingerprint") || strcmp(str_at(st, "key_fingerprint"), fpr) != 0)
		return util_fail(cause, -EBADMSG, _("the station fingerprint inside the certificate "
				 "differs from the signing key's"));
	if (!kind)
		return util_fail(cause, -EBADMSG, _("the certificate has no kind"));
	if (strcmp(kind, "sanitization") == 0 && (!outcome || strcmp(outcome, "erased") != 0))
		return util_fail(cause, -EBADMSG, _("a certificate of sanitization for a medium "
				 "that was not erased"));
	if (strcmp(kind, "report") == 0 && (!outcome || strcmp(outcome, "erased") == 0))
		return util_fail(cause, -EBADMSG, _("a report without a failed outcome"));
	if (strcmp(kind, "destruction") == 0 && check_signed_witnesses(cert, cause) < 0)
		return -EBADMSG;
	if (strcmp(kind, "sanitization") && strcmp(kind, "report") && strcmp(kind, "destruction"))
		return util_fail(cause, -EBADMSG, _("unknown certificate kind \"%s\""), kind);
	return 0;
}

static int check_signature(const json_t *doc, const struct sign_key *pub, char **cause)
{
	const json_t *s = json_object_get(doc, "signature");
	unsigned char *sig = NULL;
	char *canon = NULL, fpr[65], digest[65];
	size_t len, siglen;
	int rc;

	if (sign_fingerprint(pub, fpr) < 0)
		return util_fail(cause, -EIO, _("cannot compute the key fingerprint"));
	if (strcmp(str_at(s, "key_fingerprint"), fpr) != 0)
		return util_fail(cause, -EBADMSG, _("signed by a key other than the one given: "
				 "the certificate names key %.16s..., this key is %.16s..."),
				 str_at(s, "key_fingerprint"), fpr);
	if (strcmp(str_at(s, "algorithm"), algorithm_name(sign_key_type_of(pub))) != 0)
		return util_fail(cause, -EBADMSG,
				 _("signature algorithm %s does not match the %s key"),
				 str_at(s, "algorithm"), sign_key_type_name(sign_key_type_of(pub)));
	rc = cert_canonical(json_object_get(doc, "certificate"), &canon, &len, cause);
	if (rc)
		return rc;
	if (sha256_hex(canon, len, digest) < 0 || strcmp(digest, str_at(s, "content_sha256"))) {
		rc = util_fail(cause, -EBADMSG, _("the content digest does not match: "
			       "the certificate was changed"));
		goto out;
	}
	if (b64_decode(str_at(s, "value"), &sig, &siglen) < 0) {
		rc = util_fail(cause, -EBADMSG, _("the signature value is not valid base64"));
		goto out;
	}
	rc = sign_verify(pub, canon, len, sig, siglen);
	if (rc)
		rc = util_fail(cause, -EBADMSG, _("the signature does not verify"));
	if (rc == 0)
		rc = check_content(json_object_get(doc, "certificate"), fpr, cause);
	if (rc == 0 && !cert_is_v1(json_object_get(doc, "certificate")))
		rc = summary_check(json_object_get(doc, "certificate"), str_at(s, "summary_value"),
				   pub, cause);
out:
	free(sig);
	free(canon);
	return rc;
}

int cert_verify_doc(const json_t *doc, const struct sign_key *pub, char **cause)
{
	int rc = check_shape(doc, cause);

	return rc ? rc : check_signature(doc, pub, cause);
}

static int parse_doc(const char *data, size_t len, json_t **doc, char **cause)
{
	json_error_t err;

	*doc = json_loadb(data, len, JSON_REJECT_DUPLICATES, &err);
	if (!*doc)
		return util_fail(cause, -EINVAL, _("not valid JSON (line %d: %s)"), err.line,
				 err.text);
	return 0;
}

int cert_verify(const char *data, size_t len, const struct sign_key *pub, json_t **doc,
		char **cause)
{
	json_t *d;
	int rc;

	if (doc)
		*doc = NULL;
	rc = parse_doc(data, len, &d, cause);
	if (rc)
		return rc;
	rc = cert_verify_doc(d, pub, cause);
	if (doc && rc != -EINVAL)
		*doc = json_incref(d);
	json_decref(d);
	return rc;
}

/* ---- numbering and issuing --------------------------------------------- */

static char *dir_of(const struct station *st, const struct cert_issue_opts *opts)
{
	if (opts && opts->cert_dir)
		return strdup(opts->cert_dir);
	return station_path(st, "certs");
}

static int year_of(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm))
		return 1970;
	return tm.tm_year + 1900;
}

/* .seq holds "<year> <last sequence>\n"; .seq.lock serialises issuers. */
static int file_seq_locked(const char *dir, int year, uint64_t *seq, char **cause)
{
	char *path = util_asprintf("%s/.seq", dir), *data = NULL, buf[64];
	unsigned long long y = 0, last = 0;
	int rc;

	if (!path)
		return util_fail(cause, -ENOMEM, _("out of memory"));
	rc = util_read_file(path, &data, NULL);
	if (rc == 0 && sscanf(data, "%llu %llu", &y, &last) != 2) {
		rc = util_fail(cause, -EBADMSG, _("%s is corrupt"), path);
		goto out;
	}
	if (rc && rc != -ENOENT) {
		rc = util_fail(cause, rc, _("cannot read %s"), path);
		goto out;
	}
	*seq = (y == (unsigned long long)year ? last : 0) + 1;
	snprintf(buf, sizeof(buf), "%d %" PRIu64 "\n", year, *seq);
	rc = util_write_file_atomic(path, buf, strlen(buf), 0640);
	if (rc)
		rc = util_fail(cause, rc, _("cannot write %s"), path);
out:
	free(data);
	free(path);
	return rc;
}

/*
 * Take the certificate directory's lock (.seq.lock) into *@fd and clean
 * what a killed issuer left: .seq's temps under this lock, the
 * certificates' once no issuer can still be writing them.
 */
int cert_dir_lock(const char *dir, int *fd, char **cause)
{
	char *lock = util_asprintf("%s/.seq.lock", dir);
	int rc = 0;

	*fd = -1;
	if (!lock)
		return util_fail(cause, -ENOMEM, _("out of memory"));
	*fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
	if (*fd < 0) {
		rc = util_fail(cause, -errno, _("cannot open %s"), lock);
	} else if (flock(*fd, LOCK_EX) < 0) {
		rc = util_fail(cause, -errno, _("cannot lock %s"), lock);
		util_close(*fd);
		*fd = -1;
	} else {
		util_clean_temps(dir, ".seq", 0);
		util_clean_temps(dir, "", 60);
	}
	free(lock);
	return rc;
}

static int file_seq(const char *dir, int year, uint64_t *seq, char **cause)
{
	int fd, rc = cert_dir_lock(dir, &fd, cause);

	if (rc < 0)
		return rc;
	rc = file_seq_locked(dir, year, seq, cause);
	util_close(fd);
	return rc;
}

static bool cert_exists(const char *dir, const char *id)
{
	char *p = util_asprintf("%s/%s.json", dir, id);
	bool ex = p && access(p, F_OK) == 0;

	free(p);
	return ex;
}

int cert_next_id(const struct station *st, const struct cert_issue_opts *opts, int64_t now,
		 char **id, char **cause)
{
	char *dir = dir_of(st, opts);
	int year = year_of(now), rc = 0;
	uint64_t seq;

	*id = NULL;
	if (!dir || empty(st->prefix)) {
		free(dir);
		return util_fail(cause, -EINVAL, _("the station has no certificate prefix"));
	}
	rc = util_mkdir_p(dir, 0700);
	if (rc)
		rc = util_fail(cause, rc, _("cannot create %s"), dir);
	if (rc == 0 && opts && opts->next_seq && !opts->dir_locked) {
		/* numbers come from elsewhere (the register): still clean up */
		int fd;

		rc = cert_dir_lock(dir, &fd, cause);
		if (rc == 0)
			util_close(fd);
	}
	/* A lost .seq must never lead to reusing an id: skip existing files. */
	for (int tries = 0; rc == 0 && !*id && tries < 1000; tries++) {
		if (opts && opts->next_seq)
			rc = opts->next_seq(opts->seq_data, year, &seq, cause);
		else
			rc = file_seq(dir, year, &seq, cause);
		if (rc == 0 && seq > 999999)
			rc = util_fail(cause, -ERANGE, _("certificate sequence exhausted for %d"),
				       year);
		if (rc == 0)
			*id = util_asprintf("%s-%04d-%06" PRIu64, st->prefix, year, seq);
		if (*id && (cert_exists(dir, *id) ||
			    (opts && opts->id_taken && opts->id_taken(opts->taken_data, *id)))) {
			if (opts && opts->orphan && opts->id_taken &&
			    !opts->id_taken(opts->taken_data, *id))
				rc = opts->orphan(opts->orphan_data, dir, *id, cause);
			free(*id);
			*id = NULL;
		}
	}
	if (rc == 0 && !*id)
		rc = util_fail(cause, -EEXIST, _("no free certificate id in %s"), dir);
	free(dir);
	return rc;
}

static int write_doc_json(const char *dir, const char *id, const json_t *doc, char **cause)
{
	char *path = util_asprintf("%s/%s.json", dir, id);
	char *text = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS);
	int rc = 0;

	if (!path || !text)
		rc = util_fail(cause, -ENOMEM, _("out of memory"));
	else if ((rc = util_write_file_atomic(path, text, strlen(text), CERT_FILE_MODE)))
		rc = util_fail(cause, rc, _("cannot write %s"), path);
	free(text);
	free(path);
	return rc;
}

static int write_pdf(const char *dir, const char *id, const unsigned char *pdf, size_t len,
		     char **cause)
{
	char *path = util_asprintf("%s/%s.pdf", dir, id);
	int rc;

	if (!path)
		return util_fail(cause, -ENOMEM, _("out of memory"));
	rc = util_write_file_atomic(path, pdf, len, CERT_FILE_MODE);
	if (rc)
		rc = util_fail(cause, rc, _("cannot write %s"), path);
	free(path);
	return rc;
}

static int make_doc(const struct cert_input *in, const struct station *st,
		    const struct sign_key *key, const char *id, int64_t now, json_t **doc,
		    char **cause)
{
	json_t *cert;
	int rc = cert_build(in, st, id, now, &cert, cause);

	if (rc)
		return rc;
	rc = cert_sign(cert, key, doc, cause);
	json_decref(cert);
	return rc;
}

int cert_issue(const struct cert_input *in, const struct station *st,
	       const struct sign_key *key, const struct cert_issue_opts *opts,
	       json_t **doc_out, char **id_out, char **cause)
{
	int64_t now = opts && opts->now ? opts->now : util_unix_now();
	char *dir = dir_of(st, opts), *id = NULL;
	unsigned char *pdf = NULL;
	json_t *doc = NULL;
	size_t pdflen = 0;
	int rc;

	rc = check_input(in, cause);
	if (rc == 0 && opts && opts->id) {
		id = strdup(opts->id);
		if (!id)
			rc = util_fail(cause, -ENOMEM, _("out of memory"));
	} else if (rc == 0) {
		rc = cert_next_id(st, opts, now, &id, cause);
	}
	if (rc == 0)
		rc = make_doc(in, st, key, id, now, &doc, cause);
	/* Render before writing anything, so a failure leaves no half pair. */
	if (rc == 0 && !(opts && opts->no_pdf))
		rc = cert_pdf_render(doc, &pdf, &pdflen, cause);
	if (rc == 0)
		rc = write_doc_json(dir, id, doc, cause);
	if (rc == 0 && pdf)
		rc = write_pdf(dir, id, pdf, pdflen, cause);
	if (rc == 0 && doc_out)
		*doc_out = json_incref(doc);
	if (rc == 0 && id_out) {
		*id_out = id;
		id = NULL;
	}
	json_decref(doc);
	free(pdf);
	free(id);
	free(dir);
	return rc;
}

/* ---- accessors, digest, QR --------------------------------------------- */

const char *cert_doc_id(const json_t *doc)
{
	return str_at(json_object_get(doc, "certificate"), "id");
}

const char *cert_doc_kind(const json_t *doc)
{
	return str_at(json_object_get(doc, "certificate"), "kind");
}

int cert_digest(const json_t *doc, char out[65], char **cause)
{
	char *canon;
	size_t len;
	int rc = cert_canonical(json_object_get(doc, "certificate"), &canon, &len, cause);

	if (rc)
		return rc;
	rc = sha256_hex(canon, len, out);
	free(canon);
	return rc ? util_fail(cause, rc, _("cannot hash the certificate")) : 0;
}

int cert_qr_payload(const json_t *doc, char **out, char **cause)
{
	const char *id = cert_doc_id(doc);
	const char *sig = str_at(json_object_get(doc, "signature"), "value");
	char digest[65];
	int rc;

	*out = NULL;
	if (!id || !sig)
		return util_fail(cause, -EINVAL, _("not a signed certificate"));
	if (!cert_is_v1(json_object_get(doc, "certificate"))) {
		const char *sum = str_at(json_object_get(doc, "signature"), "summary_value");
		char *body;

		if (!sum)
			return util_fail(cause, -EINVAL, _("the certificate has no signed summary"));
		rc = cert_summary_body(json_object_get(doc, "certificate"), &body, NULL, cause);
		if (rc)
			return rc;
		*out = util_asprintf("%s|%s", body, sum);
		free(body);
		return *out ? 0 : util_fail(cause, -ENOMEM, _("out of memory"));
	}
	rc = cert_digest(doc, digest, cause);
	if (rc)
		return rc;
	*out = util_asprintf(CERT_QR_PREFIX "|%s|%s|%s", id, digest, sig);
	return *out ? 0 : util_fail(cause, -ENOMEM, _("out of memory"));
}

int cert_qr_check(const json_t *doc, const char *payload, char **cause)
{
	char *want;
	size_t n;
	int rc = cert_qr_payload(doc, &want, cause);

	if (rc)
		return rc;
	n = strlen(payload);
	while (n && (payload[n - 1] == '\n' || payload[n - 1] == '\r'))
		n--;
	if (n != strlen(want) || memcmp(want, payload, n) != 0)
		rc = util_fail(cause, -EBADMSG, _("the QR code does not match this certificate"));
	free(want);
	return rc;
}

/* ---- display rows and text --------------------------------------------- */

enum fmt { F_STR, F_INT, F_SIZE, F_DUR, F_RATE, F_PASSES, F_RANGES, F_PERSON, F_PEOPLE,
	   F_TOOL, F_VERIFY, F_CODE, F_TIME, F_READ };

struct field {
	const char *path;	/* dotted path inside "certificate" */
	const char *en;
	const char *zh;
	enum fmt fmt;
	enum value_kind vk;	/* F_CODE: the kind of code */
};

struct section {
	const char *en;
	const char *zh;
	const struct field *fields;
	size_t n;
};

static const struct field f_cert[] = {
	{ "id", "Certificate no.", "证书编号", F_STR },
	{ "kind", "Kind", "类型", F_CODE, VALUE_CERT_KIND },
	{ "issued", "Issued", "签发时间", F_TIME, 0 },
	{ "station.organisation", "Organisation", "单位", F_STR },
	{ "station.name", "Station", "工作站", F_STR },
	{ "tool", "Tool", "工具及版本", F_TOOL },
	{ "guideline", "Guideline", "依据", F_STR },
	{ "operator", "Performed by", "操作人", F_PERSON },
	{ "validator", "Validated by", "审核人", F_PERSON },
};

static const struct field f_medium[] = {
	{ "medium.register_no", "Register no.", "登记编号", F_STR },
	{ "medium.asset_tag", "Asset tag", "资产编号", F_STR },
	{ "medium.media_type", "Media type", "介质类型", F_CODE, VALUE_MEDIA },
	{ "medium.vendor", "Vendor", "厂商", F_STR },
	{ "medium.model", "Model", "型号", F_STR },
	{ "medium.serial", "Serial number", "序列号", F_STR },
	{ "medium.wwn", "WWN", "全球名称", F_STR },
	{ "medium.firmware", "Firmware", "固件版本", F_STR },
	{ "medium.capacity_bytes", "Capacity", "容量", F_SIZE },
	{ "medium.transport", "Interface", "接口", F_CODE, VALUE_TRANSPORT },
	{ "medium.classification_before", "Classification before", "原密级", F_CODE,
	  VALUE_LEVEL },
	{ "medium.classification_after", "Classification after", "处理后密级", F_CODE,
	  VALUE_LEVEL },
	{ "medium.custodian", "Custodian", "责任人", F_STR },
	{ "medium.department", "Department", "使用部门", F_STR },
	{ "medium.source_host", "Source", "来源主机", F_STR },
};

static const struct field f_san[] = {
	{ "sanitization.nist_category", "NIST category", "消除级别", F_CODE, VALUE_NIST },
	{ "sanitization.nist_category_intended", "Category intended", "预定级别", F_CODE,
	  VALUE_NIST },
	{ "sanitization.method", "Method", "方法", F_CODE, VALUE_METHOD },
	{ "sanitization.profile", "Profile", "方案", F_STR },
	{ "sanitization.rule", "Approved rule", "依据规则", F_STR },
	{ "sanitization.passes", "Passes", "覆写遍次", F_PASSES },
	{ "sanitization.firmware_command", "Firmware command", "固件命令", F_STR },
	{ "sanitization.hidden_areas", "Hidden areas (HPA/DCO)", "隐藏区域", F_STR },
	{ "sanitization.start", "Start", "开始时间", F_TIME, 0 },
	{ "sanitization.end", "End", "结束时间", F_TIME, 0 },
	{ "sanitization.duration_seconds", "Duration", "用时", F_DUR },
	{ "sanitization.throughput_bytes_per_second", "Throughput", "速率", F_RATE },
	{ "sanitization.interruptions", "Interruptions", "中断次数", F_INT },
	{ "sanitization.resumes", "Resumes", "恢复次数", F_INT },
};

static const struct field f_verify[] = {
	{ "sanitization.verification", "Verification", "验证方式", F_VERIFY },
	{ "sanitization.verification.read_path", "Read path", "读取路径", F_READ, 0 },
	{ "sanitization.verification.bytes_verified", "Bytes verified", "已验证", F_SIZE },
	{ "sanitization.outcome", "Result", "结果", F_CODE, VALUE_OUTCOME },
	{ "sanitization.errors", "Errors", "错误数", F_INT },
	{ "sanitization.bad_ranges", "Bad ranges", "坏区", F_RANGES },
	{ "sanitization.marker_proof", "Marker proof", "标记验证", F_STR },
};

static const struct field f_destr[] = {
	{ "destruction.nist_category", "NIST category", "级别", F_CODE, VALUE_NIST },
	{ "destruction.method", "Method", "销毁方式", F_CODE, VALUE_DESTROY },
	{ "destruction.place", "Place", "销毁地点", F_STR },
	{ "destruction.time", "Time", "销毁时间", F_TIME, 0 },
	{ "destruction.witnesses", "Witnesses", "监销人", F_PEOPLE },
};

static const struct field f_dest[] = {
	{ "destination", "Destination", "去向", F_CODE, VALUE_DEST },
	{ "register_event_hash", "Register event", "登记事件哈希", F_STR },
	{ "notes", "Notes", "备注", F_STR },
};

#define SECTION(en, zh, f) { en, zh, f, UTIL_ARRAY_SIZE(f) }

static const struct section sec_san[] = {
	SECTION("Certificate", "证书", f_cert), SECTION("Medium", "介质信息", f_medium),
	SECTION("Sanitization", "信息消除", f_san), SECTION("Verification", "验证", f_verify),
	SECTION("Destination", "去向", f_dest),
};

static const struct section sec_destr[] = {
	SECTION("Certificate", "证书", f_cert), SECTION("Medium", "介质信息", f_medium),
	SECTION("Destruction", "销毁", f_destr), SECTION("Destination", "去向", f_dest),
};

static const json_t *lookup(const json_t *obj, const char *path)
{
	char key[64];

	while (obj && *path) {
		size_t n = strcspn(path, ".");

		if (n >= sizeof(key))
			return NULL;
		memcpy(key, path, n);
		key[n] = '\0';
		if (json_is_array(obj))
			obj = json_array_get(obj, strtoul(key, NULL, 10));
		else
			obj = json_object_get(obj, key);
		path += n + (path[n] == '.');
	}
	return obj;
}

/* "1: 00 (2.0 MiB, verified)"; format 2 (@zh): "1: 00 (2.0 MiB, 已验证 verified)". */
static void fmt_passes(FILE *f, const json_t *a, bool zh)
{
	size_t i;
	json_t *p;
	char sz[32];

	json_array_foreach((json_t *)a, i, p) {
		util_format_size((uint64_t)json_integer_value(json_object_get(p, "bytes")), sz,
				 sizeof(sz));
		fprintf(f, "%s%zu: %s (%s%s)", i ? "; " : "", i + 1,
			str_at(p, "pattern") ? str_at(p, "pattern") : "?", sz,
			json_is_true(json_object_get(p, "verified")) ?
			(zh ? ", 已验证 verified" : ", verified") :
			json_is_true(json_object_get(p, "verified_by_sampling")) ?
			(zh ? ", 抽样验证 sampled" : ", sampled") : "");
	}
	if (json_array_size(a) == 0)
		fputs(zh ? "无 none" : "none", f);
}

static void fmt_ranges(FILE *f, const json_t *a)
{
	size_t i, n = json_array_size(a);
	json_t *r;

	json_array_foreach((json_t *)a, i, r) {
		if (i == 8) {
			fprintf(f, "; ... %zu more (see JSON)", n - i);
			break;
		}
		fprintf(f, "%s%" JSON_INTEGER_FORMAT "+%" JSON_INTEGER_FORMAT, i ? "; " : "",
			json_integer_value(json_object_get(r, "offset")),
			json_integer_value(json_object_get(r, "length")));
	}
	if (n == 0)
		fputs("none", f);
}

static void fmt_scalar(FILE *f, const json_t *v, enum fmt fmt)
{
	uint64_t n = json_is_integer(v) ? (uint64_t)json_integer_value(v) : 0;
	char buf[48];

	if (fmt == F_SIZE) {
		util_format_size(n, buf, sizeof(buf));
		fprintf(f, "%s (%" PRIu64 " bytes)", buf, n);
	} else if (fmt == F_DUR) {
		util_format_duration(n, buf, sizeof(buf));
		fputs(buf, f);
	} else if (fmt == F_RATE) {
		util_format_size(n, buf, sizeof(buf));
		fprintf(f, "%s/s", buf);
	} else if (json_is_integer(v)) {
		fprintf(f, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	} else if (json_is_string(v)) {
		fputs(json_string_value(v), f);
	} else {
		fputs(json_is_true(v) ? "yes" : json_is_false(v) ? "no" : "-", f);
	}
}

static void fmt_pair(FILE *f, const json_t *v, const char *a, const char *b, const char *sep)
{
	const char *x = str_at(v, a), *y = str_at(v, b);

	fprintf(f, "%s%s%s", x ? x : "-", y && *y ? sep : "", y && *y ? y : "");
}

/* A list of people: "A; B, title; C". */
static void fmt_people(FILE *f, const json_t *v)
{
	for (size_t i = 0; i < json_array_size(v); i++) {
		fputs(i ? "; " : "", f);
		fmt_pair(f, json_array_get(v, i), "name", "title", ", ");
	}
	if (json_array_size(v) == 0)
		fputs("-", f);
}

static void fmt_verify(FILE *f, const json_t *v)
{
	char *t = verification_text(v);

	fputs(t && *t ? t : "-", f);
	free(t);
}

/* The UTC offset the certificate was issued in, from "issued_local"
 * ("...+08:00"): format 2 prints every time in it, so a page reads the
 * same wherever it is drawn again.  false: none (format 1). */
static bool cert_offset(const json_t *cert, long *off)
{
	const char *l = str_at(cert, "issued_local");
	size_t n = l ? strlen(l) : 0;
	const char *z = l + (n >= 6 ? n - 6 : 0);

	if (n < 6 || (z[0] != '+' && z[0] != '-') || !isdigit((unsigned char)z[1]) ||
	    !isdigit((unsigned char)z[2]) || z[3] != ':' || !isdigit((unsigned char)z[4]) ||
	    !isdigit((unsigned char)z[5]))
		return false;
	*off = ((z[1] - '0') * 10 + (z[2] - '0')) * 3600L + ((z[4] - '0') * 10 + (z[5] - '0')) * 60L;
	if (z[0] == '-')
		*off = -*off;
	return true;
}

/* "2026年12月4日 11:20 +08:00": @iso (UTC) in the certificate's offset
 * (the signed JSON keeps the second); text that is not a time is printed
 * as it is. */
static void fmt_time(FILE *f, const json_t *cert, const json_t *v)
{
	const char *iso = json_string_value(v);
	int64_t t;
	long off;
	time_t tt;
	struct tm tm;

	if (!iso || util_time_parse(iso, &t) < 0 || !cert_offset(cert, &off)) {
		fputs(iso ? iso : "-", f);
		return;
	}
	tt = (time_t)(t + off);
	if (!gmtime_r(&tt, &tm)) {
		fputs(iso, f);
		return;
	}
	fprintf(f, "%d年%d月%d日 %02d:%02d %c%02ld:%02ld", tm.tm_year + 1900, tm.tm_mon + 1,
		tm.tm_mday, tm.tm_hour, tm.tm_min, off < 0 ? '-' : '+', labs(off) / 3600,
		labs(off) % 3600 / 60);
}

static void fmt_code(FILE *f, const json_t *v, enum value_kind vk)
{
	char *t = values_bilingual(vk, json_string_value(v));

	if (t)
		fputs(t, f);
	free(t);
}


/* Format 2: how the verification read the medium, in Chinese, then as
 * recorded by blkio_read_path(). */
static void fmt_read(FILE *f, const json_t *v)
{
	const char *s = json_string_value(v);
	const char *zh = !s ? NULL : strcmp(s, "direct") == 0 ? "直接读取" :
			 strncmp(s, "direct+buffered", 15) == 0 ? "直接读取，末尾缓冲读取" :
			 strncmp(s, "buffered", 8) == 0 ? "缓冲读取" : NULL;

	if (zh)
		fprintf(f, "%s (%s)", zh, s);
	else
		fputs(s ? s : "-", f);
}

/* Format 2: "name, title, phone". */
static void fmt_person(FILE *f, const json_t *v)
{
	const char *parts[] = { str_at(v, "name"), str_at(v, "title"), str_at(v, "phone") };

	fputs(parts[0] && *parts[0] ? parts[0] : "-", f);
	for (size_t i = 1; i < UTIL_ARRAY_SIZE(parts); i++)
		if (parts[i] && *parts[i])
			fprintf(f, ", %s", parts[i]);
}

/* Format 2: the verification in Chinese, then as recorded. */
static void fmt_verify_zh(FILE *f, const json_t *v)
{
	const char *zh = values_zh(VALUE_VERIFY, str_at(v, "mode"));
	char *t = verification_text(v);

	if (zh && t && *t)
		fprintf(f, "%s (%s)", zh, t);
	else
		fputs(t && *t ? t : "-", f);
	free(t);
}

/* Format 2 prints codes in Chinese with English, times in the issuing
 * offset, people with title and phone; format 1 as it was drawn then. */
static bool format_v2(FILE *f, const json_t *cert, const json_t *v, const struct field *fd)
{
	if (cert_is_v1(cert))
		return false;
	if (fd->fmt == F_CODE)
		fmt_code(f, v, fd->vk);
	else if (fd->fmt == F_TIME)
		fmt_time(f, cert, v);
	else if (fd->fmt == F_PERSON)
		fmt_person(f, v);
	else if (fd->fmt == F_PEOPLE && json_array_size(v) == 0)
		fputs("-", f);
	else if (fd->fmt == F_PEOPLE)
		for (size_t i = 0; i < json_array_size(v); i++) {
			fputs(i ? "; " : "", f);
			fmt_person(f, json_array_get(v, i));
		}
	else if (fd->fmt == F_VERIFY)
		fmt_verify_zh(f, v);
	else if (fd->fmt == F_PASSES)
		fmt_passes(f, v, true);
	else if (fd->fmt == F_READ)
		fmt_read(f, v);
	else if (fd->fmt == F_RANGES && json_array_size(v) == 0)
		fputs("无 none", f);
	else
		return false;
	return true;
}

static char *format_value(const json_t *cert, const struct field *fd)
{
	const json_t *v = lookup(cert, fd->path);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	if (!v || json_is_null(v))
		fputs("-", f);
	else if (format_v2(f, cert, v, fd))
		;
	else if (fd->fmt == F_PASSES)
		fmt_passes(f, v, false);
	else if (fd->fmt == F_RANGES)
		fmt_ranges(f, v);
	else if (fd->fmt == F_PERSON)
		fmt_pair(f, v, "name", "title", ", ");
	else if (fd->fmt == F_PEOPLE)
		fmt_people(f, v);
	else if (fd->fmt == F_TOOL)
		fmt_pair(f, v, "name", "version", " ");
	else if (fd->fmt == F_VERIFY)
		fmt_verify(f, v);
	else
		fmt_scalar(f, v, fd->fmt);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

void cert_rows_free(struct cert_row *rows, size_t n)
{
	for (size_t i = 0; rows && i < n; i++)
		free(rows[i].value);
	free(rows);
}

int cert_rows(const json_t *doc, struct cert_row **rows, size_t *n, char **cause)
{
	const json_t *cert = json_object_get(doc, "certificate");
	const char *kind = str_at(cert, "kind");
	bool destr = kind && strcmp(kind, "destruction") == 0;
	const struct section *secs = destr ? sec_destr : sec_san;
	size_t nsec = destr ? UTIL_ARRAY_SIZE(sec_destr) : UTIL_ARRAY_SIZE(sec_san), total = 0;
	struct cert_row *r;

	*rows = NULL;
	*n = 0;
	for (size_t s = 0; s < nsec; s++)
		total += secs[s].n;
	r = calloc(total, sizeof(*r));
	if (!r || !json_is_object(cert)) {
		free(r);
		return util_fail(cause, r ? -EINVAL : -ENOMEM, _("not a certificate document"));
	}
	for (size_t s = 0; s < nsec; s++) {
		for (size_t i = 0; i < secs[s].n; i++, (*n)++) {
			r[*n] = (struct cert_row){ secs[s].en, secs[s].zh, secs[s].fields[i].en,
						   secs[s].fields[i].zh, NULL };
			r[*n].value = format_value(cert, &secs[s].fields[i]);
			if (!r[*n].value) {
				cert_rows_free(r, *n);
				*n = 0;
				return util_fail(cause, -ENOMEM, _("out of memory"));
			}
		}
	}
	*rows = r;
	return 0;
}

static void text_rows(FILE *f, const struct cert_row *rows, size_t n)
{
	const char *sec = NULL;

	for (size_t i = 0; i < n; i++) {
		if (sec != rows[i].section_en) {
			sec = rows[i].section_en;
			fprintf(f, "\n%s / %s\n", rows[i].section_en, rows[i].section_zh);
		}
		/* bilingual, as on the page: "证书编号 Certificate no." */
		char *label = util_asprintf("%s %s", rows[i].label_zh, rows[i].label_en);
		int w = label ? util_display_width(label) : 0;

		fprintf(f, "  %s%*s %s\n", label ? label : rows[i].label_en, w < 36 ? 36 - w : 0,
			"", rows[i].value);
		free(label);
	}
}

int cert_text(const json_t *doc, char **out, char **cause)
{
	const json_t *cert = json_object_get(doc, "certificate");
	const json_t *sig = json_object_get(doc, "signature");
	struct cert_row *rows;
	size_t n, len = 0;
	FILE *f;
	int rc = cert_rows(doc, &rows, &n, cause);

	*out = NULL;
	if (rc)
		return rc;
	f = open_memstream(out, &len);
	if (!f) {
		cert_rows_free(rows, n);
		return util_fail(cause, -ENOMEM, _("out of memory"));
	}
	fprintf(f, "%s\n%s\n", str_at(cert, "title") ? str_at(cert, "title") : "?",
		str_at(cert, "title_zh") ? str_at(cert, "title_zh") : "");
	text_rows(f, rows, n);
	fprintf(f, "\nSignature / 签名\n  %-24s %s\n  %-24s %s\n  %-24s %s\n", "Algorithm",
		str_at(sig, "algorithm") ? str_at(sig, "algorithm") : "-", "Key fingerprint",
		str_at(sig, "key_fingerprint") ? str_at(sig, "key_fingerprint") : "-",
		"Content SHA-256",
		str_at(sig, "content_sha256") ? str_at(sig, "content_sha256") : "-");
	cert_rows_free(rows, n);
	if (fclose(f) != 0) {
		free(*out);
		*out = NULL;
		return util_fail(cause, -ENOMEM, _("out of memory"));
	}
	return 0;
}

/* ---- files ------------------------------------------------------------- */

static bool is_pdf(const char *data, size_t len)
{
	return len >= 5 && memcmp(data, "%PDF-", 5) == 0;
}

int cert_load_file(const char *path, json_t **doc, char **cause)
{
	char *data = NULL;
	size_t len = 0;
	json_t *docs;
	/* a regular file of bounded size: never a FIFO or /dev/zero */
	int rc = util_read_bounded(path, UTIL_DOCUMENT_MAX, &data, &len, cause);

	*doc = NULL;
	if (rc)
		return rc;
	if (!is_pdf(data, len)) {
		rc = parse_doc(data, len, doc, cause);
		goto out;
	}
	rc = cert_pdf_extract(data, len, &docs, cause);
	if (rc == 0) {
		*doc = json_incref(json_array_get(docs, 0));
		json_decref(docs);
		if (!*doc)
			rc = util_fail(cause, -ENOENT, _("%s holds no certificate"), path);
	}
out:
	free(data);
	return rc;
}

int cert_find(const char *cert_dir, const char *ref, char **path, char **cause)
{
	*path = NULL;
	if (strchr(ref, '/') || access(ref, F_OK) == 0) {
		*path = strdup(ref);
	} else {
		/* The register lookup (certificate id, medium) is the CLI's,
		 * before it falls back here: cert stays independent of it. */
		*path = util_asprintf("%s/%s.json", cert_dir, ref);
		if (*path && access(*path, F_OK) != 0) {
			free(*path);
			*path = NULL;
			return util_fail(cause, -ENOENT, _("no certificate %s in %s"), ref, cert_dir);
		}
	}
	return *path ? 0 : util_fail(cause, -ENOMEM, _("out of memory"));
}

/* ---- printing ----------------------------------------------------------- */

static const char lp_missing[] = "the CUPS client `lp` is not installed (Debian: cups-client)";

int cert_print_start(const char *printer, const char *title, const char *file, pid_t *pid,
		     char **cause)
{
	posix_spawn_file_actions_t fa;
	const char *argv[8];
	int n = 0, rc;

	argv[n++] = "lp";
	if (printer && *printer) {
		argv[n++] = "-d";
		argv[n++] = printer;
	}
	argv[n++] = "-t";
	argv[n++] = title;
	argv[n++] = "--";
	argv[n++] = file;
	argv[n] = NULL;
	rc = posix_spawn_file_actions_init(&fa);
	if (rc != 0)
		return util_fail(cause, -rc, _("cannot run lp: %s"), strerror(rc));
	rc = posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	if (rc == 0)
		rc = posix_spawn_file_actions_adddup2(&fa, STDERR_FILENO, STDOUT_FILENO);
	if (rc == 0)
		rc = posix_spawnp(pid, "lp", &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc == ENOENT)
		return util_fail(cause, -ENOENT, "%s", lp_missing);
	if (rc != 0)
		return util_fail(cause, -rc, _("cannot run lp: %s"), strerror(rc));
	return 0;
}

int cert_print_status(int status, const char *printer, char **cause)
{
	bool named = printer && *printer;

	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return util_fail(cause, -ENOENT, "%s", lp_missing);
	if (!WIFEXITED(status))
		return util_fail(cause, -EINTR, _("lp was stopped by signal %d"),
				 WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	return util_fail(cause, -EIO, _("lp failed (exit %d): is the CUPS scheduler running and a "
			 "printer%s%s configured?"), WEXITSTATUS(status), named ? " " : "",
			 named ? printer : "");
}

int cert_print(const char *printer, const char *title, const char *file, char **cause)
{
	int status, rc;
	pid_t pid;

	rc = cert_print_start(printer, title, file, &pid, cause);
	if (rc < 0)
		return rc;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return util_fail(cause, -errno, _("waiting for lp: %s"), strerror(errno));
	return cert_print_status(status, printer, cause);
}
