/* jsonx.c — small JSON helpers (see jsonx.h). */
#include "jsonx.h"

#include "util.h"

json_object *jsonx_str_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

json_object *jsonx_int_or_null(int64_t v)
{
	return v >= 0 ? json_object_new_int64(v) : NULL;
}

const char *jsonx_peek_str(json_object *o, const char *key)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

char *jsonx_get_str(json_object *o, const char *key)
{
	const char *s = jsonx_peek_str(o, key);

	return s ? xstrdup(s) : NULL;
}

int64_t jsonx_get_int(json_object *o, const char *key, int64_t dflt)
{
	json_object *v;

	if (!o || !json_object_object_get_ex(o, key, &v) ||
	    !(json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)))
		return dflt;
	return json_object_get_int64(v);
}

uint64_t jsonx_get_uint(json_object *o, const char *key)
{
	json_object *v;

	return o && json_object_object_get_ex(o, key, &v) ? json_object_get_uint64(v) : 0;
}

bool jsonx_get_bool(json_object *o, const char *key)
{
	json_object *v;

	return o && json_object_object_get_ex(o, key, &v) && json_object_get_boolean(v);
}

size_t jsonx_len(json_object *a)
{
	return json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
}
