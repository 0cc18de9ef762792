/* cmplog.h — comparison operands at run time, for input-to-state replacements
 * (`faultline fuzz --cmplog PROG`).
 *
 * PROG is a host build of the sensor's parser, compiled with -fsanitize-coverage=trace-cmp and
 * linked with cmplog-rt.c (guests/sensors/kref/kref-cmplog is one): `PROG FILE` parses FILE and
 * prints one line per comparison made, "SITE WIDTH A B" in hex (SITE identifies the comparison in
 * the program, WIDTH is 1, 2, 4 or 8 bytes), then "end STATUS" (0, or 0x100 + the signal when
 * the program crashed). Only a sensor whose source is at hand can be traced this way.
 *
 * `--cmplog emulator`: the same records from the guest itself, for a module whose source is not
 * at hand: the coverage plugin logs the operands of the sensor's CMPs as they run into the
 * coverage file (covfile.h's ring; fuzz_cmplog_from_covfile), on a QEMU whose plugin API reads
 * registers (9.0 and later; QEMU 7.2's reads none).
 *
 * The replacements: where one operand's bytes occur in the input (its width, or the smallest that
 * holds both operands; little- and big-endian), the other operand's bytes; the last comparisons
 * first, and none for a pattern found in more than four places.
 *
 * Ownership: a fuzz_cmplog owns its records (fuzz_cmplog_finish).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "covfile.h"

struct fuzz_cmp {
	uint32_t site;
	uint8_t width;
	uint64_t a, b;
};

struct fuzz_cmplog {
	struct fuzz_cmp *v;
	size_t n;
	bool crashed; /* the host build crashed on the input */
};

struct fuzz_i2s {
	size_t offset;
	uint8_t width;
	uint8_t bytes[8];
};

/* Run prog on data (through a temporary file). Returns 0, or -errno (the program could not be
 * run, or printed no "end" line). */
int fuzz_cmplog_run(const char *prog, const uint8_t *data, size_t size, struct fuzz_cmplog *ret);
void fuzz_cmplog_finish(struct fuzz_cmplog *l);

/* The comparisons the emulator logged in a coverage file's ring, oldest first (records of
 * another width are skipped: the file is another process's). */
void fuzz_cmplog_from_covfile(const struct covfile_view *v, struct fuzz_cmplog *ret);

/* Parse a program's output (for tests). Returns 0 or -EINVAL. */
int fuzz_cmplog_parse(const char *text, struct fuzz_cmplog *ret);

/* The input-to-state replacements of l's comparisons in data, at most max, into out. */
size_t fuzz_cmplog_candidates(const struct fuzz_cmplog *l, const uint8_t *data, size_t size,
			      struct fuzz_i2s *out, size_t max);

/* How many of b's comparison sites a lacks. */
size_t fuzz_cmplog_new_sites(const struct fuzz_cmplog *a, const struct fuzz_cmplog *b);
