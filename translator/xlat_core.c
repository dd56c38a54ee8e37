/* Translator core: registers, effective addresses with inline segment
 * checks, operands, lazy flags, the stack, block exits, and the loop that
 * decodes a block and hands each instruction to its group's translator. */
#include "translator/xlat.h"

#include <string.h>

#include "cpu/exception.h"
#include "cpu/helpers.h"
#include "softmmu/mmu.h"

/* linear, size -> value: the load half of a read-modify-write (faults as a
 * write). Defined in cpu/helpers_int.c; belongs in cpu/helpers.h. */

unsigned xlat_size_index(unsigned size)
{
    return size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : 3;
}

ir_temp xlat_reg_read(struct xlat_ctx *x, unsigned reg, unsigned size, bool high8)
{
    if (high8)
        return ir_ldc(x->ir, 1, OFF_REG(reg) + 1);
    return ir_ldc(x->ir, size, OFF_REG(reg));
}

void xlat_reg_write(struct xlat_ctx *x, unsigned reg, unsigned size, bool high8, ir_temp v)
{
    if (high8) {
        ir_stc(x->ir, 1, OFF_REG(reg) + 1, v);
    } else if (size == 4) {
        /* 32-bit results clear the upper half of the 64-bit register. */
        ir_stc(x->ir, 8, OFF_REG(reg), ir_ext(x->ir, IR_ZEXT, 4, v));
    } else {
        ir_stc(x->ir, size, OFF_REG(reg), v);
    }
}

static ir_temp xlat_addr_wrap(struct xlat_ctx *x, ir_temp v, unsigned addr_size)
{
    return addr_size >= 8 ? v : ir_ext(x->ir, IR_ZEXT, addr_size, v);
}

ir_temp xlat_ea_offset(struct xlat_ctx *x)
{
    const struct x86_mem_operand *m = &x->insn->mem;
    struct ir_block *b = x->ir;
    ir_temp off;
    if (m->rip_relative) {
        off = ir_movi(b, (uint64_t)m->disp);
        return xlat_addr_wrap(x, off, m->addr_size);
    }
    off = ir_movi(b, (uint64_t)m->disp);
    if (m->base >= 0)
        off = ir_binop(b, IR_ADD, off, ir_ldc(b, 8, OFF_REG(m->base)));
    if (m->index >= 0) {
        ir_temp idx = ir_ldc(b, 8, OFF_REG(m->index));
        if (m->scale > 1)
            idx = ir_binopi(b, IR_SHL, idx, (uint64_t)__builtin_ctz(m->scale));
        off = ir_binop(b, IR_ADD, off, idx);
    }
    return xlat_addr_wrap(x, off, m->addr_size);
}

/* A helper that may fault but never changes the arithmetic flags (segment
 * checks, the load of a read-modify-write): the known flag state of the
 * block stays usable after it. */
static ir_temp xlat_call_noflags(struct xlat_ctx *x, ir_helper_fn fn, const char *name,
                                 unsigned nargs, ir_temp a, ir_temp b, ir_temp c, ir_temp d)
{
    return ir_call(x->ir, fn, name, nargs, a, b, c, d);
}

static bool seg_flat(const struct cpu_exec *c, int seg)
{
    const uint64_t g4 = 1ull << 32;
    return c->cpu.seg[seg].base == 0 && c->seg_rlim1[seg] == g4 && c->seg_wlim1[seg] == g4;
}

bool xlat_flat_data(const struct cpu_exec *c)
{
    bool m64 = (c->cpu.efer & X86_EFER_LMA) && (c->cpu.seg[S_CS].attr & SEG_ATTR_L);
    return !m64 && seg_flat(c, S_DS) && seg_flat(c, S_ES) && seg_flat(c, S_SS);
}

/* Segment base + offset with the limit/type check done inline on the fast
 * path; anything unusual goes to the soft MMU's full check. */
ir_temp xlat_linear(struct xlat_ctx *x, int seg, ir_temp off, unsigned size, bool write)
{
    struct ir_block *b = x->ir;
    if (!x->mode64 && (seg == S_DS || seg == S_ES || seg == S_SS) && xlat_flat_data(x->c)) {
        /* Flat 4 GiB DS, ES and SS (part of the block's mode key; a block
         * ends after any load of them): the linear address is the offset,
         * and only an access past 4 GiB goes to the full check (which
         * faults). */
        /* a byte at an offset just zero-extended from 32 bits or less
         * always fits */
        const struct ir_insn *last = b->count ? &b->insns[b->count - 1] : NULL;
        if (size == 1 && last && last->op == IR_ZEXT && last->d == off && last->size <= 4)
            return off;
        unsigned ok = ir_new_label(b);
        ir_brcond(b, IR_LEU, off, ir_movi(b, (1ull << 32) - size), ok);
        ir_temp s = ir_movi(b, (uint64_t)seg);
        ir_temp how = ir_movi(b, size | (write ? 0x100u : 0));
        xlat_call_noflags(x, (ir_helper_fn)helper_seg_linear, "helper_seg_linear", 3, s, off, how, IR_NO_TEMP);
        ir_label(b, ok);
        return off;
    }
    ir_temp lin = ir_new_temp(b);
    unsigned slow = ir_new_label(b), done = ir_new_label(b);
    if (x->mode64) {
        /* No limits, but every byte must be canonical (bits 63:47 equal):
         * with 2^47 added, the access must lie below 2^48. The MMU's check
         * raises #GP(0), or #SS(0) for the stack. */
        ir_temp a = off;
        if (seg == S_FS || seg == S_GS)
            a = ir_binop(b, IR_ADD, off, ir_ldc(b, 8, OFF_SEG_BASE(seg)));
        ir_temp biased = ir_binopi(b, IR_ADD, a, 1ull << 47);
        ir_brcond(b, IR_GTU, biased, ir_movi(b, (1ull << 48) - size), slow);
        ir_mov_to(b, lin, a);
        ir_br(b, done);
        ir_label(b, slow);
        ir_temp s = ir_movi(b, (uint64_t)seg);
        ir_temp how = ir_movi(b, size | (write ? 0x100u : 0));
        ir_mov_to(b, lin, xlat_call_noflags(x, (ir_helper_fn)helper_seg_linear, "helper_seg_linear", 3, s, off, how, IR_NO_TEMP));
        ir_label(b, done);
        return lin;
    }
    ir_temp end = ir_binopi(b, IR_ADD, off, size);
    size_t lim = write ? offsetof(struct cpu_exec, seg_wlim1) : offsetof(struct cpu_exec, seg_rlim1);
    ir_temp lim1 = ir_ldc(b, 8, lim + (size_t)seg * 8);
    ir_brcond(b, IR_GTU, end, lim1, slow);
    ir_temp sum = ir_binop(b, IR_ADD, ir_ldc(b, 8, OFF_SEG_BASE(seg)), off);
    ir_mov_to(b, lin, ir_ext(b, IR_ZEXT, 4, sum));
    ir_br(b, done);
    ir_label(b, slow);
    ir_temp s = ir_movi(b, (uint64_t)seg);
    ir_temp how = ir_movi(b, size | (write ? 0x100u : 0));
    ir_mov_to(b, lin, xlat_call_noflags(x, (ir_helper_fn)helper_seg_linear, "helper_seg_linear", 3, s, off, how, IR_NO_TEMP));
    ir_label(b, done);
    return lin;
}

ir_temp xlat_mem_linear(struct xlat_ctx *x, unsigned size, bool write)
{
    return xlat_linear(x, x->insn->mem.seg, xlat_ea_offset(x), size, write);
}

ir_temp xlat_op_read_at(struct xlat_ctx *x, unsigned n, ir_temp *lin_out, bool will_write)
{
    const struct x86_operand *op = &x->insn->op[n];
    struct ir_block *b = x->ir;
    switch (op->kind) {
    case X86_OPK_REG:
        return xlat_reg_read(x, op->reg, op->size, op->high8);
    case X86_OPK_MEM: {
        ir_temp lin = xlat_mem_linear(x, op->size, will_write);
        if (lin_out)
            *lin_out = lin;
        if (will_write)
            return ir_ld_rmw(b, op->size, lin);
        return ir_ld(b, op->size, lin);
    }
    case X86_OPK_IMM:
    case X86_OPK_REL:
        return ir_movi(b, (uint64_t)op->value);
    case X86_OPK_SEG:
        return ir_ldc(b, 2, OFF_SEG_SEL(op->reg));
    default:
        return ir_movi(b, 0);
    }
}

ir_temp xlat_op_read(struct xlat_ctx *x, unsigned n)
{
    return xlat_op_read_at(x, n, NULL, false);
}

void xlat_op_write(struct xlat_ctx *x, unsigned n, ir_temp lin, ir_temp v)
{
    const struct x86_operand *op = &x->insn->op[n];
    switch (op->kind) {
    case X86_OPK_REG:
        xlat_reg_write(x, op->reg, op->size, op->high8, v);
        break;
    case X86_OPK_MEM:
        if (lin == IR_NO_TEMP)
            lin = xlat_mem_linear(x, op->size, true);
        ir_st(x->ir, op->size, lin, v);
        break;
    default:
        break;
    }
}

void xlat_set_cc(struct xlat_ctx *x, uint32_t cc_op, ir_temp dst, ir_temp src, ir_temp src2)
{
    struct ir_block *b = x->ir;
    x->cc.valid = true;
    x->cc.cc_op = cc_op;
    x->cc.dst = dst;
    x->cc.src = src;
    x->cc.src2 = src2;
    ir_stc(b, 4, OFF_CC_OP, ir_movi(b, cc_op));
    ir_stc(b, 8, OFF_CC_DST, dst);
    if (src != IR_NO_TEMP)
        ir_stc(b, 8, OFF_CC_SRC, src);
    if (src2 != IR_NO_TEMP)
        ir_stc(b, 8, OFF_CC_SRC2, src2);
}

ir_temp xlat_rflags(struct xlat_ctx *x)
{
    return ir_call(x->ir, (ir_helper_fn)helper_get_rflags, "helper_get_rflags", 0, IR_NO_TEMP,
                   IR_NO_TEMP, IR_NO_TEMP, IR_NO_TEMP);
}

/* Flags of the last flag-setting operation of this block, computed inline
 * from its operand temps: each returns a 0/1 temp, or IR_NO_TEMP when that
 * flag is not known here (it comes from an earlier block or a base state). */
static unsigned cc_kind(uint32_t op)
{
    return (op - CC_OP_ADD8) >> 2;
}

static unsigned cc_size(uint32_t op)
{
    return op == CC_OP_CFOF ? 8 : 1u << ((op - CC_OP_ADD8) & 3);
}

/* Bit `bit` of v as 0/1. */
static ir_temp bit_of(struct ir_block *b, ir_temp v, unsigned bit)
{
    return ir_binopi(b, IR_AND, bit ? ir_binopi(b, IR_SHR, v, bit) : v, 1);
}

static ir_temp cc_zf(struct xlat_ctx *x)
{
    unsigned kind = cc_kind(x->cc.cc_op);
    if (kind > 9 && kind != 11 && kind != 12)
        return IR_NO_TEMP;
    return ir_setcc(x->ir, IR_EQ, x->cc.dst, ir_movi(x->ir, 0));
}

static ir_temp cc_sf(struct xlat_ctx *x)
{
    unsigned kind = cc_kind(x->cc.cc_op);
    if (kind > 9 && kind != 11 && kind != 12)
        return IR_NO_TEMP;
    return bit_of(x->ir, x->cc.dst, cc_size(x->cc.cc_op) * 8 - 1);
}

/* The first operand of an ADD/ADC (dst - src - carry) or SUB/SBB
 * (dst + src + borrow), not masked. */
static ir_temp cc_first_operand(struct xlat_ctx *x, unsigned kind)
{
    struct ir_block *b = x->ir;
    ir_temp a;
    if (kind == 0 || kind == 1) {
        a = ir_binop(b, IR_SUB, x->cc.dst, x->cc.src);
        if (kind == 1)
            a = ir_binop(b, IR_SUB, a, x->cc.src2);
    } else {
        a = ir_binop(b, IR_ADD, x->cc.dst, x->cc.src);
        if (kind == 3)
            a = ir_binop(b, IR_ADD, a, x->cc.src2);
    }
    return a;
}

static ir_temp cc_cf(struct xlat_ctx *x)
{
    struct ir_block *b = x->ir;
    uint32_t op = x->cc.cc_op;
    unsigned kind = cc_kind(op), size = cc_size(op);
    ir_temp dst = x->cc.dst, src = x->cc.src;
    switch (kind) {
    case 0: /* ADD */
        return ir_setcc(b, IR_LTU, dst, src);
    case 1: /* ADC: carry out when dst < src, or dst == src with a carry in */
        return ir_binop(b, IR_OR, ir_setcc(b, IR_LTU, dst, src),
                        ir_binop(b, IR_AND, ir_setcc(b, IR_EQ, dst, src), x->cc.src2));
    case 2: case 3: { /* SUB, SBB: borrow when the first operand is below src (+ borrow in) */
        ir_temp a = xlat_zext(x, size, cc_first_operand(x, kind));
        if (kind == 2)
            return ir_setcc(b, IR_LTU, a, src);
        return ir_binop(b, IR_OR, ir_setcc(b, IR_LTU, a, src),
                        ir_binop(b, IR_AND, ir_setcc(b, IR_EQ, a, src), x->cc.src2));
    }
    case 4: /* logic */
        return ir_movi(b, 0);
    case 5: case 6: /* INC/DEC keep the CF they were given */
        return x->cc.src2 != IR_NO_TEMP ? x->cc.src2 : IR_NO_TEMP;
    case 7: /* SHL: the last bit out is the top of src */
        return bit_of(b, src, size * 8 - 1);
    case 8: case 9: /* SHR, SAR */
        return bit_of(b, src, 0);
    case 13: /* CFOF layer */
        return bit_of(b, dst, 0);
    default:
        return IR_NO_TEMP;
    }
}

static ir_temp cc_of(struct xlat_ctx *x)
{
    struct ir_block *b = x->ir;
    uint32_t op = x->cc.cc_op;
    unsigned kind = cc_kind(op), size = cc_size(op), top = size * 8 - 1;
    ir_temp dst = x->cc.dst, src = x->cc.src;
    switch (kind) {
    case 0: case 1: { /* the operands agree in sign and the result does not */
        ir_temp a = cc_first_operand(x, kind);
        ir_temp v = ir_binop(b, IR_AND, ir_binop(b, IR_XOR, a, dst), ir_binop(b, IR_XOR, src, dst));
        return bit_of(b, v, top);
    }
    case 2: case 3: {
        ir_temp a = cc_first_operand(x, kind);
        ir_temp v = ir_binop(b, IR_AND, ir_binop(b, IR_XOR, a, src), ir_binop(b, IR_XOR, a, dst));
        return bit_of(b, v, top);
    }
    case 4: case 9: /* logic, SAR */
        return ir_movi(b, 0);
    case 5: case 11: /* INC: the result is the smallest negative number */
        return ir_setcc(b, IR_EQ, dst, ir_movi(b, 1ull << top));
    case 6: case 12: /* DEC: the largest positive one */
        return ir_setcc(b, IR_EQ, dst, ir_movi(b, (1ull << top) - 1));
    case 7: /* SHL: MSB(result) ^ CF */
        return bit_of(b, ir_binop(b, IR_XOR, src, dst), top);
    case 8: /* SHR: the two top result bits differ */
        return bit_of(b, ir_binop(b, IR_XOR, dst, ir_binopi(b, IR_SHL, dst, 1)), top);
    case 13:
        return bit_of(b, dst, 1);
    default:
        return IR_NO_TEMP;
    }
}

/* Fast forms for a known SUB/CMP (compare the original operands) and
 * logic operations (CF = OF = 0). */
static ir_temp cc_cond_direct(struct xlat_ctx *x, unsigned cond)
{
    struct ir_block *b = x->ir;
    unsigned kind = cc_kind(x->cc.cc_op);
    unsigned size = cc_size(x->cc.cc_op);
    ir_temp dst = x->cc.dst, zero;
    unsigned c = cond >> 1;
    bool be = c == (X86_CC_BE >> 1), le = c == (X86_CC_LE >> 1);
    bool sgn = c == (X86_CC_L >> 1) || le;
    if (c != (X86_CC_B >> 1) && !be && !sgn)
        return IR_NO_TEMP;
    if (kind == 2) {
        ir_temp src = x->cc.src;
        ir_temp a = xlat_zext(x, size, ir_binop(b, IR_ADD, dst, src));
        if (sgn) {
            a = ir_ext(b, IR_SEXT, size, a);
            src = ir_ext(b, IR_SEXT, size, src);
        }
        enum ir_cond ic = sgn ? (le ? IR_LE : IR_LT) : (be ? IR_LEU : IR_LTU);
        return ir_setcc(b, ic, a, src);
    }
    if (kind == 4) {
        zero = ir_movi(b, 0);
        ir_temp s = ir_ext(b, IR_SEXT, size, dst);
        if (!sgn && !be)
            return zero;                              /* B: CF */
        if (!sgn)
            return ir_setcc(b, IR_EQ, dst, zero);     /* BE: ZF */
        return ir_setcc(b, le ? IR_LE : IR_LT, s, zero); /* L: SF, LE: ZF or SF */
    }
    return IR_NO_TEMP;
}

static ir_temp xlat_cond_inline(struct xlat_ctx *x, unsigned cond)
{
    struct ir_block *b = x->ir;
    if (!x->cc.valid || x->cc.cc_op < CC_OP_ADD8 || x->cc.cc_op >= CC_OP_COUNT)
        return IR_NO_TEMP;
    ir_temp r = cc_cond_direct(x, cond), f1, f2;
    if (r == IR_NO_TEMP) {
        switch (cond >> 1) {
        case X86_CC_O >> 1: r = cc_of(x); break;
        case X86_CC_B >> 1: r = cc_cf(x); break;
        case X86_CC_E >> 1: r = cc_zf(x); break;
        case X86_CC_BE >> 1:
            f1 = cc_cf(x);
            f2 = f1 != IR_NO_TEMP ? cc_zf(x) : IR_NO_TEMP;
            r = f2 != IR_NO_TEMP ? ir_binop(b, IR_OR, f1, f2) : IR_NO_TEMP;
            break;
        case X86_CC_S >> 1: r = cc_sf(x); break;
        case X86_CC_L >> 1:
        case X86_CC_LE >> 1:
            f1 = cc_sf(x);
            f2 = f1 != IR_NO_TEMP ? cc_of(x) : IR_NO_TEMP;
            if (f2 == IR_NO_TEMP)
                return IR_NO_TEMP;
            r = ir_binop(b, IR_XOR, f1, f2);
            if ((cond >> 1) == (X86_CC_LE >> 1))
                r = ir_binop(b, IR_OR, r, cc_zf(x));
            break;
        default:
            return IR_NO_TEMP; /* P: through the helper */
        }
        if (r == IR_NO_TEMP)
            return IR_NO_TEMP;
    }
    return (cond & 1) ? ir_binopi(b, IR_XOR, r, 1) : r;
}

ir_temp xlat_cond_try(struct xlat_ctx *x, unsigned cond)
{
    return xlat_cond_inline(x, cond);
}

ir_temp xlat_cond(struct xlat_ctx *x, unsigned cond)
{
    ir_temp fast = xlat_cond_inline(x, cond);
    if (fast != IR_NO_TEMP)
        return fast;
    ir_temp cc = ir_movi(x->ir, cond);
    return ir_call(x->ir, (ir_helper_fn)cpu_exec_cc_cond, "cpu_exec_cc_cond", 1, cc, IR_NO_TEMP,
                   IR_NO_TEMP, IR_NO_TEMP);
}

/* The stack: SS-relative, with the stack-address size from SS.B (or 64). */
void xlat_push(struct xlat_ctx *x, unsigned size, ir_temp v)
{
    struct ir_block *b = x->ir;
    unsigned ss = x->stack_size;
    ir_temp sp = ir_ldc(b, 8, OFF_REG(R_RSP));
    ir_temp nsp = xlat_addr_wrap(x, ir_binopi(b, IR_SUB, sp, size), ss);
    ir_temp lin = xlat_linear(x, S_SS, nsp, size, true);
    ir_st(b, size, lin, v);
    if (ss == 2)
        ir_stc(b, 2, OFF_REG(R_RSP), nsp);
    else if (ss == 4)
        ir_stc(b, 8, OFF_REG(R_RSP), nsp); /* zero-extended by the wrap */
    else
        ir_stc(b, 8, OFF_REG(R_RSP), nsp);
}

ir_temp xlat_pop(struct xlat_ctx *x, unsigned size)
{
    struct ir_block *b = x->ir;
    unsigned ss = x->stack_size;
    ir_temp sp = xlat_addr_wrap(x, ir_ldc(b, 8, OFF_REG(R_RSP)), ss);
    ir_temp lin = xlat_linear(x, S_SS, sp, size, false);
    ir_temp v = ir_ld(b, size, lin);
    ir_temp nsp = xlat_addr_wrap(x, ir_binopi(b, IR_ADD, sp, size), ss);
    if (ss == 2)
        ir_stc(b, 2, OFF_REG(R_RSP), nsp);
    else
        ir_stc(b, 8, OFF_REG(R_RSP), nsp);
    return v;
}

ir_temp xlat_wrap_ip(struct xlat_ctx *x, ir_temp ip, unsigned opsize)
{
    if (opsize == 2)
        return ir_ext(x->ir, IR_ZEXT, 2, ip);
    if (opsize == 4)
        return ir_ext(x->ir, IR_ZEXT, 4, ip);
    return ip;
}

void xlat_exit_to(struct xlat_ctx *x, ir_temp new_rip)
{
    ir_stc(x->ir, 8, OFF_RIP, new_rip);
    ir_exit(x->ir, -1);
    x->end_block = true;
}

void xlat_exit_const(struct xlat_ctx *x, uint64_t rip, int slot)
{
    ir_stc(x->ir, 8, OFF_RIP, ir_movi(x->ir, rip));
    ir_exit(x->ir, slot);
    x->end_block = true;
}

ir_temp xlat_helper(struct xlat_ctx *x, ir_helper_fn fn, const char *name, unsigned nargs,
                    ir_temp a, ir_temp b, ir_temp c, ir_temp d)
{
    x->cc.valid = false; /* helpers may set the flags themselves */
    return ir_call(x->ir, fn, name, nargs, a, b, c, d);
}

/* Decoder failures and unhandled instructions become #UD (or #GP for the
 * 15-byte limit) at run time, with RIP at the instruction. */
static void xlat_raise(struct xlat_ctx *x, int vector)
{
    ir_temp v = ir_movi(x->ir, (uint64_t)vector);
    ir_call_void(x->ir, (ir_helper_fn)helper_raise, "helper_raise", 1, v, IR_NO_TEMP,
                 IR_NO_TEMP, IR_NO_TEMP);
    ir_exit(x->ir, -1);
    x->end_block = true;
}

int xlat_block(struct cpu_exec *c, struct ir_block *ir, const uint8_t *code, unsigned avail,
               struct xlat_block_info *info)
{
    struct xlat_ctx x;
    memset(&x, 0, sizeof(x));
    x.ir = ir;
    x.c = c;
    const struct x86_segment *cs = &c->cpu.seg[S_CS];
    bool pe = c->cpu.cr0 & X86_CR0_PE;
    bool vm = c->cpu.rflags & X86_FLAG_VM;
    x.mode64 = (c->cpu.efer & X86_EFER_LMA) && (cs->attr & SEG_ATTR_L);
    x.code_bits = x.mode64 ? 64 : (pe && !vm && (cs->attr & SEG_ATTR_DB)) ? 32 : 16;
    x.stack_size = x.mode64 ? 8 : (pe && !vm && (c->cpu.seg[S_SS].attr & SEG_ATTR_DB)) ? 4 : 2;
    ir_block_reset(ir);

    uint64_t pc = c->cpu.rip;
    unsigned used = 0, n = 0;
    struct x86_insn insn;
    unsigned max = info->max_insns ? info->max_insns : XLAT_MAX_INSNS;
    while (n < max) {
        int len = x86_decode(code + used, avail - used, x.code_bits, pc, &insn);
        if (len == X86_DECODE_TRUNC && n > 0)
            break; /* the next instruction needs bytes past what was fetched */
        x.pc = pc;
        x.insn = &insn;
        /* Precise faults: RIP of this instruction. The store is marked as an
         * instruction boundary (cond = 1) so a backend that must stop early
         * (self-modifying code) knows where instructions start. */
        ir_stc(ir, 8, OFF_RIP, ir_movi(ir, pc));
        ir->insns[ir->count - 1].cond = 1;
        if (len == X86_DECODE_TRUNC) {
            /* The first instruction itself crosses into a page that faults. */
            ir_call_void(ir, (ir_helper_fn)helper_fetch_fault, "helper_fetch_fault", 0,
                         IR_NO_TEMP, IR_NO_TEMP, IR_NO_TEMP, IR_NO_TEMP);
            ir_exit(ir, -1);
            n++;
            break;
        }
        if (len < 0) {
            xlat_raise(&x, len == X86_DECODE_TOOLONG ? X86_EXC_GP : X86_EXC_UD);
            n++;
            break;
        }
        x.next_pc = pc + (unsigned)len;
        if (x.code_bits == 16)
            x.next_pc &= 0xffff;
        else if (x.code_bits == 32)
            x.next_pc &= 0xffffffffu;
        x.end_block = false;
        bool ok = xlat_alu(&x) || xlat_flow(&x) || xlat_data(&x) || xlat_system(&x) || xlat_sse(&x);
        if (!ok)
            xlat_raise(&x, X86_EXC_UD);
        n++;
        used += (unsigned)len;
        pc = x.next_pc;
        if (x.end_block || ir->overflow)
            break;
        if (used >= avail || (info->page_limit && used >= info->page_limit))
            break;
    }
    if (!x.end_block && !(ir->count && ir->insns[ir->count - 1].op == IR_EXIT))
        xlat_exit_const(&x, pc, 0);
    info->ninsns = n;
    info->guest_bytes = used ? used : 1;
    if (ir->overflow)
        return -1;
    ir_optimize(ir);
    return ir_block_finalize(ir);
}
