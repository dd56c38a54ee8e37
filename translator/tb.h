/* The translation cache: translated blocks keyed by linear and physical
 * address of their first byte and the mode bits that change decoding,
 * stored in one arena that is flushed whole when full, and invalidated per
 * physical page when the guest writes to code. */
#ifndef VX86_TRANSLATOR_TB_H
#define VX86_TRANSLATOR_TB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "translator/ir.h"

#define TB_HASH_BITS 15

struct tb {
    uint64_t pc_linear;
    uint64_t pc_phys;
    uint64_t cs_base;     /* the code holds RIP values: the same linear address
                           * reached through another CS base is another block */
    uint32_t mode;        /* code size, stack size, 64-bit mode */
    uint32_t guest_bytes;
    uint64_t page[2];     /* physical pages holding its code (page[1] = page[0] if one) */
    struct ir_block ir;
    struct tb *hash_next;
    struct tb *page_next[2];
    bool valid;

    /* Host code from the x86-64 backend; NULL runs ir on the interpreter. */
    const void *code;
    /* Chaining: an exit through slot k may become a direct jump to the
     * block that follows (chainable[k]); the patch site and the unlinked
     * target are offsets from code. */
    bool chainable[2];
    uint32_t jmp_field[2];
    uint32_t jmp_reset[2];
    uint32_t jmp_inline[2];     /* offset of the slot's in-code lookup, 0 = none */
    struct tb *jmp_dest[2];     /* current successor per slot, or NULL */
    uintptr_t jmp_in;           /* blocks linked to this one: tb pointer | slot */
    uintptr_t jmp_in_next[2];   /* next entry of jmp_dest[k]'s jmp_in list */
};

/* Rewrites the direct jump of from's slot to enter to (NULL: back to the
 * block's own exit). */
typedef void (*tb_patch_fn)(void *opaque, struct tb *from, int slot, struct tb *to);

struct tb_cache {
    uint8_t *arena;
    size_t arena_size;
    size_t used;
    struct tb *hash[1u << TB_HASH_BITS];
    /* Blocks by physical page, for invalidation: a small hash of lists. */
    struct tb *by_page[1u << TB_HASH_BITS];
    uint64_t flushes;
    uint64_t translations;
    tb_patch_fn patch;          /* set when blocks are chained */
    void *patch_opaque;
    /* Told of each block tb_invalidate_page invalidates (lookup caches). */
    void (*invalidated)(void *opaque, struct tb *t);
};

int tb_cache_init(struct tb_cache *tc, size_t arena_size);
void tb_cache_destroy(struct tb_cache *tc);
void tb_cache_flush(struct tb_cache *tc);
struct tb *tb_lookup(struct tb_cache *tc, uint64_t pc_linear, uint64_t pc_phys, uint32_t mode,
                     uint64_t cs_base);
/* Copies ir into the arena as a new block; NULL when the arena is full
 * (flush and retry). */
struct tb *tb_insert(struct tb_cache *tc, uint64_t pc_linear, uint64_t pc_phys, uint32_t mode,
                     uint64_t cs_base, uint64_t page0, uint64_t page1, uint32_t guest_bytes,
                     const struct ir_block *ir);
/* Invalidates every block with code on the physical page, unlinking the
 * direct jumps into them; returns how many. */
unsigned tb_invalidate_page(struct tb_cache *tc, uint64_t phys_page);
/* Drops t's IR (t runs compiled code only); its arena space comes back
 * when it was the last allocation, as right after tb_insert. */
void tb_release_ir(struct tb_cache *tc, struct tb *t);
/* Makes from's exit slot jump straight to to (both valid, compiled). */
void tb_link(struct tb_cache *tc, struct tb *from, int slot, struct tb *to);

#endif
