/* The soft MMU of the bt engine: segmentation checks, the x86 page walk
 * (2-level with PSE, PAE with NX, 4-level), the software TLB that translated
 * code probes inline, and guest memory access for helpers and slow paths.
 * Faults are raised with cpu_raise_exception(), so callers never see them. */
#ifndef VX86_SOFTMMU_MMU_H
#define VX86_SOFTMMU_MMU_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/exec.h"

enum mmu_access {
    MMU_READ = 0,
    MMU_WRITE = 1,
    MMU_EXEC = 2,
};

/* Why a walk failed, in #PF error-code form, when mmu_walk returns false. */
struct mmu_walk_result {
    uint64_t phys;       /* guest-physical address */
    bool writable;       /* the mapping allows writes at this privilege */
    bool user;           /* the mapping is user-accessible */
    bool nx;             /* execution forbidden */
    uint32_t pf_error;   /* #PF error code when the walk faults */
    uint64_t page_size;  /* 4 KiB, 2/4 MiB or 1 GiB */
};

/* Walks the guest page tables for a linear address (no TLB), setting
 * accessed/dirty bits as the access demands. user = the access is made at
 * CPL 3 (or is an implicit supervisor access when false). Returns false on a
 * page fault with res->pf_error filled. With paging off, phys = linear. */
bool mmu_walk(struct cpu_exec *c, uint64_t linear, enum mmu_access acc, bool user,
              struct mmu_walk_result *res);

/* Segmented access checks: offset+size-1 within the limit (expand-down
 * aware), type allows the access, null selector. Raises #GP(0) or #SS(0).
 * Returns the linear address (base + offset, truncated to 32 bits outside
 * long mode; canonical check in 64-bit mode). */
uint64_t mmu_seg_linear(struct cpu_exec *c, int seg, uint64_t offset, unsigned size,
                        enum mmu_access acc);

/* Guest-linear memory access through the TLB, refilling it on a miss,
 * raising #PF on a fault, splitting accesses that cross a page, and
 * dispatching MMIO. size 1, 2, 4, 8; 16 for the 128-bit ops. */
uint64_t mmu_load(struct cpu_exec *c, uint64_t linear, unsigned size);
void mmu_store(struct cpu_exec *c, uint64_t linear, unsigned size, uint64_t value);
void mmu_load_bytes(struct cpu_exec *c, uint64_t linear, void *buf, unsigned size);
void mmu_store_bytes(struct cpu_exec *c, uint64_t linear, const void *buf, unsigned size);
/* Raises the #PF a write of size bytes at linear would take, without
 * writing (instructions that must fault on their destination before they
 * do anything else: x87 stores with exceptions, read-modify-write). */
void mmu_probe_write(struct cpu_exec *c, uint64_t linear, unsigned size);
/* Instruction fetch: up to len bytes at linear into buf; returns how many
 * could be fetched before a fault (0 means the first byte faults, and a
 * #PF has NOT been raised: the caller decides). */
unsigned mmu_fetch(struct cpu_exec *c, uint64_t linear, uint8_t *buf, unsigned len,
                   uint64_t *phys_first);
/* Accesses made with supervisor privilege regardless of CPL (descriptor
 * tables, TSS, IDT): the "implicit supervisor" accesses of the SDM. */
uint64_t mmu_load_sys(struct cpu_exec *c, uint64_t linear, unsigned size);
void mmu_store_sys(struct cpu_exec *c, uint64_t linear, unsigned size, uint64_t value);

/* TLB maintenance, called when the architecture says: MOV CR3 (non-global
 * entries), CR0.PG/WP and CR4.PGE/PAE/PSE changes and task switches (all),
 * INVLPG (one page). */
void tlb_flush_all(struct cpu_exec *c);
void tlb_flush_nonglobal(struct cpu_exec *c);
void tlb_flush_page(struct cpu_exec *c, uint64_t linear);
/* Drops every TLB entry mapping phys_page, so the next access takes the slow
 * path (used when a page starts holding translated code). */
void tlb_flush_phys(struct cpu_exec *c, uint64_t phys_page);

#endif
