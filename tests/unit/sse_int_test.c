/* sse_int_exec (cpu/sse_int.c, cpu/sse_string.c) against the host CPU: every
 * MMX/SSE2/SSSE3/SSE4.1/SSE4.2 integer form in its domain runs for real from
 * an executable page, register and memory source, and the results are
 * compared bit for bit; plus which opcodes it claims and which are #UD. */
#include <check.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "cpu/sse.h"
#include "test_util.h"
#include "x87_host.h"

static struct x87_rng rng;

static uint64_t rnd(void) { return x87_rng_next(&rng); }
static unsigned below(unsigned n) { return x87_rng_below(&rng, n); }

/* ---- what the domain claims ---------------------------------------------- */

static enum sse_result try(uint8_t map, uint8_t op, uint8_t pfx, uint8_t reg)
{
    struct sse_ctx c;
    memset(&c, 0, sizeof c);
    c.map = map;
    c.opcode = op;
    c.pfx = pfx;
    c.reg = reg;
    c.width = pfx == SSE_PFX_NONE ? 8 : 16;
    c.mxcsr = SSE_MXCSR_RESET;
    return sse_int_exec(&c);
}

START_TEST(claims_its_domain_only)
{
    /* others' opcodes */
    static const uint8_t not0f[] = { 0x10, 0x28, 0x2a, 0x2c, 0x50, 0x51, 0x58, 0x5b, 0x5f,
                                     0x77, 0x7c, 0x7d, 0xae, 0xc2, 0xc6, 0xd0, 0xe6, 0xf7 };
    for (unsigned i = 0; i < sizeof not0f; i++)
        for (unsigned p = 0; p < 4; p++)
            ck_assert_msg(try(1, not0f[i], p, 0) == SSE_NOT_MINE, "0F %02x pfx %u", not0f[i], p);
    static const uint8_t not38[] = { 0x14, 0x15, 0xc8, 0xcb, 0xcd, 0xdb, 0xdc, 0xdf, 0xf0, 0xf1 };
    for (unsigned i = 0; i < sizeof not38; i++)
        ck_assert_msg(try(2, not38[i], SSE_PFX_66, 0) == SSE_NOT_MINE, "0F 38 %02x", not38[i]);
    static const uint8_t not3a[] = { 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x17, 0x21,
                                     0x40, 0x41, 0x44, 0xcc, 0xdf };
    for (unsigned i = 0; i < sizeof not3a; i++)
        ck_assert_msg(try(3, not3a[i], SSE_PFX_66, 0) == SSE_NOT_MINE, "0F 3A %02x", not3a[i]);
    ck_assert_int_eq(try(4, 0x60, SSE_PFX_66, 0), SSE_NOT_MINE);

    /* empty prefix columns of its own rows */
    ck_assert_int_eq(try(1, 0x60, SSE_PFX_F3, 0), SSE_UD);
    ck_assert_int_eq(try(1, 0xfe, SSE_PFX_F2, 0), SSE_UD);
    ck_assert_int_eq(try(1, 0x6c, SSE_PFX_NONE, 0), SSE_UD);
    ck_assert_int_eq(try(1, 0x6f, SSE_PFX_F2, 0), SSE_UD);
    ck_assert_int_eq(try(1, 0x7e, SSE_PFX_F2, 0), SSE_UD);
    ck_assert_int_eq(try(1, 0xd6, SSE_PFX_NONE, 0), SSE_UD);
    ck_assert_int_eq(try(1, 0xc3, SSE_PFX_66, 0), SSE_UD);
    ck_assert_int_eq(try(1, 0xf0, SSE_PFX_66, 0), SSE_UD);
    ck_assert_int_eq(try(1, 0xe7, SSE_PFX_F3, 0), SSE_UD);
    ck_assert_int_eq(try(2, 0x00, SSE_PFX_F3, 0), SSE_UD);
    ck_assert_int_eq(try(2, 0x10, SSE_PFX_NONE, 0), SSE_UD);
    ck_assert_int_eq(try(2, 0x41, SSE_PFX_F2, 0), SSE_UD);
    ck_assert_int_eq(try(3, 0x0f, SSE_PFX_F3, 0), SSE_UD);
    ck_assert_int_eq(try(3, 0x63, SSE_PFX_NONE, 0), SSE_UD);
    ck_assert_int_eq(try(3, 0x42, SSE_PFX_NONE, 0), SSE_UD);
    /* shift groups: the members that do not exist */
    static const uint8_t bad71[] = { 0, 1, 3, 5, 7 }, bad73[] = { 0, 1, 4, 5 };
    for (unsigned i = 0; i < sizeof bad71; i++) {
        ck_assert_int_eq(try(1, 0x71, SSE_PFX_66, bad71[i]), SSE_UD);
        ck_assert_int_eq(try(1, 0x72, SSE_PFX_NONE, bad71[i]), SSE_UD);
    }
    for (unsigned i = 0; i < sizeof bad73; i++)
        ck_assert_int_eq(try(1, 0x73, SSE_PFX_66, bad73[i]), SSE_UD);
    ck_assert_int_eq(try(1, 0x73, SSE_PFX_NONE, 3), SSE_UD);
    ck_assert_int_eq(try(1, 0x73, SSE_PFX_NONE, 7), SSE_UD);
    ck_assert_int_eq(try(1, 0x71, SSE_PFX_F3, 2), SSE_UD);
    ck_assert_int_eq(try(1, 0x73, SSE_PFX_66, 7), SSE_OK);
}
END_TEST

#if defined(__x86_64__)

/* ---- the host side --------------------------------------------------------- */

/* What the stub loads before and stores after the instruction. */
struct host {
    uint8_t x0[16], x1[16], x2[16];
    uint64_t rax, rcx, rdx, flags;
    uint8_t mem[16];          /* [rsi], the memory operand */
    uint64_t mm1, mm2;        /* out only: mm1/mm2 load from x1/x2's low halves */
} __attribute__((aligned(16)));

_Static_assert(offsetof(struct host, rax) == 0x30 && offsetof(struct host, flags) == 0x48 &&
               offsetof(struct host, mem) == 0x50 && offsetof(struct host, mm1) == 0x60,
               "the stub's offsets");

static const uint8_t stub_head[] = {
    0xf3, 0x0f, 0x6f, 0x07,             /* movdqu xmm0, [rdi] */
    0xf3, 0x0f, 0x6f, 0x4f, 0x10,       /* movdqu xmm1, [rdi+0x10] */
    0xf3, 0x0f, 0x6f, 0x57, 0x20,       /* movdqu xmm2, [rdi+0x20] */
    0x0f, 0x6f, 0x4f, 0x10,             /* movq mm1, [rdi+0x10] */
    0x0f, 0x6f, 0x57, 0x20,             /* movq mm2, [rdi+0x20] */
    0x48, 0x8b, 0x47, 0x30,             /* mov rax, [rdi+0x30] */
    0x48, 0x8b, 0x4f, 0x38,             /* mov rcx, [rdi+0x38] */
    0x48, 0x8b, 0x57, 0x40,             /* mov rdx, [rdi+0x40] */
    0x48, 0x8d, 0x77, 0x50,             /* lea rsi, [rdi+0x50] */
    0xff, 0x77, 0x48,                   /* push qword [rdi+0x48] */
    0x9d,                               /* popfq */
};
static const uint8_t stub_tail[] = {
    0x9c,                               /* pushfq */
    0x8f, 0x47, 0x48,                   /* pop qword [rdi+0x48] */
    0x48, 0x89, 0x47, 0x30,             /* mov [rdi+0x30], rax */
    0x48, 0x89, 0x4f, 0x38,             /* mov [rdi+0x38], rcx */
    0x48, 0x89, 0x57, 0x40,             /* mov [rdi+0x40], rdx */
    0xf3, 0x0f, 0x7f, 0x07,             /* movdqu [rdi], xmm0 */
    0xf3, 0x0f, 0x7f, 0x4f, 0x10,       /* movdqu [rdi+0x10], xmm1 */
    0xf3, 0x0f, 0x7f, 0x57, 0x20,       /* movdqu [rdi+0x20], xmm2 */
    0x0f, 0x7f, 0x4f, 0x60,             /* movq [rdi+0x60], mm1 */
    0x0f, 0x7f, 0x57, 0x68,             /* movq [rdi+0x68], mm2 */
    0x0f, 0x77,                         /* emms: the x87 stack is the C code's again */
    0xc3,                               /* ret */
};

static uint8_t *code;

static void host_setup(void)
{
    void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS,
                   -1, 0);
    ck_assert_msg(p != MAP_FAILED, "no executable page");
    code = p;
}

static void host_teardown(void)
{
    munmap(code, 4096);
}

/* ---- the forms ---------------------------------------------------------- */

enum out_kind { OUT_DST, OUT_PTEST, OUT_STRI, OUT_STRM };

/* Operand types: 'x' XMM, 'm' MMX, 'g' general register. The test places
 * the ModRM.reg operand in xmm1/mm1/rcx and the ModRM.rm operand in
 * xmm2/mm2/rdx or [rsi]. */
struct form {
    const char *name;
    uint8_t pfx, map, op;
    int8_t grp;          /* ModRM.reg of a 71-73 shift group (rm = 2), else -1 */
    char regt, rmt;
    bool rm_dst;         /* the rm operand is the destination */
    uint8_t msize;       /* memory operand bytes; 0: no memory form */
    bool regform;        /* a register rm form exists */
    bool imm, w;
    uint8_t out;         /* enum out_kind */
    uint8_t count;       /* source q[0] is a shift count: keep it small mostly */
};

#define MAXFORMS 400
static struct form forms[MAXFORMS];
static unsigned nforms;

static struct form *add(const char *name, uint8_t pfx, uint8_t map, uint8_t op, char regt,
                        char rmt, bool rm_dst, uint8_t msize, bool regform, bool imm)
{
    ck_assert(nforms < MAXFORMS);
    struct form *f = &forms[nforms++];
    memset(f, 0, sizeof *f);
    *f = (struct form){ name, pfx, map, op, -1, regt, rmt, rm_dst, msize, regform, imm,
                        false, OUT_DST, 0 };
    return f;
}

/* MMX (no prefix) and SSE2 (66) forms of a dual row. */
static void dual(const char *name, uint8_t map, uint8_t op, uint8_t mmx_msize, bool imm)
{
    add(name, 0, map, op, 'm', 'm', false, mmx_msize, true, imm);
    add(name, 0x66, map, op, 'x', 'x', false, 16, true, imm);
}

static void build_sse2_forms(void)
{
    static const struct { uint8_t op; const char *name; } mx[] = {
        { 0x60, "punpcklbw" }, { 0x61, "punpcklwd" }, { 0x62, "punpckldq" },
        { 0x63, "packsswb" }, { 0x64, "pcmpgtb" }, { 0x65, "pcmpgtw" }, { 0x66, "pcmpgtd" },
        { 0x67, "packuswb" }, { 0x68, "punpckhbw" }, { 0x69, "punpckhwd" },
        { 0x6a, "punpckhdq" }, { 0x6b, "packssdw" }, { 0x74, "pcmpeqb" }, { 0x75, "pcmpeqw" },
        { 0x76, "pcmpeqd" }, { 0xd1, "psrlw" }, { 0xd2, "psrld" }, { 0xd3, "psrlq" },
        { 0xd4, "paddq" }, { 0xd5, "pmullw" }, { 0xd8, "psubusb" }, { 0xd9, "psubusw" },
        { 0xda, "pminub" }, { 0xdb, "pand" }, { 0xdc, "paddusb" }, { 0xdd, "paddusw" },
        { 0xde, "pmaxub" }, { 0xdf, "pandn" }, { 0xe0, "pavgb" }, { 0xe1, "psraw" },
        { 0xe2, "psrad" }, { 0xe3, "pavgw" }, { 0xe4, "pmulhuw" }, { 0xe5, "pmulhw" },
        { 0xe8, "psubsb" }, { 0xe9, "psubsw" }, { 0xea, "pminsw" }, { 0xeb, "por" },
        { 0xec, "paddsb" }, { 0xed, "paddsw" }, { 0xee, "pmaxsw" }, { 0xef, "pxor" },
        { 0xf1, "psllw" }, { 0xf2, "pslld" }, { 0xf3, "psllq" }, { 0xf4, "pmuludq" },
        { 0xf5, "pmaddwd" }, { 0xf6, "psadbw" }, { 0xf8, "psubb" }, { 0xf9, "psubw" },
        { 0xfa, "psubd" }, { 0xfb, "psubq" }, { 0xfc, "paddb" }, { 0xfd, "paddw" },
        { 0xfe, "paddd" },
    };
    for (unsigned i = 0; i < sizeof mx / sizeof mx[0]; i++) {
        unsigned before = nforms;
        dual(mx[i].name, 1, mx[i].op, mx[i].op <= 0x62 ? 4 : 8, false);
        uint8_t op = mx[i].op;
        bool count = (op >= 0xd1 && op <= 0xd3) || op == 0xe1 || op == 0xe2 ||
                     (op >= 0xf1 && op <= 0xf3);
        for (unsigned k = before; k < nforms; k++)
            forms[k].count = count;
    }
    add("punpcklqdq", 0x66, 1, 0x6c, 'x', 'x', false, 16, true, false);
    add("punpckhqdq", 0x66, 1, 0x6d, 'x', 'x', false, 16, true, false);

    for (int w = 0; w < 2; w++) {
        uint8_t sz = w ? 8 : 4;
        add(w ? "movq mm, r/m64" : "movd mm, r/m32", 0, 1, 0x6e, 'm', 'g', false, sz, true, false)->w = w;
        add(w ? "movq xmm, r/m64" : "movd xmm, r/m32", 0x66, 1, 0x6e, 'x', 'g', false, sz, true, false)->w = w;
        add(w ? "movq r/m64, mm" : "movd r/m32, mm", 0, 1, 0x7e, 'm', 'g', true, sz, true, false)->w = w;
        add(w ? "movq r/m64, xmm" : "movd r/m32, xmm", 0x66, 1, 0x7e, 'x', 'g', true, sz, true, false)->w = w;
        add("movnti", 0, 1, 0xc3, 'g', 'g', true, sz, false, false)->w = w;
        add("pinsrw mm", 0, 1, 0xc4, 'm', 'g', false, 2, true, true)->w = w;
        add("pinsrw xmm", 0x66, 1, 0xc4, 'x', 'g', false, 2, true, true)->w = w;
        add("pextrw r, mm", 0, 1, 0xc5, 'g', 'm', false, 0, true, true)->w = w;
        add("pextrw r, xmm", 0x66, 1, 0xc5, 'g', 'x', false, 0, true, true)->w = w;
        add("pmovmskb r, mm", 0, 1, 0xd7, 'g', 'm', false, 0, true, false)->w = w;
        add("pmovmskb r, xmm", 0x66, 1, 0xd7, 'g', 'x', false, 0, true, false)->w = w;
    }
    add("movq mm, mm/m64", 0, 1, 0x6f, 'm', 'm', false, 8, true, false);
    add("movdqa xmm, xmm/m128", 0x66, 1, 0x6f, 'x', 'x', false, 16, true, false);
    add("movdqu xmm, xmm/m128", 0xf3, 1, 0x6f, 'x', 'x', false, 16, true, false);
    add("movq mm/m64, mm", 0, 1, 0x7f, 'm', 'm', true, 8, true, false);
    add("movdqa xmm/m128, xmm", 0x66, 1, 0x7f, 'x', 'x', true, 16, true, false);
    add("movdqu xmm/m128, xmm", 0xf3, 1, 0x7f, 'x', 'x', true, 16, true, false);
    add("movq xmm, xmm/m64", 0xf3, 1, 0x7e, 'x', 'x', false, 8, true, false);
    add("movq xmm/m64, xmm", 0x66, 1, 0xd6, 'x', 'x', true, 8, true, false);
    add("movq2dq", 0xf3, 1, 0xd6, 'x', 'm', false, 0, true, false);
    add("movdq2q", 0xf2, 1, 0xd6, 'm', 'x', false, 0, true, false);
    add("movntq", 0, 1, 0xe7, 'm', 'm', true, 8, false, false);
    add("movntdq", 0x66, 1, 0xe7, 'x', 'x', true, 16, false, false);
    add("lddqu", 0xf2, 1, 0xf0, 'x', 'x', false, 16, false, false);
    add("pshufw", 0, 1, 0x70, 'm', 'm', false, 8, true, true);
    add("pshufd", 0x66, 1, 0x70, 'x', 'x', false, 16, true, true);
    add("pshufhw", 0xf3, 1, 0x70, 'x', 'x', false, 16, true, true);
    add("pshuflw", 0xf2, 1, 0x70, 'x', 'x', false, 16, true, true);

    static const struct { uint8_t op, grp; const char *name; bool xmm_only; } sh[] = {
        { 0x71, 2, "psrlw imm", false }, { 0x71, 4, "psraw imm", false },
        { 0x71, 6, "psllw imm", false }, { 0x72, 2, "psrld imm", false },
        { 0x72, 4, "psrad imm", false }, { 0x72, 6, "pslld imm", false },
        { 0x73, 2, "psrlq imm", false }, { 0x73, 6, "psllq imm", false },
        { 0x73, 3, "psrldq", true }, { 0x73, 7, "pslldq", true },
    };
    for (unsigned i = 0; i < sizeof sh / sizeof sh[0]; i++) {
        if (!sh[i].xmm_only)
            add(sh[i].name, 0, 1, sh[i].op, 'm', 'm', true, 0, true, true)->grp = (int8_t)sh[i].grp;
        add(sh[i].name, 0x66, 1, sh[i].op, 'x', 'x', true, 0, true, true)->grp = (int8_t)sh[i].grp;
    }
}

static void build_sse4_forms(void)
{
    static const struct { uint8_t op; const char *name; } ssse3[] = {
        { 0x00, "pshufb" }, { 0x01, "phaddw" }, { 0x02, "phaddd" }, { 0x03, "phaddsw" },
        { 0x04, "pmaddubsw" }, { 0x05, "phsubw" }, { 0x06, "phsubd" }, { 0x07, "phsubsw" },
        { 0x08, "psignb" }, { 0x09, "psignw" }, { 0x0a, "psignd" }, { 0x0b, "pmulhrsw" },
        { 0x1c, "pabsb" }, { 0x1d, "pabsw" }, { 0x1e, "pabsd" },
    };
    for (unsigned i = 0; i < sizeof ssse3 / sizeof ssse3[0]; i++)
        dual(ssse3[i].name, 2, ssse3[i].op, 8, false);

    static const struct { uint8_t op, msize; const char *name; } x66[] = {
        { 0x10, 16, "pblendvb" }, { 0x20, 8, "pmovsxbw" }, { 0x21, 4, "pmovsxbd" },
        { 0x22, 2, "pmovsxbq" }, { 0x23, 8, "pmovsxwd" }, { 0x24, 4, "pmovsxwq" },
        { 0x25, 8, "pmovsxdq" }, { 0x28, 16, "pmuldq" }, { 0x29, 16, "pcmpeqq" },
        { 0x2b, 16, "packusdw" }, { 0x30, 8, "pmovzxbw" }, { 0x31, 4, "pmovzxbd" },
        { 0x32, 2, "pmovzxbq" }, { 0x33, 8, "pmovzxwd" }, { 0x34, 4, "pmovzxwq" },
        { 0x35, 8, "pmovzxdq" }, { 0x37, 16, "pcmpgtq" }, { 0x38, 16, "pminsb" },
        { 0x39, 16, "pminsd" }, { 0x3a, 16, "pminuw" }, { 0x3b, 16, "pminud" },
        { 0x3c, 16, "pmaxsb" }, { 0x3d, 16, "pmaxsd" }, { 0x3e, 16, "pmaxuw" },
        { 0x3f, 16, "pmaxud" }, { 0x40, 16, "pmulld" }, { 0x41, 16, "phminposuw" },
    };
    for (unsigned i = 0; i < sizeof x66 / sizeof x66[0]; i++)
        add(x66[i].name, 0x66, 2, x66[i].op, 'x', 'x', false, x66[i].msize, true, false);
    add("ptest", 0x66, 2, 0x17, 'x', 'x', false, 16, true, false)->out = OUT_PTEST;
    add("movntdqa", 0x66, 2, 0x2a, 'x', 'x', false, 16, false, false);

    add("pblendw", 0x66, 3, 0x0e, 'x', 'x', false, 16, true, true);
    dual("palignr", 3, 0x0f, 8, true);
    add("mpsadbw", 0x66, 3, 0x42, 'x', 'x', false, 16, true, true);
    for (int w = 0; w < 2; w++) {
        add("pextrb", 0x66, 3, 0x14, 'x', 'g', true, 1, true, true)->w = w;
        add("pextrw r/m16", 0x66, 3, 0x15, 'x', 'g', true, 2, true, true)->w = w;
        add(w ? "pextrq" : "pextrd", 0x66, 3, 0x16, 'x', 'g', true, w ? 8 : 4, true, true)->w = w;
        add("pinsrb", 0x66, 3, 0x20, 'x', 'g', false, 1, true, true)->w = w;
        add(w ? "pinsrq" : "pinsrd", 0x66, 3, 0x22, 'x', 'g', false, w ? 8 : 4, true, true)->w = w;
    }
}

/* ---- inputs ---------------------------------------------------------------- */

/* Lanes of one random size, each an edge value or random bits. */
static void rand_vec(uint8_t *v)
{
    unsigned size = 1u << below(4);
    for (unsigned at = 0; at < 16; at += size) {
        uint64_t x;
        switch (below(10)) {
        case 0: x = 0; break;
        case 1: x = ~0ull; break;
        case 2: x = 1ull << (size * 8 - 1); break;            /* most negative */
        case 3: x = (1ull << (size * 8 - 1)) - 1; break;      /* most positive */
        case 4: x = below(4); break;
        case 5: x = 0 - (uint64_t)below(4); break;
        default: x = rnd(); break;
        }
        memcpy(v + at, &x, size);
    }
}

static uint64_t rand_gpr(void)
{
    switch (below(6)) {
    case 0: return below(300);
    case 1: return 0xffffffffull;
    case 2: return 0x80000000ull | rnd() << 32;
    case 3: return ~0ull;
    default: return rnd();
    }
}

static void rand_inputs(struct host *h, const struct form *f)
{
    memset(h, 0, sizeof *h);
    rand_vec(h->x0);
    rand_vec(h->x1);
    rand_vec(h->x2);
    rand_vec(h->mem);
    /* equal lanes for the compares, min/max, PSIGN zeroes */
    if (below(3) == 0)
        for (unsigned i = 0; i < 16; i++)
            if (below(2)) {
                h->x2[i] = h->x1[i];
                h->mem[i] = h->x1[i];
            }
    if (f->count && below(4) != 0) {
        uint64_t c = below(4) ? below(70) : below(2) ? 1ull << (32 + below(32)) : rnd();
        memcpy(h->x2, &c, 8);
        memcpy(h->mem, &c, 8);
    }
    h->rax = rand_gpr();
    h->rcx = rand_gpr();
    h->rdx = rand_gpr();
    /* arithmetic flags at random; bit 1 is always set, IF stays as it is */
    h->flags = 0x202 | (rnd() & 0x8d5);
}

/* ---- one comparison -------------------------------------------------------- */

static int failures;
static unsigned compared;
static uint64_t seed;

static unsigned pfx_column(uint8_t pfx)
{
    switch (pfx) {
    case 0x66: return SSE_PFX_66;
    case 0xf3: return SSE_PFX_F3;
    case 0xf2: return SSE_PFX_F2;
    default: return SSE_PFX_NONE;
    }
}

static unsigned encode(uint8_t *p, const struct form *f, bool mem, uint8_t imm)
{
    unsigned n = 0;
    if (f->pfx)
        p[n++] = f->pfx;
    if (f->w)
        p[n++] = 0x48;
    p[n++] = 0x0f;
    if (f->map == 2)
        p[n++] = 0x38;
    else if (f->map == 3)
        p[n++] = 0x3a;
    p[n++] = f->op;
    unsigned reg = f->grp >= 0 ? (unsigned)f->grp : 1;
    p[n++] = mem ? (uint8_t)(reg << 3 | 6) : (uint8_t)(0xc0 | reg << 3 | 2);
    if (f->imm)
        p[n++] = imm;
    return n;
}

static void hex(const char *label, const void *p, unsigned len)
{
    const uint8_t *b = p;
    fprintf(stderr, "  %-10s", label);
    for (unsigned i = len; i-- > 0;)
        fprintf(stderr, "%02x%s", b[i], i && i % 4 == 0 ? "_" : "");
    fprintf(stderr, "\n");
}

/* Runs the form on the host and through sse_int_exec with the same inputs;
 * false (and a report) when they differ. */
static bool compare(const struct form *f, const struct host *in, bool mem, uint8_t imm)
{
    uint8_t insn[16];
    unsigned len = encode(insn, f, mem, imm), at = 0;
    memcpy(code + at, stub_head, sizeof stub_head);
    at += sizeof stub_head;
    memcpy(code + at, insn, len);
    at += len;
    memcpy(code + at, stub_tail, sizeof stub_tail);
    struct host h = *in;
    compared++;
    ((void (*)(struct host *))(void *)code)(&h);

    union sse_reg regv, rmv;
    memset(&regv, 0, sizeof regv);
    memset(&rmv, 0, sizeof rmv);
    if (f->regt == 'g')
        regv.q[0] = f->w ? in->rcx : (uint32_t)in->rcx;
    else
        memcpy(regv.b, in->x1, 16); /* an MMX value's upper half is noise to ignore */
    if (mem)
        memcpy(rmv.b, in->mem, f->msize);
    else if (f->rmt == 'g')
        rmv.q[0] = f->w ? in->rdx : (uint32_t)in->rdx;
    else
        memcpy(rmv.b, in->x2, 16);

    struct sse_ctx c;
    memset(&c, 0, sizeof c);
    c.map = f->map;
    c.opcode = f->op;
    c.pfx = (uint8_t)pfx_column(f->pfx);
    c.reg = f->grp >= 0 ? (uint8_t)f->grp : 1;
    c.imm = imm;
    c.src_mem = mem;
    c.rex_w = f->w;
    c.width = f->regt == 'm' || f->rmt == 'm' ? 8 : 16;
    if (f->grp >= 0) {
        c.dst = rmv;
    } else if (f->rm_dst) {
        if (!mem && f->rmt != 'g')
            c.dst = rmv;
        c.src = regv;
    } else {
        if (f->regt != 'g')
            c.dst = regv;
        c.src = rmv;
    }
    union sse_reg dst_in = c.dst;
    memcpy(c.xmm0.b, in->x0, 16);
    c.rax = in->rax;
    c.rdx = in->rdx;
    c.mxcsr = SSE_MXCSR_RESET;
    enum sse_result res = sse_int_exec(&c);

    /* where the host's result is */
    const uint8_t *want;
    unsigned want_len = 16;
    char dt = f->rm_dst || f->grp >= 0 ? (mem ? 'M' : f->rmt) : f->regt;
    switch (dt) {
    case 'M': want = h.mem; want_len = f->msize; break;
    case 'x': want = f->rm_dst || f->grp >= 0 ? h.x2 : h.x1; break;
    case 'm': want = (const uint8_t *)(f->rm_dst || f->grp >= 0 ? &h.mm2 : &h.mm1); want_len = 8; break;
    default: want = (const uint8_t *)(f->rm_dst ? &h.rdx : &h.rcx); want_len = 8; break;
    }

    bool ok = res == SSE_OK;
    uint32_t hflags = (uint32_t)h.flags & 0x8d5;
    switch (f->out) {
    case OUT_DST:
        ok = ok && !c.no_dst && !c.set_flags && !c.set_rcx &&
             memcmp(c.dst.b, want, want_len) == 0;
        if (dt == 'm')
            ok = ok && c.dst.q[1] == dst_in.q[1];
        break;
    case OUT_PTEST:
        ok = ok && c.no_dst && c.set_flags && !c.set_rcx && c.eflags == hflags;
        break;
    case OUT_STRI:
        ok = ok && c.no_dst && c.set_flags && c.set_rcx && c.eflags == hflags &&
             c.rcx == h.rcx;
        break;
    case OUT_STRM:
        ok = ok && !c.no_dst && c.set_flags && !c.set_rcx && c.eflags == hflags &&
             memcmp(c.dst.b, h.x0, 16) == 0;
        break;
    }
    if (ok)
        return true;
    if (failures++ < 20) {
        fprintf(stderr, "sse_int mismatch: %s (%s%s form, imm %#x, seed %#" PRIx64 "):", f->name,
                mem ? "memory" : "register", f->w ? ", REX.W" : "", imm, seed);
        for (unsigned i = 0; i < len; i++)
            fprintf(stderr, " %02x", insn[i]);
        fprintf(stderr, "\n  result %d, no_dst %d set_flags %d set_rcx %d\n", res, c.no_dst,
                c.set_flags, c.set_rcx);
        hex("xmm1/mm1", in->x1, 16);
        hex("xmm2/mm2", in->x2, 16);
        hex("mem", in->mem, 16);
        hex("xmm0", in->x0, 16);
        fprintf(stderr, "  rax %#" PRIx64 " rcx %#" PRIx64 " rdx %#" PRIx64 "\n", in->rax,
                in->rcx, in->rdx);
        if (f->out == OUT_STRM)
            hex("host", h.x0, 16);
        else if (f->out == OUT_DST)
            hex("host", want, want_len);
        hex("ours", c.dst.b, 16);
        fprintf(stderr, "  flags host %#x ours %#x; rcx host %#" PRIx64 " ours %#x\n", hflags,
                c.eflags, h.rcx, c.rcx);
    }
    return false;
}

static void run_forms(unsigned from, unsigned to, unsigned iters)
{
    struct host in;
    for (unsigned k = from; k < to; k++) {
        const struct form *f = &forms[k];
        unsigned rounds = f->imm ? 256 : iters;
        for (unsigned r = 0; r < rounds; r++) {
            for (unsigned rep = 0; rep < (f->imm ? 3u : 1u); rep++) {
                uint8_t imm = f->imm ? (uint8_t)r : 0;
                rand_inputs(&in, f);
                if (f->regform)
                    compare(f, &in, false, imm);
                if (f->msize)
                    compare(f, &in, true, imm);
            }
        }
    }
}

static void seed_init(void)
{
    seed = x87_rng_seed(&rng, "SSE_INT_SEED");
    failures = 0;
    compared = 0;
    nforms = 0;
}

START_TEST(sse2_and_mmx_match_host)
{
    seed_init();
    build_sse2_forms();
    run_forms(0, nforms, 400);
    fprintf(stderr, "%u forms, %u comparisons, %d mismatches\n", nforms, compared, failures);
    ck_assert_msg(failures == 0, "%d mismatches against the host (seed %#" PRIx64 ")", failures,
                  seed);
}
END_TEST

START_TEST(ssse3_and_sse41_match_host)
{
    seed_init();
    build_sse4_forms();
    run_forms(0, nforms, 400);
    fprintf(stderr, "%u forms, %u comparisons, %d mismatches\n", nforms, compared, failures);
    ck_assert_msg(failures == 0, "%d mismatches against the host (seed %#" PRIx64 ")", failures,
                  seed);
}
END_TEST

/* ---- SSE4.2 string compares --------------------------------------------- */

/* A string of bytes or words from a small alphabet (so that elements match),
 * with zero elements in it now and then, or plain random bits. */
static void rand_string(uint8_t *v, bool words)
{
    static const uint16_t alpha_w[] = { 0x0061, 0x0062, 0x0063, 0x0161, 0x8000, 0xffff,
                                        0x7fff, 0x8061, 0x0001, 0xff61 };
    static const uint8_t alpha_b[] = { 'a', 'b', 'c', 'd', 0x80, 0xff, 0x7f, 0x01, 0xe1 };
    unsigned n = words ? 8 : 16, mode = below(4), zeros = below(4);
    for (unsigned i = 0; i < n; i++) {
        uint16_t x;
        if (zeros && below(zeros * 4) == 0)
            x = 0;
        else if (mode == 0)
            x = (uint16_t)rnd();
        else if (words)
            x = alpha_w[below(mode == 1 ? 3 : sizeof alpha_w / sizeof alpha_w[0])];
        else
            x = alpha_b[below(mode == 1 ? 3 : sizeof alpha_b)];
        if (words)
            memcpy(v + 2 * i, &x, 2);
        else
            v[i] = (uint8_t)x;
    }
}

static uint64_t rand_len(void)
{
    switch (below(8)) {
    case 0: return 0x80000000ull | (below(2) ? 0 : rnd() << 32);
    case 1: return 0x8000000000000000ull;
    case 2: return (rnd() << 32) | below(20);            /* only EAX counts without REX.W */
    case 3: return 0xffffffffull - below(20);            /* -1..-20 in 32 bits */
    case 4: return rnd();
    default: return (uint64_t)(int64_t)((int)below(41) - 20);
    }
}

static void string_inputs(struct host *h, bool words)
{
    memset(h, 0, sizeof *h);
    rand_vec(h->x0);
    rand_string(h->x1, words);
    rand_string(h->x2, words);
    switch (below(4)) {
    case 0: { /* x1 a piece of x2, for equal ordered */
        unsigned from = below(16), len = below(17);
        if (from + len > 16)
            len = 16 - from;
        memset(h->x1, 0, 16);
        memcpy(h->x1, h->x2 + from, len);
        if (below(2))
            memcpy(h->x1 + len, h->x2, 16 - len);
        break;
    }
    case 1: { /* ordered pairs, for ranges */
        unsigned size = words ? 2 : 1;
        for (unsigned i = 0; i + 2 * size <= 16; i += 2 * size)
            if (memcmp(h->x1 + i, h->x1 + i + size, size) > 0 && below(4)) {
                uint8_t t[2];
                memcpy(t, h->x1 + i, size);
                memcpy(h->x1 + i, h->x1 + i + size, size);
                memcpy(h->x1 + i + size, t, size);
            }
        break;
    }
    default:
        break;
    }
    memcpy(h->mem, h->x2, 16);
    if (below(4) == 0)
        rand_string(h->mem, words);
    h->rax = rand_len();
    h->rdx = rand_len();
    h->rcx = rand_gpr();
    h->flags = 0x202 | (rnd() & 0x8d5);
}

START_TEST(sse42_string_compares_match_host)
{
    seed_init();
    static const char *const names[] = { "pcmpestrm", "pcmpestri", "pcmpistrm", "pcmpistri" };
    for (unsigned op = 0x60; op <= 0x63; op++)
        for (int w = 0; w < (op <= 0x61 ? 2 : 1); w++) {
            struct form *f = add(names[op - 0x60], 0x66, 3, (uint8_t)op, 'x', 'x', false, 16,
                                 true, true);
            f->w = w;
            f->out = (op & 1) ? OUT_STRI : OUT_STRM;
        }
    struct host in;
    for (unsigned k = 0; k < nforms; k++)
        for (unsigned imm = 0; imm < 256; imm++) {
            /* bit 7 means nothing: the other half gets fewer inputs */
            unsigned iters = imm < 128 ? 40 : 4;
            for (unsigned it = 0; it < iters; it++) {
                string_inputs(&in, imm & 1);
                compare(&forms[k], &in, false, (uint8_t)imm);
                compare(&forms[k], &in, true, (uint8_t)imm);
            }
        }
    fprintf(stderr, "%u forms, %u comparisons, %d mismatches\n", nforms, compared, failures);
    ck_assert_msg(failures == 0, "%d mismatches against the host (seed %#" PRIx64 ")", failures,
                  seed);
}
END_TEST

#endif /* __x86_64__ */

int main(void)
{
    Suite *s = suite_create("sse_int");
    TCase *tc = tcase_create("domain");
    tcase_add_test(tc, claims_its_domain_only);
    suite_add_tcase(s, tc);
#if defined(__x86_64__)
    TCase *host = tcase_create("host");
    tcase_add_checked_fixture(host, host_setup, host_teardown);
    tcase_set_timeout(host, 120);
    tcase_add_test(host, sse2_and_mmx_match_host);
    tcase_add_test(host, ssse3_and_sse41_match_host);
    tcase_add_test(host, sse42_string_compares_match_host);
    suite_add_tcase(s, host);
#endif
    return test_run_suite(s);
}
