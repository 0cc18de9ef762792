/* palette.h — how the reports show a verdict (base/verdict.h), and the one category of their own
 * that is not a verdict, the silent acceptance: a CSS name, a symbol that is not colour, words
 * for one and many, a legend, and colours. Every solid swatch carries its ink at a contrast of at
 * least 4.5:1 (WCAG AA).
 *
 * Ownership: every string here is static.
 */
#pragma once

#include "verdict.h"

struct palette_style {
	const char *css;	/* HTML class suffix and CSS variable name */
	const char *symbol;	/* a cue that is not colour */
	const char *one, *many; /* "crash", "crashes" */
	const char *legend;	/* what it means, for the legend */
	const char *colour;	/* solid swatch */
	const char *tint;	/* background of a cell whose worst verdict it is */
	const char *ink;	/* text on the solid swatch (contrast of at least 4.5:1) */
};

/* The style of v; VERDICT_OTHER's for a value out of range. */
const struct palette_style *palette_verdict(enum verdict v);
/* A malformed input accepted without complaint. */
extern const struct palette_style palette_silent;
