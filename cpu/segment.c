/* Segment descriptors and segment register loads for the bt engine
 * (SDM vol. 3 ch. 3 and 5, vol. 2 MOV/POP/LDS), plus stack accesses through
 * a stack segment that is being switched to. */
#include "cpu/segment.h"

#include "cpu/exception.h"
#include "softmmu/mmu.h"

static uint64_t linear_mask(const struct cpu_exec *c)
{
    return cpu_long_mode(c) ? ~0ull : 0xffffffffull;
}

/* Linear address of the descriptor sel names when bytes of it fit within
 * the table's limit. */
static bool desc_addr(struct cpu_exec *c, uint16_t sel, unsigned bytes, uint64_t *addr)
{
    uint64_t base;
    uint32_t limit;
    if (SEL_TI(sel)) {
        if (c->cpu.ldtr.unusable)
            return false;
        base = c->cpu.ldtr.base;
        limit = c->cpu.ldtr.limit;
    } else {
        base = c->cpu.gdtr.base;
        limit = c->cpu.gdtr.limit;
    }
    uint32_t off = sel & ~7u;
    if ((uint64_t)off + bytes - 1 > limit)
        return false;
    *addr = (base + off) & linear_mask(c);
    return true;
}

bool seg_desc_read(struct cpu_exec *c, uint16_t sel, struct seg_desc *d)
{
    uint64_t addr;
    if (!desc_addr(c, sel, 8, &addr))
        return false;
    uint64_t v = mmu_load_sys(c, addr, 8);
    d->lo = (uint32_t)v;
    d->hi = (uint32_t)(v >> 32);
    d->hi2 = d->hi3 = 0;
    return true;
}

bool seg_desc_read_sys(struct cpu_exec *c, uint16_t sel, struct seg_desc *d)
{
    if (!cpu_long_mode(c))
        return seg_desc_read(c, sel, d);
    uint64_t addr;
    if (!desc_addr(c, sel, 16, &addr))
        return false;
    uint64_t v = mmu_load_sys(c, addr, 8);
    uint64_t v2 = mmu_load_sys(c, addr + 8, 8);
    d->lo = (uint32_t)v;
    d->hi = (uint32_t)(v >> 32);
    d->hi2 = (uint32_t)v2;
    d->hi3 = (uint32_t)(v2 >> 32);
    return true;
}

void seg_desc_write_type(struct cpu_exec *c, uint16_t sel, struct seg_desc *d, unsigned type)
{
    uint64_t addr;
    d->hi = (d->hi & ~0xf00u) | ((type & 0xf) << 8);
    if (desc_addr(c, sel, 8, &addr))
        mmu_store_sys(c, addr + 5, 1, (d->hi >> 8) & 0xff);
}

void seg_desc_set_accessed(struct cpu_exec *c, uint16_t sel, struct seg_desc *d)
{
    if (desc_s(d) && !(desc_type(d) & 1))
        seg_desc_write_type(c, sel, d, desc_type(d) | 1);
}

void seg_cache_from_desc(struct x86_segment *s, uint16_t sel, const struct seg_desc *d)
{
    s->selector = sel;
    s->base = desc_base(d);
    s->limit = desc_limit(d);
    s->attr = desc_attr(d);
    s->unusable = false;
}

void seg_cache_null(struct x86_segment *s, uint16_t sel, unsigned dpl)
{
    s->selector = sel;
    s->base = 0;
    s->limit = 0;
    s->attr = (uint16_t)((dpl & 3) << SEG_ATTR_DPL_SHIFT);
    s->unusable = true;
}

void seg_cache_v86(struct x86_segment *s, uint16_t sel)
{
    s->selector = sel;
    s->base = (uint64_t)sel << 4;
    s->limit = 0xffff;
    s->attr = SEG_ATTR_P | SEG_ATTR_S | (3 << SEG_ATTR_DPL_SHIFT) | 0x3;
    s->unusable = false;
}

void seg_set(struct cpu_exec *c, int sreg, const struct x86_segment *s)
{
    c->cpu.seg[sreg] = *s;
    cpu_exec_seg_cache_update(c, sreg);
}

void seg_set_cpl(struct cpu_exec *c, unsigned cpl)
{
    c->cpl = (uint8_t)cpl;
}

/* Real mode: only selector and base change. The limit and the size bits
 * stay from whatever was loaded last (big real mode depends on it); the
 * segment becomes a usable, present read/write data segment as every
 * real-mode access treats it. */
static void seg_load_real(struct cpu_exec *c, int sreg, uint16_t sel)
{
    struct x86_segment s = c->cpu.seg[sreg];
    s.selector = sel;
    s.base = (uint64_t)sel << 4;
    s.unusable = false;
    if (sreg == S_CS)
        s.attr |= SEG_ATTR_P | SEG_ATTR_S;
    else
        s.attr = (uint16_t)((s.attr & (SEG_ATTR_AVL | SEG_ATTR_DB | SEG_ATTR_G)) |
                            SEG_ATTR_P | SEG_ATTR_S | 0x3);
    seg_set(c, sreg, &s);
}

void seg_load(struct cpu_exec *c, int sreg, uint16_t sel)
{
    struct x86_segment s;
    if (!(c->cpu.cr0 & X86_CR0_PE)) {
        seg_load_real(c, sreg, sel);
        return;
    }
    if (c->cpu.rflags & X86_FLAG_VM) {
        seg_cache_v86(&s, sel);
        seg_set(c, sreg, &s);
        return;
    }
    unsigned cpl = c->cpl, rpl = SEL_RPL(sel);
    if (!(sel & 0xfffc)) {
        if (sreg == S_SS) {
            /* 64-bit mode lets supervisor code run on a null SS. */
            if (!cpu_code64(c) || cpl == 3 || rpl != cpl)
                cpu_raise_exception_err(c, X86_EXC_GP, 0);
            seg_cache_null(&s, sel, cpl);
        } else {
            seg_cache_null(&s, sel, 0);
        }
        seg_set(c, sreg, &s);
        return;
    }
    struct seg_desc d;
    if (!seg_desc_read(c, sel, &d))
        cpu_raise_exception_err(c, X86_EXC_GP, SEL_ERR(sel));
    unsigned dpl = desc_dpl(&d);
    if (sreg == S_SS) {
        if (rpl != cpl || !desc_writable(&d) || dpl != cpl)
            cpu_raise_exception_err(c, X86_EXC_GP, SEL_ERR(sel));
        if (!desc_present(&d))
            cpu_raise_exception_err(c, X86_EXC_SS, SEL_ERR(sel));
    } else {
        if (!desc_readable(&d) || (!desc_conforming(&d) && (rpl > dpl || cpl > dpl)))
            cpu_raise_exception_err(c, X86_EXC_GP, SEL_ERR(sel));
        if (!desc_present(&d))
            cpu_raise_exception_err(c, X86_EXC_NP, SEL_ERR(sel));
    }
    seg_desc_set_accessed(c, sel, &d);
    seg_cache_from_desc(&s, sel, &d);
    seg_set(c, sreg, &s);
}

void seg_null_inaccessible(struct cpu_exec *c)
{
    static const int regs[] = { S_ES, S_FS, S_GS, S_DS };
    for (unsigned i = 0; i < sizeof(regs) / sizeof(regs[0]); i++) {
        struct x86_segment *s = &c->cpu.seg[regs[i]];
        unsigned dpl = (s->attr & SEG_ATTR_DPL_MASK) >> SEG_ATTR_DPL_SHIFT;
        bool conforming = (s->attr & SEG_ATTR_S) && (s->attr & 0xc) == 0xc;
        if (s->unusable || (dpl < c->cpl && !conforming)) {
            /* Only the selector is cleared (SDM vol. 2, IRET and RET): the
             * base stays, which 64-bit code relies on for FS and GS, whose
             * bases are set through MSRs under null selectors. */
            struct x86_segment n = *s;
            n.selector = 0;
            n.unusable = true;
            seg_set(c, regs[i], &n);
        }
    }
}

/* Stack accesses. */

void seg_stack_init(struct seg_stack *st, const struct x86_segment *ss, uint64_t sp,
                    bool mode64, bool sys, int vector, uint32_t error)
{
    st->ss = *ss;
    st->sp = sp;
    st->mode64 = mode64;
    st->mask = mode64 ? ~0ull : (ss->attr & SEG_ATTR_DB) ? 0xffffffffull : 0xffffull;
    st->sys = sys;
    st->vector = vector;
    st->error = error;
}

void seg_stack_current(struct seg_stack *st, struct cpu_exec *c, uint32_t error)
{
    seg_stack_init(st, &c->cpu.seg[S_SS], c->cpu.regs[R_RSP], cpu_code64(c), false,
                   X86_EXC_SS, error);
}

/* Checks the size bytes at stack offset off (unmasked) and returns their
 * linear address. */
static uint64_t stack_linear(struct cpu_exec *c, const struct seg_stack *st, uint64_t off,
                             unsigned size)
{
    if (st->mode64) {
        if (!addr_canonical(off) || !addr_canonical(off + size - 1))
            cpu_raise_exception_err(c, st->vector, st->error);
        return off;
    }
    uint64_t start = off & st->mask, end = (off + size - 1) & st->mask;
    unsigned type = st->ss.attr & SEG_ATTR_TYPE_MASK;
    bool expand_down = (st->ss.attr & SEG_ATTR_S) && !(type & 8) && (type & 4);
    bool bad = end < start;
    if (expand_down) {
        uint64_t upper = (st->ss.attr & SEG_ATTR_DB) ? 0xffffffffull : 0xffffull;
        bad |= start <= st->ss.limit || end > upper;
    } else {
        bad |= end > st->ss.limit;
    }
    if (bad)
        cpu_raise_exception_err(c, st->vector, st->error);
    return (st->ss.base + start) & 0xffffffffull;
}

void seg_stack_check_push(struct cpu_exec *c, const struct seg_stack *st, unsigned count,
                          unsigned size)
{
    /* Item by item: a 16-bit stack may wrap from 0 to 0xfffe between pushes. */
    for (unsigned i = 1; i <= count; i++)
        stack_linear(c, st, st->sp - (uint64_t)i * size, size);
}

void seg_stack_check_pop(struct cpu_exec *c, const struct seg_stack *st, unsigned count,
                         unsigned size)
{
    for (unsigned i = 0; i < count; i++)
        stack_linear(c, st, st->sp + (uint64_t)i * size, size);
}

void seg_stack_push(struct cpu_exec *c, struct seg_stack *st, unsigned size, uint64_t value)
{
    uint64_t sp = st->sp - size;
    uint64_t lin = stack_linear(c, st, sp, size);
    if (st->sys)
        mmu_store_sys(c, lin, size, value);
    else
        mmu_store(c, lin, size, value);
    st->sp = sp;
}

uint64_t seg_stack_peek(struct cpu_exec *c, const struct seg_stack *st, uint64_t off,
                        unsigned size)
{
    uint64_t lin = stack_linear(c, st, st->sp + off, size);
    return st->sys ? mmu_load_sys(c, lin, size) : mmu_load(c, lin, size);
}

uint64_t seg_stack_pop(struct cpu_exec *c, struct seg_stack *st, unsigned size)
{
    uint64_t v = seg_stack_peek(c, st, 0, size);
    st->sp += size;
    return v;
}
