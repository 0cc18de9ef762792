/* fuzz-x86cmp.c — libFuzzer target for the coverage plugin's CMP decoder
 * (harness/fuzz/plugin/x86cmp.h): the bytes of a guest's instruction, anything at all. Must never
 * crash, hang or read past them; what it decodes must be in bounds (widths, registers, scales). */
#include <stdlib.h>

#include "x86cmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct x86cmp_operand *o, unsigned width)
{
	if (o->kind == X86CMP_REG && (o->reg > 15 || (o->shift && (o->reg > 3 || width != 1))))
		abort();
	if (o->kind == X86CMP_MEM &&
	    ((o->base > 15 && o->base != X86CMP_NONE && o->base != X86CMP_RIP) ||
	     (o->index > 15 && o->index != X86CMP_NONE) || o->index == 4 ||
	     (o->scale != 1 && o->scale != 2 && o->scale != 4 && o->scale != 8)))
		abort();
	if (o->kind > X86CMP_MEM)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct x86cmp x;

	if (x86cmp_decode(data, size, &x) == 0) {
		if (x.width != 1 && x.width != 2 && x.width != 4 && x.width != 8)
			abort();
		/* one operand is a register or an immediate: x86 has no memory-memory CMP */
		if (x.op[0].kind == X86CMP_MEM && x.op[1].kind == X86CMP_MEM)
			abort();
		check(&x.op[0], x.width);
		check(&x.op[1], x.width);
	}
	return 0;
}
