/* guesttext.c — guest text made safe to keep and to show (see guesttext.h). */
#include "guesttext.h"

#include <stdint.h>

#include "util.h"

/* Room kept under the cap for " [... N bytes cut]". */
#define CUT_NOTE_MAX 40

/* The UTF-8 character at p (n bytes left): its length, and its code point in *ret_cp; 0 when
 * the bytes are not one (strict: no overlong forms, surrogates or code points past U+10FFFF). */
static size_t utf8_char(const unsigned char *p, size_t n, uint32_t *ret_cp)
{
	unsigned char c = p[0];
	size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
	static const uint32_t least[] = {0, 0, 0x80, 0x800, 0x10000};
	uint32_t cp;

	if (len == 0 || len > n)
		return 0;
	cp = len == 1 ? c : c & (0x7f >> len);
	for (size_t k = 1; k < len; k++) {
		if ((p[k] >> 6) != 2)
			return 0;
		cp = cp << 6 | (p[k] & 0x3f);
	}
	if (cp < least[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*ret_cp = cp;
	return len;
}

/* Characters that drive a terminal or reorder what a reader sees. */
static bool is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069);
}

size_t guesttext_clean(char *out, const void *in, size_t len, unsigned flags)
{
	const unsigned char *p = in;
	bool lines = flags & GUESTTEXT_LINES;
	size_t o = 0;

	for (size_t i = 0; i < len;) {
		uint32_t cp = 0;
		size_t n = utf8_char(p + i, len - i, &cp);

		if (n == 0) {
			out[o++] = '?';
			i++;
		} else if (cp == '\r' && lines && i + 1 < len && p[i + 1] == '\n') {
			i++; /* "\r\n" is a line end */
		} else if (cp == '\n' || cp == '\t') {
			out[o++] = lines ? (char)cp : ' ';
			i++;
		} else if (is_control(cp)) {
			out[o++] = '?';
			i += n;
		} else {
			memmove(out + o, p + i, n);
			o += n;
			i += n;
		}
	}
	out[o] = '\0';
	return o;
}

/* How many of the first len bytes to keep under the cap: a cut never splits a character (a
 * continuation byte is not where one starts). */
static size_t keep_bytes(const unsigned char *p, size_t len)
{
	size_t keep = GUESTTEXT_MAX - CUT_NOTE_MAX;

	if (len <= GUESTTEXT_MAX)
		return len;
	for (size_t back = 0; back < 3 && (p[keep] >> 6) == 2; back++)
		keep--;
	return keep;
}

char *guesttext_dup(const void *data, size_t len, unsigned flags)
{
	size_t keep = keep_bytes(data, len), n;
	char *out = xmalloc(keep + CUT_NOTE_MAX + 1);

	n = guesttext_clean(out, data, keep, flags);
	if (keep < len)
		snprintf(out + n, CUT_NOTE_MAX + 1, " [... %zu bytes cut]", len - keep);
	return out;
}

char *guesttext_strdup(const char *s, unsigned flags)
{
	return s ? guesttext_dup(s, strlen(s), flags) : NULL;
}

void guesttext_clean_str(char *s, unsigned flags)
{
	guesttext_clean(s, s, strlen(s), flags);
}

bool guesttext_is_clean(const char *s, size_t len, unsigned flags)
{
	_cleanup_free_ char *copy = NULL;

	if (len > GUESTTEXT_MAX)
		return false;
	copy = xmalloc(len + 1);
	return guesttext_clean(copy, s, len, flags) == len && memcmp(copy, s, len) == 0;
}
