/* IR -> x86-64 code: live intervals and linear-scan register allocation
 * within a block, lowering of every IR operation with the interpreter's
 * semantics, the inline TLB probe for guest memory, helper calls, exits,
 * and the patchable jumps that chain blocks. */
#include "translator/x64_backend.h"

#include <stdlib.h>
#include <string.h>

#include "cpu/exec.h"
#include "cpu/helpers.h"
#include "cpu/helpers_sse.h"
#include "softmmu/mmu.h"
#include "translator/x64_emit.h"

/* The frame every block runs in (set up once by the entry trampoline, so
 * chained blocks share it): save slots for caller-saved registers around
 * calls, then spill slots. 8 mod 16 keeps calls aligned after six pushes. */
#define X64_NSLOTS 1024
#define X64_SAVE_AREA (16 * 8)
#define X64_FRAME (X64_SAVE_AREA + X64_NSLOTS * 8 + 8)

/* Temp locations: a host register (0-15), a spill slot (LOC_SLOT + n), a
 * constant folded into its uses, or nothing (never occurs). */
#define LOC_NONE (-1)
#define LOC_CONST (-2)
#define LOC_FUSED (-3) /* computed inside its single user (see fused[]) */
#define LOC_SLOT 16

enum { FUSE_NONE, FUSE_LDC, FUSE_LEA };

/* The frame slot holding the TLB table selector for c->cpl (the save slot
 * of rsp, which is never saved). */
#define TLB_SEL_REG X64_RSP

/* rax, rcx, rdx are scratch (shift counts, mul, the TLB probe, results);
 * rbx holds the struct cpu_exec pointer; rsp the frame. */
static const int8_t callee_saved_regs[] = { X64_RBP, X64_R12, X64_R13, X64_R14, X64_R15 };
static const int8_t caller_saved_regs[] = { X64_RSI, X64_RDI, X64_R8, X64_R9, X64_R10, X64_R11 };
#define CALLER_SAVED_MASK ((1u << X64_RSI) | (1u << X64_RDI) | (1u << X64_R8) | (1u << X64_R9) | \
                           (1u << X64_R10) | (1u << X64_R11))

enum slow_kind { SLOW_LOAD, SLOW_STORE, SLOW_SMC };

struct slow_path {
    uint8_t kind;
    uint32_t insn;
    size_t jcc_field;
    size_t resume;
    uint16_t save_mask;
};

struct fixup {
    size_t field;
    uint32_t label;
};

struct x64_backend {
    struct x64_codebuf cb;
    size_t epilogue;
    /* The shared in-code lookup per [CS base 0][TLB: supervisor, user,
     * by CPL]; 0 = none. */
    size_t lookup_routine[2][3];
    struct x64_exit (*enter)(struct cpu_exec *c, const void *code);

    /* Per-compile workspace. */
    const struct ir_block *ir;
    struct x64_asm as;
    int32_t first[IR_MAX_TEMPS], last[IR_MAX_TEMPS];
    uint16_t ndefs[IR_MAX_TEMPS];
    bool used[IR_MAX_TEMPS];
    uint16_t nuses[IR_MAX_TEMPS];
    int32_t def_at[IR_MAX_TEMPS];  /* position of the (last) definition */
    /* Per insn: folded into the next one (LDC as a memory operand, ADD/SUB
     * feeding a ZEXT32 as a 32-bit LEA), so it emits nothing itself. */
    uint8_t fused[IR_MAX_INSNS];
    /* Per LDC: the temp last stored to the same field in this basic block
     * (the load becomes a register copy), or IR_NO_TEMP. */
    ir_temp fwd[IR_MAX_INSNS];
    /* Per STC: store the whole 8-byte register instead (read, merge,
     * write), because a wider read of it follows while the narrow store
     * would still be in flight (a failed store-to-load forward). */
    bool widen[IR_MAX_INSNS];
    bool has_mem;                  /* the block has LD/ST: keep the TLB selector */
    /* The TLB table known when compiling (the CPL is part of the block's
     * key): its offset in bytes is folded into every probe, and there is
     * no selector to keep. */
    bool tlb_static;
    int32_t tlb_static_off;
    bool code64;                   /* the block is 64-bit code (from its ctx) */
    /* Bytes of a temp that may be nonzero (1, 2, 4, 8): a ZEXT to at least
     * that is a copy. Known for single-definition temps only. */
    uint8_t zw[IR_MAX_TEMPS];
    bool movi_def[IR_MAX_TEMPS];
    int64_t cval[IR_MAX_TEMPS];
    int16_t loc[IR_MAX_TEMPS];
    uint16_t order[IR_MAX_TEMPS];
    uint32_t start_count[IR_MAX_INSNS + 1];
    uint32_t calls_before[IR_MAX_INSNS + 1];
    int32_t slot_end[X64_NSLOTS];
    unsigned nslots;
    int owner[16];
    size_t label_off[IR_MAX_INSNS + 4];
    struct fixup fixups[2 * IR_MAX_INSNS + 8];
    unsigned nfixups;
    struct slow_path slow[IR_MAX_INSNS];
    unsigned nslow;
    bool has_chain_exit[3]; /* slots 0, 1 and indirect (-1) through the lookup */
    /* Self-modifying code can only be noticed after a guest store or a
     * helper call (they are what write guest memory): an instruction
     * boundary checks c->tb_invalidated only when one may have run since
     * the last check on some path to it. smc_at[k]: a branch to the label
     * at insn k carries one. */
    bool smc_pending;
    bool smc_always;
    bool smc_at[IR_MAX_INSNS];
};

static size_t x64_off_tlb(void)
{
    return offsetof(struct cpu_exec, tlb);
}

/* ---- temps: definitions, uses, constants, locations ---- */

static ir_temp insn_def(const struct ir_insn *i)
{
    switch ((enum ir_op)i->op) {
    case IR_MOVI: case IR_MOV: case IR_LDC:
    case IR_ADD: case IR_SUB: case IR_AND: case IR_OR: case IR_XOR:
    case IR_SHL: case IR_SHR: case IR_SAR: case IR_ROL: case IR_ROR:
    case IR_MUL: case IR_MULHU: case IR_MULHS: case IR_NEG: case IR_NOT:
    case IR_ZEXT: case IR_SEXT: case IR_SETCC: case IR_SELECT: case IR_LD:
    case IR_CALL:
        return i->d;
    default:
        return IR_NO_TEMP;
    }
}

static unsigned insn_uses(const struct ir_insn *i, ir_temp out[4])
{
    switch ((enum ir_op)i->op) {
    case IR_MOV: case IR_STC: case IR_NEG: case IR_NOT: case IR_ZEXT: case IR_SEXT: case IR_LD:
        out[0] = i->a;
        return 1;
    case IR_ADD: case IR_SUB: case IR_AND: case IR_OR: case IR_XOR:
    case IR_SHL: case IR_SHR: case IR_SAR: case IR_ROL: case IR_ROR:
    case IR_MUL: case IR_MULHU: case IR_MULHS: case IR_SETCC: case IR_ST: case IR_BRCOND:
        out[0] = i->a;
        out[1] = i->b;
        return 2;
    case IR_SELECT:
        out[0] = i->a;
        out[1] = i->b;
        out[2] = i->c;
        out[3] = i->x;
        return 4;
    case IR_CALL: {
        unsigned n = i->nargs > 4 ? 4 : i->nargs;
        const ir_temp args[4] = { i->a, i->b, i->c, i->x };
        for (unsigned k = 0; k < n; k++)
            out[k] = args[k];
        return n;
    }
    default:
        return 0;
    }
}

/* An operation whose only effect is its result. */
static bool insn_pure(const struct ir_insn *i)
{
    switch ((enum ir_op)i->op) {
    case IR_MOVI: case IR_MOV: case IR_LDC:
    case IR_ADD: case IR_SUB: case IR_AND: case IR_OR: case IR_XOR:
    case IR_SHL: case IR_SHR: case IR_SAR: case IR_ROL: case IR_ROR:
    case IR_MUL: case IR_MULHU: case IR_MULHS: case IR_NEG: case IR_NOT:
    case IR_ZEXT: case IR_SEXT: case IR_SETCC: case IR_SELECT:
        return true;
    default:
        return false;
    }
}

static bool is_std_size(unsigned s)
{
    return s == 1 || s == 2 || s == 4 || s == 8;
}

static bool is_const(const struct x64_backend *be, ir_temp t)
{
    return be->loc[t] == LOC_CONST;
}

static int reg_of(const struct x64_backend *be, ir_temp t)
{
    int l = be->loc[t];
    return l >= 0 && l < LOC_SLOT ? l : X64_NOREG;
}

static struct x64_mem slot_mem_n(int slot)
{
    return x64_mem_bd(X64_RSP, X64_SAVE_AREA + slot * 8);
}

static struct x64_mem slot_mem(const struct x64_backend *be, ir_temp t)
{
    return slot_mem_n(be->loc[t] - LOC_SLOT);
}

static struct x64_mem save_mem(int reg)
{
    return x64_mem_bd(X64_RSP, reg * 8);
}

static struct x64_mem cpu_mem(int64_t off)
{
    return x64_mem_bd(X64_RBX, (int32_t)off);
}

/* IR_VEC: the guest's 66-prefixed integer vector instruction run as the
 * host's own on XMM0, between the two 16-byte fields of the context:
 *   movdqu xmm0, [rbx+dst]; movdqu xmm1, [rbx+src]; op xmm0, xmm1 (imm8);
 *   movdqu [rbx+dst], xmm0
 * (the fields need not be 16-byte aligned, as a legacy SSE memory operand
 * would have to be). Nothing else in compiled code uses XMM registers. */
static void vec_modrm_rbx(struct x64_asm *as, unsigned xmm, size_t off)
{
    x64_byte(as, (uint8_t)(0x83 | xmm << 3)); /* mod 10 (disp32), reg xmm, rm rbx */
    x64_u32(as, (uint32_t)off);
}

static void emit_vec(struct x64_backend *be, const struct ir_insn *i)
{
    struct x64_asm *as = &be->as;
    uint64_t d = (uint64_t)i->imm;
    x64_byte(as, 0xf3);
    x64_byte(as, 0x0f);
    x64_byte(as, 0x6f);
    vec_modrm_rbx(as, 0, SSE_VEC_DST(d));
    x64_byte(as, 0xf3);
    x64_byte(as, 0x0f);
    x64_byte(as, 0x6f);
    vec_modrm_rbx(as, 1, SSE_VEC_SRC(d));
    x64_byte(as, 0x66);
    x64_byte(as, 0x0f);
    if (SSE_VEC_MAP(d) == 2)
        x64_byte(as, 0x38);
    else if (SSE_VEC_MAP(d) == 3)
        x64_byte(as, 0x3a);
    x64_byte(as, (uint8_t)SSE_VEC_OPCODE(d));
    x64_byte(as, 0xc1); /* mod 11, reg xmm0, rm xmm1 */
    if (SSE_VEC_HAS_IMM(d))
        x64_byte(as, (uint8_t)SSE_VEC_IMM(d));
    x64_byte(as, 0xf3);
    x64_byte(as, 0x0f);
    x64_byte(as, 0x7f);
    vec_modrm_rbx(as, 0, SSE_VEC_DST(d));
}

/* ---- analysis and allocation ---- */

/* May t (an 8-byte LDC result) be read as a memory operand by i? */
static bool mem_operand_ok(const struct x64_backend *be, const struct ir_insn *i, ir_temp t)
{
    ir_temp other;
    switch ((enum ir_op)i->op) {
    case IR_BRCOND: case IR_SETCC:
    case IR_ADD: case IR_AND: case IR_OR: case IR_XOR:
        if (i->a != t && i->b != t)
            return false;
        other = i->a == t ? i->b : i->a;
        break;
    case IR_SUB:
        if (i->b != t)
            return false;
        other = i->a;
        break;
    default:
        return false;
    }
    /* The other operand must be a plain value (not constant, not fused). */
    return other != t && other < be->ir->ntemps && !(be->ndefs[other] == 1 && be->movi_def[other]);
}

static bool is_movi_const(const struct x64_backend *be, ir_temp t)
{
    return be->ndefs[t] == 1 && be->movi_def[t];
}

static uint8_t const_width(uint64_t v)
{
    return v <= 0xff ? 1 : v <= 0xffff ? 2 : v <= 0xffffffffu ? 4 : 8;
}

/* zw[] in program order: a use before the (single) definition in linear
 * order sees the conservative 8. */
static void find_widths(struct x64_backend *be)
{
    const struct ir_block *ir = be->ir;
    for (unsigned t = 0; t < ir->ntemps; t++)
        be->zw[t] = 8;
    for (unsigned k = 0; k < ir->count; k++) {
        const struct ir_insn *i = &ir->insns[k];
        ir_temp d = insn_def(i);
        if (d == IR_NO_TEMP || be->ndefs[d] != 1)
            continue;
        uint8_t w = 8;
        switch ((enum ir_op)i->op) {
        case IR_MOVI: w = const_width((uint64_t)i->imm); break;
        case IR_MOV: case IR_SHR: w = be->zw[i->a]; break;
        case IR_LDC: w = i->size == 1 || i->size == 2 || i->size == 4 ? i->size : 8; break;
        case IR_LD: case IR_ROL: case IR_ROR: w = i->size; break;
        case IR_ZEXT: w = i->size < be->zw[i->a] ? i->size : be->zw[i->a]; break;
        case IR_AND: w = be->zw[i->a] < be->zw[i->b] ? be->zw[i->a] : be->zw[i->b]; break;
        case IR_OR: case IR_XOR: w = be->zw[i->a] > be->zw[i->b] ? be->zw[i->a] : be->zw[i->b]; break;
        case IR_SELECT: w = be->zw[i->c] > be->zw[i->x] ? be->zw[i->c] : be->zw[i->x]; break;
        case IR_SETCC: w = 1; break;
        default: break;
        }
        be->zw[d] = w;
    }
}

/* Store-to-load forwarding within a basic block: an LDC of a field the
 * block stored before (same offset, no wider) reads the stored temp
 * instead. A helper call, a label or an overlapping store forgets what is
 * known; the soft MMU slow paths of LD/ST only change the TLB and what
 * follows it in struct cpu_exec (or fault, ending the block), so fields
 * before the TLB and past the struct survive them. */
static void find_forwards(struct x64_backend *be)
{
    const struct ir_block *ir = be->ir;
    struct known { int64_t off; unsigned size; ir_temp t; } kn[16];
    struct narrow { int64_t off; unsigned size; unsigned pos; } ns[8];
    unsigned nk = 0, nn = 0;
    const int64_t mmu_lo = (int64_t)offsetof(struct cpu_exec, tlb);
    const int64_t mmu_hi = (int64_t)sizeof(struct cpu_exec);
    const int64_t regs_lo = (int64_t)offsetof(struct cpu_exec, cpu.regs);
    const int64_t regs_hi = regs_lo + (int64_t)sizeof(((struct cpu_exec *)0)->cpu.regs);
    for (unsigned k = 0; k < ir->count; k++) {
        const struct ir_insn *i = &ir->insns[k];
        be->fwd[k] = IR_NO_TEMP;
        be->widen[k] = false;
        switch ((enum ir_op)i->op) {
        case IR_LABEL: case IR_CALL: case IR_VEC:
            nk = nn = 0;
            break;
        case IR_LD: case IR_ST:
            for (unsigned j = 0; j < nk;)
                if (kn[j].off < mmu_hi && kn[j].off + (int64_t)kn[j].size > mmu_lo)
                    kn[j] = kn[--nk];
                else
                    j++;
            break;
        case IR_LDC: {
            unsigned size = i->size == 1 || i->size == 2 || i->size == 4 ? i->size : 8;
            for (unsigned j = 0; j < nn; j++)
                if (ns[j].off < i->imm + (int64_t)size && ns[j].off + (int64_t)ns[j].size > i->imm &&
                    (i->imm < ns[j].off || i->imm + (int64_t)size > ns[j].off + (int64_t)ns[j].size))
                    be->widen[ns[j].pos] = true;
            for (unsigned j = 0; j < nk; j++) {
                if (kn[j].off == i->imm && kn[j].size >= size) {
                    be->fwd[k] = kn[j].t;
                    be->nuses[kn[j].t]++;
                    if (be->last[kn[j].t] < (int32_t)k)
                        be->last[kn[j].t] = (int32_t)k;
                    break;
                }
            }
            break;
        }
        case IR_STC: {
            unsigned size = i->size == 1 || i->size == 2 || i->size == 4 ? i->size : 8;
            for (unsigned j = 0; j < nk;)
                if (kn[j].off < i->imm + (int64_t)size && kn[j].off + (int64_t)kn[j].size > i->imm)
                    kn[j] = kn[--nk];
                else
                    j++;
            if (nk == sizeof(kn) / sizeof(kn[0]))
                nk--;
            kn[nk].off = i->imm;
            kn[nk].size = size;
            kn[nk].t = i->a;
            nk++;
            /* Byte and word stores to a GPR, merged as a 32-bit AND mask
             * can express, may be widened. */
            int64_t sh = (i->imm - regs_lo) % 8;
            if (size <= 2 && i->imm >= regs_lo && i->imm + (int64_t)size <= regs_hi &&
                sh * 8 + (int64_t)size * 8 <= 24 && !i->cond) {
                if (nn == sizeof(ns) / sizeof(ns[0]))
                    memmove(ns, ns + 1, sizeof(ns) - sizeof(ns[0])), nn--;
                ns[nn].off = i->imm;
                ns[nn].size = size;
                ns[nn].pos = k;
                nn++;
            }
            break;
        }
        default:
            break;
        }
        /* A temp redefined no longer holds what was stored. */
        ir_temp d = insn_def(i);
        for (unsigned j = 0; d != IR_NO_TEMP && j < nk;) {
            if (kn[j].t == d)
                kn[j] = kn[--nk];
            else
                j++;
        }
    }
}

/* Single-use results folded into the next insn: an 8-byte LDC read as a
 * memory operand, and ADD/SUB whose only reader is a ZEXT32 (a 32-bit LEA). */
static void find_fusions(struct x64_backend *be)
{
    const struct ir_block *ir = be->ir;
    unsigned n = ir->count, nt = ir->ntemps;
    be->has_mem = false;
    for (unsigned k = 0; k < n; k++) {
        be->fused[k] = FUSE_NONE;
        if (ir->insns[k].op == IR_LD || ir->insns[k].op == IR_ST)
            be->has_mem = true;
    }
    for (unsigned k = 0; k + 1 < n; k++) {
        const struct ir_insn *i = &ir->insns[k], *nx = &ir->insns[k + 1];
        ir_temp t = insn_def(i);
        if (t == IR_NO_TEMP || t >= nt || be->ndefs[t] != 1 || be->nuses[t] != 1 ||
            be->fused[k])
            continue;
        if (i->op == IR_LDC && i->size == 8 && be->fwd[k] == IR_NO_TEMP && mem_operand_ok(be, nx, t)) {
            be->fused[k] = FUSE_LDC;
        } else if ((i->op == IR_ADD || i->op == IR_SUB) && nx->op == IR_ZEXT && nx->size == 4 &&
                   nx->a == t && i->a != t && i->b != t) {
            bool ca = is_movi_const(be, i->a), cb = is_movi_const(be, i->b);
            if (i->op == IR_SUB && (!cb || ca || !x64_fits_i32((int64_t)(0 - (uint64_t)be->cval[i->b]))))
                continue;
            if (ca && cb)
                continue;
            if ((ca && !x64_fits_i32(be->cval[i->a])) || (cb && !x64_fits_i32(be->cval[i->b])))
                continue;
            be->fused[k] = FUSE_LEA;
            /* An LEA takes no memory operand: a field read just before
             * goes to a register after all. */
            if (k > 0 && be->fused[k - 1] == FUSE_LDC)
                be->fused[k - 1] = FUSE_NONE;
            /* The operands are read one insn later. */
            if (!ca && be->last[i->a] < (int32_t)k + 1)
                be->last[i->a] = (int32_t)k + 1;
            if (!cb && be->last[i->b] < (int32_t)k + 1)
                be->last[i->b] = (int32_t)k + 1;
        }
    }
}

static int alloc_slot(struct x64_backend *be, int32_t from, int32_t to)
{
    for (unsigned s = 0; s < be->nslots; s++) {
        if (be->slot_end[s] < from) {
            be->slot_end[s] = to;
            return (int)s;
        }
    }
    if (be->nslots >= X64_NSLOTS)
        return -1;
    be->slot_end[be->nslots] = to;
    return (int)be->nslots++;
}

static int analyse(struct x64_backend *be)
{
    const struct ir_block *ir = be->ir;
    unsigned n = ir->count, nt = ir->ntemps;
    if (nt > IR_MAX_TEMPS || n > IR_MAX_INSNS)
        return X64_COMPILE_UNSUPPORTED;
    for (unsigned t = 0; t < nt; t++) {
        be->first[t] = -1;
        be->last[t] = -1;
        be->ndefs[t] = 0;
        be->used[t] = false;
        be->nuses[t] = 0;
        be->def_at[t] = -1;
        be->movi_def[t] = false;
        be->loc[t] = LOC_NONE;
    }
    uint32_t calls = 0;
    bool back_edges = false;
    for (unsigned k = 0; k < n; k++) {
        const struct ir_insn *i = &ir->insns[k];
        be->calls_before[k] = calls;
        if (i->op >= IR_OP_COUNT)
            return X64_COMPILE_UNSUPPORTED;
        switch ((enum ir_op)i->op) {
        case IR_ROL: case IR_ROR: case IR_ZEXT: case IR_SEXT: case IR_LD: case IR_ST:
            if (!is_std_size(i->size))
                return X64_COMPILE_UNSUPPORTED;
            break;
        case IR_LDC: case IR_STC:
            if (!x64_fits_i32(i->imm) || !x64_fits_i32(i->imm + 8))
                return X64_COMPILE_UNSUPPORTED;
            break;
        case IR_CALL:
            calls++;
            if (i->nargs > 4 || !i->fn)
                return X64_COMPILE_UNSUPPORTED;
            break;
        case IR_BR: case IR_BRCOND:
            if (i->imm < 0 || (uint64_t)i->imm >= n || ir->insns[i->imm].op != IR_LABEL)
                return X64_COMPILE_UNSUPPORTED;
            if ((unsigned)i->imm <= k)
                back_edges = true;
            break;
        case IR_EXIT:
            if (i->imm < -1 || i->imm > 1)
                return X64_COMPILE_UNSUPPORTED;
            break;
        default:
            break;
        }
        ir_temp u[4];
        unsigned nu = insn_uses(i, u);
        for (unsigned j = 0; j < nu; j++) {
            ir_temp t = u[j];
            if (t >= nt)
                return X64_COMPILE_UNSUPPORTED;
            if (be->first[t] < 0)
                be->first[t] = (int32_t)k;
            be->last[t] = (int32_t)k;
            be->used[t] = true;
            be->nuses[t]++;
        }
        ir_temp d = insn_def(i);
        if ((insn_pure(i) || i->op == IR_LD) && d >= nt)
            return X64_COMPILE_UNSUPPORTED;
        if (d != IR_NO_TEMP) {
            if (d >= nt)
                return X64_COMPILE_UNSUPPORTED;
            if (be->first[d] < 0)
                be->first[d] = (int32_t)k;
            be->last[d] = (int32_t)k;
            be->ndefs[d]++;
            be->def_at[d] = (int32_t)k;
            be->movi_def[d] = i->op == IR_MOVI;
            be->cval[d] = i->imm;
        }
    }
    be->calls_before[n] = calls;
    find_widths(be);
    find_forwards(be);
    find_fusions(be);

    /* A value that flows around a backward branch must keep its place over
     * the whole loop: grow every interval touching a loop to cover it,
     * until nothing changes. */
    if (back_edges) {
        bool changed = true;
        while (changed) {
            changed = false;
            for (unsigned q = 0; q < n; q++) {
                const struct ir_insn *i = &ir->insns[q];
                if ((i->op != IR_BR && i->op != IR_BRCOND) || (unsigned)i->imm > q)
                    continue;
                int32_t p = (int32_t)i->imm;
                for (unsigned t = 0; t < nt; t++) {
                    if (be->first[t] < 0 || (be->ndefs[t] == 1 && be->movi_def[t]))
                        continue;
                    if (be->first[t] <= (int32_t)q && be->last[t] >= p &&
                        (be->first[t] > p || be->last[t] < (int32_t)q)) {
                        if (be->first[t] > p)
                            be->first[t] = p;
                        if (be->last[t] < (int32_t)q)
                            be->last[t] = (int32_t)q;
                        changed = true;
                    }
                }
            }
        }
    }

    /* Temps in start order (counting sort). */
    memset(be->start_count, 0, sizeof(be->start_count[0]) * (n + 1));
    for (unsigned t = 0; t < nt; t++) {
        if (be->first[t] < 0)
            continue;
        if (be->ndefs[t] == 1 && be->movi_def[t]) {
            be->loc[t] = LOC_CONST;
            continue;
        }
        if (be->ndefs[t] == 1 && be->fused[be->def_at[t]]) {
            be->loc[t] = LOC_FUSED;
            continue;
        }
        be->start_count[be->first[t] + 1]++;
    }
    for (unsigned k = 1; k <= n; k++)
        be->start_count[k] += be->start_count[k - 1];
    unsigned norder = 0;
    for (unsigned t = 0; t < nt; t++) {
        if (be->first[t] < 0 || be->loc[t] == LOC_CONST || be->loc[t] == LOC_FUSED)
            continue;
        be->order[be->start_count[be->first[t]]++] = (uint16_t)t;
        norder++;
    }

    /* Linear scan. */
    int32_t reg_end[16];
    int reg_temp[16];
    for (int r = 0; r < 16; r++) {
        reg_end[r] = -1;
        reg_temp[r] = -1;
    }
    be->nslots = 0;
    for (unsigned o = 0; o < norder; o++) {
        ir_temp t = be->order[o];
        int32_t s = be->first[t], e = be->last[t];
        bool spans_call = e > s + 1 && be->calls_before[e] > be->calls_before[s + 1];
        const int8_t *pref1 = spans_call ? callee_saved_regs : caller_saved_regs;
        const int8_t *pref2 = spans_call ? caller_saved_regs : callee_saved_regs;
        unsigned n1 = spans_call ? sizeof(callee_saved_regs) : sizeof(caller_saved_regs);
        unsigned n2 = spans_call ? sizeof(caller_saved_regs) : sizeof(callee_saved_regs);
        int pick = X64_NOREG;
        /* A result may take the register of an operand that dies in the
         * same insn (every lowering reads its operands first): no move. */
        const struct ir_insn *di = &be->ir->insns[s];
        if (insn_def(di) == t && di->op != IR_CALL && di->op != IR_SELECT) {
            const ir_temp cand[2] = {
                di->op == IR_LDC ? be->fwd[s] : di->a,
                di->op == IR_MOV || di->op == IR_LD || di->op == IR_LDC ? IR_NO_TEMP : di->b,
            };
            for (int j = 0; j < 2 && pick < 0; j++) {
                ir_temp u = cand[j];
                if (u == IR_NO_TEMP || u == t || u >= be->ir->ntemps)
                    continue;
                int r = be->loc[u];
                if (r >= 0 && r < LOC_SLOT && reg_temp[r] == u && reg_end[r] == s &&
                    (!spans_call || ((1u << r) & CALLER_SAVED_MASK) == 0))
                    pick = r;
            }
        }
        for (unsigned j = 0; j < n1 && pick < 0; j++)
            if (reg_end[pref1[j]] < s)
                pick = pref1[j];
        for (unsigned j = 0; j < n2 && pick < 0; j++)
            if (reg_end[pref2[j]] < s)
                pick = pref2[j];
        if (pick >= 0) {
            be->loc[t] = (int16_t)pick;
            reg_end[pick] = e;
            reg_temp[pick] = t;
            continue;
        }
        /* Spill whichever of the candidates lives longest. */
        int victim = X64_NOREG;
        for (unsigned j = 0; j < sizeof(caller_saved_regs); j++)
            if (victim < 0 || reg_end[caller_saved_regs[j]] > reg_end[victim])
                victim = caller_saved_regs[j];
        for (unsigned j = 0; j < sizeof(callee_saved_regs); j++)
            if (reg_end[callee_saved_regs[j]] > reg_end[victim])
                victim = callee_saved_regs[j];
        if (reg_end[victim] > e) {
            int v = reg_temp[victim];
            int slot = alloc_slot(be, be->first[v], be->last[v]);
            if (slot < 0)
                return X64_COMPILE_UNSUPPORTED;
            be->loc[v] = (int16_t)(LOC_SLOT + slot);
            be->loc[t] = (int16_t)victim;
            reg_end[victim] = e;
            reg_temp[victim] = t;
        } else {
            int slot = alloc_slot(be, s, e);
            if (slot < 0)
                return X64_COMPILE_UNSUPPORTED;
            be->loc[t] = (int16_t)(LOC_SLOT + slot);
        }
    }
    return (int)norder;
}

/* ---- operand helpers ---- */

/* A register holding t: its own, or scratch loaded from its slot or
 * constant. */
static int use(struct x64_backend *be, ir_temp t, int scratch)
{
    int l = be->loc[t];
    if (l == LOC_CONST) {
        x64_mov_ri(&be->as, scratch, (uint64_t)be->cval[t]);
        return scratch;
    }
    if (l >= 0 && l < LOC_SLOT)
        return l;
    x64_load(&be->as, 8, scratch, slot_mem(be, t));
    return scratch;
}

/* Same, without touching the flags. */
static int use_keep_flags(struct x64_backend *be, ir_temp t, int scratch)
{
    if (be->loc[t] == LOC_CONST) {
        x64_mov_ri_keep_flags(&be->as, scratch, (uint64_t)be->cval[t]);
        return scratch;
    }
    return use(be, t, scratch);
}

static void move_to(struct x64_backend *be, int r, ir_temp t)
{
    int l = be->loc[t];
    if (l == LOC_CONST)
        x64_mov_ri(&be->as, r, (uint64_t)be->cval[t]);
    else if (l >= 0 && l < LOC_SLOT)
        x64_mov_rr(&be->as, 8, r, l);
    else
        x64_load(&be->as, 8, r, slot_mem(be, t));
}

/* The register a result is computed in: d's own, or scratch. */
static int dreg(const struct x64_backend *be, ir_temp d, int scratch)
{
    int r = reg_of(be, d);
    return r >= 0 ? r : scratch;
}

static void dfinish(struct x64_backend *be, ir_temp d, int r)
{
    int l = be->loc[d];
    if (l >= 0 && l < LOC_SLOT) {
        if (l != r)
            x64_mov_rr(&be->as, 8, l, r);
    } else if (l >= LOC_SLOT) {
        x64_store(&be->as, 8, slot_mem(be, d), r);
    }
}

/* t is an 8-byte LDC folded into its user: its field as a memory operand. */
static bool fused_ldc(const struct x64_backend *be, ir_temp t, struct x64_mem *m)
{
    if (be->loc[t] != LOC_FUSED)
        return false;
    const struct ir_insn *d = &be->ir->insns[be->def_at[t]];
    if (d->op != IR_LDC)
        return false;
    *m = cpu_mem(d->imm);
    return true;
}

static bool const_i32(const struct x64_backend *be, ir_temp t, int32_t *v)
{
    if (!is_const(be, t) || !x64_fits_i32(be->cval[t]))
        return false;
    *v = (int32_t)be->cval[t];
    return true;
}

static void add_fixup(struct x64_backend *be, size_t field, uint32_t label)
{
    be->fixups[be->nfixups].field = field;
    be->fixups[be->nfixups].label = label;
    be->nfixups++;
}

static uint32_t label_block_exit(const struct x64_backend *be)
{
    return be->ir->count;
}

/* slot -1: the indirect exit's stub (lookup without a patch site). */
static uint32_t label_chain(const struct x64_backend *be, int slot)
{
    return be->ir->count + 1 + (uint32_t)(slot < 0 ? 2 : slot);
}

/* Caller-saved registers whose temps live across position k. */
static unsigned live_across(const struct x64_backend *be, unsigned k)
{
    unsigned mask = 0;
    for (unsigned j = 0; j < sizeof(caller_saved_regs); j++) {
        int r = caller_saved_regs[j];
        int t = be->owner[r];
        if (t >= 0 && be->first[t] < (int32_t)k && be->last[t] > (int32_t)k)
            mask |= 1u << r;
    }
    return mask;
}

static void save_regs(struct x64_backend *be, unsigned mask)
{
    for (int r = 0; r < 16; r++)
        if (mask & (1u << r))
            x64_store(&be->as, 8, save_mem(r), r);
}

static void restore_regs(struct x64_backend *be, unsigned mask)
{
    for (int r = 0; r < 16; r++)
        if (mask & (1u << r))
            x64_load(&be->as, 8, r, save_mem(r));
}

/* ---- conditions ---- */

static enum x64_cc cc_of(enum ir_cond c)
{
    static const uint8_t map[] = {
        [IR_EQ] = X64_CC_E, [IR_NE] = X64_CC_NE, [IR_LTU] = X64_CC_B, [IR_LEU] = X64_CC_BE,
        [IR_GTU] = X64_CC_A, [IR_GEU] = X64_CC_AE, [IR_LT] = X64_CC_L, [IR_LE] = X64_CC_LE,
        [IR_GT] = X64_CC_G, [IR_GE] = X64_CC_GE, [IR_TSTZ] = X64_CC_E, [IR_TSTNZ] = X64_CC_NE,
    };
    return (enum x64_cc)map[c];
}

/* The condition with its operands exchanged. */
static enum ir_cond cond_swap(enum ir_cond c)
{
    switch (c) {
    case IR_LTU: return IR_GTU;
    case IR_LEU: return IR_GEU;
    case IR_GTU: return IR_LTU;
    case IR_GEU: return IR_LEU;
    case IR_LT: return IR_GT;
    case IR_LE: return IR_GE;
    case IR_GT: return IR_LT;
    case IR_GE: return IR_LE;
    default: return c;
    }
}

/* Sets the flags for (a cond b); scratch rcx and rdx. */
static enum x64_cc emit_cmp(struct x64_backend *be, enum ir_cond cond, ir_temp a, ir_temp b)
{
    struct x64_asm *as = &be->as;
    if (cond > IR_TSTNZ)
        cond = IR_EQ;
    if (is_const(be, a) && !is_const(be, b)) {
        ir_temp t = a;
        a = b;
        b = t;
        cond = cond_swap(cond);
    }
    struct x64_mem m;
    if (fused_ldc(be, a, &m)) {
        ir_temp t = a;
        a = b;
        b = t;
        cond = cond_swap(cond);
    }
    bool test = cond == IR_TSTZ || cond == IR_TSTNZ;
    int ra = use(be, a, X64_RCX);
    int32_t imm;
    if (fused_ldc(be, b, &m)) {
        if (test)
            x64_test_rm(as, 8, ra, m);
        else
            x64_alu_rm(as, X64_CMP, 8, ra, m);
    } else if (const_i32(be, b, &imm)) {
        if (test)
            x64_test_ri(as, 8, ra, imm);
        else if (imm == 0)
            x64_test_rr(as, 8, ra, ra);
        else
            x64_alu_ri(as, X64_CMP, 8, ra, imm);
    } else if (is_const(be, b) && (uint64_t)be->cval[b] >> 32 == 0 && be->zw[a] <= 4 &&
               cond != IR_LT && cond != IR_LE && cond != IR_GT && cond != IR_GE) {
        /* Both fit in 32 bits (a zero-extended, b a constant up to 2^32-1):
         * an unsigned or equality compare of the low halves is the same,
         * and takes the constant as an immediate. */
        if (test)
            x64_test_ri(as, 4, ra, (int32_t)(uint32_t)be->cval[b]);
        else
            x64_alu_ri(as, X64_CMP, 4, ra, (int32_t)(uint32_t)be->cval[b]);
    } else {
        int rb = use(be, b, X64_RDX);
        if (test)
            x64_test_rr(as, 8, ra, rb);
        else
            x64_alu_rr(as, X64_CMP, 8, ra, rb);
    }
    return cc_of(cond);
}

/* ---- lowering ---- */

static void emit_binop(struct x64_backend *be, const struct ir_insn *i)
{
    struct x64_asm *as = &be->as;
    static const uint8_t alu[] = { [IR_ADD] = X64_ADD, [IR_SUB] = X64_SUB, [IR_AND] = X64_AND,
                                   [IR_OR] = X64_OR, [IR_XOR] = X64_XOR };
    enum x64_alu op = (enum x64_alu)alu[i->op];
    bool commutes = i->op != IR_SUB;
    ir_temp a = i->a, b = i->b;
    struct x64_mem m;
    if (commutes && ((is_const(be, a) && !is_const(be, b)) || fused_ldc(be, a, &m))) {
        a = i->b;
        b = i->a;
    }
    int d = dreg(be, i->d, X64_RAX);
    int32_t imm;
    uint64_t c = is_const(be, b) ? (uint64_t)be->cval[b] : 0;
    if (fused_ldc(be, b, &m)) {
        move_to(be, d, a);
        x64_alu_rm(as, op, 8, d, m);
    } else if (is_const(be, b) && !is_const(be, a) &&
               ((c == 0 && i->op != IR_AND) || (c == ~0ull && i->op == IR_AND))) {
        move_to(be, d, a); /* x + 0, x - 0, x | 0, x ^ 0, x & ~0 */
    } else if (is_const(be, b) && c == 0 && i->op == IR_AND) {
        x64_mov_ri(as, d, 0);
    } else if (is_const(be, b) && i->op == IR_AND && c <= 0xffffffffu) {
        /* a 32-bit AND clears the upper half, as the mask does */
        move_to(be, d, a);
        x64_alu_ri(as, X64_AND, 4, d, (int32_t)(uint32_t)c);
    } else if (const_i32(be, b, &imm) && (i->op == IR_ADD || (i->op == IR_SUB && imm != INT32_MIN)) &&
               reg_of(be, a) >= 0 && reg_of(be, a) != d) {
        x64_lea(as, d, x64_mem_bd(reg_of(be, a), i->op == IR_ADD ? imm : -imm));
    } else if (const_i32(be, b, &imm)) {
        move_to(be, d, a);
        x64_alu_ri(as, op, 8, d, imm);
    } else {
        int rb = use(be, b, X64_RCX);
        if (d == rb && reg_of(be, a) != d) {
            if (commutes) {
                x64_alu_rr(as, op, 8, d, use(be, a, X64_RDX));
            } else {
                move_to(be, X64_RAX, a);
                x64_alu_rr(as, op, 8, X64_RAX, rb);
                d = X64_RAX;
            }
        } else {
            move_to(be, d, a);
            x64_alu_rr(as, op, 8, d, rb);
        }
    }
    dfinish(be, i->d, d);
}

static void emit_shift(struct x64_backend *be, const struct ir_insn *i)
{
    struct x64_asm *as = &be->as;
    enum x64_shift op = i->op == IR_SHL ? X64_SHL : i->op == IR_SHR ? X64_SHR : X64_SAR;
    int d = dreg(be, i->d, X64_RAX);
    if (is_const(be, i->b)) {
        unsigned n = (unsigned)(be->cval[i->b] & 63);
        move_to(be, d, i->a);
        if (n)
            x64_shift_ri(as, op, 8, d, (uint8_t)n);
    } else {
        move_to(be, X64_RCX, i->b);
        move_to(be, d, i->a);
        x64_shift_cl(as, op, 8, d);
    }
    dfinish(be, i->d, d);
}

static void zext_rax(struct x64_backend *be, unsigned size)
{
    if (size == 1)
        x64_movzx_rr(&be->as, X64_RAX, X64_RAX, 1);
    else if (size == 2)
        x64_movzx_rr(&be->as, X64_RAX, X64_RAX, 2);
    else if (size == 4)
        x64_mov_rr(&be->as, 4, X64_RAX, X64_RAX);
}

static void emit_rotate(struct x64_backend *be, const struct ir_insn *i)
{
    struct x64_asm *as = &be->as;
    unsigned size = i->size, bits = size * 8;
    enum x64_shift op = i->op == IR_ROL ? X64_ROL : X64_ROR;
    if (is_const(be, i->b)) {
        unsigned n = (unsigned)(be->cval[i->b] & (bits - 1));
        move_to(be, X64_RAX, i->a);
        if (n)
            x64_shift_ri(as, op, size, X64_RAX, (uint8_t)n);
    } else {
        move_to(be, X64_RCX, i->b);
        move_to(be, X64_RAX, i->a);
        x64_shift_cl(as, op, size, X64_RAX);
    }
    zext_rax(be, size);
    dfinish(be, i->d, X64_RAX);
}

static void emit_mul(struct x64_backend *be, const struct ir_insn *i)
{
    struct x64_asm *as = &be->as;
    if (i->op == IR_MUL) {
        ir_temp a = i->a, b = i->b;
        if (is_const(be, a) && !is_const(be, b)) {
            a = i->b;
            b = i->a;
        }
        int d = dreg(be, i->d, X64_RAX);
        int32_t imm;
        if (const_i32(be, b, &imm)) {
            x64_imul_rri(as, d, use(be, a, X64_RCX), imm);
        } else {
            int rb = use(be, b, X64_RCX);
            if (d == rb && reg_of(be, a) != d) {
                x64_imul_rr(as, d, use(be, a, X64_RDX));
            } else {
                move_to(be, d, a);
                x64_imul_rr(as, d, rb);
            }
        }
        dfinish(be, i->d, d);
        return;
    }
    move_to(be, X64_RAX, i->a);
    int rb = use(be, i->b, X64_RCX);
    x64_mul1(as, i->op == IR_MULHS, rb);
    dfinish(be, i->d, X64_RDX);
}

static uint64_t fold_ext(enum ir_op op, unsigned size, uint64_t v)
{
    unsigned sh = 64 - size * 8;
    if (!sh)
        return v;
    if (op == IR_ZEXT)
        return v & ((1ull << (size * 8)) - 1);
    return (uint64_t)((int64_t)(v << sh) >> sh);
}

static void emit_ext(struct x64_backend *be, const struct ir_insn *i)
{
    struct x64_asm *as = &be->as;
    int d = dreg(be, i->d, X64_RAX);
    if (be->loc[i->a] == LOC_FUSED) {
        /* zext32(a + b) or zext32(a - imm): one 32-bit LEA */
        const struct ir_insn *f = &be->ir->insns[be->def_at[i->a]];
        ir_temp a = f->a, b = f->b;
        if (is_const(be, a)) {
            a = f->b;
            b = f->a;
        }
        int ra = use(be, a, X64_RCX);
        int32_t imm;
        if (f->op == IR_SUB) /* b is a constant whose negation fits (find_fusions) */
            x64_lea32(as, d, x64_mem_bd(ra, (int32_t)(0 - (uint64_t)be->cval[b])));
        else if (const_i32(be, b, &imm))
            x64_lea32(as, d, x64_mem_bd(ra, imm));
        else
            x64_lea32(as, d, x64_mem_bisd(ra, use(be, b, X64_RDX), 1, 0));
        dfinish(be, i->d, d);
        return;
    }
    if (is_const(be, i->a)) {
        x64_mov_ri(as, d, fold_ext((enum ir_op)i->op, i->size, (uint64_t)be->cval[i->a]));
    } else {
        int ra = use(be, i->a, X64_RCX);
        if (i->size == 8 || (i->op == IR_ZEXT && be->zw[i->a] <= i->size))
            x64_mov_rr(as, 8, d, ra); /* nothing to clear (or sign-extend) */
        else if (i->op == IR_ZEXT && i->size == 4)
            x64_mov_rr(as, 4, d, ra);
        else if (i->op == IR_ZEXT)
            x64_movzx_rr(as, d, ra, i->size);
        else
            x64_movsx_rr(as, d, ra, i->size);
    }
    dfinish(be, i->d, d);
}

static void emit_ldc(struct x64_backend *be, const struct ir_insn *i, unsigned k)
{
    unsigned size = i->size == 1 || i->size == 2 || i->size == 4 ? i->size : 8;
    int d = dreg(be, i->d, X64_RAX);
    ir_temp src = be->fwd[k];
    if (src == IR_NO_TEMP) {
        x64_load(&be->as, size, d, cpu_mem(i->imm));
    } else if (is_const(be, src)) {
        x64_mov_ri(&be->as, d, fold_ext(IR_ZEXT, size, (uint64_t)be->cval[src]));
    } else {
        /* the stored value, cut to the loaded size */
        int rs = use(be, src, X64_RCX);
        if (size == 8 || be->zw[src] <= size)
            x64_mov_rr(&be->as, 8, d, rs);
        else if (size == 4)
            x64_mov_rr(&be->as, 4, d, rs);
        else
            x64_movzx_rr(&be->as, d, rs, size);
    }
    dfinish(be, i->d, d);
}

static void emit_tlb_select(struct x64_backend *be);

static void add_slow(struct x64_backend *be, enum slow_kind kind, unsigned k, size_t field,
                     unsigned save_mask)
{
    struct slow_path *s = &be->slow[be->nslow++];
    s->kind = (uint8_t)kind;
    s->insn = k;
    s->jcc_field = field;
    s->resume = 0;
    s->save_mask = (uint16_t)save_mask;
}

static void emit_stc(struct x64_backend *be, const struct ir_insn *i, unsigned k)
{
    struct x64_asm *as = &be->as;
    if (i->cond == 1 && (be->smc_pending || be->smc_always)) {
        /* An instruction boundary: stop here if this block's code was
         * overwritten (see ir_interp.c). */
        x64_alu_mi(as, X64_CMP, 1, cpu_mem(offsetof(struct cpu_exec, tb_invalidated)), 0);
        add_slow(be, SLOW_SMC, k, x64_jcc32(as, X64_CC_NE), 0);
        be->smc_pending = false;
    }
    unsigned size = i->size == 1 || i->size == 2 || i->size == 4 ? i->size : 8;
    int32_t imm;
    if (be->widen[k]) {
        /* the whole register: (old & ~field) | value << field */
        int64_t base = i->imm - (i->imm - (int64_t)offsetof(struct cpu_exec, cpu.regs)) % 8;
        unsigned sh = (unsigned)(i->imm - base) * 8;
        uint64_t field = ((1ull << (size * 8)) - 1) << sh;
        if (is_const(be, i->a)) {
            x64_mov_ri(as, X64_RCX, ((uint64_t)be->cval[i->a] << sh) & field);
        } else {
            x64_movzx_rr(as, X64_RCX, use(be, i->a, X64_RCX), size);
            if (sh)
                x64_shift_ri(as, X64_SHL, 4, X64_RCX, (uint8_t)sh);
        }
        x64_load(as, 8, X64_RAX, cpu_mem(base));
        x64_alu_ri(as, X64_AND, 8, X64_RAX, (int32_t)~(uint32_t)field);
        x64_alu_rr(as, X64_OR, 8, X64_RAX, X64_RCX);
        x64_store(as, 8, cpu_mem(base), X64_RAX);
    } else if (is_const(be, i->a) && (size < 8 || const_i32(be, i->a, &imm)))
        x64_store_imm(as, size, cpu_mem(i->imm), (int32_t)be->cval[i->a]);
    else if (is_const(be, i->a) && size == 8 && !be->code64 && (uint64_t)be->cval[i->a] >> 32 == 0 &&
             i->imm == (int64_t)offsetof(struct cpu_exec, cpu.rip))
        /* outside 64-bit mode RIP's upper half is always 0 */
        x64_store_imm(as, 4, cpu_mem(i->imm), (int32_t)(uint32_t)be->cval[i->a]);
    else
        x64_store(as, size, cpu_mem(i->imm), use(be, i->a, X64_RAX));
    int64_t cpl = (int64_t)offsetof(struct cpu_exec, cpl);
    if (be->has_mem && i->imm <= cpl && i->imm + size > cpl)
        emit_tlb_select(be);
}

/* The inline TLB probe: rax <- byte offset of the entry (scaled by 8 when
 * the entry is 40 bytes, see tlb_mem), compares its tag with the page of
 * the access's last byte and branches to the slow path on a mismatch; on a
 * hit leaves the addend in rdx. lin is in register ra (not rax/rdx). */
static struct x64_mem tlb_mem(const struct x64_backend *be, size_t field)
{
    size_t base = x64_off_tlb() + field + (be->tlb_static ? (size_t)be->tlb_static_off : 0);
    if (sizeof(struct tlb_entry) == 40)
        return x64_mem_bisd(X64_RBX, X64_RAX, 8, (int32_t)base);
    return x64_mem_bisd(X64_RBX, X64_RAX, 1, (int32_t)base);
}

/* c->tlb[c->cpl == 3]: the table follows from the CPL at run time. Its
 * offset (in tlb_mem's scaled units) is kept in a frame slot, computed at
 * block entry and again after anything that may change the CPL (a helper
 * call, a store to the field). */
static void emit_tlb_select(struct x64_backend *be)
{
    struct x64_asm *as = &be->as;
    if (be->tlb_static)
        return;
    int32_t unit = sizeof(struct tlb_entry) == 40 ? 8 : 1;
    x64_alu_rr(as, X64_XOR, 4, X64_RAX, X64_RAX);
    x64_alu_mi(as, X64_CMP, 1, cpu_mem(offsetof(struct cpu_exec, cpl)), 3);
    x64_setcc(as, X64_CC_E, X64_RAX);
    x64_imul_rri(as, X64_RAX, X64_RAX, (int32_t)(TLB_SIZE * sizeof(struct tlb_entry)) / unit);
    x64_store(as, 8, save_mem(TLB_SEL_REG), X64_RAX);
}

static size_t emit_tlb_probe(struct x64_backend *be, int ra, unsigned size, bool write)
{
    struct x64_asm *as = &be->as;
    x64_mov_rr(as, 8, X64_RAX, ra);
    x64_shift_ri(as, X64_SHR, 8, X64_RAX, 12);
    x64_alu_ri(as, X64_AND, 4, X64_RAX, TLB_SIZE - 1);
    if (sizeof(struct tlb_entry) == 40)
        x64_lea(as, X64_RAX, x64_mem_bisd(X64_RAX, X64_RAX, 4, 0));
    else
        x64_imul_rri(as, X64_RAX, X64_RAX, (int32_t)sizeof(struct tlb_entry));
    if (!be->tlb_static)
        x64_alu_rm(as, X64_ADD, 8, X64_RAX, save_mem(TLB_SEL_REG));
    /* The tag of the entry names the page of lin; it equals the page of the
     * last byte only when the access stays within that page. */
    x64_lea(as, X64_RDX, x64_mem_bd(ra, (int32_t)size - 1));
    x64_alu_ri(as, X64_AND, 8, X64_RDX, (int32_t)TLB_PAGE_MASK);
    x64_alu_rm(as, X64_CMP, 8, X64_RDX,
               tlb_mem(be, write ? offsetof(struct tlb_entry, tag_write) : offsetof(struct tlb_entry, tag_read)));
    size_t field = x64_jcc32(as, X64_CC_NE);
    x64_load(as, 8, X64_RDX, tlb_mem(be, offsetof(struct tlb_entry, addend)));
    return field;
}

static void emit_ld(struct x64_backend *be, const struct ir_insn *i, unsigned k)
{
    int ra = use(be, i->a, X64_RCX);
    size_t field = emit_tlb_probe(be, ra, i->size, i->cond == 1);
    int d = dreg(be, i->d, X64_RAX);
    x64_load(&be->as, i->size, d, x64_mem_bisd(ra, X64_RDX, 1, 0));
    dfinish(be, i->d, d);
    add_slow(be, SLOW_LOAD, k, field, live_across(be, k));
    be->slow[be->nslow - 1].resume = be->as.len;
}

static void emit_st(struct x64_backend *be, const struct ir_insn *i, unsigned k)
{
    struct x64_asm *as = &be->as;
    int ra = use(be, i->a, X64_RCX);
    size_t field = emit_tlb_probe(be, ra, i->size, true);
    struct x64_mem m = x64_mem_bisd(ra, X64_RDX, 1, 0);
    int32_t imm;
    if (is_const(be, i->b) && (i->size < 8 || const_i32(be, i->b, &imm)))
        x64_store_imm(as, i->size, m, (int32_t)be->cval[i->b]);
    else
        x64_store(as, i->size, m, use(be, i->b, X64_RAX));
    add_slow(be, SLOW_STORE, k, field, live_across(be, k));
    be->slow[be->nslow - 1].resume = be->as.len;
}

static void emit_call(struct x64_backend *be, const struct ir_insn *i, unsigned k)
{
    struct x64_asm *as = &be->as;
    static const int8_t arg_regs[4] = { X64_RSI, X64_RDX, X64_RCX, X64_R8 };
    const ir_temp args[4] = { i->a, i->b, i->c, i->x };
    unsigned nargs = i->nargs;
    unsigned across = live_across(be, k);
    save_regs(be, across);
    /* Arguments load in order rsi, rdx, rcx, r8; of the allocatable
     * registers only rsi is overwritten before a later argument may read
     * it (rdx and rcx hold no temps, r8 is last): park it in rax. */
    bool park = false;
    for (unsigned j = 1; j < nargs; j++)
        if (reg_of(be, args[j]) == X64_RSI && reg_of(be, args[0]) != X64_RSI)
            park = true;
    if (park)
        x64_mov_rr(as, 8, X64_RAX, X64_RSI);
    for (unsigned j = 0; j < nargs; j++) {
        ir_temp t = args[j];
        if (park && j > 0 && reg_of(be, t) == X64_RSI)
            x64_mov_rr(as, 8, arg_regs[j], X64_RAX);
        else
            move_to(be, arg_regs[j], t);
    }
    x64_mov_rr(as, 8, X64_RDI, X64_RBX);
    x64_call_abs(as, (const void *)i->fn);
    int rd = i->d != IR_NO_TEMP ? reg_of(be, i->d) : X64_NOREG;
    restore_regs(be, across & ~(rd >= 0 ? 1u << rd : 0u));
    if (i->d != IR_NO_TEMP)
        dfinish(be, i->d, X64_RAX);
    if (be->has_mem)
        emit_tlb_select(be); /* the helper may have changed the CPL */
}

static void emit_exit(struct x64_backend *be, int slot, const struct x64_block_info *info)
{
    struct x64_asm *as = &be->as;
    if ((slot >= 0 && info->chainable[slot]) || (slot < 0 && info->lookup && info->lookup_indirect)) {
        be->has_chain_exit[slot < 0 ? 2 : slot] = true;
        add_fixup(be, x64_jmp32(as), label_chain(be, slot));
        return;
    }
    x64_mov_ri(as, X64_RAX, (uint64_t)(int64_t)slot);
    add_fixup(be, x64_jmp32(as), label_block_exit(be));
}

/* Tracks smc_pending through insn k (before it is emitted). */
static void smc_track(struct x64_backend *be, unsigned k)
{
    const struct ir_insn *i = &be->ir->insns[k];
    switch ((enum ir_op)i->op) {
    case IR_ST:
        be->smc_pending = true;
        break;
    case IR_CALL:
        /* the segment check computes or faults, it writes nothing */
        if (i->fn != (ir_helper_fn)helper_seg_linear)
            be->smc_pending = true;
        break;
    case IR_LABEL:
        be->smc_pending |= be->smc_at[k];
        break;
    case IR_BR:
    case IR_BRCOND:
        if (i->imm >= 0 && (size_t)i->imm < be->ir->count)
            be->smc_at[i->imm] |= be->smc_pending;
        else
            be->smc_pending = true;
        break;
    default:
        break;
    }
}

static void emit_insn(struct x64_backend *be, unsigned k, const struct x64_block_info *info)
{
    const struct ir_insn *i = &be->ir->insns[k];
    struct x64_asm *as = &be->as;
    if (be->fused[k])
        return; /* the next insn does it */
    if (insn_pure(i) && !be->used[i->d])
        return; /* nothing reads the result */
    switch ((enum ir_op)i->op) {
    case IR_NOP:
        break;
    case IR_MOVI:
        if (!is_const(be, i->d)) {
            int d = dreg(be, i->d, X64_RAX);
            x64_mov_ri(as, d, (uint64_t)i->imm);
            dfinish(be, i->d, d);
        }
        break;
    case IR_MOV: {
        int d = dreg(be, i->d, X64_RAX);
        move_to(be, d, i->a);
        dfinish(be, i->d, d);
        break;
    }
    case IR_LDC: emit_ldc(be, i, k); break;
    case IR_STC: emit_stc(be, i, k); break;
    case IR_ADD: case IR_SUB: case IR_AND: case IR_OR: case IR_XOR: emit_binop(be, i); break;
    case IR_SHL: case IR_SHR: case IR_SAR: emit_shift(be, i); break;
    case IR_ROL: case IR_ROR: emit_rotate(be, i); break;
    case IR_MUL: case IR_MULHU: case IR_MULHS: emit_mul(be, i); break;
    case IR_NEG: case IR_NOT: {
        int d = dreg(be, i->d, X64_RAX);
        move_to(be, d, i->a);
        if (i->op == IR_NEG)
            x64_neg(as, d);
        else
            x64_not(as, d);
        dfinish(be, i->d, d);
        break;
    }
    case IR_ZEXT: case IR_SEXT: emit_ext(be, i); break;
    case IR_SETCC: {
        enum x64_cc cc = emit_cmp(be, (enum ir_cond)i->cond, i->a, i->b);
        int d = dreg(be, i->d, X64_RAX);
        x64_setcc(as, cc, X64_RAX);
        x64_movzx_rr(as, d, X64_RAX, 1);
        dfinish(be, i->d, d);
        break;
    }
    case IR_SELECT: {
        move_to(be, X64_RAX, i->x);
        enum x64_cc cc = emit_cmp(be, (enum ir_cond)i->cond, i->a, i->b);
        if (be->loc[i->c] >= LOC_SLOT)
            x64_cmov_rm(as, cc, X64_RAX, slot_mem(be, i->c));
        else
            x64_cmov_rr(as, cc, X64_RAX, use_keep_flags(be, i->c, X64_RCX));
        dfinish(be, i->d, X64_RAX);
        break;
    }
    case IR_LD: emit_ld(be, i, k); break;
    case IR_ST: emit_st(be, i, k); break;
    case IR_CALL: emit_call(be, i, k); break;
    case IR_VEC: emit_vec(be, i); break;
    case IR_LABEL:
        be->label_off[k] = as->len;
        break;
    case IR_BR:
        add_fixup(be, x64_jmp32(as), (uint32_t)i->imm);
        break;
    case IR_BRCOND: {
        enum x64_cc cc = emit_cmp(be, (enum ir_cond)i->cond, i->a, i->b);
        add_fixup(be, x64_jcc32(as, cc), (uint32_t)i->imm);
        break;
    }
    case IR_EXIT:
        emit_exit(be, (int)i->imm, info);
        break;
    case IR_OP_COUNT:
        break;
    }
}

static void emit_slow(struct x64_backend *be, const struct slow_path *s)
{
    struct x64_asm *as = &be->as;
    const struct ir_insn *i = &be->ir->insns[s->insn];
    x64_patch_rel32(as, s->jcc_field, as->len);
    if (s->kind == SLOW_SMC) {
        x64_store(as, 8, cpu_mem(offsetof(struct cpu_exec, cpu.rip)), use(be, i->a, X64_RAX));
        x64_mov_ri(as, X64_RAX, (uint64_t)-1);
        add_fixup(be, x64_jmp32(as), label_block_exit(be));
        return;
    }
    save_regs(be, s->save_mask);
    /* The address is where the fast path had it (its register, or rcx). */
    int ra = be->loc[i->a] >= 0 && be->loc[i->a] < LOC_SLOT ? be->loc[i->a] : X64_RCX;
    if (s->kind == SLOW_LOAD) {
        x64_mov_rr(as, 8, X64_RSI, ra);
        x64_mov_ri(as, X64_RDX, i->size);
        x64_mov_rr(as, 8, X64_RDI, X64_RBX);
        /* a read-modify-write's load checks and faults as a write */
        x64_call_abs(as, i->cond == 1 ? (const void *)helper_ld_rmw : (const void *)mmu_load);
        int rd = reg_of(be, i->d);
        restore_regs(be, s->save_mask & ~(rd >= 0 ? 1u << rd : 0u));
        if (be->used[i->d])
            dfinish(be, i->d, X64_RAX);
    } else {
        move_to(be, X64_RAX, i->b);
        x64_mov_rr(as, 8, X64_RSI, ra);
        x64_mov_rr(as, 8, X64_RCX, X64_RAX);
        x64_mov_ri(as, X64_RDX, i->size);
        x64_mov_rr(as, 8, X64_RDI, X64_RBX);
        x64_call_abs(as, (const void *)mmu_store);
        restore_regs(be, s->save_mask);
    }
    x64_patch_rel32(as, x64_jmp32(as), s->resume);
}

/* The stub an exit through a chain slot jumps to: back to the engine when
 * an exit is requested or the budget is spent, else through the patchable
 * jump: to the linked successor, or (unlinked) to the engine's lookup of
 * the next block, entered when found. slot -1 (an indirect exit) has only
 * the lookup. */
static void emit_chain_stub(struct x64_backend *be, int slot, size_t start,
                            struct x64_block_info *info)
{
    struct x64_asm *as = &be->as;
    be->label_off[label_chain(be, slot)] = as->len;
    x64_alu_mi(as, X64_CMP, 4, cpu_mem(offsetof(struct cpu_exec, exit_request_flag)), 0);
    size_t f1 = x64_jcc32(as, X64_CC_NE);
    x64_alu_mi(as, X64_SUB, 4, cpu_mem(offsetof(struct cpu_exec, chain_budget)), 1);
    size_t f2 = x64_jcc32(as, X64_CC_S);
    size_t routine = be->lookup_routine[(info->ctx & 0xffffffffu) == 0]
                                       [info->tlb_cpl_known ? info->tlb_user : 2];
    bool inl = info->inline_lookup && info->lookup && routine;
    size_t link = slot >= 0 ? x64_jmp32(as) : 0;
    size_t link_inline = slot < 0 && inl ? x64_jmp32(as) : 0;
    size_t lookup = as->len, f3 = 0;
    if (info->lookup) {
        x64_mov_ri(as, X64_RSI, (uint64_t)(uintptr_t)info->tag);
        x64_mov_ri(as, X64_RDX, (uint64_t)(int64_t)slot);
        x64_mov_rr(as, 8, X64_RDI, X64_RBX);
        x64_call_abs(as, (const void *)info->lookup);
        x64_test_rr(as, 8, X64_RAX, X64_RAX);
        f3 = x64_jcc32(as, X64_CC_E);
        x64_jmp_r(as, X64_RAX);
    }
    size_t out = as->len;
    x64_patch_rel32(as, f1, out);
    x64_patch_rel32(as, f2, out);
    if (f3)
        x64_patch_rel32(as, f3, out);
    if (slot >= 0) {
        x64_patch_rel32(as, link, lookup);
        info->jmp_field[slot] = (uint32_t)(link - start);
        info->jmp_reset[slot] = (uint32_t)(lookup - start);
    }
    x64_mov_ri(as, X64_RAX, (uint64_t)(int64_t)slot);
    add_fixup(be, x64_jmp32(as), label_block_exit(be));
    if (inl) {
        /* The shared lookup with r8 = tag, r9 = slot, r10 = ctx. */
        size_t entry = as->len;
        x64_mov_ri(as, X64_R8, (uint64_t)(uintptr_t)info->tag);
        x64_mov_ri(as, X64_R9, (uint64_t)(int64_t)slot);
        x64_mov_ri(as, X64_R10, info->ctx);
        x64_patch_rel32(as, x64_call32(as), routine);
        x64_test_rr(as, 8, X64_RAX, X64_RAX);
        x64_patch_rel32(as, x64_jcc32(as, X64_CC_E), out);
        x64_jmp_r(as, X64_RAX);
        if (slot >= 0)
            info->jmp_inline[slot] = (uint32_t)(entry - start);
        else
            x64_patch_rel32(as, link_inline, entry);
    }
}

/* The shared in-code lookup, called from chain stubs with r8 = tag, r9 =
 * slot, r10 = ctx (every temp is dead there): RIP -> linear address -> TLB
 * code tag -> physical address -> the cache entry; returns the entry's code
 * on a full match, else what the engine's lookup returns (NULL: leave).
 * The stub makes the jump itself, so each exit has its own indirect branch
 * for the predictor. One variant per CS base 0 or not (linear = RIP, or
 * CS base + RIP truncated to 32 bits: a non-zero base only exists outside
 * 64-bit mode) and per TLB table (supervisor, user, or by c->cpl).
 * The memory map and A20 are not checked here: they change only in port
 * I/O helpers, which end chaining (as for linked jumps); the engine's
 * lookup on a miss does check them. */
static void emit_lookup_routine(struct x64_backend *be, const struct x64_lookup_params *p, bool flat,
                                int user)
{
    struct x64_asm *as = &be->as;
    size_t miss[8];
    unsigned nmiss = 0;
    x64_load(as, 8, X64_RAX, cpu_mem(offsetof(struct cpu_exec, cpu.rip)));
    if (!flat) {
        x64_mov_rr(as, 4, X64_RCX, X64_R10);
        x64_alu_rr(as, X64_ADD, 4, X64_RAX, X64_RCX); /* 32-bit: wraps and zero-extends */
    }
    /* TLB entry of lin: rcx = its offset in units of 8 (40-byte entries)
     * or bytes */
    int32_t unit = sizeof(struct tlb_entry) == 40 ? 8 : 1;
    int32_t table = (int32_t)(TLB_SIZE * sizeof(struct tlb_entry));
    x64_mov_rr(as, 8, X64_RCX, X64_RAX);
    x64_shift_ri(as, X64_SHR, 8, X64_RCX, 12);
    x64_alu_ri(as, X64_AND, 4, X64_RCX, TLB_SIZE - 1);
    if (unit == 8)
        x64_lea(as, X64_RCX, x64_mem_bisd(X64_RCX, X64_RCX, 4, 0));
    else
        x64_imul_rri(as, X64_RCX, X64_RCX, (int32_t)sizeof(struct tlb_entry));
    if (user == 2) {
        x64_alu_rr(as, X64_XOR, 4, X64_RDX, X64_RDX);
        x64_alu_mi(as, X64_CMP, 1, cpu_mem(offsetof(struct cpu_exec, cpl)), 3);
        x64_setcc(as, X64_CC_E, X64_RDX);
        x64_imul_rri(as, X64_RDX, X64_RDX, table / unit);
        x64_alu_rr(as, X64_ADD, 8, X64_RCX, X64_RDX);
    }
    int32_t tlb = (int32_t)x64_off_tlb() + (user == 1 ? table : 0);
    x64_mov_rr(as, 8, X64_RDX, X64_RAX);
    x64_alu_ri(as, X64_AND, 8, X64_RDX, (int32_t)TLB_PAGE_MASK);
    x64_alu_rm(as, X64_CMP, 8, X64_RDX,
               x64_mem_bisd(X64_RBX, X64_RCX, (unsigned)unit, tlb + (int32_t)offsetof(struct tlb_entry, tag_code)));
    miss[nmiss++] = x64_jcc32(as, X64_CC_NE);
    x64_load(as, 8, X64_RDX,
             x64_mem_bisd(X64_RBX, X64_RCX, (unsigned)unit, tlb + (int32_t)offsetof(struct tlb_entry, phys)));
    x64_alu_ri(as, X64_AND, 8, X64_RDX, (int32_t)TLB_PAGE_MASK);
    x64_mov_rr(as, 4, X64_RSI, X64_RAX);
    x64_alu_ri(as, X64_AND, 4, X64_RSI, 0xfff);
    x64_alu_rr(as, X64_OR, 8, X64_RDX, X64_RSI);
    /* the cache entry: rcx = index * 32 */
    x64_mov_rr(as, 8, X64_RCX, X64_RAX);
    x64_shift_ri(as, X64_SHR, 8, X64_RCX, 12);
    x64_alu_rr(as, X64_XOR, 8, X64_RCX, X64_RAX);
    x64_alu_ri(as, X64_AND, 4, X64_RCX, (int32_t)((1u << p->jc_bits) - 1));
    x64_shift_ri(as, X64_SHL, 4, X64_RCX, 5);
    int32_t jc = p->jc_offset;
    x64_alu_rm(as, X64_CMP, 8, X64_RAX, x64_mem_bisd(X64_RBX, X64_RCX, 1, jc + (int32_t)offsetof(struct x64_jc_entry, lin)));
    miss[nmiss++] = x64_jcc32(as, X64_CC_NE);
    x64_alu_rm(as, X64_CMP, 8, X64_RDX, x64_mem_bisd(X64_RBX, X64_RCX, 1, jc + (int32_t)offsetof(struct x64_jc_entry, phys)));
    miss[nmiss++] = x64_jcc32(as, X64_CC_NE);
    x64_alu_rm(as, X64_CMP, 8, X64_R10, x64_mem_bisd(X64_RBX, X64_RCX, 1, jc + (int32_t)offsetof(struct x64_jc_entry, ctx)));
    miss[nmiss++] = x64_jcc32(as, X64_CC_NE);
    x64_load(as, 8, X64_RAX, x64_mem_bisd(X64_RBX, X64_RCX, 1, jc + (int32_t)offsetof(struct x64_jc_entry, code)));
    x64_ret(as);
    for (unsigned k = 0; k < nmiss; k++)
        x64_patch_rel32(as, miss[k], as->len);
    /* called from the block's frame: realign for the C call */
    x64_mov_rr(as, 8, X64_RSI, X64_R8);
    x64_mov_rr(as, 8, X64_RDX, X64_R9);
    x64_mov_rr(as, 8, X64_RDI, X64_RBX);
    x64_alu_ri(as, X64_SUB, 8, X64_RSP, 8);
    x64_call_abs(as, (const void *)p->lookup);
    x64_alu_ri(as, X64_ADD, 8, X64_RSP, 8);
    x64_ret(as);
}

void x64_backend_set_lookup(struct x64_backend *be, const struct x64_lookup_params *p)
{
    struct x64_asm *as = &be->as;
    as->buf = be->cb.rw;
    as->cap = be->cb.size;
    as->len = be->cb.keep;
    for (int flat = 0; flat < 2; flat++) {
        for (int user = 0; user < 3; user++) {
            as->len = (as->len + 15) & ~(size_t)15;
            be->lookup_routine[flat][user] = as->len;
            emit_lookup_routine(be, p, flat, user);
        }
    }
    be->cb.keep = be->cb.used = (as->len + 15) & ~(size_t)15;
}

/* ---- public interface ---- */

int x64_compile(struct x64_backend *be, const struct ir_block *ir, struct x64_block_info *info)
{
    be->ir = ir;
    int norder = analyse(be);
    if (norder < 0)
        return norder;
    struct x64_asm *as = &be->as;
    as->buf = be->cb.rw;
    as->cap = be->cb.size;
    as->len = (be->cb.used + 15) & ~(size_t)15;
    if (as->len + 64 > as->cap)
        return X64_COMPILE_FULL;
    size_t start = as->len;
    unsigned n = ir->count;
    for (unsigned k = 0; k < n + 4; k++)
        be->label_off[k] = SIZE_MAX;
    be->nfixups = 0;
    be->nslow = 0;
    be->has_chain_exit[0] = be->has_chain_exit[1] = be->has_chain_exit[2] = false;
    be->smc_pending = false;
    memset(be->smc_at, 0, n * sizeof(be->smc_at[0]));
    be->tlb_static = info->tlb_cpl_known;
    be->code64 = !info->ctx || ((info->ctx >> 32) & 3) == 2; /* unknown: as 64-bit */
    be->tlb_static_off = info->tlb_user ? (int32_t)(TLB_SIZE * sizeof(struct tlb_entry)) : 0;
    /* The tracking follows forward branches only (all the translator
     * makes); with a backward one every boundary checks. */
    be->smc_always = false;
    for (unsigned k = 0; k < n; k++)
        if ((ir->insns[k].op == IR_BR || ir->insns[k].op == IR_BRCOND) && ir->insns[k].imm <= (int64_t)k)
            be->smc_always = true;
    for (int r = 0; r < 16; r++)
        be->owner[r] = -1;

    /* Temps become the owners of their registers as their intervals
     * start; order[] is sorted by start. */
    if (be->has_mem)
        emit_tlb_select(be);
    unsigned o = 0;
    for (unsigned k = 0; k < n; k++) {
        while (o < (unsigned)norder && be->first[be->order[o]] == (int32_t)k) {
            ir_temp t = be->order[o++];
            int r = reg_of(be, t);
            if (r >= 0)
                be->owner[r] = t;
        }
        if (ir->insns[k].op == IR_LABEL || ir->insns[k].op == IR_CALL)
            smc_track(be, k);      /* in effect from the label / after the call */
        emit_insn(be, k, info);
        if (ir->insns[k].op != IR_LABEL && ir->insns[k].op != IR_CALL)
            smc_track(be, k);
        if (ir->insns[k].op == IR_BR || ir->insns[k].op == IR_EXIT)
            be->smc_pending = false; /* nothing falls through */
        if (as->len > as->cap)
            return X64_COMPILE_FULL;
    }
    if (n == 0 || (ir->insns[n - 1].op != IR_EXIT && ir->insns[n - 1].op != IR_BR))
        emit_exit(be, -1, info);

    /* Out of line: slow paths (with the register owners of their insn),
     * chain stubs, then the common exit. */
    for (int r = 0; r < 16; r++)
        be->owner[r] = -1;
    for (unsigned s = 0; s < be->nslow; s++)
        emit_slow(be, &be->slow[s]);
    info->jmp_field[0] = info->jmp_field[1] = 0;
    info->jmp_reset[0] = info->jmp_reset[1] = 0;
    info->jmp_inline[0] = info->jmp_inline[1] = 0;
    for (int slot = -1; slot < 2; slot++) {
        if (be->has_chain_exit[slot < 0 ? 2 : slot])
            emit_chain_stub(be, slot, start, info);
    }
    be->label_off[label_block_exit(be)] = as->len;
    x64_mov_ri(as, X64_RDX, (uint64_t)(uintptr_t)info->tag);
    x64_patch_rel32(as, x64_jmp32(as), be->epilogue);
    if (as->len > as->cap)
        return X64_COMPILE_FULL;
    for (unsigned f = 0; f < be->nfixups; f++) {
        size_t target = be->label_off[be->fixups[f].label];
        if (target == SIZE_MAX)
            return X64_COMPILE_UNSUPPORTED;
        x64_patch_rel32(as, be->fixups[f].field, target);
    }
    info->code = be->cb.rx + start;
    info->code_size = as->len - start;
    be->cb.used = as->len;
    return X64_COMPILE_OK;
}

struct x64_exit x64_run(struct x64_backend *be, struct cpu_exec *c, const void *code)
{
    return be->enter(c, code);
}

void x64_link(struct x64_backend *be, const void *code, uint32_t jmp_field, uint32_t jmp_reset,
              const void *target)
{
    const uint8_t *site = (const uint8_t *)code + jmp_field;
    const uint8_t *to = target ? (const uint8_t *)target : (const uint8_t *)code + jmp_reset;
    int32_t rel = (int32_t)(to - (site + 4));
    memcpy(be->cb.rw + (site - be->cb.rx), &rel, 4);
}

/* The entry trampoline (rdi = c, rsi = code) saves the callee-saved
 * registers, sets up the frame and c in rbx, and jumps to the block; every
 * exit comes back through the epilogue with rax = slot and rdx = tag. */
static void emit_trampolines(struct x64_backend *be)
{
    struct x64_asm *as = &be->as;
    as->buf = be->cb.rw;
    as->cap = be->cb.size;
    as->len = 0;
    static const int8_t saved[] = { X64_RBX, X64_RBP, X64_R12, X64_R13, X64_R14, X64_R15 };
    for (unsigned j = 0; j < sizeof(saved); j++)
        x64_push(as, saved[j]);
    x64_alu_ri(as, X64_SUB, 8, X64_RSP, X64_FRAME);
    x64_mov_rr(as, 8, X64_RBX, X64_RDI);
    x64_jmp_r(as, X64_RSI);
    be->epilogue = as->len;
    x64_alu_ri(as, X64_ADD, 8, X64_RSP, X64_FRAME);
    for (unsigned j = sizeof(saved); j-- > 0;)
        x64_pop(as, saved[j]);
    x64_ret(as);
    be->cb.keep = be->cb.used = (as->len + 15) & ~(size_t)15;
}

struct x64_backend *x64_backend_create(size_t code_size)
{
    struct x64_backend *be = calloc(1, sizeof(*be));
    if (!be)
        return NULL;
    if (x64_codebuf_init(&be->cb, code_size) < 0) {
        free(be);
        return NULL;
    }
    emit_trampolines(be);
    /* The entry point is code in the executable view; calling it through a
     * function pointer is what a JIT does. */
    void *entry = be->cb.rx;
    memcpy(&be->enter, &entry, sizeof(entry));
    return be;
}

void x64_backend_destroy(struct x64_backend *be)
{
    if (!be)
        return;
    x64_codebuf_destroy(&be->cb);
    free(be);
}

void x64_backend_flush(struct x64_backend *be)
{
    x64_codebuf_flush(&be->cb);
}

size_t x64_backend_code_used(const struct x64_backend *be)
{
    return be->cb.used;
}
