/* classify.c — console log classification, see classify.h. The tables (patterns, skip lists) are in
 * classify-patterns.c; this file is the engine: a line splitter with a length cap, prefix
 * stripping, a small anchored pattern matcher, and a state machine that finds the first kernel
 * report, collects its excerpt and stack frames, and builds a stable title from them. */
#include "classify.h"

#include <ctype.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "classify-patterns.h"
#include "util.h"

/* printk never emits more than 1024 bytes per record: longer lines are not kernel output. */
#define LINE_CAP 1024
#define REPORT_MAX_BYTES (64 * 1024)
#define REPORT_MAX_LINES 400
/* A weak header must be confirmed by report structure within this many lines. */
#define WEAK_WINDOW 40
/* Lines kept after "---[ end trace" to catch the panic that usually follows. */
#define AFTER_END_TRACE 40
#define MAX_FRAMES 96
#define MAX_CAPS 4
#define CAP_LEN 160
#define SYM_LEN 128

struct frame {
	char name[SYM_LEN];
	bool module;
};

enum state {
	ST_SCAN,
	ST_REPORT,
	ST_DONE,
};

struct classify_stream {
	char line[LINE_CAP + 1];
	size_t len;
	long lineno; /* lines completed so far */

	enum state state;
	const struct classify_pattern *pat;
	bool confirmed;
	long header_line;
	long report_lines;
	char caller[16]; /* "T123" / "C1" of the header line, "" when none */
	char caps[MAX_CAPS][CAP_LEN];
	size_t ncaps;
	struct frame hdr_func, at_func;
	bool have_hdr_func, have_at_func;
	const char *access;
	struct frame frames[MAX_FRAMES];
	size_t nframes;
	bool in_trace, frames_closed;
	long end_trace_at; /* report line of "---[ end trace", 0 when not seen */
	char *report;
	size_t report_len;
};

/* ---- Pattern matching ---- */

struct match {
	const char *cap[MAX_CAPS];
	size_t cap_len[MAX_CAPS];
	bool cap_is_func[MAX_CAPS];
	size_t n;
	/* Backtracking budget: nested '*' / %C on a hostile 1 KiB line would otherwise cost
	 * O(n^2) per pattern. Real headers need a few hundred steps. */
	unsigned steps;
};

#define MATCH_STEPS 4096

static bool is_sym_start(char c)
{
	return isalpha((unsigned char)c) || c == '_' || c == '$';
}

static bool is_sym_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '.' || c == '$';
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Anchored, prefix semantics: succeeds when p is exhausted (rest of s ignored) */
static bool match_here(const char *p, const char *s, struct match *m, int depth)
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
			if (!is_blank(*s))
				return false;
			while (is_blank(*s))
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
			char k = p[1];
			const char *t = s;
			size_t slot = m->n;
			switch (k) {
			case '%':
				if (*s != '%')
					return false;
				s++;
				p += 2;
				continue;
			case 'd':
				while (isdigit((unsigned char)*t))
					t++;
				if (t == s)
					return false;
				s = t;
				p += 2;
				continue;
			case 'x':
				while (isxdigit((unsigned char)*t))
					t++;
				if (t == s)
					return false;
				s = t;
				p += 2;
				continue;
			case 'F':
				if (!is_sym_start(*t))
					return false;
				while (is_sym_char(*t))
					t++;
				if (slot < MAX_CAPS) {
					m->cap[slot] = s;
					m->cap_len[slot] = t - s;
					m->cap_is_func[slot] = true;
				}
				m->n++;
				if (match_here(p + 2, t, m, depth + 1))
					return true;
				m->n = slot;
				return false;
			case 'R':
				t = s + strlen(s);
				if (slot < MAX_CAPS) {
					m->cap[slot] = s;
					m->cap_len[slot] = t - s;
					m->cap_is_func[slot] = false;
				}
				m->n++;
				return true;
			case 'S':
			case 'C':
				/* shortest first, at least one character */
				for (t = s + 1; t[-1]; t++) {
					if (k == 'S' && is_blank(t[-1]))
						break;
					if (slot < MAX_CAPS) {
						m->cap[slot] = s;
						m->cap_len[slot] = t - s;
						m->cap_is_func[slot] = false;
					}
					m->n = slot + 1;
					if (match_here(p + 2, t, m, depth + 1))
						return true;
				}
				m->n = slot;
				return false;
			default:
				return false;
			}
		}
		if (*s != c)
			return false;
		p++;
		s++;
	}
}

static bool match(const char *pattern, const char *s, struct match *m)
{
	struct match dummy;
	if (!m)
		m = &dummy;
	m->n = 0;
	m->steps = 0;
	return match_here(pattern, s, m, 0);
}

static bool match_any(const char *const *list, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (match(list[i], s, NULL))
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

static const struct classify_pattern *match_header(const char *body, struct match *m)
{
	first_char_init();
	if (!first_char_any && !first_char_ok[(unsigned char)body[0]])
		return NULL;
	for (size_t i = 0; i < classify_patterns_n; i++) {
		const struct classify_pattern *p = &classify_patterns[i];
		if ((unsigned char)p->match[0] != (unsigned char)body[0] && p->match[0] != '%' &&
		    p->match[0] != '*')
			continue;
		if (match(p->match, body, m))
			return p;
	}
	return NULL;
}

/* ---- Line prefixes ---- */

/* Strip "<4>", "[  12.345678]", "[ T123]", "[ C1]", "[12.3][ T1]", syslog "host kernel: " and the
 * transparent subsystem prefixes. Returns the message; *caller gets the caller id if any. */
static const char *strip_prefixes(const char *s, char caller[16])
{
	caller[0] = '\0';
	const char *k = NULL;
	/* syslog / journal copy: "Mar  5 12:00:00 host kernel: ..." */
	if (strlen(s) > 9 && (k = strstr(s, " kernel: ")) && k - s < 80)
		s = k + 9;
	/* serial loggers' ISO time stamps: "2024-03-05T12:00:00.123456Z " */
	if (match("%d-%d-%d", s, NULL) && isdigit((unsigned char)s[0]) && s[4] == '-') {
		const char *sp = strchr(s, ' ');
		if (sp && sp - s < 40) {
			s = sp + 1;
			if (match("%d:%d:%d", s, NULL) && (sp = strchr(s, ' ')) && sp - s < 20)
				s = sp + 1;
		}
	}
	/* dmesg -x: "kern  :warn  : " */
	if (startswith(s, "kern ") && match("kern :%S : ", s, NULL)) {
		s = strchr(s, ':') + 1;
		s = strchr(s, ':') + 1;
		while (*s == ' ')
			s++;
	}
	for (;;) {
		const char *t = s;
		/* dmesg -T: "[Tue Mar  5 12:00:00 2024] " */
		if (*t == '[' && match("[%S %S %d %d:%d:%d %d]", t, NULL)) {
			s = strchr(t, ']') + 1;
			if (*s == ' ')
				s++;
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
					continue;
				}
			} else if (isdigit((unsigned char)*t)) {
				while (isdigit((unsigned char)*t) || *t == '.')
					t++;
				if (*t == ']') {
					s = t + 1;
					if (*s == ' ')
						s++;
					continue;
				}
			}
		}
		break;
	}
	return s;
}

static const char *strip_transparent(const char *body)
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
static bool parse_symbol(const char *s, bool need_offset, struct frame *f)
{
	const char *t = s;
	if (!is_sym_start(*t))
		return false;
	while (is_sym_char(*t))
		t++;
	size_t n = t - s;
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
		while (*t && !is_blank(*t))
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
	while (is_blank(*t))
		t++;
	f->module = *t == '[' && t[1] != '<' && is_sym_start(t[1]);
	return true;
}

static const char *skip_addr_brackets(const char *t)
{
	/* "[<ffffffff81234567>] " (older kernels, kmemleak) */
	while (t[0] == '[' && t[1] == '<') {
		const char *e = strchr(t, ']');
		if (!e)
			return t;
		t = e + 1;
		while (is_blank(*t))
			t++;
	}
	return t;
}

/* A line that carries the faulting instruction pointer: "RIP: 0010:func+0x..", arm64 "pc : ..",
 * 32-bit "EIP: ..", old "IP: [<..>] ..", arm "PC is at ..". */
static bool parse_ip_line(const char *body, struct frame *f)
{
	static const char *const heads[] = { "RIP: ", "EIP: ", "IP: ", "pc : ", "lr : ",
					     "PC is at ", "LR is at ", "EIP is at ", "NIP ",
					     "LR " };
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
			while (is_blank(*t))
				t++;
		}
		t = skip_addr_brackets(t);
		return parse_symbol(t, true, f);
	}
	return false;
}

static bool parse_frame_line(const char *body, struct frame *f)
{
	const char *t = body;
	t = skip_addr_brackets(t);
	if (t[0] == '?' && t[1] == ' ')
		return false; /* unreliable frame */
	return parse_symbol(t, true, f);
}

static bool skipped_function(const char *name)
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

/* ---- Report state ---- */

static void report_append(struct classify_stream *st, const char *line)
{
	if (!st->report)
		st->report = xmalloc(REPORT_MAX_BYTES + 1);
	size_t n = strlen(line);
	if (st->report_len + n + 1 > REPORT_MAX_BYTES)
		return;
	memcpy(st->report + st->report_len, line, n);
	st->report_len += n;
	st->report[st->report_len++] = '\n';
	st->report[st->report_len] = '\0';
}

static void report_start(struct classify_stream *st, const struct classify_pattern *p,
			 const struct match *m, const char *caller, const char *line)
{
	st->state = ST_REPORT;
	st->pat = p;
	st->confirmed = !(p->flags & CLASSIFY_PAT_WEAK);
	st->header_line = st->lineno + 1;
	st->report_lines = 0;
	snprintf(st->caller, sizeof(st->caller), "%s", caller);
	st->ncaps = 0;
	st->have_hdr_func = st->have_at_func = false;
	st->access = NULL;
	st->nframes = 0;
	st->in_trace = st->frames_closed = false;
	st->end_trace_at = 0;
	st->report_len = 0;
	if (st->report)
		st->report[0] = '\0';
	for (size_t i = 0; i < m->n && i < MAX_CAPS; i++) {
		size_t n = m->cap_len[i] < CAP_LEN - 1 ? m->cap_len[i] : CAP_LEN - 1;
		if (m->cap_is_func[i]) {
			struct frame f;
			if (parse_symbol(m->cap[i], false, &f)) {
				snprintf(st->caps[i], CAP_LEN, "%s", f.name);
				if (!st->have_hdr_func) {
					st->have_hdr_func = true;
					st->hdr_func = f;
				}
			} else {
				st->caps[i][0] = '\0';
			}
		} else {
			memcpy(st->caps[i], m->cap[i], n);
			st->caps[i][n] = '\0';
		}
		st->ncaps = i + 1;
	}
	report_append(st, line);
}

/* Lines from another task interleave with the report when the log carries caller ids: keep only
 * the reporting task's lines (and CPU-context lines, where NMI backtraces are printed). */
static bool caller_accepts(const struct classify_stream *st, const char *caller)
{
	if (!st->caller[0] || !caller[0])
		return true;
	if (caller[0] == 'C')
		return true;
	return streq(st->caller, caller);
}

static void add_frame(struct classify_stream *st, const struct frame *f)
{
	if (st->nframes < MAX_FRAMES)
		st->frames[st->nframes++] = *f;
}

static void report_line(struct classify_stream *st, const char *line, const char *body,
			const char *caller)
{
	struct frame f;
	struct match m;

	if (!caller_accepts(st, caller))
		return;

	/* A weak header may be superseded by a real one before it is confirmed. */
	const char *hbody = strip_transparent(body);
	const struct classify_pattern *p = match_header(hbody, &m);
	if (p && (p->flags & CLASSIFY_PAT_IGNORE))
		p = NULL;
	if (!st->confirmed) {
		if (p) {
			report_start(st, p, &m, caller, line);
			return;
		}
		if (match_any(classify_confirm_markers, classify_confirm_markers_n, body))
			st->confirmed = true;
		else if (st->report_lines >= WEAK_WINDOW) {
			st->state = ST_SCAN;
			return;
		}
	} else if (p && st->nframes > 0) {
		/* the next report (often the panic that ends this one): its frames are not ours */
		st->frames_closed = true;
	}

	st->report_lines++;
	report_append(st, line);

	if (match_any(classify_report_end, classify_report_end_n, body)) {
		st->state = ST_DONE;
		return;
	}
	if (startswith(body, "---[ end trace")) {
		st->frames_closed = true;
		if (!st->end_trace_at)
			st->end_trace_at = st->report_lines;
	}
	if ((st->end_trace_at && st->report_lines - st->end_trace_at > AFTER_END_TRACE) ||
	    st->report_lines >= REPORT_MAX_LINES) {
		st->state = ST_DONE;
		return;
	}

	if ((st->pat->flags & CLASSIFY_PAT_ACCESS) && !st->access && st->report_lines < 10) {
		if (startswith(body, "Read of size") || startswith(body, "Read at addr"))
			st->access = "Read";
		else if (startswith(body, "Write of size") || startswith(body, "Write at addr"))
			st->access = "Write";
	}
	if ((st->pat->flags & CLASSIFY_PAT_AT_FUNC) && !st->have_at_func) {
		const char *at = strstr(body, ", at: ");
		if (at && parse_symbol(skip_addr_brackets(at + 6), false, &f)) {
			st->at_func = f;
			st->have_at_func = true;
		}
	}

	if (st->frames_closed)
		return;
	if (match_any(classify_trace_stop, classify_trace_stop_n, body)) {
		st->in_trace = false;
		return;
	}
	if (match_any(classify_trace_start, classify_trace_start_n, body)) {
		st->in_trace = true;
		return;
	}
	if (parse_ip_line(body, &f)) {
		add_frame(st, &f);
		return;
	}
	if (st->in_trace && parse_frame_line(body, &f))
		add_frame(st, &f);
}

static void process_line(struct classify_stream *st, char *line)
{
	char caller[16];
	const char *msg = strip_prefixes(line, caller);
	const char *body = msg;
	while (is_blank(*body))
		body++;

	if (st->state == ST_REPORT) {
		report_line(st, line, body, caller);
		return;
	}
	/* ST_SCAN */
	struct match m;
	const char *hbody = strip_transparent(body);
	const struct classify_pattern *p = match_header(hbody, &m);
	if (p && !(p->flags & CLASSIFY_PAT_IGNORE)) {
		report_start(st, p, &m, caller, line);
		return;
	}
	/* A kernel line glued to the end of user-space output that lacked a newline:
	 * "some output[   12.345678] BUG: ...". Look again from an embedded time stamp. */
	for (const char *t = strchr(msg + 1, '['); t; t = strchr(t + 1, '[')) {
		if (match("[ %d.%d]", t, NULL) || match("[%d.%d]", t, NULL)) {
			msg = strip_prefixes(t, caller);
			body = msg;
			while (is_blank(*body))
				body++;
			hbody = strip_transparent(body);
			p = match_header(hbody, &m);
			if (p && !(p->flags & CLASSIFY_PAT_IGNORE))
				report_start(st, p, &m, caller, t);
			return;
		}
	}
}

/* ---- Line splitting ---- */

static void end_line(struct classify_stream *st)
{
	st->line[st->len] = '\0';
	if (st->state != ST_DONE)
		process_line(st, st->line);
	st->lineno++;
	st->len = 0;
}

struct classify_stream *classify_stream_new(void)
{
	struct classify_stream *st = xzalloc(sizeof(*st));
	return st;
}

struct classify_stream *classify_stream_free(struct classify_stream *st)
{
	if (!st)
		return NULL;
	free(st->report);
	free(st);
	return NULL;
}

bool classify_stream_done(const struct classify_stream *st)
{
	return st->state == ST_DONE;
}

void classify_stream_feed(struct classify_stream *st, const void *data, size_t size)
{
	const unsigned char *p = data;
	for (size_t i = 0; i < size && st->state != ST_DONE; i++) {
		unsigned char c = p[i];
		if (c == '\n') {
			end_line(st);
			continue;
		}
		if (c == '\r')
			continue;
		/* NULs and control characters would end or corrupt strings: make them blanks */
		if (c < 0x20 && c != '\t')
			c = ' ';
		else if (c == 0x7f)
			c = ' ';
		if (st->len < LINE_CAP)
			st->line[st->len++] = (char)c;
	}
}

/* Free text from a header (a panic message, a generic BUG line) without what changes from run to
 * run: addresses, numbers, PIDs, CPU numbers. */
static void scrub(const char *in, char *out, size_t size)
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
			while (*s && !is_blank(*s))
				s++;
			continue;
		}
		if (is_blank(*s)) {
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

static const struct frame *guilty_function(const struct classify_stream *st)
{
	const struct frame *cand[MAX_FRAMES + 2];
	size_t n = 0;
	if (st->have_at_func)
		cand[n++] = &st->at_func;
	if (st->have_hdr_func)
		cand[n++] = &st->hdr_func;
	if (!(st->pat->flags & CLASSIFY_PAT_HDR_FUNC_ONLY))
		for (size_t i = 0; i < st->nframes; i++)
			cand[n++] = &st->frames[i];

	const struct frame *first = NULL;
	for (size_t i = 0; i < n; i++) {
		if (skipped_function(cand[i]->name))
			continue;
		/* a frame in a module: the module under test is the likelier culprit */
		if (cand[i]->module)
			return cand[i];
		if (!first)
			first = cand[i];
	}
	return first;
}

static char *build_title(const struct classify_stream *st)
{
	const char *tpl = st->pat->title;
	const struct frame *f = guilty_function(st);
	char buf[512];
	size_t o = 0;

	for (const char *t = tpl; *t && o + 1 < sizeof(buf);) {
		if (t[0] == ' ' && startswith(t, " in $F") && !f) {
			t += 6;
			continue;
		}
		if (t[0] == '$' && t[1] == 'A') {
			if (st->access)
				o += snprintf(buf + o, sizeof(buf) - o, "%s", st->access);
			else if (t[2] == ' ')
				t++;
			t += 2;
		} else if (t[0] == '$' && t[1] == 'F') {
			if (f)
				o += snprintf(buf + o, sizeof(buf) - o, "%s", f->name);
			t += 2;
		} else if (t[0] == '$' && t[1] >= '1' && t[1] <= '4') {
			size_t i = t[1] - '1';
			char clean[CAP_LEN];
			scrub(i < st->ncaps ? st->caps[i] : "", clean, sizeof(clean));
			o += snprintf(buf + o, sizeof(buf) - o, "%s", clean);
			t += 2;
		} else {
			buf[o++] = *t++;
		}
		if (o >= sizeof(buf))
			o = sizeof(buf) - 1;
	}
	buf[o] = '\0';
	return xstrdup(buf);
}

/* The excerpt is for humans and JSON: keep it valid UTF-8 (other bytes become '?'). */
static char *utf8_sanitize(const char *s, size_t n)
{
	char *out = xmalloc(n + 1);
	size_t o = 0;
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
		bool ok = len > 0 && i + len <= n;
		for (size_t k = 1; ok && k < len; k++)
			ok = ((unsigned char)s[i + k] >> 6) == 2;
		if (ok && len == 2 && c < 0xc2)
			ok = false;
		if (!ok) {
			out[o++] = '?';
			i++;
			continue;
		}
		memcpy(out + o, s + i, len);
		o += len;
		i += len;
	}
	out[o] = '\0';
	return out;
}

int classify_stream_finish(struct classify_stream *st, struct classify_result **ret)
{
	if (st->len > 0 && st->state != ST_DONE)
		end_line(st);
	struct classify_result *r = xzalloc(sizeof(*r));
	if ((st->state == ST_REPORT && st->confirmed) || st->state == ST_DONE) {
		r->verdict = st->pat->verdict;
		r->title = build_title(st);
		r->type = xstrdup(st->pat->type);
		r->first_line = st->header_line;
		r->report = utf8_sanitize(st->report ? st->report : "", st->report_len);
	}
	*ret = r;
	return 0;
}

/* ---- Convenience entry points ---- */

int classify_file(FILE *f, struct classify_result **ret)
{
	struct classify_stream *st = classify_stream_new();
	char buf[64 * 1024];
	size_t n;
	while (!classify_stream_done(st) && (n = fread(buf, 1, sizeof(buf), f)) > 0)
		classify_stream_feed(st, buf, n);
	if (ferror(f)) {
		classify_stream_free(st);
		return -EIO;
	}
	int r = classify_stream_finish(st, ret);
	classify_stream_free(st);
	return r;
}

int classify_path(const char *path, struct classify_result **ret)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	if (!f)
		return -errno;
	struct stat sb;
	if (fstat(fileno(f), &sb) < 0)
		return -errno;
	if (S_ISDIR(sb.st_mode))
		return -EISDIR;
	return classify_file(f, ret);
}

int classify_buffer(const void *data, size_t size, struct classify_result **ret)
{
	struct classify_stream *st = classify_stream_new();
	classify_stream_feed(st, data, size);
	int r = classify_stream_finish(st, ret);
	classify_stream_free(st);
	return r;
}

struct classify_result *classify_result_free(struct classify_result *r)
{
	if (!r)
		return NULL;
	free(r->title);
	free(r->type);
	free(r->report);
	free(r);
	return NULL;
}

const char *classify_verdict_name(enum classify_verdict v)
{
	switch (v) {
	case CLASSIFY_CLEAN:
		return "clean";
	case CLASSIFY_CRASH:
		return "crash";
	case CLASSIFY_HANG:
		return "hang";
	}
	return "unknown";
}
