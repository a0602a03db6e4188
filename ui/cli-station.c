/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * custos init | station [pubkey] | demo: set up the station's identity and
 * key pair, show them, and build a demo station with virtual media.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "i18n.h"
#include "keyring.h"
#include "station.h"

#define DEMO_STATE_DIR "/var/lib/custos-demo"
#define DEMO_ORG "Demo Office / 演示单位"
#define DEMO_MARKER "CUSTOS DEMO DATA: this virtual medium has not been wiped yet.\n"
#define DEMO_MARKER_BYTES (64u * 1024u)

static const struct demo_medium {
	const char *file;
	unsigned mib;
} demo_media[] = {
	{ "usb-stick-1.img", 64 },
	{ "laptop-disk.img", 256 },
	{ "sd-card.img", 32 },
};

static json_t *station_json(const struct station *st, const char *pem)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s?, s:s?}",
			 "org", st->org, "name", st->name, "prefix", st->prefix,
			 "key_type", sign_key_type_name(st->key_type),
			 "fingerprint", st->fingerprint, "state_dir", st->state_dir,
			 "public_key", pem, "register", st->register_conninfo);
}

static void station_print(const struct station *st)
{
	printf(_("Organisation:  %s\n"
		 "Station:       %s\n"
		 "Prefix:        %s\n"
		 "Key type:      %s\n"
		 "Fingerprint:   SHA256:%s\n"
		 "State dir:     %s\n"),
	       st->org, st->name, st->prefix, sign_key_type_name(st->key_type), st->fingerprint,
	       st->state_dir);
	if (st->register_conninfo)
		printf("Register:      %s (central, PostgreSQL)\n", st->register_conninfo);
}

static int open_station(const char *state_dir, struct station **st)
{
	char *cause = NULL;
	int rc = station_open(state_dir, st, &cause);

	if (rc < 0) {
		cli_error("%s", cause ? cause : strerror(-rc));
		free(cause);
		return CLI_EXIT_FAIL;
	}
	return CLI_EXIT_OK;
}

/* Show the station, as text or JSON (with the public key). */
static int show_station(const struct cli_ctx *ctx, const struct station *st)
{
	struct sign_key *key = NULL;
	char *pem = NULL;
	int rc;

	if (!ctx->json) {
		station_print(st);
		return CLI_EXIT_OK;
	}
	if (station_load_public_key(st, &key, NULL) == 0)
		sign_public_pem(key, &pem);
	sign_key_free(key);
	rc = cli_print_json(station_json(st, pem));
	free(pem);
	return rc;
}

static void init_usage(FILE *out)
{
	fputs(_("Usage: custos init --org NAME --station NAME [--prefix P]\n"
		"                   [--key-type ed25519|sm2] [--force] [--register CONNINFO]\n"
		"\n"
		"Sets up this station: the state directory (mode 0700), a key pair that\n"
		"signs certificates (private key mode 0600) and station.conf.\n"
		"\n"
		"Options:\n"
		"  -o, --org NAME        the organisation, as printed on certificates\n"
		"  -s, --station NAME    this station's name\n"
		"  -p, --prefix P        certificate number prefix, ASCII letters and digits\n"
		"                        (default: from an ASCII station name; required for\n"
		"                        a Chinese one)\n"
		"  -k, --key-type TYPE   ed25519 (default) or sm2 (SM2 with SM3, GM/T)\n"
		"  -f, --force           replace an existing key pair (as 'custos station\n"
		"                        rekey': the old public key is kept in the keyring)\n"
		"  -r, --register CONNINFO  also record into the central PostgreSQL register\n"
		"                        (libpq connection string; see custos-register(5))\n"
		"  -h, --help            this help\n"
		"\n"
		"Exit status: 0 done, 1 failure, 2 usage error, 3 a key exists (no --force).\n"),
	      out);
}

static int parse_init(int argc, char **argv, struct station_init_opts *o)
{
	static const struct option opts[] = {
		{ "org", required_argument, NULL, 'o' },
		{ "station", required_argument, NULL, 's' },
		{ "prefix", required_argument, NULL, 'p' },
		{ "key-type", required_argument, NULL, 'k' },
		{ "force", no_argument, NULL, 'f' },
		{ "register", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	while ((c = getopt_long(argc, argv, "o:s:p:k:fr:h", opts, NULL)) != -1) {
		switch (c) {
		case 'r': o->register_conninfo = optarg; break;
		case 'o': o->org = optarg; break;
		case 's': o->name = optarg; break;
		case 'p': o->prefix = optarg; break;
		case 'f': o->force = true; break;
		case 'h': init_usage(stdout); return -1;
		case 'k':
			if (sign_key_type_parse(optarg, &o->key_type) == 0)
				break;
			return cli_usage_error("init", _("unknown key type '%s' (ed25519 or sm2)"),
					       optarg);
		default:
			return cli_usage_error("init", "%s", _("unknown option"));
		}
	}
	if (optind < argc)
		return cli_usage_error("init", _("unexpected argument '%s'"), argv[optind]);
	if (!o->org || !o->name)
		return cli_usage_error("init", "%s", _("--org and --station are required"));
	/* they go into every event and certificate */
	if (cli_check_text("init", "--org", o->org, 0) ||
	    cli_check_text("init", "--station", o->name, 128) ||
	    cli_check_text("init", "--prefix", o->prefix, 0))
		return CLI_EXIT_USAGE;
	return 0;
}

int cli_init(struct cli_ctx *ctx, int argc, char **argv)
{
	struct station_init_opts o = { .key_type = SIGN_KEY_ED25519 };
	struct station *st = NULL;
	char *cause = NULL;
	int rc;

	rc = parse_init(argc, argv, &o);
	if (rc)
		return rc < 0 ? CLI_EXIT_OK : rc;
	rc = station_init(ctx->state_dir, &o, &cause);
	if (rc < 0) {
		cli_error("init: %s", cause ? cause : strerror(-rc));
		free(cause);
		return rc == -EEXIST ? CLI_EXIT_REFUSED : rc == -EINVAL ? CLI_EXIT_USAGE :
		       CLI_EXIT_FAIL;
	}
	rc = open_station(ctx->state_dir, &st);
	if (rc != CLI_EXIT_OK)
		return rc;
	if (!ctx->json)
		printf("%s\n", o.force ? _("Station initialised (key pair replaced; the old public "
					 "key stays in the keyring, see 'custos station keys').") :
		       _("Station initialised."));
	rc = show_station(ctx, st);
	station_free(st);
	return rc;
}

static void station_usage(FILE *out)
{
	fputs(_("Usage: custos station [--json]\n"
	      "       custos station pubkey\n"
	      "       custos station keys [--json]\n"
	      "       custos station rekey [--key-type ed25519|sm2]\n"
	      "       custos station set register CONNINFO|none\n"
	      "\n"
	      "Shows the organisation, station name, certificate prefix, key type, the\n"
	      "public key's SHA-256 fingerprint and the state directory; 'pubkey' prints\n"
	      "the public key (PEM) so auditors can verify certificates elsewhere.\n"
	      "'keys' lists every key the station has had (its keyring) with its validity;\n"
	      "'rekey' replaces the key pair: the old public key stays in the keyring, so\n"
	      "what it signed keeps verifying, and the register records \"key-rotated\",\n"
	      "signed by the old and the new key.\n"
	      "\n"
	      "Options:\n"
	      "  -j, --json            machine-readable output (includes the public key)\n"
	      "  -k, --key-type TYPE   rekey: the new key's type (default: the current one)\n"
	      "  -h, --help            this help\n"), out);
}

/* The keyring, plus the current key when the keyring predates it. */
/* One line of `station keys`: translated headings fitted to the columns,
 * times in local time with their UTC offset. */
static void key_row(const char *type, const char *from, const char *until, const char *fpr,
		    const char *note)
{
	util_fput_width(stdout, type, 8);
	putchar(' ');
	util_fput_width(stdout, from, 25);
	putchar(' ');
	util_fput_width(stdout, until, 25);
	printf(" %s%s\n", fpr, note);
}

static void key_line(const struct keyring_key *x, bool is_cur)
{
	char from[UTIL_TIME_LEN], until[UTIL_TIME_LEN], *fpr;

	util_time_local_text(x->valid_from[0] ? x->valid_from : _("unknown"), from, sizeof(from));
	util_time_local_text(x->valid_until[0] ? x->valid_until : "-", until, sizeof(until));
	fpr = util_asprintf("SHA256:%s", x->fingerprint);
	key_row(x->key_type, from, until, fpr ? fpr : x->fingerprint,
		is_cur ? _("  (current)") : "");
	free(fpr);
}

static int list_keys(const struct cli_ctx *ctx, const struct station *st)
{
	struct keyring_key *k = NULL;
	char *cause = NULL;
	size_t n = 0;
	bool current_listed = false;
	json_t *arr = ctx->json ? json_array() : NULL;
	int rc = keyring_list(st->state_dir, &k, &n, &cause);

	if (rc < 0) {
		cli_error("station keys: %s", cause ? cause : strerror(-rc));
		free(cause);
		json_decref(arr);
		return CLI_EXIT_FAIL;
	}
	if (!ctx->json)
		key_row(_("TYPE"), _("VALID FROM"), _("VALID UNTIL"),
			_("FINGERPRINT (SHA-256)"), "");
	for (size_t i = 0; i <= n; i++) {
		struct keyring_key cur = { .valid_until = "" };
		const struct keyring_key *x = &cur;
		bool is_cur;

		if (i < n) {
			x = &k[i];
		} else if (current_listed) {
			break;
		} else {	/* a station from before the keyring */
			util_strlcpy(cur.fingerprint, st->fingerprint, sizeof(cur.fingerprint));
			util_strlcpy(cur.key_type, sign_key_type_name(st->key_type),
				     sizeof(cur.key_type));
		}
		is_cur = strcmp(x->fingerprint, st->fingerprint) == 0;
		current_listed = current_listed || is_cur;
		if (arr)
			json_array_append_new(arr, json_pack("{s:s, s:s, s:s?, s:s?, s:b}",
				"fingerprint", x->fingerprint, "key_type", x->key_type,
				"valid_from", x->valid_from[0] ? x->valid_from : NULL,
				"valid_until", x->valid_until[0] ? x->valid_until : NULL,
				"current", is_cur));
		else
			key_line(x, is_cur);
	}
	free(k);
	return arr ? cli_print_json(arr) : CLI_EXIT_OK;
}

static int rekey(const struct cli_ctx *ctx, const struct station *st, const char *type)
{
	enum sign_key_type t = st->key_type;
	char *cause = NULL, fpr[65] = "";
	int rc;

	if (type && sign_key_type_parse(type, &t) < 0)
		return cli_usage_error("station", _("unknown key type '%s' (ed25519 or sm2)"), type);
	rc = keyring_rekey(st->state_dir, t, station_operator(), fpr, &cause);
	if (rc < 0) {
		cli_error("station rekey: %s", cause ? cause : strerror(-rc));
		free(cause);
		return rc == -EPERM ? CLI_EXIT_REFUSED : CLI_EXIT_FAIL;
	}
	if (ctx->json)
		return cli_print_json(json_pack("{s:s, s:s, s:s}", "old_fingerprint",
						st->fingerprint, "new_fingerprint", fpr, "key_type",
						sign_key_type_name(t)));
	printf(_("Station re-keyed: %s key SHA256:%s\n"
		 "The old key SHA256:%s stays in the keyring; the register records "
		 "\"key-rotated\".\n"), sign_key_type_name(t), fpr, st->fingerprint);
	return CLI_EXIT_OK;
}

static int print_pubkey(const struct station *st)
{
	struct sign_key *key = NULL;
	char *cause = NULL, *pem = NULL;
	int rc;

	rc = station_load_public_key(st, &key, &cause);
	if (rc == 0)
		rc = sign_public_pem(key, &pem);
	sign_key_free(key);
	if (rc < 0) {
		cli_error("station: %s", cause ? cause : strerror(-rc));
		free(cause);
		return CLI_EXIT_FAIL;
	}
	fputs(pem, stdout);
	free(pem);
	return CLI_EXIT_OK;
}

/* custos station set register CONNINFO|none (issue 16) */
static int station_set_key(struct cli_ctx *ctx, int argc, char **argv)
{
	char *cause = NULL;
	const char *value;
	int rc;

	if (argc != 2)
		return cli_usage_error("station", "set takes KEY VALUE (register CONNINFO|none)");
	value = strcmp(argv[1], "none") == 0 ? NULL : argv[1];
	rc = station_set(ctx->state_dir, argv[0], value, &cause);
	if (rc < 0) {
		cli_error("station set: %s", cause ? cause : strerror(-rc));
		free(cause);
		return rc == -EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_FAIL;
	}
	if (!ctx->json)
		printf(value ? "register = %s\n" : "register: the embedded register only%s\n",
		       value ? value : "");
	return CLI_EXIT_OK;
}

int cli_station(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "key-type", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct station *st = NULL;
	const char *sub = "", *type = NULL;
	int c, rc;

	while ((c = getopt_long(argc, argv, "jk:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': ctx->json = true; break;
		case 'k': type = optarg; break;
		case 'h': station_usage(stdout); return CLI_EXIT_OK;
		default: return cli_usage_error("station", "%s", _("unknown option"));
		}
	}
	if (optind < argc && strcmp(argv[optind], "set") == 0)
		return station_set_key(ctx, argc - optind - 1, argv + optind + 1);
	if (optind < argc && (strcmp(argv[optind], "pubkey") == 0 ||
			      strcmp(argv[optind], "keys") == 0 ||
			      strcmp(argv[optind], "rekey") == 0))
		sub = argv[optind++];
	if (optind < argc)
		return cli_usage_error("station", _("unexpected argument '%s'"), argv[optind]);
	if (type && strcmp(sub, "rekey") != 0)
		return cli_usage_error("station", "%s", _("--key-type is for 'station rekey'"));
	rc = open_station(ctx->state_dir, &st);
	if (rc != CLI_EXIT_OK)
		return rc;
	if (strcmp(sub, "pubkey") == 0)
		rc = print_pubkey(st);
	else if (strcmp(sub, "keys") == 0)
		rc = list_keys(ctx, st);
	else if (strcmp(sub, "rekey") == 0)
		rc = rekey(ctx, st, type);
	else
		rc = show_station(ctx, st);
	station_free(st);
	return rc;
}

/* ---- demo ---------------------------------------------------------------- */

/* Create a sparse image of @mib MiB whose first bytes repeat the marker. */
static int make_medium(const char *path, unsigned mib, bool reset)
{
	char buf[4096];
	size_t mlen = strlen(DEMO_MARKER), off;
	int fd, rc = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (reset ? O_TRUNC : O_EXCL), 0600);
	if (fd < 0)
		return errno == EEXIST ? 0 : -errno;
	for (off = 0; off < sizeof(buf); off++)
		buf[off] = DEMO_MARKER[off % mlen];
	for (off = 0; off < DEMO_MARKER_BYTES && rc == 0; off += sizeof(buf))
		rc = util_write_all(fd, buf, sizeof(buf));
	if (rc == 0 && ftruncate(fd, (off_t)mib << 20) < 0)
		rc = -errno;
	if (util_close(fd) < 0 && rc == 0)
		rc = -EIO;
	return rc;
}

/* The demo station's identity, made once. */
static int demo_station(const char *state_dir, char **cause)
{
	struct station_init_opts o = {
		.org = DEMO_ORG, .name = "demo", .prefix = "DEMO", .key_type = SIGN_KEY_ED25519,
	};
	struct station *st = NULL;

	if (station_open(state_dir, &st, NULL) == 0) {
		station_free(st);
		return 0;
	}
	return station_init(state_dir, &o, cause);
}

/* STATE-DIR/virtual/FILE of demo medium @i, malloc'd. */
static char *demo_media_path(const char *state_dir, size_t i)
{
	return util_asprintf("%s/virtual/%s", state_dir, demo_media[i].file);
}

/* Each demo medium carries a serial number, as a stick does (the image's
 * user.custos.serial, read by the device module), random once so that two
 * demo stations' media are not one medium to a central register; kept when
 * the medium has one.  A file system without user extended attributes
 * leaves it without one. */
static void demo_serial(const char *path)
{
	char serial[32];
	uint32_t r = 0;

	if (getxattr(path, "user.custos.serial", serial, sizeof(serial)) > 0 ||
	    getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
		return;
	snprintf(serial, sizeof(serial), "DEMO-%06X", (unsigned)(r & 0xffffff));
	(void)setxattr(path, "user.custos.serial", serial, strlen(serial), 0);
}

static int demo_media_make(const char *state_dir, bool reset, char **cause)
{
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(demo_media); i++) {
		char *path = demo_media_path(state_dir, i);
		int rc;

		if (!path)
			return util_fail(cause, -ENOMEM, _("out of memory"));
		rc = make_medium(path, demo_media[i].mib, reset);
		if (rc < 0)
			util_fail(cause, rc, _("cannot create %s: %s"), path, strerror(-rc));
		else
			demo_serial(path);
		free(path);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int cli_demo_prepare(struct cli_ctx *ctx, bool reset, char **cause)
{
	int rc;

	if (strcmp(ctx->state_dir, CLI_DEFAULT_STATE_DIR) == 0)
		ctx->state_dir = DEMO_STATE_DIR;
	rc = demo_station(ctx->state_dir, cause);
	if (rc == 0)	/* its virtual/ is where this process may now write */
		rc = station_media_setup(ctx->state_dir, cause);
	if (rc == 0)
		rc = demo_media_make(ctx->state_dir, reset, cause);
	return rc;
}

/* `custos devices` of the demo media. */
static int demo_devices(struct cli_ctx *ctx)
{
	char *paths[UTIL_ARRAY_SIZE(demo_media)] = { NULL };
	char name[] = "devices";
	char *dev_argv[UTIL_ARRAY_SIZE(demo_media) + 2] = { name };
	int rc = CLI_EXIT_OK;

	for (size_t i = 0; i < UTIL_ARRAY_SIZE(demo_media); i++) {
		paths[i] = demo_media_path(ctx->state_dir, i);
		dev_argv[i + 1] = paths[i];
		if (!paths[i])
			rc = CLI_EXIT_FAIL;
	}
	if (rc == CLI_EXIT_OK) {
		optind = 0;
		rc = cli_devices(ctx, (int)UTIL_ARRAY_SIZE(demo_media) + 1, dev_argv);
	} else {
		cli_error("demo: %s", _("out of memory"));
	}
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(paths); i++)
		free(paths[i]);
	return rc;
}

static void demo_next(const struct cli_ctx *ctx, bool own_dir)
{
	printf("\n%s\n", own_dir ?
	       _("The virtual media above start with the text \"CUSTOS DEMO DATA\", so a\n"
		 "wipe can be seen.  Try next, in this demo's state directory:") :
	       _("The virtual media above start with the text \"CUSTOS DEMO DATA\", so a\n"
		 "wipe can be seen.  Try next:"));
	if (own_dir)
		printf("  export CUSTOS_STATE_DIR=%s\n", DEMO_STATE_DIR);
	printf(_("  custos devices               every disk and the virtual media\n"
		 "  custos station pubkey        the key that signs certificates\n"
		 "  custos profiles              the sanitization profiles\n"
		 "  custos sanitize --help       how to wipe a virtual medium, e.g.\n"
		 "      %s/virtual/%s\n"
		 "  custos demo --reset          restore the media's demo data\n"),
	       ctx->state_dir, demo_media[0].file);
}

static void demo_usage(FILE *out)
{
	fprintf(out, _("Usage: custos demo [--reset]\n"
		       "\n"
		       "Sets up a demo station (organisation \"%s\", station \"demo\")\n"
		       "with three sparse file-backed virtual media in STATE-DIR/virtual, marked\n"
		       "\"CUSTOS DEMO DATA\".  Without --state-dir or CUSTOS_STATE_DIR it uses\n"
		       "%s, never the real station.  Running it again keeps\n"
		       "what exists.\n"
		       "\n"
		       "Options:\n"
		       "  -r, --reset   recreate the virtual media with their demo data\n"
		       "  -h, --help    this help\n"), DEMO_ORG, DEMO_STATE_DIR);
}

int cli_demo(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "reset", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	bool reset = false, own_dir;
	struct station *st = NULL;
	char *cause = NULL;
	int c, rc;

	while ((c = getopt_long(argc, argv, "rh", opts, NULL)) != -1) {
		switch (c) {
		case 'r': reset = true; break;
		case 'h': demo_usage(stdout); return CLI_EXIT_OK;
		default: return cli_usage_error("demo", "%s", _("unknown option"));
		}
	}
	if (optind < argc)
		return cli_usage_error("demo", _("unexpected argument '%s'"), argv[optind]);
	own_dir = strcmp(ctx->state_dir, CLI_DEFAULT_STATE_DIR) == 0;
	rc = cli_demo_prepare(ctx, reset, &cause);
	if (rc < 0) {
		cli_error("demo: %s", cause ? cause : strerror(-rc));
		free(cause);
		return CLI_EXIT_FAIL;
	}
	rc = open_station(ctx->state_dir, &st);
	if (rc == CLI_EXIT_OK && !ctx->json) {
		station_print(st);
		putchar('\n');
	}
	station_free(st);
	if (rc == CLI_EXIT_OK)
		rc = demo_devices(ctx);
	if (rc == CLI_EXIT_OK && !ctx->json)
		demo_next(ctx, own_dir);
	return rc;
}
