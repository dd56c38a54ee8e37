/* x87 and FXSAVE helpers for translated code: the D8-DF escapes decoded by
 * opcode and ModRM, device-not-available (#NM) and pending-exception (#MF)
 * checks, memory operands moved through the soft MMU, and the arithmetic
 * done by cpu/fpu.c in portable 80-bit software floating point. */
#include <string.h>

#include "cpu/decode_tables.h"
#include "cpu/exception.h"
#include "cpu/fpu.h"
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

/* A waiting instruction with an unmasked exception pending reports it
 * (#MF with CR0.NE; the legacy FERR# path through IRQ13 is not wired). */
static void x87_check_pending(struct cpu_exec *c)
{
    if (fpu_pending_exception(&c->cpu.fpu) && (c->cpu.cr0 & X86_CR0_NE))
        cpu_raise_exception(c, X86_EXC_MF);
}

static enum fpu_env_format x87_env_format(struct cpu_exec *c, unsigned opsize)
{
    bool prot = (c->cpu.cr0 & X86_CR0_PE) && !(c->cpu.rflags & X86_FLAG_VM);
    if (opsize == 2)
        return prot ? FPU_ENV_PROT16 : FPU_ENV_REAL16;
    return prot ? FPU_ENV_PROT32 : FPU_ENV_REAL32;
}

/* Escapes D8..DF: bit r set when the memory form with ModRM.reg r stores. */
static const uint8_t x87_store_forms[8] = { 0x00, 0xcc, 0x00, 0x8e, 0x00, 0xce, 0x00, 0xce };

/* The memory operand's linear address with the segment checks for its size
 * and direction; made after the #NM and #MF checks, which come first. */
static uint64_t x87_operand(struct cpu_exec *c, unsigned op, unsigned reg, uint64_t off, int seg,
                            unsigned opsize)
{
    unsigned size = x86_x87_memsize[op - 0xd8][reg];
    if (size == 0) /* FLDENV/FNSTENV, or FRSTOR/FNSAVE with the registers */
        size = fpu_env_size(x87_env_format(c, opsize)) + (op == 0xdd ? 80 : 0);
    bool store = (x87_store_forms[op - 0xd8] >> reg) & 1;
    uint64_t lin = mmu_seg_linear(c, seg, off, size, store ? MMU_WRITE : MMU_READ);
    /* A store's #PF comes before anything changes, even before an
     * unmasked exception that then suppresses the store. */
    if (store)
        mmu_probe_write(c, lin, size);
    return lin;
}

static void x87_set_eflags(struct cpu_exec *c, uint32_t flags)
{
    uint64_t arith = X86_FLAG_CF | X86_FLAG_PF | X86_FLAG_AF | X86_FLAG_ZF | X86_FLAG_SF | X86_FLAG_OF;
    cpu_exec_flush_flags(c);
    c->cpu.rflags = (c->cpu.rflags & ~arith) | (flags & arith);
}

static bool x87_fcmov_cond(struct cpu_exec *c, unsigned sel)
{
    uint64_t f = cpu_exec_get_rflags(c);
    switch (sel & 3) {
    case 0: return f & X86_FLAG_CF;
    case 1: return f & X86_FLAG_ZF;
    case 2: return f & (X86_FLAG_CF | X86_FLAG_ZF);
    default: return f & X86_FLAG_PF;
    }
}

static void x87_memory(struct cpu_exec *c, struct x86_fpu *f, unsigned op, unsigned reg,
                       uint64_t lin, unsigned opsize)
{
    uint8_t buf[108];
    switch (op) {
    case 0xd8: fpu_arith_m32(f, (enum fpu_arith)reg, (uint32_t)mmu_load(c, lin, 4)); return;
    case 0xdc: fpu_arith_m64(f, (enum fpu_arith)reg, mmu_load(c, lin, 8)); return;
    case 0xda: fpu_arith_mint(f, (enum fpu_arith)reg, (int32_t)mmu_load(c, lin, 4)); return;
    case 0xde: fpu_arith_mint(f, (enum fpu_arith)reg, (int16_t)mmu_load(c, lin, 2)); return;
    case 0xd9:
        switch (reg) {
        case 0: fpu_fld_m32(f, (uint32_t)mmu_load(c, lin, 4)); return;
        case 2: case 3: {
            uint32_t v;
            if (fpu_fst_m32(f, &v, reg == 3))
                mmu_store(c, lin, 4, v);
            return;
        }
        case 4: {
            enum fpu_env_format fmt = x87_env_format(c, opsize);
            mmu_load_bytes(c, lin, buf, fpu_env_size(fmt));
            fpu_fldenv(f, buf, fmt);
            return;
        }
        case 5: fpu_fldcw(f, (uint16_t)mmu_load(c, lin, 2)); return;
        case 6: {
            enum fpu_env_format fmt = x87_env_format(c, opsize);
            fpu_fnstenv(f, buf, fmt);
            mmu_store_bytes(c, lin, buf, fpu_env_size(fmt));
            return;
        }
        case 7: mmu_store(c, lin, 2, fpu_fnstcw(f)); return;
        default: break;
        }
        break;
    case 0xdb:
        switch (reg) {
        case 0: fpu_fild(f, (int32_t)mmu_load(c, lin, 4)); return;
        case 1: case 2: case 3: {
            uint64_t v;
            if (fpu_fist(f, 32, reg != 2, reg == 1, &v))
                mmu_store(c, lin, 4, v);
            return;
        }
        case 5:
            mmu_load_bytes(c, lin, buf, 10);
            fpu_fld_m80(f, buf);
            return;
        case 7:
            if (fpu_fstp_m80(f, buf))
                mmu_store_bytes(c, lin, buf, 10);
            return;
        default: break;
        }
        break;
    case 0xdd:
        switch (reg) {
        case 0: fpu_fld_m64(f, mmu_load(c, lin, 8)); return;
        case 1: {
            uint64_t v;
            if (fpu_fist(f, 64, true, true, &v))
                mmu_store(c, lin, 8, v);
            return;
        }
        case 2: case 3: {
            uint64_t v;
            if (fpu_fst_m64(f, &v, reg == 3))
                mmu_store(c, lin, 8, v);
            return;
        }
        case 4: {
            enum fpu_env_format fmt = x87_env_format(c, opsize);
            mmu_load_bytes(c, lin, buf, fpu_save_size(fmt));
            fpu_frstor(f, buf, fmt);
            return;
        }
        case 6: {
            enum fpu_env_format fmt = x87_env_format(c, opsize);
            fpu_fnsave(f, buf, fmt);
            mmu_store_bytes(c, lin, buf, fpu_save_size(fmt));
            return;
        }
        case 7: mmu_store(c, lin, 2, fpu_fnstsw(f)); return;
        default: break;
        }
        break;
    case 0xdf:
        switch (reg) {
        case 0: fpu_fild(f, (int16_t)mmu_load(c, lin, 2)); return;
        case 1: case 2: case 3: {
            uint64_t v;
            if (fpu_fist(f, 16, reg != 2, reg == 1, &v))
                mmu_store(c, lin, 2, v);
            return;
        }
        case 4:
            mmu_load_bytes(c, lin, buf, 10);
            fpu_fbld(f, buf);
            return;
        case 5: fpu_fild(f, (int64_t)mmu_load(c, lin, 8)); return;
        case 6:
            if (fpu_fbstp(f, buf))
                mmu_store_bytes(c, lin, buf, 10);
            return;
        case 7: {
            uint64_t v;
            if (fpu_fist(f, 64, true, false, &v))
                mmu_store(c, lin, 8, v);
            return;
        }
        default: break;
        }
        break;
    default:
        break;
    }
    cpu_raise_exception(c, X86_EXC_UD);
}

/* DC/DE register forms swap SUB/SUBR and DIV/DIVR in their encoding. */
static enum fpu_arith x87_reverse_form(unsigned reg)
{
    static const enum fpu_arith map[8] = { FPU_ADD, FPU_MUL, FPU_COM, FPU_COMP,
                                           FPU_SUBR, FPU_SUB, FPU_DIVR, FPU_DIV };
    return map[reg];
}

static void x87_register(struct cpu_exec *c, unsigned op, unsigned modrm)
{
    struct x86_fpu *f = &c->cpu.fpu;
    unsigned reg = (modrm >> 3) & 7, i = modrm & 7;
    switch (op) {
    case 0xd8:
        fpu_arith_st0_sti(f, (enum fpu_arith)reg, (int)i);
        return;
    case 0xd9:
        switch (reg) {
        case 0: fpu_fld_sti(f, (int)i); return;
        case 1: fpu_fxch(f, (int)i); return;
        case 2: if (i == 0) return; break;               /* FNOP */
        case 3: fpu_fst_sti(f, (int)i, true); return;     /* FSTP1 alias */
        default: break;
        }
        switch (modrm) {
        case 0xe0: fpu_fchs(f); return;
        case 0xe1: fpu_fabs(f); return;
        case 0xe4: fpu_ftst(f); return;
        case 0xe5: fpu_fxam(f); return;
        case 0xe8: fpu_fldconst(f, FPU_CONST_1); return;
        case 0xe9: fpu_fldconst(f, FPU_CONST_L2T); return;
        case 0xea: fpu_fldconst(f, FPU_CONST_L2E); return;
        case 0xeb: fpu_fldconst(f, FPU_CONST_PI); return;
        case 0xec: fpu_fldconst(f, FPU_CONST_LG2); return;
        case 0xed: fpu_fldconst(f, FPU_CONST_LN2); return;
        case 0xee: fpu_fldconst(f, FPU_CONST_Z); return;
        case 0xf0: fpu_f2xm1(f); return;
        case 0xf1: fpu_fyl2x(f); return;
        case 0xf2: fpu_fptan(f); return;
        case 0xf3: fpu_fpatan(f); return;
        case 0xf4: fpu_fxtract(f); return;
        case 0xf5: fpu_fprem1(f); return;
        case 0xf6: fpu_fdecstp(f); return;
        case 0xf7: fpu_fincstp(f); return;
        case 0xf8: fpu_fprem(f); return;
        case 0xf9: fpu_fyl2xp1(f); return;
        case 0xfa: fpu_fsqrt(f); return;
        case 0xfb: fpu_fsincos(f); return;
        case 0xfc: fpu_frndint(f); return;
        case 0xfd: fpu_fscale(f); return;
        case 0xfe: fpu_fsin(f); return;
        case 0xff: fpu_fcos(f); return;
        default: break;
        }
        break;
    case 0xda:
        if (reg < 4) {
            fpu_fcmov(f, (int)i, x87_fcmov_cond(c, reg));
            return;
        }
        if (modrm == 0xe9) {
            fpu_fcom_sti(f, 1, true, 2); /* FUCOMPP */
            return;
        }
        break;
    case 0xdb:
        if (reg < 4) {
            fpu_fcmov(f, (int)i, !x87_fcmov_cond(c, reg));
            return;
        }
        if (modrm == 0xe0 || modrm == 0xe1 || modrm == 0xe4)
            return; /* FENI, FDISI, FSETPM: no-ops after the 80287 */
        if (modrm == 0xe2) {
            fpu_fnclex(f);
            return;
        }
        if (modrm == 0xe3) {
            fpu_fninit(f);
            return;
        }
        if (reg == 5 || reg == 6) {
            x87_set_eflags(c, fpu_fcomi(f, (int)i, reg == 5, false));
            return;
        }
        break;
    case 0xdc:
        if (reg == 2 || reg == 3) {
            fpu_fcom_sti(f, (int)i, false, reg == 3); /* FCOM2/FCOMP3 aliases */
            return;
        }
        fpu_arith_sti_st0(f, x87_reverse_form(reg), (int)i, false);
        return;
    case 0xdd:
        switch (reg) {
        case 0: fpu_ffree(f, (int)i); return;
        case 1: fpu_fxch(f, (int)i); return;              /* FXCH4 alias */
        case 2: fpu_fst_sti(f, (int)i, false); return;
        case 3: fpu_fst_sti(f, (int)i, true); return;
        case 4: fpu_fcom_sti(f, (int)i, true, 0); return;
        case 5: fpu_fcom_sti(f, (int)i, true, 1); return;
        default: break;
        }
        break;
    case 0xde:
        if (reg == 3) {
            if (i == 1) {
                fpu_fcom_sti(f, 1, false, 2); /* FCOMPP */
                return;
            }
            break;
        }
        if (reg == 2) {
            fpu_fcom_sti(f, (int)i, false, 1); /* FCOMP5 alias */
            return;
        }
        fpu_arith_sti_st0(f, x87_reverse_form(reg), (int)i, true);
        return;
    case 0xdf:
        switch (reg) {
        case 0: fpu_ffreep(f, (int)i); return;
        case 1: fpu_fxch(f, (int)i); return;              /* FXCH7 alias */
        case 2: case 3: fpu_fst_sti(f, (int)i, true); return; /* FSTP8/9 aliases */
        case 4:
            if (i == 0) {
                c->cpu.regs[R_RAX] = (c->cpu.regs[R_RAX] & ~0xffffull) | fpu_fnstsw(f);
                return;
            }
            break;
        case 5: case 6:
            x87_set_eflags(c, fpu_fcomi(f, (int)i, reg == 5, true));
            return;
        default: break;
        }
        break;
    default:
        break;
    }
    cpu_raise_exception(c, X86_EXC_UD);
}

/* Control instructions that do not wait for pending exceptions. */
static bool x87_is_nowait(unsigned op, unsigned modrm)
{
    bool mem = (modrm >> 6) != 3;
    unsigned reg = (modrm >> 3) & 7;
    if (op == 0xdb && (modrm == 0xe2 || modrm == 0xe3))
        return true; /* FNCLEX, FNINIT */
    if (op == 0xdf && modrm == 0xe0)
        return true; /* FNSTSW AX */
    if (mem && op == 0xd9 && (reg == 6 || reg == 7))
        return true; /* FNSTENV, FNSTCW */
    if (mem && op == 0xdd && (reg == 6 || reg == 7))
        return true; /* FNSAVE, FNSTSW m16 */
    return false;
}

/* a0 = opcode | modrm << 8, a1 = linear address of the memory operand,
 * a2 = operand size */
/* a3 = segment | 0x100: a1 is an offset in that segment (checked here);
 * a3 = 0: a1 is already linear. */
HELPER(helper_x87)
{
    unsigned op = (unsigned)(a0 & 0xff), modrm = (unsigned)(a0 >> 8) & 0xff;
    if (op == 0x9b) { /* FWAIT */
        x87_check_available(c, true);
        x87_check_pending(c);
        return 0;
    }
    x87_check_available(c, false);
    if (!x87_is_nowait(op, modrm))
        x87_check_pending(c);
    if ((modrm >> 6) != 3) {
        uint64_t lin = a1;
        if (a3 & 0x100)
            lin = x87_operand(c, op, (modrm >> 3) & 7, a1, (int)(a3 & 0xff), (unsigned)a2);
        x87_memory(c, &c->cpu.fpu, op, (modrm >> 3) & 7, lin, (unsigned)a2);
    }
    else
        x87_register(c, op, modrm);
    return 0;
}

/* a0 = linear address, a1 = 0 FXSAVE / 1 FXRSTOR, a2 = REX.W form */
HELPER(helper_fxsave)
{
    (void)a3;
    if (c->cpu.cr0 & (X86_CR0_EM | X86_CR0_TS))
        cpu_raise_exception(c, X86_EXC_NM);
    if (a0 & 15)
        cpu_raise_exception_err(c, X86_EXC_GP, 0);
    bool m64 = (c->cpu.efer & X86_EFER_LMA) && (c->cpu.seg[S_CS].attr & SEG_ATTR_L);
    unsigned nxmm = m64 ? 16 : 8;
    uint8_t img[512];
    if (a1) {
        mmu_load_bytes(c, a0, img, 512);
        if (!fpu_fxrstor(&c->cpu.fpu, img, a2 != 0, nxmm))
            cpu_raise_exception_err(c, X86_EXC_GP, 0); /* reserved MXCSR bits */
    } else {
        /* Only the defined part of the image is written (the rest keeps
         * its bytes), and with no read first: a fault is a write fault. */
        memset(img, 0, sizeof(img));
        unsigned n = fpu_fxsave(&c->cpu.fpu, img, a2 != 0, nxmm);
        mmu_store_bytes(c, a0, img, n);
    }
    return 0;
}
