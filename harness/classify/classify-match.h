/* classify-match.h — line-level helpers of the console classifier (internal to classify*.c):
 * stripping logger prefixes, the anchored pattern matcher of classify-patterns.h, stack frame
 * parsing, the skip list and scrubbing of free text. All functions work on one NUL-terminated
 * line and keep no state. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "classify-patterns.h"

#define SYM_LEN 128
/* printk never emits more than 1024 bytes per record: longer lines are not kernel output (and
 * no report line of user space is longer either). */
#define CLASSIFY_LINE_CAP 1024

/* A line splitter with a length cap: ANSI colour sequences and carriage returns dropped,
 * control characters and NULs made blanks. Embedded by its owner, zero-initialised. */
struct classify_lines {
	char line[CLASSIFY_LINE_CAP + 1];
	size_t len;
	int in_escape; /* 1 after ESC, 2 inside "ESC [" */
};

/* Consumes data up to and including the first newline (all of it when there is none) and
 * returns the bytes consumed; *ret_complete tells whether a line ended (then call
 * classify_lines_end()). Past the cap the rest of a line is dropped. */
size_t classify_lines_take(struct classify_lines *l, const unsigned char *p, size_t size,
			   bool *ret_complete);
/* The completed line (NUL-terminated, valid until the next take) and a fresh start. */
char *classify_lines_end(struct classify_lines *l);
#define MAX_CAPS 4

struct classify_frame {
	char name[SYM_LEN]; /* without offset and compiler suffixes (.isra.0, .cold) */
	bool module;	    /* followed by "[module]" */
};

struct classify_match {
	const char *cap[MAX_CAPS];
	size_t cap_len[MAX_CAPS];
	bool cap_is_func[MAX_CAPS];
	size_t n;
	/* Backtracking budget: nested '*' / %C on a hostile 1 KiB line would otherwise cost
	 * O(n^2) per pattern. Real headers need a few hundred steps. */
	unsigned steps;
};

#define MATCH_STEPS 4096

bool classify_is_blank(char c);
/* Match pattern (classify-patterns.h language) at the start of s; m may be NULL. */
bool classify_match_text(const char *pattern, const char *s, struct classify_match *m);
bool classify_match_any(const char *const *list, size_t n, const char *s);
/* The first row of classify_patterns[] that matches body, or NULL. */
const struct classify_pattern *classify_match_header(const char *body, struct classify_match *m);
/* The message without time stamp, caller id, syslog and logger prefixes; caller gets the caller
 * id ("T123", "C1") or "", *ret_stamped whether printk's time stamp or caller id was there.
 * Returns a pointer into s. */
const char *classify_strip_prefixes(const char *s, char caller[16], bool *ret_stamped);
/* body without "watchdog: ", "rcu: ", ... (classify_transparent_prefixes). */
const char *classify_strip_transparent(const char *body);
/* "name+0x1a/0x40 [module]" at s; need_offset: the "+0x" part is required. */
bool classify_parse_symbol(const char *s, bool need_offset, struct classify_frame *f);
/* s past "[<ffffffff81234567>] "-style address brackets. */
const char *classify_skip_addr_brackets(const char *s);
/* "RIP: 0010:func+0x1/0x2", "pc : func+...", ...: the faulting function. */
bool classify_parse_ip_line(const char *body, struct classify_frame *f);
/* " func+0x1/0x2 [mod]" in a call trace (not "? func": unreliable frames are refused). */
bool classify_parse_frame_line(const char *body, struct classify_frame *f);
/* arm's "(callee) from [<addr>] (caller+0x1/0x2)": the caller. */
bool classify_parse_arm_caller(const char *body, struct classify_frame *f);
bool classify_skipped_function(const char *name);
/* pat (classify_skip_substrings syntax: a substring, "^" anchors at the start, "$" at the end)
 * matches the function name. */
bool classify_name_match(const char *pat, const char *name);
bool classify_name_match_any(const char *const *list, size_t n, const char *name);
/* A report's text, capped: lines past the cap are dropped. Embedded zero-initialised; the
 * owner frees buf. */
#define CLASSIFY_EXCERPT_MAX (64 * 1024)
struct classify_excerpt {
	char *buf;
	size_t len;
};
void classify_excerpt_append(struct classify_excerpt *e, const char *line);
void classify_excerpt_reset(struct classify_excerpt *e);
/* The excerpt as guest text made safe (guesttext.h), for the result (the caller frees it). */
char *classify_excerpt_text(const struct classify_excerpt *e);

/* Open a log for reading: a regular file or a pipe, not a folder. Returns 0 or -errno. */
int classify_open(const char *path, FILE **ret);

/* A message without its variable tail (CLASSIFY_PAT_TRIM), into out: cut before the first
 * numbered token ("ptm0", "-22", "exitcode=0x0b") past the first CLASSIFY_TRIM_MIN_WORDS words,
 * then without the words that only introduced it ("for", "(error"). Unchanged when nothing
 * variable follows those words. */
#define CLASSIFY_TRIM_MIN_WORDS 3
void classify_trim_tail(const char *in, char *out, size_t size);
/* Free text without what changes from run to run (addresses, numbers, offsets), into out. */
void classify_scrub(const char *in, char *out, size_t size);
