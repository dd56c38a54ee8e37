/* A decoded x86 instruction: what the decoder (cpu/decode.c) produces and the
 * translator consumes. One format for 16-, 32- and 64-bit code. */
#ifndef VX86_CPU_X86_INSN_H
#define VX86_CPU_X86_INSN_H

#include <stddef.h>
#include <stdint.h>

#include "cpu/x86_mnemonics.h"

#define X86_MAX_INSN_LEN 15

/* Prefix bits */
#define X86_PFX_LOCK   0x01
#define X86_PFX_REP    0x02 /* F3: REP/REPE, also a mandatory prefix */
#define X86_PFX_REPNE  0x04 /* F2 */
#define X86_PFX_OPSIZE 0x08 /* 66 */
#define X86_PFX_ADSIZE 0x10 /* 67 */
#define X86_PFX_REX    0x20 /* a REX prefix was present (AH..BH become SPL..DIL) */

enum x86_operand_kind {
    X86_OPK_NONE,
    X86_OPK_REG,    /* general register: reg 0..15, size 1/2/4/8; high8 for AH..BH */
    X86_OPK_MEM,    /* the instruction's memory operand (insn->mem) */
    X86_OPK_IMM,    /* immediate, sign- or zero-extended into value per the opcode */
    X86_OPK_REL,    /* branch target: value = address of the next insn + displacement */
    X86_OPK_SEG,    /* segment register 0..5 (ES CS SS DS FS GS) */
    X86_OPK_CR,     /* control register */
    X86_OPK_DR,     /* debug register */
    X86_OPK_FAR,    /* ptr16:16/32: value = offset, seg in insn->far_seg */
    X86_OPK_ST,     /* x87 ST(i) */
    X86_OPK_MMX,    /* MM0..7 */
    X86_OPK_XMM,    /* XMM0..15 */
};

struct x86_operand {
    uint8_t kind;   /* enum x86_operand_kind */
    uint8_t size;   /* bytes (for MEM: the access size; 0 = not an access, e.g. LEA) */
    uint8_t reg;
    uint8_t high8;  /* REG, size 1: AH/CH/DH/BH */
    int64_t value;  /* IMM/REL/FAR */
};

struct x86_mem_operand {
    int8_t seg;       /* effective segment (override or default DS/SS), 0..5 */
    int8_t base;      /* GPR or -1 */
    int8_t index;     /* GPR or -1 */
    uint8_t scale;    /* 1, 2, 4, 8 */
    uint8_t addr_size;/* 2, 4, 8 bytes */
    uint8_t rip_relative;
    int64_t disp;     /* for RIP-relative: already includes the next insn's address */
};

enum x86_cond { /* the 16 condition codes, in encoding order */
    X86_CC_O, X86_CC_NO, X86_CC_B, X86_CC_AE, X86_CC_E, X86_CC_NE, X86_CC_BE, X86_CC_A,
    X86_CC_S, X86_CC_NS, X86_CC_P, X86_CC_NP, X86_CC_L, X86_CC_GE, X86_CC_LE, X86_CC_G,
};

struct x86_insn {
    uint16_t mnemonic;     /* enum x86_mnemonic */
    uint8_t len;           /* bytes, 1..15 */
    uint8_t opsize;        /* effective operand size: 2, 4, 8 */
    uint8_t addrsize;      /* effective address size: 2, 4, 8 */
    uint8_t prefixes;      /* X86_PFX_* */
    int8_t seg_override;   /* 0..5 or -1 */
    uint8_t rex;           /* the REX byte (0 if none) */
    uint8_t map;           /* 0: one-byte, 1: 0F, 2: 0F 38, 3: 0F 3A */
    uint8_t opcode;        /* the opcode byte within its map */
    uint8_t pfx_col;       /* escape maps: mandatory-prefix column (0 none, 1 66, 2 F3, 3 F2) */
    uint8_t modrm;         /* raw ModRM byte (valid if has_modrm) */
    uint8_t has_modrm;
    uint8_t cond;          /* enum x86_cond for Jcc/SETcc/CMOVcc */
    uint8_t nops;          /* operands used in op[] */
    struct x86_operand op[3];  /* destination first, SDM order */
    struct x86_mem_operand mem;
    uint16_t far_seg;      /* FAR operand selector; ENTER's second immediate */
    uint64_t pc;           /* address (code-segment offset) of the first byte */
};

#define X86_DECODE_UD     (-1) /* undefined encoding, LOCK where not allowed: #UD */
#define X86_DECODE_TRUNC  (-2) /* the bytes end before the instruction does */
#define X86_DECODE_TOOLONG (-3) /* more than 15 bytes: #GP(0) */

/* Decodes one instruction from buf (avail bytes) for code of the given
 * default size (16, 32 or 64; 64 = long mode with CS.L). pc is the
 * instruction's address, used for REL and RIP-relative operands.
 * Returns the length, or one of X86_DECODE_*. */
int x86_decode(const uint8_t *buf, size_t avail, unsigned code_bits, uint64_t pc,
               struct x86_insn *insn);
/* One line of text for logs ("add eax, [ebx+4]"), for -d in_asm when
 * capstone is not wanted and for test failure messages. */
void x86_insn_format(const struct x86_insn *insn, char *buf, size_t len);

#endif
