/* classify-user.c — user-space reports: what killed a sensor process, from its stderr or log
 * (see classify_userspace_* in classify.h). The same line splitter and pattern language as the
 * kernel's reader; the tables are in classify-patterns.c. One pass, bounded memory: the first
 * report wins, its excerpt and frames are capped. */
#include <ctype.h>

#include "classify-match.h"
#include "classify-patterns.h"
#include "classify.h"
#include "guesttext.h"
#include "util.h"

#define USER_MAX_FRAMES 64
#define USER_REPORT_MAX_LINES 200
/* lines read after a report that has no frame structure of its own (an abort message, a
 * signal), where a handler may print a backtrace */
#define USER_TAIL_LINES 40
#define USER_CAP_LEN 160

enum user_state {
	US_SCAN,
	US_REPORT,
	US_DONE,
};

struct user_reader {
	struct classify_lines lines;
	long lineno;
	enum user_state state;
	const struct classify_user_pattern *pat; /* NULL for a signal death */
	const char *signal;			 /* "SEGV" ... for a signal death */
	long header_line, report_lines, frames_at;
	char caps[MAX_CAPS][USER_CAP_LEN];
	size_t ncaps;
	char kind[USER_CAP_LEN];  /* $K */
	char msg[USER_CAP_LEN];	  /* $M */
	char place[USER_CAP_LEN]; /* the source file, when no frame names a function */
	char hdr_func[SYM_LEN];
	char frames[USER_MAX_FRAMES][SYM_LEN];
	size_t nframes;
	bool frames_closed, want_msg, rust;
	struct classify_excerpt excerpt;
};

/* ---- Frames ---- */

/* "#3 0x55d4c3 in ks_eval_field /src/x.c:12:5", "#1 0x7f.. in ns::f(int) (/lib/x.so+0x12)",
 * TSan's "#0 ks_reload /src/x.c:6:42 (x+0xd0264)" */
static bool parse_sanitizer_frame(const char *body, char name[SYM_LEN])
{
	if (body[0] != '#' || !classify_match_text("#%d ", body, NULL))
		return false;
	const char *t = strchr(body, ' ') + 1;
	/* an address: only "0x... in name" names a function ("0x... (/lib/x.so+0x1)" does not) */
	if (startswith(t, "0x")) {
		t = strstr(t, " in ");
		if (!t)
			return false;
		t += 4;
	}
	size_t n = strcspn(t, " (");
	if (n == 0)
		return false;
	snprintf(name, SYM_LEN, "%.*s", (int)(n < SYM_LEN ? n : SYM_LEN - 1), t);
	return true;
}

/* Rust's "  6: x::eval_field" (the "at src/x.rs:3:5" lines are not frames) */
static bool parse_rust_frame(const char *body, char name[SYM_LEN])
{
	if (!classify_match_text("%d: %R", body, NULL))
		return false;
	const char *t = strchr(body, ':') + 1;
	while (classify_is_blank(*t))
		t++;
	snprintf(name, SYM_LEN, "%s", t);
	return *name != '\0';
}

/* glibc's backtrace_symbols_fd(): "./ks-sensor(ks_eval_field+0xc)[0x55a19783f225]" */
static bool parse_backtrace_symbol(const char *body, char name[SYM_LEN])
{
	const char *open = strchr(body, '(');
	const char *space = strchr(body, ' ');
	if (!open || (space && space < open))
		return false;
	const char *plus = strchr(open, '+'), *close = strchr(open, ')');
	if (!plus || !close || plus > close || close[1] != '[' || plus == open + 1)
		return false;
	size_t n = plus - open - 1;
	snprintf(name, SYM_LEN, "%.*s", (int)(n < SYM_LEN ? n : SYM_LEN - 1), open + 1);
	return true;
}

static bool user_skipped(const char *name)
{
	return classify_name_match_any(classify_user_skip, classify_user_skip_n, name);
}

/* A function's name as the title gives it: C++ without its arguments; Rust without its crate
 * path and hash ("x::Parser::eval_field::h0123456789abcdef" -> "eval_field"). */
static void title_function(const char *name, bool rust, char out[SYM_LEN])
{
	char buf[SYM_LEN];
	snprintf(buf, sizeof(buf), "%s", name);
	if (rust) {
		/* "::h0123456789abcdef": the symbol's hash */
		size_t n = strlen(buf);
		if (n > 20 && buf[n - 17] == 'h' && buf[n - 18] == ':' && buf[n - 19] == ':' &&
		    strspn(buf + n - 16, "0123456789abcdef") == 16)
			buf[n - 19] = '\0';
		const char *last = buf;
		int depth = 0;
		for (const char *p = buf; *p; p++) {
			if (*p == '<')
				depth++;
			else if (*p == '>')
				depth--;
			else if (depth == 0 && p[0] == ':' && p[1] == ':')
				last = p + 2;
		}
		snprintf(out, SYM_LEN, "%s", last);
		return;
	}
	buf[strcspn(buf, "(")] = '\0';
	snprintf(out, SYM_LEN, "%s", buf);
}

static void add_frame(struct user_reader *u, const char *name)
{
	if (u->nframes < USER_MAX_FRAMES)
		snprintf(u->frames[u->nframes++], SYM_LEN, "%s", name);
}

/* ---- Reading ---- */

static void report_append(struct user_reader *u, const char *line)
{
	classify_excerpt_append(&u->excerpt, line);
}

/* The signal a line reports a death by, or NULL: a shell's "Segmentation fault (core dumped)"
 * or "bash: line 1: 123 Aborted ./x", a handler's "caught signal 11". */
static const char *signal_line(const char *body)
{
	for (size_t i = 0; i < classify_signal_names_n; i++) {
		const struct classify_signal_name *s = &classify_signal_names[i];
		const char *at = strstr(body, s->text);
		if (!at)
			continue;
		const char *after = at + strlen(s->text);
		if (*after && !classify_is_blank(*after))
			continue;
		if (at == body)
			return s->name;
		/* "123 Segmentation fault": a shell's job report */
		const char *p = at;
		while (p > body && classify_is_blank(p[-1]))
			p--;
		if (p < at && p > body && isdigit((unsigned char)p[-1]))
			return s->name;
		if (at - body >= 2 && at[-1] == ' ' && at[-2] == ':')
			return s->name;
	}
	static const char *const caught[] = {"caught signal %d", "Caught signal %d",
					     "received signal %d", "Received signal %d"};
	for (const char *p = body; (p = strpbrk(p, "cCrR")); p++)
		for (size_t k = 0; k < ARRAY_SIZE(caught); k++) {
			if (!classify_match_text(caught[k], p, NULL))
				continue;
			int signo = atoi(p + strcspn(p, "0123456789"));
			for (size_t i = 0; i < classify_signal_names_n; i++)
				if (classify_signal_names[i].signo == signo)
					return classify_signal_names[i].name;
		}
	return NULL;
}

/* "ub.c" from "src/ub.c:12:5" */
static void set_place(struct user_reader *u, const char *loc, size_t n)
{
	char buf[USER_CAP_LEN];
	snprintf(buf, sizeof(buf), "%.*s", (int)(n < sizeof(buf) ? n : sizeof(buf) - 1), loc);
	buf[strcspn(buf, ":")] = '\0';
	const char *base = strrchr(buf, '/');
	snprintf(u->place, sizeof(u->place), "%s", base ? base + 1 : buf);
}

/* The message's gist: before its first ": " (details), numbers scrubbed. */
static void set_message(struct user_reader *u, const char *m, size_t n)
{
	char buf[USER_CAP_LEN];
	snprintf(buf, sizeof(buf), "%.*s", (int)(n < sizeof(buf) ? n : sizeof(buf) - 1), m);
	char *colon = strstr(buf, ": ");
	if (colon)
		*colon = '\0';
	classify_scrub(buf, u->msg, sizeof(u->msg));
}

static void ubsan_check(struct user_reader *u, const char *msg)
{
	for (size_t i = 0; i < classify_ubsan_checks_n; i++)
		if (classify_match_text(classify_ubsan_checks[i].match, msg, NULL)) {
			snprintf(u->kind, sizeof(u->kind), "%s", classify_ubsan_checks[i].name);
			return;
		}
	set_message(u, msg, strlen(msg));
	snprintf(u->kind, sizeof(u->kind), "%s", u->msg);
}

static void start_report(struct user_reader *u, const struct classify_user_pattern *p,
			 const struct classify_match *m, const char *line, const char *body)
{
	u->state = US_REPORT;
	u->pat = p;
	u->header_line = u->lineno + 1;
	u->rust = p->kind == CLASSIFY_USER_RUST || p->kind == CLASSIFY_USER_RUST_OLD;
	for (size_t i = 0; i < m->n && i < MAX_CAPS; i++) {
		size_t n = m->cap_len[i] < USER_CAP_LEN - 1 ? m->cap_len[i] : USER_CAP_LEN - 1;
		memcpy(u->caps[i], m->cap[i], n);
		u->caps[i][n] = '\0';
		u->ncaps = i + 1;
		if (m->cap_is_func[i] && !u->hdr_func[0])
			snprintf(u->hdr_func, SYM_LEN, "%s", u->caps[i]);
	}
	const char *last = u->ncaps ? u->caps[u->ncaps - 1] : "";
	switch (p->kind) {
	case CLASSIFY_USER_SANITIZER:
		/* "attempting double-free on 0x...": the kind is the next word */
		/* "heap-buffer-overflow on address ...": the first word, when the rest of the line
		 * was captured; TSan's "data race (pid=1)" is exact */
		snprintf(
		    u->kind, sizeof(u->kind), "%.*s",
		    (int)(strstr(p->match, "%R") ? strcspn(u->caps[0], " ") : strlen(u->caps[0])),
		    u->caps[0]);
		if (streq(u->kind, "attempting")) {
			const char *w = strstr(body, "attempting ") + 11;
			snprintf(u->kind, sizeof(u->kind), "%.*s", (int)strcspn(w, " "), w);
		}
		break;
	case CLASSIFY_USER_UBSAN:
		set_place(u, u->caps[0], strlen(u->caps[0]));
		ubsan_check(u, last);
		break;
	case CLASSIFY_USER_RUST: {
		/* "x.rs:3:52:" (after "(123) " in 1.88+); the message is the next line */
		set_place(u, last, strlen(last));
		u->want_msg = true;
		break;
	}
	case CLASSIFY_USER_RUST_OLD: {
		const char *end = strstr(last, "', ");
		const char *q = last;
		for (const char *t = end; t; t = strstr(t + 1, "', "))
			end = t;
		set_message(u, q, end ? (size_t)(end - q) : strlen(q));
		if (end)
			set_place(u, end + 3, strlen(end + 3));
		break;
	}
	case CLASSIFY_USER_ABORT:
	case CLASSIFY_USER_ASSERT:
		break;
	}
	report_append(u, line);
	if (p->kind == CLASSIFY_USER_ASSERT)
		u->state = US_DONE;
}

static void start_signal(struct user_reader *u, const char *signal, const char *line)
{
	u->state = US_REPORT;
	u->signal = signal;
	u->header_line = u->lineno + 1;
	report_append(u, line);
}

/* Frames of the first stack only: a sanitizer's "freed by" and "allocated by" stacks, and the
 * lines after a blank one, belong to other stories. */
static void report_frames(struct user_reader *u, const char *body)
{
	char name[SYM_LEN];
	if (u->frames_closed)
		return;
	bool frame = parse_sanitizer_frame(body, name) ||
		     (u->rust && parse_rust_frame(body, name)) ||
		     parse_backtrace_symbol(body, name);
	if (frame) {
		add_frame(u, name);
		if (!u->frames_at)
			u->frames_at = u->report_lines;
		return;
	}
	if (u->nframes > 0 && !u->rust && !startswith(body, "at "))
		u->frames_closed = true;
}

static void report_line(struct user_reader *u, const char *line, const char *body)
{
	u->report_lines++;
	report_append(u, line);
	if (u->want_msg && *body) {
		set_message(u, body, strlen(body));
		u->want_msg = false;
		return;
	}
	if (startswith(body, "SUMMARY: ")) {
		/* "SUMMARY: AddressSanitizer: double-free ...": the tool's own name for the kind */
		const char *k = strstr(body, "Sanitizer: ");
		if (k && u->pat && u->pat->kind == CLASSIFY_USER_SANITIZER && !isdigit(k[11]))
			snprintf(u->kind, sizeof(u->kind), "%.*s", (int)strcspn(k + 11, " "),
				 k + 11);
		u->state = US_DONE;
		return;
	}
	report_frames(u, body);
	bool tail = !u->pat || u->pat->kind == CLASSIFY_USER_ABORT;
	if ((tail && u->report_lines >= USER_TAIL_LINES) ||
	    u->report_lines >= USER_REPORT_MAX_LINES || (u->rust && startswith(body, "note: ")) ||
	    (u->pat && u->pat->kind == CLASSIFY_USER_UBSAN &&
	     (u->frames_closed || (!u->nframes && u->report_lines >= 8))) ||
	    (!*body && u->nframes > 0 && !tail && !u->rust))
		u->state = US_DONE;
}

static void process_line(struct user_reader *u, const char *line)
{
	const char *body = line;
	while (classify_is_blank(*body))
		body++;
	/* the sanitizers' "==1234==" */
	if (body[0] == '=' && body[1] == '=' && classify_match_text("==%d==", body, NULL))
		body = strstr(body + 2, "==") + 2;
	if (u->state == US_REPORT) {
		report_line(u, line, body);
		return;
	}
	struct classify_match m;
	for (size_t i = 0; i < classify_user_patterns_n; i++)
		if (classify_match_text(classify_user_patterns[i].match, body, &m)) {
			start_report(u, &classify_user_patterns[i], &m, line, body);
			return;
		}
	const char *sig = signal_line(body);
	if (sig)
		start_signal(u, sig, line);
}

/* ---- Title ---- */

static bool guilty(const struct user_reader *u, char out[SYM_LEN])
{
	if (u->hdr_func[0]) {
		snprintf(out, SYM_LEN, "%s", u->hdr_func);
		return true;
	}
	for (size_t i = 0; i < u->nframes; i++) {
		char name[SYM_LEN];
		title_function(u->frames[i], u->rust, name);
		if (user_skipped(u->frames[i]) || user_skipped(name) || !name[0])
			continue;
		snprintf(out, SYM_LEN, "%s", name);
		return true;
	}
	if (u->place[0]) {
		snprintf(out, SYM_LEN, "%.*s", SYM_LEN - 1, u->place);
		return true;
	}
	return false;
}

static char *build_title(const struct user_reader *u)
{
	char func[SYM_LEN];
	bool found = guilty(u, func);
	if (!u->pat)
		return found ? xasprintf("%s in %s", u->signal, func) : xstrdup(u->signal);
	char buf[512];
	size_t o = 0;
	for (const char *t = u->pat->title; *t && o + 1 < sizeof(buf);) {
		const char *val = NULL;
		char clean[USER_CAP_LEN];
		if (!found && startswith(t, " in $F")) {
			t += 6;
			continue;
		}
		if (t[0] == '$' && t[1] == 'F')
			val = func;
		else if (t[0] == '$' && t[1] == 'K')
			val = u->kind;
		else if (t[0] == '$' && t[1] == 'M')
			val = u->msg;
		else if (t[0] == '$' && t[1] >= '1' && t[1] <= '4') {
			size_t i = t[1] - '1';
			classify_scrub(i < u->ncaps ? u->caps[i] : "", clean, sizeof(clean));
			val = clean;
		}
		if (!val) {
			buf[o++] = *t++;
			continue;
		}
		o += snprintf(buf + o, sizeof(buf) - o, "%s", val);
		if (o >= sizeof(buf))
			o = sizeof(buf) - 1;
		t += 2;
	}
	buf[o] = '\0';
	return xstrdup(buf);
}

static const char *signal_short_name(int signo)
{
	for (size_t i = 0; i < classify_signal_names_n; i++)
		if (classify_signal_names[i].signo == signo)
			return classify_signal_names[i].name;
	return NULL;
}

static struct classify_result *user_finish(struct user_reader *u, int term_signal)
{
	if (u->lines.len > 0 && u->state != US_DONE)
		process_line(u, classify_lines_end(&u->lines));
	struct classify_result *r = xzalloc(sizeof(*r));
	if (u->state != US_SCAN) {
		r->verdict = CLASSIFY_CRASH;
		r->title = build_title(u);
		/* made of the log's bytes: no terminal controls, valid UTF-8 */
		guesttext_clean_str(r->title, GUESTTEXT_LINE);
		r->type = xstrdup(u->pat ? u->pat->type : "signal");
		r->first_line = u->header_line;
		r->report = classify_excerpt_text(&u->excerpt);
	} else if (term_signal > 0) {
		/* no last words: the signal alone */
		const char *name = signal_short_name(term_signal);
		r->verdict = CLASSIFY_CRASH;
		r->title = name ? xstrdup(name) : xasprintf("signal %d", term_signal);
		r->type = xstrdup("signal");
		r->report = xstrdup("");
	}
	return r;
}

static void user_feed(struct user_reader *u, const void *data, size_t size)
{
	const unsigned char *p = data;
	size_t i = 0;
	while (i < size && u->state != US_DONE) {
		bool complete;
		i += classify_lines_take(&u->lines, p + i, size - i, &complete);
		if (complete) {
			process_line(u, classify_lines_end(&u->lines));
			u->lineno++;
		}
	}
}

int classify_userspace_buffer(const void *data, size_t size, int term_signal,
			      struct classify_result **ret)
{
	struct user_reader *u = xzalloc(sizeof(*u));
	user_feed(u, data, size);
	*ret = user_finish(u, term_signal);
	free(u->excerpt.buf);
	free(u);
	return 0;
}

int classify_userspace_file(FILE *f, int term_signal, struct classify_result **ret)
{
	struct user_reader *u = xzalloc(sizeof(*u));
	char buf[64 * 1024];
	size_t n;
	while (u->state != US_DONE && (n = fread(buf, 1, sizeof(buf), f)) > 0)
		user_feed(u, buf, n);
	int r = 0;
	if (ferror(f))
		r = -EIO;
	else
		*ret = user_finish(u, term_signal);
	free(u->excerpt.buf);
	free(u);
	return r;
}

int classify_userspace_path(const char *path, int term_signal, struct classify_result **ret)
{
	_cleanup_fclose_ FILE *f = NULL;
	int r = classify_open(path, &f);
	if (r < 0)
		return r;
	return classify_userspace_file(f, term_signal, ret);
}
