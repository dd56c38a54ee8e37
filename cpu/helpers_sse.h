/* The MMX/SSE helpers that translated code calls, and the packed
 * descriptor by which the translator tells helper_sse what the instruction
 * and its operands are (decoded once, at translation time). */
#ifndef VX86_CPU_HELPERS_SSE_H
#define VX86_CPU_HELPERS_SSE_H

#include "cpu/helpers.h"

/* Operand kinds in a descriptor. */
enum sse_operand_kind { SSE_OPND_NONE, SSE_OPND_XMM, SSE_OPND_MMX, SSE_OPND_GPR, SSE_OPND_MEM };

/* Descriptor layout (a0 of helper_sse):
 *   0-1 map, 2-3 prefix column, 4-11 opcode, 12-14 ModRM.reg, 15-22 imm8,
 *   23 REX.W, 24-26 destination kind, 27-30 destination register,
 *   31-33 source kind, 34-37 source register, 38-42 memory size,
 *   43-46 general-register size (of the GPR operand), 47 MMX form. */
#define SSE_DESC(map, col, opc, reg, imm, rexw, dk, dr, sk, sr, msize, gsize, w8) \
    ((uint64_t)(map) | (uint64_t)(col) << 2 | (uint64_t)(opc) << 4 | (uint64_t)(reg) << 12 | \
     (uint64_t)(imm) << 15 | (uint64_t)(rexw) << 23 | (uint64_t)(dk) << 24 |                  \
     (uint64_t)(dr) << 27 | (uint64_t)(sk) << 31 | (uint64_t)(sr) << 34 |                     \
     (uint64_t)(msize) << 38 | (uint64_t)(gsize) << 43 | (uint64_t)(w8) << 47)
#define SSE_DESC_MAP(d)       ((unsigned)((d) & 3))
#define SSE_DESC_COL(d)       ((unsigned)((d) >> 2) & 3)
#define SSE_DESC_OPCODE(d)    ((unsigned)((d) >> 4) & 0xff)
#define SSE_DESC_MODRM_REG(d) ((unsigned)((d) >> 12) & 7)
#define SSE_DESC_IMM(d)       ((unsigned)((d) >> 15) & 0xff)
#define SSE_DESC_REXW(d)      (((d) >> 23) & 1)
#define SSE_DESC_DKIND(d)     ((unsigned)((d) >> 24) & 7)
#define SSE_DESC_DREG(d)      ((unsigned)((d) >> 27) & 15)
#define SSE_DESC_SKIND(d)     ((unsigned)((d) >> 31) & 7)
#define SSE_DESC_SREG(d)      ((unsigned)((d) >> 34) & 15)
#define SSE_DESC_MSIZE(d)     ((unsigned)((d) >> 38) & 31)
#define SSE_DESC_GSIZE(d)     ((unsigned)((d) >> 43) & 15)
#define SSE_DESC_WIDTH8(d)    (((d) >> 47) & 1)

HELPER(helper_sse);          /* descriptor, memory offset, segment */
HELPER(helper_sse_maskmov);  /* src | mask << 4 | mmx << 8, offset of rDI, segment */
HELPER(helper_emms);
HELPER(helper_mxcsr);        /* 0 LDMXCSR / 1 STMXCSR, offset, segment */
HELPER(helper_crc32);        /* crc, value, size -> new crc (CRC-32C) */
HELPER(helper_xsave);        /* linear, 0 XSAVE / 1 XRSTOR, 64-bit form */
HELPER(helper_xcr);          /* 0 XGETBV / 1 XSETBV */

#endif

/* IR_VEC: a 128-bit integer operation of the 66-prefixed SSE2..SSE4.1 set
 * on two 16-byte fields of the execution context (XMM registers, or the
 * scratch a memory operand was loaded into). The x86-64 code generator
 * runs it as the host instruction itself; the IR interpreter through
 * sse_vec_run. Descriptor (the IR insn's imm):
 *   0-7 opcode, 8-9 map (1 0F, 2 0F 38, 3 0F 3A), 10-17 imm8, 18 has imm8,
 *   19-39 destination offset, 40-60 source offset. */
#define SSE_VEC_DESC(map, opc, has_imm, imm, dst_off, src_off) \
    ((uint64_t)(opc) | (uint64_t)(map) << 8 | (uint64_t)(imm) << 10 | (uint64_t)(has_imm) << 18 | \
     (uint64_t)(dst_off) << 19 | (uint64_t)(src_off) << 40)
#define SSE_VEC_OPCODE(d)  ((unsigned)((d) & 0xff))
#define SSE_VEC_MAP(d)     ((unsigned)((d) >> 8) & 3)
#define SSE_VEC_IMM(d)     ((unsigned)((d) >> 10) & 0xff)
#define SSE_VEC_HAS_IMM(d) (((d) >> 18) & 1)
#define SSE_VEC_DST(d)     ((size_t)((d) >> 19) & 0x1fffff)
#define SSE_VEC_SRC(d)     ((size_t)((d) >> 40) & 0x1fffff)

/* Whether the 66-prefixed map/opcode is one IR_VEC can carry (register or
 * 16-byte memory source, no implicit operand, no flags, no general
 * register); has_imm tells whether it takes an imm8. */
bool sse_vec_form(unsigned map, unsigned opcode, bool *has_imm);
/* Runs an IR_VEC descriptor on c (the interpreter's way). */
void sse_vec_run(struct cpu_exec *c, uint64_t desc);
