/* Unit tests for segmentation (cpu/segment.c), far transfers and IRET
 * (cpu/farxfer.c), hardware task switches (cpu/taskswitch.c) and the
 * descriptor instructions (cpu/descinsn.c), with GDT, LDT, IDT and TSSs laid
 * out in guest RAM and paging off (paging on for the 64-bit IRETQ). */
#include <check.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/exception.h"
#include "cpu/exec.h"
#include "cpu/farxfer.h"
#include "cpu/segment.h"
#include "hw/machine.h"
#include "softmmu/mmu.h"
#include "cpu_world.h"
#include "test_util.h"

#define RAM_SIZE (16u << 20)
#define GDT 0x1000u
#define IDT 0x2000u
#define TSS_A 0x3000u
#define TSS_B 0x3800u
#define TSS_SMALL 0x3a00u
#define TSS_16 0x3c00u
#define LDT 0x5000u

/* Selectors beyond the flat layout of cpu_world.h. */
enum {
    SEL_TSS_B = 0x48, SEL_TSS_SMALL = 0x50, SEL_DATA0_NP = 0x68, SEL_DATA3_NP = 0x70,
    SEL_XONLY3 = 0x78, SEL_RODATA3 = 0x88, SEL_DATA2 = 0x90, SEL_LDT = 0x98,
    SEL_CALLGATE3 = 0xa0, SEL_CALLGATE0 = 0xa8, SEL_TASKGATE3 = 0xb0, SEL_CODE0_NP = 0xb8,
    SEL_TSS16 = 0xc0, SEL_INTGATE = 0xc8,
};

static struct machine m;
static uint8_t *ram;
static struct cpu_exec *c;

static uint64_t rd(uint64_t pa, unsigned size) { return cpu_world_read(ram, pa, size); }
static void wr(uint64_t pa, unsigned size, uint64_t v) { cpu_world_write(ram, pa, size, v); }

static void put_desc_at(uint32_t table, unsigned sel, uint32_t base, uint32_t limit,
                        unsigned access, unsigned flags)
{
    cpu_world_put_desc(ram, table, sel, base, limit, access, flags);
}

static void put_desc(unsigned sel, uint32_t base, uint32_t limit, unsigned access, unsigned flags)
{
    put_desc_at(GDT, sel, base, limit, access, flags);
}

static void put_gate_at(uint32_t addr, uint16_t sel, uint32_t off, unsigned access, unsigned params)
{
    cpu_world_put_gate(ram, addr, sel, off, access, params);
}

static void load_cache(int sreg, uint16_t sel) { cpu_world_load_seg(c, sreg, sel); }

static void setup(void)
{
    c = cpu_world_create(&m, RAM_SIZE);
    ram = m.ram;

    cpu_world_put_flat_gdt(ram, GDT, TSS_A);
    put_desc(SEL_TSS_B, TSS_B, 0x67, 0x89, 0);
    put_desc(SEL_TSS_SMALL, TSS_SMALL, 0x50, 0x89, 0);
    put_desc(SEL_DATA0_NP, 0, 0xfffff, 0x13, 0xc);
    put_desc(SEL_DATA3_NP, 0, 0xfffff, 0x73, 0xc);
    put_desc(SEL_XONLY3, 0, 0xfffff, 0xf9, 0xc);
    put_desc(SEL_RODATA3, 0, 0xfffff, 0xf1, 0xc);
    put_desc(SEL_DATA2, 0, 0xfffff, 0xd3, 0xc);
    put_desc(SEL_LDT, LDT, 0x17, 0x82, 0);
    put_gate_at(GDT + SEL_CALLGATE3, SEL_CODE0, 0xc0005000, 0xec, 2);
    put_gate_at(GDT + SEL_CALLGATE0, SEL_CODE0, 0xc0006000, 0x8c, 0);
    put_gate_at(GDT + SEL_TASKGATE3, SEL_TSS_B, 0, 0xe5, 0);
    put_desc(SEL_CODE0_NP, 0, 0xfffff, 0x1b, 0xc);
    put_desc(SEL_TSS16, TSS_16, 0x2b, 0x81, 0);
    put_gate_at(GDT + SEL_INTGATE, SEL_CODE0, 0x1000, 0x8e, 0);
    /* LDT entry 1 (selector 0x0f): data, DPL 3 */
    put_desc_at(LDT, 0x08, 0x100000, 0xffff, 0xf3, 0);
}

static void teardown(void)
{
    cpu_world_destroy(&m, c);
}

static void enter_protected(unsigned cpl)
{
    c->cpu.cr0 = X86_CR0_PE | X86_CR0_ET;
    c->cpu.efer = 0;
    c->cpu.cr4 = 0;
    c->cpu.gdtr = (struct x86_dtable){ GDT, 0xff };
    c->cpu.idtr = (struct x86_dtable){ IDT, 0x7ff };
    c->cpu.rflags = X86_FLAG_FIXED | X86_FLAG_IF;
    load_cache(S_CS, cpl ? SEL_CODE3 : SEL_CODE0);
    for (int s = 0; s < X86_NR_SEGS; s++)
        if (s != S_CS)
            load_cache(s, cpl ? SEL_DATA3 : SEL_DATA0);
    struct seg_desc d;
    ck_assert(seg_desc_read(c, SEL_TSS_A, &d));
    seg_cache_from_desc(&c->cpu.tr, SEL_TSS_A, &d);
    seg_cache_null(&c->cpu.ldtr, 0, 0);
    seg_set_cpl(c, cpl);
    wr(TSS_A + 4, 4, 0x9000);
    wr(TSS_A + 8, 2, SEL_DATA0);
}

/* Runs stmt expecting a fault; checks its vector and error code. */
#define EXPECT_FAULT(stmt, vec, err)                                                        \
    do {                                                                                     \
        sigjmp_buf jb_;                                                                      \
        c->unwind = &jb_;                                                                    \
        c->fault.vector = -1;                                                                \
        if (sigsetjmp(jb_, 0) == 0) {                                                        \
            stmt;                                                                            \
            ck_abort_msg("no fault from %s", #stmt);                                         \
        }                                                                                    \
        c->unwind = NULL;                                                                    \
        ck_assert_msg(c->fault.vector == (vec) && c->fault.error_code == (uint32_t)(err),    \
                      "%s: fault %d error %#x, expected %d error %#x", #stmt,                \
                      c->fault.vector, c->fault.error_code, (int)(vec), (unsigned)(err));    \
    } while (0)

/* Runs stmt failing the test if it faults. */
#define EXPECT_OK(stmt)                                                                     \
    do {                                                                                     \
        sigjmp_buf jb_;                                                                      \
        c->unwind = &jb_;                                                                    \
        if (sigsetjmp(jb_, 0) != 0)                                                          \
            ck_abort_msg("%s faulted: %d error %#x", #stmt, c->fault.vector,                 \
                         c->fault.error_code);                                               \
        stmt;                                                                                \
        c->unwind = NULL;                                                                    \
    } while (0)

/* Segment register loads */

struct load_case {
    unsigned cpl;
    int sreg;
    uint16_t sel;
    int vector;       /* -1: loads */
    uint32_t error;
};

static const struct load_case load_cases[] = {
    { 3, S_DS, 0x0000, -1, 0 },
    { 3, S_DS, 0x0003, -1, 0 },
    { 3, S_SS, 0x0003, X86_EXC_GP, 0 },            /* null SS outside 64-bit mode */
    { 3, S_DS, 0x0103, X86_EXC_GP, 0x100 },         /* beyond the GDT limit */
    { 3, S_DS, SEL_LDT | 3, X86_EXC_GP, SEL_LDT },  /* system descriptor */
    { 3, S_DS, SEL_XONLY3, X86_EXC_GP, SEL_XONLY3 & ~3 },  /* execute-only code */
    { 3, S_DS, SEL_DATA0 | 3, X86_EXC_GP, SEL_DATA0 },     /* DPL < CPL */
    { 3, S_DS, SEL_CONF0 | 3, -1, 0 },              /* readable conforming: any CPL */
    { 3, S_DS, SEL_DATA3_NP | 3, X86_EXC_NP, SEL_DATA3_NP },
    { 3, S_ES, SEL_RODATA3, -1, 0 },
    { 3, S_SS, SEL_DATA3 & ~3, X86_EXC_GP, SEL_DATA3 & ~3 }, /* RPL != CPL */
    { 3, S_SS, SEL_RODATA3, X86_EXC_GP, SEL_RODATA3 & ~3 },  /* not writable */
    { 3, S_SS, SEL_CODE3, X86_EXC_GP, SEL_CODE3 & ~3 },      /* code */
    { 3, S_SS, SEL_DATA3_NP | 3, X86_EXC_SS, SEL_DATA3_NP },
    { 3, S_SS, SEL_DATA3, -1, 0 },
    { 2, S_SS, SEL_DATA3 & ~1, X86_EXC_GP, SEL_DATA3 & ~3 }, /* DPL 3 != CPL 2 */
    { 2, S_SS, SEL_DATA2 | 2, -1, 0 },
    { 0, S_DS, SEL_DATA2 | 2, -1, 0 },
    { 0, S_DS, SEL_DATA2 | 3, X86_EXC_GP, SEL_DATA2 },     /* RPL > DPL */
    { 0, S_FS, SEL_DATA0_NP, X86_EXC_NP, SEL_DATA0_NP },
    { 0, S_GS, 0x0f, -1, 0 },                                /* LDT entry */
    { 0, S_GS, 0x1f, X86_EXC_GP, 0x1c },                     /* beyond the LDT limit */
};

START_TEST(seg_load_checks)
{
    const struct load_case *t = &load_cases[_i];
    enter_protected(t->cpl);
    load_cache(S_SS, t->cpl ? SEL_DATA3 : SEL_DATA0);
    struct seg_desc d;
    ck_assert(seg_desc_read(c, SEL_LDT, &d));
    seg_cache_from_desc(&c->cpu.ldtr, SEL_LDT, &d);
    struct x86_segment before = c->cpu.seg[t->sreg];
    if (t->vector >= 0) {
        EXPECT_FAULT(seg_load(c, t->sreg, t->sel), t->vector, t->error);
        ck_assert_mem_eq(&c->cpu.seg[t->sreg], &before, sizeof(before));
        return;
    }
    EXPECT_OK(seg_load(c, t->sreg, t->sel));
    const struct x86_segment *s = &c->cpu.seg[t->sreg];
    ck_assert_uint_eq(s->selector, t->sel);
    if (!(t->sel & 0xfffc)) {
        ck_assert(s->unusable);
        ck_assert_uint_eq(c->seg_rlim1[t->sreg], 0);
    } else {
        ck_assert(!s->unusable);
        ck_assert(s->attr & SEG_ATTR_P);
        ck_assert(s->attr & 1);   /* accessed */
    }
}
END_TEST

START_TEST(seg_load_sets_accessed_bit_and_caches)
{
    enter_protected(3);
    put_desc(0xd0, 0x12345678, 0xabcde, 0xf2, 0x4);  /* accessed clear, byte granular */
    EXPECT_OK(seg_load(c, S_DS, 0xd3));
    ck_assert_uint_eq(rd(GDT + 0xd0 + 5, 1), 0xf3);
    ck_assert_uint_eq(c->cpu.seg[S_DS].base, 0x12345678);
    ck_assert_uint_eq(c->cpu.seg[S_DS].limit, 0xabcde);
    ck_assert_uint_eq(c->cpu.seg[S_DS].attr, SEG_ATTR_DB | 0xf3);
    ck_assert_uint_eq(c->seg_wlim1[S_DS], 0xabcdf);
    /* page-granular limit */
    put_desc(0xd0, 0, 0x00001, 0xf3, 0xc);
    EXPECT_OK(seg_load(c, S_ES, 0xd3));
    ck_assert_uint_eq(c->cpu.seg[S_ES].limit, 0x1fff);
    /* LDT null: TI=1 selectors fault */
    seg_cache_null(&c->cpu.ldtr, 0, 0);
    EXPECT_FAULT(seg_load(c, S_ES, 0x0f), X86_EXC_GP, 0x0c);
}
END_TEST

START_TEST(seg_load_null_ss_in_64bit_mode)
{
    enter_protected(0);
    c->cpu.efer = X86_EFER_LMA | X86_EFER_LME;
    load_cache(S_CS, SEL_CODE64_0);
    EXPECT_OK(seg_load(c, S_SS, 0));
    ck_assert(c->cpu.seg[S_SS].unusable);
    ck_assert_uint_eq(c->cpl, 0);
    EXPECT_FAULT(seg_load(c, S_SS, 1), X86_EXC_GP, 0);   /* RPL != CPL */
    enter_protected(3);
    c->cpu.efer = X86_EFER_LMA | X86_EFER_LME;
    load_cache(S_CS, SEL_CODE64_3);
    EXPECT_FAULT(seg_load(c, S_SS, 3), X86_EXC_GP, 0);   /* never at CPL 3 */
}
END_TEST

START_TEST(seg_load_real_and_v86)
{
    /* Real mode keeps the hidden limit: big real mode. */
    c->cpu.seg[S_DS].limit = 0xffffffff;
    EXPECT_OK(seg_load(c, S_DS, 0x1234));
    ck_assert_uint_eq(c->cpu.seg[S_DS].base, 0x12340);
    ck_assert_uint_eq(c->cpu.seg[S_DS].limit, 0xffffffff);
    ck_assert_uint_eq(c->cpu.seg[S_DS].selector, 0x1234);
    enter_protected(0);
    c->cpu.rflags |= X86_FLAG_VM;
    seg_set_cpl(c, 3);
    c->cpu.seg[S_FS].limit = 0xffffffff;
    EXPECT_OK(seg_load(c, S_FS, 0xb800));
    ck_assert_uint_eq(c->cpu.seg[S_FS].base, 0xb8000);
    ck_assert_uint_eq(c->cpu.seg[S_FS].limit, 0xffff);
    ck_assert_uint_eq(c->cpu.seg[S_FS].attr, SEG_ATTR_P | SEG_ATTR_S | (3 << SEG_ATTR_DPL_SHIFT) | 3);
}
END_TEST

/* Far JMP/CALL/RET */

START_TEST(far_jmp_checks)
{
    enter_protected(3);
    c->cpu.rip = 0x8048000;
    struct x86_segment cs = c->cpu.seg[S_CS];
    EXPECT_FAULT(cpu_far_jmp(c, 0, 0x1000, 4, 0), X86_EXC_GP, 0);
    EXPECT_FAULT(cpu_far_jmp(c, SEL_CODE0, 0x1000, 4, 0), X86_EXC_GP, SEL_CODE0);
    EXPECT_FAULT(cpu_far_jmp(c, SEL_DATA3, 0x1000, 4, 0), X86_EXC_GP, SEL_DATA3 & ~3);
    EXPECT_FAULT(cpu_far_jmp(c, SEL_CALLGATE0 | 3, 0, 4, 0), X86_EXC_GP, SEL_CALLGATE0);
    EXPECT_FAULT(cpu_far_jmp(c, SEL_TSS_A, 0, 4, 0), X86_EXC_GP, SEL_TSS_A);  /* DPL 0 */
    ck_assert_uint_eq(c->cpu.rip, 0x8048000);
    ck_assert_mem_eq(&c->cpu.seg[S_CS], &cs, sizeof(cs));
    /* conforming code keeps CPL 3 and gets RPL 3 */
    EXPECT_OK(cpu_far_jmp(c, SEL_CONF0, 0x1234, 4, 0));
    ck_assert_uint_eq(c->cpu.seg[S_CS].selector, SEL_CONF0 | 3);
    ck_assert_uint_eq(c->cpl, 3);
    ck_assert_uint_eq(c->cpu.rip, 0x1234);
    enter_protected(0);
    EXPECT_FAULT(cpu_far_jmp(c, SEL_CODE0_NP, 0x1000, 4, 0), X86_EXC_NP, SEL_CODE0_NP);
    EXPECT_FAULT(cpu_far_jmp(c, SEL_CODE16, 0x10000, 4, 0), X86_EXC_GP, 0);  /* beyond limit */
    EXPECT_OK(cpu_far_jmp(c, SEL_CODE16, 0x12345678, 2, 0));
    ck_assert_uint_eq(c->cpu.rip, 0x5678);
    ck_assert_uint_eq(c->cpu.seg[S_CS].selector, SEL_CODE16);
    ck_assert(!(c->cpu.seg[S_CS].attr & SEG_ATTR_DB));
    /* through a call gate at the same privilege */
    EXPECT_OK(cpu_far_jmp(c, SEL_CALLGATE0, 0, 4, 0));
    ck_assert_uint_eq(c->cpu.rip, 0xc0006000);
    ck_assert_uint_eq(c->cpu.seg[S_CS].selector, SEL_CODE0);
}
END_TEST

START_TEST(far_jmp_and_call_real_mode)
{
    cpu_seg_load_real(&c->cpu.seg[S_CS], 0x1000);
    cpu_seg_load_real(&c->cpu.seg[S_SS], 0x2000);
    c->cpu.regs[R_RSP] = 0x100;
    c->cpu.rip = 0x10;
    EXPECT_OK(cpu_far_call(c, 0xf000, 0xe05b, 2, 0x15));
    ck_assert_uint_eq(c->cpu.seg[S_CS].base, 0xf0000);
    ck_assert_uint_eq(c->cpu.rip, 0xe05b);
    ck_assert_uint_eq(c->cpu.regs[R_RSP], 0xfc);
    ck_assert_uint_eq(rd(0x200fc, 2), 0x15);
    ck_assert_uint_eq(rd(0x200fe, 2), 0x1000);
    EXPECT_OK(cpu_far_ret(c, 2, 4));
    ck_assert_uint_eq(c->cpu.seg[S_CS].selector, 0x1000);
    ck_assert_uint_eq(c->cpu.rip, 0x15);
    ck_assert_uint_eq(c->cpu.regs[R_RSP], 0x104);
    EXPECT_OK(cpu_far_jmp(c, 0x0070, 0x0200, 2, 0));
    ck_assert_uint_eq(c->cpu.seg[S_CS].base, 0x700);
    ck_assert_uint_eq(c->cpu.rip, 0x200);
    /* a 16-bit SP wraps from 0 */
    c->cpu.regs[R_RSP] = 0;
    EXPECT_OK(cpu_far_call(c, 0x0080, 0x0300, 2, 0x205));
    ck_assert_uint_eq(c->cpu.regs[R_RSP], 0xfffc);
    ck_assert_uint_eq(rd(0x2fffe, 2), 0x0070);
}
END_TEST

START_TEST(far_call_through_gate_to_inner_privilege_copies_parameters)
{
    enter_protected(3);
    c->cpu.regs[R_RSP] = 0x7000;
    c->cpu.rip = 0x8048000;
    wr(0x7000, 4, 0xaaaa0000);   /* parameter 0 (top of stack) */
    wr(0x7004, 4, 0xbbbb1111);   /* parameter 1 */
    EXPECT_OK(cpu_far_call(c, SEL_CALLGATE3 | 3, 0xdeadbeef, 4, 0x8048007));
    ck_assert_uint_eq(c->cpl, 0);
    ck_assert_uint_eq(c->cpu.seg[S_CS].selector, SEL_CODE0);
    ck_assert_uint_eq(c->cpu.rip, 0xc0005000);
    ck_assert_uint_eq(c->cpu.seg[S_SS].selector, SEL_DATA0);
    ck_assert_uint_eq(c->cpu.regs[R_RSP], 0x9000 - 24);
    ck_assert_uint_eq(rd(0x9000 - 24, 4), 0x8048007);
    ck_assert_uint_eq(rd(0x9000 - 20, 4), SEL_CODE3);
    ck_assert_uint_eq(rd(0x9000 - 16, 4), 0xaaaa0000);
    ck_assert_uint_eq(rd(0x9000 - 12, 4), 0xbbbb1111);
    ck_assert_uint_eq(rd(0x9000 - 8, 4), 0x7000);
    ck_assert_uint_eq(rd(0x9000 - 4, 4), SEL_DATA3);

    /* The kernel loads its own data segments, then RET 8 back to ring 3:
     * DS and GS (DPL 0) become null, ES (DPL 3) and FS (conforming) stay. */
    load_cache(S_DS, SEL_DATA0);
    load_cache(S_GS, SEL_DATA0);
    load_cache(S_FS, SEL_CONF0);
    EXPECT_OK(cpu_far_ret(c, 4, 8));
    ck_assert_uint_eq(c->cpl, 3);
    ck_assert_uint_eq(c->cpu.seg[S_CS].selector, SEL_CODE3);
    ck_assert_uint_eq(c->cpu.rip, 0x8048007);
    ck_assert_uint_eq(c->cpu.seg[S_SS].selector, SEL_DATA3);
    ck_assert_uint_eq(c->cpu.regs[R_RSP], 0x7008);
    ck_assert_uint_eq(c->cpu.seg[S_DS].selector, 0);
    ck_assert(c->cpu.seg[S_DS].unusable);
    ck_assert_uint_eq(c->cpu.seg[S_GS].selector, 0);
    ck_assert_uint_eq(c->cpu.seg[S_ES].selector, SEL_DATA3);
    ck_assert_uint_eq(c->cpu.seg[S_FS].selector, SEL_CONF0);
}
END_TEST

START_TEST(far_call_gate_faults)
{
    enter_protected(3);
    c->cpu.regs[R_RSP] = 0x7000;
    /* gate DPL 0 from CPL 3 */
    EXPECT_FAULT(cpu_far_call(c, SEL_CALLGATE0 | 3, 0, 4, 0), X86_EXC_GP, SEL_CALLGATE0);
    /* RPL 3 > gate DPL... fine for DPL 3; a bad SS0 in the TSS is #TS(SS0) */
    wr(TSS_A + 8, 2, SEL_DATA3);
    EXPECT_FAULT(cpu_far_call(c, SEL_CALLGATE3 | 3, 0, 4, 0), X86_EXC_TS, SEL_DATA3 & ~3);
    wr(TSS_A + 8, 2, 0);
    EXPECT_FAULT(cpu_far_call(c, SEL_CALLGATE3 | 3, 0, 4, 0), X86_EXC_TS, 0);
    /* a TSS too short for SS0:ESP0 is #TS(TR) */
    wr(TSS_A + 8, 2, SEL_DATA0);
    c->cpu.tr.limit = 8;
    EXPECT_FAULT(cpu_far_call(c, SEL_CALLGATE3 | 3, 0, 4, 0), X86_EXC_TS, SEL_TSS_A);
    c->cpu.tr.limit = 0xfff;
    /* a not-present gate: #NP(gate) */
    put_gate_at(GDT + 0xd0, SEL_CODE0, 0, 0x6c, 0);
    EXPECT_FAULT(cpu_far_call(c, 0xd3, 0, 4, 0), X86_EXC_NP, 0xd0);
    /* nothing happened */
    ck_assert_uint_eq(c->cpu.regs[R_RSP], 0x7000);
    ck_assert_uint_eq(c->cpl, 3);
    /* same privilege through a gate: CS:EIP pushed on the current stack */
    enter_protected(0);
    c->cpu.regs[R_RSP] = 0x8000;
    EXPECT_OK(cpu_far_call(c, SEL_CALLGATE0, 0, 2, 0x1234));
    ck_assert_uint_eq(c->cpu.regs[R_RSP], 0x8000 - 8);   /* 32-bit gate: dwords */
    ck_assert_uint_eq(rd(0x8000 - 8, 4), 0x1234);
    ck_assert_uint_eq(rd(0x8000 - 4, 4), SEL_CODE0);
    ck_assert_uint_eq(c->cpu.rip, 0xc0006000);
}
END_TEST

START_TEST(far_ret_checks)
{
    enter_protected(0);
    c->cpu.regs[R_RSP] = 0x8000;
    /* returning to a more privileged level is #GP(selector) */
    enter_protected(3);
    c->cpu.regs[R_RSP] = 0x7000;
    wr(0x7000, 4, 0x1000);
    wr(0x7004, 4, SEL_CODE0);
    EXPECT_FAULT(cpu_far_ret(c, 4, 0), X86_EXC_GP, SEL_CODE0);
    wr(0x7004, 4, 0);
    EXPECT_FAULT(cpu_far_ret(c, 4, 0), X86_EXC_GP, 0);
    /* a stack too short for the return address: #SS(0) */
    put_desc(0xd0, 0, 0x7002, 0xf3, 0x4);
    load_cache(S_SS, 0xd3);
    EXPECT_FAULT(cpu_far_ret(c, 4, 0), X86_EXC_SS, 0);
    /* outer return with an SS whose RPL differs from the new CPL */
    enter_protected(0);
    c->cpu.regs[R_RSP] = 0x8000;
    wr(0x8000, 4, 0x1000);
    wr(0x8004, 4, SEL_CODE3);
    wr(0x8008, 4, 0x7000);
    wr(0x800c, 4, SEL_DATA2 | 2);
    EXPECT_FAULT(cpu_far_ret(c, 4, 0), X86_EXC_GP, SEL_DATA2);
    wr(0x800c, 4, SEL_DATA3_NP | 3);
    EXPECT_FAULT(cpu_far_ret(c, 4, 0), X86_EXC_SS, SEL_DATA3_NP);
    ck_assert_uint_eq(c->cpl, 0);
    ck_assert_uint_eq(c->cpu.regs[R_RSP], 0x8000);
}
END_TEST

/* IRET */

START_TEST(iret_protected_same_and_outer)
{
    enter_protected(0);
    c->cpu.regs[R_RSP] = 0x8000;
    wr(0x8000, 4, 0x1000);
    wr(0x8004, 4, SEL_CODE0);
    wr(0x8008, 4, X86_FLAG_CF | X86_FLAG_IOPL | X86_FLAG_AC);
    EXPECT_OK(cpu_iret(c, 4, 0));
    ck_assert_uint_eq(c->cpu.rip, 0x1000);
    ck_assert_uint_eq(c->cpu.regs[R_RSP], 0x800c);
    ck_assert_uint_eq(c->cpu.rflags, X86_FLAG_FIXED | X86_FLAG_CF | X86_FLAG_IOPL | X86_FLAG_AC);
    /* to ring 3: IF and IOPL obey the old CPL (0), SS:ESP popped */
    c->cpu.regs[R_RSP] = 0x8000;
    wr(0x8000, 4, 0x8048000);
    wr(0x8004, 4, SEL_CODE3);
    wr(0x8008, 4, X86_FLAG_IF | X86_FLAG_ZF);
    wr(0x800c, 4, 0x7000);
    wr(0x8010, 4, SEL_DATA3);
    load_cache(S_DS, SEL_DATA0);
    EXPECT_OK(cpu_iret(c, 4, 0));
    ck_assert_uint_eq(c->cpl, 3);
    ck_assert_uint_eq(c->cpu.rip, 0x8048000);
    ck_assert_uint_eq(c->cpu.seg[S_SS].selector, SEL_DATA3);
    ck_assert_uint_eq(c->cpu.regs[R_RSP], 0x7000);
    ck_assert_uint_eq(c->cpu.rflags, X86_FLAG_FIXED | X86_FLAG_IF | X86_FLAG_ZF);
    ck_assert_uint_eq(c->cpu.seg[S_DS].selector, 0);
    /* at CPL 3 with IOPL 0 IRET cannot change IF or IOPL */
    c->cpu.regs[R_RSP] = 0x7000;
    wr(0x7000, 4, 0x8048100);
    wr(0x7004, 4, SEL_CODE3);
    wr(0x7008, 4, X86_FLAG_IOPL | X86_FLAG_CF);
    EXPECT_OK(cpu_iret(c, 4, 0));
    ck_assert_uint_eq(c->cpu.rflags, X86_FLAG_FIXED | X86_FLAG_IF | X86_FLAG_CF);
    ck_assert_uint_eq(c->cpu.rip, 0x8048100);
    /* NMIs are unblocked even by an IRET that faults */
    c->cpu.nmi_masked = true;
    c->cpu.regs[R_RSP] = 0x7000;
    wr(0x7004, 4, SEL_CODE0);
    EXPECT_FAULT(cpu_iret(c, 4, 0), X86_EXC_GP, SEL_CODE0);
    ck_assert(!c->cpu.nmi_masked);
}
END_TEST

START_TEST(iret_real_mode)
{
    cpu_seg_load_real(&c->cpu.seg[S_SS], 0x2000);
    c->cpu.regs[R_RSP] = 0xfa;
    wr(0x200fa, 2, 0x1234);
    wr(0x200fc, 2, 0x5000);
    wr(0x200fe, 2, X86_FLAG_IF | X86_FLAG_IOPL | X86_FLAG_NT | X86_FLAG_CF);
    EXPECT_OK(cpu_iret(c, 2, 0));
    ck_assert_uint_eq(c->cpu.rip, 0x1234);
    ck_assert_uint_eq(c->cpu.seg[S_CS].base, 0x50000);
    ck_assert_uint_eq(c->cpu.regs[R_RSP], 0x100);
    ck_assert_uint_eq(c->cpu.rflags,
                      X86_FLAG_FIXED | X86_FLAG_IF | X86_FLAG_IOPL | X86_FLAG_NT | X86_FLAG_CF);
}
END_TEST

static void put_v86_frame(uint32_t at, uint32_t eip, uint32_t eflags)
{
    static const uint32_t rest[] = { 0x3000, 0, 0x200, 0x7000, 0x1111, 0x2222, 0x3333, 0x4444 };
    wr(at, 4, eip);
    wr(at + 4, 4, 0x3000);       /* CS */
    wr(at + 8, 4, eflags);
    for (unsigned i = 3; i < 9; i++)
        wr(at + 4 * i, 4, rest[i - 1]);   /* ESP, SS, ES, DS, FS, GS */
}

START_TEST(iret_to_v86_and_back_from_v86)
{
    enter_protected(0);
    c->cpu.regs[R_RSP] = 0x8000;
    put_v86_frame(0x8000, 0x100, X86_FLAG_VM | X86_FLAG_IOPL | X86_FLAG_IF | X86_FLAG_FIXED);
    EXPECT_OK(cpu_iret(c, 4, 0));
    ck_assert(c->cpu.rflags & X86_FLAG_VM);
    ck_assert_uint_eq(c->cpl, 3);
    ck_assert_uint_eq(c->cpu.rip, 0x100);
    ck_assert_uint_eq(c->cpu.regs[R_RSP], 0x200);
    static const uint16_t sel[X86_NR_SEGS] = { 0x1111, 0x3000, 0x7000, 0x2222, 0x3333, 0x4444 };
    for (int s = 0; s < X86_NR_SEGS; s++) {
        ck_assert_uint_eq(c->cpu.seg[s].selector, sel[s]);
        ck_assert_uint_eq(c->cpu.seg[s].base, (uint64_t)sel[s] << 4);
        ck_assert_uint_eq(c->cpu.seg[s].limit, 0xffff);
        ck_assert_uint_eq(c->seg_rlim1[s], 0x10000);
    }
    /* INT 0x80 from v86 (IOPL 3) to ring 0 and IRET back */
    put_gate_at(IDT + 0x80 * 8, SEL_CODE0, 0xc0002000, 0xee, 0);
    sigjmp_buf jb;
    c->unwind = &jb;
    ck_assert_int_eq(sigsetjmp(jb, 0), 0);
    c->cpu.rip = 0x100;
    ck_assert(cpu_deliver_event(c, CPU_EVENT_SOFTWARE, 0x80, false, 0, 0x102));
    ck_assert(!(c->cpu.rflags & X86_FLAG_VM));
    ck_assert_uint_eq(c->cpl, 0);
    ck_assert_uint_eq(c->cpu.seg[S_DS].selector, 0);
    EXPECT_OK(cpu_iret(c, 4, 0));
    ck_assert(c->cpu.rflags & X86_FLAG_VM);
    ck_assert_uint_eq(c->cpu.rip, 0x102);
    ck_assert_uint_eq(c->cpu.regs[R_RSP], 0x200);
    for (int s = 0; s < X86_NR_SEGS; s++)
        ck_assert_uint_eq(c->cpu.seg[s].selector, sel[s]);
    ck_assert_uint_eq(c->cpu.regs[R_RSP], 0x200);

    /* IRET inside v86 mode with IOPL 3: 16-bit frame, IOPL kept */
    c->cpu.regs[R_RSP] = 0x1f0;
    wr(0x70000 + 0x1f0, 2, 0x0456);
    wr(0x70000 + 0x1f2, 2, 0x4000);
    wr(0x70000 + 0x1f4, 2, X86_FLAG_CF);   /* IOPL 0, IF 0 in the image */
    EXPECT_OK(cpu_iret(c, 2, 0));
    ck_assert_uint_eq(c->cpu.rip, 0x456);
    ck_assert_uint_eq(c->cpu.seg[S_CS].base, 0x40000);
    ck_assert_uint_eq(c->cpu.regs[R_RSP], 0x1f6);
    ck_assert_uint_eq(c->cpu.rflags, X86_FLAG_FIXED | X86_FLAG_VM | X86_FLAG_IOPL | X86_FLAG_CF);
    ck_assert(c->cpu.rflags & X86_FLAG_VM);

    /* IOPL < 3 without VME: #GP(0), nothing popped */
    c->cpu.rflags &= ~(uint64_t)X86_FLAG_IOPL;
    c->cpu.regs[R_RSP] = 0x1f0;
    EXPECT_FAULT(cpu_iret(c, 2, 0), X86_EXC_GP, 0);
    ck_assert_uint_eq(c->cpu.regs[R_RSP], 0x1f0);
    /* with VME a 16-bit IRET moves IF into VIF */
    c->cpu.cr4 |= X86_CR4_VME;
    wr(0x70000 + 0x1f4, 2, X86_FLAG_IF | X86_FLAG_CF);
    EXPECT_OK(cpu_iret(c, 2, 0));
    ck_assert(c->cpu.rflags & X86_FLAG_VIF);
    ck_assert(!(c->cpu.rflags & X86_FLAG_IF));
    /* ... but TF in the image is #GP(0) */
    c->cpu.regs[R_RSP] = 0x1f0;
    wr(0x70000 + 0x1f4, 2, X86_FLAG_TF);
    EXPECT_FAULT(cpu_iret(c, 2, 0), X86_EXC_GP, 0);
}
END_TEST

START_TEST(iretq_to_64bit_user_mode)
{
    enter_protected(0);
    const uint64_t pml4 = 0x10000, pdpt = 0x11000, pd = 0x12000;
    memset(ram + pml4, 0, 0x3000);
    wr(pml4, 8, pdpt | 7);
    wr(pdpt, 8, pd | 7);
    wr(pd, 8, 0x87);
    c->cpu.cr3 = pml4;
    c->cpu.cr4 = X86_CR4_PAE;
    c->cpu.efer = X86_EFER_LME | X86_EFER_LMA;
    c->cpu.cr0 |= X86_CR0_PG;
    tlb_flush_all(c);
    load_cache(S_CS, SEL_CODE64_0);
    struct x86_segment n;
    seg_cache_null(&n, 0, 0);
    seg_set(c, S_SS, &n);
    c->cpu.regs[R_RSP] = 0x8000;
    wr(0x8000, 8, 0x400123);
    wr(0x8008, 8, SEL_CODE64_3);
    wr(0x8010, 8, X86_FLAG_IF);
    wr(0x8018, 8, 0x7ff0);
    wr(0x8020, 8, SEL_DATA3);
    EXPECT_OK(cpu_iret(c, 8, 0));
    ck_assert_uint_eq(c->cpl, 3);
    ck_assert_uint_eq(c->cpu.rip, 0x400123);
    ck_assert_uint_eq(c->cpu.regs[R_RSP], 0x7ff0);
    ck_assert_uint_eq(c->cpu.seg[S_SS].selector, SEL_DATA3);
    ck_assert_uint_eq(c->cpu.seg[S_CS].selector, SEL_CODE64_3);
    /* a non-canonical RIP is #GP(0) */
    enter_protected(0);
    c->cpu.efer = X86_EFER_LME | X86_EFER_LMA;
    c->cpu.cr0 |= X86_CR0_PG;
    load_cache(S_CS, SEL_CODE64_0);
    c->cpu.regs[R_RSP] = 0x8000;
    wr(0x8000, 8, 0x0000800000000000ull);
    EXPECT_FAULT(cpu_iret(c, 8, 0), X86_EXC_GP, 0);
    /* NT set in long mode: #GP(0) */
    c->cpu.rflags |= X86_FLAG_NT;
    EXPECT_FAULT(cpu_iret(c, 8, 0), X86_EXC_GP, 0);
}
END_TEST

START_TEST(long_mode_call_gate_and_far_ret)
{
    enter_protected(3);
    const uint64_t pml4 = 0x10000, pdpt = 0x11000, pd = 0x12000;
    memset(ram + pml4, 0, 0x3000);
    wr(pml4, 8, pdpt | 7);
    wr(pdpt, 8, pd | 7);
    wr(pd, 8, 0x87);
    c->cpu.cr3 = pml4;
    c->cpu.cr4 = X86_CR4_PAE;
    c->cpu.efer = X86_EFER_LME | X86_EFER_LMA;
    c->cpu.cr0 |= X86_CR0_PG;
    tlb_flush_all(c);
    load_cache(S_CS, SEL_CODE64_3);
    /* 64-bit TSS (16-byte descriptor at 0xd8) with RSP0, and a 16-byte
     * call gate at 0xe8 to 64-bit ring-0 code */
    put_desc(0xd8, 0x4000, 0x67, 0x89, 0);
    wr(GDT + 0xe0, 8, 0);
    wr(0x4000 + 4, 8, 0x9008);
    const uint64_t target = 0xffffffff80001234ull;
    wr(GDT + 0xe8, 4, (target & 0xffff) | ((uint32_t)SEL_CODE64_0 << 16));
    wr(GDT + 0xec, 4, (target & 0xffff0000u) | (0xecu << 8));
    wr(GDT + 0xf0, 4, target >> 32);
    wr(GDT + 0xf4, 4, 0);
    struct seg_desc d;
    ck_assert(seg_desc_read_sys(c, 0xd8, &d));
    seg_cache_from_desc(&c->cpu.tr, 0xd8, &d);
    c->cpu.regs[R_RSP] = 0x7000;
    c->cpu.rip = 0x401000;
    EXPECT_OK(cpu_far_call(c, 0xeb, 0, 8, 0x401007));
    ck_assert_uint_eq(c->cpl, 0);
    ck_assert_uint_eq(c->cpu.rip, target);
    ck_assert_uint_eq(c->cpu.seg[S_CS].selector, SEL_CODE64_0);
    ck_assert_uint_eq(c->cpu.seg[S_SS].selector, 0);          /* null SS, RPL 0 */
    ck_assert_uint_eq(c->cpu.regs[R_RSP], 0x9008 - 32);       /* not aligned: only interrupts do */
    ck_assert_uint_eq(rd(0x9008 - 8, 8), SEL_DATA3);
    ck_assert_uint_eq(rd(0x9008 - 16, 8), 0x7000);
    ck_assert_uint_eq(rd(0x9008 - 24, 8), SEL_CODE64_3);
    ck_assert_uint_eq(rd(0x9008 - 32, 8), 0x401007);
    EXPECT_OK(cpu_far_ret(c, 8, 0));
    ck_assert_uint_eq(c->cpl, 3);
    ck_assert_uint_eq(c->cpu.rip, 0x401007);
    ck_assert_uint_eq(c->cpu.seg[S_CS].selector, SEL_CODE64_3);
    ck_assert_uint_eq(c->cpu.seg[S_SS].selector, SEL_DATA3);
    ck_assert_uint_eq(c->cpu.regs[R_RSP], 0x7000);
    /* a legacy 8-byte call gate type is not allowed in long mode: the
     * upper half of 0xa0 is the 0xa8 gate, whose type field is not 0 */
    EXPECT_FAULT(cpu_far_call(c, SEL_CALLGATE3 | 3, 0, 8, 0), X86_EXC_GP, SEL_CALLGATE3);
}
END_TEST

/* Task switches */

static void put_tss32(uint32_t base, uint32_t eip, uint32_t eflags, uint16_t cs, uint16_t ds,
                      uint32_t esp)
{
    memset(ram + base, 0, 0x68);
    wr(base + 0x20, 4, eip);
    wr(base + 0x24, 4, eflags);
    for (unsigned i = 0; i < 8; i++)
        wr(base + 0x28 + 4 * i, 4, 0x1000 * (i + 1) + 0xb);
    wr(base + 0x38, 4, esp);
    for (unsigned i = 0; i < 6; i++)
        wr(base + 0x48 + 4 * i, 2, i == S_CS ? cs : ds);
}

START_TEST(task_gate_interrupt_and_iret_back)
{
    enter_protected(3);
    for (unsigned i = 0; i < 8; i++)
        c->cpu.regs[i] = 0xa0 + i;
    c->cpu.regs[R_RSP] = 0x7000;
    c->cpu.rip = 0x8048000;
    c->cpu.rflags |= X86_FLAG_CF;
    put_tss32(TSS_B, 0x5000, X86_FLAG_FIXED | X86_FLAG_IF, SEL_CODE0, SEL_DATA0, 0x9800);
    put_gate_at(IDT + 0x30 * 8, SEL_TSS_B, 0, 0x85, 0);
    sigjmp_buf jb;
    c->unwind = &jb;
    ck_assert_int_eq(sigsetjmp(jb, 0), 0);
    ck_assert(cpu_deliver_event(c, CPU_EVENT_EXTERNAL, 0x30, false, 0, 0));
    c->unwind = NULL;
    ck_assert_uint_eq(c->cpu.tr.selector, SEL_TSS_B);
    ck_assert_uint_eq(rd(GDT + SEL_TSS_B + 5, 1), 0x8b);       /* B busy */
    ck_assert_uint_eq(rd(GDT + SEL_TSS_A + 5, 1), 0x8b);       /* A still busy */
    ck_assert_uint_eq(rd(TSS_B, 2), SEL_TSS_A);                 /* back link */
    ck_assert(c->cpu.rflags & X86_FLAG_NT);
    ck_assert(c->cpu.cr0 & X86_CR0_TS);
    ck_assert_uint_eq(c->cpu.rip, 0x5000);
    ck_assert_uint_eq(c->cpu.regs[R_RAX], 0x100b);
    ck_assert_uint_eq(c->cpu.regs[R_RSP], 0x9800);
    ck_assert_uint_eq(c->cpu.seg[S_CS].selector, SEL_CODE0);
    ck_assert_uint_eq(c->cpu.seg[S_SS].selector, SEL_DATA0);
    ck_assert_uint_eq(c->cpl, 0);
    /* the outgoing state landed in A's TSS */
    ck_assert_uint_eq(rd(TSS_A + 0x20, 4), 0x8048000);
    ck_assert_uint_eq(rd(TSS_A + 0x24, 4), X86_FLAG_FIXED | X86_FLAG_IF | X86_FLAG_CF);
    ck_assert_uint_eq(rd(TSS_A + 0x28, 4), 0xa0);
    ck_assert_uint_eq(rd(TSS_A + 0x38, 4), 0x7000);
    ck_assert_uint_eq(rd(TSS_A + 0x4c, 2), SEL_CODE3);
    ck_assert_uint_eq(rd(TSS_A + 0x50, 2), SEL_DATA3);

    /* IRET with NT: back to A */
    c->cpu.regs[R_RAX] = 0x77;
    EXPECT_OK(cpu_iret(c, 4, 0x5001));
    ck_assert_uint_eq(c->cpu.tr.selector, SEL_TSS_A);
    ck_assert_uint_eq(rd(GDT + SEL_TSS_B + 5, 1), 0x89);       /* B free again */
    ck_assert_uint_eq(rd(GDT + SEL_TSS_A + 5, 1), 0x8b);
    ck_assert_uint_eq(c->cpu.rip, 0x8048000);
    ck_assert_uint_eq(c->cpu.regs[R_RAX], 0xa0);
    ck_assert_uint_eq(c->cpu.regs[R_RSP], 0x7000);
    ck_assert_uint_eq(c->cpl, 3);
    ck_assert_uint_eq(c->cpu.seg[S_CS].selector, SEL_CODE3);
    ck_assert_uint_eq(c->cpu.rflags, X86_FLAG_FIXED | X86_FLAG_IF | X86_FLAG_CF);
    /* B saved with NT clear and the instruction after IRET */
    ck_assert_uint_eq(rd(TSS_B + 0x20, 4), 0x5001);
    ck_assert_uint_eq(rd(TSS_B + 0x24, 4) & X86_FLAG_NT, 0);
    ck_assert_uint_eq(rd(TSS_B + 0x28, 4), 0x77);
}
END_TEST

START_TEST(task_gate_exception_pushes_error_code)
{
    enter_protected(0);
    c->cpu.rip = 0x1234;
    put_tss32(TSS_B, 0x5000, X86_FLAG_FIXED, SEL_CODE0, SEL_DATA0, 0x9800);
    put_gate_at(IDT + 13 * 8, SEL_TSS_B, 0, 0x85, 0);
    sigjmp_buf jb;
    c->unwind = &jb;
    ck_assert_int_eq(sigsetjmp(jb, 0), 0);
    ck_assert(cpu_deliver_event(c, CPU_EVENT_EXCEPTION, X86_EXC_GP, true, 0x58, 0));
    c->unwind = NULL;
    ck_assert_uint_eq(c->cpu.regs[R_RSP], 0x9800 - 4);
    ck_assert_uint_eq(rd(0x9800 - 4, 4), 0x58);
    ck_assert_uint_eq(rd(TSS_A + 0x20, 4), 0x1234);            /* the faulting EIP */
    /* a second #GP through the same (now busy) task: #GP(TSS + EXT), then #DF */
    put_gate_at(IDT + 8 * 8, SEL_CODE0, 0x8000, 0x8e, 0);
    c->unwind = &jb;
    ck_assert_int_eq(sigsetjmp(jb, 0), 0);
    ck_assert(cpu_deliver_event(c, CPU_EVENT_EXCEPTION, X86_EXC_GP, true, 0, 0));
    c->unwind = NULL;
    ck_assert_uint_eq(c->cpu.rip, 0x8000);
}
END_TEST

START_TEST(far_call_and_jmp_to_tasks)
{
    enter_protected(3);
    c->cpu.rip = 0x8048000;
    c->cpu.regs[R_RSP] = 0x7000;
    put_tss32(TSS_B, 0x6000, X86_FLAG_FIXED, SEL_CODE3, SEL_DATA3, 0x6800);
    /* CALL through a DPL 3 task gate: nested */
    EXPECT_OK(cpu_far_call(c, SEL_TASKGATE3 | 3, 0, 4, 0x8048007));
    ck_assert_uint_eq(c->cpu.tr.selector, SEL_TSS_B);
    ck_assert(c->cpu.rflags & X86_FLAG_NT);
    ck_assert_uint_eq(rd(TSS_B, 2), SEL_TSS_A);
    ck_assert_uint_eq(rd(TSS_A + 0x20, 4), 0x8048007);
    ck_assert_uint_eq(c->cpu.rip, 0x6000);
    ck_assert_uint_eq(c->cpl, 3);
    /* JMP to the busy outer task: #GP(selector) (and the TSS is DPL 0) */
    EXPECT_FAULT(cpu_far_jmp(c, SEL_TSS_A, 0, 4, 0), X86_EXC_GP, SEL_TSS_A);

    /* JMP from ring 0 to a free TSS: not nested, the old task is freed */
    enter_protected(0);
    c->cpu.rip = 0x100;
    put_desc(SEL_TSS_B, TSS_B, 0x67, 0x89, 0);
    put_tss32(TSS_B, 0x6000, X86_FLAG_FIXED, SEL_CODE0, SEL_DATA0, 0x6800);
    EXPECT_OK(cpu_far_jmp(c, SEL_TSS_B, 0, 4, 0x107));
    ck_assert_uint_eq(rd(GDT + SEL_TSS_A + 5, 1), 0x89);
    ck_assert_uint_eq(rd(GDT + SEL_TSS_B + 5, 1), 0x8b);
    ck_assert(!(c->cpu.rflags & X86_FLAG_NT));
    ck_assert_uint_eq(rd(TSS_A + 0x20, 4), 0x107);
    /* a TSS below the minimum limit: #TS(selector) */
    EXPECT_FAULT(cpu_far_jmp(c, SEL_TSS_SMALL, 0, 4, 0), X86_EXC_TS, SEL_TSS_SMALL);
    ck_assert_uint_eq(c->cpu.tr.selector, SEL_TSS_B);
}
END_TEST

START_TEST(task_switch_faults_after_commit_are_in_the_new_task)
{
    enter_protected(0);
    c->cpu.rip = 0x100;
    /* the new task's SS is not writable: #TS(SS) after TR has switched */
    put_tss32(TSS_B, 0x6000, X86_FLAG_FIXED, SEL_CODE0, SEL_DATA0, 0x6800);
    wr(TSS_B + 0x50, 2, SEL_CODE0);
    EXPECT_FAULT(cpu_far_jmp(c, SEL_TSS_B, 0, 4, 0x107), X86_EXC_TS, SEL_CODE0);
    ck_assert_uint_eq(c->cpu.tr.selector, SEL_TSS_B);
    ck_assert_uint_eq(c->cpu.rip, 0x6000);
    ck_assert_uint_eq(c->cpu.seg[S_SS].selector, SEL_CODE0);
    /* an LDT selector that is not an LDT: #TS(LDT selector) */
    enter_protected(0);
    put_desc(SEL_TSS_B, TSS_B, 0x67, 0x89, 0);
    put_desc(SEL_TSS_A, TSS_A, 0xfff, 0x8b, 0);
    put_tss32(TSS_B, 0x6000, X86_FLAG_FIXED, SEL_CODE0, SEL_DATA0, 0x6800);
    wr(TSS_B + 0x60, 2, SEL_DATA0);
    EXPECT_FAULT(cpu_far_jmp(c, SEL_TSS_B, 0, 4, 0x107), X86_EXC_TS, SEL_DATA0);
    /* a valid LDT loads */
    enter_protected(0);
    put_desc(SEL_TSS_B, TSS_B, 0x67, 0x89, 0);
    put_desc(SEL_TSS_A, TSS_A, 0xfff, 0x8b, 0);
    put_tss32(TSS_B, 0x6000, X86_FLAG_FIXED, SEL_CODE0, SEL_DATA0, 0x6800);
    wr(TSS_B + 0x60, 2, SEL_LDT);
    wr(TSS_B + 0x54, 2, 0x0f);   /* DS from the LDT: DPL 3 data at CPL 0 */
    EXPECT_OK(cpu_far_jmp(c, SEL_TSS_B, 0, 4, 0x107));
    ck_assert_uint_eq(c->cpu.ldtr.selector, SEL_LDT);
    ck_assert_uint_eq(c->cpu.ldtr.base, LDT);
    ck_assert_uint_eq(c->cpu.seg[S_DS].base, 0x100000);
}
END_TEST

START_TEST(switch_to_16bit_tss)
{
    enter_protected(0);
    memset(ram + TSS_16, 0, 0x2c);
    wr(TSS_16 + 0x0e, 2, 0x0345);          /* IP */
    wr(TSS_16 + 0x10, 2, X86_FLAG_FIXED | X86_FLAG_CF);
    for (unsigned i = 0; i < 8; i++)
        wr(TSS_16 + 0x12 + 2 * i, 2, 0x10 + i);
    wr(TSS_16 + 0x22, 2, SEL_DATA0);       /* ES */
    wr(TSS_16 + 0x24, 2, SEL_CODE16);      /* CS */
    wr(TSS_16 + 0x26, 2, SEL_DATA0);       /* SS */
    wr(TSS_16 + 0x28, 2, SEL_DATA0);       /* DS */
    c->cpu.regs[R_RAX] = 0x12345678;
    EXPECT_OK(cpu_far_jmp(c, SEL_TSS16, 0, 4, 0x200));
    ck_assert_uint_eq(c->cpu.rip, 0x345);
    ck_assert_uint_eq(c->cpu.regs[R_RAX], 0xffff0010);
    ck_assert_uint_eq(c->cpu.regs[R_RDI], 0xffff0017);
    ck_assert_uint_eq(c->cpu.seg[S_CS].selector, SEL_CODE16);
    ck_assert_uint_eq(c->cpu.seg[S_FS].selector, 0);
    ck_assert_uint_eq(c->cpu.rflags, X86_FLAG_FIXED | X86_FLAG_CF);
    ck_assert_uint_eq(rd(GDT + SEL_TSS16 + 5, 1), 0x83);
    ck_assert_uint_eq(rd(TSS_A + 0x28, 4), 0x12345678);
}
END_TEST

/* LAR / LSL / VERR / VERW */

struct desc_case {
    uint16_t sel;
    unsigned cpl;
    bool lar, lsl, verr, verw;
    uint32_t ar, limit;
};

static const struct desc_case desc_cases[] = {
    { 0x0000, 0, false, false, false, false, 0, 0 },                         /* null */
    { 0x0103, 0, false, false, false, false, 0, 0 },                         /* beyond limit */
    { SEL_DATA3, 3, true, true, true, true, 0x00c0f300, 0xffffffff },
    { SEL_DATA0 | 3, 3, false, false, false, false, 0, 0 },                  /* DPL < CPL */
    { SEL_DATA0, 0, true, true, true, true, 0x00c09300, 0xffffffff },
    { SEL_DATA2 | 3, 0, false, false, false, false, 0, 0 },                  /* RPL > DPL */
    { SEL_RODATA3, 3, true, true, true, false, 0x00c0f100, 0xffffffff },
    { SEL_XONLY3, 3, true, true, false, false, 0x00c0f900, 0xffffffff },
    { SEL_CONF0 | 3, 3, true, true, true, false, 0x00c09f00, 0xffffffff },   /* conforming */
    { SEL_CODE16, 0, true, true, true, false, 0x00009b00, 0xffff },
    { SEL_DATA0_NP, 0, true, true, true, true, 0x00c01300, 0xffffffff },     /* not present: still valid */
    { SEL_LDT, 0, true, true, false, false, 0x00008200, 0x17 },
    { SEL_TSS_A, 0, true, true, false, false, 0x00008b00, 0xfff },
    { SEL_TSS16, 0, true, true, false, false, 0x00008100, 0x2b },
    { SEL_CALLGATE3, 3, true, false, false, false, 0x0000ec00, 0 },
    { SEL_TASKGATE3, 3, true, false, false, false, 0x0000e500, 0 },
    { SEL_INTGATE, 0, false, false, false, false, 0, 0 },                    /* not for LAR */
    { SEL_TSS_A | 3, 3, false, false, false, false, 0, 0 },                  /* DPL 0 from CPL 3 */
    { 0x0f, 3, true, true, true, true, 0x0000f300, 0xffff },                 /* LDT entry */
};

START_TEST(lar_lsl_verr_verw)
{
    const struct desc_case *t = &desc_cases[_i];
    enter_protected(t->cpl);
    struct seg_desc d;
    ck_assert(seg_desc_read(c, SEL_LDT, &d));
    seg_cache_from_desc(&c->cpu.ldtr, SEL_LDT, &d);
    uint32_t ar = 0x5555, limit = 0x6666;
    bool zf;
    EXPECT_OK(zf = cpu_lar(c, t->sel, &ar));
    ck_assert_int_eq(zf, t->lar);
    ck_assert_uint_eq(ar, t->lar ? t->ar : 0x5555);
    EXPECT_OK(zf = cpu_lsl(c, t->sel, &limit));
    ck_assert_int_eq(zf, t->lsl);
    ck_assert_uint_eq(limit, t->lsl ? t->limit : 0x6666);
    EXPECT_OK(zf = cpu_verr(c, t->sel));
    ck_assert_int_eq(zf, t->verr);
    EXPECT_OK(zf = cpu_verw(c, t->sel));
    ck_assert_int_eq(zf, t->verw);
}
END_TEST

START_TEST(descriptor_instructions_fault_outside_protected_mode)
{
    uint32_t v;
    uint16_t s = 0;
    EXPECT_FAULT(cpu_lar(c, SEL_DATA0, &v), X86_EXC_UD, 0);
    EXPECT_FAULT(cpu_verw(c, SEL_DATA0), X86_EXC_UD, 0);
    EXPECT_FAULT(cpu_lldt(c, SEL_LDT), X86_EXC_UD, 0);
    EXPECT_FAULT(cpu_sldt(c), X86_EXC_UD, 0);
    EXPECT_FAULT(cpu_arpl(c, &s, 3), X86_EXC_UD, 0);
    enter_protected(0);
    c->cpu.rflags |= X86_FLAG_VM;
    EXPECT_FAULT(cpu_str(c), X86_EXC_UD, 0);
}
END_TEST

START_TEST(lldt_ltr_sldt_str_arpl)
{
    enter_protected(3);
    EXPECT_FAULT(cpu_lldt(c, SEL_LDT), X86_EXC_GP, 0);
    EXPECT_FAULT(cpu_ltr(c, SEL_TSS_B), X86_EXC_GP, 0);
    enter_protected(0);
    EXPECT_OK(cpu_lldt(c, SEL_LDT));
    ck_assert_uint_eq(c->cpu.ldtr.base, LDT);
    ck_assert_uint_eq(c->cpu.ldtr.limit, 0x17);
    ck_assert(!c->cpu.ldtr.unusable);
    uint16_t v;
    EXPECT_OK(v = cpu_sldt(c));
    ck_assert_uint_eq(v, SEL_LDT);
    EXPECT_FAULT(cpu_lldt(c, SEL_DATA0), X86_EXC_GP, SEL_DATA0);
    EXPECT_FAULT(cpu_lldt(c, 0x0f), X86_EXC_GP, 0x0c);       /* from the LDT */
    put_desc(0xd0, LDT, 0x17, 0x02, 0);                       /* not present */
    EXPECT_FAULT(cpu_lldt(c, 0xd0), X86_EXC_NP, 0xd0);
    EXPECT_OK(cpu_lldt(c, 0));
    ck_assert(c->cpu.ldtr.unusable);

    EXPECT_FAULT(cpu_ltr(c, 0), X86_EXC_GP, 0);
    EXPECT_FAULT(cpu_ltr(c, SEL_TSS_A), X86_EXC_GP, SEL_TSS_A);   /* busy */
    EXPECT_FAULT(cpu_ltr(c, SEL_LDT), X86_EXC_GP, SEL_LDT);
    EXPECT_OK(cpu_ltr(c, SEL_TSS_B));
    ck_assert_uint_eq(c->cpu.tr.selector, SEL_TSS_B);
    ck_assert_uint_eq(c->cpu.tr.base, TSS_B);
    ck_assert_uint_eq(rd(GDT + SEL_TSS_B + 5, 1), 0x8b);
    EXPECT_OK(v = cpu_str(c));
    ck_assert_uint_eq(v, SEL_TSS_B);

    uint16_t d = 0x1231;
    bool zf;
    EXPECT_OK(zf = cpu_arpl(c, &d, 0x0003));
    ck_assert(zf);
    ck_assert_uint_eq(d, 0x1233);
    EXPECT_OK(zf = cpu_arpl(c, &d, 0x0002));
    ck_assert(!zf);
    ck_assert_uint_eq(d, 0x1233);
}
END_TEST

static Suite *segment_suite(void)
{
    Suite *s = suite_create("segment");
    TCase *tc = tcase_create("segment");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, seg_load_checks, 0, sizeof(load_cases) / sizeof(load_cases[0]));
    tcase_add_test(tc, seg_load_sets_accessed_bit_and_caches);
    tcase_add_test(tc, seg_load_null_ss_in_64bit_mode);
    tcase_add_test(tc, seg_load_real_and_v86);
    tcase_add_test(tc, far_jmp_checks);
    tcase_add_test(tc, far_jmp_and_call_real_mode);
    tcase_add_test(tc, far_call_through_gate_to_inner_privilege_copies_parameters);
    tcase_add_test(tc, far_call_gate_faults);
    tcase_add_test(tc, far_ret_checks);
    tcase_add_test(tc, iret_protected_same_and_outer);
    tcase_add_test(tc, iret_real_mode);
    tcase_add_test(tc, iret_to_v86_and_back_from_v86);
    tcase_add_test(tc, iretq_to_64bit_user_mode);
    tcase_add_test(tc, long_mode_call_gate_and_far_ret);
    tcase_add_test(tc, task_gate_interrupt_and_iret_back);
    tcase_add_test(tc, task_gate_exception_pushes_error_code);
    tcase_add_test(tc, far_call_and_jmp_to_tasks);
    tcase_add_test(tc, task_switch_faults_after_commit_are_in_the_new_task);
    tcase_add_test(tc, switch_to_16bit_tss);
    tcase_add_loop_test(tc, lar_lsl_verr_verw, 0, sizeof(desc_cases) / sizeof(desc_cases[0]));
    tcase_add_test(tc, descriptor_instructions_fault_outside_protected_mode);
    tcase_add_test(tc, lldt_ltr_sldt_str_arpl);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return test_run_suite(segment_suite());
}
