/* Lazy condition codes: the arithmetic flags of the last flag-setting
 * operation, computed from (cc_op, cc_dst, cc_src, cc_src2) only when read.
 * Conventions per cc_op (w = operand width in bits, values truncated to w):
 *   ADD/SUB:  dst = result, src = second operand
 *   ADC/SBB:  dst = result, src = second operand, src2 = carry in (0/1)
 *   LOGIC:    dst = result
 *   INC/DEC:  dst = result, src2 = CF before the instruction
 *   SHL/SHR/SAR: dst = result, src = the operand shifted by count-1 (its
 *             edge bit is CF), src2 = the original operand; the count was
 *             not zero. Undefined flags as this CPU family sets them: AF
 *             = 1, OF = MSB(result) ^ CF after SHL, the two top result bits
 *             differing after SHR (0 after SAR), for every count.
 *   MUL:      dst = low result, src = 1 when the high half is significant
 * and the layered states (cpu/exec.h) over one of these or CC_OP_EFLAGS. */
#include "cpu/exec.h"

static const uint8_t parity_table[256] = {
#define P2(n) n, n ^ 1, n ^ 1, n
#define P4(n) P2(n), P2(n ^ 1), P2(n ^ 1), P2(n)
#define P6(n) P4(n), P4(n ^ 1), P4(n ^ 1), P4(n)
    P6(1), P6(0), P6(0), P6(1)
#undef P2
#undef P4
#undef P6
};

static inline unsigned cc_width(uint32_t op)
{
    return 8u << ((op - CC_OP_ADD8) & 3);
}

static inline uint64_t cc_mask(unsigned w)
{
    return w == 64 ? ~0ull : (1ull << w) - 1;
}

static inline uint64_t cc_sign(uint64_t v, unsigned w)
{
    return (v >> (w - 1)) & 1;
}

/* ZF, SF and PF always come from the result. */
static inline uint64_t cc_zsp(uint64_t dst, unsigned w)
{
    uint64_t f = 0;
    dst &= cc_mask(w);
    if (!dst)
        f |= X86_FLAG_ZF;
    if (cc_sign(dst, w))
        f |= X86_FLAG_SF;
    if (parity_table[dst & 0xff])
        f |= X86_FLAG_PF;
    return f;
}

static uint64_t cc_compute(uint32_t op, uint64_t dst, uint64_t src, uint64_t src2)
{
    if (op == CC_OP_EFLAGS || op >= CC_OP_COUNT)
        return 0;
    unsigned w = cc_width(op);
    uint64_t mask = cc_mask(w);
    uint64_t f = cc_zsp(dst, w);
    dst &= mask;
    src &= mask;
    unsigned kind = (op - CC_OP_ADD8) >> 2;
    switch (kind) {
    case 0: { /* ADD */
        uint64_t a = (dst - src) & mask;
        if (dst < src)
            f |= X86_FLAG_CF;
        if ((dst ^ src ^ a) & 0x10)
            f |= X86_FLAG_AF;
        if (cc_sign((a ^ dst) & (src ^ dst), w))
            f |= X86_FLAG_OF;
        break;
    }
    case 1: { /* ADC */
        uint64_t a = (dst - src - src2) & mask;
        if (src2 ? dst <= src : dst < src)
            f |= X86_FLAG_CF;
        if ((dst ^ src ^ a) & 0x10)
            f |= X86_FLAG_AF;
        if (cc_sign((a ^ dst) & (src ^ dst), w))
            f |= X86_FLAG_OF;
        break;
    }
    case 2: { /* SUB */
        uint64_t a = (dst + src) & mask;
        if (a < src)
            f |= X86_FLAG_CF;
        if ((dst ^ src ^ a) & 0x10)
            f |= X86_FLAG_AF;
        if (cc_sign((a ^ src) & (a ^ dst), w))
            f |= X86_FLAG_OF;
        break;
    }
    case 3: { /* SBB */
        uint64_t a = (dst + src + src2) & mask;
        if (src2 ? a <= src : a < src)
            f |= X86_FLAG_CF;
        if ((dst ^ src ^ a) & 0x10)
            f |= X86_FLAG_AF;
        if (cc_sign((a ^ src) & (a ^ dst), w))
            f |= X86_FLAG_OF;
        break;
    }
    case 4: /* LOGIC */
        break;
    case 5: /* INC */
        if (src2)
            f |= X86_FLAG_CF;
        if ((dst & 0xf) == 0)
            f |= X86_FLAG_AF;
        if (dst == (1ull << (w - 1)))
            f |= X86_FLAG_OF;
        break;
    case 6: /* DEC */
        if (src2)
            f |= X86_FLAG_CF;
        if ((dst & 0xf) == 0xf)
            f |= X86_FLAG_AF;
        if (dst == (1ull << (w - 1)) - 1)
            f |= X86_FLAG_OF;
        break;
    case 7: /* SHL */
        f |= X86_FLAG_AF;
        if (cc_sign(src, w))
            f |= X86_FLAG_CF;
        if (cc_sign(src, w) ^ cc_sign(dst, w))
            f |= X86_FLAG_OF;
        break;
    case 8: /* SHR */
        f |= X86_FLAG_AF;
        if (src & 1)
            f |= X86_FLAG_CF;
        if (cc_sign(dst, w) ^ ((dst >> (w - 2)) & 1))
            f |= X86_FLAG_OF;
        break;
    case 9: /* SAR */
        f |= X86_FLAG_AF;
        if (src & 1)
            f |= X86_FLAG_CF;
        break;
    case 10: /* MUL */
        if (src)
            f |= X86_FLAG_CF | X86_FLAG_OF;
        break;
    }
    return f;
}

bool cpu_parity_even(uint64_t v)
{
    return parity_table[v & 0xff];
}

#define X86_ARITH_FLAGS (X86_FLAG_CF | X86_FLAG_PF | X86_FLAG_AF | X86_FLAG_ZF | X86_FLAG_SF | X86_FLAG_OF)

/* A plain (non-layered) state's arithmetic flags. */
static uint64_t cc_plain(const struct cpu_exec *c, uint32_t op)
{
    if (op == CC_OP_EFLAGS || op >= CC_OP_INCL8)
        return c->cpu.rflags & X86_ARITH_FLAGS;
    return cc_compute(op, c->cc_dst, c->cc_src, c->cc_src2);
}

static uint64_t cc_flags(const struct cpu_exec *c)
{
    uint32_t op = c->cc_op;
    if (op < CC_OP_INCL8)
        return cc_plain(c, op);
    uint64_t base = cc_plain(c, c->cc_base_op);
    if (op == CC_OP_CFOF)
        return (base & ~(uint64_t)(X86_FLAG_CF | X86_FLAG_OF)) |
               ((c->cc_layer & 1) ? X86_FLAG_CF : 0) | ((c->cc_layer & 2) ? X86_FLAG_OF : 0);
    if (op > CC_OP_CFOF)
        return c->cpu.rflags & X86_ARITH_FLAGS;
    /* INCL/DECL: INC/DEC of the layer's result over the base's CF */
    return cc_compute(op - CC_OP_INCL8 + CC_OP_INC8, c->cc_layer, 0, base & X86_FLAG_CF);
}

uint64_t cpu_exec_get_rflags(const struct cpu_exec *c)
{
    if (c->cc_op == CC_OP_EFLAGS)
        return c->cpu.rflags;
    return (c->cpu.rflags & ~(uint64_t)X86_ARITH_FLAGS) | cc_flags(c);
}

void cpu_exec_flush_flags(struct cpu_exec *c)
{
    c->cpu.rflags = cpu_exec_get_rflags(c) | X86_FLAG_FIXED;
    c->cc_op = CC_OP_EFLAGS;
}

/* CF alone, for the common plain states; -1 when the full computation is
 * needed. */
static int cc_fast_cf(const struct cpu_exec *c)
{
    uint32_t op = c->cc_op;
    if (op == CC_OP_EFLAGS)
        return (c->cpu.rflags & X86_FLAG_CF) != 0;
    if (op >= CC_OP_INCL8)
        return -1;
    unsigned w = cc_width(op);
    uint64_t m = cc_mask(w), dst = c->cc_dst & m, src = c->cc_src & m;
    switch ((op - CC_OP_ADD8) >> 2) {
    case 0: return dst < src;
    case 2: return ((dst + src) & m) < src;
    case 4: return 0;
    case 5: case 6: return c->cc_src2 != 0;
    default: return -1;
    }
}

/* ZF alone; -1 when the full computation is needed. */
static int cc_fast_zf(const struct cpu_exec *c)
{
    uint32_t op = c->cc_op;
    if (op == CC_OP_EFLAGS)
        return (c->cpu.rflags & X86_FLAG_ZF) != 0;
    if (op < CC_OP_MUL8)
        return (c->cc_dst & cc_mask(cc_width(op))) == 0;
    if (op >= CC_OP_INCL8 && op < CC_OP_CFOF)
        return (c->cc_layer & cc_mask(cc_width(op))) == 0;
    return -1;
}

uint64_t cpu_exec_cc_cond(struct cpu_exec *c, uint64_t cond, uint64_t a1, uint64_t a2,
                          uint64_t a3)
{
    (void)a1; (void)a2; (void)a3;
    int r = -1;
    if ((cond >> 1) == 1)
        r = cc_fast_cf(c);
    else if ((cond >> 1) == 2)
        r = cc_fast_zf(c);
    if (r < 0) {
        uint64_t f = c->cc_op == CC_OP_EFLAGS ? c->cpu.rflags : cc_flags(c);
        bool sf = f & X86_FLAG_SF, of = f & X86_FLAG_OF;
        switch ((cond >> 1) & 7) {
        case 0: r = of; break;
        case 1: r = (f & X86_FLAG_CF) != 0; break;
        case 2: r = (f & X86_FLAG_ZF) != 0; break;
        case 3: r = (f & (X86_FLAG_CF | X86_FLAG_ZF)) != 0; break;
        case 4: r = sf; break;
        case 5: r = (f & X86_FLAG_PF) != 0; break;
        case 6: r = sf != of; break;
        default: r = (f & X86_FLAG_ZF) || sf != of; break;
        }
    }
    return (uint64_t)(r ^ (int)(cond & 1));
}
