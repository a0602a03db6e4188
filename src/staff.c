/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * staff: the station roster in <state-dir>/staff.json:
 *   { "format": "custos-staff/1",
 *     "people": [ { "name": "王芳", "roles": ["operator", "witness"],
 *                   "title": "保密员", "department": "办公室",
 *                   "phone": "010-12345678" } ] }
 */
#include "staff.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "names.h"
#include "station.h"
#include "util.h"

#define STAFF_FILE "staff.json"
#define STAFF_FORMAT "custos-staff/1"
#define STAFF_FILE_MAX (1u << 20)	/* a roster is a few kB */
#define STAFF_DESCRIBE_MAX 20	/* people named in one message */

static const struct {
	unsigned bit;
	const char *en, *zh;
} roles[] = {
	{ STAFF_ROLE_OPERATOR, "operator", "操作人" },
	{ STAFF_ROLE_VALIDATOR, "validator", "审核人" },
	{ STAFF_ROLE_WITNESS, "witness", "监销人" },
	{ STAFF_ROLE_CUSTODIAN, "custodian", "责任人" },
};

const char *staff_role_name(unsigned role)
{
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(roles); i++)
		if (roles[i].bit == role)
			return roles[i].en;
	return "?";
}

const char *staff_role_name_zh(unsigned role)
{
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(roles); i++)
		if (roles[i].bit == role)
			return roles[i].zh;
	return "?";
}

static int role_parse(const char *s, unsigned *bit)
{
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(roles); i++)
		if (strcasecmp(s, roles[i].en) == 0 || strcmp(s, roles[i].zh) == 0) {
			*bit = roles[i].bit;
			return 0;
		}
	return -EINVAL;
}

int staff_roles_parse(const char *list, unsigned *out)
{
	char **v = NULL;
	size_t n = 0;
	unsigned bits = 0, b;
	int rc = names_split(list, &v, &n, NULL);

	for (size_t i = 0; rc == 0 && i < n; i++) {
		rc = role_parse(v[i], &b);
		bits |= b;
	}
	names_list_free(v, n);
	if (rc < 0 || !bits)
		return -EINVAL;
	*out = bits;
	return 0;
}

void staff_roles_format(unsigned bits, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(roles); i++)
		if ((bits & roles[i].bit) && o < len)
			o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? ", " : "", roles[i].en);
}

/* One line of text, at most STAFF_FIELD_MAX bytes; NULL is "". */
static int check_field(const char *what, const char *s, bool required, char **cause)
{
	if (!s || !*s)
		return required ? util_fail(cause, -EINVAL, _("the %s is required"), what) : 0;
	if (strlen(s) > STAFF_FIELD_MAX)
		return util_fail(cause, -EINVAL, _("the %s is longer than %d bytes"), what,
				 STAFF_FIELD_MAX);
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return util_fail(cause, -EINVAL, _("the %s must be one line of text"), what);
	return 0;
}

static void person_clear(struct staff_person *p)
{
	free(p->name);
	free(p->title);
	free(p->department);
	free(p->phone);
	memset(p, 0, sizeof(*p));
}

void staff_free(struct staff *roster)
{
	if (!roster)
		return;
	for (size_t i = 0; i < roster->n; i++)
		person_clear(&roster->people[i]);
	free(roster->people);
	free(roster->path);
	free(roster);
}

/* A trimmed copy of @s ("" for NULL), white space folded. */
static int field_dup(const char *s, char **out)
{
	return names_canonical(s ? s : "", out);
}

/* A canonical name that names_split() keeps whole. */
static bool one_name(const char *name)
{
	char **v = NULL;
	size_t n = 0;
	bool one = names_split(name, &v, &n, NULL) == 0 && n == 1 && strcmp(v[0], name) == 0;

	names_list_free(v, n);
	return one;
}

int staff_add(struct staff *roster, const char *name, unsigned bits, const char *title,
	      const char *department, const char *phone, char **cause)
{
	struct staff_person p = { .roles = bits & STAFF_ROLE_ALL }, *np;
	int rc;

	if (!p.roles)
		return util_fail(cause, -EINVAL, _("a person needs at least one role (operator, "
				 "validator, witness, custodian)"));
	rc = field_dup(name, &p.name);
	if (rc == 0)
		rc = field_dup(title, &p.title);
	if (rc == 0)
		rc = field_dup(department, &p.department);
	if (rc == 0)
		rc = field_dup(phone, &p.phone);
	if (rc < 0) {
		person_clear(&p);
		return util_fail(cause, rc, "%s", rc == -EILSEQ ? "the text is not UTF-8" :
				 strerror(-rc));
	}
	rc = check_field("name", p.name, true, cause);
	if (rc == 0 && !one_name(p.name))
		rc = util_fail(cause, -EINVAL, _("the name '%s' holds a list separator (, ， 、 ; ；): "
			       "add one person at a time"), p.name);
	if (rc == 0)
		rc = check_field("title", p.title, false, cause);
	if (rc == 0)
		rc = check_field("department", p.department, false, cause);
	if (rc == 0)
		rc = check_field("phone", p.phone, false, cause);
	if (rc == 0 && staff_find(roster, p.name))
		rc = util_fail(cause, -EEXIST, _("%s is on the roster already"), p.name);
	if (rc < 0) {
		person_clear(&p);
		return rc;
	}
	np = realloc(roster->people, (roster->n + 1) * sizeof(*np));
	if (!np) {
		person_clear(&p);
		return util_fail(cause, -ENOMEM, _("out of memory"));
	}
	np[roster->n++] = p;
	roster->people = np;
	return 0;
}

const struct staff_person *staff_find(const struct staff *roster, const char *name)
{
	if (!roster || names_blank(name))
		return NULL;
	for (size_t i = 0; i < roster->n; i++)
		if (names_equal(roster->people[i].name, name))
			return &roster->people[i];
	return NULL;
}

char *staff_describe(const struct staff *roster, unsigned role)
{
	char *s = strdup(""), *t, r[64];
	size_t shown = 0, more = 0;

	for (size_t i = 0; s && roster && i < roster->n; i++) {
		const struct staff_person *p = &roster->people[i];

		if (role && !(p->roles & role))
			continue;
		if (shown == STAFF_DESCRIBE_MAX) {
			more++;
			continue;
		}
		staff_roles_format(p->roles, r, sizeof(r));
		t = util_asprintf("%s%s%s (%s)", s, *s ? "; " : "", p->name, r);
		free(s);
		s = t;
		shown++;
	}
	if (s && more) {
		t = util_asprintf("%s and %zu more", s, more);
		free(s);
		s = t;
	}
	if (s && !*s) {
		free(s);
		s = strdup("nobody");
	}
	return s;
}

int staff_remove(struct staff *roster, const char *name, char **cause)
{
	const struct staff_person *p = staff_find(roster, name);
	size_t i;
	char *all;
	int rc;

	if (!p) {
		all = staff_describe(roster, 0);
		rc = util_fail(cause, -ENOENT, _("%s is not on the roster; the roster: %s"), name,
			       all ? all : "?");
		free(all);
		return rc;
	}
	i = (size_t)(p - roster->people);
	person_clear(&roster->people[i]);
	memmove(&roster->people[i], &roster->people[i + 1],
		(roster->n - i - 1) * sizeof(roster->people[0]));
	roster->n--;
	return 0;
}

int staff_require(const struct staff *roster, const char *name, unsigned role,
		  const struct staff_person **person, char **cause)
{
	const struct staff_person *p;
	const char *what = role ? staff_role_name(role) : "person";
	char *who, r[64];
	int rc;

	*person = NULL;
	if (names_blank(name))
		return util_fail(cause, -EINVAL, _("a %s needs a name"), what);
	if (!roster || roster->n == 0)
		return 0;
	p = staff_find(roster, name);
	if (p && (!role || (p->roles & role))) {
		*person = p;
		return 0;
	}
	if (p) {
		staff_roles_format(p->roles, r, sizeof(r));
		return util_fail(cause, -EPERM, _("%s is on the station roster as %s, not as %s "
				 "(custos staff add)"), p->name, r, what);
	}
	who = staff_describe(roster, role);
	rc = util_fail(cause, -ENOENT, _("%s is not on the station roster as %s; the roster's "
		       "people in that role: %s (custos staff list, custos staff add)"), name,
		       what, who ? who : "?");
	free(who);
	return rc;
}

const char *staff_default_operator(const struct station *st)
{
	const char *env = getenv("CUSTOS_OPERATOR");

	if (env && !names_blank(env))
		return env;
	if (st && st->operator_name && !names_blank(st->operator_name))
		return st->operator_name;
	return NULL;
}

/* ---- the file ---------------------------------------------------------- */

static const char *jstr(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

static int load_person(struct staff *roster, json_t *o, size_t idx, char **cause)
{
	json_t *jr = json_object_get(o, "roles"), *v;
	unsigned bits = 0, b;
	size_t i;
	char *why = NULL;
	int rc;

	if (!json_is_object(o) || !json_is_array(jr))
		return util_fail(cause, -EINVAL, _("%s: person %zu: expected an object with "
				 "\"name\" and \"roles\""), roster->path, idx + 1);
	json_array_foreach(jr, i, v) {
		if (!json_is_string(v) || role_parse(json_string_value(v), &b) < 0)
			return util_fail(cause, -EINVAL, _("%s: person %zu: unknown role"),
					 roster->path, idx + 1);
		bits |= b;
	}
	rc = staff_add(roster, jstr(o, "name"), bits, jstr(o, "title"), jstr(o, "department"),
		       jstr(o, "phone"), &why);
	if (rc < 0) {
		rc = util_fail(cause, rc == -ENOMEM ? rc : -EINVAL, _("%s: person %zu: %s"),
			       roster->path, idx + 1, why ? why : strerror(-rc));
		free(why);
	}
	return rc;
}

static int parse(struct staff *roster, const char *text, char **cause)
{
	json_error_t err;
	json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &err), *people, *o;
	size_t i;
	int rc = 0;

	if (!root)
		return util_fail(cause, -EINVAL, _("%s: line %d: %s"), roster->path, err.line,
				 err.text);
	people = json_object_get(root, "people");
	if (strcmp(jstr(root, "format"), STAFF_FORMAT) != 0 || !json_is_array(people)) {
		json_decref(root);
		return util_fail(cause, -EINVAL, _("%s: not a roster (format %s with people)"),
				 roster->path, STAFF_FORMAT);
	}
	json_array_foreach(people, i, o) {
		rc = load_person(roster, o, i, cause);
		if (rc < 0)
			break;
	}
	json_decref(root);
	return rc;
}

int staff_load(const char *state_dir, struct staff **out, char **cause)
{
	struct staff *roster = calloc(1, sizeof(*roster));
	char *text = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	if (roster)
		roster->path = util_asprintf("%s/%s", state_dir, STAFF_FILE);
	if (!roster || !roster->path) {
		staff_free(roster);
		return util_fail(cause, -ENOMEM, _("out of memory"));
	}
	rc = util_read_file(roster->path, &text, &len);
	if (rc == -ENOENT) {
		rc = 0;
	} else if (rc < 0) {
		rc = util_fail(cause, rc, _("cannot read %s: %s"), roster->path, strerror(-rc));
	} else if (len > STAFF_FILE_MAX || strlen(text) != len) {
		rc = util_fail(cause, -EINVAL, _("%s: not a roster (binary or larger than %u bytes)"),
			       roster->path, STAFF_FILE_MAX);
	} else {
		rc = parse(roster, text, cause);
	}
	free(text);
	if (rc < 0)
		staff_free(roster);
	else
		*out = roster;
	return rc;
}

static json_t *person_json(const struct staff_person *p)
{
	json_t *o = json_object(), *r = json_array();

	for (size_t i = 0; r && i < UTIL_ARRAY_SIZE(roles); i++)
		if (p->roles & roles[i].bit)
			json_array_append_new(r, json_string(roles[i].en));
	json_object_set_new(o, "name", json_string(p->name));
	json_object_set_new(o, "roles", r);
	json_object_set_new(o, "title", json_string(p->title));
	json_object_set_new(o, "department", json_string(p->department));
	json_object_set_new(o, "phone", json_string(p->phone));
	return o;
}

int staff_save(const struct staff *roster, char **cause)
{
	json_t *root = json_object(), *people = json_array();
	char *dump, *text;
	int rc;

	for (size_t i = 0; people && i < roster->n; i++)
		json_array_append_new(people, person_json(&roster->people[i]));
	json_object_set_new(root, "format", json_string(STAFF_FORMAT));
	json_object_set_new(root, "people", people);
	dump = root ? json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	json_decref(root);
	text = dump ? util_asprintf("%s\n", dump) : NULL;
	free(dump);
	if (!text)
		return util_fail(cause, -ENOMEM, _("out of memory"));
	rc = util_write_file_atomic(roster->path, text, strlen(text), 0600);
	free(text);
	if (rc < 0)
		return util_fail(cause, rc, _("cannot write %s: %s"), roster->path, strerror(-rc));
	return 0;
}
