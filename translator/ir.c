/* Building IR blocks: temporaries, labels and one builder per operation. */
#include "translator/ir.h"

#include <stdio.h>
#include <string.h>

void ir_block_init(struct ir_block *b, struct ir_insn *storage, unsigned capacity)
{
    memset(b, 0, sizeof(*b));
    b->insns = storage;
    b->capacity = capacity;
}

void ir_block_reset(struct ir_block *b)
{
    b->count = 0;
    b->ntemps = 0;
    b->nlabels = 0;
    b->overflow = false;
}

ir_temp ir_new_temp(struct ir_block *b)
{
    if (b->ntemps >= IR_MAX_TEMPS - 1) {
        b->overflow = true;
        return (ir_temp)(IR_MAX_TEMPS - 1); /* a scratch temp; the block is discarded */
    }
    return (ir_temp)b->ntemps++;
}

unsigned ir_new_label(struct ir_block *b)
{
    if (b->nlabels >= IR_MAX_LABELS - 1)
        b->overflow = true;
    return b->nlabels < IR_MAX_LABELS - 1 ? b->nlabels++ : IR_MAX_LABELS - 1;
}

static struct ir_insn *ir_emit(struct ir_block *b, enum ir_op op)
{
    static struct ir_insn sink;
    if (b->count >= b->capacity) {
        b->overflow = true;
        memset(&sink, 0, sizeof(sink));
        return &sink;
    }
    struct ir_insn *i = &b->insns[b->count++];
    memset(i, 0, sizeof(*i));
    i->op = (uint8_t)op;
    i->d = i->a = i->b = i->c = i->x = IR_NO_TEMP;
    return i;
}

ir_temp ir_movi(struct ir_block *b, uint64_t imm)
{
    struct ir_insn *i = ir_emit(b, IR_MOVI);
    i->d = ir_new_temp(b);
    i->imm = (int64_t)imm;
    return i->d;
}

ir_temp ir_mov(struct ir_block *b, ir_temp a)
{
    struct ir_insn *i = ir_emit(b, IR_MOV);
    i->d = ir_new_temp(b);
    i->a = a;
    return i->d;
}

void ir_mov_to(struct ir_block *b, ir_temp d, ir_temp a)
{
    struct ir_insn *i = ir_emit(b, IR_MOV);
    i->d = d;
    i->a = a;
}

ir_temp ir_ldc(struct ir_block *b, unsigned size, size_t offset)
{
    struct ir_insn *i = ir_emit(b, IR_LDC);
    i->d = ir_new_temp(b);
    i->size = (uint8_t)size;
    i->imm = (int64_t)offset;
    return i->d;
}

void ir_stc(struct ir_block *b, unsigned size, size_t offset, ir_temp a)
{
    struct ir_insn *i = ir_emit(b, IR_STC);
    i->size = (uint8_t)size;
    i->imm = (int64_t)offset;
    i->a = a;
}

ir_temp ir_binop(struct ir_block *b, enum ir_op op, ir_temp a, ir_temp c)
{
    struct ir_insn *i = ir_emit(b, op);
    i->d = ir_new_temp(b);
    i->a = a;
    i->b = c;
    return i->d;
}

ir_temp ir_binopi(struct ir_block *b, enum ir_op op, ir_temp a, uint64_t imm)
{
    return ir_binop(b, op, a, ir_movi(b, imm));
}

ir_temp ir_rot(struct ir_block *b, enum ir_op op, unsigned size, ir_temp a, ir_temp count)
{
    struct ir_insn *i = ir_emit(b, op);
    i->d = ir_new_temp(b);
    i->size = (uint8_t)size;
    i->a = a;
    i->b = count;
    return i->d;
}

ir_temp ir_unop(struct ir_block *b, enum ir_op op, ir_temp a)
{
    struct ir_insn *i = ir_emit(b, op);
    i->d = ir_new_temp(b);
    i->a = a;
    return i->d;
}

ir_temp ir_ext(struct ir_block *b, enum ir_op op, unsigned size, ir_temp a)
{
    struct ir_insn *i = ir_emit(b, op);
    i->d = ir_new_temp(b);
    i->size = (uint8_t)size;
    i->a = a;
    return i->d;
}

ir_temp ir_setcc(struct ir_block *b, enum ir_cond cond, ir_temp a, ir_temp c)
{
    struct ir_insn *i = ir_emit(b, IR_SETCC);
    i->d = ir_new_temp(b);
    i->cond = (uint8_t)cond;
    i->a = a;
    i->b = c;
    return i->d;
}

ir_temp ir_select(struct ir_block *b, enum ir_cond cond, ir_temp a, ir_temp c, ir_temp t,
                  ir_temp f)
{
    struct ir_insn *i = ir_emit(b, IR_SELECT);
    i->d = ir_new_temp(b);
    i->cond = (uint8_t)cond;
    i->a = a;
    i->b = c;
    i->c = t;
    i->x = f;
    return i->d;
}

ir_temp ir_ld(struct ir_block *b, unsigned size, ir_temp addr)
{
    struct ir_insn *i = ir_emit(b, IR_LD);
    i->d = ir_new_temp(b);
    i->size = (uint8_t)size;
    i->a = addr;
    return i->d;
}

ir_temp ir_ld_rmw(struct ir_block *b, unsigned size, ir_temp addr)
{
    ir_temp d = ir_ld(b, size, addr);
    if (b->count && b->insns[b->count - 1].op == IR_LD)
        b->insns[b->count - 1].cond = 1;
    return d;
}

void ir_st(struct ir_block *b, unsigned size, ir_temp addr, ir_temp value)
{
    struct ir_insn *i = ir_emit(b, IR_ST);
    i->size = (uint8_t)size;
    i->a = addr;
    i->b = value;
}

static struct ir_insn *ir_emit_call(struct ir_block *b, ir_helper_fn fn, const char *name,
                                    unsigned nargs, ir_temp a0, ir_temp a1, ir_temp a2,
                                    ir_temp a3)
{
    struct ir_insn *i = ir_emit(b, IR_CALL);
    i->fn = fn;
    i->name = name;
    i->nargs = (uint8_t)nargs;
    i->a = a0;
    i->b = a1;
    i->c = a2;
    i->x = a3;
    return i;
}

ir_temp ir_call(struct ir_block *b, ir_helper_fn fn, const char *name, unsigned nargs,
                ir_temp a0, ir_temp a1, ir_temp a2, ir_temp a3)
{
    struct ir_insn *i = ir_emit_call(b, fn, name, nargs, a0, a1, a2, a3);
    i->d = ir_new_temp(b);
    return i->d;
}

void ir_call_void(struct ir_block *b, ir_helper_fn fn, const char *name, unsigned nargs,
                  ir_temp a0, ir_temp a1, ir_temp a2, ir_temp a3)
{
    ir_emit_call(b, fn, name, nargs, a0, a1, a2, a3);
}

void ir_label(struct ir_block *b, unsigned label)
{
    ir_emit(b, IR_LABEL)->imm = label;
}

void ir_br(struct ir_block *b, unsigned label)
{
    ir_emit(b, IR_BR)->imm = label;
}

void ir_brcond(struct ir_block *b, enum ir_cond cond, ir_temp a, ir_temp c, unsigned label)
{
    struct ir_insn *i = ir_emit(b, IR_BRCOND);
    i->cond = (uint8_t)cond;
    i->a = a;
    i->b = c;
    i->imm = label;
}

void ir_exit(struct ir_block *b, int chain_slot)
{
    ir_emit(b, IR_EXIT)->imm = chain_slot;
}

void ir_vec(struct ir_block *b, uint64_t desc)
{
    ir_emit(b, IR_VEC)->imm = (int64_t)desc;
}

static const char *const ir_op_names[IR_OP_COUNT] = {
    [IR_NOP] = "nop", [IR_MOVI] = "movi", [IR_MOV] = "mov", [IR_LDC] = "ldc",
    [IR_STC] = "stc", [IR_ADD] = "add", [IR_SUB] = "sub", [IR_AND] = "and",
    [IR_OR] = "or", [IR_XOR] = "xor", [IR_SHL] = "shl", [IR_SHR] = "shr",
    [IR_SAR] = "sar", [IR_ROL] = "rol", [IR_ROR] = "ror", [IR_MUL] = "mul",
    [IR_MULHU] = "mulhu", [IR_MULHS] = "mulhs", [IR_NEG] = "neg", [IR_NOT] = "not",
    [IR_ZEXT] = "zext", [IR_SEXT] = "sext", [IR_SETCC] = "setcc", [IR_SELECT] = "select",
    [IR_LD] = "ld", [IR_ST] = "st", [IR_CALL] = "call", [IR_LABEL] = "label",
    [IR_BR] = "br", [IR_BRCOND] = "brcond", [IR_EXIT] = "exit", [IR_VEC] = "vec",
};

static const char *const ir_cond_names[] = {
    "eq", "ne", "ltu", "leu", "gtu", "geu", "lt", "le", "gt", "ge", "tstz", "tstnz",
};

const char *ir_op_name(enum ir_op op)
{
    return op < IR_OP_COUNT && ir_op_names[op] ? ir_op_names[op] : "?";
}

void ir_insn_format(const struct ir_insn *i, char *buf, size_t len)
{
    char d[16] = "", a[16] = "", bb[16] = "";
    if (i->d != IR_NO_TEMP)
        snprintf(d, sizeof(d), "t%u = ", i->d);
    if (i->a != IR_NO_TEMP)
        snprintf(a, sizeof(a), " t%u", i->a);
    if (i->b != IR_NO_TEMP)
        snprintf(bb, sizeof(bb), ", t%u", i->b);
    switch (i->op) {
    case IR_MOVI:
        snprintf(buf, len, "%smovi 0x%llx", d, (unsigned long long)i->imm);
        break;
    case IR_LDC:
    case IR_STC:
        snprintf(buf, len, "%s%s%u [cpu+%lld]%s", d, ir_op_name(i->op), i->size * 8,
                 (long long)i->imm, a);
        break;
    case IR_CALL:
        snprintf(buf, len, "%scall %s/%u%s%s", d, i->name ? i->name : "?", i->nargs, a, bb);
        break;
    case IR_LABEL:
    case IR_BR:
        snprintf(buf, len, "%s L%lld", ir_op_name(i->op), (long long)i->imm);
        break;
    case IR_BRCOND:
    case IR_SETCC:
    case IR_SELECT:
        snprintf(buf, len, "%s%s.%s%s%s%s", d, ir_op_name(i->op), ir_cond_names[i->cond], a, bb,
                 i->op == IR_BRCOND ? "" : "");
        if (i->op == IR_BRCOND) {
            size_t n = strlen(buf);
            snprintf(buf + n, len - n, " -> L%lld", (long long)i->imm);
        }
        break;
    case IR_EXIT:
        snprintf(buf, len, "exit slot %lld", (long long)i->imm);
        break;
    case IR_LD:
        snprintf(buf, len, "%sld%u%s%s", d, i->size * 8, i->cond ? ".rmw" : "", a);
        break;
    default:
        snprintf(buf, len, "%s%s%s%s%s", d, ir_op_name(i->op),
                 i->size ? (i->size == 1 ? "8" : i->size == 2 ? "16" : i->size == 4 ? "32" : "64")
                         : "",
                 a, bb);
        break;
    }
}

int ir_block_finalize(struct ir_block *b)
{
    int32_t pos[IR_MAX_LABELS];
    for (unsigned l = 0; l < IR_MAX_LABELS; l++)
        pos[l] = -1;
    for (unsigned k = 0; k < b->count; k++)
        if (b->insns[k].op == IR_LABEL)
            pos[b->insns[k].imm] = (int32_t)k;
    for (unsigned k = 0; k < b->count; k++) {
        struct ir_insn *i = &b->insns[k];
        if (i->op == IR_BR || i->op == IR_BRCOND) {
            if (i->imm < 0 || i->imm >= IR_MAX_LABELS || pos[i->imm] < 0)
                return -1;
            i->imm = pos[i->imm];
        }
    }
    return 0;
}
