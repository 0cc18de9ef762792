/* campaign.h — what a `faultline fuzz` campaign directory holds besides a run's records:
 * campaign.json (where the campaign is) and coverage.jsonl (one line each time its coverage
 * grew), read for the report's campaign section.
 * Ownership: campaign_load() returns a summary the caller frees with campaign_free(). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct campaign_point {
	uint64_t ms, execs, blocks, edges, corpus;
};

struct campaign {
	char *sensor;
	bool coverage;
	uint64_t execs, elapsed_ms, edges, blocks, corpus;
	size_t n_signatures, n_magic;
	struct campaign_point *points; /* in file order (time order) */
	size_t n_points;
};

/* DIR/campaign.json (and DIR/coverage.jsonl, when there). NULL when dir holds no campaign or it
 * cannot be read: a report then simply has no campaign section. */
struct campaign *campaign_load(const char *dir);
void campaign_free(struct campaign *c);
