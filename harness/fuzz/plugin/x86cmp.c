/* x86cmp.c — decoding an x86-64 CMP's operands (see x86cmp.h). */
#include "x86cmp.h"

#include <errno.h>
#include <stdbool.h>

struct cursor {
	const uint8_t *b;
	size_t n, i;
};

static bool take(struct cursor *c, size_t k, int64_t *ret)
{
	uint64_t v = 0;

	if (c->n - c->i < k)
		return false;
	for (size_t j = 0; j < k; j++)
		v |= (uint64_t)c->b[c->i + j] << (8 * j);
	c->i += k;
	/* sign-extended: displacements and immediates are signed */
	if (k < 8 && (v >> (8 * k - 1)) & 1)
		v |= ~0ull << (8 * k);
	*ret = (int64_t)v;
	return true;
}

static struct x86cmp_operand reg_operand(unsigned reg, unsigned width, bool rex)
{
	struct x86cmp_operand o = {.kind = X86CMP_REG, .reg = (uint8_t)reg};

	/* without REX, byte registers 4-7 are AH, CH, DH, BH */
	if (width == 1 && !rex && reg >= 4 && reg < 8) {
		o.reg = (uint8_t)(reg - 4);
		o.shift = 8;
	}
	return o;
}

/* The ModRM byte (and SIB, displacement) at c: *rm the r/m operand, *reg the reg field. */
static bool modrm(struct cursor *c, unsigned rex, unsigned width, struct x86cmp_operand *rm,
		  unsigned *reg)
{
	int64_t disp = 0;
	unsigned m, mod, r;

	if (c->i >= c->n)
		return false;
	m = c->b[c->i++];
	mod = m >> 6;
	*reg = ((m >> 3) & 7) | (rex & 4 ? 8 : 0);
	r = m & 7;
	if (mod == 3) {
		*rm = reg_operand(r | (rex & 1 ? 8 : 0), width, rex != 0);
		return true;
	}
	*rm = (struct x86cmp_operand){
	    .kind = X86CMP_MEM, .base = X86CMP_NONE, .index = X86CMP_NONE, .scale = 1};
	if (r == 4) { /* SIB */
		unsigned sib, index, base;

		if (c->i >= c->n)
			return false;
		sib = c->b[c->i++];
		index = ((sib >> 3) & 7) | (rex & 2 ? 8 : 0);
		base = sib & 7;
		rm->scale = (uint8_t)(1u << (sib >> 6));
		if (index != 4)
			rm->index = (uint8_t)index;
		if (base == 5 && mod == 0) {
			if (!take(c, 4, &disp))
				return false;
		} else {
			rm->base = (uint8_t)(base | (rex & 1 ? 8 : 0));
		}
	} else if (r == 5 && mod == 0) {
		rm->base = X86CMP_RIP;
		if (!take(c, 4, &disp))
			return false;
	} else {
		rm->base = (uint8_t)(r | (rex & 1 ? 8 : 0));
	}
	if ((mod == 1 && !take(c, 1, &rm->value)) || (mod == 2 && !take(c, 4, &rm->value)))
		return false;
	rm->value += disp;
	return true;
}

int x86cmp_decode(const uint8_t *b, size_t n, struct x86cmp *ret)
{
	struct cursor c = {b, n, 0};
	struct x86cmp x = {0};
	bool opsize = false;
	unsigned rex = 0, op, reg, w, immw;
	int64_t imm;

	for (; c.i < n; c.i++) {
		uint8_t p = b[c.i];
		if (p == 0x66)
			opsize = true;
		else if (p == 0x64 || p == 0x65 || p == 0x67)
			return -EINVAL; /* FS/GS base, 32-bit addresses: not decoded */
		else if (p != 0x2e && p != 0x3e && p != 0x26 && p != 0x36 && p != 0xf0 &&
			 p != 0xf2 && p != 0xf3)
			break;
	}
	if (c.i < n && (b[c.i] & 0xf0) == 0x40)
		rex = (b[c.i++] & 0x0fu) | 0x10u; /* 0x10: a REX was there, even 0x40 */
	if (c.i >= n)
		return -EINVAL;
	op = b[c.i++];
	w = rex & 8 ? 8 : opsize ? 2 : 4;
	switch (op) {
	case 0x38:
	case 0x39:
	case 0x3a:
	case 0x3b:
		x.width = (uint8_t)(op & 1 ? w : 1);
		if (!modrm(&c, rex, x.width, &x.op[0], &reg))
			return -EINVAL;
		x.op[1] = reg_operand(reg, x.width, rex != 0);
		if (op >= 0x3a) { /* CMP reg, r/m */
			struct x86cmp_operand t = x.op[0];
			x.op[0] = x.op[1];
			x.op[1] = t;
		}
		break;
	case 0x3c:
	case 0x3d:
		x.width = (uint8_t)(op == 0x3c ? 1 : w);
		immw = x.width == 1 ? 1 : x.width == 2 ? 2 : 4;
		if (!take(&c, immw, &imm))
			return -EINVAL;
		x.op[0] = reg_operand(0, x.width, rex != 0);
		x.op[1] = (struct x86cmp_operand){.kind = X86CMP_IMM, .value = imm};
		break;
	case 0x80:
	case 0x81:
	case 0x83:
		x.width = (uint8_t)(op == 0x80 ? 1 : w);
		if (!modrm(&c, rex, x.width, &x.op[0], &reg) || (reg & 7) != 7)
			return -EINVAL;
		immw = op != 0x81 ? 1 : x.width == 2 ? 2 : 4;
		if (!take(&c, immw, &imm))
			return -EINVAL;
		x.op[1] = (struct x86cmp_operand){.kind = X86CMP_IMM, .value = imm};
		break;
	default:
		return -EINVAL;
	}
	if (c.i != n)
		return -EINVAL; /* not one whole instruction */
	*ret = x;
	return 0;
}
