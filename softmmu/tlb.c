/* The software TLB (refill and flushes) and guest-linear memory access: the
 * fast path translated code inlines, and the slow path for misses, faults,
 * page-crossing accesses, MMIO and writes to pages holding translated code. */
#include <stdlib.h>
#include <string.h>

#include "cpu/exception.h"
#include "hw/machine.h"
#include "softmmu/mmu_internal.h"

static inline int mmu_mode(const struct cpu_exec *c)
{
    return c->cpl == 3 ? TLB_MMU_USER : TLB_MMU_SUPERVISOR;
}

static inline struct tlb_entry *tlb_slot(struct cpu_exec *c, int mode, uint64_t linear)
{
    return &c->tlb[mode][(linear >> 12) & (TLB_SIZE - 1)];
}

static inline uint64_t tlb_tag(const struct tlb_entry *e, enum mmu_access acc)
{
    return acc == MMU_READ ? e->tag_read : acc == MMU_WRITE ? e->tag_write : e->tag_code;
}

/* The linear page an entry maps, or TLB_INVALID. Every filled entry allows
 * reads (any successful walk implies it), so tag_read names the page. */
static inline uint64_t tlb_entry_page(const struct tlb_entry *e)
{
    return e->tag_read == TLB_INVALID ? TLB_INVALID : e->tag_read & TLB_PAGE_MASK;
}

static inline void tlb_entry_clear(struct tlb_entry *e)
{
    e->tag_read = e->tag_write = e->tag_code = TLB_INVALID;
    e->addend = 0;
    e->phys = 0;
}

/* Linear addresses wrap at 4 GiB outside long mode. */
static inline uint64_t mmu_linear_mask(const struct cpu_exec *c)
{
    return (c->cpu.efer & X86_EFER_LMA) ? ~0ull : 0xffffffffull;
}

static bool code_page_watched(const struct cpu_exec *c, uint64_t phys)
{
    uint64_t pn = phys >> 12;
    return c->code_pages && pn < c->code_pages_limit && ((c->code_pages[pn >> 3] >> (pn & 7)) & 1);
}

static _Noreturn void mmu_raise_pf(struct cpu_exec *c, uint64_t linear, uint32_t error)
{
    c->cpu.cr2 = linear;
    cpu_raise_exception_err(c, X86_EXC_PF, error);
}

/* Fills the slot for linear from a successful walk. Each tag is the page
 * when that kind of access may use host memory directly, page|SLOW when it
 * is allowed but must go through C (MMIO, ROM writes, watched code), and
 * TLB_INVALID when it must walk again: not permitted (so the walk raises
 * the right #PF) or a write to a page whose D bit is still clear. */
static void tlb_fill(struct cpu_exec *c, int mode, uint64_t linear, const struct mmu_walk_info *w)
{
    struct physmem *pm = &c->m->mem;
    struct tlb_entry *e = tlb_slot(c, mode, linear);
    if (e->tag_read == TLB_INVALID && c->tlb_used_ok[mode]) {
        /* A slot cleared alone and filled again is listed twice; when the
         * list fills up, flushes go back to visiting every slot. */
        if (c->tlb_used_count[mode] < TLB_SIZE)
            c->tlb_used[mode][c->tlb_used_count[mode]++] = (uint16_t)((linear >> 12) & (TLB_SIZE - 1));
        else
            c->tlb_used_ok[mode] = false;
    }
    uint64_t page = linear & TLB_PAGE_MASK;
    uint64_t phys_page = w->r.phys & TLB_PAGE_MASK;
    uint8_t *host = physmem_host_ptr(pm, phys_page, MMU_PAGE_SIZE);
    uint8_t *host_w = physmem_host_ptr_write(pm, phys_page, MMU_PAGE_SIZE);

    e->phys = phys_page | (w->global ? TLB_PHYS_GLOBAL : 0) |
              ((uint64_t)w->page_shift << TLB_PHYS_SHIFT_POS);
    e->addend = host ? (uintptr_t)host - (uintptr_t)page : 0;
    e->tag_read = host ? page : page | TLB_FLAG_SLOW;

    if (w->r.writable && w->dirty) {
        bool direct = host && host_w == host && !code_page_watched(c, phys_page);
        e->tag_write = direct ? page : page | TLB_FLAG_SLOW;
    } else {
        e->tag_write = TLB_INVALID;
    }

    bool exec = !w->r.nx &&
                !(mode == TLB_MMU_SUPERVISOR && (c->cpu.cr4 & MMU_CR4_SMEP) && w->r.user);
    e->tag_code = !exec ? TLB_INVALID : host ? page : page | TLB_FLAG_SLOW;
}

/* Makes the slot for linear valid for acc, walking on a miss. On a fault it
 * raises #PF when asked to, else returns NULL. */
static struct tlb_entry *tlb_translate(struct cpu_exec *c, int mode, uint64_t linear,
                                       enum mmu_access acc, bool raise)
{
    struct tlb_entry *e = tlb_slot(c, mode, linear);
    uint64_t tag = tlb_tag(e, acc);
    if (tag != TLB_INVALID && (tag & TLB_PAGE_MASK) == (linear & TLB_PAGE_MASK))
        return e;
    struct mmu_walk_info w;
    if (!mmu_walk_info(c, linear, acc, mode == TLB_MMU_USER, &w)) {
        if (raise)
            mmu_raise_pf(c, linear, w.r.pf_error);
        return NULL;
    }
    tlb_fill(c, mode, linear, &w);
    return e;
}

/* Largest naturally sized MMIO access (1, 2, 4, 8) that fits in len. */
static unsigned mmio_chunk(unsigned len)
{
    return len >= 8 ? 8 : len >= 4 ? 4 : len >= 2 ? 2 : 1;
}

static void phys_access_slow(struct cpu_exec *c, uint64_t phys, uint8_t *buf, unsigned len,
                             bool is_write)
{
    struct physmem *pm = &c->m->mem;
    uint8_t *host = is_write ? physmem_host_ptr_write(pm, phys, len)
                             : physmem_host_ptr(pm, phys, len);
    if (host) {
        if (is_write)
            memcpy(host, buf, len);
        else
            memcpy(buf, host, len);
        if (is_write && c->code_write && code_page_watched(c, phys))
            c->code_write(c->code_write_opaque, phys, len);
        return;
    }
    if (physmem_find_slot(pm, phys) || physmem_find_slot(pm, phys + len - 1)) {
        /* ROM (writes dropped or redirected) or a piece mixing RAM and MMIO. */
        if (is_write)
            physmem_write(pm, phys, buf, len);
        else
            physmem_read(pm, phys, buf, len);
        return;
    }
    while (len) {
        unsigned n = mmio_chunk(len);
        physmem_mmio_access(pm, phys, buf, n, is_write);
        phys += n;
        buf += n;
        len -= n;
    }
}

/* Moves len bytes (within one page) through a valid entry. */
static void tlb_copy(struct cpu_exec *c, struct tlb_entry *e, uint64_t linear, uint8_t *buf,
                     unsigned len, enum mmu_access acc)
{
    if (!(tlb_tag(e, acc) & TLB_FLAG_SLOW)) {
        uint8_t *host = (uint8_t *)(uintptr_t)(linear + e->addend);
        if (acc == MMU_WRITE)
            memcpy(host, buf, len);
        else
            memcpy(buf, host, len);
        return;
    }
    uint64_t phys = (e->phys & TLB_PAGE_MASK) | (linear & MMU_PAGE_OFFSET);
    phys_access_slow(c, phys, buf, len, acc == MMU_WRITE);
}

/* Any access the fast path did not take. Every page is translated (and may
 * fault) before a byte moves, as the processor checks the whole access
 * before performing it. */
static void mmu_access_slow(struct cpu_exec *c, int mode, uint64_t linear, uint8_t *buf,
                            unsigned size, enum mmu_access acc)
{
    const uint64_t amask = mmu_linear_mask(c);
    for (unsigned done = 0; done < size;) {
        uint64_t lin = (linear + done) & amask;
        tlb_translate(c, mode, lin, acc, true);
        done += MMU_PAGE_SIZE - (unsigned)(lin & MMU_PAGE_OFFSET);
    }
    for (unsigned done = 0; done < size;) {
        uint64_t lin = (linear + done) & amask;
        unsigned n = MMU_PAGE_SIZE - (unsigned)(lin & MMU_PAGE_OFFSET);
        if (n > size - done)
            n = size - done;
        struct tlb_entry *e = tlb_translate(c, mode, lin, acc, true);
        tlb_copy(c, e, lin, buf + done, n, acc);
        done += n;
    }
}

/* The inline probe: the whole access lies in one page whose tag matches
 * with no flag bit set. */
static inline bool tlb_fast(uint64_t tag, uint64_t linear, unsigned size)
{
    return (linear & MMU_PAGE_OFFSET) <= MMU_PAGE_SIZE - size && tag == (linear & TLB_PAGE_MASK);
}

static uint64_t mmu_load_mode(struct cpu_exec *c, int mode, uint64_t linear, unsigned size)
{
    if (size == 0 || size > 8)
        abort();
    struct tlb_entry *e = tlb_slot(c, mode, linear);
    if (tlb_fast(e->tag_read, linear, size))
        return mmu_ld_le((const uint8_t *)(uintptr_t)(linear + e->addend), size);
    uint8_t buf[8];
    mmu_access_slow(c, mode, linear, buf, size, MMU_READ);
    return mmu_ld_le(buf, size);
}

static void mmu_store_mode(struct cpu_exec *c, int mode, uint64_t linear, unsigned size,
                           uint64_t value)
{
    if (size == 0 || size > 8)
        abort();
    struct tlb_entry *e = tlb_slot(c, mode, linear);
    if (tlb_fast(e->tag_write, linear, size)) {
        mmu_st_le((uint8_t *)(uintptr_t)(linear + e->addend), size, value);
        return;
    }
    uint8_t buf[8];
    mmu_st_le(buf, size, value);
    mmu_access_slow(c, mode, linear, buf, size, MMU_WRITE);
}

uint64_t mmu_load(struct cpu_exec *c, uint64_t linear, unsigned size)
{
    return mmu_load_mode(c, mmu_mode(c), linear, size);
}

void mmu_store(struct cpu_exec *c, uint64_t linear, unsigned size, uint64_t value)
{
    mmu_store_mode(c, mmu_mode(c), linear, size, value);
}

uint64_t mmu_load_sys(struct cpu_exec *c, uint64_t linear, unsigned size)
{
    return mmu_load_mode(c, TLB_MMU_SUPERVISOR, linear, size);
}

void mmu_store_sys(struct cpu_exec *c, uint64_t linear, unsigned size, uint64_t value)
{
    mmu_store_mode(c, TLB_MMU_SUPERVISOR, linear, size, value);
}

void mmu_load_bytes(struct cpu_exec *c, uint64_t linear, void *buf, unsigned size)
{
    if (!size)
        return;
    int mode = mmu_mode(c);
    struct tlb_entry *e = tlb_slot(c, mode, linear);
    if (size <= MMU_PAGE_SIZE && tlb_fast(e->tag_read, linear, size)) {
        memcpy(buf, (const void *)(uintptr_t)(linear + e->addend), size);
        return;
    }
    mmu_access_slow(c, mode, linear, buf, size, MMU_READ);
}

void mmu_store_bytes(struct cpu_exec *c, uint64_t linear, const void *buf, unsigned size)
{
    if (!size)
        return;
    int mode = mmu_mode(c);
    struct tlb_entry *e = tlb_slot(c, mode, linear);
    if (size <= MMU_PAGE_SIZE && tlb_fast(e->tag_write, linear, size)) {
        memcpy((void *)(uintptr_t)(linear + e->addend), buf, size);
        return;
    }
    /* The slow path only reads from buf for a write. */
    mmu_access_slow(c, mode, linear, (uint8_t *)(uintptr_t)buf, size, MMU_WRITE);
}

unsigned mmu_fetch(struct cpu_exec *c, uint64_t linear, uint8_t *buf, unsigned len,
                   uint64_t *phys_first)
{
    const int mode = mmu_mode(c);
    const uint64_t amask = mmu_linear_mask(c);
    unsigned done = 0;
    while (done < len) {
        uint64_t lin = (linear + done) & amask;
        unsigned n = MMU_PAGE_SIZE - (unsigned)(lin & MMU_PAGE_OFFSET);
        if (n > len - done)
            n = len - done;
        struct tlb_entry *e = tlb_translate(c, mode, lin, MMU_EXEC, false);
        if (!e)
            break;
        if (done == 0 && phys_first)
            *phys_first = (e->phys & TLB_PAGE_MASK) | (lin & MMU_PAGE_OFFSET);
        tlb_copy(c, e, lin, buf + done, n, MMU_EXEC);
        done += n;
    }
    return done;
}

void mmu_probe_write(struct cpu_exec *c, uint64_t linear, unsigned size)
{
    uint64_t amask = mmu_linear_mask(c);
    uint64_t last = (linear + size - 1) & amask;
    for (uint64_t a = linear & amask;; a = ((a & ~(uint64_t)MMU_PAGE_OFFSET) + MMU_PAGE_SIZE) & amask) {
        struct mmu_walk_result res;
        if (!mmu_walk(c, a, MMU_WRITE, c->cpl == 3, &res))
            mmu_raise_pf(c, a, res.pf_error);
        if ((a & ~(uint64_t)MMU_PAGE_OFFSET) == (last & ~(uint64_t)MMU_PAGE_OFFSET))
            break;
    }
}

/* Calls fn on every slot of mode that may hold a translation; keep says
 * whether the slot stays listed. Rebuilds the list as it goes. */
static void tlb_visit(struct cpu_exec *c, int mode, bool (*fn)(struct tlb_entry *e, uint64_t arg),
                      uint64_t arg)
{
    unsigned kept = 0;
    if (c->tlb_used_ok[mode]) {
        unsigned n = c->tlb_used_count[mode];
        for (unsigned k = 0; k < n; k++) {
            unsigned i = c->tlb_used[mode][k];
            struct tlb_entry *e = &c->tlb[mode][i];
            if (e->tag_read != TLB_INVALID && fn(e, arg))
                c->tlb_used[mode][kept++] = (uint16_t)i;
        }
    } else {
        for (unsigned i = 0; i < TLB_SIZE; i++) {
            struct tlb_entry *e = &c->tlb[mode][i];
            if (e->tag_read == TLB_INVALID)
                continue;
            if (fn(e, arg))
                c->tlb_used[mode][kept++] = (uint16_t)i;
        }
        c->tlb_used_ok[mode] = true;
    }
    c->tlb_used_count[mode] = kept;
}

static bool tlb_drop(struct tlb_entry *e, uint64_t arg)
{
    (void)arg;
    tlb_entry_clear(e);
    return false;
}

static bool tlb_drop_nonglobal(struct tlb_entry *e, uint64_t arg)
{
    (void)arg;
    if (e->phys & TLB_PHYS_GLOBAL)
        return true;
    tlb_entry_clear(e);
    return false;
}

void tlb_flush_all(struct cpu_exec *c)
{
    for (int mode = 0; mode < TLB_MMU_MODES; mode++) {
        if (!c->tlb_used_ok[mode]) {
            /* Also puts never-used (zeroed) slots in their invalid state. */
            for (unsigned i = 0; i < TLB_SIZE; i++)
                tlb_entry_clear(&c->tlb[mode][i]);
            c->tlb_used_ok[mode] = true;
            c->tlb_used_count[mode] = 0;
            continue;
        }
        tlb_visit(c, mode, tlb_drop, 0);
    }
}

void tlb_flush_nonglobal(struct cpu_exec *c)
{
    for (int mode = 0; mode < TLB_MMU_MODES; mode++)
        tlb_visit(c, mode, tlb_drop_nonglobal, 0);
}

/* INVLPG of any address in a large page drops every 4 KiB piece of it,
 * which sit in other slots. */
static bool tlb_drop_large_piece(struct tlb_entry *e, uint64_t page)
{
    unsigned shift = (unsigned)((e->phys & TLB_PHYS_SHIFT_MASK) >> TLB_PHYS_SHIFT_POS);
    if (shift > 12 && ((tlb_entry_page(e) ^ page) >> shift) == 0) {
        tlb_entry_clear(e);
        return false;
    }
    return true;
}

static bool tlb_drop_phys(struct tlb_entry *e, uint64_t phys_page)
{
    if ((e->phys & TLB_PAGE_MASK) != phys_page)
        return true;
    tlb_entry_clear(e);
    return false;
}

void tlb_flush_page(struct cpu_exec *c, uint64_t linear)
{
    const uint64_t page = linear & TLB_PAGE_MASK;
    for (int mode = 0; mode < TLB_MMU_MODES; mode++) {
        struct tlb_entry *e = tlb_slot(c, mode, linear);
        if (tlb_entry_page(e) == page)
            tlb_entry_clear(e);
        tlb_visit(c, mode, tlb_drop_large_piece, page);
    }
}

void tlb_flush_phys(struct cpu_exec *c, uint64_t phys_page)
{
    for (int mode = 0; mode < TLB_MMU_MODES; mode++)
        tlb_visit(c, mode, tlb_drop_phys, phys_page & TLB_PAGE_MASK);
}
