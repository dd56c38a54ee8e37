/* Translation cache storage, lookup and invalidation. */
#include "translator/tb.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static unsigned tb_hash(uint64_t pc_linear, uint64_t pc_phys, uint32_t mode)
{
    uint64_t h = pc_linear * 0x9e3779b97f4a7c15ull ^ pc_phys * 0xc2b2ae3d27d4eb4full ^ mode;
    return (unsigned)(h >> (64 - TB_HASH_BITS));
}

static unsigned page_hash(uint64_t page)
{
    return (unsigned)((page >> 12) * 0x9e3779b97f4a7c15ull >> (64 - TB_HASH_BITS));
}

int tb_cache_init(struct tb_cache *tc, size_t arena_size)
{
    memset(tc, 0, sizeof(*tc));
    tc->arena = mmap(NULL, arena_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (tc->arena == MAP_FAILED) {
        tc->arena = NULL;
        return -ENOMEM;
    }
    tc->arena_size = arena_size;
    return 0;
}

void tb_cache_destroy(struct tb_cache *tc)
{
    if (tc->arena)
        munmap(tc->arena, tc->arena_size);
    tc->arena = NULL;
}

void tb_cache_flush(struct tb_cache *tc)
{
    memset(tc->hash, 0, sizeof(tc->hash));
    memset(tc->by_page, 0, sizeof(tc->by_page));
    tc->used = 0;
    tc->flushes++;
}

struct tb *tb_lookup(struct tb_cache *tc, uint64_t pc_linear, uint64_t pc_phys, uint32_t mode,
                     uint64_t cs_base)
{
    for (struct tb *t = tc->hash[tb_hash(pc_linear, pc_phys, mode)]; t; t = t->hash_next)
        if (t->pc_linear == pc_linear && t->pc_phys == pc_phys && t->mode == mode &&
            t->cs_base == cs_base && t->valid)
            return t;
    return NULL;
}

struct tb *tb_insert(struct tb_cache *tc, uint64_t pc_linear, uint64_t pc_phys, uint32_t mode,
                     uint64_t cs_base, uint64_t page0, uint64_t page1, uint32_t guest_bytes,
                     const struct ir_block *ir)
{
    size_t need = (sizeof(struct tb) + 15) & ~(size_t)15;
    size_t insns = ir->count * sizeof(struct ir_insn);
    if (tc->used + need + insns > tc->arena_size)
        return NULL;
    struct tb *t = (struct tb *)(tc->arena + tc->used);
    tc->used += need;
    struct ir_insn *copy = (struct ir_insn *)(tc->arena + tc->used);
    tc->used += (insns + 15) & ~(size_t)15;
    memcpy(copy, ir->insns, insns);
    memset(t, 0, sizeof(*t));
    t->pc_linear = pc_linear;
    t->pc_phys = pc_phys;
    t->mode = mode;
    t->cs_base = cs_base;
    t->guest_bytes = guest_bytes;
    t->page[0] = page0;
    t->page[1] = page1;
    t->ir = *ir;
    t->ir.insns = copy;
    t->ir.capacity = ir->count;
    t->valid = true;
    unsigned h = tb_hash(pc_linear, pc_phys, mode);
    t->hash_next = tc->hash[h];
    tc->hash[h] = t;
    for (int i = 0; i < 2; i++) {
        /* One list entry per bucket: a second page in the same bucket is
         * found through the first entry. */
        if (i == 1 && page_hash(page1) == page_hash(page0))
            break;
        unsigned ph = page_hash(t->page[i]);
        t->page_next[i] = tc->by_page[ph];
        tc->by_page[ph] = t;
    }
    tc->translations++;
    return t;
}

void tb_release_ir(struct tb_cache *tc, struct tb *t)
{
    uint8_t *copy = (uint8_t *)t->ir.insns;
    size_t len = (t->ir.count * sizeof(struct ir_insn) + 15) & ~(size_t)15;
    if (copy && copy + len == tc->arena + tc->used)
        tc->used = (size_t)(copy - tc->arena);
    t->ir.insns = NULL;
    t->ir.count = t->ir.capacity = 0;
}

void tb_link(struct tb_cache *tc, struct tb *from, int slot, struct tb *to)
{
    if (from->jmp_dest[slot] || !tc->patch)
        return;
    from->jmp_dest[slot] = to;
    from->jmp_in_next[slot] = to->jmp_in;
    to->jmp_in = (uintptr_t)from | (uintptr_t)slot;
    tc->patch(tc->patch_opaque, from, slot, to);
}

/* Takes (from, slot) off the incoming list of its successor. */
static void tb_unlink_out(struct tb *from, int slot)
{
    struct tb *to = from->jmp_dest[slot];
    uintptr_t me = (uintptr_t)from | (uintptr_t)slot;
    for (uintptr_t *p = &to->jmp_in; *p;) {
        struct tb *t = (struct tb *)(*p & ~(uintptr_t)1);
        int s = (int)(*p & 1);
        if (*p == me) {
            *p = from->jmp_in_next[slot];
            break;
        }
        p = &t->jmp_in_next[s];
    }
    from->jmp_dest[slot] = NULL;
}

/* A block stops being entered: every jump into it goes back to its
 * source's exit, and its own links are dropped. */
static void tb_unlink_all(struct tb_cache *tc, struct tb *t)
{
    for (uintptr_t e = t->jmp_in; e;) {
        struct tb *from = (struct tb *)(e & ~(uintptr_t)1);
        int s = (int)(e & 1);
        e = from->jmp_in_next[s];
        from->jmp_dest[s] = NULL;
        if (tc->patch)
            tc->patch(tc->patch_opaque, from, s, NULL);
    }
    t->jmp_in = 0;
    for (int s = 0; s < 2; s++)
        if (t->jmp_dest[s])
            tb_unlink_out(t, s);
}

unsigned tb_invalidate_page(struct tb_cache *tc, uint64_t phys_page)
{
    unsigned n = 0;
    unsigned ph = page_hash(phys_page);
    /* Lists mix pages that hash alike: walk and mark; the hash chains skip
     * invalid blocks, and the arena is reclaimed at the next flush. */
    for (struct tb *t = tc->by_page[ph]; t;) {
        int slot = page_hash(t->page[0]) == ph ? 0 : 1;
        struct tb *next = t->page_next[slot];
        if (t->valid && (t->page[0] == phys_page || t->page[1] == phys_page)) {
            t->valid = false;
            /* Off its hash chain, so lookups no longer walk past it. */
            for (struct tb **p = &tc->hash[tb_hash(t->pc_linear, t->pc_phys, t->mode)]; *p;
                 p = &(*p)->hash_next) {
                if (*p == t) {
                    *p = t->hash_next;
                    break;
                }
            }
            tb_unlink_all(tc, t);
            if (tc->invalidated)
                tc->invalidated(tc->patch_opaque, t);
            n++;
        }
        t = next;
    }
    return n;
}
