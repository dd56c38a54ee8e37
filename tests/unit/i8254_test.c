/* Unit tests for the 8254 PIT and port 0x61, driven through their ports on a
 * manual virtual clock, with IRQ0 edges recorded with their virtual times.
 * The input clock's k-th pulse is taken to fall at k/1193182 s. */
#include <check.h>
#include <stdlib.h>

#include "hw/i8254.h"
#include "hw/machine.h"
#include "test_util.h"

#define MAX_EDGES 25000

static struct machine M;
static struct pit *T;
static uint64_t rises[MAX_EDGES], falls[MAX_EDGES];
static int nrise, nfall, irq_level, redundant_sets;

static void irq0_cb(void *opaque, int pin, int level)
{
    (void)opaque;
    (void)pin;
    uint64_t t = vclock_now(&M.clock);
    if (level == irq_level)
        redundant_sets++;
    else if (level && nrise < MAX_EDGES)
        rises[nrise++] = t;
    else if (!level && nfall < MAX_EDGES)
        falls[nfall++] = t;
    irq_level = level;
}

static void clear_edges(void)
{
    nrise = nfall = 0;
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

static uint64_t now(void)
{
    return vclock_now(&M.clock);
}

static void advance(uint64_t ns)
{
    vclock_advance(&M.clock, ns);
}

/* Time at which k input clocks have gone by. */
static uint64_t tick_ns(uint64_t k)
{
    return (k * NS_PER_SEC + PIT_HZ - 1) / PIT_HZ;
}

static uint64_t now_tick(void)
{
    return (uint64_t)((unsigned __int128)now() * PIT_HZ / NS_PER_SEC);
}

static void advance_to(uint64_t t)
{
    ck_assert_uint_ge(t, now());
    advance(t - now());
}

/* |a - b| <= 1 ns where b = num / PIT_HZ ns exactly. */
static void assert_ns_near(uint64_t a, unsigned __int128 num)
{
    __int128 d = (__int128)a * PIT_HZ - (__int128)num;
    ck_assert_msg(d <= PIT_HZ && d >= -(__int128)PIT_HZ, "%llu ns is not %.3f ns",
                  (unsigned long long)a, (double)num / PIT_HZ);
}

static void program(int counter, uint8_t ctrl, uint16_t count)
{
    outb(0x43, (uint8_t)(counter << 6 | ctrl));
    outb(0x40 + counter, (uint8_t)count);
    outb(0x40 + counter, (uint8_t)(count >> 8));
}

static uint16_t latch_read(int counter)
{
    outb(0x43, (uint8_t)(counter << 6));
    uint8_t lo = inb(0x40 + counter);
    return (uint16_t)(lo | inb(0x40 + counter) << 8);
}

static uint8_t read_status(int counter)
{
    outb(0x43, (uint8_t)(0xe0 | 2 << counter));
    return inb(0x40 + counter);
}

static void setup(void)
{
    machine_init_core(&M, true);
    irq_level = 0;
    redundant_sets = 0;
    T = pit_create(&M, irq_line_make(irq0_cb, NULL, 0));
    ck_assert_ptr_nonnull(T);
    clear_edges();
}

static void teardown(void)
{
    pit_destroy(T);
    machine_destroy_core(&M);
}

START_TEST(mode2_rate_has_no_drift)
{
    const unsigned n = 1193;
    advance(12345); /* off the input clock's grid */
    uint64_t t0 = now();
    program(0, 0x34, n);
    ck_assert_int_eq(irq_level, 1); /* mode 2 starts with OUT high */
    advance(10 * NS_PER_SEC);
    ck_assert_int_ge(nrise, 10000);
    ck_assert_int_eq(nfall, nrise);
    /* The count loads on the first clock after the write, so the first
     * period ends n or n+1 clocks after the write. */
    ck_assert_uint_ge(rises[0] - t0, n * NS_PER_SEC / PIT_HZ);
    ck_assert_uint_le(rises[0] - t0, (n + 1) * NS_PER_SEC / PIT_HZ + 1);
    for (int k = 1; k < nrise; k++) {
        /* Every edge within a nanosecond of its exact place: no drift. */
        assert_ns_near(rises[k] - rises[0], (unsigned __int128)k * n * NS_PER_SEC);
        /* A low pulse of one input clock right before each rising edge. */
        ck_assert_uint_ge(rises[k] - falls[k], 838);
        ck_assert_uint_le(rises[k] - falls[k], 839);
    }
    ck_assert_uint_lt(now() - rises[nrise - 1], tick_ns(n));
    ck_assert_int_eq(redundant_sets, 0);
}
END_TEST

START_TEST(latch_and_readback_follow_time)
{
    /* Written at t=0: loaded on clock 1, so 1193 clocks in at 1 ms it has
     * counted 1192 times. */
    program(0, 0x34, 10000);
    advance(1000000);
    outb(0x43, 0x00);
    advance(100000);
    outb(0x43, 0x00); /* ignored while the first latch is unread */
    uint8_t lo = inb(0x40), hi = inb(0x40);
    ck_assert_uint_eq(lo | hi << 8, 10000 - 1192);
    /* Unlatched reads follow the counter. */
    lo = inb(0x40);
    hi = inb(0x40);
    ck_assert_uint_eq(lo | hi << 8, 10000 - (now_tick() - 1) % 10000);
    uint64_t ta = now_tick();
    uint16_t a = latch_read(0);
    advance(50000);
    uint16_t b = latch_read(0);
    ck_assert_uint_eq((unsigned)(a - b), now_tick() - ta);

    /* Read-back of count and status together: status comes first. */
    outb(0x43, 0xc2);
    advance(300000);
    ck_assert_uint_eq(inb(0x40), 0xb4); /* OUT high, count valid, LSB/MSB, mode 2 */
    lo = inb(0x40);
    hi = inb(0x40);
    uint64_t at = (uint64_t)((unsigned __int128)(now() - 300000) * PIT_HZ / NS_PER_SEC);
    ck_assert_uint_eq(lo | hi << 8, 10000 - (at - 1) % 10000);

    /* Null count: set by the control word, cleared once the count loads. */
    outb(0x43, 0x30);
    ck_assert_uint_eq(read_status(0), 0x70);
    outb(0x40, 100);
    outb(0x40, 0);
    ck_assert_uint_eq(read_status(0), 0x70);
    advance(1000);
    ck_assert_uint_eq(read_status(0), 0x30);
    advance(tick_ns(101));
    ck_assert_uint_eq(read_status(0), 0xb0);

    /* One read-back latching two counters' counts: both hold still. */
    program(1, 0x34, 5000);
    program(2, 0x30, 3000); /* gate low: held at 3000 */
    advance(2000);
    outb(0x43, 0xdc);
    advance(2000000);
    lo = inb(0x41);
    uint16_t c1 = (uint16_t)(lo | inb(0x41) << 8);
    lo = inb(0x42);
    uint16_t c2 = (uint16_t)(lo | inb(0x42) << 8);
    ck_assert_uint_le(c1, 5000);
    ck_assert_uint_ge(c1, 4997);
    ck_assert_uint_eq(c2, 3000);
    ck_assert_uint_lt(latch_read(1), c1 - 2000);
}
END_TEST

START_TEST(mode0_one_shot)
{
    advance(5000);
    ck_assert_int_eq(irq_level, 1); /* power-on mode 3, first half */
    uint64_t t0 = now();
    outb(0x43, 0x30);
    ck_assert_int_eq(irq_level, 0); /* the control word drops OUT */
    outb(0x40, 0xe8);
    outb(0x40, 0x03); /* 1000 */
    advance(2000000);
    ck_assert_int_eq(nrise, 1);
    ck_assert_uint_ge(rises[0] - t0, 1000 * NS_PER_SEC / PIT_HZ);
    ck_assert_uint_le(rises[0] - t0, 1001 * NS_PER_SEC / PIT_HZ + 1);
    /* After the terminal count the counter wraps and keeps counting. */
    uint64_t tc_tick = (uint64_t)((unsigned __int128)rises[0] * PIT_HZ / NS_PER_SEC);
    ck_assert_uint_eq(latch_read(0), 65536 - (now_tick() - tc_tick));
    advance(200000000);
    ck_assert_int_eq(nrise, 1); /* once only */
    ck_assert_int_eq(irq_level, 1);
    /* Writing the first byte of a new count drops OUT and stops counting;
     * the second byte starts it again. */
    clear_edges();
    outb(0x40, 0x10);
    ck_assert_int_eq(irq_level, 0);
    uint16_t held = latch_read(0);
    advance(1000000);
    ck_assert_uint_eq(latch_read(0), held);
    uint64_t t1 = now();
    outb(0x40, 0x00); /* 16 */
    advance(100000);
    ck_assert_int_eq(nrise, 1);
    ck_assert_uint_ge(rises[0] - t1, 16 * NS_PER_SEC / PIT_HZ);
    ck_assert_uint_le(rises[0] - t1, 17 * NS_PER_SEC / PIT_HZ + 1);
    ck_assert_int_eq(redundant_sets, 0);
}
END_TEST

static void check_mode3(unsigned n, const unsigned *values, const int *outs)
{
    uint64_t load = now_tick() + 1;
    program(0, 0x36, (uint16_t)n);
    clear_edges(); /* the control word may have raised OUT */
    for (unsigned e = 0; e < 2 * n; e++) {
        advance_to(tick_ns(load + e) + 300);
        ck_assert_uint_eq(latch_read(0), values[e % n]);
        ck_assert_uint_eq(read_status(0) >> 7, outs[e % n]);
        ck_assert_int_eq(irq_level, outs[e % n]);
    }
    advance(1000000);
    unsigned high = (n + 1) / 2, low = n / 2;
    ck_assert_int_ge(nrise, 100);
    for (int k = 0; k < nrise && k < nfall; k++) {
        /* One rising edge per period, high for the larger half. */
        assert_ns_near(falls[k] - (k ? rises[k - 1] : tick_ns(load)),
                       (unsigned __int128)high * NS_PER_SEC);
        assert_ns_near(rises[k] - falls[k], (unsigned __int128)low * NS_PER_SEC);
        assert_ns_near(rises[k] - tick_ns(load), (unsigned __int128)(k + 1) * n * NS_PER_SEC);
    }
}

START_TEST(mode3_odd_and_even_counts)
{
    /* Odd: count-1 loaded in both halves, decremented by two; OUT high one
     * clock longer than low. */
    static const unsigned odd_v[5] = { 4, 2, 0, 4, 2 };
    static const int odd_o[5] = { 1, 1, 1, 0, 0 };
    advance(3333);
    check_mode3(5, odd_v, odd_o);
    static const unsigned even_v[6] = { 6, 4, 2, 6, 4, 2 };
    static const int even_o[6] = { 1, 1, 1, 0, 0, 0 };
    check_mode3(6, even_v, even_o);
    ck_assert_int_eq(redundant_sets, 0);
}
END_TEST

START_TEST(bcd_counting)
{
    outb(0x43, 0x31); /* counter 0, LSB/MSB, mode 0, BCD */
    outb(0x40, 0x00);
    outb(0x40, 0x01); /* 100 decimal, loaded on clock 1 */
    advance_to(tick_ns(1 + 37) + 300);
    ck_assert_uint_eq(latch_read(0), 0x0063);
    advance_to(tick_ns(1 + 91) + 300);
    ck_assert_uint_eq(latch_read(0), 0x0009);
    advance_to(tick_ns(1 + 101) + 300);
    ck_assert_int_eq(nrise, 1);
    ck_assert_uint_eq(rises[0], tick_ns(101));
    ck_assert_uint_eq(latch_read(0), 0x9999); /* wraps in decimal */
    ck_assert_uint_eq(read_status(0) & 0x3f, 0x31);

    /* BCD count 0 is 10000 in mode 2. */
    clear_edges();
    program(0, 0x35, 0x0000);
    advance(100000000);
    ck_assert_int_ge(nrise, 10);
    for (int k = 1; k < nrise; k++)
        assert_ns_near(rises[k] - rises[k - 1], (unsigned __int128)10000 * NS_PER_SEC);
    assert_ns_near(rises[nrise - 1] - rises[0], (unsigned __int128)(nrise - 1) * 10000 * NS_PER_SEC);
    /* A BCD count written as 0x1234 counts 1234 clocks. */
    clear_edges();
    uint64_t t0 = now();
    program(0, 0x31, 0x1234);
    advance(2000000);
    ck_assert_int_eq(nrise, 1);
    ck_assert_uint_ge(rises[0] - t0, 1234 * NS_PER_SEC / PIT_HZ);
    ck_assert_uint_le(rises[0] - t0, 1235 * NS_PER_SEC / PIT_HZ + 1);
}
END_TEST

START_TEST(port61_calibration_loop)
{
    /* Linux's PIT TSC calibration: gate high, speaker off, counter 2 in
     * mode 0 with 10 ms worth of clocks, spin until OUT2 goes high. */
    const unsigned latch = PIT_HZ / 100;
    advance(777);
    outb(0x61, (uint8_t)((inb(0x61) & ~0x02) | 0x01));
    outb(0x43, 0xb0);
    outb(0x42, (uint8_t)latch);
    outb(0x42, (uint8_t)(latch >> 8));
    uint64_t t0 = now();
    ck_assert_uint_eq(inb(0x61) & 0x20, 0);
    int spins = 0;
    while (!(inb(0x61) & 0x20) && spins < 100000) {
        advance(1000);
        spins++;
    }
    uint64_t elapsed = now() - t0;
    ck_assert_uint_ge(elapsed, (uint64_t)latch * NS_PER_SEC / PIT_HZ);
    ck_assert_uint_le(elapsed, (uint64_t)(latch + 1) * NS_PER_SEC / PIT_HZ + 1000);
    ck_assert_int_eq(nrise, 0); /* counter 2 is not on IRQ0 */
    advance(50000000);
    ck_assert_uint_eq(inb(0x61) & 0x20, 0x20);
    ck_assert(pit_get_out(T, 2));
    ck_assert(!pit_speaker_enabled(T));

    /* Gate low while the count is written: loaded but held until the gate
     * rises, then OUT2 goes high count clocks later. */
    outb(0x61, 0x00);
    program(2, 0x30, 1000);
    advance(5000000);
    ck_assert_uint_eq(inb(0x61) & 0x20, 0);
    ck_assert_uint_eq(latch_read(2), 1000);
    outb(0x61, 0x03);
    ck_assert(pit_speaker_enabled(T));
    uint64_t t1 = now();
    spins = 0;
    while (!(inb(0x61) & 0x20) && spins < 100000) {
        advance(100);
        spins++;
    }
    /* Counting starts with the first clock after the gate rises. */
    ck_assert_uint_ge(now() - t1, 999 * NS_PER_SEC / PIT_HZ);
    ck_assert_uint_le(now() - t1, 1000 * NS_PER_SEC / PIT_HZ + 100);
    /* Gate low pauses mode 0 counting. */
    program(2, 0x30, 2000);
    advance(500000);
    outb(0x61, 0x02);
    uint16_t held = latch_read(2);
    advance(3000000);
    ck_assert_uint_eq(latch_read(2), held);
    ck_assert_uint_eq(inb(0x61) & 0x20, 0);
    ck_assert_uint_eq(inb(0x61) & 0xcf, 0x02);
}
END_TEST

START_TEST(port61_refresh_toggles)
{
    int toggles = 0;
    uint8_t last = inb(0x61) & 0x10;
    for (int i = 0; i < 1000; i++) {
        advance(1000);
        uint8_t v = inb(0x61);
        if ((v & 0x10) != last)
            toggles++;
        last = v & 0x10;
    }
    /* Once per ~15.09 us: 66 in a millisecond. */
    ck_assert_int_ge(toggles, 65);
    ck_assert_int_le(toggles, 67);
    outb(0x61, 0xff);
    ck_assert_uint_eq(inb(0x61) & 0xcf, 0x0f); /* bits 6-7 never set */
}
END_TEST

START_TEST(gate_behaviour_per_mode)
{
    /* Mode 2 on counter 2: OUT2 low for exactly one clock per period. */
    outb(0x61, 0x01);
    uint64_t load = now_tick() + 1;
    program(2, 0x34, 100);
    for (unsigned e = 95; e < 205; e++) {
        advance_to(tick_ns(load + e) + 400);
        int expect_low = (e % 100) == 99;
        ck_assert_uint_eq(inb(0x61) & 0x20, expect_low ? 0 : 0x20);
    }
    /* Gate low: OUT2 high at once and counting stops; gate high reloads. */
    advance_to(tick_ns(load + 299) + 400);
    ck_assert_uint_eq(inb(0x61) & 0x20, 0);
    outb(0x61, 0x00);
    ck_assert_uint_eq(inb(0x61) & 0x20, 0x20);
    uint16_t held = latch_read(2);
    advance(1000000);
    ck_assert_uint_eq(latch_read(2), held);
    uint64_t reload = now_tick() + 1;
    outb(0x61, 0x01);
    advance_to(tick_ns(reload + 10) + 400);
    ck_assert_uint_eq(latch_read(2), 90);

    /* Mode 1: a gate edge triggers a one-shot low pulse of count clocks;
     * retriggering restarts it. */
    outb(0x61, 0x00);
    program(2, 0x32, 50);
    advance(100000);
    ck_assert_uint_eq(inb(0x61) & 0x20, 0x20); /* waiting for a trigger */
    ck_assert_uint_eq(read_status(2) & 0x40, 0x40); /* not loaded yet */
    uint64_t trig = now_tick() + 1;
    outb(0x61, 0x01);
    advance_to(tick_ns(trig) + 400);
    ck_assert_uint_eq(inb(0x61) & 0x20, 0);
    ck_assert_uint_eq(read_status(2) & 0x40, 0);
    advance_to(tick_ns(trig + 30) + 400);
    outb(0x61, 0x00);
    uint64_t retrig = now_tick() + 1;
    outb(0x61, 0x01);
    advance_to(tick_ns(trig + 55) + 400);
    ck_assert_uint_eq(inb(0x61) & 0x20, 0); /* the retrigger extended it */
    advance_to(tick_ns(retrig + 49) + 400);
    ck_assert_uint_eq(inb(0x61) & 0x20, 0);
    advance_to(tick_ns(retrig + 50) + 400);
    ck_assert_uint_eq(inb(0x61) & 0x20, 0x20);

    /* Mode 5: a gate edge triggers a one-clock low strobe count+1 clocks
     * later. */
    outb(0x61, 0x00);
    program(2, 0x3a, 20);
    trig = now_tick() + 1;
    outb(0x61, 0x01);
    for (unsigned e = 0; e < 40; e++) {
        advance_to(tick_ns(trig + e) + 400);
        ck_assert_uint_eq(inb(0x61) & 0x20, e == 20 ? 0 : 0x20);
    }

    /* Mode 4 on counter 0 (gate tied high): one strobe on IRQ0. */
    uint64_t t0 = now();
    program(0, 0x38, 300);
    clear_edges();
    advance(5000000);
    ck_assert_int_eq(nfall, 1);
    ck_assert_int_eq(nrise, 1);
    ck_assert_uint_ge(falls[0] - t0, 300 * NS_PER_SEC / PIT_HZ);
    ck_assert_uint_le(falls[0] - t0, 301 * NS_PER_SEC / PIT_HZ + 1);
    ck_assert_uint_ge(rises[0] - falls[0], 838);
    ck_assert_uint_le(rises[0] - falls[0], 839);
}
END_TEST

START_TEST(new_count_waits_for_period_end)
{
    /* Mode 2: a count written mid-period applies from the next period. */
    program(0, 0x34, 1000); /* loaded on clock 1: rising edges at 1001, 2001 */
    advance_to(tick_ns(1500) + 100);
    outb(0x40, 0xf4);
    outb(0x40, 0x01); /* 500 */
    ck_assert_uint_eq(read_status(0) & 0x40, 0x40);
    advance_to(tick_ns(3200));
    ck_assert_uint_eq(read_status(0) & 0x40, 0);
    ck_assert_int_eq(nrise, 4);
    ck_assert_uint_eq(rises[0], tick_ns(1001));
    ck_assert_uint_eq(rises[1], tick_ns(2001));
    ck_assert_uint_eq(rises[2], tick_ns(2501));
    ck_assert_uint_eq(rises[3], tick_ns(3001));

    /* Mode 3: it applies at the end of the current half-cycle. Count 1000
     * from clock 3501: high to 4001; 200 written at 3601 starts at 4001 with
     * its low half (100 clocks), then square waves of 200. */
    advance_to(tick_ns(3500) + 100);
    program(0, 0x36, 1000);
    clear_edges(); /* the control word ended mode 2's low pulse early */
    advance_to(tick_ns(3601) + 100);
    outb(0x40, 200);
    outb(0x40, 0);
    advance_to(tick_ns(4500));
    ck_assert_int_ge(nfall, 3);
    ck_assert_uint_eq(falls[0], tick_ns(4001));
    ck_assert_uint_eq(rises[0], tick_ns(4101));
    ck_assert_uint_eq(falls[1], tick_ns(4201));
    ck_assert_uint_eq(rises[1], tick_ns(4301));
}
END_TEST

START_TEST(late_timer_still_delivers_an_edge)
{
    /* On the host clock the vCPU may touch the PIT after a deadline the
     * main loop has not serviced yet. Model that by moving the manual clock
     * without running timers: the access catches up, and an edge-triggered
     * PIC still sees one rising edge for the periods that went by. */
    program(0, 0x34, 100); /* loaded on clock 1: low at 100, 200, ... */
    clear_edges();
    M.clock.manual_now = tick_ns(550) + 100;
    (void)inb(0x40);
    ck_assert_int_eq(nrise, 1);
    ck_assert_int_eq(nfall, 1);
    ck_assert_int_eq(irq_level, 1);
    /* Landing inside a low pulse: the pulse seen plus the one in progress. */
    M.clock.manual_now = tick_ns(700) + 100;
    (void)inb(0x40);
    ck_assert_int_eq(nrise, 2);
    ck_assert_int_eq(irq_level, 0);
    /* Then back on schedule. */
    advance_to(tick_ns(1000) + 100);
    ck_assert_int_eq(nrise, 5);
    ck_assert_uint_eq(rises[2], tick_ns(701));
    ck_assert_uint_eq(rises[4], tick_ns(901));
    ck_assert_int_eq(redundant_sets, 0);
}
END_TEST

START_TEST(reset_restores_power_on_state)
{
    program(0, 0x30, 5);
    outb(0x61, 0x03);
    advance(1000000);
    machine_reset(&M);
    ck_assert_uint_eq(inb(0x61) & 0x0f, 0);
    ck_assert_uint_eq(read_status(0) & 0x3f, 0x36);
    /* Counter 0 runs the 18.2 Hz square wave again. */
    clear_edges();
    advance(NS_PER_SEC);
    ck_assert_int_eq(nrise, 18);
    assert_ns_near(rises[17] - rises[0], (unsigned __int128)17 * 65536 * NS_PER_SEC);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("i8254");
    TCase *tc = tcase_create("i8254");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, mode2_rate_has_no_drift);
    tcase_add_test(tc, latch_and_readback_follow_time);
    tcase_add_test(tc, mode0_one_shot);
    tcase_add_test(tc, mode3_odd_and_even_counts);
    tcase_add_test(tc, bcd_counting);
    tcase_add_test(tc, port61_calibration_loop);
    tcase_add_test(tc, port61_refresh_toggles);
    tcase_add_test(tc, gate_behaviour_per_mode);
    tcase_add_test(tc, new_count_waits_for_period_end);
    tcase_add_test(tc, late_timer_still_delivers_an_edge);
    tcase_add_test(tc, reset_restores_power_on_state);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
