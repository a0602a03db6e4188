/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CUSTOS_UTIL_H
#define CUSTOS_UTIL_H

/*
 * util: small helpers every module shares: atomic private file writes,
 * whole-file reads, directories, time, hex and sizes, a logging sink.
 * Every function returns 0 or a negative errno unless said otherwise.
 */

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <libintl.h>

/*
 * The messages of the library are translated in the program's text domain
 * (po/, "custos"): _("...") around a message, N_("...") in a static table
 * (translated with _() where it is used).  Codes and keywords that are
 * stored, signed or compared are never marked.  Without setlocale() (the
 * unit tests, a program that does not call i18n_init()) the English text
 * is returned.  ui/i18n.h uses the same definitions.
 */
#ifndef PACKAGE
#define PACKAGE "custos"
#endif
#define _(s) dgettext(PACKAGE, s)
#define N_(s) (s)

/* A message whose English is ambiguous (the "NAME" of a person or of a
 * profile): C_("profile", "NAME") is translated in the context "profile"
 * (xgettext --keyword=C_:1c,2). */
#define C_(ctx, s) util_pgettext(ctx "\004" s, s)
static inline const char *util_pgettext(const char *id, const char *s)
{
	const char *t = dgettext(PACKAGE, id);

	return t == id ? s : t;
}

#define UTIL_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define UTIL_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* Make the entries of directory @dir ("" = "/") durable (after a rename
 * or a create in it): 0 or a negative errno. */
int util_sync_dir(const char *dir);

/* Write @len bytes to @path atomically: temp file in the same directory,
 * fsync, rename, fsync of the directory.  The file gets mode @mode. */
int util_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);

/* Read a whole file into a NUL-terminated malloc'd buffer. @len may be NULL. */
int util_read_file(const char *path, char **data, size_t *len);

/* The largest configuration file (profile, policy, roster, checkpoint)
 * util_read_config() accepts. */
#define UTIL_CONFIG_MAX (1024 * 1024)

/*
 * Read a configuration file for a parser: only a regular file (opened with
 * O_NONBLOCK|O_NOCTTY, then fstat: a FIFO, a device or /dev/zero reached
 * through a symlink is refused without reading), at most UTIL_CONFIG_MAX
 * bytes (-EFBIG), and without NUL bytes (-EINVAL "FILE:LINE: NUL byte").
 * The text is NUL-terminated and malloc'd; @len may be NULL.  Failures set
 * *@cause naming the file.
 */
int util_read_config(const char *path, char **data, size_t *len, char **cause);

/* The file checks of util_read_config() with a limit of @max bytes and
 * binary content allowed (certificates: JSON or PDF). */
#define UTIL_DOCUMENT_MAX (64 * 1024 * 1024)
int util_read_bounded(const char *path, size_t max, char **data, size_t *len, char **cause);

/* The same checks on text already in memory (@len bytes): -EINVAL with
 * "@name:LINE: NUL byte" when @data holds a NUL, -EFBIG past @max. */
int util_check_config_text(const char *name, const char *data, size_t len, size_t max,
			   char **cause);

/* Remove the temporary files of util_write_file_atomic() ("NAME.tmp.XXXXXX")
 * that a killed program left in @dir: NAME starts with @prefix ("" for
 * all), the file is regular, owned by the caller's user and was last
 * changed at least @min_age seconds ago (0 when the caller holds the lock
 * every writer of those files takes; else old enough that no running
 * writer owns it).  Returns the number removed or a negative errno. */
int util_clean_temps(const char *dir, const char *prefix, unsigned min_age);

/* write(2) all of @len bytes, retrying on EINTR and short writes. */
int util_write_all(int fd, const void *buf, size_t len);

/* Create @path and its missing parents with @mode (existing ones kept). */
int util_mkdir_p(const char *path, mode_t mode);

/* close(2) with the result checked; EINTR counts as closed. */
int util_close(int fd);

/* Monotonic clock in nanoseconds (for rates and timeouts). */
uint64_t util_mono_ns(void);

/* Wall-clock time as "2026-11-21T09:35:17Z" (UTC) into @buf (>= 21 bytes). */
void util_iso8601(int64_t unix_secs, char *buf, size_t len);
int64_t util_unix_now(void);
/* Test builds (--enable-test-hooks): raise SIGKILL when the environment
 * variable CUSTOS_TEST_CRASH_AT names @point; otherwise nothing. */
void util_test_crash(const char *point);

/*
 * Local time for people (issue 14): the register and certificates keep UTC,
 * screens, texts and CSV exports show the local zone ($TZ honoured) with
 * its offset.  An offset of zero is written "Z".
 */
#define UTIL_TIME_LEN 40	/* enough for every form below */

/* Parse the stored form "2026-12-04T03:20:07Z" (or with "+08:00") into
 * Unix seconds; -EINVAL for anything else. */
int util_time_parse(const char *iso, int64_t *out);

/* "2026-12-04T11:20:07+08:00" in the local zone into @buf. */
void util_time_local(int64_t unix_secs, char *buf, size_t len);

/* "2026年12月4日 11:20" in the local zone into @buf (the Chinese date of
 * certificates and reports). */
void util_time_local_zh(int64_t unix_secs, char *buf, size_t len);

/* A stored time text in local form (util_time_local()) into @buf; text
 * that does not parse ("", "-") is copied unchanged.  Returns @buf. */
const char *util_time_local_text(const char *iso, char *buf, size_t len);

/* Whether util_fit_width() has replaced a non-ASCII character it could
 * not show in this locale (a terminal that is not UTF-8): the front ends
 * then warn once. */
bool util_text_unshowable(void);

/* Lower-case hex of @len bytes into @out (2*len+1 bytes). */
void util_hex(const void *data, size_t len, char *out);

/* Human size with binary units ("4.0 GiB") into @buf. */
void util_format_size(uint64_t bytes, char *buf, size_t len);

/* Duration as "1h02m03s" / "2m05s" / "7s" into @buf. */
void util_format_duration(uint64_t secs, char *buf, size_t len);

/* Parse an unsigned decimal (or 0x hex) number, with optional K/M/G/T
 * binary suffix when @allow_suffix. */
int util_parse_u64(const char *s, uint64_t *out, int allow_suffix);

/* malloc'd printf; NULL on failure. */
char *util_asprintf(const char *fmt, ...) UTIL_PRINTF(1, 2);
char *util_vasprintf(const char *fmt, va_list ap) UTIL_PRINTF(1, 0);

/* Remove leading and trailing white space in place; returns @s. */
char *util_strstrip(char *s);

/* Copy at most @size-1 bytes and NUL-terminate; returns strlen(src). */
size_t util_strlcpy(char *dst, const char *src, size_t size);

/*
 * Display width of UTF-8 text on a terminal (tables with Chinese names):
 * wcwidth() of each character, decoded with mbrtowc() in the current
 * locale (the program calls setlocale(LC_ALL, "")).  Invalid bytes and
 * non-printable characters count 1 column each.
 */
int util_display_width(const char *utf8);

/* Copy @utf8 into @out (@len bytes) so that it takes at most @cols columns:
 * longer text is cut between characters and ends with an ellipsis ("\u2026",
 * "~" in a locale without multibyte characters); with @pad, spaces fill up
 * to @cols.  Control characters and invalid bytes become '?', so text from
 * the register can never drive the terminal.  Returns the columns written. */
int util_fit_width(const char *utf8, int cols, bool pad, char *out, size_t len);

/* Write @utf8 to @f fitted to @cols columns and padded with spaces (as
 * util_fit_width() with @pad), for the text tables of the front ends. */
void util_fput_width(FILE *f, const char *utf8, int cols);

/*
 * Text that enters the register: valid UTF-8 (shortest form, no
 * surrogates, at most U+10FFFF) without control characters (C0, DEL,
 * C1).  util_text_valid() says whether @s is such text and puts the byte
 * offset of the first bad byte into *@bad (may be NULL).
 * util_text_check() returns 0, or -EINVAL with *@cause as
 * "@what: invalid UTF-8 at byte N" or "@what: control character U+001B
 * at byte N" (NULL @s is valid: the field is absent).
 */
bool util_text_valid(const char *s, size_t *bad);

/*
 * One UTF-8 character at @s (@n > 0 bytes left): its length, or 0 for an
 * invalid sequence (overlong, surrogate, beyond U+10FFFF, truncated); the
 * code point in *@cp.
 */
size_t util_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);
int util_text_check(const char *what, const char *s, char **cause);

/*
 * Text for a terminal: copy @in into @out (@size bytes, cut between
 * characters) with every control character and invalid byte replaced by
 * '?' (the rule util_fit_width() applies), independent of the locale.
 * With @keep_newlines, '\n' stays (multi-line diagnostics).  @out may be
 * @in (replaced in place).  Returns @out.
 */
char *util_text_safe(const char *in, bool keep_newlines, char *out, size_t size);
/* malloc'd util_text_safe() of all of @in; NULL on failure. */
char *util_text_safe_dup(const char *in, bool keep_newlines);
/* Write @in to @f as util_text_safe() would. */
void util_fput_text(FILE *f, const char *in);

/* Set *@cause to a malloc'd formatted message (if @cause is not NULL) and
 * return @err (a negative errno), for one-line error exits. */
int util_fail(char **cause, int err, const char *fmt, ...) UTIL_PRINTF(3, 4);

/* Zero memory in a way the compiler cannot drop (secrets). */
void util_wipe_secret(void *p, size_t len);

/*
 * Logging.  The core never prints: it hands messages to a sink that the
 * program installs (stderr for the CLI, a message ring for the TUI).
 */
enum util_log_level { UTIL_LOG_ERR, UTIL_LOG_WARN, UTIL_LOG_INFO, UTIL_LOG_DEBUG };
typedef void (*util_log_fn)(enum util_log_level level, const char *msg, void *data);
void util_log_set_sink(util_log_fn fn, void *data, enum util_log_level max_level);
void util_log(enum util_log_level level, const char *fmt, ...) UTIL_PRINTF(2, 3);

#define util_err(...) util_log(UTIL_LOG_ERR, __VA_ARGS__)
#define util_warn(...) util_log(UTIL_LOG_WARN, __VA_ARGS__)
#define util_info(...) util_log(UTIL_LOG_INFO, __VA_ARGS__)
#define util_debug(...) util_log(UTIL_LOG_DEBUG, __VA_ARGS__)

#endif
