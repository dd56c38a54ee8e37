/* A bare CPU on a core machine for the CPU unit tests (header-only): guest RAM
 * at 0 that the tests read and write directly, descriptors and gates laid out
 * in it, and segment registers loaded from those descriptors. */
#ifndef VX86_TESTS_UNIT_CPU_WORLD_H
#define VX86_TESTS_UNIT_CPU_WORLD_H

#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "cpu/exec.h"
#include "cpu/segment.h"
#include "hw/machine.h"
#include "softmmu/mmu.h"
#include "test_util.h"

/* Little-endian, as the CPU stores it. */
static inline uint64_t cpu_world_read(const uint8_t *ram, uint64_t pa, unsigned size)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint64_t)ram[pa + i] << (8 * i);
    return v;
}

static inline void cpu_world_write(uint8_t *ram, uint64_t pa, unsigned size, uint64_t v)
{
    for (unsigned i = 0; i < size; i++)
        ram[pa + i] = (uint8_t)(v >> (8 * i));
}

/* The descriptor for sel in the table at guest address table. access: the
 * P/DPL/S/type byte; flags: the G D L AVL nibble. */
static inline void cpu_world_put_desc(uint8_t *ram, uint32_t table, unsigned sel, uint32_t base,
                                      uint32_t limit, unsigned access, unsigned flags)
{
    uint32_t lo = (limit & 0xffff) | (base << 16);
    uint32_t hi = ((base >> 16) & 0xff) | (access << 8) | (limit & 0xf0000) | ((flags & 0xf) << 20) |
                  (base & 0xff000000u);
    cpu_world_write(ram, table + (sel & ~7u), 4, lo);
    cpu_world_write(ram, table + (sel & ~7u) + 4, 4, hi);
}

/* A 32-bit gate at guest address addr; params is a call gate's parameter
 * count and zero for the other gate types. */
static inline void cpu_world_put_gate(uint8_t *ram, uint32_t addr, uint16_t sel, uint32_t off,
                                      unsigned access, unsigned params)
{
    cpu_world_write(ram, addr, 4, (off & 0xffff) | ((uint32_t)sel << 16));
    cpu_world_write(ram, addr + 4, 4, (off & 0xffff0000u) | (access << 8) | params);
}

/* Fills the segment cache from the descriptor sel names, bypassing the
 * checks of a real load so a test can start from any state. */
static inline void cpu_world_load_seg(struct cpu_exec *c, int sreg, uint16_t sel)
{
    struct seg_desc d;
    struct x86_segment s;
    ck_assert(seg_desc_read(c, sel, &d));
    seg_cache_from_desc(&s, sel, &d);
    seg_set(c, sreg, &s);
}

/* The flat GDT layout both descriptor-table tests start from; each adds its
 * own entries in the slots left free. */
enum {
    SEL_CODE0 = 0x08, SEL_DATA0 = 0x10, SEL_CODE3 = 0x1b, SEL_DATA3 = 0x23, SEL_TSS_A = 0x28,
    SEL_CODE16 = 0x30, SEL_CODE64_0 = 0x38, SEL_CODE64_3 = 0x43, SEL_CONF0 = 0x60,
};

/* 4 GiB flat code and data at DPL 0 and 3 (code already accessed), 16-bit
 * and 64-bit code, readable conforming code at DPL 0, and a busy 32-bit TSS
 * at tss_a, all in the GDT at guest address gdt. */
static inline void cpu_world_put_flat_gdt(uint8_t *ram, uint32_t gdt, uint32_t tss_a)
{
    cpu_world_put_desc(ram, gdt, SEL_CODE0, 0, 0xfffff, 0x9b, 0xc);
    cpu_world_put_desc(ram, gdt, SEL_DATA0, 0, 0xfffff, 0x93, 0xc);
    cpu_world_put_desc(ram, gdt, SEL_CODE3, 0, 0xfffff, 0xfb, 0xc);
    cpu_world_put_desc(ram, gdt, SEL_DATA3, 0, 0xfffff, 0xf3, 0xc);
    cpu_world_put_desc(ram, gdt, SEL_TSS_A, tss_a, 0xfff, 0x8b, 0);
    cpu_world_put_desc(ram, gdt, SEL_CODE16, 0, 0xffff, 0x9b, 0);
    cpu_world_put_desc(ram, gdt, SEL_CODE64_0, 0, 0xfffff, 0x9b, 0xa);
    cpu_world_put_desc(ram, gdt, SEL_CODE64_3, 0, 0xfffff, 0xfb, 0xa);
    cpu_world_put_desc(ram, gdt, SEL_CONF0, 0, 0xfffff, 0x9f, 0xc);
}

/* A core machine with ram_size bytes of RAM (host buffer in m->ram) and a
 * CPU on it just out of reset: no fault pending, flags held in EFLAGS, TLB
 * empty. Release with cpu_world_destroy(). */
static inline struct cpu_exec *cpu_world_create(struct machine *m, uint64_t ram_size)
{
    test_machine_with_ram(m, ram_size);
    struct cpu_exec *c = calloc(1, sizeof(*c));
    ck_assert_ptr_nonnull(c);
    c->m = m;
    c->fault.vector = -1;
    c->cc_op = CC_OP_EFLAGS;
    cpu_reset(&c->cpu);
    tlb_flush_all(c);
    return c;
}

static inline void cpu_world_destroy(struct machine *m, struct cpu_exec *c)
{
    free(c);
    test_machine_free_ram(m);
}

#endif
