/* Unit tests for the local APIC: registers through its MMIO page, interrupt
 * acceptance and priority, EOI, the timer on the manual virtual clock, the
 * ExtINT path to a fake 8259, and IA32_APIC_BASE. */
#include <check.h>
#include <stdlib.h>

#include "hw/lapic.h"
#include "hw/machine.h"
#include "softmmu/iomap.h"
#include "test_util.h"

#define BASE 0xfee00000ull

struct fake_pic {
    bool intr;
    int vector;
    int acks;
};

struct eoi_log {
    int count;
    uint8_t last;
};

static struct machine m;
static struct lapic *l;
static struct fake_pic pic;
static struct eoi_log eois;

static bool pic_pending(void *opaque)
{
    return ((struct fake_pic *)opaque)->intr;
}

static int pic_ack(void *opaque)
{
    struct fake_pic *p = opaque;
    p->acks++;
    p->intr = false;
    return p->vector;
}

static void on_eoi(void *opaque, uint8_t vector)
{
    struct eoi_log *e = opaque;
    e->count++;
    e->last = vector;
}

static void setup(void)
{
    machine_init_core(&m, true);
    pic = (struct fake_pic){ 0 };
    eois = (struct eoi_log){ 0 };
    struct lapic_config cfg = {
        .apic_id = 0,
        .extint_pending = pic_pending,
        .extint_ack = pic_ack,
        .extint_opaque = &pic,
        .eoi_broadcast = on_eoi,
        .eoi_opaque = &eois,
    };
    l = lapic_create(&m, &cfg);
    ck_assert_ptr_nonnull(l);
}

static void teardown(void)
{
    lapic_destroy(l);
    machine_destroy_core(&m);
}

static uint32_t rd_at(uint64_t base, uint32_t reg)
{
    uint8_t d[4];
    ck_assert(iomap_access(&m.mem.mmio, base + reg, d, 4, false));
    return (uint32_t)io_data_get(d, 4);
}

static uint32_t rd(uint32_t reg)
{
    return rd_at(BASE, reg);
}

static void wr(uint32_t reg, uint32_t v)
{
    uint8_t d[4];
    io_data_put(d, 4, v);
    ck_assert(iomap_access(&m.mem.mmio, BASE + reg, d, 4, true));
}

static bool bit(uint32_t bank, unsigned v)
{
    return (rd(bank + 0x10 * (v / 32)) >> (v % 32)) & 1;
}

static void enable(void)
{
    wr(LAPIC_REG_SVR, 0x1ff);
}

START_TEST(reset_values)
{
    ck_assert_uint_eq(rd(LAPIC_REG_ID), 0);
    ck_assert_uint_eq(rd(LAPIC_REG_VERSION), 0x00050014);
    ck_assert_uint_eq(rd(LAPIC_REG_TPR), 0);
    ck_assert_uint_eq(rd(LAPIC_REG_PPR), 0);
    ck_assert_uint_eq(rd(LAPIC_REG_LDR), 0);
    ck_assert_uint_eq(rd(LAPIC_REG_DFR), 0xffffffff);
    ck_assert_uint_eq(rd(LAPIC_REG_SVR), 0xff);
    ck_assert_uint_eq(rd(LAPIC_REG_LVT_TIMER), 0x10000);
    ck_assert_uint_eq(rd(LAPIC_REG_LVT_THERMAL), 0x10000);
    ck_assert_uint_eq(rd(LAPIC_REG_LVT_PERF), 0x10000);
    ck_assert_uint_eq(rd(LAPIC_REG_LVT_LINT0), 0x700);
    ck_assert_uint_eq(rd(LAPIC_REG_LVT_LINT1), 0x10000);
    ck_assert_uint_eq(rd(LAPIC_REG_LVT_ERROR), 0x10000);
    ck_assert_uint_eq(rd(LAPIC_REG_ICR_LO), 0);
    ck_assert_uint_eq(rd(LAPIC_REG_ICR_HI), 0);
    ck_assert_uint_eq(rd(LAPIC_REG_TIMER_INIT), 0);
    ck_assert_uint_eq(rd(LAPIC_REG_TIMER_CUR), 0);
    ck_assert_uint_eq(rd(LAPIC_REG_TIMER_DIV), 0);
    for (unsigned i = 0; i < 8; i++) {
        ck_assert_uint_eq(rd(LAPIC_REG_ISR + 0x10 * i), 0);
        ck_assert_uint_eq(rd(LAPIC_REG_TMR + 0x10 * i), 0);
        ck_assert_uint_eq(rd(LAPIC_REG_IRR + 0x10 * i), 0);
    }
    ck_assert_uint_eq(lapic_get_base(l), 0xfee00900ull);
    ck_assert_uint_eq(lapic_bus_hz(), 1000000000ull);
    /* a byte read sees the byte it covers */
    uint8_t b;
    ck_assert(iomap_access(&m.mem.mmio, BASE + LAPIC_REG_VERSION + 2, &b, 1, false));
    ck_assert_uint_eq(b, 0x05);
    /* a reserved register reads 0 and logs an illegal register address */
    ck_assert_uint_eq(rd(0x40), 0);
    ck_assert_uint_eq(rd(LAPIC_REG_ESR), 0);
    wr(LAPIC_REG_ESR, 0);
    ck_assert_uint_eq(rd(LAPIC_REG_ESR), LAPIC_ESR_ILLEGAL_REGISTER);
    wr(LAPIC_REG_ESR, 0);
    ck_assert_uint_eq(rd(LAPIC_REG_ESR), 0);
    /* read-only registers ignore writes */
    wr(LAPIC_REG_VERSION, 0);
    ck_assert_uint_eq(rd(LAPIC_REG_VERSION), 0x00050014);
    wr(LAPIC_REG_DFR, 0x0fffffff);
    ck_assert_uint_eq(rd(LAPIC_REG_DFR), 0x0fffffff);
    wr(LAPIC_REG_LDR, 0x12345678);
    ck_assert_uint_eq(rd(LAPIC_REG_LDR), 0x12000000);
}
END_TEST

START_TEST(svr_software_enable)
{
    /* software-disabled: LVT mask bits cannot be cleared */
    wr(LAPIC_REG_LVT_TIMER, 0x30);
    ck_assert_uint_eq(rd(LAPIC_REG_LVT_TIMER), 0x10030);
    /* and new fixed interrupts are refused */
    wr(LAPIC_REG_ICR_LO, 0x40040);
    ck_assert(!bit(LAPIC_REG_IRR, 0x40));
    ck_assert(!lapic_intr_pending(l));

    enable();
    ck_assert_uint_eq(rd(LAPIC_REG_SVR), 0x1ff);
    wr(LAPIC_REG_LVT_TIMER, 0x30);
    ck_assert_uint_eq(rd(LAPIC_REG_LVT_TIMER), 0x30);
    wr(LAPIC_REG_LVT_LINT1, 0x400);
    ck_assert_uint_eq(rd(LAPIC_REG_LVT_LINT1), 0x400);

    /* clearing the enable bit masks every LVT */
    wr(LAPIC_REG_SVR, 0xef);
    ck_assert_uint_eq(rd(LAPIC_REG_SVR), 0xef);
    ck_assert_uint_eq(rd(LAPIC_REG_LVT_TIMER), 0x10030);
    ck_assert_uint_eq(rd(LAPIC_REG_LVT_LINT0), 0x10700);
    ck_assert_uint_eq(rd(LAPIC_REG_LVT_LINT1), 0x10400);
    /* nothing pending: acknowledge yields the spurious vector */
    ck_assert_int_eq(lapic_intr_ack(l), 0xef);
}
END_TEST

START_TEST(self_ipi_lands_in_irr)
{
    enable();
    wr(LAPIC_REG_ICR_HI, 0);
    wr(LAPIC_REG_ICR_LO, 0x40040); /* self shorthand, fixed, vector 0x40 */
    ck_assert(bit(LAPIC_REG_IRR, 0x40));
    ck_assert_uint_eq(rd(LAPIC_REG_ICR_LO) & (1u << 12), 0); /* idle */
    ck_assert(lapic_intr_pending(l));
    ck_assert_int_eq(lapic_intr_ack(l), 0x40);
    ck_assert(!bit(LAPIC_REG_IRR, 0x40));
    ck_assert(bit(LAPIC_REG_ISR, 0x40));
    ck_assert(!lapic_intr_pending(l));
    wr(LAPIC_REG_EOI, 0);
    ck_assert(!bit(LAPIC_REG_ISR, 0x40));

    /* physical destination = own ID */
    wr(LAPIC_REG_ICR_LO, 0x41);
    ck_assert(bit(LAPIC_REG_IRR, 0x41));
    /* another ID: not for us */
    wr(LAPIC_REG_ICR_HI, 0x01000000);
    wr(LAPIC_REG_ICR_LO, 0x42);
    ck_assert(!bit(LAPIC_REG_IRR, 0x42));
    /* all including self */
    wr(LAPIC_REG_ICR_LO, 0x80043);
    ck_assert(bit(LAPIC_REG_IRR, 0x43));
    /* all excluding self: nobody else exists */
    wr(LAPIC_REG_ICR_LO, 0xc0044);
    ck_assert(!bit(LAPIC_REG_IRR, 0x44));
    /* INIT/SIPI to the others are ignored */
    wr(LAPIC_REG_ICR_LO, 0x000c4500);
    wr(LAPIC_REG_ICR_LO, 0x000c4608);
    ck_assert(!lapic_nmi_pending(l));
    /* NMI to own ID */
    wr(LAPIC_REG_ICR_HI, 0);
    wr(LAPIC_REG_ICR_LO, 0x400);
    ck_assert(lapic_nmi_pending(l));
    lapic_nmi_ack(l);
    ck_assert(!lapic_nmi_pending(l));
    /* illegal vector: send error, nothing delivered */
    wr(LAPIC_REG_ICR_LO, 0x40005);
    ck_assert(!bit(LAPIC_REG_IRR, 5));
    wr(LAPIC_REG_ESR, 0);
    ck_assert_uint_eq(rd(LAPIC_REG_ESR), LAPIC_ESR_SEND_ILLEGAL_VECTOR);
}
END_TEST

START_TEST(higher_vector_wins)
{
    enable();
    lapic_deliver(l, 0x31, LAPIC_DM_FIXED, false);
    lapic_deliver(l, 0x52, LAPIC_DM_FIXED, false);
    ck_assert_int_eq(lapic_intr_ack(l), 0x52);
    ck_assert_uint_eq(rd(LAPIC_REG_PPR), 0x50);
    /* class 3 cannot interrupt class 5 in service */
    ck_assert(!lapic_intr_pending(l));
    wr(LAPIC_REG_EOI, 0);
    ck_assert(lapic_intr_pending(l));
    ck_assert_int_eq(lapic_intr_ack(l), 0x31);
    /* same class as in service is blocked too */
    lapic_deliver(l, 0x3f, LAPIC_DM_FIXED, false);
    ck_assert(!lapic_intr_pending(l));
    wr(LAPIC_REG_EOI, 0);
    ck_assert_int_eq(lapic_intr_ack(l), 0x3f);
}
END_TEST

START_TEST(tpr_masks_lower_classes)
{
    enable();
    wr(LAPIC_REG_TPR, 0x55);
    ck_assert_uint_eq(rd(LAPIC_REG_PPR), 0x55);
    lapic_deliver(l, 0x45, LAPIC_DM_FIXED, false);
    lapic_deliver(l, 0x5f, LAPIC_DM_FIXED, false);
    ck_assert(!lapic_intr_pending(l));
    /* taking it anyway after the request vanished gives the spurious vector */
    ck_assert_int_eq(lapic_intr_ack(l), 0xff);
    ck_assert(bit(LAPIC_REG_IRR, 0x5f));
    lapic_deliver(l, 0x61, LAPIC_DM_FIXED, false);
    ck_assert(lapic_intr_pending(l));
    ck_assert_int_eq(lapic_intr_ack(l), 0x61);
    wr(LAPIC_REG_EOI, 0);
    /* CR8 is TPR[7:4] */
    ck_assert_uint_eq(lapic_get_cr8(l), 5);
    lapic_set_tpr_cr8(l, 4);
    ck_assert_uint_eq(rd(LAPIC_REG_TPR), 0x40);
    ck_assert(lapic_intr_pending(l));
    ck_assert_int_eq(lapic_intr_ack(l), 0x5f);
    ck_assert(!lapic_intr_pending(l)); /* 0x45 is class 4, not above 4 */
    wr(LAPIC_REG_EOI, 0);
    lapic_set_tpr_cr8(l, 3);
    ck_assert_int_eq(lapic_intr_ack(l), 0x45);
}
END_TEST

START_TEST(eoi_clears_highest_in_service)
{
    enable();
    lapic_deliver(l, 0x30, LAPIC_DM_FIXED, false);
    ck_assert_int_eq(lapic_intr_ack(l), 0x30);
    lapic_deliver(l, 0x60, LAPIC_DM_FIXED, false);
    ck_assert(lapic_intr_pending(l)); /* nests above the one in service */
    ck_assert_int_eq(lapic_intr_ack(l), 0x60);
    ck_assert(bit(LAPIC_REG_ISR, 0x30));
    ck_assert(bit(LAPIC_REG_ISR, 0x60));
    ck_assert_uint_eq(rd(LAPIC_REG_PPR), 0x60);
    wr(LAPIC_REG_EOI, 0);
    ck_assert(!bit(LAPIC_REG_ISR, 0x60));
    ck_assert(bit(LAPIC_REG_ISR, 0x30));
    ck_assert_uint_eq(rd(LAPIC_REG_PPR), 0x30);
    wr(LAPIC_REG_EOI, 0);
    ck_assert(!bit(LAPIC_REG_ISR, 0x30));
    ck_assert_uint_eq(rd(LAPIC_REG_PPR), 0);
    ck_assert_int_eq(eois.count, 0); /* edge vectors do not broadcast */
}
END_TEST

START_TEST(level_eoi_calls_back)
{
    enable();
    lapic_deliver(l, 0x70, LAPIC_DM_FIXED, true);
    ck_assert(bit(LAPIC_REG_TMR, 0x70));
    ck_assert_int_eq(lapic_intr_ack(l), 0x70);
    wr(LAPIC_REG_EOI, 0);
    ck_assert_int_eq(eois.count, 1);
    ck_assert_uint_eq(eois.last, 0x70);
    /* re-accepted as edge: TMR clears and EOI stays local */
    lapic_deliver(l, 0x70, LAPIC_DM_FIXED, false);
    ck_assert(!bit(LAPIC_REG_TMR, 0x70));
    ck_assert_int_eq(lapic_intr_ack(l), 0x70);
    wr(LAPIC_REG_EOI, 0);
    ck_assert_int_eq(eois.count, 1);
}
END_TEST

START_TEST(timer_one_shot_with_divider)
{
    enable();
    wr(LAPIC_REG_TIMER_DIV, 0x3); /* divide by 16 */
    wr(LAPIC_REG_LVT_TIMER, 0x20);
    vclock_advance(&m.clock, 12345); /* start at an arbitrary time */
    wr(LAPIC_REG_TIMER_INIT, 1000); /* 16000 ns */
    ck_assert_uint_eq(rd(LAPIC_REG_TIMER_CUR), 1000);
    vclock_advance(&m.clock, 15999);
    ck_assert(!bit(LAPIC_REG_IRR, 0x20));
    ck_assert_uint_eq(rd(LAPIC_REG_TIMER_CUR), 1);
    vclock_advance(&m.clock, 1);
    ck_assert(bit(LAPIC_REG_IRR, 0x20));
    ck_assert_uint_eq(rd(LAPIC_REG_TIMER_CUR), 0);
    ck_assert_int_eq(lapic_intr_ack(l), 0x20);
    wr(LAPIC_REG_EOI, 0);
    vclock_advance(&m.clock, 1000000);
    ck_assert(!bit(LAPIC_REG_IRR, 0x20)); /* once only */
    ck_assert_uint_eq(rd(LAPIC_REG_TIMER_INIT), 1000);

    /* divide by 1 (code 1011b) */
    wr(LAPIC_REG_TIMER_DIV, 0xb);
    wr(LAPIC_REG_TIMER_INIT, 500);
    vclock_advance(&m.clock, 499);
    ck_assert(!bit(LAPIC_REG_IRR, 0x20));
    vclock_advance(&m.clock, 1);
    ck_assert(bit(LAPIC_REG_IRR, 0x20));

    /* writing 0 stops a running timer */
    ck_assert_int_eq(lapic_intr_ack(l), 0x20);
    wr(LAPIC_REG_EOI, 0);
    wr(LAPIC_REG_TIMER_INIT, 500);
    vclock_advance(&m.clock, 100);
    wr(LAPIC_REG_TIMER_INIT, 0);
    vclock_advance(&m.clock, 10000);
    ck_assert(!bit(LAPIC_REG_IRR, 0x20));
    ck_assert_uint_eq(rd(LAPIC_REG_TIMER_CUR), 0);
}
END_TEST

START_TEST(timer_periodic_does_not_drift)
{
    enable();
    wr(LAPIC_REG_TIMER_DIV, 0xa); /* divide by 128 */
    wr(LAPIC_REG_LVT_TIMER, 0x20000 | 0x21);
    vclock_advance(&m.clock, 777);
    uint64_t start = vclock_now(&m.clock);
    wr(LAPIC_REG_TIMER_INIT, 7); /* 896 ns per period */
    for (uint64_t k = 1; k <= 2000; k++) {
        uint64_t due = start + k * 896;
        vclock_advance(&m.clock, due - 1 - vclock_now(&m.clock));
        ck_assert(!bit(LAPIC_REG_IRR, 0x21));
        ck_assert_uint_eq(rd(LAPIC_REG_TIMER_CUR), 1);
        vclock_advance(&m.clock, 1);
        ck_assert(bit(LAPIC_REG_IRR, 0x21));
        ck_assert_uint_eq(rd(LAPIC_REG_TIMER_CUR), 7); /* reloaded */
        ck_assert_int_eq(lapic_intr_ack(l), 0x21);
        wr(LAPIC_REG_EOI, 0);
    }
    /* a long jump coalesces into the single IRR bit and keeps the phase */
    vclock_advance(&m.clock, 896 * 1000 + 128 * 3);
    ck_assert(bit(LAPIC_REG_IRR, 0x21));
    ck_assert_uint_eq(rd(LAPIC_REG_TIMER_CUR), 4);
    ck_assert_uint_eq(vclock_next_deadline(&m.clock), start + 3001 * 896);
}
END_TEST

START_TEST(timer_current_count_decreases)
{
    enable();
    wr(LAPIC_REG_TIMER_DIV, 0x0); /* divide by 2 */
    wr(LAPIC_REG_LVT_TIMER, 0x10020); /* masked */
    wr(LAPIC_REG_TIMER_INIT, 100000);
    uint32_t prev = rd(LAPIC_REG_TIMER_CUR);
    ck_assert_uint_eq(prev, 100000);
    vclock_advance(&m.clock, 2000);
    ck_assert_uint_eq(rd(LAPIC_REG_TIMER_CUR), 99000);
    for (int i = 0; i < 50; i++) {
        vclock_advance(&m.clock, 997);
        uint32_t cur = rd(LAPIC_REG_TIMER_CUR);
        ck_assert_uint_lt(cur, prev);
        prev = cur;
    }
    /* changing the divider keeps the count and changes the rate */
    uint32_t before = rd(LAPIC_REG_TIMER_CUR);
    wr(LAPIC_REG_TIMER_DIV, 0x1); /* divide by 4 */
    ck_assert_uint_eq(rd(LAPIC_REG_TIMER_CUR), before);
    vclock_advance(&m.clock, 4000);
    ck_assert_uint_eq(rd(LAPIC_REG_TIMER_CUR), before - 1000);
}
END_TEST

START_TEST(masked_timer_sets_no_irr)
{
    enable();
    wr(LAPIC_REG_TIMER_DIV, 0xb);
    wr(LAPIC_REG_LVT_TIMER, 0x10020);
    wr(LAPIC_REG_TIMER_INIT, 100);
    vclock_advance(&m.clock, 1000);
    ck_assert(!bit(LAPIC_REG_IRR, 0x20));
    ck_assert_uint_eq(rd(LAPIC_REG_TIMER_CUR), 0); /* it still counted out */
    ck_assert(!lapic_intr_pending(l));
    /* masked periodic keeps reloading */
    wr(LAPIC_REG_LVT_TIMER, 0x30020);
    wr(LAPIC_REG_TIMER_INIT, 100);
    vclock_advance(&m.clock, 1030);
    ck_assert(!bit(LAPIC_REG_IRR, 0x20));
    ck_assert_uint_eq(rd(LAPIC_REG_TIMER_CUR), 70);
    /* TSC-deadline mode is not advertised: the timer stops and never fires */
    wr(LAPIC_REG_LVT_TIMER, 0x40020);
    ck_assert_uint_eq(rd(LAPIC_REG_TIMER_CUR), 0);
    wr(LAPIC_REG_TIMER_INIT, 100);
    vclock_advance(&m.clock, 100000);
    ck_assert(!bit(LAPIC_REG_IRR, 0x20));
}
END_TEST

START_TEST(extint_asks_the_pic)
{
    /* at reset LINT0 is ExtINT and unmasked: the PIC gets through */
    ck_assert(!lapic_intr_pending(l));
    pic.intr = true;
    pic.vector = 0x08;
    ck_assert(lapic_intr_pending(l));
    ck_assert_int_eq(lapic_intr_ack(l), 0x08);
    ck_assert_int_eq(pic.acks, 1);
    ck_assert(!lapic_intr_pending(l));

    /* an APIC vector above PPR is taken before the PIC */
    enable();
    wr(LAPIC_REG_LVT_LINT0, 0x8700);
    pic.intr = true;
    pic.vector = 0x09;
    lapic_deliver(l, 0x80, LAPIC_DM_FIXED, false);
    ck_assert_int_eq(lapic_intr_ack(l), 0x80);
    ck_assert_int_eq(lapic_intr_ack(l), 0x09);
    ck_assert_int_eq(pic.acks, 2);

    /* masked LINT0: the PIC is not consulted */
    wr(LAPIC_REG_LVT_LINT0, 0x10700);
    pic.intr = true;
    ck_assert(!lapic_intr_pending(l));
    ck_assert_int_eq(lapic_intr_ack(l), 0xff);
    ck_assert_int_eq(pic.acks, 2);

    /* an ExtINT message from an I/O APIC opens the path for one INTA */
    lapic_deliver(l, 0, LAPIC_DM_EXTINT, false);
    ck_assert(lapic_intr_pending(l));
    ck_assert_int_eq(lapic_intr_ack(l), 0x09);
    pic.intr = true;
    ck_assert(!lapic_intr_pending(l));

    /* globally disabled: the PIC is wired straight to the CPU */
    lapic_set_base(l, BASE | X86_APIC_BASE_BSP);
    ck_assert(lapic_intr_pending(l));
    ck_assert_int_eq(lapic_intr_ack(l), 0x09);
    ck_assert_int_eq(pic.acks, 4);
}
END_TEST

START_TEST(lint_pins)
{
    enable();
    wr(LAPIC_REG_LVT_LINT1, 0x8400); /* NMI (level bit ignored) */
    lapic_set_lint1(l, 0, 1);
    ck_assert(lapic_nmi_pending(l));
    lapic_nmi_ack(l);
    lapic_set_lint1(l, 0, 1);
    ck_assert(!lapic_nmi_pending(l)); /* edge only */
    lapic_set_lint1(l, 0, 0);
    struct irq_line line1 = lapic_lint_irq_line(l, 1);
    irq_raise(&line1);
    ck_assert(lapic_nmi_pending(l));
    lapic_nmi_ack(l);

    /* LINT0 fixed, level-triggered: remote IRR until EOI, then again */
    struct irq_line line0 = lapic_lint_irq_line(l, 0);
    wr(LAPIC_REG_LVT_LINT0, 0x8035);
    irq_raise(&line0);
    ck_assert(bit(LAPIC_REG_IRR, 0x35));
    ck_assert(bit(LAPIC_REG_TMR, 0x35));
    ck_assert_uint_eq(rd(LAPIC_REG_LVT_LINT0), 0xc035);
    ck_assert_int_eq(lapic_intr_ack(l), 0x35);
    wr(LAPIC_REG_EOI, 0);
    ck_assert(bit(LAPIC_REG_IRR, 0x35)); /* still asserted */
    ck_assert_int_eq(lapic_intr_ack(l), 0x35);
    irq_lower(&line0);
    wr(LAPIC_REG_EOI, 0);
    ck_assert(!bit(LAPIC_REG_IRR, 0x35));
    ck_assert_uint_eq(rd(LAPIC_REG_LVT_LINT0), 0x8035);
}
END_TEST

START_TEST(apic_base_moves_and_disables)
{
    enable();
    wr(LAPIC_REG_TPR, 0x20);
    uint8_t d[4];
    /* globally disabled: the page is gone and messages are dropped */
    lapic_set_base(l, BASE | X86_APIC_BASE_BSP);
    ck_assert_uint_eq(lapic_get_base(l), 0xfee00100ull);
    ck_assert(!iomap_access(&m.mem.mmio, BASE + LAPIC_REG_VERSION, d, 4, false));
    lapic_deliver(l, 0x40, LAPIC_DM_FIXED, false);
    lapic_deliver(l, 0, LAPIC_DM_NMI, false);
    ck_assert(!lapic_nmi_pending(l));
    ck_assert(!lapic_intr_pending(l));
    /* re-enabled elsewhere, in the power-on state */
    lapic_set_base(l, 0xfed00000ull | X86_APIC_BASE_ENABLE);
    ck_assert_uint_eq(lapic_get_base(l), 0xfed00900ull);
    ck_assert(!iomap_access(&m.mem.mmio, BASE + LAPIC_REG_VERSION, d, 4, false));
    ck_assert_uint_eq(rd_at(0xfed00000ull, LAPIC_REG_VERSION), 0x00050014);
    ck_assert_uint_eq(rd_at(0xfed00000ull, LAPIC_REG_SVR), 0xff);
    ck_assert_uint_eq(rd_at(0xfed00000ull, LAPIC_REG_TPR), 0);
    ck_assert_uint_eq(rd_at(0xfed00000ull, LAPIC_REG_IRR + 0x20), 0);
    /* machine reset puts it back at the default base */
    machine_reset(&m);
    ck_assert_uint_eq(lapic_get_base(l), 0xfee00900ull);
    ck_assert_uint_eq(rd(LAPIC_REG_VERSION), 0x00050014);
    ck_assert(!iomap_access(&m.mem.mmio, 0xfed00000ull + LAPIC_REG_VERSION, d, 4, false));
}
END_TEST

START_TEST(destination_matching)
{
    enable();
    lapic_deliver_msg(l, 1, false, 0x40, LAPIC_DM_FIXED, false);
    ck_assert(!bit(LAPIC_REG_IRR, 0x40));
    lapic_deliver_msg(l, 0, false, 0x40, LAPIC_DM_FIXED, false);
    ck_assert(bit(LAPIC_REG_IRR, 0x40));
    lapic_deliver_msg(l, 0xff, false, 0x41, LAPIC_DM_FIXED, false);
    ck_assert(bit(LAPIC_REG_IRR, 0x41));
    /* logical flat model: LDR bit against the destination bitmap */
    lapic_deliver_msg(l, 0x01, true, 0x42, LAPIC_DM_LOWEST, false);
    ck_assert(!bit(LAPIC_REG_IRR, 0x42)); /* LDR still 0 */
    wr(LAPIC_REG_LDR, 0x01000000);
    lapic_deliver_msg(l, 0x02, true, 0x42, LAPIC_DM_LOWEST, false);
    ck_assert(!bit(LAPIC_REG_IRR, 0x42));
    lapic_deliver_msg(l, 0x03, true, 0x42, LAPIC_DM_LOWEST, false);
    ck_assert(bit(LAPIC_REG_IRR, 0x42));
    /* cluster model: cluster 2, member bit 1 */
    wr(LAPIC_REG_DFR, 0x0fffffff);
    wr(LAPIC_REG_LDR, 0x21000000);
    ck_assert(!lapic_accepts_dest(l, 0x11, true));
    ck_assert(lapic_accepts_dest(l, 0x21, true));
    ck_assert(lapic_accepts_dest(l, 0xf1, true));
    ck_assert(!lapic_accepts_dest(l, 0x22, true));
    /* the APIC ID register is writable */
    wr(LAPIC_REG_ID, 0x05000000);
    ck_assert_uint_eq(rd(LAPIC_REG_ID), 0x05000000);
    ck_assert(lapic_accepts_dest(l, 5, false));
    ck_assert(!lapic_accepts_dest(l, 0, false));
}
END_TEST

START_TEST(error_lvt_and_cpu_hooks)
{
    enable();
    wr(LAPIC_REG_LVT_ERROR, 0xfe);
    wr(LAPIC_REG_ICR_LO, 0x40003); /* illegal vector */
    ck_assert(bit(LAPIC_REG_IRR, 0xfe));
    lapic_connect_cpu(l);
    ck_assert(m.intc.intr_pending(m.intc.opaque));
    ck_assert_int_eq(m.intc.intr_ack(m.intc.opaque), 0xfe);
    ck_assert_ptr_nonnull(m.intc.get_cr8);
    m.intc.set_cr8(m.intc.opaque, 0x5);
    ck_assert_uint_eq(m.intc.get_cr8(m.intc.opaque), 0x5);
    m.intc.set_cr8(m.intc.opaque, 0);
    ck_assert_uint_eq(m.intc.get_apic_base(m.intc.opaque) & ~0xfffull, 0xfee00000ull);
    ck_assert(!m.intc.intr_pending(m.intc.opaque));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("lapic");
    TCase *tc = tcase_create("lapic");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, reset_values);
    tcase_add_test(tc, svr_software_enable);
    tcase_add_test(tc, self_ipi_lands_in_irr);
    tcase_add_test(tc, higher_vector_wins);
    tcase_add_test(tc, tpr_masks_lower_classes);
    tcase_add_test(tc, eoi_clears_highest_in_service);
    tcase_add_test(tc, level_eoi_calls_back);
    tcase_add_test(tc, timer_one_shot_with_divider);
    tcase_add_test(tc, timer_periodic_does_not_drift);
    tcase_add_test(tc, timer_current_count_decreases);
    tcase_add_test(tc, masked_timer_sets_no_irr);
    tcase_add_test(tc, extint_asks_the_pic);
    tcase_add_test(tc, lint_pins);
    tcase_add_test(tc, apic_base_moves_and_disables);
    tcase_add_test(tc, destination_matching);
    tcase_add_test(tc, error_lvt_and_cpu_hooks);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
