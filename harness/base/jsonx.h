/* jsonx.h — the small JSON helpers every writer and reader of a run file uses (json-c):
 * a string or null, a number or null, and members read leniently, so that a file written by
 * another version of faultline, or edited by hand, still reads.
 *
 * Ownership: the *_or_null() constructors return a new object (or NULL, json-c's null) for
 * json_object_object_add() to take; jsonx_get_str() returns a copy the caller frees;
 * jsonx_peek_str() a string that lives as long as o. Every getter accepts a NULL o. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A JSON string, or null when s is NULL. */
json_object *jsonx_str_or_null(const char *s);
/* A JSON number, or null when v is negative (the schemas' "absent"). */
json_object *jsonx_int_or_null(int64_t v);

/* Member key of o when it is a string, else NULL: borrowed, or copied. */
const char *jsonx_peek_str(json_object *o, const char *key);
char *jsonx_get_str(json_object *o, const char *key);
/* Member key of o when it is a number (int or double), else dflt. */
int64_t jsonx_get_int(json_object *o, const char *key, int64_t dflt);
/* Member key of o as json-c converts it (a number, a numeric string, a boolean), 0 when
 * absent or null. */
uint64_t jsonx_get_uint(json_object *o, const char *key);
/* Member key of o as a truth value (json-c's conversion), false when absent. */
bool jsonx_get_bool(json_object *o, const char *key);
/* The length of a when it is an array, else 0. */
size_t jsonx_len(json_object *a);
