/* The bt engine: finds or translates the block at CS:RIP, runs it on the
 * selected backend, delivers faults and interrupts at block boundaries,
 * sleeps in HLT, and implements the engine contract for struct machine. */
#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/engine.h"
#include "cpu/exception.h"
#include "cpu/helpers.h"
#include "cpu/helpers_sse.h"
#include "hw/log.h"
#include "hw/machine.h"
#include "hw/vclock.h"
#include "softmmu/mmu.h"
#include "translator/bt.h"
#include "translator/bt_log.h"
#include "translator/tb.h"
#include "translator/x64_backend.h"
#include "translator/xlat.h"

#define BT_ARENA_SIZE (256u << 20)
#define BT_CODE_SIZE (128u << 20)             /* x86-64 backend code cache */
#define BT_CODE_PAGES_MAX (64ull << 30 >> 12) /* physical pages tracked: 64 GiB */
#define BT_BLOCKS_PER_SLICE 4096              /* blocks between lock releases */
#define BT_JIT_BLOCKS_PER_SLICE 32768         /* the same for compiled blocks (faster) */
#define BT_JMP_CACHE_BITS 12                  /* recent blocks by linear address */

struct bt_engine {
    struct cpu_exec c;
    struct machine *m;
    struct tb_cache tc;
    struct ir_block ir;
    struct ir_insn ir_storage[IR_MAX_INSNS];
    uint64_t temps[IR_MAX_TEMPS];
    atomic_bool exit_request;
    struct tb *current;
    enum bt_backend backend;
    struct x64_backend *jit;  /* NULL with the interpreter backend */
    struct tb *jmp_cache[1u << BT_JMP_CACHE_BITS];
    /* The same blocks for the lookup compiled code does itself (compiled
     * blocks only; cleared with their block). */
    struct x64_jc_entry jc[1u << BT_JMP_CACHE_BITS];
    struct tb *link_from;     /* last block left through a chainable exit */
    int link_slot;
    /* Counters for VX86_BT_STATS (printed when the engine goes). */
    uint64_t stat_blocks, stat_entries, stat_links, stat_lookups, stat_lookups_direct, stat_x[4];
    uint64_t mem_generation; /* physmem map the TLB was filled under */
    bool a20;                /* A20 state the TLB was filled under */
};

#if defined(__x86_64__)
static enum bt_backend bt_default_backend = BT_BACKEND_JIT;
#else
static enum bt_backend bt_default_backend = BT_BACKEND_INTERP;
#endif

void bt_set_backend(enum bt_backend backend)
{
    bt_default_backend = backend;
}

static int bt_probe(char *why, size_t why_len)
{
    (void)why;
    (void)why_len;
    return 0;
}

static bool code_page_marked(const struct cpu_exec *c, uint64_t page)
{
    uint64_t n = page >> 12;
    return n < c->code_pages_limit && (c->code_pages[n >> 3] & (1u << (n & 7)));
}

static void code_page_set(struct cpu_exec *c, uint64_t page, bool on)
{
    uint64_t n = page >> 12;
    if (n >= c->code_pages_limit)
        return;
    if (on)
        c->code_pages[n >> 3] |= (uint8_t)(1u << (n & 7));
    else
        c->code_pages[n >> 3] &= (uint8_t)~(1u << (n & 7));
}

/* The guest wrote to a page holding translated code. */
static void bt_code_write(void *opaque, uint64_t phys, unsigned len)
{
    struct bt_engine *e = opaque;
    uint64_t first = phys & ~0xfffull, last = (phys + (len ? len : 1) - 1) & ~0xfffull;
    for (uint64_t p = first; p <= last; p += 0x1000) {
        if (!code_page_marked(&e->c, p))
            continue;
        unsigned n = tb_invalidate_page(&e->tc, p);
        code_page_set(&e->c, p, false);
        if (e->current && (e->current->page[0] == p || e->current->page[1] == p))
            e->c.tb_invalidated = true;
        /* Compiled code may have chained past the block the loop entered:
         * whichever block runs now stops at its next instruction boundary. */
        if (n && e->current && e->current->code)
            e->c.tb_invalidated = true;
    }
}

static uint32_t bt_mode_key(const struct cpu_exec *c)
{
    const struct x86_segment *cs = &c->cpu.seg[S_CS];
    bool pe = c->cpu.cr0 & X86_CR0_PE, vm = c->cpu.rflags & X86_FLAG_VM;
    bool m64 = (c->cpu.efer & X86_EFER_LMA) && (cs->attr & SEG_ATTR_L);
    unsigned code = m64 ? 2 : (pe && !vm && (cs->attr & SEG_ATTR_DB)) ? 1 : 0;
    unsigned stack = m64 ? 2 : (pe && !vm && (c->cpu.seg[S_SS].attr & SEG_ATTR_DB)) ? 1 : 0;
    /* CPL 3 or not selects the TLB, which compiled code then knows */
    return code | stack << 2 | (xlat_flat_data(c) ? 16u : 0u) | (c->cpl == 3 ? 32u : 0u);
}

/* Drops every translation (and its code) and the code-page watches. */
static void bt_flush(struct bt_engine *e)
{
    tb_cache_flush(&e->tc);
    memset(e->jmp_cache, 0, sizeof(e->jmp_cache));
    memset(e->jc, 0, sizeof(e->jc));
    if (e->jit)
        x64_backend_flush(e->jit);
    memset(e->c.code_pages, 0, (e->c.code_pages_limit + 7) / 8);
    e->link_from = NULL;
}

static void bt_patch_jump(void *opaque, struct tb *from, int slot, struct tb *to)
{
    struct bt_engine *e = opaque;
    x64_link(e->jit, from->code, from->jmp_field[slot], from->jmp_reset[slot], to ? to->code : NULL);
}

/* Helpers that change nothing the engine loop must see before the next
 * block (interrupt state, the interrupt shadow, TF, CPL, modes, the memory
 * map, paging): a block calling only these may jump straight on. Anything
 * not listed ends chaining, so a new helper is safe by default. */
static bool bt_helper_chain_safe(const struct ir_block *ir, unsigned k)
{
    static const ir_helper_fn safe[] = {
        helper_seg_linear, helper_get_rflags, helper_cond, cpu_exec_cc_cond, helper_raise, helper_raise_err,
        helper_shift, helper_shxd, helper_mul1, helper_imul2, helper_div, helper_bcd,
        helper_bitscan, helper_bt, helper_cmpxchg, helper_cmpxchg8b, helper_pushf, helper_lahf,
        helper_sahf, helper_string, bt_string_rep, helper_cpuid, helper_rdtsc, helper_rdtscp, helper_pause,
        helper_enter, helper_bound, helper_x87, helper_fxsave, helper_ld_rmw, helper_check_cpl0,
        helper_in, helper_desc_test, helper_arpl, helper_smsw, helper_sxdt, helper_mov_from_cr,
        helper_mov_from_dr,
        /* MMX/SSE: registers, MXCSR and memory only */
        helper_sse, helper_sse_maskmov, helper_emms, helper_mxcsr, helper_crc32,
    };
    ir_helper_fn fn = ir->insns[k].fn;
    for (size_t i = 0; i < sizeof(safe) / sizeof(safe[0]); i++)
        if (safe[i] == fn)
            return true;
    if (fn == helper_flag_op) {
        /* CLC STC CMC CLD STD CLI SALC are; STI opens an interrupt window. */
        ir_temp op = ir->insns[k].a;
        for (unsigned j = k; j-- > 0;)
            if (ir->insns[j].d == op && ir->insns[j].op != IR_STC && ir->insns[j].op != IR_ST)
                return ir->insns[j].op == IR_MOVI && ir->insns[j].imm != X86_STI;
    }
    return false;
}

/* Which exit slots may be chained: every exit through the slot stores one
 * constant RIP just before it, and the block calls only chain-safe helpers
 * (the others end blocks the loop has to look at). */
static bool bt_chain_analyse(const struct ir_block *ir, bool chainable[2])
{
    uint64_t rip[2] = { 0, 0 };
    bool seen[2] = { false, false };
    chainable[0] = chainable[1] = true;
    for (unsigned k = 0; k < ir->count; k++) {
        const struct ir_insn *i = &ir->insns[k];
        if (i->op == IR_CALL && !bt_helper_chain_safe(ir, k)) {
            chainable[0] = chainable[1] = false;
            return false;
        }
        if (i->op != IR_EXIT || i->imm < 0 || i->imm > 1)
            continue;
        int slot = (int)i->imm;
        const struct ir_insn *st = k >= 2 ? &ir->insns[k - 1] : NULL;
        const struct ir_insn *mv = k >= 2 ? &ir->insns[k - 2] : NULL;
        if (!st || st->op != IR_STC || st->imm != (int64_t)OFF_RIP || st->size != 8 ||
            mv->op != IR_MOVI || mv->d != st->a || (seen[slot] && rip[slot] != (uint64_t)mv->imm)) {
            chainable[slot] = false;
            continue;
        }
        seen[slot] = true;
        rip[slot] = (uint64_t)mv->imm;
    }
    return true;
}

/* The previous block left through a chainable exit and t is what the
 * lookup found next: jump there directly from now on, when nothing but
 * that exit can lead elsewhere (same code page, so the same mapping, and
 * the same decoding mode). */
static void bt_link_previous(struct bt_engine *e, struct tb *t)
{
    struct tb *from = e->link_from;
    e->link_from = NULL;
    if (!from || !from->valid || !t->valid || log_enabled(LOG_EXEC))
        return;
    if (((from->pc_linear ^ t->pc_linear) & TLB_PAGE_MASK) || from->mode != t->mode ||
        from->cs_base != t->cs_base)
        return;
    tb_link(&e->tc, from, e->link_slot, t);
    e->stat_links++;
}

/* tb_lookup behind a direct-mapped cache of recent blocks (the same index
 * as the in-code cache). */
static struct tb *bt_lookup(struct bt_engine *e, uint64_t lin, uint64_t phys, uint32_t mode,
                            uint64_t cs_base)
{
    unsigned k = x64_jc_index(lin, BT_JMP_CACHE_BITS);
    struct tb **slot = &e->jmp_cache[k];
    struct tb *t = *slot;
    if (t && t->pc_linear == lin && t->pc_phys == phys && t->mode == mode &&
        t->cs_base == cs_base && t->valid)
        return t;
    t = tb_lookup(&e->tc, lin, phys, mode, cs_base);
    if (t) {
        *slot = t;
        if (t->code) {
            e->jc[k].lin = lin;
            e->jc[k].phys = phys;
            e->jc[k].ctx = x64_jc_ctx(cs_base, mode);
            e->jc[k].code = t->code;
        }
    }
    return t;
}

/* A block was invalidated: it leaves the lookup caches. */
static void bt_tb_invalidated(void *opaque, struct tb *t)
{
    struct bt_engine *e = opaque;
    unsigned k = x64_jc_index(t->pc_linear, BT_JMP_CACHE_BITS);
    if (e->jmp_cache[k] == t)
        e->jmp_cache[k] = NULL;
    if (t->code && e->jc[k].code == t->code)
        memset(&e->jc[k], 0, sizeof(e->jc[k]));
}

/* The CS base blocks are keyed with (0 in 64-bit mode, where it is not
 * added to RIP). */
static uint64_t bt_cs_base(const struct cpu_exec *c)
{
    bool m64 = (c->cpu.efer & X86_EFER_LMA) && (c->cpu.seg[S_CS].attr & SEG_ATTR_L);
    return m64 ? 0 : c->cpu.seg[S_CS].base;
}

static uint64_t bt_pc_linear(const struct cpu_exec *c)
{
    bool m64 = (c->cpu.efer & X86_EFER_LMA) && (c->cpu.seg[S_CS].attr & SEG_ATTR_L);
    return m64 ? c->cpu.rip : ((c->cpu.seg[S_CS].base + c->cpu.rip) & 0xffffffffu);
}

/* Called by compiled code leaving a chain-safe block (x64_lookup_fn): the
 * next block when it is compiled and nothing calls for the loop, linking
 * direct exits on the way. */
static const void *bt_jit_lookup(struct cpu_exec *c, const void *tag, int64_t slot)
{
    struct bt_engine *e = (struct bt_engine *)c; /* c is its first member */
    const struct tb *from = tag;
    struct machine *m = e->m;
    if (m->mem.generation != e->mem_generation || m->a20_enabled != e->a20 ||
        log_enabled(LOG_EXEC) || c->cpu.interrupt_shadow || (c->cpu.rflags & X86_FLAG_TF) ||
        c->cpu.halted)
        return NULL;
    /* A chain-safe block changes neither the decoding mode nor CS: the
     * next block runs in from's. */
    uint64_t lin = from->cs_base + c->cpu.rip;
    if ((from->mode & 3) != 2)
        lin &= 0xffffffffu;
    const struct tlb_entry *te = &c->tlb[c->cpl == 3][(lin >> 12) & (TLB_SIZE - 1)];
    uint64_t phys;
    if (te->tag_code == (lin & TLB_PAGE_MASK)) {
        phys = (te->phys & TLB_PAGE_MASK) | (lin & 0xfff);
    } else {
        /* The code entry was evicted (the TLB is shared with data): one
         * fetch refills it, as the loop would, without leaving. */
        uint8_t byte;
        if (mmu_fetch(c, lin, &byte, 1, &phys) != 1)
            return NULL;
    }
    struct tb *t = bt_lookup(e, lin, phys, from->mode, from->cs_base);
    if (!t || !t->code)
        return NULL;
    if (slot >= 0) {
        struct tb *f = (struct tb *)tag;
        e->link_from = f;
        e->link_slot = (int)slot;
        bt_link_previous(e, t);
        /* A successor on another page is never linked: let the exit go
         * straight to its in-code lookup from now on. */
        if (!f->jmp_dest[slot] && f->valid && f->jmp_inline[slot] &&
            ((f->pc_linear ^ t->pc_linear) & TLB_PAGE_MASK))
            x64_link(e->jit, f->code, f->jmp_field[slot], f->jmp_inline[slot], NULL);
    }
    e->stat_lookups++;
    e->stat_lookups_direct += slot >= 0;
    return t->code;
}

/* Compiles a cached block; false when the code buffer is full (the caller
 * flushes and translates again). Blocks the backend does not handle stay
 * on the interpreter. */
static bool bt_compile(struct bt_engine *e, struct tb *t)
{
    struct x64_block_info info = { .tag = t, .lookup = bt_jit_lookup };
    info.inline_lookup = !log_enabled(LOG_EXEC);
    info.ctx = x64_jc_ctx(t->cs_base, t->mode);
    info.tlb_cpl_known = true;
    info.tlb_user = (t->mode & 32) != 0;
    info.lookup_indirect = bt_chain_analyse(&t->ir, info.chainable);
    int r = x64_compile(e->jit, &t->ir, &info);
    if (r == X64_COMPILE_FULL)
        return false;
    if (r != X64_COMPILE_OK)
        return true;
    t->code = info.code;
    tb_release_ir(&e->tc, t); /* only the interpreter needs it */
    for (int k = 0; k < 2; k++) {
        t->chainable[k] = info.chainable[k] && info.jmp_field[k];
        t->jmp_field[k] = info.jmp_field[k];
        t->jmp_reset[k] = info.jmp_reset[k];
        t->jmp_inline[k] = info.jmp_inline[k];
    }
    if (log_enabled(LOG_OUT_ASM)) {
        log_printf("OUT: block at %#llx, %zu bytes of host code\n", (unsigned long long)t->pc_linear,
                   info.code_size);
        x64_log_code(info.code, info.code_size);
    }
    return true;
}

/* Translates the block at CS:RIP (max_insns 0 = as many as fit). Faults
 * while fetching the first byte are raised here. */
static struct tb *bt_translate(struct bt_engine *e, unsigned max_insns, bool cache)
{
    struct cpu_exec *c = &e->c;
    bool m64 = (c->cpu.efer & X86_EFER_LMA) && (c->cpu.seg[S_CS].attr & SEG_ATTR_L);
    uint64_t rip = c->cpu.rip;
    uint64_t lin = mmu_seg_linear(c, S_CS, rip, 1, MMU_EXEC);
    unsigned page_rem = 0x1000 - (unsigned)(lin & 0xfff);
    unsigned want = page_rem + X86_MAX_INSN_LEN;
    if (!m64) {
        uint64_t lim = c->cpu.seg[S_CS].limit;
        uint64_t room = lim >= rip ? lim - rip + 1 : 0;
        if (room < want)
            want = (unsigned)room;
    }
    uint8_t code[0x1000 + X86_MAX_INSN_LEN];
    uint64_t phys0 = 0;
    unsigned got = mmu_fetch(c, lin, code, want, &phys0);
    if (got == 0) {
        struct mmu_walk_result res;
        if (!mmu_walk(c, lin, MMU_EXEC, c->cpl == 3, &res)) {
            c->cpu.cr2 = lin;
            cpu_raise_exception_err(c, X86_EXC_PF, res.pf_error);
        }
        cpu_raise_exception_err(c, X86_EXC_GP, 0);
    }
    struct xlat_block_info info = { .max_insns = max_insns, .page_limit = page_rem };
    if (xlat_block(c, &e->ir, code, got, &info) < 0) {
        info.max_insns = 1;
        if (xlat_block(c, &e->ir, code, got, &info) < 0)
            return NULL;
    }
    if (log_enabled(LOG_IN_ASM)) {
        unsigned bits = (bt_mode_key(c) & 3) == 2 ? 64 : (bt_mode_key(c) & 3) == 1 ? 32 : 16;
        bt_log_in_asm(code, info.guest_bytes < got ? info.guest_bytes : got, bits, lin);
    }
    uint64_t page0 = phys0 & ~0xfffull, page1 = page0;
    if (info.guest_bytes > page_rem) {
        uint8_t b;
        uint64_t phys1 = 0;
        if (mmu_fetch(c, lin + page_rem, &b, 1, &phys1) == 1)
            page1 = phys1 & ~0xfffull;
    }
    static struct tb scratch;
    if (!cache) {
        memset(&scratch, 0, sizeof(scratch));
        scratch.ir = e->ir;
        scratch.page[0] = page0;
        scratch.page[1] = page1;
        scratch.valid = true;
        return &scratch;
    }
    struct tb *t = tb_insert(&e->tc, lin, phys0, bt_mode_key(c), bt_cs_base(c), page0, page1,
                             info.guest_bytes, &e->ir);
    if (t && e->jit && !bt_compile(e, t))
        t = NULL;
    if (!t) {
        bt_flush(e);
        t = tb_insert(&e->tc, lin, phys0, bt_mode_key(c), bt_cs_base(c), page0, page1,
                      info.guest_bytes, &e->ir);
        if (!t)
            return NULL;
        if (e->jit && !bt_compile(e, t))
            return NULL;
    }
    for (int i = 0; i < 2; i++) {
        if (!code_page_marked(c, t->page[i])) {
            code_page_set(c, t->page[i], true);
            tlb_flush_phys(c, t->page[i]);
        }
    }
    if (log_enabled(LOG_OP)) {
        char buf[160];
        log_printf("OP: block at %#llx (phys %#llx), %u insns\n", (unsigned long long)lin,
                   (unsigned long long)phys0, info.ninsns);
        for (unsigned k = 0; k < e->ir.count; k++) {
            ir_insn_format(&e->ir.insns[k], buf, sizeof(buf));
            log_printf("  %4u: %s\n", k, buf);
        }
    }
    return t;
}

static struct tb *bt_find(struct bt_engine *e)
{
    struct cpu_exec *c = &e->c;
    uint64_t lin = bt_pc_linear(c);
    /* The TLB's code tag gives the physical page without a walk. */
    struct tlb_entry *te = &c->tlb[c->cpl == 3][(lin >> 12) & (TLB_SIZE - 1)];
    if (te->tag_code == (lin & TLB_PAGE_MASK)) {
        uint64_t phys = (te->phys & TLB_PAGE_MASK) | (lin & 0xfff); /* low bits: MMU flags */
        struct tb *t = bt_lookup(e, lin, phys, bt_mode_key(c), bt_cs_base(c));
        if (t)
            return t;
    } else {
        /* After a TLB flush: one fetch refills the entry and names the
         * physical page, and the block is usually still cached. */
        uint8_t byte;
        uint64_t phys;
        if (mmu_fetch(c, lin, &byte, 1, &phys) == 1) {
            struct tb *t = bt_lookup(e, lin, phys, bt_mode_key(c), bt_cs_base(c));
            if (t)
                return t;
        }
    }
    return bt_translate(e, 0, true);
}

/* An exception raised by translated code or a helper: deliver it. Returns
 * false on a triple fault. */
static bool bt_deliver_fault(struct bt_engine *e)
{
    struct cpu_exec *c = &e->c;
    int v = c->fault.vector;
    c->fault.vector = -1;
    if (v == CPU_TRIPLE_FAULT)
        return false;
    if (log_enabled(LOG_INT))
        log_printf("int: exception %d error %#x at %04x:%#llx\n", v, c->fault.error_code,
                   c->cpu.seg[S_CS].selector, (unsigned long long)c->cpu.rip);
    return cpu_deliver_event(c, CPU_EVENT_EXCEPTION, v, c->fault.has_error_code,
                             c->fault.error_code, c->cpu.rip);
}

static bool bt_has_request(struct bt_engine *e)
{
    struct machine *m = e->m;
    return atomic_load(&m->shutdown_requested) || atomic_load(&m->reset_requested);
}

/* Delivery can fault (a bad IDT entry): the fault is then delivered in its
 * place, with the usual double-fault rules inside cpu_deliver_event. */
static bool bt_deliver_event(struct bt_engine *e, enum cpu_event_kind kind, int vector)
{
    struct cpu_exec *c = &e->c;
    sigjmp_buf jb;
    c->unwind = &jb;
    if (sigsetjmp(jb, 0))
        return bt_deliver_fault(e);
    cpu_exec_flush_flags(c);
    return cpu_deliver_event(c, kind, vector, false, 0, c->cpu.rip);
}

/* Takes a pending NMI or maskable interrupt at this instruction boundary.
 * Returns false on a triple fault. */
static bool bt_take_interrupts(struct bt_engine *e, bool *delivered)
{
    struct cpu_exec *c = &e->c;
    struct machine *m = e->m;
    *delivered = false;
    if (c->cpu.interrupt_shadow)
        return true;
    int kind = -1, vector = 0;
    if (machine_nmi_pending(m) && !c->cpu.nmi_masked) {
        machine_nmi_ack(m);
        kind = CPU_EVENT_NMI;
        vector = 2;
    } else if ((c->cpu.rflags & X86_FLAG_IF) && machine_intr_pending(m)) {
        vector = machine_intr_ack(m);
        if (vector < 0)
            return true;
        kind = CPU_EVENT_EXTERNAL;
    }
    if (kind < 0)
        return true;
    c->cpu.halted = false;
    *delivered = true;
    if (log_enabled(LOG_INT))
        log_printf("int: %s vector %#x at %04x:%#llx\n", kind == CPU_EVENT_NMI ? "NMI" : "interrupt",
                   vector, c->cpu.seg[S_CS].selector, (unsigned long long)c->cpu.rip);
    if (kind == CPU_EVENT_NMI)
        c->cpu.nmi_masked = true;
    return bt_deliver_event(e, (enum cpu_event_kind)kind, vector);
}

static void bt_wait_halted(struct bt_engine *e)
{
    struct cpu_exec *c = &e->c;
    struct machine *m = e->m;
    while (!bt_has_request(e) && !atomic_load(&e->exit_request) &&
           !((c->cpu.rflags & X86_FLAG_IF) && machine_intr_pending(m)) && !machine_nmi_pending(m))
        pthread_cond_wait(&m->cpu_wakeup, &m->lock);
}

static enum engine_exit bt_run(void *state)
{
    struct bt_engine *e = state;
    struct cpu_exec *c = &e->c;
    struct machine *m = e->m;
    volatile unsigned slice = 0; /* survives the longjmp of a guest fault */
    const unsigned slice_len = e->jit ? BT_JIT_BLOCKS_PER_SLICE : BT_BLOCKS_PER_SLICE;
    for (;;) {
        if (atomic_load(&m->shutdown_requested))
            return ENGINE_EXIT_SHUTDOWN;
        if (atomic_load(&m->reset_requested))
            return ENGINE_EXIT_RESET;
        c->exit_request_flag = 0; /* before the exchange: a later kick sets it again */
        if (atomic_exchange(&e->exit_request, false) || (slice = slice + 1) >= slice_len) {
            /* Let the main loop run timers and input. Due timers also run
             * here: the main thread can lose the race for the lock again
             * and again while this one only lets go briefly, and a guest
             * timing its timer interrupt (Linux's check_timer) must see
             * them on time. */
            slice = 0;
            e->link_from = NULL;
            vclock_run_timers(&m->clock);
            pthread_mutex_unlock(&m->lock);
            sched_yield();
            pthread_mutex_lock(&m->lock);
            continue;
        }
        if (m->mem.generation != e->mem_generation || m->a20_enabled != e->a20) {
            /* The TLB caches host pointers and A20-masked addresses. */
            e->mem_generation = m->mem.generation;
            e->a20 = m->a20_enabled;
            tlb_flush_all(c);
        }
        bool delivered;
        if (!bt_take_interrupts(e, &delivered))
            return ENGINE_EXIT_RESET;
        if (delivered)
            e->link_from = NULL; /* the next block is the handler, not a successor */
        if (c->cpu.halted) {
            e->link_from = NULL;
            bt_wait_halted(e);
            continue;
        }
        sigjmp_buf jb;
        c->unwind = &jb;
        c->fault.vector = -1;
        if (sigsetjmp(jb, 0)) {
            e->current = NULL;
            e->link_from = NULL;
            c->tb_invalidated = false;
            c->cpu.interrupt_shadow = false;
            if (!bt_deliver_fault(e)) {
                if (log_enabled(LOG_INT))
                    log_printf("int: triple fault\n");
                return ENGINE_EXIT_RESET;
            }
            continue;
        }
        bool shadow = c->cpu.interrupt_shadow;
        /* With TF set each instruction runs alone and is followed by a
         * single-step #DB trap (TF as it was before the instruction). */
        bool single_step = c->cpu.rflags & X86_FLAG_TF;
        struct tb *t = (shadow || single_step) ? bt_translate(e, 1, false) : bt_find(e);
        if (!t) {
            fprintf(stderr, "vx86: bt: cannot translate the block at %#llx\n",
                    (unsigned long long)c->cpu.rip);
            return ENGINE_EXIT_ERROR;
        }
        if (log_enabled(LOG_EXEC))
            log_printf("exec: %04x:%#llx\n", c->cpu.seg[S_CS].selector,
                       (unsigned long long)c->cpu.rip);
        e->current = t;
        if (t->code) {
            bt_link_previous(e, t);
            int32_t budget = (int32_t)(slice_len - slice);
            c->chain_budget = budget;
            struct x64_exit x = x64_run(e->jit, c, t->code);
            /* Chained blocks count towards the slice. Every chainable exit
             * reached spends one unit, taken or not. */
            struct tb *last = (struct tb *)x.tag;
            int32_t spent = budget - c->chain_budget;
            if (spent > 0)
                slice = slice + (unsigned)spent;
            e->stat_entries++;
            e->stat_blocks += 1 + (uint64_t)spent -
                              (spent > 0 && x.slot >= 0 && last->chainable[x.slot] ? 1 : 0);
            e->link_from = NULL;
            e->stat_x[x.slot < 0 ? 0 : !last->chainable[x.slot] ? 1 : !last->jmp_dest[x.slot] ? 2 : 3]++;
            if (x.slot >= 0 && last->chainable[x.slot] && !last->jmp_dest[x.slot] && last->valid) {
                e->link_from = last;
                e->link_slot = (int)x.slot;
            }
        } else {
            e->link_from = NULL;
            e->stat_blocks++;
            e->stat_entries++;
            ir_interp_run(&t->ir, c, e->temps);
        }
        e->current = NULL;
        c->tb_invalidated = false;
        if (shadow)
            c->cpu.interrupt_shadow = false;
        if (single_step && !c->cpu.halted) {
            c->cpu.dr[6] |= 0x4000; /* DR6.BS */
            if (!bt_deliver_event(e, CPU_EVENT_EXCEPTION, X86_EXC_DB))
                return ENGINE_EXIT_RESET;
        }
    }
}

static void bt_kick(void *state)
{
    struct bt_engine *e = state;
    atomic_store(&e->exit_request, true);
    e->c.exit_request_flag = 1; /* compiled code stops at its next chained jump */
}

static int bt_get_cpu(void *state, struct x86_cpu *out)
{
    struct bt_engine *e = state;
    cpu_exec_flush_flags(&e->c);
    *out = e->c.cpu;
    return 0;
}

static int bt_put_cpu(void *state, const struct x86_cpu *in)
{
    struct bt_engine *e = state;
    e->c.cpu = *in;
    e->c.cc_op = CC_OP_EFLAGS;
    cpu_exec_sync_from_state(&e->c);
    tlb_flush_all(&e->c);
    return 0;
}

static void bt_destroy(void *state)
{
    struct bt_engine *e = state;
    if (!e)
        return;
    if (getenv("VX86_BT_STATS"))
        fprintf(stderr, "vx86: bt (%s): %llu blocks run, %llu entered from the loop, %llu links, "
                        "%llu translations, %llu flushes, %zu bytes of host code\n",
                e->jit ? "jit" : "interp", (unsigned long long)e->stat_blocks,
                (unsigned long long)e->stat_entries, (unsigned long long)e->stat_links,
                (unsigned long long)e->tc.translations, (unsigned long long)e->tc.flushes,
                e->jit ? x64_backend_code_used(e->jit) : (size_t)0);
    if (getenv("VX86_BT_STATS"))
        fprintf(stderr, "exits to the loop: slot -1 %llu, unchainable %llu, unlinked %llu, "
                        "linked %llu; lookups from code %llu (%llu direct)\n",
                (unsigned long long)e->stat_x[0], (unsigned long long)e->stat_x[1],
                (unsigned long long)e->stat_x[2], (unsigned long long)e->stat_x[3],
                (unsigned long long)e->stat_lookups, (unsigned long long)e->stat_lookups_direct);
    tb_cache_destroy(&e->tc);
    x64_backend_destroy(e->jit);
    free(e->c.code_pages);
    free(e);
}

static int bt_create(struct machine *m, void **state)
{
    struct bt_engine *e = calloc(1, sizeof(*e));
    if (!e)
        return -ENOMEM;
    e->m = m;
    e->c.m = m;
    e->backend = bt_default_backend;
    ir_block_init(&e->ir, e->ir_storage, IR_MAX_INSNS);
    if (tb_cache_init(&e->tc, BT_ARENA_SIZE) < 0) {
        free(e);
        return -ENOMEM;
    }
    if (e->backend == BT_BACKEND_JIT) {
#if defined(__x86_64__)
        e->jit = x64_backend_create(BT_CODE_SIZE);
#endif
        if (!e->jit) {
            fprintf(stderr, "vx86: bt: no code generator here (%s); using the interpreter\n",
                    strerror(errno));
            e->backend = BT_BACKEND_INTERP;
        } else {
            e->tc.patch = bt_patch_jump;
            e->tc.patch_opaque = e;
            struct x64_lookup_params lp = {
                .jc_offset = (int32_t)offsetof(struct bt_engine, jc),
                .jc_bits = BT_JMP_CACHE_BITS,
                .lookup = bt_jit_lookup,
            };
            x64_backend_set_lookup(e->jit, &lp);
        }
    }
    e->c.code_pages_limit = BT_CODE_PAGES_MAX;
    e->c.code_pages = calloc(1, BT_CODE_PAGES_MAX / 8);
    if (!e->c.code_pages) {
        bt_destroy(e);
        return -ENOMEM;
    }
    e->c.code_write = bt_code_write;
    e->c.code_write_opaque = e;
    e->tc.invalidated = bt_tb_invalidated;
    e->tc.patch_opaque = e;
    e->c.fault.vector = -1;
    tlb_flush_all(&e->c); /* zeroed tags would match page 0 */
    e->mem_generation = m->mem.generation;
    e->a20 = m->a20_enabled;
    *state = e;
    return 0;
}

const struct engine_ops bt_engine_ops = {
    .name = "bt",
    .probe = bt_probe,
    .create = bt_create,
    .run = bt_run,
    .kick = bt_kick,
    .get_cpu = bt_get_cpu,
    .put_cpu = bt_put_cpu,
    .destroy = bt_destroy,
};
