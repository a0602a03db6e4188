/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CUSTOS_I18N_VALUES_H
#define CUSTOS_I18N_VALUES_H

/*
 * Values in the reader's language on the command line: classification
 * levels, media kinds, destinations, outcomes, states, events (the words
 * of src/values.c, docs/TERMINOLOGY.md).  The catalogue decides: when the
 * interface is translated into Chinese (po/zh_CN.po says so), a value is
 * shown as "秘密"; otherwise as its code ("secret"), which scripts and
 * --json keep in every language.
 */

#include <stdbool.h>

#include "values.h"

/* Whether the interface shows values in Chinese. */
bool i18n_values_zh(void);

/* @code in the interface language: the Chinese word, or the code itself
 * (also for an unknown code); "" for NULL.  A remark after the code is
 * kept ("秘密 (declared, not registered)"); @buf (@len bytes) holds such a
 * text. */
const char *i18n_value_of(enum value_kind k, const char *code, char *buf, unsigned len);

/* A code of any kind (classification, media type, destination, outcome,
 * state, event, method, ...) in the interface language: its Chinese word,
 * or the code itself (English, an unknown code); "" for NULL. */
const char *i18n_value(const char *code);

#endif
