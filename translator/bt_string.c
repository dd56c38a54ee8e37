/* REP MOVS and REP STOS by runs: with DF clear and 32-bit addresses, each
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

/* Elements that fit from 32-bit offset off: within the segment's limit + 1
 * lim1 and within the page of the linear address. */
static uint64_t bt_string_room(uint64_t off, uint64_t lim1, uint64_t lin, unsigned size)
{
    if (off + size > lim1)
        return 0;
    uint64_t n = (lim1 - off) / size;
    uint64_t page = (0x1000 - (lin & 0xfff)) / size;
    return n < page ? n : page;
}

uint64_t bt_string_rep(struct cpu_exec *c, uint64_t desc, uint64_t a1, uint64_t a2, uint64_t a3)
{
    unsigned mn = (unsigned)(desc & 0xff), size = (unsigned)(desc >> 8) & 0xf;
    unsigned rep = (unsigned)(desc >> 12) & 0xf, asize = (unsigned)(desc >> 16) & 0xf;
    int seg = (int)(desc >> 20) & 0xf;
    if (rep != 1 || asize != 4 || (c->cpu.rflags & X86_FLAG_DF) ||
        (mn != X86_MOVS && mn != X86_STOS) || (size != 1 && size != 2 && size != 4))
        return helper_string(c, desc, a1, a2, a3);
    unsigned moved = 0;
    for (;;) {
        uint32_t cnt = (uint32_t)c->cpu.regs[R_RCX];
        if (!cnt)
            return 1;
        if (moved >= BT_STRING_MAX_BYTES)
            return 0;
        uint32_t di = (uint32_t)c->cpu.regs[R_RDI];
        uint64_t dlin = (c->cpu.seg[S_ES].base + di) & 0xffffffffu;
        uint64_t n = bt_string_room(di, c->seg_wlim1[S_ES], dlin, size);
        if (n > cnt)
            n = cnt;
        uint8_t *d = n ? bt_string_host(c, dlin, true) : NULL;
        if (!d)
            break;
        size_t len = (size_t)n * size;
        if (mn == X86_MOVS) {
            uint32_t si = (uint32_t)c->cpu.regs[R_RSI];
            uint64_t slin = (c->cpu.seg[seg].base + si) & 0xffffffffu;
            uint64_t ns = bt_string_room(si, c->seg_rlim1[seg], slin, size);
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
                    uint32_t v;
                    memcpy(&v, s + k, size);
                    memcpy(d + k, &v, size);
                }
            } else {
                memmove(d, s, len);
            }
            c->cpu.regs[R_RSI] = (uint32_t)(si + len);
        } else {
            uint32_t v = (uint32_t)c->cpu.regs[R_RAX];
            if (size == 1)
                memset(d, (int)(v & 0xff), len);
            else
                for (size_t k = 0; k < len; k += size)
                    memcpy(d + k, &v, size);
        }
        c->cpu.regs[R_RDI] = (uint32_t)(di + len);
        c->cpu.regs[R_RCX] = cnt - (uint32_t)n;
        moved += (unsigned)len;
    }
    return helper_string(c, desc, a1, a2, a3);
}
