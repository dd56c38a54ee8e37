/* Unit tests for the soft MMU: page walks in every paging mode with hand-built
 * tables in guest RAM, #PF error codes, the TLB and its flushes, page-crossing
 * and MMIO accesses, code-page watches, and segment checks. */
#include <check.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/exception.h"
#include "cpu/exec.h"
#include "hw/machine.h"
#include "softmmu/mmu.h"
#include "test_util.h"

#define RAM_SIZE (8u << 20)
#define TABLES_START 0x10000u
#define TABLES_END 0x100000u

#define F_P  0x001ull
#define F_RW 0x002ull
#define F_US 0x004ull
#define F_A  0x020ull
#define F_D  0x040ull
#define F_PS 0x080ull
#define F_G  0x100ull
#define F_NX (1ull << 63)

#define PF_P 1u
#define PF_W 2u
#define PF_U 4u
#define PF_RSVD 8u
#define PF_ID 16u

struct env {
    struct machine m;
    uint8_t *ram;
    struct cpu_exec *c;
    uint64_t next_table;
};

static struct env *env_new(void)
{
    struct env *t = calloc(1, sizeof(*t));
    ck_assert_ptr_nonnull(t);
    t->ram = test_machine_with_ram(&t->m, RAM_SIZE);
    t->c = calloc(1, sizeof(*t->c));
    ck_assert_ptr_nonnull(t->c);
    t->c->m = &t->m;
    t->c->fault.vector = -1;
    t->next_table = TABLES_START;
    tlb_flush_all(t->c);
    return t;
}

static void env_free(struct env *t)
{
    free(t->c->code_pages);
    free(t->c);
    test_machine_free_ram(&t->m);
    free(t);
}

static uint64_t rd(struct env *t, uint64_t pa, unsigned size)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint64_t)t->ram[pa + i] << (8 * i);
    return v;
}

static void wr(struct env *t, uint64_t pa, unsigned size, uint64_t v)
{
    for (unsigned i = 0; i < size; i++)
        t->ram[pa + i] = (uint8_t)(v >> (8 * i));
}

static uint64_t alloc_table(struct env *t)
{
    uint64_t a = t->next_table;
    ck_assert_uint_lt(a, TABLES_END);
    t->next_table += 0x1000;
    memset(t->ram + a, 0, 0x1000);
    return a;
}

/* Paging modes as the tests set them up; the CR3 table comes from the pool. */
static void mode_32bit(struct env *t, bool pse)
{
    struct x86_cpu *cpu = &t->c->cpu;
    cpu->cr3 = alloc_table(t);
    cpu->cr4 = pse ? X86_CR4_PSE : 0;
    cpu->efer = 0;
    cpu->cr0 = X86_CR0_PE | X86_CR0_PG;
    tlb_flush_all(t->c);
}

static void mode_pae(struct env *t, bool nxe)
{
    struct x86_cpu *cpu = &t->c->cpu;
    /* Only 32-byte alignment is required of the PDPT: put it off a page
     * boundary to prove CR3 bits 11:5 are used. */
    cpu->cr3 = alloc_table(t) + 0x20;
    cpu->cr4 = X86_CR4_PAE;
    cpu->efer = nxe ? X86_EFER_NXE : 0;
    cpu->cr0 = X86_CR0_PE | X86_CR0_PG;
    tlb_flush_all(t->c);
}

static void mode_long(struct env *t)
{
    struct x86_cpu *cpu = &t->c->cpu;
    cpu->cr3 = alloc_table(t);
    cpu->cr4 = X86_CR4_PAE;
    cpu->efer = X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE;
    cpu->cr0 = X86_CR0_PE | X86_CR0_PG;
    tlb_flush_all(t->c);
}

static unsigned entry_size(struct env *t)
{
    return (t->c->cpu.cr4 & X86_CR4_PAE) ? 8 : 4;
}

/* Physical address of the entry for lin at the level whose pages are
 * 1 << shift bytes, creating missing tables above it with inter flags. */
static uint64_t entry_addr(struct env *t, uint64_t lin, unsigned shift, uint64_t inter)
{
    const struct x86_cpu *cpu = &t->c->cpu;
    if (!(cpu->cr4 & X86_CR4_PAE)) {
        uint64_t pde_addr = (cpu->cr3 & ~0xfffull) + ((lin >> 22) & 0x3ff) * 4;
        if (shift == 22)
            return pde_addr;
        uint64_t pde = rd(t, pde_addr, 4);
        if (!(pde & F_P)) {
            pde = alloc_table(t) | inter;
            wr(t, pde_addr, 4, pde);
        }
        return (pde & 0xfffff000ull) + ((lin >> 12) & 0x3ff) * 4;
    }
    uint64_t table;
    unsigned top;
    if (cpu->efer & X86_EFER_LMA) {
        table = cpu->cr3 & ~0xfffull;
        top = 39;
    } else {
        uint64_t pdpte_addr = (cpu->cr3 & ~0x1full) + ((lin >> 30) & 3) * 8;
        if (shift == 30)
            return pdpte_addr;
        uint64_t pdpte = rd(t, pdpte_addr, 8);
        if (!(pdpte & F_P)) {
            pdpte = alloc_table(t) | F_P;
            wr(t, pdpte_addr, 8, pdpte);
        }
        table = pdpte & 0xffffff000ull;
        top = 21;
    }
    for (unsigned s = top;; s -= 9) {
        uint64_t addr = table + ((lin >> s) & 0x1ff) * 8;
        if (s == shift)
            return addr;
        uint64_t e = rd(t, addr, 8);
        if (!(e & F_P)) {
            e = alloc_table(t) | inter;
            wr(t, addr, 8, e);
        }
        table = e & 0xffffff000ull;
    }
}

static uint64_t map_page(struct env *t, uint64_t lin, uint64_t phys, uint64_t flags, unsigned shift)
{
    uint64_t a = entry_addr(t, lin, shift, F_P | F_RW | F_US);
    wr(t, a, entry_size(t), phys | flags | (shift > 12 ? F_PS : 0));
    return a;
}

static uint64_t map4k(struct env *t, uint64_t lin, uint64_t phys, uint64_t flags)
{
    return map_page(t, lin, phys, flags, 12);
}

/* Fault catchers: each returns the vector raised, or -1. */
static int try_load(struct cpu_exec *c, uint64_t lin, unsigned size, uint64_t *out)
{
    sigjmp_buf jb;
    c->unwind = &jb;
    c->fault.vector = -1;
    if (sigsetjmp(jb, 0))
        return c->fault.vector;
    uint64_t v = mmu_load(c, lin, size);
    if (out)
        *out = v;
    return -1;
}

static int try_store(struct cpu_exec *c, uint64_t lin, unsigned size, uint64_t v)
{
    sigjmp_buf jb;
    c->unwind = &jb;
    c->fault.vector = -1;
    if (sigsetjmp(jb, 0))
        return c->fault.vector;
    mmu_store(c, lin, size, v);
    return -1;
}

static int try_load_sys(struct cpu_exec *c, uint64_t lin, unsigned size, uint64_t *out)
{
    sigjmp_buf jb;
    c->unwind = &jb;
    c->fault.vector = -1;
    if (sigsetjmp(jb, 0))
        return c->fault.vector;
    *out = mmu_load_sys(c, lin, size);
    return -1;
}

static int try_store_sys(struct cpu_exec *c, uint64_t lin, unsigned size, uint64_t v)
{
    sigjmp_buf jb;
    c->unwind = &jb;
    c->fault.vector = -1;
    if (sigsetjmp(jb, 0))
        return c->fault.vector;
    mmu_store_sys(c, lin, size, v);
    return -1;
}

static int try_store_bytes(struct cpu_exec *c, uint64_t lin, const void *buf, unsigned size)
{
    sigjmp_buf jb;
    c->unwind = &jb;
    c->fault.vector = -1;
    if (sigsetjmp(jb, 0))
        return c->fault.vector;
    mmu_store_bytes(c, lin, buf, size);
    return -1;
}

static int try_load_bytes(struct cpu_exec *c, uint64_t lin, void *buf, unsigned size)
{
    sigjmp_buf jb;
    c->unwind = &jb;
    c->fault.vector = -1;
    if (sigsetjmp(jb, 0))
        return c->fault.vector;
    mmu_load_bytes(c, lin, buf, size);
    return -1;
}

static int try_seg(struct cpu_exec *c, int seg, uint64_t off, unsigned size,
                   enum mmu_access acc, uint64_t *lin)
{
    sigjmp_buf jb;
    c->unwind = &jb;
    c->fault.vector = -1;
    if (sigsetjmp(jb, 0))
        return c->fault.vector;
    uint64_t l = mmu_seg_linear(c, seg, off, size, acc);
    if (lin)
        *lin = l;
    return -1;
}

static uint64_t load_ok(struct cpu_exec *c, uint64_t lin, unsigned size)
{
    uint64_t v = 0;
    ck_assert_int_eq(try_load(c, lin, size, &v), -1);
    return v;
}

static void store_ok(struct cpu_exec *c, uint64_t lin, unsigned size, uint64_t v)
{
    ck_assert_int_eq(try_store(c, lin, size, v), -1);
}

static void assert_pf(struct cpu_exec *c, int vector, uint32_t err, uint64_t cr2)
{
    ck_assert_int_eq(vector, X86_EXC_PF);
    ck_assert(c->fault.has_error_code);
    ck_assert_uint_eq(c->fault.error_code, err);
    ck_assert_uint_eq(c->cpu.cr2, cr2);
}

static struct tlb_entry *slot(struct cpu_exec *c, int mode, uint64_t lin)
{
    return &c->tlb[mode][(lin >> 12) & (TLB_SIZE - 1)];
}

START_TEST(paging_off_is_identity_truncated_and_a20_masked)
{
    struct env *t = env_new();
    struct cpu_exec *c = t->c;
    wr(t, 0x1234, 4, 0xcafef00d);
    ck_assert_uint_eq(load_ok(c, 0x1234, 4), 0xcafef00d);
    /* Outside long mode linear addresses are 32 bits. */
    ck_assert_uint_eq(load_ok(c, 0x100001234ull, 4), 0xcafef00d);
    store_ok(c, 0x2000, 2, 0xbeef);
    ck_assert_uint_eq(rd(t, 0x2000, 2), 0xbeef);
    ck_assert_uint_eq(rd(t, 0x2002, 1), 0);

    struct mmu_walk_result r;
    ck_assert(mmu_walk(c, 0x345678, MMU_WRITE, true, &r));
    ck_assert_uint_eq(r.phys, 0x345678);
    ck_assert(r.writable && r.user && !r.nx);

    /* A20 closed: 0x101234 reaches 0x001234. */
    ck_assert_uint_eq(load_ok(c, 0x101234, 4), 0);
    machine_set_a20(&t->m, false);
    tlb_flush_all(c);
    ck_assert_uint_eq(load_ok(c, 0x101234, 4), 0xcafef00d);
    env_free(t);
}
END_TEST

START_TEST(walk_32bit_4k_sets_accessed_then_dirty)
{
    struct env *t = env_new();
    struct cpu_exec *c = t->c;
    mode_32bit(t, false);
    uint64_t pte = map4k(t, 0x00403000, 0x200000, F_P | F_RW);
    uint64_t pde = entry_addr(t, 0x00403000, 22, 0);
    wr(t, 0x200010, 4, 0xdeadbeef);

    ck_assert_uint_eq(load_ok(c, 0x00403010, 4), 0xdeadbeef);
    ck_assert_uint_eq(rd(t, pde, 4) & (F_A | F_D), F_A);
    ck_assert_uint_eq(rd(t, pte, 4) & (F_A | F_D), F_A);
    struct tlb_entry *e = slot(c, TLB_MMU_SUPERVISOR, 0x00403000);
    ck_assert_uint_eq(e->tag_read, 0x00403000);
    /* Not dirty yet: a write must miss so the walk can set D. */
    ck_assert_uint_eq(e->tag_write, TLB_INVALID);
    ck_assert_uint_eq(e->tag_code, 0x00403000);
    ck_assert_uint_eq(e->phys & TLB_PAGE_MASK, 0x200000);
    ck_assert_ptr_eq((void *)(uintptr_t)(0x00403010 + e->addend), t->ram + 0x200010);

    store_ok(c, 0x00403ffc, 4, 0x01020304);
    ck_assert_uint_eq(rd(t, 0x200ffc, 4), 0x01020304);
    ck_assert_uint_eq(rd(t, pte, 4) & (F_A | F_D), F_A | F_D);
    ck_assert_uint_eq(rd(t, pde, 4) & F_D, 0);
    ck_assert_uint_eq(e->tag_write, 0x00403000);

    struct mmu_walk_result r;
    ck_assert(mmu_walk(c, 0x00403abc, MMU_READ, false, &r));
    ck_assert_uint_eq(r.phys, 0x200abc);
    ck_assert_uint_eq(r.page_size, 4096);
    ck_assert(r.writable && !r.user && !r.nx);
    env_free(t);
}
END_TEST

START_TEST(walk_32bit_pse_4m_and_pse36)
{
    struct env *t = env_new();
    struct cpu_exec *c = t->c;
    mode_32bit(t, true);
    uint64_t pde = map_page(t, 0x00800000, 0x400000, F_P | F_RW, 22);
    wr(t, 0x523456, 4, 0x600df00d);
    ck_assert_uint_eq(load_ok(c, 0x00923456, 4), 0x600df00d);
    store_ok(c, 0x00800004, 4, 7);
    ck_assert_uint_eq(rd(t, 0x400004, 4), 7);
    ck_assert_uint_eq(rd(t, pde, 4) & (F_A | F_D), F_A | F_D);

    struct mmu_walk_result r;
    ck_assert(mmu_walk(c, 0x00923456, MMU_READ, false, &r));
    ck_assert_uint_eq(r.page_size, 4u << 20);
    ck_assert_uint_eq(r.phys, 0x523456);

    /* PSE-36: PDE bits 16:13 give physical address bits 35:32. */
    wr(t, entry_addr(t, 0x00c00000, 22, 0), 4, 0x00400000 | (0x3u << 13) | F_PS | F_P);
    ck_assert(mmu_walk(c, 0x00c00010, MMU_READ, false, &r));
    ck_assert_uint_eq(r.phys, 0x300400010ull);

    /* Bits 21:17 are reserved with a 36-bit MAXPHYADDR. */
    wr(t, entry_addr(t, 0x01000000, 22, 0), 4, 0x00400000 | (1u << 17) | F_PS | F_P);
    ck_assert(!mmu_walk(c, 0x01000000, MMU_READ, false, &r));
    ck_assert_uint_eq(r.pf_error, PF_P | PF_RSVD);
    assert_pf(c, try_load(c, 0x01000008, 1, NULL), PF_P | PF_RSVD, 0x01000008);

    /* Without CR4.PSE the PS bit is ignored and the PDE points to a table. */
    c->cpu.cr4 = 0;
    tlb_flush_all(c);
    wr(t, 0x400000 + 0x123 * 4, 4, 0x00205000 | F_P);
    wr(t, 0x205040, 4, 0x55aa55aa);
    ck_assert_uint_eq(load_ok(c, 0x00923040, 4), 0x55aa55aa);
    env_free(t);
}
END_TEST

START_TEST(walk_pae_4k_2m_nx_and_reserved_bits)
{
    struct env *t = env_new();
    struct cpu_exec *c = t->c;
    mode_pae(t, true);
    uint64_t pte = map4k(t, 0x40001000, 0x201000, F_P | F_RW);
    uint64_t pdpte = entry_addr(t, 0x40001000, 30, 0);
    uint64_t pdpte_before = rd(t, pdpte, 8);
    map_page(t, 0x00600000, 0x400000, F_P | F_RW, 21);
    wr(t, 0x201008, 8, 0x1122334455667788ull);
    wr(t, 0x4abcd0, 4, 0x99);

    ck_assert_uint_eq(load_ok(c, 0x40001008, 8), 0x1122334455667788ull);
    ck_assert_uint_eq(load_ok(c, 0x006abcd0, 4), 0x99);
    ck_assert_uint_eq(rd(t, pte, 8) & F_A, F_A);
    /* PAE PDPTEs have no accessed bit to set. */
    ck_assert_uint_eq(rd(t, pdpte, 8), pdpte_before);

    struct mmu_walk_result r;
    ck_assert(mmu_walk(c, 0x006abcd0, MMU_READ, false, &r));
    ck_assert_uint_eq(r.page_size, 2u << 20);
    ck_assert_uint_eq(r.phys, 0x4abcd0);

    /* NX page: data reads work, fetches fault with I/D. */
    map4k(t, 0x40002000, 0x202000, F_P | F_RW | F_US | F_NX);
    ck_assert_uint_eq(load_ok(c, 0x40002000, 4), 0);
    ck_assert(!mmu_walk(c, 0x40002000, MMU_EXEC, false, &r));
    ck_assert_uint_eq(r.pf_error, PF_P | PF_ID);
    ck_assert(!mmu_walk(c, 0x40002000, MMU_EXEC, true, &r));
    ck_assert_uint_eq(r.pf_error, PF_P | PF_ID | PF_U);
    ck_assert(mmu_walk(c, 0x40002000, MMU_READ, true, &r));
    ck_assert(r.nx && r.user);
    uint8_t buf[4];
    ck_assert_uint_eq(mmu_fetch(c, 0x40002000, buf, 4, NULL), 0);
    /* Not-present fetch also carries I/D when NXE is on. */
    ck_assert(!mmu_walk(c, 0x40005000, MMU_EXEC, false, &r));
    ck_assert_uint_eq(r.pf_error, PF_ID);

    /* PTE bit 62 (above MAXPHYADDR) is reserved under PAE. */
    map4k(t, 0x40003000, 0x203000 | (1ull << 62), F_P | F_RW);
    assert_pf(c, try_load(c, 0x40003010, 4, NULL), PF_P | PF_RSVD, 0x40003010);
    assert_pf(c, try_store(c, 0x40003010, 4, 1), PF_P | PF_RSVD | PF_W, 0x40003010);
    /* 2 MiB PDE bits 20:13 are reserved. */
    map_page(t, 0x00800000, 0x400000 | (1ull << 13), F_P, 21);
    assert_pf(c, try_load(c, 0x00800000, 4, NULL), PF_P | PF_RSVD, 0x00800000);
    /* PDPTE reserved bit 5. */
    wr(t, entry_addr(t, 0x80000000, 30, 0), 8, alloc_table(t) | F_P | (1ull << 5));
    assert_pf(c, try_load(c, 0x80000000, 4, NULL), PF_P | PF_RSVD, 0x80000000);

    /* With EFER.NXE clear, bit 63 is reserved and fetches carry no I/D. */
    c->cpu.efer = 0;
    tlb_flush_all(c);
    assert_pf(c, try_load(c, 0x40002000, 4, NULL), PF_P | PF_RSVD, 0x40002000);
    ck_assert(!mmu_walk(c, 0x40005000, MMU_EXEC, false, &r));
    ck_assert_uint_eq(r.pf_error, 0);
    env_free(t);
}
END_TEST

START_TEST(walk_long_mode_4k_2m_1g)
{
    struct env *t = env_new();
    struct cpu_exec *c = t->c;
    mode_long(t);
    uint64_t hi = 0xffff800000001000ull;
    uint64_t pte = map4k(t, hi, 0x202000, F_P | F_RW);
    map_page(t, 0x00007f0000200000ull, 0x400000, F_P | F_RW | F_US, 21);
    map_page(t, 0x40000000ull, 0, F_P | F_RW, 30);
    wr(t, 0x202ff8, 8, 0x0123456789abcdefull);
    wr(t, 0x412340, 2, 0x4242);
    wr(t, 0x7ffff0, 4, 0x31415926);

    ck_assert_uint_eq(load_ok(c, hi + 0xff8, 8), 0x0123456789abcdefull);
    ck_assert_uint_eq(load_ok(c, 0x00007f0000212340ull, 2), 0x4242);
    ck_assert_uint_eq(load_ok(c, 0x407ffff0ull, 4), 0x31415926);
    /* Long mode does not truncate linear addresses to 32 bits. */
    struct tlb_entry *e = slot(c, TLB_MMU_SUPERVISOR, hi);
    ck_assert_uint_eq(e->tag_read, hi);

    /* Accessed bits on all four levels. */
    for (unsigned s = 39; s >= 12; s -= 9)
        ck_assert_uint_eq(rd(t, entry_addr(t, hi, s, 0), 8) & F_A, F_A);
    store_ok(c, hi, 1, 0x5a);
    ck_assert_uint_eq(rd(t, pte, 8) & F_D, F_D);
    ck_assert_uint_eq(t->ram[0x202000], 0x5a);

    struct mmu_walk_result r;
    ck_assert(mmu_walk(c, 0x40000000ull + 0x123456, MMU_READ, false, &r));
    ck_assert_uint_eq(r.page_size, 1ull << 30);
    ck_assert_uint_eq(r.phys, 0x123456);
    ck_assert(mmu_walk(c, 0x00007f0000212340ull, MMU_READ, true, &r));
    ck_assert_uint_eq(r.page_size, 2u << 20);
    ck_assert_uint_eq(r.phys, 0x412340);

    /* Bits 62:52 are ignored in 4-level paging, unlike PAE. */
    map4k(t, 0x5000, 0x205000 | (1ull << 55), F_P | F_RW);
    ck_assert(mmu_walk(c, 0x5000, MMU_READ, false, &r));
    ck_assert_uint_eq(r.phys, 0x205000);
    /* Bits 51:MAXPHYADDR are reserved. */
    map4k(t, 0x6000, 0x206000 | (1ull << 40), F_P | F_RW);
    ck_assert(!mmu_walk(c, 0x6000, MMU_READ, false, &r));
    ck_assert_uint_eq(r.pf_error, PF_P | PF_RSVD);
    /* PS is reserved in a PML4E; 1 GiB PDPTE bits 29:13 are reserved. */
    uint64_t pml4e = entry_addr(t, 0x0000008000000000ull, 39, 0);
    wr(t, pml4e, 8, alloc_table(t) | F_P | F_RW | F_PS);
    ck_assert(!mmu_walk(c, 0x0000008000000000ull, MMU_WRITE, true, &r));
    ck_assert_uint_eq(r.pf_error, PF_P | PF_RSVD | PF_W | PF_U);
    map_page(t, 0x80000000ull, (1ull << 13), F_P, 30);
    ck_assert(!mmu_walk(c, 0x80000000ull, MMU_READ, false, &r));
    ck_assert_uint_eq(r.pf_error, PF_P | PF_RSVD);
    /* NX in an upper level forbids fetches below it. */
    uint64_t pdpte = entry_addr(t, hi, 30, 0);
    wr(t, pdpte, 8, rd(t, pdpte, 8) | F_NX);
    ck_assert(!mmu_walk(c, hi, MMU_EXEC, false, &r));
    ck_assert_uint_eq(r.pf_error, PF_P | PF_ID);
    env_free(t);
}
END_TEST

START_TEST(page_fault_error_codes_and_wp)
{
    struct env *t = env_new();
    struct cpu_exec *c = t->c;
    mode_32bit(t, false);
    map4k(t, 0x1000, 0x201000, F_P | F_RW);           /* supervisor, writable */
    map4k(t, 0x2000, 0x202000, F_P | F_US);           /* user, read-only */
    map4k(t, 0x3000, 0x203000, F_P | F_RW | F_US);    /* user, writable */
    /* A user-writable PTE under a supervisor-only, read-only PDE. */
    uint64_t pde = entry_addr(t, 0x00400000, 22, 0);
    wr(t, pde, 4, alloc_table(t) | F_P);
    map4k(t, 0x00401000, 0x204000, F_P | F_RW | F_US);

    /* Not present: P=0, W and U as the access was. */
    assert_pf(c, try_load(c, 0x900123, 4, NULL), 0, 0x900123);
    assert_pf(c, try_store(c, 0x900124, 4, 0), PF_W, 0x900124);
    c->cpl = 3;
    assert_pf(c, try_load(c, 0x900125, 1, NULL), PF_U, 0x900125);
    assert_pf(c, try_store(c, 0x900126, 1, 0), PF_U | PF_W, 0x900126);

    /* CPL 3 on supervisor pages and read-only pages. */
    assert_pf(c, try_load(c, 0x1010, 4, NULL), PF_P | PF_U, 0x1010);
    ck_assert_uint_eq(load_ok(c, 0x2010, 4), 0);
    assert_pf(c, try_store(c, 0x2010, 4, 1), PF_P | PF_W | PF_U, 0x2010);
    store_ok(c, 0x3010, 4, 0x33);
    ck_assert_uint_eq(rd(t, 0x203010, 4), 0x33);
    /* Rights combine over the levels. */
    assert_pf(c, try_load(c, 0x00401000, 4, NULL), PF_P | PF_U, 0x00401000);
    wr(t, pde, 4, rd(t, pde, 4) | F_US);
    tlb_flush_all(c);
    ck_assert_uint_eq(load_ok(c, 0x00401000, 4), 0);
    assert_pf(c, try_store(c, 0x00401000, 4, 1), PF_P | PF_W | PF_U, 0x00401000);

    /* Supervisor: reads user pages, writes read-only ones unless CR0.WP. */
    c->cpl = 0;
    ck_assert_uint_eq(load_ok(c, 0x3010, 4), 0x33);
    store_ok(c, 0x2020, 4, 0x22);
    ck_assert_uint_eq(rd(t, 0x202020, 4), 0x22);
    c->cpu.cr0 |= X86_CR0_WP;
    tlb_flush_all(c);
    assert_pf(c, try_store(c, 0x2024, 4, 1), PF_P | PF_W, 0x2024);
    ck_assert_uint_eq(rd(t, 0x202024, 4), 0);
    store_ok(c, 0x1000, 4, 0x11);
    ck_assert_uint_eq(rd(t, 0x201000, 4), 0x11);

    /* The user table and the supervisor table are separate. */
    ck_assert_uint_eq(slot(c, TLB_MMU_USER, 0x1000)->tag_read, TLB_INVALID);
    ck_assert_uint_eq(slot(c, TLB_MMU_SUPERVISOR, 0x1000)->tag_read, 0x1000);
    env_free(t);
}
END_TEST

START_TEST(implicit_supervisor_accesses_ignore_cpl)
{
    struct env *t = env_new();
    struct cpu_exec *c = t->c;
    mode_32bit(t, false);
    c->cpu.cr0 |= X86_CR0_WP;
    map4k(t, 0x1000, 0x201000, F_P | F_RW);
    map4k(t, 0x2000, 0x202000, F_P | F_US);
    wr(t, 0x201008, 8, 0x8877665544332211ull);
    c->cpl = 3;
    uint64_t v = 0;
    ck_assert_int_eq(try_load_sys(c, 0x1008, 8, &v), -1);
    ck_assert_uint_eq(v, 0x8877665544332211ull);
    ck_assert_int_eq(try_store_sys(c, 0x1010, 2, 0xabcd), -1);
    ck_assert_uint_eq(rd(t, 0x201010, 2), 0xabcd);
    assert_pf(c, try_load(c, 0x1008, 8, NULL), PF_P | PF_U, 0x1008);
    /* A supervisor write to a read-only page under WP: no U bit. */
    assert_pf(c, try_store_sys(c, 0x2000, 4, 1), PF_P | PF_W, 0x2000);
    env_free(t);
}
END_TEST

START_TEST(tlb_keeps_stale_translation_until_invlpg)
{
    struct env *t = env_new();
    struct cpu_exec *c = t->c;
    mode_32bit(t, true);
    uint64_t pte = map4k(t, 0x5000, 0x205000, F_P | F_RW);
    wr(t, 0x205000, 4, 0xaaaa);
    wr(t, 0x206000, 4, 0xbbbb);
    ck_assert_uint_eq(load_ok(c, 0x5000, 4), 0xaaaa);
    wr(t, pte, 4, 0x206000 | F_P | F_RW);
    ck_assert_uint_eq(load_ok(c, 0x5000, 4), 0xaaaa);
    tlb_flush_page(c, 0x5abc);
    ck_assert_uint_eq(load_ok(c, 0x5000, 4), 0xbbbb);

    /* A 4 MiB page cached as two 4 KiB pieces: INVLPG of one drops both. */
    uint64_t pde = map_page(t, 0x00800000, 0x400000, F_P | F_RW, 22);
    wr(t, 0x400000, 4, 1);
    wr(t, 0x401000, 4, 2);
    wr(t, 0x000000, 4, 3);
    wr(t, 0x001000, 4, 4);
    ck_assert_uint_eq(load_ok(c, 0x00800000, 4), 1);
    ck_assert_uint_eq(load_ok(c, 0x00801000, 4), 2);
    wr(t, pde, 4, 0 | F_PS | F_P | F_RW);
    ck_assert_uint_eq(load_ok(c, 0x00801000, 4), 2);
    tlb_flush_page(c, 0x00800000);
    ck_assert_uint_eq(load_ok(c, 0x00801000, 4), 4);
    ck_assert_uint_eq(load_ok(c, 0x00800000, 4), 3);
    env_free(t);
}
END_TEST

START_TEST(global_entries_survive_nonglobal_flush)
{
    struct env *t = env_new();
    struct cpu_exec *c = t->c;
    mode_32bit(t, false);
    c->cpu.cr4 |= X86_CR4_PGE;
    uint64_t pte_g = map4k(t, 0x7000, 0x207000, F_P | F_G);
    uint64_t pte_n = map4k(t, 0x8000, 0x208000, F_P);
    wr(t, 0x207000, 4, 0x70);
    wr(t, 0x208000, 4, 0x80);
    wr(t, 0x209000, 4, 0x90);
    ck_assert_uint_eq(load_ok(c, 0x7000, 4), 0x70);
    ck_assert_uint_eq(load_ok(c, 0x8000, 4), 0x80);
    wr(t, pte_g, 4, 0x209000 | F_P | F_G);
    wr(t, pte_n, 4, 0x209000 | F_P);
    tlb_flush_nonglobal(c);
    ck_assert_uint_eq(load_ok(c, 0x7000, 4), 0x70);
    ck_assert_uint_eq(load_ok(c, 0x8000, 4), 0x90);
    tlb_flush_all(c);
    ck_assert_uint_eq(load_ok(c, 0x7000, 4), 0x90);

    /* Without CR4.PGE the G bit means nothing. */
    wr(t, pte_g, 4, 0x207000 | F_P | F_G);
    c->cpu.cr4 &= ~X86_CR4_PGE;
    tlb_flush_all(c);
    ck_assert_uint_eq(load_ok(c, 0x7000, 4), 0x70);
    wr(t, pte_g, 4, 0x209000 | F_P | F_G);
    tlb_flush_nonglobal(c);
    ck_assert_uint_eq(load_ok(c, 0x7000, 4), 0x90);
    env_free(t);
}
END_TEST

START_TEST(page_crossing_access_checks_both_pages_first)
{
    struct env *t = env_new();
    struct cpu_exec *c = t->c;
    mode_32bit(t, false);
    map4k(t, 0x5000, 0x200000, F_P | F_RW | F_D);
    wr(t, 0x200ffc, 4, 0xa1a2a3a4);

    assert_pf(c, try_store(c, 0x5ffe, 4, 0x11223344), PF_W, 0x6000);
    ck_assert_uint_eq(rd(t, 0x200ffc, 4), 0xa1a2a3a4);
    assert_pf(c, try_load(c, 0x5ffe, 4, NULL), 0, 0x6000);
    uint8_t big[16];
    memset(big, 0x77, sizeof(big));
    assert_pf(c, try_store_bytes(c, 0x5ff8, big, 16), PF_W, 0x6000);
    ck_assert_uint_eq(rd(t, 0x200ff8, 4), 0);

    /* Second page read-only (WP on): a protection fault on it. */
    c->cpu.cr0 |= X86_CR0_WP;
    uint64_t pte2 = map4k(t, 0x6000, 0x300000, F_P);
    tlb_flush_all(c);
    assert_pf(c, try_store(c, 0x5fff, 2, 0xffff), PF_P | PF_W, 0x6000);
    ck_assert_uint_eq(rd(t, 0x200fff, 1), 0xa1);

    /* Both pages writable and physically apart. */
    wr(t, pte2, 4, 0x300000 | F_P | F_RW);
    tlb_flush_page(c, 0x6000);
    store_ok(c, 0x5ffe, 4, 0x11223344);
    ck_assert_uint_eq(rd(t, 0x200ffe, 2), 0x3344);
    ck_assert_uint_eq(rd(t, 0x300000, 2), 0x1122);
    ck_assert_uint_eq(load_ok(c, 0x5ffe, 4), 0x11223344);
    ck_assert_uint_eq(load_ok(c, 0x5ffd, 8), 0x11223344a3ull);

    uint8_t in[16], out[16];
    for (unsigned i = 0; i < 16; i++)
        in[i] = (uint8_t)(0xc0 + i);
    ck_assert_int_eq(try_store_bytes(c, 0x5ff5, in, 16), -1);
    ck_assert_int_eq(memcmp(t->ram + 0x200ff5, in, 11), 0);
    ck_assert_int_eq(memcmp(t->ram + 0x300000, in + 11, 5), 0);
    memset(out, 0, sizeof(out));
    ck_assert_int_eq(try_load_bytes(c, 0x5ff5, out, 16), -1);
    ck_assert_int_eq(memcmp(in, out, 16), 0);
    env_free(t);
}
END_TEST

struct mmio_rec {
    int calls;
    uint64_t offset[8];
    unsigned len[8];
    bool write[8];
    uint64_t value[8];
};

static void mmio_handler(void *opaque, uint64_t offset, uint8_t *data, unsigned len, bool is_write)
{
    struct mmio_rec *r = opaque;
    unsigned i = r->calls < 8 ? (unsigned)r->calls : 7;
    r->calls++;
    r->offset[i] = offset;
    r->len[i] = len;
    r->write[i] = is_write;
    if (is_write)
        r->value[i] = io_data_get(data, len);
    else
        io_data_put(data, len, 0x1122334455667788ull >> (8 * (8 - len)) ^ offset);
}

START_TEST(mmio_reaches_the_iomap_handler)
{
    struct env *t = env_new();
    struct cpu_exec *c = t->c;
    struct mmio_rec rec = { 0 };
    ck_assert_int_eq(iomap_add(&t->m.mem.mmio, 0xfed00000, 0x1000, mmio_handler, &rec, "dev"), 0);

    /* Paging off. */
    ck_assert_uint_eq(load_ok(c, 0xfed00010, 4), 0x11223344u ^ 0x10);
    ck_assert_int_eq(rec.calls, 1);
    ck_assert_uint_eq(rec.offset[0], 0x10);
    ck_assert_uint_eq(rec.len[0], 4);
    ck_assert(!rec.write[0]);
    store_ok(c, 0xfed00020, 2, 0xabcd);
    ck_assert_int_eq(rec.calls, 2);
    ck_assert(rec.write[1]);
    ck_assert_uint_eq(rec.offset[1], 0x20);
    ck_assert_uint_eq(rec.value[1], 0xabcd);
    struct tlb_entry *e = slot(c, TLB_MMU_SUPERVISOR, 0xfed00000);
    ck_assert_uint_eq(e->tag_read, 0xfed00000 | TLB_FLAG_SLOW);
    ck_assert_uint_eq(e->tag_write, 0xfed00000 | TLB_FLAG_SLOW);

    /* Through a page mapping, 8 and 16 bytes. */
    mode_32bit(t, false);
    map4k(t, 0x7000, 0xfed00000, F_P | F_RW | F_D);
    rec.calls = 0;
    ck_assert_uint_eq(load_ok(c, 0x7008, 8), 0x1122334455667788ull ^ 8);
    ck_assert_int_eq(rec.calls, 1);
    ck_assert_uint_eq(rec.len[0], 8);
    uint8_t data[16];
    for (unsigned i = 0; i < 16; i++)
        data[i] = (uint8_t)i;
    ck_assert_int_eq(try_store_bytes(c, 0x7100, data, 16), -1);
    ck_assert_int_eq(rec.calls, 3);
    ck_assert_uint_eq(rec.offset[1], 0x100);
    ck_assert_uint_eq(rec.len[1], 8);
    ck_assert_uint_eq(rec.value[1], 0x0706050403020100ull);
    ck_assert_uint_eq(rec.offset[2], 0x108);
    ck_assert_uint_eq(rec.value[2], 0x0f0e0d0c0b0a0908ull);
    env_free(t);
}
END_TEST

struct code_rec {
    int calls;
    uint64_t phys;
    unsigned len;
    uint32_t seen;  /* what RAM held when told */
    uint8_t *ram;
};

static void on_code_write(void *opaque, uint64_t phys, unsigned len)
{
    struct code_rec *r = opaque;
    r->calls++;
    r->phys = phys;
    r->len = len;
    r->seen = (uint32_t)(r->ram[phys] | r->ram[phys + 1] << 8 | r->ram[phys + 2] << 16 |
                         (uint32_t)r->ram[phys + 3] << 24);
}

START_TEST(writes_to_watched_code_pages_are_reported)
{
    struct env *t = env_new();
    struct cpu_exec *c = t->c;
    struct code_rec rec = { .ram = t->ram };
    c->code_pages = calloc(1, RAM_SIZE / 4096 / 8);
    c->code_pages_limit = RAM_SIZE / 4096;
    c->code_write = on_code_write;
    c->code_write_opaque = &rec;
    c->code_pages[0x200 >> 3] |= 1 << (0x200 & 7);

    store_ok(c, 0x200100, 4, 0x90909090);
    ck_assert_int_eq(rec.calls, 1);
    ck_assert_uint_eq(rec.phys, 0x200100);
    ck_assert_uint_eq(rec.len, 4);
    ck_assert_uint_eq(rec.seen, 0x90909090);
    ck_assert_uint_eq(rd(t, 0x200100, 4), 0x90909090);
    ck_assert_uint_eq(slot(c, TLB_MMU_SUPERVISOR, 0x200000)->tag_write, 0x200000 | TLB_FLAG_SLOW);
    /* Reads of the page stay on the fast path. */
    ck_assert_uint_eq(slot(c, TLB_MMU_SUPERVISOR, 0x200000)->tag_read, 0x200000);
    store_ok(c, 0x201000, 4, 1);
    ck_assert_int_eq(rec.calls, 1);

    /* A page cached before it held code: tlb_flush_phys makes the next
     * write take the slow path. */
    store_ok(c, 0x202000, 4, 1);
    c->code_pages[0x202 >> 3] |= 1 << (0x202 & 7);
    tlb_flush_phys(c, 0x202000);
    store_ok(c, 0x202ffe, 4, 0xccddeeff);
    /* Split at the page end: only the watched part is reported. */
    ck_assert_int_eq(rec.calls, 2);
    ck_assert_uint_eq(rec.phys, 0x202ffe);
    ck_assert_uint_eq(rec.len, 2);
    ck_assert_uint_eq(rd(t, 0x202ffe, 4), 0xccddeeff);
    env_free(t);
}
END_TEST

START_TEST(fetch_stops_at_the_first_faulting_byte)
{
    struct env *t = env_new();
    struct cpu_exec *c = t->c;
    sigjmp_buf jb;
    c->unwind = &jb;
    if (sigsetjmp(jb, 0))
        ck_abort_msg("mmu_fetch raised an exception");
    mode_32bit(t, false);
    map4k(t, 0x8000, 0x200000, F_P);
    for (unsigned i = 0; i < 8; i++)
        t->ram[0x200ff8 + i] = (uint8_t)(0xe0 + i);
    uint8_t buf[15];
    uint64_t phys = 0;
    ck_assert_uint_eq(mmu_fetch(c, 0x8ff8, buf, 15, &phys), 8);
    ck_assert_uint_eq(phys, 0x200ff8);
    ck_assert_uint_eq(buf[0], 0xe0);
    ck_assert_uint_eq(buf[7], 0xe7);
    ck_assert_uint_eq(mmu_fetch(c, 0x9000, buf, 15, &phys), 0);
    ck_assert_int_eq(c->fault.vector, -1);

    /* Across into a mapped page. */
    map4k(t, 0x9000, 0x300000, F_P);
    t->ram[0x300000] = 0x5a;
    ck_assert_uint_eq(mmu_fetch(c, 0x8ffc, buf, 6, &phys), 6);
    ck_assert_uint_eq(buf[4], 0x5a);
    ck_assert_uint_eq(slot(c, TLB_MMU_SUPERVISOR, 0x9000)->tag_code, 0x9000);

    /* At CPL 3 a supervisor page cannot be fetched from. */
    c->cpl = 3;
    ck_assert_uint_eq(mmu_fetch(c, 0x8000, buf, 4, &phys), 0);
    env_free(t);
}
END_TEST

START_TEST(smep_blocks_supervisor_fetch_from_user_pages)
{
    struct env *t = env_new();
    struct cpu_exec *c = t->c;
    mode_pae(t, false);
    map4k(t, 0x1000, 0x201000, F_P | F_US);
    uint8_t buf[4];
    ck_assert_uint_eq(mmu_fetch(c, 0x1000, buf, 4, NULL), 4);
    c->cpu.cr4 |= 1ull << 20;
    tlb_flush_all(c);
    ck_assert_uint_eq(mmu_fetch(c, 0x1000, buf, 4, NULL), 0);
    struct mmu_walk_result r;
    ck_assert(!mmu_walk(c, 0x1000, MMU_EXEC, false, &r));
    ck_assert_uint_eq(r.pf_error, PF_P | PF_ID);
    ck_assert_uint_eq(load_ok(c, 0x1000, 4), 0);
    c->cpl = 3;
    ck_assert_uint_eq(mmu_fetch(c, 0x1000, buf, 4, NULL), 4);
    env_free(t);
}
END_TEST

static void set_seg(struct cpu_exec *c, int seg, uint64_t base, uint32_t limit, uint16_t attr)
{
    c->cpu.seg[seg] = (struct x86_segment){ .selector = 0x10, .base = base, .limit = limit,
                                            .attr = attr };
}

#define DATA_ATTR (SEG_ATTR_P | SEG_ATTR_S)

START_TEST(segments_in_real_and_v86_mode)
{
    struct env *t = env_new();
    struct cpu_exec *c = t->c;
    uint64_t lin = 0;
    cpu_seg_load_real(&c->cpu.seg[S_DS], 0x1000);
    cpu_seg_load_real(&c->cpu.seg[S_SS], 0x2000);
    ck_assert_int_eq(try_seg(c, S_DS, 0x10, 2, MMU_READ, &lin), -1);
    ck_assert_uint_eq(lin, 0x10010);
    ck_assert_int_eq(try_seg(c, S_DS, 0xfffe, 2, MMU_WRITE, &lin), -1);
    ck_assert_int_eq(try_seg(c, S_DS, 0xffff, 2, MMU_READ, NULL), X86_EXC_GP);
    ck_assert_uint_eq(c->fault.error_code, 0);
    ck_assert_int_eq(try_seg(c, S_SS, 0xffff, 2, MMU_WRITE, NULL), X86_EXC_SS);
    ck_assert_uint_eq(c->fault.error_code, 0);
    /* Big real mode: a large cached limit is honoured. */
    c->cpu.seg[S_DS].limit = 0xffffffff;
    ck_assert_int_eq(try_seg(c, S_DS, 0x123456, 4, MMU_READ, &lin), -1);
    ck_assert_uint_eq(lin, 0x133456);

    /* Virtual-8086 mode: the same rules, whatever the type says. */
    c->cpu.cr0 = X86_CR0_PE;
    c->cpu.rflags = X86_FLAG_FIXED | X86_FLAG_VM;
    cpu_seg_load_real(&c->cpu.seg[S_ES], 0xb800);
    ck_assert_int_eq(try_seg(c, S_ES, 0x20, 4, MMU_WRITE, &lin), -1);
    ck_assert_uint_eq(lin, 0xb8020);
    ck_assert_int_eq(try_seg(c, S_ES, 0xfffd, 4, MMU_WRITE, NULL), X86_EXC_GP);
    env_free(t);
}
END_TEST

START_TEST(segments_in_protected_mode)
{
    struct env *t = env_new();
    struct cpu_exec *c = t->c;
    uint64_t lin = 0;
    c->cpu.cr0 = X86_CR0_PE;

    /* Limits on an expand-up segment. */
    set_seg(c, S_DS, 0x10000, 0xfff, DATA_ATTR | 0x3);
    ck_assert_int_eq(try_seg(c, S_DS, 0xffe, 2, MMU_WRITE, &lin), -1);
    ck_assert_uint_eq(lin, 0x10ffe);
    ck_assert_int_eq(try_seg(c, S_DS, 0xfff, 2, MMU_READ, NULL), X86_EXC_GP);
    ck_assert_int_eq(try_seg(c, S_DS, 0x1000, 1, MMU_READ, NULL), X86_EXC_GP);
    /* Base + offset wraps at 4 GiB. */
    set_seg(c, S_DS, 0xfffff000, 0xffffffff, DATA_ATTR | 0x3 | SEG_ATTR_DB);
    ck_assert_int_eq(try_seg(c, S_DS, 0x2000, 4, MMU_READ, &lin), -1);
    ck_assert_uint_eq(lin, 0x1000);
    ck_assert_int_eq(try_seg(c, S_DS, 0xfffffffe, 4, MMU_READ, NULL), X86_EXC_GP);

    /* Null selector. */
    c->cpu.seg[S_ES] = (struct x86_segment){ .unusable = true };
    ck_assert_int_eq(try_seg(c, S_ES, 0, 1, MMU_READ, NULL), X86_EXC_GP);
    ck_assert_uint_eq(c->fault.error_code, 0);

    /* Types: read-only data, execute-only and readable code. */
    set_seg(c, S_FS, 0, 0xffff, DATA_ATTR | 0x1);
    ck_assert_int_eq(try_seg(c, S_FS, 0x10, 4, MMU_READ, NULL), -1);
    ck_assert_int_eq(try_seg(c, S_FS, 0x10, 4, MMU_WRITE, NULL), X86_EXC_GP);
    set_seg(c, S_CS, 0, 0xffff, DATA_ATTR | 0x8);
    ck_assert_int_eq(try_seg(c, S_CS, 0x10, 4, MMU_EXEC, NULL), -1);
    ck_assert_int_eq(try_seg(c, S_CS, 0x10, 4, MMU_READ, NULL), X86_EXC_GP);
    ck_assert_int_eq(try_seg(c, S_CS, 0x10, 4, MMU_WRITE, NULL), X86_EXC_GP);
    set_seg(c, S_CS, 0, 0xffff, DATA_ATTR | 0xa);
    ck_assert_int_eq(try_seg(c, S_CS, 0x10, 4, MMU_READ, NULL), -1);
    ck_assert_int_eq(try_seg(c, S_CS, 0x10, 4, MMU_WRITE, NULL), X86_EXC_GP);
    ck_assert_int_eq(try_seg(c, S_CS, 0x10000, 1, MMU_EXEC, NULL), X86_EXC_GP);
    ck_assert_int_eq(try_seg(c, S_FS, 0x10, 1, MMU_EXEC, NULL), X86_EXC_GP);

    /* Expand-down, 16-bit: valid offsets limit+1 .. 0xffff. */
    set_seg(c, S_GS, 0x100000, 0xfff, DATA_ATTR | 0x7);
    ck_assert_int_eq(try_seg(c, S_GS, 0xfff, 1, MMU_READ, NULL), X86_EXC_GP);
    ck_assert_int_eq(try_seg(c, S_GS, 0xffe, 4, MMU_READ, NULL), X86_EXC_GP);
    ck_assert_int_eq(try_seg(c, S_GS, 0x1000, 4, MMU_WRITE, &lin), -1);
    ck_assert_uint_eq(lin, 0x101000);
    ck_assert_int_eq(try_seg(c, S_GS, 0xfffe, 2, MMU_READ, NULL), -1);
    ck_assert_int_eq(try_seg(c, S_GS, 0xffff, 2, MMU_READ, NULL), X86_EXC_GP);
    /* Expand-down with B set: up to 0xffffffff. */
    set_seg(c, S_GS, 0, 0xfff, DATA_ATTR | 0x7 | SEG_ATTR_DB);
    ck_assert_int_eq(try_seg(c, S_GS, 0x10000, 4, MMU_READ, NULL), -1);
    ck_assert_int_eq(try_seg(c, S_GS, 0xfffffffc, 4, MMU_READ, &lin), -1);
    ck_assert_uint_eq(lin, 0xfffffffc);
    ck_assert_int_eq(try_seg(c, S_GS, 0xfffffffd, 4, MMU_READ, NULL), X86_EXC_GP);
    /* Read-only expand-down. */
    set_seg(c, S_GS, 0, 0xfff, DATA_ATTR | 0x5 | SEG_ATTR_DB);
    ck_assert_int_eq(try_seg(c, S_GS, 0x2000, 4, MMU_WRITE, NULL), X86_EXC_GP);

    /* Stack faults are #SS(0). */
    set_seg(c, S_SS, 0, 0x1fff, DATA_ATTR | 0x7 | SEG_ATTR_DB);
    ck_assert_int_eq(try_seg(c, S_SS, 0x1ffc, 4, MMU_WRITE, NULL), X86_EXC_SS);
    ck_assert_uint_eq(c->fault.error_code, 0);
    ck_assert_int_eq(try_seg(c, S_SS, 0x2000, 4, MMU_WRITE, NULL), -1);
    set_seg(c, S_SS, 0, 0xffff, DATA_ATTR | 0x3);
    ck_assert_int_eq(try_seg(c, S_SS, 0xfffe, 4, MMU_READ, NULL), X86_EXC_SS);

    /* Compatibility mode follows the protected-mode rules. */
    c->cpu.efer = X86_EFER_LME | X86_EFER_LMA;
    set_seg(c, S_CS, 0, 0xffffffff, DATA_ATTR | 0xb | SEG_ATTR_DB);
    ck_assert_int_eq(try_seg(c, S_FS, 0x10, 4, MMU_WRITE, NULL), X86_EXC_GP);
    env_free(t);
}
END_TEST

START_TEST(segments_in_64bit_mode)
{
    struct env *t = env_new();
    struct cpu_exec *c = t->c;
    uint64_t lin = 0;
    c->cpu.cr0 = X86_CR0_PE | X86_CR0_PG;
    c->cpu.cr4 = X86_CR4_PAE;
    c->cpu.efer = X86_EFER_LME | X86_EFER_LMA;
    set_seg(c, S_CS, 0, 0, DATA_ATTR | 0xb | SEG_ATTR_L);
    /* Bases of DS/ES/SS are ignored, limits and types too. */
    set_seg(c, S_DS, 0x1000, 0xf, DATA_ATTR | 0x1);
    set_seg(c, S_FS, 0xffff800000000000ull, 0, DATA_ATTR | 0x3);
    set_seg(c, S_GS, 0x7ffffffff000ull, 0, DATA_ATTR | 0x3);
    set_seg(c, S_SS, 0x5000, 0, DATA_ATTR | 0x3);
    c->cpu.seg[S_ES] = (struct x86_segment){ .unusable = true };

    ck_assert_int_eq(try_seg(c, S_DS, 0x123456789ull, 8, MMU_WRITE, &lin), -1);
    ck_assert_uint_eq(lin, 0x123456789ull);
    ck_assert_int_eq(try_seg(c, S_ES, 0x10, 8, MMU_WRITE, &lin), -1);
    ck_assert_uint_eq(lin, 0x10);
    ck_assert_int_eq(try_seg(c, S_FS, 0x10, 8, MMU_READ, &lin), -1);
    ck_assert_uint_eq(lin, 0xffff800000000010ull);
    ck_assert_int_eq(try_seg(c, S_GS, 0xff8, 8, MMU_READ, &lin), -1);
    ck_assert_uint_eq(lin, 0x7ffffffffff8ull);
    /* Canonical checks, on the last byte too. */
    ck_assert_int_eq(try_seg(c, S_GS, 0xffc, 8, MMU_READ, NULL), X86_EXC_GP);
    ck_assert_int_eq(try_seg(c, S_DS, 0x0000800000000000ull, 1, MMU_READ, NULL), X86_EXC_GP);
    ck_assert_uint_eq(c->fault.error_code, 0);
    ck_assert_int_eq(try_seg(c, S_DS, 0xffff7fffffffffffull, 1, MMU_READ, NULL), X86_EXC_GP);
    ck_assert_int_eq(try_seg(c, S_DS, 0xffff800000000000ull, 1, MMU_READ, NULL), -1);
    ck_assert_int_eq(try_seg(c, S_SS, 0x0000800000000000ull, 8, MMU_WRITE, NULL), X86_EXC_SS);
    ck_assert_int_eq(try_seg(c, S_SS, 0x00007ffffffffff8ull, 8, MMU_WRITE, &lin), -1);
    ck_assert_uint_eq(lin, 0x00007ffffffffff8ull);
    ck_assert_int_eq(try_seg(c, S_CS, 0x0000800000000000ull, 1, MMU_EXEC, NULL), X86_EXC_GP);
    env_free(t);
}
END_TEST

static Suite *mmu_suite(void)
{
    Suite *s = suite_create("mmu");
    TCase *tc = tcase_create("paging");
    tcase_add_test(tc, paging_off_is_identity_truncated_and_a20_masked);
    tcase_add_test(tc, walk_32bit_4k_sets_accessed_then_dirty);
    tcase_add_test(tc, walk_32bit_pse_4m_and_pse36);
    tcase_add_test(tc, walk_pae_4k_2m_nx_and_reserved_bits);
    tcase_add_test(tc, walk_long_mode_4k_2m_1g);
    tcase_add_test(tc, page_fault_error_codes_and_wp);
    tcase_add_test(tc, implicit_supervisor_accesses_ignore_cpl);
    tcase_add_test(tc, smep_blocks_supervisor_fetch_from_user_pages);
    suite_add_tcase(s, tc);

    tc = tcase_create("tlb");
    tcase_add_test(tc, tlb_keeps_stale_translation_until_invlpg);
    tcase_add_test(tc, global_entries_survive_nonglobal_flush);
    tcase_add_test(tc, page_crossing_access_checks_both_pages_first);
    tcase_add_test(tc, mmio_reaches_the_iomap_handler);
    tcase_add_test(tc, writes_to_watched_code_pages_are_reported);
    tcase_add_test(tc, fetch_stops_at_the_first_faulting_byte);
    suite_add_tcase(s, tc);

    tc = tcase_create("segments");
    tcase_add_test(tc, segments_in_real_and_v86_mode);
    tcase_add_test(tc, segments_in_protected_mode);
    tcase_add_test(tc, segments_in_64bit_mode);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return test_run_suite(mmu_suite());
}
