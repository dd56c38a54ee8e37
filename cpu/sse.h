/* MMX/SSE..SSE4.2 semantics as pure functions on register values: the
 * translator's helper (cpu/helpers_sse.c) fetches the operands, calls these,
 * and writes back, faults and all. Split by domain: sse_int.c, sse_fp.c. */
#ifndef VX86_CPU_SSE_H
#define VX86_CPU_SSE_H

#include <stdbool.h>
#include <stdint.h>

/* One 128-bit XMM value (an MMX value uses the low 8 bytes). Little-endian
 * lanes, as in memory. */
union sse_reg {
    uint8_t b[16];
    int8_t sb[16];
    uint16_t w[8];
    int16_t sw[8];
    uint32_t d[4];
    int32_t sd[4];
    uint64_t q[2];
    int64_t sq[2];
    float f[4];
    double fd[2];
};

/* Mandatory-prefix column of the instruction (as in cpu/decode_tables.h). */
enum sse_pfx { SSE_PFX_NONE, SSE_PFX_66, SSE_PFX_F3, SSE_PFX_F2 };

/* MXCSR bits */
#define SSE_MXCSR_IE  0x0001u
#define SSE_MXCSR_DE  0x0002u
#define SSE_MXCSR_ZE  0x0004u
#define SSE_MXCSR_OE  0x0008u
#define SSE_MXCSR_UE  0x0010u
#define SSE_MXCSR_PE  0x0020u
#define SSE_MXCSR_DAZ 0x0040u
#define SSE_MXCSR_MASKS 0x1f80u  /* IM DM ZM OM UM PM: flag bit << 7 */
#define SSE_MXCSR_RC_SHIFT 13    /* 0 nearest, 1 down, 2 up, 3 toward zero */
#define SSE_MXCSR_FZ  0x8000u
#define SSE_MXCSR_RESET 0x1f80u

/* Everything one instruction sees and produces.
 *
 * Operand conventions (destination first, SDM order):
 *  - dst holds the destination's current value when the destination is an
 *    XMM/MMX register, zero when it is a general register or memory; the
 *    function leaves the result there. A general-register result goes in
 *    dst.q[0] (the caller truncates to 32 bits unless REX.W); a memory
 *    result is dst's low bytes (the operand size from the decode table).
 *  - src is the source operand: a register's value, the bytes loaded from
 *    memory (zero above the operand size), or a general register's value
 *    zero-extended into q[0]. For instructions whose only operands are a
 *    destination and a source that is the destination's register (none
 *    today) nothing special applies.
 *  - MMX forms (no prefix where the 66 form is the SSE2 one) have
 *    width == 8: only the low 8 bytes of dst/src matter and the result must
 *    leave dst.q[1] alone.
 */
struct sse_ctx {
    /* the instruction */
    uint8_t map;      /* 1: 0F xx, 2: 0F 38 xx, 3: 0F 3A xx */
    uint8_t opcode;   /* within the map */
    uint8_t pfx;      /* enum sse_pfx */
    uint8_t reg;      /* ModRM.reg: selects in the 0F 71-73 shift groups */
    uint8_t imm;      /* the imm8, for the forms that have one */
    bool src_mem;     /* the source operand came from memory */
    bool rex_w;       /* REX.W (64-bit general-register operand) */
    uint8_t width;    /* 8 (MMX register forms) or 16 (XMM) */
    /* operands */
    union sse_reg dst;
    union sse_reg src;
    union sse_reg xmm0;   /* implicit XMM0 of BLENDVPS/BLENDVPD/PBLENDVB */
    uint64_t rax, rdx;    /* implicit lengths of PCMPESTRI/PCMPESTRM */
    uint32_t mxcsr;       /* in and out (exception flags accumulate here) */
    /* further results */
    bool no_dst;          /* the destination is not written (COMISS, PTEST, PCMPxSTRI) */
    bool set_flags;       /* eflags holds new CF PF AF ZF SF OF */
    uint32_t eflags;
    bool set_rcx;         /* PCMPxSTRI: rcx holds the new ECX */
    uint32_t rcx;
};

enum sse_result {
    SSE_OK = 0,
    SSE_NOT_MINE = 1, /* this domain does not define the opcode: try the other */
    SSE_UD = 2,       /* undefined / not offered: #UD */
    SSE_XM = 3,       /* unmasked SIMD floating-point exception: flags are set
                       * in mxcsr, dst must not be written (#XM or #UD) */
};

/* Integer, shuffle and move operations of MMX, SSE2, SSSE3, SSE4.1, SSE4.2
 * (sse_int.c). */
enum sse_result sse_int_exec(struct sse_ctx *s);
/* The SSE4.2 string compares PCMPESTRM/ESTRI/ISTRM/ISTRI (0F 3A 60-63;
 * sse_string.c, reached through sse_int_exec). */
enum sse_result sse_string_exec(struct sse_ctx *s);
/* Floating-point operations and their moves, conversions, compares,
 * shuffles (sse_fp.c). */
enum sse_result sse_fp_exec(struct sse_ctx *s);

#endif
