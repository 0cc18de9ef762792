/* classify-frame.h — the guilty function of a kernel report (internal to classify*.c): which of
 * the report's frames names the bug, past reporting, locking, allocation, sanitizer, tracing and
 * generic helper machinery; for a spinning CPU, the frame above where its work was dispatched;
 * for a blocked task, what it waits for. The tables are in classify-patterns.c. Keeps no state.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "classify-match.h"

/* cand: candidates in report order (the lock's "at:" function, the header's function, then
 * the IP lines and stack frames); marker: index of the first candidate after an interrupt-end
 * marker ("</IRQ>", "<EOI>", "</NMI>"), n when there was none; flags: the header row's
 * CLASSIFY_PAT_* flags. Writes the name into out; false when no candidate fits. */
bool classify_guilty(const struct classify_frame *const *cand, size_t n, size_t marker,
		     unsigned flags, char out[SYM_LEN]);

/* Never the culprit: the exact/prefix list for every frame, the broad one outside modules. */
bool classify_frame_skipped(const struct classify_frame *f);
