/* What the x87 tests that compare against the host share (header-only):
 * whether the host's x87 can serve as the oracle, and the seeded xorshift64*
 * generator behind their random operands and states. */
#ifndef VX86_TESTS_UNIT_X87_HOST_H
#define VX86_TESTS_UNIT_X87_HOST_H

#include <stdint.h>
#include <stdlib.h>
#include <time.h>

/* The host x87 is the oracle where the test's inline asm can run: any x86
 * host, or x86-64 alone for a test that defines X87_HOST_64BIT_ONLY before
 * including this. VX86_NO_HOST_X87 builds the portable paths anywhere.
 * HOST_AVAILABLE is the same answer for plain if statements. */
#if !defined(VX86_NO_HOST_X87) && \
    (defined(__x86_64__) || (defined(__i386__) && !defined(X87_HOST_64BIT_ONLY)))
#define HAVE_HOST_X87 1
#define HOST_AVAILABLE 1
#else
#define HOST_AVAILABLE 0
#endif

struct x87_rng {
    uint64_t state;
};

/* xorshift64*: cheap, and its whole sequence is replayed from the printed
 * seed when a comparison fails. */
static inline uint64_t x87_rng_next(struct x87_rng *r)
{
    r->state ^= r->state >> 12;
    r->state ^= r->state << 25;
    r->state ^= r->state >> 27;
    return r->state * 0x2545f4914f6cdd1dull;
}

static inline unsigned x87_rng_below(struct x87_rng *r, unsigned n)
{
    return (unsigned)(x87_rng_next(r) % n);
}

/* Seeds from the environment variable env_name when set (to rerun a failure),
 * else from the time; returns the seed for the failure messages. Zero would
 * stick xorshift at zero, so it becomes 1. */
static inline uint64_t x87_rng_seed(struct x87_rng *r, const char *env_name)
{
    const char *env = getenv(env_name);
    uint64_t seed = env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL) * 2654435761u;
    if (!seed)
        seed = 1;
    r->state = seed;
    return seed;
}

#endif
