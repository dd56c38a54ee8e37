/* The virtual clock devices time themselves against, and timer events on it.
 * A manual clock only moves when told to, which is how device tests run. */
#ifndef VX86_HW_VCLOCK_H
#define VX86_HW_VCLOCK_H

#include <stdbool.h>
#include <stdint.h>

#define VCLOCK_NEVER UINT64_MAX
#define NS_PER_SEC 1000000000ull

struct vclock;
typedef void (*vtimer_cb)(void *opaque);

struct vtimer {
    struct vclock *clock;
    uint64_t expire_ns;
    vtimer_cb cb;
    void *opaque;
    bool armed;
    struct vtimer *next; /* in the clock's list, sorted by expire_ns */
};

struct vclock {
    bool manual;
    uint64_t manual_now;
    uint64_t host_base;  /* host monotonic ns at virtual time 0 */
    struct vtimer *active;
    /* Called when the earliest deadline moves earlier, so a main loop that
     * sleeps until the old deadline can wake. May be NULL. */
    void (*deadline_changed)(void *opaque);
    void *deadline_opaque;
};

void vclock_init(struct vclock *clock, bool manual);
uint64_t vclock_now(const struct vclock *clock);
/* Earliest armed deadline, or VCLOCK_NEVER. */
uint64_t vclock_next_deadline(const struct vclock *clock);
/* Runs every timer whose deadline has passed; callbacks may re-arm. */
void vclock_run_timers(struct vclock *clock);
/* Manual clocks only: move time forward by ns, firing timers in order, each
 * seeing vclock_now() equal to its own deadline. */
void vclock_advance(struct vclock *clock, uint64_t ns);

void vtimer_init(struct vtimer *t, struct vclock *clock, vtimer_cb cb, void *opaque);
void vtimer_arm(struct vtimer *t, uint64_t expire_ns);
void vtimer_cancel(struct vtimer *t);
static inline bool vtimer_armed(const struct vtimer *t) { return t->armed; }

/* Converts between a device's tick frequency and nanoseconds without
 * overflow for any realistic uptime. */
uint64_t vclock_ticks_to_ns(uint64_t ticks, uint64_t hz);
uint64_t vclock_ns_to_ticks(uint64_t ns, uint64_t hz);

#endif
