/* System-level helpers: CPUID (advertising only what vx86 implements), the
 * time stamp counter, MSRs, HLT, control and debug registers, descriptor
 * table registers, TLB maintenance, BOUND, ENTER and SYSENTER/SYSEXIT. */
#include <string.h>

#include "cpu/exception.h"
#include "cpu/helpers.h"
#include "hw/machine.h"
#include "softmmu/mmu.h"

/* The TSC runs at 1 GHz of virtual time: one tick per nanosecond. */
#define BT_TSC_HZ 1000000000ull

static bool pe_mode(const struct cpu_exec *c) { return c->cpu.cr0 & X86_CR0_PE; }
static bool v86_mode(const struct cpu_exec *c) { return c->cpu.rflags & X86_FLAG_VM; }

HELPER(helper_check_cpl0)
{
    (void)a1; (void)a2; (void)a3;
    if (a0 == 1) {
        /* Instructions that exist only in protected mode (SLDT, STR, ...). */
        if (!pe_mode(c) || v86_mode(c))
            cpu_raise_exception(c, X86_EXC_UD);
        return 0;
    }
    if (pe_mode(c) && (v86_mode(c) || c->cpl != 0))
        cpu_raise_exception_err(c, X86_EXC_GP, 0);
    return 0;
}

/* CPUID: a Pentium Pro class processor with the features vx86 implements. */
HELPER(helper_cpuid)
{
    (void)a0; (void)a1; (void)a2; (void)a3;
    uint32_t leaf = (uint32_t)c->cpu.regs[R_RAX];
    uint32_t eax = 0, ebx = 0, ecx = 0, edx = 0;
    switch (leaf) {
    case 0:
        eax = 1;
        memcpy(&ebx, "Genu", 4);
        memcpy(&edx, "ineI", 4);
        memcpy(&ecx, "ntel", 4);
        break;
    case 1:
        eax = 0x00000611;            /* family 6, model 1, stepping 1 */
        ebx = 0x00010000;            /* APIC ID 0, one logical processor */
        edx = (1u << 0)   /* FPU */
            | (1u << 3)   /* PSE */
            | (1u << 4)   /* TSC */
            | (1u << 5)   /* MSR */
            | (1u << 6)   /* PAE */
            | (1u << 8)   /* CX8 */
            | (1u << 9)   /* APIC */
            | (1u << 11)  /* SEP */
            | (1u << 12)  /* MTRR (storage only) */
            | (1u << 13)  /* PGE */
            | (1u << 15)  /* CMOV */
            | (1u << 16)  /* PAT */
            | (1u << 24); /* FXSR */
        break;
    case 0x80000000:
        eax = 0x80000000;
        break;
    default:
        break;
    }
    c->cpu.regs[R_RAX] = eax;
    c->cpu.regs[R_RBX] = ebx;
    c->cpu.regs[R_RCX] = ecx;
    c->cpu.regs[R_RDX] = edx;
    return 0;
}

static uint64_t tsc_now(struct cpu_exec *c)
{
    return vclock_ns_to_ticks(vclock_now(&c->m->clock), BT_TSC_HZ) + c->cpu.msr.tsc;
}

HELPER(helper_rdtsc)
{
    (void)a0; (void)a1; (void)a2; (void)a3;
    if ((c->cpu.cr4 & X86_CR4_TSD) && pe_mode(c) && c->cpl != 0)
        cpu_raise_exception_err(c, X86_EXC_GP, 0);
    uint64_t t = tsc_now(c);
    c->cpu.regs[R_RAX] = (uint32_t)t;
    c->cpu.regs[R_RDX] = t >> 32;
    return 0;
}

HELPER(helper_rdtscp)
{
    (void)a0; (void)a1; (void)a2; (void)a3;
    cpu_raise_exception(c, X86_EXC_UD); /* not advertised */
}

/* MTRR MSRs are kept as storage: 0xfe capability, 0x200-0x20f variable
 * ranges, the fixed ranges, 0x2ff default type. */
static uint64_t *msr_slot(struct cpu_exec *c, uint32_t index)
{
    struct x86_msrs *m = &c->cpu.msr;
    static const uint32_t fixed[11] = { 0x250, 0x258, 0x259, 0x268, 0x269, 0x26a,
                                        0x26b, 0x26c, 0x26d, 0x26e, 0x26f };
    switch (index) {
    case 0x174: return &m->sysenter_cs;
    case 0x175: return &m->sysenter_esp;
    case 0x176: return &m->sysenter_eip;
    case 0x277: return &m->pat;
    case 0x1a0: return &m->misc_enable;
    case 0x2ff: return &m->mtrr_cap_def_type;
    default: break;
    }
    if (index >= 0x200 && index <= 0x20f)
        return &m->mtrr_var[index - 0x200];
    for (int i = 0; i < 11; i++)
        if (index == fixed[i])
            return &m->mtrr_fixed[i];
    return NULL;
}

HELPER(helper_rdmsr)
{
    (void)a0; (void)a1; (void)a2; (void)a3;
    if (pe_mode(c) && (v86_mode(c) || c->cpl))
        cpu_raise_exception_err(c, X86_EXC_GP, 0);
    uint32_t index = (uint32_t)c->cpu.regs[R_RCX];
    uint64_t v;
    uint64_t *slot = msr_slot(c, index);
    if (slot)
        v = *slot;
    else if (index == 0x10)
        v = tsc_now(c);
    else if (index == 0x1b)
        v = c->m->intc.get_apic_base ? c->m->intc.get_apic_base(c->m->intc.opaque) : c->cpu.apic_base;
    else if (index == 0xfe)
        v = 0x508; /* 8 variable ranges, fixed ranges, write-combining */
    else if (index == 0x8b || index == 0x17)
        v = 0;     /* microcode revision, platform id */
    else
        cpu_raise_exception_err(c, X86_EXC_GP, 0);
    c->cpu.regs[R_RAX] = (uint32_t)v;
    c->cpu.regs[R_RDX] = v >> 32;
    return 0;
}

HELPER(helper_wrmsr)
{
    (void)a0; (void)a1; (void)a2; (void)a3;
    if (pe_mode(c) && (v86_mode(c) || c->cpl))
        cpu_raise_exception_err(c, X86_EXC_GP, 0);
    uint32_t index = (uint32_t)c->cpu.regs[R_RCX];
    uint64_t v = (c->cpu.regs[R_RDX] << 32) | (uint32_t)c->cpu.regs[R_RAX];
    uint64_t *slot = msr_slot(c, index);
    if (slot)
        *slot = v;
    else if (index == 0x10)
        c->cpu.msr.tsc = v - vclock_ns_to_ticks(vclock_now(&c->m->clock), BT_TSC_HZ);
    else if (index == 0x1b) {
        c->cpu.apic_base = v;
        if (c->m->intc.set_apic_base)
            c->m->intc.set_apic_base(c->m->intc.opaque, v);
    } else if (index == 0x8b)
        ; /* microcode update signature: ignored */
    else
        cpu_raise_exception_err(c, X86_EXC_GP, 0);
    return 0;
}

HELPER(helper_hlt)
{
    (void)a1; (void)a2; (void)a3;
    if (pe_mode(c) && (v86_mode(c) || c->cpl))
        cpu_raise_exception_err(c, X86_EXC_GP, 0);
    c->cpu.rip = a0;
    c->cpu.halted = true;
    return 0;
}

HELPER(helper_pause)
{
    (void)c; (void)a0; (void)a1; (void)a2; (void)a3;
    return 0;
}

HELPER(helper_xgetbv)
{
    (void)a0; (void)a1; (void)a2; (void)a3;
    cpu_raise_exception(c, X86_EXC_UD); /* XSAVE is not advertised */
}

HELPER(helper_lxdt)
{
    (void)a3;
    bool m64 = (c->cpu.efer & X86_EFER_LMA) && (c->cpu.seg[S_CS].attr & SEG_ATTR_L);
    uint16_t limit = (uint16_t)mmu_load(c, a1, 2);
    uint64_t base = m64 ? mmu_load(c, a1 + 2, 8) : mmu_load(c, (a1 + 2) & 0xffffffffu, 4);
    if (!m64 && a2 == 2)
        base &= 0xffffff; /* 16-bit operand size loads 24 bits of base */
    struct x86_dtable *t = a0 ? &c->cpu.idtr : &c->cpu.gdtr;
    t->base = base;
    t->limit = limit;
    return 0;
}

HELPER(helper_sxdt)
{
    (void)a2; (void)a3;
    bool m64 = (c->cpu.efer & X86_EFER_LMA) && (c->cpu.seg[S_CS].attr & SEG_ATTR_L);
    const struct x86_dtable *t = a0 ? &c->cpu.idtr : &c->cpu.gdtr;
    mmu_store(c, a1, 2, t->limit);
    if (m64)
        mmu_store(c, a1 + 2, 8, t->base);
    else
        mmu_store(c, (a1 + 2) & 0xffffffffu, 4, t->base & 0xffffffffu);
    return 0;
}

static void cr0_write(struct cpu_exec *c, uint64_t v)
{
    uint64_t old = c->cpu.cr0;
    v |= X86_CR0_ET;
    if (v >> 32)
        cpu_raise_exception_err(c, X86_EXC_GP, 0);
    if ((v & X86_CR0_PG) && !(v & X86_CR0_PE))
        cpu_raise_exception_err(c, X86_EXC_GP, 0);
    if ((v & X86_CR0_NW) && !(v & X86_CR0_CD))
        cpu_raise_exception_err(c, X86_EXC_GP, 0);
    if ((v & X86_CR0_PG) && (c->cpu.efer & X86_EFER_LME) && !(c->cpu.cr4 & X86_CR4_PAE))
        cpu_raise_exception_err(c, X86_EXC_GP, 0);
    c->cpu.cr0 = v;
    if ((v & X86_CR0_PG) && (c->cpu.efer & X86_EFER_LME))
        c->cpu.efer |= X86_EFER_LMA;
    else if (!(v & X86_CR0_PG))
        c->cpu.efer &= ~(uint64_t)X86_EFER_LMA;
    if ((old ^ v) & (X86_CR0_PG | X86_CR0_WP | X86_CR0_PE))
        tlb_flush_all(c);
    if ((old ^ v) & X86_CR0_PE)
        cpu_exec_sync_from_state(c);
}

HELPER(helper_mov_to_cr)
{
    (void)a2; (void)a3;
    switch (a0) {
    case 0:
        cr0_write(c, a1);
        break;
    case 2:
        c->cpu.cr2 = a1;
        break;
    case 3:
        c->cpu.cr3 = a1;
        if (c->cpu.cr4 & X86_CR4_PGE)
            tlb_flush_nonglobal(c);
        else
            tlb_flush_all(c);
        break;
    case 4: {
        uint64_t allowed = X86_CR4_PSE | X86_CR4_PAE | X86_CR4_PGE | X86_CR4_PCE | X86_CR4_TSD |
                           X86_CR4_DE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT | X86_CR4_MCE;
        if (a1 & ~allowed)
            cpu_raise_exception_err(c, X86_EXC_GP, 0);
        uint64_t old = c->cpu.cr4;
        c->cpu.cr4 = a1;
        if ((old ^ a1) & (X86_CR4_PSE | X86_CR4_PAE | X86_CR4_PGE))
            tlb_flush_all(c);
        break;
    }
    case 8:
        if (c->m->intc.set_cr8)
            c->m->intc.set_cr8(c->m->intc.opaque, (uint8_t)(a1 & 0xf));
        break;
    default:
        cpu_raise_exception(c, X86_EXC_UD);
    }
    return 0;
}

HELPER(helper_mov_from_cr)
{
    (void)a1; (void)a2; (void)a3;
    switch (a0) {
    case 0: return c->cpu.cr0;
    case 2: return c->cpu.cr2;
    case 3: return c->cpu.cr3;
    case 4: return c->cpu.cr4;
    case 8: return c->m->intc.get_cr8 ? c->m->intc.get_cr8(c->m->intc.opaque) : 0;
    default: cpu_raise_exception(c, X86_EXC_UD);
    }
}

HELPER(helper_mov_to_dr)
{
    (void)a2; (void)a3;
    unsigned n = (unsigned)a0;
    if ((n == 4 || n == 5) && (c->cpu.cr4 & X86_CR4_DE))
        cpu_raise_exception(c, X86_EXC_UD);
    if (n == 4)
        n = 6;
    else if (n == 5)
        n = 7;
    if (n == 6)
        a1 = (a1 & 0xf00f) | 0xffff0ff0ull;
    else if (n == 7)
        a1 = (a1 & 0xffff2bffull) | 0x400;
    c->cpu.dr[n] = a1;
    return 0;
}

HELPER(helper_mov_from_dr)
{
    (void)a1; (void)a2; (void)a3;
    unsigned n = (unsigned)a0;
    if ((n == 4 || n == 5) && (c->cpu.cr4 & X86_CR4_DE))
        cpu_raise_exception(c, X86_EXC_UD);
    if (n == 4)
        n = 6;
    else if (n == 5)
        n = 7;
    return c->cpu.dr[n];
}

HELPER(helper_lmsw)
{
    (void)a1; (void)a2; (void)a3;
    /* LMSW sets PE but cannot clear it; it touches MP, EM, TS too. */
    uint64_t v = (c->cpu.cr0 & ~0xeull) | (a0 & 0xf) | (c->cpu.cr0 & X86_CR0_PE);
    cr0_write(c, v);
    return 0;
}

HELPER(helper_smsw)
{
    (void)a0; (void)a1; (void)a2; (void)a3;
    return c->cpu.cr0 & 0xffffffffu;
}

HELPER(helper_clts)
{
    (void)a0; (void)a1; (void)a2; (void)a3;
    c->cpu.cr0 &= ~(uint64_t)X86_CR0_TS;
    return 0;
}

HELPER(helper_invlpg)
{
    (void)a1; (void)a2; (void)a3;
    tlb_flush_page(c, a0);
    return 0;
}

/* a3 = 0: a1 is the linear address of the bounds pair; a3 = 1: a1 holds
 * the pair itself, lower bound in the low half (already loaded). */
HELPER(helper_bound)
{
    unsigned size = (unsigned)a2;
    int64_t idx, lo, hi;
    if (a3) {
        idx = size == 2 ? (int16_t)a0 : (int32_t)a0;
        lo = size == 2 ? (int16_t)a1 : (int32_t)a1;
        hi = size == 2 ? (int16_t)(a1 >> 16) : (int32_t)(a1 >> 32);
    } else if (size == 2) {
        idx = (int16_t)a0;
        lo = (int16_t)mmu_load(c, a1, 2);
        hi = (int16_t)mmu_load(c, (a1 + 2) & 0xffffffffu, 2);
    } else {
        idx = (int32_t)a0;
        lo = (int32_t)mmu_load(c, a1, 4);
        hi = (int32_t)mmu_load(c, (a1 + 4) & 0xffffffffu, 4);
    }
    if (idx < lo || idx > hi)
        cpu_raise_exception(c, X86_EXC_BR);
    return 0;
}

/* linear, size: a load with write intent (cpu/helpers_int.c; belongs in
 * cpu/helpers.h). */

/* ENTER: builds the frame in a scratch copy of RSP/RBP first, writing the
 * registers only when every push has succeeded. */
HELPER(helper_enter)
{
    (void)a3;
    unsigned size = (unsigned)a2;
    unsigned level = (unsigned)a1 & 31;
    bool m64 = (c->cpu.efer & X86_EFER_LMA) && (c->cpu.seg[S_CS].attr & SEG_ATTR_L);
    unsigned ss_size = m64 ? 8 : (c->cpu.seg[S_SS].attr & SEG_ATTR_DB) && pe_mode(c) && !v86_mode(c) ? 4 : 2;
    uint64_t smask = ss_size == 8 ? ~0ull : ss_size == 4 ? 0xffffffffull : 0xffff;
    uint64_t sp = c->cpu.regs[R_RSP], bp = c->cpu.regs[R_RBP];
    sp = (sp - size) & smask;
    mmu_store(c, mmu_seg_linear(c, S_SS, sp, size, MMU_WRITE), size, bp);
    uint64_t frame = sp;
    if (level) {
        uint64_t b = bp;
        for (unsigned i = 1; i < level; i++) {
            b = (b - size) & smask;
            uint64_t v = mmu_load(c, mmu_seg_linear(c, S_SS, b, size, MMU_READ), size);
            sp = (sp - size) & smask;
            mmu_store(c, mmu_seg_linear(c, S_SS, sp, size, MMU_WRITE), size, v);
        }
        sp = (sp - size) & smask;
        mmu_store(c, mmu_seg_linear(c, S_SS, sp, size, MMU_WRITE), size, frame);
    }
    sp = (sp - a0) & smask;
    /* The frame must be writable down to the new stack pointer: a write
     * check at it, after the pushes and before RSP/RBP change. */
    helper_ld_rmw(c, mmu_seg_linear(c, S_SS, sp, 1, MMU_WRITE), 1, 0, 0);
    uint64_t *rsp = &c->cpu.regs[R_RSP], *rbp = &c->cpu.regs[R_RBP];
    if (ss_size == 2)
        *rsp = (*rsp & ~0xffffull) | sp;
    else
        *rsp = sp;
    if (size == 2)
        *rbp = (*rbp & ~0xffffull) | (frame & 0xffff);
    else
        *rbp = frame;
    return 0;
}

HELPER(helper_sysenter)
{
    (void)a0; (void)a1; (void)a2; (void)a3;
    uint16_t cs = (uint16_t)c->cpu.msr.sysenter_cs;
    if (!pe_mode(c) || !(cs & 0xfffc))
        cpu_raise_exception_err(c, X86_EXC_GP, 0);
    cpu_exec_flush_flags(c);
    c->cpu.rflags &= ~(uint64_t)(X86_FLAG_VM | X86_FLAG_IF | X86_FLAG_RF);
    cpu_seg_load_flat32(&c->cpu.seg[S_CS], cs & 0xfffc, 0xb);
    cpu_seg_load_flat32(&c->cpu.seg[S_SS], (cs + 8) & 0xfffc, 0x3);
    c->cpu.rip = (uint32_t)c->cpu.msr.sysenter_eip;
    c->cpu.regs[R_RSP] = (uint32_t)c->cpu.msr.sysenter_esp;
    cpu_exec_sync_from_state(c);
    return 0;
}

HELPER(helper_sysexit)
{
    (void)a0; (void)a1; (void)a2; (void)a3;
    uint16_t cs = (uint16_t)c->cpu.msr.sysenter_cs;
    if (!pe_mode(c) || v86_mode(c) || c->cpl != 0 || !(cs & 0xfffc))
        cpu_raise_exception_err(c, X86_EXC_GP, 0);
    cpu_seg_load_flat32(&c->cpu.seg[S_CS], (uint16_t)((cs + 16) | 3), 0xb);
    c->cpu.seg[S_CS].attr |= 3 << SEG_ATTR_DPL_SHIFT;
    cpu_seg_load_flat32(&c->cpu.seg[S_SS], (uint16_t)((cs + 24) | 3), 0x3);
    c->cpu.seg[S_SS].attr |= 3 << SEG_ATTR_DPL_SHIFT;
    c->cpu.rip = (uint32_t)c->cpu.regs[R_RDX];
    c->cpu.regs[R_RSP] = (uint32_t)c->cpu.regs[R_RCX];
    cpu_exec_sync_from_state(c);
    return 0;
}

/* Long-mode instructions: not available until long mode is (issue 4). */
HELPER(helper_syscall) { (void)a0; (void)a1; (void)a2; (void)a3; cpu_raise_exception(c, X86_EXC_UD); }
HELPER(helper_sysret) { (void)a0; (void)a1; (void)a2; (void)a3; cpu_raise_exception(c, X86_EXC_UD); }
HELPER(helper_swapgs) { (void)a0; (void)a1; (void)a2; (void)a3; cpu_raise_exception(c, X86_EXC_UD); }
