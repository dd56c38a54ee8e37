/* Unit tests for the x86-64 code generator: instruction encodings against
 * known bytes, thousands of randomly generated IR blocks run through the
 * interpreter and the generated code with all state compared, and block
 * chaining (links, the budget, the exit request flag, unlinking). */
#include <check.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cpu/exec.h"
#include "softmmu/mmu.h"
#include "test_util.h"
#include "translator/ir.h"
#include "translator/x64_backend.h"
#include "translator/x64_emit.h"

#if defined(__x86_64__)

/* ---- encoder known answers ---- */

static void expect_bytes(struct x64_asm *a, const char *what, const uint8_t *want, size_t n)
{
    ck_assert_msg(a->len == n, "%s: %zu bytes, want %zu", what, a->len, n);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(a->buf[i] == want[i], "%s: byte %zu is %02x, want %02x", what, i, a->buf[i],
                      want[i]);
    a->len = 0;
}

#define EXPECT(a, what, ...)                                                   \
    do {                                                                       \
        static const uint8_t want_[] = { __VA_ARGS__ };                        \
        expect_bytes((a), (what), want_, sizeof(want_));                       \
    } while (0)

START_TEST(emit_known_encodings)
{
    uint8_t buf[64];
    struct x64_asm a = { buf, sizeof(buf), 0 };
    x64_mov_rr(&a, 8, X64_RAX, X64_R12);
    EXPECT(&a, "mov rax, r12", 0x4c, 0x89, 0xe0);
    x64_mov_rr(&a, 4, X64_R9, X64_RSI);
    EXPECT(&a, "mov r9d, esi", 0x41, 0x89, 0xf1);
    x64_mov_ri(&a, X64_R10, 0);
    EXPECT(&a, "xor r10d, r10d", 0x45, 0x31, 0xd2);
    x64_mov_ri(&a, X64_RCX, 0x12345678);
    EXPECT(&a, "mov ecx, imm32", 0xb9, 0x78, 0x56, 0x34, 0x12);
    x64_mov_ri(&a, X64_RDX, (uint64_t)-2);
    EXPECT(&a, "mov rdx, -2", 0x48, 0xc7, 0xc2, 0xfe, 0xff, 0xff, 0xff);
    x64_mov_ri(&a, X64_R11, 0x123456789aull);
    EXPECT(&a, "movabs r11", 0x49, 0xbb, 0x9a, 0x78, 0x56, 0x34, 0x12, 0x00, 0x00, 0x00);
    x64_load(&a, 8, X64_R13, x64_mem_bd(X64_RBP, 0));
    EXPECT(&a, "mov r13, [rbp]", 0x4c, 0x8b, 0x6d, 0x00);
    x64_load(&a, 1, X64_RAX, x64_mem_bd(X64_R12, 0x10));
    EXPECT(&a, "movzx eax, byte [r12+16]", 0x41, 0x0f, 0xb6, 0x44, 0x24, 0x10);
    x64_load(&a, 2, X64_RSI, x64_mem_bisd(X64_RBX, X64_R9, 8, 0x1000));
    EXPECT(&a, "movzx esi, word [rbx+r9*8+0x1000]", 0x42, 0x0f, 0xb7, 0xb4, 0xcb, 0x00, 0x10,
           0x00, 0x00);
    x64_load(&a, 8, X64_RAX, x64_mem_bisd(X64_R13, X64_RDX, 1, 0));
    EXPECT(&a, "mov rax, [r13+rdx]", 0x49, 0x8b, 0x44, 0x15, 0x00);
    x64_store(&a, 1, x64_mem_bd(X64_RBX, 8), X64_RSI);
    EXPECT(&a, "mov [rbx+8], sil", 0x40, 0x88, 0x73, 0x08);
    x64_store(&a, 2, x64_mem_bd(X64_RSP, 0), X64_R8);
    EXPECT(&a, "mov [rsp], r8w", 0x66, 0x44, 0x89, 0x04, 0x24);
    x64_store_imm(&a, 8, x64_mem_bd(X64_RBX, 0x200), -1);
    EXPECT(&a, "mov qword [rbx+0x200], -1", 0x48, 0xc7, 0x83, 0x00, 0x02, 0x00, 0x00, 0xff, 0xff,
           0xff, 0xff);
    x64_alu_ri(&a, X64_AND, 8, X64_RDX, -4096);
    EXPECT(&a, "and rdx, -4096", 0x48, 0x81, 0xe2, 0x00, 0xf0, 0xff, 0xff);
    x64_alu_ri(&a, X64_ADD, 8, X64_R15, 1);
    EXPECT(&a, "add r15, 1", 0x49, 0x83, 0xc7, 0x01);
    x64_alu_rr(&a, X64_SUB, 8, X64_RDI, X64_R14);
    EXPECT(&a, "sub rdi, r14", 0x4c, 0x29, 0xf7);
    x64_alu_mi(&a, X64_CMP, 1, x64_mem_bd(X64_RBX, 0x40), 3);
    EXPECT(&a, "cmp byte [rbx+0x40], 3", 0x80, 0x7b, 0x40, 0x03);
    x64_shift_cl(&a, X64_ROL, 1, X64_RAX);
    EXPECT(&a, "rol al, cl", 0xd2, 0xc0);
    x64_shift_ri(&a, X64_SAR, 8, X64_R8, 5);
    EXPECT(&a, "sar r8, 5", 0x49, 0xc1, 0xf8, 0x05);
    x64_shift_cl(&a, X64_ROR, 2, X64_RAX);
    EXPECT(&a, "ror ax, cl", 0x66, 0xd3, 0xc8);
    x64_movzx_rr(&a, X64_RAX, X64_RDI, 1);
    EXPECT(&a, "movzx eax, dil", 0x40, 0x0f, 0xb6, 0xc7);
    x64_movsx_rr(&a, X64_R10, X64_RBP, 4);
    EXPECT(&a, "movsxd r10, ebp", 0x4c, 0x63, 0xd5);
    x64_setcc(&a, X64_CC_B, X64_RAX);
    EXPECT(&a, "setb al", 0x0f, 0x92, 0xc0);
    x64_cmov_rr(&a, X64_CC_G, X64_RAX, X64_R11);
    EXPECT(&a, "cmovg rax, r11", 0x49, 0x0f, 0x4f, 0xc3);
    x64_imul_rr(&a, X64_RSI, X64_R9);
    EXPECT(&a, "imul rsi, r9", 0x49, 0x0f, 0xaf, 0xf1);
    x64_mul1(&a, true, X64_RCX);
    EXPECT(&a, "imul rcx (one operand)", 0x48, 0xf7, 0xe9);
    x64_lea(&a, X64_RAX, x64_mem_bisd(X64_RAX, X64_RAX, 4, 0));
    EXPECT(&a, "lea rax, [rax+rax*4]", 0x48, 0x8d, 0x04, 0x80);
    x64_call_r(&a, X64_RAX);
    EXPECT(&a, "call rax", 0xff, 0xd0);
    x64_push(&a, X64_R12);
    x64_pop(&a, X64_RBX);
    EXPECT(&a, "push r12; pop rbx", 0x41, 0x54, 0x5b);
    size_t f = x64_jcc32(&a, X64_CC_NE);
    x64_patch_rel32(&a, f, 0);
    EXPECT(&a, "jne back to 0", 0x0f, 0x85, 0xfa, 0xff, 0xff, 0xff);
}
END_TEST

/* ---- the random differential test ---- */

#define AREA_WORDS 256
#define RESULT_WORD 128   /* final temps are stored from here */
#define RAM_SIZE (1u << 20)
#define GUEST_LO 0x10000u /* guest linear window the blocks access */
#define GUEST_PAGES 8
#define USER_SHIFT 0x10000u /* the CPL 3 table maps the window elsewhere */
#define WIN_LO 0x10000u   /* RAM the blocks can reach */
#define WIN_HI 0x28000u

struct tctx {
    struct cpu_exec c;
    uint64_t area[AREA_WORDS];
};

#define AREA_OFF(byte) (offsetof(struct tctx, area) + (size_t)(byte))

struct env {
    struct machine m;
    uint8_t *ram;
    uint8_t *ram_init;
    struct tctx *init, *ti, *tj;
    struct x64_backend *be;
    uint64_t temps[IR_MAX_TEMPS];
    struct ir_insn storage[IR_MAX_INSNS];
    struct ir_block ir;
};

static uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

static unsigned rng_below(uint64_t *s, unsigned n)
{
    return (unsigned)(rng_next(s) % n);
}

/* Puts hostile values in every caller-saved register, as any C helper may. */
static void clobber_caller_saved(void)
{
    __asm__ volatile("mov $0x5a5a5a5a5a5a5a5a, %%rsi\n\t"
                     "mov %%rsi, %%rdi\n\t"
                     "mov %%rsi, %%r8\n\t"
                     "mov %%rsi, %%r9\n\t"
                     "mov %%rsi, %%r10\n\t"
                     "mov %%rsi, %%r11\n\t"
                     "mov %%rsi, %%rdx\n\t"
                     "mov %%rsi, %%rcx\n\t"
                     ::: "rsi", "rdi", "r8", "r9", "r10", "r11", "rdx", "rcx", "memory");
}

static uint64_t th_side(struct cpu_exec *c, uint64_t v)
{
    struct tctx *t = (struct tctx *)c;
    t->area[AREA_WORDS - 1] = t->area[AREA_WORDS - 1] * 31 + v + 1;
    clobber_caller_saved();
    return v;
}

static uint64_t th0(struct cpu_exec *c, uint64_t a, uint64_t b, uint64_t x, uint64_t y)
{
    (void)a, (void)b, (void)x, (void)y;
    return th_side(c, 0x1234) * 7;
}

static uint64_t th1(struct cpu_exec *c, uint64_t a, uint64_t b, uint64_t x, uint64_t y)
{
    (void)b, (void)x, (void)y;
    /* like helpers that change guest registers */
    ((struct tctx *)c)->area[a & 15] ^= a * 0x9e3779b97f4a7c15ull;
    return th_side(c, a) ^ 0xf0f0f0f0f0f0f0f0ull;
}

static uint64_t th2(struct cpu_exec *c, uint64_t a, uint64_t b, uint64_t x, uint64_t y)
{
    (void)x, (void)y;
    return th_side(c, a * 3 + b) - (b << 5);
}

static uint64_t th3(struct cpu_exec *c, uint64_t a, uint64_t b, uint64_t x, uint64_t y)
{
    (void)y;
    return th_side(c, a - b * 5 + x) + (x >> 3);
}

static uint64_t th4(struct cpu_exec *c, uint64_t a, uint64_t b, uint64_t x, uint64_t y)
{
    return th_side(c, (a ^ b) + x * 9 - y) + (y ^ a);
}

/* Marks the running block as overwritten on odd arguments. */
static uint64_t th_smc(struct cpu_exec *c, uint64_t a, uint64_t b, uint64_t x, uint64_t y)
{
    (void)b, (void)x, (void)y;
    if (a & 1)
        c->tb_invalidated = true;
    return th_side(c, a);
}

/* A guest fault in a helper on some arguments. */
static uint64_t th_fault(struct cpu_exec *c, uint64_t a, uint64_t b, uint64_t x, uint64_t y)
{
    (void)b, (void)x, (void)y;
    th_side(c, a);
    if (a % 5 == 0) {
        c->fault.vector = 13;
        siglongjmp(*c->unwind, 1);
    }
    return a + 1;
}

static const ir_helper_fn th_by_nargs[5] = { th0, th1, th2, th3, th4 };

static struct env *env_new(void)
{
    struct env *e = calloc(1, sizeof(*e));
    ck_assert_ptr_nonnull(e);
    e->ram = test_machine_with_ram(&e->m, RAM_SIZE);
    e->ram_init = malloc(RAM_SIZE);
    e->init = calloc(1, sizeof(struct tctx));
    e->ti = calloc(1, sizeof(struct tctx));
    e->tj = calloc(1, sizeof(struct tctx));
    ck_assert(e->ram_init && e->init && e->ti && e->tj);
    e->be = x64_backend_create(16u << 20);
    ck_assert_ptr_nonnull(e->be);
    ir_block_init(&e->ir, e->storage, IR_MAX_INSNS);
    return e;
}

static void env_free(struct env *e)
{
    x64_backend_destroy(e->be);
    free(e->init);
    free(e->ti);
    free(e->tj);
    free(e->ram_init);
    test_machine_free_ram(&e->m);
    free(e);
}

/* Fresh random state: RAM, the area, and a TLB where part of the window is
 * mapped directly (differently for CPL 3), part read-only, part missing. */
static void env_randomise(struct env *e, uint64_t *rng)
{
    for (unsigned i = WIN_LO; i < WIN_HI; i += 8) {
        uint64_t v = rng_next(rng);
        memcpy(e->ram + i, &v, 8);
    }
    memcpy(e->ram_init + WIN_LO, e->ram + WIN_LO, WIN_HI - WIN_LO);
    struct tctx *t = e->init;
    memset(t, 0, sizeof(*t));
    t->c.m = &e->m;
    t->c.fault.vector = -1;
    t->c.cpl = rng_below(rng, 2) ? 3 : (uint8_t)rng_below(rng, 3);
    tlb_flush_all(&t->c);
    for (unsigned p = 0; p < GUEST_PAGES; p++) {
        uint64_t lin = GUEST_LO + p * 0x1000u;
        unsigned kind = rng_below(rng, 4);
        for (int mode = 0; mode < 2; mode++) {
            struct tlb_entry *te = &t->c.tlb[mode][(lin >> 12) & (TLB_SIZE - 1)];
            uint64_t phys = lin + (mode ? USER_SHIFT : 0);
            if (kind == 0)
                continue; /* missing: the slow path walks (identity, paging off) */
            te->phys = phys;
            te->addend = (uintptr_t)(e->ram + phys) - (uintptr_t)lin;
            te->tag_read = lin;
            te->tag_write = kind == 1 ? lin | TLB_FLAG_SLOW : lin;
            te->tag_code = TLB_INVALID;
        }
    }
    for (unsigned w = 0; w < AREA_WORDS; w++)
        t->area[w] = rng_next(rng);
}

static uint64_t interesting(uint64_t *rng)
{
    static const uint64_t special[] = {
        0, 1, 2, 3, 7, 8, 31, 32, 63, 64, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff,
        0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ull, 0x7fffffffffffffffull,
        0x8000000000000000ull, 0xffffffffffffffffull, 0xfffffffffffffffeull, 0xfffff000,
        0xffffffff80000000ull,
    };
    switch (rng_below(rng, 4)) {
    case 0: return special[rng_below(rng, sizeof(special) / sizeof(special[0]))];
    case 1: return rng_below(rng, 256);
    case 2: return (uint64_t)(int64_t)(int32_t)rng_next(rng);
    default: return rng_next(rng);
    }
}

struct gen {
    struct ir_block *b;
    uint64_t *rng;
    ir_temp pool[96];
    unsigned npool;
    unsigned budget; /* operations left */
    unsigned depth;
};

static void pool_add(struct gen *g, ir_temp t)
{
    /* Inside a conditional region a replaced entry would name a temp that
     * is undefined after it: only add there. */
    if (g->npool < sizeof(g->pool) / sizeof(g->pool[0]))
        g->pool[g->npool++] = t;
    else if (g->depth == 0)
        g->pool[rng_below(g->rng, g->npool)] = t;
}

static ir_temp pick(struct gen *g)
{
    return g->pool[rng_below(g->rng, g->npool)];
}

static unsigned rand_size(struct gen *g)
{
    static const unsigned sizes[4] = { 1, 2, 4, 8 };
    return sizes[rng_below(g->rng, 4)];
}

static ir_temp gen_addr(struct gen *g, unsigned size)
{
    struct ir_block *b = g->b;
    uint64_t *r = g->rng;
    unsigned page = rng_below(r, GUEST_PAGES);
    unsigned off = rng_below(r, 3) == 0 ? 0x1000 - rng_below(r, size + 1) : rng_below(r, 0x1000);
    if (off >= 0x1000)
        off = 0xfff;
    uint64_t base = GUEST_LO + page * 0x1000u + off;
    if (rng_below(r, 3) == 0) {
        /* a computed address: base + (temp & 0x7ff) */
        ir_temp m = ir_binop(b, IR_AND, pick(g), ir_movi(b, 0x7ff));
        ir_temp lin = ir_binop(b, IR_ADD, ir_movi(b, GUEST_LO + page * 0x800u), m);
        return lin;
    }
    return ir_movi(b, base);
}

static void gen_ops(struct gen *g, unsigned n);

static void gen_one(struct gen *g)
{
    struct ir_block *b = g->b;
    uint64_t *r = g->rng;
    if (g->budget == 0)
        return;
    g->budget--;
    if (rng_below(r, 10) == 0) {
        /* Shapes the translator emits: a field read straight into an
         * operation, an address sum wrapped to 32 bits. */
        static const enum ir_op ops[] = { IR_ADD, IR_SUB, IR_AND, IR_OR, IR_XOR };
        size_t off = AREA_OFF(rng_below(r, RESULT_WORD * 8 - 8));
        switch (rng_below(r, 6)) {
        case 4:
        case 5: {
            /* a register written and read back (sizes and offsets differ
             * sometimes, a call or an overlapping store may intervene) */
            size_t reg = rng_below(r, 2) ? AREA_OFF(rng_below(r, 16) * 8)
                                         : offsetof(struct cpu_exec, cpu.regs) + rng_below(r, 16) * 8;
            ir_temp v = pick(g);
            ir_stc(b, rand_size(g), reg + (rng_below(r, 4) == 0 ? 1 : 0), v);
            switch (rng_below(r, 7)) {
            case 0: ir_call_void(b, th1, "th1", 1, pick(g), IR_NO_TEMP, IR_NO_TEMP, IR_NO_TEMP); break;
            case 4: ir_mov_to(b, v, pick(g)); break;
            case 1: ir_stc(b, rand_size(g), reg + rng_below(r, 8), pick(g)); break;
            case 2: ir_ld(b, 4, gen_addr(g, 4)); break;
            case 3: pool_add(g, ir_binop(b, IR_ADD, pick(g), pick(g))); break;
            default: break;
            }
            pool_add(g, ir_ldc(b, rand_size(g), reg + (rng_below(r, 4) == 0 ? rng_below(r, 8) : 0)));
            break;
        }
        case 0: {
            ir_temp a = pick(g);
            ir_temp f = ir_ldc(b, 8, off);
            enum ir_op op = ops[rng_below(r, 5)];
            pool_add(g, rng_below(r, 2) ? ir_binop(b, op, a, f) : ir_binop(b, op, f, a));
            break;
        }
        case 1: {
            ir_temp a = pick(g);
            ir_temp f = ir_ldc(b, 8, off);
            enum ir_cond cc = (enum ir_cond)rng_below(r, 12);
            pool_add(g, rng_below(r, 2) ? ir_setcc(b, cc, a, f) : ir_setcc(b, cc, f, a));
            break;
        }
        case 2: {
            ir_temp a = pick(g), c = rng_below(r, 2) ? pick(g) : ir_movi(b, interesting(r));
            if (rng_below(r, 2))
                c = ir_ldc(b, 8, off);
            ir_temp sum = rng_below(r, 2) ? ir_binop(b, IR_ADD, a, c) : ir_binop(b, IR_ADD, c, a);
            pool_add(g, ir_ext(b, IR_ZEXT, 4, sum));
            break;
        }
        default: {
            ir_temp a = pick(g);
            ir_temp dif = ir_binop(b, IR_SUB, a, ir_movi(b, interesting(r)));
            pool_add(g, ir_ext(b, IR_ZEXT, 4, dif));
            break;
        }
        }
        return;
    }
    unsigned what = rng_below(r, 100);
    if (what < 6) {
        pool_add(g, ir_movi(b, interesting(r)));
    } else if (what < 9) {
        if (rng_below(r, 2))
            pool_add(g, ir_mov(b, pick(g)));
        else
            ir_mov_to(b, pick(g), pick(g));
    } else if (what < 14) {
        unsigned size = rand_size(g);
        pool_add(g, ir_ldc(b, size, AREA_OFF(rng_below(r, RESULT_WORD * 8 - 8))));
    } else if (what < 19) {
        unsigned size = rand_size(g);
        ir_stc(b, size, AREA_OFF(rng_below(r, RESULT_WORD * 8 - 8)), pick(g));
    } else if (what < 22) {
        /* an instruction boundary */
        ir_stc(b, 8, offsetof(struct cpu_exec, cpu.rip), ir_movi(b, interesting(r)));
        b->insns[b->count - 1].cond = 1;
    } else if (what < 42) {
        static const enum ir_op ops[] = { IR_ADD, IR_SUB, IR_AND, IR_OR, IR_XOR, IR_SHL, IR_SHR,
                                          IR_SAR, IR_MUL, IR_MULHU, IR_MULHS };
        enum ir_op op = ops[rng_below(r, sizeof(ops) / sizeof(ops[0]))];
        ir_temp a = pick(g), c = rng_below(r, 4) == 0 ? ir_movi(b, interesting(r)) : pick(g);
        if (rng_below(r, 8) == 0) {
            c = a;
        }
        if (rng_below(r, 6) == 0) {
            /* d is one of the operands */
            ir_temp d = rng_below(r, 2) ? a : c;
            struct ir_insn *i = &b->insns[b->count];
            ir_binop(b, op, a, c);
            i->d = d;
        } else {
            pool_add(g, ir_binop(b, op, a, c));
        }
    } else if (what < 48) {
        enum ir_op op = rng_below(r, 2) ? IR_ROL : IR_ROR;
        ir_temp cnt = rng_below(r, 3) == 0 ? ir_movi(b, interesting(r)) : pick(g);
        pool_add(g, ir_rot(b, op, rand_size(g), pick(g), cnt));
    } else if (what < 52) {
        pool_add(g, ir_unop(b, rng_below(r, 2) ? IR_NEG : IR_NOT, pick(g)));
    } else if (what < 58) {
        ir_temp a = rng_below(r, 6) == 0 ? ir_movi(b, interesting(r)) : pick(g);
        pool_add(g, ir_ext(b, rng_below(r, 2) ? IR_ZEXT : IR_SEXT, rand_size(g), a));
    } else if (what < 63) {
        ir_temp c = rng_below(r, 3) == 0 ? ir_movi(b, interesting(r)) : pick(g);
        ir_temp a = rng_below(r, 8) == 0 ? ir_movi(b, interesting(r)) : pick(g);
        pool_add(g, ir_setcc(b, (enum ir_cond)rng_below(r, 12), a, c));
    } else if (what < 67) {
        ir_temp c = rng_below(r, 3) == 0 ? ir_movi(b, interesting(r)) : pick(g);
        ir_temp t = rng_below(r, 4) == 0 ? ir_movi(b, interesting(r)) : pick(g);
        pool_add(g, ir_select(b, (enum ir_cond)rng_below(r, 12), pick(g), c, t, pick(g)));
    } else if (what < 75) {
        unsigned size = rand_size(g);
        pool_add(g, ir_ld(b, size, gen_addr(g, size)));
    } else if (what < 82) {
        unsigned size = rand_size(g);
        ir_temp v = rng_below(r, 4) == 0 ? ir_movi(b, interesting(r)) : pick(g);
        ir_st(b, size, gen_addr(g, size), v);
    } else if (what < 88) {
        unsigned nargs = rng_below(r, 5);
        ir_temp a[4];
        for (int k = 0; k < 4; k++)
            a[k] = k < (int)nargs ? (rng_below(r, 5) == 0 ? ir_movi(b, interesting(r)) : pick(g))
                                  : IR_NO_TEMP;
        unsigned kind = rng_below(r, 20);
        if (kind == 0 && nargs >= 1)
            pool_add(g, ir_call(b, th_smc, "th_smc", 1, a[0], IR_NO_TEMP, IR_NO_TEMP, IR_NO_TEMP));
        else if (kind == 1 && nargs >= 1)
            pool_add(g, ir_call(b, th_fault, "th_fault", 1, a[0], IR_NO_TEMP, IR_NO_TEMP, IR_NO_TEMP));
        else if (kind < 6)
            ir_call_void(b, th_by_nargs[nargs], "th", nargs, a[0], a[1], a[2], a[3]);
        else
            pool_add(g, ir_call(b, th_by_nargs[nargs], "th", nargs, a[0], a[1], a[2], a[3]));
    } else if (what < 91 && g->depth < 3) {
        /* if (cond) { ... } with temps defined inside invisible after */
        unsigned skip = ir_new_label(b);
        ir_temp c = rng_below(r, 3) == 0 ? ir_movi(b, interesting(r)) : pick(g);
        ir_brcond(b, (enum ir_cond)rng_below(r, 12), pick(g), c, skip);
        unsigned saved = g->npool;
        g->depth++;
        gen_ops(g, 1 + rng_below(r, 8));
        g->depth--;
        g->npool = saved;
        ir_label(b, skip);
    } else if (what < 94 && g->depth < 3) {
        /* if/else merging a value, as the translator's segment checks do */
        unsigned other = ir_new_label(b), done = ir_new_label(b);
        ir_temp merged = ir_new_temp(b);
        ir_brcond(b, (enum ir_cond)rng_below(r, 12), pick(g), pick(g), other);
        unsigned saved = g->npool;
        g->depth++;
        gen_ops(g, rng_below(r, 6));
        ir_mov_to(b, merged, pick(g));
        g->npool = saved;
        ir_br(b, done);
        ir_label(b, other);
        gen_ops(g, rng_below(r, 6));
        ir_mov_to(b, merged, pick(g));
        g->npool = saved;
        g->depth--;
        ir_label(b, done);
        pool_add(g, merged);
    } else if (what < 98 && g->depth < 2) {
        /* a counted loop: the body runs 1..3 times */
        ir_temp counter = ir_new_temp(b);
        ir_mov_to(b, counter, ir_movi(b, 1 + rng_below(r, 3)));
        ir_temp one = ir_movi(b, 1), zero = ir_movi(b, 0);
        unsigned top = ir_new_label(b);
        ir_label(b, top);
        g->depth++;
        gen_ops(g, 1 + rng_below(r, 10));
        g->depth--;
        ir_mov_to(b, counter, ir_binop(b, IR_SUB, counter, one));
        ir_brcond(b, IR_NE, counter, zero, top);
    } else if (what < 99 && g->depth > 0) {
        if (rng_below(r, 2))
            ir_stc(b, 8, offsetof(struct cpu_exec, cpu.rip), ir_movi(b, interesting(r)));
        ir_exit(b, (int)rng_below(r, 3) - 1);
    } else {
        ir_temp v = pick(g);
        pool_add(g, ir_binop(b, IR_ADD, v, ir_movi(b, 1)));
    }
}

static void gen_ops(struct gen *g, unsigned n)
{
    for (unsigned k = 0; k < n && g->budget; k++)
        gen_one(g);
}

static void gen_block(struct ir_block *b, uint64_t *rng, unsigned ops)
{
    ir_block_reset(b);
    struct gen g = { .b = b, .rng = rng, .budget = ops };
    unsigned init = 4 + rng_below(rng, 12);
    for (unsigned k = 0; k < init; k++) {
        if (rng_below(rng, 3))
            pool_add(&g, ir_movi(b, interesting(rng)));
        else
            pool_add(&g, ir_ldc(b, rand_size(&g), AREA_OFF(rng_below(rng, RESULT_WORD * 8 - 8))));
    }
    gen_ops(&g, ops);
    for (unsigned k = 0; k < g.npool && RESULT_WORD + k < AREA_WORDS - 1; k++)
        ir_stc(b, 8, AREA_OFF((RESULT_WORD + k) * 8), g.pool[k]);
    ir_exit(b, (int)rng_below(rng, 3) - 1);
}

struct outcome {
    int slot;
    bool faulted;
    const void *tag;
};

static void run_interp(struct env *e, struct outcome *o)
{
    sigjmp_buf jb;
    e->ti->c.unwind = &jb;
    o->faulted = false;
    o->slot = -2;
    if (sigsetjmp(jb, 0)) {
        o->faulted = true;
        return;
    }
    o->slot = ir_interp_run(&e->ir, &e->ti->c, e->temps);
}

static void run_jit(struct env *e, const void *code, struct outcome *o)
{
    sigjmp_buf jb;
    e->tj->c.unwind = &jb;
    o->faulted = false;
    o->slot = -2;
    if (sigsetjmp(jb, 0)) {
        o->faulted = true;
        return;
    }
    struct x64_exit x = x64_run(e->be, &e->tj->c, code);
    o->slot = (int)x.slot;
    o->tag = x.tag;
}

static void dump_block(const struct ir_block *b)
{
    char buf[200];
    for (unsigned k = 0; k < b->count; k++) {
        ir_insn_format(&b->insns[k], buf, sizeof(buf));
        fprintf(stderr, "  %4u: %s%s\n", k, buf, b->insns[k].cond == 1 && b->insns[k].op == IR_STC ? " (boundary)" : "");
    }
}

static uint64_t test_seed(void)
{
    const char *s = getenv("X64_TEST_SEED");
    if (s)
        return strtoull(s, NULL, 0);
    return (uint64_t)time(NULL);
}

static const void *null_lookup(struct cpu_exec *c, const void *tag, int64_t slot)
{
    (void)c, (void)tag, (void)slot;
    clobber_caller_saved();
    return NULL;
}

/* Compiles and runs one random block both ways; false (with a report) on
 * any difference. */
static bool check_block(struct env *e, uint64_t seed, unsigned ops, unsigned *compiled)
{
    uint64_t rng = seed * 0x9e3779b97f4a7c15ull + 1;
    env_randomise(e, &rng);
    gen_block(&e->ir, &rng, ops);
    ck_assert(!e->ir.overflow);
    ck_assert_int_eq(ir_block_finalize(&e->ir), 0);
    struct x64_block_info info = { .tag = (const void *)(uintptr_t)seed };
    info.chainable[0] = rng_below(&rng, 2);
    info.chainable[1] = rng_below(&rng, 2);
    if (rng_below(&rng, 2)) {
        info.lookup = null_lookup;
        info.lookup_indirect = rng_below(&rng, 2);
    }
    int rc = x64_compile(e->be, &e->ir, &info);
    if (rc == X64_COMPILE_FULL) {
        x64_backend_flush(e->be);
        rc = x64_compile(e->be, &e->ir, &info);
    }
    ck_assert_msg(rc == X64_COMPILE_OK, "seed %" PRIu64 ": compile failed (%d)", seed, rc);
    (*compiled)++;

    struct outcome oi, oj;
    const size_t win = WIN_HI - WIN_LO;
    memcpy(e->ti, e->init, sizeof(struct tctx));
    memcpy(e->ram + WIN_LO, e->ram_init + WIN_LO, win);
    run_interp(e, &oi);
    static uint8_t ram_i[WIN_HI - WIN_LO];
    memcpy(ram_i, e->ram + WIN_LO, win);
    memcpy(e->tj, e->init, sizeof(struct tctx));
    memcpy(e->ram + WIN_LO, e->ram_init + WIN_LO, win);
    run_jit(e, info.code, &oj);
    e->ti->c.unwind = e->tj->c.unwind = NULL;
    e->tj->c.chain_budget = e->ti->c.chain_budget; /* only compiled chain exits count */

    const char *bad = NULL;
    if (oi.faulted != oj.faulted)
        bad = "fault";
    else if (!oi.faulted && oi.slot != oj.slot)
        bad = "exit slot";
    else if (!oi.faulted && oj.tag != info.tag)
        bad = "exit tag";
    else if (memcmp(e->ti->area, e->tj->area, sizeof(e->ti->area)))
        bad = "temps/area";
    else if (memcmp(&e->ti->c, &e->tj->c, sizeof(struct cpu_exec)))
        bad = "cpu_exec state";
    else if (memcmp(ram_i, e->ram + WIN_LO, win))
        bad = "guest memory";
    if (!bad)
        return true;
    fprintf(stderr, "x64_backend_test: mismatch (%s) for block seed %" PRIu64
                    " (replay: X64_TEST_SEED=%" PRIu64 " and this block alone); interp slot %d%s, "
                    "jit slot %d%s\n",
            bad, seed, seed, oi.slot, oi.faulted ? " (fault)" : "", oj.slot,
            oj.faulted ? " (fault)" : "");
    for (unsigned w = 0; w < AREA_WORDS; w++)
        if (e->ti->area[w] != e->tj->area[w])
            fprintf(stderr, "  area[%u]: interp %#" PRIx64 " jit %#" PRIx64 "\n", w, e->ti->area[w],
                    e->tj->area[w]);
    const uint8_t *si = (const uint8_t *)&e->ti->c, *sj = (const uint8_t *)&e->tj->c;
    for (size_t off = 0, shown = 0; off < sizeof(struct cpu_exec) && shown < 8; off++)
        if (si[off] != sj[off]) {
            fprintf(stderr, "  cpu_exec byte %zu: interp %02x jit %02x\n", off, si[off], sj[off]);
            shown++;
        }
    if (e->ti->c.cpu.rip != e->tj->c.cpu.rip)
        fprintf(stderr, "  rip: interp %#" PRIx64 " jit %#" PRIx64 "\n", e->ti->c.cpu.rip,
                e->tj->c.cpu.rip);
    dump_block(&e->ir);
    return false;
}

START_TEST(random_blocks_match_interpreter)
{
    struct env *e = env_new();
    uint64_t base = test_seed();
    unsigned blocks = getenv("X64_TEST_BLOCKS") ? (unsigned)atoi(getenv("X64_TEST_BLOCKS")) : 4000;
    bool one = getenv("X64_TEST_SEED") && getenv("X64_TEST_ONE");
    fprintf(stderr, "x64_backend_test: random blocks from seed %" PRIu64 "\n", base);
    unsigned compiled = 0, failures = 0;
    for (unsigned k = 0; k < (one ? 1 : blocks) && failures < 3; k++) {
        uint64_t seed = base + k;
        unsigned ops = 10 + (unsigned)(seed % 7) * 30;
        if (!check_block(e, seed, ops, &compiled))
            failures++;
    }
    env_free(e);
    ck_assert_msg(failures == 0, "%u blocks differ (base seed %" PRIu64 ")", failures, base);
    ck_assert_uint_ge(compiled, one ? 1 : blocks);
}
END_TEST

/* Many values live at once: most of them spill. */
START_TEST(register_pressure_spills)
{
    struct env *e = env_new();
    uint64_t rng = 99;
    env_randomise(e, &rng);
    struct ir_block *b = &e->ir;
    ir_block_reset(b);
    ir_temp t[120];
    for (int k = 0; k < 120; k++)
        t[k] = ir_binop(b, IR_MUL, ir_ldc(b, 8, AREA_OFF(k * 8)), ir_movi(b, (uint64_t)k * 2 + 1));
    ir_temp sum = ir_movi(b, 0);
    for (int k = 119; k >= 0; k--) {
        sum = ir_binop(b, IR_XOR, ir_rot(b, IR_ROL, 8, sum, ir_movi(b, 5)), t[k]);
        if (k % 10 == 0)
            ir_call_void(b, th1, "th1", 1, t[k], IR_NO_TEMP, IR_NO_TEMP, IR_NO_TEMP);
    }
    ir_stc(b, 8, AREA_OFF(RESULT_WORD * 8), sum);
    ir_exit(b, -1);
    ck_assert_int_eq(ir_block_finalize(b), 0);
    struct x64_block_info info = { .tag = NULL };
    ck_assert_int_eq(x64_compile(e->be, b, &info), X64_COMPILE_OK);
    memcpy(e->ti, e->init, sizeof(struct tctx));
    memcpy(e->tj, e->init, sizeof(struct tctx));
    struct outcome oi, oj;
    run_interp(e, &oi);
    run_jit(e, info.code, &oj);
    ck_assert_int_eq(oi.slot, -1);
    ck_assert_int_eq(oj.slot, -1);
    uint64_t want = 0;
    for (int k = 119; k >= 0; k--) {
        want = (want << 5 | want >> 59) ^ (e->init->area[k] * (uint64_t)(k * 2 + 1));
    }
    ck_assert_uint_eq(e->ti->area[RESULT_WORD], want);
    ck_assert_uint_eq(e->tj->area[RESULT_WORD], want);
    ck_assert_uint_eq(e->ti->area[AREA_WORDS - 1], e->tj->area[AREA_WORDS - 1]);
    env_free(e);
}
END_TEST

/* Values made before a loop and last read inside it must survive every
 * iteration, although temps made later in the body could take their
 * registers. */
START_TEST(loop_keeps_values_read_in_body)
{
    struct env *e = env_new();
    uint64_t rng = 11;
    env_randomise(e, &rng);
    struct ir_block *b = &e->ir;
    ir_block_reset(b);
    ir_temp pre[20];
    for (int k = 0; k < 20; k++)
        pre[k] = ir_ldc(b, 8, AREA_OFF(k * 8));
    ir_temp acc = ir_new_temp(b), counter = ir_new_temp(b);
    ir_mov_to(b, acc, ir_movi(b, 0));
    ir_mov_to(b, counter, ir_movi(b, 3));
    unsigned top = ir_new_label(b);
    ir_label(b, top);
    for (int k = 0; k < 20; k++) {
        ir_temp x = ir_binop(b, IR_XOR, pre[k], ir_movi(b, (uint64_t)k));
        ir_mov_to(b, acc, ir_binop(b, IR_ADD, ir_rot(b, IR_ROL, 8, acc, ir_movi(b, 7)), x));
    }
    ir_mov_to(b, counter, ir_binop(b, IR_SUB, counter, ir_movi(b, 1)));
    ir_brcond(b, IR_NE, counter, ir_movi(b, 0), top);
    ir_stc(b, 8, AREA_OFF(RESULT_WORD * 8), acc);
    ir_exit(b, -1);
    ck_assert_int_eq(ir_block_finalize(b), 0);
    struct x64_block_info info = { .tag = NULL };
    ck_assert_int_eq(x64_compile(e->be, b, &info), X64_COMPILE_OK);
    memcpy(e->tj, e->init, sizeof(struct tctx));
    struct outcome o;
    run_jit(e, info.code, &o);
    uint64_t want = 0;
    for (int it = 0; it < 3; it++)
        for (int k = 0; k < 20; k++)
            want = (want << 7 | want >> 57) + (e->init->area[k] ^ (uint64_t)k);
    ck_assert_int_eq(o.slot, -1);
    ck_assert_uint_eq(e->tj->area[RESULT_WORD], want);
    env_free(e);
}
END_TEST

/* ---- chaining ---- */

/* Block k: area[k] += 1; RIP = k; exit through slot 0. */
static void build_counter_block(struct ir_block *b, unsigned k)
{
    ir_block_reset(b);
    ir_temp v = ir_ldc(b, 8, AREA_OFF(k * 8));
    ir_stc(b, 8, AREA_OFF(k * 8), ir_binop(b, IR_ADD, v, ir_movi(b, 1)));
    ir_stc(b, 8, offsetof(struct cpu_exec, cpu.rip), ir_movi(b, k));
    ir_exit(b, 0);
    ck_assert_int_eq(ir_block_finalize(b), 0);
}

START_TEST(chained_blocks_jump_directly)
{
    struct env *e = env_new();
    uint64_t rng = 5;
    env_randomise(e, &rng);
    struct x64_block_info a = { .tag = "A", .chainable = { true, false } };
    struct x64_block_info bi = { .tag = "B", .chainable = { true, false } };
    build_counter_block(&e->ir, 0);
    ck_assert_int_eq(x64_compile(e->be, &e->ir, &a), X64_COMPILE_OK);
    build_counter_block(&e->ir, 1);
    ck_assert_int_eq(x64_compile(e->be, &e->ir, &bi), X64_COMPILE_OK);
    ck_assert_uint_ne(a.jmp_field[0], 0);
    ck_assert_uint_eq(a.jmp_field[1], 0);
    struct tctx *t = e->tj;
    memcpy(t, e->init, sizeof(*t));
    t->area[0] = t->area[1] = 0;

    /* Unlinked: one block, back with A's tag. */
    t->c.chain_budget = 100;
    struct x64_exit x = x64_run(e->be, &t->c, a.code);
    ck_assert_int_eq(x.slot, 0);
    ck_assert_ptr_eq(x.tag, a.tag);
    ck_assert_uint_eq(t->area[0], 1);
    ck_assert_int_eq(t->c.chain_budget, 99); /* every chainable exit counts */

    /* A -> B -> A -> ... until the budget runs out: 10 jumps, 11 blocks. */
    x64_link(e->be, a.code, a.jmp_field[0], a.jmp_reset[0], bi.code);
    x64_link(e->be, bi.code, bi.jmp_field[0], bi.jmp_reset[0], a.code);
    t->c.chain_budget = 10;
    x = x64_run(e->be, &t->c, a.code);
    ck_assert_int_eq(x.slot, 0);
    ck_assert_uint_eq(t->area[0] + t->area[1], 1 + 11);
    ck_assert_uint_eq(t->area[0], 1 + 6);
    ck_assert_uint_eq(t->area[1], 5);
    ck_assert_ptr_eq(x.tag, a.tag); /* the 11th block was A */
    ck_assert_uint_eq(t->c.cpu.rip, 0);

    /* The exit request stops at the first chained jump. */
    t->c.chain_budget = 1000;
    t->c.exit_request_flag = 1;
    x = x64_run(e->be, &t->c, bi.code);
    ck_assert_ptr_eq(x.tag, bi.tag);
    ck_assert_uint_eq(t->area[1], 6);
    t->c.exit_request_flag = 0;

    /* Unlinking B: A's jump goes back to its exit. */
    x64_link(e->be, a.code, a.jmp_field[0], a.jmp_reset[0], NULL);
    x = x64_run(e->be, &t->c, a.code);
    ck_assert_ptr_eq(x.tag, a.tag);
    ck_assert_uint_eq(t->area[0], 8);
    ck_assert_uint_eq(t->area[1], 6);
    ck_assert_int_eq(t->c.chain_budget, 999);
    env_free(e);
}
END_TEST

/* Unlinked and indirect exits ask the lookup for the next block. */
static struct {
    const void *next_code[2];
    const void *tags[8];
    int64_t slots[8];
    unsigned calls;
} lk;

static const void *test_lookup(struct cpu_exec *c, const void *tag, int64_t slot)
{
    (void)c;
    if (lk.calls < 8) {
        lk.tags[lk.calls] = tag;
        lk.slots[lk.calls] = slot;
    }
    lk.calls++;
    return lk.calls <= 2 ? lk.next_code[lk.calls - 1] : NULL;
}

START_TEST(unlinked_exits_continue_through_lookup)
{
    struct env *e = env_new();
    uint64_t rng = 9;
    env_randomise(e, &rng);
    struct x64_block_info a = { .tag = "A", .chainable = { true, false }, .lookup = test_lookup };
    struct x64_block_info bi = { .tag = "B", .lookup = test_lookup, .lookup_indirect = true };
    build_counter_block(&e->ir, 0);
    ck_assert_int_eq(x64_compile(e->be, &e->ir, &a), X64_COMPILE_OK);
    struct ir_block *b = &e->ir;
    ir_block_reset(b);
    ir_temp v = ir_ldc(b, 8, AREA_OFF(8));
    ir_stc(b, 8, AREA_OFF(8), ir_binop(b, IR_ADD, v, ir_movi(b, 1)));
    ir_exit(b, -1);
    ck_assert_int_eq(ir_block_finalize(b), 0);
    ck_assert_int_eq(x64_compile(e->be, b, &bi), X64_COMPILE_OK);
    struct tctx *t = e->tj;
    memcpy(t, e->init, sizeof(*t));
    t->area[0] = t->area[1] = 0;
    t->c.chain_budget = 50;
    memset(&lk, 0, sizeof(lk));
    /* A -> (lookup) B -> (lookup) A -> (lookup: NULL) back with A. */
    lk.next_code[0] = bi.code;
    lk.next_code[1] = a.code;
    struct x64_exit x = x64_run(e->be, &t->c, a.code);
    ck_assert_uint_eq(lk.calls, 3);
    ck_assert_ptr_eq(lk.tags[0], a.tag);
    ck_assert_int_eq(lk.slots[0], 0);
    ck_assert_ptr_eq(lk.tags[1], bi.tag);
    ck_assert_int_eq(lk.slots[1], -1);
    ck_assert_ptr_eq(lk.tags[2], a.tag);
    ck_assert_ptr_eq(x.tag, a.tag);
    ck_assert_int_eq(x.slot, 0);
    ck_assert_uint_eq(t->area[0], 2);
    ck_assert_uint_eq(t->area[1], 1);
    ck_assert_int_eq(t->c.chain_budget, 47);
    /* A spent budget skips the lookup. */
    memset(&lk, 0, sizeof(lk));
    t->c.chain_budget = 0;
    x = x64_run(e->be, &t->c, bi.code);
    ck_assert_uint_eq(lk.calls, 0);
    ck_assert_int_eq(x.slot, -1);
    ck_assert_uint_eq(t->area[1], 2);
    env_free(e);
}
END_TEST

/* The self-modifying-code rule: the boundary after the instruction that
 * overwrote the block stores its RIP and returns -1. */
START_TEST(invalidated_block_stops_at_boundary)
{
    struct env *e = env_new();
    uint64_t rng = 7;
    env_randomise(e, &rng);
    struct ir_block *b = &e->ir;
    ir_block_reset(b);
    ir_stc(b, 8, offsetof(struct cpu_exec, cpu.rip), ir_movi(b, 0x100));
    b->insns[b->count - 1].cond = 1;
    ir_call(b, th_smc, "th_smc", 1, ir_ldc(b, 8, AREA_OFF(0)), IR_NO_TEMP, IR_NO_TEMP, IR_NO_TEMP);
    ir_stc(b, 8, AREA_OFF(8), ir_movi(b, 0xaa));
    ir_stc(b, 8, offsetof(struct cpu_exec, cpu.rip), ir_movi(b, 0x102));
    b->insns[b->count - 1].cond = 1;
    ir_stc(b, 8, AREA_OFF(16), ir_movi(b, 0xbb));
    ir_stc(b, 8, offsetof(struct cpu_exec, cpu.rip), ir_movi(b, 0x104));
    ir_exit(b, 0);
    ck_assert_int_eq(ir_block_finalize(b), 0);
    struct x64_block_info info = { .tag = NULL };
    ck_assert_int_eq(x64_compile(e->be, b, &info), X64_COMPILE_OK);
    for (int odd = 0; odd < 2; odd++) {
        struct tctx *t = e->tj;
        memcpy(t, e->init, sizeof(*t));
        t->area[0] = (uint64_t)odd;
        t->area[1] = t->area[2] = 0;
        struct x64_exit x = x64_run(e->be, &t->c, info.code);
        ck_assert_int_eq(x.slot, odd ? -1 : 0);
        ck_assert_uint_eq(t->c.cpu.rip, odd ? 0x102 : 0x104);
        ck_assert_uint_eq(t->area[1], 0xaa);
        ck_assert_uint_eq(t->area[2], odd ? 0 : 0xbb);
    }
    env_free(e);
}
END_TEST

static Suite *x64_backend_suite(void)
{
    Suite *s = suite_create("x64_backend");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 110);
    tcase_add_test(tc, emit_known_encodings);
    tcase_add_test(tc, register_pressure_spills);
    tcase_add_test(tc, loop_keeps_values_read_in_body);
    tcase_add_test(tc, chained_blocks_jump_directly);
    tcase_add_test(tc, invalidated_block_stops_at_boundary);
    tcase_add_test(tc, unlinked_exits_continue_through_lookup);
    tcase_add_test(tc, random_blocks_match_interpreter);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return test_run_suite(x64_backend_suite());
}

#else

int main(void)
{
    return 77; /* the code generator targets x86-64 hosts */
}

#endif
