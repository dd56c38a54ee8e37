/* Unit tests for the I/O APIC: the IOREGSEL/IOWIN window, redirection
 * entries, edge and level pins with Remote IRR and EOI, polarity, and the
 * board wiring to a local APIC. */
#include <check.h>
#include <stdlib.h>

#include "hw/ioapic.h"
#include "hw/lapic.h"
#include "hw/machine.h"
#include "softmmu/iomap.h"
#include "test_util.h"

#define BASE IOAPIC_DEFAULT_BASE

struct msg_log {
    int count;
    uint8_t dest;
    bool logical;
    uint8_t vector;
    unsigned dm;
    bool level;
};

static struct machine m;
static struct ioapic *io;
static struct msg_log msgs;

static void record(void *opaque, uint8_t dest, bool dest_logical, uint8_t vector,
                   unsigned delivery_mode, bool level_triggered)
{
    struct msg_log *g = opaque;
    g->count++;
    g->dest = dest;
    g->logical = dest_logical;
    g->vector = vector;
    g->dm = delivery_mode;
    g->level = level_triggered;
}

static void setup(void)
{
    machine_init_core(&m, true);
    msgs = (struct msg_log){ 0 };
    io = ioapic_create(&m, record, &msgs);
    ck_assert_ptr_nonnull(io);
}

static void teardown(void)
{
    ioapic_destroy(io);
    machine_destroy_core(&m);
}

static void mmio_w(uint64_t off, uint32_t v)
{
    uint8_t d[4];
    io_data_put(d, 4, v);
    ck_assert(iomap_access(&m.mem.mmio, BASE + off, d, 4, true));
}

static uint32_t mmio_r(uint64_t off)
{
    uint8_t d[4];
    ck_assert(iomap_access(&m.mem.mmio, BASE + off, d, 4, false));
    return (uint32_t)io_data_get(d, 4);
}

static uint32_t reg_r(uint32_t reg)
{
    mmio_w(IOAPIC_IOREGSEL, reg);
    return mmio_r(IOAPIC_IOWIN);
}

static void reg_w(uint32_t reg, uint32_t v)
{
    mmio_w(IOAPIC_IOREGSEL, reg);
    mmio_w(IOAPIC_IOWIN, v);
}

static void rte_w(int pin, uint32_t lo, uint32_t hi)
{
    reg_w(IOAPIC_REG_REDTBL + 2 * pin + 1, hi);
    reg_w(IOAPIC_REG_REDTBL + 2 * pin, lo);
}

static uint32_t rte_lo(int pin)
{
    return reg_r(IOAPIC_REG_REDTBL + 2 * pin);
}

START_TEST(register_window)
{
    mmio_w(IOAPIC_IOREGSEL, IOAPIC_REG_VER);
    ck_assert_uint_eq(mmio_r(IOAPIC_IOREGSEL), IOAPIC_REG_VER);
    ck_assert_uint_eq(mmio_r(IOAPIC_IOWIN), 0x00170020);
    /* only 8 bits of IOREGSEL exist */
    mmio_w(IOAPIC_IOREGSEL, 0x1234501);
    ck_assert_uint_eq(mmio_r(IOAPIC_IOREGSEL), 0x01);
    ck_assert_uint_eq(mmio_r(IOAPIC_IOWIN), 0x00170020);
    /* a byte read of the window */
    uint8_t b;
    ck_assert(iomap_access(&m.mem.mmio, BASE + IOAPIC_IOWIN + 2, &b, 1, false));
    ck_assert_uint_eq(b, 0x17);
    /* ID is bits 27:24; the arbitration ID follows it */
    ck_assert_uint_eq(reg_r(IOAPIC_REG_ID), 0);
    reg_w(IOAPIC_REG_ID, 0xff000000);
    ck_assert_uint_eq(reg_r(IOAPIC_REG_ID), 0x0f000000);
    ck_assert_uint_eq(reg_r(IOAPIC_REG_ARB), 0x0f000000);
    reg_w(IOAPIC_REG_ID, 0x02000000);
    ck_assert_uint_eq(reg_r(IOAPIC_REG_ID), 0x02000000);
    ck_assert_uint_eq(reg_r(IOAPIC_REG_ARB), 0x02000000);
    /* version is read-only, undefined registers read 0 */
    reg_w(IOAPIC_REG_VER, 0);
    ck_assert_uint_eq(reg_r(IOAPIC_REG_VER), 0x00170020);
    ck_assert_uint_eq(reg_r(0x03), 0);
    ck_assert_uint_eq(reg_r(0x40), 0);
}
END_TEST

START_TEST(redirection_entries)
{
    for (int pin = 0; pin < IOAPIC_NUM_PINS; pin++) {
        ck_assert_uint_eq(rte_lo(pin), 0x00010000);
        ck_assert_uint_eq(reg_r(IOAPIC_REG_REDTBL + 2 * pin + 1), 0);
    }
    /* delivery status (12) and remote IRR (14) are read-only; 31:17 and
     * 55:32 are reserved */
    reg_w(IOAPIC_REG_REDTBL + 2 * 5, 0xffffffff);
    ck_assert_uint_eq(rte_lo(5), 0x0001afff);
    reg_w(IOAPIC_REG_REDTBL + 2 * 5 + 1, 0xffffffff);
    ck_assert_uint_eq(reg_r(IOAPIC_REG_REDTBL + 2 * 5 + 1), 0xff000000);
    /* neighbours untouched */
    ck_assert_uint_eq(rte_lo(4), 0x00010000);
    ck_assert_uint_eq(rte_lo(6), 0x00010000);
    rte_w(23, 0x00000933, 0x03000000);
    ck_assert_uint_eq(rte_lo(23), 0x00000933);
    ck_assert_uint_eq(reg_r(IOAPIC_REG_REDTBL + 47), 0x03000000);
    /* past entry 23 there is nothing */
    ck_assert_uint_eq(reg_r(IOAPIC_REG_REDTBL + 48), 0);
    /* reset masks everything again */
    machine_reset(&m);
    ck_assert_uint_eq(rte_lo(5), 0x00010000);
    ck_assert_uint_eq(rte_lo(23), 0x00010000);
}
END_TEST

START_TEST(edge_once_per_rising_edge)
{
    rte_w(1, 0x31, 0x00000000);
    ioapic_set_irq(io, 1, 1);
    ck_assert_int_eq(msgs.count, 1);
    ck_assert_uint_eq(msgs.vector, 0x31);
    ck_assert_uint_eq(msgs.dm, 0);
    ck_assert(!msgs.level);
    ck_assert(!msgs.logical);
    ck_assert_uint_eq(msgs.dest, 0);
    ioapic_set_irq(io, 1, 1);
    ck_assert_int_eq(msgs.count, 1);
    ioapic_set_irq(io, 1, 0);
    ck_assert_int_eq(msgs.count, 1);
    struct irq_line line = ioapic_irq_line(io, 1);
    irq_raise(&line);
    ck_assert_int_eq(msgs.count, 2);
    irq_pulse(&line); /* already high: raising again is no edge */
    ck_assert_int_eq(msgs.count, 2);
    irq_pulse(&line); /* now low: one edge */
    ck_assert_int_eq(msgs.count, 3);
    /* remote IRR never sets on an edge entry */
    ck_assert_uint_eq(rte_lo(1) & (1u << 14), 0);
    /* destination and mode fields reach the message */
    rte_w(2, 0x00000942, 0x0f000000); /* logical, lowest priority */
    ioapic_set_irq(io, 2, 1);
    ck_assert_int_eq(msgs.count, 4);
    ck_assert_uint_eq(msgs.dest, 0x0f);
    ck_assert(msgs.logical);
    ck_assert_uint_eq(msgs.dm, 1);
    ck_assert_uint_eq(msgs.vector, 0x42);
    /* out-of-range pins are ignored */
    ioapic_set_irq(io, 24, 1);
    ioapic_set_irq(io, -1, 1);
    ck_assert_int_eq(msgs.count, 4);
}
END_TEST

START_TEST(masked_pins)
{
    /* edge on a masked pin is lost, unmasking later does not replay it */
    rte_w(3, 0x00010033, 0);
    ioapic_set_irq(io, 3, 1);
    ck_assert_int_eq(msgs.count, 0);
    rte_w(3, 0x00000033, 0);
    ck_assert_int_eq(msgs.count, 0);
    ioapic_set_irq(io, 3, 0);
    ioapic_set_irq(io, 3, 1);
    ck_assert_int_eq(msgs.count, 1);
    /* a masked level pin sends when unmasked while still asserted */
    rte_w(4, 0x00018044, 0);
    ioapic_set_irq(io, 4, 1);
    ck_assert_int_eq(msgs.count, 1);
    rte_w(4, 0x00008044, 0);
    ck_assert_int_eq(msgs.count, 2);
    ck_assert_uint_eq(msgs.vector, 0x44);
    ck_assert(msgs.level);
}
END_TEST

START_TEST(level_remote_irr_and_eoi)
{
    rte_w(9, 0x00008049, 0);
    ioapic_set_irq(io, 9, 1);
    ck_assert_int_eq(msgs.count, 1);
    ck_assert(msgs.level);
    ck_assert_uint_eq(rte_lo(9), 0x0000c049); /* remote IRR */
    /* while awaiting EOI nothing more is sent */
    ioapic_set_irq(io, 9, 1);
    ioapic_set_irq(io, 9, 0);
    ioapic_set_irq(io, 9, 1);
    ck_assert_int_eq(msgs.count, 1);
    /* an EOI for another vector changes nothing */
    ioapic_eoi(io, 0x50);
    ck_assert_int_eq(msgs.count, 1);
    ck_assert_uint_eq(rte_lo(9), 0x0000c049);
    /* EOI with the line still asserted: sent again */
    ioapic_eoi(io, 0x49);
    ck_assert_int_eq(msgs.count, 2);
    ck_assert_uint_eq(rte_lo(9), 0x0000c049);
    /* line dropped, then EOI through the EOI register: idle */
    ioapic_set_irq(io, 9, 0);
    mmio_w(IOAPIC_EOI, 0x49);
    ck_assert_int_eq(msgs.count, 2);
    ck_assert_uint_eq(rte_lo(9), 0x00008049);
    ioapic_set_irq(io, 9, 1);
    ck_assert_int_eq(msgs.count, 3);
    /* switching the entry to edge clears a stuck remote IRR */
    rte_w(9, 0x00000049, 0);
    ck_assert_uint_eq(rte_lo(9), 0x00000049);
    /* NMI entries are edge-sensitive even if programmed level */
    rte_w(10, 0x00008400, 0);
    ioapic_set_irq(io, 10, 1);
    ck_assert_int_eq(msgs.count, 4);
    ck_assert_uint_eq(msgs.dm, 4);
    ck_assert(!msgs.level);
    ck_assert_uint_eq(rte_lo(10) & (1u << 14), 0);
    ioapic_set_irq(io, 10, 1);
    ck_assert_int_eq(msgs.count, 4);
}
END_TEST

START_TEST(polarity_inverts_input)
{
    /* active-low level: idle high, asserted low */
    ioapic_set_irq(io, 11, 1);
    rte_w(11, 0x0000a04b, 0);
    ck_assert_int_eq(msgs.count, 0);
    ioapic_set_irq(io, 11, 0);
    ck_assert_int_eq(msgs.count, 1);
    ioapic_set_irq(io, 11, 1);
    ioapic_eoi(io, 0x4b);
    ck_assert_int_eq(msgs.count, 1);
    ck_assert_uint_eq(rte_lo(11), 0x0000a04b);
    /* active-low edge: the falling edge is the asserting one */
    ioapic_set_irq(io, 12, 1);
    rte_w(12, 0x0000204c, 0);
    ioapic_set_irq(io, 12, 0);
    ck_assert_int_eq(msgs.count, 2);
    ioapic_set_irq(io, 12, 1);
    ck_assert_int_eq(msgs.count, 2);
    /* an inverted line for "1 = asserted" drivers starts idle */
    struct irq_line pci = ioapic_irq_line_active_low(io, 16);
    rte_w(16, 0x0000a050, 0);
    ck_assert_int_eq(msgs.count, 2);
    irq_raise(&pci);
    ck_assert_int_eq(msgs.count, 3);
    ck_assert_uint_eq(msgs.vector, 0x50);
    irq_lower(&pci);
    ioapic_eoi(io, 0x50);
    ck_assert_int_eq(msgs.count, 3);
}
END_TEST

/* The board's wiring: I/O APIC messages into the local APIC and its EOI
 * broadcast back. */
START_TEST(wired_to_local_apic)
{
    ioapic_destroy(io);
    struct lapic_config cfg = { .apic_id = 0 };
    struct lapic *l = lapic_create(&m, &cfg);
    ck_assert_ptr_nonnull(l);
    io = ioapic_create(&m, lapic_deliver_msg, l);
    ck_assert_ptr_nonnull(io);
    lapic_set_eoi_broadcast(l, ioapic_eoi, io);

    uint8_t d[4];
    io_data_put(d, 4, 0x1ff);
    ck_assert(iomap_access(&m.mem.mmio, 0xfee00000ull + LAPIC_REG_SVR, d, 4, true));
    rte_w(20, 0x00008061, 0x00000000); /* level, fixed, physical dest 0 */
    ioapic_set_irq(io, 20, 1);
    ck_assert(lapic_intr_pending(l));
    ck_assert_int_eq(lapic_intr_ack(l), 0x61);
    ck_assert_uint_eq(rte_lo(20), 0x0000c061);
    io_data_put(d, 4, 0);
    ioapic_set_irq(io, 20, 0);
    ck_assert(iomap_access(&m.mem.mmio, 0xfee00000ull + LAPIC_REG_EOI, d, 4, true));
    ck_assert_uint_eq(rte_lo(20), 0x00008061); /* remote IRR cleared by EOI */
    ck_assert(!lapic_intr_pending(l));
    /* a destination that is not this CPU is dropped */
    rte_w(21, 0x00000062, 0x01000000);
    ioapic_set_irq(io, 21, 1);
    ck_assert(!lapic_intr_pending(l));
    lapic_destroy(l);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ioapic");
    TCase *tc = tcase_create("ioapic");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, register_window);
    tcase_add_test(tc, redirection_entries);
    tcase_add_test(tc, edge_once_per_rising_edge);
    tcase_add_test(tc, masked_pins);
    tcase_add_test(tc, level_remote_irr_and_eoi);
    tcase_add_test(tc, polarity_inverts_input);
    tcase_add_test(tc, wired_to_local_apic);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
