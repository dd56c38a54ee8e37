/* Integer instruction helpers: shifts and rotates, double shifts, multiply
 * and divide, BCD adjustments, bit scans and tests, compare-exchange, and
 * the core helpers every block uses (flags, conditions, faults). */
#include <string.h>

#include "cpu/exception.h"
#include "cpu/helpers.h"
#include "cpu/x86_mnemonics.h"
#include "softmmu/mmu.h"

#define ARITH (X86_FLAG_CF | X86_FLAG_PF | X86_FLAG_AF | X86_FLAG_ZF | X86_FLAG_SF | X86_FLAG_OF)

static inline uint64_t mask_of(unsigned size)
{
    return cpu_size_mask(size);
}

static inline uint64_t sign_of(uint64_t v, unsigned size)
{
    return (v >> (size * 8 - 1)) & 1;
}


static uint64_t zsp(uint64_t v, unsigned size)
{
    v &= mask_of(size);
    return (v ? 0 : X86_FLAG_ZF) | (sign_of(v, size) ? X86_FLAG_SF : 0) |
           (cpu_parity_even(v) ? X86_FLAG_PF : 0);
}

/* Replaces the arithmetic flags selected by mask; the rest stay. */
static void set_flags(struct cpu_exec *c, uint64_t mask, uint64_t value)
{
    cpu_exec_flush_flags(c);
    c->cpu.rflags = (c->cpu.rflags & ~mask) | (value & mask);
}

HELPER(helper_seg_linear)
{
    (void)a3;
    return mmu_seg_linear(c, (int)a0, a1, (unsigned)(a2 & 0xff),
                          (a2 & 0x100) ? MMU_WRITE : MMU_READ);
}

HELPER(helper_get_rflags)
{
    (void)a0; (void)a1; (void)a2; (void)a3;
    return cpu_exec_get_rflags(c);
}

HELPER(helper_cond)
{
    (void)a1; (void)a2; (void)a3;
    uint64_t f = cpu_exec_get_rflags(c);
    bool r;
    switch (a0 >> 1) {
    case 0: r = f & X86_FLAG_OF; break;
    case 1: r = f & X86_FLAG_CF; break;
    case 2: r = f & X86_FLAG_ZF; break;
    case 3: r = f & (X86_FLAG_CF | X86_FLAG_ZF); break;
    case 4: r = f & X86_FLAG_SF; break;
    case 5: r = f & X86_FLAG_PF; break;
    case 6: r = !!(f & X86_FLAG_SF) != !!(f & X86_FLAG_OF); break;
    default: r = (f & X86_FLAG_ZF) || (!!(f & X86_FLAG_SF) != !!(f & X86_FLAG_OF)); break;
    }
    return (a0 & 1) ? !r : r;
}

HELPER(helper_raise)
{
    (void)a1; (void)a2; (void)a3;
    cpu_raise_exception(c, (int)a0);
}

HELPER(helper_raise_err)
{
    (void)a2; (void)a3;
    cpu_raise_exception_err(c, (int)a0, (uint32_t)a1);
}

HELPER(helper_fetch_fault)
{
    (void)a0; (void)a1; (void)a2; (void)a3;
    /* Fetch byte by byte through the checks translation skipped: the first
     * byte that cannot be fetched raises its fault. */
    for (unsigned i = 0; i < 16; i++) {
        uint64_t lin = mmu_seg_linear(c, S_CS, c->cpu.rip + i, 1, MMU_EXEC);
        uint8_t byte;
        uint64_t phys;
        if (mmu_fetch(c, lin, &byte, 1, &phys) == 0) {
            struct mmu_walk_result res;
            if (!mmu_walk(c, lin, MMU_EXEC, c->cpl == 3, &res)) {
                c->cpu.cr2 = lin;
                cpu_raise_exception_err(c, X86_EXC_PF, res.pf_error);
            }
        }
    }
    cpu_raise_exception_err(c, X86_EXC_GP, 0);
}

/* The load of a read-modify-write instruction: the processor reads with
 * write intent, so a page that cannot be written faults here, with the
 * write bit in the #PF error code, before anything changes. */
HELPER(helper_ld_rmw)
{
    (void)a2; (void)a3;
    uint64_t lin = a0;
    unsigned size = (unsigned)a1;
    const struct tlb_entry *e = &c->tlb[c->cpl == 3][(lin >> 12) & (TLB_SIZE - 1)];
    if ((lin & 0xfff) + size <= 0x1000 && e->tag_write == (lin & TLB_PAGE_MASK)) {
        uint64_t v = 0;
        memcpy(&v, (const void *)(uintptr_t)(lin + e->addend), size);
        return v;
    }
    mmu_probe_write(c, lin, size);
    return mmu_load(c, lin, size);
}

/* kind: 0 ROL, 1 ROR, 2 RCL, 3 RCR, 4 SHL, 5 SHR, 6 SAL (= SHL), 7 SAR */
HELPER(helper_shift)
{
    (void)a3;
    unsigned kind = a0 & 7, size = (unsigned)(a0 >> 8);
    unsigned bits = size * 8;
    uint64_t m = mask_of(size);
    uint64_t v = a1 & m;
    unsigned count = (unsigned)(a2 & (size == 8 ? 63 : 31));
    if (!count)
        return v;
    uint64_t f = cpu_exec_get_rflags(c);
    uint64_t cf = f & X86_FLAG_CF;
    uint64_t r;
    switch (kind) {
    case 0: case 1: { /* ROL/ROR: only CF and OF change */
        unsigned n = count % bits;
        r = n ? (kind == 0 ? ((v << n) | (v >> (bits - n))) : ((v >> n) | (v << (bits - n)))) & m : v;
        uint64_t ncf = kind == 0 ? (r & 1) : sign_of(r, size);
        uint64_t of = kind == 0 ? (sign_of(r, size) ^ ncf) : (sign_of(r, size) ^ ((r >> (bits - 2)) & 1));
        set_flags(c, X86_FLAG_CF | X86_FLAG_OF, (ncf ? X86_FLAG_CF : 0) | (of ? X86_FLAG_OF : 0));
        return r;
    }
    case 2: case 3: { /* RCL/RCR through CF: a rotate of bits+1 bits */
        unsigned n = count % (bits + 1);
        unsigned __int128 wide = ((unsigned __int128)(cf ? 1 : 0) << bits) | v;
        unsigned __int128 wm = ((unsigned __int128)1 << (bits + 1)) - 1;
        if (n) {
            if (kind == 2)
                wide = ((wide << n) | (wide >> (bits + 1 - n))) & wm;
            else
                wide = ((wide >> n) | (wide << (bits + 1 - n))) & wm;
        }
        r = (uint64_t)wide & m;
        uint64_t ncf = (uint64_t)(wide >> bits) & 1;
        uint64_t of = kind == 2 ? (sign_of(r, size) ^ ncf)
                                : (sign_of(r, size) ^ ((r >> (bits - 2)) & 1));
        set_flags(c, X86_FLAG_CF | X86_FLAG_OF, (ncf ? X86_FLAG_CF : 0) | (of ? X86_FLAG_OF : 0));
        return r;
    }
    case 4: case 6: { /* SHL/SAL */
        uint64_t before = count <= bits ? (count == 64 ? 0 : (v << (count - 1))) : 0;
        r = count >= 64 ? 0 : (v << count) & m;
        uint64_t ncf = count <= bits ? sign_of(before & m, size) : 0;
        /* OF for counts above 1 is undefined: this CPU gives MSB ^ CF, as
         * for a count of 1. AF is set by every non-zero count. */
        uint64_t of = sign_of(r, size) ^ ncf;
        set_flags(c, ARITH, zsp(r, size) | X86_FLAG_AF | (ncf ? X86_FLAG_CF : 0) |
                                (of ? X86_FLAG_OF : 0));
        return r;
    }
    case 5: { /* SHR */
        r = count >= 64 ? 0 : v >> count;
        uint64_t ncf = count <= bits ? (v >> (count - 1)) & 1 : 0;
        /* OF: the two top bits of the result differ (for a count of 1 that
         * is the original MSB, as defined; above 1 what this CPU does). */
        uint64_t of = sign_of(r, size) ^ ((r >> (bits - 2)) & 1);
        set_flags(c, ARITH, zsp(r, size) | X86_FLAG_AF | (ncf ? X86_FLAG_CF : 0) |
                                (of ? X86_FLAG_OF : 0));
        return r;
    }
    default: { /* SAR: the top two result bits are both the sign, so OF = 0 */
        int64_t sv = (int64_t)(v << (64 - bits)) >> (64 - bits);
        unsigned n = count >= bits ? bits - 1 : count;
        r = (uint64_t)(sv >> n) & m;
        uint64_t ncf = (uint64_t)(sv >> (count >= bits ? bits - 1 : count - 1)) & 1;
        set_flags(c, ARITH, zsp(r, size) | X86_FLAG_AF | (ncf ? X86_FLAG_CF : 0));
        return r;
    }
    }
}

HELPER(helper_shxd)
{
    unsigned size = (unsigned)(a0 & 0xff);
    bool right = a0 & 0x100;
    unsigned bits = size * 8;
    uint64_t m = mask_of(size);
    uint64_t dst = a1 & m, src = a2 & m;
    unsigned count = (unsigned)(a3 & (size == 8 ? 63 : 31));
    if (!count)
        return dst;
    uint64_t r, cf;
    if (size == 2 && count > 16) {
        /* Undefined by the manuals. This CPU shifts the 48-bit dst:src:src
         * (SHLD) or src:src:dst (SHRD), so the result is src rotated by
         * count - 16, and clears CF. */
        unsigned __int128 w = right ? ((unsigned __int128)src << 32 | src << 16 | dst)
                                    : ((unsigned __int128)dst << 32 | src << 16 | src);
        r = right ? (uint64_t)(w >> count) & m : (uint64_t)(w << count >> 32) & m;
        cf = 0;
    } else if (right) {
        unsigned __int128 w = ((unsigned __int128)src << bits) | dst;
        r = (uint64_t)(w >> count) & m;
        cf = (uint64_t)(w >> (count - 1)) & 1;
    } else {
        unsigned __int128 w = ((unsigned __int128)dst << bits) | src;
        r = (uint64_t)((w << count) >> bits) & m;
        cf = (uint64_t)((w << (count - 1)) >> (2 * bits - 1)) & 1;
    }
    /* OF is defined for a count of 1 only; this CPU computes it as for the
     * shifts: MSB ^ CF to the left, the top two result bits to the right. */
    uint64_t of = right ? sign_of(r, size) ^ ((r >> (bits - 2)) & 1) : sign_of(r, size) ^ cf;
    if (size == 2 && count >= 16 && !right)
        of = cf; /* what this CPU does once dst is shifted out entirely */
    set_flags(c, ARITH, zsp(r, size) | X86_FLAG_AF | (cf ? X86_FLAG_CF : 0) | (of ? X86_FLAG_OF : 0));
    return r;
}

HELPER(helper_mul1)
{
    (void)a2; (void)a3;
    unsigned size = (unsigned)(a0 & 0xff);
    bool sgn = a0 & 0x100;
    uint64_t m = mask_of(size);
    uint64_t *rax = &c->cpu.regs[R_RAX], *rdx = &c->cpu.regs[R_RDX];
    uint64_t lo, hi;
    bool significant;
    if (size == 8) {
        if (sgn) {
            __int128 p = (__int128)(int64_t)*rax * (int64_t)a1;
            lo = (uint64_t)p;
            hi = (uint64_t)(p >> 64);
            significant = p != (__int128)(int64_t)lo;
        } else {
            unsigned __int128 p = (unsigned __int128)*rax * a1;
            lo = (uint64_t)p;
            hi = (uint64_t)(p >> 64);
            significant = hi != 0;
        }
    } else {
        unsigned bits = size * 8;
        int64_t sa = (int64_t)((*rax & m) << (64 - bits)) >> (64 - bits);
        int64_t sb = (int64_t)((a1 & m) << (64 - bits)) >> (64 - bits);
        uint64_t p = sgn ? (uint64_t)(sa * sb) : (*rax & m) * (a1 & m);
        lo = p & m;
        hi = (p >> bits) & m;
        significant = sgn ? ((int64_t)(p << (64 - 2 * bits)) >> (64 - 2 * bits)) !=
                                ((int64_t)(lo << (64 - bits)) >> (64 - bits))
                          : hi != 0;
    }
    if (size == 1) {
        *rax = (*rax & ~0xffffull) | lo | hi << 8;
    } else if (size == 2) {
        *rax = (*rax & ~0xffffull) | lo;
        *rdx = (*rdx & ~0xffffull) | hi;
    } else {
        *rax = lo;
        *rdx = hi;
    }
    /* CF = OF = the high half matters; this CPU leaves SF, ZF, AF and PF
     * (undefined) as they were. */
    set_flags(c, X86_FLAG_CF | X86_FLAG_OF, significant ? X86_FLAG_CF | X86_FLAG_OF : 0);
    return 0;
}

HELPER(helper_imul2)
{
    (void)a3;
    unsigned size = (unsigned)a0;
    uint64_t m = mask_of(size);
    unsigned bits = size * 8;
    uint64_t lo;
    bool significant;
    if (size == 8) {
        __int128 p = (__int128)(int64_t)a1 * (int64_t)a2;
        lo = (uint64_t)p;
        significant = p != (__int128)(int64_t)lo;
    } else {
        int64_t sa = (int64_t)((a1 & m) << (64 - bits)) >> (64 - bits);
        int64_t sb = (int64_t)((a2 & m) << (64 - bits)) >> (64 - bits);
        int64_t p = sa * sb;
        lo = (uint64_t)p & m;
        significant = p != ((int64_t)(lo << (64 - bits)) >> (64 - bits));
    }
    set_flags(c, X86_FLAG_CF | X86_FLAG_OF, significant ? X86_FLAG_CF | X86_FLAG_OF : 0);
    return lo;
}

HELPER(helper_div)
{
    (void)a2; (void)a3;
    unsigned size = (unsigned)(a0 & 0xff);
    bool sgn = a0 & 0x100;
    uint64_t m = mask_of(size);
    unsigned bits = size * 8;
    uint64_t *rax = &c->cpu.regs[R_RAX], *rdx = &c->cpu.regs[R_RDX];
    uint64_t divisor = a1 & m;
    if (!divisor)
        cpu_raise_exception(c, X86_EXC_DE);
    unsigned __int128 dividend;
    if (size == 1)
        dividend = *rax & 0xffff;
    else
        dividend = ((unsigned __int128)(*rdx & m) << bits) | (*rax & m);
    uint64_t q, r;
    if (sgn) {
        __int128 sd;
        unsigned dbits = bits * 2;
        if (dbits == 128)
            sd = (__int128)dividend;
        else
            sd = (__int128)(dividend << (128 - dbits)) >> (128 - dbits);
        __int128 sv = (int64_t)(divisor << (64 - bits)) >> (64 - bits);
        /* INT_MIN / -1 overflows the quotient too */
        if (sv == -1 && dbits == 128 && sd == (__int128)((unsigned __int128)1 << 127))
            cpu_raise_exception(c, X86_EXC_DE);
        __int128 sq = sd / sv, sr = sd % sv;
        __int128 qmax = ((__int128)1 << (bits - 1)) - 1, qmin = -((__int128)1 << (bits - 1));
        if (sq > qmax || sq < qmin)
            cpu_raise_exception(c, X86_EXC_DE);
        q = (uint64_t)sq & m;
        r = (uint64_t)sr & m;
    } else {
        unsigned __int128 uq = dividend / divisor;
        if (uq > m)
            cpu_raise_exception(c, X86_EXC_DE);
        q = (uint64_t)uq;
        r = (uint64_t)(dividend % divisor);
    }
    if (size == 1) {
        *rax = (*rax & ~0xffffull) | q | r << 8;
    } else if (size == 2) {
        *rax = (*rax & ~0xffffull) | q;
        *rdx = (*rdx & ~0xffffull) | r;
    } else {
        *rax = q;
        *rdx = r;
    }
    /* Every arithmetic flag is undefined; this CPU sets AF, clears SF, ZF
     * and PF and leaves CF and OF. */
    set_flags(c, X86_FLAG_AF | X86_FLAG_SF | X86_FLAG_ZF | X86_FLAG_PF, X86_FLAG_AF);
    return 0;
}

HELPER(helper_bcd)
{
    (void)a2; (void)a3;
    uint64_t f = cpu_exec_get_rflags(c);
    uint64_t *rax = &c->cpu.regs[R_RAX];
    uint8_t al = (uint8_t)*rax, ah = (uint8_t)(*rax >> 8);
    bool cf = f & X86_FLAG_CF, af = f & X86_FLAG_AF;
    uint64_t nf = 0;
    switch (a0) {
    case X86_DAA: case X86_DAS: {
        uint8_t old = al;
        bool ncf = false, naf = false;
        bool sub = a0 == X86_DAS;
        if ((al & 0xf) > 9 || af) {
            ncf = cf || (sub ? al < 6 : al > 0xf9);
            al = (uint8_t)(sub ? al - 6 : al + 6);
            naf = true;
        }
        if (old > 0x99 || cf) {
            al = (uint8_t)(sub ? al - 0x60 : al + 0x60);
            ncf = true;
        }
        nf = zsp(al, 1) | (ncf ? X86_FLAG_CF : 0) | (naf ? X86_FLAG_AF : 0);
        /* OF is undefined: this CPU reports the signed overflow of the add. */
        if (!sub && !(old & 0x80) && (al & 0x80))
            nf |= X86_FLAG_OF;
        if (sub && (old & 0x80) && !(al & 0x80))
            nf |= X86_FLAG_OF;
        *rax = (*rax & ~0xffull) | al;
        break;
    }
    case X86_AAA: case X86_AAS: {
        /* OF SF ZF PF are undefined: this CPU takes them from the 16-bit
         * AX +/- 0x106 (or +/- 0 without adjustment), before AL is masked. */
        bool sub = a0 == X86_AAS;
        bool adjust = (al & 0xf) > 9 || af;
        uint16_t ax0 = (uint16_t)((unsigned)ah << 8 | al);
        uint16_t k = adjust ? 0x106 : 0;
        uint16_t ax = (uint16_t)(sub ? ax0 - k : ax0 + k);
        nf = zsp(ax, 2);
        if (sub ? (((ax0 ^ k) & (ax0 ^ ax)) & 0x8000) : ((~(ax0 ^ k) & (ax0 ^ ax)) & 0x8000))
            nf |= X86_FLAG_OF;
        if (adjust)
            nf |= X86_FLAG_AF | X86_FLAG_CF;
        al = (uint8_t)(ax & 0xf);
        ah = (uint8_t)(ax >> 8);
        *rax = (*rax & ~0xffffull) | al | (uint64_t)ah << 8;
        break;
    }
    case X86_AAM: {
        uint8_t base = (uint8_t)a1;
        if (!base)
            cpu_raise_exception(c, X86_EXC_DE);
        ah = al / base;
        al = al % base;
        nf = zsp(al, 1);
        *rax = (*rax & ~0xffffull) | al | (uint64_t)ah << 8;
        break;
    }
    default: { /* AAD */
        uint8_t base = (uint8_t)a1;
        uint8_t r = (uint8_t)(al + ah * base);
        /* flags as of the 8-bit add al + ah*base */
        uint8_t addend = (uint8_t)(ah * base);
        nf = zsp(r, 1);
        if (r < al)
            nf |= X86_FLAG_CF;
        if ((al ^ addend ^ r) & 0x10)
            nf |= X86_FLAG_AF;
        if (((al ^ r) & (addend ^ r)) & 0x80)
            nf |= X86_FLAG_OF;
        *rax = (*rax & ~0xffffull) | r;
        break;
    }
    }
    set_flags(c, ARITH, nf);
    return 0;
}

HELPER(helper_bitscan)
{
    (void)a3;
    unsigned size = (unsigned)(a0 & 0xff);
    bool reverse = a0 & 0x100;
    unsigned kind = (unsigned)(a0 >> 9) & 3;
    unsigned bits = size * 8;
    uint64_t v = a1 & mask_of(size);
    uint64_t r;
    if (kind == 2) { /* POPCNT */
        r = (uint64_t)__builtin_popcountll(v);
        set_flags(c, ARITH, v ? 0 : X86_FLAG_ZF);
        return r;
    }
    if (kind == 1) { /* TZCNT/LZCNT */
        if (!v)
            r = bits;
        else
            r = reverse ? (uint64_t)(__builtin_clzll(v) - (64 - (int)bits)) : (uint64_t)__builtin_ctzll(v);
        uint64_t f = (v ? 0 : X86_FLAG_CF) | (r ? 0 : X86_FLAG_ZF);
        /* SF, AF and PF are undefined: this CPU clears them and keeps OF. */
        set_flags(c, X86_FLAG_CF | X86_FLAG_ZF | X86_FLAG_SF | X86_FLAG_AF | X86_FLAG_PF, f);
        return r;
    }
    if (!v) {
        /* BSF/BSR of zero: ZF set; this CPU leaves the whole destination
         * register alone (a 32-bit one keeps its upper half too). */
        set_flags(c, X86_FLAG_ZF, X86_FLAG_ZF);
        return a2;
    }
    r = reverse ? (uint64_t)(63 - __builtin_clzll(v)) : (uint64_t)__builtin_ctzll(v);
    set_flags(c, X86_FLAG_ZF, 0);
    return r;
}

HELPER(helper_bt)
{
    (void)a3;
    uint64_t bit = 1ull << (a2 & 63);
    bool set = a1 & bit;
    set_flags(c, X86_FLAG_CF, set ? X86_FLAG_CF : 0);
    switch (a0) {
    case 1: return a1 | bit;
    case 2: return a1 & ~bit;
    case 3: return a1 ^ bit;
    default: return a1;
    }
}

HELPER(helper_cmpxchg)
{
    unsigned size = (unsigned)a0;
    uint64_t m = mask_of(size);
    uint64_t acc = a1 & m, dst = a2 & m;
    /* Flags as CMP accumulator, destination. */
    c->cc_op = CC_OP_SUB8 + (size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : 3);
    c->cc_dst = (acc - dst) & m;
    c->cc_src = dst;
    if (acc == dst)
        return a3 & m;
    if (size == 4)
        c->cpu.regs[R_RAX] = dst;
    else if (size == 8)
        c->cpu.regs[R_RAX] = dst;
    else
        c->cpu.regs[R_RAX] = (c->cpu.regs[R_RAX] & ~m) | dst;
    return dst;
}

HELPER(helper_cmpxchg8b)
{
    (void)a2; (void)a3;
    uint64_t lin = a0;
    /* The operand is read with write intent (it is written either way). */
    if (a1 == 16) {
        if (lin & 15)
            cpu_raise_exception_err(c, X86_EXC_GP, 0);
        uint64_t lo = helper_ld_rmw(c, lin, 8, 0, 0), hi = helper_ld_rmw(c, lin + 8, 8, 0, 0);
        bool eq = lo == c->cpu.regs[R_RAX] && hi == c->cpu.regs[R_RDX];
        if (eq) {
            mmu_store(c, lin, 8, c->cpu.regs[R_RBX]);
            mmu_store(c, lin + 8, 8, c->cpu.regs[R_RCX]);
        } else {
            mmu_store(c, lin, 8, lo); /* the processor always writes */
            mmu_store(c, lin + 8, 8, hi);
            c->cpu.regs[R_RAX] = lo;
            c->cpu.regs[R_RDX] = hi;
        }
        set_flags(c, X86_FLAG_ZF, eq ? X86_FLAG_ZF : 0);
        return 0;
    }
    uint64_t v = helper_ld_rmw(c, lin, 8, 0, 0);
    uint64_t edx_eax = (c->cpu.regs[R_RDX] & 0xffffffffu) << 32 | (c->cpu.regs[R_RAX] & 0xffffffffu);
    bool eq = v == edx_eax;
    if (eq) {
        mmu_store(c, lin, 8, (c->cpu.regs[R_RCX] & 0xffffffffu) << 32 | (c->cpu.regs[R_RBX] & 0xffffffffu));
    } else {
        mmu_store(c, lin, 8, v);
        c->cpu.regs[R_RAX] = v & 0xffffffffu;
        c->cpu.regs[R_RDX] = v >> 32;
    }
    set_flags(c, X86_FLAG_ZF, eq ? X86_FLAG_ZF : 0);
    return 0;
}
