/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "util.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>
#include <wctype.h>

int util_close(int fd)
{
	if (fd < 0)
		return 0;
	if (close(fd) < 0 && errno != EINTR)
		return -errno;
	return 0;
}

int util_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int util_sync_dir(const char *dir)
{
	int fd = open(dir[0] ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		rc = -errno;
	if (util_close(fd) < 0 && rc == 0)
		rc = -EIO;
	return rc;
}

static int fsync_dir_of(const char *path)
{
	char *copy = strdup(path);
	int rc;

	if (!copy)
		return -ENOMEM;
	rc = util_sync_dir(dirname(copy));
	free(copy);
	return rc;
}

int util_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	char *tmp = util_asprintf("%s.tmp.XXXXXX", path);
	int fd = -1, rc;

	if (!tmp)
		return -ENOMEM;
	fd = mkstemp(tmp);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	if (fchmod(fd, mode) < 0) {
		rc = -errno;
		goto out;
	}
	rc = util_write_all(fd, data, len);
	if (!rc && fsync(fd) < 0)
		rc = -errno;
	if (!rc) {
		rc = util_close(fd);
		fd = -1;
	}
	if (!rc && rename(tmp, path) < 0)
		rc = -errno;
	if (!rc)
		rc = fsync_dir_of(path);
out:
	if (fd >= 0)
		util_close(fd);
	if (rc && tmp)
		unlink(tmp);
	free(tmp);
	return rc;
}

int util_read_file(const char *path, char **data, size_t *len)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t cap = 0, n = 0;
	int rc = 0;

	*data = NULL;
	if (!f)
		return -errno;
	for (;;) {
		size_t got;

		if (cap - n < 4096) {
			char *nb = realloc(buf, cap ? cap * 2 : 8192);

			if (!nb) {
				rc = -ENOMEM;
				break;
			}
			buf = nb;
			cap = cap ? cap * 2 : 8192;
		}
		got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0) {
			if (ferror(f))
				rc = -EIO;
			break;
		}
	}
	if (fclose(f) != 0 && !rc)
		rc = -errno;
	if (rc) {
		free(buf);
		return rc;
	}
	if (!buf) {
		buf = calloc(1, 1);
		if (!buf)
			return -ENOMEM;
	}
	buf[n] = '\0';
	*data = buf;
	if (len)
		*len = n;
	return 0;
}

/* Read all of @fd (at most @max bytes, else -EFBIG) into a NUL-terminated
 * malloc'd buffer. */
static int read_fd_bounded(int fd, size_t max, char **data, size_t *len)
{
	size_t cap = 8192, n = 0;
	char *buf = malloc(cap);

	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t got;

		if (cap - n < 2) {
			char *nb;

			if (cap > max + 1) {
				free(buf);
				return -EFBIG;
			}
			nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
			cap *= 2;
		}
		got = read(fd, buf + n, cap - n - 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			int err = -errno;

			free(buf);
			return err;
		}
		if (got == 0)
			break;
		n += (size_t)got;
		if (n > max) {
			free(buf);
			return -EFBIG;
		}
	}
	buf[n] = '\0';
	*data = buf;
	*len = n;
	return 0;
}

int util_check_config_text(const char *name, const char *data, size_t len, size_t max,
			   char **cause)
{
	const char *nul = memchr(data, '\0', len);
	size_t line = 1;

	if (len > max)
		return util_fail(cause, -EFBIG, _("%s: larger than %zu bytes"), name, max);
	if (!nul)
		return 0;
	for (const char *p = data; p < nul; p++)
		line += *p == '\n';
	return util_fail(cause, -EINVAL, _("%s:%zu: NUL byte"), name, line);
}

int util_read_config(const char *path, char **data, size_t *len, char **cause)
{
	size_t n = 0;
	int rc = util_read_bounded(path, UTIL_CONFIG_MAX, data, &n, cause);

	if (rc == 0)
		rc = util_check_config_text(path, *data, n, UTIL_CONFIG_MAX, cause);
	if (rc < 0) {
		free(*data);
		*data = NULL;
		return rc;
	}
	if (len)
		*len = n;
	return 0;
}

int util_read_bounded(const char *path, size_t max, char **data, size_t *len, char **cause)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	size_t n = 0;
	struct stat sb;
	char *buf = NULL;
	int rc;

	*data = NULL;
	if (fd < 0)
		return util_fail(cause, -errno, "%s: %s", path, strerror(errno));
	if (fstat(fd, &sb) < 0) {
		rc = util_fail(cause, -errno, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		rc = util_fail(cause, -EINVAL, _("%s: not a regular file"), path);
		goto out;
	}
	if ((uint64_t)sb.st_size > max) {
		rc = util_fail(cause, -EFBIG, _("%s: larger than %zu bytes"), path, max);
		goto out;
	}
	rc = read_fd_bounded(fd, max, &buf, &n);
	if (rc == -EFBIG)
		util_fail(cause, rc, _("%s: larger than %zu bytes"), path, max);
	else if (rc < 0)
		util_fail(cause, rc, "%s: %s", path, strerror(-rc));
out:
	util_close(fd);
	if (rc < 0) {
		free(buf);
		return rc;
	}
	*data = buf;
	if (len)
		*len = n;
	return 0;
}

/* A temp of util_write_file_atomic(): "NAME.tmp.XXXXXX", six characters
 * after the last ".tmp.". */
static bool is_atomic_temp(const char *name, const char *prefix)
{
	const char *t = strstr(name, ".tmp.");

	if (!t || strncmp(name, prefix, strlen(prefix)) != 0)
		return false;
	while (strstr(t + 1, ".tmp."))
		t = strstr(t + 1, ".tmp.");
	return strlen(t + 5) == 6;
}

int util_clean_temps(const char *dir, const char *prefix, unsigned min_age)
{
	time_t now = time(NULL);
	DIR *d = opendir(dir);
	struct dirent *e;
	int removed = 0;

	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		struct stat sb;

		if (!is_atomic_temp(e->d_name, prefix ? prefix : ""))
			continue;
		if (fstatat(dirfd(d), e->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(sb.st_mode) || sb.st_uid != geteuid() ||
		    now - sb.st_mtime < (time_t)min_age)
			continue;
		if (unlinkat(dirfd(d), e->d_name, 0) == 0) {
			util_info(_("removed %s/%s, left by an interrupted write"), dir, e->d_name);
			removed++;
		}
	}
	closedir(d);
	return removed;
}

int util_mkdir_p(const char *path, mode_t mode)
{
	char *copy = strdup(path);
	int rc = 0;

	if (!copy)
		return -ENOMEM;
	for (char *p = copy + 1; ; p++) {
		char c = *p;

		if (c != '/' && c != '\0')
			continue;
		*p = '\0';
		if (mkdir(copy, mode) < 0 && errno != EEXIST) {
			rc = -errno;
			break;
		}
		*p = c;
		if (c == '\0')
			break;
	}
	free(copy);
	return rc;
}

uint64_t util_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int64_t util_unix_now(void)
{
#ifdef CUSTOS_TEST_HOOKS
	/* test builds: CUSTOS_TEST_NOW=UNIX-SECONDS fixes the clock (a year
	 * change for certificate numbering, tests/integ-keys.sh) */
	const char *fixed = getenv("CUSTOS_TEST_NOW");

	if (fixed && *fixed)
		return (int64_t)strtoll(fixed, NULL, 10);
#endif
	return (int64_t)time(NULL);
}

void util_test_crash(const char *point)
{
#ifdef CUSTOS_TEST_HOOKS
	/* test builds: CUSTOS_TEST_CRASH_AT=POINT kills the process there,
	 * as a power cut or kill -9 would */
	const char *at = getenv("CUSTOS_TEST_CRASH_AT");

	if (at && strcmp(at, point) == 0)
		raise(SIGKILL);
#else
	(void)point;	/* a normal build has no test hooks */
#endif
}

void util_iso8601(int64_t unix_secs, char *buf, size_t len)
{
	time_t t = (time_t)unix_secs;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---- local time for people (issue 14) ------------------------------------ */

int util_time_parse(const char *iso, int64_t *out)
{
	int y, mo, d, h, mi, sec, oh = 0, om = 0, n = 0;
	char sign = 'Z';
	struct tm tm = { 0 };
	time_t t;

	if (!iso || sscanf(iso, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6)
		return -EINVAL;
	iso += n;
	if (*iso == '+' || *iso == '-') {
		sign = *iso;
		if (sscanf(iso + 1, "%2d:%2d%n", &oh, &om, &n) != 2 || oh > 23 || om > 59)
			return -EINVAL;
		iso += 1 + n;
	} else if (*iso++ != 'Z') {
		return -EINVAL;
	}
	if (*iso || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return -EINVAL;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	*out = (int64_t)t - (sign == '-' ? -1 : sign == '+' ? 1 : 0) * (oh * 3600 + om * 60);
	return 0;
}

static bool local_tm(int64_t unix_secs, struct tm *tm)
{
	time_t t = (time_t)unix_secs;

	tzset();
	return localtime_r(&t, tm) != NULL;
}

void util_time_local(int64_t unix_secs, char *buf, size_t len)
{
	struct tm tm;
	long off;
	size_t n;

	if (!len)
		return;
	if (!local_tm(unix_secs, &tm)) {
		util_iso8601(unix_secs, buf, len);
		return;
	}
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	if (n == 0) {
		buf[0] = '\0';
		return;
	}
	off = tm.tm_gmtoff;
	if (off == 0)
		snprintf(buf + n, len - n, "Z");
	else
		snprintf(buf + n, len - n, "%c%02ld:%02ld", off < 0 ? '-' : '+',
			 labs(off) / 3600, labs(off) % 3600 / 60);
}

void util_time_local_zh(int64_t unix_secs, char *buf, size_t len)
{
	struct tm tm;

	if (!len)
		return;
	if (!local_tm(unix_secs, &tm)) {
		util_iso8601(unix_secs, buf, len);
		return;
	}
	snprintf(buf, len, "%d年%d月%d日 %02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min);
}

static bool text_unshowable;

bool util_text_unshowable(void)
{
	return text_unshowable;
}

const char *util_time_local_text(const char *iso, char *buf, size_t len)
{
	int64_t t;

	if (util_time_parse(iso, &t) == 0)
		util_time_local(t, buf, len);
	else if (len)
		util_strlcpy(buf, iso ? iso : "", len);
	return buf;
}

void util_hex(const void *data, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 0xf];
	}
	out[2 * len] = '\0';
}

void util_format_size(uint64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)bytes;
	size_t u = 0;

	while (v >= 1024.0 && u + 1 < UTIL_ARRAY_SIZE(units)) {
		v /= 1024.0;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%" PRIu64 " B", bytes);
	else
		snprintf(buf, len, "%.1f %s", v, units[u]);
}

void util_format_duration(uint64_t secs, char *buf, size_t len)
{
	uint64_t h = secs / 3600, m = (secs / 60) % 60, s = secs % 60;

	if (h)
		snprintf(buf, len, "%" PRIu64 "h%02" PRIu64 "m%02" PRIu64 "s", h, m, s);
	else if (m)
		snprintf(buf, len, "%" PRIu64 "m%02" PRIu64 "s", m, s);
	else
		snprintf(buf, len, "%" PRIu64 "s", s);
}

int util_parse_u64(const char *s, uint64_t *out, int allow_suffix)
{
	unsigned long long v;
	char *end;
	unsigned shift = 0;

	if (!s || !*s || *s == '-' || isspace((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno)
		return -errno;
	if (end == s)
		return -EINVAL;
	if (*end && allow_suffix) {
		switch (toupper((unsigned char)*end)) {
		case 'K': shift = 10; break;
		case 'M': shift = 20; break;
		case 'G': shift = 30; break;
		case 'T': shift = 40; break;
		default: return -EINVAL;
		}
		end++;
		if (*end == 'i' || *end == 'I')
			end++;
		if (*end == 'B' || *end == 'b')
			end++;
	}
	if (*end)
		return -EINVAL;
	if (shift && v > (UINT64_MAX >> shift))
		return -ERANGE;
	*out = (uint64_t)v << shift;
	return 0;
}

char *util_vasprintf(const char *fmt, va_list ap)
{
	char *s = NULL;

	if (vasprintf(&s, fmt, ap) < 0)
		return NULL;
	return s;
}

char *util_asprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = util_vasprintf(fmt, ap);
	va_end(ap);
	return s;
}

char *util_strstrip(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

size_t util_strlcpy(char *dst, const char *src, size_t size)
{
	size_t n = strlen(src);

	if (size) {
		size_t c = n < size - 1 ? n : size - 1;

		memcpy(dst, src, c);
		dst[c] = '\0';
	}
	return n;
}

int util_fail(char **cause, int err, const char *fmt, ...)
{
	va_list ap;

	if (cause) {
		free(*cause);
		va_start(ap, fmt);
		*cause = util_vasprintf(fmt, ap);
		va_end(ap);
	}
	return err;
}

void util_wipe_secret(void *p, size_t len)
{
	volatile unsigned char *v = p;

	while (len--)
		*v++ = 0;
}

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static util_log_fn log_fn;
static void *log_data;
static enum util_log_level log_max = UTIL_LOG_WARN;

void util_log_set_sink(util_log_fn fn, void *data, enum util_log_level max_level)
{
	pthread_mutex_lock(&log_lock);
	log_fn = fn;
	log_data = data;
	log_max = max_level;
	pthread_mutex_unlock(&log_lock);
}

void util_log(enum util_log_level level, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	pthread_mutex_lock(&log_lock);
	if (!log_fn || level > log_max) {
		pthread_mutex_unlock(&log_lock);
		return;
	}
	va_start(ap, fmt);
	msg = util_vasprintf(fmt, ap);
	va_end(ap);
	/* messages quote file contents and device strings: no raw control
	 * byte reaches a sink (a terminal, the station screen) */
	if (msg)
		util_text_safe(msg, true, msg, strlen(msg) + 1);
	if (msg)
		log_fn(level, msg, log_data);
	pthread_mutex_unlock(&log_lock);
	free(msg);
}

/* --- text ---------------------------------------------------------------- */

size_t util_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	static const uint32_t min[] = { 0, 0, 0x80, 0x800, 0x10000 };
	size_t len;
	uint32_t c;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		c = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		c = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		c = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min[len] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

static bool is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

/* Bytes of the character at @s and whether it may be shown as it is
 * (valid and not a control character); an invalid byte is 1 byte. */
static size_t text_unit(const char *s, size_t n, bool *safe, uint32_t *cp)
{
	size_t k = util_utf8_decode((const unsigned char *)s, n, cp);

	if (k == 0) {
		*safe = false;
		*cp = (unsigned char)s[0];
		return 1;
	}
	*safe = !is_control(*cp);
	return k;
}

bool util_text_valid(const char *s, size_t *bad)
{
	size_t n = s ? strlen(s) : 0, off = 0;

	while (off < n) {
		bool safe;
		uint32_t cp;
		size_t k = text_unit(s + off, n - off, &safe, &cp);

		if (!safe) {
			if (bad)
				*bad = off;
			return false;
		}
		off += k;
	}
	return true;
}

int util_text_check(const char *what, const char *s, char **cause)
{
	size_t bad = 0;
	uint32_t cp;

	if (!s || util_text_valid(s, &bad))
		return 0;
	if (util_utf8_decode((const unsigned char *)s + bad, strlen(s + bad), &cp) == 0)
		return util_fail(cause, -EINVAL, _("%s: invalid UTF-8 at byte %zu (0x%02x)"), what,
				 bad + 1, (unsigned char)s[bad]);
	return util_fail(cause, -EINVAL, _("%s: control character U+%04X at byte %zu"), what,
			 (unsigned)cp, bad + 1);
}

char *util_text_safe(const char *in, bool keep_newlines, char *out, size_t size)
{
	size_t n = in ? strlen(in) : 0, pos = 0;

	if (size == 0)
		return out;
	while (n > 0) {
		bool safe;
		uint32_t cp;
		size_t k = text_unit(in, n, &safe, &cp);
		bool keep = safe || (keep_newlines && cp == '\n');
		size_t put = keep ? k : 1;

		if (pos + put + 1 > size)
			break;
		if (keep)
			memmove(out + pos, in, k);	/* @out may be @in */
		else
			out[pos] = '?';
		pos += put;
		in += k;
		n -= k;
	}
	out[pos] = '\0';
	return out;
}

char *util_text_safe_dup(const char *in, bool keep_newlines)
{
	size_t size = (in ? strlen(in) : 0) + 1;
	char *out = malloc(size);

	return out ? util_text_safe(in, keep_newlines, out, size) : NULL;
}

void util_fput_text(FILE *f, const char *in)
{
	char small[512], *buf = small;
	size_t size = (in ? strlen(in) : 0) + 1;

	if (size > sizeof(small))
		buf = malloc(size);
	if (!buf)
		return;
	fputs(util_text_safe(in, false, buf, size), f);
	if (buf != small)
		free(buf);
}

/* --- display width ------------------------------------------------------ */

/* Bytes of the character at @s (@n bytes left, n > 0); its columns in *@w,
 * and in *@printable whether it is a valid, printable character (invalid
 * bytes and control characters count one column). */
static size_t char_info(const char *s, size_t n, int *w, bool *printable)
{
	mbstate_t st;
	wchar_t wc;
	size_t used;

	{
		uint32_t cp;
		bool safe;
		size_t k = text_unit(s, n, &safe, &cp);

		if (!safe) {	/* control or invalid: one '?' column, whatever the locale */
			*w = 1;
			*printable = false;
			return k;
		}
	}
	memset(&st, 0, sizeof(st));
	used = mbrtowc(&wc, s, n, &st);
	if (used == (size_t)-1 || used == (size_t)-2 || used == 0) {
		*w = 1;
		*printable = false;
		return 1;
	}
	*w = wcwidth(wc);
	*printable = *w >= 0 && !iswcntrl((wint_t)wc);
	if (!*printable)
		*w = 1;
	return used;
}

static size_t char_width(const char *s, size_t n, int *w)
{
	bool printable;

	return char_info(s, n, w, &printable);
}

int util_display_width(const char *utf8)
{
	size_t n = utf8 ? strlen(utf8) : 0;
	int total = 0, w;

	while (n > 0) {
		size_t used = char_width(utf8, n, &w);

		total += w;
		utf8 += used;
		n -= used;
	}
	return total;
}

static const char *ellipsis(void)
{
	return MB_CUR_MAX > 1 ? "\xe2\x80\xa6" : "~";
}

int util_fit_width(const char *utf8, int cols, bool pad, char *out, size_t len)
{
	const char *s = utf8 ? utf8 : "";
	size_t n = strlen(s), pos = 0, ell = strlen(ellipsis());
	bool cut = util_display_width(s) > cols, printable;
	int room = cut ? cols - 1 : cols, used = 0, w;

	if (len == 0)
		return 0;
	while (n > 0) {
		size_t k = char_info(s, n, &w, &printable);
		/* never copy a control character or an invalid byte to a terminal */
		size_t put = printable ? k : 1;

		if (used + w > room || pos + put + (cut ? ell : 0) + 1 > len)
			break;
		if (!printable && (unsigned char)*s >= 0x80)
			text_unshowable = true;
		memcpy(out + pos, printable ? s : "?", put);
		pos += put;
		used += w;
		s += k;
		n -= k;
	}
	if (cut && cols > 0 && pos + ell + 1 <= len) {
		memcpy(out + pos, ellipsis(), ell);
		pos += ell;
		used++;
	}
	while (pad && used < cols && pos + 2 <= len) {
		out[pos++] = ' ';
		used++;
	}
	out[pos] = '\0';
	return used;
}

void util_fput_width(FILE *f, const char *utf8, int cols)
{
	size_t len = (utf8 ? strlen(utf8) : 0) + (size_t)(cols > 0 ? cols : 0) + 8;
	char small[256], *buf = len <= sizeof(small) ? small : malloc(len);

	if (!buf) {
		fputs(utf8 ? utf8 : "", f);
		return;
	}
	util_fit_width(utf8, cols, true, buf, len);
	fputs(buf, f);
	if (buf != small)
		free(buf);
}
