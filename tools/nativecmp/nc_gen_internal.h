/* nativecmp: the generator's internals shared by its item files (the
 * integer items in nc_gen.c, the MMX/SSE/x87 ones in nc_gen_sse.c): the
 * generation state and the operand, encoding and bookkeeping helpers. */
#ifndef VX86_NATIVECMP_NC_GEN_INTERNAL_H
#define VX86_NATIVECMP_NC_GEN_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "tools/nativecmp/nc_case.h"
#include "tools/nativecmp/nc_encode.h"
#include "tools/nativecmp/nc_rng.h"

#define NCG_MAX_ITEMS 8
#define NCG_MAX_FIXUPS 32

enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI };

/* A branch operand resolved once every item's position is known. */
struct fixup {
    uint16_t at;        /* offset of the operand in the code */
    uint16_t end;       /* offset just past the instruction (rel) */
    uint8_t bytes;
    bool abs;           /* absolute address instead of a displacement */
    uint8_t from_item;
    uint8_t target_item;
};

struct gen {
    struct nc_rng r;
    struct nc_case *c;
    bool m64;
    uint32_t ptr_ok;    /* registers known to point into the data area */
    uint32_t idx_ok;    /* registers known to hold a small signed value */
    /* Register values as far as the generator can tell (val_ok): used
     * only to make aligned memory operands likely, never for correctness. */
    uint32_t val_ok;
    uint64_t val[NC_NR_GPRS];
    int item;
    int horizon;        /* items before this one may be skipped by a branch */
    uint16_t item_start[NCG_MAX_ITEMS + 1];
    struct fixup fix[NCG_MAX_FIXUPS];
    int nfix;
    uint32_t undef;
    bool fail;
    uint16_t last_imm, last_end;
};

/* Operand size of one instruction. rex8: an 8-bit instruction carries a
 * REX prefix, so register numbers 4-7 mean SPL..DIL rather than AH..BH;
 * nreg: how many registers its operands may use without changing that. */
struct osz {
    int size;
    bool rex8;
    int nreg;
};

static inline uint32_t rnd(struct gen *g, uint32_t n)
{
    return nc_rng_below(&g->r, n);
}

static inline bool pct(struct gen *g, uint32_t p)
{
    return nc_rng_pct(&g->r, p);
}

static inline uint64_t r64(struct gen *g)
{
    return nc_rng_next(&g->r);
}

/* A value of `size` bits likely to hit edge cases. */
uint64_t ncg_interesting(struct gen *g, int size);
/* The generator writes register r: no longer a known pointer/index/value. */
void ncg_wr(struct gen *g, int r);
/* Arithmetic flags written by the item, and those of them left undefined. */
void ncg_flags_set(struct gen *g, uint32_t written, uint32_t undef);
struct osz ncg_osz_make(struct gen *g, int size);
int ncg_pick_src(struct gen *g, const struct osz *o);
/* A destination register: never RSP, seldom a pointer or index. */
int ncg_pick_dst(struct gen *g, const struct osz *o);
void ncg_emit(struct gen *g, const struct nc_insn *in);
void ncg_emit_bytes(struct gen *g, int n, uint8_t b0, uint8_t b1, uint8_t b2);
/* Set-up: the whole register r := v (the low 32 bits in 32-bit mode). */
void ncg_set_reg(struct gen *g, int r, uint64_t v);
void ncg_seg_prefix(struct gen *g, struct nc_insn *in, uint32_t p);
/* A memory operand of `bytes` bytes in (or now and then just beyond) the
 * data area; align > 1: usually a multiple of it, sometimes deliberately
 * not. */
void ncg_mem_operand_aligned(struct gen *g, struct nc_insn *in, int bytes, int nreg, int align);

/* The initial x87/MMX/SSE state of a case (nc_gen_sse.c). */
void ncg_init_fx(struct gen *g);
/* The MMX, SSE and x87 items (nc_gen_sse.c), one per class. */
void ncg_item_mmx(struct gen *g);
void ncg_item_ssefp(struct gen *g);
void ncg_item_sseint(struct gen *g);
void ncg_item_ssestr(struct gen *g);
void ncg_item_x87(struct gen *g);
void ncg_item_ssestate(struct gen *g);
void ncg_item_crc(struct gen *g);

#endif
