/* Unit tests for the MC146818 RTC/CMOS: calendar reads in BCD and binary,
 * SET and divider control, periodic/alarm/update interrupts on the virtual
 * clock, UIP timing, NMI mask, CMOS RAM and the memory-size bytes. */
#include <check.h>
#include <stdlib.h>

#include "hw/irq.h"
#include "hw/machine.h"
#include "hw/mc146818.h"
#include "hw/vclock.h"
#include "softmmu/iomap.h"
#include "test_util.h"

#define MS 1000000ull
#define US 1000ull

/* 2024-02-28 13:45:30 UTC, a Wednesday. */
#define T_FEB28 1709127930ll

static struct machine m;
static struct rtc *rtc;
static int irq_level, irq_edges;

static void irq_cb(void *opaque, int pin, int level)
{
    (void)opaque;
    ck_assert_int_eq(pin, 8);
    if (level && !irq_level)
        irq_edges++;
    irq_level = level;
}

static void setup(void)
{
    machine_init_core(&m, true);
    irq_level = irq_edges = 0;
    rtc = rtc_create(&m, irq_line_make(irq_cb, NULL, 8));
    ck_assert_ptr_nonnull(rtc);
    rtc_set_time(rtc, T_FEB28);
}

static void teardown(void)
{
    rtc_destroy(rtc);
    machine_destroy_core(&m);
}

static uint8_t cmos_read(uint8_t index)
{
    uint8_t d = index;
    iomap_access(&m.io, 0x70, &d, 1, true);
    iomap_access(&m.io, 0x71, &d, 1, false);
    return d;
}

static void cmos_write(uint8_t index, uint8_t value)
{
    uint8_t d = index;
    iomap_access(&m.io, 0x70, &d, 1, true);
    d = value;
    iomap_access(&m.io, 0x71, &d, 1, true);
}

static void advance(uint64_t ns)
{
    vclock_advance(&m.clock, ns);
}

static void expect_date(uint8_t year, uint8_t month, uint8_t mday, uint8_t wday)
{
    ck_assert_uint_eq(cmos_read(0x09), year);
    ck_assert_uint_eq(cmos_read(0x08), month);
    ck_assert_uint_eq(cmos_read(0x07), mday);
    ck_assert_uint_eq(cmos_read(0x06), wday);
}

static void expect_time(uint8_t hour, uint8_t min, uint8_t sec)
{
    ck_assert_uint_eq(cmos_read(0x04), hour);
    ck_assert_uint_eq(cmos_read(0x02), min);
    ck_assert_uint_eq(cmos_read(0x00), sec);
}

START_TEST(reads_bcd_and_binary_time)
{
    ck_assert_uint_eq(cmos_read(0x0a), 0x26);
    ck_assert_uint_eq(cmos_read(0x0b), 0x02);
    ck_assert_uint_eq(cmos_read(0x0d), 0x80);
    expect_time(0x13, 0x45, 0x30);
    expect_date(0x24, 0x02, 0x28, 4);
    ck_assert_uint_eq(cmos_read(0x32), 0x20);

    cmos_write(0x0b, 0x06); /* binary, 24 h */
    expect_time(13, 45, 30);
    expect_date(24, 2, 28, 4);
    ck_assert_uint_eq(cmos_read(0x32), 20);

    cmos_write(0x0b, 0x04); /* binary, 12 h: 1 PM */
    ck_assert_uint_eq(cmos_read(0x04), 0x81);
    cmos_write(0x0b, 0x00); /* BCD, 12 h */
    ck_assert_uint_eq(cmos_read(0x04), 0x81);
    cmos_write(0x0b, 0x02);
    ck_assert_uint_eq(rtc_get_time(rtc), T_FEB28);
}
END_TEST

START_TEST(time_advances_with_virtual_clock_across_month_end)
{
    /* Nothing enabled: no timer may be armed, time is computed on read. */
    ck_assert_uint_eq(vclock_next_deadline(&m.clock), VCLOCK_NEVER);
    advance(10 * 3600 * NS_PER_SEC + 15 * 60 * NS_PER_SEC); /* 2024-02-29 00:00:30 */
    expect_time(0x00, 0x00, 0x30);
    expect_date(0x24, 0x02, 0x29, 5);
    advance(24 * 3600 * NS_PER_SEC - 31 * NS_PER_SEC);
    expect_time(0x23, 0x59, 0x59);
    expect_date(0x24, 0x02, 0x29, 5);
    advance(NS_PER_SEC);
    expect_time(0x00, 0x00, 0x00);
    expect_date(0x24, 0x03, 0x01, 6);
    advance(3 * 24 * 3600 * NS_PER_SEC + 7 * 3600 * NS_PER_SEC);
    expect_time(0x07, 0x00, 0x00);
    expect_date(0x24, 0x03, 0x04, 2);
    ck_assert_uint_eq(vclock_next_deadline(&m.clock), VCLOCK_NEVER);

    /* Year and century roll over: 2099-12-31 23:59:59, a Thursday. */
    rtc_set_time(rtc, 4102444799ll);
    expect_date(0x99, 0x12, 0x31, 5);
    ck_assert_uint_eq(cmos_read(0x32), 0x20);
    advance(999 * MS);
    ck_assert_uint_eq(cmos_read(0x00), 0x59);
    advance(1 * MS);
    expect_time(0x00, 0x00, 0x00);
    expect_date(0x00, 0x01, 0x01, 6);
    ck_assert_uint_eq(cmos_read(0x32), 0x21);
}
END_TEST

START_TEST(set_bit_freezes_and_written_time_continues)
{
    cmos_write(0x0b, 0x12); /* UIE */
    cmos_write(0x0b, 0x92); /* SET clears UIE */
    ck_assert_uint_eq(cmos_read(0x0b), 0x82);
    advance(5 * NS_PER_SEC);
    expect_time(0x13, 0x45, 0x30);
    ck_assert_uint_eq(cmos_read(0x0a) & 0x80, 0);

    cmos_write(0x00, 0x00);
    cmos_write(0x02, 0x00);
    cmos_write(0x04, 0x08);
    cmos_write(0x07, 0x15);
    cmos_write(0x08, 0x06);
    cmos_write(0x09, 0x25);
    advance(3 * NS_PER_SEC + 500 * MS);
    expect_time(0x08, 0x00, 0x00);
    cmos_write(0x0b, 0x02);
    ck_assert_int_eq(rtc_get_time(rtc), 1749974400ll); /* 2025-06-15 08:00:00 */
    expect_time(0x08, 0x00, 0x00);
    expect_date(0x25, 0x06, 0x15, 1);
    /* The divider kept its phase: the next update is where it was due. */
    advance(499 * MS);
    expect_time(0x08, 0x00, 0x00);
    advance(1 * MS);
    expect_time(0x08, 0x00, 0x01);
    advance(59 * NS_PER_SEC);
    expect_time(0x08, 0x01, 0x00);

    /* Without SET a write takes effect and counting goes on from it. */
    cmos_write(0x02, 0x30);
    expect_time(0x08, 0x30, 0x00);
    advance(NS_PER_SEC);
    expect_time(0x08, 0x30, 0x01);
}
END_TEST

START_TEST(divider_reset_stops_time_and_restarts_half_second_later)
{
    cmos_write(0x0a, 0x76);
    advance(10 * NS_PER_SEC);
    expect_time(0x13, 0x45, 0x30);
    ck_assert_uint_eq(cmos_read(0x0a), 0x76);
    cmos_write(0x0a, 0x26);
    advance(499 * MS);
    ck_assert_uint_eq(cmos_read(0x00), 0x30);
    advance(1 * MS);
    ck_assert_uint_eq(cmos_read(0x00), 0x31);
}
END_TEST

START_TEST(periodic_interrupt_1024hz_counts_edges)
{
    cmos_write(0x0a, 0x26);
    cmos_write(0x0b, 0x42); /* PIE */
    ck_assert_uint_ne(vclock_next_deadline(&m.clock), VCLOCK_NEVER);
    /* The first tick is 32 cycles of 32.768 kHz in: 976562.5 ns. */
    advance(976562);
    ck_assert_int_eq(irq_level, 0);
    advance(1);
    ck_assert_int_eq(irq_level, 1);
    ck_assert_uint_eq(cmos_read(0x0c) & 0xc0, 0xc0);
    ck_assert_int_eq(irq_level, 0);
    ck_assert_uint_eq(cmos_read(0x0c) & 0xc0, 0x00);

    int served = 1;
    uint64_t elapsed = 976563;
    while (elapsed < NS_PER_SEC) {
        uint64_t step = 50 * US;
        if (elapsed + step > NS_PER_SEC)
            step = NS_PER_SEC - elapsed;
        advance(step);
        elapsed += step;
        if (irq_level) {
            uint8_t c = cmos_read(0x0c);
            ck_assert_uint_eq(c & 0xc0, 0xc0);
            ck_assert_int_eq(irq_level, 0);
            served++;
        }
    }
    ck_assert_int_eq(irq_edges, 1024);
    ck_assert_int_eq(served, 1024);

    /* Unacknowledged, the line stays high with no further edges. */
    advance(10 * MS);
    ck_assert_int_eq(irq_level, 1);
    ck_assert_int_eq(irq_edges, 1025);

    cmos_write(0x0b, 0x02);
    ck_assert_int_eq(irq_level, 0); /* IRQF follows PF AND PIE */
    ck_assert_uint_eq(vclock_next_deadline(&m.clock), VCLOCK_NEVER);
    /* Flags still latch with the interrupt disabled, without IRQF. */
    advance(2 * MS);
    uint8_t c = cmos_read(0x0c);
    ck_assert_uint_eq(c & 0xc0, 0x40);
    ck_assert_int_eq(irq_edges, 1025);
}
END_TEST

START_TEST(periodic_rate_follows_register_a)
{
    cmos_write(0x0a, 0x2f); /* rate 15: 2 Hz */
    cmos_write(0x0b, 0x42);
    advance(499 * MS);
    ck_assert_int_eq(irq_level, 0);
    advance(1 * MS);
    ck_assert_int_eq(irq_level, 1);
    cmos_read(0x0c);
    cmos_write(0x0a, 0x21); /* rate 1 is 256 Hz with this crystal */
    advance(3906250 - 1);
    ck_assert_int_eq(irq_level, 0);
    advance(1);
    ck_assert_int_eq(irq_level, 1);
    cmos_read(0x0c);
    cmos_write(0x0a, 0x20); /* rate 0: no ticks */
    ck_assert_uint_eq(vclock_next_deadline(&m.clock), VCLOCK_NEVER);
    advance(NS_PER_SEC);
    ck_assert_int_eq(irq_level, 0);
}
END_TEST

START_TEST(alarm_fires_at_the_right_second)
{
    cmos_write(0x01, 0x40);
    cmos_write(0x03, 0x45);
    cmos_write(0x05, 0x13);
    cmos_write(0x0b, 0x22); /* AIE */
    advance(9 * NS_PER_SEC + 999 * MS);
    ck_assert_int_eq(irq_level, 0);
    advance(1 * MS);
    ck_assert_int_eq(irq_level, 1);
    ck_assert_uint_eq(cmos_read(0x00), 0x40);
    uint8_t c = cmos_read(0x0c);
    ck_assert_uint_eq(c & 0xa0, 0xa0);
    ck_assert_int_eq(irq_level, 0);

    /* Don't-care hour and minute: every minute at second 0. */
    cmos_write(0x01, 0x00);
    cmos_write(0x03, 0xc0);
    cmos_write(0x05, 0xff);
    advance(20 * NS_PER_SEC - 1);
    ck_assert_int_eq(irq_level, 0);
    advance(1);
    ck_assert_int_eq(irq_level, 1);
    expect_time(0x13, 0x46, 0x00);
    cmos_read(0x0c);
    advance(60 * NS_PER_SEC - 1);
    ck_assert_int_eq(irq_level, 0);
    advance(1);
    ck_assert_int_eq(irq_level, 1);
    expect_time(0x13, 0x47, 0x00);
    ck_assert_int_eq(irq_edges, 3);

    /* Binary 12-hour mode compares bytes in that format: 2 PM = 0x82. */
    cmos_read(0x0c);
    cmos_write(0x0b, 0x24);
    cmos_write(0x01, 0);
    cmos_write(0x03, 0);
    cmos_write(0x05, 0x82);
    advance(13 * 60 * NS_PER_SEC - 1);
    ck_assert_int_eq(irq_level, 0);
    advance(1);
    ck_assert_int_eq(irq_level, 1);
    ck_assert_uint_eq(cmos_read(0x04), 0x82);
}
END_TEST

START_TEST(alarm_flag_latches_without_interrupt)
{
    cmos_write(0x01, 0x35);
    cmos_write(0x03, 0x45);
    cmos_write(0x05, 0x13);
    ck_assert_uint_eq(vclock_next_deadline(&m.clock), VCLOCK_NEVER);
    advance(4 * NS_PER_SEC);
    ck_assert_uint_eq(cmos_read(0x0c) & 0x20, 0);
    advance(1 * NS_PER_SEC);
    /* AF, UF and PF (rate 6 still ticks) latch; IRQF stays clear. */
    ck_assert_uint_eq(cmos_read(0x0c), 0x70);
    ck_assert_uint_eq(cmos_read(0x0c), 0x00);
    ck_assert_int_eq(irq_edges, 0);
    /* Enabling AIE with AF pending asserts the line at once. */
    advance(24 * 3600 * NS_PER_SEC);
    cmos_write(0x0b, 0x22);
    ck_assert_int_eq(irq_level, 1);
}
END_TEST

START_TEST(update_ended_interrupt_and_uip_window)
{
    /* set_time put the next update exactly 1 s ahead. */
    advance(NS_PER_SEC - 300 * US);
    ck_assert_uint_eq(cmos_read(0x0a), 0x26);
    advance(100 * US); /* 200 us before the update */
    ck_assert_uint_eq(cmos_read(0x0a), 0xa6);
    ck_assert_uint_eq(cmos_read(0x00), 0x30);
    advance(200 * US);
    ck_assert_uint_eq(cmos_read(0x0a), 0x26);
    ck_assert_uint_eq(cmos_read(0x00), 0x31);
    /* SET hides UIP. */
    advance(NS_PER_SEC - 100 * US);
    ck_assert_uint_eq(cmos_read(0x0a) & 0x80, 0x80);
    cmos_write(0x0b, 0x82);
    ck_assert_uint_eq(cmos_read(0x0a) & 0x80, 0);
    cmos_write(0x0b, 0x02);
    ck_assert_uint_eq(cmos_read(0x00), 0x31);
    advance(100 * US);
    ck_assert_uint_eq(cmos_read(0x00), 0x32);

    cmos_read(0x0c);
    cmos_write(0x0b, 0x12); /* UIE */
    for (int i = 0; i < 3; i++) {
        advance(NS_PER_SEC - 1);
        ck_assert_int_eq(irq_level, 0);
        advance(1);
        ck_assert_int_eq(irq_level, 1);
        ck_assert_uint_eq(cmos_read(0x0c) & 0x90, 0x90);
    }
    ck_assert_int_eq(irq_edges, 3);
    ck_assert_uint_eq(cmos_read(0x00), 0x35);
}
END_TEST

START_TEST(daylight_saving_follows_the_chip_rule)
{
    cmos_write(0x0b, 0x03);
    rtc_set_time(rtc, 1714269599ll); /* Sunday 2024-04-28 01:59:59 */
    expect_time(0x01, 0x59, 0x59);
    advance(NS_PER_SEC);
    expect_time(0x03, 0x00, 0x00);

    rtc_set_time(rtc, 1729994399ll); /* Sunday 2024-10-27 01:59:59 */
    advance(NS_PER_SEC);
    expect_time(0x01, 0x00, 0x00);
    advance(3600 * NS_PER_SEC);
    expect_time(0x02, 0x00, 0x00);
}
END_TEST

START_TEST(index_port_masks_nmi)
{
    ck_assert(!rtc_nmi_masked(rtc));
    ck_assert_uint_eq(cmos_read(0x8d), 0x80); /* index 0x0d with NMI masked */
    ck_assert(rtc_nmi_masked(rtc));
    cmos_write(0x0d, 0x00); /* register D is read-only */
    ck_assert(!rtc_nmi_masked(rtc));
    ck_assert_uint_eq(cmos_read(0x0d), 0x80);
}
END_TEST

START_TEST(cmos_ram_survives_reset_interrupt_state_does_not)
{
    cmos_write(0x40, 0x5a);
    ck_assert_uint_eq(cmos_read(0x40), 0x5a);
    ck_assert_uint_eq(rtc_get_cmos(rtc, 0x40), 0x5a);
    rtc_set_cmos(rtc, 0x7f, 0xa5);
    ck_assert_uint_eq(cmos_read(0x7f), 0xa5);
    ck_assert_uint_eq(cmos_read(0xff), 0xa5); /* bit 7 is the NMI mask */

    cmos_write(0x0b, 0x7a); /* PIE AIE UIE SQWE + 24h */
    advance(2 * MS);
    ck_assert_int_eq(irq_level, 1);
    machine_reset(&m);
    ck_assert_int_eq(irq_level, 0);
    ck_assert_uint_eq(cmos_read(0x0b), 0x02);
    ck_assert_uint_eq(cmos_read(0x0c), 0x00);
    ck_assert_uint_eq(cmos_read(0x40), 0x5a);
    ck_assert_uint_eq(cmos_read(0x7f), 0xa5);
    ck_assert_uint_eq(cmos_read(0x0a), 0x26);
    ck_assert_uint_eq(vclock_next_deadline(&m.clock), VCLOCK_NEVER);
    ck_assert_uint_eq(cmos_read(0x04), 0x13);
}
END_TEST

/* What SeaBIOS computes from the bytes. */
static uint64_t seabios_ram_below_4g(void)
{
    uint64_t rs = ((uint64_t)cmos_read(0x34) << 16) | ((uint64_t)cmos_read(0x35) << 24);
    if (rs)
        return rs + 16 * 1024 * 1024;
    return (((uint64_t)cmos_read(0x30) << 10) | ((uint64_t)cmos_read(0x31) << 18)) + 1024 * 1024;
}

static uint64_t seabios_ram_above_4g(void)
{
    return ((uint64_t)cmos_read(0x5b) << 16) | ((uint64_t)cmos_read(0x5c) << 24) |
           ((uint64_t)cmos_read(0x5d) << 32);
}

START_TEST(memory_size_bytes)
{
    const uint64_t mib = 1024 * 1024;
    rtc_set_memory_size(rtc, 128 * mib, 0);
    ck_assert_uint_eq(cmos_read(0x15), 0x80); /* 640 KiB */
    ck_assert_uint_eq(cmos_read(0x16), 0x02);
    ck_assert_uint_eq(cmos_read(0x17), 0xff); /* 127 MiB capped at 65535 KiB */
    ck_assert_uint_eq(cmos_read(0x18), 0xff);
    ck_assert_uint_eq(cmos_read(0x30), 0xff);
    ck_assert_uint_eq(cmos_read(0x31), 0xff);
    ck_assert_uint_eq(cmos_read(0x34), 0x00); /* 112 MiB / 64 KiB = 0x0700 */
    ck_assert_uint_eq(cmos_read(0x35), 0x07);
    ck_assert_uint_eq(cmos_read(0x5b), 0);
    ck_assert_uint_eq(cmos_read(0x5c), 0);
    ck_assert_uint_eq(cmos_read(0x5d), 0);
    ck_assert_uint_eq(seabios_ram_below_4g(), 128 * mib);
    ck_assert_uint_eq(seabios_ram_above_4g(), 0);

    rtc_set_memory_size(rtc, 3584 * mib, 2048 * mib);
    ck_assert_uint_eq(cmos_read(0x34), 0x00); /* 3568 MiB / 64 KiB = 0xdf00 */
    ck_assert_uint_eq(cmos_read(0x35), 0xdf);
    ck_assert_uint_eq(cmos_read(0x5b), 0x00); /* 2 GiB / 64 KiB = 0x008000 */
    ck_assert_uint_eq(cmos_read(0x5c), 0x80);
    ck_assert_uint_eq(cmos_read(0x5d), 0x00);
    ck_assert_uint_eq(seabios_ram_below_4g(), 3584 * mib);
    ck_assert_uint_eq(seabios_ram_above_4g(), 2048 * mib);

    /* Under 16 MiB the 0x30/0x31 pair carries the size. */
    rtc_set_memory_size(rtc, 8 * mib, 0);
    ck_assert_uint_eq(cmos_read(0x34), 0);
    ck_assert_uint_eq(cmos_read(0x35), 0);
    ck_assert_uint_eq(cmos_read(0x30), 0x00); /* 7168 KiB = 0x1c00 */
    ck_assert_uint_eq(cmos_read(0x31), 0x1c);
    ck_assert_uint_eq(seabios_ram_below_4g(), 8 * mib);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("mc146818");
    TCase *tc = tcase_create("rtc");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, reads_bcd_and_binary_time);
    tcase_add_test(tc, time_advances_with_virtual_clock_across_month_end);
    tcase_add_test(tc, set_bit_freezes_and_written_time_continues);
    tcase_add_test(tc, divider_reset_stops_time_and_restarts_half_second_later);
    tcase_add_test(tc, periodic_interrupt_1024hz_counts_edges);
    tcase_add_test(tc, periodic_rate_follows_register_a);
    tcase_add_test(tc, alarm_fires_at_the_right_second);
    tcase_add_test(tc, alarm_flag_latches_without_interrupt);
    tcase_add_test(tc, update_ended_interrupt_and_uip_window);
    tcase_add_test(tc, daylight_saving_follows_the_chip_rule);
    tcase_add_test(tc, index_port_masks_nmi);
    tcase_add_test(tc, cmos_ram_survives_reset_interrupt_state_does_not);
    tcase_add_test(tc, memory_size_bytes);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
