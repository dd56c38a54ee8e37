/* Private to the decoder: the opcode tables' row format and the operand
 * specifications in the SDM's notation (Vol. 2, Appendix A.2). */
#ifndef VX86_CPU_DECODE_TABLES_H
#define VX86_CPU_DECODE_TABLES_H

#include <stdint.h>

#include "cpu/x86_insn.h"

/* Operand specifications. A letter says where the operand comes from, the
 * suffix how big it is (b byte, w word, d dword, q qword, v operand size,
 * y dword or qword by REX.W, z word or dword, p far pointer, s descriptor
 * table pointer, a BOUND pair, x an XMM register's width). */
enum x86_opspec {
    OPS_NONE,
    /* ModRM.rm: a register (mod == 3) or memory */
    Eb, Ew, Ed, Ev, Ey,
    RvMw,                 /* register of the operand size, word in memory */
    RyMb, RyMw, RyMd,     /* r32/r64 as a register, byte/word/dword in memory */
    Qd, Qq,               /* MMX register or memory */
    Ww, Wd, Wq, Wx,       /* XMM register or memory */
    /* ModRM.rm, memory only (mod == 3 is #UD) */
    M, Mb, Mw, Md, Mq, Mdq, Mv, My, Mp, Ms, Ma,
    /* ModRM.rm, register only (mod != 3 is #UD) */
    Rv, Nq, Ux,
    /* ModRM.rm of MOV CR/DR: a register whatever mod says */
    Rcr,
    /* ModRM.reg */
    Gb, Gw, Gd, Gv, Gy, Sw, Cd, Dd, Pq, Vx,
    /* immediates and branch targets */
    Ib,                   /* byte, zero-extended */
    Ibs,                  /* byte, sign-extended to the operand size */
    Iw, Iz, Iv, I1,       /* I1: the constant 1 of the D0-D3 shifts */
    Jb, Jz, Ap,
    /* moffs: a displacement of the address size, no ModRM */
    Ob, Ov,
    /* fixed registers */
    AL, CL, DX, rAX, eAX,
    sES, sCS, sSS, sDS, sFS, sGS,
    /* register in the opcode's low three bits (+ REX.B) */
    Zb, Zv,
    /* string operands: X = seg:[rSI] (DS unless overridden), Y = ES:[rDI] */
    Xb, Xv, Xz, Yb, Yv, Yz,
    XL,                   /* XLAT's seg:[rBX + AL] */
    OPS_COUNT
};

/* One table row. The redirect flags (GRP, RMG, ALT64) send the lookup to
 * another table through `sub`. */
struct x86_opdef {
    uint16_t mnem;     /* enum x86_mnemonic; X86_INVALID and no redirect: #UD */
    uint8_t op[3];     /* enum x86_opspec, destination first */
    uint8_t sub;
    uint16_t f;
};

#define F_GRP   0x0001 /* ModRM.reg selects in x86_groups[sub] (mem or reg half by mod) */
#define F_RMG   0x0002 /* ModRM.rm selects in x86_rmgroups[sub] (mod == 3 rows) */
#define F_ALT64 0x0004 /* in 64-bit mode the row is x86_alt64[sub] */
#define F_REDIRECT (F_GRP | F_RMG | F_ALT64)
#define F_I64   0x0008 /* invalid in 64-bit mode */
#define F_O64   0x0010 /* valid only in 64-bit mode */
#define F_D64   0x0020 /* operand size defaults to 64 in 64-bit mode */
#define F_F64   0x0040 /* operand size is 64 in 64-bit mode whatever 66 says */
#define F_LK    0x0080 /* LOCK allowed when the destination is memory */
#define F_CC    0x0100 /* condition code in the opcode's low nibble */
#define F_SSE   0x0200 /* 66 is a mandatory prefix here, not an operand size */
#define F_X87   0x0400 /* D8-DF: ModRM decoded from the x87 tables */

/* Group indices (SDM Table A-6 names where there is one). */
enum x86_group_id {
    GRP1, GRP1A, GRP2, GRP3B, GRP3V, GRP4, GRP5, GRP6, GRP7, GRP8, GRP9,
    GRP11, GRP12, GRP12X, GRP13, GRP13X, GRP14, GRP14X, GRP15,
    GRP16, GRPP, GRP_COUNT
};
enum x86_rmgroup_id { RMG7_2, RMG7_7, RMG_COUNT };

struct x86_group {
    struct x86_opdef mem[8]; /* mod != 3, by ModRM.reg */
    struct x86_opdef reg[8]; /* mod == 3 */
};

/* Mandatory-prefix columns of the escape maps. */
enum { PFX_NONE, PFX_66, PFX_F3, PFX_F2 };

extern const struct x86_opdef x86_map1[256];
extern const struct x86_opdef x86_map0f[256][4];
extern const struct x86_opdef x86_map0f38[256][4];
extern const struct x86_opdef x86_map0f3a[256][4];
extern const struct x86_group x86_groups[GRP_COUNT];
extern const struct x86_opdef x86_rmgroups[RMG_COUNT][8];
extern const struct x86_opdef x86_alt64[1];

/* x87: memory operand size by [opcode - 0xD8][ModRM.reg] (X87_BAD: #UD,
 * 0: an environment/state image), and the valid register forms as one bit
 * per ModRM byte 0xC0..0xFF. */
#define X87_BAD 0xff
extern const uint8_t x86_x87_memsize[8][8];
extern const uint64_t x86_x87_regvalid[8];

#endif
