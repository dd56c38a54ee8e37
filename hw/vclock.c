/* Virtual time: host monotonic time in normal runs, or a counter that tests
 * advance explicitly; a sorted list of armed timers. */
#include "hw/vclock.h"

#include <time.h>

static uint64_t host_monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

void vclock_init(struct vclock *clock, bool manual)
{
    clock->manual = manual;
    clock->manual_now = 0;
    clock->host_base = host_monotonic_ns();
    clock->active = 0;
    clock->deadline_changed = 0;
    clock->deadline_opaque = 0;
}

uint64_t vclock_now(const struct vclock *clock)
{
    if (clock->manual)
        return clock->manual_now;
    return host_monotonic_ns() - clock->host_base;
}

uint64_t vclock_next_deadline(const struct vclock *clock)
{
    return clock->active ? clock->active->expire_ns : VCLOCK_NEVER;
}

void vtimer_init(struct vtimer *t, struct vclock *clock, vtimer_cb cb, void *opaque)
{
    t->clock = clock;
    t->expire_ns = VCLOCK_NEVER;
    t->cb = cb;
    t->opaque = opaque;
    t->armed = false;
    t->next = 0;
}

void vtimer_cancel(struct vtimer *t)
{
    if (!t->armed)
        return;
    for (struct vtimer **pp = &t->clock->active; *pp; pp = &(*pp)->next) {
        if (*pp == t) {
            *pp = t->next;
            break;
        }
    }
    t->armed = false;
    t->next = 0;
}

void vtimer_arm(struct vtimer *t, uint64_t expire_ns)
{
    struct vclock *clock = t->clock;
    vtimer_cancel(t);
    t->expire_ns = expire_ns;
    struct vtimer **pp = &clock->active;
    while (*pp && (*pp)->expire_ns <= expire_ns)
        pp = &(*pp)->next;
    t->next = *pp;
    *pp = t;
    t->armed = true;
    if (clock->active == t && clock->deadline_changed)
        clock->deadline_changed(clock->deadline_opaque);
}

static void vclock_fire_until(struct vclock *clock, uint64_t now)
{
    while (clock->active && clock->active->expire_ns <= now) {
        struct vtimer *t = clock->active;
        clock->active = t->next;
        t->armed = false;
        t->next = 0;
        if (clock->manual)
            clock->manual_now = t->expire_ns;
        t->cb(t->opaque);
    }
}

void vclock_run_timers(struct vclock *clock)
{
    vclock_fire_until(clock, vclock_now(clock));
}

void vclock_advance(struct vclock *clock, uint64_t ns)
{
    uint64_t target = clock->manual_now + ns;
    vclock_fire_until(clock, target);
    clock->manual_now = target;
}

uint64_t vclock_ticks_to_ns(uint64_t ticks, uint64_t hz)
{
    return (uint64_t)((unsigned __int128)ticks * NS_PER_SEC / hz);
}

uint64_t vclock_ns_to_ticks(uint64_t ns, uint64_t hz)
{
    if (hz == NS_PER_SEC) /* the bt TSC: RDTSC is frequent, skip the 128-bit divide */
        return ns;
    return (uint64_t)((unsigned __int128)ns * hz / NS_PER_SEC);
}
