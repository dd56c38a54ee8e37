/* Unit tests for long mode in the bt engine's system helpers: CPUID's
 * identity and feature bits, the long-mode MSRs and their #GP rules, RDTSCP,
 * SYSCALL/SYSRET, SWAPGS, SYSENTER/SYSEXIT in IA-32e mode, the control
 * register checks of IA-32e mode, CMPXCHG16B, and what segment loads and
 * returns to CPL 3 do to the FS/GS bases. Helpers are called as translated
 * code calls them; a fault they raise is caught and its vector returned. */
#include <check.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/exception.h"
#include "cpu/exec.h"
#include "cpu/farxfer.h"
#include "cpu/helpers.h"
#include "cpu/segment.h"
#include "hw/machine.h"
#include "softmmu/mmu.h"
#include "cpu_world.h"
#include "test_util.h"

#define RAM_SIZE (8u << 20)
#define GDT 0x1000u
#define TSS_A 0x3000u
#define PML4 0x10000u

#define MSR_EFER 0xc0000080u
#define MSR_STAR 0xc0000081u
#define MSR_LSTAR 0xc0000082u
#define MSR_CSTAR 0xc0000083u
#define MSR_FMASK 0xc0000084u
#define MSR_FS_BASE 0xc0000100u
#define MSR_GS_BASE 0xc0000101u
#define MSR_KERNEL_GS_BASE 0xc0000102u
#define MSR_TSC_AUX 0xc0000103u

/* A DPL 3 data segment with base 0x12345 beyond the flat layout. */
enum { SEL_DATA_B = 0x68, SEL_CODE_LD = 0x70 };

static struct machine m;
static uint8_t *ram;
static struct cpu_exec *c;

typedef uint64_t (*helper_fn)(struct cpu_exec *, uint64_t, uint64_t, uint64_t, uint64_t);

/* Runs a helper; -1 when it returns, else the vector of the fault it raised
 * (error code in c->fault.error_code). */
static int run(helper_fn fn, uint64_t a0, uint64_t a1)
{
    sigjmp_buf jb;
    c->unwind = &jb;
    c->fault.vector = -1;
    if (sigsetjmp(jb, 0)) {
        c->unwind = NULL;
        return c->fault.vector;
    }
    fn(c, a0, a1, 0, 0);
    c->unwind = NULL;
    return -1;
}

static int wrmsr(uint32_t index, uint64_t v)
{
    c->cpu.regs[R_RCX] = index;
    c->cpu.regs[R_RAX] = (uint32_t)v;
    c->cpu.regs[R_RDX] = v >> 32;
    return run(helper_wrmsr, 0, 0);
}

static uint64_t rdmsr_ok(uint32_t index)
{
    c->cpu.regs[R_RCX] = index;
    ck_assert_int_eq(run(helper_rdmsr, 0, 0), -1);
    return (c->cpu.regs[R_RDX] << 32) | (uint32_t)c->cpu.regs[R_RAX];
}

static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    c->cpu.regs[R_RAX] = leaf;
    c->cpu.regs[R_RCX] = sub;
    ck_assert_int_eq(run(helper_cpuid, 0, 0), -1);
    r[0] = (uint32_t)c->cpu.regs[R_RAX];
    r[1] = (uint32_t)c->cpu.regs[R_RBX];
    r[2] = (uint32_t)c->cpu.regs[R_RCX];
    r[3] = (uint32_t)c->cpu.regs[R_RDX];
}

static int mov_cr(unsigned cr, uint64_t v) { return run(helper_mov_to_cr, cr, v); }

static void setup(void)
{
    c = cpu_world_create(&m, RAM_SIZE);
    ram = m.ram;
    cpu_world_put_flat_gdt(ram, GDT, TSS_A);
    cpu_world_put_desc(ram, GDT, SEL_DATA_B, 0x12345, 0xfffff, 0xf3, 0xc);
    cpu_world_put_desc(ram, GDT, SEL_CODE_LD, 0, 0xfffff, 0x9b, 0xe);   /* L and D */
}

static void teardown(void)
{
    cpu_world_destroy(&m, c);
}

/* IA-32e mode with an identity map of the first 2 MiB (one user page):
 * 64-bit code at the given CPL, or compatibility-mode code when !code64. */
static void enter_long_mode(unsigned cpl, bool code64)
{
    memset(ram + PML4, 0, 0x3000);
    cpu_world_write(ram, PML4, 8, (PML4 + 0x1000) | 7);
    cpu_world_write(ram, PML4 + 0x1000, 8, (PML4 + 0x2000) | 7);
    cpu_world_write(ram, PML4 + 0x2000, 8, 0x87);
    c->cpu.cr3 = PML4;
    c->cpu.cr4 = X86_CR4_PAE;
    c->cpu.efer = X86_EFER_LME | X86_EFER_LMA | X86_EFER_SCE | X86_EFER_NXE;
    c->cpu.cr0 = X86_CR0_PE | X86_CR0_PG | X86_CR0_ET;
    c->cpu.gdtr = (struct x86_dtable){ GDT, 0xff };
    c->cpu.rflags = X86_FLAG_FIXED;
    tlb_flush_all(c);
    uint16_t cs = code64 ? (cpl ? SEL_CODE64_3 : SEL_CODE64_0) : (cpl ? SEL_CODE3 : SEL_CODE0);
    cpu_world_load_seg(c, S_CS, cs);
    for (int s = S_ES; s < X86_NR_SEGS; s++)
        if (s != S_CS)
            cpu_world_load_seg(c, s, cpl ? SEL_DATA3 : SEL_DATA0);
    seg_set_cpl(c, cpl);
}

/* ---------------------------------------------------------------- CPUID */

START_TEST(cpuid_identity_and_long_mode_features)
{
    uint32_t r[4];
    cpuid(0, 0, r);
    ck_assert_uint_ge(r[0], 7);
    char vendor[13] = { 0 };
    memcpy(vendor, &r[1], 4);
    memcpy(vendor + 4, &r[3], 4);
    memcpy(vendor + 8, &r[2], 4);
    ck_assert_str_eq(vendor, "GenuineIntel");

    cpuid(1, 0, r);
    ck_assert_uint_eq((r[0] >> 8) & 0xf, 6);                    /* family 6 */
    ck_assert_uint_eq(((r[0] >> 4) & 0xf) | ((r[0] >> 12) & 0xf0), 0x1c);
    ck_assert_uint_eq(r[2] & (1u << 13), 1u << 13);             /* CX16 */
    ck_assert_uint_eq(r[3] & (1u << 9), 1u << 9);               /* APIC, enabled at reset */
    /* MMX, SSE, SSE2 / SSE3, SSSE3, SSE4.1/4.2, MOVBE, POPCNT, XSAVE;
     * OSXSAVE only with CR4.OSXSAVE; no PCID, x2APIC, TSC deadline,
     * MONITOR, VMX, hypervisor. */
    ck_assert_uint_eq(r[3] & ((1u << 23) | (1u << 25) | (1u << 26)),
                      (1u << 23) | (1u << 25) | (1u << 26));
    ck_assert_uint_eq(r[2] & ((1u << 0) | (1u << 9) | (1u << 19) | (1u << 20) | (1u << 22) |
                              (1u << 23) | (1u << 26) | (1u << 27)),
                      (1u << 0) | (1u << 9) | (1u << 19) | (1u << 20) | (1u << 22) |
                      (1u << 23) | (1u << 26));
    ck_assert_uint_eq(r[2] & ((1u << 3) | (1u << 5) | (1u << 17) | (1u << 21) | (1u << 24) |
                              (1u << 31)), 0);
    cpuid(7, 0, r);
    ck_assert(r[0] == 0 && r[1] == 0 && r[2] == 0 && r[3] == 0);

    cpuid(0x80000000, 0, r);
    ck_assert_uint_eq(r[0], 0x80000008);
    cpuid(0x80000001, 0, r);
    ck_assert_uint_eq(r[2] & 1, 1);                            /* LAHF/SAHF in 64-bit mode */
    const uint32_t lm = 1u << 29, nx = 1u << 20, gb = 1u << 26, tscp = 1u << 27, sc = 1u << 11;
    ck_assert_uint_eq(r[3] & (lm | nx | gb | tscp | sc), lm | nx | gb | tscp);
    /* SYSCALL is reported in IA-32e mode only, as Intel processors do. */
    enter_long_mode(0, true);
    cpuid(0x80000001, 0, r);
    ck_assert_uint_eq(r[3] & sc, sc);

    char brand[49] = { 0 };
    for (unsigned i = 0; i < 3; i++) {
        cpuid(0x80000002 + i, 0, r);
        memcpy(brand + i * 16, r, 16);
    }
    ck_assert_str_eq(brand, "vx86 virtual CPU");
    cpuid(0x80000008, 0, r);
    ck_assert_uint_eq(r[0] & 0xff, 36);                        /* the walker's MAXPHYADDR */
    ck_assert_uint_eq((r[0] >> 8) & 0xff, 48);
}
END_TEST

START_TEST(cpuid_out_of_range_leaves_and_misc_enable)
{
    uint32_t top[4], r[4];
    cpuid(0, 0, r);
    uint32_t max = r[0];
    /* Intel: leaves above the highest basic or extended one give the
     * highest basic leaf's answer. */
    cpuid(max, 0, top);
    cpuid(max + 1, 0, r);
    ck_assert_mem_eq(r, top, sizeof(r));
    cpuid(0x40000000, 0, r);
    ck_assert_mem_eq(r, top, sizeof(r));
    cpuid(0x80000009, 0, r);
    ck_assert_mem_eq(r, top, sizeof(r));
    /* Leaf 4: L1D, L1I, L2, then no more caches. */
    cpuid(4, 0, r);
    ck_assert_uint_eq(r[0] & 0x1f, 1);
    cpuid(4, 2, r);
    ck_assert_uint_eq(r[0] & 0xff, 0x43);
    ck_assert_uint_eq((uint64_t)((r[1] >> 22) + 1) * (((r[1] >> 12) & 0x3ff) + 1) *
                      ((r[1] & 0xfff) + 1) * (r[2] + 1), 512 * 1024);
    cpuid(4, 3, r);
    ck_assert_uint_eq(r[0] & 0x1f, 0);

    /* IA32_MISC_ENABLE: fast strings set at reset, BTS/PEBS unavailable
     * read as one; limit-CPUID caps leaf 0 at 2, XD disable hides NX. */
    uint64_t misc = rdmsr_ok(0x1a0);
    ck_assert_uint_eq(misc & 0x1801, 0x1801);
    ck_assert_int_eq(wrmsr(0x1a0, misc | (1ull << 22)), -1);
    cpuid(0, 0, r);
    ck_assert_uint_eq(r[0], 2);
    cpuid(7, 0, r);
    cpuid(2, 0, top);
    ck_assert_mem_eq(r, top, sizeof(r));
    ck_assert_int_eq(wrmsr(0x1a0, misc | (1ull << 34)), -1);
    cpuid(0x80000001, 0, r);
    ck_assert_uint_eq(r[3] & (1u << 20), 0);
    ck_assert_int_eq(wrmsr(MSR_EFER, X86_EFER_NXE), X86_EXC_GP);
    ck_assert_int_eq(wrmsr(0x1a0, misc), -1);
    ck_assert_int_eq(wrmsr(MSR_EFER, X86_EFER_NXE), -1);
    /* a reserved bit */
    ck_assert_int_eq(wrmsr(0x1a0, misc | (1ull << 40)), X86_EXC_GP);
    /* The APIC flag follows IA32_APIC_BASE.EN. */
    ck_assert_int_eq(wrmsr(0x1b, X86_APIC_DEFAULT_BASE | X86_APIC_BASE_BSP), -1);
    cpuid(1, 0, r);
    ck_assert_uint_eq(r[3] & (1u << 9), 0);
}
END_TEST

/* ---------------------------------------------------------------- MSRs */

START_TEST(efer_rules)
{
    ck_assert_uint_eq(rdmsr_ok(MSR_EFER), 0);
    ck_assert_int_eq(wrmsr(MSR_EFER, X86_EFER_SCE | X86_EFER_LME | X86_EFER_NXE), -1);
    ck_assert_uint_eq(c->cpu.efer, X86_EFER_SCE | X86_EFER_LME | X86_EFER_NXE);
    /* reserved bits: 1, 9, 12 and up (no SVM, LMSLE, FFXSR on Intel) */
    ck_assert_int_eq(wrmsr(MSR_EFER, 1ull << 1), X86_EXC_GP);
    ck_assert_int_eq(wrmsr(MSR_EFER, 1ull << 12), X86_EXC_GP);
    ck_assert_int_eq(wrmsr(MSR_EFER, 1ull << 14), X86_EXC_GP);
    ck_assert_int_eq(wrmsr(MSR_EFER, 1ull << 40), X86_EXC_GP);
    ck_assert_uint_eq(c->fault.error_code, 0);
    /* LMA is set by CR0.PG, not by WRMSR. */
    ck_assert_int_eq(wrmsr(MSR_EFER, X86_EFER_LMA), -1);
    ck_assert_uint_eq(c->cpu.efer, 0);

    enter_long_mode(0, true);
    /* LME cannot change with paging on; LMA stays whatever is written. */
    ck_assert_int_eq(wrmsr(MSR_EFER, X86_EFER_SCE), X86_EXC_GP);
    ck_assert_int_eq(wrmsr(MSR_EFER, X86_EFER_LME), -1);
    ck_assert_uint_eq(c->cpu.efer, X86_EFER_LME | X86_EFER_LMA);
    /* NXE decides whether bit 63 of an entry is XD or reserved, and the
     * TLB must forget translations made under the other rule. */
    cpu_world_write(ram, PML4 + 0x2000, 8, 0x87 | (1ull << 63));
    tlb_flush_all(c);
    struct mmu_walk_result r;
    ck_assert(!mmu_walk(c, 0x1000, MMU_READ, false, &r));
    ck_assert_uint_eq(r.pf_error, 0x9);                         /* reserved without NXE */
    uint8_t b;
    ck_assert_uint_eq(mmu_fetch(c, 0x1000, &b, 1, NULL), 0);
    ck_assert_int_eq(wrmsr(MSR_EFER, X86_EFER_LME | X86_EFER_NXE), -1);
    ck_assert(mmu_walk(c, 0x1000, MMU_READ, false, &r));
    ck_assert(!mmu_walk(c, 0x1000, MMU_EXEC, false, &r));
    ck_assert_uint_eq(r.pf_error, 0x11);
    cpu_world_write(ram, PML4 + 0x2000, 8, 0x87);
    tlb_flush_all(c);
    ck_assert_uint_eq(mmu_fetch(c, 0x1000, &b, 1, NULL), 1);
    /* The entry changes under a cached translation, which stays (as in a
     * real TLB) until EFER.NXE changes. */
    cpu_world_write(ram, PML4 + 0x2000, 8, 0x87 | (1ull << 63));
    ck_assert_uint_eq(mmu_fetch(c, 0x1000, &b, 1, NULL), 1);
    ck_assert_int_eq(wrmsr(MSR_EFER, X86_EFER_LME), -1);
    ck_assert_uint_eq(mmu_fetch(c, 0x1000, &b, 1, NULL), 0);
}
END_TEST

START_TEST(syscall_msrs_and_segment_bases)
{
    const uint64_t canon = 0xffffffff81000000ull, bad = 0x0000800000000000ull;
    ck_assert_int_eq(wrmsr(MSR_STAR, 0x0023001000000000ull), -1);
    ck_assert_uint_eq(rdmsr_ok(MSR_STAR), 0x0023001000000000ull);
    static const uint32_t addr_msrs[] = { MSR_LSTAR, MSR_CSTAR, MSR_FS_BASE, MSR_GS_BASE,
                                          MSR_KERNEL_GS_BASE, 0x175, 0x176 };
    for (unsigned i = 0; i < sizeof(addr_msrs) / sizeof(addr_msrs[0]); i++) {
        ck_assert_int_eq(wrmsr(addr_msrs[i], canon + i), -1);
        ck_assert_uint_eq(rdmsr_ok(addr_msrs[i]), canon + i);
        ck_assert_int_eq(wrmsr(addr_msrs[i], bad), X86_EXC_GP);
        ck_assert_uint_eq(c->fault.error_code, 0);
        ck_assert_uint_eq(rdmsr_ok(addr_msrs[i]), canon + i);
    }
    ck_assert_uint_eq(c->cpu.seg[S_FS].base, canon + 2);
    ck_assert_uint_eq(c->cpu.seg[S_GS].base, canon + 3);
    ck_assert_uint_eq(c->cpu.msr.kernel_gs_base, canon + 4);
    /* FMASK and TSC_AUX are 32 bits wide. */
    ck_assert_int_eq(wrmsr(MSR_FMASK, 0x47700), -1);
    ck_assert_int_eq(wrmsr(MSR_FMASK, 1ull << 32), X86_EXC_GP);
    ck_assert_int_eq(wrmsr(MSR_TSC_AUX, 0xfedcba98), -1);
    ck_assert_uint_eq(rdmsr_ok(MSR_TSC_AUX), 0xfedcba98);
    ck_assert_int_eq(wrmsr(MSR_TSC_AUX, 1ull << 32), X86_EXC_GP);
}
END_TEST

START_TEST(memory_type_and_apic_msrs)
{
    /* PAT: UC WC WT WP WB UC- per byte; 2, 3 and 8+ are #GP. */
    ck_assert_uint_eq(rdmsr_ok(0x277), 0x0007040600070406ull);
    ck_assert_int_eq(wrmsr(0x277, 0x0007010600070406ull), -1);
    ck_assert_int_eq(wrmsr(0x277, 0x0007020600070406ull), X86_EXC_GP);
    ck_assert_int_eq(wrmsr(0x277, 0x0807040600070406ull), X86_EXC_GP);
    ck_assert_uint_eq(rdmsr_ok(0x277), 0x0007010600070406ull);
    /* MTRRs: capability read-only; default type, variable and fixed
     * ranges stored with their reserved bits and types checked. */
    ck_assert_uint_eq(rdmsr_ok(0xfe), 0x508);
    ck_assert_int_eq(wrmsr(0xfe, 0x508), X86_EXC_GP);
    ck_assert_int_eq(wrmsr(0x2ff, 0xc06), -1);
    ck_assert_uint_eq(rdmsr_ok(0x2ff), 0xc06);
    ck_assert_int_eq(wrmsr(0x2ff, 0xc07), X86_EXC_GP);         /* UC- is PAT only */
    ck_assert_int_eq(wrmsr(0x2ff, 0x1c06), X86_EXC_GP);
    ck_assert_int_eq(wrmsr(0x200, 0xc0000000ull | 0), -1);
    ck_assert_int_eq(wrmsr(0x201, 0xfc0000800ull), -1);
    ck_assert_uint_eq(rdmsr_ok(0x201), 0xfc0000800ull);
    ck_assert_int_eq(wrmsr(0x201, 0xffc0000800ull), X86_EXC_GP); /* above MAXPHYADDR 36 */
    ck_assert_int_eq(wrmsr(0x201, 0xfc0000400ull), X86_EXC_GP);  /* bits 10:0 */
    ck_assert_int_eq(wrmsr(0x200, 0xc0000002ull), X86_EXC_GP);   /* type 2 */
    ck_assert_int_eq(wrmsr(0x250, 0x0606060606060606ull), -1);
    ck_assert_int_eq(wrmsr(0x26f, 0x0000000000000003ull), X86_EXC_GP);
    /* APIC base: no x2APIC, nothing above MAXPHYADDR, low bits reserved. */
    uint64_t apic = rdmsr_ok(0x1b);
    ck_assert_uint_eq(apic, X86_APIC_DEFAULT_BASE | X86_APIC_BASE_ENABLE | X86_APIC_BASE_BSP);
    ck_assert_int_eq(wrmsr(0x1b, apic | (1ull << 10)), X86_EXC_GP);
    ck_assert_int_eq(wrmsr(0x1b, apic | (1ull << 40)), X86_EXC_GP);
    ck_assert_int_eq(wrmsr(0x1b, apic | 1), X86_EXC_GP);
    ck_assert_int_eq(wrmsr(0x1b, 0xfec00000ull | X86_APIC_BASE_ENABLE), -1);
    ck_assert_uint_eq(rdmsr_ok(0x1b), 0xfec00000ull | X86_APIC_BASE_ENABLE);
}
END_TEST

START_TEST(absent_msrs_and_privilege)
{
    /* MSRs of features not offered: #GP(0), as Linux's rdmsr_safe expects
     * (FEATURE_CONTROL, SPEC_CTRL, PRED_CMD, ARCH_CAPABILITIES, MCG_CAP,
     * PLATFORM_INFO, TSC_DEADLINE, x2APIC, TSC_ADJUST, an AMD one). */
    static const uint32_t absent[] = { 0x3a, 0x48, 0x49, 0x10a, 0x179, 0xce, 0x6e0, 0x802,
                                       0x3b, 0xc0010015 };
    for (unsigned i = 0; i < sizeof(absent) / sizeof(absent[0]); i++) {
        c->cpu.regs[R_RCX] = absent[i];
        ck_assert_int_eq(run(helper_rdmsr, 0, 0), X86_EXC_GP);
        ck_assert_uint_eq(c->fault.error_code, 0);
        ck_assert_int_eq(wrmsr(absent[i], 0), X86_EXC_GP);
    }
    /* The microcode signature protocol: WRMSR 0, CPUID, RDMSR. */
    ck_assert_int_eq(wrmsr(0x8b, 0), -1);
    ck_assert_uint_eq(rdmsr_ok(0x8b), 0);
    /* TSC writes set the offset from virtual time. */
    vclock_advance(&m.clock, 1000);
    ck_assert_int_eq(wrmsr(0x10, 5000000), -1);
    vclock_advance(&m.clock, 250);
    ck_assert_uint_eq(rdmsr_ok(0x10), 5000250);
    /* RDMSR/WRMSR at CPL 3 */
    enter_long_mode(3, true);
    c->cpu.regs[R_RCX] = MSR_EFER;
    ck_assert_int_eq(run(helper_rdmsr, 0, 0), X86_EXC_GP);
    ck_assert_int_eq(wrmsr(MSR_STAR, 0), X86_EXC_GP);
}
END_TEST

START_TEST(rdtscp_returns_tsc_aux)
{
    ck_assert_int_eq(wrmsr(MSR_TSC_AUX, 0x1234), -1);
    ck_assert_int_eq(wrmsr(0x10, 0x100000000ull), -1);
    vclock_advance(&m.clock, 77);
    c->cpu.regs[R_RCX] = ~0ull;
    ck_assert_int_eq(run(helper_rdtscp, 0, 0), -1);
    ck_assert_uint_eq(c->cpu.regs[R_RCX], 0x1234);
    ck_assert_uint_eq(c->cpu.regs[R_RAX], 77);
    ck_assert_uint_eq(c->cpu.regs[R_RDX], 1);
    /* CR4.TSD: #GP(0) outside CPL 0, like RDTSC */
    enter_long_mode(3, true);
    c->cpu.cr4 |= X86_CR4_TSD;
    ck_assert_int_eq(run(helper_rdtscp, 0, 0), X86_EXC_GP);
    ck_assert_int_eq(run(helper_rdtsc, 0, 0), X86_EXC_GP);
    c->cpu.cr4 &= ~X86_CR4_TSD;
    ck_assert_int_eq(run(helper_rdtscp, 0, 0), -1);
}
END_TEST

/* ---------------------------------------------------------------- fast system calls */

static void put_star(void)
{
    /* SYSCALL: CS 0x38 (64-bit, DPL 0), SS 0x40; SYSRET base 0x18:
     * compatibility CS 0x1b, SS 0x23, 64-bit CS 0x2b. */
    c->cpu.msr.star = (0x18ull << 48) | (0x38ull << 32);
    c->cpu.msr.lstar = 0xffffffff81000040ull;
    c->cpu.msr.fmask = X86_FLAG_IF | X86_FLAG_DF | X86_FLAG_TF | X86_FLAG_AC;
}

START_TEST(syscall_and_sysret)
{
    put_star();
    enter_long_mode(3, true);
    c->cpu.rip = 0x400000;
    c->cpu.rflags = X86_FLAG_FIXED | X86_FLAG_IF | X86_FLAG_DF | X86_FLAG_CF | X86_FLAG_RF |
                    X86_FLAG_IOPL;
    ck_assert_int_eq(run(helper_syscall, 0x400002, 0), -1);
    ck_assert_uint_eq(c->cpu.regs[R_RCX], 0x400002);
    ck_assert_uint_eq(c->cpu.regs[R_R11], X86_FLAG_FIXED | X86_FLAG_IF | X86_FLAG_DF |
                                          X86_FLAG_CF | X86_FLAG_IOPL);
    ck_assert_uint_eq(c->cpu.rflags, X86_FLAG_FIXED | X86_FLAG_CF | X86_FLAG_IOPL);
    ck_assert_uint_eq(c->cpu.rip, 0xffffffff81000040ull);
    ck_assert_uint_eq(c->cpl, 0);
    const struct x86_segment *cs = &c->cpu.seg[S_CS], *ss = &c->cpu.seg[S_SS];
    ck_assert_uint_eq(cs->selector, 0x38);
    ck_assert_uint_eq(cs->attr, SEG_ATTR_P | SEG_ATTR_S | SEG_ATTR_G | SEG_ATTR_L | 0xb);
    ck_assert_uint_eq(ss->selector, 0x40);
    ck_assert_uint_eq(ss->attr, SEG_ATTR_P | SEG_ATTR_S | SEG_ATTR_G | SEG_ATTR_DB | 0x3);
    ck_assert_uint_eq(ss->base, 0);
    ck_assert_uint_eq(ss->limit, 0xffffffffu);

    /* SYSRETQ: CS = base + 16 | 3, SS = base + 8 | 3, RFLAGS from R11
     * without RF and VM, bit 1 set. */
    c->cpu.regs[R_R11] = 0xffffffffffffffffull;
    c->cpu.regs[R_RCX] = 0x7f0000001000ull;
    ck_assert_int_eq(run(helper_sysret, 8, 0), -1);
    ck_assert_uint_eq(c->cpu.rip, 0x7f0000001000ull);
    ck_assert_uint_eq(c->cpu.rflags, 0x3c7fd7ull);
    ck_assert_uint_eq(c->cpl, 3);
    ck_assert_uint_eq(cs->selector, 0x2b);
    ck_assert(cs->attr & SEG_ATTR_L);
    ck_assert_uint_eq((cs->attr & SEG_ATTR_DPL_MASK) >> SEG_ATTR_DPL_SHIFT, 3);
    ck_assert_uint_eq(ss->selector, 0x23);
    ck_assert_uint_eq((ss->attr & SEG_ATTR_DPL_MASK) >> SEG_ATTR_DPL_SHIFT, 3);

    /* SYSRET to compatibility mode: CS = base | 3 with D, RIP = ECX. */
    c->cpu.rflags = X86_FLAG_FIXED;
    ck_assert_int_eq(run(helper_syscall, 0x400010, 0), -1);
    c->cpu.regs[R_RCX] = 0xabcdef0012345678ull;
    c->cpu.regs[R_R11] = X86_FLAG_IF;
    ck_assert_int_eq(run(helper_sysret, 4, 0), -1);
    ck_assert_uint_eq(c->cpu.rip, 0x12345678);
    ck_assert_uint_eq(cs->selector, 0x1b);
    ck_assert(!(cs->attr & SEG_ATTR_L));
    ck_assert(cs->attr & SEG_ATTR_DB);
    ck_assert_uint_eq(c->cpu.rflags, X86_FLAG_FIXED | X86_FLAG_IF);
}
END_TEST

START_TEST(syscall_sysret_faults)
{
    put_star();
    /* #UD: compatibility mode (Intel), legacy mode, SCE clear */
    enter_long_mode(3, false);
    ck_assert_int_eq(run(helper_syscall, 0x1000, 0), X86_EXC_UD);
    enter_long_mode(3, true);
    c->cpu.efer &= ~X86_EFER_SCE;
    ck_assert_int_eq(run(helper_syscall, 0x1000, 0), X86_EXC_UD);
    c->cpu.cr0 = X86_CR0_PE;
    c->cpu.efer = X86_EFER_SCE;
    cpu_world_load_seg(c, S_CS, SEL_CODE0);
    seg_set_cpl(c, 0);
    ck_assert_int_eq(run(helper_syscall, 0x1000, 0), X86_EXC_UD);
    ck_assert_int_eq(run(helper_sysret, 4, 0), X86_EXC_UD);
    /* SYSRET at CPL 3: #GP(0) */
    enter_long_mode(3, true);
    ck_assert_int_eq(run(helper_sysret, 8, 0), X86_EXC_GP);
    /* SYSRETQ to a non-canonical RCX: #GP(0) at CPL 0, nothing changed
     * (Intel; AMD would fault at CPL 3 on the next fetch). */
    enter_long_mode(0, true);
    c->cpu.rip = 0xffffffff81000100ull;
    c->cpu.regs[R_RCX] = 0x0000800000000000ull;
    c->cpu.regs[R_R11] = X86_FLAG_IF;
    ck_assert_int_eq(run(helper_sysret, 8, 0), X86_EXC_GP);
    ck_assert_uint_eq(c->fault.error_code, 0);
    ck_assert_uint_eq(c->cpl, 0);
    ck_assert_uint_eq(c->cpu.seg[S_CS].selector, SEL_CODE64_0);
    ck_assert_uint_eq(c->cpu.rflags, X86_FLAG_FIXED);
    /* ... while SYSRETL only takes ECX */
    ck_assert_int_eq(run(helper_sysret, 4, 0), -1);
    ck_assert_uint_eq(c->cpu.rip, 0);
}
END_TEST

START_TEST(swapgs_rules)
{
    enter_long_mode(0, true);
    c->cpu.seg[S_GS].base = 0x1111;
    c->cpu.msr.kernel_gs_base = 0xffff888000002222ull;
    ck_assert_int_eq(run(helper_swapgs, 0, 0), -1);
    ck_assert_uint_eq(c->cpu.seg[S_GS].base, 0xffff888000002222ull);
    ck_assert_uint_eq(rdmsr_ok(MSR_KERNEL_GS_BASE), 0x1111);
    ck_assert_uint_eq(rdmsr_ok(MSR_GS_BASE), 0xffff888000002222ull);
    enter_long_mode(3, true);
    ck_assert_int_eq(run(helper_swapgs, 0, 0), X86_EXC_GP);
    ck_assert_uint_eq(c->fault.error_code, 0);
    enter_long_mode(0, false);
    ck_assert_int_eq(run(helper_swapgs, 0, 0), X86_EXC_UD);
}
END_TEST

START_TEST(sysenter_sysexit_in_ia32e_mode)
{
    /* Intel: SYSENTER from compatibility mode enters 64-bit code at the
     * full IA32_SYSENTER_EIP/ESP. */
    c->cpu.msr.sysenter_cs = 0x38;
    c->cpu.msr.sysenter_eip = 0xffffffff81001000ull;
    c->cpu.msr.sysenter_esp = 0xffffc90000004000ull;
    enter_long_mode(3, false);
    c->cpu.rflags |= X86_FLAG_IF;
    ck_assert_int_eq(run(helper_sysenter, 0, 0), -1);
    ck_assert_uint_eq(c->cpu.rip, 0xffffffff81001000ull);
    ck_assert_uint_eq(c->cpu.regs[R_RSP], 0xffffc90000004000ull);
    ck_assert_uint_eq(c->cpl, 0);
    ck_assert_uint_eq(c->cpu.seg[S_CS].selector, 0x38);
    ck_assert(c->cpu.seg[S_CS].attr & SEG_ATTR_L);
    ck_assert(!(c->cpu.seg[S_CS].attr & SEG_ATTR_DB));
    ck_assert_uint_eq(c->cpu.seg[S_SS].selector, 0x40);
    ck_assert(!(c->cpu.rflags & X86_FLAG_IF));

    /* SYSEXIT (32-bit) to compatibility mode: CS + 16, SS + 24. */
    c->cpu.regs[R_RDX] = 0xffffffff08048000ull;
    c->cpu.regs[R_RCX] = 0xffffffffbfff0000ull;
    ck_assert_int_eq(run(helper_sysexit, 4, 0), -1);
    ck_assert_uint_eq(c->cpu.rip, 0x08048000);
    ck_assert_uint_eq(c->cpu.regs[R_RSP], 0xbfff0000);
    ck_assert_uint_eq(c->cpu.seg[S_CS].selector, 0x4b);
    ck_assert(!(c->cpu.seg[S_CS].attr & SEG_ATTR_L));
    ck_assert_uint_eq(c->cpu.seg[S_SS].selector, 0x53);
    ck_assert_uint_eq(c->cpl, 3);

    /* SYSEXIT with REX.W to 64-bit mode: CS + 32, SS + 40, canonical
     * RCX/RDX or #GP(0). */
    enter_long_mode(0, true);
    c->cpu.regs[R_RDX] = 0x00007f0000002000ull;
    c->cpu.regs[R_RCX] = 0x0000800000000000ull;
    ck_assert_int_eq(run(helper_sysexit, 8, 0), X86_EXC_GP);
    c->cpu.regs[R_RCX] = 0x00007ffffffff000ull;
    ck_assert_int_eq(run(helper_sysexit, 8, 0), -1);
    ck_assert_uint_eq(c->cpu.rip, 0x00007f0000002000ull);
    ck_assert_uint_eq(c->cpu.regs[R_RSP], 0x00007ffffffff000ull);
    ck_assert_uint_eq(c->cpu.seg[S_CS].selector, 0x5b);
    ck_assert(c->cpu.seg[S_CS].attr & SEG_ATTR_L);
    ck_assert_uint_eq(c->cpu.seg[S_SS].selector, 0x63);
    /* SYSEXIT at CPL 3: #GP(0) */
    ck_assert_int_eq(run(helper_sysexit, 8, 0), X86_EXC_GP);
    /* outside IA-32e mode SYSENTER keeps 32 bits */
    c->cpu.cr0 = X86_CR0_PE;
    c->cpu.efer = 0;
    cpu_world_load_seg(c, S_CS, SEL_CODE3);
    cpu_world_load_seg(c, S_SS, SEL_DATA3);
    seg_set_cpl(c, 3);
    ck_assert_int_eq(run(helper_sysenter, 0, 0), -1);
    ck_assert_uint_eq(c->cpu.rip, 0x81001000);
    ck_assert_uint_eq(c->cpu.regs[R_RSP], 0x00004000);
    ck_assert(!(c->cpu.seg[S_CS].attr & SEG_ATTR_L));
    ck_assert(c->cpu.seg[S_CS].attr & SEG_ATTR_DB);
}
END_TEST

/* ---------------------------------------------------------------- control registers */

START_TEST(control_registers_in_ia32e_mode)
{
    enter_long_mode(0, true);
    /* no PCID, SMEP, FSGSBASE, LA57, UMIP, VMX; PAE stays */
    static const uint64_t refused[] = { 1ull << 17, 1ull << 20, 1ull << 16,
                                        1ull << 12, 1ull << 11, 1ull << 13 };
    for (unsigned i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
        ck_assert_int_eq(mov_cr(4, X86_CR4_PAE | refused[i]), X86_EXC_GP);
    ck_assert_int_eq(mov_cr(4, X86_CR4_PSE), X86_EXC_GP);
    ck_assert_int_eq(mov_cr(4, X86_CR4_PAE | X86_CR4_PGE | X86_CR4_OSFXSR), -1);
    ck_assert_int_eq(mov_cr(4, X86_CR4_PAE | X86_CR4_OSFXSR | X86_CR4_OSXSAVE), -1);
    /* CR3: nothing above MAXPHYADDR (bit 63 is PCID's no-flush bit) */
    ck_assert_int_eq(mov_cr(3, PML4 | (1ull << 63)), X86_EXC_GP);
    ck_assert_int_eq(mov_cr(3, PML4 | (1ull << 36)), X86_EXC_GP);
    ck_assert_int_eq(mov_cr(3, PML4 | 0x18), -1);
    /* CR8: four bits; kept here when no local APIC is attached */
    ck_assert_int_eq(mov_cr(8, 0x10), X86_EXC_GP);
    ck_assert_int_eq(mov_cr(8, 0xa), -1);
    ck_assert_int_eq(run(helper_mov_from_cr, 8, 0), -1);
    ck_assert_uint_eq(helper_mov_from_cr(c, 8, 0, 0, 0), 0xa);
    /* CR0.PG cannot be cleared in 64-bit mode ... */
    ck_assert_int_eq(mov_cr(0, X86_CR0_PE | X86_CR0_ET), X86_EXC_GP);
    ck_assert(c->cpu.efer & X86_EFER_LMA);
    /* ... only from compatibility mode, which leaves IA-32e mode */
    cpu_world_load_seg(c, S_CS, SEL_CODE0);
    ck_assert_int_eq(mov_cr(0, X86_CR0_PE | X86_CR0_ET), -1);
    ck_assert(!(c->cpu.efer & X86_EFER_LMA));
    ck_assert(c->cpu.efer & X86_EFER_LME);
    /* Activating IA-32e mode needs PAE, and CS.L clear */
    c->cpu.cr4 = 0;
    ck_assert_int_eq(mov_cr(0, X86_CR0_PE | X86_CR0_PG), X86_EXC_GP);
    c->cpu.cr4 = X86_CR4_PAE;
    cpu_world_load_seg(c, S_CS, SEL_CODE64_0);
    ck_assert_int_eq(mov_cr(0, X86_CR0_PE | X86_CR0_PG), X86_EXC_GP);
    cpu_world_load_seg(c, S_CS, SEL_CODE0);
    ck_assert_int_eq(mov_cr(0, X86_CR0_PE | X86_CR0_PG), -1);
    ck_assert(c->cpu.efer & X86_EFER_LMA);
}
END_TEST

/* ---------------------------------------------------------------- CMPXCHG16B */

START_TEST(cmpxchg16b)
{
    enter_long_mode(0, true);
    cpu_world_write(ram, 0x5000, 8, 0x1111);
    cpu_world_write(ram, 0x5008, 8, 0x2222);
    c->cpu.regs[R_RAX] = 0x1111;
    c->cpu.regs[R_RDX] = 0x2222;
    c->cpu.regs[R_RBX] = 0xaaaaaaaabbbbbbbbull;
    c->cpu.regs[R_RCX] = 0xccccccccddddddddull;
    ck_assert_int_eq(run(helper_cmpxchg8b, 0x5000, 16), -1);
    ck_assert(cpu_exec_get_rflags(c) & X86_FLAG_ZF);
    ck_assert_uint_eq(cpu_world_read(ram, 0x5000, 8), 0xaaaaaaaabbbbbbbbull);
    ck_assert_uint_eq(cpu_world_read(ram, 0x5008, 8), 0xccccccccddddddddull);
    ck_assert_int_eq(run(helper_cmpxchg8b, 0x5000, 16), -1);
    ck_assert(!(cpu_exec_get_rflags(c) & X86_FLAG_ZF));
    ck_assert_uint_eq(c->cpu.regs[R_RAX], 0xaaaaaaaabbbbbbbbull);
    ck_assert_uint_eq(c->cpu.regs[R_RDX], 0xccccccccddddddddull);
    /* 16-byte alignment or #GP(0), before any access */
    c->cpu.regs[R_RAX] = 1;
    ck_assert_int_eq(run(helper_cmpxchg8b, 0x5008, 16), X86_EXC_GP);
    ck_assert_uint_eq(c->fault.error_code, 0);
    ck_assert_uint_eq(c->cpu.regs[R_RAX], 1);
    /* a read-only page faults as a write even when the values differ */
    cpu_world_write(ram, PML4 + 0x2000, 8, 0x85);
    tlb_flush_all(c);
    c->cpu.cr0 |= X86_CR0_WP;
    ck_assert_int_eq(run(helper_cmpxchg8b, 0x5000, 16), X86_EXC_PF);
    ck_assert_uint_eq(c->fault.error_code, 0x3);
}
END_TEST

/* ---------------------------------------------------------------- segments */

START_TEST(fs_gs_bases_across_selector_loads_and_returns)
{
    enter_long_mode(0, true);
    c->cpu.idtr = (struct x86_dtable){ 0x2000, 0xfff };
    /* A selector load takes the descriptor's 32-bit base; a null one
     * clears the base, as Intel processors do. */
    ck_assert_int_eq(wrmsr(MSR_FS_BASE, 0xffff888000001000ull), -1);
    ck_assert_int_eq(run(helper_load_seg, S_FS, SEL_DATA_B), -1);
    ck_assert_uint_eq(rdmsr_ok(MSR_FS_BASE), 0x12345);
    ck_assert_int_eq(run(helper_load_seg, S_FS, 0), -1);
    ck_assert_uint_eq(rdmsr_ok(MSR_FS_BASE), 0);
    ck_assert(c->cpu.seg[S_FS].unusable);

    /* IRETQ to CPL 3 nulls DS (DPL 0 data) but keeps the FS/GS bases that
     * 64-bit code set through the MSRs under null selectors. */
    ck_assert_int_eq(wrmsr(MSR_FS_BASE, 0x00007f00000a0000ull), -1);
    ck_assert_int_eq(wrmsr(MSR_GS_BASE, 0x00007f00000b0000ull), -1);
    ck_assert_int_eq(run(helper_load_seg, S_GS, 0), -1);
    ck_assert_int_eq(wrmsr(MSR_GS_BASE, 0x00007f00000b0000ull), -1);
    c->cpu.regs[R_RSP] = 0x8000;
    cpu_world_write(ram, 0x8000, 8, 0x401000);
    cpu_world_write(ram, 0x8008, 8, SEL_CODE64_3);
    cpu_world_write(ram, 0x8010, 8, X86_FLAG_FIXED);
    cpu_world_write(ram, 0x8018, 8, 0x7ff8);
    cpu_world_write(ram, 0x8020, 8, SEL_DATA3);
    sigjmp_buf jb;
    c->unwind = &jb;
    if (sigsetjmp(jb, 0))
        ck_abort_msg("IRETQ faulted: vector %d", c->fault.vector);
    cpu_iret(c, 8, 0);
    c->unwind = NULL;
    ck_assert_uint_eq(c->cpl, 3);
    ck_assert_uint_eq(c->cpu.seg[S_DS].selector, 0);
    ck_assert(c->cpu.seg[S_DS].unusable);
    ck_assert_uint_eq(c->cpu.seg[S_FS].base, 0x00007f00000a0000ull);
    ck_assert_uint_eq(c->cpu.seg[S_GS].base, 0x00007f00000b0000ull);
    uint64_t lin = mmu_seg_linear(c, S_FS, 0x10, 8, MMU_READ);
    ck_assert_uint_eq(lin, 0x00007f00000a0010ull);
}
END_TEST

START_TEST(iretq_to_compatibility_mode_and_far_transfer_to_l_and_d)
{
    enter_long_mode(0, true);
    c->cpu.regs[R_RSP] = 0x8000;
    cpu_world_write(ram, 0x8000, 8, 0x08048123);
    cpu_world_write(ram, 0x8008, 8, SEL_CODE3);
    cpu_world_write(ram, 0x8010, 8, X86_FLAG_FIXED | X86_FLAG_IF);
    cpu_world_write(ram, 0x8018, 8, 0xbffff000);
    cpu_world_write(ram, 0x8020, 8, SEL_DATA3);
    sigjmp_buf jb;
    c->unwind = &jb;
    if (sigsetjmp(jb, 0)) {
        c->unwind = NULL;
        ck_abort_msg("fault %d", c->fault.vector);
    }
    cpu_iret(c, 8, 0);
    c->unwind = NULL;
    ck_assert(cpu_long_mode(c) && !cpu_code64(c));
    ck_assert_uint_eq(c->cpu.rip, 0x08048123);
    ck_assert_uint_eq(c->cpu.regs[R_RSP], 0xbffff000);
    ck_assert_uint_eq(c->cpl, 3);

    /* A code segment with L and D both set is reserved in IA-32e mode. */
    enter_long_mode(0, true);
    c->unwind = &jb;
    volatile int step = 0;
    if (sigsetjmp(jb, 0)) {
        ck_assert_int_eq(c->fault.vector, X86_EXC_GP);
        ck_assert_uint_eq(c->fault.error_code, SEL_CODE_LD);
        step++;
    }
    if (step == 0)
        cpu_far_jmp(c, SEL_CODE_LD, 0x1000, 4, 0);
    else if (step == 1)
        cpu_far_call(c, SEL_CODE_LD, 0x1000, 4, 0);
    c->unwind = NULL;
    ck_assert_int_eq(step, 2);
}
END_TEST

static Suite *longmode_suite(void)
{
    Suite *s = suite_create("longmode");
    TCase *tc = tcase_create("longmode");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, cpuid_identity_and_long_mode_features);
    tcase_add_test(tc, cpuid_out_of_range_leaves_and_misc_enable);
    tcase_add_test(tc, efer_rules);
    tcase_add_test(tc, syscall_msrs_and_segment_bases);
    tcase_add_test(tc, memory_type_and_apic_msrs);
    tcase_add_test(tc, absent_msrs_and_privilege);
    tcase_add_test(tc, rdtscp_returns_tsc_aux);
    tcase_add_test(tc, syscall_and_sysret);
    tcase_add_test(tc, syscall_sysret_faults);
    tcase_add_test(tc, swapgs_rules);
    tcase_add_test(tc, sysenter_sysexit_in_ia32e_mode);
    tcase_add_test(tc, control_registers_in_ia32e_mode);
    tcase_add_test(tc, cmpxchg16b);
    tcase_add_test(tc, fs_gs_bases_across_selector_loads_and_returns);
    tcase_add_test(tc, iretq_to_compatibility_mode_and_far_transfer_to_l_and_d);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return test_run_suite(longmode_suite());
}
