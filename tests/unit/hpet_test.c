/* Unit tests for the HPET through its MMIO block on the manual virtual
 * clock: capabilities and reset values, the main counter's rate and halt,
 * one-shot and periodic matches at exact virtual times, 32-bit mode, level
 * status, legacy replacement, routing and malformed accesses. */
#include <check.h>
#include <stdlib.h>

#include "hw/hpet.h"
#include "hw/machine.h"
#include "softmmu/iomap.h"
#include "test_util.h"

#define BASE HPET_DEFAULT_BASE
#define T(n, reg) (HPET_REG_TIMER(n) + (reg))
#define ROUTE_CAP 0x00f00000u /* inputs 20..23 */
#define CAPS_LOW (HPET_TN_PER_CAP | HPET_TN_SIZE_CAP)
#define MAX_EDGES 16

/* What one output line did: its level, and when it rose. */
struct probe {
    int level;
    int rises;
    int changes;
    uint64_t rise_ns[MAX_EDGES];
};

static struct machine m;
static struct hpet *h;
static struct probe irq0, irq8, pins[HPET_ROUTE_PINS];
static struct irq_line pit_in, rtc_in;

static void probe_set(void *opaque, int pin, int level)
{
    struct probe *p = opaque;
    (void)pin;
    if (level && !p->level) {
        if (p->rises < MAX_EDGES)
            p->rise_ns[p->rises] = vclock_now(&m.clock);
        p->rises++;
    }
    if (!!level != p->level)
        p->changes++;
    p->level = !!level;
}

static void setup(void)
{
    machine_init_core(&m, true);
    irq0 = irq8 = (struct probe){ 0 };
    for (int i = 0; i < HPET_ROUTE_PINS; i++)
        pins[i] = (struct probe){ 0 };
    struct hpet_config cfg = {
        .irq0 = irq_line_make(probe_set, &irq0, 0),
        .irq8 = irq_line_make(probe_set, &irq8, 8),
        .route_cap = ROUTE_CAP,
    };
    for (int i = 20; i < 24; i++)
        cfg.route[i] = irq_line_make(probe_set, &pins[i], i);
    /* Wired but outside the capability: must never be driven. */
    cfg.route[0] = irq_line_make(probe_set, &pins[0], 0);
    h = hpet_create(&m, &cfg);
    ck_assert_ptr_nonnull(h);
    pit_in = hpet_legacy_input(h, 0);
    rtc_in = hpet_legacy_input(h, 8);
}

static void teardown(void)
{
    hpet_destroy(h);
    machine_destroy_core(&m);
}

static uint64_t rd(uint64_t off, unsigned len)
{
    uint8_t d[8];
    ck_assert(iomap_access(&m.mem.mmio, BASE + off, d, len, false));
    return io_data_get(d, len);
}

static void wr(uint64_t off, unsigned len, uint64_t v)
{
    uint8_t d[8];
    io_data_put(d, len, v);
    ck_assert(iomap_access(&m.mem.mmio, BASE + off, d, len, true));
}

static uint64_t rd64(uint64_t off) { return rd(off, 8); }
static uint32_t rd32(uint64_t off) { return (uint32_t)rd(off, 4); }
static void wr64(uint64_t off, uint64_t v) { wr(off, 8, v); }
static void wr32(uint64_t off, uint32_t v) { wr(off, 4, v); }

static void advance(uint64_t ns)
{
    vclock_advance(&m.clock, ns);
}

static uint64_t now(void)
{
    return vclock_now(&m.clock);
}

static uint64_t route(unsigned pin)
{
    return (uint64_t)pin << HPET_TN_ROUTE_SHIFT;
}

START_TEST(capabilities_and_reset_values)
{
    uint64_t cap = rd64(HPET_REG_CAP);
    ck_assert_uint_eq(cap, 0x009896808086a201ull);
    ck_assert_uint_eq(cap & 0xff, 1);                 /* revision */
    ck_assert_uint_eq((cap >> 8) & 0x1f, 2);          /* three timers */
    ck_assert(cap & (1u << 13));                      /* 64-bit counter */
    ck_assert(cap & (1u << 15));                      /* legacy capable */
    ck_assert_uint_eq((cap >> 16) & 0xffff, 0x8086);
    ck_assert_uint_eq(cap >> 32, 10000000);           /* 10 ns in fs */
    /* The two dwords as 32-bit readers (SeaBIOS, Linux) see them. */
    ck_assert_uint_eq(rd32(HPET_REG_CAP), HPET_BLOCK_ID);
    ck_assert_uint_eq(rd32(HPET_REG_CAP + 4), HPET_PERIOD_FS);
    ck_assert_uint_eq(rd64(HPET_REG_CONFIG), 0);
    ck_assert_uint_eq(rd64(HPET_REG_ISR), 0);
    ck_assert_uint_eq(rd64(HPET_REG_COUNTER), 0);
    for (unsigned n = 0; n < HPET_NUM_TIMERS; n++) {
        ck_assert_uint_eq(rd64(T(n, HPET_TN_CONFIG)), (uint64_t)ROUTE_CAP << 32 | CAPS_LOW);
        ck_assert_uint_eq(rd64(T(n, HPET_TN_CMP)), UINT64_MAX);
        ck_assert_uint_eq(rd64(T(n, HPET_TN_FSB)), 0);
    }
    /* No timer 3. */
    ck_assert_uint_eq(rd64(T(3, HPET_TN_CONFIG)), 0);
    ck_assert_uint_eq(irq0.changes + irq8.changes, 0);
    ck_assert_uint_eq(vclock_next_deadline(&m.clock), VCLOCK_NEVER);
}
END_TEST

START_TEST(read_only_fields_stay)
{
    wr64(HPET_REG_CAP, 0);
    ck_assert_uint_eq(rd64(HPET_REG_CAP), 0x009896808086a201ull);
    wr64(HPET_REG_CONFIG, ~0ull & ~HPET_CFG_ENABLE);
    ck_assert_uint_eq(rd64(HPET_REG_CONFIG), HPET_CFG_LEGACY);
    /* Capabilities, FSB enable and reserved bits do not take. */
    wr64(T(2, HPET_TN_CONFIG), ~(HPET_TN_ROUTE_MASK | HPET_TN_VAL_SET));
    ck_assert_uint_eq(rd64(T(2, HPET_TN_CONFIG)),
                      (uint64_t)ROUTE_CAP << 32 | CAPS_LOW | HPET_TN_LEVEL | HPET_TN_INT_ENB |
                          HPET_TN_PERIODIC | HPET_TN_32BIT);
    wr64(T(2, HPET_TN_FSB), 0x12345678ull);
    ck_assert_uint_eq(rd64(T(2, HPET_TN_FSB)), 0);
}
END_TEST

START_TEST(counter_runs_at_100mhz_only_when_enabled)
{
    advance(1000000);
    ck_assert_uint_eq(rd64(HPET_REG_COUNTER), 0);
    wr64(HPET_REG_CONFIG, HPET_CFG_ENABLE);
    advance(1000);
    ck_assert_uint_eq(rd64(HPET_REG_COUNTER), 100);
    advance(NS_PER_SEC);
    ck_assert_uint_eq(rd64(HPET_REG_COUNTER), 100000100);
    ck_assert_uint_eq(hpet_counter(h), 100000100);
    /* Ticks fall on multiples of 10 virtual ns. */
    advance(9);
    ck_assert_uint_eq(rd64(HPET_REG_COUNTER), 100000100);
    advance(1);
    ck_assert_uint_eq(rd64(HPET_REG_COUNTER), 100000101);
    /* Halted: frozen, and continues from there. */
    wr64(HPET_REG_CONFIG, 0);
    advance(5000000);
    ck_assert_uint_eq(rd64(HPET_REG_COUNTER), 100000101);
    wr32(HPET_REG_CONFIG, HPET_CFG_ENABLE);
    advance(50);
    ck_assert_uint_eq(rd64(HPET_REG_COUNTER), 100000106);
    /* The two halves agree with the 64-bit read. */
    ck_assert_uint_eq(rd32(HPET_REG_COUNTER), 100000106);
    ck_assert_uint_eq(rd32(HPET_REG_COUNTER + 4), 0);
}
END_TEST

START_TEST(counter_writes_whole_and_halves)
{
    wr64(HPET_REG_COUNTER, 0x123456789abcdef0ull);
    ck_assert_uint_eq(rd64(HPET_REG_COUNTER), 0x123456789abcdef0ull);
    wr32(HPET_REG_COUNTER + 4, 0xfedcba98u);
    ck_assert_uint_eq(rd64(HPET_REG_COUNTER), 0xfedcba989abcdef0ull);
    wr32(HPET_REG_COUNTER, 0xfffffff0u);
    ck_assert_uint_eq(rd64(HPET_REG_COUNTER), 0xfedcba98fffffff0ull);
    /* 64 bits wide: the low half carries into the high one. */
    wr64(HPET_REG_CONFIG, HPET_CFG_ENABLE);
    advance(200);
    ck_assert_uint_eq(rd64(HPET_REG_COUNTER), 0xfedcba9900000004ull);
    ck_assert_uint_eq(rd32(HPET_REG_COUNTER + 4), 0xfedcba99u);
    /* Written while running, it goes on counting from the new value. */
    wr64(HPET_REG_COUNTER, 1000);
    advance(100);
    ck_assert_uint_eq(rd64(HPET_REG_COUNTER), 1010);
}
END_TEST

START_TEST(one_shot_fires_once_at_match)
{
    wr64(T(2, HPET_TN_CONFIG), HPET_TN_INT_ENB | route(20));
    wr64(T(2, HPET_TN_CMP), 1000);
    ck_assert_uint_eq(rd64(T(2, HPET_TN_CMP)), 1000);
    /* Nothing while the counter is halted. */
    advance(100000);
    ck_assert_int_eq(pins[20].rises, 0);
    uint64_t start = now();
    wr64(HPET_REG_CONFIG, HPET_CFG_ENABLE);
    advance(9999);
    ck_assert_int_eq(pins[20].rises, 0);
    advance(1);
    ck_assert_int_eq(pins[20].rises, 1);
    ck_assert_uint_eq(pins[20].rise_ns[0], start + 10000);
    ck_assert_int_eq(pins[20].level, 0); /* edge: a pulse */
    /* The comparator is unchanged and edge mode leaves no status. */
    ck_assert_uint_eq(rd64(T(2, HPET_TN_CMP)), 1000);
    ck_assert_uint_eq(rd64(HPET_REG_ISR), 0);
    /* 64-bit: the next match is 2^64 ticks away. */
    advance(100 * NS_PER_SEC);
    ck_assert_int_eq(pins[20].rises, 1);
    ck_assert_uint_eq(vclock_next_deadline(&m.clock), VCLOCK_NEVER);
    /* Only the routed input saw it. */
    ck_assert_int_eq(pins[21].rises + pins[22].rises + pins[23].rises + irq0.rises, 0);
}
END_TEST

START_TEST(one_shot_rearmed_by_comparator_write)
{
    wr64(HPET_REG_CONFIG, HPET_CFG_ENABLE);
    wr64(T(1, HPET_TN_CONFIG), HPET_TN_INT_ENB | route(21));
    advance(1000); /* counter 100 */
    wr64(T(1, HPET_TN_CMP), 300);
    advance(1000); /* counter 200 */
    wr64(T(1, HPET_TN_CMP), 250); /* moved earlier */
    advance(490);
    ck_assert_int_eq(pins[21].rises, 0);
    advance(10);
    ck_assert_int_eq(pins[21].rises, 1);
    ck_assert_uint_eq(pins[21].rise_ns[0], 2500);
    advance(10000);
    ck_assert_int_eq(pins[21].rises, 1);
    /* A value already passed (64-bit) never matches again. */
    wr64(T(1, HPET_TN_CMP), 100);
    ck_assert_uint_eq(vclock_next_deadline(&m.clock), VCLOCK_NEVER);
}
END_TEST

START_TEST(periodic_fires_every_period)
{
    wr64(T(0, HPET_TN_CONFIG), HPET_TN_INT_ENB | HPET_TN_PERIODIC | HPET_TN_VAL_SET | route(21));
    wr64(T(0, HPET_TN_CMP), 500);
    /* Tn_VAL_SET_CNF is used up by the write. */
    ck_assert_uint_eq(rd64(T(0, HPET_TN_CONFIG)) & HPET_TN_VAL_SET, 0);
    wr64(HPET_REG_CONFIG, HPET_CFG_ENABLE);
    advance(5000 * 4 + 1);
    ck_assert_int_eq(pins[21].rises, 4);
    for (int i = 0; i < 4; i++)
        ck_assert_uint_eq(pins[21].rise_ns[i], 5000u * (i + 1));
    /* The comparator holds the next match. */
    ck_assert_uint_eq(rd64(T(0, HPET_TN_CMP)), 2500);
    /* Without Tn_VAL_SET_CNF a write changes only the period: the match at
     * 2500 stays, the ones after it are 100 ticks apart. */
    wr64(T(0, HPET_TN_CMP), 100);
    ck_assert_uint_eq(rd64(T(0, HPET_TN_CMP)), 2500);
    advance(25000 - now());
    ck_assert_int_eq(pins[21].rises, 5);
    ck_assert_uint_eq(pins[21].rise_ns[4], 25000);
    advance(1000);
    ck_assert_int_eq(pins[21].rises, 6);
    ck_assert_uint_eq(pins[21].rise_ns[5], 26000);
    ck_assert_uint_eq(rd64(T(0, HPET_TN_CMP)), 2700);
}
END_TEST

/* The order Linux uses: halt, counter and comparator, then the period in
 * a second write, then start. */
/* A host clock can run the timer callback late; a guest access in between
 * takes the due match first, and the matches passed meanwhile coalesce. */
START_TEST(late_match_taken_by_access_and_coalesced)
{
    wr64(T(2, HPET_TN_CONFIG), HPET_TN_LEVEL | HPET_TN_INT_ENB | HPET_TN_PERIODIC |
                                   HPET_TN_VAL_SET | route(23));
    wr64(T(2, HPET_TN_CMP), 100);
    wr64(HPET_REG_CONFIG, HPET_CFG_ENABLE);
    /* Time moves on without the clock running its timers. */
    m.clock.manual_now = 3550;
    ck_assert_int_eq(pins[23].rises, 0);
    ck_assert_uint_eq(rd64(HPET_REG_ISR), 1u << 2);
    ck_assert_int_eq(pins[23].rises, 1);
    ck_assert_uint_eq(pins[23].rise_ns[0], 3550);
    /* Matches at 100, 200, 300 passed: the comparator is on 400. */
    ck_assert_uint_eq(rd64(T(2, HPET_TN_CMP)), 400);
    ck_assert_uint_eq(vclock_next_deadline(&m.clock), 4000);
    wr64(HPET_REG_ISR, 1u << 2);
    advance(450);
    ck_assert_int_eq(pins[23].rises, 2);
    ck_assert_uint_eq(pins[23].rise_ns[1], 4000);
}
END_TEST

START_TEST(periodic_linux_sequence)
{
    wr32(HPET_REG_CONFIG, 0);
    wr32(HPET_REG_COUNTER, 0);
    wr32(HPET_REG_COUNTER + 4, 0);
    uint32_t cfg = rd32(T(0, HPET_TN_CONFIG));
    wr32(T(0, HPET_TN_CONFIG), cfg | (uint32_t)(HPET_TN_INT_ENB | HPET_TN_PERIODIC |
                                                HPET_TN_VAL_SET | HPET_TN_32BIT));
    wr32(T(0, HPET_TN_CMP), 100000);  /* first tick at 1 ms */
    wr32(T(0, HPET_TN_CMP), 100000);  /* period 1 ms */
    wr32(HPET_REG_CONFIG, (uint32_t)(HPET_CFG_ENABLE | HPET_CFG_LEGACY));
    advance(10 * 1000000 + 1);
    ck_assert_int_eq(irq0.rises, 10);
    for (int i = 0; i < 10; i++)
        ck_assert_uint_eq(irq0.rise_ns[i], 1000000u * (i + 1));
    ck_assert_int_eq(pins[20].rises + pins[21].rises, 0);
}
END_TEST

START_TEST(val_set_64bit_comparator_in_halves)
{
    wr64(T(0, HPET_TN_CONFIG), HPET_TN_PERIODIC);
    uint32_t cfg = rd32(T(0, HPET_TN_CONFIG));
    wr32(T(0, HPET_TN_CONFIG), cfg | (uint32_t)HPET_TN_VAL_SET);
    wr32(T(0, HPET_TN_CMP), 0x89abcdefu);
    /* Used up by the low half: the high half alone changes the period. */
    wr32(T(0, HPET_TN_CMP + 4), 0x1u);
    ck_assert_uint_eq(rd64(T(0, HPET_TN_CMP)), 0xffffffff89abcdefull);
    wr32(T(0, HPET_TN_CONFIG), cfg | (uint32_t)HPET_TN_VAL_SET);
    wr32(T(0, HPET_TN_CMP + 4), 0x1u);
    ck_assert_uint_eq(rd64(T(0, HPET_TN_CMP)), 0x0000000189abcdefull);
}
END_TEST

START_TEST(mode_32bit_one_shot_wraps)
{
    wr64(T(2, HPET_TN_CONFIG), HPET_TN_INT_ENB | HPET_TN_32BIT | route(23));
    /* Switching to 32-bit mode truncates the comparator. */
    ck_assert_uint_eq(rd64(T(2, HPET_TN_CMP)), 0xffffffffull);
    /* Only 32 bits are kept, and the high half is not writable. */
    wr64(T(2, HPET_TN_CMP), 0x500000010ull);
    ck_assert_uint_eq(rd64(T(2, HPET_TN_CMP)), 0x10);
    wr32(T(2, HPET_TN_CMP + 4), 7);
    ck_assert_uint_eq(rd64(T(2, HPET_TN_CMP)), 0x10);
    wr64(HPET_REG_COUNTER, 0x2ffffff00ull);
    wr64(HPET_REG_CONFIG, HPET_CFG_ENABLE);
    /* Matches when the low 32 bits of the counter wrap to 0x10. */
    advance(0x110 * 10 - 1);
    ck_assert_int_eq(pins[23].rises, 0);
    advance(1);
    ck_assert_int_eq(pins[23].rises, 1);
    ck_assert_uint_eq(rd64(HPET_REG_COUNTER), 0x300000010ull);
    /* And again each 2^32 ticks (42.94967296 s). */
    uint64_t first = pins[23].rise_ns[0];
    advance(43 * NS_PER_SEC);
    ck_assert_int_eq(pins[23].rises, 2);
    ck_assert_uint_eq(pins[23].rise_ns[1] - first, (1ull << 32) * 10);
}
END_TEST

START_TEST(mode_32bit_periodic_comparator_wraps)
{
    wr64(T(0, HPET_TN_CONFIG), HPET_TN_INT_ENB | HPET_TN_PERIODIC | HPET_TN_VAL_SET |
                                   HPET_TN_32BIT | route(22));
    wr32(T(0, HPET_TN_CMP), 0xffffff00u);
    wr32(T(0, HPET_TN_CMP), 0x200);
    wr64(HPET_REG_COUNTER, 0xfffffe00u);
    wr64(HPET_REG_CONFIG, HPET_CFG_ENABLE);
    advance(0x100 * 10);
    ck_assert_int_eq(pins[22].rises, 1);
    ck_assert_uint_eq(rd64(T(0, HPET_TN_CMP)), 0x100);
    advance(0x200 * 10);
    ck_assert_int_eq(pins[22].rises, 2);
    ck_assert_uint_eq(rd64(T(0, HPET_TN_CMP)), 0x300);
    ck_assert_uint_eq(rd64(HPET_REG_COUNTER), 0x100000100ull);
}
END_TEST

START_TEST(level_status_and_write_one_to_clear)
{
    wr64(HPET_REG_CONFIG, HPET_CFG_ENABLE);
    wr64(T(2, HPET_TN_CONFIG), HPET_TN_LEVEL | HPET_TN_INT_ENB | route(22));
    wr64(T(2, HPET_TN_CMP), 100);
    advance(1000);
    ck_assert_uint_eq(rd64(HPET_REG_ISR), 1u << 2);
    ck_assert_int_eq(pins[22].level, 1);
    ck_assert_uint_eq(pins[22].rise_ns[0], 1000);
    /* Held until software clears it; zeros do nothing. */
    advance(100000);
    wr64(HPET_REG_ISR, 0);
    wr64(HPET_REG_ISR, 0x3);
    ck_assert_uint_eq(rd64(HPET_REG_ISR), 1u << 2);
    ck_assert_int_eq(pins[22].level, 1);
    /* Tn_INT_ENB off drops the line, the status stays. */
    wr64(T(2, HPET_TN_CONFIG), HPET_TN_LEVEL | route(22));
    ck_assert_int_eq(pins[22].level, 0);
    ck_assert_uint_eq(rd64(HPET_REG_ISR), 1u << 2);
    wr64(T(2, HPET_TN_CONFIG), HPET_TN_LEVEL | HPET_TN_INT_ENB | route(22));
    ck_assert_int_eq(pins[22].level, 1);
    /* So does the global enable. */
    wr64(HPET_REG_CONFIG, 0);
    ck_assert_int_eq(pins[22].level, 0);
    wr64(HPET_REG_CONFIG, HPET_CFG_ENABLE);
    ck_assert_int_eq(pins[22].level, 1);
    wr32(HPET_REG_ISR, 1u << 2);
    ck_assert_uint_eq(rd64(HPET_REG_ISR), 0);
    ck_assert_int_eq(pins[22].level, 0);
    ck_assert_int_eq(pins[22].rises, 3);
}
END_TEST

START_TEST(level_status_set_with_interrupt_disabled)
{
    wr64(HPET_REG_CONFIG, HPET_CFG_ENABLE);
    wr64(T(1, HPET_TN_CONFIG), HPET_TN_LEVEL | route(20));
    wr64(T(1, HPET_TN_CMP), 50);
    advance(500);
    ck_assert_uint_eq(rd64(HPET_REG_ISR), 1u << 1);
    ck_assert_int_eq(pins[20].changes, 0);
    wr64(T(1, HPET_TN_CONFIG), HPET_TN_LEVEL | HPET_TN_INT_ENB | route(20));
    ck_assert_int_eq(pins[20].level, 1);
    /* Moving the route moves the asserted level with it. */
    wr64(T(1, HPET_TN_CONFIG), HPET_TN_LEVEL | HPET_TN_INT_ENB | route(23));
    ck_assert_int_eq(pins[20].level, 0);
    ck_assert_int_eq(pins[23].level, 1);
}
END_TEST

START_TEST(route_outside_capability_not_taken)
{
    wr64(T(2, HPET_TN_CONFIG), route(21));
    ck_assert_uint_eq(rd64(T(2, HPET_TN_CONFIG)) & HPET_TN_ROUTE_MASK, route(21));
    wr64(T(2, HPET_TN_CONFIG), HPET_TN_INT_ENB | route(5));
    uint64_t cfg = rd64(T(2, HPET_TN_CONFIG));
    ck_assert_uint_eq(cfg & HPET_TN_ROUTE_MASK, route(21));
    ck_assert(cfg & HPET_TN_INT_ENB); /* the rest of the write does take */
    wr64(T(2, HPET_TN_CONFIG), route(23));
    ck_assert_uint_eq(rd64(T(2, HPET_TN_CONFIG)) & HPET_TN_ROUTE_MASK, route(23));
}
END_TEST

START_TEST(unroutable_reset_route_drives_nothing)
{
    /* Route 0 (the reset value) is not in the capability mask. */
    wr64(T(2, HPET_TN_CONFIG), HPET_TN_LEVEL | HPET_TN_INT_ENB);
    wr64(T(2, HPET_TN_CMP), 10);
    wr64(HPET_REG_CONFIG, HPET_CFG_ENABLE);
    advance(1000);
    ck_assert_uint_eq(rd64(HPET_REG_ISR), 1u << 2);
    ck_assert_int_eq(pins[0].changes, 0);
}
END_TEST

START_TEST(edge_on_a_held_input_gives_no_edge)
{
    /* Timer 1 holds input 21 at level; timer 2's edge there is lost, as
     * on a wire that is already up. */
    wr64(T(1, HPET_TN_CONFIG), HPET_TN_LEVEL | HPET_TN_INT_ENB | route(21));
    wr64(T(1, HPET_TN_CMP), 10);
    wr64(T(2, HPET_TN_CONFIG), HPET_TN_INT_ENB | route(21));
    wr64(T(2, HPET_TN_CMP), 20);
    wr64(HPET_REG_CONFIG, HPET_CFG_ENABLE);
    advance(1000);
    ck_assert_int_eq(pins[21].rises, 1);
    ck_assert_int_eq(pins[21].changes, 1);
    ck_assert_int_eq(pins[21].level, 1);
    /* Released, the next edge gets through. */
    wr64(HPET_REG_ISR, 1u << 1);
    wr64(T(2, HPET_TN_CMP), 200);
    advance(2000);
    ck_assert_int_eq(pins[21].rises, 2);
    ck_assert_uint_eq(pins[21].rise_ns[1], 2000);
    ck_assert_int_eq(pins[21].level, 0);
}
END_TEST

START_TEST(legacy_replacement_routing)
{
    /* Off: the PIT and RTC reach IRQ0/IRQ8 through the HPET. */
    irq_raise(&pit_in);
    ck_assert_int_eq(irq0.level, 1);
    irq_lower(&pit_in);
    ck_assert_int_eq(irq0.level, 0);
    irq_raise(&rtc_in);
    ck_assert_int_eq(irq8.level, 1);
    irq_lower(&rtc_in);

    wr64(T(0, HPET_TN_CONFIG), HPET_TN_INT_ENB | route(20));
    wr64(T(0, HPET_TN_CMP), 100);
    wr64(T(1, HPET_TN_CONFIG), HPET_TN_INT_ENB | route(21));
    wr64(T(1, HPET_TN_CMP), 200);
    wr64(T(2, HPET_TN_CONFIG), HPET_TN_INT_ENB | route(22));
    wr64(T(2, HPET_TN_CMP), 300);
    wr64(HPET_REG_CONFIG, HPET_CFG_ENABLE | HPET_CFG_LEGACY);
    /* On: the PIT and RTC are cut off. */
    int irq0_changes = irq0.changes, irq8_changes = irq8.changes;
    irq_raise(&pit_in);
    irq_raise(&rtc_in);
    ck_assert_int_eq(irq0.changes, irq0_changes);
    ck_assert_int_eq(irq8.changes, irq8_changes);
    advance(3000);
    ck_assert_int_eq(irq0.rises, 2);
    ck_assert_uint_eq(irq0.rise_ns[1], 1000);
    ck_assert_int_eq(irq8.rises, 2);
    ck_assert_uint_eq(irq8.rise_ns[1], 2000);
    /* Timer 2 keeps its own route; 0 and 1 leave theirs. */
    ck_assert_int_eq(pins[22].rises, 1);
    ck_assert_uint_eq(pins[22].rise_ns[0], 3000);
    ck_assert_int_eq(pins[20].rises + pins[21].rises, 0);
    /* Off again: the wires carry the PIT's and RTC's levels at once (the
     * spurious interrupt Intel's manuals warn of). */
    wr64(HPET_REG_CONFIG, HPET_CFG_ENABLE);
    ck_assert_int_eq(irq0.level, 1);
    ck_assert_int_eq(irq8.level, 1);
}
END_TEST

START_TEST(legacy_level_timer_holds_irq0)
{
    wr64(T(0, HPET_TN_CONFIG), HPET_TN_LEVEL | HPET_TN_INT_ENB);
    wr64(T(0, HPET_TN_CMP), 10);
    wr64(HPET_REG_CONFIG, HPET_CFG_ENABLE | HPET_CFG_LEGACY);
    advance(100);
    ck_assert_int_eq(irq0.level, 1);
    ck_assert_uint_eq(rd64(HPET_REG_ISR), 1);
    wr64(HPET_REG_ISR, 1);
    ck_assert_int_eq(irq0.level, 0);
}
END_TEST

START_TEST(halt_delays_matches)
{
    wr64(T(2, HPET_TN_CONFIG), HPET_TN_INT_ENB | route(20));
    wr64(T(2, HPET_TN_CMP), 1000);
    wr64(HPET_REG_CONFIG, HPET_CFG_ENABLE);
    advance(5000);                    /* counter 500 */
    wr64(HPET_REG_CONFIG, 0);
    ck_assert_uint_eq(vclock_next_deadline(&m.clock), VCLOCK_NEVER);
    advance(1000000);
    ck_assert_int_eq(pins[20].rises, 0);
    wr64(HPET_REG_CONFIG, HPET_CFG_ENABLE);
    advance(5000);
    ck_assert_int_eq(pins[20].rises, 1);
    ck_assert_uint_eq(pins[20].rise_ns[0], 1000000 + 10000);
}
END_TEST

START_TEST(no_timer_when_nothing_would_happen)
{
    wr64(HPET_REG_CONFIG, HPET_CFG_ENABLE);
    wr64(T(2, HPET_TN_CONFIG), route(20));
    wr64(T(2, HPET_TN_CMP), 1000);
    ck_assert_uint_eq(vclock_next_deadline(&m.clock), VCLOCK_NEVER);
    advance(100000);
    ck_assert_int_eq(pins[20].rises, 0);
    ck_assert_uint_eq(rd64(HPET_REG_ISR), 0);
    /* Enabling the interrupt after the match: the next one is a wrap away. */
    wr64(T(2, HPET_TN_CONFIG), HPET_TN_INT_ENB | HPET_TN_32BIT | route(20));
    ck_assert_uint_eq(vclock_next_deadline(&m.clock), ((1ull << 32) + 1000) * 10);
}
END_TEST

START_TEST(reset_restores_power_on_state)
{
    wr64(HPET_REG_COUNTER, 12345);
    wr64(T(2, HPET_TN_CONFIG), HPET_TN_LEVEL | HPET_TN_INT_ENB | HPET_TN_32BIT | route(21));
    wr64(T(2, HPET_TN_CMP), 12350);
    wr64(T(0, HPET_TN_CONFIG), HPET_TN_INT_ENB | HPET_TN_PERIODIC | route(20));
    wr64(T(0, HPET_TN_CMP), 20000);
    wr64(HPET_REG_CONFIG, HPET_CFG_ENABLE | HPET_CFG_LEGACY);
    advance(100);
    ck_assert_int_eq(pins[21].level, 1);
    ck_assert_uint_eq(rd64(HPET_REG_ISR), 4);
    irq_raise(&pit_in);
    ck_assert_int_eq(irq0.level, 0);

    machine_reset(&m);
    ck_assert_uint_eq(rd64(HPET_REG_CONFIG), 0);
    ck_assert_uint_eq(rd64(HPET_REG_ISR), 0);
    ck_assert_uint_eq(rd64(HPET_REG_COUNTER), 0);
    for (unsigned n = 0; n < HPET_NUM_TIMERS; n++) {
        ck_assert_uint_eq(rd64(T(n, HPET_TN_CONFIG)), (uint64_t)ROUTE_CAP << 32 | CAPS_LOW);
        ck_assert_uint_eq(rd64(T(n, HPET_TN_CMP)), UINT64_MAX);
    }
    ck_assert_int_eq(pins[21].level, 0);
    /* Legacy routing off: the PIT's level is back on IRQ0. */
    ck_assert_int_eq(irq0.level, 1);
    ck_assert_uint_eq(vclock_next_deadline(&m.clock), VCLOCK_NEVER);
    int rises = pins[20].rises + pins[21].rises;
    advance(10 * NS_PER_SEC);
    ck_assert_int_eq(pins[20].rises + pins[21].rises, rises);
}
END_TEST

START_TEST(odd_accesses_are_harmless)
{
    /* Reads of any size or alignment see the registers' bytes. */
    ck_assert_uint_eq(rd(HPET_REG_CAP, 1), 0x01);
    ck_assert_uint_eq(rd(HPET_REG_CAP + 1, 1), 0xa2);
    ck_assert_uint_eq(rd(HPET_REG_CAP + 2, 2), 0x8086);
    ck_assert_uint_eq(rd(HPET_REG_CAP + 2, 4), 0x96808086u);
    ck_assert_uint_eq(rd(HPET_REG_CAP + 6, 4), 0x00000098u); /* into reserved 0x08 */
    ck_assert_uint_eq(rd(0x3f8, 8), 0);
    ck_assert_uint_eq(rd(0x40, 4), 0);
    /* Byte, word and misaligned writes are dropped. */
    wr(HPET_REG_CONFIG, 1, HPET_CFG_ENABLE);
    wr(HPET_REG_CONFIG, 2, HPET_CFG_ENABLE);
    wr(HPET_REG_CONFIG + 1, 4, 0x100);
    wr(HPET_REG_CONFIG - 4, 8, (uint64_t)HPET_CFG_ENABLE << 32);
    ck_assert_uint_eq(rd64(HPET_REG_CONFIG), 0);
    wr(T(0, HPET_TN_CONFIG), 1, HPET_TN_INT_ENB);
    wr(T(0, HPET_TN_CMP) + 2, 4, 0);
    ck_assert_uint_eq(rd64(T(0, HPET_TN_CONFIG)), (uint64_t)ROUTE_CAP << 32 | CAPS_LOW);
    ck_assert_uint_eq(rd64(T(0, HPET_TN_CMP)), UINT64_MAX);
    /* Reserved registers and absent timers ignore writes. */
    wr64(0x08, ~0ull);
    wr64(0x18, ~0ull);
    wr64(0x80, ~0ull);
    wr64(T(3, HPET_TN_CONFIG), ~0ull);
    wr64(T(3, HPET_TN_CMP), 5);
    wr64(0x3f8, ~0ull);
    ck_assert_uint_eq(rd64(0x08), 0);
    ck_assert_uint_eq(rd64(0x18), 0);
    ck_assert_uint_eq(rd64(0x80), 0);
    ck_assert_uint_eq(rd64(T(3, HPET_TN_CMP)), 0);
    ck_assert_uint_eq(rd64(HPET_REG_CONFIG), 0);
    ck_assert_uint_eq(rd64(HPET_REG_COUNTER), 0);
    ck_assert_uint_eq(vclock_next_deadline(&m.clock), VCLOCK_NEVER);
}
END_TEST

START_TEST(create_fails_on_taken_range)
{
    struct hpet_config cfg = { 0 };
    ck_assert_ptr_null(hpet_create(&m, &cfg));
    /* Another base works, and a legacy input number that is not 0 or 8 is
     * a dead line. */
    cfg.base = 0xfed01000ull;
    struct hpet *h2 = hpet_create(&m, &cfg);
    ck_assert_ptr_nonnull(h2);
    struct irq_line dead = hpet_legacy_input(h2, 3);
    ck_assert_ptr_null(dead.set);
    uint8_t d[4];
    ck_assert(iomap_access(&m.mem.mmio, 0xfed01000ull, d, 4, false));
    ck_assert_uint_eq(io_data_get(d, 4), HPET_BLOCK_ID);
    hpet_destroy(h2);
    ck_assert(!iomap_access(&m.mem.mmio, 0xfed01000ull, d, 4, false));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("hpet");
    TCase *tc = tcase_create("hpet");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, capabilities_and_reset_values);
    tcase_add_test(tc, read_only_fields_stay);
    tcase_add_test(tc, counter_runs_at_100mhz_only_when_enabled);
    tcase_add_test(tc, counter_writes_whole_and_halves);
    tcase_add_test(tc, one_shot_fires_once_at_match);
    tcase_add_test(tc, one_shot_rearmed_by_comparator_write);
    tcase_add_test(tc, periodic_fires_every_period);
    tcase_add_test(tc, late_match_taken_by_access_and_coalesced);
    tcase_add_test(tc, periodic_linux_sequence);
    tcase_add_test(tc, val_set_64bit_comparator_in_halves);
    tcase_add_test(tc, mode_32bit_one_shot_wraps);
    tcase_add_test(tc, mode_32bit_periodic_comparator_wraps);
    tcase_add_test(tc, level_status_and_write_one_to_clear);
    tcase_add_test(tc, level_status_set_with_interrupt_disabled);
    tcase_add_test(tc, route_outside_capability_not_taken);
    tcase_add_test(tc, unroutable_reset_route_drives_nothing);
    tcase_add_test(tc, edge_on_a_held_input_gives_no_edge);
    tcase_add_test(tc, legacy_replacement_routing);
    tcase_add_test(tc, legacy_level_timer_holds_irq0);
    tcase_add_test(tc, halt_delays_matches);
    tcase_add_test(tc, no_timer_when_nothing_would_happen);
    tcase_add_test(tc, reset_restores_power_on_state);
    tcase_add_test(tc, odd_accesses_are_harmless);
    tcase_add_test(tc, create_fails_on_taken_range);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
