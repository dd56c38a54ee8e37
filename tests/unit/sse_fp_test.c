/* sse_fp_exec against this host's CPU: every floating-point SSE..SSE4.1
 * form in its domain, run on the host from a generated code page and through
 * the function, with random and edge operands, every rounding mode, DAZ/FZ,
 * masked and unmasked exceptions, register and memory sources. */
#include <check.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/sse.h"
#include "test_util.h"
#include "x87_host.h"

#if defined(__x86_64__) && !defined(VX86_NO_HOST_X87)
#define HOST_SSE 1
#include <immintrin.h>
#include <signal.h>
#include <sys/mman.h>
#include <ucontext.h>
#endif

/* ---- known answers that hold on any host ---- */

static enum sse_result run1(uint8_t map, uint8_t op, uint8_t pfx, uint32_t mxcsr,
                            union sse_reg *dst, const union sse_reg *src, uint8_t imm)
{
    struct sse_ctx c;
    memset(&c, 0, sizeof(c));
    c.map = map;
    c.opcode = op;
    c.pfx = pfx;
    c.imm = imm;
    c.width = 16;
    c.mxcsr = mxcsr;
    c.dst = *dst;
    c.src = *src;
    enum sse_result r = sse_fp_exec(&c);
    *dst = c.dst;
    return r;
}

START_TEST(known_answers)
{
    union sse_reg d, s;
    memset(&d, 0, sizeof(d));
    memset(&s, 0, sizeof(s));
    /* 1 + 2^-24 ties to even (1.0), up under RU, inexact */
    d.d[0] = 0x3f800000;
    s.d[0] = 0x33800000;
    struct sse_ctx c;
    ck_assert_int_eq(run1(1, 0x58, SSE_PFX_F3, SSE_MXCSR_RESET, &d, &s, 0), SSE_OK);
    ck_assert_uint_eq(d.d[0], 0x3f800000);
    d.d[0] = 0x3f800000;
    ck_assert_int_eq(run1(1, 0x58, SSE_PFX_F3, SSE_MXCSR_RESET | 2u << 13, &d, &s, 0), SSE_OK);
    ck_assert_uint_eq(d.d[0], 0x3f800001);
    /* 0/0 is the real indefinite; 1/0 with ZE unmasked faults, dst kept */
    d.q[0] = 0;
    s.q[0] = 0;
    ck_assert_int_eq(run1(1, 0x5e, SSE_PFX_F2, SSE_MXCSR_RESET, &d, &s, 0), SSE_OK);
    ck_assert_uint_eq(d.q[0], 0xfff8000000000000ull);
    memset(&c, 0, sizeof(c));
    c.map = 1;
    c.opcode = 0x5e;
    c.pfx = SSE_PFX_F2;
    c.mxcsr = SSE_MXCSR_RESET & ~0x200u;
    c.dst.q[0] = 0x3ff0000000000000ull;
    ck_assert_int_eq(sse_fp_exec(&c), SSE_XM);
    ck_assert_uint_eq(c.mxcsr, (SSE_MXCSR_RESET & ~0x200u) | SSE_MXCSR_ZE);
    ck_assert_uint_eq(c.dst.q[0], 0x3ff0000000000000ull);
    /* the measured RCPSS of 1.0 */
    s.d[0] = 0x3f800000;
    ck_assert_int_eq(run1(1, 0x53, SSE_PFX_F3, SSE_MXCSR_RESET, &d, &s, 0), SSE_OK);
    ck_assert_uint_eq(d.d[0], 0x3f7ff000);
    /* not this domain / not this prefix */
    ck_assert_int_eq(run1(1, 0xfe, SSE_PFX_66, SSE_MXCSR_RESET, &d, &s, 0), SSE_NOT_MINE);
    ck_assert_int_eq(run1(1, 0x13, SSE_PFX_F3, SSE_MXCSR_RESET, &d, &s, 0), SSE_UD);
    ck_assert_int_eq(run1(3, 0x40, SSE_PFX_NONE, SSE_MXCSR_RESET, &d, &s, 0), SSE_UD);
    ck_assert_int_eq(run1(3, 0x0f, SSE_PFX_66, SSE_MXCSR_RESET, &d, &s, 0), SSE_NOT_MINE);
}
END_TEST

/* Every opcode/prefix: SSE_NOT_MINE exactly outside the domain, SSE_UD
 * for the empty prefix columns of the domain's rows. */
START_TEST(domain_and_prefix_columns)
{
    static const struct { uint8_t map, op, cols; } mine[] = {
        /* cols: bit per prefix column that exists (none, 66, F3, F2) */
        { 1, 0x10, 15 }, { 1, 0x11, 15 }, { 1, 0x12, 15 }, { 1, 0x13, 3 },
        { 1, 0x14, 3 }, { 1, 0x15, 3 }, { 1, 0x16, 7 }, { 1, 0x17, 3 },
        { 1, 0x28, 3 }, { 1, 0x29, 3 }, { 1, 0x2a, 15 }, { 1, 0x2b, 3 },
        { 1, 0x2c, 15 }, { 1, 0x2d, 15 }, { 1, 0x2e, 3 }, { 1, 0x2f, 3 },
        { 1, 0x50, 3 }, { 1, 0x51, 15 }, { 1, 0x52, 5 }, { 1, 0x53, 5 },
        { 1, 0x54, 3 }, { 1, 0x55, 3 }, { 1, 0x56, 3 }, { 1, 0x57, 3 },
        { 1, 0x58, 15 }, { 1, 0x59, 15 }, { 1, 0x5a, 15 }, { 1, 0x5b, 7 },
        { 1, 0x5c, 15 }, { 1, 0x5d, 15 }, { 1, 0x5e, 15 }, { 1, 0x5f, 15 },
        { 1, 0x7c, 10 }, { 1, 0x7d, 10 }, { 1, 0xc2, 15 }, { 1, 0xc6, 3 },
        { 1, 0xd0, 10 }, { 1, 0xe6, 14 },
        { 2, 0x14, 2 }, { 2, 0x15, 2 },
        { 3, 0x08, 2 }, { 3, 0x09, 2 }, { 3, 0x0a, 2 }, { 3, 0x0b, 2 },
        { 3, 0x0c, 2 }, { 3, 0x0d, 2 }, { 3, 0x17, 2 }, { 3, 0x21, 2 },
        { 3, 0x40, 2 }, { 3, 0x41, 2 },
    };
    for (unsigned map = 1; map <= 3; map++) {
        for (unsigned op = 0; op < 256; op++) {
            int cols = -1;
            for (size_t i = 0; i < sizeof(mine) / sizeof(mine[0]); i++)
                if (mine[i].map == map && mine[i].op == op)
                    cols = mine[i].cols;
            for (unsigned pfx = 0; pfx < 4; pfx++) {
                union sse_reg d, s;
                memset(&d, 0, sizeof(d));
                memset(&s, 0, sizeof(s));
                enum sse_result r = run1((uint8_t)map, (uint8_t)op, (uint8_t)pfx, SSE_MXCSR_RESET, &d, &s, 0);
                enum sse_result want = cols < 0 ? SSE_NOT_MINE : (cols >> pfx & 1) ? SSE_OK : SSE_UD;
                ck_assert_msg(r == want, "map %u op %02x pfx %u: %d, want %d", map, op, pfx, r, want);
            }
        }
    }
}
END_TEST

#ifdef HOST_SSE

/* ---- the host side ---- */

/* What the code page reads and writes; offsets fixed for the asm below. */
struct hstate {
    union sse_reg x1;         /* 0 */
    union sse_reg x2;         /* 16 */
    union sse_reg x0;         /* 32 */
    uint8_t pad[16];          /* 48 */
    uint8_t mem[32];          /* 64: [rsi] */
    uint64_t mm1, mm2;        /* 96, 104 */
    uint64_t rcx, rdx;        /* 112, 120 */
    uint32_t mxcsr_in, mxcsr_out;   /* 128, 132 */
    uint64_t flags_in, flags_out;   /* 136, 144 */
    uint32_t host_mxcsr;      /* 152 */
} __attribute__((aligned(16)));
_Static_assert(offsetof(struct hstate, mem) == 64, "layout");
_Static_assert(offsetof(struct hstate, mm1) == 96, "layout");
_Static_assert(offsetof(struct hstate, mxcsr_in) == 128, "layout");
_Static_assert(offsetof(struct hstate, flags_in) == 136, "layout");
_Static_assert(offsetof(struct hstate, host_mxcsr) == 152, "layout");

static uint8_t *code_page;
static volatile sig_atomic_t faulted;
static volatile int insn_len;

/* A #XM arrives as SIGFPE with RIP on the instruction and the MXCSR flags it
 * set in the saved state: resume after it, so the page goes on to store the
 * untouched destination and that MXCSR. This is the real unmasked outcome,
 * flags included, rather than one inferred from a masked run. */
static void on_sigfpe(int sig, siginfo_t *si, void *ctx)
{
    (void)sig;
    (void)si;
    ucontext_t *uc = ctx;
    faulted = 1;
    uc->uc_mcontext.gregs[REG_RIP] += insn_len;
}

static void host_setup(void)
{
    if (!code_page) {
        code_page = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        ck_assert_ptr_ne(code_page, MAP_FAILED);
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_sigfpe;
    sa.sa_flags = SA_SIGINFO;
    ck_assert_int_eq(sigaction(SIGFPE, &sa, NULL), 0);
}

static void host_run(struct hstate *st)
{
    st->host_mxcsr = _mm_getcsr();
    faulted = 0;
    /* The red zone is stepped over: call and pushfq write below RSP. */
    __asm__ volatile(
        "sub $128, %%rsp\n\t"
        "movdqu 32(%0), %%xmm0\n\t"
        "movdqu 0(%0), %%xmm1\n\t"
        "movdqu 16(%0), %%xmm2\n\t"
        "movq 96(%0), %%mm1\n\t"
        "movq 104(%0), %%mm2\n\t"
        "mov 112(%0), %%rcx\n\t"
        "mov 120(%0), %%rdx\n\t"
        "lea 64(%0), %%rsi\n\t"
        "pushq 136(%0)\n\t"
        "popfq\n\t"
        "ldmxcsr 128(%0)\n\t"
        "call *%1\n\t"
        "pushfq\n\t"
        "popq 144(%0)\n\t"
        "stmxcsr 132(%0)\n\t"
        "ldmxcsr 152(%0)\n\t"
        "movdqu %%xmm1, 0(%0)\n\t"
        "movdqu %%xmm2, 16(%0)\n\t"
        "movq %%mm1, 96(%0)\n\t"
        "mov %%rcx, 112(%0)\n\t"
        "mov %%rdx, 120(%0)\n\t"
        "emms\n\t"
        "add $128, %%rsp\n\t"
        :
        : "r"(st), "r"(code_page)
        : "rcx", "rdx", "rsi", "xmm0", "xmm1", "xmm2", "mm1", "mm2", "memory", "cc");
}

/* ---- operand generation ---- */

enum lt { T_BITS, T_F32, T_F64, T_I32, T_I64 };

static struct x87_rng rng;

static uint64_t rnd(void) { return x87_rng_next(&rng); }
static unsigned below(unsigned n) { return x87_rng_below(&rng, n); }

/* A significand with a random run of trailing zeros or ones, so results
 * land on exact values and halfway points as well as anywhere. */
static uint64_t gen_frac(int fb)
{
    uint64_t f = rnd() & ((1ull << fb) - 1);
    switch (below(5)) {
    case 0: f &= ~0ull << below((unsigned)fb + 1); break;
    case 1: f |= (1ull << below((unsigned)fb + 1)) - 1; break;
    case 2: f |= ~0ull << below((unsigned)fb + 1); break;   /* just under a power of 2 */
    default: break;
    }
    return f & ((1ull << fb) - 1);
}

static uint64_t gen_fp(bool dbl)
{
    int fb = dbl ? 52 : 23, emax = dbl ? 0x7ff : 0xff, bias = dbl ? 1023 : 127;
    uint64_t sign = (uint64_t)below(2) << (dbl ? 63 : 31);
    uint64_t qbit = 1ull << (fb - 1);
    int e;
    switch (below(21)) {
    case 0: return sign;                                               /* zero */
    case 1: return sign | ((uint64_t)emax << fb);                      /* inf */
    case 2: return sign | ((uint64_t)emax << fb) | qbit | (gen_frac(fb) & (qbit - 1) & -(uint64_t)below(2));
    case 3: return sign | ((uint64_t)emax << fb) | ((gen_frac(fb) & (qbit - 1)) | 1);   /* SNaN */
    case 4: case 5: return sign | (gen_frac(fb) | below(2));           /* denormal */
    case 6: return rnd() & (dbl ? ~0ull : 0xffffffffu);
    case 7: e = 1 + (int)below(24); break;                             /* near underflow */
    case 8: e = emax - 1 - (int)below(24); break;                      /* near overflow */
    case 9: e = bias + (int)below(66) - 2; break;                      /* integer range */
    case 10: /* around the other format's limits */
        e = dbl ? bias + (below(2) ? 128 - (int)below(4) : -126 - (int)below(30)) : bias + (int)below(60) - 30;
        break;
    case 11: return sign | ((uint64_t)bias << fb);                     /* 1.0 */
    case 12: /* the integer conversions' limits, +-1 ulp */
        e = bias + (below(2) ? 31 : 63) - (int)below(2);
        return (sign | ((uint64_t)e << fb)) + (uint64_t)((int)below(3) - 1) * (below(2) ? 1 : 0);
    default: e = bias + (int)below(60) - 30; break;
    }
    if (e < 1)
        e = 1;
    if (e > emax - 1)
        e = emax - 1;
    return sign | ((uint64_t)e << fb) | gen_frac(fb);
}

/* b from a: close to it, its negation, or scaled so a product or quotient
 * lands near the ends of the exponent range. */
static uint64_t gen_related(bool dbl, uint64_t a)
{
    int fb = dbl ? 52 : 23, emax = dbl ? 0x7ff : 0xff, bias = dbl ? 1023 : 127;
    uint64_t sbit = 1ull << (dbl ? 63 : 31);
    int ea = (int)(a >> fb) & emax;
    int e;
    switch (below(6)) {
    case 0: return a ^ (rnd() & ((1ull << below(8)) - 1));
    case 1: return (a ^ sbit) ^ (rnd() & ((1ull << below(8)) - 1));
    case 2: e = ea + (int)below(5) - 2; break;
    case 3: e = 1 + bias - ea + (int)below(8) - 4; break;           /* a*b near min normal */
    case 4: e = ea - 1 + bias - (int)below(8) + 4; break;           /* a/b near min normal */
    default: e = emax - 1 + bias - ea + (int)below(6) - 3; break;   /* a*b near overflow */
    }
    if (e < 0 || e >= emax)
        return gen_fp(dbl);
    return ((a & sbit) ^ ((uint64_t)below(2) << (dbl ? 63 : 31)) ^ ((uint64_t)e << fb)) | gen_frac(fb);
}

static int64_t gen_int(bool is64)
{
    static const int64_t edge[] = {
        0, 1, -1, INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN, 16777217, -16777217,
        (1ll << 53) + 1, -(1ll << 53) - 1, 0x7fffff80, 0x7fffffc0,
    };
    int64_t v;
    switch (below(4)) {
    case 0: v = edge[below(sizeof(edge) / sizeof(edge[0]))]; break;
    case 1: v = (int64_t)(rnd() >> below(64)); if (below(2)) v = -v; break;
    default: v = (int64_t)rnd(); break;
    }
    return is64 ? v : (int32_t)v;
}

static void gen_reg(union sse_reg *r, enum lt t)
{
    r->q[0] = rnd();
    r->q[1] = rnd();
    switch (t) {
    case T_F32: for (int i = 0; i < 4; i++) r->d[i] = (uint32_t)gen_fp(false); break;
    case T_F64: for (int i = 0; i < 2; i++) r->q[i] = gen_fp(true); break;
    case T_I32: for (int i = 0; i < 4; i++) r->d[i] = (uint32_t)gen_int(false); break;
    case T_I64: for (int i = 0; i < 2; i++) r->q[i] = (uint64_t)gen_int(true); break;
    default: break;
    }
}

/* A pair whose product is 2^emin * (1 - d^2) for a small d: (1 + d) times
 * (2 - 2d), scaled. It rounds up to the smallest normal in some modes, which
 * is where tininess after rounding differs from before rounding. */
static void gen_tiny_product(bool dbl, uint64_t *a, uint64_t *b)
{
    int fb = dbl ? 52 : 23, bias = dbl ? 1023 : 127;
    uint64_t k = 1 + below(1000);
    int ea = 1 + (int)below((unsigned)bias - 1);
    uint64_t sa = (uint64_t)below(2) << (dbl ? 63 : 31), sb = (uint64_t)below(2) << (dbl ? 63 : 31);
    *a = sa | ((uint64_t)ea << fb) | k;
    *b = sb | ((uint64_t)(bias - ea) << fb) | ((1ull << fb) - 2 * k);
}

/* src lanes related to dst lanes some of the time */
static void relate(union sse_reg *src, union sse_reg *dst, enum lt t)
{
    if (t == T_F32) {
        for (int i = 0; i < 4; i++) {
            if (below(12) == 0) {
                uint64_t a, b;
                gen_tiny_product(false, &a, &b);
                dst->d[i] = (uint32_t)a;
                src->d[i] = (uint32_t)b;
            } else if (below(3) == 0) {
                src->d[i] = (uint32_t)gen_related(false, dst->d[i]);
            }
        }
    } else if (t == T_F64) {
        for (int i = 0; i < 2; i++) {
            if (below(12) == 0)
                gen_tiny_product(true, &dst->q[i], &src->q[i]);
            else if (below(3) == 0)
                src->q[i] = gen_related(true, dst->q[i]);
        }
    }
}

static uint32_t gen_mxcsr(bool unmasked_ok)
{
    uint32_t m = (uint32_t)below(4) << SSE_MXCSR_RC_SHIFT | SSE_MXCSR_MASKS;
    if (below(4) == 0)
        m |= SSE_MXCSR_DAZ;
    if (below(4) == 0)
        m |= SSE_MXCSR_FZ;
    if (below(4) == 0)
        m |= (uint32_t)rnd() & 0x3f;
    if (unmasked_ok && below(6) == 0)
        m &= ~(((uint32_t)rnd() & 0x3f) << 7);
    return m;
}

/* ---- the forms ---- */

enum kind {
    K_XW,   /* xmm1 <- xmm2 / [rsi] */
    K_WV,   /* xmm2 / [rsi] <- xmm1 (stores, EXTRACTPS) */
    K_XQ,   /* xmm1 <- mm2 / [rsi] */
    K_PW,   /* mm1 <- xmm2 / [rsi] */
    K_XE,   /* xmm1 <- edx/rdx / [rsi] */
    K_GW,   /* ecx/rcx <- xmm2 / [rsi] */
    K_FL,   /* EFLAGS <- xmm1 vs xmm2 / [rsi] */
    K_EV,   /* edx / [rsi] <- xmm1, imm (EXTRACTPS) */
};

enum { BOTH, MEM_ONLY, REG_ONLY };

struct form {
    const char *name;
    uint8_t map, op, pfx, kind, msz, where;
    bool imm, rexw;
    uint8_t dt, st;       /* lane types of destination and source */
};

#define NONE SSE_PFX_NONE
#define P66 SSE_PFX_66
#define PF3 SSE_PFX_F3
#define PF2 SSE_PFX_F2
#define F(name, map, op, pfx, kind, msz, where, imm, rexw, dt, st) \
    { name, map, op, pfx, kind, msz, where, imm, rexw, dt, st }
/* packed single / double, scalar single / double arithmetic rows */
#define PSD(name, op) \
    F(name "PS", 1, op, NONE, K_XW, 16, BOTH, 0, 0, T_F32, T_F32), \
    F(name "PD", 1, op, P66, K_XW, 16, BOTH, 0, 0, T_F64, T_F64), \
    F(name "SS", 1, op, PF3, K_XW, 4, BOTH, 0, 0, T_F32, T_F32), \
    F(name "SD", 1, op, PF2, K_XW, 8, BOTH, 0, 0, T_F64, T_F64)

static const struct form moves[] = {
    F("MOVUPS", 1, 0x10, NONE, K_XW, 16, BOTH, 0, 0, T_BITS, T_BITS),
    F("MOVUPD", 1, 0x10, P66, K_XW, 16, BOTH, 0, 0, T_BITS, T_BITS),
    F("MOVSS", 1, 0x10, PF3, K_XW, 4, BOTH, 0, 0, T_BITS, T_BITS),
    F("MOVSD", 1, 0x10, PF2, K_XW, 8, BOTH, 0, 0, T_BITS, T_BITS),
    F("MOVUPS st", 1, 0x11, NONE, K_WV, 16, BOTH, 0, 0, T_BITS, T_BITS),
    F("MOVUPD st", 1, 0x11, P66, K_WV, 16, BOTH, 0, 0, T_BITS, T_BITS),
    F("MOVSS st", 1, 0x11, PF3, K_WV, 4, BOTH, 0, 0, T_BITS, T_BITS),
    F("MOVSD st", 1, 0x11, PF2, K_WV, 8, BOTH, 0, 0, T_BITS, T_BITS),
    F("MOVLPS/MOVHLPS", 1, 0x12, NONE, K_XW, 8, BOTH, 0, 0, T_BITS, T_BITS),
    F("MOVLPD", 1, 0x12, P66, K_XW, 8, MEM_ONLY, 0, 0, T_BITS, T_BITS),
    F("MOVSLDUP", 1, 0x12, PF3, K_XW, 16, BOTH, 0, 0, T_BITS, T_BITS),
    F("MOVDDUP", 1, 0x12, PF2, K_XW, 8, BOTH, 0, 0, T_BITS, T_BITS),
    F("MOVLPS st", 1, 0x13, NONE, K_WV, 8, MEM_ONLY, 0, 0, T_BITS, T_BITS),
    F("MOVLPD st", 1, 0x13, P66, K_WV, 8, MEM_ONLY, 0, 0, T_BITS, T_BITS),
    F("UNPCKLPS", 1, 0x14, NONE, K_XW, 16, BOTH, 0, 0, T_BITS, T_BITS),
    F("UNPCKLPD", 1, 0x14, P66, K_XW, 16, BOTH, 0, 0, T_BITS, T_BITS),
    F("UNPCKHPS", 1, 0x15, NONE, K_XW, 16, BOTH, 0, 0, T_BITS, T_BITS),
    F("UNPCKHPD", 1, 0x15, P66, K_XW, 16, BOTH, 0, 0, T_BITS, T_BITS),
    F("MOVHPS/MOVLHPS", 1, 0x16, NONE, K_XW, 8, BOTH, 0, 0, T_BITS, T_BITS),
    F("MOVHPD", 1, 0x16, P66, K_XW, 8, MEM_ONLY, 0, 0, T_BITS, T_BITS),
    F("MOVSHDUP", 1, 0x16, PF3, K_XW, 16, BOTH, 0, 0, T_BITS, T_BITS),
    F("MOVHPS st", 1, 0x17, NONE, K_WV, 8, MEM_ONLY, 0, 0, T_BITS, T_BITS),
    F("MOVHPD st", 1, 0x17, P66, K_WV, 8, MEM_ONLY, 0, 0, T_BITS, T_BITS),
    F("MOVAPS", 1, 0x28, NONE, K_XW, 16, BOTH, 0, 0, T_BITS, T_BITS),
    F("MOVAPD", 1, 0x28, P66, K_XW, 16, BOTH, 0, 0, T_BITS, T_BITS),
    F("MOVAPS st", 1, 0x29, NONE, K_WV, 16, BOTH, 0, 0, T_BITS, T_BITS),
    F("MOVAPD st", 1, 0x29, P66, K_WV, 16, BOTH, 0, 0, T_BITS, T_BITS),
    F("MOVNTPS", 1, 0x2b, NONE, K_WV, 16, MEM_ONLY, 0, 0, T_BITS, T_BITS),
    F("MOVNTPD", 1, 0x2b, P66, K_WV, 16, MEM_ONLY, 0, 0, T_BITS, T_BITS),
    F("MOVMSKPS", 1, 0x50, NONE, K_GW, 16, REG_ONLY, 0, 0, T_BITS, T_BITS),
    F("MOVMSKPS w", 1, 0x50, NONE, K_GW, 16, REG_ONLY, 0, 1, T_BITS, T_BITS),
    F("MOVMSKPD", 1, 0x50, P66, K_GW, 16, REG_ONLY, 0, 0, T_BITS, T_BITS),
    F("ANDPS", 1, 0x54, NONE, K_XW, 16, BOTH, 0, 0, T_BITS, T_BITS),
    F("ANDPD", 1, 0x54, P66, K_XW, 16, BOTH, 0, 0, T_BITS, T_BITS),
    F("ANDNPS", 1, 0x55, NONE, K_XW, 16, BOTH, 0, 0, T_BITS, T_BITS),
    F("ANDNPD", 1, 0x55, P66, K_XW, 16, BOTH, 0, 0, T_BITS, T_BITS),
    F("ORPS", 1, 0x56, NONE, K_XW, 16, BOTH, 0, 0, T_BITS, T_BITS),
    F("ORPD", 1, 0x56, P66, K_XW, 16, BOTH, 0, 0, T_BITS, T_BITS),
    F("XORPS", 1, 0x57, NONE, K_XW, 16, BOTH, 0, 0, T_BITS, T_BITS),
    F("XORPD", 1, 0x57, P66, K_XW, 16, BOTH, 0, 0, T_BITS, T_BITS),
    F("SHUFPS", 1, 0xc6, NONE, K_XW, 16, BOTH, 1, 0, T_BITS, T_BITS),
    F("SHUFPD", 1, 0xc6, P66, K_XW, 16, BOTH, 1, 0, T_BITS, T_BITS),
};

static const struct form arith[] = {
    PSD("SQRT", 0x51),
    F("RSQRTPS", 1, 0x52, NONE, K_XW, 16, BOTH, 0, 0, T_F32, T_F32),
    F("RSQRTSS", 1, 0x52, PF3, K_XW, 4, BOTH, 0, 0, T_F32, T_F32),
    F("RCPPS", 1, 0x53, NONE, K_XW, 16, BOTH, 0, 0, T_F32, T_F32),
    F("RCPSS", 1, 0x53, PF3, K_XW, 4, BOTH, 0, 0, T_F32, T_F32),
    PSD("ADD", 0x58), PSD("MUL", 0x59), PSD("SUB", 0x5c),
    PSD("MIN", 0x5d), PSD("DIV", 0x5e), PSD("MAX", 0x5f),
    F("CMPPS", 1, 0xc2, NONE, K_XW, 16, BOTH, 1, 0, T_F32, T_F32),
    F("CMPPD", 1, 0xc2, P66, K_XW, 16, BOTH, 1, 0, T_F64, T_F64),
    F("CMPSS", 1, 0xc2, PF3, K_XW, 4, BOTH, 1, 0, T_F32, T_F32),
    F("CMPSD", 1, 0xc2, PF2, K_XW, 8, BOTH, 1, 0, T_F64, T_F64),
    F("UCOMISS", 1, 0x2e, NONE, K_FL, 4, BOTH, 0, 0, T_F32, T_F32),
    F("UCOMISD", 1, 0x2e, P66, K_FL, 8, BOTH, 0, 0, T_F64, T_F64),
    F("COMISS", 1, 0x2f, NONE, K_FL, 4, BOTH, 0, 0, T_F32, T_F32),
    F("COMISD", 1, 0x2f, P66, K_FL, 8, BOTH, 0, 0, T_F64, T_F64),
};

static const struct form convs[] = {
    F("CVTPI2PS", 1, 0x2a, NONE, K_XQ, 8, BOTH, 0, 0, T_F32, T_I32),
    F("CVTPI2PD", 1, 0x2a, P66, K_XQ, 8, BOTH, 0, 0, T_F64, T_I32),
    F("CVTSI2SS", 1, 0x2a, PF3, K_XE, 4, BOTH, 0, 0, T_F32, T_I32),
    F("CVTSI2SS w", 1, 0x2a, PF3, K_XE, 8, BOTH, 0, 1, T_F32, T_I64),
    F("CVTSI2SD", 1, 0x2a, PF2, K_XE, 4, BOTH, 0, 0, T_F64, T_I32),
    F("CVTSI2SD w", 1, 0x2a, PF2, K_XE, 8, BOTH, 0, 1, T_F64, T_I64),
    F("CVTTPS2PI", 1, 0x2c, NONE, K_PW, 8, BOTH, 0, 0, T_BITS, T_F32),
    F("CVTTPD2PI", 1, 0x2c, P66, K_PW, 16, BOTH, 0, 0, T_BITS, T_F64),
    F("CVTTSS2SI", 1, 0x2c, PF3, K_GW, 4, BOTH, 0, 0, T_BITS, T_F32),
    F("CVTTSS2SI w", 1, 0x2c, PF3, K_GW, 4, BOTH, 0, 1, T_BITS, T_F32),
    F("CVTTSD2SI", 1, 0x2c, PF2, K_GW, 8, BOTH, 0, 0, T_BITS, T_F64),
    F("CVTTSD2SI w", 1, 0x2c, PF2, K_GW, 8, BOTH, 0, 1, T_BITS, T_F64),
    F("CVTPS2PI", 1, 0x2d, NONE, K_PW, 8, BOTH, 0, 0, T_BITS, T_F32),
    F("CVTPD2PI", 1, 0x2d, P66, K_PW, 16, BOTH, 0, 0, T_BITS, T_F64),
    F("CVTSS2SI", 1, 0x2d, PF3, K_GW, 4, BOTH, 0, 0, T_BITS, T_F32),
    F("CVTSS2SI w", 1, 0x2d, PF3, K_GW, 4, BOTH, 0, 1, T_BITS, T_F32),
    F("CVTSD2SI", 1, 0x2d, PF2, K_GW, 8, BOTH, 0, 0, T_BITS, T_F64),
    F("CVTSD2SI w", 1, 0x2d, PF2, K_GW, 8, BOTH, 0, 1, T_BITS, T_F64),
    F("CVTPS2PD", 1, 0x5a, NONE, K_XW, 8, BOTH, 0, 0, T_F64, T_F32),
    F("CVTPD2PS", 1, 0x5a, P66, K_XW, 16, BOTH, 0, 0, T_F32, T_F64),
    F("CVTSS2SD", 1, 0x5a, PF3, K_XW, 4, BOTH, 0, 0, T_F64, T_F32),
    F("CVTSD2SS", 1, 0x5a, PF2, K_XW, 8, BOTH, 0, 0, T_F32, T_F64),
    F("CVTDQ2PS", 1, 0x5b, NONE, K_XW, 16, BOTH, 0, 0, T_F32, T_I32),
    F("CVTPS2DQ", 1, 0x5b, P66, K_XW, 16, BOTH, 0, 0, T_I32, T_F32),
    F("CVTTPS2DQ", 1, 0x5b, PF3, K_XW, 16, BOTH, 0, 0, T_I32, T_F32),
    F("CVTTPD2DQ", 1, 0xe6, P66, K_XW, 16, BOTH, 0, 0, T_I32, T_F64),
    F("CVTDQ2PD", 1, 0xe6, PF3, K_XW, 8, BOTH, 0, 0, T_F64, T_I32),
    F("CVTPD2DQ", 1, 0xe6, PF2, K_XW, 16, BOTH, 0, 0, T_I32, T_F64),
};

static const struct form sse3_41[] = {
    F("HADDPD", 1, 0x7c, P66, K_XW, 16, BOTH, 0, 0, T_F64, T_F64),
    F("HADDPS", 1, 0x7c, PF2, K_XW, 16, BOTH, 0, 0, T_F32, T_F32),
    F("HSUBPD", 1, 0x7d, P66, K_XW, 16, BOTH, 0, 0, T_F64, T_F64),
    F("HSUBPS", 1, 0x7d, PF2, K_XW, 16, BOTH, 0, 0, T_F32, T_F32),
    F("ADDSUBPD", 1, 0xd0, P66, K_XW, 16, BOTH, 0, 0, T_F64, T_F64),
    F("ADDSUBPS", 1, 0xd0, PF2, K_XW, 16, BOTH, 0, 0, T_F32, T_F32),
    F("BLENDVPS", 2, 0x14, P66, K_XW, 16, BOTH, 0, 0, T_BITS, T_BITS),
    F("BLENDVPD", 2, 0x15, P66, K_XW, 16, BOTH, 0, 0, T_BITS, T_BITS),
    F("ROUNDPS", 3, 0x08, P66, K_XW, 16, BOTH, 1, 0, T_F32, T_F32),
    F("ROUNDPD", 3, 0x09, P66, K_XW, 16, BOTH, 1, 0, T_F64, T_F64),
    F("ROUNDSS", 3, 0x0a, P66, K_XW, 4, BOTH, 1, 0, T_F32, T_F32),
    F("ROUNDSD", 3, 0x0b, P66, K_XW, 8, BOTH, 1, 0, T_F64, T_F64),
    F("BLENDPS", 3, 0x0c, P66, K_XW, 16, BOTH, 1, 0, T_BITS, T_BITS),
    F("BLENDPD", 3, 0x0d, P66, K_XW, 16, BOTH, 1, 0, T_BITS, T_BITS),
    F("EXTRACTPS", 3, 0x17, P66, K_EV, 4, BOTH, 1, 0, T_BITS, T_BITS),
    F("EXTRACTPS w", 3, 0x17, P66, K_EV, 4, REG_ONLY, 1, 1, T_BITS, T_BITS),
    F("INSERTPS", 3, 0x21, P66, K_XW, 4, BOTH, 1, 0, T_BITS, T_BITS),
    F("DPPS", 3, 0x40, P66, K_XW, 16, BOTH, 1, 0, T_F32, T_F32),
    F("DPPD", 3, 0x41, P66, K_XW, 16, BOTH, 1, 0, T_F64, T_F64),
};

/* Encodes the form with ModRM reg=1, rm=2 (mod 3) or [rsi] (mod 0), then
 * RET; returns the instruction's length. */
static int encode(const struct form *fm, bool mem, uint8_t imm)
{
    static const uint8_t pfx_byte[] = { 0, 0x66, 0xf3, 0xf2 };
    uint8_t *p = code_page;
    if (fm->pfx != NONE)
        *p++ = pfx_byte[fm->pfx];
    if (fm->rexw)
        *p++ = 0x48;
    *p++ = 0x0f;
    if (fm->map == 2)
        *p++ = 0x38;
    else if (fm->map == 3)
        *p++ = 0x3a;
    *p++ = fm->op;
    *p++ = mem ? 0x0e : 0xca;
    if (fm->imm)
        *p++ = imm;
    int len = (int)(p - code_page);
    *p = 0xc3;
    return len;
}

static void hex(char *out, const void *v, int n)
{
    const uint8_t *b = v;
    for (int i = n - 1; i >= 0; i--)
        out += sprintf(out, "%02x%s", b[i], i && !(i % 4) ? "_" : "");
}

static int failures;
/* What the cases exercised, printed per group so thin coverage shows. */
static unsigned long n_cases, n_faults, n_flag[6];

static void report(const struct form *fm, bool mem, const struct hstate *in, uint8_t imm,
                   const char *what, const void *host, const void *mine, int n,
                   uint32_t hmx, uint32_t mmx, bool hfault, enum sse_result r)
{
    if (++failures > 12)
        return;
    char a[80], b[80], x1[80], x2[80], x0[80], m[80];
    hex(a, host, n);
    hex(b, mine, n);
    hex(x1, &in->x1, 16);
    hex(x2, &in->x2, 16);
    hex(x0, &in->x0, 16);
    hex(m, in->mem, 16);
    fprintf(stderr,
            "%s (%s, imm %02x) %s differs\n  mxcsr in %04x  xmm1 %s\n  xmm2 %s  xmm0 %s\n"
            "  mem %s  mm1 %016llx mm2 %016llx rdx %016llx\n"
            "  host: %s  mxcsr %04x%s\n  mine: %s  mxcsr %04x result %d\n",
            fm->name, mem ? "mem" : "reg", imm, what, in->mxcsr_in, x1, x2, x0, m,
            (unsigned long long)in->mm1, (unsigned long long)in->mm2, (unsigned long long)in->rdx,
            a, hmx, hfault ? " #XM" : "", b, mmx, (int)r);
}

/* One random case of a form: host and function, compared. */
static void run_case(const struct form *fm, bool mem)
{
    struct hstate st, in;
    memset(&st, 0, sizeof(st));
    gen_reg(&st.x1, fm->kind == K_WV || fm->kind == K_EV ? fm->st : fm->dt);
    gen_reg(&st.x2, fm->kind == K_WV || fm->kind == K_EV ? fm->dt : fm->st);
    if (fm->kind != K_WV && fm->kind != K_EV)
        relate(&st.x2, &st.x1, fm->st == fm->dt ? fm->st : T_BITS);
    gen_reg(&st.x0, T_BITS);
    union sse_reg mv;
    gen_reg(&mv, fm->kind == K_WV || fm->kind == K_EV ? T_BITS : fm->st);
    if (fm->kind != K_WV && fm->kind != K_EV && fm->st == fm->dt)
        relate(&mv, &st.x1, fm->st);
    memcpy(st.mem, &mv, 16);
    for (int i = 16; i < 32; i++)
        st.mem[i] = (uint8_t)rnd();
    st.mm1 = rnd();
    st.mm2 = fm->kind == K_XQ ? mv.q[0] : rnd();
    st.rcx = rnd();
    st.rdx = fm->kind == K_XE ? (uint64_t)gen_int(fm->rexw) : rnd();
    if (fm->kind == K_XE && !fm->rexw && below(2))
        st.rdx = (st.rdx & 0xffffffffu) | rnd() << 32;   /* upper half ignored */
    if (fm->kind == K_XE && mem)
        memcpy(st.mem, &st.rdx, 8);
    uint8_t imm = (uint8_t)rnd();
    st.mxcsr_in = gen_mxcsr(true);
    st.flags_in = 0x202 | (rnd() & 0x8d5);
    in = st;

    struct sse_ctx c;
    memset(&c, 0, sizeof(c));
    c.map = fm->map;
    c.opcode = fm->op;
    c.pfx = fm->pfx;
    c.reg = 1;
    c.imm = imm;
    c.src_mem = mem;
    c.rex_w = fm->rexw;
    c.width = fm->kind == K_XQ || fm->kind == K_PW ? 8 : 16;
    c.xmm0 = st.x0;
    c.mxcsr = st.mxcsr_in;
    union sse_reg memval;
    memset(&memval, 0, sizeof(memval));
    memcpy(&memval, st.mem, fm->msz);
    switch (fm->kind) {
    case K_XW: case K_FL:
        c.dst = st.x1;
        c.src = mem ? memval : st.x2;
        break;
    case K_WV:
        if (!mem)
            c.dst = st.x2;
        c.src = st.x1;
        break;
    case K_XQ:
        c.dst = st.x1;
        c.src.q[0] = mem ? memval.q[0] : st.mm2;
        break;
    case K_PW:
        c.dst.q[0] = st.mm1;
        c.src = mem ? memval : st.x2;
        break;
    case K_XE:
        c.dst = st.x1;
        c.src.q[0] = mem ? memval.q[0] : fm->rexw ? st.rdx : (uint32_t)st.rdx;
        break;
    case K_GW:
        c.src = mem ? memval : st.x2;
        break;
    case K_EV:
        c.src = st.x1;
        break;
    }
    insn_len = encode(fm, mem, imm);
    host_run(&st);
    enum sse_result r = sse_fp_exec(&c);
    bool hf = faulted != 0;
    bool xm = r == SSE_XM;
    n_cases++;
    n_faults += hf;
    for (int i = 0; i < 6; i++)
        n_flag[i] += (st.mxcsr_out & ~st.mxcsr_in) >> i & 1;

    if (r != SSE_OK && r != SSE_XM) {
        report(fm, mem, &in, imm, "result code", &st.x1, &c.dst, 16, st.mxcsr_out, c.mxcsr, hf, r);
        return;
    }
    if (hf != xm || st.mxcsr_out != c.mxcsr) {
        report(fm, mem, &in, imm, "#XM/MXCSR", &st.x1, &c.dst, 16, st.mxcsr_out, c.mxcsr, hf, r);
        return;
    }
    /* With a fault the host's destination must be untouched; ours is not
     * written by the caller then. */
    switch (fm->kind) {
    case K_XW: case K_XQ: case K_XE:
        if (memcmp(&st.x1, xm ? &in.x1 : &c.dst, 16))
            report(fm, mem, &in, imm, "xmm1", &st.x1, &c.dst, 16, st.mxcsr_out, c.mxcsr, hf, r);
        break;
    case K_WV:
        if (mem) {
            if (memcmp(st.mem, &c.dst, fm->msz) || memcmp(st.mem + fm->msz, in.mem + fm->msz, 32 - fm->msz))
                report(fm, mem, &in, imm, "memory", st.mem, &c.dst, 16, st.mxcsr_out, c.mxcsr, hf, r);
        } else if (memcmp(&st.x2, &c.dst, 16)) {
            report(fm, mem, &in, imm, "xmm2", &st.x2, &c.dst, 16, st.mxcsr_out, c.mxcsr, hf, r);
        }
        break;
    case K_PW:
        if (st.mm1 != (xm ? in.mm1 : c.dst.q[0]))
            report(fm, mem, &in, imm, "mm1", &st.mm1, &c.dst, 8, st.mxcsr_out, c.mxcsr, hf, r);
        break;
    case K_GW: {
        uint64_t want = xm ? in.rcx : fm->rexw ? c.dst.q[0] : (uint32_t)c.dst.q[0];
        if (st.rcx != want)
            report(fm, mem, &in, imm, "rcx", &st.rcx, &want, 8, st.mxcsr_out, c.mxcsr, hf, r);
        break;
    }
    case K_FL: {
        uint64_t want = xm ? in.flags_in : (in.flags_in & ~0x8d5ull) | (c.set_flags ? c.eflags : 0xbad);
        if (!xm && !c.no_dst)
            report(fm, mem, &in, imm, "no_dst", &st.flags_out, &want, 8, st.mxcsr_out, c.mxcsr, hf, r);
        else if (st.flags_out != want)
            report(fm, mem, &in, imm, "eflags", &st.flags_out, &want, 8, st.mxcsr_out, c.mxcsr, hf, r);
        break;
    }
    case K_EV:
        if (mem) {
            if (memcmp(st.mem, &c.dst, 4) || memcmp(st.mem + 4, in.mem + 4, 28))
                report(fm, mem, &in, imm, "memory", st.mem, &c.dst, 16, st.mxcsr_out, c.mxcsr, hf, r);
        } else if (st.rdx != c.dst.q[0]) {
            report(fm, mem, &in, imm, "rdx", &st.rdx, &c.dst, 8, st.mxcsr_out, c.mxcsr, hf, r);
        }
        break;
    }
}

static void run_forms(const char *group, const struct form *forms, size_t n, int cases)
{
    host_setup();
    uint64_t seed = x87_rng_seed(&rng, "SSE_FP_SEED");
    failures = 0;
    n_cases = n_faults = 0;
    memset(n_flag, 0, sizeof(n_flag));
    for (size_t i = 0; i < n; i++) {
        const struct form *fm = &forms[i];
        for (int k = 0; k < cases; k++) {
            if (fm->where != MEM_ONLY)
                run_case(fm, false);
            if (fm->where != REG_ONLY)
                run_case(fm, true);
        }
    }
    printf("%s: %lu cases, %lu #XM; new flags IE %lu DE %lu ZE %lu OE %lu UE %lu PE %lu\n", group,
           n_cases, n_faults, n_flag[0], n_flag[1], n_flag[2], n_flag[3], n_flag[4], n_flag[5]);
    ck_assert_msg(failures == 0, "%d differences from the host (SSE_FP_SEED=%llu reruns them)",
                  failures, (unsigned long long)seed);
}

#define NFORMS(a) (sizeof(a) / sizeof((a)[0]))

START_TEST(host_moves)
{
    run_forms("moves", moves, NFORMS(moves), 1000);
}
END_TEST

START_TEST(host_arith)
{
    run_forms("arith", arith, NFORMS(arith), 10000);
}
END_TEST

START_TEST(host_conversions)
{
    run_forms("convs", convs, NFORMS(convs), 10000);
}
END_TEST

START_TEST(host_sse3_sse41)
{
    run_forms("sse3_41", sse3_41, NFORMS(sse3_41), 10000);
}
END_TEST

/* RCP/RSQRT depend on the top 12 fraction bits and the exponent only (the
 * model in sse_fp.c): every such pattern at every exponent, both signs,
 * random low bits, against RCPSS/RSQRTSS on the host. */
START_TEST(host_rcp_rsqrt_all_inputs)
{
    uint64_t seed = x87_rng_seed(&rng, "SSE_FP_SEED");
    int bad = 0;
    for (uint32_t hi = 0; hi < (1u << 21); hi++) {   /* sign, exponent, top 12 bits */
        uint32_t a = hi << 11 | ((uint32_t)rnd() & 0x7ff);
        for (int rs = 0; rs < 2; rs++) {
            float fa;
            memcpy(&fa, &a, 4);
            __m128 v = _mm_set_ss(fa);
            float fr = _mm_cvtss_f32(rs ? _mm_rsqrt_ss(v) : _mm_rcp_ss(v));
            uint32_t want;
            memcpy(&want, &fr, 4);
            union sse_reg d, s;
            memset(&d, 0, sizeof(d));
            memset(&s, 0, sizeof(s));
            s.d[0] = a;
            run1(1, rs ? 0x52 : 0x53, SSE_PFX_F3, gen_mxcsr(false), &d, &s, 0);
            if (d.d[0] != want && ++bad < 10)
                fprintf(stderr, "%s %08x: host %08x mine %08x\n", rs ? "RSQRTSS" : "RCPSS", a, want, d.d[0]);
        }
    }
    ck_assert_msg(bad == 0, "%d differences (SSE_FP_SEED=%llu)", bad, (unsigned long long)seed);
}
END_TEST

#endif

static Suite *sse_fp_suite(void)
{
    Suite *s = suite_create("sse_fp");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, known_answers);
    tcase_add_test(tc, domain_and_prefix_columns);
#ifdef HOST_SSE
    tcase_add_test(tc, host_moves);
    tcase_add_test(tc, host_arith);
    tcase_add_test(tc, host_conversions);
    tcase_add_test(tc, host_sse3_sse41);
    tcase_add_test(tc, host_rcp_rsqrt_all_inputs);
#endif
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return test_run_suite(sse_fp_suite());
}
