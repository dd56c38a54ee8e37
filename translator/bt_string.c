/* REP MOVS and REP STOS by runs: with DF clear and 32- or 64-bit addresses, each
 * run that stays within one page of source and destination and within the
 * segment limits is copied or filled through the TLB's host pointers at
 * once; anything else (faults, MMIO, watched code pages, DF set) goes to
 * helper_string one element at a time. */
#include <string.h>

#include "cpu/helpers.h"
#include "cpu/x86_mnemonics.h"
#include "translator/xlat.h"

/* Bytes moved per call: the block restarts the instruction after that,
 * so interrupts are taken in between, as between helper_string's chunks. */
#define BT_STRING_MAX_BYTES (64u << 10)

static uint8_t *bt_string_host(struct cpu_exec *c, uint64_t lin, bool write)
{
    const struct tlb_entry *e = &c->tlb[c->cpl == 3][(lin >> 12) & (TLB_SIZE - 1)];
    if ((write ? e->tag_write : e->tag_read) != (lin & TLB_PAGE_MASK))
        return NULL;
    return (uint8_t *)(uintptr_t)(lin + e->addend);
}

/* Elements that fit from offset off: within the segment's limit + 1 lim1
 * when limited, and within the page of the linear address. */
static uint64_t bt_string_room(uint64_t off, uint64_t lim1, bool limited, uint64_t lin,
                               unsigned size)
{
    uint64_t page = (0x1000 - (lin & 0xfff)) / size;
    if (!limited)
        return page;
    if (off + size > lim1)
        return 0;
    uint64_t n = (lim1 - off) / size;
    return n < page ? n : page;
}

/* The linear address of seg:off: in 64-bit mode only FS and GS have a
 * base, outside it the sum wraps at 4 GiB. */
static uint64_t bt_string_linear(const struct cpu_exec *c, int seg, uint64_t off, bool mode64)
{
    if (mode64)
        return seg == S_FS || seg == S_GS ? c->cpu.seg[seg].base + off : off;
    return (c->cpu.seg[seg].base + off) & 0xffffffffu;
}

uint64_t bt_string_rep(struct cpu_exec *c, uint64_t desc, uint64_t a1, uint64_t a2, uint64_t a3)
{
    unsigned mn = (unsigned)(desc & 0xff), size = (unsigned)(desc >> 8) & 0xf;
    unsigned rep = (unsigned)(desc >> 12) & 0xf, asize = (unsigned)(desc >> 16) & 0xf;
    int seg = (int)(desc >> 20) & 0xf;
    if (rep != 1 || (asize != 4 && asize != 8) || (c->cpu.rflags & X86_FLAG_DF) ||
        (mn != X86_MOVS && mn != X86_STOS) ||
        (size != 1 && size != 2 && size != 4 && size != 8))
        return helper_string(c, desc, a1, a2, a3);
    const uint64_t amask = asize == 8 ? ~0ull : 0xffffffffull;
    /* 64-bit mode has no segment limits (the TLB tags never match a
     * non-canonical address: those fault before they are filled). */
    const bool mode64 = (c->cpu.efer & X86_EFER_LMA) && (c->cpu.seg[S_CS].attr & SEG_ATTR_L);
    const bool limited = !mode64;
    unsigned moved = 0;
    for (;;) {
        uint64_t cnt = c->cpu.regs[R_RCX] & amask;
        if (!cnt)
            return 1;
        if (moved >= BT_STRING_MAX_BYTES)
            return 0;
        uint64_t di = c->cpu.regs[R_RDI] & amask;
        uint64_t dlin = bt_string_linear(c, S_ES, di, mode64);
        uint64_t n = bt_string_room(di, c->seg_wlim1[S_ES], limited, dlin, size);
        if (n > cnt)
            n = cnt;
        uint8_t *d = n ? bt_string_host(c, dlin, true) : NULL;
        if (!d)
            break;
        size_t len = (size_t)n * size;
        if (mn == X86_MOVS) {
            uint64_t si = c->cpu.regs[R_RSI] & amask;
            uint64_t slin = bt_string_linear(c, seg, si, mode64);
            uint64_t ns = bt_string_room(si, c->seg_rlim1[seg], limited, slin, size);
            if (ns < n) {
                n = ns;
                len = (size_t)n * size;
            }
            const uint8_t *s = n ? bt_string_host(c, slin, false) : NULL;
            if (!s)
                break;
            if (d > s && d < s + len) {
                /* Overlapping forwards: element by element, each read
                 * before it is written, as the instruction does. */
                for (size_t k = 0; k < len; k += size) {
                    uint64_t v;
                    memcpy(&v, s + k, size);
                    memcpy(d + k, &v, size);
                }
            } else {
                memmove(d, s, len);
            }
            c->cpu.regs[R_RSI] = (si + len) & amask;
        } else {
            uint64_t v = c->cpu.regs[R_RAX];
            if (size == 1)
                memset(d, (int)(v & 0xff), len);
            else
                for (size_t k = 0; k < len; k += size)
                    memcpy(d + k, &v, size);
        }
        /* 32-bit address size: the registers are written as 32-bit values
         * (upper halves zeroed), as the instruction does in 64-bit mode. */
        c->cpu.regs[R_RDI] = (di + len) & amask;
        c->cpu.regs[R_RCX] = (cnt - n) & amask;
        moved += (unsigned)len;
    }
    return helper_string(c, desc, a1, a2, a3);
}
