/* Segment checks on a memory access (SDM vol. 3 ch. 3 and 5.3-5.5): limits
 * with expand-down, type rights, null selectors, and 64-bit canonical form. */
#include "cpu/exception.h"
#include "softmmu/mmu.h"

#define SEG_TYPE_RW       0x2   /* readable code, writable data */
#define SEG_TYPE_DOWN     0x4   /* expand-down data (conforming code) */
#define SEG_TYPE_CODE     0x8

/* Faults through SS are stack faults; everything else is #GP(0). */
static _Noreturn void seg_fault(struct cpu_exec *c, int seg)
{
    cpu_raise_exception_err(c, seg == S_SS ? X86_EXC_SS : X86_EXC_GP, 0);
}

/* Bits 63:47 all equal, for 48-bit linear addresses. */
static inline bool seg_canonical(uint64_t a)
{
    return (uint64_t)((int64_t)(a << 16) >> 16) == a;
}

uint64_t mmu_seg_linear(struct cpu_exec *c, int seg, uint64_t offset, unsigned size,
                        enum mmu_access acc)
{
    const struct x86_cpu *cpu = &c->cpu;
    const struct x86_segment *s = &cpu->seg[seg];
    const uint64_t last = offset + (size ? size - 1 : 0);

    if ((cpu->efer & X86_EFER_LMA) && (cpu->seg[S_CS].attr & SEG_ATTR_L)) {
        /* 64-bit mode: no limits or types; only FS and GS keep a base. */
        uint64_t base = (seg == S_FS || seg == S_GS) ? s->base : 0;
        uint64_t lin = base + offset;
        if (!seg_canonical(lin) || !seg_canonical(base + last))
            seg_fault(c, seg);
        return lin;
    }

    if (!(cpu->cr0 & X86_CR0_PE) || (cpu->rflags & X86_FLAG_VM)) {
        /* Real and virtual-8086 mode check the cached limit only. */
        if (last > s->limit)
            seg_fault(c, seg);
        return (s->base + offset) & 0xffffffffull;
    }

    if (s->unusable)
        seg_fault(c, seg);
    const unsigned type = s->attr & SEG_ATTR_TYPE_MASK;
    if (type & SEG_TYPE_CODE) {
        if (acc == MMU_WRITE || (acc == MMU_READ && !(type & SEG_TYPE_RW)))
            seg_fault(c, seg);
    } else {
        if (acc == MMU_EXEC || (acc == MMU_WRITE && !(type & SEG_TYPE_RW)))
            seg_fault(c, seg);
        if (type & SEG_TYPE_DOWN) {
            /* Valid offsets run from limit+1 to the top of a 64 KiB or
             * 4 GiB segment, as the B flag says. */
            uint64_t upper = (s->attr & SEG_ATTR_DB) ? 0xffffffffull : 0xffffull;
            if (offset <= s->limit || last > upper)
                seg_fault(c, seg);
            return (s->base + offset) & 0xffffffffull;
        }
    }
    if (last > s->limit)
        seg_fault(c, seg);
    return (s->base + offset) & 0xffffffffull;
}
