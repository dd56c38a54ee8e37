/* nativecmp: the random sequence generator. It picks initial registers so
 * that chosen ones point into the data area (memory operands are built on
 * those), emits 1-8 items through the encoder, and keeps track of which
 * registers still hold pointers or small indices as the sequence writes
 * them, so memory operands stay valid without emulating anything. */
#include <cpuid.h>
#include <stdio.h>
#include <string.h>

#include "tools/nativecmp/nc_encode.h"
#include "tools/nativecmp/nc_gen.h"
#include "tools/nativecmp/nc_gen_internal.h"
#include "tools/nativecmp/nc_rng.h"

#define MAX_ITEMS NCG_MAX_ITEMS
#define MAX_FIXUPS NCG_MAX_FIXUPS
#define CODE_STOP (NC_CODE_MAX - 80)  /* no new item past this: room for one */

#define SZ8 1u
#define SZ16 2u
#define SZ32 4u
#define SZ64 8u
#define SZ_ALL (SZ8 | SZ16 | SZ32 | SZ64)
#define SZ_WIDE (SZ16 | SZ32 | SZ64)

static uint64_t width_mask(int size)
{
    return size >= 64 ? ~0ull : (1ull << size) - 1;
}

uint64_t ncg_interesting(struct gen *g, int size)
{
    uint64_t m = width_mask(size), sign = 1ull << (size - 1);
    switch (rnd(g, 15)) {
    case 0: return 0;
    case 1: return 1;
    case 2: return m;
    case 3: return sign;
    case 4: return sign - 1;
    case 5: return rnd(g, 17);
    case 6: return 1ull << rnd(g, (uint32_t)size);
    case 7: return (0 - (uint64_t)(rnd(g, 16) + 1)) & m;
    case 8: return (sign + 1) & m;
    case 9: return (r64(g) & m) | sign;
    default: return r64(g) & m;
    }
}

static uint8_t shift_count(struct gen *g, int size)
{
    static const uint8_t counts[] = { 0, 1, 2, 3, 4, 7, 8, 9, 15, 16, 17, 18, 24, 31, 32, 33,
                                      48, 63, 64, 65, 127, 128, 255 };
    switch (rnd(g, 5)) {
    case 0: return (uint8_t)(size - 1);
    case 1: return (uint8_t)rnd(g, 256);
    default: return counts[rnd(g, sizeof(counts))];
    }
}

void ncg_wr(struct gen *g, int r)
{
    g->ptr_ok &= ~(1u << r);
    g->idx_ok &= ~(1u << r);
    g->val_ok &= ~(1u << r);
}

/* A register becomes a pointer for later items only if this item is sure
 * to run (no earlier branch may skip it). */
static void mark_ptr(struct gen *g, int r)
{
    if (g->item >= g->horizon)
        g->ptr_ok |= 1u << r;
}

void ncg_flags_set(struct gen *g, uint32_t written, uint32_t undef)
{
    g->undef = (g->undef & ~written) | undef;
}

struct osz ncg_osz_make(struct gen *g, int size)
{
    struct osz o = { .size = size };
    o.rex8 = g->m64 && size == 8 && pct(g, 50);
    o.nreg = !g->m64 ? 8 : (size == 8 && !o.rex8) ? 8 : 16;
    return o;
}

static struct osz pick_osz(struct gen *g, unsigned mask)
{
    static const int sizes[4] = { 8, 16, 32, 64 };
    static const int weight[4] = { 25, 20, 30, 25 };
    if (!g->m64)
        mask &= ~SZ64;
    int total = 0;
    for (int i = 0; i < 4; i++)
        if (mask & (1u << i))
            total += weight[i];
    int x = (int)rnd(g, (uint32_t)total), i = 0;
    for (;; i++) {
        if (!(mask & (1u << i)))
            continue;
        if (x < weight[i])
            break;
        x -= weight[i];
    }
    return ncg_osz_make(g, sizes[i]);
}

static void apply_osz(struct nc_insn *in, const struct osz *o)
{
    if (o->size == 16)
        nc_insn_prefix(in, 0x66);
    if (o->size == 64)
        in->rex_w = true;
    if (o->size == 8 && o->rex8)
        in->rex_force = true;
}

/* The full register an operand encoding touches (AH..BH are 0-3). */
static int reg_gpr(const struct osz *o, int enc)
{
    if (o->size == 8 && !o->rex8 && enc >= 4 && enc < 8)
        return enc - 4;
    return enc;
}

int ncg_pick_src(struct gen *g, const struct osz *o)
{
    return (int)rnd(g, (uint32_t)o->nreg);
}

/* A destination: never RSP, seldom a register still holding a pointer or
 * an index (the sequence would lose its memory operands). */
int ncg_pick_dst(struct gen *g, const struct osz *o)
{
    for (int tries = 0;; tries++) {
        int enc = (int)rnd(g, (uint32_t)o->nreg);
        int r = reg_gpr(o, enc);
        if (r == RSP)
            continue;
        if (tries < 8 && (((g->ptr_ok | g->idx_ok) >> r) & 1) && pct(g, 90))
            continue;
        return enc;
    }
}

static int pick_bit(struct gen *g, uint32_t mask)
{
    int n = __builtin_popcount(mask);
    if (!n)
        return -1;
    int k = (int)rnd(g, (uint32_t)n);
    for (int r = 0;; r++)
        if (((mask >> r) & 1) && k-- == 0)
            return r;
}

static int pick_ptr(struct gen *g, int nreg)
{
    return pick_bit(g, g->ptr_ok & (uint32_t)((1u << nreg) - 1) & ~(1u << RSP));
}

static int pick_idx(struct gen *g, int nreg)
{
    return pick_bit(g, g->idx_ok & (uint32_t)((1u << nreg) - 1) & ~(1u << RSP));
}

void ncg_emit(struct gen *g, const struct nc_insn *in)
{
    if (g->fail)
        return;
    uint8_t buf[NC_INSN_MAX];
    int imm_off = 0;
    uint32_t at = g->c->code_len;
    int n = nc_encode(in, g->m64, NC_CODE_BASE + at, buf, &imm_off);
    if (n == 0 || at + (uint32_t)n > NC_CODE_MAX) {
        g->fail = true;
        return;
    }
    memcpy(g->c->code + at, buf, (size_t)n);
    g->c->code_len += (uint32_t)n;
    g->last_imm = (uint16_t)(at + (uint32_t)imm_off);
    g->last_end = (uint16_t)(at + (uint32_t)n);
}

void ncg_emit_bytes(struct gen *g, int n, uint8_t b0, uint8_t b1, uint8_t b2)
{
    struct nc_insn in;
    nc_insn_init(&in);
    nc_insn_op(&in, n, b0, b1, b2);
    ncg_emit(g, &in);
}

/* Records that the last emitted instruction's immediate is a branch target
 * (or an absolute code address) of item target. */
static void add_fixup(struct gen *g, int bytes, bool abs, int target)
{
    if (g->fail)
        return;
    if (g->nfix == MAX_FIXUPS) {
        g->fail = true;
        return;
    }
    struct fixup *f = &g->fix[g->nfix++];
    f->at = g->last_imm;
    f->end = g->last_end;
    f->bytes = (uint8_t)bytes;
    f->abs = abs;
    f->from_item = (uint8_t)g->item;
    f->target_item = (uint8_t)target;
    if (target > g->horizon)
        g->horizon = target;
}

/* Set-up: the whole register r := v (the low 32 bits in 32-bit mode). */
void ncg_set_reg(struct gen *g, int r, uint64_t v)
{
    struct nc_insn in;
    nc_insn_init(&in);
    if (!g->m64 || v <= 0xffffffffull) {
        nc_insn_op(&in, 1, 0xb8, 0, 0);   /* mov r32, imm32 (zero-extends) */
        in.opreg = (int8_t)r;
        in.imm_bytes = 4;
        in.imm = (uint32_t)v;
    } else if ((int64_t)v == (int32_t)v) {
        nc_insn_op(&in, 1, 0xc7, 0, 0);   /* mov r/m64, simm32 */
        in.rex_w = true;
        in.has_modrm = true;
        in.rm.kind = NC_RM_REG;
        in.rm.reg = (uint8_t)r;
        in.imm_bytes = 4;
        in.imm = (uint32_t)v;
    } else {
        nc_insn_op(&in, 1, 0xb8, 0, 0);   /* mov r64, imm64 */
        in.opreg = (int8_t)r;
        in.rex_w = true;
        in.imm_bytes = 8;
        in.imm = v;
    }
    ncg_emit(g, &in);
    ncg_wr(g, r);
    g->val[r] = g->m64 ? v : (uint32_t)v;
    g->val_ok |= 1u << r;
}

static void set_reg_signed(struct gen *g, int r, int64_t v)
{
    ncg_set_reg(g, r, g->m64 ? (uint64_t)v : (uint32_t)v);
}

/* Sets the register an operand encoding names, so the operand reads v. */
static void set_operand_reg(struct gen *g, const struct osz *o, int enc, uint64_t v)
{
    if (o->size == 8 && !o->rex8 && enc >= 4 && enc < 8)
        v <<= 8;
    ncg_set_reg(g, reg_gpr(o, enc), v);
}

static int imm_bytes_z(int size)
{
    return size == 8 ? 1 : size == 16 ? 2 : 4;
}

void ncg_seg_prefix(struct gen *g, struct nc_insn *in, uint32_t p)
{
    static const uint8_t segs[] = { 0x26, 0x2e, 0x36, 0x3e };
    if (pct(g, p))
        nc_insn_prefix(in, segs[rnd(g, 4)]);
}

static int32_t ptr_disp(struct gen *g)
{
    switch (rnd(g, 6)) {
    case 0: return 0;
    case 1:
    case 2: return (int32_t)rnd(g, 0x40) - 0x20;
    default: return (int32_t)rnd(g, 0x500) - 0x280;
    }
}

/* A memory operand of `bytes` bytes that lands in the data area (or, now
 * and then, deliberately across or beyond its edges). */
void ncg_mem_operand_aligned(struct gen *g, struct nc_insn *in, int bytes, int nreg, int align);

static void mem_operand(struct gen *g, struct nc_insn *in, int bytes, int nreg)
{
    ncg_mem_operand_aligned(g, in, bytes, nreg, 1);
}

/* align > 1: most of the time, an address that is a multiple of it (as far
 * as the generator knows it: pointers themselves are often aligned). */
void ncg_mem_operand_aligned(struct gen *g, struct nc_insn *in, int bytes, int nreg, int align)
{
    struct nc_rm *m = &in->rm;
    in->has_modrm = true;
    m->kind = NC_RM_MEM;
    m->asize = g->m64 ? 64 : 32;
    m->base = m->index = -1;
    uint32_t off = rnd(g, NC_DATA_SIZE - (uint32_t)bytes + 1);
    int p = pick_ptr(g, nreg), x = pick_idx(g, nreg);
    int form = (int)rnd(g, 100);

    if (form < 55 && p >= 0) {
        m->base = (int8_t)p;
        m->disp = ptr_disp(g);
        if (x >= 0 && pct(g, 35)) {
            m->index = (int8_t)x;
            m->scale = (uint8_t)rnd(g, 4);
        }
    } else if (form < 65) {
        m->base = RSP;
        m->disp = (int32_t)rnd(g, 0x100) - 0x80;
        if (x >= 0 && pct(g, 20)) {
            m->index = (int8_t)x;
            m->scale = (uint8_t)rnd(g, 4);
        }
    } else if (form < 77 || (form < 86 && !g->m64)) {
        m->disp = (int32_t)(NC_DATA_BASE + off);
    } else if (form < 86) {
        m->rip = true;
        m->rip_target = NC_DATA_BASE + off;
    } else if (form < 94 && x >= 0) {
        m->index = (int8_t)x;
        m->scale = (uint8_t)rnd(g, 4);
        m->disp = (int32_t)(NC_DATA_BASE + (off > 0x200 ? off : 0x200));
    } else if (form < 97 || p < 0) {
        /* across an edge of the data area, or just outside it */
        int32_t edge = pct(g, 50) ? 0 : (int32_t)NC_DATA_SIZE;
        m->disp = (int32_t)NC_DATA_BASE + edge + (int32_t)rnd(g, (uint32_t)(2 * bytes + 8)) - bytes - 4;
    } else {
        m->base = (int8_t)p;
        m->disp = ptr_disp(g);
    }
    if (align > 1) {
        /* Where the address is known (absolute, RIP-relative, or built on
         * registers whose values the generator still knows): usually
         * aligned, sometimes deliberately off by a few bytes. */
        uint64_t a = 0;
        bool known = true;
        if (m->base >= 0) {
            known &= (g->val_ok >> m->base) & 1;
            a += g->val[m->base];
        }
        if (m->index >= 0) {
            known &= (g->val_ok >> m->index) & 1;
            a += g->val[m->index] << m->scale;
        }
        if (m->rip) {
            m->rip_target &= ~(uint64_t)(align - 1);
            if (pct(g, 12))
                m->rip_target += 1 + rnd(g, (uint32_t)align - 1);
        } else if (known && pct(g, 88)) {
            a += (uint64_t)(int64_t)m->disp;
            m->disp -= (int32_t)(a & (uint64_t)(align - 1));
            if (pct(g, 10))
                m->disp += (int32_t)(1 + rnd(g, (uint32_t)align - 1));
        } else if (pct(g, 80)) {
            m->disp &= ~(int32_t)(align - 1);
        }
    }
    if (m->base >= 0 && pct(g, 12))
        m->disp_bytes = 4;
    if (!m->rip && m->index < 0 && pct(g, 8)) {
        m->force_sib = true;
        m->junk_scale = (uint8_t)rnd(g, 4);
    }

    if (g->m64 && pct(g, 7)) {
        /* 32-bit addressing: every pointer is below 4 GiB, same address */
        m->asize = 32;
        nc_insn_prefix(in, 0x67);
    } else if (!g->m64 && pct(g, 3)) {
        /* 16-bit addressing reaches only the unmapped first 64 KiB: #PF */
        m->asize = 16;
        m->base = m->index = -1;
        m->rm16 = (uint8_t)rnd(g, 8);
        m->abs16 = pct(g, 20);
        m->disp = (int32_t)rnd(g, 0x10000) - 0x8000;
        m->disp_bytes = 0;
        m->force_sib = false;
        if (!m->abs16 && !(m->disp >= -128 && m->disp <= 127) && pct(g, 50))
            m->disp = (int8_t)m->disp;
        nc_insn_prefix(in, 0x67);
    }
    ncg_seg_prefix(g, in, 5);
}

/* The ModRM r/m operand: a register (written or read) or memory. */
static void rm_operand(struct gen *g, struct nc_insn *in, const struct osz *o, bool write, uint32_t mem_pct)
{
    in->has_modrm = true;
    if (pct(g, mem_pct)) {
        mem_operand(g, in, o->size / 8, o->nreg);
        return;
    }
    int enc = write ? ncg_pick_dst(g, o) : ncg_pick_src(g, o);
    in->rm.kind = NC_RM_REG;
    in->rm.reg = (uint8_t)enc;
    if (write)
        ncg_wr(g, reg_gpr(o, enc));
}

static void reg_dst(struct gen *g, struct nc_insn *in, const struct osz *o)
{
    int enc = ncg_pick_dst(g, o);
    in->reg = (uint8_t)enc;
    ncg_wr(g, reg_gpr(o, enc));
}

static void maybe_lock(struct gen *g, struct nc_insn *in, uint32_t p)
{
    /* Legal only with a memory destination of a lockable instruction;
     * otherwise #UD, which is worth testing too. */
    if (pct(g, p))
        nc_insn_prefix(in, 0xf0);
}

/* ---- items ---- */

static void item_alu(struct gen *g)
{
    struct nc_insn in;
    nc_insn_init(&in);
    struct osz o = pick_osz(g, SZ_ALL);
    int op = (int)rnd(g, 8);
    bool w = op != 7;   /* CMP writes nothing */
    int form = (int)rnd(g, 100);
    uint8_t wide = o.size != 8;

    if (form < 28) {
        nc_insn_op(&in, 1, (uint8_t)(op * 8 + wide), 0, 0);
        in.has_modrm = true;
        in.reg = (uint8_t)ncg_pick_src(g, &o);
        rm_operand(g, &in, &o, w, 50);
    } else if (form < 52) {
        nc_insn_op(&in, 1, (uint8_t)(op * 8 + 2 + wide), 0, 0);
        in.has_modrm = true;
        if (w)
            reg_dst(g, &in, &o);
        else
            in.reg = (uint8_t)ncg_pick_src(g, &o);
        rm_operand(g, &in, &o, false, 50);
    } else if (form < 62) {
        nc_insn_op(&in, 1, (uint8_t)(op * 8 + 4 + wide), 0, 0);
        in.imm_bytes = (uint8_t)imm_bytes_z(o.size);
        in.imm = ncg_interesting(g, o.size == 64 ? 32 : o.size);
        if (w)
            ncg_wr(g, RAX);
    } else {
        in.has_modrm = true;
        in.reg = (uint8_t)op;
        if (o.size == 8) {
            /* 82 is an alias of 80 outside 64-bit mode and #UD inside it */
            nc_insn_op(&in, 1, pct(g, g->m64 ? 2 : 10) ? 0x82 : 0x80, 0, 0);
            in.imm_bytes = 1;
            in.imm = ncg_interesting(g, 8);
        } else if (pct(g, 50)) {
            nc_insn_op(&in, 1, 0x83, 0, 0);
            in.imm_bytes = 1;
            in.imm = ncg_interesting(g, 8);
        } else {
            nc_insn_op(&in, 1, 0x81, 0, 0);
            in.imm_bytes = (uint8_t)imm_bytes_z(o.size);
            in.imm = ncg_interesting(g, o.size == 64 ? 32 : o.size);
        }
        rm_operand(g, &in, &o, w, 50);
    }
    maybe_lock(g, &in, 3);
    apply_osz(&in, &o);
    ncg_emit(g, &in);
    ncg_flags_set(g, NC_FLAGS_ARITH, (op == 1 || op == 4 || op == 6) ? NC_FLAG_AF : 0);
}

static void item_test(struct gen *g)
{
    struct nc_insn in;
    nc_insn_init(&in);
    struct osz o = pick_osz(g, SZ_ALL);
    uint8_t wide = o.size != 8;
    int form = (int)rnd(g, 3);
    if (form == 0) {
        nc_insn_op(&in, 1, (uint8_t)(0x84 + wide), 0, 0);
        in.has_modrm = true;
        in.reg = (uint8_t)ncg_pick_src(g, &o);
        rm_operand(g, &in, &o, false, 40);
    } else if (form == 1) {
        nc_insn_op(&in, 1, (uint8_t)(0xa8 + wide), 0, 0);
        in.imm_bytes = (uint8_t)imm_bytes_z(o.size);
        in.imm = ncg_interesting(g, o.size == 64 ? 32 : o.size);
    } else {
        nc_insn_op(&in, 1, (uint8_t)(0xf6 + wide), 0, 0);
        in.has_modrm = true;
        in.reg = pct(g, 10) ? 1 : 0;   /* /1: the undocumented TEST alias */
        in.imm_bytes = (uint8_t)imm_bytes_z(o.size);
        in.imm = ncg_interesting(g, o.size == 64 ? 32 : o.size);
        rm_operand(g, &in, &o, false, 40);
    }
    apply_osz(&in, &o);
    ncg_emit(g, &in);
    ncg_flags_set(g, NC_FLAGS_ARITH, NC_FLAG_AF);
}

static void item_unary(struct gen *g)
{
    struct nc_insn in;
    nc_insn_init(&in);
    struct osz o = pick_osz(g, SZ_ALL);
    int kind = (int)rnd(g, 4);   /* INC DEC NOT NEG */
    if (!g->m64 && kind < 2 && o.size != 8 && pct(g, 30)) {
        nc_insn_op(&in, 1, kind ? 0x48 : 0x40, 0, 0);
        int enc = ncg_pick_dst(g, &o);
        in.opreg = (int8_t)enc;
        ncg_wr(g, enc);
    } else {
        uint8_t wide = o.size != 8;
        nc_insn_op(&in, 1, (uint8_t)((kind < 2 ? 0xfe : 0xf6) + wide), 0, 0);
        in.has_modrm = true;
        in.reg = (uint8_t)kind;   /* INC /0, DEC /1 (FE/FF); NOT /2, NEG /3 (F6/F7) */
        rm_operand(g, &in, &o, true, 45);
        maybe_lock(g, &in, 4);
    }
    apply_osz(&in, &o);
    ncg_emit(g, &in);
    if (kind < 2)
        ncg_flags_set(g, NC_FLAGS_ARITH & ~NC_FLAG_CF, 0);
    else if (kind == 3)
        ncg_flags_set(g, NC_FLAGS_ARITH, 0);
}

/* Flags a shift or rotate by a known count leaves undefined (SDM). */
static void shift_flags(struct gen *g, int op, int size, int count)
{
    if (count < 0) {
        g->undef |= NC_FLAG_OF | NC_FLAG_AF | NC_FLAG_CF;
        return;
    }
    int masked = count & (size == 64 ? 63 : 31);
    if (!masked)
        return;
    uint32_t ovf = masked == 1 ? 0 : NC_FLAG_OF;
    if (op < 4) {
        ncg_flags_set(g, NC_FLAG_CF | NC_FLAG_OF, ovf);
        return;
    }
    uint32_t u = NC_FLAG_AF | ovf;
    if (op != 7 && masked >= size)
        u |= NC_FLAG_CF;
    ncg_flags_set(g, NC_FLAGS_ARITH, u);
}

static void set_cl(struct gen *g, uint8_t count)
{
    struct nc_insn in;
    nc_insn_init(&in);
    nc_insn_op(&in, 1, 0xb1, 0, 0);   /* mov cl, imm8 */
    in.imm_bytes = 1;
    in.imm = count;
    ncg_emit(g, &in);
    ncg_wr(g, RCX);
}

static void item_shld(struct gen *g)
{
    struct nc_insn in;
    nc_insn_init(&in);
    struct osz o = pick_osz(g, SZ_WIDE);
    bool right = pct(g, 50), by_cl = pct(g, 50);
    int count = -1;
    if (by_cl) {
        if (pct(g, 75)) {
            count = shift_count(g, o.size);
            set_cl(g, (uint8_t)count);
        }
        nc_insn_op(&in, 2, 0x0f, right ? 0xad : 0xa5, 0);
    } else {
        count = shift_count(g, o.size);
        nc_insn_op(&in, 2, 0x0f, right ? 0xac : 0xa4, 0);
        in.imm_bytes = 1;
        in.imm = (uint8_t)count;
    }
    in.has_modrm = true;
    in.reg = (uint8_t)ncg_pick_src(g, &o);
    rm_operand(g, &in, &o, true, 40);
    apply_osz(&in, &o);
    ncg_emit(g, &in);
    if (count < 0) {
        g->undef |= NC_FLAGS_ARITH;
        return;
    }
    int masked = count & (o.size == 64 ? 63 : 31);
    if (!masked)
        return;
    if (masked > o.size)
        ncg_flags_set(g, NC_FLAGS_ARITH, NC_FLAGS_ARITH);   /* result undefined too */
    else
        ncg_flags_set(g, NC_FLAGS_ARITH, NC_FLAG_AF | (masked == 1 ? 0 : NC_FLAG_OF));
}

static void item_shift(struct gen *g)
{
    struct nc_insn in;
    nc_insn_init(&in);
    struct osz o = pick_osz(g, SZ_ALL);
    int op = (int)rnd(g, 8);
    if (op == 6 && pct(g, 75))
        op = 4;   /* /6 (SAL alias, undocumented) now and then only */
    uint8_t wide = o.size != 8;
    int count = -1;
    switch (rnd(g, 3)) {
    case 0:
        nc_insn_op(&in, 1, (uint8_t)(0xd0 + wide), 0, 0);
        count = 1;
        break;
    case 1:
        if (pct(g, 75)) {
            count = shift_count(g, o.size);
            set_cl(g, (uint8_t)count);
        }
        nc_insn_op(&in, 1, (uint8_t)(0xd2 + wide), 0, 0);
        break;
    default:
        nc_insn_op(&in, 1, (uint8_t)(0xc0 + wide), 0, 0);
        count = shift_count(g, o.size);
        in.imm_bytes = 1;
        in.imm = (uint8_t)count;
        break;
    }
    in.has_modrm = true;
    in.reg = (uint8_t)op;
    rm_operand(g, &in, &o, true, 40);
    apply_osz(&in, &o);
    ncg_emit(g, &in);
    shift_flags(g, op, o.size, count);
}

static void emit_sign_extend_acc(struct gen *g, int size)
{
    /* CWD / CDQ / CQO: rDX := sign of rAX */
    struct nc_insn in;
    nc_insn_init(&in);
    nc_insn_op(&in, 1, 0x99, 0, 0);
    struct osz o = { .size = size };
    apply_osz(&in, &o);
    ncg_emit(g, &in);
    ncg_wr(g, RDX);
}

static void item_div(struct gen *g)
{
    struct nc_insn in;
    nc_insn_init(&in);
    struct osz o = pick_osz(g, SZ_ALL);
    bool sign = pct(g, 50);
    uint64_t m = width_mask(o.size), min = 1ull << (o.size - 1);
    bool by_reg = pct(g, 65);
    int div_enc = -1;

    if (by_reg) {
        /* a divisor outside the dividend's registers */
        for (int tries = 0; tries < 32; tries++) {
            int enc = ncg_pick_dst(g, &o);
            int r = reg_gpr(&o, enc);
            if (r != RAX && (o.size == 8 || r != RDX)) {
                div_enc = enc;
                break;
            }
        }
        if (div_enc < 0) {
            g->fail = true;
            return;
        }
    }

    /* dividend: unset (usually #DE), small high half, sign-extended, or
     * the most negative value (with -1 as divisor: #DE for IDIV) */
    int d = (int)rnd(g, 100);
    bool min_case = false;
    if (o.size == 8) {
        if (d < 65)
            ncg_set_reg(g, RAX, pct(g, 50) ? rnd(g, 0x10000) : rnd(g, 0x200));
        else if (d < 80 && sign) {
            ncg_set_reg(g, RAX, r64(g) & 0xff);
            ncg_emit_bytes(g, 2, 0x66, 0x98, 0);   /* cbw */
        }
    } else if (d < 35) {
        if (sign)
            emit_sign_extend_acc(g, o.size);
        else {
            ncg_emit_bytes(g, 2, 0x31, 0xd2, 0);   /* xor edx, edx */
            ncg_wr(g, RDX);
        }
    } else if (d < 60) {
        ncg_set_reg(g, RDX, rnd(g, 4));
    } else if (d < 70 && sign) {
        ncg_set_reg(g, RAX, min);
        emit_sign_extend_acc(g, o.size);
        min_case = true;
    }

    if (by_reg) {
        if (pct(g, 80)) {
            uint64_t v;
            if (min_case || (sign && pct(g, 8)))
                v = m;                       /* -1 */
            else if (pct(g, 8))
                v = 0;
            else {
                do
                    v = ncg_interesting(g, o.size);
                while (v == 0);
            }
            set_operand_reg(g, &o, div_enc, v);
        }
        in.has_modrm = true;
        in.rm.kind = NC_RM_REG;
        in.rm.reg = (uint8_t)div_enc;
        ncg_wr(g, reg_gpr(&o, div_enc));
    } else {
        mem_operand(g, &in, o.size / 8, o.nreg);
    }
    nc_insn_op(&in, 1, o.size == 8 ? 0xf6 : 0xf7, 0, 0);
    in.reg = sign ? 7 : 6;
    apply_osz(&in, &o);
    ncg_emit(g, &in);
    ncg_wr(g, RAX);
    if (o.size != 8)
        ncg_wr(g, RDX);
    ncg_flags_set(g, NC_FLAGS_ARITH, NC_FLAGS_ARITH);
}

static void item_muldiv(struct gen *g)
{
    int k = (int)rnd(g, 10);
    if (k >= 5) {
        item_div(g);
        return;
    }
    struct nc_insn in;
    nc_insn_init(&in);
    struct osz o;
    if (k < 3) {
        o = pick_osz(g, SZ_ALL);
        nc_insn_op(&in, 1, o.size == 8 ? 0xf6 : 0xf7, 0, 0);
        in.has_modrm = true;
        in.reg = pct(g, 50) ? 5 : 4;   /* IMUL / MUL */
        rm_operand(g, &in, &o, false, 40);
        ncg_wr(g, RAX);
        if (o.size != 8)
            ncg_wr(g, RDX);
    } else if (k == 3) {
        o = pick_osz(g, SZ_WIDE);
        nc_insn_op(&in, 2, 0x0f, 0xaf, 0);
        reg_dst(g, &in, &o);
        rm_operand(g, &in, &o, false, 40);
    } else {
        o = pick_osz(g, SZ_WIDE);
        if (pct(g, 50)) {
            nc_insn_op(&in, 1, 0x6b, 0, 0);
            in.imm_bytes = 1;
            in.imm = ncg_interesting(g, 8);
        } else {
            nc_insn_op(&in, 1, 0x69, 0, 0);
            in.imm_bytes = (uint8_t)imm_bytes_z(o.size);
            in.imm = ncg_interesting(g, o.size == 64 ? 32 : o.size);
        }
        reg_dst(g, &in, &o);
        rm_operand(g, &in, &o, false, 40);
    }
    apply_osz(&in, &o);
    ncg_emit(g, &in);
    ncg_flags_set(g, NC_FLAGS_ARITH, NC_FLAG_SF | NC_FLAG_ZF | NC_FLAG_AF | NC_FLAG_PF);
}

/* mov ah, imm8; sahf: chosen SF ZF AF PF CF */
static void set_low_flags(struct gen *g)
{
    struct nc_insn in;
    nc_insn_init(&in);
    nc_insn_op(&in, 1, 0xb4, 0, 0);
    in.imm_bytes = 1;
    in.imm = r64(g) & 0xd5;
    ncg_emit(g, &in);
    ncg_emit_bytes(g, 1, 0x9e, 0, 0);
    ncg_wr(g, RAX);
    ncg_flags_set(g, NC_FLAG_SF | NC_FLAG_ZF | NC_FLAG_AF | NC_FLAG_PF | NC_FLAG_CF, 0);
}

static void item_bcd(struct gen *g)
{
    if (pct(g, 40))
        set_low_flags(g);
    if (pct(g, 60)) {
        uint64_t v = pct(g, 50) ? (uint64_t)(rnd(g, 10) * 16 + rnd(g, 10)) : (r64(g) & 0xffff);
        ncg_set_reg(g, RAX, v | (r64(g) & 0xffff0000u));
    }
    struct nc_insn in;
    nc_insn_init(&in);
    uint32_t undef;
    switch (rnd(g, 6)) {
    case 0: nc_insn_op(&in, 1, 0x27, 0, 0); undef = NC_FLAG_OF; break;   /* DAA */
    case 1: nc_insn_op(&in, 1, 0x2f, 0, 0); undef = NC_FLAG_OF; break;   /* DAS */
    case 2: nc_insn_op(&in, 1, 0x37, 0, 0); undef = NC_FLAG_OF | NC_FLAG_SF | NC_FLAG_ZF | NC_FLAG_PF; break;
    case 3: nc_insn_op(&in, 1, 0x3f, 0, 0); undef = NC_FLAG_OF | NC_FLAG_SF | NC_FLAG_ZF | NC_FLAG_PF; break;
    default:
        nc_insn_op(&in, 1, pct(g, 50) ? 0xd4 : 0xd5, 0, 0);   /* AAM / AAD */
        in.imm_bytes = 1;
        in.imm = pct(g, 70) ? 10 : pct(g, 85) ? rnd(g, 256) : 0;
        undef = NC_FLAG_OF | NC_FLAG_AF | NC_FLAG_CF;
        break;
    }
    ncg_emit(g, &in);
    ncg_wr(g, RAX);
    ncg_flags_set(g, NC_FLAGS_ARITH, undef);
}

static void item_bt(struct gen *g)
{
    struct nc_insn in;
    nc_insn_init(&in);
    struct osz o = pick_osz(g, SZ_WIDE);
    int op = (int)rnd(g, 4);   /* BT BTS BTR BTC */
    if (pct(g, 40)) {
        nc_insn_op(&in, 2, 0x0f, 0xba, 0);
        in.has_modrm = true;
        in.reg = (uint8_t)(4 + op);
        in.imm_bytes = 1;
        in.imm = pct(g, 50) ? rnd(g, 256) : ncg_interesting(g, 8);
        rm_operand(g, &in, &o, op != 0, 50);
    } else {
        static const uint8_t opc[4] = { 0xa3, 0xab, 0xb3, 0xbb };
        nc_insn_op(&in, 2, 0x0f, opc[op], 0);
        in.has_modrm = true;
        if (pct(g, 50)) {
            /* a bit offset reaching up to 64 bytes either side */
            int enc = ncg_pick_dst(g, &o);
            set_reg_signed(g, enc, (int64_t)rnd(g, 1024) - 512);
            in.reg = (uint8_t)enc;
            mem_operand(g, &in, o.size / 8, o.nreg);
        } else {
            in.reg = (uint8_t)ncg_pick_src(g, &o);
            rm_operand(g, &in, &o, op != 0, 0);
        }
    }
    maybe_lock(g, &in, 4);
    apply_osz(&in, &o);
    ncg_emit(g, &in);
    ncg_flags_set(g, NC_FLAG_CF | NC_FLAG_OF | NC_FLAG_SF | NC_FLAG_AF | NC_FLAG_PF,
              NC_FLAG_OF | NC_FLAG_SF | NC_FLAG_AF | NC_FLAG_PF);
}

/* Source operand of a bit-scan or count: often a register just set to 0 or
 * to a single bit, so the zero-input cases come up. */
static void scan_source(struct gen *g, struct nc_insn *in, const struct osz *o)
{
    if (pct(g, 40)) {
        int enc = ncg_pick_dst(g, o);
        uint64_t v = pct(g, 50) ? 0 : pct(g, 50) ? 1ull << rnd(g, (uint32_t)o->size) : ncg_interesting(g, o->size);
        ncg_set_reg(g, enc, v);
        in->has_modrm = true;
        in->rm.kind = NC_RM_REG;
        in->rm.reg = (uint8_t)enc;
    } else {
        rm_operand(g, in, o, false, 40);
    }
}

static void item_bsf(struct gen *g)
{
    struct nc_insn in;
    nc_insn_init(&in);
    struct osz o = pick_osz(g, SZ_WIDE);
    scan_source(g, &in, &o);
    nc_insn_op(&in, 2, 0x0f, pct(g, 50) ? 0xbc : 0xbd, 0);
    reg_dst(g, &in, &o);
    apply_osz(&in, &o);
    ncg_emit(g, &in);
    ncg_flags_set(g, NC_FLAGS_ARITH, NC_FLAGS_ARITH & ~NC_FLAG_ZF);
}

static void item_cnt(struct gen *g)
{
    struct nc_insn in;
    nc_insn_init(&in);
    struct osz o = pick_osz(g, SZ_WIDE);
    scan_source(g, &in, &o);
    int k = (int)rnd(g, 3);   /* POPCNT TZCNT LZCNT */
    static const uint8_t opc[3] = { 0xb8, 0xbc, 0xbd };
    nc_insn_op(&in, 2, 0x0f, opc[k], 0);
    reg_dst(g, &in, &o);
    apply_osz(&in, &o);   /* 66 before the mandatory F3 */
    nc_insn_prefix(&in, 0xf3);
    ncg_emit(g, &in);
    ncg_flags_set(g, NC_FLAGS_ARITH, k ? NC_FLAG_OF | NC_FLAG_SF | NC_FLAG_PF | NC_FLAG_AF : 0);
}

static void item_bswap(struct gen *g)
{
    struct nc_insn in;
    nc_insn_init(&in);
    int size = pct(g, 15) ? 16 : (g->m64 && pct(g, 50)) ? 64 : 32;   /* 16: undefined result */
    struct osz o = ncg_osz_make(g, size);
    nc_insn_op(&in, 2, 0x0f, 0xc8, 0);
    int enc = ncg_pick_dst(g, &o);
    in.opreg = (int8_t)enc;
    ncg_wr(g, enc);
    apply_osz(&in, &o);
    ncg_emit(g, &in);
}

static void item_bit(struct gen *g)
{
    int k = (int)rnd(g, 100);
    if (k < 55)
        item_bt(g);
    else if (k < 85)
        item_bsf(g);
    else
        item_bswap(g);
}

static void item_cmpxchg8b(struct gen *g)
{
    struct nc_insn in;
    nc_insn_init(&in);
    bool wide = g->m64 && pct(g, 35);   /* CMPXCHG16B */
    int bytes = wide ? 16 : 8;
    nc_insn_op(&in, 2, 0x0f, 0xc7, 0);
    in.has_modrm = true;
    in.reg = 1;
    in.rex_w = wide;
    if (pct(g, 3)) {
        in.rm.kind = NC_RM_REG;   /* #UD */
        in.rm.reg = (uint8_t)rnd(g, g->m64 ? 16 : 8);
    } else {
        ncg_mem_operand_aligned(g, &in, bytes, g->m64 ? 16 : 8, bytes);
        if (pct(g, 50)) {
            /* EDX:EAX := the memory value, so the exchange happens */
            struct nc_insn ld = in;
            ld.rex_w = wide;
            ld.reg = RAX;
            nc_insn_op(&ld, 1, 0x8b, 0, 0);
            ncg_emit(g, &ld);
            ld.reg = RDX;
            if (ld.rm.rip)
                ld.rm.rip_target += (uint64_t)bytes / 2;
            else
                ld.rm.disp += bytes / 2;
            ncg_emit(g, &ld);
        }
    }
    maybe_lock(g, &in, 10);
    ncg_emit(g, &in);
    ncg_wr(g, RAX);
    ncg_wr(g, RDX);
    ncg_flags_set(g, NC_FLAG_ZF, 0);
}

static void item_xchg(struct gen *g)
{
    struct nc_insn in;
    nc_insn_init(&in);
    int k = (int)rnd(g, 100);
    if (k < 20) {
        struct osz o = pick_osz(g, SZ_ALL);   /* XADD */
        nc_insn_op(&in, 2, 0x0f, o.size == 8 ? 0xc0 : 0xc1, 0);
        reg_dst(g, &in, &o);
        rm_operand(g, &in, &o, true, 50);
        maybe_lock(g, &in, 8);
        apply_osz(&in, &o);
        ncg_emit(g, &in);
        ncg_flags_set(g, NC_FLAGS_ARITH, 0);
    } else if (k < 40) {
        struct osz o = pick_osz(g, SZ_ALL);   /* XCHG r/m, r */
        nc_insn_op(&in, 1, o.size == 8 ? 0x86 : 0x87, 0, 0);
        reg_dst(g, &in, &o);
        rm_operand(g, &in, &o, true, 50);
        maybe_lock(g, &in, 5);
        apply_osz(&in, &o);
        ncg_emit(g, &in);
    } else if (k < 52) {
        struct osz o = pick_osz(g, SZ_WIDE);   /* XCHG rAX, r (90 alone is NOP) */
        nc_insn_op(&in, 1, 0x90, 0, 0);
        int enc = ncg_pick_dst(g, &o);
        in.opreg = (int8_t)enc;
        ncg_wr(g, enc);
        ncg_wr(g, RAX);
        apply_osz(&in, &o);
        ncg_emit(g, &in);
    } else if (k < 80) {
        struct osz o = pick_osz(g, SZ_ALL);   /* CMPXCHG */
        nc_insn_op(&in, 2, 0x0f, o.size == 8 ? 0xb0 : 0xb1, 0);
        in.reg = (uint8_t)ncg_pick_src(g, &o);
        rm_operand(g, &in, &o, true, 55);
        if (pct(g, 40)) {
            /* accumulator := the destination, so the store happens */
            struct nc_insn ld = in;   /* same operand, same address prefixes */
            nc_insn_op(&ld, 1, o.size == 8 ? 0x8a : 0x8b, 0, 0);
            ld.reg = RAX;
            apply_osz(&ld, &o);
            ncg_emit(g, &ld);
        }
        maybe_lock(g, &in, 8);
        apply_osz(&in, &o);
        ncg_emit(g, &in);
        ncg_wr(g, RAX);
        ncg_flags_set(g, NC_FLAGS_ARITH, 0);
    } else {
        item_cmpxchg8b(g);
    }
}

static void item_cond(struct gen *g)
{
    struct nc_insn in;
    nc_insn_init(&in);
    uint8_t cc = (uint8_t)rnd(g, 16);
    if (pct(g, 55)) {
        struct osz o = pick_osz(g, SZ_WIDE);
        nc_insn_op(&in, 2, 0x0f, (uint8_t)(0x40 + cc), 0);
        reg_dst(g, &in, &o);
        rm_operand(g, &in, &o, false, 40);
        apply_osz(&in, &o);
    } else {
        struct osz o = ncg_osz_make(g, 8);
        nc_insn_op(&in, 2, 0x0f, (uint8_t)(0x90 + cc), 0);
        in.has_modrm = true;
        rm_operand(g, &in, &o, true, 35);
        in.reg = pct(g, 10) ? (uint8_t)rnd(g, 8) : 0;   /* the reg field is ignored */
        apply_osz(&in, &o);
    }
    ncg_emit(g, &in);
}

/* Set-up: reg := the absolute address of item target (fixed up later). */
static void set_reg_target(struct gen *g, int r, int target)
{
    struct nc_insn in;
    nc_insn_init(&in);
    nc_insn_op(&in, 1, 0xb8, 0, 0);
    in.opreg = (int8_t)r;
    in.imm_bytes = 4;
    ncg_emit(g, &in);
    add_fixup(g, 4, true, target);
    ncg_wr(g, r);
}

static void item_branch(struct gen *g)
{
    g->val_ok &= ~(1u << RSP);   /* CALL pushes, RET n pops */
    struct nc_insn in;
    nc_insn_init(&in);
    int target = g->item + 1 + (int)rnd(g, 3);
    int k = (int)rnd(g, 100);
    int a64 = g->m64 ? 64 : 32;
    struct osz ow = { .size = a64, .nreg = g->m64 ? 16 : 8 };

    if (k < 22) {
        nc_insn_op(&in, 1, (uint8_t)(0x70 + rnd(g, 16)), 0, 0);
        in.imm_bytes = 1;
    } else if (k < 34) {
        nc_insn_op(&in, 2, 0x0f, (uint8_t)(0x80 + rnd(g, 16)), 0);
        in.imm_bytes = 4;
    } else if (k < 40) {
        nc_insn_op(&in, 1, 0xeb, 0, 0);
        in.imm_bytes = 1;
    } else if (k < 44) {
        nc_insn_op(&in, 1, 0xe9, 0, 0);
        in.imm_bytes = 4;
    } else if (k < 62) {
        /* JrCXZ, or LOOP/LOOPE/LOOPNE (which decrement rCX) */
        nc_insn_op(&in, 1, k < 52 ? 0xe3 : (uint8_t)(0xe0 + rnd(g, 3)), 0, 0);
        in.imm_bytes = 1;
        if (pct(g, 30))
            nc_insn_prefix(&in, 0x67);
        if (k >= 52)
            ncg_wr(g, RCX);
    } else if (k < 70) {
        nc_insn_op(&in, 1, 0xe8, 0, 0);   /* CALL rel32 */
        in.imm_bytes = 4;
    } else if (k < 78) {
        /* JMP/CALL through a register */
        int r = ncg_pick_dst(g, &ow);
        set_reg_target(g, r, target);
        nc_insn_op(&in, 1, 0xff, 0, 0);
        in.has_modrm = true;
        in.reg = pct(g, 50) ? 4 : 2;
        in.rm.kind = NC_RM_REG;
        in.rm.reg = (uint8_t)r;
        ncg_emit(g, &in);
        return;
    } else if (k < 86) {
        /* JMP/CALL through memory: store the target there first */
        mem_operand(g, &in, a64 / 8, ow.nreg);
        struct nc_insn st = in;
        nc_insn_op(&st, 1, 0xc7, 0, 0);
        st.reg = 0;
        st.rex_w = g->m64;
        st.imm_bytes = 4;
        ncg_emit(g, &st);
        add_fixup(g, 4, true, target);
        nc_insn_op(&in, 1, 0xff, 0, 0);
        in.reg = pct(g, 50) ? 4 : 2;
        ncg_emit(g, &in);
        return;
    } else {
        /* RET to a pushed target */
        struct nc_insn push;
        nc_insn_init(&push);
        nc_insn_op(&push, 1, 0x68, 0, 0);
        push.imm_bytes = 4;
        ncg_emit(g, &push);
        add_fixup(g, 4, true, target);
        if (pct(g, 30)) {
            nc_insn_op(&in, 1, 0xc2, 0, 0);
            in.imm_bytes = 2;
            in.imm = rnd(g, 25);
        } else {
            nc_insn_op(&in, 1, 0xc3, 0, 0);
        }
        ncg_emit(g, &in);
        return;
    }
    ncg_emit(g, &in);
    add_fixup(g, in.imm_bytes, false, target);
}

static void item_movx(struct gen *g)
{
    /* MOVZX / MOVSX: an 8- or 16-bit source widened into 16/32/64 bits */
    struct nc_insn in;
    nc_insn_init(&in);
    struct osz od = pick_osz(g, SZ_WIDE);
    bool src8 = pct(g, 55);
    bool sx = pct(g, 50);
    struct osz os;
    if (src8) {
        os.size = 8;
        os.rex8 = g->m64 && (od.size == 64 || pct(g, 50));
        os.nreg = (g->m64 && os.rex8) ? 16 : 8;
        od.nreg = os.nreg;
        if (os.rex8)
            in.rex_force = true;
    } else {
        os = ncg_osz_make(g, 16);
    }
    nc_insn_op(&in, 2, 0x0f, (uint8_t)((sx ? 0xbe : 0xb6) + (src8 ? 0 : 1)), 0);
    reg_dst(g, &in, &od);
    rm_operand(g, &in, &os, false, 40);
    apply_osz(&in, &od);
    ncg_emit(g, &in);
}

static void item_mov(struct gen *g)
{
    struct nc_insn in;
    nc_insn_init(&in);
    int k = (int)rnd(g, 100);
    if (k < 24) {
        struct osz o = pick_osz(g, SZ_ALL);
        nc_insn_op(&in, 1, o.size == 8 ? 0x88 : 0x89, 0, 0);
        in.has_modrm = true;
        in.reg = (uint8_t)ncg_pick_src(g, &o);
        rm_operand(g, &in, &o, true, 55);
        apply_osz(&in, &o);
    } else if (k < 48) {
        struct osz o = pick_osz(g, SZ_ALL);
        nc_insn_op(&in, 1, o.size == 8 ? 0x8a : 0x8b, 0, 0);
        reg_dst(g, &in, &o);
        rm_operand(g, &in, &o, false, 55);
        apply_osz(&in, &o);
    } else if (k < 58) {
        struct osz o = pick_osz(g, SZ_ALL);
        nc_insn_op(&in, 1, o.size == 8 ? 0xc6 : 0xc7, 0, 0);
        in.has_modrm = true;
        in.reg = 0;
        in.imm_bytes = (uint8_t)imm_bytes_z(o.size);
        in.imm = ncg_interesting(g, o.size == 64 ? 32 : o.size);
        rm_operand(g, &in, &o, true, 60);
        apply_osz(&in, &o);
    } else if (k < 68) {
        struct osz o = pick_osz(g, SZ_ALL);
        nc_insn_op(&in, 1, o.size == 8 ? 0xb0 : 0xb8, 0, 0);
        int enc = ncg_pick_dst(g, &o);
        in.opreg = (int8_t)enc;
        ncg_wr(g, reg_gpr(&o, enc));
        in.imm_bytes = (uint8_t)(o.size == 64 ? 8 : imm_bytes_z(o.size));
        in.imm = ncg_interesting(g, o.size);
        apply_osz(&in, &o);
    } else if (k < 76) {
        /* moffs forms: the address is the immediate (8 bytes in 64-bit mode) */
        struct osz o = pick_osz(g, SZ_ALL);
        bool store = pct(g, 50);
        nc_insn_op(&in, 1, (uint8_t)(0xa0 + (store ? 2 : 0) + (o.size != 8)), 0, 0);
        int asize = g->m64 ? 64 : 32;
        if (pct(g, 8)) {
            asize = g->m64 ? 32 : 16;
            nc_insn_prefix(&in, 0x67);
        }
        uint32_t off = rnd(g, NC_DATA_SIZE - (uint32_t)o.size / 8 + 1);
        in.imm_bytes = (uint8_t)(asize / 8);
        in.imm = asize == 16 ? rnd(g, 0x10000) : NC_DATA_BASE + off;
        ncg_seg_prefix(g, &in, 5);
        if (!store)
            ncg_wr(g, RAX);
        o.rex8 = false;
        apply_osz(&in, &o);
    } else if (k < 90) {
        item_movx(g);
        return;
    } else if (k < 96 && g->m64) {
        /* MOVSXD (without REX.W: a plain 32-bit move) */
        struct osz o = ncg_osz_make(g, pct(g, 90) ? 64 : 32);
        struct osz os = ncg_osz_make(g, 32);
        nc_insn_op(&in, 1, 0x63, 0, 0);
        reg_dst(g, &in, &o);
        rm_operand(g, &in, &os, false, 45);
        apply_osz(&in, &o);
    } else {
        /* XLAT: AL := [rBX + AL] */
        if (!((g->ptr_ok >> RBX) & 1)) {
            g->fail = true;
            return;
        }
        nc_insn_op(&in, 1, 0xd7, 0, 0);
        if (g->m64 && pct(g, 15))
            nc_insn_prefix(&in, 0x67);
        in.rex_w = g->m64 && pct(g, 20);
        ncg_seg_prefix(g, &in, 5);
        ncg_wr(g, RAX);
    }
    ncg_emit(g, &in);
}

static void item_lea(struct gen *g)
{
    struct nc_insn in;
    nc_insn_init(&in);
    struct osz o = pick_osz(g, SZ_WIDE);
    nc_insn_op(&in, 1, 0x8d, 0, 0);
    reg_dst(g, &in, &o);
    in.has_modrm = true;
    struct nc_rm *m = &in.rm;
    if (pct(g, 2)) {
        m->kind = NC_RM_REG;   /* #UD */
        m->reg = (uint8_t)rnd(g, (uint32_t)o.nreg);
    } else {
        /* any registers, any displacement: LEA only computes */
        m->kind = NC_RM_MEM;
        m->asize = g->m64 ? 64 : 32;
        m->base = m->index = -1;
        if (pct(g, 15)) {
            m->asize = g->m64 ? 32 : 16;
            nc_insn_prefix(&in, 0x67);
        }
        if (m->asize == 16) {
            m->rm16 = (uint8_t)rnd(g, 8);
            m->abs16 = pct(g, 15);
            m->disp = pct(g, 40) ? (int8_t)r64(g) : (int16_t)r64(g);
        } else if (g->m64 && pct(g, 12)) {
            m->rip = true;
            m->rip_target = NC_CODE_BASE + rnd(g, 0x100000) - 0x80000;
        } else {
            if (pct(g, 85))
                m->base = (int8_t)rnd(g, (uint32_t)o.nreg);
            if (pct(g, 50)) {
                do
                    m->index = (int8_t)rnd(g, (uint32_t)o.nreg);
                while (m->index == RSP);
                m->scale = (uint8_t)rnd(g, 4);
            }
            m->disp = pct(g, 30) ? 0 : pct(g, 50) ? (int8_t)r64(g) : (int32_t)r64(g);
            if (m->base >= 0 && pct(g, 10))
                m->disp_bytes = 4;
            if (m->index < 0 && pct(g, 8)) {
                m->force_sib = true;
                m->junk_scale = (uint8_t)rnd(g, 4);
            }
        }
    }
    apply_osz(&in, &o);
    ncg_emit(g, &in);
}

static void item_enter_leave(struct gen *g)
{
    g->val_ok &= ~(1u << RSP);
    bool rbp_ptr = (g->ptr_ok >> RBP) & 1;
    struct nc_insn in;
    nc_insn_init(&in);
    bool o16 = pct(g, 5);
    if (rbp_ptr && pct(g, 40)) {
        /* LEAVE: RSP := RBP (a pointer), RBP := popped */
        nc_insn_op(&in, 1, 0xc9, 0, 0);
        if (o16)
            nc_insn_prefix(&in, 0x66);
        ncg_emit(g, &in);
        ncg_wr(g, RBP);
        return;
    }
    int level = 0;
    if (rbp_ptr) {
        int k = (int)rnd(g, 100);
        level = k < 55 ? 0 : k < 80 ? 1 : k < 97 ? 2 + (int)rnd(g, 4) : (int)rnd(g, 256);
    }
    int k = (int)rnd(g, 100);
    uint32_t size = k < 70 ? rnd(g, 65) : k < 92 ? rnd(g, 513) : rnd(g, 0x10000);
    nc_insn_op(&in, 1, 0xc8, 0, 0);
    in.imm_bytes = 2;
    in.imm = size;
    in.imm2_bytes = 1;
    in.imm2 = (uint8_t)level;
    if (o16)
        nc_insn_prefix(&in, 0x66);
    ncg_emit(g, &in);
    ncg_wr(g, RBP);
    if (!o16 && size < 0x400)
        mark_ptr(g, RBP);   /* the new frame pointer is on the stack */
}

static void item_stack(struct gen *g)
{
    g->val_ok &= ~(1u << RSP);
    struct nc_insn in;
    nc_insn_init(&in);
    int k = (int)rnd(g, 100);
    struct osz o = { .size = g->m64 ? 64 : 32, .nreg = g->m64 ? 16 : 8 };
    bool o16 = pct(g, 8);

    if (k < 18) {
        nc_insn_op(&in, 1, 0x50, 0, 0);   /* PUSH r */
        in.opreg = (int8_t)ncg_pick_src(g, &o);
    } else if (k < 32) {
        nc_insn_op(&in, 1, 0x58, 0, 0);   /* POP r */
        int r = ncg_pick_dst(g, &o);
        in.opreg = (int8_t)r;
        ncg_wr(g, r);
    } else if (k < 42) {
        bool b = pct(g, 50);               /* PUSH imm8 / imm16/32 */
        nc_insn_op(&in, 1, b ? 0x6a : 0x68, 0, 0);
        in.imm_bytes = b ? 1 : o16 ? 2 : 4;
        in.imm = ncg_interesting(g, in.imm_bytes * 8);
    } else if (k < 50) {
        struct osz os = { .size = o16 ? 16 : o.size, .nreg = o.nreg };
        nc_insn_op(&in, 1, 0xff, 0, 0);   /* PUSH r/m */
        in.reg = 6;
        rm_operand(g, &in, &os, false, 65);
    } else if (k < 58) {
        struct osz os = { .size = o16 ? 16 : o.size, .nreg = o.nreg };
        nc_insn_op(&in, 1, 0x8f, 0, 0);   /* POP r/m */
        in.reg = 0;
        rm_operand(g, &in, &os, true, 65);
    } else if (k < 66) {
        nc_insn_op(&in, 1, 0x9c, 0, 0);   /* PUSHF */
    } else if (k < 74) {
        /* POPF of a pushed value: arithmetic flags and DF only (TF would
         * trap, AC would enable alignment checks) */
        struct nc_insn push;
        nc_insn_init(&push);
        nc_insn_op(&push, 1, 0x68, 0, 0);
        push.imm_bytes = 4;
        push.imm = NC_FLAGS_FIXED | (r64(g) & NC_FLAGS_COMPARED);
        ncg_emit(g, &push);
        nc_insn_op(&in, 1, 0x9d, 0, 0);
        ncg_flags_set(g, NC_FLAGS_ARITH, 0);
    } else if (k < 80 && !g->m64) {
        nc_insn_op(&in, 1, pct(g, 50) ? 0x60 : 0x61, 0, 0);   /* PUSHA / POPA */
        if (in.opcode[0] == 0x61) {
            g->ptr_ok = 0;
            g->idx_ok = 0;
            g->val_ok = 0;
        }
    } else {
        item_enter_leave(g);
        return;
    }
    if (o16)
        nc_insn_prefix(&in, 0x66);
    else if (g->m64 && pct(g, 5))
        in.rex_w = true;   /* redundant in 64-bit mode */
    ncg_emit(g, &in);
}

static void item_string(struct gen *g)
{
    static const uint8_t opc[5] = { 0xa4, 0xa6, 0xaa, 0xac, 0xae };   /* MOVS CMPS STOS LODS SCAS */
    int op = (int)rnd(g, 5);
    bool use_si = op == 0 || op == 1 || op == 3;
    bool use_di = op != 3;
    if ((use_si && !((g->ptr_ok >> RSI) & 1)) || (use_di && !((g->ptr_ok >> RDI) & 1))) {
        g->fail = true;
        return;
    }
    struct osz o = pick_osz(g, SZ_ALL);
    g->val_ok &= ~((1u << RSI) | (1u << RDI));
    struct nc_insn in;
    nc_insn_init(&in);
    nc_insn_op(&in, 1, (uint8_t)(opc[op] + (o.size != 8)), 0, 0);
    uint8_t rep = 0;
    int r = (int)rnd(g, 100);
    if (r >= 40)
        rep = (r >= 80 && (op == 1 || op == 4 || pct(g, 20))) ? 0xf2 : 0xf3;
    bool addr16 = !g->m64 && pct(g, 3);
    bool addr32 = g->m64 && pct(g, 8);
    bool known = true;

    int df = (int)rnd(g, 10);
    if (df < 3)
        ncg_emit_bytes(g, 1, 0xfc, 0, 0);
    else if (df < 6)
        ncg_emit_bytes(g, 1, 0xfd, 0, 0);
    if (rep) {
        if (pct(g, 85))
            ncg_set_reg(g, RCX, rnd(g, 10));
        else
            known = false;   /* whatever RCX holds: runs until it faults */
        ncg_wr(g, RCX);
    }
    if (use_si)
        ncg_seg_prefix(g, &in, 5);
    if (addr16 || addr32)
        nc_insn_prefix(&in, 0x67);
    apply_osz(&in, &o);
    if (rep)
        nc_insn_prefix(&in, rep);
    ncg_emit(g, &in);
    if (!known || addr16) {
        if (use_si)
            ncg_wr(g, RSI);
        if (use_di)
            ncg_wr(g, RDI);
    }
    if (op == 3)
        ncg_wr(g, RAX);
    if (op == 1 || op == 4)
        g->undef &= ~NC_FLAGS_ARITH;   /* written when it runs at all */
}

static void item_flags(struct gen *g)
{
    int k = (int)rnd(g, 100);
    if (k < 15) {
        ncg_emit_bytes(g, 1, 0x9f, 0, 0);   /* LAHF */
        ncg_wr(g, RAX);
    } else if (k < 35) {
        if (pct(g, 50))
            set_low_flags(g);
        else {
            ncg_emit_bytes(g, 1, 0x9e, 0, 0);   /* SAHF */
            ncg_flags_set(g, NC_FLAG_SF | NC_FLAG_ZF | NC_FLAG_AF | NC_FLAG_PF | NC_FLAG_CF, 0);
        }
    } else if (k < 50) {
        ncg_emit_bytes(g, 1, 0xf8, 0, 0);   /* CLC */
        ncg_flags_set(g, NC_FLAG_CF, 0);
    } else if (k < 65) {
        ncg_emit_bytes(g, 1, 0xf9, 0, 0);   /* STC */
        ncg_flags_set(g, NC_FLAG_CF, 0);
    } else if (k < 78) {
        ncg_emit_bytes(g, 1, 0xf5, 0, 0);   /* CMC */
    } else if (k < 86) {
        ncg_emit_bytes(g, 1, 0xfc, 0, 0);   /* CLD */
    } else if (k < 94) {
        ncg_emit_bytes(g, 1, 0xfd, 0, 0);   /* STD */
    } else if (!g->m64 || pct(g, 20)) {
        ncg_emit_bytes(g, 1, 0xd6, 0, 0);   /* SALC (undocumented; #UD in 64-bit mode) */
        ncg_wr(g, RAX);
    } else {
        ncg_emit_bytes(g, 1, 0xf5, 0, 0);
    }
}

static void item_conv(struct gen *g)
{
    struct nc_insn in;
    nc_insn_init(&in);
    struct osz o = pick_osz(g, SZ_WIDE);
    bool cwd = pct(g, 50);
    nc_insn_op(&in, 1, cwd ? 0x99 : 0x98, 0, 0);
    apply_osz(&in, &o);
    ncg_emit(g, &in);
    ncg_wr(g, cwd ? RDX : RAX);
}

static void item_fault(struct gen *g)
{
    struct nc_insn in;
    nc_insn_init(&in);
    int k = (int)rnd(g, 100);
    if (k < 10) {
        ncg_emit_bytes(g, 2, 0x0f, 0x0b, 0);   /* UD2 */
    } else if (k < 16) {
        nc_insn_op(&in, 2, 0x0f, 0xb9, 0);   /* UD1 r, r/m */
        in.has_modrm = true;
        in.rm.kind = NC_RM_REG;
        in.rm.reg = (uint8_t)rnd(g, 8);
        in.reg = (uint8_t)rnd(g, 8);
        ncg_emit(g, &in);
    } else if (k < 26) {
        ncg_emit_bytes(g, 1, 0xcc, 0, 0);   /* INT3 */
    } else if (k < 32) {
        ncg_emit_bytes(g, 2, 0xcd, 0x03, 0);   /* INT 3 */
    } else if (k < 44) {
        uint8_t v;
        do
            v = (uint8_t)rnd(g, 256);
        while (v == 0x80);   /* the 32-bit system call gate */
        ncg_emit_bytes(g, 2, 0xcd, v, 0);
    } else if (k < 50) {
        ncg_emit_bytes(g, 1, 0xf4, 0, 0);   /* HLT: #GP at CPL 3 */
    } else if (k < 56) {
        ncg_emit_bytes(g, 1, pct(g, 50) ? 0xfa : 0xfb, 0, 0);   /* CLI / STI: #GP with IOPL 0 */
    } else if (k < 64) {
        static const uint8_t io[] = { 0xe4, 0xe5, 0xe6, 0xe7, 0xec, 0xed, 0xee, 0xef, 0x6c, 0x6e };
        uint8_t op = io[rnd(g, sizeof(io))];
        if (op < 0xe8)
            ncg_emit_bytes(g, 2, op, (uint8_t)rnd(g, 256), 0);
        else
            ncg_emit_bytes(g, 1, op, 0, 0);
    } else if (k < 74) {
        if (!g->m64 && pct(g, 50)) {
            ncg_emit_bytes(g, 2, 0xb0, 0x7f, 0);   /* mov al, 0x7f; add al, 1: OF=1 */
            ncg_emit_bytes(g, 2, 0x04, 0x01, 0);
            ncg_wr(g, RAX);
        }
        ncg_emit_bytes(g, 1, 0xce, 0, 0);   /* INTO (#UD in 64-bit mode) */
    } else if (k < 84 && !g->m64) {
        /* BOUND r, m: bounds stored first half of the time */
        struct osz o = ncg_osz_make(g, pct(g, 20) ? 16 : 32);
        nc_insn_op(&in, 1, 0x62, 0, 0);
        mem_operand(g, &in, o.size / 4, 8);
        int r = ncg_pick_dst(g, &o);
        in.reg = (uint8_t)r;
        if (pct(g, 50)) {
            struct nc_insn st = in;
            nc_insn_op(&st, 1, 0xc7, 0, 0);
            st.reg = 0;
            st.imm_bytes = (uint8_t)(o.size / 8);
            st.imm = (uint64_t)-100;
            apply_osz(&st, &o);
            ncg_emit(g, &st);
            st.imm = 100;
            if (st.rm.rip)
                st.rm.rip_target += (uint64_t)o.size / 8;
            else
                st.rm.disp += o.size / 8;
            ncg_emit(g, &st);
            set_reg_signed(g, r, (int64_t)rnd(g, 301) - 150);
        }
        apply_osz(&in, &o);
        ncg_emit(g, &in);
    } else if (k < 92 && g->m64) {
        /* one-byte opcodes invalid in 64-bit mode */
        static const uint8_t bad[] = { 0x06, 0x07, 0x0e, 0x16, 0x17, 0x1e, 0x1f, 0x27, 0x2f,
                                       0x37, 0x3f, 0x60, 0x61, 0xce, 0xd4, 0xd5, 0xd6 };
        ncg_emit_bytes(g, 2, bad[rnd(g, sizeof(bad))], 0x00, 0);
    } else {
        /* LOCK on an instruction that cannot take it */
        struct osz o = pick_osz(g, SZ_WIDE);
        nc_insn_prefix(&in, 0xf0);
        nc_insn_op(&in, 1, pct(g, 50) ? 0x89 : 0x8b, 0, 0);
        in.has_modrm = true;
        in.reg = (uint8_t)ncg_pick_src(g, &o);
        rm_operand(g, &in, &o, false, 50);
        apply_osz(&in, &o);
        ncg_emit(g, &in);
    }
}

static void item_misc(struct gen *g)
{
    struct nc_insn in;
    nc_insn_init(&in);
    int k = (int)rnd(g, 100);
    if (k < 25) {
        static const uint8_t nops[][2] = { { 0x90, 0 }, { 0x66, 0x90 }, { 0xf3, 0x90 } };
        int i = (int)rnd(g, 3);
        ncg_emit_bytes(g, nops[i][1] ? 2 : 1, nops[i][0], nops[i][1], 0);
    } else if (k < 70 || g->m64) {
        /* NOP r/m and the prefetch hints: an address that is never used */
        struct osz o = pick_osz(g, SZ16 | SZ32);
        bool hint = pct(g, 30);
        nc_insn_op(&in, 2, 0x0f, hint ? 0x18 : 0x1f, 0);
        in.has_modrm = true;
        in.reg = hint ? (uint8_t)rnd(g, 4) : 0;
        mem_operand(g, &in, 1, o.nreg);
        apply_osz(&in, &o);
        ncg_emit(g, &in);
    } else {
        /* ARPL r/m16, r16: raises the destination selector's RPL */
        struct osz o = ncg_osz_make(g, 16);
        nc_insn_op(&in, 1, 0x63, 0, 0);
        in.reg = (uint8_t)ncg_pick_src(g, &o);
        rm_operand(g, &in, &o, true, 40);
        ncg_emit(g, &in);
        ncg_flags_set(g, NC_FLAG_ZF, 0);
    }
}

struct item_kind {
    uint32_t cls;
    uint16_t w64, w32;
    void (*fn)(struct gen *g);
};

static const struct item_kind item_kinds[] = {
    { NC_CLASS_ALU, 100, 100, item_alu },
    { NC_CLASS_ALU, 25, 25, item_test },
    { NC_CLASS_UNARY, 40, 40, item_unary },
    { NC_CLASS_SHIFT, 80, 80, item_shift },
    { NC_CLASS_SHIFT, 30, 30, item_shld },
    { NC_CLASS_MULDIV, 75, 75, item_muldiv },
    { NC_CLASS_BCD, 3, 45, item_bcd },
    { NC_CLASS_BIT, 80, 80, item_bit },
    { NC_CLASS_CNT, 25, 25, item_cnt },
    { NC_CLASS_XCHG, 55, 55, item_xchg },
    { NC_CLASS_COND, 45, 45, item_cond },
    { NC_CLASS_BRANCH, 55, 55, item_branch },
    { NC_CLASS_MOV, 65, 65, item_mov },
    { NC_CLASS_LEA, 40, 40, item_lea },
    { NC_CLASS_STACK, 55, 60, item_stack },
    { NC_CLASS_STRING, 50, 50, item_string },
    { NC_CLASS_FLAGS, 30, 30, item_flags },
    { NC_CLASS_CONV, 20, 20, item_conv },
    { NC_CLASS_FAULT, 6, 8, item_fault },
    { NC_CLASS_MISC, 12, 15, item_misc },
    /* MMX/SSE/x87: about as many items as the integer ones above, so most
     * sequences mix both */
    { NC_CLASS_MMX, 150, 150, ncg_item_mmx },
    { NC_CLASS_SSEFP, 260, 250, ncg_item_ssefp },
    { NC_CLASS_SSEINT, 220, 210, ncg_item_sseint },
    { NC_CLASS_SSESTR, 30, 30, ncg_item_ssestr },
    { NC_CLASS_SSESTATE, 40, 40, ncg_item_ssestate },
    { NC_CLASS_X87, 60, 60, ncg_item_x87 },
    { NC_CLASS_CRC, 25, 25, ncg_item_crc },
};

#define NKINDS (sizeof(item_kinds) / sizeof(item_kinds[0]))

static const struct item_kind *pick_kind(struct gen *g, uint32_t classes)
{
    uint32_t total = 0;
    for (size_t i = 0; i < NKINDS; i++)
        if (item_kinds[i].cls & classes)
            total += g->m64 ? item_kinds[i].w64 : item_kinds[i].w32;
    if (!total)
        return NULL;
    uint32_t x = rnd(g, total);
    for (size_t i = 0; i < NKINDS; i++) {
        if (!(item_kinds[i].cls & classes))
            continue;
        uint32_t w = g->m64 ? item_kinds[i].w64 : item_kinds[i].w32;
        if (x < w)
            return &item_kinds[i];
        x -= w;
    }
    return NULL;
}

static uint64_t init_value(struct gen *g)
{
    if (pct(g, 40))
        return r64(g);
    static const int widths[4] = { 8, 16, 32, 64 };
    int w = widths[rnd(g, 4)];
    uint64_t v = ncg_interesting(g, w);
    if (w < 64) {
        if (pct(g, 30) && ((v >> (w - 1)) & 1))
            v |= ~width_mask(w);
        else if (pct(g, 40))
            v |= r64(g) & ~width_mask(w);
    }
    return v;
}

static void init_state(struct gen *g)
{
    struct nc_case *c = g->c;
    int nreg = g->m64 ? 16 : 8;
    static const int cand64[] = { RBX, RBP, RSI, RDI, 8, 9, 10, 11, 12, 13, 14, 15 };
    int ncand = g->m64 ? 12 : 4;

    for (int r = 0; r < nreg; r++)
        c->regs[r] = init_value(g);

    uint32_t taken = 0;
    int nptr = 1 + (int)rnd(g, 3);
    if (pct(g, 45))
        taken |= (1u << RSI) | (1u << RDI);
    while (__builtin_popcount(taken) < nptr)
        taken |= 1u << cand64[rnd(g, (uint32_t)ncand)];
    for (int r = 0; r < nreg; r++) {
        if (!((taken >> r) & 1))
            continue;
        uint64_t p = NC_DATA_BASE + 0x500 + rnd(g, 0x600);
        if (pct(g, 40))
            p &= ~15ull;
        else if (pct(g, 30))
            p &= ~7ull;
        c->regs[r] = p;
    }
    g->ptr_ok = taken;
    int nidx = (int)rnd(g, 3);
    for (int i = 0; i < nidx; i++) {
        int r = cand64[rnd(g, (uint32_t)ncand)];
        if ((taken >> r) & 1)
            continue;
        taken |= 1u << r;
        g->idx_ok |= 1u << r;
        c->regs[r] = (uint64_t)((int64_t)rnd(g, 97) - 32);
    }
    uint64_t sp = NC_DATA_BASE + 0x780 + rnd(g, 0x100);
    if (pct(g, 75))
        sp &= g->m64 ? ~7ull : ~3ull;
    c->regs[RSP] = sp;
    if (!g->m64)
        for (int r = 0; r < NC_NR_GPRS; r++)
            c->regs[r] = r < 8 ? (uint32_t)c->regs[r] : 0;
    memcpy(g->val, c->regs, sizeof(g->val));
    g->val_ok = (1u << nreg) - 1;

    c->rflags = NC_FLAGS_FIXED | (r64(g) & NC_FLAGS_ARITH) | (pct(g, 25) ? NC_FLAG_DF : 0);

    for (uint32_t i = 0; i < NC_DATA_SIZE; i += 8) {
        uint64_t v = r64(g);
        memcpy(c->data + i, &v, 8);
    }
    /* some runs of zeros and ones, for bit scans and compares */
    int runs = (int)rnd(g, 4);
    for (int i = 0; i < runs; i++) {
        uint32_t at = rnd(g, NC_DATA_SIZE - 64), len = 1 + rnd(g, 64);
        memset(c->data + at, pct(g, 60) ? 0x00 : 0xff, len);
    }
}

static void apply_fixups(struct gen *g, int nitems)
{
    for (int i = 0; i < g->nfix; i++) {
        struct fixup *f = &g->fix[i];
        int t = f->target_item < nitems ? f->target_item : nitems;
        int64_t v;
        for (;;) {
            uint64_t target = NC_CODE_BASE + g->item_start[t];
            v = f->abs ? (int64_t)target : (int64_t)target - (int64_t)(NC_CODE_BASE + f->end);
            if (f->bytes != 1 || (v >= -128 && v <= 127) || t <= f->from_item + 1)
                break;
            t--;   /* out of rel8 reach: the nearest item that is not */
        }
        for (int b = 0; b < f->bytes; b++)
            g->c->code[f->at + b] = (uint8_t)((uint64_t)v >> (8 * b));
    }
}

enum nc_mode nc_gen_mode_for_index(uint64_t index)
{
    return (index & 1) ? NC_MODE_32 : NC_MODE_64;
}

void nc_case_generate(struct nc_case *c, uint64_t seed, uint64_t index, uint32_t classes)
{
    struct gen g;
    memset(&g, 0, sizeof(g));
    memset(c, 0, sizeof(*c));
    g.r.s = nc_rng_mix(seed ^ 0x632be59bd9b4e019ull) ^ nc_rng_mix(index * 0x9e3779b97f4a7c15ull + 0x1234567);
    g.c = c;
    c->seed = seed;
    c->index = index;
    c->classes = classes & (NC_CLASS_ALL | NC_GEN_KNOWN_BUGS);
    c->mode = nc_gen_mode_for_index(index);
    g.m64 = c->mode == NC_MODE_64;
    init_state(&g);
    ncg_init_fx(&g);

    int nitems = 1 + (int)rnd(&g, MAX_ITEMS);
    int i;
    for (i = 0; i < nitems && c->code_len < CODE_STOP; i++) {
        g.item = i;
        g.item_start[i] = (uint16_t)c->code_len;
        for (int tries = 0; tries < 24; tries++) {
            uint32_t len = c->code_len, ptr = g.ptr_ok, idx = g.idx_ok, undef = g.undef;
            uint32_t val_ok = g.val_ok;
            int nfix = g.nfix, horizon = g.horizon;
            g.fail = false;
            const struct item_kind *k = pick_kind(&g, c->classes);
            if (!k)
                break;
            k->fn(&g);
            if (!g.fail) {
                c->used_classes |= k->cls;
                break;
            }
            c->code_len = len;
            g.ptr_ok = ptr;
            g.idx_ok = idx;
            g.val_ok = val_ok;
            g.undef = undef;
            g.nfix = nfix;
            g.horizon = horizon;
        }
    }
    nitems = i;
    g.item_start[nitems] = (uint16_t)c->code_len;
    apply_fixups(&g, nitems);
    memset(c->code + c->code_len, 0, NC_CODE_MAX - c->code_len);
    c->undef_flags = g.undef;
}

/* ---- classes ---- */

static const char *const class_names[] = {
    "alu", "unary", "shift", "muldiv", "bcd", "bit", "cnt", "xchg", "cond",
    "branch", "mov", "lea", "stack", "string", "flags", "conv", "fault", "misc",
    "mmx", "ssefp", "sseint", "ssestr", "ssestate", "x87", "crc",
};

#define NCLASSES (sizeof(class_names) / sizeof(class_names[0]))

uint32_t nc_gen_host_classes(void)
{
    uint32_t cls = NC_CLASS_ALL;
    unsigned a, b, c, d;
    bool popcnt = false, lzcnt = false, tzcnt = false;
    if (__get_cpuid(1, &a, &b, &c, &d))
        popcnt = (c >> 23) & 1;
    if (__get_cpuid(0x80000001, &a, &b, &c, &d))
        lzcnt = (c >> 5) & 1;
    if (__get_cpuid_count(7, 0, &a, &b, &c, &d))
        tzcnt = (b >> 3) & 1;
    if (!popcnt || !lzcnt || !tzcnt)
        cls &= ~(uint32_t)NC_CLASS_CNT;
    bool sse42 = false, movbe = false;
    if (__get_cpuid(1, &a, &b, &c, &d)) {
        /* SSE SSE2 FXSR in EDX; SSE3 SSSE3 SSE4.1 SSE4.2 in ECX */
        sse42 = (d & 0x07000000u) == 0x07000000u && (c & 0x00180201u) == 0x00180201u;
        movbe = (c >> 22) & 1;
    }
    if (!sse42)
        cls &= ~(uint32_t)NC_CLASS_SSE;
    if (!movbe || !sse42)
        cls &= ~(uint32_t)NC_CLASS_CRC;
    return cls;
}

int nc_gen_parse_classes(const char *list, uint32_t *classes, char *bad, size_t bad_len)
{
    uint32_t cls = 0;
    const char *p = list;
    while (*p) {
        size_t n = strcspn(p, ",");
        bool neg = *p == '-';
        const char *w = neg ? p + 1 : p;
        size_t wn = neg ? n - 1 : n;
        uint32_t bit = 0;
        if (wn == 3 && !strncmp(w, "all", 3))
            bit = NC_CLASS_ALL;
        if (wn == 3 && !strncmp(w, "int", 3))
            bit = NC_CLASS_INT;
        if (wn == 3 && !strncmp(w, "sse", 3))
            bit = NC_CLASS_SSE;
        if (wn == 9 && !strncmp(w, "knownbugs", 9))
            bit = NC_GEN_KNOWN_BUGS;
        for (size_t i = 0; i < NCLASSES && !bit; i++)
            if (strlen(class_names[i]) == wn && !strncmp(w, class_names[i], wn))
                bit = 1u << i;
        if (!bit) {
            snprintf(bad, bad_len, "%.*s", (int)n, p);
            return -1;
        }
        if (neg)
            cls &= ~bit;
        else
            cls |= bit;
        p += n;
        if (*p == ',')
            p++;
    }
    *classes = cls;
    return 0;
}

void nc_gen_format_classes(uint32_t classes, char *buf, size_t len)
{
    size_t at = 0;
    buf[0] = 0;
    const char *bugs = (classes & NC_GEN_KNOWN_BUGS) ? ",knownbugs" : "";
    if ((classes & NC_CLASS_ALL) == NC_CLASS_ALL) {
        snprintf(buf, len, "all%s", bugs);
        return;
    }
    if ((classes & NC_CLASS_ALL) == NC_CLASS_INT || (classes & NC_CLASS_ALL) == NC_CLASS_SSE) {
        snprintf(buf, len, "%s%s", (classes & NC_CLASS_ALL) == NC_CLASS_INT ? "int" : "sse", bugs);
        return;
    }
    for (size_t i = 0; i < NCLASSES; i++) {
        if (!((classes >> i) & 1))
            continue;
        int n = snprintf(buf + at, len - at, "%s%s", at ? "," : "", class_names[i]);
        if (n < 0 || (size_t)n >= len - at)
            break;
        at += (size_t)n;
    }
    if (*bugs && at + strlen(bugs) < len)
        snprintf(buf + at, len - at, "%s", at ? bugs : bugs + 1);
}

/* The MMX/SSE/x87 items are compiled as part of this file: the unit test
 * (tests/unit/nativecmp_test.c) builds the generator from nc_gen.c alone. */
#include "tools/nativecmp/nc_gen_sse.c"
