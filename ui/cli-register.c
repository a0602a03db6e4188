/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The register commands: enroll, issue, return, reclassify, repair,
 * destroy, lost, and `register list|show|history|verify|backup|export`.
 */
#include "cli.h"
#include "i18n.h"
#include "i18n-values.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cert.h"
#include "device.h"
#include "names.h"
#include "sanitize.h"
#include "policy.h"
#include "register.h"
#include "register-central.h"
#include "staff.h"
#include "station.h"

/* What every register command works with. */
struct reg_cli {
	struct cli_ctx *ctx;
	const char *cmd;
	struct station *st;
	struct register_db *db;
	struct policy *pol;
	char *cert_id;		/* destroy: the certificate issued */
	char *cert_dir;
	struct staff *roster;	/* write commands: the station roster */
	const char *operator_name;	/* named operator (roster spelling), or NULL */
	const struct staff_person *operator_person;	/* NULL: no roster kept */
};

static int exit_for(int rc)
{
	if (rc == -EPERM)
		return CLI_EXIT_REFUSED;
	if (rc == -EINVAL)
		return CLI_EXIT_USAGE;
	return CLI_EXIT_FAIL;
}

/* Report @cause (or @rc) and return the exit code for it. */
static int fail(struct reg_cli *r, int rc, char *cause)
{
	const char *msg = cause ? cause : strerror(-rc);
	size_t n = strlen(r->cmd);

	/* the register's own causes already start with "register" */
	if (strncmp(msg, r->cmd, n) == 0 && (msg[n] == ':' || msg[n] == ' '))
		cli_error("%s", msg);
	else
		cli_error("%s: %s", r->cmd, msg);
	free(cause);
	return exit_for(rc);
}

static int load_policy(struct reg_cli *r)
{
	char *cause = NULL;
	int rc = policy_load_default(r->ctx->state_dir, &r->pol, &cause);

	if (rc < 0) {
		cli_error("%s: policy: %s", r->cmd, cause ? cause : strerror(-rc));
		free(cause);
		return CLI_EXIT_FAIL;
	}
	return CLI_EXIT_OK;
}

/* The roster's person named @name in @role (src/staff.h); *@p NULL when
 * no roster is kept.  Refusals exit 3, a blank name 2. */
static int roster_person(struct reg_cli *r, const char *opt, const char *name, unsigned role,
			 const struct staff_person **p)
{
	char *cause = NULL;
	int rc = staff_require(r->roster, name, role, p, &cause);

	if (rc == 0)
		return CLI_EXIT_OK;
	cli_error("%s: %s: %s", r->cmd, opt, cause ? cause : strerror(-rc));
	free(cause);
	return rc == -EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_REFUSED;
}

/* Who acts: --operator, else $CUSTOS_OPERATOR or station.conf's operator,
 * checked against the roster.  Nobody named: with a roster that is a
 * usage error; without one the register events keep naming the login
 * account (destroy refuses later: certificates never do). */
static int resolve_operator(struct reg_cli *r, const char *given, const char **actor)
{
	const char *name = given && *given ? given : staff_default_operator(r->st);
	char *cause = NULL, *who;
	int rc;

	rc = staff_load(r->ctx->state_dir, &r->roster, &cause);
	if (rc < 0)
		return fail(r, rc, cause);
	if (!name && r->roster->n) {
		who = staff_describe(r->roster, STAFF_ROLE_OPERATOR);
		cli_error(_("%s: who is the operator? give --operator NAME, set $CUSTOS_OPERATOR "
			  "or operator=NAME in station.conf; the roster's operators: %s"), r->cmd,
			  who ? who : "?");
		free(who);
		return CLI_EXIT_USAGE;
	}
	*actor = station_operator();
	if (!name)
		return CLI_EXIT_OK;
	rc = roster_person(r, "operator", name, STAFF_ROLE_OPERATOR, &r->operator_person);
	if (rc != CLI_EXIT_OK)
		return rc;
	r->operator_name = r->operator_person ? r->operator_person->name : name;
	*actor = r->operator_name;
	return CLI_EXIT_OK;
}

/* Open the register; @write needs an initialised station (the events
 * name it) and an operator (resolve_operator()).  @operator_name:
 * --operator or NULL. */
static int open_register(struct reg_cli *r, bool write, const char *operator_name)
{
	const char *actor = NULL;
	char *cause = NULL;
	struct stat sb;
	int rc;

	if (write) {
		rc = station_open(r->ctx->state_dir, &r->st, &cause);
		if (rc < 0) {
			cli_error("%s: %s", r->cmd, cause ? cause : strerror(-rc));
			free(cause);
			return CLI_EXIT_FAIL;
		}
		rc = resolve_operator(r, operator_name, &actor);
		if (rc != CLI_EXIT_OK)
			return rc;
	} else if (stat(r->ctx->state_dir, &sb) < 0) {
		cli_error(_("%s: state directory %s: %s (run 'custos init')"), r->cmd,
			  r->ctx->state_dir, strerror(errno));
		return CLI_EXIT_FAIL;
	}
	rc = register_open_dir(r->ctx->state_dir, &r->db, &cause);
	if (rc < 0)
		return fail(r, rc, cause);
	if (!actor)
		actor = station_operator();
	if (register_set_actor(r->db, actor, r->st ? r->st->name : NULL) < 0) {
		cli_error(_("%s: the operator (--operator, CUSTOS_OPERATOR or the login name) "
			  "and the station name must be UTF-8 text without control characters, "
			  "shorter than 128 bytes"), r->cmd);
		return CLI_EXIT_USAGE;
	}
	/* every event is signed: writers load the key and check the head */
	if (r->st)
		rc = register_attach_station(r->db, r->st, actor, &cause);
	if (rc < 0)
		return fail(r, rc, cause);
	return load_policy(r);
}

/* A station with a central register sends what it wrote; unreachable, the
 * signed events stay queued in the local register for the next push. */
static void push_central(struct reg_cli *r)
{
	char *cause = NULL;

	if (!r->db || !r->st || !r->st->register_conninfo)
		return;
	if (register_sync_central(r->db, &cause) < 0)
		cli_warn("%s: recorded in this station's register; not yet in the central "
			 "register (%s): 'custos register push' sends it later", r->cmd,
			 cause ? cause : "unreachable");
	free(cause);
}

static void close_register(struct reg_cli *r)
{
	push_central(r);
	register_close(r->db);
	policy_free(r->pol);
	station_free(r->st);
	staff_free(r->roster);
	free(r->cert_id);
	free(r->cert_dir);
}

/* REF: a path (contains '/') is probed and recognised by serial, WWN or
 * backing file; anything else is a register number, asset tag, serial or
 * WWN. */
static int resolve(struct reg_cli *r, const char *ref, struct register_media *m)
{
	struct device_info dev;
	char *cause = NULL;
	int rc;

	if (!strchr(ref, '/')) {
		rc = register_find_ref(r->db, ref, m, &cause);
		/* not a register reference but a file here: a device path */
		if (rc != -ENOENT || access(ref, F_OK) != 0)
			return rc < 0 ? fail(r, rc, cause) : CLI_EXIT_OK;
		free(cause);
		cause = NULL;
	}
	memset(&dev, 0, sizeof(dev));
	rc = device_probe(ref, &dev, &cause);
	if (rc == 0)
		rc = register_find_by_device(r->db, &dev, m, &cause);
	device_info_clear(&dev);
	return rc < 0 ? fail(r, rc, cause) : CLI_EXIT_OK;
}

/* A medium another station enrolled (the central register), received
 * into this station's register before anything is recorded about it: its
 * events here join its one history (custos-register(5)). */
static int receive(struct reg_cli *r, struct register_media *m)
{
	char from[128], *cause = NULL;
	int rc;

	util_strlcpy(from, m->central_station, sizeof(from));
	rc = register_receive(r->db, m, &cause);
	if (rc < 0)
		return fail(r, rc, cause);
	cli_note(r->ctx, _("%s: enrolled at station %s, received into this station's register "
			   "as %s"), r->cmd, from, m->register_no);
	return CLI_EXIT_OK;
}

/* "sanitizing" as people should read it: running now, or interrupted (a
 * run that never ended: killed, power lost). */
static const char *state_text(const struct reg_cli *r, const struct register_media *m)
{
	if (strcmp(m->state, "sanitizing") != 0)
		return m->state;
	return sanitize_medium_running(r->ctx->state_dir, m->id) ? "sanitizing" : "interrupted";
}

static json_t *media_json(const struct reg_cli *r, const struct register_media *m)
{
	json_t *o = register_media_to_json(m);

	if (o && strcmp(m->state, "sanitizing") == 0)
		json_object_set_new(o, "interrupted", json_boolean(strcmp(state_text(r, m),
									  "interrupted") == 0));
	return o;
}

/* Text from the register reaches the terminal without control bytes:
 * a row written behind custos's back may hold anything. */
#define SAFE(field) util_text_safe((field), false, (field), sizeof(field))

static void media_safe(struct register_media *m)
{
	SAFE(m->register_no);
	SAFE(m->asset_tag);
	SAFE(m->media_type);
	SAFE(m->vendor);
	SAFE(m->model);
	SAFE(m->serial);
	SAFE(m->wwn);
	SAFE(m->backing_file);
	SAFE(m->classification);
	SAFE(m->highest_class);
	SAFE(m->custodian);
	SAFE(m->department);
	SAFE(m->holder);
	SAFE(m->state);
	SAFE(m->note);
	SAFE(m->source);
	SAFE(m->created_at);
	SAFE(m->updated_at);
	SAFE(m->history_note);
}

static void print_media_line(const struct register_media *in)
{
	struct register_media safe = *in, *m = &safe;

	enum policy_level l;
	const char *zh = policy_level_parse(m->classification, &l) == 0 ?
				 policy_level_name_zh(l) : "";

	media_safe(m);
	printf("%s  %s  %s (%s)  %s%s%s\n", m->register_no,
	       i18n_value_of(VALUE_MEDIA, m->media_type, NULL, 0),
	       m->classification[0] ? m->classification : _("unclassified"), zh,
	       i18n_value_of(VALUE_STATE, m->state, NULL, 0), m->holder[0] ? _(", with ") : "",
	       m->holder);
}

/* register show is bilingual: the code, then its Chinese word. */
static const char *zh_of(enum value_kind k, const char *code)
{
	const char *zh = values_zh(k, code);

	return zh ? zh : "";
}

static void print_media(const struct reg_cli *r, const struct register_media *in)
{
	struct register_media safe = *in, *m = &safe;
	char size[32], when[UTIL_TIME_LEN];
	enum policy_level l;
	const char *zh = policy_level_parse(m->classification, &l) == 0 ?
				 policy_level_name_zh(l) : "";

	media_safe(m);
	util_format_size(m->capacity_bytes, size, sizeof(size));
	printf("登记编号 Register No.:     %s%s\n", m->register_no,
	       m->unregistered ? _("  (unregistered: sanitized without enrolment)") : "");
	printf("资产标签 Asset tag:        %s\n", m->asset_tag);
	printf("介质类型 Media type:       %s %s\n", m->media_type, zh_of(VALUE_MEDIA, m->media_type));
	printf("品牌型号 Vendor/model:     %s %s\n", m->vendor, m->model);
	printf("硬件序列号 Serial:         %s\n", m->serial);
	if (m->wwn[0])
		printf("WWN:                       %s\n", m->wwn);
	if (m->backing_file[0])
		printf("镜像文件 Backing file:     %s\n", m->backing_file);
	printf("容量 Capacity:             %s (%llu bytes)\n", size,
	       (unsigned long long)m->capacity_bytes);
	printf("密级 Classification:       %s %s\n", m->classification, zh);
	printf("最高密级 Highest held:     %s %s\n", m->highest_class,
	       zh_of(VALUE_LEVEL, m->highest_class));
	printf("责任人 Custodian:          %s\n", m->custodian);
	printf("使用处室 Department:       %s\n", m->department);
	if (strcmp(state_text(r, m), "interrupted") == 0)
		printf(_("状态 State:                sanitizing, INTERRUPTED (中断): the run never "
		       "ended; custos sanitize --resume continues it\n"));
	else
		printf("状态 State:                %s %s\n", m->state, zh_of(VALUE_STATE, m->state));
	printf("持有人 Holder:             %s\n", m->holder);
	printf("启用日期 Enrolled:         %s\n",
	       util_time_local_text(m->created_at, when, sizeof(when)));
	printf("更新 Updated:              %s\n",
	       util_time_local_text(m->updated_at, when, sizeof(when)));
	if (m->note[0])
		printf("备注 Note:                 %s\n", m->note);
	if (m->history_differs)
		printf(_("警告 WARNING:              this row differs from its history: %s\n"),
		       m->history_note);
}

/* With a certificate issued (destroy), add it to the medium object. */
static json_t *cert_json(const struct reg_cli *r, json_t *o)
{
	char *json_path, *pdf_path;

	if (!o || !r->cert_id)
		return o;
	json_path = util_asprintf("%s/%s.json", r->cert_dir, r->cert_id);
	pdf_path = util_asprintf("%s/%s.pdf", r->cert_dir, r->cert_id);
	json_object_set_new(o, "certificate", json_pack("{s:s, s:s?, s:s?}", "id", r->cert_id,
							"json", json_path, "pdf", pdf_path));
	free(json_path);
	free(pdf_path);
	return o;
}

static int show_result(struct reg_cli *r, int64_t id, const char *what)
{
	struct register_media m;
	char *cause = NULL;
	int rc = register_get(r->db, id, &m, &cause);

	if (rc < 0)
		return fail(r, rc, cause);
	if (r->ctx->json)
		return cli_print_json(cert_json(r, register_media_to_json(&m)));
	printf("%s: ", what);
	print_media_line(&m);
	if (r->cert_id)
		printf(_("certificate %s:\n  %s/%s.json\n  %s/%s.pdf\n"), r->cert_id, r->cert_dir,
		       r->cert_id, r->cert_dir, r->cert_id);
	return CLI_EXIT_OK;
}

/* The texts as typed (before they were cut to the row's fields). */
struct enroll_text {
	const char *asset_tag, *custodian, *department, *note, *serial, *vendor, *model;
};

/* Options of enroll. */
struct enroll_opts {
	struct register_media m;
	bool manual;
	const char *type;
	const char *operator_name;
	struct enroll_text text;
};

static int enroll_parse(struct cli_ctx *ctx, int argc, char **argv, struct enroll_opts *o)
{
	static const struct option opts[] = {
		{ "class", required_argument, NULL, 'c' },
		{ "asset-tag", required_argument, NULL, 'a' },
		{ "custodian", required_argument, NULL, 'u' },
		{ "department", required_argument, NULL, 'D' },
		{ "type", required_argument, NULL, 't' },
		{ "note", required_argument, NULL, 'n' },
		{ "manual", no_argument, NULL, 'm' },
		{ "serial", required_argument, NULL, 's' },
		{ "vendor", required_argument, NULL, 'V' },
		{ "model", required_argument, NULL, 'M' },
		{ "capacity", required_argument, NULL, 'C' },
		{ "operator", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct register_media *m = &o->m;
	int c;

	while ((c = getopt_long(argc, argv, "c:a:u:D:t:n:ms:V:M:C:o:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': util_strlcpy(m->classification, optarg, sizeof(m->classification)); break;
		case 'a':
			o->text.asset_tag = optarg;
			util_strlcpy(m->asset_tag, optarg, sizeof(m->asset_tag));
			break;
		case 'u':
			o->text.custodian = optarg;
			util_strlcpy(m->custodian, optarg, sizeof(m->custodian));
			break;
		case 'D':
			o->text.department = optarg;
			util_strlcpy(m->department, optarg, sizeof(m->department));
			break;
		case 't': o->type = optarg; break;
		case 'n':
			o->text.note = optarg;
			util_strlcpy(m->note, optarg, sizeof(m->note));
			break;
		case 'm': o->manual = true; break;
		case 's':
			o->text.serial = optarg;
			util_strlcpy(m->serial, optarg, sizeof(m->serial));
			break;
		case 'V':
			o->text.vendor = optarg;
			util_strlcpy(m->vendor, optarg, sizeof(m->vendor));
			break;
		case 'M':
			o->text.model = optarg;
			util_strlcpy(m->model, optarg, sizeof(m->model));
			break;
		case 'C':
			if (util_parse_u64(optarg, &m->capacity_bytes, 1) < 0)
				return cli_usage_error("enroll", _("bad capacity '%s'"), optarg);
			break;
		case 'o': o->operator_name = optarg; break;
		case 'j': ctx->json = true; break;
		case 'h':
			printf(_("Usage: custos enroll DEVICE --class LEVEL [--asset-tag T] "
			       "[--custodian NAME]\n"
			       "         [--department D] [--type T] [--note TEXT] "
			       "[--operator NAME]\n"
			       "       custos enroll --manual --type TYPE --class LEVEL "
			       "[--serial S] [--vendor V]\n"
			       "         [--model M] [--capacity SIZE] [same options]\n"
			       "LEVEL: public internal secret confidential top-secret "
			       "(or 公开 内部 秘密 机密 绝密)\n"
			       "TYPE: hdd ssd nvme usb-flash sd-mmc optical other virtual\n"));
			return -1;
		default:
			return CLI_EXIT_USAGE;
		}
	}
	return CLI_EXIT_OK;
}

static int enroll_check_text(const struct enroll_opts *o)
{
	const struct enroll_text *t = &o->text;
	const struct register_media *m = &o->m;

	return cli_check_text("enroll", "--asset-tag", t->asset_tag, sizeof(m->asset_tag)) ||
	       cli_check_text("enroll", "--custodian", t->custodian, sizeof(m->custodian)) ||
	       cli_check_text("enroll", "--department", t->department, sizeof(m->department)) ||
	       cli_check_text("enroll", "--note", t->note, sizeof(m->note)) ||
	       cli_check_text("enroll", "--serial", t->serial, sizeof(m->serial)) ||
	       cli_check_text("enroll", "--vendor", t->vendor, sizeof(m->vendor)) ||
	       cli_check_text("enroll", "--model", t->model, sizeof(m->model)) ||
	       cli_check_text("enroll", "--operator", o->operator_name, 128) ?
	       CLI_EXIT_USAGE : CLI_EXIT_OK;
}

static int enroll_check(struct enroll_opts *o, int nargs)
{
	enum policy_level l;
	enum policy_kind k;

	if (!o->m.classification[0])
		return cli_usage_error("enroll", _("--class LEVEL is required"));
	if (enroll_check_text(o) != CLI_EXIT_OK)
		return CLI_EXIT_USAGE;
	if (policy_level_parse(o->m.classification, &l) < 0)
		return cli_usage_error("enroll", _("unknown classification '%s'"),
				       o->m.classification);
	if (o->type && policy_kind_parse(o->type, &k) < 0)
		return cli_usage_error("enroll", _("unknown media type '%s'"), o->type);
	if (o->manual && nargs != 0)
		return cli_usage_error("enroll", _("--manual takes no DEVICE"));
	if (o->manual && !o->type)
		return cli_usage_error("enroll", _("--manual needs --type"));
	if (!o->manual && nargs != 1)
		return cli_usage_error("enroll", _("expected one DEVICE (or --manual)"));
	return CLI_EXIT_OK;
}

/* Describe the device into @o->m; refuse a medium already enrolled. */
static int enroll_from_device(struct reg_cli *r, const char *path, struct enroll_opts *o)
{
	struct register_media old;
	struct device_info dev;
	char *cause = NULL;
	int rc;

	memset(&dev, 0, sizeof(dev));
	rc = device_probe(path, &dev, &cause);
	if (rc < 0)
		return fail(r, rc, cause);
	if (dev.reasons & DEVICE_REASON_PARTITION) {	/* a medium is a whole disk */
		cause = util_asprintf("%s", dev.reason_text[0]);
		device_info_clear(&dev);
		return fail(r, -ENOTBLK, cause);
	}
	register_media_from_device(&o->m, &dev);
	if (!dev.serial[0] && !dev.wwn[0] && !o->m.backing_file[0])
		cli_warn(_("%s has no serial number or WWN: it will not be recognised when "
			 "plugged in again"), path);
	rc = register_find_by_device(r->db, &dev, &old, NULL);
	device_info_clear(&dev);
	if (rc == 0 && old.unregistered && !register_state_is_terminal(old.state)) {
		if (!r->ctx->json)
			printf(_("%s was sanitized before enrolment as %s: enrolling that record\n"),
			       path, old.register_no);
	} else if (rc == 0 && !register_state_is_terminal(old.state)) {
		cli_error(_("enroll: %s is already in the register as %s"), path, old.register_no);
		if (r->ctx->json)
			cli_print_json(register_media_to_json(&old));
		else
			print_media(r, &old);
		return CLI_EXIT_FAIL;
	}
	return CLI_EXIT_OK;
}

/* A custodian should be a roster person in role custodian, but media also
 * go to people of other offices: a warning only.  On the roster, the name
 * takes the roster's spelling. */
static const char *roster_custodian(struct reg_cli *r, const char *name)
{
	const struct staff_person *p = NULL;
	char *why = NULL;

	if (staff_require(r->roster, name, STAFF_ROLE_CUSTODIAN, &p, &why) < 0)
		cli_warn("%s: %s", r->cmd, why ? why : _("custodian not on the roster"));
	free(why);
	return p ? p->name : name;
}

int cli_enroll(struct cli_ctx *ctx, int argc, char **argv)
{
	struct reg_cli r = { .ctx = ctx, .cmd = "enroll" };
	struct enroll_opts o;
	char *cause = NULL;
	int rc;

	memset(&o, 0, sizeof(o));
	rc = enroll_parse(ctx, argc, argv, &o);
	if (rc != CLI_EXIT_OK)
		return rc < 0 ? CLI_EXIT_OK : rc;
	rc = enroll_check(&o, argc - optind);
	if (rc != CLI_EXIT_OK)
		return rc;
	rc = open_register(&r, true, o.operator_name);
	if (rc == CLI_EXIT_OK && !o.manual)
		rc = enroll_from_device(&r, argv[optind], &o);
	if (rc != CLI_EXIT_OK)
		goto out;
	if (o.manual)
		util_strlcpy(o.m.source, "manual", sizeof(o.m.source));
	if (o.type)
		util_strlcpy(o.m.media_type, o.type, sizeof(o.m.media_type));
	if (o.m.custodian[0])
		util_strlcpy(o.m.custodian, roster_custodian(&r, o.m.custodian),
			     sizeof(o.m.custodian));
	rc = register_enroll(r.db, &o.m, &o.m, &cause);
	rc = rc < 0 ? fail(&r, rc, cause) : show_result(&r, o.m.id, "enrolled");
out:
	close_register(&r);
	return rc;
}

/* The shared shape of issue/return/reclassify/repair/lost: REF plus
 * options. */
struct custody_opts {
	const char *to;
	const char *cls;
	const char *note;
	const char *operator_name;
	const char *method;
	const char *place;
	char **witnesses;	/* every --witness, each a list (names_split) */
	size_t n_witnesses;
	/* destroy: the certificate */
	const char *operator_title;
	const char *validator;
	const char *validator_title;
	const char *cert_dir;
};

/* Long options of destroy only. */
enum { OPT_OPERATOR_TITLE = 256, OPT_VALIDATOR, OPT_VALIDATOR_TITLE, OPT_CERT_DIR };

static void custody_help(const char *cmd)
{
	static const struct {
		const char *cmd, *usage;
	} u[] = {
		{ "issue", "REF --to NAME" },
		{ "return", "REF" },
		{ "reclassify", "REF --class LEVEL" },
		{ "repair", "REF --to VENDOR" },
		{ "destroy", "REF --method METHOD --place PLACE --witness NAME...\n"
			     "         [--note TEXT] [--operator-title T] [--validator NAME]\n"
			     "         [--validator-title T] [--cert-dir DIR]" },
		{ "lost", "REF [--note TEXT]" },
	};

	for (size_t i = 0; i < UTIL_ARRAY_SIZE(u); i++)
		if (strcmp(u[i].cmd, cmd) == 0)
			printf(_("Usage: custos %s %s [--operator NAME] [--json]\n"), cmd, u[i].usage);
	printf(_("REF: register number, asset tag, serial number or device path.\n"));
	if (strcmp(cmd, "destroy") != 0)
		return;
	printf(_("--witness NAME once per witness, or a list (\"王芳，刘强\": separated by\n"
	       ", ， 、 ; ；): at least the policy's number (default 2) of distinct\n"
	       "people, none the operator (rule two-witnesses).\n"
	       "METHOD, by code or Chinese name:\n"));
	for (size_t i = 0; i < register_n_destroy_methods; i++)
		printf("  %-14s %s (%s)\n", register_destroy_methods[i].code,
		       register_destroy_methods[i].zh, register_destroy_methods[i].en);
	printf(_("destroy issues a signed destruction certificate, <id>.json and <id>.pdf "
	       "in DIR\n(default STATE-DIR/certs), stored in the register.\n"));
}

/* Append the names of one --witness ("王芳，刘强" is two) to @o. */
static int add_witnesses(const char *cmd, struct custody_opts *o, const char *list)
{
	char **v = NULL, **all, *cause = NULL;
	size_t n = 0;

	/* the same rule and message as every text option, before splitting */
	if (cli_check_text(cmd, "--witness", list, 0) != CLI_EXIT_OK)
		return -EINVAL;
	if (names_split(list, &v, &n, &cause) < 0) {
		cli_usage_error(cmd, _("--witness: %s"), cause);
		free(cause);
		return -EINVAL;
	}
	if (o->n_witnesses + n > CERT_MAX_WITNESSES) {
		names_list_free(v, n);
		cli_usage_error(cmd, _("too many witnesses (at most %d)"), CERT_MAX_WITNESSES);
		return -EINVAL;
	}
	all = realloc(o->witnesses, (o->n_witnesses + n + 1) * sizeof(*all));
	if (!all) {
		names_list_free(v, n);
		return -ENOMEM;
	}
	memcpy(all + o->n_witnesses, v, n * sizeof(*v));
	o->witnesses = all;
	o->n_witnesses += n;
	free(v);
	return 0;
}

/* Every text that may enter the register or a certificate. */
static int custody_check_text(const char *cmd, const struct custody_opts *o)
{
	const struct {
		const char *opt, *val;
		size_t size;
	} t[] = {
		{ "--to", o->to, sizeof(((struct register_media *)0)->holder) },
		{ "--note", o->note, sizeof(((struct register_media *)0)->note) },
		{ "--operator", o->operator_name, 128 },
		{ "--method", o->method, 0 }, { "--place", o->place, 0 },
		{ "--operator-title", o->operator_title, 0 },
		{ "--validator", o->validator, 128 },
		{ "--validator-title", o->validator_title, 0 },
	};

	for (size_t i = 0; i < UTIL_ARRAY_SIZE(t); i++)
		if (cli_check_text(cmd, t[i].opt, t[i].val, t[i].size) != CLI_EXIT_OK)
			return CLI_EXIT_USAGE;
	for (size_t i = 0; i < o->n_witnesses; i++)
		if (cli_check_text(cmd, "--witness", o->witnesses[i], 128) != CLI_EXIT_OK)
			return CLI_EXIT_USAGE;
	return CLI_EXIT_OK;
}

static int custody_parse(struct cli_ctx *ctx, const char *cmd, int argc, char **argv,
			 struct custody_opts *o)
{
	static const struct option opts[] = {
		{ "to", required_argument, NULL, 't' },
		{ "class", required_argument, NULL, 'c' },
		{ "note", required_argument, NULL, 'n' },
		{ "operator", required_argument, NULL, 'o' },
		{ "method", required_argument, NULL, 'm' },
		{ "place", required_argument, NULL, 'p' },
		{ "witness", required_argument, NULL, 'w' },
		{ "operator-title", required_argument, NULL, OPT_OPERATOR_TITLE },
		{ "validator", required_argument, NULL, OPT_VALIDATOR },
		{ "validator-title", required_argument, NULL, OPT_VALIDATOR_TITLE },
		{ "cert-dir", required_argument, NULL, OPT_CERT_DIR },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "t:c:n:o:m:p:w:jh", opts, NULL)) != -1) {
		switch (c) {
		case 't': o->to = optarg; break;
		case 'c': o->cls = optarg; break;
		case 'n': o->note = optarg; break;
		case 'o': o->operator_name = optarg; break;
		case 'm': o->method = optarg; break;
		case 'p': o->place = optarg; break;
		case 'w':
			if (add_witnesses(cmd, o, optarg) < 0)
				return CLI_EXIT_USAGE;
			break;
		case OPT_OPERATOR_TITLE: o->operator_title = optarg; break;
		case OPT_VALIDATOR: o->validator = optarg; break;
		case OPT_VALIDATOR_TITLE: o->validator_title = optarg; break;
		case OPT_CERT_DIR: o->cert_dir = optarg; break;
		case 'j': ctx->json = true; break;
		case 'h': custody_help(cmd); return -1;
		default: return CLI_EXIT_USAGE;
		}
	}
	if (argc - optind != 1)
		return cli_usage_error(cmd, _("expected one REF"));
	if (custody_check_text(cmd, o) != CLI_EXIT_OK)
		return CLI_EXIT_USAGE;
	if (strcmp(cmd, "destroy") != 0 && (o->operator_title || o->validator ||
					    o->validator_title || o->cert_dir))
		return cli_usage_error(cmd, _("--operator-title, --validator, --validator-title "
				       "and --cert-dir belong to destroy"));
	return CLI_EXIT_OK;
}

typedef int (*custody_fn)(struct reg_cli *r, const struct register_media *m,
			  const struct custody_opts *o, char **cause);

/* Parse, open, resolve REF, run @fn, show the new entry. */
static int custody(struct cli_ctx *ctx, const char *cmd, int argc, char **argv, custody_fn fn,
		   int (*check)(const struct custody_opts *o))
{
	struct reg_cli r = { .ctx = ctx, .cmd = cmd };
	struct custody_opts o;
	struct register_media m;
	char *cause = NULL;
	int rc;

	memset(&o, 0, sizeof(o));
	rc = custody_parse(ctx, cmd, argc, argv, &o);
	if (rc == CLI_EXIT_OK)
		rc = check ? check(&o) : CLI_EXIT_OK;
	if (rc != CLI_EXIT_OK) {
		names_list_free(o.witnesses, o.n_witnesses);
		return rc < 0 ? CLI_EXIT_OK : rc;
	}
	rc = open_register(&r, true, o.operator_name);
	if (rc == CLI_EXIT_OK)
		rc = resolve(&r, argv[optind], &m);
	if (rc == CLI_EXIT_OK && m.id <= 0)	/* another station's medium */
		rc = receive(&r, &m);
	if (rc != CLI_EXIT_OK)
		goto out;
	rc = fn(&r, &m, &o, &cause);
	if (rc == -EALREADY) {
		cli_note(ctx, "%s: %s", cmd, cause);
		free(cause);
		rc = CLI_EXIT_OK;
	} else if (rc < 0) {
		rc = fail(&r, rc, cause);
	} else {
		rc = rc > 0 ? rc : show_result(&r, m.id, cmd);
	}
out:
	close_register(&r);
	names_list_free(o.witnesses, o.n_witnesses);
	return rc;
}

static int need_to(const struct custody_opts *o)
{
	return o->to && *o->to ? CLI_EXIT_OK : cli_usage_error(NULL, _("--to NAME is required"));
}

/* The custodian as roster_custodian() checks it. */
static int do_issue(struct reg_cli *r, const struct register_media *m,
		    const struct custody_opts *o, char **cause)
{
	return register_issue(r->db, m->id, roster_custodian(r, o->to), cause);
}

int cli_issue(struct cli_ctx *ctx, int argc, char **argv)
{
	return custody(ctx, "issue", argc, argv, do_issue, need_to);
}

static int do_return(struct reg_cli *r, const struct register_media *m,
		     const struct custody_opts *o, char **cause)
{
	(void)o;
	return register_return(r->db, m->id, cause);
}

int cli_return(struct cli_ctx *ctx, int argc, char **argv)
{
	return custody(ctx, "return", argc, argv, do_return, NULL);
}

static int need_class(const struct custody_opts *o)
{
	enum policy_level l;

	if (!o->cls)
		return cli_usage_error("reclassify", _("--class LEVEL is required"));
	if (policy_level_parse(o->cls, &l) < 0)
		return cli_usage_error("reclassify", _("unknown classification '%s'"), o->cls);
	return CLI_EXIT_OK;
}

static int do_reclassify(struct reg_cli *r, const struct register_media *m,
			 const struct custody_opts *o, char **cause)
{
	enum policy_level l = POLICY_LEVEL_PUBLIC;

	policy_level_parse(o->cls, &l);
	return register_reclassify(r->db, r->pol, m->id, l, cause);
}

int cli_reclassify(struct cli_ctx *ctx, int argc, char **argv)
{
	return custody(ctx, "reclassify", argc, argv, do_reclassify, need_class);
}

static int do_repair(struct reg_cli *r, const struct register_media *m,
		     const struct custody_opts *o, char **cause)
{
	return register_repair(r->db, m->id, o->to, cause);
}

int cli_repair(struct cli_ctx *ctx, int argc, char **argv)
{
	return custody(ctx, "repair", argc, argv, do_repair, need_to);
}

static int do_lost(struct reg_cli *r, const struct register_media *m,
		   const struct custody_opts *o, char **cause)
{
	return register_lost(r->db, m->id, o->note, cause);
}

int cli_lost(struct cli_ctx *ctx, int argc, char **argv)
{
	return custody(ctx, "lost", argc, argv, do_lost, NULL);
}

static int need_destruction(const struct custody_opts *o)
{
	char *all;
	int rc;

	/* the number of witnesses is the policy's (rule two-witnesses, exit 3) */
	if (!o->method || !*o->method || !o->place || !*o->place)
		return cli_usage_error("destroy", _("--method and --place are required"));
	if (register_destroy_method_find(o->method))
		return CLI_EXIT_OK;
	/* one list for both faces (register_destroy_methods[]) */
	all = register_destroy_methods_text();
	rc = cli_usage_error("destroy", _("unknown method '%s' (one of: %s)"), o->method,
			     all ? all : "?");
	free(all);
	return rc;
}

/* The library refuses before writing (nothing recorded: the usual exit)
 * or, after the event, says what has no certificate: exit 1. */
static const char *nonempty(const char *a, const char *b)
{
	return a && *a ? a : b && *b ? b : NULL;
}

/* The certificate's people, checked against the roster: the operator was
 * named (resolve_operator()), the validator and every witness are on it
 * in their role; names take the roster's spelling, titles its titles. */
static int destroy_people(struct reg_cli *r, const struct custody_opts *o,
			  const char **w, const struct staff_person **v)
{
	const struct staff_person *p;
	int rc;

	*v = NULL;
	if (!r->operator_name) {
		cli_error(_("destroy: a certificate names its operator: give --operator NAME, set "
			  "$CUSTOS_OPERATOR or operator=NAME in station.conf (never the login "
			  "account)"));
		return CLI_EXIT_USAGE;
	}
	if (o->validator && *o->validator) {
		rc = roster_person(r, "--validator", o->validator, STAFF_ROLE_VALIDATOR, v);
		if (rc != CLI_EXIT_OK)
			return rc;
	}
	for (size_t i = 0; i < o->n_witnesses; i++) {
		rc = roster_person(r, "--witness", o->witnesses[i], STAFF_ROLE_WITNESS, &p);
		if (rc != CLI_EXIT_OK)
			return rc;
		w[i] = p ? p->name : o->witnesses[i];
	}
	return CLI_EXIT_OK;
}

/* The library refuses before writing (nothing recorded: the usual exit)
 * or, after the event, says what has no certificate: exit 1. */
static int do_destroy(struct reg_cli *r, const struct register_media *m,
		      const struct custody_opts *o, char **cause)
{
	const char *w[CERT_MAX_WITNESSES + 1] = { NULL };
	const struct staff_person *v = NULL, *op = r->operator_person;
	struct register_destruction d = {
		.method = register_destroy_method_find(o->method)->code, .place = o->place,
		.witnesses = w,
		.n_witnesses = o->n_witnesses, .note = o->note,
	};
	struct sanitize_destroy fd = {
		.state_dir = r->ctx->state_dir, .station = r->st, .cert_dir = o->cert_dir,
		.operator_name = r->operator_name,
		.operator_title = nonempty(o->operator_title, op ? op->title : NULL),
		.validator_name = o->validator, .validator_title = o->validator_title, .d = &d,
	};
	int rc = destroy_people(r, o, w, &v);

	if (rc != CLI_EXIT_OK)
		return rc;
	if (v) {
		fd.validator_name = v->name;
		fd.validator_title = nonempty(o->validator_title, v->title);
	}
	rc = sanitize_destroy(r->pol, r->db, m, &fd, cause);

	if (rc == 0) {
		/* for show_result(); without them the entry shows alone */
		r->cert_id = strdup(fd.cert_id);
		r->cert_dir = strdup(fd.cert_dir_out);
		if (!r->cert_dir) {
			free(r->cert_id);
			r->cert_id = NULL;
		}
		return 0;
	}
	if (!fd.recorded)
		return rc;
	cli_error("destroy: %s", *cause ? *cause : strerror(-rc));
	cli_error(_("destroy: the register event stays; fix the cause and keep this output: "
		  "`custos register history %s` shows the event"), m->register_no);
	free(*cause);
	*cause = NULL;
	return CLI_EXIT_FAIL;
}

int cli_destroy(struct cli_ctx *ctx, int argc, char **argv)
{
	return custody(ctx, "destroy", argc, argv, do_destroy, need_destruction);
}

/* custos register SUBCOMMAND */

/* A table cell of @cols display columns and a space: wider text is cut
 * with an ellipsis, or, with @whole (keys the user types back), printed
 * whole. */
static void put_cell(const char *s, int cols, bool whole)
{
	int w = util_display_width(s);

	util_fput_width(stdout, s, whole && w > cols ? w : cols);
	putchar(' ');
}

static void print_list_row(const char *no, const char *tag, const char *type, const char *cls,
			   const char *state, const char *custodian, const char *serial)
{
	put_cell(no, 9, true);
	put_cell(tag, 12, true);
	put_cell(type, 9, false);
	put_cell(cls, 12, false);
	put_cell(state, 9, true);	/* awaiting-destruction: whole, not cut */
	put_cell(custodian, 16, false);
	util_fput_text(stdout, serial);
	putchar('\n');
}

static int reg_list(struct reg_cli *r, const char *cls, const char *state)
{
	struct register_media *m = NULL;
	enum policy_level l;
	char *cause = NULL;
	size_t n = 0;
	json_t *arr;
	int rc;

	if (cls && policy_level_parse(cls, &l) == 0)
		cls = policy_level_name(l);
	rc = register_list(r->db, cls, state, &m, &n, &cause);
	if (rc < 0)
		return fail(r, rc, cause);
	if (r->ctx->json) {
		arr = json_array();
		for (size_t i = 0; arr && i < n; i++)
			json_array_append_new(arr, media_json(r, &m[i]));
		free(m);
		return cli_print_json(arr);
	}
	print_list_row(_("REG NO"), _("ASSET TAG"), _("TYPE"), _("CLASS"), _("STATE"),
		       _("CUSTODIAN"), _("SERIAL"));
	for (size_t i = 0; i < n; i++)
		print_list_row(m[i].register_no, m[i].asset_tag[0] ? m[i].asset_tag : "-",
			       i18n_value_of(VALUE_MEDIA, m[i].media_type, NULL, 0),
			       m[i].classification[0] ?
			       i18n_value_of(VALUE_LEVEL, m[i].classification, NULL, 0) : "-",
			       i18n_value_of(VALUE_STATE, state_text(r, &m[i]), NULL, 0),
			       m[i].custodian[0] ? m[i].custodian : "-",
			       m[i].serial[0] ? m[i].serial : "-");
	free(m);
	return CLI_EXIT_OK;
}

static int reg_show(struct reg_cli *r, const char *ref)
{
	struct register_media m;
	int rc = resolve(r, ref, &m);

	if (rc != CLI_EXIT_OK)
		return rc;
	if (r->ctx->json)
		return cli_print_json(media_json(r, &m));
	print_media(r, &m);
	return CLI_EXIT_OK;
}

/* register history: each event's details as "key: value" pairs on at
 * most HIST_LINES lines of HIST_COLS columns (not its JSON). */
#define HIST_COLS 78
#define HIST_INDENT 6
#define HIST_LINES 4
#define HIST_VALUE_COLS 40

struct hist_out {
	int col;		/* columns used on the current line */
	int line;		/* details lines begun */
	size_t left;		/* pairs not shown */
};

/* The value kind of a details key, for the interface language. */
static bool hist_kind(const char *key, enum value_kind *k)
{
	static const struct {
		const char *key;
		enum value_kind k;
	} keys[] = {
		{ "classification", VALUE_LEVEL }, { "highest_class", VALUE_LEVEL },
		{ "from", VALUE_LEVEL }, { "to", VALUE_LEVEL }, { "class", VALUE_LEVEL },
		{ "state", VALUE_STATE }, { "destination", VALUE_DEST },
		{ "outcome", VALUE_OUTCOME }, { "media_type", VALUE_MEDIA },
		{ "nist", VALUE_NIST }, { "nist_category", VALUE_NIST },
		{ "declared_classification", VALUE_LEVEL }, { "method", VALUE_DESTROY },
	};

	for (size_t i = 0; i < UTIL_ARRAY_SIZE(keys); i++)
		if (strcmp(keys[i].key, key) == 0) {
			*k = keys[i].k;
			return true;
		}
	return false;
}

/* A scalar as text: codes in the interface language, times local. */
static char *hist_scalar(const char *key, const json_t *v)
{
	char buf[160], when[UTIL_TIME_LEN];
	const char *s = json_string_value(v);
	int64_t t;
	enum value_kind k;

	if (json_is_integer(v))
		return util_asprintf("%" JSON_INTEGER_FORMAT, json_integer_value(v));
	if (json_is_real(v))
		return util_asprintf("%g", json_real_value(v));
	if (json_is_boolean(v))
		return strdup(json_is_true(v) ? _("yes") : _("no"));
	if (!s)
		return NULL;
	if (util_time_parse(s, &t) == 0)
		return strdup(util_time_local_text(s, when, sizeof(when)));
	if (hist_kind(key, &k) && values_find(k, s))
		return strdup(i18n_value_of(k, s, buf, sizeof(buf)));
	return strdup(s);
}

static char *hist_value(const char *key, const json_t *v)
{
	char *out = NULL, *part;
	size_t i;
	json_t *x;

	if (!json_is_array(v))
		return hist_scalar(key, v);
	json_array_foreach((json_t *)v, i, x) {
		char *next;

		part = json_is_object(x) || json_is_array(x) ? strdup("{…}") : hist_scalar(key, x);
		next = util_asprintf("%s%s%s", out ? out : "", out ? ", " : "", part ? part : "");
		free(part);
		free(out);
		out = next;
		if (!out)
			return NULL;
	}
	return out ? out : strdup("-");
}

/* Put one "key: value" pair, wrapping within HIST_COLS. */
static void hist_pair(struct hist_out *o, const char *key, const char *value)
{
	char fitted[4 * HIST_VALUE_COLS + 8], *pair;
	int w;

	util_fit_width(value, HIST_VALUE_COLS, false, fitted, sizeof(fitted));
	pair = util_asprintf("%s: %s", key, fitted);
	if (!pair)
		return;
	w = util_display_width(pair);
	/* the last line keeps room for " … N more (--json shows all)" */
	if (o->line == 0 || o->col + 2 + w > HIST_COLS - (o->line == HIST_LINES ? 30 : 0)) {
		if (o->line == HIST_LINES) {
			o->left++;
			free(pair);
			return;
		}
		printf("%s%*s", o->line ? "\n" : "", HIST_INDENT, "");
		o->col = HIST_INDENT;
		o->line++;
	} else {
		fputs(", ", stdout);
		o->col += 2;
	}
	util_fput_width(stdout, pair, w);
	o->col += w;
	free(pair);
}

struct hist_pair {
	char *name;		/* "result.outcome" */
	char *text;
	int rank;		/* of a key a reader looks for first; -1 */
};

struct hist_pairs {
	struct hist_pair *v;
	size_t n, cap;
};

/* What a reader looks for first in an event, by its last key, in this
 * order; -1 for the rest. */
#define HIST_RANKS 13
static int hist_rank(const char *key)
{
	static const char *const first[HIST_RANKS] = {
		"outcome", "cause", "profile", "destination", "certificate", "to", "from",
		"classification", "method", "place", "witnesses", "note", "state",
	};

	for (int i = 0; i < HIST_RANKS; i++)
		if (strcmp(first[i], key) == 0)
			return i;
	return -1;
}

static void hist_add(struct hist_pairs *ps, char *name, char *text, int rank)
{
	if (ps->n == ps->cap) {
		size_t cap = ps->cap ? 2 * ps->cap : 16;
		struct hist_pair *v = realloc(ps->v, cap * sizeof(*v));

		if (!v) {
			free(name);
			free(text);
			return;
		}
		ps->v = v;
		ps->cap = cap;
	}
	ps->v[ps->n++] = (struct hist_pair){ name, text, rank };
}

/* The pairs of object @obj, nested objects with dotted keys. */
static void hist_object(struct hist_pairs *ps, const char *prefix, const json_t *obj)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)obj, key, v) {
		char *name = prefix ? util_asprintf("%s.%s", prefix, key) : strdup(key);
		char *text;

		if (!name)
			return;
		if (json_is_object(v)) {
			hist_object(ps, name, v);
		} else if (!json_is_null(v) && !(json_is_string(v) && !*json_string_value(v))) {
			text = hist_value(key, v);
			if (text) {
				hist_add(ps, name, text, hist_rank(key));
				continue;
			}
		}
		free(name);
	}
}

static void print_details(const char *details)
{
	json_t *d = details ? json_loads(details, 0, NULL) : NULL;
	struct hist_pairs ps = { 0 };
	struct hist_out o = { 0 };

	if (json_is_object(d)) {
		hist_object(&ps, NULL, d);
		/* the keys a reader looks for first, then the rest */
		for (int rank = 0; rank <= HIST_RANKS; rank++)
			for (size_t i = 0; i < ps.n; i++)
				if (ps.v[i].rank == (rank < HIST_RANKS ? rank : -1))
					hist_pair(&o, ps.v[i].name, ps.v[i].text);
		if (o.left)
			/* TRANSLATORS: more details of a register event than fit */
			printf(_(" … %zu more (--json shows all)"), o.left);
		if (o.line)
			putchar('\n');
	} else if (details && *details) {
		/* not JSON: a row written behind custos's back */
		printf("%*s", HIST_INDENT, "");
		util_fput_width(stdout, details, HIST_COLS - HIST_INDENT);
		putchar('\n');
	}
	for (size_t i = 0; i < ps.n; i++) {
		free(ps.v[i].name);
		free(ps.v[i].text);
	}
	free(ps.v);
	json_decref(d);
}

static void print_event(const struct register_event *ev)
{
	char at[UTIL_TIME_LEN], when[UTIL_TIME_LEN], hash[sizeof(ev->hash)], buf[64];

	/* a row written behind custos's back may hold anything */
	util_text_safe(ev->at, false, at, sizeof(at));
	util_text_safe(ev->hash, false, hash, sizeof(hash));
	/* 78 columns with a local time: seq time kind operator station [hash] */
	printf("%-3lld %s  ", (long long)ev->seq, util_time_local_text(at, when, sizeof(when)));
	put_cell(i18n_value_of(VALUE_EVENT, ev->kind, buf, sizeof(buf)), 12, true);
	put_cell(ev->operator_name, 12, false);
	put_cell(ev->station, 10, false);
	printf("[%.8s]\n", hash);
	print_details(ev->details);
}

static int reg_history(struct reg_cli *r, const char *ref)
{
	struct register_event *ev = NULL;
	struct register_media m;
	char *cause = NULL;
	size_t n = 0;
	json_t *arr;
	int rc = resolve(r, ref, &m);

	if (rc != CLI_EXIT_OK)
		return rc;
	if (m.id <= 0) {	/* another station's medium */
		cli_error(_("register history: %s is enrolled at station %s, not here: `custos "
			    "register find %s` shows its history"), ref, m.central_station, ref);
		return CLI_EXIT_FAIL;
	}
	rc = register_history(r->db, m.id, &ev, &n, &cause);
	if (rc < 0)
		return fail(r, rc, cause);
	if (r->ctx->json) {
		arr = json_array();
		for (size_t i = 0; arr && i < n; i++)
			json_array_append_new(arr, register_event_to_json(&ev[i]));
		register_events_free(ev, n);
		return cli_print_json(arr);
	}
	media_safe(&m);
	printf("%s (%s):\n", m.register_no,
	       i18n_value_of(VALUE_STATE, state_text(r, &m), NULL, 0));
	for (size_t i = 0; i < n; i++)
		print_event(&ev[i]);
	register_events_free(ev, n);
	return CLI_EXIT_OK;
}

static json_t *mismatch_json(const struct register_mismatch *x, size_t n)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < n; i++)
		json_array_append_new(arr, json_pack("{s:I, s:s, s:s, s:s, s:s}", "media_id",
						     (json_int_t)x[i].media_id, "register_no",
						     x[i].register_no, "field", x[i].field,
						     "expected", x[i].expected, "found",
						     x[i].found));
	return arr;
}

/* What register-chain.c checked. */
static json_t *chain_json(const struct register_verify_result *v)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:s?}", "signatures_verified",
			 (json_int_t)v->signatures, "unsigned_events",
			 (json_int_t)v->unsigned_events, "key_rotations",
			 (json_int_t)v->key_rotations, "certificates_verified",
			 (json_int_t)v->certificates, "certificate_files",
			 (json_int_t)v->cert_files, "head_seq", (json_int_t)v->head_seq,
			 "key_fingerprint", v->key[0] ? v->key : NULL);
}

static void print_chain(const struct register_verify_result *v, bool all)
{
	if (v->key[0])
		printf(_("signatures: %lld verified (%s), events signed by SHA256:%s%s\n"),
		       (long long)v->signatures, all ? _("every event's") :
		       _("the newest event, the head, key rotations and certificates"), v->key,
		       v->key_rotations ? _(" (after key rotations)") : "");
	if (v->unsigned_events)
		printf(_("note: %lld events were written before custos signed its register; the "
		       "hash chain of the first signed event covers them\n"),
		       (long long)v->unsigned_events);
	if (v->head_seq >= 0)
		printf(_("signed head (register.head): event %lld, present in the register\n"),
		       (long long)v->head_seq);
	printf(_("certificates: %lld stored rows verified, %lld files in certs/ recorded\n"),
	       (long long)v->certificates, (long long)v->cert_files);
}

static json_t *verify_json(const struct register_verify_result *v,
			   const struct register_mismatch *x, size_t n)
{
	json_t *o = json_pack("{s:b, s:I}", "ok", v->ok, "events", (json_int_t)v->events);

	if (o)
		json_object_set_new(o, "media_mismatches", mismatch_json(x, n));
	if (o)
		json_object_update_new(o, chain_json(v));
	if (o && !v->ok) {
		json_object_set_new(o, "event_id", json_integer(v->event_id));
		json_object_set_new(o, "seq", json_integer(v->seq));
		json_object_set_new(o, "field", json_string(v->what));
		json_object_set_new(o, "expected", json_string(v->expected));
		json_object_set_new(o, "found", json_string(v->found));
		json_object_set_new(o, "message", json_string(v->message));
	}
	return o;
}

/* Every media row that differs from its history, one line each. */
static void print_mismatches(const struct register_mismatch *x, size_t n)
{
	char line[1024];

	for (size_t i = 0; i < n; i++) {
		register_mismatch_text(&x[i], line, sizeof(line));
		cli_error(_("register verify: media row differs from its history: %s"), line);
	}
}

/* Every medium left "sanitizing": one line each on stderr (or JSON);
 * the number of those no process works on (interrupted) into @n_int. */
static json_t *unfinished(struct reg_cli *r, size_t *n_int, char **cause, int *rc)
{
	struct register_unfinished *u = NULL;
	json_t *arr = json_array();
	size_t n = 0;

	*n_int = 0;
	*rc = register_unfinished(r->db, &u, &n, cause);
	for (size_t i = 0; *rc == 0 && i < n; i++) {
		bool running = sanitize_medium_running(r->ctx->state_dir, u[i].media_id);

		*n_int += !running;
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:s, s:b}",
			"register_no", u[i].register_no, "started_at", u[i].started_at,
			"profile", u[i].profile, "destination", u[i].destination,
			"operator", u[i].operator_name, "running", running));
		if (r->ctx->json)
			continue;
		if (running)
			cli_note(r->ctx, _("register verify: %s: sanitization running (started %s, "
				 "profile %s)"), u[i].register_no, u[i].started_at, u[i].profile);
		else
			cli_error(_("register verify: %s: unfinished sanitization (started %s by %s, "
				  "profile %s, destination %s): interrupted, never recorded as ended; "
				  "continue it with 'custos sanitize --resume DEVICE' or sanitize it "
				  "again"), u[i].register_no, u[i].started_at, u[i].operator_name,
				  u[i].profile, u[i].destination);
	}
	free(u);
	return arr;
}


static const char *chain_what(const char *what)
{
	if (strcmp(what, "certificate") == 0)
		return "TAMPERED certificate";
	if (strcmp(what, "missing-certificate") == 0)
		return "certificate missing";
	if (strcmp(what, "signature") == 0 || strcmp(what, "key-rotated") == 0)
		return "TAMPERED: signature";
	if (strcmp(what, "head") == 0)
		return "TAMPERED: signed head";
	return "chain broken";
}

static int reg_verify(struct reg_cli *r, bool all_signatures)
{
	struct register_verify_opts vo = { .all_signatures = all_signatures };
	struct register_verify_result v;
	struct register_mismatch *x = NULL;
	char *cause = NULL;
	size_t n = 0, n_int = 0;
	json_t *unf = NULL, *o;
	int rc = register_verify_ex(r->db, &vo, &v, &cause);

	/* a damaged file is not read further; mismatching rows listed one by one */
	if (rc == 0 && v.mismatches > 0 && strcmp(v.what, "integrity") != 0)
		rc = register_verify_media(r->db, 0, &x, &n, &cause);
	if (rc == 0)
		unf = unfinished(r, &n_int, &cause, &rc);
	if (rc < 0) {
		json_decref(unf);
		free(x);
		return fail(r, rc, cause);
	}
	if (r->ctx->json) {
		o = verify_json(&v, x, n);
		json_object_set_new(o, "unfinished", unf);
		json_object_set_new(o, "missing_certificates", json_integer(v.missing_certs));
		rc = cli_print_json(o);
		free(x);
		return v.ok && !n_int ? rc : CLI_EXIT_FAIL;
	}
	json_decref(unf);
	if (!v.ok && strcmp(v.what, "integrity") == 0)
		cli_error("register verify: %s", v.message);
	else if (!v.ok && strcmp(v.what, "media") != 0)
		cli_error("register verify: %s: %s", chain_what(v.what), v.message);
	print_mismatches(x, n);
	free(x);
	if (!v.ok || n_int)
		return CLI_EXIT_FAIL;
	printf(_("register verified: %lld events, hash chain intact, every media row agrees "
	       "with its history, every certificate named is held, no unfinished "
	       "sanitization\n"), (long long)v.events);
	print_chain(&v, all_signatures);
	return CLI_EXIT_OK;
}

static int reg_backup(struct reg_cli *r, const char *file)
{
	char *cause = NULL;
	int rc = register_backup(r->db, file, &cause);

	if (rc < 0)
		return fail(r, rc, cause);
	if (!r->ctx->json)
		printf(_("register backed up to %s\n"), file);
	return CLI_EXIT_OK;
}

static int reg_export(struct reg_cli *r, const char *format, const char *output)
{
	enum register_format fmt;
	char *text = NULL, *cause = NULL;
	int rc;

	if (!format || strcmp(format, "csv") == 0)
		fmt = REGISTER_FORMAT_CSV;
	else if (strcmp(format, "json") == 0)
		fmt = REGISTER_FORMAT_JSON;
	else
		return cli_usage_error("register export", _("--format csv or json"));
	rc = register_export(r->db, fmt, &text, &cause);
	if (rc < 0)
		return fail(r, rc, cause);
	if (output)
		rc = util_write_file_atomic(output, text, strlen(text), 0640);
	else if (fputs(text, stdout) == EOF || (fmt == REGISTER_FORMAT_JSON &&
						 fputc('\n', stdout) == EOF) || fflush(stdout))
		rc = -EIO;
	free(text);
	if (rc < 0)
		return fail(r, rc, util_asprintf("cannot write %s: %s", output ? output : "stdout",
						 strerror(-rc)));
	return CLI_EXIT_OK;
}

struct reg_opts {
	const char *cls, *state, *format, *output;
	bool all_signatures;
};

static void register_help(void)
{
	printf(_("Usage: custos register list [--class LEVEL] [--state STATE] [--json]\n"
	       "       custos register show REF [--json]\n"
	       "       custos register history REF [--json]\n"
	       "       custos register verify [--all-signatures] [--json]\n"
	       "       custos register backup FILE\n"
	       "       custos register export [--format csv|json] [--output FILE]\n"
	       "       custos register init-server|push|find|inventory|overdue ...\n"
	       "       custos register verify --central|--against, list --station S\n"
	       "         (the central register: custos register push --help)\n"
	       "STATE: in-stock issued in-repair sanitizing sanitized awaiting-destruction scrapped destroyed "
	       "lost\n"));
}

static int register_parse(struct cli_ctx *ctx, int argc, char **argv, struct reg_opts *o)
{
	static const struct option opts[] = {
		{ "class", required_argument, NULL, 'c' },
		{ "state", required_argument, NULL, 's' },
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "all-signatures", no_argument, NULL, 'A' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:s:f:o:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': o->cls = optarg; break;
		case 's': o->state = optarg; break;
		case 'f': o->format = optarg; break;
		case 'o': o->output = optarg; break;
		case 'j': ctx->json = true; break;
		case 'A': o->all_signatures = true; break;
		case 'h': register_help(); return -1;
		default: return CLI_EXIT_USAGE;
		}
	}
	return CLI_EXIT_OK;
}

/* Argument count each subcommand takes after its name. */
static int register_args(const char *sub, int nargs)
{
	static const struct {
		const char *name;
		int nargs;
	} subs[] = {
		{ "list", 0 }, { "show", 1 }, { "history", 1 }, { "verify", 0 },
		{ "backup", 1 }, { "export", 0 },
	};

	for (size_t i = 0; i < UTIL_ARRAY_SIZE(subs); i++) {
		if (strcmp(subs[i].name, sub) != 0)
			continue;
		if (subs[i].nargs != nargs)
			return cli_usage_error("register", _("%s takes %d argument%s"), sub,
					       subs[i].nargs, subs[i].nargs == 1 ? "" : "s");
		return CLI_EXIT_OK;
	}
	return cli_usage_error("register", _("unknown subcommand '%s'"), sub);
}

static int register_run(struct reg_cli *r, const char *sub, char **args,
			const struct reg_opts *o)
{
	if (strcmp(sub, "list") == 0)
		return reg_list(r, o->cls, o->state);
	if (strcmp(sub, "show") == 0)
		return reg_show(r, args[0]);
	if (strcmp(sub, "history") == 0)
		return reg_history(r, args[0]);
	if (strcmp(sub, "verify") == 0)
		return reg_verify(r, o->all_signatures);
	if (strcmp(sub, "backup") == 0)
		return reg_backup(r, args[0]);
	return reg_export(r, o->format, o->output);
}

int cli_register(struct cli_ctx *ctx, int argc, char **argv)
{
	struct reg_cli r = { .ctx = ctx, .cmd = "register" };
	struct reg_opts o = { NULL };
	const char *sub;
	int rc;

	if (cli_register_is_central(argc, argv))
		return cli_register_central(ctx, argc, argv);
	rc = register_parse(ctx, argc, argv, &o);
	if (rc != CLI_EXIT_OK)
		return rc < 0 ? CLI_EXIT_OK : rc;
	if (optind >= argc)
		return cli_usage_error("register", _("expected a subcommand (list, show, history, "
				       "verify, backup, export)"));
	sub = argv[optind];
	rc = register_args(sub, argc - optind - 1);
	if (rc != CLI_EXIT_OK)
		return rc;
	rc = open_register(&r, false, NULL);
	if (rc == CLI_EXIT_OK)
		rc = register_run(&r, sub, argv + optind + 1, &o);
	close_register(&r);
	return rc;
}
