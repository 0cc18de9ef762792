/* cmdline.h — the words of a kernel command line and the faultline.* keys among them: what the
 * agent's parsers of /proc/cmdline (persist.c, lockup.c, testmode.c) walk, so that they agree on
 * what a word and a key are.
 *
 * A word is a run of characters between blanks (space, tab, newline). A key KEY=VALUE counts
 * only as a whole word ("xfaultline.boot=1" is no faultline.boot). Nothing here allocates; the
 * words point into the command line given.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* The next word at or after *pos: ret_word, ret_len set and *pos moved past it. Returns false
 * (nothing set) when only blanks are left. */
bool agent_cmdline_next(const char **pos, const char **ret_word, size_t *ret_len);

/* Is the word (w, n) the key `key` ("faultline.boot=", with its '=')? Then ret_value and
 * ret_value_len are what follows the '=' (possibly empty). */
bool agent_cmdline_key(const char *w, size_t n, const char *key, const char **ret_value,
		       size_t *ret_value_len);

/* A plain decimal of 1 to max_digits (at most 9) digits (no sign, no blank) into ret. Returns
 * false, ret untouched, for anything else. */
bool agent_cmdline_decimal(const char *v, size_t n, size_t max_digits, unsigned *ret);
