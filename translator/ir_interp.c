/* The portable backend: executes IR directly. It is the reference the
 * x86-64 code generator is checked against, and the engine on hosts that
 * are not x86-64. */
#include <string.h>

#include "cpu/exec.h"
#include "cpu/helpers.h"
#include "softmmu/mmu.h"
#include "translator/ir.h"
#include "cpu/helpers_sse.h"

/* Guest memory through the TLB's fast path; everything else (misses, MMIO,
 * watched pages, page crossings) goes to the soft MMU. */
static inline uint64_t interp_load(struct cpu_exec *c, uint64_t lin, unsigned size)
{
    const struct tlb_entry *e = &c->tlb[c->cpl == 3][(lin >> 12) & (TLB_SIZE - 1)];
    if (e->tag_read == (lin & TLB_PAGE_MASK) && (lin & 0xfff) + size <= 0x1000) {
        const uint8_t *p = (const uint8_t *)(uintptr_t)(lin + e->addend);
        switch (size) {
        case 1: return *p;
        case 2: { uint16_t v; memcpy(&v, p, 2); return v; }
        case 4: { uint32_t v; memcpy(&v, p, 4); return v; }
        default: { uint64_t v; memcpy(&v, p, 8); return v; }
        }
    }
    return mmu_load(c, lin, size);
}

/* The load of a read-modify-write: the write tag, else the helper (which
 * faults as a write would). */
static inline uint64_t interp_load_rmw(struct cpu_exec *c, uint64_t lin, unsigned size)
{
    const struct tlb_entry *e = &c->tlb[c->cpl == 3][(lin >> 12) & (TLB_SIZE - 1)];
    if (e->tag_write == (lin & TLB_PAGE_MASK) && (lin & 0xfff) + size <= 0x1000) {
        uint64_t v = 0;
        memcpy(&v, (const void *)(uintptr_t)(lin + e->addend), size);
        return v;
    }
    return helper_ld_rmw(c, lin, size, 0, 0);
}

static inline void interp_store(struct cpu_exec *c, uint64_t lin, unsigned size, uint64_t v)
{
    const struct tlb_entry *e = &c->tlb[c->cpl == 3][(lin >> 12) & (TLB_SIZE - 1)];
    if (e->tag_write == (lin & TLB_PAGE_MASK) && (lin & 0xfff) + size <= 0x1000) {
        uint8_t *p = (uint8_t *)(uintptr_t)(lin + e->addend);
        switch (size) {
        case 1: *p = (uint8_t)v; return;
        case 2: { uint16_t x = (uint16_t)v; memcpy(p, &x, 2); return; }
        case 4: { uint32_t x = (uint32_t)v; memcpy(p, &x, 4); return; }
        default: memcpy(p, &v, 8); return;
        }
    }
    mmu_store(c, lin, size, v);
}

static inline uint64_t size_mask(unsigned size)
{
    return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1;
}

int ir_interp_run(const struct ir_block *b, struct cpu_exec *c, uint64_t *t)
{
    const struct ir_insn *insns = b->insns;
    unsigned n = b->count;
    for (unsigned pc = 0; pc < n; pc++) {
        const struct ir_insn *i = &insns[pc];
        switch ((enum ir_op)i->op) {
        case IR_NOP:
        case IR_LABEL:
            break;
        case IR_MOVI:
            t[i->d] = (uint64_t)i->imm;
            break;
        case IR_MOV:
            t[i->d] = t[i->a];
            break;
        case IR_LDC: {
            const uint8_t *p = (const uint8_t *)c + i->imm;
            switch (i->size) {
            case 1: t[i->d] = *p; break;
            case 2: { uint16_t v; memcpy(&v, p, 2); t[i->d] = v; break; }
            case 4: { uint32_t v; memcpy(&v, p, 4); t[i->d] = v; break; }
            default: memcpy(&t[i->d], p, 8); break;
            }
            break;
        }
        case IR_STC: {
            /* An instruction overwrote this block's code: finish it and stop
             * at the next instruction boundary (RIP store marked cond = 1),
             * so what follows is translated from the new bytes. */
            if (__builtin_expect(c->tb_invalidated, 0) && i->cond == 1) {
                c->cpu.rip = t[i->a];
                return -1;
            }
            uint8_t *p = (uint8_t *)c + i->imm;
            uint64_t v = t[i->a];
            switch (i->size) {
            case 1: *p = (uint8_t)v; break;
            case 2: { uint16_t x = (uint16_t)v; memcpy(p, &x, 2); break; }
            case 4: { uint32_t x = (uint32_t)v; memcpy(p, &x, 4); break; }
            default: memcpy(p, &v, 8); break;
            }
            break;
        }
        case IR_ADD: t[i->d] = t[i->a] + t[i->b]; break;
        case IR_SUB: t[i->d] = t[i->a] - t[i->b]; break;
        case IR_AND: t[i->d] = t[i->a] & t[i->b]; break;
        case IR_OR: t[i->d] = t[i->a] | t[i->b]; break;
        case IR_XOR: t[i->d] = t[i->a] ^ t[i->b]; break;
        case IR_SHL: t[i->d] = t[i->a] << (t[i->b] & 63); break;
        case IR_SHR: t[i->d] = t[i->a] >> (t[i->b] & 63); break;
        case IR_SAR: t[i->d] = (uint64_t)((int64_t)t[i->a] >> (t[i->b] & 63)); break;
        case IR_ROL:
        case IR_ROR: {
            unsigned bits = i->size * 8;
            uint64_t m = size_mask(i->size);
            uint64_t v = t[i->a] & m;
            unsigned r = (unsigned)(t[i->b] & (bits - 1));
            if (i->op == IR_ROR)
                r = (bits - r) & (bits - 1);
            t[i->d] = r ? ((v << r) | (v >> (bits - r))) & m : v;
            break;
        }
        case IR_MUL: t[i->d] = t[i->a] * t[i->b]; break;
        case IR_MULHU:
            t[i->d] = (uint64_t)(((unsigned __int128)t[i->a] * t[i->b]) >> 64);
            break;
        case IR_MULHS:
            t[i->d] = (uint64_t)(((__int128)(int64_t)t[i->a] * (int64_t)t[i->b]) >> 64);
            break;
        case IR_NEG: t[i->d] = -t[i->a]; break;
        case IR_NOT: t[i->d] = ~t[i->a]; break;
        case IR_ZEXT: t[i->d] = t[i->a] & size_mask(i->size); break;
        case IR_SEXT: {
            unsigned sh = 64 - i->size * 8;
            t[i->d] = sh ? (uint64_t)((int64_t)(t[i->a] << sh) >> sh) : t[i->a];
            break;
        }
        case IR_SETCC:
            t[i->d] = ir_cond_eval((enum ir_cond)i->cond, t[i->a], t[i->b]);
            break;
        case IR_SELECT:
            t[i->d] = ir_cond_eval((enum ir_cond)i->cond, t[i->a], t[i->b]) ? t[i->c] : t[i->x];
            break;
        case IR_LD:
            t[i->d] = i->cond ? interp_load_rmw(c, t[i->a], i->size)
                              : interp_load(c, t[i->a], i->size);
            break;
        case IR_ST:
            interp_store(c, t[i->a], i->size, t[i->b]);
            break;
        case IR_VEC:
            sse_vec_run(c, (uint64_t)i->imm);
            break;
        case IR_CALL: {
            uint64_t a0 = i->nargs > 0 ? t[i->a] : 0, a1 = i->nargs > 1 ? t[i->b] : 0;
            uint64_t a2 = i->nargs > 2 ? t[i->c] : 0, a3 = i->nargs > 3 ? t[i->x] : 0;
            uint64_t r = i->fn(c, a0, a1, a2, a3);
            if (i->d != IR_NO_TEMP)
                t[i->d] = r;
            break;
        }
        case IR_BR:
            pc = (unsigned)i->imm; /* finalised: the LABEL's index */
            break;
        case IR_BRCOND:
            if (ir_cond_eval((enum ir_cond)i->cond, t[i->a], t[i->b]))
                pc = (unsigned)i->imm;
            break;
        case IR_EXIT:
            return (int)i->imm;
        case IR_OP_COUNT:
            break;
        }
    }
    return -1;
}

