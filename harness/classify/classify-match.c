/* classify-match.c — see classify-match.h. */
#include "classify-match.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "guesttext.h"
#include "util.h"

static bool is_sym_start(char c)
{
	return isalpha((unsigned char)c) || c == '_' || c == '$';
}

static bool is_sym_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '.' || c == '$';
}

bool classify_is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool match_here(const char *p, const char *s, struct classify_match *m, int depth);

static void set_cap(struct classify_match *m, size_t slot, const char *s, const char *t, bool func)
{
	if (slot < MAX_CAPS) {
		m->cap[slot] = s;
		m->cap_len[slot] = t - s;
		m->cap_is_func[slot] = func;
	}
}

enum directive {
	DIR_FAIL,  /* no match */
	DIR_MATCH, /* the rest of the pattern matched */
	DIR_NEXT,  /* consumed: go on with *pp and *ps */
};

/* One "%X" directive at p (see classify-patterns.h). */
static enum directive match_directive(const char **pp, const char **ps, struct classify_match *m,
				      int depth)
{
	const char *p = *pp, *s = *ps, *t = s;
	char k = p[1];
	size_t slot = m->n;
	switch (k) {
	case '%':
	case '*':
		if (*s != k)
			return DIR_FAIL;
		t = s + 1;
		break;
	case 'd':
		/* a PID printed signed from a corrupted task: "PID: -534549613" */
		if (*t == '-' && isdigit((unsigned char)t[1]))
			t++;
		while (isdigit((unsigned char)*t))
			t++;
		if (t == s || !isdigit((unsigned char)t[-1]))
			return DIR_FAIL;
		break;
	case 'x':
		while (isxdigit((unsigned char)*t))
			t++;
		if (t == s)
			return DIR_FAIL;
		break;
	case 'F':
		if (!is_sym_start(*t))
			return DIR_FAIL;
		while (is_sym_char(*t))
			t++;
		/* an address where a symbol was expected (%pB, %pS without symbols) */
		if (t - s >= 8 && strspn(s, "0123456789abcdefABCDEF") >= (size_t)(t - s))
			return DIR_FAIL;
		set_cap(m, slot, s, t, true);
		m->n++;
		if (match_here(p + 2, t, m, depth + 1))
			return DIR_MATCH;
		m->n = slot;
		return DIR_FAIL;
	case 'R':
		set_cap(m, slot, s, s + strlen(s), false);
		m->n++;
		return DIR_MATCH;
	case 'S':
	case 'C':
		/* last in the pattern: the whole run (shortest first would keep one character:
		 * "BUG: KASAN: %S" on "null-ptr-deref on address ..." gave "n") */
		if (p[2] == '\0' || (p[2] == '$' && p[3] == '\0')) {
			while (*t && !(k == 'S' && classify_is_blank(*t)))
				t++;
			if (t == s || (p[2] == '$' && *t))
				return DIR_FAIL;
			set_cap(m, slot, s, t, false);
			m->n++;
			return DIR_MATCH;
		}
		/* shortest first, at least one character */
		for (t = s + 1; t[-1]; t++) {
			if (k == 'S' && classify_is_blank(t[-1]))
				break;
			set_cap(m, slot, s, t, false);
			m->n = slot + 1;
			if (match_here(p + 2, t, m, depth + 1))
				return DIR_MATCH;
		}
		m->n = slot;
		return DIR_FAIL;
	default:
		return DIR_FAIL;
	}
	*pp = p + 2;
	*ps = t;
	return DIR_NEXT;
}

/* Anchored, prefix semantics: succeeds when p is exhausted (rest of s ignored) */
static bool match_here(const char *p, const char *s, struct classify_match *m, int depth)
{
	if (depth > 64 || ++m->steps > MATCH_STEPS)
		return false;
	for (;;) {
		char c = *p;
		if (c == '\0')
			return true;
		if (c == '$' && p[1] == '\0')
			return *s == '\0';
		if (c == ' ') {
			if (!classify_is_blank(*s))
				return false;
			while (classify_is_blank(*s))
				s++;
			p++;
			continue;
		}
		if (c == '*') {
			for (const char *t = s;; t++) {
				if (m->steps > MATCH_STEPS)
					return false;
				if (match_here(p + 1, t, m, depth + 1))
					return true;
				if (*t == '\0')
					return false;
			}
		}
		if (c == '%') {
			enum directive d = match_directive(&p, &s, m, depth);
			if (d != DIR_NEXT)
				return d == DIR_MATCH;
			continue;
		}
		if (*s != c)
			return false;
		p++;
		s++;
	}
}

bool classify_match_text(const char *pattern, const char *s, struct classify_match *m)
{
	struct classify_match dummy;
	if (!m)
		m = &dummy;
	m->n = 0;
	m->steps = 0;
	return match_here(pattern, s, m, 0);
}

bool classify_match_any(const char *const *list, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (classify_match_text(list[i], s, NULL))
			return true;
	return false;
}

/* First character of every header pattern: a cheap filter that rejects most lines at once. */
static bool first_char_ok[256];
static bool first_char_any;
static bool first_char_ready;

static void first_char_init(void)
{
	if (first_char_ready)
		return;
	for (size_t i = 0; i < classify_patterns_n; i++) {
		unsigned char c = (unsigned char)classify_patterns[i].match[0];
		if (c == '%' || c == '*' || c == ' ')
			first_char_any = true;
		else
			first_char_ok[c] = true;
	}
	first_char_ready = true;
}

const struct classify_pattern *classify_match_header(const char *body, struct classify_match *m)
{
	first_char_init();
	if (!first_char_any && !first_char_ok[(unsigned char)body[0]])
		return NULL;
	for (size_t i = 0; i < classify_patterns_n; i++) {
		const struct classify_pattern *p = &classify_patterns[i];
		if ((unsigned char)p->match[0] != (unsigned char)body[0] && p->match[0] != '%' &&
		    p->match[0] != '*')
			continue;
		if (classify_match_text(p->match, body, m))
			return p;
	}
	return NULL;
}

/* ---- Line prefixes ---- */

/* Strip "<4>", "[  12.345678]", "[ T123]", "[ C1]", "[12.3][ T1]", syslog "host kernel: " and the
 * transparent subsystem prefixes. Returns the message; *caller gets the caller id if any. */
/* Loggers' and transports' prefixes before printk's own: indentation, /dev/kmsg records,
 * syslog, ISO and Go-style time stamps, dmesg -x levels, dropped-records notes, mail quotes. */
static const char *strip_logger_prefixes(const char *s)
{
	const char *k = NULL;
	/* pasted into a bug tracker or a mail: indented */
	while (classify_is_blank(*s) && s[1] && (classify_is_blank(s[1]) || s[1] == '['))
		s++;
	/* /dev/kmsg records: "4,1234,5678901,-;BUG: ..." (level,sequence,usec,flags;) */
	if (isdigit((unsigned char)s[0]) && classify_match_text("%d,%d,%d,", s, NULL)) {
		const char *semi = strchr(s, ';');
		if (semi && semi - s < 48)
			s = semi + 1;
	}
	/* syslog / journal copy: "Mar  5 12:00:00 host kernel: ..." */
	if (strlen(s) > 9 && (k = strstr(s, " kernel: ")) && k - s < 80)
		s = k + 9;
	/* serial loggers' ISO time stamps: "2024-03-05T12:00:00.123456Z " */
	if (classify_match_text("%d-%d-%d", s, NULL) && isdigit((unsigned char)s[0]) &&
	    s[4] == '-') {
		const char *sp = strchr(s, ' ');
		if (sp && sp - s < 40) {
			s = sp + 1;
			if (classify_match_text("%d:%d:%d", s, NULL) && (sp = strchr(s, ' ')) &&
			    sp - s < 20)
				s = sp + 1;
		}
	}
	/* dmesg -x: "kern  :warn  : " */
	if (startswith(s, "kern ") && classify_match_text("kern :%S : ", s, NULL)) {
		s = strchr(s, ':') + 1;
		s = strchr(s, ':') + 1;
		while (*s == ' ')
			s++;
	}
	/* user-space loggers' "2024/03/05 12:00:00 " (Go's log package, fuzzers' executors) */
	if (isdigit((unsigned char)s[0]) && classify_match_text("%d/%d/%d %d:%d:%d ", s, NULL)) {
		s = strchr(s, ' ') + 1;
		s = strchr(s, ' ') + 1;
	}
	/* the console dropped records: "** 12 printk messages dropped ** [  60.1] INFO: ..." */
	if (s[0] == '*' && classify_match_text("** %d printk messages dropped ** ", s, NULL))
		s = strstr(s, "dropped ** ") + 11;
	/* quoted in a mail or a bug tracker: "> [   12.3] BUG: ..." */
	while (s[0] == '>' && s[1] == ' ')
		s += 2;
	return s;
}

const char *classify_strip_prefixes(const char *s, char caller[16], bool *ret_stamped)
{
	bool stamped = false;
	caller[0] = '\0';
	s = strip_logger_prefixes(s);
	for (;;) {
		const char *t = s;
		/* dmesg -T: "[Tue Mar  5 12:00:00 2024] " */
		if (*t == '[' && classify_match_text("[%S %S %d %d:%d:%d %d]", t, NULL)) {
			s = strchr(t, ']') + 1;
			if (*s == ' ')
				s++;
			stamped = true;
			continue;
		}
		if (*t == '<') {
			t++;
			while (isdigit((unsigned char)*t) && t - s < 4)
				t++;
			if (*t == '>' && t > s + 1) {
				s = t + 1;
				continue;
			}
			t = s;
		}
		if (*t == '[') {
			t++;
			while (*t == ' ')
				t++;
			const char *start = t;
			if ((*t == 'T' || *t == 'C') && isdigit((unsigned char)t[1])) {
				t++;
				while (isdigit((unsigned char)*t))
					t++;
				if (*t == ']' && t - start < 15) {
					memcpy(caller, start, t - start);
					caller[t - start] = '\0';
					s = t + 1;
					if (*s == ' ')
						s++;
					stamped = true;
					continue;
				}
			} else if (isdigit((unsigned char)*t)) {
				while (isdigit((unsigned char)*t) || *t == '.')
					t++;
				if (*t == ']') {
					s = t + 1;
					if (*s == ' ')
						s++;
					stamped = true;
					continue;
				}
			}
		}
		break;
	}
	*ret_stamped = stamped;
	return s;
}

const char *classify_strip_transparent(const char *body)
{
	for (bool again = true; again;) {
		again = false;
		for (size_t i = 0; i < classify_transparent_prefixes_n; i++) {
			const char *p = classify_transparent_prefixes[i];
			size_t n = strlen(p);
			if (strncmp(body, p, n) != 0)
				continue;
			/* "Oops: 0000 [#1]" is itself a header; only "Oops: <words>" is a prefix */
			if (isdigit((unsigned char)body[n]))
				continue;
			body += n;
			again = true;
		}
	}
	return body;
}

/* ---- Stack frames ---- */

/* Parse "name+0x1a/0x40 [module]" at s. With need_offset the "+0x" part is required (stack
 * lines); without it a bare name is accepted (header lines such as KCSAN's). */
bool classify_parse_symbol(const char *s, bool need_offset, struct classify_frame *f)
{
	const char *t = s;
	if (!is_sym_start(*t))
		return false;
	while (is_sym_char(*t))
		t++;
	size_t n = t - s;
	/* "ffffffff8343632e": an address where a symbol was expected */
	if (n >= 8 && strspn(s, "0123456789abcdefABCDEF") >= n)
		return false;
	if (need_offset) {
		if (strncmp(t, "+0x", 3) != 0)
			return false;
		t += 3;
		if (!isxdigit((unsigned char)*t))
			return false;
		while (isxdigit((unsigned char)*t))
			t++;
		if (*t == '/') {
			t++;
			if (strncmp(t, "0x", 2) == 0)
				t += 2;
			while (isxdigit((unsigned char)*t))
				t++;
		}
	} else if (*t == '+') {
		t++;
		while (*t && !classify_is_blank(*t))
			t++;
	}
	/* compiler suffixes (.isra.0, .constprop.0, .part.0, .cold) are not part of the name */
	const char *dot = memchr(s, '.', n);
	if (dot)
		n = dot - s;
	if (n == 0)
		return false;
	if (n >= SYM_LEN)
		n = SYM_LEN - 1;
	memcpy(f->name, s, n);
	f->name[n] = '\0';
	if (*t == '(' && t[1] == ')')
		t += 2;
	while (classify_is_blank(*t))
		t++;
	f->module = *t == '[' && t[1] != '<' && is_sym_start(t[1]);
	return true;
}

const char *classify_skip_addr_brackets(const char *t)
{
	/* "[<ffffffff81234567>] " (older kernels, kmemleak, arm), "[c000000001234560] " (powerpc),
	 * "([<0000000000123456>] " (s390) */
	for (;;) {
		if (t[0] == '(' && t[1] == '[')
			t++;
		if (t[0] != '[' || !(t[1] == '<' || isxdigit((unsigned char)t[1])))
			return t;
		const char *e = t + 1 + (t[1] == '<');
		while (isxdigit((unsigned char)*e))
			e++;
		if (*e == '>')
			e++;
		if (*e != ']')
			return t;
		t = e + 1;
		while (classify_is_blank(*t))
			t++;
		/* arm: "[<c0123456>] (func+0x1/0x2) from [<c0123457>] (caller+0x3/0x4)" */
		if (*t == '(')
			return t + 1;
	}
}

/* A line that carries the faulting instruction pointer: "RIP: 0010:func+0x..", arm64 "pc : ..",
 * 32-bit "EIP: ..", old "IP: [<..>] ..", arm "PC is at ..". */
bool classify_parse_ip_line(const char *body, struct classify_frame *f)
{
	static const char *const heads[] = {
	    "RIP: ",	  "EIP: ", "IP: ", "pc : ",  "lr : ", "PC is at ",  "LR is at ",
	    "EIP is at ", "NIP ",  "LR ",  "epc : ", "ra : ", "Krnl PSW : "};
	for (size_t i = 0; i < ARRAY_SIZE(heads); i++) {
		size_t n = strlen(heads[i]);
		if (strncmp(body, heads[i], n) != 0)
			continue;
		const char *t = body + n;
		/* segment selector "0010:" */
		const char *c = t;
		while (isxdigit((unsigned char)*c))
			c++;
		if (*c == ':' && c - t == 4)
			t = c + 1;
		/* "[c0000000001234] " (powerpc) */
		if (*t == '[' && t[1] != '<') {
			const char *e = strchr(t, ']');
			if (e)
				t = e + 1;
			while (classify_is_blank(*t))
				t++;
		}
		t = classify_skip_addr_brackets(t);
		return classify_parse_symbol(t, true, f);
	}
	return false;
}

bool classify_parse_frame_line(const char *body, struct classify_frame *f)
{
	const char *t = body;
	t = classify_skip_addr_brackets(t);
	if (t[0] == '?' && t[1] == ' ')
		return false; /* unreliable frame */
	if (classify_parse_symbol(t, true, f))
		return true;
	/* arm: "[<801654a4>] (kthread_stop) from [<8163f8d8>] (caller+0x88/0x3a0)" */
	if (t > body && t[-1] == '(') {
		size_t n =
		    strspn(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.$");
		if (n > 0 && t[n] == ')' && classify_parse_symbol(t, false, f)) {
			f->module = false;
			return true;
		}
	}
	/* symbolized reports (syzbot, decode_stacktrace.sh) list inlined functions without an
	 * offset: "ks_match drivers/foo/ks.c:120 [inline]" */
	const char *inl = strstr(t, " [inline]");
	const char *sp = strchr(t, ' ');
	/* exactly "name path:line [inline]" */
	if (!inl || !sp || sp[1] == ':' || !memchr(sp, ':', inl - sp) ||
	    memchr(sp + 1, ' ', inl - sp - 1) || !classify_parse_symbol(t, false, f))
		return false;
	f->module = false;
	return true;
}

bool classify_skipped_function(const char *name)
{
	for (size_t i = 0; i < classify_skip_functions_n; i++) {
		const char *p = classify_skip_functions[i];
		size_t n = strlen(p);
		if (n && p[n - 1] == '*') {
			if (strncmp(name, p, n - 1) == 0)
				return true;
		} else if (streq(name, p)) {
			return true;
		}
	}
	return false;
}

void classify_scrub(const char *in, char *out, size_t size)
{
	size_t o = 0;
	const char *s = in;
	while (*s && o + 2 < size) {
		if (isalnum((unsigned char)*s) || *s == '_') {
			const char *e = s;
			bool digit = false, hex = true, dec = true;
			while (isalnum((unsigned char)*e) || *e == '_') {
				if (isdigit((unsigned char)*e))
					digit = true;
				else
					dec = false;
				if (!isxdigit((unsigned char)*e))
					hex = false;
				e++;
			}
			bool hexlit = e - s > 2 && s[0] == '0' && s[1] == 'x';
			if (hexlit) {
				hex = true;
				for (const char *q = s + 2; q < e; q++)
					hex = hex && isxdigit((unsigned char)*q);
			}
			if (digit && (dec || hexlit || (hex && e - s >= 6))) {
				out[o++] = dec ? 'N' : 'X';
			} else {
				for (const char *q = s; q < e && o + 2 < size; q++)
					out[o++] = *q;
			}
			s = e;
			continue;
		}
		if (*s == '+' && s[1] == '0' && s[2] == 'x') {
			/* "+0x1a/0x40": an offset */
			s++;
			while (*s && !classify_is_blank(*s))
				s++;
			continue;
		}
		if (classify_is_blank(*s)) {
			if (o > 0 && out[o - 1] != ' ')
				out[o++] = ' ';
			s++;
			continue;
		}
		out[o++] = *s++;
	}
	while (o > 0 && (out[o - 1] == ' ' || out[o - 1] == ':' || out[o - 1] == ','))
		o--;
	out[o] = '\0';
}

bool classify_name_match(const char *pat, const char *name)
{
	bool start = pat[0] == '^';
	if (start)
		pat++;
	size_t n = strlen(pat);
	bool end = n > 0 && pat[n - 1] == '$';
	if (end)
		n--;
	size_t len = strlen(name);
	if (n > len)
		return false;
	if (start && end)
		return n == len && strncmp(name, pat, n) == 0;
	if (start)
		return strncmp(name, pat, n) == 0;
	if (end)
		return strncmp(name + len - n, pat, n) == 0;
	for (const char *p = name; (p = strchr(p, pat[0])); p++)
		if (strncmp(p, pat, n) == 0)
			return true;
	return false;
}

bool classify_name_match_any(const char *const *list, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (classify_name_match(list[i], name))
			return true;
	return false;
}

bool classify_parse_arm_caller(const char *body, struct classify_frame *f)
{
	const char *from = strstr(body, ") from [<");
	if (!from)
		return false;
	const char *t = classify_skip_addr_brackets(from + 7);
	return t > from + 7 && t[-1] == '(' && classify_parse_symbol(t, true, f);
}

size_t classify_lines_take(struct classify_lines *l, const unsigned char *p, size_t size,
			   bool *ret_complete)
{
	const unsigned char *nl = memchr(p, '\n', size);
	size_t end = nl ? (size_t)(nl - p) : size;
	size_t stop = end > CLASSIFY_LINE_CAP - l->len ? CLASSIFY_LINE_CAP - l->len : end;
	for (size_t k = 0; k < stop; k++) {
		unsigned char c = p[k];
		/* ANSI colour sequences ("dmesg --color", user space): ESC [ ... letter */
		if (l->in_escape) {
			if (c == '[' && l->in_escape == 1) {
				l->in_escape = 2;
				continue;
			}
			if (l->in_escape == 2 && (isdigit(c) || c == ';' || c == '?'))
				continue;
			l->in_escape = 0;
			if (isalpha(c))
				continue;
		}
		if (c == 0x1b) {
			l->in_escape = 1;
			continue;
		}
		if (c == '\r')
			continue;
		/* NULs and control characters would end or corrupt strings: blanks */
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			c = ' ';
		l->line[l->len++] = (char)c;
	}
	*ret_complete = nl != NULL;
	return nl ? end + 1 : size;
}

char *classify_lines_end(struct classify_lines *l)
{
	l->line[l->len] = '\0';
	l->len = 0;
	l->in_escape = 0;
	return l->line;
}

void classify_excerpt_append(struct classify_excerpt *e, const char *line)
{
	if (!e->buf)
		e->buf = xmalloc(CLASSIFY_EXCERPT_MAX + 1);
	size_t n = strlen(line);
	if (e->len + n + 1 > CLASSIFY_EXCERPT_MAX)
		return;
	memcpy(e->buf + e->len, line, n);
	e->len += n;
	e->buf[e->len++] = '\n';
	e->buf[e->len] = '\0';
}

void classify_excerpt_reset(struct classify_excerpt *e)
{
	e->len = 0;
	if (e->buf)
		e->buf[0] = '\0';
}

char *classify_excerpt_text(const struct classify_excerpt *e)
{
	/* for humans and JSON: the guest's bytes, cleaned of controls and invalid UTF-8 */
	return guesttext_dup(e->buf, e->len, GUESTTEXT_LINES);
}

int classify_open(const char *path, FILE **ret)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return -errno;
	struct stat sb;
	if (fstat(fileno(f), &sb) < 0) {
		int r = -errno;
		fclose(f);
		return r;
	}
	if (S_ISDIR(sb.st_mode)) {
		fclose(f);
		return -EISDIR;
	}
	*ret = f;
	return 0;
}

/* A token that names what changes from run to run: a device or object numbered by the kernel
 * ("ptm0", "loop3", "ttyS1") or a "key=value", once its brackets and punctuation are set
 * aside. Plain numbers are not: scrubbing makes them "N" and the words around them stay. */
static bool variable_token(const char *t, size_t n)
{
	while (n > 0 && strchr("([{'\"", *t))
		t++, n--;
	while (n > 0 && strchr(")]}'\".,:;!", t[n - 1]))
		n--;
	if (n == 0)
		return false;
	if (memchr(t, '=', n) && t[0] != '=')
		return true;
	size_t letters = 0;
	while (letters < n && (isalpha((unsigned char)t[letters]) || t[letters] == '_'))
		letters++;
	size_t digits = letters;
	while (digits < n && isdigit((unsigned char)t[digits]))
		digits++;
	return letters > 0 && digits > letters && digits == n;
}

/* Words that only introduce what was cut: dropped from the end. */
static bool connector(const char *t, size_t n)
{
	static const char *const words[] = {"for",  "in",   "at", "on",	 "of", "to",
					    "from", "with", "by", "---", "-",  ":"};
	if (n > 0 && strchr("([{", t[0]))
		return true; /* "(error": its closing part was cut */
	for (size_t i = 0; i < ARRAY_SIZE(words); i++)
		if (strlen(words[i]) == n && strncmp(t, words[i], n) == 0)
			return true;
	return false;
}

void classify_trim_tail(const char *in, char *out, size_t size)
{
	const char *start[64];
	size_t len[64], n = 0;
	for (const char *t = in; *t && n < ARRAY_SIZE(start);) {
		while (classify_is_blank(*t))
			t++;
		if (!*t)
			break;
		start[n] = t;
		while (*t && !classify_is_blank(*t))
			t++;
		len[n] = t - start[n];
		n++;
	}
	size_t keep = n;
	for (size_t i = CLASSIFY_TRIM_MIN_WORDS; i < n; i++)
		if (variable_token(start[i], len[i])) {
			keep = i;
			break;
		}
	while (keep < n && keep > CLASSIFY_TRIM_MIN_WORDS - 1 && keep > 1 &&
	       connector(start[keep - 1], len[keep - 1]))
		keep--;
	if (keep == n || keep == 0) {
		snprintf(out, size, "%s", in);
		return;
	}
	size_t o = 0;
	for (size_t i = 0; i < keep && o + 1 < size; i++) {
		int w = snprintf(out + o, size - o, "%s%.*s", i ? " " : "", (int)len[i], start[i]);
		o += (size_t)w < size - o ? (size_t)w : size - o - 1;
	}
	out[o] = '\0';
}
