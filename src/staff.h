/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CUSTOS_STAFF_H
#define CUSTOS_STAFF_H

/*
 * staff: the station roster, the people who may act on its records.
 *
 * <state-dir>/staff.json (0600, written atomically) lists people with a
 * name, roles, title (职务), department (部门) and phone.  Names are kept
 * in their canonical form and compared with names_equal() (NFKC, white
 * space folded: "张　三" is "张三").
 *
 * An empty or missing roster is "no roster kept": staff_require() accepts
 * any name then (the faces warn).  Once one person is on it, every person
 * named as operator, validator, witness or custodian must be on it with
 * that role.
 */

#include <stdbool.h>
#include <stddef.h>

struct station;

/* The bits in this order (ui/cli-staff.c names them in it). */
enum staff_role {
	STAFF_ROLE_OPERATOR = 1u << 0,	/* 操作人: sanitizes, records destruction */
	STAFF_ROLE_VALIDATOR = 1u << 1,	/* 审核人: checks and signs the result */
	STAFF_ROLE_WITNESS = 1u << 2,	/* 监销人: witnesses a destruction */
	STAFF_ROLE_CUSTODIAN = 1u << 3,	/* 责任人: receives issued media */
};
#define STAFF_ROLE_ALL 0xfu

/* Field limits: a certificate keeps names and titles in 128 bytes. */
#define STAFF_FIELD_MAX 127

struct staff_person {
	char *name;		/* canonical (names_canonical) */
	unsigned roles;		/* STAFF_ROLE_* bits, at least one */
	char *title;		/* "" when none */
	char *department;
	char *phone;
};

struct staff {
	char *path;		/* <state-dir>/staff.json */
	struct staff_person *people;
	size_t n;
};

/* Read the roster of @state_dir (a missing file is an empty roster).
 * -EINVAL with "FILE: message" for a damaged file. */
int staff_load(const char *state_dir, struct staff **out, char **cause);
void staff_free(struct staff *roster);

/* Write the roster back, atomically (0600). */
int staff_save(const struct staff *roster, char **cause);

/* Add a person (in memory; staff_save() writes).  @roles must not be 0;
 * @title, @department, @phone may be NULL.  -EEXIST when the name is on
 * the roster already, -EINVAL for a field that is not one line of text
 * of at most STAFF_FIELD_MAX bytes. */
int staff_add(struct staff *roster, const char *name, unsigned roles, const char *title,
	      const char *department, const char *phone, char **cause);

/* Remove the person named @name.  -ENOENT (with the roster) if absent. */
int staff_remove(struct staff *roster, const char *name, char **cause);

/* The person named @name (names_equal), or NULL. */
const struct staff_person *staff_find(const struct staff *roster, const char *name);

/*
 * The person named @name in role @role (one STAFF_ROLE_* bit, or 0 for any
 * role), for the faces' --operator, --validator, --witness, --to:
 *   0 with *@person set: on the roster in that role;
 *   0 with *@person NULL: no roster is kept (empty roster);
 *   -ENOENT: not on the roster, the cause lists the people in that role;
 *   -EPERM: on the roster, not in that role (the cause says which roles);
 *   -EINVAL: a blank name.
 */
int staff_require(const struct staff *roster, const char *name, unsigned role,
		  const struct staff_person **person, char **cause);

/* Role names: "operator" / "操作人".  staff_roles_parse() takes a list
 * ("operator,witness", "操作人、监销人", names_split separators) and ORs
 * the bits; -EINVAL for an unknown name or an empty list. */
const char *staff_role_name(unsigned role);
const char *staff_role_name_zh(unsigned role);
int staff_roles_parse(const char *list, unsigned *out);

/* "operator, witness" into @buf. */
void staff_roles_format(unsigned roles, char *buf, size_t len);

/* "王芳 (operator, witness); 刘强 (witness)": the people in @role (0: all),
 * the first 20 and "and N more", malloc'd, "nobody" for none; NULL on
 * ENOMEM. */
char *staff_describe(const struct staff *roster, unsigned role);

/* The operator when none is named: $CUSTOS_OPERATOR, else the station's
 * `operator` key (station.conf, may be NULL), else NULL.  Never the login
 * account. */
const char *staff_default_operator(const struct station *st);

#endif
