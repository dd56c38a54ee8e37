/* 8254 PIT (Intel 8254 datasheet) and the PC's port 0x61, with counts and OUT
 * levels computed from the virtual clock rather than stepped per tick. */
#include "hw/i8254.h"

#include <stdlib.h>

#include "hw/machine.h"

#define PIT_PORT 0x40
#define PIT_PORT_SPEAKER 0x61
/* The PC's refresh request flips once per 18 input clocks (~15.09 us). */
#define PIT_REFRESH_TICKS 18
#define NO_TICK INT64_MAX

#define P61_GATE2 0x01
#define P61_SPEAKER 0x02
#define P61_WRITABLE 0x0f
#define P61_REFRESH 0x10
#define P61_OUT2 0x20

enum ctr_state {
    CTR_IDLE,         /* control word written, no count yet */
    CTR_WAIT_TRIGGER, /* modes 1, 5: count written, no gate edge yet */
    CTR_RUNNING,      /* CE loaded at tick `start` (held while frozen) */
    CTR_GATED,        /* modes 2, 3: gate low, OUT high, waiting for it to rise */
};

struct pit;

struct pit_counter {
    struct pit *pit;
    /* programming, as the guest sees it */
    uint8_t ctrl;      /* control word bits 5-0, reported in the status byte */
    uint8_t mode;      /* 0..5 */
    uint8_t rw;        /* 1 LSB, 2 MSB, 3 LSB then MSB */
    bool bcd;
    uint16_t cr;       /* count register as written */
    bool write_msb_next, read_msb_next;
    bool count_latched, latch_msb_next;
    uint16_t latch;
    bool status_latched;
    uint8_t status;
    bool gate;

    /* the counting element */
    enum ctr_state state;
    int64_t start;     /* tick at which the CE was loaded */
    uint32_t n;        /* count in the CE at start, 1..modulus */
    bool frozen;       /* modes 0, 4: gate low holds the count */
    int64_t frozen_e;
    bool hold_out;     /* OUT before start and while not running */
    uint32_t hold_value;
    /* modes 2, 3: a count written while counting takes effect here */
    bool reload_pending, reload_low;
    int64_t reload_at;
    uint32_t reload_n;
    int64_t null_until; /* status null-count bit is set while tick < this */

    /* OUT as an interrupt line (counter 0 only) */
    struct irq_line out_line;
    bool out_driven;
    int64_t due_tick;   /* the OUT change the timer is armed for */
    bool due_level;
    struct vtimer timer;
};

/* Counting-element state is kept as (load tick, count) so any later value is
 * a formula of the current tick; counter 0 arms its vtimer only for the next
 * change of OUT, which is what IRQ0 needs. */
struct pit {
    struct machine *m;
    struct pit_counter ctr[3];
    uint8_t port61;
};

static int64_t pit_ticks_at(uint64_t ns)
{
    return (int64_t)((unsigned __int128)ns * PIT_HZ / NS_PER_SEC);
}

/* First virtual ns at which `tick` input clocks have elapsed. Rounding up here
 * and down in pit_ticks_at keeps both exact, so periods never drift. */
static uint64_t pit_tick_ns(int64_t tick)
{
    if (tick <= 0)
        return 0;
    return (uint64_t)(((unsigned __int128)tick * NS_PER_SEC + PIT_HZ - 1) / PIT_HZ);
}

static int64_t pit_now(const struct pit *p)
{
    return pit_ticks_at(vclock_now(&p->m->clock));
}

static uint32_t ctr_modulus(const struct pit_counter *ct)
{
    return ct->bcd ? 10000 : 65536;
}

static uint32_t ctr_decode_cr(const struct pit_counter *ct)
{
    uint32_t n = ct->cr;
    if (ct->bcd)
        n = ((n >> 12) & 15) * 1000 + ((n >> 8) & 15) * 100 + ((n >> 4) & 15) * 10 + (n & 15);
    return n ? n : ctr_modulus(ct);
}

static uint16_t ctr_encode(const struct pit_counter *ct, uint32_t v)
{
    if (!ct->bcd)
        return (uint16_t)v;
    v %= 10000;
    return (uint16_t)((v / 1000) << 12 | (v / 100 % 10) << 8 | (v / 10 % 10) << 4 | (v % 10));
}

/* Mode 3 keeps OUT high for the larger half of an odd count. */
static uint32_t mode3_high(uint32_t n)
{
    return (n + 1) / 2;
}

static bool ctr_out_at(const struct pit_counter *ct, int64_t e)
{
    uint32_t n = ct->n;
    switch (ct->mode) {
    case 0:
    case 1:
        return e >= n;
    case 4:
    case 5:
        return e != n;
    case 2:
        return n < 2 || e % n != n - 1;
    default:
        return e % n < mode3_high(n);
    }
}

static int64_t ctr_elapsed(const struct pit_counter *ct, int64_t c)
{
    return ct->frozen ? ct->frozen_e : c - ct->start;
}

static bool ctr_out(const struct pit_counter *ct, int64_t c)
{
    switch (ct->state) {
    case CTR_IDLE:
        return ct->hold_out;
    case CTR_RUNNING: {
        int64_t e = ctr_elapsed(ct, c);
        return e < 0 ? ct->hold_out : ctr_out_at(ct, e);
    }
    default:
        return true;
    }
}

/* The CE as a number 0..modulus (modulus reads back as 0). */
static uint32_t ctr_value(const struct pit_counter *ct, int64_t c)
{
    if (ct->state != CTR_RUNNING)
        return ct->hold_value;
    int64_t e = ctr_elapsed(ct, c);
    if (e < 0)
        return ct->hold_value;
    uint32_t n = ct->n, mod = ctr_modulus(ct);
    switch (ct->mode) {
    case 2:
        return n < 2 ? n : n - (uint32_t)(e % n);
    case 3: {
        uint32_t p = (uint32_t)(e % n), h = mode3_high(n);
        /* Decrements by two; an odd count loads count-1 in both halves. */
        if (n & 1)
            return (n - 1) - 2 * (p < h ? p : p - h);
        return n - 2 * (p % (n / 2));
    }
    default:
        return (n + mod - (uint32_t)(e % mod)) % mod;
    }
}

/* Smallest tick after a at which OUT changes or a reload happens, with the
 * programming as it stands; NO_TICK if OUT stays put. */
static int64_t ctr_next_change(const struct pit_counter *ct, int64_t a)
{
    if (ct->state != CTR_RUNNING || ct->frozen)
        return NO_TICK;
    int64_t limit = ct->reload_pending ? ct->reload_at : NO_TICK;
    if (a < ct->start) {
        if (ctr_out_at(ct, 0) != ct->hold_out)
            return ct->start;
        a = ct->start;
    }
    int64_t e = a - ct->start, next = NO_TICK;
    uint32_t n = ct->n;
    switch (ct->mode) {
    case 0:
    case 1:
        if (e < n)
            next = ct->start + n;
        break;
    case 4:
    case 5:
        if (e <= n)
            next = ct->start + n + (e == n);
        break;
    case 2:
        if (n >= 2) {
            uint32_t p = (uint32_t)(e % n);
            next = a + (p < n - 1 ? n - 1 - p : 1);
        }
        break;
    default: {
        uint32_t p = (uint32_t)(e % n), h = mode3_high(n);
        if (h < n)
            next = a + (p < h ? h - p : n - p);
        break;
    }
    }
    return next < limit ? next : limit;
}

/* Applies a pending mode 2/3 reload whose time has come. */
static void ctr_sync(struct pit_counter *ct, int64_t c)
{
    if (ct->state != CTR_RUNNING || !ct->reload_pending || c < ct->reload_at)
        return;
    ct->n = ct->reload_n;
    ct->reload_pending = false;
    if (ct->mode == 3 && ct->reload_low) {
        /* Start the new count in its low half: place `start` where its high
         * half would have begun. */
        ct->start = ct->reload_at - mode3_high(ct->n);
        ct->hold_out = true;
    } else {
        ct->start = ct->reload_at;
        ct->hold_out = ct->mode == 3; /* mode 2 ended its period low */
    }
    ct->hold_value = ct->n;
}

static void ctr_drive(struct pit_counter *ct, bool level)
{
    if (level == ct->out_driven)
        return;
    ct->out_driven = level;
    irq_set(&ct->out_line, level);
}

/* Brings the OUT line up to tick c and arms the timer for the next change.
 * A timer that fires late (host clock) still delivers the edge it was armed
 * for, and one more cycle if whole cycles went by unseen. */
static void ctr_track_out(struct pit_counter *ct, int64_t c)
{
    ctr_sync(ct, c);
    if (!ct->out_line.set)
        return;
    bool now = ctr_out(ct, c);
    if (ct->due_tick != NO_TICK && ct->due_tick <= c) {
        bool lvl = ct->due_level;
        ctr_drive(ct, lvl);
        if (ctr_next_change(ct, ct->due_tick) <= c && now == lvl)
            ctr_drive(ct, !lvl);
        ct->due_tick = NO_TICK;
    }
    ctr_drive(ct, now);
    int64_t next = ctr_next_change(ct, c);
    ct->due_level = next != NO_TICK && ctr_out(ct, next);
    if (next == NO_TICK)
        vtimer_cancel(&ct->timer);
    else if (next != ct->due_tick || !vtimer_armed(&ct->timer))
        vtimer_arm(&ct->timer, pit_tick_ns(next));
    ct->due_tick = next;
}

static void ctr_timer_fired(void *opaque)
{
    struct pit_counter *ct = opaque;
    ctr_track_out(ct, pit_now(ct->pit));
}

static void ctr_start(struct pit_counter *ct, int64_t at, uint32_t n, bool out_before,
                      uint32_t value_before)
{
    ct->state = CTR_RUNNING;
    ct->start = at;
    ct->n = n;
    ct->hold_out = out_before;
    ct->hold_value = value_before;
    ct->frozen = false;
    ct->reload_pending = false;
    if (ct->null_until > at)
        ct->null_until = at;
}

/* A complete count is in CR. */
static void ctr_count_written(struct pit_counter *ct, int64_t c)
{
    bool out = ctr_out(ct, c);
    uint32_t value = ctr_value(ct, c), n = ctr_decode_cr(ct);
    ct->null_until = NO_TICK;
    switch (ct->mode) {
    case 0:
    case 4:
        /* Loaded on the next clock; mode 0 drops OUT at once. */
        ctr_start(ct, c + 1, n, ct->mode == 4 && out, value);
        if (!ct->gate) {
            ct->frozen = true;
            ct->frozen_e = 0;
        }
        break;
    case 1:
    case 5:
        /* Loaded by the next gate trigger only. */
        if (ct->state == CTR_IDLE)
            ct->state = CTR_WAIT_TRIGGER;
        break;
    default:
        if (ct->state == CTR_RUNNING && c >= ct->start) {
            /* The current period (mode 2) or half-cycle (mode 3) runs out
             * first. */
            uint32_t on = ct->n;
            int64_t e = c - ct->start;
            uint32_t p = (uint32_t)(e % on);
            int64_t period_start = c - p;
            ct->reload_low = false;
            ct->reload_at = period_start + on;
            if (ct->mode == 3 && p < mode3_high(on)) {
                ct->reload_at = period_start + mode3_high(on);
                ct->reload_low = true;
            }
            ct->reload_n = n;
            ct->reload_pending = true;
            ct->null_until = ct->reload_at;
        } else if (ct->state == CTR_RUNNING) {
            ct->n = n; /* not loaded yet: the new count replaces it */
            ct->null_until = ct->start;
        } else if (!ct->gate) {
            ct->state = CTR_GATED;
            ct->hold_value = n;
            ct->null_until = c + 1;
        } else {
            ctr_start(ct, c + 1, n, true, value);
        }
        break;
    }
}

static void ctr_write_control(struct pit_counter *ct, int64_t c, uint8_t v)
{
    uint32_t value = ctr_value(ct, c);
    ct->ctrl = v & 0x3f;
    ct->rw = (v >> 4) & 3;
    ct->mode = (v >> 1) & 7;
    if (ct->mode > 5)
        ct->mode -= 4; /* 110 and 111 are modes 2 and 3 */
    ct->bcd = v & 1;
    ct->state = CTR_IDLE;
    ct->hold_out = ct->mode != 0;
    ct->hold_value = value;
    ct->frozen = false;
    ct->reload_pending = false;
    ct->null_until = NO_TICK;
    ct->write_msb_next = false;
    ct->read_msb_next = false;
    ct->count_latched = false;
}

static void ctr_write_data(struct pit_counter *ct, int64_t c, uint8_t v)
{
    switch (ct->rw) {
    case 1:
        ct->cr = v;
        break;
    case 2:
        ct->cr = (uint16_t)(v << 8);
        break;
    default:
        if (!ct->write_msb_next) {
            ct->cr = (uint16_t)((ct->cr & 0xff00) | v);
            ct->write_msb_next = true;
            if (ct->mode == 0) {
                /* Mode 0: the first byte stops counting and drops OUT. */
                ct->hold_value = ctr_value(ct, c);
                ct->hold_out = false;
                ct->state = CTR_IDLE;
                ct->frozen = false;
            }
            return;
        }
        ct->cr = (uint16_t)((v << 8) | (ct->cr & 0xff));
        ct->write_msb_next = false;
        break;
    }
    ctr_count_written(ct, c);
}

static void ctr_latch_count(struct pit_counter *ct, int64_t c)
{
    if (ct->count_latched)
        return; /* the first latch holds until read */
    ct->latch = ctr_encode(ct, ctr_value(ct, c));
    ct->count_latched = true;
    ct->latch_msb_next = false;
}

static void ctr_latch_status(struct pit_counter *ct, int64_t c)
{
    if (ct->status_latched)
        return;
    ct->status = (uint8_t)((ctr_out(ct, c) ? 0x80 : 0) | (c < ct->null_until ? 0x40 : 0) |
                           ct->ctrl);
    ct->status_latched = true;
}

static uint8_t ctr_read_data(struct pit_counter *ct, int64_t c)
{
    if (ct->status_latched) {
        ct->status_latched = false;
        return ct->status;
    }
    if (ct->count_latched) {
        if (ct->rw == 3 && !ct->latch_msb_next) {
            ct->latch_msb_next = true;
            return (uint8_t)ct->latch;
        }
        ct->count_latched = false;
        return (uint8_t)(ct->rw == 1 ? ct->latch : ct->latch >> 8);
    }
    uint16_t v = ctr_encode(ct, ctr_value(ct, c));
    switch (ct->rw) {
    case 1:
        return (uint8_t)v;
    case 2:
        return (uint8_t)(v >> 8);
    default:
        ct->read_msb_next = !ct->read_msb_next;
        return (uint8_t)(ct->read_msb_next ? v : v >> 8);
    }
}

static void ctr_set_gate(struct pit_counter *ct, int64_t c, bool level)
{
    if (level == ct->gate)
        return;
    bool out = ctr_out(ct, c);
    uint32_t value = ctr_value(ct, c);
    ct->gate = level;
    switch (ct->mode) {
    case 0:
    case 4:
        if (ct->state != CTR_RUNNING)
            break;
        if (!level) {
            int64_t e = c - ct->start;
            ct->frozen_e = e > 0 ? e : 0;
            ct->frozen = true;
        } else if (ct->frozen) {
            ct->start = c - ct->frozen_e;
            ct->frozen = false;
        }
        break;
    case 1:
    case 5:
        /* A rising edge (re)triggers: the CE loads on the next clock. */
        if (level && ct->state != CTR_IDLE)
            ctr_start(ct, c + 1, ctr_decode_cr(ct), out, value);
        break;
    default:
        if (ct->state == CTR_IDLE)
            break;
        if (!level) {
            ct->state = CTR_GATED;
            ct->hold_value = value;
            ct->reload_pending = false;
        } else {
            ctr_start(ct, c + 1, ctr_decode_cr(ct), true, value);
        }
        break;
    }
}

static void pit_write_control(struct pit *p, int64_t c, uint8_t v)
{
    unsigned sc = v >> 6;
    if (sc == 3) {
        /* Read-back: bit 5 clear latches counts, bit 4 clear latches status,
         * bits 3-1 select counters 2-0. */
        for (int i = 0; i < 3; i++) {
            struct pit_counter *ct = &p->ctr[i];
            if (!(v & (2 << i)))
                continue;
            ctr_sync(ct, c);
            if (!(v & 0x20))
                ctr_latch_count(ct, c);
            if (!(v & 0x10))
                ctr_latch_status(ct, c);
        }
        return;
    }
    struct pit_counter *ct = &p->ctr[sc];
    ctr_track_out(ct, c);
    if ((v & 0x30) == 0) {
        ctr_latch_count(ct, c);
        return;
    }
    ctr_write_control(ct, c, v);
    ctr_track_out(ct, c);
}

static void pit_io(void *opaque, uint64_t offset, uint8_t *data, unsigned len, bool is_write)
{
    struct pit *p = opaque;
    int64_t c = pit_now(p);
    for (unsigned i = 0; i < len; i++) {
        unsigned reg = (unsigned)offset + i;
        if (reg >= 3) {
            if (!is_write)
                data[i] = 0xff; /* the control register is write-only */
            else if (reg == 3)
                pit_write_control(p, c, data[i]);
            continue;
        }
        struct pit_counter *ct = &p->ctr[reg];
        ctr_track_out(ct, c);
        if (is_write) {
            ctr_write_data(ct, c, data[i]);
            ctr_track_out(ct, c);
        } else {
            data[i] = ctr_read_data(ct, c);
        }
    }
}

static void pit_port61_io(void *opaque, uint64_t offset, uint8_t *data, unsigned len,
                          bool is_write)
{
    struct pit *p = opaque;
    struct pit_counter *ct = &p->ctr[2];
    int64_t c = pit_now(p);
    (void)offset;
    ctr_track_out(ct, c);
    if (is_write) {
        p->port61 = data[0] & P61_WRITABLE;
        ctr_set_gate(ct, c, p->port61 & P61_GATE2);
        ctr_track_out(ct, c);
        return;
    }
    uint8_t v = p->port61;
    if ((c / PIT_REFRESH_TICKS) & 1)
        v |= P61_REFRESH;
    if (ctr_out(ct, c))
        v |= P61_OUT2;
    io_data_put(data, len, v);
}

bool pit_get_out(struct pit *p, int counter)
{
    if (counter < 0 || counter > 2)
        return false;
    struct pit_counter *ct = &p->ctr[counter];
    int64_t c = pit_now(p);
    ctr_sync(ct, c);
    return ctr_out(ct, c);
}

bool pit_speaker_enabled(struct pit *p)
{
    return (p->port61 & (P61_GATE2 | P61_SPEAKER)) == (P61_GATE2 | P61_SPEAKER);
}

/* Power-on: counters 0 and 1 run mode 3 with the full count (18.2 Hz), as PC
 * firmware expects to find them; counter 2 waits with its gate low. */
static void pit_reset(void *opaque)
{
    struct pit *p = opaque;
    int64_t c = pit_now(p);
    p->port61 = 0;
    for (int i = 0; i < 3; i++) {
        struct pit_counter *ct = &p->ctr[i];
        ct->ctrl = 0x36;
        ct->mode = 3;
        ct->rw = 3;
        ct->bcd = false;
        ct->cr = 0;
        ct->write_msb_next = ct->read_msb_next = false;
        ct->count_latched = ct->status_latched = false;
        ct->gate = i != 2;
        ct->frozen = false;
        ct->reload_pending = false;
        ct->hold_out = true;
        ct->hold_value = 0;
        ct->null_until = NO_TICK;
        if (ct->gate) {
            ctr_start(ct, c + 1, ctr_modulus(ct), true, 0);
        } else {
            ct->state = CTR_GATED;
            ct->null_until = c + 1;
        }
        ct->due_tick = NO_TICK;
        vtimer_cancel(&ct->timer);
        ctr_track_out(ct, c);
    }
}

struct pit *pit_create(struct machine *m, struct irq_line irq0)
{
    struct pit *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->m = m;
    for (int i = 0; i < 3; i++) {
        p->ctr[i].pit = p;
        vtimer_init(&p->ctr[i].timer, &m->clock, ctr_timer_fired, &p->ctr[i]);
    }
    p->ctr[0].out_line = irq0;
    if (iomap_add(&m->io, PIT_PORT, 4, pit_io, p, "pit") < 0)
        goto fail;
    if (iomap_add(&m->io, PIT_PORT_SPEAKER, 1, pit_port61_io, p, "port61") < 0)
        goto fail_pit;
    machine_register_reset(m, pit_reset, p);
    pit_reset(p);
    return p;

fail_pit:
    iomap_remove(&m->io, PIT_PORT);
fail:
    free(p);
    return NULL;
}

void pit_destroy(struct pit *p)
{
    if (!p)
        return;
    for (int i = 0; i < 3; i++)
        vtimer_cancel(&p->ctr[i].timer);
    iomap_remove(&p->m->io, PIT_PORT);
    iomap_remove(&p->m->io, PIT_PORT_SPEAKER);
    free(p);
}
