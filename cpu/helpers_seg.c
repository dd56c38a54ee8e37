/* Helpers that connect translated code to the segmentation machinery
 * (cpu/segment.c, cpu/farxfer.c, cpu/exception.c): segment loads, far
 * transfers, IRET, software interrupts and the descriptor instructions. */
#include "cpu/exception.h"
#include "cpu/farxfer.h"
#include "cpu/helpers.h"
#include "cpu/segment.h"

static void set_zf(struct cpu_exec *c, bool zf)
{
    cpu_exec_flush_flags(c);
    if (zf)
        c->cpu.rflags |= X86_FLAG_ZF;
    else
        c->cpu.rflags &= ~(uint64_t)X86_FLAG_ZF;
}

HELPER(helper_load_seg)
{
    (void)a2; (void)a3;
    if ((int)a0 == S_CS)
        cpu_raise_exception(c, X86_EXC_UD); /* MOV CS / POP CS do not exist */
    seg_load(c, (int)a0, (uint16_t)a1);
    if ((int)a0 == S_SS)
        c->cpu.interrupt_shadow = true; /* the next instruction runs before any interrupt */
    return 0;
}

HELPER(helper_lldt)
{
    (void)a1; (void)a2; (void)a3;
    cpu_lldt(c, (uint16_t)a0);
    return 0;
}

HELPER(helper_ltr)
{
    (void)a1; (void)a2; (void)a3;
    cpu_ltr(c, (uint16_t)a0);
    return 0;
}

HELPER(helper_desc_test)
{
    (void)a3;
    unsigned op = (unsigned)(a0 & 0xff);
    unsigned opsize = (unsigned)(a0 >> 8);
    uint16_t sel = (uint16_t)a1;
    uint32_t v = 0;
    bool zf;
    switch (op) {
    case 0:
        zf = cpu_lar(c, sel, &v);
        break;
    case 1:
        zf = cpu_lsl(c, sel, &v);
        break;
    case 2:
        set_zf(c, cpu_verr(c, sel));
        return a2;
    default:
        set_zf(c, cpu_verw(c, sel));
        return a2;
    }
    set_zf(c, zf);
    if (!zf)
        return a2; /* the destination is unchanged when ZF is clear */
    return opsize == 2 ? (a2 & ~0xffffull) | (v & 0xffff) : v;
}

HELPER(helper_arpl)
{
    (void)a2; (void)a3;
    uint16_t d = (uint16_t)a0;
    set_zf(c, cpu_arpl(c, &d, (uint16_t)a1));
    return (a0 & ~0xffffull) | d;
}

HELPER(helper_far_jmp)
{
    cpu_exec_flush_flags(c);
    cpu_far_jmp(c, (uint16_t)a0, a1, (unsigned)a2, a3);
    return 0;
}

HELPER(helper_far_call)
{
    cpu_exec_flush_flags(c);
    cpu_far_call(c, (uint16_t)a0, a1, (unsigned)a2, a3);
    return 0;
}

HELPER(helper_far_ret)
{
    (void)a2; (void)a3;
    cpu_exec_flush_flags(c);
    cpu_far_ret(c, (unsigned)a0, (uint16_t)a1);
    return 0;
}

HELPER(helper_iret)
{
    (void)a2; (void)a3;
    cpu_exec_flush_flags(c);
    /* a1 is the next instruction: a nested-task IRET saves it as the
     * outgoing task's EIP. */
    cpu_iret(c, (unsigned)a0, a1);
    /* IRET ends NMI blocking. */
    c->cpu.nmi_masked = false;
    return 0;
}

HELPER(helper_int)
{
    (void)a3;
    cpu_exec_flush_flags(c);
    enum cpu_event_kind kind = (enum cpu_event_kind)a1;
    if (!cpu_deliver_event(c, kind, (int)a0, false, 0, a2)) {
        cpu_raise_exception(c, CPU_TRIPLE_FAULT);
    }
    return 0;
}
