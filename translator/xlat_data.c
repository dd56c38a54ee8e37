/* Translation of data movement: MOV and its extensions, LEA, exchanges,
 * conditional moves and sets, the stack (PUSH/POP and friends), flags
 * transfers, string instructions and segment loads. */
#include "cpu/helpers.h"
#include "translator/xlat.h"

static bool xlat_mov(struct xlat_ctx *x)
{
    const struct x86_insn *in = x->insn;
    struct ir_block *b = x->ir;
    unsigned mn = in->mnemonic;
    if (mn == X86_MOV_SEG) {
        if (in->op[0].kind == X86_OPK_SEG) {
            ir_temp sel = xlat_op_read(x, 1);
            XLAT_HELPER(x, helper_load_seg, 2, ir_movi(b, in->op[0].reg), xlat_zext(x, 2, sel), IR_NO_TEMP, IR_NO_TEMP);
            if (in->op[0].reg == S_SS || in->op[0].reg == S_CS || in->op[0].reg == S_DS ||
                in->op[0].reg == S_ES) {
                /* MOV SS blocks interrupts for one instruction: end the block so
                 * the engine sees the shadow. DS, ES and SS are part of the
                 * mode key (flat or not). */
                xlat_exit_const(x, x->next_pc, 0);
            }
            return true;
        }
        /* MOV r/m, Sreg: a register destination takes the zero-extended
         * selector at the operand size; memory always 16 bits. */
        ir_temp sel = ir_ldc(b, 2, OFF_SEG_SEL(in->op[1].reg));
        xlat_op_write(x, 0, IR_NO_TEMP, sel);
        return true;
    }
    ir_temp v = xlat_op_read(x, 1);
    unsigned dsize = in->op[0].size;
    switch (mn) {
    case X86_MOVZX: v = xlat_zext(x, in->op[1].size, v); break;
    case X86_MOVSX:
    case X86_MOVSXD: v = xlat_zext(x, dsize, ir_ext(b, IR_SEXT, in->op[1].size, v)); break;
    default: break;
    }
    xlat_op_write(x, 0, IR_NO_TEMP, v);
    return true;
}

static bool xlat_lea(struct xlat_ctx *x)
{
    const struct x86_insn *in = x->insn;
    ir_temp off = xlat_ea_offset(x);
    xlat_reg_write(x, in->op[0].reg, in->op[0].size, false, xlat_zext(x, in->op[0].size, off));
    return true;
}

static bool xlat_xchg(struct xlat_ctx *x)
{
    const struct x86_insn *in = x->insn;
    ir_temp lin0 = IR_NO_TEMP, lin1 = IR_NO_TEMP;
    ir_temp a = xlat_op_read_at(x, 0, &lin0, true);
    ir_temp c = xlat_op_read_at(x, 1, &lin1, true);
    /* Memory first: if the store faults no register has changed. */
    if (in->op[0].kind == X86_OPK_MEM) {
        xlat_op_write(x, 0, lin0, c);
        xlat_op_write(x, 1, lin1, a);
    } else {
        xlat_op_write(x, 1, lin1, a);
        xlat_op_write(x, 0, lin0, c);
    }
    return true;
}

static bool xlat_cmov_set(struct xlat_ctx *x)
{
    const struct x86_insn *in = x->insn;
    struct ir_block *b = x->ir;
    ir_temp cond = xlat_cond(x, in->cond);
    if (in->mnemonic == X86_SETCC) {
        xlat_op_write(x, 0, IR_NO_TEMP, cond);
        return true;
    }
    /* CMOV reads its source even when the condition is false (it can fault)
     * and, with a 32-bit operand in 64-bit mode, always writes. */
    unsigned size = in->op[0].size;
    ir_temp src = xlat_op_read(x, 1);
    ir_temp old = xlat_reg_read(x, in->op[0].reg, size, false);
    ir_temp v = ir_select(b, IR_NE, cond, ir_movi(b, 0), src, old);
    xlat_reg_write(x, in->op[0].reg, size, false, v);
    return true;
}

static bool xlat_bswap(struct xlat_ctx *x)
{
    const struct x86_insn *in = x->insn;
    struct ir_block *b = x->ir;
    unsigned size = in->op[0].size;
    ir_temp v = xlat_reg_read(x, in->op[0].reg, size, false);
    ir_temp r = ir_movi(b, 0);
    if (size == 2) {
        /* BSWAP of a 16-bit register is undefined; this CPU zeroes it. */
        xlat_reg_write(x, in->op[0].reg, 2, false, r);
        return true;
    }
    for (unsigned i = 0; i < size; i++) {
        ir_temp byte = ir_binopi(b, IR_AND, ir_binopi(b, IR_SHR, v, i * 8), 0xff);
        r = ir_binop(b, IR_OR, r, ir_binopi(b, IR_SHL, byte, (size - 1 - i) * 8));
    }
    xlat_reg_write(x, in->op[0].reg, size, false, r);
    return true;
}

/* A pop whose RSP update waits until the instruction can no longer fault
 * (POP Sreg, LEAVE): reads the slot at sp and returns the new RSP value. */
static ir_temp pop_at(struct xlat_ctx *x, ir_temp sp, unsigned size, ir_temp *nsp)
{
    struct ir_block *b = x->ir;
    unsigned ss = x->stack_size;
    sp = xlat_zext(x, ss, sp);
    ir_temp v = ir_ld(b, size, xlat_linear(x, S_SS, sp, size, false));
    *nsp = xlat_zext(x, ss, ir_binopi(b, IR_ADD, sp, size));
    return v;
}

static void set_rsp(struct xlat_ctx *x, ir_temp nsp)
{
    ir_stc(x->ir, x->stack_size == 2 ? 2 : 8, OFF_REG(R_RSP), nsp);
}

static bool xlat_pushpop(struct xlat_ctx *x)
{
    const struct x86_insn *in = x->insn;
    struct ir_block *b = x->ir;
    unsigned os = in->opsize;
    switch (in->mnemonic) {
    case X86_PUSH: {
        const struct x86_operand *op = &in->op[0];
        ir_temp v;
        if (op->kind == X86_OPK_REG && op->reg == R_RSP)
            v = xlat_reg_read(x, R_RSP, os, false); /* the value before the push */
        else if (op->kind == X86_OPK_SEG)
            v = ir_ldc(b, 2, OFF_SEG_SEL(op->reg));
        else
            v = xlat_op_read(x, 0);
        xlat_push(x, os, xlat_zext(x, os, v));
        return true;
    }
    case X86_POP: {
        const struct x86_operand *op = &in->op[0];
        if (op->kind == X86_OPK_SEG) {
            /* RSP moves only once the selector has loaded. */
            ir_temp nsp;
            ir_temp v = pop_at(x, ir_ldc(b, 8, OFF_REG(R_RSP)), os, &nsp);
            XLAT_HELPER(x, helper_load_seg, 2, ir_movi(b, op->reg), xlat_zext(x, 2, v), IR_NO_TEMP, IR_NO_TEMP);
            set_rsp(x, nsp);
            if (op->reg == S_SS || op->reg == S_DS || op->reg == S_ES)
                xlat_exit_const(x, x->next_pc, 0); /* the shadow; the mode key */
            return true;
        }
        if (op->kind == X86_OPK_MEM) {
            /* POP [mem] computes the address with RSP already incremented,
             * but a faulting store leaves RSP as it was. */
            ir_temp sp0 = ir_ldc(b, 8, OFF_REG(R_RSP));
            ir_temp v = xlat_pop(x, os);
            ir_temp sp1 = ir_ldc(b, 8, OFF_REG(R_RSP));
            ir_temp off = xlat_ea_offset(x);
            ir_stc(b, 8, OFF_REG(R_RSP), sp0);
            ir_temp lin = xlat_linear(x, in->mem.seg, off, os, true);
            ir_st(b, os, lin, v);
            ir_stc(b, 8, OFF_REG(R_RSP), sp1);
            return true;
        }
        ir_temp v = xlat_pop(x, os);
        xlat_reg_write(x, op->reg, os, false, v);
        return true;
    }
    case X86_PUSHF:
        xlat_push(x, os, XLAT_HELPER(x, helper_pushf, 0, IR_NO_TEMP, IR_NO_TEMP, IR_NO_TEMP, IR_NO_TEMP));
        return true;
    case X86_POPF: {
        ir_temp v = xlat_pop(x, os);
        XLAT_HELPER(x, helper_popf, 2, v, ir_movi(b, os), IR_NO_TEMP, IR_NO_TEMP);
        xlat_exit_const(x, x->next_pc, 0); /* IF/TF/IOPL may have changed */
        return true;
    }
    case X86_PUSHA:
    case X86_POPA: {
        /* All eight slots are addressed from the original stack pointer and
         * RSP is written once at the end, so a fault on any slot leaves
         * RSP (and, for POPA, every register) as it was, as the CPU does. */
        bool push = in->mnemonic == X86_PUSHA;
        unsigned ss = x->stack_size;
        static const unsigned push_order[8] = { R_RAX, R_RCX, R_RDX, R_RBX, R_RSP, R_RBP, R_RSI, R_RDI };
        ir_temp sp0 = ir_ldc(b, 8, OFF_REG(R_RSP));
        if (ss < 8)
            sp0 = ir_ext(b, IR_ZEXT, ss, sp0);
        if (push) {
            ir_temp vals[8];
            for (int i = 0; i < 8; i++)
                vals[i] = xlat_reg_read(x, push_order[i], os, false);
            for (int i = 0; i < 8; i++) {
                ir_temp a = ir_binopi(b, IR_SUB, sp0, (uint64_t)(i + 1) * os);
                if (ss < 8)
                    a = ir_ext(b, IR_ZEXT, ss, a);
                ir_st(b, os, xlat_linear(x, S_SS, a, os, true), vals[i]);
            }
            ir_temp nsp = ir_binopi(b, IR_SUB, sp0, 8u * os);
            if (ss == 2)
                ir_stc(b, 2, OFF_REG(R_RSP), nsp);
            else
                ir_stc(b, 8, OFF_REG(R_RSP), ss == 4 ? ir_ext(b, IR_ZEXT, 4, nsp) : nsp);
        } else {
            ir_temp vals[8];
            for (int i = 0; i < 8; i++) {
                /* slot i (from the top of the frame) holds push_order[7 - i] */
                ir_temp a = ir_binopi(b, IR_ADD, sp0, (uint64_t)i * os);
                if (ss < 8)
                    a = ir_ext(b, IR_ZEXT, ss, a);
                vals[i] = ir_ld(b, os, xlat_linear(x, S_SS, a, os, false));
            }
            for (int i = 0; i < 8; i++) {
                unsigned reg = push_order[7 - i];
                if (reg != R_RSP)
                    xlat_reg_write(x, reg, os, false, vals[i]);
            }
            ir_temp nsp = ir_binopi(b, IR_ADD, sp0, 8u * os);
            if (ss == 2)
                ir_stc(b, 2, OFF_REG(R_RSP), nsp);
            else
                ir_stc(b, 8, OFF_REG(R_RSP), ss == 4 ? ir_ext(b, IR_ZEXT, 4, nsp) : nsp);
        }
        return true;
    }
    case X86_LEAVE: {
        /* rSP = rBP, then pop rBP; a faulting pop leaves both alone. */
        ir_temp nsp;
        ir_temp v = pop_at(x, ir_ldc(b, 8, OFF_REG(R_RBP)), os, &nsp);
        set_rsp(x, nsp);
        xlat_reg_write(x, R_RBP, os, false, v);
        return true;
    }
    case X86_ENTER:
        XLAT_HELPER(x, helper_enter, 3, ir_movi(b, (uint64_t)in->op[0].value & 0xffff),
                    ir_movi(b, in->far_seg & 0x1f), ir_movi(b, os), IR_NO_TEMP);
        return true;
    default:
        return false;
    }
}

static bool xlat_flags(struct xlat_ctx *x)
{
    struct ir_block *b = x->ir;
    unsigned mn = x->insn->mnemonic;
    switch (mn) {
    case X86_LAHF:
        xlat_reg_write(x, R_RAX, 1, true,
                       XLAT_HELPER(x, helper_lahf, 0, IR_NO_TEMP, IR_NO_TEMP, IR_NO_TEMP, IR_NO_TEMP));
        return true;
    case X86_SAHF:
        XLAT_HELPER(x, helper_sahf, 1, xlat_reg_read(x, R_RAX, 1, true), IR_NO_TEMP, IR_NO_TEMP, IR_NO_TEMP);
        return true;
    case X86_CLC: case X86_STC: case X86_CMC: case X86_CLD: case X86_STD:
    case X86_CLI: case X86_STI: case X86_SALC:
        XLAT_HELPER(x, helper_flag_op, 1, ir_movi(b, mn), IR_NO_TEMP, IR_NO_TEMP, IR_NO_TEMP);
        if (mn == X86_STI || mn == X86_CLI)
            xlat_exit_const(x, x->next_pc, 0); /* interrupts may now be taken */
        return true;
    default:
        return false;
    }
}

/* Strings: one helper runs the whole instruction, or a bounded chunk of a
 * REP loop (returning 0), after which the block ends at the same
 * instruction so interrupts can be taken and the loop resumes. */
static bool xlat_string(struct xlat_ctx *x)
{
    const struct x86_insn *in = x->insn;
    struct ir_block *b = x->ir;
    unsigned mn = in->mnemonic;
    unsigned size = in->op[0].kind != X86_OPK_NONE && in->op[0].size ? in->op[0].size
                  : (in->op[1].size ? in->op[1].size : in->opsize);
    unsigned rep = (in->prefixes & X86_PFX_REPNE) ? 2 : (in->prefixes & X86_PFX_REP) ? 1 : 0;
    unsigned seg = in->seg_override >= 0 ? (unsigned)in->seg_override : S_DS;
    uint64_t desc = mn | (uint64_t)size << 8 | (uint64_t)rep << 12 |
                    (uint64_t)in->addrsize << 16 | (uint64_t)seg << 20;
    ir_temp done;
    if (rep && (mn == X86_MOVS || mn == X86_STOS))
        done = XLAT_HELPER(x, bt_string_rep, 1, ir_movi(b, desc), IR_NO_TEMP, IR_NO_TEMP, IR_NO_TEMP);
    else
        done = XLAT_HELPER(x, helper_string, 1, ir_movi(b, desc), IR_NO_TEMP, IR_NO_TEMP, IR_NO_TEMP);
    if (rep) {
        unsigned finished = ir_new_label(b);
        ir_brcond(b, IR_NE, done, ir_movi(b, 0), finished);
        ir_stc(b, 8, OFF_RIP, ir_movi(b, x->pc));
        ir_exit(b, -1);
        ir_label(b, finished);
        xlat_exit_const(x, x->next_pc, 0);
    }
    return true;
}

static bool xlat_far_load(struct xlat_ctx *x)
{
    const struct x86_insn *in = x->insn;
    struct ir_block *b = x->ir;
    unsigned os = in->opsize;
    unsigned sreg;
    switch (in->mnemonic) {
    case X86_LDS: sreg = S_DS; break;
    case X86_LES: sreg = S_ES; break;
    case X86_LFS: sreg = S_FS; break;
    case X86_LGS: sreg = S_GS; break;
    default: sreg = S_SS; break;
    }
    ir_temp lin = xlat_mem_linear(x, os + 2, false);
    ir_temp off = ir_ld(b, os, lin);
    ir_temp selin = ir_binopi(b, IR_ADD, lin, os);
    if (!x->mode64)
        selin = ir_ext(b, IR_ZEXT, 4, selin);
    ir_temp sel = ir_ld(b, 2, selin);
    XLAT_HELPER(x, helper_load_seg, 2, ir_movi(b, sreg), sel, IR_NO_TEMP, IR_NO_TEMP);
    xlat_reg_write(x, in->op[0].reg, os, false, off);
    if (sreg == S_DS || sreg == S_ES || sreg == S_SS)
        xlat_exit_const(x, x->next_pc, 0); /* part of the mode key */
    return true;
}

static bool xlat_xlatb(struct xlat_ctx *x)
{
    const struct x86_insn *in = x->insn;
    struct ir_block *b = x->ir;
    unsigned as = in->addrsize;
    ir_temp off = ir_binop(b, IR_ADD, ir_ldc(b, as, OFF_REG(R_RBX)), ir_ldc(b, 1, OFF_REG(R_RAX)));
    off = xlat_zext(x, as, off);
    int seg = in->seg_override >= 0 ? in->seg_override : S_DS;
    ir_temp v = ir_ld(b, 1, xlat_linear(x, seg, off, 1, false));
    xlat_reg_write(x, R_RAX, 1, false, v);
    return true;
}

bool xlat_data(struct xlat_ctx *x)
{
    switch (x->insn->mnemonic) {
    case X86_MOV: case X86_MOVZX: case X86_MOVSX: case X86_MOVSXD: case X86_MOV_SEG:
        return xlat_mov(x);
    case X86_LEA: return xlat_lea(x);
    case X86_XCHG: return xlat_xchg(x);
    case X86_CMOVCC: case X86_SETCC: return xlat_cmov_set(x);
    case X86_BSWAP: return xlat_bswap(x);
    case X86_PUSH: case X86_POP: case X86_PUSHF: case X86_POPF: case X86_PUSHA:
    case X86_POPA: case X86_LEAVE: case X86_ENTER:
        return xlat_pushpop(x);
    case X86_LAHF: case X86_SAHF: case X86_CLC: case X86_STC: case X86_CMC: case X86_CLD:
    case X86_STD: case X86_CLI: case X86_STI: case X86_SALC:
        return xlat_flags(x);
    case X86_MOVS: case X86_CMPS: case X86_STOS: case X86_LODS: case X86_SCAS:
    case X86_INS: case X86_OUTS:
        return xlat_string(x);
    case X86_LDS: case X86_LES: case X86_LFS: case X86_LGS: case X86_LSS:
        return xlat_far_load(x);
    case X86_XLAT: return xlat_xlatb(x);
    case X86_NOP: case X86_PAUSE: case X86_NOP_HINT: case X86_PREFETCH:
    case X86_LFENCE: case X86_MFENCE: case X86_SFENCE: case X86_CLFLUSH:
        return true;
    default:
        return false;
    }
}
