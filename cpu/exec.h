/* The execution context of the bt engine: the architectural state plus what
 * translated code and its C helpers need at run time (lazy flags, the TLB,
 * where a guest fault unwinds to). Everything below the IR shares it. */
#ifndef VX86_CPU_EXEC_H
#define VX86_CPU_EXEC_H

#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>

#include "cpu/cpu.h"

struct machine;

/* Software TLB: direct-mapped, one table per privilege class (supervisor,
 * user). A tag is the page-aligned linear address, or TLB_INVALID; flag bits
 * in the low bits of a tag send that kind of access to the slow path. */
/* 4096 entries per privilege class: Linux's kernel and user working sets
 * alias badly in fewer (26M refills against 0.7M over the amd64 guest's
 * benchmark commands, against 8.8M with 1024). */
#define TLB_BITS 12
#define TLB_SIZE (1u << TLB_BITS)
#define TLB_PAGE_MASK (~(uint64_t)0xfff)
#define TLB_INVALID ((uint64_t)-1)
#define TLB_FLAG_SLOW 0x1   /* MMIO, watched code page, or not yet dirty */
#define TLB_MMU_SUPERVISOR 0
#define TLB_MMU_USER 1
#define TLB_MMU_MODES 2

struct tlb_entry {
    uint64_t tag_read;
    uint64_t tag_write;
    uint64_t tag_code;
    uintptr_t addend;   /* host address = linear + addend */
    uint64_t phys;      /* guest-physical page, for slow paths and code tracking */
};

/* Lazy condition codes: flags are computed from the last flag-setting
 * operation only when read. cc_op says how to read cc_dst/cc_src/cc_src2. */
enum cc_op {
    CC_OP_EFLAGS,   /* rflags holds every arithmetic flag already */
    CC_OP_ADD8, CC_OP_ADD16, CC_OP_ADD32, CC_OP_ADD64,
    CC_OP_ADC8, CC_OP_ADC16, CC_OP_ADC32, CC_OP_ADC64,
    CC_OP_SUB8, CC_OP_SUB16, CC_OP_SUB32, CC_OP_SUB64,
    CC_OP_SBB8, CC_OP_SBB16, CC_OP_SBB32, CC_OP_SBB64,
    CC_OP_LOGIC8, CC_OP_LOGIC16, CC_OP_LOGIC32, CC_OP_LOGIC64,
    CC_OP_INC8, CC_OP_INC16, CC_OP_INC32, CC_OP_INC64,
    CC_OP_DEC8, CC_OP_DEC16, CC_OP_DEC32, CC_OP_DEC64,
    CC_OP_SHL8, CC_OP_SHL16, CC_OP_SHL32, CC_OP_SHL64,
    CC_OP_SHR8, CC_OP_SHR16, CC_OP_SHR32, CC_OP_SHR64,
    CC_OP_SAR8, CC_OP_SAR16, CC_OP_SAR32, CC_OP_SAR64,
    CC_OP_MUL8, CC_OP_MUL16, CC_OP_MUL32, CC_OP_MUL64,
    /* Layered states, so INC/DEC, IMUL and rotates need not read the flags
     * they keep: a layer over a base state (cc_base_op with cc_dst, cc_src,
     * cc_src2; never itself a layer). INCL/DECL: INC/DEC of result
     * cc_layer, CF from the base. CFOF: CF = cc_layer bit 0, OF = bit 1,
     * SF ZF AF PF from the base. */
    CC_OP_INCL8, CC_OP_INCL16, CC_OP_INCL32, CC_OP_INCL64,
    CC_OP_DECL8, CC_OP_DECL16, CC_OP_DECL32, CC_OP_DECL64,
    CC_OP_CFOF,
    CC_OP_COUNT
};

struct cpu_exec {
    struct x86_cpu cpu;        /* the architectural state, authoritative */
    struct machine *m;

    /* Lazy flags: the arithmetic flags (CF PF AF ZF SF OF) of rflags are
     * stale while cc_op != CC_OP_EFLAGS. */
    uint32_t cc_op;
    uint64_t cc_dst, cc_src, cc_src2;
    uint32_t cc_base_op;       /* the base under a layered cc_op */
    uint64_t cc_layer;

    /* Current privilege level and modes, cached from cpu state when it
     * changes (they select the TLB and the translation). */
    uint8_t cpl;

    /* Segment checks inline in translated code: an access of size n at
     * offset off passes when off + n <= seg_rlim1/seg_wlim1 (limit + 1);
     * 0 sends every access to the checking helper (expand-down, unusable,
     * not readable/writable), which faults or computes the address.
     * Refreshed by cpu_exec_seg_cache_update() whenever a segment changes. */
    uint64_t seg_rlim1[X86_NR_SEGS];
    uint64_t seg_wlim1[X86_NR_SEGS];

    /* A 16-byte memory operand of an IR_VEC operation, loaded here first. */
    uint8_t sse_scratch[16];

    struct tlb_entry tlb[TLB_MMU_MODES][TLB_SIZE];
    /* The slots filled since the last flush, so flushes (every CR3 write,
     * INVLPG, new code pages) visit those instead of the whole table.
     * tlb_used_ok false (as zeroed) or a full list: visit every slot. */
    uint16_t tlb_used[TLB_MMU_MODES][TLB_SIZE];
    unsigned tlb_used_count[TLB_MMU_MODES];
    bool tlb_used_ok[TLB_MMU_MODES];

    /* A guest fault raised anywhere in a block or helper longjmps here; the
     * engine loop then delivers it. */
    sigjmp_buf *unwind;
    struct {
        int vector;            /* -1: none */
        bool has_error_code;
        uint32_t error_code;
    } fault;

    /* Told when guest code writes to a physical page holding translated
     * code (the translator invalidates it). */
    void (*code_write)(void *opaque, uint64_t phys, unsigned len);
    void *code_write_opaque;
    /* Set by the translator's code_write callback when the block being
     * executed was just invalidated: the backend stops at the next
     * instruction boundary. */
    bool tb_invalidated;

    /* Bitmap of physical pages with translated code (1 bit per 4 KiB page). */
    uint8_t *code_pages;
    uint64_t code_pages_limit; /* pages covered by the bitmap */

    /* Direct jumps between compiled blocks (x86-64 backend): taken only
     * while exit_request_flag is 0 (set from any thread to get back to the
     * engine loop: kicks, interrupts) and chain_budget stays >= 0 (each
     * chained jump decrements it, so the loop still runs every so often). */
    volatile int32_t exit_request_flag;
    int32_t chain_budget;
};

/* Recomputes seg_rlim1/seg_wlim1 for one segment register from cpu.seg[]. */
void cpu_exec_seg_cache_update(struct cpu_exec *c, int sreg);
/* CPL and the segment caches from the state in c->cpu (after a state load). */
void cpu_exec_sync_from_state(struct cpu_exec *c);

/* PF of a result: 1 when its low byte has an even number of set bits. */
bool cpu_parity_even(uint64_t v);
/* All-ones mask of an operand of size bytes (1, 2, 4, 8). */
static inline uint64_t cpu_size_mask(unsigned size)
{
    return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1;
}

/* Puts all arithmetic flags into cpu.rflags and sets cc_op to CC_OP_EFLAGS. */
void cpu_exec_flush_flags(struct cpu_exec *c);
/* Computes RFLAGS without changing the lazy state. */
uint64_t cpu_exec_get_rflags(const struct cpu_exec *c);
/* Condition code cond (0-15, the Jcc encoding) of the lazy state: 0 or 1.
 * A helper for translated code (ir_helper_fn's form; only a0 is used). */
uint64_t cpu_exec_cc_cond(struct cpu_exec *c, uint64_t cond, uint64_t a1, uint64_t a2,
                          uint64_t a3);

#endif
