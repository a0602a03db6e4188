/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CUSTOS_CERT_H
#define CUSTOS_CERT_H

/*
 * cert: certificates of sanitization and destruction as signed JSON, and
 * their A4 PDF rendering.
 *
 * Document file <id>.json:
 *   { "certificate": { ...fields... },
 *     "signature": { "algorithm": "ed25519" | "sm2-sm3",
 *                    "key_fingerprint": "<sha256 hex of the public key>",
 *                    "content_sha256": "<sha256 hex of the canonical bytes>",
 *                    "value": "<base64 signature>" } }
 *
 * Format 1 canonical form (what was signed and hashed): the "certificate" object
 * serialised by jansson with JSON_COMPACT | JSON_SORT_KEYS |
 * JSON_ENSURE_ASCII.  Every non-ASCII character is written as a \uXXXX
 * escape, so the signed bytes are pure ASCII and survive any transcoding,
 * while parsing gives back the original UTF-8.  Certificates hold strings,
 * integers, booleans, null, arrays and objects only: never reals, whose
 * printing is not canonical.  Verification re-serialises the parsed object,
 * so the on-disk file is written indented in plain UTF-8 for people to read;
 * duplicate keys are rejected.  content_sha256 is the SHA-256 of the
 * canonical bytes (also in the QR code); Ed25519 signs the canonical bytes
 * directly, SM2 signs their SM3 digest with the default identifier.
 *
 * Kinds: "sanitization" (outcome "erased"), "destruction", and "report": a
 * sanitization job whose outcome is not "erased" (failed, aborted,
 * unverified, ...) always yields a report titled "SANITIZATION REPORT -
 * NOT ERASED (<outcome>)", never a certificate of erasure.
 *
 * Certificate id: "<prefix>-<year>-<6-digit sequence>".  The sequence is
 * kept per station and year in <cert-dir>/.seq under an flock; ids whose
 * <id>.json exists, or that opts->id_taken reports as used (the register:
 * register_cert_id_taken), are skipped, so certificates written to
 * different directories never share an id in the register.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "sign.h"
#include "station.h"

/* The format version: format 2 signs the RFC 8785 (JCS) form and carries a
 * signed summary for the QR code; format 1 (jansson's ASCII form, see
 * above) is still verified.  custos-certificate(5) is the specification. */
#define CERT_SCHEMA "custos-certificate/2"
#define CERT_SCHEMA_V1 "custos-certificate/1"
/* Format 1 QR payload: CUSTOS1|<id>|<sha256 hex of canonical content>|<base64 signature> */
#define CERT_QR_PREFIX "CUSTOS1"
/* Format 2 QR payload: the signed summary, CUSTOS2|<17 fields>|<base64 signature> */
#define CERT_QR2_PREFIX "CUSTOS2"
#define CERT_QR_NFIELDS 17
/* The name of the attached signed document in a one-certificate PDF, and
 * the XMP namespace of the document list. */
#define CERT_PDF_ATTACHMENT "certificate.json"
#define CERT_XMP_NS "urn:custos:certificate:2#"
/* The one font family every PDF uses (Debian fonts-wqy-microhei: Latin + CJK). */
#define CERT_FONT_FAMILY "WenQuanYi Micro Hei"

enum cert_kind { CERT_KIND_SANITIZATION, CERT_KIND_DESTRUCTION, CERT_KIND_REPORT };

struct cert_person {
	const char *name;	/* UTF-8; NULL = to be filled in by hand */
	const char *title;
	const char *phone;	/* from the roster; NULL = none (format 2) */
};

struct cert_medium {
	const char *register_no;	/* register number (登记编号) */
	const char *asset_tag;		/* asset / property number */
	const char *media_type;		/* "hdd", "ssd", "nvme", "usb", "sd", ... */
	const char *vendor;
	const char *model;
	const char *serial;
	const char *wwn;
	const char *firmware;
	uint64_t capacity_bytes;
	const char *transport;		/* "sata", "nvme", "usb", ... */
	const char *class_before;	/* 密级 before */
	const char *class_after;	/* 密级 after (never lower) */
	const char *custodian;		/* 责任人 */
	const char *department;		/* 使用处室 */
	const char *source_host;	/* the PC it came from, when known */
};

struct cert_pass {
	const char *pattern;	/* literal: "00", "ff", "55 aa", "random aes-128-ctr seed=..." */
	uint64_t bytes;		/* bytes written by this pass */
	bool verified;		/* this pass was read back */
};

struct cert_range {
	uint64_t offset;	/* bytes */
	uint64_t length;
};

struct cert_sanitization {
	const char *nist_category;	/* "clear" | "purge" | "destroy" */
	const char *method;		/* "overwrite" | "block-erase" | "crypto-erase" | ... */
	const char *profile;		/* profile name */
	const char *rule;		/* approved rule the category comes from */
	const struct cert_pass *passes;
	size_t n_passes;
	const char *firmware_command;	/* e.g. "ATA SANITIZE CRYPTO SCRAMBLE EXT"; NULL if none */
	const char *hidden_areas;	/* HPA/DCO findings, free text */
	const char *verify_mode;	/* "full" | "sampled ..." | "firmware-status" | "none" */
	const char *read_path;		/* e.g. "O_DIRECT /dev/sdb" */
	uint64_t bytes_verified;
	const char *outcome;		/* "erased" | "failed" | "aborted" | "unverified" */
	uint64_t errors;
	const struct cert_range *bad_ranges;
	size_t n_bad_ranges;
	const char *marker_proof;	/* firmware erase marker evidence; NULL if none */
	int64_t start;			/* unix seconds */
	int64_t end;
	uint64_t throughput;		/* bytes per second, averaged */
	unsigned interruptions;
	unsigned resumes;
};

#define CERT_MAX_WITNESSES 16	/* the policy's maximum */

struct cert_destruction {
	const char *method;	/* "shred", "degauss", "incinerate", ... */
	const char *place;
	int64_t time;		/* unix seconds */
	/* 监销人: at least two distinct people, none the operator; the list
	 * ends at the first entry without a name (cert_witnesses()). */
	struct cert_person witnesses[CERT_MAX_WITNESSES];
};

/* How many witnesses @d names (the leading entries with a name). */
size_t cert_witnesses(const struct cert_destruction *d);

struct cert_input {
	enum cert_kind kind;	/* SANITIZATION or DESTRUCTION; REPORT is derived */
	struct cert_person operator_;	/* performing (操作人 / 销毁人) */
	struct cert_person validator;	/* a second person (审核人) */
	struct cert_medium medium;
	struct cert_sanitization san;	/* kind SANITIZATION */
	struct cert_destruction destruction;	/* kind DESTRUCTION */
	const char *destination;	/* "internal-reuse" | "external-reuse" | "recycling" |
					   "destruction" | "manufacturer" | other text */
	const char *event_hash;		/* hash of the register event it belongs to */
	const char *notes;
};

/* Sequence seam: give the next sequence number for @year.  The default
 * (NULL) keeps it in <cert_dir>/.seq under an exclusive flock. */
typedef int (*cert_seq_fn)(void *data, int year, uint64_t *seq, char **cause);

/* Id seam: true when @id is already used elsewhere (the register), so
 * cert_next_id() skips it like an existing <id>.json in the cert dir. */
typedef bool (*cert_taken_fn)(void *data, const char *id);

struct cert_issue_opts {
	const char *cert_dir;	/* NULL: <state-dir>/certs */
	cert_seq_fn next_seq;	/* NULL: the .seq file */
	void *seq_data;
	cert_taken_fn id_taken;	/* NULL: only files in cert_dir count */
	void *taken_data;
	int64_t now;		/* issue time; 0: now */
	bool no_pdf;		/* write only <id>.json */
	const char *id;		/* an id reserved with cert_next_id(); NULL: the next */
	/* A file <id>.json exists for the next number but @id_taken says the
	 * register does not hold it (an issuer killed between writing the
	 * file and recording it): 0 when the callback recorded it (the number
	 * is then taken and the next one tried), else a negative errno and
	 * no number.  NULL: such a number is skipped. */
	int (*orphan)(void *data, const char *dir, const char *id, char **cause);
	void *orphan_data;
	bool dir_locked;	/* the caller holds cert_dir_lock() from the number to
				 * the record: other processes issue after it */
};

/* Lock the certificate directory @dir (its .seq.lock, flock: other
 * processes wait) into *@fd (close it to unlock), and remove what a killed
 * issuer left there. */
int cert_dir_lock(const char *dir, int *fd, char **cause);

/* Check the input and build the unsigned "certificate" object (new
 * reference).  -EINVAL with a cause when a required field is missing, the
 * validator is the operator, or the witnesses are not at least two distinct
 * people other than the operator. */
int cert_build(const struct cert_input *in, const struct station *st, const char *id,
	       int64_t issued, json_t **out, char **cause);

/* True when @cert's verification read a sample of the medium only. */
bool cert_verified_by_sampling(const json_t *cert);

/* True for a format-1 certificate object (schema custos-certificate/1). */
bool cert_is_v1(const json_t *cert);

/* The canonical bytes of a certificate object (malloc'd, NUL-terminated):
 * RFC 8785 for format 2, jansson's ASCII form for format 1. */
int cert_canonical(const json_t *cert, char **out, size_t *len, char **cause);

/* Sign @cert with @key: returns the whole document (new reference). */
int cert_sign(const json_t *cert, const struct sign_key *key, json_t **doc, char **cause);

/* Parse document bytes (JSON) and verify: structure, content rules, the
 * content digest, the key fingerprint against @pub, and the signature.
 * *@doc (optional) receives the parsed document.  -EBADMSG with a cause
 * on any mismatch; -EINVAL when the bytes are not a certificate. */
int cert_verify(const char *data, size_t len, const struct sign_key *pub, json_t **doc,
		char **cause);
int cert_verify_doc(const json_t *doc, const struct sign_key *pub, char **cause);

/* Allocate the next id "<prefix>-<year>-<seq>" (malloc'd). */
int cert_next_id(const struct station *st, const struct cert_issue_opts *opts, int64_t now,
		 char **id, char **cause);

/* Build, sign and write <id>.json (and <id>.pdf) atomically into the cert
 * directory: the one call the sanitize job and `destroy` make.  *@doc
 * (optional) receives the signed document, *@id_out (optional) the id. */
int cert_issue(const struct cert_input *in, const struct station *st,
	       const struct sign_key *key, const struct cert_issue_opts *opts,
	       json_t **doc, char **id_out, char **cause);

/* Convenience accessors on a document. */
const char *cert_doc_id(const json_t *doc);
const char *cert_doc_kind(const json_t *doc);
/* SHA-256 hex of the canonical content (65 bytes). */
int cert_digest(const json_t *doc, char out[65], char **cause);

/* QR payload "CUSTOS1|<id>|<sha256hex>|<sigbase64>" (malloc'd). */
int cert_qr_payload(const json_t *doc, char **out, char **cause);
/* 0 when @payload is the QR payload of @doc, -EBADMSG otherwise. */
int cert_qr_check(const json_t *doc, const char *payload, char **cause);

/* The signed summary of a format-2 certificate object without its
 * signature: "CUSTOS2|kind|id|...|key_id" (malloc'd). */
int cert_summary_body(const json_t *cert, char **out, size_t *len, char **cause);
/* Check a format-2 QR payload with nothing but @pub: *@fields receives
 * the signed fields (object, in order; names from cert_qr_field_name()).
 * -EINVAL: not a format-2 payload; -EBADMSG: a bad signature or key. */
int cert_qr_verify(const char *payload, const struct sign_key *pub, json_t **fields,
		   char **cause);
const char *cert_qr_field_name(size_t i);
/* Decode the QR codes of a PNG image (libzbar): the first custos payload
 * found (malloc'd).  -ENOENT: none found. */
int cert_qr_scan_png(const char *path, char **payload, char **cause);

/* The document as display rows, shared by the text and PDF renderings:
 * bilingual section and field labels and a formatted value. */
struct cert_row {
	const char *section_en;
	const char *section_zh;
	const char *label_en;
	const char *label_zh;
	char *value;		/* malloc'd UTF-8; "-" when absent */
};
int cert_rows(const json_t *doc, struct cert_row **rows, size_t *n, char **cause);
void cert_rows_free(struct cert_row *rows, size_t n);

/* Human-readable text rendering (malloc'd). */
int cert_text(const json_t *doc, char **out, char **cause);

/* Load a document from <id>.json or from the certificate embedded in a PDF
 * written by cert_pdf_* (first one for a multi-certificate PDF). */
int cert_load_file(const char *path, json_t **doc, char **cause);

/* Resolve REF (a path, or an id looked up as <cert_dir>/<id>.json). */
int cert_find(const char *cert_dir, const char *ref, char **path, char **cause);

/*
 * Printing through CUPS: `lp` run without a shell, its input /dev/null and
 * its output sent to stderr (never into a --json stdout or over a screen).
 * @printer NULL or "": the default destination; @title: the job's title.
 * cert_print_start() starts lp on @file (a PDF) and returns its pid;
 * cert_print_status() turns lp's wait status into 0 or an error whose
 * cause says what to check (-ENOENT: lp is not installed, -EIO: CUPS
 * refused); cert_print() does both and waits.
 */
int cert_print_start(const char *printer, const char *title, const char *file, pid_t *pid,
		     char **cause);
int cert_print_status(int status, const char *printer, char **cause);
int cert_print(const char *printer, const char *title, const char *file, char **cause);

/*
 * PDF (certpdf.c).  A4, one page per certificate, fonts embedded and
 * subset by cairo.  The signed documents are attached (certificate.json,
 * or <id>.json each in a batch) with XMP metadata, and also kept in the
 * Keywords metadata as "CUSTOS-CERT-1 <base64 of a JSON array of
 * documents>", so `custos cert verify FILE.pdf` needs nothing else; it
 * also reads the drawn values and the QR code back and compares them with
 * the signed data (cert_pdf_check_page).  Paper is checked through its QR
 * code, which in format 2 is a signed summary (cert_qr_verify).
 */
/* A disk of a batch run without a certificate or report of its own
 * (refused by a guard or the policy, or failed before one was issued). */
struct cert_machine_disk {
	const char *device;		/* /dev/sdb */
	const char *serial;		/* may be empty or NULL */
	const char *model;
	uint64_t capacity_bytes;
	const char *outcome;		/* "refused", "failed" */
	const char *reason;
};

struct cert_machine {
	const char *vendor;
	const char *model;
	const char *serial;
	const char *hostname;
	const char *asset_tag;		/* DMI asset tag or --source-asset; NULL: none */
	const struct cert_machine_disk *others;	/* listed after the documents */
	size_t n_others;
};

/* Render one document to PDF bytes (malloc'd). */
int cert_pdf_render(const json_t *doc, unsigned char **pdf, size_t *len, char **cause);
/* Render and write atomically to @path. */
int cert_pdf_write(const json_t *doc, const char *path, char **cause);
/* A batch run: a summary page (the machine and every disk with its
 * outcome: the @n documents, then @machine->others with their reasons),
 * then one page per certificate; written atomically to @path.  @n may be 0
 * when @machine lists other disks. */
int cert_pdf_summary(const struct cert_machine *machine, json_t *const *docs, size_t n,
		     const char *path, char **cause);
/* The documents embedded in a PDF (new reference to a JSON array): the
 * attached files, else the Keywords copy; -EBADMSG when both are present
 * and differ. */
int cert_pdf_extract(const char *data, size_t len, json_t **docs, char **cause);
/* The drawn page(s) against @docs (the PDF's signed documents): the text
 * drawn in every field's cell (poppler) and the QR code of every
 * certificate (zbar, 150 dpi).  -EBADMSG naming the field that differs. */
int cert_pdf_check_page(const char *data, size_t len, json_t *docs, char **cause);

#endif
