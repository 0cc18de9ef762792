/* cmdline.c — see cmdline.h. */
#include "cmdline.h"

#include <string.h>

#define BLANKS " \t\n"

bool agent_cmdline_next(const char **pos, const char **ret_word, size_t *ret_len)
{
	const char *p = *pos + strspn(*pos, BLANKS);
	size_t n = strcspn(p, BLANKS);

	if (n == 0)
		return false;
	*ret_word = p;
	*ret_len = n;
	*pos = p + n;
	return true;
}

bool agent_cmdline_key(const char *w, size_t n, const char *key, const char **ret_value,
		       size_t *ret_value_len)
{
	size_t k = strlen(key);

	if (n < k || memcmp(w, key, k) != 0)
		return false;
	*ret_value = w + k;
	*ret_value_len = n - k;
	return true;
}

bool agent_cmdline_decimal(const char *v, size_t n, size_t max_digits, unsigned *ret)
{
	unsigned x = 0;

	if (n == 0 || n > max_digits)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return false;
		x = x * 10 + (unsigned)(v[i] - '0');
	}
	*ret = x;
	return true;
}
