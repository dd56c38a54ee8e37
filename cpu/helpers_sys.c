/* System-level helpers: CPUID (advertising only what vx86 implements), the
 * time stamp counter, MSRs, HLT, control and debug registers, descriptor
 * table registers, TLB maintenance, BOUND, ENTER, and the fast system calls
 * (SYSENTER/SYSEXIT, SYSCALL/SYSRET, SWAPGS). */
#include <string.h>

#include "cpu/exception.h"
#include "cpu/helpers.h"
#include "cpu/segment.h"
#include "hw/machine.h"
#include "softmmu/mmu.h"
#include "softmmu/mmu_internal.h"

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

/* CPUID. The processor vx86 presents is one identity throughout: family 6,
 * model 0x1c, stepping 10 (the 64-bit Atom D510 signature), with only the
 * features vx86 implements. An in-order Atom is also what Linux lists as
 * free of speculative-execution flaws, so a guest turns on no page-table
 * isolation or other mitigation (each kernel entry reloading CR3 would
 * empty the soft TLB every system call). */
#define CPUID_SIGNATURE    0x000106cau
#define CPUID_MAX_BASIC    0xdu
#define CPUID_MAX_EXTENDED 0x80000008u
#define CPUID_LINEAR_BITS  48u

/* IA32_MISC_ENABLE bits with an effect here. */
#define MISC_ENABLE_FAST_STRING   (1ull << 0)
#define MISC_ENABLE_BTS_UNAVAIL   (1ull << 11)
#define MISC_ENABLE_PEBS_UNAVAIL  (1ull << 12)
#define MISC_ENABLE_LIMIT_CPUID   (1ull << 22)
#define MISC_ENABLE_XD_DISABLE    (1ull << 34)
#define MISC_ENABLE_WRITABLE (MISC_ENABLE_FAST_STRING | MISC_ENABLE_LIMIT_CPUID | MISC_ENABLE_XD_DISABLE)
#define MISC_ENABLE_READ_ONE (MISC_ENABLE_BTS_UNAVAIL | MISC_ENABLE_PEBS_UNAVAIL)

/* Physical-address bits the MSRs that hold addresses accept (MTRRs, APIC
 * base): the page walker's MAXPHYADDR, which CPUID.80000008H reports. */
#define PHYS_ADDR_MASK ((1ull << MMU_PHYS_ADDR_BITS) - 1)

static uint64_t apic_base_get(struct cpu_exec *c)
{
    return c->m->intc.get_apic_base ? c->m->intc.get_apic_base(c->m->intc.opaque) : c->cpu.apic_base;
}

/* CPUID.4: deterministic cache parameters, also what leaf 2's 0xff
 * descriptor sends software to. 64-byte lines, 8 ways, one core. */
static const uint32_t cpuid_caches[3][4] = {
    { 0x121, 0x01c0003f, 63, 0 },    /* L1 data, 32 KiB */
    { 0x122, 0x01c0003f, 63, 0 },    /* L1 instruction, 32 KiB */
    { 0x143, 0x01c0003f, 1023, 0 },  /* L2 unified, 512 KiB */
};

static void cpuid_query(struct cpu_exec *c, uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    /* MMX, SSE to SSE4.2, POPCNT, MOVBE and XSAVE (cpu/helpers_sse.c and
     * cpu/sse_*.c); OSXSAVE follows CR4.OSXSAVE. */
    const uint32_t cpuid_sse_features_edx = (1u << 23)   /* MMX */
                                          | (1u << 25)   /* SSE */
                                          | (1u << 26);  /* SSE2 */
    const uint32_t cpuid_sse_features_ecx = (1u << 0)    /* SSE3 */
                                          | (1u << 9)    /* SSSE3 */
                                          | (1u << 19)   /* SSE4.1 */
                                          | (1u << 20)   /* SSE4.2 */
                                          | (1u << 22)   /* MOVBE */
                                          | (1u << 23)   /* POPCNT */
                                          | (1u << 26)   /* XSAVE */
                                          | ((c->cpu.cr4 & X86_CR4_OSXSAVE) ? 1u << 27 : 0);
    static const char brand[48] = "vx86 virtual CPU";

    const uint64_t misc = c->cpu.msr.misc_enable;
    const uint32_t max_basic = (misc & MISC_ENABLE_LIMIT_CPUID) ? 2 : CPUID_MAX_BASIC;
    /* Intel: a leaf above the highest basic or extended one answers as
     * the highest basic leaf. */
    if (leaf >= 0x80000000u ? leaf > CPUID_MAX_EXTENDED : leaf > max_basic)
        leaf = max_basic;
    r[0] = r[1] = r[2] = r[3] = 0;
    switch (leaf) {
    case 0:
        r[0] = max_basic;
        memcpy(&r[1], "Genu", 4);
        memcpy(&r[3], "ineI", 4);
        memcpy(&r[2], "ntel", 4);
        break;
    case 1:
        r[0] = CPUID_SIGNATURE;
        r[1] = (8u << 8)      /* CLFLUSH line: 8 quadwords */
             | (1u << 16);    /* one logical processor; APIC ID 0 */
        r[2] = (1u << 13)     /* CMPXCHG16B */
             | cpuid_sse_features_ecx;
        r[3] = (1u << 0)      /* FPU */
             | (1u << 3)      /* PSE */
             | (1u << 4)      /* TSC */
             | (1u << 5)      /* MSR */
             | (1u << 6)      /* PAE */
             | (1u << 8)      /* CX8 */
             | (1u << 11)     /* SYSENTER/SYSEXIT */
             | (1u << 12)     /* MTRR (storage only) */
             | (1u << 13)     /* PGE */
             | (1u << 15)     /* CMOV */
             | (1u << 16)     /* PAT (storage only) */
             | (1u << 17)     /* PSE-36 */
             | (1u << 19)     /* CLFLUSH */
             | (1u << 24)     /* FXSAVE/FXRSTOR */
             | cpuid_sse_features_edx;
        /* The APIC flag follows the APIC's global enable. */
        if (apic_base_get(c) & X86_APIC_BASE_ENABLE)
            r[3] |= 1u << 9;
        break;
    case 2:
        r[0] = 0x0000ff01;    /* one round; descriptor 0xff: see leaf 4 */
        break;
    case 4:
        if (sub < 3)
            memcpy(r, cpuid_caches[sub], sizeof(cpuid_caches[sub]));
        break;
    case 0xd:
        /* XSAVE: the x87 and SSE components in the 512-byte legacy area
         * plus the 64-byte header; no XSAVEOPT, XSAVEC or XSAVES. */
        if (sub == 0) {
            r[0] = 3;
            r[1] = 576;   /* for the features XCR0 enables: both are in the legacy area */
            r[2] = 576;
        }
        break;
    /* 3 (serial number), 5 (MONITOR), 6 (power), 7 (structured extended
     * features: no bit yet), 0xa (no performance counters) and 0xb
     * (topology: EBX = 0 says "not enumerated") are zero. */
    case 0x80000000:
        r[0] = CPUID_MAX_EXTENDED;
        break;
    case 0x80000001:
        r[2] = 1u << 0;       /* LAHF/SAHF in 64-bit mode */
        r[3] = (1u << 26)     /* 1 GiB pages */
             | (1u << 27)     /* RDTSCP, IA32_TSC_AUX */
             | (1u << 29);    /* long mode */
        /* Intel reports SYSCALL only in IA-32e mode, where it exists. */
        if (c->cpu.efer & X86_EFER_LMA)
            r[3] |= 1u << 11;
        if (!(misc & MISC_ENABLE_XD_DISABLE))
            r[3] |= 1u << 20; /* execute disable */
        break;
    case 0x80000002: case 0x80000003: case 0x80000004:
        memcpy(r, brand + (leaf - 0x80000002u) * 16, 16);
        break;
    case 0x80000006:
        r[2] = (512u << 16) | (6u << 12) | 64u; /* L2: 512 KiB, 8 ways, 64-byte lines */
        break;
    case 0x80000007:
        r[3] = 1u << 8;       /* invariant TSC: it counts virtual time */
        break;
    case 0x80000008:
        r[0] = MMU_PHYS_ADDR_BITS | (CPUID_LINEAR_BITS << 8);
        break;
    default:
        break;
    }
}

HELPER(helper_cpuid)
{
    (void)a0; (void)a1; (void)a2; (void)a3;
    uint32_t r[4];
    cpuid_query(c, (uint32_t)c->cpu.regs[R_RAX], (uint32_t)c->cpu.regs[R_RCX], r);
    c->cpu.regs[R_RAX] = r[0];
    c->cpu.regs[R_RBX] = r[1];
    c->cpu.regs[R_RCX] = r[2];
    c->cpu.regs[R_RDX] = r[3];
    return 0;
}

static uint64_t tsc_now(struct cpu_exec *c)
{
    return vclock_ns_to_ticks(vclock_now(&c->m->clock), BT_TSC_HZ) + c->cpu.msr.tsc;
}

static void tsc_check_access(struct cpu_exec *c)
{
    if ((c->cpu.cr4 & X86_CR4_TSD) && pe_mode(c) && c->cpl != 0)
        cpu_raise_exception_err(c, X86_EXC_GP, 0);
}

HELPER(helper_rdtsc)
{
    (void)a0; (void)a1; (void)a2; (void)a3;
    tsc_check_access(c);
    uint64_t t = tsc_now(c);
    c->cpu.regs[R_RAX] = (uint32_t)t;
    c->cpu.regs[R_RDX] = t >> 32;
    return 0;
}

HELPER(helper_rdtscp)
{
    (void)a0; (void)a1; (void)a2; (void)a3;
    tsc_check_access(c);
    uint64_t t = tsc_now(c);
    c->cpu.regs[R_RAX] = (uint32_t)t;
    c->cpu.regs[R_RDX] = t >> 32;
    c->cpu.regs[R_RCX] = (uint32_t)c->cpu.msr.tsc_aux;
    return 0;
}

/* MSR numbers (SDM vol. 4). */
enum {
    MSR_TSC = 0x10,
    MSR_PLATFORM_ID = 0x17,
    MSR_APIC_BASE = 0x1b,
    MSR_BIOS_SIGN_ID = 0x8b,
    MSR_MTRRCAP = 0xfe,
    MSR_SYSENTER_CS = 0x174,
    MSR_SYSENTER_ESP = 0x175,
    MSR_SYSENTER_EIP = 0x176,
    MSR_MISC_ENABLE = 0x1a0,
    MSR_MTRR_VAR_FIRST = 0x200,   /* PHYSBASE0, PHYSMASK0, ... PHYSMASK7 */
    MSR_MTRR_VAR_LAST = 0x20f,
    MSR_PAT = 0x277,
    MSR_MTRR_DEF_TYPE = 0x2ff,
    MSR_EFER = 0xc0000080,
    MSR_STAR = 0xc0000081,
    MSR_LSTAR = 0xc0000082,
    MSR_CSTAR = 0xc0000083,
    MSR_FMASK = 0xc0000084,
    MSR_FS_BASE = 0xc0000100,
    MSR_GS_BASE = 0xc0000101,
    MSR_KERNEL_GS_BASE = 0xc0000102,
    MSR_TSC_AUX = 0xc0000103,
};

static const uint32_t msr_mtrr_fixed[11] = { 0x250, 0x258, 0x259, 0x268, 0x269, 0x26a,
                                             0x26b, 0x26c, 0x26d, 0x26e, 0x26f };

static int mtrr_fixed_index(uint32_t index)
{
    for (int i = 0; i < 11; i++)
        if (index == msr_mtrr_fixed[i])
            return i;
    return -1;
}

/* Memory types an MTRR may hold: UC, WC, WT, WP, WB. */
static bool mtrr_type_valid(uint64_t t)
{
    return t == 0 || t == 1 || t == 4 || t == 5 || t == 6;
}

/* Eight packed types, one per byte: fixed-range MTRRs and (with UC-, 7,
 * also valid) the PAT. */
static bool types_valid(uint64_t v, bool pat)
{
    for (unsigned i = 0; i < 8; i++) {
        uint64_t t = (v >> (i * 8)) & 0xff;
        if (!mtrr_type_valid(t) && !(pat && t == 7))
            return false;
    }
    return true;
}

/* RDMSR: false for an MSR this processor does not have (#GP(0)). */
static bool msr_read(struct cpu_exec *c, uint32_t index, uint64_t *v)
{
    const struct x86_msrs *m = &c->cpu.msr;
    switch (index) {
    case MSR_TSC: *v = tsc_now(c); return true;
    case MSR_PLATFORM_ID: *v = 0; return true;
    case MSR_APIC_BASE: *v = apic_base_get(c); return true;
    case MSR_BIOS_SIGN_ID: *v = 0; return true;   /* no microcode loaded */
    case MSR_MTRRCAP: *v = 0x508; return true;    /* 8 variable ranges, fixed ranges, WC */
    case MSR_SYSENTER_CS: *v = m->sysenter_cs; return true;
    case MSR_SYSENTER_ESP: *v = m->sysenter_esp; return true;
    case MSR_SYSENTER_EIP: *v = m->sysenter_eip; return true;
    case MSR_MISC_ENABLE: *v = m->misc_enable | MISC_ENABLE_READ_ONE; return true;
    case MSR_PAT: *v = m->pat; return true;
    case MSR_MTRR_DEF_TYPE: *v = m->mtrr_cap_def_type; return true;
    case MSR_EFER: *v = c->cpu.efer; return true;
    case MSR_STAR: *v = m->star; return true;
    case MSR_LSTAR: *v = m->lstar; return true;
    case MSR_CSTAR: *v = m->cstar; return true;
    case MSR_FMASK: *v = m->fmask; return true;
    case MSR_FS_BASE: *v = c->cpu.seg[S_FS].base; return true;
    case MSR_GS_BASE: *v = c->cpu.seg[S_GS].base; return true;
    case MSR_KERNEL_GS_BASE: *v = m->kernel_gs_base; return true;
    case MSR_TSC_AUX: *v = m->tsc_aux; return true;
    default: break;
    }
    if (index >= MSR_MTRR_VAR_FIRST && index <= MSR_MTRR_VAR_LAST) {
        *v = m->mtrr_var[index - MSR_MTRR_VAR_FIRST];
        return true;
    }
    int fx = mtrr_fixed_index(index);
    if (fx >= 0) {
        *v = m->mtrr_fixed[fx];
        return true;
    }
    return false;
}

/* EFER: SCE, LME and NXE are writable, LMA follows CR0.PG and writes to it
 * are ignored; LME cannot change while paging is on. */
static bool efer_write(struct cpu_exec *c, uint64_t v)
{
    uint64_t writable = X86_EFER_SCE | X86_EFER_LME;
    if (!(c->cpu.msr.misc_enable & MISC_ENABLE_XD_DISABLE))
        writable |= X86_EFER_NXE;
    uint64_t old = c->cpu.efer;
    if (v & ~(writable | X86_EFER_LMA))
        return false;
    if (((v ^ old) & X86_EFER_LME) && (c->cpu.cr0 & X86_CR0_PG))
        return false;
    v = (v & writable) | (old & X86_EFER_LMA);
    c->cpu.efer = v;
    /* Cached translations were permitted or refused with the old NX rule. */
    if ((v ^ old) & X86_EFER_NXE)
        tlb_flush_all(c);
    return true;
}

/* WRMSR: false raises #GP(0) (no such MSR, a reserved bit, a non-canonical
 * address, a read-only MSR). */
static bool msr_write(struct cpu_exec *c, uint32_t index, uint64_t v)
{
    struct x86_msrs *m = &c->cpu.msr;
    switch (index) {
    case MSR_TSC:
        m->tsc = v - vclock_ns_to_ticks(vclock_now(&c->m->clock), BT_TSC_HZ);
        return true;
    case MSR_APIC_BASE:
        /* No x2APIC (bit 10); the base must lie within MAXPHYADDR. */
        if (v & ~(X86_APIC_BASE_BSP | X86_APIC_BASE_ENABLE | (PHYS_ADDR_MASK & ~0xfffull)))
            return false;
        c->cpu.apic_base = v;
        if (c->m->intc.set_apic_base)
            c->m->intc.set_apic_base(c->m->intc.opaque, v);
        return true;
    case MSR_BIOS_SIGN_ID:
        return true;  /* software writes 0 before CPUID to read the revision */
    case MSR_SYSENTER_CS:
        m->sysenter_cs = v;
        return true;
    case MSR_SYSENTER_ESP:
    case MSR_SYSENTER_EIP:
        if (!addr_canonical(v))
            return false;
        *(index == MSR_SYSENTER_ESP ? &m->sysenter_esp : &m->sysenter_eip) = v;
        return true;
    case MSR_MISC_ENABLE:
        if (v & ~(MISC_ENABLE_WRITABLE | MISC_ENABLE_READ_ONE))
            return false;
        m->misc_enable = v & MISC_ENABLE_WRITABLE;
        if (m->misc_enable & MISC_ENABLE_XD_DISABLE) {
            if (c->cpu.efer & X86_EFER_NXE)
                tlb_flush_all(c);
            c->cpu.efer &= ~(uint64_t)X86_EFER_NXE;
        }
        return true;
    case MSR_PAT:
        if (!types_valid(v, true))
            return false;
        m->pat = v;
        return true;
    case MSR_MTRR_DEF_TYPE:
        /* type (7:0), fixed-range enable (10), enable (11) */
        if ((v & ~0xcffull) || !mtrr_type_valid(v & 0xff))
            return false;
        m->mtrr_cap_def_type = v;
        return true;
    case MSR_EFER:
        return efer_write(c, v);
    case MSR_STAR:
        m->star = v;
        return true;
    case MSR_LSTAR:
    case MSR_CSTAR:
        if (!addr_canonical(v))
            return false;
        *(index == MSR_LSTAR ? &m->lstar : &m->cstar) = v;
        return true;
    case MSR_FMASK:
        if (v >> 32)
            return false;
        m->fmask = v;
        return true;
    case MSR_FS_BASE:
    case MSR_GS_BASE:
        if (!addr_canonical(v))
            return false;
        c->cpu.seg[index == MSR_FS_BASE ? S_FS : S_GS].base = v;
        return true;
    case MSR_KERNEL_GS_BASE:
        if (!addr_canonical(v))
            return false;
        m->kernel_gs_base = v;
        return true;
    case MSR_TSC_AUX:
        if (v >> 32)
            return false;
        m->tsc_aux = v;
        return true;
    default:
        break;
    }
    if (index >= MSR_MTRR_VAR_FIRST && index <= MSR_MTRR_VAR_LAST) {
        uint64_t addr = PHYS_ADDR_MASK & ~0xfffull;
        bool is_mask = (index - MSR_MTRR_VAR_FIRST) & 1;
        /* PHYSBASE: address and type; PHYSMASK: address and valid (11). */
        if (is_mask ? (v & ~(addr | 0x800)) : ((v & ~(addr | 0xff)) || !mtrr_type_valid(v & 0xff)))
            return false;
        m->mtrr_var[index - MSR_MTRR_VAR_FIRST] = v;
        return true;
    }
    int fx = mtrr_fixed_index(index);
    if (fx >= 0) {
        if (!types_valid(v, false))
            return false;
        m->mtrr_fixed[fx] = v;
        return true;
    }
    return false;  /* absent, or read-only (MTRRCAP, PLATFORM_ID) */
}

/* RDPMC: CR4.PCE lets CPL 3 (and virtual-8086 mode) read the counters;
 * then the index must name one, and CPUID.0AH enumerates none, so every
 * index is invalid: #GP(0) either way, as a processor without counters
 * gives. Declared for the translator's RDPMC case (which still raises #UD:
 * cpu/helpers.h and translator/xlat_system.c are not this file's). */
HELPER(helper_rdpmc)
{
    (void)a0; (void)a1; (void)a2; (void)a3;
    if (!(c->cpu.cr4 & X86_CR4_PCE) && pe_mode(c) && (v86_mode(c) || c->cpl != 0))
        cpu_raise_exception_err(c, X86_EXC_GP, 0);
    cpu_raise_exception_err(c, X86_EXC_GP, 0);  /* no counter has this index */
}

HELPER(helper_rdmsr)
{
    (void)a0; (void)a1; (void)a2; (void)a3;
    if (pe_mode(c) && (v86_mode(c) || c->cpl))
        cpu_raise_exception_err(c, X86_EXC_GP, 0);
    uint64_t v;
    if (!msr_read(c, (uint32_t)c->cpu.regs[R_RCX], &v))
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
    uint64_t v = (c->cpu.regs[R_RDX] << 32) | (uint32_t)c->cpu.regs[R_RAX];
    if (!msr_write(c, (uint32_t)c->cpu.regs[R_RCX], v))
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
    bool activate_ia32e = (v & X86_CR0_PG) && !(old & X86_CR0_PG) && (c->cpu.efer & X86_EFER_LME);
    if (activate_ia32e && (!(c->cpu.cr4 & X86_CR4_PAE) || (c->cpu.seg[S_CS].attr & SEG_ATTR_L)))
        cpu_raise_exception_err(c, X86_EXC_GP, 0);
    /* Long mode is left from compatibility mode only. */
    if (!(v & X86_CR0_PG) && cpu_code64(c))
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

/* CR4 bits this processor has: no VME/PVI, UMIP, LA57, VMX, FSGSBASE,
 * PCID, OSXSAVE (until XSAVE is advertised), SMEP or SMAP. */
#define CR4_VALID (X86_CR4_TSD | X86_CR4_DE | X86_CR4_PSE | X86_CR4_PAE | X86_CR4_MCE | \
                   X86_CR4_PGE | X86_CR4_PCE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT | \
                   X86_CR4_OSXSAVE)

static void cr4_write(struct cpu_exec *c, uint64_t v)
{
    if (v & ~(uint64_t)CR4_VALID)
        cpu_raise_exception_err(c, X86_EXC_GP, 0);
    /* IA-32e mode needs PAE paging for as long as it is active. */
    if ((c->cpu.efer & X86_EFER_LMA) && !(v & X86_CR4_PAE))
        cpu_raise_exception_err(c, X86_EXC_GP, 0);
    uint64_t old = c->cpu.cr4;
    c->cpu.cr4 = v;
    if ((old ^ v) & (X86_CR4_PSE | X86_CR4_PAE | X86_CR4_PGE))
        tlb_flush_all(c);
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
        /* In IA-32e mode bits above MAXPHYADDR are reserved (bit 63 too:
         * it is the no-flush bit of PCID, which is not offered). */
        if ((c->cpu.efer & X86_EFER_LMA) && (a1 & ~PHYS_ADDR_MASK))
            cpu_raise_exception_err(c, X86_EXC_GP, 0);
        c->cpu.cr3 = a1;
        if (c->cpu.cr4 & X86_CR4_PGE)
            tlb_flush_nonglobal(c);
        else
            tlb_flush_all(c);
        break;
    case 4:
        cr4_write(c, a1);
        break;
    case 8:
        /* The task priority in bits 3:0; the rest is reserved. The local
         * APIC owns the value (its TPR); without one it is kept here. */
        if (a1 & ~0xfull)
            cpu_raise_exception_err(c, X86_EXC_GP, 0);
        if (c->m->intc.set_cr8)
            c->m->intc.set_cr8(c->m->intc.opaque, (uint8_t)a1);
        else
            c->cpu.cr8 = a1;
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
    case 8: return c->m->intc.get_cr8 ? c->m->intc.get_cr8(c->m->intc.opaque) : c->cpu.cr8;
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

/* The fixed code and stack segments SYSENTER, SYSEXIT, SYSCALL and SYSRET
 * load: base 0, 4 GiB, present, accessed; a 64-bit code segment has L set
 * and D clear. */
static void fast_seg(struct x86_segment *s, uint16_t sel, bool code, bool code64, unsigned dpl)
{
    s->selector = sel;
    s->base = 0;
    s->limit = 0xffffffffu;
    s->attr = (uint16_t)(SEG_ATTR_P | SEG_ATTR_S | SEG_ATTR_G | (dpl << SEG_ATTR_DPL_SHIFT) |
                         (code ? 0xb : 0x3) | (code64 ? SEG_ATTR_L : SEG_ATTR_DB));
    s->unusable = false;
}

static void fast_switch(struct cpu_exec *c, uint16_t cs_sel, uint16_t ss_sel, bool code64,
                        unsigned cpl)
{
    struct x86_segment cs, ss;
    fast_seg(&cs, cs_sel, true, code64, cpl);
    fast_seg(&ss, ss_sel, false, false, cpl);
    seg_set(c, S_CS, &cs);
    seg_set(c, S_SS, &ss);
    seg_set_cpl(c, cpl);
}

/* SYSENTER as Intel processors do it, also from compatibility and 64-bit
 * mode: IA-32e mode enters 64-bit code at the full IA32_SYSENTER_EIP/ESP. */
HELPER(helper_sysenter)
{
    (void)a0; (void)a1; (void)a2; (void)a3;
    uint16_t cs = (uint16_t)c->cpu.msr.sysenter_cs & 0xfffc;
    if (!pe_mode(c) || !cs)
        cpu_raise_exception_err(c, X86_EXC_GP, 0);
    bool ia32e = c->cpu.efer & X86_EFER_LMA;
    cpu_exec_flush_flags(c);
    c->cpu.rflags &= ~(uint64_t)(X86_FLAG_VM | X86_FLAG_IF | X86_FLAG_RF);
    fast_switch(c, cs, (uint16_t)(cs + 8), ia32e, 0);
    c->cpu.rip = ia32e ? c->cpu.msr.sysenter_eip : (uint32_t)c->cpu.msr.sysenter_eip;
    c->cpu.regs[R_RSP] = ia32e ? c->cpu.msr.sysenter_esp : (uint32_t)c->cpu.msr.sysenter_esp;
    return 0;
}

/* a0: operand size; 8 (REX.W) returns to 64-bit code at RDX with RSP = RCX,
 * which must be canonical. */
HELPER(helper_sysexit)
{
    (void)a1; (void)a2; (void)a3;
    uint16_t cs = (uint16_t)c->cpu.msr.sysenter_cs;
    if (!pe_mode(c) || v86_mode(c) || c->cpl != 0 || !(cs & 0xfffc))
        cpu_raise_exception_err(c, X86_EXC_GP, 0);
    bool to64 = a0 == 8;
    uint64_t rip = c->cpu.regs[R_RDX], rsp = c->cpu.regs[R_RCX];
    if (to64 && (!addr_canonical(rip) || !addr_canonical(rsp)))
        cpu_raise_exception_err(c, X86_EXC_GP, 0);
    uint16_t new_cs = (uint16_t)((cs + (to64 ? 32 : 16)) | 3);
    fast_switch(c, new_cs, (uint16_t)(new_cs + 8), to64, 3);
    c->cpu.rip = to64 ? rip : (uint32_t)rip;
    c->cpu.regs[R_RSP] = to64 ? rsp : (uint32_t)rsp;
    return 0;
}

/* SYSCALL and SYSRET exist in 64-bit mode only on Intel processors (AMD
 * also runs them in compatibility and legacy mode), with EFER.SCE set. */
static void syscall_check(struct cpu_exec *c)
{
    if (!cpu_code64(c) || !(c->cpu.efer & X86_EFER_SCE))
        cpu_raise_exception(c, X86_EXC_UD);
}

/* a0: the next instruction's RIP, saved in RCX. */
HELPER(helper_syscall)
{
    (void)a1; (void)a2; (void)a3;
    syscall_check(c);
    cpu_exec_flush_flags(c);
    uint16_t cs = (uint16_t)(c->cpu.msr.star >> 32) & 0xfffc;
    c->cpu.regs[R_RCX] = a0;
    c->cpu.regs[R_R11] = c->cpu.rflags & ~(uint64_t)X86_FLAG_RF;
    c->cpu.rflags = (c->cpu.rflags & ~(c->cpu.msr.fmask | X86_FLAG_RF)) | X86_FLAG_FIXED;
    fast_switch(c, cs, (uint16_t)(cs + 8), true, 0);
    c->cpu.rip = c->cpu.msr.lstar;
    return 0;
}

/* a0: operand size; 8 (REX.W) returns to 64-bit code at RCX, otherwise to
 * compatibility mode at ECX. A non-canonical RCX faults here, at CPL 0 and
 * before anything changes, as on Intel processors. */
HELPER(helper_sysret)
{
    (void)a1; (void)a2; (void)a3;
    syscall_check(c);
    if (c->cpl != 0)
        cpu_raise_exception_err(c, X86_EXC_GP, 0);
    bool to64 = a0 == 8;
    uint64_t rip = c->cpu.regs[R_RCX];
    if (to64 && !addr_canonical(rip))
        cpu_raise_exception_err(c, X86_EXC_GP, 0);
    uint16_t base = (uint16_t)(c->cpu.msr.star >> 48);
    cpu_exec_flush_flags(c);
    /* RF and VM cleared, reserved bits cleared, bit 1 set. */
    c->cpu.rflags = (c->cpu.regs[R_R11] & 0x3c7fd7ull) | X86_FLAG_FIXED;
    fast_switch(c, (uint16_t)((to64 ? base + 16 : base) | 3), (uint16_t)((base + 8) | 3), to64, 3);
    c->cpu.rip = to64 ? rip : (uint32_t)rip;
    return 0;
}

HELPER(helper_swapgs)
{
    (void)a0; (void)a1; (void)a2; (void)a3;
    if (!cpu_code64(c))
        cpu_raise_exception(c, X86_EXC_UD);
    if (c->cpl != 0)
        cpu_raise_exception_err(c, X86_EXC_GP, 0);
    uint64_t t = c->cpu.seg[S_GS].base;
    c->cpu.seg[S_GS].base = c->cpu.msr.kernel_gs_base;
    c->cpu.msr.kernel_gs_base = t;
    return 0;
}
