/* Far JMP, far CALL, far RET and IRET in real, virtual-8086, protected and
 * long mode (SDM vol. 2, the JMP, CALL, RET and IRET operation sections;
 * vol. 3, 5.8 for call gates and 20.2/20.3 for virtual-8086 mode).
 * Every check runs and every push is made before any register changes, so a
 * fault leaves the instruction restartable. */
#include "cpu/farxfer.h"

#include "cpu/exception.h"
#include "softmmu/mmu.h"

/* RFLAGS bits software can hold (bit 1 always reads 1). */
#define RFLAGS_VALID 0x3f7fd5ull
/* What IRET/POPF may change from a 16-bit image: the arithmetic flags, TF,
 * IF, DF, IOPL and NT. */
#define RFLAGS_LOW16 0x7fd5ull

static _Noreturn void gp(struct cpu_exec *c, uint32_t err)
{
    cpu_raise_exception_err(c, X86_EXC_GP, err);
}

static _Noreturn void np(struct cpu_exec *c, uint32_t err)
{
    cpu_raise_exception_err(c, X86_EXC_NP, err);
}

static _Noreturn void ts(struct cpu_exec *c, uint32_t err)
{
    cpu_raise_exception_err(c, X86_EXC_TS, err);
}

static uint64_t opmask(unsigned opsize)
{
    return opsize == 2 ? 0xffffull : opsize == 4 ? 0xffffffffull : ~0ull;
}

/* The instruction pointer must lie within the new code segment: its limit,
 * or the canonical range for 64-bit code (#GP(0) either way). */
static void check_target(struct cpu_exec *c, const struct x86_segment *cs, uint64_t ip)
{
    if (cpu_long_mode(c) && (cs->attr & SEG_ATTR_L)) {
        if (!addr_canonical(ip))
            gp(c, 0);
    } else if (ip > cs->limit) {
        gp(c, 0);
    }
}

/* In IA-32e mode a code segment with both L and D set is reserved: far
 * transfers to it fault with #GP(selector). */
static bool code_lsd_reserved(const struct cpu_exec *c, const struct seg_desc *d)
{
    return cpu_long_mode(c) && desc_long(d) && desc_db(d);
}

static void set_cs(struct cpu_exec *c, const struct x86_segment *cs, unsigned cpl, uint64_t ip)
{
    seg_set(c, S_CS, cs);
    seg_set_cpl(c, cpl);
    c->cpu.rip = ip;
}

/* Reads the descriptor a far JMP/CALL selector names: the 8 bytes, and for
 * a system descriptor in long mode the upper 8 as well. */
static void read_target_desc(struct cpu_exec *c, uint16_t sel, struct seg_desc *d)
{
    if (!seg_desc_read(c, sel, d))
        gp(c, SEL_ERR(sel));
    if (!desc_s(d) && cpu_long_mode(c) && !seg_desc_read_sys(c, sel, d))
        gp(c, SEL_ERR(sel));
}

/* The code segment a call gate names (SDM vol. 2, CALL/JMP "CALL-GATE"):
 * for JMP (jmp set) it must be usable at the current privilege; for CALL it
 * may be more privileged. Returns its descriptor. */
static void gate_code_desc(struct cpu_exec *c, uint16_t csel, bool jmp, struct seg_desc *cd)
{
    unsigned cpl = c->cpl;
    if (!(csel & 0xfffc))
        gp(c, 0);
    if (!seg_desc_read(c, csel, cd))
        gp(c, SEL_ERR(csel));
    unsigned dpl = desc_dpl(cd);
    if (!desc_code(cd) || dpl > cpl || (jmp && !desc_conforming(cd) && dpl != cpl))
        gp(c, SEL_ERR(csel));
    if (cpu_long_mode(c) && (!desc_long(cd) || desc_db(cd)))
        gp(c, SEL_ERR(csel));
    if (!desc_present(cd))
        np(c, SEL_ERR(csel));
}

/* JMP/CALL to a TSS or through a task gate. */
static void far_task(struct cpu_exec *c, uint16_t sel, const struct seg_desc *d,
                     enum task_switch_source src, uint64_t next_rip)
{
    unsigned cpl = c->cpl, rpl = SEL_RPL(sel), dpl = desc_dpl(d);
    uint16_t tss_sel = sel;
    struct seg_desc td = *d;
    if (cpu_long_mode(c))
        gp(c, SEL_ERR(sel));
    if (desc_type(d) == DESC_TASK_GATE) {
        if (dpl < cpl || rpl > dpl)
            gp(c, SEL_ERR(sel));
        if (!desc_present(d))
            np(c, SEL_ERR(sel));
        tss_sel = gate_selector(d);
        if (SEL_TI(tss_sel) || !seg_desc_read(c, tss_sel, &td))
            gp(c, SEL_ERR(tss_sel));
        unsigned t = desc_type(&td);
        if (desc_s(&td) || (t != DESC_TSS16_AVAIL && t != DESC_TSS32_AVAIL))
            gp(c, SEL_ERR(tss_sel));
        if (!desc_present(&td))
            np(c, SEL_ERR(tss_sel));
    } else {
        unsigned t = desc_type(d);
        if (dpl < cpl || rpl > dpl || SEL_TI(sel) ||
            (t != DESC_TSS16_AVAIL && t != DESC_TSS32_AVAIL))
            gp(c, SEL_ERR(sel));
        if (!desc_present(d))
            np(c, SEL_ERR(sel));
    }
    cpu_task_switch(c, tss_sel, &td, src, next_rip, 0);
    /* After the commit point: the fault belongs to the new task. */
    check_target(c, &c->cpu.seg[S_CS], c->cpu.rip);
}

static void far_jmp_real(struct cpu_exec *c, uint16_t sel, uint64_t offset, unsigned opsize)
{
    uint64_t ip = offset & opmask(opsize);
    struct x86_segment cs = c->cpu.seg[S_CS];
    if (c->cpu.rflags & X86_FLAG_VM)
        seg_cache_v86(&cs, sel);
    cs.selector = sel;
    cs.base = (uint64_t)sel << 4;
    check_target(c, &cs, ip);
    set_cs(c, &cs, c->cpl, ip);
}

void cpu_far_jmp(struct cpu_exec *c, uint16_t sel, uint64_t offset, unsigned opsize,
                 uint64_t next_rip)
{
    if (!cpu_protected(c)) {
        far_jmp_real(c, sel, offset, opsize);
        return;
    }
    unsigned cpl = c->cpl, rpl = SEL_RPL(sel);
    struct seg_desc d;
    struct x86_segment cs;
    if (!(sel & 0xfffc))
        gp(c, 0);
    read_target_desc(c, sel, &d);
    if (desc_s(&d)) {
        unsigned dpl = desc_dpl(&d);
        if (!desc_code(&d))
            gp(c, SEL_ERR(sel));
        if (desc_conforming(&d) ? dpl > cpl : (rpl > cpl || dpl != cpl))
            gp(c, SEL_ERR(sel));
        if (code_lsd_reserved(c, &d))
            gp(c, SEL_ERR(sel));
        if (!desc_present(&d))
            np(c, SEL_ERR(sel));
        uint64_t ip = offset & opmask(opsize);
        seg_cache_from_desc(&cs, (uint16_t)((sel & 0xfffc) | cpl), &d);
        check_target(c, &cs, ip);
        seg_desc_set_accessed(c, sel, &d);
        seg_cache_from_desc(&cs, (uint16_t)((sel & 0xfffc) | cpl), &d);
        set_cs(c, &cs, cpl, ip);
        return;
    }
    unsigned type = desc_type(&d);
    if (type == DESC_CALL_GATE16 || type == DESC_CALL_GATE32) {
        unsigned dpl = desc_dpl(&d);
        if (cpu_long_mode(c) && (type != DESC_CALL_GATE32 || ((d.hi3 >> 8) & 0x1f)))
            gp(c, SEL_ERR(sel));
        if (dpl < cpl || rpl > dpl)
            gp(c, SEL_ERR(sel));
        if (!desc_present(&d))
            np(c, SEL_ERR(sel));
        uint16_t csel = gate_selector(&d);
        struct seg_desc cd;
        gate_code_desc(c, csel, true, &cd);
        uint64_t ip = gate_offset(&d);
        if (type == DESC_CALL_GATE16)
            ip &= 0xffff;
        seg_cache_from_desc(&cs, (uint16_t)((csel & 0xfffc) | cpl), &cd);
        check_target(c, &cs, ip);
        seg_desc_set_accessed(c, csel, &cd);
        seg_cache_from_desc(&cs, (uint16_t)((csel & 0xfffc) | cpl), &cd);
        set_cs(c, &cs, cpl, ip);
        return;
    }
    if (type == DESC_TASK_GATE || type == DESC_TSS16_AVAIL || type == DESC_TSS32_AVAIL ||
        type == DESC_TSS16_BUSY || type == DESC_TSS32_BUSY) {
        far_task(c, sel, &d, TASK_SWITCH_JMP, next_rip);
        return;
    }
    gp(c, SEL_ERR(sel));
}

static void far_call_real(struct cpu_exec *c, uint16_t sel, uint64_t offset, unsigned opsize,
                          uint64_t next_rip)
{
    struct seg_stack st;
    seg_stack_current(&st, c, 0);
    seg_stack_check_push(c, &st, 2, opsize);
    uint64_t ip = offset & opmask(opsize);
    struct x86_segment cs = c->cpu.seg[S_CS];
    if (c->cpu.rflags & X86_FLAG_VM)
        seg_cache_v86(&cs, sel);
    cs.selector = sel;
    cs.base = (uint64_t)sel << 4;
    check_target(c, &cs, ip);
    seg_stack_push(c, &st, opsize, c->cpu.seg[S_CS].selector);
    seg_stack_push(c, &st, opsize, next_rip & opmask(opsize));
    c->cpu.regs[R_RSP] = seg_stack_rsp(&st, c->cpu.regs[R_RSP]);
    set_cs(c, &cs, c->cpl, ip);
}

/* CALL through a call gate to a more privileged non-conforming segment:
 * the stack for the new privilege level comes from the TSS, the caller's
 * SS:eSP and the gate's parameter count of words/dwords are copied to it
 * (SDM vol. 3, 5.8.5). */
static void call_gate_inner(struct cpu_exec *c, const struct seg_desc *gate, uint16_t csel,
                            const struct seg_desc *cd, uint64_t next_rip)
{
    unsigned new_cpl = desc_dpl(cd);
    bool mode64 = cpu_long_mode(c);
    unsigned gsize = mode64 ? 8 : desc_type(gate) == DESC_CALL_GATE32 ? 4 : 2;
    unsigned nparams = mode64 ? 0 : gate->hi & 0x1f;
    uint16_t new_ss;
    uint64_t new_sp;
    struct x86_segment ss;
    struct seg_desc sd;
    cpu_tss_stack(c, new_cpl, 0, &new_ss, &new_sp, 0);
    if (mode64) {
        seg_cache_null(&ss, (uint16_t)new_cpl, new_cpl);
    } else {
        if (!(new_ss & 0xfffc))
            ts(c, 0);
        if (!seg_desc_read(c, new_ss, &sd))
            ts(c, SEL_ERR(new_ss));
        if (SEL_RPL(new_ss) != new_cpl || desc_dpl(&sd) != new_cpl || !desc_writable(&sd))
            ts(c, SEL_ERR(new_ss));
        if (!desc_present(&sd))
            cpu_raise_exception_err(c, X86_EXC_SS, SEL_ERR(new_ss));
        seg_cache_from_desc(&ss, new_ss, &sd);
    }
    struct seg_stack nst;
    seg_stack_init(&nst, &ss, new_sp, mode64, true, X86_EXC_SS, SEL_ERR(new_ss));
    seg_stack_check_push(c, &nst, 4 + nparams, gsize);

    uint64_t ip = gate_offset(gate);
    if (gsize == 2)
        ip &= 0xffff;
    struct x86_segment cs;
    seg_cache_from_desc(&cs, (uint16_t)((csel & 0xfffc) | new_cpl), cd);
    check_target(c, &cs, ip);

    /* The parameters, read from the caller's stack at the caller's privilege. */
    uint32_t params[31];
    struct seg_stack ost;
    seg_stack_current(&ost, c, 0);
    for (unsigned i = 0; i < nparams; i++)
        params[i] = (uint32_t)seg_stack_peek(c, &ost, (uint64_t)i * gsize, gsize);

    seg_stack_push(c, &nst, gsize, c->cpu.seg[S_SS].selector);
    seg_stack_push(c, &nst, gsize, c->cpu.regs[R_RSP] & opmask(gsize));
    for (unsigned i = nparams; i-- > 0;)
        seg_stack_push(c, &nst, gsize, params[i]);
    seg_stack_push(c, &nst, gsize, c->cpu.seg[S_CS].selector);
    seg_stack_push(c, &nst, gsize, next_rip & opmask(gsize));

    if (!mode64) {
        seg_desc_set_accessed(c, new_ss, &sd);
        seg_cache_from_desc(&ss, new_ss, &sd);
    }
    struct seg_desc cdd = *cd;
    seg_desc_set_accessed(c, csel, &cdd);
    seg_cache_from_desc(&cs, (uint16_t)((csel & 0xfffc) | new_cpl), &cdd);
    c->cpu.regs[R_RSP] = seg_stack_rsp(&nst, c->cpu.regs[R_RSP]);
    seg_set(c, S_SS, &ss);
    set_cs(c, &cs, new_cpl, ip);
}

/* Same-privilege far CALL: push CS and the return address (size bytes
 * each), jump to cs:ip. */
static void call_same(struct cpu_exec *c, uint16_t csel, struct seg_desc *cd, uint64_t ip,
                      unsigned size, bool stack64, uint64_t next_rip)
{
    struct seg_stack st;
    seg_stack_current(&st, c, 0);
    if (stack64) {
        st.mode64 = true;
        st.mask = ~0ull;
    }
    seg_stack_check_push(c, &st, 2, size);
    struct x86_segment cs;
    seg_cache_from_desc(&cs, (uint16_t)((csel & 0xfffc) | c->cpl), cd);
    check_target(c, &cs, ip);
    seg_stack_push(c, &st, size, c->cpu.seg[S_CS].selector);
    seg_stack_push(c, &st, size, next_rip & opmask(size));
    seg_desc_set_accessed(c, csel, cd);
    seg_cache_from_desc(&cs, (uint16_t)((csel & 0xfffc) | c->cpl), cd);
    c->cpu.regs[R_RSP] = seg_stack_rsp(&st, c->cpu.regs[R_RSP]);
    set_cs(c, &cs, c->cpl, ip);
}

void cpu_far_call(struct cpu_exec *c, uint16_t sel, uint64_t offset, unsigned opsize,
                  uint64_t next_rip)
{
    if (!cpu_protected(c)) {
        far_call_real(c, sel, offset, opsize, next_rip);
        return;
    }
    unsigned cpl = c->cpl, rpl = SEL_RPL(sel);
    struct seg_desc d;
    if (!(sel & 0xfffc))
        gp(c, 0);
    read_target_desc(c, sel, &d);
    if (desc_s(&d)) {
        unsigned dpl = desc_dpl(&d);
        if (!desc_code(&d))
            gp(c, SEL_ERR(sel));
        if (desc_conforming(&d) ? dpl > cpl : (rpl > cpl || dpl != cpl))
            gp(c, SEL_ERR(sel));
        if (code_lsd_reserved(c, &d))
            gp(c, SEL_ERR(sel));
        if (!desc_present(&d))
            np(c, SEL_ERR(sel));
        call_same(c, sel, &d, offset & opmask(opsize), opsize, false, next_rip);
        return;
    }
    unsigned type = desc_type(&d);
    if (type == DESC_CALL_GATE16 || type == DESC_CALL_GATE32) {
        unsigned dpl = desc_dpl(&d);
        if (cpu_long_mode(c) && (type != DESC_CALL_GATE32 || ((d.hi3 >> 8) & 0x1f)))
            gp(c, SEL_ERR(sel));
        if (dpl < cpl || rpl > dpl)
            gp(c, SEL_ERR(sel));
        if (!desc_present(&d))
            np(c, SEL_ERR(sel));
        uint16_t csel = gate_selector(&d);
        struct seg_desc cd;
        gate_code_desc(c, csel, false, &cd);
        if (!desc_conforming(&cd) && desc_dpl(&cd) < cpl) {
            call_gate_inner(c, &d, csel, &cd, next_rip);
            return;
        }
        bool mode64 = cpu_long_mode(c);
        unsigned size = mode64 ? 8 : type == DESC_CALL_GATE32 ? 4 : 2;
        uint64_t ip = gate_offset(&d);
        if (size == 2)
            ip &= 0xffff;
        call_same(c, csel, &cd, ip, size, mode64, next_rip);
        return;
    }
    if (type == DESC_TASK_GATE || type == DESC_TSS16_AVAIL || type == DESC_TSS32_AVAIL ||
        type == DESC_TSS16_BUSY || type == DESC_TSS32_BUSY) {
        far_task(c, sel, &d, TASK_SWITCH_CALL, next_rip);
        return;
    }
    gp(c, SEL_ERR(sel));
}

/* The code segment a far RET or IRET returns to (SDM vol. 2, RET
 * "PROTECTED-MODE" and IRET "PROTECTED-MODE-RETURN"). */
static void return_code_desc(struct cpu_exec *c, uint16_t sel, struct seg_desc *d)
{
    unsigned rpl = SEL_RPL(sel);
    if (!(sel & 0xfffc))
        gp(c, 0);
    if (!seg_desc_read(c, sel, d))
        gp(c, SEL_ERR(sel));
    unsigned dpl = desc_dpl(d);
    if (!desc_code(d) || rpl < c->cpl || (desc_conforming(d) ? dpl > rpl : dpl != rpl) ||
        code_lsd_reserved(c, d))
        gp(c, SEL_ERR(sel));
    if (!desc_present(d))
        np(c, SEL_ERR(sel));
}

/* The stack segment a return to privilege rpl loads; null is allowed when
 * returning to 64-bit code below CPL 3. */
static void return_ss(struct cpu_exec *c, uint16_t ss_sel, unsigned rpl,
                      const struct seg_desc *cd, struct x86_segment *ss, struct seg_desc *sd,
                      bool *null_ss)
{
    *null_ss = false;
    if (!(ss_sel & 0xfffc)) {
        if (cpu_long_mode(c) && desc_long(cd) && rpl != 3) {
            seg_cache_null(ss, ss_sel, rpl);
            *null_ss = true;
            return;
        }
        gp(c, 0);
    }
    if (!seg_desc_read(c, ss_sel, sd))
        gp(c, SEL_ERR(ss_sel));
    if (SEL_RPL(ss_sel) != rpl || !desc_writable(sd) || desc_dpl(sd) != rpl)
        gp(c, SEL_ERR(ss_sel));
    if (!desc_present(sd))
        cpu_raise_exception_err(c, X86_EXC_SS, SEL_ERR(ss_sel));
    seg_cache_from_desc(ss, ss_sel, sd);
}

void cpu_far_ret(struct cpu_exec *c, unsigned opsize, uint16_t imm)
{
    struct seg_stack st;
    seg_stack_current(&st, c, 0);
    seg_stack_check_pop(c, &st, 2, opsize);
    uint64_t ip = seg_stack_peek(c, &st, 0, opsize);
    uint16_t sel = (uint16_t)seg_stack_peek(c, &st, opsize, 2);

    if (!cpu_protected(c)) {
        struct x86_segment cs = c->cpu.seg[S_CS];
        if (c->cpu.rflags & X86_FLAG_VM)
            seg_cache_v86(&cs, sel);
        cs.selector = sel;
        cs.base = (uint64_t)sel << 4;
        check_target(c, &cs, ip);
        st.sp += 2ull * opsize + imm;
        c->cpu.regs[R_RSP] = seg_stack_rsp(&st, c->cpu.regs[R_RSP]);
        set_cs(c, &cs, c->cpl, ip);
        return;
    }

    struct seg_desc cd;
    return_code_desc(c, sel, &cd);
    unsigned rpl = SEL_RPL(sel);
    struct x86_segment cs;
    seg_cache_from_desc(&cs, sel, &cd);

    if (rpl == c->cpl) {
        check_target(c, &cs, ip);
        seg_desc_set_accessed(c, sel, &cd);
        seg_cache_from_desc(&cs, sel, &cd);
        st.sp += 2ull * opsize + imm;
        c->cpu.regs[R_RSP] = seg_stack_rsp(&st, c->cpu.regs[R_RSP]);
        set_cs(c, &cs, rpl, ip);
        return;
    }

    /* Return to an outer privilege level: SS:eSP sit above the immediate. */
    uint64_t at = 2ull * opsize + imm;
    struct seg_stack chk = st;
    chk.sp += at;
    seg_stack_check_pop(c, &chk, 2, opsize);
    uint64_t new_sp = seg_stack_peek(c, &st, at, opsize);
    uint16_t ss_sel = (uint16_t)seg_stack_peek(c, &st, at + opsize, 2);
    struct x86_segment ss;
    struct seg_desc sd;
    bool null_ss;
    return_ss(c, ss_sel, rpl, &cd, &ss, &sd, &null_ss);
    check_target(c, &cs, ip);

    seg_desc_set_accessed(c, sel, &cd);
    seg_cache_from_desc(&cs, sel, &cd);
    if (!null_ss) {
        seg_desc_set_accessed(c, ss_sel, &sd);
        seg_cache_from_desc(&ss, ss_sel, &sd);
    }
    struct seg_stack nst;
    bool mode64 = cpu_long_mode(c) && (cs.attr & SEG_ATTR_L);
    seg_stack_init(&nst, &ss, new_sp + imm, mode64, false, X86_EXC_SS, 0);
    /* A 64-bit pop gives all of RSP, whatever the new code size. */
    c->cpu.regs[R_RSP] = opsize == 8 ? new_sp + imm : seg_stack_rsp(&nst, c->cpu.regs[R_RSP]);
    seg_set(c, S_SS, &ss);
    set_cs(c, &cs, rpl, ip);
    seg_null_inaccessible(c);
}

/* IRET */

static uint64_t iret_flags_protected(struct cpu_exec *c, uint64_t img, unsigned opsize,
                                     unsigned cpl)
{
    uint64_t change = X86_FLAG_CF | X86_FLAG_PF | X86_FLAG_AF | X86_FLAG_ZF | X86_FLAG_SF |
                      X86_FLAG_TF | X86_FLAG_DF | X86_FLAG_OF | X86_FLAG_NT;
    if (opsize >= 4)
        change |= X86_FLAG_RF | X86_FLAG_AC | X86_FLAG_ID;
    if (cpl <= cpu_iopl(c))
        change |= X86_FLAG_IF;
    if (cpl == 0) {
        change |= X86_FLAG_IOPL;
        if (opsize >= 4)
            change |= X86_FLAG_VIF | X86_FLAG_VIP;
    }
    return (c->cpu.rflags & ~change) | (img & change) | X86_FLAG_FIXED;
}

static void iret_real(struct cpu_exec *c, unsigned opsize)
{
    struct seg_stack st;
    seg_stack_current(&st, c, 0);
    seg_stack_check_pop(c, &st, 3, opsize);
    uint64_t ip = seg_stack_peek(c, &st, 0, opsize);
    uint16_t sel = (uint16_t)seg_stack_peek(c, &st, opsize, 2);
    uint64_t fl = seg_stack_peek(c, &st, 2ull * opsize, opsize);
    struct x86_segment cs = c->cpu.seg[S_CS];
    cs.selector = sel;
    cs.base = (uint64_t)sel << 4;
    check_target(c, &cs, ip);
    uint64_t rf = c->cpu.rflags;
    if (opsize == 4)
        /* VM, VIF and VIP cannot be changed from real mode. */
        rf = (fl & 0x257fd5ull) | (rf & 0x1a0000ull);
    else
        rf = (rf & ~0xffffull) | (fl & RFLAGS_LOW16);
    c->cpu.rflags = rf | X86_FLAG_FIXED;
    st.sp += 3ull * opsize;
    c->cpu.regs[R_RSP] = seg_stack_rsp(&st, c->cpu.regs[R_RSP]);
    set_cs(c, &cs, 0, ip);
}

/* IRET executed in virtual-8086 mode (SDM vol. 2 IRET, and 20.4 for the
 * VME form). */
static void iret_v86(struct cpu_exec *c, unsigned opsize)
{
    unsigned iopl = cpu_iopl(c);
    bool vme = (c->cpu.cr4 & X86_CR4_VME) && opsize == 2;
    if (iopl != 3 && !vme)
        gp(c, 0);
    struct seg_stack st;
    seg_stack_current(&st, c, 0);
    seg_stack_check_pop(c, &st, 3, opsize);
    uint64_t ip = seg_stack_peek(c, &st, 0, opsize);
    uint16_t sel = (uint16_t)seg_stack_peek(c, &st, opsize, 2);
    uint64_t fl = seg_stack_peek(c, &st, 2ull * opsize, opsize);
    uint64_t rf = c->cpu.rflags;
    if (iopl == 3) {
        if (opsize == 4)
            rf = (fl & 0x257fd5ull & ~(uint64_t)X86_FLAG_IOPL) |
                 (rf & (0x1a0000ull | X86_FLAG_IOPL));
        else
            rf = (rf & ~0xffffull) | (rf & X86_FLAG_IOPL) |
                 (fl & RFLAGS_LOW16 & ~(uint64_t)X86_FLAG_IOPL);
    } else {
        if (((fl & X86_FLAG_IF) && (rf & X86_FLAG_VIP)) || (fl & X86_FLAG_TF))
            gp(c, 0);
        uint64_t keep = X86_FLAG_IOPL | X86_FLAG_IF;
        rf = (rf & ~0xffffull) | (rf & keep) | (fl & RFLAGS_LOW16 & ~keep);
        rf = (fl & X86_FLAG_IF) ? rf | X86_FLAG_VIF : rf & ~(uint64_t)X86_FLAG_VIF;
    }
    struct x86_segment cs;
    seg_cache_v86(&cs, sel);
    check_target(c, &cs, ip);
    c->cpu.rflags = rf | X86_FLAG_FIXED;
    st.sp += 3ull * opsize;
    c->cpu.regs[R_RSP] = seg_stack_rsp(&st, c->cpu.regs[R_RSP]);
    set_cs(c, &cs, 3, ip);
}

/* IRET at CPL 0 with VM set in the popped EFLAGS: back to virtual-8086
 * mode, popping ESP, SS, ES, DS, FS, GS after the usual three. */
static void iret_to_v86(struct cpu_exec *c, struct seg_stack *st, uint64_t ip, uint16_t sel,
                        uint64_t fl)
{
    seg_stack_check_pop(c, st, 9, 4);
    if (ip > 0xffff)
        gp(c, 0);
    uint64_t new_esp = seg_stack_peek(c, st, 12, 4);
    uint16_t sels[4];  /* SS, ES, DS, FS, GS order in the frame */
    uint16_t ss_sel = (uint16_t)seg_stack_peek(c, st, 16, 4);
    for (unsigned i = 0; i < 4; i++)
        sels[i] = (uint16_t)seg_stack_peek(c, st, 20 + 4ull * i, 4);
    c->cpu.rflags = (fl & RFLAGS_VALID) | X86_FLAG_FIXED;
    static const int order[4] = { S_ES, S_DS, S_FS, S_GS };
    struct x86_segment s;
    for (unsigned i = 0; i < 4; i++) {
        seg_cache_v86(&s, sels[i]);
        seg_set(c, order[i], &s);
    }
    seg_cache_v86(&s, ss_sel);
    seg_set(c, S_SS, &s);
    c->cpu.regs[R_RSP] = new_esp & 0xffffffffull;
    seg_cache_v86(&s, sel);
    set_cs(c, &s, 3, ip);
}

/* IRET with NT set: return to the task in the back link (SDM vol. 3, 7.4). */
static void iret_task(struct cpu_exec *c, uint64_t next_rip)
{
    uint16_t link = (uint16_t)mmu_load_sys(c, c->cpu.tr.base & 0xffffffffull, 2);
    struct seg_desc d;
    if (SEL_TI(link) || !seg_desc_read(c, link, &d))
        ts(c, SEL_ERR(link));
    unsigned t = desc_type(&d);
    if (desc_s(&d) || (t != DESC_TSS16_BUSY && t != DESC_TSS32_BUSY))
        ts(c, SEL_ERR(link));
    if (!desc_present(&d))
        np(c, SEL_ERR(link));
    cpu_task_switch(c, link, &d, TASK_SWITCH_IRET, next_rip, 0);
    check_target(c, &c->cpu.seg[S_CS], c->cpu.rip);
}

void cpu_iret(struct cpu_exec *c, unsigned opsize, uint64_t next_rip)
{
    cpu_exec_flush_flags(c);
    c->cpu.nmi_masked = false;
    if (!(c->cpu.cr0 & X86_CR0_PE)) {
        iret_real(c, opsize);
        return;
    }
    if (c->cpu.rflags & X86_FLAG_VM) {
        iret_v86(c, opsize);
        return;
    }
    if (c->cpu.rflags & X86_FLAG_NT) {
        if (cpu_long_mode(c))
            gp(c, 0);
        iret_task(c, next_rip);
        return;
    }
    unsigned cpl = c->cpl;
    struct seg_stack st;
    seg_stack_current(&st, c, 0);
    seg_stack_check_pop(c, &st, 3, opsize);
    uint64_t ip = seg_stack_peek(c, &st, 0, opsize);
    uint16_t sel = (uint16_t)seg_stack_peek(c, &st, opsize, 2);
    uint64_t fl = seg_stack_peek(c, &st, 2ull * opsize, opsize);
    if ((fl & X86_FLAG_VM) && cpl == 0 && opsize == 4 && !cpu_long_mode(c)) {
        iret_to_v86(c, &st, ip, sel, fl);
        return;
    }
    struct seg_desc cd;
    return_code_desc(c, sel, &cd);
    unsigned rpl = SEL_RPL(sel);
    struct x86_segment cs;
    seg_cache_from_desc(&cs, sel, &cd);
    /* IRET in 64-bit mode always pops SS:RSP. */
    bool pop_ss = rpl > cpl || cpu_code64(c);
    struct x86_segment ss;
    struct seg_desc sd;
    bool null_ss = false;
    uint64_t new_sp = 0;
    uint16_t ss_sel = 0;
    if (pop_ss) {
        seg_stack_check_pop(c, &st, 5, opsize);
        new_sp = seg_stack_peek(c, &st, 3ull * opsize, opsize);
        ss_sel = (uint16_t)seg_stack_peek(c, &st, 4ull * opsize, 2);
        return_ss(c, ss_sel, rpl, &cd, &ss, &sd, &null_ss);
    }
    check_target(c, &cs, ip);

    uint64_t rf = iret_flags_protected(c, fl, opsize, cpl);
    seg_desc_set_accessed(c, sel, &cd);
    seg_cache_from_desc(&cs, sel, &cd);
    c->cpu.rflags = rf;
    if (pop_ss) {
        if (!null_ss) {
            seg_desc_set_accessed(c, ss_sel, &sd);
            seg_cache_from_desc(&ss, ss_sel, &sd);
        }
        struct seg_stack nst;
        bool mode64 = cpu_long_mode(c) && (cs.attr & SEG_ATTR_L);
        seg_stack_init(&nst, &ss, new_sp, mode64, false, X86_EXC_SS, 0);
        c->cpu.regs[R_RSP] = opsize == 8 ? new_sp : seg_stack_rsp(&nst, c->cpu.regs[R_RSP]);
        seg_set(c, S_SS, &ss);
    } else {
        st.sp += 3ull * opsize;
        c->cpu.regs[R_RSP] = seg_stack_rsp(&st, c->cpu.regs[R_RSP]);
    }
    set_cs(c, &cs, rpl, ip);
    if (rpl > cpl)
        seg_null_inaccessible(c);
}
