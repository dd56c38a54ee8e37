/* vx86's intermediate representation: a translated guest block is a list of
 * typed operations on 64-bit temporaries, labels, guest memory accesses and
 * helper calls. Both backends (interpreter, x86-64 code) execute it. */
#ifndef VX86_TRANSLATOR_IR_H
#define VX86_TRANSLATOR_IR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint16_t ir_temp;
#define IR_NO_TEMP 0xffff
#define IR_MAX_TEMPS 4096
#define IR_MAX_INSNS 8192
#define IR_MAX_LABELS 512

enum ir_op {
    IR_NOP,
    IR_MOVI,    /* d = imm */
    IR_MOV,     /* d = a */
    IR_LDC,     /* d = zero-extended size-byte field at (cpu_exec + imm) */
    IR_STC,     /* size-byte field at (cpu_exec + imm) = a */
    IR_ADD, IR_SUB, IR_AND, IR_OR, IR_XOR,
    IR_SHL, IR_SHR, IR_SAR,   /* by b & 63 */
    IR_ROL, IR_ROR,           /* size-byte rotate by b & (bits - 1) */
    IR_MUL,                   /* low 64 bits */
    IR_MULHU, IR_MULHS,       /* high 64 bits of the 128-bit product */
    IR_NEG, IR_NOT,
    IR_ZEXT, IR_SEXT,         /* d = a extended from size bytes */
    IR_SETCC,                 /* d = (a cond b) */
    IR_SELECT,                /* d = (a cond b) ? c : x */
    IR_LD,                    /* d = guest linear memory at a, size bytes, zero-extended;
                               * cond 1: the load of a read-modify-write (checked
                               * and faulting as a write) */
    IR_ST,                    /* guest linear memory at a = b, size bytes */
    IR_CALL,                  /* d = fn(c, args...) ; d may be IR_NO_TEMP */
    IR_LABEL,                 /* label imm */
    IR_BR,                    /* goto label imm */
    IR_BRCOND,                /* if (a cond b) goto label imm */
    IR_EXIT,                  /* end of block; imm = chain slot (0, 1) or -1 */
    IR_VEC,                   /* 128-bit op on two 16-byte context fields; imm: cpu/helpers_sse.h */
    IR_OP_COUNT
};

enum ir_cond {
    IR_EQ, IR_NE, IR_LTU, IR_LEU, IR_GTU, IR_GEU, IR_LT, IR_LE, IR_GT, IR_GE,
    IR_TSTZ,  /* (a & b) == 0 */
    IR_TSTNZ, /* (a & b) != 0 */
};

struct cpu_exec;
/* Helpers take the execution context and up to four 64-bit arguments. */
typedef uint64_t (*ir_helper_fn)(struct cpu_exec *c, uint64_t a, uint64_t b, uint64_t x,
                                 uint64_t y);

struct ir_insn {
    uint8_t op;      /* enum ir_op */
    uint8_t size;    /* bytes for LDC/STC/LD/ST/EXT/ROL/ROR */
    uint8_t cond;    /* enum ir_cond */
    uint8_t nargs;   /* IR_CALL */
    ir_temp d, a, b, c, x;
    int64_t imm;
    ir_helper_fn fn;
    const char *name; /* helper name, for -d op */
};

struct ir_block {
    struct ir_insn *insns;
    unsigned count;
    unsigned capacity;
    unsigned ntemps;
    unsigned nlabels;
    bool overflow;   /* too many insns/temps: the translator ends the block early */
};

void ir_block_init(struct ir_block *b, struct ir_insn *storage, unsigned capacity);
void ir_block_reset(struct ir_block *b);
ir_temp ir_new_temp(struct ir_block *b);
unsigned ir_new_label(struct ir_block *b);

/* Builders: each returns the destination temp. */
ir_temp ir_movi(struct ir_block *b, uint64_t imm);
ir_temp ir_mov(struct ir_block *b, ir_temp a);
void ir_mov_to(struct ir_block *b, ir_temp d, ir_temp a);
ir_temp ir_ldc(struct ir_block *b, unsigned size, size_t offset);
void ir_stc(struct ir_block *b, unsigned size, size_t offset, ir_temp a);
ir_temp ir_binop(struct ir_block *b, enum ir_op op, ir_temp a, ir_temp c);
ir_temp ir_binopi(struct ir_block *b, enum ir_op op, ir_temp a, uint64_t imm);
ir_temp ir_rot(struct ir_block *b, enum ir_op op, unsigned size, ir_temp a, ir_temp count);
ir_temp ir_unop(struct ir_block *b, enum ir_op op, ir_temp a);
ir_temp ir_ext(struct ir_block *b, enum ir_op op, unsigned size, ir_temp a);
ir_temp ir_setcc(struct ir_block *b, enum ir_cond cond, ir_temp a, ir_temp c);
ir_temp ir_select(struct ir_block *b, enum ir_cond cond, ir_temp a, ir_temp c, ir_temp t,
                  ir_temp f);
ir_temp ir_ld(struct ir_block *b, unsigned size, ir_temp addr);
ir_temp ir_ld_rmw(struct ir_block *b, unsigned size, ir_temp addr);
void ir_st(struct ir_block *b, unsigned size, ir_temp addr, ir_temp value);
ir_temp ir_call(struct ir_block *b, ir_helper_fn fn, const char *name, unsigned nargs,
                ir_temp a0, ir_temp a1, ir_temp a2, ir_temp a3);
void ir_call_void(struct ir_block *b, ir_helper_fn fn, const char *name, unsigned nargs,
                  ir_temp a0, ir_temp a1, ir_temp a2, ir_temp a3);
void ir_label(struct ir_block *b, unsigned label);
void ir_br(struct ir_block *b, unsigned label);
void ir_brcond(struct ir_block *b, enum ir_cond cond, ir_temp a, ir_temp c, unsigned label);
void ir_exit(struct ir_block *b, int chain_slot);
void ir_vec(struct ir_block *b, uint64_t desc);

/* Constant folding, dead flag/RIP stores and dead code; run before
 * ir_block_finalize (it works on label numbers). */
void ir_optimize(struct ir_block *b);

/* Resolves label numbers in branches to insn indices (after translation,
 * before execution). Returns -1 on a branch to a missing label. */
int ir_block_finalize(struct ir_block *b);

/* Interpreter backend: runs the block against c until an IR_EXIT; returns
 * its chain slot (or -1). Guest faults unwind through c->unwind. */
int ir_interp_run(const struct ir_block *b, struct cpu_exec *c, uint64_t *temps);

/* One IR insn as text, for -d op. */
void ir_insn_format(const struct ir_insn *insn, char *buf, size_t len);
const char *ir_op_name(enum ir_op op);

/* Evaluates a condition (shared by the backends and the optimiser). */
static inline bool ir_cond_eval(enum ir_cond cond, uint64_t a, uint64_t b)
{
    switch (cond) {
    case IR_EQ: return a == b;
    case IR_NE: return a != b;
    case IR_LTU: return a < b;
    case IR_LEU: return a <= b;
    case IR_GTU: return a > b;
    case IR_GEU: return a >= b;
    case IR_LT: return (int64_t)a < (int64_t)b;
    case IR_LE: return (int64_t)a <= (int64_t)b;
    case IR_GT: return (int64_t)a > (int64_t)b;
    case IR_GE: return (int64_t)a >= (int64_t)b;
    case IR_TSTZ: return (a & b) == 0;
    case IR_TSTNZ: return (a & b) != 0;
    }
    return false;
}

#endif
