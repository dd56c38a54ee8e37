/* String instructions (with REP/REPE/REPNE, interruptible in chunks and
 * restartable after a fault) and port I/O with the IOPL / TSS I/O
 * permission bitmap check. */
#include "cpu/exception.h"
#include "cpu/helpers.h"
#include "cpu/x86_mnemonics.h"
#include "hw/machine.h"
#include "softmmu/mmu.h"

/* Iterations one helper call runs before letting the engine look at
 * interrupts; the instruction then restarts where it stopped. */
#define STRING_CHUNK 4096

static uint64_t mask_of(unsigned size)
{
    return cpu_size_mask(size);
}

/* SDM vol. 1 "I/O permission bit map": needed when CPL > IOPL or in v86. */
static void io_check(struct cpu_exec *c, uint16_t port, unsigned size)
{
    bool pe = c->cpu.cr0 & X86_CR0_PE;
    bool vm = c->cpu.rflags & X86_FLAG_VM;
    unsigned iopl = (unsigned)(c->cpu.rflags >> 12) & 3;
    if (!pe || (!vm && c->cpl <= iopl))
        return;
    const struct x86_segment *tr = &c->cpu.tr;
    unsigned type = tr->attr & SEG_ATTR_TYPE_MASK;
    if (tr->unusable || (type != 9 && type != 11) || tr->limit < 0x67)
        cpu_raise_exception_err(c, X86_EXC_GP, 0);
    uint16_t base = (uint16_t)mmu_load_sys(c, tr->base + 0x66, 2);
    uint32_t off = base + port / 8u;
    if (off + 1 > tr->limit)
        cpu_raise_exception_err(c, X86_EXC_GP, 0);
    uint16_t bits = (uint16_t)mmu_load_sys(c, tr->base + off, 2);
    if ((bits >> (port & 7)) & ((1u << size) - 1))
        cpu_raise_exception_err(c, X86_EXC_GP, 0);
}

static uint64_t port_in(struct cpu_exec *c, uint16_t port, unsigned size)
{
    uint8_t data[4];
    machine_port_io(c->m, port, data, size, false);
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint64_t)data[i] << (8 * i);
    return v;
}

static void port_out(struct cpu_exec *c, uint16_t port, unsigned size, uint64_t v)
{
    uint8_t data[4];
    for (unsigned i = 0; i < size; i++)
        data[i] = (uint8_t)(v >> (8 * i));
    machine_port_io(c->m, port, data, size, true);
}

HELPER(helper_in)
{
    (void)a2; (void)a3;
    io_check(c, (uint16_t)a0, (unsigned)a1);
    return port_in(c, (uint16_t)a0, (unsigned)a1);
}

HELPER(helper_out)
{
    (void)a3;
    io_check(c, (uint16_t)a0, (unsigned)a1);
    port_out(c, (uint16_t)a0, (unsigned)a1, a2);
    return 0;
}

static void set_index(struct cpu_exec *c, int reg, unsigned asize, uint64_t v)
{
    uint64_t *r = &c->cpu.regs[reg];
    if (asize == 2)
        *r = (*r & ~0xffffull) | (v & 0xffff);
    else if (asize == 4)
        *r = v & 0xffffffffu;
    else
        *r = v;
}

static void cmp_flags(struct cpu_exec *c, unsigned size, uint64_t a, uint64_t b)
{
    uint64_t m = mask_of(size);
    c->cc_op = CC_OP_SUB8 + (size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : 3);
    c->cc_dst = (a - b) & m;
    c->cc_src = b & m;
}

HELPER(helper_string)
{
    (void)a1; (void)a2; (void)a3;
    unsigned mn = (unsigned)(a0 & 0xff);
    unsigned size = (unsigned)(a0 >> 8) & 0xf;
    unsigned rep = (unsigned)(a0 >> 12) & 0xf;
    unsigned asize = (unsigned)(a0 >> 16) & 0xf;
    int seg = (int)(a0 >> 20) & 0xf;
    uint64_t amask = mask_of(asize);
    int64_t step = (c->cpu.rflags & X86_FLAG_DF) ? -(int64_t)size : (int64_t)size;
    uint16_t port = (uint16_t)c->cpu.regs[R_RDX];
    if (mn == X86_INS || mn == X86_OUTS)
        io_check(c, port, size);
    for (unsigned n = 0; n < STRING_CHUNK; n++) {
        if (rep && (c->cpu.regs[R_RCX] & amask) == 0)
            return 1;
        uint64_t si = c->cpu.regs[R_RSI] & amask, di = c->cpu.regs[R_RDI] & amask;
        bool stop = false;
        switch (mn) {
        case X86_MOVS: {
            uint64_t v = mmu_load(c, mmu_seg_linear(c, seg, si, size, MMU_READ), size);
            mmu_store(c, mmu_seg_linear(c, S_ES, di, size, MMU_WRITE), size, v);
            set_index(c, R_RSI, asize, si + (uint64_t)step);
            set_index(c, R_RDI, asize, di + (uint64_t)step);
            break;
        }
        case X86_STOS:
            mmu_store(c, mmu_seg_linear(c, S_ES, di, size, MMU_WRITE), size, c->cpu.regs[R_RAX]);
            set_index(c, R_RDI, asize, di + (uint64_t)step);
            break;
        case X86_LODS: {
            uint64_t v = mmu_load(c, mmu_seg_linear(c, seg, si, size, MMU_READ), size);
            if (size == 4)
                c->cpu.regs[R_RAX] = v;
            else
                c->cpu.regs[R_RAX] = (c->cpu.regs[R_RAX] & ~mask_of(size)) | v;
            set_index(c, R_RSI, asize, si + (uint64_t)step);
            break;
        }
        case X86_CMPS: {
            /* This CPU reads ES:rDI first: when both operands fault, the
             * destination's fault is the one reported. */
            uint64_t d = mmu_load(c, mmu_seg_linear(c, S_ES, di, size, MMU_READ), size);
            uint64_t s = mmu_load(c, mmu_seg_linear(c, seg, si, size, MMU_READ), size);
            cmp_flags(c, size, s, d);
            set_index(c, R_RSI, asize, si + (uint64_t)step);
            set_index(c, R_RDI, asize, di + (uint64_t)step);
            stop = rep == 1 ? s != d : rep == 2 ? s == d : false;
            break;
        }
        case X86_SCAS: {
            uint64_t d = mmu_load(c, mmu_seg_linear(c, S_ES, di, size, MMU_READ), size);
            uint64_t acc = c->cpu.regs[R_RAX] & mask_of(size);
            cmp_flags(c, size, acc, d);
            set_index(c, R_RDI, asize, di + (uint64_t)step);
            stop = rep == 1 ? acc != d : rep == 2 ? acc == d : false;
            break;
        }
        case X86_INS: {
            /* The destination is checked before the port is read. */
            uint64_t lin = mmu_seg_linear(c, S_ES, di, size, MMU_WRITE);
            mmu_store(c, lin, size, mmu_load(c, lin, size));
            mmu_store(c, lin, size, port_in(c, port, size));
            set_index(c, R_RDI, asize, di + (uint64_t)step);
            break;
        }
        case X86_OUTS: {
            uint64_t v = mmu_load(c, mmu_seg_linear(c, seg, si, size, MMU_READ), size);
            port_out(c, port, size, v);
            set_index(c, R_RSI, asize, si + (uint64_t)step);
            break;
        }
        default:
            cpu_raise_exception(c, X86_EXC_UD);
        }
        if (!rep)
            return 1;
        set_index(c, R_RCX, asize, (c->cpu.regs[R_RCX] & amask) - 1);
        if (stop)
            return 1;
    }
    return (c->cpu.regs[R_RCX] & amask) == 0;
}
