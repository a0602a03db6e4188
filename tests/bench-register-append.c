/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * bench-register-append: one station appending signed custody events in a
 * loop through the library (tools/bench-register.sh).
 *   bench-register-append STATE_DIR N [CONNINFO]
 * enrols MEDIA media (20), then N issue/return events over them in turn
 * (a medium's history stays as short as a real one's: every custody
 * event replays it); with CONNINFO each event
 * is also pushed to the central register on one kept-open connection
 * before the next is written.  Prints "events SECONDS EVENTS_PER_S
 * CPU_MS_PER_EVENT" (the process's user + system time over the loop).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "register-central.h"
#include "register.h"
#include "station.h"
#include "util.h"

#define MEDIA 20

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static int die(const char *what, int rc, char *cause)
{
	fprintf(stderr, "bench-register-append: %s: %s\n", what, cause ? cause : strerror(-rc));
	free(cause);
	return 1;
}

int main(int argc, char **argv)
{
	struct register_central *central = NULL;
	struct register_push_result pr;
	struct register_media m[MEDIA];
	struct register_db *db = NULL;
	struct station *st = NULL;
	char *cause = NULL;
	long n;
	double t0, t, c0;
	int rc;

	if (argc < 3 || (n = strtol(argv[2], NULL, 10)) <= 0) {
		fprintf(stderr, "usage: bench-register-append STATE_DIR N [CONNINFO]\n");
		return 2;
	}
	rc = station_open(argv[1], &st, &cause);
	if (rc == 0)
		rc = register_open_dir(argv[1], &db, &cause);
	if (rc == 0)
		rc = register_attach_station(db, st, "bench", &cause);
	if (rc < 0)
		return die("open", rc, cause);
	memset(m, 0, sizeof(m));
	for (int k = 0; k < MEDIA && rc == 0; k++) {
		util_strlcpy(m[k].media_type, "usb-flash", sizeof(m[k].media_type));
		snprintf(m[k].serial, sizeof(m[k].serial), "BENCH-%s-%ld-%d", st->name,
			 (long)time(NULL), k);
		util_strlcpy(m[k].classification, "secret", sizeof(m[k].classification));
		util_strlcpy(m[k].source, "manual", sizeof(m[k].source));
		rc = register_enroll(db, &m[k], &m[k], &cause);
	}
	if (rc == 0 && argc > 3)
		rc = register_central_open(argv[3], &central, &cause);
	if (rc == 0 && central)
		rc = register_central_push_to(central, db, st, &pr, &cause);
	if (rc < 0)
		return die("enroll", rc, cause);
	t0 = now();
	c0 = cpu();
	for (long i = 0; i < n && rc == 0; i++) {
		int64_t id = m[i % MEDIA].id;

		rc = (i / MEDIA) % 2 ? register_return(db, id, &cause) :
		     register_issue(db, id, "Bench Holder", &cause);
		if (rc == 0 && central)
			rc = register_central_push_to(central, db, st, &pr, &cause);
		if (rc == 0 && central && pr.events != 1)
			rc = util_fail(&cause, -EPROTO, "pushed %" PRId64 " events, not 1", pr.events);
	}
	t = now() - t0;
	if (rc < 0)
		return die("append", rc, cause);
	printf("%ld %.3f %.0f %.2f\n", n, t, (double)n / t, (cpu() - c0) * 1000 / (double)n);
	register_central_close(central);
	register_close(db);
	station_free(st);
	return 0;
}
