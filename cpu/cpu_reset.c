/* Power-on state of the processor (SDM vol. 3, "Initial state" table). */
#include "cpu/cpu.h"

#include <string.h>

void cpu_seg_load_real(struct x86_segment *seg, uint16_t selector)
{
    seg->selector = selector;
    seg->base = (uint64_t)selector << 4;
    seg->limit = 0xffff;
    seg->attr = SEG_ATTR_P | SEG_ATTR_S | 0x3; /* read/write data, accessed */
    seg->unusable = false;
}

void cpu_seg_load_flat32(struct x86_segment *seg, uint16_t selector, unsigned type)
{
    seg->selector = selector;
    seg->base = 0;
    seg->limit = 0xffffffffu;
    seg->attr = (uint16_t)(SEG_ATTR_P | SEG_ATTR_S | SEG_ATTR_DB | SEG_ATTR_G | (type & 0xf));
    seg->unusable = false;
}

void cpu_reset(struct x86_cpu *cpu)
{
    memset(cpu, 0, sizeof(*cpu));
    cpu->rflags = X86_FLAG_FIXED;
    cpu->rip = 0xfff0;
    for (int i = 0; i < X86_NR_SEGS; i++)
        cpu_seg_load_real(&cpu->seg[i], 0);
    /* CS starts at F000 with the base pointing just under 4 GiB, so the first
     * fetch comes from the top of the BIOS ROM. */
    cpu->seg[S_CS].selector = 0xf000;
    cpu->seg[S_CS].base = 0xffff0000ull;
    cpu->seg[S_CS].attr = SEG_ATTR_P | SEG_ATTR_S | 0xb; /* code, read, accessed */
    cpu->ldtr = (struct x86_segment){ .limit = 0xffff, .attr = SEG_ATTR_P | 0x2 };
    cpu->tr = (struct x86_segment){ .limit = 0xffff, .attr = SEG_ATTR_P | 0xb };
    cpu->gdtr.limit = 0xffff;
    cpu->idtr.limit = 0xffff;
    cpu->cr0 = X86_CR0_ET | X86_CR0_NW | X86_CR0_CD;
    cpu->regs[R_RDX] = 0x600; /* family 6 processor signature */
    cpu->dr[6] = 0xffff0ff0ull;
    cpu->dr[7] = 0x400;
    cpu->apic_base = X86_APIC_DEFAULT_BASE | X86_APIC_BASE_ENABLE | X86_APIC_BASE_BSP;
    cpu->xcr0 = 1;
    cpu->fpu.fcw = 0x40;   /* FINIT sets 0x37f; RESET leaves 0x40 */
    cpu->fpu.mxcsr = 0x1f80;
    cpu->msr.pat = 0x0007040600070406ull;
    cpu->msr.misc_enable = 1; /* fast strings */
}
