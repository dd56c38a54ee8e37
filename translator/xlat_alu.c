/* Translation of the integer arithmetic and logic instructions: ALU ops
 * with lazy flags, INC/DEC/NEG/NOT, shifts and rotates, multiply/divide,
 * bit operations, exchanges with arithmetic, BCD and sign extensions. */
#include <stddef.h>

#include "cpu/helpers.h"
#include "translator/xlat.h"


static uint32_t cc_of(uint32_t base, unsigned size)
{
    return base + xlat_size_index(size);
}

#define OFF_CC_BASE_OP offsetof(struct cpu_exec, cc_base_op)
#define OFF_CC_LAYER offsetof(struct cpu_exec, cc_layer)
/* INCL/DECL -> the plain INC/DEC of the same width */
#define CC_LAYER_TO_PLAIN (CC_OP_INCL8 - CC_OP_INC8)

static bool cc_is_incl(uint32_t op)
{
    return op >= CC_OP_INCL8 && op < CC_OP_INCL8 + 8;
}

/* Branches to `label` when the run-time cc_op op is an INCL/DECL layer. */
static void br_if_incl(struct ir_block *b, ir_temp op, unsigned label)
{
    ir_brcond(b, IR_LTU, ir_binopi(b, IR_SUB, op, CC_OP_INCL8), ir_movi(b, 8), label);
}

static void cc_known(struct xlat_ctx *x, uint32_t op, ir_temp dst)
{
    x->cc.valid = true;
    x->cc.cc_op = op;
    x->cc.dst = dst;
    x->cc.src = x->cc.src2 = IR_NO_TEMP;
}

/* INC/DEC (result res) keep CF: inline when this block knows it, else an
 * INCL/DECL layer over whatever state there is. */
static void set_cc_incdec(struct xlat_ctx *x, bool inc, unsigned size, ir_temp res)
{
    struct ir_block *b = x->ir;
    uint32_t plain = cc_of(inc ? CC_OP_INC8 : CC_OP_DEC8, size);
    uint32_t layer = plain + CC_LAYER_TO_PLAIN;
    if (x->cc.valid) {
        ir_temp cf = xlat_cond_try(x, X86_CC_B);
        if (cf != IR_NO_TEMP) {
            xlat_set_cc(x, plain, res, IR_NO_TEMP, cf);
            return;
        }
        if (cc_is_incl(x->cc.cc_op)) {
            /* the same base below */
            ir_stc(b, 4, OFF_CC_OP, ir_movi(b, layer));
            ir_stc(b, 8, OFF_CC_LAYER, res);
            cc_known(x, layer, res);
            return;
        }
    }
    unsigned on_layer = ir_new_label(b), on_cfof = ir_new_label(b);
    ir_temp op = ir_ldc(b, 4, OFF_CC_OP);
    br_if_incl(b, op, on_layer);
    ir_brcond(b, IR_EQ, op, ir_movi(b, CC_OP_CFOF), on_cfof);
    ir_stc(b, 4, OFF_CC_BASE_OP, op);
    ir_br(b, on_layer);
    ir_label(b, on_cfof);
    /* CF is the layer's bit 0: the base becomes an INC that kept it */
    ir_temp cf = ir_binopi(b, IR_AND, ir_ldc(b, 8, OFF_CC_LAYER), 1);
    ir_stc(b, 4, OFF_CC_BASE_OP, ir_movi(b, CC_OP_INC8));
    ir_stc(b, 8, OFF_CC_SRC2, cf);
    ir_label(b, on_layer);
    ir_stc(b, 4, OFF_CC_OP, ir_movi(b, layer));
    ir_stc(b, 8, OFF_CC_LAYER, res);
    cc_known(x, layer, res);
}

/* An instruction that sets CF and OF only (bits: CF in bit 0, OF in bit 1)
 * and leaves SF ZF AF PF: a CFOF layer over the state there is. */
static void set_cc_cfof(struct xlat_ctx *x, ir_temp bits)
{
    struct ir_block *b = x->ir;
    if (x->cc.valid && x->cc.cc_op != CC_OP_CFOF) {
        uint32_t op = x->cc.cc_op;
        if (cc_is_incl(op)) {
            /* SF ZF AF PF of the INC/DEC: a plain INC/DEC of its result */
            ir_stc(b, 4, OFF_CC_BASE_OP, ir_movi(b, op - CC_LAYER_TO_PLAIN));
            ir_stc(b, 8, OFF_CC_DST, x->cc.dst);
        } else {
            ir_stc(b, 4, OFF_CC_BASE_OP, ir_movi(b, op));
        }
    } else if (!x->cc.valid) {
        unsigned on_incl = ir_new_label(b), store = ir_new_label(b);
        ir_temp op = ir_ldc(b, 4, OFF_CC_OP);
        ir_brcond(b, IR_EQ, op, ir_movi(b, CC_OP_CFOF), store);
        br_if_incl(b, op, on_incl);
        ir_stc(b, 4, OFF_CC_BASE_OP, op);
        ir_br(b, store);
        ir_label(b, on_incl);
        ir_stc(b, 4, OFF_CC_BASE_OP, ir_binopi(b, IR_SUB, op, CC_LAYER_TO_PLAIN));
        ir_stc(b, 8, OFF_CC_DST, ir_ldc(b, 8, OFF_CC_LAYER));
        ir_label(b, store);
    }
    ir_stc(b, 4, OFF_CC_OP, ir_movi(b, CC_OP_CFOF));
    ir_stc(b, 8, OFF_CC_LAYER, bits);
    cc_known(x, CC_OP_CFOF, bits);
}

static bool xlat_alu2(struct xlat_ctx *x)
{
    const struct x86_insn *in = x->insn;
    struct ir_block *b = x->ir;
    unsigned size = in->op[0].size;
    unsigned mn = in->mnemonic;
    bool writes = mn != X86_CMP && mn != X86_TEST;
    ir_temp lin = IR_NO_TEMP;
    ir_temp dst = xlat_op_read_at(x, 0, &lin, writes);
    ir_temp src = xlat_zext(x, size, xlat_op_read(x, 1));
    ir_temp res, carry = IR_NO_TEMP;
    uint32_t cc;
    switch (mn) {
    case X86_ADD: res = ir_binop(b, IR_ADD, dst, src); cc = CC_OP_ADD8; break;
    case X86_SUB:
    case X86_CMP: res = ir_binop(b, IR_SUB, dst, src); cc = CC_OP_SUB8; break;
    case X86_ADC:
        carry = xlat_cond(x, X86_CC_B);
        res = ir_binop(b, IR_ADD, ir_binop(b, IR_ADD, dst, src), carry);
        cc = CC_OP_ADC8;
        break;
    case X86_SBB:
        carry = xlat_cond(x, X86_CC_B);
        res = ir_binop(b, IR_SUB, ir_binop(b, IR_SUB, dst, src), carry);
        cc = CC_OP_SBB8;
        break;
    case X86_AND:
    case X86_TEST: res = ir_binop(b, IR_AND, dst, src); cc = CC_OP_LOGIC8; break;
    case X86_OR: res = ir_binop(b, IR_OR, dst, src); cc = CC_OP_LOGIC8; break;
    default: res = ir_binop(b, IR_XOR, dst, src); cc = CC_OP_LOGIC8; break;
    }
    res = xlat_zext(x, size, res);
    if (writes)
        xlat_op_write(x, 0, lin, res);
    xlat_set_cc(x, cc_of(cc, size), res, cc == CC_OP_LOGIC8 ? IR_NO_TEMP : src, carry);
    return true;
}

static bool xlat_incdec(struct xlat_ctx *x)
{
    struct ir_block *b = x->ir;
    unsigned size = x->insn->op[0].size;
    ir_temp lin = IR_NO_TEMP;
    ir_temp v = xlat_op_read_at(x, 0, &lin, true);
    bool inc = x->insn->mnemonic == X86_INC;
    ir_temp res = xlat_zext(x, size, ir_binopi(b, inc ? IR_ADD : IR_SUB, v, 1));
    xlat_op_write(x, 0, lin, res);
    set_cc_incdec(x, inc, size, res);
    return true;
}

static bool xlat_negnot(struct xlat_ctx *x)
{
    struct ir_block *b = x->ir;
    unsigned size = x->insn->op[0].size;
    ir_temp lin = IR_NO_TEMP;
    ir_temp v = xlat_op_read_at(x, 0, &lin, true);
    if (x->insn->mnemonic == X86_NOT) {
        xlat_op_write(x, 0, lin, xlat_zext(x, size, ir_unop(b, IR_NOT, v)));
        return true;
    }
    /* NEG is 0 - v: flags of a subtraction from zero. */
    ir_temp res = xlat_zext(x, size, ir_unop(b, IR_NEG, v));
    xlat_op_write(x, 0, lin, res);
    xlat_set_cc(x, cc_of(CC_OP_SUB8, size), res, v, IR_NO_TEMP);
    return true;
}

static bool xlat_shift(struct xlat_ctx *x)
{
    const struct x86_insn *in = x->insn;
    struct ir_block *b = x->ir;
    unsigned size = in->op[0].size;
    unsigned kind;
    switch (in->mnemonic) {
    case X86_ROL: kind = 0; break;
    case X86_ROR: kind = 1; break;
    case X86_RCL: kind = 2; break;
    case X86_RCR: kind = 3; break;
    case X86_SHL: kind = 4; break;
    case X86_SHR: kind = 5; break;
    case X86_SAL: kind = 6; break;
    default: kind = 7; break;
    }
    ir_temp lin = IR_NO_TEMP;
    ir_temp v = xlat_op_read_at(x, 0, &lin, true);
    if (kind == 2 || kind == 3) {
        /* RCL/RCR: through the helper */
        ir_temp count = in->nops > 1 ? xlat_op_read(x, 1) : ir_movi(b, 1);
        ir_temp how = ir_movi(b, kind | size << 8);
        ir_temp res = XLAT_HELPER(x, helper_shift, 3, how, v, count, IR_NO_TEMP);
        xlat_op_write(x, 0, lin, res);
        return true;
    }
    /* Inline with lazy flags. A count of zero (after masking) changes no
     * flag: with a constant count nothing is set, with CL the flag update
     * is skipped at run time. */
    bool const_count = in->nops < 2 || in->op[1].kind == X86_OPK_IMM;
    unsigned cmask = size == 8 ? 63u : 31u;
    unsigned ccount = const_count ? (in->nops < 2 ? 1u : (unsigned)in->op[1].value) & cmask : 0;
    unsigned bits = size * 8;
    ir_temp vz = xlat_zext(x, size, v), res, edge = IR_NO_TEMP, count, cm1;
    if (const_count) {
        count = ir_movi(b, ccount);
        cm1 = ir_movi(b, ccount ? ccount - 1 : 0);
    } else {
        count = ir_binopi(b, IR_AND, xlat_op_read(x, 1), cmask);
        cm1 = ir_binopi(b, IR_SUB, count, 1);
    }
    uint32_t cc = 0;
    switch (kind) {
    case 0: case 1:
        res = ir_rot(b, kind == 0 ? IR_ROL : IR_ROR, size, vz, count);
        break;
    case 4: case 6:
        res = xlat_zext(x, size, ir_binop(b, IR_SHL, vz, count));
        edge = xlat_zext(x, size, ir_binop(b, IR_SHL, vz, cm1));
        cc = CC_OP_SHL8;
        break;
    case 5:
        res = ir_binop(b, IR_SHR, vz, count);
        edge = ir_binop(b, IR_SHR, vz, cm1);
        cc = CC_OP_SHR8;
        break;
    default: {
        /* counts up to 31 on a sign-extended value fill with the sign
         * as the CPU does for counts past the width */
        ir_temp sv = ir_ext(b, IR_SEXT, size, vz);
        res = xlat_zext(x, size, ir_binop(b, IR_SAR, sv, count));
        edge = ir_binop(b, IR_SAR, sv, cm1);
        cc = CC_OP_SAR8;
        break;
    }
    }
    xlat_op_write(x, 0, lin, res);
    if (const_count && !ccount)
        return true;
    unsigned skip = 0;
    if (!const_count) {
        skip = ir_new_label(b);
        ir_brcond(b, IR_EQ, count, ir_movi(b, 0), skip);
    }
    if (kind == 0 || kind == 1) {
        /* ROL: CF = bit 0 of the result, OF = MSB ^ CF; ROR: CF = MSB,
         * OF = the two top bits differ */
        ir_temp msb = ir_binopi(b, IR_AND, ir_binopi(b, IR_SHR, res, bits - 1), 1);
        ir_temp cf = kind == 0 ? ir_binopi(b, IR_AND, res, 1) : msb;
        ir_temp of = kind == 0 ? ir_binop(b, IR_XOR, msb, cf)
                               : ir_binopi(b, IR_AND, ir_binop(b, IR_XOR, msb, ir_binopi(b, IR_SHR, res, bits - 2)), 1);
        set_cc_cfof(x, ir_binop(b, IR_OR, cf, ir_binopi(b, IR_SHL, of, 1)));
    } else {
        xlat_set_cc(x, cc_of(cc, size), res, edge, vz);
    }
    if (!const_count) {
        ir_label(b, skip);
        x->cc.valid = false; /* set or not, at run time */
    }
    return true;
}

static bool xlat_shxd(struct xlat_ctx *x)
{
    const struct x86_insn *in = x->insn;
    struct ir_block *b = x->ir;
    unsigned size = in->op[0].size;
    ir_temp lin = IR_NO_TEMP;
    ir_temp dst = xlat_op_read_at(x, 0, &lin, true);
    ir_temp src = xlat_op_read(x, 1);
    ir_temp count = xlat_op_read(x, 2);
    ir_temp how = ir_movi(b, size | (in->mnemonic == X86_SHRD ? 0x100u : 0));
    ir_temp res = XLAT_HELPER(x, helper_shxd, 4, how, dst, src, count);
    xlat_op_write(x, 0, lin, res);
    return true;
}

static bool xlat_muldiv(struct xlat_ctx *x)
{
    const struct x86_insn *in = x->insn;
    struct ir_block *b = x->ir;
    unsigned mn = in->mnemonic;
    if (mn == X86_IMUL && in->nops >= 2) {
        /* IMUL r, r/m [, imm]: inline; CF = OF = the product does not fit,
         * SF ZF AF PF stay as they were (what this CPU does) */
        unsigned size = in->op[0].size;
        ir_temp a = in->nops == 3 ? xlat_op_read(x, 1) : xlat_op_read(x, 0);
        ir_temp c = in->nops == 3 ? xlat_op_read(x, 2) : xlat_op_read(x, 1);
        ir_temp lo, sig;
        if (size == 8) {
            lo = ir_binop(b, IR_MUL, a, c);
            ir_temp hi = ir_binop(b, IR_MULHS, a, c);
            sig = ir_setcc(b, IR_NE, hi, ir_binopi(b, IR_SAR, lo, 63));
        } else {
            ir_temp p = ir_binop(b, IR_MUL, ir_ext(b, IR_SEXT, size, a), ir_ext(b, IR_SEXT, size, c));
            lo = xlat_zext(x, size, p);
            sig = ir_setcc(b, IR_NE, p, ir_ext(b, IR_SEXT, size, lo));
        }
        xlat_reg_write(x, in->op[0].reg, size, false, lo);
        set_cc_cfof(x, ir_binop(b, IR_OR, sig, ir_binopi(b, IR_SHL, sig, 1)));
        return true;
    }
    unsigned size = in->op[0].size;
    ir_temp src = xlat_op_read(x, 0);
    bool sgn = mn == X86_IMUL || mn == X86_IDIV;
    ir_temp how = ir_movi(b, size | (sgn ? 0x100u : 0));
    if (mn == X86_MUL || mn == X86_IMUL)
        XLAT_HELPER(x, helper_mul1, 2, how, src, IR_NO_TEMP, IR_NO_TEMP);
    else
        XLAT_HELPER(x, helper_div, 2, how, src, IR_NO_TEMP, IR_NO_TEMP);
    return true;
}

/* BT/BTS/BTR/BTC: with a register bit offset on a memory operand the
 * offset selects any bit relative to the address (signed). */
static bool xlat_bt(struct xlat_ctx *x)
{
    const struct x86_insn *in = x->insn;
    struct ir_block *b = x->ir;
    unsigned size = in->op[0].size;
    unsigned op = in->mnemonic == X86_BT ? 0 : in->mnemonic == X86_BTS ? 1
                : in->mnemonic == X86_BTR ? 2 : 3;
    ir_temp bit = xlat_op_read(x, 1);
    ir_temp opk = ir_movi(b, op);
    if (in->op[0].kind == X86_OPK_MEM && in->op[1].kind == X86_OPK_REG) {
        ir_temp sbit = ir_ext(b, IR_SEXT, size, bit);
        ir_temp word = ir_binopi(b, IR_SAR, sbit, size == 2 ? 4 : size == 4 ? 5 : 6);
        ir_temp delta = ir_binopi(b, IR_MUL, word, size);
        ir_temp off = ir_binop(b, IR_ADD, xlat_ea_offset(x), delta);
        if (in->mem.addr_size < 8)
            off = ir_ext(b, IR_ZEXT, in->mem.addr_size, off);
        ir_temp lin = xlat_linear(x, in->mem.seg, off, size, op != 0);
        ir_temp v = op ? ir_ld_rmw(b, size, lin) : ir_ld(b, size, lin);
        ir_temp nv = XLAT_HELPER(x, helper_bt, 3, opk, v, ir_binopi(b, IR_AND, bit, size * 8 - 1), IR_NO_TEMP);
        if (op)
            ir_st(b, size, lin, nv);
        return true;
    }
    ir_temp lin = IR_NO_TEMP;
    ir_temp v = xlat_op_read_at(x, 0, &lin, op != 0);
    ir_temp nv = XLAT_HELPER(x, helper_bt, 3, opk, v, ir_binopi(b, IR_AND, bit, size * 8 - 1), IR_NO_TEMP);
    if (op)
        xlat_op_write(x, 0, lin, nv);
    return true;
}

static bool xlat_bitscan(struct xlat_ctx *x)
{
    const struct x86_insn *in = x->insn;
    struct ir_block *b = x->ir;
    unsigned size = in->op[0].size;
    unsigned mn = in->mnemonic;
    unsigned kind = (mn == X86_BSF || mn == X86_BSR) ? 0 : mn == X86_POPCNT ? 2 : 1;
    bool reverse = mn == X86_BSR || mn == X86_LZCNT;
    ir_temp src = xlat_op_read(x, 1);
    /* BSF/BSR of zero hand back the old register whole (upper half of a
     * 64-bit register included), so a 32-bit destination is written as 64. */
    unsigned wsize = size == 4 ? 8 : size;
    ir_temp old = xlat_reg_read(x, in->op[0].reg, wsize, false);
    ir_temp how = ir_movi(b, size | (reverse ? 0x100u : 0) | kind << 9);
    ir_temp res = XLAT_HELPER(x, helper_bitscan, 3, how, src, old, IR_NO_TEMP);
    ir_stc(b, wsize, OFF_REG(in->op[0].reg), res);
    return true;
}

static bool xlat_xadd(struct xlat_ctx *x)
{
    const struct x86_insn *in = x->insn;
    struct ir_block *b = x->ir;
    unsigned size = in->op[0].size;
    ir_temp lin = IR_NO_TEMP;
    ir_temp dst = xlat_op_read_at(x, 0, &lin, true);
    ir_temp src = xlat_op_read(x, 1);
    ir_temp res = xlat_zext(x, size, ir_binop(b, IR_ADD, dst, src));
    if (in->op[0].kind == X86_OPK_MEM) {
        /* the store first: if it faults the register is unchanged */
        xlat_op_write(x, 0, lin, res);
        xlat_op_write(x, 1, IR_NO_TEMP, dst);
    } else {
        /* XADD r, r with one register: the sum is what remains */
        xlat_op_write(x, 1, IR_NO_TEMP, dst);
        xlat_op_write(x, 0, lin, res);
    }
    xlat_set_cc(x, cc_of(CC_OP_ADD8, size), res, xlat_zext(x, size, src), IR_NO_TEMP);
    return true;
}

static bool xlat_cmpxchg(struct xlat_ctx *x)
{
    const struct x86_insn *in = x->insn;
    struct ir_block *b = x->ir;
    if (in->mnemonic == X86_CMPXCHG8B || in->mnemonic == X86_CMPXCHG16B) {
        unsigned sz = in->mnemonic == X86_CMPXCHG16B ? 16 : 8;
        ir_temp lin = xlat_mem_linear(x, sz, true);
        XLAT_HELPER(x, helper_cmpxchg8b, 2, lin, ir_movi(b, sz), IR_NO_TEMP, IR_NO_TEMP);
        return true;
    }
    unsigned size = in->op[0].size;
    ir_temp lin = IR_NO_TEMP;
    ir_temp dst = xlat_op_read_at(x, 0, &lin, true);
    ir_temp src = xlat_op_read(x, 1);
    ir_temp acc = xlat_reg_read(x, R_RAX, size, false);
    ir_temp nv = XLAT_HELPER(x, helper_cmpxchg, 4, ir_movi(b, size), acc, dst, src);
    if (in->op[0].kind == X86_OPK_MEM) {
        /* Memory is written in both outcomes, as the processor does. */
        xlat_op_write(x, 0, lin, nv);
        return true;
    }
    /* A register destination is written only on a match: on a mismatch
     * this CPU leaves it whole (a 32-bit one keeps its upper half). */
    unsigned differ = ir_new_label(b);
    ir_brcond(b, IR_NE, acc, dst, differ);
    xlat_op_write(x, 0, lin, nv);
    ir_label(b, differ);
    return true;
}

static bool xlat_signext(struct xlat_ctx *x)
{
    struct ir_block *b = x->ir;
    unsigned os = x->insn->opsize;
    if (x->insn->mnemonic == X86_CBW) {
        /* CBW / CWDE / CDQE: extend the lower half of rAX into all of it */
        ir_temp v = ir_ext(b, IR_SEXT, os / 2, ir_ldc(b, os / 2, OFF_REG(R_RAX)));
        xlat_reg_write(x, R_RAX, os, false, xlat_zext(x, os, v));
    } else {
        /* CWD / CDQ / CQO: rDX = sign of rAX */
        ir_temp v = ir_ext(b, IR_SEXT, os, ir_ldc(b, os, OFF_REG(R_RAX)));
        ir_temp s = ir_binopi(b, IR_SAR, v, 63);
        xlat_reg_write(x, R_RDX, os, false, xlat_zext(x, os, s));
    }
    return true;
}

static bool xlat_bcd(struct xlat_ctx *x)
{
    struct ir_block *b = x->ir;
    ir_temp imm = x->insn->nops ? xlat_op_read(x, 0) : ir_movi(b, 10);
    XLAT_HELPER(x, helper_bcd, 2, ir_movi(b, x->insn->mnemonic), imm, IR_NO_TEMP, IR_NO_TEMP);
    return true;
}

bool xlat_alu(struct xlat_ctx *x)
{
    switch (x->insn->mnemonic) {
    case X86_ADD: case X86_OR: case X86_ADC: case X86_SBB:
    case X86_AND: case X86_SUB: case X86_XOR: case X86_CMP: case X86_TEST:
        return xlat_alu2(x);
    case X86_INC: case X86_DEC:
        return xlat_incdec(x);
    case X86_NEG: case X86_NOT:
        return xlat_negnot(x);
    case X86_ROL: case X86_ROR: case X86_RCL: case X86_RCR:
    case X86_SHL: case X86_SHR: case X86_SAL: case X86_SAR:
        return xlat_shift(x);
    case X86_SHLD: case X86_SHRD:
        return xlat_shxd(x);
    case X86_MUL: case X86_IMUL: case X86_DIV: case X86_IDIV:
        return xlat_muldiv(x);
    case X86_BT: case X86_BTS: case X86_BTR: case X86_BTC:
        return xlat_bt(x);
    case X86_BSF: case X86_BSR: case X86_TZCNT: case X86_LZCNT: case X86_POPCNT:
        return xlat_bitscan(x);
    case X86_XADD:
        return xlat_xadd(x);
    case X86_CMPXCHG: case X86_CMPXCHG8B: case X86_CMPXCHG16B:
        return xlat_cmpxchg(x);
    case X86_CBW: case X86_CWD:
        return xlat_signext(x);
    case X86_DAA: case X86_DAS: case X86_AAA: case X86_AAS: case X86_AAM: case X86_AAD:
        return xlat_bcd(x);
    default:
        return false;
    }
}
