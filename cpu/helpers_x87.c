/* x87 and FXSAVE helpers for translated code: device-not-available checks
 * (CR0.EM/TS), then the operation. The arithmetic comes with cpu/fpu.c;
 * until then the control/status instructions firmware uses to detect and
 * initialise the FPU are handled here and the rest raise #UD (logged). */
#include "cpu/exception.h"
#include "cpu/helpers.h"
#include "hw/log.h"
#include "softmmu/mmu.h"

static void x87_check_available(struct cpu_exec *c, bool wait)
{
    uint64_t cr0 = c->cpu.cr0;
    if (!wait && (cr0 & X86_CR0_EM))
        cpu_raise_exception(c, X86_EXC_NM);
    if ((cr0 & X86_CR0_TS) && (!wait || (cr0 & X86_CR0_MP)))
        cpu_raise_exception(c, X86_EXC_NM);
}

static void x87_finit(struct x86_fpu *f)
{
    f->fcw = 0x37f;
    f->fsw = 0;
    f->ftw = 0;
    f->fop = 0;
    f->fip = 0;
    f->fdp = 0;
}

/* a0 = opcode | modrm << 8, a1 = linear address of the memory operand */
HELPER(helper_x87)
{
    (void)a2; (void)a3;
    unsigned op = (unsigned)(a0 & 0xff), modrm = (unsigned)(a0 >> 8) & 0xff;
    struct x86_fpu *f = &c->cpu.fpu;
    if (op == 0x9b) { /* FWAIT */
        x87_check_available(c, true);
        if ((f->fsw & 0x80) && (c->cpu.cr0 & X86_CR0_NE))
            cpu_raise_exception(c, X86_EXC_MF);
        return 0;
    }
    x87_check_available(c, false);
    unsigned reg = (modrm >> 3) & 7;
    bool mem = (modrm >> 6) != 3;
    if (op == 0xdb && modrm == 0xe3) { x87_finit(f); return 0; }            /* FNINIT */
    if (op == 0xdb && modrm == 0xe2) { f->fsw &= 0x7f00; return 0; }        /* FNCLEX */
    if (op == 0xdf && modrm == 0xe0) {                                      /* FNSTSW AX */
        c->cpu.regs[R_RAX] = (c->cpu.regs[R_RAX] & ~0xffffull) | f->fsw;
        return 0;
    }
    if (op == 0xdd && mem && reg == 7) { mmu_store(c, a1, 2, f->fsw); return 0; }  /* FNSTSW m16 */
    if (op == 0xd9 && mem && reg == 7) { mmu_store(c, a1, 2, f->fcw); return 0; }  /* FNSTCW */
    if (op == 0xd9 && mem && reg == 5) { f->fcw = (uint16_t)mmu_load(c, a1, 2); return 0; } /* FLDCW */
    if (op == 0xd9 && modrm == 0xd0)                                        /* FNOP */
        return 0;
    if (log_enabled(LOG_UNIMP))
        log_printf("unimp: x87 %02x %02x at %#llx\n", op, modrm, (unsigned long long)c->cpu.rip);
    cpu_raise_exception(c, X86_EXC_UD);
}

HELPER(helper_fxsave)
{
    (void)a0; (void)a1; (void)a2; (void)a3;
    cpu_raise_exception(c, X86_EXC_UD); /* FXSR is not advertised */
}
