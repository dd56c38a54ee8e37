/* Translation of control transfers: near jumps, conditional branches,
 * loops, calls and returns (ending the block with the known successors as
 * chain slots), and far transfers and software interrupts (helpers). */
#include "cpu/exception.h"
#include "cpu/helpers.h"
#include "translator/xlat.h"

static bool xlat_jmp(struct xlat_ctx *x)
{
    const struct x86_insn *in = x->insn;
    if (in->op[0].kind == X86_OPK_REL) {
        xlat_exit_const(x, (uint64_t)in->op[0].value, 0);
        return true;
    }
    ir_temp t = xlat_wrap_ip(x, xlat_op_read(x, 0), in->opsize);
    xlat_exit_to(x, t);
    return true;
}

/* Two known successors: taken (slot 0) and fall-through (slot 1). */
static void xlat_branch2(struct xlat_ctx *x, ir_temp taken)
{
    struct ir_block *b = x->ir;
    unsigned not_taken = ir_new_label(b);
    ir_brcond(b, IR_EQ, taken, ir_movi(b, 0), not_taken);
    ir_stc(b, 8, OFF_RIP, ir_movi(b, (uint64_t)x->insn->op[0].value));
    ir_exit(b, 0);
    ir_label(b, not_taken);
    ir_stc(b, 8, OFF_RIP, ir_movi(b, x->next_pc));
    ir_exit(b, 1);
    x->end_block = true;
}

static bool xlat_jcc(struct xlat_ctx *x)
{
    xlat_branch2(x, xlat_cond(x, x->insn->cond));
    return true;
}

/* rCX as the address size says (LOOP and JCXZ count with CX/ECX/RCX). */
static bool xlat_loop(struct xlat_ctx *x)
{
    const struct x86_insn *in = x->insn;
    struct ir_block *b = x->ir;
    unsigned as = in->addrsize;
    ir_temp cx = ir_ldc(b, as, OFF_REG(R_RCX));
    ir_temp zero = ir_movi(b, 0);
    if (in->mnemonic == X86_JCXZ) {
        xlat_branch2(x, ir_setcc(b, IR_EQ, cx, zero));
        return true;
    }
    ir_temp ncx = ir_binopi(b, IR_SUB, cx, 1);
    if (as == 4)
        ncx = ir_ext(b, IR_ZEXT, 4, ncx);
    xlat_reg_write(x, R_RCX, as, false, ncx);
    ir_temp go = ir_setcc(b, IR_NE, as == 8 ? ncx : ir_ext(b, IR_ZEXT, as, ncx), zero);
    unsigned mn = in->mnemonic;
    /* On this CPU a REP (F3) or REPNE (F2) prefix on LOOPE/LOOPNE picks the
     * ZF condition itself, as it does for CMPS/SCAS: F3 loops while ZF=1,
     * F2 while ZF=0, whatever the opcode says (the last one counts). */
    if (mn == X86_LOOPE || mn == X86_LOOPNE) {
        if (in->prefixes & X86_PFX_REP)
            mn = X86_LOOPE;
        else if (in->prefixes & X86_PFX_REPNE)
            mn = X86_LOOPNE;
    }
    if (mn == X86_LOOPE)
        go = ir_binop(b, IR_AND, go, xlat_cond(x, X86_CC_E));
    else if (mn == X86_LOOPNE)
        go = ir_binop(b, IR_AND, go, xlat_cond(x, X86_CC_NE));
    xlat_branch2(x, go);
    return true;
}

static bool xlat_call(struct xlat_ctx *x)
{
    const struct x86_insn *in = x->insn;
    struct ir_block *b = x->ir;
    unsigned os = in->opsize;
    if (in->op[0].kind == X86_OPK_REL) {
        xlat_push(x, os, ir_movi(b, x->next_pc));
        xlat_exit_const(x, (uint64_t)in->op[0].value, 0);
        return true;
    }
    /* Read the target before pushing: the push may change what [rsp] holds. */
    ir_temp t = xlat_wrap_ip(x, xlat_op_read(x, 0), os);
    xlat_push(x, os, ir_movi(b, x->next_pc));
    xlat_exit_to(x, t);
    return true;
}

static bool xlat_ret(struct xlat_ctx *x)
{
    const struct x86_insn *in = x->insn;
    struct ir_block *b = x->ir;
    unsigned os = in->opsize;
    ir_temp t = xlat_wrap_ip(x, xlat_pop(x, os), os);
    if (in->nops && in->op[0].kind == X86_OPK_IMM && in->op[0].value) {
        unsigned ss = x->stack_size;
        ir_temp sp = ir_binopi(b, IR_ADD, ir_ldc(b, 8, OFF_REG(R_RSP)), (uint64_t)in->op[0].value & 0xffff);
        if (ss == 2)
            ir_stc(b, 2, OFF_REG(R_RSP), sp);
        else
            ir_stc(b, 8, OFF_REG(R_RSP), ss == 4 ? ir_ext(b, IR_ZEXT, 4, sp) : sp);
    }
    xlat_exit_to(x, t);
    return true;
}

static bool xlat_far(struct xlat_ctx *x)
{
    const struct x86_insn *in = x->insn;
    struct ir_block *b = x->ir;
    unsigned os = in->opsize;
    ir_temp sel, off;
    switch (in->mnemonic) {
    case X86_JMPF:
    case X86_CALLF:
        if (in->op[0].kind == X86_OPK_FAR) {
            off = ir_movi(b, (uint64_t)in->op[0].value);
            sel = ir_movi(b, in->far_seg);
        } else {
            /* m16:16/32/64: offset first, then the selector */
            ir_temp lin = xlat_mem_linear(x, os + 2, false);
            off = ir_ld(b, os, lin);
            ir_temp selin = ir_binopi(b, IR_ADD, lin, os);
            if (!x->mode64)
                selin = ir_ext(b, IR_ZEXT, 4, selin);
            sel = ir_ld(b, 2, selin);
        }
        XLAT_HELPER(x, in->mnemonic == X86_JMPF ? helper_far_jmp : helper_far_call, 4, sel, off,
                    ir_movi(b, os), ir_movi(b, x->next_pc));
        break;
    case X86_RETF:
        XLAT_HELPER(x, helper_far_ret, 2, ir_movi(b, os),
                    ir_movi(b, in->nops ? (uint64_t)in->op[0].value & 0xffff : 0), IR_NO_TEMP,
                    IR_NO_TEMP);
        break;
    case X86_IRET:
        XLAT_HELPER(x, helper_iret, 2, ir_movi(b, os), ir_movi(b, x->next_pc), IR_NO_TEMP, IR_NO_TEMP);
        break;
    default:
        return false;
    }
    ir_exit(b, -1);
    x->end_block = true;
    return true;
}

static bool xlat_int(struct xlat_ctx *x)
{
    const struct x86_insn *in = x->insn;
    struct ir_block *b = x->ir;
    unsigned vector, kind;
    switch (in->mnemonic) {
    case X86_INT: vector = (unsigned)in->op[0].value & 0xff; kind = CPU_EVENT_SOFTWARE; break;
    case X86_INT3: vector = 3; kind = CPU_EVENT_SOFTWARE_EXC; break;
    case X86_INTO: vector = 4; kind = CPU_EVENT_SOFTWARE_EXC; break;
    default: vector = 1; kind = CPU_EVENT_ICEBP; break;
    }
    if (in->mnemonic == X86_INTO) {
        unsigned no = ir_new_label(b);
        ir_brcond(b, IR_EQ, xlat_cond(x, X86_CC_O), ir_movi(b, 0), no);
        XLAT_HELPER(x, helper_int, 3, ir_movi(b, vector), ir_movi(b, kind), ir_movi(b, x->next_pc), IR_NO_TEMP);
        ir_exit(b, -1);
        ir_label(b, no);
        xlat_exit_const(x, x->next_pc, 0);
        return true;
    }
    XLAT_HELPER(x, helper_int, 3, ir_movi(b, vector), ir_movi(b, kind), ir_movi(b, x->next_pc), IR_NO_TEMP);
    ir_exit(b, -1);
    x->end_block = true;
    return true;
}

bool xlat_flow(struct xlat_ctx *x)
{
    switch (x->insn->mnemonic) {
    case X86_JMP: return xlat_jmp(x);
    case X86_JCC: return xlat_jcc(x);
    case X86_JCXZ: case X86_LOOP: case X86_LOOPE: case X86_LOOPNE: return xlat_loop(x);
    case X86_CALL: return xlat_call(x);
    case X86_RET: return xlat_ret(x);
    case X86_JMPF: case X86_CALLF: case X86_RETF: case X86_IRET: return xlat_far(x);
    case X86_INT: case X86_INT3: case X86_INTO: case X86_INT1: return xlat_int(x);
    default: return false;
    }
}
