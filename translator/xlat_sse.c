/* Translation of MMX, SSE..SSE4.2, MXCSR and XSAVE instructions: each one
 * becomes a call to a helper in cpu/helpers_sse.c with its operands decoded
 * once here into a packed descriptor; the memory operand's offset is
 * computed inline and checked by the helper after #UD/#NM, which come
 * first. CRC32 and MOVBE (integer instructions of the 0F 38 map) too. */
#include "cpu/helpers_sse.h"
#include "translator/xlat_sse.h"

#define NONE IR_NO_TEMP

static unsigned sse_kind(const struct x86_operand *o)
{
    switch (o->kind) {
    case X86_OPK_XMM: return SSE_OPND_XMM;
    case X86_OPK_MMX: return SSE_OPND_MMX;
    case X86_OPK_REG: return SSE_OPND_GPR;
    case X86_OPK_MEM: return SSE_OPND_MEM;
    default: return SSE_OPND_NONE;
    }
}

/* The memory operand's segment (override or default) for the helper. */
static ir_temp mem_seg(struct xlat_ctx *x)
{
    return ir_movi(x->ir, (uint64_t)x->insn->mem.seg);
}

static bool xlat_sse_maskmov(struct xlat_ctx *x)
{
    const struct x86_insn *in = x->insn;
    struct ir_block *b = x->ir;
    bool mmx = in->op[0].kind == X86_OPK_MMX;
    /* Implicit destination seg:rDI, DS unless overridden, address-size wrapped. */
    ir_temp off = ir_ldc(b, 8, OFF_REG(7));
    off = xlat_zext(x, in->addrsize, off);
    int seg = in->seg_override >= 0 ? in->seg_override : 3;
    XLAT_HELPER(x, helper_sse_maskmov, 3,
                ir_movi(b, (uint64_t)in->op[0].reg | (uint64_t)in->op[1].reg << 4 |
                           (uint64_t)mmx << 8),
                off, ir_movi(b, (uint64_t)seg), NONE);
    return true;
}

void xlat_sse_generic(struct xlat_ctx *x)
{
    const struct x86_insn *in = x->insn;
    struct ir_block *b = x->ir;
    const struct x86_operand *dst = &in->op[0], *src = NULL;
    unsigned imm = 0;
    for (unsigned i = 1; i < in->nops; i++) {
        if (in->op[i].kind == X86_OPK_IMM)
            imm = (uint8_t)in->op[i].value;
        else if (!src)
            src = &in->op[i];
    }
    bool w8 = dst->kind == X86_OPK_MMX || (src && src->kind == X86_OPK_MMX);
    unsigned dk = sse_kind(dst), sk = src ? sse_kind(src) : SSE_OPND_NONE;
    unsigned msize = 0, gsize = 0;
    if (dk == SSE_OPND_MEM)
        msize = dst->size;
    if (sk == SSE_OPND_MEM)
        msize = src->size;
    if (dk == SSE_OPND_GPR)
        gsize = dst->size;
    if (sk == SSE_OPND_GPR)
        gsize = src->size;
    uint64_t desc = SSE_DESC(in->map, in->pfx_col, in->opcode, (in->modrm >> 3) & 7, imm,
                             (in->rex >> 3) & 1, dk, dk == SSE_OPND_MEM ? 0 : dst->reg, sk,
                             sk == SSE_OPND_MEM || !src ? 0 : src->reg, msize, gsize, w8);
    bool mem = dk == SSE_OPND_MEM || sk == SSE_OPND_MEM;
    ir_temp off = mem ? xlat_ea_offset(x) : ir_movi(b, 0);
    XLAT_HELPER(x, helper_sse, 3, ir_movi(b, desc), off, mem ? mem_seg(x) : ir_movi(b, 0), NONE);
}

static bool xlat_sse_op(struct xlat_ctx *x)
{
    const struct x86_insn *in = x->insn;
    struct ir_block *b = x->ir;
    if (in->map == 1 && in->opcode == 0xc3) {
        /* MOVNTI: an ordinary store of a general register. */
        ir_temp v = xlat_reg_read(x, in->op[1].reg, in->op[1].size, false);
        ir_st(b, in->op[0].size, xlat_mem_linear(x, in->op[0].size, true), v);
        return true;
    }
    if (in->map == 1 && in->opcode == 0xf7)
        return xlat_sse_maskmov(x);
    if (!xlat_sse_inline(x))
        xlat_sse_generic(x);
    return true;
}

/* MOVBE: a load or store with the bytes reversed. */
static bool xlat_movbe(struct xlat_ctx *x)
{
    const struct x86_insn *in = x->insn;
    struct ir_block *b = x->ir;
    unsigned size = in->opsize;
    bool load = in->op[0].kind == X86_OPK_REG;
    ir_temp v;
    ir_temp lin = xlat_mem_linear(x, size, !load);
    if (load)
        v = ir_ld(b, size, lin);
    else
        v = xlat_reg_read(x, in->op[1].reg, size, false);
    ir_temp r = ir_movi(b, 0);
    for (unsigned i = 0; i < size; i++) {
        ir_temp byte = ir_binopi(b, IR_AND, ir_binopi(b, IR_SHR, v, i * 8), 0xff);
        r = ir_binop(b, IR_OR, r, ir_binopi(b, IR_SHL, byte, (size - 1 - i) * 8));
    }
    if (load)
        xlat_reg_write(x, in->op[0].reg, size, false, r);
    else
        ir_st(b, size, lin, r);
    return true;
}

static bool xlat_crc32(struct xlat_ctx *x)
{
    const struct x86_insn *in = x->insn;
    struct ir_block *b = x->ir;
    unsigned size = in->op[1].size;
    ir_temp v = xlat_op_read(x, 1);
    ir_temp crc = xlat_reg_read(x, in->op[0].reg, 4, false);
    ir_temp r = XLAT_HELPER(x, helper_crc32, 3, crc, v, ir_movi(b, size), NONE);
    /* The result is 32 bits; the 64-bit form zero-extends it. */
    xlat_reg_write(x, in->op[0].reg, in->op[0].size == 8 ? 8 : 4, false, r);
    return true;
}

bool xlat_sse(struct xlat_ctx *x)
{
    const struct x86_insn *in = x->insn;
    struct ir_block *b = x->ir;
    switch (in->mnemonic) {
    case X86_SSE:
        return xlat_sse_op(x);
    case X86_EMMS:
        XLAT_HELPER(x, helper_emms, 0, NONE, NONE, NONE, NONE);
        return true;
    case X86_LDMXCSR: case X86_STMXCSR:
        XLAT_HELPER(x, helper_mxcsr, 3, ir_movi(b, in->mnemonic == X86_STMXCSR),
                    xlat_ea_offset(x), mem_seg(x), NONE);
        return true;
    case X86_XSAVE: case X86_XRSTOR: {
        ir_temp lin = xlat_mem_linear(x, 576, in->mnemonic == X86_XSAVE);
        XLAT_HELPER(x, helper_xsave, 3, lin, ir_movi(b, in->mnemonic == X86_XRSTOR),
                    ir_movi(b, (in->rex >> 3) & 1), NONE);
        return true;
    }
    case X86_XGETBV: case X86_XSETBV:
        XLAT_HELPER(x, helper_xcr, 1, ir_movi(b, in->mnemonic == X86_XSETBV), NONE, NONE, NONE);
        return true;
    case X86_MOVBE:
        return xlat_movbe(x);
    case X86_CRC32:
        return xlat_crc32(x);
    default:
        return false;
    }
}
