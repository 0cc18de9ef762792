/* test-x86cmp.c — the coverage plugin's CMP decoder (harness/fuzz/plugin/x86cmp.h), on the forms
 * the kref module's compiled parser uses (objdump of kref.ko) and on bytes that are not one CMP. */
#include <check.h>
#include <errno.h>
#include <stdint.h>

#include "testlib.h"
#include "x86cmp.h"

#define DECODE(x, ...)                                                                             \
	({                                                                                         \
		static const uint8_t b_[] = {__VA_ARGS__};                                         \
		x86cmp_decode(b_, sizeof(b_), (x));                                                \
	})

static void reg(const struct x86cmp_operand *o, unsigned r, unsigned shift)
{
	ck_assert_uint_eq(o->kind, X86CMP_REG);
	ck_assert_uint_eq(o->reg, r);
	ck_assert_uint_eq(o->shift, shift);
}

static void mem(const struct x86cmp_operand *o, unsigned base, unsigned index, unsigned scale,
		int64_t disp)
{
	ck_assert_uint_eq(o->kind, X86CMP_MEM);
	ck_assert_uint_eq(o->base, base);
	ck_assert_uint_eq(o->index, index);
	ck_assert_uint_eq(o->scale, scale);
	ck_assert_int_eq(o->value, disp);
}

static void imm(const struct x86cmp_operand *o, int64_t v)
{
	ck_assert_uint_eq(o->kind, X86CMP_IMM);
	ck_assert_int_eq(o->value, v);
}

START_TEST(test_registers)
{
	struct x86cmp x;

	/* 66 44 39 f0: cmp %r14w,%ax (kref's data check: the sum against the computed one) */
	ck_assert_int_eq(DECODE(&x, 0x66, 0x44, 0x39, 0xf0), 0);
	ck_assert_uint_eq(x.width, 2);
	reg(&x.op[0], 0, 0);
	reg(&x.op[1], 14, 0);
	/* 48 39 f7: cmp %rsi,%rdi */
	ck_assert_int_eq(DECODE(&x, 0x48, 0x39, 0xf7), 0);
	ck_assert_uint_eq(x.width, 8);
	reg(&x.op[0], 7, 0);
	reg(&x.op[1], 6, 0);
	/* 39 c8: cmp %ecx,%eax */
	ck_assert_int_eq(DECODE(&x, 0x39, 0xc8), 0);
	ck_assert_uint_eq(x.width, 4);
	reg(&x.op[0], 0, 0);
	reg(&x.op[1], 1, 0);
	/* 38 e0: cmp %ah,%al; 40 38 e0: cmp %spl,%al (any REX makes 4-7 the low bytes) */
	ck_assert_int_eq(DECODE(&x, 0x38, 0xe0), 0);
	ck_assert_uint_eq(x.width, 1);
	reg(&x.op[0], 0, 0);
	reg(&x.op[1], 0, 8);
	ck_assert_int_eq(DECODE(&x, 0x40, 0x38, 0xe0), 0);
	reg(&x.op[1], 4, 0);
	/* 3a c4: cmp %ah,%al written the other way (reg, r/m): op[0] is the reg field */
	ck_assert_int_eq(DECODE(&x, 0x3a, 0xc4), 0);
	reg(&x.op[0], 0, 0);
	reg(&x.op[1], 0, 8);
}
END_TEST

START_TEST(test_memory)
{
	struct x86cmp x;

	/* 45 3a 44 24 0e: cmp 0xe(%r12),%r8b (kref's kind check) */
	ck_assert_int_eq(DECODE(&x, 0x45, 0x3a, 0x44, 0x24, 0x0e), 0);
	ck_assert_uint_eq(x.width, 1);
	reg(&x.op[0], 8, 0);
	mem(&x.op[1], 12, X86CMP_NONE, 1, 0x0e);
	/* 44 3b 0a: cmp (%rdx),%r9d (kref's entry against a section's offset) */
	ck_assert_int_eq(DECODE(&x, 0x44, 0x3b, 0x0a), 0);
	ck_assert_uint_eq(x.width, 4);
	reg(&x.op[0], 9, 0);
	mem(&x.op[1], 2, X86CMP_NONE, 1, 0);
	/* 38 54 0d 00: cmp %dl,0x0(%rbp,%rcx,1) */
	ck_assert_int_eq(DECODE(&x, 0x38, 0x54, 0x0d, 0x00), 0);
	mem(&x.op[0], 5, 1, 1, 0);
	reg(&x.op[1], 2, 0);
	/* 3b 9c 24 60 02 00 00: cmp 0x260(%rsp),%ebx */
	ck_assert_int_eq(DECODE(&x, 0x3b, 0x9c, 0x24, 0x60, 0x02, 0x00, 0x00), 0);
	mem(&x.op[1], 4, X86CMP_NONE, 1, 0x260);
	/* 48 3b 05 f0 ff ff ff: cmp -0x10(%rip),%rax */
	ck_assert_int_eq(DECODE(&x, 0x48, 0x3b, 0x05, 0xf0, 0xff, 0xff, 0xff), 0);
	mem(&x.op[1], X86CMP_RIP, X86CMP_NONE, 1, -0x10);
	/* 3b 04 8d 10 00 00 00: cmp 0x10(,%rcx,4),%eax (no base); 43 3b 04 c8: (%r8,%r9,8) */
	ck_assert_int_eq(DECODE(&x, 0x3b, 0x04, 0x8d, 0x10, 0x00, 0x00, 0x00), 0);
	mem(&x.op[1], X86CMP_NONE, 1, 4, 0x10);
	ck_assert_int_eq(DECODE(&x, 0x43, 0x3b, 0x04, 0xc8), 0);
	mem(&x.op[1], 8, 9, 8, 0);
	/* 41 3b 45 00: cmp 0(%r13),%eax: r13 as a base takes a displacement, it is not RIP */
	ck_assert_int_eq(DECODE(&x, 0x41, 0x3b, 0x45, 0x00), 0);
	mem(&x.op[1], 13, X86CMP_NONE, 1, 0);
}
END_TEST

START_TEST(test_immediates)
{
	struct x86cmp x;

	/* 3c 01: cmp $0x1,%al */
	ck_assert_int_eq(DECODE(&x, 0x3c, 0x01), 0);
	ck_assert_uint_eq(x.width, 1);
	reg(&x.op[0], 0, 0);
	imm(&x.op[1], 1);
	/* 41 83 ff ea: cmp $0xffffffea,%r15d (sign-extended imm8) */
	ck_assert_int_eq(DECODE(&x, 0x41, 0x83, 0xff, 0xea), 0);
	ck_assert_uint_eq(x.width, 4);
	reg(&x.op[0], 15, 0);
	imm(&x.op[1], -22);
	/* 81 3e 4b 52 45 46: cmpl $0x4645524b,(%rsi) (kref's magic) */
	ck_assert_int_eq(DECODE(&x, 0x81, 0x3e, 0x4b, 0x52, 0x45, 0x46), 0);
	mem(&x.op[0], 6, X86CMP_NONE, 1, 0);
	imm(&x.op[1], 0x4645524b);
	/* 48 81 fa 00 00 01 00: cmp $0x10000,%rdx */
	ck_assert_int_eq(DECODE(&x, 0x48, 0x81, 0xfa, 0x00, 0x00, 0x01, 0x00), 0);
	ck_assert_uint_eq(x.width, 8);
	imm(&x.op[1], 0x10000);
	/* 66 3d 34 12: cmp $0x1234,%ax; 66 81 7f 08 cd ab: cmpw $0xabcd,0x8(%rdi) */
	ck_assert_int_eq(DECODE(&x, 0x66, 0x3d, 0x34, 0x12), 0);
	ck_assert_uint_eq(x.width, 2);
	imm(&x.op[1], 0x1234);
	ck_assert_int_eq(DECODE(&x, 0x66, 0x81, 0x7f, 0x08, 0xcd, 0xab), 0);
	mem(&x.op[0], 7, X86CMP_NONE, 1, 8);
	imm(&x.op[1], (int16_t)0xabcd);
	/* 80 7b 08 00: cmpb $0x0,0x8(%rbx); 83 bf 60 02 00 00 40: cmpl $0x40,0x260(%rdi) */
	ck_assert_int_eq(DECODE(&x, 0x80, 0x7b, 0x08, 0x00), 0);
	mem(&x.op[0], 3, X86CMP_NONE, 1, 8);
	ck_assert_int_eq(DECODE(&x, 0x83, 0xbf, 0x60, 0x02, 0x00, 0x00, 0x40), 0);
	mem(&x.op[0], 7, X86CMP_NONE, 1, 0x260);
	imm(&x.op[1], 0x40);
}
END_TEST

START_TEST(test_refused)
{
	struct x86cmp x;

	/* not CMP: test, sub, an 80 of another /digit (80 /0 is add) */
	ck_assert_int_eq(DECODE(&x, 0x85, 0xc0), -EINVAL);
	ck_assert_int_eq(DECODE(&x, 0x29, 0xc8), -EINVAL);
	ck_assert_int_eq(DECODE(&x, 0x80, 0x03, 0x01), -EINVAL);
	/* cut short, or more than one instruction */
	ck_assert_int_eq(DECODE(&x, 0x81, 0x3e, 0x4b, 0x52, 0x45), -EINVAL);
	ck_assert_int_eq(DECODE(&x, 0x3b, 0x04), -EINVAL);
	ck_assert_int_eq(DECODE(&x, 0x39, 0xc8, 0x90), -EINVAL);
	ck_assert_int_eq(DECODE(&x, 0x66, 0x48), -EINVAL);
	ck_assert_int_eq(x86cmp_decode(NULL, 0, &x), -EINVAL);
	/* a segment base or 32-bit addresses: not decoded */
	ck_assert_int_eq(DECODE(&x, 0x65, 0x3b, 0x04, 0x25, 0x10, 0x00, 0x00, 0x00), -EINVAL);
	ck_assert_int_eq(DECODE(&x, 0x67, 0x3b, 0x02), -EINVAL);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("x86cmp");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_registers);
	tcase_add_test(tc, test_memory);
	tcase_add_test(tc, test_immediates);
	tcase_add_test(tc, test_refused);
	suite_add_tcase(s, tc);
	return s;
}

TESTLIB_MAIN(suite)
