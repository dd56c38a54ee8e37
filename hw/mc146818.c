/* MC146818 RTC and CMOS RAM. Time is a seconds count tied to the virtual
 * clock and formatted only when read, so an idle guest costs no timers; the
 * C-register flags are worked out lazily for the same reason. */
#include "hw/mc146818.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hw/machine.h"
#include "hw/vclock.h"
#include "softmmu/iomap.h"

#define RTC_PORT_BASE 0x70

#define REG_SEC        0x00
#define REG_SEC_ALARM  0x01
#define REG_MIN        0x02
#define REG_MIN_ALARM  0x03
#define REG_HOUR       0x04
#define REG_HOUR_ALARM 0x05
#define REG_WDAY       0x06
#define REG_MDAY       0x07
#define REG_MONTH      0x08
#define REG_YEAR       0x09
#define REG_A          0x0a
#define REG_B          0x0b
#define REG_C          0x0c
#define REG_D          0x0d

#define A_UIP     0x80
#define B_SET     0x80
#define B_PIE     0x40
#define B_AIE     0x20
#define B_UIE     0x10
#define B_SQWE    0x08
#define B_DM_BIN  0x04
#define B_24H     0x02
#define B_DSE     0x01
#define C_IRQF    0x80
#define C_PF      0x40
#define C_AF      0x20
#define C_UF      0x10
#define D_VRT     0x80

#define ALARM_DONT_CARE 0xc0

#define XTAL_HZ 32768
#define SEC_NS ((int64_t)NS_PER_SEC)
#define DAY_SECS 86400
#define NEVER INT64_MAX

/* tBUC: UIP rises this long (8 cycles of the 32.768 kHz base) before an update. */
#define UIP_LEAD_NS 244140

struct rtc {
    struct machine *m;
    struct irq_line irq;
    uint8_t cmos[128];
    uint8_t index;
    bool nmi_masked;
    bool irq_level;

    /* The divider chain: stopped while register A holds DV = 11x. Updates
     * happen at div_origin + k seconds; periodic taps count from it too. */
    bool div_running;
    int64_t div_origin_ns;
    /* Shown time (standard time when DSE is on) is secs_base plus whole
     * seconds since div_origin while the clock runs; secs_base alone when
     * stopped. While SET is on, the time registers hold raw guest values. */
    int64_t secs_base;
    /* Register C already accounts for every event up to this instant. */
    int64_t flags_ns;

    struct vtimer periodic_timer, update_timer, alarm_timer;
};

/* ---- calendar arithmetic (proleptic Gregorian, days since 1970-01-01) ---- */

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    /* Count from 1 March so the leap day ends the year. */
    y -= m <= 2;
    int64_t era = floor_div(y, 400);
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = floor_div(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    *m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *y = era * 400 + yoe + (*m <= 2);
}

/* 0 = Sunday; 1970-01-01 was a Thursday. */
static unsigned weekday_of_day(int64_t day)
{
    return (unsigned)(((day % 7) + 7 + 4) % 7);
}

static int64_t year_of_secs(int64_t t)
{
    int64_t y;
    unsigned m, d;
    civil_from_days(floor_div(t, DAY_SECS), &y, &m, &d);
    return y;
}

static int64_t last_sunday(int64_t year, unsigned month)
{
    int64_t last = days_from_civil(year, month + 1, 1) - 1;
    return last - weekday_of_day(last);
}

/* The MC146818's own daylight-saving rule (DSE): 1:59:59 -> 3:00:00 on the
 * last Sunday in April, 1:59:59 -> 1:00:00 once on the last Sunday in
 * October. In standard-time seconds that is [start, end). */
static int64_t dst_start(int64_t year) { return last_sunday(year, 4) * DAY_SECS + 2 * 3600; }
static int64_t dst_end(int64_t year) { return last_sunday(year, 10) * DAY_SECS + 3600; }

static bool in_dst(int64_t t)
{
    int64_t y = year_of_secs(t);
    return t >= dst_start(y) && t < dst_end(y);
}

static int64_t next_dst_change(int64_t t)
{
    int64_t y = year_of_secs(t);
    if (t < dst_start(y))
        return dst_start(y);
    if (t < dst_end(y))
        return dst_end(y);
    return dst_start(y + 1);
}

static int64_t to_shown(bool dse, int64_t t)
{
    return dse && in_dst(t) ? t + 3600 : t;
}

/* Inverse of to_shown; the repeated October hour is taken as the daylight
 * one, a time inside the skipped April hour as standard time. */
static int64_t from_shown(bool dse, int64_t shown)
{
    if (!dse)
        return shown;
    if (in_dst(shown - 3600))
        return shown - 3600;
    return shown;
}

/* ---- register formats ---- */

static uint8_t enc(const struct rtc *r, unsigned v)
{
    if (r->cmos[REG_B] & B_DM_BIN)
        return (uint8_t)v;
    return (uint8_t)(((v / 10) % 10) << 4 | (v % 10));
}

static unsigned dec(const struct rtc *r, uint8_t v)
{
    if (r->cmos[REG_B] & B_DM_BIN)
        return v;
    return (v >> 4) * 10u + (v & 0x0f);
}

static uint8_t enc_hour(const struct rtc *r, unsigned h)
{
    if (r->cmos[REG_B] & B_24H)
        return enc(r, h);
    unsigned h12 = h % 12 ? h % 12 : 12;
    return (uint8_t)(enc(r, h12) | (h >= 12 ? 0x80 : 0));
}

static unsigned dec_hour(const struct rtc *r, uint8_t v)
{
    if (r->cmos[REG_B] & B_24H)
        return dec(r, v);
    return dec(r, v & 0x7f) % 12 + (v & 0x80 ? 12 : 0);
}

static void format_time(struct rtc *r, int64_t shown)
{
    int64_t day = floor_div(shown, DAY_SECS);
    unsigned tod = (unsigned)(shown - day * DAY_SECS);
    int64_t y;
    unsigned mon, mday;
    civil_from_days(day, &y, &mon, &mday);
    r->cmos[REG_SEC] = enc(r, tod % 60);
    r->cmos[REG_MIN] = enc(r, tod / 60 % 60);
    r->cmos[REG_HOUR] = enc_hour(r, tod / 3600);
    r->cmos[REG_WDAY] = enc(r, weekday_of_day(day) + 1);
    r->cmos[REG_MDAY] = enc(r, mday);
    r->cmos[REG_MONTH] = enc(r, mon);
    r->cmos[REG_YEAR] = enc(r, (unsigned)(y - floor_div(y, 100) * 100));
    r->cmos[RTC_CMOS_CENTURY] = enc(r, (unsigned)floor_div(y, 100));
}

/* The guest may have written anything; out-of-range fields are folded into
 * a time rather than rejected, and a century byte that is not plausible is
 * replaced by the usual 1970-2069 window. The weekday register is ignored. */
static int64_t parse_time(const struct rtc *r)
{
    unsigned yy = dec(r, r->cmos[REG_YEAR]) % 100;
    unsigned cc = dec(r, r->cmos[RTC_CMOS_CENTURY]);
    if (cc < 19 || cc > 99)
        cc = yy < 70 ? 20 : 19;
    unsigned mon = dec(r, r->cmos[REG_MONTH]);
    if (mon < 1 || mon > 12)
        mon = 1;
    int64_t day = days_from_civil((int64_t)cc * 100 + yy, mon, dec(r, r->cmos[REG_MDAY]));
    return day * DAY_SECS + dec_hour(r, r->cmos[REG_HOUR]) * 3600ll +
           dec(r, r->cmos[REG_MIN]) * 60ll + dec(r, r->cmos[REG_SEC]);
}

/* ---- the running clock ---- */

static int64_t now_ns(const struct rtc *r)
{
    return (int64_t)vclock_now(&r->m->clock);
}

static bool clock_running(const struct rtc *r)
{
    return r->div_running && !(r->cmos[REG_B] & B_SET);
}

static bool dse_on(const struct rtc *r)
{
    return r->cmos[REG_B] & B_DSE;
}

static int64_t sec_index(const struct rtc *r, int64_t ns)
{
    return floor_div(ns - r->div_origin_ns, SEC_NS);
}

static int64_t secs_at(const struct rtc *r, int64_t ns)
{
    return r->secs_base + (clock_running(r) ? sec_index(r, ns) : 0);
}

static void set_secs_at(struct rtc *r, int64_t ns, int64_t secs)
{
    r->secs_base = secs - (clock_running(r) ? sec_index(r, ns) : 0);
}

static void refresh_time_regs(struct rtc *r)
{
    if (!(r->cmos[REG_B] & B_SET))
        format_time(r, to_shown(dse_on(r), secs_at(r, now_ns(r))));
}

static bool uip_now(const struct rtc *r, int64_t ns)
{
    if (!clock_running(r))
        return false;
    int64_t next_update = r->div_origin_ns + (sec_index(r, ns) + 1) * SEC_NS;
    return next_update - ns <= UIP_LEAD_NS;
}

/* Period of the rate-select tap in cycles of the 32.768 kHz base; rates 1
 * and 2 repeat rates 8 and 9 with this crystal. 0 means no periodic tap. */
static int64_t periodic_cycles(const struct rtc *r)
{
    unsigned rs = r->cmos[REG_A] & 0x0f;
    if (!rs || !r->div_running)
        return 0;
    if (rs <= 2)
        rs += 7;
    return (int64_t)1 << (rs - 1);
}

static int64_t periodic_count(const struct rtc *r, int64_t ns, int64_t period)
{
    __int128 cycles = (__int128)(ns - r->div_origin_ns) * XTAL_HZ;
    int64_t whole = (int64_t)(cycles >= 0 ? cycles / SEC_NS : -((-cycles + SEC_NS - 1) / SEC_NS));
    return floor_div(whole, period);
}

/* The instant the n-th periodic tick happens: the first ns at which the
 * cycle count reaches n * period. */
static int64_t periodic_tick_ns(const struct rtc *r, int64_t n, int64_t period)
{
    __int128 num = (__int128)n * period * SEC_NS;
    return r->div_origin_ns + (int64_t)((num + XTAL_HZ - 1) / XTAL_HZ);
}

/* ---- alarm matching ---- */

struct alarm_masks {
    uint64_t sec, min;
    uint32_t hour;
};

static bool alarm_field_matches(uint8_t alarm, uint8_t value)
{
    return alarm >= ALARM_DONT_CARE || alarm == value;
}

/* Bytes are compared as the chip does, in the current register format. */
static bool alarm_masks_build(const struct rtc *r, struct alarm_masks *am)
{
    memset(am, 0, sizeof(*am));
    for (unsigned v = 0; v < 60; v++) {
        if (alarm_field_matches(r->cmos[REG_SEC_ALARM], enc(r, v)))
            am->sec |= 1ull << v;
        if (alarm_field_matches(r->cmos[REG_MIN_ALARM], enc(r, v)))
            am->min |= 1ull << v;
    }
    for (unsigned h = 0; h < 24; h++)
        if (alarm_field_matches(r->cmos[REG_HOUR_ALARM], enc_hour(r, h)))
            am->hour |= 1u << h;
    return am->sec && am->min && am->hour;
}

/* First matching second of the day at or after tod, or -1. */
static int64_t alarm_first_from(const struct alarm_masks *am, unsigned tod)
{
    unsigned h0 = tod / 3600, m0 = tod / 60 % 60, s0 = tod % 60;
    for (unsigned h = h0; h < 24; h++) {
        if (!(am->hour >> h & 1))
            continue;
        for (unsigned m = h == h0 ? m0 : 0; m < 60; m++) {
            if (!(am->min >> m & 1))
                continue;
            unsigned s = h == h0 && m == m0 ? s0 : 0;
            uint64_t rest = am->sec >> s;
            if (rest)
                return h * 3600 + m * 60 + s + __builtin_ctzll(rest);
        }
    }
    return -1;
}

/* Smallest clock second after t whose shown time matches the alarm, or
 * NEVER. Shown time is t plus a constant between daylight-saving changes,
 * so each such stretch is searched as plain time of day. */
static int64_t alarm_next_after(const struct rtc *r, int64_t t)
{
    struct alarm_masks am;
    if (!alarm_masks_build(r, &am))
        return NEVER;
    bool dse = dse_on(r);
    t++;
    for (int stretch = 0; stretch < 8; stretch++) {
        int64_t off = to_shown(dse, t) - t;
        int64_t end = dse ? next_dst_change(t) : NEVER;
        int64_t shown = t + off;
        int64_t day = floor_div(shown, DAY_SECS);
        int64_t f = alarm_first_from(&am, (unsigned)(shown - day * DAY_SECS));
        if (f < 0)
            f = DAY_SECS + alarm_first_from(&am, 0);
        int64_t cand = day * DAY_SECS + f - off;
        if (cand < end)
            return cand;
        t = end;
    }
    return NEVER;
}

/* ---- flags, IRQ and timers ---- */

/* Brings register C up to date with every periodic tick, update and alarm
 * since it was last brought up to date, under the configuration in force
 * over that span; callers settle before any configuration change. */
static void rtc_settle(struct rtc *r, int64_t ns)
{
    int64_t from = r->flags_ns;
    if (ns <= from)
        return;
    int64_t period = periodic_cycles(r);
    if (period && periodic_count(r, ns, period) > periodic_count(r, from, period))
        r->cmos[REG_C] |= C_PF;
    if (clock_running(r) && sec_index(r, ns) > sec_index(r, from)) {
        r->cmos[REG_C] |= C_UF;
        if (alarm_next_after(r, secs_at(r, from)) <= secs_at(r, ns))
            r->cmos[REG_C] |= C_AF;
    }
    r->flags_ns = ns;
}

static void rtc_update_irq(struct rtc *r)
{
    uint8_t b = r->cmos[REG_B], c = r->cmos[REG_C] & (C_PF | C_AF | C_UF);
    if ((c & C_PF && b & B_PIE) || (c & C_AF && b & B_AIE) || (c & C_UF && b & B_UIE))
        c |= C_IRQF;
    r->cmos[REG_C] = c;
    bool level = c & C_IRQF;
    if (level != r->irq_level) {
        r->irq_level = level;
        irq_set(&r->irq, level);
    }
}

/* A timer is armed only for an enabled interrupt whose flag is still clear:
 * once set, the flag stays set until register C is read, which re-arms. */
static void rtc_rearm(struct rtc *r, int64_t ns)
{
    uint8_t b = r->cmos[REG_B], c = r->cmos[REG_C];
    int64_t period = periodic_cycles(r);

    if (b & B_PIE && period && !(c & C_PF))
        vtimer_arm(&r->periodic_timer,
                   (uint64_t)periodic_tick_ns(r, periodic_count(r, ns, period) + 1, period));
    else
        vtimer_cancel(&r->periodic_timer);

    if (b & B_UIE && clock_running(r) && !(c & C_UF))
        vtimer_arm(&r->update_timer,
                   (uint64_t)(r->div_origin_ns + (sec_index(r, ns) + 1) * SEC_NS));
    else
        vtimer_cancel(&r->update_timer);

    int64_t when = NEVER;
    if (b & B_AIE && clock_running(r) && !(c & C_AF)) {
        int64_t s = alarm_next_after(r, secs_at(r, ns));
        if (s != NEVER)
            when = r->div_origin_ns + (s - r->secs_base) * SEC_NS;
    }
    if (when != NEVER)
        vtimer_arm(&r->alarm_timer, (uint64_t)when);
    else
        vtimer_cancel(&r->alarm_timer);
}

static void rtc_timer_fired(void *opaque)
{
    struct rtc *r = opaque;
    int64_t ns = now_ns(r);
    rtc_settle(r, ns);
    rtc_update_irq(r);
    rtc_rearm(r, ns);
}

/* ---- register access ---- */

static bool is_time_reg(uint8_t i)
{
    return i == REG_SEC || i == REG_MIN || i == REG_HOUR || i == REG_WDAY ||
           i == REG_MDAY || i == REG_MONTH || i == REG_YEAR || i == RTC_CMOS_CENTURY;
}

static void write_reg_a(struct rtc *r, int64_t ns, uint8_t v)
{
    unsigned dv = (v >> 4) & 7;
    bool run = (dv & 6) != 6;
    int64_t secs = secs_at(r, ns);
    if (run && !r->div_running)
        /* Leaving reset, the first update comes half a second later. */
        r->div_origin_ns = ns - SEC_NS / 2;
    r->div_running = run;
    r->cmos[REG_A] = v & 0x7f;
    set_secs_at(r, ns, secs);
}

static void write_reg_b(struct rtc *r, int64_t ns, uint8_t v)
{
    uint8_t old = r->cmos[REG_B];
    if (v & B_SET)
        v &= ~B_UIE; /* the datasheet: SET going high clears UIE */
    if (!(old & B_SET) && (v & B_SET)) {
        /* Freeze: the registers now hold the time, in the old format. */
        refresh_time_regs(r);
        r->cmos[REG_B] = v;
    } else if ((old & B_SET) && !(v & B_SET)) {
        /* Carry on from whatever the guest wrote, read in the new format. */
        r->cmos[REG_B] = v;
        set_secs_at(r, ns, from_shown(dse_on(r), parse_time(r)));
    } else if (!(v & B_SET) && ((old ^ v) & B_DSE)) {
        int64_t shown = to_shown(old & B_DSE, secs_at(r, ns));
        r->cmos[REG_B] = v;
        set_secs_at(r, ns, from_shown(v & B_DSE, shown));
    } else {
        r->cmos[REG_B] = v;
    }
}

static void rtc_write(struct rtc *r, uint8_t i, uint8_t v)
{
    int64_t ns = now_ns(r);
    i &= 0x7f;
    if (i >= REG_C && i <= REG_D)
        return;
    if (!is_time_reg(i) && i > REG_B) {
        r->cmos[i] = v;
        return;
    }
    rtc_settle(r, ns);
    if (is_time_reg(i)) {
        if (r->cmos[REG_B] & B_SET) {
            r->cmos[i] = v;
        } else {
            /* Without SET the chip takes the byte and counts on from it. */
            refresh_time_regs(r);
            r->cmos[i] = v;
            set_secs_at(r, ns, from_shown(dse_on(r), parse_time(r)));
        }
    } else if (i == REG_A) {
        write_reg_a(r, ns, v);
    } else if (i == REG_B) {
        write_reg_b(r, ns, v);
    } else {
        r->cmos[i] = v; /* alarm registers */
    }
    rtc_update_irq(r);
    rtc_rearm(r, ns);
}

static uint8_t rtc_read(struct rtc *r, uint8_t i, bool guest)
{
    int64_t ns = now_ns(r);
    i &= 0x7f;
    if (is_time_reg(i)) {
        refresh_time_regs(r);
        return r->cmos[i];
    }
    switch (i) {
    case REG_A:
        return (uint8_t)((r->cmos[REG_A] & 0x7f) | (uip_now(r, ns) ? A_UIP : 0));
    case REG_C: {
        rtc_settle(r, ns);
        rtc_update_irq(r);
        uint8_t v = r->cmos[REG_C];
        if (guest) {
            r->cmos[REG_C] = 0;
            rtc_update_irq(r);
            rtc_rearm(r, ns);
        }
        return v;
    }
    case REG_D:
        return D_VRT;
    default:
        return r->cmos[i];
    }
}

static void rtc_io(void *opaque, uint64_t offset, uint8_t *data, unsigned len, bool is_write)
{
    struct rtc *r = opaque;
    for (unsigned k = 0; k < len; k++) {
        uint64_t port = offset + k;
        if (port == 0) {
            if (is_write) {
                r->index = data[k] & 0x7f;
                r->nmi_masked = data[k] & 0x80;
            } else {
                data[k] = 0xff; /* the index latch is write-only */
            }
        } else if (is_write) {
            rtc_write(r, r->index, data[k]);
        } else {
            data[k] = rtc_read(r, r->index, true);
        }
    }
}

/* The RESET pin clears the interrupt enables and flags; time, the rest of
 * register B and the RAM are battery-backed and survive. */
static void rtc_reset(void *opaque)
{
    struct rtc *r = opaque;
    int64_t ns = now_ns(r);
    rtc_settle(r, ns);
    r->cmos[REG_B] &= ~(B_PIE | B_AIE | B_UIE | B_SQWE);
    r->cmos[REG_C] = 0;
    rtc_update_irq(r);
    rtc_rearm(r, ns);
}

struct rtc *rtc_create(struct machine *m, struct irq_line irq8)
{
    struct rtc *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->m = m;
    r->irq = irq8;
    vtimer_init(&r->periodic_timer, &m->clock, rtc_timer_fired, r);
    vtimer_init(&r->update_timer, &m->clock, rtc_timer_fired, r);
    vtimer_init(&r->alarm_timer, &m->clock, rtc_timer_fired, r);
    r->cmos[REG_A] = 0x26; /* 32.768 kHz base, 1024 Hz rate, as firmware sets */
    r->cmos[REG_B] = B_24H;
    r->div_running = true;

    /* Take the host's UTC time, keeping its phase within the second. */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t ns = now_ns(r);
    r->div_origin_ns = ns - ts.tv_nsec;
    r->flags_ns = ns;
    set_secs_at(r, ns, (int64_t)ts.tv_sec);
    refresh_time_regs(r);

    if (iomap_add(&m->io, RTC_PORT_BASE, 2, rtc_io, r, "rtc") < 0) {
        free(r);
        return NULL;
    }
    machine_register_reset(m, rtc_reset, r);
    return r;
}

void rtc_destroy(struct rtc *r)
{
    if (!r)
        return;
    vtimer_cancel(&r->periodic_timer);
    vtimer_cancel(&r->update_timer);
    vtimer_cancel(&r->alarm_timer);
    iomap_remove(&r->m->io, RTC_PORT_BASE);
    free(r);
}

void rtc_set_time(struct rtc *r, int64_t seconds)
{
    int64_t ns = now_ns(r);
    rtc_settle(r, ns);
    if (r->div_running)
        r->div_origin_ns = ns;
    set_secs_at(r, ns, from_shown(dse_on(r), seconds));
    if (r->cmos[REG_B] & B_SET)
        format_time(r, seconds);
    rtc_update_irq(r);
    rtc_rearm(r, ns);
}

int64_t rtc_get_time(struct rtc *r)
{
    if (r->cmos[REG_B] & B_SET)
        return parse_time(r);
    return to_shown(dse_on(r), secs_at(r, now_ns(r)));
}

void rtc_set_cmos(struct rtc *r, uint8_t index, uint8_t value)
{
    rtc_write(r, index, value);
}

uint8_t rtc_get_cmos(struct rtc *r, uint8_t index)
{
    return rtc_read(r, index, false);
}

bool rtc_nmi_masked(struct rtc *r)
{
    return r->nmi_masked;
}

static void put16(struct rtc *r, uint8_t lo, uint64_t v)
{
    if (v > 0xffff)
        v = 0xffff;
    r->cmos[lo] = (uint8_t)v;
    r->cmos[lo + 1] = (uint8_t)(v >> 8);
}

void rtc_set_memory_size(struct rtc *r, uint64_t ram_below_4g, uint64_t ram_above_4g)
{
    const uint64_t kib = 1024, mib = 1024 * kib;
    uint64_t base_kib = ram_below_4g / kib;
    put16(r, RTC_CMOS_BASEMEM_LO, base_kib > 640 ? 640 : base_kib);
    uint64_t ext_kib = ram_below_4g > mib ? (ram_below_4g - mib) / kib : 0;
    put16(r, RTC_CMOS_EXTMEM_LO, ext_kib);
    put16(r, RTC_CMOS_EXTMEM_COPY_LO, ext_kib);
    /* SeaBIOS sizes RAM from 0x34/0x35 plus 16 MiB when that is non-zero,
     * else from 0x30/0x31 plus 1 MiB. */
    put16(r, RTC_CMOS_EXTMEM2_LO,
          ram_below_4g > 16 * mib ? (ram_below_4g - 16 * mib) / (64 * kib) : 0);
    uint64_t high = ram_above_4g / (64 * kib);
    if (high > 0xffffff)
        high = 0xffffff;
    r->cmos[RTC_CMOS_HIGHMEM_LO] = (uint8_t)high;
    r->cmos[RTC_CMOS_HIGHMEM_MID] = (uint8_t)(high >> 8);
    r->cmos[RTC_CMOS_HIGHMEM_HI] = (uint8_t)(high >> 16);
}
