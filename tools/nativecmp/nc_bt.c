/* nativecmp: the bt engine runner. One vx86 machine holds a tiny ring-0
 * world (GDT, IDT, TSS, page tables, exception stubs) next to the case's
 * two areas; each case is entered at CPL 3 through put_cpu and ends in a
 * stub that reports its vector on an I/O port, from whose frame the final
 * user state is read. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cpu/cpu.h"
#include "cpu/engine.h"
#include "cpu/fpu.h"
#include "hw/machine.h"
#include "tools/nativecmp/nc_bt.h"
#include "translator/bt.h"
#include "nc_bytes.h"

/* Guest-physical layout. The first K_PAGES pages are the ring-0 world,
 * mapped supervisor-only at KLIN32 (32-bit cases) or KLIN64 (64-bit): far
 * from the case's areas, where generated accesses do not go. */
#define KP_GDT 0x1000u
#define KP_IDT32 0x2000u
#define KP_IDT64 0x3000u
#define KP_TSS32 0x4000u
#define KP_TSS64 0x4080u
#define KP_STUBS 0x5000u
#define KP_STACK_TOP 0x8000u   /* the ring-0 stack: 0x6000..0x7fff */
#define KP_PDPT_PAE 0x8000u
#define KP_PML4 0x9000u
#define KP_PDPT_LO 0xa000u
#define KP_PDPT_HI 0xb000u
#define KP_PD0 0xc000u         /* linear 0..1 GiB: both case areas */
#define KP_PD3 0xd000u         /* the last GiB of the 32-bit (PAE) or 64-bit space */
#define KP_PT_DATA 0xe000u
#define KP_PT_CODE 0xf000u
#define KP_PT_K 0x10000u
#define K_PAGES 0x11u
#define P_DATA 0x20000u
/* Every case gets a code page of its own: the translation cache is keyed
 * by physical address and this harness writes code behind the engine's
 * back (one page for all cases made 1550 of 20,000 cases run stale
 * blocks), so a page is reused only by a fresh engine, made every
 * POOL_PAGES cases (an engine per case is 7 times slower). */
#define P_POOL 0x100000u
#define POOL_PAGES 4096u
#define RAM_SIZE ((uint64_t)P_POOL + (uint64_t)POOL_PAGES * 0x1000u)

#define KLIN32 0xfff00000ull
#define KLIN64 0xfffffffffff00000ull

/* The user selectors are those of Linux x86-64 (__USER32_CS, __USER_DS,
 * __USER_CS), the ones the native runner's cases see. */
#define SEL_KCODE32 0x08u
#define SEL_KCODE64 0x10u
#define SEL_KDATA 0x18u
#define SEL_UCODE32 0x23u
#define SEL_UDATA 0x2bu
#define SEL_UCODE64 0x33u
#define SEL_TSS32 0x38u
#define SEL_TSS64 0x40u
#define GDT_LIMIT 0x4fu

#define PORT_VECTOR 0x00u  /* 256 ports, one per vector: the stub keeps AL */

#define PTE_P 0x1ull
#define PTE_RW 0x2ull
#define PTE_US 0x4ull
#define PTE_A 0x20ull
#define PTE_D 0x40ull
#define PTE_NX (1ull << 63)

#define WATCHDOG_SECONDS 10

struct nc_bt {
    struct machine m;
    const struct engine_ops *ops;
    void *engine;
    enum bt_backend backend;
    uint8_t *ram;
    unsigned pool_next;
    int vector;               /* reported by the stub; -1 none */
    struct x86_cpu tmpl32, tmpl64;

    /* A sequence that never ends must not hang the campaign: the watchdog
     * ends the machine when one case has run too long. */
    pthread_t wd_thread;
    bool wd_started;
    pthread_mutex_t wd_lock;
    pthread_cond_t wd_cond;
    uint64_t wd_serial;       /* bumped per case */
    bool wd_running;
    bool wd_quit;
    bool wd_fired;
};

static void nc_bt_port(void *opaque, uint64_t offset, uint8_t *data, unsigned len, bool is_write)
{
    struct nc_bt *b = opaque;
    if (!is_write) {
        memset(data, 0xff, len);
        return;
    }
    if (b->vector < 0)
        b->vector = (int)offset;
    machine_request_shutdown(&b->m, 0);
}

/* An 8-byte segment descriptor (base 0 for code/data). */
static uint64_t desc(uint64_t base, uint32_t limit, unsigned access, unsigned flags)
{
    return (limit & 0xffffull) | (base & 0xffffffull) << 16 | (uint64_t)access << 40 |
           (uint64_t)((limit >> 16) & 0xf) << 48 | (uint64_t)(flags & 0xf) << 52 |
           ((base >> 24) & 0xff) << 56;
}

static void build_world(struct nc_bt *b)
{
    uint8_t *r = b->ram;

    /* GDT: flat ring-0 and ring-3 code (32 and 64-bit) and data, the TSSs
     * (busy: they are loaded). */
    uint8_t *g = r + KP_GDT;
    nc_put64(g + SEL_KCODE32, desc(0, 0xfffff, 0x9b, 0xc));
    nc_put64(g + SEL_KDATA, desc(0, 0xfffff, 0x93, 0xc));
    nc_put64(g + (SEL_UCODE32 & ~3u), desc(0, 0xfffff, 0xfb, 0xc));
    nc_put64(g + (SEL_UDATA & ~3u), desc(0, 0xfffff, 0xf3, 0xc));
    nc_put64(g + SEL_KCODE64, desc(0, 0xfffff, 0x9b, 0xa));
    nc_put64(g + (SEL_UCODE64 & ~3u), desc(0, 0xfffff, 0xfb, 0xa));
    nc_put64(g + SEL_TSS32, desc(KLIN32 + KP_TSS32, 0x67, 0x8b, 0));
    nc_put64(g + SEL_TSS64, desc(KLIN64 + KP_TSS64, 0x67, 0x8b, 0));
    nc_put64(g + SEL_TSS64 + 8, KLIN64 >> 32);

    /* TSSs: the ring-0 stack, and an I/O bitmap offset past the limit (no
     * port is permitted at CPL 3). */
    nc_put32(r + KP_TSS32 + 4, (uint32_t)(KLIN32 + KP_STACK_TOP));
    nc_put32(r + KP_TSS32 + 8, SEL_KDATA);
    nc_put32(r + KP_TSS32 + 0x64, 0x68u << 16);
    nc_put64(r + KP_TSS64 + 4, KLIN64 + KP_STACK_TOP);
    nc_put32(r + KP_TSS64 + 0x64, 0x68u << 16);

    /* Stubs: out v, al; hlt; jmp to the hlt. The same bytes in both modes. */
    for (unsigned v = 0; v < 256; v++) {
        uint8_t *s = r + KP_STUBS + v * 8;
        s[0] = 0xe6;
        s[1] = (uint8_t)(PORT_VECTOR + v);
        s[2] = 0xf4;
        s[3] = 0xeb;
        s[4] = 0xfd;
    }

    /* IDTs: interrupt gates, DPL 3 only for #BP and #OF. */
    for (unsigned v = 0; v < 256; v++) {
        unsigned dpl = (v == 3 || v == 4) ? 3 : 0;
        uint32_t attr = 0x8000u | dpl << 13 | 0xeu << 8;
        uint64_t o32 = KLIN32 + KP_STUBS + v * 8, o64 = KLIN64 + KP_STUBS + v * 8;
        uint8_t *e32 = r + KP_IDT32 + v * 8, *e64 = r + KP_IDT64 + v * 16;
        nc_put32(e32, (uint32_t)(SEL_KCODE32 << 16 | (o32 & 0xffff)));
        nc_put32(e32 + 4, (uint32_t)(o32 & 0xffff0000u) | attr);
        nc_put32(e64, (uint32_t)(SEL_KCODE64 << 16 | (o64 & 0xffff)));
        nc_put32(e64 + 4, (uint32_t)(o64 & 0xffff0000u) | attr);
        nc_put32(e64 + 8, (uint32_t)(o64 >> 32));
        nc_put32(e64 + 12, 0);
    }

    /* Page tables shared by PAE and 4-level paging below the PDPT level. */
    const uint64_t upper = PTE_P | PTE_RW | PTE_US | PTE_A;
    nc_put64(r + KP_PDPT_PAE + 0 * 8, KP_PD0 | PTE_P);
    nc_put64(r + KP_PDPT_PAE + 3 * 8, KP_PD3 | PTE_P);
    nc_put64(r + KP_PML4 + 0 * 8, KP_PDPT_LO | upper);
    nc_put64(r + KP_PML4 + 511 * 8, KP_PDPT_HI | PTE_P | PTE_RW | PTE_A);
    nc_put64(r + KP_PDPT_LO + 0 * 8, KP_PD0 | upper);
    nc_put64(r + KP_PDPT_HI + 511 * 8, KP_PD3 | PTE_P | PTE_RW | PTE_A);
    nc_put64(r + KP_PD0 + (NC_DATA_BASE >> 21) * 8, KP_PT_DATA | upper);
    nc_put64(r + KP_PD0 + (NC_CODE_BASE >> 21) * 8, KP_PT_CODE | upper);
    nc_put64(r + KP_PD3 + 511 * 8, KP_PT_K | PTE_P | PTE_RW | PTE_A);
    for (unsigned i = 0; i < K_PAGES; i++)
        nc_put64(r + KP_PT_K + (0x100 + i) * 8, (uint64_t)i * 0x1000 | PTE_P | PTE_RW | PTE_A | PTE_D);
    nc_put64(r + KP_PT_DATA + ((NC_DATA_BASE >> 12) & 511) * 8,
          P_DATA | PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D | PTE_NX);
}

static void seg_set(struct x86_segment *s, uint16_t sel, uint16_t attr)
{
    s->selector = sel;
    s->base = 0;
    s->limit = 0xffffffffu;
    s->attr = attr;
    s->unusable = false;
}

static void build_templates(struct nc_bt *b)
{
    const uint16_t data3 = SEG_ATTR_P | SEG_ATTR_S | SEG_ATTR_DB | SEG_ATTR_G | 3 << SEG_ATTR_DPL_SHIFT | 0x3;
    for (int m64 = 0; m64 < 2; m64++) {
        struct x86_cpu *t = m64 ? &b->tmpl64 : &b->tmpl32;
        uint64_t klin = m64 ? KLIN64 : KLIN32;
        cpu_reset(t);
        /* CR0 as Linux runs user processes (SMSW shows 0x80050033 there:
         * MP and NE set, TS and EM clear), and the x87/SSE state of a
         * fresh process (FNINIT, MXCSR reset) until a case loads its own. */
        t->cr0 = X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE | X86_CR0_WP | X86_CR0_AM |
                 X86_CR0_PG;
        t->fpu.fcw = 0x37f;
        t->fpu.fsw = 0;
        t->fpu.ftw = 0;
        t->fpu.mxcsr = 0x1f80;
        t->cr4 = X86_CR4_PAE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT; /* SSE enabled, as Linux has it */
        t->efer = X86_EFER_NXE | (m64 ? X86_EFER_LME | X86_EFER_LMA : 0);
        t->cr3 = m64 ? KP_PML4 : KP_PDPT_PAE;
        t->regs[R_RDX] = 0;
        for (int s = 0; s < X86_NR_SEGS; s++)
            seg_set(&t->seg[s], SEL_UDATA, data3);
        t->seg[S_CS].attr = SEG_ATTR_P | SEG_ATTR_S | SEG_ATTR_G | 3 << SEG_ATTR_DPL_SHIFT | 0xb |
                            (m64 ? SEG_ATTR_L : SEG_ATTR_DB);
        t->seg[S_CS].selector = m64 ? SEL_UCODE64 : SEL_UCODE32;
        /* FS and GS (and in 64-bit mode DS and ES) hold null selectors, as
         * in the native process. */
        for (int s = 0; s < X86_NR_SEGS; s++)
            if (s == S_FS || s == S_GS || (m64 && (s == S_DS || s == S_ES)))
                t->seg[s] = (struct x86_segment){ .unusable = true };
        t->ldtr = (struct x86_segment){ .unusable = true };
        t->tr = (struct x86_segment){
            .selector = m64 ? SEL_TSS64 : SEL_TSS32,
            .base = klin + (m64 ? KP_TSS64 : KP_TSS32),
            .limit = 0x67,
            .attr = SEG_ATTR_P | 0xb,
        };
        t->gdtr.base = klin + KP_GDT;
        t->gdtr.limit = GDT_LIMIT;
        t->idtr.base = klin + (m64 ? KP_IDT64 : KP_IDT32);
        t->idtr.limit = m64 ? 0xfff : 0x7ff;
        t->dr[7] = 0x400;
    }
}

static void *nc_bt_watchdog(void *opaque)
{
    struct nc_bt *b = opaque;
    pthread_mutex_lock(&b->wd_lock);
    uint64_t seen = 0;
    int ticks = 0;
    while (!b->wd_quit) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 1;
        pthread_cond_timedwait(&b->wd_cond, &b->wd_lock, &ts);
        if (!b->wd_running || b->wd_serial != seen) {
            seen = b->wd_serial;
            ticks = 0;
            continue;
        }
        if (++ticks >= WATCHDOG_SECONDS && !b->wd_fired) {
            b->wd_fired = true;
            machine_request_shutdown(&b->m, 0);
        }
    }
    pthread_mutex_unlock(&b->wd_lock);
    return NULL;
}

static int nc_bt_new_engine(struct nc_bt *b)
{
    if (b->engine)
        b->ops->destroy(b->engine);
    b->engine = NULL;
    b->pool_next = 0;
    bt_set_backend(b->backend);
    return b->ops->create(&b->m, &b->engine) < 0 ? -1 : 0;
}

static void harness_fail(struct nc_state *out, const char *what)
{
    out->status = NC_STATUS_HARNESS;
    snprintf(out->note, sizeof(out->note), "%s", what);
}

static bool vector_has_error_code(int v)
{
    return v == 8 || (v >= 10 && v <= 14) || v == 17;
}

static int nc_bt_run(void *opaque, const struct nc_case *c, struct nc_state *out)
{
    struct nc_bt *b = opaque;
    bool m64 = c->mode == NC_MODE_64;
    uint64_t klin = m64 ? KLIN64 : KLIN32;
    memset(out, 0, sizeof(*out));
    out->vector = -1;

    if (b->pool_next >= POOL_PAGES && nc_bt_new_engine(b) < 0)
        return -1;
    uint64_t code_phys = P_POOL + (uint64_t)b->pool_next++ * 0x1000;
    uint32_t len = c->code_len <= NC_CODE_MAX ? c->code_len : NC_CODE_MAX;
    uint8_t *code = b->ram + code_phys;
    memcpy(code, c->code, len);
    memset(code + len, 0, 0x1000 - len);
    code[len] = 0x0f; /* UD2: the end of the case */
    code[len + 1] = 0x0b;
    nc_put64(b->ram + KP_PT_CODE + ((NC_CODE_BASE >> 12) & 511) * 8, code_phys | PTE_P | PTE_US | PTE_A);
    memcpy(b->ram + P_DATA, c->data, NC_DATA_SIZE);

    struct x86_cpu cpu = m64 ? b->tmpl64 : b->tmpl32;
    for (int i = 0; i < NC_NR_GPRS; i++)
        cpu.regs[i] = m64 ? c->regs[i] : i < 8 ? (uint32_t)c->regs[i] : 0;
    cpu.rip = NC_CODE_BASE;
    cpu.rflags = (c->rflags & NC_FLAGS_COMPARED) | NC_FLAGS_FIXED;
    /* The native runner enters with FXRSTOR64 of the same image. */
    if (!fpu_fxrstor(&cpu.fpu, c->fx, true, NC_NR_XMMS)) {
        harness_fail(out, "invalid MXCSR in the initial state");
        return 0;
    }
    if (b->ops->put_cpu(b->engine, &cpu) < 0)
        return -1;

    pthread_mutex_lock(&b->wd_lock);
    atomic_store(&b->m.shutdown_requested, 0);
    atomic_store(&b->m.reset_requested, 0);
    b->vector = -1;
    b->wd_fired = false;
    b->wd_serial++;
    b->wd_running = true;
    pthread_mutex_unlock(&b->wd_lock);

    pthread_mutex_lock(&b->m.lock);
    enum engine_exit ex = b->ops->run(b->engine);
    pthread_mutex_unlock(&b->m.lock);

    pthread_mutex_lock(&b->wd_lock);
    bool fired = b->wd_fired;
    b->wd_running = false;
    pthread_mutex_unlock(&b->wd_lock);

    if (b->ops->get_cpu(b->engine, &cpu) < 0)
        return -1;
    memcpy(out->data, b->ram + P_DATA, NC_DATA_SIZE);
    /* The exception stubs touch no x87/SSE state: this is the state at
     * the end or at the exception. */
    fpu_fxsave(&cpu.fpu, out->fx, true, NC_NR_XMMS);

    if (ex == ENGINE_EXIT_RESET) {
        harness_fail(out, "triple fault");
        return 0;
    }
    if (ex == ENGINE_EXIT_ERROR) {
        harness_fail(out, "engine error");
        return 0;
    }
    if (b->vector < 0) {
        harness_fail(out, fired ? "timeout" : "engine stopped without an exception");
        return 0;
    }
    int v = b->vector;
    /* The stub runs at ring 0 on the TSS stack, which holds the frame. */
    uint64_t sp = cpu.regs[R_RSP];
    unsigned slot = m64 ? 8 : 4;
    unsigned nslots = 5 + (vector_has_error_code(v) ? 1 : 0);
    if (sp - klin < 0x6000 || sp - klin + nslots * slot > KP_STACK_TOP) {
        harness_fail(out, "exception frame not on the ring-0 stack");
        return 0;
    }
    const uint8_t *f = b->ram + (sp - klin);
    uint64_t fr[6];
    for (unsigned i = 0; i < nslots; i++)
        fr[i] = m64 ? nc_get64(f + i * 8) : nc_get32(f + i * 4);
    unsigned k = 0;
    uint32_t err = vector_has_error_code(v) ? (uint32_t)fr[k++] : 0;
    uint64_t rip = fr[k], cs = fr[k + 1] & 0xffff, rflags = fr[k + 2], rsp = fr[k + 3];
    if (cs != (m64 ? SEL_UCODE64 : SEL_UCODE32)) {
        snprintf(out->note, sizeof(out->note), "vector %d raised in ring 0 (cs %#llx rip %#llx)", v,
                 (unsigned long long)cs, (unsigned long long)rip);
        out->status = NC_STATUS_HARNESS;
        return 0;
    }
    for (int i = 0; i < NC_NR_GPRS; i++)
        out->regs[i] = cpu.regs[i];
    out->regs[R_RSP] = rsp;
    out->rip = rip;
    out->rflags = rflags & ~(uint64_t)X86_FLAG_RF;
    uint64_t end = NC_CODE_BASE + len;
    if (v == 6 && rip == end) {
        out->vector = -1;
    } else {
        out->vector = v;
        if (vector_has_error_code(v))
            out->error_code = err;
        if (v == 14) {
            out->fault_addr = cpu.cr2;
            /* The ring-0 world is present but supervisor-only; for the
             * case it stands for the rest of the address space, which the
             * environment leaves not present. */
            if (cpu.cr2 - klin < K_PAGES * 0x1000ull)
                out->error_code &= ~1u;
        }
    }
    if (!m64) {
        for (int i = 0; i < NC_NR_GPRS; i++)
            out->regs[i] = i < 8 ? (uint32_t)out->regs[i] : 0;
        out->rip = (uint32_t)out->rip;
        if (v == 14)
            out->fault_addr = (uint32_t)out->fault_addr;
    }
    out->rflags &= 0xffffffffu;
    return 0;
}

static void nc_bt_destroy(void *opaque)
{
    struct nc_bt *b = opaque;
    if (!b)
        return;
    if (b->wd_started) {
        pthread_mutex_lock(&b->wd_lock);
        b->wd_quit = true;
        pthread_cond_signal(&b->wd_cond);
        pthread_mutex_unlock(&b->wd_lock);
        pthread_join(b->wd_thread, NULL);
    }
    if (b->engine)
        b->ops->destroy(b->engine);
    machine_destroy_core(&b->m);
    pthread_mutex_destroy(&b->wd_lock);
    pthread_cond_destroy(&b->wd_cond);
    free(b->ram);
    free(b);
}

static int nc_bt_create(struct nc_runner *r, char *why, size_t why_len, enum bt_backend backend,
                        const char *name)
{
    struct nc_bt *b = calloc(1, sizeof(*b));
    if (!b) {
        snprintf(why, why_len, "out of memory");
        return -1;
    }
    b->backend = backend;
    machine_init_core(&b->m, true);
    pthread_mutex_init(&b->wd_lock, NULL);
    pthread_cond_init(&b->wd_cond, NULL);
    b->ops = &bt_engine_ops;
    b->ram = calloc(1, RAM_SIZE);
    if (!b->ram || physmem_map(&b->m.mem, 0, RAM_SIZE, b->ram, false, NULL, "ram") < 0 ||
        iomap_add(&b->m.io, PORT_VECTOR, 256, nc_bt_port, b, "nativecmp-vector") < 0) {
        snprintf(why, why_len, "cannot set up the machine");
        nc_bt_destroy(b);
        return -1;
    }
    b->m.ram = b->ram;
    b->m.ram_size = RAM_SIZE;
    b->m.ram_below_4g = RAM_SIZE;
    build_world(b);
    build_templates(b);
    char pwhy[128] = "";
    if (b->ops->probe(pwhy, sizeof(pwhy)) != 0 || nc_bt_new_engine(b) < 0) {
        snprintf(why, why_len, "bt engine: %s", pwhy[0] ? pwhy : "cannot create");
        nc_bt_destroy(b);
        return -1;
    }
    int err = pthread_create(&b->wd_thread, NULL, nc_bt_watchdog, b);
    if (err != 0) {
        snprintf(why, why_len, "cannot start the watchdog: %s", strerror(err));
        nc_bt_destroy(b);
        return -1;
    }
    b->wd_started = true;
    memset(r, 0, sizeof(*r));
    r->name = name;
    r->opaque = b;
    r->run = nc_bt_run;
    r->destroy = nc_bt_destroy;
    return 0;
}

int nc_bt_interp_create(struct nc_runner *r, char *why, size_t why_len)
{
    return nc_bt_create(r, why, why_len, BT_BACKEND_INTERP, "bt-interp");
}

int nc_bt_jit_create(struct nc_runner *r, char *why, size_t why_len)
{
#if defined(__x86_64__)
    return nc_bt_create(r, why, why_len, BT_BACKEND_JIT, "bt-jit");
#else
    (void)r;
    snprintf(why, why_len, "the code generator needs an x86-64 host");
    return -1;
#endif
}
