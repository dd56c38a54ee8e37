/* The IR optimiser, run on every block before a backend sees it:
 * constant folding and propagation, removal of stores to the lazy-flag
 * fields and of RIP stores that a later store overwrites before anything
 * can observe them, and dead-code elimination of pure operations.
 * Observers of the CPU state are everything that can fault, call out,
 * branch or leave: guest loads and stores, helper calls, branches, labels
 * and exits. A store is only removed when it is overwritten with no
 * observer in between, so the state seen at any fault, exit or
 * self-modifying-code stop is unchanged. */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "cpu/exec.h"
#include "translator/ir.h"

static bool ir_is_pure(enum ir_op op)
{
    switch (op) {
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

static bool ir_observes_state(enum ir_op op)
{
    switch (op) {
    case IR_LD: case IR_ST: case IR_CALL: case IR_LABEL: case IR_BR:
    case IR_BRCOND: case IR_EXIT: case IR_VEC:
        return true;
    default:
        return false;
    }
}

static uint64_t size_mask(unsigned size)
{
    return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1;
}

/* Evaluates a pure operation on constants; false when it cannot. */
static bool ir_fold(const struct ir_insn *i, uint64_t a, uint64_t b, uint64_t *out)
{
    switch ((enum ir_op)i->op) {
    case IR_MOV: *out = a; return true;
    case IR_ADD: *out = a + b; return true;
    case IR_SUB: *out = a - b; return true;
    case IR_AND: *out = a & b; return true;
    case IR_OR: *out = a | b; return true;
    case IR_XOR: *out = a ^ b; return true;
    case IR_SHL: *out = a << (b & 63); return true;
    case IR_SHR: *out = a >> (b & 63); return true;
    case IR_SAR: *out = (uint64_t)((int64_t)a >> (b & 63)); return true;
    case IR_MUL: *out = a * b; return true;
    case IR_NEG: *out = -a; return true;
    case IR_NOT: *out = ~a; return true;
    case IR_ZEXT: *out = a & size_mask(i->size); return true;
    case IR_SEXT: {
        unsigned sh = 64 - i->size * 8;
        *out = sh ? (uint64_t)((int64_t)(a << sh) >> sh) : a;
        return true;
    }
    case IR_SETCC: *out = ir_cond_eval((enum ir_cond)i->cond, a, b); return true;
    default: return false;
    }
}

static bool ir_is_unary(enum ir_op op)
{
    return op == IR_MOV || op == IR_NEG || op == IR_NOT || op == IR_ZEXT || op == IR_SEXT;
}

/* Straight-line constant propagation: knowledge is dropped at labels (a
 * temp may be written on several paths, e.g. a segment check's two arms). */
static void ir_const_fold(struct ir_block *b)
{
    static uint64_t value[IR_MAX_TEMPS];
    static uint8_t known[IR_MAX_TEMPS];
    memset(known, 0, b->ntemps);
    for (unsigned k = 0; k < b->count; k++) {
        struct ir_insn *i = &b->insns[k];
        if (i->op == IR_LABEL) {
            memset(known, 0, b->ntemps);
            continue;
        }
        if (i->op == IR_MOVI) {
            value[i->d] = (uint64_t)i->imm;
            known[i->d] = 1;
            continue;
        }
        if (i->op == IR_BRCOND && known[i->a] && known[i->b]) {
            /* A decided branch: unconditional or gone. */
            if (ir_cond_eval((enum ir_cond)i->cond, value[i->a], value[i->b])) {
                i->op = IR_BR;
            } else {
                i->op = IR_NOP;
            }
            i->a = i->b = IR_NO_TEMP;
            continue;
        }
        if (i->op == IR_SELECT && known[i->a] && known[i->b]) {
            ir_temp src = ir_cond_eval((enum ir_cond)i->cond, value[i->a], value[i->b]) ? i->c : i->x;
            i->op = IR_MOV;
            i->a = src;
            i->b = i->c = i->x = IR_NO_TEMP;
        }
        bool folded = false;
        if (ir_is_pure((enum ir_op)i->op) && i->op != IR_LDC && i->op != IR_SELECT &&
            i->op != IR_ROL && i->op != IR_ROR && i->op != IR_MULHU && i->op != IR_MULHS) {
            bool unary = ir_is_unary((enum ir_op)i->op);
            if (known[i->a] && (unary || known[i->b])) {
                uint64_t r;
                if (ir_fold(i, value[i->a], unary ? 0 : value[i->b], &r)) {
                    i->op = IR_MOVI;
                    i->imm = (int64_t)r;
                    i->a = i->b = IR_NO_TEMP;
                    value[i->d] = r;
                    known[i->d] = 1;
                    folded = true;
                }
            }
        }
        if (!folded && i->d != IR_NO_TEMP)
            known[i->d] = 0;
    }
}

static enum ir_cond ir_cond_invert(enum ir_cond c)
{
    switch (c) {
    case IR_EQ: return IR_NE;
    case IR_NE: return IR_EQ;
    case IR_LTU: return IR_GEU;
    case IR_GEU: return IR_LTU;
    case IR_LEU: return IR_GTU;
    case IR_GTU: return IR_LEU;
    case IR_LT: return IR_GE;
    case IR_GE: return IR_LT;
    case IR_LE: return IR_GT;
    case IR_GT: return IR_LE;
    case IR_TSTZ: return IR_TSTNZ;
    default: return IR_TSTZ;
    }
}

/* Conditions as the translator builds them (0/1 temps compared with 0,
 * inverted with XOR 1, ZF of an AND) become one compare-and-branch:
 *   xor (setcc c a b) 1       -> setcc !c a b
 *   brcond eq/ne (setcc c a b) 0 -> brcond !c/c a b (setcc likewise)
 *   brcond eq/ne (and a b) 0  -> brcond tstz/tstnz a b (setcc likewise)
 * Only temps defined once are looked through, and only in blocks whose
 * branches all go forward (all the translator makes), so such a temp has
 * the same value at every use after its definition. */
static void ir_fuse_conditions(struct ir_block *b)
{
    static int32_t def[IR_MAX_TEMPS];
    static uint8_t ndef[IR_MAX_TEMPS];
    static int32_t label_at[IR_MAX_LABELS];
    for (unsigned l = 0; l < IR_MAX_LABELS; l++)
        label_at[l] = -1;
    for (unsigned k = 0; k < b->count; k++)
        if (b->insns[k].op == IR_LABEL && b->insns[k].imm >= 0 && b->insns[k].imm < IR_MAX_LABELS)
            label_at[b->insns[k].imm] = (int32_t)k;
    for (unsigned k = 0; k < b->count; k++) {
        const struct ir_insn *i = &b->insns[k];
        if ((i->op == IR_BR || i->op == IR_BRCOND) &&
            (i->imm < 0 || i->imm >= IR_MAX_LABELS || label_at[i->imm] <= (int32_t)k))
            return; /* a backward (or unresolved) branch */
    }
    memset(ndef, 0, b->ntemps);
    for (unsigned k = 0; k < b->count; k++) {
        const struct ir_insn *i = &b->insns[k];
        if (i->d != IR_NO_TEMP && i->op != IR_STC && i->op != IR_ST && i->op != IR_NOP) {
            if (ndef[i->d] < 2)
                ndef[i->d]++;
            def[i->d] = (int32_t)k;
        }
    }
#define ONE_DEF(t) ((t) != IR_NO_TEMP && ndef[t] == 1)
#define IS_CONST(t, v) (ONE_DEF(t) && b->insns[def[t]].op == IR_MOVI && (uint64_t)b->insns[def[t]].imm == (v))
    for (unsigned k = 0; k < b->count; k++) {
        struct ir_insn *i = &b->insns[k];
        if (i->op == IR_XOR && ONE_DEF(i->a) && IS_CONST(i->b, 1)) {
            const struct ir_insn *s = &b->insns[def[i->a]];
            if (s->op == IR_SETCC && (s->a == IR_NO_TEMP || ONE_DEF(s->a)) && ONE_DEF(s->b)) {
                i->op = IR_SETCC;
                i->cond = (uint8_t)ir_cond_invert((enum ir_cond)s->cond);
                i->a = s->a;
                i->b = s->b;
            }
            continue;
        }
        if ((i->op != IR_BRCOND && i->op != IR_SETCC) || (i->cond != IR_EQ && i->cond != IR_NE) ||
            !ONE_DEF(i->a) || !IS_CONST(i->b, 0))
            continue;
        const struct ir_insn *s = &b->insns[def[i->a]];
        if (!ONE_DEF(s->a) || !ONE_DEF(s->b))
            continue;
        bool eq = i->cond == IR_EQ;
        if (s->op == IR_SETCC) {
            i->cond = (uint8_t)(eq ? ir_cond_invert((enum ir_cond)s->cond) : (enum ir_cond)s->cond);
        } else if (s->op == IR_AND) {
            i->cond = (uint8_t)(eq ? IR_TSTZ : IR_TSTNZ);
        } else {
            continue;
        }
        i->a = s->a;
        i->b = s->b;
    }
#undef ONE_DEF
#undef IS_CONST
}

/* Is insn i a store of `size` bytes to the state field at `offset`? */
static bool ir_stores_field(const struct ir_insn *i, int64_t offset, unsigned size)
{
    return i->op == IR_STC && i->imm == offset && i->size == size;
}

static bool ir_reads_field(const struct ir_insn *i, int64_t offset, unsigned size)
{
    return i->op == IR_LDC && i->imm < offset + (int64_t)size && offset < i->imm + i->size;
}

/* An instruction boundary the backends may stop at (self-modifying code):
 * a RIP store marked as a boundary. Stores before it must stay. */
static bool ir_is_boundary(const struct ir_insn *i)
{
    return i->op == IR_STC && i->cond == 1 && i->imm == (int64_t)offsetof(struct cpu_exec, cpu.rip);
}

/* The state fields whose stores may be dropped or forwarded: the GPRs and
 * the lazy-flag fields. Translated code is the only writer of these
 * between helper calls (guest memory accesses never change them). */
static bool ir_tracked_field(int64_t off, unsigned size)
{
    int64_t regs = (int64_t)offsetof(struct cpu_exec, cpu.regs);
    int64_t end = off + (int64_t)size;
    if (off >= regs && end <= regs + 16 * 8 && (off - regs) / 8 == (end - 1 - regs) / 8)
        return true;
    static const struct { size_t off; unsigned size; } cc[] = {
        { offsetof(struct cpu_exec, cc_op), 4 },
        { offsetof(struct cpu_exec, cc_dst), 8 },
        { offsetof(struct cpu_exec, cc_src), 8 },
        { offsetof(struct cpu_exec, cc_src2), 8 },
        { offsetof(struct cpu_exec, cc_base_op), 4 },
        { offsetof(struct cpu_exec, cc_layer), 8 },
    };
    for (unsigned k = 0; k < sizeof(cc) / sizeof(cc[0]); k++)
        if (off >= (int64_t)cc[k].off && end <= (int64_t)(cc[k].off + cc[k].size))
            return true;
    return false;
}

static bool ir_defines(const struct ir_insn *i, ir_temp t)
{
    return i->d == t && i->op != IR_STC && i->op != IR_ST && i->op != IR_BR &&
           i->op != IR_BRCOND && i->op != IR_LABEL && i->op != IR_EXIT && i->op != IR_NOP;
}

/* A load of a tracked field that a store of the same straight-line stretch
 * (no label, no helper call) wrote in full becomes a copy of the stored
 * value, so constants fold through guest registers. */
static void ir_forward_loads(struct ir_block *b)
{
    for (unsigned k = 0; k < b->count; k++) {
        struct ir_insn *i = &b->insns[k];
        if (i->op != IR_LDC || !ir_tracked_field(i->imm, i->size))
            continue;
        int64_t lo = i->imm, hi = i->imm + i->size;
        for (unsigned j = k; j-- > 0;) {
            const struct ir_insn *p = &b->insns[j];
            if (p->op == IR_LABEL || p->op == IR_CALL)
                break;
            if (p->op != IR_STC || p->imm >= hi || p->imm + p->size <= lo)
                continue;
            if (p->imm == lo && p->size >= i->size) {
                /* the stored temp must still hold that value here */
                bool redefined = false;
                for (unsigned q = j + 1; q < k && !redefined; q++)
                    redefined = ir_defines(&b->insns[q], p->a);
                if (!redefined) {
                    i->op = i->size >= 8 ? IR_MOV : IR_ZEXT;
                    i->a = p->a;
                    i->imm = 0;
                }
            }
            break;
        }
    }
}

/* Dead stores to RIP: a store overwritten by a later one with no observer
 * in between, except the first instruction boundary after a guest store or
 * a call, where a block that rewrote itself stops. */
static void ir_dead_rip_stores(struct ir_block *b)
{
    int64_t off = (int64_t)offsetof(struct cpu_exec, cpu.rip);
    int pending = -1;          /* the last store not yet observed */
    bool side_effect = false;  /* a guest store or call since the last RIP store */
    for (unsigned k = 0; k < b->count; k++) {
        struct ir_insn *i = &b->insns[k];
        if (i->op == IR_ST || i->op == IR_CALL)
            side_effect = true;
        if (ir_observes_state((enum ir_op)i->op) || ir_reads_field(i, off, 8)) {
            pending = -1;
            continue;
        }
        if (!ir_stores_field(i, off, 8))
            continue;
        if (pending >= 0)
            b->insns[pending].op = IR_NOP;
        pending = (int)k;
        if (side_effect)
            pending = -1;
        side_effect = false;
    }
}

/* Dead stores to the GPRs and lazy-flag fields: a store whose bytes a later
 * store overwrites before anything can observe them (a read of an
 * overlapping field, a fault, call, branch, label, exit, or an instruction
 * boundary where the block may stop). */
static void ir_dead_field_stores(struct ir_block *b)
{
    for (unsigned k = 0; k < b->count; k++) {
        struct ir_insn *i = &b->insns[k];
        if (i->op != IR_STC || !ir_tracked_field(i->imm, i->size))
            continue;
        int64_t lo = i->imm, hi = i->imm + i->size;
        for (unsigned j = k + 1; j < b->count; j++) {
            const struct ir_insn *n = &b->insns[j];
            if (ir_observes_state((enum ir_op)n->op) || ir_is_boundary(n))
                break;
            if (n->op == IR_LDC && n->imm < hi && lo < n->imm + n->size)
                break;
            if (n->op == IR_STC && n->imm <= lo && n->imm + n->size >= hi) {
                i->op = IR_NOP;
                break;
            }
        }
    }
}

/* Backward liveness: pure operations whose result nobody reads go. */
static void ir_dead_code(struct ir_block *b)
{
    static uint8_t live[IR_MAX_TEMPS];
    /* Temps can be read across branches (backward jumps, merges): treat
     * every temp read anywhere after a label as live at that label by
     * making the analysis conservative: a temp read anywhere in the block
     * at or after its definition keeps the definition. */
    memset(live, 0, b->ntemps);
    bool changed = true;
    while (changed) {
        changed = false;
        memset(live, 0, b->ntemps);
        for (unsigned k = 0; k < b->count; k++) {
            const struct ir_insn *i = &b->insns[k];
            if (i->op == IR_NOP)
                continue;
            ir_temp uses[4] = { i->a, i->b, i->c, i->x };
            unsigned n = 4;
            if (i->op == IR_CALL)
                n = i->nargs;
            for (unsigned u = 0; u < n; u++)
                if (uses[u] != IR_NO_TEMP)
                    live[uses[u]] = 1;
        }
        for (unsigned k = 0; k < b->count; k++) {
            struct ir_insn *i = &b->insns[k];
            if (ir_is_pure((enum ir_op)i->op) && i->d != IR_NO_TEMP && !live[i->d]) {
                i->op = IR_NOP;
                changed = true;
            }
        }
    }
}

static void ir_compact(struct ir_block *b)
{
    unsigned out = 0;
    for (unsigned k = 0; k < b->count; k++)
        if (b->insns[k].op != IR_NOP)
            b->insns[out++] = b->insns[k];
    b->count = out;
}

void ir_optimize(struct ir_block *b)
{
    ir_forward_loads(b);
    ir_const_fold(b);
    ir_fuse_conditions(b);
    ir_dead_rip_stores(b);
    ir_dead_field_stores(b);
    ir_dead_code(b);
    ir_compact(b);
}
