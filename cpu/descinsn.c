/* The descriptor-inspecting and descriptor-table-register instructions:
 * LAR, LSL, VERR, VERW, LLDT, LTR, SLDT, STR and ARPL (SDM vol. 2). */
#include "cpu/exception.h"
#include "cpu/segment.h"
#include "softmmu/mmu.h"

static void require_protected(struct cpu_exec *c)
{
    if (!cpu_protected(c))
        cpu_raise_exception(c, X86_EXC_UD);
}

/* The descriptor a LAR/LSL/VERR/VERW selector names, if it may be seen from
 * the current privilege: conforming code always, anything else only when
 * DPL >= CPL and DPL >= RPL. */
static bool visible_desc(struct cpu_exec *c, uint16_t sel, struct seg_desc *d)
{
    if (!(sel & 0xfffc) || !seg_desc_read(c, sel, d))
        return false;
    if (desc_conforming(d))
        return true;
    return desc_dpl(d) >= c->cpl && desc_dpl(d) >= SEL_RPL(sel);
}

/* System descriptor types LAR accepts (legacy / long mode); LSL takes
 * only the ones with a limit (TSS and LDT). */
static bool lar_type_ok(const struct cpu_exec *c, unsigned t)
{
    if (cpu_long_mode(c))
        return t == DESC_LDT || t == DESC_TSS32_AVAIL || t == DESC_TSS32_BUSY ||
               t == DESC_CALL_GATE32;
    switch (t) {
    case DESC_TSS16_AVAIL: case DESC_LDT: case DESC_TSS16_BUSY: case DESC_CALL_GATE16:
    case DESC_TASK_GATE: case DESC_TSS32_AVAIL: case DESC_TSS32_BUSY: case DESC_CALL_GATE32:
        return true;
    default:
        return false;
    }
}

static bool lsl_type_ok(const struct cpu_exec *c, unsigned t)
{
    if (cpu_long_mode(c))
        return t == DESC_LDT || t == DESC_TSS32_AVAIL || t == DESC_TSS32_BUSY;
    return t == DESC_TSS16_AVAIL || t == DESC_LDT || t == DESC_TSS16_BUSY ||
           t == DESC_TSS32_AVAIL || t == DESC_TSS32_BUSY;
}

bool cpu_lar(struct cpu_exec *c, uint16_t sel, uint32_t *access_rights)
{
    struct seg_desc d;
    require_protected(c);
    if (!visible_desc(c, sel, &d))
        return false;
    if (!desc_s(&d) && !lar_type_ok(c, desc_type(&d)))
        return false;
    *access_rights = d.hi & 0x00f0ff00u;
    return true;
}

bool cpu_lsl(struct cpu_exec *c, uint16_t sel, uint32_t *limit)
{
    struct seg_desc d;
    require_protected(c);
    if (!visible_desc(c, sel, &d))
        return false;
    if (!desc_s(&d) && !lsl_type_ok(c, desc_type(&d)))
        return false;
    *limit = desc_limit(&d);
    return true;
}

bool cpu_verr(struct cpu_exec *c, uint16_t sel)
{
    struct seg_desc d;
    require_protected(c);
    return visible_desc(c, sel, &d) && desc_readable(&d);
}

bool cpu_verw(struct cpu_exec *c, uint16_t sel)
{
    struct seg_desc d;
    require_protected(c);
    /* Writable means data, which never conforms: the privilege rule holds. */
    return visible_desc(c, sel, &d) && desc_writable(&d);
}

static void require_cpl0(struct cpu_exec *c)
{
    require_protected(c);
    if (c->cpl != 0)
        cpu_raise_exception_err(c, X86_EXC_GP, 0);
}

/* An LDT or TSS descriptor from the GDT (16 bytes in long mode, whose upper
 * type field must be zero). */
static void read_gdt_sys(struct cpu_exec *c, uint16_t sel, struct seg_desc *d)
{
    if (SEL_TI(sel) || !seg_desc_read_sys(c, sel, d))
        cpu_raise_exception_err(c, X86_EXC_GP, SEL_ERR(sel));
    if (cpu_long_mode(c) && ((d->hi3 >> 8) & 0x1f))
        cpu_raise_exception_err(c, X86_EXC_GP, SEL_ERR(sel));
}

void cpu_lldt(struct cpu_exec *c, uint16_t sel)
{
    struct seg_desc d;
    require_cpl0(c);
    if (!(sel & 0xfffc)) {
        seg_cache_null(&c->cpu.ldtr, sel, 0);
        return;
    }
    read_gdt_sys(c, sel, &d);
    if (desc_s(&d) || desc_type(&d) != DESC_LDT)
        cpu_raise_exception_err(c, X86_EXC_GP, SEL_ERR(sel));
    if (!desc_present(&d))
        cpu_raise_exception_err(c, X86_EXC_NP, SEL_ERR(sel));
    if (cpu_long_mode(c) && !addr_canonical(desc_base(&d)))
        cpu_raise_exception_err(c, X86_EXC_GP, SEL_ERR(sel));
    seg_cache_from_desc(&c->cpu.ldtr, sel, &d);
}

void cpu_ltr(struct cpu_exec *c, uint16_t sel)
{
    struct seg_desc d;
    require_cpl0(c);
    if (!(sel & 0xfffc))
        cpu_raise_exception_err(c, X86_EXC_GP, 0);
    read_gdt_sys(c, sel, &d);
    unsigned t = desc_type(&d);
    bool ok = cpu_long_mode(c) ? t == DESC_TSS32_AVAIL
                               : (t == DESC_TSS16_AVAIL || t == DESC_TSS32_AVAIL);
    if (desc_s(&d) || !ok)
        cpu_raise_exception_err(c, X86_EXC_GP, SEL_ERR(sel));
    if (!desc_present(&d))
        cpu_raise_exception_err(c, X86_EXC_NP, SEL_ERR(sel));
    if (cpu_long_mode(c) && !addr_canonical(desc_base(&d)))
        cpu_raise_exception_err(c, X86_EXC_GP, SEL_ERR(sel));
    seg_desc_write_type(c, sel, &d, t | 2);
    seg_cache_from_desc(&c->cpu.tr, sel, &d);
}

uint16_t cpu_sldt(struct cpu_exec *c)
{
    require_protected(c);
    return c->cpu.ldtr.selector;
}

uint16_t cpu_str(struct cpu_exec *c)
{
    require_protected(c);
    return c->cpu.tr.selector;
}

bool cpu_arpl(struct cpu_exec *c, uint16_t *dst, uint16_t src)
{
    require_protected(c);
    if (SEL_RPL(*dst) < SEL_RPL(src)) {
        *dst = (uint16_t)((*dst & ~3u) | SEL_RPL(src));
        return true;
    }
    return false;
}
