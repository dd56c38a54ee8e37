/* Lazy condition codes against the host CPU: random operands through
 * ADD/ADC/SUB/SBB/logic/INC/DEC at every width, flags computed from
 * (cc_op, cc_dst, cc_src, cc_src2) must equal what the host's own
 * instruction left in RFLAGS. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/exec.h"
#include "test_util.h"

#define ARITH 0x8d5ull /* CF PF AF ZF SF OF */

static uint64_t rng_state;
static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Interesting values: edges of each width mixed with random bits. */
static uint64_t pick(void)
{
    static const uint64_t edges[] = { 0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff,
                                      0x7fffffff, 0x80000000, 0xffffffff,
                                      0x7fffffffffffffffull, 0x8000000000000000ull, ~0ull, 0xf, 0x10 };
    uint64_t r = rng();
    return (r & 3) ? rng() : edges[rng() % (sizeof(edges) / sizeof(edges[0]))];
}

#define HOST_OP2(insn, suffix, reg_a, reg_b, type)                                              \
    static uint64_t host_##insn##_##suffix(uint64_t a, uint64_t b, uint64_t cf_in, uint64_t *res) \
    {                                                                                            \
        type x = (type)a, y = (type)b;                                                           \
        uint64_t fl;                                                                             \
        __asm__ volatile("bt $0, %[cf]\n\t" #insn #suffix " %[y], %[x]\n\tpushfq\n\tpopq %[fl]" \
                         : [x] "+r"(x), [fl] "=r"(fl)                                           \
                         : [y] "r"(y), [cf] "r"(cf_in)                                          \
                         : "cc");                                                                \
        *res = (uint64_t)x;                                                                      \
        return fl & ARITH;                                                                       \
    }

#define HOST_OPS(insn)                     \
    HOST_OP2(insn, b, al, bl, uint8_t)     \
    HOST_OP2(insn, w, ax, bx, uint16_t)    \
    HOST_OP2(insn, l, eax, ebx, uint32_t)  \
    HOST_OP2(insn, q, rax, rbx, uint64_t)

HOST_OPS(add)
HOST_OPS(adc)
HOST_OPS(sub)
HOST_OPS(sbb)
HOST_OPS(and)
HOST_OPS(or)
HOST_OPS(xor)

typedef uint64_t (*host_fn)(uint64_t, uint64_t, uint64_t, uint64_t *);

struct op_case {
    const char *name;
    host_fn fn[4];
    uint32_t cc_base;
    bool carry_in;
    bool logic;
};

static const struct op_case ops[] = {
    { "add", { host_add_b, host_add_w, host_add_l, host_add_q }, CC_OP_ADD8, false, false },
    { "adc", { host_adc_b, host_adc_w, host_adc_l, host_adc_q }, CC_OP_ADC8, true, false },
    { "sub", { host_sub_b, host_sub_w, host_sub_l, host_sub_q }, CC_OP_SUB8, false, false },
    { "sbb", { host_sbb_b, host_sbb_w, host_sbb_l, host_sbb_q }, CC_OP_SBB8, true, false },
    { "and", { host_and_b, host_and_w, host_and_l, host_and_q }, CC_OP_LOGIC8, false, true },
    { "or", { host_or_b, host_or_w, host_or_l, host_or_q }, CC_OP_LOGIC8, false, true },
    { "xor", { host_xor_b, host_xor_w, host_xor_l, host_xor_q }, CC_OP_LOGIC8, false, true },
};

START_TEST(lazy_flags_match_host_arithmetic)
{
    rng_state = 0x9e3779b97f4a7c15ull;
    struct cpu_exec *c = calloc(1, sizeof(*c));
    unsigned checked = 0;
    for (unsigned k = 0; k < sizeof(ops) / sizeof(ops[0]); k++) {
        for (unsigned w = 0; w < 4; w++) {
            unsigned size = 1u << w;
            uint64_t mask = size == 8 ? ~0ull : (1ull << (size * 8)) - 1;
            for (int n = 0; n < 20000; n++) {
                uint64_t a = pick() & mask, b = pick() & mask, cf = ops[k].carry_in ? rng() & 1 : 0;
                uint64_t res;
                uint64_t want = ops[k].fn[w](a, b, cf, &res);
                c->cpu.rflags = 2;
                c->cc_op = ops[k].cc_base + w;
                c->cc_dst = res & mask;
                c->cc_src = ops[k].logic ? 0 : b;
                c->cc_src2 = cf;
                uint64_t got = cpu_exec_get_rflags(c) & ARITH;
                if (ops[k].logic)
                    got &= ~0x10ull, want &= ~0x10ull; /* AF undefined after logic ops */
                if (got != want) {
                    fprintf(stderr, "%s%u a=%#llx b=%#llx cf=%llu: flags %#llx, host %#llx\n",
                            ops[k].name, size * 8, (unsigned long long)a, (unsigned long long)b,
                            (unsigned long long)cf, (unsigned long long)got, (unsigned long long)want);
                    ck_abort_msg("lazy flags differ from the host");
                }
                checked++;
            }
        }
    }
    ck_assert_uint_eq(checked, 7u * 4u * 20000u);
    free(c);
}
END_TEST

START_TEST(inc_dec_keep_carry)
{
    struct cpu_exec *c = calloc(1, sizeof(*c));
    /* inc8 of 0x7f: OF set, AF set, CF from src2 */
    c->cc_op = CC_OP_INC8;
    c->cc_dst = 0x80;
    c->cc_src2 = 1;
    uint64_t f = cpu_exec_get_rflags(c);
    ck_assert(f & X86_FLAG_OF);
    ck_assert(f & X86_FLAG_AF);
    ck_assert(f & X86_FLAG_CF);
    ck_assert(f & X86_FLAG_SF);
    /* dec32 of 0: result ffffffff, no OF, AF set, CF kept clear */
    c->cc_op = CC_OP_DEC32;
    c->cc_dst = 0xffffffff;
    c->cc_src2 = 0;
    f = cpu_exec_get_rflags(c);
    ck_assert(!(f & X86_FLAG_OF));
    ck_assert(f & X86_FLAG_AF);
    ck_assert(!(f & X86_FLAG_CF));
    ck_assert(f & X86_FLAG_PF);
    cpu_exec_flush_flags(c);
    ck_assert_uint_eq(c->cc_op, CC_OP_EFLAGS);
    ck_assert_uint_eq(c->cpu.rflags & ARITH, f & ARITH);
    free(c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("flags");
    TCase *tc = tcase_create("flags");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, lazy_flags_match_host_arithmetic);
    tcase_add_test(tc, inc_dec_keep_carry);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
