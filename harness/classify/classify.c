/* classify.c — console log classification, see classify.h. The tables (patterns, skip lists) are in
 * classify-patterns.c, the line-level helpers (prefixes, pattern matcher, frames) in
 * classify-match.c; this file is the engine: a line splitter with a length cap and a state machine
 * that finds the first kernel report, collects its excerpt and stack frames, and builds a stable
 * title from them. */
#include "classify.h"

#include <ctype.h>
#include <fcntl.h>

#include "classify-frame.h"
#include "classify-match.h"
#include "classify-patterns.h"
#include "guesttext.h"
#include "util.h"
#include "verdict.h"

#define LINE_CAP CLASSIFY_LINE_CAP
#define REPORT_MAX_LINES 400
/* A weak header must be confirmed by report structure within this many lines. */
#define WEAK_WINDOW 40
/* Lines kept after "---[ end trace" to catch the panic that usually follows. */
#define AFTER_END_TRACE 40
#define MAX_FRAMES 96
#define CAP_LEN 160

enum state {
	ST_SCAN,
	ST_REPORT,
	ST_DONE,
};

struct classify_stream {
	struct classify_lines lines;
	/* the last "cut here" line and the line after it, for the excerpt of a report that
	 * starts right after them */
	char cut[LINE_CAP + 1], cut_msg[LINE_CAP + 1];
	long cut_line;
	long lineno; /* lines completed so far */

	enum state state;
	const struct classify_pattern *pat;
	bool confirmed;
	long header_line;
	long report_lines;
	char caller[16];     /* "T123" / "C1" of the header line, "" when none */
	bool line_stamped;   /* the current line had printk's time stamp or caller id */
	bool header_stamped; /* ... and the header line */
	char caps[MAX_CAPS][CAP_LEN];
	char header[CAP_LEN]; /* the header message, for CLASSIFY_PAT_CUT_HEADER */
	size_t ncaps;
	struct classify_frame hdr_func, at_func[2]; /* the lock taken, the lock held */
	bool have_hdr_func;
	size_t n_at_func;
	const char *access;
	struct classify_frame frames[MAX_FRAMES];
	size_t nframes;
	bool in_trace, frames_closed;
	/* "corrupted" (see report_corrupted()): a "Call Trace:"-like line was seen; another
	 * report's header came after it before the first frame */
	bool trace_announced, interleaved;
	/* the report's own stack is announced: lockdep's "stack backtrace:", or for WARN() its
	 * modules line or the "CPU: %d PID: %d" line of the task its header names (hdr_pid; -1
	 * when none) */
	bool own_stack;
	long hdr_pid;
	unsigned stack_lines; /* frame lines seen, unreliable ("? func+0x1/0x2") ones included */
	unsigned addr_frames; /* "[<addr>] func+0x.." lines seen while a weak header waits */
	size_t irq_end;	      /* frames[] index after the first "</IRQ>"-like marker */
	bool have_irq_end;
	bool kernel_ran;     /* a kernel line stamped after boot, or a boot banner, was seen */
	long mem_abort_line; /* arm64's "Mem abort info:" (1-based), 0 when not seen */
	long end_trace_at;   /* report line of "---[ end trace", 0 when not seen */
	struct classify_excerpt excerpt;
};

/* A time stamp other than "[    0.000000]": the kernel had been running. */
static bool stamp_after_boot(const char *line)
{
	const char *t = strchr(line, '[');
	for (t = t ? t + 1 : line; *t && *t != ']'; t++)
		if (*t >= '1' && *t <= '9')
			return true;
	return false;
}

/* The header row a message starts, or NULL (also for known harmless lines). Tried without the
 * transparent prefixes first, then as it is ("Oops: Machine check, sig: 7 [#1]"). */
static const struct classify_pattern *find_header(struct classify_stream *st, const char *line,
						  const char *body, struct classify_match *m)
{
	const char *hbody = classify_strip_transparent(body);
	const struct classify_pattern *p = classify_match_header(hbody, m);
	if (!p && hbody != body)
		p = classify_match_header(body, m);
	if (p && (p->flags & CLASSIFY_PAT_IGNORE))
		return NULL;
	if (p && (p->flags & CLASSIFY_PAT_REBOOT)) {
		/* "Linux version" counts only as the kernel prints it (stamped at 0.000000): user
		 * space prints /proc/version too */
		bool banner = body[0] == 'L';
		if (banner && (!st->line_stamped || stamp_after_boot(line)))
			return NULL;
		bool reboot = st->kernel_ran;
		if (banner)
			st->kernel_ran = true;
		return reboot ? p : NULL;
	}
	return p;
}

/* arm64 (arch/arm64/mm/fault.c die_kernel_fault): "Unable to handle kernel %s at virtual
 * address", "Mem abort info:", ..., then die()'s "Internal error: Oops: %x [#1]". When the
 * first line is lost (interleaved, cut), the abort decoding before the oops still says it was a
 * kernel fault on a data or instruction access: a paging request. */
#define MEM_ABORT_WINDOW 30
static const struct classify_pattern *
arm64_fault(struct classify_stream *st, const struct classify_pattern *p, struct classify_match *m)
{
	if (!st->mem_abort_line || st->lineno + 1 - st->mem_abort_line > MEM_ABORT_WINDOW ||
	    !startswith(p->match, "Internal error: "))
		return p;
	const struct classify_pattern *fault =
	    classify_match_header("Unable to handle kernel paging request", m);
	return fault ? fault : p;
}

/* ---- Report state ---- */

static void report_append(struct classify_stream *st, const char *line)
{
	classify_excerpt_append(&st->excerpt, line);
}

static void report_start(struct classify_stream *st, const struct classify_pattern *p,
			 const struct classify_match *m, const char *caller, const char *line)
{
	st->state = ST_REPORT;
	st->pat = p;
	st->confirmed = !(p->flags & CLASSIFY_PAT_WEAK);
	st->header_line = st->lineno + 1;
	st->header_stamped = st->line_stamped;
	st->report_lines = 0;
	snprintf(st->caller, sizeof(st->caller), "%s", caller);
	st->ncaps = 0;
	st->have_hdr_func = false;
	st->n_at_func = 0;
	st->access = NULL;
	st->nframes = 0;
	/* sanitizers (KMSAN, KFENCE) and lockdep's dependency chains list frames right after the
	 * header, without a "Call Trace:" line; WARN() dumps its stack with one (show_regs(),
	 * dump_stack()) */
	st->in_trace = !(p->flags & CLASSIFY_PAT_SITE);
	st->frames_closed = false;
	st->trace_announced = false;
	st->interleaved = false;
	st->own_stack = false;
	st->hdr_pid = -1;
	st->stack_lines = 0;
	st->addr_frames = 0;
	st->have_irq_end = false;
	st->end_trace_at = 0;
	classify_excerpt_reset(&st->excerpt);
	for (size_t i = 0; i < m->n && i < MAX_CAPS; i++) {
		size_t n = m->cap_len[i] < CAP_LEN - 1 ? m->cap_len[i] : CAP_LEN - 1;
		if (m->cap_is_func[i]) {
			struct classify_frame f;
			if (classify_parse_symbol(m->cap[i], false, &f)) {
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
	/* "------------[ cut here ]------------" and WARN()'s message come before the header */
	if (st->cut_line && st->header_line - st->cut_line <= 2) {
		report_append(st, st->cut);
		if (st->header_line - st->cut_line == 2)
			report_append(st, st->cut_msg);
	}
	st->cut_line = 0;
	report_append(st, line);
	char ignored[16];
	bool stamped;
	const char *msg = classify_strip_prefixes(line, ignored, &stamped);
	while (classify_is_blank(*msg))
		msg++;
	snprintf(st->header, sizeof(st->header), "%s", classify_strip_transparent(msg));
	/* __warn(): "WARNING: CPU: %d PID: %d at %pS" */
	const char *pid = strstr(st->header, " PID: ");
	if ((p->flags & CLASSIFY_PAT_SITE) && pid && isdigit((unsigned char)pid[6]))
		st->hdr_pid = strtol(pid + 6, NULL, 10);
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

static void add_frame(struct classify_stream *st, const struct classify_frame *f)
{
	/* arm names each caller twice (see classify_parse_arm_caller) */
	if (st->nframes > 0 && streq(st->frames[st->nframes - 1].name, f->name))
		return;
	if (st->nframes < MAX_FRAMES)
		st->frames[st->nframes++] = *f;
}

/* "<IRQ>", "</IRQ>", "<EOI>", "<NMI>", "<TASK>" ... before a frame or alone: the end of an
 * interrupt's frames is where a sampled CPU's own code starts. */
static const char *skip_stack_markers(struct classify_stream *st, const char *body)
{
	while (body[0] == '<' && (body[1] == '/' || isupper((unsigned char)body[1]))) {
		const char *e = strchr(body, '>');
		if (!e || e - body > 8)
			break;
		if (!st->have_irq_end && (startswith(body, "</IRQ>") || startswith(body, "<EOI>") ||
					  startswith(body, "</NMI>"))) {
			st->irq_end = st->nframes;
			st->have_irq_end = true;
		}
		body = e + 1;
		while (classify_is_blank(*body))
			body++;
	}
	return body;
}

/* A weak header waits for kernel report structure. Returns false when the line is consumed
 * (a newer header took over, or the wait ended: the header was not a kernel report). */
static bool weak_header_line(struct classify_stream *st, const struct classify_pattern *p,
			     const struct classify_match *m, const char *line, const char *body,
			     const char *caller)
{
	struct classify_frame f;
	/* the newest header wins: kernel report structure follows its own header, and a
	 * user-space "WARNING: ..." just before a kernel report must not take its place */
	if (p) {
		report_start(st, p, m, caller, line);
		return false;
	}
	if (classify_match_any(classify_confirm_markers, classify_confirm_markers_n, body)) {
		/* kernel lines carry printk's stamp or none do: an unstamped header before
		 * stamped report lines was printed by user space */
		if (st->line_stamped && !st->header_stamped) {
			st->state = ST_SCAN;
			return false;
		}
		st->confirmed = true;
	}
	/* three "[<c010523d>] dump_trace+0x63/0x1eb" lines: a kernel stack */
	else if (body[0] == '[' && body[1] == '<' && classify_parse_frame_line(body, &f) &&
		 ++st->addr_frames >= 3)
		st->confirmed = true;
	else if (st->report_lines >= WEAK_WINDOW) {
		st->state = ST_SCAN;
		return false;
	}
	return true;
}

/* What a report says besides its stack: the function named after the header, the access kind
 * of a sanitizer, where the offending lock was taken. */
static void report_details(struct classify_stream *st, const char *body)
{
	struct classify_frame f;
	/* 2.6-era WARNING: the function is alone on the line after the header; a work item's
	 * "last function: func" */
	if (st->report_lines <= 3 && !st->have_hdr_func &&
	    ((classify_parse_symbol(body, true, &f) && strstr(body, "()")) ||
	     (startswith(body, "last function: ") &&
	      classify_parse_symbol(body + 15, false, &f)))) {
		st->hdr_func = f;
		st->have_hdr_func = true;
	}
	if ((st->pat->flags & CLASSIFY_PAT_ACCESS) && !st->access && st->report_lines < 10) {
		if (startswith(body, "Read of size") || startswith(body, "Read at addr"))
			st->access = "Read";
		else if (startswith(body, "Write of size") || startswith(body, "Write at addr"))
			st->access = "Write";
	}
	/* lockdep: the lock being taken, then the one already held (when the first is taken in
	 * locking machinery) */
	if ((st->pat->flags & CLASSIFY_PAT_AT_FUNC) && st->n_at_func < 2) {
		const char *at = strstr(body, ", at: ");
		if (at && classify_parse_symbol(classify_skip_addr_brackets(at + 6), false, &f))
			st->at_func[st->n_at_func++] = f;
	}
}

/* Stack frames: the IP lines and the frames of the report's own traces. */
static void report_frames(struct classify_stream *st, const char *body)
{
	struct classify_frame f;
	if (st->frames_closed)
		return;
	if (classify_match_any(classify_trace_stop, classify_trace_stop_n, body)) {
		st->in_trace = false;
		return;
	}
	/* __warn() goes on with print_modules() ("Modules linked in:") and show_regs() or
	 * dump_stack() ("CPU: %d PID: %d Comm: ..."): either is the reporting task's */
	if (st->hdr_pid >= 0 && startswith(body, "Modules linked in:"))
		st->own_stack = true;
	if (st->hdr_pid >= 0 && startswith(body, "CPU: ")) {
		const char *pid = strstr(body, " PID: ");
		if (pid && strtol(pid + 6, NULL, 10) == st->hdr_pid)
			st->own_stack = true;
	}
	if ((st->pat->flags & CLASSIFY_PAT_BACKTRACE) && startswith(body, "stack backtrace:"))
		st->own_stack = true;
	if (classify_match_any(classify_trace_start, classify_trace_start_n, body)) {
		/* a stack before the one the report announces is another task's, printed in
		 * the middle of ours */
		if (!st->own_stack && st->nframes == 0 &&
		    (st->hdr_pid >= 0 || (st->pat->flags & CLASSIFY_PAT_BACKTRACE))) {
			st->interleaved = true;
			st->frames_closed = true;
			return;
		}
		/* a blocked task's report goes on with other tasks' and CPUs' stacks */
		if ((st->pat->flags & CLASSIFY_PAT_HUNG) && st->nframes > 0) {
			st->frames_closed = true;
			return;
		}
		st->in_trace = true;
		st->trace_announced = true;
		return;
	}
	body = skip_stack_markers(st, body);
	const char *rel = classify_skip_addr_brackets(body);
	if (rel[0] == '?' && rel[1] == ' ' && classify_parse_symbol(rel + 2, true, &f))
		st->stack_lines++;
	if (classify_parse_ip_line(body, &f)) {
		add_frame(st, &f);
		return;
	}
	/* WARN()'s stack comes after its "Call Trace:": a stack before it is another task's,
	 * printed between our header and our stack */
	if ((st->pat->flags & CLASSIFY_PAT_SITE) && !st->trace_announced && st->nframes == 0 &&
	    classify_parse_frame_line(body, &f) && !strstr(body, "()")) {
		st->interleaved = true;
		st->frames_closed = true;
		return;
	}
	/* "[<addr>] func+0x1/0x2" is a stack frame even where no "Call Trace:" announced it */
	if ((st->in_trace || (body[0] == '[' && body[1] == '<')) &&
	    classify_parse_frame_line(body, &f)) {
		add_frame(st, &f);
		/* arm: "(callee) from [<addr>] (caller+0x1/0x2)": the caller, in case the next
		 * line (which starts with it) is lost */
		if (classify_parse_arm_caller(body, &f))
			add_frame(st, &f);
	}
}

static void report_line(struct classify_stream *st, const char *line, const char *body,
			const char *caller)
{
	struct classify_match m;

	if (!caller_accepts(st, caller))
		return;

	const struct classify_pattern *p = find_header(st, line, body, &m);
	/* the unwinder's complaint while this report's stack is dumped */
	if (p && (p->flags & CLASSIFY_PAT_ASIDE) && !(st->pat->flags & CLASSIFY_PAT_ASIDE))
		p = NULL;
	if (!st->confirmed) {
		if (!weak_header_line(st, p, &m, line, body, caller))
			return;
	} else if (p && (st->pat->flags & CLASSIFY_PAT_ASIDE) && st->report_lines < WEAK_WINDOW) {
		/* the unwinder complained while dumping the report that follows */
		report_start(st, p, &m, caller, line);
		return;
	} else if (p && st->nframes > 0 && strstr(p->title, "$F")) {
		/* the next report (often the panic that ends this one): its frames are not ours;
		 * a one-line report that names no function (unregister_netdevice: waiting ...) is
		 * only interleaved */
		st->frames_closed = true;
	} else if (p && st->trace_announced && !st->frames_closed && strstr(p->title, "$F")) {
		/* another CPU's report between our "Call Trace:" and its first frame: the frames
		 * that follow may be either report's */
		st->interleaved = true;
		st->frames_closed = true;
	}

	st->report_lines++;
	report_append(st, line);

	if (classify_match_any(classify_report_end, classify_report_end_n, body)) {
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
	report_details(st, body);
	report_frames(st, body);
}

/* die()'s header (arch/x86/kernel/dumpstack.c __die_header: "%s: %04lx [#%d]", arm64's
 * "Internal error: %s: %x [#%d]") after a partial line that the console did not end: "...some
 * text without its newlinedivide error: 0000 [#1] SMP". The error code and oops counter make
 * it unmistakable wherever it starts. */
static void die_header_inside(struct classify_stream *st, const char *line, const char *msg,
			      const char *caller)
{
	const char *bracket = strstr(msg, " [#");
	if (!bracket || bracket == msg)
		return;
	for (size_t i = 0; i < classify_die_headers_n; i++) {
		const char *t = strstr(msg, classify_die_headers[i]);
		if (!t || t == msg || t > bracket)
			continue;
		struct classify_match m;
		const struct classify_pattern *p = classify_match_header(t, &m);
		if (p && !(p->flags & (CLASSIFY_PAT_WEAK | CLASSIFY_PAT_IGNORE))) {
			report_start(st, p, &m, caller, line);
			return;
		}
	}
}

/* A message that another record cut short: pr_cont() pieces ("BUG: unable to handle kernel ",
 * then "paging request at ...") lost to a message printed in between, which starts with its own
 * time stamp on the same console line. The message is the text before that stamp (into buf),
 * or body itself when there is none. */
static const char *interrupted_message(const char *body, char buf[LINE_CAP + 1])
{
	for (const char *t = *body ? strchr(body + 1, '[') : NULL; t; t = strchr(t + 1, '[')) {
		if (!classify_match_text("[ %d.%d]", t, NULL) &&
		    !classify_match_text("[%d.%d]", t, NULL))
			continue;
		size_t n = t - body;
		while (n > 0 && classify_is_blank(body[n - 1]))
			n--;
		memcpy(buf, body, n);
		buf[n] = '\0';
		return buf;
	}
	return body;
}

static void process_line(struct classify_stream *st, char *line)
{
	char caller[16];
	const char *msg = classify_strip_prefixes(line, caller, &st->line_stamped);
	const char *body = msg;
	while (classify_is_blank(*body))
		body++;
	if (!st->kernel_ran && st->line_stamped && stamp_after_boot(line))
		st->kernel_ran = true;

	if (st->state == ST_REPORT) {
		report_line(st, line, body, caller);
		return;
	}
	/* ST_SCAN */
	if (st->cut_line && st->lineno == st->cut_line) /* the line after "cut here" */
		snprintf(st->cut_msg, sizeof(st->cut_msg), "%s", line);
	if (body[0] == '-' && strstr(body, "[ cut here ]")) {
		snprintf(st->cut, sizeof(st->cut), "%s", line);
		st->cut_msg[0] = '\0';
		st->cut_line = st->lineno + 1;
	}
	if (startswith(body, "Mem abort info:"))
		st->mem_abort_line = st->lineno + 1;
	/* init/main.c: user space is starting, whatever the time stamps say */
	if (startswith(body, "Run ") && classify_match_text("Run %S as init process", body, NULL))
		st->kernel_ran = true;
	struct classify_match m;
	char head[LINE_CAP + 1];
	const struct classify_pattern *p =
	    find_header(st, line, interrupted_message(body, head), &m);
	if (p) {
		p = arm64_fault(st, p, &m);
		report_start(st, p, &m, caller, line);
		/* a reboot has no report after its banner: the next lines are the new boot's */
		if (p->flags & CLASSIFY_PAT_REBOOT)
			st->state = ST_DONE;
		return;
	}
	/* A kernel line glued to the end of user-space output that lacked a newline:
	 * "some output[   12.345678] BUG: ...". Look again from an embedded time stamp. */
	for (const char *t = *msg ? strchr(msg + 1, '[') : NULL; t; t = strchr(t + 1, '[')) {
		if (classify_match_text("[ %d.%d]", t, NULL) ||
		    classify_match_text("[%d.%d]", t, NULL)) {
			msg = classify_strip_prefixes(t, caller, &st->line_stamped);
			body = msg;
			while (classify_is_blank(*body))
				body++;
			p = find_header(st, t, body, &m);
			if (p && !(p->flags & CLASSIFY_PAT_REBOOT))
				report_start(st, p, &m, caller, t);
			return;
		}
	}
	die_header_inside(st, line, msg, caller);
}

/* ---- Line splitting ---- */

static void end_line(struct classify_stream *st)
{
	if (st->state != ST_DONE)
		process_line(st, classify_lines_end(&st->lines));
	st->lineno++;
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
	free(st->excerpt.buf);
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
	size_t i = 0;
	while (i < size && st->state != ST_DONE) {
		bool complete;
		i += classify_lines_take(&st->lines, p + i, size - i, &complete);
		if (complete)
			end_line(st);
	}
}

/* The report cannot name its function ("corrupted"): another report interleaved with it
 * between its "Call Trace:" and its first frame, or it was cut before any frame and any lock
 * site. A function named by the header stands in for the stack when the header names the
 * culprit (a sanitizer's faulting access, a fortified call), not when it names only the check
 * that fired (CLASSIFY_PAT_SITE: WARN()'s "at func+0x1/0x2"). */
static bool report_corrupted(const struct classify_stream *st)
{
	if (st->interleaved)
		return true;
	if (st->pat->flags & CLASSIFY_PAT_HDR_FUNC_ONLY)
		return false;
	if (st->nframes > 0 || st->stack_lines > 0 || st->n_at_func > 0)
		return false;
	return !st->have_hdr_func || (st->pat->flags & CLASSIFY_PAT_SITE);
}

/* The guilty function's name into out, or false when the report names none. */
static bool guilty_function(const struct classify_stream *st, char out[SYM_LEN])
{
	if (report_corrupted(st))
		return false;
	const struct classify_frame *cand[MAX_FRAMES + 3];
	size_t n = 0, marker;
	for (size_t i = 0; i < st->n_at_func; i++)
		cand[n++] = &st->at_func[i];
	if (st->have_hdr_func)
		cand[n++] = &st->hdr_func;
	marker = n + (st->have_irq_end ? st->irq_end : MAX_FRAMES + 3);
	if (!(st->pat->flags & CLASSIFY_PAT_HDR_FUNC_ONLY))
		for (size_t i = 0; i < st->nframes; i++)
			cand[n++] = &st->frames[i];
	if (marker > n)
		marker = n;
	return classify_guilty(cand, n, marker, st->pat->flags, out);
}

static char *build_title(const struct classify_stream *st)
{
	const char *tpl = st->pat->title;
	char func[SYM_LEN];
	bool found = guilty_function(st, func);
	/* the ecosystem's name for a report too cut or interleaved to name a function */
	if (!found)
		snprintf(func, sizeof(func), "corrupted");
	char buf[512];
	if (!found && (st->pat->flags & CLASSIFY_PAT_CUT_HEADER) && report_corrupted(st)) {
		classify_scrub(st->header, buf, sizeof(buf));
		return xstrdup(buf);
	}
	size_t o = 0;

	for (const char *t = tpl; *t && o + 1 < sizeof(buf);) {
		if (!found && (st->pat->flags & CLASSIFY_PAT_OWN_NAME) && startswith(t, " in $F")) {
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
			o += snprintf(buf + o, sizeof(buf) - o, "%s", func);
			t += 2;
		} else if (t[0] == '$' && t[1] >= '1' && t[1] <= '4') {
			size_t i = t[1] - '1';
			char clean[CAP_LEN], trimmed[CAP_LEN];
			const char *cap = i < st->ncaps ? st->caps[i] : "";
			if (st->pat->flags & CLASSIFY_PAT_TRIM) {
				classify_trim_tail(cap, trimmed, sizeof(trimmed));
				cap = trimmed;
			}
			classify_scrub(cap, clean, sizeof(clean));
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

int classify_stream_finish(struct classify_stream *st, struct classify_result **ret)
{
	if (st->lines.len > 0 && st->state != ST_DONE)
		end_line(st);
	struct classify_result *r = xzalloc(sizeof(*r));
	if ((st->state == ST_REPORT && st->confirmed) || st->state == ST_DONE) {
		r->verdict = st->pat->verdict;
		r->title = build_title(st);
		/* made of the console's bytes: no terminal controls, valid UTF-8 */
		guesttext_clean_str(r->title, GUESTTEXT_LINE);
		r->type = xstrdup(st->pat->type);
		r->first_line = st->header_line;
		r->report = classify_excerpt_text(&st->excerpt);
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
	_cleanup_fclose_ FILE *f = NULL;
	int r = classify_open(path, &f);
	if (r < 0)
		return r;
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
		return verdict_name(VERDICT_CRASH);
	case CLASSIFY_HANG:
		return verdict_name(VERDICT_HANG);
	}
	return "unknown";
}

/* "[    2.913706]" within the first 8 bytes of the line at p (len bytes): its ms, or -1. */
static int64_t line_stamp_ms(const char *p, size_t len)
{
	const char *b = memchr(p, '[', len < 8 ? len : 8), *end = p + len;
	uint64_t sec = 0, usec = 0;
	int digits = 0;

	if (!b)
		return -1;
	for (b++; b < end && *b == ' '; b++)
		;
	for (; b < end && *b >= '0' && *b <= '9' && digits < 12; b++, digits++)
		sec = sec * 10 + (uint64_t)(*b - '0');
	if (!digits || b >= end || *b != '.')
		return -1;
	digits = 0;
	for (b++; b < end && *b >= '0' && *b <= '9' && digits < 6; b++, digits++)
		usec = usec * 10 + (uint64_t)(*b - '0');
	if (!digits || b >= end || *b != ']')
		return -1;
	for (; digits < 6; digits++)
		usec *= 10;
	return (int64_t)(sec * 1000 + usec / 1000);
}

int64_t classify_uptime_ms(const void *data, size_t size, long line)
{
	const char *p = data, *end = p + size;
	int64_t last = -1;

	for (long i = 1; i <= line && p < end; i++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		int64_t ms = line_stamp_ms(p, len);

		if (ms >= 0)
			last = ms;
		p = nl ? nl + 1 : end;
	}
	return last;
}
