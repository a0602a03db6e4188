/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * register: the one list of physical destruction methods, shared by the
 * command line, the station screen and register_destroy().
 */
#include "register.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

/* One list, two arrays: code, English, Chinese. */
#define METHODS(X) \
	X("shred", "shredding", "粉碎") \
	X("disintegrate", "disintegration", "碎化") \
	X("incinerate", "incineration", "焚毁") \
	X("degauss+shred", "degaussing, then shredding", "消磁后粉碎") \
	X("pulverize", "pulverization", "研磨粉化")

#define ENTRY(code, en, zh) { code, en, zh },
#define CODE(code, en, zh) code,

const struct register_destroy_method register_destroy_methods[] = { METHODS(ENTRY) };
const size_t register_n_destroy_methods = UTIL_ARRAY_SIZE(register_destroy_methods);
const char *const register_destroy_method_codes[] = { METHODS(CODE) NULL };

const struct register_destroy_method *register_destroy_method_find(const char *s)
{
	for (size_t i = 0; s && i < register_n_destroy_methods; i++)
		if (strcasecmp(s, register_destroy_methods[i].code) == 0 ||
		    strcmp(s, register_destroy_methods[i].zh) == 0)
			return &register_destroy_methods[i];
	return NULL;
}

char *register_destroy_methods_text(void)
{
	char *s = strdup(""), *t;

	for (size_t i = 0; s && i < register_n_destroy_methods; i++) {
		t = util_asprintf("%s%s%s", s, i ? ", " : "", register_destroy_methods[i].code);
		free(s);
		s = t;
	}
	return s;
}
