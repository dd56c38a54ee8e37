/* The x87 FPU as C helpers for the bt translator: register stack, tags,
 * status/control words, exceptions and every x87 instruction's effect on
 * struct x86_fpu (arithmetic in cpu/softfloat80.c). Memory is the caller's:
 * loads take the operand's value, stores hand back the value to write. */
#ifndef VX86_CPU_FPU_H
#define VX86_CPU_FPU_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/cpu.h"
#include "cpu/softfloat80.h"

/*
 * How the translator uses this (SDM vol. 1 ch. 8, vol. 3 "x87 FPU"):
 *  - Before every x87 instruction except the non-waiting control ones
 *    (FNINIT, FNCLEX, FNSTCW, FNSTSW, FNSTENV, FNSAVE), after the CR0.EM /
 *    CR0.TS (#NM) checks: if fpu_pending_exception(), raise #MF when CR0.NE
 *    is set (otherwise the PC's FERR#/IRQ13 path applies). WAIT/FWAIT is
 *    just that check.
 *  - The translator keeps FOP, FIP and FDP itself (struct x86_fpu fields)
 *    for the non-control instructions. fip/fdp hold the offset in bits 0-31
 *    and, outside 64-bit mode, the CS/DS selector in bits 32-47, which is
 *    exactly the FXSAVE layout; the images below convert.
 *  - A function that stores to memory returns true when the memory operand
 *    must be written; false means an unmasked exception suppressed the
 *    store (the x87 then also leaves the stack alone).
 *  - ST(i) numbers are relative to TOP; struct x86_fpu.st[] is physical.
 */

/* FSW */
#define FPU_SW_IE 0x0001
#define FPU_SW_DE 0x0002
#define FPU_SW_ZE 0x0004
#define FPU_SW_OE 0x0008
#define FPU_SW_UE 0x0010
#define FPU_SW_PE 0x0020
#define FPU_SW_SF 0x0040
#define FPU_SW_ES 0x0080
#define FPU_SW_C0 0x0100
#define FPU_SW_C1 0x0200
#define FPU_SW_C2 0x0400
#define FPU_SW_TOP_SHIFT 11
#define FPU_SW_TOP 0x3800
#define FPU_SW_C3 0x4000
#define FPU_SW_B 0x8000

/* FCW */
#define FPU_CW_PC_SHIFT 8
#define FPU_CW_RC_SHIFT 10
#define FPU_CW_INIT 0x037f
#define FPU_CW_BITS 0x1f3f  /* the bits FLDCW keeps (bit 6 reads as 1) */

#define FPU_MXCSR_MASK 0x0000ffffu  /* MXCSR bits FXRSTOR/LDMXCSR accept (DAZ included) */

/* ---- register access ---- */
int fpu_top(const struct x86_fpu *f);
bool fpu_st_empty(const struct x86_fpu *f, int i);
floatx80 fpu_st(const struct x86_fpu *f, int i);
/* Writes ST(i) and tags it valid (tests, debuggers). */
void fpu_set_st(struct x86_fpu *f, int i, floatx80 v);
/* The 16-bit tag word FNSTENV reports: 2 bits per physical register
 * (00 valid, 01 zero, 10 special, 11 empty). */
uint16_t fpu_full_tag_word(const struct x86_fpu *f);

/* ---- control (the FN* forms never wait) ---- */
void fpu_fninit(struct x86_fpu *f);
void fpu_fldcw(struct x86_fpu *f, uint16_t cw);
uint16_t fpu_fnstcw(const struct x86_fpu *f);
uint16_t fpu_fnstsw(const struct x86_fpu *f);
void fpu_fnclex(struct x86_fpu *f);
/* ES is set: an unmasked exception waits for the next waiting instruction. */
bool fpu_pending_exception(const struct x86_fpu *f);
void fpu_ffree(struct x86_fpu *f, int i);
void fpu_ffreep(struct x86_fpu *f, int i);   /* DF C0+i: FFREE, then pop */
void fpu_fdecstp(struct x86_fpu *f);
void fpu_fincstp(struct x86_fpu *f);

/* ---- loads (push) ---- */
void fpu_fld_m32(struct x86_fpu *f, uint32_t v);
void fpu_fld_m64(struct x86_fpu *f, uint64_t v);
void fpu_fld_m80(struct x86_fpu *f, const uint8_t m[10]);
void fpu_fld_sti(struct x86_fpu *f, int i);
void fpu_fild(struct x86_fpu *f, int64_t v);          /* FILD m16/m32/m64 */
void fpu_fbld(struct x86_fpu *f, const uint8_t m[10]);
/* FLD1, FLDL2T, FLDL2E, FLDPI, FLDLG2, FLDLN2, FLDZ: D9 E8+c */
enum fpu_const {
    FPU_CONST_1, FPU_CONST_L2T, FPU_CONST_L2E, FPU_CONST_PI,
    FPU_CONST_LG2, FPU_CONST_LN2, FPU_CONST_Z,
};
void fpu_fldconst(struct x86_fpu *f, enum fpu_const c);

/* ---- stores: true = write *out to memory ---- */
bool fpu_fst_m32(struct x86_fpu *f, uint32_t *out, bool pop);
bool fpu_fst_m64(struct x86_fpu *f, uint64_t *out, bool pop);
bool fpu_fstp_m80(struct x86_fpu *f, uint8_t out[10]);
void fpu_fst_sti(struct x86_fpu *f, int i, bool pop);
/* FIST/FISTP (rounded per FCW.RC) and FISTTP (truncate = true, pops):
 * bits is 16, 32 or 64; *out holds the two's complement value. */
bool fpu_fist(struct x86_fpu *f, int bits, bool pop, bool truncate, uint64_t *out);
bool fpu_fbstp(struct x86_fpu *f, uint8_t out[10]);

/* ---- arithmetic and comparisons ----
 * The operation enum follows the ModRM reg field of D8 (and of the memory
 * forms of DC, DA, DE). It always names the mnemonic's meaning: for
 * fpu_arith_sti_st0, FPU_SUB is FSUB ST(i),ST(0) = ST(i) - ST(0), which DC
 * and DE encode with reg 5 (E8+i), and FPU_SUBR (reg 4, E0+i) is ST(0) -
 * ST(i); likewise DIV is reg 7 (F8+i) and DIVR reg 6 (F0+i) there. */
enum fpu_arith {
    FPU_ADD, FPU_MUL, FPU_COM, FPU_COMP, FPU_SUB, FPU_SUBR, FPU_DIV, FPU_DIVR,
};
/* D8 C0+i..: ST(0) = ST(0) op ST(i); FPU_COM/COMP compare ST(0) with ST(i). */
void fpu_arith_st0_sti(struct x86_fpu *f, enum fpu_arith op, int i);
/* DC/DE register forms: ST(i) = ST(i) op ST(0), then pop if asked (FADDP..). */
void fpu_arith_sti_st0(struct x86_fpu *f, enum fpu_arith op, int i, bool pop);
/* D8/DC/DA/DE memory forms: ST(0) = ST(0) op m32fp / m64fp / m16int-m32int. */
void fpu_arith_m32(struct x86_fpu *f, enum fpu_arith op, uint32_t v);
void fpu_arith_m64(struct x86_fpu *f, enum fpu_arith op, uint64_t v);
void fpu_arith_mint(struct x86_fpu *f, enum fpu_arith op, int32_t v);

/* FCOM/FCOMP/FCOMPP (unordered=false) and FUCOM/FUCOMP/FUCOMPP: ST(0)
 * against ST(i), C3/C2/C0 set, pops = 0, 1 or 2. */
void fpu_fcom_sti(struct x86_fpu *f, int i, bool unordered, int pops);
/* FCOMI/FCOMIP/FUCOMI/FUCOMIP: returns the new ZF, PF and CF (OF, SF and
 * AF are cleared by the instruction: the caller replaces all six
 * arithmetic flags with the result). EFLAGS are written even when an
 * unmasked exception cancels the pop, as the hardware does. */
uint32_t fpu_fcomi(struct x86_fpu *f, int i, bool unordered, bool pop);
void fpu_ftst(struct x86_fpu *f);
void fpu_fxam(struct x86_fpu *f);

/* ---- other register operations ---- */
void fpu_fxch(struct x86_fpu *f, int i);
void fpu_fchs(struct x86_fpu *f);
void fpu_fabs(struct x86_fpu *f);
/* FCMOVcc: cond is the condition the translator evaluated from EFLAGS. */
void fpu_fcmov(struct x86_fpu *f, int i, bool cond);
void fpu_fsqrt(struct x86_fpu *f);
void fpu_frndint(struct x86_fpu *f);
void fpu_fscale(struct x86_fpu *f);
void fpu_fxtract(struct x86_fpu *f);
void fpu_fprem(struct x86_fpu *f);
void fpu_fprem1(struct x86_fpu *f);
void fpu_f2xm1(struct x86_fpu *f);
void fpu_fyl2x(struct x86_fpu *f);
void fpu_fyl2xp1(struct x86_fpu *f);
void fpu_fptan(struct x86_fpu *f);
void fpu_fpatan(struct x86_fpu *f);
void fpu_fsin(struct x86_fpu *f);
void fpu_fcos(struct x86_fpu *f);
void fpu_fsincos(struct x86_fpu *f);

/* ---- state images ----
 * FNSTENV/FLDENV: 14 bytes (16-bit operand size) or 28 (32-bit); FNSAVE and
 * FRSTOR add the eight registers in ST order: 94 or 108 bytes. The real-mode
 * layouts store FIP/FDP as 20/32-bit linear addresses (selector * 16 +
 * offset) with the opcode; FRSTOR/FLDENV in real mode load them back as an
 * offset with selector 0. FNSTENV masks all exceptions afterwards; FNSAVE
 * reinitializes the FPU as FNINIT. */
enum fpu_env_format { FPU_ENV_REAL16, FPU_ENV_PROT16, FPU_ENV_REAL32, FPU_ENV_PROT32 };
unsigned fpu_env_size(enum fpu_env_format fmt);
unsigned fpu_save_size(enum fpu_env_format fmt);
void fpu_fnstenv(struct x86_fpu *f, uint8_t *img, enum fpu_env_format fmt);
void fpu_fldenv(struct x86_fpu *f, const uint8_t *img, enum fpu_env_format fmt);
void fpu_fnsave(struct x86_fpu *f, uint8_t *img, enum fpu_env_format fmt);
void fpu_frstor(struct x86_fpu *f, const uint8_t *img, enum fpu_env_format fmt);

/* FXSAVE/FXRSTOR (and the legacy region of XSAVE): rex_w selects the 64-bit
 * FIP/FDP layout; nxmm is 8 outside 64-bit mode, 16 in it. fpu_fxsave
 * writes bytes 0 .. 160 + 16*nxmm - 1 and returns that count (the rest of
 * the 512 bytes is reserved or software's and left alone). fpu_fxrstor
 * returns false, changing nothing, when MXCSR has bits outside
 * FPU_MXCSR_MASK (the caller raises #GP). */
unsigned fpu_fxsave(const struct x86_fpu *f, uint8_t img[512], bool rex_w, unsigned nxmm);
bool fpu_fxrstor(struct x86_fpu *f, const uint8_t img[512], bool rex_w, unsigned nxmm);

#endif
