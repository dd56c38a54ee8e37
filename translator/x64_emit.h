/* A small x86-64 instruction encoder for the code generator: the integer
 * forms it lowers IR to, register and [base + index*scale + disp] operands. */
#ifndef VX86_TRANSLATOR_X64_EMIT_H
#define VX86_TRANSLATOR_X64_EMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum x64_reg {
    X64_RAX, X64_RCX, X64_RDX, X64_RBX, X64_RSP, X64_RBP, X64_RSI, X64_RDI,
    X64_R8, X64_R9, X64_R10, X64_R11, X64_R12, X64_R13, X64_R14, X64_R15,
    X64_NOREG = -1,
};

/* Condition codes in the encoding's order (Jcc = 0x70 + cc). */
enum x64_cc {
    X64_CC_O, X64_CC_NO, X64_CC_B, X64_CC_AE, X64_CC_E, X64_CC_NE, X64_CC_BE, X64_CC_A,
    X64_CC_S, X64_CC_NS, X64_CC_P, X64_CC_NP, X64_CC_L, X64_CC_GE, X64_CC_LE, X64_CC_G,
};

/* Group 1 ALU operations (the /digit of 0x81/0x83). */
enum x64_alu { X64_ADD, X64_OR, X64_ADC, X64_SBB, X64_AND, X64_SUB, X64_XOR, X64_CMP };

/* Group 2 shifts and rotates (the /digit of 0xC1/0xD3). */
enum x64_shift { X64_ROL = 0, X64_ROR = 1, X64_SHL = 4, X64_SHR = 5, X64_SAR = 7 };

struct x64_mem {
    int8_t base;   /* enum x64_reg; X64_NOREG not supported */
    int8_t index;  /* X64_NOREG for none; never RSP */
    uint8_t scale; /* 1, 2, 4, 8 */
    int32_t disp;
};

struct x64_asm {
    uint8_t *buf;   /* where bytes are written (the writable view) */
    size_t cap;
    size_t len;     /* keeps counting past cap: overflow = len > cap */
};

static inline struct x64_mem x64_mem_bd(int base, int32_t disp)
{
    struct x64_mem m = { (int8_t)base, X64_NOREG, 1, disp };
    return m;
}

static inline struct x64_mem x64_mem_bisd(int base, int index, unsigned scale, int32_t disp)
{
    struct x64_mem m = { (int8_t)base, (int8_t)index, (uint8_t)scale, disp };
    return m;
}

static inline bool x64_overflowed(const struct x64_asm *a)
{
    return a->len > a->cap;
}

static inline bool x64_fits_i32(int64_t v)
{
    return v == (int64_t)(int32_t)v;
}

void x64_byte(struct x64_asm *a, uint8_t b);
void x64_u32(struct x64_asm *a, uint32_t v);

/* Register forms. size is the operand size in bytes (1, 2, 4, 8); 32-bit
 * results zero-extend into the full register as the hardware does. */
void x64_mov_rr(struct x64_asm *a, unsigned size, int dst, int src);
void x64_mov_ri(struct x64_asm *a, int dst, uint64_t imm);          /* shortest form */
void x64_mov_ri_keep_flags(struct x64_asm *a, int dst, uint64_t imm); /* never xor */
void x64_alu_rr(struct x64_asm *a, enum x64_alu op, unsigned size, int dst, int src);
void x64_alu_ri(struct x64_asm *a, enum x64_alu op, unsigned size, int dst, int32_t imm);
void x64_test_rr(struct x64_asm *a, unsigned size, int r1, int r2);
void x64_test_ri(struct x64_asm *a, unsigned size, int r, int32_t imm);
void x64_test_rm(struct x64_asm *a, unsigned size, int r, struct x64_mem m);
void x64_shift_cl(struct x64_asm *a, enum x64_shift op, unsigned size, int r);
void x64_shift_ri(struct x64_asm *a, enum x64_shift op, unsigned size, int r, uint8_t imm);
void x64_imul_rr(struct x64_asm *a, int dst, int src);              /* 64-bit */
void x64_imul_rri(struct x64_asm *a, int dst, int src, int32_t imm); /* 64-bit */
void x64_mul1(struct x64_asm *a, bool is_signed, int src);          /* rdx:rax = rax * src */
void x64_neg(struct x64_asm *a, int r);
void x64_not(struct x64_asm *a, int r);
void x64_movzx_rr(struct x64_asm *a, int dst, int src, unsigned src_size); /* 1, 2 */
void x64_movsx_rr(struct x64_asm *a, int dst, int src, unsigned src_size); /* 1, 2, 4 -> 64 */
void x64_setcc(struct x64_asm *a, enum x64_cc cc, int r8);
void x64_cmov_rr(struct x64_asm *a, enum x64_cc cc, int dst, int src);  /* 64-bit */

/* Memory forms. */
void x64_load(struct x64_asm *a, unsigned size, int dst, struct x64_mem m); /* zero-extends */
void x64_store(struct x64_asm *a, unsigned size, struct x64_mem m, int src);
void x64_store_imm(struct x64_asm *a, unsigned size, struct x64_mem m, int32_t imm);
void x64_lea(struct x64_asm *a, int dst, struct x64_mem m);
void x64_lea32(struct x64_asm *a, int dst, struct x64_mem m);        /* zero-extends */
void x64_alu_rm(struct x64_asm *a, enum x64_alu op, unsigned size, int dst, struct x64_mem m);
void x64_alu_mi(struct x64_asm *a, enum x64_alu op, unsigned size, struct x64_mem m, int32_t imm);
void x64_cmov_rm(struct x64_asm *a, enum x64_cc cc, int dst, struct x64_mem m);

/* Control flow. The rel32 forms return the offset of their 32-bit field,
 * to be resolved with x64_patch_rel32 (target as an offset in the same
 * buffer). */
size_t x64_jmp32(struct x64_asm *a);
size_t x64_jcc32(struct x64_asm *a, enum x64_cc cc);
size_t x64_call32(struct x64_asm *a);
void x64_patch_rel32(struct x64_asm *a, size_t field, size_t target);
void x64_call_abs(struct x64_asm *a, const void *fn);               /* via rax */
void x64_call_r(struct x64_asm *a, int r);
void x64_jmp_r(struct x64_asm *a, int r);
void x64_push(struct x64_asm *a, int r);
void x64_pop(struct x64_asm *a, int r);
void x64_ret(struct x64_asm *a);

#endif
