/* The x86 page walk (SDM vol. 3 ch. 4): paging off, 32-bit paging with PSE
 * and PSE-36, PAE and 4-level paging, permissions, reserved bits, A/D bits. */
#include "softmmu/mmu_internal.h"

#include "hw/machine.h"

#define PTE_P   (1ull << 0)
#define PTE_RW  (1ull << 1)
#define PTE_US  (1ull << 2)
#define PTE_A   (1ull << 5)
#define PTE_D   (1ull << 6)
#define PTE_PS  (1ull << 7)
#define PTE_G   (1ull << 8)
#define PTE_NX  (1ull << 63)

#define PF_ERR_P    (1u << 0)
#define PF_ERR_W    (1u << 1)
#define PF_ERR_U    (1u << 2)
#define PF_ERR_RSVD (1u << 3)
#define PF_ERR_ID   (1u << 4)

/* Bits lo..hi inclusive. */
static inline uint64_t bit_range(unsigned hi, unsigned lo)
{
    uint64_t upto_hi = hi >= 63 ? ~0ull : (1ull << (hi + 1)) - 1;
    return upto_hi & ~((1ull << lo) - 1);
}

/* One paging-structure entry used by the walk: where it lives and what was
 * read, so the accessed bits can be written back once the walk succeeds. */
struct walk_entry {
    uint64_t addr;
    uint64_t val;
    unsigned size;
    bool has_ad;   /* PAE PDPTEs have no accessed bit */
};

struct walk_state {
    struct cpu_exec *c;
    struct walk_entry e[4];
    unsigned n;
};

/* With the A20 gate closed, bit 20 of every physical address the CPU
 * drives is forced to 0, table reads included. */
static uint64_t walk_a20(const struct cpu_exec *c, uint64_t pa)
{
    return c->m->a20_enabled ? pa : pa & ~(1ull << 20);
}

/* Reads an entry; tables outside RAM read as whatever physmem returns (all
 * ones for unmapped space), as the bus would give the processor. */
static uint64_t walk_read(struct walk_state *ws, uint64_t addr, unsigned size, bool has_ad)
{
    struct physmem *pm = &ws->c->m->mem;
    addr = walk_a20(ws->c, addr);
    uint8_t tmp[8];
    const uint8_t *p = physmem_host_ptr(pm, addr, size);
    if (!p) {
        physmem_read(pm, addr, tmp, size);
        p = tmp;
    }
    uint64_t v = mmu_ld_le(p, size);
    ws->e[ws->n++] = (struct walk_entry){ addr, v, size, has_ad };
    return v;
}

static void walk_write_back(struct walk_state *ws, const struct walk_entry *e, uint64_t v)
{
    struct physmem *pm = &ws->c->m->mem;
    uint8_t *p = physmem_host_ptr_write(pm, e->addr, e->size);
    if (p) {
        mmu_st_le(p, e->size, v);
    } else {
        uint8_t tmp[8];
        mmu_st_le(tmp, e->size, v);
        physmem_write(pm, e->addr, tmp, e->size);
    }
}

bool mmu_walk_info(struct cpu_exec *c, uint64_t linear, enum mmu_access acc, bool user,
                   struct mmu_walk_info *w)
{
    const struct x86_cpu *cpu = &c->cpu;
    const bool lma = cpu->efer & X86_EFER_LMA;
    const bool pae = cpu->cr4 & X86_CR4_PAE;
    const bool nxe = pae && (cpu->efer & X86_EFER_NXE);
    const bool smep = cpu->cr4 & MMU_CR4_SMEP;

    *w = (struct mmu_walk_info){ 0 };
    uint32_t err = (acc == MMU_WRITE ? PF_ERR_W : 0) | (user ? PF_ERR_U : 0);
    /* The I/D bit is only reported when NX or SMEP could be its cause. */
    if (acc == MMU_EXEC && (nxe || smep))
        err |= PF_ERR_ID;

    if (!(cpu->cr0 & X86_CR0_PG)) {
        w->r.phys = walk_a20(c, lma ? linear : linear & 0xffffffffull);
        w->r.writable = true;
        w->r.user = true;
        w->r.page_size = MMU_PAGE_SIZE;
        w->dirty = true;
        w->page_shift = 12;
        return true;
    }

    struct walk_state ws = { .c = c };
    bool rw = true, us = true, nx = false;
    uint64_t leaf, frame;
    unsigned shift;

    if (!pae) {
        uint64_t pde = walk_read(&ws, (cpu->cr3 & 0xfffff000ull) | ((linear >> 20) & 0xffc), 4, true);
        if (!(pde & PTE_P))
            goto not_present;
        if ((pde & PTE_PS) && (cpu->cr4 & X86_CR4_PSE)) {
            /* PSE-36: PDE bits 20:13 are physical bits 39:32; those above
             * MAXPHYADDR, and bit 21, are reserved. */
            unsigned m = MMU_PHYS_ADDR_BITS < 40 ? MMU_PHYS_ADDR_BITS : 40;
            if (pde & bit_range(21, m - 19))
                goto reserved;
            leaf = pde;
            frame = (pde & 0xffc00000ull) | (((pde >> 13) & 0xff) << 32);
            shift = 22;
        } else {
            rw &= !!(pde & PTE_RW);
            us &= !!(pde & PTE_US);
            uint64_t pte = walk_read(&ws, (pde & 0xfffff000ull) | ((linear >> 10) & 0xffc), 4, true);
            if (!(pte & PTE_P))
                goto not_present;
            leaf = pte;
            frame = pte & 0xfffff000ull;
            shift = 12;
        }
    } else {
        const uint64_t addr_mask = bit_range(MMU_PHYS_ADDR_BITS - 1, 12);
        /* Above MAXPHYADDR: PAE reserves up to bit 62, 4-level paging only
         * up to bit 51 (52..62 are ignored). XD is reserved without NXE. */
        uint64_t rsvd = bit_range(lma ? 51 : 62, MMU_PHYS_ADDR_BITS);
        if (!nxe)
            rsvd |= PTE_NX;
        uint64_t table, e;

        if (lma) {
            e = walk_read(&ws, (cpu->cr3 & addr_mask) + ((linear >> 39) & 0x1ff) * 8, 8, true);
            if (!(e & PTE_P))
                goto not_present;
            if (e & (rsvd | PTE_PS))
                goto reserved;
            rw &= !!(e & PTE_RW);
            us &= !!(e & PTE_US);
            nx |= nxe && (e & PTE_NX);
            table = e & addr_mask;

            e = walk_read(&ws, table + ((linear >> 30) & 0x1ff) * 8, 8, true);
            if (!(e & PTE_P))
                goto not_present;
            if (e & PTE_PS) {
                if (e & (rsvd | bit_range(29, 13)))
                    goto reserved;
                leaf = e;
                frame = e & addr_mask & ~((1ull << 30) - 1);
                shift = 30;
                goto have_leaf;
            }
            if (e & rsvd)
                goto reserved;
            rw &= !!(e & PTE_RW);
            us &= !!(e & PTE_US);
            nx |= nxe && (e & PTE_NX);
            table = e & addr_mask;
        } else {
            /* Real processors cache the four PDPTEs at MOV CR3 and fault
             * bad ones with #GP there; reading them per walk and turning
             * reserved bits into #PF(RSVD) is the documented simplification. */
            e = walk_read(&ws, (cpu->cr3 & 0xffffffe0ull) + ((linear >> 30) & 3) * 8, 8, false);
            if (!(e & PTE_P))
                goto not_present;
            if (e & (bit_range(63, MMU_PHYS_ADDR_BITS) | bit_range(8, 5) | bit_range(2, 1)))
                goto reserved;
            table = e & addr_mask;
        }

        e = walk_read(&ws, table + ((linear >> 21) & 0x1ff) * 8, 8, true);
        if (!(e & PTE_P))
            goto not_present;
        if (e & PTE_PS) {
            if (e & (rsvd | bit_range(20, 13)))
                goto reserved;
            leaf = e;
            frame = e & addr_mask & ~((1ull << 21) - 1);
            shift = 21;
            goto have_leaf;
        }
        if (e & rsvd)
            goto reserved;
        rw &= !!(e & PTE_RW);
        us &= !!(e & PTE_US);
        nx |= nxe && (e & PTE_NX);
        table = e & addr_mask;

        e = walk_read(&ws, table + ((linear >> 12) & 0x1ff) * 8, 8, true);
        if (!(e & PTE_P))
            goto not_present;
        if (e & rsvd)
            goto reserved;
        leaf = e;
        frame = e & addr_mask;
        shift = 12;
    }

have_leaf:
    rw &= !!(leaf & PTE_RW);
    us &= !!(leaf & PTE_US);
    nx |= nxe && (leaf & PTE_NX);

    /* Rights are the intersection over all levels; supervisor code may
     * read any page and write any page unless CR0.WP protects read-only
     * ones; SMEP forbids it to fetch from user pages. */
    const bool writable = user ? rw : (rw || !(cpu->cr0 & X86_CR0_WP));
    if (user && !us)
        goto protection;
    if (acc == MMU_WRITE && !writable)
        goto protection;
    if (acc == MMU_EXEC && (nx || (!user && smep && us)))
        goto protection;

    for (unsigned i = 0; i < ws.n; i++) {
        struct walk_entry *we = &ws.e[i];
        if (!we->has_ad)
            continue;
        uint64_t v = we->val | PTE_A;
        if (i == ws.n - 1 && acc == MMU_WRITE)
            v |= PTE_D;
        if (v != we->val)
            walk_write_back(&ws, we, v);
    }

    w->r.phys = walk_a20(c, frame | (linear & ((1ull << shift) - 1)));
    w->r.writable = writable;
    w->r.user = us;
    w->r.nx = nx;
    w->r.page_size = 1ull << shift;
    w->dirty = (leaf & PTE_D) || acc == MMU_WRITE;
    w->global = (leaf & PTE_G) && (cpu->cr4 & X86_CR4_PGE);
    w->page_shift = shift;
    return true;

not_present:
    w->r.pf_error = err;
    return false;
reserved:
    w->r.pf_error = err | PF_ERR_P | PF_ERR_RSVD;
    return false;
protection:
    w->r.pf_error = err | PF_ERR_P;
    return false;
}

bool mmu_walk(struct cpu_exec *c, uint64_t linear, enum mmu_access acc, bool user,
              struct mmu_walk_result *res)
{
    struct mmu_walk_info w;
    bool ok = mmu_walk_info(c, linear, acc, user, &w);
    *res = w.r;
    return ok;
}
