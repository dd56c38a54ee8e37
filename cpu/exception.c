/* Event delivery for the bt engine: exceptions, interrupts and software
 * interrupts through the real-mode IVT, the protected-mode IDT (interrupt,
 * trap and task gates, privilege changes, virtual-8086 mode, VME
 * redirection) and the long-mode IDT (IST), with the double- and
 * triple-fault rules (SDM vol. 3 ch. 6 and 20.3, vol. 2 INT n). */
#include "cpu/exception.h"

#include "cpu/farxfer.h"
#include "cpu/segment.h"
#include "softmmu/mmu.h"

struct event {
    enum cpu_event_kind kind;
    int vector;
    bool has_err;
    uint32_t err;
    uint64_t ret_rip;   /* the CS:EIP the handler returns to */
    uint32_t ext;       /* EXT bit of error codes raised while delivering */
    bool soft;          /* INT n, INT3, INTO: checked against the gate DPL */
};

enum exc_class { CLASS_BENIGN, CLASS_CONTRIBUTORY, CLASS_PAGE_FAULT, CLASS_DOUBLE_FAULT };

/* SDM vol. 3, table 6-4: interrupts and software interrupts are benign. */
static enum exc_class exc_class(enum cpu_event_kind kind, int vector)
{
    if (kind != CPU_EVENT_EXCEPTION)
        return CLASS_BENIGN;
    switch (vector) {
    case X86_EXC_DE: case X86_EXC_TS: case X86_EXC_NP: case X86_EXC_SS: case X86_EXC_GP:
        return CLASS_CONTRIBUTORY;
    case X86_EXC_PF:
        return CLASS_PAGE_FAULT;
    case X86_EXC_DF:
        return CLASS_DOUBLE_FAULT;
    default:
        return CLASS_BENIGN;
    }
}

/* Faults (as opposed to traps and aborts) push RFLAGS with RF set, so that
 * the restarted instruction does not hit its own instruction breakpoint
 * again (SDM vol. 3, 18.3.1.1); #DB is left to its raiser. */
static bool is_fault(const struct event *ev)
{
    if (ev->kind != CPU_EVENT_EXCEPTION)
        return false;
    switch (ev->vector) {
    case X86_EXC_DE: case X86_EXC_BR: case X86_EXC_UD: case X86_EXC_NM: case X86_EXC_TS:
    case X86_EXC_NP: case X86_EXC_SS: case X86_EXC_GP: case X86_EXC_PF: case X86_EXC_MF:
    case X86_EXC_AC: case X86_EXC_XM:
        return true;
    default:
        return false;
    }
}

static uint64_t pushed_flags(const struct cpu_exec *c, const struct event *ev)
{
    return c->cpu.rflags | (is_fault(ev) ? X86_FLAG_RF : 0);
}

static _Noreturn void gp(struct cpu_exec *c, uint32_t err)
{
    cpu_raise_exception_err(c, X86_EXC_GP, err);
}

static _Noreturn void np(struct cpu_exec *c, uint32_t err)
{
    cpu_raise_exception_err(c, X86_EXC_NP, err);
}

static uint64_t mask_of(unsigned size)
{
    return size == 2 ? 0xffffull : size == 4 ? 0xffffffffull : ~0ull;
}

/* Real mode: a 4-byte IVT entry at IDTR.base + vector * 4, FLAGS, CS and IP
 * pushed, no error code (SDM vol. 2, INT n "REAL-ADDRESS-MODE"). */
static void deliver_real(struct cpu_exec *c, const struct event *ev)
{
    uint32_t off = (uint32_t)ev->vector * 4;
    if (off + 3 > c->cpu.idtr.limit)
        gp(c, 0);
    uint32_t ent = (uint32_t)mmu_load_sys(c, (c->cpu.idtr.base + off) & 0xffffffffull, 4);
    struct seg_stack st;
    seg_stack_current(&st, c, 0);
    seg_stack_check_push(c, &st, 3, 2);
    seg_stack_push(c, &st, 2, pushed_flags(c, ev) & 0xffff);
    seg_stack_push(c, &st, 2, c->cpu.seg[S_CS].selector);
    seg_stack_push(c, &st, 2, ev->ret_rip & 0xffff);
    c->cpu.regs[R_RSP] = seg_stack_rsp(&st, c->cpu.regs[R_RSP]);
    c->cpu.rflags &= ~(uint64_t)(X86_FLAG_IF | X86_FLAG_TF | X86_FLAG_AC | X86_FLAG_RF);
    struct x86_segment cs = c->cpu.seg[S_CS];
    cs.selector = (uint16_t)(ent >> 16);
    cs.base = (uint64_t)cs.selector << 4;
    seg_set(c, S_CS, &cs);
    c->cpu.rip = ent & 0xffff;
}

/* Virtual-8086 mode with CR4.VME: INT n whose bit is clear in the TSS
 * interrupt redirection bitmap goes to the 8086 program's own IVT at linear
 * 0 (SDM vol. 3, 20.3.3, methods 4 and 6). */
static void v86_redirect(struct cpu_exec *c, const struct event *ev)
{
    bool iopl3 = cpu_iopl(c) == 3;
    uint32_t ent = (uint32_t)mmu_load(c, (uint64_t)ev->vector * 4, 4);
    struct seg_stack st;
    seg_stack_current(&st, c, 0);
    seg_stack_check_push(c, &st, 3, 2);
    uint64_t fl = c->cpu.rflags & 0xffff;
    if (!iopl3) {
        /* The handler sees the virtual interrupt flag as IF, and IOPL 3. */
        fl &= ~(uint64_t)X86_FLAG_IF;
        if (c->cpu.rflags & X86_FLAG_VIF)
            fl |= X86_FLAG_IF;
        fl |= X86_FLAG_IOPL;
    }
    seg_stack_push(c, &st, 2, fl);
    seg_stack_push(c, &st, 2, c->cpu.seg[S_CS].selector);
    seg_stack_push(c, &st, 2, ev->ret_rip & 0xffff);
    c->cpu.regs[R_RSP] = seg_stack_rsp(&st, c->cpu.regs[R_RSP]);
    c->cpu.rflags &= ~(uint64_t)(X86_FLAG_TF | (iopl3 ? X86_FLAG_IF : X86_FLAG_VIF));
    struct x86_segment cs;
    seg_cache_v86(&cs, (uint16_t)(ent >> 16));
    seg_set(c, S_CS, &cs);
    c->cpu.rip = ent & 0xffff;
}

/* INT n in virtual-8086 mode is IOPL-sensitive (#GP(0) below IOPL 3) unless
 * VME redirects it (SDM vol. 3, table 20-2). Returns true when handled. */
static bool v86_soft_int(struct cpu_exec *c, const struct event *ev)
{
    unsigned iopl = cpu_iopl(c);
    if (c->cpu.cr4 & X86_CR4_VME) {
        const struct x86_segment *tr = &c->cpu.tr;
        if ((tr->attr & 8) == 0 || tr->limit < 0x67)
            gp(c, 0);
        uint32_t base = (uint32_t)tr->base;
        uint32_t iomap = (uint32_t)mmu_load_sys(c, (uint32_t)(base + 0x66), 2);
        uint32_t off = iomap - 32 + (uint32_t)ev->vector / 8;
        if (iomap < 32 || off > tr->limit)
            gp(c, 0);
        unsigned byte = (unsigned)mmu_load_sys(c, (uint32_t)(base + off), 1);
        if (!((byte >> (ev->vector & 7)) & 1)) {
            v86_redirect(c, ev);
            return true;
        }
    }
    if (iopl < 3)
        gp(c, 0);
    return false;
}

/* Through a task gate: switch to the handler task, then push the error
 * code on its stack (SDM vol. 2, INT n "TASK-GATE"). */
static void deliver_task_gate(struct cpu_exec *c, const struct event *ev,
                              const struct seg_desc *gate)
{
    uint32_t ext = ev->ext;
    uint16_t tss_sel = gate_selector(gate);
    struct seg_desc td;
    if (SEL_TI(tss_sel) || !seg_desc_read(c, tss_sel, &td))
        gp(c, SEL_ERR(tss_sel) | ext);
    unsigned t = desc_type(&td);
    if (desc_s(&td) || (t != DESC_TSS16_AVAIL && t != DESC_TSS32_AVAIL))
        gp(c, SEL_ERR(tss_sel) | ext);
    if (!desc_present(&td))
        np(c, SEL_ERR(tss_sel) | ext);
    cpu_task_switch(c, tss_sel, &td, TASK_SWITCH_INT, ev->ret_rip, ext);
    if (ev->has_err) {
        unsigned size = (t & 8) ? 4 : 2;
        struct seg_stack st;
        seg_stack_current(&st, c, ext);
        seg_stack_push(c, &st, size, ev->err);
        c->cpu.regs[R_RSP] = seg_stack_rsp(&st, c->cpu.regs[R_RSP]);
    }
    if (c->cpu.rip > c->cpu.seg[S_CS].limit)
        gp(c, ext);
}

/* Interrupt or trap gate to a more privileged level (or from virtual-8086
 * mode to ring 0): the new stack from the TSS, the old SS:ESP pushed on it
 * (and the v86 data segments before them). */
static void deliver_inner(struct cpu_exec *c, const struct event *ev, unsigned gsize, bool intgate,
                          uint16_t csel, const struct seg_desc *cd, uint64_t ip)
{
    uint32_t ext = ev->ext;
    unsigned new_cpl = desc_dpl(cd);
    bool from_v86 = c->cpu.rflags & X86_FLAG_VM;
    uint16_t ss_sel;
    uint64_t sp;
    struct seg_desc sd;
    cpu_tss_stack(c, new_cpl, 0, &ss_sel, &sp, ext);
    if (!(ss_sel & 0xfffc))
        cpu_raise_exception_err(c, X86_EXC_TS, ext);
    if (!seg_desc_read(c, ss_sel, &sd) || SEL_RPL(ss_sel) != new_cpl ||
        desc_dpl(&sd) != new_cpl || !desc_writable(&sd))
        cpu_raise_exception_err(c, X86_EXC_TS, SEL_ERR(ss_sel) | ext);
    if (!desc_present(&sd))
        cpu_raise_exception_err(c, X86_EXC_SS, SEL_ERR(ss_sel) | ext);
    struct x86_segment ss, cs;
    seg_cache_from_desc(&ss, ss_sel, &sd);
    struct seg_stack nst;
    seg_stack_init(&nst, &ss, sp, false, true, X86_EXC_SS, SEL_ERR(ss_sel) | ext);
    seg_stack_check_push(c, &nst, (from_v86 ? 9 : 5) + (ev->has_err ? 1 : 0), gsize);
    seg_cache_from_desc(&cs, (uint16_t)((csel & 0xfffc) | new_cpl), cd);
    if (ip > cs.limit)
        gp(c, ext);

    uint64_t m = mask_of(gsize);
    if (from_v86) {
        seg_stack_push(c, &nst, gsize, c->cpu.seg[S_GS].selector);
        seg_stack_push(c, &nst, gsize, c->cpu.seg[S_FS].selector);
        seg_stack_push(c, &nst, gsize, c->cpu.seg[S_DS].selector);
        seg_stack_push(c, &nst, gsize, c->cpu.seg[S_ES].selector);
    }
    seg_stack_push(c, &nst, gsize, c->cpu.seg[S_SS].selector);
    seg_stack_push(c, &nst, gsize, c->cpu.regs[R_RSP] & m);
    seg_stack_push(c, &nst, gsize, pushed_flags(c, ev) & m);
    seg_stack_push(c, &nst, gsize, c->cpu.seg[S_CS].selector);
    seg_stack_push(c, &nst, gsize, ev->ret_rip & m);
    if (ev->has_err)
        seg_stack_push(c, &nst, gsize, ev->err);

    seg_desc_set_accessed(c, ss_sel, &sd);
    seg_cache_from_desc(&ss, ss_sel, &sd);
    struct seg_desc cdd = *cd;
    seg_desc_set_accessed(c, csel, &cdd);
    seg_cache_from_desc(&cs, (uint16_t)((csel & 0xfffc) | new_cpl), &cdd);

    /* Leave virtual-8086 mode before the segment caches are recomputed. */
    c->cpu.rflags &= ~(uint64_t)(X86_FLAG_TF | X86_FLAG_NT | X86_FLAG_RF | X86_FLAG_VM |
                                 (intgate ? X86_FLAG_IF : 0));
    if (from_v86) {
        static const int zeroed[] = { S_GS, S_FS, S_DS, S_ES };
        for (unsigned i = 0; i < 4; i++) {
            struct x86_segment n;
            seg_cache_null(&n, 0, 0);
            seg_set(c, zeroed[i], &n);
        }
    }
    c->cpu.regs[R_RSP] = seg_stack_rsp(&nst, c->cpu.regs[R_RSP]);
    seg_set(c, S_SS, &ss);
    seg_set(c, S_CS, &cs);
    seg_set_cpl(c, new_cpl);
    c->cpu.rip = ip;
}

/* Interrupt or trap gate at the current privilege level (conforming
 * handler, or DPL = CPL). */
static void deliver_same(struct cpu_exec *c, const struct event *ev, unsigned gsize, bool intgate,
                         uint16_t csel, struct seg_desc *cd, uint64_t ip)
{
    uint32_t ext = ev->ext;
    struct seg_stack st;
    seg_stack_current(&st, c, ext);
    seg_stack_check_push(c, &st, 3 + (ev->has_err ? 1 : 0), gsize);
    struct x86_segment cs;
    seg_cache_from_desc(&cs, (uint16_t)((csel & 0xfffc) | c->cpl), cd);
    if (ip > cs.limit)
        gp(c, ext);
    uint64_t m = mask_of(gsize);
    seg_stack_push(c, &st, gsize, pushed_flags(c, ev) & m);
    seg_stack_push(c, &st, gsize, c->cpu.seg[S_CS].selector);
    seg_stack_push(c, &st, gsize, ev->ret_rip & m);
    if (ev->has_err)
        seg_stack_push(c, &st, gsize, ev->err);
    seg_desc_set_accessed(c, csel, cd);
    seg_cache_from_desc(&cs, (uint16_t)((csel & 0xfffc) | c->cpl), cd);
    c->cpu.rflags &= ~(uint64_t)(X86_FLAG_TF | X86_FLAG_NT | X86_FLAG_RF | X86_FLAG_VM |
                                 (intgate ? X86_FLAG_IF : 0));
    c->cpu.regs[R_RSP] = seg_stack_rsp(&st, c->cpu.regs[R_RSP]);
    seg_set(c, S_CS, &cs);
    c->cpu.rip = ip;
}

/* Protected mode, 8-byte gates (SDM vol. 2, INT n "PROTECTED-MODE"). */
static void deliver_protected(struct cpu_exec *c, const struct event *ev)
{
    uint32_t ext = ev->ext;
    uint32_t idt_err = (uint32_t)ev->vector * 8 + 2 + ext;
    unsigned cpl = c->cpl;
    bool v86 = c->cpu.rflags & X86_FLAG_VM;
    if (v86 && ev->kind == CPU_EVENT_SOFTWARE && v86_soft_int(c, ev))
        return;
    if ((uint32_t)ev->vector * 8 + 7 > c->cpu.idtr.limit)
        gp(c, idt_err);
    uint64_t raw = mmu_load_sys(c, (c->cpu.idtr.base + (uint64_t)ev->vector * 8) & 0xffffffffull, 8);
    struct seg_desc g = { .lo = (uint32_t)raw, .hi = (uint32_t)(raw >> 32) };
    unsigned type = (g.hi >> 8) & 0x1f;  /* with S, which must be 0 */
    if (type != DESC_TASK_GATE && type != DESC_INT_GATE16 && type != DESC_TRAP_GATE16 &&
        type != DESC_INT_GATE32 && type != DESC_TRAP_GATE32)
        gp(c, idt_err);
    if (ev->soft && desc_dpl(&g) < cpl)
        gp(c, (uint32_t)ev->vector * 8 + 2);
    if (!desc_present(&g))
        np(c, idt_err);
    if (type == DESC_TASK_GATE) {
        deliver_task_gate(c, ev, &g);
        return;
    }
    unsigned gsize = (type & 8) ? 4 : 2;
    bool intgate = !(type & 1);
    uint16_t csel = gate_selector(&g);
    uint64_t ip = gate_offset(&g) & mask_of(gsize);
    struct seg_desc cd;
    if (!(csel & 0xfffc))
        gp(c, ext);
    if (!seg_desc_read(c, csel, &cd))
        gp(c, SEL_ERR(csel) | ext);
    unsigned dpl = desc_dpl(&cd);
    if (!desc_code(&cd) || dpl > cpl)
        gp(c, SEL_ERR(csel) | ext);
    if (!desc_present(&cd))
        np(c, SEL_ERR(csel) | ext);
    if (!desc_conforming(&cd) && dpl < cpl) {
        if (v86 && dpl != 0)
            gp(c, SEL_ERR(csel) | ext);
        deliver_inner(c, ev, gsize, intgate, csel, &cd, ip);
        return;
    }
    if (v86)
        gp(c, SEL_ERR(csel) | ext);
    deliver_same(c, ev, gsize, intgate, csel, &cd, ip);
}

/* IA-32e mode: 16-byte interrupt and trap gates to 64-bit code, the IST,
 * a 16-byte aligned stack and SS:RSP always pushed (SDM vol. 3, 6.14). */
static void deliver_long(struct cpu_exec *c, const struct event *ev)
{
    uint32_t ext = ev->ext;
    uint32_t idt_err = (uint32_t)ev->vector * 8 + 2 + ext;
    unsigned cpl = c->cpl;
    if ((uint32_t)ev->vector * 16 + 15 > c->cpu.idtr.limit)
        gp(c, idt_err);
    uint64_t a = c->cpu.idtr.base + (uint64_t)ev->vector * 16;
    uint64_t raw = mmu_load_sys(c, a, 8), raw2 = mmu_load_sys(c, a + 8, 8);
    struct seg_desc g = { .lo = (uint32_t)raw, .hi = (uint32_t)(raw >> 32),
                          .hi2 = (uint32_t)raw2, .hi3 = (uint32_t)(raw2 >> 32) };
    unsigned type = (g.hi >> 8) & 0x1f;
    if (type != DESC_INT_GATE32 && type != DESC_TRAP_GATE32)
        gp(c, idt_err);
    if (ev->soft && desc_dpl(&g) < cpl)
        gp(c, (uint32_t)ev->vector * 8 + 2);
    if (!desc_present(&g))
        np(c, idt_err);
    bool intgate = !(type & 1);
    uint16_t csel = gate_selector(&g);
    uint64_t ip = gate_offset(&g);
    struct seg_desc cd;
    if (!(csel & 0xfffc))
        gp(c, ext);
    if (!seg_desc_read(c, csel, &cd))
        gp(c, SEL_ERR(csel) | ext);
    unsigned dpl = desc_dpl(&cd);
    if (!desc_code(&cd) || dpl > cpl || !desc_long(&cd) || desc_db(&cd))
        gp(c, SEL_ERR(csel) | ext);
    if (!desc_present(&cd))
        np(c, SEL_ERR(csel) | ext);
    unsigned new_cpl = (!desc_conforming(&cd) && dpl < cpl) ? dpl : cpl;
    unsigned ist = g.hi & 7;
    uint16_t ss_sel;
    uint64_t sp = c->cpu.regs[R_RSP];
    if (ist)
        cpu_tss_stack(c, new_cpl, ist, &ss_sel, &sp, ext);
    else if (new_cpl != cpl)
        cpu_tss_stack(c, new_cpl, 0, &ss_sel, &sp, ext);
    if (!addr_canonical(ip))
        gp(c, ext);
    sp &= ~0xfull;
    struct seg_stack st;
    seg_stack_init(&st, &c->cpu.seg[S_SS], sp, true, new_cpl < 3, X86_EXC_SS, ext);
    seg_stack_check_push(c, &st, 5 + (ev->has_err ? 1 : 0), 8);
    seg_stack_push(c, &st, 8, c->cpu.seg[S_SS].selector);
    seg_stack_push(c, &st, 8, c->cpu.regs[R_RSP]);
    seg_stack_push(c, &st, 8, pushed_flags(c, ev));
    seg_stack_push(c, &st, 8, c->cpu.seg[S_CS].selector);
    seg_stack_push(c, &st, 8, ev->ret_rip);
    if (ev->has_err)
        seg_stack_push(c, &st, 8, ev->err);

    struct x86_segment cs;
    seg_desc_set_accessed(c, csel, &cd);
    seg_cache_from_desc(&cs, (uint16_t)((csel & 0xfffc) | new_cpl), &cd);
    c->cpu.rflags &= ~(uint64_t)(X86_FLAG_TF | X86_FLAG_NT | X86_FLAG_RF |
                                 (intgate ? X86_FLAG_IF : 0));
    c->cpu.regs[R_RSP] = st.sp;
    if (new_cpl != cpl) {
        struct x86_segment ss;
        seg_cache_null(&ss, (uint16_t)new_cpl, new_cpl);
        seg_set(c, S_SS, &ss);
    }
    seg_set(c, S_CS, &cs);
    seg_set_cpl(c, new_cpl);
    c->cpu.rip = ip;
}

static void deliver(struct cpu_exec *c, const struct event *ev)
{
    if (!(c->cpu.cr0 & X86_CR0_PE))
        deliver_real(c, ev);
    else if (cpu_long_mode(c))
        deliver_long(c, ev);
    else
        deliver_protected(c, ev);
}

/* One delivery attempt with faults caught here rather than by the engine:
 * false when it faulted (c->fault says with what). */
static bool try_deliver(struct cpu_exec *c, const struct event *ev)
{
    sigjmp_buf here;
    sigjmp_buf *outer = c->unwind;
    c->unwind = &here;
    if (sigsetjmp(here, 0)) {
        c->unwind = outer;
        return false;
    }
    deliver(c, ev);
    c->unwind = outer;
    return true;
}

bool cpu_deliver_event(struct cpu_exec *c, enum cpu_event_kind kind, int vector,
                       bool has_error_code, uint32_t error_code, uint64_t rip_after)
{
    cpu_exec_flush_flags(c);
    bool soft = kind == CPU_EVENT_SOFTWARE || kind == CPU_EVENT_SOFTWARE_EXC;
    struct event ev = {
        .kind = kind,
        .vector = vector & 0xff,
        .has_err = has_error_code,
        .err = error_code,
        .ret_rip = (soft || kind == CPU_EVENT_ICEBP) ? rip_after : c->cpu.rip,
        .ext = soft ? 0 : 1,
        .soft = soft,
    };
    if (kind == CPU_EVENT_NMI)
        c->cpu.nmi_masked = true;
    /* Real mode pushes no error codes. */
    if (!(c->cpu.cr0 & X86_CR0_PE))
        ev.has_err = false;
    /* Each round either succeeds or moves up a class, so a few suffice; the
     * bound only guards against a bug turning into a hang. */
    for (int round = 0; round < 8; round++) {
        if (try_deliver(c, &ev)) {
            c->fault.vector = -1;
            return true;
        }
        enum exc_class first = exc_class(ev.kind, ev.vector);
        enum exc_class second = exc_class(CPU_EVENT_EXCEPTION, c->fault.vector);
        if (first == CLASS_DOUBLE_FAULT)
            return false;  /* shutdown */
        bool df = (first == CLASS_CONTRIBUTORY && second == CLASS_CONTRIBUTORY) ||
                  (first == CLASS_PAGE_FAULT &&
                   (second == CLASS_CONTRIBUTORY || second == CLASS_PAGE_FAULT));
        ev.kind = CPU_EVENT_EXCEPTION;
        ev.ret_rip = c->cpu.rip;
        ev.ext = 1;
        ev.soft = false;
        if (df) {
            ev.vector = X86_EXC_DF;
            ev.has_err = true;
            ev.err = 0;
        } else {
            ev.vector = c->fault.vector;
            ev.has_err = c->fault.has_error_code;
            ev.err = c->fault.error_code;
        }
        if (!(c->cpu.cr0 & X86_CR0_PE))
            ev.has_err = false;
    }
    return false;
}
