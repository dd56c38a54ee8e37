/* Unit tests for cpu/fpu.c: every x87 instruction run from random states on
 * the host's x87 (FRSTOR, the instruction, FNSAVE) and on the soft FPU, the
 * resulting images compared (FCW, FSW, tags, registers, memory operand,
 * EFLAGS); directed tests for the stack, control words and state images. */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cpu/fpu.h"
#include "test_util.h"

/* The host asm below pushes and pops RFLAGS, so the host oracle is x86-64
 * only; VX86_NO_HOST_X87 builds the directed tests alone anywhere. */
#define X87_HOST_64BIT_ONLY 1
#include "x87_host.h"

/* ---- random values ---- */

static struct x87_rng rng;

static uint64_t rnd(void) { return x87_rng_next(&rng); }
static unsigned rndn(unsigned n) { return x87_rng_below(&rng, n); }
static uint64_t seed_init(void) { return x87_rng_seed(&rng, "FPU_SEED"); }

static uint64_t rnd_sig(void)
{
    switch (rndn(6)) {
    case 0: return ~0ull;
    case 1: return 1ull << 63;
    case 2: return (1ull << 63) | (rnd() >> rndn(64));
    case 3: return ~0ull << rndn(64);
    default: return (1ull << 63) | rnd();
    }
}

static floatx80 rnd_x80(void)
{
    bool sign = rnd() & 1;
    switch (rndn(20)) {
    case 0: return sf80_make(sign, 0, 0);
    case 1: return sf80_make(sign, 0, rnd_sig() >> (1 + rndn(63)));
    case 2: return sf80_make(sign, 0, rnd_sig() | (1ull << 63));
    case 3: return sf80_make(sign, 0x7fff, 1ull << 63);
    case 4: return sf80_make(sign, 0x7fff, (3ull << 62) | (rnd() >> rndn(64)));
    case 5: return sf80_make(sign, 0x7fff, (1ull << 63) | ((rnd() >> 2) | 1));
    case 6: return sf80_make(sign, 1 + rndn(0x7fff), rnd_sig() >> (1 + rndn(63)));
    case 7: return sf80_make(sign, 1 + rndn(70), rnd_sig());
    case 8: return sf80_make(sign, 0x7ffe - rndn(70), rnd_sig());
    case 9: case 10: case 11: case 12: case 13:
        return sf80_make(sign, 16383 - 70 + rndn(140), rnd_sig());
    default: return sf80_make(sign, 1 + rndn(0x7ffe), rnd_sig());
    }
}

/* Finite values in [2^lo, 2^hi) with a random sign (or positive). */
static floatx80 rnd_range(int lo, int hi, bool positive)
{
    return sf80_make(positive ? 0 : rnd() & 1, 16383 + lo + (int)rndn((unsigned)(hi - lo)), rnd_sig());
}

static uint16_t rnd_fcw(void)
{
    static const uint16_t pcs[] = { 0, 2, 3, 3 };
    uint16_t fcw = 0x0040 | (uint16_t)(rndn(4) << 10) | (uint16_t)(pcs[rndn(4)] << 8);
    return (uint16_t)(fcw | (rndn(3) ? 0x3f : rndn(64)));
}

/* ---- machine states and the two executions ---- */

#define IMG_SIZE 108

struct state {
    uint16_t fcw, fsw;
    uint8_t valid;        /* by ST index */
    floatx80 st[8];       /* by ST index */
};

static void put_x80(uint8_t *p, floatx80 v)
{
    memcpy(p, &v.sig, 8);
    memcpy(p + 8, &v.se, 2);
}

static void state_image(const struct state *s, uint8_t img[IMG_SIZE])
{
    memset(img, 0, IMG_SIZE);
    int top = (s->fsw >> 11) & 7;
    uint16_t tw = 0;
    for (int p = 0; p < 8; p++)
        if (!((s->valid >> ((p - top) & 7)) & 1))
            tw |= (uint16_t)(3u << (2 * p));
    uint32_t w;
    w = 0xffff0000u | s->fcw;
    memcpy(img, &w, 4);
    w = 0xffff0000u | s->fsw;
    memcpy(img + 4, &w, 4);
    w = 0xffff0000u | tw;
    memcpy(img + 8, &w, 4);
    for (int i = 0; i < 8; i++)
        put_x80(img + 28 + 10 * i, s->st[i]);
}

/* A test body: the host side runs one instruction between FRSTOR and
 * FNSAVE with mem as its memory operand; the soft side does the same on a
 * struct x86_fpu. */
typedef void (*host_fn)(const uint8_t *in, uint8_t *out, uint8_t *mem);
typedef void (*soft_fn)(struct x86_fpu *f, uint8_t *mem);

#ifdef HAVE_HOST_X87
#define HOST(name, insn)                                                                     \
    static void host_##name(const uint8_t *in, uint8_t *out, uint8_t *mem)                  \
    {                                                                                        \
        __asm__ volatile("frstor (%0)\n\t" insn "\n\tfnsave (%1)"                            \
                         :                                                                   \
                         : "r"(in), "r"(out), "r"(mem)                                       \
                         : "memory", "cc");                                                  \
    }
/* EFLAGS before the instruction: all six arithmetic flags set; after it,
 * RFLAGS is stored at mem+8. The red zone is stepped over. */
#define HOST_EFL(name, insn)                                                                 \
    static void host_##name(const uint8_t *in, uint8_t *out, uint8_t *mem)                  \
    {                                                                                        \
        __asm__ volatile("frstor (%0)\n\tsub $128, %%rsp\n\tpushq $0x8d7\n\tpopfq\n\t" insn \
                         "\n\tpushfq\n\tpopq 8(%2)\n\tadd $128, %%rsp\n\tfnsave (%1)"       \
                         :                                                                   \
                         : "r"(in), "r"(out), "r"(mem)                                       \
                         : "memory", "cc");                                                  \
    }
#else
#define HOST(name, insn) static void host_##name(const uint8_t *in, uint8_t *out, uint8_t *mem) { (void)in; (void)out; (void)mem; }
#define HOST_EFL HOST
#endif

/* Register forms are given as bytes (Intel encodings), so the AT&T
 * operand-order quirks of FSUB/FDIV with ST(i) destinations cannot bite. */
HOST(fadd_st0_st1, ".byte 0xd8, 0xc1")
HOST(fmul_st0_st2, ".byte 0xd8, 0xca")
HOST(fsub_st0_st1, ".byte 0xd8, 0xe1")
HOST(fsubr_st0_st1, ".byte 0xd8, 0xe9")
HOST(fdiv_st0_st1, ".byte 0xd8, 0xf1")
HOST(fdivr_st0_st1, ".byte 0xd8, 0xf9")
HOST(fadd_st1_st0, ".byte 0xdc, 0xc1")
HOST(fsub_st1_st0, ".byte 0xdc, 0xe9")   /* FSUB ST(1),ST(0) */
HOST(fsubr_st1_st0, ".byte 0xdc, 0xe1")  /* FSUBR ST(1),ST(0) */
HOST(fdiv_st1_st0, ".byte 0xdc, 0xf9")
HOST(fdivr_st1_st0, ".byte 0xdc, 0xf1")
HOST(faddp, ".byte 0xde, 0xc1")
HOST(fmulp, ".byte 0xde, 0xc9")
HOST(fsubp, ".byte 0xde, 0xe9")
HOST(fsubrp, ".byte 0xde, 0xe1")
HOST(fdivp, ".byte 0xde, 0xf9")
HOST(fdivrp, ".byte 0xde, 0xf1")
HOST(fadd_m32, "fadds (%2)")
HOST(fsub_m32, "fsubs (%2)")
HOST(fdivr_m32, "fdivrs (%2)")
HOST(fmul_m64, "fmull (%2)")
HOST(fdiv_m64, "fdivl (%2)")
HOST(fsubr_m64, "fsubrl (%2)")
HOST(fiadd_m16, "fiadds (%2)")
HOST(fimul_m32, "fimull (%2)")
HOST(fisub_m32, "fisubl (%2)")
HOST(fidivr_m16, "fidivrs (%2)")
HOST(fcom_st1, ".byte 0xd8, 0xd1")
HOST(fcomp_st2, ".byte 0xd8, 0xda")
HOST(fcompp, ".byte 0xde, 0xd9")
HOST(fucom_st1, ".byte 0xdd, 0xe1")
HOST(fucomp_st1, ".byte 0xdd, 0xe9")
HOST(fucompp, ".byte 0xda, 0xe9")
HOST(fcom_m32, "fcoms (%2)")
HOST(fcomp_m64, "fcompl (%2)")
HOST(ficom_m16, "ficoms (%2)")
HOST(ficomp_m32, "ficompl (%2)")
HOST_EFL(fcomi, ".byte 0xdb, 0xf1")
HOST_EFL(fucomi, ".byte 0xdb, 0xe9")
HOST_EFL(fcomip, ".byte 0xdf, 0xf1")
HOST_EFL(fucomip, ".byte 0xdf, 0xe9")
HOST(ftst, "ftst")
HOST(fxam, "fxam")
HOST(fld_m32, "flds (%2)")
HOST(fld_m64, "fldl (%2)")
HOST(fld_m80, "fldt (%2)")
HOST(fld_st3, ".byte 0xd9, 0xc3")
HOST(fild_m16, "filds (%2)")
HOST(fild_m32, "fildl (%2)")
HOST(fild_m64, "fildll (%2)")
HOST(fbld, "fbld (%2)")
HOST(fld1, "fld1")
HOST(fldl2t, "fldl2t")
HOST(fldl2e, "fldl2e")
HOST(fldpi, "fldpi")
HOST(fldlg2, "fldlg2")
HOST(fldln2, "fldln2")
HOST(fldz, "fldz")
HOST(fst_m32, "fsts (%2)")
HOST(fstp_m32, "fstps (%2)")
HOST(fst_m64, "fstl (%2)")
HOST(fstp_m64, "fstpl (%2)")
HOST(fstp_m80, "fstpt (%2)")
HOST(fst_st2, ".byte 0xdd, 0xd2")
HOST(fstp_st3, ".byte 0xdd, 0xdb")
HOST(fist_m16, "fists (%2)")
HOST(fistp_m32, "fistpl (%2)")
HOST(fistp_m64, "fistpll (%2)")
HOST(fisttp_m16, "fisttps (%2)")
HOST(fisttp_m64, "fisttpll (%2)")
HOST(fbstp, "fbstp (%2)")
HOST(fxch_st1, ".byte 0xd9, 0xc9")
HOST(fxch_st5, ".byte 0xd9, 0xcd")
HOST(fchs, "fchs")
HOST(fabs, "fabs")
HOST(fcmovb_taken, "stc\n\t.byte 0xda, 0xc1")
HOST(fcmovb_not, "clc\n\t.byte 0xda, 0xc1")
HOST(fsqrt, "fsqrt")
HOST(frndint, "frndint")
HOST(fscale, "fscale")
HOST(fxtract, "fxtract")
HOST(fprem, "fprem")
HOST(fprem1, "fprem1")
HOST(f2xm1, "f2xm1")
HOST(fyl2x, "fyl2x")
HOST(fyl2xp1, "fyl2xp1")
HOST(fptan, "fptan")
HOST(fpatan, "fpatan")
HOST(fsin, "fsin")
HOST(fcos, "fcos")
HOST(fsincos, "fsincos")
HOST(ffree_st1, "ffree %%st(1)")
HOST(ffreep_st2, ".byte 0xdf, 0xc2")
HOST(fdecstp, "fdecstp")
HOST(fincstp, "fincstp")
HOST(fnclex, "fnclex")
HOST(fldcw, "fldcw (%2)")
HOST(fnstcw, "fnstcw (%2)")
HOST(fnstsw, "fnstsw (%2)")

static uint32_t ld32(const uint8_t *m) { uint32_t v; memcpy(&v, m, 4); return v; }
static uint64_t ld64(const uint8_t *m) { uint64_t v; memcpy(&v, m, 8); return v; }
static int16_t ld_i16(const uint8_t *m) { int16_t v; memcpy(&v, m, 2); return v; }
static int32_t ld_i32(const uint8_t *m) { int32_t v; memcpy(&v, m, 4); return v; }

/* EFLAGS as the host harness sets them before the instruction. */
#define EFL_BEFORE 0x8d7u
#define EFL_ARITH (X86_FLAG_CF | X86_FLAG_PF | X86_FLAG_AF | X86_FLAG_ZF | X86_FLAG_SF | X86_FLAG_OF)

static void soft_efl(uint8_t *mem, uint32_t efl)
{
    uint64_t r = (EFL_BEFORE & ~(uint64_t)EFL_ARITH) | efl;
    memcpy(mem + 8, &r, 8);
}

#define SOFT(name, body) static void soft_##name(struct x86_fpu *f, uint8_t *mem) { (void)mem; body; }

SOFT(fadd_st0_st1, fpu_arith_st0_sti(f, FPU_ADD, 1))
SOFT(fmul_st0_st2, fpu_arith_st0_sti(f, FPU_MUL, 2))
SOFT(fsub_st0_st1, fpu_arith_st0_sti(f, FPU_SUB, 1))
SOFT(fsubr_st0_st1, fpu_arith_st0_sti(f, FPU_SUBR, 1))
SOFT(fdiv_st0_st1, fpu_arith_st0_sti(f, FPU_DIV, 1))
SOFT(fdivr_st0_st1, fpu_arith_st0_sti(f, FPU_DIVR, 1))
SOFT(fadd_st1_st0, fpu_arith_sti_st0(f, FPU_ADD, 1, false))
SOFT(fsub_st1_st0, fpu_arith_sti_st0(f, FPU_SUB, 1, false))
SOFT(fsubr_st1_st0, fpu_arith_sti_st0(f, FPU_SUBR, 1, false))
SOFT(fdiv_st1_st0, fpu_arith_sti_st0(f, FPU_DIV, 1, false))
SOFT(fdivr_st1_st0, fpu_arith_sti_st0(f, FPU_DIVR, 1, false))
SOFT(faddp, fpu_arith_sti_st0(f, FPU_ADD, 1, true))
SOFT(fmulp, fpu_arith_sti_st0(f, FPU_MUL, 1, true))
SOFT(fsubp, fpu_arith_sti_st0(f, FPU_SUB, 1, true))
SOFT(fsubrp, fpu_arith_sti_st0(f, FPU_SUBR, 1, true))
SOFT(fdivp, fpu_arith_sti_st0(f, FPU_DIV, 1, true))
SOFT(fdivrp, fpu_arith_sti_st0(f, FPU_DIVR, 1, true))
SOFT(fadd_m32, fpu_arith_m32(f, FPU_ADD, ld32(mem)))
SOFT(fsub_m32, fpu_arith_m32(f, FPU_SUB, ld32(mem)))
SOFT(fdivr_m32, fpu_arith_m32(f, FPU_DIVR, ld32(mem)))
SOFT(fmul_m64, fpu_arith_m64(f, FPU_MUL, ld64(mem)))
SOFT(fdiv_m64, fpu_arith_m64(f, FPU_DIV, ld64(mem)))
SOFT(fsubr_m64, fpu_arith_m64(f, FPU_SUBR, ld64(mem)))
SOFT(fiadd_m16, fpu_arith_mint(f, FPU_ADD, ld_i16(mem)))
SOFT(fimul_m32, fpu_arith_mint(f, FPU_MUL, ld_i32(mem)))
SOFT(fisub_m32, fpu_arith_mint(f, FPU_SUB, ld_i32(mem)))
SOFT(fidivr_m16, fpu_arith_mint(f, FPU_DIVR, ld_i16(mem)))
SOFT(fcom_st1, fpu_arith_st0_sti(f, FPU_COM, 1))
SOFT(fcomp_st2, fpu_arith_st0_sti(f, FPU_COMP, 2))
SOFT(fcompp, fpu_fcom_sti(f, 1, false, 2))
SOFT(fucom_st1, fpu_fcom_sti(f, 1, true, 0))
SOFT(fucomp_st1, fpu_fcom_sti(f, 1, true, 1))
SOFT(fucompp, fpu_fcom_sti(f, 1, true, 2))
SOFT(fcom_m32, fpu_arith_m32(f, FPU_COM, ld32(mem)))
SOFT(fcomp_m64, fpu_arith_m64(f, FPU_COMP, ld64(mem)))
SOFT(ficom_m16, fpu_arith_mint(f, FPU_COM, ld_i16(mem)))
SOFT(ficomp_m32, fpu_arith_mint(f, FPU_COMP, ld_i32(mem)))
SOFT(fcomi, soft_efl(mem, fpu_fcomi(f, 1, false, false)))
SOFT(fucomi, soft_efl(mem, fpu_fcomi(f, 1, true, false)))
SOFT(fcomip, soft_efl(mem, fpu_fcomi(f, 1, false, true)))
SOFT(fucomip, soft_efl(mem, fpu_fcomi(f, 1, true, true)))
SOFT(ftst, fpu_ftst(f))
SOFT(fxam, fpu_fxam(f))
SOFT(fld_m32, fpu_fld_m32(f, ld32(mem)))
SOFT(fld_m64, fpu_fld_m64(f, ld64(mem)))
SOFT(fld_m80, fpu_fld_m80(f, mem))
SOFT(fld_st3, fpu_fld_sti(f, 3))
SOFT(fild_m16, fpu_fild(f, ld_i16(mem)))
SOFT(fild_m32, fpu_fild(f, ld_i32(mem)))
SOFT(fild_m64, fpu_fild(f, (int64_t)ld64(mem)))
SOFT(fbld, fpu_fbld(f, mem))
SOFT(fld1, fpu_fldconst(f, FPU_CONST_1))
SOFT(fldl2t, fpu_fldconst(f, FPU_CONST_L2T))
SOFT(fldl2e, fpu_fldconst(f, FPU_CONST_L2E))
SOFT(fldpi, fpu_fldconst(f, FPU_CONST_PI))
SOFT(fldlg2, fpu_fldconst(f, FPU_CONST_LG2))
SOFT(fldln2, fpu_fldconst(f, FPU_CONST_LN2))
SOFT(fldz, fpu_fldconst(f, FPU_CONST_Z))
SOFT(fst_m32, { uint32_t v; if (fpu_fst_m32(f, &v, false)) memcpy(mem, &v, 4); })
SOFT(fstp_m32, { uint32_t v; if (fpu_fst_m32(f, &v, true)) memcpy(mem, &v, 4); })
SOFT(fst_m64, { uint64_t v; if (fpu_fst_m64(f, &v, false)) memcpy(mem, &v, 8); })
SOFT(fstp_m64, { uint64_t v; if (fpu_fst_m64(f, &v, true)) memcpy(mem, &v, 8); })
SOFT(fstp_m80, { uint8_t v[10]; if (fpu_fstp_m80(f, v)) memcpy(mem, v, 10); })
SOFT(fst_st2, fpu_fst_sti(f, 2, false))
SOFT(fstp_st3, fpu_fst_sti(f, 3, true))
SOFT(fist_m16, { uint64_t v; if (fpu_fist(f, 16, false, false, &v)) memcpy(mem, &v, 2); })
SOFT(fistp_m32, { uint64_t v; if (fpu_fist(f, 32, true, false, &v)) memcpy(mem, &v, 4); })
SOFT(fistp_m64, { uint64_t v; if (fpu_fist(f, 64, true, false, &v)) memcpy(mem, &v, 8); })
SOFT(fisttp_m16, { uint64_t v; if (fpu_fist(f, 16, true, true, &v)) memcpy(mem, &v, 2); })
SOFT(fisttp_m64, { uint64_t v; if (fpu_fist(f, 64, true, true, &v)) memcpy(mem, &v, 8); })
SOFT(fbstp, { uint8_t v[10]; if (fpu_fbstp(f, v)) memcpy(mem, v, 10); })
SOFT(fxch_st1, fpu_fxch(f, 1))
SOFT(fxch_st5, fpu_fxch(f, 5))
SOFT(fchs, fpu_fchs(f))
SOFT(fabs, fpu_fabs(f))
SOFT(fcmovb_taken, fpu_fcmov(f, 1, true))
SOFT(fcmovb_not, fpu_fcmov(f, 1, false))
SOFT(fsqrt, fpu_fsqrt(f))
SOFT(frndint, fpu_frndint(f))
SOFT(fscale, fpu_fscale(f))
SOFT(fxtract, fpu_fxtract(f))
SOFT(fprem, fpu_fprem(f))
SOFT(fprem1, fpu_fprem1(f))
SOFT(f2xm1, fpu_f2xm1(f))
SOFT(fyl2x, fpu_fyl2x(f))
SOFT(fyl2xp1, fpu_fyl2xp1(f))
SOFT(fptan, fpu_fptan(f))
SOFT(fpatan, fpu_fpatan(f))
SOFT(fsin, fpu_fsin(f))
SOFT(fcos, fpu_fcos(f))
SOFT(fsincos, fpu_fsincos(f))
SOFT(ffree_st1, fpu_ffree(f, 1))
SOFT(ffreep_st2, fpu_ffreep(f, 2))
SOFT(fdecstp, fpu_fdecstp(f))
SOFT(fincstp, fpu_fincstp(f))
SOFT(fnclex, fpu_fnclex(f))
SOFT(fldcw, fpu_fldcw(f, (uint16_t)ld32(mem)))
SOFT(fnstcw, { uint16_t v = fpu_fnstcw(f); memcpy(mem, &v, 2); })
SOFT(fnstsw, { uint16_t v = fpu_fnstsw(f); memcpy(mem, &v, 2); })

/* What the random states look like for an instruction. */
enum opnd {
    O_ANY,      /* random specials and finite values */
    O_TRIG,     /* |x| up to 2^70 */
    O_F2XM1,    /* |x| <= 1 */
    O_LOG,      /* ST0 > 0 */
    O_LOGP1,    /* |ST0| < 1 - sqrt(2)/2 */
    O_SCALE,    /* ST1 a moderate integer-ish value */
    O_PREM,     /* exponent difference 0..130 */
    O_INT,      /* values near integers, for FIST/FRNDINT */
};

enum mem_kind { M_NONE, M_F32, M_F64, M_F80, M_I16, M_I32, M_I64, M_BCD, M_CW, M_OUT };

/* Transcendental results may differ from the host's by one ulp (the host
 * is not correctly rounded; these nearly always are). */
#define TOL_ULPS 0x1
#define EFL 0x2        /* mem+8 holds EFLAGS */

struct insn_case {
    const char *name;
    host_fn host;
    soft_fn soft;
    enum mem_kind mem;
    enum opnd opnd;
    unsigned flags;
    int iterations;
};

#define CASE(n, m, o, fl, it) { #n, host_##n, soft_##n, m, o, fl, it }

static const struct insn_case cases[] = {
    CASE(fadd_st0_st1, M_NONE, O_ANY, 0, 20000),
    CASE(fmul_st0_st2, M_NONE, O_ANY, 0, 20000),
    CASE(fsub_st0_st1, M_NONE, O_ANY, 0, 20000),
    CASE(fsubr_st0_st1, M_NONE, O_ANY, 0, 20000),
    CASE(fdiv_st0_st1, M_NONE, O_ANY, 0, 20000),
    CASE(fdivr_st0_st1, M_NONE, O_ANY, 0, 20000),
    CASE(fadd_st1_st0, M_NONE, O_ANY, 0, 10000),
    CASE(fsub_st1_st0, M_NONE, O_ANY, 0, 10000),
    CASE(fsubr_st1_st0, M_NONE, O_ANY, 0, 10000),
    CASE(fdiv_st1_st0, M_NONE, O_ANY, 0, 10000),
    CASE(fdivr_st1_st0, M_NONE, O_ANY, 0, 10000),
    CASE(faddp, M_NONE, O_ANY, 0, 10000),
    CASE(fmulp, M_NONE, O_ANY, 0, 10000),
    CASE(fsubp, M_NONE, O_ANY, 0, 10000),
    CASE(fsubrp, M_NONE, O_ANY, 0, 10000),
    CASE(fdivp, M_NONE, O_ANY, 0, 10000),
    CASE(fdivrp, M_NONE, O_ANY, 0, 10000),
    CASE(fadd_m32, M_F32, O_ANY, 0, 20000),
    CASE(fsub_m32, M_F32, O_ANY, 0, 10000),
    CASE(fdivr_m32, M_F32, O_ANY, 0, 10000),
    CASE(fmul_m64, M_F64, O_ANY, 0, 20000),
    CASE(fdiv_m64, M_F64, O_ANY, 0, 10000),
    CASE(fsubr_m64, M_F64, O_ANY, 0, 10000),
    CASE(fiadd_m16, M_I16, O_ANY, 0, 10000),
    CASE(fimul_m32, M_I32, O_ANY, 0, 10000),
    CASE(fisub_m32, M_I32, O_ANY, 0, 10000),
    CASE(fidivr_m16, M_I16, O_ANY, 0, 10000),
    CASE(fcom_st1, M_NONE, O_ANY, 0, 10000),
    CASE(fcomp_st2, M_NONE, O_ANY, 0, 10000),
    CASE(fcompp, M_NONE, O_ANY, 0, 10000),
    CASE(fucom_st1, M_NONE, O_ANY, 0, 10000),
    CASE(fucomp_st1, M_NONE, O_ANY, 0, 10000),
    CASE(fucompp, M_NONE, O_ANY, 0, 10000),
    CASE(fcom_m32, M_F32, O_ANY, 0, 10000),
    CASE(fcomp_m64, M_F64, O_ANY, 0, 10000),
    CASE(ficom_m16, M_I16, O_ANY, 0, 10000),
    CASE(ficomp_m32, M_I32, O_ANY, 0, 10000),
    CASE(fcomi, M_OUT, O_ANY, EFL, 10000),
    CASE(fucomi, M_OUT, O_ANY, EFL, 10000),
    CASE(fcomip, M_OUT, O_ANY, EFL, 10000),
    CASE(fucomip, M_OUT, O_ANY, EFL, 10000),
    CASE(ftst, M_NONE, O_ANY, 0, 10000),
    CASE(fxam, M_NONE, O_ANY, 0, 10000),
    CASE(fld_m32, M_F32, O_ANY, 0, 10000),
    CASE(fld_m64, M_F64, O_ANY, 0, 10000),
    CASE(fld_m80, M_F80, O_ANY, 0, 10000),
    CASE(fld_st3, M_NONE, O_ANY, 0, 10000),
    CASE(fild_m16, M_I16, O_ANY, 0, 5000),
    CASE(fild_m32, M_I32, O_ANY, 0, 5000),
    CASE(fild_m64, M_I64, O_ANY, 0, 5000),
    CASE(fbld, M_BCD, O_ANY, 0, 10000),
    CASE(fld1, M_NONE, O_ANY, 0, 2000),
    CASE(fldl2t, M_NONE, O_ANY, 0, 2000),
    CASE(fldl2e, M_NONE, O_ANY, 0, 2000),
    CASE(fldpi, M_NONE, O_ANY, 0, 2000),
    CASE(fldlg2, M_NONE, O_ANY, 0, 2000),
    CASE(fldln2, M_NONE, O_ANY, 0, 2000),
    CASE(fldz, M_NONE, O_ANY, 0, 2000),
    CASE(fst_m32, M_OUT, O_ANY, 0, 20000),
    CASE(fstp_m32, M_OUT, O_ANY, 0, 10000),
    CASE(fst_m64, M_OUT, O_ANY, 0, 20000),
    CASE(fstp_m64, M_OUT, O_ANY, 0, 10000),
    CASE(fstp_m80, M_OUT, O_ANY, 0, 10000),
    CASE(fst_st2, M_NONE, O_ANY, 0, 5000),
    CASE(fstp_st3, M_NONE, O_ANY, 0, 5000),
    CASE(fist_m16, M_OUT, O_INT, 0, 20000),
    CASE(fistp_m32, M_OUT, O_INT, 0, 20000),
    CASE(fistp_m64, M_OUT, O_INT, 0, 20000),
    CASE(fisttp_m16, M_OUT, O_INT, 0, 10000),
    CASE(fisttp_m64, M_OUT, O_INT, 0, 10000),
    CASE(fbstp, M_OUT, O_INT, 0, 20000),
    CASE(fxch_st1, M_NONE, O_ANY, 0, 5000),
    CASE(fxch_st5, M_NONE, O_ANY, 0, 5000),
    CASE(fchs, M_NONE, O_ANY, 0, 5000),
    CASE(fabs, M_NONE, O_ANY, 0, 5000),
    CASE(fcmovb_taken, M_NONE, O_ANY, 0, 5000),
    CASE(fcmovb_not, M_NONE, O_ANY, 0, 5000),
    CASE(fsqrt, M_NONE, O_ANY, 0, 20000),
    CASE(frndint, M_NONE, O_INT, 0, 20000),
    CASE(fscale, M_NONE, O_SCALE, 0, 20000),
    CASE(fxtract, M_NONE, O_ANY, 0, 10000),
    CASE(fprem, M_NONE, O_PREM, 0, 20000),
    CASE(fprem1, M_NONE, O_PREM, 0, 20000),
    CASE(f2xm1, M_NONE, O_F2XM1, TOL_ULPS, 10000),
    CASE(fyl2x, M_NONE, O_LOG, TOL_ULPS, 10000),
    CASE(fyl2xp1, M_NONE, O_LOGP1, TOL_ULPS, 10000),
    CASE(fptan, M_NONE, O_TRIG, TOL_ULPS, 10000),
    CASE(fpatan, M_NONE, O_ANY, TOL_ULPS, 10000),
    CASE(fsin, M_NONE, O_TRIG, TOL_ULPS, 10000),
    CASE(fcos, M_NONE, O_TRIG, TOL_ULPS, 10000),
    CASE(fsincos, M_NONE, O_TRIG, TOL_ULPS, 10000),
    CASE(ffree_st1, M_NONE, O_ANY, 0, 2000),
    CASE(ffreep_st2, M_NONE, O_ANY, 0, 2000),
    CASE(fdecstp, M_NONE, O_ANY, 0, 2000),
    CASE(fincstp, M_NONE, O_ANY, 0, 2000),
    CASE(fnclex, M_NONE, O_ANY, 0, 2000),
    CASE(fldcw, M_CW, O_ANY, 0, 5000),
    CASE(fnstcw, M_OUT, O_ANY, 0, 2000),
    CASE(fnstsw, M_OUT, O_ANY, 0, 2000),
};

static floatx80 rnd_operand(enum opnd o, int idx, const struct state *st)
{
    if (rndn(8) == 0)
        return rnd_x80();
    switch (o) {
    case O_TRIG: return rnd_range(-70, rndn(4) ? 4 : 70, false);
    case O_F2XM1: return rndn(10) ? rnd_range(-70, 0, false) : sf80_make(rnd() & 1, 16383, 1ull << 63);
    case O_LOG: return idx == 0 ? rnd_range(-200, 200, true) : rnd_range(-100, 100, false);
    case O_LOGP1: return idx == 0 ? sf80_make(rnd() & 1, 16383 - 2 - rndn(60), rnd_sig()) : rnd_range(-100, 100, false);
    case O_SCALE: return idx == 1 ? rnd_range(-2, 16, false) : rnd_x80();
    case O_PREM:
        if (idx == 1) {
            int e0 = st->st[0].se & 0x7fff;
            int d = (int)rndn(140);
            if (e0 - d < 1)
                return rnd_x80();
            return sf80_make(rnd() & 1, e0 - d, rnd_sig());
        }
        return rnd_range(-100, 100, false);
    case O_INT: {
        int e = (int)rndn(70) - 3;
        uint64_t sig = rnd_sig();
        if (rndn(2) && e >= 0 && e < 62)
            sig = (sig & (~0ull << (62 - e))) | (rndn(2) ? 1ull << (61 - e) : 0) | (1ull << 63);
        return sf80_make(rnd() & 1, 16383 + e, sig);
    }
    default: return rnd_x80();
    }
}

static void rnd_state(const struct insn_case *c, struct state *s)
{
    s->fcw = rnd_fcw();
    int top = (int)rndn(8);
    /* sticky flags only where masked, so nothing is pending at FRSTOR */
    uint16_t sticky = (uint16_t)(rndn(4) == 0 ? rndn(64) & s->fcw & 0x3f : 0);
    s->fsw = (uint16_t)((top << 11) | (rnd() & 0x4700) | sticky);
    s->valid = 0;
    for (int i = 0; i < 8; i++) {
        unsigned p_empty = i < 2 ? 25 : (i == 7 ? 2 : 3);
        if (rndn(p_empty) != 0)
            s->valid |= (uint8_t)(1u << i);
        s->st[i] = rnd_x80();
    }
    if (c->opnd == O_PREM) {
        s->st[0] = rnd_operand(c->opnd, 0, s);
        s->st[1] = rnd_operand(c->opnd, 1, s);
    } else {
        s->st[0] = rnd_operand(c->opnd, 0, s);
        s->st[1] = rnd_operand(c->opnd, 1, s);
    }
}

static void rnd_mem(enum mem_kind k, uint8_t mem[16])
{
    uint64_t v = rnd();
    memset(mem, 0xa5, 16);
    switch (k) {
    case M_F32: {
        switch (rndn(5)) {
        case 0: v &= ~(0xffull << 23); break;
        case 1: v |= 0xffull << 23; break;
        default: break;
        }
        uint32_t w = (uint32_t)v;
        memcpy(mem, &w, 4);
        break;
    }
    case M_F64:
        switch (rndn(5)) {
        case 0: v &= ~(0x7ffull << 52); break;
        case 1: v |= 0x7ffull << 52; break;
        default: break;
        }
        memcpy(mem, &v, 8);
        break;
    case M_F80: put_x80(mem, rnd_x80()); break;
    case M_I16: case M_I32: case M_I64:
        if (rndn(2))
            v = (uint64_t)((int64_t)v >> rndn(64));
        memcpy(mem, &v, 8);
        break;
    case M_BCD:
        for (int i = 0; i < 9; i++)
            mem[i] = rndn(8) ? (uint8_t)(rndn(10) << 4 | rndn(10)) : (uint8_t)rnd();
        mem[9] = (uint8_t)(rnd() & 0x80);
        break;
    case M_CW: {
        uint32_t w = (uint32_t)(rnd() & 0xffff);
        memcpy(mem, &w, 4);
        break;
    }
    default: break;
    }
}

static floatx80 img_reg(const uint8_t *img, int i)
{
    floatx80 v;
    memcpy(&v.sig, img + 28 + 10 * i, 8);
    memcpy(&v.se, img + 28 + 10 * i + 8, 2);
    return v;
}

/* Distance in units in the last place between two values of the same sign
 * (far apart values all count as "far"). */
static uint64_t ulp_distance(floatx80 a, floatx80 b)
{
    if ((a.se ^ b.se) & 0x8000)
        return ~0ull;
    int ea = a.se & 0x7fff, eb = b.se & 0x7fff;
    uint64_t ma = a.sig & ~(1ull << 63), mb = b.sig & ~(1ull << 63);
    if (ea == eb)
        return ma > mb ? ma - mb : mb - ma;
    if (ea - eb == 1)
        return (1ull << 63) - mb + ma;
    if (eb - ea == 1)
        return (1ull << 63) - ma + mb;
    return ~0ull;
}

static int failures;

static void dump_state(const char *what, const uint8_t *img)
{
    uint16_t cw, sw, tw;
    memcpy(&cw, img, 2);
    memcpy(&sw, img + 4, 2);
    memcpy(&tw, img + 8, 2);
    fprintf(stderr, "  %s: fcw=%04x fsw=%04x ftw=%04x", what, cw, sw, tw);
    for (int i = 0; i < 8; i++) {
        floatx80 v = img_reg(img, i);
        if (i % 3 == 0)
            fprintf(stderr, "\n   ");
        fprintf(stderr, " st%d=%04x:%016" PRIx64, i, v.se, v.sig);
    }
    fprintf(stderr, "\n");
}

/* Compares the two FNSAVE images (pointer fields skipped) and memory. */
static bool compare_run(const struct insn_case *c, const uint8_t *want, const uint8_t *got,
                        const uint8_t *wmem, const uint8_t *gmem, int *tol_used)
{
    bool same_regs = true;
    int ulps_diff_regs = 0;
    for (int i = 0; i < 8; i++) {
        floatx80 a = img_reg(want, i), b = img_reg(got, i);
        if (a.sig == b.sig && a.se == b.se)
            continue;
        if ((c->flags & TOL_ULPS) && ulp_distance(a, b) <= 1) {
            ulps_diff_regs++;
            continue;
        }
        same_regs = false;
    }
    uint16_t wsw, gsw;
    memcpy(&wsw, want + 4, 2);
    memcpy(&gsw, got + 4, 2);
    uint16_t sw_mask = 0xffff;
    if (ulps_diff_regs)
        sw_mask &= (uint16_t)~(FPU_SW_C1 | FPU_SW_PE);
    else if (c->flags & TOL_ULPS)
        sw_mask &= (uint16_t)~FPU_SW_C1;
    *tol_used += ulps_diff_regs;
    return same_regs && memcmp(want, got, 2) == 0 && ((wsw ^ gsw) & sw_mask) == 0 &&
           memcmp(want + 8, got + 8, 2) == 0 && memcmp(wmem, gmem, 16) == 0;
}

static void run_case(const struct insn_case *c, uint64_t seed)
{
    int tol_used = 0;
    int local_fail = 0;
    for (int it = 0; it < c->iterations; it++) {
        struct state st;
        rnd_state(c, &st);
        uint8_t in[IMG_SIZE], want[IMG_SIZE], got[IMG_SIZE];
        uint8_t hmem[16], smem[16];
        state_image(&st, in);
        rnd_mem(c->mem, hmem);
        memcpy(smem, hmem, 16);

        c->host(in, want, hmem);

        struct x86_fpu f;
        memset(&f, 0, sizeof(f));
        fpu_fninit(&f);
        fpu_frstor(&f, in, FPU_ENV_PROT32);
        c->soft(&f, smem);
        fpu_fnsave(&f, got, FPU_ENV_PROT32);
        if (c->flags & EFL) {
            /* only the six arithmetic flags are the instruction's */
            uint64_t h = ld64(hmem + 8) & EFL_ARITH, g = ld64(smem + 8) & EFL_ARITH;
            memcpy(hmem + 8, &h, 8);
            memcpy(smem + 8, &g, 8);
        }

        if (!compare_run(c, want, got, hmem, smem, &tol_used)) {
            local_fail++;
            if (failures++ < 12) {
                fprintf(stderr, "%s mismatch (seed %#" PRIx64 ", iteration %d)\n", c->name, seed, it);
                dump_state("before", in);
                dump_state("host  ", want);
                dump_state("soft  ", got);
                fprintf(stderr, "  mem in/host/soft:");
                uint8_t orig[16];
                memcpy(orig, smem, 16);
                for (int b = 0; b < 16; b++)
                    fprintf(stderr, " %02x/%02x/%02x", orig[b], hmem[b], smem[b]);
                fprintf(stderr, "\n");
            }
        }
    }
    if (local_fail)
        fprintf(stderr, "%s: %d of %d mismatched\n", c->name, local_fail, c->iterations);
    if (tol_used && getenv("FPU_VERBOSE"))
        fprintf(stderr, "%s: %d results 1 ulp from the host's\n", c->name, tol_used);
}

START_TEST(test_host_random)
{
    uint64_t seed = seed_init();
    const char *only = getenv("FPU_ONLY");
    failures = 0;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (only && strcmp(only, cases[i].name) != 0)
            continue;
        run_case(&cases[i], seed);
    }
    ck_assert_msg(failures == 0, "%d mismatches against the host x87 (seed %#" PRIx64 ")",
                  failures, seed);
}
END_TEST

/* ---- directed tests ---- */

static floatx80 x80_int(int64_t v)
{
    return sf80_from_int64(v);
}

static bool x80_eq(floatx80 a, floatx80 b)
{
    return a.sig == b.sig && a.se == b.se;
}

static void fld_int(struct x86_fpu *f, int64_t v)
{
    fpu_fild(f, v);
}

START_TEST(test_init_and_control_words)
{
    struct x86_fpu f;
    memset(&f, 0xee, sizeof(f));
    fpu_fninit(&f);
    ck_assert_uint_eq(fpu_fnstcw(&f), 0x037f);
    ck_assert_uint_eq(fpu_fnstsw(&f), 0);
    ck_assert_uint_eq(f.ftw, 0);
    ck_assert_uint_eq(fpu_full_tag_word(&f), 0xffff);
    ck_assert(!fpu_pending_exception(&f));

    /* reserved FCW bits: 6 reads as 1, 13-15 as 0 */
    fpu_fldcw(&f, 0xffff);
    ck_assert_uint_eq(fpu_fnstcw(&f), 0x1f7f);
    fpu_fldcw(&f, 0x0000);
    ck_assert_uint_eq(fpu_fnstcw(&f), 0x0040);
    fpu_fldcw(&f, 0x0c7f);
    ck_assert_uint_eq(fpu_fnstcw(&f), 0x0c7f);

    /* TOP shows in FNSTSW */
    fpu_fninit(&f);
    fld_int(&f, 1);
    fld_int(&f, 2);
    ck_assert_uint_eq(fpu_fnstsw(&f), 6u << 11);
    ck_assert_int_eq(fpu_top(&f), 6);
}
END_TEST

START_TEST(test_stack_push_pop_tags)
{
    struct x86_fpu f;
    fpu_fninit(&f);
    for (int i = 0; i < 8; i++) {
        fld_int(&f, i + 1);
        ck_assert_int_eq(fpu_top(&f), 7 - i);
        ck_assert(f.ftw & (1u << (7 - i)));
        ck_assert(x80_eq(fpu_st(&f, 0), x80_int(i + 1)));
    }
    ck_assert_uint_eq(f.ftw, 0xff);
    ck_assert(x80_eq(fpu_st(&f, 7), x80_int(1)));
    ck_assert_uint_eq(fpu_fnstsw(&f) & (FPU_SW_IE | FPU_SW_SF), 0);

    /* ninth push: masked stack overflow pushes the indefinite, C1=1 */
    fld_int(&f, 9);
    ck_assert_int_eq(fpu_top(&f), 7);
    ck_assert_uint_eq(fpu_fnstsw(&f) & (FPU_SW_IE | FPU_SW_SF | FPU_SW_C1 | FPU_SW_ES),
                      FPU_SW_IE | FPU_SW_SF | FPU_SW_C1);
    ck_assert(x80_eq(fpu_st(&f, 0), SF80_INDEFINITE));
    ck_assert(!fpu_pending_exception(&f));

    /* unmasking IE with the flag set makes the exception pending (FLDCW) */
    fpu_fldcw(&f, 0x037e);
    ck_assert(fpu_pending_exception(&f));
    ck_assert(fpu_fnstsw(&f) & FPU_SW_B);
    fpu_fnclex(&f);
    ck_assert(!fpu_pending_exception(&f));
    ck_assert_uint_eq(fpu_fnstsw(&f) & 0x80ff, 0);

    /* unmasked overflow: nothing moves, the exception is pending */
    uint8_t before[16];
    memcpy(before, f.st[6], 16);
    fld_int(&f, 10);
    ck_assert_int_eq(fpu_top(&f), 7);
    ck_assert(fpu_pending_exception(&f));
    ck_assert_mem_eq(f.st[6], before, 16);
    ck_assert(x80_eq(fpu_st(&f, 0), SF80_INDEFINITE));

    /* pops free registers; FSTP m80 of ST0 */
    fpu_fninit(&f);
    fld_int(&f, 5);
    fld_int(&f, 6);
    uint8_t m[10];
    ck_assert(fpu_fstp_m80(&f, m));
    floatx80 v;
    memcpy(&v.sig, m, 8);
    memcpy(&v.se, m + 8, 2);
    ck_assert(x80_eq(v, x80_int(6)));
    ck_assert_int_eq(fpu_top(&f), 7);
    ck_assert_uint_eq(f.ftw, 0x80);
    ck_assert(!fpu_st_empty(&f, 0));
    ck_assert(fpu_st_empty(&f, 1));

    /* masked underflow: FADD with an empty ST(1) writes the indefinite, C1=0 */
    fpu_arith_st0_sti(&f, FPU_ADD, 1);
    ck_assert_uint_eq(fpu_fnstsw(&f) & (FPU_SW_IE | FPU_SW_SF | FPU_SW_C1), FPU_SW_IE | FPU_SW_SF);
    ck_assert(x80_eq(fpu_st(&f, 0), SF80_INDEFINITE));

    /* FINCSTP/FDECSTP move TOP only; FFREE empties a register */
    fpu_fninit(&f);
    fld_int(&f, 1);
    fpu_fincstp(&f);
    ck_assert_int_eq(fpu_top(&f), 0);
    ck_assert_uint_eq(f.ftw, 0x80);
    fpu_fdecstp(&f);
    ck_assert_int_eq(fpu_top(&f), 7);
    fpu_ffree(&f, 0);
    ck_assert_uint_eq(f.ftw, 0);
    ck_assert(fpu_st_empty(&f, 0));

    /* FXCH */
    fld_int(&f, 1);
    fld_int(&f, 2);
    fpu_fxch(&f, 1);
    ck_assert(x80_eq(fpu_st(&f, 0), x80_int(1)));
    ck_assert(x80_eq(fpu_st(&f, 1), x80_int(2)));
}
END_TEST

START_TEST(test_pending_exceptions)
{
    struct x86_fpu f;
    fpu_fninit(&f);
    fpu_fldcw(&f, 0x037b); /* ZE unmasked */
    fld_int(&f, 0);
    fld_int(&f, 1);
    fpu_arith_st0_sti(&f, FPU_DIV, 1); /* 1 / 0 */
    ck_assert(fpu_pending_exception(&f));
    ck_assert_uint_eq(fpu_fnstsw(&f) & (FPU_SW_ZE | FPU_SW_ES | FPU_SW_B),
                      FPU_SW_ZE | FPU_SW_ES | FPU_SW_B);
    ck_assert(x80_eq(fpu_st(&f, 0), x80_int(1))); /* destination untouched */
    fpu_fnclex(&f);
    ck_assert(!fpu_pending_exception(&f));

    /* masked: the result is the signed infinity and nothing is pending */
    fpu_fldcw(&f, 0x037f);
    fpu_arith_st0_sti(&f, FPU_DIV, 1);
    ck_assert(!fpu_pending_exception(&f));
    ck_assert(x80_eq(fpu_st(&f, 0), sf80_make(false, 0x7fff, 1ull << 63)));

    /* unmasked PE: the result is stored and the exception pending */
    fpu_fninit(&f);
    fpu_fldcw(&f, 0x035f);
    fld_int(&f, 3);
    fld_int(&f, 1);
    fpu_arith_st0_sti(&f, FPU_DIV, 1);
    ck_assert(fpu_pending_exception(&f));
    ck_assert_uint_eq(fpu_fnstsw(&f) & FPU_SW_PE, FPU_SW_PE);
    ck_assert_uint_eq(fpu_st(&f, 0).se, 0x3ffd);

    /* an unmasked store fault suppresses the store and the pop */
    fpu_fninit(&f);
    fpu_fldcw(&f, 0x0377); /* OE unmasked */
    fld_int(&f, 1);
    fpu_fldconst(&f, FPU_CONST_1);
    floatx80 big = sf80_make(false, 0x7000, 1ull << 63);
    fpu_set_st(&f, 0, big);
    uint32_t out = 0xdeadbeef;
    ck_assert(!fpu_fst_m32(&f, &out, true));
    ck_assert_uint_eq(out, 0xdeadbeef);
    ck_assert_int_eq(fpu_top(&f), 6);
    ck_assert(fpu_pending_exception(&f));
}
END_TEST

START_TEST(test_fcomi_flags)
{
    const uint32_t zpc = X86_FLAG_ZF | X86_FLAG_PF | X86_FLAG_CF;
    struct x86_fpu f;
    fpu_fninit(&f);
    fld_int(&f, 2);
    fld_int(&f, 1); /* ST0 = 1, ST1 = 2 */
    ck_assert_uint_eq(fpu_fcomi(&f, 1, false, false), X86_FLAG_CF);
    fpu_fxch(&f, 1);
    ck_assert_uint_eq(fpu_fcomi(&f, 1, false, false), 0);
    fpu_set_st(&f, 1, x80_int(2));
    ck_assert_uint_eq(fpu_fcomi(&f, 1, true, false), X86_FLAG_ZF);
    ck_assert_uint_eq(fpu_fnstsw(&f) & FPU_SW_IE, 0);

    /* QNaN: unordered; invalid for FCOMI, not for FUCOMI */
    fpu_set_st(&f, 1, SF80_INDEFINITE);
    ck_assert_uint_eq(fpu_fcomi(&f, 1, true, false), zpc);
    ck_assert_uint_eq(fpu_fnstsw(&f) & FPU_SW_IE, 0);
    ck_assert_uint_eq(fpu_fcomi(&f, 1, false, false), zpc);
    ck_assert_uint_eq(fpu_fnstsw(&f) & FPU_SW_IE, FPU_SW_IE);

    /* FCOMIP pops; an empty operand is unordered with a stack fault */
    fpu_fninit(&f);
    fld_int(&f, 5);
    fld_int(&f, 5);
    ck_assert_uint_eq(fpu_fcomi(&f, 1, false, true), X86_FLAG_ZF);
    ck_assert_int_eq(fpu_top(&f), 7);
    ck_assert_uint_eq(fpu_fcomi(&f, 1, false, false), zpc);
    ck_assert_uint_eq(fpu_fnstsw(&f) & (FPU_SW_IE | FPU_SW_SF), FPU_SW_IE | FPU_SW_SF);

    /* FCOM's condition codes, for comparison: C0 = less */
    fpu_fninit(&f);
    fld_int(&f, 2);
    fld_int(&f, 1);
    fpu_fcom_sti(&f, 1, false, 0);
    ck_assert_uint_eq(fpu_fnstsw(&f) & (FPU_SW_C0 | FPU_SW_C2 | FPU_SW_C3), FPU_SW_C0);
    fpu_fcom_sti(&f, 1, false, 2);
    ck_assert_int_eq(fpu_top(&f), 0);
    ck_assert_uint_eq(f.ftw, 0);
}
END_TEST

static unsigned prem_cc(const struct x86_fpu *f)
{
    uint16_t sw = fpu_fnstsw(f);
    /* quotient bits Q2 Q1 Q0 = C0 C3 C1 */
    return ((sw & FPU_SW_C0) ? 4 : 0) | ((sw & FPU_SW_C3) ? 2 : 0) | ((sw & FPU_SW_C1) ? 1 : 0);
}

START_TEST(test_fprem)
{
    struct x86_fpu f;
    fpu_fninit(&f);
    fld_int(&f, 3);
    fld_int(&f, 10);
    fpu_fprem(&f); /* 10 = 3*3 + 1 */
    ck_assert(x80_eq(fpu_st(&f, 0), x80_int(1)));
    ck_assert_uint_eq(prem_cc(&f), 3);
    ck_assert_uint_eq(fpu_fnstsw(&f) & FPU_SW_C2, 0);

    fpu_set_st(&f, 0, x80_int(11));
    fpu_fprem1(&f); /* 11 = 3*4 - 1 */
    ck_assert(x80_eq(fpu_st(&f, 0), x80_int(-1)));
    ck_assert_uint_eq(prem_cc(&f), 4);

    fpu_set_st(&f, 0, x80_int(-11));
    fpu_fprem(&f); /* truncating: -11 = 3*-3 - 2 */
    ck_assert(x80_eq(fpu_st(&f, 0), x80_int(-2)));
    ck_assert_uint_eq(prem_cc(&f), 3);

    /* 2^200 mod 3 = 1, reached through partial remainders (C2 = 1) */
    fpu_set_st(&f, 0, sf80_make(false, 16383 + 200, 1ull << 63));
    int rounds = 0;
    do {
        fpu_fprem(&f);
        rounds++;
    } while ((fpu_fnstsw(&f) & FPU_SW_C2) && rounds < 100);
    ck_assert_int_gt(rounds, 1);
    ck_assert(x80_eq(fpu_st(&f, 0), x80_int(1)));
}
END_TEST

/* Random state with pointer fields that the given image format can hold. */
static void rnd_soft_state(struct x86_fpu *f, enum fpu_env_format fmt)
{
    memset(f, 0, sizeof(*f));
    fpu_fninit(f);
    fpu_fldcw(f, (uint16_t)rnd());
    f->fsw = (uint16_t)(rnd() & 0x7f7f);
    f->ftw = (uint8_t)rnd();
    for (int p = 0; p < 8; p++) {
        floatx80 v = rnd_x80();
        memcpy(f->st[p], &v.sig, 8);
        memcpy(f->st[p] + 8, &v.se, 2);
    }
    f->fsw = (uint16_t)((f->fsw & ~(FPU_SW_ES | FPU_SW_B)) |
                        ((f->fsw & ~f->fcw & 0x3f) ? FPU_SW_ES | FPU_SW_B : 0));
    f->fop = (uint16_t)(rnd() & 0x7ff);
    switch (fmt) {
    case FPU_ENV_REAL16:
        f->fip = rnd() & 0xfffff;
        f->fdp = rnd() & 0xfffff;
        break;
    case FPU_ENV_PROT16:
        f->fip = (rnd() & 0xffff) | ((rnd() & 0xffff) << 32);
        f->fdp = (rnd() & 0xffff) | ((rnd() & 0xffff) << 32);
        break;
    case FPU_ENV_REAL32:
        f->fip = rnd() & 0xffffffff;
        f->fdp = rnd() & 0xffffffff;
        break;
    default:
        f->fip = (rnd() & 0xffffffff) | ((rnd() & 0xffff) << 32);
        f->fdp = (rnd() & 0xffffffff) | ((rnd() & 0xffff) << 32);
        break;
    }
    if (fmt != FPU_ENV_REAL16 && fmt != FPU_ENV_PROT16)
        return;
    if (fmt == FPU_ENV_PROT16)
        f->fop = 0; /* the 16-bit protected-mode image has no opcode */
}

static void assert_same_fpu(const struct x86_fpu *a, const struct x86_fpu *b)
{
    ck_assert_uint_eq(a->fcw, b->fcw);
    ck_assert_uint_eq(a->fsw, b->fsw);
    ck_assert_uint_eq(a->ftw, b->ftw);
    ck_assert_uint_eq(a->fop, b->fop);
    ck_assert_uint_eq(a->fip, b->fip);
    ck_assert_uint_eq(a->fdp, b->fdp);
    for (int p = 0; p < 8; p++)
        ck_assert_mem_eq(a->st[p], b->st[p], 10);
}

START_TEST(test_fnsave_frstor_round_trip)
{
    uint64_t seed = seed_init();
    for (int fmt = FPU_ENV_REAL16; fmt <= FPU_ENV_PROT32; fmt++) {
        for (int it = 0; it < 200; it++) {
            struct x86_fpu f, g, saved;
            rnd_soft_state(&f, (enum fpu_env_format)fmt);
            saved = f;
            /* saved twice over different fillers: every byte of the image
             * is written, nothing after it */
            unsigned size = fpu_save_size((enum fpu_env_format)fmt);
            uint8_t img[112], img2[112];
            memset(img, 0xcc, sizeof(img));
            memset(img2, 0x33, sizeof(img2));
            f = saved;
            fpu_fnsave(&f, img2, (enum fpu_env_format)fmt);
            f = saved;
            fpu_fnsave(&f, img, (enum fpu_env_format)fmt);
            ck_assert_mem_eq(img, img2, size);
            ck_assert_uint_eq(img[size], 0xcc);
            ck_assert_uint_eq(img2[size], 0x33);
            /* FNSAVE reinitializes */
            ck_assert_uint_eq(f.fcw, 0x037f);
            ck_assert_uint_eq(f.ftw, 0);
            memset(&g, 0x55, sizeof(g));
            fpu_frstor(&g, img, (enum fpu_env_format)fmt);
            assert_same_fpu(&g, &saved);

            /* FNSTENV/FLDENV: same environment, and FNSTENV masks everything */
            f = saved;
            fpu_fnstenv(&f, img, (enum fpu_env_format)fmt);
            ck_assert_uint_eq(f.fcw & 0x3f, 0x3f);
            ck_assert(!fpu_pending_exception(&f));
            memcpy(g.st, saved.st, sizeof(g.st));
            fpu_fldenv(&g, img, (enum fpu_env_format)fmt);
            assert_same_fpu(&g, &saved);
        }
    }
    (void)seed;

    /* the real-mode images hold linear addresses: selector * 16 + offset */
    struct x86_fpu f;
    fpu_fninit(&f);
    f.fip = 0x1234 | (0xf000ull << 32);
    f.fdp = 0x0010 | (0x0040ull << 32);
    f.fop = 0x5d9;
    uint8_t img[28];
    fpu_fnstenv(&f, img, FPU_ENV_REAL32);
    ck_assert_uint_eq(img[12] | img[13] << 8, 0x1234);
    ck_assert_uint_eq((img[16] | img[17] << 8 | img[18] << 16 | (uint32_t)img[19] << 24), 0xf5d9);
    ck_assert_uint_eq(img[20] | img[21] << 8, 0x0410);
    fpu_fldenv(&f, img, FPU_ENV_REAL32);
    ck_assert_uint_eq(f.fip, 0xf1234);
    ck_assert_uint_eq(f.fdp, 0x410);
    ck_assert_uint_eq(f.fop, 0x5d9);
}
END_TEST

START_TEST(test_fxsave_fxrstor_round_trip)
{
    seed_init();
    for (int it = 0; it < 200; it++) {
        struct x86_fpu f, g;
        rnd_soft_state(&f, FPU_ENV_PROT32);
        f.mxcsr = (uint32_t)(rnd() & 0xffff);
        for (int i = 0; i < 16; i++)
            for (int b = 0; b < 16; b++)
                f.xmm[i][b] = (uint8_t)rnd();
        bool rex_w = it & 1;
        unsigned nxmm = (it & 2) ? 16 : 8;
        if (rex_w)
            f.fip |= rnd() << 48, f.fdp |= rnd() << 48;
        uint8_t img[512];
        memset(img, 0xcc, sizeof(img));
        ck_assert_uint_eq(fpu_fxsave(&f, img, rex_w, nxmm), 160 + 16 * nxmm);
        ck_assert_uint_eq(img[160 + 16 * nxmm], 0xcc);
        ck_assert_uint_eq(img[511], 0xcc);
        ck_assert_uint_eq(img[4], f.ftw);
        ck_assert_uint_eq(img[28] | img[29] << 8 | img[30] << 16 | (uint32_t)img[31] << 24,
                          FPU_MXCSR_MASK);
        memset(&g, 0, sizeof(g));
        ck_assert(fpu_fxrstor(&g, img, rex_w, nxmm));
        assert_same_fpu(&g, &f);
        ck_assert_uint_eq(g.mxcsr, f.mxcsr);
        ck_assert_mem_eq(g.xmm, f.xmm, 16 * nxmm);
        /* registers are stored in ST order */
        ck_assert_mem_eq(img + 32, f.st[fpu_top(&f)], 10);
    }
    /* a reserved MXCSR bit makes FXRSTOR fault (#GP) without loading */
    struct x86_fpu f, g;
    fpu_fninit(&f);
    f.mxcsr = 0x1f80;
    uint8_t img[512];
    fpu_fxsave(&f, img, false, 8);
    img[26] = 0x01; /* MXCSR bit 16 */
    g = f;
    g.fcw = 0x1234;
    ck_assert(!fpu_fxrstor(&g, img, false, 8));
    ck_assert_uint_eq(g.fcw, 0x1234);
}
END_TEST

/* The images as the host writes them: FNSTENV (32- and 16-bit) and FXSAVE
 * from random states, the fields this FPU defines compared byte for byte. */
START_TEST(test_images_against_host)
{
#ifdef HAVE_HOST_X87
    uint64_t seed = seed_init();
    for (int it = 0; it < 2000; it++) {
        struct state st;
        rnd_state(&cases[0], &st);
        uint8_t in[IMG_SIZE];
        state_image(&st, in);
        uint8_t henv32[28], henv16[14], hsave[IMG_SIZE];
        uint8_t hfx[512] __attribute__((aligned(16)));
        __asm__ volatile("frstor (%1)\n\tfnstenv (%0)\n\tfrstor (%1)\n\t.byte 0x66\n\tfnstenv (%2)\n\t"
                         "frstor (%1)\n\tfxsave (%3)\n\tfnsave (%4)"
                         :
                         : "r"(henv32), "r"(in), "r"(henv16), "r"(hfx), "r"(hsave)
                         : "memory");
        struct x86_fpu f;
        memset(&f, 0, sizeof(f));
        fpu_frstor(&f, in, FPU_ENV_PROT32);
        uint8_t senv32[28], senv16[14], sfx[512];
        struct x86_fpu g = f;
        fpu_fnstenv(&g, senv32, FPU_ENV_PROT32);
        ck_assert_msg(memcmp(henv32, senv32, 12) == 0 && memcmp(henv32 + 26, senv32 + 26, 2) == 0,
                      "fnstenv32 differs (seed %#" PRIx64 ", iteration %d)", seed, it);
        g = f;
        fpu_fnstenv(&g, senv16, FPU_ENV_PROT16);
        ck_assert_msg(memcmp(henv16, senv16, 6) == 0,
                      "fnstenv16 differs (seed %#" PRIx64 ", iteration %d)", seed, it);
        /* after FNSTENV all exceptions are masked */
        ck_assert_uint_eq(g.fcw & 0x3f, 0x3f);
        memcpy(&f.mxcsr, hfx + 24, 4);
        memset(sfx, 0, sizeof(sfx));
        fpu_fxsave(&f, sfx, false, 8);
        ck_assert_msg(memcmp(hfx, sfx, 6) == 0 && memcmp(hfx + 24, sfx + 24, 4) == 0 &&
                          memcmp(hfx + 32, sfx + 32, 128) == 0,
                      "fxsave differs (seed %#" PRIx64 ", iteration %d)", seed, it);
        /* FXRSTOR of the host's image gives the host's FNSAVE view back */
        struct x86_fpu h;
        memset(&h, 0, sizeof(h));
        hfx[28] = hfx[29] = 0xff;
        ck_assert(fpu_fxrstor(&h, hfx, false, 8));
        uint8_t ssave[IMG_SIZE];
        fpu_fnsave(&h, ssave, FPU_ENV_PROT32);
        ck_assert_msg(memcmp(hsave, ssave, 12) == 0 && memcmp(hsave + 28, ssave + 28, 80) == 0,
                      "fxrstor/fnsave differs (seed %#" PRIx64 ", iteration %d)", seed, it);
    }
#endif
}
END_TEST

static Suite *fpu_suite(void)
{
    Suite *s = suite_create("fpu");
    if (HOST_AVAILABLE) {
        TCase *tc = tcase_create("host");
        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, test_host_random);
        tcase_add_test(tc, test_images_against_host);
        suite_add_tcase(s, tc);
    }
    TCase *td = tcase_create("directed");
    tcase_add_test(td, test_init_and_control_words);
    tcase_add_test(td, test_stack_push_pop_tags);
    tcase_add_test(td, test_pending_exceptions);
    tcase_add_test(td, test_fcomi_flags);
    tcase_add_test(td, test_fprem);
    tcase_add_test(td, test_fnsave_frstor_round_trip);
    tcase_add_test(td, test_fxsave_fxrstor_round_trip);
    suite_add_tcase(s, td);
    return s;
}

int main(void)
{
    return test_run_suite(fpu_suite());
}
