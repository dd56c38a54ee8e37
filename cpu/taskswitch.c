/* Hardware task switching (SDM vol. 3 ch. 7): saving the outgoing task in
 * its TSS, busy bits, NT and the back link, and loading the incoming task
 * with the checks of table 7-1; plus the inner-privilege stack pointers the
 * TSS holds for call gates and interrupts. */
#include "cpu/farxfer.h"

#include "cpu/exception.h"
#include "softmmu/mmu.h"

/* Offsets in a 32-bit TSS (SDM vol. 3, figure 7-2). */
enum {
    TSS32_CR3 = 0x1c, TSS32_EIP = 0x20, TSS32_EFLAGS = 0x24, TSS32_EAX = 0x28,
    TSS32_ES = 0x48, TSS32_LDT = 0x60, TSS32_MIN_LIMIT = 0x67, TSS32_SAVE_END = 0x5f,
};
/* Offsets in a 16-bit TSS (figure 7-12). */
enum {
    TSS16_IP = 0x0e, TSS16_FLAGS = 0x10, TSS16_AX = 0x12, TSS16_ES = 0x22,
    TSS16_LDT = 0x2a, TSS16_MIN_LIMIT = 0x2b, TSS16_SAVE_END = 0x29,
};

/* Segment registers in TSS order: ES, CS, SS, DS, FS, GS (the x86_segreg order). */

void cpu_tss_stack(struct cpu_exec *c, unsigned cpl, unsigned ist, uint16_t *ss, uint64_t *sp,
                   uint32_t ext)
{
    const struct x86_segment *tr = &c->cpu.tr;
    unsigned type = tr->attr & SEG_ATTR_TYPE_MASK;
    uint32_t err = SEL_ERR(tr->selector) | ext;
    if (cpu_long_mode(c)) {
        uint32_t off = ist ? 0x24 + (ist - 1) * 8 : 4 + cpl * 8;
        if (off + 7 > tr->limit)
            cpu_raise_exception_err(c, X86_EXC_TS, err);
        *sp = mmu_load_sys(c, tr->base + off, 8);
        *ss = (uint16_t)cpl;
    } else if (type == DESC_TSS16_AVAIL || type == DESC_TSS16_BUSY) {
        uint32_t off = 2 + cpl * 4;
        if (off + 3 > tr->limit)
            cpu_raise_exception_err(c, X86_EXC_TS, err);
        uint64_t a = tr->base & 0xffffffffull;
        *sp = mmu_load_sys(c, (a + off) & 0xffffffffull, 2);
        *ss = (uint16_t)mmu_load_sys(c, (a + off + 2) & 0xffffffffull, 2);
    } else {
        uint32_t off = 4 + cpl * 8;
        if (off + 5 > tr->limit)
            cpu_raise_exception_err(c, X86_EXC_TS, err);
        uint64_t a = tr->base & 0xffffffffull;
        *sp = mmu_load_sys(c, (a + off) & 0xffffffffull, 4);
        *ss = (uint16_t)mmu_load_sys(c, (a + off + 4) & 0xffffffffull, 2);
    }
}

struct task_state {
    uint32_t eip, eflags, cr3;
    uint32_t regs[8];
    uint16_t sel[X86_NR_SEGS];
    uint16_t ldt;
};

static uint64_t tss_rd(struct cpu_exec *c, uint32_t base, uint32_t off, unsigned size)
{
    return mmu_load_sys(c, (uint32_t)(base + off), size);
}

static void tss_wr(struct cpu_exec *c, uint32_t base, uint32_t off, unsigned size, uint64_t v)
{
    mmu_store_sys(c, (uint32_t)(base + off), size, v);
}

static void read_task_state(struct cpu_exec *c, uint32_t base, bool tss32, struct task_state *t)
{
    if (tss32) {
        t->cr3 = (uint32_t)tss_rd(c, base, TSS32_CR3, 4);
        t->eip = (uint32_t)tss_rd(c, base, TSS32_EIP, 4);
        t->eflags = (uint32_t)tss_rd(c, base, TSS32_EFLAGS, 4);
        for (unsigned i = 0; i < 8; i++)
            t->regs[i] = (uint32_t)tss_rd(c, base, TSS32_EAX + 4 * i, 4);
        for (unsigned i = 0; i < X86_NR_SEGS; i++)
            t->sel[i] = (uint16_t)tss_rd(c, base, TSS32_ES + 4 * i, 2);
        t->ldt = (uint16_t)tss_rd(c, base, TSS32_LDT, 2);
        return;
    }
    /* A 16-bit TSS has no CR3, FS or GS; the 286-compatible load leaves the
     * upper halves of the registers all ones (as Bochs and QEMU model it)
     * and FS/GS null. */
    t->cr3 = 0;
    t->eip = (uint32_t)tss_rd(c, base, TSS16_IP, 2);
    t->eflags = (uint32_t)tss_rd(c, base, TSS16_FLAGS, 2);
    for (unsigned i = 0; i < 8; i++)
        t->regs[i] = 0xffff0000u | (uint32_t)tss_rd(c, base, TSS16_AX + 2 * i, 2);
    for (unsigned i = 0; i < 4; i++)
        t->sel[i] = (uint16_t)tss_rd(c, base, TSS16_ES + 2 * i, 2);
    t->sel[S_FS] = t->sel[S_GS] = 0;
    t->ldt = (uint16_t)tss_rd(c, base, TSS16_LDT, 2);
}

static void save_task_state(struct cpu_exec *c, uint32_t base, bool tss32, uint32_t eip,
                            uint32_t eflags)
{
    if (tss32) {
        tss_wr(c, base, TSS32_EIP, 4, eip);
        tss_wr(c, base, TSS32_EFLAGS, 4, eflags);
        for (unsigned i = 0; i < 8; i++)
            tss_wr(c, base, TSS32_EAX + 4 * i, 4, (uint32_t)c->cpu.regs[i]);
        for (unsigned i = 0; i < X86_NR_SEGS; i++)
            tss_wr(c, base, TSS32_ES + 4 * i, 2, c->cpu.seg[i].selector);
        return;
    }
    tss_wr(c, base, TSS16_IP, 2, eip & 0xffff);
    tss_wr(c, base, TSS16_FLAGS, 2, eflags & 0xffff);
    for (unsigned i = 0; i < 8; i++)
        tss_wr(c, base, TSS16_AX + 2 * i, 2, c->cpu.regs[i] & 0xffff);
    for (unsigned i = 0; i < 4; i++)
        tss_wr(c, base, TSS16_ES + 2 * i, 2, c->cpu.seg[i].selector);
}

/* The TSS descriptor of the current task, re-read from the GDT to flip its
 * busy bit. */
static void set_busy(struct cpu_exec *c, uint16_t sel, bool busy)
{
    struct seg_desc d;
    if (!seg_desc_read(c, sel, &d))
        return;
    unsigned t = desc_type(&d);
    seg_desc_write_type(c, sel, &d, busy ? t | 2 : t & ~2u);
}

static _Noreturn void fault(struct cpu_exec *c, int vector, uint16_t sel, uint32_t ext)
{
    cpu_raise_exception_err(c, vector, SEL_ERR(sel) | ext);
}

/* LDTR of the incoming task: null leaves it unusable; otherwise a present
 * LDT descriptor in the GDT, else #TS(LDT selector). */
static void load_task_ldt(struct cpu_exec *c, uint16_t sel, uint32_t ext)
{
    struct seg_desc d;
    if (!(sel & 0xfffc))
        return;
    if (SEL_TI(sel) || !seg_desc_read(c, sel, &d) || desc_s(&d) || desc_type(&d) != DESC_LDT ||
        !desc_present(&d))
        fault(c, X86_EXC_TS, sel, ext);
    seg_cache_from_desc(&c->cpu.ldtr, sel, &d);
}

static void load_task_ss(struct cpu_exec *c, uint16_t sel, unsigned cpl, uint32_t ext)
{
    struct seg_desc d;
    struct x86_segment s;
    if (!(sel & 0xfffc) || !seg_desc_read(c, sel, &d) || !desc_writable(&d))
        fault(c, X86_EXC_TS, sel, ext);
    if (!desc_present(&d))
        fault(c, X86_EXC_SS, sel, ext);
    if (desc_dpl(&d) != cpl || SEL_RPL(sel) != cpl)
        fault(c, X86_EXC_TS, sel, ext);
    seg_desc_set_accessed(c, sel, &d);
    seg_cache_from_desc(&s, sel, &d);
    seg_set(c, S_SS, &s);
}

static void load_task_data(struct cpu_exec *c, int sreg, uint16_t sel, unsigned cpl, uint32_t ext)
{
    struct seg_desc d;
    struct x86_segment s;
    if (!(sel & 0xfffc))
        return;  /* stays null */
    if (!seg_desc_read(c, sel, &d) || !desc_readable(&d))
        fault(c, X86_EXC_TS, sel, ext);
    if (!desc_conforming(&d) && (SEL_RPL(sel) > desc_dpl(&d) || cpl > desc_dpl(&d)))
        fault(c, X86_EXC_TS, sel, ext);
    if (!desc_present(&d))
        fault(c, X86_EXC_NP, sel, ext);
    seg_desc_set_accessed(c, sel, &d);
    seg_cache_from_desc(&s, sel, &d);
    seg_set(c, sreg, &s);
}

static void load_task_cs(struct cpu_exec *c, uint16_t sel, uint32_t ext)
{
    struct seg_desc d;
    struct x86_segment s;
    unsigned rpl = SEL_RPL(sel);
    if (!(sel & 0xfffc) || !seg_desc_read(c, sel, &d) || !desc_code(&d))
        fault(c, X86_EXC_TS, sel, ext);
    if (desc_conforming(&d) ? desc_dpl(&d) > rpl : desc_dpl(&d) != rpl)
        fault(c, X86_EXC_TS, sel, ext);
    if (!desc_present(&d))
        fault(c, X86_EXC_NP, sel, ext);
    seg_desc_set_accessed(c, sel, &d);
    seg_cache_from_desc(&s, sel, &d);
    seg_set(c, S_CS, &s);
}

void cpu_task_switch(struct cpu_exec *c, uint16_t tss_sel, const struct seg_desc *nd,
                     enum task_switch_source src, uint64_t next_rip, uint32_t ext)
{
    cpu_exec_flush_flags(c);
    bool n32 = desc_type(nd) & 8;
    uint32_t nbase = (uint32_t)desc_base(nd);
    if (desc_limit(nd) < (n32 ? TSS32_MIN_LIMIT : TSS16_MIN_LIMIT))
        fault(c, X86_EXC_TS, tss_sel, ext);
    const struct x86_segment *otr = &c->cpu.tr;
    bool o32 = otr->attr & 8;
    uint32_t obase = (uint32_t)otr->base;
    uint16_t osel = otr->selector;
    if (otr->limit < (o32 ? TSS32_SAVE_END : TSS16_SAVE_END))
        fault(c, X86_EXC_TS, osel, ext);

    /* Both TSSs must be accessible before anything is written, so that a
     * page fault here aborts the switch with nothing changed (step 4). */
    uint32_t nmin = n32 ? TSS32_MIN_LIMIT : TSS16_MIN_LIMIT;
    tss_rd(c, nbase, 0, 1);
    tss_rd(c, nbase, nmin, 1);
    tss_rd(c, obase, 0, 1);
    tss_rd(c, obase, o32 ? TSS32_SAVE_END : TSS16_SAVE_END, 1);

    if (src == TASK_SWITCH_JMP || src == TASK_SWITCH_IRET)
        set_busy(c, osel, false);
    uint32_t oflags = (uint32_t)c->cpu.rflags;
    if (src == TASK_SWITCH_IRET)
        oflags &= ~X86_FLAG_NT;
    save_task_state(c, obase, o32, (uint32_t)next_rip, oflags);

    struct task_state t;
    read_task_state(c, nbase, n32, &t);
    if (src == TASK_SWITCH_CALL || src == TASK_SWITCH_INT)
        tss_wr(c, nbase, 0, 2, osel);
    if (src != TASK_SWITCH_IRET)
        set_busy(c, tss_sel, true);

    /* Commit point: what fails from here on fails in the new task. */
    seg_cache_from_desc(&c->cpu.tr, tss_sel, nd);
    c->cpu.tr.attr |= 2;  /* busy */
    c->cpu.cr0 |= X86_CR0_TS;
    c->cpu.dr[7] &= ~0x155ull;  /* L0-L3 and LE are per task */
    if (src == TASK_SWITCH_CALL || src == TASK_SWITCH_INT)
        t.eflags |= X86_FLAG_NT;
    c->cpu.rip = t.eip;
    c->cpu.rflags = (t.eflags & 0x3f7fd5u) | X86_FLAG_FIXED;
    for (unsigned i = 0; i < 8; i++)
        c->cpu.regs[i] = t.regs[i];
    bool v86 = c->cpu.rflags & X86_FLAG_VM;
    unsigned cpl = v86 ? 3 : SEL_RPL(t.sel[S_CS]);
    /* Selectors first, descriptors as each passes its checks: a fault
     * leaves the rest unusable, as the SDM allows. */
    for (unsigned i = 0; i < X86_NR_SEGS; i++) {
        struct x86_segment s;
        seg_cache_null(&s, t.sel[i], i == S_SS ? cpl : 0);
        seg_set(c, (int)i, &s);
    }
    seg_cache_null(&c->cpu.ldtr, t.ldt, 0);
    seg_set_cpl(c, cpl);
    if (n32 && (c->cpu.cr0 & X86_CR0_PG))
        c->cpu.cr3 = t.cr3;
    tlb_flush_all(c);

    load_task_ldt(c, t.ldt, ext);
    if (v86) {
        for (unsigned i = 0; i < X86_NR_SEGS; i++) {
            struct x86_segment s;
            seg_cache_v86(&s, t.sel[i]);
            seg_set(c, (int)i, &s);
        }
        return;
    }
    load_task_ss(c, t.sel[S_SS], cpl, ext);
    load_task_data(c, S_DS, t.sel[S_DS], cpl, ext);
    load_task_data(c, S_ES, t.sel[S_ES], cpl, ext);
    load_task_data(c, S_FS, t.sel[S_FS], cpl, ext);
    load_task_data(c, S_GS, t.sel[S_GS], cpl, ext);
    load_task_cs(c, t.sel[S_CS], ext);
}
