/* Unit tests for event delivery (cpu/exception.c): real-mode IVT, protected
 * mode interrupt/trap gates with and without privilege changes, 16-bit
 * gates, gate DPL and presence faults, double and triple faults (also a
 * page fault while delivering a page fault), virtual-8086 mode with IOPL
 * and VME redirection, and 64-bit delivery with the IST. Descriptor tables
 * are laid out in guest RAM by each test; paging is off unless a test
 * turns it on. */
#include <check.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/exception.h"
#include "cpu/exec.h"
#include "cpu/segment.h"
#include "hw/machine.h"
#include "softmmu/mmu.h"
#include "cpu_world.h"
#include "test_util.h"

#define RAM_SIZE (16u << 20)
#define GDT 0x1000u
#define IDT 0x2000u
#define TSS_A 0x3000u
#define TSS64 0x4000u

/* Selectors beyond the flat layout of cpu_world.h. */
enum { SEL_TSS64 = 0x50 };

static struct machine m;
static uint8_t *ram;
static struct cpu_exec *c;

static uint64_t rd(uint64_t pa, unsigned size) { return cpu_world_read(ram, pa, size); }
static void wr(uint64_t pa, unsigned size, uint64_t v) { cpu_world_write(ram, pa, size, v); }

static void put_desc(unsigned sel, uint32_t base, uint32_t limit, unsigned access, unsigned flags)
{
    cpu_world_put_desc(ram, GDT, sel, base, limit, access, flags);
}

static void put_gate(uint32_t addr, uint16_t sel, uint32_t off, unsigned access)
{
    cpu_world_put_gate(ram, addr, sel, off, access, 0);
}

static void put_gate64(unsigned vector, uint16_t sel, uint64_t off, unsigned access, unsigned ist)
{
    uint32_t a = IDT + vector * 16;
    wr(a, 4, (off & 0xffff) | ((uint32_t)sel << 16));
    wr(a + 4, 4, (off & 0xffff0000u) | (access << 8) | ist);
    wr(a + 8, 4, off >> 32);
    wr(a + 12, 4, 0);
}

static void load_cache(int sreg, uint16_t sel) { cpu_world_load_seg(c, sreg, sel); }

static void setup(void)
{
    c = cpu_world_create(&m, RAM_SIZE);
    ram = m.ram;

    cpu_world_put_flat_gdt(ram, GDT, TSS_A);
    put_desc(SEL_CODE0, 0, 0xfffff, 0x9a, 0xc);   /* not yet accessed */
    put_desc(SEL_TSS64, TSS64, 0x67, 0x89, 0);   /* upper half at 0x58 stays zero */
}

static void teardown(void)
{
    cpu_world_destroy(&m, c);
}

/* Protected mode with flat segments at the given CPL and TSS A as the task. */
static void enter_protected(unsigned cpl)
{
    c->cpu.cr0 = X86_CR0_PE | X86_CR0_ET;
    c->cpu.gdtr = (struct x86_dtable){ GDT, 0xff };
    c->cpu.idtr = (struct x86_dtable){ IDT, 0x7ff };
    c->cpu.rflags = X86_FLAG_FIXED | X86_FLAG_IF;
    load_cache(S_CS, cpl ? SEL_CODE3 : SEL_CODE0);
    for (int s = S_SS; s < X86_NR_SEGS; s++)
        if (s != S_CS)
            load_cache(s, cpl ? SEL_DATA3 : SEL_DATA0);
    load_cache(S_ES, cpl ? SEL_DATA3 : SEL_DATA0);
    struct seg_desc d;
    ck_assert(seg_desc_read(c, SEL_TSS_A, &d));
    seg_cache_from_desc(&c->cpu.tr, SEL_TSS_A, &d);
    seg_set_cpl(c, cpl);
    /* Ring 0 stack of task A: SS0:ESP0 = DATA0:0x9000 */
    wr(TSS_A + 4, 4, 0x9000);
    wr(TSS_A + 8, 2, SEL_DATA0);
}

/* Delivers one event with a guard: an escaping fault fails the test. */
static bool deliver(enum cpu_event_kind kind, int vector, bool has_err, uint32_t err,
                    uint64_t rip_after)
{
    sigjmp_buf jb;
    c->unwind = &jb;
    if (sigsetjmp(jb, 0))
        ck_abort_msg("fault %d (error %#x) escaped cpu_deliver_event", c->fault.vector,
                     c->fault.error_code);
    bool ok = cpu_deliver_event(c, kind, vector, has_err, err, rip_after);
    c->unwind = NULL;
    return ok;
}

START_TEST(real_mode_int_uses_ivt)
{
    cpu_seg_load_real(&c->cpu.seg[S_CS], 0x3000);
    cpu_seg_load_real(&c->cpu.seg[S_SS], 0x2000);
    c->cpu.regs[R_RSP] = 0x100;
    c->cpu.rip = 0x10;
    c->cpu.rflags = X86_FLAG_FIXED | X86_FLAG_IF | X86_FLAG_TF | X86_FLAG_CF;
    c->cpu.idtr = (struct x86_dtable){ 0, 0x3ff };
    wr(0x21 * 4, 2, 0x5678);
    wr(0x21 * 4 + 2, 2, 0x1234);
    ck_assert(deliver(CPU_EVENT_SOFTWARE, 0x21, false, 0, 0x12));
    ck_assert_uint_eq(c->cpu.regs[R_RSP], 0xfa);
    ck_assert_uint_eq(rd(0x20000 + 0xfa, 2), 0x12);      /* IP after INT */
    ck_assert_uint_eq(rd(0x20000 + 0xfc, 2), 0x3000);    /* CS */
    ck_assert_uint_eq(rd(0x20000 + 0xfe, 2), X86_FLAG_FIXED | X86_FLAG_IF | X86_FLAG_TF | X86_FLAG_CF);
    ck_assert_uint_eq(c->cpu.seg[S_CS].selector, 0x1234);
    ck_assert_uint_eq(c->cpu.seg[S_CS].base, 0x12340);
    ck_assert_uint_eq(c->cpu.rip, 0x5678);
    ck_assert_uint_eq(c->cpu.rflags, X86_FLAG_FIXED | X86_FLAG_CF);
}
END_TEST

START_TEST(real_mode_ivt_limit_is_a_triple_fault)
{
    /* IDTR.limit 0: the INT faults (#GP), so does #GP, #DF follows and
     * faults too: shutdown. */
    cpu_seg_load_real(&c->cpu.seg[S_SS], 0x2000);
    c->cpu.regs[R_RSP] = 0x100;
    c->cpu.idtr = (struct x86_dtable){ 0, 0 };
    ck_assert(!deliver(CPU_EVENT_SOFTWARE, 0x21, false, 0, 0x12));
    /* Nothing was pushed. */
    ck_assert_uint_eq(c->cpu.regs[R_RSP], 0x100);
}
END_TEST

START_TEST(protected_interrupt_gate_same_privilege_with_error_code)
{
    enter_protected(0);
    c->cpu.regs[R_RSP] = 0x8000;
    c->cpu.rip = 0x401234;   /* the faulting instruction */
    c->cpu.rflags |= X86_FLAG_TF | X86_FLAG_NT;
    /* clear the accessed bit of CODE0 to see it set by the delivery */
    put_desc(SEL_CODE0, 0, 0xfffff, 0x9a, 0xc);
    put_gate(IDT + 13 * 8, SEL_CODE0, 0xc0001000, 0x8e);
    ck_assert(deliver(CPU_EVENT_EXCEPTION, X86_EXC_GP, true, 0x1234, 0));
    ck_assert_uint_eq(c->cpu.regs[R_RSP], 0x8000 - 16);
    ck_assert_uint_eq(rd(0x8000 - 16, 4), 0x1234);        /* error code */
    ck_assert_uint_eq(rd(0x8000 - 12, 4), 0x401234);      /* EIP of the fault */
    ck_assert_uint_eq(rd(0x8000 - 8, 4), SEL_CODE0);
    /* a fault pushes RF set */
    ck_assert_uint_eq(rd(0x8000 - 4, 4),
                      X86_FLAG_FIXED | X86_FLAG_IF | X86_FLAG_TF | X86_FLAG_NT | X86_FLAG_RF);
    ck_assert_uint_eq(c->cpu.rip, 0xc0001000);
    ck_assert_uint_eq(c->cpu.seg[S_CS].selector, SEL_CODE0);
    ck_assert_uint_eq(c->cpu.rflags, X86_FLAG_FIXED);     /* IF, TF, NT cleared */
    ck_assert_uint_eq(c->cpl, 0);
    ck_assert_uint_eq(rd(GDT + 8 + 5, 1), 0x9b);           /* accessed */
}
END_TEST

START_TEST(protected_16bit_gate_without_error_code)
{
    enter_protected(0);
    c->cpu.regs[R_RSP] = 0x8000;
    c->cpu.rip = 0x12345678;
    put_gate(IDT + 0x40 * 8, SEL_CODE16, 0xabcd2345, 0x86);
    ck_assert(deliver(CPU_EVENT_EXTERNAL, 0x40, false, 0, 0));
    ck_assert_uint_eq(c->cpu.regs[R_RSP], 0x8000 - 6);
    ck_assert_uint_eq(rd(0x8000 - 6, 2), 0x5678);
    ck_assert_uint_eq(rd(0x8000 - 4, 2), SEL_CODE0);
    ck_assert_uint_eq(rd(0x8000 - 2, 2), X86_FLAG_FIXED | X86_FLAG_IF);
    ck_assert_uint_eq(rd(0x8000 - 8, 2), 0);              /* nothing more */
    ck_assert_uint_eq(c->cpu.rip, 0x2345);                /* 16-bit offset */
    ck_assert_uint_eq(c->cpu.seg[S_CS].selector, SEL_CODE16);
    ck_assert(!(c->cpu.rflags & X86_FLAG_IF));
}
END_TEST

START_TEST(protected_16bit_gate_with_error_code)
{
    enter_protected(0);
    c->cpu.regs[R_RSP] = 0x8000;
    c->cpu.rip = 0x1000;
    put_gate(IDT + 11 * 8, SEL_CODE16, 0x2000, 0x86);
    ck_assert(deliver(CPU_EVENT_EXCEPTION, X86_EXC_NP, true, 0x5a, 0));
    ck_assert_uint_eq(c->cpu.regs[R_RSP], 0x8000 - 8);
    ck_assert_uint_eq(rd(0x8000 - 8, 2), 0x5a);
    ck_assert_uint_eq(rd(0x8000 - 6, 2), 0x1000);
}
END_TEST

START_TEST(user_to_kernel_through_interrupt_gate_uses_tss_stack)
{
    enter_protected(3);
    c->cpu.regs[R_RSP] = 0x7000;
    c->cpu.rip = 0x8048000;
    put_gate(IDT + 0x80 * 8, SEL_CODE0, 0xc0002000, 0xee);   /* DPL 3 interrupt gate */
    ck_assert(deliver(CPU_EVENT_SOFTWARE, 0x80, false, 0, 0x8048002));
    ck_assert_uint_eq(c->cpl, 0);
    ck_assert_uint_eq(c->cpu.seg[S_SS].selector, SEL_DATA0);
    ck_assert_uint_eq(c->cpu.regs[R_RSP], 0x9000 - 20);
    ck_assert_uint_eq(rd(0x9000 - 4, 4), SEL_DATA3);      /* old SS */
    ck_assert_uint_eq(rd(0x9000 - 8, 4), 0x7000);         /* old ESP */
    ck_assert_uint_eq(rd(0x9000 - 12, 4), X86_FLAG_FIXED | X86_FLAG_IF);
    ck_assert_uint_eq(rd(0x9000 - 16, 4), SEL_CODE3);
    ck_assert_uint_eq(rd(0x9000 - 20, 4), 0x8048002);     /* INT n returns after itself */
    ck_assert_uint_eq(c->cpu.seg[S_CS].selector, SEL_CODE0);
    ck_assert_uint_eq(c->cpu.rip, 0xc0002000);
    ck_assert(!(c->cpu.rflags & X86_FLAG_IF));
    /* the segment check cache follows the new SS */
    ck_assert_uint_eq(c->seg_wlim1[S_SS], 0x100000000ull);
}
END_TEST

START_TEST(trap_gate_leaves_if_set)
{
    enter_protected(0);
    c->cpu.regs[R_RSP] = 0x8000;
    c->cpu.rflags |= X86_FLAG_TF;
    put_gate(IDT + 0x41 * 8, SEL_CODE0, 0x3000, 0x8f);
    ck_assert(deliver(CPU_EVENT_EXTERNAL, 0x41, false, 0, 0));
    ck_assert(c->cpu.rflags & X86_FLAG_IF);
    ck_assert(!(c->cpu.rflags & X86_FLAG_TF));
    ck_assert_uint_eq(c->cpu.rip, 0x3000);
}
END_TEST

START_TEST(int_n_through_more_privileged_gate_is_gp)
{
    enter_protected(3);
    c->cpu.regs[R_RSP] = 0x7000;
    c->cpu.rip = 0x8048000;
    put_gate(IDT + 0x81 * 8, SEL_CODE0, 0xc0002000, 0x8e);   /* DPL 0 */
    put_gate(IDT + 13 * 8, SEL_CODE0, 0xc0003000, 0x8e);
    ck_assert(deliver(CPU_EVENT_SOFTWARE, 0x81, false, 0, 0x8048002));
    ck_assert_uint_eq(c->cpu.rip, 0xc0003000);                /* the #GP handler */
    ck_assert_uint_eq(c->cpu.regs[R_RSP], 0x9000 - 24);
    ck_assert_uint_eq(rd(0x9000 - 24, 4), 0x81 * 8 + 2);      /* IDT, no EXT */
    ck_assert_uint_eq(rd(0x9000 - 20, 4), 0x8048000);         /* a fault: the INT itself */
    /* The same INT from ring 0 is fine, and an external interrupt through the
     * DPL 0 gate at CPL 3 too (no DPL check). */
    enter_protected(3);
    c->cpu.regs[R_RSP] = 0x7000;
    ck_assert(deliver(CPU_EVENT_EXTERNAL, 0x81, false, 0, 0));
    ck_assert_uint_eq(c->cpu.rip, 0xc0002000);
    /* INT1 (ICEBP) is not checked against the gate DPL either. */
    put_gate(IDT + 1 * 8, SEL_CODE0, 0xc0004000, 0x8e);
    enter_protected(3);
    c->cpu.regs[R_RSP] = 0x7000;
    ck_assert(deliver(CPU_EVENT_ICEBP, 1, false, 0, 0x8048001));
    ck_assert_uint_eq(c->cpu.rip, 0xc0004000);
    ck_assert_uint_eq(rd(0x9000 - 20, 4), 0x8048001);
}
END_TEST

START_TEST(not_present_gate_is_np_with_ext)
{
    enter_protected(0);
    c->cpu.regs[R_RSP] = 0x8000;
    c->cpu.rip = 0x5000;
    put_gate(IDT + 0x42 * 8, SEL_CODE0, 0x3000, 0x0e);        /* P = 0 */
    put_gate(IDT + 11 * 8, SEL_CODE0, 0x4000, 0x8e);
    ck_assert(deliver(CPU_EVENT_EXTERNAL, 0x42, false, 0, 0));
    ck_assert_uint_eq(c->cpu.rip, 0x4000);
    ck_assert_uint_eq(rd(0x8000 - 16, 4), 0x42 * 8 + 2 + 1);  /* IDT + EXT */
    ck_assert_uint_eq(rd(0x8000 - 12, 4), 0x5000);
    /* INT n to the same gate: no EXT */
    enter_protected(0);
    c->cpu.regs[R_RSP] = 0x8000;
    ck_assert(deliver(CPU_EVENT_SOFTWARE, 0x42, false, 0, 0x5002));
    ck_assert_uint_eq(rd(0x8000 - 16, 4), 0x42 * 8 + 2);
}
END_TEST

START_TEST(beyond_idt_limit_and_bad_gate_type_are_gp)
{
    enter_protected(0);
    c->cpu.regs[R_RSP] = 0x8000;
    put_gate(IDT + 13 * 8, SEL_CODE0, 0x4000, 0x8e);
    c->cpu.idtr.limit = 0x50 * 8 - 1;
    ck_assert(deliver(CPU_EVENT_EXTERNAL, 0x60, false, 0, 0));
    ck_assert_uint_eq(c->cpu.rip, 0x4000);
    ck_assert_uint_eq(rd(0x8000 - 16, 4), 0x60 * 8 + 3);
    /* a call gate in the IDT */
    enter_protected(0);
    c->cpu.regs[R_RSP] = 0x8000;
    put_gate(IDT + 0x43 * 8, SEL_CODE0, 0x3000, 0x8c);
    ck_assert(deliver(CPU_EVENT_SOFTWARE, 0x43, false, 0, 0));
    ck_assert_uint_eq(rd(0x8000 - 16, 4), 0x43 * 8 + 2);
    /* a gate to a data segment: #GP(selector + EXT) */
    enter_protected(0);
    c->cpu.regs[R_RSP] = 0x8000;
    put_gate(IDT + 0x44 * 8, SEL_DATA0, 0x3000, 0x8e);
    ck_assert(deliver(CPU_EVENT_EXTERNAL, 0x44, false, 0, 0));
    ck_assert_uint_eq(rd(0x8000 - 16, 4), SEL_DATA0 + 1);
}
END_TEST

START_TEST(fault_delivering_fault_is_double_fault)
{
    enter_protected(0);
    c->cpu.regs[R_RSP] = 0x8000;
    c->cpu.rip = 0x6000;
    put_gate(IDT + 13 * 8, SEL_CODE0, 0x4000, 0x0e);          /* #GP gate not present */
    put_gate(IDT + 8 * 8, SEL_CODE0, 0x8000, 0x8e);
    ck_assert(deliver(CPU_EVENT_EXCEPTION, X86_EXC_GP, true, 0, 0));
    ck_assert_uint_eq(c->cpu.rip, 0x8000);                    /* #DF handler */
    ck_assert_uint_eq(c->cpu.regs[R_RSP], 0x8000 - 16);
    ck_assert_uint_eq(rd(0x8000 - 16, 4), 0);                 /* #DF error code */
    ck_assert_uint_eq(rd(0x8000 - 12, 4), 0x6000);
    ck_assert_int_eq(c->fault.vector, -1);
}
END_TEST

START_TEST(benign_then_fault_is_delivered_serially)
{
    /* An external interrupt whose gate is missing turns into #NP, which is
     * delivered normally (benign first, contributory second). */
    enter_protected(0);
    c->cpu.regs[R_RSP] = 0x8000;
    put_gate(IDT + 0x45 * 8, SEL_CODE0, 0x3000, 0x0e);
    put_gate(IDT + 11 * 8, SEL_CODE0, 0x0, 0x0e);            /* #NP missing too */
    put_gate(IDT + 8 * 8, SEL_CODE0, 0x8000, 0x8e);
    ck_assert(deliver(CPU_EVENT_EXTERNAL, 0x45, false, 0, 0));
    /* the #NP delivery faulted (#NP again: contributory twice) -> #DF */
    ck_assert_uint_eq(c->cpu.rip, 0x8000);
}
END_TEST

START_TEST(fault_delivering_double_fault_is_triple_fault)
{
    enter_protected(0);
    c->cpu.regs[R_RSP] = 0x8000;
    put_gate(IDT + 13 * 8, SEL_CODE0, 0x4000, 0x0e);
    put_gate(IDT + 8 * 8, SEL_CODE0, 0x8000, 0x0e);
    ck_assert(!deliver(CPU_EVENT_EXCEPTION, X86_EXC_GP, true, 0, 0));
}
END_TEST

START_TEST(stack_fault_on_same_privilege_push)
{
    /* An expand-up stack whose limit cannot take the frame: #SS(EXT) for an
     * external interrupt, delivered serially... and #SS during the #SS
     * delivery (same stack) makes #DF, which faults as well: shutdown. */
    enter_protected(0);
    put_desc(0x70, 0, 0x8008, 0x93, 0x4);    /* byte granular, limit 0x8008 */
    load_cache(S_SS, 0x70);
    c->cpu.regs[R_RSP] = 0x8000 + 8;
    put_gate(IDT + 0x46 * 8, SEL_CODE0, 0x3000, 0x8e);
    put_gate(IDT + 12 * 8, SEL_CODE0, 0x3100, 0x8e);
    put_gate(IDT + 8 * 8, SEL_CODE0, 0x3200, 0x8e);
    /* room for 3 dwords below 0x8008: fine */
    ck_assert(deliver(CPU_EVENT_EXTERNAL, 0x46, false, 0, 0));
    ck_assert_uint_eq(c->cpu.rip, 0x3000);
    /* an expand-down stack segment: [limit+1, 0xffff] valid (B = 0) */
    enter_protected(0);
    put_desc(0x70, 0x10000, 0x0ff0, 0x97, 0);
    load_cache(S_SS, 0x70);
    c->cpu.regs[R_RSP] = 0x0ffc;  /* only 0xff1..0xffff below ESP+... 0xffc-12 < limit */
    ck_assert(!deliver(CPU_EVENT_EXTERNAL, 0x46, false, 0, 0));
    ck_assert_uint_eq(c->cpu.regs[R_RSP], 0x0ffc);
}
END_TEST

static void build_paging_2level(void)
{
    /* Identity map of the first 4 MiB, user-accessible, except the page at
     * 0x1f000 (the ring-0 stack's top page in the test below). */
    const uint32_t pd = 0x10000, pt = 0x11000;
    memset(ram + pd, 0, 0x2000);
    wr(pd, 4, pt | 7);
    for (uint32_t i = 0; i < 1024; i++)
        wr(pt + i * 4, 4, (i << 12) | 7);
    wr(pt + 0x1f * 4, 4, 0);
    c->cpu.cr3 = pd;
    c->cpu.cr0 |= X86_CR0_PG;
    tlb_flush_all(c);
}

START_TEST(page_fault_delivering_page_fault_is_double_fault)
{
    enter_protected(3);
    build_paging_2level();
    c->cpu.regs[R_RSP] = 0x7000;
    c->cpu.rip = 0x8048010;
    c->cpu.cr2 = 0xdead000;
    wr(TSS_A + 4, 4, 0x20000);            /* ESP0 at the top of the missing page */
    put_gate(IDT + 14 * 8, SEL_CODE0, 0xc0001000, 0x8e);
    /* #DF goes to conforming ring-0 code, which runs at CPL 3 on the user
     * stack: reachable although the ring-0 stack is not. */
    put_gate(IDT + 8 * 8, SEL_CONF0, 0xc0008000, 0x8e);
    ck_assert(deliver(CPU_EVENT_EXCEPTION, X86_EXC_PF, true, 6, 0));
    ck_assert_uint_eq(c->cpu.rip, 0xc0008000);
    ck_assert_uint_eq(c->cpl, 3);
    ck_assert_uint_eq(c->cpu.seg[S_CS].selector, SEL_CONF0 | 3);
    ck_assert_uint_eq(c->cpu.regs[R_RSP], 0x7000 - 16);
    ck_assert_uint_eq(rd(0x7000 - 16, 4), 0);
    ck_assert_uint_eq(rd(0x7000 - 12, 4), 0x8048010);
    ck_assert_uint_eq(c->cpu.cr2, 0x1fffc);   /* the second page fault's address */
}
END_TEST

START_TEST(from_v86_to_ring0_pushes_data_segments)
{
    enter_protected(0);
    c->cpu.rflags = X86_FLAG_FIXED | X86_FLAG_VM | X86_FLAG_IOPL | X86_FLAG_IF;
    static const uint16_t sels[X86_NR_SEGS] = { 0x1111, 0x2000, 0x7000, 0x3333, 0x4444, 0x5555 };
    for (int s = 0; s < X86_NR_SEGS; s++) {
        struct x86_segment v;
        seg_cache_v86(&v, sels[s]);
        seg_set(c, s, &v);
    }
    seg_set_cpl(c, 3);
    c->cpu.regs[R_RSP] = 0x100;
    c->cpu.rip = 0x10;
    put_gate(IDT + 0x80 * 8, SEL_CODE0, 0xc0002000, 0xee);
    ck_assert(deliver(CPU_EVENT_SOFTWARE, 0x80, false, 0, 0x12));
    ck_assert_uint_eq(c->cpu.regs[R_RSP], 0x9000 - 36);
    static const uint32_t expect[9] = { 0x12, 0x2000, X86_FLAG_FIXED | X86_FLAG_VM | X86_FLAG_IOPL | X86_FLAG_IF,
                                        0x100, 0x7000, 0x1111, 0x3333, 0x4444, 0x5555 };
    for (unsigned i = 0; i < 9; i++)
        ck_assert_uint_eq(rd(0x9000 - 36 + 4 * i, 4), expect[i]);
    ck_assert(!(c->cpu.rflags & X86_FLAG_VM));
    ck_assert_uint_eq(c->cpl, 0);
    for (int s = 0; s < X86_NR_SEGS; s++) {
        if (s == S_CS || s == S_SS)
            continue;
        ck_assert_uint_eq(c->cpu.seg[s].selector, 0);
        ck_assert(c->cpu.seg[s].unusable);
    }
    ck_assert_uint_eq(c->cpu.seg[S_SS].selector, SEL_DATA0);
    ck_assert_uint_eq(c->cpu.seg[S_CS].selector, SEL_CODE0);
}
END_TEST

static void enter_v86(unsigned iopl)
{
    enter_protected(0);
    c->cpu.rflags = X86_FLAG_FIXED | X86_FLAG_VM | ((uint64_t)iopl << 12) | X86_FLAG_IF;
    for (int s = 0; s < X86_NR_SEGS; s++) {
        struct x86_segment v;
        seg_cache_v86(&v, s == S_SS ? 0x7000 : 0x2000);
        seg_set(c, s, &v);
    }
    seg_set_cpl(c, 3);
    c->cpu.regs[R_RSP] = 0x100;
    c->cpu.rip = 0x10;
}

START_TEST(v86_int_n_below_iopl3_is_gp0)
{
    enter_v86(0);
    put_gate(IDT + 0x21 * 8, SEL_CODE0, 0xc0002000, 0xee);
    put_gate(IDT + 13 * 8, SEL_CODE0, 0xc0003000, 0x8e);
    ck_assert(deliver(CPU_EVENT_SOFTWARE, 0x21, false, 0, 0x12));
    ck_assert_uint_eq(c->cpu.rip, 0xc0003000);
    ck_assert_uint_eq(c->cpu.regs[R_RSP], 0x9000 - 40);
    ck_assert_uint_eq(rd(0x9000 - 40, 4), 0);        /* #GP(0) */
    ck_assert_uint_eq(rd(0x9000 - 36, 4), 0x10);     /* the INT instruction */
    /* INT3 is not IOPL-sensitive: it reaches its DPL 3 gate */
    enter_v86(0);
    put_gate(IDT + 3 * 8, SEL_CODE0, 0xc0004000, 0xee);
    ck_assert(deliver(CPU_EVENT_SOFTWARE_EXC, 3, false, 0, 0x11));
    ck_assert_uint_eq(c->cpu.rip, 0xc0004000);
    ck_assert_uint_eq(rd(0x9000 - 36, 4), 0x11);
}
END_TEST

START_TEST(v86_vme_redirects_through_the_8086_ivt)
{
    enter_v86(0);
    c->cpu.cr4 |= X86_CR4_VME;
    c->cpu.rflags |= X86_FLAG_VIF;
    wr(TSS_A + 0x66, 2, 0x100);                        /* I/O map base */
    memset(ram + TSS_A + 0x100 - 32, 0, 32);
    ram[TSS_A + 0x100 - 32 + 0x22 / 8] = 1u << (0x22 & 7);   /* 0x22 not redirected */
    wr(0x21 * 4, 2, 0x1111);
    wr(0x21 * 4 + 2, 2, 0x2222);
    put_gate(IDT + 13 * 8, SEL_CODE0, 0xc0003000, 0x8e);
    ck_assert(deliver(CPU_EVENT_SOFTWARE, 0x21, false, 0, 0x12));
    ck_assert(c->cpu.rflags & X86_FLAG_VM);
    ck_assert_uint_eq(c->cpu.seg[S_CS].selector, 0x2222);
    ck_assert_uint_eq(c->cpu.seg[S_CS].base, 0x22220);
    ck_assert_uint_eq(c->cpu.rip, 0x1111);
    ck_assert_uint_eq(c->cpu.regs[R_RSP], 0xfa);
    ck_assert_uint_eq(rd(0x70000 + 0xfa, 2), 0x12);
    ck_assert_uint_eq(rd(0x70000 + 0xfc, 2), 0x2000);
    /* the pushed FLAGS show IF = VIF and IOPL = 3 */
    ck_assert_uint_eq(rd(0x70000 + 0xfe, 2), X86_FLAG_FIXED | X86_FLAG_IF | X86_FLAG_IOPL);
    ck_assert(!(c->cpu.rflags & X86_FLAG_VIF));
    ck_assert(c->cpu.rflags & X86_FLAG_IF);
    /* vector 0x22's bit is set and IOPL < 3: #GP(0) */
    ck_assert(deliver(CPU_EVENT_SOFTWARE, 0x22, false, 0, 0x1113));
    ck_assert_uint_eq(c->cpu.rip, 0xc0003000);
    ck_assert_uint_eq(rd(0x9000 - 40, 4), 0);
}
END_TEST

static void enter_long_mode(unsigned cpl)
{
    /* Identity map of the first 2 MiB with one large user page. */
    const uint64_t pml4 = 0x10000, pdpt = 0x11000, pd = 0x12000;
    memset(ram + pml4, 0, 0x3000);
    wr(pml4, 8, pdpt | 7);
    wr(pdpt, 8, pd | 7);
    wr(pd, 8, 0x87);
    c->cpu.cr3 = pml4;
    c->cpu.cr4 = X86_CR4_PAE;
    c->cpu.efer = X86_EFER_LME | X86_EFER_LMA;
    c->cpu.cr0 = X86_CR0_PE | X86_CR0_PG | X86_CR0_ET;
    c->cpu.gdtr = (struct x86_dtable){ GDT, 0xff };
    c->cpu.idtr = (struct x86_dtable){ IDT, 0xfff };
    c->cpu.rflags = X86_FLAG_FIXED | X86_FLAG_IF;
    tlb_flush_all(c);
    load_cache(S_CS, cpl ? SEL_CODE64_3 : SEL_CODE64_0);
    load_cache(S_SS, cpl ? SEL_DATA3 : SEL_DATA0);
    struct seg_desc d;
    ck_assert(seg_desc_read_sys(c, SEL_TSS64, &d));
    seg_cache_from_desc(&c->cpu.tr, SEL_TSS64, &d);
    seg_set_cpl(c, cpl);
    wr(TSS64 + 4, 8, 0x9000);            /* RSP0 */
    wr(TSS64 + 0x24, 8, 0xa008);         /* IST1, deliberately misaligned */
}

START_TEST(long_mode_delivery_with_ist)
{
    enter_long_mode(3);
    c->cpu.regs[R_RSP] = 0x7008;
    c->cpu.rip = 0x401000;
    put_gate64(0x20, SEL_CODE64_0, 0xffffffff80001000ull, 0x8e, 1);
    ck_assert(deliver(CPU_EVENT_EXTERNAL, 0x20, false, 0, 0));
    ck_assert_uint_eq(c->cpu.regs[R_RSP], 0xa000 - 40);
    ck_assert_uint_eq(rd(0xa000 - 40, 8), 0x401000);
    ck_assert_uint_eq(rd(0xa000 - 32, 8), SEL_CODE64_3);
    ck_assert_uint_eq(rd(0xa000 - 24, 8), X86_FLAG_FIXED | X86_FLAG_IF);
    ck_assert_uint_eq(rd(0xa000 - 16, 8), 0x7008);
    ck_assert_uint_eq(rd(0xa000 - 8, 8), SEL_DATA3);
    ck_assert_uint_eq(c->cpu.rip, 0xffffffff80001000ull);
    ck_assert_uint_eq(c->cpu.seg[S_CS].selector, SEL_CODE64_0);
    ck_assert_uint_eq(c->cpu.seg[S_SS].selector, 0);     /* null SS at CPL 0 */
    ck_assert_uint_eq((c->cpu.seg[S_SS].attr & SEG_ATTR_DPL_MASK) >> SEG_ATTR_DPL_SHIFT, 0);
    ck_assert_uint_eq(c->cpl, 0);
    ck_assert(!(c->cpu.rflags & X86_FLAG_IF));
}
END_TEST

START_TEST(long_mode_same_privilege_aligns_and_pushes_ss)
{
    enter_long_mode(0);
    c->cpu.regs[R_RSP] = 0x8ff8;
    c->cpu.rip = 0x402000;
    put_gate64(13, SEL_CODE64_0, 0xffffffff80002000ull, 0x8f, 0);   /* trap gate */
    ck_assert(deliver(CPU_EVENT_EXCEPTION, X86_EXC_GP, true, 0x18, 0));
    ck_assert_uint_eq(c->cpu.regs[R_RSP], 0x8ff0 - 48);
    ck_assert_uint_eq(rd(0x8ff0 - 48, 8), 0x18);
    ck_assert_uint_eq(rd(0x8ff0 - 40, 8), 0x402000);
    ck_assert_uint_eq(rd(0x8ff0 - 32, 8), SEL_CODE64_0);
    ck_assert_uint_eq(rd(0x8ff0 - 16, 8), 0x8ff8);
    ck_assert_uint_eq(rd(0x8ff0 - 8, 8), SEL_DATA0);
    ck_assert_uint_eq(c->cpu.seg[S_SS].selector, SEL_DATA0);
    ck_assert(c->cpu.rflags & X86_FLAG_IF);                        /* trap gate */
    /* an 8-byte (legacy) gate type in a 64-bit IDT: #GP(vector*8+2+EXT) */
    enter_long_mode(0);
    c->cpu.regs[R_RSP] = 0x8ff8;
    put_gate64(0x30, SEL_CODE64_0, 0x1000, 0x86, 0);
    ck_assert(deliver(CPU_EVENT_EXTERNAL, 0x30, false, 0, 0));
    ck_assert_uint_eq(c->cpu.rip, 0xffffffff80002000ull);
    ck_assert_uint_eq(rd(0x8ff0 - 48, 8), 0x30 * 8 + 3);
}
END_TEST

static Suite *exception_suite(void)
{
    Suite *s = suite_create("exception");
    TCase *tc = tcase_create("deliver");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, real_mode_int_uses_ivt);
    tcase_add_test(tc, real_mode_ivt_limit_is_a_triple_fault);
    tcase_add_test(tc, protected_interrupt_gate_same_privilege_with_error_code);
    tcase_add_test(tc, protected_16bit_gate_without_error_code);
    tcase_add_test(tc, protected_16bit_gate_with_error_code);
    tcase_add_test(tc, user_to_kernel_through_interrupt_gate_uses_tss_stack);
    tcase_add_test(tc, trap_gate_leaves_if_set);
    tcase_add_test(tc, int_n_through_more_privileged_gate_is_gp);
    tcase_add_test(tc, not_present_gate_is_np_with_ext);
    tcase_add_test(tc, beyond_idt_limit_and_bad_gate_type_are_gp);
    tcase_add_test(tc, fault_delivering_fault_is_double_fault);
    tcase_add_test(tc, benign_then_fault_is_delivered_serially);
    tcase_add_test(tc, fault_delivering_double_fault_is_triple_fault);
    tcase_add_test(tc, stack_fault_on_same_privilege_push);
    tcase_add_test(tc, page_fault_delivering_page_fault_is_double_fault);
    tcase_add_test(tc, from_v86_to_ring0_pushes_data_segments);
    tcase_add_test(tc, v86_int_n_below_iopl3_is_gp0);
    tcase_add_test(tc, v86_vme_redirects_through_the_8086_ivt);
    tcase_add_test(tc, long_mode_delivery_with_ist);
    tcase_add_test(tc, long_mode_same_privilege_aligns_and_pushes_ss);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return test_run_suite(exception_suite());
}
