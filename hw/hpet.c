/* HPET: a main counter derived from virtual time while ENABLE_CNF is set,
 * comparators that fire from vtimers at the exact virtual time of their
 * match, level status bits, the legacy replacement switch in front of ISA
 * IRQ0/IRQ8, and per-timer routing to I/O APIC inputs. */
#include "hw/hpet.h"

#include <stdlib.h>

#include "hw/machine.h"

#define CAP_VALUE ((uint64_t)HPET_PERIOD_FS << 32 | HPET_BLOCK_ID)
#define GEN_CFG_WRITABLE (HPET_CFG_ENABLE | HPET_CFG_LEGACY)
#define TN_CFG_WRITABLE (HPET_TN_LEVEL | HPET_TN_INT_ENB | HPET_TN_PERIODIC | \
                         HPET_TN_VAL_SET | HPET_TN_32BIT | HPET_TN_ROUTE_MASK)
#define LOW32 0xffffffffull
#define TIMERS_END HPET_REG_TIMER(HPET_NUM_TIMERS)

struct hpet_timer {
    struct hpet *h;
    unsigned n;
    uint64_t cfg;      /* the writable bits of the configuration register */
    uint64_t cmp;      /* next match; 32 bits wide in 32-bit mode */
    uint64_t period;   /* last value written to the comparator */
    struct vtimer vt;  /* armed for the next match while it can matter */
};

struct hpet {
    struct machine *m;
    uint64_t base;
    bool mapped;
    uint64_t cfg;
    uint64_t isr;
    /* The counter is count + (tick - start_tick) while enabled, count while
     * halted, with tick = virtual ns / HPET_NS_PER_TICK: it steps at every
     * multiple of 10 virtual ns. */
    uint64_t count;
    uint64_t start_tick;
    struct hpet_timer t[HPET_NUM_TIMERS];
    struct irq_line irq0, irq8;
    uint32_t route_cap;
    struct irq_line route[HPET_ROUTE_PINS];
    bool legacy_in[2];   /* PIT OUT0, RTC IRQ as they drive their wires */
    bool irq0_out, irq8_out;
    uint32_t route_out;  /* I/O APIC inputs being held asserted */
};

static uint64_t tick_of(uint64_t ns)
{
    return ns / HPET_NS_PER_TICK;
}

static uint64_t counter_at(const struct hpet *h, uint64_t tick)
{
    if (!(h->cfg & HPET_CFG_ENABLE))
        return h->count;
    return h->count + (tick - h->start_tick);
}

uint64_t hpet_counter(struct hpet *h)
{
    return counter_at(h, tick_of(vclock_now(&h->m->clock)));
}

static uint64_t timer_mask(const struct hpet_timer *t)
{
    return (t->cfg & HPET_TN_32BIT) ? LOW32 : UINT64_MAX;
}

static unsigned timer_route(const struct hpet_timer *t)
{
    return (unsigned)((t->cfg & HPET_TN_ROUTE_MASK) >> HPET_TN_ROUTE_SHIFT);
}

/* Timers 0 and 1 leave their own routing for IRQ0/IRQ8 in legacy mode. */
static bool timer_is_legacy(const struct hpet_timer *t)
{
    return (t->h->cfg & HPET_CFG_LEGACY) && t->n < 2;
}

/* A level-mode timer holds its output while its status bit is set, as
 * long as both its own and the global interrupt enable allow it. */
static bool timer_level(const struct hpet_timer *t)
{
    const struct hpet *h = t->h;
    return (h->cfg & HPET_CFG_ENABLE) && (t->cfg & HPET_TN_LEVEL) &&
           (t->cfg & HPET_TN_INT_ENB) && ((h->isr >> t->n) & 1);
}

static void drive(const struct irq_line *line, bool *cur, bool level)
{
    if (*cur != level) {
        *cur = level;
        irq_set(line, level);
    }
}

static void update_outputs(struct hpet *h)
{
    bool legacy = h->cfg & HPET_CFG_LEGACY;
    uint32_t pins = 0;
    for (unsigned n = 0; n < HPET_NUM_TIMERS; n++) {
        const struct hpet_timer *t = &h->t[n];
        if (!timer_is_legacy(t) && timer_level(t))
            pins |= 1u << timer_route(t);
    }
    pins &= h->route_cap;
    drive(&h->irq0, &h->irq0_out, legacy ? timer_level(&h->t[0]) : h->legacy_in[0]);
    drive(&h->irq8, &h->irq8_out, legacy ? timer_level(&h->t[1]) : h->legacy_in[1]);
    uint32_t changed = pins ^ h->route_out;
    h->route_out = pins;
    for (unsigned pin = 0; changed; pin++, changed >>= 1)
        if (changed & 1)
            irq_set(&h->route[pin], (pins >> pin) & 1);
}

/* An edge-mode match: one pulse. An I/O APIC input shared with a timer in
 * level mode may be held up, and then there is no edge to give; IRQ0/IRQ8
 * in legacy mode have no other source. */
static void timer_pulse(struct hpet_timer *t)
{
    struct hpet *h = t->h;
    if (timer_is_legacy(t)) {
        irq_pulse(t->n == 0 ? &h->irq0 : &h->irq8);
        return;
    }
    unsigned pin = timer_route(t);
    if (((h->route_cap & ~h->route_out) >> pin) & 1)
        irq_pulse(&h->route[pin]);
}

/* A comparator matches when the counter steps onto its value (so a value
 * equal to the counter now waits for the next wrap). Only matches that
 * change something are scheduled: one-shot edge timers with interrupts
 * off have none. */
static void timer_arm(struct hpet_timer *t, uint64_t tick)
{
    struct hpet *h = t->h;
    bool matters = (t->cfg & (HPET_TN_PERIODIC | HPET_TN_LEVEL | HPET_TN_INT_ENB)) != 0;
    if (!(h->cfg & HPET_CFG_ENABLE) || !matters) {
        vtimer_cancel(&t->vt);
        return;
    }
    uint64_t mask = timer_mask(t);
    uint64_t d = (t->cmp - counter_at(h, tick)) & mask;
    if (d == 0) {
        if (mask == UINT64_MAX) {
            vtimer_cancel(&t->vt);  /* 2^64 ticks away */
            return;
        }
        d = mask + 1;
    }
    if (d > UINT64_MAX / HPET_NS_PER_TICK - tick) {
        vtimer_cancel(&t->vt);
        return;
    }
    vtimer_arm(&t->vt, (tick + d) * HPET_NS_PER_TICK);
}

static void timer_arm_all(struct hpet *h, uint64_t tick)
{
    for (unsigned n = 0; n < HPET_NUM_TIMERS; n++)
        timer_arm(&h->t[n], tick);
}

/* The match the vtimer was armed for has happened (at or before tick, later
 * only when the host clock ran the callback late). A periodic comparator
 * gains its period once per match it passed, so it lands ahead of the
 * counter; matches passed while late are one interrupt. */
static void timer_fire(struct hpet_timer *t, uint64_t tick)
{
    struct hpet *h = t->h;
    uint64_t mask = timer_mask(t);
    uint64_t period = t->period & mask;
    if ((t->cfg & HPET_TN_PERIODIC) && period) {
        uint64_t late = (counter_at(h, tick) - t->cmp) & mask;
        t->cmp = (t->cmp + (late / period + 1) * period) & mask;
    }
    if (t->cfg & HPET_TN_LEVEL) {
        /* Set even with Tn_INT_ENB clear: the timer still runs and reports
         * status, it just does not interrupt. */
        h->isr |= 1ull << t->n;
        update_outputs(h);
    } else if (t->cfg & HPET_TN_INT_ENB) {
        timer_pulse(t);
    }
    timer_arm(t, tick);
}

static void timer_expired(void *opaque)
{
    struct hpet_timer *t = opaque;
    timer_fire(t, tick_of(vclock_now(&t->h->m->clock)));
}

/* Matches already due (the main loop has not run the timers yet) are taken
 * before a guest access, so what it reads agrees with the counter. */
static void run_due(struct hpet *h, uint64_t now_ns)
{
    for (unsigned n = 0; n < HPET_NUM_TIMERS; n++) {
        struct hpet_timer *t = &h->t[n];
        if (vtimer_armed(&t->vt) && t->vt.expire_ns <= now_ns) {
            vtimer_cancel(&t->vt);
            timer_fire(t, tick_of(now_ns));
        }
    }
}

static uint64_t timer_caps(const struct hpet *h)
{
    return HPET_TN_PER_CAP | HPET_TN_SIZE_CAP | (uint64_t)h->route_cap << HPET_TN_ROUTE_CAP_SHIFT;
}

static uint64_t reg_read(struct hpet *h, uint64_t off, uint64_t tick)
{
    switch (off) {
    case HPET_REG_CAP:
        return CAP_VALUE;
    case HPET_REG_CONFIG:
        return h->cfg;
    case HPET_REG_ISR:
        return h->isr;
    case HPET_REG_COUNTER:
        return counter_at(h, tick);
    default:
        break;
    }
    if (off < HPET_REG_TIMER(0) || off >= TIMERS_END)
        return 0;
    const struct hpet_timer *t = &h->t[(off - HPET_REG_TIMER(0)) / 0x20];
    switch ((off - HPET_REG_TIMER(0)) % 0x20) {
    case HPET_TN_CONFIG:
        return t->cfg | timer_caps(h);
    case HPET_TN_CMP:
        return t->cmp;
    default:
        return 0; /* HPET_TN_FSB: FSB delivery is not offered */
    }
}

static void write_gen_config(struct hpet *h, uint64_t v, uint64_t tick)
{
    /* Rebase so the counter keeps its value across the switch. */
    h->count = counter_at(h, tick);
    h->start_tick = tick;
    h->cfg = v & GEN_CFG_WRITABLE;
    timer_arm_all(h, tick);
    update_outputs(h);
}

static void write_timer_config(struct hpet_timer *t, uint64_t v, uint64_t tick)
{
    struct hpet *h = t->h;
    uint64_t cfg = v & TN_CFG_WRITABLE;
    /* A route the timer cannot use is not taken: the old one reads back. */
    if (!((h->route_cap >> ((cfg & HPET_TN_ROUTE_MASK) >> HPET_TN_ROUTE_SHIFT)) & 1))
        cfg = (cfg & ~HPET_TN_ROUTE_MASK) | (t->cfg & HPET_TN_ROUTE_MASK);
    t->cfg = cfg;
    if (cfg & HPET_TN_32BIT) {
        t->cmp &= LOW32;
        t->period &= LOW32;
    }
    timer_arm(t, tick);
    update_outputs(h);
}

/* Non-periodic, or periodic with Tn_VAL_SET_CNF: the write sets the
 * comparator. Periodic without it: only the period changes. Tn_VAL_SET_CNF
 * is used up by any comparator write, so a 64-bit value written as two
 * dwords needs it set before each (as Intel's chipset manuals say). */
static void write_comparator(struct hpet_timer *t, uint64_t v, uint64_t mask, uint64_t tick)
{
    if (t->cfg & HPET_TN_32BIT) {
        mask &= LOW32;
        if (!mask)
            return;
    }
    t->period = (t->period & ~mask) | (v & mask);
    if (!(t->cfg & HPET_TN_PERIODIC) || (t->cfg & HPET_TN_VAL_SET))
        t->cmp = (t->cmp & ~mask) | (v & mask);
    t->cfg &= ~HPET_TN_VAL_SET;
    timer_arm(t, tick);
}

/* v and mask are positioned within the 64-bit register at off. */
static void reg_write(struct hpet *h, uint64_t off, uint64_t v, uint64_t mask, uint64_t tick)
{
    switch (off) {
    case HPET_REG_CONFIG:
        write_gen_config(h, (h->cfg & ~mask) | (v & mask), tick);
        return;
    case HPET_REG_ISR:
        /* Write 1 to clear. */
        h->isr &= ~(v & mask);
        update_outputs(h);
        return;
    case HPET_REG_COUNTER: {
        /* The specification asks for writes only while halted; a running
         * counter simply continues from the new value. */
        h->count = (counter_at(h, tick) & ~mask) | (v & mask);
        h->start_tick = tick;
        timer_arm_all(h, tick);
        return;
    }
    default:
        break;
    }
    if (off < HPET_REG_TIMER(0) || off >= TIMERS_END)
        return;
    struct hpet_timer *t = &h->t[(off - HPET_REG_TIMER(0)) / 0x20];
    switch ((off - HPET_REG_TIMER(0)) % 0x20) {
    case HPET_TN_CONFIG:
        write_timer_config(t, (t->cfg & ~mask) | (v & mask), tick);
        break;
    case HPET_TN_CMP:
        write_comparator(t, v, mask, tick);
        break;
    default:
        break;
    }
}

static void hpet_mmio(void *opaque, uint64_t offset, uint8_t *data, unsigned len,
                      bool is_write)
{
    struct hpet *h = opaque;
    uint64_t now = vclock_now(&h->m->clock);
    uint64_t tick = tick_of(now);
    run_due(h, now);
    uint64_t q = offset & ~7ull;
    if (!is_write) {
        /* Reads have no side effects, so any size or alignment is served
         * from the registers it covers. */
        uint64_t lo = reg_read(h, q, tick);
        uint64_t hi = (offset & 7) + len > 8 ? reg_read(h, q + 8, tick) : 0;
        for (unsigned i = 0; i < len; i++) {
            unsigned b = (unsigned)(offset & 7) + i;
            data[i] = (uint8_t)(b < 8 ? lo >> (8 * b) : hi >> (8 * (b - 8)));
        }
        return;
    }
    /* The specification defines aligned 32- and 64-bit accesses only;
     * other writes are dropped. */
    if (!((len == 4 && !(offset & 3)) || (len == 8 && !(offset & 7))))
        return;
    unsigned shift = (unsigned)(offset & 4) * 8;
    uint64_t mask = (len == 8 ? UINT64_MAX : LOW32) << shift;
    reg_write(h, q, io_data_get(data, len) << shift, mask, tick);
}

static void legacy_input_set(void *opaque, int pin, int level)
{
    struct hpet *h = opaque;
    h->legacy_in[pin] = level != 0;
    update_outputs(h);
}

struct irq_line hpet_legacy_input(struct hpet *h, int irq)
{
    if (irq == 0)
        return irq_line_make(legacy_input_set, h, 0);
    if (irq == 8)
        return irq_line_make(legacy_input_set, h, 1);
    return irq_line_make(NULL, NULL, 0);
}

static void hpet_reset(void *opaque)
{
    struct hpet *h = opaque;
    h->cfg = 0;
    h->isr = 0;
    h->count = 0;
    h->start_tick = 0;
    for (unsigned n = 0; n < HPET_NUM_TIMERS; n++) {
        struct hpet_timer *t = &h->t[n];
        vtimer_cancel(&t->vt);
        t->cfg = 0;
        t->cmp = UINT64_MAX;
        t->period = 0;
    }
    update_outputs(h);
}

struct hpet *hpet_create(struct machine *m, const struct hpet_config *cfg)
{
    struct hpet *h = calloc(1, sizeof(*h));
    if (!h)
        return NULL;
    h->m = m;
    h->base = cfg->base ? cfg->base : HPET_DEFAULT_BASE;
    h->irq0 = cfg->irq0;
    h->irq8 = cfg->irq8;
    h->route_cap = cfg->route_cap;
    for (unsigned pin = 0; pin < HPET_ROUTE_PINS; pin++)
        h->route[pin] = cfg->route[pin];
    for (unsigned n = 0; n < HPET_NUM_TIMERS; n++) {
        h->t[n].h = h;
        h->t[n].n = n;
        vtimer_init(&h->t[n].vt, &m->clock, timer_expired, &h->t[n]);
    }
    if (iomap_add(&m->mem.mmio, h->base, HPET_MMIO_SIZE, hpet_mmio, h, "hpet") < 0) {
        free(h);
        return NULL;
    }
    h->mapped = true;
    hpet_reset(h);
    machine_register_reset(m, hpet_reset, h);
    return h;
}

void hpet_destroy(struct hpet *h)
{
    if (!h)
        return;
    for (unsigned n = 0; n < HPET_NUM_TIMERS; n++)
        vtimer_cancel(&h->t[n].vt);
    if (h->mapped)
        iomap_remove(&h->m->mem.mmio, h->base);
    free(h);
}
