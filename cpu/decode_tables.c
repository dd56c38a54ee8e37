/* The decoder's opcode tables, transcribed from the opcode maps of the Intel
 * SDM Vol. 2 Appendix A (one-byte, 0F, 0F 38, 0F 3A maps, ModRM groups,
 * x87 escapes). Rows use the SDM's operand notation (decode_tables.h). */
#include "cpu/decode_tables.h"

#define LK  F_LK
#define I64 F_I64
#define O64 F_O64
#define D64 F_D64
#define F64 F_F64
#define CC  F_CC

/* A plain row, a ModRM-group row (operands shared by the members that give
 * none of their own), a ModRM.rm row, an SSE row, an empty (#UD) row. */
#define I(m, fl, ...) { X86_##m, { __VA_ARGS__ }, 0, (fl) }
#define G(g, fl, ...) { X86_INVALID, { __VA_ARGS__ }, (g), F_GRP | (fl) }
#define RG(g)         { X86_INVALID, { 0 }, (g), F_RMG }
#define S(...)        { X86_SSE, { __VA_ARGS__ }, 0, F_SSE }
#define X_            { 0 }

/* Escape-map rows by mandatory prefix: none, 66, F3, F2. Rows of ordinary
 * instructions repeat one entry (66 is then an operand-size prefix and
 * F2/F3 are ignored, as the hardware does); in SSE rows an empty column
 * is #UD. */
#define P4(a, b, c, d) { a, b, c, d }
#define ALL(e)         { e, e, e, e }
/* MMX form without a prefix, SSE2 form with 66. */
#define MX(q, w)       P4(S(Pq, q), S(Vx, w), X_, X_)
/* Packed single / packed double / scalar single / scalar double. */
#define PSD            P4(S(Vx, Wx), S(Vx, Wx), S(Vx, Wd), S(Vx, Wq))
#define PS_PD          P4(S(Vx, Wx), S(Vx, Wx), X_, X_)
#define ONLY66(...)    P4(X_, S(__VA_ARGS__), X_, X_)

/* The eight ALU operations at 00-3D: r/m,reg; reg,r/m; accumulator,imm. */
#define ALU(b, m, lk) \
    [(b) + 0] = I(m, lk, Eb, Gb), [(b) + 1] = I(m, lk, Ev, Gv), \
    [(b) + 2] = I(m, 0, Gb, Eb),  [(b) + 3] = I(m, 0, Gv, Ev), \
    [(b) + 4] = I(m, 0, AL, Ib),  [(b) + 5] = I(m, 0, rAX, Iz)

/* Eight or sixteen consecutive rows alike (the row may hold commas). */
#define R8(b, ...) \
    [(b) + 0] = __VA_ARGS__, [(b) + 1] = __VA_ARGS__, [(b) + 2] = __VA_ARGS__, \
    [(b) + 3] = __VA_ARGS__, [(b) + 4] = __VA_ARGS__, [(b) + 5] = __VA_ARGS__, \
    [(b) + 6] = __VA_ARGS__, [(b) + 7] = __VA_ARGS__
#define R16(b, ...) R8(b, __VA_ARGS__), R8((b) + 8, __VA_ARGS__)

#define X87ROW { X86_X87, { 0 }, 0, F_X87 }

/* Table A-2: one-byte opcodes. Prefix bytes, REX (40-4F in 64-bit mode)
 * and the 0F escape are consumed before this table is consulted. */
const struct x86_opdef x86_map1[256] = {
    ALU(0x00, ADD, LK), ALU(0x08, OR, LK), ALU(0x10, ADC, LK), ALU(0x18, SBB, LK),
    ALU(0x20, AND, LK), ALU(0x28, SUB, LK), ALU(0x30, XOR, LK), ALU(0x38, CMP, 0),
    [0x06] = I(PUSH, I64, sES), [0x07] = I(POP, I64, sES),
    [0x0e] = I(PUSH, I64, sCS),
    [0x16] = I(PUSH, I64, sSS), [0x17] = I(POP, I64, sSS),
    [0x1e] = I(PUSH, I64, sDS), [0x1f] = I(POP, I64, sDS),
    [0x27] = I(DAA, I64), [0x2f] = I(DAS, I64),
    [0x37] = I(AAA, I64), [0x3f] = I(AAS, I64),
    R8(0x40, I(INC, I64, Zv)), R8(0x48, I(DEC, I64, Zv)),
    R8(0x50, I(PUSH, D64, Zv)), R8(0x58, I(POP, D64, Zv)),
    [0x60] = I(PUSHA, I64), [0x61] = I(POPA, I64),
    [0x62] = I(BOUND, I64, Gv, Ma),
    [0x63] = { X86_ARPL, { Ew, Gw }, 0, F_ALT64 },
    [0x68] = I(PUSH, D64, Iz), [0x69] = I(IMUL, 0, Gv, Ev, Iz),
    [0x6a] = I(PUSH, D64, Ibs), [0x6b] = I(IMUL, 0, Gv, Ev, Ibs),
    [0x6c] = I(INS, 0, Yb, DX), [0x6d] = I(INS, 0, Yz, DX),
    [0x6e] = I(OUTS, 0, DX, Xb), [0x6f] = I(OUTS, 0, DX, Xz),
    R16(0x70, I(JCC, CC | F64, Jb)),
    [0x80] = G(GRP1, 0, Eb, Ib), [0x81] = G(GRP1, 0, Ev, Iz),
    [0x82] = G(GRP1, I64, Eb, Ib), [0x83] = G(GRP1, 0, Ev, Ibs),
    [0x84] = I(TEST, 0, Eb, Gb), [0x85] = I(TEST, 0, Ev, Gv),
    [0x86] = I(XCHG, LK, Eb, Gb), [0x87] = I(XCHG, LK, Ev, Gv),
    [0x88] = I(MOV, 0, Eb, Gb), [0x89] = I(MOV, 0, Ev, Gv),
    [0x8a] = I(MOV, 0, Gb, Eb), [0x8b] = I(MOV, 0, Gv, Ev),
    [0x8c] = I(MOV_SEG, 0, RvMw, Sw), [0x8d] = I(LEA, 0, Gv, M),
    [0x8e] = I(MOV_SEG, 0, Sw, Ew), [0x8f] = G(GRP1A, 0, Ev),
    R8(0x90, I(XCHG, 0, Zv, rAX)), /* 90 itself: NOP/PAUSE, see decode.c */
    [0x98] = I(CBW, 0), [0x99] = I(CWD, 0),
    [0x9a] = I(CALLF, I64, Ap), [0x9b] = I(WAIT, 0),
    [0x9c] = I(PUSHF, D64), [0x9d] = I(POPF, D64),
    [0x9e] = I(SAHF, 0), [0x9f] = I(LAHF, 0),
    [0xa0] = I(MOV, 0, AL, Ob), [0xa1] = I(MOV, 0, rAX, Ov),
    [0xa2] = I(MOV, 0, Ob, AL), [0xa3] = I(MOV, 0, Ov, rAX),
    [0xa4] = I(MOVS, 0, Yb, Xb), [0xa5] = I(MOVS, 0, Yv, Xv),
    [0xa6] = I(CMPS, 0, Xb, Yb), [0xa7] = I(CMPS, 0, Xv, Yv),
    [0xa8] = I(TEST, 0, AL, Ib), [0xa9] = I(TEST, 0, rAX, Iz),
    [0xaa] = I(STOS, 0, Yb, AL), [0xab] = I(STOS, 0, Yv, rAX),
    [0xac] = I(LODS, 0, AL, Xb), [0xad] = I(LODS, 0, rAX, Xv),
    [0xae] = I(SCAS, 0, AL, Yb), [0xaf] = I(SCAS, 0, rAX, Yv),
    R8(0xb0, I(MOV, 0, Zb, Ib)), R8(0xb8, I(MOV, 0, Zv, Iv)),
    [0xc0] = G(GRP2, 0, Eb, Ib), [0xc1] = G(GRP2, 0, Ev, Ib),
    [0xc2] = I(RET, F64, Iw), [0xc3] = I(RET, F64),
    [0xc4] = I(LES, I64, Gv, Mp), [0xc5] = I(LDS, I64, Gv, Mp),
    [0xc6] = G(GRP11, 0, Eb, Ib), [0xc7] = G(GRP11, 0, Ev, Iz),
    [0xc8] = I(ENTER, D64, Iw, Ib), [0xc9] = I(LEAVE, D64),
    [0xca] = I(RETF, 0, Iw), [0xcb] = I(RETF, 0),
    [0xcc] = I(INT3, 0), [0xcd] = I(INT, 0, Ib),
    [0xce] = I(INTO, I64), [0xcf] = I(IRET, 0),
    [0xd0] = G(GRP2, 0, Eb, I1), [0xd1] = G(GRP2, 0, Ev, I1),
    [0xd2] = G(GRP2, 0, Eb, CL), [0xd3] = G(GRP2, 0, Ev, CL),
    [0xd4] = I(AAM, I64, Ib), [0xd5] = I(AAD, I64, Ib),
    [0xd6] = I(SALC, I64), [0xd7] = I(XLAT, 0, XL),
    R8(0xd8, X87ROW),
    [0xe0] = I(LOOPNE, F64, Jb), [0xe1] = I(LOOPE, F64, Jb),
    [0xe2] = I(LOOP, F64, Jb), [0xe3] = I(JCXZ, F64, Jb),
    [0xe4] = I(IN, 0, AL, Ib), [0xe5] = I(IN, 0, eAX, Ib),
    [0xe6] = I(OUT, 0, Ib, AL), [0xe7] = I(OUT, 0, Ib, eAX),
    [0xe8] = I(CALL, F64, Jz), [0xe9] = I(JMP, F64, Jz),
    [0xea] = I(JMPF, I64, Ap), [0xeb] = I(JMP, F64, Jb),
    [0xec] = I(IN, 0, AL, DX), [0xed] = I(IN, 0, eAX, DX),
    [0xee] = I(OUT, 0, DX, AL), [0xef] = I(OUT, 0, DX, eAX),
    [0xf1] = I(INT1, 0), [0xf4] = I(HLT, 0), [0xf5] = I(CMC, 0),
    [0xf6] = G(GRP3B, 0, Eb), [0xf7] = G(GRP3V, 0, Ev),
    [0xf8] = I(CLC, 0), [0xf9] = I(STC, 0), [0xfa] = I(CLI, 0),
    [0xfb] = I(STI, 0), [0xfc] = I(CLD, 0), [0xfd] = I(STD, 0),
    [0xfe] = G(GRP4, 0, Eb), [0xff] = G(GRP5, 0, Ev),
};

/* 63 in 64-bit mode. */
const struct x86_opdef x86_alt64[1] = {
    I(MOVSXD, 0, Gv, Ed),
};

/* Table A-3: two-byte opcodes (0F xx), by mandatory prefix. */
const struct x86_opdef x86_map0f[256][4] = {
    [0x00] = ALL(G(GRP6, 0)),
    [0x01] = ALL(G(GRP7, 0)),
    [0x02] = ALL(I(LAR, 0, Gv, Ew)), [0x03] = ALL(I(LSL, 0, Gv, Ew)),
    [0x05] = ALL(I(SYSCALL, 0)), [0x06] = ALL(I(CLTS, 0)),
    [0x07] = ALL(I(SYSRET, 0)), [0x08] = ALL(I(INVD, 0)),
    [0x09] = ALL(I(WBINVD, 0)), [0x0b] = ALL(I(UD2, 0)),
    [0x0d] = ALL(G(GRPP, 0)),
    [0x10] = PSD,
    [0x11] = P4(S(Wx, Vx), S(Wx, Vx), S(Wd, Vx), S(Wq, Vx)),
    [0x12] = P4(S(Vx, Wq), S(Vx, Mq), S(Vx, Wx), S(Vx, Wq)),
    [0x13] = P4(S(Mq, Vx), S(Mq, Vx), X_, X_),
    [0x14] = PS_PD, [0x15] = PS_PD,
    [0x16] = P4(S(Vx, Wq), S(Vx, Mq), S(Vx, Wx), X_),
    [0x17] = P4(S(Mq, Vx), S(Mq, Vx), X_, X_),
    [0x18] = ALL(G(GRP16, 0)),
    [0x19] = ALL(I(NOP_HINT, 0, Ev)), [0x1a] = ALL(I(NOP_HINT, 0, Ev)),
    [0x1b] = ALL(I(NOP_HINT, 0, Ev)), [0x1c] = ALL(I(NOP_HINT, 0, Ev)),
    [0x1d] = ALL(I(NOP_HINT, 0, Ev)), [0x1e] = ALL(I(NOP_HINT, 0, Ev)),
    [0x1f] = ALL(I(NOP, 0, Ev)),
    [0x20] = ALL(I(MOV_CR, F64, Rcr, Cd)), [0x21] = ALL(I(MOV_DR, F64, Rcr, Dd)),
    [0x22] = ALL(I(MOV_CR, F64, Cd, Rcr)), [0x23] = ALL(I(MOV_DR, F64, Dd, Rcr)),
    [0x28] = PS_PD,
    [0x29] = P4(S(Wx, Vx), S(Wx, Vx), X_, X_),
    [0x2a] = P4(S(Vx, Qq), S(Vx, Qq), S(Vx, Ey), S(Vx, Ey)),
    [0x2b] = P4(S(Mdq, Vx), S(Mdq, Vx), X_, X_),
    [0x2c] = P4(S(Pq, Wq), S(Pq, Wx), S(Gy, Wd), S(Gy, Wq)),
    [0x2d] = P4(S(Pq, Wq), S(Pq, Wx), S(Gy, Wd), S(Gy, Wq)),
    [0x2e] = P4(S(Vx, Wd), S(Vx, Wq), X_, X_),
    [0x2f] = P4(S(Vx, Wd), S(Vx, Wq), X_, X_),
    [0x30] = ALL(I(WRMSR, 0)), [0x31] = ALL(I(RDTSC, 0)),
    [0x32] = ALL(I(RDMSR, 0)), [0x33] = ALL(I(RDPMC, 0)),
    [0x34] = ALL(I(SYSENTER, 0)), [0x35] = ALL(I(SYSEXIT, 0)),
    R16(0x40, ALL(I(CMOVCC, CC, Gv, Ev))),
    [0x50] = P4(S(Gy, Ux), S(Gy, Ux), X_, X_),
    [0x51] = PSD,
    [0x52] = P4(S(Vx, Wx), X_, S(Vx, Wd), X_),
    [0x53] = P4(S(Vx, Wx), X_, S(Vx, Wd), X_),
    [0x54] = PS_PD, [0x55] = PS_PD, [0x56] = PS_PD, [0x57] = PS_PD,
    [0x58] = PSD, [0x59] = PSD,
    [0x5a] = P4(S(Vx, Wq), S(Vx, Wx), S(Vx, Wd), S(Vx, Wq)),
    [0x5b] = P4(S(Vx, Wx), S(Vx, Wx), S(Vx, Wx), X_),
    [0x5c] = PSD, [0x5d] = PSD, [0x5e] = PSD, [0x5f] = PSD,
    [0x60] = MX(Qd, Wx), [0x61] = MX(Qd, Wx), [0x62] = MX(Qd, Wx),
    [0x63] = MX(Qq, Wx), [0x64] = MX(Qq, Wx), [0x65] = MX(Qq, Wx),
    [0x66] = MX(Qq, Wx), [0x67] = MX(Qq, Wx), [0x68] = MX(Qq, Wx),
    [0x69] = MX(Qq, Wx), [0x6a] = MX(Qq, Wx), [0x6b] = MX(Qq, Wx),
    [0x6c] = ONLY66(Vx, Wx), [0x6d] = ONLY66(Vx, Wx),
    [0x6e] = P4(S(Pq, Ey), S(Vx, Ey), X_, X_),
    [0x6f] = P4(S(Pq, Qq), S(Vx, Wx), S(Vx, Wx), X_),
    [0x70] = P4(S(Pq, Qq, Ib), S(Vx, Wx, Ib), S(Vx, Wx, Ib), S(Vx, Wx, Ib)),
    [0x71] = P4(G(GRP12, F_SSE), G(GRP12X, F_SSE), X_, X_),
    [0x72] = P4(G(GRP13, F_SSE), G(GRP13X, F_SSE), X_, X_),
    [0x73] = P4(G(GRP14, F_SSE), G(GRP14X, F_SSE), X_, X_),
    [0x74] = MX(Qq, Wx), [0x75] = MX(Qq, Wx), [0x76] = MX(Qq, Wx),
    [0x77] = P4(I(EMMS, 0), X_, X_, X_),
    [0x7c] = P4(X_, S(Vx, Wx), X_, S(Vx, Wx)),
    [0x7d] = P4(X_, S(Vx, Wx), X_, S(Vx, Wx)),
    [0x7e] = P4(S(Ey, Pq), S(Ey, Vx), S(Vx, Wq), X_),
    [0x7f] = P4(S(Qq, Pq), S(Wx, Vx), S(Wx, Vx), X_),
    R16(0x80, ALL(I(JCC, CC | F64, Jz))),
    R16(0x90, ALL(I(SETCC, CC, Eb))),
    [0xa0] = ALL(I(PUSH, D64, sFS)), [0xa1] = ALL(I(POP, D64, sFS)),
    [0xa2] = ALL(I(CPUID, 0)), [0xa3] = ALL(I(BT, 0, Ev, Gv)),
    [0xa4] = ALL(I(SHLD, 0, Ev, Gv, Ib)), [0xa5] = ALL(I(SHLD, 0, Ev, Gv, CL)),
    [0xa8] = ALL(I(PUSH, D64, sGS)), [0xa9] = ALL(I(POP, D64, sGS)),
    [0xaa] = ALL(I(RSM, 0)), [0xab] = ALL(I(BTS, LK, Ev, Gv)),
    [0xac] = ALL(I(SHRD, 0, Ev, Gv, Ib)), [0xad] = ALL(I(SHRD, 0, Ev, Gv, CL)),
    /* 66 0F AE /6 /7 are CLWB and CLFLUSHOPT, not offered; every other 66
     * or F2/F3 form of Grp15 faults on hardware too. */
    [0xae] = P4(G(GRP15, 0), X_, X_, X_),
    [0xaf] = ALL(I(IMUL, 0, Gv, Ev)),
    [0xb0] = ALL(I(CMPXCHG, LK, Eb, Gb)), [0xb1] = ALL(I(CMPXCHG, LK, Ev, Gv)),
    [0xb2] = ALL(I(LSS, 0, Gv, Mp)), [0xb3] = ALL(I(BTR, LK, Ev, Gv)),
    [0xb4] = ALL(I(LFS, 0, Gv, Mp)), [0xb5] = ALL(I(LGS, 0, Gv, Mp)),
    [0xb6] = ALL(I(MOVZX, 0, Gv, Eb)), [0xb7] = ALL(I(MOVZX, 0, Gv, Ew)),
    /* F3 0F B8 POPCNT; 0F B8 alone is JMPE (IA-64 only). */
    [0xb8] = P4(X_, X_, I(POPCNT, 0, Gv, Ev), X_),
    [0xb9] = ALL(I(UD1, 0, Gv, Ev)),
    [0xba] = ALL(G(GRP8, 0, Ev, Ib)),
    [0xbb] = ALL(I(BTC, LK, Ev, Gv)),
    /* F3 0F BC/BD are TZCNT/LZCNT; CPUs without BMI1/ABM run them as
     * BSF/BSR, which the translator decides from CPUID. */
    [0xbc] = P4(I(BSF, 0, Gv, Ev), I(BSF, 0, Gv, Ev), I(TZCNT, 0, Gv, Ev), I(BSF, 0, Gv, Ev)),
    [0xbd] = P4(I(BSR, 0, Gv, Ev), I(BSR, 0, Gv, Ev), I(LZCNT, 0, Gv, Ev), I(BSR, 0, Gv, Ev)),
    [0xbe] = ALL(I(MOVSX, 0, Gv, Eb)), [0xbf] = ALL(I(MOVSX, 0, Gv, Ew)),
    [0xc0] = ALL(I(XADD, LK, Eb, Gb)), [0xc1] = ALL(I(XADD, LK, Ev, Gv)),
    [0xc2] = P4(S(Vx, Wx, Ib), S(Vx, Wx, Ib), S(Vx, Wd, Ib), S(Vx, Wq, Ib)),
    [0xc3] = P4(S(My, Gy), X_, X_, X_),
    [0xc4] = P4(S(Pq, RyMw, Ib), S(Vx, RyMw, Ib), X_, X_),
    [0xc5] = P4(S(Gy, Nq, Ib), S(Gy, Ux, Ib), X_, X_),
    [0xc6] = P4(S(Vx, Wx, Ib), S(Vx, Wx, Ib), X_, X_),
    [0xc7] = ALL(G(GRP9, 0)),
    R8(0xc8, ALL(I(BSWAP, 0, Zv))),
    [0xd0] = P4(X_, S(Vx, Wx), X_, S(Vx, Wx)),
    [0xd1] = MX(Qq, Wx), [0xd2] = MX(Qq, Wx), [0xd3] = MX(Qq, Wx),
    [0xd4] = MX(Qq, Wx), [0xd5] = MX(Qq, Wx),
    [0xd6] = P4(X_, S(Wq, Vx), S(Vx, Nq), S(Pq, Ux)),
    [0xd7] = P4(S(Gy, Nq), S(Gy, Ux), X_, X_),
    [0xd8] = MX(Qq, Wx), [0xd9] = MX(Qq, Wx), [0xda] = MX(Qq, Wx), [0xdb] = MX(Qq, Wx),
    [0xdc] = MX(Qq, Wx), [0xdd] = MX(Qq, Wx), [0xde] = MX(Qq, Wx), [0xdf] = MX(Qq, Wx),
    [0xe0] = MX(Qq, Wx), [0xe1] = MX(Qq, Wx), [0xe2] = MX(Qq, Wx), [0xe3] = MX(Qq, Wx),
    [0xe4] = MX(Qq, Wx), [0xe5] = MX(Qq, Wx),
    [0xe6] = P4(X_, S(Vx, Wx), S(Vx, Wq), S(Vx, Wx)),
    [0xe7] = P4(S(Mq, Pq), S(Mdq, Vx), X_, X_),
    [0xe8] = MX(Qq, Wx), [0xe9] = MX(Qq, Wx), [0xea] = MX(Qq, Wx), [0xeb] = MX(Qq, Wx),
    [0xec] = MX(Qq, Wx), [0xed] = MX(Qq, Wx), [0xee] = MX(Qq, Wx), [0xef] = MX(Qq, Wx),
    [0xf0] = P4(X_, X_, X_, S(Vx, Mdq)),
    [0xf1] = MX(Qq, Wx), [0xf2] = MX(Qq, Wx), [0xf3] = MX(Qq, Wx), [0xf4] = MX(Qq, Wx),
    [0xf5] = MX(Qq, Wx), [0xf6] = MX(Qq, Wx),
    [0xf7] = P4(S(Pq, Nq), S(Vx, Ux), X_, X_),
    [0xf8] = MX(Qq, Wx), [0xf9] = MX(Qq, Wx), [0xfa] = MX(Qq, Wx), [0xfb] = MX(Qq, Wx),
    [0xfc] = MX(Qq, Wx), [0xfd] = MX(Qq, Wx), [0xfe] = MX(Qq, Wx),
    [0xff] = ALL(I(UD0, 0, Gv, Ev)),
};

/* Table A-4: three-byte opcodes 0F 38 xx (SSSE3, SSE4.1/4.2, AES, SHA,
 * MOVBE, CRC32). */
#define SSSE3 MX(Qq, Wx)
const struct x86_opdef x86_map0f38[256][4] = {
    [0x00] = SSSE3, [0x01] = SSSE3, [0x02] = SSSE3, [0x03] = SSSE3,
    [0x04] = SSSE3, [0x05] = SSSE3, [0x06] = SSSE3, [0x07] = SSSE3,
    [0x08] = SSSE3, [0x09] = SSSE3, [0x0a] = SSSE3, [0x0b] = SSSE3,
    [0x10] = ONLY66(Vx, Wx), [0x14] = ONLY66(Vx, Wx), [0x15] = ONLY66(Vx, Wx),
    [0x17] = ONLY66(Vx, Wx),
    [0x1c] = SSSE3, [0x1d] = SSSE3, [0x1e] = SSSE3,
    [0x20] = ONLY66(Vx, Wq), [0x21] = ONLY66(Vx, Wd), [0x22] = ONLY66(Vx, Ww),
    [0x23] = ONLY66(Vx, Wq), [0x24] = ONLY66(Vx, Wd), [0x25] = ONLY66(Vx, Wq),
    [0x28] = ONLY66(Vx, Wx), [0x29] = ONLY66(Vx, Wx), [0x2a] = ONLY66(Vx, Mdq),
    [0x2b] = ONLY66(Vx, Wx),
    [0x30] = ONLY66(Vx, Wq), [0x31] = ONLY66(Vx, Wd), [0x32] = ONLY66(Vx, Ww),
    [0x33] = ONLY66(Vx, Wq), [0x34] = ONLY66(Vx, Wd), [0x35] = ONLY66(Vx, Wq),
    [0x37] = ONLY66(Vx, Wx), [0x38] = ONLY66(Vx, Wx), [0x39] = ONLY66(Vx, Wx),
    [0x3a] = ONLY66(Vx, Wx), [0x3b] = ONLY66(Vx, Wx), [0x3c] = ONLY66(Vx, Wx),
    [0x3d] = ONLY66(Vx, Wx), [0x3e] = ONLY66(Vx, Wx), [0x3f] = ONLY66(Vx, Wx),
    [0x40] = ONLY66(Vx, Wx), [0x41] = ONLY66(Vx, Wx),
    [0xc8] = P4(S(Vx, Wx), X_, X_, X_), [0xc9] = P4(S(Vx, Wx), X_, X_, X_),
    [0xca] = P4(S(Vx, Wx), X_, X_, X_), [0xcb] = P4(S(Vx, Wx), X_, X_, X_),
    [0xcc] = P4(S(Vx, Wx), X_, X_, X_), [0xcd] = P4(S(Vx, Wx), X_, X_, X_),
    [0xdb] = ONLY66(Vx, Wx), [0xdc] = ONLY66(Vx, Wx), [0xdd] = ONLY66(Vx, Wx),
    [0xde] = ONLY66(Vx, Wx), [0xdf] = ONLY66(Vx, Wx),
    /* 66 is an operand-size prefix for MOVBE and CRC32 (66 F2 0F 38 F1 is
     * CRC32 r32, r/m16). */
    [0xf0] = P4(I(MOVBE, 0, Gv, Mv), I(MOVBE, 0, Gv, Mv), X_, I(CRC32, 0, Gy, Eb)),
    [0xf1] = P4(I(MOVBE, 0, Mv, Gv), I(MOVBE, 0, Mv, Gv), X_, I(CRC32, 0, Gy, Ev)),
};

/* Table A-5: three-byte opcodes 0F 3A xx, every one with an imm8. */
#define ONLY66I(...) ONLY66(__VA_ARGS__, Ib)
const struct x86_opdef x86_map0f3a[256][4] = {
    [0x08] = ONLY66I(Vx, Wx), [0x09] = ONLY66I(Vx, Wx),
    [0x0a] = ONLY66I(Vx, Wd), [0x0b] = ONLY66I(Vx, Wq),
    [0x0c] = ONLY66I(Vx, Wx), [0x0d] = ONLY66I(Vx, Wx), [0x0e] = ONLY66I(Vx, Wx),
    [0x0f] = P4(S(Pq, Qq, Ib), S(Vx, Wx, Ib), X_, X_),
    [0x14] = ONLY66I(RyMb, Vx), [0x15] = ONLY66I(RyMw, Vx),
    [0x16] = ONLY66I(Ey, Vx), [0x17] = ONLY66I(RyMd, Vx),
    [0x20] = ONLY66I(Vx, RyMb), [0x21] = ONLY66I(Vx, Wd), [0x22] = ONLY66I(Vx, Ey),
    [0x40] = ONLY66I(Vx, Wx), [0x41] = ONLY66I(Vx, Wx), [0x42] = ONLY66I(Vx, Wx),
    [0x44] = ONLY66I(Vx, Wx),
    [0x60] = ONLY66I(Vx, Wx), [0x61] = ONLY66I(Vx, Wx),
    [0x62] = ONLY66I(Vx, Wx), [0x63] = ONLY66I(Vx, Wx),
    [0xcc] = P4(S(Vx, Wx, Ib), X_, X_, X_),
    [0xdf] = ONLY66I(Vx, Wx),
};

/* Table A-6: opcode extensions by ModRM.reg. */
#define GRP1_ROWS I(ADD, LK), I(OR, LK), I(ADC, LK), I(SBB, LK), \
                  I(AND, LK), I(SUB, LK), I(XOR, LK), I(CMP, 0)
#define GRP2_ROWS I(ROL, 0), I(ROR, 0), I(RCL, 0), I(RCR, 0), \
                  I(SHL, 0), I(SHR, 0), I(SAL, 0), I(SAR, 0)
/* F6/F7 /1 is an undocumented alias of TEST that every CPU executes. */
#define GRP3_ROWS(e, i) I(TEST, 0, e, i), I(TEST, 0, e, i), I(NOT, LK), I(NEG, LK), \
                  I(MUL, 0), I(IMUL, 0), I(DIV, 0), I(IDIV, 0)
#define GRP5_ROWS I(INC, LK), I(DEC, LK), I(CALL, F64), I(CALLF, 0, Mp), \
                  I(JMP, F64), I(JMPF, 0, Mp), I(PUSH, D64), X_
#define GRP6_ROWS I(SLDT, 0, RvMw), I(STR, 0, RvMw), I(LLDT, 0, Ew), I(LTR, 0, Ew), \
                  I(VERR, 0, Ew), I(VERW, 0, Ew), X_, X_
#define GRP8_ROWS X_, X_, X_, X_, I(BT, 0), I(BTS, LK), I(BTR, LK), I(BTC, LK)
#define SH_MMX    S(Nq, Ib)
#define SH_XMM    S(Ux, Ib)
#define GRP15_MEM I(FXSAVE, 0, M), I(FXRSTOR, 0, M), I(LDMXCSR, 0, Md), I(STMXCSR, 0, Md), \
                  I(XSAVE, 0, M), I(XRSTOR, 0, M)
#define GRP15_REG [5] = I(LFENCE, 0), [6] = I(MFENCE, 0), [7] = I(SFENCE, 0)
#define SAME(...) { __VA_ARGS__ }, { __VA_ARGS__ }

const struct x86_group x86_groups[GRP_COUNT] = {
    [GRP1] = { SAME(GRP1_ROWS) },
    [GRP1A] = { SAME(I(POP, D64)) },
    [GRP2] = { SAME(GRP2_ROWS) },
    [GRP3B] = { SAME(GRP3_ROWS(Eb, Ib)) },
    [GRP3V] = { SAME(GRP3_ROWS(Ev, Iz)) },
    [GRP4] = { SAME(I(INC, LK), I(DEC, LK)) },
    [GRP5] = { SAME(GRP5_ROWS) },
    [GRP6] = { SAME(GRP6_ROWS) },
    [GRP7] = {
        .mem = { I(SGDT, F64, Ms), I(SIDT, F64, Ms), I(LGDT, F64, Ms), I(LIDT, F64, Ms),
                 I(SMSW, 0, RvMw), X_, I(LMSW, 0, Ew), I(INVLPG, 0, M) },
        .reg = { [2] = RG(RMG7_2), [4] = I(SMSW, 0, RvMw), [6] = I(LMSW, 0, Ew),
                 [7] = RG(RMG7_7) },
    },
    [GRP8] = { SAME(GRP8_ROWS) },
    [GRP9] = { .mem = { [1] = I(CMPXCHG8B, LK, Mq) } },
    [GRP11] = { SAME(I(MOV, 0)) },
    [GRP12] = { .reg = { [2] = SH_MMX, [4] = SH_MMX, [6] = SH_MMX } },
    [GRP12X] = { .reg = { [2] = SH_XMM, [4] = SH_XMM, [6] = SH_XMM } },
    [GRP13] = { .reg = { [2] = SH_MMX, [4] = SH_MMX, [6] = SH_MMX } },
    [GRP13X] = { .reg = { [2] = SH_XMM, [4] = SH_XMM, [6] = SH_XMM } },
    [GRP14] = { .reg = { [2] = SH_MMX, [6] = SH_MMX } },
    [GRP14X] = { .reg = { [2] = SH_XMM, [3] = SH_XMM, [6] = SH_XMM, [7] = SH_XMM } },
    [GRP15] = { .mem = { GRP15_MEM, X_, I(CLFLUSH, 0, Mb) }, .reg = { GRP15_REG } },
    /* Grp16: /0-/3 prefetches; the rest of 0F 18 is reserved-NOP space. */
    [GRP16] = {
        .mem = { I(PREFETCH, 0, Mb), I(PREFETCH, 0, Mb), I(PREFETCH, 0, Mb),
                 I(PREFETCH, 0, Mb), I(NOP_HINT, 0, Ev), I(NOP_HINT, 0, Ev),
                 I(NOP_HINT, 0, Ev), I(NOP_HINT, 0, Ev) },
        .reg = { I(NOP_HINT, 0, Ev), I(NOP_HINT, 0, Ev), I(NOP_HINT, 0, Ev),
                 I(NOP_HINT, 0, Ev), I(NOP_HINT, 0, Ev), I(NOP_HINT, 0, Ev),
                 I(NOP_HINT, 0, Ev), I(NOP_HINT, 0, Ev) },
    },
    /* 0F 0D: PREFETCH/PREFETCHW (AMD; /2-/7 alias /0). */
    [GRPP] = { .mem = { I(PREFETCH, 0, Mb), I(PREFETCH, 0, Mb), I(PREFETCH, 0, Mb),
                        I(PREFETCH, 0, Mb), I(PREFETCH, 0, Mb), I(PREFETCH, 0, Mb),
                        I(PREFETCH, 0, Mb), I(PREFETCH, 0, Mb) } },
};

/* Table A-6, the mod == 3 rows of Grp7 that ModRM.rm selects. */
const struct x86_opdef x86_rmgroups[RMG_COUNT][8] = {
    [RMG7_2] = { I(XGETBV, 0), I(XSETBV, 0) },
    [RMG7_7] = { I(SWAPGS, O64), I(RDTSCP, 0) },
};

/* Tables: x87 memory forms. 0 = an environment or state image
 * (FLDENV, FNSTENV, FRSTOR, FNSAVE), whose size depends on the mode. */
#define B X87_BAD
const uint8_t x86_x87_memsize[8][8] = {
    { 4, 4, 4, 4, 4, 4, 4, 4 },     /* D8: m32fp arithmetic */
    { 4, B, 4, 4, 0, 2, 0, 2 },     /* D9: FLD FST FSTP m32fp, FLDENV FLDCW FNSTENV FNSTCW */
    { 4, 4, 4, 4, 4, 4, 4, 4 },     /* DA: m32int arithmetic */
    { 4, 4, 4, 4, B, 10, B, 10 },   /* DB: FILD FISTTP FIST FISTP m32int, FLD FSTP m80fp */
    { 8, 8, 8, 8, 8, 8, 8, 8 },     /* DC: m64fp arithmetic */
    { 8, 8, 8, 8, 0, B, 0, 2 },     /* DD: FLD FISTTP FST FSTP m64, FRSTOR FNSAVE FNSTSW */
    { 2, 2, 2, 2, 2, 2, 2, 2 },     /* DE: m16int arithmetic */
    { 2, 2, 2, 2, 10, 8, 10, 8 },   /* DF: FILD FISTTP FIST FISTP m16int, FBLD FILD m64 FBSTP FISTP m64 */
};
#undef B

/* x87 register forms, one bit per ModRM C0..FF; a row is eight bits, one
 * per ST(i). Besides the documented forms, the aliases every x87 since the
 * 387 executes are valid: FCOM2/FCOMP3 (DC D0-DF), FXCH4 (DD C8), FCOMP5
 * (DE D0), FFREEP/FXCH7/FSTP8/FSTP9 (DF C0-DF), FSTP1 (D9 D8) and the
 * 8087 leftovers FENI/FDISI/FSETPM that are no-ops (DB E0 E1 E4). */
#define ROW(r, bits) ((uint64_t)(bits) << (8 * (r)))
const uint64_t x86_x87_regvalid[8] = {
    /* D8 */ ~0ull,
    /* D9: FLD, FXCH, FNOP (D0), FSTP1, FCHS FABS FTST FXAM, constants, the rest */
    ROW(0, 0xff) | ROW(1, 0xff) | ROW(2, 0x01) | ROW(3, 0xff) |
        ROW(4, 0x33) | ROW(5, 0x7f) | ROW(6, 0xff) | ROW(7, 0xff),
    /* DA: FCMOVB/E/BE/U, FUCOMPP (E9) */
    ROW(0, 0xff) | ROW(1, 0xff) | ROW(2, 0xff) | ROW(3, 0xff) | ROW(5, 0x02),
    /* DB: FCMOVNB/NE/NBE/NU, FENI FDISI FNCLEX FNINIT FSETPM, FUCOMI, FCOMI */
    ROW(0, 0xff) | ROW(1, 0xff) | ROW(2, 0xff) | ROW(3, 0xff) |
        ROW(4, 0x1f) | ROW(5, 0xff) | ROW(6, 0xff),
    /* DC: all */
    ~0ull,
    /* DD: FFREE, FXCH4, FST, FSTP, FUCOM, FUCOMP */
    ROW(0, 0xff) | ROW(1, 0xff) | ROW(2, 0xff) | ROW(3, 0xff) |
        ROW(4, 0xff) | ROW(5, 0xff),
    /* DE: FADDP, FMULP, FCOMP5, FCOMPP (D9), FSUBRP FSUBP FDIVRP FDIVP */
    ROW(0, 0xff) | ROW(1, 0xff) | ROW(2, 0xff) | ROW(3, 0x02) |
        ROW(4, 0xff) | ROW(5, 0xff) | ROW(6, 0xff) | ROW(7, 0xff),
    /* DF: FFREEP, FXCH7, FSTP8, FSTP9, FNSTSW AX (E0), FUCOMIP, FCOMIP */
    ROW(0, 0xff) | ROW(1, 0xff) | ROW(2, 0xff) | ROW(3, 0xff) |
        ROW(4, 0x01) | ROW(5, 0xff) | ROW(6, 0xff),
};
