/* Unit tests for the 8259A pair and ELCR, driven through their ports with the
 * INT output observed on a test irq_line. */
#include <check.h>
#include <stdlib.h>

#include "hw/i8259.h"
#include "hw/machine.h"
#include "test_util.h"

static struct machine M;
static struct pic *P;
static int intr_level, intr_changes;

static void intr_cb(void *opaque, int pin, int level)
{
    (void)opaque;
    (void)pin;
    intr_level = level;
    intr_changes++;
}

static void outb(uint16_t port, uint8_t v)
{
    iomap_access(&M.io, port, &v, 1, true);
}

static uint8_t inb(uint16_t port)
{
    uint8_t v = 0;
    iomap_access(&M.io, port, &v, 1, false);
    return v;
}

/* The PC BIOS programming: master vectors 0x08, slave 0x70, cascade on IR2. */
static void init_pair(uint8_t mbase, uint8_t sbase, uint8_t master_icw4, uint8_t slave_icw4)
{
    outb(0x20, 0x11);
    outb(0x21, mbase);
    outb(0x21, 0x04);
    outb(0x21, master_icw4);
    outb(0xa0, 0x11);
    outb(0xa1, sbase);
    outb(0xa1, 0x02);
    outb(0xa1, slave_icw4);
}

static uint8_t read_isr(uint16_t cmd)
{
    outb(cmd, 0x0b);
    return inb(cmd);
}

static uint8_t read_irr(uint16_t cmd)
{
    outb(cmd, 0x0a);
    return inb(cmd);
}

static void setup(void)
{
    machine_init_core(&M, true);
    intr_level = 0;
    intr_changes = 0;
    P = pic_create(&M, irq_line_make(intr_cb, NULL, 0));
    ck_assert_ptr_nonnull(P);
    init_pair(0x08, 0x70, 0x01, 0x01);
}

static void teardown(void)
{
    pic_destroy(P);
    machine_destroy_core(&M);
}

START_TEST(init_sequence_sets_vectors_and_mask)
{
    /* ICW1 cleared the mask; OCW1 after the ICWs sets it. */
    ck_assert_uint_eq(inb(0x21), 0x00);
    outb(0x21, 0xb8);
    outb(0xa1, 0x5a);
    ck_assert_uint_eq(inb(0x21), 0xb8);
    ck_assert_uint_eq(inb(0xa1), 0x5a);
    outb(0x21, 0x00);
    pic_set_irq(P, 1, 1);
    ck_assert_int_eq(pic_intr_ack(P), 0x09);
    outb(0x20, 0x20);
    /* Re-initialising clears the mask and takes the new base; in single mode
     * the ICW after ICW2 is ICW4 (here auto-EOI), then OCW1. */
    outb(0x21, 0xff);
    outb(0x20, 0x13);
    ck_assert_uint_eq(inb(0x21), 0x00);
    outb(0x21, 0x40);
    outb(0x21, 0x03);
    outb(0x21, 0x02);
    ck_assert_uint_eq(inb(0x21), 0x02);
    /* IRQ1 masked: the 0x21 writes landed where they should. */
    pic_set_irq(P, 1, 0);
    pic_set_irq(P, 1, 1);
    ck_assert(!pic_intr_pending(P));
    outb(0x21, 0x00);
    ck_assert(pic_intr_pending(P));
    ck_assert_int_eq(pic_intr_ack(P), 0x41);
    ck_assert_uint_eq(read_isr(0x20), 0x00); /* auto-EOI */
}
END_TEST

START_TEST(raise_ack_eoi)
{
    ck_assert(!pic_intr_pending(P));
    pic_set_irq(P, 3, 1);
    ck_assert_int_eq(intr_level, 1);
    ck_assert_int_eq(intr_changes, 1);
    ck_assert(pic_intr_pending(P));
    ck_assert_uint_eq(read_irr(0x20), 0x08);
    ck_assert_int_eq(pic_intr_ack(P), 0x0b);
    ck_assert_int_eq(intr_level, 0);
    ck_assert_uint_eq(read_isr(0x20), 0x08);
    ck_assert_uint_eq(read_irr(0x20), 0x00); /* edge: the request was consumed */
    outb(0x20, 0x20);                         /* non-specific EOI */
    ck_assert_uint_eq(read_isr(0x20), 0x00);
    /* The line is still high: an edge input needs a new rising edge. */
    ck_assert(!pic_intr_pending(P));
    pic_set_irq(P, 3, 0);
    pic_set_irq(P, 3, 1);
    ck_assert(pic_intr_pending(P));
    ck_assert_int_eq(pic_intr_ack(P), 0x0b);
    outb(0x20, 0x63); /* specific EOI for level 3 */
    ck_assert_uint_eq(read_isr(0x20), 0x00);
    ck_assert_int_eq(intr_changes, 4);
}
END_TEST

START_TEST(priority_lower_irq_wins_and_nests)
{
    pic_set_irq(P, 5, 1);
    pic_set_irq(P, 1, 1);
    ck_assert_int_eq(pic_intr_ack(P), 0x09);
    /* IRQ5 is blocked while the higher-priority IRQ1 is in service. */
    ck_assert(!pic_intr_pending(P));
    ck_assert_uint_eq(read_irr(0x20), 0x20);
    /* IRQ0 outranks IRQ1 and nests. */
    pic_set_irq(P, 0, 1);
    ck_assert(pic_intr_pending(P));
    ck_assert_int_eq(pic_intr_ack(P), 0x08);
    ck_assert_uint_eq(read_isr(0x20), 0x03);
    outb(0x20, 0x20); /* clears the highest in service: IRQ0 */
    ck_assert_uint_eq(read_isr(0x20), 0x02);
    ck_assert(!pic_intr_pending(P));
    outb(0x20, 0x20);
    ck_assert(pic_intr_pending(P));
    ck_assert_int_eq(pic_intr_ack(P), 0x0d);
    outb(0x20, 0x20);

    /* Set priority: IRQ4 lowest makes IRQ5 the highest. */
    outb(0x20, 0xc4);
    pic_set_irq(P, 1, 0);
    pic_set_irq(P, 1, 1);
    pic_set_irq(P, 6, 1);
    ck_assert_int_eq(pic_intr_ack(P), 0x0e);
    /* Rotate on non-specific EOI: IRQ6 becomes lowest, IRQ7 highest, IRQ1
     * still before IRQ6. */
    outb(0x20, 0xa0);
    ck_assert_uint_eq(read_isr(0x20), 0x00);
    pic_set_irq(P, 6, 0);
    pic_set_irq(P, 6, 1);
    ck_assert_int_eq(pic_intr_ack(P), 0x09);
    /* IRQ6 is now lowest, so it does not preempt IRQ1. */
    ck_assert(!pic_intr_pending(P));
    outb(0x20, 0xe1); /* rotate on specific EOI 1: IRQ2 highest */
    ck_assert_int_eq(pic_intr_ack(P), 0x0e);
    outb(0x20, 0x20);
}
END_TEST

START_TEST(masking)
{
    outb(0x21, 0x08);
    pic_set_irq(P, 3, 1);
    ck_assert(!pic_intr_pending(P));
    ck_assert_int_eq(intr_changes, 0);
    ck_assert_uint_eq(read_irr(0x20), 0x08); /* recorded but masked */
    outb(0x21, 0x00);
    ck_assert(pic_intr_pending(P));
    ck_assert_int_eq(intr_level, 1);
    /* Masking the slave input on the master hides every slave IRQ. */
    ck_assert_int_eq(pic_intr_ack(P), 0x0b);
    outb(0x20, 0x20);
    outb(0x21, 0x04);
    pic_set_irq(P, 12, 1);
    ck_assert(!pic_intr_pending(P));
    outb(0x21, 0x00);
    ck_assert_int_eq(pic_intr_ack(P), 0x74);
}
END_TEST

START_TEST(cascade_through_slave)
{
    pic_set_irq(P, 10, 1);
    ck_assert(pic_intr_pending(P));
    ck_assert_uint_eq(read_irr(0xa0), 0x04);
    ck_assert_uint_eq(read_irr(0x20), 0x04);
    ck_assert_int_eq(pic_intr_ack(P), 0x72);
    ck_assert_uint_eq(read_isr(0x20), 0x04);
    ck_assert_uint_eq(read_isr(0xa0), 0x04);
    /* A higher slave IRQ waits for the master's IR2 to be acknowledged. */
    pic_set_irq(P, 8, 1);
    ck_assert(!pic_intr_pending(P));
    outb(0xa0, 0x20);
    ck_assert(!pic_intr_pending(P));
    outb(0x20, 0x20);
    ck_assert(pic_intr_pending(P));
    ck_assert_int_eq(pic_intr_ack(P), 0x70);
    outb(0xa0, 0x20);
    outb(0x20, 0x20);
    ck_assert_uint_eq(read_isr(0x20), 0x00);
    ck_assert_uint_eq(read_isr(0xa0), 0x00);
    /* Master IRQ1 outranks anything on the slave (which sits at IR2). */
    pic_set_irq(P, 9, 1);
    pic_set_irq(P, 1, 1);
    ck_assert_int_eq(pic_intr_ack(P), 0x09);
    outb(0x20, 0x20);
    ck_assert_int_eq(pic_intr_ack(P), 0x71);
}
END_TEST

START_TEST(elcr_level_vs_edge)
{
    outb(0x4d0, 0xff);
    outb(0x4d1, 0xff);
    ck_assert_uint_eq(inb(0x4d0), 0xf8); /* IRQ0-2 forced edge */
    ck_assert_uint_eq(inb(0x4d1), 0xde); /* IRQ8, 13 forced edge */
    outb(0x4d0, 0x20);                   /* IRQ5 level */
    outb(0x4d1, 0x02);                   /* IRQ9 level */

    /* Level: IRR follows the line, and a request still asserted after EOI
     * interrupts again. */
    pic_set_irq(P, 5, 1);
    ck_assert_int_eq(pic_intr_ack(P), 0x0d);
    ck_assert_uint_eq(read_irr(0x20), 0x20);
    outb(0x20, 0x20);
    ck_assert(pic_intr_pending(P));
    ck_assert_int_eq(pic_intr_ack(P), 0x0d);
    pic_set_irq(P, 5, 0);
    ck_assert_uint_eq(read_irr(0x20), 0x00);
    outb(0x20, 0x20);
    ck_assert(!pic_intr_pending(P));

    /* Edge: one interrupt per rising edge, a pulse is enough. */
    pic_set_irq(P, 4, 1);
    pic_set_irq(P, 4, 0);
    ck_assert(pic_intr_pending(P));
    ck_assert_int_eq(pic_intr_ack(P), 0x0c);
    outb(0x20, 0x20);
    ck_assert(!pic_intr_pending(P));

    /* Level on the slave through the cascade. */
    pic_set_irq(P, 9, 1);
    ck_assert_int_eq(pic_intr_ack(P), 0x71);
    outb(0xa0, 0x20);
    outb(0x20, 0x20);
    ck_assert(pic_intr_pending(P));
    ck_assert_int_eq(pic_intr_ack(P), 0x71);
    pic_set_irq(P, 9, 0);
    ck_assert_uint_eq(read_irr(0xa0), 0x00);
    outb(0xa0, 0x20);
    outb(0x20, 0x20);
    ck_assert(!pic_intr_pending(P));

    /* Turning ELCR to level for a line already high makes it request. */
    outb(0x4d0, 0x00);
    pic_set_irq(P, 7, 1);
    ck_assert_int_eq(pic_intr_ack(P), 0x0f);
    outb(0x20, 0x20);
    ck_assert(!pic_intr_pending(P));
    outb(0x4d0, 0x80);
    ck_assert(pic_intr_pending(P));
}
END_TEST

/* The slave's request survives a reinitialisation of the master while the
 * slave's INT is already high (the cascade input is a level). */
START_TEST(slave_request_survives_master_reinit)
{
    pic_set_irq(P, 10, 1);
    ck_assert(pic_intr_pending(P));
    outb(0x20, 0x11); /* ICW1..ICW4 again on the master */
    outb(0x21, 0x08);
    outb(0x21, 0x04);
    outb(0x21, 0x01);
    ck_assert(pic_intr_pending(P));
    ck_assert_int_eq(pic_intr_ack(P), 0x72);
}
END_TEST

START_TEST(spurious_when_request_vanishes)
{
    outb(0x4d0, 0x20);
    pic_set_irq(P, 5, 1);
    ck_assert(pic_intr_pending(P));
    pic_set_irq(P, 5, 0);
    ck_assert(!pic_intr_pending(P));
    ck_assert_int_eq(intr_level, 0);
    ck_assert_int_eq(pic_intr_ack(P), 0x0f);
    ck_assert_uint_eq(read_isr(0x20), 0x00); /* a spurious IRQ7 sets no ISR bit */

    /* On the slave: the cascade input follows the slave's INT, so when the
     * slave's level request goes away nothing is left to deliver. */
    outb(0x4d1, 0x08);
    pic_set_irq(P, 11, 1);
    ck_assert(pic_intr_pending(P));
    pic_set_irq(P, 11, 0);
    ck_assert(!pic_intr_pending(P));
    ck_assert_uint_eq(read_isr(0x20), 0x00);
    ck_assert_uint_eq(read_isr(0xa0), 0x00);
    outb(0x20, 0x20);
    ck_assert_uint_eq(read_isr(0x20), 0x00);
}
END_TEST

START_TEST(auto_eoi)
{
    init_pair(0x20, 0x28, 0x03, 0x03);
    pic_set_irq(P, 6, 1);
    ck_assert_int_eq(pic_intr_ack(P), 0x26);
    ck_assert_uint_eq(read_isr(0x20), 0x00);
    /* Nothing in service: even a lower priority request goes through. */
    pic_set_irq(P, 7, 1);
    ck_assert(pic_intr_pending(P));
    ck_assert_int_eq(pic_intr_ack(P), 0x27);
    pic_set_irq(P, 13, 1);
    ck_assert_int_eq(pic_intr_ack(P), 0x2d);
    ck_assert_uint_eq(read_isr(0x20), 0x00);
    ck_assert_uint_eq(read_isr(0xa0), 0x00);
    /* Rotate in auto-EOI mode: the acknowledged level becomes lowest. */
    outb(0x20, 0x80);
    pic_set_irq(P, 3, 1);
    ck_assert_int_eq(pic_intr_ack(P), 0x23);
    pic_set_irq(P, 3, 0);
    pic_set_irq(P, 3, 1);
    pic_set_irq(P, 4, 1);
    ck_assert_int_eq(pic_intr_ack(P), 0x24);
}
END_TEST

START_TEST(ocw3_reads_isr_and_irr)
{
    pic_set_irq(P, 4, 1);
    pic_set_irq(P, 6, 1);
    ck_assert_int_eq(pic_intr_ack(P), 0x0c);
    outb(0x20, 0x0b);
    ck_assert_uint_eq(inb(0x20), 0x10);
    ck_assert_uint_eq(inb(0x20), 0x10); /* the selection sticks */
    ck_assert_uint_eq(inb(0x21), 0x00); /* odd port is still the mask */
    outb(0x20, 0x0a);
    ck_assert_uint_eq(inb(0x20), 0x40);
    /* An OCW3 without RR leaves the selection alone. */
    outb(0x20, 0x08);
    ck_assert_uint_eq(inb(0x20), 0x40);
}
END_TEST

START_TEST(poll_mode)
{
    pic_set_irq(P, 3, 1);
    outb(0x20, 0x0c);
    ck_assert_uint_eq(inb(0x20), 0x83);
    ck_assert_uint_eq(read_isr(0x20), 0x08); /* the poll read acknowledged */
    ck_assert(!pic_intr_pending(P));
    outb(0x20, 0x0c);
    ck_assert_uint_eq(inb(0x20), 0x00); /* nothing requesting */
    outb(0x20, 0x20);
    /* A masked request is not reported; the poll is good for one read only
     * (this OCW3 also selects IRR for the reads after it). */
    outb(0x21, 0x40);
    pic_set_irq(P, 6, 1);
    outb(0x20, 0x0e);
    ck_assert_uint_eq(inb(0x20), 0x00);
    ck_assert_uint_eq(inb(0x20), 0x40);
    outb(0x21, 0x00);
    ck_assert_int_eq(pic_intr_ack(P), 0x0e);
    outb(0x20, 0x20);

    /* Polling a cascaded request: master reports IR2, slave the level. */
    pic_set_irq(P, 14, 1);
    outb(0x20, 0x0c);
    ck_assert_uint_eq(inb(0x20), 0x82);
    outb(0xa0, 0x0c);
    ck_assert_uint_eq(inb(0xa0), 0x86);
    ck_assert_uint_eq(read_isr(0xa0), 0x40);
    outb(0xa0, 0x20);
    outb(0x20, 0x20);
    ck_assert(!pic_intr_pending(P));
}
END_TEST

START_TEST(special_mask_mode)
{
    pic_set_irq(P, 3, 1);
    ck_assert_int_eq(pic_intr_ack(P), 0x0b);
    pic_set_irq(P, 5, 1);
    ck_assert(!pic_intr_pending(P));
    /* Mask the level in service and enable special mask mode: lower
     * priority levels are let through. */
    outb(0x21, 0x08);
    outb(0x20, 0x68);
    ck_assert(pic_intr_pending(P));
    ck_assert_int_eq(pic_intr_ack(P), 0x0d);
    ck_assert_uint_eq(read_isr(0x20), 0x28);
    outb(0x20, 0x65);
    /* Leaving special mask mode restores the nesting. */
    outb(0x20, 0x48);
    outb(0x21, 0x00);
    pic_set_irq(P, 5, 0);
    pic_set_irq(P, 5, 1);
    ck_assert(!pic_intr_pending(P));
}
END_TEST

START_TEST(special_fully_nested)
{
    /* Without SFNM a higher slave IRQ waits for the master's IR2. */
    pic_set_irq(P, 10, 1);
    ck_assert_int_eq(pic_intr_ack(P), 0x72);
    pic_set_irq(P, 9, 1);
    ck_assert(!pic_intr_pending(P));
    outb(0xa0, 0x20);
    outb(0x20, 0x20);
    ck_assert_int_eq(pic_intr_ack(P), 0x71);
    outb(0xa0, 0x20);
    outb(0x20, 0x20);

    init_pair(0x08, 0x70, 0x11, 0x01);
    pic_set_irq(P, 10, 0);
    pic_set_irq(P, 9, 0);
    pic_set_irq(P, 10, 1);
    ck_assert_int_eq(pic_intr_ack(P), 0x72);
    pic_set_irq(P, 9, 1);
    ck_assert(pic_intr_pending(P));
    ck_assert_int_eq(pic_intr_ack(P), 0x71);
    ck_assert_uint_eq(read_isr(0xa0), 0x06);
    /* Still nested for lower-priority master inputs. */
    pic_set_irq(P, 4, 1);
    ck_assert(!pic_intr_pending(P));
}
END_TEST

START_TEST(reset_restores_power_on_state)
{
    outb(0x21, 0xff);
    outb(0x4d0, 0x20);
    pic_set_irq(P, 5, 1);
    machine_reset(&M);
    ck_assert_uint_eq(inb(0x21), 0x00);
    ck_assert_uint_eq(inb(0x4d0), 0x00);
    ck_assert_uint_eq(read_isr(0x20), 0x00);
    ck_assert_uint_eq(read_irr(0x20), 0x00);
    ck_assert(!pic_intr_pending(P));
    init_pair(0x08, 0x70, 0x01, 0x01);
    pic_set_irq(P, 5, 0);
    pic_set_irq(P, 5, 1);
    ck_assert_int_eq(pic_intr_ack(P), 0x0d);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("i8259");
    TCase *tc = tcase_create("i8259");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, init_sequence_sets_vectors_and_mask);
    tcase_add_test(tc, raise_ack_eoi);
    tcase_add_test(tc, priority_lower_irq_wins_and_nests);
    tcase_add_test(tc, masking);
    tcase_add_test(tc, cascade_through_slave);
    tcase_add_test(tc, elcr_level_vs_edge);
    tcase_add_test(tc, spurious_when_request_vanishes);
    tcase_add_test(tc, slave_request_survives_master_reinit);
    tcase_add_test(tc, auto_eoi);
    tcase_add_test(tc, ocw3_reads_isr_and_irr);
    tcase_add_test(tc, poll_mode);
    tcase_add_test(tc, special_mask_mode);
    tcase_add_test(tc, special_fully_nested);
    tcase_add_test(tc, reset_restores_power_on_state);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
