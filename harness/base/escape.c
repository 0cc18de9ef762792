/* escape.c — see escape.h. */
#include "escape.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "util.h"

#define REPLACEMENT "\xef\xbf\xbd"

/* Length of a valid UTF-8 sequence at s that XML 1.0 allows; 0 when the byte at s does not start
 * one (overlong, surrogate, beyond U+10FFFF, truncated, or a forbidden control character), so
 * that each bad byte becomes one U+FFFD; FORBIDDEN | length for U+FFFE and U+FFFF. */
#define FORBIDDEN 0x100
static size_t utf8_valid(const unsigned char *s)
{
	uint32_t c;
	size_t n;

	if (s[0] < 0x80) {
		if (s[0] < 0x20 && s[0] != '\t' && s[0] != '\n' && s[0] != '\r')
			return 0;
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		c = s[0] & 0x1f;
		n = 2;
	} else if ((s[0] & 0xf0) == 0xe0) {
		c = s[0] & 0x0f;
		n = 3;
	} else if ((s[0] & 0xf8) == 0xf0) {
		c = s[0] & 0x07;
		n = 4;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80) /* also stops at the terminating NUL */
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((n == 2 && c < 0x80) || (n == 3 && c < 0x800) || (n == 4 && c < 0x10000))
		return 0;
	if ((c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return 0;
	/* Well-formed, but XML 1.0 forbids it: one replacement for the whole sequence. */
	if (c == 0xfffe || c == 0xffff)
		return FORBIDDEN | n;
	return n;
}

enum flavour {
	HTML,
	XML_TEXT,
	XML_ATTR,
	MARKDOWN,
};

static void escape(FILE *f, const char *str, enum flavour fl)
{
	const unsigned char *s = (const unsigned char *)str;

	if (!s)
		return;
	while (*s) {
		size_t n = utf8_valid(s);

		if (n == 0 || n & FORBIDDEN) {
			fputs(REPLACEMENT, f);
			s += n ? n & ~(size_t)FORBIDDEN : 1;
			continue;
		}
		if (n > 1) {
			fwrite(s, 1, n, f);
			s += n;
			continue;
		}
		switch (*s) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs(fl == HTML || fl == XML_ATTR ? "&quot;" : "\"", f);
			break;
		case '\'':
			fputs(fl == HTML || fl == XML_ATTR ? "&#39;" : "'", f);
			break;
		case '\n':
		case '\r':
		case '\t':
			if (fl == XML_ATTR)
				fprintf(f, "&#%d;", *s);
			else if (fl == MARKDOWN)
				fputc(' ', f);
			else
				fputc(*s, f);
			break;
		case '\\':
		case '`':
		case '*':
		case '_':
		case '[':
		case ']':
		case '|':
		case '~':
		case '#':
			if (fl == MARKDOWN)
				fputc('\\', f);
			fputc(*s, f);
			break;
		default:
			fputc(*s, f);
		}
		s++;
	}
}

void escape_html(FILE *f, const char *s)
{
	escape(f, s, HTML);
}

void escape_xml_text(FILE *f, const char *s)
{
	escape(f, s, XML_TEXT);
}

void escape_xml_attr(FILE *f, const char *s)
{
	escape(f, s, XML_ATTR);
}

void escape_markdown(FILE *f, const char *s)
{
	/* < > & as entities rather than backslashes: GitHub renders raw HTML in Markdown, and an
	 * entity is inert in both a table cell and running text. */
	escape(f, s, MARKDOWN);
}

void escape_url_path(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	if (!s)
		return;
	for (; *s; s++) {
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || strchr("-._~/", *s))
			fputc(*s, f);
		else
			fprintf(f, "%%%02X", *s);
	}
}

void escape_markdown_code(FILE *f, const char *s, bool in_table)
{
	size_t longest = 0, run = 0;
	_cleanup_free_ char *clean = NULL;
	char *buf = NULL;
	size_t size = 0;
	FILE *m;

	if (!s)
		return;
	/* Repair the text first (invalid UTF-8, controls), newlines to spaces; nothing else can be
	 * escaped inside a code span. */
	m = open_memstream(&buf, &size);
	if (!m)
		abort();
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		size_t n = utf8_valid(p);
		if (n == 0 || n & FORBIDDEN) {
			fputs(REPLACEMENT, m);
			p += n ? n & ~(size_t)FORBIDDEN : 1;
		} else if (n == 1 && (*p == '\n' || *p == '\r' || *p == '\t')) {
			fputc(' ', m);
			p++;
		} else if (n == 1 && *p == '|' && in_table) {
			fputs("\\|", m);
			p++;
		} else {
			fwrite(p, 1, n, m);
			p += n;
		}
	}
	fclose(m);
	clean = buf;
	for (const char *p = clean; *p; p++) {
		run = *p == '`' ? run + 1 : 0;
		if (run > longest)
			longest = run;
	}
	for (size_t i = 0; i <= longest; i++)
		fputc('`', f);
	/* A space on each side keeps a leading or trailing backtick out of the fence. */
	fprintf(f, " %s ", clean);
	for (size_t i = 0; i <= longest; i++)
		fputc('`', f);
}

static char *to_str(void (*fn)(FILE *, const char *), const char *s)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	if (!f)
		abort();
	fn(f, s);
	fclose(f);
	return buf;
}

char *escape_html_str(const char *s)
{
	return to_str(escape_html, s);
}

char *escape_xml_text_str(const char *s)
{
	return to_str(escape_xml_text, s);
}

char *escape_xml_attr_str(const char *s)
{
	return to_str(escape_xml_attr, s);
}

char *escape_markdown_str(const char *s)
{
	return to_str(escape_markdown, s);
}
