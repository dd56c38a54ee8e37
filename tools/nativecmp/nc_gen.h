/* nativecmp: the random sequence generator. A case is a pure function of
 * (seed, index, classes): same inputs, same bytes, on any host. */
#ifndef VX86_NATIVECMP_NC_GEN_H
#define VX86_NATIVECMP_NC_GEN_H

#include <stddef.h>
#include <stdint.h>

#include "tools/nativecmp/nc_case.h"

/* Instruction classes, selectable with --classes. */
enum {
    NC_CLASS_ALU = 1u << 0,     /* ADD OR ADC SBB AND SUB XOR CMP TEST, all forms */
    NC_CLASS_UNARY = 1u << 1,   /* INC DEC NEG NOT */
    NC_CLASS_SHIFT = 1u << 2,   /* ROL ROR RCL RCR SHL SHR SAL SAR, SHLD SHRD */
    NC_CLASS_MULDIV = 1u << 3,  /* MUL IMUL(1/2/3 operands) DIV IDIV */
    NC_CLASS_BCD = 1u << 4,     /* DAA DAS AAA AAS AAM AAD (32-bit; #UD in 64) */
    NC_CLASS_BIT = 1u << 5,     /* BT BTS BTR BTC, BSF BSR, BSWAP */
    NC_CLASS_CNT = 1u << 6,     /* POPCNT LZCNT TZCNT (needs the host to have them) */
    NC_CLASS_XCHG = 1u << 7,    /* XCHG XADD CMPXCHG CMPXCHG8B CMPXCHG16B */
    NC_CLASS_COND = 1u << 8,    /* CMOVcc SETcc */
    NC_CLASS_BRANCH = 1u << 9,  /* Jcc JMP JCXZ LOOPcc CALL RET, direct and indirect */
    NC_CLASS_MOV = 1u << 10,    /* MOV MOVZX MOVSX MOVSXD XLAT, moffs */
    NC_CLASS_LEA = 1u << 11,    /* LEA in every addressing form */
    NC_CLASS_STACK = 1u << 12,  /* PUSH POP PUSHF POPF PUSHA POPA ENTER LEAVE */
    NC_CLASS_STRING = 1u << 13, /* MOVS CMPS STOS LODS SCAS with REP/REPE/REPNE */
    NC_CLASS_FLAGS = 1u << 14,  /* LAHF SAHF CLC STC CMC CLD STD SALC */
    NC_CLASS_CONV = 1u << 15,   /* CBW CWDE CDQE CWD CDQ CQO */
    NC_CLASS_FAULT = 1u << 16,  /* UD2 INT3 INT n INTO BOUND HLT CLI STI IN OUT,
                                   opcodes invalid in 64-bit mode, LOCK misuse */
    NC_CLASS_MISC = 1u << 17,   /* NOP forms, PAUSE, ARPL */
    NC_CLASS_INT = (1u << 18) - 1,  /* "int": every class above */
    NC_CLASS_MMX = 1u << 18,    /* MMX and the SSSE3/SSE4 MMX forms, MOVQ2DQ, EMMS */
    NC_CLASS_SSEFP = 1u << 19,  /* SSE..SSE4.1 floating point: moves, arithmetic,
                                   compares, conversions, shuffles, rounding */
    NC_CLASS_SSEINT = 1u << 20, /* SSE2..SSE4.1 integer on XMM, inserts/extracts */
    NC_CLASS_SSESTR = 1u << 21, /* SSE4.2 PCMPESTRI/ESTRM/ISTRI/ISTRM */
    NC_CLASS_SSESTATE = 1u << 22, /* LDMXCSR STMXCSR FXSAVE FXRSTOR, fences */
    NC_CLASS_X87 = 1u << 23,    /* x87 loads, stores, arithmetic, control, mixed with MMX */
    NC_CLASS_CRC = 1u << 24,    /* CRC32, MOVBE */
    NC_CLASS_SSE = ((1u << 25) - 1) & ~(uint32_t)NC_CLASS_INT, /* "sse": the seven above */
    NC_CLASS_ALL = (1u << 25) - 1,
    /* Not a class: "knownbugs" lets the generator emit the forms it
     * otherwise avoids because they hit vx86 bugs not yet fixed (none at
     * present; each would be marked where the generator avoids it), to
     * replay or re-check them. Never in "all". */
    NC_GEN_KNOWN_BUGS = 1u << 31,
};

/* Every class this host can run (CNT only with POPCNT and LZCNT/TZCNT, the
 * SSE classes with SSE4.2 and what comes before it, CRC with MOVBE). */
uint32_t nc_gen_host_classes(void);

/* Parses "all", "alu,shift", "all,-fault", "int,sse" ("int" and "sse" are
 * the integer and the MMX/SSE/x87 groups). Returns 0, or -1 with the bad
 * word copied to bad. */
int nc_gen_parse_classes(const char *list, uint32_t *classes, char *bad, size_t bad_len);
/* Writes the classes as a list nc_gen_parse_classes() reads back. */
void nc_gen_format_classes(uint32_t classes, char *buf, size_t len);

/* The mode a case index runs in: even indices 64-bit, odd 32-bit. */
enum nc_mode nc_gen_mode_for_index(uint64_t index);

/* Fills *c with case (seed, index): initial registers, flags, data area and
 * a sequence of 1-8 generated items (an item is one instruction under test,
 * sometimes preceded by the set-up instructions it needs). */
void nc_case_generate(struct nc_case *c, uint64_t seed, uint64_t index, uint32_t classes);

#endif
