/* Derived state of the bt execution context: the segment check cache and
 * CPL, recomputed from struct x86_cpu when segments or modes change. */
#include "cpu/exec.h"

void cpu_exec_seg_cache_update(struct cpu_exec *c, int sreg)
{
    const struct x86_segment *s = &c->cpu.seg[sreg];
    bool protected_mode = (c->cpu.cr0 & X86_CR0_PE) && !(c->cpu.rflags & X86_FLAG_VM);
    uint64_t lim1 = (uint64_t)s->limit + 1;
    uint64_t r = lim1, w = lim1;
    if (protected_mode) {
        unsigned type = s->attr & SEG_ATTR_TYPE_MASK;
        bool code = (s->attr & SEG_ATTR_S) && (type & 8);
        if (s->unusable || !(s->attr & SEG_ATTR_P) || !(s->attr & SEG_ATTR_S)) {
            r = w = 0;
        } else if (code) {
            r = (type & 2) ? lim1 : 0;  /* execute-only code is not readable */
            w = 0;                      /* code is never writable */
        } else {
            if (type & 4)               /* expand-down: the helper checks */
                r = w = 0;
            else if (!(type & 2))
                w = 0;                  /* read-only data */
        }
    }
    c->seg_rlim1[sreg] = r;
    c->seg_wlim1[sreg] = w;
}

void cpu_exec_sync_from_state(struct cpu_exec *c)
{
    bool pe = c->cpu.cr0 & X86_CR0_PE;
    if (!pe)
        c->cpl = 0;
    else if (c->cpu.rflags & X86_FLAG_VM)
        c->cpl = 3;
    else
        c->cpl = (c->cpu.seg[S_SS].attr & SEG_ATTR_DPL_MASK) >> SEG_ATTR_DPL_SHIFT; /* CPL is SS.DPL */
    for (int s = 0; s < X86_NR_SEGS; s++)
        cpu_exec_seg_cache_update(c, s);
}
