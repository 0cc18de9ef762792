/* kmatrix.h — the kernel matrix of a report: sensor × kernel × arch, each cell the worst verdict
 * of its cases and the distinct crash signatures seen there. It answers "on which kernels does
 * this update take the machine down". Built only when records name a kernel (guest: kernel:
 * or matrix:, record "kernel_name"); a matrix cell's sensor (SENSOR@KERNEL) counts as SENSOR.
 *
 * Ownership: kmatrix_build() borrows the runs' records (strings point into them) and returns a
 * matrix freed by kmatrix_free() (accepts NULL), before the runs. */
#pragma once

#include <stddef.h>
#include <stdio.h>

#include "rundir.h"
#include "verdict.h"

struct kmatrix_cell {
	size_t n;	     /* cases; 0: the sensor never ran on this kernel */
	enum verdict worst;  /* verdict.h order: the lowest value present, except that a seed
			      * accepted as it is ranks below a rejection (kmatrix.c) */
	int rank;	     /* worst's rank (kmatrix.c) */
	const char **titles; /* distinct signatures (crash, hang, ...), first seen first */
	size_t n_titles;
};

struct kmatrix {
	char **sensors; /* by first appearance */
	size_t n_sensors;
	char **columns; /* "KERNEL/ARCH", KERNEL the kernel_name, by first appearance */
	size_t n_columns;
	struct kmatrix_cell *cells; /* [sensor * n_columns + column] */
};

/* NULL in *ret when no record names a kernel (no table to show). */
void kmatrix_build(struct rundir *const *runs, size_t n_runs, struct kmatrix **ret);
struct kmatrix *kmatrix_free(struct kmatrix *m);
const struct kmatrix_cell *kmatrix_cell(const struct kmatrix *m, size_t sensor, size_t column);

/* The table in Markdown and in HTML (the caller's page wraps it). */
void kmatrix_markdown(FILE *f, const struct kmatrix *m);
void kmatrix_html(FILE *f, const struct kmatrix *m);
