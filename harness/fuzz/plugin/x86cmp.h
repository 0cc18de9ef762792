/* x86cmp.h — the operands of an x86-64 CMP instruction, decoded from its bytes: what the coverage
 * plugin (flcov.c) reads at run time to log a comparison's two values.
 *
 * The forms: 38/39/3A/3B /r (register or memory against a register), 3C/3D (AL/eAX against an
 * immediate), 80/81/83 /7 (register or memory against an immediate); 8, 16, 32 or 64 bits
 * (66 and REX.W prefixes). Memory operands are described (base, index, scale, displacement,
 * RIP-relative), not read. Not decoded (-EINVAL): anything else, and CMP with an FS/GS segment
 * (the base is not a general register) or a 32-bit address size (67).
 *
 * The bytes are the guest's, so anything at all: the decoder is unit-tested (tests/test-x86cmp.c)
 * and fuzzed (tests/fuzz/fuzz-x86cmp.c). It uses nothing but the bytes (the plugin links only
 * libc). */
#pragma once

#include <stddef.h>
#include <stdint.h>

enum x86cmp_kind {
	X86CMP_REG, /* reg: 0-15 in encoding order (rax rcx rdx rbx rsp rbp rsi rdi r8..r15) */
	X86CMP_IMM, /* value: sign-extended to 64 bits */
	X86CMP_MEM, /* at base + index * scale + disp (RIP-relative: the next instruction + disp) */
};

#define X86CMP_NONE 0xff /* no base or no index */
#define X86CMP_RIP 0xfe	 /* base: the address of the next instruction */

struct x86cmp_operand {
	uint8_t kind;
	uint8_t reg;   /* REG */
	uint8_t shift; /* REG: 8 for AH, CH, DH, BH (the register's second byte), else 0 */
	uint8_t base, index, scale; /* MEM */
	int64_t value;		    /* IMM: the immediate; MEM: the displacement */
};

struct x86cmp {
	uint8_t width;		     /* bytes compared: 1, 2, 4 or 8 */
	struct x86cmp_operand op[2]; /* in the instruction's order (CMP computes op[0] - op[1]) */
};

/* Decode the n bytes of one instruction. Returns 0 when they are exactly one CMP of the forms
 * above, else -EINVAL. */
int x86cmp_decode(const uint8_t *b, size_t n, struct x86cmp *ret);
