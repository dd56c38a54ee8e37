/* The hot SSE2 forms that compilers emit for copies, string scans and
 * integer vector code (moves, logic, byte compares with PMOVMSKB, adds,
 * shuffles, unpacks, shifts), translated inline as pairs of 64-bit
 * operations; the other 66-prefixed integer vector forms as IR_VEC (the
 * host's own instruction in compiled code); everything else, and every
 * unusual case of these (CR0.TS, misalignment, a store across a page),
 * goes to helper_sse. */
#include "cpu/helpers_sse.h"
#include "translator/xlat_sse.h"

#define NONE IR_NO_TEMP
#define OFF_XMM(r, half) \
    (offsetof(struct cpu_exec, cpu.fpu.xmm) + (size_t)(r) * 16 + (size_t)(half) * 8)
#define OFF_CR0 offsetof(struct cpu_exec, cpu.cr0)
#define OFF_CR4 offsetof(struct cpu_exec, cpu.cr4)

#define BYTES_7F 0x7f7f7f7f7f7f7f7full
#define BYTES_80 0x8080808080808080ull
#define BYTES_01 0x0101010101010101ull

/* A 128-bit value as two 64-bit temps. */
struct v128 {
    ir_temp lo, hi;
};

enum sse_inline_op {
    SI_NONE,
    SI_MOV,       /* full 128-bit move, load or store */
    SI_MOVQ_Z,    /* low 64 bits, upper zeroed (F3 0F 7E, 66 0F D6 to a register) */
    SI_MOVQ_ST,   /* 66 0F D6 to memory: low 64 bits */
    SI_MOVSD,     /* F2 0F 10: from memory zero-extended, register merges the low half */
    SI_MOVSD_ST,  /* F2 0F 11 */
    SI_MOVD_TO,   /* 66 0F 6E: general register or memory into the low lane, rest zero */
    SI_MOVD_FROM, /* 66 0F 7E: low lane to a general register or memory */
    SI_XOR, SI_OR, SI_AND, SI_ANDN,
    SI_PADDD, SI_PADDQ, SI_PSUBD, SI_PSUBQ,
    SI_PCMPEQB, SI_PCMPEQW, SI_PCMPEQD,
    SI_PMOVMSKB,
    SI_PSHUFD,
    SI_PUNPCKLBW, SI_PUNPCKLWD, SI_PUNPCKLDQ, SI_PUNPCKLQDQ, SI_PUNPCKHQDQ,
    SI_SHIFT_IMM, /* 66 0F 72/73 groups by immediate */
};

struct sse_inline_form {
    uint8_t op;
    bool aligned;   /* a 16-byte memory operand must be aligned */
};

static struct sse_inline_form sse_inline_classify(const struct x86_insn *in)
{
    struct sse_inline_form f = { SI_NONE, false };
    if (in->map != 1)
        return f;
    unsigned col = in->pfx_col;
    switch (in->opcode) {
    case 0x10: case 0x11:
        if (col == 0 || col == 1)
            f.op = SI_MOV; /* MOVUPS/MOVUPD */
        else if (col == 3)
            f.op = in->opcode == 0x10 ? SI_MOVSD : SI_MOVSD_ST;
        break;
    case 0x28: case 0x29:
        if (col == 0 || col == 1) {
            f.op = SI_MOV; /* MOVAPS/MOVAPD */
            f.aligned = true;
        }
        break;
    case 0x2b: case 0xe7:
        if ((in->opcode == 0x2b && col <= 1) || (in->opcode == 0xe7 && col == 1)) {
            f.op = SI_MOV; /* MOVNTPS/MOVNTPD/MOVNTDQ */
            f.aligned = true;
        }
        break;
    case 0x6f: case 0x7f:
        if (col == 1) {
            f.op = SI_MOV;
            f.aligned = true; /* MOVDQA */
        } else if (col == 2) {
            f.op = SI_MOV;    /* MOVDQU */
        }
        break;
    case 0x7e:
        if (col == 2)
            f.op = SI_MOVQ_Z;
        else if (col == 1)
            f.op = SI_MOVD_FROM;
        break;
    case 0xd6:
        if (col == 1)
            f.op = in->op[0].kind == X86_OPK_MEM ? SI_MOVQ_ST : SI_MOVQ_Z;
        break;
    case 0x6e: if (col == 1) f.op = SI_MOVD_TO; break;
    case 0x54: case 0x55: case 0x56: case 0x57: { /* ANDPS ANDNPS ORPS XORPS, and PD */
        static const uint8_t ops[4] = { SI_AND, SI_ANDN, SI_OR, SI_XOR };
        if (col <= 1)
            f.op = ops[in->opcode - 0x54];
        f.aligned = true;
        break;
    }
    default:
        if (col != 1)
            break;
        f.aligned = true;
        switch (in->opcode) {
        case 0xef: f.op = SI_XOR; break;
        case 0xeb: f.op = SI_OR; break;
        case 0xdb: f.op = SI_AND; break;
        case 0xdf: f.op = SI_ANDN; break;
        case 0xfe: f.op = SI_PADDD; break;
        case 0xd4: f.op = SI_PADDQ; break;
        case 0xfa: f.op = SI_PSUBD; break;
        case 0xfb: f.op = SI_PSUBQ; break;
        case 0x74: f.op = SI_PCMPEQB; break;
        case 0x75: f.op = SI_PCMPEQW; break;
        case 0x76: f.op = SI_PCMPEQD; break;
        case 0xd7: f.op = SI_PMOVMSKB; break;
        case 0x70: f.op = SI_PSHUFD; break;
        case 0x60: f.op = SI_PUNPCKLBW; break;
        case 0x61: f.op = SI_PUNPCKLWD; break;
        case 0x62: f.op = SI_PUNPCKLDQ; break;
        case 0x6c: f.op = SI_PUNPCKLQDQ; break;
        case 0x6d: f.op = SI_PUNPCKHQDQ; break;
        case 0x72: case 0x73: f.op = SI_SHIFT_IMM; break;
        default: break;
        }
        break;
    }
    return f;
}

static struct v128 xmm_read(struct ir_block *b, unsigned r)
{
    struct v128 v = { ir_ldc(b, 8, OFF_XMM(r, 0)), ir_ldc(b, 8, OFF_XMM(r, 1)) };
    return v;
}

static void xmm_write(struct ir_block *b, unsigned r, struct v128 v)
{
    ir_stc(b, 8, OFF_XMM(r, 0), v.lo);
    ir_stc(b, 8, OFF_XMM(r, 1), v.hi);
}

/* Per byte (or word/dword by mask), all ones where a and b are equal: a
 * zero-lane test on a ^ b without carries between lanes. low7 has every bit
 * of a lane but its top one; top has only the top bits. */
static ir_temp lanes_equal(struct ir_block *b, ir_temp a, ir_temp c, uint64_t low7, uint64_t top,
                           unsigned lane_bits)
{
    ir_temp x = ir_binop(b, IR_XOR, a, c);
    ir_temp t = ir_binopi(b, IR_ADD, ir_binopi(b, IR_AND, x, low7), low7);
    ir_temp nz = ir_binopi(b, IR_AND, ir_binop(b, IR_OR, t, x), top); /* top bit: lane non-zero */
    ir_temp z = ir_binopi(b, IR_XOR, nz, top);                       /* top bit: lane zero */
    /* Spread each top bit over its lane: (z >> (bits-1)) * all-ones-lane. */
    ir_temp ones = ir_binopi(b, IR_SHR, z, lane_bits - 1);
    uint64_t lane_mask = lane_bits == 64 ? ~0ull : (1ull << lane_bits) - 1;
    return ir_binop(b, IR_MUL, ones, ir_movi(b, lane_mask));
}

/* Lane-wise add or subtract of 32-bit lanes in a 64-bit temp. */
static ir_temp add_dwords(struct ir_block *b, ir_temp a, ir_temp c, bool sub)
{
    ir_temp lo = ir_binop(b, sub ? IR_SUB : IR_ADD, a, c);
    lo = ir_ext(b, IR_ZEXT, 4, lo);
    ir_temp hi = ir_binop(b, sub ? IR_SUB : IR_ADD, ir_binopi(b, IR_SHR, a, 32),
                          ir_binopi(b, IR_SHR, c, 32));
    return ir_binop(b, IR_OR, lo, ir_binopi(b, IR_SHL, hi, 32));
}

/* Interleaves the low halves of two 64-bit temps in lanes of `bits`:
 * result lane 2i = a lane i, lane 2i+1 = b lane i (the low 64 bits of
 * the output for lo_part = false, the high 64 for true). */
static ir_temp interleave(struct ir_block *b, ir_temp a, ir_temp c, unsigned bits, bool hi_part)
{
    unsigned n = 64 / bits / 2; /* lanes of each input that land in this half */
    uint64_t m = (1ull << bits) - 1;
    ir_temp r = ir_movi(b, 0);
    for (unsigned i = 0; i < n; i++) {
        unsigned src = (hi_part ? n : 0) + i;
        ir_temp la = ir_binopi(b, IR_AND, ir_binopi(b, IR_SHR, a, src * bits), m);
        ir_temp lb = ir_binopi(b, IR_AND, ir_binopi(b, IR_SHR, c, src * bits), m);
        r = ir_binop(b, IR_OR, r, ir_binopi(b, IR_SHL, la, 2 * i * bits));
        r = ir_binop(b, IR_OR, r, ir_binopi(b, IR_SHL, lb, (2 * i + 1) * bits));
    }
    return r;
}

static ir_temp dword_of(struct ir_block *b, struct v128 v, unsigned i)
{
    ir_temp q = i < 2 ? v.lo : v.hi;
    return (i & 1) ? ir_binopi(b, IR_SHR, q, 32) : ir_ext(b, IR_ZEXT, 4, q);
}

static bool shift_imm_inlined(unsigned opc, unsigned ext)
{
    return (opc == 0x73 && (ext == 2 || ext == 3 || ext == 6 || ext == 7)) ||
           (opc == 0x72 && (ext == 2 || ext == 4 || ext == 6));
}

/* The 66 0F 72/73 shifts by an immediate: PSRLD/PSRAD/PSLLD (72 /2 /4 /6),
 * PSRLQ/PSLLQ (73 /2 /6), PSRLDQ/PSLLDQ (73 /3 /7). Returns false for a
 * form it does not inline. */
static bool shift_imm(struct ir_block *b, unsigned opc, unsigned ext, unsigned n, struct v128 *v)
{
    if (opc == 0x73 && (ext == 2 || ext == 6)) {
        if (n > 63) {
            v->lo = v->hi = ir_movi(b, 0);
            return true;
        }
        enum ir_op op = ext == 2 ? IR_SHR : IR_SHL;
        v->lo = ir_binopi(b, op, v->lo, n);
        v->hi = ir_binopi(b, op, v->hi, n);
        return true;
    }
    if (opc == 0x73 && (ext == 3 || ext == 7)) {
        unsigned bits = (n > 16 ? 16 : n) * 8;
        ir_temp lo = v->lo, hi = v->hi;
        if (bits == 0)
            return true;
        if (bits >= 128) {
            v->lo = v->hi = ir_movi(b, 0);
        } else if (ext == 3) { /* right by bytes */
            if (bits >= 64) {
                v->lo = bits == 64 ? hi : ir_binopi(b, IR_SHR, hi, bits - 64);
                v->hi = ir_movi(b, 0);
            } else {
                v->lo = ir_binop(b, IR_OR, ir_binopi(b, IR_SHR, lo, bits),
                                 ir_binopi(b, IR_SHL, hi, 64 - bits));
                v->hi = ir_binopi(b, IR_SHR, hi, bits);
            }
        } else {               /* left by bytes */
            if (bits >= 64) {
                v->hi = bits == 64 ? lo : ir_binopi(b, IR_SHL, lo, bits - 64);
                v->lo = ir_movi(b, 0);
            } else {
                v->hi = ir_binop(b, IR_OR, ir_binopi(b, IR_SHL, hi, bits),
                                 ir_binopi(b, IR_SHR, lo, 64 - bits));
                v->lo = ir_binopi(b, IR_SHL, lo, bits);
            }
        }
        return true;
    }
    if (opc == 0x72 && (ext == 2 || ext == 4 || ext == 6)) {
        for (int h = 0; h < 2; h++) {
            ir_temp q = h ? v->hi : v->lo;
            ir_temp d0 = ir_ext(b, IR_ZEXT, 4, q), d1 = ir_binopi(b, IR_SHR, q, 32);
            if (ext == 4) { /* arithmetic: a count above 31 fills with the sign */
                unsigned k = n > 31 ? 31 : n;
                d0 = ir_ext(b, IR_ZEXT, 4, ir_binopi(b, IR_SAR, ir_ext(b, IR_SEXT, 4, d0), k));
                d1 = ir_ext(b, IR_ZEXT, 4, ir_binopi(b, IR_SAR, ir_ext(b, IR_SEXT, 4, d1), k));
            } else if (n > 31) {
                d0 = d1 = ir_movi(b, 0);
            } else if (ext == 2) {
                d0 = ir_binopi(b, IR_SHR, d0, n);
                d1 = ir_binopi(b, IR_SHR, d1, n);
            } else {
                d0 = ir_ext(b, IR_ZEXT, 4, ir_binopi(b, IR_SHL, d0, n));
                d1 = ir_ext(b, IR_ZEXT, 4, ir_binopi(b, IR_SHL, d1, n));
            }
            ir_temp r = ir_binop(b, IR_OR, d0, ir_binopi(b, IR_SHL, d1, 32));
            if (h)
                v->hi = r;
            else
                v->lo = r;
        }
        return true;
    }
    return false;
}

/* Sends the #UD/#NM cases (CR0.EM or CR0.TS set, CR4.OSFXSR clear) to the
 * slow path, where helper_sse raises them. */
static void sse_check_inline(struct ir_block *b, unsigned slow)
{
    ir_temp cr0 = ir_ldc(b, 8, OFF_CR0);
    ir_brcond(b, IR_TSTNZ, cr0, ir_movi(b, X86_CR0_EM | X86_CR0_TS), slow);
    ir_temp cr4 = ir_ldc(b, 8, OFF_CR4);
    ir_brcond(b, IR_TSTZ, cr4, ir_movi(b, X86_CR4_OSFXSR), slow);
}

/* Whether this host can run the 0F 38 / 0F 3A forms itself (SSSE3 and
 * SSE4.1); the IR interpreter runs every form on any host. */
static bool host_has_sse41(void)
{
#if defined(__x86_64__)
    return __builtin_cpu_supports("ssse3") && __builtin_cpu_supports("sse4.1");
#else
    return true;
#endif
}

/* The 66-prefixed integer vector forms as one IR_VEC each: the host
 * instruction in the x86-64 code generator, sse_vec_run in the
 * interpreter. */
static bool xlat_sse_vec(struct xlat_ctx *x)
{
    const struct x86_insn *in = x->insn;
    struct ir_block *b = x->ir;
    bool has_imm;
    if (in->pfx_col != 1 || !sse_vec_form(in->map, in->opcode, &has_imm))
        return false;
    if (in->map != 1 && !host_has_sse41())
        return false;
    const struct x86_operand *dst = &in->op[0], *src = &in->op[1];
    if (dst->kind != X86_OPK_XMM || (src->kind != X86_OPK_XMM && src->kind != X86_OPK_MEM) ||
        (src->kind == X86_OPK_MEM && src->size != 16))
        return false;
    unsigned slow = ir_new_label(b), done = ir_new_label(b);
    sse_check_inline(b, slow);
    size_t src_off;
    if (src->kind == X86_OPK_MEM) {
        ir_temp lin = xlat_mem_linear(x, 16, false);
        ir_brcond(b, IR_TSTNZ, lin, ir_movi(b, 15), slow);
        ir_temp lo = ir_ld(b, 8, lin);
        ir_temp hi = ir_ld(b, 8, ir_binopi(b, IR_ADD, lin, 8));
        src_off = offsetof(struct cpu_exec, sse_scratch);
        ir_stc(b, 8, src_off, lo);
        ir_stc(b, 8, src_off + 8, hi);
    } else {
        src_off = OFF_XMM(src->reg, 0);
    }
    unsigned imm = has_imm ? (uint8_t)in->op[2].value : 0;
    ir_vec(b, SSE_VEC_DESC(in->map, in->opcode, has_imm, imm, OFF_XMM(dst->reg, 0), src_off));
    ir_br(b, done);
    ir_label(b, slow);
    xlat_sse_generic(x);
    ir_label(b, done);
    return true;
}

bool xlat_sse_inline(struct xlat_ctx *x)
{
    const struct x86_insn *in = x->insn;
    struct ir_block *b = x->ir;
    struct sse_inline_form f = sse_inline_classify(in);
    if (f.op == SI_NONE)
        return xlat_sse_vec(x);
    const struct x86_operand *dst = &in->op[0], *src = &in->op[1];
    bool dst_mem = dst->kind == X86_OPK_MEM, src_mem = src->kind == X86_OPK_MEM;
    /* Only XMM forms (no MMX), as the table rows say. */
    if (dst->kind == X86_OPK_MMX || src->kind == X86_OPK_MMX)
        return false;
    if (f.op == SI_SHIFT_IMM && !shift_imm_inlined(in->opcode, (in->modrm >> 3) & 7))
        return false;

    unsigned slow = ir_new_label(b), done = ir_new_label(b);
    sse_check_inline(b, slow);

    unsigned msize = dst_mem ? dst->size : src_mem ? src->size : 0;
    ir_temp lin = NONE;
    if (msize) {
        lin = xlat_mem_linear(x, msize, dst_mem);
        if (msize == 16 && f.aligned)
            ir_brcond(b, IR_TSTNZ, lin, ir_movi(b, 15), slow);
        if (dst_mem && msize > 8) /* a store across a page: all or nothing, in C */
            ir_brcond(b, IR_GTU, ir_binopi(b, IR_AND, lin, 0xfff), ir_movi(b, 0x1000 - msize), slow);
    }

    /* The source operand. */
    struct v128 s = { NONE, NONE };
    if (src_mem) {
        if (msize == 16) {
            s.lo = ir_ld(b, 8, lin);
            s.hi = ir_ld(b, 8, ir_binopi(b, IR_ADD, lin, 8));
        } else {
            s.lo = ir_ld(b, msize, lin);
            s.hi = ir_movi(b, 0);
        }
    } else if (src->kind == X86_OPK_XMM) {
        s = xmm_read(b, src->reg);
    } else if (src->kind == X86_OPK_REG) {
        s.lo = xlat_reg_read(x, src->reg, src->size, false);
        s.hi = ir_movi(b, 0);
    }

    struct v128 r = { NONE, NONE };
    struct v128 d = { NONE, NONE };
    if (dst->kind == X86_OPK_XMM && f.op != SI_MOV && f.op != SI_MOVQ_Z && f.op != SI_MOVD_TO)
        d = xmm_read(b, dst->reg);
    switch (f.op) {
    case SI_MOV:
        r = s;
        break;
    case SI_MOVQ_Z: case SI_MOVD_TO:   /* the low lane, the rest zeroed */
        r.lo = s.lo;
        r.hi = ir_movi(b, 0);
        break;
    case SI_MOVQ_ST: case SI_MOVD_FROM: /* the low lane out */
        r.lo = s.lo;
        break;
    case SI_MOVSD:
        r.lo = s.lo;
        r.hi = src_mem ? ir_movi(b, 0) : d.hi;
        break;
    case SI_MOVSD_ST:
        r.lo = s.lo;
        r.hi = dst_mem ? NONE : d.hi;
        break;
    case SI_XOR: case SI_OR: case SI_AND: {
        enum ir_op op = f.op == SI_XOR ? IR_XOR : f.op == SI_OR ? IR_OR : IR_AND;
        r.lo = ir_binop(b, op, d.lo, s.lo);
        r.hi = ir_binop(b, op, d.hi, s.hi);
        break;
    }
    case SI_ANDN:
        r.lo = ir_binop(b, IR_AND, ir_unop(b, IR_NOT, d.lo), s.lo);
        r.hi = ir_binop(b, IR_AND, ir_unop(b, IR_NOT, d.hi), s.hi);
        break;
    case SI_PADDQ: case SI_PSUBQ: {
        enum ir_op op = f.op == SI_PADDQ ? IR_ADD : IR_SUB;
        r.lo = ir_binop(b, op, d.lo, s.lo);
        r.hi = ir_binop(b, op, d.hi, s.hi);
        break;
    }
    case SI_PADDD: case SI_PSUBD:
        r.lo = add_dwords(b, d.lo, s.lo, f.op == SI_PSUBD);
        r.hi = add_dwords(b, d.hi, s.hi, f.op == SI_PSUBD);
        break;
    case SI_PCMPEQB:
        r.lo = lanes_equal(b, d.lo, s.lo, BYTES_7F, BYTES_80, 8);
        r.hi = lanes_equal(b, d.hi, s.hi, BYTES_7F, BYTES_80, 8);
        break;
    case SI_PCMPEQW:
        r.lo = lanes_equal(b, d.lo, s.lo, 0x7fff7fff7fff7fffull, 0x8000800080008000ull, 16);
        r.hi = lanes_equal(b, d.hi, s.hi, 0x7fff7fff7fff7fffull, 0x8000800080008000ull, 16);
        break;
    case SI_PCMPEQD:
        r.lo = lanes_equal(b, d.lo, s.lo, 0x7fffffff7fffffffull, 0x8000000080000000ull, 32);
        r.hi = lanes_equal(b, d.hi, s.hi, 0x7fffffff7fffffffull, 0x8000000080000000ull, 32);
        break;
    case SI_PMOVMSKB: {
        /* The top bit of each byte, gathered into 8 bits by a multiply
         * whose partial products land the bits in the top byte apart. */
        const uint64_t gather = 0x0102040810204080ull;
        ir_temp lo = ir_binopi(b, IR_SHR, ir_binop(b, IR_MUL, ir_binopi(b, IR_SHR, ir_binopi(b, IR_AND, s.lo, BYTES_80), 7), ir_movi(b, gather)), 56);
        ir_temp hi = ir_binopi(b, IR_SHR, ir_binop(b, IR_MUL, ir_binopi(b, IR_SHR, ir_binopi(b, IR_AND, s.hi, BYTES_80), 7), ir_movi(b, gather)), 56);
        ir_temp m = ir_binop(b, IR_OR, ir_binopi(b, IR_AND, lo, 0xff),
                             ir_binopi(b, IR_SHL, ir_binopi(b, IR_AND, hi, 0xff), 8));
        xlat_reg_write(x, dst->reg, dst->size == 8 ? 8 : 4, false, m);
        ir_br(b, done);
        goto emit_slow;
    }
    case SI_PSHUFD: {
        unsigned imm = (uint8_t)in->op[2].value;
        ir_temp l[4];
        for (unsigned i = 0; i < 4; i++)
            l[i] = dword_of(b, s, (imm >> (2 * i)) & 3);
        r.lo = ir_binop(b, IR_OR, l[0], ir_binopi(b, IR_SHL, l[1], 32));
        r.hi = ir_binop(b, IR_OR, l[2], ir_binopi(b, IR_SHL, l[3], 32));
        break;
    }
    case SI_PUNPCKLBW: case SI_PUNPCKLWD: case SI_PUNPCKLDQ: {
        unsigned bits = f.op == SI_PUNPCKLBW ? 8 : f.op == SI_PUNPCKLWD ? 16 : 32;
        r.lo = interleave(b, d.lo, s.lo, bits, false);
        r.hi = interleave(b, d.lo, s.lo, bits, true);
        break;
    }
    case SI_PUNPCKLQDQ:
        r.lo = d.lo;
        r.hi = s.lo;
        break;
    case SI_PUNPCKHQDQ:
        r.lo = d.hi;
        r.hi = s.hi;
        break;
    case SI_SHIFT_IMM:
        r = d;
        shift_imm(b, in->opcode, (in->modrm >> 3) & 7, (uint8_t)in->op[1].value, &r);
        break;
    default:
        break;
    }

    /* The result. */
    if (dst_mem) {
        if (msize == 16) {
            ir_st(b, 8, lin, r.lo);
            ir_st(b, 8, ir_binopi(b, IR_ADD, lin, 8), r.hi);
        } else {
            ir_st(b, msize, lin, r.lo);
        }
    } else if (dst->kind == X86_OPK_XMM) {
        xmm_write(b, dst->reg, r);
    } else if (dst->kind == X86_OPK_REG) {
        ir_temp v = dst->size == 8 ? r.lo : ir_ext(b, IR_ZEXT, 4, r.lo);
        xlat_reg_write(x, dst->reg, dst->size == 8 ? 8 : 4, false, v);
    }
    ir_br(b, done);

emit_slow:
    ir_label(b, slow);
    xlat_sse_generic(x);
    ir_label(b, done);
    return true;
}
