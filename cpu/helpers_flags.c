/* Flag-transfer helpers: PUSHF/POPF with their privilege rules, LAHF/SAHF,
 * and the single-flag instructions (CLC ... STI, SALC). */
#include "cpu/exception.h"
#include "cpu/helpers.h"
#include "cpu/x86_mnemonics.h"

#define ARITH (X86_FLAG_CF | X86_FLAG_PF | X86_FLAG_AF | X86_FLAG_ZF | X86_FLAG_SF | X86_FLAG_OF)

static unsigned iopl_of(uint64_t f)
{
    return (unsigned)(f >> 12) & 3;
}

static bool in_v86(const struct cpu_exec *c)
{
    return c->cpu.rflags & X86_FLAG_VM;
}

static bool protected_mode(const struct cpu_exec *c)
{
    return c->cpu.cr0 & X86_CR0_PE;
}

HELPER(helper_pushf)
{
    (void)a0; (void)a1; (void)a2; (void)a3;
    cpu_exec_flush_flags(c);
    if (in_v86(c) && iopl_of(c->cpu.rflags) < 3)
        cpu_raise_exception_err(c, X86_EXC_GP, 0);
    /* The image never shows VM or RF. */
    return c->cpu.rflags & ~(uint64_t)(X86_FLAG_VM | X86_FLAG_RF);
}

HELPER(helper_popf)
{
    (void)a2; (void)a3;
    cpu_exec_flush_flags(c);
    uint64_t old = c->cpu.rflags;
    unsigned iopl = iopl_of(old);
    if (in_v86(c) && iopl < 3)
        cpu_raise_exception_err(c, X86_EXC_GP, 0);
    uint64_t change = ARITH | X86_FLAG_TF | X86_FLAG_DF | X86_FLAG_NT;
    if (a1 >= 4)
        change |= X86_FLAG_AC | X86_FLAG_ID;
    if (!protected_mode(c) || (!in_v86(c) && c->cpl == 0)) {
        change |= X86_FLAG_IF | X86_FLAG_IOPL;
    } else if (in_v86(c)) {
        change |= X86_FLAG_IF; /* IOPL 3 here; IOPL itself cannot change */
    } else if (c->cpl <= iopl) {
        change |= X86_FLAG_IF;
    }
    if (a1 == 2)
        change &= 0xffff;
    uint64_t nf = (old & ~change) | (a0 & change) | X86_FLAG_FIXED;
    nf &= ~(uint64_t)X86_FLAG_RF;
    c->cpu.rflags = nf;
    return 0;
}

HELPER(helper_lahf)
{
    (void)a0; (void)a1; (void)a2; (void)a3;
    uint64_t f = cpu_exec_get_rflags(c);
    return (f & (X86_FLAG_SF | X86_FLAG_ZF | X86_FLAG_AF | X86_FLAG_PF | X86_FLAG_CF)) |
           X86_FLAG_FIXED;
}

HELPER(helper_sahf)
{
    (void)a1; (void)a2; (void)a3;
    cpu_exec_flush_flags(c);
    uint64_t m = X86_FLAG_SF | X86_FLAG_ZF | X86_FLAG_AF | X86_FLAG_PF | X86_FLAG_CF;
    c->cpu.rflags = (c->cpu.rflags & ~m) | (a0 & m);
    return 0;
}

/* CLI/STI: allowed in real mode, at CPL <= IOPL, or in v86 mode at IOPL 3
 * (VME's virtual interrupt flag is not modelled: CR4.VME is not offered). */
static void check_if_privilege(struct cpu_exec *c)
{
    if (!protected_mode(c))
        return;
    unsigned iopl = iopl_of(c->cpu.rflags);
    if (in_v86(c) ? iopl < 3 : c->cpl > iopl)
        cpu_raise_exception_err(c, X86_EXC_GP, 0);
}

HELPER(helper_flag_op)
{
    (void)a1; (void)a2; (void)a3;
    cpu_exec_flush_flags(c);
    uint64_t *f = &c->cpu.rflags;
    switch (a0) {
    case X86_CLC: *f &= ~(uint64_t)X86_FLAG_CF; break;
    case X86_STC: *f |= X86_FLAG_CF; break;
    case X86_CMC: *f ^= X86_FLAG_CF; break;
    case X86_CLD: *f &= ~(uint64_t)X86_FLAG_DF; break;
    case X86_STD: *f |= X86_FLAG_DF; break;
    case X86_CLI:
        check_if_privilege(c);
        *f &= ~(uint64_t)X86_FLAG_IF;
        break;
    case X86_STI:
        check_if_privilege(c);
        if (!(*f & X86_FLAG_IF))
            c->cpu.interrupt_shadow = true; /* the next instruction runs first */
        *f |= X86_FLAG_IF;
        break;
    case X86_SALC:
        c->cpu.regs[R_RAX] = (c->cpu.regs[R_RAX] & ~0xffull) | ((*f & X86_FLAG_CF) ? 0xff : 0);
        break;
    default:
        break;
    }
    return 0;
}
