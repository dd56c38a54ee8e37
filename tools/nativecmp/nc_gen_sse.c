/* nativecmp: the MMX, SSE..SSE4.2, x87, MXCSR/FXSAVE, CRC32 and MOVBE items
 * of the generator and the initial x87/SSE state of a case. The forms come
 * from a table transcribed from the opcode maps of the Intel SDM vol. 2
 * (appendix A: 0F, 0F 38, 0F 3A by mandatory prefix) for what vx86 offers:
 * AES, SHA and PCLMULQDQ are left out (vx86 does not implement them). */
/* Compiled through nc_gen.c (see its end), not on its own. */
#include <string.h>

#include "tools/nativecmp/nc_gen.h"
#include "tools/nativecmp/nc_gen_internal.h"

/* What the ModRM.reg field holds */
enum { SR_V = 1, SR_P, SR_G, SR_GRP };
/* What the ModRM.rm field holds: XMM or memory, XMM only, memory only, MMX
 * or memory, MMX only, general register or memory */
enum { SM_W = 1, SM_U, SM_M, SM_Q, SM_N, SM_E };

#define F_IMM 0x01u   /* an imm8 follows */
#define F_RMW 0x02u   /* the rm operand is the destination */
#define F_GW 0x04u    /* the reg field's general register is written */
#define F_UNAL 0x08u  /* a 16-byte memory operand may be misaligned */
#define F_FLAGS 0x10u /* writes the six arithmetic flags (none undefined) */
#define F_W 0x20u     /* REX.W selects a 64-bit general register (and, with
                         msize 0, an 8-byte memory operand instead of 4) */
#define F_ESTR 0x40u  /* PCMPESTRx: lengths in rAX and rDX */
#define F_STRI 0x80u  /* PCMPxSTRI: writes ECX */

enum { C_MMX, C_FP, C_INT, C_STR, C_COUNT };

struct sse_form {
    uint8_t map;    /* 1: 0F, 2: 0F 38, 3: 0F 3A */
    uint8_t opc;
    uint8_t pfx;    /* mandatory prefix or 0 */
    uint8_t regk, rmk;
    uint8_t msize;  /* memory operand bytes */
    uint8_t ext;    /* SR_GRP: the ModRM.reg opcode extension */
    uint8_t flags;
    uint8_t cls;
};

#define NP 0x00
#define P66 0x66
#define PF3 0xf3
#define PF2 0xf2

#define T(map, opc, pfx, rk, mk, ms, fl, cls) { map, opc, pfx, rk, mk, ms, 0, fl, cls }
#define TG(opc, pfx, ext, mk, cls) { 1, opc, pfx, SR_GRP, mk, 0, ext, F_IMM, cls }
/* packed single, packed double, scalar single, scalar double */
#define PSD(opc, fl) T(1, opc, NP, SR_V, SM_W, 16, fl, C_FP), T(1, opc, P66, SR_V, SM_W, 16, fl, C_FP), \
                     T(1, opc, PF3, SR_V, SM_W, 4, fl, C_FP), T(1, opc, PF2, SR_V, SM_W, 8, fl, C_FP)
#define PSPD(opc) T(1, opc, NP, SR_V, SM_W, 16, 0, C_FP), T(1, opc, P66, SR_V, SM_W, 16, 0, C_FP)
/* an MMX form without prefix (memory operand ms bytes), its SSE2 form with 66 */
#define MXS(map, opc, ms) T(map, opc, NP, SR_P, SM_Q, ms, 0, C_MMX), T(map, opc, P66, SR_V, SM_W, 16, 0, C_INT)
#define MX(opc) MXS(1, opc, 8)
#define X66(map, opc, ms, fl, cls) T(map, opc, P66, SR_V, SM_W, ms, fl, cls)

static const struct sse_form sse_forms[] = {
    /* 0F 10-17: moves */
    T(1, 0x10, NP, SR_V, SM_W, 16, F_UNAL, C_FP), T(1, 0x10, P66, SR_V, SM_W, 16, F_UNAL, C_FP),
    T(1, 0x10, PF3, SR_V, SM_W, 4, 0, C_FP), T(1, 0x10, PF2, SR_V, SM_W, 8, 0, C_FP),
    T(1, 0x11, NP, SR_V, SM_W, 16, F_UNAL | F_RMW, C_FP), T(1, 0x11, P66, SR_V, SM_W, 16, F_UNAL | F_RMW, C_FP),
    T(1, 0x11, PF3, SR_V, SM_W, 4, F_RMW, C_FP), T(1, 0x11, PF2, SR_V, SM_W, 8, F_RMW, C_FP),
    T(1, 0x12, NP, SR_V, SM_W, 8, 0, C_FP),      /* MOVLPS, MOVHLPS */
    T(1, 0x12, P66, SR_V, SM_M, 8, 0, C_FP),     /* MOVLPD */
    T(1, 0x12, PF3, SR_V, SM_W, 16, 0, C_FP),    /* MOVSLDUP */
    T(1, 0x12, PF2, SR_V, SM_W, 8, 0, C_FP),     /* MOVDDUP */
    T(1, 0x13, NP, SR_V, SM_M, 8, F_RMW, C_FP), T(1, 0x13, P66, SR_V, SM_M, 8, F_RMW, C_FP),
    PSPD(0x14), PSPD(0x15),
    T(1, 0x16, NP, SR_V, SM_W, 8, 0, C_FP),      /* MOVHPS, MOVLHPS */
    T(1, 0x16, P66, SR_V, SM_M, 8, 0, C_FP),     /* MOVHPD */
    T(1, 0x16, PF3, SR_V, SM_W, 16, 0, C_FP),    /* MOVSHDUP */
    T(1, 0x17, NP, SR_V, SM_M, 8, F_RMW, C_FP), T(1, 0x17, P66, SR_V, SM_M, 8, F_RMW, C_FP),
    /* 0F 28-2F: aligned moves, conversions with MMX/GPR, compares */
    PSPD(0x28),
    T(1, 0x29, NP, SR_V, SM_W, 16, F_RMW, C_FP), T(1, 0x29, P66, SR_V, SM_W, 16, F_RMW, C_FP),
    T(1, 0x2a, NP, SR_V, SM_Q, 8, 0, C_FP), T(1, 0x2a, P66, SR_V, SM_Q, 8, 0, C_FP),
    T(1, 0x2a, PF3, SR_V, SM_E, 0, F_W, C_FP), T(1, 0x2a, PF2, SR_V, SM_E, 0, F_W, C_FP),
    T(1, 0x2b, NP, SR_V, SM_M, 16, F_RMW, C_FP), T(1, 0x2b, P66, SR_V, SM_M, 16, F_RMW, C_FP),
    T(1, 0x2c, NP, SR_P, SM_W, 8, 0, C_FP), T(1, 0x2d, NP, SR_P, SM_W, 8, 0, C_FP),
    T(1, 0x2c, P66, SR_P, SM_W, 16, 0, C_FP), T(1, 0x2d, P66, SR_P, SM_W, 16, 0, C_FP),
    T(1, 0x2c, PF3, SR_G, SM_W, 4, F_GW | F_W, C_FP), T(1, 0x2d, PF3, SR_G, SM_W, 4, F_GW | F_W, C_FP),
    T(1, 0x2c, PF2, SR_G, SM_W, 8, F_GW | F_W, C_FP), T(1, 0x2d, PF2, SR_G, SM_W, 8, F_GW | F_W, C_FP),
    T(1, 0x2e, NP, SR_V, SM_W, 4, F_FLAGS, C_FP), T(1, 0x2f, NP, SR_V, SM_W, 4, F_FLAGS, C_FP),
    T(1, 0x2e, P66, SR_V, SM_W, 8, F_FLAGS, C_FP), T(1, 0x2f, P66, SR_V, SM_W, 8, F_FLAGS, C_FP),
    /* 0F 50-5F: arithmetic */
    T(1, 0x50, NP, SR_G, SM_U, 0, F_GW | F_W, C_FP), T(1, 0x50, P66, SR_G, SM_U, 0, F_GW | F_W, C_FP),
    PSD(0x51, 0),
    T(1, 0x52, NP, SR_V, SM_W, 16, 0, C_FP), T(1, 0x52, PF3, SR_V, SM_W, 4, 0, C_FP),
    T(1, 0x53, NP, SR_V, SM_W, 16, 0, C_FP), T(1, 0x53, PF3, SR_V, SM_W, 4, 0, C_FP),
    PSPD(0x54), PSPD(0x55), PSPD(0x56), PSPD(0x57),
    PSD(0x58, 0), PSD(0x59, 0),
    T(1, 0x5a, NP, SR_V, SM_W, 8, 0, C_FP), T(1, 0x5a, P66, SR_V, SM_W, 16, 0, C_FP),
    T(1, 0x5a, PF3, SR_V, SM_W, 4, 0, C_FP), T(1, 0x5a, PF2, SR_V, SM_W, 8, 0, C_FP),
    T(1, 0x5b, NP, SR_V, SM_W, 16, 0, C_FP), T(1, 0x5b, P66, SR_V, SM_W, 16, 0, C_FP),
    T(1, 0x5b, PF3, SR_V, SM_W, 16, 0, C_FP),
    PSD(0x5c, 0), PSD(0x5d, 0), PSD(0x5e, 0), PSD(0x5f, 0),
    /* 0F 60-7F: MMX/SSE2 integer */
    MXS(1, 0x60, 4), MXS(1, 0x61, 4), MXS(1, 0x62, 4),
    MX(0x63), MX(0x64), MX(0x65), MX(0x66), MX(0x67), MX(0x68), MX(0x69), MX(0x6a), MX(0x6b),
    X66(1, 0x6c, 16, 0, C_INT), X66(1, 0x6d, 16, 0, C_INT),
    T(1, 0x6e, NP, SR_P, SM_E, 0, F_W, C_MMX), T(1, 0x6e, P66, SR_V, SM_E, 0, F_W, C_INT),
    T(1, 0x6f, NP, SR_P, SM_Q, 8, 0, C_MMX), T(1, 0x6f, P66, SR_V, SM_W, 16, 0, C_INT),
    T(1, 0x6f, PF3, SR_V, SM_W, 16, F_UNAL, C_INT),
    T(1, 0x70, NP, SR_P, SM_Q, 8, F_IMM, C_MMX), T(1, 0x70, P66, SR_V, SM_W, 16, F_IMM, C_INT),
    T(1, 0x70, PF3, SR_V, SM_W, 16, F_IMM, C_INT), T(1, 0x70, PF2, SR_V, SM_W, 16, F_IMM, C_INT),
    TG(0x71, NP, 2, SM_N, C_MMX), TG(0x71, NP, 4, SM_N, C_MMX), TG(0x71, NP, 6, SM_N, C_MMX),
    TG(0x71, P66, 2, SM_U, C_INT), TG(0x71, P66, 4, SM_U, C_INT), TG(0x71, P66, 6, SM_U, C_INT),
    TG(0x72, NP, 2, SM_N, C_MMX), TG(0x72, NP, 4, SM_N, C_MMX), TG(0x72, NP, 6, SM_N, C_MMX),
    TG(0x72, P66, 2, SM_U, C_INT), TG(0x72, P66, 4, SM_U, C_INT), TG(0x72, P66, 6, SM_U, C_INT),
    TG(0x73, NP, 2, SM_N, C_MMX), TG(0x73, NP, 6, SM_N, C_MMX),
    TG(0x73, P66, 2, SM_U, C_INT), TG(0x73, P66, 3, SM_U, C_INT), TG(0x73, P66, 6, SM_U, C_INT),
    TG(0x73, P66, 7, SM_U, C_INT),
    MX(0x74), MX(0x75), MX(0x76),
    T(1, 0x7c, P66, SR_V, SM_W, 16, 0, C_FP), T(1, 0x7c, PF2, SR_V, SM_W, 16, 0, C_FP),
    T(1, 0x7d, P66, SR_V, SM_W, 16, 0, C_FP), T(1, 0x7d, PF2, SR_V, SM_W, 16, 0, C_FP),
    T(1, 0x7e, NP, SR_P, SM_E, 0, F_W | F_RMW, C_MMX), T(1, 0x7e, P66, SR_V, SM_E, 0, F_W | F_RMW, C_INT),
    T(1, 0x7e, PF3, SR_V, SM_W, 8, 0, C_INT),
    T(1, 0x7f, NP, SR_P, SM_Q, 8, F_RMW, C_MMX), T(1, 0x7f, P66, SR_V, SM_W, 16, F_RMW, C_INT),
    T(1, 0x7f, PF3, SR_V, SM_W, 16, F_RMW | F_UNAL, C_INT),
    /* 0F C2-C6 */
    T(1, 0xc2, NP, SR_V, SM_W, 16, F_IMM, C_FP), T(1, 0xc2, P66, SR_V, SM_W, 16, F_IMM, C_FP),
    T(1, 0xc2, PF3, SR_V, SM_W, 4, F_IMM, C_FP), T(1, 0xc2, PF2, SR_V, SM_W, 8, F_IMM, C_FP),
    T(1, 0xc3, NP, SR_G, SM_M, 0, F_W | F_RMW, C_INT),                 /* MOVNTI */
    T(1, 0xc4, NP, SR_P, SM_E, 2, F_IMM, C_MMX), T(1, 0xc4, P66, SR_V, SM_E, 2, F_IMM, C_INT),
    T(1, 0xc5, NP, SR_G, SM_N, 0, F_IMM | F_GW | F_W, C_MMX),
    T(1, 0xc5, P66, SR_G, SM_U, 0, F_IMM | F_GW | F_W, C_INT),
    T(1, 0xc6, NP, SR_V, SM_W, 16, F_IMM, C_FP), T(1, 0xc6, P66, SR_V, SM_W, 16, F_IMM, C_FP),
    /* 0F D0-FE */
    T(1, 0xd0, P66, SR_V, SM_W, 16, 0, C_FP), T(1, 0xd0, PF2, SR_V, SM_W, 16, 0, C_FP),
    MX(0xd1), MX(0xd2), MX(0xd3), MX(0xd4), MX(0xd5),
    T(1, 0xd6, P66, SR_V, SM_W, 8, F_RMW, C_INT),
    T(1, 0xd6, PF3, SR_V, SM_N, 0, 0, C_MMX),    /* MOVQ2DQ */
    T(1, 0xd6, PF2, SR_P, SM_U, 0, 0, C_MMX),    /* MOVDQ2Q */
    T(1, 0xd7, NP, SR_G, SM_N, 0, F_GW | F_W, C_MMX), T(1, 0xd7, P66, SR_G, SM_U, 0, F_GW | F_W, C_INT),
    MX(0xd8), MX(0xd9), MX(0xda), MX(0xdb), MX(0xdc), MX(0xdd), MX(0xde), MX(0xdf),
    MX(0xe0), MX(0xe1), MX(0xe2), MX(0xe3), MX(0xe4), MX(0xe5),
    T(1, 0xe6, P66, SR_V, SM_W, 16, 0, C_FP), T(1, 0xe6, PF3, SR_V, SM_W, 8, 0, C_FP),
    T(1, 0xe6, PF2, SR_V, SM_W, 16, 0, C_FP),
    T(1, 0xe7, NP, SR_P, SM_M, 8, F_RMW, C_MMX), T(1, 0xe7, P66, SR_V, SM_M, 16, F_RMW, C_INT),
    MX(0xe8), MX(0xe9), MX(0xea), MX(0xeb), MX(0xec), MX(0xed), MX(0xee), MX(0xef),
    T(1, 0xf0, PF2, SR_V, SM_M, 16, F_UNAL, C_INT),                    /* LDDQU */
    MX(0xf1), MX(0xf2), MX(0xf3), MX(0xf4), MX(0xf5), MX(0xf6),
    MX(0xf8), MX(0xf9), MX(0xfa), MX(0xfb), MX(0xfc), MX(0xfd), MX(0xfe),
    /* 0F 38: SSSE3 */
    MXS(2, 0x00, 8), MXS(2, 0x01, 8), MXS(2, 0x02, 8), MXS(2, 0x03, 8), MXS(2, 0x04, 8),
    MXS(2, 0x05, 8), MXS(2, 0x06, 8), MXS(2, 0x07, 8), MXS(2, 0x08, 8), MXS(2, 0x09, 8),
    MXS(2, 0x0a, 8), MXS(2, 0x0b, 8), MXS(2, 0x1c, 8), MXS(2, 0x1d, 8), MXS(2, 0x1e, 8),
    /* 0F 38: SSE4.1 (the blends use XMM0 implicitly) */
    X66(2, 0x10, 16, 0, C_INT), X66(2, 0x14, 16, 0, C_FP), X66(2, 0x15, 16, 0, C_FP),
    X66(2, 0x17, 16, F_FLAGS, C_INT),
    X66(2, 0x20, 8, 0, C_INT), X66(2, 0x21, 4, 0, C_INT), X66(2, 0x22, 2, 0, C_INT),
    X66(2, 0x23, 8, 0, C_INT), X66(2, 0x24, 4, 0, C_INT), X66(2, 0x25, 8, 0, C_INT),
    X66(2, 0x28, 16, 0, C_INT), X66(2, 0x29, 16, 0, C_INT),
    T(2, 0x2a, P66, SR_V, SM_M, 16, 0, C_INT),                         /* MOVNTDQA */
    X66(2, 0x2b, 16, 0, C_INT),
    X66(2, 0x30, 8, 0, C_INT), X66(2, 0x31, 4, 0, C_INT), X66(2, 0x32, 2, 0, C_INT),
    X66(2, 0x33, 8, 0, C_INT), X66(2, 0x34, 4, 0, C_INT), X66(2, 0x35, 8, 0, C_INT),
    X66(2, 0x37, 16, 0, C_INT), X66(2, 0x38, 16, 0, C_INT), X66(2, 0x39, 16, 0, C_INT),
    X66(2, 0x3a, 16, 0, C_INT), X66(2, 0x3b, 16, 0, C_INT), X66(2, 0x3c, 16, 0, C_INT),
    X66(2, 0x3d, 16, 0, C_INT), X66(2, 0x3e, 16, 0, C_INT), X66(2, 0x3f, 16, 0, C_INT),
    X66(2, 0x40, 16, 0, C_INT), X66(2, 0x41, 16, 0, C_INT),
    /* 0F 3A: SSE4.1, PALIGNR, SSE4.2 string compares (all with imm8) */
    X66(3, 0x08, 16, F_IMM, C_FP), X66(3, 0x09, 16, F_IMM, C_FP),
    X66(3, 0x0a, 4, F_IMM, C_FP), X66(3, 0x0b, 8, F_IMM, C_FP),
    X66(3, 0x0c, 16, F_IMM, C_FP), X66(3, 0x0d, 16, F_IMM, C_FP), X66(3, 0x0e, 16, F_IMM, C_INT),
    T(3, 0x0f, NP, SR_P, SM_Q, 8, F_IMM, C_MMX), X66(3, 0x0f, 16, F_IMM, C_INT),
    T(3, 0x14, P66, SR_V, SM_E, 1, F_IMM | F_RMW, C_INT),              /* PEXTRB */
    T(3, 0x15, P66, SR_V, SM_E, 2, F_IMM | F_RMW, C_INT),              /* PEXTRW */
    T(3, 0x16, P66, SR_V, SM_E, 0, F_IMM | F_RMW | F_W, C_INT),        /* PEXTRD/Q */
    T(3, 0x17, P66, SR_V, SM_E, 4, F_IMM | F_RMW, C_FP),               /* EXTRACTPS */
    T(3, 0x20, P66, SR_V, SM_E, 1, F_IMM, C_INT),                      /* PINSRB */
    X66(3, 0x21, 4, F_IMM, C_FP),                                    /* INSERTPS */
    T(3, 0x22, P66, SR_V, SM_E, 0, F_IMM | F_W, C_INT),                /* PINSRD/Q */
    X66(3, 0x40, 16, F_IMM, C_FP), X66(3, 0x41, 16, F_IMM, C_FP), X66(3, 0x42, 16, F_IMM, C_INT),
    X66(3, 0x60, 16, F_IMM | F_UNAL | F_FLAGS | F_ESTR, C_STR),
    X66(3, 0x61, 16, F_IMM | F_UNAL | F_FLAGS | F_ESTR | F_STRI, C_STR),
    X66(3, 0x62, 16, F_IMM | F_UNAL | F_FLAGS, C_STR),
    X66(3, 0x63, 16, F_IMM | F_UNAL | F_FLAGS | F_STRI, C_STR),
};

#define NFORMS (sizeof(sse_forms) / sizeof(sse_forms[0]))

/* The forms of each class, gathered once (constant after that). */
static uint16_t class_forms[C_COUNT][NFORMS];
static uint16_t class_nforms[C_COUNT];
static bool class_ready;

static void classes_init(void)
{
    if (class_ready)
        return;
    for (size_t i = 0; i < NFORMS; i++) {
        unsigned c = sse_forms[i].cls;
        class_forms[c][class_nforms[c]++] = (uint16_t)i;
    }
    class_ready = true;
}

static int xmm_count(const struct gen *g)
{
    return g->m64 ? 16 : 8;
}

/* An MMX register number; in 64-bit mode now and then 8-15, which sets
 * REX.R/REX.B: ignored for MMX registers. */
static uint8_t mmx_reg(struct gen *g)
{
    return (uint8_t)(rnd(g, 8) + (g->m64 && pct(g, 10) ? 8 : 0));
}

static uint8_t gpr_src(struct gen *g)
{
    return (uint8_t)rnd(g, g->m64 ? 16 : 8);
}

static uint8_t gpr_dst(struct gen *g, int size)
{
    struct osz o = ncg_osz_make(g, size);
    int r = ncg_pick_dst(g, &o);
    ncg_wr(g, r);
    return (uint8_t)r;
}

static int gpr_count(const struct gen *g)
{
    return g->m64 ? 16 : 8;
}

static uint8_t imm8(struct gen *g)
{
    return (uint8_t)(pct(g, 70) ? rnd(g, 256) : rnd(g, 16));
}

/* The lengths PCMPESTRx read: small ones (either sign) most of the time. */
static void str_lengths(struct gen *g)
{
    if (pct(g, 60))
        ncg_set_reg(g, RAX, (uint64_t)((int64_t)rnd(g, 41) - 20));
    if (pct(g, 60))
        ncg_set_reg(g, RDX, (uint64_t)((int64_t)rnd(g, 41) - 20));
}

/* The linear address of in's memory operand if the generator knows it. */
static bool mem_addr(const struct gen *g, const struct nc_insn *in, uint64_t *addr)
{
    const struct nc_rm *m = &in->rm;
    if (m->kind != NC_RM_MEM || m->asize == 16)
        return false;
    if (m->rip) {
        *addr = m->rip_target;
        return true;
    }
    uint64_t a = (uint64_t)(int64_t)m->disp;
    if (m->base >= 0) {
        if (!((g->val_ok >> m->base) & 1))
            return false;
        a += g->val[m->base];
    }
    if (m->index >= 0) {
        if (!((g->val_ok >> m->index) & 1))
            return false;
        a += g->val[m->index] << m->scale;
    }
    *addr = (m->asize == 32 || !g->m64) ? (uint32_t)a : a;
    return true;
}

/* Moves in's memory operand (of `bytes` bytes) wholly into the data area,
 * keeping its offset within 16 bytes; false when its address is unknown.
 * For the instructions whose faults on an unmapped page vx86 does not yet
 * report as the CPU does (see the callers). */
static bool mem_keep_inside(struct gen *g, struct nc_insn *in, int bytes)
{
    uint64_t a;
    if (!mem_addr(g, in, &a))
        return false;
    uint64_t lo = NC_DATA_BASE, hi = NC_DATA_BASE + NC_DATA_SIZE - (uint64_t)bytes;
    int64_t shift = 0;
    if (a < lo)
        shift = (int64_t)((lo - a + 15) & ~15ull);
    else if (a > hi)
        shift = -(int64_t)((a - hi + 15) & ~15ull);
    if (in->rm.rip)
        in->rm.rip_target += (uint64_t)shift;
    else
        in->rm.disp += (int32_t)shift;
    return true;
}

static void sse_form_item(struct gen *g, unsigned cls)
{
    classes_init();
    const struct sse_form *f = &sse_forms[class_forms[cls][rnd(g, class_nforms[cls])]];
    struct nc_insn in;
    nc_insn_init(&in);
    static const uint8_t esc[4][2] = { { 0 }, { 0x0f, 0 }, { 0x0f, 0x38 }, { 0x0f, 0x3a } };
    if (f->map == 1)
        nc_insn_op(&in, 2, 0x0f, f->opc, 0);
    else
        nc_insn_op(&in, 3, esc[f->map][0], esc[f->map][1], f->opc);
    in.has_modrm = true;

    bool w = g->m64 && pct(g, (f->flags & (F_W | F_ESTR)) ? 50 : 6);
    if (f->flags & F_ESTR)
        str_lengths(g);

    switch (f->regk) {
    case SR_V: in.reg = (uint8_t)rnd(g, (uint32_t)xmm_count(g)); break;
    case SR_P: in.reg = mmx_reg(g); break;
    case SR_G: in.reg = (f->flags & F_GW) ? gpr_dst(g, w ? 64 : 32) : gpr_src(g); break;
    default:
        in.reg = (uint8_t)(f->ext + (g->m64 && pct(g, 5) ? 8 : 0));   /* REX.R: ignored */
        break;
    }

    bool can_reg = f->rmk != SM_M, can_mem = f->rmk != SM_U && f->rmk != SM_N;
    bool mem = can_mem && (!can_reg || pct(g, 40));
    in.rex_w = w;
    if (mem) {
        int bytes = f->msize ? f->msize : w ? 8 : 4;
        int align = (bytes == 16 && !(f->flags & F_UNAL)) ? 16 : 1;
        ncg_mem_operand_aligned(g, &in, bytes, gpr_count(g), align);
    } else {
        in.rm.kind = NC_RM_REG;
        switch (f->rmk) {
        case SM_W: case SM_U: in.rm.reg = (uint8_t)rnd(g, (uint32_t)xmm_count(g)); break;
        case SM_Q: case SM_N: in.rm.reg = mmx_reg(g); break;
        default: /* SM_E */
            in.rm.reg = (f->flags & F_RMW) ? gpr_dst(g, w ? 64 : 32) : gpr_src(g);
            break;
        }
    }
    if (f->flags & F_IMM) {
        in.imm_bytes = 1;
        in.imm = imm8(g);
    }
    if (g->m64 && !in.rex_w && pct(g, 5))
        in.rex_force = true;   /* a REX with nothing in it */
    if (pct(g, 1))
        nc_insn_prefix(&in, 0xf0);   /* LOCK: #UD */
    if ((f->pfx == PF2 || f->pfx == PF3) && pct(g, 3))
        nc_insn_prefix(&in, 0x66);   /* ignored before F2/F3 */
    if (f->pfx)
        nc_insn_prefix(&in, f->pfx);
    ncg_emit(g, &in);
    if (f->flags & F_FLAGS)
        ncg_flags_set(g, NC_FLAGS_ARITH, 0);
    if (f->flags & F_STRI)
        ncg_wr(g, RCX);
}

/* MASKMOVQ / MASKMOVDQU: a byte-masked store at DS:rDI. */
static void item_maskmov(struct gen *g, bool mmx)
{
    if (!((g->ptr_ok >> RDI) & 1)) {
        g->fail = true;
        return;
    }
    struct nc_insn in;
    nc_insn_init(&in);
    nc_insn_op(&in, 2, 0x0f, 0xf7, 0);
    in.has_modrm = true;
    in.rm.kind = NC_RM_REG;
    if (mmx) {
        in.reg = mmx_reg(g);
        in.rm.reg = mmx_reg(g);
    } else {
        in.reg = (uint8_t)rnd(g, (uint32_t)xmm_count(g));
        in.rm.reg = (uint8_t)rnd(g, (uint32_t)xmm_count(g));
    }
    ncg_seg_prefix(g, &in, 8);
    if (g->m64 && pct(g, 10))
        nc_insn_prefix(&in, 0x67);
    if (!mmx)
        nc_insn_prefix(&in, 0x66);
    ncg_emit(g, &in);
}

void ncg_item_mmx(struct gen *g)
{
    int k = (int)rnd(g, 100);
    if (k < 8) {
        ncg_emit_bytes(g, 2, 0x0f, 0x77, 0);   /* EMMS */
    }
    else if (k < 11)
        item_maskmov(g, true);
    else
        sse_form_item(g, C_MMX);
}

void ncg_item_ssefp(struct gen *g)
{
    sse_form_item(g, C_FP);
}

void ncg_item_sseint(struct gen *g)
{
    if (pct(g, 2))
        item_maskmov(g, false);
    else
        sse_form_item(g, C_INT);
}

void ncg_item_ssestr(struct gen *g)
{
    sse_form_item(g, C_STR);
}

/* ---- MXCSR, FXSAVE/FXRSTOR ---- */

/* A valid MXCSR: rounding, FZ, DAZ, masks (often all, else any), flags.
 * Bit 17 is left alone: AMD's MM bit, reserved on Intel and in vx86. */
static uint32_t mxcsr_value(struct gen *g)
{
    uint32_t v = rnd(g, 4) << 13;
    if (pct(g, 25))
        v |= 0x8000;   /* FZ */
    if (pct(g, 25))
        v |= 0x0040;   /* DAZ */
    v |= pct(g, 55) ? 0x1f80 : rnd(g, 64) << 7;
    if (pct(g, 40))
        v |= rnd(g, 64);
    return v;
}

static uint16_t fcw_value(struct gen *g)
{
    uint16_t cw = (uint16_t)(0x0040 | rnd(g, 4) << 10 | rnd(g, 4) << 8 | (pct(g, 70) ? 0x3f : rnd(g, 64)));
    if (pct(g, 10))
        cw |= (uint16_t)(r64(g) & 0xf080);   /* reserved bits and IC */
    return cw;
}

/* A status word for control word cw whose ES and B say exactly whether an
 * unmasked exception is pending (a state the CPU itself can reach). */
static uint16_t fsw_value(struct gen *g, uint16_t cw, bool flags)
{
    uint16_t sw = (uint16_t)(rnd(g, 8) << 11 | (r64(g) & 0x4700));
    if (flags)
        sw |= (uint16_t)rnd(g, 128);
    if (sw & ~cw & 0x3f)
        sw |= 0x8080;
    return sw;
}

/* The address of a memory operand plus off: a copy of the instruction (its
 * address-size and segment prefixes included) with the displacement moved. */
static void rm_shift(struct nc_insn *in, int off)
{
    if (in->rm.rip)
        in->rm.rip_target += (uint64_t)(int64_t)off;
    else
        in->rm.disp += off;
}

/* mov [operand of base + off], imm (bytes 1, 2 or 4). */
static void store_imm(struct gen *g, const struct nc_insn *base, int off, int bytes, uint32_t v)
{
    struct nc_insn st = *base;
    st.nprefix = 0;
    for (int i = 0; i < base->nprefix; i++)
        if (base->prefix[i] == 0x67 || base->prefix[i] == 0x26 || base->prefix[i] == 0x2e ||
            base->prefix[i] == 0x36 || base->prefix[i] == 0x3e)
            nc_insn_prefix(&st, base->prefix[i]);
    if (bytes == 2)
        nc_insn_prefix(&st, 0x66);
    nc_insn_op(&st, 1, bytes == 1 ? 0xc6 : 0xc7, 0, 0);
    st.reg = 0;
    st.rex_w = false;
    st.rex_force = false;
    st.imm_bytes = (uint8_t)bytes;
    st.imm = v;
    rm_shift(&st, off);
    ncg_emit(g, &st);
}

/* After an FXSAVE: the fields that are not results of the sequence (FOP,
 * FIP, FDP, MXCSR_MASK; see nc_case.h) overwritten with zeros. */
static void fxsave_scrub(struct gen *g, const struct nc_insn *fx)
{
    store_imm(g, fx, 6, 2, 0);
    for (int off = 8; off < 24; off += 4)
        store_imm(g, fx, off, 4, 0);
    store_imm(g, fx, 28, 4, 0);
}

static void item_fxsave(struct gen *g, bool restore)
{
    struct nc_insn in;
    nc_insn_init(&in);
    nc_insn_op(&in, 2, 0x0f, 0xae, 0);
    in.reg = 0;
    ncg_mem_operand_aligned(g, &in, 512, gpr_count(g), 16);
    /* For an FXSAVE/FXRSTOR that faults on a not-present page Zen 3 reports
     * in CR2 some byte of the image other than the first unmapped one (a
     * model-specific choice): images stay inside the data area. */
    if (!mem_keep_inside(g, &in, 512)) {
        g->fail = true;
        return;
    }
    in.rex_w = g->m64 && pct(g, 50);
    ncg_emit(g, &in);
    fxsave_scrub(g, &in);
    if (!restore)
        return;
    /* a changed image, then FXRSTOR of it */
    if (pct(g, 60)) {
        uint16_t cw = fcw_value(g);
        store_imm(g, &in, 0, 4, cw | (uint32_t)fsw_value(g, cw, pct(g, 40)) << 16);
    }
    if (pct(g, 50)) {
        uint32_t m = mxcsr_value(g);
        if (pct(g, 6))
            m |= 1u << (pct(g, 30) ? 16 : 18 + rnd(g, 14));   /* reserved: #GP */
        store_imm(g, &in, 24, 4, m);
    }
    if (pct(g, 30))
        store_imm(g, &in, 4, 1, rnd(g, 256));   /* abridged tag word */
    int n = pct(g, 50) ? 1 + (int)rnd(g, 3) : 0;
    for (int i = 0; i < n; i++) {
        int off = 32 + 4 * (int)rnd(g, (uint32_t)(32 + 4 * xmm_count(g)));
        store_imm(g, &in, off, 4, (uint32_t)r64(g));
    }
    struct nc_insn rs = in;
    rs.reg = 1;
    rs.rex_w = g->m64 && pct(g, 50);
    if (pct(g, 6))
        rm_shift(&rs, 8);   /* misaligned: #GP */
    ncg_emit(g, &rs);
}

void ncg_item_ssestate(struct gen *g)
{
    struct nc_insn in;
    nc_insn_init(&in);
    int k = (int)rnd(g, 100);
    if (k < 25) {
        nc_insn_op(&in, 2, 0x0f, 0xae, 0);   /* STMXCSR */
        in.reg = 3;
        ncg_mem_operand_aligned(g, &in, 4, gpr_count(g), 1);
        ncg_emit(g, &in);
    } else if (k < 55) {
        nc_insn_op(&in, 2, 0x0f, 0xae, 0);   /* LDMXCSR of a stored value */
        in.reg = 2;
        ncg_mem_operand_aligned(g, &in, 4, gpr_count(g), 1);
        /* Always a stored value, never whatever the memory holds: with bit
         * 17 set Zen 3 loads it (AMD's MM bit, misaligned SSE allowed from
         * then on) where vx86, as Intel, raises #GP. */
        uint32_t m = mxcsr_value(g);
        if (pct(g, 5))
            m |= 1u << (pct(g, 30) ? 16 : 18 + rnd(g, 14));   /* reserved: #GP */
        store_imm(g, &in, 0, 4, m);
        ncg_emit(g, &in);
    } else if (k < 70) {
        item_fxsave(g, false);
    } else if (k < 90) {
        item_fxsave(g, true);
    } else {
        static const uint8_t fences[3] = { 0xe8, 0xf0, 0xf8 };   /* LFENCE MFENCE SFENCE */
        ncg_emit_bytes(g, 3, 0x0f, 0xae, fences[rnd(g, 3)]);
    }
}

/* ---- x87 ---- */

static void x87_mem(struct gen *g, uint8_t opc, uint8_t ext, int bytes)
{
    struct nc_insn in;
    nc_insn_init(&in);
    nc_insn_op(&in, 1, opc, 0, 0);
    in.reg = ext;
    ncg_mem_operand_aligned(g, &in, bytes, gpr_count(g), 1);
    ncg_emit(g, &in);
}

void ncg_item_x87(struct gen *g)
{
    int k = (int)rnd(g, 100);
    uint8_t i = (uint8_t)rnd(g, 8);
    if (k < 10) {
        static const uint8_t consts[7] = { 0xe8, 0xe9, 0xea, 0xeb, 0xec, 0xed, 0xee };
        ncg_emit_bytes(g, 2, 0xd9, consts[rnd(g, 7)], 0);   /* FLD1 FLDL2T ... FLDZ */
    } else if (k < 20) {
        static const uint8_t op[3] = { 0xd9, 0xdd, 0xdb };
        static const uint8_t ext[3] = { 0, 0, 5 };
        static const uint8_t sz[3] = { 4, 8, 10 };
        int j = (int)rnd(g, 3);
        x87_mem(g, op[j], ext[j], sz[j]);            /* FLD m32/m64/m80 */
    } else if (k < 30) {
        static const uint8_t op[5] = { 0xd9, 0xd9, 0xdd, 0xdd, 0xdb };
        static const uint8_t ext[5] = { 2, 3, 2, 3, 7 };
        static const uint8_t sz[5] = { 4, 4, 8, 8, 10 };
        int j = (int)rnd(g, 5);
        x87_mem(g, op[j], ext[j], sz[j]);             /* FST(P) m32/m64, FSTP m80 */
    } else if (k < 36) {
        static const uint8_t op[3] = { 0xdf, 0xdb, 0xdf };
        static const uint8_t ext[3] = { 0, 0, 5 };
        static const uint8_t sz[3] = { 2, 4, 8 };
        int j = (int)rnd(g, 3);
        x87_mem(g, op[j], ext[j], sz[j]);            /* FILD m16/m32/m64 */
    } else if (k < 44) {
        /* FIST m16/m32, FISTP m16/m32/m64, FISTTP m16/m32/m64 */
        static const uint8_t op[8] = { 0xdf, 0xdb, 0xdf, 0xdb, 0xdf, 0xdf, 0xdb, 0xdd };
        static const uint8_t ext[8] = { 2, 2, 3, 3, 7, 1, 1, 1 };
        static const uint8_t sz[8] = { 2, 4, 2, 4, 8, 2, 4, 8 };
        int j = (int)rnd(g, 8);
        x87_mem(g, op[j], ext[j], sz[j]);
    } else if (k < 58) {
        /* arithmetic between registers: D8 st0,sti; DC sti,st0 (and the
         * FCOM2/FCOMP3 aliases); DE the popping forms */
        static const uint8_t op[3] = { 0xd8, 0xdc, 0xde };
        ncg_emit_bytes(g, 2, op[rnd(g, 3)], (uint8_t)(0xc0 | rnd(g, 8) << 3 | i), 0);
    } else if (k < 66) {
        static const uint8_t op[4] = { 0xd8, 0xdc, 0xda, 0xde };   /* m32fp m64fp m32int m16int */
        static const uint8_t sz[4] = { 4, 8, 4, 2 };
        int j = (int)rnd(g, 4);
        x87_mem(g, op[j], (uint8_t)rnd(g, 8), sz[j]);
    } else if (k < 76) {
        static const uint8_t one[10][2] = {
            { 0xd9, 0xc8 }, { 0xdd, 0xc0 }, { 0xd9, 0xf7 }, { 0xd9, 0xf6 }, { 0xd9, 0xe0 },
            { 0xd9, 0xe1 }, { 0xd9, 0xe4 }, { 0xd9, 0xe5 }, { 0xd9, 0xfa }, { 0xd9, 0xfc },
        };   /* FXCH FFREE FINCSTP FDECSTP FCHS FABS FTST FXAM FSQRT FRNDINT */
        int j = (int)rnd(g, 10);
        ncg_emit_bytes(g, 2, one[j][0], (uint8_t)(one[j][1] + (j < 2 ? i : 0)), 0);
    } else if (k < 82) {
        int j = (int)rnd(g, 3);
        if (j == 0) {
            ncg_emit_bytes(g, 2, 0xdf, 0xe0, 0);   /* FNSTSW AX */
            ncg_wr(g, RAX);
        } else {
            x87_mem(g, j == 1 ? 0xdd : 0xd9, 7, 2);   /* FNSTSW m16, FNSTCW m16 */
        }
    } else if (k < 88) {
        struct nc_insn in;   /* FLDCW of a stored control word */
        nc_insn_init(&in);
        nc_insn_op(&in, 1, 0xd9, 0, 0);
        in.reg = 5;
        ncg_mem_operand_aligned(g, &in, 2, gpr_count(g), 1);
        if (pct(g, 90))
            store_imm(g, &in, 0, 2, fcw_value(g));
        ncg_emit(g, &in);
    } else if (k < 93) {
        static const uint8_t ctl[3][2] = { { 0xdb, 0xe2 }, { 0xdb, 0xe3 }, { 0x9b, 0 } };
        int j = (int)rnd(g, 3);   /* FNCLEX FNINIT FWAIT */
        ncg_emit_bytes(g, ctl[j][1] ? 2 : 1, ctl[j][0], ctl[j][1], 0);
    } else if (k < 97) {
        /* FCOMI FUCOMI FCOMIP FUCOMIP */
        static const uint8_t op[4][2] = { { 0xdb, 0xf0 }, { 0xdb, 0xe8 }, { 0xdf, 0xf0 }, { 0xdf, 0xe8 } };
        int j = (int)rnd(g, 4);
        ncg_emit_bytes(g, 2, op[j][0], (uint8_t)(op[j][1] + i), 0);
        ncg_flags_set(g, NC_FLAGS_ARITH, 0);
    } else {
        /* FCMOVcc */
        ncg_emit_bytes(g, 2, pct(g, 50) ? 0xda : 0xdb, (uint8_t)(0xc0 | rnd(g, 4) << 3 | i), 0);
    }
}

/* ---- CRC32, MOVBE ---- */

void ncg_item_crc(struct gen *g)
{
    struct nc_insn in;
    nc_insn_init(&in);
    in.has_modrm = true;
    if (pct(g, 55)) {
        /* CRC32 r32/r64, r/m8/16/32/64 */
        bool b8 = pct(g, 35);
        int size = b8 ? 8 : pct(g, 25) ? 16 : (g->m64 && pct(g, 40)) ? 64 : 32;
        bool w = size == 64 || (b8 && g->m64 && pct(g, 30));
        nc_insn_op(&in, 3, 0x0f, 0x38, b8 ? 0xf0 : 0xf1);
        in.rex_w = w;
        struct osz os = ncg_osz_make(g, size);
        if (os.rex8)
            in.rex_force = true;
        if (pct(g, 45)) {
            ncg_mem_operand_aligned(g, &in, size / 8, gpr_count(g), 1);
        } else {
            in.rm.kind = NC_RM_REG;
            in.rm.reg = (uint8_t)rnd(g, (uint32_t)os.nreg);
        }
        in.reg = gpr_dst(g, w ? 64 : 32);
        bool late66 = size == 16 && pct(g, 20);   /* F2 66: 66 is still the operand size */
        if (size == 16 && !late66)
            nc_insn_prefix(&in, 0x66);
        nc_insn_prefix(&in, 0xf2);
        if (late66)
            nc_insn_prefix(&in, 0x66);
        ncg_emit(g, &in);
        return;
    }
    /* MOVBE r, m / m, r */
    bool load = pct(g, 50);
    int size = pct(g, 25) ? 16 : (g->m64 && pct(g, 40)) ? 64 : 32;
    nc_insn_op(&in, 3, 0x0f, 0x38, load ? 0xf0 : 0xf1);
    in.rex_w = size == 64;
    ncg_mem_operand_aligned(g, &in, size / 8, gpr_count(g), 1);
    in.reg = load ? gpr_dst(g, size) : gpr_src(g);
    if (size == 16)
        nc_insn_prefix(&in, 0x66);
    ncg_emit(g, &in);
}

/* ---- the initial state ---- */

static uint32_t special_f32(struct gen *g)
{
    static const uint32_t fixed[] = {
        0x00000000, 0x80000000, 0x3f800000, 0xbfc00000, 0x7f800000, 0xff800000, 0x7fc00000,
        0xffc00000, 0x7f7fffff, 0x00800000, 0x80800000, 0x4f000000, 0xcf000000, 0x4effffff,
        0x5f000000, 0xdf000000, 0x3f000000, 0x40200000, 0x00000001, 0x807fffff,
    };
    uint32_t r = (uint32_t)r64(g);
    switch (rnd(g, 8)) {
    case 0: return fixed[rnd(g, sizeof(fixed) / sizeof(fixed[0]))];
    case 1: return (r & 0x807fffff) | 0x7f800000 | (pct(g, 50) ? 0x400000 : 1);   /* NaN */
    case 2: return r & 0x807fffff;                                                 /* denormal */
    case 3: return (r & 0x80ffffff) | 0x3f000000;                                  /* near 1 */
    case 4: return (r & 0x81ffffff) | (uint32_t)(rnd(g, 4) == 0 ? 0x00800000 : 0x4e000000);
    default: return r;
    }
}

static uint64_t special_f64(struct gen *g)
{
    static const uint64_t fixed[] = {
        0, 0x8000000000000000ull, 0x3ff0000000000000ull, 0xbff8000000000000ull,
        0x7ff0000000000000ull, 0xfff0000000000000ull, 0x7ff8000000000000ull,
        0x7fefffffffffffffull, 0x0010000000000000ull, 0x41e0000000000000ull,
        0xc1e0000000000000ull, 0x43e0000000000000ull, 0xc3e0000000000000ull,
        0x41dfffffffffffffull, 0x4004000000000000ull, 0x3fe0000000000000ull,
        0x0000000000000001ull, 0x36a0000000000000ull, 0x47efffffe0000000ull,
    };
    uint64_t r = r64(g);
    switch (rnd(g, 8)) {
    case 0: return fixed[rnd(g, sizeof(fixed) / sizeof(fixed[0]))];
    case 1: return (r & 0x800fffffffffffffull) | 0x7ff0000000000000ull | (pct(g, 50) ? 1ull << 51 : 1);
    case 2: return r & 0x800fffffffffffffull;
    case 3: return (r & 0x801fffffffffffffull) | 0x3fe0000000000000ull;
    case 4: return (r & 0x807fffffffffffffull) | 0x3680000000000000ull;   /* near FLT_MIN */
    default: return r;
    }
}

/* 16 bytes of one flavour: random, floats, doubles, small integers. */
static void vector_value(struct gen *g, uint8_t *p)
{
    int k = (int)rnd(g, 100);
    if (k < 30) {
        for (int i = 0; i < 16; i += 8) {
            uint64_t v = r64(g);
            memcpy(p + i, &v, 8);
        }
    } else if (k < 60) {
        for (int i = 0; i < 16; i += 4) {
            uint32_t v = special_f32(g);
            memcpy(p + i, &v, 4);
        }
    } else if (k < 85) {
        for (int i = 0; i < 16; i += 8) {
            uint64_t v = special_f64(g);
            memcpy(p + i, &v, 8);
        }
    } else {
        for (int i = 0; i < 16; i += 2) {
            uint16_t v = (uint16_t)ncg_interesting(g, pct(g, 50) ? 8 : 16);
            memcpy(p + i, &v, 2);
        }
    }
}

static void st_value(struct gen *g, uint8_t *p)
{
    uint64_t m = r64(g);
    uint16_t e;
    switch (rnd(g, 10)) {
    case 0: case 1: case 2: e = 0xffff; break;                                 /* MMX-written */
    case 3: case 4: case 5: case 6:
        e = (uint16_t)(0x3fff + rnd(g, 129) - 64 + (pct(g, 30) ? 0x8000 : 0));
        m |= 1ull << 63;
        break;
    case 7: e = pct(g, 50) ? 0 : 0x8000; m = pct(g, 50) ? 0 : m & ~(1ull << 63); break; /* zero, denormal */
    case 8: e = (uint16_t)(0x7fff | (pct(g, 50) ? 0x8000 : 0));                 /* inf, NaN */
        m = pct(g, 40) ? 1ull << 63 : m | 1ull << 63;
        break;
    default: e = (uint16_t)m; m = r64(g); break;
    }
    memcpy(p, &m, 8);
    memcpy(p + 8, &e, 2);
}

void ncg_init_fx(struct gen *g)
{
    uint8_t *fx = g->c->fx;
    nc_fx_reset(fx);
    uint16_t cw = pct(g, 75) ? 0x037f : fcw_value(g);
    uint16_t sw = fsw_value(g, cw, pct(g, cw == 0x037f ? 50 : 30));
    memcpy(fx + NC_FX_FCW, &cw, 2);
    memcpy(fx + NC_FX_FSW, &sw, 2);
    fx[NC_FX_FTW] = (uint8_t)(pct(g, 30) ? 0 : pct(g, 40) ? 0xff : rnd(g, 256));
    uint32_t mxcsr = pct(g, 45) ? 0x1f80 : mxcsr_value(g);
    memcpy(fx + NC_FX_MXCSR, &mxcsr, 4);
    for (int i = 0; i < 8; i++)
        st_value(g, fx + NC_FX_ST + 16 * i);
    for (int i = 0; i < NC_NR_XMMS; i++)
        vector_value(g, fx + NC_FX_XMM + 16 * i);
    /* Floating-point patterns in the data area too, for memory operands. */
    int n = 8 + (int)rnd(g, 24);
    for (int i = 0; i < n; i++)
        vector_value(g, g->c->data + 16 * rnd(g, NC_DATA_SIZE / 16));
}
