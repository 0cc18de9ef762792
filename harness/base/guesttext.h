/* guesttext.h — text that came from the guest, made safe to keep and to show.
 *
 * The guest is the untrusted side: its agent's messages (READY, RESULT, ERROR, STORED), a
 * watched process's name and probe output, a sensor's log, the console's titles. Such text ends
 * up in results.jsonl, in reports and on the user's terminal, so every path that takes it goes
 * through here before it is stored or printed:
 *   - control characters become '?': C0 (but '\t' and '\n' where lines are kept; "\r\n" is
 *     "\n"), DEL, C1 (U+0080..U+009F, e.g. "\xc2\x9b", a terminal's CSI) and the bidirectional
 *     overrides and isolates (U+202A..U+202E, U+2066..U+2069) that reorder what a reader sees;
 *   - each byte of invalid UTF-8 (stray continuation bytes, overlong forms, surrogates, past
 *     U+10FFFF, a sequence cut short) becomes '?';
 *   - the result is at most GUESTTEXT_MAX bytes: a longer text keeps its beginning, cut at a
 *     character, followed by " [... N bytes cut]".
 * The output is never longer than the input (before the cap's note), so cleaning in place works.
 *
 * Ownership: the *_dup functions return a new string the caller frees.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define GUESTTEXT_MAX (64u * 1024)

enum guesttext_flags {
	GUESTTEXT_LINE = 0,	  /* one line: '\n' and '\t' become ' ' */
	GUESTTEXT_LINES = 1 << 0, /* a text of lines: '\n' and '\t' stay */
};

/* Clean len bytes of in (NULs allowed) into out, which has room for len + 1 bytes and may be in
 * itself; no cap. Returns the length written, before the NUL that ends it. */
size_t guesttext_clean(char *out, const void *in, size_t len, unsigned flags);
/* A new string: len bytes of data cleaned and capped. data may be NULL when len is 0. */
char *guesttext_dup(const void *data, size_t len, unsigned flags);
/* The same for a NUL-terminated string; NULL gives NULL. */
char *guesttext_strdup(const char *s, unsigned flags);
/* Clean the NUL-terminated string s in place (no cap: it cannot grow). */
void guesttext_clean_str(char *s, unsigned flags);
/* Whether len bytes of s would come out unchanged (and within the cap). */
bool guesttext_is_clean(const char *s, size_t len, unsigned flags);
