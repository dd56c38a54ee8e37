/* Private to the soft MMU files: the page walk with the extra facts the TLB
 * needs (dirty, global, page size), and the MMU bits kept in tlb_entry.phys. */
#ifndef VX86_SOFTMMU_MMU_INTERNAL_H
#define VX86_SOFTMMU_MMU_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "softmmu/mmu.h"

/* MAXPHYADDR: bits of a paging-structure address above it are reserved.
 * CPUID.80000008H:EAX[7:0] must report the same value when it exists
 * (36 is also what software assumes when that leaf is absent). */
#define MMU_PHYS_ADDR_BITS 36

/* CR4 bits the walk honours that cpu/cpu.h does not name yet. */
#define MMU_CR4_SMEP (1ull << 20)

#define MMU_PAGE_SIZE 4096u
#define MMU_PAGE_OFFSET 0xfffu

struct mmu_walk_info {
    struct mmu_walk_result r;
    bool dirty;       /* the leaf's D bit is set (always true after a write) */
    bool global;      /* G in the leaf with CR4.PGE set */
    unsigned page_shift; /* 12, 21, 22 or 30 */
};

/* mmu_walk() with the TLB's extra facts. Never raises. */
bool mmu_walk_info(struct cpu_exec *c, uint64_t linear, enum mmu_access acc, bool user,
                   struct mmu_walk_info *w);

/* struct tlb_entry.phys is page aligned, so its low 12 bits carry what the
 * flush functions need to know about the translation: the global bit and
 * log2 of the page size it was cut from (INVLPG on a large page must drop
 * every 4 KiB piece of it). Readers of phys mask with TLB_PAGE_MASK. */
#define TLB_PHYS_GLOBAL 0x1u
#define TLB_PHYS_SHIFT_POS 1
#define TLB_PHYS_SHIFT_MASK (0x3fu << TLB_PHYS_SHIFT_POS)

/* Guest memory and paging structures are little-endian whatever the host. */
static inline uint64_t mmu_ld_le(const uint8_t *p, unsigned size)
{
    uint64_t v = 0;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(&v, p, size);
#else
    for (unsigned i = 0; i < size; i++)
        v |= (uint64_t)p[i] << (8 * i);
#endif
    return v;
}

static inline void mmu_st_le(uint8_t *p, unsigned size, uint64_t v)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(p, &v, size);
#else
    for (unsigned i = 0; i < size; i++)
        p[i] = (uint8_t)(v >> (8 * i));
#endif
}

#endif
